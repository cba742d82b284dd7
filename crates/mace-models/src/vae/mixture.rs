//! MACE-VAE with a mixture latent prior (ours): the frozen VAE samples z from a mixture of
//! diagonal Gaussians, θ = (π_k, μ_k, σ_k), and a MACE step fits θ to the elites by EM.
//!
//! The paper's θ = (μ_z, σ_z) is one diagonal Gaussian. A posterior given a few contacts is not
//! one: the shapes that fit lie along curved, sometimes separate regions of the few latent axes
//! the decoder uses, and a single Gaussian wide enough to hold them also holds shapes between
//! them that fit badly. On the rolled airplanes (docs/BENCHMARKS.md, Fig. 1) every setting of
//! the single Gaussian trades half the score gap for ~60% of the diversity; the mixture closes
//! more of the gap with more of the diversity kept.
//!
//! The MACE objective is the elites' log-likelihood. For a mixture it has no closed form; EM
//! reaches a local maximum ([`super::fit_diagonal_mixture`]). The likelihood is that of the
//! latent each elite was decoded from, which the model keeps (keyed by the bits of the decoded
//! cloud) when it samples: exact, where the paper's −KL(q(z | x) ‖ p(z)) is a bound through the
//! encoder (whose round trip shrinks the codes' spread). So the model scores only clouds it
//! drew itself — the tuner's samples.
//!
//! Coordinates: the prior's principal axes when it has a [`LatentBasis`]; the mixture spans the
//! [`active_axes`] that carry the shapes' variance, the others share one Gaussian.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use candle_core::{Device, Tensor, Var};
use rand::{rngs::StdRng, Rng};
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

use super::basis::LatentBasis;
use super::gmm::{fit_diagonal_mixture, weighted_moments};
use super::nets::{check_finite, VaeNets};
use super::prior::{row_key, TunableLatentPrior};
use super::PointVaeConfig;
use crate::{Error, Result};

/// Latents kept for scoring per generation, rows (each `latent_dim` floats; two generations).
pub const DRAWN_CAPACITY: usize = 1 << 15;

/// The most axes the mixture spans.
pub const MAX_ACTIVE_AXES: usize = 16;

/// The most components a mixture read from a file may hold.
pub const MAX_COMPONENTS: usize = 64;

/// The largest |μ| and σ a latent prior read from a file may hold on any axis: the shipped
/// priors' lie within 0.01–3, and one beyond this decodes to clouds far outside the unit box.
pub const MAX_LATENT_MAGNITUDE: f32 = 1e3;

/// How the mixture is fitted.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MixtureSettings {
    /// Most components (fewer when the elites are too few to fill them).
    pub components: usize,
    /// EM steps per MACE step.
    pub em_iterations: usize,
    /// Floor of every component's standard deviation on each axis, as a fraction of the
    /// prior's there.
    pub floor_fraction: f64,
    /// Leading axes the components span (`None`: [`active_axes`]).
    #[serde(default)]
    pub axes: Option<usize>,
}

impl Default for MixtureSettings {
    fn default() -> Self {
        Self {
            components: 8,
            em_iterations: 50,
            floor_fraction: 0.02,
            axes: None,
        }
    }
}

/// θ: mixing weights and, per component, mean and standard deviation on every latent axis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LatentMixture {
    /// π_k, summing to 1.
    pub weights: Vec<f64>,
    /// μ_k, `latent_dim` values each.
    pub means: Vec<Vec<f32>>,
    /// σ_k, `latent_dim` values each.
    pub stds: Vec<Vec<f32>>,
}

impl LatentMixture {
    /// Checks θ for a latent of size `dim`: 1 to 64 components, each with `dim` means of
    /// magnitude at most [`MAX_LATENT_MAGNITUDE`] and `dim` standard deviations in
    /// (0, [`MAX_LATENT_MAGNITUDE`]], finite positive weights summing to 1 (within 1e-6).
    ///
    /// # Errors
    /// A one-line reason naming the field and value at fault.
    pub fn validate(&self, dim: usize) -> std::result::Result<(), String> {
        let k = self.weights.len();
        if !(1..=MAX_COMPONENTS).contains(&k) {
            return Err(format!(
                "{k} mixture weights: expected 1 to {MAX_COMPONENTS} components"
            ));
        }
        if self.means.len() != k || self.stds.len() != k {
            return Err(format!(
                "{k} weights but {} means and {} stds",
                self.means.len(),
                self.stds.len()
            ));
        }
        if let Some((i, w)) = self
            .weights
            .iter()
            .enumerate()
            .find(|(_, w)| !(w.is_finite() && **w > 0.0))
        {
            return Err(format!("`weights[{i}]` = {w}: must be finite and positive"));
        }
        let total: f64 = self.weights.iter().sum();
        if (total - 1.0).abs() > 1e-6 {
            return Err(format!("the weights sum to {total}, not 1 (within 1e-6)"));
        }
        for (field, rows) in [("means", &self.means), ("stds", &self.stds)] {
            for (c, row) in rows.iter().enumerate() {
                if row.len() != dim {
                    return Err(format!(
                        "`{field}[{c}]` has {} values for a latent of size {dim}",
                        row.len()
                    ));
                }
                let stds = field == "stds";
                let ok = |v: f32| v.abs() <= MAX_LATENT_MAGNITUDE && (!stds || v > 0.0);
                if let Some((i, v)) = row.iter().enumerate().find(|(_, &v)| !ok(v)) {
                    let want = if stds {
                        "positive and at most 1000"
                    } else {
                        "finite, of magnitude at most 1000"
                    };
                    return Err(format!("`{field}[{c}][{i}]` = {v}: must be {want}"));
                }
            }
        }
        Ok(())
    }

    /// Mean and standard deviation of the whole mixture on each axis.
    pub fn moments(&self) -> (Vec<f32>, Vec<f32>) {
        let d = self.means.first().map_or(0, Vec::len);
        let mut mean = vec![0f64; d];
        let mut second = vec![0f64; d];
        for (k, w) in self.weights.iter().enumerate() {
            for i in 0..d {
                let (m, s) = (self.means[k][i] as f64, self.stds[k][i] as f64);
                mean[i] += w * m;
                second[i] += w * (s * s + m * m);
            }
        }
        let std = (0..d)
            .map(|i| (second[i] - mean[i] * mean[i]).max(0.0).sqrt() as f32)
            .collect();
        (mean.iter().map(|&v| v as f32).collect(), std)
    }

    /// log p(u) under the mixture.
    fn log_density(&self, u: &[f32]) -> f64 {
        let ln_2pi = (2.0 * std::f64::consts::PI).ln();
        let logs: Vec<f64> = (0..self.weights.len())
            .map(|k| {
                self.weights[k].ln()
                    + u.iter()
                        .zip(self.means[k].iter().zip(&self.stds[k]))
                        .map(|(&x, (&m, &s))| {
                            let (x, m, s) = (x as f64, m as f64, s as f64);
                            -0.5 * ((x - m) * (x - m) / (s * s) + ln_2pi) - s.ln()
                        })
                        .sum::<f64>()
            })
            .collect();
        let max = logs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if !max.is_finite() {
            return max;
        }
        max + logs.iter().map(|l| (l - max).exp()).sum::<f64>().ln()
    }
}

/// The axes of `basis` that carry the shapes' variance: those above twice the mean axis
/// variance (on the airplane priors 4 axes hold 54% of the codes' variance and the next ones
/// ≈1% each, the encoder's noise), at least 1 and at most [`MAX_ACTIVE_AXES`]. Without a basis,
/// the first `min(dim, 8)` coordinates of z (not principal axes; `MixtureSettings::axes` chooses).
pub fn active_axes(basis: Option<&LatentBasis>, dim: usize) -> usize {
    let Some(basis) = basis else {
        return dim.min(8);
    };
    let v = &basis.axis_variance;
    let mean = v.iter().sum::<f32>() / v.len().max(1) as f32;
    let n = v.iter().filter(|&&x| x > 2.0 * mean).count();
    n.clamp(1, MAX_ACTIVE_AXES.min(dim))
}

/// The frozen VAE with a mixture latent prior; see the module docs. Starts as one component:
/// the Gaussian it was made from. Clones share θ and the kept latents.
///
/// ```
/// use mace_core::GenerativeModel;
/// use mace_models::vae::{MixtureLatentPrior, MixtureSettings, PointVae, PointVaeConfig, TunableLatentPrior};
/// use rand::{rngs::StdRng, SeedableRng};
/// let vae = PointVae::new(PointVaeConfig::tiny(32), 0)?;
/// let prior = MixtureLatentPrior::new(&TunableLatentPrior::new(&vae)?, MixtureSettings::default())?;
/// let x = prior.sample(16, &mut StdRng::seed_from_u64(0))?;
/// assert_eq!(prior.log_prob(&x)?.dims(), [16]);
/// # Ok::<(), mace_core::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct MixtureLatentPrior {
    config: PointVaeConfig,
    nets: Arc<VaeNets>,
    device: Device,
    basis: Option<Arc<LatentBasis>>,
    active: usize,
    floor: Vec<f64>,
    settings: MixtureSettings,
    state: Arc<Mutex<LatentMixture>>,
    drawn: Arc<Mutex<DrawnLatents>>,
}

/// The latents of the clouds drawn lately, keyed by the clouds' bits: the current generation
/// and the one before (a generation is retired when [`DRAWN_CAPACITY`] would be passed, so a
/// draw and the draw after it are always both held).
#[derive(Debug, Default)]
struct DrawnLatents {
    current: HashMap<u128, Vec<f32>>,
    previous: HashMap<u128, Vec<f32>>,
}

impl DrawnLatents {
    fn get(&self, key: &u128) -> Option<&Vec<f32>> {
        self.current.get(key).or_else(|| self.previous.get(key))
    }

    /// Makes room for `n` more rows.
    fn reserve(&mut self, n: usize) {
        if self.current.len() + n > DRAWN_CAPACITY {
            self.previous = std::mem::take(&mut self.current);
        }
    }
}

impl MixtureLatentPrior {
    /// A one-component mixture at `gaussian`'s θ, in its coordinates.
    ///
    /// # Errors
    /// [`Error::Config`] for zero components or EM steps or a floor outside [0, 1).
    pub fn new(gaussian: &TunableLatentPrior, settings: MixtureSettings) -> Result<Self> {
        let d = gaussian.config().latent_dim;
        if settings.axes.is_some_and(|a| a == 0 || a > d) {
            return Err(Error::Config {
                field: "axes",
                value: format!("{} (latent size {d})", settings.axes.unwrap_or(0)),
                reason: "between 1 and the latent size",
            });
        }
        if settings.components == 0 || settings.em_iterations == 0 {
            return Err(Error::Config {
                field: "components / em_iterations",
                value: format!("{} / {}", settings.components, settings.em_iterations),
                reason: "at least 1",
            });
        }
        if !(0.0..1.0).contains(&settings.floor_fraction) {
            return Err(Error::Config {
                field: "floor_fraction",
                value: settings.floor_fraction.to_string(),
                reason: "in [0, 1)",
            });
        }
        let (mean, std) = (gaussian.mean()?, gaussian.std()?);
        let floor = std
            .iter()
            .map(|&s| (settings.floor_fraction * s as f64).powi(2).max(1e-12))
            .collect();
        let config = gaussian.config().clone();
        Ok(Self {
            active: settings
                .axes
                .unwrap_or_else(|| active_axes(gaussian.basis(), config.latent_dim)),
            config,
            nets: gaussian.nets(),
            device: gaussian.device().clone(),
            basis: gaussian.basis().cloned().map(Arc::new),
            floor,
            settings,
            state: Arc::new(Mutex::new(LatentMixture {
                weights: vec![1.0],
                means: vec![mean],
                stds: vec![std],
            })),
            drawn: Arc::default(),
        })
    }

    /// Sets θ (a mixture fitted earlier, or read from a file), checked as
    /// [`LatentMixture::validate`] checks it.
    ///
    /// # Errors
    /// [`Error::Config`] naming what is wrong.
    pub fn set_mixture(&self, mixture: LatentMixture) -> Result<()> {
        mixture
            .validate(self.config.latent_dim)
            .map_err(|reason| Error::Config {
                field: "mixture",
                value: reason,
                reason: "a valid mixture latent prior",
            })?;
        *self.state.lock().expect("mixture lock") = mixture;
        Ok(())
    }

    /// θ as it stands.
    pub fn mixture(&self) -> LatentMixture {
        self.state.lock().expect("mixture lock").clone()
    }

    /// How many leading axes the mixture spans (the others share one Gaussian).
    pub fn active(&self) -> usize {
        self.active
    }

    /// The latent each row of `samples` `(n, 3N)` was decoded from.
    fn latents_of(&self, samples: &Tensor) -> Result<Vec<Vec<f32>>> {
        let w = self.config.cloud_len();
        let rows = samples
            .to_dtype(candle_core::DType::F32)?
            .flatten_all()?
            .to_vec1::<f32>()?;
        if rows.len() % w != 0 {
            return Err(Error::ShapeMismatch {
                op: "MixtureLatentPrior::log_prob",
                expected: format!("f32 clouds (n, {w})"),
                got: format!("{:?}", samples.dims()),
            });
        }
        let drawn = self.drawn.lock().expect("drawn lock");
        rows.chunks_exact(w)
            .enumerate()
            .map(|(i, row)| {
                drawn.get(&row_key(row)).cloned().ok_or(Error::Config {
                    field: "samples",
                    value: format!("row {i}"),
                    reason: "a mixture latent prior scores only clouds it drew itself",
                })
            })
            .collect()
    }

    /// u = μ_k + σ_k ε with k drawn by π, decoded; keeps each row's latent.
    fn draw(&self, n: usize, rng: &mut StdRng) -> Result<Tensor> {
        let d = self.config.latent_dim;
        let state = self.mixture();
        let mut u = Vec::with_capacity(n * d);
        for _ in 0..n {
            let mut t = rng.random::<f64>();
            let k = state
                .weights
                .iter()
                .position(|&w| {
                    t -= w;
                    t < 0.0
                })
                .unwrap_or(state.weights.len() - 1);
            for (m, s) in state.means[k].iter().zip(&state.stds[k]) {
                u.push(m + s * rng.sample::<f32, _>(StandardNormal));
            }
        }
        let mut z = u.clone();
        if let Some(basis) = &self.basis {
            basis.latents_from_axes(&mut z);
        }
        let x = self
            .nets
            .decode(&Tensor::from_vec(z, (n, d), &self.device)?, None)?;
        let rows = x.flatten_all()?.to_vec1::<f32>()?;
        let w = self.config.cloud_len();
        let mut drawn = self.drawn.lock().expect("drawn lock");
        drawn.reserve(n);
        for (row, latent) in rows.chunks_exact(w).zip(u.chunks_exact(d)) {
            drawn.current.insert(row_key(row), latent.to_vec());
        }
        Ok(x)
    }

    /// log p(x_i) = log p(u_i) for each row.
    fn log_densities(&self, samples: &Tensor) -> Result<Vec<f64>> {
        let latents = self.latents_of(samples)?;
        let state = self.mixture();
        Ok(latents.iter().map(|u| state.log_density(u)).collect())
    }

    /// Fits θ to `latents` with `weights` by EM (seeded by `seed`); `None` when the weights
    /// hold less than two points' worth (θ is then left as it is).
    fn fit(&self, latents: &[Vec<f32>], weights: &[f64], seed: u64) -> Option<LatentMixture> {
        let a = self.active;
        let head: Vec<Vec<f64>> = latents
            .iter()
            .map(|u| u[..a].iter().map(|&v| v as f64).collect())
            .collect();
        let tail: Vec<Vec<f64>> = latents
            .iter()
            .map(|u| u[a..].iter().map(|&v| v as f64).collect())
            .collect();
        let total: f64 = weights.iter().sum();
        let mixture = fit_diagonal_mixture(
            &head,
            weights,
            self.settings.components,
            self.settings.em_iterations,
            &self.floor[..a],
            seed,
        )?;
        let (tail_mean, tail_var) = weighted_moments(&tail, weights, total, &self.floor[a..]);
        let full = |head: &[f64], tail: &[f64]| -> Vec<f32> {
            head.iter().chain(tail).map(|&v| v as f32).collect()
        };
        let sqrt = |v: &[f64]| v.iter().map(|x| x.sqrt()).collect::<Vec<_>>();
        let means = mixture.means.iter().map(|m| full(m, &tail_mean)).collect();
        let stds = mixture
            .variances
            .iter()
            .map(|v| full(&sqrt(v), &sqrt(&tail_var)))
            .collect();
        Some(LatentMixture {
            weights: mixture.weights,
            means,
            stds,
        })
    }
}

impl mace_core::GenerativeModel for MixtureLatentPrior {
    fn sample(&self, n: usize, rng: &mut StdRng) -> mace_core::Result<Tensor> {
        Ok(self.draw(n, rng)?)
    }

    fn log_prob(&self, samples: &Tensor) -> mace_core::Result<Tensor> {
        let values: Vec<f32> = self
            .log_densities(samples)?
            .iter()
            .map(|&v| v as f32)
            .collect();
        let n = values.len();
        Ok(Tensor::from_vec(values, n, &self.device)?)
    }

    fn trainable_vars(&self) -> Vec<Var> {
        Vec::new()
    }

    fn frozen_copy(&self) -> mace_core::Result<Self> {
        Ok(Self {
            state: Arc::new(Mutex::new(self.mixture())),
            ..self.clone()
        })
    }

    fn optimizer(&self, _lr: f64) -> mace_core::Result<Box<dyn mace_core::ModelOptimizer + '_>> {
        Ok(Box::new(MixtureEm { prior: self }))
    }
}

/// A [`mace_core::ModelOptimizer`] that refits a [`MixtureLatentPrior`] to the weighted elites
/// by EM at each step (the learning rate plays no part).
#[derive(Debug)]
pub struct MixtureEm<'a> {
    prior: &'a MixtureLatentPrior,
}

impl mace_core::ModelOptimizer for MixtureEm<'_> {
    fn step(
        &mut self,
        samples: &Tensor,
        weights: &[f32],
        iteration: usize,
    ) -> mace_core::Result<f64> {
        let latents = self.prior.latents_of(samples)?;
        if weights.len() != latents.len() {
            return Err(Error::ShapeMismatch {
                op: "MixtureEm::step",
                expected: format!("{} weights", latents.len()),
                got: weights.len().to_string(),
            }
            .into());
        }
        check_finite(weights, "elite weights")?;
        let weights: Vec<f64> = weights.iter().map(|&w| w.max(0.0) as f64).collect();
        if weights.iter().sum::<f64>() <= 0.0 {
            return Ok(0.0);
        }
        let Some(fitted) = self.prior.fit(&latents, &weights, iteration as u64) else {
            return Ok(0.0);
        };
        let loss: f64 = -latents
            .iter()
            .zip(&weights)
            .filter(|(_, &w)| w > 0.0)
            .map(|(u, w)| w * fitted.log_density(u))
            .sum::<f64>();
        if !loss.is_finite() {
            return Err(mace_core::Error::NonFiniteLoss { iteration, loss });
        }
        *self.prior.state.lock().expect("mixture lock") = fitted;
        Ok(loss)
    }
}

#[cfg(test)]
#[path = "mixture_tests.rs"]
mod tests;
