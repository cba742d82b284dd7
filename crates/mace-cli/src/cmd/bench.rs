//! `mace bench …`: one command per table of the paper, printing ours beside the paper's and
//! writing JSON.

use clap::Subcommand;

/// The benches.
#[derive(Debug, Subcommand)]
pub(crate) enum BenchCommand {
    /// Table 1 (wall scene): prior vs MACE vs IS posteriors on 10 targets behind the wall.
    IkTable1(super::table1::Table1Args),
    /// Table 2 (box scene): solve time and accuracy of prior, numeric, hybrid (and MACE) IK.
    IkTable2(super::table2::Table2Args),
}

/// Runs a bench.
pub(crate) fn run(command: BenchCommand) -> anyhow::Result<()> {
    match command {
        BenchCommand::IkTable1(args) => super::table1::run(args),
        BenchCommand::IkTable2(args) => super::table2::run(args),
    }
}
