//! Batched forward kinematics: every link frame for `n` configurations at once.
//!
//! Configurations are a flat row-major `(n, dof)` slice of `f32` (rad for revolute joints, m for
//! prismatic ones); link frames come out as a flat `(n, links)` slice of [`Pose`]s in the base
//! frame, link order as in [`KinematicChain::links`]. The kernel allocates nothing per
//! configuration and splits the batch across rayon threads.

use rayon::prelude::*;

use crate::chain::{JointKind, KinematicChain};
use crate::error::{Error, Result};
use crate::math::{add, cross, scale, sub, Pose, Vec3};

/// Configurations per rayon task in the batched kernels.
pub const CHUNK: usize = 512;

/// Checks that `q` is a non-ragged `(n, dof)` batch of finite values; returns `n`.
///
/// # Errors
/// [`Error::ShapeMismatch`] if `q.len()` is not a multiple of `dof`, [`Error::NonFinite`] naming the
/// first configuration and joint holding a NaN or infinity.
pub fn validate_batch(chain: &KinematicChain, q: &[f32], op: &'static str) -> Result<usize> {
    let dof = chain.dof();
    if dof == 0 {
        return Ok(0);
    }
    if q.len() % dof != 0 {
        return Err(Error::ShapeMismatch {
            op,
            expected: format!("(n, {dof}) joint values"),
            got: format!("{} values, not a multiple of {dof}", q.len()),
        });
    }
    if let Some(pos) = q.iter().position(|v| !v.is_finite()) {
        return Err(Error::NonFinite {
            index: pos / dof,
            joint: pos % dof,
            value: q[pos],
        });
    }
    Ok(q.len() / dof)
}

impl KinematicChain {
    /// Frames of all links for one configuration `q` (length [`KinematicChain::dof`]), written
    /// into `out` (length = number of links), in the base frame.
    ///
    /// # Panics
    /// If `q` or `out` is shorter than required (the batched entry points check shapes).
    #[inline]
    pub fn link_poses_into(&self, q: &[f32], out: &mut [Pose]) {
        for (i, link) in self.links.iter().enumerate() {
            let parent = match link.parent {
                Some(p) => out[p],
                None => Pose::IDENTITY,
            };
            let local = match link.kind {
                JointKind::Fixed => link.origin,
                JointKind::Revolute { axis, dof } => {
                    let v = q[dof];
                    if axis == [0.0, 0.0, 1.0] {
                        // Rotation about z: R_origin · Rz(v), done column-wise.
                        let (s, c) = v.sin_cos();
                        let r = &link.origin.rot;
                        let mut rot = *r;
                        for row in rot.iter_mut().zip(r.iter()) {
                            let (dst, src) = row;
                            dst[0] = src[0] * c + src[1] * s;
                            dst[1] = -src[0] * s + src[1] * c;
                        }
                        Pose {
                            rot,
                            trans: link.origin.trans,
                        }
                    } else {
                        link.origin.mul(&Pose::from_axis_angle(axis, v))
                    }
                }
                JointKind::Prismatic { axis, dof } => link
                    .origin
                    .mul(&Pose::from_translation(scale(axis, q[dof]))),
            };
            out[i] = if link.parent.is_some() {
                parent.mul(&local)
            } else {
                local
            };
        }
    }

    /// Frames of all links for a batch `q` of shape `(n, dof)`: a `(n, links)` vector of poses.
    ///
    /// # Errors
    /// As [`validate_batch`].
    pub fn forward_kinematics(&self, q: &[f32]) -> Result<Vec<Pose>> {
        let n = validate_batch(self, q, "forward_kinematics")?;
        let mut out = vec![Pose::IDENTITY; n * self.links.len()];
        self.forward_kinematics_into(q, &mut out)?;
        Ok(out)
    }

    /// Like [`KinematicChain::forward_kinematics`], writing into a caller-owned `out` of length
    /// `n · links` (reuse it across calls to avoid allocation).
    ///
    /// # Errors
    /// As [`validate_batch`], and [`Error::ShapeMismatch`] if `out` has the wrong length.
    pub fn forward_kinematics_into(&self, q: &[f32], out: &mut [Pose]) -> Result<()> {
        let n = validate_batch(self, q, "forward_kinematics")?;
        let nl = self.links.len();
        if out.len() != n * nl {
            return Err(Error::ShapeMismatch {
                op: "forward_kinematics_into",
                expected: format!("{} poses ({n} × {nl})", n * nl),
                got: format!("{}", out.len()),
            });
        }
        let dof = self.dof().max(1);
        out.par_chunks_mut(CHUNK * nl)
            .zip(q.par_chunks(CHUNK * dof))
            .for_each(|(o, qc)| {
                for (oo, qq) in o.chunks_exact_mut(nl).zip(qc.chunks_exact(dof)) {
                    self.link_poses_into(qq, oo);
                }
            });
        Ok(())
    }

    /// How a point fixed to link `link` moves with each joint, given the link frames `poses` of
    /// one configuration: column `j` of the point's Jacobian (metres per rad, or per metre for a
    /// prismatic joint) in `out[j]`, zero for joints that do not move the link.
    ///
    /// # Panics
    /// If `poses` has fewer than [`KinematicChain::links`] entries or `out` fewer than
    /// [`KinematicChain::dof`].
    pub fn point_jacobian(&self, poses: &[Pose], link: usize, p: Vec3, out: &mut [Vec3]) {
        out[..self.dof()].fill([0.0; 3]);
        let mut cur = Some(link);
        while let Some(l) = cur {
            let frame = &poses[l];
            // A joint's axis is fixed in its child link's frame; its origin is that frame's.
            let world = |axis: Vec3| {
                let r = &frame.rot;
                [
                    r[0][0] * axis[0] + r[0][1] * axis[1] + r[0][2] * axis[2],
                    r[1][0] * axis[0] + r[1][1] * axis[1] + r[1][2] * axis[2],
                    r[2][0] * axis[0] + r[2][1] * axis[1] + r[2][2] * axis[2],
                ]
            };
            match self.links[l].kind {
                JointKind::Revolute { axis, dof } => {
                    out[dof] = cross(world(axis), sub(p, frame.trans));
                }
                JointKind::Prismatic { axis, dof } => out[dof] = world(axis),
                JointKind::Fixed => {}
            }
            cur = self.links[l].parent;
        }
    }

    /// Tool-centre-point positions (origin of the tip link) for a batch `(n, dof)`: `(n, 3)` metres.
    ///
    /// # Errors
    /// As [`validate_batch`].
    pub fn tcp_positions(&self, q: &[f32]) -> Result<Vec<[f32; 3]>> {
        let n = validate_batch(self, q, "tcp_positions")?;
        let nl = self.links.len();
        let dof = self.dof().max(1);
        let mut out = vec![[0.0f32; 3]; n];
        out.par_chunks_mut(CHUNK)
            .zip(q.par_chunks(CHUNK * dof))
            .for_each(|(o, qc)| {
                let mut buf = vec![Pose::IDENTITY; nl];
                for (oo, qq) in o.iter_mut().zip(qc.chunks_exact(dof)) {
                    self.link_poses_into(qq, &mut buf);
                    *oo = add(buf[self.tip].trans, [0.0; 3]);
                }
            });
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn point_jacobian_matches_finite_differences() {
        let chain = KinematicChain::panda();
        let q = [0.3f32, -0.4, 0.5, -1.9, 0.2, 1.4, -0.6];
        let mut poses = vec![Pose::IDENTITY; chain.links().len()];
        chain.link_poses_into(&q, &mut poses);
        for link in [chain.link_index("panda_link4").unwrap(), chain.tip()] {
            let local = [0.03f32, -0.02, 0.05];
            let p = poses[link].transform_point(local);
            let mut jac = [[0.0f32; 3]; 7];
            chain.point_jacobian(&poses, link, p, &mut jac);
            for j in 0..7 {
                let h = 1e-3f32;
                let mut qh = q;
                qh[j] += h;
                let mut ph = poses.clone();
                chain.link_poses_into(&qh, &mut ph);
                let moved = ph[link].transform_point(local);
                for k in 0..3 {
                    let fd = (moved[k] - p[k]) / h;
                    assert!(
                        (fd - jac[j][k]).abs() < 2e-3,
                        "link {link} joint {j}: {fd} vs {:?}",
                        jac[j]
                    );
                }
            }
        }
    }

    #[test]
    fn panda_zero_configuration_tcp() {
        // At q = 0 the Panda's flange is at x = 0.088, z = 0.333 + 0.316 + 0.384 − 0.107 = 0.926,
        // and the TCP another 0.105 below it: z = 0.821 (franka_description kinematics).
        let chain = KinematicChain::panda();
        let tcp = chain.tcp_positions(&[0.0; 7]).unwrap();
        assert!((tcp[0][0] - 0.088).abs() < 1e-6, "{:?}", tcp[0]);
        assert!(tcp[0][1].abs() < 1e-6);
        assert!((tcp[0][2] - (0.333 + 0.316 + 0.384 - 0.107 - 0.105)).abs() < 1e-6);
    }

    #[test]
    fn ragged_and_nan_batches_are_rejected() {
        let chain = KinematicChain::panda();
        assert!(matches!(
            chain.forward_kinematics(&[0.0; 8]),
            Err(Error::ShapeMismatch { .. })
        ));
        let mut q = [0.0f32; 14];
        q[9] = f32::NAN;
        assert!(matches!(
            chain.forward_kinematics(&q),
            Err(Error::NonFinite {
                index: 1,
                joint: 2,
                ..
            })
        ));
        assert!(chain.forward_kinematics(&[]).unwrap().is_empty());
    }
}
