//! Collision-free IK solve methods for one TCP target (a position, or a pose: see
//! [`IkTarget`]): `prior` (best of batches of
//! samples from a generative prior), `numeric` (damped least squares with random restarts, the
//! [`IkSolver`]) and `hybrid` (the best prior samples refined by the numeric IK).
//!
//! The prior is any sampler closure `FnMut(target, n, &mut StdRng) -> Vec<f32>` returning `n`
//! configurations `(n, dof)` row-major (rad), so this crate does not depend on the models crate
//! (`target` is the position for [`Solver::solve`], the [`IkTarget`] for
//! [`Solver::solve_target`]).
//! Every answer is checked against the [`CollisionModel`] (self, scene boxes, ground: the
//! reference's mesh hulls, exactly) and, with a [`SolveConfig::clearance`] > 0, also against a
//! safety margin on the signed distances ([`CollisionModel::distances_below`]). All solves are
//! bounded by [`SolveConfig::time_budget`] and
//! never hang; seeded randomness makes `prior` and `hybrid` reproducible for a given seed (up to
//! the time budget cutting a run short).
//!
//! # Example
//! ```
//! use mace_robot::solve::{Method, SolveConfig, SolveStatus, Solver};
//! use mace_robot::{CollisionModel, KinematicChain, Scene};
//! use rand::{rngs::StdRng, SeedableRng};
//! let chain = KinematicChain::panda();
//! let scene = Scene::by_name("box")?;
//! let solver = Solver::new(CollisionModel::new(&chain, &scene), SolveConfig::default());
//! // A toy "prior": uniform random configurations.
//! let c = chain.clone();
//! let mut sampler = move |_t: [f32; 3], n: usize, rng: &mut StdRng| c.sample_uniform(n, rng);
//! let r = solver.solve(Method::Hybrid, scene.target, &mut sampler, &mut StdRng::seed_from_u64(1))?;
//! assert_eq!(r.status, SolveStatus::Solved);
//! assert!(r.error <= 1e-4 && r.collision_free);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod config;
mod hybrid;
mod numeric;
#[cfg(test)]
mod pose_tests;
mod prior;
mod report;
#[cfg(test)]
mod tests;
mod work;

use rand::rngs::StdRng;

use crate::collision::CollisionModel;
use crate::error::Result;
use crate::math::Vec3;
use crate::target::IkTarget;

pub use config::{Method, SolveConfig};
pub use report::{SolveReport, SolveStatus};

/// Solves collision-free IK for TCP position targets with the three [`Method`]s.
#[derive(Debug, Clone)]
pub struct Solver {
    model: CollisionModel,
    config: SolveConfig,
}

impl Solver {
    /// A solver for `model`'s chain in its scene.
    pub fn new(model: CollisionModel, config: SolveConfig) -> Solver {
        Solver { model, config }
    }

    /// The options.
    pub fn config(&self) -> &SolveConfig {
        &self.config
    }

    /// The collision model.
    pub fn model(&self) -> &CollisionModel {
        &self.model
    }

    /// Solves for `target` (metres, base frame) with `method`; `sampler(target, n, rng)` must
    /// return `n × dof` joint values (rad, row-major) and is not called by [`Method::Numeric`].
    ///
    /// # Errors
    /// [`Error::NonFiniteTarget`], [`Error::InvalidSolveConfig`], or
    /// [`Error::BadSamples`] if the sampler returns a batch of the wrong length.
    pub fn solve<F>(
        &self,
        method: Method,
        target: Vec3,
        sampler: &mut F,
        rng: &mut StdRng,
    ) -> Result<SolveReport>
    where
        F: FnMut(Vec3, usize, &mut StdRng) -> Vec<f32> + Send + ?Sized,
    {
        let mut by_position =
            |t: &IkTarget, n: usize, rng: &mut StdRng| sampler(t.position, n, rng);
        self.solve_target(method, &IkTarget::position(target), &mut by_position, rng)
    }

    /// Like [`Solver::solve`] for a position or pose target; `sampler(target, n, rng)` gets the
    /// whole target (a pose prior conditions on the orientation too). A pose answer must also
    /// be within the rotation tolerance ([`crate::IkConfig::rotation_tolerance`]
    /// of [`SolveConfig::ik`]).
    ///
    /// # Errors
    /// As [`Solver::solve`].
    pub fn solve_target<F>(
        &self,
        method: Method,
        target: &IkTarget,
        sampler: &mut F,
        rng: &mut StdRng,
    ) -> Result<SolveReport>
    where
        F: FnMut(&IkTarget, usize, &mut StdRng) -> Vec<f32> + Send + ?Sized,
    {
        match method {
            Method::Prior => self.best_of_batches(Method::Prior, target, sampler, rng),
            Method::Mace => self.best_of_batches(Method::Mace, target, sampler, rng),
            Method::Numeric => self.numeric(target, rng),
            Method::Hybrid => self.hybrid(target, sampler, rng),
        }
    }
}
