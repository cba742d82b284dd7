//! # mace-lab: the paper's experiments and our recipes, as library calls
//!
//! Each experiment is a function taking a plain, serde-able config and returning a serde
//! report with a `markdown()` view: the IK recipe and solve trials ([`ik`]), Tables 1 and 2,
//! the demo, grasp inference and Fig. 1, completion from a depth view and its bench
//! ([`shapes`]). The `mace` command is a thin shell over these; a test or a notebook can call
//! them directly.
//!
//! ```no_run
//! use mace_lab::ik::{load_prior, run_table1, Table1Config, TuneScope};
//! use mace_lab::Silent;
//! let robot = mace_robot::Robot::builtin("panda")?;
//! let chain = &robot.chain;
//! let prior = load_prior(None, &robot)?; // the shipped Panda prior
//! let config = Table1Config {
//!     targets: 2,
//!     samples: 200,
//!     seed: 0,
//!     tune: mace_core::TuneConfig::panda_ik_fast(),
//!     scope: TuneScope::default(),
//!     pose: false,
//! };
//! let table = run_table1(&prior, chain, &config, &mut Silent)?;
//! println!("{}", table.markdown());
//! # Ok::<(), mace_lab::Error>(())
//! ```

pub mod assets;
mod error;
pub mod ik;
mod overrides;
mod progress;
pub mod shapes;

pub use error::{Context, Error, Result};
pub use overrides::TuneOverrides;
pub use progress::{Progress, Silent};
