//! Timings of the point-cloud VAE on this machine (ignored by default; they take a minute):
//!
//! ```text
//! cargo test --release -p mace-models --test vae_timing -- --ignored --nocapture
//! ```
//!
//! `VAE_TIMING=paper,cpu,…` picks the configurations (default: all of them).

use std::time::Instant;

use candle_core::{Device, Tensor};
use mace_core::GenerativeModel;
use mace_models::vae::{chamfer, time_train_step, PointVae, PointVaeConfig, TunableLatentPrior};
use rand::{rngs::StdRng, Rng, SeedableRng};

fn configs() -> Vec<(&'static str, PointVaeConfig)> {
    let all = vec![
        ("paper", PointVaeConfig::paper()),
        (
            "paper-enc512",
            PointVaeConfig {
                encoder_points: 512,
                ..PointVaeConfig::paper()
            },
        ),
        ("cpu", PointVaeConfig::cpu()),
        (
            "cpu-enc2048",
            PointVaeConfig {
                encoder_points: 2048,
                ..PointVaeConfig::cpu()
            },
        ),
        (
            "cpu-dec512",
            PointVaeConfig {
                decoder_widths: vec![64, 128, 512],
                ..PointVaeConfig::cpu()
            },
        ),
    ];
    match std::env::var("VAE_TIMING") {
        Ok(list) => all
            .into_iter()
            .filter(|(n, _)| list.split(',').any(|x| x == *n))
            .collect(),
        Err(_) => all,
    }
}

fn best_of<F: FnMut()>(reps: usize, mut f: F) -> f64 {
    (0..reps)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

#[test]
#[ignore = "timing; run with --ignored --nocapture"]
fn vae_timings() {
    println!("rayon threads: {}", rayon::current_num_threads());
    let mut rng = StdRng::seed_from_u64(0);
    let clouds: Vec<f32> = (0..64 * 6144)
        .map(|_| rng.random_range(-1.0..1.0))
        .collect();
    let pred: Vec<f32> = (0..64 * 6144)
        .map(|_| rng.random_range(-1.0..1.0))
        .collect();
    let t = best_of(3, || {
        chamfer::chamfer_batch(&pred, &clouds, 2048, 2048).unwrap();
    });
    println!(
        "nearest neighbours, 64 pairs of 2048-point clouds: {:.1} ms",
        1e3 * t
    );

    for (name, cfg) in configs() {
        let params = cfg.parameter_count();
        let vae = PointVae::new(cfg, 0).unwrap();
        let step = time_train_step(&vae, 64, 3).unwrap();
        let prior = TunableLatentPrior::new(&vae).unwrap();
        let mut r = StdRng::seed_from_u64(1);
        let sample = best_of(3, || {
            prior.sample(128, &mut r).unwrap();
        });
        let x8 = Tensor::from_slice(&clouds[..8 * 6144], (8, 6144), &Device::Cpu).unwrap();
        let encode = best_of(5, || {
            vae.encode(&x8).unwrap();
        });
        println!(
            "{name:>13}: {:.2} M params; train step @64: {:.0} ms; \
             sample 128: {:.1} ms; encode 8: {:.1} ms",
            params as f64 / 1e6,
            1e3 * step,
            1e3 * sample,
            1e3 * encode
        );
    }
}

/// A two-mode toy family at 2048 points: an ellipsoid body (radii in [0.15, 0.6] × [0.1, 0.3]²)
/// with, in half of the shapes, a flat "wing" ellipsoid across it (span in [0.5, 0.9]).
fn toy_planes(count: usize, seed: u64) -> Vec<f32> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut out = Vec::with_capacity(count * 6144);
    for _ in 0..count {
        let body = [
            rng.random_range(0.3..0.6f32),
            rng.random_range(0.1..0.3f32),
            rng.random_range(0.1..0.3f32),
        ];
        let wing = rng
            .random_bool(0.5)
            .then(|| [0.12f32, rng.random_range(0.5..0.9f32), 0.02]);
        for p in 0..2048 {
            let r = match wing {
                Some(w) if p % 3 == 0 => w,
                _ => body,
            };
            let u: [f32; 3] = std::array::from_fn(|_| rng.sample(rand_distr::StandardNormal));
            let norm = (u[0] * u[0] + u[1] * u[1] + u[2] * u[2]).sqrt().max(1e-6);
            out.extend((0..3).map(|k| r[k] * u[k] / norm));
        }
    }
    out
}

/// Mean over `a`'s clouds of the Chamfer distance to the nearest cloud of `b` (both `(·, 6144)`).
fn mean_min_chamfer(a: &[f32], b: &[f32]) -> f64 {
    let w = 6144;
    let nb = b.len() / w;
    let per: Vec<f64> = a
        .chunks_exact(w)
        .map(|x| {
            let rep: Vec<f32> = x.repeat(nb);
            chamfer::chamfer_batch(&rep, b, 2048, 2048)
                .unwrap()
                .into_iter()
                .fold(f32::INFINITY, f32::min) as f64
        })
        .collect();
    per.iter().sum::<f64>() / per.len() as f64
}

/// β sweep on the toy family with the `cpu` sizes: held-out reconstruction, fidelity of prior
/// samples (mean Chamfer to the nearest held-out shape) and coverage (mean Chamfer from each
/// held-out shape to the nearest prior sample). `VAE_BETAS=1e-6,1e-5,…`, `VAE_EPOCHS=…`.
#[test]
#[ignore = "experiment; minutes"]
fn vae_beta_sweep() {
    use mace_models::vae::{train_point_vae, VaeTrainConfig};
    let betas: Vec<f64> = std::env::var("VAE_BETAS")
        .unwrap_or_else(|_| "1e-6,1e-5,1e-4".into())
        .split(',')
        .map(|s| s.parse().unwrap())
        .collect();
    let epochs: usize = std::env::var("VAE_EPOCHS")
        .ok()
        .map_or(15, |s| s.parse().unwrap());
    let train = toy_planes(640, 1);
    let held = toy_planes(64, 2);
    for beta in betas {
        let vae = PointVae::new(PointVaeConfig::cpu(), 0).unwrap();
        let cfg = VaeTrainConfig {
            epochs,
            beta,
            ..VaeTrainConfig::default()
        };
        let record = train_point_vae(&vae, &train, &held, &cfg, &mut |s, _| {
            eprintln!(
                "  β {beta:e} epoch {:>3}: train CD {:.5} KL {:7.2} held-out CD {:.5} ({:.0} s)",
                s.epoch, s.train_chamfer, s.train_kl, s.heldout_chamfer, s.elapsed_s
            );
            Ok(())
        })
        .unwrap();
        let samples = vae
            .sample(64, &mut StdRng::seed_from_u64(5))
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        let fidelity = mean_min_chamfer(&samples, &held);
        let coverage = mean_min_chamfer(&held, &samples);
        println!(
            "β {beta:e}: held-out CD {:.5}, prior-sample fidelity {fidelity:.5}, coverage \
             {coverage:.5}, KL {:.1}, {:.0} s",
            record.best_heldout_chamfer,
            record.history.last().unwrap().train_kl,
            record.wall_time_s
        );
    }
}

/// Scores clouds by their extent along x (a stand-in for the grasp simulator, ~free).
struct ExtentEvidence;

impl mace_core::Evidence for ExtentEvidence {
    fn evaluate(&self, samples: &Tensor) -> mace_core::Result<Vec<f32>> {
        Ok(samples
            .to_vec2::<f32>()?
            .iter()
            .map(|r| {
                let x = r.chunks_exact(3).map(|p| p[0]).fold(f32::MIN, f32::max);
                (1.0 - (x - 0.5).abs()).clamp(0.0, 1.0)
            })
            .collect())
    }
}

/// The tuner on the `cpu` sizes with the reference grasp settings (128 / 128 / q = 1/16 /
/// 8 grad steps), 48 iterations: MACE-Adam with and without the encoder cache, the exact
/// update, and IS.
#[test]
#[ignore = "timing; run with --ignored --nocapture"]
fn vae_tuning_timings() {
    use mace_core::{NoObserver, Objective, TuneConfig, Tuner};
    use mace_models::vae::LatentUpdate;
    let vae = PointVae::new(PointVaeConfig::cpu(), 0).unwrap();
    let cfg = TuneConfig {
        iterations: 48,
        ..TuneConfig::grasp()
    };
    let runs = [
        (
            "mace adam, cache",
            Objective::Mace,
            LatentUpdate::Adam,
            true,
        ),
        (
            "mace adam, no cache",
            Objective::Mace,
            LatentUpdate::Adam,
            false,
        ),
        (
            "mace exact, cache",
            Objective::Mace,
            LatentUpdate::Exact { step_fraction: 1.0 },
            true,
        ),
        ("is adam, cache", Objective::Is, LatentUpdate::Adam, true),
        (
            "is adam, no cache",
            Objective::Is,
            LatentUpdate::Adam,
            false,
        ),
    ];
    for (name, objective, update, cache) in runs {
        let mut prior = TunableLatentPrior::new(&vae).unwrap().with_update(update);
        if !cache {
            prior = prior.with_encoder_cache(0);
        }
        let report = Tuner::new(cfg.clone(), objective)
            .unwrap()
            .run(&prior, &ExtentEvidence, &mut NoObserver)
            .unwrap();
        let t = &report.timings;
        println!(
            "{name:>20}: {:.1} ms/iteration (sample {:.1}, update {:.1}); cache {:?}",
            1e3 * t.total_s / 48.0,
            1e3 * t.sample_s / 48.0,
            1e3 * t.update_s / 48.0,
            prior.cache_stats()
        );
    }
}
