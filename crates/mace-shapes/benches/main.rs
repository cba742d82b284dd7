//! Criterion benches of the shape crate: Chamfer of two 2048-point clouds (tiled kernel, and the
//! k-d trees for reference), the pairwise diversity of 49 clouds of 2048 points, grasp
//! simulation of a 128-cloud batch, airplane generation. `cargo bench -p mace-shapes`.

#![allow(missing_docs)] // criterion's macros generate undocumented items

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use mace_shapes::{chamfer, pairwise_diversity, AirplaneFamily, GraspSimulator, NnIndex};

/// The k-d tree (kiddo) Chamfer through [`NnIndex`]: the reference the tiled kernel is
/// measured against.
fn chamfer_kiddo(a: &[[f32; 3]], b: &[[f32; 3]]) -> f64 {
    let (ta, tb) = (NnIndex::new(a).unwrap(), NnIndex::new(b).unwrap());
    tb.mean_nearest_sq(a) + ta.mean_nearest_sq(b)
}

fn chamfer_2048(c: &mut Criterion) {
    let clouds = AirplaneFamily::default().generate(49, 0).unwrap();
    let mut g = c.benchmark_group("chamfer");
    g.bench_function("2048x2048", |b| {
        b.iter(|| chamfer(&clouds[0], &clouds[1]).unwrap())
    });
    g.bench_function("2048x2048_kiddo", |b| {
        b.iter(|| chamfer_kiddo(&clouds[0], &clouds[1]))
    });
    g.sample_size(10);
    g.bench_function("pairwise_diversity_49x2048", |b| {
        b.iter(|| pairwise_diversity(&clouds).unwrap())
    });
    g.finish();
}

fn grasp(c: &mut Criterion) {
    let clouds = AirplaneFamily::default().generate(128, 1).unwrap();
    let flat: Vec<f32> = clouds.iter().flat_map(|c| c.as_flat().to_vec()).collect();
    let sim = GraspSimulator::in_distribution();
    let mut g = c.benchmark_group("grasp");
    g.throughput(Throughput::Elements(128));
    g.bench_function("simulate_128x2048", |b| {
        b.iter(|| sim.simulate_flat(&flat, 2048).unwrap())
    });
    g.finish();
}

fn airplanes(c: &mut Criterion) {
    let family = AirplaneFamily::default();
    let mut g = c.benchmark_group("airplane");
    g.throughput(Throughput::Elements(100));
    g.sample_size(20);
    g.bench_function("generate_100", |b| {
        b.iter(|| family.generate(100, 2).unwrap())
    });
    g.finish();
}

criterion_group!(benches, chamfer_2048, grasp, airplanes);
criterion_main!(benches);
