//! `mace ik robot`: what was loaded from a robot description — the chain's ends, joints and
//! limits, links and their collision shapes, the pairs never checked — to check a URDF before
//! training a prior for it.

use clap::Args;

use crate::args::{JsonArg, RobotArgs};
use crate::output::emit_json;
use crate::say;

/// Arguments of `mace ik robot`.
#[derive(Debug, Args)]
pub(crate) struct RobotInfoArgs {
    #[command(flatten)]
    robot: RobotArgs,
    #[command(flatten)]
    json: JsonArg,
}

pub(crate) fn robot(args: RobotInfoArgs, force: bool) -> anyhow::Result<()> {
    let info = args.robot.load()?.info();
    if let Some(dest) = &args.json.json {
        return emit_json(dest, &info, force);
    }
    say!("robot {} ({})", info.name, info.source);
    say!(
        "chain {} → {}: {} actuated joints, {} links, kinematics {}",
        info.base,
        info.tip,
        info.joints.len(),
        info.links.len(),
        info.stamp.kinematics
    );
    say!("| joint | kind | lower | upper | moves |");
    say!("|---|---|---|---|---|");
    for j in &info.joints {
        say!(
            "| {} | {} | {:.4} | {:.4} | {} |",
            j.name,
            j.kind,
            j.lower,
            j.upper,
            j.link
        );
    }
    say!("| link | parent | hulls | capsules |");
    say!("|---|---|---|---|");
    for l in &info.links {
        say!(
            "| {} | {} | {} | {} |",
            l.name,
            l.parent.as_deref().unwrap_or("-"),
            l.hulls,
            l.capsules
        );
    }
    say!(
        "{} link pair(s) never checked for self-collision",
        info.disabled_pairs.len()
    );
    for (name, value) in &info.held_joints {
        say!("off the chain, held at {value}: joint {name} (its links collide; set it with held_joints in a robot file)");
    }
    for m in &info.ignored_meshes {
        say!("collision mesh not read, the link does not collide there: {m}");
    }
    Ok(())
}
