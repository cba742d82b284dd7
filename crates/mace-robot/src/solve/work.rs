//! The working state of one solve and the steps every method shares: drawing and ranking
//! prior samples, checking candidates, keeping the best answers, writing the report.

use std::time::{Duration, Instant};

use rand::rngs::StdRng;

use crate::collision::{Distances, Scratch};
use crate::error::{Error, Result};
use crate::ik::{IkConfig, IkSolver, IkStatus};
use crate::math::{norm, sub, Pose, Vec3};

use super::{Method, SolveReport, SolveStatus, Solver};

/// A candidate answer: TCP error (metres) and configuration.
#[derive(Debug, Clone)]
pub(super) struct Candidate {
    pub(super) error: f32,
    pub(super) q: Vec<f32>,
}

/// Per-solve working state.
pub(super) struct Work {
    pub(super) start: Instant,
    pub(super) poses: Vec<Pose>,
    pub(super) scratch: Scratch,
    pub(super) samples: usize,
    pub(super) iterations: usize,
    pub(super) attempts: usize,
    pub(super) best_free: Option<Candidate>,
    pub(super) best_any: Option<Candidate>,
    pub(super) solved: bool,
}

/// Combines two streams of one solve: the better answers, summed counts.
pub(super) fn merge(mut a: Work, b: Work) -> Work {
    let better = |x: Option<Candidate>, y: Option<Candidate>| match (x, y) {
        (Some(x), Some(y)) => Some(if y.error < x.error { y } else { x }),
        (x, y) => x.or(y),
    };
    a.samples += b.samples;
    a.iterations += b.iterations;
    a.attempts += b.attempts;
    a.solved |= b.solved;
    // A solved stream's answer is its best collision-free one: prefer it.
    a.best_free = if b.solved && !a.solved {
        b.best_free
    } else if a.solved && !b.solved {
        a.best_free
    } else {
        better(a.best_free, b.best_free)
    };
    a.best_any = better(a.best_any, b.best_any);
    a
}

impl Solver {
    pub(super) fn dof(&self) -> usize {
        self.model.chain().dof()
    }

    pub(super) fn check(&self, target: Vec3) -> Result<()> {
        if !target.iter().all(|v| v.is_finite()) {
            return Err(Error::NonFiniteTarget { target });
        }
        self.config.validate()
    }

    pub(super) fn work_from(&self, start: Instant) -> Work {
        Work {
            start,
            poses: vec![Pose::IDENTITY; self.model.chain().links().len()],
            scratch: self.model.scratch(),
            samples: 0,
            iterations: 0,
            attempts: 0,
            best_free: None,
            best_any: None,
            solved: false,
        }
    }

    pub(super) fn over_budget(&self, w: &Work) -> bool {
        w.start.elapsed() >= self.config.time_budget
    }

    pub(super) fn remaining(&self, w: &Work) -> Duration {
        self.config.time_budget.saturating_sub(w.start.elapsed())
    }

    pub(super) fn ik_solver(&self, max_restarts: usize, budget: Option<Duration>) -> IkSolver {
        IkSolver::new(
            self.model.clone(),
            IkConfig {
                tolerance: self.config.tolerance,
                max_restarts,
                time_budget: budget,
                reject_collisions: true,
                ..self.config.ik.clone()
            },
        )
    }

    /// Calls the sampler and checks the batch's length.
    pub(super) fn draw<F>(
        &self,
        target: Vec3,
        n: usize,
        sampler: &mut F,
        rng: &mut StdRng,
        w: &mut Work,
    ) -> Result<Vec<f32>>
    where
        F: FnMut(Vec3, usize, &mut StdRng) -> Vec<f32> + ?Sized,
    {
        let q = sampler(target, n, rng);
        let dof = self.dof();
        if q.len() != n * dof {
            return Err(Error::BadSamples {
                n,
                dof,
                got: q.len(),
            });
        }
        w.samples += n;
        Ok(q)
    }

    /// TCP errors of a batch, ascending, as `(error, row)`; rows with non-finite values are
    /// dropped. Also records the lowest-error sample as the best effort.
    pub(super) fn ranked(&self, target: Vec3, q: &[f32], w: &mut Work) -> Vec<(f32, usize)> {
        let chain = self.model.chain();
        let dof = chain.dof();
        let tip = chain.tip();
        let mut out: Vec<(f32, usize)> = q
            .chunks_exact(dof)
            .enumerate()
            .filter(|(_, row)| row.iter().all(|v| v.is_finite()))
            .map(|(i, row)| {
                chain.link_poses_into(row, &mut w.poses);
                (norm(sub(target, w.poses[tip].trans)), i)
            })
            .collect();
        out.sort_by(|a, b| a.0.total_cmp(&b.0));
        if let Some(&(e, i)) = out.first() {
            if w.best_any.as_ref().is_none_or(|c| e < c.error) {
                w.best_any = Some(Candidate {
                    error: e,
                    q: q[i * dof..(i + 1) * dof].to_vec(),
                });
            }
        }
        out
    }

    /// Whether `q` is collision-free and keeps the clearance.
    pub(super) fn acceptable(&self, q: &[f32], w: &mut Work) -> bool {
        self.model.chain().link_poses_into(q, &mut w.poses);
        if self.model.collides_with(&w.poses, &mut w.scratch) {
            return false;
        }
        self.config.clearance <= 0.0 || {
            let d = self
                .model
                .distances_below(&w.poses, &mut w.scratch, self.config.clearance);
            clear(&d, self.config.clearance)
        }
    }

    /// Records a numeric IK result; true if it solves the problem.
    pub(super) fn consider(&self, q: &[f32], error: f32, status: IkStatus, w: &mut Work) -> bool {
        if q.len() != self.dof() || !error.is_finite() {
            return false;
        }
        if w.best_any.as_ref().is_none_or(|c| error < c.error) {
            w.best_any = Some(Candidate {
                error,
                q: q.to_vec(),
            });
        }
        if status == IkStatus::Failed || !self.acceptable(q, w) {
            return false;
        }
        if w.best_free.as_ref().is_none_or(|c| error < c.error) {
            w.best_free = Some(Candidate {
                error,
                q: q.to_vec(),
            });
        }
        error <= self.config.tolerance
    }

    pub(super) fn finish(&self, method: Method, target: Vec3, mut w: Work) -> SolveReport {
        let solved = w.solved;
        let chain = self.model.chain();
        let best = w
            .best_free
            .take()
            .or_else(|| w.best_any.take())
            .unwrap_or_else(|| Candidate {
                error: f32::INFINITY,
                q: chain
                    .lower()
                    .iter()
                    .zip(chain.upper())
                    .map(|(l, u)| 0.5 * (l + u))
                    .collect(),
            });
        chain.link_poses_into(&best.q, &mut w.poses);
        let tcp = w.poses[chain.tip()].trans;
        let flags = self.model.check_with(&w.poses, &mut w.scratch);
        let distances = self.model.distances_with(&w.poses, &mut w.scratch);
        let clearance_ok = !flags.any()
            && (self.config.clearance <= 0.0 || clear(&distances, self.config.clearance));
        let seconds = w.start.elapsed().as_secs_f64();
        SolveReport {
            method,
            status: if solved && clearance_ok {
                SolveStatus::Solved
            } else {
                SolveStatus::NotFound
            },
            error: norm(sub(target, tcp)),
            tcp,
            q: best.q,
            collision_free: !flags.any(),
            flags,
            distances,
            clearance_ok,
            seconds,
            samples: w.samples,
            iterations: w.iterations,
            attempts: w.attempts,
        }
    }
}

/// Whether all signed distances keep `margin` (metres).
pub(super) fn clear(d: &Distances, margin: f32) -> bool {
    d.self_distance >= margin && d.obstacle_distance >= margin && d.ground_distance >= margin
}
