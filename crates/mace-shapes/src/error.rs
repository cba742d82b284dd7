//! Errors of the shape crate: file formats, invalid clouds, bad parameters, grasp failures.
//!
//! Every variant names where the problem is (`origin`: a file path, or a label such as
//! `<points>` for in-memory data), the field and the offending value.

use std::path::PathBuf;

/// Everything that can go wrong while reading, generating or simulating point clouds.
#[derive(thiserror::Error, Debug)]
#[non_exhaustive]
pub enum Error {
    /// A file that cannot be read or written (not found, not a regular file, too large, or an
    /// existing file not to be replaced).
    #[error(transparent)]
    File(#[from] mace_core::fs::FileError),
    /// A file or folder could not be read or written.
    #[error("cannot access {}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The PLY header is malformed or unsupported.
    #[error("bad PLY header in {origin}, line {line} `{content}`: {reason}")]
    PlyHeader {
        /// The file (or `<memory>`).
        origin: String,
        /// 1-based header line number.
        line: usize,
        /// The offending line, trimmed.
        content: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The PLY body does not match its header (truncated, unparsable number, …).
    #[error("bad PLY data in {origin}: {reason}")]
    PlyData {
        /// The file (or `<memory>`).
        origin: String,
        /// What is wrong, naming the element and index.
        reason: String,
    },
    /// The NPY file is malformed or holds an unsupported array.
    #[error("bad NPY file {origin}: field `{field}` = {value}: {reason}")]
    Npy {
        /// The file (or `<memory>`).
        origin: String,
        /// The header field or part (`magic`, `descr`, `shape`, `data`, …).
        field: &'static str,
        /// The value that was found, formatted.
        value: String,
        /// What was expected.
        reason: String,
    },
    /// A JSON list of points is malformed.
    #[error("bad JSON points in {origin}: {reason}")]
    JsonPoints {
        /// The file (or `<memory>`).
        origin: String,
        /// What is wrong, naming the element.
        reason: String,
    },
    /// A line of an OBJ file cannot be parsed or names a missing vertex.
    #[error("bad OBJ {origin}, line {line} `{content}`: {reason}")]
    Obj {
        /// The file (or `<memory>`).
        origin: String,
        /// 1-based line number.
        line: usize,
        /// The offending line, trimmed.
        content: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A PCD header field is malformed or unsupported, or the data does not match it.
    #[error("bad PCD {origin}: field `{field}` = {value}: {reason}")]
    Pcd {
        /// The file (or `<memory>`).
        origin: String,
        /// The header field (`VERSION`, `FIELDS`, `SIZE`, `TYPE`, `COUNT`, `WIDTH`, `HEIGHT`,
        /// `POINTS`, `DATA`) or `data` for the body.
        field: &'static str,
        /// The value that was found, formatted.
        value: String,
        /// What is wrong or what was expected.
        reason: String,
    },
    /// A line of an OFF file cannot be parsed, or a face names a missing vertex.
    #[error("bad OFF {origin}, line {line} `{content}`: {reason}")]
    Off {
        /// The file (or `<memory>`).
        origin: String,
        /// 1-based line number (0: the file as a whole).
        line: usize,
        /// The offending line, trimmed and cut to 80 characters.
        content: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A shape file with fewer points than a shape needs.
    #[error("{origin}: {got} points, fewer than the {min} a shape needs")]
    TooFewPoints {
        /// The file.
        origin: String,
        /// Points found.
        got: usize,
        /// The minimum.
        min: usize,
    },
    /// A header announces more points, vertices or faces than a reader accepts; refused
    /// before anything is allocated.
    #[error("{origin}: {what} = {count}, more than the {limit} this reader accepts")]
    TooMany {
        /// The file.
        origin: String,
        /// What was counted, naming the header field (`element vertex`, `POINTS`, …).
        what: String,
        /// The count the header gives.
        count: u64,
        /// The limit.
        limit: u64,
    },
    /// A coordinate is NaN or infinite.
    #[error("{origin}: point {index} has non-finite coordinate {axis} = {value}")]
    NonFinite {
        /// Where the points came from.
        origin: String,
        /// Index of the point (0-based).
        index: usize,
        /// Axis of the coordinate: 0 = x, 1 = y, 2 = z.
        axis: usize,
        /// The offending value.
        value: f32,
    },
    /// A point cloud (or a mesh, or a batch) with zero points.
    #[error("{origin}: zero points")]
    EmptyCloud {
        /// Where the points came from.
        origin: String,
    },
    /// A cloud has a different number of points than required.
    #[error("{origin}: expected {expected} points, got {got}")]
    PointCount {
        /// Where the points came from.
        origin: String,
        /// The required number of points.
        expected: usize,
        /// The number found.
        got: usize,
    },
    /// Every face of a mesh has zero area, so its surface cannot be sampled.
    #[error("{origin}: all {faces} faces are degenerate (zero area)")]
    DegenerateMesh {
        /// Where the mesh came from.
        origin: String,
        /// Number of faces (triangles after fan triangulation).
        faces: usize,
    },
    /// A dataset folder holds no point-cloud files.
    #[error("no .ply files in {}", path.display())]
    EmptyDataset {
        /// The folder that was listed.
        path: PathBuf,
    },
    /// A parameter is outside its valid range.
    #[error("invalid parameter `{name}` = {value}: {reason}")]
    InvalidParameter {
        /// Name of the parameter or config field.
        name: &'static str,
        /// The value that was given, formatted.
        value: String,
        /// What the parameter must satisfy.
        reason: &'static str,
    },
    /// A batch or tensor of the wrong shape.
    #[error("shape mismatch in {op}: expected {expected}, got {got}")]
    ShapeMismatch {
        /// The operation that checked the shape.
        op: &'static str,
        /// The expected shape, formatted.
        expected: String,
        /// The shape that was found, formatted.
        got: String,
    },
    /// While observing a grasp, a finger met no point of the object.
    #[error(
        "finger {finger} touches nothing: no point lies within the finger's half-width of its line"
    )]
    FingerTouchesNothing {
        /// Index of the finger (0-based) in the simulator's direction list.
        finger: usize,
    },
    /// A depth camera placed inside the object's bounding sphere.
    #[error(
        "camera at distance {distance} is inside the object's bounding sphere of radius {radius}"
    )]
    CameraInsideObject {
        /// Distance of the camera from the origin.
        distance: f32,
        /// Radius of the cloud's bounding sphere about the origin.
        radius: f32,
    },
    /// An error from candle (tensor conversion).
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

impl Error {
    /// An [`Error::Io`] for `path`.
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}
