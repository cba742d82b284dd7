//! Rust errors as Python exceptions, with the one-line message the `mace` command prints after
//! `error: ` (the error and its causes, `outer: cause: …`, leaving out a cause whose text the
//! line already holds).
//!
//! Bad input — a setting out of range, an unknown robot or scene, a file that is not what it
//! should be or cannot be read (a prior folder's too), a prior made for another robot, a
//! target beyond reach, a non-finite value — is a `ValueError`; anything else (the tuner, the
//! networks, tensors) a `RuntimeError`. (A Python evidence's own exceptions are raised as they
//! are: see `evidence.rs`.)

use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::PyErr;

/// The error and its causes on one line, as `mace_cli::term::one_line` writes them.
pub(crate) fn one_line(err: &(dyn std::error::Error + 'static)) -> String {
    let mut line = String::new();
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cause {
        let text = e.to_string();
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        if !text.is_empty() && !line.contains(&text) {
            if !line.is_empty() {
                line.push_str(": ");
            }
            line.push_str(&text);
        }
        cause = e.source();
    }
    line
}

/// Whether a library error is about its input.
fn is_bad_input(err: &mace_lab::Error) -> bool {
    use mace_lab::Error as E;
    match err {
        E::Invalid { .. } | E::Failed(_) | E::BadFile { .. } | E::File(_) => true,
        E::Context { source, .. } => is_bad_input(source),
        E::Robot(r) => robot_bad_input(r),
        E::Shapes(_) => true,
        // A prior folder whose files are missing, unreadable or not a checkpoint of that kind.
        E::Models(m) => matches!(
            m,
            mace_models::Error::Checkpoint { .. }
                | mace_models::Error::Io { .. }
                | mace_models::Error::Config { .. }
        ),
        // A tuner setting out of range (or one the model cannot take, as `keep_best`).
        E::Core(c) => matches!(c, mace_core::Error::Config { .. }),
        _ => false,
    }
}

/// Whether a robot-crate error is about its input (every kind but tensors and a robot whose
/// random configurations all collide with itself).
fn robot_bad_input(err: &mace_robot::Error) -> bool {
    !matches!(
        err,
        mace_robot::Error::Candle(_) | mace_robot::Error::AlwaysInCollision { .. }
    )
}

/// A library error as `ValueError` (bad input) or `RuntimeError` (anything else).
pub(crate) fn lab(err: mace_lab::Error) -> PyErr {
    let message = one_line(&err);
    if is_bad_input(&err) {
        PyValueError::new_err(message)
    } else {
        PyRuntimeError::new_err(message)
    }
}

/// A robot-crate error as `ValueError` or `RuntimeError`.
pub(crate) fn robot(err: mace_robot::Error) -> PyErr {
    lab(mace_lab::Error::Robot(err))
}

/// Shorthand for `Result<T, mace_lab::Error>` → `PyResult<T>`.
pub(crate) trait IntoPy<T> {
    /// Converts the error.
    fn py_err(self) -> pyo3::PyResult<T>;
}

impl<T> IntoPy<T> for Result<T, mace_lab::Error> {
    fn py_err(self) -> pyo3::PyResult<T> {
        self.map_err(lab)
    }
}

impl<T> IntoPy<T> for Result<T, mace_robot::Error> {
    fn py_err(self) -> pyo3::PyResult<T> {
        self.map_err(robot)
    }
}
