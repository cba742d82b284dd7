//! `mace bench ik-table1 | ik-table2`: the paper's Tables 1 and 2 (the experiments are
//! `mace_lab::ik::run_table1` and `run_table2`).

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use mace_core::TuneConfig;
use mace_lab::ik::recipe::TUNE_MARGIN;
use mace_lab::ik::trials::{solve_tune_preset, with_solve_budget};
use mace_lab::ik::{load_prior, run_table1, run_table2, Table1Config, Table2Config};
use mace_robot::solve::SolveReport;
use mace_robot::Scene;

use crate::args::{IkScopeArgs, JsonArg, RobotArgs, TuneKnobs};
use crate::output::{emit_json, write_json, write_text, ResultsDir};
use crate::pictures::{config_lists, panel, picture_rows, save_robot_picture};
use crate::progress::BarProgress;
use mace_viz::Panel;

/// Arguments of `mace bench ik-table1`.
#[derive(Debug, Args)]
pub(crate) struct Table1Args {
    #[command(flatten)]
    robot: RobotArgs,
    /// Number of targets.
    #[arg(long, default_value_t = 10, value_parser = crate::limits::problems())]
    targets: usize,
    /// Samples drawn from each model to score it.
    #[arg(long, default_value_t = 1000, value_parser = crate::limits::samples())]
    samples: usize,
    /// Seed of the targets, the tuning and the evaluation.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    #[command(flatten)]
    knobs: TuneKnobs,
    #[command(flatten)]
    scope: IkScopeArgs,
    /// Prior folder (default: the shipped prior; with `--pose`, the shipped pose prior if the
    /// robot has one).
    #[arg(long, value_name = "DIR")]
    prior: Option<PathBuf>,
    /// Pose targets: each target also asks for the tool orientation of the IK answer that
    /// admitted it; the score counts the rotation error.
    #[arg(long)]
    pose: bool,
    #[command(flatten)]
    json: JsonArg,
    /// Output folder: `table.md`, `table1.json`, and per target `target_XX.png` (prior | MACE |
    /// IS samples over the wall) and `target_XX_samples.json` (every evaluated configuration).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

/// Runs Table 1.
pub(crate) fn table1(args: Table1Args, force: bool) -> anyhow::Result<()> {
    let started = Instant::now();
    let robot = args.robot.load()?;
    let chain = &robot.chain;
    let out = args
        .out
        .as_deref()
        .map(|d| ResultsDir::new(d, force))
        .transpose()?;
    let prior = if args.pose {
        mace_lab::ik::pose::load_any_prior(args.prior.as_deref(), &robot)?
    } else {
        load_prior(args.prior.as_deref(), &robot)?
    };
    let config = Table1Config {
        pose: args.pose,
        targets: args.targets,
        samples: args.samples,
        seed: args.seed,
        tune: args.knobs.apply(TuneConfig::panda_ik_fast(), args.seed),
        scope: args.scope.scope(TUNE_MARGIN)?,
    };
    let table = run_table1(&prior, chain, &config, &mut BarProgress::new(false))?;
    let markdown = table.markdown();
    crate::term::say_raw(&markdown);
    if let Some(dest) = &args.json.json {
        emit_json(dest, &table, force)?;
    }
    if let Some(dir) = out {
        let start = Instant::now();
        let wall = Scene::by_name("wall")?;
        let dof = chain.dof();
        for (i, s) in table.samples.iter().enumerate() {
            let scene = Scene {
                target: s.target,
                ..wall.clone()
            };
            save_robot_picture(
                chain,
                &scene,
                &[
                    panel("prior", picture_rows(&s.prior, dof)),
                    panel("MACE posterior", picture_rows(&s.mace, dof)),
                    panel("IS posterior", picture_rows(&s.is, dof)),
                ],
                &dir.file(&format!("target_{:02}.png", i + 1)),
                false,
            )?;
            // Every evaluated configuration, for checks in another engine (tools/mesh_check.py).
            write_json(
                &dir.file(&format!("target_{:02}_samples.json", i + 1)),
                &serde_json::json!({
                    "target": s.target,
                    "prior": config_lists(&s.prior, dof),
                    "mace": config_lists(&s.mace, dof),
                    "is": config_lists(&s.is, dof),
                }),
                false,
            )?;
        }
        write_text(&dir.file("table.md"), markdown.trim_start(), false)?;
        write_json(&dir.file("table1.json"), &table, false)?;
        let path = dir.path().to_path_buf();
        dir.publish()?;
        eprintln!(
            "table.md, table1.json and {} target pictures written to {} (pictures {:.2} s of {:.1} s)",
            table.rows.len(),
            path.display(),
            start.elapsed().as_secs_f64(),
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

/// Arguments of `mace bench ik-table2`.
#[derive(Debug, Args)]
pub(crate) struct Table2Args {
    #[command(flatten)]
    robot: RobotArgs,
    /// Trials per method.
    #[arg(long, default_value_t = 30, value_parser = crate::limits::problems())]
    trials: usize,
    /// Seed of the first trial (trial t uses seed + t).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Time budget per solve, seconds.
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
    budget: f64,
    /// Safety margin, metres (see `mace ik solve --clearance`).
    #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
    clearance: f32,
    /// `prior` stops once its best collision-free sample is this close, metres (0 = all 20
    /// batches, as the paper).
    #[arg(long, default_value_t = 0.01, allow_negative_numbers = true)]
    prior_stop: f32,
    /// `numeric` with one random-restart stream instead of two (one per core).
    #[arg(long)]
    sequential: bool,
    /// Prior folder (default: the robot's shipped prior, assets/priors/ROBOT-ik).
    #[arg(long, value_name = "DIR")]
    prior: Option<PathBuf>,
    /// Tuning settings of the `mace` row (tune, then sample).
    #[command(flatten, next_help_heading = "Tuning (the `mace` row)")]
    knobs: TuneKnobs,
    #[command(flatten, next_help_heading = "Tuning (the `mace` row)")]
    scope: IkScopeArgs,
    /// Skip the `mace` row (it tunes once per trial, so it is the slowest row).
    #[arg(long)]
    no_mace: bool,
    #[command(flatten)]
    json: JsonArg,
    /// Output folder: `table.md`, `table2.json` and `answers.png` (the answers of each method,
    /// one panel per method, over the box scene).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

/// Runs Table 2.
pub(crate) fn table2(args: Table2Args, force: bool) -> anyhow::Result<()> {
    let started = Instant::now();
    let robot = args.robot.load()?;
    let chain = &robot.chain;
    let out = args
        .out
        .as_deref()
        .map(|d| ResultsDir::new(d, force))
        .transpose()?;
    let prior = load_prior(args.prior.as_deref(), &robot)?;
    let config = Table2Config {
        trials: args.trials,
        seed: args.seed,
        budget: args.budget,
        clearance: args.clearance,
        prior_stop: args.prior_stop,
        parallel: !args.sequential,
        tune: with_solve_budget(
            args.knobs.apply(solve_tune_preset(), args.seed),
            args.budget,
        ),
        scope: args.scope.scope(0.0)?,
        mace_row: !args.no_mace,
    };
    let table = run_table2(&prior, chain, &config, &mut BarProgress::new(false))?;
    let md = table.markdown();
    crate::term::say_raw(&md);
    if let Some(json) = &args.json.json {
        emit_json(json, &table, force)?;
    }
    if let Some(dir) = out {
        let start = Instant::now();
        let dof = chain.dof();
        let answers: Vec<(Vec<f32>, Vec<bool>)> = table
            .methods
            .iter()
            .map(|m| {
                let ok: Vec<&SolveReport> = m.reports.iter().filter(|r| r.q.len() == dof).collect();
                (
                    ok.iter().flat_map(|r| r.q.iter().copied()).collect(),
                    ok.iter().map(|r| !r.collision_free).collect(),
                )
            })
            .collect();
        let titles: Vec<String> = table
            .methods
            .iter()
            .map(|m| {
                format!(
                    "{} ({}/{} solved)",
                    m.row, m.summary.solved, m.summary.trials
                )
            })
            .collect();
        let panels: Vec<Panel<'_>> = titles
            .iter()
            .zip(&answers)
            .map(|(title, (q, c))| Panel {
                title,
                configs: q,
                colliding: Some(c),
                alpha: None,
            })
            .collect();
        let scene = Scene::by_name("box")?;
        save_robot_picture(chain, &scene, &panels, &dir.file("answers.png"), false)?;
        let picture_s = start.elapsed().as_secs_f64();
        write_text(&dir.file("table.md"), &md, false)?;
        write_json(&dir.file("table2.json"), &table, false)?;
        let path = dir.path().to_path_buf();
        dir.publish()?;
        eprintln!(
            "table.md, table2.json and answers.png written to {} (picture {:.2} s of {:.1} s)",
            path.display(),
            picture_s,
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
