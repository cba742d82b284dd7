//! Hand-written forward and backward passes of the VAE / CVAE networks on plain `f32` buffers
//! with `gemm`, and Adam: the training path (candle's autograd on the same networks is 3–5×
//! slower on two CPU cores; a test checks the gradients against it).
//!
//! Two things make the PointNet backward cheap:
//! - max-pooling passes each channel's gradient to one point (its argmax), so the last
//!   per-point layer's backward is a scatter over `B · C` entries, not a `(B·K) × C` product;
//! - only the *critical points* (argmax of at least one channel, at most `min(K, C)` per shape)
//!   receive any gradient, so the lower per-point layers are back-propagated on those rows only.
//!
//! Weights are copied out of the candle variables at the start and written back on request; the
//! variable names fix the order.

use rayon::prelude::*;

use super::chamfer::chamfer_grad_batch;
use super::config::PointVaeConfig;
use super::dense::{relu_backward, Dense};
use super::nets::VaeCore;
use crate::Result;

/// Activations of one batch, kept for the backward pass. Buffers are reused between batches.
#[derive(Debug, Default)]
pub(crate) struct Acts {
    b: usize,
    k: usize,
    /// `point[0]`: the encoder's input points `(B·K, 3)`; `point[l + 1]`: output of per-point
    /// layer l `(B·K, c_l)`.
    point: Vec<Vec<f32>>,
    /// Argmax point (within its shape) of each pooled channel, `(B, C)`.
    argmax: Vec<u32>,
    /// `global[0]`: pooled features `(B, C)`; `global[l + 1]`: output of global layer l.
    global: Vec<Vec<f32>>,
    /// Features fed to the heads, `(B, g + cond)`.
    feat: Vec<f32>,
    /// Posterior means `(B, latent)`.
    pub(crate) mu: Vec<f32>,
    /// Posterior log-variances `(B, latent)`.
    pub(crate) logvar: Vec<f32>,
    /// Noise used for z, `(B, latent)` (zeros: z = μ).
    eps: Vec<f32>,
    /// `dec[0]`: decoder input `[z, cond]`; `dec[l + 1]`: output of decoder layer l; the last is
    /// the predicted clouds `(B, 3N)`.
    dec: Vec<Vec<f32>>,
    /// ∂loss/∂pred `(B, 3N)` of the last training step (kept to reuse the allocation).
    grad_pred: Vec<f32>,
}

impl Acts {
    /// The decoded clouds `(B, 3N)` of the last forward pass.
    pub(crate) fn pred(&self) -> &[f32] {
        self.dec.last().map_or(&[], Vec::as_slice)
    }
}

/// Scratch of the backward pass.
#[derive(Debug, Default)]
struct Grads {
    da: Vec<f32>,
    db: Vec<f32>,
    rows: Vec<usize>,
    gathered: Vec<Vec<f32>>,
    slot: Vec<u32>,
}

/// The networks' weights as plain buffers, their gradients and Adam state.
#[derive(Debug)]
pub(crate) struct FastVae {
    cfg: PointVaeConfig,
    /// Point layers, global layers, μ head, log σ² head, decoder layers (in that order).
    layers: Vec<Dense>,
    names: Vec<String>,
    np: usize,
    ng: usize,
    grads: Vec<Dense>,
    adam_m: Vec<Dense>,
    adam_v: Vec<Dense>,
    adam_t: i32,
    scratch: Grads,
}

/// The variable-name prefixes of the layers, in [`FastVae`]'s order.
fn layer_names(cfg: &PointVaeConfig) -> Vec<String> {
    let mut names: Vec<String> = (0..cfg.point_widths.len())
        .map(|i| format!("encoder.point.l{i}"))
        .collect();
    names.extend((0..cfg.global_widths.len()).map(|i| format!("encoder.global.l{i}")));
    names.push("encoder.mu".into());
    names.push("encoder.logvar".into());
    names.extend((0..=cfg.decoder_widths.len()).map(|i| format!("decoder.l{i}")));
    names
}

impl FastVae {
    /// Copies the current weights of `core`.
    pub(crate) fn new(core: &VaeCore) -> Result<Self> {
        let cfg = core.config.clone();
        let names = layer_names(&cfg);
        let vars: std::collections::HashMap<String, candle_core::Var> =
            core.named_vars().into_iter().collect();
        let layers = names
            .iter()
            .map(|name| {
                let w = &vars[&format!("{name}.weight")];
                let b = &vars[&format!("{name}.bias")];
                let (out, inp) = w.dims2()?;
                Ok(Dense {
                    w: w.as_tensor().flatten_all()?.to_vec1::<f32>()?,
                    b: b.as_tensor().to_vec1::<f32>()?,
                    inp,
                    out,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let zeros: Vec<Dense> = layers.iter().map(Dense::zeros_like).collect();
        Ok(Self {
            np: cfg.point_widths.len(),
            ng: cfg.global_widths.len(),
            cfg,
            layers,
            names,
            grads: zeros.clone(),
            adam_m: zeros.clone(),
            adam_v: zeros,
            adam_t: 0,
            scratch: Grads::default(),
        })
    }

    /// Writes the weights back into `core`'s variables.
    pub(crate) fn write_back(&self, core: &VaeCore) -> Result<()> {
        let vars: std::collections::HashMap<String, candle_core::Var> =
            core.named_vars().into_iter().collect();
        for (name, layer) in self.names.iter().zip(&self.layers) {
            let w = &vars[&format!("{name}.weight")];
            let b = &vars[&format!("{name}.bias")];
            w.set(&candle_core::Tensor::from_slice(
                &layer.w,
                (layer.out, layer.inp),
                w.device(),
            )?)?;
            b.set(&candle_core::Tensor::from_slice(
                &layer.b,
                layer.out,
                b.device(),
            )?)?;
        }
        Ok(())
    }

    /// A copy of the weights.
    pub(crate) fn snapshot(&self) -> Vec<Dense> {
        self.layers.clone()
    }

    /// Sets the weights from a [`Self::snapshot`].
    pub(crate) fn restore(&mut self, snapshot: &[Dense]) {
        self.layers.clone_from_slice(snapshot);
    }

    fn point_layers(&self) -> &[Dense] {
        &self.layers[..self.np]
    }

    fn global_layers(&self) -> &[Dense] {
        &self.layers[self.np..self.np + self.ng]
    }

    fn heads(&self) -> (&Dense, &Dense) {
        (
            &self.layers[self.np + self.ng],
            &self.layers[self.np + self.ng + 1],
        )
    }

    fn decoder_layers(&self) -> &[Dense] {
        &self.layers[self.np + self.ng + 2..]
    }

    /// Forward pass of `b` shapes: encoder input `points` `(B·K, 3)`, conditions `(B, C)`,
    /// noise `eps` `(B, latent)` (`None`: z = μ). Fills `acts`.
    pub(crate) fn forward(
        &self,
        points: &[f32],
        b: usize,
        cond: Option<&[f32]>,
        eps: Option<&[f32]>,
        acts: &mut Acts,
    ) {
        let k = points.len() / (3 * b.max(1));
        let (d, c) = (self.cfg.latent_dim, self.cfg.cond_dim);
        acts.b = b;
        acts.k = k;
        let np = self.np;
        acts.point.resize_with(np + 1, Vec::new);
        acts.point[0].clear();
        acts.point[0].extend_from_slice(points);
        for (l, layer) in self.point_layers().iter().enumerate() {
            let (src, dst) = acts.point.split_at_mut(l + 1);
            layer.forward(&src[l], b * k, &mut dst[0], true);
        }
        // Max-pool over the points of each shape.
        let ch = self.point_layers()[np - 1].out;
        acts.global.resize_with(self.ng + 1, Vec::new);
        let pooled = &mut acts.global[0];
        pooled.clear();
        pooled.resize(b * ch, f32::NEG_INFINITY);
        acts.argmax.clear();
        acts.argmax.resize(b * ch, 0);
        let h = &acts.point[np];
        pooled
            .par_chunks_mut(ch)
            .zip(acts.argmax.par_chunks_mut(ch))
            .enumerate()
            .for_each(|(s, (best, arg))| {
                for p in 0..k {
                    let row = &h[(s * k + p) * ch..(s * k + p + 1) * ch];
                    for ((bv, a), &v) in best.iter_mut().zip(arg.iter_mut()).zip(row) {
                        if v > *bv {
                            *bv = v;
                            *a = p as u32;
                        }
                    }
                }
            });
        for (l, layer) in self.global_layers().iter().enumerate() {
            let (src, dst) = acts.global.split_at_mut(l + 1);
            layer.forward(&src[l], b, &mut dst[0], true);
        }
        let g = acts.global[self.ng].len() / b.max(1);
        acts.feat.clear();
        for s in 0..b {
            acts.feat
                .extend_from_slice(&acts.global[self.ng][s * g..(s + 1) * g]);
            if let Some(cv) = cond {
                acts.feat.extend_from_slice(&cv[s * c..(s + 1) * c]);
            }
        }
        let (mu_head, lv_head) = self.heads();
        mu_head.forward(&acts.feat, b, &mut acts.mu, false);
        lv_head.forward(&acts.feat, b, &mut acts.logvar, false);
        acts.eps.clear();
        match eps {
            Some(e) => acts.eps.extend_from_slice(e),
            None => acts.eps.resize(b * d, 0.0),
        }
        let nd = self.decoder_layers().len();
        acts.dec.resize_with(nd + 1, Vec::new);
        let input = &mut acts.dec[0];
        input.clear();
        for s in 0..b {
            for j in 0..d {
                let i = s * d + j;
                input.push(acts.mu[i] + (0.5 * acts.logvar[i]).exp() * acts.eps[i]);
            }
            if let Some(cv) = cond {
                input.extend_from_slice(&cv[s * c..(s + 1) * c]);
            }
        }
        for (l, layer) in self.decoder_layers().iter().enumerate() {
            let (src, dst) = acts.dec.split_at_mut(l + 1);
            layer.forward(&src[l], b, &mut dst[0], l + 1 < nd);
        }
    }

    /// Backward pass of `scale · Σ_shapes (CD + β KL)` from the last [`Self::forward`], given
    /// `grad_pred` = ∂(scale · Σ CD)/∂pred `(B, 3N)`. Accumulates into the gradient buffers.
    fn backward(&mut self, acts: &Acts, grad_pred: &[f32], beta: f64, scale: f64) {
        let (b, k) = (acts.b, acts.k);
        let (d, c) = (self.cfg.latent_dim, self.cfg.cond_dim);
        let (np, ng) = (self.np, self.ng);
        let s = &mut self.scratch;
        let layers = &self.layers;
        let grads = &mut self.grads;
        let dec0 = np + ng + 2;
        let nd = layers.len() - dec0;

        // Decoder.
        s.da.clear();
        s.da.extend_from_slice(grad_pred);
        for l in (0..nd).rev() {
            if l + 1 < nd {
                relu_backward(&mut s.da, &acts.dec[l + 1]);
            }
            let layer = &layers[dec0 + l];
            layer.backward(
                &mut grads[dec0 + l],
                &s.da,
                &acts.dec[l],
                b,
                Some(&mut s.db),
            );
            std::mem::swap(&mut s.da, &mut s.db);
        }
        // s.da = ∂/∂[z, cond] (B, d + c). Reparameterisation and KL.
        let inv_s2 = 1.0 / (self.cfg.prior_std as f64).powi(2);
        let kl_scale = beta * scale;
        let mut dmu = vec![0f32; b * d];
        let mut dlv = vec![0f32; b * d];
        for sh in 0..b {
            for j in 0..d {
                let i = sh * d + j;
                let dz = s.da[sh * (d + c) + j] as f64;
                let (mu, lv, e) = (acts.mu[i] as f64, acts.logvar[i] as f64, acts.eps[i] as f64);
                let sd = (0.5 * lv).exp();
                dmu[i] = (dz + kl_scale * mu * inv_s2) as f32;
                dlv[i] = (dz * e * 0.5 * sd + kl_scale * (-0.5 + 0.5 * lv.exp() * inv_s2)) as f32;
            }
        }
        // Heads.
        let (mu_i, lv_i) = (np + ng, np + ng + 1);
        let mut dfeat = Vec::new();
        let mut dfeat2 = Vec::new();
        layers[mu_i].backward(&mut grads[mu_i], &dmu, &acts.feat, b, Some(&mut dfeat));
        layers[lv_i].backward(&mut grads[lv_i], &dlv, &acts.feat, b, Some(&mut dfeat2));
        let fw = layers[mu_i].inp;
        let g = fw - c;
        s.da.clear();
        for sh in 0..b {
            for j in 0..g {
                s.da.push(dfeat[sh * fw + j] + dfeat2[sh * fw + j]);
            }
        }
        // Global layers.
        for l in (0..ng).rev() {
            relu_backward(&mut s.da, &acts.global[l + 1]);
            let i = np + l;
            layers[i].backward(&mut grads[i], &s.da, &acts.global[l], b, Some(&mut s.db));
            std::mem::swap(&mut s.da, &mut s.db);
        }
        // s.da = ∂/∂pooled (B, ch). Max-pool: each channel's gradient goes to its argmax point;
        // gather the critical points (argmax of some channel) of every shape.
        let ch = layers[np - 1].out;
        s.slot.clear();
        s.slot.resize(k, u32::MAX);
        s.rows.clear();
        let mut dh = Vec::new();
        for sh in 0..b {
            let first = s.rows.len();
            for j in 0..ch {
                let p = acts.argmax[sh * ch + j] as usize;
                if s.slot[p] == u32::MAX {
                    s.slot[p] = (s.rows.len() - first) as u32;
                    s.rows.push(sh * k + p);
                    dh.resize(s.rows.len() * ch, 0.0);
                }
                dh[(first + s.slot[p] as usize) * ch + j] += s.da[sh * ch + j];
            }
            for &r in &s.rows[first..] {
                s.slot[r - sh * k] = u32::MAX;
            }
        }
        let r = s.rows.len();
        s.gathered.resize_with(np + 1, Vec::new);
        for (l, buf) in s.gathered.iter_mut().enumerate() {
            let w = if l == 0 { 3 } else { layers[l - 1].out };
            buf.clear();
            for &row in &s.rows {
                buf.extend_from_slice(&acts.point[l][row * w..(row + 1) * w]);
            }
        }
        s.da = dh;
        for l in (0..np).rev() {
            relu_backward(&mut s.da, &s.gathered[l + 1]);
            let d_src = if l > 0 { Some(&mut s.db) } else { None };
            layers[l].backward(&mut grads[l], &s.da, &s.gathered[l], r, d_src);
            if l > 0 {
                std::mem::swap(&mut s.da, &mut s.db);
            }
        }
    }

    /// Zeroes the gradient buffers.
    fn zero_grads(&mut self) {
        for g in &mut self.grads {
            g.w.fill(0.0);
            g.b.fill(0.0);
        }
    }

    /// One Adam step (β1 0.9, β2 0.999, ε 1e-8, no weight decay) at learning rate `lr`.
    fn adam_step(&mut self, lr: f64) {
        const B1: f32 = 0.9;
        const B2: f32 = 0.999;
        const EPS: f32 = 1e-8;
        self.adam_t += 1;
        let c1 = 1.0 - B1.powi(self.adam_t);
        let c2 = 1.0 - B2.powi(self.adam_t);
        let step = lr as f32 / c1;
        let inv_c2 = 1.0 / c2;
        let update = |p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32]| {
            for (((p, g), m), v) in p.iter_mut().zip(g).zip(m.iter_mut()).zip(v.iter_mut()) {
                *m = B1 * *m + (1.0 - B1) * g;
                *v = B2 * *v + (1.0 - B2) * g * g;
                *p -= step * *m / ((*v * inv_c2).sqrt() + EPS);
            }
        };
        for (((p, g), m), v) in self
            .layers
            .iter_mut()
            .zip(&self.grads)
            .zip(&mut self.adam_m)
            .zip(&mut self.adam_v)
        {
            const CHUNK: usize = 1 << 16;
            p.w.par_chunks_mut(CHUNK)
                .zip(g.w.par_chunks(CHUNK))
                .zip(m.w.par_chunks_mut(CHUNK))
                .zip(v.w.par_chunks_mut(CHUNK))
                .for_each(|(((p, g), m), v)| update(p, g, m, v));
            update(&mut p.b, &g.b, &mut m.b, &mut v.b);
        }
    }

    /// Whether every gradient is finite.
    fn grads_finite(&self) -> bool {
        self.grads
            .iter()
            .all(|g| g.w.iter().chain(&g.b).all(|v| v.is_finite()))
    }

    /// The gradients, in the order of [`Self::new`]'s layers, as (weight, bias) per layer
    /// variable name (for tests).
    #[cfg(test)]
    pub(crate) fn named_grads(&self) -> Vec<(String, Vec<f32>)> {
        self.names
            .iter()
            .zip(&self.grads)
            .flat_map(|(n, g)| {
                [
                    (format!("{n}.weight"), g.w.clone()),
                    (format!("{n}.bias"), g.b.clone()),
                ]
            })
            .collect()
    }

    /// One training step on a batch (see [`Self::forward`] for the layouts); returns the sums
    /// over the batch of the Chamfer distances and of the KLs, or `None` (and no step) if the loss
    /// or a gradient is not finite. `lr = 0` computes gradients only.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn train_step(
        &mut self,
        acts: &mut Acts,
        batch: &StepBatch,
        beta: f64,
        lr: f64,
    ) -> Result<Option<(f64, f64)>> {
        let b = batch.size;
        let n = self.cfg.n_points;
        self.forward(
            &batch.points,
            b,
            batch.cond.as_deref(),
            Some(&batch.eps),
            acts,
        );
        let scale = 1.0 / b as f64;
        let mut grad_pred = vec![0f32; b * 3 * n];
        let chamfer = chamfer_grad_batch(
            acts.pred(),
            &batch.target,
            n,
            n,
            scale as f32,
            &mut grad_pred,
        )?;
        let chamfer: f64 = chamfer.iter().map(|&v| v as f64).sum();
        let kl = kl_sum(&acts.mu, &acts.logvar, self.cfg.prior_std);
        if !(chamfer + beta * kl).is_finite() {
            acts.grad_pred = grad_pred;
            return Ok(None);
        }
        self.zero_grads();
        self.backward(acts, &grad_pred, beta, scale);
        acts.grad_pred = grad_pred;
        if !self.grads_finite() {
            return Ok(None);
        }
        if lr > 0.0 {
            self.adam_step(lr);
        }
        Ok(Some((chamfer, kl)))
    }
}

/// Σ over rows and dimensions of KL(N(μ, e^{lv}) ‖ N(0, σ²)).
pub(crate) fn kl_sum(mu: &[f32], logvar: &[f32], prior_std: f32) -> f64 {
    let inv_s2 = 1.0 / (prior_std as f64).powi(2);
    let ls = (prior_std as f64).ln();
    mu.iter()
        .zip(logvar)
        .map(|(&m, &lv)| {
            let (m, lv) = (m as f64, lv as f64);
            ls - 0.5 * lv + 0.5 * (lv.exp() + m * m) * inv_s2 - 0.5
        })
        .sum()
}

/// One mini-batch as plain buffers.
#[derive(Debug, Clone)]
pub(crate) struct StepBatch {
    /// Encoder input `(B·K, 3)`.
    pub(crate) points: Vec<f32>,
    /// Conditions `(B, C)`.
    pub(crate) cond: Option<Vec<f32>>,
    /// Reparameterisation noise `(B, latent)`.
    pub(crate) eps: Vec<f32>,
    /// Target clouds `(B, 3N)`.
    pub(crate) target: Vec<f32>,
    /// B.
    pub(crate) size: usize,
}
