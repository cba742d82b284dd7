//! Scenes: obstacles (boxes, spheres, capsules, cylinders, meshes, point clouds), an optional
//! ground plane `z = 0` and an IK target, read from TOML. Every obstacle has a pose: `center`
//! and an optional orientation, `rpy` (rad, URDF convention Rz·Ry·Rx) or `quat_xyzw`, not both.
//! Files are read relative to the scene file's folder.
//!
//! ```toml
//! name = "cell"
//! target = [0.43, 0.0, 0.56]     # metres, robot base frame
//! # target_orientation = [1, 0, 0, 0]   # optional: the tool's quaternion (x, y, z, w) …
//! # target_free_axis = "z"              # … free about this tool axis (optional)
//! ground = true                  # the plane z = 0 is an obstacle (default true)
//!
//! [[boxes]]
//! center = [0.5, 0.0, 0.5]       # metres
//! size = [0.2, 0.8, 0.01]        # FULL edge lengths, metres
//! rpy = [0.0, 0.0, 0.0]          # optional orientation …
//! # quat_xyzw = [0, 0, 0, 1]     # … or a quaternion (x, y, z, w); not both
//!
//! [[spheres]]
//! center = [0.3, 0.3, 0.4]
//! radius = 0.05
//!
//! [[capsules]]                   # axis along the local z axis
//! center = [0.3, -0.3, 0.4]
//! radius = 0.03
//! length = 0.4                   # the segment between the two caps
//!
//! [[cylinders]]                  # axis along the local z axis
//! center = [0.6, 0.3, 0.2]
//! radius = 0.04
//! length = 0.4
//!
//! [[meshes]]
//! file = "shelf.obj"             # OBJ or STL, relative to this file
//! center = [0.7, 0.0, 0.0]
//! scale = 1.0                    # or [sx, sy, sz]
//! convex = false                 # false: the surface collides (a shelf); true: the hull,
//!                                # grown by 1 mm as mesh-based engines (and our links) do
//!
//! [[points]]                     # what a depth camera saw: every point a sphere
//! file = "cloud.ply"             # PLY, NPY or JSON, metres
//! radius = 0.01
//! voxel = 0.01                   # optional: one point (the centroid) per voxel of this size
//! center = [0.0, 0.0, 0.0]       # optional pose of the cloud's frame
//! ```

mod shapes;
mod toml_file;

use std::path::Path;

use crate::error::{Error, Result};
use crate::geometry::Obb;
use crate::math::{Pose, Vec3};

pub(crate) use shapes::point_triangle_distance;
pub use shapes::{SceneShape, TriangleMesh};
pub use toml_file::{MAX_POINTS, MAX_TRIANGLES};

/// The three scenes shipped in `assets/scenes/`, by name.
pub const BUILTIN_SCENES: [(&str, &str); 3] = [
    ("wall", include_str!("../../../../assets/scenes/wall.toml")),
    (
        "window",
        include_str!("../../../../assets/scenes/window.toml"),
    ),
    ("box", include_str!("../../../../assets/scenes/box.toml")),
];

/// One obstacle box of a [`Scene`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SceneBox {
    /// Centre, metres, robot base frame.
    pub center: Vec3,
    /// Full edge lengths along the box's own axes, metres.
    pub size: Vec3,
    /// Orientation (row-major rotation matrix, box frame → base frame).
    pub rot: [[f32; 3]; 3],
}

impl SceneBox {
    /// The box as an oriented box for collision queries.
    pub fn obb(&self) -> Obb {
        Obb {
            pose: Pose {
                rot: self.rot,
                trans: self.center,
            },
            half: self.size.map(|s| 0.5 * s),
        }
    }
}

/// Obstacles and target of an IK problem, in the robot base frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Scene {
    /// Scene name.
    pub name: String,
    /// Obstacle boxes.
    pub boxes: Vec<SceneBox>,
    /// Every other obstacle.
    pub shapes: Vec<SceneShape>,
    /// IK target for the tool centre point, metres.
    pub target: Vec3,
    /// Orientation of the tool at the target (`None`: position only).
    pub target_orientation: Option<crate::target::TargetOrientation>,
    /// Whether the ground plane `z = 0` is an obstacle (for every link but the base).
    pub ground: bool,
}

impl Scene {
    /// A scene with no obstacles and no ground: only self-collision counts.
    pub fn empty(target: Vec3) -> Scene {
        Scene {
            name: "empty".into(),
            boxes: Vec::new(),
            shapes: Vec::new(),
            target,
            target_orientation: None,
            ground: false,
        }
    }

    /// The scene's IK target: its position and, if it has one, its orientation.
    pub fn ik_target(&self) -> crate::IkTarget {
        crate::IkTarget {
            position: self.target,
            orientation: self.target_orientation,
        }
    }

    /// The scene with every obstacle grown by `margin` metres on each side (boxes: full sizes
    /// plus twice the margin; see [`SceneShape::inflated`] for the others); target and ground
    /// unchanged. A configuration free in
    /// the inflated scene keeps at least `margin` from every obstacle of this one. Negative
    /// margins shrink (sizes ≥ 0).
    pub fn inflated(&self, margin: f32) -> Scene {
        let mut out = self.clone();
        for b in &mut out.boxes {
            b.size = b.size.map(|s| (s + 2.0 * margin).max(0.0));
        }
        out.shapes = self.shapes.iter().map(|s| s.inflated(margin)).collect();
        out
    }

    /// A built-in scene (`wall`, `window`, `box`) or, failing that, a path to a `.toml` file.
    ///
    /// # Errors
    /// [`Error::UnknownScene`] if `name` is neither; otherwise as [`Scene::from_toml_file`].
    pub fn by_name(name: &str) -> Result<Scene> {
        if let Some((_, text)) = BUILTIN_SCENES.iter().find(|(n, _)| *n == name) {
            return toml_file::parse(text, &format!("built-in `{name}`"), None);
        }
        let path = Path::new(name);
        if path.extension().is_some_and(|e| e == "toml") || path.exists() {
            return Scene::from_toml_file(path);
        }
        Err(Error::UnknownScene {
            name: name.to_string(),
        })
    }

    /// Reads a scene from a TOML file; mesh and point files are found relative to its folder.
    ///
    /// # Errors
    /// [`Error::File`] if unreadable (not found, not a regular file, over 16 MiB), else as
    /// [`Scene::from_toml_str`] with the path as origin, and for the mesh and point files.
    pub fn from_toml_file(path: impl AsRef<Path>) -> Result<Scene> {
        let path = path.as_ref();
        let text = mace_core::fs::read_text(path, 16 << 20)?;
        let dir = path.parent().unwrap_or(Path::new("."));
        let mut s = toml_file::parse(&text, &path.display().to_string(), Some(dir))?;
        if s.name.is_empty() {
            s.name = path
                .file_stem()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
        }
        Ok(s)
    }

    /// Parses a scene from TOML text (format in the module docs); mesh and point files are
    /// read relative to the working folder.
    ///
    /// # Errors
    /// [`Error::Scene`] naming the field: malformed TOML, unknown or missing fields, arrays of
    /// the wrong length, non-finite numbers, non-positive sizes, both `rpy` and `quat_xyzw`, a
    /// zero quaternion, an unreadable or empty mesh or point file.
    pub fn from_toml_str(text: &str) -> Result<Scene> {
        toml_file::parse(text, "<string>", Some(Path::new(".")))
    }

    /// Signed distance from `p` to the nearest obstacle (boxes and shapes; not the ground),
    /// metres; `+∞` without obstacles. For a non-convex mesh, the distance to its surface.
    pub fn signed_distance_point(&self, p: Vec3) -> f32 {
        self.boxes
            .iter()
            .map(|b| b.obb().signed_distance_point(p))
            .chain(self.shapes.iter().map(|s| s.signed_distance_point(p)))
            .fold(f32::INFINITY, f32::min)
    }

    /// The obstacle boxes as oriented boxes.
    pub fn obbs(&self) -> Vec<Obb> {
        self.boxes.iter().map(SceneBox::obb).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_scenes_parse() {
        for (name, _) in BUILTIN_SCENES {
            let s = Scene::by_name(name).unwrap();
            assert_eq!(s.name, name);
            assert!(s.ground);
            assert!(!s.boxes.is_empty());
        }
    }

    #[test]
    fn both_orientations_is_an_error() {
        let t = "target=[0,0,0]\n[[boxes]]\ncenter=[0,0,0]\nsize=[1,1,1]\nrpy=[0,0,0]\nquat_xyzw=[0,0,0,1]\n";
        let e = Scene::from_toml_str(t).unwrap_err().to_string();
        assert!(e.contains("boxes[0]"), "{e}");
    }
}
