//! Ray intersections with the shapes of the robot pictures: capsules (robot links and the target
//! ball), oriented boxes (obstacles) and the ground plane `z = 0`. Mesh links are convex polytopes
//! ([`crate::polytope`]).
//!
//! Rays have a unit direction; hits report the distance `t > 0` along the ray (metres) and the
//! unit outward surface normal there. A ray starting inside a shape does not hit it.

use mace_robot::{Capsule, Obb};
use nalgebra::{Matrix3, Vector3};

use crate::camera::normalize;

/// A point or direction (metres).
type V3 = Vector3<f32>;

/// Where a ray meets a surface.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Hit {
    /// Distance along the ray, metres.
    pub(crate) t: f32,
    /// Unit outward normal at the hit point.
    pub(crate) normal: V3,
}

/// First hit of the ray `ro + t rd` (`rd` unit) with a sphere.
pub(crate) fn ray_sphere(ro: &V3, rd: &V3, centre: &V3, r: f32) -> Option<Hit> {
    let t = ray_sphere_t(ro, rd, centre, r)?;
    Some(Hit {
        t,
        normal: normalize(ro + rd * t - centre),
    })
}

#[inline]
fn ray_sphere_t(ro: &V3, rd: &V3, centre: &V3, r: f32) -> Option<f32> {
    let oc = ro - centre;
    let b = rd.dot(&oc);
    let c = oc.dot(&oc) - r * r;
    let h = b * b - c;
    if h < 0.0 {
        return None;
    }
    let t = -b - h.sqrt();
    (t > 0.0).then_some(t)
}

/// First hit of the ray with a capsule (world frame).
#[cfg(test)]
pub(crate) fn ray_capsule(ro: &V3, rd: &V3, c: &Capsule) -> Option<Hit> {
    let t = ray_capsule_t(ro, rd, c)?;
    Some(Hit {
        t,
        normal: capsule_normal(c, &(ro + rd * t)),
    })
}

/// Distance along the ray to its first hit with a capsule (world frame), without the normal (the
/// hot path), after Inigo Quilez's analytic capsule intersection: the infinite cylinder first,
/// then the end sphere on the side it was hit.
#[inline]
pub(crate) fn ray_capsule_t(ro: &V3, rd: &V3, c: &Capsule) -> Option<f32> {
    let (a, b, r) = (V3::from(c.a), V3::from(c.b), c.radius);
    let ba = b - a;
    let oa = ro - a;
    let baba = ba.dot(&ba);
    let bard = ba.dot(rd);
    let baoa = ba.dot(&oa);
    let k2 = baba - bard * bard;
    if baba < 1e-12 || k2 < 1e-9 * baba {
        // A sphere, or a ray along the axis: the nearer end sphere is what it meets first.
        let ta = ray_sphere_t(ro, rd, &a, r);
        let tb = ray_sphere_t(ro, rd, &b, r);
        return match (ta, tb) {
            (Some(x), Some(y)) => Some(x.min(y)),
            (x, y) => x.or(y),
        };
    }
    let rdoa = rd.dot(&oa);
    let oaoa = oa.dot(&oa);
    let k1 = baba * rdoa - baoa * bard;
    let k0 = baba * oaoa - baoa * baoa - r * r * baba;
    let h = k1 * k1 - k2 * k0;
    if h < 0.0 {
        return None;
    }
    let t = (-k1 - h.sqrt()) / k2;
    let y = baoa + t * bard;
    if y > 0.0 && y < baba {
        return (t > 0.0).then_some(t);
    }
    let end = if y <= 0.0 { a } else { b };
    ray_sphere_t(ro, rd, &end, r)
}

/// Unit outward normal of a capsule at a point `p` on its surface.
pub(crate) fn capsule_normal(c: &Capsule, p: &V3) -> V3 {
    let (a, b) = (V3::from(c.a), V3::from(c.b));
    let ba = b - a;
    let pa = p - a;
    let baba = ba.dot(&ba);
    let h = if baba > 1e-12 {
        (pa.dot(&ba) / baba).clamp(0.0, 1.0)
    } else {
        0.0
    };
    normalize(pa - ba * h)
}

/// First hit of the ray with an oriented box (slab test in the box frame); the normal is that of
/// the face entered. Also returns the hit point in the box frame (for edge outlines).
pub(crate) fn ray_obb(ro: &V3, rd: &V3, obb: &Obb) -> Option<(Hit, V3)> {
    let rot = Matrix3::from_fn(|i, j| obb.pose.rot[i][j]);
    // Box frame: p' = Rᵀ (p − c).
    let o = rot.tr_mul(&(ro - V3::from(obb.pose.trans)));
    let d = rot.tr_mul(rd);
    let h = obb.half;
    let mut t_near = f32::NEG_INFINITY;
    let mut t_far = f32::INFINITY;
    let mut axis = 0usize;
    let mut sign = 1.0f32;
    for k in 0..3 {
        if d[k].abs() < 1e-12 {
            if o[k].abs() > h[k] {
                return None;
            }
            continue;
        }
        let inv_d = 1.0 / d[k];
        let t1 = (-h[k] - o[k]) * inv_d;
        let t2 = (h[k] - o[k]) * inv_d;
        let (lo, hi) = if t1 < t2 { (t1, t2) } else { (t2, t1) };
        if lo > t_near {
            t_near = lo;
            axis = k;
            // Entering through the face whose normal opposes the ray along this axis.
            sign = if d[k] > 0.0 { -1.0 } else { 1.0 };
        }
        t_far = t_far.min(hi);
    }
    if t_near > t_far || t_near <= 0.0 {
        return None;
    }
    let normal = rot.column(axis) * sign;
    let local = o + d * t_near;
    Some((Hit { t: t_near, normal }, local))
}

/// Whether the ray `ro + t rd`, `t > 0`, meets any of `boxes` (shadow test).
pub(crate) fn ray_hits_any(ro: &V3, rd: &V3, boxes: &[Obb]) -> bool {
    boxes.iter().any(|b| ray_obb(ro, rd, b).is_some())
}

/// First hit of the ray with the ground plane `z = 0` from above.
pub(crate) fn ray_ground(ro: &V3, rd: &V3) -> Option<Hit> {
    if rd.z >= -1e-9 || ro.z <= 0.0 {
        return None;
    }
    Some(Hit {
        t: -ro.z / rd.z,
        normal: V3::z(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use mace_robot::Pose;

    fn v(x: f32, y: f32, z: f32) -> V3 {
        V3::new(x, y, z)
    }

    #[test]
    fn capsule_hits_body_and_caps() {
        let c = Capsule {
            a: [0.0, 0.0, 0.0],
            b: [1.0, 0.0, 0.0],
            radius: 0.1,
        };
        // Straight down onto the body.
        let h = ray_capsule(&v(0.5, 0.0, 2.0), &v(0.0, 0.0, -1.0), &c).unwrap();
        assert!((h.t - 1.9).abs() < 1e-5, "{h:?}");
        assert!((h.normal.z - 1.0).abs() < 1e-5);
        // Along the axis: the end cap at x = -0.1.
        let h = ray_capsule(&v(-2.0, 0.0, 0.0), &v(1.0, 0.0, 0.0), &c).unwrap();
        assert!((h.t - 1.9).abs() < 1e-5, "{h:?}");
        // Onto the far cap's sphere, beyond the body.
        let h = ray_capsule(&v(1.05, 0.0, 2.0), &v(0.0, 0.0, -1.0), &c).unwrap();
        let expect = 2.0 - (0.01f32 - 0.0025).sqrt();
        assert!((h.t - expect).abs() < 1e-4, "{h:?}");
        // Misses.
        assert!(ray_capsule(&v(1.2, 0.0, 2.0), &v(0.0, 0.0, -1.0), &c).is_none());
        assert!(ray_capsule(&v(0.5, 0.0, 2.0), &v(0.0, 0.0, 1.0), &c).is_none());
        // A sphere.
        let s = Capsule::sphere([0.0, 0.0, 0.0], 0.5);
        let h = ray_capsule(&v(0.0, -3.0, 0.0), &v(0.0, 1.0, 0.0), &s).unwrap();
        assert!((h.t - 2.5).abs() < 1e-5);
    }

    #[test]
    fn rotated_box_and_ground() {
        let b = Obb {
            pose: Pose::from_xyz_rpy([1.0, 0.0, 0.0], [0.0, 0.0, std::f64::consts::FRAC_PI_4]),
            half: [0.5, 0.5, 0.5],
        };
        // Along -x from far: the yawed box's corner reaches x = 1 + 0.5·√2.
        let (h, _) = ray_obb(&v(5.0, 0.0, 0.0), &v(-1.0, 0.0, 0.0), &b).unwrap();
        assert!(
            (h.t - (4.0 - 0.5 * std::f32::consts::SQRT_2)).abs() < 1e-4,
            "{h:?}"
        );
        assert!(h.normal.x > 0.0);
        assert!(ray_obb(&v(5.0, 2.0, 0.0), &v(-1.0, 0.0, 0.0), &b).is_none());
        assert!(ray_hits_any(&v(1.0, 0.0, 3.0), &v(0.0, 0.0, -1.0), &[b]));
        let g = ray_ground(&v(0.0, 0.0, 2.0), &v(1.0, 0.0, -1.0).normalize()).unwrap();
        assert!((g.t - 2.0 * std::f32::consts::SQRT_2).abs() < 1e-4);
        assert!(ray_ground(&v(0.0, 0.0, 2.0), &v(0.0, 0.0, 1.0)).is_none());
    }
}
