//! Argument groups shared by several commands (flattened into each): the tuning knobs, the IK
//! tuning scope, where shapes come from, the depth camera and the completion score.

use std::path::PathBuf;

use clap::Args;
use mace_lab::ik::recipe::{LOGIT_LR_SCALE, MARGIN_PENALTY};
use mace_lab::ik::TuneScope;
use mace_lab::shapes::source::SHAPENET_AIRPLANES;
use mace_lab::shapes::ShapeSource;
use mace_lab::TuneOverrides;
use mace_shapes::{CompletionScoreConfig, DepthCamera, DepthCameraConfig};

/// Tuning knobs; each overrides the command's preset (for IK `TuneConfig::panda_ik_fast`; the
/// paper's are `--iterations 512 --sample-size 8192 --quantile 0.00390625 --lr 1e-4
/// --grad-steps 4`).
#[derive(Debug, Clone, Args)]
pub(crate) struct TuneKnobs {
    /// Optimiser steps.
    #[arg(long, value_parser = crate::limits::steps())]
    iterations: Option<usize>,
    /// Samples drawn per resampling.
    #[arg(long, value_parser = crate::limits::samples())]
    sample_size: Option<usize>,
    /// Mini-batch taken from each sample (default: the whole sample).
    #[arg(long, value_parser = crate::limits::samples())]
    bsz: Option<usize>,
    /// Elite quantile in (0, 1].
    #[arg(long, allow_negative_numbers = true)]
    quantile: Option<f64>,
    /// Adam learning rate.
    #[arg(long, allow_negative_numbers = true)]
    lr: Option<f64>,
    /// Steps per fresh sample.
    #[arg(long, value_parser = crate::limits::steps())]
    grad_steps: Option<usize>,
    /// Wall-clock budget, seconds.
    #[arg(long, allow_negative_numbers = true)]
    time_budget: Option<f64>,
    /// Stop once a fresh sample's mean score reaches this value in (0, 1]; `0` turns the
    /// preset's early stop off.
    #[arg(long, allow_negative_numbers = true)]
    stop_at_score: Option<f32>,
    /// Size of the first (warm-start) sample.
    #[arg(long, value_parser = crate::limits::samples())]
    first_sample_size: Option<usize>,
    /// Size of the first sample when good samples are scarce: if fewer samples than the elite
    /// count score above zero, it is topped up to N (`0` = off; `TuneConfig::first_sample_max`).
    #[arg(long, value_name = "N", value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(0..=crate::limits::MAX_SAMPLES))]
    first_sample_max: Option<usize>,
    /// Elite window in (0, 1]: an elite must also score at least this fraction of the batch's
    /// best score (see `TuneConfig::elite_min_ratio`); `0` turns the window off.
    #[arg(long, value_name = "R", allow_negative_numbers = true)]
    elite_min_ratio: Option<f32>,
    /// Restore, at the end, the parameters whose fresh sample scored best (`true`/`false`).
    #[arg(long, value_name = "BOOL")]
    keep_best: Option<bool>,
}

impl TuneKnobs {
    /// The knobs as overrides of a preset.
    pub(crate) fn overrides(&self) -> TuneOverrides {
        TuneOverrides {
            iterations: self.iterations,
            sample_size: self.sample_size,
            bsz: self.bsz,
            quantile: self.quantile,
            lr: self.lr,
            grad_steps: self.grad_steps,
            time_budget: self.time_budget,
            stop_at_score: self.stop_at_score,
            first_sample_size: self.first_sample_size,
            first_sample_max: self.first_sample_max,
            elite_min_ratio: self.elite_min_ratio,
            keep_best: self.keep_best,
        }
    }

    /// `preset` with these knobs and `seed`.
    pub(crate) fn apply(&self, preset: mace_core::TuneConfig, seed: u64) -> mace_core::TuneConfig {
        self.overrides().apply(preset, seed)
    }
}

/// How IK tuning sees the problem beyond the tuner's knobs (`ik tune`, `ik solve --method mace`,
/// the IK benches).
#[derive(Debug, Clone, Args)]
pub(crate) struct IkScopeArgs {
    /// Tune only the networks of the first N joints (default: all).
    #[arg(long, value_name = "N")]
    tuned_joints: Option<usize>,
    /// Score samples during tuning in the scene with its boxes grown by M metres on each side
    /// (evaluation always uses the true scene): keeps the posterior's mass off the contact
    /// boundary. Default: 0.01 for `ik tune` and `bench ik-table1` (see docs/BENCHMARKS.md),
    /// 0 for `ik solve --method mace` and `bench ik-table2`.
    #[arg(long, value_name = "M", allow_negative_numbers = true)]
    tune_margin: Option<f32>,
    /// The margin is soft: a free sample within it scores as if its TCP were P metres further
    /// from the target (see `mace_robot::ik_evidence_with_margin`).
    #[arg(long, value_name = "P", default_value_t = MARGIN_PENALTY, allow_negative_numbers = true)]
    margin_penalty: f32,
    /// A hard margin instead: a free sample within it scores 0, like a collision.
    #[arg(long)]
    hard_margin: bool,
    /// Tuning moves the prior's mixture logits at S × the learning rate (means and widths at
    /// the learning rate), so that the mixture components the elites do not use lose their
    /// weight quickly (see `ConditionedArGmm::with_logit_lr_scale`); `1`: all alike.
    #[arg(long, value_name = "S", default_value_t = LOGIT_LR_SCALE, allow_negative_numbers = true)]
    logit_lr_scale: f32,
}

impl IkScopeArgs {
    /// The scope these options ask for; `default_margin` applies without `--tune-margin`.
    pub(crate) fn scope(&self, default_margin: f32) -> mace_lab::Result<TuneScope> {
        TuneScope::new(
            self.tuned_joints,
            self.tune_margin.unwrap_or(default_margin),
            self.margin_penalty,
            self.hard_margin,
            self.logit_lr_scale,
        )
    }
}

/// Where shapes come from.
#[derive(Debug, Clone, Args)]
pub(crate) struct ShapeSourceArgs {
    /// A ShapeNet point-cloud folder (one sub-folder per synset, airplane = 02691156, one
    /// 2048-point PLY per object, split 85/5/10 in listing order). Default: the procedural
    /// airplane family.
    #[arg(long, value_name = "ROOT")]
    shapenet: Option<PathBuf>,
    /// Size of the procedural set (split 85/5/10 in index order like ShapeNet's listing;
    /// at most 100,000).
    #[arg(long, default_value_t = SHAPENET_AIRPLANES, value_parser = crate::limits::count(100_000))]
    shapes: usize,
    /// Seed of the procedural set (shape i depends only on this seed and i).
    #[arg(long, default_value_t = 0)]
    data_seed: u64,
    /// Roll every shape about its fuselage axis (z) by its own random angle, uniform in
    /// [−DEG, DEG], seeded by --data-seed (the reference set-up: 45). Default 0, or the
    /// command's set-up.
    #[arg(long, value_name = "DEG", allow_negative_numbers = true)]
    roll: Option<f32>,
}

impl ShapeSourceArgs {
    /// The source; `default_roll` when `--roll` is not given.
    pub(crate) fn source_with_roll(&self, default_roll: f32) -> ShapeSource {
        ShapeSource {
            shapenet: self.shapenet.clone(),
            shapes: self.shapes,
            data_seed: self.data_seed,
            roll_deg: self.roll.unwrap_or(default_roll),
        }
    }

    /// The source (no roll unless `--roll` is given).
    pub(crate) fn source(&self) -> ShapeSource {
        self.source_with_roll(0.0)
    }
}

/// The depth camera's intrinsics and distance (the pose's angles are given per view).
#[derive(Debug, Clone, Args)]
pub(crate) struct CameraArgs {
    /// Camera distance from the object's centre (cloud units; clouds lie within 0.5).
    #[arg(long, default_value_t = 2.0, allow_negative_numbers = true)]
    distance: f32,
    /// Full field of view, degrees.
    #[arg(long, default_value_t = 30.0, allow_negative_numbers = true)]
    fov: f32,
    /// Image side, pixels.
    #[arg(long, default_value_t = 64)]
    resolution: usize,
    /// Half-size of a splatted point's footprint, pixels.
    #[arg(long, default_value_t = 1)]
    splat_radius: usize,
    /// Depth tolerance of visibility (cloud units).
    #[arg(long, default_value_t = 0.05, allow_negative_numbers = true)]
    depth_epsilon: f32,
}

impl CameraArgs {
    /// The camera at azimuth `az`, elevation `el` (degrees).
    /// The intrinsics and distance (angles at their defaults, to be replaced).
    pub(crate) fn intrinsics(&self) -> DepthCameraConfig {
        DepthCameraConfig {
            distance: self.distance,
            fov_deg: self.fov,
            resolution: self.resolution,
            splat_radius: self.splat_radius,
            depth_epsilon: self.depth_epsilon,
            ..DepthCameraConfig::default()
        }
    }

    pub(crate) fn camera(&self, [az, el]: [f32; 2]) -> anyhow::Result<DepthCamera> {
        use anyhow::Context;
        DepthCamera::new(&DepthCameraConfig {
            azimuth_deg: az,
            elevation_deg: el,
            ..self.intrinsics()
        })
        .with_context(|| format!("camera at azimuth {az}°, elevation {el}°"))
    }
}

/// The completion score's settings.
#[derive(Debug, Clone, Args)]
pub(crate) struct ScoreArgs {
    /// Score scale (squared cloud units): S = exp(−d / scale).
    #[arg(long, default_value_t = CompletionScoreConfig::default().scale, allow_negative_numbers = true)]
    scale: f32,
    /// Weight of the reverse Chamfer term (simulated view → observation); 0 = one-sided.
    #[arg(long, default_value_t = CompletionScoreConfig::default().reverse_weight, allow_negative_numbers = true)]
    reverse_weight: f32,
}

impl ScoreArgs {
    /// The score's settings.
    pub(crate) fn config(&self) -> CompletionScoreConfig {
        CompletionScoreConfig {
            scale: self.scale,
            reverse_weight: self.reverse_weight,
        }
    }
}

/// Which robot: a shipped one, a URDF, or a robot file (see `mace_robot::robot`).
#[derive(Debug, Clone, Args)]
pub(crate) struct RobotArgs {
    /// The robot: a shipped one (panda, iiwa14, xarm6), a URDF file (base = its root link, tip =
    /// the end of its longest chain) or a robot .toml file (urdf, base, tip, tcp, srdf,
    /// ignore_pairs, package_paths, held_joints, name).
    #[arg(long, value_name = "NAME|FILE", default_value = "panda")]
    pub(crate) robot: String,
    /// Another folder to find `package://` meshes in (repeatable; the URDF's folder, its
    /// ancestors and ROS_PACKAGE_PATH are searched too).
    #[arg(long, value_name = "DIR")]
    pub(crate) package_path: Vec<PathBuf>,
}

impl RobotArgs {
    /// The robot these options name.
    pub(crate) fn load(&self) -> anyhow::Result<mace_robot::Robot> {
        let robot = mace_robot::Robot::load(&self.robot, &self.package_path)?;
        let ignored = robot.chain.ignored_meshes();
        if !ignored.is_empty() {
            eprintln!(
                "warning: robot {}: {} collision mesh(es) not read, those parts do not collide \
                 (`mace ik robot` lists them): {}",
                robot.name,
                ignored.len(),
                ignored.join("; ")
            );
        }
        Ok(robot)
    }
}

/// Where a command's JSON goes: `--json` alone prints it to stdout, `--json OUT` writes the
/// file `OUT` (`-` = stdout).
#[derive(Debug, Clone, Args)]
pub(crate) struct JsonArg {
    /// Print JSON to stdout (`--json`) or write it to a file (`--json OUT`).
    #[arg(long, value_name = "OUT", num_args = 0..=1, default_missing_value = "-")]
    pub(crate) json: Option<PathBuf>,
}

/// The orientation of a pose target and the tolerances of an answer.
#[derive(Debug, Args)]
pub(crate) struct PoseArgs {
    /// Tool orientation as a unit quaternion QX QY QZ QW (base frame; default: the scene's
    /// `target_orientation`, else position only).
    #[arg(long, value_names = ["QX", "QY", "QZ", "QW"], num_args = 1..=4, value_delimiter = ',', allow_negative_numbers = true)]
    pub(crate) orientation: Option<Vec<f64>>,
    /// Tool orientation as roll, pitch, yaw in rad (URDF convention Rz·Ry·Rx).
    #[arg(long, value_names = ["R", "P", "Y"], num_args = 1..=3, value_delimiter = ',', allow_negative_numbers = true)]
    pub(crate) rpy: Option<Vec<f64>>,
    /// The orientation is free about this tool axis (`x`, `y` or `z`: a symmetric gripper
    /// spinning about its approach axis).
    #[arg(long, value_name = "AXIS")]
    pub(crate) free_axis: Option<String>,
    /// Position tolerance of an answer, metres.
    #[arg(
        long,
        value_name = "M",
        default_value_t = 1e-4,
        allow_negative_numbers = true
    )]
    pub(crate) pos_tol: f32,
    /// Rotation tolerance of an answer, degrees (pose targets).
    #[arg(
        long,
        value_name = "DEG",
        default_value_t = 0.1,
        allow_negative_numbers = true
    )]
    pub(crate) rot_tol: f32,
}

impl PoseArgs {
    /// The target at `position` (the scene's orientation, if any, when none is given).
    pub(crate) fn target(
        &self,
        position: [f32; 3],
        scene: &mace_robot::Scene,
    ) -> anyhow::Result<mace_robot::IkTarget> {
        mace_lab::ik::pose::check_tolerances(self.pos_tol, self.rot_tol)?;
        Ok(mace_lab::ik::ik_target(
            position,
            self.orientation.as_deref(),
            self.rpy.as_deref(),
            self.free_axis.as_deref(),
            scene.target_orientation,
        )?)
    }

    /// `config` with these tolerances.
    pub(crate) fn apply(&self, config: &mut mace_robot::solve::SolveConfig) {
        config.tolerance = self.pos_tol;
        config.ik.rotation_tolerance = self.rot_tol.to_radians();
    }
}

/// The mixture latent prior (`mix`) of `bench grasp-fig1`: MACE-VAE whose latent prior is a
/// mixture of Gaussians, fitted to the elites by EM. The tuner's other knobs apply to the
/// Gaussian models (mace, exact, is) only.
#[derive(Debug, Clone, Args)]
pub(crate) struct MixtureArgs {
    /// `mix`: most mixture components (fewer when the elites are too few to fill them).
    #[arg(long, default_value_t = 8, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=64))]
    components: usize,
    /// `mix`: samples drawn per MACE step.
    #[arg(long, default_value_t = 4096, value_parser = crate::limits::samples())]
    mix_samples: usize,
    /// `mix`: elite quantile in (0, 1].
    #[arg(long, default_value_t = 0.1, allow_negative_numbers = true)]
    mix_quantile: f64,
    /// `mix`: leading principal axes the components span (default: those whose variance is
    /// well above the rest).
    #[arg(long, value_name = "N")]
    mix_axes: Option<usize>,
    /// `mix`: MACE steps, each on a fresh sample of the mixture.
    #[arg(long, default_value_t = 1, value_parser = crate::limits::steps())]
    mix_iterations: usize,
}

impl MixtureArgs {
    /// The mixture's settings.
    pub(crate) fn settings(&self) -> mace_models::vae::MixtureSettings {
        mace_models::vae::MixtureSettings {
            components: self.components,
            axes: self.mix_axes,
            ..Default::default()
        }
    }

    /// The tuner's settings for `mix`, with `seed`.
    pub(crate) fn tune_config(&self, seed: u64) -> anyhow::Result<mace_core::TuneConfig> {
        if !(self.mix_quantile > 0.0 && self.mix_quantile <= 1.0) {
            anyhow::bail!("--mix-quantile {}: must be in (0, 1]", self.mix_quantile);
        }
        Ok(mace_core::TuneConfig {
            iterations: self.mix_iterations,
            sample_size: self.mix_samples,
            bsz: self.mix_samples,
            quantile: self.mix_quantile,
            seed,
            ..mace_lab::shapes::mixture_tune_config()
        })
    }
}
