//! Reading point clouds for `mace render cloud`: PLY and NPY through `mace-shapes`, and JSON
//! arrays of points.

use std::path::Path;

use anyhow::{bail, Context};

/// Reads the points of `path`: `.ply` / `.npy` (via [`mace_shapes::read_point_cloud`]) or `.json`
/// (`[[x, y, z], …]` or `{"points": [...]}`).
///
/// # Errors
/// Unreadable file, unknown extension, malformed content, or no points.
pub(crate) fn read_points(path: &Path) -> anyhow::Result<Vec<[f32; 3]>> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let points = match ext.as_deref() {
        Some("json") => std::fs::read(path)
            .with_context(|| format!("reading {}", path.display()))
            .and_then(|bytes| parse_json_points(&bytes)),
        Some("ply" | "npy") => Ok(mace_shapes::read_point_cloud(path)?.into_points()),
        _ => bail!("expected a .ply, .npy or .json file"),
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

#[cfg(test)]
mod tests {
    use super::*;

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
