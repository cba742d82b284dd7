//! The IK prior: loading a trained one (the shipped Panda prior by default), and training one
//! on a dataset of configurations with the recipe the shipped prior was made with.
//!
//! A position prior conditions on the tool's position (3 numbers); a pose prior
//! ([`IkTrainConfig::pose`], [`load_pose_prior`]) on its position and orientation (9 numbers,
//! [`mace_models::features::pose_context`]). Each loader refuses the other kind.

use std::path::{Path, PathBuf};
use std::time::Instant;

use mace_models::checkpoint::{load_ar_gmm, CheckpointInfo};
use mace_models::fast::ArGmmSampler;
use mace_models::features::{pose_context, ChainFeatures, JointFrame, ToolFrame, POSE_CONTEXT_DIM};
use mace_models::train::{train_ar_gmm, EpochStats, TrainConfig, TrainingRecord};
use mace_models::{ArGmm, ArGmmConfig};
use mace_robot::math::Pose;
use mace_robot::{Dataset, JointKind, KinematicChain, Robot, RobotStamp};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{fail, Context, Error, Result};

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

impl IkPrior {
    /// Whether it is a pose prior (conditioned on the tool's position and orientation, a
    /// 9-number context) rather than a position prior (3 numbers).
    pub fn is_pose(&self) -> bool {
        self.model.config().context_dim == POSE_CONTEXT_DIM
    }
}

/// The folder of `robot`'s shipped prior, relative to the repository root.
pub fn shipped_prior(robot: &Robot) -> String {
    format!("assets/priors/{}-ik", robot.name)
}

/// The folder of `robot`'s shipped pose prior, relative to the repository root.
pub fn shipped_pose_prior(robot: &Robot) -> String {
    format!("assets/priors/{}-ik-pose", robot.name)
}

/// Loads the position prior in `dir` (`None` = `robot`'s shipped prior) and prepares its
/// sampler.
///
/// # Errors
/// If the folder holds no IK prior (for a robot without a shipped prior: how to train one), a
/// pose prior, or a prior made for another robot: another kinematics fingerprint, other
/// joints, or (for a prior without a record) other joint names or limits.
pub fn load_prior(dir: Option<&Path>, robot: &Robot) -> Result<IkPrior> {
    load_kind(dir, robot, false)
}

/// Loads the pose prior in `dir` (`None` = `robot`'s shipped pose prior,
/// [`shipped_pose_prior`]) and prepares its sampler.
///
/// # Errors
/// As [`load_prior`], and if the folder holds a position prior.
pub fn load_pose_prior(dir: Option<&Path>, robot: &Robot) -> Result<IkPrior> {
    load_kind(dir, robot, true)
}

fn load_kind(dir: Option<&Path>, robot: &Robot, pose: bool) -> Result<IkPrior> {
    let start = Instant::now();
    let shipped = if pose {
        shipped_pose_prior(robot)
    } else {
        shipped_prior(robot)
    };
    let dir = crate::assets::resolve(dir, &shipped);
    let config = dir.join(mace_models::checkpoint::CONFIG_FILE);
    let (kind, flag) = if pose {
        ("IK pose prior", " --pose")
    } else {
        ("IK prior", "")
    };
    if !dir.exists() {
        fail!(
            "no {kind} for robot `{}`: {} does not exist (train one: `mace ik train{flag} \
             --robot {} --out DIR`, then pass --prior DIR)",
            robot.name,
            config.display(),
            robot.source.trim_start_matches("built-in ")
        );
    }
    let (model, info) =
        load_ar_gmm(&dir).with_context(|| format!("loading the {kind} from {}", dir.display()))?;
    let context = model.config().context_dim;
    if pose && context != POSE_CONTEXT_DIM {
        fail!(
            "{} holds a prior conditioned on the tool position only ({context} context values), \
             not a pose prior (train one with `mace ik train --pose`)",
            dir.display()
        );
    }
    if !pose && context != 3 {
        fail!(
            "{} holds a pose prior ({context} context values: position and orientation), not a \
             position prior: load it as a pose prior",
            dir.display()
        );
    }
    check_made_for(model.config(), robot, &dir)?;
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

/// An error unless the model `config` was made for `robot` (its record, or for a prior without
/// one, the same joint names and limits).
fn check_made_for(config: &ArGmmConfig, robot: &Robot, dir: &Path) -> Result<()> {
    let what = format!("the IK prior in {}", dir.display());
    if let Some(v) = &config.made_for {
        let stamp: RobotStamp = serde_json::from_value(v.clone()).map_err(|e| Error::BadFile {
            path: dir.join(mace_models::checkpoint::CONFIG_FILE),
            reason: format!("`model.made_for` is not a robot record: {e}"),
        })?;
        return Ok(robot.check_stamp(&stamp, &what)?);
    }
    let chain = &robot.chain;
    let names: Vec<String> = chain.joints().iter().map(|j| j.name.clone()).collect();
    let limits_match = config.lower.len() == names.len()
        && config
            .lower
            .iter()
            .zip(&config.upper)
            .zip(chain.joints())
            .all(|((lo, hi), j)| (lo - j.lower).abs() < 1e-4 && (hi - j.upper).abs() < 1e-4);
    if config.names != names || !limits_match {
        fail!(
            "{what} models joints {:?}, robot `{}` has {:?} (with other limits, or another \
             robot): use the robot's own prior",
            config.names,
            robot.name,
            names
        );
    }
    Ok(())
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
    let distance = distance_from_first_joint(chain, target);
    if distance > radius {
        fail!(
            "target {target:?} is unreachable: {distance:.3} m from the first joint at {centre:?}, \
             the arm reaches at most {radius:.3} m"
        );
    }
    Ok(())
}

/// Whether `target` (metres, base frame) lies within the arm's reach (the sphere around its
/// first joint), as [`check_reachable`] decides.
pub fn within_reach(chain: &KinematicChain, target: [f32; 3]) -> bool {
    distance_from_first_joint(chain, target) <= chain.reach_sphere().1
}

fn distance_from_first_joint(chain: &KinematicChain, target: [f32; 3]) -> f32 {
    let (centre, _) = chain.reach_sphere();
    (0..3)
        .map(|i| (target[i] - centre[i]).powi(2))
        .sum::<f32>()
        .sqrt()
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
    /// Condition on the tool's pose (position and the first two columns of its rotation, from
    /// forward kinematics of the data) instead of its position only.
    #[serde(default)]
    pub pose: bool,
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
            pose: false,
            heldout: 0.02,
            seed: 0,
        }
    }
}

impl IkTrainConfig {
    /// The training half of the recipe as the model crate takes it.
    pub fn train_config(&self) -> TrainConfig {
        TrainConfig {
            epochs: self.epochs,
            batch_size: self.batch,
            lr: self.lr,
            heldout_fraction: self.heldout,
            seed: self.seed,
            ..TrainConfig::default()
        }
    }

    /// Checks every setting before any work: counts at least 1, learning rate positive,
    /// held-out fraction strictly between 0 and 1, layers and components within the model's
    /// limits.
    ///
    /// # Errors
    /// [`Error::Invalid`] naming the command-line flag and its value.
    pub fn validate(&self) -> Result<()> {
        let invalid = |field, value: String, reason: &str| {
            Err(Error::Invalid {
                field,
                value,
                reason: reason.into(),
            })
        };
        if self.epochs == 0 {
            return invalid("--epochs", "0".into(), "must be at least 1");
        }
        if self.batch == 0 {
            return invalid("--batch", "0".into(), "must be at least 1");
        }
        if !(self.lr.is_finite() && self.lr > 0.0 && self.lr <= 10.0) {
            return invalid("--lr", self.lr.to_string(), "must be positive, at most 10");
        }
        if !(self.heldout > 0.0 && self.heldout < 1.0) {
            return invalid(
                "--heldout",
                self.heldout.to_string(),
                "must be strictly between 0 and 1",
            );
        }
        let max_width = mace_models::MAX_WIDTH;
        if self.hidden.is_empty()
            || self.hidden.len() > mace_models::MAX_LAYERS
            || self.hidden.iter().any(|&w| w == 0 || w > max_width)
        {
            return invalid(
                "--hidden",
                format!("{:?}", self.hidden),
                "must be 1 to 8 layers of 1 to 4096 units",
            );
        }
        if self.components == 0 || self.components > mace_models::fast::MAX_COMPONENTS {
            return invalid(
                "--components",
                self.components.to_string(),
                "must be between 1 and 64",
            );
        }
        if !(self.min_std.is_finite() && self.min_std > 0.0) {
            return invalid("--min-std", self.min_std.to_string(), "must be positive");
        }
        Ok(())
    }
}

/// The kinematic features of `chain` in the model's terms (with `pose`, those of a pose
/// prior: the tool's frame in the last joint's).
fn chain_features(chain: &KinematicChain, pose: bool) -> Result<ChainFeatures> {
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
        pose: if pose { Some(tool_frame(chain)?) } else { None },
    })
}

/// The tool's frame (the chain's tip) in the last movable joint's moving frame: the fixed
/// links between them composed.
///
/// # Errors
/// If no movable joint lies between the base and the tip.
pub fn tool_frame(chain: &KinematicChain) -> Result<ToolFrame> {
    let links = chain.links();
    let mut offset = Pose::IDENTITY;
    let mut link = chain.tip();
    while links[link].kind == JointKind::Fixed {
        offset = links[link].origin.mul(&offset);
        match links[link].parent {
            Some(parent) => link = parent,
            None => fail!("the chain has no movable joint between its base and its tip"),
        }
    }
    Ok(ToolFrame {
        rotation: offset.rot,
        translation: offset.trans,
    })
}

/// The tool pose of one configuration `q`: its tip link's frame, base frame (`poses`: scratch
/// of one pose per link).
pub fn tool_pose(chain: &KinematicChain, q: &[f32], poses: &mut [Pose]) -> Pose {
    chain.link_poses_into(q, poses);
    poses[chain.tip()]
}

/// The pose contexts of configurations `q` (row-major `(n, dof)`): `(n, 9)` row-major, each
/// the tip's position and the first two columns of its rotation ([`pose_context`]).
///
/// # Errors
/// If `q` is not a whole number of finite configurations.
pub fn pose_contexts(chain: &KinematicChain, q: &[f32]) -> Result<Vec<f32>> {
    const CHUNK: usize = 512;
    let n = mace_robot::fk::validate_batch(chain, q, "pose_contexts")?;
    let dof = chain.dof().max(1);
    let mut out = vec![0.0f32; n * POSE_CONTEXT_DIM];
    out.par_chunks_mut(CHUNK * POSE_CONTEXT_DIM)
        .zip(q.par_chunks(CHUNK * dof))
        .for_each(|(o, qc)| {
            let mut poses = vec![Pose::IDENTITY; chain.links().len()];
            for (row, qq) in o
                .chunks_exact_mut(POSE_CONTEXT_DIM)
                .zip(qc.chunks_exact(dof))
            {
                let tool = tool_pose(chain, qq, &mut poses);
                row.copy_from_slice(&pose_context(tool.trans, &tool.rot));
            }
        });
    Ok(out)
}

/// Per-dimension mean and standard deviation of `(N, c)` rows.
fn context_stats(rows: &[f32], c: usize) -> (Vec<f32>, Vec<f32>) {
    let n = (rows.len() / c).max(1) as f64;
    let mean: Vec<f64> = (0..c)
        .map(|d| {
            rows.iter()
                .skip(d)
                .step_by(c)
                .map(|v| *v as f64)
                .sum::<f64>()
                / n
        })
        .collect();
    let std = (0..c)
        .map(|d| {
            (rows
                .iter()
                .skip(d)
                .step_by(c)
                .map(|v| (*v as f64 - mean[d]).powi(2))
                .sum::<f64>()
                / n)
                .sqrt()
                .max(1e-6) as f32
        })
        .collect();
    (mean.into_iter().map(|m| m as f32).collect(), std)
}

/// The contexts a prior trained by `config` reads for `data`: the TCP positions, or with
/// [`IkTrainConfig::pose`] the pose contexts of the configurations (forward kinematics).
///
/// # Errors
/// Forward-kinematics errors (non-finite values in the data).
pub fn training_contexts(
    robot: &Robot,
    data: &Dataset,
    config: &IkTrainConfig,
) -> Result<Vec<f32>> {
    if config.pose {
        pose_contexts(&robot.chain, &data.q)
    } else {
        Ok(data.tcp.clone())
    }
}

/// A fresh, untrained prior for `robot` sized by `config`, normalised to `data`'s targets; it
/// records the robot it is for.
///
/// # Errors
/// If the dataset was made for another robot (another kinematics fingerprint, other joints),
/// or the chain is not serial (with features).
pub fn new_prior(robot: &Robot, data: &Dataset, config: &IkTrainConfig) -> Result<ArGmm> {
    config.validate()?;
    let chain = &robot.chain;
    let names: Vec<String> = chain.joints().iter().map(|j| j.name.clone()).collect();
    let hash = chain.kinematics_hash();
    let mismatch = data.dof != chain.dof()
        || data.kinematics.as_ref().is_some_and(|k| *k != hash)
        || (!data.joint_names.is_empty() && data.joint_names != names);
    if mismatch {
        fail!(
            "the dataset was made for another robot ({} joints {:?}, kinematics {}), not for \
             `{}` ({} joints, kinematics {hash}): make one with `mace ik dataset --robot …`",
            data.dof,
            data.joint_names,
            data.kinematics.as_deref().unwrap_or("unrecorded"),
            robot.name,
            chain.dof()
        );
    }
    let context_dim = if config.pose { POSE_CONTEXT_DIM } else { 3 };
    let (mean, std) = if config.pose {
        // Statistics of a subset: 2 M forward kinematics for 9 means would be waste.
        let step = (data.len() / 100_000).max(1);
        let q: Vec<f32> = data
            .q
            .chunks_exact(data.dof.max(1))
            .step_by(step)
            .flatten()
            .copied()
            .collect();
        context_stats(&pose_contexts(chain, &q)?, context_dim)
    } else {
        context_stats(&data.tcp, 3)
    };
    let model_config = ArGmmConfig {
        names: chain.joints().iter().map(|j| j.name.clone()).collect(),
        lower: chain.lower(),
        upper: chain.upper(),
        context_dim,
        context_mean: mean,
        context_std: std,
        hidden: config.hidden.clone(),
        components: config.components,
        min_std: config.min_std,
        range_slack: 1.1,
        chain: if config.features {
            Some(chain_features(chain, config.pose)?)
        } else {
            None
        },
        made_for: Some(
            serde_json::to_value(robot.stamp())
                .map_err(|e| Error::Failed(format!("recording the robot in the prior: {e}")))?,
        ),
    };
    Ok(ArGmm::new(model_config, config.seed)?)
}

/// Trains `model` (from [`new_prior`]) on `data` of `robot`; `on_epoch(stats, improved)` runs
/// after each epoch (e.g. to save a checkpoint at each improvement).
///
/// # Errors
/// From training, or from `on_epoch`; if `model` is not of the kind `config` trains (position
/// or pose).
pub fn train_prior(
    model: &ArGmm,
    robot: &Robot,
    data: &Dataset,
    data_name: &str,
    config: &IkTrainConfig,
    on_epoch: &mut dyn FnMut(&EpochStats, bool) -> mace_models::Result<()>,
) -> Result<TrainingRecord> {
    config.validate()?;
    let expected = if config.pose { POSE_CONTEXT_DIM } else { 3 };
    if model.config().context_dim != expected {
        fail!(
            "the model reads {} context values, training with pose = {} makes {expected}",
            model.config().context_dim,
            config.pose
        );
    }
    let contexts = training_contexts(robot, data, config)?;
    Ok(train_ar_gmm(
        model,
        &data.q,
        &contexts,
        &config.train_config(),
        data_name,
        on_epoch,
    )?)
}
