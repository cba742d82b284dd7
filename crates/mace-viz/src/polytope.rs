//! Rays against convex polytopes given by their face planes: the links' mesh hulls
//! ([`mace_robot::ConvexHull::face_planes`]), in their own frame and in `f64`.
//!
//! A polytope is the intersection of its planes' half-spaces, so a ray is inside it after it has
//! entered every plane facing it and before it leaves any plane facing away: [`Polytope::scan`]
//! finds the entry that way, testing every plane. [`Polytope::walk`] finds the same entry in a
//! few steps from a nearby face, moving from face to face; it needs to know which planes bound
//! each face, computed once per polytope ([`Polytope::new`]).
//!
//! `f64` because mesh hulls have many nearly coplanar faces (a flat cap triangulated from `f32`
//! vertices): where two planes meet at a dihedral angle of 1e-5 rad, an error of 1e-7 m across
//! them moves their common edge by a centimetre.

use mace_robot::ConvexHull;
use nalgebra::{Vector3, Vector4};

/// A point or direction (metres).
type P = Vector3<f64>;

/// Most steps of a walk before [`Polytope::walk`] scans all planes instead.
const MAX_STEPS: usize = 64;

/// How far beyond a plane a point on a neighbouring face may lie and still count as within it
/// (metres): rounding only.
const ON_PLANE: f64 = 1e-12;

/// A convex polytope ready for ray casting, in its own frame: its face planes, and for each face
/// the planes that bound it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Polytope {
    /// Face planes `[nx, ny, nz, d]` (unit outward normal `n`, offset `d`): the polytope is where
    /// `n · x ≤ d` for all of them.
    planes: Vec<Vector4<f64>>,
    /// The planes bounding face `f` are `adj[offsets[f]..offsets[f + 1]]`.
    offsets: Vec<u32>,
    adj: Vec<u32>,
    /// Whether the plane of each face touches the polytope in a polygon whose every edge lies on
    /// one of its bounding planes (else a walk reaching it scans all planes).
    usable: Vec<bool>,
}

impl Polytope {
    /// The polytope of a hull's face planes (without the margin), in the hull's frame.
    pub(crate) fn of_hull(hull: &ConvexHull) -> Polytope {
        let vertices: Vec<P> = hull.vertices().map(|v| P::from(v.map(f64::from))).collect();
        let n = vertices.len().max(1) as f64;
        let centre = vertices.iter().fold(P::zeros(), |s, v| s + v / n);
        let radius = vertices
            .iter()
            .map(|v| (v - centre).norm())
            .fold(0.0, f64::max);
        let planes = hull
            .face_planes()
            .iter()
            .map(|p| {
                let [x, y, z] = p.normal.map(f64::from);
                Vector4::new(x, y, z, f64::from(p.offset))
            })
            .collect();
        Polytope::new(planes, &centre, radius)
    }

    /// The polytope bounded by `planes` (unit normals), lying within `radius` of `centre`.
    ///
    /// The face of each plane is the polygon the other planes cut from it (clipping a square
    /// larger than the polytope); the planes of its sides bound it. Computed from the
    /// planes alone, so that a walk's answers are those of the planes, also where a hull's
    /// triangles are not exactly convex.
    pub(crate) fn new(planes: Vec<Vector4<f64>>, centre: &P, radius: f64) -> Polytope {
        let half = 2.0 * radius.max(1e-6);
        let on_tol = 1e-9 * half.max(1.0);
        let mut offsets = vec![0u32];
        let mut adj = Vec::new();
        let mut usable = Vec::with_capacity(planes.len());
        let mut poly: Vec<P> = Vec::new();
        let mut next: Vec<P> = Vec::new();
        for (f, pf) in planes.iter().enumerate() {
            let (n, d) = (pf.xyz(), pf.w);
            // A square on the plane about the centre's projection, larger than the polytope.
            let u = n
                .cross(&if n.x.abs() < 0.9 { P::x() } else { P::y() })
                .normalize();
            let w = n.cross(&u);
            let o = centre - n * (n.dot(centre) - d);
            poly.clear();
            for (a, b) in [(-1.0, -1.0), (1.0, -1.0), (1.0, 1.0), (-1.0, 1.0)] {
                poly.push(o + (u * a + w * b) * half);
            }
            for (g, pg) in planes.iter().enumerate() {
                if g == f || poly.is_empty() {
                    continue;
                }
                let side = |x: &P| pg.xyz().dot(x) - pg.w;
                if poly.iter().all(|x| side(x) <= 0.0) {
                    continue;
                }
                // Sutherland–Hodgman: keep the part where the side is ≤ 0.
                next.clear();
                for i in 0..poly.len() {
                    let (a, b) = (poly[i], poly[(i + 1) % poly.len()]);
                    let (sa, sb) = (side(&a), side(&b));
                    if sa <= 0.0 {
                        next.push(a);
                    }
                    if (sa <= 0.0) != (sb <= 0.0) {
                        next.push(a + (b - a) * (sa / (sa - sb)));
                    }
                }
                std::mem::swap(&mut poly, &mut next);
            }
            let on = |x: &P, g: usize| {
                let q = &planes[g];
                g != f && (q.xyz().dot(x) - q.w).abs() <= on_tol
            };
            // Every corner lies on other planes (none is left of the square).
            let closed =
                !poly.is_empty() && poly.iter().all(|x| (0..planes.len()).any(|g| on(x, g)));
            usable.push(closed);
            if closed {
                // The planes of its edges: both ends of a side on them.
                let k = poly.len();
                adj.extend(
                    (0..planes.len())
                        .filter(|&g| (0..k).any(|i| on(&poly[i], g) && on(&poly[(i + 1) % k], g)))
                        .map(|g| g as u32),
                );
            }
            offsets.push(adj.len() as u32);
        }
        Polytope {
            planes,
            offsets,
            adj,
            usable,
        }
    }

    /// The unit outward normal of face `f`.
    pub(crate) fn normal(&self, f: u32) -> P {
        self.planes[f as usize].xyz()
    }

    /// The face whose normal is most opposed to `dir`: where walks of rays along `dir` start.
    pub(crate) fn facing(&self, dir: &P) -> u32 {
        (0..self.planes.len())
            .filter(|&f| self.usable[f])
            .min_by(|&a, &b| {
                let along = |f: usize| self.planes[f].xyz().dot(dir);
                along(a).total_cmp(&along(b))
            })
            .unwrap_or(0) as u32
    }

    /// The planes bounding face `f`.
    fn bounding(&self, f: usize) -> &[u32] {
        &self.adj[self.offsets[f] as usize..self.offsets[f + 1] as usize]
    }

    /// Where the ray `ro + t rd` (`rd` unit) enters the polytope, if it does at some
    /// `0 < t < t_max`: the distance and the face entered. Tests every plane, and stops as soon
    /// as the interval between the last plane entered and the first one left is empty.
    pub(crate) fn scan(&self, ro: &P, rd: &P, t_max: f64) -> Option<(f64, u32)> {
        let mut t_in = f64::NEG_INFINITY;
        let mut t_out = t_max;
        let mut face = u32::MAX;
        for (i, p) in self.planes.iter().enumerate() {
            let n = p.xyz();
            // Inside where t·(n·rd) ≤ d − n·ro.
            let den = n.dot(rd);
            let num = p.w - n.dot(ro);
            if den < 0.0 {
                let t = num / den;
                if t > t_in {
                    t_in = t;
                    face = i as u32;
                }
            } else if den > 0.0 {
                t_out = t_out.min(num / den);
            } else if num < 0.0 {
                // Parallel to the plane and outside it.
                return None;
            }
            if t_in >= t_out {
                return None;
            }
        }
        (t_in > 0.0).then_some((t_in, face))
    }

    /// The same answer as [`Polytope::scan`], usually in a few steps from a nearby face `start`
    /// (where the previous ray of a row entered; updated).
    ///
    /// Where the ray crosses the plane of a face facing it, that point is the entry if it lies
    /// within all the planes bounding the face. If it lies beyond one facing away, the ray
    /// misses: before the crossing it is outside the first plane, after it outside the other.
    /// Otherwise it lies beyond a bounding plane facing the ray, which the ray crosses further
    /// on: the walk moves to that face (the one crossed furthest), so it never returns to a
    /// face, and stops once past `t_max`. It starts again from `fallback` if `start` does not
    /// face the ray, and scans every plane if neither does, the walk is long, or it reaches a
    /// face without a polygon.
    pub(crate) fn walk(
        &self,
        ro: &P,
        rd: &P,
        start: &mut u32,
        fallback: u32,
        t_max: f64,
    ) -> Option<(f64, u32)> {
        let facing = |f: u32| self.planes[f as usize].xyz().dot(rd) < -1e-9;
        let mut f = if facing(*start) {
            *start
        } else if facing(fallback) {
            fallback
        } else {
            return self.scan(ro, rd, t_max);
        };
        for _ in 0..MAX_STEPS {
            if !self.usable[f as usize] {
                break;
            }
            let p = &self.planes[f as usize];
            let t = (p.w - p.xyz().dot(ro)) / p.xyz().dot(rd);
            if t >= t_max {
                // Every face reached later is crossed further on.
                *start = f;
                return None;
            }
            let x = ro + rd * t;
            let (mut next, mut next_t) = (u32::MAX, t);
            for &g in self.bounding(f as usize) {
                let q = &self.planes[g as usize];
                let out = q.xyz().dot(&x) - q.w;
                if out <= ON_PLANE {
                    continue;
                }
                let dg = q.xyz().dot(rd);
                if dg >= 0.0 {
                    *start = f;
                    return None;
                }
                let tg = t - out / dg;
                if tg > next_t {
                    (next, next_t) = (g, tg);
                }
            }
            if next == u32::MAX {
                *start = f;
                return (t > 0.0).then_some((t, f));
            }
            f = next;
        }
        self.scan(ro, rd, t_max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mace_robot::{Obb, Pose};
    use nalgebra::Matrix3;

    fn v(x: f64, y: f64, z: f64) -> P {
        P::new(x, y, z)
    }

    #[test]
    fn a_cube_has_square_faces() {
        let planes: Vec<Vector4<f64>> = (0..6)
            .map(|k| {
                let mut n = [0.0; 3];
                n[k / 2] = if k % 2 == 0 { 1.0 } else { -1.0 };
                Vector4::new(n[0], n[1], n[2], 0.5)
            })
            .collect();
        let cube = Polytope::new(planes, &P::zeros(), 0.9);
        for f in 0..6 {
            assert!(cube.usable[f]);
            let mut b = cube.bounding(f).to_vec();
            b.sort_unstable();
            let opposite = (f ^ 1) as u32;
            assert_eq!(b.len(), 4, "{f}: {b:?}");
            assert!(
                !b.contains(&opposite) && !b.contains(&(f as u32)),
                "{f}: {b:?}"
            );
        }
        // Straight down onto the top face; from inside, nothing.
        let (t, f) = cube
            .scan(&v(0.1, 0.2, 3.0), &v(0.0, 0.0, -1.0), 10.0)
            .unwrap();
        assert!((t - 2.5).abs() < 1e-12 && cube.normal(f).z > 0.99);
        let mut start = cube.facing(&v(0.0, 0.0, -1.0));
        let walked = cube.walk(&v(0.1, 0.2, 3.0), &v(0.0, 0.0, -1.0), &mut start, 0, 10.0);
        assert_eq!(walked, Some((t, f)));
        assert!(cube.scan(&P::zeros(), &v(1.0, 0.0, 0.0), 10.0).is_none());
        assert!(cube
            .scan(&v(0.1, 0.2, 3.0), &v(0.0, 0.0, -1.0), 2.0)
            .is_none());
    }

    /// A ray in the world as a ray in the frame of `pose`.
    fn into_frame(pose: &Pose, ro: &P, rd: &P) -> (P, P) {
        let r = Matrix3::from_fn(|i, j| f64::from(pose.rot[i][j]));
        let t = P::from(pose.trans.map(f64::from));
        (r.tr_mul(&(ro - t)), r.tr_mul(rd))
    }

    #[test]
    fn a_box_hull_matches_the_slab_test() {
        // A tilted box as the hull of its corners, placed by a pose: the plane test (in the box
        // frame) must agree with the slab test of the same box, in distance and normal.
        let half = [0.3f32, 0.2, 0.1];
        let corners: Vec<[f32; 3]> = (0..8)
            .map(|k| {
                let s = |bit: usize| if k >> bit & 1 == 1 { 1.0 } else { -1.0 };
                [s(0) * half[0], s(1) * half[1], s(2) * half[2]]
            })
            .collect();
        let hull = mace_robot::ConvexHull::new(&corners, 0.0).unwrap();
        let poly = Polytope::of_hull(&hull);
        assert_eq!(poly.planes.len(), 6);
        let pose = Pose::from_xyz_rpy([0.4, -0.1, 0.3], [0.3, -0.2, 0.7]);
        let rot = Matrix3::from_fn(|i, j| f64::from(pose.rot[i][j]));
        let obb = Obb { pose, half };
        let eye = v(-1.0, -1.5, 1.2);
        let (mut hits, mut misses) = (0, 0);
        for i in 0..40 {
            for j in 0..40 {
                let target = v(0.4, -0.1, 0.3) + v(i as f64 - 20.0, 0.0, j as f64 - 20.0) * 0.025;
                let rd = (target - eye).normalize();
                let slab = crate::raycast::ray_obb(&eye.cast(), &rd.cast(), &obb);
                let (o, d) = into_frame(&pose, &eye, &rd);
                let mut start = poly.facing(&d);
                match (slab, poly.walk(&o, &d, &mut start, 0, f64::INFINITY)) {
                    (Some((h, _)), Some((t, f))) => {
                        assert!((f64::from(h.t) - t).abs() < 1e-4, "{} vs {t}", h.t);
                        let n = rot * poly.normal(f);
                        assert!((n - h.normal.cast()).norm() < 1e-4, "{n:?} vs {h:?}");
                        hits += 1;
                    }
                    (None, None) => misses += 1,
                    (s, p) => panic!("slab {s:?} vs planes {p:?}"),
                }
            }
        }
        assert!(hits > 100 && misses > 100, "{hits} hits, {misses} misses");
    }

    #[test]
    fn walking_finds_what_the_scan_finds() {
        // Every Panda hull seen from outside through a grid of rays: the walk (with the row's
        // running start face, as the renderer uses it) and the scan of all planes agree on hit
        // or miss and on the distance, also when a nearer bound cuts the rays short.
        let chain = mace_robot::KinematicChain::panda();
        let eye = v(-0.6, -1.1, 0.5);
        let mut checked = 0;
        for link in chain.links() {
            for h in link.collision.iter().filter_map(|s| s.hull()) {
                let poly = Polytope::of_hull(h);
                assert!(poly.usable.iter().filter(|&&u| u).count() * 10 > poly.planes.len() * 9);
                let n = h.vertices().count() as f64;
                let centre = h
                    .vertices()
                    .fold(P::zeros(), |s, p| s + P::from(p.map(f64::from)) / n);
                let radius = h
                    .vertices()
                    .map(|p| (P::from(p.map(f64::from)) - centre).norm())
                    .fold(0.0, f64::max);
                // Rays spread a little beyond the hull's outline.
                let spread = 2.5 * radius / (centre - eye).norm();
                let forward = (centre - eye).normalize();
                let right = forward.cross(&P::z()).normalize();
                let up = right.cross(&forward);
                let start = poly.facing(&forward);
                let (mut hits, mut misses) = (0, 0);
                for row in 0..80 {
                    let mut from = start;
                    for col in 0..80 {
                        let (x, y) = (col as f64 / 79.0 - 0.5, row as f64 / 79.0 - 0.5);
                        let rd = (forward + (right * x + up * y) * spread).normalize();
                        let t_cut = (centre - eye).norm();
                        for t_max in [f64::INFINITY, t_cut] {
                            let scan = poly.scan(&eye, &rd, t_max);
                            let walk = poly.walk(&eye, &rd, &mut from, start, t_max);
                            match (scan, walk) {
                                (Some((a, _)), Some((b, _))) => {
                                    assert!((a - b).abs() < 1e-9, "{}: {a} vs {b}", link.name);
                                    hits += 1;
                                }
                                (None, None) => misses += 1,
                                (a, b) => panic!("{}: scan {a:?}, walk {b:?}", link.name),
                            }
                        }
                    }
                }
                assert!(
                    hits > 1000 && misses > 1000,
                    "{}: {hits} / {misses}",
                    link.name
                );
                checked += 1;
            }
        }
        assert_eq!(checked, 11);
    }
}
