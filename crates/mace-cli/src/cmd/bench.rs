//! `mace bench …`: one command per table of the paper (and IK in any robot's scene), printing ours beside the paper's and
//! writing JSON (and, with `--out DIR`, a folder of tables and pictures).

use clap::Subcommand;

/// The benches.
#[derive(Debug, Subcommand)]
pub(crate) enum BenchCommand {
    /// Table 1 (wall scene): prior vs MACE vs IS posteriors on 10 targets behind the wall.
    IkTable1(super::bench_ik::Table1Args),
    /// Table 2 (box scene): solve time and accuracy of prior, numeric, hybrid (and MACE) IK.
    IkTable2(super::bench_ik::Table2Args),
    /// IK for any robot in a cluttered scene: targets whose known answers pass near the
    /// obstacles, solved by prior, numeric or hybrid; time, accuracy, collision of each answer.
    IkScene(super::bench_scene::SceneBenchArgs),
    /// Pose targets (position and orientation): random reachable poses in free space and in
    /// the box, solved by prior, numeric, hybrid and MACE; TRAC-IK's published figures beside.
    IkPose(super::bench_pose::PoseBenchArgs),
    /// Fig. 1 (grasp): prior vs MACE-VAE vs IS vs CVAE on held-out shapes, in and out of
    /// distribution: score, diversity and tuning time.
    GraspFig1(super::bench_shapes::Fig1Args),
    /// Completion from a partial depth view: prior vs MACE-VAE (and exact) vs IS on held-out
    /// shapes × views: Chamfer to the ground truth, score, diversity, tuning time.
    Completion(super::bench_shapes::CompletionBenchArgs),
    /// A real shape read with its up axis only, in any heading: the heading found and the
    /// completion beside the same shape turned into our axes by hand.
    Heading(super::bench_heading::HeadingBenchArgs),
}

/// Runs a bench.
pub(crate) fn run(command: BenchCommand, force: bool) -> anyhow::Result<()> {
    match command {
        BenchCommand::IkTable1(args) => super::bench_ik::table1(args, force),
        BenchCommand::IkTable2(args) => super::bench_ik::table2(args, force),
        BenchCommand::IkScene(args) => super::bench_scene::scene(args, force),
        BenchCommand::IkPose(args) => super::bench_pose::pose(args, force),
        BenchCommand::GraspFig1(args) => super::bench_shapes::fig1(args, force),
        BenchCommand::Completion(args) => super::bench_shapes::completion(args, force),
        BenchCommand::Heading(args) => super::bench_heading::heading(args, force),
    }
}
