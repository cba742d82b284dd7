//! A Python callable as the tuner's evidence, and the tuning knobs the tuning functions take.
//!
//! The tuner runs with the GIL released; once per fresh sample it calls
//! [`mace_core::Evidence::evaluate`], which attaches to the interpreter, checks for Ctrl-C,
//! hands the batch to the callable as a new `float32` NumPy array (`(n, dof)` configurations or
//! `(n, points, 3)` clouds) and checks what comes back: `n` finite scores in [0, 1]. A Python
//! exception — raised by the callable, or the `TypeError` / `ValueError` of a bad result — is
//! kept and a Rust error stops the tuner; the tuning function then raises the kept exception
//! itself (same type, message and traceback).

use std::sync::Mutex;
use std::time::Instant;

use candle_core::{DType, Tensor};
use mace_core::TuneConfig;
use mace_lab::TuneOverrides;
use numpy::ndarray::{Array2, Array3};
use numpy::{IntoPyArray, PyArrayDyn, PyArrayMethods};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use serde::{Deserialize, Serialize};

use crate::arrays;

/// How a batch of samples is shown to the callable.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Layout {
    /// Joint configurations `(n, dof)`.
    Configurations {
        /// Joints per configuration.
        dof: usize,
    },
    /// Point clouds `(n, points, 3)`.
    Clouds {
        /// Points per cloud.
        points: usize,
    },
}

impl Layout {
    /// Values per sample.
    fn width(self) -> usize {
        match self {
            Layout::Configurations { dof } => dof,
            Layout::Clouds { points } => points * 3,
        }
    }
}

/// The error a Python evidence returns to the tuner to stop it; the exception itself waits in
/// [`PyEvidence::take_error`].
#[derive(Debug)]
struct Stopped(String);

impl std::fmt::Display for Stopped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the Python evidence raised {}", self.0)
    }
}

impl std::error::Error for Stopped {}

/// A Python callable `f(batch) -> scores` as a [`mace_core::Evidence`].
#[derive(Debug)]
pub(crate) struct PyEvidence {
    callable: Py<PyAny>,
    layout: Layout,
    /// The first exception raised (the tuner stops at it).
    error: Mutex<Option<PyErr>>,
    /// Calls made and seconds spent in them (the callable alone, measured around the call).
    spent: Mutex<(usize, f64)>,
}

impl PyEvidence {
    /// `callable` as an evidence for samples laid out as `layout`; `TypeError` unless callable.
    pub(crate) fn new(callable: &Bound<'_, PyAny>, layout: Layout) -> PyResult<PyEvidence> {
        if !callable.is_callable() {
            return Err(PyTypeError::new_err(format!(
                "evidence must be a callable taking a float32 array of samples and returning \
                 one score in [0, 1] per sample, got {}",
                type_name(callable)
            )));
        }
        Ok(PyEvidence {
            callable: callable.clone().unbind(),
            layout,
            error: Mutex::new(None),
            spent: Mutex::new((0, 0.0)),
        })
    }

    /// The exception that stopped the tuner, if any.
    pub(crate) fn take_error(&self) -> Option<PyErr> {
        self.error.lock().ok().and_then(|mut e| e.take())
    }

    /// What to call it in records: the callable's `__qualname__` (else its type's name).
    pub(crate) fn name(&self, py: Python<'_>) -> String {
        let f = self.callable.bind(py);
        f.getattr("__qualname__")
            .and_then(|n| n.extract::<String>())
            .unwrap_or_else(|_| type_name(f))
    }

    /// Calls made so far and the seconds spent inside the callable.
    pub(crate) fn spent(&self) -> (usize, f64) {
        self.spent.lock().map(|s| *s).unwrap_or((0, 0.0))
    }

    /// Scores of a flat batch of `n` samples (row-major, [`Layout::width`] values each): with
    /// the GIL held.
    pub(crate) fn scores(&self, py: Python<'_>, flat: Vec<f32>, n: usize) -> PyResult<Vec<f32>> {
        py.check_signals()?;
        let batch = match self.layout {
            Layout::Configurations { dof } => Array2::from_shape_vec((n, dof), flat)
                .map_err(|e| PyValueError::new_err(e.to_string()))?
                .into_pyarray(py)
                .into_any(),
            Layout::Clouds { points } => Array3::from_shape_vec((n, points, 3), flat)
                .map_err(|e| PyValueError::new_err(e.to_string()))?
                .into_pyarray(py)
                .into_any(),
        };
        let t = Instant::now();
        let out = self.callable.bind(py).call1((batch,));
        if let Ok(mut s) = self.spent.lock() {
            s.0 += 1;
            s.1 += t.elapsed().as_secs_f64();
        }
        checked_scores(&out?, n)
    }

    /// Scores of `flat` (`n` samples) with the GIL taken for the call: a Rust error on an
    /// exception, which is kept.
    fn evaluate_flat(&self, flat: Vec<f32>, n: usize) -> mace_core::Result<Vec<f32>> {
        Python::attach(|py| {
            self.scores(py, flat, n).map_err(|e| {
                let text = e.to_string();
                if let Ok(mut kept) = self.error.lock() {
                    kept.get_or_insert(e);
                }
                mace_core::Error::Simulator(Box::new(Stopped(text)))
            })
        })
    }
}

impl mace_core::Evidence for PyEvidence {
    fn evaluate(&self, samples: &Tensor) -> mace_core::Result<Vec<f32>> {
        let width = self.layout.width();
        let dims = samples.dims();
        let n = dims.first().copied().unwrap_or(0);
        let flat = samples
            .to_dtype(DType::F32)?
            .flatten_all()?
            .to_vec1::<f32>()?;
        if flat.len() != n * width {
            return Err(mace_core::Error::ShapeMismatch {
                op: "the Python evidence",
                expected: format!("(n, {width})"),
                got: format!("{dims:?}"),
            });
        }
        self.evaluate_flat(flat, n)
    }
}

/// The type name of `obj`, for messages.
fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".into())
}

/// `out` as `n` scores in [0, 1]: `TypeError` for what is not a numeric (or bool) array,
/// `ValueError` for a wrong shape or a score that is NaN or outside [0, 1] (naming its index
/// and value).
pub(crate) fn checked_scores(out: &Bound<'_, PyAny>, n: usize) -> PyResult<Vec<f32>> {
    let py = out.py();
    let np = py.import("numpy")?;
    let bad_type = || {
        PyTypeError::new_err(format!(
            "the evidence must return {n} scores in [0, 1] (an array-like of shape ({n},)), \
             got {}",
            type_name(out)
        ))
    };
    let arr = np.call_method1("asarray", (out,)).map_err(|_| bad_type())?;
    let kind: String = arr.getattr("dtype")?.getattr("kind")?.extract()?;
    if !matches!(kind.as_str(), "f" | "i" | "u" | "b") {
        let got = if out.is_instance(&np.getattr("ndarray")?)? {
            format!("an array of dtype {}", arr.getattr("dtype")?.str()?)
        } else {
            format!(
                "{} (dtype {})",
                type_name(out),
                arr.getattr("dtype")?.str()?
            )
        };
        return Err(PyTypeError::new_err(format!(
            "the evidence must return {n} numeric scores in [0, 1], got {got}"
        )));
    }
    let shape: Vec<usize> = arr.getattr("shape")?.extract()?;
    if shape.as_slice() != [n] {
        let shown = match shape.as_slice() {
            [m] => format!("{m} scores"),
            _ => format!(
                "an array of shape ({})",
                shape
                    .iter()
                    .map(usize::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
                    + if shape.len() == 1 { "," } else { "" }
            ),
        };
        return Err(PyValueError::new_err(format!(
            "the evidence returned {shown} for {n} samples: it must return one score per \
             sample, shape ({n},)"
        )));
    }
    let c = np.call_method1("ascontiguousarray", (arr, np.getattr("float64")?))?;
    let c = c.cast::<PyArrayDyn<f64>>()?;
    let ro = c.readonly();
    let values = ro
        .as_slice()
        .map_err(|e| PyValueError::new_err(format!("evidence scores: {e}")))?;
    let mut scores = Vec::with_capacity(n);
    for (i, &v) in values.iter().enumerate() {
        if !(0.0..=1.0).contains(&v) {
            return Err(PyValueError::new_err(format!(
                "the evidence returned {} at index {i} (of {n} samples): scores must be \
                 finite and in [0, 1]",
                score_text(v)
            )));
        }
        scores.push(v as f32);
    }
    Ok(scores)
}

/// A score as Python writes it.
fn score_text(v: f64) -> String {
    if v.is_nan() {
        "nan".into()
    } else if v.is_infinite() {
        if v > 0.0 { "inf" } else { "-inf" }.into()
    } else {
        format!("{v}")
    }
}

/// Mean score of an evidence over evaluation samples (prior and posterior).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct EvidenceEval {
    /// The callable's name.
    pub(crate) callable: String,
    /// Calls the tuner made.
    pub(crate) calls: usize,
    /// Seconds spent inside the callable during tuning (the tuner's `simulate_s` adds the
    /// arrays' conversion and taking the GIL).
    pub(crate) callable_s: f64,
    /// Samples scored, each of prior and posterior.
    pub(crate) samples: usize,
    /// Mean score of the prior's samples.
    pub(crate) prior_mean_score: f32,
    /// Mean score of the posterior's samples.
    pub(crate) posterior_mean_score: f32,
}

/// The tuner's knobs as keyword arguments (`mace … tune --iterations … --keep-best …`), read
/// from the keyword arguments a tuning function was given; what is not given keeps the preset.
#[derive(Debug, Default)]
pub(crate) struct Knobs {
    overrides: TuneOverrides,
    /// `stop_at_score=0`: no early stop.
    no_stop: bool,
}

/// The keyword names [`Knobs::from_kwargs`] takes.
pub(crate) const KNOBS: [&str; 12] = [
    "iterations",
    "sample_size",
    "bsz",
    "quantile",
    "lr",
    "grad_steps",
    "time_budget",
    "stop_at_score",
    "first_sample_size",
    "first_sample_max",
    "elite_min_ratio",
    "keep_best",
];

impl Knobs {
    /// The knobs in `kwargs` (`None` values count as not given); `TypeError` for a name that is
    /// not a knob, `ValueError` / `TypeError` for a value of the wrong kind.
    pub(crate) fn from_kwargs(kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Knobs> {
        let mut k = Knobs::default();
        let Some(kwargs) = kwargs else {
            return Ok(k);
        };
        for (key, value) in kwargs.iter() {
            let name: String = key.extract()?;
            if value.is_none() {
                continue;
            }
            let o = &mut k.overrides;
            match name.as_str() {
                "iterations" => o.iterations = Some(arrays::count(&value, "iterations")?),
                "sample_size" => o.sample_size = Some(arrays::count(&value, "sample_size")?),
                "bsz" => o.bsz = Some(arrays::count(&value, "bsz")?),
                "grad_steps" => o.grad_steps = Some(arrays::count(&value, "grad_steps")?),
                "first_sample_size" => {
                    o.first_sample_size = Some(arrays::count(&value, "first_sample_size")?)
                }
                "first_sample_max" => {
                    let m: i128 = number(&value, "first_sample_max")?;
                    o.first_sample_max = Some(if m == 0 {
                        0
                    } else {
                        arrays::count_value(m, "first_sample_max")?
                    });
                }
                "quantile" => o.quantile = Some(number(&value, "quantile")?),
                "lr" => o.lr = Some(number(&value, "lr")?),
                "time_budget" => o.time_budget = Some(number(&value, "time_budget")?),
                "stop_at_score" => {
                    let s: f32 = number(&value, "stop_at_score")?;
                    k.no_stop = s == 0.0;
                    o.stop_at_score = (s != 0.0).then_some(s);
                }
                "elite_min_ratio" => o.elite_min_ratio = Some(number(&value, "elite_min_ratio")?),
                "keep_best" => {
                    o.keep_best = Some(value.extract::<bool>().map_err(|_| {
                        PyTypeError::new_err(format!(
                            "keep_best must be True or False, got {}",
                            value.repr().map(|r| r.to_string()).unwrap_or_default()
                        ))
                    })?)
                }
                other => {
                    return Err(PyTypeError::new_err(format!(
                        "unexpected keyword argument `{other}`: the tuning knobs are {}",
                        KNOBS.join(", ")
                    )))
                }
            }
        }
        Ok(k)
    }

    /// `preset` with these knobs and `seed`, checked: `ValueError` naming a bad knob.
    pub(crate) fn config(&self, preset: TuneConfig, seed: u64) -> PyResult<TuneConfig> {
        let mut c = self.overrides.apply(preset, seed);
        if self.no_stop {
            c.stop_at_score = None;
        }
        c.validate()
            .map_err(|e| PyValueError::new_err(crate::errors::one_line(&e)))?;
        Ok(c)
    }
}

/// A number from a Python object: `TypeError` naming the knob otherwise.
fn number<'py, T: pyo3::conversion::FromPyObjectOwned<'py>>(
    value: &Bound<'py, PyAny>,
    name: &str,
) -> PyResult<T> {
    value.extract::<T>().map_err(|_| {
        PyTypeError::new_err(format!(
            "{name} must be a number, got {}",
            value.repr().map(|r| r.to_string()).unwrap_or_default()
        ))
    })
}
