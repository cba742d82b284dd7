//! End-to-end tests of the `mace` binary: bad input gets a clear error and a non-zero exit;
//! the main commands write what they promise.

mod common;

use common::{mace, stderr, temp_dir};

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
