//! Robot descriptions and scenes as users get them wrong: each a clear error naming the file,
//! the field and the value.

use std::path::Path;

use mace_robot::{Error, Robot, Scene};

/// A serial arm of `n` revolute joints `j1..jn` (links `l0..ln`, 0.1 m apart along z);
/// `extra` is added inside `<robot>`.
fn arm(n: usize, extra: &str) -> String {
    let mut s = String::from("<robot name=\"arm\">\n<link name=\"l0\"/>\n");
    for i in 1..=n {
        s.push_str(&format!(
            "<link name=\"l{i}\"/>\n<joint name=\"j{i}\" type=\"revolute\">\
             <parent link=\"l{}\"/><child link=\"l{i}\"/><origin xyz=\"0 0 0.1\"/>\
             <axis xyz=\"0 1 0\"/><limit lower=\"-1\" upper=\"1\" effort=\"1\" velocity=\"1\"/>\
             </joint>\n",
            i - 1
        ));
    }
    s.push_str(extra);
    s.push_str("</robot>\n");
    s
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn load_err(dir: &Path, name: &str, text: &str) -> String {
    let p = write(dir, name, text);
    let e = Robot::load(p.to_str().unwrap(), &[])
        .unwrap_err()
        .to_string();
    assert!(!e.contains('\n'), "one line: {e}");
    e
}

#[test]
fn a_bare_urdf_runs_from_its_root_to_the_end_of_its_longest_chain() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "six.urdf", &arm(6, ""));
    let robot = Robot::load(p.to_str().unwrap(), &[]).unwrap();
    assert_eq!(robot.chain.dof(), 6);
    let info = robot.info();
    assert_eq!((info.base.as_str(), info.tip.as_str()), ("l0", "l6"));
    // At zero every joint is straight up: the tip is at 6 × 0.1 m.
    let tcp = robot.chain.tcp_positions(&[0.0; 6]).unwrap()[0];
    assert!((tcp[2] - 0.6).abs() < 1e-6, "{tcp:?}");
}

#[test]
fn one_or_twenty_joints_are_refused_with_the_count() {
    let dir = tempfile::tempdir().unwrap();
    let e = load_err(dir.path(), "one.urdf", &arm(1, ""));
    assert!(
        e.contains("one.urdf") && e.contains("1 actuated joint"),
        "{e}"
    );
    let e = load_err(dir.path(), "twenty.urdf", &arm(20, ""));
    assert!(
        e.contains("twenty.urdf") && e.contains("20 actuated joint"),
        "{e}"
    );
}

#[test]
fn a_kinematic_loop_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    // l3 gets a second parent: a closed chain URDF cannot describe as a tree.
    let extra = "<joint name=\"loop\" type=\"fixed\"><parent link=\"l1\"/>\
                 <child link=\"l3\"/></joint>\n";
    let e = load_err(dir.path(), "loop.urdf", &arm(3, extra));
    assert!(e.contains("loop.urdf") && e.contains("l3"), "{e}");
}

#[test]
fn nan_or_malformed_origins_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let text = arm(3, "").replacen("xyz=\"0 0 0.1\"", "xyz=\"0 0 nan\"", 1);
    let e = load_err(dir.path(), "nan.urdf", &text);
    assert!(e.contains("nan.urdf") && e.contains("j1"), "{e}");
    let text = arm(3, "").replacen("xyz=\"0 0 0.1\"", "xyz=\"0 0\"", 1);
    let e = load_err(dir.path(), "short.urdf", &text);
    assert!(e.contains("short.urdf"), "{e}");
    let text = arm(3, "").replacen("<origin xyz=\"0 0 0.1\"/>", "<origin rpy=\"0 inf 0\"/>", 1);
    let e = load_err(dir.path(), "inf.urdf", &text);
    assert!(e.contains("inf.urdf") && e.contains("j1"), "{e}");
}

#[test]
fn unknown_base_or_tip_links_are_named() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "arm.urdf", &arm(3, ""));
    let e = load_err(
        dir.path(),
        "a.toml",
        "urdf = \"arm.urdf\"\ntip = \"gripper\"\n",
    );
    assert!(e.contains("a.toml") || e.contains("arm.urdf"), "{e}");
    assert!(e.contains("gripper"), "{e}");
    let e = load_err(
        dir.path(),
        "b.toml",
        "urdf = \"arm.urdf\"\nbase = \"world\"\n",
    );
    assert!(e.contains("world"), "{e}");
}

#[test]
fn mimic_joints_on_the_chain_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let text = arm(3, "").replacen(
        "<joint name=\"j2\" type=\"revolute\">",
        "<joint name=\"j2\" type=\"revolute\"><mimic joint=\"j1\" multiplier=\"1\"/>",
        1,
    );
    // A bare URDF ends its chain before a mimic joint (a gripper's): here at one joint.
    let e = load_err(dir.path(), "mimic.urdf", &text);
    assert!(e.contains("1 actuated joint"), "{e}");
    // Asked for the chain through it, the mimic joint is named.
    let e = load_err(
        dir.path(),
        "mimic.toml",
        "urdf = \"mimic.urdf\"\ntip = \"l3\"\n",
    );
    assert!(
        e.contains("mimic.urdf") && e.contains("j2") && e.contains("mimic"),
        "{e}"
    );
}

#[test]
fn continuous_joints_get_a_finite_range() {
    let dir = tempfile::tempdir().unwrap();
    let text = arm(3, "").replacen(
        "type=\"revolute\"><parent link=\"l0\"/>",
        "type=\"continuous\"><parent link=\"l0\"/>",
        1,
    );
    let p = write(dir.path(), "cont.urdf", &text);
    let robot = Robot::load(p.to_str().unwrap(), &[]).unwrap();
    let j = &robot.chain.joints()[0];
    assert!(
        j.lower.is_finite() && j.upper.is_finite() && j.lower < j.upper,
        "{j:?}"
    );
    assert!(
        (j.upper - j.lower - 2.0 * std::f32::consts::PI).abs() < 1e-5,
        "{j:?}"
    );
}

#[test]
fn robot_files_name_their_bad_fields() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "arm.urdf", &arm(3, ""));
    let e = load_err(
        dir.path(),
        "tcp.toml",
        "urdf = \"arm.urdf\"\ntcp = [0, 0]\n",
    );
    assert!(
        e.contains("tcp.toml") && e.contains("tcp") && e.contains("[0.0, 0.0]"),
        "{e}"
    );
    let e = load_err(
        dir.path(),
        "typo.toml",
        "urdf = \"arm.urdf\"\ntpc = [0, 0, 1]\n",
    );
    assert!(e.contains("typo.toml") && e.contains("tpc"), "{e}");
    let e = load_err(
        dir.path(),
        "pairs.toml",
        "urdf = \"arm.urdf\"\nignore_pairs = [[\"l1\", \"hand\"]]\n",
    );
    assert!(e.contains("ignore_pairs[0]") && e.contains("hand"), "{e}");
    let e = load_err(dir.path(), "nourdf.toml", "urdf = \"missing.urdf\"\n");
    assert!(e.contains("missing.urdf"), "{e}");
    let e = Robot::load("kuka", &[]).unwrap_err().to_string();
    assert!(e.contains("kuka") && e.contains("iiwa14"), "{e}");
}

#[test]
fn a_robot_whose_links_always_overlap_cannot_make_a_dataset() {
    let dir = tempfile::tempdir().unwrap();
    // Big boxes on the base and on l2, a small ball on l1 between them: l0 and l2 are not
    // adjacent, and overlap whatever the joints do.
    let link = |name: &str, geometry: &str| {
        format!(
            "<link name=\"{name}\"><collision><geometry>{geometry}</geometry></collision></link>"
        )
    };
    let text = arm(3, "")
        .replace("<link name=\"l0\"/>", &link("l0", "<box size=\"1 1 1\"/>"))
        .replace(
            "<link name=\"l1\"/>",
            &link("l1", "<sphere radius=\"0.01\"/>"),
        )
        .replace("<link name=\"l2\"/>", &link("l2", "<box size=\"1 1 1\"/>"));
    let p = write(dir.path(), "stuck.urdf", &text);
    let robot = Robot::load(p.to_str().unwrap(), &[]).unwrap();
    let made = |n| match mace_robot::Dataset::generate(
        &robot.chain,
        &mace_robot::DatasetConfig { n, seed: 0 },
    ) {
        Ok(_) => panic!("a dataset of {n} from a robot that always collides"),
        Err(e) => e,
    };
    let e = made(1000);
    assert!(matches!(e, Error::AlwaysInCollision { .. }), "{e}");
    let e = made(1_000_000_000_000);
    assert!(matches!(e, Error::TooMany { .. }), "{e}");
    assert!(e.to_string().contains("1000000000000"), "{e}");
}

#[test]
fn a_dataset_of_another_robot_is_refused_by_its_stamp() {
    let panda = Robot::builtin("panda").unwrap();
    let iiwa = Robot::builtin("iiwa14").unwrap();
    let e = iiwa
        .check_stamp(&panda.stamp(), "the dataset d.safetensors")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("d.safetensors") && e.contains("panda") && e.contains("iiwa14"),
        "{e}"
    );
    assert!(panda.check_stamp(&panda.stamp(), "x").is_ok());
}

fn scene_err(dir: &Path, body: &str) -> String {
    let p = write(
        dir,
        "scene.toml",
        &format!("target = [0.5, 0, 0.5]\n{body}"),
    );
    let e = Scene::by_name(p.to_str().unwrap()).unwrap_err().to_string();
    assert!(!e.contains('\n'), "one line: {e}");
    assert!(e.contains("scene.toml"), "names the file: {e}");
    e
}

#[test]
fn scene_shapes_with_non_positive_or_absurd_sizes_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("[[spheres]]\ncenter = [0, 0, 0]\nradius = 0\n", "spheres[0].radius"),
        ("[[spheres]]\ncenter = [0, 0, 0]\nradius = -1\n", "spheres[0].radius"),
        (
            "[[capsules]]\ncenter = [0, 0, 0]\nradius = 0.1\nlength = -0.2\n",
            "capsules[0].length",
        ),
        (
            "[[cylinders]]\ncenter = [0, 0, 0]\nradius = nan\nlength = 0.2\n",
            "cylinders[0].radius",
        ),
        ("[[boxes]]\ncenter = [0, 0, 0]\nsize = [1, 1, 1e39]\n", "boxes[0].size"),
        (
            "[[spheres]]\ncenter = [0, 0, 0, 1]\nradius = 0.1\n",
            "spheres[0].center",
        ),
        (
            "[[capsules]]\ncenter = [0, 0, 0]\nradius = 0.1\nlength = 0.2\nquat_xyzw = [0, 0, 0, 0]\n",
            "capsules[0].quat_xyzw",
        ),
        ("[[spheres]]\ncenter = [0, 0, 0]\nradius = 0.1\nrpy = [0, 0, 1]\n", "rpy"),
    ];
    for (body, field) in cases {
        let e = scene_err(dir.path(), body);
        assert!(e.contains(field), "{body}: {e}");
    }
}

#[test]
fn meshes_and_clouds_that_cannot_be_obstacles_are_named() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "empty.obj",
        "# nothing\nv 0 0 0\nv 1 0 0\nv 0 1 0\n",
    );
    let e = scene_err(
        dir.path(),
        "[[meshes]]\nfile = \"empty.obj\"\ncenter = [0, 0, 0]\n",
    );
    assert!(e.contains("empty.obj") && e.contains("meshes[0]"), "{e}");
    let e = scene_err(
        dir.path(),
        "[[meshes]]\nfile = \"absent.stl\"\ncenter = [0, 0, 0]\n",
    );
    assert!(e.contains("absent.stl"), "{e}");
    write(dir.path(), "c.obj", "v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n");
    let e = scene_err(
        dir.path(),
        "[[meshes]]\nfile = \"c.obj\"\ncenter = [0, 0, 0]\nscale = 0\n",
    );
    assert!(e.contains("meshes[0].scale"), "{e}");
    // A 5-million-point cloud (NPY, 60 MB) is refused by its header, before its points are read.
    let n: usize = 5_000_000;
    let header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': ({n}, 3), }}");
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    let pad = 64 - (10 + header.len() + 1) % 64;
    let header = format!("{header}{}\n", " ".repeat(pad));
    bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    bytes.resize(bytes.len() + n * 12, 0);
    std::fs::write(dir.path().join("huge.npy"), &bytes).unwrap();
    let e = scene_err(
        dir.path(),
        "[[points]]\nfile = \"huge.npy\"\nradius = 0.01\n",
    );
    assert!(e.contains("huge.npy") && e.contains("5000000"), "{e}");
    // With a voxel size the same cloud is thinned and accepted.
    let p = write(
        dir.path(),
        "thin.toml",
        "target = [0.5, 0, 0.5]\n[[points]]\nfile = \"huge.npy\"\nradius = 0.01\nvoxel = 0.05\n",
    );
    assert!(Scene::by_name(p.to_str().unwrap()).is_ok());
}
