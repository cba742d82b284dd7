//! Training data for the IK prior: random joint configurations within the limits, free of
//! self-collision (no obstacles, no ground), with their TCP positions, stored as safetensors.
//!
//! File layout: tensors `q` `(n, dof)` f32 (rad) and `tcp` `(n, 3)` f32 (metres, base frame);
//! metadata `robot`, `joint_names` (comma-separated), `kinematics` (the chain's
//! [`KinematicChain::kinematics_hash`]: a prior trained on the set checks it), `seed`, `n`.

use std::collections::HashMap;
use std::path::Path;

use rand::{rngs::StdRng, SeedableRng};
use safetensors::{tensor::TensorView, Dtype, SafeTensors};

use crate::chain::KinematicChain;
use crate::collision::CollisionModel;
use crate::error::{Error, Result};
use crate::scene::Scene;

/// Largest dataset [`Dataset::generate`] makes (50 M configurations: 1.4 GB for 7 joints).
pub const MAX_DATASET: usize = 50_000_000;

/// Configurations drawn before giving up when fewer than one in a thousand is free of
/// self-collision.
const GIVE_UP_AFTER: usize = 4_000_000;

/// Options of [`Dataset::generate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DatasetConfig {
    /// Number of configurations to keep.
    pub n: usize,
    /// Seed of the uniform draws.
    pub seed: u64,
}

/// Self-collision-free configurations and their TCP positions.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// Joint values, row-major `(n, dof)`, rad.
    pub q: Vec<f32>,
    /// TCP positions, row-major `(n, 3)`, metres.
    pub tcp: Vec<f32>,
    /// Joints per configuration.
    pub dof: usize,
    /// Seed that generated the set.
    pub seed: u64,
    /// The kinematics fingerprint of the chain that made it (`None` for files without one).
    pub kinematics: Option<String>,
    /// Its joint names (empty for files without them).
    pub joint_names: Vec<String>,
}

impl Dataset {
    /// Number of configurations.
    pub fn len(&self) -> usize {
        self.tcp.len() / 3
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.tcp.is_empty()
    }

    /// Draws configurations uniformly within `chain`'s limits in batches, keeps those free of
    /// self-collision until `cfg.n` are kept, and computes their TCP positions. Seeded: the same
    /// config gives the same set on any thread count.
    ///
    /// # Errors
    /// [`Error::EmptyBatch`] for `n = 0`; [`Error::TooMany`] above [`MAX_DATASET`];
    /// [`Error::AlwaysInCollision`] when fewer than one in a thousand random configurations
    /// is free of self-collision (a robot whose adjacent links overlap).
    pub fn generate(chain: &KinematicChain, cfg: &DatasetConfig) -> Result<Dataset> {
        if cfg.n == 0 {
            return Err(Error::EmptyBatch {
                op: "Dataset::generate",
            });
        }
        if cfg.n > MAX_DATASET {
            return Err(Error::TooMany {
                what: "dataset size",
                value: cfg.n,
                max: MAX_DATASET,
            });
        }
        let dof = chain.dof();
        let model = CollisionModel::new(chain, &Scene::empty([0.0; 3]));
        let mut rng = StdRng::seed_from_u64(cfg.seed);
        let mut q = Vec::with_capacity(cfg.n * dof);
        let mut drawn = 0;
        while q.len() < cfg.n * dof {
            let kept = q.len() / dof;
            if drawn >= GIVE_UP_AFTER && kept * 1000 < drawn {
                return Err(Error::AlwaysInCollision { kept, drawn });
            }
            drawn += 65_536;
            let batch = chain.sample_uniform(65_536, &mut rng);
            let hits = model.collides_batch(&batch)?;
            for (row, hit) in batch.chunks_exact(dof).zip(hits) {
                if !hit && q.len() < cfg.n * dof {
                    q.extend_from_slice(row);
                }
            }
        }
        let tcp = chain.tcp_positions(&q)?.into_iter().flatten().collect();
        Ok(Dataset {
            q,
            tcp,
            dof,
            seed: cfg.seed,
            kinematics: Some(chain.kinematics_hash()),
            joint_names: chain.joints().iter().map(|j| j.name.clone()).collect(),
        })
    }

    /// Writes the set as safetensors (layout in the module docs), atomically
    /// ([`mace_core::fs::write_file`]: an existing file is replaced only with `force`).
    ///
    /// # Errors
    /// [`Error::File`] if the file exists (without `force`) or cannot be written.
    pub fn save_safetensors(
        &self,
        chain: &KinematicChain,
        path: impl AsRef<Path>,
        force: bool,
    ) -> Result<()> {
        let path = path.as_ref();
        let bytes = |v: &[f32]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
        let (qb, tb) = (bytes(&self.q), bytes(&self.tcp));
        let io = |e: safetensors::SafeTensorError| Error::Io {
            path: path.to_path_buf(),
            source: std::io::Error::other(e),
        };
        let qv = TensorView::new(Dtype::F32, vec![self.len(), self.dof], &qb).map_err(io)?;
        let tv = TensorView::new(Dtype::F32, vec![self.len(), 3], &tb).map_err(io)?;
        let names: Vec<&str> = chain.joints().iter().map(|j| j.name.as_str()).collect();
        let meta = HashMap::from([
            ("robot".to_string(), chain.name().to_string()),
            ("joint_names".to_string(), names.join(",")),
            ("seed".to_string(), self.seed.to_string()),
            ("kinematics".to_string(), chain.kinematics_hash()),
            ("n".to_string(), self.len().to_string()),
        ]);
        let bytes = safetensors::serialize([("q", qv), ("tcp", tv)], Some(meta)).map_err(io)?;
        Ok(mace_core::fs::write_file(path, &bytes, force)?)
    }

    /// Reads a set written by [`Dataset::save_safetensors`].
    ///
    /// # Errors
    /// [`Error::Io`] if unreadable; [`Error::ShapeMismatch`] if `q`/`tcp` are missing or malformed.
    pub fn load_safetensors(path: impl AsRef<Path>) -> Result<Dataset> {
        let path = path.as_ref();
        let buf = mace_core::fs::read_file(path, 64 << 30)?;
        Dataset::from_safetensors_bytes(&buf).map_err(|e| match e {
            Error::ShapeMismatch { got, .. } => Error::BadFile {
                path: path.to_path_buf(),
                reason: format!("not a dataset of `mace ik dataset`: {got}"),
            },
            other => other,
        })
    }

    /// A set from the bytes of its safetensors file (see [`Dataset::load_safetensors`]).
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] for anything but tensors `q` `(n, dof)` and `tcp` `(n, 3)` of
    /// finite f32 with `n ≥ 1` and `dof` in 1..=64.
    pub fn from_safetensors_bytes(buf: &[u8]) -> Result<Dataset> {
        let bad = |got: String| Error::ShapeMismatch {
            op: "Dataset::load_safetensors",
            expected: "tensors q (n, dof) and tcp (n, 3), f32".into(),
            got,
        };
        let st = SafeTensors::deserialize(buf).map_err(|e| bad(e.to_string()))?;
        let read = |name: &str| -> Result<(Vec<usize>, Vec<f32>)> {
            let t = st.tensor(name).map_err(|e| bad(e.to_string()))?;
            if t.dtype() != Dtype::F32 || t.shape().len() != 2 {
                return Err(bad(format!("{name}: {:?} {:?}", t.dtype(), t.shape())));
            }
            let v = t
                .data()
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            Ok((t.shape().to_vec(), v))
        };
        let (qs, q) = read("q")?;
        let (ts, tcp) = read("tcp")?;
        if ts[1] != 3 || ts[0] != qs[0] || qs[0] == 0 || !(1..=64).contains(&qs[1]) {
            return Err(bad(format!("q {qs:?}, tcp {ts:?}")));
        }
        if let Some(i) = q.iter().chain(&tcp).position(|v| !v.is_finite()) {
            return Err(bad(format!("a value that is not finite at flat index {i}")));
        }
        let meta: HashMap<String, String> = SafeTensors::read_metadata(buf)
            .ok()
            .and_then(|(_, m)| m.metadata().clone())
            .unwrap_or_default();
        Ok(Dataset {
            q,
            tcp,
            dof: qs[1],
            seed: meta.get("seed").and_then(|s| s.parse().ok()).unwrap_or(0),
            kinematics: meta.get("kinematics").cloned(),
            joint_names: meta
                .get("joint_names")
                .map(|n| n.split(',').map(str::to_string).collect())
                .unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generate_save_load_round_trip() {
        let chain = KinematicChain::panda();
        let d = Dataset::generate(&chain, &DatasetConfig { n: 1000, seed: 4 }).unwrap();
        assert_eq!(d.len(), 1000);
        let again = Dataset::generate(&chain, &DatasetConfig { n: 1000, seed: 4 }).unwrap();
        assert_eq!(d, again);
        let model = CollisionModel::new(&chain, &Scene::empty([0.0; 3]));
        assert!(model.collides_batch(&d.q).unwrap().iter().all(|c| !c));
        let path = std::env::temp_dir().join(format!(
            "mace_robot_dataset_{}.safetensors",
            std::process::id()
        ));
        d.save_safetensors(&chain, &path, true).unwrap();
        let back = Dataset::load_safetensors(&path).unwrap();
        std::fs::remove_file(&path).ok();
        assert_eq!(back, d);
    }
}
