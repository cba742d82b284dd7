//! Sizes of the point-cloud VAE and CVAE: [`PointVaeConfig`], stored as JSON beside the weights.

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// Sizes of a [`super::PointVae`] (or, with `cond_dim > 0`, a [`super::Cvae`]).
///
/// Encoder (PointNet): every point read by the encoder goes through shared per-point layers
/// `3 → point_widths…` (ReLU after each), the features are max-pooled over the points, then
/// `global_widths…` (ReLU), then two linear heads give μ and log σ² of q(z | x), each
/// `latent_dim` wide. A CVAE concatenates its condition c to the pooled-and-projected features
/// before the heads.
///
/// Decoder: an MLP `latent_dim (+ cond_dim) → decoder_widths… → 3 · n_points` (ReLU between,
/// none after the last layer); output row `[x0, y0, z0, x1, …]`.
///
/// Coordinates are in the units of the data (the datasets normalise shapes to the unit sphere).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PointVaeConfig {
    /// Points per cloud, N (the decoder's output and the encoder's input).
    pub n_points: usize,
    /// Points the encoder reads (≤ N): during training a fresh random subset per shape, otherwise
    /// a fixed pseudo-random subset (the same for every call). `n_points` reads them all.
    pub encoder_points: usize,
    /// Widths of the shared per-point layers after the 3-D input (paper: 64, 128, 256, 256, 512).
    pub point_widths: Vec<usize>,
    /// Widths of the layers after max-pooling, before the heads (paper: 256).
    pub global_widths: Vec<usize>,
    /// Size of the latent z (paper: 128).
    pub latent_dim: usize,
    /// Hidden widths of the decoder MLP (paper: 64, 128, 512, 1024).
    pub decoder_widths: Vec<usize>,
    /// Standard deviation of the isotropic latent prior N(0, σ²I) used for training and as the
    /// starting point of tuning (paper: 0.2).
    pub prior_std: f32,
    /// Size of the condition of a CVAE (0 for an unconditional VAE).
    #[serde(default)]
    pub cond_dim: usize,
}

impl PointVaeConfig {
    /// The paper's sizes (2048 points, z = 128), the encoder reading every point.
    ///
    /// About 7.4 M parameters (29.5 MB as f32, 14.8 MB as f16); a training step at batch 64
    /// costs seconds on two CPU cores (see [`Self::cpu`]).
    pub fn paper() -> Self {
        Self {
            n_points: 2048,
            encoder_points: 2048,
            point_widths: vec![64, 128, 256, 256, 512],
            global_widths: vec![256],
            latent_dim: 128,
            decoder_widths: vec![64, 128, 512, 1024],
            prior_std: 0.2,
            cond_dim: 0,
        }
    }

    /// Our sizes for two CPU cores: the paper's decoder and latent, an encoder that reads a
    /// random 512 of the 2048 points through per-point layers 3 → 64 → 128 → 256, max-pool,
    /// 256 → 256. See the module docs of [`super`] for the measurements behind the choice.
    pub fn cpu() -> Self {
        Self {
            encoder_points: 512,
            point_widths: vec![64, 128, 256],
            ..Self::paper()
        }
    }

    /// A small network for tests and examples: `n_points` points, z = 8.
    pub fn tiny(n_points: usize) -> Self {
        Self {
            n_points,
            encoder_points: n_points,
            point_widths: vec![16, 32],
            global_widths: vec![32],
            latent_dim: 8,
            decoder_widths: vec![32, 64],
            prior_std: 0.2,
            cond_dim: 0,
        }
    }

    /// The same sizes with a condition of `cond_dim` values (for a [`super::Cvae`]).
    pub fn with_cond_dim(self, cond_dim: usize) -> Self {
        Self { cond_dim, ..self }
    }

    /// Values per cloud: `3 · n_points`.
    pub fn cloud_len(&self) -> usize {
        3 * self.n_points
    }

    /// Points the encoder reads, clamped to `n_points`.
    pub fn encoder_points(&self) -> usize {
        self.encoder_points.min(self.n_points)
    }

    /// Number of scalar parameters of the networks with these sizes.
    pub fn parameter_count(&self) -> usize {
        let dense =
            |sizes: &[usize]| -> usize { sizes.windows(2).map(|w| (w[0] + 1) * w[1]).sum() };
        let mut enc = vec![3];
        enc.extend(&self.point_widths);
        let pooled = *enc.last().expect("nonempty");
        let mut glob = vec![pooled];
        glob.extend(&self.global_widths);
        let feat = *glob.last().expect("nonempty") + self.cond_dim;
        let heads = 2 * (feat + 1) * self.latent_dim;
        let mut dec = vec![self.latent_dim + self.cond_dim];
        dec.extend(&self.decoder_widths);
        dec.push(self.cloud_len());
        dense(&enc) + dense(&glob) + heads + dense(&dec)
    }

    /// Checks sizes and values.
    ///
    /// # Errors
    /// [`Error::Config`] naming the first bad field.
    pub fn validate(&self) -> Result<()> {
        const MAX_POINTS: usize = 100_000;
        const MAX_PARAMETERS: usize = 500_000_000;
        let bad = |field, value: String, reason| {
            Err(Error::Config {
                field,
                value,
                reason,
            })
        };
        if self.n_points == 0 {
            return bad("n_points", "0".into(), "at least one point");
        }
        if self.encoder_points == 0 {
            return bad("encoder_points", "0".into(), "at least one point");
        }
        if self.point_widths.is_empty() || self.point_widths.contains(&0) {
            return bad(
                "point_widths",
                format!("{:?}", self.point_widths),
                "at least one layer, none of width 0",
            );
        }
        if self.global_widths.contains(&0) {
            return bad(
                "global_widths",
                format!("{:?}", self.global_widths),
                "no layer of width 0",
            );
        }
        if self.decoder_widths.contains(&0) {
            return bad(
                "decoder_widths",
                format!("{:?}", self.decoder_widths),
                "no layer of width 0",
            );
        }
        if self.latent_dim == 0 {
            return bad("latent_dim", "0".into(), "at least 1");
        }
        if !(self.prior_std.is_finite() && (1e-6..=1e3).contains(&self.prior_std)) {
            return bad(
                "prior_std",
                self.prior_std.to_string(),
                "between 1e-6 and 1000",
            );
        }
        // Sizes a CPU model can hold, checked before anything is allocated.
        if self.n_points > MAX_POINTS || self.encoder_points > MAX_POINTS {
            return bad(
                "n_points/encoder_points",
                format!("{}/{}", self.n_points, self.encoder_points),
                "at most 100000 points",
            );
        }
        let widths = [
            &self.point_widths,
            &self.global_widths,
            &self.decoder_widths,
        ];
        if self.latent_dim > crate::MAX_WIDTH
            || self.cond_dim > crate::MAX_WIDTH
            || widths
                .iter()
                .any(|w| w.len() > crate::MAX_LAYERS || w.iter().any(|&x| x > crate::MAX_WIDTH))
        {
            return bad(
                "widths",
                format!(
                    "{:?} {:?} {:?}, latent {}, cond {}",
                    self.point_widths,
                    self.global_widths,
                    self.decoder_widths,
                    self.latent_dim,
                    self.cond_dim
                ),
                "at most 8 layers of at most 4096 units",
            );
        }
        if self.parameter_count() > MAX_PARAMETERS {
            return bad(
                "widths",
                self.parameter_count().to_string(),
                "at most 500 M parameters",
            );
        }
        Ok(())
    }
}

impl Default for PointVaeConfig {
    /// [`PointVaeConfig::cpu`].
    fn default() -> Self {
        Self::cpu()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paper_sizes_count_and_fit_the_file_budget() {
        let n = PointVaeConfig::paper().parameter_count();
        // Decoder 128·64+64·128+128·512+512·1024+1024·6144 (+ biases) dominates.
        assert!((7_300_000..7_500_000).contains(&n), "{n}");
        let cpu = PointVaeConfig::cpu().parameter_count();
        assert!(cpu < n && 2 * cpu < 30_000_000, "{cpu}");
    }

    #[test]
    fn invalid_sizes_name_the_field() {
        let cfg = PointVaeConfig {
            latent_dim: 0,
            ..PointVaeConfig::tiny(16)
        };
        assert!(matches!(
            cfg.validate(),
            Err(Error::Config {
                field: "latent_dim",
                ..
            })
        ));
        let cfg = PointVaeConfig {
            prior_std: f32::NAN,
            ..PointVaeConfig::tiny(16)
        };
        assert!(matches!(
            cfg.validate(),
            Err(Error::Config {
                field: "prior_std",
                ..
            })
        ));
    }
}
