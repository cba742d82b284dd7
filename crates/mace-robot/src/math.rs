//! Compact rigid transforms in `f32` for the data path, and their conversions.
//!
//! A [`Pose`] is a 3×4 matrix `[R | t]` (rotation row-major, translation in metres): 48 bytes,
//! no allocation, cheaper to compose than a quaternion-based isometry.

use nalgebra::{Isometry3, Matrix3, Rotation3, Translation3, UnitQuaternion, Vector3};

/// A point or vector in 3-D, metres.
pub type Vec3 = [f32; 3];

/// A rigid transform `x ↦ R x + t` (rotation `rot` row-major, translation `trans` in metres).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pose {
    /// Rotation matrix, row-major: `rot[i][j]` is row `i`, column `j`.
    pub rot: [[f32; 3]; 3],
    /// Translation, metres.
    pub trans: Vec3,
}

impl Default for Pose {
    fn default() -> Self {
        Self::IDENTITY
    }
}

impl Pose {
    /// The identity transform.
    pub const IDENTITY: Pose = Pose {
        rot: [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
        trans: [0.0; 3],
    };

    /// The transform of a URDF `<origin xyz rpy>`: `R = Rz(yaw) Ry(pitch) Rx(roll)`, computed in `f64`.
    pub fn from_xyz_rpy(xyz: [f64; 3], rpy: [f64; 3]) -> Pose {
        let r = Rotation3::from_euler_angles(rpy[0], rpy[1], rpy[2]);
        Pose::from_f64(&r.into_inner(), xyz)
    }

    /// A pure translation (metres).
    pub fn from_translation(t: Vec3) -> Pose {
        Pose {
            trans: t,
            ..Pose::IDENTITY
        }
    }

    /// A rotation by `angle` (rad) about the unit `axis`, no translation (Rodrigues' formula).
    #[inline]
    pub fn from_axis_angle(axis: Vec3, angle: f32) -> Pose {
        let (s, c) = angle.sin_cos();
        let t = 1.0 - c;
        let [x, y, z] = axis;
        Pose {
            rot: [
                [t * x * x + c, t * x * y - s * z, t * x * z + s * y],
                [t * x * y + s * z, t * y * y + c, t * y * z - s * x],
                [t * x * z - s * y, t * y * z + s * x, t * z * z + c],
            ],
            trans: [0.0; 3],
        }
    }

    /// Builds from an `f64` rotation matrix and translation (rounded to `f32`).
    pub fn from_f64(rot: &Matrix3<f64>, trans: [f64; 3]) -> Pose {
        let mut r = [[0.0f32; 3]; 3];
        for (i, row) in r.iter_mut().enumerate() {
            for (j, v) in row.iter_mut().enumerate() {
                *v = rot[(i, j)] as f32;
            }
        }
        Pose {
            rot: r,
            trans: trans.map(|v| v as f32),
        }
    }

    /// Composition `self ∘ other`: applies `other` first, then `self`.
    #[inline]
    pub fn mul(&self, other: &Pose) -> Pose {
        let a = &self.rot;
        let b = &other.rot;
        let mut rot = [[0.0f32; 3]; 3];
        for i in 0..3 {
            for j in 0..3 {
                rot[i][j] = a[i][0] * b[0][j] + a[i][1] * b[1][j] + a[i][2] * b[2][j];
            }
        }
        Pose {
            rot,
            trans: self.transform_point(other.trans),
        }
    }

    /// Applies the transform to a point: `R p + t`.
    #[inline]
    pub fn transform_point(&self, p: Vec3) -> Vec3 {
        let r = &self.rot;
        [
            r[0][0] * p[0] + r[0][1] * p[1] + r[0][2] * p[2] + self.trans[0],
            r[1][0] * p[0] + r[1][1] * p[1] + r[1][2] * p[2] + self.trans[1],
            r[2][0] * p[0] + r[2][1] * p[1] + r[2][2] * p[2] + self.trans[2],
        ]
    }

    /// Applies the inverse transform to a point: `Rᵀ (p − t)`.
    #[inline]
    pub fn inverse_transform_point(&self, p: Vec3) -> Vec3 {
        let d = sub(p, self.trans);
        let r = &self.rot;
        [
            r[0][0] * d[0] + r[1][0] * d[1] + r[2][0] * d[2],
            r[0][1] * d[0] + r[1][1] * d[1] + r[2][1] * d[2],
            r[0][2] * d[0] + r[1][2] * d[1] + r[2][2] * d[2],
        ]
    }

    /// Converts to a nalgebra isometry.
    pub fn to_isometry(&self) -> Isometry3<f32> {
        let m = Matrix3::from_fn(|i, j| self.rot[i][j]);
        let q = UnitQuaternion::from_matrix(&m);
        Isometry3::from_parts(
            Translation3::new(self.trans[0], self.trans[1], self.trans[2]),
            q,
        )
    }

    /// The orientation as a unit quaternion `(x, y, z, w)`.
    pub fn quat_xyzw(&self) -> [f32; 4] {
        let q = self.to_isometry().rotation;
        [q.i, q.j, q.k, q.w]
    }

    /// Builds from a nalgebra isometry.
    pub fn from_isometry(iso: &Isometry3<f32>) -> Pose {
        let m = iso.rotation.to_rotation_matrix().into_inner();
        let t = iso.translation.vector;
        let mut rot = [[0.0f32; 3]; 3];
        for (i, row) in rot.iter_mut().enumerate() {
            for (j, v) in row.iter_mut().enumerate() {
                *v = m[(i, j)];
            }
        }
        Pose {
            rot,
            trans: [t.x, t.y, t.z],
        }
    }
}

/// A rotation from a unit quaternion `(x, y, z, w)` (normalised here), as a row-major matrix.
pub fn rot_from_quat_xyzw(q: [f64; 4]) -> [[f32; 3]; 3] {
    let uq = UnitQuaternion::from_quaternion(nalgebra::Quaternion::new(q[3], q[0], q[1], q[2]));
    let m = uq.to_rotation_matrix().into_inner();
    let mut r = [[0.0f32; 3]; 3];
    for (i, row) in r.iter_mut().enumerate() {
        for (j, v) in row.iter_mut().enumerate() {
            *v = m[(i, j)] as f32;
        }
    }
    r
}

/// A rotation from roll-pitch-yaw (URDF convention `Rz Ry Rx`), as a row-major matrix.
pub fn rot_from_rpy(rpy: [f64; 3]) -> [[f32; 3]; 3] {
    Pose::from_xyz_rpy([0.0; 3], rpy).rot
}

/// `a − b`.
#[inline]
pub fn sub(a: Vec3, b: Vec3) -> Vec3 {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

/// `a + b`.
#[inline]
pub fn add(a: Vec3, b: Vec3) -> Vec3 {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2]]
}

/// `s · a`.
#[inline]
pub fn scale(a: Vec3, s: f32) -> Vec3 {
    [a[0] * s, a[1] * s, a[2] * s]
}

/// Dot product.
#[inline]
pub fn dot(a: Vec3, b: Vec3) -> f32 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

/// Cross product `a × b`.
#[inline]
pub fn cross(a: Vec3, b: Vec3) -> Vec3 {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

/// Euclidean norm.
#[inline]
pub fn norm(a: Vec3) -> f32 {
    dot(a, a).sqrt()
}

/// Normalises a vector given in `f64` (returns `None` for a zero vector).
pub fn normalize_f64(v: [f64; 3]) -> Option<Vec3> {
    let n = Vector3::new(v[0], v[1], v[2]);
    let len = n.norm();
    if len.is_nan() || len <= 1e-12 || !len.is_finite() {
        return None;
    }
    Some([
        (v[0] / len) as f32,
        (v[1] / len) as f32,
        (v[2] / len) as f32,
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compose_and_invert_round_trip() {
        let a = Pose::from_xyz_rpy([0.1, -0.2, 0.3], [0.4, -0.5, 0.6]);
        let b = Pose::from_axis_angle([0.0, 0.6, 0.8], 1.1);
        let c = a.mul(&b);
        let p = [0.3, 0.2, -0.1];
        let q1 = c.transform_point(p);
        let q2 = a.transform_point(b.transform_point(p));
        for k in 0..3 {
            assert!((q1[k] - q2[k]).abs() < 1e-6);
        }
        let back = c.inverse_transform_point(q1);
        for k in 0..3 {
            assert!((back[k] - p[k]).abs() < 1e-6);
        }
    }

    #[test]
    fn isometry_round_trip() {
        let a = Pose::from_xyz_rpy([0.1, -0.2, 0.3], [0.4, -0.5, 0.6]);
        let b = Pose::from_isometry(&a.to_isometry());
        for i in 0..3 {
            for j in 0..3 {
                assert!((a.rot[i][j] - b.rot[i][j]).abs() < 1e-6);
            }
        }
    }
}
