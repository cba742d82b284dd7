//! Maximum-likelihood training of an [`ArGmm`] on (x, context) pairs, seeded, with a held-out split.

use std::time::Instant;

use rand::{rngs::StdRng, seq::SliceRandom, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::fast_train::{FastTrainer, TrainRows};
use crate::{ArGmm, Error, Result};

/// Knobs of a training run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Passes over the training split.
    pub epochs: usize,
    /// Mini-batch size.
    pub batch_size: usize,
    /// Initial Adam learning rate; decays by a cosine to `lr * final_lr_fraction`.
    pub lr: f64,
    /// Learning rate at the end, as a fraction of `lr`.
    pub final_lr_fraction: f64,
    /// Fraction of the data held out to measure generalisation (and pick the best epoch).
    pub heldout_fraction: f64,
    /// Seed of the split and the shuffles.
    pub seed: u64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            epochs: 10,
            batch_size: 1024,
            lr: 1e-3,
            final_lr_fraction: 0.05,
            heldout_fraction: 0.02,
            seed: 0,
        }
    }
}

impl TrainConfig {
    /// Checks that every number means something: at least one epoch and one sample per batch,
    /// a positive finite learning rate, a final fraction in [0, 1] and a held-out fraction in
    /// (0, 1).
    ///
    /// # Errors
    /// [`Error::Config`] naming the first bad field.
    pub fn validate(&self) -> Result<()> {
        let bad = |field, value: String, reason| {
            Err(Error::Config {
                field,
                value,
                reason,
            })
        };
        crate::train::validate_schedule(
            self.epochs,
            self.batch_size,
            self.lr,
            self.final_lr_fraction,
        )?;
        if !(self.heldout_fraction > 0.0 && self.heldout_fraction < 1.0) {
            return bad(
                "heldout_fraction",
                self.heldout_fraction.to_string(),
                "strictly between 0 and 1",
            );
        }
        Ok(())
    }
}

/// Statistics of one epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochStats {
    /// 0-based epoch.
    pub epoch: usize,
    /// Mean negative log-likelihood over the epoch's training batches, nats per sample.
    pub train_nll: f64,
    /// Mean negative log-likelihood on the held-out split, nats per sample.
    pub heldout_nll: f64,
    /// Seconds since training started.
    pub elapsed_s: f64,
}

/// How a checkpoint was trained; stored in its `config.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingRecord {
    /// The data file, as given.
    pub data_file: String,
    /// Samples in the training split.
    pub train_samples: usize,
    /// Samples in the held-out split.
    pub heldout_samples: usize,
    /// The training configuration.
    pub config: TrainConfig,
    /// Epoch whose weights were kept (lowest held-out NLL).
    pub best_epoch: usize,
    /// Its held-out NLL.
    pub best_heldout_nll: f64,
    /// Wall time of the run, seconds.
    pub wall_time_s: f64,
    /// Every epoch.
    pub history: Vec<EpochStats>,
}

/// Trains `model` in place on rows of `x` `(N, D)` (row-major) with raw contexts `(N, C)`,
/// using the hand-written trainer of [`crate::fast_train`].
///
/// After each epoch `on_epoch(stats, improved)` is called (`improved` when the held-out NLL is
/// the best so far: the moment to write a checkpoint; the model's variables already hold that
/// epoch's weights then). At the end the model holds the weights of the best epoch.
///
/// # Errors
/// [`Error::ShapeMismatch`] if `x` and `context` disagree; [`Error::Diverged`] on a non-finite
/// loss (the model then holds the best weights so far); errors of `on_epoch`.
pub fn train_ar_gmm(
    model: &ArGmm,
    x: &[f32],
    context: &[f32],
    config: &TrainConfig,
    data_file: &str,
    on_epoch: &mut dyn FnMut(&EpochStats, bool) -> Result<()>,
) -> Result<TrainingRecord> {
    config.validate()?;
    let start = Instant::now();
    let rows = TrainRows::new(model, x, context)?;
    let n = rows.len();
    let mut rng = StdRng::seed_from_u64(config.seed);
    let mut order: Vec<u32> = (0..n as u32).collect();
    order.shuffle(&mut rng);
    let heldout = ((n as f64 * config.heldout_fraction).round() as usize)
        .clamp(1, n.saturating_sub(1).max(1));
    let (heldout_idx, train_idx) = order.split_at(heldout);
    let heldout_rows = rows.subset(heldout_idx);
    let mut train_idx = train_idx.to_vec();

    let mut trainer = FastTrainer::new(model)?;
    let batch = config.batch_size.clamp(1, train_idx.len().max(1));
    let steps_per_epoch = train_idx.len().div_ceil(batch);
    let total_steps = (steps_per_epoch * config.epochs).max(1);
    let mut best: Option<(usize, f64, Vec<Vec<f32>>)> = None;
    let mut history = Vec::with_capacity(config.epochs);

    for epoch in 0..config.epochs {
        train_idx.shuffle(&mut rng);
        let mut sum = 0.0;
        for (b, chunk) in train_idx.chunks(batch).enumerate() {
            let step = epoch * steps_per_epoch + b;
            let progress = step as f64 / total_steps as f64;
            let floor = config.final_lr_fraction;
            let lr = config.lr
                * (floor + (1.0 - floor) * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos()));
            let value = trainer.step(&rows, chunk, lr as f32);
            if !value.is_finite() {
                if let Some((_, _, weights)) = &best {
                    trainer.restore(weights);
                    trainer.write_back()?;
                }
                return Err(Error::Diverged {
                    epoch,
                    batch: b,
                    loss: value,
                });
            }
            sum += value * chunk.len() as f64;
        }
        let heldout_nll = trainer.evaluate(&heldout_rows);
        let stats = EpochStats {
            epoch,
            train_nll: sum / train_idx.len() as f64,
            heldout_nll,
            elapsed_s: start.elapsed().as_secs_f64(),
        };
        let improved =
            heldout_nll.is_finite() && best.as_ref().is_none_or(|(_, b, _)| heldout_nll < *b);
        if improved {
            best = Some((epoch, heldout_nll, trainer.snapshot()));
            trainer.write_back()?;
        }
        on_epoch(&stats, improved)?;
        history.push(stats);
    }
    let (best_epoch, best_heldout_nll) = match &best {
        Some((e, nll, weights)) => {
            trainer.restore(weights);
            trainer.write_back()?;
            (*e, *nll)
        }
        None => (0, f64::NAN),
    };
    Ok(TrainingRecord {
        data_file: data_file.to_string(),
        train_samples: train_idx.len(),
        heldout_samples: heldout,
        config: config.clone(),
        best_epoch,
        best_heldout_nll,
        wall_time_s: start.elapsed().as_secs_f64(),
        history,
    })
}

/// Checks the settings every training schedule shares: at least one epoch and one item per
/// batch, a learning rate in (0, 10], a final learning-rate fraction in [0, 1].
///
/// # Errors
/// [`Error::Config`] naming the first bad field.
pub(crate) fn validate_schedule(
    epochs: usize,
    batch_size: usize,
    lr: f64,
    final_lr_fraction: f64,
) -> Result<()> {
    let bad = |field, value: String, reason| {
        Err(Error::Config {
            field,
            value,
            reason,
        })
    };
    if epochs == 0 {
        return bad("epochs", "0".into(), "at least 1");
    }
    if batch_size == 0 {
        return bad("batch_size", "0".into(), "at least 1");
    }
    if !(lr.is_finite() && lr > 0.0 && lr <= 10.0) {
        return bad("lr", lr.to_string(), "positive, at most 10");
    }
    if !(0.0..=1.0).contains(&final_lr_fraction) {
        return bad(
            "final_lr_fraction",
            final_lr_fraction.to_string(),
            "within [0, 1]",
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ArGmmConfig;
    use rand::Rng;

    /// Data from a known conditional: x0 ~ N(c, 0.1²), x1 ~ N(−x0, 0.05²). Training must bring the
    /// held-out NLL close to the true conditional entropy.
    #[test]
    fn learns_a_known_conditional() {
        let mut rng = StdRng::seed_from_u64(5);
        let n = 20_000;
        let mut xs = Vec::with_capacity(2 * n);
        let mut cs = Vec::with_capacity(n);
        for _ in 0..n {
            let c: f32 = rng.random_range(-0.5..0.5);
            let x0 = c + 0.1 * rng.sample::<f32, _>(rand_distr::StandardNormal);
            let x1 = -x0 + 0.05 * rng.sample::<f32, _>(rand_distr::StandardNormal);
            xs.extend([x0, x1]);
            cs.push(c);
        }
        let cfg = ArGmmConfig {
            names: vec!["x0".into(), "x1".into()],
            lower: vec![-1.5, -1.5],
            upper: vec![1.5, 1.5],
            context_dim: 1,
            context_mean: vec![0.0],
            context_std: vec![0.29],
            hidden: vec![32, 32],
            components: 2,
            min_std: 0.001,
            range_slack: 1.1,
            chain: None,
            made_for: None,
        };
        let model = ArGmm::new(cfg, 0).unwrap();
        let tc = TrainConfig {
            epochs: 12,
            batch_size: 256,
            lr: 3e-3,
            ..TrainConfig::default()
        };
        let mut epochs = 0;
        let record = train_ar_gmm(&model, &xs, &cs, &tc, "synthetic", &mut |_, _| {
            epochs += 1;
            Ok(())
        })
        .unwrap();
        // True conditional entropy: H(N(0, 0.1²)) + H(N(0, 0.05²)).
        let h = |s: f64| 0.5 * (2.0 * std::f64::consts::PI * std::f64::consts::E * s * s).ln();
        let truth = h(0.1) + h(0.05);
        assert_eq!(epochs, 12);
        assert!(
            record.best_heldout_nll < truth + 0.1,
            "held-out NLL {} vs entropy {truth}",
            record.best_heldout_nll
        );
    }
}
