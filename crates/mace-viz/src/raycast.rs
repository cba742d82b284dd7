//! Ray intersections with the shapes of the robot pictures: capsules (robot links, capsule
//! obstacles), spheres (the target ball, sphere obstacles, the points of a cloud), oriented boxes
//! and cylinders (obstacles), triangles (mesh obstacles; [`crate::bvh`] finds the few a ray may
//! meet) and the ground plane `z = 0`. Mesh links are convex polytopes ([`crate::polytope`]).
//!
//! Rays have a unit direction; hits report the distance `t > 0` along the ray (metres) and the
//! unit outward surface normal there. A ray starting inside a solid does not hit it; triangles
//! are two-sided.

use mace_robot::{Capsule, Obb, Pose};
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
pub(crate) fn ray_sphere_t(ro: &V3, rd: &V3, centre: &V3, r: f32) -> Option<f32> {
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

/// First hit of the ray with a solid cylinder of `radius` and `length` along the local z axis of
/// `pose`, centred at its origin: the side (an infinite cylinder) clipped by the slab of the two
/// flat ends, as the slab test of a box; the normal is that of the side or end entered.
pub(crate) fn ray_cylinder(ro: &V3, rd: &V3, pose: &Pose, radius: f32, length: f32) -> Option<Hit> {
    let rot = Matrix3::from_fn(|i, j| pose.rot[i][j]);
    let o = rot.tr_mul(&(ro - V3::from(pose.trans)));
    let d = rot.tr_mul(rd);
    let half = 0.5 * length;
    // The side: |o + t d|² = r² in the xy plane.
    let a = d.x * d.x + d.y * d.y;
    let b = o.x * d.x + o.y * d.y;
    let c = o.x * o.x + o.y * o.y - radius * radius;
    let (side_in, side_out) = if a < 1e-12 {
        // Along the axis: inside the side for all t, or never.
        if c > 0.0 {
            return None;
        }
        (f32::NEG_INFINITY, f32::INFINITY)
    } else {
        let h = b * b - a * c;
        if h < 0.0 {
            return None;
        }
        let h = h.sqrt();
        ((-b - h) / a, (-b + h) / a)
    };
    // The ends: |o.z + t d.z| ≤ half.
    let (end_in, end_out) = if d.z.abs() < 1e-12 {
        if o.z.abs() > half {
            return None;
        }
        (f32::NEG_INFINITY, f32::INFINITY)
    } else {
        let t1 = (-half - o.z) / d.z;
        let t2 = (half - o.z) / d.z;
        (t1.min(t2), t1.max(t2))
    };
    let t_in = side_in.max(end_in);
    if t_in > side_out.min(end_out) || t_in <= 0.0 {
        return None;
    }
    let local = if end_in >= side_in {
        V3::new(0.0, 0.0, -d.z.signum())
    } else {
        let p = o + d * t_in;
        normalize(V3::new(p.x, p.y, 0.0))
    };
    Some(Hit {
        t: t_in,
        normal: rot * local,
    })
}

/// Distance along the ray to a triangle (either side), after Möller and Trumbore: the hit's
/// barycentric coordinates and distance from one 3 × 3 solve by Cramer's rule.
#[inline]
pub(crate) fn ray_triangle_t(ro: &V3, rd: &V3, tri: &[V3; 3]) -> Option<f32> {
    let e1 = tri[1] - tri[0];
    let e2 = tri[2] - tri[0];
    let p = rd.cross(&e2);
    let det = e1.dot(&p);
    if det == 0.0 || !det.is_finite() {
        return None;
    }
    let inv = 1.0 / det;
    let s = ro - tri[0];
    let u = s.dot(&p) * inv;
    if !(0.0..=1.0).contains(&u) {
        return None;
    }
    let q = s.cross(&e1);
    let v = rd.dot(&q) * inv;
    if v < 0.0 || u + v > 1.0 {
        return None;
    }
    let t = e2.dot(&q) * inv;
    (t > 1e-7).then_some(t)
}

/// The unit normal of a triangle on the side the ray comes from.
pub(crate) fn triangle_normal(rd: &V3, tri: &[V3; 3]) -> V3 {
    let n = normalize((tri[1] - tri[0]).cross(&(tri[2] - tri[0])));
    if n.dot(rd) > 0.0 {
        -n
    } else {
        n
    }
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

    #[test]
    fn capsule_obstacle_along_a_tilted_axis() {
        // A capsule obstacle (axis local z, centred, length 0.6, radius 0.1) tilted 90° about x:
        // its axis runs along world −y..y at (0.5, 0, 0.3).
        let pose = Pose::from_xyz_rpy([0.5, 0.0, 0.3], [std::f64::consts::FRAC_PI_2, 0.0, 0.0]);
        let c = Capsule {
            a: pose.transform_point([0.0, 0.0, -0.3]),
            b: pose.transform_point([0.0, 0.0, 0.3]),
            radius: 0.1,
        };
        // Down onto the body at y = 0.2: the top at z = 0.4.
        let h = ray_capsule(&v(0.5, 0.2, 1.0), &v(0.0, 0.0, -1.0), &c).unwrap();
        assert!((h.t - 0.6).abs() < 1e-5, "{h:?}");
        assert!((h.normal - V3::z()).norm() < 1e-5);
        // Along −y into the cap: its tip at y = 0.3 + 0.1.
        let h = ray_capsule(&v(0.5, 2.0, 0.3), &v(0.0, -1.0, 0.0), &c).unwrap();
        assert!((h.t - 1.6).abs() < 1e-5, "{h:?}");
        assert!((h.normal - V3::y()).norm() < 1e-4);
        // Down at y = 0.35 meets the cap's ball off its top: z = 0.3 + √(0.1² − 0.05²).
        let h = ray_capsule(&v(0.5, 0.35, 1.0), &v(0.0, 0.0, -1.0), &c).unwrap();
        assert!((h.t - (0.7 - 0.0075f32.sqrt())).abs() < 1e-5, "{h:?}");
        // Down at y = 0.45 misses (beyond the cap).
        assert!(ray_capsule(&v(0.5, 0.45, 1.0), &v(0.0, 0.0, -1.0), &c).is_none());
    }

    #[test]
    fn cylinder_sides_and_ends() {
        // Radius 0.1, length 0.4 along z, centred at (1, 0, 0.5).
        let pose = Pose::from_translation([1.0, 0.0, 0.5]);
        // From the side along −x: the side at x = 1.1, normal +x.
        let h = ray_cylinder(&v(3.0, 0.0, 0.6), &v(-1.0, 0.0, 0.0), &pose, 0.1, 0.4).unwrap();
        assert!((h.t - 1.9).abs() < 1e-5, "{h:?}");
        assert!((h.normal - V3::x()).norm() < 1e-5);
        // Off-centre from the side: x = 1 + √(0.1² − 0.06²) = 1.08.
        let h = ray_cylinder(&v(3.0, 0.06, 0.5), &v(-1.0, 0.0, 0.0), &pose, 0.1, 0.4).unwrap();
        assert!((h.t - 1.92).abs() < 1e-5, "{h:?}");
        assert!((h.normal - V3::new(0.8, 0.6, 0.0)).norm() < 1e-4, "{h:?}");
        // Straight down (along the axis) onto the top end at z = 0.7, normal +z.
        let h = ray_cylinder(&v(1.05, 0.0, 2.0), &v(0.0, 0.0, -1.0), &pose, 0.1, 0.4).unwrap();
        assert!((h.t - 1.3).abs() < 1e-5, "{h:?}");
        assert!((h.normal - V3::z()).norm() < 1e-5);
        // Slanting down at 45° across the top rim: the end at z = 0.7 where x = 1.05 ...
        let d = v(1.0, 0.0, -1.0).normalize();
        let h = ray_cylinder(&v(0.35, 0.0, 1.4), &d, &pose, 0.1, 0.4).unwrap();
        assert!((h.t - 0.7 * std::f32::consts::SQRT_2).abs() < 1e-5, "{h:?}");
        assert!((h.normal - V3::z()).norm() < 1e-5);
        // ... and just below the rim the side at x = 0.9, z = 0.65.
        let h = ray_cylinder(&v(0.15, 0.0, 1.4), &d, &pose, 0.1, 0.4).unwrap();
        assert!(
            (h.t - 0.75 * std::f32::consts::SQRT_2).abs() < 1e-5,
            "{h:?}"
        );
        assert!((h.normal + V3::x()).norm() < 1e-5);
        // Misses: beside it, above its end, pointing away, and from inside.
        assert!(ray_cylinder(&v(3.0, 0.2, 0.5), &v(-1.0, 0.0, 0.0), &pose, 0.1, 0.4).is_none());
        assert!(ray_cylinder(&v(3.0, 0.0, 0.75), &v(-1.0, 0.0, 0.0), &pose, 0.1, 0.4).is_none());
        assert!(ray_cylinder(&v(3.0, 0.0, 0.5), &v(1.0, 0.0, 0.0), &pose, 0.1, 0.4).is_none());
        assert!(ray_cylinder(&v(1.0, 0.0, 0.5), &v(1.0, 0.0, 0.0), &pose, 0.1, 0.4).is_none());
        // Tilted 90° about y: the axis along world x, so a ray down the x axis meets the end at
        // x = 1.2 with normal +x.
        let pose = Pose::from_xyz_rpy([1.0, 0.0, 0.5], [0.0, std::f64::consts::FRAC_PI_2, 0.0]);
        let h = ray_cylinder(&v(3.0, 0.0, 0.5), &v(-1.0, 0.0, 0.0), &pose, 0.1, 0.4).unwrap();
        assert!((h.t - 1.8).abs() < 1e-5, "{h:?}");
        assert!((h.normal - V3::x()).norm() < 1e-5, "{h:?}");
    }

    #[test]
    fn triangles_from_either_side() {
        let tri = [v(0.0, 0.0, 1.0), v(1.0, 0.0, 1.0), v(0.0, 1.0, 1.0)];
        // Down through (0.2, 0.3): t = 1, normal up (towards the ray's origin).
        let t = ray_triangle_t(&v(0.2, 0.3, 2.0), &v(0.0, 0.0, -1.0), &tri).unwrap();
        assert!((t - 1.0).abs() < 1e-6, "{t}");
        assert_eq!(triangle_normal(&v(0.0, 0.0, -1.0), &tri), V3::z());
        // From below: the same plane, the normal down.
        let t = ray_triangle_t(&v(0.2, 0.3, -1.0), &v(0.0, 0.0, 1.0), &tri).unwrap();
        assert!((t - 2.0).abs() < 1e-6, "{t}");
        assert_eq!(triangle_normal(&v(0.0, 0.0, 1.0), &tri), -V3::z());
        // Slanting: from (0, 0, 3) towards (0.25, 0.25, 1) meets it at distance √(0.125 + 4).
        let to = v(0.25, 0.25, 1.0) - v(0.0, 0.0, 3.0);
        let t = ray_triangle_t(&v(0.0, 0.0, 3.0), &to.normalize(), &tri).unwrap();
        assert!((t - to.norm()).abs() < 1e-5, "{t}");
        // Misses: beyond the hypotenuse, outside an edge, in its plane, and behind.
        assert!(ray_triangle_t(&v(0.6, 0.6, 2.0), &v(0.0, 0.0, -1.0), &tri).is_none());
        assert!(ray_triangle_t(&v(-0.1, 0.5, 2.0), &v(0.0, 0.0, -1.0), &tri).is_none());
        assert!(ray_triangle_t(&v(-1.0, 0.2, 1.0), &v(1.0, 0.0, 0.0), &tri).is_none());
        assert!(ray_triangle_t(&v(0.2, 0.3, 2.0), &v(0.0, 0.0, 1.0), &tri).is_none());
    }
}
