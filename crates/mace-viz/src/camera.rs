//! Cameras: a look-at pinhole (or orthographic) camera, the pixel rays it shoots, and the fixed
//! camera of each built-in scene.
//!
//! World frame = robot base frame (metres, `z` up). Pixel `(0, 0)` is the top-left corner of the
//! image, `x` to the right, `y` down; a pixel's centre is at `(i + 0.5, j + 0.5)`.

use mace_robot::{Scene, SceneShape};
use nalgebra::Vector3;

/// How the camera maps the scene to the image plane.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Projection {
    /// Pinhole camera with this vertical field of view, degrees.
    Perspective {
        /// Vertical field of view, degrees.
        fov_y_deg: f32,
    },
    /// Parallel projection showing this many metres from the bottom to the top of the image.
    Orthographic {
        /// Visible height, metres.
        height: f32,
    },
}

/// A camera at `eye` looking at `look_at`, with `up` pointing up in the image.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Camera {
    /// Camera position, metres, world frame.
    pub eye: Vector3<f32>,
    /// The point shown at the centre of the image, metres.
    pub look_at: Vector3<f32>,
    /// World direction that appears vertical, pointing up (need not be unit or orthogonal).
    pub up: Vector3<f32>,
    /// Perspective or orthographic.
    pub projection: Projection,
}

impl Camera {
    /// A perspective camera at `eye` looking at `look_at`, `z` up, vertical field of view in
    /// degrees.
    pub fn perspective(eye: Vector3<f32>, look_at: Vector3<f32>, fov_y_deg: f32) -> Camera {
        Camera {
            eye,
            look_at,
            up: Vector3::z(),
            projection: Projection::Perspective { fov_y_deg },
        }
    }

    /// An orthographic camera looking at `look_at` from azimuth `azimuth_deg` (about `z`, from the
    /// `+x` axis) and elevation `elevation_deg` above the `xy` plane, showing `height` metres.
    pub fn orthographic_orbit(
        look_at: Vector3<f32>,
        azimuth_deg: f32,
        elevation_deg: f32,
        height: f32,
    ) -> Camera {
        let (a, e) = (azimuth_deg.to_radians(), elevation_deg.to_radians());
        let dir = Vector3::new(e.cos() * a.cos(), e.cos() * a.sin(), e.sin());
        Camera {
            eye: look_at + dir * 10.0,
            look_at,
            up: Vector3::z(),
            projection: Projection::Orthographic { height },
        }
    }

    /// The fixed camera of a scene, chosen so that the obstacle, the target and the arm are all
    /// clearly seen (perspective, `z` up; the robot base is at the origin):
    ///
    /// | scene    | eye (m)              | looks at (m)        | fov  | view                                             |
    /// |----------|----------------------|---------------------|------|--------------------------------------------------|
    /// | `window` | (−0.75, −1.85, 1.25) | (0.25, 0.0, 0.42)   | 34°  | behind-left of the robot, the frame at 3/4       |
    /// | `wall`   | (0.8, −2.1, 1.0)     | (0.3, 0.0, 0.5)     | 36°  | the wall and shelf in profile, target in the slot|
    /// | `box`    | (−0.95, −1.55, 1.0)  | (0.3, −0.05, 0.25)  | 34°  | left of the robot, the open side of the box left |
    ///
    /// Any other scene gets a camera from the `window` direction, framing the scene's obstacles
    /// (all but point clouds, which may hold a whole room) and the arm's reach (a sphere of 0.9 m
    /// about the base).
    pub fn for_scene(scene: &Scene) -> Camera {
        let v = Vector3::new;
        match scene.name.as_str() {
            "window" => Camera::perspective(v(-0.75, -1.85, 1.25), v(0.25, 0.0, 0.42), 34.0),
            "wall" => Camera::perspective(v(0.8, -2.1, 1.0), v(0.3, 0.0, 0.5), 36.0),
            "box" => Camera::perspective(v(-0.95, -1.55, 1.0), v(0.3, -0.05, 0.25), 34.0),
            _ => {
                // Frame the union of the obstacles and a 0.9 m sphere about the base at z = 0.35.
                let (mut lo, mut hi) = (v(-0.9, -0.9, 0.0), v(0.9, 0.9, 1.25));
                for (l, h) in obstacle_bounds(scene) {
                    lo = lo.inf(&l);
                    hi = hi.sup(&h);
                }
                let centre = (lo + hi) * 0.5;
                let radius = 0.5 * (hi - lo).norm();
                let dir = v(-0.75 - 0.25, -1.85, 1.25 - 0.45).normalize();
                let dist = radius / (20.0f32.to_radians()).tan() * 0.8;
                Camera::perspective(centre + dir * dist, centre, 40.0)
            }
        }
    }

    /// The camera's pixel geometry for a `width × height` image.
    pub fn view(&self, width: u32, height: u32) -> View {
        let forward = normalize(self.look_at - self.eye);
        let mut right = forward.cross(&self.up);
        if right.norm() < 1e-6 {
            // Looking straight along `up`: pick any perpendicular.
            right = forward.cross(&Vector3::x());
        }
        let right = normalize(right);
        let up = right.cross(&forward);
        let (pixel_scale, ortho) = match self.projection {
            Projection::Perspective { fov_y_deg } => {
                let f = 0.5 * height as f32 / (0.5 * fov_y_deg.to_radians()).tan();
                (f, false)
            }
            Projection::Orthographic { height: h } => (height as f32 / h, true),
        };
        View {
            eye: self.eye,
            forward,
            right,
            up,
            pixel_scale,
            ortho,
            cx: 0.5 * width as f32,
            cy: 0.5 * height as f32,
        }
    }
}

/// Axis-aligned boxes (lowest, highest corner) holding the scene's obstacles but point clouds:
/// about a box its bounding ball, about the other shapes their bounds.
fn obstacle_bounds(scene: &Scene) -> Vec<(Vector3<f32>, Vector3<f32>)> {
    let about = |c: Vector3<f32>, r: f32| (c.add_scalar(-r), c.add_scalar(r));
    // About a segment along the local z axis of `pose` (`length` long, centred), grown by `r`.
    let segment = |pose: &mace_robot::Pose, length: f32, r: f32| {
        let a = Vector3::from(pose.transform_point([0.0, 0.0, -0.5 * length]));
        let b = Vector3::from(pose.transform_point([0.0, 0.0, 0.5 * length]));
        (a.inf(&b).add_scalar(-r), a.sup(&b).add_scalar(r))
    };
    let mut out: Vec<_> = scene
        .boxes
        .iter()
        .map(|b| about(b.center.into(), 0.5 * Vector3::from(b.size).norm()))
        .collect();
    for s in &scene.shapes {
        out.push(match s {
            SceneShape::Sphere { center, radius } => about((*center).into(), *radius),
            SceneShape::Capsule {
                pose,
                radius,
                length,
            }
            | SceneShape::Cylinder {
                pose,
                radius,
                length,
            } => segment(pose, *length, *radius),
            SceneShape::Mesh { pose, mesh, .. } => {
                let (lo, hi) = mesh.vertices().fold(
                    (
                        Vector3::repeat(f32::INFINITY),
                        Vector3::repeat(f32::NEG_INFINITY),
                    ),
                    |(lo, hi), p| {
                        let p = Vector3::from(pose.transform_point(p));
                        (lo.inf(&p), hi.sup(&p))
                    },
                );
                if lo.x > hi.x {
                    continue;
                }
                (lo, hi)
            }
            SceneShape::Points { .. } => continue,
        });
    }
    out
}

/// `a / |a|`, or `a` unchanged if it is (nearly) zero.
pub(crate) fn normalize(a: Vector3<f32>) -> Vector3<f32> {
    a.try_normalize(1e-12).unwrap_or(a)
}

/// A camera bound to an image size: projects points and shoots rays.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct View {
    eye: Vector3<f32>,
    forward: Vector3<f32>,
    right: Vector3<f32>,
    up: Vector3<f32>,
    /// Perspective: focal length in pixels. Orthographic: pixels per metre.
    pixel_scale: f32,
    ortho: bool,
    cx: f32,
    cy: f32,
}

impl View {
    /// Projects a world point: `[x, y, depth]`, `(x, y)` in pixels and the depth along the
    /// viewing direction (metres from the eye's plane); `None` when it lies less than 1 cm in
    /// front of a perspective camera.
    pub fn project(&self, p: &Vector3<f32>) -> Option<[f32; 3]> {
        let d = p - self.eye;
        let z = d.dot(&self.forward);
        let (x, y) = (d.dot(&self.right), d.dot(&self.up));
        if self.ortho {
            return Some([
                self.cx + x * self.pixel_scale,
                self.cy - y * self.pixel_scale,
                z,
            ]);
        }
        if z < 0.01 {
            return None;
        }
        let s = self.pixel_scale / z;
        Some([self.cx + x * s, self.cy - y * s, z])
    }

    /// Pixels per metre for an object at depth `z` (metres).
    pub fn pixels_per_metre(&self, z: f32) -> f32 {
        if self.ortho {
            self.pixel_scale
        } else {
            self.pixel_scale / z.max(0.01)
        }
    }

    /// The ray through the image point `(px, py)`: origin and unit direction.
    pub fn ray(&self, px: f32, py: f32) -> (Vector3<f32>, Vector3<f32>) {
        let (x, y) = (px - self.cx, self.cy - py);
        if self.ortho {
            let o =
                self.eye + self.right * (x / self.pixel_scale) + self.up * (y / self.pixel_scale);
            (o, self.forward)
        } else {
            let d = self.forward * self.pixel_scale + self.right * x + self.up * y;
            (self.eye, normalize(d))
        }
    }

    /// Unit viewing direction (from the eye into the scene).
    pub fn forward(&self) -> Vector3<f32> {
        self.forward
    }

    /// Unit image-right direction in the world.
    pub fn right(&self) -> Vector3<f32> {
        self.right
    }

    /// Unit image-up direction in the world.
    pub fn up(&self) -> Vector3<f32> {
        self.up
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn look_at_point_projects_to_centre_and_rays_round_trip() {
        let v = Vector3::new;
        let cam = Camera::perspective(v(-1.0, -2.0, 1.0), v(0.3, 0.0, 0.5), 40.0);
        let view = cam.view(200, 100);
        let c = view.project(&cam.look_at).unwrap();
        assert!((c[0] - 100.0).abs() < 1e-3 && (c[1] - 50.0).abs() < 1e-3);
        // A point above the target appears higher in the image (smaller y).
        assert!(view.project(&v(0.3, 0.0, 0.8)).unwrap()[1] < c[1]);
        let p = v(0.5, 0.2, 0.1);
        let q = view.project(&p).unwrap();
        let (o, d) = view.ray(q[0], q[1]);
        let t = (p - o).dot(&d);
        assert!((o + d * t - p).norm() < 1e-4);
        let cam = Camera::orthographic_orbit(Vector3::zeros(), -60.0, 30.0, 2.0);
        let view = cam.view(100, 100);
        let c = view.project(&Vector3::zeros()).unwrap();
        assert!((c[0] - 50.0).abs() < 1e-3 && (c[1] - 50.0).abs() < 1e-3);
        assert!((view.pixels_per_metre(3.0) - 50.0).abs() < 1e-4);
    }

    #[test]
    fn other_scenes_are_framed() {
        let scene = mace_robot::Scene::empty([0.4, 0.0, 0.5]);
        let cam = Camera::for_scene(&scene);
        let view = cam.view(200, 200);
        // The base and the target are in the picture.
        for p in [Vector3::zeros(), Vector3::new(0.4, 0.0, 0.5)] {
            let q = view.project(&p).unwrap();
            assert!(
                (0.0..200.0).contains(&q[0]) && (0.0..200.0).contains(&q[1]),
                "{q:?}"
            );
        }
        // Obstacles within the arm's reach keep that camera; one beyond it is framed too.
        let mut near = scene.clone();
        near.shapes.push(SceneShape::Sphere {
            center: [0.5, 0.2, 0.4],
            radius: 0.1,
        });
        assert_eq!(Camera::for_scene(&near), cam);
        let mut far = scene;
        far.shapes.push(SceneShape::Cylinder {
            pose: mace_robot::Pose::from_translation([1.9, 0.8, 0.5]),
            radius: 0.1,
            length: 1.0,
        });
        let view = Camera::for_scene(&far).view(200, 200);
        for p in [
            [1.9, 0.8, 0.0],
            [1.9, 0.8, 1.0],
            [0.0, 0.0, 0.0],
            [0.4, 0.0, 0.5],
        ] {
            let q = view.project(&Vector3::from(p)).unwrap();
            assert!(
                (0.0..200.0).contains(&q[0]) && (0.0..200.0).contains(&q[1]),
                "{p:?} at {q:?}"
            );
        }
    }
}
