//! Errors of the robot simulator: URDF and scene parsing, chain validation, bad configurations.

use std::path::PathBuf;

/// Everything that can go wrong while loading robots and scenes or evaluating configurations.
#[derive(thiserror::Error, Debug)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file that was read.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The URDF text is not valid URDF XML.
    #[error("malformed URDF {origin}: {}", fold(&source.to_string()))]
    Urdf {
        /// Where the text came from (a file path, or `<string>`).
        origin: String,
        /// The parser's error.
        #[source]
        source: urdf_rs::UrdfError,
    },
    /// A robot description (URDF, robot TOML, SRDF) has an invalid field for a kinematic chain.
    #[error("invalid robot {origin}: {}: {}", fold(field), fold(reason))]
    InvalidRobot {
        /// Where the text came from (a file path, or `<string>`).
        origin: String,
        /// The offending element or field, e.g. `joint "j1" axis`.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The scene TOML is malformed or has an invalid field.
    #[error("invalid scene {origin}: {}", fold(reason))]
    Scene {
        /// Where the scene came from (a file path, a scene name, or `<string>`).
        origin: String,
        /// What is wrong (the TOML parser's message names the field and line).
        reason: String,
    },
    /// A robot name that is neither shipped nor a `.urdf` or `.toml` file.
    #[error(
        "unknown robot `{}`: expected one of {known}, or a .urdf or robot .toml file",
        fold(name)
    )]
    UnknownRobot {
        /// The name that was given.
        name: String,
        /// The shipped robots.
        known: String,
    },
    /// A prior or dataset made for another robot.
    #[error("{what} was made for robot {made_for}, not for {robot}")]
    WrongRobot {
        /// The prior or dataset.
        what: String,
        /// The robot it records.
        made_for: String,
        /// The robot it was given with.
        robot: String,
    },
    /// A scene name that is neither built in nor an existing `.toml` file.
    #[error(
        "unknown scene `{}`: expected one of wall, window, box or a path to a .toml file",
        fold(name)
    )]
    UnknownScene {
        /// The name that was given.
        name: String,
    },
    /// A configuration or batch of the wrong shape.
    #[error("shape mismatch in {op}: expected {expected}, got {}", fold(got))]
    ShapeMismatch {
        /// The operation that checked the shape.
        op: &'static str,
        /// The expected shape, formatted.
        expected: String,
        /// The shape that was found, formatted.
        got: String,
    },
    /// A joint value that is NaN or infinite.
    #[error("configuration {index}: joint {joint} is not finite ({value})")]
    NonFinite {
        /// Index of the configuration in its batch.
        index: usize,
        /// Index of the joint (0-based).
        joint: usize,
        /// The offending value.
        value: f32,
    },
    /// A joint value outside the URDF limits (used where limits must hold, e.g. datasets).
    #[error("configuration {index}: joint {joint} = {value} outside [{min}, {max}]")]
    JointLimit {
        /// Index of the configuration in its batch.
        index: usize,
        /// Name of the joint.
        joint: String,
        /// The offending value (rad or m).
        value: f32,
        /// Lower limit.
        min: f32,
        /// Upper limit.
        max: f32,
    },
    /// An empty batch where at least one configuration is needed.
    #[error("empty batch in {op}: at least one configuration is needed")]
    EmptyBatch {
        /// The operation that needed a non-empty batch.
        op: &'static str,
    },
    /// A count above what the library allows (checked before allocating).
    #[error("{what} = {value} is more than the limit of {max}")]
    TooMany {
        /// What was counted, e.g. `dataset size`.
        what: &'static str,
        /// The count asked for.
        value: usize,
        /// The limit.
        max: usize,
    },
    /// Random configurations of a robot almost all collide with the robot itself.
    #[error(
        "only {kept} of {drawn} random configurations are free of self-collision: adjacent links \
         probably overlap (disable those pairs with an SRDF or `ignore_pairs` in a robot TOML)"
    )]
    AlwaysInCollision {
        /// Collision-free configurations found.
        kept: usize,
        /// Configurations drawn.
        drawn: usize,
    },
    /// An IK target with a NaN or infinite coordinate.
    #[error("target {target:?} is not finite: three finite coordinates in metres are needed")]
    NonFiniteTarget {
        /// The target that was given, metres.
        target: [f32; 3],
    },
    /// An IK target's orientation or free axis that is not valid.
    #[error("invalid target: {reason}")]
    InvalidTarget {
        /// What is wrong.
        reason: String,
    },
    /// A solve method name that is not `prior`, `numeric`, `hybrid` or `mace`.
    #[error("unknown solve method `{name}`: expected prior, numeric, hybrid or mace")]
    UnknownMethod {
        /// The name that was given.
        name: String,
    },
    /// A sampler returned a batch of the wrong length.
    #[error("the sampler returned {got} values for {n} samples of {dof} joints")]
    BadSamples {
        /// Samples asked for.
        n: usize,
        /// Joints per sample.
        dof: usize,
        /// Values returned.
        got: usize,
    },
    /// A solve option out of range.
    #[error("invalid solve option: {reason}")]
    InvalidSolveConfig {
        /// What is wrong.
        reason: String,
    },
    /// A file of configurations (or another input) that is not what it should be.
    #[error("{}: {}", path.display(), fold(reason))]
    BadFile {
        /// The file.
        path: PathBuf,
        /// What is wrong, naming the element (e.g. `configuration 3, joint 2`).
        reason: String,
    },
    /// A file that cannot be read as input (not found, a FIFO, too large).
    #[error(transparent)]
    File(#[from] mace_core::fs::FileError),
    /// An error from candle (tensor access).
    #[error(transparent)]
    Candle(#[from] candle_core::Error),
}

/// Result with [`enum@Error`] as the default error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<Error> for mace_core::Error {
    fn from(e: Error) -> Self {
        mace_core::Error::Simulator(Box::new(e))
    }
}

/// `text` on one line: line breaks and other control characters become spaces.
pub(crate) fn fold(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// A TOML parse error as one line: `line L, column C: what` (the parser's own message spans
/// several lines with a snippet of the file).
pub(crate) fn toml_error_line(e: &toml::de::Error, text: &str) -> String {
    let message = fold(e.message().trim());
    match e.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
            format!("line {line}, column {column}: {message}")
        }
        None => message,
    }
}
