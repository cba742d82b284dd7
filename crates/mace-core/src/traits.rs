//! The three ideas the tuner knows: a generative model, a simulator and a score.
//!
//! Samples travel as candle [`Tensor`]s whose first dimension is the batch: `(n, …)`.
//! A simulator turns a batch of samples into a batch of observations; a score compares each
//! simulated observation with the one observation the robot made. [`Evidence`] composes the two
//! into the single call the tuner makes per iteration: samples in, one score in [0, 1] per sample out.

use candle_core::{Tensor, Var};
use rand::rngs::StdRng;

use crate::Result;

/// A parametric distribution p(x; θ) that tuning may move.
///
/// Implementations hold their parameters as candle [`Var`]s; conditional models keep their
/// context (for example an IK target) inside and are conditioned before tuning starts.
pub trait GenerativeModel {
    /// Draws `n` samples, shape `(n, …)`, detached from the autograd graph.
    ///
    /// All randomness must come from `rng` so that a seed reproduces a run.
    ///
    /// # Errors
    /// Whatever the model's tensor code raises.
    fn sample(&self, n: usize, rng: &mut StdRng) -> Result<Tensor>;

    /// Log-likelihood (or a lower bound such as the ELBO) of each sample, shape `(n,)`, in nats.
    ///
    /// Must be differentiable with respect to [`Self::trainable_vars`].
    ///
    /// # Errors
    /// A batch of the wrong shape, or whatever the model's tensor code raises.
    fn log_prob(&self, samples: &Tensor) -> Result<Tensor>;

    /// The same log-likelihoods as [`Self::log_prob`], without autograd, as plain values `(n,)`.
    ///
    /// The importance-sampling objective evaluates every fresh sample under θ0 and θ_{t−1};
    /// models with a faster gradient-free path should override this.
    ///
    /// # Errors
    /// As [`Self::log_prob`].
    fn log_prob_detached(&self, samples: &Tensor) -> Result<Vec<f32>> {
        Ok(self
            .log_prob(samples)?
            .detach()
            .to_dtype(candle_core::DType::F32)?
            .to_vec1::<f32>()?)
    }

    /// The variables the tuner may move (θ). The tuner never touches any other weight.
    fn trainable_vars(&self) -> Vec<Var>;

    /// A copy whose parameters are independent of `self`: tuning `self` leaves the copy at θ0.
    /// The importance-sampling objective needs it to evaluate p(x; θ0).
    ///
    /// # Errors
    /// Whatever copying the tensors raises.
    fn frozen_copy(&self) -> Result<Self>
    where
        Self: Sized;

    /// An optimiser that moves [`Self::trainable_vars`] with Adam at learning rate `lr`.
    ///
    /// The default differentiates [`Self::log_prob`] with candle's autograd; models with a
    /// faster hand-written gradient override it.
    ///
    /// # Errors
    /// Whatever setting up the optimiser raises.
    fn optimizer(&self, lr: f64) -> Result<Box<dyn ModelOptimizer + '_>>
    where
        Self: Sized,
    {
        Ok(Box::new(AutogradAdam::new(self, lr)?))
    }
}

/// Takes optimiser steps on a model's trainable variables.
pub trait ModelOptimizer {
    /// One step on the loss −Σ_i w_i log p(x_i; θ) over `samples` `(k, …)` with `weights` (one
    /// per sample, ≥ 0); returns the loss before the step.
    ///
    /// # Errors
    /// [`crate::Error::NonFiniteLoss`] / [`crate::Error::NonFiniteGradient`] with `iteration`:
    /// the step is then **not** applied, so the model keeps its last finite parameters.
    fn step(&mut self, samples: &Tensor, weights: &[f32], iteration: usize) -> Result<f64>;

    /// Makes the model's variables reflect every step taken so far. Optimisers that keep their
    /// own copy of the weights may defer writing them back until this is called; the tuner
    /// calls it before it samples or reads the variables. The default does nothing.
    ///
    /// # Errors
    /// Whatever writing the variables raises.
    fn sync(&mut self) -> Result<()> {
        Ok(())
    }
}

/// The default [`ModelOptimizer`]: candle autograd through [`GenerativeModel::log_prob`] and
/// AdamW without weight decay (= Adam).
pub struct AutogradAdam<'a, M: GenerativeModel> {
    model: &'a M,
    vars: Vec<Var>,
    adam: candle_nn::AdamW,
}

impl<M: GenerativeModel> std::fmt::Debug for AutogradAdam<'_, M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AutogradAdam")
            .field("vars", &self.vars.len())
            .finish()
    }
}

impl<'a, M: GenerativeModel> AutogradAdam<'a, M> {
    /// Adam over `model`'s trainable variables.
    ///
    /// # Errors
    /// [`crate::Error::NoTrainableVars`] if the model exposes none.
    pub fn new(model: &'a M, lr: f64) -> Result<Self> {
        let vars = model.trainable_vars();
        if vars.is_empty() {
            return Err(crate::Error::NoTrainableVars);
        }
        let params = candle_nn::ParamsAdamW {
            lr,
            weight_decay: 0.0,
            ..Default::default()
        };
        let adam = <candle_nn::AdamW as candle_nn::Optimizer>::new(vars.clone(), params)?;
        Ok(Self { model, vars, adam })
    }
}

impl<M: GenerativeModel> ModelOptimizer for AutogradAdam<'_, M> {
    fn step(&mut self, samples: &Tensor, weights: &[f32], iteration: usize) -> Result<f64> {
        use candle_nn::Optimizer;
        let log_p = self.model.log_prob(samples)?;
        let w = Tensor::from_slice(weights, weights.len(), samples.device())?
            .to_dtype(log_p.dtype())?;
        let loss = (log_p * w)?.sum_all()?.neg()?;
        let value = loss.to_dtype(candle_core::DType::F64)?.to_scalar::<f64>()?;
        if !value.is_finite() {
            return Err(crate::Error::NonFiniteLoss {
                iteration,
                loss: value,
            });
        }
        let grads = loss.backward()?;
        for (variable, var) in self.vars.iter().enumerate() {
            if let Some(g) = grads.get(var.as_tensor()) {
                let total = g
                    .sum_all()?
                    .to_dtype(candle_core::DType::F64)?
                    .to_scalar::<f64>()?;
                if !total.is_finite() {
                    return Err(crate::Error::NonFiniteGradient {
                        iteration,
                        variable,
                    });
                }
            }
        }
        self.adam.step(&grads)?;
        Ok(value)
    }
}

/// The forward simulator p̂(o | x): what a sample would look like to the robot.
pub trait Simulator {
    /// A batch of simulated observations, one per sample, in whatever layout suits the domain.
    type Observation;

    /// Simulates every sample of the batch `(n, …)`.
    ///
    /// # Errors
    /// Samples the simulator cannot handle (wrong shape, NaN), or its own failures.
    fn simulate(&self, samples: &Tensor) -> Result<Self::Observation>;
}

/// The similarity S(o', o) ∈ [0, 1] between simulated observations o' and the real observation o.
pub trait Score<O> {
    /// One score per simulated observation, each in [0, 1] (1 = matches the observation).
    ///
    /// # Errors
    /// Observations the score cannot compare.
    fn score(&self, simulated: &O) -> Result<Vec<f32>>;
}

/// Maps a batch of samples to their scores: what the tuner calls once per fresh sample.
pub trait Evidence {
    /// Scores of a batch `(n, …)`: a vector of length `n`, each in [0, 1].
    ///
    /// The tuner validates the result and reports the index of any NaN or out-of-range value.
    ///
    /// # Errors
    /// Whatever the simulator or the score raise.
    fn evaluate(&self, samples: &Tensor) -> Result<Vec<f32>>;
}

/// A simulator and a score composed into an [`Evidence`], kept separable as in the paper:
/// one simulator can serve several scores.
#[derive(Debug, Clone)]
pub struct SimulatedEvidence<Sim, Sc> {
    /// The forward simulator.
    pub simulator: Sim,
    /// The score comparing simulated observations with the real one.
    pub score: Sc,
}

impl<Sim, Sc> SimulatedEvidence<Sim, Sc> {
    /// Composes `simulator` and `score`.
    pub fn new(simulator: Sim, score: Sc) -> Self {
        Self { simulator, score }
    }
}

impl<Sim, Sc> Evidence for SimulatedEvidence<Sim, Sc>
where
    Sim: Simulator,
    Sc: Score<Sim::Observation>,
{
    fn evaluate(&self, samples: &Tensor) -> Result<Vec<f32>> {
        let observations = self.simulator.simulate(samples)?;
        self.score.score(&observations)
    }
}

impl<E: Evidence + ?Sized> Evidence for &E {
    fn evaluate(&self, samples: &Tensor) -> Result<Vec<f32>> {
        (**self).evaluate(samples)
    }
}
