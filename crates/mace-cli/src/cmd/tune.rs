//! `mace ik tune`: adapt the IK prior to a scene with MACE (or IS), then sample the posterior.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use clap::{Args, ValueEnum};
use mace_core::{GenerativeModel, Objective, TuneConfig, TuneObserver, TuneReport, Tuner};
use mace_models::checkpoint::save_ar_gmm;
use mace_models::{ArGmm, ConditionedArGmm};
use mace_robot::prior_eval::{evaluate_in_scene, SceneSampleEval};
use mace_robot::{ik_evidence_for, ik_evidence_with_margin, CollisionModel, KinematicChain, Scene};
use rand::{rngs::StdRng, SeedableRng};
use serde::Serialize;

use crate::cmd::prior::{load_prior, parse_target};
use crate::output::write_json;
use crate::progress::TuneProgress;
use crate::render::{render_curves, render_robot_panels, save_png, Camera, Panel, RobotScene};

/// The objective, as a command-line value.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum ObjectiveArg {
    /// MACE (elite quantile, paper Eq. 3).
    Mace,
    /// Importance sampling (paper Eq. 2).
    Is,
}

impl From<ObjectiveArg> for Objective {
    fn from(o: ObjectiveArg) -> Self {
        match o {
            ObjectiveArg::Mace => Objective::Mace,
            ObjectiveArg::Is => Objective::Is,
        }
    }
}

/// Tuning knobs shared by `ik tune` and the benches; defaults are ours for the IK prior
/// (see `TuneConfig::panda_ik_fast`), the paper's are `--iterations 512 --sample-size 8192
/// --quantile 0.00390625 --lr 1e-4 --grad-steps 4`.
#[derive(Debug, Clone, Args)]
pub(crate) struct TuneKnobs {
    /// Optimiser steps.
    #[arg(long)]
    iterations: Option<usize>,
    /// Samples drawn per resampling.
    #[arg(long)]
    sample_size: Option<usize>,
    /// Mini-batch taken from each sample (default: the whole sample).
    #[arg(long)]
    bsz: Option<usize>,
    /// Elite quantile in (0, 1].
    #[arg(long)]
    quantile: Option<f64>,
    /// Adam learning rate.
    #[arg(long)]
    lr: Option<f64>,
    /// Steps per fresh sample.
    #[arg(long)]
    grad_steps: Option<usize>,
    /// Wall-clock budget, seconds.
    #[arg(long)]
    time_budget: Option<f64>,
    /// Stop once a fresh sample's mean score reaches this value.
    #[arg(long)]
    stop_at_score: Option<f32>,
    /// Size of the first (warm-start) sample.
    #[arg(long)]
    first_sample_size: Option<usize>,
    /// Size of the first sample when good samples are scarce: if fewer samples than the elite
    /// count score above zero, it is topped up to N (`0` = off; `TuneConfig::first_sample_max`).
    #[arg(long, value_name = "N")]
    first_sample_max: Option<usize>,
    /// Elite window in (0, 1]: an elite must also score at least this fraction of the batch's
    /// best score (see `TuneConfig::elite_min_ratio`); `0` turns the window off.
    #[arg(long, value_name = "R")]
    elite_min_ratio: Option<f32>,
    /// Restore, at the end, the parameters whose fresh sample scored best (`true`/`false`).
    #[arg(long, value_name = "BOOL")]
    keep_best: Option<bool>,
}

impl TuneKnobs {
    /// The tuner configuration: `base` with every given knob applied.
    pub(crate) fn apply(&self, base: TuneConfig, seed: u64) -> TuneConfig {
        let sample_size = self.sample_size.unwrap_or(base.sample_size);
        TuneConfig {
            iterations: self.iterations.unwrap_or(base.iterations),
            sample_size,
            bsz: self.bsz.unwrap_or(if self.sample_size.is_some() {
                sample_size
            } else {
                base.bsz
            }),
            quantile: self.quantile.unwrap_or(base.quantile),
            lr: self.lr.unwrap_or(base.lr),
            grad_steps: self.grad_steps.unwrap_or(base.grad_steps),
            time_budget_s: self.time_budget.or(base.time_budget_s),
            stop_at_score: self.stop_at_score.or(base.stop_at_score),
            first_sample_size: self.first_sample_size.or(base.first_sample_size),
            // A fixed warm start given on the command line replaces the adaptive one.
            first_sample_max: match (self.first_sample_size, self.first_sample_max) {
                (_, Some(0)) | (Some(_), None) => None,
                (_, given) => given.or(base.first_sample_max),
            },
            elite_min_ratio: match self.elite_min_ratio {
                Some(0.0) => None,
                given => given.or(base.elite_min_ratio),
            },
            keep_best: self.keep_best.unwrap_or(base.keep_best),
            seed,
        }
    }
}

/// How IK tuning sees the problem beyond the tuner's knobs (`ik tune`, `ik solve --method mace`,
/// the IK benches).
#[derive(Debug, Clone, Args)]
pub(crate) struct IkScopeArgs {
    /// Tune only the networks of the first N joints (default: all 7).
    #[arg(long, value_name = "N")]
    pub(crate) tuned_joints: Option<usize>,
    /// Score samples during tuning in the scene with its boxes grown by M metres on each side
    /// (evaluation always uses the true scene): keeps the posterior's mass off the contact
    /// boundary. Default: 0.01 for `ik tune` and `bench ik-table1` (see docs/BENCHMARKS.md),
    /// 0 for `ik solve --method mace` and `bench ik-table2`.
    #[arg(long, value_name = "M", allow_negative_numbers = true)]
    pub(crate) tune_margin: Option<f32>,
    /// The margin is soft: a free sample within it scores as if its TCP were P metres further
    /// from the target (see `mace_robot::ik_evidence_with_margin`).
    #[arg(long, value_name = "P", default_value_t = MARGIN_PENALTY, allow_negative_numbers = true)]
    pub(crate) margin_penalty: f32,
    /// A hard margin instead: a free sample within it scores 0, like a collision.
    #[arg(long)]
    pub(crate) hard_margin: bool,
    /// Tuning moves the prior's mixture logits at S × the learning rate (means and widths at
    /// the learning rate), so that the mixture components the elites do not use lose their
    /// weight quickly (see `ConditionedArGmm::with_logit_lr_scale`); `1`: all alike.
    #[arg(long, value_name = "S", default_value_t = LOGIT_LR_SCALE, allow_negative_numbers = true)]
    pub(crate) logit_lr_scale: f32,
}

/// Arguments of `mace ik tune`.
#[derive(Debug, Args)]
pub(crate) struct TuneArgs {
    /// Scene: `wall`, `window`, `box`, or a scene `.toml` file.
    #[arg(long, value_name = "NAME|FILE")]
    scene: String,
    /// Target TCP position (metres); default: the scene's target.
    #[arg(long, num_args = 3, value_names = ["X", "Y", "Z"], allow_negative_numbers = true)]
    target: Option<Vec<f32>>,
    /// Objective.
    #[arg(long, value_enum, default_value_t = ObjectiveArg::Mace)]
    objective: ObjectiveArg,
    #[command(flatten)]
    knobs: TuneKnobs,
    #[command(flatten)]
    scope: IkScopeArgs,
    /// Seed of every draw.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Posterior samples drawn after tuning to evaluate it.
    #[arg(long, default_value_t = 1000)]
    eval_samples: usize,
    /// Prior folder (default: the shipped prior).
    #[arg(long, value_name = "DIR")]
    prior: Option<PathBuf>,
    /// Output folder: `posterior/` (weights + config), `report.json`, and the pictures
    /// `samples.png` (prior | posterior), `curves.png` and their configurations `samples.json`.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Write no pictures (`samples.png`, `curves.png`, `samples.json`).
    #[arg(long)]
    no_pictures: bool,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
}

/// The scene with `target` (if given) in place of its own.
pub(crate) fn scene_with_target(name: &str, target: Option<&[f32]>) -> anyhow::Result<Scene> {
    let mut scene = if name.ends_with(".toml") {
        Scene::from_toml_file(name)?
    } else {
        Scene::by_name(name)?
    };
    if let Some(t) = target {
        scene.target = parse_target(t)?;
    }
    Ok(scene)
}

/// `mace ik tune` fails unless a collision-free posterior sample comes this close to the target,
/// metres: the paper's prior-only answers in Table 2 were 1.9 cm off on average.
const REACHED: f32 = 0.02;

/// The obstacle margin of the tuning score when tuning to a scene (`ik tune`, `bench ik-table1`),
/// metres: on the wall scene it raised the posterior's success from 0.60–0.76 to
/// 0.87–0.93 over three seeds of `bench ik-table1` (docs/BENCHMARKS.md).
pub(crate) const TUNE_MARGIN: f32 = 0.01;

/// The distance penalty of the soft margin, metres: a free sample within [`TUNE_MARGIN`] of a
/// box ranks like a clear one 10 cm further from the target. On the Table 1 A/B of
/// docs/BENCHMARKS.md (30 wall runs) it lifted the mean score from 0.922 to 0.941 (success
/// 0.959 → 0.964).
pub(crate) const MARGIN_PENALTY: f32 = 0.1;

/// The learning-rate multiplier of the prior's mixture logits during tuning (see
/// [`IkScopeArgs::logit_lr_scale`]). Most of the wall posterior's collisions came from mixture
/// components that kept ≈ 5% of the samples after tuning. On `bench ik-table1`, seeds 0–2
/// (docs/BENCHMARKS.md): scale 1 → 10 → 30 took the score from 0.954 / 0.928 / 0.934 to
/// 0.974 / 0.964 / 0.964 and 0.974 / 0.971 / 0.972, but the diversity of the successful samples
/// from ≈ 0.9 rad to 0.41–0.89 and 0.21–0.50 rad: 10 keeps more of the posterior's branches.
pub(crate) const LOGIT_LR_SCALE: f32 = 10.0;

/// How the tuning itself sees the problem beyond the [`TuneConfig`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct TuneScope {
    /// Tune only the networks of the first N joints (`None` = all).
    pub(crate) tuned_joints: Option<usize>,
    /// Obstacle margin of the tuning score, metres (see [`Scene::inflated`]).
    pub(crate) margin: f32,
    /// Soft margin: the distance penalty of a free sample within the margin, metres (`None`:
    /// such a sample scores 0, or there is no margin).
    pub(crate) margin_penalty: Option<f32>,
    /// The learning-rate multiplier of the mixture logits (see [`LOGIT_LR_SCALE`]).
    pub(crate) logit_lr_scale: f32,
}

impl Default for TuneScope {
    /// All joints, no margin, [`LOGIT_LR_SCALE`].
    fn default() -> Self {
        TuneScope {
            tuned_joints: None,
            margin: 0.0,
            margin_penalty: None,
            logit_lr_scale: LOGIT_LR_SCALE,
        }
    }
}

impl IkScopeArgs {
    /// The scope these options ask for; `default_margin` applies without `--tune-margin`.
    pub(crate) fn scope(&self, default_margin: f32) -> anyhow::Result<TuneScope> {
        let margin = self.tune_margin.unwrap_or(default_margin);
        if !(margin.is_finite() && margin.abs() < 1.0) {
            anyhow::bail!("--tune-margin must be a distance in metres in (-1, 1), got {margin}");
        }
        let p = self.margin_penalty;
        if !(p.is_finite() && p >= 0.0) {
            anyhow::bail!("--margin-penalty must be a distance in metres ≥ 0, got {p}");
        }
        let s = self.logit_lr_scale;
        if !(s.is_finite() && s > 0.0) {
            anyhow::bail!("--logit-lr-scale must be a finite positive multiplier, got {s}");
        }
        Ok(TuneScope {
            logit_lr_scale: s,
            tuned_joints: self.tuned_joints,
            margin,
            margin_penalty: (!self.hard_margin && margin > 0.0).then_some(p),
        })
    }
}

/// Tunes a fresh copy of `prior` for `scene` (its target) and returns the posterior and report.
/// `base` is a collision model of the robot (in any scene): its prepared self-collision pairs
/// are reused.
pub(crate) fn tune_scene(
    prior: &ArGmm,
    base: &CollisionModel,
    scene: &Scene,
    objective: Objective,
    config: &TuneConfig,
    scope: TuneScope,
    observer: &mut dyn TuneObserver,
) -> anyhow::Result<(ConditionedArGmm, TuneReport)> {
    let posterior = prior.deep_copy()?.conditioned(&scene.target)?;
    let dof = base.chain().dof();
    let posterior = posterior
        .with_tuned_joints(scope.tuned_joints.unwrap_or(dof))
        .with_logit_lr_scale(scope.logit_lr_scale)?;
    let tuner = Tuner::new(config.clone(), objective)?;
    let report = match scope.margin_penalty {
        Some(penalty) => tuner.run(
            &posterior,
            &ik_evidence_with_margin(base, scene, scope.margin, penalty),
            observer,
        )?,
        None => tuner.run(
            &posterior,
            &ik_evidence_for(base, &scene.inflated(scope.margin)),
            observer,
        )?,
    };
    Ok((posterior, report))
}

/// Draws `n` samples of `model` (seeded) and evaluates them in `scene`; returns the evaluation
/// and the samples (a flat `(n, dof)` batch, rad), e.g. for the pictures.
pub(crate) fn evaluate_model(
    model: &ConditionedArGmm,
    chain: &KinematicChain,
    scene: &Scene,
    n: usize,
    seed: u64,
) -> anyhow::Result<(SceneSampleEval, Vec<f32>)> {
    let q = model
        .sample(n, &mut StdRng::seed_from_u64(seed))?
        .flatten_all()?
        .to_vec1::<f32>()?;
    let eval = evaluate_in_scene(chain, scene, &scene.target, &q)?;
    Ok((eval, q))
}

/// Configurations drawn per panel of the sample pictures: the first of the evaluation samples
/// (rendering cost grows with their number; 150 keeps the pictures a small part of a run).
pub(crate) const PICTURE_SAMPLES: usize = 150;

/// Size of each panel of the robot pictures, pixels (title and legend included).
pub(crate) const PANEL_SIZE: (u32, u32) = (520, 450);

/// The first [`PICTURE_SAMPLES`] rows of the flat `(n, dof)` batch `q`.
pub(crate) fn picture_rows(q: &[f32], dof: usize) -> &[f32] {
    &q[..q.len().min(PICTURE_SAMPLES * dof)]
}

/// The rows of the flat `(n, dof)` batch `q` as JSON lists (what `mace render robot` reads).
pub(crate) fn config_lists(q: &[f32], dof: usize) -> Vec<Vec<f32>> {
    q.chunks_exact(dof.max(1)).map(<[f32]>::to_vec).collect()
}

/// Draws `panels` side by side over `scene` (its standard camera, [`PANEL_SIZE`] each) into the
/// PNG file `path`.
pub(crate) fn save_robot_picture(
    scene: &Scene,
    panels: &[Panel<'_>],
    path: &Path,
) -> anyhow::Result<()> {
    let rs = RobotScene::panda(scene.clone());
    let camera = Camera::for_scene(&rs.scene);
    let png = render_robot_panels(&rs, panels, &camera, PANEL_SIZE)
        .with_context(|| format!("drawing {}", path.display()))?;
    save_png(&png, path)
}

/// The pictured configurations of `mace ik tune --out DIR` (`DIR/samples.json`): the prior's and
/// the posterior's, as lists of joint values (rad), with the scene and target they were drawn for.
#[derive(Serialize)]
struct SamplesRecord<'a> {
    scene: &'a str,
    target: [f32; 3],
    prior: Vec<Vec<f32>>,
    posterior: Vec<Vec<f32>>,
}

/// Writes `samples.png` (prior | posterior), `curves.png` and `samples.json` into `out`.
fn write_tune_pictures(
    out: &Path,
    scene: &Scene,
    objective: Objective,
    prior_q: &[f32],
    posterior_q: &[f32],
    report: &TuneReport,
) -> anyhow::Result<()> {
    let dof = KinematicChain::panda().dof();
    let (prior_q, posterior_q) = (picture_rows(prior_q, dof), picture_rows(posterior_q, dof));
    let post_title = match objective {
        Objective::Mace => "MACE posterior",
        Objective::Is => "IS posterior",
    };
    save_robot_picture(
        scene,
        &[
            Panel {
                title: "prior",
                configs: prior_q,
                colliding: None,
                alpha: None,
            },
            Panel {
                title: post_title,
                configs: posterior_q,
                colliding: None,
                alpha: None,
            },
        ],
        &out.join("samples.png"),
    )?;
    let title = format!("{} ({objective})", scene.name);
    save_png(
        &render_curves(report, None, &title, (900, 640))?,
        &out.join("curves.png"),
    )?;
    write_json(
        &out.join("samples.json"),
        &SamplesRecord {
            scene: &scene.name,
            target: scene.target,
            prior: config_lists(prior_q, dof),
            posterior: config_lists(posterior_q, dof),
        },
    )
}

#[derive(Serialize)]
struct TuneRecord<'a> {
    scene: &'a str,
    target: [f32; 3],
    prior: String,
    prior_eval: SceneSampleEval,
    posterior_eval: SceneSampleEval,
    report: &'a TuneReport,
}

pub(crate) fn tune(args: TuneArgs) -> anyhow::Result<()> {
    let chain = KinematicChain::panda();
    let scene = scene_with_target(&args.scene, args.target.as_deref())?;
    super::prior::check_reachable(&chain, scene.target)?;
    super::ik::warn_target_inside(&scene, scene.target);
    let (prior, _, prior_dir) = load_prior(args.prior.as_deref())?;
    let config = args.knobs.apply(TuneConfig::panda_ik_fast(), args.seed);
    let objective: Objective = args.objective.into();
    let (prior_eval, prior_q) = evaluate_model(
        &prior.conditioned(&scene.target)?,
        &chain,
        &scene,
        args.eval_samples,
        args.seed + 1,
    )?;
    let mut bar = TuneProgress::new(&objective.to_string(), config.iterations, args.quiet)
        .positive_means("collision-free");
    let (posterior, report) = tune_scene(
        &prior,
        &CollisionModel::new(&chain, &scene),
        &scene,
        objective,
        &config,
        args.scope.scope(TUNE_MARGIN)?,
        &mut bar,
    )?;
    bar.finish();
    let (posterior_eval, posterior_q) =
        evaluate_model(&posterior, &chain, &scene, args.eval_samples, args.seed + 1)?;
    save_ar_gmm(posterior.model(), None, &args.out.join("posterior"))
        .with_context(|| format!("writing the posterior into {}", args.out.display()))?;
    let record = TuneRecord {
        scene: &scene.name,
        target: scene.target,
        prior: prior_dir.display().to_string(),
        prior_eval,
        posterior_eval,
        report: &report,
    };
    write_json(&args.out.join("report.json"), &record)?;
    let t = &report.timings;
    println!(
        "scene {} target {:?}: {} with {} iterations ({:?})",
        record.scene,
        record.target,
        objective,
        report.iterations.len(),
        report.status
    );
    println!("| model | mean score | success rate | diversity (rad) |");
    println!("|---|---|---|---|");
    for (name, e) in [
        ("prior", &record.prior_eval),
        ("posterior", &record.posterior_eval),
    ] {
        let div = e.diversity.map_or("n/a".into(), |d| format!("{d:.3}"));
        println!(
            "| {name} | {:.3} | {:.3} | {div} |",
            e.mean_score, e.success_rate
        );
    }
    println!(
        "tuning {:.2} s (sampling {:.2}, simulating {:.2}, updating {:.2}); written to {}",
        t.total_s,
        t.sample_s,
        t.simulate_s,
        t.update_s,
        args.out.display()
    );
    if !args.no_pictures {
        let start = Instant::now();
        write_tune_pictures(
            &args.out,
            &scene,
            objective,
            &prior_q,
            &posterior_q,
            &report,
        )?;
        println!(
            "pictures samples.png (prior | posterior, {} samples each), curves.png and samples.json written in {:.2} s",
            prior_q.len().min(PICTURE_SAMPLES * chain.dof()) / chain.dof(),
            start.elapsed().as_secs_f64()
        );
    }
    match record.posterior_eval.min_error_success {
        None => anyhow::bail!(
            "no collision-free posterior sample: the scene may have no solution for this target"
        ),
        Some(e) if e > REACHED => anyhow::bail!(
            "no collision-free posterior sample within {:.0} cm of the target (closest {:.1} cm): \
             the scene may have no solution near it; the posterior is written all the same",
            REACHED * 100.0,
            e * 100.0
        ),
        Some(_) => Ok(()),
    }
}
