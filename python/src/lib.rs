//! The `mace` Python module: MACE-rs's robots, scenes, collision checks, IK priors, collision-
//! free IK solves, shape priors and MACE tuning (to a scene, or to a Python evidence callable),
//! called exactly as the `mace` command calls the libraries (the same seed gives the same
//! numbers).
//!
//! Arrays come in as anything NumPy reads as a numeric array (float or integer, any order or
//! stride) and go out as `float32` / `bool`. Rust work runs with the GIL released (a tuning
//! run takes it back to call a Python evidence). Errors are `ValueError` (bad input) or
//! `RuntimeError` (anything else) with the command's one-line message, and a Python evidence's
//! own exceptions as they were raised; nothing panics across the boundary.

use pyo3::prelude::*;
use pyo3::types::PyDict;

mod arrays;
mod assets;
mod batch;
mod errors;
mod evidence;
mod json;
mod pose;
mod prior;
mod robot;
mod scene;
mod shape_posterior;
mod shapes;
mod solver;
mod table1;
mod tune;

use prior::PyIkPrior;
use robot::PyRobot;
use scene::PyScene;
use solver::{Options, PySolver};

/// One collision-free IK solve: `Solver(robot, scene, prior, method, budget, …, pos_tol,
/// rot_tol)` then `.solve(target, seed, orientation, rpy, free_axis)` (as `mace ik solve
/// --trials 1 --seed S`, with `--orientation` / `--rpy` / `--free-axis` for a pose target).
/// Solving many targets in a loop? Make one `mace.Solver` and call it: the set-up is paid once.
#[pyfunction]
#[pyo3(signature = (robot, scene, target = None, method = "hybrid", seed = None, prior = None, budget = 1.0, clearance = 0.0, prior_stop = 0.01, orientation = None, rpy = None, free_axis = None, pos_tol = 1e-4, rot_tol = 0.1))]
#[allow(clippy::too_many_arguments)]
fn solve<'py>(
    py: Python<'py>,
    robot: Py<PyRobot>,
    scene: &Bound<'py, PyScene>,
    target: Option<&Bound<'py, PyAny>>,
    method: &str,
    seed: Option<&Bound<'py, PyAny>>,
    prior: Option<PyRef<'py, PyIkPrior>>,
    budget: f64,
    clearance: f32,
    prior_stop: f32,
    orientation: Option<&Bound<'py, PyAny>>,
    rpy: Option<&Bound<'py, PyAny>>,
    free_axis: Option<&str>,
    pos_tol: f32,
    rot_tol: f32,
) -> PyResult<Bound<'py, PyDict>> {
    let o = Options {
        budget,
        clearance,
        prior_stop,
        batch_size: None,
        parallel: false,
        pos_tol,
        rot_tol,
    };
    let s = PySolver::build(
        py,
        robot,
        scene.borrow().scene(),
        prior.as_deref(),
        method,
        o,
    )?;
    let s = Bound::new(py, s)?;
    s.call_method1("solve", (target, seed, orientation, rpy, free_axis))?
        .cast_into::<PyDict>()
        .map_err(Into::into)
}

/// Many targets at once: `Solver(...).solve_batch(targets, seed, free_axis)` (as
/// `mace ik solve --targets FILE --seed S`; `(n, 3)` positions or `(n, 7)` poses, target i
/// with seed S + i, spread over the cores).
#[pyfunction]
#[pyo3(signature = (robot, scene, targets, method = "hybrid", seed = None, prior = None, budget = 1.0, clearance = 0.0, prior_stop = 0.01, free_axis = None, pos_tol = 1e-4, rot_tol = 0.1))]
#[allow(clippy::too_many_arguments)]
fn solve_batch<'py>(
    py: Python<'py>,
    robot: Py<PyRobot>,
    scene: &Bound<'py, PyScene>,
    targets: &Bound<'py, PyAny>,
    method: &str,
    seed: Option<&Bound<'py, PyAny>>,
    prior: Option<PyRef<'py, PyIkPrior>>,
    budget: f64,
    clearance: f32,
    prior_stop: f32,
    free_axis: Option<&str>,
    pos_tol: f32,
    rot_tol: f32,
) -> PyResult<Bound<'py, PyDict>> {
    let o = Options {
        budget,
        clearance,
        prior_stop,
        batch_size: None,
        parallel: false,
        pos_tol,
        rot_tol,
    };
    let s = PySolver::build(
        py,
        robot,
        scene.borrow().scene(),
        prior.as_deref(),
        method,
        o,
    )?;
    let s = Bound::new(py, s)?;
    s.call_method1("solve_batch", (targets, seed, free_axis))?
        .cast_into::<PyDict>()
        .map_err(Into::into)
}

/// The folder the shipped priors and scenes are read from: `$MACE_ASSETS` if set, else the
/// `assets/` folder of the clone this module was built from. (As the `mace` command, an
/// `assets/…` path in the working folder is used first when it exists.)
#[pyfunction]
fn assets_dir() -> std::path::PathBuf {
    assets::dir()
}

#[pymodule]
fn mace(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<PyRobot>()?;
    m.add_class::<PyScene>()?;
    m.add_class::<PyIkPrior>()?;
    m.add_class::<PySolver>()?;
    m.add_class::<tune::PyPosterior>()?;
    m.add_class::<shapes::PyShapePrior>()?;
    m.add_class::<shape_posterior::PyShapePosterior>()?;
    m.add_function(wrap_pyfunction!(solve, m)?)?;
    m.add_function(wrap_pyfunction!(solve_batch, m)?)?;
    m.add_function(wrap_pyfunction!(tune::tune, m)?)?;
    m.add_function(wrap_pyfunction!(table1::table1_targets, m)?)?;
    m.add_function(wrap_pyfunction!(assets_dir, m)?)?;
    m.add("ASSETS_ENV", assets::ENV)?;
    Ok(())
}
