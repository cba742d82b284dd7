//! Robots as users name them: a shipped robot (`panda`, `iiwa14`, `xarm6`), a URDF file (base =
//! its root link, tip = the end of its longest chain), or a robot file (TOML) that says more:
//!
//! ```toml
//! urdf = "ur5e.urdf"               # relative to this file
//! base = "base_link"               # optional: default the URDF's root
//! tip = "tool0"                    # optional: default the end of the longest chain
//! tcp = [0.0, 0.0, 0.15]           # optional: the tool centre point in the tip's frame, metres
//! srdf = "ur5e.srdf"               # optional: MoveIt's <disable_collisions> pairs are honoured
//! ignore_pairs = [["base_link", "upper_arm_link"]]   # optional: more pairs never checked
//! package_paths = ["../ros_ws/src"]                 # optional: where package:// meshes live
//! held_joints = { finger_joint1 = 0.04 }           # optional: off-chain joints' values
//! ```
//!
//! Movable joints that hang off the chain (a gripper's fingers) are held at one value — the
//! robot file's `held_joints`, else 0 clamped into their limits — so their links still collide.
//!
//! A loaded [`Robot`] is its [`KinematicChain`] (collision geometry, disabled pairs and tool
//! offset included) with its name and a [`RobotStamp`] that priors and datasets record, so that
//! one robot's prior is never used with another.

mod builtin;
mod file;
mod info;
mod srdf;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::chain::KinematicChain;
use crate::error::{Error, Result};
use crate::urdf::{default_ends, parse, read_urdf, Meshes};

pub use builtin::{BuiltinRobot, BUILTIN_ROBOTS};
pub use file::check_robot_toml;
pub use info::{JointInfo, LinkInfo, RobotInfo};
pub use srdf::parse_disabled_pairs;

/// Fewest and most actuated joints a robot may have: IK needs at least two, and the priors and
/// solvers are built for arms, not for snakes.
pub const DOF_RANGE: std::ops::RangeInclusive<usize> = 2..=12;

/// A robot: its chain and what it is called.
#[derive(Debug, Clone, PartialEq)]
pub struct Robot {
    /// Its name: a shipped robot's, the robot file's stem, or the URDF's `<robot name>`.
    pub name: String,
    /// Where it came from (`built-in panda`, or a path).
    pub source: String,
    /// Its kinematic chain, with collision geometry, disabled pairs and tool offset.
    pub chain: KinematicChain,
}

/// What a prior or a dataset records of the robot it was made for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RobotStamp {
    /// The robot's name.
    pub name: String,
    /// Its actuated joints, in configuration order.
    pub joints: Vec<String>,
    /// [`KinematicChain::kinematics_hash`].
    pub kinematics: String,
}

impl Robot {
    /// The robot `spec` names: a shipped robot's name, a `.urdf` file or a robot `.toml` file;
    /// `packages` are more folders to find `package://` meshes in.
    ///
    /// # Errors
    /// [`Error::UnknownRobot`] for a name that is neither shipped nor an existing file; the
    /// errors of the URDF reader and of the robot file naming file, field and value; a robot
    /// with fewer than 2 or more than 12 actuated joints.
    pub fn load(spec: &str, packages: &[PathBuf]) -> Result<Robot> {
        if let Some(b) = BUILTIN_ROBOTS.iter().find(|b| b.name == spec) {
            return Robot::builtin_robot(b);
        }
        let path = Path::new(spec);
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        match ext.as_deref() {
            Some("toml") => file::from_toml(path, packages),
            Some("urdf" | "xml") => Robot::from_urdf(path, None, None, packages),
            Some("xacro") => Err(Error::InvalidRobot {
                origin: spec.to_string(),
                field: "file".into(),
                reason: "a xacro file is a URDF template: expand it first (`pip install xacro`, \
                         then `xacro FILE.urdf.xacro > robot.urdf`)"
                    .into(),
            }),
            _ => Err(Error::UnknownRobot {
                name: spec.to_string(),
                known: BUILTIN_ROBOTS
                    .iter()
                    .map(|b| b.name)
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
        }
    }

    /// A shipped robot by name.
    ///
    /// # Errors
    /// [`Error::UnknownRobot`] for another name.
    pub fn builtin(name: &str) -> Result<Robot> {
        match BUILTIN_ROBOTS.iter().find(|b| b.name == name) {
            Some(b) => Robot::builtin_robot(b),
            None => Robot::load(name, &[]),
        }
    }

    fn builtin_robot(b: &BuiltinRobot) -> Result<Robot> {
        let origin = format!("<built-in {}.urdf>", b.name);
        let chain = parse(
            b.urdf,
            &origin,
            b.base,
            b.tip,
            &Meshes::Embedded(b.meshes),
            &[],
        )?
        .with_tcp_offset(b.tcp);
        Ok(Robot {
            name: b.name.to_string(),
            source: format!("built-in {}", b.name),
            chain,
        })
    }

    /// The chain of the URDF file `path` from `base` to `tip` (defaults: see the module docs).
    ///
    /// # Errors
    /// As [`Robot::load`].
    pub fn from_urdf(
        path: &Path,
        base: Option<&str>,
        tip: Option<&str>,
        packages: &[PathBuf],
    ) -> Result<Robot> {
        Robot::from_urdf_holding(path, base, tip, packages, &[])
    }

    /// [`Robot::from_urdf`] with the movable joints off the chain (a gripper's fingers) held at
    /// the values `held` gives (the others at 0, clamped into their limits).
    pub(super) fn from_urdf_holding(
        path: &Path,
        base: Option<&str>,
        tip: Option<&str>,
        packages: &[PathBuf],
        held: &[(String, f64)],
    ) -> Result<Robot> {
        let text = read_urdf(path)?;
        let origin = path.display().to_string();
        let (root, end) = match (base, tip) {
            (Some(b), Some(t)) => (b.to_string(), t.to_string()),
            _ => default_ends(&text, &origin)?,
        };
        let base = base.map_or(root, str::to_string);
        let tip = tip.map_or(end, str::to_string);
        let dir = path.parent().unwrap_or(Path::new("."));
        let chain = parse(
            &text,
            &origin,
            &base,
            &tip,
            &Meshes::Folder { dir, packages },
            held,
        )?;
        let robot = Robot {
            name: urdf_name(&text).unwrap_or_else(|| stem(path)),
            source: origin,
            chain,
        };
        robot.check_dof()?;
        Ok(robot)
    }

    /// An error unless the robot has 2 to 12 actuated joints.
    fn check_dof(&self) -> Result<()> {
        let dof = self.chain.dof();
        if DOF_RANGE.contains(&dof) {
            return Ok(());
        }
        Err(Error::InvalidRobot {
            origin: self.source.clone(),
            field: format!(
                "chain {} → {}",
                self.chain.links()[0].name,
                self.chain.links()[self.chain.tip()].name
            ),
            reason: format!(
                "{dof} actuated joint(s); MACE's IK takes robots with {} to {}",
                DOF_RANGE.start(),
                DOF_RANGE.end()
            ),
        })
    }

    /// What priors and datasets record of this robot.
    pub fn stamp(&self) -> RobotStamp {
        RobotStamp {
            name: self.name.clone(),
            joints: self.chain.joints().iter().map(|j| j.name.clone()).collect(),
            kinematics: self.chain.kinematics_hash(),
        }
    }

    /// An error unless `stamp` (of a prior or dataset from `what`) is this robot's.
    ///
    /// # Errors
    /// [`Error::WrongRobot`] naming both robots.
    pub fn check_stamp(&self, stamp: &RobotStamp, what: &str) -> Result<()> {
        let mine = self.stamp();
        if mine.kinematics == stamp.kinematics && mine.joints == stamp.joints {
            return Ok(());
        }
        Err(Error::WrongRobot {
            what: what.to_string(),
            made_for: format!(
                "{} ({} joints, kinematics {})",
                stamp.name,
                stamp.joints.len(),
                stamp.kinematics
            ),
            robot: format!(
                "{} ({} joints, kinematics {})",
                mine.name,
                mine.joints.len(),
                mine.kinematics
            ),
        })
    }
}

/// The `<robot name="…">` of URDF text, if it has one.
fn urdf_name(text: &str) -> Option<String> {
    let at = text.find("<robot")?;
    let rest = &text[at..];
    let end = rest.find('>')?;
    let head = &rest[..end];
    let n = head.find("name=")? + 5;
    let quote = head[n..].chars().next()?;
    let value = head[n + 1..].split(quote).next()?;
    (!value.is_empty()).then(|| value.to_string())
}

fn stem(path: &Path) -> String {
    path.file_stem()
        .map_or_else(|| "robot".into(), |s| s.to_string_lossy().into_owned())
}

impl KinematicChain {
    /// The built-in Franka Emika Panda (`assets/robots/panda.urdf`, compiled in), base
    /// `panda_link0`, tip `panda_grasptarget`.
    pub fn panda() -> KinematicChain {
        Robot::builtin("panda")
            .expect("the built-in panda.urdf is valid (tested)")
            .chain
    }
}
