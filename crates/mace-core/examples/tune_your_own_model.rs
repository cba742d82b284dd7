//! Tune your own model on your own score: a 2-D Gaussian with a learnable mean and log-std
//! (`GenerativeModel`: sample, differentiable log-likelihood, trainable variables, frozen copy),
//! and a score that rewards points near (2, −1). MACE moves the Gaussian there.
//!
//! `cargo run --release -p mace-core --example tune_your_own_model`

use candle_core::{Device, Tensor, Var};
use mace_core::{Evidence, GenerativeModel, NoObserver, Objective, Result, TuneConfig, Tuner};
use rand::rngs::StdRng;
use rand_distr::{Distribution, StandardNormal};

/// N(mean, diag exp(log_std)²) in 2-D.
struct Gaussian {
    mean: Var,
    log_std: Var,
}

impl Gaussian {
    fn standard() -> Result<Self> {
        Ok(Gaussian {
            mean: Var::zeros(2, candle_core::DType::F32, &Device::Cpu)?,
            log_std: Var::zeros(2, candle_core::DType::F32, &Device::Cpu)?,
        })
    }
}

impl GenerativeModel for Gaussian {
    fn sample(&self, n: usize, rng: &mut StdRng) -> Result<Tensor> {
        let noise: Vec<f32> = (0..2 * n).map(|_| StandardNormal.sample(rng)).collect();
        let noise = Tensor::from_vec(noise, (n, 2), &Device::Cpu)?;
        let std = self.log_std.as_tensor().exp()?;
        Ok(noise
            .broadcast_mul(&std)?
            .broadcast_add(self.mean.as_tensor())?
            .detach())
    }

    fn log_prob(&self, x: &Tensor) -> Result<Tensor> {
        let z = x
            .broadcast_sub(self.mean.as_tensor())?
            .broadcast_div(&self.log_std.as_tensor().exp()?)?;
        let per_dim = (z.sqr()? * -0.5)?.broadcast_sub(self.log_std.as_tensor())?;
        Ok((per_dim.sum(1)? - (2.0 * std::f64::consts::PI).ln())?)
    }

    fn trainable_vars(&self) -> Vec<Var> {
        vec![self.mean.clone(), self.log_std.clone()]
    }

    fn frozen_copy(&self) -> Result<Self> {
        Ok(Gaussian {
            mean: Var::from_tensor(&self.mean.as_tensor().copy()?)?,
            log_std: Var::from_tensor(&self.log_std.as_tensor().copy()?)?,
        })
    }
}

/// Scores a point by its distance to (2, −1): exp(−d²).
struct NearPoint;

impl Evidence for NearPoint {
    fn evaluate(&self, samples: &Tensor) -> Result<Vec<f32>> {
        Ok(samples
            .to_vec2::<f32>()?
            .iter()
            .map(|p| (-((p[0] - 2.0).powi(2) + (p[1] + 1.0).powi(2))).exp())
            .collect())
    }
}

fn main() -> Result<()> {
    let model = Gaussian::standard()?;
    let config = TuneConfig {
        iterations: 300,
        sample_size: 512,
        bsz: 512,
        quantile: 0.1,
        lr: 0.05,
        grad_steps: 1,
        ..TuneConfig::toy()
    };
    let report = Tuner::new(config, Objective::Mace)?.run(&model, &NearPoint, &mut NoObserver)?;
    let mean = model.mean.as_tensor().to_vec1::<f32>()?;
    println!(
        "after {} iterations: mean ({:.2}, {:.2}), last mean score {:.3}",
        report.iterations.len(),
        mean[0],
        mean[1],
        report.last().map_or(0.0, |s| s.score_mean)
    );
    assert!(
        (mean[0] - 2.0).abs() < 0.2 && (mean[1] + 1.0).abs() < 0.2,
        "{mean:?}"
    );
    Ok(())
}
