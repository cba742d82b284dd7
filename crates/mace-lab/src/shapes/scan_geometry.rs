//! Camera geometry of a partial scan: view angles and directions, bounding boxes, and the
//! estimate of the view axis from the scan alone (the axis along which its points hide each
//! other least).

use mace_shapes::{DepthCamera, DepthCameraConfig};

use crate::error::Result;

/// Steepest camera elevation used, degrees (the camera model needs |elevation| < 90°).
pub(super) const MAX_ELEVATION_DEG: f32 = 85.0;

pub(super) fn camera(intrinsics: &DepthCameraConfig, az: f32, el: f32) -> Result<DepthCamera> {
    Ok(DepthCamera::new(&DepthCameraConfig {
        azimuth_deg: az,
        elevation_deg: el.clamp(-MAX_ELEVATION_DEG, MAX_ELEVATION_DEG),
        ..intrinsics.clone()
    })?)
}

/// Unit direction towards a camera at azimuth `az` (about +y, from +z towards +x) and
/// elevation `el`, degrees.
pub(super) fn direction_of(az: f32, el: f32) -> [f64; 3] {
    let (a, e) = (f64::from(az).to_radians(), f64::from(el).to_radians());
    [e.cos() * a.sin(), e.sin(), e.cos() * a.cos()]
}

/// Azimuth and elevation (degrees) of a unit direction.
pub(super) fn angles_of(d: [f64; 3]) -> (f32, f32) {
    let az = d[0].atan2(d[2]).to_degrees().rem_euclid(360.0);
    let el = d[1].clamp(-1.0, 1.0).asin().to_degrees();
    (az as f32, el as f32)
}

/// `p` turned about +y by `deg` (+z towards +x), as [`super::heading::turn_about_up`] turns.
pub(super) fn turn_y(p: [f64; 3], deg: f32) -> [f64; 3] {
    let (s, c) = f64::from(deg).to_radians().sin_cos();
    [c * p[0] + s * p[2], p[1], -s * p[0] + c * p[2]]
}

pub(super) fn sub(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

pub(super) fn unit(a: [f64; 3]) -> [f64; 3] {
    let n = (a[0] * a[0] + a[1] * a[1] + a[2] * a[2])
        .sqrt()
        .max(f64::MIN_POSITIVE);
    a.map(|v| v / n)
}

pub(super) fn mean_point(points: &[[f64; 3]]) -> [f64; 3] {
    let n = points.len().max(1) as f64;
    [0, 1, 2].map(|a| points.iter().map(|p| p[a]).sum::<f64>() / n)
}

pub(super) fn bounds(points: &[[f64; 3]]) -> ([f64; 3], [f64; 3]) {
    let (mut lo, mut hi) = ([f64::INFINITY; 3], [f64::NEG_INFINITY; 3]);
    for p in points {
        for a in 0..3 {
            lo[a] = lo[a].min(p[a]);
            hi[a] = hi[a].max(p[a]);
        }
    }
    (lo, hi)
}

pub(super) fn mid(lo: [f64; 3], hi: [f64; 3]) -> [f64; 3] {
    [0, 1, 2].map(|a| 0.5 * (lo[a] + hi[a]))
}

pub(super) fn diagonal(lo: [f64; 3], hi: [f64; 3]) -> f64 {
    (0..3).map(|a| (hi[a] - lo[a]).powi(2)).sum::<f64>().sqrt()
}

pub(super) fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        0.0
    } else if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

/// Axes tried when estimating the view direction (over a half sphere).
const VIEW_AXES: usize = 300;

/// The axis along which the scan's points hide each other least (see the module docs): the
/// mean of the axes from which at least 99% of the best visible share is seen.
///
/// # Errors
/// From the camera.
pub(super) fn occlusion_free_axis(
    points: &[[f64; 3]],
    intrinsics: &DepthCameraConfig,
) -> Result<[f64; 3]> {
    let (lo, hi) = bounds(points);
    let (centre, size) = (mid(lo, hi), diagonal(lo, hi).max(f64::MIN_POSITIVE));
    let unit_scan: Vec<[f32; 3]> = points
        .iter()
        .map(|p| [0, 1, 2].map(|a| ((p[a] - centre[a]) / size) as f32))
        .collect();
    // A Fibonacci spiral over the half sphere y ≥ 0 (the other half gives the same answers).
    let golden = std::f64::consts::PI * (3.0 - 5f64.sqrt());
    let axes: Vec<[f64; 3]> = (0..VIEW_AXES)
        .map(|i| {
            let y = (i as f64 + 0.5) / VIEW_AXES as f64;
            let r = (1.0 - y * y).sqrt();
            let t = golden * i as f64;
            [r * t.cos(), y, r * t.sin()]
        })
        .collect();
    let shares: Vec<f64> = axes
        .iter()
        .map(|d| {
            let (az, el) = angles_of(*d);
            let mask = camera(intrinsics, az, el)?.visible_mask(&unit_scan)?;
            Ok(mask.iter().filter(|v| **v).count() as f64 / mask.len().max(1) as f64)
        })
        .collect::<Result<_>>()?;
    let best = shares.iter().copied().fold(0.0, f64::max);
    let mut sum = [0.0; 3];
    let reference = axes[shares.iter().position(|s| *s == best).unwrap_or(0)];
    for (d, s) in axes.iter().zip(&shares) {
        if *s >= 0.99 * best {
            let dot: f64 = (0..3).map(|a| d[a] * reference[a]).sum();
            let sign = if dot < 0.0 { -1.0 } else { 1.0 };
            for a in 0..3 {
                sum[a] += sign * d[a];
            }
        }
    }
    Ok(unit(sum))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn angles_and_directions_round_trip() {
        for (az, el) in [(45.0f32, 30.0f32), (200.0, -20.0), (0.0, 60.0)] {
            let (a, e) = angles_of(direction_of(az, el));
            assert!((a - az).abs() < 1e-3 && (e - el).abs() < 1e-3, "{a} {e}");
        }
        // Azimuth 0 looks from +z; 90 from +x.
        let d = direction_of(90.0, 0.0);
        assert!((d[0] - 1.0).abs() < 1e-12 && d[2].abs() < 1e-12);
    }

    #[test]
    fn a_box_corner_seen_from_its_diagonal_hides_nothing_from_there() {
        // Three faces of a cube, as a camera on the (1, 1, 1) diagonal sees them.
        let mut pts = Vec::new();
        for i in 0..30 {
            for j in 0..30 {
                let (u, v) = (i as f64 / 29.0, j as f64 / 29.0);
                pts.extend([[1.0, u, v], [u, 1.0, v], [u, v, 1.0]]);
            }
        }
        let n = occlusion_free_axis(&pts, &DepthCameraConfig::default()).unwrap();
        let along: f64 = n.iter().sum::<f64>() / 3f64.sqrt();
        assert!(along.abs() > 0.9, "{n:?}");
    }
}
