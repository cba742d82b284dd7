//! `mace demo`: the main job — collision-free IK for the Panda from the shipped prior (the box
//! scene solved by the hybrid method, the window scene tuned with MACE); `mace demo toy`: the
//! 2-D problem with a known answer.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use mace_core::toy::{ToyBaseline, ToyProblem, ToyRun};
use mace_core::{Objective, TuneConfig};
use rand::{rngs::StdRng, SeedableRng};

use crate::output::write_json;
use crate::progress::TuneProgress;
use crate::render::{render_curves, save_png, stack_vertical};

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

pub(crate) fn run(args: DemoArgs) -> anyhow::Result<()> {
    match args.which.unwrap_or(DemoKind::Ik) {
        DemoKind::Ik => run_ik(args.seed, args.json, args.out, args.quiet),
        DemoKind::Toy => run_toy(args.seed, args.json, args.out, args.quiet),
    }
}

/// Everything the IK demo measured, as written by `--json`.
#[derive(Debug, serde::Serialize)]
struct IkDemoRecord {
    prior_load_s: f64,
    box_solves: Vec<mace_robot::solve::SolveReport>,
    window_prior: mace_robot::prior_eval::SceneSampleEval,
    window_posterior: mace_robot::prior_eval::SceneSampleEval,
    window_tuning: mace_core::TuneReport,
}

fn run_ik(
    seed: u64,
    json: Option<PathBuf>,
    out: Option<PathBuf>,
    quiet: bool,
) -> anyhow::Result<()> {
    use mace_models::fast::ArGmmSampler;
    use mace_robot::solve::{Method, SolveConfig, Solver};
    use mace_robot::{CollisionModel, KinematicChain, Scene};

    let chain = KinematicChain::panda();
    let start = std::time::Instant::now();
    let (prior, _, dir) = crate::cmd::prior::load_prior(None)?;
    let sampler = ArGmmSampler::new(&prior)?;
    let prior_load_s = start.elapsed().as_secs_f64();
    println!(
        "Shipped IK prior loaded from {} in {:.1} ms.",
        dir.display(),
        prior_load_s * 1e3
    );

    // 1. The box scene: a collision-free answer inside an open box, several times.
    let boxed = Scene::by_name("box")?;
    // 3 mm of clearance: our capsules are not the reference's meshes, so keep a margin.
    let config = SolveConfig {
        clearance: 0.003,
        ..SolveConfig::default()
    };
    let solver = Solver::new(CollisionModel::new(&chain, &boxed), config);
    let mut rng = StdRng::seed_from_u64(seed);
    let mut draw = |t: [f32; 3], n: usize, r: &mut StdRng| sampler.sample(&t, n, r);
    let mut box_solves = Vec::new();
    for method in [Method::Prior, Method::Hybrid] {
        for _ in 0..5 {
            box_solves.push(solver.solve(method, boxed.target, &mut draw, &mut rng)?);
        }
    }
    println!(
        "\nBox scene, target {:?} inside the box (5 solves per method, 3 mm clearance):",
        boxed.target
    );
    println!("| method | solved | median time | median TCP error | collision-free |");
    println!("|---|---|---|---|---|");
    for method in [Method::Prior, Method::Hybrid] {
        let runs: Vec<_> = box_solves.iter().filter(|r| r.method == method).collect();
        let mut times: Vec<f64> = runs.iter().map(|r| r.seconds).collect();
        let mut errors: Vec<f32> = runs.iter().map(|r| r.error).collect();
        times.sort_by(f64::total_cmp);
        errors.sort_by(f32::total_cmp);
        let solved = runs
            .iter()
            .filter(|r| r.status == mace_robot::solve::SolveStatus::Solved)
            .count();
        let free = runs.iter().filter(|r| r.collision_free).count();
        println!(
            "| {} | {solved}/{} | {:.1} ms | {:.3} mm | {free}/{} |",
            method.name(),
            runs.len(),
            times[times.len() / 2] * 1e3,
            errors[errors.len() / 2] * 1e3,
            runs.len()
        );
    }

    // 2. The window scene: tune the prior so that its samples reach through the window.
    let window = Scene::by_name("window")?;
    let config = mace_core::TuneConfig {
        seed,
        ..mace_core::TuneConfig::panda_ik_fast()
    };
    let conditioned = prior.conditioned(&window.target)?;
    let (window_prior, prior_q) =
        crate::cmd::tune::evaluate_model(&conditioned, &chain, &window, 1000, seed + 1)?;
    let mut bar =
        TuneProgress::new("mace", config.iterations, quiet).positive_means("collision-free");
    let (posterior, window_tuning) = crate::cmd::tune::tune_scene(
        &prior,
        solver.model(),
        &window,
        Objective::Mace,
        &config,
        // The paper's plain score (no obstacle margin): on the window the margin that helps the
        // wall scene cost 0.01–0.08 of success (docs/BENCHMARKS.md).
        crate::cmd::tune::TuneScope::default(),
        &mut bar,
    )?;
    bar.finish();
    let (window_posterior, posterior_q) =
        crate::cmd::tune::evaluate_model(&posterior, &chain, &window, 1000, seed + 1)?;
    println!(
        "\nWindow scene, target {:?} through the window (1000 samples each):",
        window.target
    );
    println!("| model | mean score | collision-free | diversity (rad) |");
    println!("|---|---|---|---|");
    for (name, e) in [
        ("prior", &window_prior),
        ("MACE posterior", &window_posterior),
    ] {
        let div = e.diversity.map_or("n/a".into(), |d| format!("{d:.2}"));
        println!(
            "| {name} | {:.3} | {:.3} | {div} |",
            e.mean_score, e.success_rate
        );
    }
    println!(
        "MACE tuning: {:.2} s, {} steps ({:?}).",
        window_tuning.timings.total_s, window_tuning.steps_taken, window_tuning.status
    );
    let record = IkDemoRecord {
        prior_load_s,
        box_solves,
        window_prior,
        window_posterior,
        window_tuning,
    };
    if let Some(path) = json {
        write_json(&path, &record)?;
        println!("Report written to {}", path.display());
    }
    match out {
        Some(dir) => {
            let start = std::time::Instant::now();
            write_ik_pictures(&dir, &boxed, &window, &record, &prior_q, &posterior_q)?;
            println!(
                "Pictures window.png, box.png, curves.png and demo.json written to {} in {:.2} s.",
                dir.display(),
                start.elapsed().as_secs_f64()
            );
        }
        None => println!(
            "Pictures of these samples and answers: `mace demo --out DIR` (window.png, box.png, curves.png)."
        ),
    }
    Ok(())
}

/// The IK demo's pictures and report in `dir`: `window.png` (prior | MACE posterior samples),
/// `box.png` (the answers of prior and hybrid), `curves.png` (the window tuning), `demo.json`.
fn write_ik_pictures(
    dir: &Path,
    boxed: &mace_robot::Scene,
    window: &mace_robot::Scene,
    record: &IkDemoRecord,
    prior_q: &[f32],
    posterior_q: &[f32],
) -> anyhow::Result<()> {
    use crate::cmd::tune::{picture_rows, save_robot_picture};
    use crate::render::Panel;
    use mace_robot::solve::Method;

    let dof = mace_robot::KinematicChain::panda().dof();
    save_robot_picture(
        window,
        &[
            Panel {
                title: "prior",
                configs: picture_rows(prior_q, dof),
                colliding: None,
                alpha: None,
            },
            Panel {
                title: "MACE posterior",
                configs: picture_rows(posterior_q, dof),
                colliding: None,
                alpha: None,
            },
        ],
        &dir.join("window.png"),
    )?;
    let answers = |method: Method| {
        let runs: Vec<_> = record
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
        boxed,
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
        &dir.join("box.png"),
    )?;
    save_png(
        &render_curves(&record.window_tuning, None, "window (MACE)", (900, 640))?,
        &dir.join("curves.png"),
    )?;
    write_json(&dir.join("demo.json"), record)
}

fn run_toy(
    seed: u64,
    json: Option<PathBuf>,
    out: Option<PathBuf>,
    quiet: bool,
) -> anyhow::Result<()> {
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
    let record = ToyDemoRecord {
        problem: "toy",
        baseline,
        runs,
    };
    if let Some(path) = json {
        write_json(&path, &record)?;
        println!("Report written to {}", path.display());
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
            .collect::<anyhow::Result<Vec<_>>>()?;
        save_png(&stack_vertical(&parts)?, &dir.join("curves.png"))?;
        write_json(&dir.join("demo.json"), &record)?;
        println!(
            "Pictures curves.png and demo.json written to {}",
            dir.display()
        );
    }
    Ok(())
}
