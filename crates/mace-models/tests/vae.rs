//! Integration tests of the point-cloud VAE, MACE-VAE and the CVAE on a toy family of shapes:
//! ellipsoid surfaces with random radii in [0.3, 1.0] (a one-parameter-per-axis family that a
//! VAE with a small latent learns in seconds).
//!
//! - training lowers the held-out Chamfer distance and restores the best epoch;
//! - training and sampling are seeded;
//! - checkpoints round-trip (f32 exactly, f16 to rounding) and load errors name file and tensor;
//! - bad inputs (wrong widths, NaN) are errors;
//! - the tuner moves the latent prior towards an observation with MACE (Adam), the exact update
//!   and IS;
//! - the CVAE learns to follow its condition.

use std::path::PathBuf;
use std::sync::OnceLock;

use candle_core::{Device, Tensor};
use mace_core::{Evidence, GenerativeModel, NoObserver, Objective, TuneConfig, Tuner};
use mace_models::vae::checkpoint::{
    load_cvae, load_point_vae, save_cvae, save_point_vae, WeightsDtype,
};
use mace_models::vae::{
    chamfer, train_cvae, train_point_vae, Cvae, LatentUpdate, PointVae, PointVaeConfig,
    TunableLatentPrior, VaeTrainConfig, VaeTrainingRecord,
};
use mace_models::Error;
use rand::{rngs::StdRng, Rng, SeedableRng};
use rand_distr::StandardNormal;

const N: usize = 64;

fn config() -> PointVaeConfig {
    PointVaeConfig {
        n_points: N,
        encoder_points: 48,
        point_widths: vec![32, 64],
        global_widths: vec![64],
        latent_dim: 8,
        decoder_widths: vec![64, 128],
        prior_std: 0.2,
        cond_dim: 0,
    }
}

/// `count` ellipsoids: radii uniform in [0.3, 1.0], `N` points uniform in direction. Returns the
/// clouds `(count, 3N)` and the radii `(count, 3)`.
fn ellipsoids(count: usize, seed: u64) -> (Vec<f32>, Vec<f32>) {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut clouds = Vec::with_capacity(count * 3 * N);
    let mut radii = Vec::with_capacity(count * 3);
    for _ in 0..count {
        let r: [f32; 3] = std::array::from_fn(|_| rng.random_range(0.3..1.0));
        radii.extend(r);
        for _ in 0..N {
            let u: [f32; 3] = std::array::from_fn(|_| rng.sample(StandardNormal));
            let norm = (u[0] * u[0] + u[1] * u[1] + u[2] * u[2]).sqrt().max(1e-6);
            clouds.extend((0..3).map(|k| r[k] * u[k] / norm));
        }
    }
    (clouds, radii)
}

fn train_config() -> VaeTrainConfig {
    VaeTrainConfig {
        epochs: 30,
        batch_size: 32,
        lr: 2e-3,
        beta: 1e-3,
        seed: 1,
        ..VaeTrainConfig::default()
    }
}

fn heldout_chamfer(vae: &PointVae, clouds: &[f32]) -> f64 {
    let x = Tensor::from_slice(clouds, (clouds.len() / (3 * N), 3 * N), &Device::Cpu).unwrap();
    let r = vae.reconstruct(&x).unwrap().flatten_all().unwrap();
    let cd = chamfer::chamfer_batch(&r.to_vec1::<f32>().unwrap(), clouds, N, N).unwrap();
    cd.iter().map(|&c| c as f64).sum::<f64>() / cd.len() as f64
}

/// One trained model shared by the tests (training takes a few seconds), with its record and the
/// untrained held-out Chamfer.
fn trained() -> &'static (PointVae, VaeTrainingRecord, f64) {
    static MODEL: OnceLock<(PointVae, VaeTrainingRecord, f64)> = OnceLock::new();
    MODEL.get_or_init(|| {
        let (train, _) = ellipsoids(600, 1);
        let (held, _) = ellipsoids(60, 2);
        let vae = PointVae::new(config(), 0).unwrap();
        let before = heldout_chamfer(&vae, &held);
        let mut calls = Vec::new();
        let record = train_point_vae(&vae, &train, &held, &train_config(), &mut |s, improved| {
            calls.push((s.epoch, improved));
            Ok(())
        })
        .unwrap();
        assert_eq!(calls.len(), 30);
        assert!(calls[0].1, "the first epoch is always an improvement");
        (vae, record, before)
    })
}

/// A fresh folder for one test, removed when the guard drops (also when the test fails).
fn tmpdir(name: &str) -> (tempfile::TempDir, PathBuf) {
    let guard = tempfile::Builder::new()
        .prefix(&format!("mace-vae-{name}-"))
        .tempdir()
        .unwrap();
    let d = guard.path().join("model");
    (guard, d)
}

#[test]
fn vae_training_lowers_heldout_chamfer_and_keeps_the_best_epoch() {
    let (vae, record, before) = trained();
    let (held, _) = ellipsoids(60, 2);
    let after = heldout_chamfer(vae, &held);
    eprintln!(
        "held-out Chamfer {before:.4} → {after:.4} (best epoch {} of {}; {:.1} s); KL {:.2}",
        record.best_epoch,
        record.history.len(),
        record.wall_time_s,
        record.history.last().unwrap().train_kl
    );
    assert!(after < 0.25 * before, "{before} → {after}");
    // The model holds the best epoch's weights.
    assert!((after - record.best_heldout_chamfer).abs() < 1e-6 * (1.0 + after));
    let best = record
        .history
        .iter()
        .map(|s| s.heldout_chamfer)
        .fold(f64::INFINITY, f64::min);
    assert_eq!(best, record.best_heldout_chamfer);
}

#[test]
fn vae_training_and_sampling_are_seeded() {
    let (train, _) = ellipsoids(64, 3);
    let (held, _) = ellipsoids(8, 4);
    let cfg = VaeTrainConfig {
        epochs: 2,
        ..train_config()
    };
    let run = || {
        let vae = PointVae::new(config(), 5).unwrap();
        train_point_vae(&vae, &train, &held, &cfg, &mut |_, _| Ok(())).unwrap();
        vae.sample(4, &mut StdRng::seed_from_u64(6))
            .unwrap()
            .to_vec2::<f32>()
            .unwrap()
    };
    assert_eq!(run(), run());
}

#[test]
fn vae_checkpoints_round_trip() {
    let (vae, record, _) = trained();
    let (_guard_dir, dir) = tmpdir("rt");
    save_point_vae(vae, Some(record), WeightsDtype::F32, &dir).unwrap();
    assert!(!dir.join("weights.safetensors.tmp").exists());
    let (loaded, info) = load_point_vae(&dir).unwrap();
    assert_eq!(&info.model, vae.config());
    let stored = info.training.unwrap();
    assert_eq!(stored.best_epoch, record.best_epoch);
    assert_eq!(stored.history.len(), record.history.len());
    assert_eq!(stored.config, record.config);
    let a = vae.sample(3, &mut StdRng::seed_from_u64(1)).unwrap();
    let b = loaded.sample(3, &mut StdRng::seed_from_u64(1)).unwrap();
    assert_eq!(a.to_vec2::<f32>().unwrap(), b.to_vec2::<f32>().unwrap());

    // f16: every weight loads back as its nearest f16.
    let (_guard_dir16, dir16) = tmpdir("rt16");
    save_point_vae(vae, None, WeightsDtype::F16, &dir16).unwrap();
    let (half, info) = load_point_vae(&dir16).unwrap();
    assert_eq!(info.weights_dtype, WeightsDtype::F16);
    let vars = |m: &PointVae| {
        let data = m.varmap().data().lock().unwrap();
        let mut v: Vec<(String, Vec<f32>)> = data
            .iter()
            .map(|(n, v)| {
                (
                    n.clone(),
                    v.flatten_all().unwrap().to_vec1::<f32>().unwrap(),
                )
            })
            .collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    };
    for ((n1, w1), (n2, w2)) in vars(vae).iter().zip(vars(&half).iter()) {
        assert_eq!(n1, n2);
        let rounded = Tensor::from_slice(w1, w1.len(), &Device::Cpu)
            .unwrap()
            .to_dtype(candle_core::DType::F16)
            .unwrap()
            .to_dtype(candle_core::DType::F32)
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        assert_eq!(&rounded, w2, "{n1}");
    }
    // …and reconstructs about as well.
    let (held, _) = ellipsoids(60, 2);
    let (c32, c16) = (heldout_chamfer(vae, &held), heldout_chamfer(&half, &held));
    assert!((c16 - c32).abs() < 0.05 * c32, "{c32} vs {c16}");
}

#[test]
fn vae_the_cpu_configuration_fits_the_file_budget() {
    let vae = PointVae::new(PointVaeConfig::cpu(), 0).unwrap();
    let (_guard_dir, dir) = tmpdir("size");
    save_point_vae(&vae, None, WeightsDtype::F16, &dir).unwrap();
    let bytes = std::fs::metadata(dir.join("weights.safetensors"))
        .unwrap()
        .len();
    eprintln!(
        "cpu() as f16: {bytes} bytes, {} parameters",
        vae.parameter_count()
    );
    assert!(bytes <= 30_000_000, "{bytes}");
    let (loaded, _) = load_point_vae(&dir).unwrap();
    assert_eq!(loaded.parameter_count(), vae.parameter_count());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn vae_load_errors_name_the_file_and_the_tensor() {
    let vae = PointVae::new(config(), 0).unwrap();
    let (_guard_dir, dir) = tmpdir("bad");
    let err = load_point_vae(&dir).unwrap_err().to_string();
    assert!(err.contains("config.json"), "{err}");

    save_point_vae(&vae, None, WeightsDtype::F32, &dir).unwrap();
    let err = load_cvae(&dir).unwrap_err().to_string();
    assert!(
        err.contains("config.json") && err.contains("mace-point-vae"),
        "{err}"
    );

    // A tensor missing from the weights.
    let weights = dir.join("weights.safetensors");
    let mut tensors = candle_core::safetensors::load(&weights, &Device::Cpu).unwrap();
    tensors.remove("decoder.l1.bias").unwrap();
    candle_core::safetensors::save(&tensors, &weights).unwrap();
    let err = load_point_vae(&dir).unwrap_err().to_string();
    assert!(
        err.contains("weights.safetensors") && err.contains("decoder.l1.bias"),
        "{err}"
    );

    // Weights of other sizes than the config says.
    save_point_vae(&vae, None, WeightsDtype::F32, &dir).unwrap();
    let other = PointVae::new(
        PointVaeConfig {
            decoder_widths: vec![64, 100],
            ..config()
        },
        0,
    )
    .unwrap();
    let (_guard_other_dir, other_dir) = tmpdir("bad-other");
    save_point_vae(&other, None, WeightsDtype::F32, &other_dir).unwrap();
    std::fs::copy(other_dir.join("config.json"), dir.join("config.json")).unwrap();
    let err = load_point_vae(&dir).unwrap_err().to_string();
    assert!(
        err.contains("weights.safetensors") && err.contains("shape"),
        "{err}"
    );

    std::fs::write(&weights, b"not safetensors").unwrap();
    let err = load_point_vae(&dir).unwrap_err().to_string();
    assert!(err.contains("weights.safetensors"), "{err}");
    std::fs::remove_file(&weights).unwrap();
    let err = load_point_vae(&dir).unwrap_err().to_string();
    assert!(err.contains("not found"), "{err}");
    std::fs::write(dir.join("config.json"), b"{").unwrap();
    let err = load_point_vae(&dir).unwrap_err().to_string();
    assert!(err.contains("invalid JSON"), "{err}");
}

#[test]
fn vae_bad_inputs_are_clear_errors() {
    let vae = PointVae::new(config(), 0).unwrap();
    let wrong = Tensor::zeros((2, 3 * N - 3), candle_core::DType::F32, &Device::Cpu).unwrap();
    assert!(matches!(
        vae.encode(&wrong),
        Err(Error::ShapeMismatch { .. })
    ));
    let z = Tensor::zeros((2, 7), candle_core::DType::F32, &Device::Cpu).unwrap();
    assert!(matches!(vae.decode(&z), Err(Error::ShapeMismatch { .. })));

    let (mut clouds, _) = ellipsoids(4, 0);
    clouds[3 * N + 5] = f32::NAN;
    let x = Tensor::from_slice(&clouds, (4, 3 * N), &Device::Cpu).unwrap();
    match vae.encode(&x) {
        Err(Error::NonFinite { index, .. }) => assert_eq!(index, 3 * N + 5),
        other => panic!("{other:?}"),
    }
    let (held, _) = ellipsoids(2, 1);
    let err = train_point_vae(&vae, &clouds, &held, &train_config(), &mut |_, _| Ok(()));
    assert!(matches!(err, Err(Error::NonFinite { .. })), "{err:?}");
    let err = train_point_vae(&vae, &held[1..], &held, &train_config(), &mut |_, _| Ok(()));
    assert!(matches!(err, Err(Error::ShapeMismatch { .. })), "{err:?}");
    assert!(PointVae::new(config().with_cond_dim(3), 0).is_err());
    assert!(Cvae::new(config(), 0).is_err());
}

/// Scores a cloud by how close its extent along x is to `target`: 1 − 2 |max_x − target|.
struct ExtentEvidence {
    target: f32,
}

impl Evidence for ExtentEvidence {
    fn evaluate(&self, samples: &Tensor) -> mace_core::Result<Vec<f32>> {
        let rows = samples.to_vec2::<f32>()?;
        Ok(rows
            .iter()
            .map(|r| {
                let max_x = r.chunks_exact(3).map(|p| p[0]).fold(f32::MIN, f32::max);
                (1.0 - 2.0 * (max_x - self.target).abs()).clamp(0.0, 1.0)
            })
            .collect())
    }
}

fn mean_score(prior: &TunableLatentPrior, evidence: &ExtentEvidence) -> f32 {
    let x = prior.sample(256, &mut StdRng::seed_from_u64(99)).unwrap();
    let s = evidence.evaluate(&x).unwrap();
    s.iter().sum::<f32>() / s.len() as f32
}

#[test]
fn vae_tuning_moves_the_latent_prior_towards_the_evidence() {
    let (vae, _, _) = trained();
    let evidence = ExtentEvidence { target: 0.95 };
    let cfg = TuneConfig {
        iterations: 40,
        seed: 3,
        lr: 2e-2,
        ..TuneConfig::grasp()
    };
    let base = mean_score(&TunableLatentPrior::new(vae).unwrap(), &evidence);
    for (objective, update) in [
        (Objective::Mace, LatentUpdate::Adam),
        (Objective::Mace, LatentUpdate::Exact { step_fraction: 0.5 }),
        (Objective::Is, LatentUpdate::Adam),
    ] {
        let prior = TunableLatentPrior::new(vae).unwrap().with_update(update);
        let report = Tuner::new(cfg.clone(), objective)
            .unwrap()
            .run(&prior, &evidence, &mut NoObserver)
            .unwrap();
        let after = mean_score(&prior, &evidence);
        let stats = prior.cache_stats();
        eprintln!(
            "{objective} {update:?}: mean score {base:.3} → {after:.3} in {:.2} s; cache {stats:?}",
            report.timings.total_s
        );
        assert!(
            after > base + 0.1,
            "{objective} {update:?}: {base} → {after}"
        );
        assert!(stats.hits > 0);
    }
}

#[test]
fn vae_the_cvae_follows_its_condition() {
    // Condition: the three radii.
    let (train, radii) = ellipsoids(600, 11);
    let (held, held_radii) = ellipsoids(60, 12);
    let cvae = Cvae::new(config().with_cond_dim(3), 0).unwrap();
    let record = train_cvae(
        &cvae,
        &train,
        &radii,
        &held,
        &held_radii,
        &VaeTrainConfig {
            epochs: 20,
            ..train_config()
        },
        &mut |_, _| Ok(()),
    )
    .unwrap();
    assert!(record.best_heldout_chamfer < 0.5 * record.history[0].heldout_chamfer.max(0.02));
    // Samples for a long-x condition reach further along x than for a short-x one.
    let extent = |c: [f32; 3]| {
        let x = cvae
            .sample(32, &c, &mut StdRng::seed_from_u64(1))
            .unwrap()
            .to_vec2::<f32>()
            .unwrap();
        x.iter()
            .map(|r| r.chunks_exact(3).map(|p| p[0]).fold(f32::MIN, f32::max))
            .sum::<f32>()
            / 32.0
    };
    let (long, short) = (extent([0.95, 0.5, 0.5]), extent([0.35, 0.5, 0.5]));
    eprintln!("CVAE x extent: long {long:.3}, short {short:.3}");
    assert!(long > short + 0.3, "{long} vs {short}");
    assert!(cvae
        .sample(2, &[0.5, 0.5], &mut StdRng::seed_from_u64(0))
        .is_err());

    let (_guard_dir, dir) = tmpdir("cvae");
    save_cvae(&cvae, Some(&record), WeightsDtype::F32, &dir).unwrap();
    let (loaded, _) = load_cvae(&dir).unwrap();
    let a = cvae
        .sample(2, &[0.5; 3], &mut StdRng::seed_from_u64(4))
        .unwrap();
    let b = loaded
        .sample(2, &[0.5; 3], &mut StdRng::seed_from_u64(4))
        .unwrap();
    assert_eq!(a.to_vec2::<f32>().unwrap(), b.to_vec2::<f32>().unwrap());
    assert!(load_point_vae(&dir).is_err());
}
