//! End-to-end tests of `mace grasp train|tune` and `mace bench grasp-fig1` on a tiny procedural
//! set (the shipped-size training is recorded in docs/BENCHMARKS.md, not run here).

mod common;

use common::{assert_not_blank, load_png, mace, stderr, stdout, temp_dir};

/// Trains a one-epoch prior and CVAE on 40 procedural shapes into `dir`.
fn tiny_priors(dir: &std::path::Path) -> (String, String) {
    let prior = dir.join("prior");
    let cvae = dir.join("cvae");
    for (out, extra) in [(&prior, None), (&cvae, Some("--cvae"))] {
        let mut args = vec![
            "grasp",
            "train",
            "--shapes",
            "40",
            "--epochs",
            "1",
            "--batch",
            "16",
            "-q",
            "--out",
            out.to_str().unwrap(),
        ];
        args.extend(extra);
        let o = mace(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(out.join("weights.safetensors").is_file());
        assert!(out.join("config.json").is_file());
    }
    assert!(prior.join("latent_prior.json").is_file());
    (
        prior.to_str().unwrap().to_string(),
        cvae.to_str().unwrap().to_string(),
    )
}

#[test]
fn train_tune_and_fig1_end_to_end() {
    let d = temp_dir("grasp");
    let (prior, cvae) = tiny_priors(&d);
    for objective in ["mace", "exact", "is"] {
        let out = d.join(format!("tune-{objective}"));
        let o = mace(&[
            "grasp",
            "tune",
            "--shape",
            "1",
            "--shapes",
            "40",
            "--prior",
            &prior,
            "--objective",
            objective,
            "--iterations",
            "16",
            "--eval-samples",
            "6",
            "-q",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{objective}: {}", stderr(&o));
        assert!(stdout(&o).contains("| posterior |"), "{}", stdout(&o));
        let report: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap())
                .unwrap();
        assert_eq!(report["observation"].as_array().unwrap().len(), 5);
        assert_eq!(report["posterior_std"].as_array().unwrap().len(), 128);
        let score = report["posterior_eval"]["mean_score"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&score), "{score}");
        assert!(out.join("observed.ply").is_file());
        assert!(out.join("posterior/sample_05.ply").is_file());
        assert_not_blank(&load_png(&out.join("samples.png")), "samples.png");
        assert_not_blank(&load_png(&out.join("curves.png")), "curves.png");
    }
    let json = d.join("fig1.json");
    let o = mace(&[
        "bench",
        "grasp-fig1",
        "--shapes",
        "40",
        "--observations",
        "1",
        "--samples",
        "4",
        "--iterations",
        "8",
        "--prior",
        &prior,
        "--cvae",
        &cvae,
        "-q",
        "--json",
        json.to_str().unwrap(),
        "--out",
        d.join("fig1").to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let table = stdout(&o);
    for s in [
        "in distribution",
        "out of distribution",
        "| mace |",
        "| cvae |",
        "| exact |",
    ] {
        assert!(table.contains(s), "{s}: {table}");
    }
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(v["settings"].as_array().unwrap().len(), 2);
    assert!(d.join("fig1/table.md").is_file());
    assert!(d.join("fig1/fig1.json").is_file());
    for setting in ["in-distribution", "out-of-distribution"] {
        let png = d.join("fig1").join(setting).join("samples.png");
        assert_not_blank(&load_png(&png), setting);
    }
}

#[test]
fn bad_input_is_reported() {
    let d = temp_dir("grasp-bad");
    // No prior where one is asked for.
    let o = mace(&[
        "grasp",
        "tune",
        "--shape",
        "0",
        "--prior",
        "/nonexistent/prior",
        "--out",
        d.join("x").to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("/nonexistent/prior"), "{}", stderr(&o));
    // A test index past the split, and too small a procedural set.
    let (prior, _) = tiny_priors(&d);
    let o = mace(&[
        "grasp",
        "tune",
        "--shape",
        "99",
        "--shapes",
        "40",
        "--prior",
        &prior,
        "--out",
        d.join("y").to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("test split has"), "{}", stderr(&o));
    let o = mace(&[
        "grasp",
        "train",
        "--shapes",
        "5",
        "--out",
        d.join("z").to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("--shapes must be at least 20"),
        "{}",
        stderr(&o)
    );
    // A cloud the fingers miss: a tiny cluster far from the finger lines.
    let file = d.join("far.ply");
    let mut ply = String::from(
        "ply\nformat ascii 1.0\nelement vertex 4\nproperty float x\nproperty float y\nproperty float z\nend_header\n",
    );
    for p in ["0 0 5", "0.01 0 5", "0 0.01 5", "0.01 0.01 5"] {
        ply.push_str(p);
        ply.push('\n');
    }
    std::fs::write(&file, ply).unwrap();
    let o = mace(&[
        "grasp",
        "tune",
        "--shape",
        file.to_str().unwrap(),
        "--prior",
        &prior,
        "--out",
        d.join("w").to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("every finger"), "{}", stderr(&o));
}
