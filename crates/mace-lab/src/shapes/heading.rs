//! Which way a shape faces about its up axis, found rather than assumed. Real files point any
//! way: each ModelNet airplane has its own heading about z. The prior's shapes all face one
//! way (nose −z, y up), so a shape turned about y by the right angle looks like the prior's
//! samples and one turned wrongly does not.
//!
//! [`infer_heading`] turns the shape about y by each candidate angle (a coarse grid, then finer
//! steps around the best), re-centres and re-scales it to a unit bounding-box diagonal (the
//! box changes as the shape turns), and scores it by the mean Chamfer distance to its `nearest`
//! closest prior samples; the angle of least distance wins. Clouds are thinned to
//! `search_points` for the search (every k-th point), which keeps it cheap: 16× fewer distances.

use mace_shapes::{chamfer, Normalization, PointCloud};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{fail, Result};

/// Settings of the heading search.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HeadingSearch {
    /// Coarse grid step, degrees (the grid covers the full turn).
    pub step_deg: f32,
    /// Halvings of the step around the best angle after the coarse grid.
    pub refinements: usize,
    /// Prior samples compared with (the caller draws them).
    pub nearest: usize,
    /// Points per cloud during the search.
    pub search_points: usize,
}

impl Default for HeadingSearch {
    fn default() -> Self {
        HeadingSearch {
            step_deg: 15.0,
            refinements: 3,
            nearest: 8,
            search_points: 512,
        }
    }
}

/// The heading found.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HeadingEstimate {
    /// Turn about +y (counter-clockwise seen from above: +z towards +x) that brings the shape
    /// into the prior's heading, degrees in [0, 360).
    pub heading_deg: f32,
    /// Its cost: mean Chamfer distance to the nearest prior samples.
    pub cost: f32,
    /// The best cost more than 30° away (how clear the choice was).
    pub runner_up_cost: f32,
    /// Every angle tried with its cost, in the order tried.
    pub tried: Vec<(f32, f32)>,
}

/// `cloud` turned about +y by `deg` (+z towards +x), then centred and scaled to a unit
/// bounding-box diagonal.
///
/// # Errors
/// Never for a valid cloud (a turn keeps finite points finite).
pub fn turn_about_up(cloud: &PointCloud, deg: f32) -> Result<PointCloud> {
    Ok(PointCloud::new(turned(cloud, deg))?.normalized(Normalization::BboxDiagonal))
}

/// The re-centring and re-scaling [`turn_about_up`] applies after turning by `deg`: a turned
/// point `t` lands at `(t − centre) · scale`.
pub fn turn_normalisation(cloud: &PointCloud, deg: f32) -> ([f64; 3], f64) {
    let t = turned(cloud, deg);
    let (mut lo, mut hi) = ([f64::INFINITY; 3], [f64::NEG_INFINITY; 3]);
    for p in &t {
        for a in 0..3 {
            lo[a] = lo[a].min(f64::from(p[a]));
            hi[a] = hi[a].max(f64::from(p[a]));
        }
    }
    let centre = [0, 1, 2].map(|a| 0.5 * (lo[a] + hi[a]));
    let diagonal = (0..3).map(|a| (hi[a] - lo[a]).powi(2)).sum::<f64>().sqrt();
    (centre, 1.0 / diagonal.max(f64::MIN_POSITIVE))
}

fn turned(cloud: &PointCloud, deg: f32) -> Vec<[f32; 3]> {
    let (s, c) = deg.to_radians().sin_cos();
    cloud
        .iter()
        .map(|p| [c * p[0] + s * p[2], p[1], -s * p[0] + c * p[2]])
        .collect()
}

/// Finds the turn about y that makes `shape` look most like `prior_samples` (see the module
/// docs).
///
/// # Errors
/// For settings that mean nothing, or fewer prior samples than `nearest`.
pub fn infer_heading(
    shape: &PointCloud,
    prior_samples: &[PointCloud],
    search: &HeadingSearch,
) -> Result<HeadingEstimate> {
    if !(search.step_deg > 0.0 && search.step_deg <= 180.0) || search.nearest == 0 {
        fail!(
            "heading search: step {}° must be in (0, 180] and nearest {} at least 1",
            search.step_deg,
            search.nearest
        );
    }
    if prior_samples.len() < search.nearest {
        fail!(
            "heading search: {} prior samples for the nearest {}",
            prior_samples.len(),
            search.nearest
        );
    }
    let thin = |c: &PointCloud| -> Vec<[f32; 3]> {
        let k = (c.len() / search.search_points.max(1)).max(1);
        c.iter().step_by(k).copied().collect()
    };
    let prior: Vec<Vec<[f32; 3]>> = prior_samples.iter().map(thin).collect();
    let cost = |deg: f32| -> Result<f32> {
        let turned = thin(&turn_about_up(shape, deg)?);
        let mut d: Vec<f32> = prior
            .par_iter()
            .map(|p| chamfer(&turned, p))
            .collect::<std::result::Result<_, _>>()?;
        d.sort_by(f32::total_cmp);
        Ok(d[..search.nearest].iter().sum::<f32>() / search.nearest as f32)
    };
    let wrap = |deg: f32| deg.rem_euclid(360.0);
    let mut tried = Vec::new();
    let steps = (360.0 / search.step_deg).round().max(1.0) as usize;
    for i in 0..steps {
        let deg = i as f32 * search.step_deg;
        tried.push((deg, cost(deg)?));
    }
    let best = |tried: &[(f32, f32)]| {
        *tried
            .iter()
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .expect("the grid is not empty")
    };
    let mut step = search.step_deg;
    for _ in 0..search.refinements {
        step /= 2.0;
        let (centre, _) = best(&tried);
        for deg in [wrap(centre - step), wrap(centre + step)] {
            tried.push((deg, cost(deg)?));
        }
    }
    let (heading_deg, best_cost) = best(&tried);
    let apart = |a: f32, b: f32| {
        let d = (a - b).rem_euclid(360.0);
        d.min(360.0 - d)
    };
    let runner_up_cost = tried
        .iter()
        .filter(|(deg, _)| apart(*deg, heading_deg) > 30.0)
        .map(|t| t.1)
        .fold(f32::INFINITY, f32::min);
    Ok(HeadingEstimate {
        heading_deg,
        cost: best_cost,
        runner_up_cost,
        tried,
    })
}

/// How a shape's heading is chosen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum HeadingChoice {
    /// Turn it about y by this many degrees.
    Given(f32),
    /// Find it ([`infer_heading`]).
    Auto,
}

impl std::str::FromStr for HeadingChoice {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        if s == "auto" {
            return Ok(HeadingChoice::Auto);
        }
        match s.parse::<f32>() {
            Ok(d) if d.is_finite() => Ok(HeadingChoice::Given(d)),
            _ => Err(format!("`{s}`: expected degrees or auto")),
        }
    }
}

/// What was done to a shape's heading, for records.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HeadingRecord {
    /// The turn about +y applied (+z towards +x), degrees.
    pub heading_deg: f32,
    /// Found by the search (else given).
    pub inferred: bool,
    /// For a search: the best cost and the best one more than 30° away.
    pub cost: Option<f32>,
    /// See `cost`.
    pub runner_up_cost: Option<f32>,
}

impl HeadingRecord {
    /// One line for a terminal.
    pub fn summary(&self) -> String {
        match (self.inferred, self.cost, self.runner_up_cost) {
            (true, Some(c), Some(r)) => format!(
                "heading found: turned {:.1}° about the up axis (distance to the prior's \
                 nearest samples {c:.2e}; {:.1}× that at the best other heading)",
                self.heading_deg,
                r / c.max(f32::MIN_POSITIVE)
            ),
            _ => format!("turned {:.1}° about the up axis", self.heading_deg),
        }
    }
}

/// Prior samples a heading search compares with.
pub const HEADING_PRIOR_SAMPLES: usize = 128;

/// `shape` turned as `choice` says; for [`HeadingChoice::Auto`] against
/// [`HEADING_PRIOR_SAMPLES`] samples of `prior` drawn with `seed` (a given turn needs no prior).
///
/// # Errors
/// For a search without a prior, or from sampling the prior or the search.
pub fn apply_heading(
    shape: &PointCloud,
    choice: HeadingChoice,
    prior: Option<&super::prior::ShapePrior>,
    seed: u64,
) -> Result<(PointCloud, HeadingRecord)> {
    match choice {
        HeadingChoice::Given(deg) => Ok((
            turn_about_up(shape, deg)?,
            HeadingRecord {
                heading_deg: deg,
                inferred: false,
                cost: None,
                runner_up_cost: None,
            },
        )),
        HeadingChoice::Auto => {
            let Some(prior) = prior else {
                fail!("--heading auto compares the shape with the prior's samples: no prior given");
            };
            let samples =
                super::latent::latent_at_prior(prior)?.clouds(HEADING_PRIOR_SAMPLES, seed)?;
            let found = infer_heading(shape, &samples, &HeadingSearch::default())?;
            Ok((
                turn_about_up(shape, found.heading_deg)?,
                HeadingRecord {
                    heading_deg: found.heading_deg,
                    inferred: true,
                    cost: Some(found.cost),
                    runner_up_cost: Some(found.runner_up_cost),
                },
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quarter_turn_takes_z_to_x() {
        let cloud =
            PointCloud::new(vec![[0.0, 0.0, 1.0], [0.0, 0.0, -1.0], [0.0, 0.5, 0.0]]).unwrap();
        let turned = turn_about_up(&cloud, 90.0).unwrap();
        // +z goes to +x (then the box is re-centred and scaled; the order of x stays).
        assert!(
            turned[0][0] > 0.3 && turned[1][0] < -0.3,
            "{:?}",
            turned.points()
        );
        assert!(turned[0][2].abs() < 1e-6);
    }
}
