//! Every obstacle kind against closed-form distances: a ball of radius 0.05 on a prismatic joint
//! moves along x, `q` metres from the origin, past spheres, capsules, cylinders, a convex and a
//! surface mesh and a point cloud; its signed distance to each is known in closed form.

use std::path::Path;

use mace_robot::{CollisionModel, KinematicChain, Scene};

const SLIDER: &str = r#"<robot name="slider">
  <link name="base"/>
  <link name="ball"><collision><geometry><sphere radius="0.05"/></geometry></collision></link>
  <joint name="x" type="prismatic"><parent link="base"/><child link="ball"/>
    <axis xyz="1 0 0"/><limit lower="-2" upper="2" effort="1" velocity="1"/></joint>
</robot>"#;

/// A hull-shaped link too: a 0.1 m cube, so GJK runs on a hull against every piece.
const CUBE_SLIDER: &str = r#"<robot name="cube">
  <link name="base"/>
  <link name="cube"><collision><geometry><box size="0.1 0.1 0.1"/></geometry></collision></link>
  <joint name="x" type="prismatic"><parent link="base"/><child link="cube"/>
    <axis xyz="1 0 0"/><limit lower="-2" upper="2" effort="1" velocity="1"/></joint>
</robot>"#;

fn scene_in(dir: &Path, body: &str) -> Scene {
    let path = dir.join("scene.toml");
    std::fs::write(&path, format!("target = [0, 0, 0]\nground = false\n{body}")).unwrap();
    Scene::from_toml_file(&path).unwrap()
}

/// The slider's obstacle distance at each x of `xs`, and whether it collides.
fn sweep(urdf: &str, scene: &Scene, xs: &[f32]) -> Vec<(f32, bool)> {
    let chain =
        KinematicChain::from_urdf_str(urdf, "base", if urdf == SLIDER { "ball" } else { "cube" })
            .unwrap();
    let model = CollisionModel::new(&chain, scene);
    let d = model.distances_batch(xs).unwrap();
    let c = model.collides_batch(xs).unwrap();
    d.iter().map(|d| d.obstacle_distance).zip(c).collect()
}

/// Exact to 20 µm outside and near contact; deep inside a curved solid EPA's penetration depth
/// is good to 0.5 mm.
fn close(got: f32, want: f32, what: &str) {
    let tol = if want < -0.01 { 5e-4 } else { 2e-5 };
    assert!((got - want).abs() < tol, "{what}: {got} vs {want}");
}

#[test]
fn every_kind_matches_closed_forms() {
    let dir = std::env::temp_dir().join(format!("mace-obstacles-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // A square plate in the yz plane at x = 1 (a surface), and a cube of side 0.2 at x = -1.
    std::fs::write(
        dir.join("plate.obj"),
        "v 1 -0.3 -0.3\nv 1 0.3 -0.3\nv 1 0.3 0.3\nv 1 -0.3 0.3\nf 1 2 3 4\n",
    )
    .unwrap();
    let mut cube = String::new();
    for k in 0..8 {
        let c = |b: usize| if k >> b & 1 == 1 { 0.1 } else { -0.1 };
        cube += &format!("v {} {} {}\n", c(0) - 1.0, c(1), c(2));
    }
    cube += "f 1 2 4 3\nf 5 6 8 7\nf 1 2 6 5\nf 3 4 8 7\nf 1 3 7 5\nf 2 4 8 6\n";
    std::fs::write(dir.join("cube.obj"), cube).unwrap();
    std::fs::write(
        dir.join("cloud.json"),
        "[[0.5, 0.2, 0], [0.6, 0.2, 0], [2, 2, 2]]",
    )
    .unwrap();
    let xs: Vec<f32> = (-20..=20).map(|i| i as f32 * 0.1).collect();
    let r = 0.05; // the ball
    type Distance = Box<dyn Fn(f32) -> f32>;
    let kinds: [(&str, Distance); 6] = [
        (
            "[[spheres]]\ncenter = [0.3, 0.1, 0]\nradius = 0.07\n",
            Box::new(move |x| ((x - 0.3f32).powi(2) + 0.01).sqrt() - 0.07 - r),
        ),
        (
            // A vertical capsule at x = 0.4, segment z in [-0.2, 0.2].
            "[[capsules]]\ncenter = [0.4, 0, 0]\nradius = 0.02\nlength = 0.4\n",
            Box::new(move |x| (x - 0.4f32).abs() - 0.02 - r),
        ),
        (
            // A cylinder lying along y (rotated about x) at x = -0.5.
            "[[cylinders]]\ncenter = [-0.5, 0, 0]\nradius = 0.1\nlength = 1\nrpy = [1.5707963, 0, 0]\n",
            Box::new(move |x| (x + 0.5f32).abs() - 0.1 - r),
        ),
        (
            "[[meshes]]\nfile = \"plate.obj\"\n",
            Box::new(move |x| (x - 1.0f32).abs() - r),
        ),
        (
            "[[meshes]]\nfile = \"cube.obj\"\nconvex = true\n",
            // A convex mesh collides as its hull grown by 1 mm, like a link mesh.
            Box::new(move |x| (x + 1.0f32).abs() - 0.1 - 0.001 - r),
        ),
        (
            "[[points]]\nfile = \"cloud.json\"\nradius = 0.01\n",
            Box::new(move |x| {
                let d = |px: f32| ((x - px).powi(2) + 0.04).sqrt();
                d(0.5).min(d(0.6)) - 0.01 - r
            }),
        ),
    ];
    for (body, want) in &kinds {
        let scene = scene_in(&dir, body);
        for ((d, hit), x) in sweep(SLIDER, &scene, &xs).into_iter().zip(&xs) {
            let w = want(*x);
            close(d, w, &format!("{body} at x = {x}"));
            assert_eq!(hit, w < 0.0, "{body} at x = {x}: distance {w}");
        }
    }
    // The cube link against the surface plate: distance to x = 1 minus the half side.
    let scene = scene_in(&dir, kinds[3].0);
    for ((d, hit), x) in sweep(CUBE_SLIDER, &scene, &xs).into_iter().zip(&xs) {
        let w = (x - 1.0).abs() - 0.05; // boxes are exact: no margin
        close(d, w, &format!("cube vs plate at x = {x}"));
        assert_eq!(hit, w < 0.0);
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_large_cloud_answers_like_brute_force() {
    use rand::{rngs::StdRng, Rng, SeedableRng};
    let dir = std::env::temp_dir().join(format!("mace-obstacles-cloud-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut rng = StdRng::seed_from_u64(4);
    let pts: Vec<[f32; 3]> = (0..2000)
        .map(|_| {
            [
                rng.random_range(-1.0..1.0),
                rng.random_range(-0.3..0.3),
                rng.random_range(-0.3..0.3),
            ]
        })
        .collect();
    std::fs::write(dir.join("c.json"), serde_json::to_string(&pts).unwrap()).unwrap();
    let scene = scene_in(&dir, "[[points]]\nfile = \"c.json\"\nradius = 0.005\n");
    let xs: Vec<f32> = (0..200).map(|i| -1.5 + i as f32 * 0.015).collect();
    for ((d, hit), x) in sweep(SLIDER, &scene, &xs).into_iter().zip(&xs) {
        let w = pts
            .iter()
            .map(|p| ((x - p[0]).powi(2) + p[1] * p[1] + p[2] * p[2]).sqrt())
            .fold(f32::INFINITY, f32::min)
            - 0.005
            - 0.05;
        close(d, w, &format!("x = {x}"));
        assert_eq!(hit, w < 0.0, "x = {x}");
    }
    std::fs::remove_dir_all(dir).unwrap();
}
