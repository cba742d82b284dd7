//! Robot pictures (the paper's Fig. 3): many configurations of the arm, each drawn as the solids
//! its links collide as (the convex hulls of their meshes, or capsules), overlaid with
//! transparency on the scene's obstacle boxes, the ground and the target, in one or more titled
//! panels side by side (e.g. "prior | posterior").
//!
//! The 3-D part is ray-cast rather than painted: every pixel (2 × 2 supersampled for smooth
//! edges) finds the nearest obstacle box, ground point or target ball, then each configuration is
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
//! Shading: Lambert from a light behind the camera with the normal of the face hit (flat), plus
//! a depth cue (nearer = darker, farther fades towards the background), box edges outlined, box
//! shadows on the ground.
//!
//! Colours: collision-free configurations blue, colliding ones red, obstacles slate grey, target
//! a green ball with a ring (visible even when hidden).

use mace_robot::{Capsule, ChainLink, CollisionModel, KinematicChain, LinkShape, Obb, Pose, Scene};
use nalgebra::{Matrix3, Vector3};
use rayon::prelude::*;
use tiny_skia::{Color, Paint, PathBuilder, Pixmap, PremultipliedColorU8, Stroke, Transform};

use crate::camera::{normalize, Camera, View};
use crate::error::{Error, Result};
use crate::font::{draw_text, text_width, Align};
use crate::picture::{fill_rect, lerp, rgb, white, Rgb};
use crate::polytope::Polytope;
use crate::raycast::{
    capsule_normal, ray_capsule_t, ray_ground, ray_hits_any, ray_obb, ray_sphere,
};

/// A point or direction (metres).
type V3 = Vector3<f32>;

/// Supersampling factor per axis of the ray-cast image.
const SS: u32 = 2;
/// Height of the title band above each panel, pixels.
const TITLE_BAND: u32 = 34;
/// Height of the legend band below each panel, pixels.
const LEGEND_BAND: u32 = 28;
/// Radius of the target ball, metres.
const TARGET_RADIUS: f32 = 0.02;
/// Half the side of the square of ground drawn about (0.3, 0), metres.
const GROUND_HALF: f32 = 0.95;

const FREE: Rgb = [0.10, 0.32, 0.82];
const COLLIDING: Rgb = [0.86, 0.12, 0.10];
const OBSTACLE: Rgb = [0.50, 0.55, 0.62];
const TARGET: Rgb = [0.10, 0.72, 0.22];
const GROUND: Rgb = [0.94, 0.94, 0.93];
const GRID_MINOR: Rgb = [0.84, 0.84, 0.84];
const GRID_MAJOR: Rgb = [0.72, 0.72, 0.73];
const SKY_TOP: Rgb = [0.985, 0.988, 0.992];
const SKY_BOTTOM: Rgb = [0.90, 0.915, 0.935];

/// A robot in a scene: what the pictures show.
#[derive(Debug, Clone)]
pub struct RobotScene {
    /// The robot.
    pub chain: KinematicChain,
    /// Obstacles, ground flag and target (drawn as a green ball).
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

    /// Whether each configuration of the flat `(n, dof)` batch collides (self, boxes or ground).
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
                    source,
                })?,
        };
        let poses = if n == 0 {
            Vec::new()
        } else {
            rs.chain
                .forward_kinematics(panel.configs)
                .map_err(|source| Error::Panel {
                    panel: panel.title.to_string(),
                    source,
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

/// The opaque part of the picture (sky, ground, boxes, target) at supersampled resolution, with
/// the distance along each pixel's ray to the nearest opaque surface.
struct Backdrop {
    colour: Vec<Rgb>,
    depth: Vec<f32>,
}

/// Light direction (unit, pointing towards the light) for a view: behind the camera, above it
/// and to its left.
fn light_dir(view: &View) -> V3 {
    normalize(view.forward() * -0.55 + view.up() * 0.75 + view.right() * -0.35)
}

/// The sun for ground shadows: high, slightly from the camera's side.
fn sun_dir(view: &View) -> V3 {
    let f = view.forward();
    normalize(V3::new(-0.35 * f.x, -0.35 * f.y, 1.0))
}

impl Backdrop {
    fn render(rs: &RobotScene, view: &View, w: u32, h: u32) -> Backdrop {
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
fn ground_colour(p: &V3, view: &View, t: f32, obbs: &[Obb], sun: &V3, sky: Rgb) -> Option<Rgb> {
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
fn shade(base: Rgb, lambert: f32, n: &V3, rd: &V3, light: &V3) -> Rgb {
    // Blinn–Phong half vector between the light and the eye.
    let hv = normalize(light - rd);
    let spec = n.dot(&hv).max(0.0).powi(24) * 0.35;
    base.map(|v| v * (0.38 + 0.62 * lambert) + spec)
}

/// One collision solid of one configuration, world frame, ready to cast.
struct Solid<'g> {
    shape: Shape<'g>,
    /// Capsules whose union contains the solid (the capsule itself, or the hull's cover).
    covers: Vec<Capsule>,
    /// Per cover: pixel bounds `[x0, y0, x1, y1]` (inclusive-exclusive, supersampled).
    bounds: Vec<[i32; 4]>,
    /// Per cover: a 2-D capsule enclosing its image, `Some([ax, ay, bx, by, r])` (pixels), or
    /// `None` when it reaches behind the camera (then the bounds are the whole image).
    outline: Vec<Option<[f32; 5]>>,
    /// The convex outline of a hull's image (pixels), when all of it is in front of the camera:
    /// tighter than the covers' outlines.
    silhouette: Option<Vec<[f32; 2]>>,
    /// Pixel bounds of the solid's image: of the silhouette, or else the union of the covers'.
    bound: [i32; 4],
    /// No point of the solid is nearer than this depth along the viewing direction (metres).
    near: f32,
}

/// What a [`Solid`] is.
enum Shape<'g> {
    /// The capsule `covers[0]`.
    Capsule,
    /// A convex hull, cast in its link's frame.
    Hull {
        /// The hull (link frame).
        poly: &'g Polytope,
        /// The link's rotation (world from link).
        rot: Matrix3<f64>,
        /// The link's origin, world frame (metres).
        trans: Vector3<f64>,
        /// A face facing the camera, where walks start ([`Polytope::walk`]).
        start: u32,
    },
}

/// One configuration ready to cast: its solids, colour and pixel bounds (supersampled).
struct Arm<'g> {
    solids: Vec<Solid<'g>>,
    /// Union of the solids' bounds.
    bound: [i32; 4],
    colour: Rgb,
}

/// Bounds that contain nothing (the identity of [`union`]).
const EMPTY: [i32; 4] = [i32::MAX, i32::MAX, i32::MIN, i32::MIN];

/// `a` grown to contain `b` (pixel bounds).
fn union(a: &mut [i32; 4], b: &[i32; 4]) {
    a[0] = a[0].min(b[0]);
    a[1] = a[1].min(b[1]);
    a[2] = a[2].max(b[2]);
    a[3] = a[3].max(b[3]);
}

/// The pixel bounds and 2-D outline of a world capsule's image (see [`Solid::outline`]).
fn project_capsule(c: &Capsule, view: &View) -> ([i32; 4], Option<[f32; 5]>) {
    let mut ends = [[0.0f32; 2]; 2];
    let mut radius = 0.0f32;
    for (k, p) in [c.a, c.b].into_iter().enumerate() {
        // Project the end sphere conservatively: at its nearest depth, 10% wider for the
        // elongation of off-axis spheres under perspective, plus 2 px.
        let Some(q) = view.project(&V3::from(p)) else {
            return (
                [i32::MIN / 2, i32::MIN / 2, i32::MAX / 2, i32::MAX / 2],
                None,
            );
        };
        let r = 1.1 * c.radius * view.pixels_per_metre((q[2] - c.radius).max(0.02)) + 2.0;
        radius = radius.max(r);
        ends[k] = [q[0], q[1]];
    }
    let mut b = EMPTY;
    for e in ends {
        b[0] = b[0].min((e[0] - radius).floor() as i32);
        b[1] = b[1].min((e[1] - radius).floor() as i32);
        b[2] = b[2].max((e[0] + radius).ceil() as i32 + 1);
        b[3] = b[3].max((e[1] + radius).ceil() as i32 + 1);
    }
    let outline = [ends[0][0], ends[0][1], ends[1][0], ends[1][1], radius];
    (b, Some(outline))
}

/// The polytope of every collision shape of `chain` that is a hull, in the order of its links and
/// their shapes.
fn polytopes(chain: &KinematicChain) -> Vec<Option<Polytope>> {
    chain
        .links()
        .iter()
        .flat_map(|l| &l.collision)
        .collect::<Vec<_>>()
        .par_iter()
        .map(|s| s.hull().map(Polytope::of_hull))
        .collect()
}

impl<'g> Arm<'g> {
    /// The solids of `links` placed at `poses` (one pose per link, from forward kinematics), with
    /// the polytopes of their hulls ([`polytopes`]); `None` if the chain has no collision
    /// geometry.
    fn new(
        links: &[ChainLink],
        polytopes: &'g [Option<Polytope>],
        poses: &[Pose],
        colour: Rgb,
        view: &View,
    ) -> Option<Arm<'g>> {
        let mut solids = Vec::new();
        let mut bound = EMPTY;
        let shapes = links
            .iter()
            .zip(poses)
            .flat_map(|(l, pose)| l.collision.iter().map(move |s| (s, pose)));
        for ((shape, pose), poly) in shapes.zip(polytopes) {
            let covers: Vec<Capsule> = shape.cover().iter().map(|c| c.transformed(pose)).collect();
            let (mut silhouette, mut near) = (None, 0.0);
            let kind = match shape {
                LinkShape::Capsule(_) => Shape::Capsule,
                LinkShape::Hull(h) => {
                    let poly = poly.as_ref().expect("polytopes gives every hull one");
                    let rot = Matrix3::from_fn(|i, j| f64::from(pose.rot[i][j]));
                    let trans = Vector3::from(pose.trans.map(f64::from));
                    // The face most opposed to the ray through the centre of the covers.
                    let n = covers.len().max(1) as f32;
                    let centre = covers.iter().fold(V3::zeros(), |s, c| {
                        s + (V3::from(c.a) + V3::from(c.b)) * (0.5 / n)
                    });
                    let dir = match view.project(&centre) {
                        Some(q) => view.ray(q[0], q[1]).1,
                        None => view.forward(),
                    };
                    let start = poly.facing(&rot.tr_mul(&dir.cast()));
                    let placed = h.vertices().map(|v| V3::from(pose.transform_point(v)));
                    let projected: Option<Vec<[f32; 3]>> =
                        placed.map(|p| view.project(&p)).collect();
                    if let Some(points) = projected {
                        near = points.iter().map(|q| q[2]).fold(f32::INFINITY, f32::min);
                        silhouette = Some(convex_outline(
                            points.iter().map(|q| [q[0], q[1]]).collect(),
                        ));
                    }
                    Shape::Hull {
                        poly,
                        rot,
                        trans,
                        start,
                    }
                }
            };
            let (mut bounds, mut outline) = (Vec::new(), Vec::new());
            let mut b = EMPTY;
            for c in &covers {
                let (cb, o) = project_capsule(c, view);
                union(&mut b, &cb);
                bounds.push(cb);
                outline.push(o);
            }
            if let Some(poly) = &silhouette {
                b = EMPTY;
                for p in poly {
                    b[0] = b[0].min(p[0].floor() as i32 - 1);
                    b[1] = b[1].min(p[1].floor() as i32 - 1);
                    b[2] = b[2].max(p[0].ceil() as i32 + 2);
                    b[3] = b[3].max(p[1].ceil() as i32 + 2);
                }
            }
            union(&mut bound, &b);
            solids.push(Solid {
                shape: kind,
                covers,
                bounds,
                outline,
                silhouette,
                bound: b,
                near,
            });
        }
        (!solids.is_empty()).then_some(Arm {
            solids,
            bound,
            colour,
        })
    }

    /// The `x` range (pixels, supersampled) where row `y` (centre `yc`) may cross `solid`'s
    /// image: its silhouette's span, widened by a pixel, or else the hull of the row's spans of
    /// its covers' outlines; empty if none is crossed.
    fn row_span(solid: &Solid<'_>, yi: i32, yc: f32) -> (i32, i32) {
        if let Some(poly) = &solid.silhouette {
            return match polygon_row_span(poly, yc) {
                Some((a, z)) => (a.floor() as i32 - 1, z.ceil() as i32 + 1),
                None => (i32::MAX, i32::MIN),
            };
        }
        let (mut lo, mut hi) = (i32::MAX, i32::MIN);
        for (b, o) in solid.bounds.iter().zip(&solid.outline) {
            if yi < b[1] || yi >= b[3] {
                continue;
            }
            let (mut l, mut h) = (b[0], b[2]);
            if let Some(o) = o {
                let Some((a, z)) = capsule_row_span(o, yc) else {
                    continue;
                };
                l = l.max(a.floor() as i32 - 1);
                h = h.min(z.ceil() as i32 + 1);
            }
            lo = lo.min(l);
            hi = hi.max(h);
        }
        (lo, hi)
    }
}

/// Grid rows cast one after another by one task of [`composite_arms`], so that each hull's first
/// ray of a row starts its walk where the first ray of the row above entered.
const BAND: usize = 8;

/// Casts every arm and blends it with opacity `alpha` over `img` (`w` pixels wide) where it lies
/// in front of the backdrop, in order; bands of rows in parallel. One ray is cast per
/// `step × step` block of pixels (1 = every pixel; 2 for many faint arms, where aliasing does
/// not show and casting costs a quarter), each pixel of the block still tested against its own
/// backdrop depth. `focus` is the camera's look-at distance (metres): arm surfaces nearer than it
/// are drawn darker, farther ones fade towards white.
#[allow(clippy::too_many_arguments)]
fn composite_arms(
    img: &mut [Rgb],
    depth: &[f32],
    arms: &[Arm<'_>],
    view: &View,
    w: u32,
    alpha: f32,
    focus: f32,
    step: u32,
) {
    let light = light_dir(view);
    let fwd = view.forward();
    let wu = w as usize;
    let st = step as usize;
    let gw = wu.div_ceil(st);
    let half = 0.5 * step as f32;
    // Where the solids of arm `a` start in a flat list of all arms' solids.
    let first: Vec<usize> = arms
        .iter()
        .scan(0, |n, a| {
            let f = *n;
            *n += a.solids.len();
            Some(f)
        })
        .collect();
    let walk_starts: Vec<u32> = arms
        .iter()
        .flat_map(|a| &a.solids)
        .map(|s| match s.shape {
            Shape::Hull { start, .. } => start,
            Shape::Capsule => 0,
        })
        .collect();
    img.par_chunks_mut(wu * st * BAND)
        .zip(depth.par_chunks(wu * st * BAND))
        .enumerate()
        .for_each(|(band, (band_rows, band_depth))| {
            // Per solid: the face where the first ray of the previous row entered.
            let mut starts = walk_starts.clone();
            // Nearest hit per cell of the current arm (distance, solid, face of a hull); the
            // distance is reset to ∞ after each arm is blended.
            let mut hit_t = vec![f32::INFINITY; gw];
            let mut hit_s = vec![0u32; gw];
            let mut hit_f = vec![0u32; gw];
            for (k, (rows, drows)) in band_rows
                .chunks_mut(wu * st)
                .zip(band_depth.chunks(wu * st))
                .enumerate()
            {
                let nrows = rows.len() / wu;
                let yc = ((band * BAND + k) * st) as f32 + half;
                let yi = yc.floor() as i32;
                let rays: Vec<(V3, V3)> = (0..gw)
                    .map(|gx| view.ray((gx * st) as f32 + half, yc))
                    .collect();
                // The nearest backdrop depth in each cell bounds the useful hits.
                let cell_depth: Vec<f32> = (0..gw)
                    .map(|gx| {
                        let mut d = 0.0f32;
                        for r in 0..nrows {
                            for x in gx * st..((gx + 1) * st).min(wu) {
                                d = d.max(drows[r * wu + x]);
                            }
                        }
                        d
                    })
                    .collect();
                for (arm, &first) in arms.iter().zip(&first) {
                    if yi < arm.bound[1] || yi >= arm.bound[3] {
                        continue;
                    }
                    // Cells touched by this arm's solids on this row.
                    let (mut tx0, mut tx1) = (gw, 0usize);
                    for (si, solid) in arm.solids.iter().enumerate() {
                        if yi < solid.bound[1] || yi >= solid.bound[3] {
                            continue;
                        }
                        let (lo, hi) = Arm::row_span(solid, yi, yc);
                        let cx0 = (lo.max(0) as usize) / st;
                        let cx1 = (hi.max(0) as usize).div_ceil(st).min(gw);
                        if cx0 >= cx1 {
                            continue;
                        }
                        tx0 = tx0.min(cx0);
                        tx1 = tx1.max(cx1);
                        match &solid.shape {
                            Shape::Capsule => {
                                let c = &solid.covers[0];
                                for gx in cx0..cx1 {
                                    let (ro, rd) = &rays[gx];
                                    if let Some(t) = ray_capsule_t(ro, rd, c) {
                                        if t < hit_t[gx] && t < cell_depth[gx] {
                                            hit_t[gx] = t;
                                            hit_s[gx] = si as u32;
                                        }
                                    }
                                }
                            }
                            Shape::Hull {
                                poly,
                                rot,
                                trans,
                                start,
                            } => {
                                let mut from = starts[first + si];
                                let mut first_ray = true;
                                for gx in cx0..cx1 {
                                    let (ro, rd) = &rays[gx];
                                    let nearest = hit_t[gx].min(cell_depth[gx]);
                                    // Nothing of the hull is nearer than its nearest depth.
                                    if solid.near >= nearest * rd.dot(&fwd) {
                                        continue;
                                    }
                                    // The ray in the link's frame.
                                    let o = rot.tr_mul(&(ro.cast::<f64>() - trans));
                                    let d = rot.tr_mul(&rd.cast::<f64>());
                                    let hit = poly.walk(&o, &d, &mut from, *start, nearest.into());
                                    if first_ray {
                                        starts[first + si] = from;
                                        first_ray = false;
                                    }
                                    if let Some((t, face)) = hit {
                                        hit_t[gx] = t as f32;
                                        hit_s[gx] = si as u32;
                                        hit_f[gx] = face;
                                    }
                                }
                            }
                        }
                    }
                    for gx in tx0..tx1 {
                        let t = hit_t[gx];
                        if !t.is_finite() {
                            continue;
                        }
                        hit_t[gx] = f32::INFINITY;
                        let (ro, rd) = &rays[gx];
                        let solid = &arm.solids[hit_s[gx] as usize];
                        let n = match &solid.shape {
                            Shape::Capsule => capsule_normal(&solid.covers[0], &(ro + rd * t)),
                            Shape::Hull { poly, rot, .. } => (rot * poly.normal(hit_f[gx])).cast(),
                        };
                        let lambert = n.dot(&light).max(0.0);
                        let mut c = shade(arm.colour, lambert, &n, rd, &light);
                        // Depth cue: nearer is darker, farther fades a little.
                        let z = t * rd.dot(&fwd);
                        let fade = (z - focus).clamp(-0.5, 1.0);
                        c = if fade < 0.0 {
                            c.map(|v| v * (1.0 + 0.5 * fade))
                        } else {
                            lerp(c, [1.0, 1.0, 1.0], 0.3 * fade)
                        };
                        for r in 0..nrows {
                            for x in gx * st..((gx + 1) * st).min(wu) {
                                let i = r * wu + x;
                                if t < drows[i] {
                                    rows[i] = lerp(rows[i], c, alpha);
                                }
                            }
                        }
                    }
                }
            }
        });
}

/// The convex hull of points in the image (Andrew's monotone chain), its corners in order; the
/// points themselves when fewer than three.
fn convex_outline(mut points: Vec<[f32; 2]>) -> Vec<[f32; 2]> {
    points.sort_by(|a, b| a[0].total_cmp(&b[0]).then(a[1].total_cmp(&b[1])));
    points.dedup();
    if points.len() < 3 {
        return points;
    }
    let chain = |points: &mut dyn Iterator<Item = &[f32; 2]>| {
        let mut c: Vec<[f32; 2]> = Vec::new();
        for p in points {
            while let [.., o, a] = c[..] {
                if (a[0] - o[0]) * (p[1] - o[1]) - (a[1] - o[1]) * (p[0] - o[0]) > 0.0 {
                    break;
                }
                c.pop();
            }
            c.push(*p);
        }
        c.pop();
        c
    };
    let mut hull = chain(&mut points.iter());
    hull.extend(chain(&mut points.iter().rev()));
    hull
}

/// The `x` interval where the row `y` crosses a convex polygon (its corners in order), `None`
/// if it misses.
fn polygon_row_span(poly: &[[f32; 2]], y: f32) -> Option<(f32, f32)> {
    let (mut lo, mut hi) = (f32::INFINITY, f32::NEG_INFINITY);
    for (i, a) in poly.iter().enumerate() {
        let b = &poly[(i + 1) % poly.len()];
        let (y0, y1) = (a[1].min(b[1]), a[1].max(b[1]));
        if y < y0 || y > y1 {
            continue;
        }
        let xs = if y1 - y0 < 1e-6 {
            (a[0].min(b[0]), a[0].max(b[0]))
        } else {
            let x = a[0] + (b[0] - a[0]) * (y - a[1]) / (b[1] - a[1]);
            (x, x)
        };
        lo = lo.min(xs.0);
        hi = hi.max(xs.1);
    }
    (lo <= hi).then_some((lo, hi))
}

/// The `x` interval where the row `y` crosses the 2-D capsule `[ax, ay, bx, by, r]` (segment
/// `a`–`b` swept by a disc of radius `r`): the hull of its slices of the two end discs and of the
/// band between them, `None` if it misses.
fn capsule_row_span(o: &[f32; 5], y: f32) -> Option<(f32, f32)> {
    let [ax, ay, bx, by, r] = *o;
    let mut lo = f32::INFINITY;
    let mut hi = f32::NEG_INFINITY;
    for (cx, cy) in [(ax, ay), (bx, by)] {
        let dy = y - cy;
        if dy.abs() <= r {
            let h = (r * r - dy * dy).sqrt();
            lo = lo.min(cx - h);
            hi = hi.max(cx + h);
        }
    }
    // Band: |n·(p − a)| ≤ r·|d| and 0 ≤ d·(p − a) ≤ |d|², each linear in x along the row.
    let (dx, dy) = (bx - ax, by - ay);
    let len2 = dx * dx + dy * dy;
    if len2 > 1e-6 {
        let (mut blo, mut bhi) = (f32::NEG_INFINITY, f32::INFINITY);
        let ry = y - ay;
        // Constraint c0 + c1·x' ∈ [min, max], with x' = x − ax.
        let mut clip = |c0: f32, c1: f32, min: f32, max: f32| {
            if c1.abs() < 1e-9 {
                if c0 < min || c0 > max {
                    blo = f32::INFINITY;
                }
            } else {
                let (t0, t1) = ((min - c0) / c1, (max - c0) / c1);
                blo = blo.max(t0.min(t1));
                bhi = bhi.min(t0.max(t1));
            }
        };
        let len = len2.sqrt();
        // Perpendicular n = (−dy, dx): n·(x', ry) = −dy·x' + dx·ry.
        clip(dx * ry, -dy, -r * len, r * len);
        // Along d: dx·x' + dy·ry.
        clip(dy * ry, dx, 0.0, len2);
        if blo <= bhi {
            lo = lo.min(ax + blo);
            hi = hi.max(ax + bhi);
        }
    }
    (lo <= hi).then_some((lo, hi))
}

/// Averages `SS × SS` blocks of `img` (`w·SS × h·SS`) into the `w × h` region of `out` at `(x0, y0)`.
fn blit_downsampled(out: &mut Pixmap, img: &[Rgb], w: u32, h: u32, x0: u32, y0: u32) {
    let ow = out.width();
    let iw = (w * SS) as usize;
    let pixels = out.pixels_mut();
    let norm = 1.0 / (SS * SS) as f32;
    for y in 0..h {
        for x in 0..w {
            let mut acc = [0.0f32; 3];
            for dy in 0..SS {
                for dx in 0..SS {
                    let c = img[((y * SS + dy) as usize) * iw + (x * SS + dx) as usize];
                    for (a, v) in acc.iter_mut().zip(c) {
                        *a += v;
                    }
                }
            }
            let to8 = |v: f32| (v * norm).clamp(0.0, 1.0).mul_add(255.0, 0.5) as u8;
            if let Some(p) =
                PremultipliedColorU8::from_rgba(to8(acc[0]), to8(acc[1]), to8(acc[2]), 255)
            {
                pixels[((y0 + y) * ow + x0 + x) as usize] = p;
            }
        }
    }
}

/// The twelve edges of a box as thin, half-transparent dark lines (an "x-ray" outline, drawn
/// over the arms), offset by `(ox, oy)` pixels.
fn box_outline(out: &mut Pixmap, view: &View, obb: &Obb, ox: f32, oy: f32) {
    let corner = |i: usize| {
        let s = [
            if i & 1 == 0 { -1.0 } else { 1.0 },
            if i & 2 == 0 { -1.0 } else { 1.0 },
            if i & 4 == 0 { -1.0 } else { 1.0 },
        ];
        V3::from(obb.pose.transform_point([
            s[0] * obb.half[0],
            s[1] * obb.half[1],
            s[2] * obb.half[2],
        ]))
    };
    let mut pb = PathBuilder::new();
    for i in 0..8usize {
        for bit in [1usize, 2, 4] {
            if i & bit == 0 {
                let (Some(a), Some(b)) = (view.project(&corner(i)), view.project(&corner(i | bit)))
                else {
                    continue;
                };
                pb.move_to(ox + a[0], oy + a[1]);
                pb.line_to(ox + b[0], oy + b[1]);
            }
        }
    }
    let Some(path) = pb.finish() else {
        return;
    };
    let mut paint = Paint::default();
    paint.set_color(Color::from_rgba8(35, 40, 50, 110));
    paint.anti_alias = true;
    let stroke = Stroke {
        width: 1.0,
        ..Stroke::default()
    };
    out.stroke_path(&path, &paint, &stroke, Transform::identity(), None);
}

/// A circle outline of radius `r` pixels, 2 px wide.
fn ring(out: &mut Pixmap, cx: f32, cy: f32, r: f32, colour: Color) {
    let Some(path) = PathBuilder::from_circle(cx, cy, r) else {
        return;
    };
    let mut paint = Paint::default();
    paint.set_color(colour);
    paint.anti_alias = true;
    let stroke = Stroke {
        width: 2.0,
        ..Stroke::default()
    };
    out.stroke_path(&path, &paint, &stroke, Transform::identity(), None);
}

#[cfg(test)]
mod tests {
    use super::*;

    const READY: [f32; 7] = [0.0, -0.785, 0.0, -2.356, 0.0, 1.571, 0.785];

    #[test]
    fn hulls_follow_the_links() {
        // A ray from the camera to the centre of each placed hull enters it before the centre.
        let rs = RobotScene::panda(Scene::by_name("window").unwrap());
        let camera = Camera::for_scene(&rs.scene);
        let view = camera.view(400, 300);
        let poses = rs.chain.forward_kinematics(&READY).unwrap();
        let links = rs.chain.links();
        let polytopes = polytopes(&rs.chain);
        let arm = Arm::new(links, &polytopes, &poses, FREE, &view).unwrap();
        let shapes: Vec<(&LinkShape, &Pose)> = links
            .iter()
            .zip(&poses)
            .flat_map(|(l, p)| l.collision.iter().map(move |s| (s, p)))
            .collect();
        assert_eq!(arm.solids.len(), shapes.len());
        let mut top = 0.0f32;
        for (solid, (shape, pose)) in arm.solids.iter().zip(shapes) {
            let (
                Shape::Hull {
                    poly, rot, trans, ..
                },
                LinkShape::Hull(h),
            ) = (&solid.shape, shape)
            else {
                panic!("the Panda's links are mesh hulls");
            };
            let n = h.vertices().count() as f32;
            let c = h.vertices().fold(V3::zeros(), |s, v| s + V3::from(v) / n);
            let c = V3::from(pose.transform_point(c.into()));
            top = top.max(
                h.vertices()
                    .map(|v| pose.transform_point(v)[2])
                    .fold(0.0, f32::max),
            );
            let to_c = (c - camera.eye).cast::<f64>();
            let (o, d) = (
                rot.tr_mul(&(camera.eye.cast() - trans)),
                rot.tr_mul(&to_c.normalize()),
            );
            let (t, _) = poly.scan(&o, &d, f64::INFINITY).unwrap();
            assert!(t > 0.0 && t < to_c.norm(), "{t} vs {}", to_c.norm());
        }
        // The arm's top is well above the base and below 1.2 m.
        assert!(top > 0.4 && top < 1.2, "{top}");
    }

    #[test]
    fn row_spans_match_brute_force() {
        let dist = |o: &[f32; 5], x: f32, y: f32| {
            let [ax, ay, bx, by, _] = *o;
            let (dx, dy) = (bx - ax, by - ay);
            let l2 = (dx * dx + dy * dy).max(1e-12);
            let t = (((x - ax) * dx + (y - ay) * dy) / l2).clamp(0.0, 1.0);
            ((x - ax - t * dx).powi(2) + (y - ay - t * dy).powi(2)).sqrt()
        };
        for o in [
            [10.0f32, 10.0, 60.0, 35.0, 8.0],
            [30.0, 5.0, 30.0, 50.0, 4.0],
            [5.0, 20.0, 70.0, 20.0, 6.0],
            [40.0, 40.0, 40.0, 40.0, 9.0],
        ] {
            for y in 0..70 {
                let y = y as f32 + 0.5;
                let inside: Vec<f32> = (-200..1000)
                    .map(|i| i as f32 * 0.1)
                    .filter(|&x| dist(&o, x, y) <= o[4])
                    .collect();
                match capsule_row_span(&o, y) {
                    None => assert!(inside.is_empty(), "{o:?} y {y}"),
                    Some((lo, hi)) => {
                        let (a, b) = (inside[0], *inside.last().unwrap());
                        assert!(
                            (a - lo).abs() < 0.15 && (b - hi).abs() < 0.15,
                            "{o:?} y {y}: {lo}..{hi} vs {a}..{b}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn panels_have_the_stated_size_and_differ() {
        let rs = RobotScene::panda(Scene::by_name("wall").unwrap());
        let a = [0.0f32, -0.785, 0.0, -2.356, 0.0, 1.571, 0.785];
        let b = [1.2f32, 0.3, 0.0, -1.5, 0.0, 1.571, 0.785];
        let cam = Camera::for_scene(&rs.scene);
        let panels = [
            Panel {
                title: "a",
                configs: &a,
                colliding: None,
                alpha: Some(0.8),
            },
            Panel {
                title: "b",
                configs: &b,
                colliding: Some(&[true]),
                alpha: Some(0.8),
            },
        ];
        let p = render_robot_panels(&rs, &panels, &cam, (160, 200)).unwrap();
        assert_eq!((p.width(), p.height()), (320, 200));
        let left: Vec<_> = (0..200u32)
            .flat_map(|y| (0..160u32).map(move |x| (x, y)))
            .map(|(x, y)| p.pixel(x, y).unwrap().red())
            .collect();
        let right: Vec<_> = (0..200u32)
            .flat_map(|y| (160..320u32).map(move |x| (x, y)))
            .map(|(x, y)| p.pixel(x, y).unwrap().red())
            .collect();
        assert_ne!(left, right);
        assert!(render_robot_panels(&rs, &[], &cam, (160, 200)).is_err());
        let bad = [Panel {
            title: "bad",
            configs: &a,
            colliding: Some(&[true, false]),
            alpha: None,
        }];
        assert!(render_robot_panels(&rs, &bad, &cam, (160, 200)).is_err());
    }

    /// The configurations `q` drawn (opaque, free) in a scene with nothing else, and the pixels
    /// of the view that differ from the same panel without them.
    fn arm_pixels(q: &[f32], size: (u32, u32)) -> (Pixmap, Vec<(u32, u32)>) {
        let rs = RobotScene::panda(Scene::empty([0.5, 0.0, 0.4]));
        let cam = Camera::for_scene(&rs.scene);
        let flags = vec![false; q.len() / 7];
        let panel = |configs, colliding| Panel {
            title: "ready",
            configs,
            colliding: Some(colliding),
            alpha: Some(1.0),
        };
        let arm = render_robot_panels(&rs, &[panel(q, &flags)], &cam, size).unwrap();
        let empty = render_robot_panels(&rs, &[panel(&[], &[])], &cam, size).unwrap();
        let mut changed = Vec::new();
        for y in TITLE_BAND..size.1 - LEGEND_BAND {
            for x in 0..size.0 {
                if arm.pixel(x, y) != empty.pixel(x, y) {
                    changed.push((x, y));
                }
            }
        }
        (arm, changed)
    }

    #[test]
    fn the_arm_is_drawn_where_its_links_are() {
        let size = (240u32, 300u32);
        let (pic, changed) = arm_pixels(&READY, size);
        // Not blank, and the changed pixels are arm-blue (blue well above red).
        assert!(changed.len() > 1500, "{} arm pixels", changed.len());
        let blue = |x: u32, y: u32| {
            let p = pic.pixel(x, y).unwrap();
            u32::from(p.blue()) >= u32::from(p.red()) + 20
        };
        let bluish = changed.iter().filter(|&&(x, y)| blue(x, y)).count();
        assert!(
            bluish * 10 >= changed.len() * 9,
            "{bluish} of {}",
            changed.len()
        );
        // The centre of every link's hull projects onto the arm.
        let rs = RobotScene::panda(Scene::empty([0.5, 0.0, 0.4]));
        let view = Camera::for_scene(&rs.scene).view(size.0, size.1 - TITLE_BAND - LEGEND_BAND);
        let centres = |q: &[f32]| -> Vec<(String, (u32, u32))> {
            let poses = rs.chain.forward_kinematics(q).unwrap();
            let mut out = Vec::new();
            for (link, pose) in rs.chain.links().iter().zip(&poses) {
                for h in link.collision.iter().filter_map(LinkShape::hull) {
                    let n = h.vertices().count() as f32;
                    let c = h.vertices().fold(V3::zeros(), |s, v| s + V3::from(v) / n);
                    let p = view
                        .project(&V3::from(pose.transform_point(c.into())))
                        .unwrap();
                    out.push((link.name.clone(), (p[0] as u32, p[1] as u32 + TITLE_BAND)));
                }
            }
            out
        };
        let ready = centres(&READY);
        for (name, (x, y)) in &ready {
            assert!(blue(*x, *y), "{name} at ({x}, {y})");
        }
        // Turned about the base, the hand is drawn elsewhere: each picture's hand pixel is
        // changed in that picture only.
        let mut turned = READY;
        turned[0] = 2.5;
        let (_, other) = arm_pixels(&turned, size);
        assert!(other.len() > 1000, "{}", other.len());
        assert_ne!(other, changed);
        let hand =
            |c: &[(String, (u32, u32))]| c.iter().find(|(n, _)| n == "panda_hand").unwrap().1;
        let (h0, h1) = (hand(&ready), hand(&centres(&turned)));
        assert!(changed.contains(&h0) && !other.contains(&h0), "{h0:?}");
        assert!(other.contains(&h1) && !changed.contains(&h1), "{h1:?}");
    }

    #[test]
    fn bad_batches_name_the_panel() {
        let rs = RobotScene::panda(Scene::by_name("box").unwrap());
        let cam = Camera::for_scene(&rs.scene);
        let q = [0.0f32, f32::NAN, 0.0, -2.0, 0.0, 1.5, 0.7];
        let panels = [Panel {
            title: "nan",
            configs: &q,
            colliding: Some(&[false]),
            alpha: None,
        }];
        let e = render_robot_panels(&rs, &panels, &cam, (100, 150)).unwrap_err();
        assert!(
            matches!(&e, Error::Panel { panel, .. } if panel == "nan"),
            "{e}"
        );
        assert!(matches!(
            render_robot_panels(&rs, &panels, &cam, (10, 150)),
            Err(Error::Size { .. })
        ));
    }

    #[test]
    fn outlines_and_their_row_spans() {
        // A square's corners with points inside and on its edges: the square.
        let mut points = vec![[0.0f32, 0.0], [4.0, 0.0], [4.0, 4.0], [0.0, 4.0]];
        points.extend([[1.0, 1.0], [2.0, 0.0], [3.0, 2.5], [0.0, 2.0], [2.0, 2.0]]);
        let square = convex_outline(points);
        assert_eq!(square.len(), 4, "{square:?}");
        assert_eq!(polygon_row_span(&square, 1.5), Some((0.0, 4.0)));
        assert_eq!(polygon_row_span(&square, 4.5), None);
        // A triangle: the span narrows towards its apex.
        let tri = convex_outline(vec![[0.0, 0.0], [10.0, 0.0], [5.0, 10.0]]);
        let (lo, hi) = polygon_row_span(&tri, 5.0).unwrap();
        assert!(
            (lo - 2.5).abs() < 1e-5 && (hi - 7.5).abs() < 1e-5,
            "{lo} {hi}"
        );
        assert_eq!(
            convex_outline(vec![[1.0, 1.0], [1.0, 1.0]]),
            vec![[1.0, 1.0]]
        );
    }

    #[test]
    fn any_chain_with_capsules_and_boxes() {
        // A two-link arm: a cylinder base, a capsule link and a box link (a hull of 8 corners).
        let urdf = r#"<robot name="two">
          <link name="base"><collision><origin xyz="0 0 0.05"/>
            <geometry><cylinder radius="0.05" length="0.1"/></geometry></collision></link>
          <link name="l1"><collision><origin xyz="0.25 0 0" rpy="0 1.5707963 0"/>
            <geometry><capsule radius="0.03" length="0.5"/></geometry></collision></link>
          <link name="l2"><collision><origin xyz="0.15 0 0"/>
            <geometry><box size="0.3 0.06 0.06"/></geometry></collision></link>
          <joint name="j1" type="revolute"><parent link="base"/><child link="l1"/>
            <origin xyz="0 0 0.1"/><axis xyz="0 0 1"/>
            <limit lower="-3" upper="3" effort="1" velocity="1"/></joint>
          <joint name="j2" type="revolute"><parent link="l1"/><child link="l2"/>
            <origin xyz="0.5 0 0"/><axis xyz="0 0 1"/>
            <limit lower="-2" upper="2" effort="1" velocity="1"/></joint>
        </robot>"#;
        let chain = KinematicChain::from_urdf_str(urdf, "base", "l2").unwrap();
        let rs = RobotScene::new(chain, Scene::empty([0.6, 0.3, 0.1]));
        let cam = Camera::perspective(V3::new(0.4, -1.2, 1.0), V3::new(0.4, 0.1, 0.1), 40.0);
        let q = [0.3f32, 0.6];
        let size = (200u32, 240u32);
        let draw = |configs: &[f32]| {
            let flags = vec![false; configs.len() / 2];
            let panel = Panel {
                title: "two",
                configs,
                colliding: Some(&flags),
                alpha: Some(1.0),
            };
            render_robot_panels(&rs, &[panel], &cam, size).unwrap()
        };
        let (arm, empty) = (draw(&q), draw(&[]));
        let view = cam.view(size.0, size.1 - TITLE_BAND - LEGEND_BAND);
        let poses = rs.chain.forward_kinematics(&q).unwrap();
        // The middle of the capsule link and of the box link are drawn blue.
        for (link, centre) in [("l1", [0.25, 0.0, 0.0]), ("l2", [0.15, 0.0, 0.0])] {
            let pose = &poses[rs.chain.link_index(link).unwrap()];
            let p = view
                .project(&V3::from(pose.transform_point(centre)))
                .unwrap();
            let (x, y) = (p[0] as u32, p[1] as u32 + TITLE_BAND);
            let (a, e) = (arm.pixel(x, y).unwrap(), empty.pixel(x, y).unwrap());
            assert!(
                a != e && a.blue() > a.red() + 40,
                "{link} at ({x}, {y}): {a:?}"
            );
        }
    }
}
