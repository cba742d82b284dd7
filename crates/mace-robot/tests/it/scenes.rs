use mace_robot::Scene;

use crate::data::{f64s, load};

/// The shipped scenes equal the reference's boxes (`panda_scenes.json`), the paper's set-up.
#[test]
fn builtin_scenes_match_reference() {
    let d = load("panda_scenes.json");
    for name in ["wall", "window", "box"] {
        let ours = Scene::by_name(name).unwrap();
        let reference = &d["scenes"][name];
        let target = f64s(&reference["target"]);
        for k in 0..3 {
            assert!(
                (ours.target[k] as f64 - target[k]).abs() < 1e-6,
                "{name} target"
            );
        }
        let boxes = reference["boxes"].as_array().unwrap();
        assert_eq!(ours.boxes.len(), boxes.len(), "{name}");
        for (i, (b, r)) in ours.boxes.iter().zip(boxes).enumerate() {
            let c = f64s(&r["center"]);
            let s = f64s(&r["size"]);
            let q = f64s(&r["quat_xyzw"]);
            let rot = mace_robot::math::rot_from_quat_xyzw([q[0], q[1], q[2], q[3]]);
            for k in 0..3 {
                assert!(
                    (b.center[k] as f64 - c[k]).abs() < 1e-6,
                    "{name} box {i} centre"
                );
                assert!(
                    (b.size[k] as f64 - s[k]).abs() < 1e-7,
                    "{name} box {i} size"
                );
                for j in 0..3 {
                    assert!(
                        (b.rot[k][j] - rot[k][j]).abs() < 1e-6,
                        "{name} box {i} rotation"
                    );
                }
            }
        }
    }
}

/// The box scene built from the paper's recipe (plates yawed by −π/4 about the box centre).
#[test]
fn box_scene_follows_design_recipe() {
    let (th, l, w) = (0.0025f64, 0.26f64, 0.2f64);
    let c = [0.5, -0.1, th + w / 2.0];
    let plates = [
        ([0.0, 0.0, w / 2.0 + th / 2.0], [l, w, th]),
        ([0.0, 0.0, -w / 2.0 - th / 2.0], [l, w, th]),
        ([l / 2.0, 0.0, 0.0], [th, w, w]),
        ([0.0, w / 2.0, 0.0], [l, th, w]),
        ([0.0, -w / 2.0, 0.0], [l, th, w]),
    ];
    let psi = -std::f64::consts::FRAC_PI_4;
    let s = Scene::by_name("box").unwrap();
    for (b, (off, size)) in s.boxes.iter().zip(plates) {
        let x = c[0] + psi.cos() * off[0] - psi.sin() * off[1];
        let y = c[1] + psi.sin() * off[0] + psi.cos() * off[1];
        let z = c[2] + off[2];
        for (k, v) in [x, y, z].into_iter().enumerate() {
            assert!((b.center[k] as f64 - v).abs() < 1e-7);
            assert!((b.size[k] as f64 - size[k]).abs() < 1e-7);
        }
        assert!(
            (b.rot[0][0] as f64 - psi.cos()).abs() < 1e-7
                && (b.rot[1][0] as f64 - psi.sin()).abs() < 1e-7
        );
    }
    assert!((s.target[2] as f64 - c[2]).abs() < 1e-7);
}
