//! A convex polytope's vertices with their edge graph, and its support points by hill climbing:
//! GJK spends its time in support points, and climbing from a nearby start vertex takes a few
//! dozen dot products instead of one per vertex.

use parry3d_f64::math::Vector as PVec;
use parry3d_f64::shape::SupportMap;

/// A convex polytope: its vertices and, for each, its neighbours along the hull's edges.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Polytope {
    pub(super) points: Vec<PVec>,
    /// Neighbours of vertex `i` are `adj[offsets[i]..offsets[i + 1]]`.
    pub(super) offsets: Vec<u32>,
    pub(super) adj: Vec<u32>,
    /// Where hill climbing starts: the vertex furthest along the centre direction of each cell
    /// of a cube map ([`cube_cell`]).
    start: Vec<u32>,
}

/// Cells per cube-map face edge: 6 × 8 × 8 start directions.
const CUBE_N: usize = 8;

/// The cube-map cell of a non-zero direction: the face of its dominant axis and sign, then an
/// `CUBE_N × CUBE_N` grid over the face.
#[inline]
fn cube_cell(dir: PVec) -> usize {
    let a = dir.abs();
    let (axis, m) = if a.x >= a.y && a.x >= a.z {
        (0, a.x)
    } else if a.y >= a.z {
        (1, a.y)
    } else {
        (2, a.z)
    };
    let face = 2 * axis + usize::from(dir[axis] < 0.0);
    let (u, v) = match axis {
        0 => (dir.y, dir.z),
        1 => (dir.z, dir.x),
        _ => (dir.x, dir.y),
    };
    let cell = |c: f64| (((c / m + 1.0) * 0.5 * CUBE_N as f64) as usize).min(CUBE_N - 1);
    (face * CUBE_N + cell(u)) * CUBE_N + cell(v)
}

/// The centre direction of cube-map cell `k` (inverse of [`cube_cell`]).
fn cube_direction(k: usize) -> PVec {
    let (face, rest) = (k / (CUBE_N * CUBE_N), k % (CUBE_N * CUBE_N));
    let c = |i: usize| (i as f64 + 0.5) / CUBE_N as f64 * 2.0 - 1.0;
    let (u, v) = (c(rest / CUBE_N), c(rest % CUBE_N));
    let sign = if face % 2 == 0 { 1.0 } else { -1.0 };
    match face / 2 {
        0 => PVec::new(sign, u, v),
        1 => PVec::new(v, sign, u),
        _ => PVec::new(u, v, sign),
    }
}

impl Polytope {
    /// From the hull's vertices and outer triangles (indices into `points`).
    pub(super) fn new(points: Vec<PVec>, triangles: &[[u32; 3]]) -> Polytope {
        let mut lists = vec![Vec::new(); points.len()];
        for t in triangles {
            for k in 0..3 {
                let (a, b) = (t[k], t[(k + 1) % 3]);
                lists[a as usize].push(b);
                lists[b as usize].push(a);
            }
        }
        let mut offsets = vec![0u32];
        let mut adj = Vec::new();
        for mut l in lists {
            l.sort_unstable();
            l.dedup();
            adj.extend(l);
            offsets.push(adj.len() as u32);
        }
        let start = (0..6 * CUBE_N * CUBE_N)
            .map(|k| brute_support(&points, cube_direction(k)) as u32)
            .collect();
        Polytope {
            points,
            offsets,
            adj,
            start,
        }
    }

    /// Index of a vertex furthest along `dir`: hill climbing from the start vertex of `dir`'s
    /// cube-map cell. On a convex polytope a vertex with no better neighbour is a maximiser.
    pub(super) fn support_index(&self, dir: PVec) -> usize {
        // Zero or NaN: any vertex will do.
        if dir.length_squared().partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
            return 0;
        }
        let mut best = self.start[cube_cell(dir)] as usize;
        let mut best_dot = self.points[best].dot(dir);
        loop {
            let from = best;
            let (lo, hi) = (self.offsets[from] as usize, self.offsets[from + 1] as usize);
            for &n in &self.adj[lo..hi] {
                let d = self.points[n as usize].dot(dir);
                if d > best_dot {
                    best = n as usize;
                    best_dot = d;
                }
            }
            if best == from {
                return best;
            }
        }
    }
}

impl SupportMap for Polytope {
    fn local_support_point(&self, dir: PVec) -> PVec {
        self.points[self.support_index(dir)]
    }
}

/// Index of a point furthest along `dir`, by scanning all.
fn brute_support(points: &[PVec], dir: PVec) -> usize {
    let mut best = 0;
    for (i, p) in points.iter().enumerate() {
        if p.dot(dir) > points[best].dot(dir) {
            best = i;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hull::uniform;

    #[test]
    fn hill_climbing_finds_the_support_point() {
        let chain = crate::KinematicChain::panda();
        let mut u = uniform(7);
        let mut next = || f64::from(u()) - 0.5;
        let mut checked = 0;
        for link in chain.links() {
            for shape in &link.collision {
                let Some(h) = shape.hull() else { continue };
                for _ in 0..5000 {
                    let dir = PVec::new(next(), next(), next());
                    let i = h.poly.support_index(dir);
                    let j = brute_support(&h.poly.points, dir);
                    // Ties allowed: the same height along `dir`.
                    let (a, b) = (h.poly.points[i].dot(dir), h.poly.points[j].dot(dir));
                    assert!((a - b).abs() <= 1e-12, "{}: {a} vs {b}", link.name);
                }
                checked += 1;
            }
        }
        assert_eq!(checked, 11);
    }

    #[test]
    fn cube_map_cells_round_trip() {
        for k in 0..6 * CUBE_N * CUBE_N {
            assert_eq!(cube_cell(cube_direction(k)), k);
            assert_eq!(cube_cell(cube_direction(k) * 3.7), k);
        }
    }
}
