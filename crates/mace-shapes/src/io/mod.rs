//! Point-cloud and mesh files: PLY, NPY, JSON points and OBJ. Every writer is atomic (temporary file +
//! rename), every reader names the file, line or field at fault in its error.

mod atomic;
pub mod json;
pub mod npy;
pub mod obj;
pub mod ply;

use std::path::Path;

use crate::error::{Error, Result};
use crate::point_cloud::PointCloud;

pub use json::{parse_json_points, read_json_points};
pub use npy::{encode_npy, parse_npy, read_npy, write_npy};
pub use obj::{encode_obj, parse_obj, read_obj, sample_obj, write_obj};
pub use ply::{encode_ply, parse_ply, read_ply, write_ply, PlyEncoding};

fn extension(path: &Path) -> String {
    path.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default()
}

/// Reads a point cloud by file extension: `.ply` ([`read_ply`]), `.npy` ([`read_npy`]) or
/// `.json` ([`read_json_points`]).
///
/// # Errors
/// [`Error::InvalidParameter`] for another extension; otherwise as the reader.
pub fn read_point_cloud(path: impl AsRef<Path>) -> Result<PointCloud> {
    let path = path.as_ref();
    match extension(path).as_str() {
        "ply" => read_ply(path),
        "npy" => read_npy(path),
        "json" => PointCloud::new(read_json_points(path)?),
        _ => Err(Error::InvalidParameter {
            name: "path",
            value: path.display().to_string(),
            reason: "expected a .ply, .npy or .json file (sample .obj meshes with sample_obj)",
        }),
    }
}

/// Writes a point cloud by file extension: `.ply` (binary little-endian) or `.npy`.
///
/// # Errors
/// [`Error::InvalidParameter`] for another extension; [`Error::Io`].
pub fn write_point_cloud(path: impl AsRef<Path>, cloud: &PointCloud, force: bool) -> Result<()> {
    let path = path.as_ref();
    match extension(path).as_str() {
        "ply" => write_ply(path, cloud, PlyEncoding::BinaryLittleEndian, force),
        "npy" => write_npy(path, cloud, force),
        _ => Err(Error::InvalidParameter {
            name: "path",
            value: path.display().to_string(),
            reason: "expected a .ply or .npy file",
        }),
    }
}
