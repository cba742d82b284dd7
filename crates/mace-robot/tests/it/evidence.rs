use candle_core::{Device, Tensor};
use mace_core::{Evidence, Score, Simulator};
use mace_robot::evidence::ik_evidence;
use mace_robot::{IkScore, IkSimulator, KinematicChain, Scene};

use crate::data::{f64s, load};

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
        let q: Vec<f32> = samples
            .iter()
            .flat_map(|s| f64s(&s["q"]))
            .map(|v| v as f32)
            .collect();
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
