//! [`Cvae`]: the conditional VAE baseline, an amortised posterior q(x | o).

use candle_core::Tensor;
use candle_nn::VarMap;
use rand::{rngs::StdRng, Rng};
use rand_distr::StandardNormal;

use super::basis::LatentBasis;
use super::config::PointVaeConfig;
use super::model::check_latents;
use super::nets::{check_finite, VaeCore};
use crate::{Error, Result};

/// A conditional VAE on point clouds: encoder q(z | x, c) (PointNet features concatenated with
/// the condition c before the μ / log σ² heads), decoder p(x | z, c) (c concatenated with z),
/// prior N(0, `prior_std`² I). For grasping, c is the observation: the 5 contact coordinates.
///
/// Same layout and conventions as [`super::PointVae`]; `config.cond_dim` must be positive.
///
/// ```
/// use mace_models::vae::{Cvae, PointVaeConfig};
/// use rand::{rngs::StdRng, SeedableRng};
/// let cvae = Cvae::new(PointVaeConfig::tiny(32).with_cond_dim(5), 0)?;
/// let clouds = cvae.sample(3, &[0.1, 0.2, 0.3, 0.4, 0.5], &mut StdRng::seed_from_u64(1))?;
/// assert_eq!(clouds.dims(), [3, 96]);
/// # Ok::<(), mace_models::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Cvae {
    pub(crate) core: VaeCore,
    /// Where [`Self::sample`] draws z from: N(0, s² I) in these axes (`None`: the training
    /// prior).
    basis: Option<std::sync::Arc<LatentBasis>>,
}

impl Cvae {
    /// Fresh weights drawn from `seed`.
    ///
    /// # Errors
    /// [`Error::Config`] for invalid sizes or `cond_dim == 0`.
    pub fn new(config: PointVaeConfig, seed: u64) -> Result<Self> {
        check_conditional(&config)?;
        Ok(Self {
            basis: None,
            core: VaeCore::new(config, seed)?,
        })
    }

    pub(crate) fn from_core(core: VaeCore) -> Result<Self> {
        check_conditional(&core.config)?;
        Ok(Self { core, basis: None })
    }

    /// The sizes.
    pub fn config(&self) -> &PointVaeConfig {
        &self.core.config
    }

    /// The variable store.
    pub fn varmap(&self) -> &VarMap {
        &self.core.varmap
    }

    /// Number of scalar parameters.
    pub fn parameter_count(&self) -> usize {
        self.core.parameter_count()
    }

    /// q(z | x, c) of clouds `(B, 3N)` with conditions `(B, cond_dim)`: (μ, log σ²).
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] / [`Error::NonFinite`] for bad inputs.
    pub fn encode(&self, clouds: &Tensor, cond: &Tensor) -> Result<(Tensor, Tensor)> {
        let flat = self.core.check_clouds(clouds, "Cvae::encode")?;
        self.core.check_cond(cond, flat.dim(0)?, "Cvae::encode")?;
        let nets = self.core.nets.detached();
        Ok(nets.encode_points(&nets.eval_points(&flat)?, Some(cond))?)
    }

    /// Decodes latents `(B, latent_dim)` with conditions `(B, cond_dim)` into clouds `(B, 3N)`.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] / [`Error::NonFinite`] for bad inputs.
    pub fn decode(&self, z: &Tensor, cond: &Tensor) -> Result<Tensor> {
        check_latents(z, self.core.config.latent_dim, "Cvae::decode")?;
        self.core.check_cond(cond, z.dim(0)?, "Cvae::decode")?;
        Ok(self.core.nets.detached().decode(z, Some(cond))?)
    }

    /// Reconstructions through the posterior means, `(B, 3N)`.
    ///
    /// # Errors
    /// As [`Self::encode`].
    pub fn reconstruct(&self, clouds: &Tensor, cond: &Tensor) -> Result<Tensor> {
        let (mu, _) = self.encode(clouds, cond)?;
        self.decode(&mu, cond)
    }

    /// Draws z from N(0, s² I) (s = `basis.axis_std`) in the axes of `basis` — the aggregate posterior q(z | x, c) of the
    /// training pairs it was fitted to (see [`LatentBasis`]) — instead of the training prior.
    ///
    /// # Errors
    /// As [`LatentBasis::validate`].
    pub fn with_basis(mut self, basis: LatentBasis) -> Result<Self> {
        basis.validate(self.core.config.latent_dim)?;
        self.basis = Some(std::sync::Arc::new(basis));
        Ok(self)
    }

    /// The axes samples are drawn in (`None`: the training prior).
    pub fn basis(&self) -> Option<&LatentBasis> {
        self.basis.as_deref()
    }

    /// `n` clouds `(n, 3N)` for one condition `cond` (`cond_dim` values), z ~ N(0, σ² I), or
    /// N(0, s² I) in the axes of the basis if one is set.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] for a condition of the wrong length, [`Error::NonFinite`].
    pub fn sample(&self, n: usize, cond: &[f32], rng: &mut StdRng) -> Result<Tensor> {
        let c = self.core.config.cond_dim;
        if cond.len() != c {
            return Err(Error::ShapeMismatch {
                op: "Cvae::sample",
                expected: format!("{c} condition values"),
                got: cond.len().to_string(),
            });
        }
        check_finite(cond, "condition")?;
        let d = self.core.config.latent_dim;
        let s = self.core.config.prior_std;
        let z = match &self.basis {
            None => (0..n * d)
                .map(|_| s * rng.sample::<f32, _>(StandardNormal))
                .collect(),
            Some(basis) => {
                let s = basis.axis_std;
                let mut u: Vec<f32> = (0..n * d)
                    .map(|_| s * rng.sample::<f32, _>(StandardNormal))
                    .collect();
                basis.latents_from_axes(&mut u);
                u
            }
        };
        let z = Tensor::from_vec(z, (n, d), &self.core.device)?;
        let cond = Tensor::from_slice(cond, (1, c), &self.core.device)?.broadcast_as((n, c))?;
        self.decode(&z, &cond.contiguous()?)
    }
}

fn check_conditional(config: &PointVaeConfig) -> Result<()> {
    if config.cond_dim == 0 {
        return Err(Error::Config {
            field: "cond_dim",
            value: "0".into(),
            reason: "positive for a Cvae (use PointVae without a condition)",
        });
    }
    Ok(())
}
