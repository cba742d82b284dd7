//! Collision-free IK solve methods for one TCP position target: `prior` (best of batches of
//! samples from a generative prior), `numeric` (damped least squares with random restarts, the
//! [`IkSolver`]) and `hybrid` (the best prior samples refined by the numeric IK).
//!
//! The prior is any sampler closure `FnMut(target, n, &mut StdRng) -> Vec<f32>` returning `n`
//! configurations `(n, dof)` row-major (rad), so this crate does not depend on the models crate.
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

use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};

use crate::collision::{CollisionFlags, CollisionModel, Distances, Scratch};
use crate::ik::{IkConfig, IkSolver, IkStatus};
use crate::math::{norm, sub, Pose, Vec3};

/// Which solve method to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Best (lowest TCP error) collision-free sample of batches from the prior (the paper's
    /// Table-2 "MACE" column).
    Prior,
    /// Damped-least-squares IK with random restarts and collision rejection (the "MoveIt" column).
    Numeric,
    /// The best collision-free prior samples refined by the numeric IK (the "MACE + MoveIt" column).
    Hybrid,
    /// Like [`Method::Prior`], but the sampler is a posterior the caller tuned to the problem
    /// with MACE first ("tune, then sample"; the caller adds the tuning time).
    Mace,
}

impl Method {
    /// All methods, in table order.
    pub const ALL: [Method; 4] = [Method::Prior, Method::Numeric, Method::Hybrid, Method::Mace];

    /// The lowercase name (`prior`, `numeric`, `hybrid`, `mace`).
    pub fn name(self) -> &'static str {
        match self {
            Method::Prior => "prior",
            Method::Numeric => "numeric",
            Method::Hybrid => "hybrid",
            Method::Mace => "mace",
        }
    }

    /// Whether the method draws from the prior (needs a sampler).
    pub fn needs_prior(self) -> bool {
        !matches!(self, Method::Numeric)
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Method {
    type Err = SolveError;

    fn from_str(s: &str) -> Result<Self, SolveError> {
        Method::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| SolveError::UnknownMethod {
                name: s.to_string(),
            })
    }
}

/// What can go wrong before or while solving (a solve that finds nothing is not an error: it
/// returns [`SolveStatus::NotFound`]).
#[derive(thiserror::Error, Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum SolveError {
    /// The target has a NaN or infinite coordinate.
    #[error("target {target:?} is not finite: three finite coordinates in metres are needed")]
    NonFiniteTarget {
        /// The target that was given, metres.
        target: [f32; 3],
    },
    /// A method name that is not `prior`, `numeric`, `hybrid` or `mace`.
    #[error("unknown solve method `{name}`: expected prior, numeric, hybrid or mace")]
    UnknownMethod {
        /// The name that was given.
        name: String,
    },
    /// The sampler returned a batch of the wrong length.
    #[error("the sampler returned {got} values for {n} samples of {dof} joints")]
    BadSamples {
        /// Samples asked for.
        n: usize,
        /// Joints per sample.
        dof: usize,
        /// Values returned.
        got: usize,
    },
    /// An option out of range.
    #[error("invalid solve option: {reason}")]
    InvalidConfig {
        /// What is wrong.
        reason: String,
    },
}

/// Options of [`Solver`]. Units: metres, seconds.
#[derive(Debug, Clone, PartialEq)]
pub struct SolveConfig {
    /// TCP error that counts as solved for `numeric` and `hybrid`, metres (default 1e-4 = 0.1 mm).
    pub tolerance: f32,
    /// TCP error up to which a `prior` answer counts as solved, metres (default 0.02 = 2 cm).
    pub prior_accept: f32,
    /// `prior` stops drawing batches once its best collision-free sample is this close, metres
    /// (default 1e-3; `0` = always draw [`SolveConfig::max_batches`] batches, as the paper's 20).
    pub prior_stop: f32,
    /// Samples per batch for `prior` (default 1024: two of the sampler's 512-row chunks, one
    /// per core).
    pub batch_size: usize,
    /// Samples per batch for `hybrid` (default 128).
    pub hybrid_batch_size: usize,
    /// Most batches drawn by `prior`, and by `hybrid` before it falls back to random restarts
    /// (default 20).
    pub max_batches: usize,
    /// Collision-free candidates refined per batch by `hybrid`, best first (default 8).
    pub refine_candidates: usize,
    /// Iterations of the collision repair that `hybrid` applies to colliding (or unrefinable)
    /// prior samples: TCP steps plus null-space steps away from contact (default 30; `0` = off).
    pub repair_iterations: usize,
    /// Safety margin, metres: with a value > 0 an answer must keep at least this signed distance
    /// to the scene boxes, the ground and between links (default 0 = plain collision check).
    pub clearance: f32,
    /// Wall-clock budget of one solve, seconds (default 1 s). `prior` always finishes its
    /// current batch.
    pub time_budget: Duration,
    /// `numeric` runs two random-restart streams at once on the rayon pool (if it has more than
    /// one thread); the first to succeed wins (default true).
    pub parallel: bool,
    /// `hybrid` runs random restarts beside the prior refinement instead of after it (default
    /// false: on 2 loaded cores the second stream took CPU from the refinement and doubled the
    /// median time; see docs/benchmarks/ik-table2.md).
    pub hybrid_parallel: bool,
    /// The numeric IK's options (its `tolerance` and `time_budget` are overridden by the above).
    pub ik: IkConfig,
}

/// Distance above the clearance that the collision repair aims for, metres.
const REPAIR_MARGIN: f32 = 0.002;

/// Largest joint change of one repair step, rad.
const REPAIR_MAX_STEP: f64 = 0.2;

/// Random restarts per call of the numeric IK between checks of the stop flag.
const RESTART_CHUNK: usize = 16;

impl Default for SolveConfig {
    fn default() -> Self {
        SolveConfig {
            tolerance: 1e-4,
            prior_accept: 0.02,
            prior_stop: 1e-3,
            batch_size: 1024,
            hybrid_batch_size: 128,
            max_batches: 20,
            refine_candidates: 8,
            repair_iterations: 30,
            clearance: 0.0,
            time_budget: Duration::from_secs(1),
            parallel: true,
            hybrid_parallel: false,
            ik: IkConfig::panda(),
        }
    }
}

impl SolveConfig {
    /// Checks the options.
    ///
    /// # Errors
    /// [`SolveError::InvalidConfig`] for zero batch sizes or batches, negative or non-finite
    /// tolerances or clearance, or a zero time budget.
    pub fn validate(&self) -> Result<(), SolveError> {
        let bad = |reason: String| Err(SolveError::InvalidConfig { reason });
        if self.batch_size == 0 || self.hybrid_batch_size == 0 || self.max_batches == 0 {
            return bad("batch sizes and the number of batches must be at least 1".into());
        }
        for (name, v) in [
            ("tolerance", self.tolerance),
            ("prior_accept", self.prior_accept),
            ("prior_stop", self.prior_stop),
            ("clearance", self.clearance),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return bad(format!(
                    "{name} must be a finite number >= 0 (metres), got {v}"
                ));
            }
        }
        if self.time_budget.is_zero() {
            return bad("the time budget must be positive".into());
        }
        Ok(())
    }
}

/// How a solve ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SolveStatus {
    /// A collision-free answer (respecting the clearance) within the method's tolerance.
    Solved,
    /// Nothing acceptable within the budget; `q` is the best effort (possibly colliding).
    NotFound,
}

/// The answer of one solve.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SolveReport {
    /// The method used.
    pub method: Method,
    /// How the solve ended.
    pub status: SolveStatus,
    /// The configuration, rad (length = dof; the best effort when not solved).
    pub q: Vec<f32>,
    /// Its TCP position, metres, base frame.
    pub tcp: Vec3,
    /// Its TCP distance to the target, metres.
    pub error: f32,
    /// Whether `q` is free of self, obstacle and ground collision in the capsule model.
    pub collision_free: bool,
    /// Which kinds of contact `q` has.
    pub flags: CollisionFlags,
    /// Signed minimum distances of `q` (self, obstacles, ground), metres.
    pub distances: Distances,
    /// Whether `q` keeps the configured clearance (always true with clearance 0 and no contact).
    pub clearance_ok: bool,
    /// Wall-clock time from receiving the problem to the answer, seconds (model already loaded).
    pub seconds: f64,
    /// Prior samples drawn.
    pub samples: usize,
    /// Numeric IK iterations (all attempts).
    pub iterations: usize,
    /// Numeric IK attempts (seeded refinements plus random restarts).
    pub attempts: usize,
}

/// A candidate answer: TCP error (metres) and configuration.
#[derive(Debug, Clone)]
struct Candidate {
    error: f32,
    q: Vec<f32>,
}

/// Solves collision-free IK for TCP position targets with the three [`Method`]s.
#[derive(Debug, Clone)]
pub struct Solver {
    model: CollisionModel,
    config: SolveConfig,
}

/// Per-solve working state.
struct Work {
    start: Instant,
    poses: Vec<Pose>,
    scratch: Scratch,
    samples: usize,
    iterations: usize,
    attempts: usize,
    best_free: Option<Candidate>,
    best_any: Option<Candidate>,
    solved: bool,
}

/// Combines two streams of one solve: the better answers, summed counts.
fn merge(mut a: Work, b: Work) -> Work {
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
    /// [`SolveError::NonFiniteTarget`], [`SolveError::InvalidConfig`], or
    /// [`SolveError::BadSamples`] if the sampler returns a batch of the wrong length.
    pub fn solve<F>(
        &self,
        method: Method,
        target: Vec3,
        sampler: &mut F,
        rng: &mut StdRng,
    ) -> Result<SolveReport, SolveError>
    where
        F: FnMut(Vec3, usize, &mut StdRng) -> Vec<f32> + Send + ?Sized,
    {
        match method {
            Method::Prior => self.solve_prior(target, sampler, rng),
            Method::Mace => self.best_of_batches(Method::Mace, target, sampler, rng),
            Method::Numeric => self.solve_numeric(target, rng),
            Method::Hybrid => self.solve_hybrid(target, sampler, rng),
        }
    }

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
    ) -> Result<SolveReport, SolveError>
    where
        F: FnMut(Vec3, usize, &mut StdRng) -> Vec<f32> + ?Sized,
    {
        self.best_of_batches(Method::Prior, target, sampler, rng)
    }

    /// The best-of-batches search of [`Method::Prior`] and [`Method::Mace`], reported as `method`.
    fn best_of_batches<F>(
        &self,
        method: Method,
        target: Vec3,
        sampler: &mut F,
        rng: &mut StdRng,
    ) -> Result<SolveReport, SolveError>
    where
        F: FnMut(Vec3, usize, &mut StdRng) -> Vec<f32> + ?Sized,
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
            for (err, i) in self.ranked(target, &q, &mut w) {
                if w.best_free.as_ref().is_some_and(|c| err >= c.error) {
                    break;
                }
                let row = &q[i * dof..(i + 1) * dof];
                if collides.as_ref().is_none_or(|c| !c[i]) && self.acceptable(row, &mut w) {
                    w.best_free = Some(Candidate {
                        error: err,
                        q: row.to_vec(),
                    });
                    break;
                }
            }
            if w.best_free
                .as_ref()
                .is_some_and(|c| c.error <= self.config.prior_stop)
            {
                break;
            }
        }
        w.solved = w
            .best_free
            .as_ref()
            .is_some_and(|c| c.error <= self.config.prior_accept);
        Ok(self.finish(method, target, w))
    }

    /// [`Method::Numeric`]: the [`IkSolver`] with random restarts until a collision-free
    /// configuration within [`SolveConfig::tolerance`] (and the clearance) or the budget. With
    /// [`SolveConfig::parallel`], two restart streams run at once (the first to succeed wins).
    ///
    /// # Errors
    /// As [`Solver::solve`].
    pub fn solve_numeric(&self, target: Vec3, rng: &mut StdRng) -> Result<SolveReport, SolveError> {
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
    ) -> Result<SolveReport, SolveError>
    where
        F: FnMut(Vec3, usize, &mut StdRng) -> Vec<f32> + Send + ?Sized,
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

    fn parallel(&self) -> bool {
        self.config.parallel && rayon::current_num_threads() > 1
    }

    /// Prior batches, each refining its best collision-free samples; stops at `stop`.
    fn refine_stream<F>(
        &self,
        target: Vec3,
        sampler: &mut F,
        rng: &mut StdRng,
        stop: &AtomicBool,
        start: Instant,
    ) -> Result<Work, SolveError>
    where
        F: FnMut(Vec3, usize, &mut StdRng) -> Vec<f32> + ?Sized,
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
            for (err, i) in self.ranked(target, &q, &mut w) {
                if refined >= self.config.refine_candidates || halt(&w) {
                    break;
                }
                let row = &q[i * dof..(i + 1) * dof];
                if !self.acceptable(row, &mut w) {
                    if self.config.repair_iterations > 0 {
                        refined += 1;
                        w.attempts += 1;
                        if let Some((e, fixed)) = self.repair(target, row, &mut w) {
                            if self.consider(&fixed, e, IkStatus::Converged, &mut w) {
                                w.solved = true;
                                break 'batches;
                            }
                        }
                    }
                    continue;
                }
                if w.best_free.as_ref().is_none_or(|c| err < c.error) {
                    w.best_free = Some(Candidate {
                        error: err,
                        q: row.to_vec(),
                    });
                }
                if err <= self.config.tolerance {
                    w.solved = true;
                    break 'batches;
                }
                refined += 1;
                w.attempts += 1;
                let r = refine.solve(target, Some(row), rng);
                w.iterations += r.iterations;
                if self.consider(&r.q, r.error, r.status, &mut w) {
                    w.solved = true;
                    break 'batches;
                }
                if self.config.repair_iterations > 0 {
                    if let Some((e, fixed)) = self.repair(target, row, &mut w) {
                        if self.consider(&fixed, e, IkStatus::Converged, &mut w) {
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
    /// ([`CollisionModel::closest_contact`], [`crate::Contact::gradient`]). Returns the TCP error
    /// (metres) and the configuration once it is within the tolerance and keeps the clearance.
    fn repair(&self, target: Vec3, q0: &[f32], w: &mut Work) -> Option<(f32, Vec<f32>)> {
        use nalgebra::{Matrix3, SMatrix, Vector3};
        let chain = self.model.chain();
        let dof = chain.dof();
        if dof != 7 || q0.len() != dof {
            return None;
        }
        let lower = chain.lower();
        let upper = chain.upper();
        let goal = self.config.clearance + REPAIR_MARGIN;
        // Distances beyond the goal do not steer the repair: only contact is computed exactly.
        let cutoff = goal + REPAIR_MARGIN;
        let l2 = self.config.ik.damping * self.config.ik.damping;
        let mut q = q0.to_vec();
        let mut columns = vec![[0.0f32; 3]; dof];
        for _ in 0..self.config.repair_iterations {
            w.iterations += 1;
            chain.link_poses_into(&q, &mut w.poses);
            let contact = self.model.closest_contact(&w.poses, &mut w.scratch, cutoff);
            let d = contact.map_or(cutoff, |c| c.distance);
            let p = w.poses[chain.tip()].trans;
            let e = sub(target, p);
            let err = norm(e);
            if d >= self.config.clearance && d > 0.0 && err <= self.config.tolerance {
                return Some((err, q));
            }
            chain.point_jacobian(&w.poses, chain.tip(), p, &mut columns);
            let jac = SMatrix::<f64, 3, 7>::from_fn(|r, j| columns[j][r] as f64);
            let jjt: Matrix3<f64> = jac * jac.transpose();
            let damped = jjt + Matrix3::identity() * l2;
            let chol = damped.cholesky()?;
            let ev = Vector3::new(e[0] as f64, e[1] as f64, e[2] as f64);
            let mut dq = jac.transpose() * chol.solve(&ev);
            if let Some(c) = contact.filter(|c| c.distance < goal) {
                let g = c.gradient(chain, &w.poses);
                let grad = SMatrix::<f64, 7, 1>::from_fn(|j, _| g[j] as f64);
                // Project the distance gradient onto the null space of the TCP task.
                let g_null = grad - jac.transpose() * chol.solve(&(jac * grad));
                let n2 = g_null.norm_squared();
                if n2 > 1e-12 {
                    dq += g_null * ((goal - d) as f64 / n2);
                }
            }
            let largest = dq.amax();
            if largest > REPAIR_MAX_STEP {
                dq *= REPAIR_MAX_STEP / largest;
            }
            for j in 0..dof {
                q[j] = (q[j] + dq[j] as f32).clamp(lower[j], upper[j]);
            }
        }
        None
    }

    /// Random-restart numeric IK until solved, `stop` or the budget.
    fn restart_stream(
        &self,
        target: Vec3,
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
                .solve(target, None, rng);
            w.iterations += r.iterations;
            w.attempts += r.restarts + 1;
            if self.consider(&r.q, r.error, r.status, &mut w) {
                w.solved = true;
                stop.store(true, Ordering::Relaxed);
                break;
            }
        }
        w
    }

    fn dof(&self) -> usize {
        self.model.chain().dof()
    }

    fn check(&self, target: Vec3) -> Result<(), SolveError> {
        if !target.iter().all(|v| v.is_finite()) {
            return Err(SolveError::NonFiniteTarget { target });
        }
        self.config.validate()
    }

    fn work_from(&self, start: Instant) -> Work {
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

    fn over_budget(&self, w: &Work) -> bool {
        w.start.elapsed() >= self.config.time_budget
    }

    fn remaining(&self, w: &Work) -> Duration {
        self.config.time_budget.saturating_sub(w.start.elapsed())
    }

    fn ik_solver(&self, max_restarts: usize, budget: Option<Duration>) -> IkSolver {
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
    fn draw<F>(
        &self,
        target: Vec3,
        n: usize,
        sampler: &mut F,
        rng: &mut StdRng,
        w: &mut Work,
    ) -> Result<Vec<f32>, SolveError>
    where
        F: FnMut(Vec3, usize, &mut StdRng) -> Vec<f32> + ?Sized,
    {
        let q = sampler(target, n, rng);
        let dof = self.dof();
        if q.len() != n * dof {
            return Err(SolveError::BadSamples {
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
    fn ranked(&self, target: Vec3, q: &[f32], w: &mut Work) -> Vec<(f32, usize)> {
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
    fn acceptable(&self, q: &[f32], w: &mut Work) -> bool {
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
    fn consider(&self, q: &[f32], error: f32, status: IkStatus, w: &mut Work) -> bool {
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

    fn finish(&self, method: Method, target: Vec3, mut w: Work) -> SolveReport {
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
fn clear(d: &Distances, margin: f32) -> bool {
    d.self_distance >= margin && d.obstacle_distance >= margin && d.ground_distance >= margin
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{KinematicChain, Scene};
    use rand::Rng;

    /// A toy prior: known collision-free solutions for the box target plus uniform noise of
    /// ±`noise` rad per joint.
    fn toy(
        chain: &KinematicChain,
        solutions: Vec<Vec<f32>>,
        noise: f32,
    ) -> impl FnMut(Vec3, usize, &mut StdRng) -> Vec<f32> {
        let lower = chain.lower();
        let upper = chain.upper();
        move |_t, n, rng| {
            let mut out = Vec::with_capacity(n * 7);
            for i in 0..n {
                let s = &solutions[i % solutions.len()];
                for j in 0..s.len() {
                    let v = s[j] + rng.random_range(-noise..=noise);
                    out.push(v.clamp(lower[j], upper[j]));
                }
            }
            out
        }
    }

    /// Collision-free exact solutions for the box scene's target, from the numeric IK.
    fn box_solutions(n: usize) -> (KinematicChain, Scene, Vec<Vec<f32>>) {
        let chain = KinematicChain::panda();
        let scene = Scene::by_name("box").unwrap();
        let ik = IkSolver::new(
            CollisionModel::new(&chain, &scene),
            IkConfig {
                time_budget: None,
                tolerance: 1e-6,
                ..IkConfig::panda()
            },
        );
        let mut rng = StdRng::seed_from_u64(11);
        let sols = (0..n)
            .map(|_| {
                let r = ik.solve(scene.target, None, &mut rng);
                assert!(r.collision_free && r.error < 1e-5);
                r.q
            })
            .collect();
        (chain, scene, sols)
    }

    fn config() -> SolveConfig {
        SolveConfig {
            time_budget: Duration::from_secs(10),
            ..SolveConfig::default()
        }
    }

    #[test]
    fn prior_returns_the_best_collision_free_sample() {
        let (chain, scene, sols) = box_solutions(2);
        let solver = Solver::new(CollisionModel::new(&chain, &scene), config());
        let mut sampler = toy(&chain, sols, 0.01);
        let r = solver
            .solve(
                Method::Prior,
                scene.target,
                &mut sampler,
                &mut StdRng::seed_from_u64(1),
            )
            .unwrap();
        assert_eq!(r.status, SolveStatus::Solved);
        assert!(
            r.collision_free && r.clearance_ok && r.error <= 0.02,
            "{r:?}"
        );
        let batch = solver.config().batch_size;
        assert!(r.samples >= batch && r.iterations == 0);
        // Reproducible for a seed.
        let again = solver
            .solve(
                Method::Prior,
                scene.target,
                &mut sampler,
                &mut StdRng::seed_from_u64(1),
            )
            .unwrap();
        assert_eq!(r.q, again.q);
        // The answer is the lowest-error collision-free sample of the batches.
        let mut rng = StdRng::seed_from_u64(1);
        let model = CollisionModel::new(&chain, &scene);
        let mut best = f32::INFINITY;
        for _ in 0..r.samples / batch {
            let q = sampler(scene.target, batch, &mut rng);
            let free = model.collides_batch(&q).unwrap();
            let tcp = chain.tcp_positions(&q).unwrap();
            for (f, t) in free.iter().zip(&tcp) {
                if !f {
                    best = best.min(norm(sub(scene.target, *t)));
                }
            }
        }
        assert!((best - r.error).abs() < 1e-6, "{best} vs {}", r.error);
    }

    #[test]
    fn hybrid_refines_to_the_tolerance() {
        let (chain, scene, sols) = box_solutions(3);
        let solver = Solver::new(CollisionModel::new(&chain, &scene), config());
        let mut sampler = toy(&chain, sols, 0.02);
        for seed in 0..5 {
            let r = solver
                .solve(
                    Method::Hybrid,
                    scene.target,
                    &mut sampler,
                    &mut StdRng::seed_from_u64(seed),
                )
                .unwrap();
            assert_eq!(r.status, SolveStatus::Solved);
            assert!(r.error <= 1e-4 && r.collision_free, "{r:?}");
            assert!(r.attempts >= 1 && r.iterations >= 1);
        }
    }

    #[test]
    fn repair_moves_colliding_samples_out_of_contact() {
        // Near misses: exact solutions for the box target, found without the box from seeds
        // near collision-free solutions, that collide with the box.
        let (chain, scene, sols) = box_solutions(4);
        let open = IkSolver::new(
            CollisionModel::new(&chain, &Scene::empty(scene.target)),
            IkConfig {
                time_budget: None,
                max_restarts: 0,
                ..IkConfig::panda()
            },
        );
        let boxed = CollisionModel::new(&chain, &scene);
        let mut rng = StdRng::seed_from_u64(21);
        let mut colliding = Vec::new();
        for k in 0..10_000 {
            if colliding.len() == 16 {
                break;
            }
            let seed: Vec<f32> = sols[k % sols.len()]
                .iter()
                .map(|v| v + rng.random_range(-0.3f32..=0.3))
                .collect();
            let r = open.solve(scene.target, Some(&seed), &mut rng);
            if r.error <= 1e-4 && boxed.collides_batch(&r.q).unwrap()[0] {
                colliding.push(r.q);
            }
        }
        assert_eq!(colliding.len(), 16);
        // Only the repair can succeed: one stream, a single random restart after the batches.
        let only_repair = |repair_iterations| SolveConfig {
            parallel: false,
            repair_iterations,
            max_batches: 4,
            ik: IkConfig {
                max_restarts: 0,
                ..IkConfig::panda()
            },
            ..config()
        };
        let mut solved = [0, 0];
        for (k, iterations) in [0, 30].into_iter().enumerate() {
            let solver = Solver::new(boxed.clone(), only_repair(iterations));
            let mut sampler = toy(&chain, colliding.clone(), 0.0);
            for seed in 0..8 {
                let r = solver
                    .solve(
                        Method::Hybrid,
                        scene.target,
                        &mut sampler,
                        &mut StdRng::seed_from_u64(seed),
                    )
                    .unwrap();
                if r.status == SolveStatus::Solved {
                    assert!(r.collision_free && r.error <= 1e-4, "{r:?}");
                    solved[k] += 1;
                }
            }
        }
        assert!(
            solved[1] > solved[0] && solved[1] >= 4,
            "without / with repair: {solved:?}"
        );
    }

    #[test]
    fn numeric_solves_without_a_sampler() {
        let chain = KinematicChain::panda();
        let scene = Scene::by_name("box").unwrap();
        let solver = Solver::new(CollisionModel::new(&chain, &scene), config());
        let mut never = |_: Vec3, _: usize, _: &mut StdRng| -> Vec<f32> { unreachable!() };
        let r = solver
            .solve(
                Method::Numeric,
                scene.target,
                &mut never,
                &mut StdRng::seed_from_u64(2),
            )
            .unwrap();
        assert_eq!(r.status, SolveStatus::Solved);
        assert!(r.error <= 1e-4 && r.collision_free && r.samples == 0);
    }

    #[test]
    fn clearance_is_kept() {
        let (chain, scene, sols) = box_solutions(4);
        let margin = 0.01;
        let solver = Solver::new(
            CollisionModel::new(&chain, &scene),
            SolveConfig {
                clearance: margin,
                ..config()
            },
        );
        let mut sampler = toy(&chain, sols, 0.05);
        for method in Method::ALL {
            let r = solver
                .solve(
                    method,
                    scene.target,
                    &mut sampler,
                    &mut StdRng::seed_from_u64(3),
                )
                .unwrap();
            if r.status == SolveStatus::Solved {
                assert!(clear(&r.distances, margin), "{method}: {r:?}");
            } else {
                assert!(!r.clearance_ok || r.error > solver.config().tolerance);
            }
        }
    }

    #[test]
    fn bad_input_is_an_error() {
        let (chain, scene, sols) = box_solutions(1);
        let solver = Solver::new(CollisionModel::new(&chain, &scene), config());
        let mut sampler = toy(&chain, sols, 0.01);
        let mut rng = StdRng::seed_from_u64(0);
        for method in Method::ALL {
            let e = solver
                .solve(method, [f32::NAN, 0.0, 0.5], &mut sampler, &mut rng)
                .unwrap_err();
            assert!(matches!(e, SolveError::NonFiniteTarget { .. }));
        }
        let mut short = |_: Vec3, n: usize, _: &mut StdRng| vec![0.0f32; n * 6];
        let e = solver
            .solve(Method::Prior, scene.target, &mut short, &mut rng)
            .unwrap_err();
        assert!(
            e.to_string().contains("6144 values for 1024 samples of 7"),
            "{e}"
        );
        assert!("tune".parse::<Method>().is_err());
        assert_eq!("hybrid".parse::<Method>().unwrap(), Method::Hybrid);
        let zero = Solver::new(
            CollisionModel::new(&chain, &scene),
            SolveConfig {
                batch_size: 0,
                ..config()
            },
        );
        assert!(zero
            .solve(Method::Prior, scene.target, &mut sampler, &mut rng)
            .is_err());
    }

    #[test]
    fn no_collision_free_solution_ends_within_the_budget() {
        let chain = KinematicChain::panda();
        // A box around the whole robot: every configuration collides.
        let scene = Scene::from_toml_str(
            "name = \"cage\"\ntarget = [0.5, 0.0, 0.5]\n[[boxes]]\ncenter = [0.0, 0.0, 0.5]\nsize = [3.0, 3.0, 3.0]\n",
        )
        .unwrap();
        let solver = Solver::new(
            CollisionModel::new(&chain, &scene),
            SolveConfig {
                time_budget: Duration::from_millis(200),
                ..SolveConfig::default()
            },
        );
        let c = chain.clone();
        let mut sampler = move |_: Vec3, n: usize, rng: &mut StdRng| c.sample_uniform(n, rng);
        for method in Method::ALL {
            let r = solver
                .solve(
                    method,
                    scene.target,
                    &mut sampler,
                    &mut StdRng::seed_from_u64(4),
                )
                .unwrap();
            assert_eq!(r.status, SolveStatus::NotFound, "{method}");
            assert!(!r.collision_free && r.q.len() == 7);
        }
        // Unreachable target: nothing within the tolerance.
        let free = Solver::new(
            CollisionModel::new(&chain, &Scene::empty([0.0; 3])),
            SolveConfig {
                time_budget: Duration::from_millis(200),
                ..SolveConfig::default()
            },
        );
        for method in Method::ALL {
            let r = free
                .solve(
                    method,
                    [3.0, 0.0, 0.5],
                    &mut sampler,
                    &mut StdRng::seed_from_u64(5),
                )
                .unwrap();
            assert_eq!(r.status, SolveStatus::NotFound, "{method}");
            assert!(r.error > 1.5);
        }
    }
}
