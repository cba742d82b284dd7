//! Files of joint configurations (JSON), as users and our own commands write them.
//!
//! Accepted layouts, each configuration an array of `dof` joint values (rad or m):
//! - a plain array: `[[q1, …, qn], …]`;
//! - an array of records with `q`: `[{"q": [...], …}, …]` (what `mace ik sample --json` writes);
//! - an object holding such a list under `samples`, `configs` or `q` (the reference test data:
//!   `{"samples": [{"q": [...]}, …]}`);
//! - a `samples.json` of `mace ik tune` (`{"prior": [...], "posterior": [...]}`): the list
//!   named by `which` (`prior` or `posterior`).

use std::path::Path;

use serde_json::Value;

use crate::error::{Error, Result};

/// Largest configuration file read, bytes (1 GiB: tens of millions of configurations).
pub const MAX_CONFIG_FILE_BYTES: u64 = 1 << 30;

/// Reads the configurations of the JSON file `path` as a flat `(n, dof)` batch; `which` picks
/// the list of a `{"prior", "posterior"}` file (default `posterior`).
///
/// # Errors
/// [`Error::File`] if the file cannot be read (not found, not a regular file, too large);
/// [`Error::BadFile`] naming the file and the element for invalid JSON, a configuration of the
/// wrong length, a value that is not a finite number, or no configurations at all.
pub fn read_configs(path: &Path, dof: usize, which: Option<&str>) -> Result<Vec<f32>> {
    let text = mace_core::fs::read_text(path, MAX_CONFIG_FILE_BYTES)?;
    let value: Value = serde_json::from_str(&text).map_err(|e| Error::BadFile {
        path: path.to_path_buf(),
        reason: format!("not valid JSON: {e}"),
    })?;
    let value = match (value.get("prior"), value.get("posterior")) {
        (Some(prior), Some(posterior)) => match which.unwrap_or("posterior") {
            "prior" => prior.clone(),
            _ => posterior.clone(),
        },
        _ => value,
    };
    parse_configs(&value, dof).map_err(|reason| Error::BadFile {
        path: path.to_path_buf(),
        reason,
    })
}

/// The configurations of a parsed JSON value (see the module docs) as a flat `(n, dof)` batch.
///
/// # Errors
/// A message naming the element that is wrong.
pub fn parse_configs(value: &Value, dof: usize) -> std::result::Result<Vec<f32>, String> {
    let rows: &Vec<Value> = match value {
        Value::Array(a) => a,
        Value::Object(o) => match ["samples", "configs", "q"].iter().find_map(|k| o.get(*k)) {
            Some(Value::Array(a)) => a,
            _ => {
                return Err(
                    "expected a JSON array of configurations or an object with `samples[].q`"
                        .into(),
                )
            }
        },
        _ => {
            return Err(
                "expected a JSON array of configurations or an object with `samples[].q`".into(),
            )
        }
    };
    if rows.is_empty() {
        return Err("no configurations (empty batch)".into());
    }
    let mut q = Vec::with_capacity(rows.len().saturating_mul(dof));
    for (i, row) in rows.iter().enumerate() {
        let vals = match row {
            Value::Array(a) => a,
            Value::Object(o) => match o.get("q") {
                Some(Value::Array(a)) => a,
                _ => return Err(format!("configuration {i} has no `q` array")),
            },
            _ => {
                return Err(format!(
                    "configuration {i} is neither an array nor an object with `q`"
                ))
            }
        };
        if vals.len() != dof {
            return Err(format!(
                "configuration {i} has {} joint values, expected {dof}",
                vals.len()
            ));
        }
        for (j, v) in vals.iter().enumerate() {
            match v.as_f64() {
                Some(x) if x.is_finite() && (x as f32).is_finite() => q.push(x as f32),
                _ => {
                    return Err(format!(
                        "configuration {i}, joint {j}: `{v}` is not a finite number"
                    ))
                }
            }
        }
    }
    Ok(q)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str, dof: usize) -> std::result::Result<Vec<f32>, String> {
        parse_configs(&serde_json::from_str(text).unwrap(), dof)
    }

    #[test]
    fn every_layout_reads() {
        assert_eq!(
            parse(r#"[{"q":[1,2],"collides":true},{"q":[3,4]}]"#, 2).unwrap(),
            vec![1.0, 2.0, 3.0, 4.0]
        );
        assert_eq!(parse("[[1,2],[3,4]]", 2).unwrap().len(), 4);
        assert_eq!(parse(r#"{"samples":[{"q":[1,2]}]}"#, 2).unwrap().len(), 2);
        assert_eq!(parse(r#"{"configs":[[1,2]]}"#, 2).unwrap().len(), 2);
    }

    #[test]
    fn bad_content_names_the_element() {
        let e = parse("[[0,0],[0]]", 2).unwrap_err();
        assert!(
            e.contains("configuration 1 has 1 joint values, expected 2"),
            "{e}"
        );
        let e = parse("[[0,null]]", 2).unwrap_err();
        assert!(e.contains("configuration 0, joint 1"), "{e}");
        let e = parse("[[0,1e39]]", 2).unwrap_err();
        assert!(e.contains("not a finite number"), "{e}");
        assert!(parse("[]", 2).unwrap_err().contains("empty batch"));
        assert!(parse("3", 2).is_err());
    }

    #[test]
    fn files_pick_prior_or_posterior() {
        let dir = std::env::temp_dir().join(format!("mace-configs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("samples.json");
        std::fs::write(&p, r#"{"prior": [[1,2]], "posterior": [[3,4],[5,6]]}"#).unwrap();
        assert_eq!(read_configs(&p, 2, Some("prior")).unwrap(), vec![1.0, 2.0]);
        assert_eq!(read_configs(&p, 2, None).unwrap().len(), 4);
        let e = read_configs(&dir.join("missing.json"), 2, None).unwrap_err();
        assert!(e.to_string().contains("missing.json"), "{e}");
        std::fs::write(&p, "{not json").unwrap();
        let e = read_configs(&p, 2, None).unwrap_err().to_string();
        assert!(
            e.contains("samples.json") && e.contains("not valid JSON"),
            "{e}"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
