//! Benchmarks of the AR-GMM: sampling, log-likelihood, a training step.
//!
//! `cargo bench -p mace-models`. Randomly initialised weights of the IK prior's sizes (7 joints,
//! 3-D context); the cost does not depend on the weights' values.

#![allow(missing_docs)] // criterion's macros generate undocumented items

use candle_core::{Device, Tensor};
use candle_nn::{AdamW, Optimizer, ParamsAdamW};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use mace_core::GenerativeModel;
use mace_models::fast_train::{FastTrainer, TrainRows};
use mace_models::{ArGmm, ArGmmConfig};
use rand::{rngs::StdRng, SeedableRng};

#[allow(clippy::approx_constant)] // −3.1416 is the URDF's joint-4 limit, not π
fn config(hidden: Vec<usize>, components: usize) -> ArGmmConfig {
    ArGmmConfig {
        names: (1..=7).map(|j| format!("panda_joint{j}")).collect(),
        lower: vec![
            -2.9671, -1.8326, -2.9671, -3.1416, -2.9671, -0.0873, -2.9671,
        ],
        upper: vec![2.9671, 1.8326, 2.9671, 0.0, 2.9671, 3.8223, 2.9671],
        context_dim: 3,
        context_mean: vec![0.0, 0.0, 0.4],
        context_std: vec![0.4, 0.4, 0.3],
        hidden,
        components,
        min_std: 0.0025,
        range_slack: 1.1,
        chain: None,
        made_for: None,
    }
}

fn sizes() -> Vec<(&'static str, Vec<usize>, usize)> {
    vec![
        ("h128x2_k10", vec![128, 128], 10),
        ("h256x3_k10", vec![256, 256, 256], 10),
    ]
}

fn bench_sample(c: &mut Criterion) {
    let mut group = c.benchmark_group("ar_gmm_sample");
    group.sample_size(20);
    for (name, hidden, k) in sizes() {
        let model = ArGmm::new(config(hidden, k), 0)
            .unwrap()
            .conditioned(&[0.5, 0.0, 0.5])
            .unwrap();
        for n in [1000usize, 8192] {
            group.throughput(Throughput::Elements(n as u64));
            group.bench_function(BenchmarkId::new(name, n), |b| {
                let mut rng = StdRng::seed_from_u64(0);
                b.iter(|| model.sample(n, &mut rng).unwrap())
            });
        }
    }
    group.finish();
}

fn bench_log_prob(c: &mut Criterion) {
    let mut group = c.benchmark_group("ar_gmm_log_prob");
    group.sample_size(20);
    for (name, hidden, k) in sizes() {
        let model = ArGmm::new(config(hidden, k), 0)
            .unwrap()
            .conditioned(&[0.5, 0.0, 0.5])
            .unwrap();
        let x = model.sample(8192, &mut StdRng::seed_from_u64(0)).unwrap();
        group.throughput(Throughput::Elements(8192));
        group.bench_function(BenchmarkId::new(name, 8192), |b| {
            b.iter(|| model.log_prob(&x).unwrap())
        });
    }
    group.finish();
}

fn bench_train_step(c: &mut Criterion) {
    let mut group = c.benchmark_group("ar_gmm_train_step");
    group.sample_size(20);
    for (name, hidden, k) in sizes() {
        let model = ArGmm::new(config(hidden, k), 0).unwrap();
        let cm = model.conditioned(&[0.5, 0.0, 0.5]).unwrap();
        let batch = 1024;
        let x = cm.sample(batch, &mut StdRng::seed_from_u64(0)).unwrap();
        let ctx = Tensor::rand(-1f32, 1f32, (batch, 3), &Device::Cpu).unwrap();
        let mut opt = AdamW::new(model.vars(), ParamsAdamW::default()).unwrap();
        group.throughput(Throughput::Elements(batch as u64));
        group.bench_function(BenchmarkId::new(name, batch), |b| {
            b.iter(|| {
                let loss = model
                    .log_prob(&x, &ctx)
                    .unwrap()
                    .mean_all()
                    .unwrap()
                    .neg()
                    .unwrap();
                opt.backward_step(&loss).unwrap();
            })
        });
    }
    group.finish();
}

/// The hand-written trainer (what `mace ik train` uses) on the same sizes and batch.
fn bench_fast_train_step(c: &mut Criterion) {
    let mut group = c.benchmark_group("ar_gmm_fast_train_step");
    group.sample_size(20);
    for (name, hidden, k) in sizes() {
        let model = ArGmm::new(config(hidden, k), 0).unwrap();
        let cm = model.conditioned(&[0.5, 0.0, 0.5]).unwrap();
        let batch = 1024;
        let x = cm
            .sample(batch, &mut StdRng::seed_from_u64(0))
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        let ctx: Vec<f32> = (0..batch * 3).map(|i| (i % 7) as f32 * 0.1).collect();
        let rows = TrainRows::new(&model, &x, &ctx).unwrap();
        let mut trainer = FastTrainer::new(&model).unwrap();
        let index: Vec<u32> = (0..batch as u32).collect();
        group.throughput(Throughput::Elements(batch as u64));
        group.bench_function(BenchmarkId::new(name, batch), |b| {
            b.iter(|| trainer.step(&rows, &index, 1e-3))
        });
    }
    group.finish();
}

/// The shipped Panda prior (with kinematic features), loaded from `assets/priors/panda-ik`:
/// the figure the IK issue's bar is about.
fn bench_shipped(c: &mut Criterion) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/priors/panda-ik");
    let Ok((model, _)) = mace_models::checkpoint::load_ar_gmm(&dir) else {
        eprintln!("no shipped prior at {}: skipping", dir.display());
        return;
    };
    let sampler = mace_models::fast::ArGmmSampler::new(&model).unwrap();
    let mut group = c.benchmark_group("shipped_prior_sample");
    group.sample_size(30);
    for n in [1000usize, 8192] {
        group.throughput(Throughput::Elements(n as u64));
        group.bench_function(BenchmarkId::from_parameter(n), |b| {
            let mut rng = StdRng::seed_from_u64(0);
            b.iter(|| sampler.sample(&[0.5, 0.1, 0.4], n, &mut rng))
        });
        // What a tuner pays per fresh sample: a weight snapshot, then the draw.
        group.bench_function(BenchmarkId::new("with_snapshot", n), |b| {
            let mut rng = StdRng::seed_from_u64(0);
            b.iter(|| {
                mace_models::fast::ArGmmSampler::new(&model)
                    .unwrap()
                    .sample(&[0.5, 0.1, 0.4], n, &mut rng)
            })
        });
    }
    group.finish();
}

/// The point-cloud VAE at our CPU sizes: Chamfer assignments of a training batch (64 pairs of
/// 2048-point clouds, both directions), one training step at batch 64, sampling 128 clouds,
/// encoding 8, and one tuning iteration with the grasp settings (MACE-Adam, the exact update,
/// IS) against a free score.
fn bench_vae(c: &mut Criterion) {
    use mace_core::{NoObserver, Objective, TuneConfig, Tuner};
    use mace_models::vae::{
        chamfer, time_train_step, LatentUpdate, PointVae, PointVaeConfig, TunableLatentPrior,
    };
    use rand::Rng;
    let mut group = c.benchmark_group("vae");
    group.sample_size(10);
    let mut rng = StdRng::seed_from_u64(0);
    let mut cloud =
        |n: usize| -> Vec<f32> { (0..n).map(|_| rng.random_range(-1.0..1.0)).collect() };
    let (pred, target) = (cloud(64 * 6144), cloud(64 * 6144));
    group.bench_function("chamfer_assignments_64x2048", |b| {
        b.iter(|| chamfer::assign_batch(&pred, &target, 2048, 2048).unwrap())
    });
    let vae = PointVae::new(PointVaeConfig::cpu(), 0).unwrap();
    group.bench_function("train_step_64", |b| {
        b.iter_custom(|iters| {
            let step = time_train_step(&vae, 64, iters as usize + 1).unwrap();
            std::time::Duration::from_secs_f64(step * iters as f64)
        })
    });
    let prior = TunableLatentPrior::new(&vae).unwrap();
    group.bench_function("sample_128", |b| {
        let mut r = StdRng::seed_from_u64(1);
        b.iter(|| prior.sample(128, &mut r).unwrap())
    });
    let x8 = Tensor::from_slice(&target[..8 * 6144], (8, 6144), &Device::Cpu).unwrap();
    group.bench_function("encode_8", |b| b.iter(|| vae.encode(&x8).unwrap()));
    let config = TuneConfig {
        iterations: 16,
        ..TuneConfig::grasp()
    };
    for (name, objective, update) in [
        ("tune_16_mace_adam", Objective::Mace, LatentUpdate::Adam),
        (
            "tune_16_mace_exact",
            Objective::Mace,
            LatentUpdate::Exact { step_fraction: 1.0 },
        ),
        ("tune_16_is_adam", Objective::Is, LatentUpdate::Adam),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                let model = TunableLatentPrior::new(&vae).unwrap().with_update(update);
                Tuner::new(config.clone(), objective)
                    .unwrap()
                    .run(&model, &ExtentEvidence, &mut NoObserver)
                    .unwrap()
            })
        });
    }
    group.finish();
}

/// Scores clouds by their extent along x: a stand-in for the grasp simulator that costs nothing.
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

criterion_group!(
    benches,
    bench_vae,
    bench_sample,
    bench_log_prob,
    bench_train_step,
    bench_fast_train_step,
    bench_shipped
);
criterion_main!(benches);
