//! `mace bench ik-table2`: the paper's Table 2 (box scene) — solve time and TCP accuracy of the
//! `prior`, `numeric` and `hybrid` IK methods, ours beside the paper's, as Markdown and JSON.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::bail;
use clap::Args;
use mace_robot::solve::{Method, SolveConfig, SolveReport, Solver};
use mace_robot::{CollisionModel, KinematicChain, Scene};
use serde::Serialize;

use super::ik::{
    load_solve_prior, run_trials, solve_config, solve_tune_config, MaceTuning, SolveStats,
    TuningCost,
};
use super::tune::save_robot_picture;
use crate::output::{emit_json, write_atomic, write_json};
use crate::render::Panel;

/// Arguments of `mace bench ik-table2`.
#[derive(Debug, Args)]
pub(crate) struct Table2Args {
    /// Trials per method.
    #[arg(long, default_value_t = 30)]
    trials: usize,
    /// Seed of the first trial (trial t uses seed + t).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Time budget per solve, seconds.
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
    budget: f64,
    /// Safety margin, metres (see `mace ik solve --clearance`).
    #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
    clearance: f32,
    /// `prior` stops once its best collision-free sample is this close, metres (0 = all 20
    /// batches, as the paper).
    #[arg(long, default_value_t = 0.01)]
    prior_stop: f32,
    /// `numeric` with one random-restart stream instead of two (one per core).
    #[arg(long)]
    sequential: bool,
    /// Prior folder (default: the shipped assets/priors/panda-ik).
    #[arg(long, value_name = "DIR")]
    prior: Option<PathBuf>,
    /// Tuning settings of the `mace` row (tune, then sample).
    #[command(flatten, next_help_heading = "Tuning (the `mace` row)")]
    knobs: super::tune::TuneKnobs,
    #[command(flatten, next_help_heading = "Tuning (the `mace` row)")]
    scope: super::tune::IkScopeArgs,
    /// Skip the `mace` row (it tunes once per trial, so it is the slowest row).
    #[arg(long)]
    no_mace: bool,
    /// Write the results as JSON to FILE (`-` = stdout).
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Output folder: `table.md`, `table2.json` and `answers.png` (the answers of each method,
    /// one panel per method, over the box scene).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

/// The paper's Table 2 columns: (column, time mean s, time std s, accuracy text).
const MACE: (&str, f64, f64, &str) = ("MACE (prior only)", 0.106, 0.008, "1.92 ± 3.01 cm");
/// The paper's mean TCP error of its prior-only answers (Table 2), metres.
const PAPER_PRIOR_ERROR_M: f32 = 0.0192;
const MOVEIT: (&str, f64, f64, &str) = ("MoveIt", 1.553, 1.103, "< 1e-5 cm");
const MACE_MOVEIT: (&str, f64, f64, &str) = ("MACE + MoveIt", 0.641, 0.925, "< 1e-5 cm");

#[derive(Serialize)]
struct MethodResult {
    /// Row label: the method, `prior-20` for the paper's protocol (best of 20 batches of 1024
    /// samples, no early stop), or `prior-paper-acc` for `prior` stopping at the paper's mean
    /// accuracy (1.92 cm) instead of `--prior-stop`.
    row: &'static str,
    /// The paper's column this method reproduces.
    paper_column: &'static str,
    paper_time_mean_s: f64,
    paper_time_std_s: f64,
    paper_accuracy: &'static str,
    warmup_s: f64,
    summary: SolveStats,
    /// `mace` row: tuning cost per trial (included in the reports' `seconds`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tuning: Vec<TuningCost>,
    reports: Vec<SolveReport>,
}

#[derive(Serialize)]
struct Table2Output {
    scene: String,
    target: [f32; 3],
    trials: usize,
    seed: u64,
    budget_s: f64,
    clearance_m: f32,
    parallel: bool,
    prior: PathBuf,
    prior_load_s: f64,
    threads: usize,
    methods: Vec<MethodResult>,
}

fn cm(v: Option<f64>) -> String {
    v.map_or("n/a".into(), |m| format!("{:.2e}", m * 100.0))
}

/// Runs the bench.
pub(crate) fn run(args: Table2Args) -> anyhow::Result<()> {
    let started = Instant::now();
    if args.trials == 0 {
        bail!("--trials must be at least 1");
    }
    let mut config = solve_config(args.budget, args.clearance, args.prior_stop)?;
    config.parallel = !args.sequential;
    let chain = KinematicChain::panda();
    let scene = Scene::by_name("box")?;
    let prior = load_solve_prior(args.prior.as_deref())?;
    let model = CollisionModel::new(&chain, &scene);
    let paper_protocol = SolveConfig {
        prior_stop: 0.0,
        batch_size: 1024,
        max_batches: 20,
        ..config.clone()
    };
    let paper_accuracy = SolveConfig {
        prior_stop: PAPER_PRIOR_ERROR_M,
        ..config.clone()
    };
    let mut rows = vec![
        ("prior", Method::Prior, MACE, config.clone()),
        ("prior-paper-acc", Method::Prior, MACE, paper_accuracy),
        ("prior-20", Method::Prior, MACE, paper_protocol),
        ("numeric", Method::Numeric, MOVEIT, config.clone()),
        ("hybrid", Method::Hybrid, MACE_MOVEIT, config.clone()),
    ];
    if !args.no_mace {
        rows.push(("mace", Method::Mace, MACE, config.clone()));
    }
    let mace = MaceTuning {
        scene: &scene,
        config: solve_tune_config(&args.knobs, args.budget, args.seed),
        scope: args.scope.scope(0.0)?,
    };
    eprintln!(
        "box scene, target {:?}: {} trials per method, seed {}, budget {} s, clearance {} m, {} threads; prior {} loaded in {:.3} s",
        scene.target,
        args.trials,
        args.seed,
        args.budget,
        args.clearance,
        rayon::current_num_threads(),
        prior.dir.display(),
        prior.load_seconds
    );
    let mut methods = Vec::new();
    for (row, method, paper, config) in rows {
        let solver = Solver::new(model.clone(), config);
        let (reports, warmup, tuning) = run_trials(
            &solver,
            method,
            scene.target,
            Some(&prior),
            Some(&mace),
            args.trials,
            args.seed,
        )?;
        let summary = SolveStats::of(method, &reports);
        eprintln!(
            "{row}: {}/{} solved, median {:.2} ms",
            summary.solved,
            summary.trials,
            summary.time_median_s * 1e3
        );
        methods.push(MethodResult {
            row,
            paper_column: paper.0,
            paper_time_mean_s: paper.1,
            paper_time_std_s: paper.2,
            paper_accuracy: paper.3,
            warmup_s: warmup,
            summary,
            tuning,
            reports,
        });
    }
    let mut md = String::new();
    let _ = writeln!(
        md,

        "| method | paper column | paper time (s) | paper acc. | our time median (ms) | our time mean ± std (ms) | our TCP error mean ± std (cm) | our max error (cm) | success |"
    );
    let _ = writeln!(md, "|---|---|---|---|---|---|---|---|---|");
    for m in &methods {
        let s = &m.summary;
        let _ = writeln!(
        md,

            "| {} | {} | {:.3} ± {:.3} | {} | {:.2} | {:.2} ± {:.2} | {} ± {} | {} | {}/{} ({:.0}%) |",
            m.row,
            m.paper_column,
            m.paper_time_mean_s,
            m.paper_time_std_s,
            m.paper_accuracy,
            s.time_median_s * 1e3,
            s.time_mean_s * 1e3,
            s.time_std_s * 1e3,
            cm(s.error_mean_m),
            cm(s.error_std_m),
            cm(s.error_max_m),
            s.solved,
            s.trials,
            100.0 * s.success_rate
        );
    }
    if let Some(m) = methods.iter().find(|m| m.row == "mace") {
        let t: Vec<f64> = m.tuning.iter().map(|c| c.seconds).collect();
        let (med, mean, std) = super::ik::median_mean_std(&t).unwrap_or_default();
        let _ = writeln!(
            md,
            "\n`mace` row: tune the prior to the problem (MACE), then best of posterior batches; \
             tuning alone took a median {:.0} ms (mean {:.0} ± {:.0} ms) of its time.",
            med * 1e3,
            mean * 1e3,
            std * 1e3
        );
    }
    let _ = writeln!(md, "Prior load (one-off): {:.3} s.", prior.load_seconds);
    print!("{md}");

    let out = Table2Output {
        scene: scene.name.clone(),
        target: scene.target,
        trials: args.trials,
        seed: args.seed,
        budget_s: args.budget,
        clearance_m: args.clearance,
        parallel: !args.sequential,
        prior: prior.dir.clone(),
        prior_load_s: prior.load_seconds,
        threads: rayon::current_num_threads(),
        methods,
    };
    if let Some(json) = &args.json {
        emit_json(json, &out)?;
    }
    if let Some(dir) = &args.out {
        let start = Instant::now();
        let dof = chain.dof();
        let answers: Vec<(Vec<f32>, Vec<bool>)> = out
            .methods
            .iter()
            .map(|m| {
                let ok: Vec<&SolveReport> = m.reports.iter().filter(|r| r.q.len() == dof).collect();
                (
                    ok.iter().flat_map(|r| r.q.iter().copied()).collect(),
                    ok.iter().map(|r| !r.collision_free).collect(),
                )
            })
            .collect();
        let titles: Vec<String> = out
            .methods
            .iter()
            .map(|m| {
                format!(
                    "{} ({}/{} solved)",
                    m.row, m.summary.solved, m.summary.trials
                )
            })
            .collect();
        let panels: Vec<Panel<'_>> = titles
            .iter()
            .zip(&answers)
            .map(|(title, (q, c))| Panel {
                title,
                configs: q,
                colliding: Some(c),
                alpha: None,
            })
            .collect();
        save_robot_picture(&scene, &panels, &dir.join("answers.png"))?;
        let picture_s = start.elapsed().as_secs_f64();
        write_atomic(&dir.join("table.md"), md.as_bytes())?;
        write_json(&dir.join("table2.json"), &out)?;
        eprintln!(
            "table.md, table2.json and answers.png written to {} (picture {:.2} s of {:.1} s)",
            dir.display(),
            picture_s,
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
