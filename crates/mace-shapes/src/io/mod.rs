//! Point-cloud and mesh files: PLY, NPY, JSON points, PCD, OFF and OBJ. Every writer is atomic
//! (temporary file + rename), every reader names the file, line or field at fault in its error,
//! reads regular files only (a FIFO or `/dev/zero` is refused, see [`mace_core::fs::read_file`])
//! of at most 2 GiB, and refuses a header announcing more than [`MAX_POINTS`] points or
//! [`MAX_FACES`] faces before allocating for them.

mod atomic;
pub mod json;
pub mod npy;
pub mod obj;
pub mod off;
pub mod pcd;
pub mod ply;
mod shape;

use std::path::Path;

use crate::error::{Error, Result};
use crate::point_cloud::PointCloud;

pub use json::{parse_json_points, read_json_points};
pub use npy::{encode_npy, parse_npy, read_npy, write_npy};
pub use obj::{encode_obj, parse_obj, read_obj, sample_obj, write_obj};
pub use off::{encode_off, parse_off, read_off, write_off};
pub use pcd::{encode_pcd, parse_pcd, read_pcd, write_pcd, PcdEncoding};
pub use ply::{encode_ply, parse_ply, parse_ply_mesh, read_ply, write_ply, PlyEncoding};
pub use shape::{parse_shape, read_shape, ShapeData, ShapeFormat};

/// Most points (cloud points or mesh vertices) a reader accepts: 20 million (240 MB as `f32`).
/// Larger counts in a header are refused before anything is allocated.
pub const MAX_POINTS: usize = 20_000_000;

/// Most faces (PLY, OFF) or triangles (OBJ) a mesh reader accepts: 20 million.
pub const MAX_FACES: usize = 20_000_000;

pub(crate) fn extension(path: &Path) -> String {
    path.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default()
}

/// Reads a point cloud by file extension: `.ply` ([`read_ply`]), `.npy` ([`read_npy`]),
/// `.pcd` ([`read_pcd`]) or `.json` ([`read_json_points`]). Meshes: [`read_shape`].
///
/// # Errors
/// [`Error::InvalidParameter`] for another extension; otherwise as the reader.
pub fn read_point_cloud(path: impl AsRef<Path>) -> Result<PointCloud> {
    let path = path.as_ref();
    match extension(path).as_str() {
        "ply" => read_ply(path),
        "npy" => read_npy(path),
        "pcd" => read_pcd(path),
        "json" => PointCloud::with_origin(read_json_points(path)?, &path.display().to_string()),
        _ => Err(Error::InvalidParameter {
            name: "path",
            value: path.display().to_string(),
            reason: "expected a point cloud file: .ply, .npy, .pcd or .json",
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
