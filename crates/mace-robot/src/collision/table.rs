//! Distance tables of self pairs with one or two joints between their links (a wrist against
//! the forearm, say). Their distance depends only on those joints, so a grid of exact distances
//! over the joint limits, with the Lipschitz bound of the grid spacing, settles most queries
//! without GJK: a grid value more than the bound above zero means clear, more than the bound
//! below zero means contact, and only the band in between runs the exact test.

use std::f32::consts::TAU;

use super::Scratch;
use crate::chain::{JointKind, KinematicChain};
use crate::math::Pose;

/// What a table says about a pair at one configuration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Verdict {
    /// The pair's distance is above zero.
    Clear,
    /// The pair overlaps.
    Hit,
    /// Within the table's bound of contact, or a joint outside its limits: test exactly.
    Unknown,
}

/// One joint of a table's grid.
#[derive(Debug, Clone, Copy)]
pub(super) struct Axis {
    /// Index of the joint value in a configuration.
    pub(super) dof: usize,
    /// The chain link this joint moves (its child).
    pub(super) link: usize,
    pub(super) lower: f32,
    pub(super) upper: f32,
    /// Grid points along the joint.
    pub(super) points: usize,
}

impl Axis {
    fn step(&self) -> f32 {
        (self.upper - self.lower) / (self.points - 1) as f32
    }
}

/// A pair's signed distance on a grid over its joints.
#[derive(Debug)]
pub(super) struct PairTable {
    pub(super) axes: Vec<Axis>,
    /// A grid value is within this of the pair's distance anywhere in its cell, metres.
    pub(super) margin: f32,
    /// Per grid point (first axis fastest): the distance, or `2 · margin` when it is at least that.
    pub(super) values: Vec<f32>,
}

impl PairTable {
    /// A table over `axes` (one or two) from `values` (first axis fastest), valid within `margin`.
    pub(super) fn new(axes: Vec<Axis>, margin: f32, values: Vec<f32>) -> PairTable {
        debug_assert_eq!(
            values.len(),
            axes.iter().map(|a| a.points).product::<usize>()
        );
        PairTable {
            axes,
            margin,
            values,
        }
    }

    /// The grid value nearest to the configuration of `poses`, or `None` if a joint lies outside
    /// its limits (the bound holds only inside them).
    fn nearest(&self, chain: &KinematicChain, poses: &[Pose], s: &mut Scratch) -> Option<f32> {
        let mut index = 0;
        let mut stride = 1;
        for a in &self.axes {
            let q = joint_value(chain, poses, a, s)?;
            let i = ((q - a.lower) / a.step()).round() as usize;
            index += i.min(a.points - 1) * stride;
            stride *= a.points;
        }
        Some(self.values[index])
    }

    /// Clear, hit, or unknown at the configuration of `poses`.
    pub(super) fn verdict(
        &self,
        chain: &KinematicChain,
        poses: &[Pose],
        s: &mut Scratch,
    ) -> Verdict {
        match self.nearest(chain, poses, s) {
            Some(d) if d > self.margin => Verdict::Clear,
            Some(d) if d < -self.margin => Verdict::Hit,
            _ => Verdict::Unknown,
        }
    }

    /// A lower bound of the pair's distance at the configuration of `poses` (−∞ if unknown).
    pub(super) fn lower_bound(
        &self,
        chain: &KinematicChain,
        poses: &[Pose],
        s: &mut Scratch,
    ) -> f32 {
        self.nearest(chain, poses, s)
            .map_or(f32::NEG_INFINITY, |d| d - self.margin)
    }
}

/// The value of joint `a` in the configuration whose link frames are `poses`, read back from the
/// frames (cached in `s` for the configuration), or `None` outside the joint's limits.
fn joint_value(chain: &KinematicChain, poses: &[Pose], a: &Axis, s: &mut Scratch) -> Option<f32> {
    let bit = 1u64 << (a.dof & 63);
    let q = if a.dof < 64 && s.joints_known & bit != 0 {
        s.joints[a.dof]
    } else {
        let q = read_joint(chain, poses, a.link);
        if a.dof < 64 {
            s.joints[a.dof] = q;
            s.joints_known |= bit;
        }
        q
    };
    // A revolute joint's angle comes back in (−π, π]: shift it into limits wider than that.
    let q = if q < a.lower { q + TAU } else { q };
    (q >= a.lower - 1e-4 && q <= a.upper + 1e-4).then_some(q.clamp(a.lower, a.upper))
}

/// The joint value that moves `link` relative to its parent (rad, or metres if prismatic).
fn read_joint(chain: &KinematicChain, poses: &[Pose], link: usize) -> f32 {
    let l = &chain.links()[link];
    let parent = l.parent.map_or(Pose::IDENTITY, |p| poses[p]);
    let frame = parent.mul(&l.origin);
    let child = &poses[link];
    match l.kind {
        JointKind::Revolute { axis, .. } => {
            // R = frameᵀ · child = rotation about `axis` by q.
            let (f, c) = (&frame.rot, &child.rot);
            let r = |i: usize, j: usize| f[0][i] * c[0][j] + f[1][i] * c[1][j] + f[2][i] * c[2][j];
            let sin = 0.5
                * (axis[0] * (r(2, 1) - r(1, 2))
                    + axis[1] * (r(0, 2) - r(2, 0))
                    + axis[2] * (r(1, 0) - r(0, 1)));
            // A rotation by q about a unit axis has trace 1 + 2 cos q.
            let cos = 0.5 * (r(0, 0) + r(1, 1) + r(2, 2) - 1.0);
            sin.atan2(cos)
        }
        JointKind::Prismatic { axis, .. } => {
            let d = frame.inverse_transform_point(child.trans);
            axis[0] * d[0] + axis[1] * d[1] + axis[2] * d[2]
        }
        JointKind::Fixed => 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CollisionModel, Scene};
    use rand::{rngs::StdRng, SeedableRng};

    #[test]
    fn joint_values_read_back_from_the_frames() {
        let chain = KinematicChain::panda();
        let model = CollisionModel::new(&chain, &Scene::empty([0.0; 3]));
        let mut s = model.scratch();
        let q = chain.sample_uniform(500, &mut StdRng::seed_from_u64(2));
        let mut poses = vec![Pose::IDENTITY; chain.links().len()];
        for row in q.chunks_exact(7) {
            chain.link_poses_into(row, &mut poses);
            s.joints_known = 0;
            for (dof, spec) in chain.joints().iter().enumerate() {
                let link = chain
                    .links()
                    .iter()
                    .position(|l| matches!(l.kind, JointKind::Revolute { dof: d, .. } if d == dof))
                    .unwrap();
                let axis = Axis {
                    dof,
                    link,
                    lower: spec.lower,
                    upper: spec.upper,
                    points: 11,
                };
                let v = joint_value(&chain, &poses, &axis, &mut s).unwrap();
                assert!(
                    (v - row[dof]).abs() < 1e-4,
                    "joint {dof}: {v} vs {}",
                    row[dof]
                );
            }
        }
    }
}
