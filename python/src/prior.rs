//! `mace.IkPrior`: a trained IK prior (the conditional autoregressive Gaussian mixture) and its
//! samples for a target, loaded as `mace ik … --prior DIR` loads it: a prior made for another
//! robot is refused. A position prior conditions on the tool's position; a pose prior on its
//! position and orientation.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use mace_lab::ik::pose::{context_for, load_any_prior, sample_for};
use mace_lab::ik::{check_reachable, load_pose_prior, load_prior, IkPrior};
use mace_robot::Robot;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyTuple;
use rand::{rngs::StdRng, SeedableRng};

use crate::arrays;
use crate::errors::IntoPy;
use crate::pose::PoseArgs;
use crate::robot::PyRobot;

/// A trained IK prior, checked against the robot it samples for.
#[pyclass(name = "IkPrior", module = "mace", frozen)]
#[derive(Debug)]
pub(crate) struct PyIkPrior {
    /// The loaded prior and its sampler.
    pub(crate) prior: Arc<IkPrior>,
    /// The robot it was checked against.
    pub(crate) robot: Py<PyRobot>,
    /// What it was loaded from (a shipped robot name or an absolute folder), for pickling.
    spec: String,
    /// Loaded as `IkPrior.load(spec, pose=True)`.
    pose: bool,
}

impl PyIkPrior {
    /// The prior for `robot`: this one if it was loaded for the same robot (joints and
    /// kinematics), else loaded again from its folder for `robot` — which refuses a prior made
    /// for another robot with the library's message.
    pub(crate) fn for_robot(&self, py: Python<'_>, robot: &PyRobot) -> PyResult<Arc<IkPrior>> {
        let mine = self.robot.get().robot.stamp();
        if mine == robot.robot.stamp() {
            return Ok(Arc::clone(&self.prior));
        }
        let dir = self.prior.dir.clone();
        let r = Arc::clone(&robot.robot);
        let pose = self.prior.is_pose();
        let prior = py
            .detach(move || match pose {
                true => load_pose_prior(Some(&dir), &r),
                false => load_prior(Some(&dir), &r),
            })
            .py_err()?;
        Ok(Arc::new(prior))
    }
}

/// The shipped prior folder of robot `name` (`MACE_ASSETS` overrides where the assets are).
pub(crate) fn shipped_dir(name: &str) -> PathBuf {
    crate::assets::prior_dir(name)
        .unwrap_or_else(|| mace_lab::assets::resolve(None, &format!("assets/priors/{name}-ik")))
}

/// The shipped pose prior folder of robot `name` (it may not exist: not every robot has one).
pub(crate) fn shipped_pose_dir(name: &str) -> PathBuf {
    crate::assets::pose_prior_dir(name).unwrap_or_else(|| {
        mace_lab::assets::resolve(None, &format!("assets/priors/{name}-ik-pose"))
    })
}

/// The robot a prior folder records (`model.made_for.name` of its `config.json`), if it is a
/// shipped robot.
fn recorded_robot(dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(dir.join("config.json")).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    let name = v
        .get("model")?
        .get("made_for")?
        .get("name")?
        .as_str()?
        .to_string();
    is_shipped(&name).then_some(name)
}

/// Whether `name` is a shipped robot.
fn is_shipped(name: &str) -> bool {
    mace_robot::robot::BUILTIN_ROBOTS
        .iter()
        .any(|b| b.name == name)
}

#[pymethods]
impl PyIkPrior {
    /// Loads a prior: `spec` is a shipped robot's name (`panda`, `iiwa14`, `xarm6`: its prior in
    /// `assets/priors/NAME-ik`, or with `pose=True` its pose prior in
    /// `assets/priors/NAME-ik-pose`) or a prior folder (`mace ik train [--pose] --out DIR`, or
    /// the `posterior/` folder `mace ik tune` writes), a position or a pose prior (`pose=True`:
    /// only a pose prior). `robot` is the robot it will sample for (default: the shipped robot
    /// of that name, or the one the folder records); a prior made for another robot, or a
    /// missing one, is refused with `ValueError`.
    #[staticmethod]
    #[pyo3(signature = (spec, robot = None, pose = false))]
    fn load(
        py: Python<'_>,
        spec: PathBuf,
        robot: Option<Py<PyRobot>>,
        pose: bool,
    ) -> PyResult<Self> {
        let text = spec.display().to_string();
        let (dir, default_robot, stored) = if spec.is_dir() {
            let abs = std::path::absolute(&spec).unwrap_or(spec.clone());
            let name = recorded_robot(&abs);
            (abs.clone(), name, abs.display().to_string())
        } else if is_shipped(&text) {
            let dir = match pose {
                true => shipped_pose_dir(&text),
                false => shipped_dir(&text),
            };
            (dir, Some(text.clone()), text.clone())
        } else {
            let names: Vec<&str> = mace_robot::robot::BUILTIN_ROBOTS
                .iter()
                .map(|b| b.name)
                .collect();
            return Err(PyValueError::new_err(format!(
                "no IK prior `{text}`: expected a shipped robot's name ({}) or a prior folder \
                 (holding config.json and weights.safetensors)",
                names.join(", ")
            )));
        };
        let robot = match (robot, default_robot) {
            (Some(r), _) => r,
            (None, Some(name)) => {
                let r = py.detach(|| Robot::load(&name, &[])).py_err()?;
                Py::new(py, PyRobot::from_robot(r, name))?
            }
            (None, None) => {
                return Err(PyValueError::new_err(format!(
                    "the IK prior in {} records no shipped robot: pass robot=mace.Robot(...)",
                    dir.display()
                )))
            }
        };
        let r = Arc::clone(&robot.get().robot);
        let prior = py
            .detach(|| match (pose, spec.is_dir()) {
                (true, _) => load_pose_prior(Some(&dir), &r),
                (false, true) => load_any_prior(Some(&dir), &r),
                (false, false) => load_prior(Some(&dir), &r),
            })
            .py_err()?;
        Ok(PyIkPrior {
            prior: Arc::new(prior),
            robot,
            spec: stored,
            pose,
        })
    }

    /// Whether it is a pose prior (conditioned on the tool's position and orientation) rather
    /// than a position prior.
    #[getter]
    fn is_pose(&self) -> bool {
        self.prior.is_pose()
    }

    /// The robot this prior samples for.
    #[getter]
    fn robot(&self, py: Python<'_>) -> Py<PyRobot> {
        self.robot.clone_ref(py)
    }

    /// The folder it was loaded from.
    #[getter]
    fn dir(&self) -> PathBuf {
        self.prior.dir.clone()
    }

    /// Reading the checkpoint and preparing the sampler, seconds.
    #[getter]
    fn load_seconds(&self) -> f64 {
        self.prior.load_seconds
    }

    /// `n` configurations sampled for the TCP `target` (metres, base frame), seeded as
    /// `mace ik sample --target X Y Z --n N --seed S`: float32 `(n, dof)`. For a pose target,
    /// `orientation` (quaternion x, y, z, w) or `rpy` (rad), optionally free about the tool
    /// axis `free_axis`, as `mace ik solve` reads them: a pose prior conditions on it (with a
    /// free axis, on 8 turns about that axis, a share of the samples each), a position prior on
    /// the position alone. A pose prior needs the orientation; a target beyond the arm's reach
    /// is refused.
    #[pyo3(signature = (target, n, seed = None, orientation = None, rpy = None, free_axis = None))]
    #[allow(clippy::too_many_arguments)]
    fn sample<'py>(
        &self,
        py: Python<'py>,
        target: &Bound<'py, PyAny>,
        n: &Bound<'py, PyAny>,
        seed: Option<&Bound<'py, PyAny>>,
        orientation: Option<&Bound<'py, PyAny>>,
        rpy: Option<&Bound<'py, PyAny>>,
        free_axis: Option<&str>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let position = arrays::vector::<3>(target, "target")?;
        let n = arrays::count(n, "n")?;
        let seed = seed.map(arrays::seed).transpose()?.unwrap_or(0);
        let goal = PoseArgs::read(orientation, rpy, free_axis)?.target(position, None)?;
        let robot = &self.robot.get().robot;
        check_reachable(&robot.chain, position).py_err()?;
        context_for(&self.prior.model, &goal).py_err()?;
        let prior = &self.prior;
        let q = py
            .detach(|| sample_for(prior, &goal, n, &mut StdRng::seed_from_u64(seed)))
            .py_err()?;
        arrays::matrix(py, q, n, robot.chain.dof())
    }

    fn __repr__(&self) -> String {
        format!(
            "mace.IkPrior({}{} for {:?})",
            if self.prior.is_pose() { "pose, " } else { "" },
            self.prior.dir.display(),
            self.robot.get().name()
        )
    }

    /// Pickled as `IkPrior.load(spec, robot, pose)`: a shipped name or the folder's absolute
    /// path.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        let py = slf.py();
        let me = slf.get();
        let load = py.get_type::<PyIkPrior>().getattr("load")?;
        let args = (me.spec.clone(), me.robot.clone_ref(py), me.pose).into_pyobject(py)?;
        PyTuple::new(py, [load, args.into_any()])
    }
}
