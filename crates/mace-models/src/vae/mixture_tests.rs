//! Tests of the mixture latent prior: settings, seeded samples, EM steps, kept latents.

use super::*;
use crate::vae::PointVae;
use mace_core::GenerativeModel;
use rand::SeedableRng;

fn tiny() -> MixtureLatentPrior {
    let vae = PointVae::new(PointVaeConfig::tiny(32), 0).unwrap();
    let gaussian = TunableLatentPrior::new(&vae).unwrap();
    MixtureLatentPrior::new(&gaussian, MixtureSettings::default()).unwrap()
}

/// A mixture set from outside is checked, then sampled: every draw near one of its
/// components.
#[test]
fn set_mixture_checks_then_samples_it() {
    let prior = tiny();
    let d = prior.config.latent_dim;
    let good = LatentMixture {
        weights: vec![0.5, 0.5],
        means: vec![vec![-3.0; d], vec![3.0; d]],
        stds: vec![vec![0.01; d], vec![0.01; d]],
    };
    let mut bad = good.clone();
    bad.stds[1][2] = 0.0;
    let e = prior.set_mixture(bad).unwrap_err().to_string();
    assert!(e.contains("stds[1][2]"), "{e}");
    let mut bad = good.clone();
    bad.weights = vec![0.5, 0.6];
    assert!(prior.set_mixture(bad).is_err());
    let mut bad = good.clone();
    bad.means[0].pop();
    assert!(prior.set_mixture(bad).is_err());
    prior.set_mixture(good.clone()).unwrap();
    assert_eq!(prior.mixture(), good);
    let x = prior.sample(32, &mut StdRng::seed_from_u64(1)).unwrap();
    let latents = prior.latents_of(&x).unwrap();
    let signs: Vec<bool> = latents.iter().map(|u| u[0] > 0.0).collect();
    assert!(latents.iter().all(|u| (u[0].abs() - 3.0).abs() < 0.1));
    assert!(
        signs.iter().any(|&s| s) && signs.iter().any(|&s| !s),
        "both components drawn"
    );
}

/// θ written as JSON (a saved posterior's `latent_prior.json`, a pickle) reads back bit for
/// bit: the f64 weights too, which need serde_json's exact float parsing.
#[test]
fn a_mixture_reads_back_from_json_bit_for_bit() {
    let mut rng = StdRng::seed_from_u64(4);
    let weights: Vec<f64> = (0..4096).map(|_| rng.random::<f64>()).collect();
    let mixture = LatentMixture {
        means: vec![vec![rng.random::<f32>()]; weights.len()],
        stds: vec![vec![1.0]; weights.len()],
        weights,
    };
    let text = serde_json::to_string(&mixture).unwrap();
    let back: LatentMixture = serde_json::from_str(&text).unwrap();
    let bits = |m: &LatentMixture| m.weights.iter().map(|w| w.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&back), bits(&mixture));
    assert_eq!(back, mixture);
}

/// Settings out of range are refused by name.
#[test]
fn bad_settings_name_the_field() {
    let vae = PointVae::new(PointVaeConfig::tiny(32), 0).unwrap();
    let gaussian = TunableLatentPrior::new(&vae).unwrap();
    for (settings, field) in [
        (
            MixtureSettings {
                components: 0,
                ..Default::default()
            },
            "components",
        ),
        (
            MixtureSettings {
                floor_fraction: 1.5,
                ..Default::default()
            },
            "floor_fraction",
        ),
        (
            MixtureSettings {
                axes: Some(0),
                ..Default::default()
            },
            "axes",
        ),
    ] {
        let e = MixtureLatentPrior::new(&gaussian, settings).unwrap_err();
        assert!(e.to_string().contains(field), "{e}");
    }
}

/// Samples are scored by the latent they came from; others are refused; seeds repeat.
#[test]
fn scores_its_own_samples_only() {
    let prior = tiny();
    let x = prior.sample(8, &mut StdRng::seed_from_u64(1)).unwrap();
    let again = prior.sample(8, &mut StdRng::seed_from_u64(1)).unwrap();
    let diff = (&x - &again).unwrap().abs().unwrap().max_all().unwrap();
    assert_eq!(diff.to_scalar::<f32>().unwrap(), 0.0);
    let lp = prior.log_prob_detached(&x).unwrap();
    assert!(lp.iter().all(|v| v.is_finite()));
    let other = (x + 0.5).unwrap();
    let err = prior.log_prob(&other).unwrap_err().to_string();
    assert!(err.contains("drew itself"), "{err}");
}

/// The tuner runs the mixture (it has no trainable variables) but refuses `keep_best`,
/// which would have nothing to restore, by name.
#[test]
fn tuner_runs_it_and_refuses_keep_best() {
    struct Half;
    impl mace_core::Evidence for Half {
        fn evaluate(&self, samples: &Tensor) -> mace_core::Result<Vec<f32>> {
            Ok(vec![0.5; samples.dims()[0]])
        }
    }
    let prior = tiny();
    let config = mace_core::TuneConfig {
        iterations: 1,
        sample_size: 64,
        bsz: 64,
        grad_steps: 1,
        quantile: 0.25,
        ..Default::default()
    };
    let tuner = mace_core::Tuner::new(config.clone(), mace_core::Objective::Mace).unwrap();
    assert!(tuner.run(&prior, &Half, &mut mace_core::NoObserver).is_ok());
    let keep = mace_core::TuneConfig {
        keep_best: true,
        ..config
    };
    let tuner = mace_core::Tuner::new(keep, mace_core::Objective::Mace).unwrap();
    let e = tuner
        .run(&prior, &Half, &mut mace_core::NoObserver)
        .unwrap_err();
    assert!(e.to_string().contains("keep_best"), "{e}");
}

/// A draw and the draw after it stay scorable when the second passes the capacity (the
/// tuner tops a scarce first sample up this way); the one before them is forgotten.
#[test]
fn two_draws_stay_scorable_past_the_capacity() {
    let prior = tiny();
    let mut rng = StdRng::seed_from_u64(4);
    let old = prior.sample(16, &mut rng).unwrap();
    let first = prior.sample(DRAWN_CAPACITY - 8, &mut rng).unwrap();
    let second = prior.sample(64, &mut rng).unwrap();
    assert!(prior.log_prob(&first.narrow(0, 0, 32).unwrap()).is_ok());
    assert!(prior.log_prob(&second).is_ok());
    assert!(prior.log_prob(&old).is_err());
}

/// A step fits the elites: their likelihood rises, and the mixture sits where they are.
#[test]
fn em_step_fits_the_elites() {
    let prior = tiny();
    let x = prior.sample(256, &mut StdRng::seed_from_u64(2)).unwrap();
    let latents = prior.latents_of(&x).unwrap();
    // Elites: the samples whose first latent is above 1 σ.
    let sigma = prior.mixture().stds[0][0];
    let weights: Vec<f32> = latents
        .iter()
        .map(|u| if u[0] > sigma { 1.0 } else { 0.0 })
        .collect();
    let elites = weights.iter().filter(|&&w| w > 0.0).count();
    assert!(elites > 20, "{elites} elites");
    let before = prior.log_prob_detached(&x).unwrap();
    let mut opt = prior.optimizer(0.0).unwrap();
    opt.step(&x, &weights, 0).unwrap();
    let after = prior.log_prob_detached(&x).unwrap();
    let gain: f32 = (0..256)
        .filter(|&i| weights[i] > 0.0)
        .map(|i| after[i] - before[i])
        .sum();
    assert!(gain > 0.0, "elites' log-likelihood fell by {}", -gain);
    let m = prior.mixture();
    let mean0: f64 = (0..m.weights.len())
        .map(|k| m.weights[k] * m.means[k][0] as f64)
        .sum();
    assert!(mean0 > 1.2 * sigma as f64, "mean {mean0} for σ {sigma}");
    let fresh = prior.sample(512, &mut StdRng::seed_from_u64(3)).unwrap();
    let above = prior
        .latents_of(&fresh)
        .unwrap()
        .iter()
        .filter(|u| u[0] > sigma)
        .count();
    assert!(above > 400, "{above} of 512 new samples beyond 1 σ");
}
