//! Collision-free IK in a scene of your own: a shelf board and a post described in TOML, the
//! Panda reaching under the board, solved by damped least squares with random restarts, the
//! answer checked against the collision model.
//!
//! `cargo run --release -p mace-robot --example solve_in_your_scene`

use mace_robot::solve::{Method, SolveConfig, SolveStatus, Solver};
use mace_robot::{CollisionModel, KinematicChain, Scene};
use rand::{rngs::StdRng, SeedableRng};

const SCENE: &str = r#"
name = "shelf"
target = [0.55, 0.1, 0.25]

[[boxes]]               # the board, 5 cm above the target
center = [0.55, 0.0, 0.30]
size = [0.30, 0.60, 0.02]

[[boxes]]               # a post beside it
center = [0.35, -0.35, 0.40]
size = [0.05, 0.05, 0.80]
"#;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let chain = KinematicChain::panda();
    let scene = Scene::from_toml_str(SCENE)?;
    let solver = Solver::new(CollisionModel::new(&chain, &scene), SolveConfig::default());
    // The numeric method needs no prior: the sampler is never called.
    let mut no_prior = |_: [f32; 3], _: usize, _: &mut StdRng| Vec::new();
    let r = solver.solve(
        Method::Numeric,
        scene.target,
        &mut no_prior,
        &mut StdRng::seed_from_u64(0),
    )?;
    println!(
        "{:?} in {:.1} ms: TCP error {:.2e} m, clearance to the obstacles {:.1} mm, q = {:?}",
        r.status,
        r.seconds * 1e3,
        r.error,
        r.distances.obstacle_distance * 1e3,
        r.q
    );
    assert_eq!(r.status, SolveStatus::Solved);
    assert!(r.error <= 1e-4 && r.collision_free);
    let poses = chain.forward_kinematics(&r.q)?;
    assert!(!CollisionModel::new(&chain, &scene).check(&poses).any());
    Ok(())
}
