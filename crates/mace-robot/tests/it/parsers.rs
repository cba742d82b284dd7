//! Property tests of every parser of the robot crate: URDF, scene TOML, robot TOML,
//! configuration JSON, dataset safetensors. Valid files mutated at random (bytes deleted,
//! inserted, replaced by hostile tokens, the end cut off) and arbitrary bytes must give a value
//! or a one-line error, never a panic or a hang. `PROPTEST_CASES=1000000` for a long run (the
//! default keeps `cargo test` quick).

use mace_robot::robot::{check_robot_toml, BUILTIN_ROBOTS};
use mace_robot::{Dataset, DatasetConfig, KinematicChain, Scene};
use proptest::prelude::*;

/// Cases per property: `PROPTEST_CASES` if set, else `default`.
fn config(default: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Tokens a hostile file is made of.
const TOKENS: &[&str] = &[
    "nan",
    "inf",
    "-inf",
    "-1",
    "0",
    "1e39",
    "-1e39",
    "99999999999999999999",
    "\"",
    "'",
    "<",
    ">",
    "/>",
    "</",
    "[",
    "]",
    "{",
    "}",
    "=",
    ",",
    "\n",
    "\0",
    "é",
    "🦀",
    "[[",
    "]]",
    "#",
    "0.0.0",
    "true",
    "null",
    "-0",
    "1e-45",
];

/// One edit of a text: (position fraction, what to do, a token, a length).
fn edits() -> impl Strategy<Value = Vec<(f64, u8, usize, usize)>> {
    prop::collection::vec((0.0..1.0f64, 0u8..4, 0..TOKENS.len(), 1usize..40), 1..6)
}

/// `seed` with `edits` applied (byte positions snapped to character boundaries).
fn mutate(seed: &str, edits: &[(f64, u8, usize, usize)]) -> String {
    let mut s = seed.to_string();
    for &(at, op, token, len) in edits {
        let mut i = ((s.len() as f64) * at) as usize;
        while !s.is_char_boundary(i) {
            i -= 1;
        }
        let mut j = (i + len).min(s.len());
        while !s.is_char_boundary(j) {
            j -= 1;
        }
        match op {
            0 => s.replace_range(i..j, ""),
            1 => s.insert_str(i, TOKENS[token]),
            2 => s.replace_range(i..j, TOKENS[token]),
            _ => s.truncate(i),
        }
    }
    s
}

/// An error message must be one line.
fn one_line<T, E: std::fmt::Display>(r: &Result<T, E>) -> Result<(), TestCaseError> {
    if let Err(e) = r {
        let m = e.to_string();
        prop_assert!(!m.contains('\n'), "two lines: {}", m);
    }
    Ok(())
}

fn panda_urdf() -> &'static str {
    BUILTIN_ROBOTS
        .iter()
        .find(|b| b.name == "panda")
        .unwrap()
        .urdf
}

const SCENE: &str = r#"name = "cell"
target = [0.5, 0.0, 0.5]
ground = true
[[boxes]]
center = [0.45, -0.45, 0.25]
size = [0.2, 0.1, 0.5]
rpy = [0.0, 0.0, 0.4]
[[spheres]]
center = [0.35, 0.35, 0.55]
radius = 0.08
[[capsules]]
center = [-0.35, 0.3, 0.45]
radius = 0.05
length = 0.5
quat_xyzw = [0.0, 0.0, 0.0, 1.0]
[[cylinders]]
center = [-0.3, -0.4, 0.35]
radius = 0.06
length = 0.7
"#;

const ROBOT: &str = r#"urdf = "arm.urdf"
base = "base_link"
tip = "tool0"
tcp = [0.0, 0.0, 0.15]
srdf = "arm.srdf"
ignore_pairs = [["a", "b"], ["c", "d"]]
package_paths = ["../ws/src"]
name = "arm"
"#;

const CONFIGS: &str = r#"{"samples": [{"q": [0.1, -0.2, 0.3, -1.5, 0.0, 1.2, 0.7]},
 {"q": [0, 0, 0, -1, 0, 1, 0]}], "prior": [[0, 0, 0, -1, 0, 1, 0]],
 "posterior": [[0.5, 0.1, 0, -2, 0, 2, 0]]}"#;

proptest! {
    #![proptest_config(config(300))]

    #[test]
    fn urdf_text(e in edits()) {
        let text = mutate(panda_urdf(), &e);
        let r = KinematicChain::from_urdf_str(&text, "panda_link0", "panda_hand");
        one_line(&r)?;
        one_line(&mace_robot::urdf::default_ends(&text, "<fuzz>"))?;
    }

    #[test]
    fn urdf_bytes(b in prop::collection::vec(any::<u8>(), 0..400)) {
        let text = String::from_utf8_lossy(&b);
        let _ = KinematicChain::from_urdf_str(&text, "a", "b");
        let _ = mace_robot::urdf::default_ends(&text, "<fuzz>");
    }

    #[test]
    fn scene_toml(e in edits()) {
        let r = Scene::from_toml_str(&mutate(SCENE, &e));
        one_line(&r)?;
        if let Ok(s) = r {
            // Whatever parses is finite and positive where it must be.
            for b in &s.boxes {
                prop_assert!(b.size.iter().all(|v| v.is_finite() && *v > 0.0));
            }
            prop_assert!(s.target.iter().all(|v| v.is_finite()));
        }
    }

    #[test]
    fn robot_toml(e in edits()) {
        one_line(&check_robot_toml(&mutate(ROBOT, &e), "<fuzz>"))?;
    }

    #[test]
    fn configuration_json(e in edits(), dof in 1usize..9) {
        let text = mutate(CONFIGS, &e);
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) {
            let r = mace_robot::config_file::parse_configs(&v, dof);
            one_line(&r)?;
            if let Ok(q) = r {
                prop_assert!(q.len() % dof == 0 && !q.is_empty());
                prop_assert!(q.iter().all(|x| x.is_finite()));
            }
        }
    }

    #[test]
    fn dataset_bytes(e in prop::collection::vec((0.0..1.0f64, any::<u8>()), 0..8), cut in 0.0..1.0f64) {
        let mut b = dataset_file().clone();
        for (at, byte) in e {
            let last = b.len() - 1;
            b[(((last + 1) as f64) * at) as usize % (last + 1)] = byte;
        }
        if cut < 0.2 {
            b.truncate(((b.len() as f64) * cut * 5.0) as usize);
        }
        let r = Dataset::from_safetensors_bytes(&b);
        one_line(&r)?;
        if let Ok(d) = r {
            prop_assert!(!d.is_empty() && d.q.len() == d.len() * d.dof);
            prop_assert!(d.q.iter().chain(&d.tcp).all(|v| v.is_finite()));
        }
    }
}

/// The bytes of a small dataset file of the Panda.
fn dataset_file() -> &'static Vec<u8> {
    static FILE: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    FILE.get_or_init(|| {
        let chain = KinematicChain::panda();
        let d = Dataset::generate(&chain, &DatasetConfig { n: 8, seed: 0 }).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("d.safetensors");
        d.save_safetensors(&chain, &p, false).unwrap();
        std::fs::read(p).unwrap()
    })
}
