//! Shape priors: the point-cloud VAE with the latent prior it samples from
//! (`latent_prior.json` beside its weights, fitted to the training shapes in their principal
//! axes), the CVAE baseline, and loading the shipped ones.

use std::path::{Path, PathBuf};

use mace_models::vae::checkpoint::{load_cvae, load_point_vae};
use mace_models::vae::{
    Cvae, Encodings, LatentBasis, LatentMixture, PointVae, TunableLatentPrior, MAX_LATENT_MAGNITUDE,
};
use mace_shapes::PointCloud;
use serde::{Deserialize, Serialize};

use crate::error::{fail, Context, Error, Result};

/// File beside a shape prior's weights holding its fitted latent prior.
pub const LATENT_PRIOR_FILE: &str = "latent_prior.json";

/// The latent prior N(μ, diag σ²) a shape prior samples from: fitted to the aggregate
/// posterior of the training shapes (see [`fit_latent_prior`]), in the coordinates of `basis`
/// (its principal axes) when present, else in z. A tuned posterior of objective `mix` also
/// holds the mixture it samples from (`mixture`; `mean` and `std` are then its moments).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LatentPrior {
    /// μ, one per latent dimension.
    pub mean: Vec<f32>,
    /// σ, one per latent dimension.
    pub std: Vec<f32>,
    /// The coordinates μ and σ are given in (`None`: z).
    #[serde(default)]
    pub basis: Option<LatentBasis>,
    /// Shapes the moments were taken over.
    pub shapes: usize,
    /// A mixture of Gaussians in the same coordinates, sampled instead of N(μ, diag σ²).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mixture: Option<LatentMixture>,
}

/// A loaded shape prior: the VAE and the latent prior it samples from.
#[derive(Debug)]
pub struct ShapePrior {
    /// The VAE (frozen encoder and decoder).
    pub vae: PointVae,
    /// The folder it was loaded from.
    pub dir: PathBuf,
    /// `None`: the VAE's training prior N(0, prior_std² I).
    pub latent: Option<LatentPrior>,
}

impl ShapePrior {
    /// A fresh tunable model at the prior (θ = the fitted latent prior, if any).
    ///
    /// # Errors
    /// A latent prior holding a mixture (a posterior of objective `mix`), which one Gaussian
    /// cannot stand for: [`super::latent_at_prior`] gives the model for any latent prior.
    pub fn model(&self) -> Result<TunableLatentPrior> {
        if self.latent.as_ref().is_some_and(|l| l.mixture.is_some()) {
            fail!(
                "{}: `mixture`: this prior samples from a mixture latent prior (a posterior of \
                 objective mix), which one Gaussian cannot stand for: tune it with objective mix",
                self.dir.join(LATENT_PRIOR_FILE).display()
            );
        }
        self.gaussian()
    }

    /// The VAE with θ = N(μ, diag σ²) of the latent prior (its moments, for a mixture).
    pub(crate) fn gaussian(&self) -> Result<TunableLatentPrior> {
        let mut model = TunableLatentPrior::new(&self.vae)?;
        if let Some(l) = &self.latent {
            if let Some(basis) = &l.basis {
                model = model.with_basis(basis.clone()).with_context(|| {
                    format!(
                        "{}: bad latent basis",
                        self.dir.join(LATENT_PRIOR_FILE).display()
                    )
                })?;
            }
            model.set_latent(&l.mean, &l.std).with_context(|| {
                format!(
                    "{}: bad latent prior",
                    self.dir.join(LATENT_PRIOR_FILE).display()
                )
            })?;
        }
        Ok(model)
    }
}

/// Loads the shape prior (`None` = the shipped one) with its fitted latent prior, if present.
pub fn load_shape_prior(dir: Option<&Path>) -> Result<ShapePrior> {
    let dir = crate::assets::resolve(dir, crate::assets::SHAPE_PRIOR);
    let (vae, _info) = load_point_vae(&dir).with_context(|| {
        format!(
            "loading the shape prior from {} (train one with `mace grasp train --out DIR`)",
            dir.display()
        )
    })?;
    let latent = read_latent_prior(&dir, vae.config().latent_dim)?;
    Ok(ShapePrior { vae, dir, latent })
}

/// Points per cloud of the shape prior in `dir` (`None`: the shipped one), read from its
/// `config.json` without loading the weights (so that a bad input can be reported before the
/// weights load); 2048 (every prior `mace grasp train` makes) if it cannot be read, so that
/// loading the prior reports the problem.
pub fn prior_points(dir: Option<&Path>) -> usize {
    let dir = crate::assets::resolve(dir, crate::assets::SHAPE_PRIOR);
    mace_core::fs::read_file(&dir.join("config.json"), mace_core::fs::TEXT_LIMIT)
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .and_then(|v| v["model"]["n_points"].as_u64())
        .map_or(2048, |n| n as usize)
}

/// The latent prior stored in `dir` (`None` if it has none), checked against `latent_dim`.
fn read_latent_prior(dir: &Path, latent_dim: usize) -> Result<Option<LatentPrior>> {
    let file = dir.join(LATENT_PRIOR_FILE);
    if !file.is_file() {
        return Ok(None);
    }
    let text = mace_core::fs::read_text(&file, mace_core::fs::TEXT_LIMIT)?;
    LatentPrior::parse(&text, latent_dim)
        .map(Some)
        .map_err(|reason| Error::BadFile { path: file, reason })
}

impl LatentPrior {
    /// Parses and checks a `latent_prior.json` for a latent of size `latent_dim`: one μ and one
    /// σ per dimension (|μ| ≤ 1000, 0 < σ ≤ 1000), a valid basis if it has one, and a valid
    /// mixture if it has one (whose moments `mean` and `std` then are, for reading: the
    /// mixture is what is sampled).
    ///
    /// # Errors
    /// A one-line reason naming the field and value at fault.
    pub fn parse(text: &str, latent_dim: usize) -> std::result::Result<LatentPrior, String> {
        let l: LatentPrior =
            serde_json::from_str(text).map_err(|e| format!("not a latent prior: {e}"))?;
        let d = latent_dim;
        if l.mean.len() != d || l.std.len() != d {
            return Err(format!(
                "{} means and {} stds for a latent of size {d}",
                l.mean.len(),
                l.std.len()
            ));
        }
        let max = MAX_LATENT_MAGNITUDE;
        if let Some((i, m)) = l
            .mean
            .iter()
            .enumerate()
            .find(|(_, m)| m.is_nan() || m.abs() > max)
        {
            return Err(format!(
                "`mean[{i}]` = {m}: must be finite, of magnitude at most {max}"
            ));
        }
        if let Some((i, s)) = l
            .std
            .iter()
            .enumerate()
            .find(|(_, s)| s.is_nan() || **s <= 0.0 || **s > max)
        {
            return Err(format!(
                "`std[{i}]` = {s}: must be positive and at most {max}"
            ));
        }
        if let Some(basis) = &l.basis {
            basis
                .validate(d)
                .map_err(|e| format!("bad latent basis: {e}"))?;
        }
        if let Some(mixture) = &l.mixture {
            mixture
                .validate(d)
                .map_err(|e| format!("bad `mixture`: {e}"))?;
        }
        Ok(l)
    }
}

/// Fits the latent prior to the aggregate posterior of `clouds` under `vae`'s encoder: its
/// principal axes ([`LatentBasis`]), and in them the closed-form maximiser of
/// Σ_i −KL(q(u | x_i) ‖ N(μ, σ²)) — the exact MACE-VAE update with every training shape an elite
/// (μ ≈ 0, σ ≈ the training prior's 0.2 by construction of the axes).
///
/// Sampling from it instead of the training prior N(0, 0.2² I) puts the samples where the
/// decoder learned shapes: with a small KL weight the encoder neither fills the training prior
/// nor spreads its codes over independent dimensions (see [`LatentBasis`]).
pub fn fit_latent_prior(vae: &PointVae, clouds: &[PointCloud]) -> Result<LatentPrior> {
    let plain = TunableLatentPrior::new(vae)?.with_encoder_cache(0);
    let mut enc = encode_chunks(clouds, vae.config().cloud_len(), |x, _| {
        let e = plain.encode(&x)?;
        Ok((e.mean, e.logvar))
    })?;
    let basis = LatentBasis::principal_axes(&enc, vae.config().prior_std)?;
    basis.encodings_to_axes(&mut enc);
    let (mean, std) = plain
        .maximiser_of(&enc, &vec![1.0; clouds.len()])?
        .ok_or_else(|| Error::Failed("no training shapes to fit the latent prior to".into()))?;
    Ok(LatentPrior {
        mean,
        std,
        basis: Some(basis),
        shapes: clouds.len(),
        mixture: None,
    })
}

/// Encodings of `clouds` in chunks of 128 rows: `encode(clouds (B, width), rows)` gives the
/// chunk's μ and log σ², each `(B, latent)` row-major.
fn encode_chunks(
    clouds: &[PointCloud],
    width: usize,
    mut encode: impl FnMut(candle_core::Tensor, std::ops::Range<usize>) -> Result<(Vec<f32>, Vec<f32>)>,
) -> Result<Encodings> {
    let mut all = Encodings {
        n: 0,
        dim: 0,
        mean: Vec::new(),
        logvar: Vec::new(),
    };
    for chunk in clouds.chunks(128) {
        let x = candle_core::Tensor::from_vec(
            flatten(chunk),
            (chunk.len(), width),
            &candle_core::Device::Cpu,
        )?;
        let (mean, logvar) = encode(x, all.n..all.n + chunk.len())?;
        all.dim = mean.len() / chunk.len();
        all.n += chunk.len();
        all.mean.extend(mean);
        all.logvar.extend(logvar);
    }
    Ok(all)
}

/// Loads the CVAE baseline (`None` = the shipped one).
pub fn load_shape_cvae(dir: Option<&Path>) -> Result<(Cvae, PathBuf)> {
    let dir = crate::assets::resolve(dir, crate::assets::SHAPE_CVAE);
    let (cvae, _info) = load_cvae(&dir).with_context(|| {
        format!(
            "loading the CVAE from {} (train one with `mace grasp train --cvae --out DIR`)",
            dir.display()
        )
    })?;
    let cvae = match read_latent_prior(&dir, cvae.config().latent_dim)?.and_then(|l| l.basis) {
        Some(basis) => cvae.with_basis(basis)?,
        None => cvae,
    };
    Ok((cvae, dir))
}

/// Principal axes of the CVAE's aggregate posterior over training pairs (`clouds`, `cond`
/// rows of `cond_dim`): [`Cvae::sample`] then draws z from N(0, 0.2² I) in them.
pub fn fit_cvae_latent(cvae: &Cvae, clouds: &[PointCloud], cond: &[f32]) -> Result<LatentPrior> {
    let (c, d, std) = (
        cvae.config().cond_dim,
        cvae.config().latent_dim,
        cvae.config().prior_std,
    );
    if cond.len() != clouds.len() * c {
        fail!(
            "{} condition values for {} clouds of {c} contacts each",
            cond.len(),
            clouds.len()
        );
    }
    let all = encode_chunks(clouds, cvae.config().cloud_len(), |x, rows| {
        let cond = candle_core::Tensor::from_slice(
            &cond[rows.start * c..rows.end * c],
            (rows.len(), c),
            &candle_core::Device::Cpu,
        )?;
        let (m, lv) = cvae.encode(&x, &cond)?;
        Ok((m.flatten_all()?.to_vec1()?, lv.flatten_all()?.to_vec1()?))
    })?;
    Ok(LatentPrior {
        mean: vec![0.0; d],
        std: vec![std; d],
        basis: Some(LatentBasis::principal_axes(&all, std)?),
        shapes: clouds.len(),
        mixture: None,
    })
}

/// Flattens clouds into rows `(n, 3·points)`.
pub fn flatten(clouds: &[PointCloud]) -> Vec<f32> {
    clouds
        .iter()
        .flat_map(|c| c.as_flat().iter().copied())
        .collect()
}
