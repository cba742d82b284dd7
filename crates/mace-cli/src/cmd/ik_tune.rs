//! `mace ik tune`: adapt the IK prior to a scene with MACE (or IS), then sample the posterior.

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::{Args, ValueEnum};
use mace_core::{Objective, TuneConfig};
use mace_lab::ik::recipe::{TUNE_MARGIN, WARM_START_LR};
use mace_lab::ik::{
    check_reachable, load_prior, posterior_folder, read_targets, scene_with_target,
    target_warnings, tune_batch, tune_ik, IkTuneConfig, TuneBatchSummary, TuneTargetStatus,
};
use mace_models::checkpoint::save_ar_gmm;
use mace_robot::CollisionModel;
use serde::Serialize;

use crate::args::{IkScopeArgs, RobotArgs, TuneKnobs};
use crate::output::{write_json, write_text, ResultsDir};
use crate::pictures::{
    config_lists, panel, picture_rows, save_curves, save_robot_picture, PICTURE_SAMPLES,
};
use crate::progress::{BarProgress, TuneProgress};
use crate::say;

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

/// Arguments of `mace ik tune`.
#[derive(Debug, Args)]
pub(crate) struct TuneArgs {
    #[command(flatten)]
    robot: RobotArgs,
    /// Scene: `wall`, `window`, `box`, `shelf`, `cloud`, `cell` or a scene `.toml` file.
    #[arg(long, value_name = "NAME|FILE")]
    scene: String,
    /// Target TCP position (metres); default: the scene's target.
    #[arg(long, num_args = 3, value_names = ["X", "Y", "Z"], allow_negative_numbers = true)]
    target: Option<Vec<f32>>,
    /// Tune one posterior per target of FILE (as `mace ik solve --targets` reads it: `.json`,
    /// `.jsonl` or `.npy`, positions or poses), side by side on the cores; target i with seed
    /// SEED + i. Writes `summary.json`, `targets.jsonl` (one line per target with its
    /// evaluation) and each posterior in `target_0000/`, … (no pictures).
    #[arg(long, value_name = "FILE", conflicts_with = "target")]
    targets: Option<PathBuf>,
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
    #[arg(long, default_value_t = 1000, value_parser = crate::limits::samples())]
    eval_samples: usize,
    /// Prior folder (default: the shipped prior).
    #[arg(long, value_name = "DIR")]
    prior: Option<PathBuf>,
    /// Start from the posterior an earlier `mace ik tune` wrote (its output folder or the
    /// `posterior/` in it) instead of the prior: re-tuning after the scene changed a little (an
    /// obstacle moved), with a third of the learning rate unless `--lr` is given.
    #[arg(long, value_name = "DIR", conflicts_with = "prior")]
    warm_from: Option<PathBuf>,
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

/// The prior folder to start from: `--warm-from` (its `posterior/` if it has one) or `--prior`.
fn start_from(args: &TuneArgs) -> Option<PathBuf> {
    match &args.warm_from {
        Some(d) if d.join("posterior").is_dir() => Some(d.join("posterior")),
        Some(d) => Some(d.clone()),
        None => args.prior.clone(),
    }
}

/// The tuning settings the arguments ask for (a warm start at [`WARM_START_LR`]).
fn tune_config(args: &TuneArgs) -> anyhow::Result<IkTuneConfig> {
    let mut preset = TuneConfig::panda_ik_fast();
    if args.warm_from.is_some() {
        preset.lr = WARM_START_LR;
    }
    Ok(IkTuneConfig {
        objective: args.objective.into(),
        tune: args.knobs.apply(preset, args.seed),
        scope: args.scope.scope(TUNE_MARGIN)?,
        eval_samples: args.eval_samples,
        eval_seed: args.seed + 1,
    })
}

/// `DIR/summary.json` of `mace ik tune --targets FILE --out DIR`.
#[derive(Serialize)]
struct BatchRecord<'a> {
    robot: &'a str,
    scene: &'a str,
    targets_file: &'a Path,
    prior: String,
    /// Reading the targets, loading robot, scene, collision model and prior, seconds.
    setup_s: f64,
    config: &'a IkTuneConfig,
    summary: &'a TuneBatchSummary,
}

/// `mace ik tune --targets FILE`: one posterior per target (`mace_lab::ik::tune_batch`).
fn tune_targets(args: TuneArgs, file: &Path, force: bool) -> anyhow::Result<()> {
    let start = Instant::now();
    let targets = read_targets(file)?;
    let robot = args.robot.load()?;
    let scene = scene_with_target(&args.scene, None)?;
    let config = tune_config(&args)?;
    let out = ResultsDir::new(&args.out, force)?;
    let pose = targets.iter().any(|t| t.has_orientation());
    let prior = match (start_from(&args), pose && args.warm_from.is_none()) {
        (dir, true) => mace_lab::ik::pose::load_any_prior(dir.as_deref(), &robot)?,
        (dir, false) => load_prior(dir.as_deref(), &robot)?,
    };
    let base = CollisionModel::new(&robot.chain, &scene);
    let setup_s = start.elapsed().as_secs_f64();
    let batch = tune_batch(
        &prior,
        &base,
        &scene,
        &targets,
        &config,
        &mut |i, model| {
            let dir = out.file(&posterior_folder(i));
            Ok(save_ar_gmm(model.model(), None, &dir)?)
        },
        &mut BarProgress::new(args.quiet),
    )?;
    write_text(&out.file("targets.jsonl"), &batch.json_lines()?, false)?;
    let record = BatchRecord {
        robot: &robot.name,
        scene: &scene.name,
        targets_file: file,
        prior: prior.dir.display().to_string(),
        setup_s,
        config: &config,
        summary: &batch.summary,
    };
    write_json(&out.file("summary.json"), &record, false)?;
    let dir = out.path().to_path_buf();
    out.publish()?;
    for r in &batch.targets {
        if r.status == TuneTargetStatus::Unreachable {
            eprintln!(
                "warning: target {} {:?} is beyond the arm's reach: not tuned",
                r.index, r.target
            );
        }
    }
    say!("{}", batch.summary_line());
    say!("written to {} (set-up {setup_s:.2} s)", dir.display());
    Ok(())
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

pub(crate) fn tune(args: TuneArgs, force: bool) -> anyhow::Result<()> {
    if let Some(file) = args.targets.clone() {
        return tune_targets(args, &file, force);
    }
    let robot = args.robot.load()?;
    let chain = &robot.chain;
    let scene = scene_with_target(&args.scene, args.target.as_deref())?;
    check_reachable(chain, scene.target)?;
    for w in target_warnings(&scene, scene.target) {
        eprintln!("warning: {w}");
    }
    let out = ResultsDir::new(&args.out, force)?;
    let prior = load_prior(start_from(&args).as_deref(), &robot)?;
    let config = tune_config(&args)?;
    let objective = config.objective;
    let mut bar = TuneProgress::new(&objective.to_string(), config.tune.iterations, args.quiet)
        .positive_means("collision-free");
    let run = tune_ik(&prior, chain, &scene, &config, &mut bar)?;
    bar.finish();
    save_ar_gmm(run.posterior.model(), None, &out.file("posterior"))?;
    let record = &run.record;
    write_json(&out.file("report.json"), record, false)?;
    let picture_start = Instant::now();
    if !args.no_pictures {
        let dof = chain.dof();
        let (prior_q, posterior_q) = (
            picture_rows(&run.prior_q, dof),
            picture_rows(&run.posterior_q, dof),
        );
        let post_title = match objective {
            Objective::Mace => "MACE posterior",
            Objective::Is => "IS posterior",
        };
        save_robot_picture(
            chain,
            &scene,
            &[panel("prior", prior_q), panel(post_title, posterior_q)],
            &out.file("samples.png"),
            false,
        )?;
        save_curves(
            &record.report,
            &format!("{} ({objective})", scene.name),
            &out.file("curves.png"),
            false,
        )?;
        write_json(
            &out.file("samples.json"),
            &SamplesRecord {
                scene: &scene.name,
                target: scene.target,
                prior: config_lists(prior_q, dof),
                posterior: config_lists(posterior_q, dof),
            },
            false,
        )?;
    }
    let picture_s = picture_start.elapsed().as_secs_f64();
    let dir = out.path().to_path_buf();
    out.publish()?;
    let t = &record.report.timings;
    say!(
        "scene {} target {:?}: {} with {} iterations ({:?})",
        record.scene,
        record.target,
        objective,
        record.report.iterations.len(),
        record.report.status
    );
    say!("| model | mean score | success rate | diversity (rad) |");
    say!("|---|---|---|---|");
    for (name, e) in [
        ("prior", &record.prior_eval),
        ("posterior", &record.posterior_eval),
    ] {
        let div = e.diversity.map_or("n/a".into(), |d| format!("{d:.3}"));
        say!(
            "| {name} | {:.3} | {:.3} | {div} |",
            e.mean_score,
            e.success_rate
        );
    }
    say!(
        "tuning {:.2} s (sampling {:.2}, simulating {:.2}, updating {:.2}); written to {}",
        t.total_s,
        t.sample_s,
        t.simulate_s,
        t.update_s,
        dir.display()
    );
    if !args.no_pictures {
        say!(
            "pictures samples.png (prior | posterior, {} samples each), curves.png and samples.json written in {picture_s:.2} s",
            run.prior_q.len().min(PICTURE_SAMPLES * chain.dof()) / chain.dof(),
        );
    }
    Ok(run.check_reached()?)
}
