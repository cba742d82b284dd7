//! The experiments run in-process at small sizes: each paper table, the demo, and the tuning
//! recipes on the shipped priors.
//!
//! - `ik`: the demo, Tables 1 and 2, `tune_ik`, solve trials and their bad settings.
//! - `shapes`: Fig. 1, the completion bench, grasp and completion tuning, prior inspection.

mod batch;
mod ik;
mod latent_prior;
mod partial;
mod shapes;
mod tune_batch;
