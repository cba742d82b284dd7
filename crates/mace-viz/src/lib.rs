//! Pictures of MACE results, in pure Rust (no GPU, no window): robot configurations over their
//! scene (the paper's Fig. 3), grids of point clouds with grasp fingers and contacts (Fig. 2),
//! score curves of a tuning run, and a self-contained HTML report of a results folder.
//!
//! Every picture is a [`Pixmap`] (RGBA, tiny-skia's); [`encode_png`] turns it into PNG bytes and
//! [`save_png`] writes them through [`mace_core::fs::write_file`]. Rasterising and anti-aliasing
//! are tiny-skia's; the 3-D robot views are ray-cast here ([`robot`]): each link is drawn as its
//! collision geometry (the convex hulls of its meshes, or its capsules); text uses a built-in
//! 5×7 bitmap font, so nothing is loaded at run time.
//!
//! # Example
//! ```
//! use mace_robot::Scene;
//! use mace_viz::{render_robot_panels, Camera, Panel, Pixmap, RobotScene};
//!
//! let rs = RobotScene::panda(Scene::by_name("window")?);
//! let ready = [0.0f32, -0.785, 0.0, -2.356, 0.0, 1.571, 0.785]; // rad
//! let panels = [Panel { title: "ready", configs: &ready, colliding: None, alpha: Some(0.9) }];
//! let camera = Camera::for_scene(&rs.scene);
//! let picture = render_robot_panels(&rs, &panels, &camera, (240, 220))?;
//! let png = mace_viz::encode_png(&picture)?;
//! assert_eq!(Pixmap::decode_png(&png).map(|p| (p.width(), p.height())).ok(), Some((240, 220)));
//! # Ok::<(), mace_viz::Error>(())
//! ```

mod bvh;
pub mod camera;
pub mod cloud;
pub mod curves;
pub mod error;
mod font;
pub mod html;
mod picture;
mod polytope;
mod raycast;
pub mod robot;

pub use camera::{Camera, Projection, View};
pub use cloud::{paper_finger_directions, render_cloud_grid, CloudPanel};
pub use curves::render_curves;
pub use error::{Error, Result};
pub use picture::{encode_png, save_png, stack_vertical};
pub use robot::{render_robot_panels, Panel, RobotScene};
pub use tiny_skia::Pixmap;
