//! The score of point-cloud completion from a partial depth view (the paper's Appendix C).
//!
//! The observation `o` is what a depth camera ([`DepthCamera`]) saw of an object: its visible
//! points, `[m, 3]`. A sample `x` (a full cloud) is rendered from the same camera into its
//! partial view `o'` (the [`DepthCamera`] simulator), and scored by how well `o'` explains `o`:
//!
//! ```text
//! d(o', o) = C(o → o') + w · C(o' → o)        C(a → b) = mean_{p∈a} min_{q∈b} ‖p − q‖²
//! S(o', o) = exp(−d / scale)                   S = 0 if o' is empty (nothing visible)
//! ```
//!
//! - The **forward** term `C(o → o')` (one-sided squared Chamfer from the observation to the
//!   simulated view) asks the issue's question: does the sample have surface wherever the
//!   sensor saw some? It alone is blind to a sample that puts *extra* visible surface where the
//!   sensor saw empty space (a bigger wing in front of the observed one explains every observed
//!   point as long as it also has points near them).
//! - The **reverse** term `C(o' → o)`, weighted by `w` < 1, penalises that hallucinated visible
//!   surface. It is down-weighted because the observation is a z-buffered subset: a sample's
//!   view legitimately holds a few grazing points that the observation's splats hid, and
//!   the forward term is the one that matters (what was seen must be there).
//!
//! # The defaults and the numbers behind them
//!
//! `scale = 0.005`, `w = 0.5`. Measured by `tests/it/completion.rs::score_scale_statistics` on 40
//! procedural test airplanes (2048 points) from the views (45°, 30°) and (−135°, 20°), d with
//! `w = 0.5`, quantiles 10 / 50 / 90 %:
//!
//! | pair | view (45°, 30°) | view (−135°, 20°) |
//! |---|---|---|
//! | the same surface, sampled with other points | 5.2e-5 / 7.2e-5 / 1.2e-4 | 6.0e-5 / 8.3e-5 / 1.5e-4 |
//! | two different airplanes | 7.6e-4 / 5.2e-3 / 1.3e-2 | 7.0e-4 / 4.5e-3 / 1.4e-2 |
//!
//! So the scale is the median distance between two different airplanes: a typical other
//! airplane scores ≈ e⁻¹ ≈ 0.37, the object itself up to re-sampling ≈ 0.985, and the
//! closest 10 % of other airplanes ≈ 0.86. (One-sided alone, `w = 0`, the medians are 3.2e-3
//! and 2.4e-3.)
//!
//! MACE's elites depend only on the ranking of the scores, so its runs do not depend on the
//! scale; the scale matters to the importance-sampling weights, `stop_at_score` and the reports.
//! In `mace bench completion` (5 test shapes × those 2 views, a 20-epoch prior), IS moved the
//! prior's mean Chamfer distance to the ground truth from 1.30e-3 to 1.27e-3 at scale 0.005 and
//! to 0.93e-3 at scale 0.0005: a sharper scale helps IS, but it stays far from MACE (≈ 0.37e-3),
//! which is the paper's point.
//!
//! The reverse weight: the bench on 10 test shapes × 2 views with `w` = 0 / 0.5 / 1 gave MACE posteriors at a mean
//! Chamfer distance to the ground truth of 3.68e-4 / 3.66e-4 / 3.66e-4 (best of 49: 3.18e-4 /
//! 3.19e-4 / 3.18e-4), the exact update 3.56e-4 / 3.53e-4 / 3.55e-4: the term costs nothing
//! and helps slightly; it matters most when a sample puts surface where the sensor saw none
//! (the `reverse_term_penalises_hallucinated_surface` test). 0.5 keeps the forward term — what
//! was seen must be there — the main one.
//!
//! All distances are squared cloud units (clouds normalised to a unit bounding-box diagonal).

use mace_core::{Score, SimulatedEvidence};
use rand::{rngs::StdRng, SeedableRng};
use rand_distr::{Distribution, Normal};
use rayon::prelude::*;

use crate::chamfer::NnIndex;
use crate::depth::DepthCamera;
use crate::error::{Error, Result};
use crate::point_cloud::validate_points;

/// Settings of [`CompletionScore`] (see the module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct CompletionScoreConfig {
    /// Distance scale, squared cloud units: `S = exp(−d / scale)`. Default 0.005 (the median
    /// `d` of two different airplanes, which so score ≈ e⁻¹).
    pub scale: f32,
    /// Weight `w` of the reverse term `C(o' → o)` (hallucinated visible surface). Default 0.5;
    /// 0 gives the pure one-sided score of the issue.
    pub reverse_weight: f32,
}

impl Default for CompletionScoreConfig {
    fn default() -> Self {
        Self {
            scale: 0.005,
            reverse_weight: 0.5,
        }
    }
}

impl CompletionScoreConfig {
    /// The issue's pure one-sided score: `d = C(o → o')`, default scale.
    pub fn one_sided() -> Self {
        Self {
            reverse_weight: 0.0,
            ..Self::default()
        }
    }

    fn validate(&self) -> Result<()> {
        if !(self.scale.is_finite() && self.scale > 0.0) {
            return Err(Error::InvalidParameter {
                name: "scale",
                value: self.scale.to_string(),
                reason: "must be positive and finite",
            });
        }
        if !(self.reverse_weight.is_finite() && self.reverse_weight >= 0.0) {
            return Err(Error::InvalidParameter {
                name: "reverse_weight",
                value: self.reverse_weight.to_string(),
                reason: "must be finite and >= 0",
            });
        }
        Ok(())
    }
}

/// The two one-sided terms of a simulated view's distance to the observation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ViewDistance {
    /// `C(o → o')`: mean squared distance from each observed point to the simulated view.
    pub forward: f32,
    /// `C(o' → o)`: mean squared distance from each simulated visible point to the observation.
    pub reverse: f32,
}

/// The completion score S(o', o) against one observed partial view `o` (see the module docs).
///
/// # Example
/// ```
/// use mace_shapes::{AirplaneFamily, CompletionScore, CompletionScoreConfig, DepthCamera, DepthCameraConfig};
/// let camera = DepthCamera::new(&DepthCameraConfig::default())?;
/// let clouds = AirplaneFamily::default().generate(2, 7)?;
/// let observed = camera.visible(clouds[0].points())?;
/// let score = CompletionScore::new(observed, &CompletionScoreConfig::default())?;
/// let views = camera.visible_batch(&[clouds[0].points(), clouds[1].points()])?;
/// let s = score.score_batch(&views)?;
/// assert_eq!(s[0], 1.0); // the object itself
/// assert!(s[1] < 1.0);
/// # Ok::<(), mace_shapes::Error>(())
/// ```
#[derive(Debug)]
pub struct CompletionScore {
    observed: Vec<[f32; 3]>,
    index: NnIndex,
    config: CompletionScoreConfig,
}

impl CompletionScore {
    /// A score against the observed partial view `observed` (`[m, 3]`, as from
    /// [`DepthCamera::visible`] or [`observe_partial`]). Indexes it once.
    ///
    /// # Errors
    /// [`Error::EmptyCloud`] for an empty observation (nothing was seen: there is nothing to
    /// complete); [`Error::NonFinite`] naming the first NaN or infinite coordinate;
    /// [`Error::InvalidParameter`] for a bad config.
    pub fn new(observed: Vec<[f32; 3]>, config: &CompletionScoreConfig) -> Result<Self> {
        config.validate()?;
        if observed.is_empty() {
            return Err(Error::EmptyCloud {
                origin: "observed partial view (the camera saw nothing: nothing to complete)"
                    .into(),
            });
        }
        validate_points(&observed, "observed partial view")?;
        let index = NnIndex::new(&observed)?;
        Ok(Self {
            observed,
            index,
            config: config.clone(),
        })
    }

    /// The observed partial view, `[m, 3]`.
    pub fn observed(&self) -> &[[f32; 3]] {
        &self.observed
    }

    /// The settings.
    pub fn config(&self) -> &CompletionScoreConfig {
        &self.config
    }

    /// Both one-sided terms of `view` (`[m', 3]`) against the observation; `None` for an empty
    /// view.
    ///
    /// # Errors
    /// [`Error::NonFinite`] naming the point.
    pub fn view_distance(&self, view: &[[f32; 3]]) -> Result<Option<ViewDistance>> {
        self.view_distance_named(view, || "simulated partial view".into())
    }

    fn view_distance_named(
        &self,
        view: &[[f32; 3]],
        origin: impl Fn() -> String,
    ) -> Result<Option<ViewDistance>> {
        if view.is_empty() {
            return Ok(None);
        }
        validate_points(view, &origin())?;
        let tree = NnIndex::new(view)?;
        Ok(Some(ViewDistance {
            forward: tree.mean_nearest_sq(&self.observed) as f32,
            reverse: self.index.mean_nearest_sq(view) as f32,
        }))
    }

    /// `d = forward + w · reverse` of `view`; `None` for an empty view.
    ///
    /// # Errors
    /// [`Error::NonFinite`] naming the point.
    pub fn distance(&self, view: &[[f32; 3]]) -> Result<Option<f32>> {
        Ok(self.view_distance(view)?.map(|d| self.combine(d)))
    }

    fn combine(&self, d: ViewDistance) -> f32 {
        d.forward + self.config.reverse_weight * d.reverse
    }

    fn to_score(&self, d: Option<ViewDistance>) -> f32 {
        match d {
            Some(d) => (-self.combine(d) / self.config.scale).exp().clamp(0.0, 1.0),
            None => 0.0,
        }
    }

    /// Score of one simulated view `[m', 3]`: `exp(−d / scale)`, 0 for an empty view.
    ///
    /// # Errors
    /// [`Error::NonFinite`] naming the point.
    pub fn score_view(&self, view: &[[f32; 3]]) -> Result<f32> {
        Ok(self.to_score(self.view_distance(view)?))
    }

    /// Scores of every simulated view, in parallel.
    ///
    /// # Errors
    /// [`Error::NonFinite`] naming the view and the point.
    pub fn score_batch<C: AsRef<[[f32; 3]]> + Sync>(&self, views: &[C]) -> Result<Vec<f32>> {
        views
            .par_iter()
            .enumerate()
            .map(|(i, v)| {
                let d = self.view_distance_named(v.as_ref(), || format!("simulated view {i}"))?;
                Ok(self.to_score(d))
            })
            .collect()
    }

    /// The terms of every simulated view (`None` for empty views), in parallel.
    ///
    /// # Errors
    /// [`Error::NonFinite`] naming the view and the point.
    pub fn view_distances<C: AsRef<[[f32; 3]]> + Sync>(
        &self,
        views: &[C],
    ) -> Result<Vec<Option<ViewDistance>>> {
        views
            .par_iter()
            .enumerate()
            .map(|(i, v)| self.view_distance_named(v.as_ref(), || format!("simulated view {i}")))
            .collect()
    }
}

impl Score<Vec<Vec<[f32; 3]>>> for CompletionScore {
    fn score(&self, simulated: &Vec<Vec<[f32; 3]>>) -> mace_core::Result<Vec<f32>> {
        Ok(self.score_batch(simulated)?)
    }
}

/// What `camera` sees of `object` (`[n, 3]`, a full cloud): the observation of a completion
/// problem.
///
/// # Errors
/// [`Error::CameraInsideObject`] if the camera is within the object's bounding sphere;
/// [`Error::EmptyCloud`] for an empty object or if nothing of it is visible (outside the field of
/// view); [`Error::NonFinite`] naming the point.
pub fn observe_partial(camera: &DepthCamera, object: &[[f32; 3]]) -> Result<Vec<[f32; 3]>> {
    let view = camera.visible(object)?;
    if view.is_empty() {
        let c = camera.config();
        return Err(Error::EmptyCloud {
            origin: format!(
                "partial view from azimuth {}°, elevation {}°, distance {} (the object is outside \
                 the camera's field of view)",
                c.azimuth_deg, c.elevation_deg, c.distance
            ),
        });
    }
    Ok(view)
}

/// Moves each point of `view` along its ray from `camera` by Gaussian depth noise of standard
/// deviation `sigma` (cloud units), seeded: a noisy depth sensor. `sigma = 0` returns the
/// points unchanged.
///
/// # Errors
/// [`Error::InvalidParameter`] unless `sigma` is finite and ≥ 0; [`Error::NonFinite`].
pub fn add_depth_noise(
    camera: &DepthCamera,
    view: &[[f32; 3]],
    sigma: f32,
    seed: u64,
) -> Result<Vec<[f32; 3]>> {
    if !(sigma.is_finite() && sigma >= 0.0) {
        return Err(Error::InvalidParameter {
            name: "sigma",
            value: sigma.to_string(),
            reason: "depth noise must be finite and >= 0",
        });
    }
    if !view.is_empty() {
        validate_points(view, "noisy partial view")?;
    }
    if sigma == 0.0 {
        return Ok(view.to_vec());
    }
    let normal = Normal::new(0.0f32, sigma).expect("sigma checked above");
    let c = camera.position();
    let mut rng = StdRng::seed_from_u64(seed);
    Ok(view
        .iter()
        .map(|p| {
            let r = [p[0] - c[0], p[1] - c[1], p[2] - c[2]];
            let len = (r[0] * r[0] + r[1] * r[1] + r[2] * r[2]).sqrt().max(1e-12);
            let e = normal.sample(&mut rng) / len;
            [p[0] + e * r[0], p[1] + e * r[1], p[2] + e * r[2]]
        })
        .collect())
}

/// The tuner's evidence for completion: `camera` (the simulator: each sample's partial view)
/// composed with a [`CompletionScore`] against `observed` (the real partial view, `[m, 3]`).
///
/// # Errors
/// As [`CompletionScore::new`].
///
/// # Example
/// ```
/// use mace_shapes::{completion_evidence, observe_partial, AirplaneFamily, CompletionScoreConfig, DepthCamera, DepthCameraConfig};
/// let camera = DepthCamera::new(&DepthCameraConfig::default())?;
/// let object = AirplaneFamily::default().shape(0, 3)?;
/// let observed = observe_partial(&camera, object.points())?;
/// let evidence = completion_evidence(camera, observed, &CompletionScoreConfig::default())?;
/// assert!(!evidence.score.observed().is_empty());
/// # Ok::<(), mace_shapes::Error>(())
/// ```
pub fn completion_evidence(
    camera: DepthCamera,
    observed: Vec<[f32; 3]>,
    config: &CompletionScoreConfig,
) -> Result<SimulatedEvidence<DepthCamera, CompletionScore>> {
    let score = CompletionScore::new(observed, config)?;
    Ok(SimulatedEvidence::new(camera, score))
}
