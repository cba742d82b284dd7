//! Capsules that contain a convex hull: the broad phase of every exact query. Each is provably
//! conservative: a capsule is convex, so enclosing a convex set's extreme points encloses the set.

use nalgebra::{Matrix3, SymmetricEigen, Vector3};
use parry3d_f64::math::Vector as PVec;

use super::polytope::Polytope;
use super::vec32;
use crate::geometry::Capsule;
use crate::math::{dot, norm, sub, Vec3};

/// Capsules whose union contains every point within `margin` of the polytope: the polytope cut
/// into 1–4 slabs across its principal axis of largest spread, each slab enclosed by its own
/// capsule ([`enclosing_capsule`]). A slab is convex, the hull of the polytope's vertices inside
/// it and of the points where the polytope's edges cross its two planes, so enclosing those
/// points encloses the slab. Of the four cuts, the one of least total capsule volume is kept.
pub(super) fn slab_cover(poly: &Polytope, margin: f32) -> Vec<Capsule> {
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
pub(super) fn is_flat(v: &[Vec3]) -> bool {
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
pub(super) fn enclosing_capsule(v: &[Vec3], margin: f32) -> Capsule {
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
    use crate::hull::{uniform, ConvexHull};

    #[test]
    fn enclosing_capsule_contains_every_vertex() {
        let mut u = uniform(12345);
        let mut next = || u() - 0.5;
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
        let mut next = uniform(99);
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
}
