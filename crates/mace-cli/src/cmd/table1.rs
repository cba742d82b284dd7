//! `mace bench ik-table1`: the paper's Table 1 (wall scene). Ten targets behind the wall, each
//! kept only if numeric IK finds a collision-free solution; per target the prior, the MACE
//! posterior and the IS posterior (same budget) are sampled 1000 times and scored.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Args;
use mace_core::{NoObserver, Objective, TuneConfig};
use mace_robot::prior_eval::SceneSampleEval;
use mace_robot::{CollisionModel, IkConfig, IkSolver, IkStatus, KinematicChain, Scene};
use rand::{rngs::StdRng, Rng, SeedableRng};
use serde::Serialize;

use crate::cmd::prior::load_prior;
use crate::cmd::tune::{
    config_lists, evaluate_model, picture_rows, save_robot_picture, tune_scene, TuneKnobs,
};
use crate::output::{emit_json, write_atomic, write_json};
use crate::render::Panel;

/// Arguments of `mace bench ik-table1`.
#[derive(Debug, Args)]
pub(crate) struct Table1Args {
    /// Number of targets.
    #[arg(long, default_value_t = 10)]
    targets: usize,
    /// Samples drawn from each model to score it.
    #[arg(long, default_value_t = 1000)]
    samples: usize,
    /// Seed of the targets, the tuning and the evaluation.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    #[command(flatten)]
    knobs: TuneKnobs,
    #[command(flatten)]
    scope: crate::cmd::tune::IkScopeArgs,
    /// Prior folder (default: the shipped prior).
    #[arg(long, value_name = "DIR")]
    prior: Option<PathBuf>,
    /// Print JSON to stdout (`--json`) or write it to a file (`--json OUT`).
    #[arg(long, value_name = "OUT", num_args = 0..=1, default_missing_value = "-")]
    json: Option<PathBuf>,
    /// Output folder: `table.md`, `table1.json`, and per target `target_XX.png` (prior | MACE |
    /// IS samples over the wall) and `target_XX_samples.json` (every evaluated configuration).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

/// The region behind the wall the targets are drawn from (base frame, metres).
const REGION: [[f32; 2]; 3] = [[0.42, 0.60], [-0.30, 0.30], [0.53, 0.70]];

#[derive(Serialize)]
struct TargetRow {
    target: [f32; 3],
    prior: SceneSampleEval,
    mace: SceneSampleEval,
    is: SceneSampleEval,
    mace_tuning_s: f64,
    is_tuning_s: f64,
    mace_iterations: usize,
    is_iterations: usize,
}

#[derive(Serialize)]
struct Table1 {
    config: TuneConfig,
    /// Obstacle margin of the tuning score, metres (evaluation uses the true scene).
    tune_margin_m: f32,
    /// Soft margin's distance penalty, metres (`None`: hard margin).
    margin_penalty_m: Option<f32>,
    /// Learning-rate multiplier of the prior's mixture logits during tuning.
    logit_lr_scale: f32,
    targets_tried: usize,
    rows: Vec<TargetRow>,
}

pub(crate) fn run(args: Table1Args) -> anyhow::Result<()> {
    let chain = KinematicChain::panda();
    let wall = Scene::by_name("wall")?;
    let (prior, _, _) = load_prior(args.prior.as_deref())?;
    let config = args.knobs.apply(TuneConfig::panda_ik_fast(), args.seed);
    let scope = args.scope.scope(crate::cmd::tune::TUNE_MARGIN)?;
    let base = CollisionModel::new(&chain, &wall);
    let mut rng = StdRng::seed_from_u64(args.seed);
    let ik = IkSolver::new(
        CollisionModel::new(&chain, &wall),
        IkConfig {
            time_budget: Some(Duration::from_secs(10)),
            ..IkConfig::panda()
        },
    );
    let started = Instant::now();
    let mut picture_s = 0.0;
    let mut rows = Vec::new();
    let mut tried = 0;
    while rows.len() < args.targets {
        tried += 1;
        if tried > 20 * args.targets.max(1) {
            anyhow::bail!(
                "found only {} feasible targets in {tried} draws",
                rows.len()
            );
        }
        let target: [f32; 3] =
            std::array::from_fn(|i| rng.random_range(REGION[i][0]..REGION[i][1]));
        let solved = ik.solve(target, None, &mut rng);
        if !(solved.status == IkStatus::Converged && solved.collision_free) {
            eprintln!("target {target:?}: no collision-free IK solution in 10 s, skipped");
            continue;
        }
        let scene = Scene {
            target,
            ..wall.clone()
        };
        let eval_seed = args.seed.wrapping_add(1000 + rows.len() as u64);
        let (prior_eval, prior_q) = evaluate_model(
            &prior.conditioned(&target)?,
            &chain,
            &scene,
            args.samples,
            eval_seed,
        )?;
        let (mace, mace_report) = tune_scene(
            &prior,
            &base,
            &scene,
            Objective::Mace,
            &config,
            scope,
            &mut NoObserver,
        )?;
        let (is, is_report) = tune_scene(
            &prior,
            &base,
            &scene,
            Objective::Is,
            &config,
            scope,
            &mut NoObserver,
        )?;
        let (mace_eval, mace_q) = evaluate_model(&mace, &chain, &scene, args.samples, eval_seed)?;
        let (is_eval, is_q) = evaluate_model(&is, &chain, &scene, args.samples, eval_seed)?;
        if let Some(dir) = &args.out {
            let start = Instant::now();
            let dof = chain.dof();
            let panel = |title, q| Panel {
                title,
                configs: picture_rows(q, dof),
                colliding: None,
                alpha: None,
            };
            save_robot_picture(
                &scene,
                &[
                    panel("prior", &prior_q),
                    panel("MACE posterior", &mace_q),
                    panel("IS posterior", &is_q),
                ],
                &dir.join(format!("target_{:02}.png", rows.len() + 1)),
            )?;
            // Every evaluated configuration, for checks in another engine (tools/mesh_check.py).
            write_json(
                &dir.join(format!("target_{:02}_samples.json", rows.len() + 1)),
                &serde_json::json!({
                    "target": target,
                    "prior": config_lists(&prior_q, dof),
                    "mace": config_lists(&mace_q, dof),
                    "is": config_lists(&is_q, dof),
                }),
            )?;
            picture_s += start.elapsed().as_secs_f64();
        }
        let row = TargetRow {
            target,
            prior: prior_eval,
            mace: mace_eval,
            is: is_eval,
            mace_tuning_s: mace_report.timings.total_s,
            is_tuning_s: is_report.timings.total_s,
            mace_iterations: mace_report.iterations.len(),
            is_iterations: is_report.iterations.len(),
        };
        eprintln!(
            "target {} {:?}: prior {:.3}/{:.3}, MACE {:.3}/{:.3} in {:.2} s, IS {:.3}/{:.3} in {:.2} s",
            rows.len() + 1,
            target,
            row.prior.mean_score,
            row.prior.success_rate,
            row.mace.mean_score,
            row.mace.success_rate,
            row.mace_tuning_s,
            row.is.mean_score,
            row.is.success_rate,
            row.is_tuning_s
        );
        rows.push(row);
    }
    let table = Table1 {
        config,
        tune_margin_m: scope.margin,
        margin_penalty_m: scope.margin_penalty,
        logit_lr_scale: scope.logit_lr_scale,
        targets_tried: tried,
        rows,
    };
    let markdown = format_table(&table);
    print!("{markdown}");
    if let Some(dest) = &args.json {
        emit_json(dest, &table)?;
    }
    if let Some(dir) = &args.out {
        let start = Instant::now();
        write_atomic(&dir.join("table.md"), markdown.trim_start().as_bytes())?;
        write_json(&dir.join("table1.json"), &table)?;
        eprintln!(
            "table.md, table1.json and {} target pictures written to {} (pictures {:.2} s of {:.1} s)",
            table.rows.len(),
            dir.display(),
            picture_s + start.elapsed().as_secs_f64(),
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

fn mean_std(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let v: Vec<f64> = values.collect();
    let n = v.len().max(1) as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    (mean, var.sqrt())
}

/// The table as Markdown (what is printed and written to `table.md`).
fn format_table(t: &Table1) -> String {
    let mut md = String::new();
    let stat = |f: &dyn Fn(&TargetRow) -> f64| {
        let (m, s) = mean_std(t.rows.iter().map(f));
        format!("{m:.3} ± {s:.3}")
    };
    let div = |f: &dyn Fn(&TargetRow) -> Option<f32>| {
        let v: Vec<f64> = t.rows.iter().filter_map(|r| f(r).map(f64::from)).collect();
        if v.is_empty() {
            "n/a".to_string()
        } else {
            format!("{:.2}", v.iter().sum::<f64>() / v.len() as f64)
        }
    };
    let _ = writeln!(
        md,
        "\nTable 1, wall scene: {} targets behind the wall, {} samples per model",
        t.rows.len(),
        t.rows.first().map_or(0, |r| r.prior.samples)
    );
    let _ = writeln!(
        md,
        "| model | score (ours) | success (ours) | score (paper) | success (paper) | tuning time (ours) | diversity (rad) |");
    let _ = writeln!(md, "|---|---|---|---|---|---|---|");
    let _ = writeln!(
        md,
        "| prior | {} | {} | 0.129 ± 0.015 | 0.132 ± 0.015 | - | {} |",
        stat(&|r| r.prior.mean_score as f64),
        stat(&|r| r.prior.success_rate as f64),
        div(&|r| r.prior.diversity)
    );
    let _ = writeln!(
        md,
        "| posterior (MACE) | {} | {} | 0.937 ± 0.079 | 0.941 ± 0.079 | {} s | {} |",
        stat(&|r| r.mace.mean_score as f64),
        stat(&|r| r.mace.success_rate as f64),
        stat(&|r| r.mace_tuning_s),
        div(&|r| r.mace.diversity)
    );
    let _ = writeln!(
        md,
        "| posterior (IS) | {} | {} | 0.317 ± 0.121 | 0.339 ± 0.122 | {} s | {} |",
        stat(&|r| r.is.mean_score as f64),
        stat(&|r| r.is.success_rate as f64),
        stat(&|r| r.is_tuning_s),
        div(&|r| r.is.diversity)
    );
    let c = &t.config;
    let _ = writeln!(
        md,

        "\nTuning: {} iterations max, sample {} (bsz {}; first sample up to {} where scarce), quantile {}, elite window {}, lr {}, {} steps per sample, stop at score {}, keep best {}, mixture logits at {}× lr, obstacle margin {} m ({}); paper: 7–65 s per problem on a GTX 1080 Ti.",
        c.iterations,
        c.sample_size,
        c.bsz,
        c.first_sample_max.map_or("-".to_string(), |n| n.to_string()),
        c.quantile,
        c.elite_min_ratio.map_or("off".to_string(), |r| r.to_string()),
        c.lr,
        c.grad_steps,
        c.stop_at_score.map_or("-".to_string(), |s| s.to_string()),
        c.keep_best,
        t.logit_lr_scale,
        t.tune_margin_m,
        t.margin_penalty_m
            .map_or("hard".to_string(), |p| format!("soft, penalty {p} m")),
    );
    md
}
