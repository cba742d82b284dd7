//! Checkpoints: `weights.safetensors` + `config.json` in a folder, each written atomically
//! ([`mace_core::fs::write_file`], weights first) into a folder the caller owns: a training run's
//! output or a results folder being staged. Whether an existing folder may be replaced is the
//! caller's decision ([`mace_core::fs::OutputDir`]).

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::train::TrainingRecord;
use crate::{ArGmm, ArGmmConfig, Error, Result};

/// File name of the weights inside a checkpoint folder.
pub const WEIGHTS_FILE: &str = "weights.safetensors";
/// File name of the configuration inside a checkpoint folder.
pub const CONFIG_FILE: &str = "config.json";

/// What `config.json` holds: the model's sizes and normalisation, and how it was trained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckpointInfo {
    /// Format tag, `"mace-ar-gmm"`.
    pub kind: String,
    /// The model configuration.
    pub model: ArGmmConfig,
    /// How the weights were obtained (training run, or tuning), if recorded.
    #[serde(default)]
    pub training: Option<TrainingRecord>,
}

/// Format tag of AR-GMM checkpoints.
pub const AR_GMM_KIND: &str = "mace-ar-gmm";

/// Saves `model` (and `training`, if any) into folder `dir`, creating it.
///
/// # Errors
/// [`Error::Io`] / [`Error::Checkpoint`] naming the file.
pub fn save_ar_gmm(model: &ArGmm, training: Option<&TrainingRecord>, dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|source| Error::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let tensors: std::collections::HashMap<String, candle_core::Tensor> = model
        .varmap()
        .data()
        .lock()
        .expect("varmap lock")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_tensor().clone()))
        .collect();
    write_tensors(&dir.join(WEIGHTS_FILE), &tensors)?;
    let info = CheckpointInfo {
        kind: AR_GMM_KIND.into(),
        model: model.config().clone(),
        training: training.cloned(),
    };
    write_config(&dir.join(CONFIG_FILE), &info)
}

/// Largest `config.json` read (a checkpoint's is a few kB).
pub const CONFIG_LIMIT: u64 = 16 << 20;

/// Loads an AR-GMM checkpoint folder.
///
/// # Errors
/// [`Error::Checkpoint`] naming the file when it is missing, not valid JSON, of another kind,
/// when the weights do not match the configured sizes, or hold NaN or ∞.
pub fn load_ar_gmm(dir: &Path) -> Result<(ArGmm, CheckpointInfo)> {
    let config_path = dir.join(CONFIG_FILE);
    let text =
        mace_core::fs::read_text(&config_path, CONFIG_LIMIT).map_err(|e| Error::Checkpoint {
            path: config_path.clone(),
            reason: e.to_string(),
        })?;
    let info: CheckpointInfo = serde_json::from_str(&text).map_err(|e| Error::Checkpoint {
        path: config_path.clone(),
        reason: format!("invalid JSON: {e}"),
    })?;
    if info.kind != AR_GMM_KIND {
        return Err(Error::Checkpoint {
            path: config_path,
            reason: format!("kind is {:?}, expected {AR_GMM_KIND:?}", info.kind),
        });
    }
    info.model.validate().map_err(|e| Error::Checkpoint {
        path: config_path.clone(),
        reason: e.to_string(),
    })?;
    let model = ArGmm::with_varmap(info.model.clone(), candle_nn::VarMap::new())?;
    let weights = dir.join(WEIGHTS_FILE);
    if !weights.is_file() {
        return Err(Error::Checkpoint {
            path: weights,
            reason: "file not found".into(),
        });
    }
    let mut stored =
        candle_core::safetensors::load(&weights, &candle_core::Device::Cpu).map_err(|e| {
            Error::Checkpoint {
                path: weights.clone(),
                reason: e.to_string(),
            }
        })?;
    let bad = |reason: String| Error::Checkpoint {
        path: weights.clone(),
        reason,
    };
    let vars: Vec<(String, candle_core::Var)> = {
        let data = model.varmap().data().lock().expect("varmap lock");
        let mut v: Vec<_> = data.iter().map(|(n, v)| (n.clone(), v.clone())).collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    };
    for (name, var) in vars {
        let t = stored
            .remove(&name)
            .ok_or_else(|| bad(format!("tensor `{name}` is missing")))?;
        if t.dims() != var.dims() {
            return Err(bad(format!(
                "tensor `{name}` has shape {:?}, the config needs {:?}",
                t.dims(),
                var.dims()
            )));
        }
        let t = t.to_dtype(candle_core::DType::F32)?;
        check_weights(&name, &t.flatten_all()?.to_vec1::<f32>()?).map_err(bad)?;
        var.set(&t)?;
    }
    if let Some(name) = stored.keys().min() {
        return Err(bad(format!(
            "unexpected tensor `{name}` (the config does not use it)"
        )));
    }
    Ok((model, info))
}

/// Largest weight magnitude a checkpoint may hold: trained networks stay within a few units;
/// a value past this is a damaged file (a flipped exponent bit) and would overflow the forward
/// pass.
pub const MAX_WEIGHT: f32 = 1e4;

/// Checks one tensor's values: finite and within ±[`MAX_WEIGHT`].
pub(crate) fn check_weights(name: &str, values: &[f32]) -> std::result::Result<(), String> {
    match values
        .iter()
        .position(|v| !(v.is_finite() && v.abs() <= MAX_WEIGHT))
    {
        Some(i) => Err(format!(
            "tensor `{name}` holds {} at index {i} (weights must be finite and within ±{MAX_WEIGHT})",
            values[i]
        )),
        None => Ok(()),
    }
}

/// Writes `tensors` as a safetensors file at `path`, atomically (an existing file in the
/// checkpoint folder is replaced).
///
/// # Errors
/// [`Error::Checkpoint`] naming the file.
pub(crate) fn write_tensors(
    path: &Path,
    tensors: &std::collections::HashMap<String, candle_core::Tensor>,
) -> Result<()> {
    let fail = |reason: String| Error::Checkpoint {
        path: path.to_path_buf(),
        reason,
    };
    let mut named: Vec<(&String, &candle_core::Tensor)> = tensors.iter().collect();
    named.sort_by(|a, b| a.0.cmp(b.0));
    let bytes = safetensors::serialize(named, None).map_err(|e| fail(e.to_string()))?;
    mace_core::fs::write_file(path, &bytes, true).map_err(|e| fail(e.to_string()))
}

/// Writes a checkpoint's `config.json` atomically (replacing the folder's previous one).
///
/// # Errors
/// [`Error::Checkpoint`] naming the file.
pub(crate) fn write_config<T: Serialize>(path: &Path, info: &T) -> Result<()> {
    mace_core::fs::write_json(path, info, true).map_err(|e| Error::Checkpoint {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Tensor};

    fn config() -> ArGmmConfig {
        ArGmmConfig {
            names: vec!["a".into(), "b".into()],
            lower: vec![-1.0, -1.0],
            upper: vec![1.0, 1.0],
            context_dim: 1,
            context_mean: vec![0.0],
            context_std: vec![1.0],
            hidden: vec![8],
            components: 2,
            min_std: 0.01,
            range_slack: 1.1,
            chain: None,
            made_for: None,
        }
    }

    fn tmpdir(name: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("mace-ckpt-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn round_trip_is_exact() {
        let m = ArGmm::new(config(), 0).unwrap();
        let dir = tmpdir("rt");
        save_ar_gmm(&m, None, &dir).unwrap();
        let (l, info) = load_ar_gmm(&dir).unwrap();
        assert_eq!(info.model, config());
        let x = Tensor::new(&[[0.1f32, -0.3]], &Device::Cpu).unwrap();
        let c = Tensor::new(&[[0.5f32]], &Device::Cpu).unwrap();
        assert_eq!(
            m.log_prob(&x, &c).unwrap().to_vec1::<f32>().unwrap(),
            l.log_prob(&x, &c).unwrap().to_vec1::<f32>().unwrap()
        );
        assert!(!dir.join("weights.safetensors.tmp").exists());
    }

    #[test]
    fn missing_and_corrupted_files_are_named() {
        let dir = tmpdir("bad");
        let err = load_ar_gmm(&dir).unwrap_err().to_string();
        assert!(err.contains("config.json"), "{err}");

        save_ar_gmm(&ArGmm::new(config(), 0).unwrap(), None, &dir).unwrap();
        std::fs::write(dir.join(WEIGHTS_FILE), b"not a safetensors file").unwrap();
        let err = load_ar_gmm(&dir).unwrap_err().to_string();
        assert!(err.contains("weights.safetensors"), "{err}");

        std::fs::remove_file(dir.join(WEIGHTS_FILE)).unwrap();
        let err = load_ar_gmm(&dir).unwrap_err().to_string();
        assert!(
            err.contains("weights.safetensors") && err.contains("not found"),
            "{err}"
        );

        std::fs::write(dir.join(CONFIG_FILE), b"{ nope").unwrap();
        let err = load_ar_gmm(&dir).unwrap_err().to_string();
        assert!(
            err.contains("config.json") && err.contains("invalid JSON"),
            "{err}"
        );
    }

    #[test]
    fn weights_of_other_sizes_are_rejected() {
        let dir = tmpdir("sizes");
        save_ar_gmm(&ArGmm::new(config(), 0).unwrap(), None, &dir).unwrap();
        let other = ArGmm::new(
            ArGmmConfig {
                hidden: vec![9],
                ..config()
            },
            0,
        )
        .unwrap();
        let text = serde_json::to_string(&CheckpointInfo {
            kind: AR_GMM_KIND.into(),
            model: other.config().clone(),
            training: None,
        })
        .unwrap();
        std::fs::write(dir.join(CONFIG_FILE), text).unwrap();
        let err = load_ar_gmm(&dir).unwrap_err().to_string();
        assert!(err.contains("weights.safetensors"), "{err}");
    }
}
