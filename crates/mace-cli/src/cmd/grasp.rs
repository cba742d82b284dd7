//! `mace grasp …`: shape inference from grasp contacts (the paper's §4.1) — train the point-cloud
//! VAE prior (and the CVAE baseline), check it, and tune it to one grasp observation with
//! MACE-VAE, its exact update, or IS.

use std::path::PathBuf;
use std::time::Instant;

use clap::{Args, Subcommand, ValueEnum};
use mace_lab::shapes::grasp::{contacts_of, grasp_simulator, CvaeCondition};
use mace_lab::shapes::prior::{fit_cvae_latent, fit_latent_prior, LATENT_PRIOR_FILE};
use mace_lab::shapes::train::CVAE_BETA;
use mace_lab::shapes::{
    inspect_prior, load_shape_cvae, load_shape_prior, train_shape_model, tune_grasp,
    GraspTuneConfig, LatentObjective, ShapeTrainConfig,
};
use mace_models::vae::checkpoint::WeightsDtype;
use mace_models::vae::{PointVaeConfig, VaeEpochStats, VaeTrainConfig};
use mace_shapes::{GraspSimulator, PointCloud, ScoreForm, Split};

use super::bench_shapes::parse_score_form;
use crate::args::{ShapeSourceArgs, TuneKnobs};
use crate::output::{write_json, ResultsDir};
use crate::pictures::{save_curves, save_grasp_picture, write_samples};
use crate::progress::{bar, BarProgress, TuneProgress};
use crate::say;
use crate::shape_args::{with_shape_file, ShapeFileArgs};

/// Subcommands of `mace grasp`.
#[derive(Debug, Subcommand)]
pub(crate) enum GraspCommand {
    /// Train the shape prior (point-cloud VAE) or, with `--cvae`, the CVAE baseline.
    Train(TrainArgs),
    /// Tune the shape prior to the contacts of one grasp and sample the posterior.
    Tune(GraspTuneArgs),
    /// Check a shape prior: reconstruction error and the diversity of its reconstructions and
    /// samples beside the data's.
    Inspect(InspectArgs),
    /// (Re)fit a shape prior's latent prior to the training shapes (writes latent_prior.json;
    /// `grasp train` does this at the end).
    FitLatent(FitLatentArgs),
}

/// Runs a `mace grasp` subcommand.
pub(crate) fn run(command: GraspCommand, force: bool) -> anyhow::Result<()> {
    match command {
        GraspCommand::Train(args) => train(args, force),
        GraspCommand::Tune(args) => tune(args, force),
        GraspCommand::Inspect(args) => inspect(args, force),
        GraspCommand::FitLatent(args) => fit_latent(args, force),
    }
}

/// Arguments of `mace grasp fit-latent`.
#[derive(Debug, Args)]
pub(crate) struct FitLatentArgs {
    /// Shape prior folder (its latent_prior.json is written; one it holds is replaced only with
    /// --force: it may be a tuned posterior's).
    #[arg(long, value_name = "DIR")]
    prior: PathBuf,
    /// The folder holds a CVAE (fit to its training pairs under the in-distribution grasp).
    #[arg(long)]
    cvae: bool,
    #[command(flatten)]
    data: ShapeSourceArgs,
}

fn fit_latent(args: FitLatentArgs, force: bool) -> anyhow::Result<()> {
    let start = Instant::now();
    let file = args.prior.join(LATENT_PRIOR_FILE);
    if file.exists() && !force {
        anyhow::bail!(
            "{} exists (a tuned posterior's latent prior, or the one `mace grasp train` fitted): \
             pass --force to replace it",
            file.display()
        );
    }
    let train_set = args.data.source().load(Split::Train)?;
    let latent = if args.cvae {
        let (cvae, _) = load_shape_cvae(Some(&args.prior))?;
        let sim = GraspSimulator::in_distribution();
        let (contacts, kept, _) = contacts_of(&sim, &train_set);
        let cond = CvaeCondition::of_cond_dim(cvae.config().cond_dim, sim.fingers())?
            .encode(sim.directions(), &contacts);
        let kept: Vec<PointCloud> = kept.iter().map(|&i| train_set[i].clone()).collect();
        fit_cvae_latent(&cvae, &kept, &cond)?
    } else {
        let prior = load_shape_prior(Some(&args.prior))?;
        fit_latent_prior(&prior.vae, &train_set)?
    };
    write_json(&file, &latent, force)?;
    let var = latent
        .basis
        .as_ref()
        .map(|b| b.axis_variance.clone())
        .unwrap_or_default();
    let total: f32 = var.iter().sum();
    let top: f32 = var.iter().take(8).sum();
    say!(
        "fitted the latent prior to {} training shapes in {:.1} s; the first 8 of {} principal \
         axes hold {:.1}% of the variance; written to {}",
        train_set.len(),
        start.elapsed().as_secs_f64(),
        var.len(),
        100.0 * top / total.max(f32::MIN_POSITIVE),
        file.display()
    );
    Ok(())
}

/// Network sizes, as a command-line value.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum Sizes {
    /// Our CPU sizes: the paper's decoder and latent, a lighter encoder on 512 of the points.
    Cpu,
    /// The paper's sizes.
    Paper,
}

/// Arguments of `mace grasp train`.
#[derive(Debug, Args)]
pub(crate) struct TrainArgs {
    #[command(flatten)]
    data: ShapeSourceArgs,
    /// Train the CVAE baseline (conditioned on the in-distribution grasp contacts) instead.
    #[arg(long)]
    cvae: bool,
    /// What the CVAE is conditioned on: `points` (the five contact points, x y z each, as the
    /// reference code) or `distances` (the contacts along the fingers).
    #[arg(long, default_value = "points", requires = "cvae")]
    condition: CvaeCondition,
    /// Network sizes.
    #[arg(long, value_enum, default_value_t = Sizes::Cpu)]
    sizes: Sizes,
    /// Passes over the training split.
    #[arg(long, default_value_t = 120, value_parser = crate::limits::count(100_000))]
    epochs: usize,
    /// Shapes per mini-batch (paper: 64).
    #[arg(long, default_value_t = 64, value_parser = crate::limits::count(65_536))]
    batch: usize,
    /// Adam learning rate (paper: 5e-4; our default trains faster with no loss of stability).
    #[arg(long, default_value_t = 1e-3, allow_negative_numbers = true)]
    lr: f64,
    /// Learning rate at the end as a fraction of --lr (cosine decay; 1 = constant, the paper).
    #[arg(long, default_value_t = 0.1, allow_negative_numbers = true)]
    final_lr_fraction: f64,
    /// KL weight β (default: 1e-7 for the prior; 1e-5 for the CVAE, which otherwise reconstructs
    /// from z alone and ignores its condition — measured in docs/BENCHMARKS.md).
    #[arg(long, allow_negative_numbers = true)]
    beta: Option<f64>,
    /// Seed of the initial weights and the training draws.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Store the weights as f32 instead of f16.
    #[arg(long)]
    f32: bool,
    /// Output folder (weights.safetensors, config.json, latent_prior.json), published whole at
    /// the end; an existing one is replaced only with `--force` (an interrupted run leaves its
    /// best weights in `.NAME.partial-…` beside it).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
}

fn train(args: TrainArgs, force: bool) -> anyhow::Result<()> {
    let start = Instant::now();
    let out = mace_core::fs::OutputDir::new(&args.out, force)?;
    let source = args.data.source();
    let config = ShapeTrainConfig {
        cvae: args.cvae,
        condition: args.condition,
        sizes: match args.sizes {
            Sizes::Cpu => PointVaeConfig::cpu(),
            Sizes::Paper => PointVaeConfig::paper(),
        },
        train: VaeTrainConfig {
            epochs: args.epochs,
            batch_size: args.batch,
            lr: args.lr,
            final_lr_fraction: args.final_lr_fraction,
            beta: args.beta.unwrap_or(if args.cvae {
                CVAE_BETA
            } else {
                VaeTrainConfig::DEFAULT_BETA
            }),
            seed: args.seed,
            ..VaeTrainConfig::default()
        },
        dtype: if args.f32 {
            WeightsDtype::F32
        } else {
            WeightsDtype::F16
        },
        data: source.describe(),
    };
    config.train.validate().map_err(|e| {
        anyhow::anyhow!("{e} (--epochs, --batch, --lr, --final-lr-fraction, --beta)")
    })?;
    let train_set = source.load(Split::Train)?;
    let val_set = source.load(Split::Val)?;
    eprintln!(
        "{}: {} training and {} validation shapes (loaded in {:.1} s)",
        source.describe(),
        train_set.len(),
        val_set.len(),
        start.elapsed().as_secs_f64()
    );
    let bar = bar("epoch", args.epochs, args.quiet);
    let mut on_epoch = |s: &VaeEpochStats, improved: bool| epoch_message(&bar, s, improved);
    let record = train_shape_model(
        &config,
        &train_set,
        &val_set,
        &out,
        &mut on_epoch,
        &mut BarProgress::new(args.quiet),
    )?;
    bar.finish_and_clear();
    say!(
        "trained {} epochs in {:.0} s; best held-out Chamfer {:.3e} (epoch {}); written to {}",
        record.history.len(),
        record.wall_time_s,
        record.best_heldout_chamfer,
        record.best_epoch,
        args.out.display()
    );
    Ok(())
}

fn epoch_message(bar: &indicatif::ProgressBar, s: &VaeEpochStats, improved: bool) {
    bar.set_position(s.epoch as u64 + 1);
    bar.set_message(format!(
        "train Chamfer {:.3e}, KL {:.1}, held-out Chamfer {:.3e}{}",
        s.train_chamfer,
        s.train_kl,
        s.heldout_chamfer,
        if improved { " *" } else { "" }
    ));
    // A hidden bar (--quiet) prints nothing: log to stderr then.
    let line = format!(
        "epoch {:>3}: train Chamfer {:.4e}  KL {:>7.2}  held-out Chamfer {:.4e}  {:>6.0} s{}",
        s.epoch,
        s.train_chamfer,
        s.train_kl,
        s.heldout_chamfer,
        s.elapsed_s,
        if improved { "  (best, saved)" } else { "" }
    );
    if bar.is_hidden() {
        eprintln!("{line}");
    } else {
        bar.println(line);
    }
}

/// Arguments of `mace grasp tune`.
#[derive(Debug, Args)]
pub(crate) struct GraspTuneArgs {
    /// The observed object: an index into the test split, or a file: a cloud (PLY, NPY, PCD,
    /// JSON) or a mesh (OFF, OBJ, PLY with faces), brought into the prior's frame.
    #[arg(long, value_name = "INDEX|FILE")]
    shape: String,
    #[command(flatten)]
    file: ShapeFileArgs,
    #[command(flatten)]
    data: ShapeSourceArgs,
    /// Out of distribution: the fifth finger points along +x instead of −x.
    #[arg(long)]
    ood: bool,
    /// Tuning objective: mace (the paper's MACE-VAE), mix (MACE-VAE with a mixture latent
    /// prior of up to 8 components over the axes the decoder uses: one MACE step, an EM fit to
    /// the best tenth of 4096 samples, unless the knobs say otherwise; it takes no learning
    /// rate, and each step refits to one mini-batch's elites; components and axes are set on
    /// `mace bench grasp-fig1`), exact or is.
    #[arg(long, default_value = "mace")]
    objective: LatentObjective,
    /// `exact`: fraction of the way to the closed-form optimum taken per step.
    #[arg(long, default_value_t = 0.5, allow_negative_numbers = true)]
    step_fraction: f64,
    /// Score form: `mean` (the paper's mean of contact distances) or `sum` (the reference
    /// code's).
    #[arg(long, default_value = "mean", value_parser = parse_score_form)]
    score: ScoreForm,
    #[command(flatten)]
    knobs: TuneKnobs,
    /// Seed of every draw.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Samples drawn from prior and posterior to evaluate them (paper: 49).
    #[arg(long, default_value_t = 49, value_parser = crate::limits::count(100_000))]
    eval_samples: usize,
    /// Shape prior folder (default: the shipped assets/priors/airplanes).
    #[arg(long, value_name = "DIR")]
    prior: Option<PathBuf>,
    /// Output folder: `report.json`, `observed.ply`, `posterior/sample_XX.ply`, `samples.png`
    /// (the observed shape and its grasp, then prior and posterior samples with their contacts),
    /// `curves.png`.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Skip `samples.png` and `curves.png`.
    #[arg(long)]
    no_pictures: bool,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
}

fn tune(args: GraspTuneArgs, force: bool) -> anyhow::Result<()> {
    let out = ResultsDir::new(&args.out, force)?;
    let prior = load_shape_prior(args.prior.as_deref())?;
    let n = prior.vae.config().n_points;
    let shape = (args.file).load(&args.data.source(), &args.shape, n, args.seed, Some(&prior))?;
    let (observed, shape_name) = (&shape.cloud, &shape.name);
    if let Some(f) = &shape.file {
        say!("{}", f.summary());
    }
    if let Some(h) = &shape.heading {
        say!("{}", h.summary());
    }
    let config = GraspTuneConfig {
        ood: args.ood,
        objective: args.objective,
        step_fraction: args.step_fraction,
        score: args.score,
        tune: args.knobs.apply(args.objective.preset(), args.seed),
        eval_samples: args.eval_samples,
        eval_seed: args.seed + 1,
    };
    let mut bar = TuneProgress::new(
        &format!("{:?}", args.objective),
        config.tune.iterations,
        args.quiet,
    );
    let run = tune_grasp(&prior, observed, shape_name, &config, &mut bar)?;
    bar.finish();
    mace_shapes::write_point_cloud(out.file("observed.ply"), observed, false)?;
    write_samples(&out.file("posterior"), &run.posterior_clouds, false)?;
    if !args.no_pictures {
        save_grasp_picture(
            &out.file("samples.png"),
            &run.sim,
            observed,
            &run.record.observation,
            &run.prior_clouds,
            &run.posterior_clouds,
            false,
        )?;
        save_curves(
            &run.record.report,
            "grasp tuning",
            &out.file("curves.png"),
            false,
        )?;
    }
    let record = &run.record;
    let report = with_shape_file(record, &shape)?;
    write_json(&out.file("report.json"), &report, false)?;
    let dir = out.path().to_path_buf();
    out.publish()?;
    let sim = grasp_simulator(args.ood);
    let n = args.eval_samples.max(2);
    say!(
        "{shape_name} ({} fingers{}), prior {}: {:?} with {} iterations in {:.2} s ({:?})",
        sim.fingers(),
        if args.ood {
            ", out of distribution"
        } else {
            ""
        },
        prior.dir.display(),
        args.objective,
        record.report.iterations.len(),
        record.report.timings.total_s,
        record.report.status
    );
    say!("| model | mean score ({n} samples) | diversity (mean pairwise Chamfer) |");
    say!("|---|---|---|");
    for (name, e) in [
        ("prior", &record.prior_eval),
        ("posterior", &record.posterior_eval),
    ] {
        say!("| {name} | {:.3} | {:.4} |", e.mean_score, e.diversity);
    }
    say!("written to {}", dir.display());
    Ok(())
}

/// Arguments of `mace grasp inspect`.
#[derive(Debug, Args)]
pub(crate) struct InspectArgs {
    /// Shape prior folder (default: the shipped one).
    #[arg(long, value_name = "DIR")]
    prior: Option<PathBuf>,
    #[command(flatten)]
    data: ShapeSourceArgs,
    /// Held-out (test-split) shapes compared, and prior samples drawn.
    #[arg(long, default_value_t = 49, value_parser = crate::limits::count(10_000))]
    count: usize,
    /// Seed of the prior samples.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Also write the figures as JSON.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
}

fn inspect(args: InspectArgs, force: bool) -> anyhow::Result<()> {
    if let Some(file) = args
        .json
        .as_deref()
        .filter(|f| *f != std::path::Path::new("-"))
    {
        mace_core::fs::check_writable(file, force)?;
    }
    let prior = load_shape_prior(args.prior.as_deref())?;
    let q = inspect_prior(&prior, &args.data.source(), args.count, args.seed)?;
    say!(
        "shape prior {} on {} held-out shapes of {}",
        q.prior,
        q.shapes,
        q.data
    );
    say!("  data diversity              {:.3e}", q.data_diversity);
    say!(
        "  reconstruction error        {:.3e}   (one mean shape for all: {:.3e})",
        q.reconstruction_error,
        q.mean_shape_error
    );
    say!(
        "  reconstruction diversity    {:.3e}   ({:.0}% of the data's)",
        q.reconstruction_diversity,
        100.0 * q.reconstruction_diversity / q.data_diversity
    );
    say!(
        "  prior sample diversity      {:.3e}   ({:.0}% of the data's; {} latent prior)",
        q.sample_diversity,
        100.0 * q.sample_diversity / q.data_diversity,
        if q.fitted_latent_prior {
            "fitted"
        } else {
            "training"
        }
    );
    say!(
        "  sample to nearest shape     {:.3e}",
        q.sample_to_nearest_shape
    );
    if let Some(file) = &args.json {
        crate::output::emit_json(file, &q, force)?;
    }
    Ok(())
}
