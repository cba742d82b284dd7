//! Errors of the models, their checkpoints and their training.

use std::path::PathBuf;

/// Everything that can go wrong building, loading, training or sampling a model.
#[derive(thiserror::Error, Debug)]
#[non_exhaustive]
pub enum Error {
    /// A configuration field is invalid.
    #[error("invalid model config: `{field}` = {value} ({reason})")]
    Config {
        /// The field.
        field: &'static str,
        /// Its value, formatted.
        value: String,
        /// The rule it breaks.
        reason: &'static str,
    },
    /// A tensor has the wrong shape.
    #[error("shape mismatch in {op}: expected {expected}, got {got}")]
    ShapeMismatch {
        /// The operation that checked.
        op: &'static str,
        /// Expected shape.
        expected: String,
        /// Actual shape.
        got: String,
    },
    /// A context or input value is NaN or infinite.
    #[error("{what} holds a non-finite value at index {index}")]
    NonFinite {
        /// What was checked (e.g. "context").
        what: &'static str,
        /// Flat index of the first bad value.
        index: usize,
    },
    /// A checkpoint file is missing, unreadable or does not fit the model.
    #[error("checkpoint {path}: {reason}")]
    Checkpoint {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// Training diverged (NaN or infinite loss).
    #[error("training diverged at epoch {epoch}, batch {batch}: loss {loss}")]
    Diverged {
        /// Epoch (0-based).
        epoch: usize,
        /// Batch within the epoch (0-based).
        batch: usize,
        /// The loss value.
        loss: f64,
    },
    /// The caller's per-epoch hook (e.g. saving a checkpoint) failed.
    #[error(transparent)]
    Hook(Box<dyn std::error::Error + Send + Sync>),
    /// An error from candle (its message only: candle appends a backtrace when
    /// `RUST_BACKTRACE` is set, which an error line must not carry).
    #[error("{}", first_line(.0))]
    Candle(#[from] candle_core::Error),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// Result with [`enum@Error`] as the default error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<Error> for mace_core::Error {
    fn from(e: Error) -> Self {
        match e {
            Error::Candle(c) => mace_core::Error::Candle(c),
            other => mace_core::Error::Model(Box::new(other)),
        }
    }
}

/// The first line of `e`'s message.
fn first_line(e: &candle_core::Error) -> String {
    e.to_string().lines().next().unwrap_or_default().to_string()
}
