//! Where shapes come from: the procedural airplane family, or a ShapeNet point-cloud folder,
//! split 85/5/10 in listing order; and a user's own file as the observed shape (any cloud or
//! mesh format, brought into the prior's frame by [`mace_shapes::load_shape`]).

use std::path::PathBuf;

use mace_shapes::{
    load_shape, read_point_cloud, roll_about_z, roll_angle_deg, split_sizes, AirplaneFamily,
    LoadOptions, PointCloud, PrepareOptions, ShapeNetDataset, ShapeRecord, Split,
};
use serde::{Deserialize, Serialize};

use crate::error::{fail, Context, Result};

/// Objects in ShapeNet's airplane synset: the default size of the procedural set.
pub const SHAPENET_AIRPLANES: usize = 4045;

/// A source of shapes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShapeSource {
    /// A ShapeNet point-cloud folder (one sub-folder per synset, airplane = 02691156, one
    /// 2048-point PLY per object). `None`: the procedural airplane family.
    pub shapenet: Option<PathBuf>,
    /// Size of the procedural set.
    pub shapes: usize,
    /// Seed of the procedural set (shape i depends only on this seed and i).
    pub data_seed: u64,
    /// Largest roll about the fuselage axis (z), degrees: shape i (of any split, from either
    /// source) is turned by its own angle, uniform in [−roll, roll], seeded by `data_seed` and
    /// i ([`mace_shapes::roll`]). 0: as generated or stored. The reference set-up: 45.
    #[serde(default)]
    pub roll_deg: f32,
}

impl Default for ShapeSource {
    /// The procedural family at ShapeNet's size, seed 0.
    fn default() -> Self {
        ShapeSource {
            shapenet: None,
            shapes: SHAPENET_AIRPLANES,
            data_seed: 0,
            roll_deg: 0.0,
        }
    }
}

impl ShapeSource {
    /// One line naming the source, for records.
    pub fn describe(&self) -> String {
        let base = match &self.shapenet {
            Some(root) => format!("ShapeNet airplanes under {}", root.display()),
            None => format!(
                "procedural airplanes: {} shapes, seed {}",
                self.shapes, self.data_seed
            ),
        };
        if self.roll_deg == 0.0 {
            base
        } else {
            format!("{base}, rolled about z by up to ±{}°", self.roll_deg)
        }
    }

    /// The largest roll checked: finite, in [0, 180] degrees.
    ///
    /// # Errors
    /// For any other value, naming `--roll`.
    pub fn validate(&self) -> Result<()> {
        if !(self.roll_deg.is_finite() && (0.0..=180.0).contains(&self.roll_deg)) {
            fail!(
                "--roll {}: the largest roll must be in [0, 180] degrees",
                self.roll_deg
            );
        }
        Ok(())
    }

    /// Shape `index` (global, across splits) rolled as [`ShapeSource::roll_deg`] says.
    fn rolled(&self, cloud: PointCloud, index: usize) -> PointCloud {
        let angle = roll_angle_deg(self.data_seed, index as u64, self.roll_deg);
        roll_about_z(&cloud, angle)
    }

    /// The clouds of `split`, in listing order.
    ///
    /// # Errors
    /// If the folder cannot be read or the procedural set is too small to split.
    pub fn load(&self, split: Split) -> Result<Vec<PointCloud>> {
        self.validate()?;
        match &self.shapenet {
            Some(root) => {
                let data = ShapeNetDataset::airplanes(root)?;
                let start = data.range(split).start;
                let clouds = data.load(split, &LoadOptions::default())?;
                Ok(clouds
                    .into_iter()
                    .enumerate()
                    .map(|(k, c)| self.rolled(c, start + k))
                    .collect())
            }
            None => {
                use rayon::prelude::*;
                let family = AirplaneFamily::default();
                Ok(self
                    .range(split)?
                    .into_par_iter()
                    .map(|i| Ok(self.rolled(family.shape(self.data_seed, i as u64)?, i)))
                    .collect::<Result<Vec<_>>>()?)
            }
        }
    }

    /// Indices of `split` in the procedural set.
    fn range(&self, split: Split) -> Result<std::ops::Range<usize>> {
        if self.shapes < 20 {
            fail!(
                "--shapes must be at least 20 (for a 85/5/10 split), got {}",
                self.shapes
            );
        }
        let [train, val, _test] = split_sizes(self.shapes);
        Ok(match split {
            Split::Train => 0..train,
            Split::Val => train..train + val,
            Split::Test => train + val..self.shapes,
        })
    }

    /// Test shape `spec` (an index within the test split), or the shape in the file `spec`
    /// brought into the prior's frame with the default [`PrepareOptions`] (its axes the
    /// prior's, 2048 points, seed 0); with a description for records.
    ///
    /// # Errors
    /// As [`ShapeSource::test_shape_with`].
    pub fn test_shape(&self, spec: &str) -> Result<(PointCloud, String)> {
        let shape = self.test_shape_with(spec, &PrepareOptions::default())?;
        Ok((shape.cloud, shape.name))
    }

    /// Test shape `spec` (an index within the test split), or the cloud or mesh in the file
    /// `spec` conditioned as `file` says (axes, point count, normalisation, seed; see
    /// [`mace_shapes::prepare`]).
    ///
    /// # Errors
    /// For an index past the test split, or a file that cannot be read or is unusable (each a
    /// one-line message naming the file and what is wrong).
    pub fn test_shape_with(&self, spec: &str, file: &PrepareOptions) -> Result<TestShape> {
        if let Ok(index) = spec.parse::<usize>() {
            self.validate()?;
            let cloud = match &self.shapenet {
                Some(root) => {
                    let data = ShapeNetDataset::airplanes(root)?;
                    let start = data.range(Split::Test).start;
                    let files = data.split_files(Split::Test);
                    let Some(file) = files.get(index) else {
                        fail!("--shape {index}: the test split has {} shapes", files.len());
                    };
                    self.rolled(read_point_cloud(file)?, start + index)
                }
                None => {
                    let range = self.range(Split::Test)?;
                    if index >= range.len() {
                        fail!("--shape {index}: the test split has {} shapes", range.len());
                    }
                    let i = range.start + index;
                    self.rolled(
                        AirplaneFamily::default().shape(self.data_seed, i as u64)?,
                        i,
                    )
                }
            };
            return Ok(TestShape {
                cloud,
                name: format!("test shape {index} of {}", self.describe()),
                file: None,
                heading: None,
                turn: None,
            });
        }
        let (cloud, record) = load_shape(spec, file).context("reading --shape")?;
        Ok(TestShape {
            cloud,
            name: spec.to_string(),
            file: Some(record),
            heading: None,
            turn: None,
        })
    }
}

/// An observed shape: the cloud, its name for records, and for a file what was done to it.
#[derive(Debug, Clone)]
pub struct TestShape {
    /// The cloud, in the prior's frame.
    pub cloud: PointCloud,
    /// A description for records: the test index and source, or the file.
    pub name: String,
    /// For a file: its format, axes, scale, offset and sampling.
    pub file: Option<ShapeRecord>,
    /// For a file: the turn about the up axis applied after reading, if any.
    pub heading: Option<super::heading::HeadingRecord>,
    /// That turn as applied: degrees, then the re-centring (subtracted) and scale of
    /// [`super::heading::turn_normalisation`].
    pub turn: Option<(f32, [f64; 3], f64)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_ply(dir: &std::path::Path, name: &str, points: &[[f32; 3]]) -> String {
        let cloud = PointCloud::new(points.to_vec()).unwrap();
        let p = dir.join(name);
        mace_shapes::write_point_cloud(&p, &cloud, false).unwrap();
        p.display().to_string()
    }

    #[test]
    fn files_are_conditioned_and_recorded() {
        let dir = tempfile::tempdir().unwrap();
        let source = ShapeSource::default();
        // A test shape in millimetres, z up: back to the test shape itself.
        let (truth, _) = source.test_shape("0").unwrap();
        let mm: Vec<[f32; 3]> = truth
            .iter()
            .map(|p| [-1000.0 * p[0], 1000.0 * p[2], 1000.0 * p[1] + 50.0])
            .collect();
        let file = write_ply(dir.path(), "mm.ply", &mm);
        let options = PrepareOptions {
            frame: mace_shapes::Frame::new(mace_shapes::Axis::Z, None).unwrap(),
            ..PrepareOptions::default()
        };
        let shape = source.test_shape_with(&file, &options).unwrap();
        let record = shape.file.unwrap();
        assert!((record.scale - 1e-3).abs() < 1e-8, "{record:?}");
        for (a, b) in shape.cloud.iter().zip(truth.iter()) {
            assert!((0..3).all(|k| (a[k] - b[k]).abs() < 1e-4), "{a:?} {b:?}");
        }
        // An index has no file record; a bad file is one line naming it.
        assert!(source
            .test_shape_with("0", &options)
            .unwrap()
            .file
            .is_none());
        let few = write_ply(
            dir.path(),
            "few.ply",
            &[[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]],
        );
        let e = anyhow_like(source.test_shape(&few).unwrap_err());
        assert!(
            e.contains("few.ply") && e.contains("fewer than the 64") && !e.contains('\n'),
            "{e}"
        );
    }

    /// The error with its sources, as the command prints it.
    fn anyhow_like(e: crate::Error) -> String {
        let mut s = e.to_string();
        let mut src = std::error::Error::source(&e);
        while let Some(x) = src {
            s += &format!(": {x}");
            src = x.source();
        }
        s
    }
}
