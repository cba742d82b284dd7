use mace_robot::KinematicChain;
use nalgebra::{Quaternion, UnitQuaternion};

use crate::data::{f64s, load, path};

/// Every link frame of the reference's 200 configurations (`panda_fk.json`, float64 values):
/// position within 1e-5 m and orientation within 1e-5 rad, computed in f32.
#[test]
fn panda_fk_matches_reference() {
    let chain = KinematicChain::panda();
    let d = load("panda_fk.json");
    let samples = d["samples"].as_array().unwrap();
    assert_eq!(samples.len(), 200);
    let q: Vec<f32> = samples
        .iter()
        .flat_map(|s| f64s(&s["q"]))
        .map(|v| v as f32)
        .collect();
    let poses = chain.forward_kinematics(&q).unwrap();
    let nl = chain.links().len();
    let (mut max_pos, mut max_ang) = (0.0f64, 0.0f64);
    let mut checked = 0;
    for (i, s) in samples.iter().enumerate() {
        for (name, v) in s["links"].as_object().unwrap() {
            let li = chain
                .link_index(name)
                .unwrap_or_else(|| panic!("no link {name}"));
            let p = poses[i * nl + li];
            let pos = f64s(&v["pos_f64"]);
            let e = (0..3)
                .map(|k| (p.trans[k] as f64 - pos[k]).powi(2))
                .sum::<f64>()
                .sqrt();
            max_pos = max_pos.max(e);
            let qr = f64s(&v["quat_xyzw_f64"]);
            let qref = UnitQuaternion::from_quaternion(Quaternion::new(qr[3], qr[0], qr[1], qr[2]));
            let qo = p.quat_xyzw().map(|x| x as f64);
            let qours =
                UnitQuaternion::from_quaternion(Quaternion::new(qo[3], qo[0], qo[1], qo[2]));
            max_ang = max_ang.max(qref.angle_to(&qours));
            checked += 1;
        }
    }
    println!("FK: {checked} link frames, max position error {max_pos:.3e} m, max angle error {max_ang:.3e} rad");
    assert_eq!(checked, 200 * 10);
    assert!(max_pos < 1e-5, "max position error {max_pos}");
    assert!(max_ang < 1e-5, "max angle error {max_ang}");
}

/// The planar test arm against hand-computed positions.
#[test]
fn planar_arm_fk_hand_computed() {
    let chain = KinematicChain::from_urdf_file(path("planar3.urdf"), "base", "tool").unwrap();
    assert_eq!(chain.dof(), 4);
    assert_eq!(chain.joints()[2].lower, -std::f32::consts::PI); // continuous joint
                                                                // Fixed side branch `sensor` is attached.
    assert!(chain.link_index("sensor").is_some());
    let (a, b, c, s) = (0.3f32, -0.7f32, 1.1f32, 0.05f32);
    let poses = chain.forward_kinematics(&[a, b, c, s]).unwrap();
    let tip = poses[chain.tip()].trans;
    let x = 0.5 * a.cos() + 0.3 * (a + b).cos() + (0.2 + s) * (a + b + c).cos();
    let y = 0.5 * a.sin() + 0.3 * (a + b).sin() + (0.2 + s) * (a + b + c).sin();
    assert!(
        (tip[0] - x).abs() < 1e-6 && (tip[1] - y).abs() < 1e-6 && (tip[2] - 0.05).abs() < 1e-6,
        "{tip:?}"
    );
    let sensor = poses[chain.link_index("sensor").unwrap()].trans;
    assert!((sensor[0] - 0.25 * a.cos()).abs() < 1e-6 && (sensor[2] - 0.15).abs() < 1e-6);
    // Orientation of l3: rotation about z by a + b + c.
    let r = poses[chain.link_index("l3").unwrap()].rot;
    assert!(
        (r[0][0] - (a + b + c).cos()).abs() < 1e-6 && (r[1][0] - (a + b + c).sin()).abs() < 1e-6
    );
    // Collision shapes: box → exact hull (its 8 corners, no margin), cylinder → capsule.
    let l2 = chain.links()[chain.link_index("l2").unwrap()].collision[0]
        .hull()
        .expect("a box is a hull");
    let mut corners: Vec<[f32; 3]> = l2.vertices().collect();
    corners.sort_by(|p, q| p.partial_cmp(q).unwrap());
    assert_eq!(corners.len(), 8);
    assert!((corners[0][0] - 0.0).abs() < 1e-6 && (corners[7][0] - 0.3).abs() < 1e-6);
    assert!((corners[0][1] + 0.02).abs() < 1e-6 && (corners[7][2] - 0.02).abs() < 1e-6);
    assert_eq!(l2.margin(), 0.0);
    let l1 = chain.links()[chain.link_index("l1").unwrap()].collision[0].bounding_capsule();
    assert!((l1.a[0].min(l1.b[0]) - 0.0).abs() < 1e-6 && (l1.a[0].max(l1.b[0]) - 0.5).abs() < 1e-6);
}

/// A batch computes the same frames as one configuration at a time (rayon split is invisible).
#[test]
fn batch_equals_single() {
    let chain = KinematicChain::panda();
    let n = 2000;
    let q: Vec<f32> = (0..n * 7)
        .map(|i| ((i * 7919) % 1000) as f32 / 1000.0 - 0.5)
        .collect();
    let all = chain.forward_kinematics(&q).unwrap();
    let nl = chain.links().len();
    for i in [0, 511, 512, 1999] {
        let one = chain.forward_kinematics(&q[i * 7..i * 7 + 7]).unwrap();
        assert_eq!(&all[i * nl..(i + 1) * nl], &one[..]);
    }
}
