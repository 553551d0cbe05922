//! `chokepoint sweep` and `chokepoint merge`: Monte Carlo batches over a grid of settings,
//! on one machine or cut into shards, and the merge of the shards.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use chokepoint_montecarlo::{Aggregate, Bands, Hooks, Point, Shard, Stop, SweepConfig};
use chokepoint_scenario::Scenario;

use crate::Failure;
use crate::batch::{broken, fingerprint, interrupted, resolve_shard, worker_threads};
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
    /// With `nested`: a folder that may hold this very sweep from an earlier report (its
    /// files and a [`KEY_FILE`] naming the same models, settings, seed, runs and version): its
    /// files are copied instead of running the sweep again.
    pub reuse: Option<&'a Path>,
}

/// The file a nested sweep writes beside its results to say what it is, so that a later
/// report with the same inputs can reuse it (`Request::reuse`).
pub const KEY_FILE: &str = "sweep.key";

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

/// `key=v1,v2,…` as its key and values (`chokepoint::settings::split`).
pub fn split_setting(text: &str) -> Result<(String, Vec<String>), Failure> {
    chokepoint::settings::split(text).map_err(Failure::from)
}

/// Most points in a sweep's grid.
pub const MAX_POINTS: u64 = 10_000;

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
        chain: crate::output::chain(&base.model, &base.names),
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
    let key = format!(
        "chokepoint-sweep-key 1\n{:016x} seed {} runs {} bands {:?} version {}\n",
        config.tag,
        config.seed,
        config.runs,
        config.bands,
        env!("CARGO_PKG_VERSION")
    );
    if request.nested
        && shard == Shard::WHOLE
        && let Some(previous) = request.reuse
        && reuse(previous, staged.path(), &key)?
    {
        eprintln!(
            "chokepoint report: the sweep in {} has the same scenario, settings, seed and runs: reused",
            previous.display()
        );
        return Ok(());
    }
    let rows_path = staged.scratch("kpis-rows")?;
    let result = run_batch(&points, &config, &info, &rows_path);
    let outcome = result.and_then(|aggregate| {
        if shard == Shard::WHOLE {
            write_results(staged.path(), &info, &aggregate, &rows_path)?;
            let _ = std::fs::remove_file(&rows_path);
            if request.nested {
                write_key(staged.path(), &key)?;
            }
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

/// The result files of a sweep, which a reused one copies.
const RESULT_FILES: [&str; 3] = ["bands.csv", "kpis.csv", "summary.json"];

/// Copies the sweep in `previous` into `into` when its key file is `key` and it has every
/// result file; `false` (nothing copied) otherwise.
fn reuse(previous: &Path, into: &Path, key: &str) -> Result<bool, Failure> {
    let same = std::fs::read_to_string(previous.join(KEY_FILE)).is_ok_and(|k| k == key);
    if !same || !RESULT_FILES.iter().all(|name| previous.join(name).is_file()) {
        return Ok(false);
    }
    for name in RESULT_FILES {
        std::fs::copy(previous.join(name), into.join(name)).map_err(|error| {
            Failure::new(
                format!("cannot copy {name} from '{}': {error}", previous.display()),
                "delete that folder to sweep again, or check its permissions",
            )
        })?;
    }
    write_key(into, key)?;
    Ok(true)
}

fn write_key(directory: &Path, key: &str) -> Result<(), Failure> {
    std::fs::write(directory.join(KEY_FILE), key).map_err(|error| {
        Failure::new(
            format!("cannot write {KEY_FILE} in '{}': {error}", directory.display()),
            "check the disk space and permissions of the output directory",
        )
    })
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

/// Merges the parts of one sweep (read and checked by `merge::merge`) into `output`.
pub fn merge_parts(sweeps: Vec<(shard::SweepHeader, shard::Part)>, output: &Path) -> Result<(), Failure> {
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
        opened.len(),
        output.display()
    );
    Ok(())
}
