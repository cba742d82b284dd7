//! The Chamfer loss of the point-cloud VAE: its value, its gradient, and a differentiable
//! surrogate for candle's autograd.
//!
//! The Chamfer distance used throughout (squared L2, mean over the points of each direction,
//! summed over the two directions), for clouds P (N points) and T (M points):
//!
//! ```text
//! CD(P, T) = (1/N) Σ_j min_i ‖p_j − t_i‖² + (1/M) Σ_i min_j ‖t_i − p_j‖²
//! ```
//!
//! Building the `(B, N, M)` distance tensor in candle's autograd is slow and memory hungry. The
//! nearest neighbours are instead found outside autograd by the workspace's exact kernel
//! ([`mace_shapes::chamfer::nearest_both`]: both directions in one pass; rayon over the shapes
//! of a batch), and the loss is rebuilt with the assignments held fixed:
//!
//! ```text
//! L(P) = (1/N) Σ_j ‖p_j − t_nn(j)‖² + (1/M) Σ_i ‖t_i − p_nn'(i)‖²
//! ```
//!
//! where `p_nn'(i)` is an `index_select` on the prediction (which has a backward). Where the
//! nearest neighbours are unique (almost everywhere) the assignments are locally constant, so L
//! and CD agree in value and in gradient.

use candle_core::{Tensor, D};
use mace_shapes::chamfer::{nearest_both, NearestBoth};
use rayon::prelude::*;

use crate::{Error, Result};

/// Nearest neighbours both ways between flat clouds `a` `(n, 3)` and `b` `(m, 3)`.
///
/// # Errors
/// [`Error::ShapeMismatch`] for an empty or non-finite cloud.
fn neighbours(a: &[f32], b: &[f32]) -> Result<NearestBoth> {
    let points =
        |v: &[f32]| -> Vec<[f32; 3]> { v.chunks_exact(3).map(|p| [p[0], p[1], p[2]]).collect() };
    nearest_both(&points(a), &points(b)).map_err(|e| Error::ShapeMismatch {
        op: "chamfer",
        expected: "two non-empty clouds of finite points".into(),
        got: e.to_string(),
    })
}

/// Chamfer distance between two clouds, flat `(n, 3)` and `(m, 3)` (see the module docs).
///
/// # Errors
/// [`Error::ShapeMismatch`] for an empty or non-finite cloud.
pub fn chamfer_distance(a: &[f32], b: &[f32]) -> Result<f32> {
    Ok(neighbours(a, b)?.chamfer())
}

/// Nearest-neighbour assignments of a batch of predicted and target clouds.
#[derive(Debug, Clone)]
pub struct Assignments {
    /// For prediction point j of shape b, its nearest target point: `(B · N)`, index within the shape.
    pub pred_to_target: Vec<u32>,
    /// For target point i of shape b, its nearest predicted point: `(B · M)`, index within the shape.
    pub target_to_pred: Vec<u32>,
    /// Chamfer distance of each shape, `(B,)`.
    pub chamfer: Vec<f32>,
}

/// Assignments for `pred` `(B, N·3)` and `target` `(B, M·3)` (flat, row-major), rayon over
/// the shapes.
///
/// # Errors
/// [`Error::ShapeMismatch`] if the lengths do not split into `B` shapes of `n` and `m` points.
pub fn assign_batch(pred: &[f32], target: &[f32], n: usize, m: usize) -> Result<Assignments> {
    let b = pred.len() / (3 * n).max(1);
    if n == 0 || m == 0 || pred.len() != 3 * n * b || target.len() != 3 * m * b {
        return Err(Error::ShapeMismatch {
            op: "chamfer::assign_batch",
            expected: format!("pred (B, {}) and target (B, {})", 3 * n, 3 * m),
            got: format!("{} and {} values", pred.len(), target.len()),
        });
    }
    let shapes: Vec<NearestBoth> = (0..b)
        .into_par_iter()
        .map(|s| {
            neighbours(
                &pred[s * 3 * n..(s + 1) * 3 * n],
                &target[s * 3 * m..(s + 1) * 3 * m],
            )
        })
        .collect::<Result<_>>()?;
    Ok(Assignments {
        pred_to_target: shapes
            .iter()
            .flat_map(|s| s.a_to_b.iter().copied())
            .collect(),
        target_to_pred: shapes
            .iter()
            .flat_map(|s| s.b_to_a.iter().copied())
            .collect(),
        chamfer: shapes.iter().map(NearestBoth::chamfer).collect(),
    })
}

/// Chamfer distances of each pair of rows of `pred` `(B, N·3)` and `target` `(B, M·3)`, and
/// their gradient: adds `scale · ∂CD_b/∂pred_b` to `grad` `(B, N·3)` for every shape b:
///
/// ```text
/// ∂CD/∂p_j = (2/N) (p_j − t_nn(j)) + (2/M) Σ_{i : nn'(i) = j} (p_j − t_i)
/// ```
///
/// # Errors
/// As [`assign_batch`], and [`Error::ShapeMismatch`] if `grad` is not the size of `pred`.
pub fn chamfer_grad_batch(
    pred: &[f32],
    target: &[f32],
    n: usize,
    m: usize,
    scale: f32,
    grad: &mut [f32],
) -> Result<Vec<f32>> {
    let b = pred.len() / (3 * n).max(1);
    if n == 0
        || m == 0
        || pred.len() != 3 * n * b
        || target.len() != 3 * m * b
        || grad.len() != pred.len()
    {
        return Err(Error::ShapeMismatch {
            op: "chamfer::chamfer_grad_batch",
            expected: format!("pred and grad (B, {}), target (B, {})", 3 * n, 3 * m),
            got: format!("{}, {} and {} values", pred.len(), grad.len(), target.len()),
        });
    }
    grad.par_chunks_mut(3 * n)
        .enumerate()
        .map(|(s, g)| {
            let p = &pred[s * 3 * n..(s + 1) * 3 * n];
            let t = &target[s * 3 * m..(s + 1) * 3 * m];
            let nn = neighbours(p, t)?;
            let (a, c) = (2.0 * scale / n as f32, 2.0 * scale / m as f32);
            for (j, &i) in nn.a_to_b.iter().enumerate() {
                let i = i as usize;
                for k in 0..3 {
                    g[3 * j + k] += a * (p[3 * j + k] - t[3 * i + k]);
                }
            }
            for (i, &j) in nn.b_to_a.iter().enumerate() {
                let j = j as usize;
                for k in 0..3 {
                    g[3 * j + k] += c * (p[3 * j + k] - t[3 * i + k]);
                }
            }
            Ok(nn.chamfer())
        })
        .collect()
}

/// Chamfer distances of each pair of rows of `pred` `(B, N·3)` and `target` `(B, M·3)`.
///
/// # Errors
/// As [`assign_batch`].
pub fn chamfer_batch(pred: &[f32], target: &[f32], n: usize, m: usize) -> Result<Vec<f32>> {
    Ok(assign_batch(pred, target, n, m)?.chamfer)
}

/// The Chamfer loss of a batch, differentiable in `pred`: the mean over the batch of
/// [`chamfer_distance`] of each row of `pred` `(B, N·3)` (any dtype-f32 tensor in a graph) and
/// the constant `target` `(B, M·3)`, built with the nearest-neighbour assignments held fixed
/// (see the module docs). Returns the scalar loss and the per-shape distances.
///
/// # Errors
/// [`Error::ShapeMismatch`] for inconsistent shapes; candle errors.
pub fn chamfer_loss(pred: &Tensor, target: &[f32], m: usize) -> Result<(Tensor, Vec<f32>)> {
    let (b, width) = pred.dims2()?;
    let n = width / 3;
    if width != 3 * n || n == 0 {
        return Err(Error::ShapeMismatch {
            op: "chamfer_loss",
            expected: "pred (B, 3·N)".into(),
            got: format!("{:?}", pred.dims()),
        });
    }
    let values = pred.detach().flatten_all()?.to_vec1::<f32>()?;
    let a = assign_batch(&values, target, n, m)?;
    let device = pred.device();
    // Prediction → target: the target points each prediction point is pulled to (a constant).
    let mut pulled = vec![0f32; b * n * 3];
    for s in 0..b {
        for j in 0..n {
            let i = a.pred_to_target[s * n + j] as usize;
            let src = &target[(s * m + i) * 3..(s * m + i) * 3 + 3];
            pulled[(s * n + j) * 3..(s * n + j) * 3 + 3].copy_from_slice(src);
        }
    }
    let rows = pred.reshape((b * n, 3))?;
    let pulled = Tensor::from_vec(pulled, (b * n, 3), device)?;
    let forward = (&rows - &pulled)?
        .sqr()?
        .sum_all()?
        .affine(1.0 / (b * n) as f64, 0.0)?;
    // Target → prediction: the prediction points each target point pulls (index_select).
    let picks: Vec<u32> = (0..b * m)
        .map(|k| ((k / m) * n) as u32 + a.target_to_pred[k])
        .collect();
    let picks = Tensor::from_vec(picks, b * m, device)?;
    let picked = rows.index_select(&picks, 0)?;
    let target_t = Tensor::from_slice(target, (b * m, 3), device)?;
    let backward = (&target_t - &picked)?
        .sqr()?
        .sum_all()?
        .affine(1.0 / (b * m) as f64, 0.0)?;
    Ok(((forward + backward)?, a.chamfer))
}

/// Chamfer loss computed the direct way in candle, with the full `(B, N, M)` distance tensor:
/// slow, for tests of [`chamfer_loss`] only.
///
/// # Errors
/// Candle errors.
#[doc(hidden)]
pub fn chamfer_loss_dense(pred: &Tensor, target: &Tensor) -> Result<Tensor> {
    let (b, width) = pred.dims2()?;
    let p = pred.reshape((b, width / 3, 1, 3))?;
    let m = target.dims2()?.1 / 3;
    let t = target.reshape((b, 1, m, 3))?;
    let d = p.broadcast_sub(&t)?.sqr()?.sum(D::Minus1)?; // (B, N, M)
    let forward = d.min(2)?.mean_all()?;
    let backward = d.min(1)?.mean_all()?;
    Ok((forward + backward)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Var};
    use rand::{rngs::StdRng, Rng, SeedableRng};

    fn cloud(rng: &mut StdRng, n: usize) -> Vec<f32> {
        (0..3 * n).map(|_| rng.random_range(-1.0f32..1.0)).collect()
    }

    fn brute_force(a: &[f32], b: &[f32]) -> f64 {
        let one = |a: &[f32], b: &[f32]| {
            a.chunks_exact(3)
                .map(|p| {
                    b.chunks_exact(3)
                        .map(|q| (0..3).map(|k| ((p[k] - q[k]) as f64).powi(2)).sum::<f64>())
                        .fold(f64::INFINITY, f64::min)
                })
                .sum::<f64>()
                / (a.len() / 3) as f64
        };
        one(a, b) + one(b, a)
    }

    #[test]
    fn kernel_matches_brute_force_including_padding_and_duplicates() {
        let mut rng = StdRng::seed_from_u64(1);
        for (n, m) in [(1, 1), (5, 17), (33, 16), (64, 100), (200, 31)] {
            let a = cloud(&mut rng, n);
            let b = cloud(&mut rng, m);
            let cd = chamfer_distance(&a, &b).unwrap() as f64;
            let bf = brute_force(&a, &b);
            assert!((cd - bf).abs() < 1e-5 * (1.0 + bf), "{n}×{m}: {cd} vs {bf}");
        }
        // Duplicate reference points: either duplicate, at the right distance.
        let r = [0.0f32, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0];
        let nn = neighbours(&[0.9, 0.9, 0.9], &r).unwrap();
        assert!(nn.a_to_b[0] == 1 || nn.a_to_b[0] == 2);
        assert!((nn.a_dist[0] - 0.03).abs() < 1e-6);
    }

    #[test]
    fn chamfer_is_symmetric_and_zero_on_itself() {
        let mut rng = StdRng::seed_from_u64(2);
        let a = cloud(&mut rng, 50);
        let b = cloud(&mut rng, 70);
        assert_eq!(chamfer_distance(&a, &a).unwrap(), 0.0);
        let (ab, ba) = (
            chamfer_distance(&a, &b).unwrap(),
            chamfer_distance(&b, &a).unwrap(),
        );
        assert!((ab - ba).abs() < 1e-6);
    }

    #[test]
    fn surrogate_equals_brute_force_and_dense_candle() {
        let mut rng = StdRng::seed_from_u64(3);
        let (b, n, m) = (3, 40, 56);
        let pred: Vec<f32> = cloud(&mut rng, b * n);
        let target: Vec<f32> = cloud(&mut rng, b * m);
        let p = Tensor::from_slice(&pred, (b, 3 * n), &Device::Cpu).unwrap();
        let (loss, per) = chamfer_loss(&p, &target, m).unwrap();
        let loss = loss.to_scalar::<f32>().unwrap() as f64;
        let bf: Vec<f64> = (0..b)
            .map(|s| {
                brute_force(
                    &pred[s * 3 * n..(s + 1) * 3 * n],
                    &target[s * 3 * m..(s + 1) * 3 * m],
                )
            })
            .collect();
        let mean_bf = bf.iter().sum::<f64>() / b as f64;
        assert!((loss - mean_bf).abs() < 1e-5, "{loss} vs {mean_bf}");
        for (x, y) in per.iter().zip(&bf) {
            assert!((*x as f64 - y).abs() < 1e-5);
        }
        let t = Tensor::from_slice(&target, (b, 3 * m), &Device::Cpu).unwrap();
        let dense = chamfer_loss_dense(&p, &t)
            .unwrap()
            .to_scalar::<f32>()
            .unwrap() as f64;
        assert!((loss - dense).abs() < 1e-5);
    }

    /// The surrogate's gradient equals the dense autograd gradient and a central finite
    /// difference of the exact Chamfer distance, on a tiny cloud.
    #[test]
    fn surrogate_gradient_matches_finite_difference() {
        let mut rng = StdRng::seed_from_u64(4);
        let (n, m) = (7, 9);
        let pred = cloud(&mut rng, n);
        let target = cloud(&mut rng, m);
        let var = Var::from_slice(&pred, (1, 3 * n), &Device::Cpu).unwrap();
        let (loss, _) = chamfer_loss(var.as_tensor(), &target, m).unwrap();
        let g = loss.backward().unwrap();
        let g = g.get(var.as_tensor()).unwrap().flatten_all().unwrap();
        let g = g.to_vec1::<f32>().unwrap();

        let t = Tensor::from_slice(&target, (1, 3 * m), &Device::Cpu).unwrap();
        let dense = chamfer_loss_dense(var.as_tensor(), &t).unwrap();
        let gd = dense.backward().unwrap();
        let gd = gd.get(var.as_tensor()).unwrap().flatten_all().unwrap();
        let gd = gd.to_vec1::<f32>().unwrap();

        let h = 1e-3f64;
        for k in 0..3 * n {
            let f = |delta: f64| {
                let mut p: Vec<f64> = pred.iter().map(|&v| v as f64).collect();
                p[k] += delta;
                let p: Vec<f32> = p.iter().map(|&v| v as f32).collect();
                brute_force(&p, &target)
            };
            let fd = (f(h) - f(-h)) / (2.0 * h);
            assert!(
                (g[k] as f64 - fd).abs() < 2e-3,
                "coordinate {k}: {} vs {fd}",
                g[k]
            );
            assert!(
                (g[k] - gd[k]).abs() < 1e-5,
                "coordinate {k}: {} vs {}",
                g[k],
                gd[k]
            );
        }
    }

    /// The direct gradient equals the surrogate's autograd gradient.
    #[test]
    fn direct_gradient_matches_surrogate() {
        let mut rng = StdRng::seed_from_u64(5);
        let (b, n, m) = (2, 30, 21);
        let pred = cloud(&mut rng, b * n);
        let target = cloud(&mut rng, b * m);
        let var = Var::from_slice(&pred, (b, 3 * n), &Device::Cpu).unwrap();
        let (loss, per) = chamfer_loss(var.as_tensor(), &target, m).unwrap();
        let g = loss.backward().unwrap();
        let g = g.get(var.as_tensor()).unwrap().flatten_all().unwrap();
        let g = g.to_vec1::<f32>().unwrap();
        let mut direct = vec![0f32; pred.len()];
        let cd = chamfer_grad_batch(&pred, &target, n, m, 1.0 / b as f32, &mut direct).unwrap();
        assert_eq!(cd, per);
        for (x, y) in g.iter().zip(&direct) {
            assert!((x - y).abs() < 1e-6, "{x} vs {y}");
        }
    }

    /// Clustered and duplicated points (as an untrained decoder produces) and far-apart clouds.
    #[test]
    fn kernel_is_exact_on_degenerate_clouds() {
        let mut rng = StdRng::seed_from_u64(6);
        let tight: Vec<f32> = (0..300).map(|_| rng.random_range(-1e-3f32..1e-3)).collect();
        let far: Vec<f32> = cloud(&mut rng, 77).iter().map(|v| v + 5.0).collect();
        let dup: Vec<f32> = [0.5f32, 0.5, 0.5].repeat(40);
        for (a, b) in [
            (&tight, &far),
            (&far, &tight),
            (&dup, &tight),
            (&tight, &dup),
        ] {
            let cd = chamfer_distance(a, b).unwrap() as f64;
            let bf = brute_force(a, b);
            assert!((cd - bf).abs() < 1e-5 * (1.0 + bf), "{cd} vs {bf}");
        }
        let nn = neighbours(&tight[..300], &dup).unwrap();
        assert!(nn.a_to_b.iter().all(|&k| k < 40));
        for (q, dd) in tight.chunks_exact(3).zip(&nn.a_dist) {
            let exact: f32 = q.iter().map(|v| (v - 0.5) * (v - 0.5)).sum();
            assert!((dd - exact).abs() < 1e-6);
        }
    }

    #[test]
    fn wrong_widths_are_rejected() {
        assert!(matches!(
            assign_batch(&[0.0; 12], &[0.0; 7], 2, 2),
            Err(Error::ShapeMismatch { .. })
        ));
        let p = Tensor::zeros((2, 5), candle_core::DType::F32, &Device::Cpu).unwrap();
        assert!(chamfer_loss(&p, &[0.0; 6], 1).is_err());
    }
}
