//! Training a shape prior (the point-cloud VAE) or the CVAE baseline with our recipe, saving
//! each improvement, then fitting the latent prior it samples from.

use mace_core::fs::OutputDir;
use mace_models::vae::checkpoint::{save_cvae, save_point_vae, WeightsDtype};
use mace_models::vae::{
    train_cvae, train_point_vae, Cvae, PointVae, PointVaeConfig, VaeEpochStats, VaeTrainConfig,
    VaeTrainingRecord,
};
use mace_shapes::{GraspSimulator, PointCloud};

use super::grasp::{contacts_of, CvaeCondition};
use super::prior::{fit_cvae_latent, fit_latent_prior, flatten, LATENT_PRIOR_FILE};
use crate::error::Result;
use crate::progress::Progress;

/// The CVAE's default KL weight: large enough that z cannot carry the shape alone, so the decoder
/// uses the contacts (at the prior's 1e-7 the CVAE's samples ignore them: score 0.959 vs 0.978).
pub const CVAE_BETA: f64 = 1e-5;

/// What to train.
#[derive(Debug, Clone)]
pub struct ShapeTrainConfig {
    /// Train the CVAE baseline (conditioned on the in-distribution grasp contacts) instead of
    /// the prior.
    pub cvae: bool,
    /// What the CVAE is conditioned on (ignored for the prior).
    pub condition: CvaeCondition,
    /// Network sizes.
    pub sizes: PointVaeConfig,
    /// Training settings.
    pub train: VaeTrainConfig,
    /// How the weights are stored.
    pub dtype: WeightsDtype,
    /// Describes the data, for the record.
    pub data: String,
}

/// Trains on `train_set` (held out: `val_set`) and publishes the checkpoint, with its fitted
/// `latent_prior.json`, into `out` whole at the end. Each improvement is saved into the run's
/// staging folder beside `out` (`.NAME.partial-…`), so an interrupted run leaves `out` as it
/// was and its best weights in a folder whose name says it is incomplete. `on_epoch` sees each
/// epoch.
///
/// # Errors
/// For settings that mean nothing ([`VaeTrainConfig::validate`]), or from training and saving.
pub fn train_shape_model(
    config: &ShapeTrainConfig,
    train_set: &[PointCloud],
    val_set: &[PointCloud],
    out: &OutputDir,
    on_epoch: &mut dyn FnMut(&VaeEpochStats, bool),
    progress: &mut dyn Progress,
) -> Result<VaeTrainingRecord> {
    config.train.validate()?;
    let stage = out.stage()?;
    let dir = stage.path().to_path_buf();
    let out_dir = dir.as_path();
    let dtype = config.dtype;
    if config.cvae {
        let sim = GraspSimulator::in_distribution();
        let (train_cond, kept, dropped) = contacts_of(&sim, train_set);
        let (val_cond, val_kept, _) = contacts_of(&sim, val_set);
        let train_cond = config.condition.encode(sim.directions(), &train_cond);
        let val_cond = config.condition.encode(sim.directions(), &val_cond);
        if !dropped.is_empty() {
            progress.log(&format!(
                "{} training shapes left out: a finger touches nothing",
                dropped.len()
            ));
        }
        let pick = |set: &[PointCloud], idx: &[usize]| -> Vec<PointCloud> {
            idx.iter().map(|&i| set[i].clone()).collect()
        };
        let (tr, va) = (pick(train_set, &kept), pick(val_set, &val_kept));
        let model = Cvae::new(
            config
                .sizes
                .clone()
                .with_cond_dim(config.condition.dim(sim.fingers())),
            config.train.seed,
        )?;
        let mut epoch = |s: &VaeEpochStats, improved: bool| {
            on_epoch(s, improved);
            if improved {
                save_cvae(&model, None, dtype, out_dir)?;
            }
            Ok(())
        };
        let record = train_cvae(
            &model,
            &flatten(&tr),
            &train_cond,
            &flatten(&va),
            &val_cond,
            &config.train,
            &mut epoch,
        )?;
        let record = VaeTrainingRecord {
            data: config.data.clone(),
            ..record
        };
        save_cvae(&model, Some(&record), dtype, out_dir)?;
        let latent = fit_cvae_latent(&model, &tr, &train_cond)?;
        mace_core::fs::write_json(&out_dir.join(LATENT_PRIOR_FILE), &latent, true)?;
        out.publish(stage)?;
        Ok(record)
    } else {
        let model = PointVae::new(config.sizes.clone(), config.train.seed)?;
        let mut epoch = |s: &VaeEpochStats, improved: bool| {
            on_epoch(s, improved);
            if improved {
                save_point_vae(&model, None, dtype, out_dir)?;
            }
            Ok(())
        };
        let record = train_point_vae(
            &model,
            &flatten(train_set),
            &flatten(val_set),
            &config.train,
            &mut epoch,
        )?;
        let record = VaeTrainingRecord {
            data: config.data.clone(),
            ..record
        };
        save_point_vae(&model, Some(&record), dtype, out_dir)?;
        let latent = fit_latent_prior(&model, train_set)?;
        mace_core::fs::write_json(&out_dir.join(LATENT_PRIOR_FILE), &latent, true)?;
        out.publish(stage)?;
        Ok(record)
    }
}
