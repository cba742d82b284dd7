//! Point-cloud VAE (the grasp domain's prior), MACE-VAE and the CVAE baseline (paper §3.2.1,
//! §4.1), on candle.
//!
//! - [`PointVae`]: PointNet encoder + MLP decoder, sizes in [`PointVaeConfig`].
//! - [`chamfer`]: the Chamfer distance and its differentiable surrogate (nearest neighbours
//!   found outside autograd).
//! - [`train_point_vae`] / [`train_cvae`]: Chamfer + β·KL, Adam, held-out Chamfer per epoch,
//!   best epoch restored. Training runs hand-written forward/backward passes (`gemm`, rayon)
//!   checked against candle's autograd; inference and tuning run on candle.
//! - [`TunableLatentPrior`]: the frozen VAE with a tunable latent prior N(μ_z, σ_z²), a
//!   [`mace_core::GenerativeModel`]; [`LatentUpdate::Exact`] swaps Adam for the closed-form
//!   maximiser ([`ExactLatentOptimizer`]).
//! - [`MixtureLatentPrior`]: the same with a mixture of Gaussians as latent prior, fitted to
//!   the elites by EM ([`MixtureEm`]; ours).
//! - [`LatentBasis`]: principal axes of the codes, the coordinates a fitted latent prior lives
//!   in (a diagonal Gaussian in z draws off-data codes; see its module docs).
//! - [`Cvae`]: conditional VAE q(x | c), the amortised baseline.
//! - [`checkpoint`]: `weights.safetensors` (f32 or f16) + `config.json`, written atomically.
//!
//! # Sizes and speed (2 shared cores, Nov 2026; `tests/vae_timing.rs`)
//!
//! One training step at batch 64 (forward, Chamfer, backward, Adam), freshly initialised
//! weights (the worst case for the nearest-neighbour search), ranges over runs with the other
//! core idle … busy:
//!
//! | sizes | params | step @64 | sample 128 | encode 8 |
//! |---|---|---|---|---|
//! | paper (2048 points → 64-128-256-256-512) | 7.34 M | 0.8–2.4 s | 15–40 ms | 100–270 ms |
//! | paper widths, 512 points | 7.34 M | 0.6–0.9 s | 14–40 ms | 25–45 ms |
//! | **`cpu()`**: 512 points → 64-128-256 | 7.08 M | 0.17–0.45 s | 15–40 ms | 6–16 ms |
//! | `cpu()` reading all 2048 points | 7.08 M | 0.48–0.72 s | 15–40 ms | 35–70 ms |
//! | `cpu()`, decoder 64-128-512 | 3.41 M | 0.22–0.32 s | 11–15 ms | 6–13 ms |
//!
//! [`PointVaeConfig::cpu`] is the default: the paper's decoder and latent (what sampling and
//! tuning see) with an encoder that reads a random 512 of the 2048 points through 3 → 64 → 128 →
//! 256. The encoder only has to summarise a shape into 128 numbers; the paper encoder costs 5×
//! the step for it. At ≈ 0.2–0.3 s per step (≈ 0.18 s measured mid-training, once predictions
//! are near their targets and the nearest-neighbour sweep prunes well) an epoch of 3400 shapes
//! (53 steps) takes 11–16 s: 60–90 epochs in 15–25 minutes. Weights: 28.3 MB as f32, 14.2 MB
//! as f16 ([`checkpoint::WeightsDtype::F16`]).
//!
//! Threads: the training path splits its products and the nearest-neighbour search over the
//! rayon pool; two threads run a step 1.6–2× faster than one when the second core is free
//! (`RAYON_NUM_THREADS=1`: 0.28–0.40 s). Nearest neighbours for 64 pairs of 2048-point clouds:
//! 29–60 ms (5× less than a brute-force AVX2 scan).
//!
//! Tuning (reference grasp settings 128 / 128 / q = 1/16 / 8 grad steps, `cpu()` sizes, a
//! free evidence): MACE with Adam 6.1 ms per iteration with the encoder cache, 21.5 ms without
//! (the 8 elites of a fresh sample stay the same for 8 steps); exact update 6.4 ms; IS 36 ms
//! with the cache, 322 ms without (it evaluates every fresh sample under θ0 and θ).

mod basis;
mod config;
mod cvae;
mod dense;
mod fast;
mod gmm;
mod mixture;
mod model;
mod nets;
mod prior;
mod train;

pub mod chamfer;
pub mod checkpoint;

pub use basis::{Encodings, LatentBasis};
pub use config::PointVaeConfig;
pub use cvae::Cvae;
pub use gmm::{fit_diagonal_mixture, DiagonalMixture};
pub use mixture::{
    active_axes, LatentMixture, MixtureEm, MixtureLatentPrior, MixtureSettings, DRAWN_CAPACITY,
    MAX_ACTIVE_AXES, MAX_COMPONENTS, MAX_LATENT_MAGNITUDE,
};
pub use model::{kl_to_isotropic, PointVae};
pub use prior::{
    CacheStats, ExactLatentOptimizer, LatentUpdate, TunableLatentPrior, DEFAULT_CACHE_ROWS,
};
pub use train::{
    time_train_step, train_cvae, train_point_vae, VaeEpochStats, VaeTrainConfig, VaeTrainingRecord,
};
