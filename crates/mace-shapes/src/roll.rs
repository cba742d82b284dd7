//! Rolled shapes: each shape of a collection turned about the z axis (an airplane's fuselage
//! in our frame: nose −z, wings along x, y up) by its own random angle, uniform in
//! `[−max, max]`. The reference code trains its VAE and CVAE on airplanes rolled this way
//! (±45°) and draws its test observations the same way, so that a grasp from +x and one from
//! −x touch different places (an unrolled airplane is mirror-symmetric across x = 0, and the
//! two fingers would measure the same contact).
//!
//! Shape `i` of a collection seeded with `seed` is rolled by [`roll_angle_deg`]`(seed, i, max)`:
//! the angle depends only on the seed and the index.

use rand::Rng;

use crate::point_cloud::PointCloud;
use crate::seed::item_rng;

/// Salt that keeps the roll angles' stream apart from the shapes' own (same seed and index).
const ROLL_SALT: u64 = 0x524F_4C4C; // "ROLL"

/// The roll of shape `index` in a collection seeded with `seed`, degrees, uniform in
/// `[−max_deg, max_deg]`; 0 when `max_deg` is 0.
pub fn roll_angle_deg(seed: u64, index: u64, max_deg: f32) -> f32 {
    if max_deg == 0.0 {
        return 0.0;
    }
    let u: f32 = item_rng(seed ^ ROLL_SALT, index).random_range(-1.0..=1.0);
    u * max_deg
}

/// `cloud` turned about the z axis by `angle_deg` (counter-clockwise seen from +z: +x towards
/// +y), about the origin.
pub fn roll_about_z(cloud: &PointCloud, angle_deg: f32) -> PointCloud {
    if angle_deg == 0.0 {
        return cloud.clone();
    }
    let (s, c) = angle_deg.to_radians().sin_cos();
    let points = cloud
        .iter()
        .map(|p| [c * p[0] - s * p[1], s * p[0] + c * p[1], p[2]])
        .collect();
    PointCloud::from_trusted(points)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn angles_are_seeded_bounded_and_spread() {
        let a: Vec<f32> = (0..2000).map(|i| roll_angle_deg(7, i, 45.0)).collect();
        assert!(a.iter().all(|x| x.abs() <= 45.0));
        assert_eq!(a[3], roll_angle_deg(7, 3, 45.0));
        assert_ne!(a[3], roll_angle_deg(8, 3, 45.0));
        let mean = a.iter().sum::<f32>() / a.len() as f32;
        let beyond_30 = a.iter().filter(|x| x.abs() > 30.0).count() as f32 / a.len() as f32;
        assert!(mean.abs() < 2.0, "{mean}");
        assert!((beyond_30 - 1.0 / 3.0).abs() < 0.05, "{beyond_30}");
        assert_eq!(roll_angle_deg(7, 3, 0.0), 0.0);
    }

    #[test]
    fn a_quarter_turn_takes_x_to_y_and_keeps_z() {
        let cloud = PointCloud::new(vec![[1.0, 0.0, 0.5], [0.0, 2.0, -0.5]]).unwrap();
        let r = roll_about_z(&cloud, 90.0);
        let want = [[0.0, 1.0, 0.5], [-2.0, 0.0, -0.5]];
        for (p, q) in r.iter().zip(want) {
            assert!((0..3).all(|k| (p[k] - q[k]).abs() < 1e-6), "{p:?}");
        }
    }
}
