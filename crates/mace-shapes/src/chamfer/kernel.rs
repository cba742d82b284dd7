//! The exact tiled kernel behind the Chamfer distances and the nearest-neighbour assignments
//! (see the parent module's docs): clouds in structure-of-arrays layout in k-d order, register
//! tiles of 4 (AVX-512) or 2 (AVX2) query points against chunks of 16, chunk pairs pruned by
//! their bounding boxes, optionally tracking which point each minimum came from.

/// Largest `|a|·|b|` for which a pair runs the tiled kernel rather than the k-d trees: two
/// clouds of 32768 points, a 16 MiB table of chunk-pair bounds. (The kernel was still 7× faster
/// than the trees there.)
pub(super) const TILED_MAX_PAIRS: usize = 1 << 30;

/// Whether a pair of clouds of `a` and `b` points runs the tiled kernel.
pub(super) fn use_tiled(a: usize, b: usize) -> bool {
    a.saturating_mul(b) <= TILED_MAX_PAIRS
}

/// Points per chunk: the lane group of the kernel (one AVX-512 register, two AVX2 ones), and
/// the unit of the bounding-box pruning.
pub(super) const LANES: usize = 16;
/// Query points per register tile (broadcast in registers, with their running minima).
const QUERIES: usize = 4;

/// A cloud in structure-of-arrays layout for the tiled kernel: points in k-d order (a
/// recursive median split along the widest axis) so that each chunk of [`LANES`] consecutive
/// points is compact, padded to whole chunks with NaN points, with each chunk's bounding box.
///
/// A NaN distance never compares less than a running minimum, so padding never wins one; the
/// minima of padding rows and columns are ignored.
pub(super) struct Soa {
    pub(super) x: Vec<f32>,
    pub(super) y: Vec<f32>,
    pub(super) z: Vec<f32>,
    /// Original index of each (real) point in k-d order.
    pub(super) ids: Vec<u32>,
    /// Per chunk, per axis: smallest and largest coordinate of its real points.
    pub(super) lo: [Vec<f32>; 3],
    pub(super) hi: [Vec<f32>; 3],
}

impl Soa {
    /// Lays `points` out (they must be finite and non-empty).
    pub(super) fn new(points: &[[f32; 3]]) -> Self {
        let n = points.len();
        let mut order: Vec<([f32; 3], u32)> =
            points.iter().zip(0u32..).map(|(&p, i)| (p, i)).collect();
        let mut bounds = [[f32::INFINITY; 3], [f32::NEG_INFINITY; 3]];
        for p in points {
            for (k, &v) in p.iter().enumerate() {
                let [lo, hi] = &mut bounds;
                lo[k] = if v < lo[k] { v } else { lo[k] };
                hi[k] = if v > hi[k] { v } else { hi[k] };
            }
        }
        kd_order(&mut order, bounds);
        let ids: Vec<u32> = order.iter().map(|&(_, i)| i).collect();
        let padded = n.div_ceil(LANES) * LANES;
        let axis = |k: usize| {
            let mut v: Vec<f32> = order.iter().map(|(p, _)| p[k]).collect();
            v.resize(padded, f32::NAN);
            v
        };
        let (x, y, z) = (axis(0), axis(1), axis(2));
        let chunks = padded / LANES;
        let mut lo: [Vec<f32>; 3] = std::array::from_fn(|_| vec![f32::INFINITY; chunks]);
        let mut hi: [Vec<f32>; 3] = std::array::from_fn(|_| vec![f32::NEG_INFINITY; chunks]);
        for (k, coords) in [&x, &y, &z].into_iter().enumerate() {
            for (s, &v) in coords[..n].iter().enumerate() {
                let c = s / LANES;
                lo[k][c] = if v < lo[k][c] { v } else { lo[k][c] };
                hi[k][c] = if v > hi[k][c] { v } else { hi[k][c] };
            }
        }
        Self {
            x,
            y,
            z,
            ids,
            lo,
            hi,
        }
    }

    /// Real points.
    pub(super) fn len(&self) -> usize {
        self.ids.len()
    }

    fn chunks(&self) -> usize {
        self.x.len() / LANES
    }

    /// `v` (one value per point in k-d order, padded) back in the original point order, as
    /// `f64`: the order in which the means are summed.
    fn mean_in_original_order(&self, v: &[f32]) -> f64 {
        let mut out = vec![0.0f32; self.len()];
        for (&i, &d) in self.ids.iter().zip(v) {
            out[i as usize] = d;
        }
        out.iter().map(|&d| f64::from(d)).sum::<f64>() / out.len() as f64
    }

    /// Row (`self` → `other`) and column (`other` → `self`) nearest squared distances, each in
    /// k-d order, padded; with `track`, also the k-d position of each nearest point.
    pub(super) fn nearest(&self, other: &Self, minima: Minima, isa: Isa, track: bool) -> Nearest {
        let mut out = Nearest::new(self.x.len(), other.x.len(), track);
        min_tiles(isa, self, other, &mut out, minima);
        out
    }

    /// (mean over `self` of the squared distance to the nearest point of `other`, the same from
    /// `other` to `self`), from one pass over the needed tiles of the distance matrix.
    pub(super) fn mean_nearest_both(&self, other: &Self) -> (f64, f64) {
        let n = self.nearest(other, Minima::Both, Isa::detect(), false);
        (
            self.mean_in_original_order(&n.row),
            other.mean_in_original_order(&n.col),
        )
    }

    /// Mean over `self` of the squared distance to the nearest point of `other`.
    pub(super) fn mean_nearest_one(&self, other: &Self) -> f64 {
        let n = self.nearest(other, Minima::Rows, Isa::detect(), false);
        self.mean_in_original_order(&n.row)
    }

    /// For each point of `self` (original order) the original index of its nearest point of
    /// `other` and the squared distance, and the same for each point of `other`.
    pub(super) fn nearest_both(&self, other: &Self) -> super::NearestBoth {
        let n = self.nearest(other, Minima::Both, Isa::detect(), true);
        let (a_to_b, a_dist) = self.unsort(&n.row, &n.row_idx, other);
        let (b_to_a, b_dist) = other.unsort(&n.col, &n.col_idx, self);
        super::NearestBoth {
            a_to_b,
            a_dist,
            b_to_a,
            b_dist,
        }
    }

    /// Per real point of `self`, in original order: (original index in `other` of the k-d
    /// position `idx`, distance).
    fn unsort(&self, dist: &[f32], idx: &[u32], other: &Self) -> (Vec<u32>, Vec<f32>) {
        let (mut to, mut d) = (vec![0u32; self.len()], vec![0.0f32; self.len()]);
        for (k, &i) in self.ids.iter().enumerate() {
            to[i as usize] = other.ids[idx[k] as usize];
            d[i as usize] = dist[k];
        }
        (to, d)
    }
}

/// Orders `points` (with their original indices) so that every aligned run of [`LANES`] is
/// spatially compact: split at a whole number of chunks near the median along the widest axis
/// of `bounds` (a box holding the points), recurse with the box cut at the split value.
/// Deterministic (a function of the points alone).
fn kd_order(points: &mut [([f32; 3], u32)], bounds: [[f32; 3]; 2]) {
    if points.len() <= LANES {
        return;
    }
    let [lo, hi] = bounds;
    let widest = (0..3)
        .max_by(|&p, &q| (hi[p] - lo[p]).total_cmp(&(hi[q] - lo[q])))
        .unwrap_or(0);
    // At least 2 chunks here, so 0 < mid < len; the left part holds whole chunks, the last
    // (partial) chunk stays rightmost.
    let mid = points.len().div_ceil(LANES) / 2 * LANES;
    points.select_nth_unstable_by(mid, |p, q| p.0[widest].total_cmp(&q.0[widest]));
    let split = points[mid].0[widest];
    let (left, right) = points.split_at_mut(mid);
    let (mut left_hi, mut right_lo) = (hi, lo);
    left_hi[widest] = split;
    right_lo[widest] = split;
    kd_order(left, [lo, left_hi]);
    kd_order(right, [right_lo, hi]);
}

/// `gaps[j]` = lower bound on the squared distance between any point of chunk `i` of `a` and
/// any of chunk `j` of `b`, from their boxes. It is computed with the same `f32` operations, in
/// the same order, as the kernel's distances, and rounding is monotonic, so it never exceeds a
/// computed distance: pruning on it is exact.
#[inline(always)]
fn box_gaps(a: &Soa, i: usize, b: &Soa, gaps: &mut [f32]) {
    let gap = |blo: f32, bhi: f32, k: usize| {
        let (l, r) = (blo - a.hi[k][i], a.lo[k][i] - bhi);
        let g = if l > r { l } else { r };
        let g = if g > 0.0 { g } else { 0.0 };
        g * g
    };
    let lo = b.lo.each_ref().map(|v| &v[..gaps.len()]);
    let hi = b.hi.each_ref().map(|v| &v[..gaps.len()]);
    for (j, out) in gaps.iter_mut().enumerate() {
        *out = gap(lo[0][j], hi[0][j], 0) + gap(lo[1][j], hi[1][j], 1) + gap(lo[2][j], hi[2][j], 2);
    }
}

/// Largest minimum among the real points of chunk `c` (`len` real points in all).
#[inline(always)]
fn chunk_bound(v: &[f32], c: usize, len: usize) -> f32 {
    let base = c * LANES;
    let chunk: &[f32; LANES] = v[base..base + LANES].try_into().expect("LANES");
    // Padding (beyond `len`) counts as 0; a tree, so that it vectorises.
    let mut m: [f32; LANES] = std::array::from_fn(|l| if base + l < len { chunk[l] } else { 0.0 });
    let mut width = LANES / 2;
    while width > 0 {
        for l in 0..width {
            m[l] = if m[l + width] > m[l] {
                m[l + width]
            } else {
                m[l]
            };
        }
        width /= 2;
    }
    m[0]
}

/// Smallest value of `v` (+∞ if empty), in [`LANES`] running minima so that it vectorises.
#[inline(always)]
fn min_of(v: &[f32]) -> f32 {
    let mut m = [f32::INFINITY; LANES];
    let mut chunks = v.chunks_exact(LANES);
    for c in &mut chunks {
        for l in 0..LANES {
            m[l] = if c[l] < m[l] { c[l] } else { m[l] };
        }
    }
    for (l, &x) in chunks.remainder().iter().enumerate() {
        m[l] = if x < m[l] { x } else { m[l] };
    }
    m.iter()
        .fold(f32::INFINITY, |acc, &x| if x < acc { x } else { acc })
}

/// Running minima of a kernel pass, each in k-d order and padded: row (nearest in `b` of each
/// point of `a`) and column (nearest in `a` of each point of `b`) squared distances, and where
/// tracked the k-d position of the point each came from (empty otherwise).
pub(super) struct Nearest {
    pub(super) row: Vec<f32>,
    pub(super) col: Vec<f32>,
    pub(super) row_idx: Vec<u32>,
    pub(super) col_idx: Vec<u32>,
}

impl Nearest {
    fn new(rows: usize, cols: usize, track: bool) -> Self {
        let idx = |n: usize| if track { vec![0u32; n] } else { Vec::new() };
        Self {
            row: vec![f32::INFINITY; rows],
            col: vec![f32::INFINITY; cols],
            row_idx: idx(rows),
            col_idx: idx(cols),
        }
    }

    fn tracked(&self) -> bool {
        !self.row_idx.is_empty()
    }
}

/// Which minima [`min_tiles`] must get right.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Minima {
    /// Row and column minima (both directions of a Chamfer distance).
    Both,
    /// Row minima only (column minima are still lowered, but some may be left too high).
    Rows,
}

/// Which register tiles [`min_tiles`] runs.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Isa {
    /// AVX-512F: one register per chunk of [`LANES`].
    #[cfg(target_arch = "x86_64")]
    Avx512,
    /// AVX2: two registers per chunk.
    #[cfg(target_arch = "x86_64")]
    Avx2,
    /// Plain code, any target.
    Generic,
}

impl Isa {
    /// The widest instruction set of this CPU.
    pub(super) fn detect() -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            if is_x86_feature_detected!("avx512f") {
                return Self::Avx512;
            }
            if is_x86_feature_detected!("avx2") {
                return Self::Avx2;
            }
        }
        Self::Generic
    }
}

/// `row[p] = min(row[p], min_q d(a_p, b_q))` and (for [`Minima::Both`])
/// `col[q] = min(col[q], min_p d(a_p, b_q))` over the padded clouds in k-d order, on `isa`
/// (with the arg-minima where `out` tracks them).
///
/// # Panics
/// If this CPU does not support `isa`.
fn min_tiles(isa: Isa, a: &Soa, b: &Soa, out: &mut Nearest, minima: Minima) {
    match (isa, out.tracked()) {
        #[cfg(target_arch = "x86_64")]
        (Isa::Avx512, track) => {
            assert!(
                is_x86_feature_detected!("avx512f"),
                "AVX-512F is not available"
            );
            // SAFETY: the CPU supports AVX-512F (asserted just above).
            unsafe { min_tiles_avx512(a, b, out, minima, track) }
        }
        #[cfg(target_arch = "x86_64")]
        (Isa::Avx2, track) => {
            assert!(is_x86_feature_detected!("avx2"), "AVX2 is not available");
            // SAFETY: the CPU supports AVX2 (asserted just above).
            unsafe { min_tiles_avx2(a, b, out, minima, track) }
        }
        (Isa::Generic, false) => {
            min_tiles_with(a, b, out, minima, tiles_portable::<QUERIES, false>)
        }
        (Isa::Generic, true) => min_tiles_with(a, b, out, minima, tiles_portable::<QUERIES, true>),
    }
}

/// [`min_tiles_with`] on AVX-512F: a chunk of `b` is one register; [`QUERIES`] points of `a`
/// are broadcast in registers with their running minima (32 registers in all).
///
/// # Safety
/// The CPU must support AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn min_tiles_avx512(a: &Soa, b: &Soa, out: &mut Nearest, minima: Minima, track: bool) {
    if track {
        min_tiles_with(a, b, out, minima, tiles_portable::<QUERIES, true>);
    } else {
        min_tiles_with(a, b, out, minima, tiles_portable::<QUERIES, false>);
    }
}

/// [`min_tiles_with`] on AVX2: a chunk of `b` is two registers; 2 points of `a` are broadcast
/// in registers with their running minima (16 registers in all).
///
/// # Safety
/// The CPU must support AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn min_tiles_avx2(a: &Soa, b: &Soa, out: &mut Nearest, minima: Minima, track: bool) {
    if track {
        min_tiles_with(a, b, out, minima, tiles_portable::<2, true>);
    } else {
        min_tiles_with(a, b, out, minima, tiles_portable::<2, false>);
    }
}

/// Fractions of the bounds used by the successive sweeps of [`min_tiles_with`]: a first sweep
/// over the nearest chunk pairs tightens the bounds for the final, exact one.
const SWEEPS: [f32; 2] = [0.25, 1.0];

/// [`min_tiles`] with the register tiles `tiles` (chunk `i` of `a`, its 16 row minima,
/// against the chunks `js` of `b`), skipping the chunk pairs whose boxes are too far apart to
/// lower any minimum that matters.
///
/// First each chunk of `a` meets the chunk of `b` with the nearest box and vice versa, which
/// bounds every row and column minimum. Then sweeps: each chunk of `a` meets the chunks of `b`
/// not met yet whose box gap is below the largest row minimum of the `a` chunk or the largest
/// column minimum of the `b` chunk (bounds refreshed as the sweep goes), scaled by
/// [`SWEEPS`]. The last sweep is unscaled, and a pair it skips cannot lower any minimum, so
/// the result is the brute-force one.
#[inline(always)]
fn min_tiles_with(
    a: &Soa,
    b: &Soa,
    out: &mut Nearest,
    minima: Minima,
    tiles: impl Fn(&Soa, usize, &Soa, &[u32], &mut Nearest),
) {
    let (na, nb) = (a.chunks(), b.chunks());
    let mut gaps = vec![0.0f32; na * nb];
    // Pass 1: for each chunk of `a` the chunk of `b` with the nearest box, and vice versa
    // (branch-free loops, so that they vectorise).
    let mut first: Vec<Vec<u32>> = vec![Vec::new(); na];
    let mut col_gap = vec![f32::INFINITY; nb];
    let mut col_arg = vec![0u32; nb];
    for (i, gaps) in gaps.chunks_exact_mut(nb).enumerate() {
        box_gaps(a, i, b, gaps);
        let nearest = min_of(gaps);
        let j = gaps.iter().position(|&g| g == nearest).unwrap_or(0);
        first[i].push(j as u32);
        if minima == Minima::Both {
            for ((&g, cg), ci) in gaps.iter().zip(&mut col_gap).zip(&mut col_arg) {
                let closer = g < *cg;
                *cg = if closer { g } else { *cg };
                *ci = if closer { i as u32 } else { *ci };
            }
        }
    }
    if minima == Minima::Both {
        for (&i, j) in col_arg.iter().zip(0u32..) {
            if !first[i as usize].contains(&j) {
                first[i as usize].push(j);
            }
        }
    }
    for (i, js) in first.iter().enumerate() {
        tiles(a, i, b, js, out);
        // These pairs are done: an infinite gap is never below a bound.
        for &j in js {
            gaps[i * nb + j as usize] = f32::INFINITY;
        }
    }
    // Column bounds: 0 when only the rows matter (a gap is never below 0).
    let col_bound = |col: &[f32], j: usize| match minima {
        Minima::Both => chunk_bound(col, j, b.len()),
        Minima::Rows => 0.0,
    };
    let mut col_bounds: Vec<f32> = (0..nb).map(|j| col_bound(&out.col, j)).collect();
    let mut threshold = vec![0.0f32; nb];
    let mut js = vec![0u32; nb];
    for scale in SWEEPS {
        for (i, gaps) in gaps.chunks_exact_mut(nb).enumerate() {
            let row_bound = chunk_bound(&out.row, i, a.len());
            for (t, &cb) in threshold.iter_mut().zip(&col_bounds) {
                *t = scale * if cb > row_bound { cb } else { row_bound };
            }
            // Branch-free compaction of the indices j with gap < threshold.
            let mut count = 0;
            for ((&g, &t), j) in gaps.iter().zip(&threshold).zip(0u32..) {
                js[count] = j;
                count += usize::from(g < t);
            }
            if count == 0 {
                continue;
            }
            let js = &js[..count];
            tiles(a, i, b, js, out);
            for &j in js {
                col_bounds[j as usize] = col_bound(&out.col, j as usize);
                gaps[j as usize] = f32::INFINITY;
            }
        }
    }
}

/// One value per point of a chunk: written element-wise on whole arrays, so that each
/// operation compiles to one SIMD instruction per register of the target (auto-vectorised).
type Lanes = [f32; LANES];

/// `d < m ? d : m` lane by lane (x86 `minps`): a NaN (padding) distance never wins.
#[inline(always)]
fn lanes_min(d: &Lanes, m: &Lanes) -> Lanes {
    std::array::from_fn(|l| if d[l] < m[l] { d[l] } else { m[l] })
}

/// The register tiles: the points of chunk `i` of `a`, `Q` at a time held in registers against
/// each chunk `js` of `b`, lower their row minima and the column minima of those chunks (and,
/// with `IDX`, record the k-d position each new minimum came from; a tie keeps the earlier one).
/// Inlined into each instruction-set variant.
#[inline(always)]
fn tiles_portable<const Q: usize, const IDX: bool>(
    a: &Soa,
    i: usize,
    b: &Soa,
    js: &[u32],
    out: &mut Nearest,
) {
    for g in 0..LANES / Q {
        let q0 = i * LANES + g * Q;
        let qx: [Lanes; Q] = std::array::from_fn(|q| [a.x[q0 + q]; LANES]);
        let qy: [Lanes; Q] = std::array::from_fn(|q| [a.y[q0 + q]; LANES]);
        let qz: [Lanes; Q] = std::array::from_fn(|q| [a.z[q0 + q]; LANES]);
        let mut acc = [[f32::INFINITY; LANES]; Q];
        let mut acc_at = [[0u32; LANES]; Q];
        for &j in js {
            let base = j as usize * LANES;
            let r = base..base + LANES;
            let cx: &Lanes = b.x[r.clone()].try_into().expect("LANES");
            let cy: &Lanes = b.y[r.clone()].try_into().expect("LANES");
            let cz: &Lanes = b.z[r.clone()].try_into().expect("LANES");
            let mut m: Lanes = out.col[r.clone()].try_into().expect("LANES");
            let mut m_at = [0u32; LANES];
            if IDX {
                m_at.copy_from_slice(&out.col_idx[r.clone()]);
            }
            for q in 0..Q {
                let d: Lanes = std::array::from_fn(|l| {
                    let (dx, dy, dz) = (qx[q][l] - cx[l], qy[q][l] - cy[l], qz[q][l] - cz[l]);
                    dx * dx + dy * dy + dz * dz
                });
                if IDX {
                    let at = (q0 + q) as u32;
                    acc_at[q] = std::array::from_fn(|l| {
                        if d[l] < acc[q][l] {
                            (base + l) as u32
                        } else {
                            acc_at[q][l]
                        }
                    });
                    m_at = std::array::from_fn(|l| if d[l] < m[l] { at } else { m_at[l] });
                }
                acc[q] = lanes_min(&d, &acc[q]);
                m = lanes_min(&d, &m);
            }
            out.col[r.clone()].copy_from_slice(&m);
            if IDX {
                out.col_idx[r].copy_from_slice(&m_at);
            }
        }
        for q in 0..Q {
            let best = lanes_smallest(acc[q]);
            let slot = q0 + q;
            if best < out.row[slot] {
                out.row[slot] = best;
                if IDX {
                    // The first lane holding the minimum (some lane does: it is one of them).
                    let lane = acc[q].iter().position(|&v| v == best).unwrap_or(0);
                    out.row_idx[slot] = acc_at[q][lane];
                }
            }
        }
    }
}

/// Smallest of the lanes, by halving (so that it vectorises).
#[inline(always)]
fn lanes_smallest(mut v: Lanes) -> f32 {
    let mut width = LANES / 2;
    while width > 0 {
        for l in 0..width {
            v[l] = if v[l + width] < v[l] {
                v[l + width]
            } else {
                v[l]
            };
        }
        width /= 2;
    }
    v[0]
}
