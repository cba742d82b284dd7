//! Chamfer distance between point clouds, and its differentiable surrogate for training.
//!
//! The Chamfer distance used throughout (squared L2, mean over the points of each direction,
//! summed over the two directions), for clouds P (N points) and T (M points):
//!
//! ```text
//! CD(P, T) = (1/N) Σ_j min_i ‖p_j − t_i‖² + (1/M) Σ_i min_j ‖t_i − p_j‖²
//! ```
//!
//! Building the `(B, N, M)` distance tensor in candle's autograd is slow and memory hungry. The
//! nearest neighbours are instead found outside autograd, by an exact kernel (a sweep over the
//! reference sorted by x, 16 lanes at a time, AVX2 + FMA detected at run time; rayon over the
//! shapes of a batch), and the loss is rebuilt with the assignments held fixed:
//!
//! ```text
//! L(P) = (1/N) Σ_j ‖p_j − t_nn(j)‖² + (1/M) Σ_i ‖t_i − p_nn'(i)‖²
//! ```
//!
//! where `p_nn'(i)` is an `index_select` on the prediction (which has a backward). Where the
//! nearest neighbours are unique (almost everywhere) the assignments are locally constant, so L
//! and CD agree in value and in gradient.

use candle_core::{Tensor, D};
use rayon::prelude::*;

use crate::{Error, Result};

/// Lanes of the nearest-neighbour kernel: two AVX2 registers per coordinate.
const LANES: usize = 16;
/// Coordinate of padding points: far from any real point, yet its squared distance is finite.
const FAR: f32 = 1e15;

/// A reference cloud sorted by x, in structure-of-arrays layout, padded to a multiple of
/// [`LANES`] with far points (x = +[`FAR`]) at the end.
struct SortedSoa {
    xs: Vec<f32>,
    ys: Vec<f32>,
    zs: Vec<f32>,
    /// Original index of each sorted point.
    ids: Vec<u32>,
}

impl SortedSoa {
    fn new(points: &[f32]) -> Self {
        let m = points.len() / 3;
        let mut order: Vec<u32> = (0..m as u32).collect();
        order.sort_by(|&a, &b| points[3 * a as usize].total_cmp(&points[3 * b as usize]));
        let padded = m.div_ceil(LANES) * LANES;
        let mut soa = Self {
            xs: vec![FAR; padded],
            ys: vec![FAR; padded],
            zs: vec![FAR; padded],
            ids: vec![u32::MAX; padded],
        };
        for (s, &i) in order.iter().enumerate() {
            let p = &points[3 * i as usize..3 * i as usize + 3];
            soa.xs[s] = p[0];
            soa.ys[s] = p[1];
            soa.zs[s] = p[2];
            soa.ids[s] = i;
        }
        soa
    }
}

/// Nearest point of `reference` for every point of `query` (both flat `(n, 3)` / `(m, 3)`):
/// writes its index and squared distance. Among points at exactly the same distance the choice
/// is deterministic but not necessarily the smallest index.
///
/// The reference is sorted by x once; each query scans chunks of 16 points outwards
/// from its own x, alternating sides, and stops on a side once the x gap alone exceeds the best
/// distance so far (exact, and at worst a brute-force scan).
///
/// # Panics
/// If `index` or `dist` is not one entry per query point, or `reference` is empty.
pub fn nearest_neighbours(query: &[f32], reference: &[f32], index: &mut [u32], dist: &mut [f32]) {
    let n = query.len() / 3;
    assert!(
        index.len() == n && dist.len() == n,
        "one output per query point"
    );
    assert!(reference.len() >= 3, "empty reference cloud");
    let soa = SortedSoa::new(reference);
    #[cfg(target_arch = "x86_64")]
    {
        if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
            // SAFETY: the CPU supports the features the function is compiled for.
            unsafe { nearest_avx2(query, &soa, index, dist) };
            return;
        }
    }
    nearest_generic(query, &soa, index, dist);
}

/// [`nearest_generic`] with explicit AVX2 + FMA: two 8-lane registers per coordinate.
///
/// # Safety
/// The CPU must support AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn nearest_avx2(query: &[f32], soa: &SortedSoa, index: &mut [u32], dist: &mut [f32]) {
    use std::arch::x86_64::*;
    let chunks = soa.xs.len() / LANES;
    let (xs, ys, zs) = (soa.xs.as_ptr(), soa.ys.as_ptr(), soa.zs.as_ptr());
    let ids = soa.ids.as_ptr() as *const f32; // moved as bit patterns by blendv
    for ((p, idx), d) in query
        .chunks_exact(3)
        .zip(index.iter_mut())
        .zip(dist.iter_mut())
    {
        let (px, py, pz) = (
            _mm256_set1_ps(p[0]),
            _mm256_set1_ps(p[1]),
            _mm256_set1_ps(p[2]),
        );
        let mut best = [_mm256_set1_ps(f32::INFINITY); 2];
        let mut arg = [_mm256_castsi256_ps(_mm256_set1_epi32(-1)); 2];
        // SAFETY (all loads): `chunk < chunks`, so `chunk · LANES + 15` is within the padded
        // arrays, which all have `chunks · LANES` elements.
        macro_rules! visit {
            ($chunk:expr) => {
                for h in 0..2 {
                    let o = $chunk * LANES + 8 * h;
                    let dx = _mm256_sub_ps(_mm256_loadu_ps(xs.add(o)), px);
                    let dy = _mm256_sub_ps(_mm256_loadu_ps(ys.add(o)), py);
                    let dz = _mm256_sub_ps(_mm256_loadu_ps(zs.add(o)), pz);
                    let dd =
                        _mm256_fmadd_ps(dz, dz, _mm256_fmadd_ps(dy, dy, _mm256_mul_ps(dx, dx)));
                    let better = _mm256_cmp_ps::<_CMP_LT_OQ>(dd, best[h]);
                    best[h] = _mm256_blendv_ps(best[h], dd, better);
                    arg[h] = _mm256_blendv_ps(arg[h], _mm256_loadu_ps(ids.add(o)), better);
                }
            };
        }
        macro_rules! bound {
            () => {{
                let m = _mm256_min_ps(best[0], best[1]);
                let m = _mm_min_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps::<1>(m));
                let m = _mm_min_ps(m, _mm_movehl_ps(m, m));
                let m = _mm_min_ss(m, _mm_shuffle_ps::<1>(m, m));
                _mm_cvtss_f32(m)
            }};
        }
        let start = (soa.xs.partition_point(|&x| x < p[0]) / LANES).min(chunks - 1);
        visit!(start);
        let mut bnd = bound!();
        let (mut right, mut left) = (start + 1, start);
        let (mut right_open, mut left_open) = (right < chunks, left > 0);
        while right_open || left_open {
            if right_open {
                let gap = soa.xs[right * LANES] - p[0];
                if gap > 0.0 && gap * gap > bnd {
                    right_open = false;
                } else {
                    visit!(right);
                    bnd = bound!();
                    right += 1;
                    right_open = right < chunks;
                }
            }
            if left_open {
                let gap = p[0] - soa.xs[left * LANES - 1];
                if gap > 0.0 && gap * gap > bnd {
                    left_open = false;
                } else {
                    left -= 1;
                    visit!(left);
                    bnd = bound!();
                    left_open = left > 0;
                }
            }
        }
        let mut lanes = Lanes {
            best: [0.0; LANES],
            arg: [0; LANES],
        };
        _mm256_storeu_ps(lanes.best.as_mut_ptr(), best[0]);
        _mm256_storeu_ps(lanes.best.as_mut_ptr().add(8), best[1]);
        _mm256_storeu_ps(lanes.arg.as_mut_ptr() as *mut f32, arg[0]);
        _mm256_storeu_ps((lanes.arg.as_mut_ptr() as *mut f32).add(8), arg[1]);
        let (b, a) = lanes.min();
        *idx = a;
        *d = b;
    }
}

/// Per-lane best (distance, original index) of one query.
struct Lanes {
    best: [f32; LANES],
    arg: [u32; LANES],
}

impl Lanes {
    #[inline(always)]
    fn visit(&mut self, soa: &SortedSoa, chunk: usize, (px, py, pz): (f32, f32, f32)) {
        let r = chunk * LANES;
        let cx: &[f32; LANES] = soa.xs[r..r + LANES].try_into().expect("whole chunk");
        let cy: &[f32; LANES] = soa.ys[r..r + LANES].try_into().expect("whole chunk");
        let cz: &[f32; LANES] = soa.zs[r..r + LANES].try_into().expect("whole chunk");
        let ci: &[u32; LANES] = soa.ids[r..r + LANES].try_into().expect("whole chunk");
        for l in 0..LANES {
            let dx = cx[l] - px;
            let dy = cy[l] - py;
            let dz = cz[l] - pz;
            let dd = dx * dx + dy * dy + dz * dz;
            let better = dd < self.best[l];
            self.best[l] = if better { dd } else { self.best[l] };
            self.arg[l] = if better { ci[l] } else { self.arg[l] };
        }
    }

    /// The smallest distance of any lane (a pruning bound).
    #[inline(always)]
    fn bound(&self) -> f32 {
        let mut b = self.best;
        let mut w = LANES / 2;
        while w > 0 {
            for l in 0..w {
                b[l] = b[l].min(b[l + w]);
            }
            w /= 2;
        }
        b[0]
    }

    #[inline(always)]
    fn min(&self) -> (f32, u32) {
        let (mut b, mut a) = (self.best[0], self.arg[0]);
        for l in 1..LANES {
            if self.best[l] < b || (self.best[l] == b && self.arg[l] < a) {
                b = self.best[l];
                a = self.arg[l];
            }
        }
        (b, a)
    }
}

#[inline(always)]
fn nearest_generic(query: &[f32], soa: &SortedSoa, index: &mut [u32], dist: &mut [f32]) {
    let chunks = soa.xs.len() / LANES;
    for ((p, idx), d) in query
        .chunks_exact(3)
        .zip(index.iter_mut())
        .zip(dist.iter_mut())
    {
        let q = (p[0], p[1], p[2]);
        let start = (soa.xs.partition_point(|&x| x < q.0) / LANES).min(chunks - 1);
        let mut lanes = Lanes {
            best: [f32::INFINITY; LANES],
            arg: [u32::MAX; LANES],
        };
        lanes.visit(soa, start, q);
        let mut best = lanes.bound();
        let (mut right, mut left) = (start + 1, start);
        let mut right_open = right < chunks;
        let mut left_open = left > 0;
        while right_open || left_open {
            if right_open {
                let gap = soa.xs[right * LANES] - q.0;
                if gap > 0.0 && gap * gap > best {
                    right_open = false;
                } else {
                    lanes.visit(soa, right, q);
                    best = lanes.bound();
                    right += 1;
                    right_open = right < chunks;
                }
            }
            if left_open {
                let gap = q.0 - soa.xs[left * LANES - 1];
                if gap > 0.0 && gap * gap > best {
                    left_open = false;
                } else {
                    left -= 1;
                    lanes.visit(soa, left, q);
                    best = lanes.bound();
                    left_open = left > 0;
                }
            }
        }
        let (b, a) = lanes.min();
        *idx = a;
        *d = b;
    }
}

/// Chamfer distance between two clouds, flat `(n, 3)` and `(m, 3)` (see the module docs).
///
/// # Panics
/// If either cloud is empty.
pub fn chamfer_distance(a: &[f32], b: &[f32]) -> f32 {
    let (n, m) = (a.len() / 3, b.len() / 3);
    assert!(n > 0 && m > 0, "empty cloud");
    let (mut ia, mut da) = (vec![0u32; n], vec![0f32; n]);
    let (mut ib, mut db) = (vec![0u32; m], vec![0f32; m]);
    nearest_neighbours(a, b, &mut ia, &mut da);
    nearest_neighbours(b, a, &mut ib, &mut db);
    mean(&da) + mean(&db)
}

fn mean(xs: &[f32]) -> f32 {
    (xs.iter().map(|&x| x as f64).sum::<f64>() / xs.len() as f64) as f32
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
    let mut pred_to_target = vec![0u32; b * n];
    let mut target_to_pred = vec![0u32; b * m];
    let mut chamfer = vec![0f32; b];
    pred_to_target
        .par_chunks_mut(n)
        .zip(target_to_pred.par_chunks_mut(m))
        .zip(chamfer.par_iter_mut())
        .enumerate()
        .for_each(|(s, ((pt, tp), cd))| {
            let p = &pred[s * 3 * n..(s + 1) * 3 * n];
            let t = &target[s * 3 * m..(s + 1) * 3 * m];
            let (mut dp, mut dt) = (vec![0f32; n], vec![0f32; m]);
            nearest_neighbours(p, t, pt, &mut dp);
            nearest_neighbours(t, p, tp, &mut dt);
            *cd = mean(&dp) + mean(&dt);
        });
    Ok(Assignments {
        pred_to_target,
        target_to_pred,
        chamfer,
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
    let mut chamfer = vec![0f32; b];
    grad.par_chunks_mut(3 * n)
        .zip(chamfer.par_iter_mut())
        .enumerate()
        .for_each(|(s, (g, cd))| {
            let p = &pred[s * 3 * n..(s + 1) * 3 * n];
            let t = &target[s * 3 * m..(s + 1) * 3 * m];
            let (mut ip, mut dp) = (vec![0u32; n], vec![0f32; n]);
            let (mut it, mut dt) = (vec![0u32; m], vec![0f32; m]);
            nearest_neighbours(p, t, &mut ip, &mut dp);
            nearest_neighbours(t, p, &mut it, &mut dt);
            *cd = mean(&dp) + mean(&dt);
            let (a, c) = (2.0 * scale / n as f32, 2.0 * scale / m as f32);
            for j in 0..n {
                let i = ip[j] as usize;
                for k in 0..3 {
                    g[3 * j + k] += a * (p[3 * j + k] - t[3 * i + k]);
                }
            }
            for i in 0..m {
                let j = it[i] as usize;
                for k in 0..3 {
                    g[3 * j + k] += c * (p[3 * j + k] - t[3 * i + k]);
                }
            }
        });
    Ok(chamfer)
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
            let cd = chamfer_distance(&a, &b) as f64;
            let bf = brute_force(&a, &b);
            assert!((cd - bf).abs() < 1e-5 * (1.0 + bf), "{n}×{m}: {cd} vs {bf}");
        }
        // Duplicate reference points: either duplicate, at the right distance.
        let r = [0.0f32, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0];
        let (mut i, mut d) = ([9u32], [9.0f32]);
        nearest_neighbours(&[0.9, 0.9, 0.9], &r, &mut i, &mut d);
        assert!(i[0] == 1 || i[0] == 2);
        assert!((d[0] - 0.03).abs() < 1e-6);
    }

    /// The portable kernel (used without AVX2) agrees with the dispatched one.
    #[test]
    fn portable_kernel_agrees() {
        let mut rng = StdRng::seed_from_u64(7);
        let a = cloud(&mut rng, 300);
        let b = cloud(&mut rng, 250);
        let (mut i1, mut d1) = (vec![0u32; 300], vec![0f32; 300]);
        let (mut i2, mut d2) = (vec![0u32; 300], vec![0f32; 300]);
        nearest_neighbours(&a, &b, &mut i1, &mut d1);
        nearest_generic(&a, &SortedSoa::new(&b), &mut i2, &mut d2);
        assert_eq!(i1, i2);
        for (x, y) in d1.iter().zip(&d2) {
            assert!((x - y).abs() <= 1e-6 * (1.0 + x));
        }
    }

    #[test]
    fn chamfer_is_symmetric_and_zero_on_itself() {
        let mut rng = StdRng::seed_from_u64(2);
        let a = cloud(&mut rng, 50);
        let b = cloud(&mut rng, 70);
        assert_eq!(chamfer_distance(&a, &a), 0.0);
        assert!((chamfer_distance(&a, &b) - chamfer_distance(&b, &a)).abs() < 1e-6);
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
            let cd = chamfer_distance(a, b) as f64;
            let bf = brute_force(a, b);
            assert!((cd - bf).abs() < 1e-5 * (1.0 + bf), "{cd} vs {bf}");
        }
        let (mut i, mut d) = (vec![0u32; 100], vec![0f32; 100]);
        nearest_neighbours(&tight[..300], &dup, &mut i, &mut d);
        assert!(i.iter().all(|&k| k < 40));
        for (q, dd) in tight.chunks_exact(3).zip(&d) {
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
