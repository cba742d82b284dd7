//! `mace.tune`: adapt an IK prior to a scene and target with MACE (or IS), as `mace ik tune`
//! does (same preset, tuning scope and evaluation), returning a `Posterior` to sample.

use std::path::PathBuf;
use std::sync::Arc;

use mace_core::{Objective, TuneConfig};
use mace_lab::ik::recipe::{LOGIT_LR_SCALE, MARGIN_PENALTY, TUNE_MARGIN};
use mace_lab::ik::{check_reachable, tune_ik, IkTuneConfig, IkTuneRecord};
use mace_lab::TuneOverrides;
use mace_models::fast::ArGmmSampler;
use mace_models::ArGmm;
use mace_robot::Scene;
use pyo3::exceptions::{PyFileExistsError, PyValueError};
use pyo3::prelude::*;
use rand::{rngs::StdRng, SeedableRng};

use crate::arrays;
use crate::errors::IntoPy;
use crate::prior::PyIkPrior;
use crate::robot::PyRobot;
use crate::scene::PyScene;

/// A prior tuned to one scene and target.
#[pyclass(name = "Posterior", module = "mace", frozen)]
#[derive(Debug)]
pub(crate) struct PyPosterior {
    model: ArGmm,
    sampler: ArGmmSampler,
    record: IkTuneRecord,
    reached: Result<(), String>,
    robot: Py<PyRobot>,
}

/// Tunes `prior` for `robot` in `scene` (to `target`, default the scene's) with `objective`
/// (`mace` or `is`) and `mace ik tune`'s defaults (preset `TuneConfig::panda_ik_fast`, 1 cm
/// soft obstacle margin, evaluation on `eval_samples` samples with seed `seed + 1`).
#[pyfunction]
#[pyo3(signature = (prior, robot, scene, target = None, seed = None, objective = "mace", eval_samples = None))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn tune(
    py: Python<'_>,
    prior: PyRef<'_, PyIkPrior>,
    robot: Py<PyRobot>,
    scene: &Bound<'_, PyScene>,
    target: Option<&Bound<'_, PyAny>>,
    seed: Option<&Bound<'_, PyAny>>,
    objective: &str,
    eval_samples: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyPosterior> {
    let objective = match objective {
        "mace" => Objective::Mace,
        "is" => Objective::Is,
        other => {
            return Err(PyValueError::new_err(format!(
                "unknown objective `{other}`: expected mace or is"
            )))
        }
    };
    let seed = seed.map(arrays::seed).transpose()?.unwrap_or(0);
    let eval_samples = match eval_samples {
        Some(n) => arrays::count(n, "eval_samples")?,
        None => 1000,
    };
    let r = robot.get();
    let prior = prior.for_robot(py, r)?;
    let mut scene: Scene = scene.borrow().scene();
    if let Some(t) = target.filter(|t| !t.is_none()) {
        scene.target = arrays::vector::<3>(t, "target")?;
    }
    check_reachable(&r.robot.chain, scene.target).py_err()?;
    let config = IkTuneConfig {
        objective,
        tune: TuneOverrides::default().apply(TuneConfig::panda_ik_fast(), seed),
        scope: mace_lab::ik::TuneScope::new(
            None,
            TUNE_MARGIN,
            MARGIN_PENALTY,
            false,
            LOGIT_LR_SCALE,
        )
        .py_err()?,
        eval_samples,
        eval_seed: seed.wrapping_add(1),
    };
    let chain = Arc::clone(&r.robot);
    let prior_ref = Arc::clone(&prior);
    let run = py
        .detach(move || {
            tune_ik(
                &prior_ref,
                &chain.chain,
                &scene,
                &config,
                &mut mace_core::NoObserver,
            )
        })
        .py_err()?;
    let reached = run.check_reached().map_err(|e| crate::errors::one_line(&e));
    let model = run.posterior.model().clone();
    let sampler = ArGmmSampler::new(&model).map_err(|e| crate::errors::lab(e.into()))?;
    Ok(PyPosterior {
        model,
        sampler,
        record: run.record,
        reached,
        robot,
    })
}

#[pymethods]
impl PyPosterior {
    /// The target it was tuned to, metres, float32 `(3,)`.
    #[getter]
    fn target<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        arrays::floats(py, self.record.target.to_vec())
    }

    /// The robot it samples for.
    #[getter]
    fn robot(&self, py: Python<'_>) -> Py<PyRobot> {
        self.robot.clone_ref(py)
    }

    /// What tuning measured: the record `mace ik tune` writes as `report.json` (scene, target,
    /// prior and posterior evaluations, the tuner's report).
    #[getter]
    fn report<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        crate::json::to_python(py, &self.record)
    }

    /// Whether a collision-free posterior sample came within 2 cm of the target (`mace ik tune`
    /// fails otherwise); `reached_message` says why not.
    #[getter]
    fn reached(&self) -> bool {
        self.reached.is_ok()
    }

    /// Why the target was not reached (`None` if it was).
    #[getter]
    fn reached_message(&self) -> Option<String> {
        self.reached.clone().err()
    }

    /// `n` configurations from the posterior for its target (seeded): float32 `(n, dof)`.
    #[pyo3(signature = (n, seed = None))]
    fn sample<'py>(
        &self,
        py: Python<'py>,
        n: &Bound<'py, PyAny>,
        seed: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let n = arrays::count(n, "n")?;
        let seed = seed.map(arrays::seed).transpose()?.unwrap_or(0);
        let target = self.record.target;
        let sampler = &self.sampler;
        let q = py.detach(|| sampler.sample(&target, n, &mut StdRng::seed_from_u64(seed)));
        arrays::matrix(py, q, n, self.robot.get().robot.chain.dof())
    }

    /// Writes the posterior as `mace ik tune --out DIR` does (without pictures):
    /// `DIR/posterior/` (load it with `mace.IkPrior.load`) and `DIR/report.json`, so that
    /// `mace ik sample --posterior DIR` samples it. `DIR` must not exist unless `force`.
    #[pyo3(signature = (dir, force = false))]
    fn save(&self, py: Python<'_>, dir: PathBuf, force: bool) -> PyResult<()> {
        if dir.exists() && !force {
            return Err(PyFileExistsError::new_err(format!(
                "{} exists: pass force=True to replace what it holds",
                dir.display()
            )));
        }
        py.detach(|| -> mace_lab::Result<()> {
            mace_models::checkpoint::save_ar_gmm(&self.model, None, &dir.join("posterior"))?;
            let text = serde_json::to_string_pretty(&self.record)
                .map_err(|e| mace_lab::Error::Failed(e.to_string()))?;
            mace_core::fs::write_file(&dir.join("report.json"), text.as_bytes(), true)?;
            Ok(())
        })
        .py_err()
    }

    fn __repr__(&self) -> String {
        let e = &self.record.posterior_eval;
        format!(
            "mace.Posterior(scene {:?}, target {:?}: mean score {:.3}, success {:.3})",
            self.record.scene, self.record.target, e.mean_score, e.success_rate
        )
    }
}
