//! Sweeps IK solver options on the box scene's target (a development tool): median time and
//! success over 30 seeds per setting.
//!
//! Usage: `cargo run --release -p mace-robot --example ik_sweep`

use mace_robot::{CollisionModel, IkConfig, IkSolver, KinematicChain, Scene};
use rand::{rngs::StdRng, SeedableRng};
fn main() {
    let chain = KinematicChain::panda();
    let scene = Scene::by_name("box").unwrap();
    for iters in [25usize] {
        for early in [0.0f32, 0.01, 0.03, 0.1] {
            for step in [0.8f32, 1.2] {
                let damping = 0.02;
                let cfg = IkConfig {
                    max_iterations: iters,
                    damping,
                    max_step: step,
                    early_collision_check: early,
                    ..IkConfig::default()
                };
                let solver = IkSolver::new(CollisionModel::new(&chain, &scene), cfg);
                let r: Vec<_> = (0..30)
                    .map(|s| solver.solve(scene.target, None, &mut StdRng::seed_from_u64(s)))
                    .collect();
                let mut t: Vec<f64> = r.iter().map(|r| r.seconds).collect();
                t.sort_by(f64::total_cmp);
                let ok = r
                    .iter()
                    .filter(|r| r.status == mace_robot::IkStatus::Converged)
                    .count();
                println!("iters {iters} early {early} damping {damping} step {step}: median {:.4} s, {ok}/30", t[15]);
            }
        }
    }
}
