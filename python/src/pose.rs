//! Pose targets from Python: `orientation` (a quaternion x, y, z, w), `rpy` (roll, pitch, yaw in
//! rad) and `free_axis` (`"x"`, `"y"`, `"z"`), read by the library function that reads
//! `mace ik solve --orientation / --rpy / --free-axis` (`mace_lab::ik::ik_target`: the same
//! checks, the same messages), and the tolerances `pos_tol` (m) and `rot_tol` (degrees).

use mace_lab::ik::pose::check_tolerances;
use mace_robot::solve::SolveConfig;
use mace_robot::target::TargetOrientation;
use mace_robot::{IkTarget, ToolAxis};
use pyo3::prelude::*;

use crate::arrays;
use crate::errors::IntoPy;

/// Most numbers an `orientation` or `rpy` argument may hold (more is refused before the library
/// sees them; the library names any count but 4 or 3).
const MAX_VALUES: usize = 16;

/// The orientation arguments of a call, as given.
#[derive(Debug, Clone, Default)]
pub(crate) struct PoseArgs {
    orientation: Option<Vec<f64>>,
    rpy: Option<Vec<f64>>,
    free_axis: Option<String>,
}

impl PoseArgs {
    /// Reads the arguments (Python `None` is absent); only their shape is checked here.
    pub(crate) fn read(
        orientation: Option<&Bound<'_, PyAny>>,
        rpy: Option<&Bound<'_, PyAny>>,
        free_axis: Option<&str>,
    ) -> PyResult<Self> {
        let numbers = |v: Option<&Bound<'_, PyAny>>, name: &str| {
            v.filter(|v| !v.is_none())
                .map(|v| arrays::numbers_f64(v, name, MAX_VALUES))
                .transpose()
        };
        Ok(PoseArgs {
            orientation: numbers(orientation, "orientation")?,
            rpy: numbers(rpy, "rpy")?,
            free_axis: free_axis.map(str::to_string),
        })
    }

    /// The target at `position`: with no orientation given, `scene`'s (if any), as
    /// `mace ik solve` reads its flags.
    pub(crate) fn target(
        &self,
        position: [f32; 3],
        scene: Option<TargetOrientation>,
    ) -> PyResult<IkTarget> {
        mace_lab::ik::ik_target(
            position,
            self.orientation.as_deref(),
            self.rpy.as_deref(),
            self.free_axis.as_deref(),
            scene,
        )
        .py_err()
    }
}

/// A free axis as `--free-axis` reads it (its message for anything but `x`, `y`, `z`).
pub(crate) fn free_axis(axis: Option<&str>) -> PyResult<Option<ToolAxis>> {
    let Some(a) = axis else { return Ok(None) };
    let t = mace_lab::ik::ik_target([0.0; 3], Some(&[0.0, 0.0, 0.0, 1.0]), None, Some(a), None)
        .py_err()?;
    Ok(t.orientation.and_then(|o| o.free_axis))
}

/// Checks `pos_tol` (m) and `rot_tol` (degrees) as `--pos-tol` and `--rot-tol` and sets them in
/// `config`.
pub(crate) fn apply_tolerances(
    config: &mut SolveConfig,
    pos_tol: f32,
    rot_tol: f32,
) -> PyResult<()> {
    check_tolerances(pos_tol, rot_tol).py_err()?;
    config.tolerance = pos_tol;
    config.ik.rotation_tolerance = rot_tol.to_radians();
    Ok(())
}
