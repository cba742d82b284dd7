//! A bounding-volume hierarchy of axis-aligned boxes, for casting many rays at many small
//! primitives: the triangles of a mesh obstacle, the spheres of a point cloud.
//!
//! Built top-down by splitting at the median of the primitives' centres along the longest axis
//! of their spread (a balanced tree of depth about `log2(n / 4)`, in `O(n log n)`), leaves of at
//! most 4 primitives, stored depth first (big subtrees built in parallel). A ray walks it front to back with a small
//! stack, skipping every node that begins beyond the nearest hit found so far. The caller
//! intersects the primitives (a closure from a primitive's index to its hit distance), so the
//! tree holds only boxes and indices.

use nalgebra::Vector3;
use rayon::prelude::*;

/// A point or direction (metres).
type V3 = Vector3<f32>;

/// Most primitives in a leaf.
const LEAF: usize = 4;
/// Fewest primitives in each half of a node whose halves are built in parallel.
const PARALLEL: usize = 32 * 1024;
/// Deepest tree walked (a median split halves the primitives: 2⁴⁸ leaves are far beyond any
/// scene).
const STACK: usize = 64;

/// An axis-aligned box: lowest and highest corner.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Aabb {
    pub(crate) lo: V3,
    pub(crate) hi: V3,
}

impl Aabb {
    /// The box of nothing (grows to anything it is joined with).
    pub(crate) fn empty() -> Aabb {
        Aabb {
            lo: V3::repeat(f32::INFINITY),
            hi: V3::repeat(f32::NEG_INFINITY),
        }
    }

    /// The box of `points`.
    pub(crate) fn of(points: &[V3]) -> Aabb {
        points.iter().fold(Aabb::empty(), |b, p| b.join_point(p))
    }

    /// The box about a ball.
    pub(crate) fn ball(c: &V3, r: f32) -> Aabb {
        Aabb {
            lo: c.add_scalar(-r),
            hi: c.add_scalar(r),
        }
    }

    /// The smallest box holding both.
    pub(crate) fn join(&self, o: &Aabb) -> Aabb {
        Aabb {
            lo: self.lo.inf(&o.lo),
            hi: self.hi.sup(&o.hi),
        }
    }

    fn join_point(&self, p: &V3) -> Aabb {
        Aabb {
            lo: self.lo.inf(p),
            hi: self.hi.sup(p),
        }
    }

    fn centre(&self) -> V3 {
        (self.lo + self.hi) * 0.5
    }

    /// Where the ray (origin `ro`, componentwise inverse direction `inv`) enters the box, if it
    /// does before `t_max` and the box is not behind it (slab test; `t` clamped at 0).
    #[inline]
    pub(crate) fn entry(&self, ro: &V3, inv: &V3, t_max: f32) -> Option<f32> {
        let mut t0 = 0.0f32;
        let mut t1 = t_max;
        for k in 0..3 {
            let a = (self.lo[k] - ro[k]) * inv[k];
            let b = (self.hi[k] - ro[k]) * inv[k];
            // `min`/`max` drop a NaN (0 · ∞ for a ray in a slab's plane).
            t0 = t0.max(a.min(b));
            t1 = t1.min(a.max(b));
        }
        (t0 <= t1).then_some(t0)
    }
}

/// A node: its box, and a leaf's primitives or an inner node's children.
#[derive(Debug, Clone, Copy)]
struct Node {
    bounds: Aabb,
    /// A leaf's first primitive in `Bvh::order`; an inner node's right child (the left one
    /// follows the node).
    first: u32,
    /// A leaf's number of primitives; 0 for an inner node.
    count: u32,
}

/// The nodes of a subtree over `items` (the first at `at` in the whole list), depth first: an
/// inner node's left child follows it.
fn build(items: &mut [(V3, u32)], at: usize, boxes: &[Aabb]) -> Vec<Node> {
    let mut nodes = Vec::with_capacity(2 * items.len().div_ceil(LEAF));
    build_into(items, at, boxes, &mut nodes);
    nodes
}

/// Appends the subtree over `items` to `nodes`; returns its box.
fn build_into(items: &mut [(V3, u32)], at: usize, boxes: &[Aabb], nodes: &mut Vec<Node>) -> Aabb {
    let me = nodes.len();
    if items.len() <= LEAF {
        let bounds = items
            .iter()
            .fold(Aabb::empty(), |b, &(_, i)| b.join(&boxes[i as usize]));
        nodes.push(Node {
            bounds,
            first: at as u32,
            count: items.len() as u32,
        });
        return bounds;
    }
    let spread = items
        .iter()
        .fold(Aabb::empty(), |b, (c, _)| b.join_point(c));
    let axis = (spread.hi - spread.lo).imax();
    let mid = items.len() / 2;
    items.select_nth_unstable_by(mid, |a, b| a.0[axis].total_cmp(&b.0[axis]));
    nodes.push(Node {
        bounds: Aabb::empty(),
        first: 0,
        count: 0,
    });
    let (l, r) = items.split_at_mut(mid);
    let (lb, rb, right) = if l.len() >= PARALLEL {
        // Big halves are built on two threads, then put in place.
        let (mut ln, mut rn) = rayon::join(|| build(l, at, boxes), || build(r, at + mid, boxes));
        let (lb, rb) = (ln[0].bounds, rn[0].bounds);
        shift(&mut ln, me + 1);
        let right = me + 1 + ln.len();
        shift(&mut rn, right);
        nodes.append(&mut ln);
        nodes.append(&mut rn);
        (lb, rb, right)
    } else {
        let lb = build_into(l, at, boxes, nodes);
        let right = nodes.len();
        let rb = build_into(r, at + mid, boxes, nodes);
        (lb, rb, right)
    };
    nodes[me].first = right as u32;
    nodes[me].bounds = lb.join(&rb);
    nodes[me].bounds
}

/// Moves a subtree's inner nodes' links by `by` (it is placed at `by`).
fn shift(nodes: &mut [Node], by: usize) {
    for n in nodes.iter_mut().filter(|n| n.count == 0) {
        n.first += by as u32;
    }
}

/// The hierarchy over the boxes of primitives `0..n`.
#[derive(Debug, Clone)]
pub(crate) struct Bvh {
    nodes: Vec<Node>,
    /// Primitive indices, each leaf's a contiguous run.
    order: Vec<u32>,
}

impl Bvh {
    /// The hierarchy of the primitives with these boxes (primitive `i` has `boxes[i]`).
    pub(crate) fn new(boxes: &[Aabb]) -> Bvh {
        // Centres and indices side by side, reordered in place as the tree is split.
        let mut items: Vec<(V3, u32)> = boxes
            .par_iter()
            .enumerate()
            .map(|(i, b)| (b.centre(), i as u32))
            .collect();
        let nodes = build(&mut items, 0, boxes);
        Bvh {
            nodes,
            order: items.into_iter().map(|(_, i)| i).collect(),
        }
    }

    /// The nearest hit of the ray `ro + t rd` with `t < t_max`: `hit(i, best)` is the distance
    /// to primitive `i` if the ray meets it before `best` (the nearest found so far), else
    /// `None`. Returns the primitive and its distance.
    pub(crate) fn cast(
        &self,
        ro: &V3,
        rd: &V3,
        t_max: f32,
        mut hit: impl FnMut(u32, f32) -> Option<f32>,
    ) -> Option<(u32, f32)> {
        if self.order.is_empty() {
            return None;
        }
        let inv = rd.map(|d| 1.0 / d);
        let mut best = t_max;
        let mut found = None;
        let mut stack = [(0u32, 0.0f32); STACK];
        let mut top = 0usize;
        if let Some(t) = self.nodes[0].bounds.entry(ro, &inv, best) {
            stack[0] = (0, t);
            top = 1;
        }
        while top > 0 {
            top -= 1;
            let (i, t_in) = stack[top];
            if t_in > best {
                continue;
            }
            let node = &self.nodes[i as usize];
            if node.count > 0 {
                let run = node.first as usize..(node.first + node.count) as usize;
                for &p in &self.order[run] {
                    if let Some(t) = hit(p, best) {
                        if t < best {
                            best = t;
                            found = Some((p, t));
                        }
                    }
                }
                continue;
            }
            let (l, r) = (i + 1, node.first);
            let tl = self.nodes[l as usize].bounds.entry(ro, &inv, best);
            let tr = self.nodes[r as usize].bounds.entry(ro, &inv, best);
            // The nearer child goes on top, to be walked first.
            let mut push = |n: u32, t: f32| {
                if top < STACK {
                    stack[top] = (n, t);
                    top += 1;
                }
            };
            match (tl, tr) {
                (Some(a), Some(b)) if a <= b => {
                    push(r, b);
                    push(l, a);
                }
                (Some(a), Some(b)) => {
                    push(l, a);
                    push(r, b);
                }
                (Some(a), None) => push(l, a),
                (None, Some(b)) => push(r, b),
                (None, None) => {}
            }
        }
        found
    }

    /// Whether the ray meets any primitive before `t_max` (`hit(i)` says whether it meets
    /// primitive `i`): a shadow test.
    pub(crate) fn any(
        &self,
        ro: &V3,
        rd: &V3,
        t_max: f32,
        mut hit: impl FnMut(u32) -> bool,
    ) -> bool {
        if self.order.is_empty() {
            return false;
        }
        let inv = rd.map(|d| 1.0 / d);
        let mut stack = [0u32; STACK];
        let mut top = 0usize;
        if self.nodes[0].bounds.entry(ro, &inv, t_max).is_some() {
            top = 1;
        }
        while top > 0 {
            top -= 1;
            let i = stack[top];
            let node = &self.nodes[i as usize];
            if node.count > 0 {
                let run = node.first as usize..(node.first + node.count) as usize;
                if self.order[run].iter().any(|&p| hit(p)) {
                    return true;
                }
                continue;
            }
            for c in [i + 1, node.first] {
                if top < STACK
                    && self.nodes[c as usize]
                        .bounds
                        .entry(ro, &inv, t_max)
                        .is_some()
                {
                    stack[top] = c;
                    top += 1;
                }
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::raycast::ray_sphere;

    /// Balls on a jittered 3-D lattice (a fixed linear congruential stream).
    fn balls(n: usize) -> Vec<(V3, f32)> {
        let mut s = 7u32;
        let mut u = move || {
            s = s.wrapping_mul(1664525).wrapping_add(1013904223);
            (s >> 8) as f32 / (1u32 << 24) as f32
        };
        (0..n)
            .map(|_| (V3::new(u(), u(), u()), 0.01 + 0.03 * u()))
            .collect()
    }

    /// Casts `rays` rays at a hierarchy of `n` balls and compares with trying every ball.
    fn check_against_brute_force(n: usize, rays: usize) {
        let balls = balls(n);
        let boxes: Vec<Aabb> = balls.iter().map(|(c, r)| Aabb::ball(c, *r)).collect();
        let bvh = Bvh::new(&boxes);
        // Every ball in one leaf; every node's box holds its children's.
        let mut order = bvh.order.clone();
        order.sort_unstable();
        assert!(order.iter().enumerate().all(|(i, &k)| i as u32 == k));
        let inside = |a: &Aabb, b: &Aabb| (a.lo - b.lo).min() >= 0.0 && (b.hi - a.hi).min() >= 0.0;
        for (i, node) in bvh.nodes.iter().enumerate() {
            if node.count == 0 {
                assert!(inside(&bvh.nodes[i + 1].bounds, &node.bounds));
                assert!(inside(&bvh.nodes[node.first as usize].bounds, &node.bounds));
            } else {
                let run = node.first as usize..(node.first + node.count) as usize;
                assert!(bvh.order[run]
                    .iter()
                    .all(|&k| inside(&boxes[k as usize], &node.bounds)));
            }
        }
        let b = bvh.nodes[0].bounds;
        assert!(n < 1000 || (b.lo.x < 0.02 && b.hi.x > 0.98), "{b:?}");
        let mut hits = 0;
        for k in 0..rays {
            // Rays from a shell about the unit cube through points of it, some along an axis.
            let a = k as f32 * 0.37;
            let ro = V3::new(
                0.5 + 2.0 * a.cos(),
                0.5 + 2.0 * a.sin(),
                0.5 + (a * 0.3).sin(),
            );
            let aim = if k % 10 == 0 {
                V3::new(0.5, ro.y, ro.z)
            } else {
                V3::new(
                    (a * 1.7).sin().abs(),
                    (a * 2.3).cos().abs(),
                    (a * 0.9).sin().abs(),
                )
            };
            let rd = (aim - ro).normalize();
            let brute = balls
                .iter()
                .enumerate()
                .filter_map(|(i, (c, r))| ray_sphere(&ro, &rd, c, *r).map(|h| (i as u32, h.t)))
                .min_by(|x, y| x.1.total_cmp(&y.1));
            let got = bvh.cast(&ro, &rd, f32::INFINITY, |i, _| {
                let (c, r) = &balls[i as usize];
                ray_sphere(&ro, &rd, c, *r).map(|h| h.t)
            });
            assert_eq!(got, brute, "ray {k}");
            let any = bvh.any(&ro, &rd, f32::INFINITY, |i| {
                let (c, r) = &balls[i as usize];
                ray_sphere(&ro, &rd, c, *r).is_some()
            });
            assert_eq!(any, brute.is_some(), "ray {k}");
            // Nothing nearer than a bound before the nearest hit.
            if let Some((_, t)) = brute {
                hits += 1;
                assert_eq!(bvh.cast(&ro, &rd, t * 0.999, |_, _| Some(t)), None);
            }
        }
        assert!(n < 1000 || hits * 4 > rays, "{hits} of {rays} rays hit");
    }

    #[test]
    fn casts_match_brute_force() {
        check_against_brute_force(3000, 400);
        // Big enough to be built in parallel.
        check_against_brute_force(3 * PARALLEL, 60);
        check_against_brute_force(1, 10);
        let none = Bvh::new(&[]);
        assert_eq!(
            none.cast(&V3::zeros(), &V3::x(), 1.0, |_, _| Some(0.5)),
            None
        );
        assert!(!none.any(&V3::zeros(), &V3::x(), 1.0, |_| true));
    }
}
