//! `mace complete tune`: point-cloud completion from a partial depth view (the experiment is
//! `mace_lab::shapes::tune_completion`; the bench is `mace bench completion`).

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use mace_lab::shapes::{
    load_shape_prior, shape_tune_config, tune_completion, CompleteTuneConfig, CompletionProblem,
    LatentObjective,
};
use mace_shapes::PointCloud;

use crate::args::{CameraArgs, ScoreArgs, ShapeSourceArgs, TuneKnobs};
use crate::output::{write_json, ResultsDir};
use crate::pictures::{save_completion_picture, save_curves, write_samples};
use crate::progress::TuneProgress;
use crate::say;
use crate::shape_args::{prior_points, with_shape_file, ShapeFileArgs};

/// Subcommands of `mace complete`.
#[derive(Debug, Subcommand)]
pub(crate) enum CompleteCommand {
    /// Tune the shape prior to one partial depth view and sample completions.
    Tune(CompleteTuneArgs),
}

/// Runs a `mace complete` subcommand.
pub(crate) fn run(command: CompleteCommand, force: bool) -> anyhow::Result<()> {
    match command {
        CompleteCommand::Tune(args) => tune(args, force),
    }
}

/// Arguments of `mace complete tune`.
#[derive(Debug, Args)]
pub(crate) struct CompleteTuneArgs {
    /// The observed object: an index into the test split, or a file: a cloud (PLY, NPY, PCD,
    /// JSON) or a mesh (OFF, OBJ, PLY with faces), brought into the prior's frame.
    #[arg(long, value_name = "INDEX|FILE")]
    shape: String,
    #[command(flatten)]
    file: ShapeFileArgs,
    #[command(flatten)]
    data: ShapeSourceArgs,
    /// Camera azimuth and elevation, degrees.
    #[arg(
        long,
        required = true,
        num_args = 2,
        value_names = ["AZ", "EL"],
        allow_negative_numbers = true
    )]
    view: Vec<f32>,
    #[command(flatten)]
    camera: CameraArgs,
    /// Gaussian depth noise added to the observation along the camera rays (cloud units).
    #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
    depth_noise: f32,
    #[command(flatten)]
    score: ScoreArgs,
    /// Tuning objective: mace, exact or is.
    #[arg(long, default_value = "mace")]
    objective: LatentObjective,
    /// `exact`: fraction of the way to the closed-form optimum taken per step.
    #[arg(long, default_value_t = 0.5, allow_negative_numbers = true)]
    step_fraction: f64,
    #[command(flatten)]
    knobs: TuneKnobs,
    /// Seed of every draw.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Samples drawn from prior and posterior to evaluate them (paper: 49).
    #[arg(long, default_value_t = 49, value_parser = crate::limits::count(100_000))]
    eval_samples: usize,
    /// Shape prior folder (default: the shipped assets/priors/airplanes).
    #[arg(long, value_name = "DIR")]
    prior: Option<PathBuf>,
    /// Output folder: observation.ply, ground_truth.ply, prior/ and posterior/sample_XX.ply,
    /// report.json, samples.png, curves.png.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
}

fn tune(args: CompleteTuneArgs, force: bool) -> anyhow::Result<()> {
    let [az, el] = args.view[..] else {
        bail!("--view takes two numbers: AZ EL (degrees)");
    };
    let camera = args.camera.camera([az, el])?;
    let out = ResultsDir::new(&args.out, force)?;
    let n = prior_points(args.prior.as_deref());
    let shape = (args.file).load(&args.data.source(), &args.shape, n, args.seed)?;
    let (truth, shape_name) = (&shape.cloud, &shape.name);
    if let Some(f) = &shape.file {
        say!("{}", f.summary());
    }
    let problem = CompletionProblem::new(
        truth,
        camera,
        args.depth_noise,
        args.seed,
        &args.score.config(),
    )
    .with_context(|| format!("observing {shape_name} from azimuth {az}°, elevation {el}°"))?;
    let prior = load_shape_prior(args.prior.as_deref())?;
    let config = CompleteTuneConfig {
        objective: args.objective,
        step_fraction: args.step_fraction,
        tune: args.knobs.apply(shape_tune_config(), args.seed),
        eval_samples: args.eval_samples,
        eval_seed: args.seed + 1,
    };
    let mut bar = TuneProgress::new(
        &format!("{:?}", args.objective),
        config.tune.iterations,
        args.quiet,
    );
    let run = tune_completion(&prior, truth, shape_name, problem, &config, &mut bar)?;
    bar.finish();
    let observed = &run.problem.observed;
    mace_shapes::write_point_cloud(
        out.file("observation.ply"),
        &PointCloud::new(observed.clone())?,
        false,
    )?;
    mace_shapes::write_point_cloud(out.file("ground_truth.ply"), truth, false)?;
    write_samples(&out.file("prior"), &run.prior_clouds, false)?;
    write_samples(&out.file("posterior"), &run.posterior_clouds, false)?;
    let record = &run.record;
    write_json(
        &out.file("report.json"),
        &with_shape_file(record, &shape)?,
        false,
    )?;
    save_completion_picture(
        &out.file("samples.png"),
        truth,
        observed,
        &run.prior_clouds,
        &run.posterior_clouds,
        false,
    )?;
    save_curves(
        &record.report,
        "completion tuning",
        &out.file("curves.png"),
        false,
    )?;
    let dir = out.path().to_path_buf();
    out.publish()?;
    let n = args.eval_samples.max(2);
    say!(
        "{shape_name}, view ({az}°, {el}°): {} of {} points seen; prior {}: {:?} with {} iterations in {:.2} s ({:?})",
        observed.len(),
        truth.len(),
        prior.dir.display(),
        args.objective,
        record.report.iterations.len(),
        record.report.timings.total_s,
        record.report.status
    );
    say!(
        "| model | score | Chamfer to truth (mean of {n}) | Chamfer to truth (best of {n}) | diversity | hidden-side diversity |"
    );
    say!("|---|---|---|---|---|---|");
    for (name, e) in [
        ("prior", &record.prior_eval),
        ("posterior", &record.posterior_eval),
    ] {
        say!(
            "| {name} | {:.3} | {:.3e} | {:.3e} | {:.3e} | {} |",
            e.mean_score,
            e.chamfer_mean,
            e.chamfer_best,
            e.diversity,
            e.hidden_diversity
                .map_or_else(|| "n/a".into(), |v| format!("{v:.3e}"))
        );
    }
    say!("written to {}", dir.display());
    Ok(())
}
