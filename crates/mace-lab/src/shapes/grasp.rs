//! Shape inference from grasp contacts (the paper's §4.1): tune the shape prior to the contacts
//! of one grasp and evaluate prior and posterior samples by their own grasps.

use mace_core::{TuneConfig, TuneObserver, TuneReport};
use mace_models::vae::LatentMixture;
use mace_shapes::{
    grasp_evidence, pairwise_diversity, GraspScore, GraspSimulator, PointCloud, ScoreForm,
};
use serde::{Deserialize, Serialize};

use super::latent::{latent_at_prior, tune_latent, LatentObjective};
use super::prior::ShapePrior;
use crate::error::{Context, Result};

/// Score and diversity of `n` samples of a model.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SampleEval {
    /// Mean grasp score of the samples.
    pub mean_score: f32,
    /// Mean pairwise Chamfer distance of the samples.
    pub diversity: f32,
}

/// Scores and diversity of sampled clouds.
///
/// # Errors
/// From the simulator (a finger that touches nothing scores 0, not an error) or the Chamfer
/// kernel.
pub fn evaluate_clouds(
    clouds: &[PointCloud],
    sim: &GraspSimulator,
    score: &GraspScore,
) -> Result<SampleEval> {
    let scores = score.score_batch(&sim.simulate_clouds(clouds)?)?;
    Ok(SampleEval {
        mean_score: mace_core::stats::mean_f32(&scores),
        diversity: pairwise_diversity(clouds)?,
    })
}

/// The finger set that makes the observation: the paper's in-distribution set, or with the
/// fifth finger flipped (out of distribution).
pub fn grasp_simulator(ood: bool) -> GraspSimulator {
    if ood {
        GraspSimulator::out_of_distribution()
    } else {
        GraspSimulator::in_distribution()
    }
}

/// The contacts of each cloud under `sim` (flat, one row of `fingers` values per kept cloud);
/// clouds a finger misses are dropped. Returns (contacts, kept indices, dropped indices).
pub fn contacts_of(
    sim: &GraspSimulator,
    clouds: &[PointCloud],
) -> (Vec<f32>, Vec<usize>, Vec<usize>) {
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

/// What the CVAE baseline is conditioned on, per grasp.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CvaeCondition {
    /// The `k` contact coordinates along the fingers (`k` numbers): a finger flipped to the
    /// other side of a mirror-symmetric shape measures the same number.
    Distances,
    /// The `k` contact points `c_j · d_j` (`3k` numbers, x y z per finger), as the reference
    /// code conditions its CVAE: a flipped finger gives a point on the other side.
    Points,
}

impl CvaeCondition {
    /// Numbers per grasp of `fingers` fingers.
    pub fn dim(self, fingers: usize) -> usize {
        match self {
            CvaeCondition::Distances => fingers,
            CvaeCondition::Points => 3 * fingers,
        }
    }

    /// The condition a CVAE with `cond_dim` inputs reads for `fingers` fingers.
    ///
    /// # Errors
    /// If `cond_dim` is neither `fingers` nor `3 · fingers`.
    pub fn of_cond_dim(cond_dim: usize, fingers: usize) -> Result<Self> {
        match cond_dim {
            d if d == fingers => Ok(CvaeCondition::Distances),
            d if d == 3 * fingers => Ok(CvaeCondition::Points),
            d => crate::error::fail!(
                "the CVAE reads {d} condition numbers: neither the {fingers} contacts of a \
                 {fingers}-finger grasp nor their {} coordinates",
                3 * fingers
            ),
        }
    }

    /// The condition of grasps whose contacts along `directions` are `contacts` (rows of
    /// `directions.len()`), rows of [`CvaeCondition::dim`].
    pub fn encode(self, directions: &[[f32; 3]], contacts: &[f32]) -> Vec<f32> {
        match self {
            CvaeCondition::Distances => contacts.to_vec(),
            CvaeCondition::Points => contacts
                .chunks(directions.len())
                .flat_map(|row| contact_points(directions, row))
                .flatten()
                .collect(),
        }
    }
}

impl std::str::FromStr for CvaeCondition {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "distances" => Ok(CvaeCondition::Distances),
            "points" => Ok(CvaeCondition::Points),
            _ => Err(format!("`{s}`: choose points or distances")),
        }
    }
}

/// Contact markers: contact coordinate `c_j` along finger direction `d_j` → the point `c_j · d_j`.
pub fn contact_points(directions: &[[f32; 3]], contacts: &[f32]) -> Vec<[f32; 3]> {
    directions
        .iter()
        .zip(contacts)
        .map(|(d, &c)| [c * d[0], c * d[1], c * d[2]])
        .collect()
}

/// Settings of one grasp tuning (`mace grasp tune`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GraspTuneConfig {
    /// Out of distribution: the fifth finger points along +x instead of −x.
    pub ood: bool,
    /// Tuning objective.
    pub objective: LatentObjective,
    /// `exact`: fraction of the way to the closed-form optimum taken per step.
    pub step_fraction: f64,
    /// Score form.
    pub score: ScoreForm,
    /// Tuner settings.
    pub tune: TuneConfig,
    /// Samples drawn from prior and posterior to evaluate them (at least 2).
    pub eval_samples: usize,
    /// Seed of the evaluation draws.
    pub eval_seed: u64,
}

/// `report.json` of `mace grasp tune`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GraspTuneRecord {
    /// The observed shape.
    pub shape: String,
    /// Out of distribution.
    pub ood: bool,
    /// Tuning objective.
    pub objective: LatentObjective,
    /// The observed contacts, one per finger (along its direction).
    pub observation: Vec<f32>,
    /// The prior's samples.
    pub prior_eval: SampleEval,
    /// The posterior's samples.
    pub posterior_eval: SampleEval,
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

/// One grasp tuning with its samples (for files and pictures).
#[derive(Debug)]
pub struct GraspTuneRun {
    /// What was measured.
    pub record: GraspTuneRecord,
    /// The finger set.
    pub sim: GraspSimulator,
    /// Prior samples.
    pub prior_clouds: Vec<PointCloud>,
    /// Posterior samples.
    pub posterior_clouds: Vec<PointCloud>,
}

/// Tunes `prior` to the grasp of `observed` and evaluates prior and posterior.
///
/// # Errors
/// If a finger of the grasp misses the observed shape, or from the tuner.
pub fn tune_grasp(
    prior: &ShapePrior,
    observed: &PointCloud,
    shape_name: &str,
    config: &GraspTuneConfig,
    observer: &mut dyn TuneObserver,
) -> Result<GraspTuneRun> {
    let sim = grasp_simulator(config.ood);
    let target = sim.observe(observed.points()).with_context(|| {
        format!("observing {shape_name}: the grasp must touch the object with every finger")
    })?;
    let score = GraspScore::new(target.clone(), config.score)?;
    let n = config.eval_samples.max(2);
    let prior_clouds = latent_at_prior(prior)?.clouds(n, config.eval_seed)?;
    let prior_eval = evaluate_clouds(&prior_clouds, &sim, &score)?;
    let evidence = grasp_evidence(sim.clone(), target.clone(), config.score)?;
    let (posterior, report) = tune_latent(
        prior,
        &evidence,
        config.objective,
        config.step_fraction,
        &config.tune,
        observer,
    )?;
    let clouds = posterior.clouds(n, config.eval_seed)?;
    let (posterior_mean, posterior_std) = posterior.moments()?;
    let posterior_eval = evaluate_clouds(&clouds, &sim, &score)?;
    Ok(GraspTuneRun {
        record: GraspTuneRecord {
            shape: shape_name.to_string(),
            ood: config.ood,
            objective: config.objective,
            observation: target,
            prior_eval,
            posterior_eval,
            posterior_mean,
            posterior_std,
            posterior_mixture: posterior.mixture(),
            report,
        },
        sim,
        prior_clouds,
        posterior_clouds: clouds,
    })
}
