//! # mace-models: generative networks for MACE, on candle
//!
//! - [`ArGmm`]: a conditional autoregressive Gaussian-mixture density model (the IK prior), with
//!   exact log-likelihood and batched ancestral sampling; [`ConditionedArGmm`] is what the tuner
//!   adapts.
//! - [`checkpoint`]: safetensors weights + a JSON config, written atomically.
//! - [`train`]: the seeded training loop with a held-out split.

mod ar_gmm;
pub mod checkpoint;
mod error;
pub mod fast;
pub mod fast_train;
pub mod features;
mod mlp;
pub mod train;
pub mod vae;

pub use ar_gmm::{ArGmm, ArGmmConfig, ConditionedArGmm, Inputs, MAX_LAYERS, MAX_WIDTH};
pub use error::{Error, Result};
pub use mlp::{Mlp, LEAKY_SLOPE};
