//! A 2-D problem whose answer is known, for tests and `mace demo toy`.
//!
//! - Prior: a 3-component Gaussian mixture with diagonal covariances ([`GaussianMixture2d`]),
//!   every parameter learnable, exact log-likelihood.
//! - Simulator: the identity (the observation of a sample is the sample).
//! - Score: 1 inside an axis-aligned box, exp(−d / τ) at distance d outside it.
//!
//! The prior mass of the box is known in closed form ([`ToyProblem::region_prior_mass`]), about
//! 2.7%: a rare event. The exact posterior p(x | o) ∝ p(x) S(x) is sampled by rejection
//! ([`ToyProblem::reference_posterior`]: prior samples accepted with probability S), so a tuned
//! model can be compared with it by MMD.

use candle_core::{DType, Device, Tensor, Var, D};
use rand::{rngs::StdRng, Rng, SeedableRng};
use rand_distr::StandardNormal;

use crate::metrics::mmd_rbf;
use crate::{
    Error, Evidence, GenerativeModel, Objective, Result, Score, SimulatedEvidence, Simulator,
    TuneConfig, TuneObserver, TuneReport, Tuner,
};

/// A mixture of K axis-aligned Gaussians in 2-D with learnable logits, means and log-stds.
#[derive(Debug)]
pub struct GaussianMixture2d {
    /// Mixture logits, shape `(K,)`.
    logits: Var,
    /// Component means, shape `(K, 2)`.
    means: Var,
    /// Component log standard deviations, shape `(K, 2)`.
    log_stds: Var,
}

/// One component of a [`GaussianMixture2d`]: weight, mean and standard deviation per axis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Component {
    /// Mixture weight (normalised over components on construction).
    pub weight: f32,
    /// Mean (x, y).
    pub mean: [f32; 2],
    /// Standard deviation (x, y), > 0.
    pub std: [f32; 2],
}

impl GaussianMixture2d {
    /// A mixture with the given components.
    ///
    /// # Errors
    /// [`Error::Model`] if there are no components, a weight is not positive or a std is not
    /// positive.
    pub fn new(components: &[Component]) -> Result<Self> {
        let invalid = components.is_empty()
            || components
                .iter()
                .any(|c| !(c.weight > 0.0 && c.std.iter().all(|s| *s > 0.0 && s.is_finite())));
        if invalid {
            return Err(Error::Model(
                "mixture needs ≥ 1 component, positive weights and stds".into(),
            ));
        }
        let k = components.len();
        let dev = Device::Cpu;
        let logits: Vec<f32> = components.iter().map(|c| c.weight.ln()).collect();
        let means: Vec<f32> = components.iter().flat_map(|c| c.mean).collect();
        let log_stds: Vec<f32> = components.iter().flat_map(|c| c.std.map(f32::ln)).collect();
        Ok(Self {
            logits: Var::from_vec(logits, k, &dev)?,
            means: Var::from_vec(means, (k, 2), &dev)?,
            log_stds: Var::from_vec(log_stds, (k, 2), &dev)?,
        })
    }

    /// The current components (weights normalised).
    ///
    /// # Errors
    /// Tensor read-back errors.
    pub fn components(&self) -> Result<Vec<Component>> {
        let logits = self.logits.to_vec1::<f32>()?;
        let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let total: f32 = logits.iter().map(|l| (l - max).exp()).sum();
        let means = self.means.to_vec2::<f32>()?;
        let log_stds = self.log_stds.to_vec2::<f32>()?;
        Ok((0..logits.len())
            .map(|k| Component {
                weight: (logits[k] - max).exp() / total,
                mean: [means[k][0], means[k][1]],
                std: [log_stds[k][0].exp(), log_stds[k][1].exp()],
            })
            .collect())
    }
}

impl GenerativeModel for GaussianMixture2d {
    fn sample(&self, n: usize, rng: &mut StdRng) -> Result<Tensor> {
        let comps = self.components()?;
        let mut out = Vec::with_capacity(2 * n);
        for _ in 0..n {
            let mut u: f32 = rng.random();
            let mut chosen = comps.len() - 1;
            for (k, c) in comps.iter().enumerate() {
                if u < c.weight {
                    chosen = k;
                    break;
                }
                u -= c.weight;
            }
            let c = comps[chosen];
            for d in 0..2 {
                let e: f32 = rng.sample(StandardNormal);
                out.push(c.mean[d] + c.std[d] * e);
            }
        }
        Ok(Tensor::from_vec(out, (n, 2), &Device::Cpu)?)
    }

    fn log_prob(&self, samples: &Tensor) -> Result<Tensor> {
        let (n, d) = samples.dims2()?;
        if d != 2 {
            return Err(Error::ShapeMismatch {
                op: "GaussianMixture2d::log_prob",
                expected: "(n, 2)".into(),
                got: format!("({n}, {d})"),
            });
        }
        let x = samples.to_dtype(DType::F32)?.unsqueeze(1)?; // (n, 1, 2)
        let mu = self.means.as_tensor().unsqueeze(0)?; // (1, K, 2)
        let log_std = self.log_stds.as_tensor().unsqueeze(0)?; // (1, K, 2)
        let z = x.broadcast_sub(&mu)?.broadcast_div(&log_std.exp()?)?; // (n, K, 2)
        let log_norm = (2.0 * std::f64::consts::PI).ln() * 0.5;
        let per_dim = ((z.sqr()? * -0.5)?.broadcast_sub(&log_std)? - log_norm)?;
        let log_comp = per_dim.sum(D::Minus1)?; // (n, K)
        let log_w = candle_nn::ops::log_softmax(self.logits.as_tensor(), 0)?.unsqueeze(0)?;
        Ok(log_sum_exp(&log_comp.broadcast_add(&log_w)?)?)
    }

    fn trainable_vars(&self) -> Vec<Var> {
        vec![
            self.logits.clone(),
            self.means.clone(),
            self.log_stds.clone(),
        ]
    }

    fn frozen_copy(&self) -> Result<Self> {
        let copy = |v: &Var| -> Result<Var> { Ok(Var::from_tensor(&v.as_tensor().copy()?)?) };
        Ok(Self {
            logits: copy(&self.logits)?,
            means: copy(&self.means)?,
            log_stds: copy(&self.log_stds)?,
        })
    }
}

/// log Σ_k exp(x[:, k]) over the last dimension, numerically stable and differentiable.
///
/// `x`: `(n, K)` → `(n,)`.
pub fn log_sum_exp(x: &Tensor) -> candle_core::Result<Tensor> {
    let max = x.max_keepdim(D::Minus1)?.detach();
    let shifted = x
        .broadcast_sub(&max)?
        .exp()?
        .sum_keepdim(D::Minus1)?
        .log()?;
    (shifted + max)?.squeeze(D::Minus1)
}

/// The identity simulator: the observation of a 2-D sample is the sample, as `[x, y]` rows.
#[derive(Debug, Clone, Copy, Default)]
pub struct IdentitySimulator;

impl Simulator for IdentitySimulator {
    type Observation = Vec<[f32; 2]>;

    fn simulate(&self, samples: &Tensor) -> Result<Self::Observation> {
        let rows = samples.to_dtype(DType::F32)?.to_vec2::<f32>()?;
        Ok(rows.into_iter().map(|r| [r[0], r[1]]).collect())
    }
}

/// Score 1 inside the box `[lo, hi]`, exp(−d / τ) at Euclidean distance d outside it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoxScore {
    /// Lower corner (x, y).
    pub lo: [f32; 2],
    /// Upper corner (x, y).
    pub hi: [f32; 2],
    /// Length scale τ of the decay outside the box.
    pub tau: f32,
}

impl BoxScore {
    /// Whether `p` lies inside the box.
    pub fn contains(&self, p: [f32; 2]) -> bool {
        (0..2).all(|d| p[d] >= self.lo[d] && p[d] <= self.hi[d])
    }

    /// The score of one point.
    pub fn of(&self, p: [f32; 2]) -> f32 {
        let dist2: f32 = (0..2)
            .map(|d| (self.lo[d] - p[d]).max(0.0).max(p[d] - self.hi[d]).powi(2))
            .sum();
        (-dist2.sqrt() / self.tau).exp()
    }
}

impl Score<Vec<[f32; 2]>> for BoxScore {
    fn score(&self, simulated: &Vec<[f32; 2]>) -> Result<Vec<f32>> {
        Ok(simulated.iter().map(|&p| self.of(p)).collect())
    }
}

/// The toy problem: a prior, a box-shaped evidence, and the exact answer to compare with.
#[derive(Debug, Clone, PartialEq)]
pub struct ToyProblem {
    /// The prior's components.
    pub prior: Vec<Component>,
    /// The score (its box is the region of interest).
    pub score: BoxScore,
}

impl ToyProblem {
    /// The standard instance: three components; a box holding ≈ 2.7% of the prior's mass.
    pub fn standard() -> Self {
        Self {
            prior: vec![
                Component {
                    weight: 0.45,
                    mean: [-1.5, 0.0],
                    std: [0.6, 0.6],
                },
                Component {
                    weight: 0.45,
                    mean: [1.5, 0.0],
                    std: [0.6, 0.6],
                },
                Component {
                    weight: 0.10,
                    mean: [0.0, 2.0],
                    std: [0.4, 0.4],
                },
            ],
            score: BoxScore {
                lo: [1.6, 0.6],
                hi: [2.6, 1.4],
                tau: 0.01,
            },
        }
    }

    /// A fresh prior model at θ0.
    ///
    /// # Errors
    /// If the components are invalid.
    pub fn prior(&self) -> Result<GaussianMixture2d> {
        GaussianMixture2d::new(&self.prior)
    }

    /// The evidence: identity simulator composed with the box score.
    pub fn evidence(&self) -> impl Evidence {
        SimulatedEvidence::new(IdentitySimulator, self.score)
    }

    /// Exact prior mass of the box: Σ_k π_k Π_d [Φ((hi−μ)/σ) − Φ((lo−μ)/σ)].
    pub fn region_prior_mass(&self) -> f64 {
        let total: f64 = self.prior.iter().map(|c| c.weight as f64).sum();
        self.prior
            .iter()
            .map(|c| {
                let axis = |d: usize| {
                    let (m, s) = (c.mean[d] as f64, c.std[d] as f64);
                    normal_cdf((self.score.hi[d] as f64 - m) / s)
                        - normal_cdf((self.score.lo[d] as f64 - m) / s)
                };
                c.weight as f64 / total * axis(0) * axis(1)
            })
            .sum()
    }

    /// Fraction of the rows of `samples` (`(n, 2)`, row-major) inside the box.
    pub fn fraction_in_region(&self, samples: &[f32]) -> f64 {
        let n = samples.len() / 2;
        let inside = samples
            .chunks_exact(2)
            .filter(|p| self.score.contains([p[0], p[1]]))
            .count();
        inside as f64 / n.max(1) as f64
    }

    /// `n` exact posterior samples, row-major `(n, 2)`, by rejection: prior samples accepted with
    /// probability S(x).
    ///
    /// # Errors
    /// Tensor errors from sampling the prior.
    pub fn reference_posterior(&self, n: usize, rng: &mut StdRng) -> Result<Vec<f32>> {
        let prior = self.prior()?;
        let mut out = Vec::with_capacity(2 * n);
        while out.len() < 2 * n {
            let batch = prior.sample(8192, rng)?.to_vec2::<f32>()?;
            for p in batch {
                if out.len() < 2 * n && rng.random::<f32>() < self.score.of([p[0], p[1]]) {
                    out.extend_from_slice(&p);
                }
            }
        }
        Ok(out)
    }
}

/// The outcome of tuning the toy prior with one objective, compared with the exact answer.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ToyRun {
    /// The objective that was used.
    pub objective: Objective,
    /// Fraction of posterior samples inside the box.
    pub fraction_in_region: f64,
    /// MMD² (Gaussian kernel, median bandwidth) between posterior and reference samples.
    pub mmd_to_reference: f64,
    /// The tuner's report.
    pub report: TuneReport,
}

/// The prior's and the reference posterior's figures, for scale beside [`ToyRun`]s.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ToyBaseline {
    /// Exact prior mass of the box.
    pub region_prior_mass: f64,
    /// Fraction of reference posterior samples inside the box.
    pub reference_fraction_in_region: f64,
    /// MMD² between prior samples and the reference posterior.
    pub prior_mmd_to_reference: f64,
}

impl ToyProblem {
    /// Figures of the untuned prior against `reference` (row-major `(n, 2)`), with
    /// `n_eval` prior samples drawn with `seed`.
    ///
    /// # Errors
    /// Tensor errors.
    pub fn baseline(&self, reference: &[f32], n_eval: usize, seed: u64) -> Result<ToyBaseline> {
        let mut rng = StdRng::seed_from_u64(seed);
        let prior = self
            .prior()?
            .sample(n_eval, &mut rng)?
            .flatten_all()?
            .to_vec1::<f32>()?;
        Ok(ToyBaseline {
            region_prior_mass: self.region_prior_mass(),
            reference_fraction_in_region: self.fraction_in_region(reference),
            prior_mmd_to_reference: mmd_rbf(&prior, reference, 2),
        })
    }

    /// Tunes a fresh prior with `objective` and `config`, then draws `n_eval` posterior samples
    /// (seeded by `config.seed + 1`) and compares them with `reference`.
    ///
    /// # Errors
    /// Tuner errors.
    pub fn run(
        &self,
        objective: Objective,
        config: &TuneConfig,
        reference: &[f32],
        n_eval: usize,
        observer: &mut dyn TuneObserver,
    ) -> Result<ToyRun> {
        let model = self.prior()?;
        let report =
            Tuner::new(config.clone(), objective)?.run(&model, &self.evidence(), observer)?;
        let mut rng = StdRng::seed_from_u64(config.seed.wrapping_add(1));
        let samples = model
            .sample(n_eval, &mut rng)?
            .flatten_all()?
            .to_vec1::<f32>()?;
        Ok(ToyRun {
            objective,
            fraction_in_region: self.fraction_in_region(&samples),
            mmd_to_reference: mmd_rbf(&samples, reference, 2),
            report,
        })
    }
}

/// Standard normal CDF Φ(x).
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * libm::erfc(-x / std::f64::consts::SQRT_2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_prob_matches_closed_form() {
        let c = Component {
            weight: 1.0,
            mean: [1.0, -2.0],
            std: [0.5, 2.0],
        };
        let m = GaussianMixture2d::new(&[c]).unwrap();
        let x = Tensor::new(&[[1.0f32, -2.0], [2.0, 0.0]], &Device::Cpu).unwrap();
        let lp = m.log_prob(&x).unwrap().to_vec1::<f32>().unwrap();
        let norm = -(2.0 * std::f64::consts::PI).ln() - (0.5f64).ln() - 2f64.ln();
        assert!((lp[0] as f64 - norm).abs() < 1e-5);
        let expected = norm - 0.5 * (4.0 + 1.0);
        assert!((lp[1] as f64 - expected).abs() < 1e-5);
    }

    #[test]
    fn region_mass_matches_monte_carlo() {
        let p = ToyProblem::standard();
        let exact = p.region_prior_mass();
        let mut rng = StdRng::seed_from_u64(7);
        let s = p.prior().unwrap().sample(200_000, &mut rng).unwrap();
        let mc = p.fraction_in_region(&s.flatten_all().unwrap().to_vec1::<f32>().unwrap());
        assert!((0.02..0.035).contains(&exact), "exact {exact}");
        assert!((mc - exact).abs() < 0.002, "mc {mc} exact {exact}");
    }

    #[test]
    fn frozen_copy_is_independent() {
        let m = ToyProblem::standard().prior().unwrap();
        let f = m.frozen_copy().unwrap();
        m.means
            .set(&m.means.as_tensor().affine(1.0, 1.0).unwrap())
            .unwrap();
        assert_ne!(m.components().unwrap(), f.components().unwrap());
    }

    #[test]
    fn score_is_one_inside_and_decays_outside() {
        let s = ToyProblem::standard().score;
        assert_eq!(s.of([2.0, 1.0]), 1.0);
        assert!((s.of([2.7, 1.0]) - (-0.1f32 / s.tau).exp()).abs() < 1e-6);
    }
}
