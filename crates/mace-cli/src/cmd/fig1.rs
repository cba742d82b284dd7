//! `mace bench grasp-fig1`: the paper's Fig. 1 — shape inference from grasp contacts on held-out
//! shapes, in and out of distribution: mean score and diversity of 49 samples of the prior, the
//! MACE-VAE posterior (Adam, and our exact update), the IS posterior and the CVAE, and tuning
//! time; ours beside the paper's findings, as Markdown and JSON.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use mace_core::NoObserver;
use mace_shapes::{clouds_from_tensor, grasp_evidence, GraspScore, PointCloud, ScoreForm, Split};
use rand::{rngs::StdRng, SeedableRng};
use serde::Serialize;

use super::grasp::{
    draw_grasp, evaluate_clouds, grasp_config, grasp_simulator, sample_clouds, tune_latent,
    GraspObjective, SampleEval, ScoreFormArg,
};
use super::shapes::{load_shape_cvae, load_shape_prior, ShapeSource};
use super::tune::TuneKnobs;
use crate::output::emit_json;

/// Arguments of `mace bench grasp-fig1`.
#[derive(Debug, Args)]
pub(crate) struct Fig1Args {
    /// Held-out shapes (the first N of the test split).
    #[arg(long, default_value_t = 100)]
    observations: usize,
    /// Samples per model and observation (paper: 49).
    #[arg(long, default_value_t = 49)]
    samples: usize,
    #[command(flatten)]
    data: ShapeSource,
    /// Models to run, comma-separated, from prior, mace, exact, is, cvae (default: all).
    #[arg(long, value_delimiter = ',', default_values_t = MODELS.map(String::from))]
    models: Vec<String>,
    /// Score form (the paper's mean, or the reference code's sum).
    #[arg(long, value_enum, default_value_t = ScoreFormArg::Mean)]
    score: ScoreFormArg,
    /// `exact`: fraction of the way to the closed-form optimum per step.
    #[arg(long, default_value_t = 0.5)]
    step_fraction: f64,
    #[command(flatten)]
    knobs: TuneKnobs,
    /// Seed of the tuning and the samples.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Shape prior folder (default: the shipped assets/priors/airplanes).
    #[arg(long, value_name = "DIR")]
    prior: Option<PathBuf>,
    /// CVAE folder (default: the shipped assets/priors/airplanes-cvae).
    #[arg(long, value_name = "DIR")]
    cvae: Option<PathBuf>,
    /// Write the results as JSON to FILE (`-` = stdout).
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Output folder: `table.md`, `fig1.json`, and per setting a picture of the first
    /// observation's grasp with prior and MACE posterior samples (`in-distribution/samples.png`,
    /// `out-of-distribution/samples.png`).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
}

/// The models compared, in table order.
const MODELS: [&str; 5] = ["prior", "mace", "exact", "is", "cvae"];

/// One model on one observation.
#[derive(Debug, Clone, Serialize)]
struct ModelResult {
    eval: SampleEval,
    /// Tuning time, seconds (0 for the prior and the CVAE).
    tuning_s: f64,
    /// Optimiser steps (0 for the prior and the CVAE).
    iterations: usize,
}

/// All models on one observation.
#[derive(Debug, Clone, Serialize)]
struct ObservationRow {
    /// Index in the test split.
    shape: usize,
    observation: Vec<f32>,
    models: Vec<(String, ModelResult)>,
}

/// Mean ± std over observations of one model in one setting.
#[derive(Debug, Clone, Serialize)]
struct Summary {
    model: String,
    score_mean: f64,
    score_std: f64,
    diversity_mean: f64,
    diversity_std: f64,
    tuning_mean_s: f64,
    tuning_max_s: f64,
}

#[derive(Debug, Serialize)]
struct Setting {
    ood: bool,
    /// Test shapes skipped because a finger touched nothing.
    skipped: Vec<usize>,
    summaries: Vec<Summary>,
    rows: Vec<ObservationRow>,
}

#[derive(Serialize)]
struct Fig1Output {
    data: String,
    prior: PathBuf,
    cvae: PathBuf,
    samples: usize,
    score_form: String,
    config: mace_core::TuneConfig,
    step_fraction: f64,
    settings: Vec<Setting>,
}

/// Runs the bench.
pub(crate) fn run(args: Fig1Args) -> anyhow::Result<()> {
    if args.observations == 0 || args.samples < 2 {
        bail!("--observations must be at least 1 and --samples at least 2");
    }
    if let Some(bad) = args.models.iter().find(|m| !MODELS.contains(&m.as_str())) {
        bail!(
            "--models: unknown model `{bad}` (choose from {})",
            MODELS.join(", ")
        );
    }
    let run_model = |m: &str| args.models.iter().any(|a| a == m);
    let prior = load_shape_prior(args.prior.as_deref())?;
    let (cvae, cvae_dir) = load_shape_cvae(args.cvae.as_deref())?;
    let test: Vec<PointCloud> = args.data.load(Split::Test)?;
    let shapes: Vec<(usize, &PointCloud)> =
        test.iter().enumerate().take(args.observations).collect();
    let form: ScoreForm = args.score.into();
    let config = args.knobs.apply(grasp_config(), args.seed);
    let prior_clouds = sample_clouds(&prior.model()?, args.samples, args.seed)?;
    let prior_diversity = mace_shapes::pairwise_diversity(&prior_clouds)?;
    let mut settings = Vec::new();
    for ood in [false, true] {
        let sim = grasp_simulator(ood);
        let bar = if args.quiet {
            ProgressBar::hidden()
        } else {
            ProgressBar::new(shapes.len() as u64)
        };
        bar.set_style(
            ProgressStyle::with_template(
                "{prefix:>8} [{bar:30}] {pos}/{len} {elapsed_precise} {msg}",
            )
            .expect("static template")
            .progress_chars("=> "),
        );
        bar.set_prefix(if ood { "OOD" } else { "in-dist" });
        let (mut rows, mut skipped) = (Vec::new(), Vec::new());
        for &(index, shape) in &shapes {
            let Ok(target) = sim.observe(shape.points()) else {
                skipped.push(index);
                bar.inc(1);
                continue;
            };
            let score = GraspScore::new(target.clone(), form)?;
            let mut models = Vec::new();
            let prior_scores = score.score_batch(&sim.simulate_clouds(&prior_clouds)?)?;
            models.push((
                "prior".to_string(),
                ModelResult {
                    eval: SampleEval {
                        mean_score: mean(&prior_scores),
                        diversity: prior_diversity,
                    },
                    tuning_s: 0.0,
                    iterations: 0,
                },
            ));
            let evidence = grasp_evidence(sim.clone(), target.clone(), form)?;
            for (name, objective) in [
                ("mace", GraspObjective::Mace),
                ("exact", GraspObjective::Exact),
                ("is", GraspObjective::Is),
            ] {
                if !run_model(name) {
                    continue;
                }
                let (posterior, report) = tune_latent(
                    &prior,
                    &evidence,
                    objective,
                    args.step_fraction,
                    &config,
                    &mut NoObserver,
                )?;
                let clouds = sample_clouds(&posterior, args.samples, args.seed + 1)?;
                if let (Some(out), true, "mace") = (&args.out, rows.is_empty(), name) {
                    let dir = out.join(if ood {
                        "out-of-distribution"
                    } else {
                        "in-distribution"
                    });
                    std::fs::create_dir_all(&dir)?;
                    draw_grasp(&dir, &sim, shape, &target, &prior_clouds, &clouds)?;
                }
                models.push((
                    name.to_string(),
                    ModelResult {
                        eval: evaluate_clouds(&clouds, &sim, &score)?,
                        tuning_s: report.timings.total_s,
                        iterations: report.iterations.len(),
                    },
                ));
            }
            // The CVAE is conditioned on the contacts it was trained with (in distribution);
            // out of distribution it receives contacts of a finger set it never saw.
            if run_model("cvae") {
                let start = Instant::now();
                let x = cvae.sample(
                    args.samples,
                    &target,
                    &mut StdRng::seed_from_u64(args.seed + 1),
                )?;
                let clouds = clouds_from_tensor(&x)?;
                let sampling_s = start.elapsed().as_secs_f64();
                models.push((
                    "cvae".to_string(),
                    ModelResult {
                        eval: evaluate_clouds(&clouds, &sim, &score)?,
                        tuning_s: sampling_s,
                        iterations: 0,
                    },
                ));
            }
            let message = models
                .iter()
                .map(|(name, m)| format!("{name} {:.3}", m.eval.mean_score))
                .collect::<Vec<_>>()
                .join(", ");
            let message = format!("shape {index}: {message}");
            // A hidden bar (-q, or stderr not a terminal) shows nothing: log a line instead.
            if bar.is_hidden() && !args.quiet {
                eprintln!(
                    "{} {}/{} {message}",
                    if ood { "OOD" } else { "in-dist" },
                    rows.len() + skipped.len() + 1,
                    shapes.len()
                );
            }
            bar.set_message(message);
            rows.push(ObservationRow {
                shape: index,
                observation: target,
                models,
            });
            bar.inc(1);
        }
        bar.finish_and_clear();
        let summaries = MODELS
            .iter()
            .filter(|m| **m == "prior" || run_model(m))
            .map(|m| summarise(m, &rows))
            .collect();
        settings.push(Setting {
            ood,
            skipped,
            summaries,
            rows,
        });
    }
    let table = table_markdown(&settings, args.samples);
    print!("{table}");
    let out = Fig1Output {
        data: args.data.describe(),
        prior: prior.dir.clone(),
        cvae: cvae_dir,
        samples: args.samples,
        score_form: format!("{form:?}"),
        config,
        step_fraction: args.step_fraction,
        settings,
    };
    if let Some(json) = &args.json {
        emit_json(json, &out)?;
    }
    if let Some(dir) = &args.out {
        crate::output::write_json(&dir.join("fig1.json"), &out)?;
        std::fs::write(dir.join("table.md"), &table)
            .with_context(|| format!("writing {}", dir.join("table.md").display()))?;
        println!("written to {}", dir.display());
    }
    Ok(())
}

fn mean(v: &[f32]) -> f32 {
    v.iter().sum::<f32>() / v.len().max(1) as f32
}

fn mean_std(v: &[f64]) -> (f64, f64) {
    let n = v.len().max(1) as f64;
    let m = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / n;
    (m, var.sqrt())
}

fn summarise(model: &str, rows: &[ObservationRow]) -> Summary {
    let results: Vec<&ModelResult> = rows
        .iter()
        .filter_map(|r| r.models.iter().find(|(n, _)| n == model).map(|(_, m)| m))
        .collect();
    let pick = |f: &dyn Fn(&ModelResult) -> f64| results.iter().map(|m| f(m)).collect::<Vec<_>>();
    let (score_mean, score_std) = mean_std(&pick(&|m| m.eval.mean_score as f64));
    let (diversity_mean, diversity_std) = mean_std(&pick(&|m| m.eval.diversity as f64));
    let tuning = pick(&|m| m.tuning_s);
    Summary {
        model: model.to_string(),
        score_mean,
        score_std,
        diversity_mean,
        diversity_std,
        tuning_mean_s: mean_std(&tuning).0,
        tuning_max_s: tuning.iter().copied().fold(0.0, f64::max),
    }
}

/// What the paper's Fig. 1 shows for each model (qualitatively: the figure has no table).
fn paper_finding(model: &str, ood: bool) -> &'static str {
    match (model, ood) {
        ("prior", _) => "lowest score, most diverse",
        ("mace", false) => "score well above prior; more diverse than CVAE",
        ("mace", true) => "beats CVAE in score and diversity",
        ("exact", _) => "(ours: closed-form MACE-VAE update)",
        ("is", _) => "below MACE",
        ("cvae", false) => "highest score, low diversity",
        ("cvae", true) => "fails: score and diversity drop",
        _ => "",
    }
}

fn table_markdown(settings: &[Setting], samples: usize) -> String {
    use std::fmt::Write as _;
    let mut t = String::new();
    for s in settings {
        let _ = writeln!(
            t,
            "\nFig. 1, {}: {} observations ({} skipped: a finger touched nothing), {samples} samples per model",
            if s.ood { "out of distribution (fifth finger along +x)" } else { "in distribution" },
            s.rows.len(),
            s.skipped.len()
        );
        let _ = writeln!(t, "| model | mean score (ours) | diversity (ours, mean pairwise Chamfer) | tuning time (ours) | paper (Fig. 1) |");
        let _ = writeln!(t, "|---|---|---|---|---|");
        for m in &s.summaries {
            let _ = writeln!(
                t,
                "| {} | {:.3} ± {:.3} | {:.4} ± {:.4} | {} | {} |",
                m.model,
                m.score_mean,
                m.score_std,
                m.diversity_mean,
                m.diversity_std,
                match m.model.as_str() {
                    "prior" => "-".to_string(),
                    "cvae" => format!("{:.3} s (sampling)", m.tuning_mean_s),
                    _ => format!("{:.2} s (max {:.2})", m.tuning_mean_s, m.tuning_max_s),
                },
                paper_finding(&m.model, s.ood)
            );
        }
    }
    t
}
