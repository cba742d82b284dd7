//! Errors of the tuner and its configuration.

use std::error::Error as StdError;

/// Everything that can go wrong while configuring or running a tuning job.
#[derive(thiserror::Error, Debug)]
#[non_exhaustive]
pub enum Error {
    /// A configuration field is outside its valid range.
    #[error("invalid config: `{field}` = {value} ({reason})")]
    Config {
        /// Name of the offending field, as in [`crate::TuneConfig`].
        field: &'static str,
        /// The value that was given, formatted.
        value: String,
        /// What the field must satisfy.
        reason: &'static str,
    },
    /// The evidence returned a score that is NaN or outside [0, 1].
    #[error("score of sample {index} is {value}, but scores must be finite and in [0, 1]")]
    InvalidScore {
        /// Index of the sample within the evaluated batch.
        index: usize,
        /// The offending score.
        value: f32,
    },
    /// The evidence returned a different number of scores than samples.
    #[error("evidence returned {got} scores for {expected} samples")]
    ScoreCount {
        /// Number of samples passed to the evidence.
        expected: usize,
        /// Number of scores it returned.
        got: usize,
    },
    /// The model returned a batch of the wrong shape.
    #[error("shape mismatch in {op}: expected {expected}, got {got}")]
    ShapeMismatch {
        /// The operation that checked the shape.
        op: &'static str,
        /// The expected shape, formatted.
        expected: String,
        /// The shape that was found, formatted.
        got: String,
    },
    /// The loss became NaN or infinite; the model keeps the parameters of the last finite step.
    #[error("loss is not finite ({loss}) at iteration {iteration}; parameters kept from the last finite step")]
    NonFiniteLoss {
        /// Iteration (0-based) at which it happened.
        iteration: usize,
        /// The loss value.
        loss: f64,
    },
    /// A gradient became NaN or infinite; the step was not applied.
    #[error(
        "gradient of variable {variable} is not finite at iteration {iteration}; step not applied"
    )]
    NonFiniteGradient {
        /// Iteration (0-based) at which it happened.
        iteration: usize,
        /// Index of the variable in [`crate::GenerativeModel::trainable_vars`].
        variable: usize,
    },
    /// The model has no variables for the tuner to move.
    #[error("the model exposes no trainable variables")]
    NoTrainableVars,
    /// An error from candle (tensor ops, autograd, I/O of weights).
    #[error(transparent)]
    Candle(#[from] candle_core::Error),
    /// An error raised by a generative model implementation.
    #[error("model: {0}")]
    Model(#[source] Box<dyn StdError + Send + Sync>),
    /// An error raised by a simulator or score implementation.
    #[error("simulator: {0}")]
    Simulator(#[source] Box<dyn StdError + Send + Sync>),
}

/// Result with [`enum@Error`] as the default error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
