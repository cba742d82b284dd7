//! `mace demo`: the main job. For now the 2-D toy problem with a known answer.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use mace_core::toy::{ToyBaseline, ToyProblem, ToyRun};
use mace_core::{Objective, TuneConfig};
use rand::{rngs::StdRng, SeedableRng};

use crate::output::write_json;
use crate::progress::TuneProgress;

/// Arguments of `mace demo`.
#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    #[command(subcommand)]
    which: Option<DemoKind>,
    /// Seed of every random draw.
    #[arg(long, global = true, default_value_t = 0)]
    seed: u64,
    /// Write the full report (config, per-iteration statistics, timings) as JSON to this file.
    #[arg(long, global = true, value_name = "FILE")]
    json: Option<PathBuf>,
    /// No progress bars.
    #[arg(long, short, global = true)]
    quiet: bool,
}

/// Which demonstration to run; without one, the main job.
#[derive(Debug, Subcommand)]
enum DemoKind {
    /// 2-D Gaussian-mixture prior, a box-shaped evidence holding 2.7% of its mass: MACE vs IS
    /// against the exact posterior (rejection sampling).
    Toy,
}

/// Everything the toy demo measured, as written by `--json`.
#[derive(Debug, serde::Serialize)]
struct ToyDemoRecord {
    problem: &'static str,
    baseline: ToyBaseline,
    runs: Vec<ToyRun>,
}

/// Posterior samples drawn to evaluate each tuned model, and reference samples.
const EVAL_SAMPLES: usize = 2000;

pub(crate) fn run(args: DemoArgs) -> anyhow::Result<()> {
    match args.which.unwrap_or(DemoKind::Toy) {
        DemoKind::Toy => run_toy(args.seed, args.json, args.quiet),
    }
}

fn run_toy(seed: u64, json: Option<PathBuf>, quiet: bool) -> anyhow::Result<()> {
    let problem = ToyProblem::standard();
    let config = TuneConfig {
        seed,
        ..TuneConfig::toy()
    };
    let mut rng = StdRng::seed_from_u64(seed.wrapping_add(1000));
    let reference = problem.reference_posterior(EVAL_SAMPLES, &mut rng)?;
    let baseline = problem.baseline(&reference, EVAL_SAMPLES, seed.wrapping_add(2000))?;

    println!("Toy problem: 3-component Gaussian mixture prior in 2-D; score 1 inside the box");
    println!(
        "  [{}, {}] x [{}, {}], exp(-d/{}) outside. Prior mass of the box: {:.4} (exact).",
        problem.score.lo[0],
        problem.score.hi[0],
        problem.score.lo[1],
        problem.score.hi[1],
        problem.score.tau,
        baseline.region_prior_mass
    );
    let mut runs = Vec::new();
    for objective in [Objective::Mace, Objective::Is] {
        let mut bar = TuneProgress::new(&objective.to_string(), config.iterations, quiet);
        let run = problem.run(objective, &config, &reference, EVAL_SAMPLES, &mut bar)?;
        bar.finish();
        runs.push(run);
    }

    println!();
    println!("| model | fraction in box | MMD² to exact posterior | tuning time (s) |");
    println!("|---|---|---|---|");
    println!(
        "| prior | {:.3} | {:.4} | - |",
        baseline.region_prior_mass, baseline.prior_mmd_to_reference
    );
    for run in &runs {
        println!(
            "| {} posterior | {:.3} | {:.4} | {:.2} |",
            run.objective, run.fraction_in_region, run.mmd_to_reference, run.report.timings.total_s
        );
    }
    println!(
        "| exact posterior (rejection) | {:.3} | 0 | - |",
        baseline.reference_fraction_in_region
    );
    println!(
        "\n{} iterations, {} samples per iteration, quantile {}, lr {}, seed {seed}.",
        config.iterations, config.sample_size, config.quantile, config.lr
    );
    if let Some(path) = json {
        write_json(
            &path,
            &ToyDemoRecord {
                problem: "toy",
                baseline,
                runs,
            },
        )?;
        println!("Report written to {}", path.display());
    }
    Ok(())
}
