//! How well a pose prior alone reaches poses ([`evaluate_pose_prior`]): the best of its samples
//! against reachable targets, position and orientation of the tool.
//!
//! Errors are measured on the tip link's frame (base frame): position error in metres, rotation
//! error the angle of `R_targetᵀ R_sample`.

use std::fmt::Write as _;
use std::time::Instant;

use mace_models::features::{rotation_from_6d, POSE_CONTEXT_DIM};
use mace_robot::math::Pose;
use mace_robot::{CollisionModel, Dataset, DatasetConfig, Robot, Scene};
use rand::{rngs::StdRng, SeedableRng};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::prior::{pose_contexts, tool_pose, IkPrior};
use crate::error::{fail, Result};

/// A sample reaches a pose when its tool is within this distance of it, metres …
pub const POSE_TOLERANCE_M: f32 = 0.005;
/// … and within this angle, degrees.
pub const POSE_TOLERANCE_DEG: f32 = 5.0;

/// The angle between two rotations (row-major), degrees: that of `aᵀ b`, from the Frobenius
/// distance (‖a − b‖ = 2√2 sin(θ/2)), accurate at small angles.
pub fn rotation_angle_deg(a: &[[f32; 3]; 3], b: &[[f32; 3]; 3]) -> f32 {
    let d2: f64 = (0..3)
        .flat_map(|i| (0..3).map(move |j| f64::from(a[i][j] - b[i][j]).powi(2)))
        .sum();
    let s = (d2.sqrt() / (2.0 * std::f64::consts::SQRT_2)).min(1.0);
    (2.0 * s.asin()).to_degrees() as f32
}

/// How the pose prior did on one target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PoseTargetEval {
    /// The target's pose context (position, metres; first two rotation columns).
    pub target: Vec<f32>,
    /// Samples within both tolerances.
    pub hits: usize,
    /// The best sample (smallest of the larger of its two errors over their tolerances): its
    /// position error, metres …
    pub best_position_error: f32,
    /// … and its rotation error, degrees.
    pub best_rotation_error_deg: f32,
}

/// How well a pose prior alone reaches reachable poses: [`evaluate_pose_prior`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PoseEvalReport {
    /// The prior's folder.
    pub prior: String,
    /// The robot.
    pub robot: String,
    /// Targets: tool poses of self-collision-free random configurations.
    pub targets: usize,
    /// Samples per target.
    pub samples: usize,
    /// Seed of the targets (that of the samples is one more).
    pub seed: u64,
    /// Position tolerance, metres.
    pub tolerance_m: f32,
    /// Rotation tolerance, degrees.
    pub tolerance_deg: f32,
    /// Fraction of targets with at least one sample within both tolerances.
    pub reached: f64,
    /// Fraction of all samples within both tolerances.
    pub hit_rate: f64,
    /// Median over all samples of the position error, metres.
    pub median_position_error: f32,
    /// Median over all samples of the rotation error, degrees.
    pub median_rotation_error_deg: f32,
    /// Median over targets of the best sample's position error, metres.
    pub median_best_position_error: f32,
    /// Median over targets of the best sample's rotation error, degrees.
    pub median_best_rotation_error_deg: f32,
    /// The hardest target's best sample (the target whose best sample is furthest out of
    /// tolerance): position error, metres …
    pub worst_best_position_error: f32,
    /// … and rotation error, degrees.
    pub worst_best_rotation_error_deg: f32,
    /// Fraction of samples in self-collision.
    pub self_collision_rate: f64,
    /// Seconds spent sampling.
    pub sampling_seconds: f64,
    /// Per target.
    pub per_target: Vec<PoseTargetEval>,
}

/// How far a sample's `(position m, rotation °)` errors are out of tolerance: ≤ 1 within both.
fn score(e: (f32, f32)) -> f32 {
    (e.0 / POSE_TOLERANCE_M).max(e.1 / POSE_TOLERANCE_DEG)
}

/// Draws `n_targets` reachable poses (the tool poses of self-collision-free random
/// configurations of `robot`, seed `seed`), `samples` configurations from the pose prior for
/// each (seed `seed + 1`), and measures how close they come: the fraction of targets with a
/// sample within [`POSE_TOLERANCE_M`] and [`POSE_TOLERANCE_DEG`], and the errors.
///
/// # Errors
/// If the prior is not a pose prior of `robot`'s size, for no targets or samples, or more than
/// 10 M samples in all.
pub fn evaluate_pose_prior(
    prior: &IkPrior,
    robot: &Robot,
    n_targets: usize,
    samples: usize,
    seed: u64,
) -> Result<PoseEvalReport> {
    let chain = &robot.chain;
    if !prior.is_pose() || prior.model.config().dim() != chain.dof() {
        fail!(
            "{} is not a pose prior of robot `{}`",
            prior.dir.display(),
            robot.name
        );
    }
    if n_targets == 0 || samples == 0 || n_targets.saturating_mul(samples) > 10_000_000 {
        fail!(
            "cannot evaluate {n_targets} targets × {samples} samples: each at least 1, at most \
             10 M in all"
        );
    }
    let targets = Dataset::generate(chain, &DatasetConfig { n: n_targets, seed })?;
    let contexts = pose_contexts(chain, &targets.q)?;
    let collision = CollisionModel::new(chain, &Scene::empty([0.0; 3]));
    let mut rng = StdRng::seed_from_u64(seed.wrapping_add(1));
    let (mut sampling_seconds, mut self_hits) = (0.0, 0usize);
    let (mut all_position, mut all_rotation) = (Vec::new(), Vec::new());
    let mut per_target = Vec::with_capacity(n_targets);
    for context in contexts.chunks_exact(POSE_CONTEXT_DIM) {
        let start = Instant::now();
        let q = prior.sampler.sample(context, samples, &mut rng);
        sampling_seconds += start.elapsed().as_secs_f64();
        let position = [context[0], context[1], context[2]];
        let rotation = rotation_from_6d(&context[3..]);
        let errors: Vec<(f32, f32)> = q
            .par_chunks(chain.dof())
            .map_init(
                || vec![Pose::IDENTITY; chain.links().len()],
                |poses, qq| {
                    let tool = tool_pose(chain, qq, poses);
                    let d = (0..3)
                        .map(|i| (tool.trans[i] - position[i]).powi(2))
                        .sum::<f32>()
                        .sqrt();
                    (d, rotation_angle_deg(&rotation, &tool.rot))
                },
            )
            .collect();
        self_hits += collision
            .check_batch(&q)?
            .iter()
            .filter(|f| f.self_collision)
            .count();
        let best = errors
            .iter()
            .copied()
            .min_by(|a, b| score(*a).total_cmp(&score(*b)))
            .unwrap_or((f32::NAN, f32::NAN));
        per_target.push(PoseTargetEval {
            target: context.to_vec(),
            hits: errors.iter().filter(|e| score(**e) <= 1.0).count(),
            best_position_error: best.0,
            best_rotation_error_deg: best.1,
        });
        all_position.extend(errors.iter().map(|e| e.0));
        all_rotation.extend(errors.iter().map(|e| e.1));
    }
    let total = (n_targets * samples) as f64;
    let best = |t: &PoseTargetEval| (t.best_position_error, t.best_rotation_error_deg);
    let worst = per_target
        .iter()
        .max_by(|a, b| score(best(a)).total_cmp(&score(best(b))))
        .map_or((f32::NAN, f32::NAN), best);
    Ok(PoseEvalReport {
        prior: prior.dir.display().to_string(),
        robot: robot.name.clone(),
        targets: n_targets,
        samples,
        seed,
        tolerance_m: POSE_TOLERANCE_M,
        tolerance_deg: POSE_TOLERANCE_DEG,
        reached: per_target.iter().filter(|t| t.hits > 0).count() as f64 / n_targets as f64,
        hit_rate: per_target.iter().map(|t| t.hits).sum::<usize>() as f64 / total,
        median_position_error: median(all_position),
        median_rotation_error_deg: median(all_rotation),
        median_best_position_error: median(per_target.iter().map(|t| best(t).0).collect()),
        median_best_rotation_error_deg: median(per_target.iter().map(|t| best(t).1).collect()),
        worst_best_position_error: worst.0,
        worst_best_rotation_error_deg: worst.1,
        self_collision_rate: self_hits as f64 / total,
        sampling_seconds,
        per_target,
    })
}

/// The middle value (the upper one of an even count).
fn median(mut v: Vec<f32>) -> f32 {
    v.sort_by(f32::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f32::NAN)
}

impl PoseEvalReport {
    /// The figures as a Markdown table.
    pub fn markdown(&self) -> String {
        let mut md = String::new();
        let _ = writeln!(
            md,
            "Pose prior {} ({}) on {} reachable poses, {} samples each (seed {}):\n",
            self.prior, self.robot, self.targets, self.samples, self.seed
        );
        let _ = writeln!(md, "| figure | value |\n|---|---|");
        let (mm, deg) = (self.tolerance_m * 1e3, self.tolerance_deg);
        let errors = |p: f32, r: f32| format!("{:.2} mm, {:.2}°", p * 1e3, r);
        let rows = [
            (
                format!("poses reached by a sample within {mm} mm and {deg}°"),
                format!("{:.1}%", 100.0 * self.reached),
            ),
            (
                "samples within both tolerances".into(),
                format!("{:.2}%", 100.0 * self.hit_rate),
            ),
            (
                "median error of raw samples".into(),
                errors(self.median_position_error, self.median_rotation_error_deg),
            ),
            (
                format!("median error of the best of {}", self.samples),
                errors(
                    self.median_best_position_error,
                    self.median_best_rotation_error_deg,
                ),
            ),
            (
                "hardest pose's best sample".into(),
                errors(
                    self.worst_best_position_error,
                    self.worst_best_rotation_error_deg,
                ),
            ),
            (
                "self-collision rate of samples".into(),
                format!("{:.3}", self.self_collision_rate),
            ),
            (
                format!("sampling, per {} samples", self.samples),
                format!(
                    "{:.1} ms",
                    self.sampling_seconds * 1e3 / self.targets.max(1) as f64
                ),
            ),
        ];
        for (name, value) in rows {
            let _ = writeln!(md, "| {name} | {value} |");
        }
        md
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ik::prior::{load_pose_prior, load_prior, new_prior, tool_frame, train_prior};
    use crate::ik::IkTrainConfig;
    use mace_models::features::{rotation_from_6d, POSE_FEATURES_PER_JOINT};

    /// The robots with a pose prior in `assets/priors/{robot}-ik-pose`.
    const SHIPPED_POSE_PRIORS: [&str; 3] = ["panda", "iiwa14", "xarm6"];

    fn tiny() -> IkTrainConfig {
        IkTrainConfig {
            epochs: 1,
            hidden: vec![8],
            components: 2,
            pose: true,
            ..IkTrainConfig::default()
        }
    }

    fn data(robot: &Robot, n: usize) -> Dataset {
        Dataset::generate(&robot.chain, &DatasetConfig { n, seed: 0 }).unwrap()
    }

    /// A tiny untrained pose prior of `robot`, saved in `dir` and loaded back.
    fn tiny_prior(robot: &Robot, dir: &std::path::Path) -> IkPrior {
        let model = new_prior(robot, &data(robot, 64), &tiny()).unwrap();
        mace_models::checkpoint::save_ar_gmm(&model, None, dir).unwrap();
        load_pose_prior(Some(dir), robot).unwrap()
    }

    /// The tool frame, the contexts from forward kinematics and the model's pose features
    /// describe the same arm: seen from the last joint, the wrist point the features derive
    /// from the pose is at its origin and the axis they derive is its own.
    #[test]
    fn contexts_and_features_agree_with_forward_kinematics() {
        for name in ["panda", "iiwa14", "xarm6"] {
            let robot = Robot::builtin(name).unwrap();
            let chain = &robot.chain;
            let set = data(&robot, 20);
            let model = new_prior(&robot, &set, &tiny()).unwrap();
            let features = model.config().chain.clone().unwrap();
            assert_eq!(features.pose, Some(tool_frame(chain).unwrap()));
            let contexts = pose_contexts(chain, &set.q).unwrap();
            let (d, f) = (chain.dof(), POSE_FEATURES_PER_JOINT);
            let mut poses = vec![Pose::IDENTITY; chain.links().len()];
            for (q, c) in set.q.chunks_exact(d).zip(contexts.chunks_exact(9)) {
                let tool = tool_pose(chain, q, &mut poses);
                assert_eq!(c[..3], tool.trans);
                assert!(rotation_angle_deg(&rotation_from_6d(&c[3..]), &tool.rot) < 1e-3);
                let mut out = vec![0.0; d * f];
                features.all_features(q, c, &mut out);
                let last = &out[(d - 1) * f..];
                assert!(
                    last[6..10].iter().all(|v| v.abs() < 2e-5),
                    "{name}: {last:?}"
                );
                assert!((last[20] - 1.0).abs() < 1e-5, "{name}: {last:?}");
            }
        }
    }

    #[test]
    fn rotation_angles() {
        let id = Pose::IDENTITY.rot;
        for deg in [0.01f32, 1.0, 5.0, 90.0, 179.0] {
            let r = Pose::from_axis_angle([0.0, 0.6, 0.8], deg.to_radians()).rot;
            let got = rotation_angle_deg(&id, &r);
            assert!((got - deg).abs() < 1e-3 * deg.max(1.0), "{deg}: {got}");
        }
    }

    /// Each loader refuses the other kind in one line; the pose prior knows it is one.
    #[test]
    fn loaders_refuse_the_other_kind() {
        let robot = Robot::builtin("panda").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let pose = tiny_prior(&robot, dir.path());
        assert!(pose.is_pose());
        let e = load_prior(Some(dir.path()), &robot)
            .unwrap_err()
            .to_string();
        assert!(e.contains("pose prior") && !e.contains('\n'), "{e}");
        let position = load_prior(None, &robot).unwrap();
        assert!(!position.is_pose());
        let e = load_pose_prior(Some(&position.dir), &robot)
            .unwrap_err()
            .to_string();
        assert!(e.contains("position only") && !e.contains('\n'), "{e}");
        let e = evaluate_pose_prior(&position, &robot, 2, 10, 0)
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a pose prior"), "{e}");
        // A pose prior of another robot is refused as a position prior of one is.
        let xarm = Robot::builtin("xarm6").unwrap();
        let e = load_pose_prior(Some(dir.path()), &xarm)
            .unwrap_err()
            .to_string();
        assert!(e.contains("xarm6"), "{e}");
        // Training checks the model is of the kind it makes.
        let config = IkTrainConfig {
            pose: false,
            ..tiny()
        };
        let set = data(&robot, 64);
        let e = train_prior(&pose.model, &robot, &set, "x", &config, &mut |_, _| Ok(()))
            .unwrap_err()
            .to_string();
        assert!(e.contains("context values"), "{e}");
    }

    /// The evaluation of a tiny model: seeded, its figures in range, its table printed.
    #[test]
    fn evaluation_of_a_tiny_model() {
        let robot = Robot::builtin("panda").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let prior = tiny_prior(&robot, dir.path());
        let run = || evaluate_pose_prior(&prior, &robot, 3, 50, 4).unwrap();
        let (a, b) = (run(), run());
        assert_eq!(a.per_target, b.per_target);
        assert_eq!((a.targets, a.samples, a.per_target.len()), (3, 50, 3));
        assert!((0.0..=1.0).contains(&a.reached) && (0.0..=1.0).contains(&a.hit_rate));
        assert!(a.median_best_position_error <= a.median_position_error + 1e-6);
        assert!(a
            .per_target
            .iter()
            .all(|t| t.best_rotation_error_deg <= 180.0));
        let md = a.markdown();
        assert!(
            md.contains("| poses reached by a sample within 5 mm and 5° |"),
            "{md}"
        );
        assert!(evaluate_pose_prior(&prior, &robot, 0, 50, 4).is_err());
    }

    /// The shipped pose priors meet the bar: the best of 1000 samples within 5 mm and 5° on at
    /// least 95% of 200 reachable poses (seed 7); the position loader refuses them.
    #[test]
    fn shipped_pose_priors_reach_their_poses() {
        for name in SHIPPED_POSE_PRIORS {
            let robot = Robot::builtin(name).unwrap();
            let prior = load_pose_prior(None, &robot).unwrap();
            assert!(prior.is_pose(), "{name}");
            assert!(load_prior(Some(&prior.dir), &robot).is_err(), "{name}");
            let report = evaluate_pose_prior(&prior, &robot, 200, 1000, 7).unwrap();
            assert!(report.reached >= 0.95, "{name}: {}", report.markdown());
        }
    }
}
