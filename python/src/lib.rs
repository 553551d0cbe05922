//! `chokepoint._chokepoint`: the Rust half of the Python package.
//!
//! Thin over the `chokepoint` facade: each function loads a scenario, runs it with the GIL
//! released, and hands back plain Python lists and dicts (the pure-Python `chokepoint`
//! package builds the pandas DataFrames). A rejected scenario raises `ScenarioError`, whose
//! `diagnostics` attribute lists every problem with its file, line, column and hint.

use std::path::{Path, PathBuf};

use chokepoint::engine::EntityKind;
use chokepoint::report::explain::{ExplainError, explain as trace};
use chokepoint::scenario::{Loaded, Report};
use chokepoint::{Error, Run};
use pyo3::create_exception;
use pyo3::exceptions::PyException;
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

/// The extension module.
#[pymodule]
fn _chokepoint(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(run, m)?)?;
    m.add_function(wrap_pyfunction!(explain, m)?)?;
    m.add("ChokepointError", m.py().get_type::<ChokepointError>())?;
    m.add("ScenarioError", m.py().get_type::<ScenarioError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
