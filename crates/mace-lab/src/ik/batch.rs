//! Many IK problems at once (`mace ik solve --targets FILE`): one loaded robot, scene, collision
//! model and prior solve every target, spread over the cores; one record per target and a
//! summary with the throughput.
//!
//! Target `i` is solved with the seed `seed + i` whatever the number of threads, so a batch
//! gives the same answers on any machine (times aside).

use std::path::Path;
use std::time::Instant;

use mace_core::stats::Summary;
use mace_robot::solve::{Method, SolveStatus, Solver};
use rand::{rngs::StdRng, SeedableRng};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::prior::IkPrior;
use crate::error::{fail, Error, Result};
use crate::progress::Progress;

/// Most targets one batch takes.
pub const MAX_TARGETS: usize = 1_000_000;

/// How one target of a batch ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BatchStatus {
    /// A collision-free answer within the tolerance.
    Solved,
    /// Nothing acceptable within the budget; `q` is the best effort.
    NotFound,
    /// Beyond the arm's reach: not attempted, `q` is empty.
    Unreachable,
}

/// One target's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchSolve {
    /// Position of the target in the input file.
    pub index: usize,
    /// The target, metres, base frame.
    pub target: [f32; 3],
    /// How the solve ended.
    pub status: BatchStatus,
    /// The configuration, rad (the best effort when not solved; empty when unreachable).
    pub q: Vec<f32>,
    /// Its TCP position, metres.
    pub tcp: [f32; 3],
    /// Its TCP distance to the target, metres.
    pub error_m: f32,
    /// Free of self, obstacle and ground collision.
    pub collision_free: bool,
    /// Its smallest signed distance to obstacles, ground and between links, metres.
    pub min_distance_m: f32,
    /// Solve time, seconds (on one core, beside the other solves).
    pub seconds: f64,
    /// Prior samples drawn.
    pub samples: usize,
    /// Numeric IK iterations.
    pub iterations: usize,
}

/// What a batch measured.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BatchSummary {
    /// The method.
    pub method: Method,
    /// Targets given.
    pub targets: usize,
    /// Targets solved (collision-free within the tolerance).
    pub solved: usize,
    /// Targets beyond the arm's reach (not attempted).
    pub unreachable: usize,
    /// `solved / targets`.
    pub success_rate: f64,
    /// Wall-clock time of the solves, seconds (the set-up excluded).
    pub wall_s: f64,
    /// Targets answered per second of wall-clock time.
    pub targets_per_s: f64,
    /// Solutions found per second of wall-clock time.
    pub solved_per_s: f64,
    /// Median solve time of one target, seconds.
    pub time_median_s: f64,
    /// 90th percentile of the solve time, seconds.
    pub time_p90_s: f64,
    /// Slowest solve, seconds.
    pub time_max_s: f64,
    /// Median TCP error of the solved targets, metres.
    pub error_median_m: Option<f64>,
    /// Largest TCP error of the solved targets, metres.
    pub error_max_m: Option<f64>,
    /// Threads the solves ran on.
    pub threads: usize,
    /// Seed of target 0 (target `i` uses `seed + i`).
    pub seed: u64,
}

/// Solves every target with `method`; target `i` with seed `seed + i`, spread over the rayon
/// pool. Targets beyond the arm's reach are reported [`BatchStatus::Unreachable`], not solved.
/// `progress` advances once per chunk of targets.
///
/// # Errors
/// [`Error::Invalid`] for no targets or more than [`MAX_TARGETS`]; a method that needs the prior
/// without one; [`Method::Mace`] (tune with `mace ik tune`, then solve with its posterior); a
/// solve that fails (bad samples, a non-finite target).
pub fn solve_batch(
    solver: &Solver,
    method: Method,
    targets: &[[f32; 3]],
    prior: Option<&IkPrior>,
    seed: u64,
    progress: &mut dyn Progress,
) -> Result<(Vec<BatchSolve>, BatchSummary)> {
    if targets.is_empty() || targets.len() > MAX_TARGETS {
        return Err(Error::Invalid {
            field: "--targets",
            value: format!("{} targets", targets.len()),
            reason: format!("a batch takes 1 to {MAX_TARGETS}"),
        });
    }
    if method == Method::Mace {
        fail!(
            "a batch solves with prior, numeric or hybrid; tune one problem with `mace ik tune` \
             and solve with its posterior"
        );
    }
    if method.needs_prior() && prior.is_none() {
        fail!("method {method} needs the IK prior");
    }
    let chain = solver.model().chain();
    let (centre, radius) = chain.reach_sphere();
    let reachable = |t: &[f32; 3]| {
        (0..3)
            .map(|i| (t[i] - centre[i]).powi(2))
            .sum::<f32>()
            .sqrt()
            <= radius
    };
    let solve_one = |index: usize| -> Result<BatchSolve> {
        let target = targets[index];
        if !reachable(&target) {
            return Ok(BatchSolve {
                index,
                target,
                status: BatchStatus::Unreachable,
                q: Vec::new(),
                tcp: [0.0; 3],
                error_m: f32::INFINITY,
                collision_free: false,
                min_distance_m: 0.0,
                seconds: 0.0,
                samples: 0,
                iterations: 0,
            });
        }
        let mut sampler = |t: [f32; 3], n: usize, rng: &mut StdRng| match prior {
            Some(p) => p.sampler.sample(&t, n, rng),
            None => Vec::new(),
        };
        let mut rng = StdRng::seed_from_u64(seed.wrapping_add(index as u64));
        let r = solver.solve(method, target, &mut sampler, &mut rng)?;
        let d = &r.distances;
        Ok(BatchSolve {
            index,
            target,
            status: match r.status {
                SolveStatus::Solved => BatchStatus::Solved,
                SolveStatus::NotFound => BatchStatus::NotFound,
            },
            q: r.q,
            tcp: r.tcp,
            error_m: r.error,
            collision_free: r.collision_free,
            min_distance_m: d
                .obstacle_distance
                .min(d.ground_distance)
                .min(d.self_distance),
            seconds: r.seconds,
            samples: r.samples,
            iterations: r.iterations,
        })
    };
    // An untimed warm-up solve starts the thread pool and warms the caches.
    if let Some(first) = (0..targets.len()).find(|&i| reachable(&targets[i])) {
        solve_one(first)?;
    }
    let threads = rayon::current_num_threads();
    let chunk = (threads * 16).max(16);
    progress.phase(method.name(), targets.len());
    let start = Instant::now();
    let mut solves = Vec::with_capacity(targets.len());
    let mut solved = 0;
    for lo in (0..targets.len()).step_by(chunk) {
        let hi = (lo + chunk).min(targets.len());
        let part = (lo..hi)
            .into_par_iter()
            .map(solve_one)
            .collect::<Result<Vec<_>>>()?;
        solved += part
            .iter()
            .filter(|s| s.status == BatchStatus::Solved)
            .count();
        solves.extend(part);
        for _ in lo..hi {
            progress.advance(&format!("{solved} solved"));
        }
    }
    let wall_s = start.elapsed().as_secs_f64();
    progress.finish();
    let summary = summarise(method, &solves, wall_s, threads, seed);
    Ok((solves, summary))
}

/// The summary of a batch's answers.
fn summarise(
    method: Method,
    solves: &[BatchSolve],
    wall_s: f64,
    threads: usize,
    seed: u64,
) -> BatchSummary {
    let n = solves.len();
    let solved = solves
        .iter()
        .filter(|s| s.status == BatchStatus::Solved)
        .count();
    let unreachable = solves
        .iter()
        .filter(|s| s.status == BatchStatus::Unreachable)
        .count();
    let mut times: Vec<f64> = solves
        .iter()
        .filter(|s| s.status != BatchStatus::Unreachable)
        .map(|s| s.seconds)
        .collect();
    times.sort_by(f64::total_cmp);
    let t = Summary::of(&times);
    let p90 = times
        .get(((0.9 * times.len() as f64).ceil() as usize).saturating_sub(1))
        .copied()
        .unwrap_or(0.0);
    let errors: Vec<f64> = solves
        .iter()
        .filter(|s| s.status == BatchStatus::Solved)
        .map(|s| s.error_m as f64)
        .collect();
    let e = Summary::of(&errors);
    let per_s = |k: usize| if wall_s > 0.0 { k as f64 / wall_s } else { 0.0 };
    BatchSummary {
        method,
        targets: n,
        solved,
        unreachable,
        success_rate: solved as f64 / n.max(1) as f64,
        wall_s,
        targets_per_s: per_s(n),
        solved_per_s: per_s(solved),
        time_median_s: t.map_or(0.0, |t| t.median),
        time_p90_s: p90,
        time_max_s: t.map_or(0.0, |t| t.max),
        error_median_m: e.map(|e| e.median),
        error_max_m: e.map(|e| e.max),
        threads,
        seed,
    }
}

/// Reads position targets from a file, by its extension: `.npy` an `(n, 3)` float array;
/// `.jsonl` one target per line; `.json` an array. A target in JSON is `[x, y, z]` or an
/// object with `"position": [x, y, z]` (or `"target"`). Metres, base frame.
///
/// # Errors
/// [`Error::BadFile`] naming the file and the target (its line for JSON lines) that is not
/// three finite numbers; more than [`MAX_TARGETS`]; none.
pub fn read_targets(path: &Path) -> Result<Vec<[f32; 3]>> {
    let bad = |reason: String| Error::BadFile {
        path: path.to_path_buf(),
        reason,
    };
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let targets = match ext.as_str() {
        "npy" => {
            let bytes = mace_core::fs::read_file(path, (MAX_TARGETS as u64) * 3 * 8 + 4096)?;
            let a =
                mace_core::npy::decode_f32(&bytes, &path.display().to_string(), MAX_TARGETS * 3)
                    .map_err(|e| Error::Failed(e.to_string()))?;
            if !matches!(a.shape.as_slice(), [_, 3]) {
                return Err(bad(format!(
                    "an array of shape {:?}; targets are (n, 3)",
                    a.shape
                )));
            }
            let mut out = Vec::with_capacity(a.data.len() / 3);
            for (i, p) in a.data.chunks_exact(3).enumerate() {
                if !p.iter().all(|x| x.is_finite()) {
                    return Err(bad(format!(
                        "target {i} = {p:?} is not three finite numbers"
                    )));
                }
                out.push([p[0], p[1], p[2]]);
            }
            out
        }
        "jsonl" | "ndjson" => {
            let text = mace_core::fs::read_text(path, mace_core::fs::TEXT_LIMIT)?;
            let mut out = Vec::new();
            for (i, line) in text.lines().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                if out.len() == MAX_TARGETS {
                    return Err(bad(format!("more than {MAX_TARGETS} targets")));
                }
                let v: serde_json::Value = serde_json::from_str(line)
                    .map_err(|e| bad(format!("line {}: not JSON: {e}", i + 1)))?;
                out.push(target_of(&v).map_err(|r| bad(format!("line {}: {r}", i + 1)))?);
            }
            out
        }
        "json" => {
            let text = mace_core::fs::read_text(path, mace_core::fs::TEXT_LIMIT)?;
            let v: serde_json::Value =
                serde_json::from_str(&text).map_err(|e| bad(format!("not JSON: {e}")))?;
            let list = match &v {
                serde_json::Value::Array(a) => a,
                serde_json::Value::Object(o) => match o.get("targets") {
                    Some(serde_json::Value::Array(a)) => a,
                    _ => return Err(bad("expected an array of targets or `targets`".into())),
                },
                _ => return Err(bad("expected an array of targets or `targets`".into())),
            };
            if list.len() > MAX_TARGETS {
                return Err(bad(format!(
                    "{} targets, more than {MAX_TARGETS}",
                    list.len()
                )));
            }
            list.iter()
                .enumerate()
                .map(|(i, v)| target_of(v).map_err(|r| bad(format!("target {i}: {r}"))))
                .collect::<Result<Vec<_>>>()?
        }
        _ => {
            return Err(bad(format!(
                "unknown extension `{ext}`: targets come as .json, .jsonl or .npy"
            )))
        }
    };
    if targets.is_empty() {
        return Err(bad("no targets".into()));
    }
    Ok(targets)
}

/// Where a targets file came from (`mace ik targets`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TargetsMeta {
    /// The robot's name.
    pub robot: String,
    /// The scene's name.
    pub scene: String,
    /// Seed of the random configurations.
    pub seed: u64,
    /// Targets' configurations pass within this distance of the obstacles, metres (`None`:
    /// anywhere collision-free).
    pub near_m: Option<f32>,
    /// Random configurations drawn to find the targets.
    pub drawn: usize,
}

/// A targets file's bytes for the extension `ext` (what [`read_targets`] reads back): `json`
/// (`{"targets": [[x, y, z], …]}` beside `meta`), `jsonl` (one `[x, y, z]` per line) or `npy`
/// (float32 `(n, 3)`).
///
/// # Errors
/// [`Error::Invalid`] for another extension.
pub fn encode_targets(targets: &[[f32; 3]], ext: &str, meta: &TargetsMeta) -> Result<Vec<u8>> {
    match ext {
        "npy" => Ok(mace_core::npy::encode_f32(
            targets.as_flattened(),
            &[targets.len(), 3],
        )),
        "json" => {
            #[derive(Serialize)]
            struct File<'a> {
                #[serde(flatten)]
                meta: &'a TargetsMeta,
                targets: &'a [[f32; 3]],
            }
            serde_json::to_vec_pretty(&File { meta, targets })
                .map_err(|e| Error::Failed(e.to_string()))
        }
        "jsonl" | "ndjson" => Ok(targets
            .iter()
            .map(|t| format!("[{}, {}, {}]\n", t[0], t[1], t[2]))
            .collect::<String>()
            .into_bytes()),
        _ => Err(Error::Invalid {
            field: "--out",
            value: ext.to_string(),
            reason: "targets are written as .json, .jsonl or .npy".into(),
        }),
    }
}

/// A target from JSON: `[x, y, z]` or `{"position": [x, y, z]}` (or `"target"`).
fn target_of(v: &serde_json::Value) -> std::result::Result<[f32; 3], String> {
    let xyz = match v {
        serde_json::Value::Object(o) => o
            .get("position")
            .or_else(|| o.get("target"))
            .ok_or_else(|| "an object without `position`".to_string())?,
        other => other,
    };
    let a = xyz
        .as_array()
        .filter(|a| a.len() == 3)
        .ok_or_else(|| format!("{xyz} is not [x, y, z]"))?;
    let mut t = [0f32; 3];
    for (k, x) in a.iter().enumerate() {
        t[k] = x
            .as_f64()
            .map(|x| x as f32)
            .filter(|x| x.is_finite())
            .ok_or_else(|| format!("{xyz} is not three finite numbers"))?;
    }
    Ok(t)
}

/// The answers as JSON lines, one object per target.
pub fn solves_to_json_lines(solves: &[BatchSolve]) -> Result<String> {
    let mut s = String::with_capacity(solves.len() * 256);
    for r in solves {
        s += &serde_json::to_string(r).map_err(|e| Error::Failed(e.to_string()))?;
        s.push('\n');
    }
    Ok(s)
}

/// The answers as NPY: a `float32` array `(n, dof + 2)`, per row the joint values (rad), the
/// TCP error (metres) and 1 if solved else 0 (unreachable rows: zeros, error −1).
pub fn solves_to_npy(solves: &[BatchSolve], dof: usize) -> Vec<u8> {
    let cols = dof + 2;
    let mut data = Vec::with_capacity(solves.len() * cols);
    for r in solves {
        if r.q.len() == dof {
            data.extend_from_slice(&r.q);
            data.push(r.error_m);
        } else {
            data.extend(std::iter::repeat_n(0.0, dof));
            data.push(-1.0);
        }
        data.push(f32::from(u8::from(r.status == BatchStatus::Solved)));
    }
    mace_core::npy::encode_f32(&data, &[solves.len(), cols])
}
