//! PLY point clouds: ASCII, binary little- and big-endian.
//!
//! Reads the `vertex` element's `x y z` properties (any scalar type, converted to `f32`) and
//! ignores the rest: extra vertex properties (`nx ny nz`, colours), other elements (faces),
//! comments. This covers the ShapeNet 2048-point clouds (`binary_little_endian`, one
//! `element vertex 2048` with `float x, y, z`). Writes `float x y z` only.

use std::path::Path;

use crate::error::{Error, Result};
use crate::io::atomic::{read_bytes, write_atomic};
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scalar {
    I8,
    U8,
    I16,
    U16,
    I32,
    U32,
    F32,
    F64,
}

impl Scalar {
    fn parse(s: &str) -> Option<Scalar> {
        Some(match s {
            "char" | "int8" => Scalar::I8,
            "uchar" | "uint8" => Scalar::U8,
            "short" | "int16" => Scalar::I16,
            "ushort" | "uint16" => Scalar::U16,
            "int" | "int32" => Scalar::I32,
            "uint" | "uint32" => Scalar::U32,
            "float" | "float32" => Scalar::F32,
            "double" | "float64" => Scalar::F64,
            _ => return None,
        })
    }

    fn size(self) -> usize {
        match self {
            Scalar::I8 | Scalar::U8 => 1,
            Scalar::I16 | Scalar::U16 => 2,
            Scalar::I32 | Scalar::U32 | Scalar::F32 => 4,
            Scalar::F64 => 8,
        }
    }

    /// Decodes one value from the front of `b` (which holds at least `size()` bytes).
    fn decode(self, b: &[u8], little: bool) -> f64 {
        macro_rules! get {
            ($t:ty, $n:expr) => {{
                let mut a = [0u8; $n];
                a.copy_from_slice(&b[..$n]);
                if little {
                    <$t>::from_le_bytes(a) as f64
                } else {
                    <$t>::from_be_bytes(a) as f64
                }
            }};
        }
        match self {
            Scalar::I8 => get!(i8, 1),
            Scalar::U8 => get!(u8, 1),
            Scalar::I16 => get!(i16, 2),
            Scalar::U16 => get!(u16, 2),
            Scalar::I32 => get!(i32, 4),
            Scalar::U32 => get!(u32, 4),
            Scalar::F32 => get!(f32, 4),
            Scalar::F64 => get!(f64, 8),
        }
    }
}

#[derive(Debug, Clone)]
enum Property {
    Scalar { name: String, ty: Scalar },
    List { count: Scalar, item: Scalar },
}

#[derive(Debug, Clone)]
struct Element {
    name: String,
    count: usize,
    line: usize,
    props: Vec<Property>,
}

#[derive(Debug)]
struct Header {
    encoding: PlyEncoding,
    elements: Vec<Element>,
    body_start: usize,
}

fn header_err(origin: &str, line: usize, content: &str, reason: impl Into<String>) -> Error {
    Error::PlyHeader {
        origin: origin.to_string(),
        line,
        content: content.trim().to_string(),
        reason: reason.into(),
    }
}

fn parse_header(bytes: &[u8], origin: &str) -> Result<Header> {
    let mut pos = 0;
    let mut line_no = 0;
    let mut encoding = None;
    let mut elements: Vec<Element> = Vec::new();
    let mut last = String::new();
    loop {
        let Some(len) = bytes[pos..].iter().position(|&b| b == b'\n') else {
            return Err(header_err(
                origin,
                line_no + 1,
                &last,
                "header ends without `end_header`",
            ));
        };
        line_no += 1;
        let raw = &bytes[pos..pos + len];
        pos += len + 1;
        let text = std::str::from_utf8(raw)
            .map_err(|_| header_err(origin, line_no, "<binary>", "header line is not UTF-8"))?;
        let text = text.trim_end_matches('\r');
        last = text.to_string();
        let tokens: Vec<&str> = text.split_whitespace().collect();
        if line_no == 1 {
            if tokens != ["ply"] {
                return Err(header_err(
                    origin,
                    1,
                    text,
                    "first line must be `ply` (not a PLY file)",
                ));
            }
            continue;
        }
        match tokens.first().copied() {
            None => continue,
            Some("comment") | Some("obj_info") => continue,
            Some("format") => {
                let enc = match tokens.get(1).copied() {
                    Some("ascii") => PlyEncoding::Ascii,
                    Some("binary_little_endian") => PlyEncoding::BinaryLittleEndian,
                    Some("binary_big_endian") => PlyEncoding::BinaryBigEndian,
                    _ => {
                        return Err(header_err(
                            origin,
                            line_no,
                            text,
                            "format must be ascii, binary_little_endian or binary_big_endian",
                        ))
                    }
                };
                if !tokens.get(2).is_some_and(|v| v.starts_with('1')) || tokens.len() != 3 {
                    return Err(header_err(
                        origin,
                        line_no,
                        text,
                        "expected `format <encoding> 1.0`",
                    ));
                }
                encoding = Some(enc);
            }
            Some("element") => {
                let (Some(name), Some(count), 3) = (tokens.get(1), tokens.get(2), tokens.len())
                else {
                    return Err(header_err(
                        origin,
                        line_no,
                        text,
                        "expected `element <name> <count>`",
                    ));
                };
                let count: usize = count.parse().map_err(|_| {
                    header_err(
                        origin,
                        line_no,
                        text,
                        "element count is not a non-negative integer",
                    )
                })?;
                elements.push(Element {
                    name: name.to_string(),
                    count,
                    line: line_no,
                    props: Vec::new(),
                });
            }
            Some("property") => {
                let Some(el) = elements.last_mut() else {
                    return Err(header_err(
                        origin,
                        line_no,
                        text,
                        "property before any element",
                    ));
                };
                let prop = match tokens[1..] {
                    ["list", c, i, _name] => match (Scalar::parse(c), Scalar::parse(i)) {
                        (Some(count), Some(item))
                            if !matches!(count, Scalar::F32 | Scalar::F64) =>
                        {
                            Property::List { count, item }
                        }
                        _ => {
                            return Err(header_err(
                                origin,
                                line_no,
                                text,
                                "unknown list types (count must be an integer type)",
                            ))
                        }
                    },
                    [ty, name] => match Scalar::parse(ty) {
                        Some(ty) => Property::Scalar {
                            name: name.to_string(),
                            ty,
                        },
                        None => {
                            return Err(header_err(
                                origin,
                                line_no,
                                text,
                                format!("unknown property type `{ty}`"),
                            ))
                        }
                    },
                    _ => return Err(header_err(
                        origin,
                        line_no,
                        text,
                        "expected `property <type> <name>` or `property list <type> <type> <name>`",
                    )),
                };
                el.props.push(prop);
            }
            Some("end_header") => {
                let Some(encoding) = encoding else {
                    return Err(header_err(origin, line_no, text, "no `format` line"));
                };
                return Ok(Header {
                    encoding,
                    elements,
                    body_start: pos,
                });
            }
            Some(other) => {
                return Err(header_err(
                    origin,
                    line_no,
                    text,
                    format!("unknown header keyword `{other}`"),
                ))
            }
        }
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

fn data_err(origin: &str, reason: String) -> Error {
    Error::PlyData {
        origin: origin.to_string(),
        reason,
    }
}

/// Reads the vertex positions of a PLY file held in memory; `origin` names it in errors.
///
/// # Errors
/// [`Error::PlyHeader`] naming the header line, [`Error::PlyData`] for a truncated or
/// unparsable body, [`Error::EmptyCloud`] for zero vertices, [`Error::NonFinite`] naming the
/// vertex.
pub fn parse_ply(bytes: &[u8], origin: &str) -> Result<PointCloud> {
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
    let points = match header.encoding {
        PlyEncoding::Ascii => read_ascii(body, &header.elements[..=vi], slots, origin)?,
        PlyEncoding::BinaryLittleEndian => {
            read_binary(body, &header.elements[..=vi], slots, true, origin)?
        }
        PlyEncoding::BinaryBigEndian => {
            read_binary(body, &header.elements[..=vi], slots, false, origin)?
        }
    };
    PointCloud::with_origin(points, origin)
}

/// Reads elements up to and including the last one (the vertex element), ASCII body.
fn read_ascii(
    body: &[u8],
    elements: &[Element],
    slots: [usize; 3],
    origin: &str,
) -> Result<Vec<[f32; 3]>> {
    let text = String::from_utf8_lossy(body);
    let mut tokens = text.split_whitespace();
    let (vertex, before) = elements.split_last().expect("vertex element present");
    for el in before {
        for i in 0..el.count {
            for p in &el.props {
                let mut take = || {
                    tokens.next().ok_or_else(|| {
                        data_err(origin, format!("{} {i}: data ends early", el.name))
                    })
                };
                match p {
                    Property::Scalar { .. } => {
                        take()?;
                    }
                    Property::List { .. } => {
                        let t = take()?;
                        let n: usize = t.parse().map_err(|_| {
                            data_err(origin, format!("{} {i}: bad list count `{t}`", el.name))
                        })?;
                        for _ in 0..n {
                            take()?;
                        }
                    }
                }
            }
        }
    }
    let mut points = Vec::with_capacity(vertex.count.min(1 << 24));
    let mut row = vec![0.0f64; vertex.props.len()];
    for i in 0..vertex.count {
        for (j, p) in vertex.props.iter().enumerate() {
            let t = tokens.next().ok_or_else(|| {
                data_err(
                    origin,
                    format!("vertex {i}: data ends early (header says {})", vertex.count),
                )
            })?;
            match p {
                Property::Scalar { name, .. } => {
                    row[j] = parse_number(t).ok_or_else(|| {
                        data_err(
                            origin,
                            format!("vertex {i}: `{name}` = `{t}` is not a number"),
                        )
                    })?;
                }
                Property::List { .. } => {
                    let n: usize = t.parse().map_err(|_| {
                        data_err(origin, format!("vertex {i}: bad list count `{t}`"))
                    })?;
                    for _ in 0..n {
                        tokens.next().ok_or_else(|| {
                            data_err(origin, format!("vertex {i}: data ends early"))
                        })?;
                    }
                }
            }
        }
        points.push([
            row[slots[0]] as f32,
            row[slots[1]] as f32,
            row[slots[2]] as f32,
        ]);
    }
    Ok(points)
}

/// Parses a number, accepting `nan`/`inf` spellings so they are reported as non-finite.
fn parse_number(t: &str) -> Option<f64> {
    t.parse::<f64>()
        .ok()
        .or_else(|| match t.to_ascii_lowercase().as_str() {
            "nan" | "-nan" | "+nan" => Some(f64::NAN),
            _ => None,
        })
}

/// Reads elements up to and including the last one (the vertex element), binary body.
fn read_binary(
    body: &[u8],
    elements: &[Element],
    slots: [usize; 3],
    little: bool,
    origin: &str,
) -> Result<Vec<[f32; 3]>> {
    let mut pos = 0usize;
    let mut read = |ty: Scalar, what: &dyn Fn() -> String| -> Result<f64> {
        let end = pos + ty.size();
        if end > body.len() {
            return Err(data_err(origin, format!("{}: data ends early", what())));
        }
        let v = ty.decode(&body[pos..end], little);
        pos = end;
        Ok(v)
    };
    let (vertex, before) = elements.split_last().expect("vertex element present");
    for el in before {
        for i in 0..el.count {
            let what = || format!("{} {i}", el.name);
            for p in &el.props {
                match *p {
                    Property::Scalar { ty, .. } => {
                        read(ty, &what)?;
                    }
                    Property::List { count, item } => {
                        let n = read(count, &what)?;
                        if n < 0.0 {
                            return Err(data_err(
                                origin,
                                format!("{}: negative list count", what()),
                            ));
                        }
                        for _ in 0..n as usize {
                            read(item, &what)?;
                        }
                    }
                }
            }
        }
    }
    let mut points = Vec::with_capacity(vertex.count.min(1 << 24));
    let mut row = vec![0.0f64; vertex.props.len()];
    for i in 0..vertex.count {
        let what = || format!("vertex {i} (header says {})", vertex.count);
        for (j, p) in vertex.props.iter().enumerate() {
            match *p {
                Property::Scalar { ty, .. } => row[j] = read(ty, &what)?,
                Property::List { count, item } => {
                    let n = read(count, &what)?;
                    if n < 0.0 {
                        return Err(data_err(origin, format!("{}: negative list count", what())));
                    }
                    for _ in 0..n as usize {
                        read(item, &what)?;
                    }
                }
            }
        }
        points.push([
            row[slots[0]] as f32,
            row[slots[1]] as f32,
            row[slots[2]] as f32,
        ]);
    }
    Ok(points)
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
