//! Robot descriptions as ROS packages write them: an empty root with the base mesh on a fixed
//! child standing on the ground, a hand with two fingers on prismatic joints and a fixed TCP
//! frame, sensor frames hanging off the tool.

use mace_robot::{CollisionModel, Robot, Scene};

/// `world` (empty) → fixed → `base` (a box standing on z = 0) → 3 revolute joints → `hand`
/// (a box) with `finger_l`/`finger_r` (prismatic, 0..0.04 m, boxes that meet at 0) and
/// `hand_tcp` (fixed), plus `camera` (fixed, deeper than the TCP).
fn ros_arm() -> String {
    let link = |name: &str, size: &str, z: f32| {
        format!(
            "<link name=\"{name}\"><collision><origin xyz=\"0 0 {z}\"/><geometry>\
             <box size=\"{size}\"/></geometry></collision></link>\n"
        )
    };
    let joint = |name: &str, kind: &str, parent: &str, child: &str, xyz: &str, extra: &str| {
        format!(
            "<joint name=\"{name}\" type=\"{kind}\"><parent link=\"{parent}\"/>\
             <child link=\"{child}\"/><origin xyz=\"{xyz}\"/>{extra}</joint>\n"
        )
    };
    let rev = "<axis xyz=\"0 1 0\"/><limit lower=\"-1\" upper=\"1\" effort=\"1\" velocity=\"1\"/>";
    let pri = |dir: &str| {
        format!(
            "<axis xyz=\"0 {dir} 0\"/><limit lower=\"0\" upper=\"0.04\" effort=\"1\" velocity=\"1\"/>"
        )
    };
    let mut s = String::from("<robot name=\"ros_arm\">\n<link name=\"world\"/>\n");
    s += &link("base", "0.2 0.2 0.1", 0.05);
    s += &joint("fix", "fixed", "world", "base", "0 0 0", "");
    s += &link("l1", "0.05 0.05 0.3", 0.15);
    s += &joint("j1", "revolute", "base", "l1", "0 0 0.1", rev);
    s += &link("l2", "0.05 0.05 0.3", 0.15);
    s += &joint("j2", "revolute", "l1", "l2", "0 0 0.3", rev);
    s += &link("hand", "0.1 0.1 0.05", 0.0);
    s += &joint("j3", "revolute", "l2", "hand", "0 0 0.3", rev);
    s += &link("finger_l", "0.02 0.02 0.05", 0.05);
    s += &joint(
        "fl",
        "prismatic",
        "hand",
        "finger_l",
        "0 0.01 0.03",
        &pri("1"),
    );
    s += &link("finger_r", "0.02 0.02 0.05", 0.05);
    s += &joint(
        "fr",
        "prismatic",
        "hand",
        "finger_r",
        "0 -0.01 0.03",
        &pri("-1"),
    );
    s += "<link name=\"hand_tcp\"/>\n";
    s += &joint("tcp", "fixed", "hand", "hand_tcp", "0 0 0.1", "");
    s += "<link name=\"camera\"/><link name=\"camera_optical\"/>\n";
    s += &joint("cam", "fixed", "hand", "camera", "0.05 0 0", "");
    s += &joint("cam_opt", "fixed", "camera", "camera_optical", "0 0 0", "");
    s + "</robot>\n"
}

fn load(dir: &std::path::Path, name: &str, text: &str) -> Robot {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    Robot::load(p.to_str().unwrap(), &[]).unwrap()
}

#[test]
fn the_tip_is_the_hands_tcp_not_a_finger_or_a_sensor_frame() {
    let dir = tempfile::tempdir().unwrap();
    let robot = load(dir.path(), "arm.urdf", &ros_arm());
    let info = robot.info();
    assert_eq!(
        (info.base.as_str(), info.tip.as_str()),
        ("world", "hand_tcp")
    );
    assert_eq!(robot.chain.dof(), 3, "fingers are not IK joints");
    // The fingers are held (at 0: closed) and still collide; their contact with each other is
    // the gripper's business.
    let held: Vec<&str> = info.held_joints.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(held, ["fl", "fr"]);
    assert!(info
        .links
        .iter()
        .any(|l| l.name == "finger_l" && l.hulls == 1));
    assert_eq!(
        robot.chain.disabled_pairs(),
        [("finger_l".to_string(), "finger_r".to_string())]
    );
}

#[test]
fn a_base_on_a_fixed_child_of_an_empty_root_does_not_touch_the_ground() {
    let dir = tempfile::tempdir().unwrap();
    let robot = load(dir.path(), "arm.urdf", &ros_arm());
    let model = CollisionModel::new(
        &robot.chain,
        &Scene {
            ground: true,
            ..Scene::empty([0.5, 0.0, 0.5])
        },
    );
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(0);
    let q = robot.chain.sample_uniform(2000, &mut rng);
    let flags = model.check_batch(&q).unwrap();
    let ground = flags.iter().filter(|f| f.ground_collision).count();
    // The base box stands on z = 0 in every configuration; only the arm may reach down.
    assert!(ground < 2000, "every configuration touches the ground");
    let upright = model.check_batch(&[0.0, 0.0, 0.0]).unwrap()[0];
    assert!(!upright.any(), "{upright:?}");
}

#[test]
fn held_joints_take_the_robot_files_values_within_their_limits() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("arm.urdf"), ros_arm()).unwrap();
    let open = load(
        dir.path(),
        "open.toml",
        "urdf = \"arm.urdf\"\nheld_joints = { fl = 0.04, fr = 0.04 }\n",
    );
    assert_eq!(open.chain.held_joints()[0], ("fl".to_string(), 0.04));
    let p = dir.path().join("bad.toml");
    std::fs::write(&p, "urdf = \"arm.urdf\"\nheld_joints = { fl = 0.5 }\n").unwrap();
    let e = Robot::load(p.to_str().unwrap(), &[])
        .unwrap_err()
        .to_string();
    assert!(e.contains("held_joints.fl") && e.contains("0.5"), "{e}");
    std::fs::write(&p, "urdf = \"arm.urdf\"\nheld_joints = { j1 = 0.1 }\n").unwrap();
    let e = Robot::load(p.to_str().unwrap(), &[])
        .unwrap_err()
        .to_string();
    assert!(e.contains("held_joints.j1"), "{e}");
}

#[test]
fn unreadable_collision_meshes_are_named_with_file_and_reason() {
    let dir = tempfile::tempdir().unwrap();
    let text = ros_arm().replace(
        "<link name=\"l2\"><collision><origin xyz=\"0 0 0.15\"/><geometry><box size=\"0.05 0.05 0.3\"/>",
        "<link name=\"l2\"><collision><origin xyz=\"0 0 0.15\"/><geometry><mesh filename=\"package://arm/l2.dae\"/>",
    );
    let robot = load(dir.path(), "dae.urdf", &text);
    let ignored = robot.chain.ignored_meshes();
    assert_eq!(ignored.len(), 1, "{ignored:?}");
    assert!(
        ignored[0].contains("l2") && ignored[0].contains("l2.dae") && ignored[0].contains("STL")
    );
    let e = Robot::load("arm.urdf.xacro", &[]).unwrap_err().to_string();
    assert!(e.contains("xacro") && e.contains("expand"), "{e}");
}
