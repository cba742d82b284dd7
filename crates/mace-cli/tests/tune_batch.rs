//! End-to-end tests of `mace ik tune --targets FILE`: one posterior folder per target, the
//! records and the summary written whole; targets beyond reach reported and not tuned; bad
//! input refused in one line.

mod common;

use common::{mace, refused, stderr, stdout, temp_dir};

/// Two of Table 1's targets behind the wall and one beyond the arm's reach (index 1).
const TARGETS: &str = "[0.5642627, 0.138668, 0.62439907]\n[3.0, 0.0, 0.5]\n\
                       {\"position\": [0.54987955, -0.16014713, 0.6415152]}\n";

/// Short tuning: the layout is under test here, not the posteriors.
const SHORT: [&str; 6] = [
    "--iterations",
    "12",
    "--eval-samples",
    "100",
    "--first-sample-max",
    "0",
];

fn json(path: &std::path::Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn a_targets_file_gets_one_posterior_folder_per_reachable_target() {
    let dir = temp_dir("tune-batch");
    let file = dir.join("t.jsonl");
    std::fs::write(&file, TARGETS).unwrap();
    let out = dir.join("out");
    let (file_s, out_s) = (file.to_str().unwrap(), out.to_str().unwrap());
    let mut args = vec![
        "ik",
        "tune",
        "--scene",
        "wall",
        "--targets",
        file_s,
        "--out",
        out_s,
        "--seed",
        "5",
        "-q",
    ];
    args.extend(SHORT);
    let o = mace(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("warning: target 1 [3.0, 0.0, 0.5]") && err.contains("not tuned"),
        "{err}"
    );
    let said = stdout(&o);
    assert!(
        said.contains("2 of 3 targets tuned (mace), 1 beyond reach"),
        "{said}"
    );
    assert!(said.contains(&format!("written to {out_s}")), "{said}");

    let summary = json(&out.join("summary.json"));
    assert_eq!(summary["scene"], "wall");
    assert_eq!(summary["config"]["tune"]["iterations"], 12);
    let s = &summary["summary"];
    assert_eq!(
        (s["targets"].as_u64(), s["tuned"].as_u64()),
        (Some(3), Some(2))
    );
    assert_eq!(
        (s["seed"].as_u64(), s["eval_seed"].as_u64()),
        (Some(5), Some(6))
    );
    for key in [
        "wall_s",
        "time_per_target_s",
        "targets_per_s",
        "mean_success",
    ] {
        assert!(s[key].as_f64().is_some(), "{key}: {s}");
    }
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(out.join("targets.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[1]["status"], "unreachable");
    assert!(lines[1]["eval"].is_null() && lines[1]["posterior"].is_null());
    for (i, seed) in [(0, 5), (2, 7)] {
        assert_eq!(lines[i]["status"], "tuned");
        assert_eq!(lines[i]["seed"], seed);
        assert_eq!(lines[i]["eval"]["samples"], 100);
        let folder = format!("target_{i:04}");
        assert_eq!(lines[i]["posterior"], folder.as_str());
        for f in ["config.json", "weights.safetensors"] {
            assert!(out.join(&folder).join(f).is_file(), "{folder}/{f}");
        }
    }
    assert!(!out.join("target_0001").exists());

    // A target's folder is a posterior: a warm start reads it.
    let warm = dir.join("warm");
    let o = mace(&[
        "ik",
        "tune",
        "--scene",
        "wall",
        "--target",
        "0.5642627",
        "0.138668",
        "0.62439907",
        "--warm-from",
        out.join("target_0000").to_str().unwrap(),
        "--iterations",
        "4",
        "--eval-samples",
        "50",
        "--no-pictures",
        "-q",
        "--out",
        warm.to_str().unwrap(),
    ]);
    assert!(warm.join("report.json").is_file(), "{}", stderr(&o));

    // The used folder is refused without --force.
    let e = refused(&args, &dir);
    assert!(e.contains("out") && e.contains("--force"), "{e}");
}

#[test]
fn bad_batches_are_refused_in_one_line() {
    let dir = temp_dir("tune-batch-bad");
    let write = |name: &str, text: &str| {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_string()
    };
    let empty_json = write("empty.json", "[]");
    let empty_lines = write("empty.jsonl", "\n\n");
    let far = write("far.jsonl", "[3.0, 0.0, 0.5]\n[0.0, 3.0, 0.5]\n");
    let near = write("near.jsonl", "[0.5642627, 0.138668, 0.62439907]\n");
    let out = dir.join("out");
    let out = out.to_str().unwrap();
    let tune = |file: &str, extra: &[&str]| -> Vec<String> {
        let mut a: Vec<String> = [
            "ik",
            "tune",
            "--scene",
            "wall",
            "--targets",
            file,
            "--out",
            out,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let cases: [(Vec<String>, &str); 4] = [
        (tune(&empty_json, &[]), "no targets"),
        (tune(&empty_lines, &[]), "no targets"),
        (tune(&far, &[]), "within the arm's reach"),
        (
            tune(&near, &["--target", "0.5", "0", "0.6"]),
            "cannot be used with",
        ),
    ];
    for (args, want) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let e = refused(&args, &dir);
        assert!(e.contains(want), "{args:?}: {e}");
    }
    assert!(!std::path::Path::new(out).exists());
}
