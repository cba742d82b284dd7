//! Shape experiments: shape priors and where shapes come from, latent tuning, grasp inference
//! (Fig. 1), completion from a depth view, training and inspecting a prior.

pub mod completion;
pub mod completion_bench;
pub mod fig1;
pub mod fig1_contacts;
pub mod grasp;
pub mod heading;
pub mod heading_bench;
pub mod inspect;
pub mod latent;
pub mod partial;
pub mod prior;
mod scan_geometry;
pub mod source;
pub mod train;

pub use completion::{
    evaluate_completions, tune_completion, CompleteTuneConfig, CompleteTuneRecord, CompleteTuneRun,
    CompletionEval, CompletionProblem,
};
pub use completion_bench::{run_completion_bench, CompletionBenchConfig, CompletionTable};
pub use fig1::{run_fig1, Fig1, Fig1Config};
pub use grasp::{tune_grasp, GraspTuneConfig, GraspTuneRecord, GraspTuneRun, SampleEval};
pub use inspect::{inspect_prior, PriorQuality};
pub use latent::{
    latent_at_prior, mixture_at_prior, mixture_tune_config, sample_clouds, shape_tune_config,
    tune_latent, tune_mixture, LatentObjective, TunedLatent, MAX_SAMPLE_CLOUDS,
};
pub use prior::{load_shape_cvae, load_shape_prior, LatentPrior, ShapePrior};
pub use source::ShapeSource;
pub use train::{train_shape_model, ShapeTrainConfig};
