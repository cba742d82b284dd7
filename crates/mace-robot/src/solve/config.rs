//! What a solve is asked to do: the [`Method`] and the [`SolveConfig`] options.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::ik::IkConfig;

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
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Method::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| Error::UnknownMethod {
                name: s.to_string(),
            })
    }
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
    /// Samples per batch for `hybrid` (default 32: smaller batches reach the refinement sooner; see the Table 2 section of docs/BENCHMARKS.md).
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
    /// median time; see the Table 2 section of docs/BENCHMARKS.md).
    pub hybrid_parallel: bool,
    /// The numeric IK's options (its `tolerance` and `time_budget` are overridden by the above).
    pub ik: IkConfig,
}

/// Distance above the clearance that the collision repair aims for, metres.
pub(super) const REPAIR_MARGIN: f32 = 0.002;

/// Largest joint change of one repair step, rad.
pub(super) const REPAIR_MAX_STEP: f64 = 0.2;

/// Random restarts per call of the numeric IK between checks of the stop flag.
pub(super) const RESTART_CHUNK: usize = 16;

impl Default for SolveConfig {
    fn default() -> Self {
        SolveConfig {
            tolerance: 1e-4,
            prior_accept: 0.02,
            prior_stop: 1e-3,
            batch_size: 1024,
            hybrid_batch_size: 32,
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
    /// [`Error::InvalidSolveConfig`] for zero batch sizes or batches, negative or non-finite
    /// tolerances or clearance, or a zero time budget.
    pub fn validate(&self) -> Result<()> {
        let bad = |reason: String| Err(Error::InvalidSolveConfig { reason });
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
