//! A partial-view (depth camera) simulator: which points of a cloud a camera sees.
//!
//! The camera sits at `distance` from the origin, at `azimuth` (about +y, from +z towards +x)
//! and `elevation` (above the xz plane), looks at the origin with +y up, and projects with a
//! pinhole of full field of view `fov_deg` onto `resolution × resolution` pixels. Rendering is
//! z-buffer splatting in two passes: every point in front of the camera writes its depth (distance
//! along the viewing axis) into the `(2·splat_radius + 1)²` pixels around its projection,
//! keeping the minimum; then a point is visible if it projects inside the image and its depth is
//! within `depth_epsilon` of the buffer at its own pixel. The footprint closes the gaps between
//! the 2048 points of a cloud so that surfaces behind are hidden.
//!
//! Deterministic (no randomness, ties resolved by the fixed point order) and batched on rayon.

use candle_core::Tensor;
use mace_core::Simulator;
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::point_cloud::{points_from_flat, tensor_to_flat, validate_points};

/// Camera pose and rendering settings. Angles in degrees, lengths in cloud units.
#[derive(Debug, Clone, PartialEq)]
pub struct DepthCameraConfig {
    /// Azimuth about +y, degrees, from +z towards +x. Default 45.
    pub azimuth_deg: f32,
    /// Elevation above the xz plane, degrees, in (−90, 90). Default 30.
    pub elevation_deg: f32,
    /// Distance from the origin. Default 2 (clouds normalised to a unit box diagonal lie within
    /// 0.5 of the origin).
    pub distance: f32,
    /// Full field of view, degrees, in (0, 180). Default 30 (at distance 2 the image spans
    /// ±0.54 around the origin).
    pub fov_deg: f32,
    /// Image side in pixels. Default 64.
    pub resolution: usize,
    /// Footprint half-size of a splatted point, pixels. Default 1 (3 × 3 pixels).
    pub splat_radius: usize,
    /// A point is visible if its depth is at most the pixel's nearest depth plus this. Default
    /// 0.05.
    pub depth_epsilon: f32,
}

impl Default for DepthCameraConfig {
    fn default() -> Self {
        Self {
            azimuth_deg: 45.0,
            elevation_deg: 30.0,
            distance: 2.0,
            fov_deg: 30.0,
            resolution: 64,
            splat_radius: 1,
            depth_epsilon: 0.05,
        }
    }
}

/// A validated depth camera (see the module docs).
///
/// # Example
/// ```
/// use mace_shapes::{DepthCamera, DepthCameraConfig};
/// let camera = DepthCamera::new(&DepthCameraConfig { azimuth_deg: 0.0, elevation_deg: 0.0, ..Default::default() })?;
/// // The camera is on +z looking towards −z: of two points on its axis, the nearer is seen.
/// let view = camera.visible(&[[0.0, 0.0, 0.2], [0.0, 0.0, -0.2]])?;
/// assert_eq!(view, vec![[0.0, 0.0, 0.2]]);
/// # Ok::<(), mace_shapes::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct DepthCamera {
    config: DepthCameraConfig,
    position: [f32; 3],
    forward: [f32; 3],
    right: [f32; 3],
    up: [f32; 3],
    /// 1 / tan(fov / 2).
    focal: f32,
}

fn dot(a: [f32; 3], b: [f32; 3]) -> f32 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

fn invalid(name: &'static str, value: f32, reason: &'static str) -> Error {
    Error::InvalidParameter {
        name,
        value: value.to_string(),
        reason,
    }
}

impl DepthCamera {
    /// A camera as `config` says.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the field: non-finite angles, elevation not in
    /// (−90, 90), distance ≤ 0, fov not in (0, 180), resolution 0 or above 4096,
    /// splat radius above 16, negative epsilon.
    pub fn new(config: &DepthCameraConfig) -> Result<Self> {
        let c = config;
        if !c.azimuth_deg.is_finite() {
            return Err(invalid("azimuth_deg", c.azimuth_deg, "must be finite"));
        }
        if !(c.elevation_deg > -90.0 && c.elevation_deg < 90.0) {
            return Err(invalid(
                "elevation_deg",
                c.elevation_deg,
                "must be in (-90, 90)",
            ));
        }
        if !(c.distance.is_finite() && c.distance > 0.0) {
            return Err(invalid(
                "distance",
                c.distance,
                "must be positive and finite",
            ));
        }
        if !(c.fov_deg > 0.0 && c.fov_deg < 180.0) {
            return Err(invalid("fov_deg", c.fov_deg, "must be in (0, 180)"));
        }
        if c.resolution == 0 || c.resolution > 4096 {
            return Err(invalid(
                "resolution",
                c.resolution as f32,
                "must be in 1..=4096",
            ));
        }
        if c.splat_radius > 16 {
            return Err(invalid(
                "splat_radius",
                c.splat_radius as f32,
                "must be at most 16",
            ));
        }
        if !(c.depth_epsilon.is_finite() && c.depth_epsilon >= 0.0) {
            return Err(invalid(
                "depth_epsilon",
                c.depth_epsilon,
                "must be finite and >= 0",
            ));
        }
        let (az, el) = (c.azimuth_deg.to_radians(), c.elevation_deg.to_radians());
        let dir = [el.cos() * az.sin(), el.sin(), el.cos() * az.cos()];
        let position = [
            c.distance * dir[0],
            c.distance * dir[1],
            c.distance * dir[2],
        ];
        let forward = [-dir[0], -dir[1], -dir[2]];
        // right = forward × (0, 1, 0), normalised (non-zero since |elevation| < 90°).
        let r = [-forward[2], 0.0, forward[0]];
        let rn = (r[0] * r[0] + r[2] * r[2]).sqrt();
        let right = [r[0] / rn, 0.0, r[2] / rn];
        // up = right × forward.
        let up = [
            right[1] * forward[2] - right[2] * forward[1],
            right[2] * forward[0] - right[0] * forward[2],
            right[0] * forward[1] - right[1] * forward[0],
        ];
        Ok(Self {
            config: c.clone(),
            position,
            forward,
            right,
            up,
            focal: 1.0 / (0.5 * c.fov_deg.to_radians()).tan(),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &DepthCameraConfig {
        &self.config
    }

    /// Camera position (cloud units).
    pub fn position(&self) -> [f32; 3] {
        self.position
    }

    /// Depth along the viewing axis and pixel `(column, row)` of `p`, or `None` if it is
    /// behind the camera. Pixels may lie outside the image.
    fn project(&self, p: &[f32; 3]) -> Option<(f32, i64, i64)> {
        let v = [
            p[0] - self.position[0],
            p[1] - self.position[1],
            p[2] - self.position[2],
        ];
        let depth = dot(v, self.forward);
        if depth <= 1e-6 {
            return None;
        }
        let res = self.config.resolution as f32;
        let x = self.focal * dot(v, self.right) / depth;
        let y = self.focal * dot(v, self.up) / depth;
        let col = ((x + 1.0) * 0.5 * res).floor();
        let row = ((1.0 - y) * 0.5 * res).floor();
        Some((depth, col as i64, row as i64))
    }

    /// Per point of `points` `[n, 3]`: whether the camera sees it.
    ///
    /// # Errors
    /// [`Error::EmptyCloud`], [`Error::NonFinite`]; [`Error::CameraInsideObject`] if the camera
    /// is within the cloud's bounding sphere about the origin.
    pub fn visible_mask(&self, points: &[[f32; 3]]) -> Result<Vec<bool>> {
        validate_points(points, "depth view cloud")?;
        let radius = points
            .iter()
            .map(|p| dot(*p, *p))
            .fold(0.0f32, f32::max)
            .sqrt();
        if self.config.distance <= radius {
            return Err(Error::CameraInsideObject {
                distance: self.config.distance,
                radius,
            });
        }
        let res = self.config.resolution as i64;
        let s = self.config.splat_radius as i64;
        let mut zbuf = vec![f32::INFINITY; (res * res) as usize];
        let projected: Vec<Option<(f32, i64, i64)>> =
            points.iter().map(|p| self.project(p)).collect();
        for &(depth, col, row) in projected.iter().flatten() {
            for r in (row - s).max(0)..=(row + s).min(res - 1) {
                for c in (col - s).max(0)..=(col + s).min(res - 1) {
                    let z = &mut zbuf[(r * res + c) as usize];
                    if depth < *z {
                        *z = depth;
                    }
                }
            }
        }
        Ok(projected
            .iter()
            .map(|pr| match *pr {
                Some((depth, col, row)) if (0..res).contains(&col) && (0..res).contains(&row) => {
                    depth <= zbuf[(row * res + col) as usize] + self.config.depth_epsilon
                }
                _ => false,
            })
            .collect())
    }

    /// The points of `points` `[n, 3]` the camera sees, in their original order (may be empty
    /// if the cloud lies outside the field of view).
    ///
    /// # Errors
    /// As [`DepthCamera::visible_mask`].
    pub fn visible(&self, points: &[[f32; 3]]) -> Result<Vec<[f32; 3]>> {
        let mask = self.visible_mask(points)?;
        Ok(points
            .iter()
            .zip(mask)
            .filter_map(|(p, m)| m.then_some(*p))
            .collect())
    }

    /// [`DepthCamera::visible`] of every cloud, in parallel.
    ///
    /// # Errors
    /// The first failing cloud's error.
    pub fn visible_batch<C: AsRef<[[f32; 3]]> + Sync>(
        &self,
        clouds: &[C],
    ) -> Result<Vec<Vec<[f32; 3]>>> {
        clouds
            .par_iter()
            .map(|c| self.visible(c.as_ref()))
            .collect()
    }
}

impl Simulator for DepthCamera {
    /// One partial view (visible points, `[m_i, 3]`) per sample.
    type Observation = Vec<Vec<[f32; 3]>>;

    /// Renders a candle batch `[b, n·3]` or `[b, n, 3]` (any float dtype, read as `f32`).
    fn simulate(&self, samples: &Tensor) -> mace_core::Result<Self::Observation> {
        let (flat, _b, n) = tensor_to_flat(samples, "DepthCamera::simulate")?;
        let views: Result<Vec<_>> = flat
            .par_chunks(n * 3)
            .map(|row| self.visible(&points_from_flat(row)))
            .collect();
        Ok(views?)
    }
}
