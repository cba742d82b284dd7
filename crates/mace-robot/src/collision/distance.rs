//! Signed distances of a configuration (each kind's minimum, exact below a cutoff) and its
//! closest contact: the skipping rules of the broad phase (bounding spheres, covering capsules)
//! only ever rule out pairs that cannot beat the current minimum.

use super::{CollisionModel, Distances, Scratch};
use crate::contact::Contact;
use crate::hull::{overlap, placed_distance, witness, Placed, Witness};
use crate::math::{norm, sub, Pose};

/// Where a configuration's smallest distance is (indices into `geo`, `shapes` and `obbs`).
#[derive(Debug, Clone, Copy)]
enum Closest {
    /// Shape `x` of geo link `a` against shape `y` of geo link `b`.
    Pair {
        a: usize,
        x: usize,
        b: usize,
        y: usize,
    },
    /// Shape `x` of geo link `k` against box `o`, with the witness found on the way (hulls).
    Obstacle {
        k: usize,
        x: usize,
        o: usize,
        w: Option<Witness>,
    },
    /// Shape `x` of geo link `k` against non-box piece `p`.
    Piece { k: usize, x: usize, p: usize },
    /// Shape `x` of geo link `k` against the ground.
    Ground { k: usize, x: usize },
}

impl CollisionModel {
    /// Exact signed minimum distances for one configuration (metres).
    pub fn distances_with(&self, poses: &[Pose], s: &mut Scratch) -> Distances {
        self.distances_below(poses, s, f32::INFINITY)
    }

    /// Signed minimum distances for one configuration, exact where below `cutoff` metres and
    /// otherwise `cutoff` or more: pairs whose bounds clear the cutoff are skipped, so this is
    /// much cheaper than [`CollisionModel::distances_with`] when only contact matters (a
    /// clearance check, a repair step).
    pub fn distances_below(&self, poses: &[Pose], s: &mut Scratch, cutoff: f32) -> Distances {
        self.minima(poses, s, cutoff, true).0
    }

    /// The contact realising the smallest signed distance of one configuration (self, boxes or
    /// ground), if it is below `cutoff` metres: its closest points and normal, from which
    /// [`Contact::gradient`] gives how the distance changes with the joints.
    ///
    /// Where a link's hull overlaps a box (GJK), the contact is that of the deepest of the
    /// capsules covering the hull: negative like the hull's, its depth an estimate (the capsule's
    /// costs no EPA on the hull), and a step along its gradient moves that part of the link out.
    /// Every contact at or beyond 0 — what decides whether a configuration is free — is the
    /// hull's own, exact.
    pub fn closest_contact(&self, poses: &[Pose], s: &mut Scratch, cutoff: f32) -> Option<Contact> {
        let (_, closest) = self.minima(poses, s, cutoff, false);
        let placed = |k: usize, x: usize| match self.placed(poses, k, x) {
            Some(h) => Placed::Hull(h),
            None => Placed::Capsule(*self.world_capsule(s, x)),
        };
        let (link_a, link_b, w) = match closest? {
            Closest::Pair { a, x, b, y } => (
                self.geo[a],
                Some(self.geo[b]),
                witness(&placed(a, x), &placed(b, y)),
            ),
            Closest::Obstacle { k, x, o, w } => (
                self.geo[k],
                None,
                w.unwrap_or_else(|| witness(&placed(k, x), &Placed::Box(&self.obbs[o]))),
            ),
            Closest::Piece { k, x, p } => (
                self.geo[k],
                None,
                witness(&placed(k, x), &self.pieces.get(p).placed()),
            ),
            Closest::Ground { k, x } => {
                let (point_a, distance) = match self.shapes[x].hull.as_deref() {
                    Some(h) => h.lowest_point(&poses[self.geo[k]]),
                    None => {
                        let c = self.world_capsule(s, x);
                        let low = if c.a[2] <= c.b[2] { c.a } else { c.b };
                        let z = low[2] - c.radius;
                        ([low[0], low[1], z], z)
                    }
                };
                let w = Witness {
                    distance,
                    point_a,
                    point_b: [point_a[0], point_a[1], 0.0],
                    normal: [0.0, 0.0, -1.0],
                };
                (self.geo[k], None, w)
            }
        };
        Some(Contact {
            distance: w.distance,
            link_a,
            point_a: w.point_a,
            link_b,
            point_b: w.point_b,
            normal: w.normal,
        })
    }

    /// The three minima of [`CollisionModel::distances_below`], and where the smallest of them
    /// is (if below `cutoff`). Without `exact_penetration`, a hull overlapping a box is measured
    /// by its covering capsule (see [`CollisionModel::closest_contact`]).
    fn minima(
        &self,
        poses: &[Pose],
        s: &mut Scratch,
        cutoff: f32,
        exact_penetration: bool,
    ) -> (Distances, Option<Closest>) {
        self.place(poses, s);
        let mut closest = None;
        let mut self_distance = if self.self_pairs.is_empty() {
            f32::INFINITY
        } else {
            cutoff
        };
        for (&(a, b), table) in self.self_pairs.iter().zip(&self.pair_tables) {
            // Bounding spheres and distance tables give lower bounds: skip pairs that cannot beat
            // the current minimum.
            let lb = norm(sub(s.centers[a], s.centers[b])) - self.bounds[a].1 - self.bounds[b].1;
            if lb >= self_distance
                || table
                    .as_ref()
                    .is_some_and(|t| t.lower_bound(&self.chain, poses, s) >= self_distance)
            {
                continue;
            }
            if let (d, Some((x, y))) = self.pair_distance(poses, s, a, b, self_distance) {
                self_distance = d;
                closest = Some((d, Closest::Pair { a, x, b, y }));
            }
        }
        let mut ground_distance = if self.ground_links.is_empty() {
            f32::INFINITY
        } else {
            cutoff
        };
        for &k in &self.ground_links {
            let (x0, x1) = self.shape_range[k];
            for x in x0..x1 {
                // A shape's cover is never higher than the shape.
                if self.cover_height(s, x) < ground_distance {
                    let d = self.shape_height(poses, s, k, x);
                    if d < ground_distance {
                        ground_distance = d;
                        if closest.is_none_or(|(c, _)| d < c) {
                            closest = Some((d, Closest::Ground { k, x }));
                        }
                    }
                }
            }
        }
        let mut obstacle_distance = if self.has_obstacles() {
            cutoff
        } else {
            f32::INFINITY
        };
        // Lower bounds first (the covering capsules' distances to each box, each skipped when
        // the box's 1-Lipschitz distance at its midpoint rules it out), then exact distances in
        // order of bound, until a bound cannot beat the minimum found.
        let mut candidates: Vec<(f32, usize, usize, usize)> = Vec::new();
        for (oi, o) in self.obbs.iter().enumerate() {
            for k in 0..self.geo.len() {
                let (x0, x1) = self.shape_range[k];
                for x in x0..x1 {
                    let (c0, c1) = self.shapes[x].caps;
                    let mut bound = f32::INFINITY;
                    for i in c0..c1 {
                        let c = &s.world[i];
                        let mid = [
                            0.5 * (c.a[0] + c.b[0]),
                            0.5 * (c.a[1] + c.b[1]),
                            0.5 * (c.a[2] + c.b[2]),
                        ];
                        if o.signed_distance_point(mid) - self.cap_bound[i] < obstacle_distance {
                            bound = bound.min(o.signed_distance_capsule(c));
                        }
                    }
                    if bound < obstacle_distance {
                        candidates.push((bound, oi, k, x));
                    }
                }
            }
        }
        candidates.sort_by(|a, b| a.0.total_cmp(&b.0));
        for (bound, oi, k, x) in candidates {
            if bound >= obstacle_distance {
                break;
            }
            // The hull's witness costs what its distance costs (GJK, EPA in contact): keep it
            // for the closest contact instead of computing it again.
            let obb = &self.obbs[oi];
            let (d, w) = match self.placed(poses, k, x) {
                None => (bound, None),
                Some(h)
                    if !exact_penetration
                        && bound < 0.0
                        && overlap(&Placed::Hull(h), &Placed::Box(obb)) =>
                {
                    let (c0, c1) = self.shapes[x].caps;
                    let deepest = s.world[c0..c1]
                        .iter()
                        .min_by(|a, b| {
                            obb.signed_distance_capsule(a)
                                .total_cmp(&obb.signed_distance_capsule(b))
                        })
                        .copied();
                    match deepest {
                        Some(c) => {
                            let w = witness(&Placed::Capsule(c), &Placed::Box(obb));
                            (w.distance, Some(w))
                        }
                        None => {
                            let w = witness(&Placed::Hull(h), &Placed::Box(obb));
                            (w.distance, Some(w))
                        }
                    }
                }
                Some(h) => {
                    let w = witness(&Placed::Hull(h), &Placed::Box(obb));
                    (w.distance, Some(w))
                }
            };
            if d < obstacle_distance {
                obstacle_distance = d;
                if closest.is_none_or(|(c, _)| d < c) {
                    closest = Some((d, Closest::Obstacle { k, x, o: oi, w }));
                }
            }
        }
        if !self.pieces.is_empty() {
            for k in 0..self.geo.len() {
                self.piece_minimum(poses, s, k, &mut obstacle_distance, &mut closest);
            }
        }
        let distances = Distances {
            self_distance,
            obstacle_distance,
            ground_distance,
        };
        (distances, closest.map(|(_, c)| c))
    }

    /// Lowers `best` (and `closest`) to geo link `k`'s distance to the non-box pieces where it is
    /// below: pieces whose bounds clear `best` are skipped.
    fn piece_minimum(
        &self,
        poses: &[Pose],
        s: &Scratch,
        k: usize,
        best: &mut f32,
        closest: &mut Option<(f32, Closest)>,
    ) {
        let (x0, x1) = self.shape_range[k];
        let (center, radius) = (s.centers[k], self.bounds[k].1);
        let mut consider = |p: usize, best: &mut f32| {
            let piece = self.pieces.get(p);
            for x in x0..x1 {
                let (c0, c1) = self.shapes[x].caps;
                let bound = s.world[c0..c1]
                    .iter()
                    .map(|c| piece.capsule_bound(c))
                    .fold(f32::INFINITY, f32::min);
                if bound >= *best {
                    continue;
                }
                let d = match self.placed(poses, k, x) {
                    Some(h) => placed_distance(&Placed::Hull(h), &piece.placed()),
                    None => {
                        let c = self.world_capsule(s, x);
                        piece.capsule_distance(c).unwrap_or_else(|| {
                            placed_distance(&Placed::Capsule(*c), &piece.placed())
                        })
                    }
                };
                if d < *best {
                    *best = d;
                    if closest.is_none_or(|(c, _)| d < c) {
                        *closest = Some((d, Closest::Piece { k, x, p }));
                    }
                }
            }
        };
        if best.is_finite() {
            let reach = *best;
            let mut near = Vec::new();
            self.pieces.near(center, radius, reach, |p| {
                near.push(p);
                std::ops::ControlFlow::Continue(())
            });
            for p in near {
                consider(p, best);
            }
        } else {
            for (lb, p) in self.pieces.by_distance(center) {
                if lb - radius >= *best {
                    break;
                }
                consider(p, best);
            }
        }
    }

    /// Signed distance between geo links `a` and `b` (shapes placed in `s.world`) and the
    /// closest shapes, or `(beat, None)` when it is not below `beat`.
    pub(super) fn pair_distance(
        &self,
        poses: &[Pose],
        s: &Scratch,
        a: usize,
        b: usize,
        beat: f32,
    ) -> (f32, Option<(usize, usize)>) {
        let (a0, a1) = self.shape_range[a];
        let (b0, b1) = self.shape_range[b];
        let mut best = (beat, None);
        for x in a0..a1 {
            for y in b0..b1 {
                if self.covers_distance(s, x, y) < best.0 {
                    let d = self.shapes_distance(poses, s, (a, x), (b, y));
                    if d < best.0 {
                        best = (d, Some((x, y)));
                    }
                }
            }
        }
        best
    }

    /// Signed distance of every self-collision pair for one configuration (metres), in the order
    /// of [`CollisionModel::self_pair_names`].
    pub fn self_pair_distances(&self, poses: &[Pose]) -> Vec<f32> {
        let mut s = self.scratch();
        self.place(poses, &mut s);
        self.self_pairs
            .iter()
            .map(|&(a, b)| self.pair_distance(poses, &s, a, b, f32::INFINITY).0)
            .collect()
    }

    /// [`CollisionModel::distances_with`] with its own scratch space.
    pub fn distances(&self, poses: &[Pose]) -> Distances {
        self.distances_with(poses, &mut self.scratch())
    }
}
