//! The paper's Table 1 (wall scene): targets behind the wall, each kept only if numeric IK finds
//! a collision-free solution; per target the prior, the MACE posterior and the IS posterior
//! (same budget) are sampled and scored in the true scene.

use std::fmt::Write as _;
use std::time::Duration;

use mace_core::{NoObserver, Objective, TuneConfig};
use mace_robot::prior_eval::SceneSampleEval;
use mace_robot::{CollisionModel, IkConfig, IkSolver, IkStatus, KinematicChain, Scene};
use rand::{rngs::StdRng, Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use super::prior::IkPrior;
use super::recipe::{evaluate_model, tune_scene, TuneScope};
use crate::error::{fail, Result};
use crate::progress::Progress;

/// The region behind the wall the targets are drawn from (base frame, metres).
pub const REGION: [[f32; 2]; 3] = [[0.42, 0.60], [-0.30, 0.30], [0.53, 0.70]];

/// Settings of Table 1.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Table1Config {
    /// Number of targets.
    pub targets: usize,
    /// Samples drawn from each model to score it.
    pub samples: usize,
    /// Seed of the targets and the evaluation (tuning uses `tune.seed`).
    pub seed: u64,
    /// Tuner settings of both posteriors.
    pub tune: TuneConfig,
    /// What the tuner sees beyond them.
    pub scope: TuneScope,
    /// Pose targets: each target also asks for the tool orientation of the collision-free IK
    /// answer that admitted it, and the score counts the rotation error (see
    /// [`mace_robot::IkScore`]).
    #[serde(default)]
    pub pose: bool,
}

/// One target's row.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TargetRow {
    /// The target, metres, base frame.
    pub target: [f32; 3],
    /// Pose targets: the tool orientation asked for, quaternion (x, y, z, w).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orientation: Option<[f32; 4]>,
    /// The prior's samples.
    pub prior: SceneSampleEval,
    /// The MACE posterior's samples.
    pub mace: SceneSampleEval,
    /// The IS posterior's samples.
    pub is: SceneSampleEval,
    /// MACE tuning time, seconds.
    pub mace_tuning_s: f64,
    /// IS tuning time, seconds.
    pub is_tuning_s: f64,
    /// MACE optimiser steps.
    pub mace_iterations: usize,
    /// IS optimiser steps.
    pub is_iterations: usize,
}

/// The evaluated configurations of one target (flat `(samples, dof)`, rad), for pictures and
/// checks in another engine.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TargetSamples {
    /// The target.
    pub target: [f32; 3],
    /// Prior samples.
    pub prior: Vec<f32>,
    /// MACE posterior samples.
    pub mace: Vec<f32>,
    /// IS posterior samples.
    pub is: Vec<f32>,
}

/// Table 1 as measured.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Table1 {
    /// Tuner settings.
    pub config: TuneConfig,
    /// Obstacle margin of the tuning score, metres (evaluation uses the true scene).
    pub tune_margin_m: f32,
    /// Soft margin's distance penalty, metres (`None`: hard margin).
    pub margin_penalty_m: Option<f32>,
    /// Learning-rate multiplier of the prior's mixture logits during tuning.
    pub logit_lr_scale: f32,
    /// Targets drawn (some are skipped: no collision-free IK solution).
    pub targets_tried: usize,
    /// One row per kept target.
    pub rows: Vec<TargetRow>,
    /// The evaluated samples of each row (not in the JSON).
    #[serde(skip)]
    pub samples: Vec<TargetSamples>,
}

/// Runs Table 1 with `prior` for `chain` in the wall scene.
///
/// # Errors
/// If fewer than `targets` feasible targets are found in 20 × as many draws, or tuning fails.
pub fn run_table1(
    prior: &IkPrior,
    chain: &KinematicChain,
    config: &Table1Config,
    progress: &mut dyn Progress,
) -> Result<Table1> {
    let wall = Scene::by_name("wall")?;
    let scope = config.scope;
    let base = CollisionModel::new(chain, &wall);
    let mut rng = StdRng::seed_from_u64(config.seed);
    let ik = IkSolver::new(
        CollisionModel::new(chain, &wall),
        IkConfig {
            time_budget: Some(Duration::from_secs(10)),
            ..IkConfig::panda()
        },
    );
    let mut rows = Vec::new();
    let mut samples = Vec::new();
    let mut tried = 0;
    progress.phase("targets", config.targets);
    while rows.len() < config.targets {
        tried += 1;
        if tried > 20 * config.targets.max(1) {
            fail!(
                "found only {} feasible targets in {tried} draws",
                rows.len()
            );
        }
        let target: [f32; 3] =
            std::array::from_fn(|i| rng.random_range(REGION[i][0]..REGION[i][1]));
        let solved = ik.solve(target, None, &mut rng);
        if !(solved.status == IkStatus::Converged && solved.collision_free) {
            progress.log(&format!(
                "target {target:?}: no collision-free IK solution in 10 s, skipped"
            ));
            continue;
        }
        let target_orientation = if config.pose {
            let poses = chain.forward_kinematics(&solved.q)?;
            mace_robot::IkTarget::from_tool_pose(&poses[chain.tip()]).orientation
        } else {
            None
        };
        let scene = Scene {
            target,
            target_orientation,
            ..wall.clone()
        };
        let eval_seed = config.seed.wrapping_add(1000 + rows.len() as u64);
        let (prior_eval, prior_q) = evaluate_model(
            &prior
                .model
                .conditioned(&super::pose::context_for(&prior.model, &scene.ik_target())?)?,
            chain,
            &scene,
            config.samples,
            eval_seed,
        )?;
        let (mace, mace_report) = tune_scene(
            &prior.model,
            &base,
            &scene,
            Objective::Mace,
            &config.tune,
            scope,
            &mut NoObserver,
        )?;
        let (is, is_report) = tune_scene(
            &prior.model,
            &base,
            &scene,
            Objective::Is,
            &config.tune,
            scope,
            &mut NoObserver,
        )?;
        let (mace_eval, mace_q) = evaluate_model(&mace, chain, &scene, config.samples, eval_seed)?;
        let (is_eval, is_q) = evaluate_model(&is, chain, &scene, config.samples, eval_seed)?;
        let row = TargetRow {
            target,
            orientation: target_orientation.map(|o| o.quaternion),
            prior: prior_eval,
            mace: mace_eval,
            is: is_eval,
            mace_tuning_s: mace_report.timings.total_s,
            is_tuning_s: is_report.timings.total_s,
            mace_iterations: mace_report.iterations.len(),
            is_iterations: is_report.iterations.len(),
        };
        let line = format!(
            "target {} {:?}: prior {:.3}/{:.3}, MACE {:.3}/{:.3} in {:.2} s, IS {:.3}/{:.3} in {:.2} s",
            rows.len() + 1,
            target,
            row.prior.mean_score,
            row.prior.success_rate,
            row.mace.mean_score,
            row.mace.success_rate,
            row.mace_tuning_s,
            row.is.mean_score,
            row.is.success_rate,
            row.is_tuning_s
        );
        progress.log(&line);
        progress.advance("");
        rows.push(row);
        samples.push(TargetSamples {
            target,
            prior: prior_q,
            mace: mace_q,
            is: is_q,
        });
    }
    progress.finish();
    Ok(Table1 {
        config: config.tune.clone(),
        tune_margin_m: scope.margin,
        margin_penalty_m: scope.margin_penalty,
        logit_lr_scale: scope.logit_lr_scale,
        targets_tried: tried,
        rows,
        samples,
    })
}

impl Table1 {
    /// The table as Markdown, ours beside the paper's figures.
    pub fn markdown(&self) -> String {
        let t = self;
        let mut md = String::new();
        let stat = |f: &dyn Fn(&TargetRow) -> f64| {
            let (m, s) = mace_core::stats::mean_std(t.rows.iter().map(f)).unwrap_or_default();
            format!("{m:.3} ± {s:.3}")
        };
        let div = |f: &dyn Fn(&TargetRow) -> Option<f32>| {
            mace_core::stats::mean(t.rows.iter().filter_map(|r| f(r).map(f64::from)))
                .map_or("n/a".to_string(), |m| format!("{m:.2}"))
        };
        let _ = writeln!(
            md,
            "\nTable 1, wall scene: {} targets behind the wall, {} samples per model",
            t.rows.len(),
            t.rows.first().map_or(0, |r| r.prior.samples)
        );
        let _ = writeln!(
            md,
            "| model | score (ours) | success (ours) | score (paper) | success (paper) | tuning time (ours) | diversity (rad) |"
        );
        let _ = writeln!(md, "|---|---|---|---|---|---|---|");
        let _ = writeln!(
            md,
            "| prior | {} | {} | 0.129 ± 0.015 | 0.132 ± 0.015 | - | {} |",
            stat(&|r| r.prior.mean_score as f64),
            stat(&|r| r.prior.success_rate as f64),
            div(&|r| r.prior.diversity)
        );
        let _ = writeln!(
            md,
            "| posterior (MACE) | {} | {} | 0.937 ± 0.079 | 0.941 ± 0.079 | {} s | {} |",
            stat(&|r| r.mace.mean_score as f64),
            stat(&|r| r.mace.success_rate as f64),
            stat(&|r| r.mace_tuning_s),
            div(&|r| r.mace.diversity)
        );
        let _ = writeln!(
            md,
            "| posterior (IS) | {} | {} | 0.317 ± 0.121 | 0.339 ± 0.122 | {} s | {} |",
            stat(&|r| r.is.mean_score as f64),
            stat(&|r| r.is.success_rate as f64),
            stat(&|r| r.is_tuning_s),
            div(&|r| r.is.diversity)
        );
        if t.rows.iter().any(|r| r.orientation.is_some()) {
            let rot = |f: &dyn Fn(&TargetRow) -> Option<f32>| div(f);
            let _ = writeln!(
                md,
                "\nPose targets (orientation of an IK answer; score exp(−(d + {} m/rad · θ))): median rotation error of the collision-free samples, mean over targets: prior {}°, MACE {}°, IS {}°.",
                mace_robot::evidence::SCORE_ROTATION_WEIGHT,
                rot(&|r| r.prior.median_rotation_error_deg_success),
                rot(&|r| r.mace.median_rotation_error_deg_success),
                rot(&|r| r.is.median_rotation_error_deg_success),
            );
        }
        let c = &t.config;
        let _ = writeln!(
            md,
            "\nTuning: {} iterations max, sample {} (bsz {}; first sample up to {} where scarce), quantile {}, elite window {}, lr {}, {} steps per sample, stop at score {}, keep best {}, mixture logits at {}× lr, obstacle margin {} m ({}); paper: 7–65 s per problem on a GTX 1080 Ti.",
            c.iterations,
            c.sample_size,
            c.bsz,
            c.first_sample_max.map_or("-".to_string(), |n| n.to_string()),
            c.quantile,
            c.elite_min_ratio.map_or("off".to_string(), |r| r.to_string()),
            c.lr,
            c.grad_steps,
            c.stop_at_score.map_or("-".to_string(), |s| s.to_string()),
            c.keep_best,
            t.logit_lr_scale,
            t.tune_margin_m,
            t.margin_penalty_m
                .map_or("hard".to_string(), |p| format!("soft, penalty {p} m")),
        );
        md
    }
}
