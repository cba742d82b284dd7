//! Errors of the pictures: inputs that cannot be drawn, and files that cannot be read or written.

use std::path::PathBuf;

/// Everything that can go wrong while drawing a picture or building a report.
#[derive(thiserror::Error, Debug)]
#[non_exhaustive]
pub enum Error {
    /// Nothing to draw: no panels, no clouds, no pictures to stack, or zero columns.
    #[error("nothing to draw: {what}")]
    Empty {
        /// What was missing, e.g. `"no panels"`.
        what: &'static str,
    },
    /// A picture size outside what the function accepts.
    #[error("{what} size {width}×{height} px is outside {min} … {max}")]
    Size {
        /// Which picture or part, e.g. `"panel"`.
        what: &'static str,
        /// Requested width, pixels.
        width: u32,
        /// Requested height, pixels.
        height: u32,
        /// Smallest accepted size, e.g. `"64×128"`.
        min: &'static str,
        /// Largest accepted size, e.g. `"8192×8192"`.
        max: &'static str,
    },
    /// The picture's memory could not be allocated.
    #[error("cannot allocate a {width}×{height} px picture")]
    Alloc {
        /// Width, pixels.
        width: u32,
        /// Height, pixels.
        height: u32,
    },
    /// A panel's collision flags do not match its configurations.
    #[error("panel `{panel}`: {flags} collision flags for {configs} configurations")]
    Flags {
        /// The panel's title.
        panel: String,
        /// Number of flags given.
        flags: usize,
        /// Number of configurations.
        configs: usize,
    },
    /// A panel's configurations could not be evaluated (wrong shape, not finite).
    #[error("panel `{panel}`: {source}")]
    Panel {
        /// The panel's title.
        panel: String,
        /// What the robot simulator reported.
        #[source]
        source: Box<mace_robot::Error>,
    },
    /// A point to draw has a non-finite coordinate.
    #[error("{what} has a non-finite coordinate")]
    NonFinite {
        /// Which input, e.g. `"a cloud point"`.
        what: &'static str,
    },
    /// PNG encoding failed.
    #[error("encoding PNG: {reason}")]
    Png {
        /// The encoder's message.
        reason: String,
    },
    /// A folder to report on could not be listed.
    #[error("listing folder {}: {source}", .path.display())]
    Folder {
        /// The folder.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// An error of the robot simulator (loading a robot or scene, checking configurations).
    #[error(transparent)]
    Robot(Box<mace_robot::Error>),
    /// A file could not be read or written.
    #[error(transparent)]
    File(#[from] mace_core::fs::FileError),
}

impl From<mace_robot::Error> for Error {
    fn from(e: mace_robot::Error) -> Self {
        Error::Robot(Box::new(e))
    }
}

/// Result with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
