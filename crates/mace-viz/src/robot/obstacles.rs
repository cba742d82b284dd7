//! The scene's obstacles made ready for ray casting, once per picture: boxes as oriented boxes;
//! spheres, capsules and cylinders cast exactly (world-frame capsule segments); meshes as their
//! triangles in the world frame under a [`Bvh`] (a convex mesh is drawn as its triangles too,
//! i.e. as the surface it is the hull of when it is closed); point clouds as one ball per point
//! under a [`Bvh`] of the balls' boxes. Shapes are drawn without their collision margins.

use mace_robot::{Capsule, Obb, Pose, Scene, SceneShape};
use rayon::prelude::*;

use crate::bvh::{Aabb, Bvh};
use crate::raycast::{
    ray_capsule, ray_cylinder, ray_hits_any, ray_sphere, ray_sphere_t, ray_triangle_t,
    triangle_normal, Hit,
};

use super::V3;

/// A mesh obstacle: its triangles, world frame.
struct Mesh {
    triangles: Vec<[V3; 3]>,
    bvh: Bvh,
}

/// A point-cloud obstacle: a ball of `radius` at every point.
struct Cloud {
    points: Vec<V3>,
    radius: f32,
    bvh: Bvh,
}

/// One obstacle other than a box, ready to cast at.
enum Solid {
    Sphere {
        centre: V3,
        radius: f32,
    },
    Capsule(Capsule),
    Cylinder {
        pose: Pose,
        radius: f32,
        length: f32,
    },
    Mesh(Mesh),
    Cloud(Cloud),
}

/// Every obstacle of a scene.
pub(super) struct Obstacles {
    /// The boxes (drawn with their edges outlined).
    pub(super) boxes: Vec<Obb>,
    /// The other shapes, in the scene's order, with their bounds (a cheap first test).
    solids: Vec<(Aabb, Solid)>,
}

impl Obstacles {
    pub(super) fn new(scene: &Scene) -> Obstacles {
        let solids = scene
            .shapes
            .iter()
            .map(|s| {
                let solid = Solid::new(s);
                (solid.bounds(), solid)
            })
            .collect();
        Obstacles {
            boxes: scene.obbs(),
            solids,
        }
    }

    /// The nearest hit before `t_max` of the ray with a shape other than a box, and which
    /// shape it is (its index in the scene's `shapes`).
    pub(super) fn hit(&self, ro: &V3, rd: &V3, t_max: f32) -> Option<(Hit, usize)> {
        let mut best: Option<(Hit, usize)> = None;
        let mut limit = t_max;
        let inv = rd.map(|d| 1.0 / d);
        for (k, (bounds, s)) in self.solids.iter().enumerate() {
            if bounds.entry(ro, &inv, limit).is_none() {
                continue;
            }
            if let Some(h) = s.hit(ro, rd, limit) {
                if h.t < limit {
                    limit = h.t;
                    best = Some((h, k));
                }
            }
        }
        best
    }

    /// Whether the ray meets any obstacle, box or not (shadows).
    pub(super) fn occludes(&self, ro: &V3, rd: &V3) -> bool {
        let inv = rd.map(|d| 1.0 / d);
        ray_hits_any(ro, rd, &self.boxes)
            || self.solids.iter().any(|(bounds, s)| {
                bounds.entry(ro, &inv, f32::INFINITY).is_some() && s.occludes(ro, rd)
            })
    }
}

impl Solid {
    fn new(shape: &SceneShape) -> Solid {
        match shape {
            SceneShape::Sphere { center, radius } => Solid::Sphere {
                centre: V3::from(*center),
                radius: *radius,
            },
            SceneShape::Capsule {
                pose,
                radius,
                length,
            } => Solid::Capsule(Capsule {
                a: pose.transform_point([0.0, 0.0, -0.5 * length]),
                b: pose.transform_point([0.0, 0.0, 0.5 * length]),
                radius: *radius,
            }),
            SceneShape::Cylinder {
                pose,
                radius,
                length,
            } => Solid::Cylinder {
                pose: *pose,
                radius: *radius,
                length: *length,
            },
            SceneShape::Mesh { pose, mesh, .. } => {
                let triangles: Vec<[V3; 3]> = mesh
                    .triangles
                    .iter()
                    .map(|t| t.map(|p| V3::from(pose.transform_point(p))))
                    .collect();
                let boxes: Vec<Aabb> = triangles.iter().map(|t| Aabb::of(t)).collect();
                Solid::Mesh(Mesh {
                    bvh: Bvh::new(&boxes),
                    triangles,
                })
            }
            SceneShape::Points { points, radius, .. } => {
                let points: Vec<V3> = points.par_iter().map(|&p| V3::from(p)).collect();
                let boxes: Vec<Aabb> = points.par_iter().map(|p| Aabb::ball(p, *radius)).collect();
                Solid::Cloud(Cloud {
                    bvh: Bvh::new(&boxes),
                    points,
                    radius: *radius,
                })
            }
        }
    }

    /// A box holding it.
    fn bounds(&self) -> Aabb {
        match self {
            Solid::Sphere { centre, radius } => Aabb::ball(centre, *radius),
            Solid::Capsule(c) => {
                Aabb::ball(&V3::from(c.a), c.radius).join(&Aabb::ball(&V3::from(c.b), c.radius))
            }
            Solid::Cylinder {
                pose,
                radius,
                length,
            } => {
                // About the two end discs.
                let end =
                    |z: f32| Aabb::ball(&V3::from(pose.transform_point([0.0, 0.0, z])), *radius);
                end(-0.5 * length).join(&end(0.5 * length))
            }
            Solid::Mesh(m) => m
                .triangles
                .iter()
                .fold(Aabb::empty(), |b, t| b.join(&Aabb::of(t))),
            Solid::Cloud(c) => c
                .points
                .iter()
                .fold(Aabb::empty(), |b, p| b.join(&Aabb::ball(p, c.radius))),
        }
    }

    /// The nearest hit before `t_max`, if any (possibly one beyond it for the simple shapes).
    fn hit(&self, ro: &V3, rd: &V3, t_max: f32) -> Option<Hit> {
        match self {
            Solid::Sphere { centre, radius } => ray_sphere(ro, rd, centre, *radius),
            Solid::Capsule(c) => ray_capsule(ro, rd, c),
            Solid::Cylinder {
                pose,
                radius,
                length,
            } => ray_cylinder(ro, rd, pose, *radius, *length),
            Solid::Mesh(m) => {
                let (i, t) = m.bvh.cast(ro, rd, t_max, |i, _| {
                    ray_triangle_t(ro, rd, &m.triangles[i as usize])
                })?;
                Some(Hit {
                    t,
                    normal: triangle_normal(rd, &m.triangles[i as usize]),
                })
            }
            Solid::Cloud(c) => {
                let (i, t) = c.bvh.cast(ro, rd, t_max, |i, _| {
                    ray_sphere_t(ro, rd, &c.points[i as usize], c.radius)
                })?;
                let normal = (ro + rd * t - c.points[i as usize]) / c.radius.max(1e-12);
                Some(Hit { t, normal })
            }
        }
    }

    /// Whether the ray meets it at all.
    fn occludes(&self, ro: &V3, rd: &V3) -> bool {
        match self {
            Solid::Mesh(m) => m.bvh.any(ro, rd, f32::INFINITY, |i| {
                ray_triangle_t(ro, rd, &m.triangles[i as usize]).is_some()
            }),
            Solid::Cloud(c) => c.bvh.any(ro, rd, f32::INFINITY, |i| {
                ray_sphere_t(ro, rd, &c.points[i as usize], c.radius).is_some()
            }),
            _ => self.hit(ro, rd, f32::INFINITY).is_some(),
        }
    }
}
