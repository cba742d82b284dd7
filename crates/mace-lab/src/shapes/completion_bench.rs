//! The completion bench: held-out shapes × camera views; per observation the prior and each
//! tuned posterior (and the tuning-free best-of baseline) are sampled and compared with the
//! full ground truth.

use std::time::Instant;

use mace_core::{prior_best_of, NoObserver, TuneConfig};
use mace_shapes::{clouds_from_tensor, CompletionScoreConfig, DepthCamera, PointCloud, Split};
use rand::{rngs::StdRng, SeedableRng};
use serde::{Deserialize, Serialize};

use super::completion::{evaluate_completions, CompletionEval, CompletionProblem, ScoreRecord};
use super::latent::{sample_clouds, LatentObjective};
use super::prior::ShapePrior;
use super::source::ShapeSource;
use crate::error::{fail, Result};
use crate::progress::Progress;

/// Settings of the completion bench.
#[derive(Debug, Clone)]
pub struct CompletionBenchConfig {
    /// Held-out shapes (the first N of the test split).
    pub test_shapes: usize,
    /// Where the shapes come from.
    pub data: ShapeSource,
    /// One camera per view (every shape is observed from each).
    pub cameras: Vec<DepthCamera>,
    /// Gaussian depth noise added to the observations (cloud units).
    pub depth_noise: f32,
    /// The score's settings.
    pub score: CompletionScoreConfig,
    /// Tuned posteriors (and the best-of baseline) compared with the prior.
    pub objectives: Vec<LatentObjective>,
    /// `exact`: fraction of the way to the closed-form optimum per step.
    pub step_fraction: f64,
    /// Tuner settings of `mace`, `exact` and `is` (the seed is replaced per observation);
    /// `mix` runs with [`LatentObjective::preset`].
    pub tune: TuneConfig,
    /// Seed of the tuning and the evaluation draws.
    pub seed: u64,
    /// Samples drawn from each model per observation (at least 2).
    pub eval_samples: usize,
}

/// One posterior on one observation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PosteriorRow {
    /// How it was tuned.
    pub objective: LatentObjective,
    /// Its samples.
    pub eval: CompletionEval,
    /// Tuning time, seconds.
    pub tuning_s: f64,
    /// Optimiser steps.
    pub iterations: usize,
    /// Mean score of the last tuning sample.
    pub final_score_mean: Option<f32>,
}

/// All models on one observation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ObservationRow {
    /// Index in the test split.
    pub shape: usize,
    /// Azimuth and elevation, degrees.
    pub view: [f32; 2],
    /// Points in the observation.
    pub observed_points: usize,
    /// The prior's samples.
    pub prior: CompletionEval,
    /// One row per objective.
    pub posteriors: Vec<PosteriorRow>,
}

/// Means over observations of one model.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModelSummary {
    /// The model (`prior` or an objective).
    pub model: String,
    /// Observations.
    pub observations: usize,
    /// Mean score.
    pub score: f64,
    /// Mean Chamfer to the truth.
    pub chamfer_mean: f64,
    /// Best-of-N Chamfer to the truth.
    pub chamfer_best: f64,
    /// Diversity of whole clouds.
    pub diversity: f64,
    /// Diversity of the hidden side.
    pub hidden_diversity: Option<f64>,
    /// Tuning time, mean, seconds.
    pub tuning_s_mean: Option<f64>,
    /// Tuning time, max, seconds.
    pub tuning_s_max: Option<f64>,
}

/// The cameras of the bench as JSON.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CamerasRecord {
    /// (azimuth, elevation) per view, degrees.
    pub views: Vec<[f32; 2]>,
    /// Distance, cloud units.
    pub distance: f32,
    /// Field of view, degrees.
    pub fov_deg: f32,
    /// Image side, pixels.
    pub resolution: usize,
    /// Splat half-size, pixels.
    pub splat_radius: usize,
    /// Depth tolerance, cloud units.
    pub depth_epsilon: f32,
}

/// The first observation with prior and first posterior samples (for a picture).
#[derive(Debug, Clone)]
pub struct FirstCompletion {
    /// The full shape.
    pub truth: PointCloud,
    /// What the camera saw.
    pub observed: Vec<[f32; 3]>,
    /// Prior samples.
    pub prior: Vec<PointCloud>,
    /// First objective's posterior samples.
    pub posterior: Vec<PointCloud>,
}

/// The completion bench as measured.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CompletionTable {
    /// Where the shapes came from.
    pub data: String,
    /// The shape prior's folder.
    pub prior: String,
    /// The cameras.
    pub camera: CamerasRecord,
    /// Depth noise, cloud units.
    pub depth_noise: f32,
    /// Score settings.
    pub score: ScoreRecord,
    /// Tuner settings.
    pub tune_config: TuneConfig,
    /// `exact`'s step fraction.
    pub step_fraction: f64,
    /// Samples per model and observation.
    pub eval_samples: usize,
    /// Whole bench, seconds.
    pub wall_time_s: f64,
    /// Prior first, then one per objective.
    pub summary: Vec<ModelSummary>,
    /// One row per observation.
    pub rows: Vec<ObservationRow>,
    /// The first observation's clouds (not in the JSON).
    #[serde(skip)]
    pub first: Option<FirstCompletion>,
}

/// Runs the completion bench.
///
/// # Errors
/// For no shapes or views, a test split smaller than asked, or from tuning.
pub fn run_completion_bench(
    prior: &ShapePrior,
    config: &CompletionBenchConfig,
    progress: &mut dyn Progress,
) -> Result<CompletionTable> {
    let start = Instant::now();
    if config.test_shapes == 0 || config.cameras.is_empty() {
        fail!("--test-shapes and --views must not be empty");
    }
    let test = config.data.load(Split::Test)?;
    if test.len() < config.test_shapes {
        fail!(
            "--test-shapes {}: the test split of {} has {} shapes",
            config.test_shapes,
            config.data.describe(),
            test.len()
        );
    }
    let views: Vec<[f32; 2]> = config
        .cameras
        .iter()
        .map(|c| [c.config().azimuth_deg, c.config().elevation_deg])
        .collect();
    let n = config.eval_samples.max(2);
    let eval_seed = config.seed.wrapping_add(1);
    // The prior does not depend on the observation: one set of samples serves every row.
    let prior_clouds = sample_clouds(&prior.model()?, n, eval_seed)?;
    let total = config.test_shapes * config.cameras.len();
    progress.phase("observation", total);
    let mut rows = Vec::with_capacity(total);
    let mut first = None;
    let mut base_config = config.tune.clone();
    for (shape, truth) in test.iter().take(config.test_shapes).enumerate() {
        for (v, camera) in config.cameras.iter().enumerate() {
            let k = rows.len() as u64;
            let problem = CompletionProblem::new(
                truth,
                camera.clone(),
                config.depth_noise,
                config.seed.wrapping_add(k),
                &config.score,
            )
            .map_err(|e| crate::Error::Context {
                context: format!("observing test shape {shape}, view {:?}", views[v]),
                source: Box::new(e),
            })?;
            let prior_eval =
                evaluate_completions(&prior_clouds, Some(truth), camera, &problem.score)?;
            let mut posteriors = Vec::new();
            for &objective in &config.objectives {
                base_config.seed = config.seed.wrapping_add(k);
                if objective == LatentObjective::BestOf {
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
                        eval: evaluate_completions(&clouds, Some(truth), camera, &problem.score)?,
                        tuning_s: started.elapsed().as_secs_f64(),
                        iterations: 0,
                        final_score_mean: None,
                    });
                    continue;
                }
                let mix_config;
                let tune = if objective == LatentObjective::Mix {
                    mix_config = TuneConfig {
                        seed: base_config.seed,
                        ..objective.preset()
                    };
                    &mix_config
                } else {
                    &base_config
                };
                let (model, report) = problem.tune(
                    prior,
                    objective,
                    config.step_fraction,
                    tune,
                    &mut NoObserver,
                )?;
                let clouds = model.clouds(n, eval_seed)?;
                let eval = evaluate_completions(&clouds, Some(truth), camera, &problem.score)?;
                if k == 0 && posteriors.is_empty() {
                    first = Some(FirstCompletion {
                        truth: truth.clone(),
                        observed: problem.observed.clone(),
                        prior: prior_clouds.clone(),
                        posterior: clouds,
                    });
                }
                posteriors.push(PosteriorRow {
                    objective,
                    eval,
                    tuning_s: report.timings.total_s,
                    iterations: report.iterations.len(),
                    final_score_mean: report.last().map(|s| s.score_mean),
                });
            }
            rows.push(ObservationRow {
                shape,
                view: views[v],
                observed_points: problem.observed.len(),
                prior: prior_eval,
                posteriors,
            });
            progress.advance(&progress_message(&rows));
        }
    }
    progress.finish();
    let summary = summarise(&rows, &config.objectives);
    base_config.seed = config.seed;
    let c0 = config.cameras[0].config();
    Ok(CompletionTable {
        data: config.data.describe(),
        prior: prior.dir.display().to_string(),
        camera: CamerasRecord {
            views,
            distance: c0.distance,
            fov_deg: c0.fov_deg,
            resolution: c0.resolution,
            splat_radius: c0.splat_radius,
            depth_epsilon: c0.depth_epsilon,
        },
        depth_noise: config.depth_noise,
        score: (&config.score).into(),
        tune_config: base_config,
        step_fraction: config.step_fraction,
        eval_samples: n,
        wall_time_s: start.elapsed().as_secs_f64(),
        summary,
        rows,
        first,
    })
}

fn progress_message(rows: &[ObservationRow]) -> String {
    let n = rows.len().max(1) as f64;
    let prior = rows
        .iter()
        .filter_map(|r| r.prior.chamfer_mean.map(f64::from))
        .sum::<f64>()
        / n;
    let mut msg = format!("CD prior {prior:.2e}");
    if let Some(first) = rows.first() {
        for (j, p) in first.posteriors.iter().enumerate() {
            let m = rows
                .iter()
                .filter_map(|r| r.posteriors[j].eval.chamfer_mean.map(f64::from))
                .sum::<f64>()
                / n;
            msg.push_str(&format!(", {} {m:.2e}", p.objective));
        }
    }
    msg
}

fn mean(values: impl Iterator<Item = f64>) -> f64 {
    mace_core::stats::mean(values).unwrap_or(0.0)
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
        chamfer_mean: mean(
            evals
                .clone()
                .filter_map(|(e, _)| e.chamfer_mean.map(f64::from)),
        ),
        chamfer_best: mean(
            evals
                .clone()
                .filter_map(|(e, _)| e.chamfer_best.map(f64::from)),
        ),
        diversity: mean(evals.clone().map(|(e, _)| e.diversity as f64)),
        hidden_diversity: (!hidden.is_empty()).then(|| mean(hidden.iter().copied())),
        tuning_s_mean: (!times.is_empty()).then(|| mean(times.iter().copied())),
        tuning_s_max: times.iter().copied().reduce(f64::max),
    }
}

fn summarise(rows: &[ObservationRow], objectives: &[LatentObjective]) -> Vec<ModelSummary> {
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

impl CompletionTable {
    /// Each model's ratio to the prior: (model, mean Chamfer, best-of-N Chamfer, hidden-side
    /// diversity (whole-cloud diversity where no hidden side), max tuning time in seconds).
    pub fn ratios_to_prior(&self) -> Vec<(String, f64, f64, f64, f64)> {
        let prior = &self.summary[0];
        self.summary[1..]
            .iter()
            .map(|m| {
                let div = m
                    .hidden_diversity
                    .zip(prior.hidden_diversity)
                    .map_or(m.diversity / prior.diversity, |(a, b)| a / b);
                (
                    m.model.clone(),
                    m.chamfer_mean / prior.chamfer_mean,
                    m.chamfer_best / prior.chamfer_best,
                    div,
                    m.tuning_s_max.unwrap_or(0.0),
                )
            })
            .collect()
    }

    /// The table as Markdown.
    pub fn markdown(&self) -> String {
        use std::fmt::Write;
        let t = self;
        let shapes = t.rows.iter().map(|r| r.shape).max().map_or(0, |s| s + 1);
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
            "\nEach model against the prior (ratios; lower Chamfer is better, diversity is of the hidden side):\n"
        );
        let _ = writeln!(
            s,
            "| model | mean Chamfer ratio | best-of-N ratio | hidden-side diversity ratio | max tuning time |"
        );
        let _ = writeln!(s, "|---|---|---|---|---|");
        for (model, cm, cb, div, t_max) in self.ratios_to_prior() {
            let _ = writeln!(
                s,
                "| {model} | {cm:.2} | {cb:.2} | {div:.2} | {t_max:.2} s |"
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
}
