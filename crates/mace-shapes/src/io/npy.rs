//! NPY point clouds: one little-endian `float32` or `float64` array of shape `(n, 3)`.
//!
//! Reads format versions 1.0, 2.0 and 3.0 (C or Fortran order); writes version 1.0, `<f4`,
//! C order.

use std::path::Path;

use crate::error::{Error, Result};
use crate::io::atomic::{read_bytes, write_atomic};
use crate::io::MAX_POINTS;
use crate::point_cloud::PointCloud;

/// Reads an `(n, 3)` float array from NPY bytes held in memory; `origin` names it in errors.
///
/// # Errors
/// [`Error::Npy`] naming the field (`magic`, `version`, `header`, `descr`, `fortran_order`,
/// `shape`, `data`) and value, for a truncated body or one longer than `shape` says;
/// [`Error::TooMany`] above [`MAX_POINTS`] rows (before allocating); [`Error::EmptyCloud`] for
/// `n = 0`; [`Error::NonFinite`].
pub fn parse_npy(bytes: &[u8], origin: &str) -> Result<PointCloud> {
    let read = |bytes: &[u8]| {
        let h = mace_core::npy::header(bytes, origin, MAX_POINTS * 3)?;
        if !matches!(h.shape.as_slice(), [_, 3]) {
            return Err(mace_core::npy::NpyError {
                origin: origin.to_string(),
                field: "shape",
                value: format!("{:?}", h.shape),
                reason: "expected (n, 3)".into(),
            });
        }
        mace_core::npy::decode_f32(bytes, origin, MAX_POINTS * 3)
    };
    let a = read(bytes).map_err(|e| {
        // A shape past the limit: say how many rows, as the other readers do.
        let rows = e
            .value
            .trim_matches(|c| c == '(' || c == ')')
            .split(',')
            .next()
            .and_then(|r| r.trim().parse::<u64>().ok());
        match (e.field, rows) {
            ("shape", Some(count)) if count > MAX_POINTS as u64 => Error::TooMany {
                origin: origin.to_string(),
                what: "rows of `shape`".into(),
                count,
                limit: MAX_POINTS as u64,
            },
            _ => Error::Npy {
                origin: e.origin,
                field: e.field,
                value: e.value,
                reason: e.reason,
            },
        }
    })?;
    let points = a.data.chunks_exact(3).map(|p| [p[0], p[1], p[2]]).collect();
    PointCloud::with_origin(points, origin)
}

/// Reads the NPY file at `path` (see [`parse_npy`]).
///
/// # Errors
/// [`Error::Io`], or as [`parse_npy`] with `origin` = the path.
pub fn read_npy(path: impl AsRef<Path>) -> Result<PointCloud> {
    let path = path.as_ref();
    parse_npy(&read_bytes(path)?, &path.display().to_string())
}

/// Encodes `cloud` as NPY version 1.0: `<f4`, C order, shape `(n, 3)`.
pub fn encode_npy(cloud: &PointCloud) -> Vec<u8> {
    mace_core::npy::encode_f32(cloud.as_flat(), &[cloud.len(), 3])
}

/// Writes `cloud` to `path` as NPY, atomically (temporary file + rename).
///
/// # Errors
/// [`Error::Io`] naming the path.
pub fn write_npy(path: impl AsRef<Path>, cloud: &PointCloud, force: bool) -> Result<()> {
    write_atomic(path.as_ref(), &encode_npy(cloud), force)
}
