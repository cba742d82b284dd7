//! Conditional autoregressive Gaussian-mixture density model p(x | c) = Π_j p(x_j | c, x_<j).
//!
//! Each conditional p(x_j | c, x_<j) is a mixture of K Gaussians whose logits, means and standard
//! deviations come from an MLP of the (normalised) context and previous coordinates:
//! - means are squashed into coordinate j's range by tanh with `range_slack` (1.1 in the reference);
//! - standard deviations are softplus(·) + `min_std` (a floor, in the units of x);
//! - the log-likelihood is exact (log-sum-exp over components, chain rule over coordinates);
//! - samples are drawn ancestrally, coordinate by coordinate, and clipped to the limits
//!   (by the gradient-free fast path in [`crate::fast`]).
//!
//! For IK: x = 7 joint angles (radians), c = 3-D target TCP position (metres), or for a pose
//! prior the TCP position and the first two columns of its rotation (9 numbers).

use candle_core::{DType, Device, Module, Tensor, Var, D};
use candle_nn::{VarBuilder, VarMap};
use rand::{rngs::StdRng, Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::fast::ArGmmSampler;
use crate::features::ChainFeatures;
use crate::mlp::Mlp;
use crate::{Error, Result};

/// Sizes and normalisation of an [`ArGmm`]. Stored as JSON beside the weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArGmmConfig {
    /// Names of the modelled coordinates (e.g. joint names); length D.
    pub names: Vec<String>,
    /// Lower limit of each coordinate; length D.
    pub lower: Vec<f32>,
    /// Upper limit of each coordinate; length D.
    pub upper: Vec<f32>,
    /// Dimension C of the context.
    pub context_dim: usize,
    /// Per-dimension mean of the context, used to normalise it; length C.
    pub context_mean: Vec<f32>,
    /// Per-dimension standard deviation of the context; length C.
    pub context_std: Vec<f32>,
    /// Hidden layer widths of each per-coordinate MLP.
    pub hidden: Vec<usize>,
    /// Mixture components K per coordinate.
    pub components: usize,
    /// Floor of the mixture standard deviations, in the units of x.
    pub min_std: f32,
    /// Means may reach `range_slack` × the half-range around the range's centre.
    pub range_slack: f32,
    /// Kinematic features of a serial chain (see [`crate::features`]); requires a 3-D context
    /// (the target position, metres), or with [`ChainFeatures::pose`] a 9-D pose context
    /// ([`crate::features::pose_context`]). `None`: the networks see only context and previous
    /// values.
    #[serde(default)]
    pub chain: Option<ChainFeatures>,
    /// What the model was made for (a robot's name, joints and kinematics fingerprint, as the
    /// robot crate records them); checked when the model is loaded for a robot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub made_for: Option<serde_json::Value>,
}

impl ArGmmConfig {
    /// Width of the input of coordinate `j`'s network: context, the `j` previous coordinates
    /// and, with a chain, its kinematic features.
    pub fn input_width(&self, j: usize) -> usize {
        let features = self
            .chain
            .as_ref()
            .map_or(0, ChainFeatures::features_per_joint);
        self.context_dim + j + features
    }

    /// The centre and half-width of each coordinate's range: x ↦ (x − centre) / half maps the
    /// limits to [−1, 1].
    pub fn centres_and_half_ranges(&self) -> (Vec<f32>, Vec<f32>) {
        let pairs = self.lower.iter().zip(&self.upper);
        (
            pairs.clone().map(|(l, u)| 0.5 * (l + u)).collect(),
            pairs.map(|(l, u)| 0.5 * (u - l)).collect(),
        )
    }

    /// Number of modelled coordinates D.
    pub fn dim(&self) -> usize {
        self.names.len()
    }

    /// Checks sizes and values.
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
        let d = self.dim();
        if d == 0 {
            return bad("names", "[]".into(), "at least one coordinate");
        }
        if self.lower.len() != d || self.upper.len() != d {
            return bad(
                "lower/upper",
                format!("{}/{}", self.lower.len(), self.upper.len()),
                "one limit per coordinate",
            );
        }
        if let Some(j) = (0..d).find(|&j| {
            !(self.lower[j].is_finite()
                && self.upper[j].is_finite()
                && self.lower[j] < self.upper[j])
        }) {
            return bad(
                "lower/upper",
                format!("[{}, {}] at {j}", self.lower[j], self.upper[j]),
                "lower < upper",
            );
        }
        if self.context_mean.len() != self.context_dim || self.context_std.len() != self.context_dim
        {
            return bad(
                "context_mean/std",
                format!("{}", self.context_mean.len()),
                "one per context dimension",
            );
        }
        // Magnitudes the networks compute with in f32 without overflow.
        const BIG: f32 = 1e6;
        if let Some(j) = (0..d).find(|&j| self.lower[j].abs() > BIG || self.upper[j].abs() > BIG) {
            return bad(
                "lower/upper",
                format!("[{}, {}] at {j}", self.lower[j], self.upper[j]),
                "limits within ±1e6",
            );
        }
        if self
            .context_mean
            .iter()
            .any(|m| !(m.is_finite() && m.abs() <= BIG))
        {
            return bad(
                "context_mean",
                format!("{:?}", self.context_mean),
                "finite, within ±1e6",
            );
        }
        if self
            .context_std
            .iter()
            .any(|s| !(s.is_finite() && (1e-6..=BIG).contains(s)))
        {
            return bad(
                "context_std",
                format!("{:?}", self.context_std),
                "between 1e-6 and 1e6",
            );
        }
        if let Some(chain) = &self.chain {
            if chain.len() != d || self.context_dim != chain.context_dim() {
                return bad(
                    "chain",
                    format!("{} joints, context {}", chain.len(), self.context_dim),
                    "one joint per coordinate and a 3-D target (9-D with a pose) context",
                );
            }
        }
        if self.components == 0 || self.components > crate::fast::MAX_COMPONENTS {
            return bad(
                "components",
                self.components.to_string(),
                "between 1 and 64",
            );
        }
        if self.hidden.contains(&0) {
            return bad(
                "hidden",
                format!("{:?}", self.hidden),
                "no zero-width layer",
            );
        }
        if self.hidden.len() > MAX_LAYERS || self.hidden.iter().any(|&w| w > MAX_WIDTH) {
            return bad(
                "hidden",
                format!("{:?}", self.hidden),
                "at most 8 layers of at most 4096 units",
            );
        }
        if !(self.min_std.is_finite() && self.min_std > 0.0 && self.min_std <= 1e3) {
            return bad(
                "min_std",
                self.min_std.to_string(),
                "positive, at most 1000",
            );
        }
        if !(self.range_slack.is_finite() && (1.0..=100.0).contains(&self.range_slack)) {
            return bad(
                "range_slack",
                self.range_slack.to_string(),
                "between 1 and 100",
            );
        }
        Ok(())
    }
}

/// Most hidden layers per joint network.
pub const MAX_LAYERS: usize = 8;
/// Widest hidden layer (4096 units: 16.8 M weights between two such layers, 64 MiB).
pub const MAX_WIDTH: usize = 4096;

/// The conditional autoregressive Gaussian mixture. Cloning shares the weights.
#[derive(Clone)]
pub struct ArGmm {
    config: ArGmmConfig,
    nets: Vec<Mlp>,
    varmap: VarMap,
    device: Device,
}

impl std::fmt::Debug for ArGmm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArGmm")
            .field("config", &self.config)
            .field("parameters", &self.parameter_count())
            .finish()
    }
}

/// Mixture parameters of one coordinate for a batch: each `(B, K)`.
struct MixtureParams {
    log_weights: Tensor,
    means: Tensor,
    stds: Tensor,
}

impl ArGmm {
    /// A freshly initialised model, its weights drawn from `seed`: every weight and bias of a
    /// layer with `fan_in` inputs uniform in ±1/√fan_in (PyTorch's `nn.Linear` default).
    ///
    /// # Errors
    /// [`Error::Config`] for an invalid config.
    pub fn new(config: ArGmmConfig, seed: u64) -> Result<Self> {
        let model = Self::with_varmap(config, VarMap::new())?;
        let mut rng = StdRng::seed_from_u64(seed);
        for net in &model.nets {
            for layer in net.layers() {
                let (_, fan_in) = layer.weight().dims2()?;
                let bound = 1.0 / (fan_in as f32).sqrt();
                let tensors = std::iter::once(layer.weight()).chain(layer.bias());
                for t in tensors {
                    let values: Vec<f32> = (0..t.elem_count())
                        .map(|_| rng.random_range(-bound..bound))
                        .collect();
                    let var = model
                        .var_of(t)
                        .expect("layer tensors are variables of the model");
                    var.set(&Tensor::from_vec(values, t.shape(), &model.device)?)?;
                }
            }
        }
        Ok(model)
    }

    /// The variable whose storage is `t`.
    pub(crate) fn var_of(&self, t: &Tensor) -> Option<Var> {
        let data = self.varmap.data().lock().expect("varmap lock");
        data.values()
            .find(|v| v.as_tensor().id() == t.id())
            .cloned()
    }

    /// Builds the networks on `varmap`, reusing any variable already in it under the same name.
    pub(crate) fn with_varmap(config: ArGmmConfig, varmap: VarMap) -> Result<Self> {
        config.validate()?;
        let device = Device::Cpu;
        let vb = VarBuilder::from_varmap(&varmap, DType::F32, &device);
        let nets = (0..config.dim())
            .map(|j| {
                Mlp::new(
                    config.input_width(j),
                    &config.hidden,
                    3 * config.components,
                    vb.pp(format!("joint{j}")),
                )
            })
            .collect::<candle_core::Result<_>>()?;
        Ok(Self {
            config,
            nets,
            varmap,
            device,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &ArGmmConfig {
        &self.config
    }

    /// The per-coordinate networks.
    pub(crate) fn nets(&self) -> &[Mlp] {
        &self.nets
    }

    /// The variable store (for saving and loading weights).
    pub fn varmap(&self) -> &VarMap {
        &self.varmap
    }

    /// All weights, in a stable order (sorted by name).
    pub fn vars(&self) -> Vec<Var> {
        let data = self.varmap.data().lock().expect("varmap lock");
        let mut named: Vec<_> = data.iter().collect();
        named.sort_by(|a, b| a.0.cmp(b.0));
        named.into_iter().map(|(_, v)| v.clone()).collect()
    }

    /// Number of scalar parameters.
    pub fn parameter_count(&self) -> usize {
        self.vars().iter().map(|v| v.elem_count()).sum()
    }

    /// A deep copy: independent weights with the same values.
    ///
    /// # Errors
    /// Tensor copy errors.
    pub fn deep_copy(&self) -> Result<Self> {
        let varmap = VarMap::new();
        {
            let source = self.varmap.data().lock().expect("varmap lock");
            let mut target = varmap.data().lock().expect("varmap lock");
            for (name, var) in source.iter() {
                target.insert(name.clone(), Var::from_tensor(&var.as_tensor().copy()?)?);
            }
        }
        Self::with_varmap(self.config.clone(), varmap)
    }

    /// Normalises raw contexts `(B, C)` with the stored mean and std.
    ///
    /// # Errors
    /// Shape errors.
    pub fn normalise_context(&self, context: &Tensor) -> Result<Tensor> {
        let c = self.config.context_dim;
        let mean = Tensor::from_slice(&self.config.context_mean, (1, c), &self.device)?;
        let std = Tensor::from_slice(&self.config.context_std, (1, c), &self.device)?;
        Ok(context.broadcast_sub(&mean)?.broadcast_div(&std)?)
    }

    /// Maps x `(B, D)` to [−1, 1] per coordinate by its limits.
    fn normalise_x(&self, x: &Tensor) -> Result<Tensor> {
        let (mid, half) = self.mid_half();
        let d = self.config.dim();
        let mid = Tensor::from_vec(mid, (1, d), &self.device)?;
        let half = Tensor::from_vec(half, (1, d), &self.device)?;
        Ok(x.broadcast_sub(&mid)?.broadcast_div(&half)?)
    }

    fn mid_half(&self) -> (Vec<f32>, Vec<f32>) {
        self.config.centres_and_half_ranges()
    }

    /// Mixture parameters of coordinate `j` from `input = [context_n, x_n[:, :j]]`, `(B, C + j)`.
    fn mixture(&self, net: &Mlp, j: usize, input: &Tensor) -> Result<MixtureParams> {
        let k = self.config.components;
        let out = net.forward(input)?; // (B, 3K)
        let log_weights = candle_nn::ops::log_softmax(&out.narrow(1, 0, k)?, D::Minus1)?;
        let (mid, half) = self.mid_half();
        let scale = (half[j] * self.config.range_slack) as f64;
        let means = out.narrow(1, k, k)?.tanh()?.affine(scale, mid[j] as f64)?;
        let stds = (softplus(&out.narrow(1, 2 * k, k)?)? + self.config.min_std as f64)?;
        Ok(MixtureParams {
            log_weights,
            means,
            stds,
        })
    }

    /// Everything the networks read for a batch: `x` `(B, D)` in the units of the limits and
    /// raw contexts `(B, C)`. Compute once and reuse (training does) or let [`Self::log_prob`]
    /// do it.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] for inconsistent shapes.
    pub fn inputs(&self, x: &Tensor, context: &Tensor) -> Result<Inputs> {
        let (b, d) = x.dims2()?;
        let (bc, c) = context.dims2()?;
        if d != self.config.dim() || c != self.config.context_dim || bc != b {
            return Err(Error::ShapeMismatch {
                op: "ArGmm::inputs",
                expected: format!(
                    "x (n, {}) and context (n, {})",
                    self.config.dim(),
                    self.config.context_dim
                ),
                got: format!("x ({b}, {d}), context ({bc}, {c})"),
            });
        }
        let features = match &self.config.chain {
            None => None,
            Some(chain) => {
                let f = chain.features_per_joint();
                let xs = x.to_dtype(DType::F32)?.flatten_all()?.to_vec1::<f32>()?;
                let cs = context
                    .to_dtype(DType::F32)?
                    .flatten_all()?
                    .to_vec1::<f32>()?;
                let mut out = vec![0f32; b * d * f];
                for i in 0..b {
                    chain.all_features(
                        &xs[i * d..(i + 1) * d],
                        &cs[i * c..(i + 1) * c],
                        &mut out[i * d * f..(i + 1) * d * f],
                    );
                }
                Some(Tensor::from_vec(out, (b, d, f), &self.device)?)
            }
        };
        Ok(Inputs {
            x: x.clone(),
            x_n: self.normalise_x(x)?,
            context_n: self.normalise_context(context)?,
            features,
        })
    }

    /// log p(x | c) per row for prepared [`Inputs`]: `(B,)`, differentiable in all weights.
    ///
    /// # Errors
    /// Tensor errors.
    pub fn log_prob_inputs(&self, inputs: &Inputs) -> Result<Tensor> {
        let mut total: Option<Tensor> = None;
        for (j, net) in self.nets.iter().enumerate() {
            let term = self.joint_log_prob(net, j, inputs)?;
            total = Some(match total {
                None => term,
                Some(t) => (t + term)?,
            });
        }
        Ok(total.expect("dim ≥ 1"))
    }

    /// log p(x | c) per row: `x` `(B, D)`, raw contexts `(B, C)` → `(B,)`, in nats.
    ///
    /// # Errors
    /// As [`Self::inputs`].
    pub fn log_prob(&self, x: &Tensor, context: &Tensor) -> Result<Tensor> {
        self.log_prob_inputs(&self.inputs(x, context)?)
    }

    /// log p(x_j | c, x_<j), `(B,)`.
    fn joint_log_prob(&self, net: &Mlp, j: usize, inputs: &Inputs) -> Result<Tensor> {
        let mut parts = vec![inputs.context_n.clone()];
        if j > 0 {
            parts.push(inputs.x_n.narrow(1, 0, j)?);
        }
        if let Some(f) = &inputs.features {
            parts.push(f.narrow(1, j, 1)?.squeeze(1)?);
        }
        let input = Tensor::cat(&parts, 1)?;
        let p = self.mixture(net, j, &input)?;
        let xj = inputs.x.narrow(1, j, 1)?; // (B, 1)
        let z = xj.broadcast_sub(&p.means)?.div(&p.stds)?;
        let log_norm = 0.5 * (2.0 * std::f64::consts::PI).ln();
        let log_comp = ((z.sqr()? * -0.5)? - p.stds.log()?)?.affine(1.0, -log_norm)?;
        Ok(log_sum_exp(&(log_comp + p.log_weights)?)?)
    }

    /// The model conditioned on one context (e.g. an IK target): a [`mace_core::GenerativeModel`].
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] for a context of the wrong length, [`Error::NonFinite`] for NaN.
    pub fn conditioned(&self, context: &[f32]) -> Result<ConditionedArGmm> {
        if context.len() != self.config.context_dim {
            return Err(Error::ShapeMismatch {
                op: "ArGmm::conditioned",
                expected: format!("{} context values", self.config.context_dim),
                got: format!("{}", context.len()),
            });
        }
        if let Some(index) = context.iter().position(|v| !v.is_finite()) {
            return Err(Error::NonFinite {
                what: "context",
                index,
            });
        }
        let context_t = Tensor::from_slice(context, (1, context.len()), &self.device)?;
        Ok(ConditionedArGmm {
            model: self.clone(),
            context: context.to_vec(),
            context_t,
            tuned_joints: self.config.dim(),
            logit_lr_scale: 1.0,
        })
    }
}

/// What the networks read for a batch (see [`ArGmm::inputs`]).
#[derive(Debug, Clone)]
pub struct Inputs {
    /// Values `(B, D)`.
    pub x: Tensor,
    /// Values mapped to [−1, 1] by the limits, `(B, D)`.
    pub x_n: Tensor,
    /// Normalised contexts `(B, C)`.
    pub context_n: Tensor,
    /// Kinematic features `(B, D, F)`, with a chain.
    pub features: Option<Tensor>,
}

impl Inputs {
    /// The rows `index` (`(k,)` u32) of every part.
    ///
    /// # Errors
    /// Tensor errors.
    pub fn select(&self, index: &Tensor) -> Result<Inputs> {
        Ok(Inputs {
            x: self.x.index_select(index, 0)?,
            x_n: self.x_n.index_select(index, 0)?,
            context_n: self.context_n.index_select(index, 0)?,
            features: self
                .features
                .as_ref()
                .map(|f| f.index_select(index, 0))
                .transpose()?,
        })
    }

    /// Rows `start..start + len` of every part.
    ///
    /// # Errors
    /// Tensor errors.
    pub fn narrow(&self, start: usize, len: usize) -> Result<Inputs> {
        Ok(Inputs {
            x: self.x.narrow(0, start, len)?,
            x_n: self.x_n.narrow(0, start, len)?,
            context_n: self.context_n.narrow(0, start, len)?,
            features: self
                .features
                .as_ref()
                .map(|f| f.narrow(0, start, len))
                .transpose()?,
        })
    }
}

/// An [`ArGmm`] with a fixed context: what the tuner adapts. Shares weights with the model it
/// came from (tuning it moves them).
#[derive(Debug, Clone)]
pub struct ConditionedArGmm {
    model: ArGmm,
    context: Vec<f32>,
    /// The same, `(1, C)`.
    context_t: Tensor,
    /// Tuning moves the networks of the first `tuned_joints` coordinates only.
    tuned_joints: usize,
    /// The tuner's optimiser moves the mixture logits at this multiple of its learning rate.
    logit_lr_scale: f32,
}

impl ConditionedArGmm {
    /// Restricts tuning to the networks of the first `n` coordinates (clamped to 1..=D).
    ///
    /// For a kinematic chain with kinematic features, the early joints choose the arm's
    /// posture (the IK branch) and the later ones place the tool precisely *given* that
    /// posture; an obstacle changes which posture is good, not the geometry of the later
    /// joints, so tuning only the early networks keeps the prior's precision.
    pub fn with_tuned_joints(mut self, n: usize) -> Self {
        self.tuned_joints = n.clamp(1, self.model.config.dim());
        self
    }

    /// The tuner's optimiser ([`mace_core::GenerativeModel::optimizer`]) moves the mixture
    /// logits at `scale` × its learning rate, means and widths at the learning rate (default
    /// 1: all alike). With a larger scale, tuning drops the mixture components its elites do
    /// not use much sooner (see [`crate::fast_train::FastTrainer::set_logit_lr_scale`]).
    ///
    /// # Errors
    /// [`Error::Config`] unless `scale` is finite and positive.
    pub fn with_logit_lr_scale(mut self, scale: f32) -> Result<Self> {
        self.logit_lr_scale = crate::fast_train::checked_logit_lr_scale(scale)?;
        Ok(self)
    }

    /// The multiplier of the learning rate of the mixture logits.
    pub fn logit_lr_scale(&self) -> f32 {
        self.logit_lr_scale
    }

    /// The number of leading coordinates whose networks tuning moves.
    pub fn tuned_joints(&self) -> usize {
        self.tuned_joints
    }

    /// The underlying model.
    pub fn model(&self) -> &ArGmm {
        &self.model
    }

    /// The raw context.
    pub fn context(&self) -> &[f32] {
        &self.context
    }
}

impl mace_core::GenerativeModel for ConditionedArGmm {
    fn sample(&self, n: usize, rng: &mut StdRng) -> mace_core::Result<Tensor> {
        let x = ArGmmSampler::new(&self.model)?.sample(&self.context, n, rng);
        Ok(Tensor::from_vec(
            x,
            (n, self.model.config.dim()),
            &self.model.device,
        )?)
    }

    fn log_prob(&self, samples: &Tensor) -> mace_core::Result<Tensor> {
        let n = samples.dims().first().copied().unwrap_or(0);
        let c = self
            .context_t
            .broadcast_as((n, self.model.config.context_dim))?;
        Ok(self.model.log_prob(samples, &c)?)
    }

    fn log_prob_detached(&self, samples: &Tensor) -> mace_core::Result<Vec<f32>> {
        let (_, d) = samples.dims2()?;
        if d != self.model.config.dim() {
            return Err(Error::ShapeMismatch {
                op: "ConditionedArGmm::log_prob_detached",
                expected: format!("(n, {})", self.model.config.dim()),
                got: format!("{:?}", samples.dims()),
            }
            .into());
        }
        let x = samples.flatten_all()?.to_vec1::<f32>()?;
        Ok(ArGmmSampler::new(&self.model)?.log_prob(&self.context, &x))
    }

    fn trainable_vars(&self) -> Vec<Var> {
        self.model.nets()[..self.tuned_joints]
            .iter()
            .flat_map(|net| {
                net.layers()
                    .iter()
                    .flat_map(|l| std::iter::once(l.weight()).chain(l.bias()))
            })
            .filter_map(|t| self.model.var_of(t))
            .collect()
    }

    fn optimizer(&self, lr: f64) -> mace_core::Result<Box<dyn mace_core::ModelOptimizer + '_>> {
        Ok(Box::new(crate::fast_train::FastAdam::new(
            &self.model,
            &self.context,
            lr,
            self.tuned_joints,
            self.logit_lr_scale,
        )?))
    }

    fn frozen_copy(&self) -> mace_core::Result<Self> {
        Ok(Self {
            model: self.model.deep_copy()?,
            ..self.clone()
        })
    }
}

/// softplus(x) = max(x, 0) + log(1 + e^{−|x|}), stable for large |x|.
fn softplus(x: &Tensor) -> candle_core::Result<Tensor> {
    x.relu()? + (x.abs()?.neg()?.exp()? + 1.0)?.log()?
}

/// log Σ_k exp over the last dimension: `(B, K)` → `(B,)`.
fn log_sum_exp(x: &Tensor) -> candle_core::Result<Tensor> {
    mace_core::toy::log_sum_exp(x)
}

#[cfg(test)]
pub(crate) mod tests;
