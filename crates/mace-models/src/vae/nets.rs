//! The networks shared by [`super::PointVae`] and [`super::Cvae`]: a PointNet encoder and an
//! MLP decoder on candle, with their variable store.

use std::sync::Arc;

use candle_core::{DType, Device, Module, Tensor, Var};
use candle_nn::{linear, Linear, VarBuilder, VarMap};
use rand::{rngs::StdRng, seq::index::sample, Rng, SeedableRng};

use super::config::PointVaeConfig;
use crate::{Error, Result};

/// Initial posterior std as a fraction of the prior std (the log σ² head's bias starts at
/// 2 ln(ratio · σ_p)). With σ_q = σ_p at the start, the sampled z is mostly noise, the decoder
/// learns to ignore it and the posterior collapses onto the prior (measured on a toy family:
/// KL → 2 nats, every reconstruction the mean shape).
const INITIAL_STD_RATIO: f32 = 0.1;

/// Seed of the fixed subset of points the encoder reads outside training.
const EVAL_SUBSET_SEED: u64 = 0x5EED_0F90_1275;

/// Encoder and decoder layers; weights are candle tensors (variables, or detached copies).
#[derive(Debug, Clone)]
pub(crate) struct VaeNets {
    point: Vec<Linear>,
    global: Vec<Linear>,
    mu: Linear,
    logvar: Linear,
    decoder: Vec<Linear>,
    /// Indices (sorted) of the points the encoder reads outside training, `encoder_points`.
    eval_subset: Arc<Vec<u32>>,
    /// The same as a tensor, `(K,)` u32; `None` when the encoder reads every point.
    eval_subset_t: Option<Tensor>,
}

fn dense_stack(
    input: usize,
    widths: &[usize],
    vb: &VarBuilder,
) -> candle_core::Result<Vec<Linear>> {
    let mut sizes = vec![input];
    sizes.extend(widths);
    sizes
        .windows(2)
        .enumerate()
        .map(|(i, w)| linear(w[0], w[1], vb.pp(format!("l{i}"))))
        .collect()
}

fn detach_all(layers: &[Linear]) -> Vec<Linear> {
    layers.iter().map(detach_one).collect()
}

fn detach_one(l: &Linear) -> Linear {
    Linear::new(l.weight().detach(), l.bias().map(Tensor::detach))
}

/// Linear layers with ReLU after each (`relu_last`: also after the last one).
fn run(layers: &[Linear], x: &Tensor, relu_last: bool) -> candle_core::Result<Tensor> {
    let mut h = x.clone();
    let last = layers.len().saturating_sub(1);
    for (i, layer) in layers.iter().enumerate() {
        h = layer.forward(&h)?;
        if i < last || relu_last {
            h = h.relu()?;
        }
    }
    Ok(h)
}

impl VaeNets {
    fn new(config: &PointVaeConfig, vb: &VarBuilder) -> Result<Self> {
        let enc = vb.pp("encoder");
        let point = dense_stack(3, &config.point_widths, &enc.pp("point"))?;
        let pooled = *config.point_widths.last().expect("validated nonempty");
        let global = dense_stack(pooled, &config.global_widths, &enc.pp("global"))?;
        let feat = config.global_widths.last().copied().unwrap_or(pooled) + config.cond_dim;
        let mu = linear(feat, config.latent_dim, enc.pp("mu"))?;
        let logvar = linear(feat, config.latent_dim, enc.pp("logvar"))?;
        let mut dec_widths = config.decoder_widths.clone();
        dec_widths.push(config.cloud_len());
        let decoder = dense_stack(
            config.latent_dim + config.cond_dim,
            &dec_widths,
            &vb.pp("decoder"),
        )?;
        let k = config.encoder_points();
        let eval_subset = eval_subset(config.n_points, k);
        let eval_subset_t = if k < config.n_points {
            Some(Tensor::from_slice(&eval_subset, k, vb.device())?)
        } else {
            None
        };
        Ok(Self {
            point,
            global,
            mu,
            logvar,
            decoder,
            eval_subset: Arc::new(eval_subset),
            eval_subset_t,
        })
    }

    /// The same networks with weights detached from autograd (frozen: no graph is built).
    pub(crate) fn detached(&self) -> Self {
        Self {
            point: detach_all(&self.point),
            global: detach_all(&self.global),
            mu: detach_one(&self.mu),
            logvar: detach_one(&self.logvar),
            decoder: detach_all(&self.decoder),
            eval_subset: self.eval_subset.clone(),
            eval_subset_t: self.eval_subset_t.clone(),
        }
    }

    /// The fixed subset of point indices the encoder reads outside training.
    pub(crate) fn eval_subset(&self) -> &[u32] {
        &self.eval_subset
    }

    /// q(z | x[, c]) from the points the encoder reads, `(B, K, 3)`, and conditions `(B, C)`
    /// for a CVAE: (μ, log σ²), each `(B, latent)`.
    pub(crate) fn encode_points(
        &self,
        points: &Tensor,
        cond: Option<&Tensor>,
    ) -> candle_core::Result<(Tensor, Tensor)> {
        let (b, k, _) = points.dims3()?;
        let h = run(&self.point, &points.reshape((b * k, 3))?, true)?;
        let c = h.dim(1)?;
        let pooled = h.reshape((b, k, c))?.max(1)?;
        let mut f = run(&self.global, &pooled, true)?;
        if let Some(cond) = cond {
            f = Tensor::cat(&[&f, cond], 1)?;
        }
        Ok((self.mu.forward(&f)?, self.logvar.forward(&f)?))
    }

    /// Clouds `(B, 3N)` → the fixed subset of their points `(B, K, 3)`.
    pub(crate) fn eval_points(&self, clouds: &Tensor) -> candle_core::Result<Tensor> {
        let (b, w) = clouds.dims2()?;
        let pts = clouds.reshape((b, w / 3, 3))?;
        match &self.eval_subset_t {
            Some(idx) => pts.index_select(idx, 1),
            None => Ok(pts),
        }
    }

    /// p(x | z[, c]): latents `(B, latent)` (and conditions `(B, C)`) → clouds `(B, 3N)`.
    pub(crate) fn decode(&self, z: &Tensor, cond: Option<&Tensor>) -> candle_core::Result<Tensor> {
        let input = match cond {
            Some(c) => Tensor::cat(&[z, c], 1)?,
            None => z.clone(),
        };
        run(&self.decoder, &input, false)
    }
}

/// The fixed pseudo-random subset of `k` of `n` point indices, sorted.
fn eval_subset(n: usize, k: usize) -> Vec<u32> {
    if k >= n {
        return (0..n as u32).collect();
    }
    let mut rng = StdRng::seed_from_u64(EVAL_SUBSET_SEED);
    let mut idx: Vec<u32> = sample(&mut rng, n, k)
        .into_iter()
        .map(|i| i as u32)
        .collect();
    idx.sort_unstable();
    idx
}

/// Networks plus their variable store: the body of a VAE or CVAE. Cloning shares the weights.
#[derive(Clone)]
pub(crate) struct VaeCore {
    pub(crate) config: PointVaeConfig,
    pub(crate) nets: VaeNets,
    pub(crate) varmap: VarMap,
    pub(crate) device: Device,
}

impl std::fmt::Debug for VaeCore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VaeCore")
            .field("config", &self.config)
            .field("parameters", &self.parameter_count())
            .finish()
    }
}

impl VaeCore {
    /// Fresh networks, every weight and bias of a layer with `fan_in` inputs uniform in
    /// ±1/√fan_in (PyTorch's `nn.Linear` default), drawn from `seed` in name order.
    pub(crate) fn new(config: PointVaeConfig, seed: u64) -> Result<Self> {
        let core = Self::with_varmap(config, VarMap::new())?;
        let mut rng = StdRng::seed_from_u64(seed);
        for (name, var) in core.named_vars() {
            let dims = var.dims().to_vec();
            let fan_in = if name.ends_with(".weight") {
                dims[1]
            } else {
                // The bias of the same layer: its weight's fan-in.
                let w = core
                    .named_vars()
                    .into_iter()
                    .find(|(n, _)| *n == name.replace(".bias", ".weight"))
                    .expect("every bias has a weight");
                w.1.dims()[1]
            };
            let bound = 1.0 / (fan_in as f32).sqrt();
            let values: Vec<f32> = (0..var.elem_count())
                .map(|_| rng.random_range(-bound..bound))
                .collect();
            var.set(&Tensor::from_vec(values, dims, &core.device)?)?;
        }
        // Start with posteriors much narrower than the prior (σ_q = σ_p / 10), so that z carries
        // the encoder's signal rather than noise from the first step (see `INITIAL_STD_RATIO`).
        let init = 2.0 * (INITIAL_STD_RATIO * core.config.prior_std).ln();
        let lv = core.nets.logvar.bias().expect("heads have biases");
        let var = core
            .named_vars()
            .into_iter()
            .find(|(_, v)| v.as_tensor().id() == lv.id())
            .expect("the head bias is a variable")
            .1;
        var.set(&Tensor::full(init, lv.dims(), &core.device)?)?;
        Ok(core)
    }

    /// Builds the networks on `varmap`, reusing variables already in it under the same names.
    pub(crate) fn with_varmap(config: PointVaeConfig, varmap: VarMap) -> Result<Self> {
        config.validate()?;
        let device = Device::Cpu;
        let vb = VarBuilder::from_varmap(&varmap, DType::F32, &device);
        let nets = VaeNets::new(&config, &vb)?;
        Ok(Self {
            config,
            nets,
            varmap,
            device,
        })
    }

    /// Every variable with its name, sorted by name.
    pub(crate) fn named_vars(&self) -> Vec<(String, Var)> {
        let data = self.varmap.data().lock().expect("varmap lock");
        let mut named: Vec<_> = data.iter().map(|(n, v)| (n.clone(), v.clone())).collect();
        named.sort_by(|a, b| a.0.cmp(&b.0));
        named
    }

    pub(crate) fn parameter_count(&self) -> usize {
        self.named_vars().iter().map(|(_, v)| v.elem_count()).sum()
    }

    /// Independent weights with the same values.
    pub(crate) fn deep_copy(&self) -> Result<Self> {
        let varmap = VarMap::new();
        {
            let mut target = varmap.data().lock().expect("varmap lock");
            for (name, var) in self.named_vars() {
                target.insert(name, Var::from_tensor(&var.as_tensor().copy()?)?);
            }
        }
        Self::with_varmap(self.config.clone(), varmap)
    }

    /// Checks a batch of clouds: `(B, 3N)` or `(B, N, 3)` f32 with finite values → `(B, 3N)`.
    pub(crate) fn check_clouds(&self, clouds: &Tensor, op: &'static str) -> Result<Tensor> {
        let w = self.config.cloud_len();
        let ok = match clouds.dims() {
            [_, x] => *x == w,
            [_, n, 3] => *n == self.config.n_points,
            _ => false,
        };
        if !ok || clouds.dtype() != DType::F32 {
            return Err(Error::ShapeMismatch {
                op,
                expected: format!("f32 clouds (B, {w}) or (B, {}, 3)", self.config.n_points),
                got: format!("{:?} {:?}", clouds.dtype(), clouds.dims()),
            });
        }
        let b = clouds.dim(0)?;
        let flat = clouds.reshape((b, w))?;
        check_finite_tensor(&flat, "point cloud")?;
        Ok(flat)
    }

    /// Checks conditions `(B, C)` for a CVAE.
    pub(crate) fn check_cond(&self, cond: &Tensor, b: usize, op: &'static str) -> Result<()> {
        let c = self.config.cond_dim;
        if cond.dims() != [b, c] || cond.dtype() != DType::F32 {
            return Err(Error::ShapeMismatch {
                op,
                expected: format!("f32 conditions ({b}, {c})"),
                got: format!("{:?} {:?}", cond.dtype(), cond.dims()),
            });
        }
        check_finite_tensor(cond, "condition")
    }
}

/// [`Error::NonFinite`] naming the first NaN or infinite value of `t`.
pub(crate) fn check_finite_tensor(t: &Tensor, what: &'static str) -> Result<()> {
    // A NaN or ∞ anywhere makes the sum non-finite; only then look for the index.
    let total = t.sum_all()?.to_scalar::<f32>()?;
    if total.is_finite() {
        return Ok(());
    }
    let values = t.flatten_all()?.to_vec1::<f32>()?;
    check_finite(&values, what)
}

/// [`Error::NonFinite`] naming the first NaN or infinite value.
pub(crate) fn check_finite(values: &[f32], what: &'static str) -> Result<()> {
    match values.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(Error::NonFinite { what, index }),
        None => Ok(()),
    }
}
