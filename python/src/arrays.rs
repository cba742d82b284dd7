//! NumPy arrays in and out.
//!
//! Inputs: anything `numpy.asarray` takes (arrays of any float, integer or unsigned dtype, in C
//! or Fortran order, strided views, nested lists), converted to `f32` row-major. Object, string,
//! bool, complex and date arrays are refused with `TypeError`; a wrong shape, a NaN or infinity
//! (naming the argument and the element) or an empty batch with `ValueError` — all before any
//! Rust work. Outputs: `float32` and `bool` arrays the module owns.

use numpy::ndarray::{Array1, Array2};
use numpy::{IntoPyArray, PyArrayDyn, PyArrayMethods};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;

/// Most rows one call takes (configurations, targets), as the command line's `MAX_SAMPLES`.
pub(crate) const MAX_ROWS: usize = 10_000_000;

/// A validated `(rows, cols)` batch of finite `f32`, row-major.
#[derive(Debug, Clone)]
pub(crate) struct Batch {
    /// The values, row-major.
    pub(crate) data: Vec<f32>,
    /// Number of rows.
    pub(crate) rows: usize,
}

/// `obj` as a C-contiguous `float64` array after checking its dtype is numeric; returns the
/// values and the shape.
fn numeric_values(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<(Vec<f64>, Vec<usize>)> {
    let py = obj.py();
    let np = py.import("numpy")?;
    let arr = np.call_method1("asarray", (obj,)).map_err(|e| {
        PyTypeError::new_err(format!(
            "{name} must be a numeric array: {}",
            e.value(py).str().map(|s| s.to_string()).unwrap_or_default()
        ))
    })?;
    let dtype = arr.getattr("dtype")?;
    let kind: String = dtype.getattr("kind")?.extract()?;
    if !matches!(kind.as_str(), "f" | "i" | "u") {
        return Err(PyTypeError::new_err(format!(
            "{name} must be a numeric (float or integer) array, got dtype {}",
            dtype.str()?
        )));
    }
    let ndim: usize = arr.getattr("ndim")?.extract()?;
    let shape: Vec<usize> = arr.getattr("shape")?.extract()?;
    let f64_type = np.getattr("float64")?;
    let c = np.call_method1("ascontiguousarray", (arr, f64_type))?;
    let c = c.cast::<PyArrayDyn<f64>>()?;
    let ro = c.readonly();
    let values = ro
        .as_slice()
        .map_err(|e| PyValueError::new_err(format!("{name}: {e}")))?
        .to_vec();
    // `ascontiguousarray` makes a 0-d input 1-d: keep the shape the caller gave.
    debug_assert!(ndim == shape.len());
    Ok((values, shape))
}

/// The values as `f32`, or a `ValueError` naming the first element that is not finite.
fn finite_f32(values: &[f64], name: &str, cols: usize, two_d: bool) -> PyResult<Vec<f32>> {
    let mut out = Vec::with_capacity(values.len());
    for (i, &v) in values.iter().enumerate() {
        let x = v as f32;
        if !x.is_finite() {
            let at = if two_d {
                format!("{name}[{}, {}]", i / cols, i % cols)
            } else {
                format!("{name}[{i}]")
            };
            let what = if v.is_finite() {
                format!("{v} overflows float32")
            } else {
                float_text(v)
            };
            return Err(PyValueError::new_err(format!(
                "{at} is not finite ({what})"
            )));
        }
        out.push(x);
    }
    Ok(out)
}

/// A `(n, cols)` batch from `obj`; a 1-D array of length `cols` is one row. `what` names a row
/// in messages (e.g. `configurations of 7 joints`).
pub(crate) fn batch(
    obj: &Bound<'_, PyAny>,
    name: &str,
    cols: usize,
    what: &str,
) -> PyResult<Batch> {
    let (values, shape) = numeric_values(obj, name)?;
    let wrong = || {
        PyValueError::new_err(format!(
            "{name} must have shape (n, {cols}) ({what}; one row may be given as shape \
             ({cols},)), got shape {}",
            shape_text(&shape)
        ))
    };
    checked_batch(values, &shape, name, cols, wrong)
}

/// A batch of rows of one of the widths `widths` (the first that matches; a 1-D array is one
/// row); returns it and its width. `wrong` is the message for any other shape, given the
/// shape's text.
pub(crate) fn batch_of_widths(
    obj: &Bound<'_, PyAny>,
    name: &str,
    widths: &[usize],
    wrong: impl Fn(&str) -> String,
) -> PyResult<(Batch, usize)> {
    let (values, shape) = numeric_values(obj, name)?;
    let cols = match shape.as_slice() {
        [c] | [_, c] if widths.contains(c) => *c,
        _ => return Err(PyValueError::new_err(wrong(&shape_text(&shape)))),
    };
    let b = checked_batch(values, &shape, name, cols, || {
        PyValueError::new_err(wrong(&shape_text(&shape)))
    })?;
    Ok((b, cols))
}

/// `values` of `shape` as a checked batch of `cols` columns (`wrong`: the error for another
/// shape).
fn checked_batch(
    values: Vec<f64>,
    shape: &[usize],
    name: &str,
    cols: usize,
    wrong: impl Fn() -> PyErr,
) -> PyResult<Batch> {
    let rows = match shape {
        [c] if *c == cols => 1,
        [n, c] if *c == cols => *n,
        _ => return Err(wrong()),
    };
    if rows == 0 {
        return Err(PyValueError::new_err(format!(
            "{name} is empty: at least one row is needed"
        )));
    }
    if rows > MAX_ROWS {
        return Err(PyValueError::new_err(format!(
            "{name} has {rows} rows, more than the limit of {MAX_ROWS}"
        )));
    }
    let data = finite_f32(&values, name, cols, shape.len() == 2)?;
    Ok(Batch { data, rows })
}

/// Exactly `N` finite numbers (shape `(N,)`) from `obj`.
pub(crate) fn vector<const N: usize>(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<[f32; N]> {
    let (values, shape) = numeric_values(obj, name)?;
    if shape.as_slice() != [N] {
        return Err(PyValueError::new_err(format!(
            "{name} must be {N} numbers (shape ({N},)), got shape {}",
            shape_text(&shape)
        )));
    }
    let v = finite_f32(&values, name, N, false)?;
    let mut out = [0.0f32; N];
    out.copy_from_slice(&v);
    Ok(out)
}

/// Exactly `N` finite numbers (shape `(N,)`) from `obj`, as `f64`.
pub(crate) fn vector_f64<const N: usize>(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<[f64; N]> {
    let (values, shape) = numeric_values(obj, name)?;
    if shape.as_slice() != [N] {
        return Err(PyValueError::new_err(format!(
            "{name} must be {N} numbers (shape ({N},)), got shape {}",
            shape_text(&shape)
        )));
    }
    if let Some(i) = values.iter().position(|v| !v.is_finite()) {
        return Err(PyValueError::new_err(format!(
            "{name}[{i}] is not finite ({})",
            float_text(values[i])
        )));
    }
    let mut out = [0.0f64; N];
    out.copy_from_slice(&values);
    Ok(out)
}

/// The numbers of a 1-D `obj` (at most `max` of them) as given, finite or not: for values a
/// library function checks itself, with its own messages (an orientation's count and values).
pub(crate) fn numbers_f64(obj: &Bound<'_, PyAny>, name: &str, max: usize) -> PyResult<Vec<f64>> {
    let (values, shape) = numeric_values(obj, name)?;
    match shape.as_slice() {
        [n] if *n <= max => Ok(values),
        _ => Err(PyValueError::new_err(format!(
            "{name} must be a 1-D array of numbers, got shape {}",
            shape_text(&shape)
        ))),
    }
}

/// A non-finite value as Python writes it (`nan`, `inf`, `-inf`).
fn float_text(v: f64) -> String {
    if v.is_nan() {
        "nan".into()
    } else if v > 0.0 {
        "inf".into()
    } else {
        "-inf".into()
    }
}

/// `(1, 2)`-style text of a shape.
fn shape_text(shape: &[usize]) -> String {
    match shape {
        [n] => format!("({n},)"),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// A count in `1..=MAX_ROWS` from a Python integer (any size), checked before anything is
/// allocated.
pub(crate) fn count(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<usize> {
    count_at_most(obj, name, MAX_ROWS)
}

/// A count in `1..=max` from a Python integer (`ValueError` naming the range otherwise).
pub(crate) fn count_at_most(obj: &Bound<'_, PyAny>, name: &str, max: usize) -> PyResult<usize> {
    let n: i128 = obj.extract().map_err(|_| {
        let shown = obj.repr().map(|r| r.to_string()).unwrap_or_default();
        if obj.is_instance_of::<pyo3::types::PyInt>() {
            PyValueError::new_err(format!("{name} must be between 1 and {max}, got {shown}"))
        } else {
            PyTypeError::new_err(format!("{name} must be an integer, got {shown}"))
        }
    })?;
    in_range(n, name, max)
}

/// A count in `1..=MAX_ROWS`.
pub(crate) fn count_value(n: i128, name: &str) -> PyResult<usize> {
    in_range(n, name, MAX_ROWS)
}

/// `n` if it lies in `1..=max`.
fn in_range(n: i128, name: &str, max: usize) -> PyResult<usize> {
    if n < 1 || n > max as i128 {
        return Err(PyValueError::new_err(format!(
            "{name} must be between 1 and {max}, got {n}"
        )));
    }
    Ok(n as usize)
}

/// A seed from a Python integer: `0 ≤ seed < 2**64`.
pub(crate) fn seed(obj: &Bound<'_, PyAny>) -> PyResult<u64> {
    obj.extract::<u64>().map_err(|_| {
        let shown = obj.repr().map(|r| r.to_string()).unwrap_or_default();
        PyValueError::new_err(format!(
            "seed must be an integer in [0, 2**64), got {shown}"
        ))
    })
}

/// A `(rows, cols)` `float32` array.
pub(crate) fn matrix<'py>(
    py: Python<'py>,
    data: Vec<f32>,
    rows: usize,
    cols: usize,
) -> PyResult<Bound<'py, PyAny>> {
    let a = Array2::from_shape_vec((rows, cols), data)
        .map_err(|e| pyo3::exceptions::PyRuntimeError::new_err(e.to_string()))?;
    Ok(a.into_pyarray(py).into_any())
}

/// A 1-D `float32` array.
pub(crate) fn floats<'py>(py: Python<'py>, data: Vec<f32>) -> Bound<'py, PyAny> {
    Array1::from_vec(data).into_pyarray(py).into_any()
}

/// A 1-D `bool` array.
pub(crate) fn bools<'py>(py: Python<'py>, data: Vec<bool>) -> Bound<'py, PyAny> {
    Array1::from_vec(data).into_pyarray(py).into_any()
}
