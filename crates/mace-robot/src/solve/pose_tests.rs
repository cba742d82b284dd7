//! The solve methods on pose targets: FK → IK round trips in free space, with and without a
//! free axis, and a toy pose prior.

use std::time::Duration;

use rand::SeedableRng;

use super::*;
use crate::target::ToolAxis;
use crate::{KinematicChain, Scene};

/// Tool frames of `n` random collision-free configurations in `scene`.
fn reachable_poses(chain: &KinematicChain, scene: &Scene, n: usize, seed: u64) -> Vec<Vec<f32>> {
    let model = CollisionModel::new(chain, scene);
    let mut rng = StdRng::seed_from_u64(seed);
    let mut out = Vec::new();
    while out.len() < n {
        let q = chain.sample_uniform(1, &mut rng);
        if !model.collides_batch(&q).unwrap()[0] {
            out.push(q);
        }
    }
    out
}

fn target_of(chain: &KinematicChain, q: &[f32]) -> IkTarget {
    let poses = chain.forward_kinematics(q).unwrap();
    IkTarget::from_tool_pose(&poses[chain.tip()])
}

fn solver(scene: &Scene) -> Solver {
    let chain = KinematicChain::panda();
    Solver::new(
        CollisionModel::new(&chain, scene),
        SolveConfig {
            time_budget: Duration::from_secs(2),
            ..SolveConfig::default()
        },
    )
}

fn check_solved(solver: &Solver, t: &IkTarget, r: &SolveReport) {
    assert_eq!(r.status, SolveStatus::Solved, "{r:?}");
    assert!(r.error <= solver.config().tolerance && r.collision_free);
    let rot = r
        .rotation_error_deg
        .expect("a pose target reports its rotation error");
    assert!(rot <= solver.config().ik.rotation_tolerance.to_degrees() + 1e-4);
    // The reported quaternion is the answer's tool frame.
    let chain = solver.model().chain();
    let poses = chain.forward_kinematics(&r.q).unwrap();
    let tool = poses[chain.tip()];
    let q = tool.quat_xyzw();
    let same = (0..4).all(|i| (q[i] - r.tcp_quaternion[i]).abs() < 1e-6);
    assert!(same, "{q:?} vs {:?}", r.tcp_quaternion);
    assert!((t.errors(&tool).1.to_degrees() - rot).abs() < 1e-4);
}

#[test]
fn numeric_reaches_random_poses() {
    let scene = Scene::empty([0.0; 3]);
    let s = solver(&scene);
    let chain = KinematicChain::panda();
    let mut rng = StdRng::seed_from_u64(3);
    for q in reachable_poses(&chain, &scene, 10, 1) {
        let t = target_of(&chain, &q);
        let r = s
            .solve_target(
                Method::Numeric,
                &t,
                &mut |_: &IkTarget, _, _: &mut StdRng| vec![],
                &mut rng,
            )
            .unwrap();
        check_solved(&s, &t, &r);
    }
}

#[test]
fn hybrid_with_a_pose_prior_reaches_random_poses() {
    // A toy pose prior: the configuration that made the pose plus noise of ±0.3 rad.
    let scene = Scene::empty([0.0; 3]);
    let s = solver(&scene);
    let chain = KinematicChain::panda();
    let mut rng = StdRng::seed_from_u64(4);
    for q in reachable_poses(&chain, &scene, 10, 2) {
        let t = target_of(&chain, &q);
        let (lower, upper) = (chain.lower(), chain.upper());
        let mut prior = |got: &IkTarget, n: usize, rng: &mut StdRng| {
            assert_eq!(got, &t, "the sampler sees the whole target");
            (0..n * 7)
                .map(|i| {
                    let j = i % 7;
                    (q[j] + rand::Rng::random_range(rng, -0.3..=0.3f32)).clamp(lower[j], upper[j])
                })
                .collect()
        };
        let r = s
            .solve_target(Method::Hybrid, &t, &mut prior, &mut rng)
            .unwrap();
        check_solved(&s, &t, &r);
    }
}

#[test]
fn a_free_axis_solves_a_spun_target() {
    // Ask for the hand turned 90° about its own z from a reachable pose, z free: the original
    // configuration's frame already answers within the tolerance.
    let scene = Scene::empty([0.0; 3]);
    let s = solver(&scene);
    let chain = KinematicChain::panda();
    let mut rng = StdRng::seed_from_u64(5);
    for q in reachable_poses(&chain, &scene, 6, 3) {
        let poses = chain.forward_kinematics(&q).unwrap();
        let spun = poses[chain.tip()].mul(&crate::Pose::from_axis_angle([0.0, 0.0, 1.0], 1.5));
        let t = IkTarget::from_tool_pose(&spun).with_free_axis(Some(ToolAxis::Z));
        assert!(t.errors(&poses[chain.tip()]).1 < 1e-4);
        let r = s
            .solve_target(
                Method::Numeric,
                &t,
                &mut |_: &IkTarget, _, _: &mut StdRng| vec![],
                &mut rng,
            )
            .unwrap();
        check_solved(&s, &t, &r);
    }
}

#[test]
fn position_only_targets_report_no_rotation_error() {
    let scene = Scene::by_name("box").unwrap();
    let s = solver(&scene);
    let mut rng = StdRng::seed_from_u64(6);
    let r = s
        .solve(
            Method::Numeric,
            scene.target,
            &mut |_: Vec3, _, _: &mut StdRng| vec![],
            &mut rng,
        )
        .unwrap();
    assert_eq!(r.status, SolveStatus::Solved);
    assert!(r.rotation_error_deg.is_none());
    let json = serde_json::to_string(&r).unwrap();
    assert!(!json.contains("rotation_error_deg") && json.contains("tcp_quaternion"));
}
