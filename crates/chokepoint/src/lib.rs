//! # chokepoint
//!
//! chokepoint as a library: the workflows the `chokepoint` command runs, as functions over
//! in-memory types, for any front door (the command line, a notebook, a service). No
//! terminal, no progress bars, no exit codes, no signals: the caller brings those.
//!
//! A worked example: load the April 2025 rare-earth scenario with a key set as `--set`
//! would, run one replicate, read a buyer's KPIs and headroom, and build its result files.
//!
//! ```
//! use std::path::Path;
//!
//! let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/rare-earth-controls-april-2025.toml");
//! // As `chokepoint run FILE --set event.mofcom-18-2025.end=2025-06-06`.
//! let settings = [("event.mofcom-18-2025.end".to_owned(), "2025-06-06".to_owned())];
//! let loaded = chokepoint::load(&file, &settings)?;
//! let scenario = &loaded.scenario;
//! let run = chokepoint::run(scenario, None)?; // the scenario's own seed
//! assert_eq!(run.seed, scenario.seed);
//!
//! // US car plants run short after the control of 4 April 2025 (day 93).
//! let kpis = run.result.kpis("us_auto").expect("a watched buyer");
//! assert_eq!(run.result.first_disruption_day, Some(93));
//! assert!(kpis.time_to_survive_days.is_some());
//! let us_auto = run.result.entities.iter().position(|e| e.id == "us_auto").expect("us_auto");
//! let headroom = run.result.headroom[us_auto].expect("a buyer has headroom");
//! assert!(headroom.min_cover_days < 1.0, "it ran out");
//!
//! // The files `chokepoint run` writes, as bytes.
//! let files = chokepoint::run_files(scenario, &file, &run)?;
//! let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
//! assert_eq!(names, ["series.csv", "summary.json", "events.csv", "trade.csv"]);
//!
//! // A sweep in memory, as `chokepoint sweep FILE --runs 4 --set KEY=2025-06-06,2025-12-31`:
//! // the file's grid (two licence review times) times the two end dates is four points,
//! // four runs each, one kpis.csv row per point, run and facility or buyer.
//! let options = chokepoint::sweep::Options {
//!     runs: Some(4),
//!     settings: vec![(
//!         "event.mofcom-18-2025.end".to_owned(),
//!         vec!["2025-06-06".to_owned(), "2025-12-31".to_owned()],
//!     )],
//!     ..Default::default()
//! };
//! let hooks = chokepoint::Hooks { cancel: &chokepoint::batch::NEVER, progress: &|_| {} };
//! let sweep = chokepoint::sweep::sweep(&file, &options, &hooks)?;
//! assert_eq!((sweep.aggregate.points.len(), sweep.aggregate.runs), (4, 4));
//! let with_kpis = run.result.entities.iter().filter(|e| e.kind != chokepoint::engine::EntityKind::Stockpile);
//! let rows = sweep.kpis_csv.iter().filter(|&&b| b == b'\n').count();
//! assert_eq!(rows, 1 + 4 * 4 * with_kpis.count());
//! # Ok::<(), chokepoint::Error>(())
//! ```
//!
//! The workflows, each a module (docs/library.md has the table):
//!
//! - [`load`] reads a scenario file and the world files it extends, with keys set by
//!   dotted path; a rejected file is an [`Error::Scenario`] carrying every diagnostic with
//!   its file, line, column and hint. [`settings`] reads `--set`-style `key=v1,v2,…` texts.
//! - [`run`] runs one replicate ([`Run`]); [`run_files`] builds its result files
//!   ([`files`]: `series.csv`, `summary.json`, `events.csv`, `trade.csv`); [`text`] prints
//!   its KPI table.
//! - [`sweep`] runs Monte Carlo sweeps over a grid, whole or one shard;
//!   [`sweep_files`] builds `bands.csv`, `kpis.csv` and `summary.json` from the aggregate,
//!   the same bytes whether one machine ran it or shards were merged; [`parts`] writes and
//!   reads (checking them whole) the part files of shards.
//! - [`rank`] ranks single points of failure, whole or by shard, and merges shards.
//! - [`backtest`] scores a scenario's replicates against its observation files;
//!   [`calibrate`] fits scenario keys to them (ABC rejection), whole or by shard.
//! - [`charts`] draws the charts of result folders; [`brief`] writes a whole briefing.
//! - Long calls take [`Hooks`]: a progress callback (replicates done) and a cancel flag that
//!   stops them between replicates with [`Error::Interrupted`]; [`batch`] has what every
//!   batch shares.
//! - The libraries behind it are re-exported: [`engine`] (the simulation), [`scenario`]
//!   (the file format), [`montecarlo`] (batches), [`report`] (charts, briefings, `explain`,
//!   the workbook).
//!
//! The library reads files (bounded) and writes them only where a function takes a path to
//! write to ([`parts::write_part`], [`brief::write`], [`brief::write_files`]); everything
//! else returns bytes.

pub mod backtest;
pub mod batch;
pub mod brief;
pub mod calibrate;
pub mod charts;
pub mod files;
pub mod parts;
pub mod rank;
pub mod settings;
pub mod sweep;
pub mod sweep_files;
pub mod text;

use std::path::Path;

pub use chokepoint_engine as engine;
pub use chokepoint_montecarlo as montecarlo;
pub use chokepoint_montecarlo::{Hooks, Shard};
pub use chokepoint_report as report;
pub use chokepoint_scenario as scenario;

use chokepoint_engine::{ModelError, Plan, RunConfig, RunResult};
use chokepoint_scenario::{Loaded, Scenario};

pub use files::OutputFile;

/// Why a workflow could not be done.
#[derive(Debug)]
pub enum Error {
    /// The scenario file (or a world file it extends) was rejected: every diagnostic, each
    /// with its file, line, column and hint (render it with `Report::render`).
    Scenario(chokepoint_scenario::Report),
    /// The model loaded but cannot run (a structural problem the loader did not catch).
    Model(Vec<ModelError>),
    /// Stopped by the caller's cancel flag (`Hooks::cancel`): what had been done. No result
    /// is returned; rows already handed to a sink, or files written into a folder the caller
    /// gave (`brief::write`), are partial.
    Interrupted(String),
    /// Anything else: what went wrong, and what to do.
    Other {
        /// What went wrong.
        message: String,
        /// What to do about it.
        hint: String,
    },
}

impl Error {
    /// An error with a hint.
    pub fn new(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Error::Other { message: message.into(), hint: hint.into() }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Scenario(report) => write!(f, "{}", report.render(false).trim_end()),
            Error::Model(errors) => {
                write!(f, "the model cannot run:")?;
                for error in errors {
                    write!(f, "\n  - {error}")?;
                }
                Ok(())
            }
            Error::Interrupted(message) => write!(f, "{message}"),
            Error::Other { message, hint } => write!(f, "{message} ({hint})"),
        }
    }
}

impl std::error::Error for Error {}

impl From<chokepoint_report::Error> for Error {
    fn from(error: chokepoint_report::Error) -> Self {
        Error::new(error.message, error.hint)
    }
}

/// Reads and validates the scenario `file` and the world files it extends, with the keys of
/// `settings` (dotted path, TOML value as text) set as `--set` sets them. Files are read
/// with bounds (regular files only, at most `chokepoint_scenario::MAX_FILE_BYTES`). The
/// warnings come back in [`Loaded`]; the file's `[sweep]` grid is not read when `settings`
/// are given (they are one point of it).
pub fn load(file: &Path, settings: &[(String, String)]) -> Result<Loaded, Error> {
    let mut read = |path: &Path| chokepoint_report::files::read_scenario(path);
    let loaded = if settings.is_empty() {
        chokepoint_scenario::load_path(file, &mut read)
    } else {
        chokepoint_scenario::load_path_with(file, &mut read, settings)
    };
    loaded.map_err(Error::Scenario)
}

/// The plan of a loaded model (everything computed once per model), or why it cannot run.
pub fn plan(model: &chokepoint_engine::Model) -> Result<Plan<'_>, Error> {
    Plan::new(model).map_err(Error::Model)
}

/// One replicate of a scenario and the seed it ran with.
#[derive(Clone, Debug)]
pub struct Run {
    /// The base seed (the scenario's unless another was given).
    pub seed: u64,
    /// What the replicate produced.
    pub result: RunResult,
}

/// Runs replicate 0 of `scenario` with `seed` (the scenario's own when `None`): what
/// `chokepoint run` runs, and run 0 of a sweep.
pub fn run(scenario: &Scenario, seed: Option<u64>) -> Result<Run, Error> {
    let seed = seed.unwrap_or(scenario.seed);
    let plan = plan(&scenario.model)?;
    Ok(Run { seed, result: plan.run(RunConfig { seed, replicate: 0 }) })
}

/// The result files of `run` of `scenario` (loaded from `file`, which `summary.json` names).
pub fn run_files(scenario: &Scenario, file: &Path, run: &Run) -> Result<Vec<OutputFile>, Error> {
    files::run_files(&files::Context { scenario, file, seed: run.seed, result: &run.result })
}
