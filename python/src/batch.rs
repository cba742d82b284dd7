//! The answers of a batch of IK problems (`mace_lab::ik::solve_batch`) as a dict of arrays.

use mace_lab::ik::{BatchSolve, BatchStatus, BatchSummary};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::arrays;

/// `q` `(n, dof)` (NaN rows where unreachable), `tcp`, `tcp_quaternion`, `error`,
/// `rotation_error_deg` (NaN for position targets and where unreachable), `solved`, `reachable`,
/// `collision_free`, `min_distance`, `seconds`, `samples`, `iterations`, `status` and the
/// `summary` (the library's `BatchSummary`, as `mace ik solve --targets … --json` writes it).
pub(crate) fn batch_dict<'py>(
    py: Python<'py>,
    solves: &[BatchSolve],
    summary: &BatchSummary,
    dof: usize,
) -> PyResult<Bound<'py, PyDict>> {
    let n = solves.len();
    let mut q = Vec::with_capacity(n * dof);
    let mut tcp = Vec::with_capacity(n * 3);
    let mut quaternion = Vec::with_capacity(n * 4);
    for s in solves {
        if s.q.len() == dof {
            q.extend_from_slice(&s.q);
            tcp.extend_from_slice(&s.tcp);
            quaternion.extend_from_slice(&s.tcp_quaternion);
        } else {
            q.extend(std::iter::repeat_n(f32::NAN, dof));
            tcp.extend([f32::NAN; 3]);
            quaternion.extend([f32::NAN; 4]);
        }
    }
    let d = PyDict::new(py);
    d.set_item("q", arrays::matrix(py, q, n, dof)?)?;
    d.set_item("tcp", arrays::matrix(py, tcp, n, 3)?)?;
    d.set_item("tcp_quaternion", arrays::matrix(py, quaternion, n, 4)?)?;
    let floats = |f: fn(&BatchSolve) -> f32| solves.iter().map(f).collect::<Vec<f32>>();
    let bools = |f: fn(&BatchSolve) -> bool| solves.iter().map(f).collect::<Vec<bool>>();
    d.set_item("error", arrays::floats(py, floats(|s| s.error_m)))?;
    d.set_item(
        "rotation_error_deg",
        arrays::floats(py, floats(|s| s.rotation_error_deg.unwrap_or(f32::NAN))),
    )?;
    d.set_item(
        "solved",
        arrays::bools(py, bools(|s| s.status == BatchStatus::Solved)),
    )?;
    d.set_item(
        "reachable",
        arrays::bools(py, bools(|s| s.status != BatchStatus::Unreachable)),
    )?;
    d.set_item(
        "collision_free",
        arrays::bools(py, bools(|s| s.collision_free)),
    )?;
    d.set_item(
        "min_distance",
        arrays::floats(
            py,
            floats(|s| {
                if s.status == BatchStatus::Unreachable {
                    f32::NAN
                } else {
                    s.min_distance_m
                }
            }),
        ),
    )?;
    d.set_item("seconds", arrays::floats(py, floats(|s| s.seconds as f32)))?;
    d.set_item("samples", arrays::floats(py, floats(|s| s.samples as f32)))?;
    d.set_item(
        "iterations",
        arrays::floats(py, floats(|s| s.iterations as f32)),
    )?;
    let status: Vec<&str> = solves
        .iter()
        .map(|s| match s.status {
            BatchStatus::Solved => "solved",
            BatchStatus::NotFound => "not_found",
            BatchStatus::Unreachable => "unreachable",
        })
        .collect();
    d.set_item("status", status)?;
    d.set_item("summary", crate::json::to_python(py, summary)?)?;
    Ok(d)
}
