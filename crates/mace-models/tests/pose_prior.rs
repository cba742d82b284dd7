//! A pose prior learns a toy pose problem: a planar arm of three revolute joints whose tool
//! pose (position and heading) has two solutions (elbow up and down). Trained on its forward
//! kinematics, the pose prior's samples reach the asked pose; a position prior trained on the
//! same configurations reaches the position but not the heading.

use mace_models::fast::ArGmmSampler;
use mace_models::features::{pose_context, ChainFeatures, JointFrame, ToolFrame, POSE_CONTEXT_DIM};
use mace_models::train::{train_ar_gmm, TrainConfig};
use mace_models::{ArGmm, ArGmmConfig};
use rand::{rngs::StdRng, Rng, SeedableRng};

const LINKS: [f32; 2] = [0.5, 0.4];
/// The tool: 0.2 m along the last link, turned by 0.5 rad.
const TOOL: ([f32; 2], f32) = ([0.2, 0.0], 0.5);
const LIMIT: f32 = 2.5;

fn rz(a: f32) -> [[f32; 3]; 3] {
    let (s, c) = a.sin_cos();
    [[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]]
}

/// The tool's position and rotation for joint values `q`.
fn tool(q: &[f32]) -> ([f32; 3], [[f32; 3]; 3]) {
    let (mut x, mut y, mut a) = (0.0, 0.0, 0.0);
    for (j, len) in LINKS.iter().enumerate() {
        a += q[j];
        x += len * a.cos();
        y += len * a.sin();
    }
    a += q[2];
    let [tx, ty] = TOOL.0;
    x += tx * a.cos() - ty * a.sin();
    y += tx * a.sin() + ty * a.cos();
    ([x, y, 0.1], rz(a + TOOL.1))
}

fn chain(pose: bool) -> ChainFeatures {
    let joint = |x: f32, z: f32| JointFrame {
        rotation: rz(0.0),
        translation: [x, 0.0, z],
        axis: [0.0, 0.0, 1.0],
        prismatic: false,
    };
    ChainFeatures {
        joints: vec![joint(0.0, 0.1), joint(LINKS[0], 0.0), joint(LINKS[1], 0.0)],
        pose: pose.then(|| ToolFrame {
            rotation: rz(TOOL.1),
            translation: [TOOL.0[0], TOOL.0[1], 0.0],
        }),
    }
}

fn config(pose: bool, context: &[f32]) -> ArGmmConfig {
    let c = if pose { POSE_CONTEXT_DIM } else { 3 };
    let n = context.len() / c;
    let mean: Vec<f32> = (0..c)
        .map(|i| context.iter().skip(i).step_by(c).sum::<f32>() / n as f32)
        .collect();
    let std = (0..c)
        .map(|i| {
            let v = context.iter().skip(i).step_by(c);
            (v.map(|x| (x - mean[i]).powi(2)).sum::<f32>() / n as f32)
                .sqrt()
                .max(1e-3)
        })
        .collect();
    ArGmmConfig {
        names: vec!["q0".into(), "q1".into(), "q2".into()],
        lower: vec![-LIMIT; 3],
        upper: vec![LIMIT; 3],
        context_dim: c,
        context_mean: mean,
        context_std: std,
        hidden: vec![64, 64],
        components: 4,
        min_std: 0.001,
        range_slack: 1.1,
        chain: Some(chain(pose)),
        made_for: None,
    }
}

fn angle_deg(a: &[[f32; 3]; 3], b: &[[f32; 3]; 3]) -> f32 {
    let trace: f32 = (0..3)
        .flat_map(|i| (0..3).map(move |j| a[i][j] * b[i][j]))
        .sum();
    ((trace - 1.0) / 2.0).clamp(-1.0, 1.0).acos().to_degrees()
}

#[test]
fn a_pose_prior_learns_a_toy_pose_problem() {
    let mut rng = StdRng::seed_from_u64(3);
    let n = 30_000;
    let q: Vec<f32> = (0..3 * n)
        .map(|_| rng.random_range(-LIMIT..LIMIT))
        .collect();
    let poses: Vec<_> = q.chunks_exact(3).map(tool).collect();
    let pose_contexts: Vec<f32> = poses
        .iter()
        .flat_map(|(p, r)| pose_context(*p, r))
        .collect();
    let positions: Vec<f32> = poses.iter().flat_map(|(p, _)| *p).collect();
    let train = TrainConfig {
        epochs: 8,
        batch_size: 256,
        lr: 3e-3,
        ..TrainConfig::default()
    };
    let trained = |pose: bool, context: &[f32]| {
        let model = ArGmm::new(config(pose, context), 0).unwrap();
        train_ar_gmm(&model, &q, context, &train, "toy", &mut |_, _| Ok(())).unwrap();
        ArGmmSampler::new(&model).unwrap()
    };
    let (pose_prior, position_prior) = (trained(true, &pose_contexts), trained(false, &positions));
    // Fresh reachable poses; 200 samples each.
    let (mut reached, mut raw_pose, mut raw_position) = (0, Vec::new(), Vec::new());
    let targets = 40;
    for t in 0..targets {
        let qt: Vec<f32> = (0..3).map(|_| rng.random_range(-2.0..2.0)).collect();
        let (p, r) = tool(&qt);
        let mut sample_rng = StdRng::seed_from_u64(t);
        let errors = |x: &[f32]| -> Vec<(f32, f32)> {
            x.chunks_exact(3)
                .map(|s| {
                    let (ps, rs) = tool(s);
                    let d = (0..3).map(|i| (ps[i] - p[i]).powi(2)).sum::<f32>().sqrt();
                    (d, angle_deg(&r, &rs))
                })
                .collect()
        };
        let from_pose = errors(&pose_prior.sample(&pose_context(p, &r), 200, &mut sample_rng));
        let from_position = errors(&position_prior.sample(&p, 200, &mut sample_rng));
        if from_pose.iter().any(|(d, a)| *d < 0.005 && *a < 5.0) {
            reached += 1;
        }
        raw_pose.extend(from_pose.iter().map(|e| e.1));
        raw_position.extend(from_position.iter().map(|e| e.1));
    }
    let median = |mut v: Vec<f32>| {
        v.sort_by(f32::total_cmp);
        v[v.len() / 2]
    };
    let (pose_median, position_median) = (median(raw_pose), median(raw_position));
    assert!(reached >= 36, "{reached}/{targets} poses reached");
    assert!(
        pose_median < 5.0 && position_median > 20.0,
        "median rotation error of samples: pose prior {pose_median}°, position prior {position_median}°"
    );
}
