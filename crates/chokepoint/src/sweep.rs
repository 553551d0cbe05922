//! Sweeps (`chokepoint sweep`): Monte Carlo batches over a grid of settings, on one machine
//! or cut into shards, and the merge of the shards.
//!
//! [`prepare`] loads the scenario once per point of the grid and checks the request;
//! [`Prepared::run`] runs the batch (or one shard of it), streaming each run's `kpis.csv`
//! rows to a sink and returning the [`Aggregate`] the bands and summaries come from;
//! [`merge`] joins the aggregates of a sweep's shards; [`crate::sweep_files`] turns an
//! aggregate into the result files. [`sweep`] does it all in memory.

use std::path::Path;

use chokepoint_montecarlo::{Aggregate, Bands, Hooks, Point, RunKpis, Shard, Stop, SweepConfig};
use chokepoint_scenario::Scenario;

use crate::sweep_files::{self as files, SweepInfo};
use crate::text::format_units;
use crate::{Error, OutputFile};

/// Replicates per point when neither the request nor `[sweep] runs` says.
pub const DEFAULT_RUNS: u32 = 100;
/// Most points in a sweep's grid.
pub const MAX_POINTS: u64 = 10_000;

/// What a sweep is asked to do: `chokepoint sweep`'s options.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Keys set as `--set key=v1,v2,…` sets them: each replaces that key's values in the
    /// file's `[sweep] grid` or adds a key to it.
    pub settings: Vec<(String, Vec<String>)>,
    /// Replicates per point (`[sweep] runs`, else [`DEFAULT_RUNS`], when `None`).
    pub runs: Option<u32>,
    /// The base seed (the scenario's when `None`).
    pub seed: Option<u64>,
    /// Worker threads (0: one per core). Results do not depend on it.
    pub threads: usize,
    /// Which shard of the runs (`None`: all of them).
    pub shard: Option<Shard>,
    /// Bands of every series (`Some(true)`), of the watched ones (`Some(false)`), or as the
    /// file's `[report] bands` says (`None`).
    pub all_bands: Option<bool>,
}

/// The bands a sweep of `scenario` keeps: every series when `all` (else the file's
/// `[report] bands`) says so; otherwise every entity's shortage fraction and the watched
/// entities' (`[report] watch`, else every demand sink) stock, production, demand, unmet
/// and shortage.
pub fn bands(scenario: &Scenario, all: Option<bool>) -> Bands {
    if all.unwrap_or(scenario.report.all_bands) {
        return Bands::All;
    }
    let watched = if scenario.report.watch.is_empty() {
        scenario.model.sinks.iter().map(|s| s.id.clone()).collect()
    } else {
        scenario.report.watch.clone()
    };
    Bands::Watched(watched)
}

/// A sweep ready to run: every point's scenario, what the files will say, and the batch's
/// configuration.
pub struct Prepared {
    /// The scenario as the file gives it (the report settings applied).
    pub base: Scenario,
    /// The warnings of loading it.
    pub warnings: chokepoint_scenario::Report,
    /// What the files say besides the numbers.
    pub info: SweepInfo,
    /// Seed, runs, shard, threads, bands and the fingerprint of the sweep.
    pub config: SweepConfig,
    scenarios: Vec<Scenario>,
}

/// Refuses a sweep whose per-step summaries would not fit in memory, before its points
/// are loaded: one replicate of the base scenario gives the series and report steps.
fn preflight(base: &Scenario, n_points: usize, bands: &Bands) -> Result<(), Error> {
    let plan = crate::plan(&base.model)?;
    let result = plan.run(chokepoint_engine::RunConfig { seed: base.seed, replicate: 0 });
    let steps = result.n_steps(base.report.step_days.max(1));
    let kept =
        (result.series.iter()).filter(|s| bands.keeps(&result.entities[s.entity].id, &s.metric)).count();
    let bytes = chokepoint_montecarlo::bands_bytes(kept, steps, n_points);
    if bytes > chokepoint_montecarlo::MEMORY_LIMIT {
        return Err(too_large(bytes, chokepoint_montecarlo::MEMORY_LIMIT));
    }
    Ok(())
}

/// The bands of a sweep need `bytes`, more than `limit`.
fn too_large(bytes: u64, limit: u64) -> Error {
    Error::new(
        format!(
            "the sweep's per-step summaries would need {:.1} GiB of memory (at most {:.0} GiB)",
            bytes as f64 / f64::from(1u32 << 30),
            limit as f64 / f64::from(1u32 << 30)
        ),
        "report by week or month (--set 'report.step=\"7d\"' or \"30d\"), keep the default bands (--bands watched), sweep fewer points, or shorten the horizon",
    )
}

/// Every combination of the grid's values, the last key varying fastest.
pub fn grid_points(grid: &[(String, Vec<String>)]) -> Vec<Vec<(String, String)>> {
    let mut points = vec![Vec::new()];
    for (key, values) in grid {
        points = points
            .into_iter()
            .flat_map(|p: Vec<(String, String)>| {
                values.iter().map(move |v| {
                    let mut q = p.clone();
                    q.push((key.clone(), v.clone()));
                    q
                })
            })
            .collect();
    }
    points
}

/// Loads `file` and each point of its grid (with `options.settings`), checks the request
/// (runs, grid size, memory) and builds the batch's configuration. `cancel` stops the
/// loading of a large grid between points.
pub fn prepare(
    file: &Path,
    options: &Options,
    cancel: &std::sync::atomic::AtomicBool,
) -> Result<Prepared, Error> {
    let loaded = crate::load(file, &[])?;
    let base = loaded.scenario;
    let mut grid: Vec<(String, Vec<String>)> = base.sweep.grid.clone();
    for (key, values) in &options.settings {
        match grid.iter_mut().find(|(k, _)| k == key) {
            Some(entry) => entry.1.clone_from(values),
            None => grid.push((key.clone(), values.clone())),
        }
    }
    // `report.*` keys apply to the whole sweep: one value each, set on every point.
    if let Some((key, _)) = grid.iter().find(|(k, v)| k.starts_with("report.") && v.len() > 1) {
        return Err(Error::new(
            format!("{key} cannot be swept: the report settings apply to the whole sweep"),
            format!("give {key} one value (it applies to every point), and sweep other keys"),
        ));
    }
    let fixed: Vec<(String, String)> = grid
        .iter()
        .filter(|(k, _)| k.starts_with("report."))
        .map(|(k, v)| (k.clone(), v[0].clone()))
        .collect();
    grid.retain(|(k, _)| !k.starts_with("report."));
    let file_runs = base.sweep.runs;
    let base = if fixed.is_empty() { base } else { crate::load(file, &fixed)?.scenario };
    let n_points = grid.iter().fold(1u64, |n, (_, values)| n.saturating_mul(values.len() as u64));
    if n_points > MAX_POINTS {
        let sizes: Vec<String> = grid.iter().map(|(k, v)| format!("{} values of {k}", v.len())).collect();
        return Err(Error::new(
            format!(
                "the grid has {} points ({}); a sweep has at most {}",
                format_units(n_points as f64),
                sizes.join(" × "),
                format_units(MAX_POINTS as f64)
            ),
            "split the grid: run one sweep per value of one key (--set KEY=VALUE replaces that key's list), or give fewer values",
        ));
    }
    let runs = options.runs.or(file_runs).unwrap_or(DEFAULT_RUNS);
    if runs == 0 || runs > chokepoint_scenario::MAX_RUNS {
        return Err(Error::new(
            format!("--runs {runs} is out of range"),
            format!("ask for 1 to {} runs per point", chokepoint_scenario::MAX_RUNS),
        ));
    }
    let bands = bands(&base, options.all_bands);
    preflight(&base, n_points as usize, &bands)?;
    let settings = grid_points(&grid);
    let scenarios = settings
        .iter()
        .map(|s| {
            crate::batch::check(cancel)?;
            let all: Vec<(String, String)> = fixed.iter().chain(s).cloned().collect();
            Ok(crate::load(file, &all)?.scenario)
        })
        .collect::<Result<Vec<Scenario>, Error>>()?;
    for scenario in &scenarios {
        crate::batch::check(cancel)?;
        crate::plan(&scenario.model)?;
    }
    let info = SweepInfo {
        scenario: base.name.clone(),
        file: file.display().to_string(),
        start: base.start.to_string(),
        watch: base.report.watch.clone(),
        units: base.model.products.iter().map(|p| p.unit.clone()).collect(),
        grid: grid.clone(),
        points: settings,
        version: env!("CARGO_PKG_VERSION").to_owned(),
        description: base.description.clone().unwrap_or_default(),
        chain: crate::files::chain(&base.model, &base.names),
    };
    let mut identity: Vec<String> =
        scenarios.iter().map(|s| format!("{:?}", (&s.name, &s.start, &s.model))).collect();
    identity.push(format!("{fixed:?}"));
    identity.push(format!("{info:?}"));
    identity.push(format!("{bands:?}"));
    let config = SweepConfig {
        seed: options.seed.unwrap_or(base.seed),
        runs: u64::from(runs),
        shard: options.shard.unwrap_or(Shard::WHOLE),
        threads: options.threads,
        step_days: base.report.step_days,
        tag: crate::batch::fingerprint(&identity),
        bands,
    };
    Ok(Prepared { base, warnings: loaded.warnings, info, config, scenarios })
}

impl Prepared {
    /// The replicates this shard runs (runs × points).
    pub fn total(&self) -> u64 {
        self.config.shard.range(self.config.runs).count() as u64 * self.scenarios.len() as u64
    }

    /// A line that names this very sweep: the same models, settings, seed, runs, bands and
    /// version give the same key (a report reuses a sweep whose key matches).
    pub fn key(&self) -> String {
        format!(
            "chokepoint-sweep-key 1\n{:016x} seed {} runs {} bands {:?} version {}\n",
            self.config.tag,
            self.config.seed,
            self.config.runs,
            self.config.bands,
            env!("CARGO_PKG_VERSION")
        )
    }

    /// Runs the batch (this shard's runs of every point). Each run's `kpis.csv` rows go to
    /// `rows` as they come, in run order; `hooks` reports progress (in replicates) and stops
    /// the batch when its flag is raised.
    pub fn run(
        &self,
        hooks: &Hooks<'_>,
        rows: &mut (dyn FnMut(&[u8]) -> Result<(), String> + Send),
    ) -> Result<Aggregate, Error> {
        let mut points = Vec::with_capacity(self.scenarios.len());
        for (scenario, settings) in self.scenarios.iter().zip(&self.info.points) {
            points.push(Point { settings: settings.clone(), plan: crate::plan(&scenario.model)? });
        }
        let info = &self.info;
        let mut sink = |run: &RunKpis<'_>| rows(&files::kpis_rows(info, run));
        chokepoint_montecarlo::sweep(&points, &self.config, hooks, &mut sink)
            .map_err(|stop| stopped(stop, self.total(), &points, info))
    }
}

/// A sweep's results in memory: what it was of, its aggregate, and its `kpis.csv` (header
/// and every run's rows).
pub struct Sweep {
    /// What the files say besides the numbers.
    pub info: SweepInfo,
    /// Bands and KPI distributions of every point.
    pub aggregate: Aggregate,
    /// `kpis.csv`, whole.
    pub kpis_csv: Vec<u8>,
}

impl Sweep {
    /// `bands.csv`, `kpis.csv` and `summary.json`: what `chokepoint sweep` writes.
    pub fn files(&self) -> Result<Vec<OutputFile>, Error> {
        Ok(vec![
            OutputFile { name: "bands.csv".into(), contents: files::bands_csv(&self.info, &self.aggregate)? },
            OutputFile { name: "kpis.csv".into(), contents: self.kpis_csv.clone() },
            OutputFile {
                name: "summary.json".into(),
                contents: files::summary_json(&self.info, &self.aggregate)?,
            },
        ])
    }

    /// The table `chokepoint sweep` prints.
    pub fn table(&self) -> String {
        files::table(&self.info, &self.aggregate)
    }
}

/// Runs a whole sweep of `file` in memory (every run of every point; `options.shard` is
/// ignored): for a notebook or a service. A command that writes files streams the rows
/// instead ([`prepare`], [`Prepared::run`]).
pub fn sweep(file: &Path, options: &Options, hooks: &Hooks<'_>) -> Result<Sweep, Error> {
    let prepared = prepare(file, &Options { shard: None, ..options.clone() }, hooks.cancel)?;
    let mut kpis_csv = files::kpis_header(&prepared.info);
    let aggregate = prepared.run(hooks, &mut |rows| {
        kpis_csv.extend_from_slice(rows);
        Ok(())
    })?;
    Ok(Sweep { info: prepared.info, aggregate, kpis_csv })
}

/// Says why a batch stopped.
fn stopped(stop: Stop, total: u64, points: &[Point<'_>], info: &SweepInfo) -> Error {
    match stop {
        Stop::Cancelled { completed } => crate::batch::interrupted(completed, total),
        Stop::Failed(failures) => {
            let mut message = crate::batch::broken(failures.len());
            for f in failures.iter().take(10) {
                let sets: String =
                    points[f.point].settings.iter().map(|(k, v)| format!(" --set '{k}={v}'")).collect();
                message.push_str(&format!(
                    "\n  - point {} ({}), run {}, seed {}: {}\n    replay it alone: chokepoint run {} --seed {}{sets}",
                    f.point,
                    info.label(f.point),
                    f.run,
                    f.seed,
                    f.problem,
                    info.file,
                    f.seed
                ));
            }
            Error::new(
                message,
                "this is a bug in chokepoint; please report it with the scenario and the seed",
            )
        }
        Stop::TooLarge { bytes, limit } => too_large(bytes, limit),
        Stop::Other(message) => {
            Error::new(message, "check the disk space, permissions and memory of this machine")
        }
    }
}

/// Joins the shards of one sweep (each its description and aggregate, as read by
/// [`crate::parts::read_part`]) into what one machine would have computed.
pub fn merge(parts: Vec<(SweepInfo, Aggregate)>) -> Result<(SweepInfo, Aggregate), Error> {
    let Some((info, first)) = parts.first() else {
        return Err(Error::new("no shards to merge", "give the shard-*.part files of one sweep"));
    };
    let info = info.clone();
    if let Some((_, other)) = parts.iter().find(|(i, _)| *i != info) {
        return Err(Error::new(
            format!(
                "shard {}/{} comes from another scenario or grid than shard {}/{}",
                other.shard.index, other.shard.count, first.shard.index, first.shard.count
            ),
            "merge only the shards of one sweep",
        ));
    }
    let merged = Aggregate::merge(parts.into_iter().map(|(_, a)| a).collect()).map_err(|why| {
        Error::new(format!("cannot merge: {why}"), "give every shard-*.part of one sweep once")
    })?;
    Ok((info, merged))
}
