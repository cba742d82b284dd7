//! The shipped robots against PyBullet 3.2.7 (`tools/reference.py`): every link frame of 200
//! random configurations, and collision labels and distances of 2000 random configurations in
//! the cell scene, which holds every obstacle kind (box, sphere, capsule, cylinder, convex mesh,
//! a shelf's surface, a point cloud).

use std::path::Path;

use mace_robot::{CollisionModel, Robot, Scene};
use serde_json::Value;

fn data(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn q_of(s: &Value) -> Vec<f32> {
    s["q"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap() as f32)
        .collect()
}

fn cell() -> Scene {
    Scene::from_toml_file(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/scenes/cell.toml"),
    )
    .unwrap()
}

#[test]
fn forward_kinematics_match_pybullet_on_every_link() {
    for name in ["iiwa14", "xarm6"] {
        let robot = Robot::builtin(name).unwrap();
        let chain = &robot.chain;
        let doc = data(&format!("{name}_fk.json"));
        let mut worst = 0.0f32;
        let mut links = 0;
        for s in doc["samples"].as_array().unwrap() {
            let q = q_of(s);
            let poses = chain.forward_kinematics(&q).unwrap();
            for (l, link) in chain.links().iter().enumerate() {
                let Some(frame) = s["links"].get(&link.name) else {
                    continue;
                };
                links += 1;
                let p: Vec<f32> = frame["pos"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_f64().unwrap() as f32)
                    .collect();
                for k in 0..3 {
                    worst = worst.max((poses[l].trans[k] - p[k]).abs());
                }
            }
        }
        eprintln!("{name}: {links} link frames, largest position difference {worst:.2e} m");
        assert!(
            links >= 200 * (chain.dof() + 1),
            "{name}: {links} link frames compared"
        );
        assert!(
            worst < 1e-5,
            "{name}: largest link position difference {worst} m"
        );
    }
}

/// The cell scene's labels: at least 99.5% agree and every disagreement lies within 1 mm of
/// contact (a signed distance of either engine); obstacle and ground distances within 1 mm
/// wherever PyBullet's lies in [−5 mm, 10 cm] (deeper penetrations are measured differently:
/// Bullet takes a mesh's deepest triangle contact), self distances near contact (a pair we
/// prove can never meet is not checked, so its distance is not ours to report).
fn agree(name: &str) -> f64 {
    let robot = Robot::builtin(name).unwrap();
    let model = CollisionModel::new(&robot.chain, &cell());
    let doc = data(&format!("{name}_cell.json"));
    let samples = doc["samples"].as_array().unwrap();
    let (mut same, mut far_disagreements) = (0, Vec::new());
    let mut worst = (0.0f32, String::new());
    for (i, s) in samples.iter().enumerate() {
        let q = q_of(s);
        let poses = robot.chain.forward_kinematics(&q).unwrap();
        let flags = model.check(&poses);
        let d = model.distances(&poses);
        let theirs = |k: &str| s[k].as_f64().map_or(f32::INFINITY, |v| v as f32);
        let (o, g, sd) = (
            theirs("min_dist_obstacles"),
            theirs("min_dist_ground"),
            theirs("min_dist_self"),
        );
        let mine = [d.obstacle_distance, d.ground_distance, d.self_distance];
        for (kind, a, b, hi) in [
            ("obstacle", mine[0], o, 0.1),
            ("ground", mine[1], g, 0.1),
            ("self", mine[2], sd, 0.005),
        ] {
            if (-0.005..hi).contains(&b) && (a - b).abs() > worst.0 {
                worst = (
                    (a - b).abs(),
                    format!("sample {i} {kind}: ours {a}, PyBullet {b}"),
                );
            }
        }
        let collides = s["collides"].as_bool().unwrap();
        if flags.any() == collides {
            same += 1;
        } else {
            let near = [o, g, sd]
                .into_iter()
                .chain(mine)
                .map(f32::abs)
                .fold(f32::INFINITY, f32::min);
            if near > 1e-3 {
                far_disagreements.push(format!("sample {i}: ours {flags:?}, PyBullet collides {collides}, distances ours {mine:?} theirs {:?}", [o, g, sd]));
            }
        }
    }
    let rate = same as f64 / samples.len() as f64;
    eprintln!(
        "{name}: labels agree on {same}/{}; largest distance difference near contact {:.2e} m ({})",
        samples.len(),
        worst.0,
        worst.1
    );
    assert!(rate >= 0.995, "{name}: labels agree on {rate:.4}");
    assert!(
        far_disagreements.is_empty(),
        "{name}: {far_disagreements:#?}"
    );
    assert!(worst.0 < 1e-3, "{name}: {}", worst.1);
    rate
}

#[test]
fn panda_collision_matches_pybullet_in_a_cell_of_every_obstacle_kind() {
    agree("panda");
}

#[test]
fn iiwa14_collision_matches_pybullet_in_a_cell_of_every_obstacle_kind() {
    agree("iiwa14");
}

#[test]
fn xarm6_collision_matches_pybullet_in_a_cell_of_every_obstacle_kind() {
    agree("xarm6");
}
