//! Collision checking of a chain's links against each other, scene boxes and the ground plane.
//!
//! Three kinds of contact, as in the reference (see `tests/data/README.md`):
//! - **self**: every pair of links with geometry, except a link and its nearest ancestor with
//!   geometry (the directly attached pairs, which always touch);
//! - **obstacle**: every link with geometry (the base included) against every scene obstacle
//!   (boxes exactly; the other kinds as the convex pieces of [`pieces`]);
//! - **ground**: every link with geometry except the base against the half-space `z ≤ 0`.
//!
//! A configuration collides when a signed distance is negative. A link's solid is the union of
//! its shapes: capsules, and convex hulls (meshes, boxes; see [`crate::hull`]). Every query runs
//! in stages, each exact about what it rules out: one bounding sphere per link; for self pairs
//! with one or two joints between them, a distance table over those joints; the capsules
//! covering each shape (for a capsule, the shape itself); and only where all of these leave it
//! open, the hull itself (GJK/EPA). The boolean paths ([`CollisionModel::collides`],
//! [`CollisionModel::check`]) stop at the first hit; [`CollisionModel::distances`] computes the
//! exact signed minima, skipping pairs whose capsule bound cannot beat the current minimum.
//! Batched entry points fuse forward kinematics and collision per configuration and split the
//! batch across rayon threads.

use std::sync::Arc;

use rayon::prelude::*;

use crate::chain::{JointKind, KinematicChain, LinkShape};
use crate::error::Result;
use crate::fk::{validate_batch, CHUNK};
use crate::geometry::{capsule_capsule_signed_distance, capsules_intersect, Capsule, Obb};
use crate::hull::{placed_hit, ConvexHull, Placed, PlacedHull};
use crate::math::{add, dot, norm, sub, Pose, Vec3};
use crate::scene::Scene;

mod cache;
mod distance;
mod pieces;
mod prune;
mod table;

use table::{PairTable, Verdict};

/// Which kinds of contact a configuration has.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CollisionFlags {
    /// Two non-adjacent links overlap.
    pub self_collision: bool,
    /// A link overlaps a scene box.
    pub obstacle_collision: bool,
    /// A link other than the base reaches below `z = 0` (only if the scene has a ground).
    pub ground_collision: bool,
}

impl CollisionFlags {
    /// Whether any kind of contact occurs.
    pub fn any(&self) -> bool {
        self.self_collision || self.obstacle_collision || self.ground_collision
    }
}

/// Signed minimum distances of one configuration, metres (negative = penetration depth;
/// `f32::INFINITY` when there is nothing to check, e.g. no boxes).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Distances {
    /// Minimum over the checked self-collision pairs.
    #[serde(deserialize_with = "infinite_if_null")]
    pub self_distance: f32,
    /// Minimum over links × scene boxes.
    #[serde(deserialize_with = "infinite_if_null")]
    pub obstacle_distance: f32,
    /// Minimum height of the links checked against the ground.
    #[serde(deserialize_with = "infinite_if_null")]
    pub ground_distance: f32,
}

/// JSON has no infinity: serde_json writes it as `null`, read back here as `f32::INFINITY`.
fn infinite_if_null<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f32, D::Error> {
    Ok(<Option<f32> as serde::Deserialize>::deserialize(d)?.unwrap_or(f32::INFINITY))
}

/// A chain's collision geometry prepared for fast queries against one scene.
#[derive(Debug, Clone)]
pub struct CollisionModel {
    chain: KinematicChain,
    /// Links with geometry (indices into the chain's links).
    geo: Vec<usize>,
    /// Shapes of link `geo[k]` are `shapes[shape_range[k].0 .. shape_range[k].1]`.
    shapes: Vec<Shape>,
    shape_range: Vec<(usize, usize)>,
    /// The capsules covering every shape (link frame), shape after shape: link `geo[k]`'s are
    /// `caps[cap_range[k].0 .. cap_range[k].1]`.
    caps: Vec<Capsule>,
    cap_range: Vec<(usize, usize)>,
    /// Per capsule: half its segment length plus its radius (bounding sphere about the midpoint).
    cap_bound: Vec<f32>,
    /// Bounding sphere of each geo link, link frame: (centre, radius).
    bounds: Vec<(Vec3, f32)>,
    /// Self-collision pairs as indices into `geo`, most frequently colliding first.
    self_pairs: Vec<(usize, usize)>,
    /// Per self pair: its distance table, if one or two joints lie between its links.
    pair_tables: Vec<Option<Arc<PairTable>>>,
    /// Indices into `geo` checked against the ground.
    ground_links: Vec<usize>,
    obbs: Vec<Obb>,
    /// Bounding sphere radius of each box (centre = box centre).
    obb_radius: Vec<f32>,
    /// Every other obstacle, as convex pieces.
    pieces: Arc<pieces::Pieces>,
}

/// One collision shape of a link: the capsules covering it, and the hull inside them (none for a
/// capsule shape, which is its own cover).
#[derive(Debug, Clone)]
struct Shape {
    /// Range of its covering capsules in `CollisionModel::caps` (and `Scratch::world`).
    caps: (usize, usize),
    hull: Option<Arc<ConvexHull>>,
}

/// Scratch space for one thread: poses, world capsules and world bounding-sphere centres.
#[derive(Debug, Clone)]
pub struct Scratch {
    /// Bit k set: the capsules of geo link k are placed in `world` for the current configuration.
    placed: u64,
    /// Bit j set: `joints[j]` holds joint j's value, read back from the current poses.
    joints_known: u64,
    joints: Vec<f32>,
    poses: Vec<Pose>,
    world: Vec<Capsule>,
    centers: Vec<Vec3>,
}

/// Indices into `geo` of the links checked against the ground plane: all but the base, if any.
/// The geo links checked against the ground: all but the base and the links fixed rigidly to
/// it (a URDF's empty root often carries the base mesh on a fixed child, standing on `z = 0`).
fn ground_links(chain: &KinematicChain, geo: &[usize], ground: bool) -> Vec<usize> {
    let links = chain.links();
    let moves = |mut i: usize| loop {
        match links[i].parent {
            None => return false,
            Some(_) if !matches!(links[i].kind, JointKind::Fixed) => return true,
            Some(p) => i = p,
        }
    };
    if ground {
        (0..geo.len()).filter(|&k| moves(geo[k])).collect()
    } else {
        Vec::new()
    }
}

impl CollisionModel {
    /// Prepares `chain`'s collision shapes against `scene`'s obstacles and ground.
    pub fn new(chain: &KinematicChain, scene: &Scene) -> CollisionModel {
        let mut model = CollisionModel::from_parts(chain, scene.obbs(), scene.ground);
        model.pieces = Arc::new(pieces::Pieces::new(&scene.shapes));
        model
    }

    /// Prepares `chain` against arbitrary boxes, with or without the ground plane.
    pub fn from_parts(chain: &KinematicChain, obbs: Vec<Obb>, ground: bool) -> CollisionModel {
        let links = chain.links();
        let geo: Vec<usize> = (0..links.len())
            .filter(|&i| !links[i].collision.is_empty())
            .collect();
        let mut shapes = Vec::new();
        let mut shape_range = Vec::new();
        let mut caps = Vec::new();
        let mut cap_range = Vec::new();
        let mut bounds = Vec::new();
        for &li in &geo {
            let (first_shape, first_cap) = (shapes.len(), caps.len());
            for shape in &links[li].collision {
                let start = caps.len();
                caps.extend_from_slice(shape.cover());
                shapes.push(Shape {
                    caps: (start, caps.len()),
                    hull: match shape {
                        LinkShape::Capsule(_) => None,
                        LinkShape::Hull(h) => Some(Arc::clone(h)),
                    },
                });
            }
            shape_range.push((first_shape, shapes.len()));
            cap_range.push((first_cap, caps.len()));
            bounds.push(bounding_sphere(&caps[first_cap..]));
        }
        // Nearest ancestor with geometry, as an index into geo.
        let geo_parent = |li: usize| -> Option<usize> {
            let mut p = links[li].parent;
            while let Some(pi) = p {
                if let Some(k) = geo.iter().position(|&g| g == pi) {
                    return Some(k);
                }
                p = links[pi].parent;
            }
            None
        };
        let disabled = |a: usize, b: usize| {
            let (na, nb) = (&links[geo[a]].name, &links[geo[b]].name);
            chain
                .disabled_pairs()
                .iter()
                .any(|(x, y)| (x == na && y == nb) || (x == nb && y == na))
        };
        let mut self_pairs = Vec::new();
        for a in 0..geo.len() {
            for b in a + 1..geo.len() {
                if geo_parent(geo[a]) == Some(b) || geo_parent(geo[b]) == Some(a) || disabled(a, b)
                {
                    continue;
                }
                self_pairs.push((a, b));
            }
        }
        // Test pairs far apart in the chain first: they collide most often (wrist vs. base).
        self_pairs.sort_by_key(|&(a, b)| std::cmp::Reverse(b - a));
        let ground_links = ground_links(chain, &geo, ground);
        let obb_radius = obbs.iter().map(Obb::bounding_radius).collect();
        let cap_bound = caps.iter().map(|c| c.bounding_sphere().1).collect();
        let mut model = CollisionModel {
            chain: chain.clone(),
            geo,
            shapes,
            shape_range,
            caps,
            cap_range,
            cap_bound,
            bounds,
            pair_tables: vec![None; self_pairs.len()],
            self_pairs,
            ground_links,
            obbs,
            obb_radius,
            pieces: Arc::default(),
        };
        model.prune_rigid_pairs();
        model.prune_unreachable_pairs();
        model
    }

    /// The same chain (and its already pruned self-collision pairs) against `scene`'s obstacles
    /// and ground instead: much cheaper than [`CollisionModel::new`], whose self-pair pruning and
    /// distance tables take ≈ 0.14 s for the Panda.
    pub fn for_scene(&self, scene: &Scene) -> CollisionModel {
        let obbs = scene.obbs();
        CollisionModel {
            ground_links: ground_links(&self.chain, &self.geo, scene.ground),
            obb_radius: obbs.iter().map(Obb::bounding_radius).collect(),
            obbs,
            pieces: Arc::new(pieces::Pieces::new(&scene.shapes)),
            ..self.clone()
        }
    }

    /// The chain this model checks.
    pub fn chain(&self) -> &KinematicChain {
        &self.chain
    }

    /// Names of the link pairs checked for self-collision.
    ///
    /// Rigidly attached pairs that do not touch, and pairs that provably cannot meet within the
    /// joint limits, are left out (they can never collide).
    pub fn self_pair_names(&self) -> Vec<(String, String)> {
        let l = self.chain.links();
        self.self_pairs
            .iter()
            .map(|&(a, b)| (l[self.geo[a]].name.clone(), l[self.geo[b]].name.clone()))
            .collect()
    }

    /// Fresh scratch space sized for this model.
    pub fn scratch(&self) -> Scratch {
        Scratch {
            placed: 0,
            joints_known: 0,
            joints: vec![0.0; self.chain.dof()],
            poses: vec![Pose::IDENTITY; self.chain.links().len()],
            world: vec![Capsule::sphere([0.0; 3], 0.0); self.caps.len()],
            centers: vec![[0.0; 3]; self.geo.len()],
        }
    }

    /// Places every link's bounding sphere and capsules in the world.
    fn place(&self, poses: &[Pose], s: &mut Scratch) {
        self.place_centers(poses, s);
        for k in 0..self.geo.len() {
            self.ensure(poses, s, k);
        }
    }

    /// Places the bounding-sphere centres only; capsules follow on demand ([`Self::ensure`]).
    #[inline]
    fn place_centers(&self, poses: &[Pose], s: &mut Scratch) {
        s.placed = 0;
        s.joints_known = 0;
        for (k, &li) in self.geo.iter().enumerate() {
            s.centers[k] = poses[li].transform_point(self.bounds[k].0);
        }
    }

    /// Places the capsules of geo link `k` if not yet done for this configuration.
    #[inline]
    fn ensure(&self, poses: &[Pose], s: &mut Scratch, k: usize) {
        let bit = 1u64 << (k & 63);
        if k < 64 && s.placed & bit != 0 {
            return;
        }
        let p = &poses[self.geo[k]];
        let (a, b) = self.cap_range[k];
        for c in a..b {
            s.world[c] = self.caps[c].transformed(p);
        }
        if k < 64 {
            s.placed |= bit;
        }
    }

    #[inline]
    fn pair_hits(
        &self,
        poses: &[Pose],
        s: &mut Scratch,
        a: usize,
        b: usize,
        table: Option<&PairTable>,
    ) -> bool {
        let r = self.bounds[a].1 + self.bounds[b].1;
        let d = sub(s.centers[a], s.centers[b]);
        if dot(d, d) >= r * r {
            return false;
        }
        match table.map(|t| t.verdict(&self.chain, poses, s)) {
            Some(Verdict::Clear) => return false,
            Some(Verdict::Hit) => return true,
            _ => {}
        }
        self.ensure(poses, s, a);
        self.ensure(poses, s, b);
        let (a0, a1) = self.shape_range[a];
        let (b0, b1) = self.shape_range[b];
        (a0..a1).any(|x| {
            (b0..b1).any(|y| self.covers_meet(s, x, y) && self.shapes_hit(poses, s, (a, x), (b, y)))
        })
    }

    /// Whether a covering capsule of shape `x` overlaps one of shape `y` (placed in `s.world`).
    #[inline]
    fn covers_meet(&self, s: &Scratch, x: usize, y: usize) -> bool {
        let (x0, x1) = self.shapes[x].caps;
        let (y0, y1) = self.shapes[y].caps;
        (x0..x1).any(|i| {
            let p = &s.world[i];
            (y0..y1).any(|j| {
                let q = &s.world[j];
                // Midpoint spheres first: 4× cheaper than the segment test.
                let r = self.cap_bound[i] + self.cap_bound[j];
                let d = sub(add(p.a, p.b), add(q.a, q.b));
                dot(d, d) < 4.0 * r * r && capsules_intersect(p, q)
            })
        })
    }

    /// Lower bound of the signed distance between shapes `x` and `y`: their covers' distance.
    fn covers_distance(&self, s: &Scratch, x: usize, y: usize) -> f32 {
        let (x0, x1) = self.shapes[x].caps;
        let (y0, y1) = self.shapes[y].caps;
        let mut d = f32::INFINITY;
        for p in &s.world[x0..x1] {
            for q in &s.world[y0..y1] {
                d = d.min(capsule_capsule_signed_distance(p, q));
            }
        }
        d
    }

    /// The hull of shape `x` placed with its link (geo index `k`), if the shape is a hull.
    #[inline]
    fn placed<'a>(&'a self, poses: &[Pose], k: usize, x: usize) -> Option<PlacedHull<'a>> {
        self.shapes[x]
            .hull
            .as_deref()
            .map(|h| PlacedHull::new(h, &poses[self.geo[k]]))
    }

    /// A capsule shape's capsule placed in the world.
    #[inline]
    fn world_capsule<'a>(&self, s: &'a Scratch, x: usize) -> &'a Capsule {
        &s.world[self.shapes[x].caps.0]
    }

    /// Whether shape `x` of geo link `a` and shape `y` of geo link `b` overlap (their capsules
    /// placed in `s.world`).
    fn shapes_hit(
        &self,
        poses: &[Pose],
        s: &Scratch,
        (a, x): (usize, usize),
        (b, y): (usize, usize),
    ) -> bool {
        match (self.placed(poses, a, x), self.placed(poses, b, y)) {
            (None, None) => true, // the covers are the shapes, and they meet
            (Some(h), None) => h.hits_capsule(self.world_capsule(s, y)),
            (None, Some(h)) => h.hits_capsule(self.world_capsule(s, x)),
            (Some(g), Some(h)) => g.hits_hull(&h),
        }
    }

    /// Signed distance between shape `x` of geo link `a` and shape `y` of geo link `b`, metres.
    fn shapes_distance(
        &self,
        poses: &[Pose],
        s: &Scratch,
        (a, x): (usize, usize),
        (b, y): (usize, usize),
    ) -> f32 {
        match (self.placed(poses, a, x), self.placed(poses, b, y)) {
            (None, None) => {
                capsule_capsule_signed_distance(self.world_capsule(s, x), self.world_capsule(s, y))
            }
            (Some(h), None) => h.distance_to_capsule(self.world_capsule(s, y)),
            (None, Some(h)) => h.distance_to_capsule(self.world_capsule(s, x)),
            (Some(g), Some(h)) => g.distance_to_hull(&h),
        }
    }

    /// Lowest `z` of shape `x`'s covering capsules: a lower bound of its height.
    #[inline]
    fn cover_height(&self, s: &Scratch, x: usize) -> f32 {
        let (c0, c1) = self.shapes[x].caps;
        s.world[c0..c1]
            .iter()
            .map(Capsule::min_z)
            .fold(f32::INFINITY, f32::min)
    }

    /// Signed distance of shape `x` (of geo link `k`) to the ground plane.
    #[inline]
    fn shape_height(&self, poses: &[Pose], s: &Scratch, k: usize, x: usize) -> f32 {
        match self.shapes[x].hull.as_deref() {
            None => self.world_capsule(s, x).min_z(),
            Some(h) => h.min_z(&poses[self.geo[k]]),
        }
    }

    #[inline]
    fn ground_hits(&self, poses: &[Pose], s: &mut Scratch, k: usize) -> bool {
        if s.centers[k][2] >= self.bounds[k].1 {
            return false;
        }
        self.ensure(poses, s, k);
        let (x0, x1) = self.shape_range[k];
        (x0..x1).any(|x| self.cover_height(s, x) < 0.0 && self.shape_height(poses, s, k, x) < 0.0)
    }

    #[inline]
    fn obstacle_hits(&self, poses: &[Pose], s: &mut Scratch, k: usize) -> bool {
        let (x0, x1) = self.shape_range[k];
        let rk = self.bounds[k].1;
        for (o, &ro) in self.obbs.iter().zip(&self.obb_radius) {
            let d = sub(s.centers[k], o.pose.trans);
            let r = rk + ro;
            if dot(d, d) >= r * r || o.signed_distance_point(s.centers[k]) >= rk {
                continue;
            }
            self.ensure(poses, s, k);
            let hit = (x0..x1).any(|x| {
                let (c0, c1) = self.shapes[x].caps;
                s.world[c0..c1].iter().any(|c| o.intersects_capsule(c))
                    && self.placed(poses, k, x).is_none_or(|h| h.hits_box(o))
            });
            if hit {
                return true;
            }
        }
        !self.pieces.is_empty() && self.piece_hits(poses, s, k)
    }

    /// Whether geo link `k` overlaps a non-box obstacle: for each of its shapes, the pieces
    /// whose bounds meet the box around the shape's covering capsules, tested exactly.
    fn piece_hits(&self, poses: &[Pose], s: &mut Scratch, k: usize) -> bool {
        if !self.pieces.meets_sphere(s.centers[k], self.bounds[k].1) {
            return false;
        }
        self.ensure(poses, s, k);
        let (x0, x1) = self.shape_range[k];
        (x0..x1).any(|x| {
            let (c0, c1) = self.shapes[x].caps;
            let caps = &s.world[c0..c1];
            let (lo, hi) = pieces::capsules_box(caps);
            let mut hit = false;
            self.pieces.near_box(lo, hi, |i| {
                let p = self.pieces.get(i);
                hit = caps.iter().any(|c| p.capsule_bound(c) < 0.0)
                    && match self.placed(poses, k, x) {
                        Some(h) => {
                            let ball_clear = p.ball().is_some_and(|(center, r)| {
                                let local = poses[self.geo[k]].inverse_transform_point(center);
                                h.hull.ball_clear(local, r)
                            });
                            !ball_clear && placed_hit(&Placed::Hull(h), &p.placed())
                        }
                        None => {
                            let c = self.world_capsule(s, x);
                            p.capsule_distance(c).map_or_else(
                                || placed_hit(&Placed::Capsule(*c), &p.placed()),
                                |d| d < 0.0,
                            )
                        }
                    };
                if hit {
                    std::ops::ControlFlow::Break(())
                } else {
                    std::ops::ControlFlow::Continue(())
                }
            });
            hit
        })
    }

    fn self_hit(&self, poses: &[Pose], s: &mut Scratch) -> bool {
        self.self_pairs
            .iter()
            .zip(&self.pair_tables)
            .any(|(&(a, b), table)| self.pair_hits(poses, s, a, b, table.as_deref()))
    }

    fn ground_hit(&self, poses: &[Pose], s: &mut Scratch) -> bool {
        self.ground_links
            .iter()
            .any(|&k| self.ground_hits(poses, s, k))
    }

    fn obstacle_hit(&self, poses: &[Pose], s: &mut Scratch) -> bool {
        self.has_obstacles() && (0..self.geo.len()).any(|k| self.obstacle_hits(poses, s, k))
    }

    /// Whether the scene has any obstacle (boxes or others).
    fn has_obstacles(&self) -> bool {
        !self.obbs.is_empty() || !self.pieces.is_empty()
    }

    /// Whether one configuration collides in any way, given its link poses (length = number of
    /// links, from [`KinematicChain::forward_kinematics`]). Stops at the first contact.
    pub fn collides_with(&self, poses: &[Pose], s: &mut Scratch) -> bool {
        self.place_centers(poses, s);
        self.ground_hit(poses, s) || self.obstacle_hit(poses, s) || self.self_hit(poses, s)
    }

    /// [`CollisionModel::collides_with`] with its own scratch space.
    pub fn collides(&self, poses: &[Pose]) -> bool {
        self.collides_with(poses, &mut self.scratch())
    }

    /// Which kinds of contact one configuration has, given its link poses (each kind stops at
    /// its first contact).
    pub fn check_with(&self, poses: &[Pose], s: &mut Scratch) -> CollisionFlags {
        self.place_centers(poses, s);
        CollisionFlags {
            self_collision: self.self_hit(poses, s),
            obstacle_collision: self.obstacle_hit(poses, s),
            ground_collision: self.ground_hit(poses, s),
        }
    }

    /// [`CollisionModel::check_with`] with its own scratch space.
    pub fn check(&self, poses: &[Pose]) -> CollisionFlags {
        self.check_with(poses, &mut self.scratch())
    }

    fn batch<T: Send + Default + Clone>(
        &self,
        q: &[f32],
        op: &'static str,
        f: impl Fn(&Self, &mut Scratch) -> T + Sync,
    ) -> Result<Vec<T>> {
        let n = validate_batch(&self.chain, q, op)?;
        let dof = self.chain.dof().max(1);
        let mut out = vec![T::default(); n];
        out.par_chunks_mut(CHUNK)
            .zip(q.par_chunks(CHUNK * dof))
            .for_each(|(o, qc)| {
                let mut s = self.scratch();
                for (oo, qq) in o.iter_mut().zip(qc.chunks_exact(dof)) {
                    let mut poses = std::mem::take(&mut s.poses);
                    self.chain.link_poses_into(qq, &mut poses);
                    s.poses = poses;
                    *oo = f(self, &mut s);
                }
            });
        Ok(out)
    }

    /// Forward kinematics + [`CollisionModel::collides_with`] for a batch `(n, dof)`.
    ///
    /// # Errors
    /// As [`validate_batch`].
    pub fn collides_batch(&self, q: &[f32]) -> Result<Vec<bool>> {
        self.batch(q, "collides_batch", |m, s| {
            let poses = std::mem::take(&mut s.poses);
            let r = m.collides_with(&poses, s);
            s.poses = poses;
            r
        })
    }

    /// Forward kinematics + [`CollisionModel::check_with`] for a batch `(n, dof)`.
    ///
    /// # Errors
    /// As [`validate_batch`].
    pub fn check_batch(&self, q: &[f32]) -> Result<Vec<CollisionFlags>> {
        self.batch(q, "check_batch", |m, s| {
            let poses = std::mem::take(&mut s.poses);
            let r = m.check_with(&poses, s);
            s.poses = poses;
            r
        })
    }

    /// Forward kinematics + [`CollisionModel::distances_with`] for a batch `(n, dof)`.
    ///
    /// # Errors
    /// As [`validate_batch`].
    pub fn distances_batch(&self, q: &[f32]) -> Result<Vec<Distances>> {
        self.batch(q, "distances_batch", |m, s| {
            let poses = std::mem::take(&mut s.poses);
            let r = m.distances_with(&poses, s);
            s.poses = poses;
            r
        })
    }

    /// Forward kinematics + collision flags + tip position for a batch `(n, dof)`: what the IK
    /// evidence needs, in one pass.
    ///
    /// # Errors
    /// As [`validate_batch`].
    pub fn check_with_tcp_batch(&self, q: &[f32]) -> Result<Vec<(CollisionFlags, Vec3)>> {
        let r = self.check_with_tool_batch(q)?;
        Ok(r.into_iter().map(|(f, tool)| (f, tool.trans)).collect())
    }

    /// Like [`CollisionModel::check_with_tcp_batch`], with the tip's whole frame (base frame).
    ///
    /// # Errors
    /// As [`validate_batch`].
    pub fn check_with_tool_batch(&self, q: &[f32]) -> Result<Vec<(CollisionFlags, Pose)>> {
        let tip = self.chain.tip();
        self.batch(q, "check_with_tool_batch", move |m, s| {
            let poses = std::mem::take(&mut s.poses);
            let r = (m.check_with(&poses, s), poses[tip]);
            s.poses = poses;
            r
        })
    }
}

impl Default for Distances {
    fn default() -> Self {
        Distances {
            self_distance: f32::INFINITY,
            obstacle_distance: f32::INFINITY,
            ground_distance: f32::INFINITY,
        }
    }
}

/// A sphere enclosing all `caps` (centre = centre of the capsules' bounding boxes).
fn bounding_sphere(caps: &[Capsule]) -> (Vec3, f32) {
    let mut lo = [f32::INFINITY; 3];
    let mut hi = [f32::NEG_INFINITY; 3];
    for c in caps {
        for p in [c.a, c.b] {
            for k in 0..3 {
                lo[k] = lo[k].min(p[k] - c.radius);
                hi[k] = hi[k].max(p[k] + c.radius);
            }
        }
    }
    let center = [
        0.5 * (lo[0] + hi[0]),
        0.5 * (lo[1] + hi[1]),
        0.5 * (lo[2] + hi[2]),
    ];
    let r = caps
        .iter()
        .flat_map(|c| {
            [
                norm(sub(c.a, center)) + c.radius,
                norm(sub(c.b, center)) + c.radius,
            ]
        })
        .fold(0.0f32, f32::max);
    (center, r * (1.0 + 1e-6) + 1e-7)
}

#[cfg(test)]
mod tests;
