//! `mace bench heading`: a real shape read with its up axis only, in any heading, completes as
//! well as when turned into the prior's axes by hand (the experiment is
//! `mace_lab::shapes::heading_bench`).

use std::path::PathBuf;

use clap::Args;
use mace_lab::shapes::heading_bench::{run_heading_bench, HeadingBenchConfig};
use mace_lab::shapes::{load_shape_prior, shape_tune_config};
use mace_shapes::{Axis, Frame};

use super::bench_shapes::parse_view;
use crate::args::{JsonArg, TuneKnobs};
use crate::output::emit_json;
use crate::progress::BarProgress;

/// The shipped real airliner mesh (CC BY 3.0; z up, nose +x).
const AIRLINER: &str = "assets/shapes/airliner/airliner.obj";

/// Arguments of `mace bench heading`.
#[derive(Debug, Args)]
pub(crate) struct HeadingBenchArgs {
    /// Shape file (default: the shipped airliner, assets/shapes/airliner/airliner.obj).
    #[arg(long, value_name = "FILE")]
    shape: Option<PathBuf>,
    /// The file's up axis (the shipped airliner's: z).
    #[arg(long, default_value = "z", allow_hyphen_values = true)]
    up: Axis,
    /// Where the file's nose points, for the hand-turned reference (the airliner's: x).
    #[arg(long, default_value = "x", allow_hyphen_values = true)]
    front: Axis,
    /// Extra turns about up applied to the shape as read (0: the file's own heading).
    #[arg(long, value_delimiter = ',', allow_negative_numbers = true,
          default_values_t = [0.0, 37.0, 113.0, 251.0, 322.0])]
    headings: Vec<f32>,
    /// A camera view as AZ,EL in degrees; repeat for more (default: four views the completion
    /// bench does not use).
    #[arg(long, visible_alias = "view", value_name = "AZ,EL", num_args = 1,
          action = clap::ArgAction::Append, value_parser = parse_view, allow_hyphen_values = true,
          default_values = ["0,20", "90,30", "180,15", "-60,45"])]
    views: Vec<[f32; 2]>,
    #[command(flatten)]
    knobs: TuneKnobs,
    /// Samples evaluated per completion.
    #[arg(long, default_value_t = 49, value_parser = crate::limits::count(100_000))]
    eval_samples: usize,
    /// Seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Shape prior folder (default: the shipped assets/priors/airplanes).
    #[arg(long, value_name = "DIR")]
    prior: Option<PathBuf>,
    #[command(flatten)]
    json: JsonArg,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
}

/// Runs the heading bench.
pub(crate) fn heading(args: HeadingBenchArgs, force: bool) -> anyhow::Result<()> {
    let file = args
        .shape
        .clone()
        .unwrap_or_else(|| mace_lab::assets::resolve(None, AIRLINER));
    let config = HeadingBenchConfig {
        file: file.display().to_string(),
        hand: Frame::new(args.up, Some(args.front))?,
        native: Frame::new(args.up, None)?,
        headings: args.headings.clone(),
        views: args.views.clone(),
        tune: args.knobs.apply(shape_tune_config(), args.seed),
        eval_samples: args.eval_samples,
        seed: args.seed,
    };
    let prior = load_shape_prior(args.prior.as_deref())?;
    let bench = run_heading_bench(&prior, &config, &mut BarProgress::new(args.quiet))?;
    crate::term::say_raw(&bench.markdown());
    if let Some(dest) = &args.json.json {
        emit_json(dest, &bench, force)?;
    }
    Ok(())
}
