//! What a tuning run reports: per-iteration statistics, where the time went, why it stopped.

use serde::{Deserialize, Serialize};

use crate::{Objective, TuneConfig};

/// Statistics of one iteration (one optimiser step, or a skipped one).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IterationStats {
    /// 0-based iteration index.
    pub iteration: usize,
    /// Whether a fresh sample was drawn at this iteration.
    pub resampled: bool,
    /// Samples in the mini-batch.
    pub batch: usize,
    /// Mean score of the mini-batch, in [0, 1].
    pub score_mean: f32,
    /// Best score of the mini-batch.
    pub score_max: f32,
    /// Worst score of the mini-batch.
    pub score_min: f32,
    /// Fraction of the mini-batch with a positive score (for IK: collision-free); absent in
    /// reports written before it existed.
    #[serde(default)]
    pub positive_fraction: f32,
    /// Elite threshold δ of the mini-batch (MACE); for IS, the same quantile for reference.
    pub elite_threshold: f32,
    /// Samples that entered the loss: elites (MACE) or positive-scored samples (IS).
    pub elite_count: usize,
    /// Loss of the step; `None` when the step was skipped (no sample with a positive score).
    pub loss: Option<f64>,
    /// Seconds since the run started, at the end of this iteration.
    pub elapsed_s: f64,
}

/// Why the run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TuneStatus {
    /// All configured iterations ran.
    Completed,
    /// A fresh sample reached `stop_at_score`.
    ReachedScore,
    /// The wall-clock budget ran out.
    TimeBudget,
}

/// Seconds spent in each phase of the run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Timings {
    /// Drawing samples from the model (and, for IS, their importance weights).
    pub sample_s: f64,
    /// Simulating and scoring them (the evidence).
    pub simulate_s: f64,
    /// Elite selection, log-likelihood, backward pass and optimiser step.
    pub update_s: f64,
    /// Whole run, wall clock.
    pub total_s: f64,
}

/// The record of a tuning run, serialisable as JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TuneReport {
    /// The objective that was minimised.
    pub objective: Objective,
    /// The configuration of the run.
    pub config: TuneConfig,
    /// Why the run ended.
    pub status: TuneStatus,
    /// Optimiser steps actually taken (skipped steps excluded).
    pub steps_taken: usize,
    /// Fresh samples drawn.
    pub resamples: usize,
    /// With [`TuneConfig::keep_best`]: the iteration whose parameters were restored at the end
    /// (its fresh sample scored best on average); `None` if the last parameters were kept.
    #[serde(default)]
    pub restored_from: Option<usize>,
    /// Time split.
    pub timings: Timings,
    /// One entry per iteration that ran.
    pub iterations: Vec<IterationStats>,
}

impl TuneReport {
    /// The statistics of the last iteration, if any ran.
    pub fn last(&self) -> Option<&IterationStats> {
        self.iterations.last()
    }
}

/// Watches a run: progress bars, logging, custom stopping rules.
pub trait TuneObserver {
    /// Called after every iteration with its statistics.
    fn on_iteration(&mut self, _stats: &IterationStats) {}
}

/// An observer that does nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoObserver;

impl TuneObserver for NoObserver {}

impl<F: FnMut(&IterationStats)> TuneObserver for F {
    fn on_iteration(&mut self, stats: &IterationStats) {
        self(stats)
    }
}
