//! NPY point clouds: one little-endian `float32` or `float64` array of shape `(n, 3)`.
//!
//! Reads format versions 1.0, 2.0 and 3.0 (C or Fortran order); writes version 1.0, `<f4`,
//! C order.

use std::path::Path;

use crate::error::{Error, Result};
use crate::io::atomic::{read_bytes, write_atomic};
use crate::io::MAX_POINTS;
use crate::point_cloud::PointCloud;

const MAGIC: &[u8] = b"\x93NUMPY";

fn npy_err(
    origin: &str,
    field: &'static str,
    value: impl Into<String>,
    reason: &'static str,
) -> Error {
    Error::Npy {
        origin: origin.to_string(),
        field,
        value: value.into(),
        reason,
    }
}

/// The value text after `'key':` in a header dict, up to the next top-level comma.
fn dict_value<'a>(header: &'a str, key: &str) -> Option<&'a str> {
    let k = header.find(&format!("'{key}'"))?;
    let rest = header[k + key.len() + 2..]
        .trim_start()
        .strip_prefix(':')?
        .trim_start();
    if rest.starts_with('(') {
        let end = rest.find(')')?;
        Some(&rest[..=end])
    } else {
        let end = rest.find([',', '}']).unwrap_or(rest.len());
        Some(rest[..end].trim())
    }
}

/// Reads an `(n, 3)` float array from NPY bytes held in memory; `origin` names it in errors.
///
/// # Errors
/// [`Error::Npy`] naming the field (`magic`, `version`, `header`, `descr`, `fortran_order`,
/// `shape`, `data`) and value, for a truncated body or one longer than `shape` says;
/// [`Error::TooMany`] above [`MAX_POINTS`] rows (before allocating); [`Error::EmptyCloud`] for
/// `n = 0`; [`Error::NonFinite`].
pub fn parse_npy(bytes: &[u8], origin: &str) -> Result<PointCloud> {
    if bytes.len() < 10 || &bytes[..6] != MAGIC {
        let shown = format!("{:?}", &bytes[..bytes.len().min(6)]);
        return Err(npy_err(origin, "magic", shown, "expected \\x93NUMPY"));
    }
    let major = bytes[6];
    let (hlen, hstart) = match major {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10usize),
        2 | 3 => {
            if bytes.len() < 12 {
                return Err(npy_err(
                    origin,
                    "header",
                    "truncated",
                    "file ends inside the header",
                ));
            }
            (
                u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
                12,
            )
        }
        v => {
            return Err(npy_err(
                origin,
                "version",
                v.to_string(),
                "expected 1, 2 or 3",
            ))
        }
    };
    let hend = hstart
        .checked_add(hlen)
        .filter(|&e| e <= bytes.len())
        .ok_or_else(|| {
            npy_err(
                origin,
                "header",
                format!("{hlen} bytes"),
                "file ends inside the header",
            )
        })?;
    let header = std::str::from_utf8(&bytes[hstart..hend])
        .map_err(|_| npy_err(origin, "header", "<non-UTF-8>", "header must be text"))?;

    let descr = dict_value(header, "descr")
        .ok_or_else(|| npy_err(origin, "descr", "<missing>", "header lacks 'descr'"))?;
    let descr = descr.trim_matches(|c| c == '\'' || c == '"');
    let size = match descr {
        "<f4" => 4,
        "<f8" => 8,
        _ => {
            return Err(npy_err(
                origin,
                "descr",
                descr,
                "expected little-endian float32 '<f4' or float64 '<f8'",
            ))
        }
    };
    let fortran = match dict_value(header, "fortran_order") {
        Some("False") | None => false,
        Some("True") => true,
        Some(v) => {
            return Err(npy_err(
                origin,
                "fortran_order",
                v,
                "expected True or False",
            ))
        }
    };
    let shape_text = dict_value(header, "shape")
        .ok_or_else(|| npy_err(origin, "shape", "<missing>", "header lacks 'shape'"))?;
    let dims: Option<Vec<usize>> = shape_text
        .trim_matches(|c| c == '(' || c == ')')
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().ok())
        .collect();
    let n = match dims.as_deref() {
        Some(&[n, 3]) => n,
        _ => return Err(npy_err(origin, "shape", shape_text, "expected (n, 3)")),
    };
    if n > MAX_POINTS {
        return Err(Error::TooMany {
            origin: origin.to_string(),
            what: "rows of `shape`".into(),
            count: n as u64,
            limit: MAX_POINTS as u64,
        });
    }
    let data = &bytes[hend..];
    let need = n * 3 * size;
    if data.len() != need {
        let rows = data.len() as f64 / (3 * size) as f64;
        return Err(npy_err(
            origin,
            "data",
            format!("{} bytes ({rows} rows)", data.len()),
            if data.len() < need {
                "fewer bytes than `shape` needs (truncated file)"
            } else {
                "more bytes than `shape` says (wrong shape in the header?)"
            },
        ));
    }
    let value = |k: usize| -> f32 {
        let b = &data[k * size..(k + 1) * size];
        if size == 4 {
            f32::from_le_bytes([b[0], b[1], b[2], b[3]])
        } else {
            f64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]) as f32
        }
    };
    let points = (0..n)
        .map(|i| {
            let at = |a: usize| {
                if fortran {
                    value(a * n + i)
                } else {
                    value(i * 3 + a)
                }
            };
            [at(0), at(1), at(2)]
        })
        .collect();
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
    let mut header = format!(
        "{{'descr': '<f4', 'fortran_order': False, 'shape': ({}, 3), }}",
        cloud.len()
    );
    // Pad with spaces so magic + version + length + header + '\n' is a multiple of 64.
    let unpadded = MAGIC.len() + 2 + 2 + header.len() + 1;
    header.extend(std::iter::repeat_n(' ', (64 - unpadded % 64) % 64));
    header.push('\n');
    let mut out = Vec::with_capacity(10 + header.len() + cloud.len() * 12);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[1, 0]);
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    for v in cloud.as_flat() {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out
}

/// Writes `cloud` to `path` as NPY, atomically (temporary file + rename).
///
/// # Errors
/// [`Error::Io`] naming the path.
pub fn write_npy(path: impl AsRef<Path>, cloud: &PointCloud, force: bool) -> Result<()> {
    write_atomic(path.as_ref(), &encode_npy(cloud), force)
}
