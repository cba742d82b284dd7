//! Pose targets in the experiments: reading them from command-line values, the prior's context
//! for one, and sampling a prior for one.
//!
//! A position prior samples for a pose target by its position (the solvers then turn the
//! tool); a pose prior (context `[x, y, z, r₀₀, r₁₀, r₂₀, r₀₁, r₁₁, r₂₁]`: position and the
//! first two columns of the tool rotation) conditions on the orientation too. With a free
//! axis, a pose prior is asked for the orientation turned about that axis by
//! [`FREE_AXIS_SPINS`] evenly spread angles, a share of the samples each.

use mace_models::features::{pose_context, POSE_CONTEXT_DIM};
use mace_models::ArGmm;
use mace_robot::math::Pose;
use mace_robot::target::{IkTarget, TargetOrientation, ToolAxis};
use rand::rngs::StdRng;

use super::prior::IkPrior;
use crate::error::{fail, Error, Result};

/// How many spins about a free axis a pose prior is asked for.
pub const FREE_AXIS_SPINS: usize = 8;

/// The target of an IK command: `position` (metres, base frame) and an orientation from
/// `orientation` (quaternion x, y, z, w) or `rpy` (roll, pitch, yaw in rad), not both; with
/// neither, `scene`'s orientation (if any). `free_axis` (`x`, `y` or `z`) frees the rotation
/// about that tool axis.
///
/// # Errors
/// [`Error::Invalid`] naming the flag: both orientations, the wrong count of values, a value
/// that is not finite, a quaternion that is not unit, a free axis with no orientation.
pub fn ik_target(
    position: [f32; 3],
    orientation: Option<&[f64]>,
    rpy: Option<&[f64]>,
    free_axis: Option<&str>,
    scene: Option<TargetOrientation>,
) -> Result<IkTarget> {
    let invalid = |field: &'static str, value: String, reason: String| Error::Invalid {
        field,
        value,
        reason,
    };
    let free = free_axis
        .map(|a| {
            a.parse::<ToolAxis>().map_err(|_| {
                invalid(
                    "--free-axis",
                    a.to_string(),
                    "must be x, y or z (a tool axis)".into(),
                )
            })
        })
        .transpose()?;
    let target = match (orientation, rpy) {
        (Some(_), Some(_)) => {
            fail!("give the orientation once: --orientation QX QY QZ QW or --rpy R P Y, not both")
        }
        (Some(q), None) => {
            let [x, y, z, w] = q[..] else {
                return Err(invalid(
                    "--orientation",
                    format!("{q:?}"),
                    format!(
                        "needs four values QX QY QZ QW (a unit quaternion), got {}",
                        q.len()
                    ),
                ));
            };
            IkTarget::pose(position, [x, y, z, w], free)
                .map_err(|e| invalid("--orientation", format!("{q:?}"), strip(e)))?
        }
        (None, Some(r)) => {
            let [a, b, c] = r[..] else {
                return Err(invalid(
                    "--rpy",
                    format!("{r:?}"),
                    format!("needs three values R P Y (rad), got {}", r.len()),
                ));
            };
            IkTarget::pose_rpy(position, [a, b, c], free)
                .map_err(|e| invalid("--rpy", format!("{r:?}"), strip(e)))?
        }
        (None, None) => match scene {
            Some(o) => IkTarget {
                position,
                orientation: Some(o),
            }
            .with_free_axis(free.or(o.free_axis)),
            None if free.is_some() => return Err(invalid(
                "--free-axis",
                free_axis.unwrap_or_default().to_string(),
                "frees the rotation about a tool axis: give the orientation too (--orientation \
                     or --rpy)"
                    .into(),
            )),
            None => IkTarget::position(position),
        },
    };
    if !target.position.iter().all(|v| v.is_finite()) {
        return Err(mace_robot::Error::NonFiniteTarget {
            target: target.position,
        }
        .into());
    }
    Ok(target)
}

fn strip(e: mace_robot::Error) -> String {
    e.to_string()
        .trim_start_matches("invalid target: ")
        .to_string()
}

/// Checks the tolerances of `--pos-tol` (metres) and `--rot-tol` (degrees): finite and > 0.
///
/// # Errors
/// [`Error::Invalid`] naming the flag.
pub fn check_tolerances(position_m: f32, rotation_deg: f32) -> Result<()> {
    for (field, v, unit) in [
        ("--pos-tol", position_m, "metres"),
        ("--rot-tol", rotation_deg, "degrees"),
    ] {
        if !(v.is_finite() && v > 0.0) {
            return Err(Error::Invalid {
                field,
                value: v.to_string(),
                reason: format!("must be a positive number of {unit}"),
            });
        }
    }
    if rotation_deg > 180.0 {
        return Err(Error::Invalid {
            field: "--rot-tol",
            value: rotation_deg.to_string(),
            reason: "must be at most 180 degrees".into(),
        });
    }
    Ok(())
}

/// Whether `model` is a pose prior (conditions on a pose context,
/// [`mace_models::features::pose_context`]).
pub fn is_pose_model(model: &ArGmm) -> bool {
    model.config().context_dim == POSE_CONTEXT_DIM
}

/// The context that conditions `model` on `target`: the position for a position prior, the
/// pose for a pose prior.
///
/// # Errors
/// For a pose prior and a position-only target.
pub fn context_for(model: &ArGmm, target: &IkTarget) -> Result<Vec<f32>> {
    if !is_pose_model(model) {
        return Ok(target.position.to_vec());
    }
    match &target.orientation {
        Some(o) => Ok(pose_context(target.position, &o.rotation).to_vec()),
        None => fail!(
            "the prior is a pose prior: give the target's orientation (--orientation or --rpy), \
             or use a position prior"
        ),
    }
}

/// The prior in `dir`, pose or position; without `dir`, the robot's shipped pose prior if it
/// has one, else its position prior.
///
/// # Errors
/// As [`super::prior::load_prior`].
pub fn load_any_prior(dir: Option<&std::path::Path>, robot: &mace_robot::Robot) -> Result<IkPrior> {
    let shipped = crate::assets::resolve(None, &super::prior::shipped_pose_prior(robot));
    match dir {
        None if shipped.exists() => super::prior::load_pose_prior(None, robot),
        None => super::prior::load_prior(None, robot),
        Some(d) => super::prior::load_pose_prior(Some(d), robot)
            .or_else(|_| super::prior::load_prior(Some(d), robot)),
    }
}

/// `n` samples `(n, dof)` of `prior` for `target` (see the module's notes on free axes).
///
/// # Errors
/// As [`context_for`].
pub fn sample_for(
    prior: &IkPrior,
    target: &IkTarget,
    n: usize,
    rng: &mut StdRng,
) -> Result<Vec<f32>> {
    let context = context_for(&prior.model, target)?;
    let Some(o) = target.orientation.filter(|o| o.free_axis.is_some()) else {
        return Ok(prior.sampler.sample(&context, n, rng));
    };
    if !is_pose_model(&prior.model) {
        return Ok(prior.sampler.sample(&context, n, rng));
    }
    let axis = o.free_axis.map_or([0.0, 0.0, 1.0], ToolAxis::unit);
    let spins = FREE_AXIS_SPINS.min(n.max(1));
    let mut out = Vec::with_capacity(n * prior.model.config().dim());
    for k in 0..spins {
        let share = n / spins + usize::from(k < n % spins);
        if share == 0 {
            continue;
        }
        let angle = std::f32::consts::TAU * k as f32 / spins as f32;
        let turned = Pose {
            rot: o.rotation,
            trans: [0.0; 3],
        }
        .mul(&Pose::from_axis_angle(axis, angle));
        let c = pose_context(target.position, &turned.rot);
        out.extend(prior.sampler.sample(&c, share, rng));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_from_flags() {
        let p = [0.5, 0.0, 0.4];
        assert!(ik_target(p, None, None, None, None)
            .unwrap()
            .orientation
            .is_none());
        let t = ik_target(p, Some(&[1.0, 0.0, 0.0, 0.0]), None, Some("z"), None).unwrap();
        assert_eq!(t.orientation.unwrap().free_axis, Some(ToolAxis::Z));
        let r = ik_target(p, None, Some(&[std::f64::consts::PI, 0.0, 0.0]), None, None).unwrap();
        let a = t.orientation.unwrap().rotation;
        let b = r.orientation.unwrap().rotation;
        assert!((0..3).all(|i| (0..3).all(|j| (a[i][j] - b[i][j]).abs() < 1e-6)));
        // The scene's orientation is used when no flag gives one.
        let s = ik_target(p, None, None, Some("x"), t.orientation).unwrap();
        assert_eq!(s.orientation.unwrap().free_axis, Some(ToolAxis::X));
    }

    #[test]
    fn bad_targets_name_the_flag() {
        let p = [0.5, 0.0, 0.4];
        let q = [0.0, 0.0, 0.0, 1.0];
        type Case<'a> = (
            Option<&'a [f64]>,
            Option<&'a [f64]>,
            Option<&'a str>,
            &'a str,
        );
        let cases: [Case; 7] = [
            (Some(&q), Some(&[0.0; 3]), None, "not both"),
            (Some(&[0.0; 4]), None, None, "--orientation"),
            (
                Some(&[0.0, 0.0, 0.5, 0.5]),
                None,
                None,
                "not a unit quaternion",
            ),
            (Some(&[0.0, 0.0, 1.0]), None, None, "four values"),
            (None, Some(&[0.0, f64::NAN, 0.0]), None, "--rpy"),
            (Some(&q), None, Some("w"), "--free-axis"),
            (None, None, Some("z"), "give the orientation too"),
        ];
        for (o, r, f, want) in cases {
            let e = ik_target(p, o, r, f, None).unwrap_err().to_string();
            assert!(e.contains(want), "{e}");
            assert!(!e.contains('\n'));
        }
        assert!(check_tolerances(0.0, 1.0)
            .unwrap_err()
            .to_string()
            .contains("--pos-tol"));
        assert!(check_tolerances(1e-3, -1.0)
            .unwrap_err()
            .to_string()
            .contains("--rot-tol"));
        assert!(check_tolerances(1e-3, f32::NAN).is_err());
        assert!(check_tolerances(1e-3, 1.0).is_ok());
    }
}
