use mace_robot::{Error, KinematicChain, Scene};

use crate::data::path;

const ARM: &str = r#"<robot name="r">
  <link name="a"/><link name="b"/>
  <joint name="j" type="revolute"><parent link="a"/><child link="b"/>
    <axis xyz="AXIS"/><limit lower="LO" upper="1" effort="1" velocity="1"/></joint>
</robot>"#;

#[test]
fn missing_urdf_file_names_the_path() {
    let e = KinematicChain::from_urdf_file("/nonexistent/robot.urdf", "a", "b").unwrap_err();
    assert!(matches!(e, Error::File(_)), "{e}");
    assert!(e.to_string().contains("/nonexistent/robot.urdf"), "{e}");
}

#[test]
fn malformed_urdf_is_an_error() {
    let e = KinematicChain::from_urdf_str("<robot name='x'><link name=", "a", "b").unwrap_err();
    assert!(matches!(e, Error::Urdf { .. }), "{e}");
}

#[test]
fn unknown_links_and_bad_fields_are_named() {
    let ok = ARM.replace("AXIS", "0 0 1").replace("LO", "-1");
    assert!(KinematicChain::from_urdf_str(&ok, "a", "b").is_ok());
    let e = KinematicChain::from_urdf_str(&ok, "a", "zz")
        .unwrap_err()
        .to_string();
    assert!(e.contains("tip") && e.contains("zz"), "{e}");
    let e = KinematicChain::from_urdf_str(&ok, "b", "a")
        .unwrap_err()
        .to_string();
    assert!(e.contains("does not descend"), "{e}");
    let zero_axis = ARM.replace("AXIS", "0 0 0").replace("LO", "-1");
    let e = KinematicChain::from_urdf_str(&zero_axis, "a", "b")
        .unwrap_err()
        .to_string();
    assert!(e.contains("joint \"j\" axis"), "{e}");
    let inverted = ARM.replace("AXIS", "0 0 1").replace("LO", "2");
    let e = KinematicChain::from_urdf_str(&inverted, "a", "b")
        .unwrap_err()
        .to_string();
    assert!(e.contains("joint \"j\" limit"), "{e}");
}

#[test]
fn the_planar_test_arm_loads_from_file() {
    assert!(KinematicChain::from_urdf_file(path("planar3.urdf"), "base", "tool").is_ok());
}

#[test]
fn malformed_and_missing_scenes() {
    let e = Scene::by_name("kitchen").unwrap_err();
    assert!(matches!(e, Error::UnknownScene { .. }), "{e}");
    let e = Scene::by_name("/nonexistent/scene.toml")
        .unwrap_err()
        .to_string();
    assert!(e.contains("/nonexistent/scene.toml"), "{e}");
    let e = Scene::from_toml_str("target = [0, 0]\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains("target"), "{e}");
    let e = Scene::from_toml_str("target = [0, 0, 0]\n[[boxes]]\ncenter = [0, 0, 0]\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains("size"), "{e}");
    let e = Scene::from_toml_str(
        "target = [0, 0, 0]\n[[boxes]]\ncenter = [0, 0, 0]\nsize = [1, -1, 1]\n",
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("boxes[0].size"), "{e}");
    let e = Scene::from_toml_str("target = [0, 0, 0]\ncolour = 3\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains("colour"), "{e}");
    let e = Scene::from_toml_str("target = [0, 0, nan]\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains("target"), "{e}");
}

#[test]
fn wrong_length_nan_and_empty_batches() {
    let chain = KinematicChain::panda();
    let e = chain
        .forward_kinematics(&[0.0; 10])
        .unwrap_err()
        .to_string();
    assert!(e.contains("not a multiple of 7"), "{e}");
    let mut q = vec![0.0f32; 21];
    q[16] = f32::NAN;
    let e = chain.forward_kinematics(&q).unwrap_err().to_string();
    assert!(
        e.contains("configuration 2") && e.contains("joint 2"),
        "{e}"
    );
    let sim = mace_robot::IkSimulator::new(&chain, &Scene::by_name("wall").unwrap());
    let e = sim.simulate_slice(&[]).unwrap_err();
    assert!(matches!(e, Error::EmptyBatch { .. }), "{e}");
}

#[test]
fn out_of_limit_joints_are_flagged_not_rejected() {
    let chain = KinematicChain::panda();
    let q = [0.0f32, 0.0, 0.0, 0.5, 0.0, 5.0, 0.0]; // joint 4 above 0, joint 6 above 3.8223
    assert_eq!(chain.out_of_limits(&q), vec![3, 5]);
    let model = mace_robot::CollisionModel::new(&chain, &Scene::by_name("wall").unwrap());
    assert_eq!(model.check_batch(&q).unwrap().len(), 1);
}
