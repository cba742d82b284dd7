//! [`PointVae`]: the unconditional point-cloud VAE (the grasp domain's prior).

use candle_core::{Tensor, D};
use candle_nn::VarMap;
use rand::{rngs::StdRng, Rng};
use rand_distr::StandardNormal;

use super::config::PointVaeConfig;
use super::nets::VaeCore;
use crate::{Error, Result};

/// A VAE on point clouds: PointNet encoder q(z | x) = N(μ(x), diag σ²(x)), MLP decoder
/// x = f(z), latent prior N(0, `prior_std`² I). Cloning shares the weights.
///
/// Clouds travel as f32 tensors `(B, 3N)` (row `[x0, y0, z0, x1, …]`); `(B, N, 3)` is accepted
/// on input too. Inference methods ([`Self::encode`], [`Self::decode`], [`Self::sample`]) run
/// on detached weights and build no autograd graph.
///
/// ```
/// use mace_models::vae::{PointVae, PointVaeConfig};
/// use rand::{rngs::StdRng, SeedableRng};
/// let vae = PointVae::new(PointVaeConfig::tiny(32), 0)?;
/// let clouds = vae.sample(4, &mut StdRng::seed_from_u64(1))?;
/// assert_eq!(clouds.dims(), [4, 96]);
/// let (mu, logvar) = vae.encode(&clouds)?;
/// assert_eq!(mu.dims(), [4, 8]);
/// # let _ = logvar;
/// # Ok::<(), mace_models::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct PointVae {
    pub(crate) core: VaeCore,
}

impl PointVae {
    /// Fresh weights drawn from `seed` (uniform ±1/√fan_in, PyTorch's `nn.Linear` default).
    ///
    /// # Errors
    /// [`Error::Config`] for invalid sizes or a nonzero `cond_dim` (use [`super::Cvae`]).
    pub fn new(config: PointVaeConfig, seed: u64) -> Result<Self> {
        check_unconditional(&config)?;
        Ok(Self {
            core: VaeCore::new(config, seed)?,
        })
    }

    pub(crate) fn from_core(core: VaeCore) -> Result<Self> {
        check_unconditional(&core.config)?;
        Ok(Self { core })
    }

    /// The sizes.
    pub fn config(&self) -> &PointVaeConfig {
        &self.core.config
    }

    /// The variable store (names `encoder.point.l0.weight`, …, `decoder.l3.bias`).
    pub fn varmap(&self) -> &VarMap {
        &self.core.varmap
    }

    /// Number of scalar parameters.
    pub fn parameter_count(&self) -> usize {
        self.core.parameter_count()
    }

    /// Independent weights with the same values.
    ///
    /// # Errors
    /// Tensor copy errors.
    pub fn deep_copy(&self) -> Result<Self> {
        Ok(Self {
            core: self.core.deep_copy()?,
        })
    }

    /// q(z | x) of clouds `(B, 3N)`: (μ, log σ²), each `(B, latent_dim)`. The encoder reads the
    /// fixed subset of `encoder_points` points.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] for clouds of another width, [`Error::NonFinite`] for NaN/∞.
    pub fn encode(&self, clouds: &Tensor) -> Result<(Tensor, Tensor)> {
        let flat = self.core.check_clouds(clouds, "PointVae::encode")?;
        let nets = self.core.nets.detached();
        Ok(nets.encode_points(&nets.eval_points(&flat)?, None)?)
    }

    /// Decodes latents `(B, latent_dim)` into clouds `(B, 3N)`.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] for latents of another width.
    pub fn decode(&self, z: &Tensor) -> Result<Tensor> {
        check_latents(z, self.core.config.latent_dim, "PointVae::decode")?;
        Ok(self.core.nets.detached().decode(z, None)?)
    }

    /// Reconstructions through the posterior means: decode(μ(x)), `(B, 3N)`.
    ///
    /// # Errors
    /// As [`Self::encode`].
    pub fn reconstruct(&self, clouds: &Tensor) -> Result<Tensor> {
        let (mu, _) = self.encode(clouds)?;
        self.decode(&mu)
    }

    /// `n` clouds `(n, 3N)` from the latent prior z ~ N(0, `prior_std`² I), noise from `rng`.
    ///
    /// # Errors
    /// Tensor errors.
    pub fn sample(&self, n: usize, rng: &mut StdRng) -> Result<Tensor> {
        let d = self.core.config.latent_dim;
        let s = self.core.config.prior_std;
        let z: Vec<f32> = (0..n * d)
            .map(|_| s * rng.sample::<f32, _>(StandardNormal))
            .collect();
        self.decode(&Tensor::from_vec(z, (n, d), &self.core.device)?)
    }
}

fn check_unconditional(config: &PointVaeConfig) -> Result<()> {
    if config.cond_dim != 0 {
        return Err(Error::Config {
            field: "cond_dim",
            value: config.cond_dim.to_string(),
            reason: "0 for an unconditional PointVae (use Cvae)",
        });
    }
    Ok(())
}

pub(crate) fn check_latents(z: &Tensor, d: usize, op: &'static str) -> Result<()> {
    match z.dims() {
        [_, w] if *w == d && z.dtype() == candle_core::DType::F32 => Ok(()),
        _ => Err(Error::ShapeMismatch {
            op,
            expected: format!("f32 latents (B, {d})"),
            got: format!("{:?} {:?}", z.dtype(), z.dims()),
        }),
    }
}

/// KL(N(μ, diag e^{logvar}) ‖ N(0, σ² I)) per row, `(B,)`, summed over the latent dimensions:
/// Σ_d [log σ − ½ logvar_d + (e^{logvar_d} + μ_d²) / (2σ²) − ½].
///
/// # Errors
/// Candle errors.
pub fn kl_to_isotropic(mu: &Tensor, logvar: &Tensor, prior_std: f32) -> Result<Tensor> {
    let s2 = (prior_std as f64).powi(2);
    let d = mu.dim(D::Minus1)? as f64;
    let quad = (logvar.exp()? + mu.sqr()?)?.affine(0.5 / s2, 0.0)?;
    let per = (quad - logvar.affine(0.5, 0.0)?)?;
    Ok(per
        .sum(D::Minus1)?
        .affine(1.0, d * ((prior_std as f64).ln() - 0.5))?)
}
