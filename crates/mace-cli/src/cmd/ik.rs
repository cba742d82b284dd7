//! `mace ik …`: robot kinematics and collision (filled by the robot simulator issue).

use clap::Subcommand;

/// Subcommands of `mace ik`.
#[derive(Debug, Subcommand)]
pub(crate) enum IkCommand {}

/// Runs an `ik` subcommand.
pub(crate) fn run(command: IkCommand) -> anyhow::Result<()> {
    match command {}
}
