//! [`Method::Numeric`]: damped-least-squares IK with random restarts, on one or two cores.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};

use crate::error::Result;
use crate::math::Vec3;
use crate::target::IkTarget;

use super::config::RESTART_CHUNK;
use super::work::{merge, Work};
use super::{Method, SolveReport, Solver};

impl Solver {
    /// [`Method::Numeric`]: the [`IkSolver`] with random restarts until a collision-free
    /// configuration within [`SolveConfig::tolerance`] (and the clearance) or the budget. With
    /// [`SolveConfig::parallel`], two restart streams run at once (the first to succeed wins).
    ///
    /// # Errors
    /// As [`Solver::solve`].
    pub fn solve_numeric(&self, target: Vec3, rng: &mut StdRng) -> Result<SolveReport> {
        self.numeric(&IkTarget::position(target), rng)
    }

    /// [`Solver::solve_numeric`] for a position or pose target.
    pub(super) fn numeric(&self, target: &IkTarget, rng: &mut StdRng) -> Result<SolveReport> {
        self.check(target)?;
        let start = Instant::now();
        let stop = AtomicBool::new(false);
        let w = if self.parallel() {
            let mut rng_b = StdRng::seed_from_u64(rng.next_u64());
            let (a, b) = rayon::join(
                || self.restart_stream(target, rng, &stop, start),
                || self.restart_stream(target, &mut rng_b, &stop, start),
            );
            merge(a, b)
        } else {
            self.restart_stream(target, rng, &stop, start)
        };
        Ok(self.finish(Method::Numeric, target, w))
    }

    fn parallel(&self) -> bool {
        self.config.parallel && rayon::current_num_threads() > 1
    }

    /// Random-restart numeric IK until solved, `stop` or the budget.
    pub(super) fn restart_stream(
        &self,
        target: &IkTarget,
        rng: &mut StdRng,
        stop: &AtomicBool,
        start: Instant,
    ) -> Work {
        let mut w = self.work_from(start);
        let mut left_restarts = self.config.ik.max_restarts.saturating_add(1);
        while left_restarts > 0 && !stop.load(Ordering::Relaxed) {
            let left = self.remaining(&w);
            if left.is_zero() {
                break;
            }
            // Short runs of restarts, so that `stop` is seen within a fraction of a millisecond.
            let chunk = left_restarts.min(RESTART_CHUNK);
            left_restarts -= chunk;
            let r = self
                .ik_solver(chunk - 1, Some(left))
                .solve_target(target, None, rng);
            w.iterations += r.iterations;
            w.attempts += r.restarts + 1;
            if self.consider(target, &r.q, r.status, &mut w) {
                w.solved = true;
                stop.store(true, Ordering::Relaxed);
                break;
            }
        }
        w
    }
}
