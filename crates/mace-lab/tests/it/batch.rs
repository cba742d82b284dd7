//! Many IK problems at once: every target solved, the same answers on any number of threads,
//! unreachable targets reported and not attempted, target files in every format read alike.

use mace_lab::ik::batch::solves_to_npy;
use mace_lab::ik::scene_bench::draw_targets;
use mace_lab::ik::{load_prior, read_targets, solve_batch, solve_config, BatchStatus};
use mace_lab::Silent;
use mace_robot::solve::{Method, Solver};
use mace_robot::{CollisionModel, Robot, Scene};

fn box_solver() -> (Robot, Solver) {
    let robot = Robot::builtin("panda").unwrap();
    let scene = Scene::by_name("box").unwrap();
    let mut config = solve_config(1.0, 0.0, 1e-3).unwrap();
    config.parallel = false;
    let solver = Solver::new(CollisionModel::new(&robot.chain, &scene), config);
    (robot, solver)
}

#[test]
fn a_batch_solves_reachable_targets_alike_on_one_or_two_threads() {
    let (robot, solver) = box_solver();
    let prior = load_prior(None, &robot).unwrap();
    let scene = Scene::by_name("box").unwrap();
    let (mut targets, _) = draw_targets(&robot.chain, &scene, 40, f32::INFINITY, 3).unwrap();
    targets.push([3.0, 0.0, 0.5]); // beyond reach
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| {
                solve_batch(
                    &solver,
                    Method::Hybrid,
                    &targets,
                    Some(&prior),
                    7,
                    &mut Silent,
                )
                .unwrap()
            })
    };
    let (one, summary) = run(1);
    let (two, _) = run(2);
    assert_eq!(summary.targets, 41);
    assert_eq!(summary.unreachable, 1);
    assert_eq!(one[40].status, BatchStatus::Unreachable);
    assert!(one[40].q.is_empty());
    assert!(summary.solved >= 39, "{} of 40 solved", summary.solved);
    for (a, b) in one.iter().zip(&two) {
        assert_eq!((a.index, &a.q, a.status), (b.index, &b.q, b.status));
    }
    for s in one.iter().filter(|s| s.status == BatchStatus::Solved) {
        assert!(s.error_m <= 1e-4 && s.collision_free && s.min_distance_m >= 0.0);
        let tcp = robot.chain.tcp_positions(&s.q).unwrap()[0];
        let d = (0..3)
            .map(|k| (tcp[k] - s.target[k]).powi(2))
            .sum::<f32>()
            .sqrt();
        assert!(
            (d - s.error_m).abs() < 1e-5,
            "reported {} vs {d}",
            s.error_m
        );
    }
    // The NPY answers: (n, dof + 2), q then error then solved.
    let npy = mace_core::npy::decode_f32(&solves_to_npy(&one, 7), "<memory>", 1000).unwrap();
    assert_eq!(npy.shape, vec![41, 9]);
    assert_eq!(npy.data[..7], one[0].q[..]);
    assert_eq!(npy.data[40 * 9 + 7], -1.0);
}

#[test]
fn bad_batches_are_refused() {
    let (robot, solver) = box_solver();
    let prior = load_prior(None, &robot).unwrap();
    let none: &[[f32; 3]] = &[];
    let e = solve_batch(&solver, Method::Hybrid, none, Some(&prior), 0, &mut Silent).unwrap_err();
    assert!(e.to_string().contains("--targets"), "{e}");
    let e = solve_batch(
        &solver,
        Method::Hybrid,
        &[[0.5, 0.0, 0.5]],
        None,
        0,
        &mut Silent,
    )
    .unwrap_err();
    assert!(e.to_string().contains("prior"), "{e}");
    let e = solve_batch(
        &solver,
        Method::Mace,
        &[[0.5, 0.0, 0.5]],
        Some(&prior),
        0,
        &mut Silent,
    )
    .unwrap_err();
    assert!(e.to_string().contains("mace ik tune"), "{e}");
}

#[test]
fn target_files_in_every_format_read_alike() {
    let dir = tempfile::tempdir().unwrap();
    let targets = [[0.5f32, 0.0, 0.5], [0.4, -0.2, 0.3]];
    let write = |name: &str, bytes: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    };
    let files = [
        write("a.json", b"[[0.5, 0, 0.5], [0.4, -0.2, 0.3]]"),
        write(
            "b.json",
            br#"{"targets": [{"position": [0.5, 0, 0.5]}, {"target": [0.4, -0.2, 0.3]}]}"#,
        ),
        write(
            "c.jsonl",
            b"[0.5, 0, 0.5]\n\n{\"position\": [0.4, -0.2, 0.3]}\n",
        ),
        write(
            "d.npy",
            &mace_core::npy::encode_f32(targets.as_flattened(), &[2, 3]),
        ),
    ];
    let positions = |f: &std::path::Path| -> Vec<[f32; 3]> {
        let t = read_targets(f).unwrap();
        assert!(t.iter().all(|t| t.orientation.is_none()));
        t.iter().map(|t| t.position).collect()
    };
    for f in &files {
        assert_eq!(positions(f), targets, "{}", f.display());
    }
    for (name, bytes, says) in [
        ("e.json", &b"[[0.5, 0, NaN]]"[..], "e.json"),
        ("f.json", b"[[0.5, 0]]", "target 0"),
        ("g.jsonl", b"[0.5, 0, 0.5]\n[1, 2]\n", "line 2"),
        ("h.json", b"[]", "no targets"),
        ("i.csv", b"0.5,0,0.5", "unknown extension"),
        ("j.json", b"[[0.5, 0, 1e39]]", "finite"),
        (
            "k.npy",
            &mace_core::npy::encode_f32(&[0.0; 4], &[2, 2]),
            "(n, 3)",
        ),
        (
            "l.json",
            b"[[0.5, 0, 0.5, 0, 0, 0, 2]]",
            "not a unit quaternion",
        ),
        (
            "m.json",
            br#"[{"position": [0.5, 0, 0.5], "free_axis": "z"}]"#,
            "without an orientation",
        ),
        (
            "n.jsonl",
            b"{\"position\": [0.5, 0, 0.5], \"orientation\": [0, 0, 0, 1], \"free_axis\": \"w\"}\n",
            "line 1",
        ),
    ] {
        let e = read_targets(&write(name, bytes)).unwrap_err().to_string();
        assert!(e.contains(says) && !e.contains('\n'), "{name}: {e}");
    }
}

#[test]
fn pose_target_files_read_alike_and_solve() {
    let dir = tempfile::tempdir().unwrap();
    // Tool frames of two collision-free configurations in the box scene.
    let chain = mace_robot::KinematicChain::panda();
    let qs = [
        [0.0f32, -0.785, 0.0, -2.356, 0.0, 1.571, 0.785],
        [0.3, -0.3, 0.2, -2.0, 0.1, 1.9, 0.5],
    ];
    let rows: Vec<[f32; 7]> = qs
        .iter()
        .map(|q| {
            let poses = chain.forward_kinematics(q).unwrap();
            let tool = poses[chain.tip()];
            let (p, r) = (tool.trans, tool.quat_xyzw());
            [p[0], p[1], p[2], r[0], r[1], r[2], r[3]]
        })
        .collect();
    let npy = dir.path().join("p.npy");
    std::fs::write(
        &npy,
        mace_core::npy::encode_f32(rows.as_flattened(), &[2, 7]),
    )
    .unwrap();
    let json = dir.path().join("p.json");
    let objects: Vec<serde_json::Value> = rows
        .iter()
        .map(|r| serde_json::json!({"position": &r[..3], "orientation": &r[3..], "free_axis": "z"}))
        .collect();
    std::fs::write(&json, serde_json::to_vec(&objects).unwrap()).unwrap();
    let a = read_targets(&npy).unwrap();
    let b = read_targets(&json).unwrap();
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x.position, y.position);
        let (qa, qb) = (x.orientation.unwrap(), y.orientation.unwrap());
        assert!((0..4).all(|k| (qa.quaternion[k] - qb.quaternion[k]).abs() < 1e-6));
        assert_eq!(qb.free_axis, Some(mace_robot::ToolAxis::Z));
    }
    let scene = mace_robot::Scene::by_name("box").unwrap();
    let solver = Solver::new(
        CollisionModel::new(&chain, &scene),
        solve_config(1.0, 0.0, 1e-3).unwrap(),
    );
    let (solves, summary) =
        solve_batch(&solver, Method::Numeric, &a, None, 0, &mut Silent).unwrap();
    assert_eq!(summary.solved, 2, "{solves:?}");
    for s in &solves {
        assert!(s.error_m <= 1e-4 && s.rotation_error_deg.unwrap() <= 0.1);
        assert!(s.target_orientation.is_some());
    }
}

#[test]
fn written_target_files_read_back() {
    use mace_lab::ik::batch::{encode_targets, TargetsMeta};
    let dir = tempfile::tempdir().unwrap();
    let targets = vec![[0.5f32, 0.0, 0.5], [0.4, -0.2, 0.3]];
    let meta = TargetsMeta {
        robot: "panda".into(),
        scene: "box".into(),
        seed: 1,
        near_m: None,
        drawn: 4096,
    };
    for ext in ["json", "jsonl", "npy"] {
        let p = dir.path().join(format!("t.{ext}"));
        std::fs::write(&p, encode_targets(&targets, ext, &meta).unwrap()).unwrap();
        let back: Vec<[f32; 3]> = read_targets(&p)
            .unwrap()
            .iter()
            .map(|t| t.position)
            .collect();
        assert_eq!(back, targets, "{ext}");
    }
    assert!(encode_targets(&targets, "csv", &meta).is_err());
}
