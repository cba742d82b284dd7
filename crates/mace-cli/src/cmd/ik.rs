//! `mace ik …`: robot kinematics and collision checks (the robot simulator of `mace-robot`).
//!
//! - `mace ik fk --configs FILE [--json [OUT]]`
//! - `mace ik check --scene NAME|FILE.toml (--configs FILE | --random N --seed S) [--json [OUT]]`
//!
//! `FILE` is either the reference test-data layout (`{"samples": [{"q": [...]}, …]}`) or a JSON
//! array of configurations (each an array of `dof` joint values, rad). `--json` alone prints JSON to
//! stdout; `--json OUT` writes it to the file `OUT`; without it a readable table is printed.
//! Joint values outside the limits are flagged (`out_of_limits`), never rejected.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use mace_robot::{CollisionModel, IkScore, KinematicChain, Scene};
use rand::{rngs::StdRng, SeedableRng};
use serde::Serialize;

use crate::output::write_json;

/// Subcommands of `mace ik`.
#[derive(Debug, Subcommand)]
pub(crate) enum IkCommand {
    /// Forward kinematics of the Panda: TCP and link positions of each configuration.
    Fk(FkArgs),
    /// Collision check (self, scene boxes, ground) and IK score of configurations in a scene.
    Check(CheckArgs),
    /// Numeric IK (damped least squares, restarts, collision rejection) for a scene's target.
    Solve(SolveArgs),
    /// Write N random self-collision-free configurations and their TCPs as safetensors.
    Dataset(DatasetArgs),
    /// Train the IK prior (autoregressive Gaussian mixture) on a dataset.
    Train(super::prior::TrainArgs),
    /// Sample configurations from the IK prior for a target.
    Sample(super::prior::SampleArgs),
    /// Measure the IK prior's quality on reachable targets (TCP error, self-collision, diversity).
    EvalPrior(super::prior::EvalPriorArgs),
}

/// Arguments of `mace ik solve`.
#[derive(Debug, Args)]
pub(crate) struct SolveArgs {
    /// Scene: `wall`, `window`, `box`, or a path to a scene `.toml` file.
    #[arg(long, value_name = "NAME|FILE")]
    scene: String,
    /// Target x,y,z in metres (default: the scene's target).
    #[arg(long, value_name = "X,Y,Z", value_delimiter = ',', num_args = 3)]
    target: Option<Vec<f32>>,
    /// Independent solves (seeds seed, seed+1, …); the summary gives median time and success.
    #[arg(long, default_value_t = 1)]
    trials: usize,
    /// Seed of the first solve.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Time budget per solve, seconds.
    #[arg(long, default_value_t = 1.0)]
    budget: f64,
    /// Run restart streams on all threads, first to converge wins (not bit-reproducible).
    #[arg(long)]
    parallel: bool,
    /// Print JSON to stdout (`--json`) or write it to a file (`--json OUT`) instead of text.
    #[arg(long, value_name = "OUT", num_args = 0..=1, default_missing_value = "-")]
    json: Option<PathBuf>,
}

/// Arguments of `mace ik dataset`.
#[derive(Debug, Args)]
pub(crate) struct DatasetArgs {
    /// Number of configurations.
    #[arg(long)]
    n: usize,
    /// Seed of the draws.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Output file (safetensors: `q` (n, 7), `tcp` (n, 3)).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
}

/// Arguments of `mace ik fk`.
#[derive(Debug, Args)]
pub(crate) struct FkArgs {
    /// JSON file: `{"samples": [{"q": [...]}, …]}` or `[[q1..q7], …]` (rad).
    #[arg(long, value_name = "FILE")]
    configs: PathBuf,
    /// Print JSON to stdout (`--json`) or write it to a file (`--json OUT`) instead of a table.
    #[arg(long, value_name = "OUT", num_args = 0..=1, default_missing_value = "-")]
    json: Option<PathBuf>,
}

/// Arguments of `mace ik check`.
#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    /// Scene: `wall`, `window`, `box`, or a path to a scene `.toml` file.
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
    #[arg(long, value_name = "N")]
    random: Option<usize>,
    /// Seed of the random configurations.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Print JSON to stdout (`--json`) or write it to a file (`--json OUT`) instead of a table.
    #[arg(long, value_name = "OUT", num_args = 0..=1, default_missing_value = "-")]
    json: Option<PathBuf>,
}

/// Runs an `ik` subcommand.
pub(crate) fn run(command: IkCommand) -> anyhow::Result<()> {
    match command {
        IkCommand::Fk(args) => fk(args),
        IkCommand::Check(args) => check(args),
        IkCommand::Solve(args) => solve(args),
        IkCommand::Dataset(args) => dataset(args),
        IkCommand::Train(args) => super::prior::train(args),
        IkCommand::Sample(args) => super::prior::sample(args),
        IkCommand::EvalPrior(args) => super::prior::eval_prior(args),
    }
}

#[derive(Serialize)]
struct SolveSummary {
    scene: String,
    target: [f32; 3],
    trials: usize,
    converged: usize,
    success_rate: f64,
    median_seconds: f64,
    median_seconds_converged: Option<f64>,
    median_error: f64,
    reports: Vec<mace_robot::IkReport>,
}

fn solve(args: SolveArgs) -> anyhow::Result<()> {
    let chain = KinematicChain::panda();
    let scene = Scene::by_name(&args.scene)?;
    let target = match &args.target {
        Some(t) => [t[0], t[1], t[2]],
        None => scene.target,
    };
    if args.trials == 0 {
        bail!("--trials must be at least 1");
    }
    if !(args.budget > 0.0 && args.budget.is_finite()) {
        bail!(
            "--budget must be a positive number of seconds, got {}",
            args.budget
        );
    }
    let config = mace_robot::IkConfig {
        time_budget: Some(std::time::Duration::from_secs_f64(args.budget)),
        ..mace_robot::IkConfig::panda()
    };
    let solver = mace_robot::IkSolver::new(CollisionModel::new(&chain, &scene), config);
    let reports: Vec<mace_robot::IkReport> = (0..args.trials)
        .map(|t| {
            let seed = args.seed + t as u64;
            if args.parallel {
                solver.solve_parallel(target, None, seed.wrapping_mul(1000))
            } else {
                solver.solve(target, None, &mut StdRng::seed_from_u64(seed))
            }
        })
        .collect();
    let median = |mut v: Vec<f64>| -> Option<f64> {
        if v.is_empty() {
            return None;
        }
        v.sort_by(f64::total_cmp);
        Some(v[v.len() / 2])
    };
    let converged: Vec<&mace_robot::IkReport> = reports
        .iter()
        .filter(|r| r.status == mace_robot::IkStatus::Converged)
        .collect();
    let summary = SolveSummary {
        scene: scene.name.clone(),
        target,
        trials: args.trials,
        converged: converged.len(),
        success_rate: converged.len() as f64 / args.trials as f64,
        median_seconds: median(reports.iter().map(|r| r.seconds).collect()).unwrap_or(0.0),
        median_seconds_converged: median(converged.iter().map(|r| r.seconds).collect()),
        median_error: median(reports.iter().map(|r| r.error as f64).collect()).unwrap_or(0.0),
        reports,
    };
    if let Some(json) = &args.json {
        return emit(json, &summary);
    }
    for (i, r) in summary.reports.iter().enumerate() {
        println!(
            "trial {i}: {:?}, error {:.3e} m, collision-free {}, {} iterations, {} restarts, {:.4} s",
            r.status, r.error, r.collision_free, r.iterations, r.restarts, r.seconds
        );
    }
    println!(
        "scene {} target {:?}: {}/{} converged; median time {:.4} s (converged only: {}); median error {:.3e} m",
        summary.scene,
        summary.target,
        summary.converged,
        summary.trials,
        summary.median_seconds,
        summary.median_seconds_converged.map_or("n/a".to_string(), |s| format!("{s:.4} s")),
        summary.median_error
    );
    Ok(())
}

fn dataset(args: DatasetArgs) -> anyhow::Result<()> {
    let chain = KinematicChain::panda();
    let start = Instant::now();
    let d = mace_robot::Dataset::generate(
        &chain,
        &mace_robot::DatasetConfig {
            n: args.n,
            seed: args.seed,
        },
    )?;
    d.save_safetensors(&chain, &args.out)?;
    println!(
        "wrote {} self-collision-free configurations (seed {}) to {} in {:.2} s",
        d.len(),
        args.seed,
        args.out.display(),
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Reads configurations from `path`: the reference layout or a plain array; checks lengths.
fn read_configs(path: &Path, dof: usize) -> anyhow::Result<Vec<f32>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("parsing {} as JSON", path.display()))?;
    let rows: Vec<&serde_json::Value> = match &value {
        serde_json::Value::Array(a) => a.iter().collect(),
        serde_json::Value::Object(o) if o.contains_key("samples") => {
            let Some(samples) = o["samples"].as_array() else {
                bail!("{}: `samples` must be an array", path.display());
            };
            samples
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    s.get("q")
                        .with_context(|| format!("{}: samples[{i}] has no `q`", path.display()))
                })
                .collect::<anyhow::Result<_>>()?
        }
        _ => bail!(
            "{}: expected a JSON array of configurations or an object with `samples[].q`",
            path.display()
        ),
    };
    if rows.is_empty() {
        bail!("{}: no configurations (empty batch)", path.display());
    }
    let mut q = Vec::with_capacity(rows.len() * dof);
    for (i, row) in rows.iter().enumerate() {
        let Some(vals) = row.as_array() else {
            bail!(
                "{}: configuration {i} is not an array of numbers",
                path.display()
            );
        };
        if vals.len() != dof {
            bail!(
                "{}: configuration {i} has {} joint values, expected {dof}",
                path.display(),
                vals.len()
            );
        }
        for (j, v) in vals.iter().enumerate() {
            let Some(x) = v.as_f64() else {
                bail!(
                    "{}: configuration {i}, joint {j}: `{v}` is not a number",
                    path.display()
                );
            };
            if !x.is_finite() {
                bail!(
                    "{}: configuration {i}, joint {j} is not finite",
                    path.display()
                );
            }
            q.push(x as f32);
        }
    }
    Ok(q)
}

fn out_of_limits(chain: &KinematicChain, q: &[f32]) -> Vec<String> {
    chain
        .out_of_limits(q)
        .into_iter()
        .map(|j| chain.joints()[j].name.clone())
        .collect()
}

fn emit<T: Serialize>(json: &Path, value: &T) -> anyhow::Result<()> {
    if json == Path::new("-") {
        println!("{}", serde_json::to_string(value)?);
        Ok(())
    } else {
        write_json(json, value)
    }
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

fn fk(args: FkArgs) -> anyhow::Result<()> {
    let chain = KinematicChain::panda();
    let dof = chain.dof();
    let q = read_configs(&args.configs, dof)?;
    let n = q.len() / dof;
    let poses = chain.forward_kinematics(&q)?;
    let nl = chain.links().len();
    let tip = chain.tip();
    let tcp: Vec<[f32; 3]> = (0..n).map(|i| poses[i * nl + tip].trans).collect();
    let ool: Vec<OutOfLimits> = (0..n)
        .filter_map(|i| {
            let joints = out_of_limits(&chain, &q[i * dof..(i + 1) * dof]);
            (!joints.is_empty()).then_some(OutOfLimits { index: i, joints })
        })
        .collect();
    if let Some(json) = &args.json {
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
        return emit(
            json,
            &FkOutput {
                tcp,
                links,
                out_of_limits: ool,
            },
        );
    }
    println!(
        "{:>6} {:>9} {:>9} {:>9}  note",
        "index", "tcp_x", "tcp_y", "tcp_z"
    );
    for (i, t) in tcp.iter().enumerate() {
        let note = ool
            .iter()
            .find(|o| o.index == i)
            .map(|o| format!("outside limits: {}", o.joints.join(", ")));
        println!(
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

fn check(args: CheckArgs) -> anyhow::Result<()> {
    let chain = KinematicChain::panda();
    let dof = chain.dof();
    let scene = Scene::by_name(&args.scene)?;
    let model = CollisionModel::new(&chain, &scene);
    let score = IkScore {
        target: scene.target,
    };
    let (q, seed) = match (&args.configs, args.random) {
        (Some(path), _) => (read_configs(path, dof)?, None),
        (None, Some(0)) => bail!("--random 0: at least one configuration is needed (empty batch)"),
        (None, Some(n)) => (
            chain.sample_uniform(n, &mut StdRng::seed_from_u64(args.seed)),
            Some(args.seed),
        ),
        (None, None) => bail!("give --configs FILE or --random N"),
    };
    let n = q.len() / dof;
    let start = Instant::now();
    let results = model.check_with_tcp_batch(&q)?;
    let seconds = start.elapsed().as_secs_f64();
    let frac = |f: &dyn Fn(&mace_robot::CollisionFlags) -> bool| {
        results.iter().filter(|(c, _)| f(c)).count() as f64 / n as f64
    };
    let rows: Vec<CheckRow> = results
        .iter()
        .enumerate()
        .map(|(i, (f, tcp))| CheckRow {
            index: i,
            collides: f.any(),
            self_collision: f.self_collision,
            obstacle_collision: f.obstacle_collision,
            ground_collision: f.ground_collision,
            tcp: *tcp,
            score: score.score_one(f, *tcp),
            out_of_limits: out_of_limits(&chain, &q[i * dof..(i + 1) * dof]),
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
    if let Some(json) = &args.json {
        return emit(json, &CheckOutput { summary, configs });
    }
    if !configs.is_empty() {
        println!(
            "{:>6} {:>8} {:>5} {:>5} {:>6} {:>9} {:>9} {:>9} {:>7}  note",
            "index", "collides", "self", "obst", "ground", "tcp_x", "tcp_y", "tcp_z", "score"
        );
        for r in &configs {
            let note = if r.out_of_limits.is_empty() {
                String::new()
            } else {
                format!("outside limits: {}", r.out_of_limits.join(", "))
            };
            println!(
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
    println!(
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

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, text: &str) -> PathBuf {
        let p = std::env::temp_dir().join(format!("mace_ik_{}_{name}.json", std::process::id()));
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn reads_both_layouts() {
        let a = file("array", "[[0,0,0,-1,0,1,0],[0.1,0,0,-1,0,1,0]]");
        assert_eq!(read_configs(&a, 7).unwrap().len(), 14);
        let b = file(
            "samples",
            r#"{"samples": [{"q": [0,0,0,-1,0,1,0], "x": 1}]}"#,
        );
        assert_eq!(read_configs(&b, 7).unwrap().len(), 7);
    }

    #[test]
    fn bad_files_name_the_problem() {
        let missing = std::env::temp_dir().join("mace_ik_does_not_exist.json");
        let e = format!("{:#}", read_configs(&missing, 7).unwrap_err());
        assert!(e.contains("mace_ik_does_not_exist.json"), "{e}");
        let short = file("short", "[[0,0,0,-1,0,1,0],[0,0,0]]");
        let e = format!("{:#}", read_configs(&short, 7).unwrap_err());
        assert!(
            e.contains("configuration 1 has 3 joint values, expected 7"),
            "{e}"
        );
        let nan = file("nan", "[[0,0,0,-1,null,1,0]]");
        let e = format!("{:#}", read_configs(&nan, 7).unwrap_err());
        assert!(e.contains("configuration 0, joint 4"), "{e}");
        let empty = file("empty", "[]");
        let e = format!("{:#}", read_configs(&empty, 7).unwrap_err());
        assert!(e.contains("empty batch"), "{e}");
        let garbage = file("garbage", "{not json");
        let e = format!("{:#}", read_configs(&garbage, 7).unwrap_err());
        assert!(e.contains("parsing"), "{e}");
    }
}
