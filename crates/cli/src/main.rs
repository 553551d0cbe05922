//! # chokepoint (the command)
//!
//! The command-line front of chokepoint: it reads scenario files, runs them through the
//! engine, prints a table of KPIs and writes the result files of `DESIGN.md` §4. It is the
//! only part of chokepoint that touches files, the terminal, the environment or exit
//! codes; everything it does is glue around `chokepoint-scenario` and `chokepoint-engine`.
//!
//! Exit codes: 0 success, 1 the input was rejected (invalid scenario, unreadable file,
//! unwritable output), 2 the command line itself was wrong.

mod check;
mod output;
mod run;
mod table;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
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
        after_help = "series.csv holds stock, flows and shortage per entity and day, plus licensed, leaked, \
diverted and re-sourced shipments, capacity, controlled content and prices when the scenario uses \
them. events.csv is the timeline: controls started, suspended and ended, licences granted and \
refused, refusals, leaks, diversions, re-sourcing, stockpile releases, substitutions, plants \
online and shocks. docs/model.md states every rule.\n\nExamples:\n  \
chokepoint run scenarios/rare-earth-controls-april-2025.toml -o out/ree --seed 7\n  \
chokepoint run scenarios/rare-earth-controls-october-2025.toml"
    )]
    Run(RunArgs),
    /// Check scenario files without running them: every problem, with its file:line:col,
    /// the snippet and a hint, on stderr. Exits 0 when every file is valid, 1 otherwise.
    #[command(
        after_help = "Examples:\n  chokepoint check scenarios/*.toml\n  chokepoint check my.toml --format json | jq '.files[].diagnostics'"
    )]
    Check(CheckArgs),
    /// Print the JSON Schema of scenario files (draft-07), for editors such as taplo /
    /// Even Better TOML. docs/scenario.schema.json is this output.
    #[command(after_help = "Example:\n  chokepoint schema > docs/scenario.schema.json")]
    Schema,
}

/// Arguments of `chokepoint check`.
#[derive(Debug, clap::Args)]
struct CheckArgs {
    /// Scenario files to check (each with the world files it extends).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// `text`: diagnostics for people on stderr. `json`: one JSON document on stdout with
    /// every file's diagnostics (severity, message, file, line, column, end_line,
    /// end_column, hint).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

/// Output format of `chokepoint check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// For people.
    Text,
    /// For machines.
    Json,
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
        Command::Run(args) => run::run(&args.file, args.output.as_deref(), args.seed).map(|()| true),
        Command::Check(args) => check::check(&args.files, args.format),
        Command::Schema => {
            let schema = chokepoint_scenario::json_schema();
            println!("{}", serde_json::to_string_pretty(&schema).unwrap_or_default());
            Ok(true)
        }
    };
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
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

/// Whether to colour diagnostics: only on a terminal, and never when `NO_COLOR` is set.
pub fn colour() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Reads a scenario or world file for the loader: its text, or why it cannot be read.
pub fn read_file(path: &Path) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|error| error.to_string())?;
    String::from_utf8(bytes).map_err(|_| "it is not a text file (not valid UTF-8)".to_owned())
}
