//! Robot pictures of scenes with obstacles other than boxes: each kind is drawn where it is, in
//! the obstacles' colour, with its shadow on the ground.

use std::sync::Arc;

use mace_robot::scene::TriangleMesh;
use mace_robot::{Pose, Scene, SceneShape};

use super::*;

/// Where every test obstacle is centred, metres: in front of the robot, well above the ground.
const CENTRE: [f32; 3] = [0.5, -0.2, 0.45];
/// Panel size, pixels.
const SIZE: (u32, u32) = (240, 300);

/// An open box (a bin) of side `2 h` about the origin, its five faces cut into `n × n` squares
/// of two triangles each.
fn bin(h: f32, n: usize) -> TriangleMesh {
    let mut triangles = Vec::new();
    // Each face: a corner and two edge vectors, as (axis, sign) of its normal.
    for (axis, sign) in [(0, -1.0), (0, 1.0), (1, -1.0), (1, 1.0), (2, -1.0)] {
        let (u, v) = ((axis + 1) % 3, (axis + 2) % 3);
        let at = |i: usize, j: usize| {
            let mut p = [0.0f32; 3];
            p[axis] = sign * h;
            p[u] = -h + 2.0 * h * i as f32 / n as f32;
            p[v] = -h + 2.0 * h * j as f32 / n as f32;
            p
        };
        for i in 0..n {
            for j in 0..n {
                triangles.push([at(i, j), at(i + 1, j), at(i + 1, j + 1)]);
                triangles.push([at(i, j), at(i + 1, j + 1), at(i, j + 1)]);
            }
        }
    }
    TriangleMesh { triangles }
}

/// One obstacle of every kind other than a box, each centred at [`CENTRE`].
fn shapes() -> Vec<SceneShape> {
    let at = |rpy: [f64; 3]| Pose::from_xyz_rpy(CENTRE.map(f64::from), rpy);
    let step = 0.015f32;
    let points: Vec<[f32; 3]> = (0..9 * 9 * 9)
        .map(|k| {
            let (i, j, l) = (k % 9, (k / 9) % 9, k / 81);
            let d = |a: usize| (a as f32 - 4.0) * step;
            [CENTRE[0] + d(i), CENTRE[1] + d(j), CENTRE[2] + d(l)]
        })
        .collect();
    vec![
        SceneShape::Sphere {
            center: CENTRE,
            radius: 0.08,
        },
        SceneShape::Capsule {
            pose: at([0.3, 0.0, 0.0]),
            radius: 0.05,
            length: 0.3,
        },
        SceneShape::Cylinder {
            pose: at([0.0, 0.5, 0.0]),
            radius: 0.06,
            length: 0.3,
        },
        SceneShape::Mesh {
            pose: at([0.2, 0.1, 0.4]),
            mesh: Arc::new(bin(0.1, 10)),
            convex: false,
            margin: 0.0,
            file: "bin".to_string(),
        },
        SceneShape::Points {
            points: Arc::new(points),
            radius: 0.01,
            file: "cube of points".to_string(),
        },
    ]
}

/// The empty panel (no configurations) of `scene`, from the camera of an empty scene.
fn picture(scene: Scene) -> Pixmap {
    let rs = RobotScene::panda(scene);
    let cam = Camera::for_scene(&Scene::empty([0.0; 3]));
    let panel = Panel {
        title: "obstacle",
        configs: &[],
        colliding: Some(&[]),
        alpha: None,
    };
    render_robot_panels(&rs, &[panel], &cam, SIZE).unwrap()
}

/// Where a point is drawn in the panel, pixels.
fn pixel_of(p: &V3) -> (u32, u32) {
    let view =
        Camera::for_scene(&Scene::empty([0.0; 3])).view(SIZE.0, SIZE.1 - TITLE_BAND - LEGEND_BAND);
    let q = view.project(p).unwrap();
    (q[0] as u32, q[1] as u32 + TITLE_BAND)
}

/// Slate grey as obstacles are drawn (bluish, not bright), not the near-white sky and ground.
fn obstacle_coloured(pic: &Pixmap, (x, y): (u32, u32)) -> bool {
    let p = pic.pixel(x, y).unwrap();
    u32::from(p.blue()) >= u32::from(p.red()) + 10 && p.green() < 200
}

fn brightness(pic: &Pixmap, (x, y): (u32, u32)) -> u32 {
    let p = pic.pixel(x, y).unwrap();
    u32::from(p.red()) + u32::from(p.green()) + u32::from(p.blue())
}

#[test]
fn every_kind_is_drawn_where_it_is_with_its_shadow() {
    let target = [0.0, 0.6, 0.05];
    let empty = picture(Scene::empty(target));
    let centre = pixel_of(&V3::from(CENTRE));
    assert!(!obstacle_coloured(&empty, centre));
    // The sun's ray through the centre meets the ground here.
    let view = Camera::for_scene(&Scene::empty([0.0; 3])).view(SIZE.0 * SS, SIZE.1 * SS);
    let sun = sun_dir(&view);
    let c = V3::from(CENTRE);
    let shadow = pixel_of(&(c - sun * (c.z / sun.z)));
    assert!(!obstacle_coloured(&empty, shadow));
    for shape in shapes() {
        let kind = shape.kind();
        let mut scene = Scene::empty(target);
        scene.shapes.push(shape);
        let pic = picture(scene);
        assert!(obstacle_coloured(&pic, centre), "{kind} at {centre:?}");
        // Its shadow: the same ground, darker.
        assert!(!obstacle_coloured(&pic, shadow), "{kind} at {shadow:?}");
        let (lit, dark) = (brightness(&empty, shadow), brightness(&pic, shadow));
        assert!(
            dark * 10 < lit * 9,
            "{kind}'s shadow at {shadow:?}: {dark} vs {lit}"
        );
        // Far from it, nothing changed.
        let away = (5, SIZE.1 - LEGEND_BAND - 5);
        assert_eq!(
            pic.pixel(away.0, away.1),
            empty.pixel(away.0, away.1),
            "{kind}"
        );
    }
}

#[test]
fn obstacles_hide_what_is_behind_them() {
    // An upright cylinder (radius 0.12) on the line of sight to a ball, 0.3 m before it: the
    // ball's centre shows the cylinder's side, where the ray is 0.12 m from the axis.
    let cam = Camera::for_scene(&Scene::empty([0.0; 3]));
    let c = V3::from(CENTRE);
    let to_c = c - cam.eye;
    let front = c - to_c.normalize() * 0.3;
    let ball = SceneShape::Sphere {
        center: CENTRE,
        radius: 0.05,
    };
    let wall = SceneShape::Cylinder {
        pose: Pose::from_translation(front.into()),
        radius: 0.12,
        length: 0.3,
    };
    let (w, h) = (400, 300);
    let view = cam.view(w, h);
    let q = view.project(&c).unwrap();
    let at = (q[1] as u32 * w + q[0] as u32) as usize;
    let depth = |shapes: Vec<SceneShape>| {
        let mut scene = Scene::empty([0.0, 0.6, 0.05]);
        scene.shapes = shapes;
        Backdrop::render(&RobotScene::panda(scene), &view, w, h).depth[at]
    };
    let horizontal = (to_c.x * to_c.x + to_c.y * to_c.y).sqrt();
    let wall_t = (front - cam.eye).norm() - 0.12 * to_c.norm() / horizontal;
    let ball_t = to_c.norm() - 0.05;
    let (b, wl, both) = (
        depth(vec![ball.clone()]),
        depth(vec![wall.clone()]),
        depth(vec![ball, wall]),
    );
    assert!((b - ball_t).abs() < 5e-3, "{b} vs {ball_t}");
    assert!((wl - wall_t).abs() < 5e-3, "{wl} vs {wall_t}");
    assert_eq!(both, wl);
    assert!(depth(Vec::new()) > b);
}
