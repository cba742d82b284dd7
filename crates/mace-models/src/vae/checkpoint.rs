//! VAE and CVAE checkpoints: `weights.safetensors` + `config.json` in a folder, each written
//! atomically (temporary file in the same folder, then a rename; weights first).
//!
//! Weights may be stored as f16 to halve the file (the paper-size decoder is 29.5 MB as f32);
//! they are loaded back to f32. Tensor names are those of the variable store
//! (`encoder.point.l0.weight`, …, `decoder.l4.bias`).

use std::collections::HashMap;
use std::path::Path;

use candle_core::{DType, Device, Tensor};
use candle_nn::VarMap;
use serde::{Deserialize, Serialize};

use super::config::PointVaeConfig;
use super::cvae::Cvae;
use super::model::PointVae;
use super::nets::VaeCore;
use super::train::VaeTrainingRecord;
use crate::checkpoint::{write_config, write_tensors, CONFIG_FILE, WEIGHTS_FILE};
use crate::{Error, Result};

/// Format tag of [`PointVae`] checkpoints.
pub const POINT_VAE_KIND: &str = "mace-point-vae";
/// Format tag of [`Cvae`] checkpoints.
pub const CVAE_KIND: &str = "mace-cvae";

/// Element type of the stored weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum WeightsDtype {
    /// 4 bytes per weight; loads back bit for bit.
    #[default]
    F32,
    /// 2 bytes per weight (IEEE half); loads back rounded to the nearest f16.
    F16,
}

/// What a VAE's `config.json` holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VaeCheckpointInfo {
    /// Format tag: [`POINT_VAE_KIND`] or [`CVAE_KIND`].
    pub kind: String,
    /// The sizes.
    pub model: PointVaeConfig,
    /// Element type of `weights.safetensors`.
    #[serde(default)]
    pub weights_dtype: WeightsDtype,
    /// How the weights were trained, if recorded.
    #[serde(default)]
    pub training: Option<VaeTrainingRecord>,
}

/// Saves a [`PointVae`] into folder `dir` (created if needed).
///
/// # Errors
/// [`Error::Io`] / [`Error::Checkpoint`] naming the file.
pub fn save_point_vae(
    vae: &PointVae,
    training: Option<&VaeTrainingRecord>,
    dtype: WeightsDtype,
    dir: &Path,
) -> Result<()> {
    save_core(&vae.core, POINT_VAE_KIND, training, dtype, dir)
}

/// Saves a [`Cvae`] into folder `dir` (created if needed).
///
/// # Errors
/// [`Error::Io`] / [`Error::Checkpoint`] naming the file.
pub fn save_cvae(
    cvae: &Cvae,
    training: Option<&VaeTrainingRecord>,
    dtype: WeightsDtype,
    dir: &Path,
) -> Result<()> {
    save_core(&cvae.core, CVAE_KIND, training, dtype, dir)
}

/// Loads a [`PointVae`] checkpoint folder.
///
/// # Errors
/// [`Error::Checkpoint`] naming the file (and the tensor) when a file is missing, not valid,
/// of another kind, or when a tensor is missing, unexpected or of the wrong shape.
pub fn load_point_vae(dir: &Path) -> Result<(PointVae, VaeCheckpointInfo)> {
    let (core, info) = load_core(dir, POINT_VAE_KIND)?;
    Ok((PointVae::from_core(core)?, info))
}

/// Loads a [`Cvae`] checkpoint folder.
///
/// # Errors
/// As [`load_point_vae`].
pub fn load_cvae(dir: &Path) -> Result<(Cvae, VaeCheckpointInfo)> {
    let (core, info) = load_core(dir, CVAE_KIND)?;
    Ok((Cvae::from_core(core)?, info))
}

fn save_core(
    core: &VaeCore,
    kind: &str,
    training: Option<&VaeTrainingRecord>,
    dtype: WeightsDtype,
    dir: &Path,
) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|source| Error::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let target = match dtype {
        WeightsDtype::F32 => DType::F32,
        WeightsDtype::F16 => DType::F16,
    };
    let tensors: HashMap<String, Tensor> = core
        .named_vars()
        .into_iter()
        .map(|(name, var)| Ok((name, var.as_tensor().to_dtype(target)?)))
        .collect::<candle_core::Result<_>>()?;
    write_tensors(&dir.join(WEIGHTS_FILE), &tensors)?;
    let info = VaeCheckpointInfo {
        kind: kind.into(),
        model: core.config.clone(),
        weights_dtype: dtype,
        training: training.cloned(),
    };
    write_config(&dir.join(CONFIG_FILE), &info)
}

fn load_core(dir: &Path, kind: &str) -> Result<(VaeCore, VaeCheckpointInfo)> {
    let config_path = dir.join(CONFIG_FILE);
    let bad = |path: &Path, reason: String| Error::Checkpoint {
        path: path.to_path_buf(),
        reason,
    };
    let text = mace_core::fs::read_text(&config_path, crate::checkpoint::CONFIG_LIMIT)
        .map_err(|e| bad(&config_path, e.to_string()))?;
    let info: VaeCheckpointInfo =
        serde_json::from_str(&text).map_err(|e| bad(&config_path, format!("invalid JSON: {e}")))?;
    if info.kind != kind {
        return Err(bad(
            &config_path,
            format!("kind is {:?}, expected {kind:?}", info.kind),
        ));
    }
    info.model
        .validate()
        .map_err(|e| bad(&config_path, e.to_string()))?;
    let weights = dir.join(WEIGHTS_FILE);
    if !weights.is_file() {
        return Err(bad(&weights, "file not found".into()));
    }
    let mut stored = candle_core::safetensors::load(&weights, &Device::Cpu)
        .map_err(|e| bad(&weights, e.to_string()))?;
    let core = VaeCore::with_varmap(info.model.clone(), VarMap::new())?;
    for (name, var) in core.named_vars() {
        let t = stored
            .remove(&name)
            .ok_or_else(|| bad(&weights, format!("tensor `{name}` is missing")))?;
        if t.dims() != var.dims() {
            return Err(bad(
                &weights,
                format!(
                    "tensor `{name}` has shape {:?}, the config needs {:?}",
                    t.dims(),
                    var.dims()
                ),
            ));
        }
        let t = t.to_dtype(DType::F32)?;
        crate::checkpoint::check_weights(&name, &t.flatten_all()?.to_vec1::<f32>()?)
            .map_err(|r| bad(&weights, r))?;
        var.set(&t)?;
    }
    if let Some(name) = stored.keys().min() {
        return Err(bad(
            &weights,
            format!("unexpected tensor `{name}` (the config does not use it)"),
        ));
    }
    Ok((core, info))
}
