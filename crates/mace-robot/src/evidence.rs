//! The IK evidence for the tuner: a simulator (forward kinematics + collision) and a score.
//!
//! [`IkSimulator`] maps a batch of joint configurations `(n, dof)` (candle `f32` tensor, rad) to
//! an [`IkObservation`] (collision flags and TCP frame per sample); [`IkScore`] turns each into
//! `0` if it collides (self, obstacle or ground), else `exp(−d)` with `d = ‖target − tcp‖` in
//! metres — for a pose target `d = ‖target − tcp‖ + w·θ`, θ the rotation error in rad and `w`
//! [`IkScore::rotation_weight`] (metres per rad). Compose them with
//! [`mace_core::SimulatedEvidence::new`].

use candle_core::{DType, Tensor};

use crate::chain::KinematicChain;
use crate::collision::{CollisionFlags, CollisionModel};
use crate::error::{Error, Result};
use crate::math::{Pose, Vec3};
use crate::scene::Scene;
use crate::target::{IkTarget, TargetOrientation};

/// The default [`IkScore::rotation_weight`], metres per radian: 1° of rotation error costs as
/// much as 5.2 mm of position error. Chosen on Table 1 with pose targets (`mace bench
/// ik-table1 --pose`, seed 0, position prior): weights 0.1 / 0.3 / 1.0 gave MACE success 0.995 /
/// 0.963 / 0.954 with median rotation errors 5.5° / 1.8° / 1.9°.
pub const SCORE_ROTATION_WEIGHT: f32 = 0.3;

/// Simulated observations of a batch: one entry per configuration.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IkObservation {
    /// Collision flags per configuration.
    pub flags: Vec<CollisionFlags>,
    /// Tool-centre-point position per configuration, metres, base frame: `(n, 3)`.
    pub tcp: Vec<Vec3>,
    /// Tool rotation per configuration (base ← tool, row-major): `(n, 3, 3)`.
    pub tool_rot: Vec<[[f32; 3]; 3]>,
    /// With a margin ([`ik_evidence_with_margin`]): per configuration, whether it is free of
    /// contact in the scene but not in the scene grown by the margin. Empty without one.
    pub within_margin: Vec<bool>,
}

/// Forward kinematics + collision of joint configurations against one scene.
#[derive(Debug, Clone)]
pub struct IkSimulator {
    model: CollisionModel,
    /// The scene with its boxes grown by a safety margin, to flag free configurations that come
    /// too close: within the margin of a box, and near its edges and corners up to √3 × it.
    margin_model: Option<CollisionModel>,
}

impl IkSimulator {
    /// A simulator for `chain` in `scene`.
    pub fn new(chain: &KinematicChain, scene: &Scene) -> IkSimulator {
        IkSimulator {
            model: CollisionModel::new(chain, scene),
            margin_model: None,
        }
    }

    /// The collision model.
    pub fn model(&self) -> &CollisionModel {
        &self.model
    }

    /// Simulates a flat `(n, dof)` batch of joint values.
    ///
    /// # Errors
    /// [`Error::EmptyBatch`] for `n = 0`; otherwise as [`crate::fk::validate_batch`].
    pub fn simulate_slice(&self, q: &[f32]) -> Result<IkObservation> {
        if q.is_empty() {
            return Err(Error::EmptyBatch {
                op: "IkSimulator::simulate",
            });
        }
        let r = self.model.check_with_tool_batch(q)?;
        let (flags, tools): (Vec<CollisionFlags>, Vec<Pose>) = r.into_iter().unzip();
        let tcp = tools.iter().map(|p| p.trans).collect();
        let tool_rot = tools.iter().map(|p| p.rot).collect();
        let within_margin = match &self.margin_model {
            None => Vec::new(),
            Some(margin_model) => {
                // Only the free configurations need the second check.
                let dof = self.model.chain().dof();
                let free: Vec<usize> = (0..flags.len()).filter(|&i| !flags[i].any()).collect();
                let q_free: Vec<f32> = free
                    .iter()
                    .flat_map(|&i| q[i * dof..(i + 1) * dof].iter().copied())
                    .collect();
                let mut within = vec![false; flags.len()];
                if !free.is_empty() {
                    let hits = margin_model.collides_batch(&q_free)?;
                    for (&i, hit) in free.iter().zip(hits) {
                        within[i] = hit;
                    }
                }
                within
            }
        };
        Ok(IkObservation {
            flags,
            tcp,
            tool_rot,
            within_margin,
        })
    }
}

impl mace_core::Simulator for IkSimulator {
    type Observation = IkObservation;

    /// Simulates a candle batch of shape `(n, dof)` (any float dtype, converted to `f32`).
    fn simulate(&self, samples: &Tensor) -> mace_core::Result<IkObservation> {
        let dof = self.model.chain().dof();
        let dims = samples.dims();
        if dims.len() != 2 || dims[1] != dof {
            return Err(Error::ShapeMismatch {
                op: "IkSimulator::simulate",
                expected: format!("(n, {dof})"),
                got: format!("{dims:?}"),
            }
            .into());
        }
        let flat: Vec<f32> = samples
            .to_dtype(DType::F32)
            .map_err(Error::from)?
            .flatten_all()
            .map_err(Error::from)?
            .to_vec1()
            .map_err(Error::from)?;
        Ok(self.simulate_slice(&flat)?)
    }
}

/// `0` on any collision, else `exp(−d/λ)`, `d` the TCP distance (metres) plus, for a pose
/// target, the weighted rotation error.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IkScore {
    /// The IK target, metres, base frame.
    pub target: Vec3,
    /// The tool orientation to reach (`None`: position only).
    pub orientation: Option<TargetOrientation>,
    /// Metres of distance per radian of rotation error (pose targets; default
    /// [`SCORE_ROTATION_WEIGHT`]).
    pub rotation_weight: f32,
    /// Length scale λ of the distance term exp(−d/λ), metres (the paper's score: 1). MACE only
    /// ranks scores, so λ changes its elites only through ties and stop thresholds; it matters
    /// for importance sampling, whose weights are the scores.
    pub length_scale: f32,
    /// What a free configuration that comes within the simulator's margin costs, metres of
    /// extra TCP distance (`exp(−(d + penalty)/λ)`); `None`: it scores 0, like a collision.
    pub margin_penalty: Option<f32>,
}

impl IkScore {
    /// The paper's score for `target`: 0 on contact, else exp(−distance in metres).
    pub fn new(target: Vec3) -> IkScore {
        IkScore {
            target,
            orientation: None,
            rotation_weight: SCORE_ROTATION_WEIGHT,
            length_scale: 1.0,
            margin_penalty: None,
        }
    }

    /// The score for a position or pose target: as [`IkScore::new`], with the orientation.
    pub fn for_target(target: &IkTarget) -> IkScore {
        IkScore {
            orientation: target.orientation,
            ..IkScore::new(target.position)
        }
    }

    /// The score for one observation with the tool frame `tool`; `within_margin` as
    /// [`IkObservation::within_margin`].
    pub fn score_one(&self, flags: &CollisionFlags, tool: &Pose, within_margin: bool) -> f32 {
        let (d_pos, d_rot) = IkTarget {
            position: self.target,
            orientation: self.orientation,
        }
        .errors(tool);
        let distance = d_pos + self.rotation_weight * d_rot;
        match (flags.any(), within_margin, self.margin_penalty) {
            (true, _, _) | (false, true, None) => 0.0,
            (false, true, Some(penalty)) => (-(distance + penalty) / self.length_scale).exp(),
            (false, false, _) => (-distance / self.length_scale).exp(),
        }
    }
}

impl mace_core::Score<IkObservation> for IkScore {
    fn score(&self, o: &IkObservation) -> mace_core::Result<Vec<f32>> {
        let identity = Pose::IDENTITY.rot;
        Ok(o.flags
            .iter()
            .zip(&o.tcp)
            .enumerate()
            .map(|(i, (f, &t))| {
                let tool = Pose {
                    rot: o.tool_rot.get(i).copied().unwrap_or(identity),
                    trans: t,
                };
                self.score_one(f, &tool, o.within_margin.get(i) == Some(&true))
            })
            .collect())
    }
}

/// The IK evidence of a scene: its simulator and its score with the scene's target.
pub fn ik_evidence(
    chain: &KinematicChain,
    scene: &Scene,
) -> mace_core::SimulatedEvidence<IkSimulator, IkScore> {
    mace_core::SimulatedEvidence::new(
        IkSimulator::new(chain, scene),
        IkScore::for_target(&scene.ik_target()),
    )
}

/// Like [`ik_evidence`], reusing `model`'s chain and pruned self-collision pairs (see
/// [`CollisionModel::for_scene`]) instead of preparing them again.
pub fn ik_evidence_for(
    model: &CollisionModel,
    scene: &Scene,
) -> mace_core::SimulatedEvidence<IkSimulator, IkScore> {
    mace_core::SimulatedEvidence::new(
        IkSimulator {
            model: model.for_scene(scene),
            margin_model: None,
        },
        IkScore::for_target(&scene.ik_target()),
    )
}

/// The IK evidence of `scene` with a soft safety margin: a free configuration that comes
/// within `margin` metres of a box (up to √3 × `margin` near its corners: the boxes are grown
/// as in [`Scene::inflated`]) scores as if its TCP were `penalty` metres further from the
/// target (instead of 0, as with [`ik_evidence_for`] on [`Scene::inflated`]). Ranking then
/// prefers configurations clear of the margin, yet still prefers a near-target one that is only
/// just free to a clear one further than `penalty` away. Reuses `model`'s prepared pairs.
pub fn ik_evidence_with_margin(
    model: &CollisionModel,
    scene: &Scene,
    margin: f32,
    penalty: f32,
) -> mace_core::SimulatedEvidence<IkSimulator, IkScore> {
    let simulator = IkSimulator {
        model: model.for_scene(scene),
        margin_model: Some(model.for_scene(&scene.inflated(margin))),
    };
    let score = IkScore {
        margin_penalty: Some(penalty),
        ..IkScore::for_target(&scene.ik_target())
    };
    mace_core::SimulatedEvidence::new(simulator, score)
}
