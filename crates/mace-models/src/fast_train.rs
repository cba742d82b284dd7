//! Maximum-likelihood training of an [`ArGmm`] without autograd: hand-written forward and
//! backward passes over plain `f32` buffers with `gemm`, and Adam.
//!
//! With teacher forcing, log p(x | c) = Σ_j log p(x_j | c, x_<j) and coordinate j's term depends
//! only on network j: the D networks are trained independently and in parallel (rayon, one
//! network per task), each on the same mini-batches. This is exactly the joint objective, and
//! several times faster than the general autograd path on two CPU cores.
//!
//! Gradients of the mixture negative log-likelihood, per row and component m, with
//! responsibilities γ = softmax(ℓ), ℓ_m = log w_m − z_m²/2 − log σ_m − log √(2π),
//! z_m = (x − μ_m)/σ_m, μ_m = mid + s·tanh(a_m), σ_m = softplus(b_m) + floor:
//! ∂/∂logit_m = w_m − γ_m; ∂/∂a_m = −γ_m z_m/σ_m · s(1 − tanh² a_m);
//! ∂/∂b_m = γ_m (1 − z_m²)/σ_m · sigmoid(b_m). A test checks them against candle's autograd.

use rayon::prelude::*;

use crate::fast::{leaky_relu_in_place, linear_forward, softplus};
use crate::mlp::LEAKY_SLOPE;
use crate::{ArGmm, Result};

/// Rows, already normalised, that the trainer reads: everything precomputed once.
#[derive(Debug, Clone)]
pub struct TrainRows {
    n: usize,
    /// `(N, D)` raw values.
    x: Vec<f32>,
    /// `(N, D)` values mapped to [−1, 1].
    x_n: Vec<f32>,
    /// `(N, C)` normalised contexts.
    context_n: Vec<f32>,
    /// `(N, D, F)` kinematic features, or empty.
    features: Vec<f32>,
}

impl TrainRows {
    /// Prepares rows `x` `(N, D)` with raw contexts `(N, C)` for `model`.
    ///
    /// # Errors
    /// Shape errors (see [`ArGmm::inputs`]).
    pub fn new(model: &ArGmm, x: &[f32], context: &[f32]) -> Result<Self> {
        let cfg = model.config();
        let (d, c) = (cfg.dim(), cfg.context_dim);
        let n = x.len() / d;
        if x.len() != n * d || context.len() != n * c {
            return Err(crate::Error::ShapeMismatch {
                op: "TrainRows::new",
                expected: format!("x (N, {d}) and context (N, {c})"),
                got: format!("{} and {} values", x.len(), context.len()),
            });
        }
        let (mid, half) = cfg.centres_and_half_ranges();
        let x_n: Vec<f32> = x
            .iter()
            .enumerate()
            .map(|(i, v)| (v - mid[i % d]) / half[i % d])
            .collect();
        let context_n = context
            .chunks_exact(c)
            .flat_map(|row| {
                (0..c).map(move |i| (row[i] - cfg.context_mean[i]) / cfg.context_std[i])
            })
            .collect();
        let features = match &cfg.chain {
            None => Vec::new(),
            Some(chain) => {
                let per = d * chain.features_per_joint();
                let mut out = vec![0f32; n * per];
                out.par_chunks_mut(per).enumerate().for_each(|(i, f)| {
                    chain.all_features(&x[i * d..(i + 1) * d], &context[i * c..(i + 1) * c], f);
                });
                out
            }
        };
        Ok(Self {
            n,
            x: x.to_vec(),
            x_n,
            context_n,
            features,
        })
    }

    /// The rows `index`, as a new set.
    pub fn subset(&self, index: &[u32]) -> TrainRows {
        let pick = |v: &[f32], width: usize| -> Vec<f32> {
            index
                .iter()
                .flat_map(|&i| {
                    v[i as usize * width..(i as usize + 1) * width]
                        .iter()
                        .copied()
                })
                .collect()
        };
        let d = self.x.len() / self.n.max(1);
        let c = self.context_n.len() / self.n.max(1);
        let f = self.features.len() / self.n.max(1);
        TrainRows {
            n: index.len(),
            x: pick(&self.x, d),
            x_n: pick(&self.x_n, d),
            context_n: pick(&self.context_n, c),
            features: if f == 0 {
                Vec::new()
            } else {
                pick(&self.features, f)
            },
        }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.n
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }
}

/// Adam hyper-parameters.
const BETA1: f32 = 0.9;
const BETA2: f32 = 0.999;
const EPS: f32 = 1e-8;

/// One dense layer with its gradient and Adam moments. `w` is `(out, in)` row-major.
#[derive(Debug, Clone)]
struct Layer {
    input: usize,
    output: usize,
    w: Vec<f32>,
    b: Vec<f32>,
    gw: Vec<f32>,
    gb: Vec<f32>,
    mw: Vec<f32>,
    vw: Vec<f32>,
    mb: Vec<f32>,
    vb: Vec<f32>,
}

/// The trainable state of one coordinate's network, with its scratch.
#[derive(Debug, Clone)]
struct JointTrainer {
    j: usize,
    layers: Vec<Layer>,
    /// Activations per layer (input first), each `(B, width)`.
    acts: Vec<Vec<f32>>,
    /// Pre-activations of hidden layers.
    pre: Vec<Vec<f32>>,
    /// Gradient buffers.
    grad_a: Vec<f32>,
    grad_b: Vec<f32>,
}

/// What [`FastTrainer::step_weighted`] did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StepOutcome {
    /// The step was applied; the loss before it.
    Applied(f64),
    /// The loss was not finite; nothing changed.
    NonFiniteLoss(f64),
    /// A gradient was not finite; nothing changed.
    NonFiniteGradient,
}

/// Trains the networks of an [`ArGmm`] with hand-written gradients (see the module docs).
#[derive(Debug)]
pub struct FastTrainer {
    joints: Vec<JointTrainer>,
    model: ArGmm,
    step: i32,
    /// Multiplier of the learning rate of the mixture logits (see
    /// [`FastTrainer::set_logit_lr_scale`]).
    logit_lr_scale: f32,
}

impl FastTrainer {
    /// Copies `model`'s current weights into a trainer.
    ///
    /// # Errors
    /// Tensor read-back errors.
    pub fn new(model: &ArGmm) -> Result<Self> {
        Self::new_partial(model, model.nets().len())
    }

    /// A trainer for the networks of the first `joints` coordinates only (the others stay
    /// fixed; losses then cover those coordinates only).
    ///
    /// # Errors
    /// Tensor read-back errors.
    pub fn new_partial(model: &ArGmm, joints: usize) -> Result<Self> {
        let joints = model
            .nets()
            .iter()
            .take(joints)
            .enumerate()
            .map(|(j, net)| -> Result<JointTrainer> {
                let layers = net
                    .layers()
                    .iter()
                    .map(|l| -> Result<Layer> {
                        let (output, input) = l.weight().dims2()?;
                        let w = l.weight().flatten_all()?.to_vec1::<f32>()?;
                        let b = l
                            .bias()
                            .map(|b| b.to_vec1::<f32>())
                            .transpose()?
                            .unwrap_or(vec![0.0; output]);
                        let z = |len| vec![0.0f32; len];
                        Ok(Layer {
                            input,
                            output,
                            gw: z(w.len()),
                            mw: z(w.len()),
                            vw: z(w.len()),
                            gb: z(output),
                            mb: z(output),
                            vb: z(output),
                            w,
                            b,
                        })
                    })
                    .collect::<Result<_>>()?;
                Ok(JointTrainer {
                    j,
                    layers,
                    acts: Vec::new(),
                    pre: Vec::new(),
                    grad_a: Vec::new(),
                    grad_b: Vec::new(),
                })
            })
            .collect::<Result<_>>()?;
        Ok(Self {
            joints,
            model: model.clone(),
            step: 0,
            logit_lr_scale: 1.0,
        })
    }

    /// Multiplies the learning rate of the mixture logits (the rows of each network's output
    /// layer that produce them) by `scale`; means and widths keep `lr`. Default 1.
    ///
    /// Adam moves every parameter by about `lr` per step whatever the size of its gradient, so
    /// a mixture component that the training rows no longer use loses weight only slowly: at
    /// lr 3e-4 a component of an IK prior kept ≈ 5% of the samples after 900 tuning steps,
    /// and on the wall scene those samples were most of the posterior's collisions.
    ///
    /// # Errors
    /// [`crate::Error::Config`] unless `scale` is finite and positive.
    pub fn set_logit_lr_scale(&mut self, scale: f32) -> Result<()> {
        self.logit_lr_scale = checked_logit_lr_scale(scale)?;
        Ok(())
    }

    /// One Adam step on the rows `batch` of `rows` with learning rate `lr`; returns the mean
    /// negative log-likelihood of the batch (nats per row, summed over coordinates).
    pub fn step(&mut self, rows: &TrainRows, batch: &[u32], lr: f32) -> f64 {
        match self.step_weighted(rows, batch, None, lr) {
            StepOutcome::Applied(loss) | StepOutcome::NonFiniteLoss(loss) => loss,
            StepOutcome::NonFiniteGradient => f64::NAN,
        }
    }

    /// One Adam step on −Σ_i w_i log p(x_i) over the rows `batch`, with `weights` (one per
    /// row; `None`: 1/len each, the mean). The step is applied only if the loss and every
    /// gradient are finite; the outcome says which.
    pub fn step_weighted(
        &mut self,
        rows: &TrainRows,
        batch: &[u32],
        weights: Option<&[f32]>,
        lr: f32,
    ) -> StepOutcome {
        let model = &self.model;
        let losses: Vec<f64> = self
            .joints
            .par_iter_mut()
            .map(|jt| jt.forward_backward(model, rows, batch, weights, true))
            .collect();
        let loss: f64 = losses.iter().sum();
        if !loss.is_finite() {
            return StepOutcome::NonFiniteLoss(loss);
        }
        let finite = self.joints.iter().all(|jt| {
            jt.layers
                .iter()
                .all(|l| l.gw.iter().chain(&l.gb).all(|g| g.is_finite()))
        });
        if !finite {
            return StepOutcome::NonFiniteGradient;
        }
        self.step += 1;
        let t = self.step;
        let logits = self.model.config().components;
        let logit_lr = lr * self.logit_lr_scale;
        self.joints
            .par_iter_mut()
            .for_each(|jt| jt.adam(lr, logit_lr, logits, t));
        StepOutcome::Applied(loss)
    }

    /// Mean negative log-likelihood of `rows` (all of them), without updating anything.
    pub fn evaluate(&mut self, rows: &TrainRows) -> f64 {
        let model = &self.model;
        let n = rows.len();
        let index: Vec<u32> = (0..n as u32).collect();
        self.joints
            .par_iter_mut()
            .map(|jt| {
                index
                    .chunks(4096)
                    .map(|chunk| {
                        jt.forward_backward(model, rows, chunk, None, false) * chunk.len() as f64
                    })
                    .sum::<f64>()
                    / n.max(1) as f64
            })
            .sum()
    }

    /// Writes the trained weights back into the model's candle variables.
    ///
    /// # Errors
    /// Tensor errors.
    pub fn write_back(&self) -> Result<()> {
        for (jt, net) in self.joints.iter().zip(self.model.nets()) {
            for (layer, linear) in jt.layers.iter().zip(net.layers()) {
                let set = |t: &candle_core::Tensor, v: &[f32]| -> Result<()> {
                    let var = self
                        .model
                        .var_of(t)
                        .expect("layer tensors are model variables");
                    var.set(&candle_core::Tensor::from_slice(v, t.shape(), t.device())?)?;
                    Ok(())
                };
                set(linear.weight(), &layer.w)?;
                if let Some(b) = linear.bias() {
                    set(b, &layer.b)?;
                }
            }
        }
        Ok(())
    }

    /// A copy of all weights (to restore the best epoch later).
    pub fn snapshot(&self) -> Vec<Vec<f32>> {
        self.joints
            .iter()
            .flat_map(|jt| jt.layers.iter().flat_map(|l| [l.w.clone(), l.b.clone()]))
            .collect()
    }

    /// Restores weights from [`Self::snapshot`].
    pub fn restore(&mut self, snapshot: &[Vec<f32>]) {
        let mut it = snapshot.iter();
        for jt in &mut self.joints {
            for l in &mut jt.layers {
                l.w.copy_from_slice(it.next().expect("snapshot of this trainer"));
                l.b.copy_from_slice(it.next().expect("snapshot of this trainer"));
            }
        }
    }
}

impl JointTrainer {
    /// Forward pass over `batch` (and backward into the layers' gradients if `backward`);
    /// returns coordinate j's loss −Σ_r w_r log p_r with `weights` (`None`: the mean NLL).
    fn forward_backward(
        &mut self,
        model: &ArGmm,
        rows: &TrainRows,
        batch: &[u32],
        weights: Option<&[f32]>,
        backward: bool,
    ) -> f64 {
        let cfg = model.config();
        let (j, d, c, k) = (self.j, cfg.dim(), cfg.context_dim, cfg.components);
        let bsz = batch.len();
        let width = cfg.input_width(j);
        let nl = self.layers.len();
        self.acts.resize(nl + 1, Vec::new());
        self.pre.resize(nl, Vec::new());
        // Input rows: [context_n, x_n[..j], features_j].
        let input = &mut self.acts[0];
        input.resize(bsz * width, 0.0);
        let f = cfg.chain.as_ref().map_or(0, |c| c.features_per_joint());
        for (r, &i) in batch.iter().enumerate() {
            let i = i as usize;
            let row = &mut input[r * width..(r + 1) * width];
            row[..c].copy_from_slice(&rows.context_n[i * c..(i + 1) * c]);
            row[c..c + j].copy_from_slice(&rows.x_n[i * d..i * d + j]);
            if !rows.features.is_empty() {
                let base = (i * d + j) * f;
                row[c + j..].copy_from_slice(&rows.features[base..base + f]);
            }
        }
        for l in 0..nl {
            let (before, after) = self.acts.split_at_mut(l + 1);
            let (src, dst) = (&before[l], &mut after[0]);
            let layer = &self.layers[l];
            dst.resize(bsz * layer.output, 0.0);
            linear_forward(src, layer.input, bsz, &layer.w, &layer.b, dst);
            if l + 1 < nl {
                self.pre[l].clear();
                self.pre[l].extend_from_slice(dst);
                leaky_relu_in_place(dst);
            }
        }
        // Mixture head: loss and its gradient with respect to the head's output.
        let out = &self.acts[nl];
        self.grad_a.resize(bsz * 3 * k, 0.0);
        let (mid, half) = (
            0.5 * (cfg.lower[j] + cfg.upper[j]),
            0.5 * (cfg.upper[j] - cfg.lower[j]),
        );
        let s = half * cfg.range_slack;
        let log_norm = 0.5 * (2.0 * std::f32::consts::PI).ln();
        let inv_b = 1.0 / bsz as f32;
        let mut total = 0.0f64;
        let mut w = [0.0f32; crate::fast::MAX_COMPONENTS];
        let mut ell = [0.0f32; crate::fast::MAX_COMPONENTS];
        for (r, &i) in batch.iter().enumerate() {
            let o = &out[r * 3 * k..(r + 1) * 3 * k];
            let x = rows.x[i as usize * d + j];
            let (logits, rest) = o.split_at(k);
            let (a, b) = rest.split_at(k);
            let lmax = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let mut wsum = 0.0;
            for m in 0..k {
                w[m] = (logits[m] - lmax).exp();
                wsum += w[m];
            }
            let mut emax = f32::NEG_INFINITY;
            for m in 0..k {
                w[m] /= wsum;
                let sigma = softplus(b[m]) + cfg.min_std;
                let mu = mid + s * a[m].tanh();
                let z = (x - mu) / sigma;
                ell[m] = w[m].max(1e-30).ln() - 0.5 * z * z - sigma.ln() - log_norm;
                emax = emax.max(ell[m]);
            }
            let esum: f32 = ell[..k].iter().map(|e| (e - emax).exp()).sum();
            let log_p = emax + esum.ln();
            let weight = weights.map_or(inv_b, |w| w[r]);
            total -= (weight * log_p) as f64;
            if backward {
                let g = &mut self.grad_a[r * 3 * k..(r + 1) * 3 * k];
                for m in 0..k {
                    let gamma = (ell[m] - log_p).exp();
                    let sigma = softplus(b[m]) + cfg.min_std;
                    let th = a[m].tanh();
                    let z = (x - (mid + s * th)) / sigma;
                    g[m] = (w[m] - gamma) * weight;
                    g[k + m] = -gamma * z / sigma * s * (1.0 - th * th) * weight;
                    g[2 * k + m] = gamma * (1.0 - z * z) / sigma * sigmoid(b[m]) * weight;
                }
            }
        }
        if backward {
            self.backward(bsz);
        }
        total
    }

    /// Back-propagates `grad_a` (gradient w.r.t. the last layer's output) into every layer's
    /// weight and bias gradients.
    fn backward(&mut self, bsz: usize) {
        let nl = self.layers.len();
        for l in (0..nl).rev() {
            let layer = &mut self.layers[l];
            let (n_in, n_out) = (layer.input, layer.output);
            let dz = &self.grad_a[..bsz * n_out];
            // gb = Σ_rows dz; gw = dzᵀ · a_prev.
            layer.gb.fill(0.0);
            for row in dz.chunks_exact(n_out) {
                for (g, v) in layer.gb.iter_mut().zip(row) {
                    *g += v;
                }
            }
            let a_prev = &self.acts[l];
            // SAFETY: sizes: dz (bsz × n_out), a_prev (bsz × n_in), gw (n_out × n_in); strides
            // below index within them.
            unsafe {
                gemm::gemm(
                    n_out,
                    n_in,
                    bsz,
                    layer.gw.as_mut_ptr(),
                    1,
                    n_in as isize,
                    false,
                    dz.as_ptr(),
                    n_out as isize,
                    1,
                    a_prev.as_ptr(),
                    1,
                    n_in as isize,
                    0.0,
                    1.0,
                    false,
                    false,
                    false,
                    gemm::Parallelism::None,
                );
            }
            if l == 0 {
                break;
            }
            // da_prev = dz · w (bsz × n_in), then through the LeakyReLU of layer l−1.
            self.grad_b.resize(bsz * n_in, 0.0);
            // SAFETY: dz (bsz × n_out), w (n_out × n_in), grad_b (bsz × n_in).
            unsafe {
                gemm::gemm(
                    bsz,
                    n_in,
                    n_out,
                    self.grad_b.as_mut_ptr(),
                    1,
                    n_in as isize,
                    false,
                    dz.as_ptr(),
                    1,
                    n_out as isize,
                    layer.w.as_ptr(),
                    1,
                    n_in as isize,
                    0.0,
                    1.0,
                    false,
                    false,
                    false,
                    gemm::Parallelism::None,
                );
            }
            let slope = LEAKY_SLOPE as f32;
            for (g, z) in self.grad_b.iter_mut().zip(&self.pre[l - 1]) {
                *g *= if *z < 0.0 { slope } else { 1.0 };
            }
            std::mem::swap(&mut self.grad_a, &mut self.grad_b);
        }
    }

    /// One Adam step at `lr`, and at `logit_lr` for the first `logits` outputs of the last
    /// layer (the mixture logits: its weight rows and biases `0..logits`).
    fn adam(&mut self, lr: f32, logit_lr: f32, logits: usize, t: i32) {
        let c1 = 1.0 - BETA1.powi(t);
        let c2 = 1.0 - BETA2.powi(t);
        let update = |p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32], lr: f32| {
            for i in 0..p.len() {
                m[i] = BETA1 * m[i] + (1.0 - BETA1) * g[i];
                v[i] = BETA2 * v[i] + (1.0 - BETA2) * g[i] * g[i];
                p[i] -= lr * (m[i] / c1) / ((v[i] / c2).sqrt() + EPS);
            }
        };
        let last = self.layers.len().saturating_sub(1);
        for (index, l) in self.layers.iter_mut().enumerate() {
            // Split point of the weights (rows are outputs) and of the biases.
            let (nw, nb) = if index == last {
                (logits * l.input, logits)
            } else {
                (0, 0)
            };
            let (w0, w1) = l.w.split_at_mut(nw);
            let (mw0, mw1) = l.mw.split_at_mut(nw);
            let (vw0, vw1) = l.vw.split_at_mut(nw);
            update(w0, &l.gw[..nw], mw0, vw0, logit_lr);
            update(w1, &l.gw[nw..], mw1, vw1, lr);
            let (b0, b1) = l.b.split_at_mut(nb);
            let (mb0, mb1) = l.mb.split_at_mut(nb);
            let (vb0, vb1) = l.vb.split_at_mut(nb);
            update(b0, &l.gb[..nb], mb0, vb0, logit_lr);
            update(b1, &l.gb[nb..], mb1, vb1, lr);
        }
    }
}

/// The tuner's optimiser for a [`crate::ConditionedArGmm`]: Adam on the hand-written gradients,
/// writing the weights back into the model's variables when the tuner syncs it (before each
/// sample, so the next sample sees them). Equivalent to [`mace_core::AutogradAdam`], several
/// times faster.
#[derive(Debug)]
pub struct FastAdam {
    trainer: FastTrainer,
    context: Vec<f32>,
    lr: f32,
    /// Steps taken since the last write-back into the model's variables.
    dirty: bool,
}

impl FastAdam {
    /// Adam at `lr` over the networks of `model`'s first `tuned_joints` coordinates, for
    /// samples conditioned on `context`; the mixture logits at `logit_lr_scale` × `lr` (see
    /// [`FastTrainer::set_logit_lr_scale`]).
    ///
    /// # Errors
    /// Tensor read-back errors.
    pub fn new(
        model: &ArGmm,
        context: &[f32],
        lr: f64,
        tuned_joints: usize,
        logit_lr_scale: f32,
    ) -> Result<Self> {
        let mut trainer = FastTrainer::new_partial(model, tuned_joints)?;
        trainer.set_logit_lr_scale(logit_lr_scale)?;
        Ok(Self {
            trainer,
            context: context.to_vec(),
            lr: lr as f32,
            dirty: false,
        })
    }
}

impl mace_core::ModelOptimizer for FastAdam {
    fn step(
        &mut self,
        samples: &candle_core::Tensor,
        weights: &[f32],
        iteration: usize,
    ) -> mace_core::Result<f64> {
        let x = samples.flatten_all()?.to_vec1::<f32>()?;
        let context = self.context.repeat(weights.len());
        let rows = TrainRows::new(&self.trainer.model, &x, &context)?;
        let batch: Vec<u32> = (0..weights.len() as u32).collect();
        match self
            .trainer
            .step_weighted(&rows, &batch, Some(weights), self.lr)
        {
            StepOutcome::Applied(loss) => {
                self.dirty = true;
                Ok(loss)
            }
            StepOutcome::NonFiniteLoss(loss) => {
                Err(mace_core::Error::NonFiniteLoss { iteration, loss })
            }
            StepOutcome::NonFiniteGradient => Err(mace_core::Error::NonFiniteGradient {
                iteration,
                variable: 0,
            }),
        }
    }

    /// Writes the weights back into the model's variables if a step moved them since the last
    /// call (a write-back per step cost ≈ 10% of a 900-step IK tuning).
    fn sync(&mut self) -> mace_core::Result<()> {
        if self.dirty {
            self.trainer.write_back()?;
            self.dirty = false;
        }
        Ok(())
    }
}

/// `scale` if it is a valid learning-rate multiplier (finite, > 0).
pub(crate) fn checked_logit_lr_scale(scale: f32) -> Result<f32> {
    if scale.is_finite() && scale > 0.0 {
        Ok(scale)
    } else {
        Err(crate::Error::Config {
            field: "logit_lr_scale",
            value: scale.to_string(),
            reason: "must be finite and positive",
        })
    }
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

#[cfg(test)]
mod tests;
