//! Draws the Panda in the `window` scene, two panels side by side (the ready pose alone, then
//! three poses together), and checks the PNG: it decodes, at the size asked for.
//!
//! `cargo run --release -p mace-viz --example robot_picture [OUT.png]` also writes the picture
//! when given a path (an existing file is not replaced).

use mace_robot::Scene;
use mace_viz::{encode_png, render_robot_panels, save_png, Camera, Panel, Pixmap, RobotScene};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rs = RobotScene::panda(Scene::by_name("window")?);
    let ready = [0.0f32, -0.785, 0.0, -2.356, 0.0, 1.571, 0.785];
    // Three configurations, a flat (3, 7) batch (rad): collision colours are computed.
    let three = [
        0.0f32, -0.785, 0.0, -2.356, 0.0, 1.571, 0.785, //
        0.3, 0.2, 0.0, -1.9, 0.0, 2.1, 0.785, //
        -0.6, -0.3, 0.2, -2.6, 0.1, 2.3, 0.3,
    ];
    let panels = [
        Panel {
            title: "ready",
            configs: &ready,
            colliding: None,
            alpha: Some(0.95),
        },
        Panel {
            title: "three poses",
            configs: &three,
            colliding: None,
            alpha: None,
        },
    ];
    let (w, h) = (420, 380);
    let picture = render_robot_panels(&rs, &panels, &Camera::for_scene(&rs.scene), (w, h))?;
    let png = encode_png(&picture)?;
    let back = Pixmap::decode_png(&png)?;
    assert_eq!((back.width(), back.height()), (2 * w, h));
    println!(
        "{}×{} px, {} bytes of PNG",
        back.width(),
        back.height(),
        png.len()
    );
    if let Some(path) = std::env::args_os().nth(1) {
        save_png(&picture, std::path::Path::new(&path), false)?;
        println!("wrote {}", path.to_string_lossy());
    }
    Ok(())
}
