//! Robot files (TOML; format in the parent module's docs).

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{srdf, Robot};
use crate::error::{Error, Result};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RobotToml {
    urdf: String,
    base: Option<String>,
    tip: Option<String>,
    tcp: Option<Vec<f64>>,
    srdf: Option<String>,
    #[serde(default)]
    ignore_pairs: Vec<Vec<String>>,
    #[serde(default)]
    package_paths: Vec<String>,
    name: Option<String>,
    #[serde(default)]
    held_joints: std::collections::BTreeMap<String, f64>,
}

/// The fields of a robot file's text (no file is opened); `origin` names it in errors.
///
/// # Errors
/// [`Error::InvalidRobot`] for TOML that is malformed or has unknown fields.
pub fn check_robot_toml(text: &str, origin: &str) -> Result<()> {
    parse_toml(text, origin).map(|_| ())
}

fn parse_toml(text: &str, origin: &str) -> Result<RobotToml> {
    toml::from_str(text).map_err(|e| Error::InvalidRobot {
        origin: origin.to_string(),
        field: "toml".into(),
        reason: crate::error::toml_error_line(&e, text),
    })
}

/// Reads the robot file `path`.
pub(super) fn from_toml(path: &Path, packages: &[PathBuf]) -> Result<Robot> {
    let origin = path.display().to_string();
    let bad = |field: &str, reason: String| Error::InvalidRobot {
        origin: origin.clone(),
        field: field.to_string(),
        reason,
    };
    let text = mace_core::fs::read_text(path, 1 << 20)?;
    let raw = parse_toml(&text, &origin)?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut all_packages: Vec<PathBuf> = raw.package_paths.iter().map(|p| dir.join(p)).collect();
    all_packages.extend_from_slice(packages);
    let urdf = dir.join(&raw.urdf);
    let held: Vec<(String, f64)> = raw.held_joints.clone().into_iter().collect();
    let mut robot = Robot::from_urdf_holding(
        &urdf,
        raw.base.as_deref(),
        raw.tip.as_deref(),
        &all_packages,
        &held,
    )?;
    for name in raw.held_joints.keys() {
        if !robot.chain.held_joints().iter().any(|(n, _)| n == name) {
            return Err(bad(
                &format!("held_joints.{name}"),
                "no movable joint of that name hangs off the chain".into(),
            ));
        }
    }
    robot.name = raw.name.clone().unwrap_or_else(|| super::stem(path));
    robot.source = origin.clone();
    if let Some(t) = &raw.tcp {
        if t.len() != 3 || !t.iter().all(|x| x.is_finite() && x.abs() < 100.0) {
            return Err(bad(
                "tcp",
                format!("must be three finite numbers (metres, in the tip's frame), got {t:?}"),
            ));
        }
        robot.chain = robot
            .chain
            .with_tcp_offset([t[0] as f32, t[1] as f32, t[2] as f32]);
    }
    let mut pairs = Vec::new();
    if let Some(s) = &raw.srdf {
        let srdf_path = dir.join(s);
        let text = mace_core::fs::read_text(&srdf_path, 16 << 20)?;
        pairs.extend(srdf::parse_disabled_pairs(
            &text,
            &srdf_path.display().to_string(),
        )?);
    }
    for (i, p) in raw.ignore_pairs.iter().enumerate() {
        match &p[..] {
            [a, b] => {
                for name in [a, b] {
                    if robot.chain.link_index(name).is_none() {
                        return Err(bad(
                            &format!("ignore_pairs[{i}]"),
                            format!("no link \"{name}\" in the chain"),
                        ));
                    }
                }
                pairs.push((a.clone(), b.clone()));
            }
            _ => {
                return Err(bad(
                    &format!("ignore_pairs[{i}]"),
                    format!("must be two link names, got {p:?}"),
                ))
            }
        }
    }
    // Pairs of links the chain leaves out (an SRDF covers the whole robot) do not matter.
    let (chain, _skipped) = robot.chain.with_disabled_pairs(pairs);
    robot.chain = chain;
    robot.check_dof()?;
    Ok(robot)
}
