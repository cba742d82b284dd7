//! IK in a cluttered scene for any robot (`mace bench ik-scene`): targets whose known answers
//! pass close to the obstacles, solved by each method; time, accuracy and collision of every
//! answer, ready to be checked again in the reference engine.

use mace_robot::solve::{Method, SolveConfig, SolveStatus, Solver};
use mace_robot::{CollisionModel, KinematicChain, RobotStamp, Scene};
use rand::{rngs::StdRng, SeedableRng};
use serde::{Deserialize, Serialize};

use super::prior::IkPrior;
use super::trials::SolveStats;
use crate::error::{fail, Error, Result};
use crate::progress::Progress;

/// What [`run_scene_bench`] runs.
#[derive(Debug, Clone)]
pub struct SceneBenchConfig {
    /// Targets to solve.
    pub targets: usize,
    /// Seed of the targets (target `t` is solved with seed `seed + t`).
    pub seed: u64,
    /// Methods to compare, in table order.
    pub methods: Vec<Method>,
    /// Solver options (budget, tolerance, batch sizes).
    pub solve: SolveConfig,
    /// A target's known answer keeps at most this distance to the obstacles, metres: the
    /// targets are where clutter matters.
    pub near: f32,
}

impl SceneBenchConfig {
    /// `targets` targets from `seed`, the hybrid method, default solver options, answers within
    /// 5 cm of the obstacles.
    pub fn new(targets: usize, seed: u64) -> SceneBenchConfig {
        SceneBenchConfig {
            targets,
            seed,
            methods: vec![Method::Hybrid],
            solve: SolveConfig::default(),
            near: 0.05,
        }
    }
}

/// One solve of the bench.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SceneSolve {
    /// Index of the target.
    pub target: usize,
    /// The method.
    pub method: Method,
    /// Solved (collision-free within the tolerance) or not.
    pub solved: bool,
    /// The answer (best effort when not solved), rad.
    pub q: Vec<f32>,
    /// Its TCP distance to the target, metres.
    pub error: f32,
    /// Whether it is free of collision in our model.
    pub collision_free: bool,
    /// Solve time, seconds.
    pub seconds: f64,
}

/// One method's row.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SceneRow {
    /// Time, success and error statistics.
    pub stats: SolveStats,
    /// Fraction of targets solved within 0.1 mm, collision-free.
    pub within_0_1mm: f64,
    /// 90th percentile of the solve time, seconds.
    pub time_p90_s: f64,
}

/// What [`run_scene_bench`] measured.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SceneBench {
    /// The robot.
    pub robot: RobotStamp,
    /// The scene, as named.
    pub scene: String,
    /// Seed of the targets.
    pub seed: u64,
    /// Each target's known answer passes within this distance of the obstacles, metres.
    pub near: f32,
    /// The targets, metres, base frame.
    pub targets: Vec<[f32; 3]>,
    /// Random configurations drawn to find them.
    pub drawn: usize,
    /// One row per method.
    pub rows: Vec<SceneRow>,
    /// Every solve, method by method.
    pub solves: Vec<SceneSolve>,
}

impl SceneBench {
    /// The table as Markdown.
    pub fn markdown(&self) -> String {
        let mut s = format!(
            "{} in {}: {} targets whose known answers pass within {} mm of the obstacles \
             (seed {})\n\n| method | solved | within 0.1 mm | median time | p90 time | median error |\n\
             |---|---|---|---|---|---|\n",
            self.robot.name,
            self.scene,
            self.targets.len(),
            self.near * 1e3,
            self.seed
        );
        for r in &self.rows {
            s += &format!(
                "| {} | {}/{} | {:.1}% | {:.2} ms | {:.2} ms | {} |\n",
                r.stats.method,
                r.stats.solved,
                r.stats.trials,
                r.within_0_1mm * 100.0,
                r.stats.time_median_s * 1e3,
                r.time_p90_s * 1e3,
                r.stats
                    .error_median_m
                    .map_or("-".into(), |e| format!("{:.4} mm", e * 1e3))
            );
        }
        s
    }
}

/// Draws `n` targets: the TCPs of random configurations free of collision in `scene` whose
/// obstacle distance is at most `near` (and positive). Returns the targets and the number of
/// configurations drawn.
///
/// # Errors
/// If the scene leaves too few such configurations (none in 200 000 draws, or fewer than `n`
/// in 2 M), saying which kind of contact rules them out.
pub fn draw_targets(
    chain: &KinematicChain,
    scene: &Scene,
    n: usize,
    near: f32,
    seed: u64,
) -> Result<(Vec<[f32; 3]>, usize)> {
    const BATCH: usize = 4096;
    const MAX_DRAWS: usize = 2_000_000;
    const FIRST_LOOK: usize = 200_000;
    let model = CollisionModel::new(chain, scene);
    let mut rng = StdRng::seed_from_u64(seed);
    let mut targets = Vec::with_capacity(n);
    let mut drawn = 0;
    // Configurations free of self-collision, of the ground, of both and of the obstacles too.
    let mut free = [0usize; 4];
    while targets.len() < n {
        if drawn >= MAX_DRAWS || (drawn >= FIRST_LOOK && targets.is_empty()) {
            let pct = |k: usize| 100.0 * free[k] as f64 / drawn.max(1) as f64;
            fail!(
                "only {} of {n} targets found in {drawn} random configurations: {:.1}% are free \
                 of self-collision, {:.1}% of the ground, {:.1}% of both, {:.1}% of the obstacles \
                 too, and of those none pass within {near} m of the obstacles{}",
                targets.len(),
                pct(0),
                pct(1),
                pct(2),
                pct(3),
                if pct(2) < 1.0 {
                    " (is the robot's base below the ground, or do its links always overlap?)"
                } else {
                    ""
                }
            );
        }
        let q = chain.sample_uniform(BATCH, &mut rng);
        drawn += BATCH;
        let distances = model.distances_batch(&q)?;
        let tcps = chain.tcp_positions(&q)?;
        for (d, tcp) in distances.iter().zip(tcps) {
            let (self_free, ground_free) = (d.self_distance > 0.0, d.ground_distance > 0.0);
            free[0] += usize::from(self_free);
            free[1] += usize::from(ground_free);
            free[2] += usize::from(self_free && ground_free);
            let all_free = self_free && ground_free && d.obstacle_distance > 0.0;
            free[3] += usize::from(all_free);
            if all_free && d.obstacle_distance <= near && targets.len() < n {
                targets.push(tcp);
            }
        }
    }
    Ok((targets, drawn))
}

/// Solves every target with every method of `config` (one warm-up solve each first) and
/// summarises.
///
/// # Errors
/// [`Error::Invalid`] for zero targets or no method; a method that needs the prior without
/// one; a failed solve.
pub fn run_scene_bench(
    prior: Option<&IkPrior>,
    robot: &mace_robot::Robot,
    scene: &Scene,
    scene_name: &str,
    config: &SceneBenchConfig,
    progress: &mut dyn Progress,
) -> Result<SceneBench> {
    if config.targets == 0 {
        return Err(Error::Invalid {
            field: "--targets",
            value: "0".into(),
            reason: "must be at least 1".into(),
        });
    }
    if config.methods.is_empty() {
        fail!("no solve method to benchmark");
    }
    if config.methods.contains(&Method::Mace) {
        fail!("the scene bench compares prior, numeric and hybrid; tune with `mace ik tune`");
    }
    if prior.is_none() && config.methods.iter().any(|m| m.needs_prior()) {
        fail!("methods prior and hybrid need the IK prior");
    }
    let chain = &robot.chain;
    let (targets, drawn) = draw_targets(chain, scene, config.targets, config.near, config.seed)?;
    let solver = Solver::new(CollisionModel::new(chain, scene), config.solve.clone());
    let mut rows = Vec::new();
    let mut solves = Vec::new();
    for &method in &config.methods {
        progress.phase(method.name(), targets.len());
        let mut sampler = |t: [f32; 3], n: usize, rng: &mut StdRng| match prior {
            Some(p) => p.sampler.sample(&t, n, rng),
            None => Vec::new(),
        };
        // An untimed warm-up solve starts the thread pool and warms the caches.
        solver.solve(
            method,
            targets[0],
            &mut sampler,
            &mut StdRng::seed_from_u64(u64::MAX),
        )?;
        let mut reports = Vec::with_capacity(targets.len());
        for (t, &target) in targets.iter().enumerate() {
            let mut rng = StdRng::seed_from_u64(config.seed.wrapping_add(t as u64));
            let r = solver.solve(method, target, &mut sampler, &mut rng)?;
            solves.push(SceneSolve {
                target: t,
                method,
                solved: r.status == SolveStatus::Solved,
                q: r.q.clone(),
                error: r.error,
                collision_free: r.collision_free,
                seconds: r.seconds,
            });
            reports.push(r);
            let solved = reports
                .iter()
                .filter(|r| r.status == SolveStatus::Solved)
                .count();
            progress.advance(&format!("{solved}/{} solved", reports.len()));
        }
        progress.finish();
        let stats = SolveStats::of(method, &reports);
        let within = reports
            .iter()
            .filter(|r| r.collision_free && r.error <= 1e-4)
            .count() as f64
            / reports.len() as f64;
        let times: Vec<f64> = reports.iter().map(|r| r.seconds).collect();
        rows.push(SceneRow {
            stats,
            within_0_1mm: within,
            time_p90_s: percentile(&times, 0.9),
        });
    }
    Ok(SceneBench {
        robot: robot.stamp(),
        scene: scene_name.to_string(),
        seed: config.seed,
        near: config.near,
        targets,
        drawn,
        rows,
        solves,
    })
}

/// The `p`-quantile of `values` (nearest rank), 0 for none.
fn percentile(values: &[f64], p: f64) -> f64 {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    let rank = ((p * v.len() as f64).ceil() as usize).clamp(1, v.len());
    v[rank - 1]
}
