//! `mace demo`: the main job — collision-free IK for the Panda from the shipped prior (the box
//! scene solved by the hybrid method, the window scene tuned with MACE); `mace demo toy`: the
//! 2-D problem with a known answer.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use mace_core::toy::{ToyBaseline, ToyProblem, ToyRun};
use mace_core::{Objective, TuneConfig};
use mace_lab::ik::demo::{BOX_CLEARANCE, BOX_SOLVES, WINDOW_SAMPLES};
use mace_lab::ik::{load_prior, run_ik_demo, IkDemo};
use mace_robot::solve::Method;
use mace_robot::KinematicChain;
use rand::{rngs::StdRng, SeedableRng};

use crate::output::{emit_json, write_json, ResultsDir};
use crate::pictures::{panel, picture_rows, save_curves, save_robot_picture};
use crate::progress::TuneProgress;
use crate::say;
use mace_viz::{render_curves, save_png, stack_vertical, Panel};

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
    /// Write pictures and the report into this folder: `window.png` (prior | MACE posterior),
    /// `box.png` (answers of prior and hybrid), `curves.png` and `demo.json` (the toy demo:
    /// `curves.png` and `demo.json`).
    #[arg(long, global = true, value_name = "DIR")]
    out: Option<PathBuf>,
}

/// Which demonstration to run; without one, the main job.
#[derive(Debug, Subcommand)]
enum DemoKind {
    /// The Panda: solve the box scene (prior samples refined by numeric IK) and tune the
    /// shipped prior to the window scene with MACE.
    Ik,
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

pub(crate) fn run(args: DemoArgs, force: bool) -> anyhow::Result<()> {
    match args.which.unwrap_or(DemoKind::Ik) {
        DemoKind::Ik => run_ik(args.seed, args.json, args.out, args.quiet, force),
        DemoKind::Toy => run_toy(args.seed, args.json, args.out, args.quiet, force),
    }
}

fn run_ik(
    seed: u64,
    json: Option<PathBuf>,
    out: Option<PathBuf>,
    quiet: bool,
    force: bool,
) -> anyhow::Result<()> {
    let out = out
        .as_deref()
        .map(|d| ResultsDir::new(d, force))
        .transpose()?;
    let robot = mace_robot::Robot::builtin("panda")?;
    let chain = &robot.chain;
    let prior = load_prior(None, &robot)?;
    say!(
        "Shipped IK prior loaded from {} in {:.1} ms.",
        prior.dir.display(),
        prior.load_seconds * 1e3
    );
    let mut bar = TuneProgress::new("mace", TuneConfig::panda_ik_fast().iterations, quiet)
        .positive_means("collision-free");
    let demo = run_ik_demo(&prior, chain, seed, &mut bar)?;
    bar.finish();
    let record = &demo.record;
    say!(
        "\nBox scene, target {:?} inside the box ({BOX_SOLVES} solves per method, {:.0} mm clearance):",
        demo.boxed.target,
        BOX_CLEARANCE * 1e3
    );
    say!("| method | solved | median time | median TCP error | collision-free |");
    say!("|---|---|---|---|---|");
    for row in record.box_rows() {
        say!(
            "| {} | {}/{} | {:.1} ms | {:.3} mm | {}/{} |",
            row.method.name(),
            row.solved,
            row.runs,
            row.median_s * 1e3,
            row.median_error * 1e3,
            row.collision_free,
            row.runs
        );
    }
    say!(
        "\nWindow scene, target {:?} through the window ({WINDOW_SAMPLES} samples each):",
        demo.window.target
    );
    say!("| model | mean score | collision-free | diversity (rad) |");
    say!("|---|---|---|---|");
    for (name, e) in [
        ("prior", &record.window_prior),
        ("MACE posterior", &record.window_posterior),
    ] {
        let div = e.diversity.map_or("n/a".into(), |d| format!("{d:.2}"));
        say!(
            "| {name} | {:.3} | {:.3} | {div} |",
            e.mean_score,
            e.success_rate
        );
    }
    let t = &record.window_tuning;
    say!(
        "MACE tuning: {:.2} s, {} steps ({:?}).",
        t.timings.total_s,
        t.steps_taken,
        t.status
    );
    if let Some(path) = json {
        emit_json(&path, record, force)?;
        if path != Path::new("-") {
            say!("Report written to {}", path.display());
        }
    }
    match out {
        Some(dir) => {
            let start = std::time::Instant::now();
            write_ik_pictures(&dir, chain, &demo)?;
            let path = dir.path().to_path_buf();
            dir.publish()?;
            say!(
                "Pictures window.png, box.png, curves.png and demo.json written to {} in {:.2} s.",
                path.display(),
                start.elapsed().as_secs_f64()
            );
        }
        None => say!(
            "Pictures of these samples and answers: `mace demo --out DIR` (window.png, box.png, curves.png)."
        ),
    }
    Ok(())
}

/// The IK demo's pictures and report in `dir`: `window.png` (prior | MACE posterior samples),
/// `box.png` (the answers of prior and hybrid), `curves.png` (the window tuning), `demo.json`.
fn write_ik_pictures(
    dir: &ResultsDir,
    chain: &KinematicChain,
    demo: &IkDemo,
) -> anyhow::Result<()> {
    let dof = chain.dof();
    save_robot_picture(
        chain,
        &demo.window,
        &[
            panel("prior", picture_rows(&demo.prior_q, dof)),
            panel("MACE posterior", picture_rows(&demo.posterior_q, dof)),
        ],
        &dir.file("window.png"),
        false,
    )?;
    let answers = |method: Method| {
        let runs: Vec<_> = demo
            .record
            .box_solves
            .iter()
            .filter(|r| r.method == method && r.q.len() == dof)
            .collect();
        let q: Vec<f32> = runs.iter().flat_map(|r| r.q.iter().copied()).collect();
        let colliding: Vec<bool> = runs.iter().map(|r| !r.collision_free).collect();
        (q, colliding)
    };
    let (prior_a, prior_c) = answers(Method::Prior);
    let (hybrid_a, hybrid_c) = answers(Method::Hybrid);
    save_robot_picture(
        chain,
        &demo.boxed,
        &[
            Panel {
                title: "prior answers",
                configs: &prior_a,
                colliding: Some(&prior_c),
                alpha: Some(0.5),
            },
            Panel {
                title: "hybrid answers",
                configs: &hybrid_a,
                colliding: Some(&hybrid_c),
                alpha: Some(0.5),
            },
        ],
        &dir.file("box.png"),
        false,
    )?;
    save_curves(
        &demo.record.window_tuning,
        "window (MACE)",
        &dir.file("curves.png"),
        false,
    )?;
    write_json(&dir.file("demo.json"), &demo.record, false)
}

fn run_toy(
    seed: u64,
    json: Option<PathBuf>,
    out: Option<PathBuf>,
    quiet: bool,
    force: bool,
) -> anyhow::Result<()> {
    let out = out
        .as_deref()
        .map(|d| ResultsDir::new(d, force))
        .transpose()?;
    let problem = ToyProblem::standard();
    let config = TuneConfig {
        seed,
        ..TuneConfig::toy()
    };
    let mut rng = StdRng::seed_from_u64(seed.wrapping_add(1000));
    let reference = problem.reference_posterior(EVAL_SAMPLES, &mut rng)?;
    let baseline = problem.baseline(&reference, EVAL_SAMPLES, seed.wrapping_add(2000))?;

    say!("Toy problem: 3-component Gaussian mixture prior in 2-D; score 1 inside the box");
    say!(
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

    say!("");
    say!("| model | fraction in box | MMD² to exact posterior | tuning time (s) |");
    say!("|---|---|---|---|");
    say!(
        "| prior | {:.3} | {:.4} | - |",
        baseline.region_prior_mass,
        baseline.prior_mmd_to_reference
    );
    for run in &runs {
        say!(
            "| {} posterior | {:.3} | {:.4} | {:.2} |",
            run.objective,
            run.fraction_in_region,
            run.mmd_to_reference,
            run.report.timings.total_s
        );
    }
    say!(
        "| exact posterior (rejection) | {:.3} | 0 | - |",
        baseline.reference_fraction_in_region
    );
    say!(
        "\n{} iterations, {} samples per iteration, quantile {}, lr {}, seed {seed}.",
        config.iterations,
        config.sample_size,
        config.quantile,
        config.lr
    );
    let record = ToyDemoRecord {
        problem: "toy",
        baseline,
        runs,
    };
    if let Some(path) = json {
        emit_json(&path, &record, force)?;
        if path != Path::new("-") {
            say!("Report written to {}", path.display());
        }
    }
    if let Some(dir) = out {
        let parts = record
            .runs
            .iter()
            .map(|r| {
                render_curves(
                    &r.report,
                    None,
                    &format!("toy ({})", r.objective),
                    (900, 640),
                )
            })
            .collect::<mace_viz::Result<Vec<_>>>()?;
        save_png(&stack_vertical(&parts)?, &dir.file("curves.png"), false)?;
        write_json(&dir.file("demo.json"), &record, false)?;
        let path = dir.path().to_path_buf();
        dir.publish()?;
        say!(
            "Pictures curves.png and demo.json written to {}",
            path.display()
        );
    }
    Ok(())
}
