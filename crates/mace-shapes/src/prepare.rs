//! Shapes as they come: a user's point cloud or mesh, in any unit and orientation, brought into
//! the frame the shape prior was trained in, with a record of what was done.
//!
//! The prior's training clouds (the procedural airplanes, and ShapeNet's 2048-point clouds)
//! are [`PrepareOptions::points`] points drawn uniformly (area-weighted) on a surface, in
//! ShapeNetCore v2's frame (up = +y, front = −z: an airplane's nose points along −z, its wings
//! along x), then centred at their bounding-box centre and scaled to a unit bounding-box
//! diagonal ([`crate::Normalization::BboxDiagonal`]). [`load_shape`] does the same to a file:
//!
//! 1. read it ([`read_shape`]): a mesh is sampled on its surface, area-weighted, with `seed`,
//!    straight to `points` points, as the training clouds were;
//! 2. a cloud with more points is thinned to a uniformly random subset without replacement (so
//!    a dense uniform scan gives points distributed as the training clouds are; farthest-point
//!    sampling would spread them more evenly than the training clouds and cost O(n·points));
//!    one with fewer keeps every point once and repeats randomly drawn ones, exact copies
//!    without jitter, up to `points` ([`PointCloud::resample`]); fewer than `min_points` is an
//!    error;
//! 3. rotated from the file's axes ([`Frame`]: which axis is up, which way the front faces) into
//!    ours;
//! 4. centred and scaled to a unit bounding-box diagonal, whatever the file's unit
//!    (millimetres from CAD, metres, a unit sphere).
//!
//! In prior coordinates a file point `p` lands at `scale · (R p − centre)` ([`ShapeRecord`]).

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use rand::{rngs::StdRng, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::io::{read_shape, ShapeData, ShapeFormat};
use crate::point_cloud::PointCloud;

/// A signed coordinate axis: `+x`, `-y`, … (`x` alone means `+x`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Axis {
    /// 0 = x, 1 = y, 2 = z.
    index: u8,
    /// Pointing along −axis.
    negative: bool,
}

impl Axis {
    /// +x.
    pub const X: Axis = Axis::new(0, false);
    /// +y.
    pub const Y: Axis = Axis::new(1, false);
    /// +z.
    pub const Z: Axis = Axis::new(2, false);
    /// −x.
    pub const NEG_X: Axis = Axis::new(0, true);
    /// −y.
    pub const NEG_Y: Axis = Axis::new(1, true);
    /// −z.
    pub const NEG_Z: Axis = Axis::new(2, true);

    const fn new(index: u8, negative: bool) -> Axis {
        Axis { index, negative }
    }

    /// The unit vector.
    pub fn vector(self) -> [f32; 3] {
        let mut v = [0.0; 3];
        v[usize::from(self.index)] = if self.negative { -1.0 } else { 1.0 };
        v
    }
}

impl fmt::Display for Axis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.negative { '-' } else { '+' };
        write!(f, "{sign}{}", ['x', 'y', 'z'][usize::from(self.index)])
    }
}

impl FromStr for Axis {
    type Err = String;

    /// `x`, `+x`, `-x` (also `−x` with a Unicode minus), any case.
    fn from_str(s: &str) -> std::result::Result<Axis, String> {
        let t = s.trim().to_ascii_lowercase();
        let (negative, name) = if let Some(r) = t.strip_prefix('-').or(t.strip_prefix('−')) {
            (true, r)
        } else {
            (false, t.strip_prefix('+').unwrap_or(&t))
        };
        let index = match name {
            "x" => 0,
            "y" => 1,
            "z" => 2,
            _ => {
                return Err(format!(
                    "`{s}` is not an axis: expected x, y, z, -x, -y or -z"
                ))
            }
        };
        Ok(Axis::new(index, negative))
    }
}

impl Serialize for Axis {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Axis {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Axis, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// A file's axes: which way is up and which way its front (an airplane's nose) faces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Frame {
    /// The up direction.
    pub up: Axis,
    /// The direction the front faces.
    pub front: Axis,
}

impl Frame {
    /// The prior's frame (ShapeNetCore v2's, the procedural airplanes'): up +y, front −z.
    pub const PRIOR: Frame = Frame {
        up: Axis::Y,
        front: Axis::NEG_Z,
    };

    /// A frame of `up` and `front`; without `front`, −z, or −y when up is ±z (ModelNet's
    /// z-up models).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] if the two are along the same axis.
    pub fn new(up: Axis, front: Option<Axis>) -> Result<Frame> {
        let front = front.unwrap_or(if up.index == 2 {
            Axis::NEG_Y
        } else {
            Axis::NEG_Z
        });
        if up.index == front.index {
            return Err(Error::InvalidParameter {
                name: "--up/--front",
                value: format!("{up}/{front}"),
                reason: "the up and front axes must be different axes (the front defaults to -z, or -y when up is ±z)",
            });
        }
        Ok(Frame { up, front })
    }

    /// The rotation `R` (rows) taking file coordinates to the prior's: `R·up = +y`,
    /// `R·front = −z`, and `R·(up × front) = −x` (a proper rotation, determinant +1).
    pub fn rotation(&self) -> [[f32; 3]; 3] {
        let (u, f) = (self.up.vector(), self.front.vector());
        let c = [
            u[1] * f[2] - u[2] * f[1],
            u[2] * f[0] - u[0] * f[2],
            u[0] * f[1] - u[1] * f[0],
        ];
        // `+ 0.0` turns −0 into 0 (tidier records).
        [c.map(|v| -v + 0.0), u.map(|v| v + 0.0), f.map(|v| -v + 0.0)]
    }
}

/// How [`load_shape`] conditions a file.
#[derive(Debug, Clone, PartialEq)]
pub struct PrepareOptions {
    /// The file's axes (default: the prior's).
    pub frame: Frame,
    /// Points of the result: the prior's cloud size (default 2048).
    pub points: usize,
    /// Fewest points a cloud file may hold (default [`MIN_CLOUD_POINTS`]).
    pub min_points: usize,
    /// Centre and scale to a unit bounding-box diagonal (default). `false` keeps the
    /// coordinates as they are (a file already in the prior's frame, placed on purpose); the
    /// frame is then ignored.
    pub normalize: bool,
    /// Seed of the surface sampling and the resampling.
    pub seed: u64,
}

/// Fewest points a cloud file may hold: with the prior's 2048, each point would otherwise be
/// repeated more than 32 times, too sparse to outline a fuselage, two wings and a tail.
pub const MIN_CLOUD_POINTS: usize = 64;

impl Default for PrepareOptions {
    fn default() -> Self {
        PrepareOptions {
            frame: Frame::PRIOR,
            points: 2048,
            min_points: MIN_CLOUD_POINTS,
            normalize: true,
            seed: 0,
        }
    }
}

/// What [`load_shape`] did to a file: enough to map a file point to the prior's frame,
/// `scale · (rotation · p − centre)`, and back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShapeRecord {
    /// The file.
    pub file: String,
    /// Its format.
    pub format: ShapeFormat,
    /// `cloud` or `mesh`.
    pub kind: String,
    /// Points (a cloud) or vertices (a mesh) in the file.
    pub file_points: usize,
    /// Triangles of a mesh (polygons fan-triangulated); 0 for a cloud.
    pub file_triangles: usize,
    /// The file's axes.
    pub frame: Frame,
    /// Rows of the rotation into the prior's frame.
    pub rotation: [[f32; 3]; 3],
    /// Bounding-box size of the used points along the file's x, y, z (file units).
    pub file_extent: [f64; 3],
    /// Bounding-box centre subtracted after rotating (file units, prior axes).
    pub centre: [f64; 3],
    /// Factor applied after centring: 1 / bounding-box diagonal in file units (1 when not
    /// normalised).
    pub scale: f64,
    /// Points handed on (the prior's cloud size).
    pub points: usize,
    /// How the points were obtained from the file.
    pub sampling: String,
    /// Every correction made, one sentence each.
    pub notes: Vec<String>,
}

impl ShapeRecord {
    /// One line for a terminal: the file, what it held and what was done.
    pub fn summary(&self) -> String {
        format!("{}: {}", self.file, self.notes.join("; "))
    }
}

/// Reads the shape file at `path` and brings it into the prior's frame as the module
/// documentation says.
///
/// # Errors
/// As [`read_shape`]; [`Error::TooFewPoints`] for a cloud under `min_points`;
/// [`Error::DegenerateMesh`] for a mesh without area; [`Error::InvalidParameter`] for
/// `points = 0` or a cloud whose points all coincide.
pub fn load_shape(
    path: impl AsRef<Path>,
    options: &PrepareOptions,
) -> Result<(PointCloud, ShapeRecord)> {
    let path = path.as_ref();
    let (format, data) = read_shape(path)?;
    prepare_shape(data, format, &path.display().to_string(), options)
}

/// [`load_shape`] for shape data already read; `file` names it in errors and the record.
///
/// # Errors
/// As [`load_shape`].
pub fn prepare_shape(
    data: ShapeData,
    format: ShapeFormat,
    file: &str,
    options: &PrepareOptions,
) -> Result<(PointCloud, ShapeRecord)> {
    let n = options.points;
    let mut rng = StdRng::seed_from_u64(options.seed);
    let mut notes = Vec::new();
    let (kind, file_points, file_triangles, cloud, sampling) = match data {
        ShapeData::Mesh(mesh) => {
            let cloud = mesh.sample_surface(n, &mut rng).map_err(|e| match e {
                Error::DegenerateMesh { faces, .. } => Error::DegenerateMesh {
                    origin: file.to_string(),
                    faces,
                },
                e => e,
            })?;
            let (v, t) = (mesh.vertices().len(), mesh.triangles().len());
            let s = format!(
                "{n} points sampled on the surface, area-weighted (seed {})",
                options.seed
            );
            notes.push(format!(
                "{} mesh of {v} vertices and {t} triangles: {s}",
                format.name()
            ));
            ("mesh", v, t, cloud, s)
        }
        ShapeData::Cloud(cloud) => {
            let got = cloud.len();
            if got < options.min_points {
                return Err(Error::TooFewPoints {
                    origin: file.to_string(),
                    got,
                    min: options.min_points,
                });
            }
            let s = match got.cmp(&n) {
                std::cmp::Ordering::Equal => format!("all {n} points"),
                std::cmp::Ordering::Greater => format!(
                    "{n} of {got} points, a uniformly random subset without replacement (seed {})",
                    options.seed
                ),
                std::cmp::Ordering::Less => format!(
                    "all {got} points once and {} repeated, drawn uniformly (seed {})",
                    n - got,
                    options.seed
                ),
            };
            let cloud = if got == n {
                cloud
            } else {
                cloud.resample(n, &mut rng)?
            };
            notes.push(format!("{} cloud of {got} points: {s}", format.name()));
            ("cloud", got, 0, cloud, s)
        }
    };
    let (lo, hi) = cloud.bbox();
    let file_extent = [0, 1, 2].map(|a| f64::from(hi[a]) - f64::from(lo[a]));
    if file_extent == [0.0; 3] {
        return Err(Error::InvalidParameter {
            name: "shape file",
            value: format!("{file}: every point at {lo:?}"),
            reason: "a shape needs extent (all its points coincide)",
        });
    }
    if !options.normalize {
        notes.push("coordinates kept as they are (not rotated, centred or scaled)".into());
        return Ok((
            cloud,
            ShapeRecord {
                file: file.to_string(),
                format,
                kind: kind.into(),
                file_points,
                file_triangles,
                frame: Frame::PRIOR,
                rotation: Frame::PRIOR.rotation(),
                file_extent,
                centre: [0.0; 3],
                scale: 1.0,
                points: n,
                sampling,
                notes,
            },
        ));
    }
    let frame = options.frame;
    let r = frame.rotation();
    let rotated: Vec<[f32; 3]> = cloud
        .iter()
        .map(|p| {
            let row = |k: usize| r[k][0] * p[0] + r[k][1] * p[1] + r[k][2] * p[2];
            [row(0), row(1), row(2)]
        })
        .collect();
    if frame != Frame::PRIOR {
        notes.push(format!(
            "rotated from the file's axes (up {}, front {}) to the prior's (up +y, front -z)",
            frame.up, frame.front
        ));
    }
    // As `PointCloud::normalize` does, in f64 (no overflow for any finite f32 cloud), with the
    // centre and factor kept for the record.
    let (mut rlo, mut rhi) = ([f32::INFINITY; 3], [f32::NEG_INFINITY; 3]);
    for p in &rotated {
        for a in 0..3 {
            rlo[a] = rlo[a].min(p[a]);
            rhi[a] = rhi[a].max(p[a]);
        }
    }
    let centre = [0, 1, 2].map(|a| 0.5 * (f64::from(rlo[a]) + f64::from(rhi[a])));
    let diagonal = [0, 1, 2]
        .map(|a| f64::from(rhi[a]) - f64::from(rlo[a]))
        .iter()
        .map(|d| d * d)
        .sum::<f64>()
        .sqrt();
    let scale = 1.0 / diagonal;
    let out = PointCloud::with_origin(
        rotated
            .iter()
            .map(|p| [0, 1, 2].map(|a| ((f64::from(p[a]) - centre[a]) * scale) as f32))
            .collect(),
        file,
    )?;
    notes.push(format!(
        "centred (bounding-box centre [{:.4}, {:.4}, {:.4}] file units) and scaled by {scale:.6e} \
         to a unit bounding-box diagonal (was {diagonal:.6} file units{})",
        centre[0],
        centre[1],
        centre[2],
        unit_hint(diagonal)
    ));
    Ok((
        out,
        ShapeRecord {
            file: file.to_string(),
            format,
            kind: kind.into(),
            file_points,
            file_triangles,
            frame,
            rotation: r,
            file_extent,
            centre,
            scale,
            points: n,
            sampling,
            notes,
        },
    ))
}

/// A word on the file's unit where its size suggests one.
fn unit_hint(diagonal: f64) -> &'static str {
    if diagonal > 100.0 {
        "; that large: CAD millimetres? any unit works"
    } else if (0.99..=1.01).contains(&diagonal) {
        ": already the prior's size"
    } else {
        ""
    }
}
