//! # mace-core: Model Adaptation with the Cross-Entropy method
//!
//! Fine-tunes a generative model p(x; θ) at test time so that its samples fit an observation:
//! sample, simulate, score, keep the elite quantile, take gradient steps on their
//! log-likelihood, repeat. Nothing here knows robots or point clouds; domains implement
//! [`GenerativeModel`], [`Simulator`] and [`Score`] (or [`Evidence`] directly).
//!
//! ```
//! use mace_core::{toy::ToyProblem, NoObserver, Objective, TuneConfig, Tuner};
//! let problem = ToyProblem::standard();
//! let model = problem.prior()?;
//! let report = Tuner::new(TuneConfig::toy(), Objective::Mace)?
//!     .run(&model, &problem.evidence(), &mut NoObserver)?;
//! println!("mean score after tuning: {:.3}", report.last().unwrap().score_mean);
//! # Ok::<(), mace_core::Error>(())
//! ```

mod best_of;
mod config;
mod elite;
mod error;
pub mod fs;
pub mod metrics;
pub mod npy;
mod report;
pub mod stats;
pub mod toy;
mod traits;
mod tuner;

pub use best_of::prior_best_of;
pub use config::{Objective, TuneConfig, MAX_TIME_BUDGET_S};
pub use elite::{select_elites, Elites};
pub use error::{Error, Result};
pub use report::{IterationStats, NoObserver, Timings, TuneObserver, TuneReport, TuneStatus};
pub use traits::{
    AutogradAdam, Evidence, GenerativeModel, ModelOptimizer, Score, SimulatedEvidence, Simulator,
};
pub use tuner::Tuner;
