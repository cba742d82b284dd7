//! `mace complete tune --observed SCAN`: a partial scan as a user has it (millimetres, z up,
//! turned, moved; the camera's position in the same coordinates) completed with no full shape,
//! or measured against one; and the scans it refuses.

mod common;

use common::{mace, stderr, stdout, temp_dir, write_ply};

use std::path::Path;

fn read_ascii_or_binary_ply(path: &Path) -> Vec<[f32; 3]> {
    let bytes = std::fs::read(path).unwrap();
    let end = b"end_header\n";
    let at = bytes.windows(end.len()).position(|w| w == end).unwrap() + end.len();
    let header = String::from_utf8_lossy(&bytes[..at]).to_string();
    let n: usize = header
        .lines()
        .find(|l| l.starts_with("element vertex"))
        .and_then(|l| l.split_whitespace().last())
        .unwrap()
        .parse()
        .unwrap();
    assert!(header.contains("binary_little_endian"), "{header}");
    bytes[at..at + 12 * n]
        .chunks(12)
        .map(|c| [0, 1, 2].map(|k| f32::from_le_bytes(c[4 * k..4 * k + 4].try_into().unwrap())))
        .collect()
}

/// A prior-frame point in a user's file: turned 70° about up, z up, millimetres, moved.
fn to_file(p: [f32; 3]) -> [f32; 3] {
    let (s, c) = 70f32.to_radians().sin_cos();
    let t = [c * p[0] + s * p[2], p[1], -s * p[0] + c * p[2]];
    // Into a z-up file whose front is −y: prior x = file x, prior y = file z, prior z = −file y.
    [
        1000.0 * t[0] + 100.0,
        -1000.0 * t[2] - 50.0,
        1000.0 * t[1] + 20.0,
    ]
}

fn report(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap()
}

#[test]
fn a_users_scan_completes_with_and_without_its_full_shape() {
    let dir = temp_dir("partial-scan");
    // The view of test shape 0 from (45°, 30°), and the shape, in the prior's frame.
    let first = dir.join("seen");
    let quick = ["--iterations", "10", "--eval-samples", "4", "-q"];
    let o = mace(
        &[
            &[
                "complete", "tune", "--shape", "0", "--view", "45", "30", "--out",
            ][..],
            &[first.to_str().unwrap()],
            &quick,
        ]
        .concat(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let seen = read_ascii_or_binary_ply(&first.join("observation.ply"));
    let full = read_ascii_or_binary_ply(&first.join("ground_truth.ply"));
    let (scan, truth) = (dir.join("scan_mm.ply"), dir.join("full_mm.ply"));
    write_ply(&scan, &seen.iter().map(|p| to_file(*p)).collect::<Vec<_>>());
    write_ply(
        &truth,
        &full.iter().map(|p| to_file(*p)).collect::<Vec<_>>(),
    );
    let (a, e) = (45f32.to_radians(), 30f32.to_radians());
    let cam = to_file([
        2.0 * e.cos() * a.sin(),
        2.0 * e.sin(),
        2.0 * e.cos() * a.cos(),
    ])
    .map(|v| v.to_string());

    // No full shape: the scan is placed by the prior's views; no Chamfer to a truth.
    let alone = dir.join("alone");
    let o = mace(
        &[
            &[
                "complete",
                "tune",
                "--observed",
                scan.to_str().unwrap(),
                "--up",
                "z",
            ][..],
            &[
                "--camera",
                &cam[0],
                &cam[1],
                &cam[2],
                "--heading",
                "auto",
                "--out",
            ],
            &[alone.to_str().unwrap()],
            &quick,
        ]
        .concat(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("n/a (no truth)"), "{}", stdout(&o));
    assert!(!alone.join("ground_truth.ply").exists());
    let v = report(&alone);
    let view = &v["observed_file"]["view_deg"];
    let (az, el) = (view[0].as_f64().unwrap(), view[1].as_f64().unwrap());
    assert!((az - 45.0).abs() < 10.0 && (el - 30.0).abs() < 6.0, "{v}");
    let scale = v["observed_file"]["scale"].as_f64().unwrap();
    assert!((scale / 1e-3 - 1.0).abs() < 0.2, "{scale}");
    assert!(v["prior_eval"].get("chamfer_mean").is_none(), "{v}");
    assert_eq!(v["observed_file"]["view_source"], "camera position");

    // With the full shape in the same coordinates: its transform places the scan exactly.
    let both = dir.join("both");
    let o = mace(
        &[
            &["complete", "tune", "--observed", scan.to_str().unwrap()][..],
            &[
                "--shape",
                truth.to_str().unwrap(),
                "--up",
                "z",
                "--heading",
                "auto",
            ],
            &[
                "--camera",
                &cam[0],
                &cam[1],
                &cam[2],
                "--out",
                both.to_str().unwrap(),
            ],
            &quick,
        ]
        .concat(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let v = report(&both);
    assert!(
        v["prior_eval"]["chamfer_mean"].as_f64().unwrap() > 0.0,
        "{v}"
    );
    let az = v["camera"]["azimuth_deg"].as_f64().unwrap();
    assert!((az - 45.0).abs() < 5.0, "{v}");
    assert!(both.join("ground_truth.ply").is_file());

    // A given heading needs no prior search (and is recorded).
    let turned = dir.join("turned");
    let o = mace(
        &[
            &[
                "complete",
                "tune",
                "--shape",
                truth.to_str().unwrap(),
                "--up",
                "z",
            ][..],
            &[
                "--heading",
                "-20",
                "--view",
                "45",
                "30",
                "--out",
                turned.to_str().unwrap(),
            ],
            &quick,
        ]
        .concat(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(report(&turned)["shape_heading"]["heading_deg"], -20.0);

    // Refused, one line each, nothing written.
    let out = dir.join("refused");
    let out = out.to_str().unwrap();
    let run =
        |extra: &[&str]| mace(&[&["complete", "tune", "--out", out, "-q"][..], extra].concat());
    let mesh = dir.join("mesh.obj");
    std::fs::write(&mesh, "v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n").unwrap();
    let empty = dir.join("empty.ply");
    write_ply(&empty, &[]);
    let three = dir.join("three.ply");
    write_ply(&three, &[[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]);
    let s = scan.to_str().unwrap();
    for (args, want) in [
        (vec!["--observed", mesh.to_str().unwrap()], "a mesh"),
        (vec!["--observed", empty.to_str().unwrap()], "empty.ply"),
        (
            vec!["--observed", three.to_str().unwrap()],
            "fewer than the 64",
        ),
        (
            vec!["--observed", s, "--up", "z", "--camera", "100", "0", "50"],
            "inside the bounding box of the scan",
        ),
        (
            vec!["--observed", s, "--depth-noise", "0.01"],
            "--depth-noise",
        ),
        (
            vec!["--camera", "1", "2", "3", "--shape", "0"],
            "--observed",
        ),
    ] {
        let o = run(&args);
        let e = stderr(&o);
        assert!(!o.status.success(), "{args:?}");
        assert!(e.contains(want), "{args:?}: {e}");
        // Ours are one line; clap's usage errors add their usage lines.
        assert!(
            args[0] == "--camera" || e.trim().lines().count() == 1,
            "{args:?}: {e}"
        );
    }
    assert!(!Path::new(out).exists());
}

#[test]
fn the_heading_bench_runs_on_the_shipped_airliner() {
    let dir = temp_dir("heading-bench");
    let json = dir.join("heading.json");
    let o = mace(&[
        "bench",
        "heading",
        "--headings",
        "113",
        "--views",
        "0,20",
        "--iterations",
        "5",
        "--eval-samples",
        "2",
        "--json",
        json.to_str().unwrap(),
        "-q",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("| 113° |"), "{}", stdout(&o));
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let error = v["rows"][0]["error_deg"].as_f64().unwrap();
    assert!(error <= 5.0, "{v}");
}
