//! Tests of `prior`.

use super::*;
use mace_core::{GenerativeModel, ModelOptimizer};
use rand::SeedableRng;

fn prior() -> (TunableLatentPrior, Tensor, Vec<f32>) {
    let vae = PointVae::new(PointVaeConfig::tiny(32), 3).unwrap();
    let prior = TunableLatentPrior::new(&vae).unwrap();
    let mut rng = StdRng::seed_from_u64(9);
    let values: Vec<f32> = (0..6 * 96).map(|_| rng.random_range(-1.0..1.0)).collect();
    let x = Tensor::from_vec(values, (6, 96), &Device::Cpu).unwrap();
    let w = vec![0.1f32, 0.3, 0.0, 0.2, 0.25, 0.15];
    (prior, x, w)
}

/// Σ w_i log p(x_i; θ) (the objective both updates maximise) at the current θ.
fn objective(p: &TunableLatentPrior, x: &Tensor, w: &[f32]) -> f64 {
    let lp = p.log_prob_detached(x).unwrap();
    lp.iter().zip(w).map(|(l, &w)| *l as f64 * w as f64).sum()
}

#[test]
fn log_prob_paths_agree_and_start_at_the_training_prior() {
    let (p, x, _) = prior();
    assert!(p.std().unwrap().iter().all(|s| (s - 0.2).abs() < 1e-6));
    assert!(p.mean().unwrap().iter().all(|m| *m == 0.0));
    let a = p.log_prob(&x).unwrap().to_vec1::<f32>().unwrap();
    let b = p.log_prob_detached(&x).unwrap();
    for (u, v) in a.iter().zip(&b) {
        assert!((u - v).abs() < 1e-4 * (1.0 + u.abs()), "{u} vs {v}");
    }
    // At θ = (0, log 0.2) the term is −KL to the VAE's training prior.
    let vae_enc = p.encode(&x).unwrap();
    let m = Tensor::from_vec(vae_enc.mean.clone(), (6, 8), &Device::Cpu).unwrap();
    let lv = Tensor::from_vec(vae_enc.logvar.clone(), (6, 8), &Device::Cpu).unwrap();
    let kl = super::super::kl_to_isotropic(&m, &lv, 0.2)
        .unwrap()
        .to_vec1::<f32>()
        .unwrap();
    for (u, k) in b.iter().zip(&kl) {
        assert!((u + k).abs() < 1e-4 * (1.0 + k.abs()));
    }
}

/// The closed form is the formula of the module docs, the gradient vanishes there, and any
/// perturbation lowers the objective.
#[test]
fn exact_update_is_the_closed_form_maximiser() {
    let (p, x, w) = prior();
    let enc = p.encode(&x).unwrap();
    let (mu, sigma) = p.exact_maximiser(&x, &w).unwrap().unwrap();
    let total: f64 = w.iter().map(|&v| v as f64).sum();
    for k in 0..8 {
        let m: f64 = (0..6)
            .map(|i| w[i] as f64 * enc.mean[i * 8 + k] as f64)
            .sum::<f64>()
            / total;
        let v: f64 = (0..6)
            .map(|i| {
                let dm = enc.mean[i * 8 + k] as f64 - m;
                w[i] as f64 * ((enc.logvar[i * 8 + k] as f64).exp() + dm * dm)
            })
            .sum::<f64>()
            / total;
        assert!((mu[k] as f64 - m).abs() < 1e-5);
        assert!((sigma[k] as f64 - v.sqrt()).abs() < 1e-5);
    }
    let mut opt = ExactLatentOptimizer::new(&p, 1.0).unwrap();
    opt.step(&x, &w, 0).unwrap();
    assert_eq!(p.mean().unwrap(), mu);
    let best = objective(&p, &x, &w);
    // Zero gradient in θ.
    let lp = p.log_prob(&x).unwrap();
    let wt = Tensor::from_slice(&w, 6, &Device::Cpu).unwrap();
    let grads = (lp * wt).unwrap().sum_all().unwrap().backward().unwrap();
    for v in p.trainable_vars() {
        let g = grads.get(v.as_tensor()).unwrap().to_vec1::<f32>().unwrap();
        assert!(g.iter().all(|g| g.abs() < 1e-3), "{g:?}");
    }
    // Perturbations are worse.
    for (dm, ds) in [(0.05f32, 1.0f32), (-0.05, 1.0), (0.0, 1.1), (0.0, 0.9)] {
        let m2: Vec<f32> = mu.iter().map(|m| m + dm).collect();
        let s2: Vec<f32> = sigma.iter().map(|s| s * ds).collect();
        p.set_latent(&m2, &s2).unwrap();
        assert!(objective(&p, &x, &w) < best);
    }
    // A damped step moves part of the way (in μ and log σ).
    p.set_latent(&[0.0; 8], &[0.2; 8]).unwrap();
    let mut half = ExactLatentOptimizer::new(&p, 0.5).unwrap();
    half.step(&x, &w, 0).unwrap();
    for (a, m) in p.mean().unwrap().iter().zip(&mu) {
        assert!((a - 0.5 * m).abs() < 1e-6);
    }
    for (s, t) in p.std().unwrap().iter().zip(&sigma) {
        assert!((s - (0.2f32 * t).sqrt()).abs() < 1e-5);
    }
}

/// Adam on the paper's objective converges to the exact maximiser on a fixed elite set.
#[test]
fn sgd_converges_to_the_exact_update() {
    let (p, x, w) = prior();
    let (mu, sigma) = p.exact_maximiser(&x, &w).unwrap().unwrap();
    let mut opt = p.optimizer(0.02).unwrap();
    for it in 0..1500 {
        opt.step(&x, &w, it).unwrap();
    }
    for (a, b) in p.mean().unwrap().iter().zip(&mu) {
        assert!((a - b).abs() < 2e-3, "μ {a} vs {b}");
    }
    for (a, b) in p.std().unwrap().iter().zip(&sigma) {
        assert!((a - b).abs() < 2e-3 * b.max(0.1), "σ {a} vs {b}");
    }
    let stats = p.cache_stats();
    assert_eq!(stats.misses, 6, "{stats:?}");
}

#[test]
fn frozen_copy_is_independent_and_shares_the_cache() {
    let (p, x, w) = prior();
    let frozen = p.frozen_copy().unwrap();
    let before = frozen.log_prob_detached(&x).unwrap();
    let mut opt = ExactLatentOptimizer::new(&p, 1.0).unwrap();
    opt.step(&x, &w, 0).unwrap();
    assert_eq!(frozen.log_prob_detached(&x).unwrap(), before);
    assert_ne!(p.log_prob_detached(&x).unwrap(), before);
    assert_eq!(frozen.cache_stats(), p.cache_stats());
}

#[test]
fn sampling_is_seeded_and_follows_theta() {
    let (p, _, _) = prior();
    let a = p.sample(5, &mut StdRng::seed_from_u64(1)).unwrap();
    let b = p.sample(5, &mut StdRng::seed_from_u64(1)).unwrap();
    assert_eq!(a.to_vec2::<f32>().unwrap(), b.to_vec2::<f32>().unwrap());
    // With σ → 0 every sample is decode(μ).
    p.set_latent(&[0.3; 8], &[1e-12; 8]).unwrap();
    let s = p
        .sample(3, &mut StdRng::seed_from_u64(2))
        .unwrap()
        .to_vec2::<f32>()
        .unwrap();
    assert_eq!(s[0], s[2]);
}

/// In a basis, encodings are the basis' transform of the plain ones, θ starts at N(0, 0.2² I),
/// and a sample at σ → 0 decodes offset + B μ.
#[test]
fn a_basis_moves_encodings_and_samples_to_its_axes() {
    let (plain, x, w) = prior();
    let mut rng = StdRng::seed_from_u64(4);
    let more: Vec<f32> = (0..40 * 96).map(|_| rng.random_range(-1.0..1.0)).collect();
    let fit_x = Tensor::from_vec(more, (40, 96), &Device::Cpu).unwrap();
    let basis = LatentBasis::principal_axes(&plain.encode(&fit_x).unwrap(), 0.2).unwrap();
    let p = plain.clone().with_basis(basis.clone()).unwrap();
    assert_eq!(p.mean().unwrap(), vec![0.0; 8]);
    assert!(p.std().unwrap().iter().all(|s| (s - 0.2).abs() < 1e-6));
    let mut expected = plain.encode(&x).unwrap();
    basis.encodings_to_axes(&mut expected);
    let got = p.encode(&x).unwrap();
    assert_eq!(got.mean, expected.mean);
    assert_eq!(got.logvar, expected.logvar);
    // The exact update works in the axes too.
    let (mu, _) = p.exact_maximiser(&x, &w).unwrap().unwrap();
    let mut opt = ExactLatentOptimizer::new(&p, 1.0).unwrap();
    opt.step(&x, &w, 0).unwrap();
    assert_eq!(p.mean().unwrap(), mu);
    p.set_latent(&mu, &[1e-12; 8]).unwrap();
    let sample = p.sample(1, &mut StdRng::seed_from_u64(5)).unwrap();
    let mut z = mu.clone();
    basis.latents_from_axes(&mut z);
    let vae_decoded = p
        .nets
        .decode(&Tensor::from_vec(z, (1, 8), &Device::Cpu).unwrap(), None)
        .unwrap();
    let diff: f32 = (sample - vae_decoded)
        .unwrap()
        .abs()
        .unwrap()
        .max_all()
        .unwrap()
        .to_scalar()
        .unwrap();
    assert!(diff < 1e-5, "{diff}");
    // A basis of another size is refused.
    let (other, _, _) = prior();
    let mut wrong = basis.clone();
    wrong.dim = 7;
    assert!(other.with_basis(wrong).is_err());
}

#[test]
fn bad_inputs_are_errors() {
    let (p, x, w) = prior();
    let narrow = x.narrow(1, 0, 95).unwrap();
    assert!(p.log_prob(&narrow).is_err());
    let mut v = x.flatten_all().unwrap().to_vec1::<f32>().unwrap();
    v[100] = f32::NAN;
    let bad = Tensor::from_vec(v, (6, 96), &Device::Cpu).unwrap();
    let err = p.log_prob(&bad).unwrap_err().to_string();
    assert!(err.contains("non-finite") && err.contains("100"), "{err}");
    assert!(p.exact_maximiser(&x, &w[..5]).is_err());
    assert!(ExactLatentOptimizer::new(&p, 0.0).is_err());
    assert!(p.set_latent(&[0.0; 8], &[0.0; 8]).is_err());
    // Zero weights: no step.
    let mut opt = ExactLatentOptimizer::new(&p, 1.0).unwrap();
    opt.step(&x, &[0.0; 6], 0).unwrap();
    assert!(p.mean().unwrap().iter().all(|m| *m == 0.0));
}
