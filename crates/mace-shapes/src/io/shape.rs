//! A shape file as users bring it: a point cloud (PLY, NPY, PCD, JSON) or a mesh (OFF, OBJ, or a
//! PLY with faces), told apart by extension and, for PLY, by its `face` element.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::atomic::read_bytes;
use super::{
    extension, parse_json_points, parse_npy, parse_obj, parse_off, parse_pcd, parse_ply_mesh,
};
use crate::error::{Error, Result};
use crate::mesh::Mesh;
use crate::point_cloud::PointCloud;

/// The file formats [`read_shape`] knows, by extension (case-insensitive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ShapeFormat {
    /// `.ply`: vertices, and faces if it has a `face` element.
    Ply,
    /// `.npy`: an `(n, 3)` float array.
    Npy,
    /// `.pcd`: PCL's point cloud data, ASCII or binary.
    Pcd,
    /// `.json`: an array of `[x, y, z]` or an object with `points`.
    Json,
    /// `.off`: an OFF mesh.
    Off,
    /// `.obj`: a Wavefront OBJ mesh.
    Obj,
}

impl ShapeFormat {
    /// The format of `path` by its extension.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the path for another extension.
    pub fn of(path: &Path) -> Result<ShapeFormat> {
        Ok(match extension(path).as_str() {
            "ply" => ShapeFormat::Ply,
            "npy" => ShapeFormat::Npy,
            "pcd" => ShapeFormat::Pcd,
            "json" => ShapeFormat::Json,
            "off" => ShapeFormat::Off,
            "obj" => ShapeFormat::Obj,
            _ => {
                return Err(Error::InvalidParameter {
                    name: "shape file",
                    value: path.display().to_string(),
                    reason:
                        "expected a point cloud (.ply, .npy, .pcd, .json) or a mesh (.off, .obj, \
                             .ply with faces)",
                })
            }
        })
    }

    /// The usual name of the format (`PLY`, `OFF`, …).
    pub fn name(self) -> &'static str {
        match self {
            ShapeFormat::Ply => "PLY",
            ShapeFormat::Npy => "NPY",
            ShapeFormat::Pcd => "PCD",
            ShapeFormat::Json => "JSON",
            ShapeFormat::Off => "OFF",
            ShapeFormat::Obj => "OBJ",
        }
    }
}

/// What a shape file holds.
#[derive(Debug, Clone, PartialEq)]
pub enum ShapeData {
    /// Points (file units).
    Cloud(PointCloud),
    /// A triangle mesh with at least one triangle (file units).
    Mesh(Mesh),
}

/// Parses a shape file of `format` held in memory; `origin` names it in errors. A mesh file
/// without faces (an OBJ or OFF of vertices only, a PLY without a `face` element) is a cloud of
/// its vertices.
///
/// # Errors
/// [`Error::EmptyCloud`] for an empty file; otherwise as the format's parser.
pub fn parse_shape(bytes: &[u8], format: ShapeFormat, origin: &str) -> Result<ShapeData> {
    if bytes.is_empty() {
        return Err(Error::EmptyCloud {
            origin: format!("{origin} (an empty file)"),
        });
    }
    let mesh_or_cloud = |mesh: Mesh| -> Result<ShapeData> {
        Ok(if mesh.triangles().is_empty() {
            ShapeData::Cloud(PointCloud::with_origin(mesh.vertices().to_vec(), origin)?)
        } else {
            ShapeData::Mesh(mesh)
        })
    };
    match format {
        ShapeFormat::Ply => {
            let (vertices, triangles) = parse_ply_mesh(bytes, origin)?;
            if triangles.is_empty() {
                Ok(ShapeData::Cloud(vertices))
            } else {
                mesh_or_cloud(Mesh::new(vertices.into_points(), triangles)?)
            }
        }
        ShapeFormat::Npy => Ok(ShapeData::Cloud(parse_npy(bytes, origin)?)),
        ShapeFormat::Pcd => Ok(ShapeData::Cloud(parse_pcd(bytes, origin)?)),
        ShapeFormat::Json => Ok(ShapeData::Cloud(PointCloud::with_origin(
            parse_json_points(bytes, origin)?,
            origin,
        )?)),
        ShapeFormat::Off => mesh_or_cloud(parse_off(&String::from_utf8_lossy(bytes), origin)?),
        ShapeFormat::Obj => mesh_or_cloud(parse_obj(&String::from_utf8_lossy(bytes), origin)?),
    }
}

/// Reads the shape file at `path`: its format by extension, then [`parse_shape`]. Only regular
/// files of at most 2 GiB are read (a FIFO or a device is refused by name).
///
/// # Errors
/// [`Error::InvalidParameter`] for an unknown extension, [`Error::File`] for a missing,
/// non-regular or too large file; as [`parse_shape`] with `origin` = the path.
pub fn read_shape(path: impl AsRef<Path>) -> Result<(ShapeFormat, ShapeData)> {
    let path = path.as_ref();
    let format = ShapeFormat::of(path)?;
    let bytes = read_bytes(path)?;
    Ok((
        format,
        parse_shape(&bytes, format, &path.display().to_string())?,
    ))
}
