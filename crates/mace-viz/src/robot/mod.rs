//! Robot pictures (the paper's Fig. 3): many configurations of the arm, each drawn as the solids
//! its links collide as (the convex hulls of their meshes, or capsules), overlaid with
//! transparency on the scene's obstacles (boxes, spheres, capsules, cylinders, triangle meshes
//! and point clouds, all opaque), the ground and the target, in one or more titled panels side
//! by side (e.g. "prior | posterior").
//!
//! The 3-D part is ray-cast rather than painted: every pixel (2 × 2 supersampled for smooth
//! edges) finds the nearest obstacle, ground point or target ball, then each configuration is
//! cast separately and blended over it with a fixed opacity where it lies in front. This gives
//! exact occlusion where an arm passes through a window frame (which painter's sorting of faces
//! gets wrong), and an arm's overlapping links are blended once, not once per link.
//!
//! A link's hull is ray-cast exactly, as the intersection of the half-spaces of its face planes
//! ([`mace_robot::ConvexHull::face_planes`]), with the ray brought into the link's frame (in
//! `f64`): a ray is inside it after it has entered every plane facing it and before it leaves any
//! plane facing away. Hulls are drawn without their 1 mm collision margin. Rays are cast at a
//! hull only from the pixels within its image (the convex outline of its projected vertices) and
//! only where nothing nearer than its nearest vertex was hit; each finds its entry by walking
//! from face to face, starting where the previous ray of the row entered (the first ray of a row
//! where the first of the row above did), so most take a step or two. Capsule links are cast
//! analytically.
//!
//! Obstacles: boxes by the slab test; spheres, capsules and cylinders exactly; meshes as their
//! triangles (Möller–Trumbore) and point clouds as a ball per point, each under a bounding-volume
//! hierarchy (median splits, leaves of 4) so that a ray meets only the few triangles or balls
//! along it: a cloud of a million points takes about 0.1 s to prepare and 0.2 s to draw at
//! 640 × 560 pixels.
//!
//! Shading: Lambert from a light behind the camera with the normal of the face hit (flat), plus
//! a depth cue (nearer = darker, farther fades towards the background); box edges outlined (also
//! on top of the arms), the other obstacles' silhouettes darkened; every obstacle's shadow on the
//! ground.
//!
//! Colours: collision-free configurations blue, colliding ones red, obstacles slate grey, target
//! a green ball with a ring (visible even when hidden).

use mace_robot::{CollisionModel, KinematicChain, Scene};
use nalgebra::Vector3;
use tiny_skia::{Color, Pixmap};

use crate::camera::Camera;
use crate::error::{Error, Result};
use crate::font::{draw_text, text_width, Align};
use crate::picture::{fill_rect, rgb, white, Rgb};

mod arm;
mod backdrop;
mod composite;
#[cfg(test)]
mod obstacle_tests;
mod obstacles;
#[cfg(test)]
mod tests;

use arm::*;
use backdrop::*;
use composite::*;

/// A point or direction (metres).
pub(super) type V3 = Vector3<f32>;

/// Supersampling factor per axis of the ray-cast image.
pub(super) const SS: u32 = 2;
/// Height of the title band above each panel, pixels.
pub(super) const TITLE_BAND: u32 = 34;
/// Height of the legend band below each panel, pixels.
pub(super) const LEGEND_BAND: u32 = 28;
/// Radius of the target ball, metres.
pub(super) const TARGET_RADIUS: f32 = 0.02;
/// Half the side of the square of ground drawn about (0.3, 0), metres.
pub(super) const GROUND_HALF: f32 = 0.95;

pub(super) const FREE: Rgb = [0.10, 0.32, 0.82];
pub(super) const COLLIDING: Rgb = [0.86, 0.12, 0.10];
pub(super) const OBSTACLE: Rgb = [0.50, 0.55, 0.62];
pub(super) const TARGET: Rgb = [0.10, 0.72, 0.22];
pub(super) const GROUND: Rgb = [0.94, 0.94, 0.93];
pub(super) const GRID_MINOR: Rgb = [0.84, 0.84, 0.84];
pub(super) const GRID_MAJOR: Rgb = [0.72, 0.72, 0.73];
pub(super) const SKY_TOP: Rgb = [0.985, 0.988, 0.992];
pub(super) const SKY_BOTTOM: Rgb = [0.90, 0.915, 0.935];

/// A robot in a scene: what the pictures show.
#[derive(Debug, Clone)]
pub struct RobotScene {
    /// The robot.
    pub chain: KinematicChain,
    /// Obstacles (boxes and other shapes), ground flag and target (drawn as a green ball).
    pub scene: Scene,
}

/// One panel of a robot picture: a title and a batch of configurations.
#[derive(Debug, Clone, Copy)]
pub struct Panel<'a> {
    /// Shown above the panel, e.g. `"prior"` or `"posterior (MACE)"`.
    pub title: &'a str,
    /// Configurations, a flat row-major `(n, dof)` slice (rad).
    pub configs: &'a [f32],
    /// Which configurations collide (length `n`); `None` = computed with the scene's collision model.
    pub colliding: Option<&'a [bool]>,
    /// Opacity of each configuration in `(0, 1]`; `None` = `2 / √n` clamped to `[0.06, 0.9]`.
    pub alpha: Option<f32>,
}

impl RobotScene {
    /// `chain` in `scene`.
    pub fn new(chain: KinematicChain, scene: Scene) -> RobotScene {
        RobotScene { chain, scene }
    }

    /// The built-in Panda in `scene`.
    pub fn panda(scene: Scene) -> RobotScene {
        RobotScene::new(KinematicChain::panda(), scene)
    }

    /// Whether each configuration of the flat `(n, dof)` batch collides (self, obstacles or
    /// ground).
    ///
    /// # Errors
    /// [`Error::Robot`] if `q` is not a finite `(n, dof)` batch.
    pub fn colliding(&self, q: &[f32]) -> Result<Vec<bool>> {
        Ok(CollisionModel::new(&self.chain, &self.scene).collides_batch(q)?)
    }
}

/// Draws `panels` side by side, each `size = (width, height)` pixels including a title band on
/// top and a legend band below; the picture is `(panels.len() · width) × height` pixels.
///
/// Every panel shows the same scene from `camera` (see [`Camera::for_scene`]).
///
/// # Errors
/// [`Error::Empty`] for no panels, [`Error::Size`] for a size outside 64 × 128 … 8192 × 8192
/// pixels, [`Error::Panel`] for a configuration batch that is not a finite `(n, dof)` one,
/// [`Error::Flags`] for a `colliding` of the wrong length.
pub fn render_robot_panels(
    rs: &RobotScene,
    panels: &[Panel<'_>],
    camera: &Camera,
    size: (u32, u32),
) -> Result<Pixmap> {
    let (w, h) = size;
    if panels.is_empty() {
        return Err(Error::Empty { what: "no panels" });
    }
    if !(64..=8192).contains(&w) || !(128..=8192).contains(&h) {
        return Err(Error::Size {
            what: "panel",
            width: w,
            height: h,
            min: "64×128",
            max: "8192×8192",
        });
    }
    let view_h = h - TITLE_BAND - LEGEND_BAND;
    let total_w = u32::try_from(panels.len())
        .ok()
        .and_then(|k| k.checked_mul(w))
        .ok_or(Error::Alloc {
            width: u32::MAX,
            height: h,
        })?;
    let mut out = white(total_w, h)?;
    let view = camera.view(w * SS, view_h * SS);
    let base = Backdrop::render(rs, &view, w * SS, view_h * SS);
    let focus = (camera.look_at - camera.eye).norm();
    let polytopes = polytopes(&rs.chain);
    let dof = rs.chain.dof();
    // Built once, for the panels without collision flags.
    let mut model: Option<CollisionModel> = None;
    for (k, panel) in panels.iter().enumerate() {
        let n = panel.configs.len().checked_div(dof).unwrap_or(0);
        let colliding = match panel.colliding {
            Some(c) => {
                if c.len() != n {
                    return Err(Error::Flags {
                        panel: panel.title.to_string(),
                        flags: c.len(),
                        configs: n,
                    });
                }
                c.to_vec()
            }
            None if n == 0 => Vec::new(),
            None => model
                .get_or_insert_with(|| CollisionModel::new(&rs.chain, &rs.scene))
                .collides_batch(panel.configs)
                .map_err(|source| Error::Panel {
                    panel: panel.title.to_string(),
                    source: Box::new(source),
                })?,
        };
        let poses = if n == 0 {
            Vec::new()
        } else {
            rs.chain
                .forward_kinematics(panel.configs)
                .map_err(|source| Error::Panel {
                    panel: panel.title.to_string(),
                    source: Box::new(source),
                })?
        };
        let alpha = panel
            .alpha
            .unwrap_or_else(|| (2.0 / (n.max(1) as f32).sqrt()).clamp(0.06, 0.9))
            .clamp(0.01, 1.0);
        let links = rs.chain.links();
        let arms: Vec<Arm<'_>> = poses
            .chunks_exact(links.len().max(1))
            .zip(&colliding)
            .filter_map(|(p, &hit)| {
                let colour = if hit { COLLIDING } else { FREE };
                Arm::new(links, &polytopes, p, colour, &view)
            })
            .collect();
        let mut img = base.colour.clone();
        // One ray per pixel for a few arms (crisp edges), per 2 × 2 block for many faint ones.
        let step = if arms.len() > 24 { 2 } else { 1 };
        composite_arms(
            &mut img,
            &base.depth,
            &arms,
            &view,
            w * SS,
            alpha,
            focus,
            step,
        );
        let x0 = k as u32 * w;
        blit_downsampled(&mut out, &img, w, view_h, x0, TITLE_BAND);
        // Obstacle edges and the target ring on top, so they show even behind many arms.
        let tv = camera.view(w, view_h);
        for b in &rs.scene.boxes {
            box_outline(&mut out, &tv, &b.obb(), x0 as f32, TITLE_BAND as f32);
        }
        if let Some(p) = tv.project(&V3::from(rs.scene.target)) {
            let r = TARGET_RADIUS * tv.pixels_per_metre(p[2]) + 4.0;
            ring(
                &mut out,
                x0 as f32 + p[0],
                TITLE_BAND as f32 + p[1],
                r,
                rgb([0.05, 0.45, 0.12]),
            );
        }
        let ink = Color::from_rgba8(30, 30, 35, 255);
        draw_text(
            &mut out,
            panel.title,
            x0 as f32 + 0.5 * w as f32,
            9.0,
            2,
            Align::Center,
            ink,
        );
        let free = colliding.iter().filter(|&&c| !c).count();
        let legend_y = (h - LEGEND_BAND + 8) as f32;
        let entries = [
            (FREE, format!("free {free}")),
            (COLLIDING, format!("colliding {}", n - free)),
            (TARGET, "target".to_string()),
        ];
        let total: u32 = entries
            .iter()
            .map(|(_, t)| 14 + 6 + text_width(t, 2) + 18)
            .sum::<u32>()
            - 18;
        let mut x = x0 as f32 + 0.5 * (w as f32 - total as f32).max(8.0);
        for (c, t) in &entries {
            fill_rect(&mut out, x, legend_y, 14.0, 14.0, rgb(*c));
            draw_text(&mut out, t, x + 20.0, legend_y, 2, Align::Left, ink);
            x += (14 + 6 + text_width(t, 2) + 18) as f32;
        }
        if k > 0 {
            fill_rect(
                &mut out,
                x0 as f32,
                0.0,
                1.0,
                h as f32,
                Color::from_rgba8(180, 180, 185, 255),
            );
        }
    }
    Ok(out)
}
