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
use crate::math::{sub, Pose, Vec3};
use crate::target::IkTarget;

/// Default rotation tolerance of pose targets: 0.1°, in rad.
pub const DEFAULT_ROTATION_TOLERANCE: f32 = 0.1 * std::f32::consts::PI / 180.0;

/// Default weight of the rotation error in the pose task, metres per radian.
pub const DEFAULT_ROTATION_WEIGHT: f32 = 0.1;

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
    /// Stop when the tool's rotation error is within this angle too (pose targets only), rad.
    pub rotation_tolerance: f32,
    /// Metres per radian of rotation error in the pose task (its step and its ranking of
    /// answers: cost = position error + weight × rotation error).
    pub rotation_weight: f32,
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
            rotation_tolerance: DEFAULT_ROTATION_TOLERANCE,
            rotation_weight: DEFAULT_ROTATION_WEIGHT,
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
    /// Its tool rotation error, rad (0 for a position-only target).
    pub rotation_error: f32,
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
        self.solve_until(&IkTarget::position(target), seed, rng, None)
    }

    /// Like [`IkSolver::solve`] for a position or pose target: with an orientation, the step
    /// is damped least squares on the 6-D twist (rotation weighted by
    /// [`IkConfig::rotation_weight`]; with a free axis, the rotation about it is left free) and
    /// an answer must also be within [`IkConfig::rotation_tolerance`].
    pub fn solve_target<R: Rng + ?Sized>(
        &self,
        target: &IkTarget,
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
                    &IkTarget::position(target),
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

    /// Position error, rotation error and their cost (position + weight × rotation) of the
    /// tool frame `tool`, and whether both are within the tolerances.
    pub(crate) fn measure(&self, target: &IkTarget, tool: &Pose) -> Measure {
        Measure::of(target, tool, &self.config)
    }

    fn solve_until<R: Rng + ?Sized>(
        &self,
        target: &IkTarget,
        seed: Option<&[f32]>,
        rng: &mut R,
        stop: Option<&AtomicBool>,
    ) -> IkReport {
        let start = Instant::now();
        let chain = self.model.chain();
        let dof = chain.dof();
        let lower = chain.lower();
        let upper = chain.upper();
        let tip = chain.tip();
        let mut poses = vec![Pose::IDENTITY; chain.links().len()];
        let mut scratch = self.model.scratch();
        let mut best_free: Option<(Measure, Vec<f32>)> = None;
        let mut best_any: Option<(Measure, Vec<f32>)> = None;
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
            let mut checked_early = false;
            for _ in 0..self.config.max_iterations {
                iterations += 1;
                chain.link_poses_into(&q, &mut poses);
                let m = self.measure(target, &poses[tip]);
                if m.within {
                    break;
                }
                if self.config.reject_collisions
                    && m.cost <= self.config.early_collision_check
                    && !checked_early
                {
                    checked_early = true;
                    if self.model.collides_with(&poses, &mut scratch) {
                        break;
                    }
                }
                self.step(&mut q, &poses, target, &lower, &upper);
                if iterations % 16 == 0 && self.over_budget(start) {
                    timed_out = true;
                    break;
                }
            }
            chain.link_poses_into(&q, &mut poses);
            let m = self.measure(target, &poses[tip]);
            let free =
                !self.config.reject_collisions || !self.model.collides_with(&poses, &mut scratch);
            if best_any.as_ref().is_none_or(|(b, _)| m.cost < b.cost) {
                best_any = Some((m, q.clone()));
            }
            if free && best_free.as_ref().is_none_or(|(b, _)| m.cost < b.cost) {
                best_free = Some((m, q.clone()));
            }
            if free && m.within {
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
        let (status, (m, q)) = match best_free {
            Some(b) if b.0.within => (IkStatus::Converged, b),
            Some(b) if timed_out => (IkStatus::TimeBudget, b),
            Some(b) => (IkStatus::MaxIterations, b),
            None => (
                IkStatus::Failed,
                best_any.unwrap_or((Measure::NONE, vec![0.0; dof])),
            ),
        };
        chain.link_poses_into(&q, &mut poses);
        let collision_free = !self.model.collides_with(&poses, &mut scratch);
        IkReport {
            status,
            q,
            error: m.position,
            rotation_error: m.rotation,
            collision_free,
            iterations,
            restarts,
            seconds: start.elapsed().as_secs_f64(),
        }
    }

    fn over_budget(&self, start: Instant) -> bool {
        self.config.time_budget.is_some_and(|b| start.elapsed() > b)
    }

    /// One damped-least-squares step towards `target`.
    fn step(&self, q: &mut [f32], poses: &[Pose], target: &IkTarget, lower: &[f32], upper: &[f32]) {
        if target.has_orientation() {
            self.pose_step(q, poses, target, lower, upper);
        } else {
            let e = sub(target.position, poses[self.model.chain().tip()].trans);
            self.position_step(q, poses, e, lower, upper);
        }
    }

    /// One damped-least-squares step on the weighted 6-D twist of a pose target.
    fn pose_step(
        &self,
        q: &mut [f32],
        poses: &[Pose],
        target: &IkTarget,
        lower: &[f32],
        upper: &[f32],
    ) {
        use nalgebra::{Matrix6, Vector6};
        let chain = self.model.chain();
        let mut columns = vec![[0.0f64; 6]; chain.dof()];
        let e = pose_task(
            chain,
            poses,
            target,
            self.config.rotation_weight,
            &mut columns,
        );
        let col = |j: usize| Vector6::from(columns[j]);
        let jjt: Matrix6<f64> = (0..columns.len())
            .map(|j| col(j) * col(j).transpose())
            .sum();
        let l2 = self.config.damping * self.config.damping;
        let Some(chol) = (jjt + Matrix6::identity() * l2).cholesky() else {
            return;
        };
        let y = chol.solve(&Vector6::from(e));
        let dq: Vec<f64> = (0..columns.len()).map(|j| col(j).dot(&y)).collect();
        self.apply_step(q, dq, lower, upper);
    }

    /// Adds `dq` to `q`, scaled down to [`IkConfig::max_step`] and clamped to the limits.
    fn apply_step(&self, q: &mut [f32], mut dq: Vec<f64>, lower: &[f32], upper: &[f32]) {
        let largest = dq.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        if largest > self.config.max_step as f64 {
            let s = self.config.max_step as f64 / largest;
            dq.iter_mut().for_each(|v| *v *= s);
        }
        for (j, d) in dq.iter().enumerate() {
            q[j] = (q[j] + *d as f32).clamp(lower[j], upper[j]);
        }
    }

    /// One damped-least-squares step on the position error `e`.
    fn position_step(&self, q: &mut [f32], poses: &[Pose], e: Vec3, lower: &[f32], upper: &[f32]) {
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
        let dq: Vec<f64> = jac
            .iter()
            .map(|c| c[0] * y[0] + c[1] * y[1] + c[2] * y[2])
            .collect();
        self.apply_step(q, dq, lower, upper);
    }
}

/// How close a tool frame is to a target: see [`IkSolver::measure`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Measure {
    /// Position error, metres.
    pub position: f32,
    /// Rotation error, rad.
    pub rotation: f32,
    /// Position error + weight × rotation error, metres.
    pub cost: f32,
    /// Both within their tolerances.
    pub within: bool,
}

impl Measure {
    /// How close `tool` is to `target` with the tolerances and weight of `config` (its
    /// `tolerance` is the position tolerance).
    pub(crate) fn of(target: &IkTarget, tool: &Pose, config: &IkConfig) -> Measure {
        let (position, rotation) = target.errors(tool);
        Measure {
            position,
            rotation,
            cost: position + config.rotation_weight * rotation,
            within: position <= config.tolerance && rotation <= config.rotation_tolerance,
        }
    }

    /// Nothing reached.
    pub(crate) const NONE: Measure = Measure {
        position: f32::INFINITY,
        rotation: f32::INFINITY,
        cost: f32::INFINITY,
        within: false,
    };
}

/// The pose task of `target` at the link frames `poses`: writes column `j` of its Jacobian,
/// `[∂p/∂q_j; w ∂θ/∂q_j]` (metres per rad; the angular part projected off the free axis, if
/// any), into `columns[j]`, and returns the weighted error `[e_pos; w e_rot]` (metres).
pub(crate) fn pose_task(
    chain: &crate::KinematicChain,
    poses: &[Pose],
    target: &IkTarget,
    weight: f32,
    columns: &mut [[f64; 6]],
) -> [f64; 6] {
    let tool = &poses[chain.tip()];
    let mut lin = vec![[0.0f32; 3]; chain.dof()];
    chain.point_jacobian(poses, chain.tip(), tool.trans, &mut lin);
    let w = weight as f64;
    let free = target.free_axis_world(tool).map(|a| a.map(f64::from));
    columns.iter_mut().for_each(|c| *c = [0.0; 6]);
    for (j, l) in lin.iter().enumerate() {
        columns[j][..3].copy_from_slice(&l.map(f64::from));
    }
    for (li, link) in chain.links().iter().enumerate() {
        if let crate::chain::JointKind::Revolute { axis, dof: j } = link.kind {
            if !is_ancestor(chain, li, chain.tip()) {
                continue;
            }
            let r = &poses[li].rot;
            let mut a: [f64; 3] = std::array::from_fn(|i| {
                (r[i][0] * axis[0] + r[i][1] * axis[1] + r[i][2] * axis[2]) as f64
            });
            if let Some(u) = free {
                let along = a[0] * u[0] + a[1] * u[1] + a[2] * u[2];
                a = std::array::from_fn(|i| a[i] - along * u[i]);
            }
            for i in 0..3 {
                columns[j][3 + i] = w * a[i];
            }
        }
    }
    let mut e = target.twist(tool);
    for v in &mut e[3..] {
        *v *= w;
    }
    e
}

/// Whether link `a` is `b` or lies on the path from the base to `b`.
fn is_ancestor(chain: &crate::KinematicChain, a: usize, b: usize) -> bool {
    let mut cur = Some(b);
    while let Some(l) = cur {
        if l == a {
            return true;
        }
        cur = chain.links()[l].parent;
    }
    false
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
