//! Errors of the experiments: a bad setting, a problem with no answer, or an error of a crate
//! below, with what was being done when it happened.

use std::path::PathBuf;

/// Everything that can go wrong in an experiment or recipe.
#[derive(thiserror::Error, Debug)]
#[non_exhaustive]
pub enum Error {
    /// A setting is outside its valid range.
    #[error("{field} {reason}, got {value}")]
    Invalid {
        /// The setting, as the command line names it (e.g. `--budget`).
        field: &'static str,
        /// The value given, formatted.
        value: String,
        /// What it must satisfy, e.g. `must be a positive number of seconds`.
        reason: String,
    },
    /// The experiment cannot go on (no feasible target, an unreachable target, no solution).
    #[error("{0}")]
    Failed(String),
    /// A file is not what it should be.
    #[error("{}: {reason}", path.display())]
    BadFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// An error below, with what was being done.
    #[error("{context}")]
    Context {
        /// What was being done.
        context: String,
        /// The error.
        #[source]
        source: Box<Error>,
    },
    /// The tuner.
    #[error(transparent)]
    Core(#[from] mace_core::Error),
    /// Robots, scenes, collision, IK.
    #[error(transparent)]
    Robot(#[from] mace_robot::Error),
    /// Networks and checkpoints.
    #[error(transparent)]
    Models(#[from] mace_models::Error),
    /// Point clouds, grasps, depth views.
    #[error(transparent)]
    Shapes(#[from] mace_shapes::Error),
    /// Tensors.
    #[error(transparent)]
    Candle(#[from] candle_core::Error),
    /// Reading or writing files.
    #[error(transparent)]
    File(#[from] mace_core::fs::FileError),
}

/// Result with [`enum@Error`] as the default error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Adds what was being done to an error.
pub trait Context<T> {
    /// Wraps the error with `context`.
    fn context(self, context: impl Into<String>) -> Result<T>;
    /// Wraps the error with the context `f()` makes (only on error).
    fn with_context<S: Into<String>>(self, f: impl FnOnce() -> S) -> Result<T>;
}

impl<T, E: Into<Error>> Context<T> for std::result::Result<T, E> {
    fn context(self, context: impl Into<String>) -> Result<T> {
        self.map_err(|e| Error::Context {
            context: context.into(),
            source: Box::new(e.into()),
        })
    }

    fn with_context<S: Into<String>>(self, f: impl FnOnce() -> S) -> Result<T> {
        self.map_err(|e| Error::Context {
            context: f().into(),
            source: Box::new(e.into()),
        })
    }
}

/// Returns early with [`Error::Failed`] and a formatted message.
macro_rules! fail {
    ($($arg:tt)*) => {
        return Err($crate::Error::Failed(format!($($arg)*)))
    };
}
pub(crate) use fail;
