//! Agreement of our collision model with the reference (convex hulls of the Panda's collision
//! meshes plus a 1 mm margin, PyBullet 3.2.7): the same solids, so every label must agree except
//! within [`CONTACT`] of contact, where the two engines' GJK tolerances may differ.

use mace_robot::{CollisionModel, KinematicChain, Scene};
use rand::{rngs::StdRng, SeedableRng};

use crate::data::{configs, load};

/// Reference signed distances within this of 0 (metres) may be labelled either way.
const CONTACT: f64 = 1e-4;

/// Compares our flags with the reference labels; returns the number of samples and of
/// disagreements, and fails on a disagreement farther than [`CONTACT`] from contact.
fn compare(
    what: &str,
    model: &CollisionModel,
    samples: &[serde_json::Value],
    label: impl Fn(&serde_json::Value) -> bool,
    dist: impl Fn(&serde_json::Value) -> f64,
    ours: impl Fn(&mace_robot::CollisionFlags) -> bool,
) -> (usize, usize) {
    let q: Vec<f32> = configs(samples);
    let flags = model.check_batch(&q).unwrap();
    let mut disagree = 0;
    for (i, (s, f)) in samples.iter().zip(&flags).enumerate() {
        if label(s) != ours(f) {
            disagree += 1;
            assert!(
                dist(s).abs() < CONTACT,
                "{what}: sample {i} labelled {} by the reference (signed distance {} m), {} by us",
                label(s),
                dist(s),
                ours(f)
            );
        }
    }
    println!(
        "{what}: {} samples, {disagree} disagreements",
        samples.len()
    );
    (samples.len(), disagree)
}

#[test]
fn self_collision_agrees_with_reference() {
    let chain = KinematicChain::panda();
    let model = CollisionModel::new(&chain, &Scene::empty([0.0; 3]));
    let d = load("panda_self_collision.json");
    let samples = d["samples"].as_array().unwrap();
    compare(
        "self",
        &model,
        samples,
        |s| s["self_collision"].as_bool().unwrap(),
        |s| s["min_self_distance"].as_f64().unwrap(),
        |f| f.self_collision,
    );
}

fn scene_agrees(name: &str) {
    let chain = KinematicChain::panda();
    let model = CollisionModel::new(&chain, &Scene::by_name(name).unwrap());
    let d = load(&format!("panda_scene_{name}.json"));
    let samples = d["samples"].as_array().unwrap();
    // The label is decided by the most negative (or smallest) of the three signed distances.
    compare(
        name,
        &model,
        samples,
        |s| s["collides"].as_bool().unwrap(),
        |s| {
            ["min_dist_self", "min_dist_obstacles", "min_dist_ground"]
                .iter()
                .map(|k| s[*k].as_f64().unwrap())
                .fold(f64::INFINITY, f64::min)
        },
        |f| f.any(),
    );
    for (kind, key, dkey) in [
        ("self", "self_collision", "min_dist_self"),
        ("obstacle", "obstacle_collision", "min_dist_obstacles"),
        ("ground", "ground_collision", "min_dist_ground"),
    ] {
        compare(
            &format!("  {name} {kind}"),
            &model,
            samples,
            |s| s[key].as_bool().unwrap(),
            |s| s[dkey].as_f64().unwrap(),
            |f| match kind {
                "self" => f.self_collision,
                "obstacle" => f.obstacle_collision,
                _ => f.ground_collision,
            },
        );
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

/// Colliding fractions of 200 000 uniformly random configurations within ±2 points of the
/// reference's (from its 3000 samples: standard error up to 0.9 points).
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
    assert!((f - 0.164).abs() <= 0.02, "self {f}");
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
        assert!((f - reference).abs() <= 0.02, "{name} {f}");
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
            // Away from the boundary (GJK and golden-section tolerances), flags equal the
            // distance signs.
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

/// Signed distances equal the reference's: the same hulls and margin, so only GJK tolerances
/// differ. Obstacle distances may be smaller than the reference's near a box edge: Bullet rounds
/// a box's edges by its margin (0.1 × the smallest half extent, at most 4 cm), we keep them sharp.
/// Penetrations deeper than 5 mm only need the sign: the depth estimates of two EPAs differ there
/// (up to 3 cm for links 8–14 cm inside the wall), and no decision depends on them.
#[test]
fn distances_match_reference() {
    let chain = KinematicChain::panda();
    for name in ["wall", "window", "box"] {
        let model = CollisionModel::new(&chain, &Scene::by_name(name).unwrap());
        let d = load(&format!("panda_scene_{name}.json"));
        let samples = d["samples"].as_array().unwrap();
        let q: Vec<f32> = configs(samples);
        let ours = model.distances_batch(&q).unwrap();
        let (mut self_err, mut ground_err, mut above, mut below) = (0f64, 0f64, 0f64, 0f64);
        for (s, o) in samples.iter().zip(&ours) {
            let r = |k: &str| s[k].as_f64().unwrap();
            self_err = self_err.max((o.self_distance as f64 - r("min_dist_self")).abs());
            ground_err = ground_err.max((o.ground_distance as f64 - r("min_dist_ground")).abs());
            let reference = r("min_dist_obstacles");
            assert_eq!(
                o.obstacle_distance < 0.0,
                reference < 0.0,
                "{name}: {o:?} {reference}"
            );
            if reference > -0.005 {
                let diff = o.obstacle_distance as f64 - reference;
                above = above.max(diff);
                below = below.max(-diff);
            }
        }
        println!(
            "{name}: max |error| self {:.1} µm, ground {:.1} µm; obstacles (reference > −5 mm) \
             ours − reference in [−{:.1}, {:.1}] µm",
            self_err * 1e6,
            ground_err * 1e6,
            below * 1e6,
            above * 1e6
        );
        assert!(self_err < 1e-4 && ground_err < 1e-4, "{name}");
        assert!(
            above < 1e-4,
            "{name}: obstacle distance above the reference's by {above}"
        );
    }
}

/// Out of contact, the closest contact's distance is the smallest of the three minima, and its
/// gradient matches finite differences of that minimum (except where the closest pair switches
/// within the step). In contact, it is negative too (with a box, a covering capsule's depth).
#[test]
fn closest_contact_distance_and_gradient() {
    let chain = KinematicChain::panda();
    let model = CollisionModel::new(&chain, &Scene::by_name("box").unwrap());
    let q = chain.sample_uniform(400, &mut StdRng::seed_from_u64(8));
    let mut s = model.scratch();
    let mut poses = vec![mace_robot::Pose::IDENTITY; chain.links().len()];
    let min_of = |d: mace_robot::Distances| {
        d.self_distance
            .min(d.obstacle_distance)
            .min(d.ground_distance)
    };
    let (mut checked, mut agree, mut deeper) = (0, 0, 0);
    for row in q.chunks_exact(7) {
        chain.link_poses_into(row, &mut poses);
        let d = min_of(model.distances_with(&poses, &mut s));
        let c = model
            .closest_contact(&poses, &mut s, f32::INFINITY)
            .unwrap();
        if d < 0.0 {
            assert!(c.distance < 0.0, "{} vs {d}", c.distance);
            deeper += usize::from(c.distance < d - 1e-5);
            continue;
        }
        assert!((c.distance - d).abs() < 1e-5, "{} vs {d}", c.distance);
        assert!(model.closest_contact(&poses, &mut s, d - 1e-4).is_none());
        let n = c.normal;
        assert!(((n[0] * n[0] + n[1] * n[1] + n[2] * n[2]).sqrt() - 1.0).abs() < 1e-4);
        let g = c.gradient(&chain, &poses);
        for j in 0..7 {
            let h = 1e-4f32;
            let mut qh = row.to_vec();
            qh[j] += h;
            chain.link_poses_into(&qh, &mut poses);
            let fd = (min_of(model.distances_with(&poses, &mut s)) - d) / h;
            chain.link_poses_into(row, &mut poses);
            checked += 1;
            agree += usize::from((fd - g[j]).abs() < 0.02 + 0.05 * g[j].abs());
        }
    }
    println!(
        "closest-contact gradient within tolerance of finite differences: {agree}/{checked}; \
         {deeper} contacts measured deeper by their covering capsule"
    );
    assert!(checked >= 7 * 100, "{checked}");
    assert!(agree as f64 >= 0.95 * checked as f64, "{agree}/{checked}");
}
