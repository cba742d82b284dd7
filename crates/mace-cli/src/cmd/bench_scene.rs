//! `mace bench ik-scene`: IK for any robot in any scene (the experiment is
//! `mace_lab::ik::run_scene_bench`): targets whose known answers pass near the obstacles, the
//! time, accuracy and collision of every method's answer.

use std::path::PathBuf;

use clap::Args;
use mace_lab::ik::trials::solve_config;
use mace_lab::ik::{load_prior, run_scene_bench, scene_with_target, SceneBenchConfig};
use mace_robot::solve::Method;

use crate::args::{JsonArg, RobotArgs};
use crate::output::{emit_json, write_json, write_text, ResultsDir};
use crate::pictures::save_robot_picture;
use crate::progress::BarProgress;
use mace_viz::Panel;

/// Arguments of `mace bench ik-scene`.
#[derive(Debug, Args)]
pub(crate) struct SceneBenchArgs {
    #[command(flatten)]
    robot: RobotArgs,
    /// Scene: `wall`, `window`, `box`, `shelf`, `cloud`, `cell` or a scene `.toml` file.
    #[arg(long, value_name = "NAME|FILE", default_value = "shelf")]
    scene: String,
    /// Number of targets.
    #[arg(long, default_value_t = 200, value_parser = crate::limits::problems())]
    targets: usize,
    /// Methods to compare, comma-separated: `prior`, `numeric`, `hybrid`.
    #[arg(long, value_delimiter = ',', default_value = "hybrid")]
    methods: Vec<Method>,
    /// Seed of the targets (target t is solved with seed + t).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Time budget per solve, seconds.
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
    budget: f64,
    /// A target's known answer passes within this distance of the obstacles, metres.
    #[arg(long, default_value_t = 0.05, allow_negative_numbers = true)]
    near: f32,
    /// Prior folder (default: the robot's shipped prior).
    #[arg(long, value_name = "DIR")]
    prior: Option<PathBuf>,
    /// No progress bars.
    #[arg(long, short)]
    quiet: bool,
    #[command(flatten)]
    json: JsonArg,
    /// Output folder: `table.md`, `scene.json` (every target and answer) and `answers.png`.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

/// Runs the scene bench.
pub(crate) fn scene(args: SceneBenchArgs, force: bool) -> anyhow::Result<()> {
    let robot = args.robot.load()?;
    let out = args
        .out
        .as_deref()
        .map(|d| ResultsDir::new(d, force))
        .transpose()?;
    if let Some(dest) = &args.json.json {
        mace_core::fs::check_writable(dest, force)?;
    }
    if !(args.near > 0.0 && args.near.is_finite()) {
        anyhow::bail!(
            "--near must be a positive distance in metres, got {}",
            args.near
        );
    }
    let scene = scene_with_target(&args.scene, None)?;
    let needs_prior = args.methods.iter().any(|m| m.needs_prior());
    let prior = if needs_prior {
        Some(load_prior(args.prior.as_deref(), &robot)?)
    } else {
        None
    };
    let config = SceneBenchConfig {
        methods: args.methods.clone(),
        solve: solve_config(args.budget, 0.0, 1e-3)?,
        near: args.near,
        ..SceneBenchConfig::new(args.targets, args.seed)
    };
    let bench = run_scene_bench(
        prior.as_ref(),
        &robot,
        &scene,
        &args.scene,
        &config,
        &mut BarProgress::new(args.quiet),
    )?;
    let md = bench.markdown();
    crate::term::say_raw(&md);
    if let Some(dest) = &args.json.json {
        emit_json(dest, &bench, force)?;
    }
    if let Some(dir) = out {
        let dof = robot.chain.dof();
        let per_method: Vec<(String, Vec<f32>, Vec<bool>)> = config
            .methods
            .iter()
            .map(|&m| {
                let mine: Vec<_> = bench.solves.iter().filter(|s| s.method == m).collect();
                (
                    m.name().to_string(),
                    mine.iter().flat_map(|s| s.q.iter().copied()).collect(),
                    mine.iter().map(|s| !s.collision_free).collect(),
                )
            })
            .collect();
        let panels: Vec<Panel<'_>> = per_method
            .iter()
            .map(|(title, q, c)| Panel {
                title,
                configs: q,
                colliding: Some(c),
                alpha: None,
            })
            .collect();
        debug_assert!(per_method.iter().all(|(_, q, _)| q.len() % dof == 0));
        save_robot_picture(
            &robot.chain,
            &scene,
            &panels,
            &dir.file("answers.png"),
            false,
        )?;
        write_text(&dir.file("table.md"), &md, false)?;
        write_json(&dir.file("scene.json"), &bench, false)?;
        let path = dir.path().to_path_buf();
        dir.publish()?;
        eprintln!(
            "table.md, scene.json and answers.png written to {}",
            path.display()
        );
    }
    Ok(())
}
