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
    /// Collision-free IK for a scene's target: prior samples, numeric IK (damped least squares,
    /// restarts) or hybrid (prior samples refined by the numeric IK).
    Solve(SolveArgs),
    /// Write N random self-collision-free configurations and their TCPs as safetensors.
    Dataset(DatasetArgs),
    /// Train the IK prior (autoregressive Gaussian mixture) on a dataset.
    Train(super::prior::TrainArgs),
    /// Tune the IK prior to a scene with MACE (or IS) and evaluate the posterior.
    Tune(super::tune::TuneArgs),
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
    pub(crate) scene: String,
    /// Target X Y Z in metres, base frame (also `X,Y,Z`; default: the scene's target).
    #[arg(long, value_names = ["X", "Y", "Z"], num_args = 1..=3, value_delimiter = ',', allow_negative_numbers = true)]
    pub(crate) target: Option<Vec<f32>>,
    /// Solve method: `prior` (best of prior sample batches), `numeric` (DLS IK with random
    /// restarts), `hybrid` (prior samples refined by the numeric IK) or `mace` (tune the prior to
    /// the problem with MACE, then best of posterior sample batches; the time includes tuning).
    #[arg(long, default_value = "numeric", value_parser = parse_method)]
    pub(crate) method: mace_robot::solve::Method,
    /// Independent solves (seeds seed, seed+1, …); the summary gives time, error and success.
    #[arg(long, default_value_t = 1)]
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
    #[arg(long, default_value_t = 0.01)]
    pub(crate) prior_stop: f32,
    /// Samples per prior batch (default: 1024 for `prior`, 128 for `hybrid`).
    #[arg(long, value_name = "N")]
    pub(crate) batch_size: Option<usize>,
    /// `numeric`: run two random-restart streams on the two cores, first to succeed wins (faster,
    /// not bit-reproducible). `hybrid`: run random restarts beside the prior refinement.
    #[arg(long)]
    pub(crate) parallel: bool,
    /// Prior folder for `prior`, `hybrid` and `mace` (default: the shipped assets/priors/panda-ik).
    #[arg(long, value_name = "DIR")]
    pub(crate) prior: Option<PathBuf>,
    /// How `--method mace` tunes the prior before sampling it (defaults: `mace ik tune`'s, with
    /// the solve budget as time budget).
    #[command(flatten, next_help_heading = "Tuning (--method mace)")]
    pub(crate) knobs: super::tune::TuneKnobs,
    #[command(flatten, next_help_heading = "Tuning (--method mace)")]
    pub(crate) scope: super::tune::IkScopeArgs,
    /// Print JSON to stdout (`--json`) or write it to a file (`--json OUT`) instead of text.
    #[arg(long, value_name = "OUT", num_args = 0..=1, default_missing_value = "-")]
    pub(crate) json: Option<PathBuf>,
}

fn parse_method(s: &str) -> Result<mace_robot::solve::Method, String> {
    s.parse()
        .map_err(|e: mace_robot::solve::SolveError| e.to_string())
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
        IkCommand::Tune(args) => super::tune::tune(args),
        IkCommand::Sample(args) => super::prior::sample(args),
        IkCommand::EvalPrior(args) => super::prior::eval_prior(args),
    }
}

/// Summary statistics of one method's trials (seconds, metres).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct SolveStats {
    pub(crate) method: mace_robot::solve::Method,
    pub(crate) trials: usize,
    pub(crate) solved: usize,
    pub(crate) success_rate: f64,
    pub(crate) collision_free_rate: f64,
    pub(crate) time_median_s: f64,
    pub(crate) time_mean_s: f64,
    pub(crate) time_std_s: f64,
    pub(crate) time_max_s: f64,
    /// Over trials whose answer is collision-free.
    pub(crate) error_median_m: Option<f64>,
    pub(crate) error_mean_m: Option<f64>,
    pub(crate) error_std_m: Option<f64>,
    pub(crate) error_max_m: Option<f64>,
    pub(crate) samples_mean: f64,
    pub(crate) iterations_mean: f64,
}

/// Median, mean and (population) standard deviation; `None` for no values.
pub(crate) fn median_mean_std(v: &[f64]) -> Option<(f64, f64, f64)> {
    if v.is_empty() {
        return None;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    let median = if n % 2 == 1 {
        s[n / 2]
    } else {
        0.5 * (s[n / 2 - 1] + s[n / 2])
    };
    let mean = s.iter().sum::<f64>() / n as f64;
    let var = s.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n as f64;
    Some((median, mean, var.sqrt()))
}

impl SolveStats {
    pub(crate) fn of(
        method: mace_robot::solve::Method,
        reports: &[mace_robot::solve::SolveReport],
    ) -> SolveStats {
        let n = reports.len().max(1) as f64;
        let solved = reports
            .iter()
            .filter(|r| r.status == mace_robot::solve::SolveStatus::Solved)
            .count();
        let times: Vec<f64> = reports.iter().map(|r| r.seconds).collect();
        let (tm, ta, ts) = median_mean_std(&times).unwrap_or((0.0, 0.0, 0.0));
        let errors: Vec<f64> = reports
            .iter()
            .filter(|r| r.collision_free && r.error.is_finite())
            .map(|r| r.error as f64)
            .collect();
        let e = median_mean_std(&errors);
        SolveStats {
            method,
            trials: reports.len(),
            solved,
            success_rate: solved as f64 / n,
            collision_free_rate: errors.len() as f64 / n,
            time_median_s: tm,
            time_mean_s: ta,
            time_std_s: ts,
            time_max_s: times.iter().copied().fold(0.0, f64::max),
            error_median_m: e.map(|e| e.0),
            error_mean_m: e.map(|e| e.1),
            error_std_m: e.map(|e| e.2),
            error_max_m: errors.iter().copied().reduce(f64::max),
            samples_mean: reports.iter().map(|r| r.samples as f64).sum::<f64>() / n,
            iterations_mean: reports.iter().map(|r| r.iterations as f64).sum::<f64>() / n,
        }
    }
}

/// A loaded IK prior ready to sample (and to tune), and what loading it cost.
pub(crate) struct LoadedPrior {
    pub(crate) model: mace_models::ArGmm,
    pub(crate) sampler: mace_models::fast::ArGmmSampler,
    pub(crate) dir: PathBuf,
    /// Reading the checkpoint and preparing the fast sampler, seconds.
    pub(crate) load_seconds: f64,
}

/// Loads the prior (`None` = the shipped one) and prepares its fast sampler.
pub(crate) fn load_solve_prior(dir: Option<&Path>) -> anyhow::Result<LoadedPrior> {
    let start = Instant::now();
    let (model, _info, dir) = super::prior::load_prior(dir)?;
    let sampler = mace_models::fast::ArGmmSampler::new(&model)
        .with_context(|| format!("preparing the sampler of {}", dir.display()))?;
    Ok(LoadedPrior {
        model,
        sampler,
        dir,
        load_seconds: start.elapsed().as_secs_f64(),
    })
}

/// How [`Method::Mace`](mace_robot::solve::Method::Mace) tunes the prior before each solve.
pub(crate) struct MaceTuning<'a> {
    /// The scene (its target is replaced by each problem's).
    pub(crate) scene: &'a Scene,
    /// Tuner settings (the seed is replaced by each trial's).
    pub(crate) config: mace_core::TuneConfig,
    pub(crate) scope: super::tune::TuneScope,
}

/// What tuning cost in one `mace` solve.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct TuningCost {
    /// Tuning wall-clock time, seconds (part of the solve's `seconds`).
    pub(crate) seconds: f64,
    /// Optimiser steps taken.
    pub(crate) iterations: usize,
    /// Mean score of the last fresh sample during tuning.
    pub(crate) last_mean_score: f32,
}

/// Runs `trials` solves with seeds `seed`, `seed + 1`, … after one untimed warm-up solve (seed
/// `u64::MAX`, which starts the thread pool and warms the caches); returns the reports, the
/// warm-up time in seconds and, for [`Method::Mace`](mace_robot::solve::Method::Mace), what
/// tuning cost per trial (its time is included in each report's `seconds`).
pub(crate) fn run_trials(
    solver: &mace_robot::solve::Solver,
    method: mace_robot::solve::Method,
    target: [f32; 3],
    prior: Option<&LoadedPrior>,
    mace: Option<&MaceTuning<'_>>,
    trials: usize,
    seed: u64,
) -> anyhow::Result<(Vec<mace_robot::solve::SolveReport>, f64, Vec<TuningCost>)> {
    if method.needs_prior() && prior.is_none() {
        bail!("method {method} needs the IK prior");
    }
    let mut costs = Vec::new();
    let mut one = |rng: &mut StdRng| -> anyhow::Result<mace_robot::solve::SolveReport> {
        if method == mace_robot::solve::Method::Mace {
            let (Some(p), Some(m)) = (prior, mace) else {
                bail!("method mace needs the IK prior and tuning settings");
            };
            let (mut report, cost) = solve_with_mace(solver, p, m, target, rng)?;
            report.seconds += cost.seconds;
            costs.push(cost);
            return Ok(report);
        }
        let mut sampler = |t: [f32; 3], n: usize, rng: &mut StdRng| match prior {
            Some(p) => p.sampler.sample(&t, n, rng),
            None => Vec::new(),
        };
        Ok(solver.solve(method, target, &mut sampler, rng)?)
    };
    let warm = Instant::now();
    one(&mut StdRng::seed_from_u64(u64::MAX))?;
    let warmup = warm.elapsed().as_secs_f64();
    let reports = (0..trials)
        .map(|t| one(&mut StdRng::seed_from_u64(seed.wrapping_add(t as u64))))
        .collect::<anyhow::Result<Vec<_>>>()?;
    costs.drain(..costs.len().min(1)); // the warm-up's
    Ok((reports, warmup, costs))
}

/// One `mace` solve: tunes a copy of the prior to `target` in the scene (seeded from `rng`), then
/// takes the best collision-free sample of posterior batches. The report's `seconds` covers the
/// sampling only; the returned cost says what tuning took.
fn solve_with_mace(
    solver: &mace_robot::solve::Solver,
    prior: &LoadedPrior,
    mace: &MaceTuning<'_>,
    target: [f32; 3],
    rng: &mut StdRng,
) -> anyhow::Result<(mace_robot::solve::SolveReport, TuningCost)> {
    use rand::RngCore;
    let start = Instant::now();
    let scene = Scene {
        target,
        ..mace.scene.clone()
    };
    let config = mace_core::TuneConfig {
        seed: rng.next_u64(),
        ..mace.config.clone()
    };
    let (posterior, report) = super::tune::tune_scene(
        &prior.model,
        solver.model(),
        &scene,
        mace_core::Objective::Mace,
        &config,
        mace.scope,
        &mut mace_core::NoObserver,
    )?;
    let sampler = mace_models::fast::ArGmmSampler::new(posterior.model())
        .context("preparing the tuned posterior's sampler")?;
    let cost = TuningCost {
        seconds: start.elapsed().as_secs_f64(),
        iterations: report.iterations.len(),
        last_mean_score: report
            .iterations
            .iter()
            .rev()
            .find(|i| i.resampled)
            .map_or(0.0, |i| i.score_mean),
    };
    let mut draw = |t: [f32; 3], n: usize, rng: &mut StdRng| sampler.sample(&t, n, rng);
    let r = solver.solve(mace_robot::solve::Method::Mace, target, &mut draw, rng)?;
    Ok((r, cost))
}

/// Mean score at which `--method mace` stops tuning: a solve needs one good sample, so a
/// posterior of which ≈ 10% of the samples are collision-free near the target is enough (the
/// best-of-batches search does the rest).
pub(crate) const SOLVE_TUNE_STOP: f32 = 0.1;

/// The tuner settings of `--method mace`: `mace ik tune`'s defaults, but stopping at
/// [`SOLVE_TUNE_STOP`] and without the elite window or the warm start (in the box, 30 trials:
/// 17/30 solved without the window, 8/30 with it; 12/30 with a warm start of 8192: early on,
/// both keep only the few free samples nearest the best one, and the short tuning ends on
/// them), with `knobs` applied, and the solve budget as time budget unless one is given.
pub(crate) fn solve_tune_config(
    knobs: &super::tune::TuneKnobs,
    budget: f64,
    seed: u64,
) -> mace_core::TuneConfig {
    let base = mace_core::TuneConfig {
        stop_at_score: Some(SOLVE_TUNE_STOP),
        elite_min_ratio: None,
        first_sample_max: None,
        ..mace_core::TuneConfig::panda_ik_fast()
    };
    let mut config = knobs.apply(base, seed);
    config.time_budget_s = config.time_budget_s.or(Some(budget));
    config
}

/// The solver options of `mace ik solve` and `mace bench ik-table2`.
pub(crate) fn solve_config(
    budget: f64,
    clearance: f32,
    prior_stop: f32,
) -> anyhow::Result<mace_robot::solve::SolveConfig> {
    if !(budget > 0.0 && budget.is_finite() && budget < 1e6) {
        bail!("--budget must be a positive number of seconds, got {budget}");
    }
    if !(clearance >= 0.0 && clearance.is_finite() && clearance < 1.0) {
        bail!("--clearance must be a distance in metres in [0, 1), got {clearance}");
    }
    let config = mace_robot::solve::SolveConfig {
        time_budget: std::time::Duration::from_secs_f64(budget),
        clearance,
        prior_stop,
        ..mace_robot::solve::SolveConfig::default()
    };
    config.validate()?;
    Ok(config)
}

/// Warns (stderr) when the target lies inside an obstacle box; the solve still runs.
pub(crate) fn warn_target_inside(scene: &Scene, target: [f32; 3]) {
    for (i, obb) in scene.obbs().iter().enumerate() {
        let d = obb.signed_distance_point(target);
        if d < 0.0 {
            eprintln!(
                "warning: target {target:?} lies {:.1} mm inside obstacle box {i} of scene `{}`",
                -d * 1e3,
                scene.name
            );
        }
    }
    if scene.ground && target[2] < 0.0 {
        eprintln!("warning: target {target:?} lies below the ground (z < 0)");
    }
}

#[derive(Serialize)]
struct SolveOutput {
    scene: String,
    target: [f32; 3],
    method: mace_robot::solve::Method,
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
    reports: Vec<mace_robot::solve::SolveReport>,
}

fn solve(args: SolveArgs) -> anyhow::Result<()> {
    let chain = KinematicChain::panda();
    let scene = Scene::by_name(&args.scene)?;
    let target = match &args.target {
        Some(t) => super::prior::parse_target(t)?,
        None => scene.target,
    };
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
    super::prior::check_reachable(&chain, target)?;
    warn_target_inside(&scene, target);
    let prior = if args.method.needs_prior() {
        Some(load_solve_prior(args.prior.as_deref())?)
    } else {
        None
    };
    let solver = mace_robot::solve::Solver::new(CollisionModel::new(&chain, &scene), config);
    let mace = MaceTuning {
        scene: &scene,
        config: solve_tune_config(&args.knobs, args.budget, args.seed),
        scope: args.scope.scope(0.0)?,
    };
    let (reports, warmup, tuning) = run_trials(
        &solver,
        args.method,
        target,
        prior.as_ref(),
        Some(&mace),
        args.trials,
        args.seed,
    )?;
    let summary = SolveStats::of(args.method, &reports);
    let out = SolveOutput {
        scene: scene.name.clone(),
        target,
        method: args.method,
        seed: args.seed,
        budget_s: args.budget,
        clearance_m: args.clearance,
        parallel: args.parallel,
        prior: prior.as_ref().map(|p| p.dir.clone()),
        prior_load_s: prior.as_ref().map(|p| p.load_seconds),
        warmup_s: warmup,
        threads: rayon::current_num_threads(),
        summary,
        tuning,
        reports,
    };
    if let Some(json) = &args.json {
        emit(json, &out)?;
    } else {
        if let Some(p) = &prior {
            println!(
                "prior {} loaded in {:.3} s (one-off); warm-up solve {:.4} s",
                p.dir.display(),
                p.load_seconds,
                warmup
            );
        }
        for (i, r) in out.reports.iter().enumerate() {
            let q: Vec<String> = r.q.iter().map(|v| format!("{v:.4}")).collect();
            println!(
                "trial {i}: {:?}, error {:.3e} m, collision-free {}{}, {:.2} ms, {} samples, {} IK iterations, q [{}]",
                r.status,
                r.error,
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
        println!(
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
    let s = &out.summary;
    if s.solved == 0 {
        let best = out
            .reports
            .iter()
            .map(|r| r.error)
            .fold(f32::INFINITY, f32::min);
        bail!(
            "no collision-free solution within the tolerance for target {target:?} in scene `{}` \
             ({} method, {} trial(s), {} s budget each; best TCP error {best:.3e} m{})",
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
    let score = IkScore::new(scene.target);
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
            score: score.score_one(f, *tcp, false),
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
