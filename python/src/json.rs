//! Library records (serde) as Python objects, through JSON: the same keys and values as the
//! `mace` command's `--json` output (infinities, which JSON lacks, become `None`).

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;

/// `value` as Python dicts, lists, numbers, strings and `None` (`json.loads` of its JSON).
pub(crate) fn to_python<'py, T: serde::Serialize>(
    py: Python<'py>,
    value: &T,
) -> PyResult<Bound<'py, PyAny>> {
    let text = serde_json::to_string(value)
        .map_err(|e| PyRuntimeError::new_err(format!("serialising a record: {e}")))?;
    py.import("json")?.call_method1("loads", (text,))
}
