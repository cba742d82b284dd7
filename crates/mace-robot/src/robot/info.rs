//! What a loaded robot is, as people and scripts read it (`mace ik robot`): the chain found in
//! the URDF, its joints and limits, its collision shapes and the pairs never checked.

use serde::Serialize;

use super::{Robot, RobotStamp};
use crate::chain::{JointKind, LinkShape};

/// A summary of a [`Robot`] (see [`Robot::info`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RobotInfo {
    /// The robot's name.
    pub name: String,
    /// Where it came from.
    pub source: String,
    /// The base link (the frame of targets and obstacles).
    pub base: String,
    /// The tip link, whose origin reaches targets (`<link>_tcp` when a tool offset was given).
    pub tip: String,
    /// Actuated joints, in configuration order.
    pub joints: Vec<JointInfo>,
    /// Every link of the chain (base first) with its collision shapes.
    pub links: Vec<LinkInfo>,
    /// Link pairs never checked for self-collision.
    pub disabled_pairs: Vec<(String, String)>,
    /// Collision meshes that were not read: `link: file (why)`. Those links do not collide.
    pub ignored_meshes: Vec<String>,
    /// Movable joints off the chain (a gripper's fingers) held at one value: name, rad or m.
    pub held_joints: Vec<(String, f32)>,
    /// What priors and datasets record of the robot.
    pub stamp: RobotStamp,
}

/// One actuated joint.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JointInfo {
    /// URDF joint name.
    pub name: String,
    /// `revolute` (rad) or `prismatic` (m).
    pub kind: &'static str,
    /// Lower limit, rad or m.
    pub lower: f32,
    /// Upper limit, rad or m.
    pub upper: f32,
    /// The link it moves.
    pub link: String,
}

/// One link and its collision shapes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LinkInfo {
    /// URDF link name.
    pub name: String,
    /// Its parent link (none for the base).
    pub parent: Option<String>,
    /// Convex hulls (meshes and boxes).
    pub hulls: usize,
    /// Capsules and spheres (URDF cylinders become capsules).
    pub capsules: usize,
}

impl Robot {
    /// A summary of the robot: chain ends, joints, links and their collision shapes.
    pub fn info(&self) -> RobotInfo {
        let chain = &self.chain;
        let links = chain.links();
        let joints = links
            .iter()
            .filter_map(|l| match l.kind {
                JointKind::Fixed => None,
                JointKind::Revolute { dof, .. } => Some((dof, "revolute", l)),
                JointKind::Prismatic { dof, .. } => Some((dof, "prismatic", l)),
            })
            .map(|(dof, kind, l)| {
                let spec = &chain.joints()[dof];
                JointInfo {
                    name: spec.name.clone(),
                    kind,
                    lower: spec.lower,
                    upper: spec.upper,
                    link: l.name.clone(),
                }
            })
            .collect();
        RobotInfo {
            name: self.name.clone(),
            source: self.source.clone(),
            base: links[0].name.clone(),
            tip: links[chain.tip()].name.clone(),
            joints,
            links: links
                .iter()
                .map(|l| LinkInfo {
                    name: l.name.clone(),
                    parent: l.parent.map(|p| links[p].name.clone()),
                    hulls: l
                        .collision
                        .iter()
                        .filter(|s| matches!(s, LinkShape::Hull(_)))
                        .count(),
                    capsules: l
                        .collision
                        .iter()
                        .filter(|s| matches!(s, LinkShape::Capsule(_)))
                        .count(),
                })
                .collect(),
            disabled_pairs: chain.disabled_pairs().to_vec(),
            ignored_meshes: chain.ignored_meshes().to_vec(),
            held_joints: chain.held_joints().to_vec(),
            stamp: self.stamp(),
        }
    }
}
