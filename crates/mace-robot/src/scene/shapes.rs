//! Obstacles beyond boxes: spheres, capsules, cylinders, triangle meshes (a shelf, a bin: their
//! surface, or with `convex` their hull) and point clouds (what a depth camera sees: every point
//! a sphere). All in the robot base frame, metres.

use std::sync::Arc;

use crate::math::{add, dot, norm, scale, sub, Pose, Vec3};

/// One obstacle of a [`super::Scene`] other than a box.
#[derive(Debug, Clone, PartialEq)]
pub enum SceneShape {
    /// A ball.
    Sphere {
        /// Centre.
        center: Vec3,
        /// Radius.
        radius: f32,
    },
    /// A capsule: the points within `radius` of a segment of `length` along the local z axis,
    /// centred at the pose's origin.
    Capsule {
        /// Centre and orientation (local z = axis).
        pose: Pose,
        /// Radius.
        radius: f32,
        /// Length of the segment (the cylinder part), without the caps.
        length: f32,
    },
    /// A solid cylinder of `length` along the local z axis, centred at the pose's origin.
    Cylinder {
        /// Centre and orientation (local z = axis).
        pose: Pose,
        /// Radius.
        radius: f32,
        /// Length along the axis.
        length: f32,
    },
    /// A triangle mesh: its surface (a non-convex shelf collides only where a link touches a
    /// triangle), or with `convex` the solid convex hull of its vertices.
    Mesh {
        /// Where the mesh's frame is.
        pose: Pose,
        /// The triangles, mesh frame, already scaled.
        mesh: Arc<TriangleMesh>,
        /// Collide as the convex hull of the vertices instead of the surface.
        convex: bool,
        /// Grown by this much on every side, metres (0 as read; see [`SceneShape::inflated`]).
        margin: f32,
        /// The file it came from (for messages and pictures).
        file: String,
    },
    /// Spheres of one radius at the points of a cloud (world frame).
    Points {
        /// The points.
        points: Arc<Vec<Vec3>>,
        /// The radius of every sphere.
        radius: f32,
        /// The file it came from.
        file: String,
    },
}

/// Triangles of a mesh obstacle (metres, the mesh's frame).
#[derive(Debug, Clone, PartialEq)]
pub struct TriangleMesh {
    /// Corners of every triangle.
    pub triangles: Vec<[Vec3; 3]>,
}

impl TriangleMesh {
    /// Every corner (repeated where triangles share one).
    pub fn vertices(&self) -> impl Iterator<Item = Vec3> + '_ {
        self.triangles.iter().flatten().copied()
    }
}

impl SceneShape {
    /// A short name of the kind (`sphere`, `capsule`, `cylinder`, `mesh`, `points`).
    pub fn kind(&self) -> &'static str {
        match self {
            SceneShape::Sphere { .. } => "sphere",
            SceneShape::Capsule { .. } => "capsule",
            SceneShape::Cylinder { .. } => "cylinder",
            SceneShape::Mesh { .. } => "mesh",
            SceneShape::Points { .. } => "points",
        }
    }

    /// The shape grown by `margin` metres on every side (shrunk for a negative margin, sizes
    /// kept ≥ 0): radii grow; a cylinder also grows in length (a square-cornered superset, as
    /// boxes); a mesh collides as its surface or hull grown by its accumulated margin.
    pub fn inflated(&self, margin: f32) -> SceneShape {
        let grow = |r: f32| (r + margin).max(0.0);
        match self.clone() {
            SceneShape::Sphere { center, radius } => SceneShape::Sphere {
                center,
                radius: grow(radius),
            },
            SceneShape::Capsule {
                pose,
                radius,
                length,
            } => SceneShape::Capsule {
                pose,
                radius: grow(radius),
                length,
            },
            SceneShape::Cylinder {
                pose,
                radius,
                length,
            } => SceneShape::Cylinder {
                pose,
                radius: grow(radius),
                length: (length + 2.0 * margin).max(0.0),
            },
            SceneShape::Points {
                points,
                radius,
                file,
            } => SceneShape::Points {
                points,
                radius: grow(radius),
                file,
            },
            SceneShape::Mesh {
                pose,
                mesh,
                convex,
                margin: m,
                file,
            } => SceneShape::Mesh {
                pose,
                mesh,
                convex,
                margin: (m + margin).max(0.0),
                file,
            },
        }
    }

    /// Signed distance from `p` to the obstacle (negative inside), metres; for a non-convex
    /// mesh the unsigned distance to its surface.
    pub fn signed_distance_point(&self, p: Vec3) -> f32 {
        match self {
            SceneShape::Sphere { center, radius } => norm(sub(p, *center)) - radius,
            SceneShape::Capsule {
                pose,
                radius,
                length,
            } => {
                let l = pose.inverse_transform_point(p);
                let z = l[2].clamp(-0.5 * length, 0.5 * length);
                norm(sub(l, [0.0, 0.0, z])) - radius
            }
            SceneShape::Cylinder {
                pose,
                radius,
                length,
            } => {
                let l = pose.inverse_transform_point(p);
                let dr = (l[0] * l[0] + l[1] * l[1]).sqrt() - radius;
                let dz = l[2].abs() - 0.5 * length;
                let outside = (dr.max(0.0).powi(2) + dz.max(0.0).powi(2)).sqrt();
                outside + dr.max(dz).min(0.0)
            }
            SceneShape::Mesh {
                pose, mesh, margin, ..
            } => {
                let l = pose.inverse_transform_point(p);
                mesh.triangles
                    .iter()
                    .map(|t| point_triangle_distance(l, t))
                    .fold(f32::INFINITY, f32::min)
                    - margin
            }
            SceneShape::Points { points, radius, .. } => {
                points
                    .iter()
                    .map(|q| norm(sub(p, *q)))
                    .fold(f32::INFINITY, f32::min)
                    - radius
            }
        }
    }
}

/// Distance from `p` to the triangle `t` (closest point by regions, Ericson's method).
pub(crate) fn point_triangle_distance(p: Vec3, t: &[Vec3; 3]) -> f32 {
    let [a, b, c] = *t;
    let (ab, ac, ap) = (sub(b, a), sub(c, a), sub(p, a));
    let (d1, d2) = (dot(ab, ap), dot(ac, ap));
    if d1 <= 0.0 && d2 <= 0.0 {
        return norm(ap);
    }
    let bp = sub(p, b);
    let (d3, d4) = (dot(ab, bp), dot(ac, bp));
    if d3 >= 0.0 && d4 <= d3 {
        return norm(bp);
    }
    let vc = d1 * d4 - d3 * d2;
    if vc <= 0.0 && d1 >= 0.0 && d3 <= 0.0 {
        let v = d1 / (d1 - d3);
        return norm(sub(p, add(a, scale(ab, v))));
    }
    let cp = sub(p, c);
    let (d5, d6) = (dot(ab, cp), dot(ac, cp));
    if d6 >= 0.0 && d5 <= d6 {
        return norm(cp);
    }
    let vb = d5 * d2 - d1 * d6;
    if vb <= 0.0 && d2 >= 0.0 && d6 <= 0.0 {
        let w = d2 / (d2 - d6);
        return norm(sub(p, add(a, scale(ac, w))));
    }
    let va = d3 * d6 - d5 * d4;
    if va <= 0.0 && (d4 - d3) >= 0.0 && (d5 - d6) >= 0.0 {
        let w = (d4 - d3) / ((d4 - d3) + (d5 - d6));
        return norm(sub(p, add(b, scale(sub(c, b), w))));
    }
    let denom = 1.0 / (va + vb + vc);
    let (v, w) = (vb * denom, vc * denom);
    norm(sub(p, add(a, add(scale(ab, v), scale(ac, w)))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn point_distances_match_closed_forms() {
        let at = |p: Vec3| Pose::from_translation(p);
        let s = SceneShape::Sphere {
            center: [1.0, 0.0, 0.0],
            radius: 0.5,
        };
        assert!((s.signed_distance_point([0.0; 3]) - 0.5).abs() < 1e-6);
        let c = SceneShape::Capsule {
            pose: at([0.0; 3]),
            radius: 0.1,
            length: 1.0,
        };
        assert!((c.signed_distance_point([0.0, 0.0, 0.9]) - 0.3).abs() < 1e-6);
        assert!((c.signed_distance_point([0.3, 0.0, 0.2]) - 0.2).abs() < 1e-6);
        let y = SceneShape::Cylinder {
            pose: at([0.0; 3]),
            radius: 0.1,
            length: 1.0,
        };
        assert!((y.signed_distance_point([0.0, 0.0, 0.0]) + 0.1).abs() < 1e-6);
        assert!((y.signed_distance_point([0.4, 0.0, 0.9]) - 0.5).abs() < 1e-6);
        let t = [[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]];
        assert!((point_triangle_distance([0.2, 0.2, 0.5], &t) - 0.5).abs() < 1e-6);
        assert!((point_triangle_distance([-1.0, 0.0, 0.0], &t) - 1.0).abs() < 1e-6);
        assert!((point_triangle_distance([1.0, 1.0, 0.0], &t) - 0.5f32.sqrt()).abs() < 1e-6);
        assert!(c.inflated(0.02).signed_distance_point([0.3, 0.0, 0.2]) < 0.181);
    }
}
