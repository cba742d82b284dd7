//! Helpers shared by the end-to-end tests: run the `mace` binary, read its output, make a
//! scratch folder.

#![allow(dead_code)] // each test binary uses its own subset

use std::path::PathBuf;
use std::process::{Command, Output};

/// Runs the `mace` binary built for these tests with `args`.
pub(crate) fn mace(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mace"))
        .args(args)
        .output()
        .expect("run mace")
}

/// Standard error as text.
pub(crate) fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Standard output as text.
pub(crate) fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A fresh, empty folder under the system temp dir, unique to this process and `name`.
pub(crate) fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("mace-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Decodes the PNG at `path`, panicking with its name if it does not.
pub(crate) fn load_png(path: &std::path::Path) -> tiny_skia::Pixmap {
    tiny_skia::Pixmap::load_png(path)
        .unwrap_or_else(|e| panic!("{} does not decode: {e}", path.display()))
}

/// Variance of the grey level (0–255) over the rectangle `(x, y, w, h)` of the picture.
pub(crate) fn grey_variance(p: &tiny_skia::Pixmap, rect: (u32, u32, u32, u32)) -> f64 {
    let (x0, y0, w, h) = rect;
    let mut v = Vec::with_capacity((w * h) as usize);
    for y in y0..y0 + h {
        for x in x0..x0 + w {
            let c = p.pixel(x, y).unwrap();
            v.push((c.red() as f64 + c.green() as f64 + c.blue() as f64) / 3.0);
        }
    }
    let mean = v.iter().sum::<f64>() / v.len().max(1) as f64;
    v.iter().map(|g| (g - mean) * (g - mean)).sum::<f64>() / v.len().max(1) as f64
}

/// Panics unless the whole picture has some grey-level variance (is not blank).
pub(crate) fn assert_not_blank(p: &tiny_skia::Pixmap, what: &str) {
    let v = grey_variance(p, (0, 0, p.width(), p.height()));
    assert!(v > 100.0, "{what} looks blank: grey-level variance {v:.1}");
}

/// Fraction of the pixels of a `w × h` rectangle at row `y0` that differ (summed RGB difference
/// above 24) between picture `a` from column `ax` and picture `b` from column `bx`.
pub(crate) fn differing_fraction(
    a: &tiny_skia::Pixmap,
    ax: u32,
    b: &tiny_skia::Pixmap,
    bx: u32,
    y0: u32,
    w: u32,
    h: u32,
) -> f64 {
    let mut n = 0;
    for y in y0..y0 + h {
        for x in 0..w {
            let (p, q) = (a.pixel(ax + x, y).unwrap(), b.pixel(bx + x, y).unwrap());
            let d = (p.red() as i32 - q.red() as i32).abs()
                + (p.green() as i32 - q.green() as i32).abs()
                + (p.blue() as i32 - q.blue() as i32).abs();
            if d > 24 {
                n += 1;
            }
        }
    }
    n as f64 / (w * h) as f64
}
