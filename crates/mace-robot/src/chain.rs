//! A validated kinematic chain: the serial path of movable joints from a base link to a tip link,
//! plus every link rigidly attached to that path (e.g. a gripper's fingers), with collision shapes.

use std::sync::Arc;

use crate::geometry::Capsule;
use crate::hull::ConvexHull;
use crate::math::{Pose, Vec3};

/// One collision element of a link, in the link's frame (metres).
#[derive(Debug, Clone, PartialEq)]
pub enum LinkShape {
    /// A capsule or sphere (URDF `sphere`, `capsule`, and `cylinder` as the capsule of the same
    /// axis and radius).
    Capsule(Capsule),
    /// A convex solid: a URDF `mesh` as its convex hull grown by [`crate::hull::MESH_MARGIN`],
    /// or a `box` exactly (no margin).
    Hull(Arc<ConvexHull>),
}

impl LinkShape {
    /// A capsule containing the shape (the shape itself for a capsule), link frame.
    pub fn bounding_capsule(&self) -> &Capsule {
        match self {
            LinkShape::Capsule(c) => c,
            LinkShape::Hull(h) => h.bounding_capsule(),
        }
    }

    /// Capsules whose union contains the shape (the shape itself for a capsule), link frame:
    /// tighter than [`LinkShape::bounding_capsule`] for a hull.
    pub fn cover(&self) -> &[Capsule] {
        match self {
            LinkShape::Capsule(c) => std::slice::from_ref(c),
            LinkShape::Hull(h) => h.cover(),
        }
    }

    /// The convex hull, if the shape is one.
    pub fn hull(&self) -> Option<&ConvexHull> {
        match self {
            LinkShape::Capsule(_) => None,
            LinkShape::Hull(h) => Some(h),
        }
    }
}

/// How a link moves relative to its parent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum JointKind {
    /// Rigidly attached.
    Fixed,
    /// Rotation about `axis` (unit, joint frame) by the joint value (rad).
    Revolute {
        /// Unit rotation axis in the joint frame.
        axis: Vec3,
        /// Index of the joint value in a configuration.
        dof: usize,
    },
    /// Translation along `axis` (unit, joint frame) by the joint value (m).
    Prismatic {
        /// Unit translation axis in the joint frame.
        axis: Vec3,
        /// Index of the joint value in a configuration.
        dof: usize,
    },
}

/// One link of a [`KinematicChain`] and the joint that attaches it to its parent.
#[derive(Debug, Clone, PartialEq)]
pub struct ChainLink {
    /// URDF link name.
    pub name: String,
    /// Index of the parent link in [`KinematicChain::links`]; `None` for the base.
    pub parent: Option<usize>,
    /// Name of the URDF joint attaching this link (empty for the base).
    pub joint_name: String,
    /// Joint origin: the joint frame in the parent link frame (metres).
    pub origin: Pose,
    /// Motion of the joint.
    pub kind: JointKind,
    /// Collision shapes in this link's frame (metres); the link's solid is their union.
    pub collision: Vec<LinkShape>,
}

/// A movable joint of the chain: name and limits.
#[derive(Debug, Clone, PartialEq)]
pub struct JointSpec {
    /// URDF joint name.
    pub name: String,
    /// Lower limit (rad or m).
    pub lower: f32,
    /// Upper limit (rad or m).
    pub upper: f32,
}

/// A serial kinematic chain from a base link to a tip link (see [`KinematicChain::from_urdf_str`]).
///
/// Links are stored parents-first, so forward kinematics is one pass. The chain holds no cached
/// poses: kinematics functions take a configuration and return frames.
#[derive(Debug, Clone, PartialEq)]
pub struct KinematicChain {
    pub(crate) name: String,
    pub(crate) links: Vec<ChainLink>,
    pub(crate) joints: Vec<JointSpec>,
    pub(crate) tip: usize,
    pub(crate) ignored_meshes: Vec<String>,
    /// Movable joints off the chain (a gripper's fingers) held at one value: name, rad or m.
    pub(crate) held_joints: Vec<(String, f32)>,
    /// Link pairs never checked for self-collision (an SRDF's `disable_collisions`, a robot
    /// file's `ignore_pairs`), by name.
    pub(crate) disabled_pairs: Vec<(String, String)>,
}

impl KinematicChain {
    /// Robot name from the URDF.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// All links, parents first; `links()[0]` is the base.
    pub fn links(&self) -> &[ChainLink] {
        &self.links
    }

    /// The movable joints, in configuration order.
    pub fn joints(&self) -> &[JointSpec] {
        &self.joints
    }

    /// Number of movable joints (the length of a configuration).
    pub fn dof(&self) -> usize {
        self.joints.len()
    }

    /// Index of the tip link (the tool centre point) in [`KinematicChain::links`].
    pub fn tip(&self) -> usize {
        self.tip
    }

    /// Index of a link by name.
    pub fn link_index(&self, name: &str) -> Option<usize> {
        self.links.iter().position(|l| l.name == name)
    }

    /// Names of links whose mesh collision elements were skipped: meshes of a URDF read from a
    /// string ([`KinematicChain::from_urdf_str`]), or in a format that cannot be read
    /// ([`crate::mesh_file::MESH_EXTENSIONS`]).
    pub fn ignored_meshes(&self) -> &[String] {
        &self.ignored_meshes
    }

    /// Lower joint limits, configuration order.
    pub fn lower(&self) -> Vec<f32> {
        self.joints.iter().map(|j| j.lower).collect()
    }

    /// Upper joint limits, configuration order.
    pub fn upper(&self) -> Vec<f32> {
        self.joints.iter().map(|j| j.upper).collect()
    }

    /// Indices of the joints whose value in `q` lies outside its limits (NaN counts as outside).
    ///
    /// `q` must have [`KinematicChain::dof`] values; extra values are ignored.
    pub fn out_of_limits(&self, q: &[f32]) -> Vec<usize> {
        self.joints
            .iter()
            .zip(q)
            .enumerate()
            .filter(|(_, (j, &v))| !(v >= j.lower && v <= j.upper))
            .map(|(i, _)| i)
            .collect()
    }

    /// Movable joints off the chain (a gripper's fingers), held at one value each: name and
    /// value (rad or m). Their links move with the chain and collide.
    pub fn held_joints(&self) -> &[(String, f32)] {
        &self.held_joints
    }

    /// Link pairs never checked for self-collision, by name (see
    /// [`KinematicChain::with_disabled_pairs`]).
    pub fn disabled_pairs(&self) -> &[(String, String)] {
        &self.disabled_pairs
    }

    /// The chain with `pairs` of links never checked for self-collision (added to any it has).
    /// Names of links outside the chain are skipped (an SRDF may name links of parts the chain
    /// leaves out); the number skipped is returned.
    pub fn with_disabled_pairs(
        mut self,
        pairs: impl IntoIterator<Item = (String, String)>,
    ) -> (KinematicChain, usize) {
        let mut skipped = 0;
        for (a, b) in pairs {
            if self.link_index(&a).is_some() && self.link_index(&b).is_some() {
                self.disabled_pairs.push((a, b));
            } else {
                skipped += 1;
            }
        }
        (self, skipped)
    }

    /// The chain with its tip moved by `offset` (metres, in the tip link's frame): a fixed
    /// link `tcp` is added under the tip and becomes the tip. A zero offset changes nothing.
    pub fn with_tcp_offset(mut self, offset: Vec3) -> KinematicChain {
        if offset == [0.0; 3] {
            return self;
        }
        self.links.push(ChainLink {
            name: format!("{}_tcp", self.links[self.tip].name),
            parent: Some(self.tip),
            joint_name: "tcp".into(),
            origin: Pose::from_translation(offset),
            kind: JointKind::Fixed,
            collision: Vec::new(),
        });
        self.tip = self.links.len() - 1;
        self
    }

    /// A fingerprint of the kinematics (the links' tree, joint kinds, axes, origins, limits and
    /// the tip), 16 hex digits: two chains with the same fingerprint move alike. Collision
    /// geometry does not count.
    pub fn kinematics_hash(&self) -> String {
        // FNV-1a over the exact bits: stable across runs and platforms.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let mut eat = |bytes: &[u8]| {
            for b in bytes {
                h ^= u64::from(*b);
                h = h.wrapping_mul(0x0100_0000_01b3);
            }
        };
        for l in &self.links {
            eat(l.name.as_bytes());
            eat(&l.parent.map_or(u64::MAX, |p| p as u64).to_le_bytes());
            let (kind, axis) = match l.kind {
                JointKind::Fixed => (0u8, [0.0; 3]),
                JointKind::Revolute { axis, .. } => (1, axis),
                JointKind::Prismatic { axis, .. } => (2, axis),
            };
            eat(&[kind]);
            for x in axis
                .iter()
                .chain(l.origin.rot.iter().flatten())
                .chain(l.origin.trans.iter())
            {
                eat(&x.to_bits().to_le_bytes());
            }
        }
        for j in &self.joints {
            eat(j.name.as_bytes());
            eat(&j.lower.to_bits().to_le_bytes());
            eat(&j.upper.to_bits().to_le_bytes());
        }
        eat(&(self.tip as u64).to_le_bytes());
        format!("{h:016x}")
    }

    /// `n` configurations drawn uniformly within the joint limits: a flat `(n, dof)` vector.
    pub fn sample_uniform<R: rand::Rng + ?Sized>(&self, n: usize, rng: &mut R) -> Vec<f32> {
        let mut q = Vec::with_capacity(n * self.dof());
        for _ in 0..n {
            for j in &self.joints {
                q.push(j.lower + (j.upper - j.lower) * rng.random::<f32>());
            }
        }
        q
    }
}
