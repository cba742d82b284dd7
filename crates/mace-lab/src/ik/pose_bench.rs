//! The pose-target bench (`mace bench ik-pose`): random reachable pose targets in free space,
//! and in the box scene with the hand inside the box, solved by the `prior`, `numeric`,
//! `hybrid` (and `mace`) methods; TRAC-IK's published Panda figures printed beside ours.
//!
//! Targets are tool frames of random collision-free configurations (fixed seed): in free space,
//! uniform in the joint limits; in the box, answers of the numeric position IK (random
//! restarts, collision rejection) for points drawn uniformly inside the box, at least
//! [`BOX_INSET`] from its plates — the hand reaches in through the open side (uniform
//! configurations put the TCP there collision-free once in 200,000).

use std::fmt::Write as _;
use std::time::Instant;

use mace_core::stats::Summary;
use mace_robot::math::Pose;
use mace_robot::solve::{Method, SolveConfig, SolveReport, SolveStatus, Solver};
use mace_robot::{CollisionModel, IkTarget, KinematicChain, Scene};
use rand::{rngs::StdRng, SeedableRng};
use serde::{Deserialize, Serialize};

use super::prior::IkPrior;
use super::recipe::TuneScope;
use super::trials::{solve_with_mace, MaceTuning};
use crate::error::{fail, Result};
use crate::progress::Progress;

/// Random restarts of the numeric IK per point drawn inside the box (a count, not a time
/// budget, so that the targets do not depend on the machine's speed).
pub const TARGET_RESTARTS: usize = 50;

/// How far inside the box's plates a box target's TCP lies, metres.
pub const BOX_INSET: f32 = 0.02;

/// TRAC-IK's published Panda figures (no obstacles): success rate and mean time, seconds.
pub const TRAC_IK_PANDA: (f64, f64) = (0.997, 0.38e-3);

/// Settings of the bench.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PoseBenchConfig {
    /// Targets per setting.
    pub targets: usize,
    /// Methods to run (table order).
    pub methods: Vec<Method>,
    /// Targets of the `mace` rows (it tunes once per target); 0 = no `mace` rows.
    pub mace_targets: usize,
    /// Seed of the targets and of the first solve (target i uses seed + i).
    pub seed: u64,
    /// Solver options (tolerances, budget).
    #[serde(skip)]
    pub solve: SolveConfig,
    /// Budget per solve, seconds (as in `solve`).
    pub budget_s: f64,
    /// Position tolerance counted as solved, metres.
    pub pos_tol_m: f32,
    /// Rotation tolerance counted as solved, degrees.
    pub rot_tol_deg: f32,
    /// Tuner settings of the `mace` rows.
    #[serde(skip)]
    pub tune: mace_core::TuneConfig,
}

/// One method in one setting.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PoseBenchRow {
    /// `free space` or `box`.
    pub setting: String,
    /// The method.
    pub method: Method,
    /// Targets solved.
    pub trials: usize,
    /// Answers collision-free within the position and rotation tolerances.
    pub solved: usize,
    /// Answers within 1 mm and 1°, collision-free.
    pub within_1mm_1deg: usize,
    /// Answers within 5 mm and 5°, collision-free.
    pub within_5mm_5deg: usize,
    /// Median solve time, seconds (`mace`: tuning included).
    pub time_median_s: f64,
    /// Mean solve time, seconds.
    pub time_mean_s: f64,
    /// 90th percentile of the solve time, seconds.
    pub time_p90_s: f64,
    /// Median position error of the collision-free answers, metres.
    pub error_median_m: Option<f64>,
    /// Median rotation error of the collision-free answers, degrees.
    pub rotation_error_median_deg: Option<f64>,
}

/// The bench as measured.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PoseBench {
    /// Robot name.
    pub robot: String,
    /// The prior's folder and whether it is a pose prior.
    pub prior: String,
    /// The prior conditions on the orientation.
    pub pose_prior: bool,
    /// The settings.
    pub config: PoseBenchConfig,
    /// One row per setting and method.
    pub rows: Vec<PoseBenchRow>,
    /// Every answer in the box, all methods (to check them in another engine).
    pub box_answers: Vec<SolveReport>,
    /// Drawing the targets, seconds.
    pub targets_s: f64,
}

/// `n` tool frames of random configurations collision-free in `scene` (and, with `inside`, with
/// the TCP inside that box, in its frame: centre, rotation, half sizes), drawn with `seed`.
///
/// # Errors
/// If fewer than `n` are found in 200 batches of 20,000 configurations (free space), or in
/// 50 × `n` IK attempts (inside a box).
pub fn reachable_pose_targets(
    chain: &KinematicChain,
    scene: &Scene,
    inside: Option<(Pose, [f32; 3])>,
    n: usize,
    seed: u64,
) -> Result<Vec<IkTarget>> {
    let model = CollisionModel::new(chain, scene);
    let mut rng = StdRng::seed_from_u64(seed);
    if let Some((frame, half)) = inside {
        let ik = mace_robot::IkSolver::new(
            model,
            mace_robot::IkConfig {
                time_budget: None,
                max_restarts: TARGET_RESTARTS,
                ..mace_robot::IkConfig::default()
            },
        );
        let mut out = Vec::with_capacity(n);
        for _ in 0..50 * n {
            if out.len() == n {
                break;
            }
            let local: [f32; 3] = std::array::from_fn(|k| {
                let h = half[k] - BOX_INSET;
                rand::Rng::random_range(&mut rng, -h..=h)
            });
            let r = ik.solve(frame.transform_point(local), None, &mut rng);
            if r.status == mace_robot::IkStatus::Converged && r.collision_free {
                let poses = chain.forward_kinematics(&r.q)?;
                out.push(IkTarget::from_tool_pose(&poses[chain.tip()]));
            }
        }
        if out.len() < n {
            fail!(
                "found {} of {n} pose targets inside the box of scene `{}`",
                out.len(),
                scene.name
            );
        }
        return Ok(out);
    }
    let mut out = Vec::with_capacity(n);
    let batch = 20_000;
    for _ in 0..200 {
        if out.len() >= n {
            break;
        }
        let q = chain.sample_uniform(batch, &mut rng);
        let poses = chain.forward_kinematics(&q)?;
        let links = chain.links().len();
        let dof = chain.dof();
        let mut keep_q = Vec::new();
        let mut keep_tool = Vec::new();
        for i in 0..batch {
            let tool = poses[i * links + chain.tip()];
            if let Some((frame, half)) = &inside {
                let p = frame.inverse_transform_point(tool.trans);
                if (0..3).any(|k| p[k].abs() > half[k] - BOX_INSET) {
                    continue;
                }
            }
            keep_q.extend_from_slice(&q[i * dof..(i + 1) * dof]);
            keep_tool.push(tool);
        }
        if keep_tool.is_empty() {
            continue;
        }
        let collides = model.collides_batch(&keep_q)?;
        for (tool, c) in keep_tool.iter().zip(collides) {
            if !c && out.len() < n {
                out.push(IkTarget::from_tool_pose(tool));
            }
        }
    }
    if out.len() < n {
        fail!(
            "found {} of {n} reachable collision-free pose targets in scene `{}`",
            out.len(),
            scene.name
        );
    }
    Ok(out)
}

/// The box scene's inside: the frame and half sizes of the space between its plates.
pub fn box_inside(scene: &Scene) -> Result<(Pose, [f32; 3])> {
    // The box's plates share one yaw; the space they bound is centred on the scene's target.
    let Some(first) = scene.boxes.first() else {
        fail!("scene `{}` has no boxes", scene.name);
    };
    let frame = Pose {
        rot: first.rot,
        trans: scene.target,
    };
    let mut half = [f32::INFINITY; 3];
    for b in &scene.boxes {
        let c = frame.inverse_transform_point(b.center);
        for k in 0..3 {
            // A plate across axis k bounds the inside at its near face.
            if b.size[k] < 0.01 {
                half[k] = half[k].min(c[k].abs() - 0.5 * b.size[k]);
            }
        }
    }
    if half.iter().any(|h| !h.is_finite() || *h <= BOX_INSET) {
        fail!("scene `{}` has no box to reach into", scene.name);
    }
    Ok((frame, half))
}

/// Runs the bench for `chain` with `prior`.
///
/// # Errors
/// If the targets cannot be drawn or a solve fails.
pub fn run_pose_bench(
    chain: &KinematicChain,
    robot: &str,
    prior: &IkPrior,
    config: &PoseBenchConfig,
    progress: &mut dyn Progress,
) -> Result<PoseBench> {
    let start = Instant::now();
    let free_scene = Scene::empty([0.0; 3]);
    let box_scene = Scene::by_name("box")?;
    let settings = [
        (
            "free space",
            reachable_pose_targets(chain, &free_scene, None, config.targets, config.seed)?,
            free_scene,
        ),
        (
            "box",
            reachable_pose_targets(
                chain,
                &box_scene,
                Some(box_inside(&box_scene)?),
                config.targets,
                config.seed,
            )?,
            box_scene,
        ),
    ];
    let targets_s = start.elapsed().as_secs_f64();
    let mut rows = Vec::new();
    let mut box_answers = Vec::new();
    for (setting, targets, scene) in &settings {
        let model = CollisionModel::new(chain, scene);
        for &method in &config.methods {
            let n = if method == Method::Mace {
                config.mace_targets.min(targets.len())
            } else {
                targets.len()
            };
            if n == 0 {
                continue;
            }
            let solver = Solver::new(model.clone(), config.solve.clone());
            let mace = MaceTuning {
                scene,
                config: config.tune.clone(),
                scope: TuneScope::default(),
            };
            progress.phase(&format!("{setting}: {method}"), n);
            let solve = |t: &IkTarget, seed: u64| -> Result<SolveReport> {
                let mut rng = StdRng::seed_from_u64(seed);
                if method == Method::Mace {
                    let (mut r, cost) = solve_with_mace(&solver, prior, &mace, t, &mut rng)?;
                    r.seconds += cost.seconds;
                    return Ok(r);
                }
                let mut sampler = |t: &IkTarget, n: usize, rng: &mut StdRng| {
                    super::pose::sample_for(prior, t, n, rng).unwrap_or_default()
                };
                Ok(solver.solve_target(method, t, &mut sampler, &mut rng)?)
            };
            // An untimed warm-up solve starts the thread pool and warms the caches.
            if method != Method::Mace {
                solve(&targets[0], u64::MAX)?;
            }
            let mut reports = Vec::with_capacity(n);
            for (i, t) in targets[..n].iter().enumerate() {
                reports.push(solve(t, config.seed.wrapping_add(i as u64))?);
                progress.advance("");
            }
            progress.finish();
            let row = summarise(setting, method, &reports);
            progress.log(&format!(
                "{setting}, {method}: {}/{} solved, {}/{} within 1 mm and 1°, median {:.2} ms",
                row.solved,
                row.trials,
                row.within_1mm_1deg,
                row.trials,
                row.time_median_s * 1e3
            ));
            rows.push(row);
            if *setting == "box" {
                box_answers.extend(reports);
            }
        }
    }
    Ok(PoseBench {
        robot: robot.to_string(),
        prior: prior.dir.display().to_string(),
        pose_prior: super::pose::is_pose_model(&prior.model),
        config: config.clone(),
        rows,
        box_answers,
        targets_s,
    })
}

fn summarise(setting: &str, method: Method, reports: &[SolveReport]) -> PoseBenchRow {
    let rot = |r: &SolveReport| r.rotation_error_deg.unwrap_or(0.0);
    let within = |mm: f32, deg: f32| {
        reports
            .iter()
            .filter(|r| r.collision_free && r.error <= mm * 1e-3 && rot(r) <= deg)
            .count()
    };
    let times: Vec<f64> = reports.iter().map(|r| r.seconds).collect();
    let t = Summary::of(&times);
    let mut sorted = times.clone();
    sorted.sort_by(f64::total_cmp);
    let p90 = sorted
        .get(((sorted.len() as f64 * 0.9).ceil() as usize).saturating_sub(1))
        .copied()
        .unwrap_or(0.0);
    let free: Vec<&SolveReport> = reports.iter().filter(|r| r.collision_free).collect();
    let pos: Vec<f64> = free.iter().map(|r| r.error as f64).collect();
    let rots: Vec<f64> = free.iter().map(|r| rot(r) as f64).collect();
    PoseBenchRow {
        setting: setting.to_string(),
        method,
        trials: reports.len(),
        solved: reports
            .iter()
            .filter(|r| r.status == SolveStatus::Solved)
            .count(),
        within_1mm_1deg: within(1.0, 1.0),
        within_5mm_5deg: within(5.0, 5.0),
        time_median_s: t.map_or(0.0, |t| t.median),
        time_mean_s: t.map_or(0.0, |t| t.mean),
        time_p90_s: p90,
        error_median_m: Summary::of(&pos).map(|s| s.median),
        rotation_error_median_deg: Summary::of(&rots).map(|s| s.median),
    }
}

impl PoseBench {
    /// The rows as a Markdown table, TRAC-IK's published figures beside.
    pub fn markdown(&self) -> String {
        let mut md = String::new();
        let _ = writeln!(
            md,
            "Robot {}, prior {} ({}); {} targets per setting; solved = collision-free within \
             {:.3} mm and {}°.\n",
            self.robot,
            self.prior,
            if self.pose_prior {
                "pose prior"
            } else {
                "position prior"
            },
            self.config.targets,
            self.config.pos_tol_m * 1e3,
            self.config.rot_tol_deg
        );
        let _ = writeln!(
            md,
            "| setting | method | solved | within 1 mm, 1° | within 5 mm, 5° | time median (ms) | mean (ms) | p90 (ms) | position error median (mm) | rotation error median (°) |"
        );
        let _ = writeln!(md, "|---|---|---|---|---|---|---|---|---|---|");
        for r in &self.rows {
            let pct = |k: usize| {
                format!(
                    "{k}/{} ({:.1}%)",
                    r.trials,
                    100.0 * k as f64 / r.trials.max(1) as f64
                )
            };
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} | {:.2} | {:.2} | {:.2} | {} | {} |",
                r.setting,
                r.method,
                pct(r.solved),
                pct(r.within_1mm_1deg),
                pct(r.within_5mm_5deg),
                r.time_median_s * 1e3,
                r.time_mean_s * 1e3,
                r.time_p90_s * 1e3,
                r.error_median_m
                    .map_or("n/a".into(), |e| format!("{:.3}", e * 1e3)),
                r.rotation_error_median_deg
                    .map_or("n/a".into(), |e| format!("{e:.3}")),
            );
        }
        let _ = writeln!(
            md,
            "| free space | TRAC-IK (published, Panda, no obstacles) | {:.1}% | | | | {:.2} | | | |",
            100.0 * TRAC_IK_PANDA.0,
            TRAC_IK_PANDA.1 * 1e3
        );
        md
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn box_targets_lie_inside_the_box() {
        let chain = KinematicChain::panda();
        let scene = Scene::by_name("box").unwrap();
        let inside = box_inside(&scene).unwrap();
        // The box: 0.26 × 0.2 × 0.2 m between plates 2.5 mm thick.
        let h = inside.1;
        assert!(
            (h[0] - 0.13).abs() < 2e-3 && (h[1] - 0.1).abs() < 2e-3,
            "{h:?}"
        );
        let targets = reachable_pose_targets(&chain, &scene, Some(inside), 5, 1).unwrap();
        for t in &targets {
            let p = inside.0.inverse_transform_point(t.position);
            assert!((0..3).all(|k| p[k].abs() <= h[k] - BOX_INSET));
            assert!(t.orientation.is_some());
        }
    }
}
