//! Is a shape prior good enough to tune? Compares, on held-out shapes, what the VAE
//! reconstructs and what it samples with the data itself: reconstruction error, the error of one
//! fixed "mean shape" (a collapsed decoder reaches it for every input), and the diversity (mean
//! pairwise Chamfer) of data, reconstructions and prior samples.

use std::time::Instant;

use candle_core::{Device, Tensor};
use mace_shapes::{chamfer, clouds_from_tensor, pairwise_diversity, PointCloud, Split};
use serde::{Deserialize, Serialize};

use super::latent::latent_at_prior;
use super::prior::{flatten, ShapePrior};
use super::source::ShapeSource;
use crate::error::{fail, Result};

/// What `mace grasp inspect` measures. Distances are Chamfer distances (sum of the two mean
/// squared nearest-neighbour distances, in squared data units).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PriorQuality {
    /// The prior's folder.
    pub prior: String,
    /// Where the shapes came from.
    pub data: String,
    /// Held-out shapes compared.
    pub shapes: usize,
    /// Mean pairwise distance between the held-out shapes.
    pub data_diversity: f32,
    /// Mean distance from each held-out shape to its reconstruction decode(μ(x)).
    pub reconstruction_error: f64,
    /// Mean pairwise distance between the reconstructions.
    pub reconstruction_diversity: f32,
    /// Mean distance from each held-out shape to decode(μ_z), one shape for all.
    pub mean_shape_error: f64,
    /// Mean pairwise distance between samples of the latent prior the tuner starts from.
    pub sample_diversity: f32,
    /// Mean distance from each sample to its nearest held-out shape (realism).
    pub sample_to_nearest_shape: f64,
    /// Whether the prior samples from a latent prior fitted to the training shapes.
    pub fitted_latent_prior: bool,
    /// Wall-clock time, seconds.
    pub seconds: f64,
}

/// Compares, on `count` held-out shapes of `data`, what the prior reconstructs and samples
/// (seeded) with the data itself.
///
/// # Errors
/// For fewer than 2 shapes, or from the models.
pub fn inspect_prior(
    prior: &ShapePrior,
    data: &ShapeSource,
    count: usize,
    seed: u64,
) -> Result<PriorQuality> {
    if count < 2 {
        fail!("--count must be at least 2, got {count}");
    }
    let start = Instant::now();
    let shapes: Vec<PointCloud> = data.load(Split::Test)?.into_iter().take(count).collect();
    let model = latent_at_prior(prior)?;
    let w = prior.vae.config().cloud_len();
    let x = Tensor::from_vec(flatten(&shapes), (shapes.len(), w), &Device::Cpu)?;
    let recon = clouds_from_tensor(&prior.vae.reconstruct(&x)?)?;
    let (mut mean, _) = model.moments()?;
    if let Some(basis) = prior.latent.as_ref().and_then(|l| l.basis.as_ref()) {
        basis.latents_from_axes(&mut mean);
    }
    let mean = Tensor::from_vec(mean, (1, prior.vae.config().latent_dim), &Device::Cpu)?;
    let mean_shape = clouds_from_tensor(&prior.vae.decode(&mean)?)?.remove(0);
    let samples = model.clouds(count, seed)?;

    let mean_of =
        |v: Vec<f32>| mace_core::stats::mean(v.into_iter().map(f64::from)).unwrap_or(f64::NAN);
    let mut recon_err = Vec::new();
    let mut mean_err = Vec::new();
    for (s, r) in shapes.iter().zip(&recon) {
        recon_err.push(chamfer(s.points(), r.points())?);
        mean_err.push(chamfer(s.points(), mean_shape.points())?);
    }
    let mut nearest = Vec::new();
    for s in &samples {
        let mut best = f32::INFINITY;
        for t in &shapes {
            best = best.min(chamfer(s.points(), t.points())?);
        }
        nearest.push(best);
    }
    let q = PriorQuality {
        prior: prior.dir.display().to_string(),
        data: data.describe(),
        shapes: shapes.len(),
        data_diversity: pairwise_diversity(&shapes)?,
        reconstruction_error: mean_of(recon_err),
        reconstruction_diversity: pairwise_diversity(&recon)?,
        mean_shape_error: mean_of(mean_err),
        sample_diversity: pairwise_diversity(&samples)?,
        sample_to_nearest_shape: mean_of(nearest),
        fitted_latent_prior: prior.latent.is_some(),
        seconds: start.elapsed().as_secs_f64(),
    };
    Ok(q)
}
