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
use pyo3::types::PyBytes;
use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyKeyboardInterrupt};
use pyo3::prelude::*;
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

/// Runs `work` on a worker thread with the GIL released, while this thread wakes every
/// [`POLL`] to pass the runs done to `progress(done)` (a Python callable, if given) and to
/// check for Ctrl-C, which raises the work's cancel flag: the work stops between runs and
/// its `Error::Interrupted` becomes `KeyboardInterrupt`.
fn drive<T: Send>(
    py: Python<'_>,
    progress: Option<&Bound<'_, PyAny>>,
    mut wake: impl FnMut() -> PyResult<()>,
    work: impl FnOnce(&Hooks<'_>) -> Result<T, Error> + Send,
) -> PyResult<T> {
    let cancel = AtomicBool::new(false);
    let done = AtomicU64::new(0);
    let finished = AtomicBool::new(false);
    let mut raised: Option<PyErr> = None;
    let outcome = std::thread::scope(|scope| {
        let worker = scope.spawn(|| {
            let count = |n: u64| {
                done.fetch_add(n, Ordering::Relaxed);
            };
            let result = work(&Hooks { cancel: &cancel, progress: &count });
            finished.store(true, Ordering::Release);
            result
        });
        let mut reported = u64::MAX;
        loop {
            py.detach(|| {
                let deadline = std::time::Instant::now() + POLL;
                while !finished.load(Ordering::Acquire) && std::time::Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(5));
                }
            });
            if raised.is_none()
                && let Err(error) = wake()
            {
                raised = Some(error);
                cancel.store(true, Ordering::Relaxed);
            }
            let now = done.load(Ordering::Relaxed);
            if let Some(callback) = progress
                && now != reported
                && raised.is_none()
            {
                reported = now;
                if let Err(error) = callback.call1((now,)) {
                    raised = Some(error);
                    cancel.store(true, Ordering::Relaxed);
                }
            }
            if raised.is_none()
                && let Err(error) = py.check_signals()
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

/// The bytes of the files named `names` among `files`, as a dict of name to bytes.
fn file_dict<'py>(py: Python<'py>, files: &[chokepoint::OutputFile]) -> PyResult<Bound<'py, PyDict>> {
    let out = PyDict::new(py);
    for file in files {
        out.set_item(&file.name, PyBytes::new(py, &file.contents))?;
    }
    Ok(out)
}

/// Prepares a sweep of `path` (GIL released) and returns the replicates it runs and a
/// handle to run it: `(total, sweep)`. `settings` are `(key, [values])` pairs, as `--set
/// key=v1,v2` gives; `bands` is `"all"`, `"watched"` or None (the file's `[report] bands`).
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
                Some("give bands=\"watched\" (the default), \"all\" or None (the file's [report] bands)".into()),
            ));
        }
    };
    let options = chokepoint::sweep::Options { settings, runs, seed, threads, shard: None, all_bands };
    let prepared = py
        .detach(|| chokepoint::sweep::prepare(&path, &options, &chokepoint::batch::NEVER))
        .map_err(|e| py_error(py, e))?;
    if let Some(start) = &start {
        start.call1((prepared.total(),))?;
    }
    let swept = drive(py, progress.as_ref(), || Ok(()), |hooks| {
        let mut kpis = chokepoint::sweep_files::kpis_header(&prepared.info);
        let aggregate = prepared.run(hooks, &mut |rows| {
            kpis.extend_from_slice(rows);
            Ok(())
        })?;
        let swept = chokepoint::sweep::Sweep { info: prepared.info.clone(), aggregate, kpis_csv: kpis };
        Ok((swept.files()?, swept.table()))
    })?;
    let out = PyDict::new(py);
    out.set_item("files", file_dict(py, &swept.0)?)?;
    out.set_item("table", swept.1)?;
    out.set_item("warnings", diagnostics(py, &prepared.warnings)?)?;
    out.set_item("runs", prepared.config.runs)?;
    out.set_item("seed", prepared.config.seed)?;
    Ok(out)
}

/// Ranks the single points of failure of `path` (as `chokepoint rank`) and returns its
/// files (`rank.csv`, `rank.json`) and the printed table.
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
    let by = match by {
        "facility" => chokepoint::montecarlo::By::Facility,
        "region" => chokepoint::montecarlo::By::Region,
        "product" => chokepoint::montecarlo::By::Product,
        "region-product" => chokepoint::montecarlo::By::RegionProduct,
        other => {
            return Err(with_hint(
                py,
                ChokepointError::new_err(format!("by={other:?}: not a kind of candidate")),
                Some("give by=\"facility\", \"region\", \"product\" or \"region-product\"".into()),
            ));
        }
    };
    let options = chokepoint::rank::Options {
        by,
        disruption: disruption.to_owned(),
        start: start_day,
        runs,
        seed,
        threads,
        settings,
        watch,
        shard: chokepoint::Shard::WHOLE,
    };
    let prepared = py.detach(|| chokepoint::rank::prepare(&path, &options)).map_err(|e| py_error(py, e))?;
    if let Some(start) = &start {
        start.call1((prepared.tasks(),))?;
    }
    let (files, table) = drive(py, progress.as_ref(), || Ok(()), |hooks| {
        let ranking = chokepoint::rank::whole(prepared.run(hooks)?)?;
        let files = chokepoint::rank::files(&prepared.info, &ranking, top)?;
        Ok((files, chokepoint::rank::table(&prepared.info, &ranking, top)))
    })?;
    let out = PyDict::new(py);
    out.set_item("files", file_dict(py, &files)?)?;
    out.set_item("table", table)?;
    out.set_item("warnings", diagnostics(py, &prepared.warnings)?)?;
    Ok(out)
}

/// Scores `path`'s replicates against its observation files (as `chokepoint backtest`)
/// and returns its files (`backtest.csv`, `backtest.json`, `trade_bands.csv`) and the
/// scorecard.
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
    let loaded = py.detach(|| chokepoint::load(&path, &[])).map_err(|e| py_error(py, e))?;
    if let Some(start) = &start {
        start.call1((chokepoint::backtest::runs_of(&loaded.scenario, &options),))?;
    }
    let (files, card) = drive(py, progress.as_ref(), || Ok(()), |hooks| {
        let scored = chokepoint::backtest::score_scenario(&path, &loaded.scenario, &options, hooks)?;
        let card = chokepoint::backtest::scorecard(&scored);
        Ok((chokepoint::backtest::files(&[scored])?, card))
    })?;
    let out = PyDict::new(py);
    out.set_item("files", file_dict(py, &files)?)?;
    out.set_item("scorecard", card)?;
    out.set_item("warnings", diagnostics(py, &loaded.warnings)?)?;
    Ok(out)
}

/// Writes the briefing of `path` (as `chokepoint report`) into `output`, which must be a
/// new or empty folder (it is removed again if the report fails); returns the headline.
/// `stage(what, runs)` is called as each stage begins.
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
    let fresh = !output.exists();
    if !fresh && std::fs::read_dir(&output).map(|mut d| d.next().is_some()).unwrap_or(true) {
        return Err(with_hint(
            py,
            ChokepointError::new_err(format!("'{}' is not an empty folder", output.display())),
            Some("give a new folder for the report (chokepoint report on the command line replaces one whole)".into()),
        ));
    }
    let rank = match rank_by.as_deref() {
        None => None,
        Some(text) => Some(chokepoint::brief::Ranked {
            by: match text {
                "facility" => chokepoint::montecarlo::By::Facility,
                "region" => chokepoint::montecarlo::By::Region,
                "product" => chokepoint::montecarlo::By::Product,
                _ => chokepoint::montecarlo::By::RegionProduct,
            },
            disruption: rank_disruption.to_owned(),
            start: None,
            runs: rank_runs,
        }),
    };
    let options = chokepoint::brief::Options { sets, runs, seed, threads, rank, ..Default::default() };
    // Stages are announced from the worker and passed on when this thread wakes.
    let stages = std::sync::Mutex::new(Vec::<(String, u64)>::new());
    let announce = |what: &str, runs: u64| {
        if let Ok(mut list) = stages.lock() {
            list.push((what.to_owned(), runs));
        }
    };
    let pass_on = || -> PyResult<()> {
        let pending: Vec<(String, u64)> = stages.lock().map(|mut list| list.drain(..).collect()).unwrap_or_default();
        if let Some(callback) = &stage {
            for (what, runs) in pending {
                callback.call1((what, runs))?;
            }
        }
        Ok(())
    };
    let written = drive(py, progress.as_ref(), pass_on, |hooks| {
        let observer = chokepoint::brief::Observer {
            hooks: Hooks { cancel: hooks.cancel, progress: hooks.progress },
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
                for entry in entries.flatten() {
                    let _ = std::fs::remove_dir_all(entry.path()).or_else(|_| std::fs::remove_file(entry.path()));
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
