//! `mace bench ik-pose`: pose targets (position and orientation) in free space and in the box
//! (the experiment is `mace_lab::ik::run_pose_bench`).

use std::path::PathBuf;

use clap::Args;
use mace_lab::ik::trials::{solve_config, solve_tune_preset, with_solve_budget};
use mace_lab::ik::{run_pose_bench, PoseBenchConfig};

use crate::args::{JsonArg, RobotArgs};
use crate::output::emit_json;
use crate::progress::BarProgress;

/// Arguments of `mace bench ik-pose`.
#[derive(Debug, Args)]
pub(crate) struct PoseBenchArgs {
    #[command(flatten)]
    robot: RobotArgs,
    /// Targets per setting (free space, box).
    #[arg(long, default_value_t = 200, value_parser = crate::limits::problems())]
    targets: usize,
    /// Methods to compare, comma-separated: `prior`, `numeric`, `hybrid`, `mace`.
    #[arg(long, value_delimiter = ',', default_value = "prior,numeric,hybrid,mace", value_parser = super::ik_solve::parse_method)]
    methods: Vec<mace_robot::solve::Method>,
    /// Targets of the `mace` rows (each tunes the prior first; 0 = no `mace` rows).
    #[arg(long, default_value_t = 10)]
    mace_targets: usize,
    /// Seed of the targets (target t is solved with seed + t).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Time budget per solve, seconds.
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
    budget: f64,
    /// Position tolerance of an answer, metres.
    #[arg(
        long,
        value_name = "M",
        default_value_t = 1e-4,
        allow_negative_numbers = true
    )]
    pos_tol: f32,
    /// Rotation tolerance of an answer, degrees.
    #[arg(
        long,
        value_name = "DEG",
        default_value_t = 0.1,
        allow_negative_numbers = true
    )]
    rot_tol: f32,
    /// Prior folder (default: the robot's shipped pose prior, else its position prior).
    #[arg(long, value_name = "DIR")]
    prior: Option<PathBuf>,
    /// No progress bars.
    #[arg(long, short)]
    quiet: bool,
    #[command(flatten)]
    json: JsonArg,
}

/// Runs the pose bench.
pub(crate) fn pose(args: PoseBenchArgs, force: bool) -> anyhow::Result<()> {
    let robot = args.robot.load()?;
    if let Some(dest) = &args.json.json {
        mace_core::fs::check_writable(dest, force)?;
    }
    mace_lab::ik::pose::check_tolerances(args.pos_tol, args.rot_tol)?;
    let prior = mace_lab::ik::pose::load_any_prior(args.prior.as_deref(), &robot)?;
    let mut solve = solve_config(args.budget, 0.0, 1e-3)?;
    solve.tolerance = args.pos_tol;
    solve.ik.rotation_tolerance = args.rot_tol.to_radians();
    let config = PoseBenchConfig {
        targets: args.targets,
        methods: args.methods,
        mace_targets: args.mace_targets,
        seed: args.seed,
        solve,
        budget_s: args.budget,
        pos_tol_m: args.pos_tol,
        rot_tol_deg: args.rot_tol,
        tune: with_solve_budget(solve_tune_preset(), args.budget),
    };
    let bench = run_pose_bench(
        &robot.chain,
        &robot.name,
        &prior,
        &config,
        &mut BarProgress::new(args.quiet),
    )?;
    crate::term::say_raw(&bench.markdown());
    if let Some(dest) = &args.json.json {
        emit_json(dest, &bench, force)?;
    }
    Ok(())
}
