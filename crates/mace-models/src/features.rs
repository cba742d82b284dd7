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
//! A pose prior conditions on the tool's full pose: the context is [`POSE_CONTEXT_DIM`] = 9
//! numbers, the position then the first two columns of the tool's rotation matrix (the 6-D
//! rotation representation of Zhou et al.; build it with [`pose_context`]). Its chain then
//! knows the tool's frame in the last joint's moving frame ([`ChainFeatures::pose`]) and every
//! joint also sees ([`POSE_FEATURES_PER_JOINT`] numbers in all):
//! - the wrist point, the origin of the last joint's frame, which the pose alone fixes
//!   (target position minus R times the tool's offset from that origin), like the target;
//! - the tool's x and y axes and the last joint's axis, in the joint's (u, v, a) basis.
//!
//! The chain is described by plain numbers (stored in the model's `config.json`), so a
//! checkpoint does not depend on a robot description being present.

use serde::{Deserialize, Serialize};

/// Features per joint: (p·u, p·v, p·a, r, cos φ, sin φ).
pub const FEATURES_PER_JOINT: usize = 6;

/// Features per joint of a pose-conditioned chain: those of the target position and of the
/// wrist point (6 each), then three unit vectors in the joint's (u, v, a) basis (3 each).
pub const POSE_FEATURES_PER_JOINT: usize = 2 * FEATURES_PER_JOINT + 9;

/// Context of a pose prior: position (3) and the first two columns of the rotation (6).
pub const POSE_CONTEXT_DIM: usize = 9;

/// The context of a pose prior for a tool at `position` (metres, base frame) with rotation
/// `rotation` (base ← tool, row-major): `[x, y, z, r00, r10, r20, r01, r11, r21]`, the position
/// then the first two columns of the rotation.
pub fn pose_context(position: [f32; 3], rotation: &[[f32; 3]; 3]) -> [f32; POSE_CONTEXT_DIM] {
    let r = rotation;
    [
        position[0],
        position[1],
        position[2],
        r[0][0],
        r[1][0],
        r[2][0],
        r[0][1],
        r[1][1],
        r[2][1],
    ]
}

/// The rotation (row-major) whose first two columns are the Gram–Schmidt orthonormalisation of
/// the two 3-vectors `columns[..3]` and `columns[3..6]` (the third is their cross product):
/// the inverse of [`pose_context`]'s rotation part. Degenerate input gives non-finite values.
pub fn rotation_from_6d(columns: &[f32]) -> [[f32; 3]; 3] {
    let unit = |v: [f32; 3]| {
        let n = dot(v, v).sqrt();
        v.map(|x| x / n)
    };
    let b1 = unit([columns[0], columns[1], columns[2]]);
    let c2 = [columns[3], columns[4], columns[5]];
    let k = dot(b1, c2);
    let b2 = unit(std::array::from_fn(|i| c2[i] - k * b1[i]));
    let b3 = cross(b1, b2);
    std::array::from_fn(|i| [b1[i], b2[i], b3[i]])
}

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
    /// For a pose prior (a [`POSE_CONTEXT_DIM`]-number context): the tool's frame in the last
    /// joint's moving frame; the joints then see [`POSE_FEATURES_PER_JOINT`] features.
    /// `None`: a position prior.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pose: Option<ToolFrame>,
}

/// The tool's frame in the last joint's moving frame (fixed links between them composed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolFrame {
    /// Rotation, row-major.
    pub rotation: [[f32; 3]; 3],
    /// Origin, metres.
    pub translation: [f32; 3],
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

    /// Features per joint: [`FEATURES_PER_JOINT`], or [`POSE_FEATURES_PER_JOINT`] with a pose.
    pub fn features_per_joint(&self) -> usize {
        if self.pose.is_some() {
            POSE_FEATURES_PER_JOINT
        } else {
            FEATURES_PER_JOINT
        }
    }

    /// Context values the features read: 3 (a position), or [`POSE_CONTEXT_DIM`] with a pose.
    pub fn context_dim(&self) -> usize {
        if self.pose.is_some() {
            POSE_CONTEXT_DIM
        } else {
            3
        }
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

    /// Writes the [`Self::features_per_joint`] features of joint `j` with frame `frame` for
    /// the context `target` (world frame: a position in metres, or a pose context) into `out`.
    pub fn joint_features(&self, j: usize, frame: &Frame, target: &[f32], out: &mut [f32]) {
        let (u, v) = orthonormal_pair(self.joints[j].axis);
        let a = self.joints[j].axis;
        // p = Rᵀ d: a world direction in the joint frame, then in its (u, v, a) basis.
        let local = |d: [f32; 3]| {
            let p: [f32; 3] = std::array::from_fn(|c| (0..3).map(|r| frame.rot[r][c] * d[r]).sum());
            [dot(p, u), dot(p, v), dot(p, a)]
        };
        let point = |w: [f32; 3], out: &mut [f32]| {
            let [pu, pv, pa] = local(std::array::from_fn(|i| w[i] - frame.trans[i]));
            let r = (pu * pu + pv * pv).sqrt();
            let inv = 1.0 / (r + 1e-6);
            out[..FEATURES_PER_JOINT].copy_from_slice(&[pu, pv, pa, r, pu * inv, pv * inv]);
        };
        let position = [target[0], target[1], target[2]];
        point(position, out);
        let Some(tool) = &self.pose else {
            return;
        };
        let f = FEATURES_PER_JOINT;
        let rot = rotation_from_6d(&target[3..POSE_CONTEXT_DIM]);
        // The last joint's frame is the tool's times the inverse of the tool frame: its origin
        // is position − R·R_toolᵀ·t_tool, its axis R·R_toolᵀ·axis.
        let last = self.joints.last().expect("a chain has joints");
        let in_tool = |v: [f32; 3]| -> [f32; 3] {
            let w: [f32; 3] =
                std::array::from_fn(|c| (0..3).map(|r| tool.rotation[r][c] * v[r]).sum());
            std::array::from_fn(|i| dot(rot[i], w))
        };
        let offset = in_tool(tool.translation);
        point(
            std::array::from_fn(|i| position[i] - offset[i]),
            &mut out[f..],
        );
        let column = |c: usize| [rot[0][c], rot[1][c], rot[2][c]];
        let vectors = [column(0), column(1), in_tool(last.axis)];
        for (i, w) in vectors.into_iter().enumerate() {
            out[2 * f + 3 * i..2 * f + 3 * i + 3].copy_from_slice(&local(w));
        }
    }

    /// Features of every joint for one configuration `q` (length D) and `target`: `out` holds
    /// D × [`Self::features_per_joint`] values, joint-major. Joint j's features use only `q[..j]`.
    pub fn all_features(&self, q: &[f32], target: &[f32], out: &mut [f32]) {
        let f = self.features_per_joint();
        let mut frame = self.start();
        for j in 0..self.joints.len() {
            self.joint_features(j, &frame, target, &mut out[j * f..(j + 1) * f]);
            frame = self.advance(j, &frame, q[j]);
        }
    }
}

fn dot(x: [f32; 3], y: [f32; 3]) -> f32 {
    x[0] * y[0] + x[1] * y[1] + x[2] * y[2]
}

fn cross(x: [f32; 3], y: [f32; 3]) -> [f32; 3] {
    [
        x[1] * y[2] - x[2] * y[1],
        x[2] * y[0] - x[0] * y[2],
        x[0] * y[1] - x[1] * y[0],
    ]
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
            pose: None,
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

    /// The wrist point and the last joint's axis the features read from a pose are where the
    /// chain's last joint is: seen from that joint (before its motion), the wrist is at its
    /// origin and the axis is its own; `rotation_from_6d` inverts `pose_context`.
    #[test]
    fn pose_features_find_the_last_joint() {
        let mut c = planar2();
        c.joints[1].axis = [0.0, 0.6, 0.8];
        let tool = ToolFrame {
            rotation: axis_angle([0.6, 0.0, 0.8], 0.9),
            translation: [0.1, -0.2, 0.3],
        };
        c.pose = Some(tool.clone());
        let q = [0.4f32, -1.1];
        let mut frame = c.start();
        frame = c.advance(0, &frame, q[0]);
        let before_last = frame;
        let tip = c
            .advance(1, &frame, q[1])
            .mul(&tool.rotation, &tool.translation);
        let context = pose_context(tip.trans, &tip.rot);
        let back = rotation_from_6d(&context[3..]);
        for i in 0..3 {
            for j in 0..3 {
                assert!((back[i][j] - tip.rot[i][j]).abs() < 1e-5, "{back:?}");
            }
        }
        let f = POSE_FEATURES_PER_JOINT;
        let mut out = vec![0.0; 2 * f];
        c.all_features(&q, &context, &mut out);
        let last = &out[f..];
        assert!(last[6..10].iter().all(|v| v.abs() < 1e-5), "wrist {last:?}");
        let axis = &last[18..21];
        assert!(axis[0].abs() < 1e-5 && axis[1].abs() < 1e-5 && (axis[2] - 1.0).abs() < 1e-5);
        let mut one = [0.0; POSE_FEATURES_PER_JOINT];
        c.joint_features(1, &before_last, &context, &mut one);
        assert_eq!(one, last);
    }
}
