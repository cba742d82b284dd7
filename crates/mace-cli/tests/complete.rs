//! End-to-end tests of `mace complete tune` and `mace bench completion`: bad observations get
//! a clear error and a non-zero exit; the commands write what they promise (with a tiny prior
//! trained here by the real pipeline).

mod common;

use common::{assert_not_blank, load_png, mace, stderr, temp_dir, write_ply};

use std::path::{Path, PathBuf};

/// A small sphere of points about `centre`.
fn blob(centre: [f32; 3], r: f32, n: usize) -> Vec<[f32; 3]> {
    let golden = std::f32::consts::PI * (3.0 - 5f32.sqrt());
    (0..n)
        .map(|i| {
            let y = 1.0 - 2.0 * (i as f32 + 0.5) / n as f32;
            let rho = (1.0 - y * y).sqrt();
            let a = golden * i as f32;
            [
                centre[0] + r * rho * a.cos(),
                centre[1] + r * y,
                centre[2] + r * rho * a.sin(),
            ]
        })
        .collect()
}

fn tune_args<'a>(shape: &'a str, out: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec![
        "complete",
        "tune",
        "--shape",
        shape,
        "--view",
        "45",
        "30",
        "--prior",
        "/nonexistent-prior",
        "--out",
        out,
        "-q",
    ];
    v.extend_from_slice(extra);
    v
}

#[test]
fn bad_observations_fail_clearly() {
    let dir = temp_dir("complete-bad");
    let out = dir.join("out");
    let out = out.to_str().unwrap();
    // Camera inside the object.
    let o = mace(&tune_args(
        "0",
        out,
        &["--shapes", "40", "--distance", "0.2"],
    ));
    assert!(!o.status.success());
    assert!(stderr(&o).contains("inside the object"), "{}", stderr(&o));
    // Empty observation: an object off to the side of a narrow camera (taken as it is:
    // normalised, it would be centred in view).
    let side = dir.join("side.ply");
    write_ply(&side, &blob([0.4, 0.0, 0.0], 0.05, 200));
    let o = mace(&[
        "complete",
        "tune",
        "--shape",
        side.to_str().unwrap(),
        "--as-is",
        "--view",
        "0",
        "0",
        "--fov",
        "5",
        "--prior",
        "/nonexistent-prior",
        "--out",
        out,
        "-q",
    ]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("outside the camera's field of view"),
        "{}",
        stderr(&o)
    );
    // NaN in the cloud.
    let nan = dir.join("nan.ply");
    let mut points = blob([0.0; 3], 0.3, 100);
    points[7][1] = f32::NAN;
    write_ply(&nan, &points);
    let o = mace(&tune_args(nan.to_str().unwrap(), out, &[]));
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(e.contains("non-finite") && e.contains("point 7"), "{e}");
    // A view needs two angles; elevations must be inside (−90, 90).
    let o = mace(&[
        "complete", "tune", "--shape", "0", "--view", "45", "--out", out,
    ]);
    assert!(!o.status.success());
    let o = mace(&[
        "complete", "tune", "--shape", "0", "--shapes", "40", "--view", "0", "95", "--out", out,
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("elevation_deg"), "{}", stderr(&o));
    // Nothing was written.
    assert!(!Path::new(out).exists());
}

/// A tiny shape prior trained by the real pipeline on 40 procedural shapes.
fn tiny_shape_prior(dir: &Path) -> PathBuf {
    let prior = dir.join("prior");
    let o = mace(&[
        "grasp",
        "train",
        "--shapes",
        "40",
        "--epochs",
        "1",
        "--batch",
        "16",
        "--out",
        prior.to_str().unwrap(),
        "-q",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    prior
}

#[test]
fn tune_and_bench_write_their_outputs() {
    let dir = temp_dir("complete-ok");
    let prior = tiny_shape_prior(&dir);
    let p = prior.to_str().unwrap();
    let out = dir.join("tune");
    let o = mace(&[
        "complete",
        "tune",
        "--shape",
        "1",
        "--shapes",
        "40",
        "--view",
        "-135",
        "20",
        "--objective",
        "exact",
        "--iterations",
        "4",
        "--eval-samples",
        "4",
        "--prior",
        p,
        "--out",
        out.to_str().unwrap(),
        "-q",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    for f in [
        "observation.ply",
        "ground_truth.ply",
        "prior/sample_03.ply",
        "posterior/sample_03.ply",
    ] {
        assert!(out.join(f).is_file(), "missing {f}");
    }
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(v["objective"], "exact");
    assert_not_blank(&load_png(&out.join("samples.png")), "samples.png");
    assert_not_blank(&load_png(&out.join("curves.png")), "curves.png");
    assert_eq!(v["camera"]["azimuth_deg"], -135.0);
    assert_eq!(v["report"]["iterations"].as_array().unwrap().len(), 4);
    for model in ["prior_eval", "posterior_eval"] {
        let s = v[model]["mean_score"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&s), "{model}: {s}");
        assert!(
            v[model]["chamfer_best"].as_f64().unwrap()
                <= v[model]["chamfer_mean"].as_f64().unwrap()
        );
    }

    let json = dir.join("bench.json");
    let o = mace(&[
        "bench",
        "completion",
        "--test-shapes",
        "1",
        "--shapes",
        "40",
        "--views",
        "45,30",
        "--views",
        "-135,20",
        "--objectives",
        "mace,is,best-of",
        "--iterations",
        "2",
        "--eval-samples",
        "3",
        "--prior",
        p,
        "--json",
        json.to_str().unwrap(),
        "-q",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(v["rows"].as_array().unwrap().len(), 2);
    assert_eq!(v["summary"].as_array().unwrap().len(), 4);
    assert!(
        v.get("bars").is_none(),
        "acceptance bars belong in tests, not in results"
    );
    assert_eq!(v["summary"][1]["model"], "mace");
    // best-of: the top 3 of 2 × 128 prior samples by score, no tuning.
    let summary = v["summary"].as_array().unwrap();
    assert_eq!(summary[3]["model"], "best-of");
    assert!(
        summary[3]["score"].as_f64().unwrap() >= summary[0]["score"].as_f64().unwrap(),
        "{summary:?}"
    );
    let md = std::fs::read_to_string(dir.join("bench.md")).unwrap();
    assert!(
        md.contains("| prior |") && md.contains("| is |") && md.contains("| best-of |"),
        "{md}"
    );
    assert_not_blank(
        &load_png(&dir.join("bench_samples.png")),
        "bench_samples.png",
    );
    // A bad view is refused.
    let o = mace(&["bench", "completion", "--views", "45;30", "--prior", p]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("AZ,EL"), "{}", stderr(&o));
}
