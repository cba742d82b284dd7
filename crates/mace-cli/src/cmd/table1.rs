//! `mace bench ik-table1` (not yet implemented).

use clap::Args;

/// Arguments of `mace bench ik-table1`.
#[derive(Debug, Args)]
pub(crate) struct Table1Args {}

/// Runs the bench.
pub(crate) fn run(_args: Table1Args) -> anyhow::Result<()> {
    anyhow::bail!("`mace bench ik-table1` is not implemented yet")
}
