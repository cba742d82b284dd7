//! One configuration of the arm as solids in the picture: each link's hull or capsules posed,
//! projected and bounded on screen, cast against rays.

use mace_robot::{Capsule, ChainLink, KinematicChain, LinkShape, Pose};
use nalgebra::{Matrix3, Vector3};
use rayon::prelude::*;

use crate::camera::View;
use crate::picture::Rgb;
use crate::polytope::Polytope;

use super::*;

/// One collision solid of one configuration, world frame, ready to cast.
pub(super) struct Solid<'g> {
    pub(super) shape: Shape<'g>,
    /// Capsules whose union contains the solid (the capsule itself, or the hull's cover).
    pub(super) covers: Vec<Capsule>,
    /// Per cover: pixel bounds `[x0, y0, x1, y1]` (inclusive-exclusive, supersampled).
    pub(super) bounds: Vec<[i32; 4]>,
    /// Per cover: a 2-D capsule enclosing its image, `Some([ax, ay, bx, by, r])` (pixels), or
    /// `None` when it reaches behind the camera (then the bounds are the whole image).
    pub(super) outline: Vec<Option<[f32; 5]>>,
    /// The convex outline of a hull's image (pixels), when all of it is in front of the camera:
    /// tighter than the covers' outlines.
    pub(super) silhouette: Option<Vec<[f32; 2]>>,
    /// Pixel bounds of the solid's image: of the silhouette, or else the union of the covers'.
    pub(super) bound: [i32; 4],
    /// No point of the solid is nearer than this depth along the viewing direction (metres).
    pub(super) near: f32,
}

/// What a [`Solid`] is.
pub(super) enum Shape<'g> {
    /// The capsule `covers[0]`.
    Capsule,
    /// A convex hull, cast in its link's frame.
    Hull {
        /// The hull (link frame).
        poly: &'g Polytope,
        /// The link's rotation (world from link).
        rot: Matrix3<f64>,
        /// The link's origin, world frame (metres).
        trans: Vector3<f64>,
        /// A face facing the camera, where walks start ([`Polytope::walk`]).
        start: u32,
    },
}

/// One configuration ready to cast: its solids, colour and pixel bounds (supersampled).
pub(super) struct Arm<'g> {
    pub(super) solids: Vec<Solid<'g>>,
    /// Union of the solids' bounds.
    pub(super) bound: [i32; 4],
    pub(super) colour: Rgb,
}

/// Bounds that contain nothing (the identity of [`union`]).
pub(super) const EMPTY: [i32; 4] = [i32::MAX, i32::MAX, i32::MIN, i32::MIN];

/// `a` grown to contain `b` (pixel bounds).
pub(super) fn union(a: &mut [i32; 4], b: &[i32; 4]) {
    a[0] = a[0].min(b[0]);
    a[1] = a[1].min(b[1]);
    a[2] = a[2].max(b[2]);
    a[3] = a[3].max(b[3]);
}

/// The pixel bounds and 2-D outline of a world capsule's image (see [`Solid::outline`]).
pub(super) fn project_capsule(c: &Capsule, view: &View) -> ([i32; 4], Option<[f32; 5]>) {
    let mut ends = [[0.0f32; 2]; 2];
    let mut radius = 0.0f32;
    for (k, p) in [c.a, c.b].into_iter().enumerate() {
        // Project the end sphere conservatively: at its nearest depth, 10% wider for the
        // elongation of off-axis spheres under perspective, plus 2 px.
        let Some(q) = view.project(&V3::from(p)) else {
            return (
                [i32::MIN / 2, i32::MIN / 2, i32::MAX / 2, i32::MAX / 2],
                None,
            );
        };
        let r = 1.1 * c.radius * view.pixels_per_metre((q[2] - c.radius).max(0.02)) + 2.0;
        radius = radius.max(r);
        ends[k] = [q[0], q[1]];
    }
    let mut b = EMPTY;
    for e in ends {
        b[0] = b[0].min((e[0] - radius).floor() as i32);
        b[1] = b[1].min((e[1] - radius).floor() as i32);
        b[2] = b[2].max((e[0] + radius).ceil() as i32 + 1);
        b[3] = b[3].max((e[1] + radius).ceil() as i32 + 1);
    }
    let outline = [ends[0][0], ends[0][1], ends[1][0], ends[1][1], radius];
    (b, Some(outline))
}

/// The polytope of every collision shape of `chain` that is a hull, in the order of its links and
/// their shapes.
pub(super) fn polytopes(chain: &KinematicChain) -> Vec<Option<Polytope>> {
    chain
        .links()
        .iter()
        .flat_map(|l| &l.collision)
        .collect::<Vec<_>>()
        .par_iter()
        .map(|s| s.hull().map(Polytope::of_hull))
        .collect()
}

impl<'g> Arm<'g> {
    /// The solids of `links` placed at `poses` (one pose per link, from forward kinematics), with
    /// the polytopes of their hulls ([`polytopes`]); `None` if the chain has no collision
    /// geometry.
    pub(super) fn new(
        links: &[ChainLink],
        polytopes: &'g [Option<Polytope>],
        poses: &[Pose],
        colour: Rgb,
        view: &View,
    ) -> Option<Arm<'g>> {
        let mut solids = Vec::new();
        let mut bound = EMPTY;
        let shapes = links
            .iter()
            .zip(poses)
            .flat_map(|(l, pose)| l.collision.iter().map(move |s| (s, pose)));
        for ((shape, pose), poly) in shapes.zip(polytopes) {
            let covers: Vec<Capsule> = shape.cover().iter().map(|c| c.transformed(pose)).collect();
            let (mut silhouette, mut near) = (None, 0.0);
            let kind = match shape {
                LinkShape::Capsule(_) => Shape::Capsule,
                LinkShape::Hull(h) => {
                    let poly = poly.as_ref().expect("polytopes gives every hull one");
                    let rot = Matrix3::from_fn(|i, j| f64::from(pose.rot[i][j]));
                    let trans = Vector3::from(pose.trans.map(f64::from));
                    // The face most opposed to the ray through the centre of the covers.
                    let n = covers.len().max(1) as f32;
                    let centre = covers.iter().fold(V3::zeros(), |s, c| {
                        s + (V3::from(c.a) + V3::from(c.b)) * (0.5 / n)
                    });
                    let dir = match view.project(&centre) {
                        Some(q) => view.ray(q[0], q[1]).1,
                        None => view.forward(),
                    };
                    let start = poly.facing(&rot.tr_mul(&dir.cast()));
                    let placed = h.vertices().map(|v| V3::from(pose.transform_point(v)));
                    let projected: Option<Vec<[f32; 3]>> =
                        placed.map(|p| view.project(&p)).collect();
                    if let Some(points) = projected {
                        near = points.iter().map(|q| q[2]).fold(f32::INFINITY, f32::min);
                        silhouette = Some(convex_outline(
                            points.iter().map(|q| [q[0], q[1]]).collect(),
                        ));
                    }
                    Shape::Hull {
                        poly,
                        rot,
                        trans,
                        start,
                    }
                }
            };
            let (mut bounds, mut outline) = (Vec::new(), Vec::new());
            let mut b = EMPTY;
            for c in &covers {
                let (cb, o) = project_capsule(c, view);
                union(&mut b, &cb);
                bounds.push(cb);
                outline.push(o);
            }
            if let Some(poly) = &silhouette {
                b = EMPTY;
                for p in poly {
                    b[0] = b[0].min(p[0].floor() as i32 - 1);
                    b[1] = b[1].min(p[1].floor() as i32 - 1);
                    b[2] = b[2].max(p[0].ceil() as i32 + 2);
                    b[3] = b[3].max(p[1].ceil() as i32 + 2);
                }
            }
            union(&mut bound, &b);
            solids.push(Solid {
                shape: kind,
                covers,
                bounds,
                outline,
                silhouette,
                bound: b,
                near,
            });
        }
        (!solids.is_empty()).then_some(Arm {
            solids,
            bound,
            colour,
        })
    }

    /// The `x` range (pixels, supersampled) where row `y` (centre `yc`) may cross `solid`'s
    /// image: its silhouette's span, widened by a pixel, or else the hull of the row's spans of
    /// its covers' outlines; empty if none is crossed.
    pub(super) fn row_span(solid: &Solid<'_>, yi: i32, yc: f32) -> (i32, i32) {
        if let Some(poly) = &solid.silhouette {
            return match polygon_row_span(poly, yc) {
                Some((a, z)) => (a.floor() as i32 - 1, z.ceil() as i32 + 1),
                None => (i32::MAX, i32::MIN),
            };
        }
        let (mut lo, mut hi) = (i32::MAX, i32::MIN);
        for (b, o) in solid.bounds.iter().zip(&solid.outline) {
            if yi < b[1] || yi >= b[3] {
                continue;
            }
            let (mut l, mut h) = (b[0], b[2]);
            if let Some(o) = o {
                let Some((a, z)) = capsule_row_span(o, yc) else {
                    continue;
                };
                l = l.max(a.floor() as i32 - 1);
                h = h.min(z.ceil() as i32 + 1);
            }
            lo = lo.min(l);
            hi = hi.max(h);
        }
        (lo, hi)
    }
}
