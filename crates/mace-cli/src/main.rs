//! The `mace` command: tune generative priors to observations with the cross-entropy method.
//!
//! A thin binary: arguments are parsed here and handed to one module per subcommand in
//! `cmd/`; the algorithms live in the library crates.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cmd;
mod output;
mod progress;
mod render;

/// Tune generative models at test time so that they sample what fits an observation.
#[derive(Debug, Parser)]
#[command(name = "mace", version, about, long_about = None)]
struct Cli {
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
    let result = match cli.command {
        Command::Demo(args) => cmd::demo::run(args),
        Command::Ik(command) => cmd::ik::run(command),
        Command::Grasp(command) => cmd::grasp::run(command),
        Command::Complete(command) => cmd::complete::run(command),
        Command::Bench(command) => cmd::bench::run(command),
        Command::Render(command) => cmd::render::run(command),
        Command::Report(args) => cmd::report::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
