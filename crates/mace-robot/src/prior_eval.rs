//! Quality of an IK sampler (a prior or a posterior) on targets with known solutions.
//!
//! Targets are the TCP positions of random self-collision-free configurations (seeded), so
//! every target is reachable. For each, the sampler draws `samples_per_target` configurations;
//! we measure their TCP error, self-collision rate, and how spread out the samples that land
//! within `near` of the target are (mean pairwise joint-space distance, rad), beside the same
//! spread for dataset configurations whose TCP lies that close to the target.

use rand::{rngs::StdRng, SeedableRng};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::chain::KinematicChain;
use crate::collision::CollisionModel;
use crate::dataset::{Dataset, DatasetConfig};
use crate::error::{Error, Result};
use crate::scene::Scene;

/// Options of [`evaluate_sampler`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PriorEvalConfig {
    /// Number of targets.
    pub targets: usize,
    /// Samples drawn per target.
    pub samples_per_target: usize,
    /// Radius for "near the target", metres.
    pub near: f32,
    /// Seed of the targets and of the sampler's draws.
    pub seed: u64,
}

impl Default for PriorEvalConfig {
    fn default() -> Self {
        Self {
            targets: 200,
            samples_per_target: 1000,
            near: 0.01,
            seed: 7,
        }
    }
}

/// Figures for one target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetEval {
    /// Target TCP position, metres.
    pub target: [f32; 3],
    /// Median TCP error of the samples, metres.
    pub median_error: f32,
    /// Smallest TCP error among the samples, metres.
    pub best_error: f32,
    /// Fraction of samples in self-collision.
    pub self_collision_rate: f32,
    /// Samples within `near` of the target.
    pub near_samples: usize,
    /// Mean pairwise joint distance of those samples (rad), if there are two or more.
    pub diversity: Option<f32>,
    /// Dataset configurations within `near` of the target.
    pub near_dataset: usize,
    /// Mean pairwise joint distance of those (rad), if there are two or more.
    pub dataset_diversity: Option<f32>,
}

/// Summary over all targets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PriorEvalReport {
    /// The options used.
    pub config: PriorEvalConfig,
    /// Median TCP error over all samples of all targets, metres.
    pub median_error: f32,
    /// Median over targets of the best sample's error, metres.
    pub median_best_error: f32,
    /// The largest over targets of the best sample's error, metres (the hardest target).
    pub max_best_error: f32,
    /// Fraction of all samples in self-collision.
    pub self_collision_rate: f32,
    /// Mean over targets (where defined) of the near-sample diversity, rad.
    pub diversity: Option<f32>,
    /// Mean over the same targets of the dataset's near diversity, rad.
    pub dataset_diversity: Option<f32>,
    /// Seconds spent sampling (the sampler's own time).
    pub sampling_seconds: f64,
    /// Per-target figures.
    pub per_target: Vec<TargetEval>,
}

/// Draws `n` configurations for a target: `(target, n, rng) → (n, dof)` row-major.
pub type Sampler<'a> = dyn FnMut(&[f32; 3], usize, &mut StdRng) -> Vec<f32> + 'a;

/// At most this many configurations enter a pairwise-distance figure (O(n²)).
const MAX_DIVERSITY_SET: usize = 300;

/// Evaluates `sampler(target, n, rng) → (n, dof)` row-major configurations on reachable targets.
/// `dataset` (optional) provides the near-target spread to compare with.
///
/// # Errors
/// [`Error::EmptyBatch`] for no targets or no samples, [`Error::TooMany`] above 10 M samples in
/// all; forward-kinematics or collision errors on the sampler's output (e.g. a wrong row length).
pub fn evaluate_sampler(
    chain: &KinematicChain,
    dataset: Option<&Dataset>,
    config: &PriorEvalConfig,
    sampler: &mut Sampler<'_>,
) -> Result<PriorEvalReport> {
    if config.targets == 0 || config.samples_per_target == 0 {
        return Err(Error::EmptyBatch {
            op: "evaluate_sampler (targets and samples per target must be at least 1)",
        });
    }
    const MAX_TOTAL: usize = 10_000_000;
    let total_samples = config.targets.saturating_mul(config.samples_per_target);
    if total_samples > MAX_TOTAL {
        return Err(Error::TooMany {
            what: "targets × samples per target",
            value: total_samples,
            max: MAX_TOTAL,
        });
    }
    let dof = chain.dof();
    let targets = Dataset::generate(
        chain,
        &DatasetConfig {
            n: config.targets,
            seed: config.seed,
        },
    )?;
    let model = CollisionModel::new(chain, &Scene::empty([0.0; 3]));
    let mut rng = StdRng::seed_from_u64(config.seed.wrapping_add(1));
    let mut all_errors = Vec::with_capacity(config.targets * config.samples_per_target);
    let (mut self_hits, mut total) = (0usize, 0usize);
    let mut sampling_seconds = 0.0;
    let mut per_target = Vec::with_capacity(config.targets);
    for t in targets.tcp.chunks_exact(3) {
        let target = [t[0], t[1], t[2]];
        let start = std::time::Instant::now();
        let q = sampler(&target, config.samples_per_target, &mut rng);
        sampling_seconds += start.elapsed().as_secs_f64();
        let tcp = chain.tcp_positions(&q)?;
        let flags = model.check_batch(&q)?;
        let errors: Vec<f32> = tcp.iter().map(|p| distance(p, &target)).collect();
        let hits = flags.iter().filter(|f| f.self_collision).count();
        let near: Vec<&[f32]> = q
            .chunks_exact(dof)
            .zip(&errors)
            .filter(|(_, e)| **e <= config.near)
            .map(|(r, _)| r)
            .collect();
        let dataset_near: Vec<&[f32]> = match dataset {
            Some(d) => {
                d.q.chunks_exact(dof)
                    .zip(d.tcp.chunks_exact(3))
                    .filter(|(_, p)| distance(&[p[0], p[1], p[2]], &target) <= config.near)
                    .map(|(r, _)| r)
                    .collect()
            }
            None => Vec::new(),
        };
        let mut sorted = errors.clone();
        sorted.sort_by(f32::total_cmp);
        per_target.push(TargetEval {
            target,
            median_error: median(&sorted),
            best_error: sorted.first().copied().unwrap_or(f32::NAN),
            self_collision_rate: hits as f32 / errors.len().max(1) as f32,
            near_samples: near.len(),
            diversity: mean_pairwise_distance(&near),
            near_dataset: dataset_near.len(),
            dataset_diversity: mean_pairwise_distance(&dataset_near),
        });
        self_hits += hits;
        total += errors.len();
        all_errors.extend(errors);
    }
    all_errors.sort_by(f32::total_cmp);
    let mut best: Vec<f32> = per_target.iter().map(|t| t.best_error).collect();
    best.sort_by(f32::total_cmp);
    let both: Vec<(f32, f32)> = per_target
        .iter()
        .filter_map(|t| Some((t.diversity?, t.dataset_diversity?)))
        .collect();
    let mean = |v: Vec<f32>| mace_core::stats::mean(v.into_iter().map(f64::from)).map(|m| m as f32);
    let (diversity, dataset_diversity) = if dataset.is_some() {
        (
            mean(both.iter().map(|b| b.0).collect()),
            mean(both.iter().map(|b| b.1).collect()),
        )
    } else {
        (
            mean(per_target.iter().filter_map(|t| t.diversity).collect()),
            None,
        )
    };
    Ok(PriorEvalReport {
        config: *config,
        median_error: median(&all_errors),
        median_best_error: median(&best),
        max_best_error: best.iter().copied().fold(0.0, f32::max),
        self_collision_rate: self_hits as f32 / total.max(1) as f32,
        diversity,
        dataset_diversity,
        sampling_seconds,
        per_target,
    })
}

fn distance(a: &[f32; 3], b: &[f32; 3]) -> f32 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt()
}

/// Median of `v` (NaN for no values).
fn median(v: &[f32]) -> f32 {
    let v: Vec<f64> = v.iter().map(|&x| f64::from(x)).collect();
    mace_core::stats::median(&v).map_or(f32::NAN, |m| m as f32)
}

/// Mean Euclidean distance over pairs of rows (at most the first 300), rad.
pub fn mean_pairwise_distance(rows: &[&[f32]]) -> Option<f32> {
    let rows = &rows[..rows.len().min(MAX_DIVERSITY_SET)];
    if rows.len() < 2 {
        return None;
    }
    let sum: f64 = (0..rows.len())
        .into_par_iter()
        .map(|i| {
            (i + 1..rows.len())
                .map(|j| {
                    rows[i]
                        .iter()
                        .zip(rows[j])
                        .map(|(a, b)| ((a - b) as f64).powi(2))
                        .sum::<f64>()
                        .sqrt()
                })
                .sum::<f64>()
        })
        .sum();
    let pairs = rows.len() * (rows.len() - 1) / 2;
    Some((sum / pairs as f64) as f32)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sampler that returns the dataset's exact solution (and random junk) is scored as such.
    #[test]
    fn an_oracle_sampler_has_zero_error_and_uniform_noise_does_not() {
        let chain = KinematicChain::panda();
        let cfg = PriorEvalConfig {
            targets: 5,
            samples_per_target: 50,
            near: 0.01,
            seed: 3,
        };
        let solutions = Dataset::generate(&chain, &DatasetConfig { n: 5, seed: 3 }).unwrap();
        let mut k = 0;
        let report = evaluate_sampler(&chain, None, &cfg, &mut |_, n, _| {
            let row = solutions.q[k * 7..(k + 1) * 7].to_vec();
            k += 1;
            row.repeat(n)
        })
        .unwrap();
        assert!(report.median_error < 1e-5 && report.median_best_error < 1e-5);
        assert_eq!(report.diversity, Some(0.0));
        let noise = evaluate_sampler(&chain, None, &cfg, &mut |_, n, rng: &mut StdRng| {
            chain.sample_uniform(n, rng)
        })
        .unwrap();
        assert!(noise.median_error > 0.2, "{}", noise.median_error);
        assert!(noise.diversity.is_none() || noise.diversity.unwrap() > 0.5);
    }
}

/// How configurations fare in a scene (Table 1 of the paper).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SceneSampleEval {
    /// Configurations evaluated.
    pub samples: usize,
    /// Mean IK score: 0 on collision, else exp(−TCP error in metres).
    pub mean_score: f32,
    /// Fraction of configurations free of any collision (self, obstacles, ground).
    pub success_rate: f32,
    /// Median TCP error of the collision-free ones, metres.
    pub median_error_success: Option<f32>,
    /// Smallest TCP error of the collision-free ones, metres.
    pub min_error_success: Option<f32>,
    /// Pose targets: median tool rotation error of the collision-free ones, degrees.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub median_rotation_error_deg_success: Option<f32>,
    /// Mean pairwise joint distance of the collision-free ones (at most 300), rad.
    pub diversity: Option<f32>,
}

/// Scores configurations `q` `(n, dof)` in `scene` against `target` (the IK score,
/// [`crate::IkScore::for_target`]).
///
/// # Errors
/// As [`CollisionModel::check_with_tcp_batch`].
pub fn evaluate_in_scene(
    chain: &KinematicChain,
    scene: &Scene,
    target: &crate::IkTarget,
    q: &[f32],
) -> Result<SceneSampleEval> {
    let dof = chain.dof();
    let model = CollisionModel::new(chain, scene);
    let checked = model.check_with_tool_batch(q)?;
    let n = checked.len();
    let ik_score = crate::IkScore::for_target(target);
    let mut score = 0.0f64;
    let mut errors = Vec::new();
    let mut rotations = Vec::new();
    let mut free: Vec<&[f32]> = Vec::new();
    for ((flags, tool), row) in checked.iter().zip(q.chunks_exact(dof)) {
        if !flags.any() {
            let (e, r) = target.errors(tool);
            score += ik_score.score_one(flags, tool, false) as f64;
            errors.push(e);
            rotations.push(r.to_degrees());
            free.push(row);
        }
    }
    errors.sort_by(f32::total_cmp);
    rotations.sort_by(f32::total_cmp);
    Ok(SceneSampleEval {
        samples: n,
        mean_score: (score / n.max(1) as f64) as f32,
        success_rate: free.len() as f32 / n.max(1) as f32,
        median_error_success: (!errors.is_empty()).then(|| median(&errors)),
        min_error_success: errors.first().copied(),
        median_rotation_error_deg_success: (target.has_orientation() && !rotations.is_empty())
            .then(|| median(&rotations)),
        diversity: mean_pairwise_distance(&free),
    })
}
