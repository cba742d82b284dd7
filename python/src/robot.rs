//! `mace.Robot`: a robot as users name it (a shipped robot, a URDF or a robot TOML file), its
//! forward kinematics and its collision checks against a scene.

use std::ffi::CString;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use mace_robot::fk::{validate_batch, CHUNK};
use mace_robot::{CollisionModel, KinematicChain, Pose, Robot, Scene};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use rand::{rngs::StdRng, SeedableRng};
use rayon::prelude::*;

use crate::arrays;
use crate::errors::IntoPy;
use crate::scene::PyScene;

/// A robot arm: kinematic chain, joint limits and collision geometry.
#[pyclass(name = "Robot", module = "mace", frozen)]
#[derive(Debug)]
pub(crate) struct PyRobot {
    /// The loaded robot.
    pub(crate) robot: Arc<Robot>,
    /// What it was loaded from (a shipped name, or an absolute file path), for pickling.
    spec: String,
    /// More folders for `package://` meshes.
    packages: Vec<PathBuf>,
    /// Its self-collision pairs and distance tables, prepared once (scene-free).
    base: OnceLock<CollisionModel>,
}

impl PyRobot {
    /// A loaded robot, pickled as `spec`.
    pub(crate) fn from_robot(robot: Robot, spec: String) -> PyRobot {
        PyRobot {
            robot: Arc::new(robot),
            spec,
            packages: Vec::new(),
            base: OnceLock::new(),
        }
    }

    /// The robot's collision model in `scene` (the self-collision part prepared once).
    pub(crate) fn model_in(&self, scene: &Scene) -> CollisionModel {
        self.base
            .get_or_init(|| CollisionModel::new(&self.robot.chain, &Scene::empty([0.0; 3])))
            .for_scene(scene)
    }

    /// The robot's name and kinematics, for messages.
    pub(crate) fn name(&self) -> &str {
        &self.robot.name
    }
}

/// `spec` made absolute if it names an existing file (so that a pickled robot loads from any
/// working folder).
fn absolute_spec(spec: &str) -> String {
    let path = Path::new(spec);
    if path.is_file() {
        if let Ok(abs) = std::path::absolute(path) {
            return abs.display().to_string();
        }
    }
    spec.to_string()
}

/// The tip link's pose of each configuration of the flat batch `q` `(n, dof)`: `(n, 7)` flat,
/// position then quaternion `x, y, z, w` (the batch split over the cores as `fk`'s).
fn tip_poses(chain: &KinematicChain, q: &[f32]) -> mace_robot::Result<Vec<f32>> {
    let n = validate_batch(chain, q, "fk_pose")?;
    let (links, dof) = (chain.links().len(), chain.dof().max(1));
    let mut out = vec![0.0f32; n * 7];
    out.par_chunks_mut(CHUNK * 7)
        .zip(q.par_chunks(CHUNK * dof))
        .for_each(|(o, qc)| {
            let mut frames = vec![Pose::IDENTITY; links];
            for (row, qq) in o.chunks_exact_mut(7).zip(qc.chunks_exact(dof)) {
                chain.link_poses_into(qq, &mut frames);
                let tip = &frames[chain.tip()];
                row[..3].copy_from_slice(&tip.trans);
                row[3..].copy_from_slice(&tip.quat_xyzw());
            }
        });
    Ok(out)
}

#[pymethods]
impl PyRobot {
    /// Loads `spec`: a shipped robot (`panda`, `iiwa14`, `xarm6`), a URDF file or a robot TOML
    /// file; `package_path` lists more folders to find `package://` meshes in.
    #[new]
    #[pyo3(signature = (spec, package_path = None))]
    fn new(py: Python<'_>, spec: &str, package_path: Option<Vec<PathBuf>>) -> PyResult<Self> {
        let packages = package_path.unwrap_or_default();
        let robot = py.detach(|| Robot::load(spec, &packages)).py_err()?;
        let ignored = robot.chain.ignored_meshes();
        if !ignored.is_empty() {
            let message = format!(
                "robot {}: {} collision mesh(es) not read, those parts do not collide: {}",
                robot.name,
                ignored.len(),
                ignored.join("; ")
            );
            let category = py.get_type::<pyo3::exceptions::PyUserWarning>();
            let message = CString::new(message.replace('\0', " ")).unwrap_or_default();
            PyErr::warn(py, category.as_any(), &message, 1)?;
        }
        Ok(PyRobot {
            robot: Arc::new(robot),
            spec: absolute_spec(spec),
            packages,
            base: OnceLock::new(),
        })
    }

    /// The robot's name (a shipped robot's, the robot file's stem or the URDF's name).
    #[getter(name)]
    fn py_name(&self) -> String {
        self.robot.name.clone()
    }

    /// Where it came from (`built-in panda`, or a path).
    #[getter]
    fn source(&self) -> String {
        self.robot.source.clone()
    }

    /// Number of actuated joints.
    #[getter]
    fn dof(&self) -> usize {
        self.robot.chain.dof()
    }

    /// Names of the actuated joints, in configuration order.
    #[getter]
    fn joint_names(&self) -> Vec<String> {
        self.robot
            .chain
            .joints()
            .iter()
            .map(|j| j.name.clone())
            .collect()
    }

    /// Lower joint limits, rad (m for prismatic joints), float32 `(dof,)`.
    #[getter]
    fn lower<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        arrays::floats(py, self.robot.chain.lower())
    }

    /// Upper joint limits, float32 `(dof,)`.
    #[getter]
    fn upper<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        arrays::floats(py, self.robot.chain.upper())
    }

    /// The tip link: the frame `fk` and `fk_pose` give (its origin is the tool centre point).
    #[getter]
    fn tip_link(&self) -> String {
        let chain = &self.robot.chain;
        chain.links()[chain.tip()].name.clone()
    }

    /// Names of the chain's links, base first.
    #[getter]
    fn link_names(&self) -> Vec<String> {
        self.robot
            .chain
            .links()
            .iter()
            .map(|l| l.name.clone())
            .collect()
    }

    /// Tool-centre-point positions of configurations `q` `(n, dof)` (or one `(dof,)`), metres,
    /// base frame: float32 `(n, 3)`.
    fn fk<'py>(&self, py: Python<'py>, q: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let dof = self.robot.chain.dof();
        let b = arrays::batch(q, "q", dof, &format!("configurations of {dof} joints"))?;
        let chain = &self.robot.chain;
        let tcp = py.detach(|| chain.tcp_positions(&b.data)).py_err()?;
        arrays::matrix(py, tcp.into_flattened(), b.rows, 3)
    }

    /// Tool-centre-point poses of configurations `q` `(n, dof)` (or one `(dof,)`), base frame:
    /// float32 `(n, 7)`, the position (metres, as `fk`) then the orientation of the tip link
    /// as a unit quaternion `x, y, z, w` (`mace_robot::math::Pose::quat_xyzw`; `q` and `-q`
    /// are the same rotation).
    fn fk_pose<'py>(&self, py: Python<'py>, q: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let dof = self.robot.chain.dof();
        let b = arrays::batch(q, "q", dof, &format!("configurations of {dof} joints"))?;
        let chain = &self.robot.chain;
        let poses = py.detach(|| tip_poses(chain, &b.data)).py_err()?;
        arrays::matrix(py, poses, b.rows, 7)
    }

    /// Collision checks of configurations `q` `(n, dof)` in `scene`: a dict of `(n,)` arrays
    /// `collides`, `self_collision`, `obstacle_collision`, `ground_collision` (bool),
    /// `min_distance` (the smallest signed distance to obstacles, ground and between links,
    /// metres; negative = penetration), `self_distance`, `obstacle_distance`,
    /// `ground_distance` (float32, `inf` where there is nothing to check) and `tcp` `(n, 3)`.
    fn check<'py>(
        &self,
        py: Python<'py>,
        scene: &Bound<'py, PyScene>,
        q: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let dof = self.robot.chain.dof();
        let b = arrays::batch(q, "q", dof, &format!("configurations of {dof} joints"))?;
        let scene = scene.borrow().scene();
        let (flags, distances) = py
            .detach(|| -> mace_robot::Result<_> {
                let model = self.model_in(&scene);
                Ok((
                    model.check_with_tcp_batch(&b.data)?,
                    model.distances_batch(&b.data)?,
                ))
            })
            .py_err()?;
        let n = b.rows;
        let out = PyDict::new(py);
        let flag = |f: fn(&mace_robot::CollisionFlags) -> bool| {
            flags.iter().map(|(c, _)| f(c)).collect::<Vec<bool>>()
        };
        out.set_item("collides", arrays::bools(py, flag(|c| c.any())))?;
        out.set_item(
            "self_collision",
            arrays::bools(py, flag(|c| c.self_collision)),
        )?;
        out.set_item(
            "obstacle_collision",
            arrays::bools(py, flag(|c| c.obstacle_collision)),
        )?;
        out.set_item(
            "ground_collision",
            arrays::bools(py, flag(|c| c.ground_collision)),
        )?;
        let dist =
            |f: fn(&mace_robot::Distances) -> f32| distances.iter().map(f).collect::<Vec<f32>>();
        out.set_item(
            "min_distance",
            arrays::floats(
                py,
                dist(|d| {
                    d.self_distance
                        .min(d.obstacle_distance)
                        .min(d.ground_distance)
                }),
            ),
        )?;
        out.set_item(
            "self_distance",
            arrays::floats(py, dist(|d| d.self_distance)),
        )?;
        out.set_item(
            "obstacle_distance",
            arrays::floats(py, dist(|d| d.obstacle_distance)),
        )?;
        out.set_item(
            "ground_distance",
            arrays::floats(py, dist(|d| d.ground_distance)),
        )?;
        let tcp: Vec<f32> = flags.iter().flat_map(|(_, t)| *t).collect();
        out.set_item("tcp", arrays::matrix(py, tcp, n, 3)?)?;
        Ok(out)
    }

    /// `n` configurations drawn uniformly within the joint limits (seeded; as
    /// `mace ik check --random N --seed S`): float32 `(n, dof)`.
    #[pyo3(signature = (n, seed = None))]
    fn random_configurations<'py>(
        &self,
        py: Python<'py>,
        n: &Bound<'py, PyAny>,
        seed: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let n = arrays::count(n, "n")?;
        let seed = seed.map(arrays::seed).transpose()?.unwrap_or(0);
        let chain = &self.robot.chain;
        let q = py.detach(|| chain.sample_uniform(n, &mut StdRng::seed_from_u64(seed)));
        arrays::matrix(py, q, n, chain.dof())
    }

    fn __repr__(&self) -> String {
        format!(
            "mace.Robot({:?}: {} joints, {})",
            self.robot.name,
            self.robot.chain.dof(),
            self.robot.source
        )
    }

    /// Pickled by what it was loaded from (a file is reloaded from its absolute path).
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        let py = slf.py();
        let me = slf.get();
        let cls = py.get_type::<PyRobot>();
        let args = (me.spec.clone(), me.packages.clone()).into_pyobject(py)?;
        PyTuple::new(py, [cls.into_any(), args.into_any()])
    }
}
