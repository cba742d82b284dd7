//! Our recipe for tuning the IK prior to a scene: what the tuner sees beyond its
//! [`TuneConfig`] (which joints' networks move, an obstacle margin on the tuning score, the
//! mixture logits' learning rate), and the evaluation of a tuned model by its samples.

use mace_core::{GenerativeModel, Objective, TuneConfig, TuneObserver, TuneReport, Tuner};
use mace_models::{ArGmm, ConditionedArGmm};
use mace_robot::prior_eval::{evaluate_in_scene, SceneSampleEval};
use mace_robot::{ik_evidence_for, ik_evidence_with_margin, CollisionModel, KinematicChain, Scene};
use rand::{rngs::StdRng, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::error::{fail, Error, Result};

/// The obstacle margin of the tuning score when tuning to a scene (`ik tune`, Table 1), metres:
/// on the wall scene it raised the posterior's mean success from 0.704 to 0.905 over three seeds
/// of `mace bench ik-table1` (docs/BENCHMARKS.md, Table 1).
pub const TUNE_MARGIN: f32 = 0.01;

/// Learning rate of a warm start (`mace ik tune --warm-from DIR`: re-tuning a posterior after
/// the scene changed a little): a third of [`mace_core::TuneConfig::panda_ik_fast`]'s. A posterior
/// is much narrower than the prior, and the full rate's first Adam steps threw a good one away
/// (window moved 3 cm: the mean score fell from 0.90 to 0.24 before climbing back; with 1e-4 it
/// reached 0.9 in 0.02–0.05 s against 0.46–1.01 s for a fresh tune, docs/BENCHMARKS.md).
pub const WARM_START_LR: f64 = 1e-4;

/// The distance penalty of the soft margin, metres: a free sample within [`TUNE_MARGIN`] of a
/// box ranks like a clear one 10 cm further from the target. On the Table 1 A/B of
/// docs/BENCHMARKS.md (30 wall runs) it lifted the mean score from 0.922 to 0.941 (success
/// 0.959 → 0.964).
pub const MARGIN_PENALTY: f32 = 0.1;

/// The learning-rate multiplier of the prior's mixture logits during tuning (see
/// [`ConditionedArGmm::with_logit_lr_scale`]). Most of the wall posterior's collisions came from
/// mixture components that kept ≈ 5% of the samples after tuning. On `mace bench ik-table1`,
/// seeds 0–2 (docs/BENCHMARKS.md): scale 1 → 10 → 30 took the score from 0.954 / 0.928 / 0.934
/// to 0.974 / 0.964 / 0.964 and 0.974 / 0.971 / 0.972, but the diversity of the successful
/// samples from ≈ 0.9 rad to 0.41–0.89 and 0.21–0.50 rad: 10 keeps more of the posterior's
/// branches.
pub const LOGIT_LR_SCALE: f32 = 10.0;

/// `mace ik tune` fails unless a collision-free posterior sample comes this close to the target,
/// metres: the paper's prior-only answers in Table 2 were 1.9 cm off on average.
pub const REACHED: f32 = 0.02;

/// How the tuning sees the problem beyond the [`TuneConfig`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TuneScope {
    /// Tune only the networks of the first N joints (`None` = all).
    pub tuned_joints: Option<usize>,
    /// Obstacle margin of the tuning score, metres (see [`Scene::inflated`]); evaluation always
    /// uses the true scene.
    pub margin: f32,
    /// Soft margin: the distance penalty of a free sample within the margin, metres (`None`:
    /// such a sample scores 0, or there is no margin).
    pub margin_penalty: Option<f32>,
    /// The learning-rate multiplier of the mixture logits (see [`LOGIT_LR_SCALE`]).
    pub logit_lr_scale: f32,
}

impl Default for TuneScope {
    /// All joints, no margin, [`LOGIT_LR_SCALE`].
    fn default() -> Self {
        TuneScope {
            tuned_joints: None,
            margin: 0.0,
            margin_penalty: None,
            logit_lr_scale: LOGIT_LR_SCALE,
        }
    }
}

impl TuneScope {
    /// The scope of a margin of `margin` metres, soft with `penalty` metres unless `hard`.
    ///
    /// # Errors
    /// [`Error::Invalid`] naming the option (`--tune-margin`, `--margin-penalty`,
    /// `--logit-lr-scale`, `--tuned-joints`) for a value that means nothing.
    pub fn new(
        tuned_joints: Option<usize>,
        margin: f32,
        penalty: f32,
        hard: bool,
        logit_lr_scale: f32,
    ) -> Result<TuneScope> {
        if !(margin.is_finite() && margin.abs() < 1.0) {
            return Err(invalid(
                "--tune-margin",
                margin,
                "a distance in metres in (-1, 1)",
            ));
        }
        if !(penalty.is_finite() && penalty >= 0.0) {
            return Err(invalid(
                "--margin-penalty",
                penalty,
                "a distance in metres ≥ 0",
            ));
        }
        if !(logit_lr_scale.is_finite() && logit_lr_scale > 0.0) {
            return Err(invalid(
                "--logit-lr-scale",
                logit_lr_scale,
                "a finite positive multiplier",
            ));
        }
        Ok(TuneScope {
            tuned_joints,
            margin,
            margin_penalty: (!hard && margin > 0.0).then_some(penalty),
            logit_lr_scale,
        })
    }
}

fn invalid(field: &'static str, value: impl std::fmt::Display, reason: &str) -> Error {
    Error::Invalid {
        field,
        value: value.to_string(),
        reason: format!("must be {reason}"),
    }
}

/// Tunes a fresh copy of `prior` for `scene` (its target) and returns the posterior and report.
/// `base` is a collision model of the robot (in any scene): its prepared self-collision pairs
/// are reused.
///
/// # Errors
/// From the tuner (bad settings, a non-finite loss) or the model.
pub fn tune_scene(
    prior: &ArGmm,
    base: &CollisionModel,
    scene: &Scene,
    objective: Objective,
    config: &TuneConfig,
    scope: TuneScope,
    observer: &mut dyn TuneObserver,
) -> Result<(ConditionedArGmm, TuneReport)> {
    let dof = base.chain().dof();
    if let Some(t) = scope.tuned_joints.filter(|&t| t == 0 || t > dof) {
        return Err(invalid(
            "--tuned-joints",
            t,
            &format!("between 1 and the robot's {dof} joints"),
        ));
    }
    let posterior = prior
        .deep_copy()?
        .conditioned(&super::pose::context_for(prior, &scene.ik_target())?)?;
    let posterior = posterior
        .with_tuned_joints(scope.tuned_joints.unwrap_or(dof))
        .with_logit_lr_scale(scope.logit_lr_scale)?;
    let tuner = Tuner::new(config.clone(), objective)?;
    let report = match scope.margin_penalty {
        Some(penalty) => tuner.run(
            &posterior,
            &ik_evidence_with_margin(base, scene, scope.margin, penalty),
            observer,
        )?,
        None => tuner.run(
            &posterior,
            &ik_evidence_for(base, &scene.inflated(scope.margin)),
            observer,
        )?,
    };
    Ok((posterior, report))
}

/// Draws `n` samples of `model` (seeded) and evaluates them in `scene`; returns the evaluation
/// and the samples (a flat `(n, dof)` batch, rad), e.g. for the pictures.
///
/// # Errors
/// From sampling or the collision model.
pub fn evaluate_model(
    model: &ConditionedArGmm,
    chain: &KinematicChain,
    scene: &Scene,
    n: usize,
    seed: u64,
) -> Result<(SceneSampleEval, Vec<f32>)> {
    let q = model
        .sample(n, &mut StdRng::seed_from_u64(seed))?
        .flatten_all()?
        .to_vec1::<f32>()?;
    let eval = evaluate_in_scene(chain, scene, &scene.ik_target(), &q)?;
    Ok((eval, q))
}

/// Warnings about a target in a scene: inside an obstacle box, or below the ground (the solve
/// still runs; the caller prints them).
pub fn target_warnings(scene: &Scene, target: [f32; 3]) -> Vec<String> {
    let mut out = Vec::new();
    for (i, obb) in scene.obbs().iter().enumerate() {
        let d = obb.signed_distance_point(target);
        if d < 0.0 {
            out.push(format!(
                "target {target:?} lies {:.1} mm inside obstacle box {i} of scene `{}`",
                -d * 1e3,
                scene.name
            ));
        }
    }
    for (i, shape) in scene.shapes.iter().enumerate() {
        let d = shape.signed_distance_point(target);
        if d < 0.0 {
            out.push(format!(
                "target {target:?} lies {:.1} mm inside obstacle {i} ({}) of scene `{}`",
                -d * 1e3,
                shape.kind(),
                scene.name
            ));
        }
    }
    if scene.ground && target[2] < 0.0 {
        out.push(format!("target {target:?} lies below the ground (z < 0)"));
    }
    out
}

/// The scene `name` (`wall`, `window`, `box`, a shipped scene of [`crate::assets::SHIPPED_SCENES`]
/// or a `.toml` file) with `target` in place of its
/// own, if given.
///
/// # Errors
/// For an unknown scene, a file that is not a valid scene, or a target that is not three finite
/// numbers.
pub fn scene_with_target(name: &str, target: Option<&[f32]>) -> Result<Scene> {
    let mut scene = if name.ends_with(".toml") {
        Scene::from_toml_file(name)?
    } else if let Some(path) = crate::assets::shipped_scene(name) {
        Scene::from_toml_file(path)?
    } else {
        match Scene::by_name(name) {
            Err(mace_robot::Error::UnknownScene { .. }) => fail!(
                "unknown scene `{name}`: expected one of wall, window, box, {} or a scene .toml \
                 file",
                crate::assets::SHIPPED_SCENES.join(", ")
            ),
            other => other?,
        }
    };
    if let Some(t) = target {
        scene.target = super::prior::parse_target(t)?;
    }
    Ok(scene)
}
