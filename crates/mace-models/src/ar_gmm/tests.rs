//! Tests of `ar_gmm`.

use super::*;
use mace_core::GenerativeModel;
use rand::SeedableRng;

pub(crate) fn tiny_config() -> ArGmmConfig {
    ArGmmConfig {
        names: vec!["a".into(), "b".into()],
        lower: vec![-1.0, -2.0],
        upper: vec![1.0, 2.0],
        context_dim: 1,
        context_mean: vec![0.0],
        context_std: vec![1.0],
        hidden: vec![16],
        components: 3,
        min_std: 0.01,
        range_slack: 1.1,
        chain: None,
        made_for: None,
    }
}

/// Scores 1 where the first coordinate exceeds 0.8, else 0.
struct RightEdge;

impl mace_core::Evidence for RightEdge {
    fn evaluate(&self, samples: &Tensor) -> mace_core::Result<Vec<f32>> {
        let x = samples.to_vec2::<f32>()?;
        Ok(x.iter().map(|r| f32::from(r[0] > 0.8)).collect())
    }
}

/// Fraction of 4000 samples of `model` that [`RightEdge`] accepts.
fn right_edge_fraction(model: &ConditionedArGmm) -> f32 {
    use mace_core::Evidence;
    let x = model.sample(4000, &mut StdRng::seed_from_u64(9)).unwrap();
    let s = RightEdge.evaluate(&x).unwrap();
    s.iter().sum::<f32>() / s.len() as f32
}

/// On the same tuning budget, moving the mixture logits faster puts more of the mass in
/// the elites' region (the components that do not reach it lose their weight sooner).
#[test]
fn logit_lr_scale_sharpens_the_posterior_faster() {
    let tuned = |seed: u64, scale: f32| {
        let model = ArGmm::new(tiny_config(), seed)
            .unwrap()
            .conditioned(&[0.0])
            .unwrap()
            .with_logit_lr_scale(scale)
            .unwrap();
        let config = mace_core::TuneConfig {
            iterations: 60,
            sample_size: 256,
            bsz: 256,
            grad_steps: 2,
            quantile: 0.1,
            lr: 1e-3,
            ..mace_core::TuneConfig::default()
        };
        mace_core::Tuner::new(config, mace_core::Objective::Mace)
            .unwrap()
            .run(&model, &RightEdge, &mut mace_core::NoObserver)
            .unwrap();
        right_edge_fraction(&model)
    };
    // Measured over model seeds 0–5: the gain over the prior is 1.35–2.3× as large.
    for seed in 0..4 {
        let before = right_edge_fraction(
            &ArGmm::new(tiny_config(), seed)
                .unwrap()
                .conditioned(&[0.0])
                .unwrap(),
        );
        let (plain, fast) = (tuned(seed, 1.0), tuned(seed, 30.0));
        assert!(plain > before, "seed {seed}: {plain} vs {before}");
        assert!(
            fast - before > 1.25 * (plain - before),
            "seed {seed}: prior {before}, scale 1 {plain}, scale 30 {fast}"
        );
    }
}

#[test]
fn with_logit_lr_scale_rejects_bad_values() {
    let m = ArGmm::new(tiny_config(), 0)
        .unwrap()
        .conditioned(&[0.0])
        .unwrap();
    for bad in [0.0, -2.0, f32::NAN] {
        let e = m.clone().with_logit_lr_scale(bad).unwrap_err().to_string();
        assert!(e.contains("logit_lr_scale"), "{e}");
    }
    assert_eq!(m.with_logit_lr_scale(4.0).unwrap().logit_lr_scale(), 4.0);
}

/// The density integrates to ~1 over the (slack-extended) box: a numeric check of the
/// normalisation of the chain rule and the mixtures.
#[test]
fn density_integrates_to_one() {
    let m = ArGmm::new(tiny_config(), 0).unwrap();
    let cm = m.conditioned(&[0.3]).unwrap();
    let n = 500;
    let (ax, bx) = (-8.0f32, 8.0f32);
    let (ay, by) = (-10.0f32, 10.0f32);
    let mut pts = Vec::with_capacity(n * n * 2);
    for i in 0..n {
        for j in 0..n {
            pts.push(ax + (i as f32 + 0.5) * (bx - ax) / n as f32);
            pts.push(ay + (j as f32 + 0.5) * (by - ay) / n as f32);
        }
    }
    let x = Tensor::from_vec(pts, (n * n, 2), &Device::Cpu).unwrap();
    let lp = cm.log_prob(&x).unwrap().to_vec1::<f32>().unwrap();
    let cell = (bx - ax) * (by - ay) / (n * n) as f32;
    let total: f64 = lp.iter().map(|l| (l.exp() * cell) as f64).sum();
    assert!((total - 1.0).abs() < 0.01, "integral {total}");
}

/// The gradient-free path gives the autograd path's log-likelihoods, both on given samples
/// and for the log-density it returns with its own samples.
fn assert_fast_matches_autograd(m: &ArGmm, context: &[f32]) {
    let close = |a: &[f32], b: &[f32]| {
        for (x, y) in a.iter().zip(b) {
            assert!((x - y).abs() < 1e-3 * (1.0 + x.abs()), "{x} vs {y}");
        }
    };
    let cm = m.conditioned(context).unwrap();
    let x = cm.sample(1100, &mut StdRng::seed_from_u64(3)).unwrap();
    close(
        &cm.log_prob(&x).unwrap().to_vec1::<f32>().unwrap(),
        &cm.log_prob_detached(&x).unwrap(),
    );
    let (xs, lp) = ArGmmSampler::new(m).unwrap().sample_with_log_prob(
        context,
        600,
        &mut StdRng::seed_from_u64(4),
    );
    let t = Tensor::from_vec(xs, (600, 2), &Device::Cpu).unwrap();
    close(&cm.log_prob(&t).unwrap().to_vec1::<f32>().unwrap(), &lp);
}

#[test]
fn fast_path_matches_autograd_path() {
    let m = ArGmm::new(
        ArGmmConfig {
            hidden: vec![16, 16],
            ..tiny_config()
        },
        1,
    )
    .unwrap();
    assert_fast_matches_autograd(&m, &[0.7]);
}

/// A 2-joint planar chain and a 3-D target context: exercises the kinematic features.
fn chain_config() -> ArGmmConfig {
    use crate::features::{ChainFeatures, JointFrame};
    let id = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];
    let joint = |t: [f32; 3]| JointFrame {
        rotation: id,
        translation: t,
        axis: [0.0, 0.0, 1.0],
        prismatic: false,
    };
    ArGmmConfig {
        context_dim: 3,
        context_mean: vec![0.0; 3],
        context_std: vec![1.0; 3],
        hidden: vec![16, 16],
        chain: Some(ChainFeatures {
            joints: vec![joint([0.0; 3]), joint([0.5, 0.0, 0.0])],
            pose: None,
        }),
        ..tiny_config()
    }
}

#[test]
fn fast_path_matches_autograd_path_with_kinematic_features() {
    assert_fast_matches_autograd(&ArGmm::new(chain_config(), 2).unwrap(), &[0.3, 0.4, 0.1]);
}

/// [`chain_config`] conditioned on a pose (9-D context): a tilted second joint and a tool
/// frame rotated and offset from it, so every pose feature is exercised.
pub(crate) fn pose_config() -> ArGmmConfig {
    use crate::features::{ToolFrame, POSE_CONTEXT_DIM};
    let mut cfg = chain_config();
    let chain = cfg.chain.as_mut().unwrap();
    chain.joints[1].axis = [0.0, 0.6, 0.8];
    chain.pose = Some(ToolFrame {
        rotation: [[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]],
        translation: [0.1, 0.0, 0.2],
    });
    ArGmmConfig {
        context_dim: POSE_CONTEXT_DIM,
        context_mean: vec![0.1; POSE_CONTEXT_DIM],
        context_std: vec![0.7; POSE_CONTEXT_DIM],
        ..cfg
    }
}

/// A pose context: position and a rotation about a tilted axis.
pub(crate) fn a_pose() -> [f32; 9] {
    let (s, c) = 0.7f32.sin_cos();
    let rotation = [
        [c, -s, 0.0],
        [s * 0.8, c * 0.8, -0.6],
        [s * 0.6, c * 0.6, 0.8],
    ];
    crate::features::pose_context([0.3, 0.4, 0.1], &rotation)
}

#[test]
fn fast_path_matches_autograd_path_with_pose_features() {
    let m = ArGmm::new(pose_config(), 2).unwrap();
    assert_eq!(m.config().input_width(1), 9 + 1 + 21);
    assert_fast_matches_autograd(&m, &a_pose());
}

#[test]
fn a_pose_chain_needs_a_pose_context() {
    let cfg = ArGmmConfig {
        context_dim: 3,
        context_mean: vec![0.0; 3],
        context_std: vec![1.0; 3],
        ..pose_config()
    };
    assert!(matches!(
        ArGmm::new(cfg, 0),
        Err(Error::Config { field: "chain", .. })
    ));
}

#[test]
fn a_chain_must_match_the_coordinates() {
    let mut cfg = chain_config();
    cfg.chain.as_mut().unwrap().joints.pop();
    assert!(matches!(
        ArGmm::new(cfg, 0),
        Err(Error::Config { field: "chain", .. })
    ));
}

#[test]
fn samples_are_within_limits_and_seeded() {
    let m = ArGmm::new(tiny_config(), 0).unwrap();
    let cm = m.conditioned(&[0.0]).unwrap();
    let a = cm
        .sample(500, &mut StdRng::seed_from_u64(1))
        .unwrap()
        .to_vec2::<f32>()
        .unwrap();
    let b = cm
        .sample(500, &mut StdRng::seed_from_u64(1))
        .unwrap()
        .to_vec2::<f32>()
        .unwrap();
    assert_eq!(a, b);
    assert!(a
        .iter()
        .all(|r| (-1.0..=1.0).contains(&r[0]) && (-2.0..=2.0).contains(&r[1])));
}

#[test]
fn deep_copy_is_independent_and_equal() {
    let m = ArGmm::new(tiny_config(), 0).unwrap();
    let c = m.deep_copy().unwrap();
    let x = Tensor::new(&[[0.1f32, 0.2]], &Device::Cpu).unwrap();
    let ctx = Tensor::new(&[[0.0f32]], &Device::Cpu).unwrap();
    let a = m.log_prob(&x, &ctx).unwrap().to_vec1::<f32>().unwrap();
    let b = c.log_prob(&x, &ctx).unwrap().to_vec1::<f32>().unwrap();
    assert_eq!(a, b);
    for v in m.vars() {
        v.set(&v.as_tensor().zeros_like().unwrap()).unwrap();
    }
    let b2 = c.log_prob(&x, &ctx).unwrap().to_vec1::<f32>().unwrap();
    assert_eq!(b, b2);
}

#[test]
fn initialisation_is_seeded() {
    let weights = |seed| -> Vec<Vec<f32>> {
        let m = ArGmm::new(tiny_config(), seed).unwrap();
        m.vars()
            .iter()
            .map(|v| v.flatten_all().unwrap().to_vec1::<f32>().unwrap())
            .collect()
    };
    assert_eq!(weights(4), weights(4));
    assert_ne!(weights(4), weights(5));
}

#[test]
fn bad_context_is_an_error() {
    let m = ArGmm::new(tiny_config(), 0).unwrap();
    assert!(matches!(
        m.conditioned(&[f32::NAN]),
        Err(Error::NonFinite { index: 0, .. })
    ));
    assert!(matches!(
        m.conditioned(&[0.0, 1.0]),
        Err(Error::ShapeMismatch { .. })
    ));
}

#[test]
fn invalid_config_names_the_field() {
    let cfg = ArGmmConfig {
        components: 0,
        ..tiny_config()
    };
    assert!(matches!(
        ArGmm::new(cfg, 0),
        Err(Error::Config {
            field: "components",
            ..
        })
    ));
    let cfg = ArGmmConfig {
        upper: vec![1.0, -3.0],
        ..tiny_config()
    };
    assert!(matches!(
        ArGmm::new(cfg, 0),
        Err(Error::Config {
            field: "lower/upper",
            ..
        })
    ));
}
