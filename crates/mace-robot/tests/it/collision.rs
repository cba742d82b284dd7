//! Agreement of our capsule model with the reference (convex hulls of the Panda's collision meshes
//! plus a ~1 mm margin, PyBullet 3.2.7).
//!
//! The capsules in `assets/robots/panda.urdf` were fitted (`examples/fit_collision.rs`) on the
//! EVEN-indexed samples of these files; the bars below are measured on the ODD-indexed samples
//! (held out). Agreement on all samples (both halves, near-contact included) is printed too.

use mace_robot::{CollisionModel, KinematicChain, Scene};
use rand::{rngs::StdRng, SeedableRng};

use crate::data::{f64s, load};

struct Stats {
    far: usize,
    far_agree: usize,
    far_missed: usize,
    all: usize,
    all_agree: usize,
}

impl Stats {
    fn report(&self, what: &str) -> (f64, f64) {
        let agree = self.far_agree as f64 / self.far as f64;
        let missed = self.far_missed as f64 / self.far as f64;
        println!(
            "{what}: far (|d| > 3 mm) {} samples: agreement {:.4}, missed {:.4}; all {} samples: agreement {:.4}",
            self.far,
            agree,
            missed,
            self.all,
            self.all_agree as f64 / self.all as f64
        );
        (agree, missed)
    }
}

/// Compares `ours` with the reference label `theirs` for `samples` filtered by `keep(index)`;
/// `dist(sample)` is the reference's smallest |signed distance| that decides the label.
fn compare(
    model: &CollisionModel,
    samples: &[serde_json::Value],
    keep: impl Fn(usize) -> bool,
    label: impl Fn(&serde_json::Value) -> bool,
    dist: impl Fn(&serde_json::Value) -> f64,
    ours: impl Fn(&mace_robot::CollisionFlags) -> bool,
) -> Stats {
    let chosen: Vec<&serde_json::Value> = samples
        .iter()
        .enumerate()
        .filter(|(i, _)| keep(*i))
        .map(|(_, s)| s)
        .collect();
    let q: Vec<f32> = chosen
        .iter()
        .flat_map(|s| f64s(&s["q"]))
        .map(|v| v as f32)
        .collect();
    let flags = model.check_batch(&q).unwrap();
    let mut st = Stats {
        far: 0,
        far_agree: 0,
        far_missed: 0,
        all: 0,
        all_agree: 0,
    };
    for (s, f) in chosen.iter().zip(&flags) {
        let (r, o) = (label(s), ours(f));
        st.all += 1;
        st.all_agree += (r == o) as usize;
        if dist(s).abs() > 0.003 {
            st.far += 1;
            st.far_agree += (r == o) as usize;
            st.far_missed += (r && !o) as usize;
        }
    }
    st
}

fn odd(i: usize) -> bool {
    i % 2 == 1
}

#[test]
fn self_collision_agrees_with_reference() {
    let chain = KinematicChain::panda();
    let model = CollisionModel::new(&chain, &Scene::empty([0.0; 3]));
    let d = load("panda_self_collision.json");
    let samples = d["samples"].as_array().unwrap();
    let label = |s: &serde_json::Value| s["self_collision"].as_bool().unwrap();
    let dist = |s: &serde_json::Value| s["min_self_distance"].as_f64().unwrap();
    let ours = |f: &mace_robot::CollisionFlags| f.self_collision;
    compare(&model, samples, |_| true, label, dist, ours).report("self (all 500)");
    let (agree, missed) =
        compare(&model, samples, odd, label, dist, ours).report("self (held-out odd half)");
    assert!(agree >= 0.97, "self-collision agreement {agree}");
    assert!(missed <= 0.005, "self-collision missed {missed}");
}

fn scene_agrees(name: &str) {
    let chain = KinematicChain::panda();
    let model = CollisionModel::new(&chain, &Scene::by_name(name).unwrap());
    let d = load(&format!("panda_scene_{name}.json"));
    let samples = d["samples"].as_array().unwrap();
    let label = |s: &serde_json::Value| s["collides"].as_bool().unwrap();
    // The label is decided by the most negative (or smallest) of the three signed distances.
    let dist = |s: &serde_json::Value| {
        ["min_dist_self", "min_dist_obstacles", "min_dist_ground"]
            .iter()
            .map(|k| s[*k].as_f64().unwrap())
            .fold(f64::INFINITY, f64::min)
    };
    let ours = |f: &mace_robot::CollisionFlags| f.any();
    compare(&model, samples, |_| true, label, dist, ours).report(&format!("{name} (all 1000)"));
    let (agree, missed) = compare(&model, samples, odd, label, dist, ours)
        .report(&format!("{name} (held-out odd half)"));
    assert!(agree >= 0.97, "{name} agreement {agree}");
    assert!(missed <= 0.005, "{name} missed {missed}");
    // Per kind, for the record.
    for (kind, key, dkey) in [
        ("self", "self_collision", "min_dist_self"),
        ("obstacle", "obstacle_collision", "min_dist_obstacles"),
        ("ground", "ground_collision", "min_dist_ground"),
    ] {
        let st = compare(
            &model,
            samples,
            odd,
            |s| s[key].as_bool().unwrap(),
            |s| s[dkey].as_f64().unwrap(),
            |f| match kind {
                "self" => f.self_collision,
                "obstacle" => f.obstacle_collision,
                _ => f.ground_collision,
            },
        );
        st.report(&format!("  {name} {kind} (held-out)"));
    }
}

#[test]
fn wall_agrees_with_reference() {
    scene_agrees("wall");
}

#[test]
fn window_agrees_with_reference() {
    scene_agrees("window");
}

#[test]
fn box_agrees_with_reference() {
    scene_agrees("box");
}

/// Colliding fractions of uniformly random configurations within ±3 points of the reference's.
#[test]
fn random_colliding_fractions_match_reference() {
    let chain = KinematicChain::panda();
    let q = chain.sample_uniform(200_000, &mut StdRng::seed_from_u64(3));
    let n = 200_000.0;
    let model = CollisionModel::new(&chain, &Scene::empty([0.0; 3]));
    let f = model
        .collides_batch(&q)
        .unwrap()
        .iter()
        .filter(|&&c| c)
        .count() as f64
        / n;
    println!("random self-collision fraction {f:.4} (reference 0.164)");
    assert!((f - 0.164).abs() <= 0.03, "self {f}");
    for (name, reference) in [("box", 0.259), ("wall", 0.458), ("window", 0.367)] {
        let model = CollisionModel::new(&chain, &Scene::by_name(name).unwrap());
        let f = model
            .collides_batch(&q)
            .unwrap()
            .iter()
            .filter(|&&c| c)
            .count() as f64
            / n;
        println!("random {name} colliding fraction {f:.4} (reference {reference})");
        assert!((f - reference).abs() <= 0.03, "{name} {f}");
    }
}

/// The boolean paths agree with the signed distances on random configurations.
#[test]
fn boolean_paths_match_distances() {
    let chain = KinematicChain::panda();
    let q = chain.sample_uniform(20_000, &mut StdRng::seed_from_u64(5));
    for name in ["wall", "window", "box"] {
        let model = CollisionModel::new(&chain, &Scene::by_name(name).unwrap());
        let flags = model.check_batch(&q).unwrap();
        let any = model.collides_batch(&q).unwrap();
        let dist = model.distances_batch(&q).unwrap();
        for i in 0..flags.len() {
            let d = dist[i];
            assert_eq!(flags[i].any(), any[i], "{name} sample {i}");
            // Away from the boundary (golden-section tolerance), flags equal the distance signs.
            if d.self_distance.abs() > 1e-5 {
                assert_eq!(
                    flags[i].self_collision,
                    d.self_distance < 0.0,
                    "{name} {i} self {d:?}"
                );
            }
            if d.obstacle_distance.abs() > 1e-5 {
                assert_eq!(
                    flags[i].obstacle_collision,
                    d.obstacle_distance < 0.0,
                    "{name} {i} obstacle {d:?}"
                );
            }
            if d.ground_distance.abs() > 1e-5 {
                assert_eq!(
                    flags[i].ground_collision,
                    d.ground_distance < 0.0,
                    "{name} {i} ground {d:?}"
                );
            }
        }
    }
}

#[test]
fn for_scene_matches_a_fresh_model() {
    let chain = KinematicChain::panda();
    let base = CollisionModel::new(&chain, &Scene::empty([0.5, 0.0, 0.5]));
    let q = chain.sample_uniform(2000, &mut StdRng::seed_from_u64(3));
    for name in ["wall", "window", "box"] {
        let scene = Scene::by_name(name).unwrap();
        let fresh = CollisionModel::new(&chain, &scene);
        let reused = base.for_scene(&scene);
        assert_eq!(
            fresh.check_batch(&q).unwrap(),
            reused.check_batch(&q).unwrap(),
            "{name}"
        );
    }
}

#[test]
fn inflated_scene_keeps_the_margin() {
    let chain = KinematicChain::panda();
    let wall = Scene::by_name("wall").unwrap();
    let margin = 0.01;
    let model = CollisionModel::new(&chain, &wall);
    let inflated = model.for_scene(&wall.inflated(margin));
    let q = chain.sample_uniform(4000, &mut StdRng::seed_from_u64(4));
    let distances = model.distances_batch(&q).unwrap();
    let plain = model.check_batch(&q).unwrap();
    let grown = inflated.check_batch(&q).unwrap();
    let (mut near, mut caught) = (0, 0);
    for ((d, p), g) in distances.iter().zip(&plain).zip(&grown) {
        // Inflating only adds obstacle contacts.
        assert!(!p.obstacle_collision || g.obstacle_collision);
        // A configuration free of the true boxes but within half the margin of one is caught.
        if !p.obstacle_collision && d.obstacle_distance < 0.5 * margin {
            near += 1;
            caught += usize::from(g.obstacle_collision);
        }
        // One clear of the true boxes by more than the margin (plus the boxes' corner rounding,
        // at most (√3 − 1)·margin) stays free.
        if d.obstacle_distance > 1.8 * margin {
            assert!(!g.obstacle_collision, "{d:?}");
        }
    }
    assert!(near > 10, "{near}");
    assert_eq!(caught, near);
}
