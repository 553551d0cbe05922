//! # chokepoint (the command)
//!
//! The command-line front of chokepoint: it reads scenario files, runs them through the
//! engine, prints a table of KPIs and writes the result files of `DESIGN.md` §4. It is the
//! only part of chokepoint that touches files, the terminal, the environment or exit
//! codes; everything it does is glue around `chokepoint-scenario` and `chokepoint-engine`.
//!
//! Exit codes: 0 success, 1 the input was rejected (invalid scenario, unreadable file,
//! unwritable output), 2 the command line itself was wrong, 130 interrupted (SIGINT,
//! SIGTERM or SIGHUP; nothing written).

/// `print!` to standard output that never panics: when the reader has gone
/// (`chokepoint run … | head`), the rest of the text is dropped and the command still writes
/// its files and exits normally.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout(), $($arg)*);
    }};
}

/// `println!` to standard output that never panics (see `out!`).
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

mod backtest;
mod batch;
mod calibrate;
mod check;
mod explain;
mod failure;
mod merge;
mod output;
mod plot;
mod progress;
mod rank;
mod report;
mod run;
mod signals;
mod staged;
mod sweep;

use failure::Failure;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Simulate supply-chain disruptions: who runs short, when, for how long, and what would
/// have helped, when a country cuts off a material or a part.
#[derive(Debug, Parser)]
#[command(
    name = "chokepoint",
    version,
    about,
    long_about = None,
    after_help = "Exit codes: 0 done; 1 the input was refused (nothing written); 2 the command line was wrong; \
130 interrupted by Ctrl-C, SIGTERM or SIGHUP (nothing written). Each command builds its result in a \
private folder and moves it into place when done. docs/safety.md lists every limit and why."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run one replicate of a scenario: print the KPIs of the watched entities and write
    /// series.csv, summary.json, events.csv and trade.csv.
    #[command(
        after_help = "series.csv holds stock, flows and shortage per entity and day, plus licensed, leaked, \
diverted and re-sourced shipments, capacity, controlled content and prices when the scenario uses \
them. events.csv is the timeline: controls started, suspended and ended, licences granted and \
refused, refusals, leaks, diversions, re-sourcing, stockpile releases, substitutions, plants \
online and shocks. trade.csv holds the goods that left each region for each other region by \
calendar month, as customs count exports (leaked goods as two legs through their third country). \
docs/model.md states every rule.\n\nExamples:\n  \
chokepoint run scenarios/rare-earth-controls-april-2025.toml -o out/ree --seed 7\n  \
chokepoint run scenarios/rare-earth-controls-october-2025.toml\n  \
chokepoint run scenarios/rare-earth-controls-april-2025.toml --set event.mofcom-18-2025.end=2025-09-01"
    )]
    Run(RunArgs),
    /// Explain why a buyer ran short: run one replicate and walk its first shortage
    /// upstream, day by day, to the scenario event at the root.
    #[command(
        after_help = "The chain names, for each step, the input that ran out, the supplier that failed to deliver it \
and why: its orders held at the border (a ban, a pending or refused licence, a used-up quota, a closed \
lane), its capacity cut, its lane delayed, or its own shortage, followed upstream, with dates and \
quantities, down to the root event. It is read from the run's own records, the same run `chokepoint \
run` gives with the same seed. docs/explain.md explains the method and its limits.\n\n\
Examples:\n  \
chokepoint explain scenarios/rare-earth-controls-april-2025.toml --entity us_auto\n  \
chokepoint explain scenarios/rare-earth-controls-april-2025.toml --entity eu_motors --seed 7 --json"
    )]
    Explain(ExplainArgs),
    /// Run many replicates of a scenario, over a grid of settings: print, per watched
    /// entity, the probability and timing of a shortage, and write bands.csv, kpis.csv and
    /// summary.json.
    #[command(
        after_help = "Replicate i runs with the same seed at every point of the grid (common random numbers), so differences between points are the settings', not noise. One thread, many threads, or shards merged with `chokepoint merge` give the same bytes.\n\n\
bands.csv: per point, day, entity and metric, the mean and the 5th to 95th percentiles over runs. \
kpis.csv: one row per point, run and entity (with the run's seed). summary.json: per point and entity, \
the probability of a shortage, the distributions of its timing and of every KPI, and the survival \
curve (probability of no shortage by each day). docs/monte-carlo.md explains the method; \
docs/scale-out.md runs shards on SLURM or Kubernetes.\n\n\
Examples:\n  \
chokepoint sweep scenarios/rare-earth-controls-april-2025.toml --runs 1000 \\\n      \
--set event.mofcom-18-2025.end=2025-06-06,2025-09-01,2025-12-31\n  \
chokepoint sweep scenarios/rare-earth-controls-october-2025.toml --runs 200 --threads 2 -o out/oct\n  \
chokepoint sweep my.toml --runs 100000 --shard 3/8 -o parts/   # then: chokepoint merge parts/*.part -o out/"
    )]
    Sweep(SweepArgs),
    /// Merge the shards of one sweep or ranking, byte for byte, into the files one unsharded
    /// command would have written (the shard files of `sweep --shard I/N` or `rank --shard
    /// I/N`).
    #[command(after_help = "Examples:\n  chokepoint merge parts/shard-*.part -o out/sweep\n  \
chokepoint merge parts/rank-shard-*.part -o out/rank")]
    Merge(MergeArgs),
    /// Find the single points of failure: disrupt each facility, region, product or
    /// region's product in turn, measure what the watched buyers lose, and rank them.
    #[command(
        after_help = "Each candidate suffers the same disruption: a full stop (its facilities make nothing; \
what they hold still ships) or an export ban (its region exports none of its products, no licences). \
Every candidate and the undisturbed scenario run the same replicates (common random numbers), so a \
candidate's loss is the difference it makes, not noise. Lost value is the value of the watched buyers' \
unmet demand against the same run undisturbed; 'short after' and 'recovered after' count days from the \
disruption's start (time to survive and time to recover). One thread, many threads, or shards merged with \
`chokepoint merge` give the same bytes.\n\n\
Writes rank.csv (one row per candidate), rank.json (with each buyer's share) and rank.svg / rank.png \
(the ranking chart). docs/ranking.md explains the method and how to read it.\n\n\
Examples:\n  \
chokepoint rank scenarios/worlds/ai-chain-2025.toml --by region-product --disruption ban:180d\n  \
chokepoint rank scenarios/worlds/rare-earths-2025.toml --by facility --disruption full-stop:90d --runs 50\n  \
chokepoint rank examples/small-chain.toml --watch us_buyer --start 2026-03-01 -o out/small\n  \
chokepoint rank my-world.toml --runs 1000 --shard 3/8 -o parts/   # then: chokepoint merge parts/rank-shard-*.part -o out/\n\n\
docs/scale-out.md runs the shards of a ranking on SLURM or Kubernetes."
    )]
    Rank(RankArgs),
    /// Score scenarios against what really happened: run each one's replicates and compare
    /// the model's distribution with every observation in its [backtest] files (monthly
    /// exports, first shortages, price gaps).
    #[command(
        after_help = "For each observation: the observed value, the model's 5th, 50th and 95th percentiles over runs, \
whether the observation falls inside that 90 % band, and the error of the median (ln of the ratio for flows, \
days for dates). Then the coverage of the band by kind and confidence. Observations the world cannot \
score are listed with the reason. Writes backtest.csv, backtest.json and, per observed series, the model's \
fan with the observed months on it (SVG and PNG). docs/backtest.md explains the file format and the scoring; \
docs/validation.md holds the calibration scenarios' scorecard.\n\n\
Examples:\n  \
chokepoint backtest scenarios/rare-earth-controls-april-2025.toml\n  \
chokepoint backtest scenarios/rare-earth-controls-april-2025.toml scenarios/gallium-germanium-2023-2025.toml --runs 500 -o out/validation"
    )]
    Backtest(BacktestArgs),
    /// Fit scenario keys to the scenarios' observations (approximate Bayesian computation by
    /// rejection): draw values from uniform priors, score each draw against history, keep the
    /// closest, and say which parameters the data pin down. Several files are fitted
    /// together: that is how shared parameters (a licensing profile, adaptation) are fitted
    /// once on every calibration episode.
    #[command(
        after_help = "Each draw sets the --prior keys (dotted paths, as --set takes) to values from their \
priors in every FILE, runs --runs replicates of each with the same seeds for every draw (each file's own \
seed), scores every observation of the files' [backtest] tables together and takes the distance: the mean over observations of the symmetric relative \
error of the model's median (flows, ratios) or the days from the observed window over 30 (dates), each at \
most 2. The closest --keep share of draws is the posterior. Writes posterior.csv (every draw, its distance, \
accepted or not) and calibration.json (priors, method and, per parameter, the posterior's 5th, 50th and \
95th percentiles and whether the data pin it down). docs/backtest.md explains the method.\n\n\
Examples:\n  \
chokepoint calibrate scenarios/rare-earth-controls-april-2025.toml scenarios/gallium-germanium-2023-2025.toml \\\n      --prior 'licensing.cn-mofcom.approval=0.1..0.9' --prior 'licensing.cn-mofcom.capacity=5..60'\n  \
chokepoint calibrate scenarios/rare-earth-controls-april-2025.toml --prior 'event.mofcom-18-2025.end.after=30..180:int'\n  \
chokepoint calibrate my.toml --prior 'facilities.x.capacity=5..20' --prior 'event.y.remaining=0..1' --samples 500 --keep 0.05"
    )]
    Calibrate(CalibrateArgs),
    /// Draw every chart a run or sweep result supports: shortage over time and the cascade
    /// for a run; survival curves, fan charts, the mean cascade, a tornado and paired
    /// comparisons for a sweep.
    #[command(
        after_help = "Charts use an embedded font (DejaVu Sans) and a colour-blind-safe palette, and say in \
their footnote which scenario, seed, runs and version made them. docs/charts.md shows and explains \
each kind.\n\n\
Examples:\n  \
chokepoint plot out/rare-earth-controls-april-2025                 # after chokepoint run\n  \
chokepoint plot out/rare-earth-controls-april-2025/sweep --format png --size print\n  \
chokepoint plot out/a/sweep --versus out/b/sweep -o charts/        # B against A, same seeds"
    )]
    Plot(PlotArgs),
    /// Write a briefing folder: sweep the scenario and run it once (and rank its single
    /// points of failure with --rank), then draw every chart and write a self-contained
    /// report.html that reads top-down (key findings, who runs short, why, then the charts,
    /// tables, assumptions and sources), report.md and report.xlsx.
    #[command(
        after_help = "The folder holds report.html (opens offline, fonts inline), report.md (with the PNGs), \
report.xlsx (KPIs per sweep point, headroom, series per watched buyer: docs/workbook.md), charts/ (each \
chart as SVG and PNG) and data/ (the run's and the sweep's result files). The same command gives the same \
bytes. docs/charts.md describes the report; docs/explain.md the \"why\" section.\n\n\
Examples:\n  \
chokepoint report scenarios/rare-earth-controls-april-2025.toml -o brief/\n  \
chokepoint report scenarios/rare-earth-controls-october-2025.toml --runs 1000 --size print\n  \
chokepoint report scenarios/worlds/ai-chain-2025.toml --rank region-product --rank-disruption ban:180d"
    )]
    Report(ReportArgs),
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
    /// Directory for series.csv, summary.json, events.csv and trade.csv [default:
    /// out/<file stem>/].
    /// Created if missing. Replaces this command's
    /// earlier result there whole and keeps every other file (docs/safety.md).
    #[arg(short, long, value_name = "DIR")]
    output: Option<PathBuf>,
    /// Base seed of the random streams [default: the scenario's `seed`]. The same seed
    /// gives the same bytes. A sweep's kpis.csv gives each replicate's seed: with the
    /// point's --set settings, this replays that replicate alone.
    #[arg(long, value_name = "N")]
    seed: Option<u64>,
    /// Set a scenario key for this run: `key=value`, the key a dotted path
    /// (event.<id>.end, facilities.<id>.capacity, …; docs/scenario-format.md) and the
    /// value TOML. Repeat for several keys.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    sets: Vec<String>,
}

/// Arguments of `chokepoint explain`.
#[derive(Debug, clap::Args)]
struct ExplainArgs {
    /// The scenario file (TOML; see docs/scenario-format.md).
    file: PathBuf,
    /// The facility or demand sink whose first shortage to explain.
    #[arg(long, value_name = "ID")]
    entity: String,
    /// Base seed of the random streams [default: the scenario's `seed`]: the run
    /// `chokepoint run --seed N` gives.
    #[arg(long, value_name = "N")]
    seed: Option<u64>,
    /// Set a scenario key for this run: `key=value` (dotted path, TOML value). Repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    sets: Vec<String>,
    /// Print the chain as JSON (steps, suppliers, findings, root) instead of sentences.
    #[arg(long)]
    json: bool,
}

/// What a batch of replicates runs: shared by `chokepoint sweep` and `chokepoint report`.
#[derive(Debug, clap::Args)]
struct BatchArgs {
    /// The scenario file (TOML; see docs/scenario-format.md).
    file: PathBuf,
    /// Replicates per sweep point [default: the file's `[sweep] runs`, else 100].
    #[arg(long, value_name = "N")]
    runs: Option<u32>,
    /// Base seed [default: the scenario's `seed`]. Replicate 0 uses it as is, so it is
    /// what `chokepoint run` gives; every replicate's seed is in kpis.csv.
    #[arg(long, value_name = "N")]
    seed: Option<u64>,
    /// Worker threads [default: one per core]. The results do not depend on it.
    #[arg(long, value_name = "T")]
    threads: Option<usize>,
    /// Sweep a scenario key over values: `key=v1,v2,…` with the key as a dotted path
    /// (event.<id>.end, facilities.<id>.capacity, …; docs/scenario-format.md) and TOML
    /// values. Repeat for a grid; replaces the same key of the file's `[sweep.grid]`.
    #[arg(long = "set", value_name = "KEY=V1,V2,…")]
    sets: Vec<String>,
    /// Which series get per-step bands in bands.csv [default: the file's `[report] bands`,
    /// else watched]: `watched` keeps every entity's shortage fraction (what the charts
    /// read) and the watched entities' stock, production, demand, unmet and shortage; `all`
    /// keeps every series of every entity (up to ten times the rows, time and memory).
    #[arg(long, value_enum, value_name = "WHICH")]
    bands: Option<sweep::BandsArg>,
}

/// Arguments of `chokepoint sweep`.
#[derive(Debug, clap::Args)]
struct SweepArgs {
    #[command(flatten)]
    batch: BatchArgs,
    /// Directory for the results [default: out/<file stem>/sweep/]. Created if missing.
    /// Replaces the earlier result there whole and keeps every other file (docs/safety.md).
    #[arg(short, long, value_name = "DIR")]
    output: Option<PathBuf>,
    /// Run only shard I of N (from 0) and write DIR/shard-I-of-N.part for `chokepoint
    /// merge` [default: from SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT, or
    /// JOB_COMPLETION_INDEX with --shard-count, when set].
    #[arg(long, value_name = "I/N")]
    shard: Option<String>,
    /// Number of shards when the index comes from JOB_COMPLETION_INDEX (a Kubernetes
    /// Indexed Job's completions).
    #[arg(long, value_name = "N")]
    shard_count: Option<u32>,
}

/// Arguments of `chokepoint plot`.
#[derive(Debug, clap::Args)]
struct PlotArgs {
    /// A directory written by `chokepoint run` (series.csv, events.csv, summary.json) or by
    /// `chokepoint sweep` (bands.csv, kpis.csv, summary.json).
    #[arg(value_name = "RESULT_DIR")]
    dir: PathBuf,
    /// Directory for the charts [default: RESULT_DIR/charts/]. Created if missing. Replaces
    /// the charts an earlier plot wrote there and keeps every other file (docs/safety.md).
    #[arg(short, long, value_name = "DIR")]
    output: Option<PathBuf>,
    /// File formats to write.
    #[arg(long, value_enum, default_value_t = plot::Formats::Both)]
    format: plot::Formats,
    /// Picture size: `slide` is 1920x1080 (16:9), `print` 2250x1500 (7.5x5 in at 300 dpi).
    #[arg(long, value_enum, default_value_t = plot::Sizes::Slide)]
    size: plot::Sizes,
    /// Fan charts for this entity (repeatable) [default: every watched entity that runs
    /// short in some run].
    #[arg(long = "entity", value_name = "ID")]
    entities: Vec<String>,
    /// Another sweep's directory, run with the same --seed and --runs: adds a chart of the
    /// paired difference, this one (A) against that one (B).
    #[arg(long, value_name = "DIR")]
    versus: Option<PathBuf>,
}

/// Arguments of `chokepoint report`.
#[derive(Debug, clap::Args)]
struct ReportArgs {
    #[command(flatten)]
    batch: BatchArgs,
    /// Directory for the briefing [default: out/<file stem>/report/]. Created if missing.
    /// Replaces an earlier report there whole and keeps every other file (docs/safety.md).
    #[arg(short, long, value_name = "DIR")]
    output: Option<PathBuf>,
    /// Chart size: `slide` (1920x1080) or `print` (2250x1500).
    #[arg(long, value_enum, default_value_t = plot::Sizes::Slide)]
    size: plot::Sizes,
    /// Add a section on single points of failure: rank these candidates as `chokepoint rank
    /// --by` does, on the scenario as written.
    #[arg(long, value_enum, value_name = "BY")]
    rank: Option<ByArg>,
    /// The disruption each ranked candidate suffers (with --rank).
    #[arg(long, value_name = "KIND:DURATION", default_value = "full-stop:90d", requires = "rank")]
    rank_disruption: String,
    /// When it starts, a date or a day number (with --rank) [default: the scenario's start].
    #[arg(long, value_name = "DATE|DAY", requires = "rank")]
    rank_start: Option<String>,
    /// Replicates per ranked candidate (with --rank).
    #[arg(long, value_name = "N", default_value_t = rank::DEFAULT_RUNS, requires = "rank")]
    rank_runs: u32,
}

/// What `chokepoint rank` disrupts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ByArg {
    /// Each facility (plant or depot).
    Facility,
    /// Each region's output of everything it makes.
    Region,
    /// Each product, wherever it is made.
    Product,
    /// Each region's output of one product (China's gallium, Japan's photoresist).
    RegionProduct,
}

impl From<ByArg> for chokepoint_montecarlo::By {
    fn from(by: ByArg) -> Self {
        match by {
            ByArg::Facility => chokepoint_montecarlo::By::Facility,
            ByArg::Region => chokepoint_montecarlo::By::Region,
            ByArg::Product => chokepoint_montecarlo::By::Product,
            ByArg::RegionProduct => chokepoint_montecarlo::By::RegionProduct,
        }
    }
}

/// Arguments of `chokepoint rank`.
#[derive(Debug, clap::Args)]
struct RankArgs {
    /// The scenario or world file (TOML; see docs/scenario-format.md). Its own events play
    /// in every run, the baseline's too.
    file: PathBuf,
    /// What the candidates are.
    #[arg(long, value_enum, default_value_t = ByArg::Facility)]
    by: ByArg,
    /// What each candidate suffers: `full-stop:DURATION` (its facilities make nothing) or
    /// `ban:DURATION` (its region exports none of its products), the duration in days or
    /// weeks (`90d`, `26w`).
    #[arg(long, value_name = "KIND:DURATION", default_value = "full-stop:90d")]
    disruption: String,
    /// When the disruption starts: a date (2025-03-01) or a day number from the scenario's
    /// start [default: the scenario's start].
    #[arg(long, value_name = "DATE|DAY")]
    start: Option<String>,
    /// Replicates of every candidate and of the undisturbed baseline.
    #[arg(long, value_name = "N", default_value_t = rank::DEFAULT_RUNS)]
    runs: u32,
    /// Base seed [default: the scenario's `seed`]. Replicate 0 uses it as is.
    #[arg(long, value_name = "N")]
    seed: Option<u64>,
    /// Worker threads [default: one per core]. The results do not depend on it.
    #[arg(long, value_name = "T")]
    threads: Option<usize>,
    /// The buyers whose losses count (demand sinks or facilities; repeat, or separate with
    /// commas) [default: the file's `[report] watch`, else every demand sink].
    #[arg(long, value_name = "ID")]
    watch: Vec<String>,
    /// Set a scenario key for every run: `key=value` (dotted path, TOML value). Repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    sets: Vec<String>,
    /// Candidates printed and drawn (rank.csv has them all).
    #[arg(long, value_name = "N", default_value_t = rank::DEFAULT_TOP)]
    top: usize,
    /// Directory for rank.csv, rank.json and the chart [default: out/<file stem>/rank/].
    /// Created if missing. Replaces this command's
    /// earlier result there whole and keeps every other file (docs/safety.md).
    #[arg(short, long, value_name = "DIR")]
    output: Option<PathBuf>,
    /// Run only shard I of N (from 0), a slice of the runs of the baseline and of every
    /// candidate, and write DIR/rank-shard-I-of-N.part for `chokepoint merge` instead of the
    /// ranking [default: from SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT, or
    /// JOB_COMPLETION_INDEX with --shard-count, when set].
    #[arg(long, value_name = "I/N")]
    shard: Option<String>,
    /// Number of shards when the index comes from JOB_COMPLETION_INDEX (a Kubernetes
    /// Indexed Job's completions).
    #[arg(long, value_name = "N")]
    shard_count: Option<u32>,
}

/// Arguments of `chokepoint backtest`.
#[derive(Debug, clap::Args)]
struct BacktestArgs {
    /// Scenario files with a [backtest] table naming their observation files.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Replicates per scenario [default: the file's `[backtest] runs`, else 200].
    #[arg(long, value_name = "N")]
    runs: Option<u32>,
    /// Base seed [default: each scenario's `seed`]. Replicate 0 uses it as is.
    #[arg(long, value_name = "N")]
    seed: Option<u64>,
    /// Worker threads [default: one per core]. The results do not depend on it.
    #[arg(long, value_name = "T")]
    threads: Option<usize>,
    /// Directory for backtest.csv, backtest.json and the charts [default:
    /// out/<file stem>/backtest/ for one scenario, out/backtest/ for several]. Created if
    /// missing. Replaces an earlier backtest there whole and keeps every other file.
    #[arg(short, long, value_name = "DIR")]
    output: Option<PathBuf>,
}

/// Arguments of `chokepoint calibrate`.
#[derive(Debug, clap::Args)]
struct CalibrateArgs {
    /// The scenario files, each with a [backtest] table naming its observation files; the
    /// priors apply to every file and all observations are scored together.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// A key to fit and its uniform prior: `KEY=LOW..HIGH`, `KEY=LOW..HIGH:int` for whole
    /// numbers, or `KEY=LOW..HIGH:days` for durations (written "90d"). Repeat for several
    /// keys.
    #[arg(long = "prior", value_name = "KEY=LOW..HIGH", required = true)]
    priors: Vec<String>,
    /// Draws from the priors.
    #[arg(long, value_name = "N")]
    samples: Option<u32>,
    /// Replicates per draw (the same seeds for every draw).
    #[arg(long, value_name = "N")]
    runs: Option<u32>,
    /// Share of draws kept as the posterior (the closest to history).
    #[arg(long, value_name = "SHARE", default_value_t = 0.1)]
    keep: f64,
    /// Seed of the draws and of every file's replicates [default: the first file's `seed`
    /// for the draws, each file's own `seed` for its replicates].
    #[arg(long, value_name = "N")]
    seed: Option<u64>,
    /// Worker threads [default: one per core]. The results do not depend on it.
    #[arg(long, value_name = "T")]
    threads: Option<usize>,
    /// Run only shard I of N (from 0): every N-th draw from I [default: SLURM's array
    /// variables when set]. Merge the shards' folders with --merge.
    #[arg(long, value_name = "I/N")]
    shard: Option<String>,
    /// Instead of running, merge the output folders of every shard of this same command
    /// (repeat): the result is byte for byte that of the unsharded calibration.
    #[arg(long, value_name = "DIR")]
    merge: Vec<PathBuf>,
    /// Directory for posterior.csv and calibration.json [default: out/<file stem>/calibrate/
    /// for one file, out/calibration/ for several].
    #[arg(short, long, value_name = "DIR")]
    output: Option<PathBuf>,
}

/// Arguments of `chokepoint merge`.
#[derive(Debug, clap::Args)]
struct MergeArgs {
    /// The shard files, every shard of one sweep (shard-*.part) or of one ranking
    /// (rank-shard-*.part) once, in any order. Each is checked whole (its end line's row
    /// count and checksum) before anything is written.
    #[arg(required = true)]
    parts: Vec<PathBuf>,
    /// Directory for bands.csv, kpis.csv and summary.json (a sweep's shards), or rank.csv,
    /// rank.json and the chart (a ranking's). Created if missing. Written only when every
    /// shard is whole; replaces the earlier result there (docs/safety.md).
    #[arg(short, long, value_name = "DIR")]
    output: PathBuf,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    signals::install();
    let outcome = match cli.command {
        Command::Run(args) => {
            run::run(&args.file, args.output.as_deref(), args.seed, &args.sets).map(|()| true)
        }
        Command::Explain(args) => explain::explain(&explain::Request {
            file: &args.file,
            entity: &args.entity,
            seed: args.seed,
            sets: &args.sets,
            json: args.json,
        })
        .map(|()| true),
        Command::Sweep(args) => sweep::sweep(&sweep::Request {
            file: &args.batch.file,
            runs: args.batch.runs,
            seed: args.batch.seed,
            threads: args.batch.threads,
            sets: &args.batch.sets,
            output: args.output.as_deref(),
            shard: args.shard.as_deref(),
            shard_count: args.shard_count,
            bands: args.batch.bands,
        })
        .map(|()| true),
        Command::Merge(args) => merge::merge(&args.parts, &args.output).map(|()| true),
        Command::Rank(args) => rank::rank(&rank::Request {
            file: &args.file,
            by: args.by.into(),
            disruption: &args.disruption,
            start: args.start.as_deref(),
            runs: Some(args.runs),
            seed: args.seed,
            threads: args.threads,
            sets: &args.sets,
            watch: &args.watch,
            top: args.top,
            output: args.output.as_deref(),
            shard: args.shard.as_deref(),
            shard_count: args.shard_count,
        })
        .map(|()| true),
        Command::Backtest(args) => backtest::backtest(&backtest::Request {
            files: &args.files,
            runs: args.runs,
            seed: args.seed,
            threads: args.threads,
            output: args.output.as_deref(),
        })
        .map(|()| true),
        Command::Calibrate(args) => calibrate::calibrate(&calibrate::Request {
            files: &args.files,
            priors: &args.priors,
            samples: args.samples,
            runs: args.runs,
            keep: args.keep,
            seed: args.seed,
            threads: args.threads,
            output: args.output.as_deref(),
            shard: args.shard.as_deref(),
            merge: &args.merge,
        })
        .map(|()| true),
        Command::Plot(args) => plot::plot(&plot::Request {
            dir: &args.dir,
            output: args.output.as_deref(),
            formats: args.format,
            size: args.size,
            entities: &args.entities,
            versus: args.versus.as_deref(),
        })
        .map(|()| true),
        Command::Report(args) => report::report(&report::Request {
            file: &args.batch.file,
            runs: args.batch.runs,
            seed: args.batch.seed,
            threads: args.batch.threads,
            sets: &args.batch.sets,
            bands: args.batch.bands,
            output: args.output.as_deref(),
            size: args.size,
            rank: args.rank.map(|by| chokepoint::brief::Ranked {
                by: by.into(),
                disruption: args.rank_disruption.clone(),
                start: args.rank_start.clone(),
                runs: args.rank_runs,
            }),
        })
        .map(|()| true),
        Command::Check(args) => check::check(&args.files, args.format),
        Command::Schema => {
            let schema = chokepoint_scenario::json_schema();
            outln!("{}", serde_json::to_string_pretty(&schema).unwrap_or_default());
            Ok(true)
        }
    };
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(error @ Failure::Interrupted(_)) => {
            eprintln!("{}", error.render());
            ExitCode::from(signals::EXIT_INTERRUPTED)
        }
        Err(error) => {
            eprintln!("{}", error.render());
            ExitCode::from(1)
        }
    }
}
