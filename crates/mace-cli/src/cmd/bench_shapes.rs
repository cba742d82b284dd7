//! `mace bench grasp-fig1 | completion`: the paper's Fig. 1 and the completion bench (the
//! experiments are `mace_lab::shapes::run_fig1` and `run_completion_bench`).

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use mace_lab::shapes::fig1::{GraspSetup, HeldOut, MODELS};
use mace_lab::shapes::{
    load_shape_cvae, load_shape_prior, run_completion_bench, run_fig1, shape_tune_config,
    CompletionBenchConfig, Fig1Config, LatentObjective,
};
use mace_shapes::ScoreForm;

use crate::args::{CameraArgs, JsonArg, MixtureArgs, ScoreArgs, ShapeSourceArgs, TuneKnobs};
use crate::output::{emit_json, write_json, write_text, ResultsDir};
use crate::pictures::{save_completion_picture, save_grasp_picture};
use crate::progress::BarProgress;
use crate::say;

/// Parses a score form: `mean` (the paper's) or `sum` (the reference code's).
pub(crate) fn parse_score_form(s: &str) -> Result<ScoreForm, String> {
    match s {
        "mean" => Ok(ScoreForm::Mean),
        "sum" => Ok(ScoreForm::Sum),
        _ => Err(format!("unknown score form `{s}`: expected mean or sum")),
    }
}

/// Arguments of `mace bench grasp-fig1`.
#[derive(Debug, Args)]
pub(crate) struct Fig1Args {
    /// `reference`: the reference code's set-up (airplanes rolled by up to ±45° about z for
    /// training and test, the CVAE conditioned on contact points, tuned on the summed score;
    /// the shipped airplanes-rolled priors); `mirror`: unrolled, mirror-symmetric airplanes, the
    /// CVAE on contact distances, the paper's mean score (airplanes, airplanes-cvae). --roll,
    /// --score, --prior and --cvae override a set-up's choice.
    #[arg(long, default_value = "reference")]
    setup: GraspSetup,
    /// Held-out shapes (the first N of the split).
    #[arg(long, default_value_t = 100)]
    observations: usize,
    /// `test`: the test split (the figure); `val`: the validation split, to choose settings on
    /// shapes the figure does not use.
    #[arg(long, default_value = "test")]
    split: HeldOut,
    /// Samples per model and observation (paper: 49).
    #[arg(long, default_value_t = 49, value_parser = crate::limits::count(100_000))]
    samples: usize,
    #[command(flatten)]
    data: ShapeSourceArgs,
    /// Models to run, comma-separated, from prior, mace (the paper's MACE-VAE), mix (MACE-VAE
    /// with a mixture latent prior), exact, is, cvae (default: all).
    #[arg(long, value_delimiter = ',', default_values_t = MODELS.map(String::from))]
    models: Vec<String>,
    /// Score form tuned on: `mean` (the paper's mean of contact distances) or `sum` (the
    /// reference code's); default: the set-up's. Both forms are reported.
    #[arg(long, value_parser = parse_score_form)]
    score: Option<ScoreForm>,
    /// `exact`: fraction of the way to the closed-form optimum per step.
    #[arg(long, default_value_t = 0.5, allow_negative_numbers = true)]
    step_fraction: f64,
    #[command(flatten)]
    knobs: TuneKnobs,
    #[command(flatten)]
    mixture: MixtureArgs,
    /// Seed of the tuning and the samples.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Shape prior folder (default: the set-up's shipped one).
    #[arg(long, value_name = "DIR")]
    prior: Option<PathBuf>,
    /// CVAE folder (default: the set-up's shipped one).
    #[arg(long, value_name = "DIR")]
    cvae: Option<PathBuf>,
    #[command(flatten)]
    json: JsonArg,
    /// Output folder: `table.md`, `fig1.json`, and per setting a picture of the first
    /// observation's grasp with prior and MACE posterior samples (`in-distribution/samples.png`,
    /// `out-of-distribution/samples.png`).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
}

/// Runs Fig. 1.
pub(crate) fn fig1(args: Fig1Args, force: bool) -> anyhow::Result<()> {
    let out = args
        .out
        .as_deref()
        .map(|d| ResultsDir::new(d, force))
        .transpose()?;
    let (prior_dir, cvae_dir) = args.setup.shipped();
    let resolve = |given: &Option<PathBuf>, shipped: &str| {
        mace_lab::assets::resolve(given.as_deref(), shipped)
    };
    let prior = load_shape_prior(Some(&resolve(&args.prior, prior_dir)))?;
    let (cvae, cvae_dir) = load_shape_cvae(Some(&resolve(&args.cvae, cvae_dir)))?;
    let config = Fig1Config {
        observations: args.observations,
        split: args.split,
        samples: args.samples,
        data: args.data.source_with_roll(args.setup.roll_deg()),
        models: args.models.clone(),
        score: args.score.unwrap_or(args.setup.score_form()),
        step_fraction: args.step_fraction,
        tune: args.knobs.apply(shape_tune_config(), args.seed),
        mixture: args.mixture.settings(),
        mixture_tune: args.mixture.tune_config(args.seed)?,
        seed: args.seed,
    };
    let fig = run_fig1(
        &prior,
        &cvae,
        cvae_dir,
        &config,
        &mut BarProgress::new(args.quiet),
    )?;
    let table = fig.markdown();
    crate::term::say_raw(&table);
    if let Some(json) = &args.json.json {
        emit_json(json, &fig, force)?;
    }
    if let Some(dir) = out {
        for first in &fig.first {
            let sub = if first.ood {
                "out-of-distribution"
            } else {
                "in-distribution"
            };
            save_grasp_picture(
                &dir.file(sub).join("samples.png"),
                &mace_lab::shapes::grasp::grasp_simulator(first.ood),
                &first.shape,
                &first.target,
                &fig.prior_clouds,
                &first.posterior,
                false,
            )?;
        }
        write_json(&dir.file("fig1.json"), &fig, false)?;
        write_text(&dir.file("table.md"), &table, false)?;
        let path = dir.path().to_path_buf();
        dir.publish()?;
        say!("written to {}", path.display());
    }
    Ok(())
}

/// Parses `AZ,EL` (degrees).
pub(crate) fn parse_view(s: &str) -> Result<[f32; 2], String> {
    let parts: Vec<&str> = s.split(',').collect();
    let [az, el] = parts[..] else {
        return Err(format!("expected AZ,EL (degrees), got `{s}`"));
    };
    let num = |t: &str| {
        t.trim()
            .parse::<f32>()
            .map_err(|e| format!("`{t}` in `{s}`: {e}"))
    };
    Ok([num(az)?, num(el)?])
}

/// Arguments of `mace bench completion`.
#[derive(Debug, Args)]
pub(crate) struct CompletionBenchArgs {
    /// Held-out shapes (the first N of the test split). (`--shapes` is the size of the
    /// procedural set, shared with the other shape commands.)
    #[arg(long, default_value_t = 50)]
    test_shapes: usize,
    #[command(flatten)]
    data: ShapeSourceArgs,
    /// A camera view as AZ,EL in degrees; repeat for more (`--views 45,30 --views -135,20`,
    /// the default). Every shape is observed from each.
    #[arg(long, visible_alias = "view", value_name = "AZ,EL", num_args = 1,
          action = clap::ArgAction::Append, value_parser = parse_view, allow_hyphen_values = true,
          default_values = ["45,30", "-135,20"])]
    views: Vec<[f32; 2]>,
    #[command(flatten)]
    camera: CameraArgs,
    /// Gaussian depth noise added to the observations along the camera rays (cloud units).
    #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
    depth_noise: f32,
    #[command(flatten)]
    score: ScoreArgs,
    /// Tuned posteriors (and the tuning-free `best-of` baseline) to compare with the prior:
    /// comma-separated from mace, mix, exact, is, best-of (`mix` runs with its own preset: one
    /// MACE step on 4096 samples; the tuner's knobs apply to the others).
    #[arg(long, value_delimiter = ',', default_values = ["mace", "exact", "is", "best-of"])]
    objectives: Vec<LatentObjective>,
    /// `exact`: fraction of the way to the closed-form optimum per step.
    #[arg(long, default_value_t = 0.5, allow_negative_numbers = true)]
    step_fraction: f64,
    #[command(flatten)]
    knobs: TuneKnobs,
    /// Seed of the tuning and the evaluation draws.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Samples drawn from each model per observation (paper: 49).
    #[arg(long, default_value_t = 49, value_parser = crate::limits::count(100_000))]
    eval_samples: usize,
    /// Shape prior folder (default: the shipped assets/priors/airplanes).
    #[arg(long, value_name = "DIR")]
    prior: Option<PathBuf>,
    /// Print JSON to stdout (`--json`) or write it to a file (`--json OUT`, with the Markdown
    /// table beside it as OUT with extension `.md` and a picture of the first observation as
    /// OUT_samples.png).
    #[command(flatten)]
    json: JsonArg,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
}

/// Runs the completion bench.
pub(crate) fn completion(args: CompletionBenchArgs, force: bool) -> anyhow::Result<()> {
    let cameras = args
        .views
        .iter()
        .map(|&v| args.camera.camera(v))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let prior = load_shape_prior(args.prior.as_deref())?;
    let config = CompletionBenchConfig {
        test_shapes: args.test_shapes,
        data: args.data.source(),
        cameras,
        depth_noise: args.depth_noise,
        score: args.score.config(),
        objectives: args.objectives.clone(),
        step_fraction: args.step_fraction,
        tune: args.knobs.apply(shape_tune_config(), args.seed),
        seed: args.seed,
        eval_samples: args.eval_samples,
    };
    let table = run_completion_bench(&prior, &config, &mut BarProgress::new(args.quiet))?;
    let markdown = table.markdown();
    crate::term::say_raw(&markdown);
    if let Some(dest) = &args.json.json {
        emit_json(dest, &table, force)?;
        if dest != Path::new("-") {
            let md = dest.with_extension("md");
            write_text(&md, &markdown, force)?;
            if let Some(first) = &table.first {
                let stem = dest
                    .file_stem()
                    .map_or("completion".into(), |s| s.to_string_lossy().into_owned());
                let png = dest.with_file_name(format!("{stem}_samples.png"));
                save_completion_picture(
                    &png,
                    Some(&first.truth),
                    &first.observed,
                    &first.prior,
                    &first.posterior,
                    force,
                )
                .with_context(|| format!("drawing {}", png.display()))?;
            }
            eprintln!("written {} and {}", dest.display(), md.display());
        }
    }
    Ok(())
}
