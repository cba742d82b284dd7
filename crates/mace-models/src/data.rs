//! Training data for conditional models: rows of values `x` `(N, D)` paired with contexts
//! `(N, C)`, stored as a safetensors file (tensors `x` and `context`, f32) with the coordinate
//! names, limits and provenance in the file's metadata.

use std::collections::HashMap;
use std::path::Path;

use candle_core::{Device, Tensor};
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// What a dataset file says about itself (stored as JSON in the safetensors metadata `mace`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetInfo {
    /// Names of the D coordinates of `x` (e.g. joint names).
    pub names: Vec<String>,
    /// Lower limit per coordinate.
    pub lower: Vec<f32>,
    /// Upper limit per coordinate.
    pub upper: Vec<f32>,
    /// What the context is (e.g. "tcp position, metres, base frame").
    pub context: String,
    /// How the data was made (generator, robot, seed, filters).
    pub provenance: String,
}

/// Pairs (x, context) in memory.
#[derive(Debug, Clone, PartialEq)]
pub struct PairDataset {
    /// Row-major `(N, D)`.
    pub x: Vec<f32>,
    /// Row-major `(N, C)`.
    pub context: Vec<f32>,
    /// Context dimension C.
    pub context_dim: usize,
    /// Names, limits, provenance.
    pub info: DatasetInfo,
}

const METADATA_KEY: &str = "mace";

impl PairDataset {
    /// Number of rows N.
    pub fn len(&self) -> usize {
        self.x.len() / self.info.names.len().max(1)
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Checks sizes and values.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] or [`Error::NonFinite`].
    pub fn validate(&self) -> Result<()> {
        let d = self.info.names.len();
        let n = self.len();
        if d == 0 || self.x.len() != n * d || self.context.len() != n * self.context_dim {
            return Err(Error::ShapeMismatch {
                op: "PairDataset",
                expected: format!("x (N, {d}) and context (N, {})", self.context_dim),
                got: format!("{} and {} values", self.x.len(), self.context.len()),
            });
        }
        if let Some(index) = self.x.iter().position(|v| !v.is_finite()) {
            return Err(Error::NonFinite {
                what: "dataset x",
                index,
            });
        }
        if let Some(index) = self.context.iter().position(|v| !v.is_finite()) {
            return Err(Error::NonFinite {
                what: "dataset context",
                index,
            });
        }
        Ok(())
    }

    /// The two tensors `x` `(N, D)` and `context` `(N, C)`.
    ///
    /// # Errors
    /// Tensor errors.
    pub fn tensors(&self) -> Result<(Tensor, Tensor)> {
        let n = self.len();
        let x = Tensor::from_slice(&self.x, (n, self.info.names.len()), &Device::Cpu)?;
        let c = Tensor::from_slice(&self.context, (n, self.context_dim), &Device::Cpu)?;
        Ok((x, c))
    }

    /// Per-dimension mean and standard deviation of the contexts.
    pub fn context_stats(&self) -> (Vec<f32>, Vec<f32>) {
        let (n, c) = (self.len().max(1), self.context_dim);
        let mut mean = vec![0f64; c];
        let mut sq = vec![0f64; c];
        for row in self.context.chunks_exact(c) {
            for (i, v) in row.iter().enumerate() {
                mean[i] += *v as f64;
                sq[i] += (*v as f64).powi(2);
            }
        }
        let mean: Vec<f64> = mean.iter().map(|m| m / n as f64).collect();
        let std = sq
            .iter()
            .zip(&mean)
            .map(|(s, m)| ((s / n as f64 - m * m).max(1e-12)).sqrt() as f32)
            .collect();
        (mean.into_iter().map(|m| m as f32).collect(), std)
    }

    /// Writes the dataset to `path` atomically (temporary file + rename).
    ///
    /// # Errors
    /// [`Error::Io`] naming the file, or [`Error::Checkpoint`] if serialisation fails.
    pub fn save(&self, path: &Path) -> Result<()> {
        self.validate()?;
        let (x, c) = self.tensors()?;
        let bytes_of = |t: &Tensor| -> Result<Vec<u8>> {
            Ok(t.flatten_all()?
                .to_vec1::<f32>()?
                .iter()
                .flat_map(|v| v.to_le_bytes())
                .collect())
        };
        let (xb, cb) = (bytes_of(&x)?, bytes_of(&c)?);
        let views = [
            (
                "x",
                safetensors::tensor::TensorView::new(
                    safetensors::Dtype::F32,
                    x.dims().to_vec(),
                    &xb,
                ),
            ),
            (
                "context",
                safetensors::tensor::TensorView::new(
                    safetensors::Dtype::F32,
                    c.dims().to_vec(),
                    &cb,
                ),
            ),
        ];
        let bad = |e: String| Error::Checkpoint {
            path: path.to_path_buf(),
            reason: e,
        };
        let views: Vec<(&str, safetensors::tensor::TensorView<'_>)> = views
            .into_iter()
            .map(|(k, v)| v.map(|v| (k, v)).map_err(|e| bad(e.to_string())))
            .collect::<Result<_>>()?;
        let meta = HashMap::from([(
            METADATA_KEY.to_string(),
            serde_json::to_string(&self.info).expect("info serialises"),
        )]);
        let bytes = safetensors::serialize(views, Some(meta)).map_err(|e| bad(e.to_string()))?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| Error::Io {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        crate::checkpoint::write_atomic(path, &bytes)
    }

    /// Reads a dataset written by [`Self::save`].
    ///
    /// # Errors
    /// [`Error::Checkpoint`] naming the file when it is missing, not safetensors, lacks a tensor
    /// or the metadata, or holds inconsistent shapes.
    pub fn load(path: &Path) -> Result<Self> {
        let bad = |reason: String| Error::Checkpoint {
            path: path.to_path_buf(),
            reason,
        };
        let bytes = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
        let (_, meta) = safetensors::SafeTensors::read_metadata(&bytes)
            .map_err(|e| bad(format!("not a safetensors file: {e}")))?;
        let info_json = meta
            .metadata()
            .as_ref()
            .and_then(|m| m.get(METADATA_KEY))
            .ok_or_else(|| bad(format!("no `{METADATA_KEY}` metadata: not a MACE dataset")))?;
        let info: DatasetInfo =
            serde_json::from_str(info_json).map_err(|e| bad(format!("invalid metadata: {e}")))?;
        let st = safetensors::SafeTensors::deserialize(&bytes).map_err(|e| bad(e.to_string()))?;
        let read = |name: &str| -> Result<(Vec<usize>, Vec<f32>)> {
            let view = st
                .tensor(name)
                .map_err(|e| bad(format!("tensor `{name}`: {e}")))?;
            if view.dtype() != safetensors::Dtype::F32 || view.shape().len() != 2 {
                return Err(bad(format!(
                    "tensor `{name}` must be 2-D f32, is {:?} {:?}",
                    view.dtype(),
                    view.shape()
                )));
            }
            let values = view
                .data()
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect();
            Ok((view.shape().to_vec(), values))
        };
        let (xs, x) = read("x")?;
        let (cs, context) = read("context")?;
        if xs[0] != cs[0] || xs[1] != info.names.len() {
            return Err(bad(format!(
                "shapes x {xs:?} and context {cs:?} disagree with {} names",
                info.names.len()
            )));
        }
        let data = PairDataset {
            x,
            context,
            context_dim: cs[1],
            info,
        };
        data.validate().map_err(|e| bad(e.to_string()))?;
        Ok(data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> PairDataset {
        PairDataset {
            x: vec![0.1, 0.2, 0.3, 0.4],
            context: vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            context_dim: 3,
            info: DatasetInfo {
                names: vec!["a".into(), "b".into()],
                lower: vec![-1.0, -1.0],
                upper: vec![1.0, 1.0],
                context: "test".into(),
                provenance: "unit test".into(),
            },
        }
    }

    #[test]
    fn round_trip_is_exact() {
        let path =
            std::env::temp_dir().join(format!("mace-data-{}.safetensors", std::process::id()));
        small().save(&path).unwrap();
        assert_eq!(PairDataset::load(&path).unwrap(), small());
    }

    #[test]
    fn bad_files_are_named() {
        let path =
            std::env::temp_dir().join(format!("mace-data-bad-{}.safetensors", std::process::id()));
        std::fs::write(&path, b"garbage").unwrap();
        let err = PairDataset::load(&path).unwrap_err().to_string();
        assert!(
            err.contains(&path.display().to_string()) && err.contains("safetensors"),
            "{err}"
        );
        let err = PairDataset::load(Path::new("/nonexistent/data.safetensors"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("/nonexistent/data.safetensors"), "{err}");
    }

    #[test]
    fn nan_rows_are_rejected() {
        let mut d = small();
        d.context[4] = f32::NAN;
        assert!(matches!(
            d.validate(),
            Err(Error::NonFinite { index: 4, .. })
        ));
    }
}
