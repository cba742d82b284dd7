//! Helpers shared by the end-to-end tests: run the `mace` binary, read its output, make a
//! scratch folder.

#![allow(dead_code)] // each test binary uses its own subset

use std::path::{Path, PathBuf};
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

/// Every regular file under `dir` with its bytes (symlinks and devices by their kind only).
pub(crate) fn snapshot(dir: &std::path::Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let mut entries: Vec<_> = std::fs::read_dir(&d).unwrap().flatten().collect();
        entries.sort_by_key(|e| e.path());
        for e in entries {
            let p = e.path();
            let t = e.file_type().unwrap();
            if t.is_dir() {
                out.push((p.clone(), b"<dir>".to_vec()));
                stack.push(p);
            } else if t.is_file() {
                out.push((p.clone(), std::fs::read(&p).unwrap()));
            } else {
                out.push((p, format!("<{t:?}>").into_bytes()));
            }
        }
    }
    out
}

/// Runs `mace args` as a hostile input: it must end within 5 s with a non-zero exit that is not
/// a panic or an abort, say one line of error (clap's usage hints aside) without a backtrace,
/// and leave every file under `dir` as it was (nothing new either). Returns the error line.
pub(crate) fn refused(args: &[&str], dir: &std::path::Path) -> String {
    use std::io::Read;
    use std::time::{Duration, Instant};
    let before = snapshot(dir);
    let mut child = Command::new(env!("CARGO_BIN_EXE_mace"))
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run mace");
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > Duration::from_secs(5) {
            let _ = child.kill();
            panic!("`mace {}` still runs after 5 s", args.join(" "));
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let what = format!("`mace {}`", args.join(" "));
    assert!(!status.success(), "{what} succeeded");
    assert!(
        matches!(status.code(), Some(1) | Some(2)),
        "{what} ended with {status:?}: {err}"
    );
    assert!(
        !err.contains("panicked") && !err.contains("backtrace"),
        "{what}: {err}"
    );
    let lines: Vec<&str> = err
        .lines()
        .filter(|l| {
            let l = l.trim();
            !l.is_empty() && !l.starts_with("Usage:") && !l.starts_with("For more information")
        })
        .collect();
    assert!(
        lines.len() == 1 && lines[0].starts_with("error"),
        "{what}: not one error line: {err}"
    );
    assert!(
        snapshot(dir) == before,
        "{what} changed the files under {}",
        dir.display()
    );
    lines[0].to_string()
}

/// Writes an ASCII PLY of `points`; coordinates are written with `{}` so NaN stays `NaN`.
pub(crate) fn write_ply(path: &Path, points: &[[f32; 3]]) {
    let mut s = format!(
        "ply\nformat ascii 1.0\nelement vertex {}\nproperty float x\nproperty float y\nproperty float z\nend_header\n",
        points.len()
    );
    for p in points {
        s.push_str(&format!("{} {} {}\n", p[0], p[1], p[2]));
    }
    std::fs::write(path, s).unwrap();
}
