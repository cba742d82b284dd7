//! Kinematic conditioning features for serial chains.
//!
//! An IK prior conditions each joint's mixture on the target position. How the target looks
//! *from the joint* — the target expressed in the joint's own frame, given the joints before it —
//! is what decides that joint's angle, and a network learns it far more easily than the raw
//! base-frame target. [`ChainFeatures`] computes, for every joint j, the target in the frame of
//! joint j (after the motions of joints < j): its coordinates along two axes orthogonal to the
//! joint axis and along the axis, the distance from the axis, and the cosine and sine of its
//! azimuth about the axis ([`FEATURES_PER_JOINT`] = 6 numbers, metres or unitless).
//!
//! The chain is described by plain numbers (stored in the model's `config.json`), so a
//! checkpoint does not depend on a robot description being present.

use serde::{Deserialize, Serialize};

/// Features per joint: (p·u, p·v, p·a, r, cos φ, sin φ).
pub const FEATURES_PER_JOINT: usize = 6;

/// A movable joint: its frame relative to the previous movable joint's moving frame (the base
/// frame for the first joint), and its motion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JointFrame {
    /// Rotation of the joint frame, row-major.
    pub rotation: [[f32; 3]; 3],
    /// Translation of the joint frame, metres.
    pub translation: [f32; 3],
    /// Unit motion axis in the joint frame.
    pub axis: [f32; 3],
    /// Prismatic (translation along the axis) rather than revolute.
    pub prismatic: bool,
}

/// A serial chain's movable joints, in configuration order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChainFeatures {
    /// One entry per modelled coordinate.
    pub joints: Vec<JointFrame>,
}

/// A rigid frame `x ↦ R x + t` (world ← frame).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Frame {
    rot: [[f32; 3]; 3],
    trans: [f32; 3],
}

impl Frame {
    const IDENTITY: Frame = Frame {
        rot: [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
        trans: [0.0; 3],
    };

    fn mul(&self, rot: &[[f32; 3]; 3], trans: &[f32; 3]) -> Frame {
        let mut r = [[0.0f32; 3]; 3];
        let mut t = self.trans;
        for i in 0..3 {
            for j in 0..3 {
                r[i][j] = (0..3).map(|k| self.rot[i][k] * rot[k][j]).sum();
            }
            t[i] += (0..3).map(|k| self.rot[i][k] * trans[k]).sum::<f32>();
        }
        Frame { rot: r, trans: t }
    }
}

impl ChainFeatures {
    /// Number of joints.
    pub fn len(&self) -> usize {
        self.joints.len()
    }

    /// Whether the chain has no joints.
    pub fn is_empty(&self) -> bool {
        self.joints.is_empty()
    }

    /// The frame of joint 0 (before its motion), world ← joint.
    pub fn start(&self) -> Frame {
        let j = &self.joints[0];
        Frame::IDENTITY.mul(&j.rotation, &j.translation)
    }

    /// Given the frame of joint `j` (before its motion) and its value, the frame of joint `j + 1`
    /// (before its motion); for the last joint, the moving frame of joint `j`.
    pub fn advance(&self, j: usize, frame: &Frame, value: f32) -> Frame {
        let joint = &self.joints[j];
        let moved = if joint.prismatic {
            let a = joint.axis;
            frame.mul(
                &Frame::IDENTITY.rot,
                &[a[0] * value, a[1] * value, a[2] * value],
            )
        } else {
            frame.mul(&axis_angle(joint.axis, value), &[0.0; 3])
        };
        match self.joints.get(j + 1) {
            Some(next) => moved.mul(&next.rotation, &next.translation),
            None => moved,
        }
    }

    /// Writes the [`FEATURES_PER_JOINT`] features of joint `j` with frame `frame` for `target`
    /// (world frame, metres) into `out`.
    pub fn joint_features(&self, j: usize, frame: &Frame, target: &[f32], out: &mut [f32]) {
        let d = [
            target[0] - frame.trans[0],
            target[1] - frame.trans[1],
            target[2] - frame.trans[2],
        ];
        // p = Rᵀ d: the target in the joint frame.
        let p: [f32; 3] = std::array::from_fn(|c| (0..3).map(|r| frame.rot[r][c] * d[r]).sum());
        let (u, v) = orthonormal_pair(self.joints[j].axis);
        let a = self.joints[j].axis;
        let dot = |x: [f32; 3], y: [f32; 3]| x[0] * y[0] + x[1] * y[1] + x[2] * y[2];
        let (pu, pv, pa) = (dot(p, u), dot(p, v), dot(p, a));
        let r = (pu * pu + pv * pv).sqrt();
        let inv = 1.0 / (r + 1e-6);
        out[..FEATURES_PER_JOINT].copy_from_slice(&[pu, pv, pa, r, pu * inv, pv * inv]);
    }

    /// Features of every joint for one configuration `q` (length D) and `target`: `out` holds
    /// D × [`FEATURES_PER_JOINT`] values, joint-major. Joint j's features use only `q[..j]`.
    pub fn all_features(&self, q: &[f32], target: &[f32], out: &mut [f32]) {
        let f = FEATURES_PER_JOINT;
        let mut frame = self.start();
        for j in 0..self.joints.len() {
            self.joint_features(j, &frame, target, &mut out[j * f..(j + 1) * f]);
            frame = self.advance(j, &frame, q[j]);
        }
    }
}

/// Rotation matrix of `angle` about the unit `axis` (Rodrigues).
fn axis_angle(axis: [f32; 3], angle: f32) -> [[f32; 3]; 3] {
    let (s, c) = angle.sin_cos();
    let t = 1.0 - c;
    let [x, y, z] = axis;
    [
        [t * x * x + c, t * x * y - s * z, t * x * z + s * y],
        [t * x * y + s * z, t * y * y + c, t * y * z - s * x],
        [t * x * z - s * y, t * y * z + s * x, t * z * z + c],
    ]
}

/// Two unit vectors orthogonal to the unit `axis` and to each other (x, y for the z axis).
fn orthonormal_pair(axis: [f32; 3]) -> ([f32; 3], [f32; 3]) {
    let [x, y, z] = axis;
    if z.abs() > 0.9 {
        let s = z.signum();
        // For ±z: u = x, v = a × u = ±y.
        return ([1.0, 0.0, 0.0], [0.0, s, 0.0]);
    }
    // u = normalise(axis × z), v = axis × u.
    let u = [y, -x, 0.0];
    let n = (u[0] * u[0] + u[1] * u[1]).sqrt();
    let u = [u[0] / n, u[1] / n, 0.0];
    let v = [
        y * u[2] - z * u[1],
        z * u[0] - x * u[2],
        x * u[1] - y * u[0],
    ];
    (u, v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn planar2() -> ChainFeatures {
        // Two revolute z joints; the second 1 m along x of the first's moving frame.
        let id = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];
        ChainFeatures {
            joints: vec![
                JointFrame {
                    rotation: id,
                    translation: [0.0; 3],
                    axis: [0.0, 0.0, 1.0],
                    prismatic: false,
                },
                JointFrame {
                    rotation: id,
                    translation: [1.0, 0.0, 0.0],
                    axis: [0.0, 0.0, 1.0],
                    prismatic: false,
                },
            ],
        }
    }

    #[test]
    fn target_seen_from_each_joint() {
        let c = planar2();
        let mut out = [0.0f32; 12];
        // q0 = 90°: joint 1 sits at (0, 1, 0), its x axis along world y.
        c.all_features(
            &[std::f32::consts::FRAC_PI_2, 0.0],
            &[0.0, 2.0, 0.5],
            &mut out,
        );
        let j0 = &out[..6];
        assert!((j0[0]).abs() < 1e-6 && (j0[1] - 2.0).abs() < 1e-6 && (j0[2] - 0.5).abs() < 1e-6);
        assert!((j0[3] - 2.0).abs() < 1e-6 && j0[4].abs() < 1e-5 && (j0[5] - 1.0).abs() < 1e-5);
        let j1 = &out[6..];
        assert!((j1[0] - 1.0).abs() < 1e-5 && j1[1].abs() < 1e-5, "{j1:?}");
        assert!((j1[4] - 1.0).abs() < 1e-4);
    }
}
