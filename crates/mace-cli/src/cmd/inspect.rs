//! `mace grasp inspect`: is a shape prior good enough to tune? Compares, on held-out shapes,
//! what the VAE reconstructs and what it samples with the data itself: reconstruction error,
//! the error of one fixed "mean shape" (a collapsed decoder reaches it for every input), and
//! the diversity (mean pairwise Chamfer) of data, reconstructions and prior samples.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::bail;
use candle_core::{Device, Tensor};
use clap::Args;
use mace_core::GenerativeModel;
use mace_shapes::{chamfer, clouds_from_tensor, pairwise_diversity, PointCloud, Split};
use rand::{rngs::StdRng, SeedableRng};
use serde::Serialize;

use super::shapes::{flatten, load_shape_prior, ShapeSource};
use crate::output::write_json;

/// Arguments of `mace grasp inspect`.
#[derive(Debug, Args)]
pub(crate) struct InspectArgs {
    /// Shape prior folder (default: the shipped one).
    #[arg(long, value_name = "DIR")]
    prior: Option<PathBuf>,
    #[command(flatten)]
    data: ShapeSource,
    /// Held-out (test-split) shapes compared, and prior samples drawn.
    #[arg(long, default_value_t = 49)]
    count: usize,
    /// Seed of the prior samples.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Also write the figures as JSON.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
}

/// What `mace grasp inspect` measures. Distances are Chamfer distances (sum of the two mean
/// squared nearest-neighbour distances, in squared data units).
#[derive(Debug, Serialize)]
struct PriorQuality {
    prior: String,
    data: String,
    shapes: usize,
    /// Mean pairwise distance between the held-out shapes.
    data_diversity: f32,
    /// Mean distance from each held-out shape to its reconstruction decode(μ(x)).
    reconstruction_error: f64,
    /// Mean pairwise distance between the reconstructions.
    reconstruction_diversity: f32,
    /// Mean distance from each held-out shape to decode(μ_z), one shape for all.
    mean_shape_error: f64,
    /// Mean pairwise distance between samples of the latent prior the tuner starts from.
    sample_diversity: f32,
    /// Mean distance from each sample to its nearest held-out shape (realism).
    sample_to_nearest_shape: f64,
    /// Whether the prior samples from a latent prior fitted to the training shapes.
    fitted_latent_prior: bool,
    seconds: f64,
}

pub(crate) fn inspect(args: InspectArgs) -> anyhow::Result<()> {
    if args.count < 2 {
        bail!("--count must be at least 2, got {}", args.count);
    }
    let start = Instant::now();
    let prior = load_shape_prior(args.prior.as_deref())?;
    let shapes: Vec<PointCloud> = args
        .data
        .load(Split::Test)?
        .into_iter()
        .take(args.count)
        .collect();
    let model = prior.model()?;
    let w = prior.vae.config().cloud_len();
    let x = Tensor::from_vec(flatten(&shapes), (shapes.len(), w), &Device::Cpu)?;
    let recon = clouds_from_tensor(&prior.vae.reconstruct(&x)?)?;
    let mut mean = model.mean()?;
    if let Some(basis) = model.basis() {
        basis.latents_from_axes(&mut mean);
    }
    let mean = Tensor::from_vec(mean, (1, prior.vae.config().latent_dim), &Device::Cpu)?;
    let mean_shape = clouds_from_tensor(&prior.vae.decode(&mean)?)?.remove(0);
    let mut rng = StdRng::seed_from_u64(args.seed);
    let samples = clouds_from_tensor(&model.sample(args.count, &mut rng)?)?;

    let mean_of = |v: Vec<f32>| v.iter().map(|&d| d as f64).sum::<f64>() / v.len() as f64;
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
        data: args.data.describe(),
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
    println!(
        "shape prior {} on {} held-out shapes of {}",
        q.prior, q.shapes, q.data
    );
    println!("  data diversity              {:.3e}", q.data_diversity);
    println!(
        "  reconstruction error        {:.3e}   (one mean shape for all: {:.3e})",
        q.reconstruction_error, q.mean_shape_error
    );
    println!(
        "  reconstruction diversity    {:.3e}   ({:.0}% of the data's)",
        q.reconstruction_diversity,
        100.0 * q.reconstruction_diversity / q.data_diversity
    );
    println!(
        "  prior sample diversity      {:.3e}   ({:.0}% of the data's; {} latent prior)",
        q.sample_diversity,
        100.0 * q.sample_diversity / q.data_diversity,
        if q.fitted_latent_prior {
            "fitted"
        } else {
            "training"
        }
    );
    println!(
        "  sample to nearest shape     {:.3e}",
        q.sample_to_nearest_shape
    );
    if let Some(file) = &args.json {
        write_json(file, &q)?;
    }
    Ok(())
}
