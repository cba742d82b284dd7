//! `mace ik …`: robot kinematics and collision checks, datasets, and the dispatch of the IK
//! prior's commands (train, sample, eval-prior), tuning and solving.
//!
//! Configuration files (`--configs FILE`) are JSON: `[[q1, …], …]`, `[{"q": [...]}, …]` or the
//! reference layout `{"samples": [{"q": [...]}, …]}` (`mace_robot::config_file`). Joint values
//! outside the limits are flagged (`out_of_limits`), never rejected.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::bail;
use clap::{Args, Subcommand};
use mace_robot::config_file::read_configs;
use mace_robot::{CollisionModel, IkScore, KinematicChain};
use rand::{rngs::StdRng, SeedableRng};
use serde::Serialize;

use crate::args::{JsonArg, RobotArgs};
use crate::output::emit_json;
use crate::say;

/// Subcommands of `mace ik`.
#[derive(Debug, Subcommand)]
pub(crate) enum IkCommand {
    /// What was loaded from a robot description: chain ends, joints and limits, links and
    /// their collision shapes, pairs never checked.
    Robot(super::ik_robot::RobotInfoArgs),
    /// Forward kinematics: TCP and link positions of each configuration.
    Fk(FkArgs),
    /// Collision check (self, scene obstacles, ground) and IK score of configurations in a scene.
    Check(CheckArgs),
    /// Collision-free IK for a scene's target: prior samples, numeric IK (damped least squares,
    /// restarts) or hybrid (prior samples refined by the numeric IK).
    Solve(super::ik_solve::SolveArgs),
    /// Draw reachable targets: TCPs of random configurations free of collision in a scene
    /// (for `mace ik solve --targets`).
    Targets(super::ik_batch::TargetsArgs),
    /// Write N random self-collision-free configurations and their TCPs as safetensors.
    Dataset(DatasetArgs),
    /// Train the IK prior (autoregressive Gaussian mixture) for a robot, on a dataset or on
    /// configurations drawn here.
    Train(super::ik_prior::TrainArgs),
    /// Tune the IK prior to a scene with MACE (or IS) and evaluate the posterior.
    Tune(super::ik_tune::TuneArgs),
    /// Sample configurations from the IK prior for a target.
    Sample(super::ik_prior::SampleArgs),
    /// Measure the IK prior's quality on reachable targets (TCP error, self-collision, diversity).
    EvalPrior(super::ik_prior::EvalPriorArgs),
}

/// Runs an `ik` subcommand.
pub(crate) fn run(command: IkCommand, force: bool) -> anyhow::Result<()> {
    match command {
        IkCommand::Robot(args) => super::ik_robot::robot(args, force),
        IkCommand::Fk(args) => fk(args, force),
        IkCommand::Check(args) => check(args, force),
        IkCommand::Solve(args) if args.targets.is_some() => {
            super::ik_batch::solve_targets(args, force)
        }
        IkCommand::Solve(args) => super::ik_solve::solve(args, force),
        IkCommand::Targets(args) => super::ik_batch::targets(args, force),
        IkCommand::Dataset(args) => dataset(args, force),
        IkCommand::Train(args) => super::ik_prior::train(args, force),
        IkCommand::Tune(args) => super::ik_tune::tune(args, force),
        IkCommand::Sample(args) => super::ik_prior::sample(args, force),
        IkCommand::EvalPrior(args) => super::ik_prior::eval_prior(args, force),
    }
}

/// Arguments of `mace ik dataset`.
#[derive(Debug, Args)]
pub(crate) struct DatasetArgs {
    #[command(flatten)]
    robot: RobotArgs,
    /// Number of configurations.
    #[arg(long, value_parser = crate::limits::count(mace_robot::MAX_DATASET as u64))]
    n: usize,
    /// Seed of the draws.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Output file (safetensors: `q` (n, dof), `tcp` (n, 3), the robot's joints and kinematics
    /// fingerprint).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
}

/// Arguments of `mace ik fk`.
#[derive(Debug, Args)]
pub(crate) struct FkArgs {
    #[command(flatten)]
    robot: RobotArgs,
    /// JSON file: `{"samples": [{"q": [...]}, …]}` or `[[q1..q7], …]` (rad).
    #[arg(long, value_name = "FILE")]
    configs: PathBuf,
    #[command(flatten)]
    json: JsonArg,
}

/// Arguments of `mace ik check`.
#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    #[command(flatten)]
    robot: RobotArgs,
    /// Scene: `wall`, `window`, `box`, `shelf`, `cloud`, `cell` or a scene `.toml` file.
    #[arg(long, value_name = "NAME|FILE")]
    scene: String,
    /// JSON file of configurations (as for `mace ik fk`).
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with = "random",
        required_unless_present = "random"
    )]
    configs: Option<PathBuf>,
    /// Check N configurations drawn uniformly within the joint limits; prints only a summary.
    #[arg(long, value_name = "N", value_parser = crate::limits::samples())]
    random: Option<usize>,
    /// Seed of the random configurations.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    #[command(flatten)]
    json: JsonArg,
}

fn dataset(args: DatasetArgs, force: bool) -> anyhow::Result<()> {
    let robot = args.robot.load()?;
    let chain = &robot.chain;
    let start = Instant::now();
    mace_core::fs::check_writable(&args.out, force)?;
    let d = mace_robot::Dataset::generate(
        chain,
        &mace_robot::DatasetConfig {
            n: args.n,
            seed: args.seed,
        },
    )?;
    d.save_safetensors(chain, &args.out, force)?;
    say!(
        "wrote {} self-collision-free configurations (seed {}) to {} in {:.2} s",
        d.len(),
        args.seed,
        args.out.display(),
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Names of the joints of the configuration `q` outside their limits.
pub(crate) fn out_of_limits(chain: &KinematicChain, q: &[f32]) -> Vec<String> {
    chain
        .out_of_limits(q)
        .into_iter()
        .map(|j| chain.joints()[j].name.clone())
        .collect()
}

#[derive(Serialize)]
struct FkOutput {
    tcp: Vec<[f32; 3]>,
    links: BTreeMap<String, Vec<[f32; 3]>>,
    out_of_limits: Vec<OutOfLimits>,
}

#[derive(Serialize)]
struct OutOfLimits {
    index: usize,
    joints: Vec<String>,
}

fn fk(args: FkArgs, force: bool) -> anyhow::Result<()> {
    let robot = args.robot.load()?;
    let chain = &robot.chain;
    let dof = chain.dof();
    let q = read_configs(&args.configs, dof, None)?;
    let n = q.len() / dof;
    let poses = chain.forward_kinematics(&q)?;
    let nl = chain.links().len();
    let tip = chain.tip();
    let tcp: Vec<[f32; 3]> = (0..n).map(|i| poses[i * nl + tip].trans).collect();
    let ool: Vec<OutOfLimits> = (0..n)
        .filter_map(|i| {
            let joints = out_of_limits(chain, &q[i * dof..(i + 1) * dof]);
            (!joints.is_empty()).then_some(OutOfLimits { index: i, joints })
        })
        .collect();
    if let Some(json) = &args.json.json {
        let links = chain
            .links()
            .iter()
            .enumerate()
            .skip(1)
            .map(|(li, l)| {
                (
                    l.name.clone(),
                    (0..n).map(|i| poses[i * nl + li].trans).collect(),
                )
            })
            .collect();
        return emit_json(
            json,
            &FkOutput {
                tcp,
                links,
                out_of_limits: ool,
            },
            force,
        );
    }
    say!(
        "{:>6} {:>9} {:>9} {:>9}  note",
        "index",
        "tcp_x",
        "tcp_y",
        "tcp_z"
    );
    for (i, t) in tcp.iter().enumerate() {
        let note = ool
            .iter()
            .find(|o| o.index == i)
            .map(|o| format!("outside limits: {}", o.joints.join(", ")));
        say!(
            "{i:>6} {:>9.5} {:>9.5} {:>9.5}  {}",
            t[0],
            t[1],
            t[2],
            note.unwrap_or_default()
        );
    }
    Ok(())
}

#[derive(Serialize)]
struct CheckRow {
    index: usize,
    collides: bool,
    self_collision: bool,
    obstacle_collision: bool,
    ground_collision: bool,
    tcp: [f32; 3],
    score: f32,
    out_of_limits: Vec<String>,
}

#[derive(Serialize)]
struct CheckSummary {
    scene: String,
    n: usize,
    seed: Option<u64>,
    fraction_collides: f64,
    fraction_self_collision: f64,
    fraction_obstacle_collision: f64,
    fraction_ground_collision: f64,
    out_of_limits: usize,
    seconds: f64,
    configs_per_second: f64,
    threads: usize,
}

#[derive(Serialize)]
struct CheckOutput {
    summary: CheckSummary,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    configs: Vec<CheckRow>,
}

fn check(args: CheckArgs, force: bool) -> anyhow::Result<()> {
    let robot = args.robot.load()?;
    let chain = &robot.chain;
    let dof = chain.dof();
    let scene = mace_lab::ik::scene_with_target(&args.scene, None)?;
    let model = CollisionModel::new(chain, &scene);
    let score = IkScore::for_target(&scene.ik_target());
    let (q, seed) = match (&args.configs, args.random) {
        (Some(path), _) => (read_configs(path, dof, None)?, None),
        (None, Some(0)) => bail!("--random 0: at least one configuration is needed (empty batch)"),
        (None, Some(n)) => (
            chain.sample_uniform(n, &mut StdRng::seed_from_u64(args.seed)),
            Some(args.seed),
        ),
        (None, None) => bail!("give --configs FILE or --random N"),
    };
    let n = q.len() / dof;
    let start = Instant::now();
    let results = model.check_with_tool_batch(&q)?;
    let seconds = start.elapsed().as_secs_f64();
    let frac = |f: &dyn Fn(&mace_robot::CollisionFlags) -> bool| {
        results.iter().filter(|(c, _)| f(c)).count() as f64 / n as f64
    };
    let rows: Vec<CheckRow> = results
        .iter()
        .enumerate()
        .map(|(i, (f, tool))| CheckRow {
            index: i,
            collides: f.any(),
            self_collision: f.self_collision,
            obstacle_collision: f.obstacle_collision,
            ground_collision: f.ground_collision,
            tcp: tool.trans,
            score: score.score_one(f, tool, false),
            out_of_limits: out_of_limits(chain, &q[i * dof..(i + 1) * dof]),
        })
        .collect();
    let summary = CheckSummary {
        scene: scene.name.clone(),
        n,
        seed,
        fraction_collides: frac(&|c| c.any()),
        fraction_self_collision: frac(&|c| c.self_collision),
        fraction_obstacle_collision: frac(&|c| c.obstacle_collision),
        fraction_ground_collision: frac(&|c| c.ground_collision),
        out_of_limits: rows.iter().filter(|r| !r.out_of_limits.is_empty()).count(),
        seconds,
        configs_per_second: n as f64 / seconds.max(1e-12),
        threads: rayon::current_num_threads(),
    };
    let configs = if seed.is_some() { Vec::new() } else { rows };
    if let Some(json) = &args.json.json {
        return emit_json(json, &CheckOutput { summary, configs }, force);
    }
    if !configs.is_empty() {
        say!(
            "{:>6} {:>8} {:>5} {:>5} {:>6} {:>9} {:>9} {:>9} {:>7}  note",
            "index",
            "collides",
            "self",
            "obst",
            "ground",
            "tcp_x",
            "tcp_y",
            "tcp_z",
            "score"
        );
        for r in &configs {
            let note = if r.out_of_limits.is_empty() {
                String::new()
            } else {
                format!("outside limits: {}", r.out_of_limits.join(", "))
            };
            say!(
                "{:>6} {:>8} {:>5} {:>5} {:>6} {:>9.5} {:>9.5} {:>9.5} {:>7.4}  {note}",
                r.index,
                r.collides,
                r.self_collision,
                r.obstacle_collision,
                r.ground_collision,
                r.tcp[0],
                r.tcp[1],
                r.tcp[2],
                r.score
            );
        }
    }
    let s = &summary;
    say!(
        "scene {}: {} configurations; colliding {:.4} (self {:.4}, obstacle {:.4}, ground {:.4}); {} outside limits; \
         {:.3} s, {:.0} configurations/s on {} threads",
        s.scene,
        s.n,
        s.fraction_collides,
        s.fraction_self_collision,
        s.fraction_obstacle_collision,
        s.fraction_ground_collision,
        s.out_of_limits,
        s.seconds,
        s.configs_per_second,
        s.threads
    );
    Ok(())
}
