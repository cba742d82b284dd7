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
use mace_robot::{IkTarget, ToolAxis};
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
    /// Pose targets: the tool orientation asked for, quaternion (x, y, z, w).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_orientation: Option<[f32; 4]>,
    /// Pose targets: the tool axis the orientation is free about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub free_axis: Option<ToolAxis>,
    /// How the solve ended.
    pub status: BatchStatus,
    /// The configuration, rad (the best effort when not solved; empty when unreachable).
    pub q: Vec<f32>,
    /// Its TCP position, metres.
    pub tcp: [f32; 3],
    /// Its TCP orientation, quaternion (x, y, z, w).
    #[serde(default)]
    pub tcp_quaternion: [f32; 4],
    /// Its TCP distance to the target, metres.
    pub error_m: f32,
    /// Pose targets: its tool rotation error, degrees.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotation_error_deg: Option<f32>,
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

/// Solves every target (positions `[x, y, z]` or [`IkTarget`]s) with `method`; target `i` with
/// seed `seed + i`, spread over the rayon pool. Targets beyond the arm's reach are reported [`BatchStatus::Unreachable`], not solved.
/// `progress` advances once per chunk of targets.
///
/// # Errors
/// [`Error::Invalid`] for no targets or more than [`MAX_TARGETS`]; a method that needs the prior
/// without one; [`Method::Mace`] (tune with `mace ik tune`, then solve with its posterior); a
/// solve that fails (bad samples, a non-finite target).
pub fn solve_batch<T: Into<IkTarget> + Copy + Sync>(
    solver: &Solver,
    method: Method,
    targets: &[T],
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
    if let Some(p) = prior {
        if let Some(t) = targets.first() {
            super::pose::context_for(&p.model, &(*t).into())?;
        }
    }
    let chain = solver.model().chain();
    let reachable = |t: &[f32; 3]| super::prior::within_reach(chain, *t);
    let solve_one = |index: usize| -> Result<BatchSolve> {
        let goal: IkTarget = targets[index].into();
        let target = goal.position;
        let target_orientation = goal.orientation.map(|o| o.quaternion);
        let free_axis = goal.orientation.and_then(|o| o.free_axis);
        if !reachable(&target) {
            return Ok(BatchSolve {
                index,
                target,
                target_orientation,
                free_axis,
                status: BatchStatus::Unreachable,
                q: Vec::new(),
                tcp: [0.0; 3],
                tcp_quaternion: [0.0, 0.0, 0.0, 1.0],
                error_m: f32::INFINITY,
                rotation_error_deg: None,
                collision_free: false,
                min_distance_m: 0.0,
                seconds: 0.0,
                samples: 0,
                iterations: 0,
            });
        }
        let mut sampler = |t: &IkTarget, n: usize, rng: &mut StdRng| match prior {
            Some(p) => super::pose::sample_for(p, t, n, rng).unwrap_or_default(),
            None => Vec::new(),
        };
        let mut rng = StdRng::seed_from_u64(seed.wrapping_add(index as u64));
        let r = solver.solve_target(method, &goal, &mut sampler, &mut rng)?;
        let d = &r.distances;
        Ok(BatchSolve {
            index,
            target,
            target_orientation,
            free_axis,
            status: match r.status {
                SolveStatus::Solved => BatchStatus::Solved,
                SolveStatus::NotFound => BatchStatus::NotFound,
            },
            q: r.q,
            tcp: r.tcp,
            tcp_quaternion: r.tcp_quaternion,
            error_m: r.error,
            rotation_error_deg: r.rotation_error_deg,
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
    if let Some(first) = (0..targets.len()).find(|&i| reachable(&targets[i].into().position)) {
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

/// Reads position or pose targets from a file, by its extension: `.npy` an `(n, 3)` float
/// array of positions or `(n, 7)` of poses (position, quaternion x, y, z, w); `.jsonl` one
/// target per line; `.json` an array. A target in JSON is `[x, y, z]`,
/// `[x, y, z, qx, qy, qz, qw]` or an object with `"position": [x, y, z]` (or `"target"`) and
/// optionally `"orientation": [qx, qy, qz, qw]` and `"free_axis": "x" | "y" | "z"`. Metres,
/// base frame.
///
/// # Errors
/// [`Error::BadFile`] naming the file and the target (its line for JSON lines) that is not
/// three finite numbers, or whose orientation is not a unit quaternion; more than
/// [`MAX_TARGETS`]; none.
pub fn read_targets(path: &Path) -> Result<Vec<IkTarget>> {
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
            let bytes = mace_core::fs::read_file(path, (MAX_TARGETS as u64) * 7 * 8 + 4096)?;
            let a =
                mace_core::npy::decode_f32(&bytes, &path.display().to_string(), MAX_TARGETS * 7)
                    .map_err(|e| Error::Failed(e.to_string()))?;
            let cols = match a.shape.as_slice() {
                [_, c @ (3 | 7)] => *c,
                _ => {
                    return Err(bad(format!(
                        "an array of shape {:?}; targets are (n, 3) positions or (n, 7) poses",
                        a.shape
                    )))
                }
            };
            let mut out = Vec::with_capacity(a.data.len() / cols);
            for (i, p) in a.data.chunks_exact(cols).enumerate() {
                let v: Vec<serde_json::Value> = p.iter().map(|&x| f64::from(x).into()).collect();
                let t = target_of(&serde_json::Value::Array(v))
                    .map_err(|r| bad(format!("target {i}: {r}")))?;
                out.push(t);
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

/// A target from JSON: `[x, y, z]`, `[x, y, z, qx, qy, qz, qw]` or `{"position": [x, y, z]}`
/// (or `"target"`) with optional `"orientation"` and `"free_axis"`.
fn target_of(v: &serde_json::Value) -> std::result::Result<IkTarget, String> {
    let numbers = |v: &serde_json::Value, what: &str| -> std::result::Result<Vec<f64>, String> {
        let a = v.as_array().ok_or_else(|| format!("{v} is not {what}"))?;
        a.iter()
            .map(|x| x.as_f64().filter(|x| x.is_finite()))
            .collect::<Option<Vec<f64>>>()
            .ok_or_else(|| format!("{v} is not {what} of finite numbers"))
    };
    let (position, orientation, free_axis) = match v {
        serde_json::Value::Object(o) => {
            let p = o
                .get("position")
                .or_else(|| o.get("target"))
                .ok_or_else(|| "an object without `position`".to_string())?;
            let q = o
                .get("orientation")
                .map(|q| numbers(q, "[qx, qy, qz, qw]"))
                .transpose()?;
            let axis = match o.get("free_axis") {
                None | Some(serde_json::Value::Null) => None,
                Some(a) => Some(
                    a.as_str()
                        .ok_or_else(|| format!("free_axis {a} is not \"x\", \"y\" or \"z\""))?
                        .parse::<ToolAxis>()
                        .map_err(|e| e.to_string())?,
                ),
            };
            (numbers(p, "[x, y, z]")?, q, axis)
        }
        other => {
            let all = numbers(other, "[x, y, z] or [x, y, z, qx, qy, qz, qw]")?;
            match all.len() {
                7 => (all[..3].to_vec(), Some(all[3..].to_vec()), None),
                _ => (all, None, None),
            }
        }
    };
    let [x, y, z] = position[..] else {
        return Err(format!("{position:?} is not [x, y, z]"));
    };
    let p = [x as f32, y as f32, z as f32];
    if !p.iter().all(|v| v.is_finite()) {
        return Err(format!(
            "{position:?} is not three finite numbers (as 32-bit floats)"
        ));
    }
    match orientation {
        None if free_axis.is_some() => Err("a free_axis without an orientation".into()),
        None => Ok(IkTarget::position(p)),
        Some(q) => {
            let [a, b, c, d] = q[..] else {
                return Err(format!("orientation {q:?} is not [qx, qy, qz, qw]"));
            };
            IkTarget::pose(p, [a, b, c, d], free_axis).map_err(|e| e.to_string())
        }
    }
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
/// TCP error (metres) and 1 if solved else 0 (unreachable rows: zeros, error −1). With pose
/// targets, `(n, dof + 3)`: the rotation error (degrees; −1 when unreachable) before the flag.
pub fn solves_to_npy(solves: &[BatchSolve], dof: usize) -> Vec<u8> {
    let pose = solves.iter().any(|r| r.target_orientation.is_some());
    let cols = dof + 2 + usize::from(pose);
    let mut data = Vec::with_capacity(solves.len() * cols);
    for r in solves {
        if r.q.len() == dof {
            data.extend_from_slice(&r.q);
            data.push(r.error_m);
            if pose {
                data.push(r.rotation_error_deg.unwrap_or(0.0));
            }
        } else {
            data.extend(std::iter::repeat_n(0.0, dof));
            data.push(-1.0);
            if pose {
                data.push(-1.0);
            }
        }
        data.push(f32::from(u8::from(r.status == BatchStatus::Solved)));
    }
    mace_core::npy::encode_f32(&data, &[solves.len(), cols])
}

/// The poses of `targets` as rows `[x, y, z, qx, qy, qz, qw]` (position-only targets: the
/// identity quaternion is not written; use positions).
pub fn pose_rows(targets: &[IkTarget]) -> Vec<[f32; 7]> {
    targets
        .iter()
        .map(|t| {
            let q = t.orientation.map_or([0.0, 0.0, 0.0, 1.0], |o| o.quaternion);
            let p = t.position;
            [p[0], p[1], p[2], q[0], q[1], q[2], q[3]]
        })
        .collect()
}
