//! Reading a scene TOML (format in the parent module's docs): every field checked, every array
//! of its exact length, every number finite, every size positive; mesh and point files read
//! relative to the scene file's folder.

use std::path::Path;
use std::sync::Arc;

use serde::Deserialize;

use super::shapes::{SceneShape, TriangleMesh};
use super::{Scene, SceneBox};
use crate::error::{Error, Result};
use crate::math::{rot_from_quat_xyzw, rot_from_rpy, Pose, Vec3};
use crate::mesh_file;

/// Most points a point obstacle may keep (after `voxel` thinning): 1 M spheres.
pub const MAX_POINTS: usize = 1_000_000;
/// Most triangles a mesh obstacle may have.
pub const MAX_TRIANGLES: usize = 1_000_000;
/// Largest mesh file read, bytes.
const MAX_MESH_BYTES: u64 = 512 << 20;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SceneToml {
    name: Option<String>,
    target: Vec<f64>,
    target_orientation: Option<Vec<f64>>,
    target_free_axis: Option<String>,
    #[serde(default = "yes")]
    ground: bool,
    #[serde(default)]
    boxes: Vec<BoxToml>,
    #[serde(default)]
    spheres: Vec<SphereToml>,
    #[serde(default)]
    capsules: Vec<RodToml>,
    #[serde(default)]
    cylinders: Vec<RodToml>,
    #[serde(default)]
    meshes: Vec<MeshToml>,
    #[serde(default)]
    points: Vec<PointsToml>,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BoxToml {
    center: Vec<f64>,
    size: Vec<f64>,
    rpy: Option<Vec<f64>>,
    quat_xyzw: Option<Vec<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SphereToml {
    center: Vec<f64>,
    radius: f64,
}

/// A capsule or a cylinder: axis along local z.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RodToml {
    center: Vec<f64>,
    radius: f64,
    length: f64,
    rpy: Option<Vec<f64>>,
    quat_xyzw: Option<Vec<f64>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Scale {
    Uniform(f64),
    PerAxis(Vec<f64>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MeshToml {
    file: String,
    #[serde(default)]
    center: Option<Vec<f64>>,
    rpy: Option<Vec<f64>>,
    quat_xyzw: Option<Vec<f64>>,
    scale: Option<Scale>,
    #[serde(default)]
    convex: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PointsToml {
    file: String,
    radius: f64,
    voxel: Option<f64>,
    #[serde(default)]
    center: Option<Vec<f64>>,
    rpy: Option<Vec<f64>>,
    quat_xyzw: Option<Vec<f64>>,
}

/// Errors naming the scene's origin.
struct Check<'a> {
    origin: &'a str,
}

impl Check<'_> {
    fn err(&self, reason: String) -> Error {
        Error::Scene {
            origin: self.origin.to_string(),
            reason,
        }
    }

    /// `v` as exactly `N` finite numbers.
    fn array<const N: usize>(&self, field: &str, v: &[f64]) -> Result<[f64; N]> {
        if v.len() != N {
            return Err(self.err(format!(
                "`{field}` must have {N} numbers, got {} ({v:?})",
                v.len()
            )));
        }
        if !v.iter().all(|x| x.is_finite() && x.abs() < 1e6) {
            return Err(self.err(format!(
                "`{field}` must be finite numbers below 1e6 in size, got {v:?}"
            )));
        }
        Ok(std::array::from_fn(|k| v[k]))
    }

    fn vec3(&self, field: &str, v: &[f64]) -> Result<Vec3> {
        Ok(self.array::<3>(field, v)?.map(|x| x as f32))
    }

    /// A size: finite and positive (or ≥ 0 with `zero_ok`), below 1e6 m.
    fn size(&self, field: &str, v: f64, zero_ok: bool) -> Result<f32> {
        // Judged as the f32 it becomes: 1e-50 m is 0 m.
        let f = v as f32;
        let ok = v.is_finite() && v < 1e6 && (f > 0.0 || (zero_ok && v == 0.0));
        if !ok {
            let what = if zero_ok { "≥ 0" } else { "> 0" };
            return Err(self.err(format!(
                "`{field}` must be a finite size {what} (metres), got {v}"
            )));
        }
        Ok(f)
    }

    /// The rotation of `rpy` or `quat_xyzw` (identity without either).
    fn rotation(
        &self,
        field: &str,
        rpy: Option<&[f64]>,
        quat: Option<&[f64]>,
    ) -> Result<[[f32; 3]; 3]> {
        match (rpy, quat) {
            (Some(_), Some(_)) => Err(self.err(format!(
                "`{field}` gives both `rpy` and `quat_xyzw`; give one"
            ))),
            (Some(r), None) => Ok(rot_from_rpy(self.array::<3>(&format!("{field}.rpy"), r)?)),
            (None, Some(q)) => {
                let q = self.array::<4>(&format!("{field}.quat_xyzw"), q)?;
                if q.iter().map(|x| x * x).sum::<f64>() < 1e-12 {
                    return Err(self.err(format!("`{field}.quat_xyzw` is zero")));
                }
                Ok(rot_from_quat_xyzw(q))
            }
            (None, None) => Ok(Pose::IDENTITY.rot),
        }
    }

    fn pose(
        &self,
        field: &str,
        center: Option<&[f64]>,
        rpy: Option<&[f64]>,
        quat: Option<&[f64]>,
    ) -> Result<Pose> {
        Ok(Pose {
            rot: self.rotation(field, rpy, quat)?,
            trans: match center {
                Some(c) => self.vec3(&format!("{field}.center"), c)?,
                None => [0.0; 3],
            },
        })
    }
}

/// Parses scene text; files are resolved against `dir` (none: files are an error).
pub(super) fn parse(text: &str, origin: &str, dir: Option<&Path>) -> Result<Scene> {
    let c = Check { origin };
    let raw: SceneToml =
        toml::from_str(text).map_err(|e| c.err(crate::error::toml_error_line(&e, text)))?;
    let target = c.vec3("target", &raw.target)?;
    let target_orientation = match (&raw.target_orientation, &raw.target_free_axis) {
        (None, None) => None,
        (None, Some(a)) => {
            return Err(c.err(format!(
                "`target_free_axis` = \"{a}\" needs a `target_orientation` to be free about"
            )))
        }
        (Some(q), free) => {
            let q = c.array::<4>("target_orientation", q)?;
            let free = match free {
                Some(a) => Some(
                    a.parse::<crate::ToolAxis>()
                        .map_err(|e| c.err(format!("`target_free_axis`: {e}")))?,
                ),
                None => None,
            };
            crate::IkTarget::pose(target, q, free)
                .map_err(|e| c.err(format!("`target_orientation`: {e}")))?
                .orientation
        }
    };
    let mut boxes = Vec::with_capacity(raw.boxes.len());
    for (i, b) in raw.boxes.iter().enumerate() {
        let f = format!("boxes[{i}]");
        let size = c.array::<3>(&format!("{f}.size"), &b.size)?;
        let mut sides = [0.0f32; 3];
        for (side, v) in sides.iter_mut().zip(size) {
            *side = c.size(&format!("{f}.size"), v, false)?;
        }
        boxes.push(SceneBox {
            center: c.vec3(&format!("{f}.center"), &b.center)?,
            size: sides,
            rot: c.rotation(&f, b.rpy.as_deref(), b.quat_xyzw.as_deref())?,
        });
    }
    let mut shapes = Vec::new();
    for (i, s) in raw.spheres.iter().enumerate() {
        let f = format!("spheres[{i}]");
        shapes.push(SceneShape::Sphere {
            center: c.vec3(&format!("{f}.center"), &s.center)?,
            radius: c.size(&format!("{f}.radius"), s.radius, false)?,
        });
    }
    for (kind, list) in [("capsules", &raw.capsules), ("cylinders", &raw.cylinders)] {
        for (i, r) in list.iter().enumerate() {
            let f = format!("{kind}[{i}]");
            let pose = c.pose(
                &f,
                Some(&r.center),
                r.rpy.as_deref(),
                r.quat_xyzw.as_deref(),
            )?;
            let radius = c.size(&format!("{f}.radius"), r.radius, false)?;
            shapes.push(if kind == "capsules" {
                SceneShape::Capsule {
                    pose,
                    radius,
                    length: c.size(&format!("{f}.length"), r.length, true)?,
                }
            } else {
                SceneShape::Cylinder {
                    pose,
                    radius,
                    length: c.size(&format!("{f}.length"), r.length, false)?,
                }
            });
        }
    }
    for (i, m) in raw.meshes.iter().enumerate() {
        let f = format!("meshes[{i}]");
        let pose = c.pose(
            &f,
            m.center.as_deref(),
            m.rpy.as_deref(),
            m.quat_xyzw.as_deref(),
        )?;
        let scale = match &m.scale {
            None => [1.0f32; 3],
            Some(Scale::Uniform(s)) => [c.size(&format!("{f}.scale"), *s, false)?; 3],
            Some(Scale::PerAxis(v)) => {
                let s = c.array::<3>(&format!("{f}.scale"), v)?;
                for x in s {
                    c.size(&format!("{f}.scale"), x, false)?;
                }
                s.map(|x| x as f32)
            }
        };
        let path = resolve(&c, dir, &f, &m.file)?;
        let mesh = read_mesh(&c, &f, &path, scale)?;
        shapes.push(SceneShape::Mesh {
            pose,
            mesh: Arc::new(mesh),
            convex: m.convex,
            margin: 0.0,
            file: path.display().to_string(),
        });
    }
    for (i, p) in raw.points.iter().enumerate() {
        let f = format!("points[{i}]");
        let pose = c.pose(
            &f,
            p.center.as_deref(),
            p.rpy.as_deref(),
            p.quat_xyzw.as_deref(),
        )?;
        let radius = c.size(&format!("{f}.radius"), p.radius, false)?;
        let voxel = match p.voxel {
            Some(v) => Some(c.size(&format!("{f}.voxel"), v, false)?),
            None => None,
        };
        let path = resolve(&c, dir, &f, &p.file)?;
        let cloud = mace_shapes::read_point_cloud(&path)
            .map_err(|e| c.err(format!("`{f}.file` {}: {e}", path.display())))?;
        let mut points: Vec<Vec3> = cloud
            .points()
            .iter()
            .map(|q| pose.transform_point(*q))
            .collect();
        if let Some(v) = voxel {
            points = voxel_centroids(&points, v);
        }
        if points.len() > MAX_POINTS {
            return Err(c.err(format!(
                "`{f}` ({}) keeps {} points, more than {MAX_POINTS}: thin it with `voxel = …` \
                 (e.g. 0.01 m)",
                path.display(),
                points.len()
            )));
        }
        shapes.push(SceneShape::Points {
            points: Arc::new(points),
            radius,
            file: path.display().to_string(),
        });
    }
    Ok(Scene {
        name: raw.name.unwrap_or_default(),
        boxes,
        shapes,
        target,
        target_orientation,
        ground: raw.ground,
    })
}

fn resolve(
    c: &Check<'_>,
    dir: Option<&Path>,
    field: &str,
    file: &str,
) -> Result<std::path::PathBuf> {
    match dir {
        Some(d) => Ok(d.join(file)),
        None => Err(c.err(format!(
            "`{field}.file` = {file:?}: a built-in scene cannot read files"
        ))),
    }
}

fn read_mesh(c: &Check<'_>, field: &str, path: &Path, scale: [f32; 3]) -> Result<TriangleMesh> {
    let name = path.display().to_string();
    let bytes = mace_core::fs::read_file(path, MAX_MESH_BYTES)
        .map_err(|e| c.err(format!("`{field}.file`: {e}")))?;
    let triangles = mesh_file::read_triangles(&name, &bytes)
        .map_err(|reason| c.err(format!("`{field}.file` {name}: {reason}")))?;
    if triangles.len() > MAX_TRIANGLES {
        return Err(c.err(format!(
            "`{field}.file` {name} has {} triangles, more than {MAX_TRIANGLES}",
            triangles.len()
        )));
    }
    Ok(TriangleMesh {
        triangles: triangles
            .into_iter()
            .map(|t| t.map(|v| [v[0] * scale[0], v[1] * scale[1], v[2] * scale[2]]))
            .collect(),
    })
}

/// One point per occupied voxel of side `v`: the centroid of its points, in voxel order.
fn voxel_centroids(points: &[Vec3], v: f32) -> Vec<Vec3> {
    let mut cells: std::collections::BTreeMap<[i64; 3], ([f64; 3], u32)> = Default::default();
    for p in points {
        let key = p.map(|x| (x / v).floor() as i64);
        let e = cells.entry(key).or_insert(([0.0; 3], 0));
        for (sum, x) in e.0.iter_mut().zip(p) {
            *sum += f64::from(*x);
        }
        e.1 += 1;
    }
    cells
        .values()
        .map(|(s, n)| s.map(|x| (x / f64::from(*n)) as f32))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        parse(text, "t.toml", Some(Path::new("/nonexistent")))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn every_kind_parses_and_bad_fields_are_named() {
        let s = parse(
            "target=[0,0,0]\n[[spheres]]\ncenter=[1,0,0]\nradius=0.1\n\
             [[capsules]]\ncenter=[0,1,0]\nradius=0.1\nlength=0.5\nrpy=[0,1.57,0]\n\
             [[cylinders]]\ncenter=[0,0,1]\nradius=0.2\nlength=0.3\nquat_xyzw=[0,0,0,1]\n",
            "t",
            None,
        )
        .unwrap();
        let kinds: Vec<&str> = s.shapes.iter().map(SceneShape::kind).collect();
        assert_eq!(kinds, ["sphere", "capsule", "cylinder"]);
        for (text, want) in [
            ("target=[0,0,0,1]\n", "`target` must have 3 numbers, got 4"),
            ("target=[0,0,0]\ntarget_orientation=[0,0,0]\n", "target_orientation"),
            ("target=[0,0,0]\ntarget_orientation=[0,0,0,2]\n", "not a unit quaternion"),
            ("target=[0,0,0]\ntarget_free_axis=\"z\"\n", "needs a `target_orientation`"),
            (
                "target=[0,0,0]\ntarget_orientation=[0,0,0,1]\ntarget_free_axis=\"w\"\n",
                "not one of x, y, z",
            ),
            ("target=[0,0,0]\n[[boxes]]\ncenter=[0,0]\nsize=[1,1,1]\n", "boxes[0].center"),
            ("target=[0,0,0]\n[[boxes]]\ncenter=[0,0,0]\nsize=[1e39,1,1]\n", "boxes[0].size"),
            ("target=[0,0,0]\n[[spheres]]\ncenter=[0,0,0]\nradius=0\n", "spheres[0].radius"),
            ("target=[0,0,0]\n[[spheres]]\ncenter=[0,0,0]\nradius=-1\n", "spheres[0].radius"),
            (
                "target=[0,0,0]\n[[cylinders]]\ncenter=[0,0,0]\nradius=1\nlength=0\n",
                "cylinders[0].length",
            ),
            (
                "target=[0,0,0]\n[[capsules]]\ncenter=[0,0,0]\nradius=1\nlength=1\nrpy=[0,0,0]\nquat_xyzw=[0,0,0,1]\n",
                "both",
            ),
            ("target=[0,0,0]\n[[meshes]]\nfile=\"shelf.obj\"\n", "meshes[0].file"),
            ("target=[0,0,0]\n[[points]]\nfile=\"c.ply\"\nradius=0.01\n", "points[0].file"),
            ("target=[0,0,0]\n[[spheres]]\ncenter=[0,0,0]\nradius=1\ncolor=1\n", "color"),
        ] {
            let e = err(text);
            assert!(e.contains(want) && e.contains("t.toml"), "{text:?}: {e}");
        }
    }

    #[test]
    fn meshes_and_points_come_from_files() {
        let dir = std::env::temp_dir().join(format!("mace-scene-files-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("plate.obj"),
            "v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nf 1 2 3 4\n",
        )
        .unwrap();
        std::fs::write(dir.join("cloud.json"), "[[0,0,0],[0.001,0,0],[1,1,1]]").unwrap();
        let text = "target=[0,0,0]\n[[meshes]]\nfile=\"plate.obj\"\nscale=[2,2,1]\n\
                    [[points]]\nfile=\"cloud.json\"\nradius=0.01\nvoxel=0.1\n";
        let s = parse(text, "t", Some(&dir)).unwrap();
        match &s.shapes[0] {
            SceneShape::Mesh { mesh, convex, .. } => {
                assert_eq!(mesh.triangles.len(), 2, "a quad is two triangles");
                assert!(!convex);
                assert!(mesh.vertices().any(|v| v == [2.0, 2.0, 0.0]));
            }
            other => panic!("{other:?}"),
        }
        match &s.shapes[1] {
            SceneShape::Points { points, .. } => assert_eq!(points.len(), 2, "voxel thinning"),
            other => panic!("{other:?}"),
        }
        std::fs::write(dir.join("empty.obj"), "# nothing\n").unwrap();
        let e = parse(
            "target=[0,0,0]\n[[meshes]]\nfile=\"empty.obj\"\n",
            "t",
            Some(&dir),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("meshes[0].file") && e.contains("empty.obj"),
            "{e}"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
