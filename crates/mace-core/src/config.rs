//! [`TuneConfig`]: the knobs of a tuning run, with the paper's defaults.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// The longest wall-clock budget a tuning run takes, seconds (about 31 years).
pub const MAX_TIME_BUDGET_S: f64 = 1e9;

/// Which objective the tuner minimises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Objective {
    /// MACE (paper Eq. 3): −mean log p(x; θ) over the elite quantile of the batch.
    #[default]
    Mace,
    /// Importance sampling (paper Eq. 2): −(1/bsz) Σ w_i S_i log p(x_i; θ) with the weight
    /// w_i = p(x_i; θ0) / p(x_i; θ_{t−1}) held constant (no gradient flows through it).
    Is,
}

impl std::fmt::Display for Objective {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Objective::Mace => "mace",
            Objective::Is => "is",
        })
    }
}

/// Configuration of one tuning run.
///
/// One *iteration* is one optimiser step. Every `grad_steps` iterations the tuner draws a fresh
/// sample of `sample_size` from the current model and scores it; each iteration takes the next
/// mini-batch of `bsz` from that (shuffled) sample.
///
/// `Default` gives the reference implementation's IK settings (8192 / 8192 / q = 1/256 /
/// lr 1e-4 / 4 grad steps / 512 iterations).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TuneConfig {
    /// Number of optimiser steps (≥ 1).
    pub iterations: usize,
    /// Samples drawn from the model at each resampling, N (≥ 1).
    pub sample_size: usize,
    /// Mini-batch taken from the sample per step (1 ≤ bsz ≤ sample_size).
    pub bsz: usize,
    /// Steps taken on one sample before drawing a fresh one (≥ 1).
    pub grad_steps: usize,
    /// Elite quantile q ∈ (0, 1]: the best ⌈q · bsz⌉ samples of a batch set the threshold δ.
    pub quantile: f64,
    /// Adam learning rate (> 0).
    pub lr: f64,
    /// Seed of every random draw of the run (sampling and mini-batch shuffles).
    pub seed: u64,
    /// Optional wall-clock budget, seconds; checked before each iteration.
    pub time_budget_s: Option<f64>,
    /// Optional early stop: stop as soon as the mean score of a fresh sample reaches this value.
    pub stop_at_score: Option<f32>,
    /// Optional warm start: the first sample has this size and is used whole as one batch, so
    /// the first elites are the best ⌈q·bsz⌉ of a larger draw (useful when good samples are rare
    /// under the prior). Later samples have `sample_size`.
    pub first_sample_size: Option<usize>,
    /// Optional warm start only where good samples are scarce: if fewer than ⌈q·bsz⌉ samples of
    /// the first sample score above zero, it is topped up to this size and used whole as one
    /// batch (like `first_sample_size`, which it excludes). Where the prior already finds
    /// enough, the run is the same as without a warm start.
    pub first_sample_max: Option<usize>,
    /// Optional elite window r ∈ (0, 1]: an elite must also score at least r × the batch's best
    /// score. Without it, when good samples are rare the top quantile fills up with whatever
    /// scores above zero (on IK: collision-free poses far from the target) and pulls the model
    /// away from the few good ones; with it, only samples near the best of the batch teach.
    /// MACE only (IS has no elites).
    pub elite_min_ratio: Option<f32>,
    /// Keep the best parameters: at the end of the run, restore the parameters under which a
    /// fresh sample scored best on average (if a later sample scored worse). Guards against a
    /// late collapse of a narrow posterior.
    pub keep_best: bool,
}

impl Default for TuneConfig {
    fn default() -> Self {
        Self {
            iterations: 512,
            sample_size: 8192,
            bsz: 8192,
            grad_steps: 4,
            quantile: 1.0 / 256.0,
            lr: 1e-4,
            seed: 0,
            time_budget_s: None,
            stop_at_score: None,
            first_sample_size: None,
            first_sample_max: None,
            elite_min_ratio: None,
            keep_best: false,
        }
    }
}

impl TuneConfig {
    /// The reference implementation's settings for inverse kinematics (same as `Default`).
    pub fn panda_ik() -> Self {
        Self::default()
    }

    /// Our settings for the IK prior on 2 CPU cores: a first sample of up to 8192 where good
    /// samples are scarce, then samples of 1024 redrawn every 4 steps, 32 elites within 0.5% of
    /// the batch's best score, lr 3e-4, at most 600 steps, stopping once a fresh sample scores
    /// 0.98 on average, keeping the best parameters (the trade-offs are measured in
    /// docs/BENCHMARKS.md; the IK commands also move the prior's mixture logits 30× faster,
    /// see `ConditionedArGmm::with_logit_lr_scale` in mace-models).
    pub fn panda_ik_fast() -> Self {
        Self {
            iterations: 600,
            sample_size: 1024,
            bsz: 1024,
            grad_steps: 4,
            quantile: 1.0 / 32.0,
            lr: 3e-4,
            stop_at_score: Some(0.98),
            elite_min_ratio: Some(0.995),
            keep_best: true,
            first_sample_max: Some(8192),
            ..Self::default()
        }
    }

    /// The reference implementation's settings for shape inference from grasps
    /// (128 / 128 / q = 1/16 / lr 2e-3 / 8 grad steps / 1000 iterations).
    pub fn grasp() -> Self {
        Self {
            iterations: 1000,
            sample_size: 128,
            bsz: 128,
            grad_steps: 8,
            quantile: 1.0 / 16.0,
            lr: 2e-3,
            ..Self::default()
        }
    }

    /// Settings for the 2-D toy problem of [`crate::toy`].
    pub fn toy() -> Self {
        Self {
            iterations: 300,
            sample_size: 1024,
            bsz: 1024,
            grad_steps: 1,
            quantile: 0.1,
            lr: 0.05,
            ..Self::default()
        }
    }

    /// The wall-clock budget as a [`Duration`], if any (one beyond what a `Duration` holds is
    /// no budget; [`TuneConfig::validate`] refuses it).
    pub fn time_budget(&self) -> Option<Duration> {
        self.time_budget_s
            .and_then(|t| Duration::try_from_secs_f64(t).ok())
    }

    /// Number of elites that set the threshold in a batch of `n`: ⌈q · n⌉, at least 1.
    pub fn elite_count(&self, n: usize) -> usize {
        ((self.quantile * n as f64).ceil() as usize).clamp(1, n.max(1))
    }

    /// Checks every field; returns the first problem found. Sizes are not bounded here (a
    /// sample's memory depends on the model): callers that know the size of a sample bound
    /// them.
    ///
    /// # Errors
    /// [`Error::Config`] naming the field, its value and the rule it breaks.
    pub fn validate(&self) -> Result<()> {
        fn bad(field: &'static str, value: impl ToString, reason: &'static str) -> Result<()> {
            Err(Error::Config {
                field,
                value: value.to_string(),
                reason,
            })
        }
        if self.iterations == 0 {
            return bad("iterations", 0, "must be at least 1");
        }
        if self.sample_size == 0 {
            return bad("sample_size", 0, "must be at least 1");
        }
        if self.bsz == 0 || self.bsz > self.sample_size {
            return bad("bsz", self.bsz, "must be between 1 and sample_size");
        }
        if self.grad_steps == 0 {
            return bad("grad_steps", 0, "must be at least 1");
        }
        if !(self.quantile > 0.0 && self.quantile <= 1.0) {
            return bad("quantile", self.quantile, "must be in (0, 1]");
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return bad("lr", self.lr, "must be finite and positive");
        }
        if let Some(t) = self.time_budget_s {
            if !(t.is_finite() && t > 0.0 && t <= MAX_TIME_BUDGET_S) {
                return bad(
                    "time_budget_s",
                    t,
                    "must be positive and at most 1e9 seconds (about 31 years)",
                );
            }
        }
        if self.first_sample_size == Some(0) {
            return bad("first_sample_size", 0, "must be at least 1");
        }
        if let Some(max) = self.first_sample_max {
            if max == 0 {
                return bad("first_sample_max", 0, "must be at least 1");
            }
            if self.first_sample_size.is_some() {
                return bad("first_sample_max", max, "excludes first_sample_size");
            }
        }
        if let Some(r) = self.elite_min_ratio {
            if !(r > 0.0 && r <= 1.0) {
                return bad("elite_min_ratio", r, "must be in (0, 1]");
            }
        }
        if let Some(s) = self.stop_at_score {
            if !(s.is_finite() && s > 0.0 && s <= 1.0) {
                return bad("stop_at_score", s, "must be in (0, 1]");
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(cfg: TuneConfig) -> &'static str {
        match cfg.validate() {
            Err(Error::Config { field, .. }) => field,
            other => panic!("expected a config error, got {other:?}"),
        }
    }

    #[test]
    fn defaults_and_presets_are_valid() {
        TuneConfig::default().validate().unwrap();
        TuneConfig::grasp().validate().unwrap();
        TuneConfig::panda_ik_fast().validate().unwrap();
        TuneConfig::toy().validate().unwrap();
    }

    #[test]
    fn each_bad_field_is_named() {
        let d = TuneConfig::default;
        assert_eq!(
            field_of(TuneConfig {
                iterations: 0,
                ..d()
            }),
            "iterations"
        );
        assert_eq!(
            field_of(TuneConfig {
                sample_size: 0,
                ..d()
            }),
            "sample_size"
        );
        assert_eq!(field_of(TuneConfig { bsz: 9000, ..d() }), "bsz");
        assert_eq!(field_of(TuneConfig { bsz: 0, ..d() }), "bsz");
        assert_eq!(
            field_of(TuneConfig {
                grad_steps: 0,
                ..d()
            }),
            "grad_steps"
        );
        assert_eq!(
            field_of(TuneConfig {
                quantile: 0.0,
                ..d()
            }),
            "quantile"
        );
        assert_eq!(
            field_of(TuneConfig {
                quantile: 1.5,
                ..d()
            }),
            "quantile"
        );
        assert_eq!(
            field_of(TuneConfig {
                quantile: f64::NAN,
                ..d()
            }),
            "quantile"
        );
        assert_eq!(field_of(TuneConfig { lr: -1.0, ..d() }), "lr");
        for t in [0.0, 1e20, f64::INFINITY] {
            assert_eq!(
                field_of(TuneConfig {
                    time_budget_s: Some(t),
                    ..d()
                }),
                "time_budget_s"
            );
        }
        let longest = TuneConfig {
            time_budget_s: Some(MAX_TIME_BUDGET_S),
            ..d()
        };
        longest.validate().unwrap();
        assert!(longest.time_budget().is_some());
        assert_eq!(
            field_of(TuneConfig {
                stop_at_score: Some(1.5),
                ..d()
            }),
            "stop_at_score"
        );
        assert_eq!(
            field_of(TuneConfig {
                first_sample_size: Some(0),
                ..d()
            }),
            "first_sample_size"
        );
        assert_eq!(
            field_of(TuneConfig {
                first_sample_size: Some(100),
                first_sample_max: Some(1000),
                ..d()
            }),
            "first_sample_max"
        );
        for ratio in [0.0, 1.5, f32::NAN] {
            assert_eq!(
                field_of(TuneConfig {
                    elite_min_ratio: Some(ratio),
                    ..d()
                }),
                "elite_min_ratio"
            );
        }
    }

    #[test]
    fn quantile_one_keeps_everything() {
        let cfg = TuneConfig {
            quantile: 1.0,
            ..TuneConfig::default()
        };
        assert_eq!(cfg.elite_count(100), 100);
        assert_eq!(TuneConfig::default().elite_count(8192), 32);
        assert_eq!(TuneConfig::default().elite_count(10), 1);
    }
}
