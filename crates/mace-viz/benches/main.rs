//! Rendering speed: a two-panel robot picture (520 × 450 px per panel, 150 configurations each,
//! the `window` scene), the size the tuning commands draw; and one 640 × 560 panel (the size of
//! `mace render robot`) of the `box` scene and of the shipped scene files with other obstacles
//! (`cell`: every kind, `cloud`: 2243 points, `shelf`: a non-convex mesh), empty (the backdrop:
//! sky, ground, obstacles and their shadows) and with 50 configurations.
//!
//! Run with `cargo bench -p mace-viz`.

#![allow(missing_docs)] // criterion's macros generate undocumented items

use criterion::{criterion_group, criterion_main, Criterion};
use mace_robot::Scene;
use mace_viz::{render_robot_panels, Camera, Panel, RobotScene};

/// `n` configurations spread over the joint limits (a fixed linear congruential stream), flat
/// `(n, dof)`.
fn configurations(rs: &RobotScene, n: usize, seed: u32) -> Vec<f32> {
    let (lo, hi) = (rs.chain.lower(), rs.chain.upper());
    let mut state = seed;
    let mut q = Vec::with_capacity(n * lo.len());
    for _ in 0..n {
        for (l, h) in lo.iter().zip(&hi) {
            state = state.wrapping_mul(1664525).wrapping_add(1013904223);
            let u = (state >> 8) as f32 / (1u32 << 24) as f32;
            q.push(l + (h - l) * u);
        }
    }
    q
}

fn robot_panels(c: &mut Criterion) {
    let rs = RobotScene::panda(Scene::by_name("window").expect("built-in scene"));
    let camera = Camera::for_scene(&rs.scene);
    let (a, b) = (configurations(&rs, 150, 1), configurations(&rs, 150, 2));
    let (fa, fb) = (
        rs.colliding(&a).expect("a batch"),
        rs.colliding(&b).expect("a batch"),
    );
    let panels = [
        Panel {
            title: "prior",
            configs: &a,
            colliding: Some(&fa),
            alpha: None,
        },
        Panel {
            title: "posterior",
            configs: &b,
            colliding: Some(&fb),
            alpha: None,
        },
    ];
    let mut group = c.benchmark_group("robot_panels");
    group.sample_size(10);
    group.bench_function("2x150_520x450", |bench| {
        bench.iter(|| render_robot_panels(&rs, &panels, &camera, (520, 450)).expect("picture"))
    });
    group.finish();
}

fn scenes(c: &mut Criterion) {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../assets/scenes");
    let mut group = c.benchmark_group("scene_panel");
    group.sample_size(10);
    for name in ["box", "cell", "cloud", "shelf"] {
        let scene = if name == "box" {
            Scene::by_name(name)
        } else {
            Scene::from_toml_file(format!("{dir}/{name}.toml"))
        }
        .expect("a shipped scene");
        let rs = RobotScene::panda(scene);
        let camera = Camera::for_scene(&rs.scene);
        let q = configurations(&rs, 50, 3);
        let flags = rs.colliding(&q).expect("a batch");
        for (what, configs, colliding) in [("empty", &[][..], &[][..]), ("50", &q, &flags)] {
            let panel = [Panel {
                title: name,
                configs,
                colliding: Some(colliding),
                alpha: None,
            }];
            group.bench_function(format!("{name}_{what}_640x560"), |bench| {
                bench.iter(|| {
                    render_robot_panels(&rs, &panel, &camera, (640, 560)).expect("picture")
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, robot_panels, scenes);
criterion_main!(benches);
