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

use nalgebra::{Matrix3, SymmetricEigen, Vector3};
use parry3d_f64::math::{Mat3, Pose as PPose, Rot3, Vector as PVec};
use parry3d_f64::query::details::contact_support_map_support_map;
use parry3d_f64::query::gjk::{self, CsoPoint, GJKResult, VoronoiSimplex};
use parry3d_f64::shape::{Capsule as PCapsule, Cuboid, Segment, SupportMap};
use parry3d_f64::transformation::try_convex_hull;

use crate::geometry::{Capsule, Obb};
use crate::math::{dot, norm, sub, Pose, Vec3};

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
        Ok(ConvexHull {
            poly,
            margin,
            bound,
            cover,
        })
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
        let r = pose.rot[2].map(f64::from);
        let lowest = self
            .poly
            .points
            .iter()
            .map(|p| r[0] * p.x + r[1] * p.y + r[2] * p.z)
            .fold(f64::INFINITY, f64::min);
        (lowest + f64::from(pose.trans[2])) as f32 - self.margin
    }
}

/// A convex polytope: its vertices and, for each, its neighbours along the hull's edges.
#[derive(Debug, Clone, PartialEq)]
struct Polytope {
    points: Vec<PVec>,
    /// Neighbours of vertex `i` are `adj[offsets[i]..offsets[i + 1]]`.
    offsets: Vec<u32>,
    adj: Vec<u32>,
    /// Where hill climbing starts: the vertex furthest along the centre direction of each cell
    /// of a cube map ([`cube_cell`]).
    start: Vec<u32>,
}

/// Cells per cube-map face edge: 6 × 8 × 8 start directions.
const CUBE_N: usize = 8;

/// The cube-map cell of a non-zero direction: the face of its dominant axis and sign, then an
/// `CUBE_N × CUBE_N` grid over the face.
#[inline]
fn cube_cell(dir: PVec) -> usize {
    let a = dir.abs();
    let (axis, m) = if a.x >= a.y && a.x >= a.z {
        (0, a.x)
    } else if a.y >= a.z {
        (1, a.y)
    } else {
        (2, a.z)
    };
    let face = 2 * axis + usize::from(dir[axis] < 0.0);
    let (u, v) = match axis {
        0 => (dir.y, dir.z),
        1 => (dir.z, dir.x),
        _ => (dir.x, dir.y),
    };
    let cell = |c: f64| (((c / m + 1.0) * 0.5 * CUBE_N as f64) as usize).min(CUBE_N - 1);
    (face * CUBE_N + cell(u)) * CUBE_N + cell(v)
}

/// The centre direction of cube-map cell `k` (inverse of [`cube_cell`]).
fn cube_direction(k: usize) -> PVec {
    let (face, rest) = (k / (CUBE_N * CUBE_N), k % (CUBE_N * CUBE_N));
    let c = |i: usize| (i as f64 + 0.5) / CUBE_N as f64 * 2.0 - 1.0;
    let (u, v) = (c(rest / CUBE_N), c(rest % CUBE_N));
    let sign = if face % 2 == 0 { 1.0 } else { -1.0 };
    match face / 2 {
        0 => PVec::new(sign, u, v),
        1 => PVec::new(v, sign, u),
        _ => PVec::new(u, v, sign),
    }
}

impl Polytope {
    /// From the hull's vertices and outer triangles (indices into `points`).
    fn new(points: Vec<PVec>, triangles: &[[u32; 3]]) -> Polytope {
        let mut lists = vec![Vec::new(); points.len()];
        for t in triangles {
            for k in 0..3 {
                let (a, b) = (t[k], t[(k + 1) % 3]);
                lists[a as usize].push(b);
                lists[b as usize].push(a);
            }
        }
        let mut offsets = vec![0u32];
        let mut adj = Vec::new();
        for mut l in lists {
            l.sort_unstable();
            l.dedup();
            adj.extend(l);
            offsets.push(adj.len() as u32);
        }
        let start = (0..6 * CUBE_N * CUBE_N)
            .map(|k| brute_support(&points, cube_direction(k)) as u32)
            .collect();
        Polytope {
            points,
            offsets,
            adj,
            start,
        }
    }

    /// Index of a vertex furthest along `dir`: hill climbing from the start vertex of `dir`'s
    /// cube-map cell. On a convex polytope a vertex with no better neighbour is a maximiser.
    fn support_index(&self, dir: PVec) -> usize {
        // Zero or NaN: any vertex will do.
        if dir.length_squared().partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
            return 0;
        }
        let mut best = self.start[cube_cell(dir)] as usize;
        let mut best_dot = self.points[best].dot(dir);
        loop {
            let from = best;
            let (lo, hi) = (self.offsets[from] as usize, self.offsets[from + 1] as usize);
            for &n in &self.adj[lo..hi] {
                let d = self.points[n as usize].dot(dir);
                if d > best_dot {
                    best = n as usize;
                    best_dot = d;
                }
            }
            if best == from {
                return best;
            }
        }
    }
}

impl SupportMap for Polytope {
    fn local_support_point(&self, dir: PVec) -> PVec {
        self.points[self.support_index(dir)]
    }
}

/// Index of a point furthest along `dir`, by scanning all.
fn brute_support(points: &[PVec], dir: PVec) -> usize {
    let mut best = 0;
    for (i, p) in points.iter().enumerate() {
        if p.dot(dir) > points[best].dot(dir) {
            best = i;
        }
    }
    best
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

    /// Signed distance to a world box.
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

fn vec64(p: Vec3) -> PVec {
    PVec::new(p[0].into(), p[1].into(), p[2].into())
}

fn vec32(p: PVec) -> Vec3 {
    [p.x as f32, p.y as f32, p.z as f32]
}

/// A solid placed in the world, for a query of closest points ([`witness`]).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Placed<'a> {
    Hull(PlacedHull<'a>),
    /// A world-frame capsule.
    Capsule(Capsule),
    /// A world-frame box.
    Box(&'a Obb),
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

/// A support-mapped parry shape of any of the three kinds.
enum Support<'a> {
    Poly(&'a Polytope),
    Capsule(PCapsule),
    Cuboid(Cuboid),
}

impl SupportMap for Support<'_> {
    fn local_support_point(&self, dir: PVec) -> PVec {
        match self {
            Support::Poly(p) => p.local_support_point(dir),
            Support::Capsule(c) => c.local_support_point(dir),
            Support::Cuboid(c) => c.local_support_point(dir),
        }
    }
}

impl Placed<'_> {
    /// Parry's pose and shape, and the margin to grow the shape by.
    fn parts(&self) -> (PPose, Support<'_>, f64) {
        match self {
            Placed::Hull(h) => (h.pose, Support::Poly(&h.hull.poly), h.hull.margin.into()),
            Placed::Capsule(c) => (
                PPose::IDENTITY,
                Support::Capsule(PCapsule::new(vec64(c.a), vec64(c.b), c.radius.into())),
                0.0,
            ),
            Placed::Box(o) => {
                let (pose, cuboid) = parry_box(o);
                (pose, Support::Cuboid(cuboid), 0.0)
            }
        }
    }
}

/// Closest (or deepest) points of two placed solids and the normal between them.
pub(crate) fn witness(a: &Placed<'_>, b: &Placed<'_>) -> Witness {
    let (pa, ga, ma) = a.parts();
    let (pb, gb, mb) = b.parts();
    let pos12 = pa.inv_mul(&pb);
    match contact_support_map_support_map(&pos12, &ga, &gb, FAR) {
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

impl ConvexHull {
    /// The grown hull's lowest point when placed at `pose` (world), and its height.
    pub(crate) fn lowest_point(&self, pose: &Pose) -> (Vec3, f32) {
        let i = self
            .poly
            .support_index(to_parry(pose).rotation.inverse() * PVec::NEG_Z);
        let mut p = pose.transform_point(vec32(self.poly.points[i]));
        p[2] -= self.margin;
        (p, p[2])
    }
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
    contact_support_map_support_map(&pos12, g1, g2, FAR).map_or(FAR, |c| c.dist) as f32
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

/// Capsules whose union contains every point within `margin` of the polytope: the polytope cut
/// into 1–4 slabs across its principal axis of largest spread, each slab enclosed by its own
/// capsule ([`enclosing_capsule`]). A slab is convex, the hull of the polytope's vertices inside
/// it and of the points where the polytope's edges cross its two planes, so enclosing those
/// points encloses the slab. Of the four cuts, the one of least total capsule volume is kept.
fn slab_cover(poly: &Polytope, margin: f32) -> Vec<Capsule> {
    let vertices: Vec<Vec3> = poly.points.iter().map(|p| vec32(*p)).collect();
    let eig = SymmetricEigen::new(moments(&vertices).1);
    let k = eig.eigenvalues.imax();
    let axis = PVec::new(
        eig.eigenvectors[(0, k)],
        eig.eigenvectors[(1, k)],
        eig.eigenvectors[(2, k)],
    );
    let t: Vec<f64> = poly.points.iter().map(|p| p.dot(axis)).collect();
    let (lo, hi) = t
        .iter()
        .fold((f64::MAX, f64::MIN), |(lo, hi), &x| (lo.min(x), hi.max(x)));
    let edges: Vec<(usize, usize)> = (0..poly.points.len())
        .flat_map(|i| {
            let (a, b) = (poly.offsets[i] as usize, poly.offsets[i + 1] as usize);
            poly.adj[a..b]
                .iter()
                .map(move |&j| (i, j as usize))
                .filter(|&(i, j)| i < j)
        })
        .collect();
    let volume = |c: &Capsule| {
        let (r, len) = (c.radius as f64, norm(sub(c.b, c.a)) as f64);
        std::f64::consts::PI * r * r * (len + 4.0 / 3.0 * r)
    };
    let mut best: Option<(f64, Vec<Capsule>)> = None;
    for slabs in 1..=4usize {
        let cut = |s: usize| lo + (hi - lo) * s as f64 / slabs as f64;
        let mut cover = Vec::with_capacity(slabs);
        for s in 0..slabs {
            let (t0, t1) = (cut(s), cut(s + 1));
            let mut pts: Vec<Vec3> = (0..t.len())
                .filter(|&i| t[i] >= t0 && t[i] <= t1)
                .map(|i| vertices[i])
                .collect();
            for &(i, j) in &edges {
                for plane in [t0, t1] {
                    if (t[i] - plane) * (t[j] - plane) < 0.0 {
                        let f = (plane - t[i]) / (t[j] - t[i]);
                        pts.push(vec32(poly.points[i].lerp(poly.points[j], f)));
                    }
                }
            }
            cover.push(enclosing_capsule(&pts, margin));
        }
        let total: f64 = cover.iter().map(volume).sum();
        if best.as_ref().is_none_or(|(b, _)| total < *b) {
            best = Some((total, cover));
        }
    }
    best.expect("four cuts").1
}

/// Mean and covariance of points (f64).
fn moments(v: &[Vec3]) -> (Vector3<f64>, Matrix3<f64>) {
    let n = v.len() as f64;
    let mean = v.iter().fold(Vector3::zeros(), |m, p| {
        m + Vector3::new(p[0] as f64, p[1] as f64, p[2] as f64) / n
    });
    let cov = v.iter().fold(Matrix3::zeros(), |c, p| {
        let d = Vector3::new(p[0] as f64, p[1] as f64, p[2] as f64) - mean;
        c + d * d.transpose() / n
    });
    (mean, cov)
}

/// Whether points lie in one plane (or a line, or a point), up to 1e-6 of their extent.
fn is_flat(v: &[Vec3]) -> bool {
    let eig = SymmetricEigen::new(moments(v).1);
    let (lo, hi) = eig
        .eigenvalues
        .iter()
        .fold((f64::MAX, 0.0f64), |(lo, hi), &e| (lo.min(e), hi.max(e)));
    hi <= 0.0 || lo.max(0.0).sqrt() <= 1e-6 * hi.sqrt()
}

/// A capsule containing every point within `margin` of the convex hull of `v` (metres).
///
/// The hull is the convex combination of its vertices and a capsule is convex, so enclosing the
/// vertices encloses the hull. Of the capsules along the three principal axes of the vertices,
/// the one of least volume is kept.
fn enclosing_capsule(v: &[Vec3], margin: f32) -> Capsule {
    let eig = SymmetricEigen::new(moments(v).1);
    let mut best: Option<(f64, Capsule)> = None;
    for k in 0..3 {
        let axis = eig.eigenvectors.column(k).normalize();
        let cap = capsule_along(v, [axis[0], axis[1], axis[2]], margin);
        let len = norm(sub(cap.b, cap.a)) as f64;
        let r = cap.radius as f64;
        let volume = std::f64::consts::PI * r * r * (len + 4.0 / 3.0 * r);
        if best.as_ref().is_none_or(|(b, _)| volume < *b) {
            best = Some((volume, cap));
        }
    }
    best.expect("three axes").1
}

/// The enclosing capsule of points `v` (grown by `margin`) whose axis has direction `axis`.
fn capsule_along(v: &[Vec3], axis: [f64; 3], margin: f32) -> Capsule {
    // An orthonormal basis (u, w) of the plane perpendicular to the axis.
    let a = Vector3::from(axis);
    let helper = if a.x.abs() < 0.9 {
        Vector3::x()
    } else {
        Vector3::y()
    };
    let u = a.cross(&helper).normalize();
    let w = a.cross(&u);
    let coords: Vec<(f64, f64, f64)> = v
        .iter()
        .map(|p| {
            let p = Vector3::new(p[0] as f64, p[1] as f64, p[2] as f64);
            (p.dot(&a), p.dot(&u), p.dot(&w))
        })
        .collect();
    // The axis passes through the centre of the projections' bounding rectangle.
    let (mut lo_u, mut hi_u, mut lo_w, mut hi_w) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for &(_, pu, pw) in &coords {
        lo_u = lo_u.min(pu);
        hi_u = hi_u.max(pu);
        lo_w = lo_w.min(pw);
        hi_w = hi_w.max(pw);
    }
    let (cu, cw) = (0.5 * (lo_u + hi_u), 0.5 * (lo_w + hi_w));
    let rho = |pu: f64, pw: f64| ((pu - cu).powi(2) + (pw - cw).powi(2)).sqrt();
    let r = coords
        .iter()
        .map(|&(_, pu, pw)| rho(pu, pw))
        .fold(0.0, f64::max);
    // Each point fits if the segment reaches within sqrt(r² − ρ²) of its axial coordinate.
    let mut t0 = f64::MAX;
    let mut t1 = f64::MIN;
    for &(t, pu, pw) in &coords {
        let slack = (r * r - rho(pu, pw).powi(2)).max(0.0).sqrt();
        t0 = t0.min(t + slack);
        t1 = t1.max(t - slack);
    }
    if t0 > t1 {
        let mid = 0.5 * (t0 + t1);
        (t0, t1) = (mid, mid);
    }
    let centre = u * cu + w * cw;
    let end = |t: f64| {
        let p = centre + a * t;
        [p.x as f32, p.y as f32, p.z as f32]
    };
    let cap = Capsule {
        a: end(t0),
        b: end(t1),
        radius: 0.0,
    };
    // Radius from the rounded end points, so every vertex is inside in f32 as well.
    let radius = v
        .iter()
        .map(|&p| point_segment_distance(p, cap.a, cap.b))
        .fold(0.0f32, f32::max);
    Capsule {
        radius: radius * (1.0 + 1e-6) + 1e-6 + margin,
        ..cap
    }
}

fn point_segment_distance(p: Vec3, a: Vec3, b: Vec3) -> f32 {
    let ab = sub(b, a);
    let len2 = dot(ab, ab);
    let t = if len2 > 0.0 {
        (dot(sub(p, a), ab) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    norm(sub(
        p,
        [a[0] + t * ab[0], a[1] + t * ab[1], a[2] + t * ab[2]],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::capsule_capsule_signed_distance;

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
    fn enclosing_capsule_contains_every_vertex() {
        let mut rng_state = 12345u32;
        let mut next = || {
            rng_state = rng_state.wrapping_mul(1664525).wrapping_add(1013904223);
            (rng_state >> 8) as f32 / (1u32 << 24) as f32 - 0.5
        };
        for _ in 0..20 {
            let pts: Vec<Vec3> = (0..60)
                .map(|_| [0.3 * next(), 0.1 * next() + 0.02, 0.05 * next()])
                .collect();
            let hull = ConvexHull::new(&pts, 0.001).unwrap();
            let c = hull.bounding_capsule();
            for p in hull.vertices() {
                // Every vertex with its margin ball is inside the capsule.
                let d = capsule_capsule_signed_distance(c, &Capsule::sphere(p, 0.0));
                assert!(
                    d <= -0.001 + 1e-6,
                    "vertex {p:?} sticks out by {}",
                    d + 0.001
                );
            }
            // Not absurdly loose: the longest extent is 0.3 m.
            assert!(c.radius < 0.1, "{c:?}");
        }
    }

    #[test]
    fn slab_cover_contains_the_hull() {
        // Points of the hull's surface and inside it (convex combinations of its vertices) lie in
        // some capsule of the cover, grown hull included.
        let chain = crate::KinematicChain::panda();
        let mut state = 99u32;
        let mut next = || {
            state = state.wrapping_mul(1664525).wrapping_add(1013904223);
            (state >> 8) as f32 / (1u32 << 24) as f32
        };
        for link in chain.links() {
            for shape in &link.collision {
                let Some(h) = shape.hull() else { continue };
                let v: Vec<Vec3> = h.vertices().collect();
                for _ in 0..20_000 {
                    // A random point on a random segment between two vertices, or a vertex.
                    let (a, b) = (
                        v[(next() * v.len() as f32) as usize % v.len()],
                        v[(next() * v.len() as f32) as usize % v.len()],
                    );
                    let f = if next() < 0.3 { 0.0 } else { next() };
                    let p = [
                        a[0] + f * (b[0] - a[0]),
                        a[1] + f * (b[1] - a[1]),
                        a[2] + f * (b[2] - a[2]),
                    ];
                    let inside = h.cover().iter().any(|c| {
                        capsule_capsule_signed_distance(c, &Capsule::sphere(p, 0.0))
                            <= -h.margin() + 1e-6
                    });
                    assert!(inside, "{}: {p:?} outside the cover", link.name);
                }
                assert!((1..=4).contains(&h.cover().len()));
            }
        }
    }

    #[test]
    fn hill_climbing_finds_the_support_point() {
        let chain = crate::KinematicChain::panda();
        let mut state = 7u32;
        let mut next = || {
            state = state.wrapping_mul(1664525).wrapping_add(1013904223);
            (state >> 8) as f64 / (1u32 << 24) as f64 - 0.5
        };
        let mut checked = 0;
        for link in chain.links() {
            for shape in &link.collision {
                let Some(h) = shape.hull() else { continue };
                for _ in 0..5000 {
                    let dir = PVec::new(next(), next(), next());
                    let i = h.poly.support_index(dir);
                    let j = brute_support(&h.poly.points, dir);
                    // Ties allowed: the same height along `dir`.
                    let (a, b) = (h.poly.points[i].dot(dir), h.poly.points[j].dot(dir));
                    assert!((a - b).abs() <= 1e-12, "{}: {a} vs {b}", link.name);
                }
                checked += 1;
            }
        }
        assert_eq!(checked, 11);
    }

    #[test]
    fn cube_map_cells_round_trip() {
        for k in 0..6 * CUBE_N * CUBE_N {
            assert_eq!(cube_cell(cube_direction(k)), k);
            assert_eq!(cube_cell(cube_direction(k) * 3.7), k);
        }
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
    fn degenerate_points_are_an_error() {
        let flat: Vec<Vec3> = (0..10).map(|i| [i as f32, (i * i) as f32, 0.0]).collect();
        assert!(ConvexHull::new(&flat, 0.001)
            .unwrap_err()
            .contains("degenerate"));
        assert!(ConvexHull::new(&cube(0.1), -1.0).is_err());
    }
}
