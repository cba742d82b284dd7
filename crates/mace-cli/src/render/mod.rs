//! Pictures of results, in pure Rust (no GPU, no window): robot configurations over their scene
//! (the paper's Fig. 3), grids of point clouds with grasp fingers and contacts (Fig. 2), score
//! curves of a tuning run, and a self-contained HTML report of a results folder.
//!
//! Rasterising, anti-aliasing and PNG encoding are tiny-skia's; the 3-D robot views are ray-cast
//! here ([`robot`]), text uses a built-in 5×7 bitmap font ([`font`]) so nothing is loaded at run
//! time.
//!
//! ```ignore
//! let rs = RobotScene::panda(Scene::by_name("window")?);
//! let panels = [
//!     Panel { title: "prior", configs: &prior_q, colliding: None, alpha: None },
//!     Panel { title: "posterior", configs: &post_q, colliding: None, alpha: None },
//! ];
//! let png = render_robot_panels(&rs, &panels, &Camera::for_scene(&rs.scene), (640, 560))?;
//! save_png(&png, &out.join("samples.png"))?;
//! ```

use std::path::Path;

use anyhow::Context;
use tiny_skia::{Color, Paint, Pixmap, PixmapPaint, Rect, Transform};

pub(crate) mod camera;
pub(crate) mod cloud;
pub(crate) mod curves;
pub(crate) mod font;
pub(crate) mod html;
pub(crate) mod ply;
pub(crate) mod raycast;
pub(crate) mod robot;

#[allow(unused_imports)] // the API for the tune and bench commands
pub(crate) use camera::Camera;
#[allow(unused_imports)]
pub(crate) use cloud::{render_cloud_grid, CloudPanel};
#[allow(unused_imports)]
pub(crate) use curves::render_curves;
#[allow(unused_imports)]
pub(crate) use robot::{render_robot_panels, Panel, RobotScene};

/// A colour as linear `[r, g, b]` in `[0, 1]`.
pub(crate) type Rgb = [f32; 3];

/// A tiny-skia colour from `[r, g, b]` in `[0, 1]`, opaque.
pub(crate) fn rgb(c: Rgb) -> Color {
    Color::from_rgba(
        c[0].clamp(0.0, 1.0),
        c[1].clamp(0.0, 1.0),
        c[2].clamp(0.0, 1.0),
        1.0,
    )
    .unwrap_or(Color::BLACK)
}

/// Fills the axis-aligned rectangle `(x, y, w, h)` (pixels) with `colour`, no anti-aliasing.
pub(crate) fn fill_rect(pixmap: &mut Pixmap, x: f32, y: f32, w: f32, h: f32, colour: Color) {
    if let Some(r) = Rect::from_xywh(x, y, w, h) {
        let mut paint = Paint::default();
        paint.set_color(colour);
        paint.anti_alias = false;
        pixmap.fill_rect(r, &paint, Transform::identity(), None);
    }
}

/// The picture as PNG bytes.
///
/// # Errors
/// If the encoder fails (it does not for a valid pixmap).
pub(crate) fn encode_png(pixmap: &Pixmap) -> anyhow::Result<Vec<u8>> {
    pixmap.encode_png().context("encoding PNG")
}

/// Writes the picture as a PNG file atomically (`mace_core::fs::write_file`: an existing file
/// is replaced only with `force`), creating the folder if needed.
///
/// # Errors
/// If encoding or writing fails.
pub(crate) fn save_png(pixmap: &Pixmap, path: &Path, force: bool) -> anyhow::Result<()> {
    let bytes = encode_png(pixmap)?;
    Ok(mace_core::fs::write_file(path, &bytes, force)?)
}

/// Stacks pictures top to bottom on a white background (width = the widest).
///
/// # Errors
/// If `parts` is empty or the result would be empty or too large.
pub(crate) fn stack_vertical(parts: &[Pixmap]) -> anyhow::Result<Pixmap> {
    let w = parts.iter().map(Pixmap::width).max().unwrap_or(0);
    let h: u32 = parts.iter().map(Pixmap::height).sum();
    let mut out = Pixmap::new(w, h).context("no pictures to stack")?;
    out.fill(Color::WHITE);
    let mut y = 0;
    for p in parts {
        out.draw_pixmap(
            0,
            y as i32,
            p.as_ref(),
            &PixmapPaint::default(),
            Transform::identity(),
            None,
        );
        y += p.height();
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_round_trip_and_stacking() {
        let mut a = Pixmap::new(10, 4).unwrap();
        a.fill(Color::BLACK);
        let b = Pixmap::new(6, 3).unwrap();
        let s = stack_vertical(&[a, b]).unwrap();
        assert_eq!((s.width(), s.height()), (10, 7));
        let bytes = encode_png(&s).unwrap();
        let back = Pixmap::decode_png(&bytes).unwrap();
        assert_eq!((back.width(), back.height()), (10, 7));
        assert_eq!(back.pixel(0, 0).unwrap().red(), 0);
        assert_eq!(back.pixel(9, 6).unwrap().red(), 255);
        let dir = std::env::temp_dir().join(format!("mace-render-unit-{}", std::process::id()));
        let path = dir.join("x.png");
        save_png(&back, &path, true).unwrap();
        assert!(Pixmap::load_png(&path).is_ok());
        let _ = std::fs::remove_dir_all(dir);
    }
}
