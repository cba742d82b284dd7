//! Unit tests of the collision model: the Panda at home, distance tables, a box around a link.

use super::*;

#[test]
fn panda_home_is_free_and_pairs_match_reference() {
    let chain = KinematicChain::panda();
    let model = CollisionModel::new(&chain, &Scene::empty([0.0; 3]));
    // 45 non-adjacent pairs as in the reference, less the 3 rigid ones (link7 and the two
    // fixed fingers), which never move relative to each other and do not touch.
    let names = model.self_pair_names();
    assert!(names.len() <= 42, "{names:?}");
    let all = CollisionModel {
        self_pairs: Vec::new(),
        ..model.clone()
    };
    assert!(all.self_pair_names().is_empty());
    assert!(!names.contains(&("panda_leftfinger".into(), "panda_rightfinger".into())));
    let q = [0.0, -0.785, 0.0, -2.356, 0.0, 1.571, 0.785];
    let poses = chain.forward_kinematics(&q).unwrap();
    assert!(!model.collides(&poses));
    let d = model.distances(&poses);
    assert!(d.self_distance > 0.0);
}

#[test]
fn distance_tables_change_no_answer() {
    use rand::{rngs::StdRng, Rng, SeedableRng};
    let chain = KinematicChain::panda();
    let model = CollisionModel::new(&chain, &Scene::by_name("wall").unwrap());
    assert!(model.pair_tables.iter().any(Option::is_some));
    let plain = CollisionModel {
        pair_tables: vec![None; model.self_pairs.len()],
        ..model.clone()
    };
    // Uniform configurations, and folded wrists (q6 small), where wrist pairs touch.
    let mut rng = StdRng::seed_from_u64(21);
    let mut q = chain.sample_uniform(20_000, &mut rng);
    for row in q.chunks_exact_mut(7).skip(10_000) {
        row[5] = rng.random_range(-0.0873..0.6);
    }
    let (a, b) = (
        model.check_batch(&q).unwrap(),
        plain.check_batch(&q).unwrap(),
    );
    assert_eq!(a, b);
    let hits = a.iter().filter(|f| f.self_collision).count();
    assert!(
        hits > 2000,
        "{hits} self-collisions: the test must reach contact"
    );
    let (a, b) = (
        model.distances_batch(&q[..7 * 4000]).unwrap(),
        plain.distances_batch(&q[..7 * 4000]).unwrap(),
    );
    assert_eq!(a, b);
    // Outside the joint limits the tables do not apply; answers still agree.
    let mut wild = q[..7 * 2000].to_vec();
    for row in wild.chunks_exact_mut(7) {
        row[6] *= 1.5;
    }
    assert_eq!(
        model.check_batch(&wild).unwrap(),
        plain.check_batch(&wild).unwrap()
    );
}

#[test]
fn box_around_link_collides() {
    let chain = KinematicChain::panda();
    let q = [0.0f32; 7];
    let poses = chain.forward_kinematics(&q).unwrap();
    let l4 = chain.link_index("panda_link4").unwrap();
    let obb = Obb {
        pose: Pose::from_translation(poses[l4].trans),
        half: [0.01; 3],
    };
    let model = CollisionModel::from_parts(&chain, vec![obb], false);
    let f = model.check(&poses);
    assert!(f.obstacle_collision && !f.ground_collision);
    assert!(model.distances(&poses).obstacle_distance < 0.0);
}
