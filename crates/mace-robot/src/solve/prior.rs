//! [`Method::Prior`] and [`Method::Mace`]: the best collision-free sample of batches drawn from
//! a sampler.

use std::time::Instant;

use rand::rngs::StdRng;

use crate::error::Result;
use crate::math::Vec3;
use crate::target::IkTarget;

use super::work::Candidate;
use super::{Method, SolveReport, Solver};

impl Solver {
    /// [`Method::Prior`]: draws up to [`SolveConfig::max_batches`] batches of
    /// [`SolveConfig::batch_size`] samples and returns the collision-free one with the lowest TCP
    /// error (stopping early at [`SolveConfig::prior_stop`] or the budget).
    ///
    /// # Errors
    /// As [`Solver::solve`].
    pub fn solve_prior<F>(
        &self,
        target: Vec3,
        sampler: &mut F,
        rng: &mut StdRng,
    ) -> Result<SolveReport>
    where
        F: FnMut(Vec3, usize, &mut StdRng) -> Vec<f32> + ?Sized,
    {
        let mut by_position =
            |t: &IkTarget, n: usize, rng: &mut StdRng| sampler(t.position, n, rng);
        self.best_of_batches(
            Method::Prior,
            &IkTarget::position(target),
            &mut by_position,
            rng,
        )
    }

    /// The best-of-batches search of [`Method::Prior`] and [`Method::Mace`], reported as
    /// `method`. Samples rank by cost (position error + rotation weight × rotation error,
    /// metres), which [`SolveConfig::prior_stop`] and [`SolveConfig::prior_accept`] bound.
    pub(super) fn best_of_batches<F>(
        &self,
        method: Method,
        target: &IkTarget,
        sampler: &mut F,
        rng: &mut StdRng,
    ) -> Result<SolveReport>
    where
        F: FnMut(&IkTarget, usize, &mut StdRng) -> Vec<f32> + ?Sized,
    {
        self.check(target)?;
        let mut w = self.work_from(Instant::now());
        for b in 0..self.config.max_batches {
            if b > 0 && self.over_budget(&w) {
                break;
            }
            let q = self.draw(target, self.config.batch_size, sampler, rng, &mut w)?;
            let dof = self.dof();
            // Nearly every sample may collide (the box: 99.7%), so the whole batch is checked
            // at once on all cores rather than one candidate at a time (a batch with a
            // non-finite value falls back to the one-by-one check, which skips such rows).
            let collides = self.model.collides_batch(&q).ok();
            for (m, i) in self.ranked(target, &q, &mut w) {
                if w.best_free.as_ref().is_some_and(|c| m.cost >= c.m.cost) {
                    break;
                }
                let row = &q[i * dof..(i + 1) * dof];
                if collides.as_ref().is_none_or(|c| !c[i]) && self.acceptable(row, &mut w) {
                    w.best_free = Some(Candidate { m, q: row.to_vec() });
                    break;
                }
            }
            if w.best_free
                .as_ref()
                .is_some_and(|c| c.m.cost <= self.config.prior_stop)
            {
                break;
            }
        }
        w.solved = w
            .best_free
            .as_ref()
            .is_some_and(|c| c.m.cost <= self.config.prior_accept);
        Ok(self.finish(method, target, w))
    }
}
