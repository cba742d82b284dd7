//! Obstacles other than boxes, as convex pieces: a sphere is a ball, a capsule a segment grown
//! by its radius, a cylinder a cylinder, a convex mesh its hull, a non-convex mesh its
//! triangles (only its surface collides), a point cloud one ball per point. Each piece carries a
//! bounding sphere; with many pieces (a cloud, a mesh), a bounding-volume hierarchy (parry's)
//! finds the few near a link, so a scene's cost grows with what lies near the arm, not with its
//! size.

use std::ops::ControlFlow;
use std::sync::Arc;

use parry3d_f64::bounding_volume::Aabb;
use parry3d_f64::math::Vector as PVec;
use parry3d_f64::partitioning::{Bvh, BvhBuildStrategy};

use crate::geometry::{segment_segment_dist2, Capsule};
use crate::hull::{ConvexHull, Placed, PlacedHull, MESH_MARGIN};
use crate::math::{add, dot, norm, scale, sub, Pose, Vec3};
use crate::scene::{point_triangle_distance, SceneShape};

/// Pieces beyond which a hierarchy pays off over a plain scan.
const BVH_FROM: usize = 24;

/// A convex piece of an obstacle, world frame.
#[derive(Debug, Clone)]
pub(crate) enum PieceShape {
    /// A ball (its radius is the piece's margin).
    Ball(Vec3),
    /// A segment (a capsule's axis; its radius is the margin).
    Segment(Vec3, Vec3),
    /// A cylinder along the pose's local z axis.
    Cylinder { pose: Pose, radius: f32, half: f32 },
    /// A convex hull (its margin is inside the hull).
    Hull { pose: Pose, hull: Arc<ConvexHull> },
    /// A triangle of a mesh's surface.
    Triangle([Vec3; 3]),
}

/// One piece with its margin (the solid is the piece grown by it) and bounding sphere.
#[derive(Debug, Clone)]
pub(crate) struct Piece {
    pub(crate) shape: PieceShape,
    pub(crate) margin: f32,
    pub(crate) center: Vec3,
    pub(crate) radius: f32,
}

/// The pieces of a scene's non-box obstacles.
#[derive(Debug, Clone, Default)]
pub(crate) struct Pieces {
    pieces: Vec<Piece>,
    bvh: Option<Arc<Bvh>>,
    /// The box around every piece's bounding sphere (empty when there are none).
    lo: Vec3,
    hi: Vec3,
}

/// Squared distance from `p` to the box `lo`..`hi` (0 inside).
fn box_distance2(lo: Vec3, hi: Vec3, p: Vec3) -> f32 {
    (0..3)
        .map(|k| {
            let e = (lo[k] - p[k]).max(p[k] - hi[k]).max(0.0);
            e * e
        })
        .sum()
}

/// The axis-aligned box around `caps` (world), their radii included.
pub(crate) fn capsules_box(caps: &[Capsule]) -> (Vec3, Vec3) {
    let mut lo = [f32::INFINITY; 3];
    let mut hi = [f32::NEG_INFINITY; 3];
    for c in caps {
        for k in 0..3 {
            lo[k] = lo[k].min(c.a[k].min(c.b[k]) - c.radius);
            hi[k] = hi[k].max(c.a[k].max(c.b[k]) + c.radius);
        }
    }
    (lo, hi)
}

fn bounding(points: &[Vec3]) -> (Vec3, f32) {
    let mut lo = [f32::INFINITY; 3];
    let mut hi = [f32::NEG_INFINITY; 3];
    for p in points {
        for k in 0..3 {
            lo[k] = lo[k].min(p[k]);
            hi[k] = hi[k].max(p[k]);
        }
    }
    let c = scale(add(lo, hi), 0.5);
    let r = points.iter().map(|p| norm(sub(*p, c))).fold(0.0, f32::max);
    (c, r * (1.0 + 1e-6) + 1e-7)
}

impl Piece {
    fn new(shape: PieceShape, margin: f32) -> Piece {
        let (center, r) = match &shape {
            PieceShape::Ball(c) => (*c, 0.0),
            PieceShape::Segment(a, b) => bounding(&[*a, *b]),
            PieceShape::Cylinder { pose, radius, half } => (
                pose.trans,
                (radius * radius + half * half).sqrt() * (1.0 + 1e-6),
            ),
            PieceShape::Hull { pose, hull } => {
                let v: Vec<Vec3> = hull.vertices().map(|p| pose.transform_point(p)).collect();
                let (c, r) = bounding(&v);
                (c, r + hull.margin())
            }
            PieceShape::Triangle(t) => bounding(t),
        };
        Piece {
            shape,
            margin,
            center,
            radius: r + margin,
        }
    }

    /// Centre and radius when the piece is a ball.
    pub(crate) fn ball(&self) -> Option<(Vec3, f32)> {
        match self.shape {
            PieceShape::Ball(c) => Some((c, self.margin)),
            _ => None,
        }
    }

    /// The piece as a solid for GJK.
    pub(crate) fn placed(&self) -> Placed<'_> {
        match &self.shape {
            PieceShape::Ball(c) => Placed::Ball(*c, self.margin),
            PieceShape::Segment(a, b) => Placed::Capsule(Capsule {
                a: *a,
                b: *b,
                radius: self.margin,
            }),
            PieceShape::Cylinder { pose, radius, half } => {
                Placed::Cylinder(pose, *radius, *half, self.margin)
            }
            PieceShape::Hull { pose, hull } => Placed::Hull(PlacedHull::new(hull, pose)),
            PieceShape::Triangle(t) => Placed::Triangle(t, self.margin),
        }
    }

    /// The exact signed distance from the world capsule `c` to this piece where a closed form
    /// serves (balls, segments, triangles); `None` for the rest (GJK's job). GJK's penetration
    /// depth (EPA) is unreliable between such flat or point-like solids, so they never reach it.
    pub(crate) fn capsule_distance(&self, c: &Capsule) -> Option<f32> {
        match &self.shape {
            PieceShape::Ball(_) | PieceShape::Segment(..) => Some(self.capsule_bound(c)),
            PieceShape::Triangle(t) => {
                Some(segment_triangle_distance(c.a, c.b, t) - c.radius - self.margin)
            }
            _ => None,
        }
    }

    /// A lower bound of the signed distance from the world capsule `c` to this piece: exact for
    /// balls, segments and triangles (where the bounding sphere does not already clear it),
    /// through the bounding sphere for the rest.
    pub(crate) fn capsule_bound(&self, c: &Capsule) -> f32 {
        match &self.shape {
            PieceShape::Ball(p) => segment_point_distance(c.a, c.b, *p) - c.radius - self.margin,
            PieceShape::Segment(a, b) => {
                segment_segment_dist2(c.a, c.b, *a, *b).sqrt() - c.radius - self.margin
            }
            PieceShape::Triangle(t) => {
                let sphere = segment_point_distance(c.a, c.b, self.center) - c.radius - self.radius;
                if sphere > 0.0 {
                    return sphere;
                }
                // Both ends on one side of the triangle's plane: the plane distance bounds it.
                let n = crate::math::cross(sub(t[1], t[0]), sub(t[2], t[0]));
                let len = norm(n);
                if len > 0.0 {
                    let (dp, dq) = (dot(n, sub(c.a, t[0])), dot(n, sub(c.b, t[0])));
                    let plane = if dp * dq > 0.0 {
                        dp.abs().min(dq.abs()) / len - c.radius - self.margin
                    } else {
                        0.0
                    };
                    if plane > 0.0 {
                        return plane;
                    }
                }
                segment_triangle_distance(c.a, c.b, t) - c.radius - self.margin
            }
            _ => segment_point_distance(c.a, c.b, self.center) - c.radius - self.radius,
        }
    }
}

/// Distance between the segment `pq` and the triangle `t` (0 where they cross).
fn segment_triangle_distance(p: Vec3, q: Vec3, t: &[Vec3; 3]) -> f32 {
    let [a, b, c] = *t;
    // Crossing: the segment meets the triangle's plane inside the triangle.
    let n = crate::math::cross(sub(b, a), sub(c, a));
    let (dp, dq) = (dot(n, sub(p, a)), dot(n, sub(q, a)));
    if dp * dq <= 0.0 && (dp - dq).abs() > 0.0 {
        let x = add(p, scale(sub(q, p), dp / (dp - dq)));
        let inside = |u: Vec3, v: Vec3| dot(n, crate::math::cross(sub(v, u), sub(x, u))) >= 0.0;
        if inside(a, b) && inside(b, c) && inside(c, a) {
            return 0.0;
        }
    }
    let edges = [(a, b), (b, c), (c, a)]
        .map(|(u, v)| segment_segment_dist2(p, q, u, v).sqrt())
        .into_iter()
        .fold(f32::INFINITY, f32::min);
    edges
        .min(point_triangle_distance(p, t))
        .min(point_triangle_distance(q, t))
}

/// Distance from `p` to the segment `ab`.
fn segment_point_distance(a: Vec3, b: Vec3, p: Vec3) -> f32 {
    let ab = sub(b, a);
    let l2 = dot(ab, ab);
    let t = if l2 > 0.0 {
        (dot(sub(p, a), ab) / l2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    norm(sub(p, add(a, scale(ab, t))))
}

impl Pieces {
    /// The pieces of `shapes`.
    pub(crate) fn new(shapes: &[SceneShape]) -> Pieces {
        let mut pieces = Vec::new();
        for s in shapes {
            match s {
                SceneShape::Sphere { center, radius } => {
                    pieces.push(Piece::new(PieceShape::Ball(*center), *radius))
                }
                SceneShape::Capsule {
                    pose,
                    radius,
                    length,
                } => {
                    let h = 0.5 * length;
                    let (a, b) = (
                        pose.transform_point([0.0, 0.0, -h]),
                        pose.transform_point([0.0, 0.0, h]),
                    );
                    pieces.push(Piece::new(PieceShape::Segment(a, b), *radius));
                }
                SceneShape::Cylinder {
                    pose,
                    radius,
                    length,
                } => pieces.push(Piece::new(
                    PieceShape::Cylinder {
                        pose: *pose,
                        radius: *radius,
                        half: 0.5 * length,
                    },
                    0.0,
                )),
                SceneShape::Mesh {
                    pose,
                    mesh,
                    convex,
                    margin,
                    ..
                } => {
                    let hull = convex
                        .then(|| {
                            // Grown by 1 mm like a link mesh: what a mesh-based engine collides.
                            let v: Vec<Vec3> =
                                mesh.vertices().map(|p| pose.transform_point(p)).collect();
                            ConvexHull::new(&v, MESH_MARGIN + *margin).ok()
                        })
                        .flatten();
                    match hull {
                        Some(hull) => pieces.push(Piece::new(
                            PieceShape::Hull {
                                pose: Pose::IDENTITY,
                                hull: Arc::new(hull),
                            },
                            0.0,
                        )),
                        // A surface (or a degenerate, flat "convex" mesh): its triangles.
                        None => pieces.extend(mesh.triangles.iter().map(|t| {
                            Piece::new(
                                PieceShape::Triangle(t.map(|v| pose.transform_point(v))),
                                *margin,
                            )
                        })),
                    }
                }
                SceneShape::Points { points, radius, .. } => pieces.extend(
                    points
                        .iter()
                        .map(|p| Piece::new(PieceShape::Ball(*p), *radius)),
                ),
            }
        }
        let bvh = (pieces.len() >= BVH_FROM).then(|| {
            let boxes: Vec<Aabb> = pieces
                .iter()
                .map(|p| {
                    let c = PVec::new(p.center[0].into(), p.center[1].into(), p.center[2].into());
                    let r = PVec::splat(p.radius.into());
                    Aabb::new(c - r, c + r)
                })
                .collect();
            Arc::new(Bvh::from_leaves(BvhBuildStrategy::Binned, &boxes))
        });
        let mut lo = [f32::INFINITY; 3];
        let mut hi = [f32::NEG_INFINITY; 3];
        for p in &pieces {
            for k in 0..3 {
                lo[k] = lo[k].min(p.center[k] - p.radius);
                hi[k] = hi[k].max(p.center[k] + p.radius);
            }
        }
        Pieces {
            pieces,
            bvh,
            lo,
            hi,
        }
    }

    /// Whether the sphere (`center`, `radius`) meets the box around all pieces.
    pub(crate) fn meets_sphere(&self, center: Vec3, radius: f32) -> bool {
        !self.pieces.is_empty() && box_distance2(self.lo, self.hi, center) < radius * radius
    }

    /// Calls `f` with every piece whose bounding sphere meets the box `lo`..`hi`, until `f`
    /// breaks.
    pub(crate) fn near_box(&self, lo: Vec3, hi: Vec3, mut f: impl FnMut(usize) -> ControlFlow<()>) {
        let meets = |p: &Piece| box_distance2(lo, hi, p.center) < p.radius * p.radius;
        match &self.bvh {
            None => {
                for (i, p) in self.pieces.iter().enumerate() {
                    if meets(p) && f(i).is_break() {
                        return;
                    }
                }
            }
            Some(bvh) => {
                let v = |p: Vec3| PVec::new(p[0].into(), p[1].into(), p[2].into());
                for i in bvh.intersect_aabb(&Aabb::new(v(lo), v(hi))) {
                    let i = i as usize;
                    if meets(&self.pieces[i]) && f(i).is_break() {
                        return;
                    }
                }
            }
        }
    }

    /// Whether there are no pieces.
    pub(crate) fn is_empty(&self) -> bool {
        self.pieces.is_empty()
    }

    /// Piece `i`.
    pub(crate) fn get(&self, i: usize) -> &Piece {
        &self.pieces[i]
    }

    /// Calls `f` with every piece whose bounding sphere comes within `reach` of the sphere
    /// (`center`, `radius`), until `f` breaks.
    pub(crate) fn near(
        &self,
        center: Vec3,
        radius: f32,
        reach: f32,
        mut f: impl FnMut(usize) -> ControlFlow<()>,
    ) {
        let r = radius + reach;
        let meets = |p: &Piece| {
            let d = sub(p.center, center);
            let s = r + p.radius;
            dot(d, d) < s * s
        };
        match &self.bvh {
            None => {
                for (i, p) in self.pieces.iter().enumerate() {
                    if meets(p) && f(i).is_break() {
                        return;
                    }
                }
            }
            Some(bvh) => {
                let c = PVec::new(center[0].into(), center[1].into(), center[2].into());
                let query = Aabb::new(c - PVec::splat(r.into()), c + PVec::splat(r.into()));
                for i in bvh.intersect_aabb(&query) {
                    let i = i as usize;
                    if meets(&self.pieces[i]) && f(i).is_break() {
                        return;
                    }
                }
            }
        }
    }

    /// Indices of the pieces ordered by the distance of their bounding spheres from `center`
    /// (nearest first): for the exact minimum over every piece.
    pub(crate) fn by_distance(&self, center: Vec3) -> Vec<(f32, usize)> {
        let mut v: Vec<(f32, usize)> = self
            .pieces
            .iter()
            .enumerate()
            .map(|(i, p)| (norm(sub(p.center, center)) - p.radius, i))
            .collect();
        v.sort_by(|a, b| a.0.total_cmp(&b.0));
        v
    }
}
