//! The MACE loop: sample, simulate, score, keep the elites, step on their log-likelihood.

use std::time::Instant;

use candle_core::Tensor;
use rand::{rngs::StdRng, seq::SliceRandom, SeedableRng};

use crate::elite::select_elites;
use crate::report::{IterationStats, Timings, TuneObserver, TuneReport, TuneStatus};
use crate::{Error, Evidence, GenerativeModel, Objective, Result, TuneConfig};

/// IS log importance weights are clamped to ±60 so that w · S · log p stays finite in f32
/// (e^60 ≈ 1e26); the clamp only matters once the model has moved very far from θ0.
const MAX_LOG_WEIGHT: f32 = 60.0;

/// Runs MACE or IS on a model against an evidence.
///
/// ```
/// use mace_core::{toy, NoObserver, Objective, TuneConfig, Tuner};
/// let problem = toy::ToyProblem::standard();
/// let model = problem.prior()?;
/// let cfg = TuneConfig { iterations: 20, ..TuneConfig::toy() };
/// let report = Tuner::new(cfg, Objective::Mace)?.run(&model, &problem.evidence(), &mut NoObserver)?;
/// assert_eq!(report.iterations.len(), 20);
/// # Ok::<(), mace_core::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Tuner {
    config: TuneConfig,
    objective: Objective,
}

/// The current fresh sample, shuffled, with what the objective needs of it.
struct Pool {
    samples: Tensor,
    scores: Vec<f32>,
    /// IS only: log p(x; θ0) − log p(x; θ_{t−1}), fixed at sampling time.
    log_weights: Vec<f32>,
    order: Vec<usize>,
}

impl Pool {
    /// Samples with a positive score.
    fn positives(&self) -> usize {
        self.scores.iter().filter(|&&s| s > 0.0).count()
    }

    /// Appends `other` (a warm-start sample is used whole, so the order is just 0..len).
    fn extend(&mut self, other: Pool) -> Result<()> {
        self.samples = Tensor::cat(&[&self.samples, &other.samples], 0)?;
        self.scores.extend(other.scores);
        self.log_weights.extend(other.log_weights);
        self.order = (0..self.scores.len()).collect();
        Ok(())
    }
}

impl Tuner {
    /// A tuner for `config` and `objective`.
    ///
    /// # Errors
    /// [`Error::Config`] if the configuration is invalid.
    pub fn new(config: TuneConfig, objective: Objective) -> Result<Self> {
        config.validate()?;
        Ok(Self { config, objective })
    }

    /// The configuration.
    pub fn config(&self) -> &TuneConfig {
        &self.config
    }

    /// Tunes `model` in place so that its samples score well under `evidence`.
    ///
    /// Every `grad_steps` iterations a fresh sample of `sample_size` is drawn and scored; each
    /// iteration takes the next mini-batch of `bsz` from it and takes one Adam step:
    /// - MACE: loss = −mean log p(x_e; θ) over the elites x_e (see [`select_elites`]);
    /// - IS: loss = −(1/bsz) Σ_i w_i S_i log p(x_i; θ), w_i = p(x_i; θ0)/p(x_i; θ_{t−1}) constant.
    ///
    /// A batch in which no sample has a positive score carries no evidence: the step is skipped
    /// and recorded with `loss: None`.
    ///
    /// # Errors
    /// - [`Error::Config`] for `keep_best` on a model that exposes no trainable variables;
    /// - [`Error::InvalidScore`] / [`Error::ScoreCount`] if the evidence misbehaves;
    /// - [`Error::NonFiniteLoss`] / [`Error::NonFiniteGradient`]: the run stops and the model keeps
    ///   the parameters of its last finite step;
    /// - model and simulator errors as they come.
    pub fn run<M, E, O>(&self, model: &M, evidence: &E, observer: &mut O) -> Result<TuneReport>
    where
        M: GenerativeModel,
        E: Evidence + ?Sized,
        O: TuneObserver + ?Sized,
    {
        let cfg = &self.config;
        let start = Instant::now();
        let mut rng = StdRng::seed_from_u64(cfg.seed);
        // `keep_best` snapshots the variables; a model with its own optimizer (EM, say) may
        // expose none.
        if cfg.keep_best && model.trainable_vars().is_empty() {
            return Err(Error::Config {
                field: "keep_best",
                value: "true".into(),
                reason: "needs a model with trainable variables to restore (this one fits itself, e.g. by EM)",
            });
        }
        let frozen = match self.objective {
            Objective::Is => Some(model.frozen_copy()?),
            Objective::Mace => None,
        };
        let mut optimizer = model.optimizer(cfg.lr)?;
        let batches_per_sample = cfg.sample_size / cfg.bsz;
        let elite_count = cfg.elite_count(cfg.bsz);

        let mut timings = Timings::default();
        let mut iterations = Vec::with_capacity(cfg.iterations);
        let mut status = TuneStatus::Completed;
        let (mut steps_taken, mut resamples) = (0, 0);
        let mut pool: Option<Pool> = None;
        let mut best: Option<BestParameters> = None;

        for iteration in 0..cfg.iterations {
            if cfg.time_budget().is_some_and(|b| start.elapsed() >= b) {
                status = TuneStatus::TimeBudget;
                break;
            }
            let resampled = iteration % cfg.grad_steps == 0 || pool.is_none();
            if resampled {
                let n = match (resamples, cfg.first_sample_size) {
                    (0, Some(first)) => first,
                    _ => cfg.sample_size,
                };
                optimizer.sync()?;
                let mut fresh =
                    self.draw_pool(model, frozen.as_ref(), evidence, n, &mut rng, &mut timings)?;
                if let (0, Some(max)) = (resamples, cfg.first_sample_max) {
                    if fresh.positives() < elite_count && fresh.scores.len() < max {
                        let more = max - fresh.scores.len();
                        let extra = self.draw_pool(
                            model,
                            frozen.as_ref(),
                            evidence,
                            more,
                            &mut rng,
                            &mut timings,
                        )?;
                        fresh.extend(extra)?;
                    }
                }
                resamples += 1;
                let mean = mean(&fresh.scores);
                pool = Some(fresh);
                if cfg.keep_best && best.as_ref().is_none_or(|b| mean > b.sample_mean) {
                    best = Some(BestParameters::of(model, mean, iteration)?);
                }
                if cfg.stop_at_score.is_some_and(|target| mean >= target) {
                    status = TuneStatus::ReachedScore;
                    break;
                }
            }
            let pool = pool.as_ref().expect("pool drawn above");

            let t_update = Instant::now();
            let batch = if pool.order.len() == cfg.sample_size {
                let slot = (iteration % cfg.grad_steps) % batches_per_sample;
                &pool.order[slot * cfg.bsz..(slot + 1) * cfg.bsz]
            } else {
                // The warm-start sample is one batch: its best ⌈q·bsz⌉ are the first elites.
                &pool.order[..]
            };
            let batch_scores: Vec<f32> = batch.iter().map(|&i| pool.scores[i]).collect();
            let mut elites = select_elites(&batch_scores, elite_count);
            if let Some(ratio) = cfg.elite_min_ratio {
                let best = batch_scores.iter().copied().fold(0.0, f32::max);
                elites.indices.retain(|&j| batch_scores[j] >= ratio * best);
                elites.threshold = elites.threshold.max(ratio * best);
            }
            let (members, weights): (Vec<usize>, Vec<f32>) = match self.objective {
                Objective::Mace => {
                    let members: Vec<usize> = elites.indices.iter().map(|&j| batch[j]).collect();
                    let w = vec![1.0 / members.len().max(1) as f32; members.len()];
                    (members, w)
                }
                Objective::Is => {
                    // Samples with S = 0 contribute exactly zero to Eq. 2: leave them out.
                    let members: Vec<usize> = batch
                        .iter()
                        .copied()
                        .filter(|&i| pool.scores[i] > 0.0)
                        .collect();
                    let coef = members
                        .iter()
                        .map(|&i| {
                            let w = pool.log_weights[i]
                                .clamp(-MAX_LOG_WEIGHT, MAX_LOG_WEIGHT)
                                .exp();
                            // Per sample of the batch (a warm-start batch is larger than bsz).
                            pool.scores[i] * w / batch.len() as f32
                        })
                        .collect();
                    (members, coef)
                }
            };
            let loss = if members.is_empty() {
                None
            } else {
                let index: Vec<u32> = members.iter().map(|&i| i as u32).collect();
                let index = Tensor::from_vec(index, members.len(), pool.samples.device())?;
                let x = pool.samples.index_select(&index, 0)?;
                let value = match optimizer.step(&x, &weights, iteration) {
                    Ok(value) => value,
                    Err(e) => {
                        // The model keeps the parameters of its last finite step (a failed
                        // write-back must not hide the error that stopped the run).
                        let _ = optimizer.sync();
                        return Err(e);
                    }
                };
                steps_taken += 1;
                Some(value)
            };
            timings.update_s += t_update.elapsed().as_secs_f64();

            let stats = IterationStats {
                iteration,
                resampled,
                batch: batch.len(),
                score_mean: mean(&batch_scores),
                score_max: batch_scores
                    .iter()
                    .copied()
                    .fold(f32::NEG_INFINITY, f32::max),
                score_min: batch_scores.iter().copied().fold(f32::INFINITY, f32::min),
                positive_fraction: batch_scores.iter().filter(|&&s| s > 0.0).count() as f32
                    / batch_scores.len().max(1) as f32,
                elite_threshold: elites.threshold,
                elite_count: members.len(),
                loss,
                elapsed_s: start.elapsed().as_secs_f64(),
            };
            observer.on_iteration(&stats);
            iterations.push(stats);
        }
        optimizer.sync()?;
        drop(optimizer);
        let last_sample_mean = pool.as_ref().map_or(0.0, |p| mean(&p.scores));
        let restored_from = match best {
            Some(b) if b.sample_mean > last_sample_mean => Some(b.restore(model)?),
            _ => None,
        };
        timings.total_s = start.elapsed().as_secs_f64();
        Ok(TuneReport {
            restored_from,
            objective: self.objective,
            config: cfg.clone(),
            status,
            steps_taken,
            resamples,
            timings,
            iterations,
        })
    }

    /// Draws and scores a fresh sample; for IS also its log importance weights.
    fn draw_pool<M: GenerativeModel, E: Evidence + ?Sized>(
        &self,
        model: &M,
        frozen: Option<&M>,
        evidence: &E,
        n: usize,
        rng: &mut StdRng,
        timings: &mut Timings,
    ) -> Result<Pool> {
        let t = Instant::now();
        let samples = model.sample(n, rng)?;
        let got = samples.dims().first().copied().unwrap_or(0);
        if got != n {
            return Err(Error::ShapeMismatch {
                op: "GenerativeModel::sample",
                expected: format!("({n}, …)"),
                got: format!("{:?}", samples.dims()),
            });
        }
        let log_weights = match frozen {
            Some(frozen) => {
                let log_p0 = frozen.log_prob_detached(&samples)?;
                let log_p = model.log_prob_detached(&samples)?;
                log_p0.iter().zip(&log_p).map(|(a, b)| a - b).collect()
            }
            None => Vec::new(),
        };
        timings.sample_s += t.elapsed().as_secs_f64();

        let t = Instant::now();
        let scores = evidence.evaluate(&samples)?;
        timings.simulate_s += t.elapsed().as_secs_f64();
        validate_scores(&scores, n)?;

        let mut order: Vec<usize> = (0..n).collect();
        if self.config.bsz < n {
            order.shuffle(rng);
        }
        Ok(Pool {
            samples,
            scores,
            log_weights,
            order,
        })
    }
}

/// A copy of the trainable parameters under which a fresh sample scored `sample_mean`.
struct BestParameters {
    values: Vec<Tensor>,
    sample_mean: f32,
    iteration: usize,
}

impl BestParameters {
    fn of<M: GenerativeModel>(model: &M, sample_mean: f32, iteration: usize) -> Result<Self> {
        let values = model
            .trainable_vars()
            .iter()
            .map(|v| v.as_tensor().copy())
            .collect::<candle_core::Result<_>>()?;
        Ok(Self {
            values,
            sample_mean,
            iteration,
        })
    }

    /// Writes the copy back into `model`'s variables; returns the iteration it was taken at.
    fn restore<M: GenerativeModel>(self, model: &M) -> Result<usize> {
        for (var, value) in model.trainable_vars().iter().zip(&self.values) {
            var.set(value)?;
        }
        Ok(self.iteration)
    }
}

/// Checks that there is one score per sample and that each is finite and in [0, 1].
pub(crate) fn validate_scores(scores: &[f32], expected: usize) -> Result<()> {
    if scores.len() != expected {
        return Err(Error::ScoreCount {
            expected,
            got: scores.len(),
        });
    }
    match scores.iter().position(|s| !(0.0..=1.0).contains(s)) {
        Some(index) => Err(Error::InvalidScore {
            index,
            value: scores[index],
        }),
        None => Ok(()),
    }
}

fn mean(xs: &[f32]) -> f32 {
    crate::stats::mean_f32(xs)
}
