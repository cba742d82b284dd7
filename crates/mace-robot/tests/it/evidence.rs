use candle_core::{Device, Tensor};
use mace_core::{Evidence, Score, Simulator};
use mace_robot::evidence::ik_evidence;
use mace_robot::{IkScore, IkSimulator, KinematicChain, Scene};

use crate::data::{configs, load};

/// Scores of the reference samples: equal to the reference's `score` (within FK rounding) on the
/// samples whose collision label is decided by more than 3 mm and on which we agree.
#[test]
fn ik_scores_match_reference() {
    let chain = KinematicChain::panda();
    for name in ["wall", "window", "box"] {
        let scene = Scene::by_name(name).unwrap();
        let evidence = ik_evidence(&chain, &scene);
        let d = load(&format!("panda_scene_{name}.json"));
        let samples = d["samples"].as_array().unwrap();
        let q: Vec<f32> = configs(samples);
        let t = Tensor::from_vec(q, (samples.len(), 7), &Device::Cpu).unwrap();
        let scores = evidence.evaluate(&t).unwrap();
        assert_eq!(scores.len(), samples.len());
        let (mut far, mut equal) = (0, 0);
        for (s, &ours) in samples.iter().zip(&scores) {
            assert!((0.0..=1.0).contains(&ours));
            let dist = ["min_dist_self", "min_dist_obstacles", "min_dist_ground"]
                .iter()
                .map(|k| s[*k].as_f64().unwrap())
                .fold(f64::INFINITY, f64::min);
            if dist.abs() <= 0.003 {
                continue;
            }
            far += 1;
            let reference = s["score"].as_f64().unwrap() as f32;
            if (ours - reference).abs() < 1e-5 {
                equal += 1;
            } else {
                // Only a collision disagreement may change the score.
                assert!(
                    ours == 0.0 || reference == 0.0,
                    "{name}: ours {ours} vs {reference}"
                );
            }
        }
        let frac = equal as f64 / far as f64;
        println!(
            "{name}: score equal to the reference on {frac:.4} of {far} far-from-contact samples"
        );
        assert!(frac >= 0.97, "{name} {frac}");
    }
}

/// Simulator and score kept separate: the same observation scored against two targets.
#[test]
fn simulator_and_score_are_separable() {
    let chain = KinematicChain::panda();
    let sim = IkSimulator::new(&chain, &Scene::empty([0.0; 3]));
    let q = Tensor::from_vec(
        vec![0.0f32, -0.785, 0.0, -2.356, 0.0, 1.571, 0.785],
        (1, 7),
        &Device::Cpu,
    )
    .unwrap();
    let obs = sim.simulate(&q).unwrap();
    let tcp = obs.tcp[0];
    let at = IkScore::new(tcp).score(&obs).unwrap();
    assert!((at[0] - 1.0).abs() < 1e-6);
    let off = IkScore::new([tcp[0] + 1.0, tcp[1], tcp[2]])
        .score(&obs)
        .unwrap();
    assert!((off[0] - (-1.0f32).exp()).abs() < 1e-5);
    let sharp = IkScore {
        length_scale: 0.1,
        ..IkScore::new([tcp[0] + 0.1, tcp[1], tcp[2]])
    };
    assert!((sharp.score(&obs).unwrap()[0] - (-1.0f32).exp()).abs() < 1e-5);
}

/// Wrong tensor shapes and empty batches are errors, not panics.
#[test]
fn simulator_rejects_bad_batches() {
    let chain = KinematicChain::panda();
    let sim = IkSimulator::new(&chain, &Scene::by_name("box").unwrap());
    let bad = Tensor::zeros((4, 6), candle_core::DType::F32, &Device::Cpu).unwrap();
    let e = sim.simulate(&bad).unwrap_err().to_string();
    assert!(e.contains("(n, 7)"), "{e}");
    let empty = Tensor::zeros((0, 7), candle_core::DType::F32, &Device::Cpu).unwrap();
    let e = sim.simulate(&empty).unwrap_err().to_string();
    assert!(e.contains("empty batch"), "{e}");
}

/// The soft margin: a configuration that is free but within the margin of a box scores as if
/// its TCP were `penalty` further away (0 with the hard margin); one clear of the margin scores
/// as usual; a colliding one scores 0. Checked against signed obstacle distances.
#[test]
fn the_soft_margin_penalises_free_samples_near_a_box() {
    use mace_robot::{ik_evidence_for, ik_evidence_with_margin, CollisionModel};
    use rand::{rngs::StdRng, Rng, SeedableRng};
    let chain = KinematicChain::panda();
    let scene = Scene::by_name("wall").unwrap();
    let model = CollisionModel::new(&chain, &scene);
    let (margin, penalty) = (0.02, 0.1);
    let soft = ik_evidence_with_margin(&model, &scene, margin, penalty);
    let hard = ik_evidence_for(&model, &scene.inflated(margin));
    let mut rng = StdRng::seed_from_u64(3);
    let (lo, hi) = (chain.lower(), chain.upper());
    let n = 4000;
    let q: Vec<f32> = (0..n)
        .flat_map(|_| {
            (0..7)
                .map(|j| rng.random_range(lo[j]..hi[j]))
                .collect::<Vec<_>>()
        })
        .collect();
    let batch = Tensor::from_vec(q.clone(), (n, 7), &Device::Cpu).unwrap();
    let (s_soft, s_hard) = (
        soft.evaluate(&batch).unwrap(),
        hard.evaluate(&batch).unwrap(),
    );
    let obs = IkSimulator::new(&chain, &scene).simulate(&batch).unwrap();
    let distances = model.distances_batch(&q).unwrap();
    let plain = IkScore::new(scene.target).score(&obs).unwrap();
    let (mut near, mut clear) = (0, 0);
    for i in 0..n {
        let d_obstacle = distances[i].obstacle_distance;
        if obs.flags[i].any() {
            assert_eq!((s_soft[i], s_hard[i]), (0.0, 0.0), "sample {i} collides");
        } else if d_obstacle < margin - 1e-3 {
            near += 1;
            let expected = plain[i] * (-penalty).exp();
            assert!(
                (s_soft[i] - expected).abs() < 1e-5,
                "sample {i}: {} vs {expected}",
                s_soft[i]
            );
            assert_eq!(s_hard[i], 0.0);
        } else if d_obstacle > margin * 3f32.sqrt() + 1e-3 {
            // Grown boxes keep square corners: near an edge or a corner the margin reaches up to
            // √2 or √3 times further, so only beyond that is a sample surely clear of it.
            clear += 1;
            assert_eq!(s_soft[i], plain[i]);
            assert_eq!(s_hard[i], plain[i]);
        }
    }
    assert!(near > 20 && clear > 200, "near {near}, clear {clear}");
}
