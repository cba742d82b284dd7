//! Where shapes come from: the procedural airplane family, or a ShapeNet point-cloud folder,
//! split 85/5/10 in listing order.

use std::path::PathBuf;

use mace_shapes::{
    read_point_cloud, split_sizes, AirplaneFamily, LoadOptions, PointCloud, ShapeNetDataset, Split,
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
}

impl Default for ShapeSource {
    /// The procedural family at ShapeNet's size, seed 0.
    fn default() -> Self {
        ShapeSource {
            shapenet: None,
            shapes: SHAPENET_AIRPLANES,
            data_seed: 0,
        }
    }
}

impl ShapeSource {
    /// One line naming the source, for records.
    pub fn describe(&self) -> String {
        match &self.shapenet {
            Some(root) => format!("ShapeNet airplanes under {}", root.display()),
            None => format!(
                "procedural airplanes: {} shapes, seed {}",
                self.shapes, self.data_seed
            ),
        }
    }

    /// The clouds of `split`, in listing order.
    ///
    /// # Errors
    /// If the folder cannot be read or the procedural set is too small to split.
    pub fn load(&self, split: Split) -> Result<Vec<PointCloud>> {
        match &self.shapenet {
            Some(root) => {
                let data = ShapeNetDataset::airplanes(root)?;
                Ok(data.load(split, &LoadOptions::default())?)
            }
            None => {
                use rayon::prelude::*;
                let family = AirplaneFamily::default();
                Ok(self
                    .range(split)?
                    .into_par_iter()
                    .map(|i| family.shape(self.data_seed, i as u64))
                    .collect::<Result<Vec<_>, _>>()?)
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

    /// Test shape `spec` (an index within the test split), or the cloud in the file `spec`;
    /// with a description for records.
    ///
    /// # Errors
    /// For an index past the test split, or a file that cannot be read.
    pub fn test_shape(&self, spec: &str) -> Result<(PointCloud, String)> {
        if let Ok(index) = spec.parse::<usize>() {
            let cloud = match &self.shapenet {
                Some(root) => {
                    let data = ShapeNetDataset::airplanes(root)?;
                    let files = data.split_files(Split::Test);
                    let Some(file) = files.get(index) else {
                        fail!("--shape {index}: the test split has {} shapes", files.len());
                    };
                    read_point_cloud(file)?
                }
                None => {
                    let range = self.range(Split::Test)?;
                    if index >= range.len() {
                        fail!("--shape {index}: the test split has {} shapes", range.len());
                    }
                    AirplaneFamily::default().shape(self.data_seed, (range.start + index) as u64)?
                }
            };
            return Ok((cloud, format!("test shape {index} of {}", self.describe())));
        }
        let cloud = read_point_cloud(spec).with_context(|| format!("reading --shape {spec}"))?;
        Ok((cloud, spec.to_string()))
    }
}
