//! Distances between sample sets, to compare a tuned posterior with a reference.

/// Squared maximum mean discrepancy between two sample sets with a Gaussian kernel.
///
/// `a` and `b` are row-major `(n, dim)` and `(m, dim)` arrays. The kernel bandwidth is the median
/// pairwise distance of the pooled samples (the median heuristic), so the figure is scale-free:
/// 0 for identical distributions, up to 2 for disjoint ones. Uses the unbiased estimator, which
/// can be slightly negative when the sets come from one distribution.
///
/// # Panics
/// If `dim` is 0, a length is not a multiple of `dim`, or either set has fewer than 2 rows.
pub fn mmd_rbf(a: &[f32], b: &[f32], dim: usize) -> f64 {
    assert!(
        dim > 0 && a.len() % dim == 0 && b.len() % dim == 0,
        "rows of length {dim} expected"
    );
    let (n, m) = (a.len() / dim, b.len() / dim);
    assert!(n >= 2 && m >= 2, "need at least two samples per set");
    let sq = |x: &[f32], y: &[f32]| -> f64 {
        x.iter().zip(y).map(|(p, q)| ((p - q) as f64).powi(2)).sum()
    };
    let bandwidth2 = median_sq_distance(a, b, dim).max(1e-12);
    let k = |x: &[f32], y: &[f32]| (-sq(x, y) / (2.0 * bandwidth2)).exp();
    fn row(s: &[f32], i: usize, dim: usize) -> &[f32] {
        &s[i * dim..(i + 1) * dim]
    }
    let row_a = |i| row(a, i, dim);
    let row_b = |i| row(b, i, dim);
    let mut kaa = 0.0;
    for i in 0..n {
        for j in (i + 1)..n {
            kaa += 2.0 * k(row_a(i), row_a(j));
        }
    }
    let mut kbb = 0.0;
    for i in 0..m {
        for j in (i + 1)..m {
            kbb += 2.0 * k(row_b(i), row_b(j));
        }
    }
    let mut kab = 0.0;
    for i in 0..n {
        for j in 0..m {
            kab += k(row_a(i), row_b(j));
        }
    }
    let (nf, mf) = (n as f64, m as f64);
    kaa / (nf * (nf - 1.0)) + kbb / (mf * (mf - 1.0)) - 2.0 * kab / (nf * mf)
}

/// Median squared pairwise distance over (at most the first 500 rows of) both sets pooled.
fn median_sq_distance(a: &[f32], b: &[f32], dim: usize) -> f64 {
    let take = |s: &[f32]| s[..s.len().min(500 * dim)].to_vec();
    let pooled: Vec<f32> = [take(a), take(b)].concat();
    let n = pooled.len() / dim;
    let mut d = Vec::with_capacity(n * (n - 1) / 2);
    for i in 0..n {
        for j in (i + 1)..n {
            let s: f64 = (0..dim)
                .map(|c| ((pooled[i * dim + c] - pooled[j * dim + c]) as f64).powi(2))
                .sum();
            d.push(s);
        }
    }
    let mid = d.len() / 2;
    *d.select_nth_unstable_by(mid, |x, y| x.total_cmp(y)).1
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{rngs::StdRng, Rng, SeedableRng};

    fn gaussian(n: usize, shift: f32, rng: &mut StdRng) -> Vec<f32> {
        (0..2 * n)
            .map(|_| rng.sample::<f32, _>(rand_distr::StandardNormal) + shift)
            .collect()
    }

    #[test]
    fn same_distribution_is_near_zero_and_shift_is_not() {
        let mut rng = StdRng::seed_from_u64(1);
        let a = gaussian(400, 0.0, &mut rng);
        let b = gaussian(400, 0.0, &mut rng);
        let c = gaussian(400, 1.5, &mut rng);
        let same = mmd_rbf(&a, &b, 2);
        let shifted = mmd_rbf(&a, &c, 2);
        assert!(same.abs() < 0.01, "same: {same}");
        assert!(shifted > 0.1, "shifted: {shifted}");
    }
}
