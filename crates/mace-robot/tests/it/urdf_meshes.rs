//! URDF collision meshes read from files: paths relative to the URDF, `package://`, scale and
//! origin, formats, and errors that name the link and the file.

use std::path::Path;

use mace_robot::{CollisionModel, Error, KinematicChain};

/// A one-joint arm whose link `l1` collides as the mesh `filename` (scaled, offset by `xyz`).
fn urdf(filename: &str, scale: &str, xyz: &str) -> String {
    format!(
        r#"<robot name="m">
  <link name="base"/>
  <link name="l1">
    <collision><origin xyz="{xyz}"/><geometry><mesh filename="{filename}" {scale}/></geometry></collision>
  </link>
  <joint name="j1" type="revolute"><parent link="base"/><child link="l1"/>
    <axis xyz="0 0 1"/><limit lower="-1" upper="1" effort="1" velocity="1"/></joint>
</robot>"#
    )
}

/// A unit cube's corners (and one interior point, which the hull drops) as OBJ text.
fn cube_obj() -> String {
    let mut s = String::from("# cube\n");
    for x in [-0.5, 0.5] {
        for y in [-0.5, 0.5] {
            for z in [-0.5, 0.5] {
                s += &format!("v {x} {y} {z}\n");
            }
        }
    }
    s + "v 0 0 0\nf 1 2 3\n"
}

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn hull_extent(chain: &KinematicChain) -> ([f32; 3], [f32; 3]) {
    let l1 = chain.link_index("l1").unwrap();
    let hull = chain.links()[l1].collision[0]
        .hull()
        .expect("a mesh is a hull");
    let mut lo = [f32::MAX; 3];
    let mut hi = [f32::MIN; 3];
    let mut n = 0;
    for v in hull.vertices() {
        n += 1;
        for k in 0..3 {
            lo[k] = lo[k].min(v[k]);
            hi[k] = hi[k].max(v[k]);
        }
    }
    assert_eq!(n, 8, "the interior point is not a hull vertex");
    (lo, hi)
}

#[test]
fn meshes_next_to_the_urdf_are_hulls_with_scale_and_origin() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "meshes/cube.obj", &cube_obj());
    write(
        dir.path(),
        "robot.urdf",
        &urdf("meshes/cube.obj", r#"scale="0.1 0.2 0.3""#, "1 0 0"),
    );
    let chain =
        KinematicChain::from_urdf_file(dir.path().join("robot.urdf"), "base", "l1").unwrap();
    assert!(chain.ignored_meshes().is_empty());
    let (lo, hi) = hull_extent(&chain);
    for (k, (l, h)) in [(0.95, 1.05), (-0.1, 0.1), (-0.15, 0.15)]
        .iter()
        .enumerate()
    {
        assert!(
            (lo[k] - l).abs() < 1e-6 && (hi[k] - h).abs() < 1e-6,
            "{lo:?} {hi:?}"
        );
    }
    // It collides: a box at the mesh's place is hit, one beside it is not (1 mm margin).
    let poses = chain.forward_kinematics(&[0.0]).unwrap();
    let hit = |x: f32| {
        let obb = mace_robot::Obb {
            pose: mace_robot::Pose::from_translation([x, 0.0, 0.0]),
            half: [0.01; 3],
        };
        CollisionModel::from_parts(&chain, vec![obb], false)
            .check(&poses)
            .obstacle_collision
    };
    assert!(hit(1.0) && hit(1.0595) && !hit(1.0615));
}

#[test]
fn package_paths_and_binary_stl_are_found() {
    // pkg/urdf/robot.urdf with pkg/meshes/cube.stl, as ROS packages lay them out.
    let dir = tempfile::tempdir().unwrap();
    let mut stl = vec![0u8; 80];
    let corners: Vec<[f32; 3]> = (0..8)
        .map(|k| {
            [
                (k & 1) as f32 - 0.5,
                (k >> 1 & 1) as f32 - 0.5,
                (k >> 2 & 1) as f32 - 0.5,
            ]
        })
        .collect();
    let tris = [[0, 1, 2], [3, 4, 5], [6, 7, 0]];
    stl.extend_from_slice(&(tris.len() as u32).to_le_bytes());
    for t in tris {
        stl.extend_from_slice(&[0u8; 12]);
        for &i in &t {
            for x in corners[i] {
                stl.extend_from_slice(&x.to_le_bytes());
            }
        }
        stl.extend_from_slice(&[0u8; 2]);
    }
    std::fs::create_dir_all(dir.path().join("pkg/meshes")).unwrap();
    std::fs::write(dir.path().join("pkg/meshes/cube.stl"), stl).unwrap();
    write(
        dir.path(),
        "pkg/urdf/robot.urdf",
        &urdf("package://pkg/meshes/cube.stl", "", "0 0 0"),
    );
    let chain =
        KinematicChain::from_urdf_file(dir.path().join("pkg/urdf/robot.urdf"), "base", "l1")
            .unwrap();
    let (lo, hi) = hull_extent(&chain);
    assert_eq!((lo, hi), ([-0.5; 3], [0.5; 3]));
}

#[test]
fn missing_bad_or_unreadable_meshes() {
    let dir = tempfile::tempdir().unwrap();
    // Missing: the error names the link, the file and where it looked.
    write(dir.path(), "a.urdf", &urdf("meshes/none.obj", "", "0 0 0"));
    let e = KinematicChain::from_urdf_file(dir.path().join("a.urdf"), "base", "l1").unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, Error::InvalidRobot { .. }), "{msg}");
    assert!(
        msg.contains("link \"l1\"") && msg.contains("none.obj") && msg.contains("not found"),
        "{msg}"
    );
    // Flat: all points in one plane.
    write(
        dir.path(),
        "flat.obj",
        "v 0 0 0\nv 1 0 0\nv 0 1 0\nv 1 1 0\n",
    );
    write(dir.path(), "b.urdf", &urdf("flat.obj", "", "0 0 0"));
    let msg = KinematicChain::from_urdf_file(dir.path().join("b.urdf"), "base", "l1")
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("flat.obj") && msg.contains("degenerate"),
        "{msg}"
    );
    // Malformed vertex line, and a zero scale.
    write(dir.path(), "bad.obj", "v 0 0\n");
    write(dir.path(), "c.urdf", &urdf("bad.obj", "", "0 0 0"));
    let msg = KinematicChain::from_urdf_file(dir.path().join("c.urdf"), "base", "l1")
        .unwrap_err()
        .to_string();
    assert!(msg.contains("bad.obj") && msg.contains("line 1"), "{msg}");
    write(dir.path(), "cube.obj", &cube_obj());
    write(
        dir.path(),
        "d.urdf",
        &urdf("cube.obj", r#"scale="1 0 1""#, "0 0 0"),
    );
    let msg = KinematicChain::from_urdf_file(dir.path().join("d.urdf"), "base", "l1")
        .unwrap_err()
        .to_string();
    assert!(msg.contains("scale"), "{msg}");
    // A format we cannot read is skipped and listed, as are meshes of URDF text.
    write(dir.path(), "e.urdf", &urdf("meshes/link.dae", "", "0 0 0"));
    let chain = KinematicChain::from_urdf_file(dir.path().join("e.urdf"), "base", "l1").unwrap();
    assert_eq!(
        chain.ignored_meshes(),
        ["l1: meshes/link.dae (format not read: convert to STL or OBJ)"]
    );
    let chain =
        KinematicChain::from_urdf_str(&urdf("cube.obj", "", "0 0 0"), "base", "l1").unwrap();
    assert_eq!(chain.ignored_meshes(), ["l1: cube.obj (no mesh folder)"]);
}

#[test]
fn the_shipped_urdf_file_is_the_built_in_panda() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/robots/panda.urdf");
    let from_file =
        KinematicChain::from_urdf_file(root, "panda_link0", "panda_grasptarget").unwrap();
    assert_eq!(from_file, KinematicChain::panda());
}
