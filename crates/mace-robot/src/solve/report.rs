//! What a solve returns.

use crate::collision::{CollisionFlags, Distances};
use crate::math::Vec3;

use super::Method;

/// How a solve ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SolveStatus {
    /// A collision-free answer (respecting the clearance) within the method's tolerance.
    Solved,
    /// Nothing acceptable within the budget; `q` is the best effort (possibly colliding).
    NotFound,
}

/// The answer of one solve.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SolveReport {
    /// The method used.
    pub method: Method,
    /// How the solve ended.
    pub status: SolveStatus,
    /// The configuration, rad (length = dof; the best effort when not solved).
    pub q: Vec<f32>,
    /// Its TCP position, metres, base frame.
    pub tcp: Vec3,
    /// Its TCP orientation, unit quaternion `(x, y, z, w)`, base frame.
    #[serde(default)]
    pub tcp_quaternion: [f32; 4],
    /// Its TCP distance to the target, metres.
    pub error: f32,
    /// Its tool rotation error, degrees (pose targets only; with a free axis, the angle of
    /// that axis from where it should point).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotation_error_deg: Option<f32>,
    /// Whether `q` is free of self, obstacle and ground collision in the capsule model.
    pub collision_free: bool,
    /// Which kinds of contact `q` has.
    pub flags: CollisionFlags,
    /// Signed minimum distances of `q` (self, obstacles, ground), metres.
    pub distances: Distances,
    /// Whether `q` keeps the configured clearance (always true with clearance 0 and no contact).
    pub clearance_ok: bool,
    /// Wall-clock time from receiving the problem to the answer, seconds (model already loaded).
    pub seconds: f64,
    /// Prior samples drawn.
    pub samples: usize,
    /// Numeric IK iterations (all attempts).
    pub iterations: usize,
    /// Numeric IK attempts (seeded refinements plus random restarts).
    pub attempts: usize,
}
