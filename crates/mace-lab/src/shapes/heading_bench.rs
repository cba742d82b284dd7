//! Does a real shape in its native heading complete as well as when turned into our axes by
//! hand? For one file whose true axes are known (`hand`), and the file read with its up axis
//! only (`native`, as a user who knows only which way is up reads it) turned by each of
//! several extra headings (ModelNet's airplanes each face their own way): the heading found by
//! [`super::heading::infer_heading`], and per camera view the completion's mean Chamfer
//! distance to the truth for the hand-turned shape, the shape turned by the heading found, and
//! the shape left as read.

use std::fmt::Write as _;

use mace_core::{NoObserver, TuneConfig};
use mace_shapes::{
    load_shape, CompletionScoreConfig, DepthCamera, DepthCameraConfig, Frame, PointCloud,
    PrepareOptions,
};
use serde::{Deserialize, Serialize};

use super::completion::{tune_completion, CompleteTuneConfig, CompletionProblem};
use super::heading::{apply_heading, turn_about_up, HeadingChoice};
use super::latent::LatentObjective;
use super::prior::ShapePrior;
use crate::error::{fail, Result};
use crate::progress::Progress;

/// Settings of the heading bench.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HeadingBenchConfig {
    /// The shape file.
    pub file: String,
    /// The file's true axes (up and front): the hand-turned reference.
    pub hand: Frame,
    /// The file's axes as a user who knows only its up axis gives them.
    pub native: Frame,
    /// Extra turns about up applied to the native shape, degrees (0: the file as it is).
    pub headings: Vec<f32>,
    /// Camera views (azimuth, elevation), degrees.
    pub views: Vec<[f32; 2]>,
    /// Tuner settings.
    pub tune: TuneConfig,
    /// Samples evaluated per completion.
    pub eval_samples: usize,
    /// Seed.
    pub seed: u64,
}

/// One native heading.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HeadingRow {
    /// Extra turn applied to the native shape, degrees.
    pub extra_turn_deg: f32,
    /// The turn found, degrees.
    pub found_deg: f32,
    /// How far the shape ends from the hand-turned heading, degrees.
    pub error_deg: f32,
    /// Per view: mean Chamfer of the completion of the shape turned by the heading found.
    pub found_chamfer: Vec<f32>,
    /// Per view: the same for the shape left as read.
    pub as_read_chamfer: Vec<f32>,
}

/// The bench's result.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HeadingBench {
    /// Settings.
    pub config: HeadingBenchConfig,
    /// Per view: mean Chamfer of the completion of the hand-turned shape.
    pub hand_chamfer: Vec<f32>,
    /// One row per native heading.
    pub rows: Vec<HeadingRow>,
    /// Mean over headings and views of found / hand.
    pub found_ratio: f64,
    /// Worst heading's mean over views of found / hand.
    pub found_ratio_worst: f64,
    /// Mean over headings and views of as read / hand.
    pub as_read_ratio: f64,
}

/// Runs the bench (see the module docs).
///
/// # Errors
/// For no views or headings, a file that cannot be read, or from tuning.
pub fn run_heading_bench(
    prior: &ShapePrior,
    config: &HeadingBenchConfig,
    progress: &mut dyn Progress,
) -> Result<HeadingBench> {
    if config.views.is_empty() || config.headings.is_empty() {
        fail!("the heading bench needs at least one view and one heading");
    }
    let read = |frame: Frame| {
        load_shape(
            &config.file,
            &PrepareOptions {
                frame,
                seed: config.seed,
                ..PrepareOptions::default()
            },
        )
    };
    let ((hand, _), (native, _)) = (read(config.hand)?, read(config.native)?);
    let complete = |truth: &PointCloud, [az, el]: [f32; 2]| -> Result<f32> {
        let camera = DepthCamera::new(&DepthCameraConfig {
            azimuth_deg: az,
            elevation_deg: el,
            ..DepthCameraConfig::default()
        })?;
        let score = CompletionScoreConfig::default();
        let problem = CompletionProblem::new(truth, camera, 0.0, config.seed, &score)?;
        let run = tune_completion(
            prior,
            Some(truth),
            &config.file,
            problem,
            &CompleteTuneConfig {
                objective: LatentObjective::Mace,
                step_fraction: 0.5,
                tune: config.tune.clone(),
                eval_samples: config.eval_samples,
                eval_seed: config.seed + 1,
            },
            &mut NoObserver,
        )?;
        Ok(run
            .record
            .posterior_eval
            .chamfer_mean
            .unwrap_or(f32::INFINITY))
    };
    progress.phase("heading", config.headings.len() + 1);
    let hand_chamfer: Vec<f32> = config
        .views
        .iter()
        .map(|v| complete(&hand, *v))
        .collect::<Result<_>>()?;
    progress.advance("hand-turned");
    let mut rows = Vec::new();
    for &extra in &config.headings {
        let shape = turn_about_up(&native, extra)?;
        let (found, record) = apply_heading(&shape, HeadingChoice::Auto, Some(prior), config.seed)?;
        let found_chamfer = config
            .views
            .iter()
            .map(|v| complete(&found, *v))
            .collect::<Result<Vec<_>>>()?;
        let as_read_chamfer = config
            .views
            .iter()
            .map(|v| complete(&shape, *v))
            .collect::<Result<Vec<_>>>()?;
        let error_deg = heading_error(&hand, &found);
        progress.advance(&format!(
            "extra turn {extra}°: found {:.1}°, {error_deg:.1}° from the hand-turned heading",
            record.heading_deg
        ));
        rows.push(HeadingRow {
            extra_turn_deg: extra,
            found_deg: record.heading_deg,
            error_deg,
            found_chamfer,
            as_read_chamfer,
        });
    }
    progress.finish();
    let ratio = |pick: &dyn Fn(&HeadingRow) -> &Vec<f32>| -> Vec<f64> {
        rows.iter()
            .map(|r| {
                let v: Vec<f64> = pick(r)
                    .iter()
                    .zip(&hand_chamfer)
                    .map(|(a, h)| f64::from(*a) / f64::from(*h))
                    .collect();
                v.iter().sum::<f64>() / v.len() as f64
            })
            .collect()
    };
    let found = ratio(&|r| &r.found_chamfer);
    let as_read = ratio(&|r| &r.as_read_chamfer);
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    Ok(HeadingBench {
        config: config.clone(),
        hand_chamfer,
        found_ratio: mean(&found),
        found_ratio_worst: found.iter().copied().fold(0.0, f64::max),
        as_read_ratio: mean(&as_read),
        rows,
    })
}

/// The turn (degrees, in [0, 180]) between two normalised copies of the same shape about y: the
/// angle of least Chamfer distance, searched in 1° steps.
fn heading_error(reference: &PointCloud, shape: &PointCloud) -> f32 {
    let thin = |c: &PointCloud| -> Vec<[f32; 3]> { c.iter().step_by(4).copied().collect() };
    let target = thin(reference);
    (0..360)
        .filter_map(|d| {
            let turned = turn_about_up(shape, d as f32).ok()?;
            let c = mace_shapes::chamfer(&thin(&turned), &target).ok()?;
            Some((d as f32, c))
        })
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map_or(180.0, |(d, _)| d.min(360.0 - d))
}

impl HeadingBench {
    /// The table as Markdown.
    pub fn markdown(&self) -> String {
        let views: Vec<String> = self
            .config
            .views
            .iter()
            .map(|[a, e]| format!("({a}°, {e}°)"))
            .collect();
        let mut t = format!(
            "\n{}: completion Chamfer (mean of {} samples) per view {}, the shape read with its \
             up axis only and turned by an extra heading, vs. turned into our axes by hand \
             ({:?} per view).\n\n",
            self.config.file,
            self.config.eval_samples,
            views.join(", "),
            self.hand_chamfer
                .iter()
                .map(|c| format!("{c:.2e}"))
                .collect::<Vec<_>>()
        );
        let _ = writeln!(
            t,
            "| extra turn | heading found | error | Chamfer, heading found (× hand) | Chamfer, as read (× hand) |"
        );
        let _ = writeln!(t, "|---|---|---|---|---|");
        for r in &self.rows {
            let cells = |v: &[f32]| {
                v.iter()
                    .zip(&self.hand_chamfer)
                    .map(|(c, h)| format!("{c:.2e} ({:.2}×)", c / h))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let _ = writeln!(
                t,
                "| {}° | {:.1}° | {:.0}° | {} | {} |",
                r.extra_turn_deg,
                r.found_deg,
                r.error_deg,
                cells(&r.found_chamfer),
                cells(&r.as_read_chamfer)
            );
        }
        let _ = writeln!(
            t,
            "\nHeading found: {:.2}× the hand-turned Chamfer on average (worst heading {:.2}×); \
             as read: {:.2}×.",
            self.found_ratio, self.found_ratio_worst, self.as_read_ratio
        );
        t
    }
}
