//! Numeric inverse kinematics for the tool-centre-point position: damped least squares with
//! random restarts, joint limits, collision rejection and a time budget.
//!
//! Each attempt starts from a seed configuration (the caller's, then uniform random ones) and
//! iterates `Δq = Jᵀ (J Jᵀ + λ² I)⁻¹ e` on the position error `e = target − tcp` (metres), clipping
//! the step and the joints to their limits. A converged configuration that collides (self, scene
//! boxes or ground, per the [`CollisionModel`]) is rejected and the solver restarts.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rand::Rng;

use crate::collision::CollisionModel;
use crate::math::{norm, sub, Pose, Vec3};

/// Options of [`IkSolver`]. Units: metres, radians, seconds.
#[derive(Debug, Clone, PartialEq)]
pub struct IkConfig {
    /// Stop when the TCP is within this distance of the target, metres.
    pub tolerance: f32,
    /// Damping λ of the least-squares step, metres.
    pub damping: f64,
    /// Largest joint change per iteration, rad.
    pub max_step: f32,
    /// Iterations per attempt before restarting.
    pub max_iterations: usize,
    /// Random restarts after the first attempt.
    pub max_restarts: usize,
    /// Wall-clock budget for one solve (`None` = unlimited).
    pub time_budget: Option<Duration>,
    /// Reject converged configurations that collide, and restart.
    pub reject_collisions: bool,
    /// Abandon an attempt early when it is within this distance of the target (metres) and
    /// already colliding (only with `reject_collisions`; `0` disables).
    pub early_collision_check: f32,
}

impl Default for IkConfig {
    fn default() -> Self {
        IkConfig {
            tolerance: 1e-4,
            damping: 0.02,
            max_step: 0.8,
            max_iterations: 25,
            max_restarts: 100_000,
            time_budget: Some(Duration::from_secs(1)),
            reject_collisions: true,
            early_collision_check: 0.01,
        }
    }
}

impl IkConfig {
    /// The defaults: 0.1 mm tolerance, collision rejection, restarts until the 1 s budget.
    pub fn panda() -> IkConfig {
        IkConfig::default()
    }
}

/// How a solve ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum IkStatus {
    /// A collision-free configuration within the tolerance was found.
    Converged,
    /// Restarts exhausted; `q` is the best collision-free configuration found.
    MaxIterations,
    /// The time budget ran out; `q` is the best collision-free configuration found.
    TimeBudget,
    /// No collision-free configuration was reached at all (`q` is the best colliding one).
    Failed,
}

/// Result of [`IkSolver::solve`].
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct IkReport {
    /// How the solve ended.
    pub status: IkStatus,
    /// The configuration, rad (length = dof).
    pub q: Vec<f32>,
    /// Its TCP distance to the target, metres.
    pub error: f32,
    /// Whether `q` is collision-free.
    pub collision_free: bool,
    /// Iterations over all attempts.
    pub iterations: usize,
    /// Restarts used (0 = the first attempt succeeded).
    pub restarts: usize,
    /// Wall-clock time, seconds.
    pub seconds: f64,
}

/// Damped-least-squares IK on a chain and scene (the [`CollisionModel`]).
#[derive(Debug, Clone)]
pub struct IkSolver {
    model: CollisionModel,
    config: IkConfig,
}

impl IkSolver {
    /// A solver for `model`'s chain in its scene.
    pub fn new(model: CollisionModel, config: IkConfig) -> IkSolver {
        IkSolver { model, config }
    }

    /// The options.
    pub fn config(&self) -> &IkConfig {
        &self.config
    }

    /// Solves for `target` (metres, base frame), first from `seed` if given (length = dof, else
    /// ignored), then from random configurations drawn from `rng`.
    pub fn solve<R: Rng + ?Sized>(
        &self,
        target: Vec3,
        seed: Option<&[f32]>,
        rng: &mut R,
    ) -> IkReport {
        self.solve_until(target, seed, rng, None)
    }

    /// Like [`IkSolver::solve`], with independent restart streams on every rayon thread; the
    /// first stream to converge stops the others. Stream `t` draws from a generator seeded with
    /// `seed_base + t`; which stream wins depends on timing, so the result is not bit-reproducible
    /// across runs (use [`IkSolver::solve`] for that). `iterations` and `restarts` are summed over
    /// the streams.
    pub fn solve_parallel(&self, target: Vec3, seed: Option<&[f32]>, seed_base: u64) -> IkReport {
        use rand::SeedableRng;
        use rayon::prelude::*;
        let start = Instant::now();
        let stop = AtomicBool::new(false);
        let threads = rayon::current_num_threads().max(1);
        let reports: Vec<IkReport> = (0..threads)
            .into_par_iter()
            .map(|t| {
                let mut rng = rand::rngs::StdRng::seed_from_u64(seed_base.wrapping_add(t as u64));
                self.solve_until(
                    target,
                    if t == 0 { seed } else { None },
                    &mut rng,
                    Some(&stop),
                )
            })
            .collect();
        let iterations = reports.iter().map(|r| r.iterations).sum();
        let restarts = reports.iter().map(|r| r.restarts).sum();
        let rank = |r: &IkReport| match r.status {
            IkStatus::Converged => 0,
            IkStatus::MaxIterations | IkStatus::TimeBudget => 1,
            IkStatus::Failed => 2,
        };
        let mut best = reports
            .into_iter()
            .min_by(|a, b| rank(a).cmp(&rank(b)).then(a.error.total_cmp(&b.error)))
            .expect("at least one stream");
        best.iterations = iterations;
        best.restarts = restarts;
        best.seconds = start.elapsed().as_secs_f64();
        best
    }

    fn solve_until<R: Rng + ?Sized>(
        &self,
        target: Vec3,
        seed: Option<&[f32]>,
        rng: &mut R,
        stop: Option<&AtomicBool>,
    ) -> IkReport {
        let start = Instant::now();
        let chain = self.model.chain();
        let dof = chain.dof();
        let lower = chain.lower();
        let upper = chain.upper();
        let mut poses = vec![Pose::IDENTITY; chain.links().len()];
        let mut scratch = self.model.scratch();
        let mut best_free: Option<(f32, Vec<f32>)> = None;
        let mut best_any: Option<(f32, Vec<f32>)> = None;
        let mut iterations = 0;
        let mut timed_out = false;
        let mut restarts = 0;
        for attempt in 0..=self.config.max_restarts {
            restarts = attempt;
            let mut q: Vec<f32> = match seed {
                Some(s) if attempt == 0 && s.len() == dof => s
                    .iter()
                    .zip(lower.iter().zip(&upper))
                    .map(|(&v, (&lo, &hi))| v.clamp(lo, hi))
                    .collect(),
                _ => chain.sample_uniform(1, rng),
            };
            let mut err = f32::INFINITY;
            let mut checked_early = false;
            for _ in 0..self.config.max_iterations {
                iterations += 1;
                chain.link_poses_into(&q, &mut poses);
                let e = sub(target, poses[chain.tip()].trans);
                err = norm(e);
                if err <= self.config.tolerance {
                    break;
                }
                if self.config.reject_collisions
                    && err <= self.config.early_collision_check
                    && !checked_early
                {
                    checked_early = true;
                    if self.model.collides_with(&poses, &mut scratch) {
                        break;
                    }
                }
                self.step(&mut q, &poses, e, &lower, &upper);
                if iterations % 16 == 0 && self.over_budget(start) {
                    timed_out = true;
                    break;
                }
            }
            chain.link_poses_into(&q, &mut poses);
            err = norm(sub(target, poses[chain.tip()].trans)).min(err.max(0.0));
            let free =
                !self.config.reject_collisions || !self.model.collides_with(&poses, &mut scratch);
            if best_any.as_ref().is_none_or(|(b, _)| err < *b) {
                best_any = Some((err, q.clone()));
            }
            if free && best_free.as_ref().is_none_or(|(b, _)| err < *b) {
                best_free = Some((err, q.clone()));
            }
            if free && err <= self.config.tolerance {
                if let Some(stop) = stop {
                    stop.store(true, Ordering::Relaxed);
                }
                break;
            }
            if stop.is_some_and(|s| s.load(Ordering::Relaxed)) {
                break;
            }
            if timed_out || self.over_budget(start) {
                timed_out = true;
                break;
            }
        }
        let (status, (error, q)) = match best_free {
            Some((e, q)) if e <= self.config.tolerance => (IkStatus::Converged, (e, q)),
            Some(b) if timed_out => (IkStatus::TimeBudget, b),
            Some(b) => (IkStatus::MaxIterations, b),
            None => (
                IkStatus::Failed,
                best_any.unwrap_or((f32::INFINITY, vec![0.0; dof])),
            ),
        };
        chain.link_poses_into(&q, &mut poses);
        let collision_free = !self.model.collides_with(&poses, &mut scratch);
        IkReport {
            status,
            q,
            error,
            collision_free,
            iterations,
            restarts,
            seconds: start.elapsed().as_secs_f64(),
        }
    }

    fn over_budget(&self, start: Instant) -> bool {
        self.config.time_budget.is_some_and(|b| start.elapsed() > b)
    }

    /// One damped-least-squares step on the position error `e`.
    fn step(&self, q: &mut [f32], poses: &[Pose], e: Vec3, lower: &[f32], upper: &[f32]) {
        let chain = self.model.chain();
        let dof = chain.dof();
        let tcp = poses[chain.tip()].trans;
        // Jacobian columns (3 × dof), f64.
        let mut jac = vec![[0.0f64; 3]; dof];
        for (li, link) in chain.links().iter().enumerate() {
            let r = &poses[li].rot;
            let world_axis = |a: Vec3| {
                [
                    (r[0][0] * a[0] + r[0][1] * a[1] + r[0][2] * a[2]) as f64,
                    (r[1][0] * a[0] + r[1][1] * a[1] + r[1][2] * a[2]) as f64,
                    (r[2][0] * a[0] + r[2][1] * a[1] + r[2][2] * a[2]) as f64,
                ]
            };
            match link.kind {
                crate::chain::JointKind::Revolute { axis, dof: j } => {
                    let w = world_axis(axis);
                    let d = sub(tcp, poses[li].trans).map(|v| v as f64);
                    jac[j] = [
                        w[1] * d[2] - w[2] * d[1],
                        w[2] * d[0] - w[0] * d[2],
                        w[0] * d[1] - w[1] * d[0],
                    ];
                }
                crate::chain::JointKind::Prismatic { axis, dof: j } => jac[j] = world_axis(axis),
                crate::chain::JointKind::Fixed => {}
            }
        }
        // A = J Jᵀ + λ² I (3 × 3), solve A y = e, Δq = Jᵀ y.
        let l2 = self.config.damping * self.config.damping;
        let mut a = nalgebra::Matrix3::<f64>::zeros();
        for c in &jac {
            for i in 0..3 {
                for k in 0..3 {
                    a[(i, k)] += c[i] * c[k];
                }
            }
        }
        for i in 0..3 {
            a[(i, i)] += l2;
        }
        let rhs = nalgebra::Vector3::new(e[0] as f64, e[1] as f64, e[2] as f64);
        let Some(y) = a.cholesky().map(|c| c.solve(&rhs)) else {
            return;
        };
        let mut dq: Vec<f64> = jac
            .iter()
            .map(|c| c[0] * y[0] + c[1] * y[1] + c[2] * y[2])
            .collect();
        let largest = dq.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        if largest > self.config.max_step as f64 {
            let s = self.config.max_step as f64 / largest;
            dq.iter_mut().for_each(|v| *v *= s);
        }
        for j in 0..dof {
            q[j] = (q[j] + dq[j] as f32).clamp(lower[j], upper[j]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{KinematicChain, Scene};
    use rand::{rngs::StdRng, SeedableRng};

    /// FK → IK round trip: targets reached by random collision-free configurations are solved.
    #[test]
    fn fk_ik_round_trip() {
        let chain = KinematicChain::panda();
        let model = CollisionModel::new(&chain, &Scene::empty([0.0; 3]));
        let solver = IkSolver::new(
            model.clone(),
            IkConfig {
                time_budget: None,
                ..IkConfig::default()
            },
        );
        let mut rng = StdRng::seed_from_u64(7);
        let mut solved = 0;
        let trials = 20;
        let mut k = 0;
        while k < trials {
            let q = chain.sample_uniform(1, &mut rng);
            if model.collides_batch(&q).unwrap()[0] {
                continue;
            }
            k += 1;
            let target = chain.tcp_positions(&q).unwrap()[0];
            let r = solver.solve(target, None, &mut rng);
            assert!(r
                .q
                .iter()
                .zip(chain.lower().iter().zip(chain.upper()))
                .all(|(v, (lo, hi))| v >= lo && *v <= hi));
            if r.status == IkStatus::Converged {
                assert!(r.error <= 1e-4 && r.collision_free);
                solved += 1;
            }
        }
        assert_eq!(solved, trials);
    }

    #[test]
    fn parallel_solve_reaches_the_box_target() {
        let chain = KinematicChain::panda();
        let scene = Scene::by_name("box").unwrap();
        let solver = IkSolver::new(
            CollisionModel::new(&chain, &scene),
            IkConfig {
                time_budget: Some(Duration::from_secs(5)),
                ..IkConfig::default()
            },
        );
        let r = solver.solve_parallel(scene.target, None, 3);
        assert_eq!(r.status, IkStatus::Converged);
        assert!(r.error <= 1e-4 && r.collision_free);
    }

    #[test]
    fn unreachable_target_reports_best_effort() {
        let chain = KinematicChain::panda();
        let model = CollisionModel::new(&chain, &Scene::empty([0.0; 3]));
        let cfg = IkConfig {
            max_restarts: 3,
            time_budget: None,
            ..IkConfig::default()
        };
        let r =
            IkSolver::new(model, cfg).solve([3.0, 0.0, 0.5], None, &mut StdRng::seed_from_u64(1));
        assert_eq!(r.status, IkStatus::MaxIterations);
        assert!(r.error > 1.5 && r.restarts == 3);
    }
}
