//! Tuning the IK prior to many targets at once (`mace ik tune --targets FILE`): one loaded
//! prior and one prepared collision model serve every target; each target gets its own
//! posterior, tuned on one core, and the targets run side by side on the threads of the rayon
//! pool. One record per target (the tuning run and the posterior's samples in the true scene)
//! and a summary with the throughput.
//!
//! Target `i` is tuned with the seed `tune.seed + i` and evaluated with `eval_seed + i`, so a
//! batch gives the same posteriors on any number of threads, and target `i` the same as
//! `mace ik tune --target … --seed S+i` (times aside).

use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Instant;

use mace_core::{NoObserver, Objective, TuneStatus};
use mace_models::ConditionedArGmm;
use mace_robot::prior_eval::SceneSampleEval;
use mace_robot::{CollisionModel, IkTarget, Scene, ToolAxis};
use serde::{Deserialize, Serialize};

use super::batch::MAX_TARGETS;
use super::prior::IkPrior;
use super::recipe::{evaluate_model, tune_scene, REACHED};
use super::tune::IkTuneConfig;
use crate::error::{Context, Error, Result};
use crate::progress::Progress;

/// How one target of a batch ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TuneTargetStatus {
    /// A posterior was tuned and evaluated.
    Tuned,
    /// Beyond the arm's reach: not tuned.
    Unreachable,
}

/// One target's tuning and its posterior's samples in the true scene.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetTune {
    /// Position of the target in the input.
    pub index: usize,
    /// The target, metres, base frame.
    pub target: [f32; 3],
    /// Pose targets: the tool orientation asked for, quaternion (x, y, z, w).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_orientation: Option<[f32; 4]>,
    /// Pose targets: the tool axis the orientation is free about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub free_axis: Option<ToolAxis>,
    /// How it ended.
    pub status: TuneTargetStatus,
    /// The posterior's folder name in a batch's output ([`posterior_folder`]); `None` when not
    /// tuned.
    pub posterior: Option<String>,
    /// Tuner seed (`tune.seed + index`).
    pub seed: u64,
    /// Why the tuning run ended (`None` when not tuned).
    pub tune_status: Option<TuneStatus>,
    /// Iterations the tuning ran.
    pub iterations: usize,
    /// Tuning time, seconds (on one core, beside the other targets).
    pub tuning_s: f64,
    /// Mean tuning score (the score the tuner saw, with the scope's obstacle margin) of the
    /// kept parameters: the mini-batch of iteration `restored_from` when keep-best restored
    /// earlier parameters, else of the last iteration (a run that reached the configured
    /// score did so with the fresh sample drawn after it).
    pub final_score: Option<f32>,
    /// With keep-best: the iteration whose parameters were restored at the end.
    pub restored_from: Option<usize>,
    /// The posterior's samples in the true scene, drawn with seed `eval_seed + index`.
    pub eval: Option<SceneSampleEval>,
    /// A collision-free posterior sample came within [`REACHED`] of the target.
    pub reached: bool,
}

/// What a batch measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TuneBatchSummary {
    /// The objective.
    pub objective: Objective,
    /// Targets given.
    pub targets: usize,
    /// Targets tuned.
    pub tuned: usize,
    /// Targets beyond the arm's reach (not tuned).
    pub unreachable: usize,
    /// Tuned targets whose posterior reached the target ([`TargetTune::reached`]).
    pub reached: usize,
    /// Wall-clock time of the tuning and evaluation, seconds (loading excluded).
    pub wall_s: f64,
    /// `wall_s` per tuned target, seconds.
    pub time_per_target_s: f64,
    /// Tuned targets per second of wall-clock time.
    pub targets_per_s: f64,
    /// Mean tuning time of one target, seconds (on one core).
    pub tuning_mean_s: f64,
    /// Slowest tuning, seconds.
    pub tuning_max_s: f64,
    /// Mean over the tuned targets of the posterior's success rate (collision-free samples).
    pub mean_success: f64,
    /// Mean over the tuned targets of the posterior's mean IK score.
    pub mean_score: f64,
    /// Mean over the tuned targets of the diversity of the successful samples, rad.
    pub mean_diversity: Option<f64>,
    /// Threads the targets ran on.
    pub threads: usize,
    /// Tuner seed of target 0 (target `i` uses `seed + i`).
    pub seed: u64,
    /// Evaluation seed of target 0 (target `i` uses `eval_seed + i`).
    pub eval_seed: u64,
}

/// A batch's records and summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TuneBatch {
    /// One record per target, in input order.
    pub targets: Vec<TargetTune>,
    /// The summary.
    pub summary: TuneBatchSummary,
}

/// The folder name of target `index`'s posterior in a batch's output: `target_0000`, ….
pub fn posterior_folder(index: usize) -> String {
    format!("target_{index:04}")
}

/// Tunes one posterior of `prior` per target in `scene` (its obstacles; each target replaces
/// its target, position or pose) with `config`, and evaluates each in the true scene. `base` is
/// the robot's collision model (in any scene), prepared once: every target's evidence is
/// derived from it. Target `i` uses the tuner seed `config.tune.seed + i` and the evaluation
/// seed `config.eval_seed + i`.
///
/// The targets run side by side on as many threads as the current rayon pool has, each tuned on
/// one thread (its own one-thread pool): the posteriors do not depend on the thread count.
/// `posterior(i, model)` is called on the calling thread as each target's posterior is ready
/// (e.g. to write it) and the posterior is dropped afterwards; `progress` advances once per
/// tuned target. Targets beyond the arm's reach are reported
/// [`TuneTargetStatus::Unreachable`], not tuned.
///
/// # Errors
/// [`Error::Invalid`] for no targets, more than [`MAX_TARGETS`] or none within reach; a target
/// the prior cannot be conditioned on (a pose prior and a position target); the tuner, the
/// models or `posterior` failing (the error names the target).
pub fn tune_batch(
    prior: &IkPrior,
    base: &CollisionModel,
    scene: &Scene,
    targets: &[IkTarget],
    config: &IkTuneConfig,
    posterior: &mut dyn FnMut(usize, &ConditionedArGmm) -> Result<()>,
    progress: &mut dyn Progress,
) -> Result<TuneBatch> {
    if targets.is_empty() || targets.len() > MAX_TARGETS {
        return Err(Error::Invalid {
            field: "--targets",
            value: format!("{} targets", targets.len()),
            reason: format!("a batch takes 1 to {MAX_TARGETS}"),
        });
    }
    let chain = base.chain();
    let (centre, radius) = chain.reach_sphere();
    let reachable: Vec<usize> = (0..targets.len())
        .filter(|&i| super::prior::within_reach(chain, targets[i].position))
        .collect();
    if reachable.is_empty() {
        return Err(Error::Invalid {
            field: "--targets",
            value: format!("{} targets", targets.len()),
            reason: format!(
                "must hold a target within the arm's reach ({radius:.3} m from {centre:?})"
            ),
        });
    }
    for &i in &reachable {
        super::pose::context_for(&prior.model, &targets[i]).context(format!("target {i}"))?;
    }
    let seed_of = |i: usize| config.tune.seed.wrapping_add(i as u64);
    let tune_one = |i: usize| -> Result<(TargetTune, ConditionedArGmm)> {
        let t = targets[i];
        let scene = Scene {
            target: t.position,
            target_orientation: t.orientation,
            ..scene.clone()
        };
        let tune = mace_core::TuneConfig {
            seed: seed_of(i),
            ..config.tune.clone()
        };
        let (model, report) = tune_scene(
            &prior.model,
            base,
            &scene,
            config.objective,
            &tune,
            config.scope,
            &mut NoObserver,
        )?;
        let eval_seed = config.eval_seed.wrapping_add(i as u64);
        let (eval, _) = evaluate_model(&model, chain, &scene, config.eval_samples, eval_seed)?;
        let record = TargetTune {
            posterior: Some(posterior_folder(i)),
            tune_status: Some(report.status),
            iterations: report.iterations.len(),
            tuning_s: report.timings.total_s,
            final_score: report
                .restored_from
                .and_then(|k| report.iterations.get(k))
                .or(report.last())
                .map(|s| s.score_mean),
            restored_from: report.restored_from,
            reached: eval.min_error_success.is_some_and(|e| e <= REACHED),
            eval: Some(eval),
            status: TuneTargetStatus::Tuned,
            ..untuned(i, &t, seed_of(i))
        };
        Ok((record, model))
    };

    let threads = rayon::current_num_threads().clamp(1, reachable.len());
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let mut records: Vec<TargetTune> = (0..targets.len())
        .map(|i| untuned(i, &targets[i], seed_of(i)))
        .collect();
    progress.phase(&config.objective.to_string(), reachable.len());
    let start = Instant::now();
    let outcome = std::thread::scope(|s| -> Result<()> {
        let (send, receive) = mpsc::channel::<(usize, Result<(TargetTune, ConditionedArGmm)>)>();
        for _ in 0..threads {
            let send = send.clone();
            let (next, failed, reachable, tune_one) = (&next, &failed, &reachable, &tune_one);
            s.spawn(move || {
                let pool = match rayon::ThreadPoolBuilder::new().num_threads(1).build() {
                    Ok(pool) => pool,
                    Err(e) => {
                        failed.store(true, Ordering::Relaxed);
                        let _ = send.send((0, Err(Error::Failed(format!("a thread pool: {e}")))));
                        return;
                    }
                };
                while !failed.load(Ordering::Relaxed) {
                    let Some(&i) = reachable.get(next.fetch_add(1, Ordering::Relaxed)) else {
                        break;
                    };
                    let result = pool.install(|| tune_one(i));
                    if result.is_err() {
                        failed.store(true, Ordering::Relaxed);
                    }
                    if send.send((i, result)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(send);
        let (mut done, mut success) = (0usize, 0.0f64);
        for (i, result) in receive {
            let delivered = result.and_then(|(record, model)| {
                posterior(i, &model)?;
                Ok(record)
            });
            match delivered {
                Ok(record) => {
                    done += 1;
                    success += record
                        .eval
                        .as_ref()
                        .map_or(0.0, |e| f64::from(e.success_rate));
                    records[i] = record;
                    progress.advance(&format!(
                        "{done} tuned, mean success {:.3}",
                        success / done as f64
                    ));
                }
                Err(e) => {
                    failed.store(true, Ordering::Relaxed);
                    return Err(e).context(format!("target {i} {:?}", targets[i].position));
                }
            }
        }
        Ok(())
    });
    let wall_s = start.elapsed().as_secs_f64();
    progress.finish();
    outcome?;
    let summary = summarise(config, &records, wall_s, threads);
    Ok(TuneBatch {
        targets: records,
        summary,
    })
}

/// The record of target `i` before (or without) tuning.
fn untuned(index: usize, t: &IkTarget, seed: u64) -> TargetTune {
    TargetTune {
        index,
        target: t.position,
        target_orientation: t.orientation.map(|o| o.quaternion),
        free_axis: t.orientation.and_then(|o| o.free_axis),
        status: TuneTargetStatus::Unreachable,
        posterior: None,
        seed,
        tune_status: None,
        iterations: 0,
        tuning_s: 0.0,
        final_score: None,
        restored_from: None,
        eval: None,
        reached: false,
    }
}

fn summarise(
    config: &IkTuneConfig,
    records: &[TargetTune],
    wall_s: f64,
    threads: usize,
) -> TuneBatchSummary {
    let tuned: Vec<&TargetTune> = records
        .iter()
        .filter(|r| r.status == TuneTargetStatus::Tuned)
        .collect();
    let evals: Vec<&SceneSampleEval> = tuned.iter().filter_map(|r| r.eval.as_ref()).collect();
    let mean = |v: Vec<f64>| mace_core::stats::mean(v).unwrap_or(0.0);
    let n = tuned.len();
    TuneBatchSummary {
        objective: config.objective,
        targets: records.len(),
        tuned: n,
        unreachable: records.len() - n,
        reached: tuned.iter().filter(|r| r.reached).count(),
        wall_s,
        time_per_target_s: wall_s / n.max(1) as f64,
        targets_per_s: if wall_s > 0.0 { n as f64 / wall_s } else { 0.0 },
        tuning_mean_s: mean(tuned.iter().map(|r| r.tuning_s).collect()),
        tuning_max_s: tuned.iter().map(|r| r.tuning_s).fold(0.0, f64::max),
        mean_success: mean(evals.iter().map(|e| f64::from(e.success_rate)).collect()),
        mean_score: mean(evals.iter().map(|e| f64::from(e.mean_score)).collect()),
        mean_diversity: mace_core::stats::mean(
            evals.iter().filter_map(|e| e.diversity.map(f64::from)),
        ),
        threads,
        seed: config.tune.seed,
        eval_seed: config.eval_seed,
    }
}

impl TuneBatch {
    /// The records as JSON lines, one object per target.
    ///
    /// # Errors
    /// If a record does not serialise (it always does).
    pub fn json_lines(&self) -> Result<String> {
        let mut s = String::with_capacity(self.targets.len() * 512);
        for r in &self.targets {
            s += &serde_json::to_string(r).map_err(|e| Error::Failed(e.to_string()))?;
            s.push('\n');
        }
        Ok(s)
    }

    /// The summary in one line.
    pub fn summary_line(&self) -> String {
        let s = &self.summary;
        format!(
            "{} of {} targets tuned ({}){} in {:.2} s on {} threads = {:.3} s per target \
             ({:.2} targets/s; tuning {:.2} s mean, {:.2} s max on one core); posteriors: mean \
             success {:.3}, mean score {:.3}, {}/{} within {:.0} cm",
            s.tuned,
            s.targets,
            s.objective,
            if s.unreachable > 0 {
                format!(", {} beyond reach", s.unreachable)
            } else {
                String::new()
            },
            s.wall_s,
            s.threads,
            s.time_per_target_s,
            s.targets_per_s,
            s.tuning_mean_s,
            s.tuning_max_s,
            s.mean_success,
            s.mean_score,
            s.reached,
            s.tuned,
            REACHED * 100.0
        )
    }

    /// One row per target and the summary, as Markdown.
    pub fn markdown(&self) -> String {
        let mut md = String::new();
        let _ = writeln!(
            md,
            "| target | position (m) | status | iterations | tuning (s) | success | score | diversity (rad) |"
        );
        let _ = writeln!(md, "|---|---|---|---|---|---|---|---|");
        for r in &self.targets {
            let p = r.target;
            let pos = format!("{:.3}, {:.3}, {:.3}", p[0], p[1], p[2]);
            match &r.eval {
                Some(e) => {
                    let _ = writeln!(
                        md,
                        "| {} | {pos} | {} | {} | {:.2} | {:.3} | {:.3} | {} |",
                        r.index,
                        r.tune_status.map_or("tuned".into(), |s| format!("{s:?}")),
                        r.iterations,
                        r.tuning_s,
                        e.success_rate,
                        e.mean_score,
                        e.diversity.map_or("n/a".into(), |d| format!("{d:.2}"))
                    );
                }
                None => {
                    let _ = writeln!(
                        md,
                        "| {} | {pos} | beyond reach | – | – | – | – | – |",
                        r.index
                    );
                }
            }
        }
        let _ = writeln!(md, "\n{}", self.summary_line());
        md
    }
}
