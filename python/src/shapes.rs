//! `mace.ShapePrior`: a shape prior (the point-cloud VAE and the latent prior it samples from),
//! loaded as `mace grasp … --prior DIR` loads it; its samples (drawn as `mace grasp inspect` and
//! `mace grasp tune` draw them); and MACE-VAE tuning of its latent prior to a Python evidence
//! scoring clouds, which gives a `mace.ShapePosterior` (`shape_posterior.rs`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use mace_core::NoObserver;
use mace_lab::shapes::{
    latent_at_prior, load_shape_prior, tune_latent, LatentObjective, ShapePrior, TunedLatent,
};
use mace_models::checkpoint::{CONFIG_FILE, CONFIG_LIMIT};
use mace_models::vae::checkpoint::VaeCheckpointInfo;
use mace_shapes::PointCloud;
use numpy::ndarray::Array3;
use numpy::IntoPyArray;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use crate::arrays;
use crate::errors::IntoPy;
use crate::evidence::{EvidenceEval, Knobs, Layout, PyEvidence};
use crate::shape_posterior::{PyShapePosterior, ShapeTuneRecord};

/// The shipped shape priors (in `assets/priors/NAME`).
pub(crate) const SHIPPED: [&str; 2] = ["airplanes", "airplanes-rolled"];

/// Most clouds one call samples (each is `points × 3` floats: 24 KB for 2048 points).
pub(crate) const MAX_CLOUDS: usize = 100_000;

/// A shape prior: the point-cloud VAE and the latent prior it samples from.
#[pyclass(name = "ShapePrior", module = "mace", frozen)]
#[derive(Debug)]
pub(crate) struct PyShapePrior {
    loaded: Arc<Loaded>,
    /// The latent model at the prior (θ = the fitted latent prior, or the mixture of a saved
    /// posterior of objective `mix`), for sampling.
    model: TunedLatent,
}

/// A shape prior folder as loaded: the prior, what its checkpoint records, and how to load it
/// again.
#[derive(Debug)]
pub(crate) struct Loaded {
    /// The VAE, its folder and its fitted latent prior.
    pub(crate) prior: ShapePrior,
    /// Its `config.json` (the weights' element type and training record, written again when a
    /// posterior is saved).
    pub(crate) checkpoint: VaeCheckpointInfo,
    /// What it was loaded from (a shipped name or an absolute folder), for pickling.
    pub(crate) spec: String,
}

impl Loaded {
    /// Loads `spec`: a shipped prior's name or a prior folder.
    pub(crate) fn load(py: Python<'_>, spec: &Path) -> PyResult<Arc<Loaded>> {
        let text = spec.display().to_string();
        let (dir, stored) = if spec.is_dir() {
            let abs = std::path::absolute(spec).unwrap_or(spec.to_path_buf());
            (abs.clone(), abs.display().to_string())
        } else if SHIPPED.contains(&text.as_str()) {
            (shipped_dir(&text), text.clone())
        } else {
            return Err(PyValueError::new_err(format!(
                "no shape prior `{text}`: expected a shipped prior's name ({}) or a prior \
                 folder (holding config.json and weights.safetensors)",
                SHIPPED.join(", ")
            )));
        };
        let (prior, checkpoint) = py
            .detach(|| -> mace_lab::Result<_> {
                let prior = load_shape_prior(Some(&dir))?;
                let checkpoint = read_checkpoint_info(&prior.dir)?;
                Ok((prior, checkpoint))
            })
            .py_err()?;
        Ok(Arc::new(Loaded {
            prior,
            checkpoint,
            spec: stored,
        }))
    }
}

/// The `config.json` of the VAE checkpoint in `dir` (just loaded: read again for the fields
/// loading leaves out).
fn read_checkpoint_info(dir: &Path) -> mace_lab::Result<VaeCheckpointInfo> {
    let path = dir.join(CONFIG_FILE);
    let text = mace_core::fs::read_text(&path, CONFIG_LIMIT)?;
    serde_json::from_str(&text).map_err(|e| mace_lab::Error::BadFile {
        path,
        reason: format!("invalid JSON: {e}"),
    })
}

/// The folder of the shipped shape prior `name` (`MACE_ASSETS` overrides where the assets are).
fn shipped_dir(name: &str) -> PathBuf {
    crate::assets::overridden(&format!("priors/{name}"))
        .unwrap_or_else(|| mace_lab::assets::resolve(None, &format!("assets/priors/{name}")))
}

/// A count of clouds in `1..=MAX_CLOUDS`.
fn cloud_count(n: &Bound<'_, PyAny>, name: &str) -> PyResult<usize> {
    arrays::count_at_most(n, name, MAX_CLOUDS)
}

/// Clouds of `points` points as a float32 `(n, points, 3)` array.
fn clouds_array<'py>(
    py: Python<'py>,
    clouds: &[PointCloud],
    points: usize,
) -> PyResult<Bound<'py, PyAny>> {
    let flat = mace_lab::shapes::prior::flatten(clouds);
    let a = Array3::from_shape_vec((clouds.len(), points, 3), flat)
        .map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
    Ok(a.into_pyarray(py).into_any())
}

/// `n` clouds of `points` points from `model` drawn with `seed` (as
/// `mace_lab::shapes::sample_clouds`), GIL released.
pub(crate) fn sample<'py>(
    py: Python<'py>,
    model: &TunedLatent,
    points: usize,
    n: &Bound<'py, PyAny>,
    seed: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let n = cloud_count(n, "n")?;
    let seed = seed.map(arrays::seed).transpose()?.unwrap_or(0);
    let clouds = py.detach(|| model.clouds(n, seed)).py_err()?;
    clouds_array(py, &clouds, points)
}

/// Flat clouds `(n · points · 3)`.
fn flat(clouds: &[PointCloud]) -> Vec<f32> {
    mace_lab::shapes::prior::flatten(clouds)
}

#[pymethods]
impl PyShapePrior {
    /// Loads a shape prior: `spec` is a shipped prior's name (`airplanes`: its folder in
    /// `assets/priors/`) or a prior folder (`mace grasp train --out DIR`: `config.json`,
    /// `weights.safetensors` and, when fitted, `latent_prior.json`).
    #[staticmethod]
    #[pyo3(signature = (spec = PathBuf::from("airplanes")), text_signature = "(spec='airplanes')")]
    fn load(py: Python<'_>, spec: PathBuf) -> PyResult<Self> {
        let loaded = Loaded::load(py, &spec)?;
        let model = py.detach(|| latent_at_prior(&loaded.prior)).py_err()?;
        Ok(PyShapePrior { loaded, model })
    }

    /// The folder it was loaded from.
    #[getter]
    fn dir(&self) -> PathBuf {
        self.loaded.prior.dir.clone()
    }

    /// Points per cloud.
    #[getter]
    fn n_points(&self) -> usize {
        self.loaded.prior.vae.config().n_points
    }

    /// Size of the latent space the prior samples from and tuning moves.
    #[getter]
    fn latent_dim(&self) -> usize {
        self.loaded.prior.vae.config().latent_dim
    }

    /// `n` clouds sampled from the prior (the latent prior's draws decoded), seeded as
    /// `mace grasp inspect --seed S` draws its samples: float32 `(n, n_points, 3)`.
    #[pyo3(signature = (n, seed = None))]
    fn sample<'py>(
        &self,
        py: Python<'py>,
        n: &Bound<'py, PyAny>,
        seed: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        sample(py, &self.model, self.n_points(), n, seed)
    }

    /// Tunes the latent prior to `evidence`, a callable scoring a float32 batch of clouds
    /// `(n, n_points, 3)` with `n` scores in [0, 1], by `objective` (`mace`: MACE-VAE with Adam,
    /// the paper's; `mix`: a mixture latent prior refitted to the elites by EM, ours; `exact`:
    /// the closed-form update, moving `step_fraction` of the way per step; `is`: importance
    /// sampling) with `mace grasp tune`'s preset for that objective and `seed`; `knobs` override
    /// the preset. Prior and posterior are then scored on `eval_samples` clouds (default 49)
    /// drawn with seed `seed + 1`.
    #[pyo3(signature = (evidence, seed = None, objective = "mace", step_fraction = 0.5, eval_samples = None, **knobs))]
    #[allow(clippy::too_many_arguments)]
    fn tune<'py>(
        &self,
        py: Python<'py>,
        evidence: &Bound<'py, PyAny>,
        seed: Option<&Bound<'py, PyAny>>,
        objective: &str,
        step_fraction: f64,
        eval_samples: Option<&Bound<'py, PyAny>>,
        knobs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<PyShapePosterior> {
        let objective = match objective.parse::<LatentObjective>() {
            Ok(LatentObjective::BestOf) | Err(_) => {
                return Err(PyValueError::new_err(format!(
                    "unknown objective `{objective}`: expected mace, mix, exact or is"
                )))
            }
            Ok(o) => o,
        };
        if objective == LatentObjective::Exact && !(step_fraction > 0.0 && step_fraction <= 1.0) {
            return Err(PyValueError::new_err(format!(
                "step_fraction must be in (0, 1], got {step_fraction}"
            )));
        }
        let seed = seed.map(arrays::seed).transpose()?.unwrap_or(0);
        let n_eval = match eval_samples {
            Some(n) => cloud_count(n, "eval_samples")?,
            None => 49,
        };
        let config = Knobs::from_kwargs(knobs)?.config(objective.preset(), seed)?;
        let points = self.n_points();
        let evidence = PyEvidence::new(evidence, Layout::Clouds { points })?;
        let eval_seed = seed.wrapping_add(1);
        let (prior, model) = (&self.loaded.prior, &self.model);
        let run = py.detach(|| -> mace_lab::Result<_> {
            let prior_clouds = model.clouds(n_eval, eval_seed)?;
            let (posterior, report) = tune_latent(
                prior,
                &evidence,
                objective,
                step_fraction,
                &config,
                &mut NoObserver,
            )?;
            let clouds = posterior.clouds(n_eval, eval_seed)?;
            Ok((posterior, report, flat(&prior_clouds), flat(&clouds)))
        });
        let (posterior, report, prior_clouds, clouds) = run.map_err(|e| {
            evidence
                .take_error()
                .unwrap_or_else(|| crate::errors::lab(e))
        })?;
        let (calls, seconds) = evidence.spent();
        let (posterior_mean, posterior_std) = posterior.moments().map_err(crate::errors::lab)?;
        let prior_scores = evidence.scores(py, prior_clouds, n_eval)?;
        let posterior_scores = evidence.scores(py, clouds, n_eval)?;
        let record = ShapeTuneRecord {
            prior: self.loaded.prior.dir.display().to_string(),
            objective,
            evidence: EvidenceEval {
                callable: evidence.name(py),
                calls,
                callable_s: seconds,
                samples: n_eval,
                prior_mean_score: mace_core::stats::mean_f32(&prior_scores),
                posterior_mean_score: mace_core::stats::mean_f32(&posterior_scores),
            },
            posterior_mean,
            posterior_std,
            components: match &posterior {
                TunedLatent::Gaussian(_) => None,
                TunedLatent::Mixture(m) => Some(m.mixture().weights.len()),
            },
            report,
        };
        PyShapePosterior::new(Arc::clone(&self.loaded), posterior, record)
    }

    fn __repr__(&self) -> String {
        format!(
            "mace.ShapePrior({}: {} points, latent {})",
            self.loaded.prior.dir.display(),
            self.n_points(),
            self.latent_dim()
        )
    }

    /// Pickled as `ShapePrior.load(spec)`: a shipped name or the folder's absolute path.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        let py = slf.py();
        let load = py.get_type::<PyShapePrior>().getattr("load")?;
        let args = (slf.get().loaded.spec.clone(),).into_pyobject(py)?;
        PyTuple::new(py, [load, args.into_any()])
    }
}
