//! `mace complete …` and `mace bench completion`: point-cloud completion from a partial depth
//! view (the paper's Appendix C). A depth camera sees part of an object; the shape prior is
//! tuned (MACE-VAE, its exact update, or IS) so that its samples, seen from the same camera,
//! look like the observation — and so complete the hidden side in several plausible ways.
//! The score is `mace_shapes::CompletionScore` (see its module docs for the choice).

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use mace_core::{prior_best_of, NoObserver, TuneConfig, TuneReport};
use mace_models::vae::TunableLatentPrior;
use mace_shapes::{
    add_depth_noise, chamfer, clouds_from_tensor, completion_evidence, observe_partial,
    pairwise_diversity, write_point_cloud, CompletionScore, CompletionScoreConfig, DepthCamera,
    DepthCameraConfig, PointCloud, Split,
};
use rand::{rngs::StdRng, SeedableRng};
use rayon::prelude::*;
use serde::Serialize;

use super::grasp::{grasp_config, sample_clouds, tune_latent, GraspObjective};
use super::shapes::{load_shape_prior, ShapePrior, ShapeSource};
use super::tune::TuneKnobs;
use crate::output::{emit_json, write_atomic, write_json};
use crate::progress::TuneProgress;

/// Subcommands of `mace complete`.
#[derive(Debug, Subcommand)]
pub(crate) enum CompleteCommand {
    /// Tune the shape prior to one partial depth view and sample completions.
    Tune(CompleteTuneArgs),
}

/// Runs a `mace complete` subcommand.
pub(crate) fn run(command: CompleteCommand) -> anyhow::Result<()> {
    match command {
        CompleteCommand::Tune(args) => tune(args),
    }
}

/// The depth camera's intrinsics and distance (the pose's angles are given per view).
#[derive(Debug, Clone, Args)]
pub(crate) struct CameraArgs {
    /// Camera distance from the object's centre (cloud units; clouds lie within 0.5).
    #[arg(long, default_value_t = 2.0)]
    distance: f32,
    /// Full field of view, degrees.
    #[arg(long, default_value_t = 30.0)]
    fov: f32,
    /// Image side, pixels.
    #[arg(long, default_value_t = 64)]
    resolution: usize,
    /// Half-size of a splatted point's footprint, pixels.
    #[arg(long, default_value_t = 1)]
    splat_radius: usize,
    /// Depth tolerance of visibility (cloud units).
    #[arg(long, default_value_t = 0.05)]
    depth_epsilon: f32,
}

impl CameraArgs {
    /// The camera at azimuth `az`, elevation `el` (degrees).
    fn camera(&self, [az, el]: [f32; 2]) -> anyhow::Result<DepthCamera> {
        DepthCamera::new(&DepthCameraConfig {
            azimuth_deg: az,
            elevation_deg: el,
            distance: self.distance,
            fov_deg: self.fov,
            resolution: self.resolution,
            splat_radius: self.splat_radius,
            depth_epsilon: self.depth_epsilon,
        })
        .with_context(|| format!("camera at azimuth {az}°, elevation {el}°"))
    }
}

/// The completion score's settings.
#[derive(Debug, Clone, Args)]
pub(crate) struct ScoreArgs {
    /// Score scale (squared cloud units): S = exp(−d / scale).
    #[arg(long, default_value_t = CompletionScoreConfig::default().scale)]
    scale: f32,
    /// Weight of the reverse Chamfer term (simulated view → observation); 0 = one-sided.
    #[arg(long, default_value_t = CompletionScoreConfig::default().reverse_weight)]
    reverse_weight: f32,
}

/// [`CompletionScoreConfig`] as JSON.
#[derive(Debug, Clone, Serialize)]
struct ScoreRecord {
    scale: f32,
    reverse_weight: f32,
}

impl From<&CompletionScoreConfig> for ScoreRecord {
    fn from(c: &CompletionScoreConfig) -> Self {
        Self {
            scale: c.scale,
            reverse_weight: c.reverse_weight,
        }
    }
}

/// [`DepthCameraConfig`] as JSON.
#[derive(Debug, Clone, Serialize)]
struct CameraRecord {
    azimuth_deg: f32,
    elevation_deg: f32,
    distance: f32,
    fov_deg: f32,
    resolution: usize,
    splat_radius: usize,
    depth_epsilon: f32,
}

impl From<&DepthCameraConfig> for CameraRecord {
    fn from(c: &DepthCameraConfig) -> Self {
        Self {
            azimuth_deg: c.azimuth_deg,
            elevation_deg: c.elevation_deg,
            distance: c.distance,
            fov_deg: c.fov_deg,
            resolution: c.resolution,
            splat_radius: c.splat_radius,
            depth_epsilon: c.depth_epsilon,
        }
    }
}

impl ScoreArgs {
    fn config(&self) -> CompletionScoreConfig {
        CompletionScoreConfig {
            scale: self.scale,
            reverse_weight: self.reverse_weight,
        }
    }
}

/// Our tuning settings for completion: those of the grasp domain (see docs/BENCHMARKS.md).
pub(crate) fn completion_config() -> TuneConfig {
    grasp_config()
}

/// Arguments of `mace complete tune`.
#[derive(Debug, Args)]
pub(crate) struct CompleteTuneArgs {
    /// The observed object: an index into the test split, or a PLY/NPY file (normalised clouds).
    #[arg(long, value_name = "INDEX|FILE")]
    shape: String,
    #[command(flatten)]
    data: ShapeSource,
    /// Camera azimuth and elevation, degrees.
    #[arg(long, num_args = 2, value_names = ["AZ", "EL"], allow_negative_numbers = true)]
    view: Vec<f32>,
    #[command(flatten)]
    camera: CameraArgs,
    /// Gaussian depth noise added to the observation along the camera rays (cloud units).
    #[arg(long, default_value_t = 0.0)]
    depth_noise: f32,
    #[command(flatten)]
    score: ScoreArgs,
    /// Tuning objective.
    #[arg(long, value_enum, default_value_t = GraspObjective::Mace)]
    objective: GraspObjective,
    /// `exact`: fraction of the way to the closed-form optimum taken per step.
    #[arg(long, default_value_t = 0.5)]
    step_fraction: f64,
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
    /// Output folder: observation.ply, ground_truth.ply, prior/ and posterior/sample_XX.ply,
    /// report.json, samples.png, curves.png.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
}

/// How well a set of samples completes one observation.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct CompletionEval {
    /// Samples evaluated.
    pub(crate) samples: usize,
    /// Mean completion score (the tuner's score) of the samples.
    pub(crate) mean_score: f32,
    /// Mean symmetric Chamfer distance of the samples to the full ground truth.
    pub(crate) chamfer_mean: f32,
    /// Smallest Chamfer distance of a sample to the full ground truth (best of the set).
    pub(crate) chamfer_best: f32,
    /// Mean pairwise Chamfer distance of the samples (whole clouds).
    pub(crate) diversity: f32,
    /// Mean pairwise Chamfer distance of the samples' points hidden from the camera (the
    /// completed side); `None` if fewer than two samples have hidden points.
    pub(crate) hidden_diversity: Option<f32>,
}

/// Scores, distances to `truth` and diversities of sampled clouds.
pub(crate) fn evaluate_completions(
    clouds: &[PointCloud],
    truth: &PointCloud,
    camera: &DepthCamera,
    score: &CompletionScore,
) -> anyhow::Result<CompletionEval> {
    let points: Vec<&[[f32; 3]]> = clouds.iter().map(|c| c.points()).collect();
    let views = camera.visible_batch(&points)?;
    let scores = score.score_batch(&views)?;
    let to_truth: Vec<f32> = points
        .par_iter()
        .map(|c| chamfer(c, truth.points()))
        .collect::<Result<_, _>>()?;
    let hidden: Vec<Vec<[f32; 3]>> = points
        .par_iter()
        .map(|c| {
            let mask = camera.visible_mask(c)?;
            Ok(c.iter()
                .zip(mask)
                .filter_map(|(p, seen)| (!seen).then_some(*p))
                .collect())
        })
        .collect::<Result<_, mace_shapes::Error>>()?;
    let hidden: Vec<Vec<[f32; 3]>> = hidden.into_iter().filter(|h| !h.is_empty()).collect();
    let n = clouds.len().max(1) as f32;
    Ok(CompletionEval {
        samples: clouds.len(),
        mean_score: scores.iter().sum::<f32>() / n,
        chamfer_mean: to_truth.iter().sum::<f32>() / n,
        chamfer_best: to_truth.iter().copied().fold(f32::INFINITY, f32::min),
        diversity: pairwise_diversity(&points)?,
        hidden_diversity: if hidden.len() >= 2 {
            Some(pairwise_diversity(&hidden)?)
        } else {
            None
        },
    })
}

/// One completion problem: the camera, the observation and the evidence built from them.
struct Problem {
    camera: DepthCamera,
    observed: Vec<[f32; 3]>,
    score: CompletionScore,
}

impl Problem {
    fn new(
        truth: &PointCloud,
        camera: DepthCamera,
        depth_noise: f32,
        seed: u64,
        config: &CompletionScoreConfig,
    ) -> anyhow::Result<Self> {
        let observed = observe_partial(&camera, truth.points())?;
        let observed = add_depth_noise(&camera, &observed, depth_noise, seed)?;
        let score = CompletionScore::new(observed.clone(), config)?;
        Ok(Self {
            camera,
            observed,
            score,
        })
    }

    /// Tunes a fresh latent model of `prior` to this observation.
    fn tune(
        &self,
        prior: &ShapePrior,
        objective: GraspObjective,
        step_fraction: f64,
        config: &TuneConfig,
        observer: &mut dyn mace_core::TuneObserver,
    ) -> anyhow::Result<(TunableLatentPrior, TuneReport)> {
        tune_latent(
            prior,
            &self.evidence()?,
            objective,
            step_fraction,
            config,
            observer,
        )
    }

    /// The observation as tuning evidence (render the view, score it).
    fn evidence(&self) -> anyhow::Result<impl mace_core::Evidence> {
        Ok(completion_evidence(
            self.camera.clone(),
            self.observed.clone(),
            self.score.config(),
        )?)
    }
}

#[derive(Serialize)]
struct CompleteTuneRecord<'a> {
    shape: &'a str,
    prior: String,
    camera: CameraRecord,
    depth_noise: f32,
    score: ScoreRecord,
    objective: GraspObjective,
    observed_points: usize,
    prior_eval: CompletionEval,
    posterior_eval: CompletionEval,
    /// θ of the tuned latent prior: μ and σ per axis, in the coordinates of the prior's
    /// `latent_prior.json` basis (its principal axes) when it has one, else in z.
    posterior_mean: Vec<f32>,
    posterior_std: Vec<f32>,
    report: &'a TuneReport,
}

fn view_of(v: &[f32]) -> anyhow::Result<[f32; 2]> {
    match v {
        [az, el] => Ok([*az, *el]),
        _ => bail!("--view takes two numbers: AZ EL (degrees)"),
    }
}

fn tune(args: CompleteTuneArgs) -> anyhow::Result<()> {
    let view = view_of(&args.view)?;
    let camera = args.camera.camera(view)?;
    let (truth, shape_name) = args.data.test_shape(&args.shape)?;
    let problem = Problem::new(
        &truth,
        camera,
        args.depth_noise,
        args.seed,
        &args.score.config(),
    )
    .with_context(|| {
        format!(
            "observing {shape_name} from azimuth {}°, elevation {}°",
            view[0], view[1]
        )
    })?;
    let prior = load_shape_prior(args.prior.as_deref())?;
    let prior_dir = prior.dir.clone();
    let config = args.knobs.apply(completion_config(), args.seed);
    let n = args.eval_samples.max(2);
    let prior_clouds = sample_clouds(&prior.model()?, n, args.seed + 1)?;
    let prior_eval = evaluate_completions(&prior_clouds, &truth, &problem.camera, &problem.score)?;
    let mut bar = TuneProgress::new(
        &format!("{:?}", args.objective),
        config.iterations,
        args.quiet,
    );
    let (posterior, report) = problem.tune(
        &prior,
        args.objective,
        args.step_fraction,
        &config,
        &mut bar,
    )?;
    bar.finish();
    let clouds = sample_clouds(&posterior, n, args.seed + 1)?;
    let posterior_eval = evaluate_completions(&clouds, &truth, &problem.camera, &problem.score)?;
    let out = &args.out;
    write_cloud(&out.join("observation.ply"), problem.observed.clone())?;
    write_cloud(&out.join("ground_truth.ply"), truth.points().to_vec())?;
    write_samples(&out.join("prior"), &prior_clouds)?;
    write_samples(&out.join("posterior"), &clouds)?;
    let record = CompleteTuneRecord {
        shape: &shape_name,
        prior: prior_dir.display().to_string(),
        camera: problem.camera.config().into(),
        depth_noise: args.depth_noise,
        score: problem.score.config().into(),
        objective: args.objective,
        observed_points: problem.observed.len(),
        prior_eval,
        posterior_eval,
        posterior_mean: posterior.mean()?,
        posterior_std: posterior.std()?,
        report: &report,
    };
    write_json(&out.join("report.json"), &record)?;
    draw_completion(
        &out.join("samples.png"),
        &truth,
        &problem.observed,
        &prior_clouds,
        &clouds,
    )?;
    let curves = crate::render::render_curves(&report, None, "completion tuning", (900, 640))?;
    crate::render::save_png(&curves, &out.join("curves.png"))?;
    println!(
        "{shape_name}, view ({}°, {}°): {} of {} points seen; prior {}: {:?} with {} iterations in {:.2} s ({:?})",
        view[0],
        view[1],
        problem.observed.len(),
        truth.len(),
        prior_dir.display(),
        args.objective,
        report.iterations.len(),
        report.timings.total_s,
        report.status
    );
    println!(
        "| model | score | Chamfer to truth (mean of {n}) | Chamfer to truth (best of {n}) | diversity | hidden-side diversity |"
    );
    println!("|---|---|---|---|---|---|");
    for (name, e) in [
        ("prior", &record.prior_eval),
        ("posterior", &record.posterior_eval),
    ] {
        println!(
            "| {name} | {:.3} | {:.3e} | {:.3e} | {:.3e} | {} |",
            e.mean_score,
            e.chamfer_mean,
            e.chamfer_best,
            e.diversity,
            fmt_opt(e.hidden_diversity)
        );
    }
    println!("written to {}", out.display());
    Ok(())
}

/// Writes the PNG `path`: the ground truth with the observed view highlighted, then up to 8
/// prior and 8 posterior samples, each with the observed view over it.
pub(crate) fn draw_completion(
    path: &Path,
    truth: &PointCloud,
    observed: &[[f32; 3]],
    prior: &[PointCloud],
    posterior: &[PointCloud],
) -> anyhow::Result<()> {
    use crate::render::{render_cloud_grid, save_png, CloudPanel};
    let shown = 8;
    let titles: Vec<String> = (0..shown)
        .map(|i| format!("prior {i}"))
        .chain((0..shown).map(|i| format!("posterior {i}")))
        .collect();
    let mut panels = vec![CloudPanel {
        points: truth.points(),
        observed,
        title: Some("truth + observed"),
        ..Default::default()
    }];
    let samples = prior
        .iter()
        .take(shown)
        .zip(&titles[..shown])
        .chain(posterior.iter().take(shown).zip(&titles[shown..]));
    for (c, title) in samples {
        panels.push(CloudPanel {
            points: c.points(),
            observed,
            title: Some(title),
            ..Default::default()
        });
    }
    let picture = render_cloud_grid(
        &panels,
        shown + 1,
        220,
        Some("observed view in green; prior (top row) and posterior (bottom row) samples"),
    )?;
    save_png(&picture, path)
}

fn fmt_opt(v: Option<f32>) -> String {
    v.map_or_else(|| "n/a".into(), |v| format!("{v:.3e}"))
}

fn write_cloud(path: &Path, points: Vec<[f32; 3]>) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    write_point_cloud(path, &PointCloud::new(points)?)?;
    Ok(())
}

fn write_samples(dir: &Path, clouds: &[PointCloud]) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    for (i, c) in clouds.iter().enumerate() {
        write_point_cloud(dir.join(format!("sample_{i:02}.ply")), c)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// mace bench completion

/// Parses `AZ,EL` (degrees).
fn parse_view(s: &str) -> Result<[f32; 2], String> {
    let parts: Vec<&str> = s.split(',').collect();
    let [az, el] = parts[..] else {
        return Err(format!("expected AZ,EL (degrees), got `{s}`"));
    };
    let num = |t: &str| {
        t.trim()
            .parse::<f32>()
            .map_err(|e| format!("`{t}` in `{s}`: {e}"))
    };
    Ok([num(az)?, num(el)?])
}

/// Arguments of `mace bench completion`.
#[derive(Debug, Args)]
pub(crate) struct CompletionBenchArgs {
    /// Held-out shapes (the first N of the test split). (`--shapes` is the size of the
    /// procedural set, shared with the other shape commands.)
    #[arg(long, default_value_t = 50)]
    test_shapes: usize,
    #[command(flatten)]
    data: ShapeSource,
    /// A camera view as AZ,EL in degrees; repeat for more (`--views 45,30 --views -135,20`,
    /// the default). Every shape is observed from each.
    #[arg(long, visible_alias = "view", value_name = "AZ,EL", num_args = 1,
          action = clap::ArgAction::Append, value_parser = parse_view, allow_hyphen_values = true,
          default_values = ["45,30", "-135,20"])]
    views: Vec<[f32; 2]>,
    #[command(flatten)]
    camera: CameraArgs,
    /// Gaussian depth noise added to the observations along the camera rays (cloud units).
    #[arg(long, default_value_t = 0.0)]
    depth_noise: f32,
    #[command(flatten)]
    score: ScoreArgs,
    /// Tuned posteriors (and the tuning-free `best-of` baseline) to compare with the prior.
    #[arg(long, value_enum, value_delimiter = ',', default_values = ["mace", "exact", "is", "best-of"])]
    objectives: Vec<GraspObjective>,
    /// `exact`: fraction of the way to the closed-form optimum taken per step.
    #[arg(long, default_value_t = 0.5)]
    step_fraction: f64,
    #[command(flatten)]
    knobs: TuneKnobs,
    /// Seed of the tuning and the evaluation draws.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Samples drawn from each model per observation (paper: 49).
    #[arg(long, default_value_t = 49)]
    eval_samples: usize,
    /// Shape prior folder (default: the shipped assets/priors/airplanes).
    #[arg(long, value_name = "DIR")]
    prior: Option<PathBuf>,
    /// Print JSON to stdout (`--json`) or write it to a file (`--json OUT`, with the Markdown
    /// table beside it as OUT with extension `.md`).
    #[arg(long, value_name = "OUT", num_args = 0..=1, default_missing_value = "-")]
    json: Option<PathBuf>,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
}

#[derive(Debug, Clone, Serialize)]
struct PosteriorRow {
    objective: GraspObjective,
    eval: CompletionEval,
    tuning_s: f64,
    iterations: usize,
    final_score_mean: Option<f32>,
}

#[derive(Debug, Clone, Serialize)]
struct ObservationRow {
    shape: usize,
    view: [f32; 2],
    observed_points: usize,
    prior: CompletionEval,
    posteriors: Vec<PosteriorRow>,
}

#[derive(Debug, Clone, Serialize)]
struct ModelSummary {
    model: String,
    observations: usize,
    score: f64,
    chamfer_mean: f64,
    chamfer_best: f64,
    diversity: f64,
    hidden_diversity: Option<f64>,
    tuning_s_mean: Option<f64>,
    tuning_s_max: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
struct Bars {
    /// Model the bars are checked for.
    model: String,
    chamfer_mean_ratio: f64,
    chamfer_mean_ok: bool,
    chamfer_best_ratio: f64,
    chamfer_best_ok: bool,
    hidden_diversity_ratio: Option<f64>,
    diversity_ratio: f64,
    diversity_ok: bool,
    tuning_s_max: f64,
    tuning_ok: bool,
}

#[derive(Debug, Clone, Serialize)]
struct CompletionTable {
    data: String,
    prior: String,
    camera: CameraArgsRecord,
    depth_noise: f32,
    score: ScoreRecord,
    tune_config: TuneConfig,
    step_fraction: f64,
    eval_samples: usize,
    wall_time_s: f64,
    summary: Vec<ModelSummary>,
    bars: Vec<Bars>,
    rows: Vec<ObservationRow>,
}

#[derive(Debug, Clone, Serialize)]
struct CameraArgsRecord {
    views: Vec<[f32; 2]>,
    distance: f32,
    fov_deg: f32,
    resolution: usize,
    splat_radius: usize,
    depth_epsilon: f32,
}

/// Runs `mace bench completion`.
pub(crate) fn bench(args: CompletionBenchArgs) -> anyhow::Result<()> {
    let start = Instant::now();
    if args.test_shapes == 0 || args.views.is_empty() {
        bail!("--test-shapes and --views must not be empty");
    }
    let cameras: Vec<DepthCamera> = args
        .views
        .iter()
        .map(|&v| args.camera.camera(v))
        .collect::<anyhow::Result<_>>()?;
    let test = args.data.load(Split::Test)?;
    if test.len() < args.test_shapes {
        bail!(
            "--test-shapes {}: the test split of {} has {} shapes",
            args.test_shapes,
            args.data.describe(),
            test.len()
        );
    }
    let prior = load_shape_prior(args.prior.as_deref())?;
    let prior_dir = prior.dir.clone();
    let n = args.eval_samples.max(2);
    let eval_seed = args.seed.wrapping_add(1);
    // The prior does not depend on the observation: one set of samples serves every row.
    let prior_clouds = sample_clouds(&prior.model()?, n, eval_seed)?;
    let score_config = args.score.config();
    let total = args.test_shapes * cameras.len();
    let bar = if args.quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(total as u64)
    };
    bar.set_style(
        ProgressStyle::with_template("observation [{bar:30}] {pos}/{len} {elapsed_precise} {msg}")
            .expect("static template")
            .progress_chars("=> "),
    );
    let mut rows = Vec::with_capacity(total);
    let mut base_config = args.knobs.apply(completion_config(), args.seed);
    for (shape, truth) in test.iter().take(args.test_shapes).enumerate() {
        for (v, camera) in cameras.iter().enumerate() {
            let k = rows.len() as u64;
            let problem = Problem::new(
                truth,
                camera.clone(),
                args.depth_noise,
                args.seed.wrapping_add(k),
                &score_config,
            )
            .with_context(|| format!("observing test shape {shape}, view {:?}", args.views[v]))?;
            let prior_eval = evaluate_completions(&prior_clouds, truth, camera, &problem.score)?;
            let mut posteriors = Vec::new();
            for &objective in &args.objectives {
                base_config.seed = args.seed.wrapping_add(k);
                if objective == GraspObjective::BestOf {
                    let started = Instant::now();
                    let (x, _) = prior_best_of(
                        &prior.model()?,
                        &problem.evidence()?,
                        base_config.iterations * base_config.sample_size,
                        n,
                        base_config.sample_size,
                        &mut StdRng::seed_from_u64(base_config.seed),
                    )?;
                    let clouds = clouds_from_tensor(&x)?;
                    posteriors.push(PosteriorRow {
                        objective,
                        eval: evaluate_completions(&clouds, truth, camera, &problem.score)?,
                        tuning_s: started.elapsed().as_secs_f64(),
                        iterations: 0,
                        final_score_mean: None,
                    });
                    continue;
                }
                let (model, report) = problem.tune(
                    &prior,
                    objective,
                    args.step_fraction,
                    &base_config,
                    &mut NoObserver,
                )?;
                let clouds = sample_clouds(&model, n, eval_seed)?;
                // The first observation's first posterior, drawn beside the JSON.
                if let (Some(dest), 0, true) = (&args.json, k, posteriors.is_empty()) {
                    if dest != Path::new("-") {
                        let stem = dest
                            .file_stem()
                            .map_or("completion".into(), |s| s.to_string_lossy().into_owned());
                        let png = dest.with_file_name(format!("{stem}_samples.png"));
                        draw_completion(&png, truth, &problem.observed, &prior_clouds, &clouds)?;
                    }
                }
                posteriors.push(PosteriorRow {
                    objective,
                    eval: evaluate_completions(&clouds, truth, camera, &problem.score)?,
                    tuning_s: report.timings.total_s,
                    iterations: report.iterations.len(),
                    final_score_mean: report.last().map(|s| s.score_mean),
                });
            }
            rows.push(ObservationRow {
                shape,
                view: args.views[v],
                observed_points: problem.observed.len(),
                prior: prior_eval,
                posteriors,
            });
            bar.inc(1);
            bar.set_message(progress_message(&rows));
        }
    }
    bar.finish_and_clear();
    let summary = summarise(&rows, &args.objectives);
    let bars = check_bars(&summary);
    base_config.seed = args.seed;
    let table = CompletionTable {
        data: args.data.describe(),
        prior: prior_dir.display().to_string(),
        camera: CameraArgsRecord {
            views: args.views.clone(),
            distance: args.camera.distance,
            fov_deg: args.camera.fov,
            resolution: args.camera.resolution,
            splat_radius: args.camera.splat_radius,
            depth_epsilon: args.camera.depth_epsilon,
        },
        depth_noise: args.depth_noise,
        score: (&score_config).into(),
        tune_config: base_config,
        step_fraction: args.step_fraction,
        eval_samples: n,
        wall_time_s: start.elapsed().as_secs_f64(),
        summary,
        bars,
        rows,
    };
    let markdown = markdown(&table, args.test_shapes);
    print!("{markdown}");
    if let Some(dest) = &args.json {
        emit_json(dest, &table)?;
        if dest != Path::new("-") {
            let md = dest.with_extension("md");
            write_atomic(&md, markdown.as_bytes())?;
            eprintln!("written {} and {}", dest.display(), md.display());
        }
    }
    Ok(())
}

fn progress_message(rows: &[ObservationRow]) -> String {
    let n = rows.len().max(1) as f64;
    let prior = rows
        .iter()
        .map(|r| r.prior.chamfer_mean as f64)
        .sum::<f64>()
        / n;
    let mut msg = format!("CD prior {prior:.2e}");
    if let Some(first) = rows.first() {
        for (j, p) in first.posteriors.iter().enumerate() {
            let m = rows
                .iter()
                .map(|r| r.posteriors[j].eval.chamfer_mean as f64)
                .sum::<f64>()
                / n;
            msg.push_str(&format!(", {:?} {m:.2e}", p.objective));
        }
    }
    msg
}

fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let (mut s, mut k) = (0.0, 0usize);
    for v in values {
        s += v;
        k += 1;
    }
    s / k.max(1) as f64
}

fn summarise_evals<'a>(
    model: String,
    evals: impl Iterator<Item = (&'a CompletionEval, Option<f64>)> + Clone,
) -> ModelSummary {
    let hidden: Vec<f64> = evals
        .clone()
        .filter_map(|(e, _)| e.hidden_diversity.map(f64::from))
        .collect();
    let times: Vec<f64> = evals.clone().filter_map(|(_, t)| t).collect();
    ModelSummary {
        model,
        observations: evals.clone().count(),
        score: mean(evals.clone().map(|(e, _)| e.mean_score as f64)),
        chamfer_mean: mean(evals.clone().map(|(e, _)| e.chamfer_mean as f64)),
        chamfer_best: mean(evals.clone().map(|(e, _)| e.chamfer_best as f64)),
        diversity: mean(evals.clone().map(|(e, _)| e.diversity as f64)),
        hidden_diversity: (!hidden.is_empty()).then(|| mean(hidden.iter().copied())),
        tuning_s_mean: (!times.is_empty()).then(|| mean(times.iter().copied())),
        tuning_s_max: times.iter().copied().reduce(f64::max),
    }
}

fn summarise(rows: &[ObservationRow], objectives: &[GraspObjective]) -> Vec<ModelSummary> {
    let mut out = vec![summarise_evals(
        "prior".into(),
        rows.iter().map(|r| (&r.prior, None)),
    )];
    for (j, o) in objectives.iter().enumerate() {
        out.push(summarise_evals(
            o.label().to_string(),
            rows.iter()
                .map(move |r| (&r.posteriors[j].eval, Some(r.posteriors[j].tuning_s))),
        ));
    }
    out
}

fn check_bars(summary: &[ModelSummary]) -> Vec<Bars> {
    let prior = &summary[0];
    summary[1..]
        .iter()
        .map(|m| {
            let diversity_ratio = m.diversity / prior.diversity;
            let hidden_diversity_ratio = m
                .hidden_diversity
                .zip(prior.hidden_diversity)
                .map(|(a, b)| a / b);
            let tuning_s_max = m.tuning_s_max.unwrap_or(0.0);
            Bars {
                model: m.model.clone(),
                chamfer_mean_ratio: m.chamfer_mean / prior.chamfer_mean,
                chamfer_mean_ok: m.chamfer_mean <= 0.7 * prior.chamfer_mean,
                chamfer_best_ratio: m.chamfer_best / prior.chamfer_best,
                chamfer_best_ok: m.chamfer_best < prior.chamfer_best,
                hidden_diversity_ratio,
                diversity_ratio,
                diversity_ok: hidden_diversity_ratio.unwrap_or(diversity_ratio) >= 0.5,
                tuning_s_max,
                tuning_ok: tuning_s_max <= 5.0,
            }
        })
        .collect()
}

fn markdown(t: &CompletionTable, shapes: usize) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let views: Vec<String> = t
        .camera
        .views
        .iter()
        .map(|v| format!("({}°, {}°)", v[0], v[1]))
        .collect();
    let _ = writeln!(
        s,
        "\nCompletion from a partial depth view: {shapes} held-out shapes × {} views {} = {} observations; {} samples per model; prior {}; {}.",
        views.len(),
        views.join(", "),
        t.rows.len(),
        t.eval_samples,
        t.prior,
        t.data
    );
    let _ = writeln!(
        s,
        "Score exp(−(C(o→o') + {}·C(o'→o)) / {}); Chamfer distances squared, clouds normalised to a unit bounding-box diagonal; means over observations.\n",
        t.score.reverse_weight, t.score.scale
    );
    let _ = writeln!(
        s,
        "| model | score | Chamfer to truth, mean | Chamfer to truth, best of {} | diversity | hidden-side diversity | tuning time (mean / max) |",
        t.eval_samples
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|---|");
    for m in &t.summary {
        let time = match (m.tuning_s_mean, m.tuning_s_max) {
            (Some(a), Some(b)) => format!("{a:.2} s / {b:.2} s"),
            _ => "-".into(),
        };
        let _ = writeln!(
            s,
            "| {} | {:.3} | {:.3e} | {:.3e} | {:.3e} | {} | {} |",
            m.model,
            m.score,
            m.chamfer_mean,
            m.chamfer_best,
            m.diversity,
            m.hidden_diversity
                .map_or_else(|| "n/a".into(), |v| format!("{v:.3e}")),
            time
        );
    }
    let _ = writeln!(
        s,
        "\nBars (vs the prior): mean Chamfer ≤ 0.7×, best-of-{} lower, hidden-side diversity ≥ 50 %, tuning ≤ 5 s per observation (max).\n",
        t.eval_samples
    );
    let _ = writeln!(s, "| model | mean Chamfer ratio | best-of-N ratio | hidden-side diversity ratio (whole) | max tuning time |");
    let _ = writeln!(s, "|---|---|---|---|---|");
    let ok = |b: bool| if b { "✓" } else { "✗" };
    for b in &t.bars {
        let _ = writeln!(
            s,
            "| {} | {:.2} {} | {:.2} {} | {} ({:.2}) {} | {:.2} s {} |",
            b.model,
            b.chamfer_mean_ratio,
            ok(b.chamfer_mean_ok),
            b.chamfer_best_ratio,
            ok(b.chamfer_best_ok),
            b.hidden_diversity_ratio
                .map_or_else(|| "n/a".into(), |v| format!("{v:.2}")),
            b.diversity_ratio,
            ok(b.diversity_ok),
            b.tuning_s_max,
            ok(b.tuning_ok)
        );
    }
    let c = &t.tune_config;
    let _ = writeln!(
        s,
        "\nTuning: {} iterations, sample {} (bsz {}), quantile {}, lr {}, {} steps per sample; exact step fraction {}; wall time {:.0} s.",
        c.iterations, c.sample_size, c.bsz, c.quantile, c.lr, c.grad_steps, t.step_fraction, t.wall_time_s
    );
    s
}
