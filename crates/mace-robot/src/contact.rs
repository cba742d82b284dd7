//! The closest contact of a configuration and how it moves with the joints: what a solver needs
//! to push a configuration out of collision along the gradient of its smallest signed distance.

use crate::chain::KinematicChain;
use crate::math::{dot, sub, Pose, Vec3};

/// The pair of solids realising a configuration's smallest signed distance
/// ([`crate::CollisionModel::closest_contact`]), world frame, metres.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Contact {
    /// Signed distance (negative: penetration depth).
    pub distance: f32,
    /// The robot link of the first solid (index into [`KinematicChain::links`]).
    pub link_a: usize,
    /// Closest point of the first solid's surface (deepest when they overlap).
    pub point_a: Vec3,
    /// The robot link of the second solid, or `None` for a scene box or the ground.
    pub link_b: Option<usize>,
    /// Closest point of the second solid's surface.
    pub point_b: Vec3,
    /// Unit direction from the first solid towards the second.
    pub normal: Vec3,
}

impl Contact {
    /// ∂distance/∂q for each joint (metres per rad, or per metre), given the link frames
    /// `poses` of the configuration: the closest points are held fixed on their links, so this
    /// is the gradient wherever the closest pair does not change.
    ///
    /// # Panics
    /// If `poses` does not hold the chain's links.
    pub fn gradient(&self, chain: &KinematicChain, poses: &[Pose]) -> Vec<f32> {
        let dof = chain.dof();
        let mut ja = vec![[0.0f32; 3]; dof];
        chain.point_jacobian(poses, self.link_a, self.point_a, &mut ja);
        let mut jb = vec![[0.0f32; 3]; dof];
        if let Some(b) = self.link_b {
            chain.point_jacobian(poses, b, self.point_b, &mut jb);
        }
        // d = n · (p_b − p_a): moving p_b along n or p_a against it opens the gap.
        ja.iter()
            .zip(&jb)
            .map(|(a, b)| dot(self.normal, sub(*b, *a)))
            .collect()
    }
}
