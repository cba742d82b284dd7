//! The IK prior: loading a trained one (the shipped Panda prior by default), and training one
//! on a dataset of configurations with the recipe the shipped prior was made with.

use std::path::{Path, PathBuf};
use std::time::Instant;

use mace_models::checkpoint::{load_ar_gmm, CheckpointInfo};
use mace_models::fast::ArGmmSampler;
use mace_models::features::{ChainFeatures, JointFrame};
use mace_models::train::{train_ar_gmm, EpochStats, TrainConfig, TrainingRecord};
use mace_models::{ArGmm, ArGmmConfig};
use mace_robot::{Dataset, KinematicChain};
use serde::{Deserialize, Serialize};

use crate::error::{fail, Context, Result};

/// A loaded IK prior ready to sample (and to tune), and what loading it cost.
#[derive(Debug)]
pub struct IkPrior {
    /// The network (autograd path; tuning copies it).
    pub model: ArGmm,
    /// The gradient-free sampler of the same weights.
    pub sampler: ArGmmSampler,
    /// The checkpoint's `config.json`.
    pub info: CheckpointInfo,
    /// The folder it was loaded from.
    pub dir: PathBuf,
    /// Reading the checkpoint and preparing the sampler, seconds.
    pub load_seconds: f64,
}

/// Loads the prior in `dir` (`None` = the shipped Panda prior) for `chain` and prepares its
/// sampler.
///
/// # Errors
/// If the folder holds no IK prior, or one for a different number of joints.
pub fn load_prior(dir: Option<&Path>, chain: &KinematicChain) -> Result<IkPrior> {
    let start = Instant::now();
    let dir = crate::assets::resolve(dir, crate::assets::PANDA_IK_PRIOR);
    let (model, info) = load_ar_gmm(&dir)
        .with_context(|| format!("loading the IK prior from {}", dir.display()))?;
    if model.config().dim() != chain.dof() {
        fail!(
            "{}: the prior models {} joints, the robot has {}",
            dir.display(),
            model.config().dim(),
            chain.dof()
        );
    }
    let sampler = ArGmmSampler::new(&model)
        .with_context(|| format!("preparing the sampler of {}", dir.display()))?;
    Ok(IkPrior {
        model,
        sampler,
        info,
        dir,
        load_seconds: start.elapsed().as_secs_f64(),
    })
}

/// Checks a target: three finite numbers (metres, base frame).
///
/// # Errors
/// If there are not three values or one is not finite.
pub fn parse_target(values: &[f32]) -> Result<[f32; 3]> {
    match values {
        [x, y, z] if values.iter().all(|v| v.is_finite()) => Ok([*x, *y, *z]),
        [_, _, _] => fail!("target {values:?} is not finite"),
        _ => fail!("target needs three values X Y Z, got {}", values.len()),
    }
}

/// An error if `target` lies beyond the arm's reach (the sphere around its first joint).
///
/// # Errors
/// Naming the distance and the reach.
pub fn check_reachable(chain: &KinematicChain, target: [f32; 3]) -> Result<()> {
    let (centre, radius) = chain.reach_sphere();
    let distance = (0..3)
        .map(|i| (target[i] - centre[i]).powi(2))
        .sum::<f32>()
        .sqrt();
    if distance > radius {
        fail!(
            "target {target:?} is unreachable: {distance:.3} m from the first joint at {centre:?}, \
             the arm reaches at most {radius:.3} m"
        );
    }
    Ok(())
}

/// How an IK prior is trained (`mace ik train`); defaults are the shipped prior's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IkTrainConfig {
    /// Passes over the training split.
    pub epochs: usize,
    /// Mini-batch size.
    pub batch: usize,
    /// Initial Adam learning rate (cosine decay to 5% of it).
    pub lr: f64,
    /// Hidden layer widths of each joint's network.
    pub hidden: Vec<usize>,
    /// Mixture components per joint.
    pub components: usize,
    /// Floor of the mixture standard deviations, rad.
    pub min_std: f32,
    /// Feed each joint's network the target as seen from that joint's frame (ours; the paper
    /// conditions on the base-frame target only).
    pub features: bool,
    /// Fraction of the data held out.
    pub heldout: f64,
    /// Seed of initialisation, split and shuffles.
    pub seed: u64,
}

impl Default for IkTrainConfig {
    fn default() -> Self {
        IkTrainConfig {
            epochs: 12,
            batch: 1024,
            lr: 1e-3,
            hidden: vec![128, 128],
            components: 10,
            min_std: 0.0025,
            features: true,
            heldout: 0.02,
            seed: 0,
        }
    }
}

/// The kinematic features of `chain` in the model's terms.
fn chain_features(chain: &KinematicChain) -> Result<ChainFeatures> {
    let Some(joints) = chain.serial_joints() else {
        fail!("the robot is not a serial chain: kinematic features need one (use --no-features)");
    };
    Ok(ChainFeatures {
        joints: joints
            .iter()
            .map(|j| JointFrame {
                rotation: j.origin.rot,
                translation: j.origin.trans,
                axis: j.axis,
                prismatic: j.prismatic,
            })
            .collect(),
    })
}

/// Per-dimension mean and standard deviation of `(N, 3)` rows.
fn context_stats(rows: &[f32]) -> (Vec<f32>, Vec<f32>) {
    let n = (rows.len() / 3).max(1) as f64;
    let mean: Vec<f64> = (0..3)
        .map(|d| {
            rows.iter()
                .skip(d)
                .step_by(3)
                .map(|v| *v as f64)
                .sum::<f64>()
                / n
        })
        .collect();
    let std = (0..3)
        .map(|d| {
            (rows
                .iter()
                .skip(d)
                .step_by(3)
                .map(|v| (*v as f64 - mean[d]).powi(2))
                .sum::<f64>()
                / n)
                .sqrt()
                .max(1e-6) as f32
        })
        .collect();
    (mean.into_iter().map(|m| m as f32).collect(), std)
}

/// A fresh, untrained prior for `chain` sized by `config`, normalised to `data`'s targets.
///
/// # Errors
/// If the dataset is of another number of joints, or the chain is not serial (with features).
pub fn new_prior(chain: &KinematicChain, data: &Dataset, config: &IkTrainConfig) -> Result<ArGmm> {
    if data.dof != chain.dof() {
        fail!(
            "the dataset's configurations have {} joints, the robot has {}",
            data.dof,
            chain.dof()
        );
    }
    let (mean, std) = context_stats(&data.tcp);
    let model_config = ArGmmConfig {
        names: chain.joints().iter().map(|j| j.name.clone()).collect(),
        lower: chain.lower(),
        upper: chain.upper(),
        context_dim: 3,
        context_mean: mean,
        context_std: std,
        hidden: config.hidden.clone(),
        components: config.components,
        min_std: config.min_std,
        range_slack: 1.1,
        chain: if config.features {
            Some(chain_features(chain)?)
        } else {
            None
        },
    };
    Ok(ArGmm::new(model_config, config.seed)?)
}

/// Trains `model` (from [`new_prior`]) on `data`; `on_epoch(stats, improved)` runs after each
/// epoch (e.g. to save a checkpoint at each improvement).
///
/// # Errors
/// From training, or from `on_epoch`.
pub fn train_prior(
    model: &ArGmm,
    data: &Dataset,
    data_name: &str,
    config: &IkTrainConfig,
    on_epoch: &mut dyn FnMut(&EpochStats, bool) -> mace_models::Result<()>,
) -> Result<TrainingRecord> {
    let tc = TrainConfig {
        epochs: config.epochs,
        batch_size: config.batch,
        lr: config.lr,
        heldout_fraction: config.heldout,
        seed: config.seed,
        ..TrainConfig::default()
    };
    Ok(train_ar_gmm(
        model, &data.q, &data.tcp, &tc, data_name, on_epoch,
    )?)
}
