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
    /// Fig. 1 (grasp): prior vs MACE-VAE vs IS vs CVAE on held-out shapes, in and out of
    /// distribution: score, diversity and tuning time.
    GraspFig1(super::fig1::Fig1Args),
    /// Completion from a partial depth view: prior vs MACE-VAE (and exact) vs IS on held-out
    /// shapes × views: Chamfer to the ground truth, score, diversity, tuning time.
    Completion(super::complete::CompletionBenchArgs),
}

/// Runs a bench.
pub(crate) fn run(command: BenchCommand) -> anyhow::Result<()> {
    match command {
        BenchCommand::IkTable1(args) => super::table1::run(args),
        BenchCommand::IkTable2(args) => super::table2::run(args),
        BenchCommand::GraspFig1(args) => super::fig1::run(args),
        BenchCommand::Completion(args) => super::complete::bench(args),
    }
}
