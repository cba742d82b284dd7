//! The grasp-contact simulator and score of the paper's shape-inference experiment.
//!
//! `k` fingers (default 5) approach the object's centre (the origin) along fixed unit
//! directions `d_j` in the xy plane. Finger `j` is the line through the origin along `d_j`,
//! `0.08` wide: a point `p` can touch it if its **3-D** distance to that line,
//! `‖p − (p·d_j) d_j‖`, is at most the half-width `0.04`. Among those points the contact is the
//! one the finger meets first: the minimum projection `c_j = min p·d_j` (`d_j` points from the
//! finger towards the centre, so contacts on the near side are negative: a circle of radius
//! `r` about the origin gives `c_j = −r`). The observation is the `k` contact coordinates
//! `c_j` (units of the cloud), plus, per finger, whether it touched anything.
//!
//! Directions: in distribution `(1,1,0), (−1,1,0), (1,−1,0), (−1,−1,0), (−1,0,0)`; out of
//! distribution the fifth is `(1,0,0)` (all normalised).
//!
//! Score ([`GraspScore`]): [`ScoreForm::Mean`] (paper, default)
//! `max(1 − (1/k) Σ_j |c_j(o') − c_j(o)|, 0)`, or [`ScoreForm::Sum`] (reference code)
//! `max(1 − Σ_j |c_j(o') − c_j(o)|, 0)`. A simulated finger that touched nothing contributes
//! `miss_distance` (default 1.0, the largest possible gap between two contacts of clouds
//! normalised to a unit bounding-box diagonal, whose coordinates lie in [−0.5, 0.5]); the real
//! observation must have every finger touching ([`Error::FingerTouchesNothing`] otherwise).

use candle_core::Tensor;
use mace_core::{Score, SimulatedEvidence, Simulator};
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::point_cloud::tensor_to_flat;

/// The paper's in-distribution finger directions (before normalisation).
pub const IN_DISTRIBUTION_DIRECTIONS: [[f32; 3]; 5] = [
    [1.0, 1.0, 0.0],
    [-1.0, 1.0, 0.0],
    [1.0, -1.0, 0.0],
    [-1.0, -1.0, 0.0],
    [-1.0, 0.0, 0.0],
];

/// The paper's out-of-distribution finger directions: the fifth flipped to `(1, 0, 0)`.
pub const OUT_OF_DISTRIBUTION_DIRECTIONS: [[f32; 3]; 5] = [
    [1.0, 1.0, 0.0],
    [-1.0, 1.0, 0.0],
    [1.0, -1.0, 0.0],
    [-1.0, -1.0, 0.0],
    [1.0, 0.0, 0.0],
];

/// Geometry of the fingers.
#[derive(Debug, Clone, PartialEq)]
pub struct GraspConfig {
    /// Approach directions (towards the centre), any non-zero length; normalised by
    /// [`GraspSimulator::new`]. Default: [`IN_DISTRIBUTION_DIRECTIONS`].
    pub directions: Vec<[f32; 3]>,
    /// Half the finger width: the largest 3-D distance from a finger's line at which a point
    /// touches it (cloud units). Default 0.04.
    pub half_width: f32,
}

impl Default for GraspConfig {
    fn default() -> Self {
        Self::in_distribution()
    }
}

impl GraspConfig {
    /// The paper's in-distribution fingers (fifth along −x), width 0.08.
    pub fn in_distribution() -> Self {
        Self {
            directions: IN_DISTRIBUTION_DIRECTIONS.to_vec(),
            half_width: 0.04,
        }
    }

    /// The paper's out-of-distribution fingers (fifth along +x), width 0.08.
    pub fn out_of_distribution() -> Self {
        Self {
            directions: OUT_OF_DISTRIBUTION_DIRECTIONS.to_vec(),
            half_width: 0.04,
        }
    }
}

/// Contacts of a batch of simulated grasps, `[n, k]` row-major.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GraspObservation {
    fingers: usize,
    contacts: Vec<f32>,
    touched: Vec<bool>,
}

impl GraspObservation {
    /// Number of grasps (clouds) in the batch.
    pub fn len(&self) -> usize {
        self.contacts.len().checked_div(self.fingers).unwrap_or(0)
    }

    /// Whether the batch is empty.
    pub fn is_empty(&self) -> bool {
        self.contacts.is_empty()
    }

    /// Fingers per grasp (`k`).
    pub fn fingers(&self) -> usize {
        self.fingers
    }

    /// Contact coordinates of grasp `i`, `[k]`: `min p·d_j`, or 0 where the finger touched
    /// nothing (see [`GraspObservation::touched`]).
    ///
    /// # Panics
    /// If `i ≥ len()`.
    pub fn contacts(&self, i: usize) -> &[f32] {
        &self.contacts[i * self.fingers..(i + 1) * self.fingers]
    }

    /// Per finger of grasp `i`, `[k]`: whether it touched a point.
    ///
    /// # Panics
    /// If `i ≥ len()`.
    pub fn touched(&self, i: usize) -> &[bool] {
        &self.touched[i * self.fingers..(i + 1) * self.fingers]
    }

    /// All contacts, `[n, k]` row-major (0 where untouched).
    pub fn contacts_flat(&self) -> &[f32] {
        &self.contacts
    }

    /// All touch flags, `[n, k]` row-major.
    pub fn touched_flat(&self) -> &[bool] {
        &self.touched
    }
}

/// The geometric contact simulator (see the module docs).
///
/// # Example
/// ```
/// use mace_shapes::GraspSimulator;
/// let sim = GraspSimulator::in_distribution();
/// // 64 points on a circle of radius 0.3 in the xy plane: every finger meets it at −0.3.
/// let circle: Vec<[f32; 3]> = (0..64)
///     .map(|i| {
///         let a = i as f32 * std::f32::consts::TAU / 64.0;
///         [0.3 * a.cos(), 0.3 * a.sin(), 0.0]
///     })
///     .collect();
/// for c in sim.observe(&circle)? {
///     assert!((c + 0.3).abs() < 1e-6);
/// }
/// # Ok::<(), mace_shapes::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct GraspSimulator {
    directions: Vec<[f32; 3]>,
    half_width: f32,
}

impl GraspSimulator {
    /// A simulator with `config`'s fingers (directions normalised).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for no directions, a zero or non-finite direction, or a
    /// half-width that is not positive and finite.
    pub fn new(config: &GraspConfig) -> Result<Self> {
        if config.directions.is_empty() {
            return Err(Error::InvalidParameter {
                name: "directions",
                value: "[]".into(),
                reason: "need at least one finger",
            });
        }
        let mut directions = Vec::with_capacity(config.directions.len());
        for d in &config.directions {
            let n = (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt();
            if !(n.is_finite() && n > 0.0) {
                return Err(Error::InvalidParameter {
                    name: "directions",
                    value: format!("{d:?}"),
                    reason: "each direction must be finite and non-zero",
                });
            }
            directions.push([d[0] / n, d[1] / n, d[2] / n]);
        }
        if !(config.half_width.is_finite() && config.half_width > 0.0) {
            return Err(Error::InvalidParameter {
                name: "half_width",
                value: config.half_width.to_string(),
                reason: "must be positive and finite",
            });
        }
        Ok(Self {
            directions,
            half_width: config.half_width,
        })
    }

    /// The paper's in-distribution fingers.
    pub fn in_distribution() -> Self {
        Self::new(&GraspConfig::in_distribution()).expect("valid preset")
    }

    /// The paper's out-of-distribution fingers.
    pub fn out_of_distribution() -> Self {
        Self::new(&GraspConfig::out_of_distribution()).expect("valid preset")
    }

    /// Number of fingers `k`.
    pub fn fingers(&self) -> usize {
        self.directions.len()
    }

    /// The unit approach directions, `[k, 3]`.
    pub fn directions(&self) -> &[[f32; 3]] {
        &self.directions
    }

    /// The finger half-width (cloud units).
    pub fn half_width(&self) -> f32 {
        self.half_width
    }

    /// Writes the contacts of one cloud (flat `[n, 3]`) into `contacts`/`touched` (`[k]`).
    fn contacts_into(
        &self,
        flat: &[f32],
        contacts: &mut [f32],
        touched: &mut [bool],
        origin: impl Fn() -> String,
    ) -> Result<()> {
        const LANES: usize = 8;
        let hw2 = self.half_width * self.half_width;
        // Structure of arrays (x, y, z, |p|²) so the per-finger pass vectorises.
        let n = flat.len() / 3;
        let mut soa = vec![0.0f32; 4 * n];
        let (xs, rest) = soa.split_at_mut(n);
        let (ys, rest) = rest.split_at_mut(n);
        let (zs, r2s) = rest.split_at_mut(n);
        for (index, p) in flat.chunks_exact(3).enumerate() {
            let (x, y, z) = (p[0], p[1], p[2]);
            let r2 = x * x + y * y + z * z;
            if !r2.is_finite() {
                let axis = p.iter().position(|v| !v.is_finite()).unwrap_or(0);
                return Err(Error::NonFinite {
                    origin: origin(),
                    index,
                    axis,
                    value: p[axis],
                });
            }
            (xs[index], ys[index], zs[index], r2s[index]) = (x, y, z, r2);
        }
        let (xs, ys, zs, r2s) = (&*xs, &*ys, &*zs, &*r2s);
        for (c, d) in contacts.iter_mut().zip(&self.directions) {
            let candidate = |x: f32, y: f32, z: f32, r2: f32| {
                let t = x * d[0] + y * d[1] + z * d[2];
                if r2 - t * t <= hw2 {
                    t
                } else {
                    f32::INFINITY
                }
            };
            // Independent running minima per lane, then the tail; the minimum of a set does not
            // depend on the order, so this equals the plain loop exactly.
            let mut acc = [f32::INFINITY; LANES];
            let chunks = xs
                .chunks_exact(LANES)
                .zip(ys.chunks_exact(LANES))
                .zip(zs.chunks_exact(LANES).zip(r2s.chunks_exact(LANES)));
            for ((x, y), (z, r2)) in chunks {
                for l in 0..LANES {
                    let v = candidate(x[l], y[l], z[l], r2[l]);
                    acc[l] = if v < acc[l] { v } else { acc[l] };
                }
            }
            let mut best = acc
                .iter()
                .fold(f32::INFINITY, |m, &v| if v < m { v } else { m });
            for i in n - n % LANES..n {
                let v = candidate(xs[i], ys[i], zs[i], r2s[i]);
                best = if v < best { v } else { best };
            }
            *c = best;
        }
        for (c, t) in contacts.iter_mut().zip(touched.iter_mut()) {
            *t = c.is_finite();
            if !*t {
                *c = 0.0;
            }
        }
        Ok(())
    }

    /// Contacts of one cloud `[n, 3]`: per finger `Some(min p·d_j)`, or `None` if it touched
    /// nothing.
    ///
    /// # Errors
    /// [`Error::NonFinite`] naming the point.
    pub fn contacts(&self, points: &[[f32; 3]]) -> Result<Vec<Option<f32>>> {
        let k = self.fingers();
        let (mut c, mut t) = (vec![0.0; k], vec![false; k]);
        self.contacts_into(points.as_flattened(), &mut c, &mut t, || {
            "grasp cloud".into()
        })?;
        Ok(c.into_iter().zip(t).map(|(c, t)| t.then_some(c)).collect())
    }

    /// The observation `o` of a real grasp of `points` `[n, 3]`: the `k` contact coordinates.
    ///
    /// # Errors
    /// [`Error::FingerTouchesNothing`] naming the first finger that met no point;
    /// [`Error::EmptyCloud`]; [`Error::NonFinite`].
    pub fn observe(&self, points: &[[f32; 3]]) -> Result<Vec<f32>> {
        if points.is_empty() {
            return Err(Error::EmptyCloud {
                origin: "observed grasp cloud".into(),
            });
        }
        self.contacts(points)?
            .into_iter()
            .enumerate()
            .map(|(finger, c)| c.ok_or(Error::FingerTouchesNothing { finger }))
            .collect()
    }

    /// Simulates a flat batch `[b, n·3]` of clouds of `n` points each, in parallel.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] if the length is not a multiple of `3n` or `n = 0`;
    /// [`Error::NonFinite`] naming the cloud and point.
    pub fn simulate_flat(&self, flat: &[f32], points_per_cloud: usize) -> Result<GraspObservation> {
        let row = points_per_cloud * 3;
        if row == 0 || flat.len() % row != 0 {
            return Err(Error::ShapeMismatch {
                op: "GraspSimulator::simulate_flat",
                expected: format!("a positive multiple of {points_per_cloud}·3 values"),
                got: format!("{} values", flat.len()),
            });
        }
        let b = flat.len() / row;
        let k = self.fingers();
        let mut contacts = vec![0.0f32; b * k];
        let mut touched = vec![false; b * k];
        flat.par_chunks(row)
            .zip(contacts.par_chunks_mut(k))
            .zip(touched.par_chunks_mut(k))
            .enumerate()
            .try_for_each(|(i, ((cloud, c), t))| {
                self.contacts_into(cloud, c, t, || format!("grasp sample {i}"))
            })?;
        Ok(GraspObservation {
            fingers: k,
            contacts,
            touched,
        })
    }

    /// Simulates a batch of clouds (any sizes), in parallel.
    ///
    /// # Errors
    /// [`Error::NonFinite`] naming the cloud and point.
    pub fn simulate_clouds<C: AsRef<[[f32; 3]]> + Sync>(
        &self,
        clouds: &[C],
    ) -> Result<GraspObservation> {
        let k = self.fingers();
        let mut contacts = vec![0.0f32; clouds.len() * k];
        let mut touched = vec![false; clouds.len() * k];
        clouds
            .par_iter()
            .zip(contacts.par_chunks_mut(k))
            .zip(touched.par_chunks_mut(k))
            .enumerate()
            .try_for_each(|(i, ((cloud, c), t))| {
                self.contacts_into(cloud.as_ref().as_flattened(), c, t, || {
                    format!("grasp sample {i}")
                })
            })?;
        Ok(GraspObservation {
            fingers: k,
            contacts,
            touched,
        })
    }
}

impl Simulator for GraspSimulator {
    type Observation = GraspObservation;

    /// Simulates a candle batch `[b, n·3]` or `[b, n, 3]` (any float dtype, read as `f32`).
    fn simulate(&self, samples: &Tensor) -> mace_core::Result<GraspObservation> {
        let (flat, _b, n) = tensor_to_flat(samples, "GraspSimulator::simulate")?;
        Ok(self.simulate_flat(&flat, n)?)
    }
}

/// Which aggregation of the per-finger contact gaps the score uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScoreForm {
    /// The paper's `max(1 − (1/k) Σ_j |Δ_j|, 0)`. The default.
    #[default]
    Mean,
    /// The reference code's `max(1 − Σ_j |Δ_j|, 0)`.
    Sum,
}

/// The grasp score S(o', o) against one real observation `o` (see the module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct GraspScore {
    target: Vec<f32>,
    form: ScoreForm,
    miss_distance: f32,
}

impl GraspScore {
    /// A score against `target` (the `k` contacts of the real grasp, as from
    /// [`GraspSimulator::observe`]); untouched simulated fingers count as `1.0` apart.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for an empty or non-finite target.
    pub fn new(target: Vec<f32>, form: ScoreForm) -> Result<Self> {
        if target.is_empty() || target.iter().any(|c| !c.is_finite()) {
            return Err(Error::InvalidParameter {
                name: "target",
                value: format!("{target:?}"),
                reason: "need at least one finite contact per finger",
            });
        }
        Ok(Self {
            target,
            form,
            miss_distance: 1.0,
        })
    }

    /// Sets the gap counted for a simulated finger that touched nothing (cloud units).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] unless `distance` is finite and ≥ 0.
    pub fn with_miss_distance(mut self, distance: f32) -> Result<Self> {
        if !(distance.is_finite() && distance >= 0.0) {
            return Err(Error::InvalidParameter {
                name: "miss_distance",
                value: distance.to_string(),
                reason: "must be finite and non-negative",
            });
        }
        self.miss_distance = distance;
        Ok(self)
    }

    /// The target contacts `[k]`.
    pub fn target(&self) -> &[f32] {
        &self.target
    }

    /// The aggregation form.
    pub fn form(&self) -> ScoreForm {
        self.form
    }

    /// Score of one simulated grasp: `contacts` and `touched` of length `k` (extra entries are
    /// ignored, missing ones count as untouched).
    pub fn score_one(&self, contacts: &[f32], touched: &[bool]) -> f32 {
        let gap: f32 = self
            .target
            .iter()
            .enumerate()
            .map(|(j, &t)| match (contacts.get(j), touched.get(j)) {
                (Some(&c), Some(true)) => (c - t).abs(),
                _ => self.miss_distance,
            })
            .sum();
        let gap = match self.form {
            ScoreForm::Mean => gap / self.target.len() as f32,
            ScoreForm::Sum => gap,
        };
        (1.0 - gap).clamp(0.0, 1.0)
    }

    /// Scores of every grasp in `simulated`, in parallel.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] if `simulated` has a different finger count than the target.
    pub fn score_batch(&self, simulated: &GraspObservation) -> Result<Vec<f32>> {
        if simulated.fingers() != self.target.len() && !simulated.is_empty() {
            return Err(Error::ShapeMismatch {
                op: "GraspScore::score",
                expected: format!("{} fingers", self.target.len()),
                got: format!("{} fingers", simulated.fingers()),
            });
        }
        Ok((0..simulated.len())
            .into_par_iter()
            .map(|i| self.score_one(simulated.contacts(i), simulated.touched(i)))
            .collect())
    }
}

impl Score<GraspObservation> for GraspScore {
    fn score(&self, simulated: &GraspObservation) -> mace_core::Result<Vec<f32>> {
        Ok(self.score_batch(simulated)?)
    }
}

/// The tuner's evidence for the grasp domain: `simulator` composed with a [`GraspScore`]
/// against `target` (the contacts of the real grasp).
///
/// # Errors
/// As [`GraspScore::new`]; [`Error::ShapeMismatch`] if `target` does not have one contact per
/// finger.
pub fn grasp_evidence(
    simulator: GraspSimulator,
    target: Vec<f32>,
    form: ScoreForm,
) -> Result<SimulatedEvidence<GraspSimulator, GraspScore>> {
    if target.len() != simulator.fingers() {
        return Err(Error::ShapeMismatch {
            op: "grasp_evidence",
            expected: format!("{} contacts", simulator.fingers()),
            got: format!("{} contacts", target.len()),
        });
    }
    let score = GraspScore::new(target, form)?;
    Ok(SimulatedEvidence::new(simulator, score))
}
