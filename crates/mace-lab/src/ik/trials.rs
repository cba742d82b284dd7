//! Timed IK solve trials (`mace ik solve`, Table 2): one loaded prior and collision model, one
//! warm-up solve, then `trials` seeded solves of one method, summarised.

use std::time::Instant;

use mace_core::stats::{mean, Summary};
use mace_core::TuneConfig;
use mace_robot::solve::{Method, SolveConfig, SolveReport, SolveStatus, Solver};
use mace_robot::{IkTarget, Scene};
use rand::{rngs::StdRng, RngCore, SeedableRng};
use serde::{Deserialize, Serialize};

use super::prior::IkPrior;
use super::recipe::{tune_scene, TuneScope};
use crate::error::{fail, Context, Error, Result};

/// Summary statistics of one method's trials (seconds, metres).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SolveStats {
    /// The method.
    pub method: Method,
    /// Trials run.
    pub trials: usize,
    /// Trials that found a collision-free answer within the tolerance.
    pub solved: usize,
    /// `solved / trials`.
    pub success_rate: f64,
    /// Fraction of trials whose answer is collision-free (at any error).
    pub collision_free_rate: f64,
    /// Median solve time, seconds.
    pub time_median_s: f64,
    /// Mean solve time, seconds.
    pub time_mean_s: f64,
    /// Standard deviation of the solve time, seconds.
    pub time_std_s: f64,
    /// Slowest solve, seconds.
    pub time_max_s: f64,
    /// Median TCP error over trials whose answer is collision-free, metres.
    pub error_median_m: Option<f64>,
    /// Mean TCP error over the same, metres.
    pub error_mean_m: Option<f64>,
    /// Standard deviation of the same, metres.
    pub error_std_m: Option<f64>,
    /// Largest TCP error over the same, metres.
    pub error_max_m: Option<f64>,
    /// Prior samples drawn per trial, mean.
    pub samples_mean: f64,
    /// Numeric IK iterations per trial, mean.
    pub iterations_mean: f64,
}

impl SolveStats {
    /// The summary of `reports` of `method`.
    pub fn of(method: Method, reports: &[SolveReport]) -> SolveStats {
        let n = reports.len().max(1) as f64;
        let solved = reports
            .iter()
            .filter(|r| r.status == SolveStatus::Solved)
            .count();
        let times: Vec<f64> = reports.iter().map(|r| r.seconds).collect();
        let t = Summary::of(&times);
        let errors: Vec<f64> = reports
            .iter()
            .filter(|r| r.collision_free && r.error.is_finite())
            .map(|r| r.error as f64)
            .collect();
        let e = Summary::of(&errors);
        SolveStats {
            method,
            trials: reports.len(),
            solved,
            success_rate: solved as f64 / n,
            collision_free_rate: errors.len() as f64 / n,
            time_median_s: t.map_or(0.0, |t| t.median),
            time_mean_s: t.map_or(0.0, |t| t.mean),
            time_std_s: t.map_or(0.0, |t| t.std),
            time_max_s: t.map_or(0.0, |t| t.max),
            error_median_m: e.map(|e| e.median),
            error_mean_m: e.map(|e| e.mean),
            error_std_m: e.map(|e| e.std),
            error_max_m: e.map(|e| e.max),
            samples_mean: mean(reports.iter().map(|r| r.samples as f64)).unwrap_or(0.0),
            iterations_mean: mean(reports.iter().map(|r| r.iterations as f64)).unwrap_or(0.0),
        }
    }
}

/// How [`Method::Mace`] tunes the prior before each solve.
#[derive(Debug, Clone)]
pub struct MaceTuning<'a> {
    /// The scene (its target is replaced by each problem's).
    pub scene: &'a Scene,
    /// Tuner settings (the seed is replaced by each trial's).
    pub config: TuneConfig,
    /// What the tuner sees beyond them.
    pub scope: TuneScope,
}

/// What tuning cost in one `mace` solve.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TuningCost {
    /// Tuning wall-clock time, seconds (part of the solve's `seconds`).
    pub seconds: f64,
    /// Optimiser steps taken.
    pub iterations: usize,
    /// Mean score of the last fresh sample during tuning.
    pub last_mean_score: f32,
}

/// What [`run_trials`] returns.
#[derive(Debug, Clone)]
pub struct Trials {
    /// One report per trial.
    pub reports: Vec<SolveReport>,
    /// The untimed warm-up solve, seconds.
    pub warmup_s: f64,
    /// [`Method::Mace`] only: what tuning cost per trial (included in the reports' `seconds`).
    pub tuning: Vec<TuningCost>,
}

/// Runs `trials` solves with seeds `seed`, `seed + 1`, … after one untimed warm-up solve (seed
/// `u64::MAX`, which starts the thread pool and warms the caches).
///
/// # Errors
/// If the method needs a prior (or tuning settings) that is not given, or a solve fails.
pub fn run_trials(
    solver: &Solver,
    method: Method,
    target: &IkTarget,
    prior: Option<&IkPrior>,
    mace: Option<&MaceTuning<'_>>,
    trials: usize,
    seed: u64,
) -> Result<Trials> {
    if method.needs_prior() && prior.is_none() {
        fail!("method {method} needs the IK prior");
    }
    let mut costs = Vec::new();
    let mut one = |rng: &mut StdRng| -> Result<SolveReport> {
        if method == Method::Mace {
            let (Some(p), Some(m)) = (prior, mace) else {
                fail!("method mace needs the IK prior and tuning settings");
            };
            let (mut report, cost) = solve_with_mace(solver, p, m, target, rng)?;
            report.seconds += cost.seconds;
            costs.push(cost);
            return Ok(report);
        }
        if let Some(p) = prior {
            super::pose::context_for(&p.model, target)?;
        }
        let mut sampler = |t: &IkTarget, n: usize, rng: &mut StdRng| match prior {
            Some(p) => super::pose::sample_for(p, t, n, rng).unwrap_or_default(),
            None => Vec::new(),
        };
        Ok(solver.solve_target(method, target, &mut sampler, rng)?)
    };
    let warm = Instant::now();
    one(&mut StdRng::seed_from_u64(u64::MAX))?;
    let warmup_s = warm.elapsed().as_secs_f64();
    let reports = (0..trials)
        .map(|t| one(&mut StdRng::seed_from_u64(seed.wrapping_add(t as u64))))
        .collect::<Result<Vec<_>>>()?;
    costs.drain(..costs.len().min(1)); // the warm-up's
    Ok(Trials {
        reports,
        warmup_s,
        tuning: costs,
    })
}

/// One `mace` solve: tunes a copy of the prior to `target` in the scene (seeded from `rng`), then
/// takes the best collision-free sample of posterior batches. The report's `seconds` covers the
/// sampling only; the returned cost says what tuning took.
///
/// # Errors
/// From tuning or the solve.
pub fn solve_with_mace(
    solver: &Solver,
    prior: &IkPrior,
    mace: &MaceTuning<'_>,
    target: &IkTarget,
    rng: &mut StdRng,
) -> Result<(SolveReport, TuningCost)> {
    let start = Instant::now();
    let scene = Scene {
        target: target.position,
        target_orientation: target.orientation,
        ..mace.scene.clone()
    };
    let config = TuneConfig {
        seed: rng.next_u64(),
        ..mace.config.clone()
    };
    let (posterior, report) = tune_scene(
        &prior.model,
        solver.model(),
        &scene,
        mace_core::Objective::Mace,
        &config,
        mace.scope,
        &mut mace_core::NoObserver,
    )?;
    let sampler = mace_models::fast::ArGmmSampler::new(posterior.model())
        .context("preparing the tuned posterior's sampler")?;
    let cost = TuningCost {
        seconds: start.elapsed().as_secs_f64(),
        iterations: report.iterations.len(),
        last_mean_score: report
            .iterations
            .iter()
            .rev()
            .find(|i| i.resampled)
            .map_or(0.0, |i| i.score_mean),
    };
    let context = super::pose::context_for(&prior.model, target)?;
    let mut draw = |_: &IkTarget, n: usize, rng: &mut StdRng| sampler.sample(&context, n, rng);
    let r = solver.solve_target(Method::Mace, target, &mut draw, rng)?;
    Ok((r, cost))
}

/// Mean score at which `--method mace` stops tuning: a solve needs one good sample, so a
/// posterior of which ≈ 10% of the samples are collision-free near the target is enough (the
/// best-of-batches search does the rest).
pub const SOLVE_TUNE_STOP: f32 = 0.1;

/// The tuner preset of [`Method::Mace`] solves: `mace ik tune`'s, but stopping at
/// [`SOLVE_TUNE_STOP`] and without the elite window or the warm start (in the box, 30 trials:
/// 17/30 solved without the window, 8/30 with it; 12/30 with a warm start of 8192: early on,
/// both keep only the few free samples nearest the best one, and the short tuning ends on
/// them).
pub fn solve_tune_preset() -> TuneConfig {
    TuneConfig {
        stop_at_score: Some(SOLVE_TUNE_STOP),
        elite_min_ratio: None,
        first_sample_max: None,
        ..TuneConfig::panda_ik_fast()
    }
}

/// `config` with the solve budget as its time budget unless it has one.
pub fn with_solve_budget(mut config: TuneConfig, budget: f64) -> TuneConfig {
    config.time_budget_s = config.time_budget_s.or(Some(budget));
    config
}

/// The solver options of `mace ik solve` and Table 2.
///
/// # Errors
/// [`Error::Invalid`] for a budget that is not a positive number of seconds or a clearance
/// outside [0, 1) m.
pub fn solve_config(budget: f64, clearance: f32, prior_stop: f32) -> Result<SolveConfig> {
    if !(budget > 0.0 && budget.is_finite() && budget < 1e6) {
        return Err(Error::Invalid {
            field: "--budget",
            value: budget.to_string(),
            reason: "must be a positive number of seconds".into(),
        });
    }
    if !(clearance >= 0.0 && clearance.is_finite() && clearance < 1.0) {
        return Err(Error::Invalid {
            field: "--clearance",
            value: clearance.to_string(),
            reason: "must be a distance in metres in [0, 1)".into(),
        });
    }
    let config = SolveConfig {
        time_budget: std::time::Duration::from_secs_f64(budget),
        clearance,
        prior_stop,
        ..SolveConfig::default()
    };
    config.validate()?;
    Ok(config)
}
