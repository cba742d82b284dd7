//! What every configuration is drawn over: sky, ground with its grid and box shadows, the
//! obstacle boxes and the target, ray-cast once per panel; and the shading rule.

use mace_robot::Obb;
use rayon::prelude::*;

use crate::camera::{normalize, View};
use crate::picture::{lerp, Rgb};
use crate::raycast::{ray_ground, ray_hits_any, ray_obb, ray_sphere};

use super::*;

/// The opaque part of the picture (sky, ground, boxes, target) at supersampled resolution, with
/// the distance along each pixel's ray to the nearest opaque surface.
pub(super) struct Backdrop {
    pub(super) colour: Vec<Rgb>,
    pub(super) depth: Vec<f32>,
}

/// Light direction (unit, pointing towards the light) for a view: behind the camera, above it
/// and to its left.
pub(super) fn light_dir(view: &View) -> V3 {
    normalize(view.forward() * -0.55 + view.up() * 0.75 + view.right() * -0.35)
}

/// The sun for ground shadows: high, slightly from the camera's side.
pub(super) fn sun_dir(view: &View) -> V3 {
    let f = view.forward();
    normalize(V3::new(-0.35 * f.x, -0.35 * f.y, 1.0))
}

impl Backdrop {
    pub(super) fn render(rs: &RobotScene, view: &View, w: u32, h: u32) -> Backdrop {
        let obbs: Vec<Obb> = rs.scene.obbs();
        let light = light_dir(view);
        let sun = sun_dir(view);
        let target = V3::from(rs.scene.target);
        let mut colour = vec![[0.0f32; 3]; (w * h) as usize];
        let mut depth = vec![f32::INFINITY; (w * h) as usize];
        colour
            .par_chunks_mut(w as usize)
            .zip(depth.par_chunks_mut(w as usize))
            .enumerate()
            .for_each(|(y, (crow, drow))| {
                let sky = lerp(SKY_TOP, SKY_BOTTOM, y as f32 / h as f32);
                for x in 0..w as usize {
                    let (ro, rd) = view.ray(x as f32 + 0.5, y as f32 + 0.5);
                    let mut best = f32::INFINITY;
                    let mut c = sky;
                    if let Some(g) = ray_ground(&ro, &rd) {
                        let p = ro + rd * g.t;
                        if let Some(gc) = ground_colour(&p, view, g.t, &obbs, &sun, sky) {
                            best = g.t;
                            c = gc;
                        }
                    }
                    for b in &obbs {
                        if let Some((hit, local)) = ray_obb(&ro, &rd, b) {
                            if hit.t < best {
                                best = hit.t;
                                let lambert = hit.normal.dot(&light).max(0.0);
                                let mut bc = OBSTACLE.map(|v| v * (0.55 + 0.5 * lambert));
                                // Outline the box's edges (about 1.5 px wide).
                                let px_m = 1.5 * SS as f32
                                    / view.pixels_per_metre(hit.t * rd.dot(&view.forward()));
                                let near_faces = (0..3)
                                    .filter(|&k| local[k].abs() > b.half[k] - px_m)
                                    .count();
                                if near_faces >= 2 {
                                    bc = bc.map(|v| v * 0.55);
                                }
                                c = bc;
                            }
                        }
                    }
                    if let Some(hit) = ray_sphere(&ro, &rd, &target, TARGET_RADIUS) {
                        if hit.t < best {
                            best = hit.t;
                            let lambert = hit.normal.dot(&light).max(0.0);
                            c = shade(TARGET, lambert, &hit.normal, &rd, &light);
                        }
                    }
                    crow[x] = c;
                    drow[x] = best;
                }
            });
        Backdrop { colour, depth }
    }
}

/// The ground's colour at `p` (on `z = 0`), or `None` outside the drawn square: grid lines every
/// 0.1 m (bolder every 0.5 m), box shadows, and a fade into the background at the border.
pub(super) fn ground_colour(
    p: &V3,
    view: &View,
    t: f32,
    obbs: &[Obb],
    sun: &V3,
    sky: Rgb,
) -> Option<Rgb> {
    let (gx, gy) = (p.x - 0.3, p.y);
    let edge = GROUND_HALF - gx.abs().max(gy.abs());
    if edge < 0.0 {
        return None;
    }
    let px_m = SS as f32 / view.pixels_per_metre(t * 0.9);
    let line = |v: f32, step: f32, width: f32| {
        let d = (v / step - (v / step).round()).abs() * step;
        d < width
    };
    let mut c = GROUND;
    let minor = 0.6 * px_m.max(0.0015);
    if line(p.x, 0.1, minor) || line(p.y, 0.1, minor) {
        c = GRID_MINOR;
    }
    let major = 0.9 * px_m.max(0.002);
    if line(p.x, 0.5, major) || line(p.y, 0.5, major) {
        c = GRID_MAJOR;
    }
    if ray_hits_any(&(p + V3::new(0.0, 0.0, 1e-4)), sun, obbs) {
        c = c.map(|v| v * 0.82);
    }
    Some(lerp(sky, c, (edge / 0.2).min(1.0)))
}

/// Lambert shading with a little specular highlight.
pub(super) fn shade(base: Rgb, lambert: f32, n: &V3, rd: &V3, light: &V3) -> Rgb {
    // Blinn–Phong half vector between the light and the eye.
    let hv = normalize(light - rd);
    let spec = n.dot(&hv).max(0.0).powi(24) * 0.35;
    base.map(|v| v * (0.38 + 0.62 * lambert) + spec)
}
