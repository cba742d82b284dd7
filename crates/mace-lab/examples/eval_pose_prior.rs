//! How well a pose prior alone reaches poses: the best of 1000 samples within 5 mm and 5° on
//! 200 reachable poses (the tool poses of self-collision-free random configurations, seed 7).
//!
//! `cargo run --release -p mace-lab --example eval_pose_prior -- [ROBOT] [PRIOR_DIR] [TARGETS]
//! [SAMPLES] [SEED]` (defaults: panda, its shipped pose prior, 200, 1000, 7; `-` keeps a
//! default; ROBOT a shipped robot's name or a URDF or robot file); prints the table, or the
//! report as JSON with `--json` last.

use mace_lab::ik::{evaluate_pose_prior, load_pose_prior};
use mace_robot::Robot;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let json = args.last().is_some_and(|a| a == "--json");
    if json {
        args.pop();
    }
    let arg = |i: usize| args.get(i).filter(|a| *a != "-").cloned();
    let robot = Robot::load(&arg(0).unwrap_or_else(|| "panda".into()), &[])?;
    let dir = arg(1).map(std::path::PathBuf::from);
    let number = |i: usize, default: u64| -> Result<u64, std::num::ParseIntError> {
        arg(i).map_or(Ok(default), |a| a.parse())
    };
    let prior = load_pose_prior(dir.as_deref(), &robot)?;
    let report = evaluate_pose_prior(
        &prior,
        &robot,
        number(2, 200)? as usize,
        number(3, 1000)? as usize,
        number(4, 7)?,
    )?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.markdown());
    }
    Ok(())
}
