//! Benchmarks of the tuner's own overhead: everything but the model and the simulator.
//!
//! `cargo bench -p mace-core`. The model here draws a pre-built tensor and its log-likelihood is
//! one multiply; the evidence returns pre-computed scores. What remains is elite selection,
//! mini-batch indexing, the loss, the backward pass over one variable, Adam and bookkeeping.

#![allow(missing_docs)] // criterion's macros generate undocumented items

use candle_core::{Device, Tensor, Var};
use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use mace_core::{
    select_elites, Evidence, GenerativeModel, NoObserver, Objective, TuneConfig, Tuner,
};
use rand::{rngs::StdRng, Rng, SeedableRng};

/// A model whose own cost is negligible: fixed samples `(n, 7)`, log p = a · Σx.
struct Trivial {
    a: Var,
    samples: Tensor,
}

impl GenerativeModel for Trivial {
    fn sample(&self, n: usize, _rng: &mut StdRng) -> mace_core::Result<Tensor> {
        Ok(self.samples.narrow(0, 0, n)?)
    }
    fn log_prob(&self, x: &Tensor) -> mace_core::Result<Tensor> {
        Ok(x.sum(1)?.broadcast_mul(self.a.as_tensor())?)
    }
    fn trainable_vars(&self) -> Vec<Var> {
        vec![self.a.clone()]
    }
    fn frozen_copy(&self) -> mace_core::Result<Self> {
        Ok(Self {
            a: Var::from_tensor(&self.a.as_tensor().copy()?)?,
            samples: self.samples.clone(),
        })
    }
}

struct Precomputed(Vec<f32>);

impl Evidence for Precomputed {
    fn evaluate(&self, _samples: &Tensor) -> mace_core::Result<Vec<f32>> {
        Ok(self.0.clone())
    }
}

fn scores(n: usize) -> Vec<f32> {
    let mut rng = StdRng::seed_from_u64(0);
    (0..n).map(|_| rng.random::<f32>()).collect()
}

fn bench_elites(c: &mut Criterion) {
    let mut group = c.benchmark_group("select_elites");
    for n in [1024usize, 8192, 65536] {
        let s = scores(n);
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &s, |b, s| {
            b.iter(|| select_elites(black_box(s), n / 256))
        });
    }
    group.finish();
}

fn bench_iteration(c: &mut Criterion) {
    let mut group = c.benchmark_group("tuner_iteration");
    let n = 8192;
    let dev = Device::Cpu;
    let samples = Tensor::rand(0f32, 1f32, (n, 7), &dev).unwrap();
    let evidence = Precomputed(scores(n));
    for objective in [Objective::Mace, Objective::Is] {
        // One iteration = one resample + one step, so the figure is the overhead per fresh sample.
        let cfg = TuneConfig {
            iterations: 1,
            grad_steps: 1,
            ..TuneConfig::panda_ik()
        };
        group.bench_function(BenchmarkId::new(objective.to_string(), n), |b| {
            b.iter(|| {
                let model = Trivial {
                    a: Var::from_vec(vec![0.1f32], 1, &dev).unwrap(),
                    samples: samples.clone(),
                };
                Tuner::new(cfg.clone(), objective)
                    .unwrap()
                    .run(&model, &evidence, &mut NoObserver)
                    .unwrap()
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default();
    targets = bench_elites, bench_iteration
}
criterion_main!(benches);
