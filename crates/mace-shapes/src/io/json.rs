//! Points as JSON: an array of `[x, y, z]`, or an object whose `points` is one (what
//! `mace render cloud --contacts` and small hand-written observations use).

use std::path::Path;

use serde_json::Value;

use crate::error::{Error, Result};
use crate::io::atomic::read_bytes;
use crate::io::MAX_POINTS;

/// Parses JSON points; `origin` names the source in errors.
///
/// # Errors
/// [`Error::JsonPoints`] naming the point for malformed JSON, a point that is not three finite
/// numbers, or no points.
///
/// # Example
/// ```
/// let p = mace_shapes::io::parse_json_points(b"[[1, 2, 3], [4, 5, 6]]", "<memory>")?;
/// assert_eq!(p, vec![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
/// # Ok::<(), mace_shapes::Error>(())
/// ```
pub fn parse_json_points(bytes: &[u8], origin: &str) -> Result<Vec<[f32; 3]>> {
    let bad = |reason: String| Error::JsonPoints {
        origin: origin.to_string(),
        reason,
    };
    let v: Value = serde_json::from_slice(bytes).map_err(|e| bad(format!("not JSON: {e}")))?;
    let list = match &v {
        Value::Array(a) => a,
        Value::Object(o) => match o.get("points") {
            Some(Value::Array(a)) => a,
            _ => {
                return Err(bad(
                    "expected an array of [x, y, z] or an object with `points`".into(),
                ))
            }
        },
        _ => {
            return Err(bad(
                "expected an array of [x, y, z] or an object with `points`".into(),
            ))
        }
    };
    if list.is_empty() {
        return Err(bad("no points".into()));
    }
    if list.len() > MAX_POINTS {
        return Err(Error::TooMany {
            origin: origin.to_string(),
            what: "points".into(),
            count: list.len() as u64,
            limit: MAX_POINTS as u64,
        });
    }
    list.iter()
        .enumerate()
        .map(|(i, p)| {
            let xyz: Option<[f32; 3]> = p.as_array().filter(|a| a.len() == 3).and_then(|a| {
                let v: Vec<f32> = a
                    .iter()
                    .filter_map(Value::as_f64)
                    .map(|x| x as f32)
                    .collect();
                (v.len() == 3 && v.iter().all(|x| x.is_finite())).then(|| [v[0], v[1], v[2]])
            });
            xyz.ok_or_else(|| bad(format!("point {i} is not three finite numbers: {p}")))
        })
        .collect()
}

/// Reads JSON points from a file (see [`parse_json_points`]).
///
/// # Errors
/// [`Error::File`] if unreadable; as [`parse_json_points`].
pub fn read_json_points(path: impl AsRef<Path>) -> Result<Vec<[f32; 3]>> {
    let path = path.as_ref();
    parse_json_points(&read_bytes(path)?, &path.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_and_errors() {
        assert_eq!(
            parse_json_points(br#"{"points": [[0,0,1]]}"#, "x")
                .unwrap()
                .len(),
            1
        );
        for bad in [
            &b"[[1,2]]"[..],
            b"[]",
            b"{}",
            b"[[1,2,null]]",
            b"[[1,2,1e39]]",
            b"nope",
        ] {
            let e = parse_json_points(bad, "f.json").unwrap_err().to_string();
            assert!(e.contains("f.json"), "{e}");
        }
    }
}
