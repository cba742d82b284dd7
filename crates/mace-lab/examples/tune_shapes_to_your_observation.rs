//! Tune the shipped shape prior to an observation of your own: here, "an airplane whose
//! wingspan is at least 0.8" (in the clouds' unit-diagonal units). The evidence is any
//! function of a batch of clouds; MACE-VAE moves the latent prior until its samples fit.
//!
//! `cargo run --release -p mace-lab --example tune_shapes_to_your_observation`

use candle_core::Tensor;
use mace_core::{Evidence, NoObserver, TuneConfig};
use mace_lab::shapes::{load_shape_prior, sample_clouds, tune_latent, LatentObjective};

/// Wings lie along x: the span is the x extent of the cloud; 1 at ≥ 0.8, decaying below.
struct WideWings;

fn span(points: &[f32]) -> f32 {
    let xs = points.chunks_exact(3).map(|p| p[0]);
    let (lo, hi) = xs.fold((f32::MAX, f32::MIN), |(l, h), x| (l.min(x), h.max(x)));
    hi - lo
}

impl Evidence for WideWings {
    fn evaluate(&self, clouds: &Tensor) -> mace_core::Result<Vec<f32>> {
        Ok(clouds
            .to_vec2::<f32>()?
            .iter()
            .map(|c| (-(0.8 - span(c)).max(0.0) * 10.0).exp())
            .collect())
    }
}

fn main() -> Result<(), mace_lab::Error> {
    let prior = load_shape_prior(None)?; // assets/priors/airplanes
    let mean_span = |clouds: &[mace_shapes::PointCloud]| {
        clouds.iter().map(|c| span(c.as_flat())).sum::<f32>() / clouds.len() as f32
    };
    let before = mean_span(&sample_clouds(&prior.model()?, 32, 1)?);
    let config = TuneConfig {
        iterations: 60,
        ..TuneConfig::grasp()
    };
    let (posterior, report) = tune_latent(
        &prior,
        &WideWings,
        LatentObjective::Exact,
        0.5,
        &config,
        &mut NoObserver,
    )?;
    let after = mean_span(&posterior.clouds(32, 1)?);
    println!(
        "mean wingspan {before:.3} → {after:.3} after {} iterations ({:.2} s)",
        report.iterations.len(),
        report.timings.total_s
    );
    assert!(after > before + 0.05 && after > 0.75, "{before} → {after}");
    Ok(())
}
