//! `mace complete tune`: point-cloud completion from a partial depth view (the experiment is
//! `mace_lab::shapes::tune_completion`; the bench is `mace bench completion`).

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use mace_lab::shapes::partial::{load_partial_scan, TruthFrame, ViewSource};
use mace_lab::shapes::ShapePrior;
use mace_lab::shapes::{
    load_shape_prior, tune_completion, CompleteTuneConfig, CompletionProblem, LatentObjective,
};
use mace_shapes::PointCloud;

use crate::args::{CameraArgs, ScoreArgs, ShapeSourceArgs, TuneKnobs};
use crate::output::{write_json, ResultsDir};
use crate::pictures::{save_completion_picture, save_curves, write_samples};
use crate::progress::TuneProgress;
use crate::say;
use crate::shape_args::{with_shape_file, ShapeFileArgs};

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
    /// The full object: an index into the test split, or a file: a cloud (PLY, NPY, PCD,
    /// JSON) or a mesh (OFF, OBJ, PLY with faces), brought into the prior's frame. Observed
    /// from --view; with --observed, the truth the completions are measured against.
    #[arg(long, value_name = "INDEX|FILE", required_unless_present = "observed")]
    shape: Option<String>,
    /// A partial scan as a depth camera gave it (PLY, PCD, NPY, JSON points, any unit and
    /// axes): completed with no full shape needed; scaled and placed to match the prior's
    /// samples seen from the camera (or by the full shape's transform when --shape is given).
    #[arg(long, value_name = "FILE")]
    observed: Option<PathBuf>,
    /// The depth camera's position in the --observed file's coordinates (default: the view
    /// direction is estimated from the scan; or give --view in the prior's axes).
    #[arg(
        long = "camera",
        num_args = 3,
        value_names = ["X", "Y", "Z"],
        allow_negative_numbers = true,
        requires = "observed",
        conflicts_with = "view"
    )]
    camera_position: Option<Vec<f64>>,
    #[command(flatten)]
    file: ShapeFileArgs,
    #[command(flatten)]
    data: ShapeSourceArgs,
    /// Camera azimuth and elevation, degrees: in the prior's axes to observe --shape; with
    /// --observed, relative to the scan as read (after --up/--front, before --heading).
    #[arg(
        long,
        required_unless_present = "observed",
        num_args = 2,
        value_names = ["AZ", "EL"],
        allow_negative_numbers = true
    )]
    view: Option<Vec<f32>>,
    #[command(flatten)]
    camera: CameraArgs,
    /// Gaussian depth noise added to the observation along the camera rays (cloud units).
    #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
    depth_noise: f32,
    #[command(flatten)]
    score: ScoreArgs,
    /// Tuning objective: mace (the paper's MACE-VAE), mix (MACE-VAE with a mixture latent
    /// prior of up to 8 components over the axes the decoder uses: one MACE step, an EM fit to
    /// the best tenth of 4096 samples, unless the knobs say otherwise; it takes no learning
    /// rate, and each step refits to one mini-batch's elites; components and axes are set on
    /// `mace bench grasp-fig1`), exact or is.
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
    /// Output folder: observation.ply (in the prior's frame), ground_truth.ply (with a truth),
    /// prior/ and posterior/sample_XX.ply, report.json, samples.png, curves.png.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
}

fn tune(args: CompleteTuneArgs, force: bool) -> anyhow::Result<()> {
    let view = match &args.view {
        Some(v) => {
            let [az, el] = v[..] else {
                bail!("--view takes two numbers: AZ EL (degrees)");
            };
            Some([az, el])
        }
        None => None,
    };
    if args.observed.is_some() && args.depth_noise != 0.0 {
        bail!("--depth-noise simulates a camera's noise on --shape; a real --observed scan has its own");
    }
    let out = ResultsDir::new(&args.out, force)?;
    // The prior is loaded once it is needed, so that a bad shape or camera is reported first.
    let prior_cell = std::cell::OnceCell::new();
    let prior = || -> anyhow::Result<&ShapePrior> {
        if let Some(p) = prior_cell.get() {
            return Ok(p);
        }
        let loaded = load_shape_prior(args.prior.as_deref())?;
        Ok(prior_cell.get_or_init(|| loaded))
    };
    let n = mace_lab::shapes::prior::prior_points(args.prior.as_deref());
    let source = args.data.source();
    let shape = match &args.shape {
        Some(spec) => {
            let search = if args.file.searches_heading() {
                Some(prior()?)
            } else {
                None
            };
            Some((args.file).load(&source, spec, n, args.seed, search)?)
        }
        None => None,
    };
    if let Some(shape) = &shape {
        if let Some(f) = &shape.file {
            say!("{}", f.summary());
        }
        if let Some(h) = &shape.heading {
            say!("{}", h.summary());
        }
    }
    let (problem, scan) = match &args.observed {
        None => {
            let (Some(shape), Some([az, el])) = (&shape, view) else {
                bail!("--view AZ EL says where the camera observing --shape is");
            };
            let problem = CompletionProblem::new(
                &shape.cloud,
                args.camera.camera([az, el])?,
                args.depth_noise,
                args.seed,
                &args.score.config(),
            )
            .with_context(|| {
                format!(
                    "observing {} from azimuth {az}°, elevation {el}°",
                    shape.name
                )
            })?;
            (problem, None)
        }
        Some(path) => {
            let view = match (&args.camera_position, view) {
                (Some(c), _) => ViewSource::Position([c[0], c[1], c[2]]),
                (None, Some(v)) => ViewSource::View(v),
                (None, None) => ViewSource::Estimate,
            };
            let options = args.file.partial_options(view, shape.as_ref(), args.seed)?;
            let truth = shape.as_ref().and_then(|s| {
                s.file.as_ref().map(|record| TruthFrame {
                    cloud: &s.cloud,
                    record,
                    turn: s.turn,
                })
            });
            let scan = load_partial_scan(
                path,
                &options,
                &args.camera.intrinsics(),
                &args.score.config(),
                prior()?,
                truth,
            )?;
            for note in &scan.record.notes {
                say!("{}: {note}", path.display());
            }
            let (problem, record) = scan.into_problem(&args.score.config())?;
            (problem, Some(record))
        }
    };
    let truth = shape.as_ref().map(|s| &s.cloud);
    let shape_name = match (&shape, &args.observed) {
        (Some(s), _) => s.name.clone(),
        (None, Some(p)) => p.display().to_string(),
        (None, None) => String::new(),
    };
    let config = CompleteTuneConfig {
        objective: args.objective,
        step_fraction: args.step_fraction,
        tune: args.knobs.apply(args.objective.preset(), args.seed),
        eval_samples: args.eval_samples,
        eval_seed: args.seed + 1,
    };
    let mut bar = TuneProgress::new(
        &format!("{:?}", args.objective),
        config.tune.iterations,
        args.quiet,
    );
    let prior = prior()?;
    let run = tune_completion(prior, truth, &shape_name, problem, &config, &mut bar)?;
    bar.finish();
    let observed = &run.problem.observed;
    mace_shapes::write_point_cloud(
        out.file("observation.ply"),
        &PointCloud::new(observed.clone())?,
        false,
    )?;
    if let Some(truth) = truth {
        mace_shapes::write_point_cloud(out.file("ground_truth.ply"), truth, false)?;
    }
    write_samples(&out.file("prior"), &run.prior_clouds, false)?;
    write_samples(&out.file("posterior"), &run.posterior_clouds, false)?;
    let record = &run.record;
    let mut report = match &shape {
        Some(shape) => with_shape_file(record, shape)?,
        None => serde_json::to_value(record)?,
    };
    if let (Some(scan), Some(map)) = (&scan, report.as_object_mut()) {
        map.insert("observed_file".into(), serde_json::to_value(scan)?);
    }
    write_json(&out.file("report.json"), &report, false)?;
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
    crate::term::say_raw(&record.markdown());
    say!("written to {}", dir.display());
    Ok(())
}
