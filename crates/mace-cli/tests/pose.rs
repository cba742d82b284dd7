//! Pose targets through `mace ik solve`: a reachable orientation is met within the tolerances
//! by every method that refines (quaternion, roll-pitch-yaw, free axis, scene TOML), and bad
//! orientations and tolerances are refused in one line.

mod common;

use std::process::Output;

use common::{mace, stderr, temp_dir};

fn json(o: &Output) -> serde_json::Value {
    assert!(o.status.success(), "{}", stderr(o));
    serde_json::from_slice(&o.stdout).expect("JSON on stdout")
}

fn floats(v: &serde_json::Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

/// The tool frame of a collision-free answer for the box scene's target: a reachable pose.
fn reachable_pose() -> (Vec<f64>, Vec<f64>) {
    let o = mace(&[
        "ik", "solve", "--scene", "box", "--seed", "3", "--json", "-",
    ]);
    let r = &json(&o)["reports"][0];
    (floats(&r["tcp"]), floats(&r["tcp_quaternion"]))
}

fn strs(v: &[f64]) -> Vec<String> {
    v.iter().map(|x| format!("{x}")).collect()
}

#[test]
fn a_reachable_orientation_is_met_within_the_tolerances() {
    let (p, q) = reachable_pose();
    let (p, q) = (strs(&p), strs(&q));
    for method in ["numeric", "hybrid"] {
        let mut args = vec![
            "ik", "solve", "--scene", "box", "--method", method, "--target",
        ];
        args.extend(p.iter().map(String::as_str));
        args.push("--orientation");
        args.extend(q.iter().map(String::as_str));
        args.extend(["--trials", "3", "--json", "-"]);
        let out = json(&mace(&args));
        assert_eq!(out["summary"]["solved"], 3, "{method}: {out}");
        assert!((out["rot_tol_deg"].as_f64().unwrap() - 0.1).abs() < 1e-6);
        for r in out["reports"].as_array().unwrap() {
            assert!(r["error"].as_f64().unwrap() <= 1e-4);
            assert!(
                r["rotation_error_deg"].as_f64().unwrap() <= 0.1 + 1e-6,
                "{r}"
            );
            assert!(r["collision_free"].as_bool().unwrap());
        }
    }
}

#[test]
fn rpy_free_axis_and_scene_toml_give_pose_targets() {
    let (p, q) = reachable_pose();
    // The same orientation spun 90° about the tool z axis, z free: still solved, and the
    // answer's tool z axis matches the target's.
    let dir = temp_dir("pose-toml");
    let scene = dir.join("box_pose.toml");
    let boxed = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/scenes/box.toml"),
    )
    .unwrap()
    .replace(
        "target = [0.5, -0.1, 0.10250000000000001]",
        &format!(
            "target = [{}, {}, {}]\ntarget_orientation = [{}, {}, {}, {}]\ntarget_free_axis = \"z\"",
            p[0], p[1], p[2], q[0], q[1], q[2], q[3]
        ),
    );
    std::fs::write(&scene, boxed).unwrap();
    let out = json(&mace(&[
        "ik",
        "solve",
        "--scene",
        scene.to_str().unwrap(),
        "--method",
        "numeric",
        "--json",
        "-",
    ]));
    assert_eq!(out["free_axis"], "z");
    assert_eq!(out["summary"]["solved"], 1, "{out}");
    // Roll-pitch-yaw: a hand pointing straight down (π about x) in free space near the box.
    let out = json(&mace(&[
        "ik",
        "solve",
        "--scene",
        "box",
        "--method",
        "numeric",
        "--target",
        "0.4",
        "0.3",
        "0.4",
        "--rpy",
        "3.14159265",
        "0",
        "0",
        "--rot-tol",
        "0.5",
        "--pos-tol",
        "0.001",
        "--json",
        "-",
    ]));
    assert_eq!(out["summary"]["solved"], 1, "{out}");
    let r = &out["reports"][0];
    assert!(r["rotation_error_deg"].as_f64().unwrap() <= 0.5);
    assert!(r["error"].as_f64().unwrap() <= 1e-3);
}

#[test]
fn bad_orientations_and_tolerances_are_refused_in_one_line() {
    let base = ["ik", "solve", "--scene", "box", "--method", "numeric"];
    let cases: &[(&[&str], &str)] = &[
        (
            &["--orientation", "0", "0", "0", "0"],
            "not a unit quaternion",
        ),
        (
            &["--orientation", "0", "0", "0.5", "0.5"],
            "not a unit quaternion",
        ),
        (&["--orientation", "0", "0", "1"], "four values"),
        (&["--orientation", "NaN", "0", "0", "1"], "not finite"),
        (&["--rpy", "0", "NaN", "0"], "not finite"),
        (
            &["--rpy", "0", "0", "0", "--orientation", "0", "0", "0", "1"],
            "not both",
        ),
        (&["--free-axis", "z"], "give the orientation too"),
        (&["--free-axis", "q", "--rpy", "0", "0", "0"], "--free-axis"),
        (&["--pos-tol", "0", "--rpy", "0", "0", "0"], "--pos-tol"),
        (&["--rot-tol", "-1", "--rpy", "0", "0", "0"], "--rot-tol"),
        (&["--rot-tol", "NaN", "--rpy", "0", "0", "0"], "--rot-tol"),
        (
            &["--target", "3", "0", "0.5", "--rpy", "0", "0", "0"],
            "unreachable",
        ),
    ];
    for (extra, want) in cases {
        let mut args: Vec<&str> = base.to_vec();
        args.extend_from_slice(extra);
        let o = mace(&args);
        let e = stderr(&o);
        assert!(!o.status.success(), "{extra:?} succeeded");
        assert!(e.contains(want), "{extra:?}: {e}");
        assert_eq!(e.trim().lines().count(), 1, "{extra:?}: {e}");
    }
}
