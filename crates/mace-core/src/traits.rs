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
