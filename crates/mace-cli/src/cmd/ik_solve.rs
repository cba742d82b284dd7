//! `mace ik solve`: timed collision-free IK solves of one method for a scene's target.

use std::path::PathBuf;

use anyhow::bail;
use clap::Args;
use mace_lab::ik::trials::{solve_tune_preset, with_solve_budget};
use mace_lab::ik::{
    check_reachable, load_prior, parse_target, run_trials, scene_with_target, solve_config,
    target_warnings, MaceTuning, SolveStats, TuningCost,
};
use mace_robot::solve::{Method, SolveReport, Solver};
use mace_robot::CollisionModel;
use serde::Serialize;

use crate::args::{IkScopeArgs, JsonArg, PoseArgs, RobotArgs, TuneKnobs};
use crate::output::emit_json;
use crate::say;

/// Arguments of `mace ik solve`.
#[derive(Debug, Args)]
pub(crate) struct SolveArgs {
    #[command(flatten)]
    pub(crate) robot: RobotArgs,
    /// Scene: `wall`, `window`, `box`, `shelf`, `cloud`, `cell` or a scene `.toml` file.
    #[arg(long, value_name = "NAME|FILE")]
    pub(crate) scene: String,
    /// Target X Y Z in metres, base frame (also `X,Y,Z`; default: the scene's target).
    #[arg(long, value_names = ["X", "Y", "Z"], num_args = 1..=3, value_delimiter = ',', allow_negative_numbers = true)]
    pub(crate) target: Option<Vec<f32>>,
    #[command(flatten, next_help_heading = "Pose targets")]
    pub(crate) pose: PoseArgs,
    /// Solve method: `prior` (best of prior sample batches), `numeric` (DLS IK with random
    /// restarts), `hybrid` (prior samples refined by the numeric IK) or `mace` (tune the prior to
    /// the problem with MACE, then best of posterior sample batches; the time includes tuning).
    #[arg(long, default_value = "numeric", value_parser = parse_method)]
    pub(crate) method: Method,
    /// Independent solves (seeds seed, seed+1, …); the summary gives time, error and success.
    #[arg(long, default_value_t = 1, value_parser = crate::limits::problems())]
    pub(crate) trials: usize,
    /// Seed of the first solve.
    #[arg(long, default_value_t = 0)]
    pub(crate) seed: u64,
    /// Time budget per solve, seconds.
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
    pub(crate) budget: f64,
    /// Safety margin, metres: answers must keep this signed distance to obstacles, the ground and
    /// between links (0 = plain collision check).
    #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
    pub(crate) clearance: f32,
    /// `prior` stops drawing batches once its best collision-free sample is this close to the
    /// target, metres (0 = always draw all 20 batches, as the paper).
    #[arg(long, default_value_t = 0.01, allow_negative_numbers = true)]
    pub(crate) prior_stop: f32,
    /// Samples per prior batch (default: 1024 for `prior`, 32 for `hybrid`).
    #[arg(long, value_name = "N", value_parser = crate::limits::count(1 << 20))]
    pub(crate) batch_size: Option<usize>,
    /// `numeric`: run two random-restart streams on the two cores, first to succeed wins (faster,
    /// not bit-reproducible). `hybrid`: run random restarts beside the prior refinement.
    #[arg(long)]
    pub(crate) parallel: bool,
    /// Prior folder for `prior`, `hybrid` and `mace` (default: the robot's shipped prior,
    /// assets/priors/ROBOT-ik; for a pose target its pose prior ROBOT-ik-pose if it has one).
    #[arg(long, value_name = "DIR")]
    pub(crate) prior: Option<PathBuf>,
    /// How `--method mace` tunes the prior before sampling it (defaults: `mace ik tune`'s, with
    /// the solve budget as time budget).
    #[command(flatten, next_help_heading = "Tuning (--method mace)")]
    pub(crate) knobs: TuneKnobs,
    #[command(flatten, next_help_heading = "Tuning (--method mace)")]
    pub(crate) scope: IkScopeArgs,
    #[command(flatten)]
    pub(crate) json: JsonArg,
    /// Solve every target of a file, spread over the cores: `.json` (an array of `[x, y, z]`
    /// or of `{"position": [x, y, z]}`), `.jsonl` (one per line) or `.npy` (`(n, 3)`);
    /// `mace ik targets` writes one. Target i is solved with seed `--seed` + i.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["target", "trials"])]
    pub(crate) targets: Option<PathBuf>,
    /// With `--targets`: where the answers go: `FILE.jsonl` (one JSON object per target:
    /// index, target, status, q, tcp, error_m, collision_free, min_distance_m, seconds),
    /// `FILE.npy` (float32 `(n, dof + 2)`: q, TCP error in metres, 1 if solved) or `-` for
    /// JSON lines on stdout (then the summary goes to stderr).
    #[arg(long, value_name = "FILE", requires = "targets")]
    pub(crate) out: Option<PathBuf>,
    /// No progress bar.
    #[arg(long, short)]
    pub(crate) quiet: bool,
}

pub(crate) fn parse_method(s: &str) -> Result<Method, String> {
    s.parse().map_err(|e: mace_robot::Error| e.to_string())
}

#[derive(Serialize)]
struct SolveOutput {
    robot: String,
    scene: String,
    target: [f32; 3],
    /// The tool orientation asked for, quaternion (x, y, z, w); absent for a position target.
    #[serde(skip_serializing_if = "Option::is_none")]
    target_orientation: Option<[f32; 4]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    free_axis: Option<mace_robot::ToolAxis>,
    pos_tol_m: f32,
    #[serde(skip_serializing_if = "Option::is_none")]
    rot_tol_deg: Option<f32>,
    method: Method,
    seed: u64,
    budget_s: f64,
    clearance_m: f32,
    parallel: bool,
    prior: Option<PathBuf>,
    /// One-off: loading the prior and preparing its sampler, seconds.
    prior_load_s: Option<f64>,
    /// One untimed warm-up solve, seconds.
    warmup_s: f64,
    threads: usize,
    summary: SolveStats,
    /// `mace` only: what tuning cost per trial (included in each report's `seconds`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tuning: Vec<TuningCost>,
    reports: Vec<SolveReport>,
}

pub(crate) fn solve(args: SolveArgs, force: bool) -> anyhow::Result<()> {
    let robot = args.robot.load()?;
    let chain = &robot.chain;
    let scene = scene_with_target(&args.scene, None)?;
    let position = match &args.target {
        Some(t) => parse_target(t)?,
        None => scene.target,
    };
    let target = args.pose.target(position, &scene)?;
    if args.trials == 0 {
        bail!("--trials must be at least 1");
    }
    let mut config = solve_config(args.budget, args.clearance, args.prior_stop)?;
    config.parallel = args.parallel;
    config.hybrid_parallel = args.parallel;
    if let Some(n) = args.batch_size {
        if n == 0 {
            bail!("--batch-size must be at least 1");
        }
        config.batch_size = n;
        config.hybrid_batch_size = n;
    }
    args.pose.apply(&mut config);
    check_reachable(chain, position)?;
    for w in target_warnings(&scene, position) {
        eprintln!("warning: {w}");
    }
    let prior = match (args.method.needs_prior(), target.has_orientation()) {
        (false, _) => None,
        (true, false) => Some(load_prior(args.prior.as_deref(), &robot)?),
        (true, true) => Some(mace_lab::ik::pose::load_any_prior(
            args.prior.as_deref(),
            &robot,
        )?),
    };
    let solver = Solver::new(CollisionModel::new(chain, &scene), config);
    let mace = MaceTuning {
        scene: &scene,
        config: with_solve_budget(
            args.knobs.apply(solve_tune_preset(), args.seed),
            args.budget,
        ),
        scope: args.scope.scope(0.0)?,
    };
    let trials = run_trials(
        &solver,
        args.method,
        &target,
        prior.as_ref(),
        Some(&mace),
        args.trials,
        args.seed,
    )?;
    let summary = SolveStats::of(args.method, &trials.reports);
    let out = SolveOutput {
        robot: robot.name.clone(),
        scene: scene.name.clone(),
        target: position,
        target_orientation: target.orientation.map(|o| o.quaternion),
        free_axis: target.orientation.and_then(|o| o.free_axis),
        pos_tol_m: args.pose.pos_tol,
        rot_tol_deg: target.has_orientation().then_some(args.pose.rot_tol),
        method: args.method,
        seed: args.seed,
        budget_s: args.budget,
        clearance_m: args.clearance,
        parallel: args.parallel,
        prior: prior.as_ref().map(|p| p.dir.clone()),
        prior_load_s: prior.as_ref().map(|p| p.load_seconds),
        warmup_s: trials.warmup_s,
        threads: rayon::current_num_threads(),
        summary,
        tuning: trials.tuning,
        reports: trials.reports,
    };
    if let Some(json) = &args.json.json {
        emit_json(json, &out, force)?;
    } else {
        print_solves(&out, prior.as_ref());
    }
    let s = &out.summary;
    if s.solved == 0 {
        let best = out
            .reports
            .iter()
            .map(|r| r.error)
            .fold(f32::INFINITY, f32::min);
        bail!(
            "no collision-free solution within the tolerance for target {position:?}{} in scene `{}` \
             ({} method, {} trial(s), {} s budget each; best TCP error {best:.3e} m{})",
            out.target_orientation
                .map_or(String::new(), |q| format!(" with orientation {q:?}")),
            out.scene,
            s.method,
            s.trials,
            args.budget,
            if out.reports.iter().any(|r| r.collision_free) {
                ""
            } else {
                ", every answer collides"
            }
        );
    }
    if s.solved < s.trials {
        eprintln!(
            "warning: {} of {} trials found no solution within the budget",
            s.trials - s.solved,
            s.trials
        );
    }
    Ok(())
}

fn print_solves(out: &SolveOutput, prior: Option<&mace_lab::ik::IkPrior>) {
    if let Some(p) = prior {
        say!(
            "prior {} loaded in {:.3} s (one-off); warm-up solve {:.4} s",
            p.dir.display(),
            p.load_seconds,
            out.warmup_s
        );
    }
    for (i, r) in out.reports.iter().enumerate() {
        let q: Vec<String> = r.q.iter().map(|v| format!("{v:.4}")).collect();
        say!(
            "trial {i}: {:?}, error {:.3e} m{}, collision-free {}{}, {:.2} ms, {} samples, {} IK iterations, q [{}]",
            r.status,
            r.error,
            r.rotation_error_deg
                .map_or(String::new(), |d| format!(" and {d:.3}°")),
            r.collision_free,
            if r.collision_free {
                format!(
                    " (clearance: obstacles {:.1} mm, ground {:.1} mm, self {:.1} mm)",
                    r.distances.obstacle_distance * 1e3,
                    r.distances.ground_distance * 1e3,
                    r.distances.self_distance * 1e3
                )
            } else {
                format!(" (contact: {:?})", r.flags)
            },
            r.seconds * 1e3,
            r.samples,
            r.iterations,
            q.join(", ")
        );
    }
    let s = &out.summary;
    say!(
        "scene {} target {:?}, method {}: {}/{} solved ({:.1}%); time median {:.2} ms, mean {:.2} ± {:.2} ms, max {:.2} ms; \
         TCP error median {} mean {}",
        out.scene,
        out.target,
        s.method,
        s.solved,
        s.trials,
        100.0 * s.success_rate,
        s.time_median_s * 1e3,
        s.time_mean_s * 1e3,
        s.time_std_s * 1e3,
        s.time_max_s * 1e3,
        s.error_median_m.map_or("n/a".into(), |e| format!("{e:.3e} m")),
        match (s.error_mean_m, s.error_std_m) {
            (Some(m), Some(d)) => format!("{m:.3e} ± {d:.3e} m"),
            _ => "n/a".into(),
        }
    );
}
