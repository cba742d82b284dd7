//! Convex hulls of link meshes: the collision geometry of mesh-based engines, exactly.
//!
//! A mesh-based engine such as Bullet (the reference of `tests/data`) collides each link as the
//! convex hull of its collision mesh, grown by a small margin (Bullet's URDF loader: 1 mm).
//! [`ConvexHull`] holds that solid in the link frame, with a few [`Capsule`]s whose union covers
//! it: the collision model tests the capsules first (cheap) and runs GJK/EPA on the hull
//! (parry3d) only where a capsule is not clear, so its answers are the hull's, at close to
//! capsule speed.
//! The exact stage runs in `f64` (`parry3d-f64`): in `f32`, parry's GJK returned 7.1 mm for a
//! link2–hand pair 2.4 mm apart (a thin, nearly flat face against a corner). GJK spends its time
//! in support points, so our `Polytope` finds them by hill climbing on the hull's edge graph
//! (a few dozen dot products instead of one per vertex).
//!
//! All distances are signed, metres: positive = gap, negative = penetration depth.

use parry3d_f64::math::{Mat3, Pose as PPose, Rot3, Vector as PVec};
use parry3d_f64::query::details::contact_support_map_support_map;
use parry3d_f64::query::gjk::{self, CsoPoint, GJKResult, VoronoiSimplex};
use parry3d_f64::shape::{Cuboid, Cylinder, Segment, SupportMap, Triangle};
use parry3d_f64::transformation::try_convex_hull;

mod cover;
mod polytope;

use crate::geometry::{Capsule, Obb};
use crate::math::{dot, Pose, Vec3};
use cover::{enclosing_capsule, is_flat, slab_cover};
use polytope::Polytope;

/// Margin grown around every mesh hull, metres: what Bullet's URDF loader gives a mesh
/// (`gUrdfDefaultCollisionMargin`), so that our hulls are the reference's solids.
pub const MESH_MARGIN: f32 = 0.001;

/// Distances beyond this are reported as this (metres): far outside any robot's workspace.
const FAR: f64 = 1.0e3;

/// A convex solid: the convex hull of a point set grown by `margin`, in a link's frame (metres).
#[derive(Debug, Clone, PartialEq)]
pub struct ConvexHull {
    poly: Polytope,
    margin: f32,
    bound: Capsule,
    cover: Vec<Capsule>,
    planes: Vec<FacePlane>,
}

/// The plane of one face of a [`ConvexHull`] (without the margin), in the hull's frame: the hull
/// is the set of points `x` with `normal · x ≤ offset` for every one of its face planes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FacePlane {
    /// Unit outward normal.
    pub normal: Vec3,
    /// Distance of the plane from the frame's origin along `normal` (signed), metres.
    pub offset: f32,
}

impl ConvexHull {
    /// The hull of `points` (link frame, metres) grown by `margin` metres.
    ///
    /// # Errors
    /// A message if the points are degenerate (fewer than four not in one plane) or `margin` is
    /// negative or not finite.
    pub fn new(points: &[Vec3], margin: f32) -> Result<ConvexHull, String> {
        if !(margin >= 0.0 && margin.is_finite()) {
            return Err(format!("margin must be finite and >= 0, got {margin}"));
        }
        let degenerate = || {
            format!(
                "no convex hull of {} points: they are degenerate (all in one plane, or fewer \
                 than four distinct)",
                points.len()
            )
        };
        if points.len() < 4 || is_flat(points) {
            return Err(degenerate());
        }
        let pts: Vec<PVec> = points.iter().map(|p| vec64(*p)).collect();
        let (hull_points, triangles) = try_convex_hull(&pts).map_err(|_| degenerate())?;
        let poly = Polytope::new(hull_points, &triangles);
        let vertices: Vec<Vec3> = poly.points.iter().map(|p| vec32(*p)).collect();
        let bound = enclosing_capsule(&vertices, margin);
        let cover = slab_cover(&poly, margin);
        let planes = face_planes(&poly.points, &triangles);
        Ok(ConvexHull {
            poly,
            margin,
            bound,
            cover,
            planes,
        })
    }

    /// The planes of the hull's faces (link frame, without the margin), computed once when the
    /// hull is built: one per face, coplanar triangles of the hull (within 1e-6 of its size)
    /// sharing one plane. The hull is where `normal · x ≤ offset` for all of them (up to the
    /// rounding of the vertices, micrometres), so a ray meets it between the last plane it
    /// enters and the first it leaves.
    pub fn face_planes(&self) -> &[FacePlane] {
        &self.planes
    }

    /// Whether the ball (`center` in the hull's frame, `radius`) certainly misses the grown hull:
    /// some face plane has the centre farther out than the radius and the margin (with 10 µm
    /// for the rounding of the planes). A cheap exact reject before GJK; `false` means "maybe".
    pub fn ball_clear(&self, center: Vec3, radius: f32) -> bool {
        let reach = radius + self.margin + 1e-5;
        self.planes
            .iter()
            .any(|p| dot(p.normal, center) - p.offset > reach)
    }

    /// The hull's vertices (link frame, metres), without the margin.
    pub fn vertices(&self) -> impl Iterator<Item = Vec3> + '_ {
        self.poly.points.iter().map(|p| vec32(*p))
    }

    /// The margin grown around the hull, metres.
    pub fn margin(&self) -> f32 {
        self.margin
    }

    /// One capsule that contains the grown hull (link frame).
    pub fn bounding_capsule(&self) -> &Capsule {
        &self.bound
    }

    /// Capsules whose union contains the grown hull, tighter than the one bounding capsule
    /// (link frame): the broad phase of every query.
    pub fn cover(&self) -> &[Capsule] {
        &self.cover
    }

    /// Lowest world `z` of the grown hull placed at `pose` (its signed distance to the ground
    /// plane `z = 0`), metres.
    pub fn min_z(&self, pose: &Pose) -> f32 {
        self.lowest_point(pose).1
    }

    /// The grown hull's lowest point when placed at `pose` (world), and its height: the support
    /// point along −z, whose direction in the hull's frame is minus the rotation's third row.
    pub(crate) fn lowest_point(&self, pose: &Pose) -> (Vec3, f32) {
        let down = pose.rot[2].map(|v| -f64::from(v));
        let i = self
            .poly
            .support_index(PVec::new(down[0], down[1], down[2]));
        let mut p = pose.transform_point(vec32(self.poly.points[i]));
        p[2] -= self.margin;
        (p, p[2])
    }
}

/// A link hull placed in the world.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PlacedHull<'a> {
    pub(crate) hull: &'a ConvexHull,
    pub(crate) pose: PPose,
}

impl<'a> PlacedHull<'a> {
    pub(crate) fn new(hull: &'a ConvexHull, pose: &Pose) -> PlacedHull<'a> {
        PlacedHull {
            hull,
            pose: to_parry(pose),
        }
    }

    /// Signed distance to a world box (the collision model takes [`witness`], which gives
    /// this distance with its points).
    #[cfg(test)]
    pub(crate) fn distance_to_box(&self, obb: &Obb) -> f32 {
        let (pose, cuboid) = parry_box(obb);
        signed_distance(&self.pose, &self.hull.poly, &pose, &cuboid) - self.hull.margin
    }

    /// Whether the grown hull overlaps a world box.
    pub(crate) fn hits_box(&self, obb: &Obb) -> bool {
        let (pose, cuboid) = parry_box(obb);
        closer_than(
            &self.pose,
            &self.hull.poly,
            &pose,
            &cuboid,
            self.hull.margin,
        )
    }

    /// Signed distance to another placed hull.
    pub(crate) fn distance_to_hull(&self, other: &PlacedHull<'_>) -> f32 {
        signed_distance(&self.pose, &self.hull.poly, &other.pose, &other.hull.poly)
            - self.hull.margin
            - other.hull.margin
    }

    /// Whether the two grown hulls overlap.
    pub(crate) fn hits_hull(&self, other: &PlacedHull<'_>) -> bool {
        closer_than(
            &self.pose,
            &self.hull.poly,
            &other.pose,
            &other.hull.poly,
            self.hull.margin + other.hull.margin,
        )
    }

    /// Signed distance to a world capsule.
    pub(crate) fn distance_to_capsule(&self, c: &Capsule) -> f32 {
        let (pose, seg) = parry_segment(c);
        signed_distance(&self.pose, &self.hull.poly, &pose, &seg) - self.hull.margin - c.radius
    }

    /// Whether the grown hull overlaps a world capsule.
    pub(crate) fn hits_capsule(&self, c: &Capsule) -> bool {
        let (pose, seg) = parry_segment(c);
        closer_than(
            &self.pose,
            &self.hull.poly,
            &pose,
            &seg,
            self.hull.margin + c.radius,
        )
    }
}

/// The outward face planes of a convex hull from its vertices and triangles, coplanar triangles
/// (normals and offsets equal within 1e-6 of the hull's size) merged into one plane. A sliver
/// triangle (area below 1e-12 of the size squared) gives no plane of its own: its neighbours'
/// planes bound the hull there.
fn face_planes(points: &[PVec], triangles: &[[u32; 3]]) -> Vec<FacePlane> {
    let centre = points.iter().fold(PVec::ZERO, |s, p| s + *p) / points.len() as f64;
    let size = points
        .iter()
        .map(|p| (*p - centre).length())
        .fold(0.0, f64::max);
    let mut planes: Vec<(PVec, f64)> = Vec::new();
    for t in triangles {
        let [a, b, c] = t.map(|i| points[i as usize]);
        let n = (b - a).cross(c - a);
        let len = n.length();
        if len.is_nan() || len <= 1e-12 * size * size {
            continue;
        }
        let mut n = n / len;
        let mut d = n.dot(a);
        // The centroid of the vertices is inside: orient the normal away from it.
        if n.dot(centre) > d {
            n = -n;
            d = -d;
        }
        let known = planes
            .iter()
            .any(|(m, e)| (n - *m).length() <= 1e-6 && (d - e).abs() <= 1e-6 * size);
        if !known {
            planes.push((n, d));
        }
    }
    planes
        .into_iter()
        .map(|(n, d)| FacePlane {
            normal: vec32(n),
            offset: d as f32,
        })
        .collect()
}

fn vec64(p: Vec3) -> PVec {
    PVec::new(p[0].into(), p[1].into(), p[2].into())
}

fn vec32(p: PVec) -> Vec3 {
    [p.x as f32, p.y as f32, p.z as f32]
}

/// A solid placed in the world, for queries of distance and closest points ([`witness`],
/// [`placed_distance`], [`placed_hit`]).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Placed<'a> {
    Hull(PlacedHull<'a>),
    /// A world-frame capsule.
    Capsule(Capsule),
    /// A world-frame box.
    Box(&'a Obb),
    /// A world-frame ball: centre and radius.
    Ball(Vec3, f32),
    /// A solid cylinder along its pose's local z axis: pose, radius, half length, margin.
    Cylinder(&'a Pose, f32, f32, f32),
    /// A world-frame triangle grown by a margin.
    Triangle(&'a [Vec3; 3], f32),
}

/// Closest points of two solids (deepest points when they overlap), world frame, metres.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Witness {
    /// Signed distance.
    pub(crate) distance: f32,
    /// Point of the first solid's surface.
    pub(crate) point_a: Vec3,
    /// Point of the second solid's surface.
    pub(crate) point_b: Vec3,
    /// Unit direction from the first solid towards the second (the direction in which moving
    /// the second away raises the distance).
    pub(crate) normal: Vec3,
}

/// A support-mapped parry shape of any of the kinds.
enum Support<'a> {
    Poly(&'a Polytope),
    Segment(Segment),
    Cuboid(Cuboid),
    /// A point (a ball's centre; the ball's radius is the margin).
    Point(PVec),
    Cylinder(Cylinder),
    Triangle(Triangle),
}

impl SupportMap for Support<'_> {
    fn local_support_point(&self, dir: PVec) -> PVec {
        match self {
            Support::Poly(p) => p.local_support_point(dir),
            Support::Segment(c) => c.local_support_point(dir),
            Support::Cuboid(c) => c.local_support_point(dir),
            Support::Point(p) => *p,
            Support::Cylinder(c) => c.local_support_point(dir),
            Support::Triangle(t) => t.local_support_point(dir),
        }
    }
}

/// Parry's cylinders stand along y; ours along the pose's local z: a quarter turn about x.
fn cylinder_pose(pose: &Pose) -> PPose {
    to_parry(pose) * PPose::rotation(PVec::X * std::f64::consts::FRAC_PI_2)
}

impl Placed<'_> {
    /// Parry's pose and shape, and the margin to grow the shape by.
    fn parts(&self) -> (PPose, Support<'_>, f64) {
        match self {
            Placed::Hull(h) => (h.pose, Support::Poly(&h.hull.poly), h.hull.margin.into()),
            // The axis, with the radius as a margin: EPA then works on the segment, which it
            // handles where a sphere-swept solid degenerates (a ball at a solid's centre).
            Placed::Capsule(c) if c.a == c.b => {
                (PPose::IDENTITY, Support::Point(vec64(c.a)), c.radius.into())
            }
            Placed::Capsule(c) => (
                PPose::IDENTITY,
                Support::Segment(Segment::new(vec64(c.a), vec64(c.b))),
                c.radius.into(),
            ),
            Placed::Box(o) => {
                let (pose, cuboid) = parry_box(o);
                (pose, Support::Cuboid(cuboid), 0.0)
            }
            Placed::Ball(c, r) => (PPose::IDENTITY, Support::Point(vec64(*c)), (*r).into()),
            Placed::Cylinder(pose, radius, half, margin) => (
                cylinder_pose(pose),
                Support::Cylinder(Cylinder::new((*half).into(), (*radius).into())),
                (*margin).into(),
            ),
            Placed::Triangle(t, margin) => (
                PPose::IDENTITY,
                Support::Triangle(Triangle::new(vec64(t[0]), vec64(t[1]), vec64(t[2]))),
                (*margin).into(),
            ),
        }
    }
}

/// Signed distance between two placed solids (GJK, EPA when they overlap), metres.
pub(crate) fn placed_distance(a: &Placed<'_>, b: &Placed<'_>) -> f32 {
    let (pa, ga, ma) = a.parts();
    let (pb, gb, mb) = b.parts();
    signed_distance(&pa, &ga, &pb, &gb) - (ma + mb) as f32
}

/// Whether two placed solids overlap (GJK only).
pub(crate) fn placed_hit(a: &Placed<'_>, b: &Placed<'_>) -> bool {
    let (pa, ga, ma) = a.parts();
    let (pb, gb, mb) = b.parts();
    closer_than(&pa, &ga, &pb, &gb, (ma + mb) as f32)
}

/// Closest (or deepest) points of two placed solids and the normal between them.
pub(crate) fn witness(a: &Placed<'_>, b: &Placed<'_>) -> Witness {
    let (pa, ga, ma) = a.parts();
    let (pb, gb, mb) = b.parts();
    let pos12 = pa.inv_mul(&pb);
    match robust_contact(&pos12, &ga, &gb) {
        Some(c) => {
            let n = (pa.rotation * c.normal1).normalize_or_zero();
            let point_a = pa * c.point1 + n * ma;
            let point_b = pb * c.point2 - n * mb;
            Witness {
                distance: (c.dist - ma - mb) as f32,
                point_a: vec32(point_a),
                point_b: vec32(point_b),
                normal: vec32(n),
            }
        }
        None => Witness {
            distance: FAR as f32,
            point_a: vec32(pa.translation),
            point_b: vec32(pb.translation),
            normal: [0.0; 3],
        },
    }
}

/// Whether two placed solids overlap (GJK only: no penetration depth, so no EPA).
pub(crate) fn overlap(a: &Placed<'_>, b: &Placed<'_>) -> bool {
    let (pa, ga, ma) = a.parts();
    let (pb, gb, mb) = b.parts();
    closer_than(&pa, &ga, &pb, &gb, (ma + mb) as f32)
}

/// Our row-major pose as parry's (translation + unit quaternion).
fn to_parry(p: &Pose) -> PPose {
    let r = p.rot.map(|row| row.map(f64::from));
    let m = Mat3::from_cols(
        PVec::new(r[0][0], r[1][0], r[2][0]),
        PVec::new(r[0][1], r[1][1], r[2][1]),
        PVec::new(r[0][2], r[1][2], r[2][2]),
    );
    PPose::from_parts(vec64(p.trans), Rot3::from_mat3(&m).normalize())
}

fn parry_box(obb: &Obb) -> (PPose, Cuboid) {
    (to_parry(&obb.pose), Cuboid::new(vec64(obb.half)))
}

/// A capsule's axis as a parry segment in the world (the caller subtracts the radius).
fn parry_segment(c: &Capsule) -> (PPose, Segment) {
    (PPose::IDENTITY, Segment::new(vec64(c.a), vec64(c.b)))
}

/// Signed distance between two support-mapped solids (GJK, EPA when they overlap), metres.
fn signed_distance<G1: SupportMap, G2: SupportMap>(
    p1: &PPose,
    g1: &G1,
    p2: &PPose,
    g2: &G2,
) -> f32 {
    let pos12 = p1.inv_mul(p2);
    robust_contact(&pos12, g1, g2).map_or(FAR, |c| c.dist) as f32
}

/// Parry's GJK/EPA contact, retried with the second solid nudged by 1e-7 m in a few directions
/// where it reports a touch (|distance| ≤ 1e-9) or nothing: EPA cannot start from a degenerate
/// simplex, which GJK ends on when a point-like solid sits exactly at the centre of a symmetric
/// one, and then reports depth 0 for a deep overlap. The nudge changes the answer by at most
/// 1e-7 m.
fn robust_contact<G1: SupportMap, G2: SupportMap>(
    pos12: &PPose,
    g1: &G1,
    g2: &G2,
) -> Option<parry3d_f64::query::Contact> {
    let first = contact_support_map_support_map(pos12, g1, g2, FAR);
    if first.is_some_and(|c| c.dist.abs() > 1e-9) {
        return first;
    }
    let mut best = first;
    for dir in [
        PVec::new(0.48, -0.6, 0.64),
        PVec::new(-0.36, 0.8, 0.48),
        PVec::new(0.8, 0.36, -0.48),
    ] {
        let mut nudged = *pos12;
        nudged.translation += dir * 1e-7;
        if let Some(c) = contact_support_map_support_map(&nudged, g1, g2, FAR) {
            if best.is_none_or(|b| c.dist < b.dist) {
                best = Some(c);
            }
        }
    }
    best
}

/// Whether two support-mapped solids are closer than `d` metres (GJK only, no exact distance).
fn closer_than<G1: SupportMap, G2: SupportMap>(
    p1: &PPose,
    g1: &G1,
    p2: &PPose,
    g2: &G2,
    d: f32,
) -> bool {
    let pos12 = p1.inv_mul(p2);
    let dir = pos12.translation.try_normalize().unwrap_or(PVec::X);
    let mut simplex = VoronoiSimplex::new();
    simplex.reset(CsoPoint::from_shapes(&pos12, g1, g2, dir));
    matches!(
        gjk::closest_points(&pos12, g1, g2, d.into(), false, &mut simplex),
        GJKResult::Intersection | GJKResult::Proximity(_) | GJKResult::ClosestPoints(..)
    )
}

/// A seeded stream of uniform numbers in [0, 1) for the geometry tests (a linear congruential
/// generator: they need no more).
#[cfg(test)]
pub(crate) fn uniform(seed: u32) -> impl FnMut() -> f32 {
    let mut state = seed;
    move || {
        state = state.wrapping_mul(1664525).wrapping_add(1013904223);
        (state >> 8) as f32 / (1u32 << 24) as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::math::{dot, norm};

    fn cube(h: f32) -> Vec<Vec3> {
        let mut v = Vec::new();
        for x in [-h, h] {
            for y in [-h, h] {
                for z in [-h, h] {
                    v.push([x, y, z]);
                }
            }
        }
        v
    }

    #[test]
    fn distances_match_closed_forms() {
        // A 0.2 m cube hull with a 1 mm margin.
        let hull = ConvexHull::new(&cube(0.1), 0.001).unwrap();
        let at = |x: f32, z: f32| PlacedHull::new(&hull, &Pose::from_translation([x, 0.0, z]));
        // Ground: the cube's bottom face at z − 0.1, less the margin.
        assert!((hull.min_z(&Pose::from_translation([0.0, 0.0, 0.5])) - 0.399).abs() < 1e-6);
        // A box 0.3 m away face to face: gap 0.3 − 0.1 − 0.05 − 0.001.
        let obb = Obb {
            pose: Pose::from_translation([0.3, 0.0, 0.0]),
            half: [0.05; 3],
        };
        assert!((at(0.0, 0.0).distance_to_box(&obb) - 0.149).abs() < 1e-5);
        assert!(!at(0.0, 0.0).hits_box(&obb));
        // 2 cm of overlap: EPA's penetration depth.
        assert!((at(0.17, 0.0).distance_to_box(&obb) + 0.021).abs() < 1e-5);
        assert!(at(0.17, 0.0).hits_box(&obb));
        // Within the margin only: the grown hull touches.
        assert!(at(0.1495, 0.0).hits_box(&obb));
        // Hull to hull and hull to capsule.
        let other = at(0.25, 0.0);
        assert!((at(0.0, 0.0).distance_to_hull(&other) - 0.048).abs() < 1e-5);
        assert!(at(0.0, 0.0).hits_hull(&at(0.199, 0.0)));
        let cap = Capsule {
            a: [0.0, 0.0, 0.3],
            b: [0.0, 0.0, 0.6],
            radius: 0.05,
        };
        assert!((at(0.0, 0.0).distance_to_capsule(&cap) - 0.149).abs() < 1e-5);
        assert!(at(0.0, 0.0).hits_capsule(&Capsule { radius: 0.2, ..cap }));
    }

    #[test]
    fn witness_points_and_normals() {
        let hull = ConvexHull::new(&cube(0.1), 0.001).unwrap();
        let placed = PlacedHull::new(&hull, &Pose::from_translation([0.0, 0.0, 0.0]));
        let obb = Obb {
            pose: Pose::from_translation([0.3, 0.0, 0.0]),
            half: [0.05; 3],
        };
        let w = witness(&Placed::Hull(placed), &Placed::Box(&obb));
        assert!((w.distance - 0.149).abs() < 1e-5, "{w:?}");
        assert!((w.normal[0] - 1.0).abs() < 1e-5, "{w:?}");
        assert!(
            (w.point_a[0] - 0.101).abs() < 1e-5 && (w.point_b[0] - 0.25).abs() < 1e-5,
            "{w:?}"
        );
        // Overlapping by 2 cm: negative distance, same normal.
        let deep = PlacedHull::new(&hull, &Pose::from_translation([0.17, 0.0, 0.0]));
        let w = witness(&Placed::Hull(deep), &Placed::Box(&obb));
        assert!(
            (w.distance + 0.021).abs() < 1e-5 && w.normal[0] > 0.99,
            "{w:?}"
        );
        // A capsule above: normal +z.
        let cap = Capsule {
            a: [-0.1, 0.0, 0.3],
            b: [0.1, 0.0, 0.3],
            radius: 0.05,
        };
        let w = witness(&Placed::Hull(placed), &Placed::Capsule(cap));
        assert!(
            (w.distance - 0.149).abs() < 1e-5 && w.normal[2] > 0.99,
            "{w:?}"
        );
        let (low, z) = hull.lowest_point(&Pose::from_translation([0.0, 0.0, 0.5]));
        assert!((z - 0.399).abs() < 1e-6 && (low[2] - 0.399).abs() < 1e-6);
    }

    #[test]
    fn face_planes_bound_the_hull() {
        // A cube: six planes at the half side.
        let hull = ConvexHull::new(&cube(0.1), 0.0).unwrap();
        let planes = hull.face_planes();
        assert_eq!(planes.len(), 6, "{planes:?}");
        for p in planes {
            assert!((p.offset - 0.1).abs() < 1e-6, "{p:?}");
            let big = p
                .normal
                .iter()
                .filter(|v| (v.abs() - 1.0).abs() < 1e-6)
                .count();
            assert_eq!(big, 1, "{p:?}");
        }
        // The Panda's mesh hulls: unit normals, every vertex inside every plane, every plane
        // touching the hull.
        let chain = crate::KinematicChain::panda();
        let mut checked = 0;
        for link in chain.links() {
            for shape in &link.collision {
                let Some(h) = shape.hull() else { continue };
                let v: Vec<Vec3> = h.vertices().collect();
                assert!(h.face_planes().len() >= 4, "{}", link.name);
                for p in h.face_planes() {
                    assert!((norm(p.normal) - 1.0).abs() < 1e-5, "{}: {p:?}", link.name);
                    let top = v
                        .iter()
                        .map(|x| dot(p.normal, *x) - p.offset)
                        .fold(f32::MIN, f32::max);
                    assert!(top.abs() < 1e-5, "{}: {p:?} reaches {top}", link.name);
                }
                checked += 1;
            }
        }
        assert_eq!(checked, 11);
    }

    #[test]
    fn degenerate_points_are_an_error() {
        let flat: Vec<Vec3> = (0..10).map(|i| [i as f32, (i * i) as f32, 0.0]).collect();
        assert!(ConvexHull::new(&flat, 0.001)
            .unwrap_err()
            .contains("degenerate"));
        assert!(ConvexHull::new(&cube(0.1), -1.0).is_err());
    }
}
