//! The PLY header: format line, elements and their properties.

use super::PlyEncoding;
use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Scalar {
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
    pub(super) fn parse(s: &str) -> Option<Scalar> {
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

    pub(super) fn size(self) -> usize {
        match self {
            Scalar::I8 | Scalar::U8 => 1,
            Scalar::I16 | Scalar::U16 => 2,
            Scalar::I32 | Scalar::U32 | Scalar::F32 => 4,
            Scalar::F64 => 8,
        }
    }

    /// Decodes one value from the front of `b` (which holds at least `size()` bytes).
    pub(super) fn decode(self, b: &[u8], little: bool) -> f64 {
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
pub(super) enum Property {
    Scalar {
        name: String,
        ty: Scalar,
    },
    List {
        name: String,
        count: Scalar,
        item: Scalar,
    },
}

impl Property {
    /// Bytes of one value in a binary body; `None` for a list (its length varies).
    pub(super) fn fixed_size(&self) -> Option<usize> {
        match self {
            Property::Scalar { ty, .. } => Some(ty.size()),
            Property::List { .. } => None,
        }
    }
}

#[derive(Debug, Clone)]
pub(super) struct Element {
    pub(super) name: String,
    pub(super) count: usize,
    /// 1-based header line of `element NAME COUNT`.
    pub(super) line: usize,
    pub(super) props: Vec<Property>,
}

impl Element {
    /// Bytes of one row in a binary body; `None` if a property is a list.
    pub(super) fn row_size(&self) -> Option<usize> {
        self.props.iter().map(Property::fixed_size).sum()
    }
}

#[derive(Debug)]
pub(super) struct Header {
    pub(super) encoding: PlyEncoding,
    pub(super) elements: Vec<Element>,
    /// Byte offset of the body (just after the `end_header` line).
    pub(super) body_start: usize,
}

pub(super) fn header_err(
    origin: &str,
    line: usize,
    content: &str,
    reason: impl Into<String>,
) -> Error {
    Error::PlyHeader {
        origin: origin.to_string(),
        line,
        content: content.trim().to_string(),
        reason: reason.into(),
    }
}

pub(super) fn parse_header(bytes: &[u8], origin: &str) -> Result<Header> {
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
                    ["list", c, i, name] => match (Scalar::parse(c), Scalar::parse(i)) {
                        (Some(count), Some(item))
                            if !matches!(count, Scalar::F32 | Scalar::F64) =>
                        {
                            Property::List {
                                name: name.to_string(),
                                count,
                                item,
                            }
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
