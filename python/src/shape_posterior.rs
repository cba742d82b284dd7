//! `mace.ShapePosterior`: a shape prior whose latent prior `ShapePrior.tune` moved: one Gaussian
//! (objectives `mace`, `exact`, `is`) or a mixture of Gaussians (`mix`). Saved as a shape prior
//! folder (the VAE checkpoint, `latent_prior.json` holding the tuned θ, and `report.json`) that
//! `ShapePrior.load` / `ShapePosterior.load` read back and the `mace` command reads as
//! `--prior DIR` (a mixture only where objective `mix` tunes it further); pickled by value (θ
//! and the record; the frozen VAE by the prior's name or folder, as `ShapePrior` pickles).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use candle_core::Tensor;
use mace_core::fs::{FileError, OutputDir};
use mace_core::{GenerativeModel, TuneReport};
use mace_lab::shapes::prior::LATENT_PRIOR_FILE;
use mace_lab::shapes::{
    latent_at_prior, mixture_at_prior, LatentObjective, LatentPrior, TunedLatent,
};
use mace_models::vae::checkpoint::save_point_vae;
use mace_models::vae::{LatentMixture, MixtureSettings, TunableLatentPrior};
use pyo3::exceptions::{PyFileExistsError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyTuple;
use serde::{Deserialize, Serialize};

use crate::errors::IntoPy;
use crate::evidence::EvidenceEval;
use crate::shapes::{sample, Loaded};

/// The tuning record beside a saved posterior's weights.
const REPORT_FILE: &str = "report.json";

/// What shape tuning measured (`ShapePosterior.report`, and `report.json` of a saved one).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ShapeTuneRecord {
    /// The shape prior's folder.
    pub(crate) prior: String,
    /// Tuning objective.
    pub(crate) objective: LatentObjective,
    /// The evidence's scores of prior and posterior samples.
    pub(crate) evidence: EvidenceEval,
    /// θ of the tuned latent prior: μ per axis (in the prior's principal axes when it has
    /// them, else in z; a mixture's mean).
    pub(crate) posterior_mean: Vec<f32>,
    /// θ of the tuned latent prior: σ per axis (a mixture's standard deviation).
    pub(crate) posterior_std: Vec<f32>,
    /// Components of the mixture (objective `mix`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) components: Option<usize>,
    /// The tuning run.
    pub(crate) report: TuneReport,
}

/// A shape prior whose latent prior was tuned to an evidence by `ShapePrior.tune`.
#[pyclass(name = "ShapePosterior", module = "mace", frozen)]
#[derive(Debug)]
pub(crate) struct PyShapePosterior {
    /// The prior it was tuned from (or the folder it was loaded from): the frozen VAE.
    loaded: Arc<Loaded>,
    /// The VAE with the tuned latent prior.
    model: TunedLatent,
    record: ShapeTuneRecord,
    /// The record as JSON text, as first written: what `report`, `report.json` and pickling
    /// give (JSON text read back into numbers may differ in the last digit).
    record_json: String,
}

/// A candle error as `RuntimeError`.
fn tensor_err(e: candle_core::Error) -> PyErr {
    PyRuntimeError::new_err(e.to_string())
}

/// The σ to write for `log_sigma` so that reading it back (`TunableLatentPrior::set_latent`
/// takes `σ.ln()`) gives `log_sigma` bit for bit: `exp(log_sigma)` or one of the nearest
/// floats beside it.
fn std_for(log_sigma: f32) -> f32 {
    let s = log_sigma.exp();
    let bits = s.to_bits();
    (0..=4u32)
        .flat_map(|k| [bits.wrapping_add(k), bits.wrapping_sub(k)])
        .map(f32::from_bits)
        .find(|c| c.is_finite() && *c > 0.0 && c.ln().to_bits() == log_sigma.to_bits())
        .unwrap_or(s)
}

impl PyShapePosterior {
    /// A posterior of the prior `loaded`, tuned as `record` says.
    pub(crate) fn new(
        loaded: Arc<Loaded>,
        model: TunedLatent,
        record: ShapeTuneRecord,
    ) -> PyResult<Self> {
        let mut record_json = serde_json::to_string_pretty(&record)
            .map_err(|e| PyRuntimeError::new_err(format!("serialising the record: {e}")))?;
        record_json.push('\n');
        Ok(PyShapePosterior {
            loaded,
            model,
            record,
            record_json,
        })
    }

    /// A posterior whose record is the JSON text `record_json` (checked).
    fn with_record_text(
        loaded: Arc<Loaded>,
        model: TunedLatent,
        record_json: String,
    ) -> Result<Self, String> {
        let record = serde_json::from_str(&record_json)
            .map_err(|e| format!("not a shape tuning record: {e}"))?;
        Ok(PyShapePosterior {
            loaded,
            model,
            record,
            record_json,
        })
    }

    /// θ of a Gaussian posterior as the model holds it: μ and log σ (its trainable variables,
    /// in that order); empty for a mixture.
    fn theta(&self) -> PyResult<(Vec<f32>, Vec<f32>)> {
        let TunedLatent::Gaussian(model) = &self.model else {
            return Ok((Vec::new(), Vec::new()));
        };
        match model.trainable_vars().as_slice() {
            [mu, log_sigma] => Ok((
                mu.as_tensor().to_vec1().map_err(tensor_err)?,
                log_sigma.as_tensor().to_vec1().map_err(tensor_err)?,
            )),
            other => Err(PyRuntimeError::new_err(format!(
                "the latent prior has {} parameter tensors, expected 2 (μ, log σ)",
                other.len()
            ))),
        }
    }

    /// Sets θ of `model` to `mean` and `log_sigma` exactly (checked as `set_latent` checks).
    fn set_theta(model: &TunableLatentPrior, mean: &[f32], log_sigma: &[f32]) -> PyResult<()> {
        let std: Vec<f32> = log_sigma.iter().map(|l| l.exp()).collect();
        model
            .set_latent(mean, &std)
            .map_err(|e| PyValueError::new_err(format!("bad latent prior: {e}")))?;
        let vars = model.trainable_vars();
        let exact = Tensor::from_slice(log_sigma, log_sigma.len(), vars[1].device())
            .and_then(|t| vars[1].set(&t));
        exact.map_err(tensor_err)
    }

    /// The text of `report.json` in `dir`.
    fn read_record(dir: &Path) -> mace_lab::Result<String> {
        let path = dir.join(REPORT_FILE);
        if !path.is_file() {
            return Err(mace_lab::Error::BadFile {
                path: dir.to_path_buf(),
                reason: format!(
                    "no {REPORT_FILE}: not a folder ShapePosterior.save wrote (a shape prior \
                     folder loads with ShapePrior.load)"
                ),
            });
        }
        Ok(mace_core::fs::read_text(&path, mace_core::fs::TEXT_LIMIT)?)
    }
}

#[pymethods]
impl PyShapePosterior {
    /// Loads a folder `ShapePosterior.save` wrote: the VAE, the tuned latent prior
    /// (`latent_prior.json`, read as `ShapePrior.load` and the `mace` command read it) and the
    /// tuning record (`report.json`).
    #[staticmethod]
    fn load(py: Python<'_>, dir: PathBuf) -> PyResult<Self> {
        if !dir.is_dir() {
            return Err(PyValueError::new_err(format!(
                "no shape posterior folder {}",
                dir.display()
            )));
        }
        let loaded = Loaded::load(py, &dir)?;
        let dir = loaded.prior.dir.clone();
        if loaded.prior.latent.is_none() {
            return Err(PyValueError::new_err(format!(
                "{}: missing: a folder ShapePosterior.save wrote holds its tuned latent prior there",
                dir.join(LATENT_PRIOR_FILE).display()
            )));
        }
        let (model, record) = py
            .detach(|| -> mace_lab::Result<_> {
                Ok((latent_at_prior(&loaded.prior)?, Self::read_record(&dir)?))
            })
            .py_err()?;
        Self::with_record_text(loaded, model, record).map_err(|reason| {
            PyValueError::new_err(format!("{}: {reason}", dir.join(REPORT_FILE).display()))
        })
    }

    /// Points per cloud.
    #[getter]
    fn n_points(&self) -> usize {
        self.loaded.prior.vae.config().n_points
    }

    /// Size of the latent space.
    #[getter]
    fn latent_dim(&self) -> usize {
        self.loaded.prior.vae.config().latent_dim
    }

    /// The mixture a posterior of objective `mix` samples from, as a dict (`weights` (k,),
    /// `means` and `stds` (k, latent_dim), in the prior's principal axes); `None` for one
    /// Gaussian.
    #[getter]
    fn mixture<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        let TunedLatent::Mixture(m) = &self.model else {
            return Ok(None);
        };
        let text = serde_json::to_string(&m.mixture())
            .map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
        Ok(Some(py.import("json")?.call_method1("loads", (text,))?))
    }

    /// What tuning measured: `prior` (folder), `objective`, `evidence` (the callable's name, its
    /// calls and seconds during tuning, and its mean scores of prior and posterior samples),
    /// `posterior_mean` / `posterior_std` (θ, or a mixture's moments), `components` (a
    /// mixture's) and the tuner's `report`.
    #[getter]
    fn report<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        py.import("json")?
            .call_method1("loads", (self.record_json.as_str(),))
    }

    /// `n` clouds from the posterior (seeded): float32 `(n, n_points, 3)`.
    #[pyo3(signature = (n, seed = None))]
    fn sample<'py>(
        &self,
        py: Python<'py>,
        n: &Bound<'py, PyAny>,
        seed: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        sample(py, &self.model, self.n_points(), n, seed)
    }

    /// Writes the posterior as a shape prior folder: the VAE (`config.json`,
    /// `weights.safetensors`, as the prior stores them), the tuned latent prior
    /// (`latent_prior.json`, in the prior's principal axes; a mixture's weights, means and
    /// standard deviations under `mixture`) and `report.json`. `ShapePrior.load(dir)` and
    /// `ShapePosterior.load(dir)` sample it — the same clouds for the same seed — and so does
    /// the `mace` command as a prior (`mace grasp inspect --prior DIR`,
    /// `mace complete tune --prior DIR`; a mixture only with `--objective mix`, which tunes it
    /// further; the other commands name the field and refuse it). The folder is written
    /// beside `dir` and renamed into place whole; a `dir` that holds files is refused
    /// (`FileExistsError`) unless `force`.
    #[pyo3(signature = (dir, force = false))]
    fn save(&self, py: Python<'_>, dir: PathBuf, force: bool) -> PyResult<()> {
        let out = OutputDir::new(&dir, force).map_err(|e| match e {
            FileError::Exists { .. } => PyFileExistsError::new_err(format!(
                "{} exists: pass force=True to replace what it holds",
                dir.display()
            )),
            e => crate::errors::lab(e.into()),
        })?;
        let prior_latent = self.loaded.prior.latent.as_ref();
        let (mean, std, mixture) = match &self.model {
            TunedLatent::Gaussian(_) => {
                let (mean, log_sigma) = self.theta()?;
                (mean, log_sigma.iter().map(|&l| std_for(l)).collect(), None)
            }
            TunedLatent::Mixture(m) => {
                let mixture = m.mixture();
                let (mean, std) = mixture.moments();
                (mean, std, Some(mixture))
            }
        };
        let latent = LatentPrior {
            mean,
            std,
            basis: prior_latent.and_then(|l| l.basis.clone()),
            shapes: prior_latent.map_or(0, |l| l.shapes),
            mixture,
        };
        let (loaded, record) = (&self.loaded, self.record_json.as_bytes());
        py.detach(|| -> mace_lab::Result<()> {
            let stage = out.stage()?;
            let info = &loaded.checkpoint;
            save_point_vae(
                &loaded.prior.vae,
                info.training.as_ref(),
                info.weights_dtype,
                stage.path(),
            )?;
            mace_core::fs::write_json(&stage.path().join(LATENT_PRIOR_FILE), &latent, false)?;
            mace_core::fs::write_file(&stage.path().join(REPORT_FILE), record, false)?;
            out.publish(stage)?;
            Ok(())
        })
        .py_err()
    }

    fn __repr__(&self) -> String {
        let e = &self.record.evidence;
        format!(
            "mace.ShapePosterior({} tuned to {}: mean score {:.3} (prior {:.3}))",
            Path::new(&self.record.prior).display(),
            e.callable,
            e.posterior_mean_score,
            e.prior_mean_score
        )
    }

    /// Pickled by value: θ (μ and log σ exactly, or the mixture as JSON text, whose numbers
    /// read back bit for bit) and the record, with the frozen VAE named as `ShapePrior` pickles
    /// it (a shipped name or an absolute folder); rebuilt by `_from_state`.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        let py = slf.py();
        let me = slf.get();
        let (mean, log_sigma) = me.theta()?;
        let record = me.record_json.clone();
        let mixture = match &me.model {
            TunedLatent::Gaussian(_) => String::new(),
            TunedLatent::Mixture(m) => serde_json::to_string(&m.mixture())
                .map_err(|e| PyRuntimeError::new_err(e.to_string()))?,
        };
        let state =
            (me.loaded.spec.clone(), mean, log_sigma, record, mixture).into_pyobject(py)?;
        let rebuild = py.get_type::<PyShapePosterior>().getattr("_from_state")?;
        PyTuple::new(
            py,
            [rebuild, PyTuple::new(py, [state.into_any()])?.into_any()],
        )
    }

    /// Rebuilds a pickled posterior (see `__reduce__`).
    #[staticmethod]
    fn _from_state(py: Python<'_>, state: &Bound<'_, PyTuple>) -> PyResult<Self> {
        // Pickles of one Gaussian written before mixtures were pickled hold four fields.
        let (spec, mean, log_sigma, record, mixture): (String, Vec<f32>, Vec<f32>, String, String) =
            match state.len() {
                4 => {
                    let (spec, mean, log_sigma, record) = state.extract()?;
                    (spec, mean, log_sigma, record, String::new())
                }
                _ => state.extract()?,
            };
        let loaded = Loaded::load(py, Path::new(&spec))?;
        let model = if mixture.is_empty() {
            let model = py.detach(|| loaded.prior.model()).py_err()?;
            Self::set_theta(&model, &mean, &log_sigma)?;
            TunedLatent::Gaussian(model)
        } else {
            let mixture: LatentMixture = serde_json::from_str(&mixture)
                .map_err(|e| PyValueError::new_err(format!("pickled mixture: {e}")))?;
            let model = py
                .detach(|| mixture_at_prior(&loaded.prior, MixtureSettings::default()))
                .py_err()?;
            model
                .set_mixture(mixture)
                .map_err(|e| PyValueError::new_err(format!("pickled mixture: {e}")))?;
            TunedLatent::Mixture(model)
        };
        Self::with_record_text(loaded, model, record).map_err(PyValueError::new_err)
    }
}
