//! PLY point clouds and meshes: ASCII, binary little- and big-endian.
//!
//! Reads the `vertex` element's `x y z` properties (any scalar type, converted to `f32`) and
//! ignores the rest: extra vertex properties (`nx ny nz`, colours), other elements, comments.
//! [`parse_ply_mesh`] also reads the `face` element's `vertex_indices` (or `vertex_index`)
//! lists, triangulated as fans. This covers the ShapeNet 2048-point clouds
//! (`binary_little_endian`, one `element vertex 2048` with `float x, y, z`). Writes
//! `float x y z` only.
//!
//! The body must hold exactly what the header announces: fewer rows is a truncated file, more
//! is an error naming both counts (a header that says 100 vertices over 2048 rows is not read
//! as 100 points). Counts above [`MAX_POINTS`] vertices or [`MAX_FACES`] faces are refused
//! before anything is allocated.

mod header;

use std::path::Path;

use header::{header_err, parse_header, Element, Header, Property, Scalar};

use crate::error::{Error, Result};
use crate::io::atomic::{read_bytes, write_atomic};
use crate::io::{MAX_FACES, MAX_POINTS};
use crate::point_cloud::PointCloud;

/// How a PLY body is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PlyEncoding {
    /// Text, one vertex per line.
    Ascii,
    /// Binary, little-endian (what ShapeNet's clouds use). The default.
    #[default]
    BinaryLittleEndian,
    /// Binary, big-endian.
    BinaryBigEndian,
}

fn data_err(origin: &str, reason: String) -> Error {
    Error::PlyData {
        origin: origin.to_string(),
        reason,
    }
}

/// Where x, y, z sit among a vertex element's properties.
fn xyz_slots(el: &Element, origin: &str) -> Result<[usize; 3]> {
    let mut slots = [usize::MAX; 3];
    for (i, p) in el.props.iter().enumerate() {
        if let Property::Scalar { name, .. } = p {
            match name.as_str() {
                "x" => slots[0] = i,
                "y" => slots[1] = i,
                "z" => slots[2] = i,
                _ => {}
            }
        }
    }
    if slots.contains(&usize::MAX) {
        return Err(header_err(
            origin,
            el.line,
            &format!("element {} {}", el.name, el.count),
            "vertex element lacks a scalar x, y or z property",
        ));
    }
    Ok(slots)
}

/// The values of a PLY body, one at a time, in file order.
trait Values {
    /// The next value, read as `ty`: `Ok(None)` at the end of the data, `Err(token)` for an
    /// ASCII token that is not a number.
    fn next(&mut self, ty: Scalar) -> std::result::Result<Option<f64>, String>;
    /// What is left after the last element, if anything: (rows of `last` it would hold,
    /// description of the left-over data).
    fn leftover(&self, last: &Element) -> Option<(usize, String)>;
}

/// An ASCII body: whitespace-separated tokens.
struct AsciiValues<'a> {
    text: &'a str,
    pos: usize,
}

impl Values for AsciiValues<'_> {
    fn next(&mut self, _ty: Scalar) -> std::result::Result<Option<f64>, String> {
        let rest = &self.text[self.pos..];
        let Some(start) = rest.find(|c: char| !c.is_ascii_whitespace()) else {
            self.pos = self.text.len();
            return Ok(None);
        };
        let len = rest[start..]
            .find(|c: char| c.is_ascii_whitespace())
            .unwrap_or(rest.len() - start);
        let token = &rest[start..start + len];
        self.pos += start + len;
        parse_number(token)
            .map(Some)
            .ok_or_else(|| token.chars().take(40).collect())
    }

    fn leftover(&self, last: &Element) -> Option<(usize, String)> {
        let rest = &self.text[self.pos..];
        let lines = rest.lines().filter(|l| !l.trim().is_empty()).count();
        (lines > 0).then(|| (last.count + lines, format!("{lines} more lines")))
    }
}

/// A binary body of the given byte order.
struct BinaryValues<'a> {
    body: &'a [u8],
    pos: usize,
    little: bool,
}

impl Values for BinaryValues<'_> {
    fn next(&mut self, ty: Scalar) -> std::result::Result<Option<f64>, String> {
        let end = self.pos + ty.size();
        if end > self.body.len() {
            return Ok(None);
        }
        let v = ty.decode(&self.body[self.pos..end], self.little);
        self.pos = end;
        Ok(Some(v))
    }

    fn leftover(&self, last: &Element) -> Option<(usize, String)> {
        let rest = &self.body[self.pos..];
        let row = last.row_size().unwrap_or(1).max(1);
        // A trailing newline or padding shorter than a row is tolerated.
        let padding = rest.len() < row && rest.iter().all(|b| b"\r\n\t \0".contains(b));
        (!rest.is_empty() && !padding).then(|| {
            (
                last.count + rest.len() / row,
                format!("{} bytes more", rest.len()),
            )
        })
    }
}

/// Parses a number, accepting `nan`/`inf` spellings so they are reported as non-finite.
fn parse_number(t: &str) -> Option<f64> {
    t.parse::<f64>()
        .ok()
        .or_else(|| match t.to_ascii_lowercase().as_str() {
            "nan" | "-nan" | "+nan" | "-nan(ind)" | "nan(ind)" => Some(f64::NAN),
            _ => None,
        })
}

/// What the body walk collected.
struct Body {
    vertices: Vec<[f32; 3]>,
    triangles: Vec<[u32; 3]>,
}

/// The index of the face element's vertex-index list, if `el` is a face element with one.
fn face_list(el: &Element) -> Option<usize> {
    (el.name == "face").then_some(())?;
    el.props.iter().position(|p| {
        matches!(p, Property::List { name, .. } if name == "vertex_indices" || name == "vertex_index")
    })
}

/// Reads every element of the body in order, keeping vertex positions (and, with `faces`,
/// the face element's polygons as triangle fans).
fn walk(
    header: &Header,
    values: &mut dyn Values,
    slots: [usize; 3],
    faces: bool,
    origin: &str,
) -> Result<Body> {
    let n_vertices = header
        .elements
        .iter()
        .find(|e| e.name == "vertex")
        .map_or(0, |e| e.count);
    let mut body = Body {
        vertices: Vec::with_capacity(n_vertices.min(1 << 24)),
        triangles: Vec::new(),
    };
    let mut row = Vec::new();
    let mut polygon: Vec<u32> = Vec::new();
    for el in &header.elements {
        let is_vertex = el.name == "vertex";
        let face_prop = if faces { face_list(el) } else { None };
        row.resize(el.props.len(), 0.0f64);
        for i in 0..el.count {
            let short = || {
                data_err(
                    origin,
                    format!(
                        "{} {i}: data ends early (header says `element {} {}`; truncated file?)",
                        el.name, el.name, el.count
                    ),
                )
            };
            for (j, p) in el.props.iter().enumerate() {
                match p {
                    Property::Scalar { name, ty } => {
                        row[j] = values
                            .next(*ty)
                            .map_err(|t| {
                                data_err(
                                    origin,
                                    format!("{} {i}: `{name}` = `{t}` is not a number", el.name),
                                )
                            })?
                            .ok_or_else(short)?;
                    }
                    Property::List { name, count, item } => {
                        let bad_len = |t: String| {
                            data_err(
                                origin,
                                format!("{} {i}: list `{name}` has length `{t}`", el.name),
                            )
                        };
                        let n = values.next(*count).map_err(bad_len)?.ok_or_else(short)?;
                        if n < 0.0 || n.fract() != 0.0 || n > u32::MAX as f64 {
                            return Err(bad_len(n.to_string()));
                        }
                        polygon.clear();
                        for _ in 0..n as u64 {
                            let v = values
                                .next(*item)
                                .map_err(|t| {
                                    data_err(
                                        origin,
                                        format!(
                                            "{} {i}: list `{name}` item `{t}` is not a number",
                                            el.name
                                        ),
                                    )
                                })?
                                .ok_or_else(short)?;
                            if face_prop == Some(j) {
                                if v < 0.0 || v.fract() != 0.0 || v >= n_vertices as f64 {
                                    return Err(data_err(
                                        origin,
                                        format!(
                                            "face {i}: vertex index {v} out of range (header \
                                             says {n_vertices} vertices)"
                                        ),
                                    ));
                                }
                                polygon.push(v as u32);
                            }
                        }
                        if face_prop == Some(j) {
                            if polygon.len() < 3 {
                                return Err(data_err(
                                    origin,
                                    format!("face {i}: {} vertices, a face needs 3", polygon.len()),
                                ));
                            }
                            for k in 1..polygon.len() - 1 {
                                body.triangles
                                    .push([polygon[0], polygon[k], polygon[k + 1]]);
                            }
                        }
                    }
                }
            }
            if is_vertex {
                body.vertices.push([
                    row[slots[0]] as f32,
                    row[slots[1]] as f32,
                    row[slots[2]] as f32,
                ]);
            }
        }
    }
    if let Some(last) = header.elements.last() {
        if let Some((rows, what)) = values.leftover(last) {
            return Err(data_err(
                origin,
                format!(
                    "header says `element {} {}` (line {}) but the body holds {rows} rows \
                     ({what} after the last element); fix the count or the file",
                    last.name, last.count, last.line
                ),
            ));
        }
    }
    Ok(body)
}

/// Checks counts against the limits, and a binary body's length against the header, before
/// anything is allocated.
fn check_sizes(header: &Header, body_len: usize, origin: &str) -> Result<()> {
    for el in &header.elements {
        let limit = match el.name.as_str() {
            "vertex" => MAX_POINTS,
            "face" => MAX_FACES,
            _ => continue,
        };
        if el.count > limit {
            return Err(Error::TooMany {
                origin: origin.to_string(),
                what: format!("`element {}` (header line {})", el.name, el.line),
                count: el.count as u64,
                limit: limit as u64,
            });
        }
    }
    if header.encoding == PlyEncoding::Ascii {
        return Ok(());
    }
    // Each row needs at least its fixed-size properties (a list at least its count).
    let mut need = 0u128;
    for el in &header.elements {
        let row: usize = el
            .props
            .iter()
            .map(|p| match p {
                Property::Scalar { ty, .. } => ty.size(),
                Property::List { count, .. } => count.size(),
            })
            .sum();
        need += el.count as u128 * row as u128;
        if need > body_len as u128 {
            let fixed = el
                .row_size()
                .map_or(String::new(), |r| format!(" of {r} bytes"));
            return Err(data_err(
                origin,
                format!(
                    "truncated: header says `element {} {}` (rows{fixed}) but only {body_len} \
                     bytes of data follow the header",
                    el.name, el.count
                ),
            ));
        }
    }
    Ok(())
}

/// Parses the header, checks sizes and walks the body.
fn parse(bytes: &[u8], origin: &str, faces: bool) -> Result<Body> {
    if bytes.is_empty() {
        return Err(header_err(origin, 1, "", "empty file"));
    }
    let header = parse_header(bytes, origin)?;
    let Some(vi) = header.elements.iter().position(|e| e.name == "vertex") else {
        let n = bytes[..header.body_start]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        return Err(header_err(
            origin,
            n,
            "end_header",
            "no `element vertex` in the header",
        ));
    };
    let slots = xyz_slots(&header.elements[vi], origin)?;
    let body = &bytes[header.body_start..];
    check_sizes(&header, body.len(), origin)?;
    match header.encoding {
        PlyEncoding::Ascii => {
            let text = String::from_utf8_lossy(body);
            let mut values = AsciiValues {
                text: &text,
                pos: 0,
            };
            walk(&header, &mut values, slots, faces, origin)
        }
        enc => {
            let mut values = BinaryValues {
                body,
                pos: 0,
                little: enc == PlyEncoding::BinaryLittleEndian,
            };
            walk(&header, &mut values, slots, faces, origin)
        }
    }
}

/// Reads the vertex positions of a PLY file held in memory; `origin` names it in errors.
///
/// # Errors
/// [`Error::PlyHeader`] naming the header line, [`Error::PlyData`] for a truncated or
/// unparsable body or one holding more rows than the header says (naming both counts),
/// [`Error::TooMany`] above [`MAX_POINTS`] vertices, [`Error::EmptyCloud`] for zero vertices,
/// [`Error::NonFinite`] naming the vertex.
pub fn parse_ply(bytes: &[u8], origin: &str) -> Result<PointCloud> {
    PointCloud::with_origin(parse(bytes, origin, false)?.vertices, origin)
}

/// Reads the vertices and the faces (triangulated as fans from their first vertex) of a PLY
/// file held in memory; the triangles are empty for a file without a `face` element.
///
/// # Errors
/// As [`parse_ply`]; [`Error::PlyData`] for a face with fewer than 3 vertices or an index
/// outside the vertex list (naming the face and the vertex count), [`Error::TooMany`] above
/// [`MAX_FACES`] faces.
pub fn parse_ply_mesh(bytes: &[u8], origin: &str) -> Result<(PointCloud, Vec<[u32; 3]>)> {
    let body = parse(bytes, origin, true)?;
    Ok((
        PointCloud::with_origin(body.vertices, origin)?,
        body.triangles,
    ))
}

/// Reads the vertex positions of the PLY file at `path`.
///
/// # Errors
/// [`Error::Io`], or as [`parse_ply`] with `origin` = the path.
pub fn read_ply(path: impl AsRef<Path>) -> Result<PointCloud> {
    let path = path.as_ref();
    parse_ply(&read_bytes(path)?, &path.display().to_string())
}

/// Encodes `cloud` as PLY (`element vertex n`, `property float x/y/z`).
///
/// ASCII output prints each `f32` in its shortest round-tripping form, so reading it back
/// gives identical values.
pub fn encode_ply(cloud: &PointCloud, encoding: PlyEncoding) -> Vec<u8> {
    let format = match encoding {
        PlyEncoding::Ascii => "ascii",
        PlyEncoding::BinaryLittleEndian => "binary_little_endian",
        PlyEncoding::BinaryBigEndian => "binary_big_endian",
    };
    let mut out = format!(
        "ply\nformat {format} 1.0\ncomment written by mace-shapes\nelement vertex {}\n\
         property float x\nproperty float y\nproperty float z\nend_header\n",
        cloud.len()
    )
    .into_bytes();
    match encoding {
        PlyEncoding::Ascii => {
            use std::fmt::Write;
            let mut s = String::with_capacity(cloud.len() * 30);
            for p in cloud.points() {
                let _ = writeln!(s, "{} {} {}", p[0], p[1], p[2]);
            }
            out.extend_from_slice(s.as_bytes());
        }
        PlyEncoding::BinaryLittleEndian => {
            for v in cloud.as_flat() {
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
        PlyEncoding::BinaryBigEndian => {
            for v in cloud.as_flat() {
                out.extend_from_slice(&v.to_be_bytes());
            }
        }
    }
    out
}

/// Writes `cloud` to `path` as PLY, atomically (temporary file + rename).
///
/// # Errors
/// [`Error::Io`] naming the path.
pub fn write_ply(
    path: impl AsRef<Path>,
    cloud: &PointCloud,
    encoding: PlyEncoding,
    force: bool,
) -> Result<()> {
    write_atomic(path.as_ref(), &encode_ply(cloud, encoding), force)
}
