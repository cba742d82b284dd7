//! Tuning a shape prior's latent prior to any evidence (grasp contacts, a depth view, your own
//! score): MACE-VAE with Adam (the paper), its exact update (ours), or IS.

use std::fmt;
use std::str::FromStr;

use mace_core::{
    Evidence, GenerativeModel, Objective, TuneConfig, TuneObserver, TuneReport, Tuner,
};
use mace_models::vae::{
    LatentMixture, LatentUpdate, MixtureLatentPrior, MixtureSettings, TunableLatentPrior,
};
use mace_shapes::{clouds_from_tensor, PointCloud};
use rand::{rngs::StdRng, SeedableRng};
use serde::{Deserialize, Serialize};

use super::prior::ShapePrior;
use crate::error::{fail, Result};

/// How the latent prior is tuned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LatentObjective {
    /// MACE-VAE with Adam on the elites' −KL (the paper).
    Mace,
    /// MACE-VAE with the closed-form maximiser of the elites' −KL (ours).
    Exact,
    /// Importance sampling (paper Eq. 2) with Adam.
    Is,
    /// MACE-VAE with a mixture latent prior, fitted to the elites by EM (ours; see
    /// [`MixtureLatentPrior`]). Its preset draws a large sample once ([`mixture_tune_config`]).
    Mix,
    /// No tuning: the best of as many prior samples as a tuner simulates (iterations × sample
    /// size), by score. A baseline of the benches; it yields samples, not a posterior.
    #[serde(rename = "best-of")]
    BestOf,
}

impl LatentObjective {
    /// Every objective, in table order.
    pub const ALL: [LatentObjective; 5] = [
        LatentObjective::Mace,
        LatentObjective::Mix,
        LatentObjective::Exact,
        LatentObjective::Is,
        LatentObjective::BestOf,
    ];

    /// The tuner objective and the Gaussian latent prior's update rule; `None` for
    /// [`LatentObjective::Mix`] (a mixture, fitted by EM) and [`LatentObjective::BestOf`]
    /// (which tunes nothing).
    pub fn parts(self, step_fraction: f64) -> Option<(Objective, LatentUpdate)> {
        Some(match self {
            LatentObjective::Mace => (Objective::Mace, LatentUpdate::Adam),
            LatentObjective::Exact => (Objective::Mace, LatentUpdate::Exact { step_fraction }),
            LatentObjective::Is => (Objective::Is, LatentUpdate::Adam),
            LatentObjective::Mix | LatentObjective::BestOf => return None,
        })
    }

    /// The tuner settings this objective starts from (the command line's knobs apply on top).
    pub fn preset(self) -> TuneConfig {
        match self {
            LatentObjective::Mix => mixture_tune_config(),
            _ => shape_tune_config(),
        }
    }

    /// The name on the command line and in tables.
    pub fn label(self) -> &'static str {
        match self {
            LatentObjective::Mace => "mace",
            LatentObjective::Exact => "exact",
            LatentObjective::Is => "is",
            LatentObjective::Mix => "mix",
            LatentObjective::BestOf => "best-of",
        }
    }
}

impl fmt::Display for LatentObjective {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl FromStr for LatentObjective {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        LatentObjective::ALL
            .into_iter()
            .find(|o| o.label() == s)
            .ok_or_else(|| {
                format!("unknown objective `{s}`: expected mace, mix, exact, is or best-of")
            })
    }
}

/// A tuned latent prior: the paper's Gaussian or the mixture.
#[derive(Debug, Clone)]
pub enum TunedLatent {
    /// N(μ, diag σ²) in the prior's coordinates (`mace`, `exact`, `is`).
    Gaussian(TunableLatentPrior),
    /// A mixture of Gaussians (`mix`).
    Mixture(MixtureLatentPrior),
}

impl TunedLatent {
    /// `n` clouds sampled with `seed`.
    ///
    /// # Errors
    /// From the model.
    pub fn clouds(&self, n: usize, seed: u64) -> Result<Vec<PointCloud>> {
        match self {
            TunedLatent::Gaussian(m) => sample_clouds(m, n, seed),
            TunedLatent::Mixture(m) => sample_clouds(m, n, seed),
        }
    }

    /// The mixture θ of `mix` (`None` for one Gaussian).
    pub fn mixture(&self) -> Option<LatentMixture> {
        match self {
            TunedLatent::Gaussian(_) => None,
            TunedLatent::Mixture(m) => Some(m.mixture()),
        }
    }

    /// Mean and standard deviation on each latent axis (of the whole mixture for `mix`).
    ///
    /// # Errors
    /// Tensor errors.
    pub fn moments(&self) -> Result<(Vec<f32>, Vec<f32>)> {
        Ok(match self {
            TunedLatent::Gaussian(m) => (m.mean()?, m.std()?),
            TunedLatent::Mixture(m) => m.mixture().moments(),
        })
    }
}

/// The most clouds one tuning sample may hold (a 2048-point cloud is 24 KB: 2.4 GB at most).
pub const MAX_SAMPLE_CLOUDS: usize = 100_000;

/// Refuses sample sizes whose clouds would not fit in memory, before anything is drawn.
fn check_sample_sizes(config: &TuneConfig) -> Result<()> {
    for (field, n) in [
        ("sample_size", Some(config.sample_size)),
        ("first_sample_size", config.first_sample_size),
        ("first_sample_max", config.first_sample_max),
    ] {
        if let Some(n) = n.filter(|&n| n > MAX_SAMPLE_CLOUDS) {
            return Err(crate::Error::Invalid {
                field,
                value: n.to_string(),
                reason: format!("must be at most {MAX_SAMPLE_CLOUDS} clouds"),
            });
        }
    }
    Ok(())
}

/// Tunes a fresh latent prior of `prior` to `evidence`; returns it and the report.
///
/// # Errors
/// For [`LatentObjective::BestOf`] (it tunes nothing), a sample of more than
/// [`MAX_SAMPLE_CLOUDS`] clouds, or from the tuner.
pub fn tune_latent(
    prior: &ShapePrior,
    evidence: &dyn Evidence,
    objective: LatentObjective,
    step_fraction: f64,
    config: &TuneConfig,
    observer: &mut dyn TuneObserver,
) -> Result<(TunedLatent, TuneReport)> {
    if objective == LatentObjective::Mix {
        let (model, report) = tune_mixture(
            prior,
            evidence,
            MixtureSettings::default(),
            config,
            observer,
        )?;
        return Ok((TunedLatent::Mixture(model), report));
    }
    let Some((objective, update)) = objective.parts(step_fraction) else {
        fail!("best-of tunes nothing: it is a baseline of `mace bench completion` (choose mace, mix, exact or is)");
    };
    check_sample_sizes(config)?;
    let model = prior.model()?.with_update(update);
    let report = Tuner::new(config.clone(), objective)?.run(&model, evidence, observer)?;
    Ok((TunedLatent::Gaussian(model), report))
}

/// Tunes a fresh mixture latent prior of `prior` to `evidence` (MACE with EM steps; see
/// [`MixtureLatentPrior`]); returns it and the report.
///
/// # Errors
/// From the settings, a sample of more than [`MAX_SAMPLE_CLOUDS`] clouds, or the tuner.
pub fn tune_mixture(
    prior: &ShapePrior,
    evidence: &dyn Evidence,
    settings: MixtureSettings,
    config: &TuneConfig,
    observer: &mut dyn TuneObserver,
) -> Result<(MixtureLatentPrior, TuneReport)> {
    check_sample_sizes(config)?;
    let model = mixture_at_prior(prior, settings)?;
    let report = Tuner::new(config.clone(), Objective::Mace)?.run(&model, evidence, observer)?;
    Ok((model, report))
}

/// A mixture latent prior fitted by `settings`, at `prior`'s latent prior: its mixture if it
/// holds one (a saved posterior of objective `mix`), else one component at its Gaussian.
///
/// # Errors
/// Bad settings, or a mixture that does not fit the VAE.
pub fn mixture_at_prior(
    prior: &ShapePrior,
    settings: MixtureSettings,
) -> Result<MixtureLatentPrior> {
    let model = MixtureLatentPrior::new(&prior.gaussian()?, settings)?;
    if let Some(mixture) = prior.latent.as_ref().and_then(|l| l.mixture.clone()) {
        model.set_mixture(mixture)?;
    }
    Ok(model)
}

/// The model `prior` samples from as loaded: a mixture latent prior (default settings) if its
/// `latent_prior.json` holds one, else the tunable Gaussian.
///
/// # Errors
/// As [`ShapePrior::model`] and [`mixture_at_prior`].
pub fn latent_at_prior(prior: &ShapePrior) -> Result<TunedLatent> {
    if prior.latent.as_ref().is_some_and(|l| l.mixture.is_some()) {
        Ok(TunedLatent::Mixture(mixture_at_prior(
            prior,
            MixtureSettings::default(),
        )?))
    } else {
        Ok(TunedLatent::Gaussian(prior.model()?))
    }
}

/// Our settings for the mixture latent prior: one MACE step on the best tenth of 4096 prior
/// samples (chosen on the validation airplanes; see docs/BENCHMARKS.md, Fig. 1).
pub fn mixture_tune_config() -> TuneConfig {
    TuneConfig {
        iterations: 1,
        sample_size: 4096,
        bsz: 4096,
        grad_steps: 1,
        quantile: 0.1,
        ..TuneConfig::grasp()
    }
}

/// `n` clouds sampled from `model` with `seed`.
///
/// # Errors
/// From the model.
pub fn sample_clouds(model: &impl GenerativeModel, n: usize, seed: u64) -> Result<Vec<PointCloud>> {
    let x = model.sample(n, &mut StdRng::seed_from_u64(seed))?;
    Ok(clouds_from_tensor(&x)?)
}

/// Our tuning settings for shape priors (grasp and completion; see docs/BENCHMARKS.md): the
/// reference's sample size, batch, quantile and learning rate, fewer iterations.
pub fn shape_tune_config() -> TuneConfig {
    TuneConfig {
        iterations: 200,
        ..TuneConfig::grasp()
    }
}
