//! The paper's Fig. 1: shape inference from grasp contacts on held-out shapes, in and out of
//! distribution — mean score and diversity of samples of the prior, the MACE-VAE posterior
//! (Adam, and our exact update), the IS posterior and the CVAE, and tuning time.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use mace_core::{NoObserver, TuneConfig};
use mace_models::vae::{Cvae, MixtureSettings};
use mace_shapes::{
    clouds_from_tensor, grasp_evidence, GraspScore, GraspSimulator, PointCloud, ScoreForm, Split,
};
use rand::{rngs::StdRng, SeedableRng};
use serde::{Deserialize, Serialize};

use super::fig1_contacts::ContactGeometry;
use super::grasp::{grasp_simulator, CvaeCondition, SampleEval};
use super::latent::{sample_clouds, tune_latent, tune_mixture, LatentObjective, TunedLatent};
use super::prior::ShapePrior;
use super::source::ShapeSource;
use crate::error::{fail, Result};
use crate::progress::Progress;

/// The models compared, in table order.
pub const MODELS: [&str; 6] = ["prior", "mace", "mix", "exact", "is", "cvae"];

/// Which experiment Fig. 1 runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GraspSetup {
    /// The reference code's: airplanes rolled by up to ±45° about their fuselage axis (z) for
    /// training and test, a CVAE conditioned on the contact points, the summed score. Grasps
    /// from +x and −x then touch different places, and the flipped finger's contact point lies
    /// where the CVAE never saw one.
    Reference,
    /// Unrolled airplanes, a CVAE conditioned on the contacts along the fingers, the paper's mean
    /// score. The airplanes are mirror-symmetric across x = 0, so the flipped finger measures
    /// the same contact: out of distribution in name only.
    Mirror,
}

impl GraspSetup {
    /// The largest roll of the data, degrees.
    pub fn roll_deg(self) -> f32 {
        match self {
            GraspSetup::Reference => 45.0,
            GraspSetup::Mirror => 0.0,
        }
    }

    /// The shipped shape prior and CVAE of this set-up (relative to the repository root).
    pub fn shipped(self) -> (&'static str, &'static str) {
        use crate::assets::{SHAPE_CVAE, SHAPE_CVAE_ROLLED, SHAPE_PRIOR, SHAPE_PRIOR_ROLLED};
        match self {
            GraspSetup::Reference => (SHAPE_PRIOR_ROLLED, SHAPE_CVAE_ROLLED),
            GraspSetup::Mirror => (SHAPE_PRIOR, SHAPE_CVAE),
        }
    }

    /// The score form tuned on.
    pub fn score_form(self) -> ScoreForm {
        match self {
            GraspSetup::Reference => ScoreForm::Sum,
            GraspSetup::Mirror => ScoreForm::Mean,
        }
    }
}

impl std::str::FromStr for GraspSetup {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "reference" => Ok(GraspSetup::Reference),
            "mirror" => Ok(GraspSetup::Mirror),
            _ => Err(format!("`{s}`: choose reference or mirror")),
        }
    }
}

/// The held-out shapes Fig. 1 observes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HeldOut {
    /// The test split (10%): the figure.
    #[default]
    Test,
    /// The validation split (5%): for choosing settings.
    Val,
}

impl HeldOut {
    /// The data split.
    pub fn split(self) -> Split {
        match self {
            HeldOut::Test => Split::Test,
            HeldOut::Val => Split::Val,
        }
    }
}

impl std::str::FromStr for HeldOut {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "test" => Ok(HeldOut::Test),
            "val" => Ok(HeldOut::Val),
            _ => Err(format!("`{s}`: choose test or val")),
        }
    }
}

/// Settings of Fig. 1.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Fig1Config {
    /// Held-out shapes (the first N of the split).
    pub observations: usize,
    /// Where they come from: the test split (the figure), or the validation split (to choose
    /// settings on shapes the figure does not use).
    #[serde(default)]
    pub split: HeldOut,
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
    /// `mix`: the mixture latent prior's components and EM.
    pub mixture: MixtureSettings,
    /// `mix`: its tuner settings.
    pub mixture_tune: TuneConfig,
    /// Seed of the samples.
    pub seed: u64,
}

/// One model on one observation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModelResult {
    /// Score (in the tuning's form) and diversity of its samples.
    pub eval: SampleEval,
    /// Mean score of its samples in the paper's form, 1 − mean |Δc|.
    pub score_mean_form: f32,
    /// Mean score of its samples in the reference code's form, 1 − Σ |Δc|.
    pub score_sum_form: f32,
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

/// One score form's figures of one model in one setting.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FormSummary {
    /// Mean score, mean over observations.
    pub score: f64,
    /// Its standard deviation over observations.
    pub std: f64,
    /// Share of the prior's gap to 1 closed: (score − prior) / (1 − prior) (0 for the prior).
    pub gap_closed: f64,
}

/// Mean ± std over observations of one model in one setting.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Summary {
    /// The model.
    pub model: String,
    /// Mean score (the tuning's form), mean over observations.
    pub score_mean: f64,
    /// Its standard deviation.
    pub score_std: f64,
    /// The paper's form, 1 − mean |Δc|.
    pub mean_form: FormSummary,
    /// The reference code's form, 1 − Σ |Δc|.
    pub sum_form: FormSummary,
    /// Diversity as a share of the prior's.
    pub diversity_share: f64,
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
    /// `mix`: the mixture's settings.
    pub mixture: MixtureSettings,
    /// `mix`: its tuner settings.
    pub mixture_config: TuneConfig,
    /// `exact`'s step fraction.
    pub step_fraction: f64,
    /// Where the out-of-distribution contacts and conditions lie (when the CVAE runs).
    pub contacts: Option<ContactGeometry>,
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
    let test: Vec<PointCloud> = config.data.load(config.split.split())?;
    let shapes: Vec<(usize, &PointCloud)> =
        test.iter().enumerate().take(config.observations).collect();
    let form = config.score;
    let observed: Vec<&PointCloud> = shapes.iter().map(|(_, s)| *s).collect();
    let contacts = if run_model("cvae") {
        Some(ContactGeometry::measure(
            cvae,
            &observed,
            &config.data.load(Split::Train)?,
        )?)
    } else {
        None
    };
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
            let scores = Scores::new(&target, form)?;
            let mut models = Vec::new();
            models.push((
                "prior".to_string(),
                scores.result(&sim, &prior_clouds, Some(prior_diversity), 0.0, 0)?,
            ));
            let evidence = grasp_evidence(sim.clone(), target.clone(), form)?;
            for (name, objective) in [
                ("mace", LatentObjective::Mace),
                ("mix", LatentObjective::Mix),
                ("exact", LatentObjective::Exact),
                ("is", LatentObjective::Is),
            ] {
                if !run_model(name) {
                    continue;
                }
                let (posterior, report) = match objective {
                    LatentObjective::Mix => {
                        let (model, report) = tune_mixture(
                            prior,
                            &evidence,
                            config.mixture,
                            &config.mixture_tune,
                            &mut NoObserver,
                        )?;
                        (TunedLatent::Mixture(model), report)
                    }
                    _ => tune_latent(
                        prior,
                        &evidence,
                        objective,
                        config.step_fraction,
                        &config.tune,
                        &mut NoObserver,
                    )?,
                };
                let clouds = posterior.clouds(config.samples, config.seed + 1)?;
                let result = scores.result(
                    &sim,
                    &clouds,
                    None,
                    report.timings.total_s,
                    report.iterations.len(),
                )?;
                if rows.is_empty() && name == "mace" {
                    first.push(FirstObservation {
                        ood,
                        shape: shape.clone(),
                        target: target.clone(),
                        posterior: clouds,
                    });
                }
                models.push((name.to_string(), result));
            }
            // The CVAE is conditioned on the contacts it was trained with (in distribution);
            // out of distribution it receives contacts of a finger set it never saw.
            if run_model("cvae") {
                let start = Instant::now();
                let condition = CvaeCondition::of_cond_dim(cvae.config().cond_dim, sim.fingers())?
                    .encode(sim.directions(), &target);
                let x = cvae.sample(
                    config.samples,
                    &condition,
                    &mut StdRng::seed_from_u64(config.seed + 1),
                )?;
                let clouds = clouds_from_tensor(&x)?;
                let sampling_s = start.elapsed().as_secs_f64();
                models.push((
                    "cvae".to_string(),
                    scores.result(&sim, &clouds, None, sampling_s, 0)?,
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
        let summaries = relative_to_prior(
            MODELS
                .iter()
                .filter(|m| **m == "prior" || run_model(m))
                .map(|m| summarise(m, &rows))
                .collect(),
        );
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
        mixture: config.mixture,
        mixture_config: config.mixture_tune.clone(),
        step_fraction: config.step_fraction,
        contacts,
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
    let form = |f: &dyn Fn(&ModelResult) -> f32| {
        let (score, std) = mean_std(pick(&|m| f(m) as f64));
        FormSummary {
            score,
            std,
            gap_closed: 0.0,
        }
    };
    let tuning = pick(&|m| m.tuning_s);
    Summary {
        model: model.to_string(),
        score_mean,
        score_std,
        mean_form: form(&|m| m.score_mean_form),
        sum_form: form(&|m| m.score_sum_form),
        diversity_share: 1.0,
        diversity_mean,
        diversity_std,
        tuning_mean_s: mace_core::stats::mean(tuning.iter().copied()).unwrap_or(0.0),
        tuning_max_s: tuning.iter().copied().fold(0.0, f64::max),
    }
}

/// Fills each summary's gap closed (both forms) and diversity share from the prior's row.
fn relative_to_prior(mut summaries: Vec<Summary>) -> Vec<Summary> {
    let Some(prior) = summaries.iter().find(|s| s.model == "prior").cloned() else {
        return summaries;
    };
    let gap = |score: f64, prior: f64| {
        if prior < 1.0 {
            (score - prior) / (1.0 - prior)
        } else {
            0.0
        }
    };
    for s in &mut summaries {
        s.mean_form.gap_closed = gap(s.mean_form.score, prior.mean_form.score);
        s.sum_form.gap_closed = gap(s.sum_form.score, prior.sum_form.score);
        s.diversity_share = s.diversity_mean / prior.diversity_mean.max(f64::MIN_POSITIVE);
    }
    summaries
}

/// The observation's score in both forms, and which one tuning uses.
struct Scores {
    mean: GraspScore,
    sum: GraspScore,
    tuned: ScoreForm,
}

impl Scores {
    fn new(target: &[f32], tuned: ScoreForm) -> Result<Self> {
        Ok(Scores {
            mean: GraspScore::new(target.to_vec(), ScoreForm::Mean)?,
            sum: GraspScore::new(target.to_vec(), ScoreForm::Sum)?,
            tuned,
        })
    }

    /// Scores of `clouds` in both forms; diversity measured unless given.
    fn result(
        &self,
        sim: &GraspSimulator,
        clouds: &[PointCloud],
        diversity: Option<f32>,
        tuning_s: f64,
        iterations: usize,
    ) -> Result<ModelResult> {
        let simulated = sim.simulate_clouds(clouds)?;
        let mean_form = mace_core::stats::mean_f32(&self.mean.score_batch(&simulated)?);
        let sum_form = mace_core::stats::mean_f32(&self.sum.score_batch(&simulated)?);
        let diversity = match diversity {
            Some(d) => d,
            None => mace_shapes::pairwise_diversity(clouds)?,
        };
        Ok(ModelResult {
            eval: SampleEval {
                mean_score: match self.tuned {
                    ScoreForm::Mean => mean_form,
                    ScoreForm::Sum => sum_form,
                },
                diversity,
            },
            score_mean_form: mean_form,
            score_sum_form: sum_form,
            tuning_s,
            iterations,
        })
    }
}

/// What the paper's Fig. 1 shows for each model (qualitatively: the figure has no table).
fn paper_finding(model: &str, ood: bool) -> &'static str {
    match (model, ood) {
        ("prior", _) => "lowest score, most diverse",
        ("mace", false) => "score well above prior; more diverse than CVAE",
        ("mace", true) => "beats CVAE in score and diversity",
        ("mix", _) => "(ours: MACE-VAE, mixture latent prior)",
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
        let mut t = format!(
            "\nData: {}. Tuned on the {} form.\n",
            self.data, self.score_form
        );
        for s in &self.settings {
            let _ = writeln!(
                t,
                "\nFig. 1, {}: {} observations ({} skipped: a finger touched nothing), {samples} samples per model",
                if s.ood { "out of distribution (fifth finger along +x)" } else { "in distribution" },
                s.rows.len(),
                s.skipped.len()
            );
            let _ = writeln!(t, "| model | score, mean form (gap closed) | score, sum form (gap closed) | diversity (share of prior's) | tuning time | paper (Fig. 1) |");
            let _ = writeln!(t, "|---|---|---|---|---|---|");
            for m in &s.summaries {
                let form = |f: &FormSummary| {
                    if m.model == "prior" {
                        format!("{:.3} ± {:.3}", f.score, f.std)
                    } else {
                        format!(
                            "{:.3} ± {:.3} ({:.0}%)",
                            f.score,
                            f.std,
                            100.0 * f.gap_closed
                        )
                    }
                };
                let _ = writeln!(
                    t,
                    "| {} | {} | {} | {:.2e} ({:.0}%) | {} | {} |",
                    m.model,
                    form(&m.mean_form),
                    form(&m.sum_form),
                    m.diversity_mean,
                    100.0 * m.diversity_share,
                    match m.model.as_str() {
                        "prior" => "-".to_string(),
                        "cvae" => format!("{:.3} s (sampling)", m.tuning_mean_s),
                        _ => format!("{:.2} s (max {:.2})", m.tuning_mean_s, m.tuning_max_s),
                    },
                    paper_finding(&m.model, s.ood)
                );
            }
        }
        if let Some(contacts) = &self.contacts {
            t.push('\n');
            t.push_str(&contacts.markdown());
        }
        t
    }
}
