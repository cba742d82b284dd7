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

/// Boxes, spheres and capsules around the arm (no meshes, no clouds).
const PRIMITIVES: &str = r#"
target = [0.5, 0.0, 0.5]
[[boxes]]
center = [0.6, 0.0, 0.1]
size = [0.4, 0.6, 0.2]
[[boxes]]
center = [0.0, 0.6, 0.4]
size = [0.3, 0.1, 0.8]
[[spheres]]
center = [0.4, 0.4, 0.6]
radius = 0.08
[[spheres]]
center = [-0.4, 0.2, 0.3]
radius = 0.12
[[capsules]]
center = [0.3, -0.4, 0.4]
radius = 0.05
length = 0.6
[[capsules]]
center = [-0.3, -0.3, 0.6]
radius = 0.04
length = 0.4
rpy = [1.2, 0.0, 0.3]
"#;

/// What a depth camera sees of a table top and a wall beside it: 10,000 points, 1 cm apart,
/// each a 1 cm sphere.
fn cloud_10k() -> Scene {
    let mut points = Vec::new();
    for i in 0..80 {
        for j in 0..80 {
            points.push([0.25 + 0.01 * i as f32, -0.4 + 0.01 * j as f32, 0.25]);
        }
    }
    for i in 0..60 {
        for j in 0..60 {
            points.push([0.2 + 0.01 * i as f32, 0.45, 0.25 + 0.01 * j as f32]);
        }
    }
    Scene {
        name: "cloud_10k".into(),
        boxes: Vec::new(),
        shapes: vec![mace_robot::SceneShape::Points {
            points: std::sync::Arc::new(points),
            radius: 0.01,
            file: "generated".into(),
        }],
        target: [0.5, 0.0, 0.5],
        target_orientation: None,
        ground: true,
    }
}

/// The scenes of the throughput bench: the paper's three, primitives, and the shipped shelf
/// (a mesh), depth cloud and cell (every kind), and a 10,000-point cloud.
fn scenes() -> Vec<(String, Scene)> {
    let assets = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/scenes");
    let mut v: Vec<(String, Scene)> = ["wall", "window", "box"]
        .into_iter()
        .map(|n| (n.to_string(), Scene::by_name(n).unwrap()))
        .collect();
    v.push((
        "primitives".into(),
        Scene::from_toml_str(PRIMITIVES).unwrap(),
    ));
    for n in ["shelf", "cloud", "cell"] {
        let scene = Scene::from_toml_file(assets.join(format!("{n}.toml"))).unwrap();
        v.push((n.to_string(), scene));
    }
    v.push(("cloud_10k".into(), cloud_10k()));
    v
}

fn collision(c: &mut Criterion) {
    let chain = KinematicChain::panda();
    let mut g = c.benchmark_group("fk_collision");
    g.sample_size(20);
    for n in [8192usize, 262144] {
        let q = chain.sample_uniform(n, &mut StdRng::seed_from_u64(1));
        g.throughput(Throughput::Elements(n as u64));
        for (name, scene) in scenes() {
            let model = CollisionModel::new(&chain, &scene);
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
