//! `mace bench ik-table2` (not yet implemented).

use clap::Args;

/// Arguments of `mace bench ik-table2`.
#[derive(Debug, Args)]
pub(crate) struct Table2Args {}

/// Runs the bench.
pub(crate) fn run(_args: Table2Args) -> anyhow::Result<()> {
    anyhow::bail!("`mace bench ik-table2` is not implemented yet")
}
