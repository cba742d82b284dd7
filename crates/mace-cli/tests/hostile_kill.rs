//! `kill -9` at any moment of a long command leaves either the previous state or a complete,
//! loadable output (results folders are built under a temporary name and renamed into place).

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{mace, snapshot, stderr, temp_dir};

/// Starts `mace args`, kills it with SIGKILL after `after`, and waits for it.
fn kill_after(args: &[&str], after: Duration) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mace"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(after);
    let _ = child.kill(); // SIGKILL on Unix
    let _ = child.wait();
}

/// Folders beside `dest` that an interrupted run left: recognisable by their name.
fn leftovers(parent: &Path, name: &str) -> Vec<String> {
    std::fs::read_dir(parent)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != name && n.contains(name))
        .collect()
}

#[test]
fn a_killed_training_leaves_the_previous_prior_or_a_loadable_one() {
    let dir = temp_dir("kill-train");
    let out = dir.join("prior");
    let out_s = out.to_str().unwrap();
    let train = |force: bool| {
        let mut a = vec![
            "ik",
            "train",
            "--n",
            "20000",
            "--epochs",
            "40",
            "--hidden",
            "32",
            "--components",
            "3",
            "--out",
            out_s,
            "-q",
        ];
        if force {
            a.push("--force");
        }
        a.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    };
    for (k, ms) in [150u64, 400, 900, 1600, 2500].into_iter().enumerate() {
        let before = out.exists().then(|| snapshot(&out));
        let args = train(k > 0);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        kill_after(&args, Duration::from_millis(ms));
        if out.exists() {
            let now = snapshot(&out);
            if Some(&now) != before.as_ref() {
                // A new version: it must load and sample.
                let o = mace(&[
                    "ik", "sample", "--prior", out_s, "--target", "0.5", "0", "0.5",
                ]);
                assert!(
                    o.status.success(),
                    "after a kill at {ms} ms: {}",
                    stderr(&o)
                );
            }
        }
        for name in leftovers(&dir, "prior") {
            assert!(name.contains(".partial-"), "stray {name}");
        }
    }
}

#[test]
fn a_killed_tuning_leaves_no_folder_or_a_complete_one() {
    let dir = temp_dir("kill-tune");
    let out = dir.join("run");
    let out_s = out.to_str().unwrap();
    for ms in [100u64, 300, 600, 1000, 1500] {
        let _ = std::fs::remove_dir_all(&out);
        kill_after(
            &["ik", "tune", "--scene", "window", "--out", out_s, "--quiet"],
            Duration::from_millis(ms),
        );
        if out.exists() {
            for f in ["report.json", "samples.json", "samples.png", "curves.png"] {
                assert!(out.join(f).is_file(), "killed at {ms} ms: {f} missing");
            }
            let report: serde_json::Value =
                serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
            assert!(report.is_object(), "killed at {ms} ms");
        }
        for name in leftovers(&dir, "run") {
            assert!(name.contains(".partial-"), "stray {name}");
        }
    }
}

#[test]
fn a_killed_shape_training_leaves_the_previous_prior_or_a_loadable_one() {
    let dir = temp_dir("kill-shape-train");
    let out = dir.join("shapes");
    let out_s = out.to_str().unwrap();
    for (k, ms) in [150u64, 600, 1200, 1800, 2600].into_iter().enumerate() {
        let before = out.exists().then(|| snapshot(&out));
        let mut args = vec![
            "grasp", "train", "--shapes", "100", "--epochs", "6", "--out", out_s, "-q",
        ];
        if k > 0 {
            args.push("--force");
        }
        kill_after(&args, Duration::from_millis(ms));
        if out.exists() {
            let now = snapshot(&out);
            if Some(&now) != before.as_ref() {
                let o = mace(&[
                    "grasp", "inspect", "--prior", out_s, "--shapes", "100", "--count", "2",
                ]);
                assert!(
                    o.status.success(),
                    "after a kill at {ms} ms: {}",
                    stderr(&o)
                );
            }
        }
        for name in leftovers(&dir, "shapes") {
            assert!(name.contains(".partial-"), "stray {name}");
        }
    }
}

#[test]
fn a_killed_shape_tuning_leaves_no_folder_or_a_complete_one() {
    let dir = temp_dir("kill-shape-tune");
    let out = dir.join("run");
    let out_s = out.to_str().unwrap();
    let grasp = ["grasp", "tune", "--shape", "0", "--out", out_s, "-q"];
    let complete = [
        "complete", "tune", "--view", "30", "20", "--shape", "0", "--out", out_s, "-q",
    ];
    for (args, files) in [
        (
            &grasp[..],
            &["report.json", "samples.png", "curves.png"][..],
        ),
        (
            &complete[..],
            &[
                "report.json",
                "observation.ply",
                "ground_truth.ply",
                "samples.png",
                "curves.png",
            ][..],
        ),
    ] {
        for ms in [100u64, 400, 800, 1300, 2000] {
            let _ = std::fs::remove_dir_all(&out);
            kill_after(args, Duration::from_millis(ms));
            if out.exists() {
                for f in files {
                    assert!(
                        out.join(f).is_file(),
                        "{args:?} killed at {ms} ms: {f} missing"
                    );
                }
            }
            for name in leftovers(&dir, "run") {
                assert!(name.contains(".partial-"), "stray {name}");
            }
        }
    }
}
