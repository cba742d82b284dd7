//! Scenes: oriented boxes, an optional ground plane `z = 0` and an IK target, read from TOML.
//!
//! ```toml
//! name = "wall"
//! target = [0.43, 0.0, 0.56]     # metres, robot base frame
//! ground = true                  # the plane z = 0 is an obstacle (default true)
//!
//! [[boxes]]
//! center = [0.5, 0.0, 0.5]       # metres
//! size = [0.2, 0.8, 0.01]        # FULL edge lengths, metres
//! rpy = [0.0, 0.0, 0.0]          # optional orientation (rad, URDF convention Rz·Ry·Rx) …
//! # quat_xyzw = [0, 0, 0, 1]     # … or a quaternion (x, y, z, w); not both
//! ```

use std::path::Path;

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::geometry::Obb;
use crate::math::{rot_from_quat_xyzw, rot_from_rpy, Pose, Vec3};

/// The three scenes shipped in `assets/scenes/`, by name.
pub const BUILTIN_SCENES: [(&str, &str); 3] = [
    ("wall", include_str!("../../../../assets/scenes/wall.toml")),
    ("window", include_str!("../../../../assets/scenes/window.toml")),
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
    /// IK target for the tool centre point, metres.
    pub target: Vec3,
    /// Whether the ground plane `z = 0` is an obstacle (for every link but the base).
    pub ground: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SceneToml {
    name: Option<String>,
    target: [f64; 3],
    #[serde(default = "yes")]
    ground: bool,
    #[serde(default)]
    boxes: Vec<BoxToml>,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BoxToml {
    center: [f64; 3],
    size: [f64; 3],
    rpy: Option<[f64; 3]>,
    quat_xyzw: Option<[f64; 4]>,
}

impl Scene {
    /// A scene with no obstacles and no ground: only self-collision counts.
    pub fn empty(target: Vec3) -> Scene {
        Scene {
            name: "empty".into(),
            boxes: Vec::new(),
            target,
            ground: false,
        }
    }

    /// The scene with every obstacle box grown by `margin` metres on each side (full sizes plus
    /// twice the margin); target and ground unchanged. A configuration free in the inflated scene
    /// keeps at least `margin` from every box of this one. Negative margins shrink (sizes ≥ 0).
    pub fn inflated(&self, margin: f32) -> Scene {
        let mut out = self.clone();
        for b in &mut out.boxes {
            b.size = b.size.map(|s| (s + 2.0 * margin).max(0.0));
        }
        out
    }

    /// A built-in scene (`wall`, `window`, `box`) or, failing that, a path to a `.toml` file.
    ///
    /// # Errors
    /// [`Error::UnknownScene`] if `name` is neither; otherwise as [`Scene::from_toml_file`].
    pub fn by_name(name: &str) -> Result<Scene> {
        if let Some((_, text)) = BUILTIN_SCENES.iter().find(|(n, _)| *n == name) {
            return Scene::parse(text, &format!("built-in `{name}`"));
        }
        let path = Path::new(name);
        if path.extension().is_some_and(|e| e == "toml") || path.exists() {
            return Scene::from_toml_file(path);
        }
        Err(Error::UnknownScene {
            name: name.to_string(),
        })
    }

    /// Reads a scene from a TOML file.
    ///
    /// # Errors
    /// [`Error::Io`] if unreadable, else as [`Scene::from_toml_str`] with the path as origin.
    pub fn from_toml_file(path: impl AsRef<Path>) -> Result<Scene> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let mut s = Scene::parse(&text, &path.display().to_string())?;
        if s.name.is_empty() {
            s.name = path
                .file_stem()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
        }
        Ok(s)
    }

    /// Parses a scene from TOML text (format in the module docs).
    ///
    /// # Errors
    /// [`Error::Scene`] naming the field: malformed TOML, unknown or missing fields, non-finite
    /// numbers, negative sizes, both `rpy` and `quat_xyzw`, a zero quaternion.
    pub fn from_toml_str(text: &str) -> Result<Scene> {
        Scene::parse(text, "<string>")
    }

    fn parse(text: &str, origin: &str) -> Result<Scene> {
        let err = |reason: String| Error::Scene {
            origin: origin.to_string(),
            reason,
        };
        let raw: SceneToml =
            toml::from_str(text).map_err(|e| err(e.to_string().trim_end().to_string()))?;
        let finite = |field: String, v: &[f64]| {
            if v.iter().all(|x| x.is_finite()) {
                Ok(())
            } else {
                Err(err(format!("`{field}` must be finite, got {v:?}")))
            }
        };
        finite("target".into(), &raw.target)?;
        let mut boxes = Vec::with_capacity(raw.boxes.len());
        for (i, b) in raw.boxes.iter().enumerate() {
            finite(format!("boxes[{i}].center"), &b.center)?;
            finite(format!("boxes[{i}].size"), &b.size)?;
            if b.size.iter().any(|&s| s < 0.0) {
                return Err(err(format!(
                    "`boxes[{i}].size` must be non-negative, got {:?}",
                    b.size
                )));
            }
            let rot = match (b.rpy, b.quat_xyzw) {
                (Some(_), Some(_)) => {
                    return Err(err(format!(
                        "`boxes[{i}]` gives both `rpy` and `quat_xyzw`; give one"
                    )));
                }
                (Some(rpy), None) => {
                    finite(format!("boxes[{i}].rpy"), &rpy)?;
                    rot_from_rpy(rpy)
                }
                (None, Some(q)) => {
                    finite(format!("boxes[{i}].quat_xyzw"), &q)?;
                    if q.iter().map(|x| x * x).sum::<f64>() < 1e-12 {
                        return Err(err(format!("`boxes[{i}].quat_xyzw` is zero")));
                    }
                    rot_from_quat_xyzw(q)
                }
                (None, None) => Pose::IDENTITY.rot,
            };
            boxes.push(SceneBox {
                center: b.center.map(|v| v as f32),
                size: b.size.map(|v| v as f32),
                rot,
            });
        }
        Ok(Scene {
            name: raw.name.unwrap_or_default(),
            boxes,
            target: raw.target.map(|v| v as f32),
            ground: raw.ground,
        })
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
