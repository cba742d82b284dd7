//! `mace.table1_targets`: the targets of the paper's Table 1 (the wall scene) as
//! `mace bench ik-table1` draws them, so that its rows can be computed one target at a time
//! (`mace.tune(prior, robot, Scene("wall"), target=…, seed=S, eval_seed=S + 1000 + i)` for
//! objectives `mace` and `is` is row `i`), e.g. spread over processes or machines.
//!
//! The draw follows `mace_lab::ik::run_table1`: uniform in `mace_lab::ik::table1::REGION` with
//! one seeded generator, a target kept when numeric IK (`IkConfig::panda`, 10 s budget), drawing
//! from the same generator, finds a collision-free solution. The tests compare the targets with
//! the command's JSON.

use std::time::Duration;

use mace_lab::ik::table1::REGION;
use mace_robot::{CollisionModel, IkConfig, IkSolver, IkStatus, Scene};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use rand::{rngs::StdRng, Rng, SeedableRng};

use crate::arrays;
use crate::errors::IntoPy;
use crate::robot::PyRobot;

/// Most targets one call draws (each may take numeric IK up to 10 s).
const MAX_TARGETS: usize = 10_000;

/// The `n` targets of Table 1 for `seed` (and `robot`, default the Panda), as
/// `mace bench ik-table1 --targets N --seed S --robot R` draws them: float32 `(n, 3)`.
#[pyfunction]
#[pyo3(signature = (n = None, seed = None, robot = None), text_signature = "(n=10, seed=0, robot=None)")]
pub(crate) fn table1_targets<'py>(
    py: Python<'py>,
    n: Option<&Bound<'py, PyAny>>,
    seed: Option<&Bound<'py, PyAny>>,
    robot: Option<PyRef<'py, PyRobot>>,
) -> PyResult<Bound<'py, PyAny>> {
    let n = n.map(|n| arrays::count(n, "n")).transpose()?.unwrap_or(10);
    if n > MAX_TARGETS {
        return Err(PyValueError::new_err(format!(
            "n must be between 1 and {MAX_TARGETS}, got {n}"
        )));
    }
    let seed = seed.map(arrays::seed).transpose()?.unwrap_or(0);
    let robot = match robot {
        Some(r) => std::sync::Arc::clone(&r.robot),
        None => std::sync::Arc::new(
            py.detach(|| mace_robot::Robot::load("panda", &[]))
                .py_err()?,
        ),
    };
    let chain = &robot.chain;
    let drawn = py.detach(|| -> mace_lab::Result<Result<Vec<f32>, String>> {
        let wall = Scene::by_name("wall")?;
        let ik = IkSolver::new(
            CollisionModel::new(chain, &wall),
            IkConfig {
                time_budget: Some(Duration::from_secs(10)),
                ..IkConfig::panda()
            },
        );
        let mut rng = StdRng::seed_from_u64(seed);
        let (mut kept, mut tried) = (Vec::with_capacity(3 * n), 0usize);
        while kept.len() < 3 * n {
            tried += 1;
            if tried > 20 * n {
                return Ok(Err(format!(
                    "found only {} feasible targets in {tried} draws",
                    kept.len() / 3
                )));
            }
            let target: [f32; 3] =
                std::array::from_fn(|i| rng.random_range(REGION[i][0]..REGION[i][1]));
            let solved = ik.solve(target, None, &mut rng);
            if solved.status == IkStatus::Converged && solved.collision_free {
                kept.extend_from_slice(&target);
            }
        }
        Ok(Ok(kept))
    });
    let targets = drawn.py_err()?.map_err(PyRuntimeError::new_err)?;
    arrays::matrix(py, targets, n, 3)
}
