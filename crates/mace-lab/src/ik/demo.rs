//! The main job (`mace demo`): collision-free IK for the Panda from the shipped prior — the box
//! scene solved by prior samples and by the hybrid method, the window scene tuned with MACE.

use mace_core::stats::median;
use mace_core::{Objective, TuneConfig, TuneObserver, TuneReport};
use mace_robot::prior_eval::SceneSampleEval;
use mace_robot::solve::{Method, SolveConfig, SolveReport, SolveStatus, Solver};
use mace_robot::{CollisionModel, KinematicChain, Scene};
use rand::{rngs::StdRng, SeedableRng};
use serde::{Deserialize, Serialize};

use super::prior::IkPrior;
use super::recipe::{evaluate_model, tune_scene, TuneScope};
use crate::error::Result;

/// Solves per method in the box scene.
pub const BOX_SOLVES: usize = 5;
/// Clearance of the box solves, metres.
pub const BOX_CLEARANCE: f32 = 0.003;
/// Samples drawn from prior and posterior in the window scene.
pub const WINDOW_SAMPLES: usize = 1000;

/// Everything the demo measured.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IkDemoRecord {
    /// Loading the prior, seconds.
    pub prior_load_s: f64,
    /// The box solves, prior first.
    pub box_solves: Vec<SolveReport>,
    /// The prior's samples in the window scene.
    pub window_prior: SceneSampleEval,
    /// The posterior's samples in the window scene.
    pub window_posterior: SceneSampleEval,
    /// The window tuning run.
    pub window_tuning: TuneReport,
}

/// The demo's record with the scenes and the window samples (for pictures).
#[derive(Debug, Clone)]
pub struct IkDemo {
    /// What was measured.
    pub record: IkDemoRecord,
    /// The box scene.
    pub boxed: Scene,
    /// The window scene.
    pub window: Scene,
    /// Prior samples in the window scene, flat `(n, dof)`, rad.
    pub prior_q: Vec<f32>,
    /// Posterior samples in the window scene, flat `(n, dof)`, rad.
    pub posterior_q: Vec<f32>,
}

/// One row of the box table: a method's solves summarised.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoxRow {
    /// The method.
    pub method: Method,
    /// Solves that met the tolerance collision-free.
    pub solved: usize,
    /// Solves run.
    pub runs: usize,
    /// Median time, seconds.
    pub median_s: f64,
    /// Median TCP error, metres.
    pub median_error: f32,
    /// Collision-free answers.
    pub collision_free: usize,
}

impl IkDemoRecord {
    /// The box table: one row per method, prior then hybrid.
    pub fn box_rows(&self) -> Vec<BoxRow> {
        [Method::Prior, Method::Hybrid]
            .into_iter()
            .map(|method| {
                let runs: Vec<_> = self
                    .box_solves
                    .iter()
                    .filter(|r| r.method == method)
                    .collect();
                let times: Vec<f64> = runs.iter().map(|r| r.seconds).collect();
                let errors: Vec<f64> = runs.iter().map(|r| f64::from(r.error)).collect();
                BoxRow {
                    method,
                    solved: runs
                        .iter()
                        .filter(|r| r.status == SolveStatus::Solved)
                        .count(),
                    runs: runs.len(),
                    median_s: median(&times).unwrap_or(f64::NAN),
                    median_error: median(&errors).map_or(f32::NAN, |e| e as f32),
                    collision_free: runs.iter().filter(|r| r.collision_free).count(),
                }
            })
            .collect()
    }
}

/// Runs the demo with `prior` for `chain`, seeded; `observer` sees the window tuning.
///
/// # Errors
/// From the solver, the tuner or the models.
pub fn run_ik_demo(
    prior: &IkPrior,
    chain: &KinematicChain,
    seed: u64,
    observer: &mut dyn TuneObserver,
) -> Result<IkDemo> {
    // 1. The box scene: a collision-free answer inside an open box, several times.
    let boxed = Scene::by_name("box")?;
    let config = SolveConfig {
        clearance: BOX_CLEARANCE,
        ..SolveConfig::default()
    };
    let solver = Solver::new(CollisionModel::new(chain, &boxed), config);
    let mut rng = StdRng::seed_from_u64(seed);
    let mut draw = |t: [f32; 3], n: usize, r: &mut StdRng| prior.sampler.sample(&t, n, r);
    let mut box_solves = Vec::new();
    for method in [Method::Prior, Method::Hybrid] {
        for _ in 0..BOX_SOLVES {
            box_solves.push(solver.solve(method, boxed.target, &mut draw, &mut rng)?);
        }
    }

    // 2. The window scene: tune the prior so that its samples reach through the window.
    let window = Scene::by_name("window")?;
    let config = TuneConfig {
        seed,
        ..TuneConfig::panda_ik_fast()
    };
    let conditioned = prior.model.conditioned(&window.target)?;
    let (window_prior, prior_q) =
        evaluate_model(&conditioned, chain, &window, WINDOW_SAMPLES, seed + 1)?;
    let (posterior, window_tuning) = tune_scene(
        &prior.model,
        solver.model(),
        &window,
        Objective::Mace,
        &config,
        // The paper's plain score (no obstacle margin): on the window the margin that helps the
        // wall scene cost 0.01–0.08 of success (docs/BENCHMARKS.md).
        TuneScope::default(),
        observer,
    )?;
    let (window_posterior, posterior_q) =
        evaluate_model(&posterior, chain, &window, WINDOW_SAMPLES, seed + 1)?;
    Ok(IkDemo {
        record: IkDemoRecord {
            prior_load_s: prior.load_seconds,
            box_solves,
            window_prior,
            window_posterior,
            window_tuning,
        },
        boxed,
        window,
        prior_q,
        posterior_q,
    })
}
