//! Tests of `fast_train`.

use super::*;
use crate::ArGmmConfig;
use candle_core::{Device, Tensor};
use rand::{rngs::StdRng, Rng, SeedableRng};

fn config(chain: bool) -> ArGmmConfig {
    use crate::features::{ChainFeatures, JointFrame};
    let id = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];
    let joint = |t: [f32; 3]| JointFrame {
        rotation: id,
        translation: t,
        axis: [0.0, 0.0, 1.0],
        prismatic: false,
    };
    ArGmmConfig {
        names: vec!["a".into(), "b".into()],
        lower: vec![-1.0, -2.0],
        upper: vec![1.0, 2.0],
        context_dim: 3,
        context_mean: vec![0.1, 0.0, 0.0],
        context_std: vec![0.5, 1.0, 1.0],
        hidden: vec![12, 10],
        components: 3,
        min_std: 0.01,
        range_slack: 1.1,
        chain: chain.then(|| ChainFeatures {
            joints: vec![joint([0.0; 3]), joint([0.5, 0.0, 0.0])],
            pose: None,
        }),
        made_for: None,
    }
}

fn data(n: usize) -> (Vec<f32>, Vec<f32>) {
    let mut rng = StdRng::seed_from_u64(8);
    let x = (0..2 * n)
        .map(|i| {
            if i % 2 == 0 {
                rng.random_range(-1.0..1.0)
            } else {
                rng.random_range(-2.0..2.0)
            }
        })
        .collect();
    let c = (0..3 * n).map(|_| rng.random_range(-0.5..0.5)).collect();
    (x, c)
}

/// The pose-conditioned chain of the `ar_gmm` tests (9-D context, pose features).
fn pose_config() -> ArGmmConfig {
    crate::ar_gmm::tests::pose_config()
}

/// `n` rows for [`pose_config`]: values within the limits and pose contexts of random
/// rotations (unit quaternions) and positions.
fn pose_data(n: usize) -> (Vec<f32>, Vec<f32>) {
    let (x, _) = data(n);
    let mut rng = StdRng::seed_from_u64(9);
    let c = (0..n)
        .flat_map(|_| {
            let q: [f32; 4] = std::array::from_fn(|_| rng.random_range(-1.0..1.0));
            let n = q.iter().map(|v| v * v).sum::<f32>().sqrt();
            let [w, x, y, z] = q.map(|v| v / n);
            let rot = [
                [
                    1.0 - 2.0 * (y * y + z * z),
                    2.0 * (x * y - w * z),
                    2.0 * (x * z + w * y),
                ],
                [
                    2.0 * (x * y + w * z),
                    1.0 - 2.0 * (x * x + z * z),
                    2.0 * (y * z - w * x),
                ],
                [
                    2.0 * (x * z - w * y),
                    2.0 * (y * z + w * x),
                    1.0 - 2.0 * (x * x + y * y),
                ],
            ];
            let p = std::array::from_fn(|_| rng.random_range(-0.5..0.5));
            crate::features::pose_context(p, &rot)
        })
        .collect();
    (x, c)
}

/// The hand-written gradients equal candle's autograd on the same batch and weights: without
/// features, with position features and with pose features.
#[test]
fn gradients_match_autograd() {
    let cases = [
        (config(false), data(64)),
        (config(true), data(64)),
        (pose_config(), pose_data(64)),
    ];
    for (chain, (cfg, (x, c))) in cases.into_iter().enumerate() {
        let cdim = cfg.context_dim;
        let model = ArGmm::new(cfg, 3).unwrap();
        let rows = TrainRows::new(&model, &x, &c).unwrap();
        let mut trainer = FastTrainer::new(&model).unwrap();
        let batch: Vec<u32> = (0..64).collect();
        let mut loss = 0.0;
        for jt in &mut trainer.joints {
            loss += jt.forward_backward(&model, &rows, &batch, None, true);
        }
        let xt = Tensor::from_vec(x, (64, 2), &Device::Cpu).unwrap();
        let ct = Tensor::from_vec(c, (64, cdim), &Device::Cpu).unwrap();
        let l = model
            .log_prob(&xt, &ct)
            .unwrap()
            .mean_all()
            .unwrap()
            .neg()
            .unwrap();
        assert!((l.to_scalar::<f32>().unwrap() as f64 - loss).abs() < 1e-4 * (1.0 + loss.abs()));
        let grads = l.backward().unwrap();
        for (jt, net) in trainer.joints.iter().zip(model.nets()) {
            for (layer, linear) in jt.layers.iter().zip(net.layers()) {
                let gw = grads
                    .get(linear.weight())
                    .unwrap()
                    .flatten_all()
                    .unwrap()
                    .to_vec1::<f32>()
                    .unwrap();
                let gb = grads
                    .get(linear.bias().unwrap())
                    .unwrap()
                    .to_vec1::<f32>()
                    .unwrap();
                for (a, b) in layer.gw.iter().zip(&gw).chain(layer.gb.iter().zip(&gb)) {
                    assert!(
                        (a - b).abs() < 1e-4 + 1e-3 * b.abs(),
                        "case {chain}: {a} vs {b}"
                    );
                }
            }
        }
    }
}

/// One tuner step through `FastAdam` moves the weights exactly as candle's autograd Adam, for
/// a position and a pose prior.
#[test]
fn fast_adam_matches_autograd_adam() {
    fast_adam_matches_autograd_adam_for(config(true), &[0.2, 0.1, 0.3]);
    fast_adam_matches_autograd_adam_for(pose_config(), &crate::ar_gmm::tests::a_pose());
}

fn fast_adam_matches_autograd_adam_for(config: ArGmmConfig, context: &[f32]) {
    use mace_core::{GenerativeModel, ModelOptimizer};
    let base = ArGmm::new(config, 6).unwrap();
    let a = base.deep_copy().unwrap().conditioned(context).unwrap();
    let b = base.deep_copy().unwrap().conditioned(context).unwrap();
    let x = a.sample(40, &mut StdRng::seed_from_u64(1)).unwrap();
    let w: Vec<f32> = (0..40).map(|i| (i % 5) as f32 / 80.0).collect();
    let mut fast = a.optimizer(1e-2).unwrap();
    let mut slow = mace_core::AutogradAdam::new(&b, 1e-2).unwrap();
    for it in 0..3 {
        let lf = fast.step(&x, &w, it).unwrap();
        let ls = slow.step(&x, &w, it).unwrap();
        assert!((lf - ls).abs() < 1e-4 * (1.0 + ls.abs()), "{lf} vs {ls}");
    }
    // The steps reach the model's variables at the next sync (the tuner's, before sampling).
    fast.sync().unwrap();
    for (va, vb) in a.model().vars().iter().zip(b.model().vars()) {
        let (pa, pb) = (
            va.flatten_all().unwrap().to_vec1::<f32>().unwrap(),
            vb.flatten_all().unwrap().to_vec1::<f32>().unwrap(),
        );
        for (p, q) in pa.iter().zip(&pb) {
            assert!((p - q).abs() < 1e-4, "{p} vs {q}");
        }
    }
}

/// With a logit scale, one step moves the mixture logits' rows and biases of each output
/// layer `scale` times as far (Adam's first step has the same direction and size per
/// parameter at any learning rate) and every other parameter exactly as without it.
#[test]
fn logit_lr_scale_speeds_up_the_logits_only() {
    let model = ArGmm::new(config(true), 5).unwrap();
    let k = model.config().components;
    let (x, c) = data(64);
    let rows = TrainRows::new(&model, &x, &c).unwrap();
    let batch: Vec<u32> = (0..64).collect();
    let before = FastTrainer::new(&model).unwrap().snapshot();
    let moved = |scale: f32| {
        let mut t = FastTrainer::new(&model).unwrap();
        t.set_logit_lr_scale(scale).unwrap();
        t.step(&rows, &batch, 1e-3);
        t.snapshot()
    };
    let (plain, scaled) = (moved(1.0), moved(10.0));
    let layers = model.nets()[0].layers().len();
    let mut logits_seen = 0;
    // Snapshots list, per joint and layer, the weights then the biases.
    for (i, ((b, p), s)) in before.iter().zip(&plain).zip(&scaled).enumerate() {
        let (layer, is_bias) = ((i / 2) % layers, i % 2 == 1);
        let inputs = if is_bias { 1 } else { b.len() / (3 * k) };
        let logit_values = if layer + 1 == layers { k * inputs } else { 0 };
        for (v, ((b, p), s)) in b.iter().zip(p).zip(s).enumerate() {
            let (dp, ds) = (p - b, s - b);
            if v < logit_values {
                logits_seen += 1;
                assert!(
                    (ds - 10.0 * dp).abs() <= 1e-6 + 1e-3 * ds.abs(),
                    "{ds} vs {dp}"
                );
            } else {
                assert_eq!(dp, ds, "tensor {i}, value {v}");
            }
        }
    }
    assert_eq!(logits_seen, 2 * k * (10 + 1));
    let mut t = FastTrainer::new(&model).unwrap();
    for bad in [0.0, -1.0, f32::NAN, f32::INFINITY] {
        let e = t.set_logit_lr_scale(bad).unwrap_err().to_string();
        assert!(e.contains("logit_lr_scale"), "{e}");
    }
}

#[test]
fn training_lowers_the_loss_and_writes_back() {
    let model = ArGmm::new(config(true), 4).unwrap();
    let (x, c) = data(2000);
    let rows = TrainRows::new(&model, &x, &c).unwrap();
    let mut trainer = FastTrainer::new(&model).unwrap();
    let before = trainer.evaluate(&rows);
    let index: Vec<u32> = (0..2000).collect();
    for _ in 0..20 {
        for b in index.chunks(100) {
            trainer.step(&rows, b, 3e-3);
        }
    }
    let after = trainer.evaluate(&rows);
    assert!(after < before - 0.3, "{before} → {after}");
    trainer.write_back().unwrap();
    let xt = Tensor::from_vec(x, (2000, 2), &Device::Cpu).unwrap();
    let ct = Tensor::from_vec(c, (2000, 3), &Device::Cpu).unwrap();
    let nll = -model
        .log_prob(&xt, &ct)
        .unwrap()
        .mean_all()
        .unwrap()
        .to_scalar::<f32>()
        .unwrap() as f64;
    assert!(
        (nll - after).abs() < 1e-3 * (1.0 + after.abs()),
        "{nll} vs {after}"
    );
}
