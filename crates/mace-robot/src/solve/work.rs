//! The working state of one solve and the steps every method shares: drawing and ranking
//! prior samples, checking candidates, keeping the best answers, writing the report.

use std::time::{Duration, Instant};

use rand::rngs::StdRng;

use crate::collision::{Distances, Scratch};
use crate::error::{Error, Result};
use crate::ik::{IkConfig, IkSolver, IkStatus, Measure};
use crate::math::Pose;
use crate::target::IkTarget;

use super::{Method, SolveReport, SolveStatus, Solver};

/// A candidate answer: how close it is, and the configuration.
#[derive(Debug, Clone)]
pub(super) struct Candidate {
    pub(super) m: Measure,
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
        (Some(x), Some(y)) => Some(if y.m.cost < x.m.cost { y } else { x }),
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

    pub(super) fn check(&self, target: &IkTarget) -> Result<()> {
        if !target.position.iter().all(|v| v.is_finite()) {
            return Err(Error::NonFiniteTarget {
                target: target.position,
            });
        }
        self.config.validate()
    }

    /// How close the tool frame `tool` is to `target` with this solver's tolerances.
    pub(super) fn measure(&self, target: &IkTarget, tool: &Pose) -> Measure {
        Measure::of(
            target,
            tool,
            &IkConfig {
                tolerance: self.config.tolerance,
                ..self.config.ik.clone()
            },
        )
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
        target: &IkTarget,
        n: usize,
        sampler: &mut F,
        rng: &mut StdRng,
        w: &mut Work,
    ) -> Result<Vec<f32>>
    where
        F: FnMut(&IkTarget, usize, &mut StdRng) -> Vec<f32> + ?Sized,
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

    /// How close each row of a batch comes, by ascending cost, as `(measure, row)`; rows with
    /// non-finite values are dropped. Also records the lowest-cost sample as the best effort.
    pub(super) fn ranked(
        &self,
        target: &IkTarget,
        q: &[f32],
        w: &mut Work,
    ) -> Vec<(Measure, usize)> {
        let chain = self.model.chain();
        let dof = chain.dof();
        let tip = chain.tip();
        let mut out: Vec<(Measure, usize)> = q
            .chunks_exact(dof)
            .enumerate()
            .filter(|(_, row)| row.iter().all(|v| v.is_finite()))
            .map(|(i, row)| {
                chain.link_poses_into(row, &mut w.poses);
                (self.measure(target, &w.poses[tip]), i)
            })
            .collect();
        out.sort_by(|a, b| a.0.cost.total_cmp(&b.0.cost));
        if let Some(&(m, i)) = out.first() {
            if w.best_any.as_ref().is_none_or(|c| m.cost < c.m.cost) {
                w.best_any = Some(Candidate {
                    m,
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
    pub(super) fn consider(
        &self,
        target: &IkTarget,
        q: &[f32],
        status: IkStatus,
        w: &mut Work,
    ) -> bool {
        if q.len() != self.dof() || !q.iter().all(|v| v.is_finite()) {
            return false;
        }
        let chain = self.model.chain();
        chain.link_poses_into(q, &mut w.poses);
        let m = self.measure(target, &w.poses[chain.tip()]);
        if !m.cost.is_finite() {
            return false;
        }
        if w.best_any.as_ref().is_none_or(|c| m.cost < c.m.cost) {
            w.best_any = Some(Candidate { m, q: q.to_vec() });
        }
        if status == IkStatus::Failed || !self.acceptable(q, w) {
            return false;
        }
        if w.best_free.as_ref().is_none_or(|c| m.cost < c.m.cost) {
            w.best_free = Some(Candidate { m, q: q.to_vec() });
        }
        m.within
    }

    pub(super) fn finish(&self, method: Method, target: &IkTarget, mut w: Work) -> SolveReport {
        let solved = w.solved;
        let chain = self.model.chain();
        let best = w
            .best_free
            .take()
            .or_else(|| w.best_any.take())
            .unwrap_or_else(|| Candidate {
                m: Measure::NONE,
                q: chain
                    .lower()
                    .iter()
                    .zip(chain.upper())
                    .map(|(l, u)| 0.5 * (l + u))
                    .collect(),
            });
        chain.link_poses_into(&best.q, &mut w.poses);
        let tool = w.poses[chain.tip()];
        let (error, rotation) = target.errors(&tool);
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
            error,
            rotation_error_deg: target.has_orientation().then(|| rotation.to_degrees()),
            tcp: tool.trans,
            tcp_quaternion: tool.quat_xyzw(),
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
