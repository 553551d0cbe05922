//! # chokepoint (the command)
//!
//! The command-line front of chokepoint: it reads scenario files, runs them through the
//! engine, prints a table of KPIs and writes the result files of `DESIGN.md` §4. It is the
//! only part of chokepoint that touches files, the terminal, the environment or exit
//! codes; everything it does is glue around `chokepoint-scenario` and `chokepoint-engine`.
//!
//! Exit codes: 0 success, 1 the input was rejected (invalid scenario, unreadable file,
//! unwritable output), 2 the command line itself was wrong.

mod output;
mod run;
mod table;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Simulate supply-chain disruptions: who runs short, when, for how long, and what would
/// have helped, when a country cuts off a material or a part.
#[derive(Debug, Parser)]
#[command(name = "chokepoint", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run one replicate of a scenario: print the KPIs of the watched entities and write
    /// series.csv, summary.json and events.csv.
    #[command(
        after_help = "Example:\n  chokepoint run scenarios/rare-earth-controls-april-2025.toml -o out/ree --seed 7"
    )]
    Run(RunArgs),
}

/// Arguments of `chokepoint run`.
#[derive(Debug, clap::Args)]
struct RunArgs {
    /// The scenario file (TOML; see docs/scenario-format.md).
    file: PathBuf,
    /// Directory for series.csv, summary.json and events.csv [default: out/<file stem>/].
    /// Created if missing; files in it are replaced whole or not at all.
    #[arg(short, long, value_name = "DIR")]
    output: Option<PathBuf>,
    /// Base seed of the random streams [default: the scenario's `seed`]. The same seed
    /// gives the same bytes.
    #[arg(long, value_name = "N")]
    seed: Option<u64>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Run(args) => run::run(&args.file, args.output.as_deref(), args.seed),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{}", error.render());
            ExitCode::from(1)
        }
    }
}

/// Why a command failed, ready to print.
#[derive(Debug)]
pub enum Failure {
    /// The scenario file was rejected: its rendered diagnostics.
    Scenario(String),
    /// Anything else: what went wrong, and what to do.
    Other {
        /// What went wrong.
        message: String,
        /// What to do about it.
        hint: Option<String>,
    },
}

impl Failure {
    /// A failure with a hint.
    pub fn new(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Failure::Other { message: message.into(), hint: Some(hint.into()) }
    }

    fn render(&self) -> String {
        match self {
            Failure::Scenario(text) => text.trim_end().to_owned(),
            Failure::Other { message, hint: Some(hint) } => format!("error: {message}\n  = hint: {hint}"),
            Failure::Other { message, hint: None } => format!("error: {message}"),
        }
    }
}
