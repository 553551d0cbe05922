//! `chokepoint sweep` and `chokepoint merge`: Monte Carlo batches over a grid of settings,
//! on one machine or cut into shards, and the merge of the shards.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use chokepoint_montecarlo::{Aggregate, Bands, Hooks, Point, Shard, Stop, SweepConfig};
use chokepoint_scenario::Scenario;

use crate::Failure;
use crate::shard;
use crate::staged::{Slot, Staged};
use crate::sweep_output::{self as files, SweepInfo};

/// Replicates per point when neither `--runs` nor `[sweep] runs` says.
pub const DEFAULT_RUNS: u32 = 100;
/// What `chokepoint sweep` was asked to do.
pub struct Request<'a> {
    /// The scenario file.
    pub file: &'a Path,
    /// `--runs`.
    pub runs: Option<u32>,
    /// `--seed`.
    pub seed: Option<u64>,
    /// `--threads`.
    pub threads: Option<usize>,
    /// `--set key=v1,v2,…`, as given.
    pub sets: &'a [String],
    /// `-o`.
    pub output: Option<&'a Path>,
    /// `--shard I/N`.
    pub shard: Option<&'a str>,
    /// `--shard-count N` (with `JOB_COMPLETION_INDEX`).
    pub shard_count: Option<u32>,
    /// `--bands` (`None`: the file's `[report] bands`).
    pub bands: Option<BandsArg>,
    /// `output` is inside the staging folder of a command that commits it (`chokepoint
    /// report`): write there plainly, and print neither the table nor the list of files.
    pub nested: bool,
}

/// `--bands`: which series get per-step bands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum BandsArg {
    /// Every entity's shortage fraction and the watched entities' stock, production,
    /// demand, unmet and shortage.
    Watched,
    /// Every series of every entity.
    All,
}

/// The bands a sweep of `scenario` keeps: `--bands` if given, else the file's `[report]
/// bands`; the watched entities are `[report] watch`, else every demand sink.
pub fn bands(scenario: &Scenario, flag: Option<BandsArg>) -> Bands {
    let all = flag.map_or(scenario.report.all_bands, |b| b == BandsArg::All);
    if all {
        return Bands::All;
    }
    let watched = if scenario.report.watch.is_empty() {
        scenario.model.sinks.iter().map(|s| s.id.clone()).collect()
    } else {
        scenario.report.watch.clone()
    };
    Bands::Watched(watched)
}

/// Splits `key=v1,v2,…` into the key and its values, at commas outside brackets, braces
/// and quotes (so `{ after = "63d" }` and `[1, 2]` stay whole).
pub fn split_setting(text: &str) -> Result<(String, Vec<String>), Failure> {
    let Some((key, values)) = text.split_once('=') else {
        return Err(Failure::new(
            format!("--set {text}: expected key=value"),
            "write --set event.mofcom-18-2025.end=2025-06-06,2025-12-31",
        ));
    };
    let key = key.trim();
    if key.is_empty() || values.trim().is_empty() {
        return Err(Failure::new(
            format!("--set {text}: the key or the value is empty"),
            "write --set facilities.my_lynas.capacity=5000.0,8000.0",
        ));
    }
    let mut out = Vec::new();
    let (mut depth, mut quote, mut start) = (0i32, None::<char>, 0usize);
    for (i, c) in values.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '[' | '{') => depth += 1,
            (None, ']' | '}') => depth -= 1,
            (None, ',') if depth == 0 => {
                out.push(values[start..i].trim().to_owned());
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(values[start..].trim().to_owned());
    if out.iter().any(String::is_empty) {
        return Err(Failure::new(
            format!("--set {text}: a value in the list is empty"),
            "separate values with single commas",
        ));
    }
    Ok((key.to_owned(), out))
}

/// Most points in a sweep's grid.
pub const MAX_POINTS: u64 = 10_000;

/// Most worker threads per core: results never depend on the thread count, and more
/// threads than this only add switching.
pub const THREADS_PER_CORE: usize = 4;

/// The worker threads to start for `--threads` (0: one per core), capped at
/// [`THREADS_PER_CORE`] per core with a message.
pub(crate) fn worker_threads(requested: Option<usize>) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    match requested {
        Some(n) if n > THREADS_PER_CORE * cores => {
            let cap = THREADS_PER_CORE * cores;
            eprintln!(
                "warning: --threads {n} is more than {THREADS_PER_CORE} per core on this machine's {cores} \
                 core{}; using {cap} (results do not depend on the thread count)",
                if cores == 1 { "" } else { "s" }
            );
            cap
        }
        Some(n) => n,
        None => 0,
    }
}

/// Refuses a sweep whose per-step summaries would not fit in memory, before its points
/// are loaded: one replicate of the base scenario gives the series and report steps.
fn preflight(base: &Scenario, n_points: usize, bands: &Bands) -> Result<(), Failure> {
    let plan = crate::run::plan(&base.model)?;
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
fn too_large(bytes: u64, limit: u64) -> Failure {
    Failure::new(
        format!(
            "the sweep's per-step summaries would need {:.1} GiB of memory (at most {:.0} GiB)",
            bytes as f64 / f64::from(1u32 << 30),
            limit as f64 / f64::from(1u32 << 30)
        ),
        "report by week or month (--set 'report.step=\"7d\"' or \"30d\"), keep the default bands (--bands watched), sweep fewer points, or shorten the horizon",
    )
}

/// Every combination of the grid's values, the last key varying fastest.
fn grid_points(grid: &[(String, Vec<String>)]) -> Vec<Vec<(String, String)>> {
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

/// Which shard this process runs: `--shard I/N`, else SLURM's array variables, else
/// `JOB_COMPLETION_INDEX` with `--shard-count`; the whole batch when none is set.
pub fn resolve_shard(flag: Option<&str>, count: Option<u32>) -> Result<Shard, Failure> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let number = |name: &str, text: &str| -> Result<u32, Failure> {
        text.trim().parse::<u32>().map_err(|_| {
            Failure::new(format!("{name} is '{text}', not a whole number"), "shards are numbered from 0")
        })
    };
    let shard = if let Some(text) = flag {
        let Some((i, n)) = text.split_once('/') else {
            return Err(Failure::new(
                format!("--shard {text}: expected I/N"),
                "write --shard 0/4 … --shard 3/4",
            ));
        };
        Shard { index: number("the shard index", i)?, count: number("the shard count", n)? }
    } else if let (Some(id), Some(n)) = (var("SLURM_ARRAY_TASK_ID"), var("SLURM_ARRAY_TASK_COUNT")) {
        let min = var("SLURM_ARRAY_TASK_MIN").map_or(Ok(0), |m| number("SLURM_ARRAY_TASK_MIN", &m))?;
        let id = number("SLURM_ARRAY_TASK_ID", &id)?;
        Shard { index: id.saturating_sub(min), count: number("SLURM_ARRAY_TASK_COUNT", &n)? }
    } else if let Some(id) = var("JOB_COMPLETION_INDEX") {
        let Some(count) = count else {
            return Err(Failure::new(
                "JOB_COMPLETION_INDEX is set but the number of shards is not",
                "pass --shard-count N with the Job's completions (docs/scale-out.md)",
            ));
        };
        Shard { index: number("JOB_COMPLETION_INDEX", &id)?, count }
    } else {
        return Ok(Shard::WHOLE);
    };
    if shard.count == 0 || shard.index >= shard.count {
        return Err(Failure::new(
            format!("shard {}/{} does not exist", shard.index, shard.count),
            "shards are numbered 0 to N-1 of N (N at least 1)",
        ));
    }
    Ok(shard)
}

/// FNV-1a over the text of everything that makes a batch, so shards of different batches
/// are not merged.
pub(crate) fn fingerprint(parts: &[String]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.bytes().chain([0xff]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    hash
}

/// Runs `chokepoint sweep`.
pub fn sweep(request: &Request<'_>) -> Result<(), Failure> {
    let base = crate::run::load(request.file)?;
    let mut grid: Vec<(String, Vec<String>)> = base.sweep.grid.clone();
    for text in request.sets {
        let (key, values) = split_setting(text)?;
        match grid.iter_mut().find(|(k, _)| *k == key) {
            Some(entry) => entry.1 = values,
            None => grid.push((key, values)),
        }
    }
    // `report.*` keys apply to the whole sweep: one value each, set on every point.
    if let Some((key, _)) = grid.iter().find(|(k, v)| k.starts_with("report.") && v.len() > 1) {
        return Err(Failure::new(
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
    let base = if fixed.is_empty() { base } else { crate::run::load_with(request.file, &fixed, false)? };
    let n_points = grid.iter().fold(1u64, |n, (_, values)| n.saturating_mul(values.len() as u64));
    if n_points > MAX_POINTS {
        let sizes: Vec<String> = grid.iter().map(|(k, v)| format!("{} values of {k}", v.len())).collect();
        return Err(Failure::new(
            format!(
                "the grid has {} points ({}); a sweep has at most {}",
                crate::table::format_units(n_points as f64),
                sizes.join(" × "),
                crate::table::format_units(MAX_POINTS as f64)
            ),
            "split the grid: run one sweep per value of one key (--set KEY=VALUE replaces that key's list), or give fewer values",
        ));
    }
    let threads = worker_threads(request.threads);
    let runs = request.runs.or(file_runs).unwrap_or(DEFAULT_RUNS);
    if runs == 0 || runs > chokepoint_scenario::MAX_RUNS {
        return Err(Failure::new(
            format!("--runs {runs} is out of range"),
            format!("ask for 1 to {} runs per point", chokepoint_scenario::MAX_RUNS),
        ));
    }
    let bands = bands(&base, request.bands);
    preflight(&base, n_points as usize, &bands)?;
    let settings = grid_points(&grid);
    let scenarios = settings
        .iter()
        .map(|s| {
            crate::signals::check()?;
            let all: Vec<(String, String)> = fixed.iter().chain(s).cloned().collect();
            crate::run::load_with(request.file, &all, false)
        })
        .collect::<Result<Vec<Scenario>, Failure>>()?;
    let seed = request.seed.unwrap_or(base.seed);
    let shard = resolve_shard(request.shard, request.shard_count)?;
    let mut points = Vec::with_capacity(scenarios.len());
    for (scenario, settings) in scenarios.iter().zip(&settings) {
        crate::signals::check()?;
        let plan = crate::run::plan(&scenario.model)?;
        points.push(Point { settings: settings.clone(), plan });
    }
    let info = SweepInfo {
        scenario: base.name.clone(),
        file: request.file.display().to_string(),
        start: base.start.to_string(),
        watch: base.report.watch.clone(),
        units: base.model.products.iter().map(|p| p.unit.clone()).collect(),
        grid: grid.clone(),
        points: settings.clone(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        description: base.description.clone().unwrap_or_default(),
        chain: crate::output::chain(&base.model),
    };
    let mut identity: Vec<String> =
        scenarios.iter().map(|s| format!("{:?}", (&s.name, &s.start, &s.model))).collect();
    identity.push(format!("{fixed:?}"));
    identity.push(format!("{info:?}"));
    identity.push(format!("{bands:?}"));
    let config = SweepConfig {
        seed,
        runs: u64::from(runs),
        shard,
        threads,
        step_days: base.report.step_days,
        tag: fingerprint(&identity),
        bands,
    };

    let directory = request
        .output
        .map(Path::to_path_buf)
        .unwrap_or_else(|| crate::run::default_directory(request.file).join("sweep"));
    let staged = if request.nested {
        Staged::nested(&directory)?
    } else if shard == Shard::WHOLE {
        Staged::begin(&directory, Slot::Result)?
    } else {
        Staged::begin(&directory, Slot::Shard(shard.index, shard.count))?
    };
    let rows_path = staged.scratch("kpis-rows")?;
    let result = run_batch(&points, &config, &info, &rows_path);
    let outcome = result.and_then(|aggregate| {
        if shard == Shard::WHOLE {
            write_results(staged.path(), &info, &aggregate, &rows_path)?;
            let _ = std::fs::remove_file(&rows_path);
            staged.commit()?;
            if !request.nested {
                out!("{}", files::table(&info, &aggregate));
                outln!("\nWrote bands.csv, kpis.csv, summary.json in {}", directory.display());
            }
        } else {
            let name = shard::part_name(shard);
            let header = shard::Header::Sweep(Box::new(shard::SweepHeader { info: info.clone(), aggregate }));
            shard::write_part(&staged.path().join(&name), &header, Some(&rows_path))?;
            let _ = std::fs::remove_file(&rows_path);
            staged.commit()?;
            outln!(
                "Shard {}/{}: runs {:?} of {} per point, {} point{}. Wrote {name} in {}",
                shard.index,
                shard.count,
                shard.range(config.runs),
                config.runs,
                points.len(),
                if points.len() == 1 { "" } else { "s" },
                directory.display()
            );
            outln!("Merge the shards with: chokepoint merge {}/shard-*.part -o DIR", directory.display());
        }
        Ok(())
    });
    let _ = std::fs::remove_file(&rows_path);
    outcome
}

/// Runs the batch with a progress bar (on a terminal only), streaming KPI rows to `rows_path`.
fn run_batch(
    points: &[Point<'_>],
    config: &SweepConfig,
    info: &SweepInfo,
    rows_path: &Path,
) -> Result<Aggregate, Failure> {
    let cannot_write = |error: std::io::Error| {
        Failure::new(
            format!(
                "cannot write kpis.csv in '{}': {error}",
                rows_path.parent().unwrap_or(Path::new(".")).display()
            ),
            "check the disk space and permissions of the output directory",
        )
    };
    let mut rows = BufWriter::new(File::create(rows_path).map_err(cannot_write)?);
    let total = config.shard.range(config.runs).count() as u64 * points.len() as u64;
    let bar = crate::progress::Progress::new("sweep", total);
    let progress = |n: u64| bar.inc(n);
    let hooks = Hooks { cancel: &crate::signals::CANCEL, progress: &progress };
    let mut sink = |run: &chokepoint_montecarlo::RunKpis<'_>| -> Result<(), String> {
        rows.write_all(&files::kpis_rows(info, run)).map_err(|e| e.to_string())
    };
    let started = std::time::Instant::now();
    let result = chokepoint_montecarlo::sweep(points, config, &hooks, &mut sink);
    bar.finish();
    let aggregate = result.map_err(|stop| stopped(stop, total, points, info))?;
    rows.flush().map_err(cannot_write)?;
    let seconds = started.elapsed().as_secs_f64();
    eprintln!("{total} runs in {seconds:.1} s ({:.0} runs/s)", total as f64 / seconds.max(1e-9));
    Ok(aggregate)
}

/// A batch stopped by an interrupt after `completed` of `total` runs.
pub(crate) fn interrupted(completed: u64, total: u64) -> Failure {
    Failure::Interrupted(format!(
        "interrupted: {} of {} runs had completed; no result file was written \
         (run again to get results: the same seed gives the same runs)",
        crate::table::format_units(completed as f64),
        crate::table::format_units(total as f64)
    ))
}

/// The first line of the message about `n` replicates that broke an invariant.
pub(crate) fn broken(n: usize) -> String {
    format!("{n} replicate{} broke an invariant:", if n == 1 { "" } else { "s" })
}

/// Says why a batch stopped.
fn stopped(stop: Stop, total: u64, points: &[Point<'_>], info: &SweepInfo) -> Failure {
    match stop {
        Stop::Cancelled { completed } => interrupted(completed, total),
        Stop::Failed(failures) => {
            let mut message = broken(failures.len());
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
            Failure::new(
                message,
                "this is a bug in chokepoint; please report it with the scenario and the seed",
            )
        }
        Stop::TooLarge { bytes, limit } => too_large(bytes, limit),
        Stop::Other(message) => {
            Failure::new(message, "check the disk space, permissions and memory of this machine")
        }
    }
}

/// Writes bands.csv, summary.json and kpis.csv (header + the streamed rows) into
/// `directory`, a staging folder (see `staged`).
fn write_results(
    directory: &Path,
    info: &SweepInfo,
    aggregate: &Aggregate,
    rows_path: &Path,
) -> Result<(), Failure> {
    let bands = files::bands_csv(info, aggregate)?;
    let summary = files::summary_json(info, aggregate)?;
    let written = (|| -> std::io::Result<()> {
        std::fs::write(directory.join("bands.csv"), bands)?;
        std::fs::write(directory.join("summary.json"), summary)?;
        let mut out = BufWriter::new(File::create(directory.join("kpis.csv"))?);
        out.write_all(&files::kpis_header(info))?;
        std::io::copy(&mut File::open(rows_path)?, &mut out)?;
        out.into_inner().map_err(|e| e.into_error())?.sync_all()
    })();
    written.map_err(|error| {
        Failure::new(
            format!("cannot write the sweep's results in '{}': {error}", directory.display()),
            "check the disk space and permissions of the output directory",
        )
    })
}

/// Runs `chokepoint merge`: every shard is checked whole before anything is written. The
/// shards of a ranking (`rank --shard`) go to [`crate::rank::merge`].
pub fn merge(parts: &[PathBuf], output: &Path) -> Result<(), Failure> {
    let mut sweeps = Vec::with_capacity(parts.len());
    let mut ranks = Vec::new();
    for path in parts {
        crate::signals::check()?;
        match shard::read_part(path)? {
            (shard::Header::Sweep(header), part) => sweeps.push((*header, part)),
            (shard::Header::Rank(header), part) => ranks.push((*header, part)),
        }
    }
    if let (Some((_, sweep)), Some((_, rank))) = (sweeps.first(), ranks.first()) {
        return Err(Failure::new(
            format!(
                "{} is a shard of a sweep and {} a shard of a ranking: they cannot be merged together",
                sweep.path().display(),
                rank.path().display()
            ),
            "merge the shard-*.part files of one sweep and the rank-shard-*.part files of one ranking with \
             separate commands, each into its own -o DIR",
        ));
    }
    if !ranks.is_empty() {
        return crate::rank::merge(ranks.into_iter().map(|(header, _)| header).collect(), output);
    }
    let mut opened = sweeps;
    let info = opened[0].0.info.clone();
    if let Some((header, _)) = opened.iter().find(|(h, _)| h.info != info) {
        return Err(Failure::new(
            format!(
                "shard {}/{} comes from another scenario or grid than shard {}/{}",
                header.aggregate.shard.index,
                header.aggregate.shard.count,
                opened[0].0.aggregate.shard.index,
                opened[0].0.aggregate.shard.count
            ),
            "merge only the shards of one sweep",
        ));
    }
    let aggregates: Vec<Aggregate> = opened.iter().map(|(h, _)| h.aggregate.clone()).collect();
    let merged = Aggregate::merge(aggregates).map_err(|why| {
        Failure::new(format!("cannot merge: {why}"), "give every shard-*.part of one sweep once")
    })?;
    opened.sort_by_key(|(h, _)| h.aggregate.shard.index);
    let staged = Staged::begin(output, Slot::Result)?;
    let rows_path = staged.scratch("kpis-rows")?;
    let copied = (|| -> std::io::Result<()> {
        let mut out = BufWriter::new(File::create(&rows_path)?);
        for (_, part) in &opened {
            if crate::signals::cancelled() {
                return Err(std::io::Error::other("interrupted"));
            }
            part.copy_rows(&mut out)?;
        }
        out.flush()
    })();
    crate::signals::check()?;
    copied.map_err(|error| {
        Failure::new(
            format!("cannot write kpis.csv in '{}': {error}", output.display()),
            "check the disk space and permissions of the output directory",
        )
    })?;
    write_results(staged.path(), &info, &merged, &rows_path)?;
    let _ = std::fs::remove_file(&rows_path);
    staged.commit()?;
    out!("{}", files::table(&info, &merged));
    outln!(
        "\nMerged {} shards. Wrote bands.csv, kpis.csv, summary.json in {}",
        parts.len(),
        output.display()
    );
    Ok(())
}
