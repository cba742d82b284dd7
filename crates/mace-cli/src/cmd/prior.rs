//! `mace ik train | sample | eval-prior`: the IK prior (a conditional autoregressive Gaussian
//! mixture over joint angles given the TCP target).

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use mace_models::checkpoint::{load_ar_gmm, save_ar_gmm, CheckpointInfo};
use mace_models::fast::ArGmmSampler;
use mace_models::features::{ChainFeatures, JointFrame};
use mace_models::train::{train_ar_gmm, TrainConfig};
use mace_models::{ArGmm, ArGmmConfig};
use mace_robot::prior_eval::{evaluate_sampler, PriorEvalConfig};
use mace_robot::{CollisionModel, Dataset, KinematicChain, Scene};
use rand::{rngs::StdRng, SeedableRng};
use serde::Serialize;

use crate::output::emit_json;

/// Where the shipped prior lives, relative to the repository root.
const SHIPPED_PRIOR: &str = "assets/priors/panda-ik";

/// Arguments of `mace ik train`.
#[derive(Debug, Args)]
pub(crate) struct TrainArgs {
    /// Dataset written by `mace ik dataset`.
    #[arg(long, value_name = "FILE")]
    data: PathBuf,
    /// Output folder (weights.safetensors + config.json, written atomically at every improvement).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Passes over the training split.
    #[arg(long, default_value_t = 12)]
    epochs: usize,
    /// Mini-batch size.
    #[arg(long, default_value_t = 1024)]
    batch: usize,
    /// Initial Adam learning rate (cosine decay to 5% of it).
    #[arg(long, default_value_t = 1e-3)]
    lr: f64,
    /// Hidden layer widths of each joint's network, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "128,128")]
    hidden: Vec<usize>,
    /// Mixture components per joint.
    #[arg(long, default_value_t = 10)]
    components: usize,
    /// Floor of the mixture standard deviations, rad.
    #[arg(long, default_value_t = 0.0025)]
    min_std: f32,
    /// Do not feed the networks the target as seen from each joint's frame (the paper's plain
    /// conditioning on the base-frame target).
    #[arg(long)]
    no_features: bool,
    /// Fraction of the data held out.
    #[arg(long, default_value_t = 0.02)]
    heldout: f64,
    /// Seed of initialisation, split and shuffles.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
}

/// Arguments of `mace ik sample`.
#[derive(Debug, Args)]
pub(crate) struct SampleArgs {
    /// Target TCP position, metres, base frame (with `--posterior`: the tuned target).
    #[arg(
        long,
        num_args = 3,
        value_names = ["X", "Y", "Z"],
        allow_negative_numbers = true,
        required_unless_present = "posterior",
        conflicts_with = "posterior"
    )]
    target: Vec<f32>,
    /// Scene whose collisions to report (`wall`, `window`, `box` or a TOML file); none: self and
    /// ground only (with `--posterior`: the tuned scene).
    #[arg(long)]
    scene: Option<String>,
    /// Sample a tuned posterior instead: the output folder of `mace ik tune` (its `posterior/`
    /// weights, and the target and scene of its `report.json`).
    #[arg(long, value_name = "DIR", conflicts_with = "prior")]
    posterior: Option<PathBuf>,
    /// Number of samples.
    #[arg(long, default_value_t = 10)]
    n: usize,
    /// Seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Prior folder (default: the shipped prior).
    #[arg(long, value_name = "DIR")]
    prior: Option<PathBuf>,
    /// Print JSON to stdout (`--json`) or write it to a file (`--json OUT`).
    #[arg(long, value_name = "OUT", num_args = 0..=1, default_missing_value = "-")]
    json: Option<PathBuf>,
}

/// Arguments of `mace ik eval-prior`.
#[derive(Debug, Args)]
pub(crate) struct EvalPriorArgs {
    /// Prior folder (default: the shipped prior).
    #[arg(long, value_name = "DIR")]
    prior: Option<PathBuf>,
    /// Dataset to compare diversity with (default: a fresh 1,000,000-configuration set).
    #[arg(long, value_name = "FILE")]
    data: Option<PathBuf>,
    /// Number of targets.
    #[arg(long, default_value_t = 200)]
    targets: usize,
    /// Samples per target.
    #[arg(long, default_value_t = 1000)]
    samples: usize,
    /// Seed of targets and samples.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Print JSON to stdout (`--json`) or write it to a file (`--json OUT`).
    #[arg(long, value_name = "OUT", num_args = 0..=1, default_missing_value = "-")]
    json: Option<PathBuf>,
}

/// The kinematic features of `chain` in the model's terms.
fn chain_features(chain: &KinematicChain) -> anyhow::Result<ChainFeatures> {
    let joints = chain.serial_joints().context(
        "the robot is not a serial chain: kinematic features need one (use --no-features)",
    )?;
    Ok(ChainFeatures {
        joints: joints
            .iter()
            .map(|j| JointFrame {
                rotation: j.origin.rot,
                translation: j.origin.trans,
                axis: j.axis,
                prismatic: j.prismatic,
            })
            .collect(),
    })
}

pub(crate) fn train(args: TrainArgs) -> anyhow::Result<()> {
    let chain = KinematicChain::panda();
    let data = Dataset::load_safetensors(&args.data)?;
    if data.dof != chain.dof() {
        bail!(
            "{}: configurations have {} joints, the robot has {}",
            args.data.display(),
            data.dof,
            chain.dof()
        );
    }
    let (mean, std) = context_stats(&data.tcp);
    let config = ArGmmConfig {
        names: chain.joints().iter().map(|j| j.name.clone()).collect(),
        lower: chain.lower(),
        upper: chain.upper(),
        context_dim: 3,
        context_mean: mean,
        context_std: std,
        hidden: args.hidden.clone(),
        components: args.components,
        min_std: args.min_std,
        range_slack: 1.1,
        chain: if args.no_features {
            None
        } else {
            Some(chain_features(&chain)?)
        },
    };
    let model = ArGmm::new(config, args.seed)?;
    let tc = TrainConfig {
        epochs: args.epochs,
        batch_size: args.batch,
        lr: args.lr,
        heldout_fraction: args.heldout,
        seed: args.seed,
        ..TrainConfig::default()
    };
    println!(
        "training {} parameters on {} configurations from {} ({} epochs, batch {}, lr {})",
        model.parameter_count(),
        data.len(),
        args.data.display(),
        tc.epochs,
        tc.batch_size,
        tc.lr
    );
    let bar = if args.quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(tc.epochs as u64)
    };
    bar.set_style(
        ProgressStyle::with_template("{prefix:>8} [{bar:30}] {pos}/{len} {elapsed_precise} {msg}")?
            .progress_chars("=> "),
    );
    bar.set_prefix("epochs");
    let data_file = args.data.display().to_string();
    let record = train_ar_gmm(
        &model,
        &data.q,
        &data.tcp,
        &tc,
        &data_file,
        &mut |stats, improved| {
            bar.inc(1);
            bar.set_message(format!(
                "held-out NLL {:.3} (train {:.3})",
                stats.heldout_nll, stats.train_nll
            ));
            if improved {
                save_ar_gmm(&model, None, &args.out)?;
            }
            if args.quiet {
                println!(
                    "epoch {} train {:.4} held-out {:.4} {:.0}s",
                    stats.epoch, stats.train_nll, stats.heldout_nll, stats.elapsed_s
                );
            }
            Ok(())
        },
    )?;
    bar.finish_and_clear();
    save_ar_gmm(&model, Some(&record), &args.out)?;
    println!(
        "best held-out NLL {:.4} nats at epoch {}; {:.0} s; checkpoint in {}",
        record.best_heldout_nll,
        record.best_epoch,
        record.wall_time_s,
        args.out.display()
    );
    Ok(())
}

/// Per-dimension mean and standard deviation of `(N, 3)` rows.
fn context_stats(rows: &[f32]) -> (Vec<f32>, Vec<f32>) {
    let n = (rows.len() / 3).max(1) as f64;
    let mean: Vec<f64> = (0..3)
        .map(|d| {
            rows.iter()
                .skip(d)
                .step_by(3)
                .map(|v| *v as f64)
                .sum::<f64>()
                / n
        })
        .collect();
    let std = (0..3)
        .map(|d| {
            (rows
                .iter()
                .skip(d)
                .step_by(3)
                .map(|v| (*v as f64 - mean[d]).powi(2))
                .sum::<f64>()
                / n)
                .sqrt()
                .max(1e-6) as f32
        })
        .collect();
    (mean.into_iter().map(|m| m as f32).collect(), std)
}

/// Loads the prior in `dir`, or the shipped one (found from the working directory or the
/// source tree the binary was built from).
pub(crate) fn load_prior(dir: Option<&Path>) -> anyhow::Result<(ArGmm, CheckpointInfo, PathBuf)> {
    let dir = match dir {
        Some(d) => d.to_path_buf(),
        None => {
            let here = PathBuf::from(SHIPPED_PRIOR);
            let built = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../..")
                .join(SHIPPED_PRIOR);
            if here.is_dir() {
                here
            } else {
                built
            }
        }
    };
    let (model, info) = load_ar_gmm(&dir)
        .with_context(|| format!("loading the IK prior from {}", dir.display()))?;
    let chain = KinematicChain::panda();
    if model.config().dim() != chain.dof() {
        bail!(
            "{}: the prior models {} joints, the robot has {}",
            dir.display(),
            model.config().dim(),
            chain.dof()
        );
    }
    Ok((model, info, dir))
}

/// Checks a target: three finite numbers.
pub(crate) fn parse_target(values: &[f32]) -> anyhow::Result<[f32; 3]> {
    match values {
        [x, y, z] if values.iter().all(|v| v.is_finite()) => Ok([*x, *y, *z]),
        [_, _, _] => bail!("target {values:?} is not finite"),
        _ => bail!("target needs three values X Y Z, got {}", values.len()),
    }
}

/// An error if `target` lies beyond the arm's reach (the sphere around its first joint).
pub(crate) fn check_reachable(chain: &KinematicChain, target: [f32; 3]) -> anyhow::Result<()> {
    let (centre, radius) = chain.reach_sphere();
    let distance = (0..3)
        .map(|i| (target[i] - centre[i]).powi(2))
        .sum::<f32>()
        .sqrt();
    if distance > radius {
        bail!(
            "target {target:?} is unreachable: {distance:.3} m from the first joint at {centre:?}, \
             the arm reaches at most {radius:.3} m"
        );
    }
    Ok(())
}

#[derive(Serialize)]
struct SampleRecord {
    q: Vec<f32>,
    tcp: [f32; 3],
    tcp_error: f32,
    collides: bool,
    self_collision: bool,
    obstacle_collision: bool,
    ground_collision: bool,
}

/// What `mace ik sample --posterior DIR` reads from `DIR/report.json`.
#[derive(serde::Deserialize)]
struct TunedProblem {
    scene: String,
    target: [f32; 3],
}

pub(crate) fn sample(args: SampleArgs) -> anyhow::Result<()> {
    let (target, scene_name, model_dir) = match &args.posterior {
        Some(dir) => {
            let path = dir.join("report.json");
            let text = std::fs::read_to_string(&path).with_context(|| {
                format!(
                    "cannot read {} (is {} the output folder of `mace ik tune`?)",
                    path.display(),
                    dir.display()
                )
            })?;
            let tuned: TunedProblem = serde_json::from_str(&text)
                .with_context(|| format!("{}: no scene and target", path.display()))?;
            let target = parse_target(&tuned.target)?;
            let scene = args.scene.clone().unwrap_or(tuned.scene);
            (target, Some(scene), Some(dir.join("posterior")))
        }
        None => (
            parse_target(&args.target)?,
            args.scene.clone(),
            args.prior.clone(),
        ),
    };
    let (model, _, dir) = load_prior(model_dir.as_deref())?;
    let chain = KinematicChain::panda();
    let scene = match &scene_name {
        Some(s) => Scene::by_name(s)?,
        None => Scene::empty(target),
    };
    check_reachable(&chain, target)?;
    let start = Instant::now();
    let mut rng = StdRng::seed_from_u64(args.seed);
    let q = ArGmmSampler::new(&model)?.sample(&target, args.n, &mut rng);
    let seconds = start.elapsed().as_secs_f64();
    let collision = CollisionModel::new(&chain, &scene);
    let flags = collision.check_with_tcp_batch(&q)?;
    let records: Vec<SampleRecord> = q
        .chunks_exact(chain.dof())
        .zip(&flags)
        .map(|(row, (f, tcp))| SampleRecord {
            q: row.to_vec(),
            tcp: *tcp,
            tcp_error: ((tcp[0] - target[0]).powi(2)
                + (tcp[1] - target[1]).powi(2)
                + (tcp[2] - target[2]).powi(2))
            .sqrt(),
            collides: f.any(),
            self_collision: f.self_collision,
            obstacle_collision: f.obstacle_collision,
            ground_collision: f.ground_collision,
        })
        .collect();
    if let Some(dest) = &args.json {
        return emit_json(dest, &records);
    }
    println!(
        "{} samples from {} for target {:?} in {:.1} ms",
        args.n,
        dir.display(),
        target,
        seconds * 1e3
    );
    println!(
        "{:>5} {:>60} {:>9} {:>8}",
        "#", "q (rad)", "error mm", "collides"
    );
    for (i, r) in records.iter().enumerate() {
        let q: Vec<String> = r.q.iter().map(|v| format!("{v:7.3}")).collect();
        println!(
            "{i:>5} {:>60} {:>9.2} {:>8}",
            q.join(" "),
            r.tcp_error * 1e3,
            r.collides
        );
    }
    Ok(())
}

pub(crate) fn eval_prior(args: EvalPriorArgs) -> anyhow::Result<()> {
    let (model, _, dir) = load_prior(args.prior.as_deref())?;
    let chain = KinematicChain::panda();
    let dataset = match &args.data {
        Some(path) => Dataset::load_safetensors(path)?,
        None => Dataset::generate(
            &chain,
            &mace_robot::DatasetConfig {
                n: 1_000_000,
                seed: 12_345,
            },
        )?,
    };
    let sampler = ArGmmSampler::new(&model)?;
    let cfg = PriorEvalConfig {
        targets: args.targets,
        samples_per_target: args.samples,
        seed: args.seed,
        ..PriorEvalConfig::default()
    };
    let report = evaluate_sampler(&chain, Some(&dataset), &cfg, &mut |target, n, rng| {
        sampler.sample(target, n, rng)
    })?;
    if let Some(dest) = &args.json {
        return emit_json(dest, &report);
    }
    let mm = |v: f32| v * 1e3;
    println!(
        "prior {} on {} reachable targets, {} samples each (seed {}):",
        dir.display(),
        cfg.targets,
        cfg.samples_per_target,
        cfg.seed
    );
    println!("| figure | ours | bar |");
    println!("|---|---|---|");
    println!(
        "| median TCP error of raw samples | {:.2} mm | ≤ 15 mm |",
        mm(report.median_error)
    );
    println!(
        "| median best-of-{} TCP error | {:.3} mm | ≤ 2 mm |",
        cfg.samples_per_target,
        mm(report.median_best_error)
    );
    println!(
        "| self-collision rate of samples | {:.3} | ≤ 0.05 |",
        report.self_collision_rate
    );
    let div = |v: Option<f32>| v.map_or("n/a".to_string(), |v| format!("{v:.3} rad"));
    println!(
        "| diversity within 1 cm: samples / dataset | {} / {} | reported |",
        div(report.diversity),
        div(report.dataset_diversity)
    );
    println!(
        "sampling: {:.1} ms per {} samples on average",
        report.sampling_seconds * 1e3 / cfg.targets.max(1) as f64,
        cfg.samples_per_target
    );
    Ok(())
}
