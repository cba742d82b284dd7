//! Whole pictures: PNG bytes and files, stacking, and the colour helpers of every drawing.

use std::path::Path;

use tiny_skia::{Color, Paint, Pixmap, PixmapPaint, Rect, Transform};

use crate::error::{Error, Result};

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

/// `a + (b − a) t`, per channel.
pub(crate) fn lerp(a: Rgb, b: Rgb, t: f32) -> Rgb {
    [
        a[0] + (b[0] - a[0]) * t,
        a[1] + (b[1] - a[1]) * t,
        a[2] + (b[2] - a[2]) * t,
    ]
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

/// A new picture of `width × height` pixels filled with white.
///
/// # Errors
/// [`Error::Alloc`] for a zero or too large size.
pub(crate) fn white(width: u32, height: u32) -> Result<Pixmap> {
    let mut p = Pixmap::new(width, height).ok_or(Error::Alloc { width, height })?;
    p.fill(Color::WHITE);
    Ok(p)
}

/// The picture as PNG bytes.
///
/// # Errors
/// [`Error::Png`] if the encoder fails (it does not for a valid pixmap).
pub fn encode_png(pixmap: &Pixmap) -> Result<Vec<u8>> {
    pixmap.encode_png().map_err(|e| Error::Png {
        reason: e.to_string(),
    })
}

/// Writes the picture as a PNG file through [`mace_core::fs::write_file`]: atomically, creating
/// the folder if needed, replacing an existing file only with `force`.
///
/// # Errors
/// [`Error::Png`] if encoding fails; [`Error::File`] naming the path if writing does (an
/// existing file without `force`, a folder, no permission).
pub fn save_png(pixmap: &Pixmap, path: &Path, force: bool) -> Result<()> {
    let bytes = encode_png(pixmap)?;
    mace_core::fs::write_file(path, &bytes, force)?;
    Ok(())
}

/// Stacks pictures top to bottom on a white background (width = the widest).
///
/// # Errors
/// [`Error::Empty`] if `parts` is empty, [`Error::Alloc`] if the result would be empty or too
/// large.
pub fn stack_vertical(parts: &[Pixmap]) -> Result<Pixmap> {
    if parts.is_empty() {
        return Err(Error::Empty {
            what: "no pictures to stack",
        });
    }
    let w = parts.iter().map(Pixmap::width).max().unwrap_or(0);
    let h = parts
        .iter()
        .try_fold(0u32, |h, p| h.checked_add(p.height()))
        .ok_or(Error::Alloc {
            width: w,
            height: u32::MAX,
        })?;
    let mut out = white(w, h)?;
    let mut y = 0u32;
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
        assert!(matches!(stack_vertical(&[]), Err(Error::Empty { .. })));
    }

    #[test]
    fn saving_replaces_only_when_asked() {
        let dir = std::env::temp_dir().join(format!("mace-viz-unit-{}", std::process::id()));
        let path = dir.join("sub").join("x.png");
        let mut p = Pixmap::new(5, 5).unwrap();
        p.fill(Color::BLACK);
        save_png(&p, &path, false).unwrap();
        assert_eq!(Pixmap::load_png(&path).unwrap().width(), 5);
        let e = save_png(&p, &path, false).unwrap_err();
        assert!(
            matches!(e, Error::File(mace_core::fs::FileError::Exists { .. })),
            "{e}"
        );
        save_png(&p, &path, true).unwrap();
        assert!(matches!(save_png(&p, &dir, true), Err(Error::File(_))));
        let _ = std::fs::remove_dir_all(dir);
    }
}
