//! Hostile input to `mace grasp …` and `mace complete …`: counts that would exhaust memory,
//! rates that mean nothing, shape files that are not files or lie about their size, outputs
//! that already exist. Each must end within 5 s with one error line naming what is wrong, and
//! leave every file as it was.

mod common;

use std::path::{Path, PathBuf};

use common::{refused, temp_dir};

/// A scratch folder holding a copy of the shipped shape prior, a used output folder, a FIFO,
/// a link to `/dev/zero` and a few broken shape files.
fn workspace(name: &str) -> PathBuf {
    let dir = temp_dir(name);
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/priors/airplanes");
    let prior = dir.join("prior");
    std::fs::create_dir(&prior).unwrap();
    for e in std::fs::read_dir(&shipped).unwrap().flatten() {
        if e.file_type().unwrap().is_file() {
            std::fs::copy(e.path(), prior.join(e.file_name())).unwrap();
        }
    }
    std::fs::create_dir(dir.join("used")).unwrap();
    std::fs::write(dir.join("used/report.json"), b"{}").unwrap();
    let fifo = dir.join("fifo.ply");
    let ok = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(ok.success());
    std::os::unix::fs::symlink("/dev/zero", dir.join("zero.ply")).unwrap();
    // A PLY that promises a billion vertices and holds three.
    std::fs::write(
        dir.join("liar.ply"),
        "ply\nformat ascii 1.0\nelement vertex 1000000000\nproperty float x\n\
         property float y\nproperty float z\nend_header\n0 0 0\n1 0 0\n0 1 0\n",
    )
    .unwrap();
    // A PLY whose header says 3 vertices and whose body holds 5 rows.
    std::fs::write(
        dir.join("long.ply"),
        "ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\nproperty float y\n\
         property float z\nend_header\n0 0 0\n1 0 0\n0 1 0\n0 0 1\n1 1 1\n",
    )
    .unwrap();
    // A cloud with a NaN coordinate.
    std::fs::write(
        dir.join("nan.ply"),
        "ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\nproperty float y\n\
         property float z\nend_header\n0 0 0\nnan 0 0\n0 1 0\n",
    )
    .unwrap();
    // Every point at one place: nothing to normalise.
    let same = vec!["[1,2,3]"; 100].join(",");
    std::fs::write(dir.join("point.json"), format!("[{same}]")).unwrap();
    std::fs::write(dir.join("empty.off"), "").unwrap();
    dir
}

fn p(dir: &Path, name: &str) -> String {
    dir.join(name).to_str().unwrap().to_string()
}

/// Runs every case with `refused` and checks its error line names `what`.
fn all_refused(dir: &Path, cases: &[(Vec<String>, &str)]) {
    for (args, what) in cases {
        let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
        if args[0] == "complete" {
            args.splice(2..2, ["--view", "30", "20"]);
        }
        eprintln!("mace {}", args.join(" "));
        let line = refused(&args, dir);
        eprintln!("  -> {line}");
        assert!(
            line.contains(what),
            "`mace {}`: the error does not name {what}: {line}",
            args.join(" ")
        );
    }
}

fn v(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

#[test]
fn counts_and_rates_that_mean_nothing_are_refused_before_any_work() {
    let dir = workspace("hostile-shape-counts");
    let out = p(&dir, "new");
    let prior = p(&dir, "prior");
    let cases = vec![
        (v(&["grasp", "inspect", "--count", "1000000000"]), "--count"),
        (
            v(&[
                "grasp",
                "inspect",
                "--prior",
                &prior,
                "--shapes",
                "1000000000000",
            ]),
            "--shapes",
        ),
        (
            v(&["grasp", "train", "--out", &out, "--epochs", "0"]),
            "--epochs",
        ),
        (
            v(&["grasp", "train", "--out", &out, "--batch", "0"]),
            "--batch",
        ),
        (
            v(&[
                "grasp",
                "tune",
                "--shape",
                "0",
                "--out",
                &out,
                "--time-budget",
                "1e20",
            ]),
            "time_budget",
        ),
        (
            v(&[
                "complete",
                "tune",
                "--shape",
                "0",
                "--out",
                &out,
                "--sample-size",
                "5000000",
            ]),
            "sample_size must be at most 100000 clouds",
        ),
        (v(&["grasp", "train", "--out", &out, "--lr", "nan"]), "--lr"),
        (v(&["grasp", "train", "--out", &out, "--lr", "-1"]), "--lr"),
        (
            v(&["grasp", "train", "--out", &out, "--beta", "inf"]),
            "beta",
        ),
        (
            v(&[
                "grasp",
                "tune",
                "--shape",
                "0",
                "--out",
                &out,
                "--quantile",
                "0",
            ]),
            "quantile",
        ),
        (
            v(&[
                "grasp", "tune", "--shape", "0", "--out", &out, "--lr", "nan",
            ]),
            "lr",
        ),
        (
            v(&["grasp", "tune", "--shape", "1000000", "--out", &out]),
            "1000000",
        ),
        (
            v(&[
                "grasp",
                "tune",
                "--shape",
                "0",
                "--out",
                &out,
                "--sample-size",
                "1000000000000",
            ]),
            "sample-size",
        ),
        (
            v(&[
                "complete",
                "tune",
                "--shape",
                "0",
                "--out",
                &out,
                "--depth-noise",
                "1e30",
            ]),
            "--depth-noise",
        ),
        (
            v(&[
                "complete",
                "tune",
                "--shape",
                "0",
                "--out",
                &out,
                "--depth-noise",
                "-0.1",
            ]),
            "--depth-noise",
        ),
        (
            v(&[
                "complete",
                "tune",
                "--shape",
                "0",
                "--out",
                &out,
                "--resolution",
                "1000000",
            ]),
            "resolution",
        ),
        (
            v(&[
                "complete", "tune", "--shape", "0", "--out", &out, "--fov", "180",
            ]),
            "fov",
        ),
        (
            v(&[
                "complete",
                "tune",
                "--shape",
                "0",
                "--out",
                &out,
                "--distance",
                "0",
            ]),
            "distance",
        ),
        (
            v(&[
                "complete", "tune", "--shape", "0", "--out", &out, "--scale", "0",
            ]),
            "scale",
        ),
    ];
    all_refused(&dir, &cases);
}

#[test]
fn shape_files_that_are_not_files_or_lie_are_refused() {
    let dir = workspace("hostile-shape-files");
    let plane = Path::new(env!("CARGO_MANIFEST_DIR")).join("../mace-shapes/tests/data/plane.obj");
    let plane = plane.to_str().unwrap().to_string();
    let out = p(&dir, "new");
    let mut cases = Vec::new();
    for (file, what) in [
        ("fifo.ply", "fifo.ply"),
        ("zero.ply", "zero.ply"),
        ("liar.ply", "liar.ply"),
        ("long.ply", "long.ply"),
        ("nan.ply", "nan.ply"),
        ("point.json", "point.json"),
        ("empty.off", "empty.off"),
        ("missing.ply", "missing.ply"),
    ] {
        for cmd in ["grasp", "complete"] {
            cases.push((
                v(&[cmd, "tune", "--shape", &p(&dir, file), "--out", &out]),
                what,
            ));
        }
    }
    cases.push((
        v(&[
            "grasp",
            "tune",
            "--shape",
            &p(&dir, "point.json"),
            "--up",
            "w",
            "--out",
            &out,
        ]),
        "--up",
    ));
    cases.push((
        v(&[
            "grasp", "tune", "--shape", &plane, "--up", "z", "--front", "z", "--out", &out,
        ]),
        "--front",
    ));
    all_refused(&dir, &cases);
}

#[test]
fn outputs_that_exist_are_kept_without_force() {
    let dir = workspace("hostile-shape-outputs");
    let used = p(&dir, "used");
    let prior = p(&dir, "prior");
    let cases = vec![
        (
            v(&["grasp", "train", "--out", &prior, "--epochs", "1"]),
            "--force",
        ),
        (
            v(&["grasp", "tune", "--shape", "0", "--out", &used]),
            "--force",
        ),
        (
            v(&["complete", "tune", "--shape", "0", "--out", &used]),
            "--force",
        ),
        (
            v(&["grasp", "inspect", "--count", "2", "--json", &used]),
            "used",
        ),
        (
            v(&[
                "grasp",
                "inspect",
                "--count",
                "2",
                "--json",
                &p(&dir, "used/report.json"),
            ]),
            "--force",
        ),
        (
            v(&["grasp", "fit-latent", "--prior", &p(&dir, "missing")]),
            "missing",
        ),
    ];
    all_refused(&dir, &cases);
}
