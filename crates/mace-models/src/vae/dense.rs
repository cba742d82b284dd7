//! Dense layers on plain `f32` buffers: strided matrix products on `gemm` (split across the
//! rayon pool when large), a layer's forward and backward passes, and the ReLU's backward.

use rayon::prelude::*;

/// Work (multiply-adds) above which a product is split across the rayon pool.
const PARALLEL_WORK: usize = 1 << 21;

/// A strided matrix layout: element (i, j) at `i · rs + j · cs`.
#[derive(Clone, Copy)]
pub(super) struct View {
    rs: usize,
    cs: usize,
}

pub(super) const fn row_major(cols: usize) -> View {
    View { rs: cols, cs: 1 }
}

pub(super) const fn transposed(cols: usize) -> View {
    View { rs: 1, cs: cols }
}

pub(super) fn fits(len: usize, rows: usize, cols: usize, v: View) -> bool {
    rows == 0 || cols == 0 || (rows - 1) * v.rs + (cols - 1) * v.cs < len
}

/// `dst (m × n) [+]= lhs (m × k) · rhs (k × n)` with `gemm`.
///
/// # Panics
/// If a buffer is too short for its view.
#[allow(clippy::too_many_arguments)]
pub(super) fn matmul(
    (m, n, k): (usize, usize, usize),
    dst: &mut [f32],
    d: View,
    accumulate: bool,
    lhs: &[f32],
    l: View,
    rhs: &[f32],
    r: View,
) {
    assert!(fits(dst.len(), m, n, d), "matmul: destination too short");
    assert!(fits(lhs.len(), m, k, l), "matmul: lhs too short");
    assert!(fits(rhs.len(), k, n, r), "matmul: rhs too short");
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            for i in 0..m {
                for j in 0..n {
                    dst[i * d.rs + j * d.cs] = 0.0;
                }
            }
        }
        return;
    }
    let threads = rayon::current_num_threads();
    let parallelism = if threads > 1 && m * n * k >= PARALLEL_WORK {
        gemm::Parallelism::Rayon(threads)
    } else {
        gemm::Parallelism::None
    };
    // SAFETY: the assertions above bound every element gemm reads or writes.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            d.cs as isize,
            d.rs as isize,
            accumulate,
            lhs.as_ptr(),
            l.cs as isize,
            l.rs as isize,
            rhs.as_ptr(),
            r.cs as isize,
            r.rs as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            parallelism,
        );
    }
}

/// A linear layer `out = in · wᵀ + b`, `w` `(out, in)` row-major (candle's layout).
#[derive(Debug, Clone)]
pub(crate) struct Dense {
    pub(crate) w: Vec<f32>,
    pub(crate) b: Vec<f32>,
    pub(crate) inp: usize,
    pub(crate) out: usize,
}

impl Dense {
    pub(super) fn zeros(inp: usize, out: usize) -> Self {
        Self {
            w: vec![0.0; inp * out],
            b: vec![0.0; out],
            inp,
            out,
        }
    }

    pub(super) fn zeros_like(&self) -> Self {
        Self::zeros(self.inp, self.out)
    }

    /// `dst (rows, out) = src (rows, in) · wᵀ + b`, then ReLU if `relu`.
    pub(super) fn forward(&self, src: &[f32], rows: usize, dst: &mut Vec<f32>, relu: bool) {
        let out = self.out;
        dst.resize(rows * out, 0.0);
        let bias = &self.b;
        let init = |chunk: &mut [f32]| {
            for row in chunk.chunks_exact_mut(out) {
                row.copy_from_slice(bias);
            }
        };
        par_rows(dst, out, init);
        matmul(
            (rows, out, self.inp),
            dst,
            row_major(out),
            true,
            src,
            row_major(self.inp),
            &self.w,
            transposed(self.inp),
        );
        if relu {
            par_rows(dst, out, |chunk| {
                for v in chunk {
                    *v = v.max(0.0);
                }
            });
        }
    }

    /// Accumulates `grad.w += dzᵀ · src` and `grad.b += Σ_rows dz` for `dz (rows, out)` and
    /// `src (rows, in)`; if `d_src` is given, writes `d_src (rows, in) = dz · w`.
    pub(super) fn backward(
        &self,
        grad: &mut Dense,
        dz: &[f32],
        src: &[f32],
        rows: usize,
        d_src: Option<&mut Vec<f32>>,
    ) {
        let (inp, out) = (self.inp, self.out);
        matmul(
            (out, inp, rows),
            &mut grad.w,
            row_major(inp),
            true,
            dz,
            transposed(out),
            src,
            row_major(inp),
        );
        for row in dz.chunks_exact(out) {
            for (g, v) in grad.b.iter_mut().zip(row) {
                *g += v;
            }
        }
        if let Some(d) = d_src {
            d.resize(rows * inp, 0.0);
            matmul(
                (rows, inp, out),
                d,
                row_major(inp),
                false,
                dz,
                row_major(out),
                &self.w,
                row_major(inp),
            );
        }
    }
}

/// Runs `f` on chunks of whole rows of `values` (width `cols`), in parallel when large.
pub(super) fn par_rows(values: &mut [f32], cols: usize, f: impl Fn(&mut [f32]) + Sync + Send) {
    let rows_per_chunk = (1 << 16) / cols.max(1) + 1;
    if values.len() >= 1 << 17 {
        values
            .par_chunks_mut(rows_per_chunk * cols.max(1))
            .for_each(&f);
    } else {
        f(values);
    }
}

/// `dz = da ⊙ [out > 0]` (the ReLU's backward, from its output).
pub(super) fn relu_backward(da: &mut [f32], out: &[f32]) {
    for (g, o) in da.iter_mut().zip(out) {
        if *o <= 0.0 {
            *g = 0.0;
        }
    }
}
