//! The solve methods on the Panda in the box scene and on a toy problem.

use std::time::Duration;

use rand::SeedableRng;

use super::work::clear;
use super::*;
use crate::ik::{IkConfig, IkSolver};
use crate::math::{norm, sub};
use crate::Error;
use crate::{KinematicChain, Scene};
use rand::Rng;

/// A toy prior: known collision-free solutions for the box target plus uniform noise of
/// ±`noise` rad per joint.
fn toy(
    chain: &KinematicChain,
    solutions: Vec<Vec<f32>>,
    noise: f32,
) -> impl FnMut(Vec3, usize, &mut StdRng) -> Vec<f32> {
    let lower = chain.lower();
    let upper = chain.upper();
    move |_t, n, rng| {
        let mut out = Vec::with_capacity(n * 7);
        for i in 0..n {
            let s = &solutions[i % solutions.len()];
            for j in 0..s.len() {
                let v = s[j] + rng.random_range(-noise..=noise);
                out.push(v.clamp(lower[j], upper[j]));
            }
        }
        out
    }
}

/// Collision-free exact solutions for the box scene's target, from the numeric IK.
fn box_solutions(n: usize) -> (KinematicChain, Scene, Vec<Vec<f32>>) {
    let chain = KinematicChain::panda();
    let scene = Scene::by_name("box").unwrap();
    let ik = IkSolver::new(
        CollisionModel::new(&chain, &scene),
        IkConfig {
            time_budget: None,
            tolerance: 1e-6,
            ..IkConfig::panda()
        },
    );
    let mut rng = StdRng::seed_from_u64(11);
    let sols = (0..n)
        .map(|_| {
            let r = ik.solve(scene.target, None, &mut rng);
            assert!(r.collision_free && r.error < 1e-5);
            r.q
        })
        .collect();
    (chain, scene, sols)
}

fn config() -> SolveConfig {
    SolveConfig {
        time_budget: Duration::from_secs(10),
        ..SolveConfig::default()
    }
}

#[test]
fn prior_returns_the_best_collision_free_sample() {
    let (chain, scene, sols) = box_solutions(2);
    let solver = Solver::new(CollisionModel::new(&chain, &scene), config());
    let mut sampler = toy(&chain, sols, 0.01);
    let r = solver
        .solve(
            Method::Prior,
            scene.target,
            &mut sampler,
            &mut StdRng::seed_from_u64(1),
        )
        .unwrap();
    assert_eq!(r.status, SolveStatus::Solved);
    assert!(
        r.collision_free && r.clearance_ok && r.error <= 0.02,
        "{r:?}"
    );
    let batch = solver.config().batch_size;
    assert!(r.samples >= batch && r.iterations == 0);
    // Reproducible for a seed.
    let again = solver
        .solve(
            Method::Prior,
            scene.target,
            &mut sampler,
            &mut StdRng::seed_from_u64(1),
        )
        .unwrap();
    assert_eq!(r.q, again.q);
    // The answer is the lowest-error collision-free sample of the batches.
    let mut rng = StdRng::seed_from_u64(1);
    let model = CollisionModel::new(&chain, &scene);
    let mut best = f32::INFINITY;
    for _ in 0..r.samples / batch {
        let q = sampler(scene.target, batch, &mut rng);
        let free = model.collides_batch(&q).unwrap();
        let tcp = chain.tcp_positions(&q).unwrap();
        for (f, t) in free.iter().zip(&tcp) {
            if !f {
                best = best.min(norm(sub(scene.target, *t)));
            }
        }
    }
    assert!((best - r.error).abs() < 1e-6, "{best} vs {}", r.error);
}

#[test]
fn hybrid_refines_to_the_tolerance() {
    let (chain, scene, sols) = box_solutions(3);
    let solver = Solver::new(CollisionModel::new(&chain, &scene), config());
    let mut sampler = toy(&chain, sols, 0.02);
    for seed in 0..5 {
        let r = solver
            .solve(
                Method::Hybrid,
                scene.target,
                &mut sampler,
                &mut StdRng::seed_from_u64(seed),
            )
            .unwrap();
        assert_eq!(r.status, SolveStatus::Solved);
        assert!(r.error <= 1e-4 && r.collision_free, "{r:?}");
        assert!(r.attempts >= 1 && r.iterations >= 1);
    }
}

#[test]
fn repair_moves_colliding_samples_out_of_contact() {
    // Near misses: exact solutions for the box target, found without the box from seeds
    // near collision-free solutions, that collide with the box.
    let (chain, scene, sols) = box_solutions(4);
    let open = IkSolver::new(
        CollisionModel::new(&chain, &Scene::empty(scene.target)),
        IkConfig {
            time_budget: None,
            max_restarts: 0,
            ..IkConfig::panda()
        },
    );
    let boxed = CollisionModel::new(&chain, &scene);
    let mut rng = StdRng::seed_from_u64(21);
    let mut colliding = Vec::new();
    for k in 0..10_000 {
        if colliding.len() == 16 {
            break;
        }
        let seed: Vec<f32> = sols[k % sols.len()]
            .iter()
            .map(|v| v + rng.random_range(-0.3f32..=0.3))
            .collect();
        let r = open.solve(scene.target, Some(&seed), &mut rng);
        if r.error <= 1e-4 && boxed.collides_batch(&r.q).unwrap()[0] {
            colliding.push(r.q);
        }
    }
    assert_eq!(colliding.len(), 16);
    // Only the repair can succeed: one stream, a single random restart after the batches.
    let only_repair = |repair_iterations| SolveConfig {
        parallel: false,
        repair_iterations,
        max_batches: 4,
        ik: IkConfig {
            max_restarts: 0,
            ..IkConfig::panda()
        },
        ..config()
    };
    let mut solved = [0, 0];
    for (k, iterations) in [0, 30].into_iter().enumerate() {
        let solver = Solver::new(boxed.clone(), only_repair(iterations));
        let mut sampler = toy(&chain, colliding.clone(), 0.0);
        for seed in 0..8 {
            let r = solver
                .solve(
                    Method::Hybrid,
                    scene.target,
                    &mut sampler,
                    &mut StdRng::seed_from_u64(seed),
                )
                .unwrap();
            if r.status == SolveStatus::Solved {
                assert!(r.collision_free && r.error <= 1e-4, "{r:?}");
                solved[k] += 1;
            }
        }
    }
    assert!(
        solved[1] > solved[0] && solved[1] >= 4,
        "without / with repair: {solved:?}"
    );
}

#[test]
fn numeric_solves_without_a_sampler() {
    let chain = KinematicChain::panda();
    let scene = Scene::by_name("box").unwrap();
    let solver = Solver::new(CollisionModel::new(&chain, &scene), config());
    let mut never = |_: Vec3, _: usize, _: &mut StdRng| -> Vec<f32> { unreachable!() };
    let r = solver
        .solve(
            Method::Numeric,
            scene.target,
            &mut never,
            &mut StdRng::seed_from_u64(2),
        )
        .unwrap();
    assert_eq!(r.status, SolveStatus::Solved);
    assert!(r.error <= 1e-4 && r.collision_free && r.samples == 0);
}

#[test]
fn clearance_is_kept() {
    let (chain, scene, sols) = box_solutions(4);
    let margin = 0.01;
    let solver = Solver::new(
        CollisionModel::new(&chain, &scene),
        SolveConfig {
            clearance: margin,
            ..config()
        },
    );
    let mut sampler = toy(&chain, sols, 0.05);
    for method in Method::ALL {
        let r = solver
            .solve(
                method,
                scene.target,
                &mut sampler,
                &mut StdRng::seed_from_u64(3),
            )
            .unwrap();
        if r.status == SolveStatus::Solved {
            assert!(clear(&r.distances, margin), "{method}: {r:?}");
        } else {
            assert!(!r.clearance_ok || r.error > solver.config().tolerance);
        }
    }
}

#[test]
fn bad_input_is_an_error() {
    let (chain, scene, sols) = box_solutions(1);
    let solver = Solver::new(CollisionModel::new(&chain, &scene), config());
    let mut sampler = toy(&chain, sols, 0.01);
    let mut rng = StdRng::seed_from_u64(0);
    for method in Method::ALL {
        let e = solver
            .solve(method, [f32::NAN, 0.0, 0.5], &mut sampler, &mut rng)
            .unwrap_err();
        assert!(matches!(e, Error::NonFiniteTarget { .. }));
    }
    let mut short = |_: Vec3, n: usize, _: &mut StdRng| vec![0.0f32; n * 6];
    let e = solver
        .solve(Method::Prior, scene.target, &mut short, &mut rng)
        .unwrap_err();
    assert!(
        e.to_string().contains("6144 values for 1024 samples of 7"),
        "{e}"
    );
    assert!("tune".parse::<Method>().is_err());
    assert_eq!("hybrid".parse::<Method>().unwrap(), Method::Hybrid);
    let zero = Solver::new(
        CollisionModel::new(&chain, &scene),
        SolveConfig {
            batch_size: 0,
            ..config()
        },
    );
    assert!(zero
        .solve(Method::Prior, scene.target, &mut sampler, &mut rng)
        .is_err());
}

#[test]
fn no_collision_free_solution_ends_within_the_budget() {
    let chain = KinematicChain::panda();
    // A box around the whole robot: every configuration collides.
    let scene = Scene::from_toml_str(
        "name = \"cage\"\ntarget = [0.5, 0.0, 0.5]\n[[boxes]]\ncenter = [0.0, 0.0, 0.5]\nsize = [3.0, 3.0, 3.0]\n",
    )
    .unwrap();
    let solver = Solver::new(
        CollisionModel::new(&chain, &scene),
        SolveConfig {
            time_budget: Duration::from_millis(200),
            ..SolveConfig::default()
        },
    );
    let c = chain.clone();
    let mut sampler = move |_: Vec3, n: usize, rng: &mut StdRng| c.sample_uniform(n, rng);
    for method in Method::ALL {
        let r = solver
            .solve(
                method,
                scene.target,
                &mut sampler,
                &mut StdRng::seed_from_u64(4),
            )
            .unwrap();
        assert_eq!(r.status, SolveStatus::NotFound, "{method}");
        assert!(!r.collision_free && r.q.len() == 7);
    }
    // Unreachable target: nothing within the tolerance.
    let free = Solver::new(
        CollisionModel::new(&chain, &Scene::empty([0.0; 3])),
        SolveConfig {
            time_budget: Duration::from_millis(200),
            ..SolveConfig::default()
        },
    );
    for method in Method::ALL {
        let r = free
            .solve(
                method,
                [3.0, 0.0, 0.5],
                &mut sampler,
                &mut StdRng::seed_from_u64(5),
            )
            .unwrap();
        assert_eq!(r.status, SolveStatus::NotFound, "{method}");
        assert!(r.error > 1.5);
    }
}
