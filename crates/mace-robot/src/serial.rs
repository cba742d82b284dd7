//! The chain's movable joints as plain numbers, for consumers outside this crate (e.g. a
//! model's kinematic conditioning features).

use crate::chain::{JointKind, KinematicChain};
use crate::math::{Pose, Vec3};

/// A movable joint on the path from base to tip.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SerialJoint {
    /// The joint frame relative to the previous movable joint's moving frame (the base frame
    /// for the first), fixed joints in between folded in.
    pub origin: Pose,
    /// Unit motion axis in the joint frame.
    pub axis: Vec3,
    /// Prismatic (else revolute).
    pub prismatic: bool,
}

impl KinematicChain {
    /// The movable joints of the base→tip path, in configuration order.
    ///
    /// Returns `None` if a movable joint lies off that path or the path's joints are not in
    /// configuration order (then the chain is not serial in the sense models need).
    pub fn serial_joints(&self) -> Option<Vec<SerialJoint>> {
        let links = self.links();
        let mut path = vec![self.tip()];
        while let Some(p) = links[*path.last()?].parent {
            path.push(p);
        }
        path.reverse();
        let mut acc = Pose::IDENTITY;
        let mut joints = Vec::new();
        for &i in &path[1..] {
            let link = &links[i];
            acc = acc.mul(&link.origin);
            let (axis, dof, prismatic) = match link.kind {
                JointKind::Fixed => continue,
                JointKind::Revolute { axis, dof } => (axis, dof, false),
                JointKind::Prismatic { axis, dof } => (axis, dof, true),
            };
            if dof != joints.len() {
                return None;
            }
            joints.push(SerialJoint {
                origin: acc,
                axis,
                prismatic,
            });
            acc = Pose::IDENTITY;
        }
        (joints.len() == self.dof()).then_some(joints)
    }
}

impl KinematicChain {
    /// A sphere the TCP can never leave: its centre is the first movable joint's origin (base
    /// frame) and its radius the summed lengths of the joint offsets after it (metres). A target
    /// outside it is unreachable.
    pub fn reach_sphere(&self) -> ([f32; 3], f32) {
        let links = self.links();
        let mut path = vec![self.tip()];
        while let Some(p) = links[*path.last().expect("non-empty")].parent {
            path.push(p);
        }
        path.reverse();
        let mut base = crate::math::Pose::IDENTITY;
        let mut radius = 0.0;
        let mut moving = false;
        for &i in &path[1..] {
            let link = &links[i];
            if moving {
                radius += link.origin.trans.iter().map(|v| v * v).sum::<f32>().sqrt();
            } else {
                base = base.mul(&link.origin);
                moving = !matches!(link.kind, JointKind::Fixed);
            }
        }
        (base.trans, radius)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Composing the serial joints reproduces forward kinematics of the last movable joint.
    #[test]
    fn serial_joints_compose_to_forward_kinematics() {
        let chain = KinematicChain::panda();
        let joints = chain.serial_joints().expect("the Panda is serial");
        assert_eq!(joints.len(), 7);
        let q = [0.3f32, -0.5, 0.2, -2.0, 0.4, 1.5, -0.7];
        let mut frame = Pose::IDENTITY;
        for (j, sj) in joints.iter().enumerate() {
            frame = frame
                .mul(&sj.origin)
                .mul(&Pose::from_axis_angle(sj.axis, q[j]));
        }
        let poses = chain.forward_kinematics(&q).unwrap();
        let link7 = chain.link_index("panda_link7").unwrap();
        for i in 0..3 {
            assert!((poses[link7].trans[i] - frame.trans[i]).abs() < 1e-5);
        }
    }

    #[test]
    fn random_configurations_stay_inside_the_reach_sphere() {
        let chain = KinematicChain::panda();
        let (centre, radius) = chain.reach_sphere();
        assert!(
            (centre[2] - 0.333).abs() < 1e-6 && (radius - 1.09).abs() < 0.01,
            "{centre:?} {radius}"
        );
        let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(1);
        let q = chain.sample_uniform(20_000, &mut rng);
        let far = chain
            .tcp_positions(&q)
            .unwrap()
            .iter()
            .map(|p| {
                (0..3)
                    .map(|i| (p[i] - centre[i]).powi(2))
                    .sum::<f32>()
                    .sqrt()
            })
            .fold(0.0f32, f32::max);
        assert!(
            far <= radius && far > 0.8 * radius,
            "farthest {far} of {radius}"
        );
    }
}
