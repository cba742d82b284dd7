//! Reading kinematic chains from URDF (via `urdf-rs`), with validation and clear errors.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::chain::{ChainLink, JointKind, JointSpec, KinematicChain, LinkShape};
use crate::error::{Error, Result};
use crate::geometry::Capsule;
use crate::hull::{ConvexHull, MESH_MARGIN};
use crate::math::{normalize_f64, Pose, Vec3};
use crate::mesh_file;

/// Where the mesh files named by a URDF's collision elements come from.
pub(crate) enum Meshes<'a> {
    /// None: mesh elements are skipped (text without a folder).
    Unavailable,
    /// Files relative to the URDF's folder; `package://` paths also searched in `packages`.
    Folder {
        dir: &'a Path,
        packages: &'a [PathBuf],
    },
    /// Compiled-in files, by name.
    Embedded(&'a [(&'a str, &'a [u8])]),
}

/// Largest mesh file read, bytes.
const MAX_MESH_BYTES: u64 = 256 << 20;

impl Meshes<'_> {
    /// The bytes of mesh `filename`, or `None` if meshes are unavailable or the format cannot be
    /// read (the element is then skipped).
    fn read(
        &self,
        filename: &str,
        origin: &str,
        field: &dyn Fn() -> String,
    ) -> Result<Option<Vec<u8>>> {
        if !mesh_file::is_supported(filename) {
            return Ok(None);
        }
        match self {
            Meshes::Unavailable => Ok(None),
            Meshes::Embedded(files) => files
                .iter()
                .find(|(name, _)| *name == filename)
                .map(|(_, bytes)| Some(bytes.to_vec()))
                .ok_or_else(|| {
                    invalid(origin, field(), format!("no built-in mesh \"{filename}\""))
                }),
            Meshes::Folder { dir, packages } => {
                let tried = mesh_candidates(dir, packages, filename);
                for path in &tried {
                    if path.is_file() {
                        return Ok(Some(mace_core::fs::read_file(path, MAX_MESH_BYTES)?));
                    }
                }
                let list: Vec<String> = tried.iter().map(|p| p.display().to_string()).collect();
                Err(invalid(
                    origin,
                    field(),
                    format!("mesh \"{filename}\" not found (tried {})", list.join(", ")),
                ))
            }
        }
    }
}

/// Paths where a URDF in `dir` may mean mesh `filename`: `file://` and absolute paths as
/// they are; relative paths from `dir`; `package://PKG/PATH` as `PKG/PATH` and `PATH` in `dir`
/// and each of its ancestors (the usual `PKG/urdf/robot.urdf` + `PKG/meshes/…` layout, or a
/// workspace holding `PKG/`), then in each folder of `packages` and of `ROS_PACKAGE_PATH`.
fn mesh_candidates(dir: &Path, packages: &[PathBuf], filename: &str) -> Vec<PathBuf> {
    if let Some(path) = filename.strip_prefix("file://") {
        return vec![PathBuf::from(path)];
    }
    if let Some(rest) = filename.strip_prefix("package://") {
        let (package, inside) = rest.split_once('/').unwrap_or(("", rest));
        let mut v = Vec::new();
        let ros: Vec<PathBuf> = std::env::var_os("ROS_PACKAGE_PATH")
            .map(|p| std::env::split_paths(&p).collect())
            .unwrap_or_default();
        let roots = dir.ancestors().map(Path::to_path_buf);
        for root in roots.chain(packages.iter().cloned()).chain(ros) {
            if !package.is_empty() {
                v.push(root.join(package).join(inside));
            }
            v.push(root.join(inside));
        }
        v.dedup();
        return v;
    }
    vec![dir.join(filename)]
}

impl KinematicChain {
    /// Reads the chain from `base` to `tip` out of a URDF file; mesh collision elements are read
    /// from files next to it (see [`KinematicChain::from_urdf_str`] for the rest).
    ///
    /// A mesh's `filename` is looked up relative to the URDF's folder; `package://PKG/PATH` as
    /// `PATH` in that folder or its parent; `file://PATH` and absolute paths as they are. OBJ
    /// and STL meshes are read ([`crate::mesh_file`]) and collide as their convex hull grown by
    /// [`MESH_MARGIN`]; meshes in other formats are skipped and listed in
    /// [`KinematicChain::ignored_meshes`].
    ///
    /// # Errors
    /// [`Error::Io`] if a file cannot be read; [`Error::InvalidRobot`] naming the link and file
    /// for a mesh that is missing, malformed or degenerate; otherwise as
    /// [`KinematicChain::from_urdf_str`], with the file path as origin.
    pub fn from_urdf_file(path: impl AsRef<Path>, base: &str, tip: &str) -> Result<KinematicChain> {
        KinematicChain::from_urdf_file_with(path, base, tip, &[])
    }

    /// [`KinematicChain::from_urdf_file`] with more folders to find `package://` meshes in.
    ///
    /// # Errors
    /// As [`KinematicChain::from_urdf_file`].
    pub fn from_urdf_file_with(
        path: impl AsRef<Path>,
        base: &str,
        tip: &str,
        packages: &[PathBuf],
    ) -> Result<KinematicChain> {
        let path = path.as_ref();
        let text = read_urdf(path)?;
        let dir = path.parent().unwrap_or(Path::new("."));
        parse(
            &text,
            &path.display().to_string(),
            base,
            tip,
            &Meshes::Folder { dir, packages },
            &[],
        )
    }

    /// Reads the chain from `base` to `tip` out of URDF text.
    ///
    /// The chain is the path of joints from `base` down to `tip` (revolute, continuous, prismatic or
    /// fixed; continuous joints get limits [−π, π]), plus every link attached to a link of that path
    /// through fixed joints only (so a gripper's fixed fingers take part in collision). Links hanging
    /// off the path through other movable joints are left out.
    ///
    /// Collision elements, in the link frame: `sphere` and `capsule` exactly (a capsule's axis is
    /// its local z, `length` the length of the cylinder part); a `cylinder` becomes the capsule
    /// with the same axis and radius (it adds hemispherical caps); a `box` exactly. Text has no
    /// folder to read meshes from, so `mesh` elements are skipped and listed in
    /// [`KinematicChain::ignored_meshes`]: use [`KinematicChain::from_urdf_file`] for them.
    ///
    /// # Errors
    /// [`Error::Urdf`] for malformed XML; [`Error::InvalidRobot`] naming the field for an unknown
    /// base or tip, a tip that does not descend from the base, duplicate names, a zero axis,
    /// inverted or non-finite limits, an unsupported joint type on the path, or a non-positive
    /// shape size.
    pub fn from_urdf_str(text: &str, base: &str, tip: &str) -> Result<KinematicChain> {
        parse(text, "<string>", base, tip, &Meshes::Unavailable, &[])
    }
}

/// Largest URDF file read, bytes.
const MAX_URDF_BYTES: u64 = 64 << 20;

/// The text of a URDF file (a regular file of at most 64 MiB).
///
/// # Errors
/// [`Error::File`] naming the path.
pub(crate) fn read_urdf(path: &Path) -> Result<String> {
    Ok(mace_core::fs::read_text(path, MAX_URDF_BYTES)?)
}

/// The base and tip a bare URDF implies: the root link (the one link that is no joint's
/// child), and the end of its longest chain: the link with the most movable joints from the
/// root — a gripper's fingers (joints that mimic another, or two movable joints on one link)
/// do not count, so the tip is the hand's frame — then a tool-like name (`tcp`, `tool`,
/// `end_effector`, `ee_link`, `grasp`, `flange`), then the most joints, then the first in file
/// order.
///
/// # Errors
/// [`Error::Urdf`] for malformed XML; [`Error::InvalidRobot`] for no root or several roots.
pub fn default_ends(text: &str, origin: &str) -> Result<(String, String)> {
    let robot = urdf_rs::read_from_string(text).map_err(|source| Error::Urdf {
        origin: origin.to_string(),
        source,
    })?;
    let children: std::collections::HashSet<&str> =
        robot.joints.iter().map(|j| j.child.link.as_str()).collect();
    let roots: Vec<&str> = robot
        .links
        .iter()
        .map(|l| l.name.as_str())
        .filter(|n| !children.contains(n))
        .collect();
    let root = match roots[..] {
        [r] => r,
        [] => {
            return Err(invalid(
                origin,
                "links",
                "no root link (the joints form a loop)",
            ))
        }
        _ => {
            return Err(invalid(
                origin,
                "links",
                format!("several root links ({}): give base", roots.join(", ")),
            ))
        }
    };
    // A gripper's joints are not the arm's: a movable joint that mimics another, or that has a
    // movable sibling (two fingers on one hand), ends a path without extending it.
    let movable = |j: &urdf_rs::Joint| j.joint_type != urdf_rs::JointType::Fixed;
    let gripper = |j: &urdf_rs::Joint| {
        movable(j)
            && (j.mimic.is_some()
                || robot
                    .joints
                    .iter()
                    .any(|k| k.name != j.name && k.parent.link == j.parent.link && movable(k)))
    };
    // (movable joints, joints) of every link reachable from the root, breadth first; the tip
    // is the link with the most movable joints, then a tool-like name, then the most joints,
    // then the first in file order.
    let tool_like = |name: &str| {
        let n = name.to_ascii_lowercase();
        ["tcp", "tool", "end_effector", "ee_link", "grasp", "flange"]
            .iter()
            .any(|k| n.contains(k))
    };
    let rank = |movable: usize, depth: usize, name: &str| (movable, tool_like(name), depth);
    let mut best = (rank(0, 0, root), root);
    let mut frontier = vec![(root, 0usize, 0usize)];
    let mut seen = std::collections::HashSet::from([root]);
    while let Some((link, depth, moves)) = frontier.pop() {
        if rank(moves, depth, link) > best.0 {
            best = (rank(moves, depth, link), link);
        }
        for j in robot.joints.iter().filter(|j| j.parent.link == link) {
            let child = j.child.link.as_str();
            if !seen.insert(child) {
                return Err(invalid(
                    origin,
                    format!("joint \"{}\"", j.name),
                    format!(
                        "link \"{child}\" is reached twice: a closed kinematic loop (a URDF \
                         describes a tree)"
                    ),
                ));
            }
            if gripper(j) {
                continue;
            }
            frontier.insert(0, (child, depth + 1, moves + usize::from(movable(j))));
        }
    }
    Ok((root.to_string(), best.1.to_string()))
}

/// The value at which the off-chain movable joint `j` is held: `held`'s if given (checked
/// against the limits), else 0 clamped into the limits; `None` for joint types that cannot be
/// held (floating, planar: their subtree is left out).
fn held_value(j: &urdf_rs::Joint, held: &[(String, f64)], origin: &str) -> Result<Option<f64>> {
    use urdf_rs::JointType as T;
    let (lo, hi) = match j.joint_type {
        T::Revolute | T::Prismatic => (j.limit.lower, j.limit.upper),
        T::Continuous => (f64::NEG_INFINITY, f64::INFINITY),
        _ => return Ok(None),
    };
    match held.iter().find(|(n, _)| *n == j.name) {
        Some(&(_, v)) if v.is_finite() && (lo..=hi).contains(&v) => Ok(Some(v)),
        Some(&(_, v)) => Err(invalid(
            origin,
            format!("held_joints.{}", j.name),
            format!("value {v} outside the joint's limits [{lo}, {hi}]"),
        )),
        None if lo.is_finite() && hi.is_finite() && lo <= hi => Ok(Some(0.0f64.clamp(lo, hi))),
        None if lo.is_nan() || hi.is_nan() => Err(invalid(
            origin,
            format!("joint \"{}\" limit", j.name),
            format!("limits must be finite, got [{lo}, {hi}]"),
        )),
        None => Ok(Some(0.0)),
    }
}

/// The motion of joint `j` at `value` (rotation about or translation along its axis).
fn joint_motion(j: &urdf_rs::Joint, value: f64, origin: &str) -> Result<Pose> {
    let axis = normalize_f64(*j.axis.xyz).ok_or_else(|| {
        invalid(
            origin,
            format!("joint \"{}\" axis", j.name),
            "axis must be a non-zero finite vector",
        )
    })?;
    Ok(match j.joint_type {
        urdf_rs::JointType::Prismatic => Pose::from_translation([
            axis[0] * value as f32,
            axis[1] * value as f32,
            axis[2] * value as f32,
        ]),
        _ => Pose::from_axis_angle(axis, value as f32),
    })
}

/// The pose of a URDF `<origin>`, checked: six finite numbers, within 1 km.
fn checked_pose(origin: &str, field: String, o: &urdf_rs::Pose) -> Result<Pose> {
    let (xyz, rpy) = (*o.xyz, *o.rpy);
    if !xyz.iter().chain(&rpy).all(|v| v.is_finite()) || xyz.iter().any(|v| v.abs() > 1e3) {
        return Err(invalid(
            origin,
            format!("{field} origin"),
            format!("xyz and rpy must be finite (xyz within 1 km), got xyz {xyz:?} rpy {rpy:?}"),
        ));
    }
    Ok(Pose::from_xyz_rpy(xyz, rpy))
}

fn invalid(origin: &str, field: impl Into<String>, reason: impl Into<String>) -> Error {
    Error::InvalidRobot {
        origin: origin.to_string(),
        field: field.into(),
        reason: reason.into(),
    }
}

pub(crate) fn parse(
    text: &str,
    origin: &str,
    base: &str,
    tip: &str,
    meshes: &Meshes<'_>,
    held: &[(String, f64)],
) -> Result<KinematicChain> {
    let robot = urdf_rs::read_from_string(text).map_err(|source| Error::Urdf {
        origin: origin.to_string(),
        source,
    })?;
    let mut link_by_name = HashMap::new();
    for (i, l) in robot.links.iter().enumerate() {
        if link_by_name.insert(l.name.as_str(), i).is_some() {
            return Err(invalid(
                origin,
                format!("link \"{}\"", l.name),
                "duplicate link name",
            ));
        }
    }
    // Parent joint of every link.
    let mut parent_joint: HashMap<&str, usize> = HashMap::new();
    for (i, j) in robot.joints.iter().enumerate() {
        for (role, name) in [("parent", &j.parent.link), ("child", &j.child.link)] {
            if !link_by_name.contains_key(name.as_str()) {
                return Err(invalid(
                    origin,
                    format!("joint \"{}\" {role}", j.name),
                    format!("unknown link \"{name}\""),
                ));
            }
        }
        if parent_joint.insert(j.child.link.as_str(), i).is_some() {
            return Err(invalid(
                origin,
                format!("link \"{}\"", j.child.link),
                "has more than one parent joint",
            ));
        }
    }
    for (what, name) in [("base", base), ("tip", tip)] {
        if !link_by_name.contains_key(name) {
            return Err(invalid(origin, what, format!("no link named \"{name}\"")));
        }
    }
    // Path tip → base.
    let mut path = vec![tip];
    let mut cur = tip;
    while cur != base {
        let Some(&ji) = parent_joint.get(cur) else {
            return Err(invalid(
                origin,
                "tip",
                format!("link \"{tip}\" does not descend from base \"{base}\""),
            ));
        };
        cur = robot.joints[ji].parent.link.as_str();
        path.push(cur);
        if path.len() > robot.links.len() + 1 {
            return Err(invalid(origin, "joints", "the joint graph has a cycle"));
        }
    }
    path.reverse();

    // Children lists for attaching fixed subtrees.
    let mut children: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, j) in robot.joints.iter().enumerate() {
        children.entry(j.parent.link.as_str()).or_default().push(i);
    }

    let mut links: Vec<ChainLink> = Vec::new();
    let mut joints: Vec<JointSpec> = Vec::new();
    let mut ignored_meshes = Vec::new();
    let mut held_joints = Vec::new();
    // Links below a held joint: (the link it hangs from, which held joint), to leave the
    // contacts between two fingers of one hand unchecked, as every gripper's SRDF does.
    let mut gripper_part: HashMap<&str, (String, usize)> = HashMap::new();
    let mut index_of: HashMap<&str, usize> = HashMap::new();

    let make_link = |name: &str, ignored: &mut Vec<String>| -> Result<Vec<LinkShape>> {
        let l = &robot.links[link_by_name[name]];
        let mut shapes = Vec::new();
        for (ci, c) in l.collision.iter().enumerate() {
            let field = || format!("link \"{name}\" collision[{ci}]");
            let pose = checked_pose(origin, field(), &c.origin)?;
            let seg = |half: f64| {
                (
                    pose.transform_point([0.0, 0.0, -half as f32]),
                    pose.transform_point([0.0, 0.0, half as f32]),
                )
            };
            let shape = match &c.geometry {
                urdf_rs::Geometry::Sphere { radius } => {
                    check_positive(origin, field(), "radius", *radius)?;
                    LinkShape::Capsule(Capsule::sphere(pose.trans, *radius as f32))
                }
                urdf_rs::Geometry::Capsule { radius, length }
                | urdf_rs::Geometry::Cylinder { radius, length } => {
                    check_positive(origin, field(), "radius", *radius)?;
                    check_nonneg(origin, field(), "length", *length)?;
                    let (a, b) = seg(length / 2.0);
                    LinkShape::Capsule(Capsule {
                        a,
                        b,
                        radius: *radius as f32,
                    })
                }
                urdf_rs::Geometry::Box { size } => {
                    for &s in size.iter() {
                        check_positive(origin, field(), "size", s)?;
                    }
                    let h = size.map(|s| (s / 2.0) as f32);
                    let corners: Vec<Vec3> = (0..8)
                        .map(|k| {
                            let sign = |bit: usize| if k >> bit & 1 == 1 { 1.0 } else { -1.0 };
                            pose.transform_point([sign(0) * h[0], sign(1) * h[1], sign(2) * h[2]])
                        })
                        .collect();
                    let hull = ConvexHull::new(&corners, 0.0)
                        .map_err(|reason| invalid(origin, field(), reason))?;
                    LinkShape::Hull(Arc::new(hull))
                }
                urdf_rs::Geometry::Mesh { filename, scale } => {
                    let Some(bytes) = meshes.read(filename, origin, &field)? else {
                        let why = if mesh_file::is_supported(filename) {
                            "no mesh folder"
                        } else {
                            "format not read: convert to STL or OBJ"
                        };
                        ignored.push(format!("{name}: {filename} ({why})"));
                        continue;
                    };
                    let field = || format!("link \"{name}\" collision[{ci}] mesh \"{filename}\"");
                    let scale = scale.map_or([1.0f32; 3], |s| s.map(|x| x as f32));
                    if scale.iter().any(|x| !(x.is_finite() && *x != 0.0)) {
                        return Err(invalid(
                            origin,
                            field(),
                            format!("scale must be finite and non-zero, got {scale:?}"),
                        ));
                    }
                    // One hull per part (a convex decomposition stays one), as Bullet does.
                    let parts = mesh_file::read_parts(filename, &bytes)
                        .map_err(|reason| invalid(origin, field(), reason))?;
                    for (k, part) in parts.iter().enumerate() {
                        let points: Vec<Vec3> = part
                            .iter()
                            .map(|v| {
                                pose.transform_point([
                                    v[0] * scale[0],
                                    v[1] * scale[1],
                                    v[2] * scale[2],
                                ])
                            })
                            .collect();
                        let hull = ConvexHull::new(&points, MESH_MARGIN).map_err(|reason| {
                            invalid(origin, format!("{} part {k}", field()), reason)
                        })?;
                        shapes.push(LinkShape::Hull(Arc::new(hull)));
                    }
                    continue;
                }
            };
            shapes.push(shape);
        }
        Ok(shapes)
    };

    // Base.
    links.push(ChainLink {
        name: base.to_string(),
        parent: None,
        joint_name: String::new(),
        origin: Pose::IDENTITY,
        kind: JointKind::Fixed,
        collision: make_link(base, &mut ignored_meshes)?,
    });
    index_of.insert(base, 0);

    // Walk the path, attaching fixed subtrees breadth-first after each path link.
    let mut queue: Vec<&str> = vec![base];
    let mut path_iter = path.iter().skip(1).peekable();
    let mut qi = 0;
    loop {
        // Attach fixed children (not on the path) of everything queued so far.
        while qi < queue.len() {
            let pname = queue[qi];
            qi += 1;
            for &ji in children.get(pname).map(Vec::as_slice).unwrap_or(&[]) {
                let j = &robot.joints[ji];
                let child = j.child.link.as_str();
                if path.contains(&child) {
                    continue;
                }
                let mut joint_origin =
                    checked_pose(origin, format!("joint \"{}\"", j.name), &j.origin)?;
                if j.joint_type != urdf_rs::JointType::Fixed {
                    // A movable joint off the chain (a gripper's finger) is held at one value.
                    let Some(value) = held_value(j, held, origin)? else {
                        continue;
                    };
                    held_joints.push((j.name.clone(), value as f32));
                    joint_origin = joint_origin.mul(&joint_motion(j, value, origin)?);
                    gripper_part.insert(child, (pname.to_string(), held_joints.len()));
                } else if let Some(part) = gripper_part.get(pname).cloned() {
                    gripper_part.insert(child, part);
                }
                let collision = make_link(child, &mut ignored_meshes)?;
                links.push(ChainLink {
                    name: child.to_string(),
                    parent: Some(index_of[pname]),
                    joint_name: j.name.clone(),
                    origin: joint_origin,
                    kind: JointKind::Fixed,
                    collision,
                });
                index_of.insert(child, links.len() - 1);
                queue.push(child);
            }
        }
        let Some(&child) = path_iter.next() else {
            break;
        };
        let j = &robot.joints[parent_joint[child]];
        let field = |f: &str| format!("joint \"{}\" {f}", j.name);
        if let Some(m) = &j.mimic {
            return Err(invalid(
                origin,
                field("mimic"),
                format!(
                    "mimics joint \"{}\": mimic joints on the chain are not supported (give a tip \
                     before it, or make it fixed)",
                    m.joint
                ),
            ));
        }
        let axis = || {
            normalize_f64(*j.axis.xyz).ok_or_else(|| {
                invalid(
                    origin,
                    field("axis"),
                    "axis must be a non-zero finite vector",
                )
            })
        };
        let limits = |default: Option<(f64, f64)>| -> Result<(f32, f32)> {
            let (lo, hi) = match default {
                Some(d) => d,
                None => (j.limit.lower, j.limit.upper),
            };
            if !lo.is_finite() || !hi.is_finite() {
                return Err(invalid(
                    origin,
                    field("limit"),
                    format!("limits must be finite, got [{lo}, {hi}]"),
                ));
            }
            if lo > hi {
                return Err(invalid(
                    origin,
                    field("limit"),
                    format!("lower {lo} > upper {hi}"),
                ));
            }
            Ok((lo as f32, hi as f32))
        };
        let dof = joints.len();
        let kind = match j.joint_type {
            urdf_rs::JointType::Fixed => JointKind::Fixed,
            urdf_rs::JointType::Revolute => JointKind::Revolute { axis: axis()?, dof },
            urdf_rs::JointType::Continuous => JointKind::Revolute { axis: axis()?, dof },
            urdf_rs::JointType::Prismatic => JointKind::Prismatic { axis: axis()?, dof },
            ref other => {
                return Err(invalid(
                    origin,
                    field("type"),
                    format!("{other:?} joints are not supported on the chain"),
                ));
            }
        };
        match j.joint_type {
            urdf_rs::JointType::Revolute | urdf_rs::JointType::Prismatic => {
                let (lower, upper) = limits(None)?;
                joints.push(JointSpec {
                    name: j.name.clone(),
                    lower,
                    upper,
                });
            }
            urdf_rs::JointType::Continuous => {
                let (lower, upper) = limits(Some((-std::f64::consts::PI, std::f64::consts::PI)))?;
                joints.push(JointSpec {
                    name: j.name.clone(),
                    lower,
                    upper,
                });
            }
            _ => {}
        }
        let collision = make_link(child, &mut ignored_meshes)?;
        let parent = index_of[j.parent.link.as_str()];
        links.push(ChainLink {
            name: child.to_string(),
            parent: Some(parent),
            joint_name: j.name.clone(),
            origin: checked_pose(origin, format!("joint \"{}\"", j.name), &j.origin)?,
            kind,
            collision,
        });
        index_of.insert(child, links.len() - 1);
        queue.push(child);
    }
    let tip_index = index_of[tip];
    let mut parts: Vec<(&str, &(String, usize))> =
        gripper_part.iter().map(|(k, v)| (*k, v)).collect();
    parts.sort();
    let mut disabled_pairs = Vec::new();
    for (i, (a, (hand_a, joint_a))) in parts.iter().enumerate() {
        for (b, (hand_b, joint_b)) in &parts[i + 1..] {
            if hand_a == hand_b && joint_a != joint_b {
                disabled_pairs.push((a.to_string(), b.to_string()));
            }
        }
    }
    Ok(KinematicChain {
        name: robot.name.clone(),
        links,
        joints,
        tip: tip_index,
        ignored_meshes,
        held_joints,
        disabled_pairs,
    })
}

fn check_positive(origin: &str, field: String, what: &str, v: f64) -> Result<()> {
    if v > 0.0 && v.is_finite() {
        Ok(())
    } else {
        Err(invalid(
            origin,
            format!("{field} {what}"),
            format!("must be positive and finite, got {v}"),
        ))
    }
}

fn check_nonneg(origin: &str, field: String, what: &str, v: f64) -> Result<()> {
    if v >= 0.0 && v.is_finite() {
        Ok(())
    } else {
        Err(invalid(
            origin,
            format!("{field} {what}"),
            format!("must be non-negative and finite, got {v}"),
        ))
    }
}
