//! `mace.Solver`: collision-free IK for one robot in one scene, set up once (collision model,
//! prior) and called many times, exactly as `mace ik solve` calls the library: the same seed
//! gives the same answer as `mace ik solve --trials 1 --seed S` (one target) and as
//! `mace ik solve --targets FILE --seed S` (a batch, target i with seed S + i).

use std::sync::Arc;
use std::time::Instant;

use mace_core::TuneConfig;
use mace_lab::ik::recipe::{LOGIT_LR_SCALE, MARGIN_PENALTY};
use mace_lab::ik::trials::{solve_tune_preset, with_solve_budget};
use mace_lab::ik::{
    check_reachable, load_prior, solve_config, target_warnings, tune_scene, IkPrior, TuneScope,
};
use mace_models::fast::ArGmmSampler;
use mace_robot::solve::{Method, SolveReport, SolveStatus, Solver};
use mace_robot::Scene;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use rand::{rngs::StdRng, RngCore, SeedableRng};

use crate::arrays;
use crate::errors::IntoPy;
use crate::prior::{shipped_dir, PyIkPrior};
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
    prior: Option<Arc<IkPrior>>,
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
            scene,
            tune,
            scope,
            robot,
            setup_seconds: start.elapsed().as_secs_f64(),
        })
    }

    /// One solve with the seed's generator, as one trial of `mace_lab::ik::run_trials`;
    /// `method="mace"` also returns what tuning took (included in the report's seconds).
    fn solve_one(&self, target: [f32; 3], seed: u64) -> mace_lab::Result<(SolveReport, f64)> {
        let mut rng = StdRng::seed_from_u64(seed);
        if self.method == Method::Mace {
            let Some(prior) = &self.prior else {
                return Err(mace_lab::Error::Failed(
                    "method mace needs the IK prior".into(),
                ));
            };
            let start = Instant::now();
            let scene = Scene {
                target,
                ..self.scene.clone()
            };
            let config = TuneConfig {
                seed: rng.next_u64(),
                ..self.tune.clone()
            };
            let (posterior, _) = tune_scene(
                &prior.model,
                self.solver.model(),
                &scene,
                mace_core::Objective::Mace,
                &config,
                self.scope,
                &mut mace_core::NoObserver,
            )?;
            let sampler = ArGmmSampler::new(posterior.model())?;
            let tuning = start.elapsed().as_secs_f64();
            let mut draw = |t: [f32; 3], n: usize, rng: &mut StdRng| sampler.sample(&t, n, rng);
            let mut r = self
                .solver
                .solve(Method::Mace, target, &mut draw, &mut rng)?;
            r.seconds += tuning;
            return Ok((r, tuning));
        }
        let prior = self.prior.as_deref();
        let mut sampler = |t: [f32; 3], n: usize, rng: &mut StdRng| match prior {
            Some(p) => p.sampler.sample(&t, n, rng),
            None => Vec::new(),
        };
        Ok((
            self.solver
                .solve(self.method, target, &mut sampler, &mut rng)?,
            0.0,
        ))
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
    /// `prior`: an `IkPrior` (default: the robot's shipped prior); `budget`: seconds per solve;
    /// `clearance`: metres answers must keep from obstacles, ground and between links;
    /// `prior_stop`, `batch_size`, `parallel`: as `mace ik solve`'s options.
    #[new]
    #[pyo3(signature = (robot, scene, prior = None, method = "hybrid", budget = 1.0, clearance = 0.0, prior_stop = 0.01, batch_size = None, parallel = false))]
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
    ) -> PyResult<Self> {
        let o = Options {
            budget,
            clearance,
            prior_stop,
            batch_size,
            parallel,
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
    /// target), seeded: a dict with `q` (float32 `(dof,)`), `error` (TCP error, m), `seconds`,
    /// `collision_free`, `status` (`solved` or `not_found`), `solved`, `tcp`, `min_distance`,
    /// `samples`, `iterations`, `attempts` (and `tuning_seconds` for `mace`). A target beyond
    /// the arm's reach is a `ValueError`.
    #[pyo3(signature = (target = None, seed = None))]
    fn solve<'py>(
        &self,
        py: Python<'py>,
        target: Option<&Bound<'py, PyAny>>,
        seed: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let target = self.target_of(target)?;
        let seed = seed.map(arrays::seed).transpose()?.unwrap_or(0);
        check_reachable(self.solver.model().chain(), target).py_err()?;
        warn_target(py, &self.scene, target)?;
        let (r, tuning) = py.detach(|| self.solve_one(target, seed)).py_err()?;
        report_dict(py, &r, tuning)
    }

    /// Solves every target of `targets` `(n, 3)` on all cores, target i with seed `seed + i`
    /// (`mace_lab::ik::solve_batch`; not for `method="mace"`). Returns a dict of arrays: `q`
    /// `(n, dof)` (NaN rows for targets beyond reach), `tcp` `(n, 3)`, `error` (m, `inf` beyond
    /// reach), `solved`, `reachable`, `collision_free` (bool), `min_distance`, `seconds`
    /// (float32), `status` (list of `solved`, `not_found`, `unreachable`) and `summary` (a dict:
    /// solved, success_rate, wall_s, solved_per_s, time_median_s, …).
    #[pyo3(signature = (targets, seed = None))]
    fn solve_batch<'py>(
        &self,
        py: Python<'py>,
        targets: &Bound<'py, PyAny>,
        seed: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let b = arrays::batch(targets, "targets", 3, "targets x, y, z in metres")?;
        if b.rows > MAX_TARGETS {
            return Err(PyValueError::new_err(format!(
                "targets has {} rows, more than the limit of {MAX_TARGETS}",
                b.rows
            )));
        }
        let seed = seed.map(arrays::seed).transpose()?.unwrap_or(0);
        let t: Vec<[f32; 3]> = b.data.chunks_exact(3).map(|p| [p[0], p[1], p[2]]).collect();
        let (solves, summary) = py
            .detach(|| {
                mace_lab::ik::solve_batch(
                    &self.solver,
                    self.method,
                    &t,
                    self.prior.as_deref(),
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
