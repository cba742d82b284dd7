//! Cameras: a look-at pinhole (or orthographic) camera, the pixel rays it shoots, and the fixed
//! camera of each built-in scene.
//!
//! World frame = robot base frame (metres, `z` up). Pixel `(0, 0)` is the top-left corner of the
//! image, `x` to the right, `y` down; a pixel's centre is at `(i + 0.5, j + 0.5)`.

use mace_robot::Scene;

/// A point or direction in 3-D (metres).
pub(crate) type V3 = [f32; 3];

pub(crate) fn add(a: V3, b: V3) -> V3 {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2]]
}

pub(crate) fn sub(a: V3, b: V3) -> V3 {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

pub(crate) fn scale(a: V3, s: f32) -> V3 {
    [a[0] * s, a[1] * s, a[2] * s]
}

pub(crate) fn dot(a: V3, b: V3) -> f32 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

pub(crate) fn cross(a: V3, b: V3) -> V3 {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

pub(crate) fn norm(a: V3) -> f32 {
    dot(a, a).sqrt()
}

/// `a / |a|`, or `a` unchanged if it is (nearly) zero.
pub(crate) fn normalize(a: V3) -> V3 {
    let n = norm(a);
    if n > 1e-12 {
        scale(a, 1.0 / n)
    } else {
        a
    }
}

/// How the camera maps the scene to the image plane.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Projection {
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
pub(crate) struct Camera {
    /// Camera position, metres, world frame.
    pub(crate) eye: V3,
    /// The point shown at the centre of the image, metres.
    pub(crate) look_at: V3,
    /// World direction that appears vertical, pointing up (need not be unit or orthogonal).
    pub(crate) up: V3,
    /// Perspective or orthographic.
    pub(crate) projection: Projection,
}

impl Camera {
    /// A perspective camera at `eye` looking at `look_at`, `z` up, vertical field of view in degrees.
    pub(crate) fn perspective(eye: V3, look_at: V3, fov_y_deg: f32) -> Camera {
        Camera {
            eye,
            look_at,
            up: [0.0, 0.0, 1.0],
            projection: Projection::Perspective { fov_y_deg },
        }
    }

    /// An orthographic camera looking at `look_at` from azimuth `azimuth_deg` (about `z`, from the
    /// `+x` axis) and elevation `elevation_deg` above the `xy` plane, showing `height` metres.
    pub(crate) fn orthographic_orbit(
        look_at: V3,
        azimuth_deg: f32,
        elevation_deg: f32,
        height: f32,
    ) -> Camera {
        let (a, e) = (azimuth_deg.to_radians(), elevation_deg.to_radians());
        let dir = [e.cos() * a.cos(), e.cos() * a.sin(), e.sin()];
        Camera {
            eye: add(look_at, scale(dir, 10.0)),
            look_at,
            up: [0.0, 0.0, 1.0],
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
    /// Any other scene gets a camera from the `window` direction, framing the scene's boxes and the
    /// arm's reach (a sphere of 0.9 m about the base).
    pub(crate) fn for_scene(scene: &Scene) -> Camera {
        match scene.name.as_str() {
            "window" => Camera::perspective([-0.75, -1.85, 1.25], [0.25, 0.0, 0.42], 34.0),
            "wall" => Camera::perspective([0.8, -2.1, 1.0], [0.3, 0.0, 0.5], 36.0),
            "box" => Camera::perspective([-0.95, -1.55, 1.0], [0.3, -0.05, 0.25], 34.0),
            _ => {
                // Frame the union of the boxes and a 0.9 m sphere about the base at z = 0.35.
                let (mut lo, mut hi) = ([-0.9f32, -0.9, 0.0], [0.9f32, 0.9, 1.25]);
                for b in &scene.boxes {
                    let r = 0.5 * norm(b.size);
                    for k in 0..3 {
                        lo[k] = lo[k].min(b.center[k] - r);
                        hi[k] = hi[k].max(b.center[k] + r);
                    }
                }
                let centre = scale(add(lo, hi), 0.5);
                let radius = 0.5 * norm(sub(hi, lo));
                let dir = normalize([-0.75 - 0.25, -1.85, 1.25 - 0.45]);
                let dist = radius / (20.0f32.to_radians()).tan() * 0.8;
                Camera::perspective(add(centre, scale(dir, dist)), centre, 40.0)
            }
        }
    }

    /// The camera's pixel geometry for a `width × height` image.
    pub(crate) fn view(&self, width: u32, height: u32) -> View {
        let forward = normalize(sub(self.look_at, self.eye));
        let mut right = cross(forward, self.up);
        if norm(right) < 1e-6 {
            // Looking straight along `up`: pick any perpendicular.
            right = cross(forward, [1.0, 0.0, 0.0]);
        }
        let right = normalize(right);
        let up = cross(right, forward);
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

/// A camera bound to an image size: projects points and shoots rays.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct View {
    eye: V3,
    forward: V3,
    right: V3,
    up: V3,
    /// Perspective: focal length in pixels. Orthographic: pixels per metre.
    pixel_scale: f32,
    ortho: bool,
    cx: f32,
    cy: f32,
}

impl View {
    /// Projects a world point: `(x, y)` in pixels and its depth along the viewing direction
    /// (metres from the eye's plane); `None` when it lies less than 1 cm in front of a
    /// perspective camera.
    pub(crate) fn project(&self, p: V3) -> Option<[f32; 3]> {
        let d = sub(p, self.eye);
        let z = dot(d, self.forward);
        let (x, y) = (dot(d, self.right), dot(d, self.up));
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
    pub(crate) fn pixels_per_metre(&self, z: f32) -> f32 {
        if self.ortho {
            self.pixel_scale
        } else {
            self.pixel_scale / z.max(0.01)
        }
    }

    /// The ray through the image point `(px, py)`: origin and unit direction.
    pub(crate) fn ray(&self, px: f32, py: f32) -> (V3, V3) {
        let (x, y) = (px - self.cx, self.cy - py);
        if self.ortho {
            let o = add(
                self.eye,
                add(
                    scale(self.right, x / self.pixel_scale),
                    scale(self.up, y / self.pixel_scale),
                ),
            );
            (o, self.forward)
        } else {
            let d = add(
                scale(self.forward, self.pixel_scale),
                add(scale(self.right, x), scale(self.up, y)),
            );
            (self.eye, normalize(d))
        }
    }

    /// Unit viewing direction (from the eye into the scene).
    pub(crate) fn forward(&self) -> V3 {
        self.forward
    }

    /// Unit image-right direction in the world.
    pub(crate) fn right(&self) -> V3 {
        self.right
    }

    /// Unit image-up direction in the world.
    pub(crate) fn up(&self) -> V3 {
        self.up
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn look_at_point_projects_to_centre_and_rays_round_trip() {
        let cam = Camera::perspective([-1.0, -2.0, 1.0], [0.3, 0.0, 0.5], 40.0);
        let v = cam.view(200, 100);
        let c = v.project(cam.look_at).unwrap();
        assert!((c[0] - 100.0).abs() < 1e-3 && (c[1] - 50.0).abs() < 1e-3);
        // A point above the target appears higher in the image (smaller y).
        assert!(v.project([0.3, 0.0, 0.8]).unwrap()[1] < c[1]);
        let p = [0.5, 0.2, 0.1];
        let q = v.project(p).unwrap();
        let (o, d) = v.ray(q[0], q[1]);
        let t = dot(sub(p, o), d);
        assert!(norm(sub(add(o, scale(d, t)), p)) < 1e-4);
        let cam = Camera::orthographic_orbit([0.0; 3], -60.0, 30.0, 2.0);
        let v = cam.view(100, 100);
        let c = v.project([0.0; 3]).unwrap();
        assert!((c[0] - 50.0).abs() < 1e-3 && (c[1] - 50.0).abs() < 1e-3);
        assert!((v.pixels_per_metre(3.0) - 50.0).abs() < 1e-4);
    }
}
