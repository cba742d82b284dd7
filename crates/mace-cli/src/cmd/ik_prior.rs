//! `mace ik train | sample | eval-prior`: the IK prior (a conditional autoregressive Gaussian
//! mixture over joint angles given the TCP target).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use mace_core::fs::OutputDir;
use mace_lab::ik::prior::{new_prior, train_prior};
use mace_lab::ik::{check_reachable, load_prior, parse_target, scene_with_target, IkTrainConfig};
use mace_models::checkpoint::save_ar_gmm;
use mace_robot::prior_eval::{evaluate_sampler, PriorEvalConfig};
use mace_robot::{CollisionModel, Dataset, DatasetConfig, Scene};
use rand::{rngs::StdRng, SeedableRng};
use serde::Serialize;

use crate::args::{JsonArg, RobotArgs};
use crate::output::emit_json;
use crate::progress::bar;
use crate::say;

/// Arguments of `mace ik train`.
#[derive(Debug, Args)]
pub(crate) struct TrainArgs {
    #[command(flatten)]
    robot: RobotArgs,
    /// Dataset written by `mace ik dataset` (default: draw `--n` configurations of the robot
    /// here, with `--data-seed`).
    #[arg(long, value_name = "FILE")]
    data: Option<PathBuf>,
    /// Configurations to draw when no `--data` is given.
    #[arg(long, default_value_t = 2_000_000, conflicts_with = "data", value_parser = crate::limits::count(mace_robot::MAX_DATASET as u64))]
    n: usize,
    /// Seed of the drawn configurations when no `--data` is given.
    #[arg(long, default_value_t = 1, conflicts_with = "data")]
    data_seed: u64,
    /// Output folder (weights.safetensors + config.json). Each improvement replaces it whole; an
    /// existing prior is replaced only with `--force`.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Passes over the training split.
    #[arg(long, default_value_t = IkTrainConfig::default().epochs, value_parser = crate::limits::count(100_000))]
    epochs: usize,
    /// Mini-batch size.
    #[arg(long, default_value_t = IkTrainConfig::default().batch, value_parser = crate::limits::count(1 << 20))]
    batch: usize,
    /// Initial Adam learning rate (cosine decay to 5% of it).
    #[arg(long, default_value_t = IkTrainConfig::default().lr, allow_negative_numbers = true)]
    lr: f64,
    /// Hidden layer widths of each joint's network, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "128,128")]
    hidden: Vec<usize>,
    /// Mixture components per joint.
    #[arg(long, default_value_t = IkTrainConfig::default().components)]
    components: usize,
    /// Floor of the mixture standard deviations, rad.
    #[arg(long, default_value_t = IkTrainConfig::default().min_std, allow_negative_numbers = true)]
    min_std: f32,
    /// Do not feed the networks the target as seen from each joint's frame (the paper's plain
    /// conditioning on the base-frame target).
    #[arg(long)]
    no_features: bool,
    /// Condition on the tool's pose (position and orientation) instead of its position only.
    #[arg(long)]
    pose: bool,
    /// Fraction of the data held out.
    #[arg(long, default_value_t = IkTrainConfig::default().heldout, allow_negative_numbers = true)]
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
    #[command(flatten)]
    robot: RobotArgs,
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
    /// Scene whose collisions to report (`wall`, `window`, `box`, `shelf`, `cloud`, `cell` or a TOML file); none: self and
    /// ground only (with `--posterior`: the tuned scene).
    #[arg(long)]
    scene: Option<String>,
    /// Sample a tuned posterior instead: the output folder of `mace ik tune` (its `posterior/`
    /// weights, and the target and scene of its `report.json`).
    #[arg(long, value_name = "DIR", conflicts_with = "prior")]
    posterior: Option<PathBuf>,
    /// Number of samples.
    #[arg(long, default_value_t = 10, value_parser = crate::limits::samples())]
    n: usize,
    /// Seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Prior folder (default: the shipped prior).
    #[arg(long, value_name = "DIR")]
    prior: Option<PathBuf>,
    #[command(flatten)]
    json: JsonArg,
}

/// Arguments of `mace ik eval-prior`.
#[derive(Debug, Args)]
pub(crate) struct EvalPriorArgs {
    #[command(flatten)]
    robot: RobotArgs,
    /// Prior folder (default: the shipped prior).
    #[arg(long, value_name = "DIR")]
    prior: Option<PathBuf>,
    /// Dataset to compare diversity with (default: a fresh 1,000,000-configuration set).
    #[arg(long, value_name = "FILE")]
    data: Option<PathBuf>,
    /// Number of targets.
    #[arg(long, default_value_t = 200, value_parser = crate::limits::problems())]
    targets: usize,
    /// Samples per target.
    #[arg(long, default_value_t = 1000, value_parser = crate::limits::count(100_000))]
    samples: usize,
    /// Seed of targets and samples.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    #[command(flatten)]
    json: JsonArg,
}

pub(crate) fn train(args: TrainArgs, force: bool) -> anyhow::Result<()> {
    let robot = args.robot.load()?;
    let out = OutputDir::new(&args.out, force)?;
    let config = IkTrainConfig {
        epochs: args.epochs,
        batch: args.batch,
        lr: args.lr,
        hidden: args.hidden.clone(),
        components: args.components,
        min_std: args.min_std,
        features: !args.no_features,
        pose: args.pose,
        heldout: args.heldout,
        seed: args.seed,
    };
    config.validate()?;
    let (data, data_name) = match &args.data {
        Some(path) => (Dataset::load_safetensors(path)?, path.display().to_string()),
        None => {
            let start = Instant::now();
            let dataset_config = DatasetConfig {
                n: args.n,
                seed: args.data_seed,
            };
            let data = Dataset::generate(&robot.chain, &dataset_config)?;
            say!(
                "drew {} self-collision-free configurations of {} (seed {}) in {:.1} s",
                data.len(),
                robot.name,
                args.data_seed,
                start.elapsed().as_secs_f64()
            );
            (
                data,
                format!("{} random configurations, seed {}", args.n, args.data_seed),
            )
        }
    };
    let model =
        new_prior(&robot, &data, &config).with_context(|| format!("training on {data_name}"))?;
    say!(
        "training {} parameters on {} configurations of {} ({} epochs, batch {}, lr {})",
        model.parameter_count(),
        data.len(),
        robot.name,
        config.epochs,
        config.batch,
        config.lr
    );
    let save = |record: Option<&mace_models::train::TrainingRecord>| -> anyhow::Result<()> {
        let stage = out.stage()?;
        save_ar_gmm(&model, record, stage.path())?;
        out.publish(stage)?;
        Ok(())
    };
    let bar = bar("epochs", config.epochs, args.quiet);
    let record = train_prior(
        &model,
        &robot,
        &data,
        &data_name,
        &config,
        &mut |stats, improved| {
            bar.inc(1);
            bar.set_message(format!(
                "held-out NLL {:.3} (train {:.3})",
                stats.heldout_nll, stats.train_nll
            ));
            if improved {
                save(None).map_err(|e| mace_models::Error::Hook(e.into()))?;
            }
            if args.quiet {
                say!(
                    "epoch {} train {:.4} held-out {:.4} {:.0}s",
                    stats.epoch,
                    stats.train_nll,
                    stats.heldout_nll,
                    stats.elapsed_s
                );
            }
            Ok(())
        },
    )?;
    bar.finish_and_clear();
    save(Some(&record))?;
    say!(
        "best held-out NLL {:.4} nats at epoch {}; {:.0} s; prior in {}",
        record.best_heldout_nll,
        record.best_epoch,
        record.wall_time_s,
        args.out.display()
    );
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

pub(crate) fn sample(args: SampleArgs, force: bool) -> anyhow::Result<()> {
    let (target, scene_name, model_dir) = match &args.posterior {
        Some(dir) => {
            let path = dir.join("report.json");
            let text =
                mace_core::fs::read_text(&path, mace_core::fs::TEXT_LIMIT).with_context(|| {
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
    let robot = args.robot.load()?;
    let chain = &robot.chain;
    let prior = load_prior(model_dir.as_deref(), &robot)?;
    let scene = match &scene_name {
        Some(s) => scene_with_target(s, None)?,
        None => Scene::empty(target),
    };
    check_reachable(chain, target)?;
    let start = Instant::now();
    let mut rng = StdRng::seed_from_u64(args.seed);
    let q = prior.sampler.sample(&target, args.n, &mut rng);
    let seconds = start.elapsed().as_secs_f64();
    let collision = CollisionModel::new(chain, &scene);
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
    if let Some(dest) = &args.json.json {
        return emit_json(dest, &records, force);
    }
    say!(
        "{} samples from {} for target {:?} in {:.1} ms",
        args.n,
        prior.dir.display(),
        target,
        seconds * 1e3
    );
    say!(
        "{:>5} {:>60} {:>9} {:>8}",
        "#",
        "q (rad)",
        "error mm",
        "collides"
    );
    for (i, r) in records.iter().enumerate() {
        let q: Vec<String> = r.q.iter().map(|v| format!("{v:7.3}")).collect();
        say!(
            "{i:>5} {:>60} {:>9.2} {:>8}",
            q.join(" "),
            r.tcp_error * 1e3,
            r.collides
        );
    }
    Ok(())
}

pub(crate) fn eval_prior(args: EvalPriorArgs, force: bool) -> anyhow::Result<()> {
    let robot = args.robot.load()?;
    let chain = &robot.chain;
    let prior = load_prior(args.prior.as_deref(), &robot)?;
    let dataset = match &args.data {
        Some(path) => Dataset::load_safetensors(path)?,
        None => Dataset::generate(
            chain,
            &mace_robot::DatasetConfig {
                n: 1_000_000,
                seed: 12_345,
            },
        )?,
    };
    let cfg = PriorEvalConfig {
        targets: args.targets,
        samples_per_target: args.samples,
        seed: args.seed,
        ..PriorEvalConfig::default()
    };
    let report = evaluate_sampler(chain, Some(&dataset), &cfg, &mut |target, n, rng| {
        prior.sampler.sample(target, n, rng)
    })?;
    if let Some(dest) = &args.json.json {
        return emit_json(dest, &report, force);
    }
    let mm = |v: f32| v * 1e3;
    say!(
        "prior {} on {} reachable targets, {} samples each (seed {}):",
        prior.dir.display(),
        cfg.targets,
        cfg.samples_per_target,
        cfg.seed
    );
    say!("| figure | value |");
    say!("|---|---|");
    say!(
        "| median TCP error of raw samples | {:.2} mm |",
        mm(report.median_error)
    );
    say!(
        "| median best-of-{} TCP error | {:.3} mm |",
        cfg.samples_per_target,
        mm(report.median_best_error)
    );
    say!(
        "| worst best-of-{} TCP error (hardest target) | {:.3} mm |",
        cfg.samples_per_target,
        mm(report.max_best_error)
    );
    say!(
        "| self-collision rate of samples | {:.3} |",
        report.self_collision_rate
    );
    let div = |v: Option<f32>| v.map_or("n/a".to_string(), |v| format!("{v:.3} rad"));
    say!(
        "| diversity within 1 cm: samples / dataset | {} / {} |",
        div(report.diversity),
        div(report.dataset_diversity)
    );
    say!(
        "sampling: {:.1} ms per {} samples on average",
        report.sampling_seconds * 1e3 / cfg.targets.max(1) as f64,
        cfg.samples_per_target
    );
    Ok(())
}
