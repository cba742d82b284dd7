//! MACE-VAE (paper §3.2.1): a frozen VAE whose latent prior N(μ_z, diag σ_z²) is what tuning
//! moves.
//!
//! θ = (μ_z, log σ_z), each `latent_dim` wide. The term maximised for each elite x_i is
//! −KL(q(z | x_i) ‖ N(μ_z, σ_z²)), with q from the frozen encoder (diagonal Gaussians, so the KL
//! has a closed form), and that is what [`TunableLatentPrior`]'s `log_prob` returns.
//!
//! # The exact update
//!
//! For weights w_i ≥ 0 (w̄_i = w_i / Σ w) and encodings q_i = N(m_i, diag s_i²), the objective
//! Σ_i w_i (−KL(q_i ‖ N(μ, σ²))) separates over dimensions; per dimension, up to constants,
//!
//! ```text
//! F(μ, σ) = −Σ_i w_i [ log σ + (s_i² + (m_i − μ)²) / (2σ²) ]
//! ∂F/∂μ = Σ_i w_i (m_i − μ) / σ²                      = 0  ⇒  μ* = Σ_i w̄_i m_i
//! ∂F/∂σ = Σ_i w_i [ −1/σ + (s_i² + (m_i − μ)²) / σ³ ] = 0  ⇒  σ*² = Σ_i w̄_i (s_i² + (m_i − μ*)²)
//! ```
//!
//! This stationary point is the maximiser: −KL(q_i ‖ p_η) = E_{q_i}[log p_η(z)] + H(q_i), and
//! for a Gaussian in natural parameters η, E_q[log p_η] = η·E_q[T(z)] − A(η) is concave in η
//! (A is the convex log-partition), so the objective is concave with this unique maximiser:
//! the moment-matched Gaussian of the mixture Σ_i w̄_i q_i. [`ExactLatentOptimizer`] jumps there (or a fraction of the way, in (μ, log σ)).
//! The same formula maximises the IS objective, whose weights are S_i · p0/p.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use candle_core::{Device, Tensor, Var};
use rand::{rngs::StdRng, Rng};
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

use super::basis::{Encodings, LatentBasis};
use super::model::PointVae;
use super::nets::{check_finite, VaeNets};
use super::PointVaeConfig;
use crate::{Error, Result};

/// How [`TunableLatentPrior::optimizer`](mace_core::GenerativeModel::optimizer) moves θ.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
pub enum LatentUpdate {
    /// Adam on −Σ w_i log p(x_i; θ) with candle's autograd (the paper's MACE-VAE).
    #[default]
    Adam,
    /// The closed-form maximiser of Σ w_i (−KL_i) (see the module docs), damped: θ moves
    /// `step_fraction` ∈ (0, 1] of the way to it in (μ, log σ) at each step.
    Exact {
        /// Fraction of the way to the maximiser taken per step (1 = jump).
        step_fraction: f64,
    },
}

/// Counters of the encoder cache.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Rows whose encoding came from the cache.
    pub hits: u64,
    /// Rows that went through the encoder.
    pub misses: u64,
}

/// Encodings of rows already seen, keyed by a 128-bit hash of the row's bits.
#[derive(Debug, Default)]
struct EncoderCache {
    capacity: usize,
    map: HashMap<u128, Vec<f32>>,
    stats: CacheStats,
}

/// A frozen [`PointVae`] with a tunable latent prior N(μ_z, diag σ_z²): the MACE-VAE
/// [`mace_core::GenerativeModel`]. Starts at μ_z = 0, σ_z = `prior_std`.
///
/// Cloning shares θ and the encoder cache; [`mace_core::GenerativeModel::frozen_copy`] copies θ
/// and still shares the cache (encodings do not depend on θ).
///
/// ```
/// use mace_core::GenerativeModel;
/// use mace_models::vae::{PointVae, PointVaeConfig, TunableLatentPrior};
/// use rand::{rngs::StdRng, SeedableRng};
/// let vae = PointVae::new(PointVaeConfig::tiny(32), 0)?;
/// let prior = TunableLatentPrior::new(&vae)?;
/// let x = prior.sample(16, &mut StdRng::seed_from_u64(0))?;
/// assert_eq!(x.dims(), [16, 96]);
/// assert_eq!(prior.log_prob(&x)?.dims(), [16]);
/// # Ok::<(), mace_core::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct TunableLatentPrior {
    config: PointVaeConfig,
    nets: Arc<VaeNets>,
    device: Device,
    mu: Var,
    log_sigma: Var,
    cache: Arc<Mutex<EncoderCache>>,
    update: LatentUpdate,
    basis: Option<Arc<LatentBasis>>,
}

/// Default capacity of the encoder cache, rows (each holds 2 · latent floats).
pub const DEFAULT_CACHE_ROWS: usize = 4096;

impl TunableLatentPrior {
    /// The frozen `vae` with θ at its training prior: μ_z = 0, σ_z = `prior_std`.
    ///
    /// # Errors
    /// Tensor errors.
    pub fn new(vae: &PointVae) -> Result<Self> {
        let cfg = vae.config().clone();
        let d = cfg.latent_dim;
        let device = vae.core.device.clone();
        let mu = Var::zeros(d, candle_core::DType::F32, &device)?;
        let log_sigma = Var::from_vec(vec![cfg.prior_std.ln(); d], d, &device)?;
        Ok(Self {
            nets: Arc::new(vae.core.nets.detached()),
            config: cfg,
            device,
            mu,
            log_sigma,
            cache: Arc::new(Mutex::new(EncoderCache {
                capacity: DEFAULT_CACHE_ROWS,
                ..Default::default()
            })),
            update: LatentUpdate::Adam,
            basis: None,
        })
    }

    /// Puts the latent prior in the coordinates u of `basis` (z = offset + B u; see
    /// [`LatentBasis`]): θ, samples' noise and encodings all live in u from now on, and θ is
    /// reset to N(0, s² I) there (s = `basis.axis_std`) — the aggregate posterior the basis was
    /// fitted to. A fresh, empty encoder cache.
    ///
    /// # Errors
    /// As [`LatentBasis::validate`].
    pub fn with_basis(mut self, basis: LatentBasis) -> Result<Self> {
        basis.validate(self.config.latent_dim)?;
        let d = self.config.latent_dim;
        self.basis = Some(Arc::new(basis));
        let capacity = self.cache.lock().expect("cache lock").capacity;
        self = self.with_encoder_cache(capacity);
        let s = self.basis.as_ref().map_or(1.0, |b| b.axis_std);
        self.set_latent(&vec![0.0; d], &vec![s; d])?;
        Ok(self)
    }

    /// The coordinates the latent prior lives in (`None`: z itself).
    pub fn basis(&self) -> Option<&LatentBasis> {
        self.basis.as_deref()
    }

    /// Chooses how the optimiser moves θ.
    pub fn with_update(mut self, update: LatentUpdate) -> Self {
        self.update = update;
        self
    }

    /// The update rule in use.
    pub fn update(&self) -> LatentUpdate {
        self.update
    }

    /// Caches up to `rows` encodings (0 disables the cache). A fresh, empty cache.
    pub fn with_encoder_cache(mut self, rows: usize) -> Self {
        self.cache = Arc::new(Mutex::new(EncoderCache {
            capacity: rows,
            ..Default::default()
        }));
        self
    }

    /// Hits and misses of the encoder cache so far.
    pub fn cache_stats(&self) -> CacheStats {
        self.cache.lock().expect("cache lock").stats
    }

    /// The VAE's sizes.
    pub fn config(&self) -> &PointVaeConfig {
        &self.config
    }

    /// The frozen networks (shared).
    pub(super) fn nets(&self) -> Arc<VaeNets> {
        Arc::clone(&self.nets)
    }

    /// The device θ lives on.
    pub(super) fn device(&self) -> &Device {
        &self.device
    }

    /// μ_z, `latent_dim` values.
    ///
    /// # Errors
    /// Tensor errors.
    pub fn mean(&self) -> Result<Vec<f32>> {
        Ok(self.mu.as_tensor().to_vec1::<f32>()?)
    }

    /// σ_z, `latent_dim` values.
    ///
    /// # Errors
    /// Tensor errors.
    pub fn std(&self) -> Result<Vec<f32>> {
        Ok(self.log_sigma.as_tensor().exp()?.to_vec1::<f32>()?)
    }

    /// Sets θ from μ_z and σ_z (each `latent_dim` values, σ_z > 0).
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] for wrong lengths, [`Error::NonFinite`] for NaN/∞/σ ≤ 0.
    pub fn set_latent(&self, mean: &[f32], std: &[f32]) -> Result<()> {
        let d = self.config.latent_dim;
        if mean.len() != d || std.len() != d {
            return Err(Error::ShapeMismatch {
                op: "TunableLatentPrior::set_latent",
                expected: format!("{d} means and {d} standard deviations"),
                got: format!("{} and {}", mean.len(), std.len()),
            });
        }
        check_finite(mean, "latent mean")?;
        let log_std: Vec<f32> = std.iter().map(|s| s.ln()).collect();
        check_finite(&log_std, "log of latent std")?;
        self.mu.set(&Tensor::from_slice(mean, d, &self.device)?)?;
        self.log_sigma
            .set(&Tensor::from_vec(log_std, d, &self.device)?)?;
        Ok(())
    }

    /// q(z | x) of every row of `samples` `(n, 3N)` by the frozen encoder, through the cache.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] for another width, [`Error::NonFinite`] for NaN/∞ in a cloud.
    pub fn encode(&self, samples: &Tensor) -> Result<Encodings> {
        let w = self.config.cloud_len();
        let d = self.config.latent_dim;
        let n = match samples.dims() {
            [n, x] if *x == w => *n,
            [n, p, 3] if *p == self.config.n_points => *n,
            _ => {
                return Err(Error::ShapeMismatch {
                    op: "TunableLatentPrior::encode",
                    expected: format!("f32 clouds (n, {w})"),
                    got: format!("{:?}", samples.dims()),
                })
            }
        };
        let values = samples
            .to_dtype(candle_core::DType::F32)?
            .flatten_all()?
            .to_vec1::<f32>()?;
        check_finite(&values, "point cloud")?;
        let mut mean = vec![0f32; n * d];
        let mut logvar = vec![0f32; n * d];
        let mut cache = self.cache.lock().expect("cache lock");
        let use_cache = cache.capacity > 0;
        let keys: Vec<u128> = if use_cache {
            values.chunks_exact(w).map(row_key).collect()
        } else {
            Vec::new()
        };
        let mut missing = Vec::new();
        for i in 0..n {
            match keys.get(i).and_then(|k| cache.map.get(k)) {
                Some(enc) => {
                    mean[i * d..(i + 1) * d].copy_from_slice(&enc[..d]);
                    logvar[i * d..(i + 1) * d].copy_from_slice(&enc[d..]);
                }
                None => missing.push(i),
            }
        }
        cache.stats.hits += (n - missing.len()) as u64;
        cache.stats.misses += missing.len() as u64;
        if !missing.is_empty() {
            let rows: Vec<f32> = missing
                .iter()
                .flat_map(|&i| values[i * w..(i + 1) * w].iter().copied())
                .collect();
            let x = Tensor::from_vec(rows, (missing.len(), w), &self.device)?;
            let (m, lv) = self.nets.encode_points(&self.nets.eval_points(&x)?, None)?;
            let mut fresh = Encodings {
                n: missing.len(),
                dim: d,
                mean: m.flatten_all()?.to_vec1::<f32>()?,
                logvar: lv.flatten_all()?.to_vec1::<f32>()?,
            };
            if let Some(basis) = &self.basis {
                basis.encodings_to_axes(&mut fresh);
            }
            let (m, lv) = (fresh.mean, fresh.logvar);
            if use_cache && cache.map.len() + missing.len() > cache.capacity {
                cache.map.clear();
            }
            for (r, &i) in missing.iter().enumerate() {
                mean[i * d..(i + 1) * d].copy_from_slice(&m[r * d..(r + 1) * d]);
                logvar[i * d..(i + 1) * d].copy_from_slice(&lv[r * d..(r + 1) * d]);
                if use_cache && cache.map.len() < cache.capacity {
                    let mut enc = m[r * d..(r + 1) * d].to_vec();
                    enc.extend_from_slice(&lv[r * d..(r + 1) * d]);
                    cache.map.insert(keys[i], enc);
                }
            }
        }
        Ok(Encodings {
            n,
            dim: d,
            mean,
            logvar,
        })
    }

    /// −KL(q(z | x_i) ‖ N(μ_z, σ_z²)) per encoding at the current θ, in f64 (no autograd).
    ///
    /// # Errors
    /// Tensor errors.
    pub fn neg_kl(&self, enc: &Encodings) -> Result<Vec<f64>> {
        let mu = self.mean()?;
        let ls = self.log_sigma.as_tensor().to_vec1::<f32>()?;
        Ok(neg_kl_values(enc, &mu, &ls))
    }

    /// The closed-form maximiser (μ*, σ*) of Σ_i w_i (−KL(q(z | x_i) ‖ N(μ, σ²))) over `samples`
    /// `(k, 3N)` with `weights` (≥ 0, one per row); see the module docs. `None` when the weights
    /// sum to zero.
    ///
    /// # Errors
    /// As [`Self::encode`]; [`Error::ShapeMismatch`] for a wrong number of weights.
    pub fn exact_maximiser(
        &self,
        samples: &Tensor,
        weights: &[f32],
    ) -> Result<Option<(Vec<f32>, Vec<f32>)>> {
        let enc = self.encode(samples)?;
        weighted_moments(&enc, weights)
    }

    /// [`Self::exact_maximiser`] for encodings already computed (by [`Self::encode`]).
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] for a wrong number of weights, [`Error::NonFinite`] for a
    /// negative or non-finite weight.
    pub fn maximiser_of(
        &self,
        enc: &Encodings,
        weights: &[f32],
    ) -> Result<Option<(Vec<f32>, Vec<f32>)>> {
        weighted_moments(enc, weights)
    }

    /// z = μ_z + σ_z ε for ε `(n, latent)` from `rng` (mapped through the basis, if any), and
    /// their decoded clouds.
    fn draw(&self, n: usize, rng: &mut StdRng) -> Result<Tensor> {
        let d = self.config.latent_dim;
        let mu = self.mean()?;
        let sigma = self.std()?;
        let mut z: Vec<f32> = (0..n * d)
            .map(|k| mu[k % d] + sigma[k % d] * rng.sample::<f32, _>(StandardNormal))
            .collect();
        if let Some(basis) = &self.basis {
            basis.latents_from_axes(&mut z);
        }
        let z = Tensor::from_vec(z, (n, d), &self.device)?;
        Ok(self.nets.decode(&z, None)?)
    }
}

/// (μ*, σ*) = weighted moments of the mixture Σ w̄_i N(m_i, s_i²); `None` if Σ w = 0.
fn weighted_moments(enc: &Encodings, weights: &[f32]) -> Result<Option<(Vec<f32>, Vec<f32>)>> {
    if weights.len() != enc.n {
        return Err(Error::ShapeMismatch {
            op: "TunableLatentPrior::exact_maximiser",
            expected: format!("{} weights", enc.n),
            got: weights.len().to_string(),
        });
    }
    if let Some(index) = weights.iter().position(|w| !w.is_finite() || *w < 0.0) {
        return Err(Error::NonFinite {
            what: "weights (finite and ≥ 0)",
            index,
        });
    }
    let total: f64 = weights.iter().map(|&w| w as f64).sum();
    if total <= 0.0 {
        return Ok(None);
    }
    let d = enc.dim;
    let rows = || {
        weights
            .iter()
            .zip(enc.mean.chunks_exact(d).zip(enc.logvar.chunks_exact(d)))
            .map(move |(&w, (m, lv))| (w as f64 / total, m, lv))
    };
    let mut mu = vec![0f64; d];
    for (w, m, _) in rows() {
        for (acc, &v) in mu.iter_mut().zip(m) {
            *acc += w * v as f64;
        }
    }
    let mut var = vec![0f64; d];
    for (w, m, lv) in rows() {
        for ((acc, (&v, &l)), c) in var.iter_mut().zip(m.iter().zip(lv)).zip(&mu) {
            let dm = v as f64 - c;
            *acc += w * ((l as f64).exp() + dm * dm);
        }
    }
    Ok(Some((
        mu.iter().map(|&v| v as f32).collect(),
        var.iter().map(|&v| v.sqrt() as f32).collect(),
    )))
}

/// −KL(N(m_i, e^{lv_i}) ‖ N(μ, e^{2 ls})) per row, f64.
fn neg_kl_values(enc: &Encodings, mu: &[f32], log_sigma: &[f32]) -> Vec<f64> {
    let d = enc.dim;
    (0..enc.n)
        .map(|i| {
            let mut kl = 0.0f64;
            for k in 0..d {
                let (m, lv) = (enc.mean[i * d + k] as f64, enc.logvar[i * d + k] as f64);
                let ls = log_sigma[k] as f64;
                let dm = m - mu[k] as f64;
                kl += ls - 0.5 * lv + (lv.exp() + dm * dm) * 0.5 * (-2.0 * ls).exp() - 0.5;
            }
            -kl
        })
        .collect()
}

/// A 128-bit hash of a row's bits (two independent multiply-rotate lanes over 64-bit words).
pub(super) fn row_key(row: &[f32]) -> u128 {
    let (mut a, mut b) = (0x243F_6A88_85A3_08D3u64, 0x1319_8A2E_0370_7344u64);
    for pair in row.chunks(2) {
        let w = pair[0].to_bits() as u64 | (pair.get(1).map_or(0, |v| v.to_bits()) as u64) << 32;
        a = (a ^ w).wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(29);
        b = (b.rotate_left(17) ^ w).wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
    }
    ((a as u128) << 64) | (b ^ row.len() as u64) as u128
}

impl mace_core::GenerativeModel for TunableLatentPrior {
    fn sample(&self, n: usize, rng: &mut StdRng) -> mace_core::Result<Tensor> {
        Ok(self.draw(n, rng)?)
    }

    fn log_prob(&self, samples: &Tensor) -> mace_core::Result<Tensor> {
        let enc = self.encode(samples)?;
        let (n, d) = (enc.n, enc.dim);
        let m = Tensor::from_vec(enc.mean, (n, d), &self.device)?;
        let lv = Tensor::from_vec(enc.logvar, (n, d), &self.device)?;
        let mu = self.mu.as_tensor().unsqueeze(0)?;
        let ls = self.log_sigma.as_tensor().unsqueeze(0)?;
        let inv_var = ls.affine(-2.0, 0.0)?.exp()?;
        let quad = (lv.exp()? + m.broadcast_sub(&mu)?.sqr()?)?
            .broadcast_mul(&inv_var)?
            .affine(0.5, 0.0)?;
        let kl = ((quad + ls.broadcast_as((n, d))?)? - lv.affine(0.5, 0.0)?)?
            .sum(1)?
            .affine(1.0, -0.5 * d as f64)?;
        Ok(kl.neg()?)
    }

    fn log_prob_detached(&self, samples: &Tensor) -> mace_core::Result<Vec<f32>> {
        let enc = self.encode(samples)?;
        Ok(self.neg_kl(&enc)?.iter().map(|&v| v as f32).collect())
    }

    fn trainable_vars(&self) -> Vec<Var> {
        vec![self.mu.clone(), self.log_sigma.clone()]
    }

    fn frozen_copy(&self) -> mace_core::Result<Self> {
        Ok(Self {
            mu: Var::from_tensor(&self.mu.as_tensor().copy()?)?,
            log_sigma: Var::from_tensor(&self.log_sigma.as_tensor().copy()?)?,
            ..self.clone()
        })
    }

    fn optimizer(&self, lr: f64) -> mace_core::Result<Box<dyn mace_core::ModelOptimizer + '_>> {
        match self.update {
            LatentUpdate::Adam => Ok(Box::new(mace_core::AutogradAdam::new(self, lr)?)),
            LatentUpdate::Exact { step_fraction } => {
                Ok(Box::new(ExactLatentOptimizer::new(self, step_fraction)?))
            }
        }
    }
}

/// A [`mace_core::ModelOptimizer`] that moves θ of a [`TunableLatentPrior`] to (a fraction of
/// the way towards) the closed-form maximiser of Σ w_i (−KL_i); see the module docs.
#[derive(Debug)]
pub struct ExactLatentOptimizer<'a> {
    prior: &'a TunableLatentPrior,
    step_fraction: f64,
}

impl<'a> ExactLatentOptimizer<'a> {
    /// An optimiser moving `step_fraction` ∈ (0, 1] of the way per step.
    ///
    /// # Errors
    /// [`Error::Config`] for a fraction outside (0, 1].
    pub fn new(prior: &'a TunableLatentPrior, step_fraction: f64) -> Result<Self> {
        if !(step_fraction > 0.0 && step_fraction <= 1.0) {
            return Err(Error::Config {
                field: "step_fraction",
                value: step_fraction.to_string(),
                reason: "in (0, 1]",
            });
        }
        Ok(Self {
            prior,
            step_fraction,
        })
    }
}

impl mace_core::ModelOptimizer for ExactLatentOptimizer<'_> {
    fn step(
        &mut self,
        samples: &Tensor,
        weights: &[f32],
        iteration: usize,
    ) -> mace_core::Result<f64> {
        let prior = self.prior;
        let enc = prior.encode(samples)?;
        let mu = prior.mean()?;
        let ls = prior.log_sigma.as_tensor().to_vec1::<f32>()?;
        let neg_kl = neg_kl_values(&enc, &mu, &ls);
        let loss: f64 = -neg_kl
            .iter()
            .zip(weights)
            .map(|(l, &w)| l * w as f64)
            .sum::<f64>();
        if !loss.is_finite() {
            return Err(mace_core::Error::NonFiniteLoss { iteration, loss });
        }
        let Some((target_mu, target_sigma)) = weighted_moments(&enc, weights)? else {
            return Ok(loss);
        };
        let a = self.step_fraction as f32;
        let new_mu: Vec<f32> = mu
            .iter()
            .zip(&target_mu)
            .map(|(m, t)| m + a * (t - m))
            .collect();
        let new_sigma: Vec<f32> = ls
            .iter()
            .zip(&target_sigma)
            .map(|(l, s)| (l + a * (s.ln() - l)).exp())
            .collect();
        let bad_mu = new_mu.iter().any(|x| !x.is_finite());
        let bad_sigma = new_sigma.iter().any(|x| !(x.is_finite() && *x > 0.0));
        if bad_mu || bad_sigma {
            let variable = if bad_mu { 0 } else { 1 };
            return Err(mace_core::Error::NonFiniteGradient {
                iteration,
                variable,
            });
        }
        prior.set_latent(&new_mu, &new_sigma)?;
        Ok(loss)
    }
}

#[cfg(test)]
mod tests;
