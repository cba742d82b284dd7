//! What the tool must reach: a position and, optionally, an orientation — in full, or up to a
//! rotation about one tool axis (a symmetric gripper may spin about its approach axis).
//!
//! Errors are measured on the tool-centre-point frame (the tip link's pose, base frame):
//! position error in metres, rotation error in radians — the angle of `R_targetᵀ R_tcp`, or with
//! a free axis `a`, the angle between the tool axis where it is (`R_tcp a`) and where it should
//! be (`R_target a`). [`IkTarget::twist`] gives the 6-D error the damped-least-squares solvers
//! step on.
//!
//! # Example
//! ```
//! use mace_robot::target::{IkTarget, ToolAxis};
//! use mace_robot::math::Pose;
//! // Hand pointing down (tool z along −z), free to spin about its z axis.
//! let t = IkTarget::pose([0.5, 0.0, 0.3], [1.0, 0.0, 0.0, 0.0], Some(ToolAxis::Z))?;
//! let tool = Pose { rot: [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, -1.0]], trans: [0.5, 0.0, 0.3] };
//! let (d_pos, d_rot) = t.errors(&tool);
//! assert!(d_pos < 1e-6 && d_rot < 1e-6); // a 90° spin about the free axis costs nothing
//! # Ok::<(), mace_robot::Error>(())
//! ```

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};
use crate::math::{cross, dot, norm, rot_from_quat_xyzw, rot_from_rpy, sub, Pose, Vec3};

/// How far a quaternion's norm may be from 1 before it is refused rather than normalised.
pub const QUATERNION_NORM_TOLERANCE: f64 = 1e-3;

/// An axis of the tool frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ToolAxis {
    /// The tool's x axis.
    X,
    /// The tool's y axis.
    Y,
    /// The tool's z axis (the approach axis of the shipped robots' hands).
    Z,
}

impl ToolAxis {
    /// The axis as a unit vector of the tool frame.
    pub fn unit(self) -> Vec3 {
        match self {
            ToolAxis::X => [1.0, 0.0, 0.0],
            ToolAxis::Y => [0.0, 1.0, 0.0],
            ToolAxis::Z => [0.0, 0.0, 1.0],
        }
    }

    /// The name (`x`, `y`, `z`).
    pub fn name(self) -> &'static str {
        match self {
            ToolAxis::X => "x",
            ToolAxis::Y => "y",
            ToolAxis::Z => "z",
        }
    }
}

impl fmt::Display for ToolAxis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ToolAxis {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "x" => Ok(ToolAxis::X),
            "y" => Ok(ToolAxis::Y),
            "z" => Ok(ToolAxis::Z),
            _ => Err(Error::InvalidTarget {
                reason: format!("free axis `{s}` is not one of x, y, z"),
            }),
        }
    }
}

/// The orientation part of a target.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TargetOrientation {
    /// Unit quaternion `(x, y, z, w)` of the tool frame in the base frame.
    pub quaternion: [f32; 4],
    /// The same rotation, row-major (base ← tool).
    pub rotation: [[f32; 3]; 3],
    /// The tool axis the orientation is free about (`None`: the full orientation counts).
    pub free_axis: Option<ToolAxis>,
}

/// A target of the tool-centre point: a position (metres, base frame) and optionally an
/// orientation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IkTarget {
    /// Where the TCP must be, metres, base frame.
    pub position: Vec3,
    /// How the tool must be turned (`None`: position only).
    pub orientation: Option<TargetOrientation>,
}

impl From<Vec3> for IkTarget {
    fn from(position: Vec3) -> Self {
        IkTarget::position(position)
    }
}

impl IkTarget {
    /// A position-only target.
    pub fn position(position: Vec3) -> IkTarget {
        IkTarget {
            position,
            orientation: None,
        }
    }

    /// A pose target from a quaternion `(x, y, z, w)`; `free_axis` frees the rotation about
    /// that tool axis.
    ///
    /// # Errors
    /// [`Error::InvalidTarget`] if a value is not finite or the quaternion's norm is not within
    /// [`QUATERNION_NORM_TOLERANCE`] of 1 (it is renormalised within).
    pub fn pose(
        position: Vec3,
        quaternion: [f64; 4],
        free_axis: Option<ToolAxis>,
    ) -> Result<IkTarget> {
        check_position(position)?;
        if !quaternion.iter().all(|v| v.is_finite()) {
            return invalid(format!("orientation {quaternion:?} is not finite"));
        }
        let n = quaternion.iter().map(|v| v * v).sum::<f64>().sqrt();
        if (n - 1.0).abs() > QUATERNION_NORM_TOLERANCE {
            return invalid(format!(
                "orientation {quaternion:?} is not a unit quaternion (x, y, z, w): its norm is \
                 {n:.6}{}",
                if n > 0.0 {
                    ", divide it by its norm"
                } else {
                    ""
                }
            ));
        }
        let q = quaternion.map(|v| v / n);
        let rotation = rot_from_quat_xyzw(q);
        Ok(IkTarget {
            position,
            orientation: Some(TargetOrientation {
                quaternion: Pose {
                    rot: rotation,
                    trans: [0.0; 3],
                }
                .quat_xyzw(),
                rotation,
                free_axis,
            }),
        })
    }

    /// A pose target from roll, pitch, yaw (rad; URDF convention `R = Rz(yaw) Ry(pitch) Rx(roll)`).
    ///
    /// # Errors
    /// [`Error::InvalidTarget`] if a value is not finite.
    pub fn pose_rpy(
        position: Vec3,
        rpy: [f64; 3],
        free_axis: Option<ToolAxis>,
    ) -> Result<IkTarget> {
        check_position(position)?;
        if !rpy.iter().all(|v| v.is_finite()) {
            return invalid(format!("roll, pitch, yaw {rpy:?} are not finite"));
        }
        let p = Pose {
            rot: rot_from_rpy(rpy),
            trans: [0.0; 3],
        };
        let q = p.quat_xyzw().map(f64::from);
        IkTarget::pose(position, q, free_axis)
    }

    /// The target a tool frame `tool` reaches (full orientation).
    pub fn from_tool_pose(tool: &Pose) -> IkTarget {
        IkTarget {
            position: tool.trans,
            orientation: Some(TargetOrientation {
                quaternion: tool.quat_xyzw(),
                rotation: tool.rot,
                free_axis: None,
            }),
        }
    }

    /// The same target with the orientation freed about `axis`.
    pub fn with_free_axis(mut self, axis: Option<ToolAxis>) -> IkTarget {
        if let Some(o) = self.orientation.as_mut() {
            o.free_axis = axis;
        }
        self
    }

    /// Whether the orientation counts.
    pub fn has_orientation(&self) -> bool {
        self.orientation.is_some()
    }

    /// Position error (metres) and rotation error (rad; 0 for a position-only target) of the
    /// tool frame `tool`.
    pub fn errors(&self, tool: &Pose) -> (f32, f32) {
        let d_pos = norm(sub(self.position, tool.trans));
        let d_rot = match &self.orientation {
            None => 0.0,
            Some(o) => rotation_error(o, &tool.rot).0,
        };
        (d_pos, d_rot)
    }

    /// The 6-D error of `tool` in the base frame: `[e_pos (m); e_rot (rad)]`, `e_rot` the
    /// rotation vector that turns the tool towards the target (zero for a position-only
    /// target; perpendicular to the tool axis with a free axis).
    pub fn twist(&self, tool: &Pose) -> [f64; 6] {
        let e = sub(self.position, tool.trans);
        let r = match &self.orientation {
            None => [0.0; 3],
            Some(o) => rotation_error(o, &tool.rot).1,
        };
        [
            e[0] as f64,
            e[1] as f64,
            e[2] as f64,
            r[0] as f64,
            r[1] as f64,
            r[2] as f64,
        ]
    }

    /// The free tool axis in the base frame for the tool frame `tool`, if any.
    pub fn free_axis_world(&self, tool: &Pose) -> Option<Vec3> {
        let axis = self.orientation.as_ref()?.free_axis?;
        Some(apply(&tool.rot, axis.unit()))
    }
}

fn invalid<T>(reason: String) -> Result<T> {
    Err(Error::InvalidTarget { reason })
}

fn check_position(p: Vec3) -> Result<()> {
    if p.iter().all(|v| v.is_finite()) {
        Ok(())
    } else {
        Err(Error::NonFiniteTarget { target: p })
    }
}

/// `R v`.
fn apply(r: &[[f32; 3]; 3], v: Vec3) -> Vec3 {
    [dot(r[0], v), dot(r[1], v), dot(r[2], v)]
}

/// Angle (rad) and rotation vector (base frame) from the tool rotation `rot` to the target.
fn rotation_error(o: &TargetOrientation, rot: &[[f32; 3]; 3]) -> (f32, Vec3) {
    match o.free_axis {
        Some(axis) => {
            let u = apply(rot, axis.unit());
            let v = apply(&o.rotation, axis.unit());
            let s = cross(u, v);
            let sn = norm(s);
            let angle = sn.atan2(dot(u, v));
            if sn > 1e-9 {
                (angle, s.map(|x| x * angle / sn))
            } else if dot(u, v) > 0.0 {
                (angle, [0.0; 3])
            } else {
                // Opposite: turn about any axis perpendicular to u.
                let p = perpendicular(u);
                (angle, p.map(|x| x * angle))
            }
        }
        None => {
            // R_err = R_target R_toolᵀ (base frame).
            let t = &o.rotation;
            let mut m = [[0.0f32; 3]; 3];
            for (i, row) in m.iter_mut().enumerate() {
                for (j, v) in row.iter_mut().enumerate() {
                    *v = (0..3).map(|k| t[i][k] * rot[j][k]).sum();
                }
            }
            let s = [
                0.5 * (m[2][1] - m[1][2]),
                0.5 * (m[0][2] - m[2][0]),
                0.5 * (m[1][0] - m[0][1]),
            ];
            let c = 0.5 * (m[0][0] + m[1][1] + m[2][2] - 1.0);
            let sn = norm(s);
            let angle = sn.atan2(c);
            if sn > 1e-7 {
                (angle, s.map(|x| x * angle / sn))
            } else if c > 0.0 {
                (angle, s)
            } else {
                // A half turn: the axis is the largest column of R_err + I.
                let col = |j: usize| [m[0][j], m[1][j], m[2][j]];
                let mut best = [0.0f32; 3];
                for j in 0..3 {
                    let mut a = col(j);
                    a[j] += 1.0;
                    if norm(a) > norm(best) {
                        best = a;
                    }
                }
                let n = norm(best).max(1e-12);
                (angle, best.map(|x| x * angle / n))
            }
        }
    }
}

/// A unit vector perpendicular to the unit `u`.
fn perpendicular(u: Vec3) -> Vec3 {
    let other = if u[0].abs() < 0.9 {
        [1.0, 0.0, 0.0]
    } else {
        [0.0, 1.0, 0.0]
    };
    let p = cross(u, other);
    let n = norm(p);
    p.map(|x| x / n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tool(rpy: [f64; 3]) -> Pose {
        Pose {
            rot: rot_from_rpy(rpy),
            trans: [0.1, 0.2, 0.3],
        }
    }

    #[test]
    fn rotation_error_is_the_relative_angle() {
        let t = IkTarget::pose_rpy([0.1, 0.2, 0.3], [0.3, -0.2, 1.0], None).unwrap();
        for angle in [0.0, 1e-4, 0.01, 0.5, 2.0, 3.1, std::f64::consts::PI] {
            // Turn the target frame by `angle` about an oblique axis of the tool frame.
            let axis = [0.48f32, -0.6, 0.64];
            let turned = tool([0.3, -0.2, 1.0]).mul(&Pose::from_axis_angle(axis, angle as f32));
            let (dp, dr) = t.errors(&Pose {
                trans: [0.1, 0.2, 0.3],
                ..turned
            });
            assert!(dp < 1e-7);
            assert!((dr as f64 - angle).abs() < 2e-3, "{angle}: {dr}");
            // The twist turns the tool back: its norm is the angle.
            let tw = t.twist(&Pose {
                trans: [0.1, 0.2, 0.3],
                ..turned
            });
            let n = (tw[3] * tw[3] + tw[4] * tw[4] + tw[5] * tw[5]).sqrt();
            assert!((n - angle).abs() < 2e-3, "{angle}: twist {n}");
        }
    }

    #[test]
    fn twist_points_back_to_the_target() {
        // A small rotation about base z: the twist is −angle about z.
        let t = IkTarget::pose_rpy([0.0; 3], [0.0, 0.0, 0.0], None).unwrap();
        let tw = t.twist(&Pose {
            rot: rot_from_rpy([0.0, 0.0, 0.1]),
            trans: [0.0; 3],
        });
        assert!((tw[5] + 0.1).abs() < 1e-6 && tw[3].abs() < 1e-7 && tw[4].abs() < 1e-7);
    }

    #[test]
    fn a_free_axis_ignores_spin_about_it() {
        let t = IkTarget::pose_rpy([0.0; 3], [3.0, 0.0, 0.0], Some(ToolAxis::Z)).unwrap();
        let spun = Pose {
            rot: rot_from_rpy([3.0, 0.0, 0.0]),
            trans: [0.0; 3],
        }
        .mul(&Pose::from_axis_angle([0.0, 0.0, 1.0], 1.2));
        assert!(t.errors(&spun).1 < 1e-5);
        // Tilting the axis by 0.2 rad costs 0.2 rad.
        let tilted = spun.mul(&Pose::from_axis_angle([1.0, 0.0, 0.0], 0.2));
        assert!((t.errors(&tilted).1 - 0.2).abs() < 1e-4);
        let tw = t.twist(&tilted);
        let axis = t.free_axis_world(&tilted).unwrap();
        let along = tw[3] * axis[0] as f64 + tw[4] * axis[1] as f64 + tw[5] * axis[2] as f64;
        assert!(
            along.abs() < 1e-6,
            "the twist has no part about the free axis"
        );
    }

    #[test]
    fn bad_orientations_are_refused() {
        for q in [
            [0.0; 4],
            [1.0, 1.0, 0.0, 0.0],
            [f64::NAN, 0.0, 0.0, 1.0],
            [0.0, 0.0, 0.0, 1.01],
        ] {
            let e = IkTarget::pose([0.0; 3], q, None).unwrap_err().to_string();
            assert!(e.contains("orientation"), "{e}");
        }
        assert!(IkTarget::pose([0.0; 3], [0.0, 0.0, 0.0, 1.0005], None).is_ok());
        assert!(IkTarget::pose_rpy([0.0; 3], [0.0, f64::INFINITY, 0.0], None).is_err());
        assert!(IkTarget::pose([f32::NAN, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0], None).is_err());
        assert!("w".parse::<ToolAxis>().is_err());
        assert_eq!("z".parse::<ToolAxis>().unwrap(), ToolAxis::Z);
    }

    #[test]
    fn quaternion_and_rpy_agree() {
        // 180° about x: q = (1, 0, 0, 0) and rpy = (π, 0, 0).
        let a = IkTarget::pose([0.0; 3], [1.0, 0.0, 0.0, 0.0], None).unwrap();
        let b = IkTarget::pose_rpy([0.0; 3], [std::f64::consts::PI, 0.0, 0.0], None).unwrap();
        let ra = a.orientation.unwrap().rotation;
        let rb = b.orientation.unwrap().rotation;
        for i in 0..3 {
            for j in 0..3 {
                assert!((ra[i][j] - rb[i][j]).abs() < 1e-6);
            }
        }
    }
}
