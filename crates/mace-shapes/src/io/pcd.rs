//! PCD point clouds (the Point Cloud Library's format, versions 0.5–0.7): `DATA ascii` and
//! `DATA binary`.
//!
//! Reads the `x y z` fields (any `TYPE`/`SIZE`, converted to `f32`; `COUNT` 1) and skips the
//! others (`rgb`, `normal_x`, padding `_`). `DATA binary_compressed` is refused with the
//! command that converts it. `WIDTH × HEIGHT` must equal `POINTS`, and the body must hold
//! exactly `POINTS` rows: fewer is a truncated file, more is an error naming both counts.
//! Binary data is little-endian (what PCL writes on every common machine). NaN coordinates
//! (PCL's "no measurement" in organised clouds) are an error naming the point: remove them
//! first (`pcl::removeNaNFromPointCloud`). Writes `float x y z`, ASCII or binary.

use std::path::Path;

use crate::error::{Error, Result};
use crate::io::atomic::{read_bytes, write_atomic};
use crate::io::MAX_POINTS;
use crate::point_cloud::PointCloud;

/// How a PCD body is encoded (`DATA ascii` or `DATA binary`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PcdEncoding {
    /// Text, one point per line.
    Ascii,
    /// Packed little-endian rows. The default.
    #[default]
    Binary,
}

fn pcd_err(
    origin: &str,
    field: &'static str,
    value: impl Into<String>,
    reason: impl Into<String>,
) -> Error {
    Error::Pcd {
        origin: origin.to_string(),
        field,
        value: value.into(),
        reason: reason.into(),
    }
}

/// One field's type: `I`, `U` or `F` with its size in bytes.
#[derive(Debug, Clone, Copy)]
struct FieldType {
    kind: u8,
    size: usize,
}

impl FieldType {
    /// Decodes one little-endian value from the front of `b` (at least `size` bytes).
    fn decode(self, b: &[u8]) -> f64 {
        macro_rules! get {
            ($t:ty, $n:expr) => {{
                let mut a = [0u8; $n];
                a.copy_from_slice(&b[..$n]);
                <$t>::from_le_bytes(a) as f64
            }};
        }
        match (self.kind, self.size) {
            (b'F', 4) => get!(f32, 4),
            (b'F', _) => get!(f64, 8),
            (b'I', 1) => get!(i8, 1),
            (b'I', 2) => get!(i16, 2),
            (b'I', 4) => get!(i32, 4),
            (b'I', _) => get!(i64, 8),
            (_, 1) => get!(u8, 1),
            (_, 2) => get!(u16, 2),
            (_, 4) => get!(u32, 4),
            _ => get!(u64, 8),
        }
    }
}

/// The header: fields, the point count, the encoding and where the body starts.
#[derive(Debug)]
struct Header {
    names: Vec<String>,
    types: Vec<FieldType>,
    counts: Vec<usize>,
    points: usize,
    binary: bool,
    body_start: usize,
}

fn numbers(origin: &str, field: &'static str, value: &str, tokens: &[&str]) -> Result<Vec<usize>> {
    tokens
        .iter()
        .map(|t| {
            t.parse::<usize>()
                .map_err(|_| pcd_err(origin, field, value, format!("`{t}` is not a count")))
        })
        .collect()
}

fn parse_header(bytes: &[u8], origin: &str) -> Result<Header> {
    if bytes.is_empty() {
        return Err(pcd_err(
            origin,
            "VERSION",
            "<empty file>",
            "0 bytes: not a PCD file",
        ));
    }
    let (mut names, mut sizes, mut kinds, mut counts) = (None, None, None, None);
    let (mut width, mut height, mut points): (Option<usize>, Option<usize>, Option<usize>) =
        (None, None, None);
    let mut pos = 0;
    loop {
        let Some(len) = bytes[pos..].iter().position(|&b| b == b'\n') else {
            return Err(pcd_err(
                origin,
                "DATA",
                "<missing>",
                "header ends without a `DATA` line",
            ));
        };
        let raw = &bytes[pos..pos + len];
        pos += len + 1;
        let text = std::str::from_utf8(raw).map_err(|_| {
            pcd_err(
                origin,
                "DATA",
                "<binary>",
                "header line is not text before `DATA`",
            )
        })?;
        let text = text.trim();
        let tokens: Vec<&str> = text.split_whitespace().collect();
        let value = tokens.get(1..).unwrap_or(&[]).join(" ");
        let one = |field: &'static str| -> Result<usize> {
            match tokens[1..] {
                [t] => t.parse().map_err(|_| {
                    pcd_err(origin, field, &value, "expected one non-negative integer")
                }),
                _ => Err(pcd_err(
                    origin,
                    field,
                    &value,
                    "expected one non-negative integer",
                )),
            }
        };
        match tokens.first().copied() {
            None => {}
            Some(t) if t.starts_with('#') => {}
            Some("VERSION") | Some("VIEWPOINT") => {}
            Some("FIELDS") | Some("COLUMNS") => {
                names = Some(
                    tokens[1..]
                        .iter()
                        .map(|s| s.to_string())
                        .collect::<Vec<_>>(),
                )
            }
            Some("SIZE") => sizes = Some(numbers(origin, "SIZE", &value, &tokens[1..])?),
            Some("COUNT") => counts = Some(numbers(origin, "COUNT", &value, &tokens[1..])?),
            Some("TYPE") => {
                kinds = Some(
                    tokens[1..]
                        .iter()
                        .map(|t| match *t {
                            "I" | "U" | "F" => Ok(t.as_bytes()[0]),
                            _ => Err(pcd_err(
                                origin,
                                "TYPE",
                                &value,
                                format!("`{t}` is not I, U or F"),
                            )),
                        })
                        .collect::<Result<Vec<u8>>>()?,
                )
            }
            Some("WIDTH") => width = Some(one("WIDTH")?),
            Some("HEIGHT") => height = Some(one("HEIGHT")?),
            Some("POINTS") => points = Some(one("POINTS")?),
            Some("DATA") => {
                let binary = match tokens[1..] {
                    ["ascii"] => false,
                    ["binary"] => true,
                    ["binary_compressed"] => {
                        return Err(pcd_err(
                            origin,
                            "DATA",
                            &value,
                            "compressed PCD is not supported; convert it with \
                             `pcl_convert_pcd_ascii_binary IN OUT 1` (binary) or `… 0` (ascii)",
                        ))
                    }
                    _ => return Err(pcd_err(origin, "DATA", &value, "expected ascii or binary")),
                };
                let names = names
                    .ok_or_else(|| pcd_err(origin, "FIELDS", "<missing>", "no FIELDS line"))?;
                let n = names.len();
                let sizes =
                    sizes.ok_or_else(|| pcd_err(origin, "SIZE", "<missing>", "no SIZE line"))?;
                let kinds =
                    kinds.ok_or_else(|| pcd_err(origin, "TYPE", "<missing>", "no TYPE line"))?;
                let counts = counts.unwrap_or_else(|| vec![1; n]);
                for (field, len) in [
                    ("SIZE", sizes.len()),
                    ("TYPE", kinds.len()),
                    ("COUNT", counts.len()),
                ] {
                    if len != n {
                        return Err(pcd_err(
                            origin,
                            field,
                            format!("{len} entries"),
                            format!("FIELDS names {n} fields"),
                        ));
                    }
                }
                let mut types = Vec::with_capacity(n);
                for ((&kind, &size), name) in kinds.iter().zip(&sizes).zip(&names) {
                    let ok = match kind {
                        b'F' => matches!(size, 4 | 8),
                        _ => matches!(size, 1 | 2 | 4 | 8),
                    };
                    if !ok {
                        return Err(pcd_err(
                            origin,
                            "SIZE",
                            format!("{size} for field `{name}` of TYPE {}", kind as char),
                            "F takes 4 or 8 bytes, I and U 1, 2, 4 or 8",
                        ));
                    }
                    types.push(FieldType { kind, size });
                }
                let width =
                    width.ok_or_else(|| pcd_err(origin, "WIDTH", "<missing>", "no WIDTH line"))?;
                let height = height.unwrap_or(1);
                let total = width.checked_mul(height);
                let points = points.or(total).unwrap_or(usize::MAX);
                if total != Some(points) {
                    return Err(pcd_err(
                        origin,
                        "POINTS",
                        points.to_string(),
                        format!("WIDTH × HEIGHT = {width} × {height} differs"),
                    ));
                }
                return Ok(Header {
                    names,
                    types,
                    counts,
                    points,
                    binary,
                    body_start: pos,
                });
            }
            Some(other) => {
                return Err(pcd_err(
                    origin,
                    "DATA",
                    other.chars().take(40).collect::<String>(),
                    "unknown header line before `DATA` (not a PCD file?)",
                ))
            }
        }
    }
}

/// Where x, y and z sit: (value index within a row, field index).
fn xyz_fields(h: &Header, origin: &str) -> Result<[(usize, usize); 3]> {
    let mut out = [(usize::MAX, 0); 3];
    let mut offset = 0;
    for (f, name) in h.names.iter().enumerate() {
        if let Some(a) = ["x", "y", "z"].iter().position(|&n| n == name) {
            if h.counts[f] != 1 {
                return Err(pcd_err(
                    origin,
                    "COUNT",
                    h.counts[f].to_string(),
                    format!("field `{name}` must have COUNT 1"),
                ));
            }
            out[a] = (offset, f);
        }
        offset = offset.saturating_add(h.counts[f]);
    }
    if out.iter().any(|s| s.0 == usize::MAX) {
        return Err(pcd_err(
            origin,
            "FIELDS",
            h.names.join(" "),
            "needs fields x, y and z",
        ));
    }
    Ok(out)
}

/// Reads a PCD cloud held in memory; `origin` names it in errors.
///
/// # Errors
/// [`Error::Pcd`] naming the header field and value (or `data` and the row), for a malformed
/// header, a compressed body, a truncated body or one with more rows than `POINTS`;
/// [`Error::TooMany`] above [`MAX_POINTS`] (before allocating); [`Error::EmptyCloud`];
/// [`Error::NonFinite`] naming the point.
pub fn parse_pcd(bytes: &[u8], origin: &str) -> Result<PointCloud> {
    let h = parse_header(bytes, origin)?;
    if h.points > MAX_POINTS {
        return Err(Error::TooMany {
            origin: origin.to_string(),
            what: "`POINTS`".into(),
            count: h.points as u64,
            limit: MAX_POINTS as u64,
        });
    }
    if h.points == 0 {
        return Err(Error::EmptyCloud {
            origin: origin.to_string(),
        });
    }
    let xyz = xyz_fields(&h, origin)?;
    let body = &bytes[h.body_start..];
    let values_per_row = h.counts.iter().fold(0usize, |a, &c| a.saturating_add(c));
    let points = if h.binary {
        // In u128 so that absurd COUNTs cannot overflow; once checked against the body's
        // length every offset fits a usize.
        let mut offsets = Vec::with_capacity(h.names.len());
        let mut row = 0u128;
        for (t, &c) in h.types.iter().zip(&h.counts) {
            offsets.push(row);
            row += t.size as u128 * c as u128;
        }
        let need = (h.points as u128) * row;
        if (body.len() as u128) < need {
            return Err(pcd_err(
                origin,
                "POINTS",
                h.points.to_string(),
                format!(
                    "truncated: {} rows of {row} bytes need {need} bytes, the body holds {} ({} whole rows)",
                    h.points,
                    body.len(),
                    body.len() as u128 / row.max(1)
                ),
            ));
        }
        let row = row as usize;
        let offsets: Vec<usize> = offsets.into_iter().map(|o| o as usize).collect();
        let extra = body.len() - need as usize;
        let padding = extra < row.max(1)
            && body[need as usize..]
                .iter()
                .all(|b| b"\r\n\t \0".contains(b));
        if extra > 0 && !padding {
            return Err(pcd_err(
                origin,
                "POINTS",
                h.points.to_string(),
                format!(
                    "the body holds {} rows of {row} bytes ({extra} bytes more than POINTS says)",
                    h.points + extra / row.max(1)
                ),
            ));
        }
        let get = |i: usize, (_, f): (usize, usize)| -> f32 {
            let at = i * row + offsets[f];
            h.types[f].decode(&body[at..]) as f32
        };
        (0..h.points)
            .map(|i| [get(i, xyz[0]), get(i, xyz[1]), get(i, xyz[2])])
            .collect()
    } else {
        let text = String::from_utf8_lossy(body);
        let mut lines = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .peekable();
        let mut points = Vec::with_capacity(h.points.min(1 << 24));
        for i in 0..h.points {
            let Some((_, line)) = lines.next() else {
                return Err(pcd_err(
                    origin,
                    "POINTS",
                    h.points.to_string(),
                    format!("truncated: the data ends after {i} rows"),
                ));
            };
            let tokens: Vec<&str> = line.split_whitespace().collect();
            if tokens.len() < values_per_row && lines.peek().is_none() {
                return Err(pcd_err(
                    origin,
                    "POINTS",
                    h.points.to_string(),
                    format!(
                        "truncated: row {i} ends after {} of its {values_per_row} values",
                        tokens.len()
                    ),
                ));
            }
            if tokens.len() != values_per_row {
                return Err(pcd_err(
                    origin,
                    "data",
                    format!(
                        "row {i}: `{}`",
                        line.trim().chars().take(60).collect::<String>()
                    ),
                    format!(
                        "{} values, FIELDS and COUNT say {values_per_row}",
                        tokens.len()
                    ),
                ));
            }
            let mut p = [0.0f32; 3];
            for (a, &(v, _)) in xyz.iter().enumerate() {
                let t = tokens[v];
                p[a] = match t.parse::<f64>() {
                    Ok(x) => x as f32,
                    Err(_) if t.eq_ignore_ascii_case("nan") => f32::NAN,
                    Err(_) => {
                        return Err(pcd_err(
                            origin,
                            "data",
                            format!("row {i}: `{t}`"),
                            format!("coordinate {} is not a number", ["x", "y", "z"][a]),
                        ))
                    }
                };
            }
            points.push(p);
        }
        let more = lines.count();
        if more > 0 {
            return Err(pcd_err(
                origin,
                "POINTS",
                h.points.to_string(),
                format!("the body holds {} rows", h.points + more),
            ));
        }
        points
    };
    PointCloud::with_origin(points, origin)
}

/// Reads the PCD file at `path` (see [`parse_pcd`]).
///
/// # Errors
/// [`Error::File`], or as [`parse_pcd`] with `origin` = the path.
pub fn read_pcd(path: impl AsRef<Path>) -> Result<PointCloud> {
    let path = path.as_ref();
    parse_pcd(&read_bytes(path)?, &path.display().to_string())
}

/// Encodes `cloud` as PCD v0.7 with fields `x y z` (`F 4`), one row (`HEIGHT 1`).
///
/// ASCII output prints each `f32` in its shortest round-tripping form.
pub fn encode_pcd(cloud: &PointCloud, encoding: PcdEncoding) -> Vec<u8> {
    use std::fmt::Write;
    let n = cloud.len();
    let data = match encoding {
        PcdEncoding::Ascii => "ascii",
        PcdEncoding::Binary => "binary",
    };
    let mut s = format!(
        "# .PCD v0.7 - Point Cloud Data file format\nVERSION 0.7\nFIELDS x y z\nSIZE 4 4 4\n\
         TYPE F F F\nCOUNT 1 1 1\nWIDTH {n}\nHEIGHT 1\nVIEWPOINT 0 0 0 1 0 0 0\nPOINTS {n}\n\
         DATA {data}\n"
    );
    match encoding {
        PcdEncoding::Ascii => {
            for p in cloud.points() {
                let _ = writeln!(s, "{} {} {}", p[0], p[1], p[2]);
            }
            s.into_bytes()
        }
        PcdEncoding::Binary => {
            let mut out = s.into_bytes();
            for v in cloud.as_flat() {
                out.extend_from_slice(&v.to_le_bytes());
            }
            out
        }
    }
}

/// Writes `cloud` to `path` as PCD, atomically (temporary file + rename).
///
/// # Errors
/// [`Error::File`] naming the path.
pub fn write_pcd(
    path: impl AsRef<Path>,
    cloud: &PointCloud,
    encoding: PcdEncoding,
    force: bool,
) -> Result<()> {
    write_atomic(path.as_ref(), &encode_pcd(cloud, encoding), force)
}
