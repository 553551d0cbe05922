//! `chokepoint._chokepoint`: the Rust half of the Python package.
//!
//! Thin over the `chokepoint` facade: each function loads a scenario, runs it with the GIL
//! released, and hands back plain Python lists and dicts (the pure-Python `chokepoint`
//! package builds the pandas DataFrames). A rejected scenario raises `ScenarioError`, whose
//! `diagnostics` attribute lists every problem with its file, line, column and hint.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use chokepoint::engine::EntityKind;
use chokepoint::report::explain::{ExplainError, explain as trace};
use chokepoint::scenario::{Loaded, Report};
use chokepoint::{Error, Hooks, Run};
use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyKeyboardInterrupt};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use pyo3::types::{PyDict, PyList};

create_exception!(
    chokepoint,
    ChokepointError,
    PyException,
    "A chokepoint workflow could not be done; `hint` (if not None) says what to do."
);
create_exception!(
    chokepoint,
    ScenarioError,
    ChokepointError,
    "A scenario file (or a world file it extends) was rejected. The message is the rendered \
     diagnostics; `diagnostics` is a list of dicts with severity, message, file, line, \
     column, end_line, end_column and hint."
);

/// A diagnostics report as a list of dicts (the JSON `chokepoint check --json` prints).
fn diagnostics<'py>(py: Python<'py>, report: &Report) -> PyResult<Bound<'py, PyAny>> {
    py.import("json")?.call_method1("loads", (report.to_json().to_string(),))
}

/// A Python exception for a facade error.
fn py_error(py: Python<'_>, error: Error) -> PyErr {
    match error {
        Error::Scenario(report) => {
            let err = ScenarioError::new_err(report.render(false).trim_end().to_owned());
            let value = err.value(py);
            let set = diagnostics(py, &report).and_then(|list| value.setattr("diagnostics", list));
            if let Err(inner) = set {
                return inner;
            }
            let _ = value.setattr("hint", py.None());
            err
        }
        Error::Model(_) => with_hint(py, ChokepointError::new_err(error.to_string()), None),
        Error::Interrupted(message) => PyKeyboardInterrupt::new_err(message),
        Error::Other { message, hint } => with_hint(py, ChokepointError::new_err(message), Some(hint)),
    }
}

fn with_hint(py: Python<'_>, err: PyErr, hint: Option<String>) -> PyErr {
    let _ = err.value(py).setattr("hint", hint);
    err
}

fn explain_error(py: Python<'_>, error: &ExplainError) -> PyErr {
    with_hint(py, ChokepointError::new_err(error.to_string()), Some(error.hint()))
}

/// Loads `path` with `settings` and runs replicate 0 (the GIL is released by the caller).
fn load_and_run(
    path: &Path,
    seed: Option<u64>,
    settings: &[(String, String)],
) -> Result<(Loaded, Run), Error> {
    let loaded = chokepoint::load(path, settings)?;
    let run = chokepoint::run(&loaded.scenario, seed)?;
    Ok((loaded, run))
}

/// Runs replicate 0 of the scenario at `path` (with the scenario's seed unless `seed` is
/// given, and the `(dotted key, TOML value text)` pairs of `settings` set as `--set` sets
/// them) and returns a dict of plain lists: `name`, `file`, `seed`, `start` (ISO date),
/// `horizon_days`, `first_disruption_day`, `entities`, `kpis`, `series`, `events` and
/// `warnings`.
#[pyfunction]
#[pyo3(signature = (path, seed=None, settings=Vec::new()))]
fn run<'py>(
    py: Python<'py>,
    path: PathBuf,
    seed: Option<u64>,
    settings: Vec<(String, String)>,
) -> PyResult<Bound<'py, PyDict>> {
    let (loaded, run) = py.detach(|| load_and_run(&path, seed, &settings)).map_err(|e| py_error(py, e))?;
    let scenario = &loaded.scenario;
    let model = &scenario.model;
    let result = &run.result;
    let name_of = |id: &str| scenario.names.get(id).cloned().unwrap_or_else(|| id.to_owned());

    let out = PyDict::new(py);
    out.set_item("name", &scenario.name)?;
    out.set_item("file", path.display().to_string())?;
    out.set_item("seed", run.seed)?;
    out.set_item("start", scenario.start.to_string())?;
    out.set_item("horizon_days", result.horizon_days)?;
    out.set_item("first_disruption_day", result.first_disruption_day)?;

    let entities = PyList::empty(py);
    for entity in &result.entities {
        let row = PyDict::new(py);
        row.set_item("id", &entity.id)?;
        row.set_item("name", name_of(&entity.id))?;
        row.set_item("kind", entity.kind.as_str())?;
        row.set_item("region", entity.region.as_str())?;
        row.set_item("product", &model.products[entity.product.0 as usize].id)?;
        entities.append(row)?;
    }
    out.set_item("entities", &entities)?;

    // One row per facility and sink (a stockpile has series but no demand, so no KPIs), as
    // in summary.json.
    let kpis = PyList::empty(py);
    let rows = result.entities.iter().zip(&result.kpis).zip(&result.headroom).enumerate();
    for (index, ((entity, k), headroom)) in rows {
        if entity.kind == EntityKind::Stockpile {
            continue;
        }
        let row = PyDict::new(py);
        row.set_item("entity", index)?;
        row.set_item("time_to_survive_days", k.time_to_survive_days)?;
        row.set_item("time_to_recover_days", k.time_to_recover_days)?;
        row.set_item("peak_shortage", k.peak_shortage)?;
        row.set_item("unmet_units", k.unmet_units)?;
        row.set_item("lost_value", k.lost_value)?;
        row.set_item("fill_rate", k.fill_rate)?;
        row.set_item("min_cover_days", headroom.map(|h| h.min_cover_days))?;
        row.set_item("min_cover_day", headroom.map(|h| h.day))?;
        row.set_item("min_cover_input", headroom.map(|h| model.products[h.input.0 as usize].id.clone()))?;
        let supplier = headroom.and_then(|h| h.supplier).map(|f| model.facilities[f.0 as usize].id.clone());
        row.set_item("min_cover_supplier", supplier)?;
        kpis.append(row)?;
    }
    out.set_item("kpis", kpis)?;

    let series = PyList::empty(py);
    for s in &result.series {
        let row = PyDict::new(py);
        row.set_item("entity", s.entity)?;
        row.set_item("metric", &s.metric)?;
        row.set_item("is_flow", s.is_flow)?;
        row.set_item(
            "values",
            PyList::new(py, &s.values[..s.values.len().min(result.horizon_days as usize)])?,
        )?;
        series.append(row)?;
    }
    out.set_item("series", series)?;

    let events = PyList::empty(py);
    for e in &result.events {
        events.append((e.day, e.kind.as_str(), &e.subject, &e.detail))?;
    }
    out.set_item("events", events)?;
    out.set_item("warnings", diagnostics(py, &loaded.warnings)?)?;
    Ok(out)
}

/// Runs the scenario at `path` once (as `run` does) and returns, as sentences, why
/// `entity` ran short: the chain `chokepoint explain` prints.
#[pyfunction]
#[pyo3(signature = (path, entity, seed=None, settings=Vec::new()))]
fn explain(
    py: Python<'_>,
    path: PathBuf,
    entity: String,
    seed: Option<u64>,
    settings: Vec<(String, String)>,
) -> PyResult<Vec<String>> {
    let lines = py.detach(|| {
        let (loaded, run) = load_and_run(&path, seed, &settings).map_err(Err)?;
        let scenario = &loaded.scenario;
        let explanation = trace(&scenario.model, &run.result, &entity).map_err(Ok)?;
        Ok(explanation.lines(&|day| scenario.date_of(day).to_string()))
    });
    // Ok(error) is an explanation error, Err(error) a facade one.
    lines.map_err(|error: Result<ExplainError, Error>| match error {
        Ok(error) => explain_error(py, &error),
        Err(error) => py_error(py, error),
    })
}

/// How often a long call wakes to report progress and to look for Ctrl-C.
const POLL: Duration = Duration::from_millis(100);

/// Sets its flag when dropped: the worker's end, even when it panics.
struct Finished<'a>(&'a AtomicBool);

impl Drop for Finished<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Release);
    }
}

/// Runs `work` on a worker thread with the GIL released, while this thread wakes every
/// [`POLL`] to call `wake` (a call's own news, such as a report's stages), to pass the total
/// once the work has set it to `start(total)` and the runs done to `progress(done)` (Python
/// callables, if given), and to check for Ctrl-C. An exception from a callback or Ctrl-C
/// raises the work's cancel flag: the work stops between runs (or between the points it
/// loads), and the exception is raised once it has.
fn drive<T: Send>(
    py: Python<'_>,
    start: Option<&Bound<'_, PyAny>>,
    progress: Option<&Bound<'_, PyAny>>,
    mut wake: impl FnMut() -> PyResult<()>,
    work: impl FnOnce(&Hooks<'_>, &(dyn Fn(u64) + Sync)) -> Result<T, Error> + Send,
) -> PyResult<T> {
    let cancel = AtomicBool::new(false);
    let done = AtomicU64::new(0);
    let total = AtomicU64::new(u64::MAX);
    let finished = AtomicBool::new(false);
    let mut raised: Option<PyErr> = None;
    let outcome = std::thread::scope(|scope| {
        let worker = scope.spawn(|| {
            let _finished = Finished(&finished);
            let count = |n: u64| {
                done.fetch_add(n, Ordering::Relaxed);
            };
            let set_total = |n: u64| total.store(n, Ordering::Relaxed);
            work(&Hooks { cancel: &cancel, progress: &count }, &set_total)
        });
        let (mut started, mut reported) = (false, u64::MAX);
        loop {
            py.detach(|| {
                let deadline = std::time::Instant::now() + POLL;
                while !finished.load(Ordering::Acquire) && std::time::Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(5));
                }
            });
            let mut step = || -> PyResult<()> {
                wake()?;
                let known = total.load(Ordering::Relaxed);
                if !started && known != u64::MAX {
                    started = true;
                    if let Some(start) = start {
                        start.call1((known,))?;
                    }
                }
                let now = done.load(Ordering::Relaxed);
                if let Some(callback) = progress
                    && started
                    && now != reported
                {
                    reported = now;
                    callback.call1((now,))?;
                }
                py.check_signals()
            };
            if raised.is_none()
                && let Err(error) = step()
            {
                raised = Some(error);
                cancel.store(true, Ordering::Relaxed);
            }
            if finished.load(Ordering::Acquire) {
                break;
            }
        }
        py.detach(|| worker.join())
    });
    if let Some(error) = raised {
        return Err(error);
    }
    match outcome {
        Ok(result) => result.map_err(|e| py_error(py, e)),
        Err(_) => Err(ChokepointError::new_err("a worker thread panicked; this is a bug in chokepoint")),
    }
}

/// The bytes of `files`, as a dict of name to bytes.
fn file_dict<'py>(py: Python<'py>, files: &[chokepoint::OutputFile]) -> PyResult<Bound<'py, PyDict>> {
    let out = PyDict::new(py);
    for file in files {
        out.set_item(&file.name, PyBytes::new(py, &file.contents))?;
    }
    Ok(out)
}

/// `by=` as the kind of candidate.
fn candidates_by(py: Python<'_>, by: &str) -> PyResult<chokepoint::montecarlo::By> {
    use chokepoint::montecarlo::By;
    match by {
        "facility" => Ok(By::Facility),
        "region" => Ok(By::Region),
        "product" => Ok(By::Product),
        "region-product" => Ok(By::RegionProduct),
        other => Err(with_hint(
            py,
            ChokepointError::new_err(format!("{other:?} is not a kind of candidate")),
            Some("give \"facility\", \"region\", \"product\" or \"region-product\"".into()),
        )),
    }
}

/// Sweeps `path` (as `chokepoint sweep`) and returns its files (`bands.csv`, `kpis.csv`,
/// `summary.json`), the printed table, the warnings, runs and seed. `settings` are `(key,
/// [values])` pairs, as `--set key=v1,v2` gives; `bands` is `"all"`, `"watched"` or None (the
/// file's `[report] bands`). `start(total)` is called once the points are loaded,
/// `progress(done)` as runs complete.
#[pyfunction]
#[pyo3(signature = (path, runs=None, seed=None, settings=Vec::new(), threads=0, bands=None, progress=None, start=None))]
#[allow(clippy::too_many_arguments)]
fn sweep<'py>(
    py: Python<'py>,
    path: PathBuf,
    runs: Option<u32>,
    seed: Option<u64>,
    settings: Vec<(String, Vec<String>)>,
    threads: usize,
    bands: Option<String>,
    progress: Option<Bound<'py, PyAny>>,
    start: Option<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let all_bands = match bands.as_deref() {
        None => None,
        Some("all") => Some(true),
        Some("watched") => Some(false),
        Some(other) => {
            return Err(with_hint(
                py,
                ChokepointError::new_err(format!("bands={other:?}: not a choice")),
                Some("give bands=\"watched\", \"all\" or None (the file's [report] bands)".into()),
            ));
        }
    };
    let options = chokepoint::sweep::Options { settings, runs, seed, threads, shard: None, all_bands };
    let (files, table, warnings, config) = drive(
        py,
        start.as_ref(),
        progress.as_ref(),
        || Ok(()),
        |hooks, set_total| {
            let prepared = chokepoint::sweep::prepare(&path, &options, hooks.cancel)?;
            set_total(prepared.total());
            let mut kpis = chokepoint::sweep_files::kpis_header(&prepared.info);
            let aggregate = prepared.run(hooks, &mut |rows| {
                kpis.extend_from_slice(rows);
                Ok(())
            })?;
            let config = (prepared.config.runs, prepared.config.seed);
            let swept = chokepoint::sweep::Sweep { info: prepared.info, aggregate, kpis_csv: kpis };
            Ok((swept.files()?, swept.table(), prepared.warnings, config))
        },
    )?;
    let out = PyDict::new(py);
    out.set_item("files", file_dict(py, &files)?)?;
    out.set_item("table", table)?;
    out.set_item("warnings", diagnostics(py, &warnings)?)?;
    out.set_item("runs", config.0)?;
    out.set_item("seed", config.1)?;
    Ok(out)
}

/// Ranks the single points of failure of `path` (as `chokepoint rank`) and returns its
/// files (`rank.csv`, `rank.json`, `rank.svg`, `rank.png`), the printed table and the
/// warnings.
#[pyfunction]
#[pyo3(signature = (path, by="facility", disruption="full-stop:90d", start_day=None, runs=None, seed=None, settings=Vec::new(), watch=Vec::new(), threads=0, top=15, progress=None, start=None))]
#[allow(clippy::too_many_arguments)]
fn rank<'py>(
    py: Python<'py>,
    path: PathBuf,
    by: &str,
    disruption: &str,
    start_day: Option<String>,
    runs: Option<u32>,
    seed: Option<u64>,
    settings: Vec<(String, String)>,
    watch: Vec<String>,
    threads: usize,
    top: usize,
    progress: Option<Bound<'py, PyAny>>,
    start: Option<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let options = chokepoint::rank::Options {
        by: candidates_by(py, by)?,
        disruption: disruption.to_owned(),
        start: start_day,
        runs,
        seed,
        threads,
        settings,
        watch,
        shard: chokepoint::Shard::WHOLE,
    };
    let (files, table, warnings) = drive(
        py,
        start.as_ref(),
        progress.as_ref(),
        || Ok(()),
        |hooks, set_total| {
            let prepared = chokepoint::rank::prepare(&path, &options)?;
            set_total(prepared.tasks());
            let ranking = chokepoint::rank::whole(prepared.run(hooks)?)?;
            let files = chokepoint::rank::files(&prepared.info, &ranking, top, hooks.cancel)?;
            Ok((files, chokepoint::rank::table(&prepared.info, &ranking, top), prepared.warnings))
        },
    )?;
    let out = PyDict::new(py);
    out.set_item("files", file_dict(py, &files)?)?;
    out.set_item("table", table)?;
    out.set_item("warnings", diagnostics(py, &warnings)?)?;
    Ok(out)
}

/// Scores `path`'s replicates against its observation files (as `chokepoint backtest`)
/// and returns its files (`backtest.csv`, `backtest.json`, `trade_bands.csv`, the fan
/// charts), the scorecard and the warnings.
#[pyfunction]
#[pyo3(signature = (path, runs=None, seed=None, threads=0, progress=None, start=None))]
fn backtest<'py>(
    py: Python<'py>,
    path: PathBuf,
    runs: Option<u32>,
    seed: Option<u64>,
    threads: usize,
    progress: Option<Bound<'py, PyAny>>,
    start: Option<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let options = chokepoint::backtest::Options { runs, seed, threads };
    let (files, card, warnings) = drive(
        py,
        start.as_ref(),
        progress.as_ref(),
        || Ok(()),
        |hooks, set_total| {
            let loaded = chokepoint::load(&path, &[])?;
            set_total(u64::from(chokepoint::backtest::runs_of(&loaded.scenario, &options)));
            let scored = chokepoint::backtest::score_scenario(&path, &loaded.scenario, &options, hooks)?;
            let card = chokepoint::backtest::scorecard(&scored);
            Ok((chokepoint::backtest::files(&[scored], hooks.cancel)?, card, loaded.warnings))
        },
    )?;
    let out = PyDict::new(py);
    out.set_item("files", file_dict(py, &files)?)?;
    out.set_item("scorecard", card)?;
    out.set_item("warnings", diagnostics(py, &warnings)?)?;
    Ok(out)
}

/// Writes the briefing of `path` (as `chokepoint report`) into `output`, which must be a
/// new folder (its parent existing) or an empty one; if the report fails, a new folder is
/// removed and an empty one emptied again. Returns the headline. `stage(what, runs)` is
/// called as each stage begins, `progress(done)` as runs complete (counted over all stages).
#[pyfunction]
#[pyo3(signature = (path, output, runs=None, seed=None, sets=Vec::new(), threads=0, rank_by=None, rank_disruption="full-stop:90d", rank_runs=20, progress=None, stage=None))]
#[allow(clippy::too_many_arguments)]
fn report<'py>(
    py: Python<'py>,
    path: PathBuf,
    output: PathBuf,
    runs: Option<u32>,
    seed: Option<u64>,
    sets: Vec<String>,
    threads: usize,
    rank_by: Option<String>,
    rank_disruption: &str,
    rank_runs: u32,
    progress: Option<Bound<'py, PyAny>>,
    stage: Option<Bound<'py, PyAny>>,
) -> PyResult<String> {
    let refuse =
        |why: String, hint: &str| with_hint(py, ChokepointError::new_err(why), Some(hint.to_owned()));
    let hint = "give a new folder (in an existing one) or an empty one for the report";
    if output.as_os_str().is_empty() {
        return Err(refuse("the report's folder is empty text".into(), hint));
    }
    // A symbolic link (even a dangling one) counts as existing, and is refused unless it
    // leads to an empty folder.
    let fresh = std::fs::symlink_metadata(&output).is_err();
    if fresh {
        let parent = output.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        if !parent.is_dir() {
            return Err(refuse(format!("'{}' does not exist", parent.display()), hint));
        }
    } else if !output.is_dir() || std::fs::read_dir(&output).map(|mut d| d.next().is_some()).unwrap_or(true) {
        return Err(refuse(format!("'{}' is not an empty folder", output.display()), hint));
    }
    let rank = match rank_by.as_deref() {
        None => None,
        Some(by) => Some(chokepoint::brief::Ranked {
            by: candidates_by(py, by)?,
            disruption: rank_disruption.to_owned(),
            start: None,
            runs: rank_runs,
        }),
    };
    let options = chokepoint::brief::Options { sets, runs, seed, threads, rank, ..Default::default() };
    // Stages are announced from the worker, each with the runs done by then, and passed on
    // when this thread wakes: the runs done (so the last stage's bar ends full), then the
    // stage.
    let counted = AtomicU64::new(0);
    let stages = std::sync::Mutex::new(Vec::<(String, u64, u64)>::new());
    let announce = |what: &str, runs: u64| {
        if let Ok(mut list) = stages.lock() {
            list.push((what.to_owned(), runs, counted.load(Ordering::Relaxed)));
        }
    };
    let pass_on = || -> PyResult<()> {
        let pending: Vec<(String, u64, u64)> =
            stages.lock().map(|mut list| list.drain(..).collect()).unwrap_or_default();
        for (what, runs, done) in pending {
            if let Some(callback) = &progress {
                callback.call1((done,))?;
            }
            if let Some(callback) = &stage {
                callback.call1((what, runs))?;
            }
        }
        Ok(())
    };
    let written = drive(py, None, progress.as_ref(), pass_on, |hooks, set_total| {
        set_total(0);
        let count = |n: u64| {
            counted.fetch_add(n, Ordering::Relaxed);
            (hooks.progress)(n);
        };
        let observer = chokepoint::brief::Observer {
            hooks: Hooks { cancel: hooks.cancel, progress: &count },
            stage: &announce,
        };
        chokepoint::brief::write(&path, &options, &output, &observer)
    });
    match written {
        Ok(written) => Ok(written.headline),
        Err(error) => {
            if fresh {
                let _ = std::fs::remove_dir_all(&output);
            } else if let Ok(entries) = std::fs::read_dir(&output) {
                // The folder was empty: everything in it is this call's.
                for entry in entries.flatten() {
                    let path = entry.path();
                    let _ = if path.is_dir() {
                        std::fs::remove_dir_all(&path)
                    } else {
                        std::fs::remove_file(&path)
                    };
                }
            }
            Err(error)
        }
    }
}

/// The extension module.
#[pymodule]
fn _chokepoint(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(run, m)?)?;
    m.add_function(wrap_pyfunction!(explain, m)?)?;
    m.add_function(wrap_pyfunction!(sweep, m)?)?;
    m.add_function(wrap_pyfunction!(rank, m)?)?;
    m.add_function(wrap_pyfunction!(backtest, m)?)?;
    m.add_function(wrap_pyfunction!(report, m)?)?;
    m.add("ChokepointError", m.py().get_type::<ChokepointError>())?;
    m.add("ScenarioError", m.py().get_type::<ScenarioError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
