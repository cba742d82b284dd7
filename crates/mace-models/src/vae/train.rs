//! Training of [`super::PointVae`] and [`super::Cvae`]: Chamfer reconstruction + β·KL, Adam,
//! seeded shuffles, held-out Chamfer each epoch, the best epoch restored at the end.

use std::time::Instant;

use rand::{rngs::StdRng, seq::index::sample, seq::SliceRandom, Rng, SeedableRng};
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

use super::chamfer::chamfer_batch;
use super::cvae::Cvae;
use super::fast::{Acts, FastVae, StepBatch};
use super::model::PointVae;
use super::nets::{check_finite, VaeCore};
use crate::{Error, Result};

/// Knobs of a VAE training run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct VaeTrainConfig {
    /// Passes over the training set.
    pub epochs: usize,
    /// Shapes per mini-batch (paper: 64).
    pub batch_size: usize,
    /// Adam learning rate (paper: 5e-4); decays by a cosine to `lr · final_lr_fraction`.
    pub lr: f64,
    /// Learning rate at the end, as a fraction of `lr` (1 = constant, as in the paper).
    pub final_lr_fraction: f64,
    /// Weight β of KL(q(z | x) ‖ N(0, σ²I)) (nats, summed over the latent dimensions) against
    /// the Chamfer distance (squared units, mean over points, both directions).
    /// See [`VaeTrainConfig::DEFAULT_BETA`].
    pub beta: f64,
    /// Epochs over which β ramps up linearly from 0 (per step). Without it the KL pulls every
    /// posterior onto the prior before the decoder has learnt to use z (posterior collapse).
    pub kl_warmup_epochs: f64,
    /// Seed of the shuffles, the encoder's point subsets and the reparameterisation noise.
    pub seed: u64,
}

impl VaeTrainConfig {
    /// Default β = 1e-7 (with [`Self::default`]'s 10-epoch warm-up).
    ///
    /// Scale: a latent code is worth keeping only while β · KL stays below the Chamfer it saves.
    /// On 2048-point airplanes normalised to a unit bounding-box diagonal, reconstructions
    /// through z save ~1.5e-3 of Chamfer over the mean shape, while an informative 128-d
    /// posterior costs 100–250 nats. Measured on the procedural airplanes (`cpu()` sizes,
    /// `mace grasp inspect` on 49 test shapes, Nov 2026): β = 1e-5 collapses (KL 0.1);
    /// β = 1e-6 (12 epochs, lr 5e-4) keeps one informative direction (held-out Chamfer 3.9e-4,
    /// reconstructions 21% as diverse as the data); β = 1e-7 (40 epochs, lr 1e-3) keeps many
    /// (held-out 2.3e-4, reconstructions 37% as diverse, samples of the fitted latent prior
    /// 33%, still improving). Smaller β only matters for sampling through a latent prior
    /// fitted to the codes ([`super::LatentBasis`]), which is what the CLI ships.
    pub const DEFAULT_BETA: f64 = 1e-7;

    /// Checks every setting: at least one epoch and one shape per batch, a positive finite
    /// learning rate (at most 10), a final fraction in [0, 1], β and the warm-up finite and ≥ 0.
    ///
    /// # Errors
    /// [`crate::Error::Config`] naming the first bad field.
    pub fn validate(&self) -> crate::Result<()> {
        let bad = |field, value: String, reason| {
            Err(crate::Error::Config {
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
        if !(self.beta.is_finite() && self.beta >= 0.0) {
            return bad("beta", self.beta.to_string(), "finite and ≥ 0");
        }
        if !(self.kl_warmup_epochs.is_finite() && self.kl_warmup_epochs >= 0.0) {
            return bad(
                "kl_warmup_epochs",
                self.kl_warmup_epochs.to_string(),
                "finite and ≥ 0",
            );
        }
        Ok(())
    }
}

impl Default for VaeTrainConfig {
    fn default() -> Self {
        Self {
            epochs: 100,
            batch_size: 64,
            lr: 5e-4,
            final_lr_fraction: 1.0,
            beta: Self::DEFAULT_BETA,
            kl_warmup_epochs: 10.0,
            seed: 0,
        }
    }
}

/// Statistics of one epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VaeEpochStats {
    /// 0-based epoch.
    pub epoch: usize,
    /// Mean Chamfer distance of the training reconstructions (through sampled z).
    pub train_chamfer: f64,
    /// Mean KL to the latent prior over the training shapes, nats.
    pub train_kl: f64,
    /// Mean Chamfer distance of the held-out reconstructions through μ(x).
    pub heldout_chamfer: f64,
    /// Seconds since training started.
    pub elapsed_s: f64,
}

/// How a VAE checkpoint was trained; stored in its `config.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VaeTrainingRecord {
    /// Where the data came from, as given by the caller (may be empty).
    #[serde(default)]
    pub data: String,
    /// Shapes in the training set.
    pub train_shapes: usize,
    /// Shapes in the held-out set.
    pub heldout_shapes: usize,
    /// The training configuration.
    pub config: VaeTrainConfig,
    /// Epoch whose weights were kept (lowest held-out Chamfer).
    pub best_epoch: usize,
    /// Its held-out Chamfer distance.
    pub best_heldout_chamfer: f64,
    /// Wall time of the run, seconds.
    pub wall_time_s: f64,
    /// Every epoch.
    pub history: Vec<VaeEpochStats>,
}

/// Shapes (and conditions) as flat rows.
struct Rows<'a> {
    clouds: &'a [f32],
    cond: Option<&'a [f32]>,
    n: usize,
}

/// Trains `model` in place on `train` `(S, 3N)` (flat, row-major) and measures the Chamfer
/// distance of `held_out` `(H, 3N)` reconstructions through μ after every epoch.
///
/// After each epoch `on_epoch(stats, improved)` is called (`improved`: best held-out Chamfer so
/// far; the model holds that epoch's weights then: the moment to write a checkpoint). At the end
/// the model holds the weights of the best epoch.
///
/// # Errors
/// [`Error::ShapeMismatch`] for data that does not split into clouds, [`Error::NonFinite`] for
/// NaN/∞ in the data, [`Error::Config`] for an empty set or a zero batch, [`Error::Diverged`] on
/// a non-finite loss (the model then holds the best weights so far); errors of `on_epoch`.
pub fn train_point_vae(
    model: &PointVae,
    train: &[f32],
    held_out: &[f32],
    config: &VaeTrainConfig,
    on_epoch: &mut dyn FnMut(&VaeEpochStats, bool) -> Result<()>,
) -> Result<VaeTrainingRecord> {
    let w = model.config().cloud_len();
    let tr = rows(train, None, w, 0, "training clouds")?;
    let ho = rows(held_out, None, w, 0, "held-out clouds")?;
    train_core(&model.core, &tr, &ho, config, on_epoch)
}

/// Trains a [`Cvae`] on (cloud, condition) pairs: `train` `(S, 3N)` with `train_cond`
/// `(S, cond_dim)`, and likewise for the held-out set. Otherwise as [`train_point_vae`].
///
/// # Errors
/// As [`train_point_vae`], and [`Error::ShapeMismatch`] if conditions and clouds disagree.
pub fn train_cvae(
    model: &Cvae,
    train: &[f32],
    train_cond: &[f32],
    held_out: &[f32],
    held_out_cond: &[f32],
    config: &VaeTrainConfig,
    on_epoch: &mut dyn FnMut(&VaeEpochStats, bool) -> Result<()>,
) -> Result<VaeTrainingRecord> {
    let w = model.config().cloud_len();
    let c = model.config().cond_dim;
    let tr = rows(train, Some(train_cond), w, c, "training clouds")?;
    let ho = rows(held_out, Some(held_out_cond), w, c, "held-out clouds")?;
    train_core(&model.core, &tr, &ho, config, on_epoch)
}

fn rows<'a>(
    clouds: &'a [f32],
    cond: Option<&'a [f32]>,
    w: usize,
    c: usize,
    what: &'static str,
) -> Result<Rows<'a>> {
    let n = clouds.len() / w;
    if clouds.len() != n * w || cond.is_some_and(|cv| cv.len() != n * c) {
        return Err(Error::ShapeMismatch {
            op: "vae training data",
            expected: format!("{what} (S, {w}) and conditions (S, {c})"),
            got: format!(
                "{} cloud values, {} condition values",
                clouds.len(),
                cond.map_or(0, <[f32]>::len)
            ),
        });
    }
    if n == 0 {
        return Err(Error::Config {
            field: what,
            value: "0 shapes".into(),
            reason: "at least one shape",
        });
    }
    check_finite(clouds, what)?;
    if let Some(cv) = cond {
        check_finite(cv, "conditions")?;
    }
    Ok(Rows { clouds, cond, n })
}

/// The mini-batch of shapes `idx`: encoder input (a fresh random subset of `encoder_points`
/// points per shape if `random_subset`, else the fixed subset), conditions, noise and targets.
fn make_batch(
    core: &VaeCore,
    data: &Rows,
    idx: &[u32],
    rng: &mut StdRng,
    random_subset: bool,
) -> StepBatch {
    let cfg = &core.config;
    let (n, k, w, d) = (
        cfg.n_points,
        cfg.encoder_points(),
        cfg.cloud_len(),
        cfg.latent_dim,
    );
    let b = idx.len();
    let mut target = Vec::with_capacity(b * w);
    let mut points = Vec::with_capacity(b * k * 3);
    for &i in idx {
        let cloud = &data.clouds[i as usize * w..(i as usize + 1) * w];
        target.extend_from_slice(cloud);
        if k == n {
            points.extend_from_slice(cloud);
        } else if random_subset {
            for j in sample(rng, n, k) {
                points.extend_from_slice(&cloud[3 * j..3 * j + 3]);
            }
        } else {
            for &j in core.nets.eval_subset() {
                let j = j as usize;
                points.extend_from_slice(&cloud[3 * j..3 * j + 3]);
            }
        }
    }
    let cond = data.cond.map(|cv| {
        let c = cfg.cond_dim;
        idx.iter()
            .flat_map(|&i| cv[i as usize * c..(i as usize + 1) * c].iter().copied())
            .collect()
    });
    let eps = if random_subset {
        (0..b * d).map(|_| rng.sample(StandardNormal)).collect()
    } else {
        vec![0.0; b * d]
    };
    StepBatch {
        points,
        cond,
        eps,
        target,
        size: b,
    }
}

/// Mean Chamfer distance of reconstructions through μ of every shape of `data`.
fn heldout_chamfer(core: &VaeCore, fast: &FastVae, acts: &mut Acts, data: &Rows) -> Result<f64> {
    let n = core.config.n_points;
    let mut total = 0.0;
    let mut rng = StdRng::seed_from_u64(0); // unused: fixed subsets, no noise
    let all: Vec<u32> = (0..data.n as u32).collect();
    for chunk in all.chunks(64) {
        let batch = make_batch(core, data, chunk, &mut rng, false);
        fast.forward(&batch.points, batch.size, batch.cond.as_deref(), None, acts);
        total += chamfer_batch(acts.pred(), &batch.target, n, n)?
            .iter()
            .map(|&c| c as f64)
            .sum::<f64>();
    }
    Ok(total / data.n as f64)
}

fn train_core(
    core: &VaeCore,
    train: &Rows,
    held_out: &Rows,
    config: &VaeTrainConfig,
    on_epoch: &mut dyn FnMut(&VaeEpochStats, bool) -> Result<()>,
) -> Result<VaeTrainingRecord> {
    config.validate()?;
    let start = Instant::now();
    let mut rng = StdRng::seed_from_u64(config.seed);
    let mut fast = FastVae::new(core)?;
    let mut acts = Acts::default();
    let mut order: Vec<u32> = (0..train.n as u32).collect();
    let batch = config.batch_size.min(train.n);
    let steps_per_epoch = train.n.div_ceil(batch);
    let total_steps = (steps_per_epoch * config.epochs).max(1);
    let mut best: Option<(usize, f64, Vec<super::dense::Dense>)> = None;
    let mut history = Vec::with_capacity(config.epochs);

    for epoch in 0..config.epochs {
        order.shuffle(&mut rng);
        let (mut chamfer, mut kl) = (0.0, 0.0);
        for (b, chunk) in order.chunks(batch).enumerate() {
            let progress = (epoch * steps_per_epoch + b) as f64 / total_steps as f64;
            let floor = config.final_lr_fraction;
            let lr = config.lr
                * (floor + (1.0 - floor) * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos()));
            let warm = if config.kl_warmup_epochs > 0.0 {
                ((epoch as f64 + b as f64 / steps_per_epoch as f64) / config.kl_warmup_epochs)
                    .min(1.0)
            } else {
                1.0
            };
            let data = make_batch(core, train, chunk, &mut rng, true);
            match fast.train_step(&mut acts, &data, config.beta * warm, lr)? {
                Some((c, k)) => {
                    chamfer += c;
                    kl += k;
                }
                None => {
                    if let Some((_, _, weights)) = &best {
                        fast.restore(weights);
                        fast.write_back(core)?;
                    }
                    return Err(Error::Diverged {
                        epoch,
                        batch: b,
                        loss: f64::NAN,
                    });
                }
            }
        }
        let heldout = heldout_chamfer(core, &fast, &mut acts, held_out)?;
        let stats = VaeEpochStats {
            epoch,
            train_chamfer: chamfer / train.n as f64,
            train_kl: kl / train.n as f64,
            heldout_chamfer: heldout,
            elapsed_s: start.elapsed().as_secs_f64(),
        };
        let improved = heldout.is_finite() && best.as_ref().is_none_or(|(_, b, _)| heldout < *b);
        if improved {
            best = Some((epoch, heldout, fast.snapshot()));
            fast.write_back(core)?;
        }
        on_epoch(&stats, improved)?;
        history.push(stats);
    }
    let (best_epoch, best_heldout_chamfer) = match &best {
        Some((e, c, weights)) => {
            fast.restore(weights);
            fast.write_back(core)?;
            (*e, *c)
        }
        None => (0, f64::NAN),
    };
    Ok(VaeTrainingRecord {
        data: String::new(),
        train_shapes: train.n,
        heldout_shapes: held_out.n,
        config: config.clone(),
        best_epoch,
        best_heldout_chamfer,
        wall_time_s: start.elapsed().as_secs_f64(),
        history,
    })
}

/// Times `steps` training steps (forward, Chamfer, backward, Adam) of `model` at batch `batch`
/// on random clouds in the unit cube, returning the mean seconds per step (after one warm-up
/// step). The model's variables are left untouched. For benchmarks and sizing.
///
/// # Errors
/// Tensor errors.
pub fn time_train_step(model: &PointVae, batch: usize, steps: usize) -> Result<f64> {
    let core = &model.core;
    let w = core.config.cloud_len();
    let mut rng = StdRng::seed_from_u64(7);
    let clouds: Vec<f32> = (0..batch * w)
        .map(|_| rng.random_range(-1.0..1.0))
        .collect();
    let data = Rows {
        clouds: &clouds,
        cond: None,
        n: batch,
    };
    let mut fast = FastVae::new(core)?;
    let mut acts = Acts::default();
    let idx: Vec<u32> = (0..batch as u32).collect();
    let mut elapsed = 0.0;
    for step in 0..=steps {
        let t = Instant::now();
        let b = make_batch(core, &data, &idx, &mut rng, true);
        fast.train_step(&mut acts, &b, VaeTrainConfig::DEFAULT_BETA, 1e-6)?;
        if step > 0 {
            elapsed += t.elapsed().as_secs_f64();
        }
    }
    Ok(elapsed / steps.max(1) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vae::chamfer::chamfer_loss;
    use crate::vae::model::kl_to_isotropic;
    use crate::vae::PointVaeConfig;
    use candle_core::Tensor;

    /// The hand-written gradients equal candle's autograd through the same networks, loss
    /// (surrogate Chamfer + β KL, batch mean), noise and point subsets.
    fn check_gradients(core: &VaeCore, cond_dim: usize) {
        let cfg = core.config.clone();
        let mut rng = StdRng::seed_from_u64(11);
        let (b, w) = (3, cfg.cloud_len());
        let clouds: Vec<f32> = (0..b * w).map(|_| rng.random_range(-1.0..1.0)).collect();
        let conds: Vec<f32> = (0..b * cond_dim)
            .map(|_| rng.random_range(-1.0..1.0))
            .collect();
        let rows = Rows {
            clouds: &clouds,
            cond: (cond_dim > 0).then_some(conds.as_slice()),
            n: b,
        };
        let batch = make_batch(core, &rows, &[0, 1, 2], &mut rng, true);
        let beta = 0.05;
        let mut fast = FastVae::new(core).unwrap();
        let mut acts = Acts::default();
        fast.train_step(&mut acts, &batch, beta, 0.0)
            .unwrap()
            .unwrap();

        let dev = &core.device;
        let k = cfg.encoder_points();
        let pts = Tensor::from_slice(&batch.points, (b, k, 3), dev).unwrap();
        let cond = batch
            .cond
            .as_ref()
            .map(|c| Tensor::from_slice(c, (b, cond_dim), dev).unwrap());
        let eps = Tensor::from_slice(&batch.eps, (b, cfg.latent_dim), dev).unwrap();
        let (mu, lv) = core.nets.encode_points(&pts, cond.as_ref()).unwrap();
        let z = (&mu + (lv.affine(0.5, 0.0).unwrap().exp().unwrap() * &eps).unwrap()).unwrap();
        let pred = core.nets.decode(&z, cond.as_ref()).unwrap();
        assert_eq!(
            pred.flatten_all().unwrap().to_vec1::<f32>().unwrap().len(),
            acts.pred().len()
        );
        let (rec, _) = chamfer_loss(&pred, &batch.target, cfg.n_points).unwrap();
        let kl = kl_to_isotropic(&mu, &lv, cfg.prior_std)
            .unwrap()
            .mean_all()
            .unwrap();
        let loss = (rec + (kl * beta).unwrap()).unwrap();
        let grads = loss.backward().unwrap();
        let fast_grads: std::collections::HashMap<String, Vec<f32>> =
            fast.named_grads().into_iter().collect();
        for (name, var) in core.named_vars() {
            let fg = &fast_grads[&name];
            let g = grads.get(var.as_tensor()).unwrap().flatten_all().unwrap();
            let g = g.to_vec1::<f32>().unwrap();
            let scale = g.iter().fold(1e-6f32, |a, v| a.max(v.abs()));
            for (x, y) in g.iter().zip(fg.iter()) {
                assert!(
                    (x - y).abs() < 2e-4 * scale,
                    "{name}: {x} vs {y} (scale {scale})"
                );
            }
        }
    }

    #[test]
    fn fast_gradients_match_autograd() {
        let cfg = PointVaeConfig {
            encoder_points: 20,
            ..PointVaeConfig::tiny(48)
        };
        check_gradients(&VaeCore::new(cfg.clone(), 3).unwrap(), 0);
        check_gradients(&VaeCore::new(cfg.with_cond_dim(4), 4).unwrap(), 4);
    }

    #[test]
    fn fast_forward_matches_candle() {
        let core = VaeCore::new(
            PointVaeConfig {
                encoder_points: 20,
                ..PointVaeConfig::tiny(48)
            },
            5,
        )
        .unwrap();
        let mut rng = StdRng::seed_from_u64(1);
        let clouds: Vec<f32> = (0..4 * 144).map(|_| rng.random_range(-1.0..1.0)).collect();
        let rows = Rows {
            clouds: &clouds,
            cond: None,
            n: 4,
        };
        let batch = make_batch(&core, &rows, &[0, 1, 2, 3], &mut rng, false);
        let fast = FastVae::new(&core).unwrap();
        let mut acts = Acts::default();
        fast.forward(&batch.points, 4, None, None, &mut acts);
        let x = Tensor::from_slice(&clouds, (4, 144), &core.device).unwrap();
        let nets = core.nets.detached();
        let (mu, _) = nets
            .encode_points(&nets.eval_points(&x).unwrap(), None)
            .unwrap();
        let pred = nets.decode(&mu, None).unwrap().flatten_all().unwrap();
        for (a, b) in pred.to_vec1::<f32>().unwrap().iter().zip(acts.pred()) {
            assert!((a - b).abs() < 1e-5, "{a} vs {b}");
        }
    }
}
