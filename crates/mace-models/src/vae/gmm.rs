//! Weighted EM for a mixture of diagonal Gaussians: the closed-form maximiser (to a local
//! optimum) of Σ_i w_i log Σ_k π_k N(x_i; μ_k, diag σ_k²), which is the MACE objective of a
//! mixture latent prior (see [`super::MixtureLatentPrior`]).
//!
//! k-means++ seeding from a seeded generator, then EM with a variance floor per dimension (a
//! component on a few near-identical points would otherwise collapse to a spike). Components
//! whose share of the weight falls below [`MIN_COMPONENT_POINTS`] points are dropped.

use rand::{rngs::StdRng, Rng, SeedableRng};

/// A component keeps at least this many points' worth of weight (else it is dropped).
pub(super) const MIN_COMPONENT_POINTS: f64 = 2.0;

/// A mixture of diagonal Gaussians over `dim` coordinates.
#[derive(Debug, Clone, PartialEq)]
pub struct DiagonalMixture {
    /// Mixing weights π_k, summing to 1.
    pub weights: Vec<f64>,
    /// Means μ_k, `dim` values each.
    pub means: Vec<Vec<f64>>,
    /// Variances σ_k², `dim` values each.
    pub variances: Vec<Vec<f64>>,
}

impl DiagonalMixture {
    /// log Σ_k π_k N(x; μ_k, diag σ_k²).
    pub fn log_density(&self, x: &[f64]) -> f64 {
        let logs: Vec<f64> = (0..self.weights.len())
            .map(|k| self.weights[k].ln() + log_normal(x, &self.means[k], &self.variances[k]))
            .collect();
        log_sum_exp(&logs)
    }

    /// The responsibilities of each component for `x` (summing to 1).
    fn responsibilities(&self, x: &[f64]) -> Vec<f64> {
        let logs: Vec<f64> = (0..self.weights.len())
            .map(|k| self.weights[k].ln() + log_normal(x, &self.means[k], &self.variances[k]))
            .collect();
        let total = log_sum_exp(&logs);
        logs.iter().map(|l| (l - total).exp()).collect()
    }
}

/// log N(x; μ, diag σ²).
fn log_normal(x: &[f64], mean: &[f64], var: &[f64]) -> f64 {
    let ln_2pi = (2.0 * std::f64::consts::PI).ln();
    x.iter()
        .zip(mean.iter().zip(var))
        .map(|(&x, (&m, &v))| -0.5 * ((x - m) * (x - m) / v + v.ln() + ln_2pi))
        .sum()
}

fn log_sum_exp(values: &[f64]) -> f64 {
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !max.is_finite() {
        return max;
    }
    max + values.iter().map(|v| (v - max).exp()).sum::<f64>().ln()
}

/// Fits up to `components` diagonal Gaussians to `points` (`n` rows of `dim`) with `weights`
/// (≥ 0; NaN counts as 0, ∞ fits nothing) by `iterations` EM steps; variances are at least `floor` (one per
/// dimension, > 0). Fewer components when the points carry too little weight to fill them;
/// `None` when they carry less than [`MIN_COMPONENT_POINTS`] points' worth in all.
/// Deterministic for a given `seed`.
pub fn fit_diagonal_mixture(
    points: &[Vec<f64>],
    weights: &[f64],
    components: usize,
    iterations: usize,
    floor: &[f64],
    seed: u64,
) -> Option<DiagonalMixture> {
    let weights: Vec<f64> = weights
        .iter()
        .map(|&w| if w > 0.0 { w } else { 0.0 })
        .collect();
    let weights = &weights[..];
    let total: f64 = weights.iter().sum();
    let live: Vec<usize> = (0..points.len()).filter(|&i| weights[i] > 0.0).collect();
    // Points' worth of weight (Kish's effective sample size), to bound the components.
    let effective = total * total / weights.iter().map(|w| w * w).sum::<f64>();
    if live.is_empty() || !effective.is_finite() || effective < MIN_COMPONENT_POINTS {
        return None;
    }
    let most = (effective / (2.0 * MIN_COMPONENT_POINTS)).floor().max(1.0) as usize;
    let k = components.clamp(1, most.min(live.len()));
    let mut mixture = DiagonalMixture {
        weights: vec![1.0 / k as f64; k],
        means: seed_means(points, weights, &live, k, seed),
        variances: vec![weighted_moments(points, weights, total, floor).1; k],
    };
    let rows: Vec<&Vec<f64>> = live.iter().map(|&i| &points[i]).collect();
    for _ in 0..iterations {
        let resp: Vec<Vec<f64>> = live
            .iter()
            .map(|&i| mixture.responsibilities(&points[i]))
            .collect();
        let mut next = DiagonalMixture {
            weights: Vec::new(),
            means: Vec::new(),
            variances: Vec::new(),
        };
        for c in 0..mixture.weights.len() {
            let w: Vec<f64> = live
                .iter()
                .zip(&resp)
                .map(|(&i, r)| weights[i] * r[c])
                .collect();
            let mass: f64 = w.iter().sum();
            if mass * effective / total < MIN_COMPONENT_POINTS {
                continue;
            }
            let (mean, var) = moments_of(&rows, &w, mass, floor);
            next.weights.push(mass / total);
            next.means.push(mean);
            next.variances.push(var);
        }
        if next.weights.is_empty() {
            break;
        }
        let sum: f64 = next.weights.iter().sum();
        next.weights.iter_mut().for_each(|w| *w /= sum);
        mixture = next;
    }
    Some(mixture)
}

/// Weighted mean and variance (floored) of all `points`.
pub(super) fn weighted_moments(
    points: &[Vec<f64>],
    weights: &[f64],
    total: f64,
    floor: &[f64],
) -> (Vec<f64>, Vec<f64>) {
    let rows: Vec<&Vec<f64>> = points.iter().collect();
    moments_of(&rows, weights, total, floor)
}

fn moments_of(rows: &[&Vec<f64>], w: &[f64], mass: f64, floor: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let dim = floor.len();
    let mut mean = vec![0.0; dim];
    for (row, &wi) in rows.iter().zip(w) {
        for (m, &x) in mean.iter_mut().zip(row.iter()) {
            *m += wi * x / mass;
        }
    }
    let mut var = vec![0.0; dim];
    for (row, &wi) in rows.iter().zip(w) {
        for ((v, &x), &m) in var.iter_mut().zip(row.iter()).zip(&mean) {
            *v += wi * (x - m) * (x - m) / mass;
        }
    }
    for (v, &f) in var.iter_mut().zip(floor) {
        *v = v.max(f);
    }
    (mean, var)
}

/// k-means++ seeding over the live points, each drawn with probability ∝ weight × squared
/// distance to the nearest mean so far (the first ∝ weight).
fn seed_means(
    points: &[Vec<f64>],
    weights: &[f64],
    live: &[usize],
    k: usize,
    seed: u64,
) -> Vec<Vec<f64>> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut means: Vec<Vec<f64>> = Vec::with_capacity(k);
    let mut nearest = vec![1.0f64; live.len()];
    while means.len() < k {
        let scores: Vec<f64> = live
            .iter()
            .zip(&nearest)
            .map(|(&i, d)| weights[i] * d)
            .collect();
        let total: f64 = scores.iter().sum();
        let pick = if total > 0.0 {
            let mut t = rng.random::<f64>() * total;
            let mut chosen = live.len() - 1;
            for (j, s) in scores.iter().enumerate() {
                if t < *s {
                    chosen = j;
                    break;
                }
                t -= s;
            }
            chosen
        } else {
            means.len() % live.len()
        };
        let mean = points[live[pick]].clone();
        for (d, &i) in nearest.iter_mut().zip(live) {
            let dist: f64 = points[i]
                .iter()
                .zip(&mean)
                .map(|(a, b)| (a - b) * (a - b))
                .sum();
            *d = if means.is_empty() { dist } else { d.min(dist) };
        }
        means.push(mean);
    }
    means
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_distr::StandardNormal;

    /// Two well-separated clusters of unequal weight are found, with their spreads.
    #[test]
    fn em_finds_two_clusters() {
        let mut rng = StdRng::seed_from_u64(1);
        let points: Vec<Vec<f64>> = (0..600)
            .map(|i| {
                let centre = if i < 400 { -3.0 } else { 4.0 };
                vec![
                    centre + 0.5 * rng.sample::<f64, _>(StandardNormal),
                    rng.sample::<f64, _>(StandardNormal),
                ]
            })
            .collect();
        let weights = vec![1.0; points.len()];
        let m = fit_diagonal_mixture(&points, &weights, 2, 50, &[1e-6, 1e-6], 0).unwrap();
        assert_eq!(m.weights.len(), 2);
        let (a, b) = if m.means[0][0] < m.means[1][0] {
            (0, 1)
        } else {
            (1, 0)
        };
        assert!((m.means[a][0] + 3.0).abs() < 0.15 && (m.means[b][0] - 4.0).abs() < 0.15);
        assert!((m.weights[a] - 2.0 / 3.0).abs() < 0.02, "{:?}", m.weights);
        assert!(
            (m.variances[a][0].sqrt() - 0.5).abs() < 0.08,
            "{:?}",
            m.variances
        );
        assert!(
            (m.variances[b][1].sqrt() - 1.0).abs() < 0.15,
            "{:?}",
            m.variances
        );
        // Weight 0 removes points: only the second cluster is left.
        let only_b: Vec<f64> = (0..600).map(|i| if i < 400 { 0.0 } else { 1.0 }).collect();
        let m = fit_diagonal_mixture(&points, &only_b, 1, 20, &[1e-6, 1e-6], 0).unwrap();
        assert!((m.means[0][0] - 4.0).abs() < 0.15);
        assert!(m.log_density(&[4.0, 0.0]) > m.log_density(&[-3.0, 0.0]) + 20.0);
    }

    /// Few points cap the components; the floor bounds every variance.
    #[test]
    fn few_points_and_floors() {
        let points = vec![vec![0.0], vec![0.0], vec![0.0], vec![1.0], vec![1.0]];
        let m = fit_diagonal_mixture(&points, &[1.0; 5], 8, 10, &[0.01], 3).unwrap();
        assert!(
            m.weights.len() == 1,
            "{} components from 5 points",
            m.weights.len()
        );
        let m = fit_diagonal_mixture(&points[..3], &[1.0; 3], 1, 10, &[0.01], 3).unwrap();
        assert_eq!(m.variances[0][0], 0.01);
        assert!((m.weights.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        // No weight, or one point's worth: nothing to fit.
        assert!(fit_diagonal_mixture(&points, &[0.0; 5], 2, 10, &[0.01], 3).is_none());
        let one = [f64::NAN, 0.0, 0.0, 1.0, 0.0];
        assert!(fit_diagonal_mixture(&points, &one, 2, 10, &[0.01], 3).is_none());
    }
}
