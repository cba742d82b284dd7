//! Edge cases of the tuner: each has a defined, tested behaviour.

use std::cell::Cell;

use candle_core::{Device, Tensor, Var};
use mace_core::toy::ToyProblem;
use mace_core::{
    Error, Evidence, GenerativeModel, ModelOptimizer, NoObserver, Objective, TuneConfig,
    TuneStatus, Tuner,
};
use rand::rngs::StdRng;

/// Evidence returning the same score for every sample.
struct Constant(f32);

impl Evidence for Constant {
    fn evaluate(&self, samples: &Tensor) -> mace_core::Result<Vec<f32>> {
        Ok(vec![self.0; samples.dims()[0]])
    }
}

/// Evidence returning fixed scores (must match the sample size).
struct Fixed(Vec<f32>);

impl Evidence for Fixed {
    fn evaluate(&self, _samples: &Tensor) -> mace_core::Result<Vec<f32>> {
        Ok(self.0.clone())
    }
}

fn small(iterations: usize) -> TuneConfig {
    TuneConfig {
        iterations,
        sample_size: 64,
        bsz: 64,
        grad_steps: 1,
        quantile: 0.25,
        lr: 0.01,
        ..TuneConfig::default()
    }
}

fn means(model: &mace_core::toy::GaussianMixture2d) -> Vec<[f32; 2]> {
    model.components().unwrap().iter().map(|c| c.mean).collect()
}

#[test]
fn all_zero_scores_skip_every_step_and_leave_the_model_unchanged() {
    let model = ToyProblem::standard().prior().unwrap();
    let before = means(&model);
    let report = Tuner::new(small(5), Objective::Mace)
        .unwrap()
        .run(&model, &Constant(0.0), &mut NoObserver)
        .unwrap();
    assert_eq!(report.steps_taken, 0);
    assert!(report
        .iterations
        .iter()
        .all(|s| s.loss.is_none() && s.elite_count == 0 && s.positive_fraction == 0.0));
    assert_eq!(means(&model), before);
}

#[test]
fn positive_fraction_counts_the_positive_scores_of_the_batch() {
    let model = ToyProblem::standard().prior().unwrap();
    let scores: Vec<f32> = (0..64)
        .map(|i| if i % 4 == 0 { 0.7 } else { 0.0 })
        .collect();
    let report = Tuner::new(small(2), Objective::Mace)
        .unwrap()
        .run(&model, &Fixed(scores), &mut NoObserver)
        .unwrap();
    assert!(report
        .iterations
        .iter()
        .all(|s| s.positive_fraction == 0.25));
}

#[test]
fn equal_positive_scores_keep_every_sample_as_an_elite() {
    let model = ToyProblem::standard().prior().unwrap();
    let report = Tuner::new(small(3), Objective::Mace)
        .unwrap()
        .run(&model, &Constant(0.5), &mut NoObserver)
        .unwrap();
    assert_eq!(report.steps_taken, 3);
    assert!(report
        .iterations
        .iter()
        .all(|s| s.elite_count == 64 && s.elite_threshold == 0.5 && s.positive_fraction == 1.0));
}

#[test]
fn a_nan_score_is_an_error_naming_the_sample() {
    let model = ToyProblem::standard().prior().unwrap();
    let mut scores = vec![0.5; 64];
    scores[17] = f32::NAN;
    let err = Tuner::new(small(2), Objective::Mace)
        .unwrap()
        .run(&model, &Fixed(scores), &mut NoObserver)
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidScore { index: 17, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("sample 17"), "{err}");
}

#[test]
fn an_out_of_range_score_is_an_error_naming_the_sample() {
    let model = ToyProblem::standard().prior().unwrap();
    let mut scores = vec![0.5; 64];
    scores[3] = 1.5;
    let err = Tuner::new(small(2), Objective::Is)
        .unwrap()
        .run(&model, &Fixed(scores), &mut NoObserver)
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidScore { index: 3, value } if value == 1.5),
        "{err}"
    );
}

#[test]
fn a_wrong_number_of_scores_is_an_error() {
    let model = ToyProblem::standard().prior().unwrap();
    let err = Tuner::new(small(1), Objective::Mace)
        .unwrap()
        .run(&model, &Fixed(vec![0.5; 10]), &mut NoObserver)
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::ScoreCount {
                expected: 64,
                got: 10
            }
        ),
        "{err}"
    );
}

#[test]
fn config_errors_are_returned_not_panics() {
    for (cfg, field) in [
        (
            TuneConfig {
                quantile: 0.0,
                ..small(1)
            },
            "quantile",
        ),
        (
            TuneConfig {
                quantile: 1.01,
                ..small(1)
            },
            "quantile",
        ),
        (
            TuneConfig {
                bsz: 65,
                ..small(1)
            },
            "bsz",
        ),
        (
            TuneConfig {
                iterations: 0,
                ..small(1)
            },
            "iterations",
        ),
    ] {
        match Tuner::new(cfg, Objective::Mace) {
            Err(Error::Config { field: f, .. }) => assert_eq!(f, field),
            other => panic!("expected a config error on {field}, got {other:?}"),
        }
    }
}

#[test]
fn quantile_one_uses_the_whole_batch() {
    let problem = ToyProblem::standard();
    let model = problem.prior().unwrap();
    let cfg = TuneConfig {
        quantile: 1.0,
        ..small(2)
    };
    let report = Tuner::new(cfg, Objective::Mace)
        .unwrap()
        .run(&model, &problem.evidence(), &mut NoObserver)
        .unwrap();
    // Every sample has a positive score under the toy evidence (exp(−d/τ) may underflow to 0 far away).
    assert!(report.iterations.iter().all(|s| s.elite_count > 0));
}

/// A one-parameter model: samples are fixed rows; log p(x) = −a² − Σx · a, so that a sample
/// holding ∞ makes the loss non-finite. From the `poison_at`-th draw on, sample 0 is +∞.
struct Poisonable {
    a: Var,
    draws: Cell<usize>,
    poison_at: usize,
}

impl GenerativeModel for Poisonable {
    fn sample(&self, n: usize, _rng: &mut StdRng) -> mace_core::Result<Tensor> {
        let draw = self.draws.get();
        self.draws.set(draw + 1);
        let mut v = vec![1.0f32; n];
        if draw >= self.poison_at {
            v[0] = f32::INFINITY;
        }
        Ok(Tensor::from_vec(v, (n, 1), &Device::Cpu)?)
    }
    fn log_prob(&self, x: &Tensor) -> mace_core::Result<Tensor> {
        let a = self.a.as_tensor();
        let lin = x.sum(1)?.broadcast_mul(a)?;
        Ok(lin.neg()?.broadcast_sub(&a.sqr()?)?)
    }
    fn trainable_vars(&self) -> Vec<Var> {
        vec![self.a.clone()]
    }
    fn frozen_copy(&self) -> mace_core::Result<Self> {
        Ok(Self {
            a: Var::from_tensor(&self.a.as_tensor().copy()?)?,
            draws: Cell::new(0),
            poison_at: usize::MAX,
        })
    }
}

#[test]
fn a_non_finite_loss_stops_the_run_and_keeps_the_last_finite_parameters() {
    let model = Poisonable {
        a: Var::from_vec(vec![0.3f32], 1, &Device::Cpu).unwrap(),
        draws: Cell::new(0),
        poison_at: 3,
    };
    // Sample 0 gets the best score, so it is always an elite.
    let mut scores = vec![0.1; 64];
    scores[0] = 0.9;
    let cfg = small(10);
    let tuner = Tuner::new(cfg, Objective::Mace).unwrap();
    let mut finished = Vec::new();
    let mut observer = |_: &mace_core::IterationStats| finished.push(());
    let err = tuner
        .run(&model, &Fixed(scores), &mut observer)
        .unwrap_err();
    assert!(
        matches!(err, Error::NonFiniteLoss { iteration: 3, .. }),
        "{err}"
    );
    assert_eq!(
        finished.len(),
        3,
        "three finite iterations ran before the failure"
    );
    let a = model.a.as_tensor().to_vec1::<f32>().unwrap()[0];
    assert!(
        a.is_finite() && a != 0.3,
        "parameters moved during the finite steps and stayed finite: {a}"
    );
}

#[test]
fn the_time_budget_and_the_score_target_stop_the_run() {
    let problem = ToyProblem::standard();
    let model = problem.prior().unwrap();
    let cfg = TuneConfig {
        time_budget_s: Some(1e-9),
        ..TuneConfig::toy()
    };
    let report = Tuner::new(cfg, Objective::Mace)
        .unwrap()
        .run(&model, &problem.evidence(), &mut NoObserver)
        .unwrap();
    assert_eq!(report.status, TuneStatus::TimeBudget);
    assert!(report.iterations.is_empty());

    let model = problem.prior().unwrap();
    let cfg = TuneConfig {
        stop_at_score: Some(0.5),
        ..TuneConfig::toy()
    };
    let report = Tuner::new(cfg, Objective::Mace)
        .unwrap()
        .run(&model, &problem.evidence(), &mut NoObserver)
        .unwrap();
    assert_eq!(report.status, TuneStatus::ReachedScore);
    assert!(report.iterations.len() < 300);
}

#[test]
fn a_model_returning_the_wrong_batch_size_is_an_error() {
    struct Short(Var);
    impl GenerativeModel for Short {
        fn sample(&self, n: usize, _rng: &mut StdRng) -> mace_core::Result<Tensor> {
            Ok(Tensor::zeros(
                (n - 1, 2),
                candle_core::DType::F32,
                &Device::Cpu,
            )?)
        }
        fn log_prob(&self, x: &Tensor) -> mace_core::Result<Tensor> {
            Ok(x.sum(1)?)
        }
        fn trainable_vars(&self) -> Vec<Var> {
            vec![self.0.clone()]
        }
        fn frozen_copy(&self) -> mace_core::Result<Self> {
            Ok(Short(self.0.clone()))
        }
    }
    let model = Short(Var::zeros(1, candle_core::DType::F32, &Device::Cpu).unwrap());
    let err = Tuner::new(small(1), Objective::Mace)
        .unwrap()
        .run(&model, &Constant(0.5), &mut NoObserver)
        .unwrap_err();
    assert!(matches!(err, Error::ShapeMismatch { .. }), "{err}");
}

#[test]
fn a_warm_start_sample_is_used_whole_as_the_first_batch() {
    let problem = ToyProblem::standard();
    let model = problem.prior().unwrap();
    let cfg = TuneConfig {
        first_sample_size: Some(500),
        grad_steps: 2,
        ..small(4)
    };
    let mut sizes = Vec::new();
    let mut observer = |s: &mace_core::IterationStats| sizes.push(s.batch);
    let report = Tuner::new(cfg, Objective::Mace)
        .unwrap()
        .run(&model, &problem.evidence(), &mut observer)
        .unwrap();
    assert_eq!(report.resamples, 2);
    assert_eq!(sizes, vec![500, 500, 64, 64]);
}

#[test]
fn the_elite_window_drops_elites_far_below_the_best_of_the_batch() {
    let model = ToyProblem::standard().prior().unwrap();
    // 16 elites by quantile; of them only the scores ≥ 0.9 × 1.0 are close enough to the best.
    let mut scores = vec![0.5; 64];
    scores[..5].copy_from_slice(&[1.0, 0.95, 0.91, 0.89, 0.6]);
    let run = |ratio| {
        let cfg = TuneConfig {
            elite_min_ratio: ratio,
            ..small(1)
        };
        Tuner::new(cfg, Objective::Mace)
            .unwrap()
            .run(&model, &Fixed(scores.clone()), &mut NoObserver)
            .unwrap()
            .iterations[0]
            .elite_count
    };
    assert_eq!(run(Some(0.9)), 3);
    // Without the window, the threshold 0.5 admits every sample tied at it.
    assert_eq!(run(None), 64);
}

/// Evidence whose first call scores every sample 1 and every later call 0.5: the tuner's
/// best fresh sample is the first one.
struct Worsening(Cell<usize>);

impl Evidence for Worsening {
    fn evaluate(&self, samples: &Tensor) -> mace_core::Result<Vec<f32>> {
        let calls = self.0.get();
        self.0.set(calls + 1);
        Ok(vec![if calls == 0 { 1.0 } else { 0.5 }; samples.dims()[0]])
    }
}

#[test]
fn keep_best_restores_the_parameters_of_the_best_fresh_sample() {
    let run = |keep_best| {
        let model = ToyProblem::standard().prior().unwrap();
        let before = means(&model);
        let cfg = TuneConfig {
            keep_best,
            ..small(6)
        };
        let report = Tuner::new(cfg, Objective::Mace)
            .unwrap()
            .run(&model, &Worsening(Cell::new(0)), &mut NoObserver)
            .unwrap();
        assert_eq!(report.steps_taken, 6);
        (before, means(&model), report.restored_from)
    };
    let (before, after, restored) = run(true);
    assert_eq!(restored, Some(0));
    assert_eq!(
        after, before,
        "the parameters the first sample was drawn with"
    );
    let (before, after, restored) = run(false);
    assert_eq!(restored, None);
    assert_ne!(after, before);
}

/// Evidence scoring 1 the first `k` samples of every call, 0 the rest.
struct FirstK(usize);

impl Evidence for FirstK {
    fn evaluate(&self, samples: &Tensor) -> mace_core::Result<Vec<f32>> {
        let n = samples.dims()[0];
        Ok((0..n).map(|i| if i < self.0 { 1.0 } else { 0.0 }).collect())
    }
}

#[test]
fn the_adaptive_warm_start_applies_only_where_positive_scores_are_scarce() {
    let first_batch = |positives_per_draw, max| {
        let model = ToyProblem::standard().prior().unwrap();
        let cfg = TuneConfig {
            first_sample_max: Some(max),
            grad_steps: 2,
            ..small(3)
        };
        let mut sizes = Vec::new();
        let mut observer = |s: &mace_core::IterationStats| sizes.push(s.batch);
        Tuner::new(cfg, Objective::Mace)
            .unwrap()
            .run(&model, &FirstK(positives_per_draw), &mut observer)
            .unwrap();
        sizes
    };
    // 16 elites wanted (q = 0.25 of 64): 5 positives in the first 64 are too few, so the first
    // sample is topped up to the maximum.
    assert_eq!(first_batch(5, 1000), vec![1000, 1000, 64]);
    assert_eq!(first_batch(15, 150), vec![150, 150, 64]);
    // Enough positives at once: no warm start at all.
    assert_eq!(first_batch(16, 1000), vec![64, 64, 64]);
}

/// A one-parameter model whose optimiser keeps its own copy and writes it back only on
/// `sync` (as the AR-GMM's hand-written Adam does); each step adds 1, the third one fails.
struct Deferred {
    a: Var,
}

struct DeferringOptimizer<'a> {
    var: &'a Var,
    value: f32,
    steps: usize,
}

impl ModelOptimizer for DeferringOptimizer<'_> {
    fn step(&mut self, _x: &Tensor, _w: &[f32], iteration: usize) -> mace_core::Result<f64> {
        self.steps += 1;
        if self.steps == 3 {
            return Err(Error::NonFiniteLoss {
                iteration,
                loss: f64::NAN,
            });
        }
        self.value += 1.0;
        Ok(0.0)
    }
    fn sync(&mut self) -> mace_core::Result<()> {
        self.var
            .set(&Tensor::from_vec(vec![self.value], 1, &Device::Cpu)?)?;
        Ok(())
    }
}

impl GenerativeModel for Deferred {
    fn sample(&self, n: usize, _rng: &mut StdRng) -> mace_core::Result<Tensor> {
        Ok(Tensor::zeros(
            (n, 1),
            candle_core::DType::F32,
            &Device::Cpu,
        )?)
    }
    fn log_prob(&self, x: &Tensor) -> mace_core::Result<Tensor> {
        Ok(x.sum(1)?)
    }
    fn trainable_vars(&self) -> Vec<Var> {
        vec![self.a.clone()]
    }
    fn frozen_copy(&self) -> mace_core::Result<Self> {
        Ok(Self {
            a: Var::from_tensor(&self.a.as_tensor().copy()?)?,
        })
    }
    fn optimizer(&self, _lr: f64) -> mace_core::Result<Box<dyn ModelOptimizer + '_>> {
        Ok(Box::new(DeferringOptimizer {
            var: &self.a,
            value: 0.0,
            steps: 0,
        }))
    }
}

#[test]
fn a_failed_step_still_writes_back_the_finite_steps_of_a_deferring_optimiser() {
    let model = Deferred {
        a: Var::zeros(1, candle_core::DType::F32, &Device::Cpu).unwrap(),
    };
    // One sample for all steps: the two finite steps are not yet written back when the third
    // fails.
    let cfg = TuneConfig {
        grad_steps: 8,
        ..small(8)
    };
    let err = Tuner::new(cfg, Objective::Mace)
        .unwrap()
        .run(&model, &Constant(0.5), &mut NoObserver)
        .unwrap_err();
    assert!(matches!(err, Error::NonFiniteLoss { .. }), "{err}");
    assert_eq!(model.a.as_tensor().to_vec1::<f32>().unwrap(), vec![2.0]);
}
