//! Reading point clouds for `mace render cloud`: a minimal PLY reader (ASCII and binary
//! little-endian; the `x y z` of the `vertex` element, other properties skipped) and JSON arrays of
//! points. (Stand-in until the shapes crate's reader is wired in.)

use std::path::Path;

use anyhow::{bail, Context};

/// Reads the points of `path`: `.ply` (PLY) or `.json` (`[[x, y, z], …]` or `{"points": [...]}`).
///
/// # Errors
/// Unreadable file, unknown extension, malformed content, or no points.
pub(crate) fn read_points(path: &Path) -> anyhow::Result<Vec<[f32; 3]>> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let points = match ext.as_deref() {
        Some("ply") => parse_ply(&bytes),
        Some("json") => parse_json_points(&bytes),
        _ => bail!("expected a .ply or .json file"),
    }
    .with_context(|| format!("reading points from {}", path.display()))?;
    if points.is_empty() {
        bail!("{}: no points", path.display());
    }
    Ok(points)
}

/// Points from JSON: an array of `[x, y, z]`, or an object whose `points` is one.
///
/// # Errors
/// Malformed JSON or a point that is not three finite numbers.
pub(crate) fn parse_json_points(bytes: &[u8]) -> anyhow::Result<Vec<[f32; 3]>> {
    let v: serde_json::Value = serde_json::from_slice(bytes).context("parsing JSON")?;
    let arr = match &v {
        serde_json::Value::Array(a) => a,
        serde_json::Value::Object(o) => match o.get("points") {
            Some(serde_json::Value::Array(a)) => a,
            _ => bail!("expected an array of [x, y, z] or an object with `points`"),
        },
        _ => bail!("expected an array of [x, y, z] or an object with `points`"),
    };
    arr.iter()
        .enumerate()
        .map(|(i, p)| {
            let xyz: Option<Vec<f32>> = p.as_array().filter(|a| a.len() == 3).map(|a| {
                a.iter()
                    .filter_map(|x| x.as_f64())
                    .map(|x| x as f32)
                    .collect()
            });
            match xyz {
                Some(v) if v.len() == 3 && v.iter().all(|x| x.is_finite()) => {
                    Ok([v[0], v[1], v[2]])
                }
                _ => bail!("point {i} is not three finite numbers: {p}"),
            }
        })
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq)]
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

    fn read_le(self, b: &[u8]) -> f64 {
        match self {
            Scalar::I8 => b[0] as i8 as f64,
            Scalar::U8 => b[0] as f64,
            Scalar::I16 => i16::from_le_bytes([b[0], b[1]]) as f64,
            Scalar::U16 => u16::from_le_bytes([b[0], b[1]]) as f64,
            Scalar::I32 => i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f64,
            Scalar::U32 => u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f64,
            Scalar::F32 => f32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f64,
            Scalar::F64 => f64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]),
        }
    }
}

struct Element {
    name: String,
    count: usize,
    /// `(name, type)`; `None` type = a list property (unsupported in the binary layout).
    props: Vec<(String, Option<Scalar>)>,
}

/// Parses PLY bytes (ASCII or binary little-endian) and returns the `x y z` of every vertex.
///
/// # Errors
/// Not PLY, big-endian, a list property in or before the vertex element of a binary file, no
/// `x`/`y`/`z`, truncated data or non-finite coordinates.
pub(crate) fn parse_ply(bytes: &[u8]) -> anyhow::Result<Vec<[f32; 3]>> {
    // Header: ASCII lines up to and including `end_header`.
    let mut pos = 0;
    let mut lines = Vec::new();
    loop {
        let Some(nl) = bytes[pos..].iter().position(|&b| b == b'\n') else {
            bail!("no `end_header` line");
        };
        let line = std::str::from_utf8(&bytes[pos..pos + nl])
            .context("header is not text")?
            .trim_end_matches('\r')
            .trim()
            .to_string();
        pos += nl + 1;
        if line == "end_header" {
            break;
        }
        lines.push(line);
    }
    if lines.first().map(String::as_str) != Some("ply") {
        bail!("not a PLY file (first line is not `ply`)");
    }
    let mut format = None;
    let mut elements: Vec<Element> = Vec::new();
    for line in &lines[1..] {
        let mut it = line.split_whitespace();
        match it.next() {
            Some("format") => format = it.next().map(str::to_string),
            Some("element") => {
                let name = it.next().unwrap_or_default().to_string();
                let count = it
                    .next()
                    .and_then(|c| c.parse().ok())
                    .with_context(|| format!("bad element line `{line}`"))?;
                elements.push(Element {
                    name,
                    count,
                    props: Vec::new(),
                });
            }
            Some("property") => {
                let Some(el) = elements.last_mut() else {
                    bail!("property before any element: `{line}`");
                };
                let ty = it.next().unwrap_or_default();
                if ty == "list" {
                    let name = it.nth(2).unwrap_or_default().to_string();
                    el.props.push((name, None));
                } else {
                    let scalar = Scalar::parse(ty)
                        .with_context(|| format!("unknown property type in `{line}`"))?;
                    el.props
                        .push((it.next().unwrap_or_default().to_string(), Some(scalar)));
                }
            }
            _ => {} // comment, obj_info, …
        }
    }
    let binary = match format.as_deref() {
        Some("ascii") => false,
        Some("binary_little_endian") => true,
        Some(f) => bail!("unsupported PLY format `{f}` (ascii and binary_little_endian are)"),
        None => bail!("no `format` line"),
    };
    let Some(vi) = elements.iter().position(|e| e.name == "vertex") else {
        bail!("no `vertex` element");
    };
    let vertex = &elements[vi];
    let idx = |axis: &str| {
        vertex
            .props
            .iter()
            .position(|(n, _)| n == axis)
            .with_context(|| format!("the vertex element has no `{axis}` property"))
    };
    let (ix, iy, iz) = (idx("x")?, idx("y")?, idx("z")?);
    let mut out = Vec::with_capacity(vertex.count.min(1 << 24));
    if binary {
        let mut offset = pos;
        for e in &elements[..vi] {
            let mut size = 0;
            for (n, t) in &e.props {
                let Some(t) = t else {
                    bail!("list property `{n}` of element `{}` before the vertices is not supported in binary PLY", e.name);
                };
                size += t.size();
            }
            offset += size * e.count;
        }
        let mut offs = Vec::new();
        let mut stride = 0;
        for (n, t) in &vertex.props {
            let Some(t) = t else {
                bail!("list property `{n}` in the vertex element is not supported");
            };
            offs.push((stride, *t));
            stride += t.size();
        }
        let need = offset + stride * vertex.count;
        if bytes.len() < need {
            bail!(
                "truncated: {} vertices need {need} bytes, the file has {}",
                vertex.count,
                bytes.len()
            );
        }
        for i in 0..vertex.count {
            let row = &bytes[offset + i * stride..offset + (i + 1) * stride];
            let get = |k: usize| {
                let (o, t) = offs[k];
                t.read_le(&row[o..]) as f32
            };
            out.push([get(ix), get(iy), get(iz)]);
        }
    } else {
        let text = std::str::from_utf8(&bytes[pos..]).context("ASCII body is not text")?;
        let mut rows = text.lines().map(str::trim).filter(|l| !l.is_empty());
        for e in &elements[..vi] {
            for _ in 0..e.count {
                rows.next();
            }
        }
        for i in 0..vertex.count {
            let Some(row) = rows.next() else {
                bail!("truncated: {} of {} vertices", i, vertex.count);
            };
            let vals: Vec<&str> = row.split_whitespace().collect();
            let get = |k: usize| -> anyhow::Result<f32> {
                vals.get(k)
                    .and_then(|v| v.parse::<f64>().ok())
                    .map(|v| v as f32)
                    .with_context(|| format!("vertex {i}: cannot read value {k} of `{row}`"))
            };
            out.push([get(ix)?, get(iy)?, get(iz)?]);
        }
    }
    if let Some(i) = out.iter().position(|p| p.iter().any(|v| !v.is_finite())) {
        bail!("vertex {i} has a non-finite coordinate");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_and_binary_agree() {
        let ascii = b"ply\nformat ascii 1.0\ncomment test\nelement vertex 2\nproperty float x\nproperty float y\nproperty float z\nproperty uchar red\nelement face 0\nproperty list uchar int vertex_indices\nend_header\n1 2 3 255\n-0.5 0.25 4e-1 0\n";
        let a = parse_ply(ascii).unwrap();
        assert_eq!(a, vec![[1.0, 2.0, 3.0], [-0.5, 0.25, 0.4]]);
        let mut bin = b"ply\nformat binary_little_endian 1.0\nelement vertex 2\nproperty double x\nproperty float y\nproperty float z\nproperty uchar red\nend_header\n".to_vec();
        for p in &a {
            bin.extend_from_slice(&(p[0] as f64).to_le_bytes());
            bin.extend_from_slice(&p[1].to_le_bytes());
            bin.extend_from_slice(&p[2].to_le_bytes());
            bin.push(7);
        }
        assert_eq!(parse_ply(&bin).unwrap(), a);
        bin.truncate(bin.len() - 3);
        let e = format!("{:#}", parse_ply(&bin).unwrap_err());
        assert!(e.contains("truncated"), "{e}");
        assert!(parse_ply(b"plx\nend_header\n").is_err());
        let big = b"ply\nformat binary_big_endian 1.0\nelement vertex 0\nend_header\n";
        assert!(format!("{:#}", parse_ply(big).unwrap_err()).contains("big_endian"));
    }

    #[test]
    fn json_points() {
        assert_eq!(
            parse_json_points(b"[[1,2,3],[4,5,6]]").unwrap(),
            vec![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
        );
        assert_eq!(
            parse_json_points(br#"{"points": [[0,0,1]]}"#)
                .unwrap()
                .len(),
            1
        );
        assert!(parse_json_points(b"[[1,2]]").is_err());
    }
}
