//! Point-cloud completion from a partial depth view (the paper's Appendix C): a depth camera
//! sees part of an object; the shape prior is tuned so that its samples, seen from the same
//! camera, look like the observation — and so complete the hidden side in several plausible
//! ways. The score is [`CompletionScore`] (see its module docs for the choice).

use mace_core::{Evidence, TuneConfig, TuneObserver, TuneReport};
use mace_models::vae::LatentMixture;
use mace_shapes::{
    add_depth_noise, chamfer, completion_evidence, observe_partial, pairwise_diversity,
    CompletionScore, CompletionScoreConfig, DepthCamera, DepthCameraConfig, PointCloud,
};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::latent::{latent_at_prior, tune_latent, LatentObjective, TunedLatent};
use super::prior::ShapePrior;
use crate::error::Result;

/// How well a set of samples completes one observation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CompletionEval {
    /// Samples evaluated.
    pub samples: usize,
    /// Mean completion score (the tuner's score) of the samples.
    pub mean_score: f32,
    /// Mean symmetric Chamfer distance of the samples to the full ground truth (when one is
    /// known).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chamfer_mean: Option<f32>,
    /// Smallest Chamfer distance of a sample to the full ground truth (best of the set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chamfer_best: Option<f32>,
    /// Mean pairwise Chamfer distance of the samples (whole clouds).
    pub diversity: f32,
    /// Mean pairwise Chamfer distance of the samples' points hidden from the camera (the
    /// completed side); `None` if fewer than two samples have hidden points.
    pub hidden_diversity: Option<f32>,
}

/// Scores, distances to `truth` (when known) and diversities of sampled clouds.
///
/// # Errors
/// From the camera or the Chamfer kernel.
pub fn evaluate_completions(
    clouds: &[PointCloud],
    truth: Option<&PointCloud>,
    camera: &DepthCamera,
    score: &CompletionScore,
) -> Result<CompletionEval> {
    let points: Vec<&[[f32; 3]]> = clouds.iter().map(|c| c.points()).collect();
    let views = camera.visible_batch(&points)?;
    let scores = score.score_batch(&views)?;
    let to_truth: Option<Vec<f32>> = truth
        .map(|truth| {
            points
                .par_iter()
                .map(|c| chamfer(c, truth.points()))
                .collect::<Result<Vec<f32>, _>>()
        })
        .transpose()?;
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
    Ok(CompletionEval {
        samples: clouds.len(),
        mean_score: mace_core::stats::mean_f32(&scores),
        chamfer_mean: to_truth.as_deref().map(mace_core::stats::mean_f32),
        chamfer_best: to_truth
            .as_deref()
            .map(|d| d.iter().copied().fold(f32::INFINITY, f32::min)),
        diversity: pairwise_diversity(&points)?,
        hidden_diversity: if hidden.len() >= 2 {
            Some(pairwise_diversity(&hidden)?)
        } else {
            None
        },
    })
}

/// One completion problem: the camera, the observation and the score built from them.
#[derive(Debug)]
pub struct CompletionProblem {
    /// The camera.
    pub camera: DepthCamera,
    /// The observed partial cloud.
    pub observed: Vec<[f32; 3]>,
    /// Gaussian depth noise added to the observation (cloud units).
    pub depth_noise: f32,
    /// The score of a simulated view against it.
    pub score: CompletionScore,
}

impl CompletionProblem {
    /// Largest depth noise a completion problem takes (cloud units: a quarter of a shape's size).
    pub const MAX_DEPTH_NOISE: f32 = 0.25;

    /// Observes `truth` from `camera` with Gaussian depth noise of `depth_noise` (seeded).
    ///
    /// # Errors
    /// If the camera sees nothing, or the score settings are invalid.
    pub fn new(
        truth: &PointCloud,
        camera: DepthCamera,
        depth_noise: f32,
        seed: u64,
        config: &CompletionScoreConfig,
    ) -> Result<Self> {
        if !(depth_noise.is_finite() && (0.0..=Self::MAX_DEPTH_NOISE).contains(&depth_noise)) {
            return Err(crate::Error::Invalid {
                field: "--depth-noise",
                value: format!("{depth_noise:?}"),
                reason: format!(
                    "must be a standard deviation in [0, {}] (clouds span a unit \
                     diagonal)",
                    Self::MAX_DEPTH_NOISE
                ),
            });
        }
        let observed = observe_partial(&camera, truth.points())?;
        let observed = add_depth_noise(&camera, &observed, depth_noise, seed)?;
        let score = CompletionScore::new(observed.clone(), config)?;
        Ok(Self {
            camera,
            observed,
            depth_noise,
            score,
        })
    }

    /// A partial cloud as a depth camera gave it (in the prior's frame), seen from `camera`.
    ///
    /// # Errors
    /// For an empty observation or invalid score settings.
    pub fn from_observed(
        observed: Vec<[f32; 3]>,
        camera: DepthCamera,
        config: &CompletionScoreConfig,
    ) -> Result<Self> {
        let score = CompletionScore::new(observed.clone(), config)?;
        Ok(Self {
            camera,
            observed,
            depth_noise: 0.0,
            score,
        })
    }

    /// Tunes a fresh latent model of `prior` to this observation.
    ///
    /// # Errors
    /// From the tuner.
    pub fn tune(
        &self,
        prior: &ShapePrior,
        objective: LatentObjective,
        step_fraction: f64,
        config: &TuneConfig,
        observer: &mut dyn TuneObserver,
    ) -> Result<(TunedLatent, TuneReport)> {
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
    ///
    /// # Errors
    /// If the score settings are invalid.
    pub fn evidence(&self) -> Result<impl Evidence> {
        Ok(completion_evidence(
            self.camera.clone(),
            self.observed.clone(),
            self.score.config(),
        )?)
    }
}

/// [`CompletionScoreConfig`] as JSON.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScoreRecord {
    /// Score scale (squared cloud units).
    pub scale: f32,
    /// Weight of the reverse Chamfer term.
    pub reverse_weight: f32,
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
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CameraRecord {
    /// Azimuth, degrees.
    pub azimuth_deg: f32,
    /// Elevation, degrees.
    pub elevation_deg: f32,
    /// Distance from the object's centre, cloud units.
    pub distance: f32,
    /// Full field of view, degrees.
    pub fov_deg: f32,
    /// Image side, pixels.
    pub resolution: usize,
    /// Half-size of a splatted point's footprint, pixels.
    pub splat_radius: usize,
    /// Depth tolerance of visibility, cloud units.
    pub depth_epsilon: f32,
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

/// Settings of one completion tuning (`mace complete tune`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CompleteTuneConfig {
    /// Tuning objective.
    pub objective: LatentObjective,
    /// `exact`: fraction of the way to the closed-form optimum taken per step.
    pub step_fraction: f64,
    /// Tuner settings.
    pub tune: TuneConfig,
    /// Samples drawn from prior and posterior to evaluate them (at least 2).
    pub eval_samples: usize,
    /// Seed of the evaluation draws.
    pub eval_seed: u64,
}

/// `report.json` of `mace complete tune`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CompleteTuneRecord {
    /// The observed shape.
    pub shape: String,
    /// The shape prior's folder.
    pub prior: String,
    /// The camera.
    pub camera: CameraRecord,
    /// Depth noise, cloud units.
    pub depth_noise: f32,
    /// The score's settings.
    pub score: ScoreRecord,
    /// Tuning objective.
    pub objective: LatentObjective,
    /// Points in the observation.
    pub observed_points: usize,
    /// Points of the full truth, when one is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub truth_points: Option<usize>,
    /// The prior's samples.
    pub prior_eval: CompletionEval,
    /// The posterior's samples.
    pub posterior_eval: CompletionEval,
    /// The tuned latent prior's mean per axis (θ's μ; for `mix`, the whole mixture's), in the
    /// coordinates of the prior's `latent_prior.json` basis (its principal axes) when it has
    /// one, else in z.
    pub posterior_mean: Vec<f32>,
    /// Its standard deviation per axis (θ's σ; for `mix`, the whole mixture's), same
    /// coordinates.
    pub posterior_std: Vec<f32>,
    /// For `mix`: the tuned mixture (weights, and per component μ and σ), same coordinates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub posterior_mixture: Option<LatentMixture>,
    /// The tuning run.
    pub report: TuneReport,
}

impl CompleteTuneRecord {
    /// The run in one line and the prior and posterior in a Markdown table.
    pub fn markdown(&self) -> String {
        let r = &self.report;
        let n = self.prior_eval.samples;
        let mut t = format!(
            "{}, view ({:.1}°, {:.1}°): {} points observed{}; prior {}: {:?} with {} iterations \
             in {:.2} s ({:?})\n",
            self.shape,
            self.camera.azimuth_deg,
            self.camera.elevation_deg,
            self.observed_points,
            self.truth_points
                .map_or_else(String::new, |t| format!(" of {t}")),
            self.prior,
            self.objective,
            r.iterations.len(),
            r.timings.total_s,
            r.status
        );
        t += &format!(
            "| model | score | Chamfer to truth (mean of {n}) | Chamfer to truth (best of {n}) \
             | diversity | hidden-side diversity |\n|---|---|---|---|---|---|\n"
        );
        let na =
            |v: Option<f32>, why: &str| v.map_or_else(|| why.to_string(), |v| format!("{v:.3e}"));
        for (name, e) in [
            ("prior", &self.prior_eval),
            ("posterior", &self.posterior_eval),
        ] {
            t += &format!(
                "| {name} | {:.3} | {} | {} | {:.3e} | {} |\n",
                e.mean_score,
                na(e.chamfer_mean, "n/a (no truth)"),
                na(e.chamfer_best, "n/a (no truth)"),
                e.diversity,
                na(e.hidden_diversity, "n/a"),
            );
        }
        t
    }
}

/// One completion tuning with its clouds (for files and pictures).
#[derive(Debug)]
pub struct CompleteTuneRun {
    /// What was measured.
    pub record: CompleteTuneRecord,
    /// The problem (camera, observation).
    pub problem: CompletionProblem,
    /// Prior samples.
    pub prior_clouds: Vec<PointCloud>,
    /// Posterior samples.
    pub posterior_clouds: Vec<PointCloud>,
}

/// Tunes `prior` to the view of `problem` and evaluates prior and posterior, against the full
/// `truth` when one is known.
///
/// # Errors
/// From the tuner.
pub fn tune_completion(
    prior: &ShapePrior,
    truth: Option<&PointCloud>,
    shape_name: &str,
    problem: CompletionProblem,
    config: &CompleteTuneConfig,
    observer: &mut dyn TuneObserver,
) -> Result<CompleteTuneRun> {
    let n = config.eval_samples.max(2);
    let prior_clouds = latent_at_prior(prior)?.clouds(n, config.eval_seed)?;
    let prior_eval = evaluate_completions(&prior_clouds, truth, &problem.camera, &problem.score)?;
    let (posterior, report) = problem.tune(
        prior,
        config.objective,
        config.step_fraction,
        &config.tune,
        observer,
    )?;
    let clouds = posterior.clouds(n, config.eval_seed)?;
    let (posterior_mean, posterior_std) = posterior.moments()?;
    let posterior_eval = evaluate_completions(&clouds, truth, &problem.camera, &problem.score)?;
    Ok(CompleteTuneRun {
        record: CompleteTuneRecord {
            shape: shape_name.to_string(),
            prior: prior.dir.display().to_string(),
            camera: problem.camera.config().into(),
            depth_noise: problem.depth_noise,
            score: problem.score.config().into(),
            objective: config.objective,
            observed_points: problem.observed.len(),
            truth_points: truth.map(|t| t.len()),
            prior_eval,
            posterior_eval,
            posterior_mean,
            posterior_std,
            posterior_mixture: posterior.mixture(),
            report,
        },
        problem,
        prior_clouds,
        posterior_clouds: clouds,
    })
}
