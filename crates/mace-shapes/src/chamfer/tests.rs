//! The kernel against a plain double loop on every instruction set, and against the trees.

use super::kernel::{Isa, Minima, LANES};
use super::*;

/// A small deterministic generator (the crate's tests must not depend on rand's streams).
struct Lcg(u64);

impl Lcg {
    fn unit(&mut self) -> f32 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 40) as f32 / (1u64 << 24) as f32 - 0.5
    }

    fn cloud(&mut self, n: usize, scale: [f32; 3]) -> Vec<[f32; 3]> {
        (0..n)
            .map(|_| std::array::from_fn(|k| scale[k] * self.unit()))
            .collect()
    }
}

fn sq(p: &[f32; 3], q: &[f32; 3]) -> f32 {
    let d = [p[0] - q[0], p[1] - q[1], p[2] - q[2]];
    d[0] * d[0] + d[1] * d[1] + d[2] * d[2]
}

/// Nearest squared distance from each point of `from` to `to`, by a plain double loop.
fn naive(from: &[[f32; 3]], to: &[[f32; 3]]) -> Vec<f32> {
    from.iter()
        .map(|p| to.iter().map(|q| sq(p, q)).fold(f32::INFINITY, f32::min))
        .collect()
}

fn isas() -> Vec<Isa> {
    let mut out = vec![Isa::Generic];
    #[cfg(target_arch = "x86_64")]
    {
        if is_x86_feature_detected!("avx2") {
            out.push(Isa::Avx2);
        }
        if is_x86_feature_detected!("avx512f") {
            out.push(Isa::Avx512);
        }
    }
    out
}

/// Nearest distances of the kernel on `isa`, back in the original point order.
fn kernel(a: &[[f32; 3]], b: &[[f32; 3]], minima: Minima, isa: Isa) -> (Vec<f32>, Vec<f32>) {
    let (sa, sb) = (Soa::new(a), Soa::new(b));
    let n = sa.nearest(&sb, minima, isa, false);
    let (row, col) = (n.row, n.col);
    let unsort = |s: &Soa, v: &[f32]| {
        let mut out = vec![0.0; s.len()];
        for (&i, &d) in s.ids.iter().zip(v) {
            out[i as usize] = d;
        }
        out
    };
    (unsort(&sa, &row), unsort(&sb, &col))
}

#[test]
fn chamfer_kernel_is_exact_on_every_isa() {
    let mut rng = Lcg(11);
    let shapes: [(usize, usize, [f32; 3]); 7] = [
        (1, 1, [1.0; 3]),
        (1, 37, [1.0; 3]),
        (17, 5, [1.0, 0.1, 1.0]),
        (100, 300, [1.0, 1.0, 0.01]),
        (257, 250, [1.0; 3]),
        (512, 513, [1.0, 0.5, 0.2]),
        (1000, 40, [0.01, 1.0, 1.0]),
    ];
    for (n, m, scale) in shapes {
        let a = rng.cloud(n, scale);
        // b partly overlaps a, partly a shifted copy: exact ties and zero distances.
        let mut b = rng.cloud(m, scale);
        for (k, p) in b.iter_mut().enumerate().take(n.min(m) / 3) {
            *p = a[k];
            if k % 2 == 1 {
                p[0] += 0.25;
            }
        }
        let (want_row, want_col) = (naive(&a, &b), naive(&b, &a));
        for isa in isas() {
            let (row, col) = kernel(&a, &b, Minima::Both, isa);
            assert_eq!(row, want_row, "{isa:?} rows {n}x{m}");
            assert_eq!(col, want_col, "{isa:?} columns {n}x{m}");
            let (row, _) = kernel(&a, &b, Minima::Rows, isa);
            assert_eq!(row, want_row, "{isa:?} rows only {n}x{m}");
        }
    }
}

#[test]
fn chamfer_kernel_handles_duplicates_and_extremes() {
    let mut rng = Lcg(5);
    let dup = vec![[0.1f32, 0.2, 0.3]; 100];
    let a = rng.cloud(70, [1.0; 3]);
    let big = vec![[f32::MAX, 0.0, 0.0], [0.0, f32::MIN, 1.0], [1.0, 2.0, 3.0]];
    for (p, q) in [(&dup, &a), (&a, &dup), (&big, &a), (&a, &big), (&big, &big)] {
        for isa in isas() {
            let (row, col) = kernel(p, q, Minima::Both, isa);
            assert_eq!(row, naive(p, q), "{isa:?}");
            assert_eq!(col, naive(q, p), "{isa:?}");
        }
    }
}

#[test]
fn chamfer_kernel_matches_the_kd_trees_bit_for_bit() {
    let mut rng = Lcg(3);
    for (n, m) in [(2048, 2048), (300, 2000), (64, 64)] {
        let a = rng.cloud(n, [0.6, 0.2, 0.8]);
        let b = rng.cloud(m, [0.6, 0.25, 0.7]);
        let (ta, tb) = (NnIndex::new(&a).unwrap(), NnIndex::new(&b).unwrap());
        let (ab, ba) = Soa::new(&a).mean_nearest_both(&Soa::new(&b));
        assert_eq!(ab, tb.mean_nearest_sq(&a));
        assert_eq!(ba, ta.mean_nearest_sq(&b));
        assert_eq!(Soa::new(&a).mean_nearest_one(&Soa::new(&b)), ab);
    }
}

#[test]
fn chamfer_kd_order_is_a_permutation_into_compact_chunks() {
    let mut rng = Lcg(8);
    let a = rng.cloud(1000, [1.0, 0.3, 0.6]);
    let s = Soa::new(&a);
    let mut ids = s.ids.clone();
    ids.sort_unstable();
    assert!(ids.iter().copied().eq(0..1000));
    assert_eq!(s.x.len(), 1008);
    assert!(s.x[1000..].iter().all(|v| v.is_nan()));
    for (k, &i) in s.ids.iter().enumerate() {
        assert_eq!([s.x[k], s.y[k], s.z[k]], a[i as usize]);
        let c = k / LANES;
        for (axis, v) in [s.x[k], s.y[k], s.z[k]].into_iter().enumerate() {
            assert!(s.lo[axis][c] <= v && v <= s.hi[axis][c]);
        }
    }
}

/// Nearest neighbours of the kernel on `isa` with tracking, back in the original order: for
/// each point (index of the nearest point in the other cloud, its distance).
/// Per point: (index of the nearest point of the other cloud, squared distance).
type Neighbours = Vec<(u32, f32)>;

fn tracked(a: &[[f32; 3]], b: &[[f32; 3]], isa: Isa) -> (Neighbours, Neighbours) {
    let (sa, sb) = (Soa::new(a), Soa::new(b));
    let n = sa.nearest(&sb, Minima::Both, isa, true);
    let back = |s: &Soa, o: &Soa, d: &[f32], idx: &[u32]| {
        let mut out = vec![(0, 0.0); s.len()];
        for (k, &i) in s.ids.iter().enumerate() {
            out[i as usize] = (o.ids[idx[k] as usize], d[k]);
        }
        out
    };
    (
        back(&sa, &sb, &n.row, &n.row_idx),
        back(&sb, &sa, &n.col, &n.col_idx),
    )
}

#[test]
fn tracked_neighbours_are_nearest_on_every_isa() {
    let mut rng = Lcg(21);
    for (n, m) in [(1, 1), (5, 40), (300, 257), (2048, 2048), (1000, 33)] {
        let a = rng.cloud(n, [1.0, 0.4, 0.7]);
        let mut b = rng.cloud(m, [1.0, 0.4, 0.7]);
        // Exact copies: ties at distance 0 must still point at a point at distance 0.
        for (k, p) in b.iter_mut().enumerate().take(n.min(m) / 4) {
            *p = a[k];
        }
        let (want_row, want_col) = (naive(&a, &b), naive(&b, &a));
        for isa in isas() {
            let (row, col) = tracked(&a, &b, isa);
            for (i, &(j, d)) in row.iter().enumerate() {
                assert_eq!(d, want_row[i], "{isa:?} {n}x{m} row {i}");
                assert_eq!(sq(&a[i], &b[j as usize]), d, "{isa:?} row {i} → {j}");
            }
            for (j, &(i, d)) in col.iter().enumerate() {
                assert_eq!(d, want_col[j], "{isa:?} {n}x{m} column {j}");
                assert_eq!(sq(&b[j], &a[i as usize]), d, "{isa:?} column {j} → {i}");
            }
            // Tracking changes nothing about the minima.
            assert_eq!(kernel(&a, &b, Minima::Both, isa).0, want_row);
        }
        let nn = nearest_both(&a, &b).unwrap();
        assert_eq!(nn.chamfer(), chamfer(&a, &b).unwrap());
        let tree = NnIndex::new(&b).unwrap();
        for (i, p) in a.iter().enumerate() {
            let (j, d) = tree.nearest(p);
            assert_eq!(d, want_row[i]);
            assert_eq!(sq(p, &b[j as usize]), d);
        }
    }
}
