//! Criterion benches of the robot simulator: batched FK, FK + full collision check (self + scene
//! + ground), signed distances. `cargo bench -p mace-robot`.

#![allow(missing_docs)] // criterion's macros generate undocumented items

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use mace_robot::{CollisionModel, KinematicChain, Scene};
use rand::{rngs::StdRng, SeedableRng};

fn fk(c: &mut Criterion) {
    let chain = KinematicChain::panda();
    let mut g = c.benchmark_group("fk");
    for n in [4096usize, 65536] {
        let q = chain.sample_uniform(n, &mut StdRng::seed_from_u64(0));
        let mut out = vec![mace_robot::Pose::IDENTITY; n * chain.links().len()];
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::new("all_links", n), &q, |b, q| {
            b.iter(|| chain.forward_kinematics_into(q, &mut out).unwrap())
        });
    }
    g.finish();
}

fn collision(c: &mut Criterion) {
    let chain = KinematicChain::panda();
    let mut g = c.benchmark_group("fk_collision");
    g.sample_size(20);
    for n in [8192usize, 262144] {
        let q = chain.sample_uniform(n, &mut StdRng::seed_from_u64(1));
        g.throughput(Throughput::Elements(n as u64));
        for name in ["wall", "window", "box"] {
            let model = CollisionModel::new(&chain, &Scene::by_name(name).unwrap());
            g.bench_with_input(
                BenchmarkId::new(format!("collides/{name}"), n),
                &q,
                |b, q| b.iter(|| model.collides_batch(q).unwrap()),
            );
            g.bench_with_input(
                BenchmarkId::new(format!("check_flags/{name}"), n),
                &q,
                |b, q| b.iter(|| model.check_batch(q).unwrap()),
            );
        }
        if n <= 8192 {
            let model = CollisionModel::new(&chain, &Scene::by_name("box").unwrap());
            g.bench_with_input(BenchmarkId::new("distances/box", n), &q, |b, q| {
                b.iter(|| model.distances_batch(q).unwrap())
            });
        }
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default();
    targets = fk, collision
}
criterion_main!(benches);
