//! Robot pictures: hulls follow the links, spans are exact, panels have their sizes.

use mace_robot::{KinematicChain, LinkShape, Pose, Scene};

use super::*;

const READY: [f32; 7] = [0.0, -0.785, 0.0, -2.356, 0.0, 1.571, 0.785];

#[test]
fn hulls_follow_the_links() {
    // A ray from the camera to the centre of each placed hull enters it before the centre.
    let rs = RobotScene::panda(Scene::by_name("window").unwrap());
    let camera = Camera::for_scene(&rs.scene);
    let view = camera.view(400, 300);
    let poses = rs.chain.forward_kinematics(&READY).unwrap();
    let links = rs.chain.links();
    let polytopes = polytopes(&rs.chain);
    let arm = Arm::new(links, &polytopes, &poses, FREE, &view).unwrap();
    let shapes: Vec<(&LinkShape, &Pose)> = links
        .iter()
        .zip(&poses)
        .flat_map(|(l, p)| l.collision.iter().map(move |s| (s, p)))
        .collect();
    assert_eq!(arm.solids.len(), shapes.len());
    let mut top = 0.0f32;
    for (solid, (shape, pose)) in arm.solids.iter().zip(shapes) {
        let (
            Shape::Hull {
                poly, rot, trans, ..
            },
            LinkShape::Hull(h),
        ) = (&solid.shape, shape)
        else {
            panic!("the Panda's links are mesh hulls");
        };
        let n = h.vertices().count() as f32;
        let c = h.vertices().fold(V3::zeros(), |s, v| s + V3::from(v) / n);
        let c = V3::from(pose.transform_point(c.into()));
        top = top.max(
            h.vertices()
                .map(|v| pose.transform_point(v)[2])
                .fold(0.0, f32::max),
        );
        let to_c = (c - camera.eye).cast::<f64>();
        let (o, d) = (
            rot.tr_mul(&(camera.eye.cast() - trans)),
            rot.tr_mul(&to_c.normalize()),
        );
        let (t, _) = poly.scan(&o, &d, f64::INFINITY).unwrap();
        assert!(t > 0.0 && t < to_c.norm(), "{t} vs {}", to_c.norm());
    }
    // The arm's top is well above the base and below 1.2 m.
    assert!(top > 0.4 && top < 1.2, "{top}");
}

#[test]
fn row_spans_match_brute_force() {
    let dist = |o: &[f32; 5], x: f32, y: f32| {
        let [ax, ay, bx, by, _] = *o;
        let (dx, dy) = (bx - ax, by - ay);
        let l2 = (dx * dx + dy * dy).max(1e-12);
        let t = (((x - ax) * dx + (y - ay) * dy) / l2).clamp(0.0, 1.0);
        ((x - ax - t * dx).powi(2) + (y - ay - t * dy).powi(2)).sqrt()
    };
    for o in [
        [10.0f32, 10.0, 60.0, 35.0, 8.0],
        [30.0, 5.0, 30.0, 50.0, 4.0],
        [5.0, 20.0, 70.0, 20.0, 6.0],
        [40.0, 40.0, 40.0, 40.0, 9.0],
    ] {
        for y in 0..70 {
            let y = y as f32 + 0.5;
            let inside: Vec<f32> = (-200..1000)
                .map(|i| i as f32 * 0.1)
                .filter(|&x| dist(&o, x, y) <= o[4])
                .collect();
            match capsule_row_span(&o, y) {
                None => assert!(inside.is_empty(), "{o:?} y {y}"),
                Some((lo, hi)) => {
                    let (a, b) = (inside[0], *inside.last().unwrap());
                    assert!(
                        (a - lo).abs() < 0.15 && (b - hi).abs() < 0.15,
                        "{o:?} y {y}: {lo}..{hi} vs {a}..{b}"
                    );
                }
            }
        }
    }
}

#[test]
fn panels_have_the_stated_size_and_differ() {
    let rs = RobotScene::panda(Scene::by_name("wall").unwrap());
    let a = [0.0f32, -0.785, 0.0, -2.356, 0.0, 1.571, 0.785];
    let b = [1.2f32, 0.3, 0.0, -1.5, 0.0, 1.571, 0.785];
    let cam = Camera::for_scene(&rs.scene);
    let panels = [
        Panel {
            title: "a",
            configs: &a,
            colliding: None,
            alpha: Some(0.8),
        },
        Panel {
            title: "b",
            configs: &b,
            colliding: Some(&[true]),
            alpha: Some(0.8),
        },
    ];
    let p = render_robot_panels(&rs, &panels, &cam, (160, 200)).unwrap();
    assert_eq!((p.width(), p.height()), (320, 200));
    let left: Vec<_> = (0..200u32)
        .flat_map(|y| (0..160u32).map(move |x| (x, y)))
        .map(|(x, y)| p.pixel(x, y).unwrap().red())
        .collect();
    let right: Vec<_> = (0..200u32)
        .flat_map(|y| (160..320u32).map(move |x| (x, y)))
        .map(|(x, y)| p.pixel(x, y).unwrap().red())
        .collect();
    assert_ne!(left, right);
    assert!(render_robot_panels(&rs, &[], &cam, (160, 200)).is_err());
    let bad = [Panel {
        title: "bad",
        configs: &a,
        colliding: Some(&[true, false]),
        alpha: None,
    }];
    assert!(render_robot_panels(&rs, &bad, &cam, (160, 200)).is_err());
}

/// The configurations `q` drawn (opaque, free) in a scene with nothing else, and the pixels
/// of the view that differ from the same panel without them.
fn arm_pixels(q: &[f32], size: (u32, u32)) -> (Pixmap, Vec<(u32, u32)>) {
    let rs = RobotScene::panda(Scene::empty([0.5, 0.0, 0.4]));
    let cam = Camera::for_scene(&rs.scene);
    let flags = vec![false; q.len() / 7];
    let panel = |configs, colliding| Panel {
        title: "ready",
        configs,
        colliding: Some(colliding),
        alpha: Some(1.0),
    };
    let arm = render_robot_panels(&rs, &[panel(q, &flags)], &cam, size).unwrap();
    let empty = render_robot_panels(&rs, &[panel(&[], &[])], &cam, size).unwrap();
    let mut changed = Vec::new();
    for y in TITLE_BAND..size.1 - LEGEND_BAND {
        for x in 0..size.0 {
            if arm.pixel(x, y) != empty.pixel(x, y) {
                changed.push((x, y));
            }
        }
    }
    (arm, changed)
}

#[test]
fn the_arm_is_drawn_where_its_links_are() {
    let size = (240u32, 300u32);
    let (pic, changed) = arm_pixels(&READY, size);
    // Not blank, and the changed pixels are arm-blue (blue well above red).
    assert!(changed.len() > 1500, "{} arm pixels", changed.len());
    let blue = |x: u32, y: u32| {
        let p = pic.pixel(x, y).unwrap();
        u32::from(p.blue()) >= u32::from(p.red()) + 20
    };
    let bluish = changed.iter().filter(|&&(x, y)| blue(x, y)).count();
    assert!(
        bluish * 10 >= changed.len() * 9,
        "{bluish} of {}",
        changed.len()
    );
    // The centre of every link's hull projects onto the arm.
    let rs = RobotScene::panda(Scene::empty([0.5, 0.0, 0.4]));
    let view = Camera::for_scene(&rs.scene).view(size.0, size.1 - TITLE_BAND - LEGEND_BAND);
    let centres = |q: &[f32]| -> Vec<(String, (u32, u32))> {
        let poses = rs.chain.forward_kinematics(q).unwrap();
        let mut out = Vec::new();
        for (link, pose) in rs.chain.links().iter().zip(&poses) {
            for h in link.collision.iter().filter_map(LinkShape::hull) {
                let n = h.vertices().count() as f32;
                let c = h.vertices().fold(V3::zeros(), |s, v| s + V3::from(v) / n);
                let p = view
                    .project(&V3::from(pose.transform_point(c.into())))
                    .unwrap();
                out.push((link.name.clone(), (p[0] as u32, p[1] as u32 + TITLE_BAND)));
            }
        }
        out
    };
    let ready = centres(&READY);
    for (name, (x, y)) in &ready {
        assert!(blue(*x, *y), "{name} at ({x}, {y})");
    }
    // Turned about the base, the hand is drawn elsewhere: each picture's hand pixel is
    // changed in that picture only.
    let mut turned = READY;
    turned[0] = 2.5;
    let (_, other) = arm_pixels(&turned, size);
    assert!(other.len() > 1000, "{}", other.len());
    assert_ne!(other, changed);
    let hand = |c: &[(String, (u32, u32))]| c.iter().find(|(n, _)| n == "panda_hand").unwrap().1;
    let (h0, h1) = (hand(&ready), hand(&centres(&turned)));
    assert!(changed.contains(&h0) && !other.contains(&h0), "{h0:?}");
    assert!(other.contains(&h1) && !changed.contains(&h1), "{h1:?}");
}

#[test]
fn bad_batches_name_the_panel() {
    let rs = RobotScene::panda(Scene::by_name("box").unwrap());
    let cam = Camera::for_scene(&rs.scene);
    let q = [0.0f32, f32::NAN, 0.0, -2.0, 0.0, 1.5, 0.7];
    let panels = [Panel {
        title: "nan",
        configs: &q,
        colliding: Some(&[false]),
        alpha: None,
    }];
    let e = render_robot_panels(&rs, &panels, &cam, (100, 150)).unwrap_err();
    assert!(
        matches!(&e, Error::Panel { panel, .. } if panel == "nan"),
        "{e}"
    );
    assert!(matches!(
        render_robot_panels(&rs, &panels, &cam, (10, 150)),
        Err(Error::Size { .. })
    ));
}

#[test]
fn outlines_and_their_row_spans() {
    // A square's corners with points inside and on its edges: the square.
    let mut points = vec![[0.0f32, 0.0], [4.0, 0.0], [4.0, 4.0], [0.0, 4.0]];
    points.extend([[1.0, 1.0], [2.0, 0.0], [3.0, 2.5], [0.0, 2.0], [2.0, 2.0]]);
    let square = convex_outline(points);
    assert_eq!(square.len(), 4, "{square:?}");
    assert_eq!(polygon_row_span(&square, 1.5), Some((0.0, 4.0)));
    assert_eq!(polygon_row_span(&square, 4.5), None);
    // A triangle: the span narrows towards its apex.
    let tri = convex_outline(vec![[0.0, 0.0], [10.0, 0.0], [5.0, 10.0]]);
    let (lo, hi) = polygon_row_span(&tri, 5.0).unwrap();
    assert!(
        (lo - 2.5).abs() < 1e-5 && (hi - 7.5).abs() < 1e-5,
        "{lo} {hi}"
    );
    assert_eq!(
        convex_outline(vec![[1.0, 1.0], [1.0, 1.0]]),
        vec![[1.0, 1.0]]
    );
}

#[test]
fn any_chain_with_capsules_and_boxes() {
    // A two-link arm: a cylinder base, a capsule link and a box link (a hull of 8 corners).
    let urdf = r#"<robot name="two">
      <link name="base"><collision><origin xyz="0 0 0.05"/>
        <geometry><cylinder radius="0.05" length="0.1"/></geometry></collision></link>
      <link name="l1"><collision><origin xyz="0.25 0 0" rpy="0 1.5707963 0"/>
        <geometry><capsule radius="0.03" length="0.5"/></geometry></collision></link>
      <link name="l2"><collision><origin xyz="0.15 0 0"/>
        <geometry><box size="0.3 0.06 0.06"/></geometry></collision></link>
      <joint name="j1" type="revolute"><parent link="base"/><child link="l1"/>
        <origin xyz="0 0 0.1"/><axis xyz="0 0 1"/>
        <limit lower="-3" upper="3" effort="1" velocity="1"/></joint>
      <joint name="j2" type="revolute"><parent link="l1"/><child link="l2"/>
        <origin xyz="0.5 0 0"/><axis xyz="0 0 1"/>
        <limit lower="-2" upper="2" effort="1" velocity="1"/></joint>
    </robot>"#;
    let chain = KinematicChain::from_urdf_str(urdf, "base", "l2").unwrap();
    let rs = RobotScene::new(chain, Scene::empty([0.6, 0.3, 0.1]));
    let cam = Camera::perspective(V3::new(0.4, -1.2, 1.0), V3::new(0.4, 0.1, 0.1), 40.0);
    let q = [0.3f32, 0.6];
    let size = (200u32, 240u32);
    let draw = |configs: &[f32]| {
        let flags = vec![false; configs.len() / 2];
        let panel = Panel {
            title: "two",
            configs,
            colliding: Some(&flags),
            alpha: Some(1.0),
        };
        render_robot_panels(&rs, &[panel], &cam, size).unwrap()
    };
    let (arm, empty) = (draw(&q), draw(&[]));
    let view = cam.view(size.0, size.1 - TITLE_BAND - LEGEND_BAND);
    let poses = rs.chain.forward_kinematics(&q).unwrap();
    // The middle of the capsule link and of the box link are drawn blue.
    for (link, centre) in [("l1", [0.25, 0.0, 0.0]), ("l2", [0.15, 0.0, 0.0])] {
        let pose = &poses[rs.chain.link_index(link).unwrap()];
        let p = view
            .project(&V3::from(pose.transform_point(centre)))
            .unwrap();
        let (x, y) = (p[0] as u32, p[1] as u32 + TITLE_BAND);
        let (a, e) = (arm.pixel(x, y).unwrap(), empty.pixel(x, y).unwrap());
        assert!(
            a != e && a.blue() > a.red() + 40,
            "{link} at ({x}, {y}): {a:?}"
        );
    }
}
