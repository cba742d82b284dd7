//! Self-collision pairs that can never collide are dropped when a model is built: pairs rigidly
//! attached to each other, and pairs whose distance over a Lipschitz-bounded grid of the joints
//! between them never comes near zero.

use std::sync::Arc;

use rayon::prelude::*;

use super::cache;
use super::table::{Axis, PairTable};
use super::CollisionModel;
use crate::chain::JointKind;
use crate::math::{norm, Pose};

impl CollisionModel {
    /// Drops self-collision pairs that provably cannot collide within the joint limits.
    ///
    /// The distance between two links depends only on the joints on the path between them. For
    /// pairs with one or two such joints, the distance is evaluated on a grid over their limits
    /// (4001 or 201 values per joint); it is Lipschitz in each joint value `q_j` with a constant
    /// `L_j` bounded by the reach of the moving side from the joint (sum of the link offsets below
    /// it plus the farthest bounding-capsule point and radius; 1 for a prismatic joint). A point of the
    /// joint box is within `δ_j / 2` of a grid point along each joint, so if the grid minimum exceeds
    /// `Σ_j L_j δ_j / 2` the pair never collides, and it is dropped. A kept pair keeps its grid
    /// as a distance table ([`PairTable`]).
    pub(super) fn prune_unreachable_pairs(&mut self) {
        if let Some((pairs, tables)) = cache::load(self) {
            self.self_pairs = pairs;
            self.pair_tables = tables;
            return;
        }
        let links = self.chain.links();
        let ancestors = |mut li: usize| {
            let mut v = vec![li];
            while let Some(p) = links[li].parent {
                v.push(p);
                li = p;
            }
            v
        };
        // Reach of link `li` (capsules, in its frame) from the origin of link `top`'s joint,
        // following the chain down from `top` to `li`.
        let reach = |top: usize, li: usize| -> f32 {
            let mut r = 0.0f32;
            let mut cur = li;
            while cur != top {
                r += norm(links[cur].origin.trans);
                cur = links[cur].parent.expect("top is an ancestor");
            }
            let k = self
                .geo
                .iter()
                .position(|&g| g == li)
                .expect("geometry link");
            let (a0, a1) = self.cap_range[k];
            r + self.caps[a0..a1]
                .iter()
                .map(|c| norm(c.a).max(norm(c.b)) + c.radius)
                .fold(0.0, f32::max)
        };
        let dof = self.chain.dof();
        let mut keep = Vec::with_capacity(self.self_pairs.len());
        let mut tables = Vec::with_capacity(self.self_pairs.len());
        for &(a, b) in &self.self_pairs {
            let (la, lb) = (self.geo[a], self.geo[b]);
            let (pa, pb) = (ancestors(la), ancestors(lb));
            let common = *pa
                .iter()
                .find(|x| pb.contains(x))
                .expect("links share the base");
            // Movable joints on the path: (dof index, Lipschitz bound, link).
            let mut joints: Vec<(usize, f32, usize)> = Vec::new();
            for (path, leaf) in [(&pa, la), (&pb, lb)] {
                for &l in path.iter().take_while(|&&l| l != common) {
                    match links[l].kind {
                        JointKind::Revolute { dof, .. } => joints.push((dof, reach(l, leaf), l)),
                        JointKind::Prismatic { dof, .. } => joints.push((dof, 1.0, l)),
                        JointKind::Fixed => {}
                    }
                }
            }
            let m = match joints.len() {
                1 => cache::GRID_ONE,
                2 => cache::GRID_TWO,
                _ => {
                    keep.push((a, b));
                    tables.push(None);
                    continue;
                }
            };
            let spec = self.chain.joints();
            let delta: Vec<f32> = joints
                .iter()
                .map(|&(j, _, _)| (spec[j].upper - spec[j].lower) / (m - 1) as f32)
                .collect();
            let margin: f32 = joints
                .iter()
                .zip(&delta)
                .map(|(&(_, l, _), d)| l * d / 2.0)
                .sum::<f32>()
                + 1e-4;
            // The exact distance at every grid point (capped at 2 · margin: beyond it, clear).
            let total = m.pow(joints.len() as u32);
            let model = &*self;
            let values: Vec<f32> = (0..total)
                .into_par_iter()
                .map_init(
                    || (model.scratch(), vec![0.0f32; dof]),
                    |(scratch, q), idx| {
                        let mut rest = idx;
                        for (&(j, _, _), d) in joints.iter().zip(&delta) {
                            q[j] = spec[j].lower + d * (rest % m) as f32;
                            rest /= m;
                        }
                        let mut poses = std::mem::take(&mut scratch.poses);
                        model.chain.link_poses_into(q, &mut poses);
                        model.place(&poses, scratch);
                        // Exact shapes: covering capsules alone would keep pairs that only come
                        // close.
                        let (d, _) = model.pair_distance(&poses, scratch, a, b, 2.0 * margin);
                        scratch.poses = poses;
                        d
                    },
                )
                .collect();
            if values.iter().any(|&d| d <= margin) {
                let axes = joints
                    .iter()
                    .map(|&(j, _, link)| Axis {
                        dof: j,
                        link,
                        lower: spec[j].lower,
                        upper: spec[j].upper,
                        points: m,
                    })
                    .collect();
                keep.push((a, b));
                tables.push(Some(Arc::new(PairTable::new(axes, margin, values))));
            }
        }
        cache::store(self, &(keep.clone(), tables.clone()));
        self.self_pairs = keep;
        self.pair_tables = tables;
    }

    /// Drops self-collision pairs whose links are rigidly attached to each other (no movable
    /// joint between them, e.g. a flange and the fingers of a fixed gripper) and do not touch:
    /// their distance never changes, so they can never collide.
    pub(super) fn prune_rigid_pairs(&mut self) {
        let links = self.chain.links();
        // Nearest ancestor-or-self whose joint is movable (or the base): the rigid body's root.
        let rigid_root = |mut li: usize| -> usize {
            loop {
                match (links[li].kind, links[li].parent) {
                    (JointKind::Fixed, Some(p)) => li = p,
                    _ => return li,
                }
            }
        };
        let q = vec![0.0f32; self.chain.dof()];
        let mut poses = vec![Pose::IDENTITY; links.len()];
        self.chain.link_poses_into(&q, &mut poses);
        let mut s = self.scratch();
        self.place(&poses, &mut s);
        let keep: Vec<(usize, usize)> = self
            .self_pairs
            .iter()
            .copied()
            .filter(|&(a, b)| {
                rigid_root(self.geo[a]) != rigid_root(self.geo[b])
                    || self.pair_hits(&poses, &mut s, a, b, None)
            })
            .collect();
        self.pair_tables = vec![None; keep.len()];
        self.self_pairs = keep;
    }
}
