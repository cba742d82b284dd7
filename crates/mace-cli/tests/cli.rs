//! End-to-end tests of the `mace` binary: bad input gets a clear error and a non-zero exit;
//! the main commands write what they promise.

mod common;

use common::{
    assert_not_blank, differing_fraction, grey_variance, load_png, mace, stderr, stdout, temp_dir,
};

use std::path::{Path, PathBuf};

/// A small prior trained by the real pipeline (dataset → train), for tests that break it.
fn tiny_prior(dir: &Path) -> PathBuf {
    let data = dir.join("data.safetensors");
    let prior = dir.join("prior");
    let o = mace(&[
        "ik",
        "dataset",
        "--n",
        "3000",
        "--seed",
        "2",
        "--out",
        data.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = mace(&[
        "ik",
        "train",
        "--data",
        data.to_str().unwrap(),
        "--out",
        prior.to_str().unwrap(),
        "--epochs",
        "1",
        "--hidden",
        "16",
        "--components",
        "2",
        "-q",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    prior
}

#[test]
fn demo_toy_writes_its_report() {
    let dir = temp_dir("demo");
    let json = dir.join("toy.json");
    let o = mace(&["demo", "toy", "--quiet", "--json", json.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(v["runs"].as_array().unwrap().len(), 2);
    assert!(
        v["runs"][0]["report"]["iterations"]
            .as_array()
            .unwrap()
            .len()
            == 300
    );
}

#[test]
fn sampling_bad_targets_fails_clearly() {
    let dir = temp_dir("targets");
    let prior = tiny_prior(&dir);
    let p = prior.to_str().unwrap();
    let o = mace(&["ik", "sample", "--prior", p, "--target", "NaN", "0", "0.5"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("not finite"), "{}", stderr(&o));
    let o = mace(&["ik", "sample", "--prior", p, "--target", "3.0", "0", "0.5"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("unreachable"), "{}", stderr(&o));
    let o = mace(&[
        "ik", "sample", "--prior", p, "--target", "0.5", "0", "0.5", "--n", "4", "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 4);
    assert_eq!(v[0]["q"].as_array().unwrap().len(), 7);
}

#[test]
fn missing_corrupted_or_mismatched_priors_are_named() {
    let dir = temp_dir("priors");
    let prior = tiny_prior(&dir);
    let p = prior.to_str().unwrap();
    let target = ["--target", "0.5", "0", "0.5"];

    let missing = dir.join("nowhere");
    let o = mace(
        &[
            &["ik", "sample", "--prior", missing.to_str().unwrap()][..],
            &target,
        ]
        .concat(),
    );
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("nowhere") && stderr(&o).contains("config.json"),
        "{}",
        stderr(&o)
    );

    let weights = prior.join("weights.safetensors");
    let good = std::fs::read(&weights).unwrap();
    std::fs::write(&weights, &good[..good.len() / 2]).unwrap();
    let o = mace(&[&["ik", "sample", "--prior", p][..], &target].concat());
    assert!(!o.status.success());
    assert!(stderr(&o).contains("weights.safetensors"), "{}", stderr(&o));
    std::fs::write(&weights, &good).unwrap();

    // A config for a 6-joint robot: the weights no longer fit, and the joint count is wrong.
    let config_path = prior.join("config.json");
    let mut config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&config_path).unwrap()).unwrap();
    for key in ["names", "lower", "upper"] {
        config["model"][key].as_array_mut().unwrap().pop();
    }
    config["model"]["chain"] = serde_json::Value::Null;
    std::fs::write(&config_path, serde_json::to_string(&config).unwrap()).unwrap();
    let o = mace(&[&["ik", "sample", "--prior", p][..], &target].concat());
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("weights.safetensors") || stderr(&o).contains("6 joints"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn training_on_a_missing_dataset_names_the_file() {
    let dir = temp_dir("train");
    let o = mace(&[
        "ik",
        "train",
        "--data",
        "/nonexistent/d.safetensors",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("/nonexistent/d.safetensors"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn ik_tune_writes_its_pictures() {
    let dir = temp_dir("tune-pictures");
    let out = dir.join("run");
    let o = mace(&[
        "ik",
        "tune",
        "--scene",
        "window",
        "--iterations",
        "20",
        "--eval-samples",
        "200",
        "-q",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("samples.png"), "{}", stdout(&o));

    // prior | posterior, 520 × 450 pixels each (title band 34 px on top, legend 28 px below).
    let samples = load_png(&out.join("samples.png"));
    assert_eq!((samples.width(), samples.height()), (1040, 450));
    assert_not_blank(&samples, "samples.png");
    let (w, top, view_h) = (520, 34, 450 - 34 - 28);
    for x0 in [0, w] {
        let v = grey_variance(&samples, (x0, top, w, view_h));
        assert!(v > 100.0, "panel at x = {x0} looks blank: variance {v:.1}");
    }
    let d = differing_fraction(&samples, 0, &samples, w, top, w, view_h);
    assert!(
        d > 0.01,
        "the posterior panel looks like the prior's: {d:.4} of pixels differ"
    );

    let curves = load_png(&out.join("curves.png"));
    assert_eq!((curves.width(), curves.height()), (900, 640));
    assert_not_blank(&curves, "curves.png");

    // The pictured configurations, for `mace render robot`.
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("samples.json")).unwrap()).unwrap();
    assert_eq!(v["scene"], "window");
    for key in ["prior", "posterior"] {
        let rows = v[key].as_array().unwrap();
        assert_eq!(rows.len(), 150, "{key}");
        assert!(rows
            .iter()
            .all(|r| r.as_array().unwrap().len() == 7 && r[0].is_number()));
    }
    assert_ne!(v["prior"], v["posterior"]);
    assert!(out.join("report.json").is_file());

    // `ik sample --posterior` draws from the tuned model for the tuned target and scene:
    // seeded, and not what the prior draws with the same seed.
    let draw = |args: &[&str]| -> serde_json::Value {
        let o = mace(args);
        assert!(o.status.success(), "{}", stderr(&o));
        serde_json::from_slice(&o.stdout).unwrap()
    };
    let post = [
        "ik",
        "sample",
        "--posterior",
        out.to_str().unwrap(),
        "--n",
        "50",
        "--json",
    ];
    let a = draw(&post);
    assert_eq!(a.as_array().unwrap().len(), 50);
    assert_eq!(a, draw(&post));
    let target = ["0.615", "0.0", "0.558"];
    let mut prior = vec![
        "ik", "sample", "--scene", "window", "--n", "50", "--json", "--target",
    ];
    prior.extend(target);
    assert_ne!(a, draw(&prior));

    let bare = dir.join("bare");
    let o = mace(&[
        "ik",
        "tune",
        "--scene",
        "window",
        "--iterations",
        "5",
        "--eval-samples",
        "100",
        "-q",
        "--no-pictures",
        "--out",
        bare.to_str().unwrap(),
    ]);
    // Five steps may leave no collision-free sample (then the command fails after writing).
    assert!(bare.join("report.json").is_file(), "{}", stderr(&o));
    for f in ["samples.png", "curves.png", "samples.json"] {
        assert!(!bare.join(f).exists(), "{f} written despite --no-pictures");
    }
}

#[test]
fn demo_toy_writes_pictures_with_out() {
    let dir = temp_dir("demo-out");
    let o = mace(&["demo", "toy", "--quiet", "--out", dir.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let curves = load_png(&dir.join("curves.png"));
    // The curves of MACE and IS, stacked.
    assert_eq!((curves.width(), curves.height()), (900, 1280));
    assert_not_blank(&curves, "curves.png");
    assert!(dir.join("demo.json").is_file());
}

#[test]
fn demo_writes_pictures_with_out() {
    let dir = temp_dir("demo-ik-out");
    let o = mace(&["demo", "--quiet", "--out", dir.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("window.png"), "{}", stdout(&o));
    for name in ["window.png", "box.png"] {
        let p = load_png(&dir.join(name));
        assert_eq!((p.width(), p.height()), (1040, 450), "{name}");
        assert_not_blank(&p, name);
        let d = differing_fraction(&p, 0, &p, 520, 34, 520, 450 - 34 - 28);
        assert!(d > 0.005, "{name}: the two panels look alike ({d:.4})");
    }
    assert_not_blank(&load_png(&dir.join("curves.png")), "curves.png");
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("demo.json")).unwrap()).unwrap();
    assert_eq!(v["box_solves"].as_array().unwrap().len(), 10);
}

#[test]
fn bad_tuning_knobs_are_named_and_nothing_is_written() {
    let dir = temp_dir("tune-bad-knobs");
    for (args, expected) in [
        (vec!["--elite-min-ratio", "1.5"], "elite_min_ratio"),
        (vec!["--margin-penalty", "-1"], "--margin-penalty"),
        (vec!["--logit-lr-scale", "0"], "--logit-lr-scale"),
        (
            vec!["--first-sample-size", "4096", "--first-sample-max", "8192"],
            "first_sample_max",
        ),
    ] {
        let out = dir.join(expected.trim_start_matches('-'));
        let mut all = vec!["ik", "tune", "--scene", "wall", "-q", "--out"];
        all.push(out.to_str().unwrap());
        all.extend(args);
        let o = mace(&all);
        assert!(!o.status.success(), "{expected}");
        assert!(stderr(&o).contains(expected), "{expected}: {}", stderr(&o));
        assert!(!out.join("report.json").exists(), "{expected}");
    }
}

#[test]
fn ik_tune_bad_targets_fail_with_a_reason() {
    let dir = temp_dir("tune-bad-targets");
    let out = dir.join("unreachable");
    let o = mace(&[
        "ik",
        "tune",
        "--scene",
        "wall",
        "--target",
        "3",
        "0",
        "0",
        "-q",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("unreachable"), "{}", stderr(&o));
    assert!(
        !out.exists(),
        "nothing is written for an unreachable target"
    );
    let o = mace(&[
        "ik",
        "tune",
        "--scene",
        "wall",
        "--target",
        "nan",
        "0",
        "0.5",
        "-q",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("not finite"), "{}", stderr(&o));
    // The wall's own target has no collision-free configuration near it (the reference found
    // none): the command says so and fails, but keeps what it tuned.
    let out = dir.join("wall");
    let o = mace(&[
        "ik",
        "tune",
        "--scene",
        "wall",
        "--iterations",
        "100",
        "--eval-samples",
        "300",
        "-q",
        "--no-pictures",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("within 2 cm of the target"),
        "{}",
        stderr(&o)
    );
    assert!(out.join("report.json").is_file() && out.join("posterior").is_dir());
}

#[test]
fn the_collision_tables_are_cached_on_disk_and_a_damaged_cache_is_rebuilt() {
    let dir = common::temp_dir("collision-cache");
    // The labels of the run (its timings left out).
    let labels = |o: &std::process::Output| {
        let mut v: serde_json::Value = serde_json::from_str(&common::stdout(o)).unwrap();
        let s = v["summary"].as_object_mut().unwrap();
        s.remove("seconds");
        s.remove("configs_per_second");
        v
    };
    let run = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_mace"))
            .args([
                "ik", "check", "--scene", "box", "--random", "200", "--seed", "3", "--json",
            ])
            .env("MACE_CACHE_DIR", &dir)
            .output()
            .unwrap()
    };
    let first = run();
    assert!(first.status.success(), "{}", common::stderr(&first));
    let files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let name = files[0].file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.starts_with("collision-") && name.ends_with(".bin"),
        "{name}"
    );
    // Read back: the same labels.
    let second = run();
    assert_eq!(labels(&first), labels(&second));
    // Damaged: ignored, recomputed (same labels) and rewritten.
    let good = std::fs::read(&files[0]).unwrap();
    let mut bad = good.clone();
    let mid = bad.len() / 2;
    bad[mid] ^= 0xff;
    std::fs::write(&files[0], &bad).unwrap();
    let third = run();
    assert_eq!(labels(&first), labels(&third));
    assert_eq!(std::fs::read(&files[0]).unwrap(), good);
}

#[test]
fn a_posterior_warm_starts_tuning_after_the_scene_moved() {
    let dir = common::temp_dir("warm-start");
    let (first, again) = (dir.join("first"), dir.join("again"));
    let moved = dir.join("moved.toml");
    let window = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/scenes/window.toml"),
    )
    .unwrap();
    // The whole window 3 cm further from the robot.
    std::fs::write(&moved, window.replace("center = [0.4,", "center = [0.43,")).unwrap();
    let tune = |args: &[&str]| {
        let mut a = vec![
            "ik",
            "tune",
            "-q",
            "--no-pictures",
            "--stop-at-score",
            "0.9",
        ];
        a.extend_from_slice(args);
        mace(&a)
    };
    let o = tune(&["--scene", "window", "--out", first.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = tune(&[
        "--scene",
        moved.to_str().unwrap(),
        "--warm-from",
        first.to_str().unwrap(),
        "--out",
        again.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(again.join("report.json")).unwrap()).unwrap();
    assert!(
        report["posterior_eval"]["success_rate"].as_f64().unwrap() >= 0.85,
        "{}",
        report["posterior_eval"]
    );
    // A posterior of another robot is refused; --prior and --warm-from do not mix.
    let o = tune(&[
        "--robot",
        "iiwa14",
        "--scene",
        "window",
        "--warm-from",
        first.to_str().unwrap(),
        "--out",
        dir.join("x").to_str().unwrap(),
    ]);
    assert!(
        !o.status.success() && stderr(&o).contains("panda"),
        "{}",
        stderr(&o)
    );
    let o = tune(&[
        "--scene",
        "window",
        "--warm-from",
        first.to_str().unwrap(),
        "--prior",
        first.to_str().unwrap(),
        "--out",
        dir.join("y").to_str().unwrap(),
    ]);
    assert!(!o.status.success(), "{}", stderr(&o));
}
