//! Inference-only evaluation of an [`ArGmm`] on plain `f32` buffers: batched ancestral sampling
//! and log-likelihood without autograd, tensors or per-sample allocation.
//!
//! The batch is cut into fixed chunks of [`CHUNK`] rows that run in parallel (rayon); each
//! chunk draws from its own RNG seeded from the caller's, so a seed gives the same samples
//! whatever the number of threads. Each chunk runs the per-coordinate MLPs with `gemm`
//! (single-threaded inside the chunk) and fuses bias, LeakyReLU and the mixture maths in one pass.

use rand::{rngs::StdRng, Rng, RngCore, SeedableRng};
use rand_distr::StandardNormal;
use rayon::prelude::*;

use crate::features::Frame;
use crate::mlp::LEAKY_SLOPE;
use crate::{ArGmm, ArGmmConfig, Mlp, Result};

/// Largest mixture size the fast path supports (checked by [`crate::ArGmmConfig::validate`]).
pub const MAX_COMPONENTS: usize = 64;

/// Rows per parallel work item.
pub const CHUNK: usize = 512;

/// One dense layer: `w` is `(out, in)` row-major (candle's layout), `b` is `(out,)`.
#[derive(Debug, Clone)]
struct Dense {
    w: Vec<f32>,
    b: Vec<f32>,
    output: usize,
}

/// An MLP copied out of candle.
#[derive(Debug, Clone)]
struct DenseNet {
    layers: Vec<Dense>,
}

impl DenseNet {
    fn from_mlp(mlp: &Mlp) -> Result<Self> {
        let layers = mlp
            .layers()
            .iter()
            .map(|l| -> Result<Dense> {
                let (output, _) = l.weight().dims2()?;
                let w = l.weight().flatten_all()?.to_vec1::<f32>()?;
                let b = match l.bias() {
                    Some(b) => b.to_vec1::<f32>()?,
                    None => vec![0.0; output],
                };
                Ok(Dense { w, b, output })
            })
            .collect::<Result<_>>()?;
        Ok(Self { layers })
    }

    fn widest(&self) -> usize {
        self.layers.iter().map(|l| l.output).max().unwrap_or(0)
    }

    /// Forward pass of `rows` rows of `x` (row stride `x_stride`; the first `layers[0].input`
    /// columns are used). `a` and `b` are scratch of at least `rows × widest()`; the result
    /// `(rows, last output)` is returned as a slice of one of them.
    fn forward<'s>(
        &self,
        x: &[f32],
        x_stride: usize,
        rows: usize,
        a: &'s mut [f32],
        b: &'s mut [f32],
    ) -> &'s [f32] {
        let last = self.layers.len() - 1;
        let (mut src, mut dst) = (a, b);
        let first = &self.layers[0];
        dense(
            x,
            x_stride,
            rows,
            first,
            &mut src[..rows * first.output],
            last > 0,
        );
        for i in 1..=last {
            let (prev, layer) = (&self.layers[i - 1], &self.layers[i]);
            dense(
                &src[..rows * prev.output],
                prev.output,
                rows,
                layer,
                &mut dst[..rows * layer.output],
                i < last,
            );
            std::mem::swap(&mut src, &mut dst);
        }
        &src[..rows * self.layers[last].output]
    }
}

/// `dst (rows, out) = src (rows, in) · wᵀ + b`, then LeakyReLU if `activate`.
fn dense(
    src: &[f32],
    src_stride: usize,
    rows: usize,
    layer: &Dense,
    dst: &mut [f32],
    activate: bool,
) {
    linear_forward(src, src_stride, rows, &layer.w, &layer.b, dst);
    if activate {
        leaky_relu_in_place(dst);
    }
}

/// `dst (rows, out) = src (rows, in) · wᵀ + b` with `gemm`, single-threaded: `w` is `(out, in)`
/// row-major (candle's layout), `b` is `(out,)`, rows of `src` are `src_stride` apart.
///
/// # Panics
/// If a buffer is too short for the shapes.
pub(crate) fn linear_forward(
    src: &[f32],
    src_stride: usize,
    rows: usize,
    w: &[f32],
    b: &[f32],
    dst: &mut [f32],
) {
    let n = b.len();
    let k = w.len() / n.max(1);
    assert!(
        rows == 0 || src.len() >= (rows - 1) * src_stride + k,
        "source too short"
    );
    assert!(
        dst.len() == rows * n && w.len() == n * k,
        "destination/weight sizes"
    );
    for row in dst.chunks_exact_mut(n) {
        row.copy_from_slice(b);
    }
    // SAFETY: the assertions above bound every index gemm touches: lhs (rows × k, row stride
    // src_stride), rhs = wᵀ (k × n: element (p, o) at o·k + p), dst (rows × n, row stride n).
    unsafe {
        gemm::gemm(
            rows,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            n as isize,
            true,
            src.as_ptr(),
            1,
            src_stride as isize,
            w.as_ptr(),
            k as isize,
            1,
            1.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

/// LeakyReLU in place, as max(x, slope·x) (valid for 0 < slope < 1): branch-free, vectorises.
pub(crate) fn leaky_relu_in_place(values: &mut [f32]) {
    let slope = LEAKY_SLOPE as f32;
    for v in values.iter_mut() {
        *v = v.max(*v * slope);
    }
}

/// A snapshot of an [`ArGmm`]'s weights for fast, gradient-free evaluation.
#[derive(Debug, Clone)]
pub struct ArGmmSampler {
    nets: Vec<DenseNet>,
    config: ArGmmConfig,
    mid: Vec<f32>,
    half: Vec<f32>,
}

/// Per-chunk scratch buffers.
struct Scratch {
    /// Network input of the current coordinate, `(rows, input_width(j))`.
    input: Vec<f32>,
    /// Normalised values so far, `(rows, D)`.
    x_n: Vec<f32>,
    /// Per-row frame of the current joint (with a chain).
    frames: Vec<Frame>,
    a: Vec<f32>,
    b: Vec<f32>,
}

impl ArGmmSampler {
    /// Copies the current weights of `model`.
    ///
    /// # Errors
    /// Tensor read-back errors.
    pub fn new(model: &ArGmm) -> Result<Self> {
        let c = model.config();
        let nets = model
            .nets()
            .iter()
            .map(DenseNet::from_mlp)
            .collect::<Result<_>>()?;
        let (mid, half) = c.centres_and_half_ranges();
        Ok(Self {
            nets,
            config: c.clone(),
            mid,
            half,
        })
    }

    fn dim(&self) -> usize {
        self.nets.len()
    }

    fn scratch(&self, rows: usize) -> Scratch {
        let widest = self.nets.iter().map(DenseNet::widest).max().unwrap_or(0);
        let frames = match &self.config.chain {
            Some(chain) => vec![chain.start(); rows],
            None => Vec::new(),
        };
        Scratch {
            input: vec![0.0; rows * self.config.input_width(self.dim())],
            x_n: vec![0.0; rows * self.dim()],
            frames,
            a: vec![0.0; rows * widest],
            b: vec![0.0; rows * widest],
        }
    }

    /// Draws `n` samples for one raw context (`C` values, e.g. a target in metres): `(n, D)`
    /// row-major, clipped to the limits.
    pub fn sample(&self, context: &[f32], n: usize, rng: &mut StdRng) -> Vec<f32> {
        self.draw(context, n, rng, false).0
    }

    /// Like [`Self::sample`], also returning each sample's log-density (at the clipped value).
    pub fn sample_with_log_prob(
        &self,
        context: &[f32],
        n: usize,
        rng: &mut StdRng,
    ) -> (Vec<f32>, Vec<f32>) {
        self.draw(context, n, rng, true)
    }

    fn draw(
        &self,
        context: &[f32],
        n: usize,
        rng: &mut StdRng,
        with_log_prob: bool,
    ) -> (Vec<f32>, Vec<f32>) {
        let d = self.dim();
        let mut x = vec![0.0f32; n * d];
        let mut log_p = vec![0.0f32; n];
        let seeds: Vec<u64> = (0..n.div_ceil(CHUNK)).map(|_| rng.next_u64()).collect();
        x.par_chunks_mut(CHUNK * d)
            .zip(log_p.par_chunks_mut(CHUNK))
            .zip(seeds.par_iter())
            .for_each(|((xc, lc), &seed)| {
                let mut rng = StdRng::seed_from_u64(seed);
                self.run_chunk(context, xc, lc, Some(&mut rng), with_log_prob);
            });
        (x, log_p)
    }

    /// Log-likelihood of each row of `x` (`(n, D)` row-major) for one raw context.
    pub fn log_prob(&self, context: &[f32], x: &[f32]) -> Vec<f32> {
        let d = self.dim();
        let n = x.len() / d;
        let mut x = x.to_vec();
        let mut log_p = vec![0.0f32; n];
        x.par_chunks_mut(CHUNK * d)
            .zip(log_p.par_chunks_mut(CHUNK))
            .for_each(|(xc, lc)| {
                self.run_chunk(context, xc, lc, None, true);
            });
        log_p
    }

    /// Runs the chain rule over one chunk: samples `x` when `rng` is given (teacher-forces the
    /// given `x` otherwise) and, if asked, accumulates the log-density into `log_p`.
    fn run_chunk(
        &self,
        context: &[f32],
        x: &mut [f32],
        log_p: &mut [f32],
        mut rng: Option<&mut StdRng>,
        with_log_prob: bool,
    ) {
        let cfg = &self.config;
        let (c, d, k) = (cfg.context_dim, self.dim(), cfg.components);
        let rows = log_p.len();
        let context_n: Vec<f32> = (0..c)
            .map(|i| (context[i] - cfg.context_mean[i]) / cfg.context_std[i])
            .collect();
        let mut s = self.scratch(rows);
        log_p.fill(0.0);
        let log_norm = 0.5 * (2.0 * std::f32::consts::PI).ln();
        let mut weights = [0.0f32; MAX_COMPONENTS];
        for (j, net) in self.nets.iter().enumerate() {
            // Assemble the input rows: [context_n, x_n[..j], features_j]. The first coordinate's
            // input is the same for every row (context and the chain's start frame only), so its
            // network runs once per chunk.
            let width = cfg.input_width(j);
            let net_rows = if j == 0 { 1 } else { rows };
            for r in 0..net_rows {
                let row = &mut s.input[r * width..(r + 1) * width];
                row[..c].copy_from_slice(&context_n);
                row[c..c + j].copy_from_slice(&s.x_n[r * d..r * d + j]);
                if let Some(chain) = &cfg.chain {
                    chain.joint_features(j, &s.frames[r], context, &mut row[c + j..]);
                }
            }
            let output = net.forward(&s.input, width, net_rows, &mut s.a, &mut s.b);
            let scale = self.half[j] * cfg.range_slack;
            for r in 0..rows {
                let o = if j == 0 { 0 } else { r };
                let out = &output[o * 3 * k..(o + 1) * 3 * k];
                let (logits, rest) = out.split_at(k);
                let (mean_raw, std_raw) = rest.split_at(k);
                let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                let mut total = 0.0;
                for (w, l) in weights.iter_mut().zip(logits) {
                    *w = (l - max).exp();
                    total += *w;
                }
                let mean = |m: usize| self.mid[j] + scale * mean_raw[m].tanh();
                let std = |m: usize| softplus(std_raw[m]) + cfg.min_std;
                let value = match rng.as_deref_mut() {
                    Some(rng) => {
                        let mut u: f32 = rng.random::<f32>() * total;
                        let mut comp = k - 1;
                        for (m, w) in weights[..k].iter().enumerate() {
                            if u < *w {
                                comp = m;
                                break;
                            }
                            u -= w;
                        }
                        let e: f32 = rng.sample(StandardNormal);
                        let v = (mean(comp) + std(comp) * e).clamp(cfg.lower[j], cfg.upper[j]);
                        x[r * d + j] = v;
                        v
                    }
                    None => x[r * d + j],
                };
                if with_log_prob {
                    // log Σ_m w_m/total · N(value; μ_m, σ_m), stably.
                    let log_total = max + total.ln();
                    let mut terms = [0.0f32; MAX_COMPONENTS];
                    let terms = &mut terms[..k];
                    let mut tmax = f32::NEG_INFINITY;
                    for (m, t) in terms.iter_mut().enumerate() {
                        let sd = std(m);
                        let z = (value - mean(m)) / sd;
                        *t = logits[m] - log_total - 0.5 * z * z - sd.ln() - log_norm;
                        tmax = tmax.max(*t);
                    }
                    let sum: f32 = terms.iter().map(|t| (t - tmax).exp()).sum();
                    log_p[r] += tmax + sum.ln();
                }
                s.x_n[r * d + j] = (value - self.mid[j]) / self.half[j];
                if let Some(chain) = &cfg.chain {
                    s.frames[r] = chain.advance(j, &s.frames[r], value);
                }
            }
        }
    }
}

/// softplus(x) = max(x, 0) + ln(1 + e^{−|x|}), stable for large |x|.
pub(crate) fn softplus(x: f32) -> f32 {
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}
