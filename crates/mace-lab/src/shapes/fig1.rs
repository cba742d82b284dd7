//! The paper's Fig. 1: shape inference from grasp contacts on held-out shapes, in and out of
//! distribution — mean score and diversity of samples of the prior, the MACE-VAE posterior
//! (Adam, and our exact update), the IS posterior and the CVAE, and tuning time.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use mace_core::{NoObserver, TuneConfig};
use mace_models::vae::Cvae;
use mace_shapes::{clouds_from_tensor, grasp_evidence, GraspScore, PointCloud, ScoreForm, Split};
use rand::{rngs::StdRng, SeedableRng};
use serde::{Deserialize, Serialize};

use super::grasp::{evaluate_clouds, grasp_simulator, SampleEval};
use super::latent::{sample_clouds, tune_latent, LatentObjective};
use super::prior::ShapePrior;
use super::source::ShapeSource;
use crate::error::{fail, Result};
use crate::progress::Progress;

/// The models compared, in table order.
pub const MODELS: [&str; 5] = ["prior", "mace", "exact", "is", "cvae"];

/// Settings of Fig. 1.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Fig1Config {
    /// Held-out shapes (the first N of the test split).
    pub observations: usize,
    /// Samples per model and observation (paper: 49; at least 2).
    pub samples: usize,
    /// Where the shapes come from.
    pub data: ShapeSource,
    /// Models to run, from [`MODELS`] (the prior always runs).
    pub models: Vec<String>,
    /// Score form.
    pub score: ScoreForm,
    /// `exact`: fraction of the way to the closed-form optimum per step.
    pub step_fraction: f64,
    /// Tuner settings.
    pub tune: TuneConfig,
    /// Seed of the samples.
    pub seed: u64,
}

/// One model on one observation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModelResult {
    /// Score and diversity of its samples.
    pub eval: SampleEval,
    /// Tuning time, seconds (0 for the prior; sampling time for the CVAE).
    pub tuning_s: f64,
    /// Optimiser steps (0 for the prior and the CVAE).
    pub iterations: usize,
}

/// All models on one observation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ObservationRow {
    /// Index in the test split.
    pub shape: usize,
    /// The observed contacts.
    pub observation: Vec<f32>,
    /// (model, result) in table order.
    pub models: Vec<(String, ModelResult)>,
}

/// Mean ± std over observations of one model in one setting.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Summary {
    /// The model.
    pub model: String,
    /// Mean score, mean over observations.
    pub score_mean: f64,
    /// Its standard deviation.
    pub score_std: f64,
    /// Diversity, mean over observations.
    pub diversity_mean: f64,
    /// Its standard deviation.
    pub diversity_std: f64,
    /// Tuning time, mean, seconds.
    pub tuning_mean_s: f64,
    /// Tuning time, max, seconds.
    pub tuning_max_s: f64,
}

/// In or out of distribution.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Setting {
    /// Out of distribution (the fifth finger along +x).
    pub ood: bool,
    /// Test shapes skipped because a finger touched nothing.
    pub skipped: Vec<usize>,
    /// One summary per model.
    pub summaries: Vec<Summary>,
    /// One row per observation.
    pub rows: Vec<ObservationRow>,
}

/// The first observation of a setting with prior and MACE posterior samples (for a picture).
#[derive(Debug, Clone)]
pub struct FirstObservation {
    /// Out of distribution.
    pub ood: bool,
    /// The observed shape.
    pub shape: PointCloud,
    /// Its contacts.
    pub target: Vec<f32>,
    /// MACE posterior samples.
    pub posterior: Vec<PointCloud>,
}

/// Fig. 1 as measured.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Fig1 {
    /// Where the shapes came from.
    pub data: String,
    /// The shape prior's folder.
    pub prior: PathBuf,
    /// The CVAE's folder.
    pub cvae: PathBuf,
    /// Samples per model and observation.
    pub samples: usize,
    /// Score form.
    pub score_form: String,
    /// Tuner settings.
    pub config: TuneConfig,
    /// `exact`'s step fraction.
    pub step_fraction: f64,
    /// In distribution, then out of distribution.
    pub settings: Vec<Setting>,
    /// The prior's samples (the same for every observation; not in the JSON).
    #[serde(skip)]
    pub prior_clouds: Vec<PointCloud>,
    /// Per setting, the first observation's MACE posterior (not in the JSON).
    #[serde(skip)]
    pub first: Vec<FirstObservation>,
}

/// Runs Fig. 1.
///
/// # Errors
/// For an unknown model, fewer than 1 observation or 2 samples, or from tuning.
pub fn run_fig1(
    prior: &ShapePrior,
    cvae: &Cvae,
    cvae_dir: PathBuf,
    config: &Fig1Config,
    progress: &mut dyn Progress,
) -> Result<Fig1> {
    if config.observations == 0 || config.samples < 2 {
        fail!("--observations must be at least 1 and --samples at least 2");
    }
    if let Some(bad) = config.models.iter().find(|m| !MODELS.contains(&m.as_str())) {
        fail!(
            "--models: unknown model `{bad}` (choose from {})",
            MODELS.join(", ")
        );
    }
    let run_model = |m: &str| config.models.iter().any(|a| a == m);
    let test: Vec<PointCloud> = config.data.load(Split::Test)?;
    let shapes: Vec<(usize, &PointCloud)> =
        test.iter().enumerate().take(config.observations).collect();
    let form = config.score;
    let prior_clouds = sample_clouds(&prior.model()?, config.samples, config.seed)?;
    let prior_diversity = mace_shapes::pairwise_diversity(&prior_clouds)?;
    let mut settings = Vec::new();
    let mut first = Vec::new();
    for ood in [false, true] {
        let sim = grasp_simulator(ood);
        progress.phase(if ood { "OOD" } else { "in-dist" }, shapes.len());
        let (mut rows, mut skipped) = (Vec::new(), Vec::new());
        for &(index, shape) in &shapes {
            let Ok(target) = sim.observe(shape.points()) else {
                skipped.push(index);
                progress.advance(&format!("shape {index}: skipped"));
                continue;
            };
            let score = GraspScore::new(target.clone(), form)?;
            let mut models = Vec::new();
            let prior_scores = score.score_batch(&sim.simulate_clouds(&prior_clouds)?)?;
            models.push((
                "prior".to_string(),
                ModelResult {
                    eval: SampleEval {
                        mean_score: mace_core::stats::mean_f32(&prior_scores),
                        diversity: prior_diversity,
                    },
                    tuning_s: 0.0,
                    iterations: 0,
                },
            ));
            let evidence = grasp_evidence(sim.clone(), target.clone(), form)?;
            for (name, objective) in [
                ("mace", LatentObjective::Mace),
                ("exact", LatentObjective::Exact),
                ("is", LatentObjective::Is),
            ] {
                if !run_model(name) {
                    continue;
                }
                let (posterior, report) = tune_latent(
                    prior,
                    &evidence,
                    objective,
                    config.step_fraction,
                    &config.tune,
                    &mut NoObserver,
                )?;
                let clouds = sample_clouds(&posterior, config.samples, config.seed + 1)?;
                let eval = evaluate_clouds(&clouds, &sim, &score)?;
                if rows.is_empty() && name == "mace" {
                    first.push(FirstObservation {
                        ood,
                        shape: shape.clone(),
                        target: target.clone(),
                        posterior: clouds,
                    });
                }
                models.push((
                    name.to_string(),
                    ModelResult {
                        eval,
                        tuning_s: report.timings.total_s,
                        iterations: report.iterations.len(),
                    },
                ));
            }
            // The CVAE is conditioned on the contacts it was trained with (in distribution);
            // out of distribution it receives contacts of a finger set it never saw.
            if run_model("cvae") {
                let start = Instant::now();
                let x = cvae.sample(
                    config.samples,
                    &target,
                    &mut StdRng::seed_from_u64(config.seed + 1),
                )?;
                let clouds = clouds_from_tensor(&x)?;
                let sampling_s = start.elapsed().as_secs_f64();
                models.push((
                    "cvae".to_string(),
                    ModelResult {
                        eval: evaluate_clouds(&clouds, &sim, &score)?,
                        tuning_s: sampling_s,
                        iterations: 0,
                    },
                ));
            }
            let message = models
                .iter()
                .map(|(name, m)| format!("{name} {:.3}", m.eval.mean_score))
                .collect::<Vec<_>>()
                .join(", ");
            progress.advance(&format!("shape {index}: {message}"));
            rows.push(ObservationRow {
                shape: index,
                observation: target,
                models,
            });
        }
        progress.finish();
        let summaries = MODELS
            .iter()
            .filter(|m| **m == "prior" || run_model(m))
            .map(|m| summarise(m, &rows))
            .collect();
        settings.push(Setting {
            ood,
            skipped,
            summaries,
            rows,
        });
    }
    Ok(Fig1 {
        data: config.data.describe(),
        prior: prior.dir.clone(),
        cvae: cvae_dir,
        samples: config.samples,
        score_form: format!("{form:?}"),
        config: config.tune.clone(),
        step_fraction: config.step_fraction,
        settings,
        prior_clouds,
        first,
    })
}

fn summarise(model: &str, rows: &[ObservationRow]) -> Summary {
    let results: Vec<&ModelResult> = rows
        .iter()
        .filter_map(|r| r.models.iter().find(|(n, _)| n == model).map(|(_, m)| m))
        .collect();
    let pick = |f: &dyn Fn(&ModelResult) -> f64| results.iter().map(|m| f(m)).collect::<Vec<_>>();
    let mean_std = |v: Vec<f64>| mace_core::stats::mean_std(v).unwrap_or_default();
    let (score_mean, score_std) = mean_std(pick(&|m| m.eval.mean_score as f64));
    let (diversity_mean, diversity_std) = mean_std(pick(&|m| m.eval.diversity as f64));
    let tuning = pick(&|m| m.tuning_s);
    Summary {
        model: model.to_string(),
        score_mean,
        score_std,
        diversity_mean,
        diversity_std,
        tuning_mean_s: mace_core::stats::mean(tuning.iter().copied()).unwrap_or(0.0),
        tuning_max_s: tuning.iter().copied().fold(0.0, f64::max),
    }
}

/// What the paper's Fig. 1 shows for each model (qualitatively: the figure has no table).
fn paper_finding(model: &str, ood: bool) -> &'static str {
    match (model, ood) {
        ("prior", _) => "lowest score, most diverse",
        ("mace", false) => "score well above prior; more diverse than CVAE",
        ("mace", true) => "beats CVAE in score and diversity",
        ("exact", _) => "(ours: closed-form MACE-VAE update)",
        ("is", _) => "below MACE",
        ("cvae", false) => "highest score, low diversity",
        ("cvae", true) => "fails: score and diversity drop",
        _ => "",
    }
}

impl Fig1 {
    /// The tables as Markdown, ours beside the paper's findings.
    pub fn markdown(&self) -> String {
        let samples = self.samples;
        let mut t = String::new();
        for s in &self.settings {
            let _ = writeln!(
                t,
                "\nFig. 1, {}: {} observations ({} skipped: a finger touched nothing), {samples} samples per model",
                if s.ood { "out of distribution (fifth finger along +x)" } else { "in distribution" },
                s.rows.len(),
                s.skipped.len()
            );
            let _ = writeln!(t, "| model | mean score (ours) | diversity (ours, mean pairwise Chamfer) | tuning time (ours) | paper (Fig. 1) |");
            let _ = writeln!(t, "|---|---|---|---|---|");
            for m in &s.summaries {
                let _ = writeln!(
                    t,
                    "| {} | {:.3} ± {:.3} | {:.4} ± {:.4} | {} | {} |",
                    m.model,
                    m.score_mean,
                    m.score_std,
                    m.diversity_mean,
                    m.diversity_std,
                    match m.model.as_str() {
                        "prior" => "-".to_string(),
                        "cvae" => format!("{:.3} s (sampling)", m.tuning_mean_s),
                        _ => format!("{:.2} s (max {:.2})", m.tuning_mean_s, m.tuning_max_s),
                    },
                    paper_finding(&m.model, s.ood)
                );
            }
        }
        t
    }
}
