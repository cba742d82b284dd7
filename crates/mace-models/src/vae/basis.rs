//! Principal axes of a VAE's latent codes: the coordinates the latent prior lives in.
//!
//! A VAE trained with a small KL weight does not fill its training prior N(0, σ²I): its codes
//! sit on a few strongly correlated directions (measured on our airplane prior: one principal
//! axis held 99.9% of the variance of the encoder means). A diagonal Gaussian in those
//! coordinates — even one moment-matched per dimension — then draws codes off the data and the
//! decoder returns near-identical shapes (2% of the data's diversity).
//!
//! [`LatentBasis`] fixes this with a change of coordinates z = offset + B u, with
//! B = V Λ^½ / s from the eigen-decomposition V Λ Vᵀ of the aggregate posterior's covariance. In
//! u the aggregate posterior has mean 0 and covariance s² I, so N(0, s² I) in u is its
//! moment-matched full-covariance Gaussian, and MACE-VAE's diagonal θ = (μ_u, log σ_u) tunes the
//! spread along each principal axis. We take s = the VAE's training prior std (0.2, the paper's):
//! tuning then starts where the paper's does, N(0, 0.2² I), and the reference learning rate
//! (2e-3, for μ and log σ alike) moves θ by the same fraction of σ per step.
//!
//! An encoding q(z | x) = N(m, diag s²) becomes N(B⁻¹(m − offset), B⁻¹ diag s² B⁻ᵀ) in u; we
//! keep its diagonal. That is exact for everything MACE-VAE needs: KL(q ‖ N(μ, diag σ²)) depends
//! on q's covariance only through its diagonal and log-determinant, the latter constant in θ.

use nalgebra::{DMatrix, SymmetricEigen};
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// An affine change of latent coordinates z = offset + B u (see the module docs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LatentBasis {
    /// Latent size d.
    pub dim: usize,
    /// The aggregate posterior's mean, `d` values.
    pub offset: Vec<f32>,
    /// B, `(d, d)` row-major: z_j = offset_j + Σ_k B_jk u_k. Columns are the principal axes
    /// scaled by their standard deviations, largest first.
    pub to_latent: Vec<f32>,
    /// B⁻¹, `(d, d)` row-major.
    pub from_latent: Vec<f32>,
    /// Variance along each principal axis (the eigenvalues Λ, largest first), `d` values.
    pub axis_variance: Vec<f32>,
    /// s: the aggregate posterior's standard deviation along every axis in u.
    #[serde(default = "unit")]
    pub axis_std: f32,
}

fn unit() -> f32 {
    1.0
}

impl LatentBasis {
    /// The principal axes of the aggregate posterior (1/n) Σ_i N(m_i, diag s_i²) of `enc`
    /// (covariance Cov(m) + mean(diag s²)), scaled so that it has standard deviation `axis_std`
    /// along each of them.
    ///
    /// # Errors
    /// [`Error::Config`] for fewer than 2 encodings or `axis_std` ≤ 0, [`Error::NonFinite`] for
    /// NaN/∞ in them.
    pub fn principal_axes(enc: &Encodings, axis_std: f32) -> Result<Self> {
        let (n, d) = (enc.n, enc.dim);
        if !(axis_std.is_finite() && axis_std > 0.0) {
            return Err(Error::Config {
                field: "axis_std",
                value: axis_std.to_string(),
                reason: "finite and positive",
            });
        }
        if n < 2 {
            return Err(Error::Config {
                field: "encodings",
                value: n.to_string(),
                reason: "at least 2 to fit principal axes",
            });
        }
        super::nets::check_finite(&enc.mean, "latent means")?;
        super::nets::check_finite(&enc.logvar, "latent log-variances")?;
        let mut offset = vec![0f64; d];
        for row in enc.mean.chunks_exact(d) {
            for (o, &m) in offset.iter_mut().zip(row) {
                *o += m as f64 / n as f64;
            }
        }
        let centred = DMatrix::from_fn(n, d, |i, j| enc.mean[i * d + j] as f64 - offset[j]);
        let mut cov = centred.transpose() * &centred / n as f64;
        for row in enc.logvar.chunks_exact(d) {
            for (j, &lv) in row.iter().enumerate() {
                cov[(j, j)] += (lv as f64).exp() / n as f64;
            }
        }
        let eig = SymmetricEigen::new(cov);
        let mut order: Vec<usize> = (0..d).collect();
        order.sort_by(|&a, &b| eig.eigenvalues[b].total_cmp(&eig.eigenvalues[a]));
        // The posterior variances keep Λ > 0; floor against round-off all the same.
        let floor = 1e-12 * eig.eigenvalues.max().max(1e-30);
        let lambda: Vec<f64> = order
            .iter()
            .map(|&k| eig.eigenvalues[k].max(floor))
            .collect();
        let mut to_latent = vec![0f32; d * d];
        let mut from_latent = vec![0f32; d * d];
        for (col, &k) in order.iter().enumerate() {
            let s = lambda[col].sqrt() / axis_std as f64;
            for j in 0..d {
                let v = eig.eigenvectors[(j, k)];
                to_latent[j * d + col] = (v * s) as f32;
                from_latent[col * d + j] = (v / s) as f32;
            }
        }
        Ok(Self {
            dim: d,
            offset: offset.iter().map(|&v| v as f32).collect(),
            to_latent,
            from_latent,
            axis_variance: lambda.iter().map(|&v| v as f32).collect(),
            axis_std,
        })
    }

    /// Checks sizes and values (for a basis read from a file).
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] for wrong lengths or another latent size than `latent_dim`,
    /// [`Error::NonFinite`] for NaN/∞.
    pub fn validate(&self, latent_dim: usize) -> Result<()> {
        let d = self.dim;
        let ok = d == latent_dim
            && self.offset.len() == d
            && self.to_latent.len() == d * d
            && self.from_latent.len() == d * d
            && self.axis_variance.len() == d;
        if !ok {
            return Err(Error::ShapeMismatch {
                op: "LatentBasis::validate",
                expected: format!("a basis of latent size {latent_dim} ({latent_dim}² matrices)"),
                got: format!(
                    "dim {d}, {} offsets, {} and {} matrix entries, {} variances",
                    self.offset.len(),
                    self.to_latent.len(),
                    self.from_latent.len(),
                    self.axis_variance.len()
                ),
            });
        }
        super::nets::check_finite(&self.offset, "basis offset")?;
        super::nets::check_finite(&self.to_latent, "basis matrix")?;
        super::nets::check_finite(&self.from_latent, "inverse basis matrix")?;
        if !(self.axis_std.is_finite() && self.axis_std > 0.0) {
            return Err(Error::Config {
                field: "axis_std",
                value: self.axis_std.to_string(),
                reason: "finite and positive",
            });
        }
        Ok(())
    }

    /// z = offset + B u for rows `u` `(n, d)` (row-major), in place.
    pub fn latents_from_axes(&self, u: &mut [f32]) {
        let d = self.dim;
        let mut z = vec![0f32; d];
        for row in u.chunks_exact_mut(d) {
            for (j, zj) in z.iter_mut().enumerate() {
                let b = &self.to_latent[j * d..(j + 1) * d];
                *zj = self.offset[j] + b.iter().zip(row.iter()).map(|(b, u)| b * u).sum::<f32>();
            }
            row.copy_from_slice(&z);
        }
    }

    /// Encodings in z → encodings in u: means B⁻¹(m − offset), log-variances of the diagonal of
    /// B⁻¹ diag(s²) B⁻ᵀ. In place.
    pub fn encodings_to_axes(&self, enc: &mut Encodings) {
        let d = self.dim;
        let (mut m, mut v) = (vec![0f32; d], vec![0f32; d]);
        for (mean, logvar) in enc
            .mean
            .chunks_exact_mut(d)
            .zip(enc.logvar.chunks_exact_mut(d))
        {
            let var: Vec<f32> = logvar.iter().map(|l| l.exp()).collect();
            for k in 0..d {
                let row = &self.from_latent[k * d..(k + 1) * d];
                let (mut acc_m, mut acc_v) = (0f32, 0f32);
                for j in 0..d {
                    acc_m += row[j] * (mean[j] - self.offset[j]);
                    acc_v += row[j] * row[j] * var[j];
                }
                m[k] = acc_m;
                v[k] = acc_v.max(f32::MIN_POSITIVE);
            }
            mean.copy_from_slice(&m);
            for (l, &vk) in logvar.iter_mut().zip(&v) {
                *l = vk.ln();
            }
        }
    }
}

/// (μ, log σ²) of q(z | x) for a batch, row-major `(n, latent)` each.
#[derive(Debug, Clone)]
pub struct Encodings {
    /// Rows.
    pub n: usize,
    /// Latent size.
    pub dim: usize,
    /// Means `(n, dim)`.
    pub mean: Vec<f32>,
    /// Log-variances `(n, dim)`.
    pub logvar: Vec<f32>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{rngs::StdRng, Rng, SeedableRng};
    use rand_distr::StandardNormal;

    /// Codes on one correlated direction plus small noise, with posterior variances.
    fn correlated(n: usize, d: usize, seed: u64) -> Encodings {
        let mut rng = StdRng::seed_from_u64(seed);
        let dir: Vec<f32> = (0..d).map(|j| 1.0 + j as f32 * 0.1).collect();
        let mut mean = Vec::new();
        let mut logvar = Vec::new();
        for _ in 0..n {
            let t: f32 = rng.sample(StandardNormal);
            for (j, &dj) in dir.iter().enumerate() {
                let e: f32 = rng.sample(StandardNormal);
                mean.push(0.3 + t * dj + 0.01 * e);
                logvar.push((1e-4f32 * (1 + j) as f32).ln());
            }
        }
        Encodings {
            n,
            dim: d,
            mean,
            logvar,
        }
    }

    #[test]
    fn aggregate_posterior_is_standard_in_axes() {
        let enc = correlated(4000, 6, 1);
        let basis = LatentBasis::principal_axes(&enc, 0.2).unwrap();
        assert!(basis.axis_variance[0] > 100.0 * basis.axis_variance[1]);
        let mut u = enc.clone();
        basis.encodings_to_axes(&mut u);
        let (n, d) = (u.n as f64, u.dim);
        for k in 0..d {
            let mean: f64 = (0..u.n).map(|i| u.mean[i * d + k] as f64).sum::<f64>() / n;
            let second: f64 = (0..u.n)
                .map(|i| {
                    let m = u.mean[i * d + k] as f64 - mean;
                    m * m + (u.logvar[i * d + k] as f64).exp()
                })
                .sum::<f64>()
                / n;
            assert!(mean.abs() < 1e-3, "axis {k}: mean {mean}");
            // Exact: the second moment only needs the diagonal of the posterior covariance.
            assert!(
                (second - 0.04).abs() < 4e-5,
                "axis {k}: second moment {second}"
            );
        }
    }

    #[test]
    fn axes_round_trip_to_latents() {
        let enc = correlated(500, 5, 2);
        let basis = LatentBasis::principal_axes(&enc, 0.2).unwrap();
        basis.validate(5).unwrap();
        let mut u = enc.clone();
        basis.encodings_to_axes(&mut u);
        let mut z = u.mean.clone();
        basis.latents_from_axes(&mut z);
        for (a, b) in z.iter().zip(&enc.mean) {
            assert!((a - b).abs() < 1e-3 * (1.0 + b.abs()), "{a} vs {b}");
        }
    }

    #[test]
    fn rejects_bad_input() {
        let mut enc = correlated(10, 3, 3);
        enc.mean[4] = f32::NAN;
        assert!(matches!(
            LatentBasis::principal_axes(&enc, 1.0),
            Err(Error::NonFinite { index: 4, .. })
        ));
        let one = correlated(1, 3, 3);
        assert!(matches!(
            LatentBasis::principal_axes(&one, 1.0),
            Err(Error::Config { .. })
        ));
        assert!(LatentBasis::principal_axes(&correlated(10, 3, 3), 0.0).is_err());
        let basis = LatentBasis::principal_axes(&correlated(10, 3, 3), 1.0).unwrap();
        assert!(basis.validate(4).is_err());
    }
}
