//! Blending the arms over the backdrop in bands of rows on all cores, and the 2-D parts:
//! outlines, row spans, downsampling, box edges, the target ring.

use mace_robot::Obb;
use rayon::prelude::*;
use tiny_skia::{Color, Paint, PathBuilder, Pixmap, PremultipliedColorU8, Stroke, Transform};

use crate::camera::View;
use crate::picture::{lerp, Rgb};
use crate::raycast::{capsule_normal, ray_capsule_t};

use super::*;

/// Grid rows cast one after another by one task of [`composite_arms`], so that each hull's first
/// ray of a row starts its walk where the first ray of the row above entered.
pub(super) const BAND: usize = 8;

/// Casts every arm and blends it with opacity `alpha` over `img` (`w` pixels wide) where it lies
/// in front of the backdrop, in order; bands of rows in parallel. One ray is cast per
/// `step × step` block of pixels (1 = every pixel; 2 for many faint arms, where aliasing does
/// not show and casting costs a quarter), each pixel of the block still tested against its own
/// backdrop depth. `focus` is the camera's look-at distance (metres): arm surfaces nearer than it
/// are drawn darker, farther ones fade towards white.
#[allow(clippy::too_many_arguments)]
pub(super) fn composite_arms(
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
pub(super) fn convex_outline(mut points: Vec<[f32; 2]>) -> Vec<[f32; 2]> {
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
pub(super) fn polygon_row_span(poly: &[[f32; 2]], y: f32) -> Option<(f32, f32)> {
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
pub(super) fn capsule_row_span(o: &[f32; 5], y: f32) -> Option<(f32, f32)> {
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
pub(super) fn blit_downsampled(out: &mut Pixmap, img: &[Rgb], w: u32, h: u32, x0: u32, y0: u32) {
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
pub(super) fn box_outline(out: &mut Pixmap, view: &View, obb: &Obb, ox: f32, oy: f32) {
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
pub(super) fn ring(out: &mut Pixmap, cx: f32, cy: f32, r: f32, colour: Color) {
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
