//! Per self-collision pair statistics on uniformly random configurations (a development tool):
//! how often the pair collides and its smallest signed distance.
//!
//! Usage: `cargo run --release -p mace-robot --example pair_stats -- [n]`

use mace_robot::{CollisionModel, KinematicChain, Scene};
use rand::{rngs::StdRng, SeedableRng};

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(200_000);
    let chain = KinematicChain::panda();
    let model = CollisionModel::new(&chain, &Scene::empty([0.0; 3]));
    let names = model.self_pair_names();
    let q = chain.sample_uniform(n, &mut StdRng::seed_from_u64(11));
    let poses = chain.forward_kinematics(&q).unwrap();
    let nl = chain.links().len();
    let mut min = vec![f32::INFINITY; names.len()];
    let mut hits = vec![0usize; names.len()];
    let mut near = vec![0usize; names.len()];
    for i in 0..n {
        let d = model.self_pair_distances(&poses[i * nl..(i + 1) * nl]);
        for (k, &v) in d.iter().enumerate() {
            min[k] = min[k].min(v);
            hits[k] += (v < 0.0) as usize;
            near[k] += (v < 0.05) as usize;
        }
    }
    for (k, nm) in names.iter().enumerate() {
        println!(
            "{:>18} {:>18}: collides {:.5}  within 5 cm {:.5}  min distance {:+.4}",
            nm.0,
            nm.1,
            hits[k] as f64 / n as f64,
            near[k] as f64 / n as f64,
            min[k]
        );
    }
}
