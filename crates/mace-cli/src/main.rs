//! The `mace` command: tune generative priors to observations with the cross-entropy method.
//!
//! A thin binary: arguments are parsed here and in `args.rs`, and handed to one module per
//! command in `cmd/`, which calls the library crates (`mace-lab` holds the experiments) and
//! prints or writes what they return.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod args;
mod cmd;
mod limits;
mod output;
mod pictures;
mod progress;
mod shape_args;
mod term;

/// Tune generative models at test time so that they sample what fits an observation.
#[derive(Debug, Parser)]
#[command(name = "mace", version, about, long_about = None)]
struct Cli {
    /// Replace existing output files and folders (without it, a command refuses to overwrite
    /// anything and says so before it starts).
    #[arg(long, global = true)]
    force: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a demonstration (the main job); see `mace demo --help`.
    Demo(cmd::demo::DemoArgs),
    /// Inverse kinematics for a robot arm: forward kinematics, collision checks, datasets.
    #[command(subcommand)]
    Ik(cmd::ik::IkCommand),
    /// Shape inference from grasp contacts: train the point-cloud prior, tune it to a grasp.
    #[command(subcommand)]
    Grasp(cmd::grasp::GraspCommand),
    /// Point-cloud completion from a partial depth view: tune the shape prior to what a camera saw.
    #[command(subcommand)]
    Complete(cmd::complete::CompleteCommand),
    /// Reproduce a table of the paper: ours beside the paper's, JSON for machines.
    #[command(subcommand)]
    Bench(cmd::bench::BenchCommand),
    /// Re-draw pictures from saved results: robot samples, tuning curves, point clouds.
    #[command(subcommand)]
    Render(cmd::render::RenderCommand),
    /// Write one self-contained HTML page with the tables and pictures of a results folder.
    Report(cmd::report::ReportArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let force = cli.force;
    let result = match cli.command {
        Command::Demo(args) => cmd::demo::run(args, force),
        Command::Ik(command) => cmd::ik::run(command, force),
        Command::Grasp(command) => cmd::grasp::run(command, force),
        Command::Complete(command) => cmd::complete::run(command, force),
        Command::Bench(command) => cmd::bench::run(command, force),
        Command::Render(command) => cmd::render::run(command, force),
        Command::Report(args) => cmd::report::run(args, force),
    };
    term::flush();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {}", term::one_line(&err));
            ExitCode::FAILURE
        }
    }
}
