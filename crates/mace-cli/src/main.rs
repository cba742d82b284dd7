//! The `mace` command: tune generative priors to observations with the cross-entropy method.
//!
//! A thin binary: arguments are parsed here and handed to one module per subcommand in
//! `cmd/`; the algorithms live in the library crates.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cmd;
mod output;
mod progress;

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
    /// Reproduce a table of the paper: ours beside the paper's, JSON for machines.
    #[command(subcommand)]
    Bench(cmd::bench::BenchCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo(args) => cmd::demo::run(args),
        Command::Ik(command) => cmd::ik::run(command),
        Command::Bench(command) => cmd::bench::run(command),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
