//! Fits the Panda's collision capsules to the reference collision labels (a development tool).
//!
//! Reads `tools/panda_capsules.json` (per link: `[[a, b, radius], …]`, link frame, metres), the
//! TRAINING half (even sample indices) of the reference files in `tests/data/`, and improves the
//! capsules by coordinate descent on a robust loss between our signed distances and the
//! reference's (`min_self_distance`, `min_dist_self`, `min_dist_obstacles`, `min_dist_ground`),
//! weighted towards contact. Writes the result back to `tools/panda_capsules.json`; then run
//! `python3 crates/mace-robot/tools/gen_panda_urdf.py` to regenerate `assets/robots/panda.urdf`.
//! The integration tests measure agreement on the other (odd) half.
//!
//! Usage: `cargo run --release -p mace-robot --example fit_collision -- [rounds]`

use std::collections::BTreeMap;
use std::path::PathBuf;

use mace_robot::{Capsule, CollisionModel, KinematicChain, Scene};
use serde_json::Value;

type Table = BTreeMap<String, Vec<([f32; 3], [f32; 3], f32)>>;

struct Set {
    model_scene: Scene,
    q: Vec<f32>,
    /// Reference (self, obstacle, ground) distances; NaN = not applicable.
    d: Vec<[f32; 3]>,
}

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn load(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir().join("tests/data").join(name)).unwrap())
        .unwrap()
}

fn sets(parity: usize) -> Vec<Set> {
    let mut out = Vec::new();
    let d = load("panda_self_collision.json");
    let mut q = Vec::new();
    let mut dd = Vec::new();
    for (i, s) in d["samples"].as_array().unwrap().iter().enumerate() {
        if i % 2 != parity {
            continue;
        }
        q.extend(
            s["q"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap() as f32),
        );
        dd.push([
            s["min_self_distance"].as_f64().unwrap() as f32,
            f32::NAN,
            f32::NAN,
        ]);
    }
    out.push(Set {
        model_scene: Scene::empty([0.0; 3]),
        q,
        d: dd,
    });
    for name in ["wall", "window", "box"] {
        let d = load(&format!("panda_scene_{name}.json"));
        let mut q = Vec::new();
        let mut dd = Vec::new();
        for (i, s) in d["samples"].as_array().unwrap().iter().enumerate() {
            if i % 2 != parity {
                continue;
            }
            q.extend(
                s["q"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_f64().unwrap() as f32),
            );
            let g = |k: &str| s[k].as_f64().unwrap() as f32;
            dd.push([
                g("min_dist_self"),
                g("min_dist_obstacles"),
                g("min_dist_ground"),
            ]);
        }
        out.push(Set {
            model_scene: Scene::by_name(name).unwrap(),
            q,
            d: dd,
        });
    }
    out
}

fn apply(chain: &mut KinematicChain, t: &Table) {
    for (name, caps) in t {
        let li = chain.link_index(name).unwrap();
        *chain.collision_mut(li) = caps
            .iter()
            .map(|&(a, b, radius)| Capsule { a, b, radius })
            .collect();
    }
}

/// Returns (loss, far-agreement, missed) over all sets.
fn evaluate(chain: &KinematicChain, sets: &[Set]) -> (f64, f64, f64) {
    let mut loss = 0.0f64;
    let (mut far, mut agree, mut missed) = (0usize, 0usize, 0usize);
    for s in sets {
        let m = CollisionModel::new(chain, &s.model_scene);
        let ours = m.distances_batch(&s.q).unwrap();
        for (o, r) in ours.iter().zip(&s.d) {
            let o = [o.self_distance, o.obstacle_distance, o.ground_distance];
            let mut any_r = false;
            let mut any_o = false;
            let mut min_abs = f32::INFINITY;
            for k in 0..3 {
                if r[k].is_nan() {
                    continue;
                }
                let (dr, dw) = (r[k].clamp(-0.1, 0.1), o[k].clamp(-0.1, 0.1));
                let w = 1.0 / (0.01 + dr.abs());
                let e = (dw - dr).abs();
                // Penalise sign errors harder, missed collisions hardest.
                let sign_pen = if (dr < 0.0) != (dw < 0.0) {
                    if dr < 0.0 {
                        miss_pen()
                    } else {
                        1.5
                    }
                } else {
                    0.0
                };
                loss += (w * e * (1.0 + sign_pen)) as f64;
                any_r |= r[k] < 0.0;
                any_o |= o[k] < 0.0;
                min_abs = min_abs.min(r[k].abs());
            }
            if min_abs > 0.003 {
                far += 1;
                agree += (any_r == any_o) as usize;
                missed += (any_r && !any_o) as usize;
            }
        }
    }
    (loss, agree as f64 / far as f64, missed as f64 / far as f64)
}

/// Extra weight of a missed collision (env `MISS_PEN`, default 8).
fn miss_pen() -> f32 {
    std::env::var("MISS_PEN")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(8.0)
}

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(6);
    let path = dir().join("tools/panda_capsules.json");
    let raw: Table = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let mut table: Table = raw;
    let train = sets(0);
    let test = sets(1);
    let mut chain = KinematicChain::panda();
    if let Some(inflate) = std::env::var("INFLATE")
        .ok()
        .and_then(|s| s.parse::<f32>().ok())
    {
        for caps in table.values_mut() {
            for c in caps.iter_mut() {
                c.2 += inflate;
            }
        }
    }
    apply(&mut chain, &table);
    if std::env::var("EVAL").is_ok() {
        for (tr, te) in train.iter().zip(&test) {
            let (_, a, m) = evaluate(&chain, std::slice::from_ref(tr));
            let (_, ta, tm) = evaluate(&chain, std::slice::from_ref(te));
            println!(
                "{}: train agree {a:.4} missed {m:.4} | test agree {ta:.4} missed {tm:.4}",
                tr.model_scene.name
            );
            let m = CollisionModel::new(&chain, &te.model_scene);
            let ours = m.distances_batch(&te.q).unwrap();
            for (i, (o, r)) in ours.iter().zip(&te.d).enumerate() {
                let o = [o.self_distance, o.obstacle_distance, o.ground_distance];
                let rmin = r
                    .iter()
                    .filter(|x| !x.is_nan())
                    .fold(f32::INFINITY, |a, &b| a.min(b));
                let omin = o
                    .iter()
                    .zip(r)
                    .filter(|(_, x)| !x.is_nan())
                    .fold(f32::INFINITY, |a, (&b, _)| a.min(b));
                if rmin.abs() > 0.003 && (rmin < 0.0) != (omin < 0.0) {
                    let poses = chain.forward_kinematics(&te.q[i * 7..i * 7 + 7]).unwrap();
                    let worst = m
                        .self_pair_names()
                        .into_iter()
                        .zip(m.self_pair_distances(&poses))
                        .fold((None, f32::INFINITY), |acc, (n, d)| {
                            if d < acc.1 {
                                (Some(n), d)
                            } else {
                                acc
                            }
                        });
                    println!(
                        "   {} sample {}: ref {:?} ours {:?} closest pair {:?}",
                        if rmin < 0.0 { "MISSED" } else { "false+" },
                        2 * i + 1,
                        r,
                        o,
                        worst
                    );
                }
            }
        }
        return;
    }
    let (mut best, a, m) = evaluate(&chain, &train);
    let (_, ta, tm) = evaluate(&chain, &test);
    if std::env::var("DIAG").is_ok() {
        for s in &train {
            let m = CollisionModel::new(&chain, &s.model_scene);
            let ours = m.distances_batch(&s.q).unwrap();
            let n = ours.len() as f32;
            let f = |k: usize| {
                ours.iter()
                    .filter(|o| [o.self_distance, o.obstacle_distance, o.ground_distance][k] < 0.0)
                    .count() as f32
                    / n
            };
            let g = |k: usize| s.d.iter().filter(|r| r[k] < 0.0).count() as f32 / n;
            println!(
                "{}: ours self {:.3} obst {:.3} ground {:.3} | ref {:.3} {:.3} {:.3}",
                s.model_scene.name,
                f(0),
                f(1),
                f(2),
                g(0),
                g(1),
                g(2)
            );
        }
        let m = CollisionModel::new(&chain, &train[0].model_scene);
        let poses = chain.forward_kinematics(&train[0].q[..7]).unwrap();
        println!("{:?}", m.distances(&poses));
        for (n, d) in m
            .self_pair_names()
            .iter()
            .zip(m.self_pair_distances(&poses))
        {
            if d < 0.01 {
                println!("  {n:?} {d}");
            }
        }
    }
    println!("start: loss {best:.1} train agree {a:.4} missed {m:.4} | test agree {ta:.4} missed {tm:.4}");
    let names: Vec<String> = table.keys().cloned().collect();
    let steps = [0.008f32, 0.004, 0.002, 0.001, 0.0005, 0.00025];
    for round in 0..rounds {
        let first: usize = std::env::var("FIRST_STEP")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let step = steps[(round + first).min(steps.len() - 1)];
        for name in &names {
            for ci in 0..table[name].len() {
                for p in 0..7 {
                    for sign in [1.0f32, -1.0] {
                        loop {
                            let mut t2 = table.clone();
                            let c = &mut t2.get_mut(name).unwrap()[ci];
                            match p {
                                0..=2 => c.0[p] += sign * step,
                                3..=5 => c.1[p - 3] += sign * step,
                                _ => c.2 = (c.2 + sign * step).max(0.002),
                            }
                            let mut ch = chain.clone();
                            apply(&mut ch, &t2);
                            let (l, _, _) = evaluate(&ch, &train);
                            if l < best {
                                best = l;
                                table = t2;
                                chain = ch;
                            } else {
                                break;
                            }
                        }
                    }
                }
            }
        }
        let (_, a, m) = evaluate(&chain, &train);
        let (_, ta, tm) = evaluate(&chain, &test);
        println!("round {round} step {step}: loss {best:.1} train agree {a:.4} missed {m:.4} | test agree {ta:.4} missed {tm:.4}");
        let rounded: Table = table
            .iter()
            .map(|(k, v)| {
                let r = |x: f32| (x * 10000.0).round() / 10000.0;
                (
                    k.clone(),
                    v.iter()
                        .map(|(a, b, rr)| (a.map(r), b.map(r), r(*rr)))
                        .collect(),
                )
            })
            .collect();
        let mut text = String::from("{\n");
        let n = rounded.len();
        for (i, (k, v)) in rounded.iter().enumerate() {
            text.push_str(&format!(
                " \"{k}\": {}{}\n",
                serde_json::to_string(v).unwrap(),
                if i + 1 < n { "," } else { "" }
            ));
        }
        text.push_str("}\n");
        std::fs::write(&path, text).unwrap();
    }
}
