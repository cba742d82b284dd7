//! Point-cloud pictures (the paper's Fig. 2): a grid of thumbnails, each cloud drawn as
//! depth-sorted, depth-shaded dots, with optional grasp fingers (lines through the origin along
//! given directions), contact points, and an observed partial view in another colour.
//!
//! Camera: orthographic, looking at the origin from azimuth −60° (about `z`, from `+x`) and
//! elevation 30°; one scale for every thumbnail (the largest distance from the origin of any
//! point or contact fills 70% of a half-cell), so sizes are comparable across the grid.
//!
//! Colours: sample points slate (dark near, light far), observed points green, fingers orange
//! (semi-transparent, 0.08 units wide as in the grasp simulator), contacts orange-red with a dark rim.

use mace_robot::math::Vec3;
use nalgebra::Vector3;
use tiny_skia::{Color, FillRule, LineCap, Paint, PathBuilder, Pixmap, Stroke, Transform};

use crate::camera::{Camera, View};
use crate::error::{Error, Result};
use crate::font::{draw_text, Align};
use crate::picture::{fill_rect, lerp, rgb, white, Rgb};

/// Finger width in cloud units (twice the grasp simulator's `half_width` in `mace-shapes`).
const FINGER_WIDTH: f32 = 0.08;

const POINT_NEAR: Rgb = [0.13, 0.18, 0.28];
const POINT_FAR: Rgb = [0.70, 0.74, 0.80];
const OBSERVED_NEAR: Rgb = [0.02, 0.50, 0.30];
const OBSERVED_FAR: Rgb = [0.55, 0.85, 0.68];
const FINGER: Rgb = [0.97, 0.55, 0.10];
const CONTACT: Rgb = [0.90, 0.30, 0.02];

/// One thumbnail: a cloud and what to draw with it (plain data, any may be empty).
#[derive(Debug, Clone, Copy, Default)]
pub struct CloudPanel<'a> {
    /// The sample's points (object units, centred near the origin).
    pub points: &'a [Vec3],
    /// An observed partial view, drawn in green over the same axes.
    pub observed: &'a [Vec3],
    /// Grasp finger directions (unit, normally in the `xy` plane): each drawn as a line through the
    /// origin, from `−1.3 r` along the direction (where it approaches from) to its contact, or to
    /// `+1.3 r` when there are no contacts (`r` = the grid's radius).
    pub fingers: &'a [Vec3],
    /// Contact points, highlighted; the `j`-th ends the `j`-th finger.
    pub contacts: &'a [Vec3],
    /// Shown above the thumbnail.
    pub title: Option<&'a str>,
}

/// Something to draw in a thumbnail, at a depth.
enum Prim {
    Dot {
        x: f32,
        y: f32,
        r: f32,
        fill: Color,
        rim: Option<Color>,
    },
    Segment {
        a: [f32; 2],
        b: [f32; 2],
        width: f32,
        colour: Color,
    },
}

/// Draws `panels` in a grid of `cols` columns of `cell × cell` pixels, with `title` (if any) in a
/// band on top. The picture is `cols·cell` wide and `rows·cell` (+ 40 with a title) high, `rows =
/// ⌈panels / cols⌉`.
///
/// # Errors
/// [`Error::Empty`] for no panels or `cols = 0`, [`Error::Size`] for a cell below 48 or above
/// 4096 pixels or a picture over 16384 pixels, [`Error::NonFinite`] for non-finite coordinates.
pub fn render_cloud_grid(
    panels: &[CloudPanel<'_>],
    cols: usize,
    cell: u32,
    title: Option<&str>,
) -> Result<Pixmap> {
    if panels.is_empty() || cols == 0 {
        return Err(Error::Empty {
            what: "no clouds (or zero columns)",
        });
    }
    if !(48..=4096).contains(&cell) {
        return Err(Error::Size {
            what: "cloud cell",
            width: cell,
            height: cell,
            min: "48×48",
            max: "4096×4096",
        });
    }
    let all = || {
        panels
            .iter()
            .flat_map(|p| p.points.iter().chain(p.observed).chain(p.contacts))
    };
    if all().any(|p| p.iter().any(|v| !v.is_finite())) {
        return Err(Error::NonFinite { what: "a point" });
    }
    let radius = all()
        .map(|p| Vector3::from(*p).norm())
        .fold(0.0f32, f32::max)
        .max(1e-6);
    let cols = cols.min(panels.len());
    let rows = panels.len().div_ceil(cols);
    let band = if title.is_some() { 40 } else { 0 };
    let (w, h) = (cols as u32 * cell, rows as u32 * cell + band);
    if w > 16384 || h > 16384 {
        return Err(Error::Size {
            what: "cloud grid (use fewer clouds or smaller cells)",
            width: w,
            height: h,
            min: "48×48",
            max: "16384×16384",
        });
    }
    let mut out = white(w, h)?;
    let ink = Color::from_rgba8(30, 30, 35, 255);
    if let Some(t) = title {
        draw_text(&mut out, t, 0.5 * w as f32, 13.0, 2, Align::Center, ink);
    }
    let camera = Camera::orthographic_orbit(Vector3::zeros(), -60.0, 30.0, radius / 0.35);
    let view = camera.view(cell, cell);
    let dot_r = (cell as f32 / 120.0).clamp(0.9, 3.0);
    let text_scale = if cell >= 200 { 2 } else { 1 };
    for (i, panel) in panels.iter().enumerate() {
        let (cx, cy) = (
            (i % cols) as f32 * cell as f32,
            (i / cols) as f32 * cell as f32 + band as f32,
        );
        let mut prims = thumbnail(panel, &view, radius, dot_r);
        prims.sort_by(|a, b| b.0.total_cmp(&a.0));
        for (_, p) in &prims {
            draw_prim(&mut out, p, cx, cy);
        }
        if let Some(t) = panel.title {
            let max_chars = (cell / (6 * text_scale)).saturating_sub(1) as usize;
            let t: String = t.chars().take(max_chars).collect();
            draw_text(
                &mut out,
                &t,
                cx + 0.5 * cell as f32,
                cy + 4.0,
                text_scale,
                Align::Center,
                ink,
            );
        }
        // Cell borders.
        let line = Color::from_rgba8(215, 215, 220, 255);
        fill_rect(&mut out, cx, cy, cell as f32, 1.0, line);
        fill_rect(&mut out, cx, cy, 1.0, cell as f32, line);
    }
    Ok(out)
}

/// The primitives of one thumbnail with their depths (larger = farther), in cell pixels.
fn thumbnail(panel: &CloudPanel<'_>, view: &View, radius: f32, dot_r: f32) -> Vec<(f32, Prim)> {
    let mut prims = Vec::new();
    let centre_depth = view.project(&Vector3::zeros()).map_or(0.0, |p| p[2]);
    // 0 at the front of the radius sphere, 1 at the back.
    let depth01 = |z: f32| (0.5 + 0.5 * (z - centre_depth) / radius).clamp(0.0, 1.0);
    let mut dots = |pts: &[Vec3], near: Rgb, far: Rgb, r: f32| {
        for p in pts {
            if let Some(q) = view.project(&Vector3::from(*p)) {
                let c = lerp(near, far, depth01(q[2]));
                prims.push((
                    q[2],
                    Prim::Dot {
                        x: q[0],
                        y: q[1],
                        r,
                        fill: rgb(c),
                        rim: None,
                    },
                ));
            }
        }
    };
    dots(panel.points, POINT_NEAR, POINT_FAR, dot_r);
    dots(panel.observed, OBSERVED_NEAR, OBSERVED_FAR, dot_r * 1.1);
    let ppm = view.pixels_per_metre(1.0);
    let finger_colour = {
        let mut c = rgb(FINGER);
        c.set_alpha(0.6);
        c
    };
    for (j, d) in panel.fingers.iter().enumerate() {
        let d = Vector3::from(*d);
        let len = d.norm();
        if !(len > 1e-9 && len.is_finite()) {
            continue;
        }
        let d = d / len;
        let start = -1.3 * radius;
        let end = match panel.contacts.get(j) {
            Some(c) => Vector3::from(*c).dot(&d),
            None if panel.contacts.is_empty() => 1.3 * radius,
            None => continue,
        };
        // Split into short pieces so that depth sorting against the points stays local.
        let pieces = 16;
        for k in 0..pieces {
            let t0 = start + (end - start) * k as f32 / pieces as f32;
            let t1 = start + (end - start) * (k + 1) as f32 / pieces as f32;
            let (Some(a), Some(b)) = (view.project(&(d * t0)), view.project(&(d * t1))) else {
                continue;
            };
            prims.push((
                0.5 * (a[2] + b[2]),
                Prim::Segment {
                    a: [a[0], a[1]],
                    b: [b[0], b[1]],
                    width: (FINGER_WIDTH * ppm).max(3.0),
                    colour: finger_colour,
                },
            ));
        }
    }
    for c in panel.contacts {
        if let Some(q) = view.project(&Vector3::from(*c)) {
            prims.push((
                q[2] - 1e-3,
                Prim::Dot {
                    x: q[0],
                    y: q[1],
                    r: (dot_r * 2.6).max(3.5),
                    fill: rgb(CONTACT),
                    rim: Some(Color::from_rgba8(60, 25, 0, 255)),
                },
            ));
        }
    }
    prims
}

fn draw_prim(out: &mut Pixmap, prim: &Prim, ox: f32, oy: f32) {
    let mut paint = Paint {
        anti_alias: true,
        ..Paint::default()
    };
    let tf = Transform::from_translate(ox, oy);
    match *prim {
        Prim::Dot { x, y, r, fill, rim } => {
            let Some(path) = PathBuilder::from_circle(x, y, r) else {
                return;
            };
            paint.set_color(fill);
            out.fill_path(&path, &paint, FillRule::Winding, tf, None);
            if let Some(rim) = rim {
                paint.set_color(rim);
                let stroke = Stroke {
                    width: 1.2,
                    ..Stroke::default()
                };
                out.stroke_path(&path, &paint, &stroke, tf, None);
            }
        }
        Prim::Segment {
            a,
            b,
            width,
            colour,
        } => {
            let mut pb = PathBuilder::new();
            pb.move_to(a[0], a[1]);
            pb.line_to(b[0], b[1]);
            let Some(path) = pb.finish() else {
                return;
            };
            paint.set_color(colour);
            let stroke = Stroke {
                width,
                line_cap: LineCap::Butt,
                ..Stroke::default()
            };
            out.stroke_path(&path, &paint, &stroke, tf, None);
        }
    }
}

/// The grasp directions of the paper's experiments, normalised: `(±1, ±1, 0)` and a fifth along
/// `−x` (in distribution) or `+x` (out of distribution, `ood = true`).
pub fn paper_finger_directions(ood: bool) -> Vec<Vec3> {
    let s = std::f32::consts::FRAC_1_SQRT_2;
    vec![
        [s, s, 0.0],
        [-s, s, 0.0],
        [s, -s, 0.0],
        [-s, -s, 0.0],
        [if ood { 1.0 } else { -1.0 }, 0.0, 0.0],
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(n: usize, r: f32) -> Vec<[f32; 3]> {
        (0..n)
            .map(|i| {
                let a = i as f32 / n as f32 * std::f32::consts::TAU;
                [r * a.cos(), r * a.sin(), 0.1 * (3.0 * a).sin()]
            })
            .collect()
    }

    #[test]
    fn grid_has_the_stated_size_and_ink() {
        let a = ring(300, 1.0);
        let b = ring(200, 0.6);
        let fingers = paper_finger_directions(false);
        let contacts: Vec<[f32; 3]> = fingers
            .iter()
            .map(|d| [-d[0] * 0.9, -d[1] * 0.9, 0.0])
            .collect();
        let panels = [
            CloudPanel {
                points: &a,
                fingers: &fingers,
                contacts: &contacts,
                title: Some("a"),
                ..CloudPanel::default()
            },
            CloudPanel {
                points: &b,
                observed: &a[..50],
                ..CloudPanel::default()
            },
            CloudPanel {
                points: &a,
                ..CloudPanel::default()
            },
        ];
        let p = render_cloud_grid(&panels, 2, 100, Some("clouds")).unwrap();
        assert_eq!((p.width(), p.height()), (200, 240));
        let dark = p.pixels().iter().filter(|c| c.red() < 150).count();
        assert!(dark > 300, "{dark}");
        assert!(render_cloud_grid(&[], 2, 100, None).is_err());
        let nan = [[f32::NAN, 0.0, 0.0]];
        let bad = [CloudPanel {
            points: &nan,
            ..CloudPanel::default()
        }];
        assert!(render_cloud_grid(&bad, 1, 100, None).is_err());
    }
}
