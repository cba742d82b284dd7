//! The paper's Table 2 (box scene): solve time and TCP accuracy of the `prior`, `numeric`,
//! `hybrid` (and `mace`) IK methods, ours beside the paper's.

use std::fmt::Write as _;
use std::path::PathBuf;

use mace_core::TuneConfig;
use mace_robot::solve::{Method, SolveConfig, SolveReport, Solver};
use mace_robot::{CollisionModel, KinematicChain, Scene};
use serde::{Deserialize, Serialize};

use super::prior::IkPrior;
use super::recipe::TuneScope;
use super::trials::{run_trials, solve_config, MaceTuning, SolveStats, TuningCost};
use crate::error::{fail, Result};
use crate::progress::Progress;

/// A column of the paper's Table 2: (column, time mean s, time std s, accuracy text).
type PaperColumn = (&'static str, f64, f64, &'static str);
const MACE: PaperColumn = ("MACE (prior only)", 0.106, 0.008, "1.92 ± 3.01 cm");
/// The paper's mean TCP error of its prior-only answers (Table 2), metres.
pub const PAPER_PRIOR_ERROR_M: f32 = 0.0192;
const MOVEIT: PaperColumn = ("MoveIt", 1.553, 1.103, "< 1e-5 cm");
const MACE_MOVEIT: PaperColumn = ("MACE + MoveIt", 0.641, 0.925, "< 1e-5 cm");

/// Settings of Table 2.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Table2Config {
    /// Trials per method.
    pub trials: usize,
    /// Seed of the first trial (trial t uses seed + t).
    pub seed: u64,
    /// Time budget per solve, seconds.
    pub budget: f64,
    /// Safety margin, metres (see [`SolveConfig::clearance`]).
    pub clearance: f32,
    /// `prior` stops once its best collision-free sample is this close, metres (0 = all 20
    /// batches, as the paper).
    pub prior_stop: f32,
    /// `numeric` runs two random-restart streams, one per core.
    pub parallel: bool,
    /// Tuner settings of the `mace` row.
    pub tune: TuneConfig,
    /// What the tuner sees beyond them.
    pub scope: TuneScope,
    /// Run the `mace` row (it tunes once per trial, so it is the slowest row).
    pub mace_row: bool,
}

/// One method's row.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MethodResult {
    /// Row label: the method, `prior-20` for the paper's protocol (best of 20 batches of 1024
    /// samples, no early stop), or `prior-paper-acc` for `prior` stopping at the paper's mean
    /// accuracy (1.92 cm) instead of the configured stop.
    pub row: String,
    /// The paper's column this method reproduces.
    pub paper_column: String,
    /// The paper's mean time, seconds.
    pub paper_time_mean_s: f64,
    /// The paper's time standard deviation, seconds.
    pub paper_time_std_s: f64,
    /// The paper's accuracy.
    pub paper_accuracy: String,
    /// The untimed warm-up solve, seconds.
    pub warmup_s: f64,
    /// The trials' summary.
    pub summary: SolveStats,
    /// `mace` row: tuning cost per trial (included in the reports' `seconds`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tuning: Vec<TuningCost>,
    /// One report per trial.
    pub reports: Vec<SolveReport>,
}

/// Table 2 as measured.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Table2 {
    /// Scene name.
    pub scene: String,
    /// The target, metres.
    pub target: [f32; 3],
    /// Trials per method.
    pub trials: usize,
    /// Seed of the first trial.
    pub seed: u64,
    /// Time budget per solve, seconds.
    pub budget_s: f64,
    /// Safety margin, metres.
    pub clearance_m: f32,
    /// Numeric restarts on both cores.
    pub parallel: bool,
    /// The prior's folder.
    pub prior: PathBuf,
    /// Loading the prior, seconds.
    pub prior_load_s: f64,
    /// Worker threads.
    pub threads: usize,
    /// One row per method.
    pub methods: Vec<MethodResult>,
}

/// Runs Table 2 with `prior` for `chain` in the box scene.
///
/// # Errors
/// For zero trials, or when a solve fails.
pub fn run_table2(
    prior: &IkPrior,
    chain: &KinematicChain,
    config: &Table2Config,
    progress: &mut dyn Progress,
) -> Result<Table2> {
    if config.trials == 0 {
        fail!("--trials must be at least 1");
    }
    let scene = Scene::by_name("box")?;
    let model = CollisionModel::new(chain, &scene);
    let mut base = solve_config(config.budget, config.clearance, config.prior_stop)?;
    base.parallel = config.parallel;
    let paper_protocol = SolveConfig {
        prior_stop: 0.0,
        batch_size: 1024,
        max_batches: 20,
        ..base.clone()
    };
    let paper_accuracy = SolveConfig {
        prior_stop: PAPER_PRIOR_ERROR_M,
        ..base.clone()
    };
    let mut rows = vec![
        ("prior", Method::Prior, MACE, base.clone()),
        ("prior-paper-acc", Method::Prior, MACE, paper_accuracy),
        ("prior-20", Method::Prior, MACE, paper_protocol),
        ("numeric", Method::Numeric, MOVEIT, base.clone()),
        ("hybrid", Method::Hybrid, MACE_MOVEIT, base.clone()),
    ];
    if config.mace_row {
        rows.push(("mace", Method::Mace, MACE, base.clone()));
    }
    let mace = MaceTuning {
        scene: &scene,
        config: config.tune.clone(),
        scope: config.scope,
    };
    progress.log(&format!(
        "box scene, target {:?}: {} trials per method, seed {}, budget {} s, clearance {} m, {} threads; prior {} loaded in {:.3} s",
        scene.target,
        config.trials,
        config.seed,
        config.budget,
        base.clearance,
        rayon::current_num_threads(),
        prior.dir.display(),
        prior.load_seconds
    ));
    progress.phase("methods", rows.len());
    let mut methods = Vec::new();
    for (row, method, paper, solve) in rows {
        let solver = Solver::new(model.clone(), solve);
        let trials = run_trials(
            &solver,
            method,
            &scene.ik_target(),
            Some(prior),
            Some(&mace),
            config.trials,
            config.seed,
        )?;
        let summary = SolveStats::of(method, &trials.reports);
        let line = format!(
            "{row}: {}/{} solved, median {:.2} ms",
            summary.solved,
            summary.trials,
            summary.time_median_s * 1e3
        );
        progress.log(&line);
        progress.advance("");
        methods.push(MethodResult {
            row: row.to_string(),
            paper_column: paper.0.to_string(),
            paper_time_mean_s: paper.1,
            paper_time_std_s: paper.2,
            paper_accuracy: paper.3.to_string(),
            warmup_s: trials.warmup_s,
            summary,
            tuning: trials.tuning,
            reports: trials.reports,
        });
    }
    progress.finish();
    Ok(Table2 {
        scene: scene.name.clone(),
        target: scene.target,
        trials: config.trials,
        seed: config.seed,
        budget_s: config.budget,
        clearance_m: base.clearance,
        parallel: base.parallel,
        prior: prior.dir.clone(),
        prior_load_s: prior.load_seconds,
        threads: rayon::current_num_threads(),
        methods,
    })
}

fn cm(v: Option<f64>) -> String {
    v.map_or("n/a".into(), |m| format!("{:.2e}", m * 100.0))
}

impl Table2 {
    /// The table as Markdown, ours beside the paper's figures.
    pub fn markdown(&self) -> String {
        let mut md = String::new();
        let _ = writeln!(
            md,
            "| method | paper column | paper time (s) | paper acc. | our time median (ms) | our time mean ± std (ms) | our TCP error mean ± std (cm) | our max error (cm) | success |"
        );
        let _ = writeln!(md, "|---|---|---|---|---|---|---|---|---|");
        for m in &self.methods {
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
        if let Some(m) = self.methods.iter().find(|m| m.row == "mace") {
            let t: Vec<f64> = m.tuning.iter().map(|c| c.seconds).collect();
            let s = mace_core::stats::Summary::of(&t);
            let (med, mean, std) = s.map_or((0.0, 0.0, 0.0), |s| (s.median, s.mean, s.std));
            let _ = writeln!(
                md,
                "\n`mace` row: tune the prior to the problem (MACE), then best of posterior batches; \
                 tuning alone took a median {:.0} ms (mean {:.0} ± {:.0} ms) of its time.",
                med * 1e3,
                mean * 1e3,
                std * 1e3
            );
        }
        let _ = writeln!(md, "Prior load (one-off): {:.3} s.", self.prior_load_s);
        md
    }
}
