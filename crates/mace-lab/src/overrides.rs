//! Changes to a tuner preset: the tuning knobs a user may set on top of a recipe's defaults
//! (the command line's `--iterations`, `--lr`, … ; every field `None` keeps the preset's).

use mace_core::TuneConfig;
use serde::{Deserialize, Serialize};

/// Knobs that override a [`TuneConfig`] preset; `None` keeps the preset's value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TuneOverrides {
    /// Optimiser steps.
    pub iterations: Option<usize>,
    /// Samples drawn per resampling (the mini-batch follows it unless `bsz` is given).
    pub sample_size: Option<usize>,
    /// Mini-batch taken from each sample.
    pub bsz: Option<usize>,
    /// Elite quantile in (0, 1].
    pub quantile: Option<f64>,
    /// Adam learning rate.
    pub lr: Option<f64>,
    /// Steps per fresh sample.
    pub grad_steps: Option<usize>,
    /// Wall-clock budget, seconds.
    pub time_budget: Option<f64>,
    /// Stop once a fresh sample's mean score reaches this value (`0` = no early stop).
    pub stop_at_score: Option<f32>,
    /// Size of the first (warm-start) sample; replaces the adaptive warm start.
    pub first_sample_size: Option<usize>,
    /// Size of the first sample when good samples are scarce (`0` = off).
    pub first_sample_max: Option<usize>,
    /// Elite window in (0, 1] (`0` = off).
    pub elite_min_ratio: Option<f32>,
    /// Restore, at the end, the parameters whose fresh sample scored best.
    pub keep_best: Option<bool>,
}

impl TuneOverrides {
    /// `base` with every given knob applied, and `seed`.
    pub fn apply(&self, base: TuneConfig, seed: u64) -> TuneConfig {
        let sample_size = self.sample_size.unwrap_or(base.sample_size);
        TuneConfig {
            iterations: self.iterations.unwrap_or(base.iterations),
            sample_size,
            bsz: self.bsz.unwrap_or(if self.sample_size.is_some() {
                sample_size
            } else {
                base.bsz
            }),
            quantile: self.quantile.unwrap_or(base.quantile),
            lr: self.lr.unwrap_or(base.lr),
            grad_steps: self.grad_steps.unwrap_or(base.grad_steps),
            time_budget_s: self.time_budget.or(base.time_budget_s),
            stop_at_score: match self.stop_at_score {
                Some(0.0) => None,
                given => given.or(base.stop_at_score),
            },
            first_sample_size: self.first_sample_size.or(base.first_sample_size),
            // A fixed warm start given on the command line replaces the adaptive one.
            first_sample_max: match (self.first_sample_size, self.first_sample_max) {
                (_, Some(0)) | (Some(_), None) => None,
                (_, given) => given.or(base.first_sample_max),
            },
            elite_min_ratio: match self.elite_min_ratio {
                Some(0.0) => None,
                given => given.or(base.elite_min_ratio),
            },
            keep_best: self.keep_best.unwrap_or(base.keep_best),
            seed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `0` turns a preset's early stop, elite window and adaptive warm start off; other
    /// values replace the preset's; `None` keeps them.
    #[test]
    fn zero_turns_the_presets_switches_off() {
        let base = TuneConfig::panda_ik_fast();
        assert!(base.stop_at_score.is_some() && base.elite_min_ratio.is_some());
        let kept = TuneOverrides::default().apply(base.clone(), 3);
        assert_eq!((kept.stop_at_score, kept.seed), (base.stop_at_score, 3));
        let off = TuneOverrides {
            stop_at_score: Some(0.0),
            elite_min_ratio: Some(0.0),
            first_sample_max: Some(0),
            ..Default::default()
        }
        .apply(base.clone(), 0);
        assert_eq!(off.stop_at_score, None);
        assert_eq!(off.elite_min_ratio, None);
        assert_eq!(off.first_sample_max, None);
        off.validate().unwrap();
        let set = TuneOverrides {
            stop_at_score: Some(0.5),
            ..Default::default()
        }
        .apply(base, 0);
        assert_eq!(set.stop_at_score, Some(0.5));
    }
}
