//! `mace grasp …`: shape inference from grasp contacts (the paper's §4.1) — train the point-cloud
//! VAE prior (and the CVAE baseline), and tune the prior to one grasp observation with MACE-VAE,
//! its exact update, or IS.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context};
use clap::{Args, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use mace_core::{GenerativeModel, Objective, TuneConfig, TuneReport, Tuner};
use mace_models::vae::checkpoint::{save_cvae, save_point_vae, WeightsDtype};
use mace_models::vae::{
    train_cvae, train_point_vae, Cvae, LatentUpdate, PointVae, PointVaeConfig, TunableLatentPrior,
    VaeEpochStats, VaeTrainConfig,
};
use mace_shapes::{
    clouds_from_tensor, grasp_evidence, pairwise_diversity, write_point_cloud, GraspScore,
    GraspSimulator, PointCloud, ScoreForm, Split,
};
use rand::{rngs::StdRng, SeedableRng};
use serde::Serialize;

use super::shapes::{
    fit_cvae_latent, fit_latent_prior, flatten, load_shape_cvae, load_shape_prior, ShapePrior,
    ShapeSource, LATENT_PRIOR_FILE,
};
use super::tune::TuneKnobs;
use crate::output::write_json;
use crate::progress::TuneProgress;

/// Subcommands of `mace grasp`.
#[derive(Debug, Subcommand)]
pub(crate) enum GraspCommand {
    /// Train the shape prior (point-cloud VAE) or, with `--cvae`, the CVAE baseline.
    Train(TrainArgs),
    /// Tune the shape prior to the contacts of one grasp and sample the posterior.
    Tune(GraspTuneArgs),
    /// Check a shape prior: reconstruction error and the diversity of its reconstructions and
    /// samples beside the data's.
    Inspect(super::inspect::InspectArgs),
    /// (Re)fit a shape prior's latent prior to the training shapes (writes latent_prior.json;
    /// `grasp train` does this at the end).
    FitLatent(FitLatentArgs),
}

/// Arguments of `mace grasp fit-latent`.
#[derive(Debug, Args)]
pub(crate) struct FitLatentArgs {
    /// Shape prior folder (its latent_prior.json is replaced).
    #[arg(long, value_name = "DIR")]
    prior: PathBuf,
    /// The folder holds a CVAE (fit to its training pairs under the in-distribution grasp).
    #[arg(long)]
    cvae: bool,
    #[command(flatten)]
    data: ShapeSource,
}

fn fit_latent(args: FitLatentArgs) -> anyhow::Result<()> {
    let start = Instant::now();
    let train_set = args.data.load(Split::Train)?;
    let latent = if args.cvae {
        let (cvae, _) = load_shape_cvae(Some(&args.prior))?;
        let (cond, kept, _) = contacts_of(&GraspSimulator::in_distribution(), &train_set);
        let kept: Vec<PointCloud> = kept.iter().map(|&i| train_set[i].clone()).collect();
        fit_cvae_latent(&cvae, &kept, &cond)?
    } else {
        let prior = load_shape_prior(Some(&args.prior))?;
        fit_latent_prior(&prior.vae, &train_set)?
    };
    let file = args.prior.join(LATENT_PRIOR_FILE);
    write_json(&file, &latent)?;
    let var = latent
        .basis
        .as_ref()
        .map(|b| b.axis_variance.clone())
        .unwrap_or_default();
    let total: f32 = var.iter().sum();
    let top: f32 = var.iter().take(8).sum();
    println!(
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

/// Runs a `mace grasp` subcommand.
pub(crate) fn run(command: GraspCommand) -> anyhow::Result<()> {
    match command {
        GraspCommand::Train(args) => train(args),
        GraspCommand::Tune(args) => tune(args),
        GraspCommand::Inspect(args) => super::inspect::inspect(args),
        GraspCommand::FitLatent(args) => fit_latent(args),
    }
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
    data: ShapeSource,
    /// Train the CVAE baseline (conditioned on the in-distribution grasp contacts) instead.
    #[arg(long)]
    cvae: bool,
    /// Network sizes.
    #[arg(long, value_enum, default_value_t = Sizes::Cpu)]
    sizes: Sizes,
    /// Passes over the training split.
    #[arg(long, default_value_t = 120)]
    epochs: usize,
    /// Shapes per mini-batch (paper: 64).
    #[arg(long, default_value_t = 64)]
    batch: usize,
    /// Adam learning rate (paper: 5e-4; our default trains faster with no loss of stability).
    #[arg(long, default_value_t = 1e-3)]
    lr: f64,
    /// Learning rate at the end as a fraction of --lr (cosine decay; 1 = constant, the paper).
    #[arg(long, default_value_t = 0.1)]
    final_lr_fraction: f64,
    /// KL weight β (default: 1e-7 for the prior; 1e-5 for the CVAE, which otherwise reconstructs
    /// from z alone and ignores its condition — measured in docs/BENCHMARKS.md).
    #[arg(long)]
    beta: Option<f64>,
    /// Seed of the initial weights and the training draws.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Store the weights as f32 instead of f16.
    #[arg(long)]
    f32: bool,
    /// Output folder (weights.safetensors + config.json, written atomically at every improvement).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
}

/// The CVAE's default KL weight: large enough that z cannot carry the shape alone, so the decoder
/// uses the contacts (at the prior's 1e-7 the CVAE's samples ignore them: score 0.959 vs 0.978).
const CVAE_BETA: f64 = 1e-5;

/// A progress bar over epochs showing the held-out Chamfer distance.
fn epoch_bar(epochs: usize, quiet: bool) -> ProgressBar {
    let bar = if quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(epochs as u64)
    };
    bar.set_style(
        ProgressStyle::with_template("   epoch [{bar:30}] {pos}/{len} {elapsed_precise} {msg}")
            .expect("static template")
            .progress_chars("=> "),
    );
    bar
}

/// The contacts of each cloud under `sim`; clouds a finger misses are dropped (their indices
/// returned).
fn contacts_of(sim: &GraspSimulator, clouds: &[PointCloud]) -> (Vec<f32>, Vec<usize>, Vec<usize>) {
    let (mut cond, mut kept, mut dropped) = (Vec::new(), Vec::new(), Vec::new());
    for (i, c) in clouds.iter().enumerate() {
        match sim.observe(c.points()) {
            Ok(o) => {
                cond.extend(o);
                kept.push(i);
            }
            Err(_) => dropped.push(i),
        }
    }
    (cond, kept, dropped)
}

fn train(args: TrainArgs) -> anyhow::Result<()> {
    if args.epochs == 0 || args.batch == 0 {
        bail!("--epochs and --batch must be at least 1");
    }
    let start = Instant::now();
    let train_set = args.data.load(Split::Train)?;
    let val_set = args.data.load(Split::Val)?;
    eprintln!(
        "{}: {} training and {} validation shapes (loaded in {:.1} s)",
        args.data.describe(),
        train_set.len(),
        val_set.len(),
        start.elapsed().as_secs_f64()
    );
    let sizes = match args.sizes {
        Sizes::Cpu => PointVaeConfig::cpu(),
        Sizes::Paper => PointVaeConfig::paper(),
    };
    let config = VaeTrainConfig {
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
    };
    let dtype = if args.f32 {
        WeightsDtype::F32
    } else {
        WeightsDtype::F16
    };
    let bar = epoch_bar(args.epochs, args.quiet);
    let describe = args.data.describe();
    let out = &args.out;
    let record = if args.cvae {
        let sim = GraspSimulator::in_distribution();
        let (train_cond, kept, dropped) = contacts_of(&sim, &train_set);
        let (val_cond, val_kept, _) = contacts_of(&sim, &val_set);
        if !dropped.is_empty() {
            eprintln!(
                "{} training shapes left out: a finger touches nothing",
                dropped.len()
            );
        }
        let pick = |set: &[PointCloud], idx: &[usize]| -> Vec<PointCloud> {
            idx.iter().map(|&i| set[i].clone()).collect()
        };
        let (tr, va) = (pick(&train_set, &kept), pick(&val_set, &val_kept));
        let model = Cvae::new(sizes.with_cond_dim(sim.fingers()), args.seed)?;
        let mut on_epoch = |s: &VaeEpochStats, improved: bool| {
            epoch_message(&bar, s, improved);
            if improved {
                save_cvae(&model, None, dtype, out)?;
            }
            Ok(())
        };
        let record = train_cvae(
            &model,
            &flatten(&tr),
            &train_cond,
            &flatten(&va),
            &val_cond,
            &config,
            &mut on_epoch,
        )?;
        let record = mace_models::vae::VaeTrainingRecord {
            data: describe,
            ..record
        };
        save_cvae(&model, Some(&record), dtype, out)?;
        let latent = fit_cvae_latent(&model, &tr, &train_cond)?;
        write_json(&out.join(LATENT_PRIOR_FILE), &latent)?;
        record
    } else {
        let model = PointVae::new(sizes, args.seed)?;
        let mut on_epoch = |s: &VaeEpochStats, improved: bool| {
            epoch_message(&bar, s, improved);
            if improved {
                save_point_vae(&model, None, dtype, out)?;
            }
            Ok(())
        };
        let record = train_point_vae(
            &model,
            &flatten(&train_set),
            &flatten(&val_set),
            &config,
            &mut on_epoch,
        )?;
        let record = mace_models::vae::VaeTrainingRecord {
            data: describe,
            ..record
        };
        save_point_vae(&model, Some(&record), dtype, out)?;
        let latent = fit_latent_prior(&model, &train_set)?;
        write_json(&out.join(LATENT_PRIOR_FILE), &latent)?;
        record
    };
    bar.finish_and_clear();
    println!(
        "trained {} epochs in {:.0} s; best held-out Chamfer {:.3e} (epoch {}); written to {}",
        record.history.len(),
        record.wall_time_s,
        record.best_heldout_chamfer,
        record.best_epoch,
        out.display()
    );
    Ok(())
}

fn epoch_message(bar: &ProgressBar, s: &VaeEpochStats, improved: bool) {
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

/// How the latent prior is tuned, as a command-line value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum GraspObjective {
    /// MACE-VAE with Adam on the elites' −KL (the paper).
    Mace,
    /// MACE-VAE with the closed-form maximiser of the elites' −KL (ours).
    Exact,
    /// Importance sampling (paper Eq. 2) with Adam.
    Is,
    /// No tuning: the best of as many prior samples as a tuner simulates (iterations × sample
    /// size), by score. A baseline of the benches; it yields samples, not a posterior.
    #[value(name = "best-of")]
    #[serde(rename = "best-of")]
    BestOf,
}

impl GraspObjective {
    /// The tuner objective and the latent update rule.
    /// `None` for [`GraspObjective::BestOf`], which tunes nothing.
    pub(crate) fn parts(self, step_fraction: f64) -> Option<(Objective, LatentUpdate)> {
        Some(match self {
            GraspObjective::Mace => (Objective::Mace, LatentUpdate::Adam),
            GraspObjective::Exact => (Objective::Mace, LatentUpdate::Exact { step_fraction }),
            GraspObjective::Is => (Objective::Is, LatentUpdate::Adam),
            GraspObjective::BestOf => return None,
        })
    }

    /// The name on the command line and in tables.
    pub(crate) fn label(self) -> &'static str {
        match self {
            GraspObjective::Mace => "mace",
            GraspObjective::Exact => "exact",
            GraspObjective::Is => "is",
            GraspObjective::BestOf => "best-of",
        }
    }
}

/// Which finger set makes the observation.
pub(crate) fn grasp_simulator(ood: bool) -> GraspSimulator {
    if ood {
        GraspSimulator::out_of_distribution()
    } else {
        GraspSimulator::in_distribution()
    }
}

/// Arguments of `mace grasp tune`.
#[derive(Debug, Args)]
pub(crate) struct GraspTuneArgs {
    /// The observed object: an index into the test split, or a PLY/NPY file.
    #[arg(long, value_name = "INDEX|FILE")]
    shape: String,
    #[command(flatten)]
    data: ShapeSource,
    /// Out of distribution: the fifth finger points along +x instead of −x.
    #[arg(long)]
    ood: bool,
    /// Tuning objective.
    #[arg(long, value_enum, default_value_t = GraspObjective::Mace)]
    objective: GraspObjective,
    /// `exact`: fraction of the way to the closed-form optimum taken per step.
    #[arg(long, default_value_t = 0.5)]
    step_fraction: f64,
    /// Score form: the paper's mean of contact distances, or the reference code's sum.
    #[arg(long, value_enum, default_value_t = ScoreFormArg::Mean)]
    score: ScoreFormArg,
    #[command(flatten)]
    knobs: TuneKnobs,
    /// Seed of every draw.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Samples drawn from prior and posterior to evaluate them (paper: 49).
    #[arg(long, default_value_t = 49)]
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

/// The grasp score's form, as a command-line value.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum ScoreFormArg {
    /// max(1 − mean_j |Δc_j|, 0) (the paper).
    Mean,
    /// max(1 − Σ_j |Δc_j|, 0) (the reference code).
    Sum,
}

impl From<ScoreFormArg> for ScoreForm {
    fn from(s: ScoreFormArg) -> Self {
        match s {
            ScoreFormArg::Mean => ScoreForm::Mean,
            ScoreFormArg::Sum => ScoreForm::Sum,
        }
    }
}

/// Our tuning settings for the grasp domain (see docs/BENCHMARKS.md): the reference's sample
/// size, batch, quantile and learning rate, fewer iterations.
pub(crate) fn grasp_config() -> TuneConfig {
    TuneConfig {
        iterations: 200,
        ..TuneConfig::grasp()
    }
}

/// Score and diversity of `n` samples of a model.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct SampleEval {
    /// Mean grasp score of the samples.
    pub(crate) mean_score: f32,
    /// Mean pairwise Chamfer distance of the samples.
    pub(crate) diversity: f32,
}

/// Scores and diversity of sampled clouds (rows of `samples`).
pub(crate) fn evaluate_clouds(
    clouds: &[PointCloud],
    sim: &GraspSimulator,
    score: &GraspScore,
) -> anyhow::Result<SampleEval> {
    let scores = score.score_batch(&sim.simulate_clouds(clouds)?)?;
    Ok(SampleEval {
        mean_score: scores.iter().sum::<f32>() / scores.len().max(1) as f32,
        diversity: pairwise_diversity(clouds)?,
    })
}

/// Tunes a fresh latent prior of `prior` to `evidence` (grasp contacts, a depth view, …);
/// returns it and the report.
pub(crate) fn tune_latent(
    prior: &ShapePrior,
    evidence: &dyn mace_core::Evidence,
    objective: GraspObjective,
    step_fraction: f64,
    config: &TuneConfig,
    observer: &mut dyn mace_core::TuneObserver,
) -> anyhow::Result<(TunableLatentPrior, TuneReport)> {
    let Some((objective, update)) = objective.parts(step_fraction) else {
        bail!("best-of tunes nothing: it is a baseline of `mace bench completion` (choose mace, exact or is)");
    };
    let model = prior.model()?.with_update(update);
    let report = Tuner::new(config.clone(), objective)?.run(&model, evidence, observer)?;
    Ok((model, report))
}

#[derive(Serialize)]
struct GraspTuneRecord<'a> {
    shape: &'a str,
    ood: bool,
    objective: GraspObjective,
    observation: &'a [f32],
    prior_eval: SampleEval,
    posterior_eval: SampleEval,
    /// θ of the tuned latent prior: μ and σ per axis, in the coordinates of the prior's
    /// `latent_prior.json` basis (its principal axes) when it has one, else in z.
    posterior_mean: Vec<f32>,
    posterior_std: Vec<f32>,
    report: &'a TuneReport,
}

fn tune(args: GraspTuneArgs) -> anyhow::Result<()> {
    let prior = load_shape_prior(args.prior.as_deref())?;
    let (observed, shape_name) = args.data.test_shape(&args.shape)?;
    let sim = grasp_simulator(args.ood);
    let target = sim.observe(observed.points()).with_context(|| {
        format!("observing {shape_name}: the grasp must touch the object with every finger")
    })?;
    let form: ScoreForm = args.score.into();
    let score = GraspScore::new(target.clone(), form)?;
    let config = args.knobs.apply(grasp_config(), args.seed);
    let n = args.eval_samples.max(2);
    let prior_model = prior.model()?;
    let prior_clouds = sample_clouds(&prior_model, n, args.seed + 1)?;
    let prior_eval = evaluate_clouds(&prior_clouds, &sim, &score)?;
    let mut bar = TuneProgress::new(
        &format!("{:?}", args.objective),
        config.iterations,
        args.quiet,
    );
    let evidence = grasp_evidence(sim.clone(), target.clone(), form)?;
    let (posterior, report) = tune_latent(
        &prior,
        &evidence,
        args.objective,
        args.step_fraction,
        &config,
        &mut bar,
    )?;
    bar.finish();
    let clouds = sample_clouds(&posterior, n, args.seed + 1)?;
    let posterior_eval = evaluate_clouds(&clouds, &sim, &score)?;
    write_outputs(&args.out, &observed, &clouds)?;
    if !args.no_pictures {
        draw_grasp(&args.out, &sim, &observed, &target, &prior_clouds, &clouds)?;
        let curves = crate::render::render_curves(&report, None, "grasp tuning", (900, 640))?;
        crate::render::save_png(&curves, &args.out.join("curves.png"))?;
    }
    let record = GraspTuneRecord {
        shape: &shape_name,
        ood: args.ood,
        objective: args.objective,
        observation: &target,
        prior_eval,
        posterior_eval,
        posterior_mean: posterior.mean()?,
        posterior_std: posterior.std()?,
        report: &report,
    };
    write_json(&args.out.join("report.json"), &record)?;
    println!(
        "{shape_name} ({} fingers{}), prior {}: {:?} with {} iterations in {:.2} s ({:?})",
        sim.fingers(),
        if args.ood {
            ", out of distribution"
        } else {
            ""
        },
        prior.dir.display(),
        args.objective,
        report.iterations.len(),
        report.timings.total_s,
        report.status
    );
    println!("| model | mean score ({n} samples) | diversity (mean pairwise Chamfer) |");
    println!("|---|---|---|");
    for (name, e) in [
        ("prior", &record.prior_eval),
        ("posterior", &record.posterior_eval),
    ] {
        println!("| {name} | {:.3} | {:.4} |", e.mean_score, e.diversity);
    }
    println!("written to {}", args.out.display());
    Ok(())
}

/// `n` clouds sampled from `model` with `seed`.
pub(crate) fn sample_clouds(
    model: &TunableLatentPrior,
    n: usize,
    seed: u64,
) -> anyhow::Result<Vec<PointCloud>> {
    let x = model.sample(n, &mut StdRng::seed_from_u64(seed))?;
    Ok(clouds_from_tensor(&x)?)
}

/// Writes `observed.ply` and `posterior/sample_XX.ply` into `out`.
fn write_outputs(out: &Path, observed: &PointCloud, samples: &[PointCloud]) -> anyhow::Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    write_point_cloud(out.join("observed.ply"), observed)?;
    let dir = out.join("posterior");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    for (i, c) in samples.iter().enumerate() {
        write_point_cloud(dir.join(format!("sample_{i:02}.ply")), c)?;
    }
    Ok(())
}

/// Contact markers: contact coordinate `c_j` along finger direction `d_j` → the point `c_j · d_j`.
pub(crate) fn contact_points(directions: &[[f32; 3]], contacts: &[f32]) -> Vec<[f32; 3]> {
    directions
        .iter()
        .zip(contacts)
        .map(|(d, &c)| [c * d[0], c * d[1], c * d[2]])
        .collect()
}

/// Writes `out/samples.png`: the observed shape with its grasp, then up to 8 prior and 8
/// posterior samples, each with the contacts its own grasp would make.
pub(crate) fn draw_grasp(
    out: &Path,
    sim: &GraspSimulator,
    observed: &PointCloud,
    target: &[f32],
    prior: &[PointCloud],
    posterior: &[PointCloud],
) -> anyhow::Result<()> {
    use crate::render::{render_cloud_grid, save_png, CloudPanel};
    let dirs = sim.directions().to_vec();
    let contacts_of = |c: &PointCloud| -> Vec<[f32; 3]> {
        let found = sim.contacts(c.points()).unwrap_or_default();
        // A finger that touches nothing passes through: its marker sits beyond the centre.
        dirs.iter()
            .zip(found)
            .map(|(d, c)| {
                let c = c.unwrap_or(0.6);
                [c * d[0], c * d[1], c * d[2]]
            })
            .collect()
    };
    let target_points = contact_points(&dirs, target);
    let shown = 8;
    let titles: Vec<String> = (0..shown).map(|i| format!("prior {i}")).collect();
    let post_titles: Vec<String> = (0..shown).map(|i| format!("posterior {i}")).collect();
    let prior_contacts: Vec<_> = prior.iter().take(shown).map(contacts_of).collect();
    let post_contacts: Vec<_> = posterior.iter().take(shown).map(contacts_of).collect();
    let mut panels = vec![CloudPanel {
        points: observed.points(),
        fingers: &dirs,
        contacts: &target_points,
        title: Some("observed"),
        ..Default::default()
    }];
    for (i, c) in prior.iter().take(shown).enumerate() {
        panels.push(CloudPanel {
            points: c.points(),
            fingers: &dirs,
            contacts: &prior_contacts[i],
            title: Some(&titles[i]),
            ..Default::default()
        });
    }
    for (i, c) in posterior.iter().take(shown).enumerate() {
        panels.push(CloudPanel {
            points: c.points(),
            fingers: &dirs,
            contacts: &post_contacts[i],
            title: Some(&post_titles[i]),
            ..Default::default()
        });
    }
    let picture = render_cloud_grid(
        &panels,
        shown + 1,
        220,
        Some("observed grasp (left); prior (top row) and posterior (bottom row) samples"),
    )?;
    save_png(&picture, &out.join("samples.png"))
}
