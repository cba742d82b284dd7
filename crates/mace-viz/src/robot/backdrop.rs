//! What every configuration is drawn over: sky, ground with its grid and the obstacles'
//! shadows, the obstacles (boxes, spheres, capsules, cylinders, meshes, point clouds) and the
//! target, ray-cast once per panel; and the shading rule.
//!
//! Obstacles are opaque and shaded alike (Lambert from the light behind the camera, flat on
//! box faces and mesh triangles); box edges are outlined where the ray meets them, the other
//! shapes get a silhouette: the pixels of a shape next to (within 2 supersampled pixels of)
//! something farther away — another surface, the ground, the sky, or a part of the same mesh
//! or cloud more than 4 cm behind — are darkened as box edges are.

use rayon::prelude::*;

use crate::camera::{normalize, View};
use crate::picture::{lerp, Rgb};
use crate::raycast::{ray_ground, ray_obb, ray_sphere};

use super::obstacles::Obstacles;
use super::*;

/// The opaque part of the picture (sky, ground, obstacles, target) at supersampled resolution,
/// with the distance along each pixel's ray to the nearest opaque surface.
pub(super) struct Backdrop {
    pub(super) colour: Vec<Rgb>,
    pub(super) depth: Vec<f32>,
}

/// How much an outlined edge is darkened.
const EDGE_SHADE: f32 = 0.55;
/// Reach of a silhouette, supersampled pixels.
const SILHOUETTE_PX: usize = 2;
/// A depth step within one mesh or cloud that is outlined, metres.
const SILHOUETTE_STEP: f32 = 0.04;
/// No shape in a pixel's entry of the shape map.
const NO_SHAPE: u32 = u32::MAX;

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
        let obstacles = Obstacles::new(&rs.scene);
        let light = light_dir(view);
        let sun = sun_dir(view);
        let target = V3::from(rs.scene.target);
        let n = (w * h) as usize;
        let mut colour = vec![[0.0f32; 3]; n];
        let mut depth = vec![f32::INFINITY; n];
        // Which shape other than a box each pixel shows (for the silhouettes).
        let mut shape = vec![NO_SHAPE; n];
        colour
            .par_chunks_mut(w as usize)
            .zip(depth.par_chunks_mut(w as usize))
            .zip(shape.par_chunks_mut(w as usize))
            .enumerate()
            .for_each(|(y, ((crow, drow), srow))| {
                let sky = lerp(SKY_TOP, SKY_BOTTOM, y as f32 / h as f32);
                for x in 0..w as usize {
                    let (ro, rd) = view.ray(x as f32 + 0.5, y as f32 + 0.5);
                    let mut best = f32::INFINITY;
                    let mut c = sky;
                    if let Some(g) = ray_ground(&ro, &rd) {
                        let p = ro + rd * g.t;
                        if let Some(gc) = ground_colour(&p, view, g.t, &obstacles, &sun, sky) {
                            best = g.t;
                            c = gc;
                        }
                    }
                    for b in &obstacles.boxes {
                        if let Some((hit, local)) = ray_obb(&ro, &rd, b) {
                            if hit.t < best {
                                best = hit.t;
                                let mut bc = obstacle_colour(&hit.normal, &light);
                                // Outline the box's edges (about 1.5 px wide).
                                let px_m = 1.5 * SS as f32
                                    / view.pixels_per_metre(hit.t * rd.dot(&view.forward()));
                                let near_faces = (0..3)
                                    .filter(|&k| local[k].abs() > b.half[k] - px_m)
                                    .count();
                                if near_faces >= 2 {
                                    bc = bc.map(|v| v * EDGE_SHADE);
                                }
                                c = bc;
                            }
                        }
                    }
                    if let Some((hit, k)) = obstacles.hit(&ro, &rd, best) {
                        best = hit.t;
                        c = obstacle_colour(&hit.normal, &light);
                        srow[x] = k as u32;
                    }
                    if let Some(hit) = ray_sphere(&ro, &rd, &target, TARGET_RADIUS) {
                        if hit.t < best {
                            best = hit.t;
                            srow[x] = NO_SHAPE;
                            let lambert = hit.normal.dot(&light).max(0.0);
                            c = shade(TARGET, lambert, &hit.normal, &rd, &light);
                        }
                    }
                    crow[x] = c;
                    drow[x] = best;
                }
            });
        if !rs.scene.shapes.is_empty() {
            silhouettes(&mut colour, &depth, &shape, w as usize);
        }
        Backdrop { colour, depth }
    }
}

/// An obstacle's colour where its surface has unit normal `n`.
fn obstacle_colour(n: &V3, light: &V3) -> Rgb {
    let lambert = n.dot(light).max(0.0);
    OBSTACLE.map(|v| v * (0.55 + 0.5 * lambert))
}

/// Darkens the pixels of shapes (`shape[i]` not [`NO_SHAPE`]) within [`SILHOUETTE_PX`] of a
/// pixel showing something farther: another shape or anything else, or the same shape more
/// than [`SILHOUETTE_STEP`] behind.
fn silhouettes(colour: &mut [Rgb], depth: &[f32], shape: &[u32], w: usize) {
    let h = depth.len() / w.max(1);
    let r = SILHOUETTE_PX as isize;
    colour.par_chunks_mut(w).enumerate().for_each(|(y, crow)| {
        for (x, c) in crow.iter_mut().enumerate() {
            let i = y * w + x;
            let (s, d) = (shape[i], depth[i]);
            if s == NO_SHAPE {
                continue;
            }
            let edge = (-r..=r).any(|dy| {
                let yy = y as isize + dy;
                (0..h as isize).contains(&yy)
                    && (-r..=r).any(|dx| {
                        let xx = x as isize + dx;
                        if !(0..w as isize).contains(&xx) || dx * dx + dy * dy > r * r {
                            return false;
                        }
                        let j = yy as usize * w + xx as usize;
                        let step = if shape[j] == s { SILHOUETTE_STEP } else { 0.0 };
                        depth[j] > d * 1.002 + step
                    })
            });
            if edge {
                *c = c.map(|v| v * EDGE_SHADE);
            }
        }
    });
}

/// The ground's colour at `p` (on `z = 0`), or `None` outside the drawn square: grid lines every
/// 0.1 m (bolder every 0.5 m), the obstacles' shadows, and a fade into the background at the
/// border.
pub(super) fn ground_colour(
    p: &V3,
    view: &View,
    t: f32,
    obstacles: &Obstacles,
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
    if obstacles.occludes(&(p + V3::new(0.0, 0.0, 1e-4)), sun) {
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
