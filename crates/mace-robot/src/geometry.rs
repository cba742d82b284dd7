//! Collision primitives and their distance kernels: capsules (robot links, and the broad phase of
//! mesh hulls), oriented boxes (obstacles), and the exact distances between them.
//!
//! A [`Capsule`] is a segment swept by a sphere: a sphere is a capsule whose segment has zero
//! length. All distances are **signed**, in metres:
//! positive = gap, negative = penetration depth (for capsule–box the negative value is exact
//! inside the box's Minkowski sum with the sphere, as for a signed distance field).

use crate::math::{add, dot, norm, scale, sub, Pose, Vec3};

/// A capsule: the set of points within `radius` of the segment `a`–`b` (metres, link frame).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Capsule {
    /// First end of the axis segment, metres.
    pub a: Vec3,
    /// Second end of the axis segment, metres.
    pub b: Vec3,
    /// Radius, metres.
    pub radius: f32,
}

impl Capsule {
    /// A sphere of `radius` at `center` (a capsule of zero length).
    pub fn sphere(center: Vec3, radius: f32) -> Capsule {
        Capsule {
            a: center,
            b: center,
            radius,
        }
    }

    /// The capsule moved by `pose` (segment transformed, radius unchanged).
    #[inline]
    pub fn transformed(&self, pose: &Pose) -> Capsule {
        Capsule {
            a: pose.transform_point(self.a),
            b: pose.transform_point(self.b),
            radius: self.radius,
        }
    }

    /// A sphere `(center, radius)` enclosing the capsule.
    pub fn bounding_sphere(&self) -> (Vec3, f32) {
        let c = scale(add(self.a, self.b), 0.5);
        (c, 0.5 * norm(sub(self.b, self.a)) + self.radius)
    }

    /// Lowest `z` of the capsule, metres (its signed distance to the ground plane `z = 0`).
    #[inline]
    pub fn min_z(&self) -> f32 {
        self.a[2].min(self.b[2]) - self.radius
    }
}

/// An oriented box: centre and rotation given by `pose`, half edge lengths `half` (metres).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Obb {
    /// Box frame in the world: its origin is the box centre.
    pub pose: Pose,
    /// Half edge lengths along the box's own x, y, z axes, metres.
    pub half: Vec3,
}

impl Obb {
    /// Radius of the sphere about the centre that encloses the box, metres.
    pub fn bounding_radius(&self) -> f32 {
        norm(self.half)
    }

    /// Signed distance from a world point to the box, metres (negative inside).
    #[inline]
    pub fn signed_distance_point(&self, p: Vec3) -> f32 {
        sd_aabb(self.pose.inverse_transform_point(p), self.half)
    }

    /// Signed distance between the box and a world-frame capsule, metres.
    pub fn signed_distance_capsule(&self, c: &Capsule) -> f32 {
        let p0 = self.pose.inverse_transform_point(c.a);
        let p1 = self.pose.inverse_transform_point(c.b);
        segment_aabb_signed_distance(p0, p1, self.half, 0.0, 1.0) - c.radius
    }

    /// Whether the box and a world-frame capsule overlap (signed distance < 0); cheaper than
    /// [`Obb::signed_distance_capsule`]: the segment is first clipped to the box grown by the radius.
    pub fn intersects_capsule(&self, c: &Capsule) -> bool {
        let p0 = self.pose.inverse_transform_point(c.a);
        let p1 = self.pose.inverse_transform_point(c.b);
        let r = c.radius;
        let grown = [self.half[0] + r, self.half[1] + r, self.half[2] + r];
        let Some((t0, t1)) = clip_segment_aabb(p0, p1, grown) else {
            return false;
        };
        let d = sub(p1, p0);
        let at = |t: f32| add(p0, scale(d, t));
        if sd_aabb(at(t0), self.half) < r || sd_aabb(at(t1), self.half) < r {
            return true;
        }
        segment_aabb_below(p0, p1, self.half, t0, t1, r)
    }
}

/// Signed distance from point `p` to the axis-aligned box `[-h, h]` (metres, negative inside).
#[inline]
pub fn sd_aabb(p: Vec3, h: Vec3) -> f32 {
    let q = [p[0].abs() - h[0], p[1].abs() - h[1], p[2].abs() - h[2]];
    let outside = [q[0].max(0.0), q[1].max(0.0), q[2].max(0.0)];
    norm(outside) + q[0].max(q[1]).max(q[2]).min(0.0)
}

/// The parameter interval `[t0, t1] ⊂ [0, 1]` where the segment `p0 + t (p1 − p0)` lies inside the
/// box `[-h, h]`, or `None` (slab test).
#[inline]
pub fn clip_segment_aabb(p0: Vec3, p1: Vec3, h: Vec3) -> Option<(f32, f32)> {
    let d = sub(p1, p0);
    let mut t0 = 0.0f32;
    let mut t1 = 1.0f32;
    for k in 0..3 {
        if d[k].abs() < 1e-12 {
            if p0[k].abs() > h[k] {
                return None;
            }
        } else {
            let inv = 1.0 / d[k];
            let mut ta = (-h[k] - p0[k]) * inv;
            let mut tb = (h[k] - p0[k]) * inv;
            if ta > tb {
                std::mem::swap(&mut ta, &mut tb);
            }
            t0 = t0.max(ta);
            t1 = t1.min(tb);
            if t0 > t1 {
                return None;
            }
        }
    }
    Some((t0, t1))
}

/// Minimum over `t ∈ [lo, hi]` of the signed distance from `p0 + t (p1 − p0)` to the box `[-h, h]`.
///
/// The signed distance of a convex set is convex along a line, so a golden-section search finds
/// the minimum; 28 steps shrink the interval below 2e-6 of the segment length.
pub fn segment_aabb_signed_distance(p0: Vec3, p1: Vec3, h: Vec3, lo: f32, hi: f32) -> f32 {
    let d = sub(p1, p0);
    let f = |t: f32| sd_aabb(add(p0, scale(d, t)), h);
    if dot(d, d) < 1e-14 {
        return f(lo);
    }
    golden_min(f, lo, hi, f32::NEG_INFINITY)
}

/// Whether some `t ∈ [lo, hi]` has `sd(p0 + t (p1 − p0)) < r` (box `[-h, h]`): the search of
/// [`segment_aabb_signed_distance`], stopping at the first point below `r`.
pub fn segment_aabb_below(p0: Vec3, p1: Vec3, h: Vec3, lo: f32, hi: f32, r: f32) -> bool {
    let d = sub(p1, p0);
    golden_min(|t: f32| sd_aabb(add(p0, scale(d, t)), h), lo, hi, r) < r
}

/// Golden-section search for the minimum of a convex `f` on `[lo, hi]`: 28 steps bring the
/// bracket within 2e-6 of the interval's length of the minimiser (an endpoint included); returns
/// early with the first value found below `stop`.
#[inline]
fn golden_min(f: impl Fn(f32) -> f32, lo: f32, hi: f32, stop: f32) -> f32 {
    const G: f32 = 0.618_034;
    let (mut a, mut b) = (lo, hi);
    let mut x1 = b - G * (b - a);
    let mut x2 = a + G * (b - a);
    let mut f1 = f(x1);
    let mut f2 = f(x2);
    for _ in 0..28 {
        if f1.min(f2) < stop {
            return f1.min(f2);
        }
        if f1 < f2 {
            b = x2;
            x2 = x1;
            f2 = f1;
            x1 = b - G * (b - a);
            f1 = f(x1);
        } else {
            a = x1;
            x1 = x2;
            f1 = f2;
            x2 = a + G * (b - a);
            f2 = f(x2);
        }
    }
    f1.min(f2)
}

/// Squared distance between segments `p1–q1` and `p2–q2` (Ericson, *Real-Time Collision
/// Detection*, §5.1.9), metres².
#[inline]
pub fn segment_segment_dist2(p1: Vec3, q1: Vec3, p2: Vec3, q2: Vec3) -> f32 {
    const EPS: f32 = 1e-12;
    let d1 = sub(q1, p1);
    let d2 = sub(q2, p2);
    let r = sub(p1, p2);
    let a = dot(d1, d1);
    let e = dot(d2, d2);
    let f = dot(d2, r);
    let (s, t);
    if a <= EPS && e <= EPS {
        return dot(r, r);
    }
    if a <= EPS {
        s = 0.0;
        t = (f / e).clamp(0.0, 1.0);
    } else {
        let c = dot(d1, r);
        if e <= EPS {
            t = 0.0;
            s = (-c / a).clamp(0.0, 1.0);
        } else {
            let b = dot(d1, d2);
            let denom = a * e - b * b;
            let mut s0 = if denom > EPS {
                ((b * f - c * e) / denom).clamp(0.0, 1.0)
            } else {
                0.0
            };
            let mut t0 = (b * s0 + f) / e;
            if t0 < 0.0 {
                t0 = 0.0;
                s0 = (-c / a).clamp(0.0, 1.0);
            } else if t0 > 1.0 {
                t0 = 1.0;
                s0 = ((b - c) / a).clamp(0.0, 1.0);
            }
            s = s0;
            t = t0;
        }
    }
    let c1 = add(p1, scale(d1, s));
    let c2 = add(p2, scale(d2, t));
    let w = sub(c1, c2);
    dot(w, w)
}

/// Signed distance between two world-frame capsules, metres.
#[inline]
pub fn capsule_capsule_signed_distance(x: &Capsule, y: &Capsule) -> f32 {
    segment_segment_dist2(x.a, x.b, y.a, y.b).sqrt() - x.radius - y.radius
}

/// Whether two world-frame capsules overlap (signed distance < 0), without a square root.
#[inline]
pub fn capsules_intersect(x: &Capsule, y: &Capsule) -> bool {
    let r = x.radius + y.radius;
    segment_segment_dist2(x.a, x.b, y.a, y.b) < r * r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segment_distances() {
        // Parallel segments 1 m apart.
        let d2 = segment_segment_dist2(
            [0.0, 0.0, 0.0],
            [1.0, 0.0, 0.0],
            [0.0, 1.0, 0.0],
            [1.0, 1.0, 0.0],
        );
        assert!((d2 - 1.0).abs() < 1e-6);
        // Crossing segments, 0.5 apart in z.
        let d2 = segment_segment_dist2(
            [-1.0, 0.0, 0.0],
            [1.0, 0.0, 0.0],
            [0.0, -1.0, 0.5],
            [0.0, 1.0, 0.5],
        );
        assert!((d2 - 0.25).abs() < 1e-6);
        // Point vs segment.
        let d2 = segment_segment_dist2(
            [2.0, 0.0, 0.0],
            [2.0, 0.0, 0.0],
            [0.0, 0.0, 0.0],
            [1.0, 0.0, 0.0],
        );
        assert!((d2 - 1.0).abs() < 1e-6);
    }

    #[test]
    fn box_distances() {
        let b = Obb {
            pose: Pose::IDENTITY,
            half: [0.5, 0.5, 0.5],
        };
        assert!((b.signed_distance_point([1.5, 0.0, 0.0]) - 1.0).abs() < 1e-6);
        assert!((b.signed_distance_point([0.0, 0.0, 0.0]) + 0.5).abs() < 1e-6);
        // Capsule passing above the box at height 1, radius 0.2: distance 0.3.
        let c = Capsule {
            a: [-2.0, 0.0, 1.0],
            b: [2.0, 0.0, 1.0],
            radius: 0.2,
        };
        assert!((b.signed_distance_capsule(&c) - 0.3).abs() < 1e-5);
        assert!(!b.intersects_capsule(&c));
        // Capsule through the box.
        let c = Capsule {
            a: [-2.0, 0.1, 0.0],
            b: [2.0, 0.1, 0.0],
            radius: 0.01,
        };
        assert!(b.signed_distance_capsule(&c) < -0.3);
        assert!(b.intersects_capsule(&c));
        // Near a corner, diagonal.
        let c = Capsule {
            a: [1.0, 1.0, -1.0],
            b: [1.0, 1.0, 1.0],
            radius: 0.6,
        };
        let expect = (0.5f32 * 0.5 * 2.0).sqrt() - 0.6;
        assert!((b.signed_distance_capsule(&c) - expect).abs() < 1e-5);
        assert_eq!(b.intersects_capsule(&c), expect < 0.0);
    }

    #[test]
    fn rotated_box() {
        // Box yawed by 45°: its corner reaches x = 0.5·√2.
        let pose = Pose::from_xyz_rpy([0.0; 3], [0.0, 0.0, std::f64::consts::FRAC_PI_4]);
        let b = Obb {
            pose,
            half: [0.5, 0.5, 0.5],
        };
        let d = b.signed_distance_point([1.0, 0.0, 0.0]);
        assert!((d - (1.0 - 0.5 * std::f32::consts::SQRT_2)).abs() < 1e-5);
    }
}
