//! `mace.tune`: adapt an IK prior to a scene and target (a position or a pose) with MACE (or
//! IS), as `mace ik tune` does (same preset, tuning scope and evaluation), or to a Python
//! evidence callable; returns a `Posterior` to sample, save or pickle (by value, `state`).

mod state;

use std::ffi::CString;
use std::path::PathBuf;
use std::sync::Arc;

use mace_core::fs::{FileError, OutputDir};
use mace_core::{NoObserver, Objective, TuneConfig, Tuner};
use mace_lab::ik::recipe::{evaluate_model, LOGIT_LR_SCALE, MARGIN_PENALTY, TUNE_MARGIN};
use mace_lab::ik::{check_reachable, tune_ik, IkPrior, IkTuneConfig, IkTuneRecord, IkTuneRun};
use mace_models::fast::ArGmmSampler;
use mace_models::ArGmm;
use mace_robot::target::TargetOrientation;
use mace_robot::{KinematicChain, Scene, ToolAxis};
use pyo3::exceptions::{PyFileExistsError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use rand::{rngs::StdRng, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::arrays;
use crate::errors::IntoPy;
use crate::evidence::{EvidenceEval, Knobs, Layout, PyEvidence};
use crate::pose::PoseArgs;
use crate::prior::PyIkPrior;
use crate::robot::PyRobot;
use crate::scene::PyScene;

/// A prior tuned to one scene (or evidence) and target. Pickled by value: the tuned weights
/// exactly, the conditioning context, the record and the robot (see `state`); an evidence
/// callable is not kept, only its scores in the record.
#[pyclass(name = "Posterior", module = "mace", frozen)]
#[derive(Debug)]
pub(crate) struct PyPosterior {
    model: ArGmm,
    sampler: ArGmmSampler,
    /// What the posterior is conditioned on: the target's position (a position prior) or its
    /// pose (a pose prior).
    context: Vec<f32>,
    /// The tool orientation of a pose target.
    orientation: Option<TargetOrientation>,
    record: IkTuneRecord,
    /// Tuned to a Python evidence: its scores of the evaluation samples.
    evidence: Option<EvidenceEval>,
    reached: Result<(), String>,
    robot: Py<PyRobot>,
    /// How the `mace` command finds the scene it was tuned in.
    command_scene: CommandScene,
}

/// How `mace ik sample --posterior DIR` finds the scene a posterior was tuned in (the
/// `scene` of `DIR/report.json`, read as its `--scene`).
#[derive(Debug, Clone, Serialize, Deserialize)]
enum CommandScene {
    /// By a shipped name or a scene file's absolute path.
    Spec(String),
    /// Tuned without a scene: `save` writes the empty scene beside the weights.
    Empty,
    /// A scene changed in Python (obstacles added, ground switched): nothing names it.
    Changed,
}

/// The file `Posterior.save` writes for a posterior tuned without a scene.
const EMPTY_SCENE_FILE: &str = "scene.toml";

/// The scene file of a posterior tuned without a scene: no obstacles, no ground.
fn empty_scene_toml(target: [f32; 3]) -> String {
    format!(
        "# The scene of a posterior tuned without one: no obstacles and no ground, so that\n\
         # `mace ik sample --posterior` checks self-collisions only, as tuning evaluated it.\n\
         name = \"empty\"\ntarget = [{:?}, {:?}, {:?}]\nground = false\n",
        target[0], target[1], target[2]
    )
}

/// `report.json`: `mace ik tune`'s record, with the tool orientation of a pose target (named as
/// a line of `mace ik tune --targets`'s `targets.jsonl` names it) and the evidence's scores when
/// tuned to one.
#[derive(Serialize)]
struct Record<'a> {
    #[serde(flatten)]
    record: &'a IkTuneRecord,
    #[serde(skip_serializing_if = "Option::is_none")]
    target_orientation: Option<[f32; 4]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    free_axis: Option<ToolAxis>,
    #[serde(skip_serializing_if = "Option::is_none")]
    evidence: Option<&'a EvidenceEval>,
}

/// Tunes `prior` for `robot` to `scene` (its IK score, to `target`, default the scene's) or to
/// `evidence` (a callable scoring configurations; the prior is conditioned on `target`, which
/// defaults to the scene's when there is one) with `objective` (`mace` or `is`) and
/// `mace ik tune`'s defaults (preset `TuneConfig::panda_ik_fast`, 1 cm soft obstacle margin,
/// evaluation on `eval_samples` samples with seed `eval_seed`, default `seed + 1`); `knobs`
/// override the preset. A pose target: `orientation` (quaternion x, y, z, w) or `rpy` (rad),
/// optionally free about `free_axis`, read as `mace ik solve` reads them; with neither, the
/// scene's target orientation if it has one (as `mace ik tune` tunes to a scene file's pose).
#[pyfunction]
#[pyo3(signature = (prior, robot, scene = None, target = None, evidence = None, seed = None, objective = "mace", eval_samples = None, eval_seed = None, orientation = None, rpy = None, free_axis = None, **knobs))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn tune(
    py: Python<'_>,
    prior: PyRef<'_, PyIkPrior>,
    robot: Py<PyRobot>,
    scene: Option<&Bound<'_, PyScene>>,
    target: Option<&Bound<'_, PyAny>>,
    evidence: Option<&Bound<'_, PyAny>>,
    seed: Option<&Bound<'_, PyAny>>,
    objective: &str,
    eval_samples: Option<&Bound<'_, PyAny>>,
    eval_seed: Option<&Bound<'_, PyAny>>,
    orientation: Option<&Bound<'_, PyAny>>,
    rpy: Option<&Bound<'_, PyAny>>,
    free_axis: Option<&str>,
    knobs: Option<&Bound<'_, PyDict>>,
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
    let eval_seed = eval_seed
        .map(arrays::seed)
        .transpose()?
        .unwrap_or(seed.wrapping_add(1));
    let eval_samples = match eval_samples {
        Some(n) => arrays::count(n, "eval_samples")?,
        None => 1000,
    };
    let tune = Knobs::from_kwargs(knobs)?.config(TuneConfig::panda_ik_fast(), seed)?;
    let target = target
        .filter(|t| !t.is_none())
        .map(|t| arrays::vector::<3>(t, "target"))
        .transpose()?;
    let pose = PoseArgs::read(orientation, rpy, free_axis)?;
    let r = robot.get();
    let command_scene = match scene {
        Some(s) => s
            .borrow()
            .command_spec()
            .map_or(CommandScene::Changed, CommandScene::Spec),
        None => CommandScene::Empty,
    };
    let evidence = evidence
        .map(|e| {
            PyEvidence::new(
                e,
                Layout::Configurations {
                    dof: r.robot.chain.dof(),
                },
            )
        })
        .transpose()?;
    let mut scene: Scene = match (scene, &evidence, target) {
        (Some(s), _, _) => s.borrow().scene(),
        (None, Some(_), Some(t)) => Scene::empty(t),
        (None, Some(_), None) => {
            return Err(PyValueError::new_err(
                "target is required to tune to an evidence without a scene",
            ))
        }
        (None, None, _) => {
            return Err(PyTypeError::new_err(
                "tune needs a scene (to tune to its IK score) or an evidence callable",
            ))
        }
    };
    if let Some(t) = target {
        scene.target = t;
    }
    scene.target_orientation = pose
        .target(scene.target, scene.target_orientation)?
        .orientation;
    let orientation = scene.target_orientation;
    let prior = prior.for_robot(py, r)?;
    check_reachable(&r.robot.chain, scene.target).py_err()?;
    let chain = Arc::clone(&r.robot);
    let (run, evidence) = match evidence {
        None => {
            let config = IkTuneConfig {
                objective,
                tune,
                scope: mace_lab::ik::TuneScope::new(
                    None,
                    TUNE_MARGIN,
                    MARGIN_PENALTY,
                    false,
                    LOGIT_LR_SCALE,
                )
                .py_err()?,
                eval_samples,
                eval_seed,
            };
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
            (run, None)
        }
        Some(evidence) => {
            let problem = EvidenceTune {
                prior: &prior,
                chain: &chain.chain,
                scene: &scene,
                objective,
                tune: &tune,
                eval_samples,
                eval_seed,
            };
            let run = py.detach(|| problem.run(&evidence));
            let run = run.map_err(|e| {
                evidence
                    .take_error()
                    .unwrap_or_else(|| crate::errors::lab(e))
            })?;
            let (calls, seconds) = evidence.spent();
            let prior_scores = evidence.scores(py, run.prior_q.clone(), eval_samples)?;
            let posterior_scores = evidence.scores(py, run.posterior_q.clone(), eval_samples)?;
            let eval = EvidenceEval {
                callable: evidence.name(py),
                calls,
                callable_s: seconds,
                samples: eval_samples,
                prior_mean_score: mace_core::stats::mean_f32(&prior_scores),
                posterior_mean_score: mace_core::stats::mean_f32(&posterior_scores),
            };
            (run, Some(eval))
        }
    };
    let reached = run.check_reached().map_err(|e| crate::errors::one_line(&e));
    let model = run.posterior.model().clone();
    let context = run.posterior.context().to_vec();
    let sampler = ArGmmSampler::new(&model).map_err(|e| crate::errors::lab(e.into()))?;
    Ok(PyPosterior {
        model,
        sampler,
        context,
        orientation,
        record: run.record,
        evidence,
        reached,
        robot,
        command_scene,
    })
}

/// Tuning an IK prior to a Python evidence: `tune_ik` with the evidence in place of the
/// scene's IK score (all joints tuned, the IK commands' logit learning-rate scale), prior and
/// posterior evaluated in the scene (without one: self-collisions only).
struct EvidenceTune<'a> {
    prior: &'a IkPrior,
    chain: &'a KinematicChain,
    scene: &'a Scene,
    objective: Objective,
    tune: &'a TuneConfig,
    eval_samples: usize,
    eval_seed: u64,
}

impl EvidenceTune<'_> {
    fn run(&self, evidence: &PyEvidence) -> mace_lab::Result<IkTuneRun> {
        let (scene, target) = (self.scene, self.scene.target);
        let (n, eval_seed) = (self.eval_samples, self.eval_seed);
        let model = &self.prior.model;
        let context = mace_lab::ik::context_for(model, &scene.ik_target())?;
        let (prior_eval, prior_q) = evaluate_model(
            &model.conditioned(&context)?,
            self.chain,
            scene,
            n,
            eval_seed,
        )?;
        let posterior = model
            .deep_copy()?
            .conditioned(&context)?
            .with_tuned_joints(self.chain.dof())
            .with_logit_lr_scale(LOGIT_LR_SCALE)?;
        let report = Tuner::new(self.tune.clone(), self.objective)?.run(
            &posterior,
            evidence,
            &mut NoObserver,
        )?;
        let (posterior_eval, posterior_q) =
            evaluate_model(&posterior, self.chain, scene, n, eval_seed)?;
        Ok(IkTuneRun {
            posterior,
            record: IkTuneRecord {
                scene: scene.name.clone(),
                target,
                prior: self.prior.dir.display().to_string(),
                prior_eval,
                posterior_eval,
                report,
            },
            prior_q,
            posterior_q,
        })
    }
}

impl PyPosterior {
    /// The record as `report.json` holds it.
    fn full_record(&self) -> Record<'_> {
        self.record_of(&self.record)
    }

    /// `record` with the orientation and the evidence's scores.
    fn record_of<'a>(&'a self, record: &'a IkTuneRecord) -> Record<'a> {
        Record {
            record,
            target_orientation: self.orientation.map(|o| o.quaternion),
            free_axis: self.orientation.and_then(|o| o.free_axis),
            evidence: self.evidence.as_ref(),
        }
    }
}

#[pymethods]
impl PyPosterior {
    /// The target it was tuned to, metres, float32 `(3,)`.
    #[getter]
    fn target<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        arrays::floats(py, self.record.target.to_vec())
    }

    /// The tool orientation it was tuned to, quaternion (x, y, z, w) float32 `(4,)`, or `None`
    /// for a position target.
    #[getter]
    fn target_orientation<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyAny>> {
        self.orientation
            .map(|o| arrays::floats(py, o.quaternion.to_vec()))
    }

    /// The tool axis the orientation is free about (`"x"`, `"y"`, `"z"`), or `None`.
    #[getter]
    fn free_axis(&self) -> Option<&'static str> {
        self.orientation
            .and_then(|o| o.free_axis)
            .map(ToolAxis::name)
    }

    /// The robot it samples for.
    #[getter]
    fn robot(&self, py: Python<'_>) -> Py<PyRobot> {
        self.robot.clone_ref(py)
    }

    /// What tuning measured: the record `mace ik tune` writes as `report.json` (scene, target,
    /// prior and posterior evaluations in the scene, the tuner's report) and, when tuned to an
    /// evidence, `evidence` (its mean scores of the prior's and posterior's samples).
    #[getter]
    fn report<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        crate::json::to_python(py, &self.full_record())
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

    /// `n` configurations from the posterior for its target (seeded; a pose prior's posterior
    /// conditioned on the pose): float32 `(n, dof)`.
    #[pyo3(signature = (n, seed = None))]
    fn sample<'py>(
        &self,
        py: Python<'py>,
        n: &Bound<'py, PyAny>,
        seed: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let n = arrays::count(n, "n")?;
        let seed = seed.map(arrays::seed).transpose()?.unwrap_or(0);
        let (context, sampler) = (&self.context, &self.sampler);
        let q = py.detach(|| sampler.sample(context, n, &mut StdRng::seed_from_u64(seed)));
        arrays::matrix(py, q, n, self.robot.get().robot.chain.dof())
    }

    /// Writes the posterior as `mace ik tune --out DIR` does (without pictures):
    /// `DIR/posterior/` (load it with `mace.IkPrior.load`) and `DIR/report.json`, so that
    /// `mace ik sample --posterior DIR` samples it and checks the samples in its scene
    /// (`report.json`'s `scene`: a shipped scene's name, a scene file's absolute path, or for a
    /// posterior tuned without a scene the absolute path of the empty scene written beside it,
    /// `DIR/scene.toml`; a scene changed in Python has no name, which a `UserWarning` says).
    /// The folder is written beside `DIR` and renamed into place whole; a `DIR` that holds
    /// files is refused (`FileExistsError`) unless `force`.
    #[pyo3(signature = (dir, force = false))]
    fn save(&self, py: Python<'_>, dir: PathBuf, force: bool) -> PyResult<()> {
        let out = OutputDir::new(&dir, force).map_err(|e| match e {
            FileError::Exists { .. } => PyFileExistsError::new_err(format!(
                "{} exists: pass force=True to replace what it holds",
                dir.display()
            )),
            e => crate::errors::lab(e.into()),
        })?;
        let mut record = self.record.clone();
        let mut scene_file = None;
        match &self.command_scene {
            CommandScene::Spec(spec) => record.scene = spec.clone(),
            CommandScene::Empty => {
                let abs = std::path::absolute(&dir).unwrap_or(dir.clone());
                record.scene = abs.join(EMPTY_SCENE_FILE).display().to_string();
                scene_file = Some(empty_scene_toml(record.target));
            }
            CommandScene::Changed => {
                let message = format!(
                    "the scene was changed in Python (obstacles added or the ground switched), \
                     and report.json can only name it `{}`: give `mace ik sample --posterior \
                     {}` a scene file with --scene to check the samples in it",
                    record.scene,
                    dir.display()
                );
                let category = py.get_type::<pyo3::exceptions::PyUserWarning>();
                let message = CString::new(message.replace('\0', " ")).unwrap_or_default();
                PyErr::warn(py, category.as_any(), &message, 1)?;
            }
        }
        let full = self.record_of(&record);
        py.detach(|| -> mace_lab::Result<()> {
            let stage = out.stage()?;
            mace_models::checkpoint::save_ar_gmm(
                &self.model,
                None,
                &stage.path().join("posterior"),
            )?;
            mace_core::fs::write_json(&stage.path().join("report.json"), &full, false)?;
            if let Some(text) = &scene_file {
                let path = stage.path().join(EMPTY_SCENE_FILE);
                mace_core::fs::write_file(&path, text.as_bytes(), false)?;
            }
            out.publish(stage)?;
            Ok(())
        })
        .py_err()
    }

    /// Pickled by value: the tuned network's weights (its checkpoint files, bit for bit), the
    /// conditioning context, the tool orientation, the record (`report`, with an evidence's
    /// scores), whether the target was reached, how `save` names the scene, and the robot (as
    /// `Robot` pickles); rebuilt by `_from_state`. The evidence callable itself is not kept.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        let py = slf.py();
        let state = slf.get().state(py)?;
        let rebuild = py.get_type::<PyPosterior>().getattr("_from_state")?;
        PyTuple::new(
            py,
            [rebuild, PyTuple::new(py, [state.into_any()])?.into_any()],
        )
    }

    /// Rebuilds a pickled posterior (see `__reduce__`).
    #[staticmethod]
    fn _from_state(state: &Bound<'_, PyTuple>) -> PyResult<Self> {
        Self::from_state(state)
    }

    fn __repr__(&self) -> String {
        let e = &self.record.posterior_eval;
        match &self.evidence {
            None => format!(
                "mace.Posterior(scene {:?}, target {:?}: mean score {:.3}, success {:.3})",
                self.record.scene, self.record.target, e.mean_score, e.success_rate
            ),
            Some(ev) => format!(
                "mace.Posterior(evidence {}, scene {:?}, target {:?}: mean evidence score \
                 {:.3} (prior {:.3}), collision-free {:.3})",
                ev.callable,
                self.record.scene,
                self.record.target,
                ev.posterior_mean_score,
                ev.prior_mean_score,
                e.success_rate
            ),
        }
    }
}
