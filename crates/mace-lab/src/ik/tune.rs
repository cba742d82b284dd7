//! Tuning the IK prior to one scene and target (`mace ik tune`): the prior's samples before,
//! the tuning run, and the posterior's samples after, evaluated in the true scene.

use mace_core::{Objective, TuneConfig, TuneObserver, TuneReport};
use mace_models::ConditionedArGmm;
use mace_robot::prior_eval::SceneSampleEval;
use mace_robot::{CollisionModel, KinematicChain, Scene};
use serde::{Deserialize, Serialize};

use super::prior::IkPrior;
use super::recipe::{evaluate_model, tune_scene, TuneScope, REACHED};
use crate::error::{fail, Result};

/// What to tune for: everything but the prior and the robot.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IkTuneConfig {
    /// Objective (MACE or IS).
    pub objective: Objective,
    /// Tuner settings.
    pub tune: TuneConfig,
    /// What the tuner sees beyond them.
    pub scope: TuneScope,
    /// Samples drawn from prior and posterior to evaluate them.
    pub eval_samples: usize,
    /// Seed of the evaluation draws (tuning draws from `tune.seed`).
    pub eval_seed: u64,
}

/// `report.json` of `mace ik tune`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IkTuneRecord {
    /// Scene name.
    pub scene: String,
    /// Target TCP position, metres, base frame.
    pub target: [f32; 3],
    /// The prior's folder.
    pub prior: String,
    /// The prior's samples in the scene.
    pub prior_eval: SceneSampleEval,
    /// The posterior's samples in the scene.
    pub posterior_eval: SceneSampleEval,
    /// The tuning run.
    pub report: TuneReport,
}

/// A tuned posterior with its record and the evaluated samples.
#[derive(Debug)]
pub struct IkTuneRun {
    /// The tuned model.
    pub posterior: ConditionedArGmm,
    /// What was measured.
    pub record: IkTuneRecord,
    /// The prior's evaluated samples, flat `(eval_samples, dof)`, rad.
    pub prior_q: Vec<f32>,
    /// The posterior's evaluated samples, flat `(eval_samples, dof)`, rad.
    pub posterior_q: Vec<f32>,
}

impl IkTuneRun {
    /// An error unless a collision-free posterior sample comes within [`REACHED`] of the target
    /// (the scene may have no solution there); the run's outputs are still usable.
    ///
    /// # Errors
    /// Naming how close the closest collision-free sample came.
    pub fn check_reached(&self) -> Result<()> {
        match self.record.posterior_eval.min_error_success {
            None => fail!(
                "no collision-free posterior sample: the scene may have no solution for this target"
            ),
            Some(e) if e > REACHED => fail!(
                "no collision-free posterior sample within {:.0} cm of the target (closest {:.1} cm): \
                 the scene may have no solution near it; the posterior is written all the same",
                REACHED * 100.0,
                e * 100.0
            ),
            Some(_) => Ok(()),
        }
    }
}

/// Tunes `prior` to `scene` (its target) and evaluates prior and posterior there.
///
/// # Errors
/// From the tuner or the models.
pub fn tune_ik(
    prior: &IkPrior,
    chain: &KinematicChain,
    scene: &Scene,
    config: &IkTuneConfig,
    observer: &mut dyn TuneObserver,
) -> Result<IkTuneRun> {
    let (prior_eval, prior_q) = evaluate_model(
        &prior
            .model
            .conditioned(&super::pose::context_for(&prior.model, &scene.ik_target())?)?,
        chain,
        scene,
        config.eval_samples,
        config.eval_seed,
    )?;
    let (posterior, report) = tune_scene(
        &prior.model,
        &CollisionModel::new(chain, scene),
        scene,
        config.objective,
        &config.tune,
        config.scope,
        observer,
    )?;
    let (posterior_eval, posterior_q) = evaluate_model(
        &posterior,
        chain,
        scene,
        config.eval_samples,
        config.eval_seed,
    )?;
    Ok(IkTuneRun {
        posterior,
        record: IkTuneRecord {
            scene: scene.name.clone(),
            target: scene.target,
            prior: prior.dir.display().to_string(),
            prior_eval,
            posterior_eval,
            report,
        },
        prior_q,
        posterior_q,
    })
}
