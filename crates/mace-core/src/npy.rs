//! NPY arrays of floats, the format numpy's `np.save` writes: read any little-endian `float32`
//! or `float64` array (format versions 1.0–3.0, C or Fortran order) into `f32` values in C
//! order; write `float32` arrays (version 1.0, C order).
//!
//! ```
//! use mace_core::npy::{decode_f32, encode_f32};
//! let bytes = encode_f32(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
//! let a = decode_f32(&bytes, "<memory>", 1 << 20)?;
//! assert_eq!((a.shape.as_slice(), a.data[5]), (&[2, 3][..], 6.0));
//! # Ok::<(), mace_core::npy::NpyError>(())
//! ```

const MAGIC: &[u8] = b"\x93NUMPY";

/// A malformed NPY file or one holding an array we do not read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("bad NPY file {origin}: field `{field}` = {value}: {reason}")]
pub struct NpyError {
    /// The file (or `<memory>`).
    pub origin: String,
    /// The header field or part (`magic`, `version`, `header`, `descr`, `fortran_order`,
    /// `shape`, `data`).
    pub field: &'static str,
    /// The value found, formatted.
    pub value: String,
    /// What was expected.
    pub reason: String,
}

/// A float array: its shape and its values in C (row-major) order.
#[derive(Debug, Clone, PartialEq)]
pub struct NpyArray {
    /// The dimensions (empty for a scalar).
    pub shape: Vec<usize>,
    /// `shape.iter().product()` values, C order.
    pub data: Vec<f32>,
}

fn err(origin: &str, field: &'static str, value: impl Into<String>, reason: &str) -> NpyError {
    NpyError {
        origin: origin.to_string(),
        field,
        value: value.into(),
        reason: reason.to_string(),
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

/// What an NPY header says.
#[derive(Debug, Clone, PartialEq)]
pub struct NpyHeader {
    /// The dimensions.
    pub shape: Vec<usize>,
    /// Bytes per value: 4 (`<f4`) or 8 (`<f8`).
    pub value_size: usize,
    /// Values stored in Fortran (column-major) order.
    pub fortran: bool,
    /// Where the values start in the file.
    pub data_start: usize,
    /// The number of values, `shape`'s product (at most the `max_values` given).
    pub count: usize,
}

/// Reads the header of an NPY file held in memory (see [`decode_f32`]), without touching the
/// values: a reader that wants a particular shape checks it here first.
///
/// # Errors
/// As [`decode_f32`], but for the body.
pub fn header(bytes: &[u8], origin: &str, max_values: usize) -> Result<NpyHeader, NpyError> {
    if bytes.len() < 10 || &bytes[..6] != MAGIC {
        let shown = format!("{:?}", &bytes[..bytes.len().min(6)]);
        return Err(err(origin, "magic", shown, "expected \\x93NUMPY"));
    }
    let (hlen, hstart) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10usize),
        2 | 3 if bytes.len() >= 12 => (
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
            12,
        ),
        2 | 3 => {
            return Err(err(
                origin,
                "header",
                "truncated",
                "file ends inside the header",
            ))
        }
        v => return Err(err(origin, "version", v.to_string(), "expected 1, 2 or 3")),
    };
    let hend = hstart
        .checked_add(hlen)
        .filter(|&e| e <= bytes.len())
        .ok_or_else(|| {
            err(
                origin,
                "header",
                format!("{hlen} bytes"),
                "file ends inside the header",
            )
        })?;
    let header = std::str::from_utf8(&bytes[hstart..hend])
        .map_err(|_| err(origin, "header", "<non-UTF-8>", "header must be text"))?;
    let descr = dict_value(header, "descr")
        .ok_or_else(|| err(origin, "descr", "<missing>", "header lacks 'descr'"))?
        .trim_matches(|c| c == '\'' || c == '"');
    let size = match descr {
        "<f4" => 4,
        "<f8" => 8,
        _ => {
            return Err(err(
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
        Some(v) => return Err(err(origin, "fortran_order", v, "expected True or False")),
    };
    let shape_text = dict_value(header, "shape")
        .ok_or_else(|| err(origin, "shape", "<missing>", "header lacks 'shape'"))?;
    let shape: Vec<usize> = shape_text
        .trim_matches(|c| c == '(' || c == ')')
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().ok())
        .collect::<Option<_>>()
        .ok_or_else(|| err(origin, "shape", shape_text, "expected a tuple of counts"))?;
    let count = shape
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .filter(|&c| c <= max_values)
        .ok_or_else(|| {
            err(
                origin,
                "shape",
                shape_text,
                &format!("more than the {max_values} values this reader accepts"),
            )
        })?;
    Ok(NpyHeader {
        shape,
        value_size: size,
        fortran,
        data_start: hend,
        count,
    })
}

/// Decodes an NPY file held in memory; `origin` names it in errors. The array may hold at
/// most `max_values` values, checked against the header before anything is allocated.
///
/// # Errors
/// [`NpyError`] naming the field and value: no magic, an unknown version, a truncated header,
/// a type other than `<f4`/`<f8`, a shape that overflows or exceeds `max_values`, a body shorter
/// or longer than the shape says. Values are not checked for finiteness.
pub fn decode_f32(bytes: &[u8], origin: &str, max_values: usize) -> Result<NpyArray, NpyError> {
    let NpyHeader {
        shape,
        value_size: size,
        fortran,
        data_start: hend,
        count,
    } = header(bytes, origin, max_values)?;
    let body = &bytes[hend..];
    let need = count * size;
    if body.len() != need {
        return Err(err(
            origin,
            "data",
            format!("{} bytes for {need}", body.len()),
            if body.len() < need {
                "fewer bytes than `shape` needs (truncated file)"
            } else {
                "more bytes than `shape` says (wrong shape in the header?)"
            },
        ));
    }
    let value = |k: usize| -> f32 {
        let b = &body[k * size..(k + 1) * size];
        if size == 4 {
            f32::from_le_bytes([b[0], b[1], b[2], b[3]])
        } else {
            f64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]) as f32
        }
    };
    let mut data: Vec<f32> = (0..count).map(value).collect();
    if fortran && shape.len() > 1 {
        data = fortran_to_c(&data, &shape);
    }
    Ok(NpyArray { shape, data })
}

/// Reorders values stored in Fortran (column-major) order into C order.
fn fortran_to_c(data: &[f32], shape: &[usize]) -> Vec<f32> {
    let n = data.len();
    let mut out = vec![0f32; n];
    let mut idx = vec![0usize; shape.len()];
    for v in out.iter_mut() {
        // idx is the C-order multi-index of this output position; its Fortran offset:
        let (mut off, mut stride) = (0, 1);
        for (d, &i) in idx.iter().enumerate() {
            off += i * stride;
            stride *= shape[d];
        }
        *v = data[off];
        for d in (0..shape.len()).rev() {
            idx[d] += 1;
            if idx[d] < shape[d] {
                break;
            }
            idx[d] = 0;
        }
    }
    out
}

/// Encodes `data` (C order) as an NPY version 1.0 `<f4` array of `shape`.
///
/// # Panics
/// If `data.len()` is not the product of `shape` (a programming error).
pub fn encode_f32(data: &[f32], shape: &[usize]) -> Vec<u8> {
    assert_eq!(data.len(), shape.iter().product::<usize>(), "NPY shape");
    let dims = match shape {
        [n] => format!("({n},)"),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let mut header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': {dims}, }}");
    // Pad with spaces so magic + version + length + header + '\n' is a multiple of 64.
    let unpadded = MAGIC.len() + 2 + 2 + header.len() + 1;
    header.extend(std::iter::repeat_n(' ', (64 - unpadded % 64) % 64));
    header.push('\n');
    let mut out = Vec::with_capacity(10 + header.len() + data.len() * 4);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[1, 0]);
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    for v in data {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An NPY file of header dict `dict` and raw `body`.
    fn file(dict: &str, body: &[u8]) -> Vec<u8> {
        let mut header = dict.to_string();
        let unpadded = MAGIC.len() + 4 + header.len() + 1;
        header.extend(std::iter::repeat_n(' ', (64 - unpadded % 64) % 64));
        header.push('\n');
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(&[1, 0]);
        bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
        bytes.extend_from_slice(header.as_bytes());
        bytes.extend_from_slice(body);
        bytes
    }

    fn f32_bytes(v: &[f32]) -> Vec<u8> {
        v.iter().flat_map(|x| x.to_le_bytes()).collect()
    }

    #[test]
    fn round_trips_any_shape() {
        for shape in [vec![5], vec![2, 3], vec![2, 1, 4], vec![0, 3]] {
            let n: usize = shape.iter().product();
            let data: Vec<f32> = (0..n).map(|i| i as f32 * 0.5).collect();
            let a = decode_f32(&encode_f32(&data, &shape), "<memory>", 100).unwrap();
            assert_eq!((a.shape, a.data), (shape, data));
        }
    }

    #[test]
    fn fortran_order_and_float64_are_read_into_c_order_f32() {
        // [[1, 2, 3], [4, 5, 6]] stored column by column.
        let body = f32_bytes(&[1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
        let f = file(
            "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }",
            &body,
        );
        let a = decode_f32(&f, "<memory>", 100).unwrap();
        assert_eq!(a.data, vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let body: Vec<u8> = [0.5f64, -2.0]
            .iter()
            .flat_map(|x| x.to_le_bytes())
            .collect();
        let f = file(
            "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }",
            &body,
        );
        assert_eq!(
            decode_f32(&f, "<memory>", 100).unwrap().data,
            vec![0.5, -2.0]
        );
    }

    #[test]
    fn lying_headers_are_refused_before_allocating() {
        let body = f32_bytes(&[1.0; 6]);
        let dict =
            |shape: &str| format!("{{'descr': '<f4', 'fortran_order': False, 'shape': {shape}, }}");
        for shape in ["(999999999999, 9)", "(18446744073709551615, 2)", "(2, x)"] {
            let e = decode_f32(&file(&dict(shape), &body), "x.npy", 1000).unwrap_err();
            assert_eq!(e.field, "shape", "{e}");
        }
        let e = decode_f32(&file(&dict("(2, 3)"), &body[..23]), "x.npy", 1000).unwrap_err();
        assert_eq!(e.field, "data", "{e}");
        let e = decode_f32(&file(&dict("(2, 2)"), &body), "x.npy", 1000).unwrap_err();
        assert!(e.reason.contains("more bytes"), "{e}");
        let e = decode_f32(
            &file(
                "{'descr': '>i4', 'fortran_order': False, 'shape': (6,), }",
                &body,
            ),
            "x.npy",
            1000,
        )
        .unwrap_err();
        assert_eq!(e.field, "descr");
        let e = decode_f32(b"\x93NUMPY\x09\x00\x00\x00", "x.npy", 1000).unwrap_err();
        assert_eq!(e.field, "version");
        assert!(e.to_string().starts_with("bad NPY file x.npy"), "{e}");
    }
}
