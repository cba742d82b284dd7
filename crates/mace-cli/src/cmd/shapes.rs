//! Shape data and shape priors shared by `mace grasp …`, `mace complete …` and their benches:
//! where the clouds come from (the procedural airplane family or a ShapeNet folder), the
//! train/validation/test split, and loading the shipped VAE prior.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::Args;
use mace_models::vae::checkpoint::{load_cvae, load_point_vae};
use mace_models::vae::{Cvae, Encodings, LatentBasis, PointVae, TunableLatentPrior};
use mace_shapes::{
    read_point_cloud, split_sizes, AirplaneFamily, LoadOptions, PointCloud, ShapeNetDataset, Split,
};
use serde::{Deserialize, Serialize};

/// The shipped shape prior (procedural airplanes), relative to the repository root.
pub(crate) const SHIPPED_SHAPE_PRIOR: &str = "assets/priors/airplanes";
/// The shipped CVAE baseline, relative to the repository root.
pub(crate) const SHIPPED_CVAE: &str = "assets/priors/airplanes-cvae";
/// Objects in ShapeNet's airplane synset: the default size of the procedural set.
pub(crate) const SHAPENET_AIRPLANES: usize = 4045;

/// Where shapes come from.
#[derive(Debug, Clone, Args)]
pub(crate) struct ShapeSource {
    /// A ShapeNet point-cloud folder (one sub-folder per synset, airplane = 02691156, one
    /// 2048-point PLY per object, split 85/5/10 in listing order). Default: the procedural
    /// airplane family.
    #[arg(long, value_name = "ROOT")]
    pub(crate) shapenet: Option<PathBuf>,
    /// Size of the procedural set (split 85/5/10 in index order like ShapeNet's listing).
    #[arg(long, default_value_t = SHAPENET_AIRPLANES)]
    pub(crate) shapes: usize,
    /// Seed of the procedural set (shape i depends only on this seed and i).
    #[arg(long, default_value_t = 0)]
    pub(crate) data_seed: u64,
}

impl ShapeSource {
    /// One line naming the source, for records.
    pub(crate) fn describe(&self) -> String {
        match &self.shapenet {
            Some(root) => format!("ShapeNet airplanes under {}", root.display()),
            None => format!(
                "procedural airplanes: {} shapes, seed {}",
                self.shapes, self.data_seed
            ),
        }
    }

    /// The clouds of `split`, in listing order.
    pub(crate) fn load(&self, split: Split) -> anyhow::Result<Vec<PointCloud>> {
        match &self.shapenet {
            Some(root) => {
                let data = ShapeNetDataset::airplanes(root)?;
                Ok(data.load(split, &LoadOptions::default())?)
            }
            None => {
                use rayon::prelude::*;
                let family = AirplaneFamily::default();
                Ok(self
                    .range(split)?
                    .into_par_iter()
                    .map(|i| family.shape(self.data_seed, i as u64))
                    .collect::<Result<Vec<_>, _>>()?)
            }
        }
    }

    /// Indices of `split` in the procedural set.
    fn range(&self, split: Split) -> anyhow::Result<std::ops::Range<usize>> {
        if self.shapes < 20 {
            bail!(
                "--shapes must be at least 20 (for a 85/5/10 split), got {}",
                self.shapes
            );
        }
        let [train, val, _test] = split_sizes(self.shapes);
        Ok(match split {
            Split::Train => 0..train,
            Split::Val => train..train + val,
            Split::Test => train + val..self.shapes,
        })
    }

    /// Test shape `index` (0-based within the test split), or the cloud in `file`.
    pub(crate) fn test_shape(&self, spec: &str) -> anyhow::Result<(PointCloud, String)> {
        if let Ok(index) = spec.parse::<usize>() {
            let cloud = match &self.shapenet {
                Some(root) => {
                    let data = ShapeNetDataset::airplanes(root)?;
                    let files = data.split_files(Split::Test);
                    let Some(file) = files.get(index) else {
                        bail!("--shape {index}: the test split has {} shapes", files.len());
                    };
                    read_point_cloud(file)?
                }
                None => {
                    let range = self.range(Split::Test)?;
                    if index >= range.len() {
                        bail!("--shape {index}: the test split has {} shapes", range.len());
                    }
                    AirplaneFamily::default().shape(self.data_seed, (range.start + index) as u64)?
                }
            };
            return Ok((cloud, format!("test shape {index} of {}", self.describe())));
        }
        let cloud = read_point_cloud(spec).with_context(|| format!("reading --shape {spec}"))?;
        Ok((cloud, spec.to_string()))
    }
}

/// `dir`, or the shipped folder `shipped` (found from the working directory or the build's
/// source tree).
pub(crate) fn resolve_asset(dir: Option<&Path>, shipped: &str) -> PathBuf {
    match dir {
        Some(d) => d.to_path_buf(),
        None => {
            let here = PathBuf::from(shipped);
            if here.is_dir() {
                here
            } else {
                Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("../..")
                    .join(shipped)
            }
        }
    }
}

/// File beside a shape prior's weights holding its fitted latent prior.
pub(crate) const LATENT_PRIOR_FILE: &str = "latent_prior.json";

/// The latent prior N(μ, diag σ²) a shape prior samples from: fitted to the aggregate
/// posterior of the training shapes (see [`fit_latent_prior`]), in the coordinates of `basis`
/// (its principal axes) when present, else in z.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct LatentPrior {
    /// μ, one per latent dimension.
    pub(crate) mean: Vec<f32>,
    /// σ, one per latent dimension.
    pub(crate) std: Vec<f32>,
    /// The coordinates μ and σ are given in (`None`: z).
    #[serde(default)]
    pub(crate) basis: Option<LatentBasis>,
    /// Shapes the moments were taken over.
    pub(crate) shapes: usize,
}

/// A loaded shape prior: the VAE and the latent prior it samples from.
#[derive(Debug)]
pub(crate) struct ShapePrior {
    pub(crate) vae: PointVae,
    pub(crate) dir: PathBuf,
    /// `None`: the VAE's training prior N(0, prior_std² I).
    pub(crate) latent: Option<LatentPrior>,
}

impl ShapePrior {
    /// A fresh tunable model at the prior (θ = the fitted latent prior, if any).
    pub(crate) fn model(&self) -> anyhow::Result<TunableLatentPrior> {
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
pub(crate) fn load_shape_prior(dir: Option<&Path>) -> anyhow::Result<ShapePrior> {
    let dir = resolve_asset(dir, SHIPPED_SHAPE_PRIOR);
    let (vae, _info) = load_point_vae(&dir).with_context(|| {
        format!(
            "loading the shape prior from {} (train one with `mace grasp train --out DIR`)",
            dir.display()
        )
    })?;
    let latent = read_latent_prior(&dir, vae.config().latent_dim)?;
    Ok(ShapePrior { vae, dir, latent })
}

/// The latent prior stored in `dir` (`None` if it has none), checked against `latent_dim`.
fn read_latent_prior(dir: &Path, latent_dim: usize) -> anyhow::Result<Option<LatentPrior>> {
    let file = dir.join(LATENT_PRIOR_FILE);
    if !file.is_file() {
        return Ok(None);
    }
    let text =
        std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
    let l: LatentPrior = serde_json::from_str(&text)
        .with_context(|| format!("{}: not a latent prior", file.display()))?;
    let d = latent_dim;
    if l.mean.len() != d || l.std.len() != d {
        bail!(
            "{}: {} means and {} stds for a latent of size {d}",
            file.display(),
            l.mean.len(),
            l.std.len()
        );
    }
    if let Some(basis) = &l.basis {
        basis
            .validate(d)
            .with_context(|| format!("{}: bad latent basis", file.display()))?;
    }
    Ok(Some(l))
}

/// Fits the latent prior to the aggregate posterior of `clouds` under `vae`'s encoder: its
/// principal axes ([`LatentBasis`]), and in them the closed-form maximiser of
/// Σ_i −KL(q(u | x_i) ‖ N(μ, σ²)) — the exact MACE-VAE update with every training shape an elite
/// (μ ≈ 0, σ ≈ the training prior's 0.2 by construction of the axes).
///
/// Sampling from it instead of the training prior N(0, 0.2² I) puts the samples where the
/// decoder learned shapes: with a small KL weight the encoder neither fills the training prior
/// nor spreads its codes over independent dimensions (see [`LatentBasis`]).
pub(crate) fn fit_latent_prior(
    vae: &PointVae,
    clouds: &[PointCloud],
) -> anyhow::Result<LatentPrior> {
    let plain = TunableLatentPrior::new(vae)?.with_encoder_cache(0);
    let mut enc = encode_chunks(clouds, vae.config().cloud_len(), |x, _| {
        let e = plain.encode(&x)?;
        Ok((e.mean, e.logvar))
    })?;
    let basis = LatentBasis::principal_axes(&enc, vae.config().prior_std)?;
    basis.encodings_to_axes(&mut enc);
    let (mean, std) = plain
        .maximiser_of(&enc, &vec![1.0; clouds.len()])?
        .context("no training shapes to fit the latent prior to")?;
    Ok(LatentPrior {
        mean,
        std,
        basis: Some(basis),
        shapes: clouds.len(),
    })
}

/// Encodings of `clouds` in chunks of 128 rows: `encode(clouds (B, width), rows)` gives the
/// chunk's μ and log σ², each `(B, latent)` row-major.
fn encode_chunks(
    clouds: &[PointCloud],
    width: usize,
    mut encode: impl FnMut(
        candle_core::Tensor,
        std::ops::Range<usize>,
    ) -> anyhow::Result<(Vec<f32>, Vec<f32>)>,
) -> anyhow::Result<Encodings> {
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
pub(crate) fn load_shape_cvae(dir: Option<&Path>) -> anyhow::Result<(Cvae, PathBuf)> {
    let dir = resolve_asset(dir, SHIPPED_CVAE);
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
pub(crate) fn fit_cvae_latent(
    cvae: &Cvae,
    clouds: &[PointCloud],
    cond: &[f32],
) -> anyhow::Result<LatentPrior> {
    let (c, d, std) = (
        cvae.config().cond_dim,
        cvae.config().latent_dim,
        cvae.config().prior_std,
    );
    if cond.len() != clouds.len() * c {
        bail!(
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
    })
}

/// Flattens clouds into rows `(n, 3·points)`.
pub(crate) fn flatten(clouds: &[PointCloud]) -> Vec<f32> {
    clouds
        .iter()
        .flat_map(|c| c.as_flat().iter().copied())
        .collect()
}
