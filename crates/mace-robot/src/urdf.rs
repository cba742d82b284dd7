//! Reading kinematic chains from URDF (via `urdf-rs`), with validation and clear errors.

use std::collections::HashMap;
use std::path::Path;

use crate::chain::{ChainLink, JointKind, JointSpec, KinematicChain};
use crate::error::{Error, Result};
use crate::geometry::Capsule;
use crate::math::{normalize_f64, Pose};

/// The built-in Panda description, `assets/robots/panda.urdf`.
pub const PANDA_URDF: &str = include_str!("../../../assets/robots/panda.urdf");

/// Name of the Panda's base link.
pub const PANDA_BASE: &str = "panda_link0";
/// Name of the Panda's tool centre point link.
pub const PANDA_TIP: &str = "panda_grasptarget";

pub(crate) fn panda() -> KinematicChain {
    KinematicChain::from_urdf_str(PANDA_URDF, PANDA_BASE, PANDA_TIP)
        .expect("the built-in panda.urdf is valid (tested)")
}

impl KinematicChain {
    /// Reads the chain from `base` to `tip` out of a URDF file.
    ///
    /// # Errors
    /// [`Error::Io`] if the file cannot be read, otherwise as [`KinematicChain::from_urdf_str`],
    /// with the file path as origin.
    pub fn from_urdf_file(path: impl AsRef<Path>, base: &str, tip: &str) -> Result<KinematicChain> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        parse(&text, &path.display().to_string(), base, tip)
    }

    /// Reads the chain from `base` to `tip` out of URDF text.
    ///
    /// The chain is the path of joints from `base` down to `tip` (revolute, continuous, prismatic or
    /// fixed; continuous joints get limits [−π, π]), plus every link attached to a link of that path
    /// through fixed joints only (so a gripper's fixed fingers take part in collision). Links hanging
    /// off the path through other movable joints are left out.
    ///
    /// Collision elements become capsules in the link frame: `sphere` and `capsule` exactly (a
    /// capsule's axis is its local z, `length` the length of the cylinder part); a `cylinder` becomes
    /// the capsule with the same axis and radius (it adds hemispherical caps); a `box` becomes its
    /// enclosing capsule along its longest edge. `mesh` elements are skipped and listed in
    /// [`KinematicChain::ignored_meshes`].
    ///
    /// # Errors
    /// [`Error::Urdf`] for malformed XML; [`Error::InvalidRobot`] naming the field for an unknown
    /// base or tip, a tip that does not descend from the base, duplicate names, a zero axis,
    /// inverted or non-finite limits, or an unsupported joint type on the path.
    pub fn from_urdf_str(text: &str, base: &str, tip: &str) -> Result<KinematicChain> {
        parse(text, "<string>", base, tip)
    }
}

fn invalid(origin: &str, field: impl Into<String>, reason: impl Into<String>) -> Error {
    Error::InvalidRobot {
        origin: origin.to_string(),
        field: field.into(),
        reason: reason.into(),
    }
}

fn parse(text: &str, origin: &str, base: &str, tip: &str) -> Result<KinematicChain> {
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
    let mut index_of: HashMap<&str, usize> = HashMap::new();

    let make_link = |name: &str, ignored: &mut Vec<String>| -> Result<Vec<Capsule>> {
        let l = &robot.links[link_by_name[name]];
        let mut shapes = Vec::new();
        for (ci, c) in l.collision.iter().enumerate() {
            let pose = Pose::from_xyz_rpy(*c.origin.xyz, *c.origin.rpy);
            let field = || format!("link \"{name}\" collision[{ci}]");
            let seg = |half: f64| {
                (
                    pose.transform_point([0.0, 0.0, -half as f32]),
                    pose.transform_point([0.0, 0.0, half as f32]),
                )
            };
            let cap = match &c.geometry {
                urdf_rs::Geometry::Sphere { radius } => {
                    check_positive(origin, field(), "radius", *radius)?;
                    Capsule::sphere(pose.trans, *radius as f32)
                }
                urdf_rs::Geometry::Capsule { radius, length }
                | urdf_rs::Geometry::Cylinder { radius, length } => {
                    check_positive(origin, field(), "radius", *radius)?;
                    check_nonneg(origin, field(), "length", *length)?;
                    let (a, b) = seg(length / 2.0);
                    Capsule {
                        a,
                        b,
                        radius: *radius as f32,
                    }
                }
                urdf_rs::Geometry::Box { size } => {
                    for &s in size.iter() {
                        check_nonneg(origin, field(), "size", s)?;
                    }
                    let mut axes = [0usize, 1, 2];
                    axes.sort_by(|&i, &j| size[j].total_cmp(&size[i]));
                    let long = axes[0];
                    let r = 0.5 * (size[axes[1]].powi(2) + size[axes[2]].powi(2)).sqrt();
                    let mut e = [0.0f32; 3];
                    e[long] = (size[long] / 2.0) as f32;
                    let a = pose.transform_point([-e[0], -e[1], -e[2]]);
                    let b = pose.transform_point(e);
                    Capsule {
                        a,
                        b,
                        radius: r as f32,
                    }
                }
                urdf_rs::Geometry::Mesh { .. } => {
                    ignored.push(name.to_string());
                    continue;
                }
            };
            shapes.push(cap);
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
                if path.contains(&child) || j.joint_type != urdf_rs::JointType::Fixed {
                    continue;
                }
                let collision = make_link(child, &mut ignored_meshes)?;
                links.push(ChainLink {
                    name: child.to_string(),
                    parent: Some(index_of[pname]),
                    joint_name: j.name.clone(),
                    origin: Pose::from_xyz_rpy(*j.origin.xyz, *j.origin.rpy),
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
            origin: Pose::from_xyz_rpy(*j.origin.xyz, *j.origin.rpy),
            kind,
            collision,
        });
        index_of.insert(child, links.len() - 1);
        queue.push(child);
    }
    let tip_index = index_of[tip];
    Ok(KinematicChain {
        name: robot.name.clone(),
        links,
        joints,
        tip: tip_index,
        ignored_meshes,
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
