//! Many IK problems at once: `mace ik solve --targets FILE` (the library call is
//! `mace_lab::ik::solve_batch`) and `mace ik targets`, which draws reachable, collision-free
//! targets to solve.

use std::path::{Path, PathBuf};

use anyhow::bail;
use clap::Args;
use mace_lab::ik::batch::{encode_targets, solves_to_json_lines, solves_to_npy, TargetsMeta};
use mace_lab::ik::scene_bench::draw_targets;
use mace_lab::ik::{load_prior, read_targets, scene_with_target, solve_batch, solve_config};
use mace_robot::solve::{Method, Solver};
use mace_robot::CollisionModel;
use serde::Serialize;

use super::ik_solve::SolveArgs;
use crate::args::RobotArgs;
use crate::output::{emit_json, write_text};
use crate::progress::BarProgress;
use crate::say;

/// The answers' file kind, from `--out`.
#[derive(Debug, Clone, Copy, PartialEq)]
enum AnswerFile {
    Stdout,
    JsonLines,
    Npy,
}

fn answer_file(out: &Path) -> anyhow::Result<AnswerFile> {
    if out == Path::new("-") {
        return Ok(AnswerFile::Stdout);
    }
    match out.extension().and_then(|e| e.to_str()) {
        Some("jsonl" | "ndjson") => Ok(AnswerFile::JsonLines),
        Some("npy") => Ok(AnswerFile::Npy),
        _ => bail!(
            "--out {}: answers are written as .jsonl or .npy (or `-` for JSON lines on stdout)",
            out.display()
        ),
    }
}

#[derive(Serialize)]
struct BatchOutput<'a> {
    robot: &'a str,
    scene: &'a str,
    targets_file: &'a Path,
    /// Loading the robot, scene, collision model and prior, seconds.
    setup_s: f64,
    #[serde(flatten)]
    summary: &'a mace_lab::ik::BatchSummary,
}

/// `mace ik solve --targets FILE`.
pub(crate) fn solve_targets(args: SolveArgs, force: bool) -> anyhow::Result<()> {
    let start = std::time::Instant::now();
    let Some(file) = args.targets.as_deref() else {
        bail!("--targets FILE is needed");
    };
    let out = args.out.clone().unwrap_or_else(|| PathBuf::from("-"));
    let kind = answer_file(&out)?;
    if kind != AnswerFile::Stdout {
        mace_core::fs::check_writable(&out, force)?;
    }
    match args.json.json.as_deref() {
        Some(d) if d == Path::new("-") && kind == AnswerFile::Stdout => bail!(
            "the answers and the --json summary would both go to stdout: give --out FILE or \
             --json FILE"
        ),
        Some(d) if d != Path::new("-") => mace_core::fs::check_writable(d, force)?,
        _ => {}
    }
    if args.method == Method::Mace {
        bail!(
            "--targets solves with prior, numeric or hybrid; tune one problem with \
             `mace ik tune` and solve with its posterior"
        );
    }
    if args.pose.orientation.is_some() || args.pose.rpy.is_some() || args.pose.free_axis.is_some() {
        bail!("--orientation, --rpy and --free-axis are for --target: a targets file holds each target's orientation");
    }
    mace_lab::ik::pose::check_tolerances(args.pose.pos_tol, args.pose.rot_tol)?;
    let targets = read_targets(file)?;
    let robot = args.robot.load()?;
    let scene = scene_with_target(&args.scene, None)?;
    let mut config = solve_config(args.budget, args.clearance, args.prior_stop)?;
    // Targets run side by side on the cores; each solve stays on one.
    config.parallel = false;
    config.hybrid_parallel = false;
    if let Some(n) = args.batch_size {
        config.batch_size = n;
        config.hybrid_batch_size = n;
    }
    args.pose.apply(&mut config);
    let pose = targets.iter().any(|t| t.has_orientation());
    let prior = match (args.method.needs_prior(), pose) {
        (false, _) => None,
        (true, false) => Some(load_prior(args.prior.as_deref(), &robot)?),
        (true, true) => Some(mace_lab::ik::pose::load_any_prior(
            args.prior.as_deref(),
            &robot,
        )?),
    };
    let solver = Solver::new(CollisionModel::new(&robot.chain, &scene), config);
    let setup_s = start.elapsed().as_secs_f64();
    let (solves, summary) = solve_batch(
        &solver,
        args.method,
        &targets,
        prior.as_ref(),
        args.seed,
        &mut BarProgress::new(args.quiet),
    )?;
    match kind {
        AnswerFile::Stdout => crate::term::say_raw(&solves_to_json_lines(&solves)?),
        AnswerFile::JsonLines => write_text(&out, &solves_to_json_lines(&solves)?, force)?,
        AnswerFile::Npy => {
            mace_core::fs::write_file(&out, &solves_to_npy(&solves, robot.chain.dof()), force)?
        }
    }
    let record = BatchOutput {
        robot: &robot.name,
        scene: &scene.name,
        targets_file: file,
        setup_s,
        summary: &summary,
    };
    if let Some(dest) = &args.json.json {
        emit_json(dest, &record, force)?;
    }
    let s = &summary;
    let line = format!(
        "{} targets, {}: {}/{} solved ({:.1}%{}) in {:.2} s on {} threads = {:.0} solutions/s \
         (set-up {:.3} s); per target median {:.2} ms, p90 {:.2} ms, max {:.2} ms; TCP error \
         median {}",
        s.targets,
        s.method,
        s.solved,
        s.targets,
        100.0 * s.success_rate,
        if s.unreachable > 0 {
            format!(", {} beyond reach", s.unreachable)
        } else {
            String::new()
        },
        s.wall_s,
        s.threads,
        s.solved_per_s,
        setup_s,
        s.time_median_s * 1e3,
        s.time_p90_s * 1e3,
        s.time_max_s * 1e3,
        s.error_median_m
            .map_or("n/a".into(), |e| format!("{:.4} mm", e * 1e3))
    );
    if kind == AnswerFile::Stdout || args.json.json.as_deref() == Some(Path::new("-")) {
        eprintln!("{line}");
    } else {
        say!("{line}");
        say!("answers written to {}", out.display());
    }
    Ok(())
}

/// Arguments of `mace ik targets`.
#[derive(Debug, Args)]
pub(crate) struct TargetsArgs {
    #[command(flatten)]
    robot: RobotArgs,
    /// Scene: `wall`, `window`, `box`, `shelf`, `cloud`, `cell` or a scene `.toml` file.
    #[arg(long, value_name = "NAME|FILE")]
    scene: String,
    /// Number of targets.
    #[arg(long, default_value_t = 1000, value_parser = crate::limits::problems())]
    n: usize,
    /// Seed of the random configurations the targets are the TCPs of.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Keep only targets whose configuration passes within this distance of the obstacles,
    /// metres (default: anywhere collision-free).
    #[arg(long, value_name = "M", allow_negative_numbers = true)]
    near: Option<f32>,
    /// Output file: `.json` (`{"targets": [[x, y, z], …]}` with the robot, scene and seed),
    /// `.jsonl` (one `[x, y, z]` per line) or `.npy` (float32 `(n, 3)`).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
}

/// `mace ik targets`: TCPs of random configurations free of collision in the scene.
pub(crate) fn targets(args: TargetsArgs, force: bool) -> anyhow::Result<()> {
    let ext = args.out.extension().and_then(|e| e.to_str()).unwrap_or("");
    if !matches!(ext, "json" | "jsonl" | "ndjson" | "npy") {
        bail!(
            "--out {}: targets are written as .json, .jsonl or .npy",
            args.out.display()
        );
    }
    mace_core::fs::check_writable(&args.out, force)?;
    if let Some(near) = args.near {
        if !(near > 0.0 && near.is_finite()) {
            bail!("--near must be a positive distance in metres, got {near}");
        }
    }
    let robot = args.robot.load()?;
    let scene = scene_with_target(&args.scene, None)?;
    let (targets, drawn) = draw_targets(
        &robot.chain,
        &scene,
        args.n,
        args.near.unwrap_or(f32::INFINITY),
        args.seed,
    )?;
    let meta = TargetsMeta {
        robot: robot.name.clone(),
        scene: scene.name.clone(),
        seed: args.seed,
        near_m: args.near,
        drawn,
    };
    mace_core::fs::write_file(&args.out, &encode_targets(&targets, ext, &meta)?, force)?;
    say!(
        "{} collision-free targets for {} in {} ({} configurations drawn) written to {}",
        targets.len(),
        robot.name,
        scene.name,
        drawn,
        args.out.display()
    );
    Ok(())
}
