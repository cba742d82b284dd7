//! Robot pictures (the paper's Fig. 3): many configurations of the arm, each drawn as its
//! collision capsules, overlaid with transparency on the scene's obstacle boxes, the ground and the
//! target, in one or more titled panels side by side (e.g. "prior | posterior").
//!
//! The 3-D part is ray-cast rather than painted: every pixel (2 × 2 supersampled for smooth
//! edges) finds the nearest obstacle box, ground point or target ball, then each configuration is
//! cast separately and blended over it with a fixed opacity where it lies in front. This gives
//! exact occlusion where an arm passes through a window frame (which painter's sorting of capsules
//! and faces gets wrong), and an arm's overlapping capsules are blended once, not once per capsule.
//! Shading: Lambert from a light behind the camera, plus a depth cue (nearer = darker, farther
//! fades towards the background), box edges outlined, box shadows on the ground.
//!
//! Colours: collision-free configurations blue, colliding ones red, obstacles slate grey, target
//! a green ball with a ring (visible even when hidden).

use anyhow::{bail, Context};
use mace_robot::{Capsule, CollisionModel, KinematicChain, Obb, Scene};
use rayon::prelude::*;
use tiny_skia::{Color, Paint, PathBuilder, Pixmap, PremultipliedColorU8, Stroke, Transform};

use super::camera::{add, dot, norm, normalize, scale, sub, Camera, View, V3};
use super::font::{draw_text, text_width, Align};
use super::raycast::{
    capsule_normal, ray_capsule_t, ray_ground, ray_hits_any, ray_obb, ray_sphere,
};
use super::{fill_rect, rgb, Rgb};

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
pub(crate) struct RobotScene {
    /// The robot.
    pub(crate) chain: KinematicChain,
    /// Obstacles, ground flag and target (drawn as a green ball).
    pub(crate) scene: Scene,
}

/// One panel of a robot picture: a title and a batch of configurations.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Panel<'a> {
    /// Shown above the panel, e.g. `"prior"` or `"posterior (MACE)"`.
    pub(crate) title: &'a str,
    /// Configurations, a flat row-major `(n, dof)` slice (rad).
    pub(crate) configs: &'a [f32],
    /// Which configurations collide (length `n`); `None` = computed with the scene's collision model.
    pub(crate) colliding: Option<&'a [bool]>,
    /// Opacity of each configuration in `(0, 1]`; `None` = `2 / √n` clamped to `[0.06, 0.9]`.
    pub(crate) alpha: Option<f32>,
}

impl RobotScene {
    /// The built-in Panda in `scene`.
    pub(crate) fn panda(scene: Scene) -> RobotScene {
        RobotScene {
            chain: KinematicChain::panda(),
            scene,
        }
    }

    /// The capsules drawn for each configuration, world frame: a flat `(n, dof)` batch in, `n`
    /// lists of capsules out (every link with geometry, base included; a mesh link as the
    /// capsules covering its hull, slightly fuller than the link).
    ///
    /// # Errors
    /// If `q` is not a finite `(n, dof)` batch.
    pub(crate) fn world_capsules(&self, q: &[f32]) -> anyhow::Result<Vec<Vec<Capsule>>> {
        let poses = self.chain.forward_kinematics(q)?;
        let links = self.chain.links();
        Ok(poses
            .chunks_exact(links.len().max(1))
            .map(|p| {
                links
                    .iter()
                    .zip(p)
                    .flat_map(|(l, pose)| {
                        l.collision
                            .iter()
                            .flat_map(|c| c.cover())
                            .map(move |c| c.transformed(pose))
                    })
                    .collect()
            })
            .collect())
    }

    /// Whether each configuration of the flat `(n, dof)` batch collides (self, boxes or ground).
    ///
    /// # Errors
    /// If `q` is not a finite `(n, dof)` batch.
    pub(crate) fn colliding(&self, q: &[f32]) -> anyhow::Result<Vec<bool>> {
        Ok(CollisionModel::new(&self.chain, &self.scene).collides_batch(q)?)
    }
}

/// Draws `panels` side by side, each `size = (width, height)` pixels including a title band on
/// top and a legend band below; the picture is `(panels.len() · width) × height` pixels.
///
/// Every panel shows the same scene from `camera` (see [`Camera::for_scene`]).
///
/// # Errors
/// No panels, a size below 64 × 128 pixels, a configuration batch that is not `(n, dof)`, or a
/// `colliding` of the wrong length.
pub(crate) fn render_robot_panels(
    rs: &RobotScene,
    panels: &[Panel<'_>],
    camera: &Camera,
    size: (u32, u32),
) -> anyhow::Result<Pixmap> {
    let (w, h) = size;
    if panels.is_empty() {
        bail!("no panels to draw");
    }
    if w < 64 || h < 128 || w > 8192 || h > 8192 {
        bail!("panel size {w}×{h} px is outside 64×128 … 8192×8192");
    }
    let view_h = h - TITLE_BAND - LEGEND_BAND;
    let mut out = Pixmap::new(w * panels.len() as u32, h).context("allocating the picture")?;
    out.fill(Color::WHITE);
    let view = camera.view(w * SS, view_h * SS);
    let base = Backdrop::render(rs, &view, w * SS, view_h * SS);
    let focus = norm(sub(camera.look_at, camera.eye));
    let dof = rs.chain.dof();
    for (k, panel) in panels.iter().enumerate() {
        let n = panel.configs.len().checked_div(dof).unwrap_or(0);
        let colliding = match panel.colliding {
            Some(c) => {
                if c.len() != n {
                    bail!(
                        "panel `{}`: {} collision flags for {n} configurations",
                        panel.title,
                        c.len()
                    );
                }
                c.to_vec()
            }
            None if n == 0 => Vec::new(),
            None => rs
                .colliding(panel.configs)
                .with_context(|| format!("panel `{}`", panel.title))?,
        };
        let caps = if n == 0 {
            Vec::new()
        } else {
            rs.world_capsules(panel.configs)
                .with_context(|| format!("panel `{}`", panel.title))?
        };
        let alpha = panel
            .alpha
            .unwrap_or_else(|| (2.0 / (n.max(1) as f32).sqrt()).clamp(0.06, 0.9))
            .clamp(0.01, 1.0);
        let arms: Vec<Arm> = caps
            .into_iter()
            .zip(&colliding)
            .filter_map(|(c, &hit)| Arm::new(c, if hit { COLLIDING } else { FREE }, &view))
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
        if let Some(p) = tv.project(rs.scene.target) {
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
    normalize(add(
        add(scale(view.forward(), -0.55), scale(view.up(), 0.75)),
        scale(view.right(), -0.35),
    ))
}

/// The sun for ground shadows: high, slightly from the camera's side.
fn sun_dir(view: &View) -> V3 {
    let f = view.forward();
    normalize([-0.35 * f[0], -0.35 * f[1], 1.0])
}

impl Backdrop {
    fn render(rs: &RobotScene, view: &View, w: u32, h: u32) -> Backdrop {
        let obbs: Vec<Obb> = rs.scene.obbs();
        let light = light_dir(view);
        let sun = sun_dir(view);
        let target = rs.scene.target;
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
                    if let Some(g) = ray_ground(ro, rd) {
                        let p = add(ro, scale(rd, g.t));
                        if let Some(gc) = ground_colour(p, view, g.t, &obbs, sun, sky) {
                            best = g.t;
                            c = gc;
                        }
                    }
                    for b in &obbs {
                        if let Some((hit, local)) = ray_obb(ro, rd, b) {
                            if hit.t < best {
                                best = hit.t;
                                let lambert = dot(hit.normal, light).max(0.0);
                                let mut bc = scale(OBSTACLE, 0.55 + 0.5 * lambert);
                                // Outline the box's edges (about 1.5 px wide).
                                let px_m = 1.5 * SS as f32
                                    / view.pixels_per_metre(hit.t * dot(rd, view.forward()));
                                let near_faces = (0..3)
                                    .filter(|&k| local[k].abs() > b.half[k] - px_m)
                                    .count();
                                if near_faces >= 2 {
                                    bc = scale(bc, 0.55);
                                }
                                c = bc;
                            }
                        }
                    }
                    if let Some(hit) = ray_sphere(ro, rd, target, TARGET_RADIUS) {
                        if hit.t < best {
                            best = hit.t;
                            let lambert = dot(hit.normal, light).max(0.0);
                            c = shade(TARGET, lambert, hit.normal, rd, light);
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
fn ground_colour(p: V3, view: &View, t: f32, obbs: &[Obb], sun: V3, sky: Rgb) -> Option<Rgb> {
    let (gx, gy) = (p[0] - 0.3, p[1]);
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
    if line(p[0], 0.1, minor) || line(p[1], 0.1, minor) {
        c = GRID_MINOR;
    }
    let major = 0.9 * px_m.max(0.002);
    if line(p[0], 0.5, major) || line(p[1], 0.5, major) {
        c = GRID_MAJOR;
    }
    if ray_hits_any(add(p, [0.0, 0.0, 1e-4]), sun, obbs) {
        c = scale(c, 0.82);
    }
    Some(lerp(sky, c, (edge / 0.2).min(1.0)))
}

/// Lambert shading with a little specular highlight.
fn shade(base: Rgb, lambert: f32, n: V3, rd: V3, light: V3) -> Rgb {
    let mut c = scale(base, 0.38 + 0.62 * lambert);
    // Blinn–Phong half vector between the light and the eye.
    let hv = normalize(sub(light, rd));
    let spec = dot(n, hv).max(0.0).powi(24) * 0.35;
    for v in &mut c {
        *v += spec;
    }
    c
}

/// One configuration ready to cast: its capsules, colour and pixel bounds (supersampled).
struct Arm {
    caps: Vec<Capsule>,
    /// Per capsule: pixel bounds `[x0, y0, x1, y1]` (inclusive-exclusive).
    bounds: Vec<[i32; 4]>,
    /// Per capsule: a 2-D capsule enclosing its image, `Some([ax, ay, bx, by, r])` (pixels), or
    /// `None` when it reaches behind the camera (then the bounds are the whole image).
    outline: Vec<Option<[f32; 5]>>,
    /// Union of the capsule bounds.
    bound: [i32; 4],
    colour: Rgb,
}

impl Arm {
    fn new(caps: Vec<Capsule>, colour: Rgb, view: &View) -> Option<Arm> {
        let mut bounds = Vec::with_capacity(caps.len());
        let mut outline = Vec::with_capacity(caps.len());
        let mut bound = [i32::MAX, i32::MAX, i32::MIN, i32::MIN];
        for c in &caps {
            let mut b = [i32::MAX, i32::MAX, i32::MIN, i32::MIN];
            let mut ends = [[0.0f32; 2]; 2];
            let mut radius = 0.0f32;
            let mut behind = false;
            for (k, p) in [c.a, c.b].into_iter().enumerate() {
                // Project the end sphere conservatively: at its nearest depth, 10% wider for the
                // elongation of off-axis spheres under perspective, plus 2 px.
                let Some(q) = view.project(p) else {
                    behind = true;
                    break;
                };
                let r = 1.1 * c.radius * view.pixels_per_metre((q[2] - c.radius).max(0.02)) + 2.0;
                radius = radius.max(r);
                ends[k] = [q[0], q[1]];
            }
            if behind {
                b = [i32::MIN / 2, i32::MIN / 2, i32::MAX / 2, i32::MAX / 2];
                outline.push(None);
            } else {
                for e in ends {
                    b[0] = b[0].min((e[0] - radius).floor() as i32);
                    b[1] = b[1].min((e[1] - radius).floor() as i32);
                    b[2] = b[2].max((e[0] + radius).ceil() as i32 + 1);
                    b[3] = b[3].max((e[1] + radius).ceil() as i32 + 1);
                }
                outline.push(Some([
                    ends[0][0], ends[0][1], ends[1][0], ends[1][1], radius,
                ]));
            }
            for k in 0..2 {
                bound[k] = bound[k].min(b[k]);
                bound[k + 2] = bound[k + 2].max(b[k + 2]);
            }
            bounds.push(b);
        }
        (!caps.is_empty()).then_some(Arm {
            caps,
            bounds,
            outline,
            bound,
            colour,
        })
    }
}

/// Casts every arm and blends it with opacity `alpha` over `img` (`w` pixels wide) where it lies
/// in front of the backdrop, in order; rows in parallel. One ray is cast per `step × step` block
/// of pixels (1 = every pixel; 2 for many faint arms, where aliasing does not show and casting
/// costs a quarter), each pixel of the block still tested against its own backdrop depth.
/// `focus` is the camera's look-at distance (metres): arm surfaces nearer than it are drawn
/// darker, farther ones fade towards white.
#[allow(clippy::too_many_arguments)]
fn composite_arms(
    img: &mut [Rgb],
    depth: &[f32],
    arms: &[Arm],
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
    img.par_chunks_mut(wu * st)
        .zip(depth.par_chunks(wu * st))
        .enumerate()
        .for_each(|(gy, (rows, drows))| {
            let nrows = rows.len() / wu;
            let yc = (gy * st) as f32 + half;
            let yi = yc.floor() as i32;
            // Nearest hit per cell of the current arm; reset to ∞ after each arm is blended.
            let mut hit_t = vec![f32::INFINITY; gw];
            let mut hit_c = vec![0u32; gw];
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
            for arm in arms {
                if yi < arm.bound[1] || yi >= arm.bound[3] {
                    continue;
                }
                // Cells touched by this arm's capsules on this row.
                let (mut tx0, mut tx1) = (gw, 0usize);
                for (ci, ((c, b), o)) in arm
                    .caps
                    .iter()
                    .zip(&arm.bounds)
                    .zip(&arm.outline)
                    .enumerate()
                {
                    if yi < b[1] || yi >= b[3] {
                        continue;
                    }
                    let (mut lo, mut hi) = (b[0], b[2]);
                    if let Some(o) = o {
                        let Some((l, h)) = capsule_row_span(o, yc) else {
                            continue;
                        };
                        lo = lo.max(l.floor() as i32 - 1);
                        hi = hi.min(h.ceil() as i32 + 1);
                    }
                    let cx0 = (lo.max(0) as usize) / st;
                    let cx1 = (hi.max(0) as usize).div_ceil(st).min(gw);
                    if cx0 >= cx1 {
                        continue;
                    }
                    tx0 = tx0.min(cx0);
                    tx1 = tx1.max(cx1);
                    for gx in cx0..cx1 {
                        let (ro, rd) = rays[gx];
                        if let Some(t) = ray_capsule_t(ro, rd, c) {
                            if t < hit_t[gx] && t < cell_depth[gx] {
                                hit_t[gx] = t;
                                hit_c[gx] = ci as u32;
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
                    let (ro, rd) = rays[gx];
                    let n = capsule_normal(&arm.caps[hit_c[gx] as usize], add(ro, scale(rd, t)));
                    let lambert = dot(n, light).max(0.0);
                    let mut c = shade(arm.colour, lambert, n, rd, light);
                    // Depth cue: nearer is darker, farther fades a little.
                    let z = t * dot(rd, fwd);
                    let fade = (z - focus).clamp(-0.5, 1.0);
                    c = if fade < 0.0 {
                        scale(c, 1.0 + 0.5 * fade)
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
        });
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

fn lerp(a: Rgb, b: Rgb, t: f32) -> Rgb {
    [
        a[0] + (b[0] - a[0]) * t,
        a[1] + (b[1] - a[1]) * t,
        a[2] + (b[2] - a[2]) * t,
    ]
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
                    acc = add(acc, c);
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
        obb.pose
            .transform_point([s[0] * obb.half[0], s[1] * obb.half[1], s[2] * obb.half[2]])
    };
    let mut pb = PathBuilder::new();
    for i in 0..8usize {
        for bit in [1usize, 2, 4] {
            if i & bit == 0 {
                let (Some(a), Some(b)) = (view.project(corner(i)), view.project(corner(i | bit)))
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

    #[test]
    fn world_capsules_follow_the_arm() {
        let rs = RobotScene::panda(Scene::by_name("window").unwrap());
        let q = [0.0f32, -0.785, 0.0, -2.356, 0.0, 1.571, 0.785];
        let caps = rs.world_capsules(&q).unwrap();
        assert_eq!(caps.len(), 1);
        let n: usize = rs
            .chain
            .links()
            .iter()
            .flat_map(|l| &l.collision)
            .map(|c| c.cover().len())
            .sum();
        assert_eq!(caps[0].len(), n);
        // The highest capsule point is well above the base and below 1.2 m.
        let top = caps[0]
            .iter()
            .map(|c| c.a[2].max(c.b[2]) + c.radius)
            .fold(0.0f32, f32::max);
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
}
