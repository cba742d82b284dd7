use std::path::PathBuf;

use serde_json::Value;

pub(crate) fn path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

pub(crate) fn load(name: &str) -> Value {
    let text =
        std::fs::read_to_string(path(name)).unwrap_or_else(|e| panic!("reading {name}: {e}"));
    serde_json::from_str(&text).unwrap()
}

pub(crate) fn f64s(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

/// The `q` of every sample as one flat `(n, 7)` batch of `f32`.
pub(crate) fn configs(samples: &[Value]) -> Vec<f32> {
    samples
        .iter()
        .flat_map(|s| f64s(&s["q"]))
        .map(|v| v as f32)
        .collect()
}
