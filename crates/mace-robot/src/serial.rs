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
}
