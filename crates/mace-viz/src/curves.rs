//! Line charts with axes, ticks and a legend, and the curves of a tuning run: score (mean, max,
//! min, elite threshold) per iteration on top, success rate (or the loss) per iteration below.

use mace_core::TuneReport;
use tiny_skia::{Color, Paint, PathBuilder, Pixmap, Stroke, StrokeDash, Transform};

use crate::error::{Error, Result};
use crate::font::{draw_text, draw_text_vertical, text_height, text_width, Align};
use crate::picture::{fill_rect, rgb, white, Rgb};

/// One line of a chart.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Series {
    /// Legend entry.
    pub(crate) name: String,
    /// Line colour.
    pub(crate) colour: Rgb,
    /// Dashed line (for thresholds).
    pub(crate) dashed: bool,
    /// Points `(x, y)`; a non-finite `y` breaks the line.
    pub(crate) points: Vec<(f64, f64)>,
}

/// A chart: title, axis labels, lines and an optional fixed `y` range.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Chart {
    /// Shown above the plot.
    pub(crate) title: String,
    /// Below the `x` axis.
    pub(crate) x_label: String,
    /// Left of the `y` axis, reading upwards.
    pub(crate) y_label: String,
    /// The lines, drawn in order, listed in the legend below the plot.
    pub(crate) series: Vec<Series>,
    /// `y` range; `None` = fitted to the data.
    pub(crate) y_range: Option<(f64, f64)>,
}

const INK: Rgb = [0.12, 0.12, 0.14];
const MEAN: Rgb = [0.10, 0.32, 0.82];
const MAX: Rgb = [0.10, 0.62, 0.22];
const MIN: Rgb = [0.62, 0.62, 0.66];
const THRESHOLD: Rgb = [0.92, 0.45, 0.05];
const SUCCESS: Rgb = [0.58, 0.20, 0.70];

/// "Nice" tick positions covering `[lo, hi]`: about `target` steps of 1, 2 or 5 × 10^k.
pub(crate) fn nice_ticks(lo: f64, hi: f64, target: usize) -> (Vec<f64>, f64) {
    let span = (hi - lo).abs().max(1e-12);
    let raw = span / target.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let first = (lo / step).ceil() * step;
    let mut ticks = Vec::new();
    let mut v = first;
    while v <= hi + step * 1e-9 && ticks.len() < 100 {
        ticks.push(if v.abs() < step * 1e-9 { 0.0 } else { v });
        v += step;
    }
    (ticks, step)
}

/// Formats a tick value with just enough decimals for `step`.
pub(crate) fn tick_label(v: f64, step: f64) -> String {
    if v != 0.0 && (v.abs() >= 1e6 || v.abs() < 1e-4) {
        return format!("{v:.1e}");
    }
    let decimals = (-step.log10().floor()).clamp(0.0, 6.0) as usize;
    let decimals = if (step * 10f64.powi(decimals as i32)).fract().abs() > 1e-6 {
        decimals + 1
    } else {
        decimals
    };
    format!("{v:.decimals$}")
}

/// Draws `chart` into the rectangle `(x, y, w, h)` of `pixmap` (pixels).
pub(crate) fn draw_chart(pixmap: &mut Pixmap, area: (f32, f32, f32, f32), chart: &Chart) {
    let (ax, ay, aw, ah) = area;
    let ink = rgb(INK);
    let th = text_height(2) as f32;
    // Data ranges.
    let finite = |f: fn(&(f64, f64)) -> f64| {
        chart
            .series
            .iter()
            .flat_map(|s| s.points.iter())
            .filter(|p| p.0.is_finite() && p.1.is_finite())
            .map(f)
            .collect::<Vec<f64>>()
    };
    let xs = finite(|p| p.0);
    let ys = finite(|p| p.1);
    let (mut x0, mut x1) = min_max(&xs).unwrap_or((0.0, 1.0));
    if x1 - x0 < 1e-9 {
        x0 -= 0.5;
        x1 += 0.5;
    }
    let (y0, y1) = chart.y_range.unwrap_or_else(|| {
        let (lo, hi) = min_max(&ys).unwrap_or((0.0, 1.0));
        let pad = if hi - lo < 1e-12 {
            0.5f64.max(hi.abs() * 0.1)
        } else {
            0.06 * (hi - lo)
        };
        (lo - pad, hi + pad)
    });
    let (yticks, ystep) = nice_ticks(y0, y1, 5);
    let (xticks, xstep) = nice_ticks(x0, x1, 6);
    let ylabels: Vec<String> = yticks.iter().map(|v| tick_label(*v, ystep)).collect();
    let label_w = ylabels.iter().map(|l| text_width(l, 2)).max().unwrap_or(0) as f32;
    // Plot rectangle.
    let left = ax + 8.0 + th + 10.0 + label_w + 8.0;
    let right = ax + aw - 16.0;
    let top = ay + th + 18.0;
    let legend_h = th + 12.0;
    let bottom = ay + ah - (8.0 + th + 8.0 + th + 10.0 + legend_h);
    if right - left < 20.0 || bottom - top < 20.0 {
        return;
    }
    let px = |x: f64| left + ((x - x0) / (x1 - x0)) as f32 * (right - left);
    let py = |y: f64| bottom - ((y - y0) / (y1 - y0)) as f32 * (bottom - top);
    draw_text(
        pixmap,
        &chart.title,
        0.5 * (left + right),
        ay + 8.0,
        2,
        Align::Center,
        ink,
    );
    fill_rect(pixmap, left, top, right - left, bottom - top, Color::WHITE);
    // Grid and ticks.
    let grid = rgb([0.9, 0.9, 0.92]);
    for (v, l) in yticks.iter().zip(&ylabels) {
        let y = py(*v).round();
        fill_rect(pixmap, left, y, right - left, 1.0, grid);
        fill_rect(pixmap, left - 5.0, y, 5.0, 1.0, ink);
        draw_text(pixmap, l, left - 8.0, y - 0.5 * th, 2, Align::Right, ink);
    }
    for v in &xticks {
        let x = px(*v).round();
        fill_rect(pixmap, x, top, 1.0, bottom - top, grid);
        fill_rect(pixmap, x, bottom, 1.0, 5.0, ink);
        draw_text(
            pixmap,
            &tick_label(*v, xstep),
            x,
            bottom + 8.0,
            2,
            Align::Center,
            ink,
        );
    }
    // Frame.
    fill_rect(pixmap, left, top, 1.0, bottom - top + 1.0, ink);
    fill_rect(pixmap, left, bottom, right - left + 1.0, 1.0, ink);
    draw_text(
        pixmap,
        &chart.x_label,
        0.5 * (left + right),
        bottom + 8.0 + th + 8.0,
        2,
        Align::Center,
        ink,
    );
    draw_text_vertical(
        pixmap,
        &chart.y_label,
        ax + 8.0,
        0.5 * (top + bottom),
        2,
        ink,
    );
    // Lines.
    for s in &chart.series {
        let mut pb = PathBuilder::new();
        let mut open = false;
        let mut dots = Vec::new();
        for &(x, y) in &s.points {
            if !(x.is_finite() && y.is_finite()) {
                open = false;
                continue;
            }
            let (qx, qy) = (px(x), py(y.clamp(y0, y1)));
            if open {
                pb.line_to(qx, qy);
            } else {
                pb.move_to(qx, qy);
                open = true;
            }
            dots.push((qx, qy));
        }
        let mut paint = Paint::default();
        paint.set_color(rgb(s.colour));
        paint.anti_alias = true;
        let stroke = Stroke {
            width: 2.0,
            dash: if s.dashed {
                StrokeDash::new(vec![8.0, 5.0], 0.0)
            } else {
                None
            },
            ..Stroke::default()
        };
        if let Some(path) = pb.finish() {
            pixmap.stroke_path(&path, &paint, &stroke, Transform::identity(), None);
        }
        if dots.len() <= 40 {
            for (qx, qy) in dots {
                if let Some(c) = PathBuilder::from_circle(qx, qy, 2.5) {
                    pixmap.fill_path(
                        &c,
                        &paint,
                        tiny_skia::FillRule::Winding,
                        Transform::identity(),
                        None,
                    );
                }
            }
        }
    }
    // Legend row below the plot.
    let entries: Vec<(&Series, u32)> = chart
        .series
        .iter()
        .map(|s| (s, 24 + 6 + text_width(&s.name, 2) + 20))
        .collect();
    let total: f32 = entries.iter().map(|e| e.1 as f32).sum::<f32>() - 20.0;
    let mut x = (0.5 * (left + right - total)).max(ax + 4.0);
    let ly = ay + ah - legend_h + 2.0;
    for (s, wdt) in entries {
        let mut paint = Paint::default();
        paint.set_color(rgb(s.colour));
        paint.anti_alias = true;
        let mut pb = PathBuilder::new();
        pb.move_to(x, ly + 0.5 * th);
        pb.line_to(x + 24.0, ly + 0.5 * th);
        let stroke = Stroke {
            width: 3.0,
            dash: if s.dashed {
                StrokeDash::new(vec![6.0, 3.0], 0.0)
            } else {
                None
            },
            ..Stroke::default()
        };
        if let Some(path) = pb.finish() {
            pixmap.stroke_path(&path, &paint, &stroke, Transform::identity(), None);
        }
        draw_text(pixmap, &s.name, x + 30.0, ly, 2, Align::Left, ink);
        x += wdt as f32;
    }
}

fn min_max(v: &[f64]) -> Option<(f64, f64)> {
    let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (lo <= hi).then_some((lo, hi))
}

/// The curves of a tuning run, `size = (width, height)` pixels: scores per iteration (mean, max,
/// min, elite threshold) on top; below, `success` per iteration (fraction of collision-free
/// samples or similar, one value per iteration) if given, else the loss of each step taken.
///
/// # Errors
/// [`Error::Size`] for a size outside 200 × 200 … 8192 × 8192 pixels.
pub fn render_curves(
    report: &TuneReport,
    success: Option<&[f32]>,
    title: &str,
    size: (u32, u32),
) -> Result<Pixmap> {
    let (w, h) = size;
    if !(200..=8192).contains(&w) || !(200..=8192).contains(&h) {
        return Err(Error::Size {
            what: "curve picture",
            width: w,
            height: h,
            min: "200×200",
            max: "8192×8192",
        });
    }
    let mut out = white(w, h)?;
    let it = &report.iterations;
    let xs: Vec<f64> = it.iter().map(|s| s.iteration as f64).collect();
    let series = |name: &str, colour: Rgb, dashed: bool, ys: Vec<f64>| Series {
        name: name.to_string(),
        colour,
        dashed,
        points: xs.iter().copied().zip(ys).collect(),
    };
    let scores = vec![
        series(
            "min",
            MIN,
            false,
            it.iter().map(|s| s.score_min as f64).collect(),
        ),
        series(
            "mean",
            MEAN,
            false,
            it.iter().map(|s| s.score_mean as f64).collect(),
        ),
        series(
            "max",
            MAX,
            false,
            it.iter().map(|s| s.score_max as f64).collect(),
        ),
        series(
            "elite threshold",
            THRESHOLD,
            true,
            it.iter().map(|s| s.elite_threshold as f64).collect(),
        ),
    ];
    let in_unit = it.iter().all(|s| {
        [s.score_min, s.score_mean, s.score_max, s.elite_threshold]
            .iter()
            .all(|v| (0.0..=1.0).contains(v) || !v.is_finite())
    });
    let top = Chart {
        title: format!("{title}: score per iteration"),
        x_label: "iteration".into(),
        y_label: "score".into(),
        series: scores,
        // A little above 1 so that a maximum score of 1 is not hidden by the frame.
        y_range: in_unit.then_some((-0.02, 1.03)),
    };
    let title_h = 0.0;
    let half = 0.5 * (h as f32 - title_h);
    draw_chart(&mut out, (0.0, title_h, w as f32, half), &top);
    let bottom = match success {
        Some(s) => Chart {
            title: "success rate per iteration".into(),
            x_label: "iteration".into(),
            y_label: "success".into(),
            series: vec![Series {
                name: "success rate".into(),
                colour: SUCCESS,
                dashed: false,
                points: xs
                    .iter()
                    .copied()
                    .zip(s.iter().map(|v| *v as f64))
                    .collect(),
            }],
            y_range: Some((-0.02, 1.03)),
        },
        None => Chart {
            title: "loss per iteration (gaps: skipped steps)".into(),
            x_label: "iteration".into(),
            y_label: "loss".into(),
            series: vec![series(
                "loss",
                SUCCESS,
                false,
                it.iter().map(|s| s.loss.unwrap_or(f64::NAN)).collect(),
            )],
            y_range: None,
        },
    };
    draw_chart(&mut out, (0.0, title_h + half, w as f32, half), &bottom);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_nice() {
        let (t, s) = nice_ticks(0.0, 1.0, 5);
        assert_eq!(s, 0.2);
        assert_eq!(t.len(), 6);
        assert_eq!(tick_label(t[1], s), "0.2");
        let (t, s) = nice_ticks(0.0, 57.0, 6);
        assert_eq!(s, 10.0);
        assert_eq!(tick_label(t[3], s), "30");
        assert_eq!(tick_label(0.25, 0.25), "0.25");
        let (t, _) = nice_ticks(-3.2, -1.1, 5);
        assert!(t.iter().all(|v| (-3.2..=-1.1).contains(v)));
    }

    #[test]
    fn curves_have_the_stated_size_and_ink() {
        use mace_core::{IterationStats, Objective, Timings, TuneConfig, TuneStatus};
        let iterations = (0..20)
            .map(|i| {
                let s = i as f32 / 20.0;
                IterationStats {
                    iteration: i,
                    resampled: true,
                    batch: 64,
                    score_mean: s,
                    score_max: (s + 0.2).min(1.0),
                    score_min: 0.5 * s,
                    positive_fraction: s,
                    elite_threshold: 0.8 * s,
                    elite_count: 8,
                    loss: (i % 3 != 0).then_some(1.0 / (1.0 + i as f64)),
                    elapsed_s: 0.1 * i as f64,
                }
            })
            .collect();
        let report = TuneReport {
            objective: Objective::Mace,
            config: TuneConfig::default(),
            status: TuneStatus::Completed,
            steps_taken: 13,
            resamples: 20,
            restored_from: None,
            timings: Timings::default(),
            iterations,
        };
        let success: Vec<f32> = (0..20).map(|i| i as f32 / 19.0).collect();
        for success in [None, Some(&success[..])] {
            let p = render_curves(&report, success, "toy", (400, 300)).unwrap();
            assert_eq!((p.width(), p.height()), (400, 300));
            let inked = p.pixels().iter().filter(|c| c.red() < 200).count();
            assert!(inked > 2000, "{inked}");
        }
        assert!(matches!(
            render_curves(&report, None, "toy", (100, 300)),
            Err(Error::Size { .. })
        ));
    }
}
