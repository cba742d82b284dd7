//! The ShapeNet point-cloud layout real users have: `root/<synset>/<object>.ply`, one
//! 2048-point PLY per object (airplane = [`AIRPLANE_SYNSET`]), split 85/5/10 in listing order.
//!
//! Objects are sorted by file name (byte order). With `n` objects the first ⌊0.85 n⌋ are
//! [`Split::Train`], the next ⌊0.05 n⌋ [`Split::Val`] and the rest [`Split::Test`] (4045
//! airplanes → 3438 / 202 / 405).

use std::ops::Range;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::io::read_ply;
use crate::point_cloud::{CountPolicy, Normalization, PointCloud};
use crate::seed::item_rng;

/// WordNet synset id of ShapeNet's "airplane" category.
pub const AIRPLANE_SYNSET: &str = "02691156";

/// A part of the 85/5/10 split.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Split {
    /// The first 85 %.
    Train,
    /// The next 5 %.
    Val,
    /// The last 10 % (the remainder).
    Test,
}

/// Sizes `[train, val, test]` of the split of `n` objects: `⌊0.85 n⌋`, `⌊0.05 n⌋`, the rest.
pub fn split_sizes(n: usize) -> [usize; 3] {
    let train = n * 85 / 100;
    let val = n * 5 / 100;
    [train, val, n - train - val]
}

/// How clouds are conditioned as they load.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadOptions {
    /// Required points per cloud (ShapeNet: 2048); `None` accepts any count.
    pub points: Option<usize>,
    /// What to do with a cloud of another size: error (default) or resample.
    pub count_policy: CountPolicy,
    /// Normalise each cloud after loading; `None` (default) keeps the file's coordinates
    /// (ShapeNet's clouds are already [`Normalization::BboxDiagonal`]).
    pub normalization: Option<Normalization>,
    /// Seed of the resampling RNG; object `i` (global index) uses its own stream.
    pub seed: u64,
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self {
            points: Some(2048),
            count_policy: CountPolicy::Error,
            normalization: None,
            seed: 0,
        }
    }
}

/// One synset folder of a ShapeNet point-cloud tree, its files sorted by name.
///
/// # Example
/// ```no_run
/// use mace_shapes::{LoadOptions, ShapeNetDataset, Split};
/// let data = ShapeNetDataset::airplanes("/data/shape_net_core_uniform_samples_2048")?;
/// let train = data.load(Split::Train, &LoadOptions::default())?;
/// # Ok::<(), mace_shapes::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct ShapeNetDataset {
    dir: PathBuf,
    files: Vec<PathBuf>,
}

impl ShapeNetDataset {
    /// Lists `root/synset/*.ply` (extension case-insensitive), sorted by file name.
    ///
    /// # Errors
    /// [`Error::Io`] if the folder cannot be listed, [`Error::EmptyDataset`] if it holds no
    /// PLY file.
    pub fn open(root: impl AsRef<Path>, synset: &str) -> Result<Self> {
        let dir = root.as_ref().join(synset);
        let entries = std::fs::read_dir(&dir).map_err(|e| Error::io(&dir, e))?;
        let mut files = Vec::new();
        for entry in entries {
            let path = entry.map_err(|e| Error::io(&dir, e))?.path();
            let is_ply = path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("ply"));
            if is_ply && path.is_file() {
                files.push(path);
            }
        }
        if files.is_empty() {
            return Err(Error::EmptyDataset { path: dir });
        }
        files.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
        Ok(Self { dir, files })
    }

    /// The airplane synset ([`AIRPLANE_SYNSET`]) under `root`.
    ///
    /// # Errors
    /// As [`ShapeNetDataset::open`].
    pub fn airplanes(root: impl AsRef<Path>) -> Result<Self> {
        Self::open(root, AIRPLANE_SYNSET)
    }

    /// The synset folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// All files in listing order.
    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }

    /// Indices into [`ShapeNetDataset::files`] of `split`.
    pub fn range(&self, split: Split) -> Range<usize> {
        let [train, val, _] = split_sizes(self.files.len());
        match split {
            Split::Train => 0..train,
            Split::Val => train..train + val,
            Split::Test => train + val..self.files.len(),
        }
    }

    /// The files of `split`, in listing order.
    pub fn split_files(&self, split: Split) -> &[PathBuf] {
        &self.files[self.range(split)]
    }

    /// Loads the clouds of `split` in listing order (in parallel), conditioned by `options`.
    ///
    /// # Errors
    /// The first failing file's error (as [`read_ply`]), or [`Error::PointCount`] naming it.
    pub fn load(&self, split: Split, options: &LoadOptions) -> Result<Vec<PointCloud>> {
        let range = self.range(split);
        let start = range.start;
        self.files[range]
            .par_iter()
            .enumerate()
            .map(|(k, path)| load_one(path, (start + k) as u64, options))
            .collect()
    }
}

/// Reads one cloud and conditions it; `index` selects its resampling stream.
fn load_one(path: &Path, index: u64, options: &LoadOptions) -> Result<PointCloud> {
    let mut cloud = read_ply(path)?;
    if let Some(n) = options.points {
        let mut rng = item_rng(options.seed, index);
        cloud = cloud.conform(
            n,
            options.count_policy,
            &path.display().to_string(),
            &mut rng,
        )?;
    }
    if let Some(mode) = options.normalization {
        cloud.normalize(mode);
    }
    Ok(cloud)
}
