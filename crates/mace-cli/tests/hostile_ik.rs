//! Hostile input to `mace ik …` and the IK benches: sizes that would exhaust memory, counts
//! and rates that mean nothing, files that are not files, priors and datasets that lie. Each
//! must end within 5 s with one error line naming what is wrong, and leave every file as it was.

mod common;

use std::path::{Path, PathBuf};

use common::{mace, refused, stderr, temp_dir};

/// A scratch folder holding what a careless user has lying around: a copy of the shipped
/// Panda prior, a results file, a results folder, a FIFO and a link to `/dev/zero`.
fn workspace(name: &str) -> PathBuf {
    let dir = temp_dir(name);
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/priors/panda-ik");
    let prior = dir.join("prior");
    std::fs::create_dir(&prior).unwrap();
    for f in ["config.json", "weights.safetensors"] {
        std::fs::copy(shipped.join(f), prior.join(f)).unwrap();
    }
    std::fs::write(dir.join("old.json"), b"{\"keep\": true}").unwrap();
    std::fs::create_dir(dir.join("results")).unwrap();
    std::fs::write(dir.join("results/report.json"), b"{}").unwrap();
    let fifo = dir.join("fifo");
    let ok = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(ok.success());
    std::os::unix::fs::symlink("/dev/zero", dir.join("zero.toml")).unwrap();
    dir
}

fn p(dir: &Path, name: &str) -> String {
    dir.join(name).to_str().unwrap().to_string()
}

#[test]
fn sizes_that_would_exhaust_memory_are_refused_before_any_work() {
    let dir = workspace("hostile-sizes");
    let cases: &[(&[&str], &str)] = &[
        (
            &["ik", "check", "--scene", "box", "--random", "1000000000000"],
            "--random",
        ),
        (
            &[
                "ik",
                "check",
                "--scene",
                "box",
                "--random",
                "18446744073709551615",
            ],
            "--random",
        ),
        (
            &[
                "ik",
                "solve",
                "--scene",
                "box",
                "--method",
                "prior",
                "--batch-size",
                "1000000000000",
            ],
            "--batch-size",
        ),
        (
            &[
                "ik",
                "sample",
                "--target",
                "0.5",
                "0",
                "0.5",
                "--n",
                "1000000000000",
            ],
            "--n",
        ),
        (
            &[
                "ik",
                "dataset",
                "--n",
                "1000000000000",
                "--out",
                "d.safetensors",
            ],
            "--n",
        ),
        (
            &[
                "ik",
                "train",
                "--n",
                "1000",
                "--hidden",
                "100000,100000",
                "--out",
                "p",
            ],
            "--hidden",
        ),
        (
            &["ik", "eval-prior", "--samples", "1000000000000"],
            "--samples",
        ),
        (
            &[
                "ik",
                "tune",
                "--scene",
                "wall",
                "--sample-size",
                "1000000000000",
                "--out",
                "t",
            ],
            "--sample-size",
        ),
        (
            &[
                "ik",
                "tune",
                "--scene",
                "wall",
                "--eval-samples",
                "1000000000000",
                "--out",
                "t",
            ],
            "--eval-samples",
        ),
        (
            &["bench", "ik-table1", "--targets", "100000000000"],
            "--targets",
        ),
        (
            &["bench", "ik-table2", "--trials", "100000000000"],
            "--trials",
        ),
        (
            &["bench", "ik-scene", "--targets", "100000000000"],
            "--targets",
        ),
    ];
    for (args, flag) in cases {
        let e = refused(args, &dir);
        assert!(e.contains(flag), "{args:?}: {e}");
    }
}

#[test]
fn counts_and_rates_that_mean_nothing_are_refused() {
    let dir = workspace("hostile-counts");
    let out = p(&dir, "new-prior");
    let cases: &[(&[&str], &str)] = &[
        (&["ik", "eval-prior", "--targets", "0"], "--targets"),
        (&["ik", "eval-prior", "--samples", "0"], "--samples"),
        (
            &["ik", "train", "--n", "1000", "--batch", "0", "--out", &out],
            "--batch",
        ),
        (
            &["ik", "train", "--n", "1000", "--epochs", "0", "--out", &out],
            "--epochs",
        ),
        (
            &["ik", "train", "--n", "1000", "--lr", "-1", "--out", &out],
            "--lr",
        ),
        (
            &["ik", "train", "--n", "1000", "--lr", "0", "--out", &out],
            "--lr",
        ),
        (
            &[
                "ik",
                "train",
                "--n",
                "1000",
                "--heldout",
                "-1",
                "--out",
                &out,
            ],
            "--heldout",
        ),
        (
            &[
                "ik",
                "train",
                "--n",
                "1000",
                "--heldout",
                "nan",
                "--out",
                &out,
            ],
            "--heldout",
        ),
        (
            &[
                "ik",
                "train",
                "--n",
                "1000",
                "--heldout",
                "5",
                "--out",
                &out,
            ],
            "--heldout",
        ),
        (
            &[
                "ik",
                "train",
                "--n",
                "1000",
                "--min-std",
                "0",
                "--out",
                &out,
            ],
            "--min-std",
        ),
        (
            &[
                "ik",
                "train",
                "--n",
                "1000",
                "--components",
                "0",
                "--out",
                &out,
            ],
            "--components",
        ),
        (
            &[
                "ik",
                "tune",
                "--scene",
                "wall",
                "--tuned-joints",
                "0",
                "--out",
                &out,
            ],
            "--tuned-joints",
        ),
        (
            &[
                "ik",
                "tune",
                "--scene",
                "wall",
                "--tuned-joints",
                "8",
                "--out",
                &out,
            ],
            "--tuned-joints",
        ),
        (
            &[
                "ik",
                "tune",
                "--scene",
                "wall",
                "--eval-samples",
                "0",
                "--out",
                &out,
            ],
            "--eval-samples",
        ),
        (
            &[
                "ik",
                "tune",
                "--scene",
                "wall",
                "--quantile",
                "0",
                "--out",
                &out,
            ],
            "quantile",
        ),
        (
            &[
                "ik", "tune", "--scene", "wall", "--lr", "nan", "--out", &out,
            ],
            "lr",
        ),
        (
            &["ik", "solve", "--scene", "box", "--budget", "-1"],
            "--budget",
        ),
        (
            &["ik", "solve", "--scene", "box", "--trials", "0"],
            "--trials",
        ),
        (
            &["ik", "solve", "--scene", "box", "--clearance", "inf"],
            "--clearance",
        ),
        (
            &[
                "ik", "solve", "--scene", "box", "--target", "nan", "0", "0.5",
            ],
            "not finite",
        ),
        (
            &["ik", "sample", "--target", "5", "0", "0.5"],
            "unreachable",
        ),
        (
            &["ik", "sample", "--target", "0.5", "0", "0.5", "--n", "0"],
            "--n",
        ),
        (&["bench", "ik-scene", "--near", "-1"], "--near"),
    ];
    for (args, needle) in cases {
        let e = refused(args, &dir);
        assert!(e.contains(needle), "{args:?}: {e}");
    }
}

#[test]
fn files_that_are_not_files_are_refused_by_name() {
    let dir = workspace("hostile-files");
    let (fifo, zero) = (p(&dir, "fifo"), p(&dir, "zero.toml"));
    let cases: Vec<Vec<&str>> = vec![
        vec!["ik", "check", "--scene", &fifo, "--random", "10"],
        vec!["ik", "check", "--scene", &zero, "--random", "10"],
        vec!["ik", "fk", "--configs", &fifo],
        vec!["ik", "fk", "--configs", &zero],
        vec!["ik", "train", "--data", &fifo, "--out", "x"],
        vec!["ik", "eval-prior", "--data", &zero],
        vec![
            "ik", "check", "--robot", &fifo, "--scene", "box", "--random", "1",
        ],
        vec![
            "ik", "sample", "--prior", &fifo, "--target", "0.5", "0", "0.5",
        ],
        vec![
            "render",
            "robot",
            "--scene",
            "box",
            "--samples",
            &fifo,
            "--out",
            "x.png",
        ],
    ];
    for args in &cases {
        let e = refused(args, &dir);
        assert!(
            e.contains("fifo") || e.contains("zero.toml"),
            "{args:?}: {e}"
        );
    }
    let e = refused(
        &["ik", "check", "--scene", "kitchen", "--random", "1"],
        &dir,
    );
    assert!(e.contains("kitchen") && e.contains("shelf"), "{e}");
}

#[test]
fn outputs_never_destroy_what_is_there() {
    let dir = workspace("hostile-outputs");
    let (prior, old, results) = (p(&dir, "prior"), p(&dir, "old.json"), p(&dir, "results"));
    let target = ["--target", "0.5", "0", "0.5"];
    // A trained prior, a results file and a used results folder, each kept without --force.
    let e = refused(
        &[
            "ik", "train", "--n", "1000", "--epochs", "1", "--out", &prior,
        ],
        &dir,
    );
    assert!(e.contains(&prior), "{e}");
    let e = refused(
        &[&["ik", "sample", "--json", &old][..], &target].concat(),
        &dir,
    );
    assert!(e.contains("old.json") && e.contains("--force"), "{e}");
    let e = refused(&["ik", "tune", "--scene", "wall", "--out", &results], &dir);
    assert!(e.contains("results"), "{e}");
    // A folder where a file is asked for is never replaced, even with --force.
    let e = refused(
        &[
            &["ik", "sample", "--force", "--json", &results][..],
            &target,
        ]
        .concat(),
        &dir,
    );
    assert!(e.contains("folder"), "{e}");
    // A device is written through, never replaced by a regular file.
    let e = refused(
        &[&["ik", "sample", "--json", "/dev/full"][..], &target].concat(),
        &dir,
    );
    assert!(
        e.contains("/dev/full") && e.contains("No space left"),
        "{e}"
    );
    assert!(!Path::new("/dev/full").is_file());
}

#[test]
fn priors_that_lie_are_refused_when_loaded() {
    let dir = workspace("hostile-priors");
    let target = ["--target", "0.5", "0", "0.5"];
    let make = |name: &str, edit: &dyn Fn(&mut serde_json::Value, &mut Vec<u8>)| -> String {
        let d = dir.join(name);
        std::fs::create_dir(&d).unwrap();
        let mut config: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("prior/config.json")).unwrap()).unwrap();
        let mut weights = std::fs::read(dir.join("prior/weights.safetensors")).unwrap();
        edit(&mut config, &mut weights);
        std::fs::write(d.join("config.json"), serde_json::to_vec(&config).unwrap()).unwrap();
        std::fs::write(d.join("weights.safetensors"), weights).unwrap();
        d.to_str().unwrap().to_string()
    };
    let huge = make("huge", &|c, _| {
        c["model"]["hidden"] = serde_json::json!([1_000_000_000])
    });
    let e = refused(
        &[&["ik", "sample", "--prior", &huge][..], &target].concat(),
        &dir,
    );
    assert!(e.contains("hidden") && e.contains("config.json"), "{e}");
    // Every f32 of the last tensor set to NaN (0x7fc00000), sizes untouched.
    let nan = make("nan", &|_, w| {
        let n = w.len();
        for chunk in w[n - 64..].chunks_exact_mut(4) {
            chunk.copy_from_slice(&f32::NAN.to_le_bytes());
        }
    });
    let e = refused(
        &[&["ik", "sample", "--prior", &nan][..], &target].concat(),
        &dir,
    );
    assert!(
        e.contains("weights.safetensors") && e.contains("NaN"),
        "{e}"
    );
    let other = make("other", &|c, _| {
        c["model"]["made_for"]["kinematics"] = serde_json::json!("0000000000000000")
    });
    let e = refused(
        &[&["ik", "sample", "--prior", &other][..], &target].concat(),
        &dir,
    );
    assert!(e.contains("made for"), "{e}");
    // The shipped Panda prior with another robot.
    let prior = p(&dir, "prior");
    let e = refused(
        &[
            &["ik", "sample", "--robot", "iiwa14", "--prior", &prior][..],
            &target,
        ]
        .concat(),
        &dir,
    );
    assert!(e.contains("panda") && e.contains("iiwa14"), "{e}");
}

#[test]
fn a_closed_pipe_ends_the_command_quietly() {
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_mace"))
        .args([
            "ik", "sample", "--target", "0.5", "0", "0.5", "--n", "20000", "--json",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // the reader goes away at once
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn a_dataset_of_another_robot_is_refused_by_train() {
    let dir = temp_dir("hostile-dataset");
    let data = dir.join("iiwa.safetensors");
    let o = mace(&[
        "ik",
        "dataset",
        "--robot",
        "iiwa14",
        "--n",
        "500",
        "--out",
        data.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let e = refused(
        &[
            "ik",
            "train",
            "--data",
            data.to_str().unwrap(),
            "--out",
            p(&dir, "x").as_str(),
        ],
        &dir,
    );
    assert!(e.contains("another robot") && e.contains("panda"), "{e}");
}

#[test]
fn target_files_that_lie_are_refused() {
    let dir = workspace("hostile-targets");
    std::fs::write(dir.join("nan.jsonl"), "[0.5, 0, 0.5]\n[0.5, 0, nan]\n").unwrap();
    std::fs::write(dir.join("short.json"), "[[0.5, 0]]").unwrap();
    std::fs::write(dir.join("ok.json"), "[[0.5, 0, 0.5]]").unwrap();
    let good = p(&dir, "ok.json");
    let cases: Vec<(Vec<String>, &str)> = vec![
        (vec![p(&dir, "nan.jsonl")], "line 2"),
        (vec![p(&dir, "short.json")], "target 0"),
        (vec![p(&dir, "fifo")], "fifo"),
        (vec![p(&dir, "zero.toml")], "zero.toml"),
        (
            vec![good.clone(), "--out".into(), p(&dir, "old.json")],
            "--out",
        ),
        (
            vec![good.clone(), "--out".into(), p(&dir, "results")],
            "--out",
        ),
        (vec![good.clone(), "--json".into()], "stdout"),
        (
            vec![good.clone(), "--method".into(), "mace".into()],
            "mace ik tune",
        ),
        (
            vec![
                good.clone(),
                "--target".into(),
                "0.5".into(),
                "0".into(),
                "0.5".into(),
            ],
            "--target",
        ),
    ];
    for (extra, says) in cases {
        let mut args: Vec<&str> = vec!["ik", "solve", "--scene", "box", "--targets"];
        args.extend(extra.iter().map(String::as_str));
        let e = refused(&args, &dir);
        assert!(e.contains(says), "{args:?}: {e}");
    }
}
