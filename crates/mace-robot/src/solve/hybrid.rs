//! [`Method::Hybrid`]: prior samples refined by the numeric IK, colliding ones repaired in the
//! null space of the TCP task, random restarts for the rest of the budget.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};

use crate::error::Result;
use crate::ik::{pose_task, IkStatus};
use crate::math::{sub, Vec3};
use crate::target::IkTarget;

use super::config::{REPAIR_MARGIN, REPAIR_MAX_STEP};
use super::work::{merge, Candidate, Work};
use super::{Method, SolveReport, Solver};

impl Solver {
    /// [`Method::Hybrid`]: per batch of [`SolveConfig::hybrid_batch_size`] prior samples, refines
    /// up to [`SolveConfig::refine_candidates`] collision-free samples (lowest TCP error first)
    /// with the numeric IK seeded from them — and repairs colliding ones by moving them out of
    /// contact in the null space of the TCP task ([`SolveConfig::repair_iterations`]) — for up to
    /// [`SolveConfig::max_batches`] batches; then random restarts for the rest of the budget
    /// (beside the refinement with [`SolveConfig::hybrid_parallel`], in which case the first
    /// stream to succeed wins and the result is not bit-reproducible across runs).
    ///
    /// # Errors
    /// As [`Solver::solve`].
    pub fn solve_hybrid<F>(
        &self,
        target: Vec3,
        sampler: &mut F,
        rng: &mut StdRng,
    ) -> Result<SolveReport>
    where
        F: FnMut(Vec3, usize, &mut StdRng) -> Vec<f32> + Send + ?Sized,
    {
        let mut by_position =
            |t: &IkTarget, n: usize, rng: &mut StdRng| sampler(t.position, n, rng);
        self.hybrid(&IkTarget::position(target), &mut by_position, rng)
    }

    /// [`Solver::solve_hybrid`] for a position or pose target.
    pub(super) fn hybrid<F>(
        &self,
        target: &IkTarget,
        sampler: &mut F,
        rng: &mut StdRng,
    ) -> Result<SolveReport>
    where
        F: FnMut(&IkTarget, usize, &mut StdRng) -> Vec<f32> + Send + ?Sized,
    {
        self.check(target)?;
        let start = Instant::now();
        let stop = AtomicBool::new(false);
        let mut rng_b = StdRng::seed_from_u64(rng.next_u64());
        let w = if self.config.hybrid_parallel && rayon::current_num_threads() > 1 {
            let (a, b) = rayon::join(
                || self.refine_stream(target, sampler, rng, &stop, start),
                || self.restart_stream(target, &mut rng_b, &stop, start),
            );
            merge(a?, b)
        } else {
            let a = self.refine_stream(target, sampler, rng, &stop, start)?;
            if a.solved {
                a
            } else {
                merge(a, self.restart_stream(target, &mut rng_b, &stop, start))
            }
        };
        Ok(self.finish(Method::Hybrid, target, w))
    }

    /// Prior batches, each refining its best collision-free samples; stops at `stop`.
    fn refine_stream<F>(
        &self,
        target: &IkTarget,
        sampler: &mut F,
        rng: &mut StdRng,
        stop: &AtomicBool,
        start: Instant,
    ) -> Result<Work>
    where
        F: FnMut(&IkTarget, usize, &mut StdRng) -> Vec<f32> + ?Sized,
    {
        let mut w = self.work_from(start);
        let refine = self.ik_solver(0, None);
        let dof = self.dof();
        let halt = |w: &Work| self.over_budget(w) || stop.load(Ordering::Relaxed);
        'batches: for _ in 0..self.config.max_batches {
            if halt(&w) {
                break;
            }
            let q = self.draw(target, self.config.hybrid_batch_size, sampler, rng, &mut w)?;
            let mut refined = 0;
            for (m, i) in self.ranked(target, &q, &mut w) {
                if refined >= self.config.refine_candidates || halt(&w) {
                    break;
                }
                let row = &q[i * dof..(i + 1) * dof];
                if !self.acceptable(row, &mut w) {
                    if self.config.repair_iterations > 0 {
                        refined += 1;
                        w.attempts += 1;
                        if let Some(fixed) = self.repair(target, row, &mut w) {
                            if self.consider(target, &fixed, IkStatus::Converged, &mut w) {
                                w.solved = true;
                                break 'batches;
                            }
                        }
                    }
                    continue;
                }
                if w.best_free.as_ref().is_none_or(|c| m.cost < c.m.cost) {
                    w.best_free = Some(Candidate { m, q: row.to_vec() });
                }
                if m.within {
                    w.solved = true;
                    break 'batches;
                }
                refined += 1;
                w.attempts += 1;
                let r = refine.solve_target(target, Some(row), rng);
                w.iterations += r.iterations;
                if self.consider(target, &r.q, r.status, &mut w) {
                    w.solved = true;
                    break 'batches;
                }
                if self.config.repair_iterations > 0 {
                    if let Some(fixed) = self.repair(target, row, &mut w) {
                        if self.consider(target, &fixed, IkStatus::Converged, &mut w) {
                            w.solved = true;
                            break 'batches;
                        }
                    }
                }
            }
        }
        if w.solved {
            stop.store(true, Ordering::Relaxed);
        }
        Ok(w)
    }

    /// Collision repair of a seed near the target: damped-least-squares steps on the TCP error
    /// plus a step in the Jacobian's null space that raises the smallest signed distance
    /// (self, obstacles, ground) to the clearance plus [`REPAIR_MARGIN`] (Gauss–Newton on the
    /// distance). Both Jacobians are analytic: the TCP's, and the closest contact's
    /// ([`CollisionModel::closest_contact`], [`crate::Contact::gradient`]). Returns the
    /// configuration once it is within the tolerances and keeps the clearance. A pose target's
    /// task is the 6-D twist (its null space is smaller: one dimension on a 7-joint arm).
    fn repair(&self, target: &IkTarget, q0: &[f32], w: &mut Work) -> Option<Vec<f32>> {
        let chain = self.model.chain();
        if target.has_orientation() {
            let weight = self.config.ik.rotation_weight;
            return self.repair_task::<6>(target, q0, w, |poses, columns| {
                pose_task(chain, poses, target, weight, columns)
            });
        }
        let mut lin = vec![[0.0f32; 3]; chain.dof()];
        self.repair_task::<3>(target, q0, w, |poses, columns| {
            let p = poses[chain.tip()].trans;
            chain.point_jacobian(poses, chain.tip(), p, &mut lin);
            for (c, l) in columns.iter_mut().zip(&lin) {
                *c = l.map(f64::from);
            }
            sub(target.position, p).map(f64::from)
        })
    }

    /// The repair's loop for a task of `N` rows: `task(poses, columns)` writes the task
    /// Jacobian's columns (one per joint) and returns the task error (the TCP position's, N = 3;
    /// the weighted twist of [`pose_task`], N = 6).
    fn repair_task<const N: usize>(
        &self,
        target: &IkTarget,
        q0: &[f32],
        w: &mut Work,
        mut task: impl FnMut(&[crate::math::Pose], &mut [[f64; N]]) -> [f64; N],
    ) -> Option<Vec<f32>> {
        use nalgebra::{SMatrix, SVector};
        let chain = self.model.chain();
        let dof = chain.dof();
        if q0.len() != dof {
            return None;
        }
        let lower = chain.lower();
        let upper = chain.upper();
        let goal = self.config.clearance + REPAIR_MARGIN;
        // Distances beyond the goal do not steer the repair: only contact is computed exactly.
        let cutoff = goal + REPAIR_MARGIN;
        let l2 = self.config.ik.damping * self.config.ik.damping;
        let mut q = q0.to_vec();
        let mut columns = vec![[0.0f64; N]; dof];
        for _ in 0..self.config.repair_iterations {
            w.iterations += 1;
            chain.link_poses_into(&q, &mut w.poses);
            let contact = self.model.closest_contact(&w.poses, &mut w.scratch, cutoff);
            let d = contact.map_or(cutoff, |c| c.distance);
            let within = self.measure(target, &w.poses[chain.tip()]).within;
            if d >= self.config.clearance && d > 0.0 && within {
                return Some(q);
            }
            let e = task(&w.poses, &mut columns);
            // J (N × dof) by its columns: J Jᵀ = Σ c cᵀ, Jᵀ y = (c · y)_j, J g = Σ c g_j.
            let col = |j: usize| SVector::<f64, N>::from(columns[j]);
            let jjt: SMatrix<f64, N, N> = (0..dof).map(|j| col(j) * col(j).transpose()).sum();
            let chol = (jjt + SMatrix::<f64, N, N>::identity() * l2).cholesky()?;
            let y = chol.solve(&SVector::<f64, N>::from(e));
            let mut dq: Vec<f64> = (0..dof).map(|j| col(j).dot(&y)).collect();
            if let Some(c) = contact.filter(|c| c.distance < goal) {
                let g: Vec<f64> = c
                    .gradient(chain, &w.poses)
                    .iter()
                    .map(|&x| x.into())
                    .collect();
                // Project the distance gradient onto the null space of the task.
                let jg: SVector<f64, N> = (0..dof).map(|j| col(j) * g[j]).sum();
                let z = chol.solve(&jg);
                let g_null: Vec<f64> = (0..dof).map(|j| g[j] - col(j).dot(&z)).collect();
                let n2: f64 = g_null.iter().map(|x| x * x).sum();
                if n2 > 1e-12 {
                    let step = (goal - d) as f64 / n2;
                    for (dqj, gj) in dq.iter_mut().zip(&g_null) {
                        *dqj += gj * step;
                    }
                }
            }
            let largest = dq.iter().fold(0.0f64, |m, x| m.max(x.abs()));
            let shrink = if largest > REPAIR_MAX_STEP {
                REPAIR_MAX_STEP / largest
            } else {
                1.0
            };
            for j in 0..dof {
                q[j] = (q[j] + (dq[j] * shrink) as f32).clamp(lower[j], upper[j]);
            }
        }
        None
    }
}
