//! `mace.Solver`: collision-free IK for one robot in one scene, set up once (collision model,
//! prior) and called many times, exactly as `mace ik solve` calls the library: the same seed
//! gives the same answer as `mace ik solve --trials 1 --seed S` (one target, a position or a
//! pose) and as `mace ik solve --targets FILE --seed S` (a batch, target i with seed S + i).

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use mace_core::TuneConfig;
use mace_lab::ik::pose::{context_for, sample_for};
use mace_lab::ik::recipe::{LOGIT_LR_SCALE, MARGIN_PENALTY};
use mace_lab::ik::trials::{solve_tune_preset, solve_with_mace, with_solve_budget};
use mace_lab::ik::{
    check_reachable, load_pose_prior, load_prior, solve_config, target_warnings, IkPrior,
    MaceTuning, TuneScope,
};
use mace_robot::solve::{Method, SolveReport, SolveStatus, Solver};
use mace_robot::{IkTarget, Scene};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use rand::{rngs::StdRng, SeedableRng};

use crate::arrays;
use crate::errors::IntoPy;
use crate::pose::PoseArgs;
use crate::prior::{shipped_dir, shipped_pose_dir, PyIkPrior};
use crate::robot::PyRobot;
use crate::scene::PyScene;

/// Most targets one batch takes (`mace_lab::ik::batch::MAX_TARGETS`).
const MAX_TARGETS: usize = mace_lab::ik::batch::MAX_TARGETS;

/// A set-up solver: robot, scene (a snapshot), method, options and prior.
#[pyclass(name = "Solver", module = "mace", frozen)]
#[derive(Debug)]
pub(crate) struct PySolver {
    solver: Solver,
    method: Method,
    /// The prior (`None` for `numeric`): the one given, else the robot's shipped prior.
    prior: Option<Arc<IkPrior>>,
    /// Whether `prior` was given rather than the robot's shipped prior.
    prior_given: bool,
    /// The prior of pose targets when none was given, as `mace ik solve` picks it: the robot's
    /// shipped pose prior if it has one, else `prior`; loaded at the first pose target.
    pose_prior: OnceLock<Option<Arc<IkPrior>>>,
    /// The scene as it was when the solver was made (for `method="mace"` tuning).
    scene: Scene,
    /// `method="mace"`: the tuner preset of `mace ik solve --method mace`.
    tune: TuneConfig,
    /// `method="mace"`: what the tuner sees (`mace ik solve`'s default scope: no margin).
    scope: TuneScope,
    robot: Py<PyRobot>,
    setup_seconds: f64,
}

/// Solve options as `mace ik solve` takes them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Options {
    pub(crate) budget: f64,
    pub(crate) clearance: f32,
    pub(crate) prior_stop: f32,
    pub(crate) batch_size: Option<i64>,
    pub(crate) parallel: bool,
    /// Position tolerance, metres (`--pos-tol`).
    pub(crate) pos_tol: f32,
    /// Rotation tolerance of pose targets, degrees (`--rot-tol`).
    pub(crate) rot_tol: f32,
}

impl PySolver {
    /// Sets up a solver as `mace ik solve` does.
    pub(crate) fn build(
        py: Python<'_>,
        robot: Py<PyRobot>,
        scene: Scene,
        prior: Option<&PyIkPrior>,
        method: &str,
        o: Options,
    ) -> PyResult<Self> {
        let start = Instant::now();
        let method: Method = method
            .parse()
            .map_err(|e: mace_robot::Error| PyValueError::new_err(e.to_string()))?;
        let mut config = solve_config(o.budget, o.clearance, o.prior_stop).py_err()?;
        config.parallel = o.parallel;
        config.hybrid_parallel = o.parallel;
        crate::pose::apply_tolerances(&mut config, o.pos_tol, o.rot_tol)?;
        if let Some(n) = o.batch_size {
            let n = arrays::count_value(n.into(), "batch_size")?;
            if n > 1 << 20 {
                return Err(PyValueError::new_err(format!(
                    "batch_size must be between 1 and {}, got {n}",
                    1 << 20
                )));
            }
            config.batch_size = n;
            config.hybrid_batch_size = n;
        }
        let r = robot.get();
        let prior_given = prior.is_some();
        let prior = match (method.needs_prior(), prior) {
            (false, _) => None,
            (true, Some(p)) => Some(p.for_robot(py, r)?),
            (true, None) => {
                let dir = shipped_dir(&r.robot.name);
                let rr = Arc::clone(&r.robot);
                Some(Arc::new(
                    py.detach(move || load_prior(Some(&dir), &rr)).py_err()?,
                ))
            }
        };
        let solver = py.detach(|| Solver::new(r.model_in(&scene), config));
        let tune = with_solve_budget(solve_tune_preset(), o.budget);
        let scope = TuneScope::new(None, 0.0, MARGIN_PENALTY, false, LOGIT_LR_SCALE).py_err()?;
        Ok(PySolver {
            solver,
            method,
            prior,
            prior_given,
            pose_prior: OnceLock::new(),
            scene,
            tune,
            scope,
            robot,
            setup_seconds: start.elapsed().as_secs_f64(),
        })
    }

    /// The prior for a target (a pose target or not), as `mace ik solve` picks it: the one
    /// given, else for a pose target the robot's shipped pose prior if it has one (loaded once),
    /// else the robot's shipped prior.
    fn prior_for(&self, py: Python<'_>, pose: bool) -> PyResult<Option<Arc<IkPrior>>> {
        if !pose || self.prior_given || self.prior.is_none() {
            return Ok(self.prior.clone());
        }
        if let Some(p) = self.pose_prior.get() {
            return Ok(p.clone());
        }
        let robot = Arc::clone(&self.robot.get().robot);
        let dir = shipped_pose_dir(&robot.name);
        let loaded = if dir.exists() {
            let p = py
                .detach(move || load_pose_prior(Some(&dir), &robot))
                .py_err()?;
            Some(Arc::new(p))
        } else {
            self.prior.clone()
        };
        Ok(self.pose_prior.get_or_init(|| loaded).clone())
    }

    /// One solve with the seed's generator, as one trial of `mace_lab::ik::run_trials`;
    /// `method="mace"` also returns what tuning took (included in the report's seconds).
    fn solve_one(
        &self,
        target: &IkTarget,
        prior: Option<&IkPrior>,
        seed: u64,
    ) -> mace_lab::Result<(SolveReport, f64)> {
        let mut rng = StdRng::seed_from_u64(seed);
        if self.method == Method::Mace {
            let Some(prior) = prior else {
                return Err(mace_lab::Error::Failed(
                    "method mace needs the IK prior".into(),
                ));
            };
            let mace = MaceTuning {
                scene: &self.scene,
                config: self.tune.clone(),
                scope: self.scope,
            };
            let (mut r, cost) = solve_with_mace(&self.solver, prior, &mace, target, &mut rng)?;
            r.seconds += cost.seconds;
            return Ok((r, cost.seconds));
        }
        if let Some(p) = prior {
            context_for(&p.model, target)?;
        }
        let mut sampler = |t: &IkTarget, n: usize, rng: &mut StdRng| match prior {
            Some(p) => sample_for(p, t, n, rng).unwrap_or_default(),
            None => Vec::new(),
        };
        let r = self
            .solver
            .solve_target(self.method, target, &mut sampler, &mut rng)?;
        Ok((r, 0.0))
    }

    /// The target to solve for: `target` if given, else the scene's own.
    fn target_of(&self, target: Option<&Bound<'_, PyAny>>) -> PyResult<[f32; 3]> {
        match target {
            Some(t) if !t.is_none() => arrays::vector::<3>(t, "target"),
            _ => Ok(self.scene.target),
        }
    }
}

/// One solve's answer as a dict.
fn report_dict<'py>(py: Python<'py>, r: &SolveReport, tuning: f64) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("q", arrays::floats(py, r.q.clone()))?;
    d.set_item("error", r.error)?;
    d.set_item("seconds", r.seconds)?;
    d.set_item("collision_free", r.collision_free)?;
    d.set_item(
        "status",
        match r.status {
            SolveStatus::Solved => "solved",
            SolveStatus::NotFound => "not_found",
        },
    )?;
    d.set_item("solved", r.status == SolveStatus::Solved)?;
    d.set_item("tcp", arrays::floats(py, r.tcp.to_vec()))?;
    d.set_item(
        "tcp_quaternion",
        arrays::floats(py, r.tcp_quaternion.to_vec()),
    )?;
    d.set_item("rotation_error_deg", r.rotation_error_deg)?;
    d.set_item("method", r.method.name())?;
    let s = &r.distances;
    d.set_item(
        "min_distance",
        s.obstacle_distance
            .min(s.ground_distance)
            .min(s.self_distance),
    )?;
    d.set_item("samples", r.samples)?;
    d.set_item("iterations", r.iterations)?;
    d.set_item("attempts", r.attempts)?;
    if r.method == Method::Mace {
        d.set_item("tuning_seconds", tuning)?;
    }
    Ok(d)
}

/// Emits the library's warnings about a target (inside an obstacle, below the ground) as
/// Python `UserWarning`s, as `mace ik solve` prints them.
fn warn_target(py: Python<'_>, scene: &Scene, target: [f32; 3]) -> PyResult<()> {
    for w in target_warnings(scene, target) {
        let category = py.get_type::<pyo3::exceptions::PyUserWarning>();
        let message = std::ffi::CString::new(w.replace('\0', " ")).unwrap_or_default();
        PyErr::warn(py, category.as_any(), &message, 2)?;
    }
    Ok(())
}

#[pymethods]
impl PySolver {
    /// Sets up collision-free IK for `robot` in (a snapshot of) `scene`. `method`: `hybrid`
    /// (prior samples refined by numeric IK), `prior`, `numeric` or `mace` (tune, then sample);
    /// `prior`: an `IkPrior` (default: the robot's shipped prior, and for pose targets its
    /// shipped pose prior if it has one, loaded at the first pose target); `budget`: seconds per
    /// solve; `clearance`: metres answers must keep from obstacles, ground and between links;
    /// `pos_tol` (m) and `rot_tol` (degrees, pose targets): how close an answer must be;
    /// `prior_stop`, `batch_size`, `parallel`: as `mace ik solve`'s options.
    #[new]
    #[pyo3(signature = (robot, scene, prior = None, method = "hybrid", budget = 1.0, clearance = 0.0, prior_stop = 0.01, batch_size = None, parallel = false, pos_tol = 1e-4, rot_tol = 0.1))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        robot: Py<PyRobot>,
        scene: &Bound<'_, PyScene>,
        prior: Option<PyRef<'_, PyIkPrior>>,
        method: &str,
        budget: f64,
        clearance: f32,
        prior_stop: f32,
        batch_size: Option<i64>,
        parallel: bool,
        pos_tol: f32,
        rot_tol: f32,
    ) -> PyResult<Self> {
        let o = Options {
            budget,
            clearance,
            prior_stop,
            batch_size,
            parallel,
            pos_tol,
            rot_tol,
        };
        PySolver::build(
            py,
            robot,
            scene.borrow().scene(),
            prior.as_deref(),
            method,
            o,
        )
    }

    /// The solve method.
    #[getter]
    fn method(&self) -> &'static str {
        self.method.name()
    }

    /// The robot.
    #[getter]
    fn robot(&self, py: Python<'_>) -> Py<PyRobot> {
        self.robot.clone_ref(py)
    }

    /// Setting up (collision model, prior), seconds.
    #[getter]
    fn setup_seconds(&self) -> f64 {
        self.setup_seconds
    }

    /// One collision-free configuration for `target` (metres, base frame; default: the scene's
    /// target), seeded. A pose target: `orientation` (unit quaternion x, y, z, w, base frame)
    /// or `rpy` (roll, pitch, yaw in rad), optionally free about the tool axis `free_axis`
    /// (`"x"`, `"y"`, `"z"`); with neither, the scene's target orientation if it has one. A
    /// dict with `q` (float32 `(dof,)`), `error` (TCP error, m), `rotation_error_deg` (None for
    /// a position target), `seconds`, `collision_free`, `status` (`solved` or `not_found`),
    /// `solved`, `tcp`, `tcp_quaternion` (x, y, z, w), `min_distance`, `samples`, `iterations`,
    /// `attempts` (and `tuning_seconds` for `mace`). A target beyond the arm's reach, or a bad
    /// orientation, is a `ValueError` with `mace ik solve`'s message.
    #[pyo3(signature = (target = None, seed = None, orientation = None, rpy = None, free_axis = None))]
    fn solve<'py>(
        &self,
        py: Python<'py>,
        target: Option<&Bound<'py, PyAny>>,
        seed: Option<&Bound<'py, PyAny>>,
        orientation: Option<&Bound<'py, PyAny>>,
        rpy: Option<&Bound<'py, PyAny>>,
        free_axis: Option<&str>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let position = self.target_of(target)?;
        let pose = PoseArgs::read(orientation, rpy, free_axis)?;
        let seed = seed.map(arrays::seed).transpose()?.unwrap_or(0);
        let goal = pose.target(position, self.scene.target_orientation)?;
        check_reachable(self.solver.model().chain(), position).py_err()?;
        warn_target(py, &self.scene, position)?;
        let prior = self.prior_for(py, goal.has_orientation())?;
        let (r, tuning) = py
            .detach(|| self.solve_one(&goal, prior.as_deref(), seed))
            .py_err()?;
        report_dict(py, &r, tuning)
    }

    /// Solves every target of `targets` on all cores, target i with seed `seed + i`
    /// (`mace_lab::ik::solve_batch`; not for `method="mace"`): `(n, 3)` positions or `(n, 7)`
    /// poses (x, y, z and the quaternion qx, qy, qz, qw), each free about the tool axis
    /// `free_axis` if given. Returns a dict of arrays: `q` `(n, dof)` (NaN rows for targets
    /// beyond reach), `tcp` `(n, 3)`, `tcp_quaternion` `(n, 4)`, `error` (m, `inf` beyond
    /// reach), `rotation_error_deg` (NaN for positions and beyond reach), `solved`,
    /// `reachable`, `collision_free` (bool), `min_distance`, `seconds` (float32), `status`
    /// (list of `solved`, `not_found`, `unreachable`) and `summary` (a dict: solved,
    /// success_rate, wall_s, solved_per_s, time_median_s, …).
    #[pyo3(signature = (targets, seed = None, free_axis = None))]
    fn solve_batch<'py>(
        &self,
        py: Python<'py>,
        targets: &Bound<'py, PyAny>,
        seed: Option<&Bound<'py, PyAny>>,
        free_axis: Option<&str>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let axis = crate::pose::free_axis(free_axis)?;
        let t = batch_targets(targets, axis)?;
        let seed = seed.map(arrays::seed).transpose()?.unwrap_or(0);
        let pose = t.iter().any(IkTarget::has_orientation);
        let prior = match self.method {
            Method::Mace => None,
            _ => self.prior_for(py, pose)?,
        };
        let (solves, summary) = py
            .detach(|| {
                mace_lab::ik::solve_batch(
                    &self.solver,
                    self.method,
                    &t,
                    prior.as_deref(),
                    seed,
                    &mut mace_lab::Silent,
                )
            })
            .py_err()?;
        crate::batch::batch_dict(py, &solves, &summary, self.solver.model().chain().dof())
    }

    fn __repr__(&self) -> String {
        format!(
            "mace.Solver({} in {:?}, method {}, budget {} s)",
            self.robot.get().name(),
            self.scene.name,
            self.method,
            self.solver.config().time_budget.as_secs_f64()
        )
    }
}

/// The targets of a batch: `(n, 3)` positions or `(n, 7)` poses (free about `axis` if given),
/// checked as `mace ik solve --targets FILE.npy` reads them (a quaternion as `f32`, then
/// normalised in `f64`).
fn batch_targets(
    targets: &Bound<'_, PyAny>,
    axis: Option<mace_robot::ToolAxis>,
) -> PyResult<Vec<IkTarget>> {
    let (b, cols) = arrays::batch_of_widths(targets, "targets", &[3, 7], |shape| {
        format!(
            "targets must have shape (n, 3) or (n, 7): targets are (n, 3) positions or (n, 7) \
             poses (x, y, z, qx, qy, qz, qw; one target may be given as shape (3,) or (7,)), got \
             shape {shape}"
        )
    })?;
    if b.rows > MAX_TARGETS {
        return Err(PyValueError::new_err(format!(
            "targets has {} rows, more than the limit of {MAX_TARGETS}",
            b.rows
        )));
    }
    if cols == 3 && axis.is_some() {
        return Err(PyValueError::new_err(
            "free_axis frees the rotation about a tool axis: give (n, 7) targets (position and \
             orientation qx, qy, qz, qw)",
        ));
    }
    b.data
        .chunks_exact(cols)
        .enumerate()
        .map(|(i, r)| {
            let p = [r[0], r[1], r[2]];
            if cols == 3 {
                return Ok(IkTarget::position(p));
            }
            let q = [r[3], r[4], r[5], r[6]].map(f64::from);
            IkTarget::pose(p, q, axis)
                .map_err(|e| PyValueError::new_err(format!("targets[{i}]: {e}")))
        })
        .collect()
}
