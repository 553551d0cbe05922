//! `chokepoint run`: load, run one replicate, print, write.

use std::path::{Path, PathBuf};

use chokepoint_engine::Plan;

use crate::failure::Failure;
use crate::staged::{Slot, Staged};

/// Reads and validates a scenario file (and the world files it extends), its `[sweep]`
/// grid included, printing warnings.
pub fn load(file: &Path) -> Result<chokepoint_scenario::Scenario, Failure> {
    accept(file, chokepoint::load(file, &[]), true)
}

/// Reads and validates a scenario file with keys set by dotted path (`--set`), printing
/// warnings only when `warn`. The file's `[sweep]` grid is not read: this is one point of it.
pub fn load_with(
    file: &Path,
    settings: &[(String, String)],
    warn: bool,
) -> Result<chokepoint_scenario::Scenario, Failure> {
    accept(file, chokepoint::load(file, settings), warn)
}

/// The loaded scenario, or its rendered diagnostics as a failure.
fn accept(
    file: &Path,
    loaded: Result<chokepoint_scenario::Loaded, chokepoint::Error>,
    warn: bool,
) -> Result<chokepoint_scenario::Scenario, Failure> {
    let loaded = loaded.map_err(|error| rejected(file, error))?;
    if warn {
        self::warn(&loaded.warnings);
    }
    Ok(loaded.scenario)
}

/// Prints the warnings of loading a scenario, if any.
pub fn warn(warnings: &chokepoint_scenario::Report) {
    if !warnings.diagnostics.is_empty() {
        eprint!("{}", warnings.render(crate::failure::colour()));
    }
}

/// A library error about the scenario `file` as a failure: a rejected file's diagnostics
/// end with how many errors the file they were read from has (the scenario, or an
/// observation file it names) and that nothing was run.
pub fn rejected(file: &Path, error: chokepoint::Error) -> Failure {
    match error {
        chokepoint::Error::Scenario(report) => {
            let n = report.n_errors();
            // The first file read: the scenario (or the observation file); `--set` settings
            // are a pseudo-file named `<command line>`.
            let read = report.sources.files().iter().map(|f| f.name.clone()).find(|n| !n.starts_with('<'));
            let summary = format!(
                "{}: {n} error{} found; nothing was run",
                read.unwrap_or_else(|| file.display().to_string()),
                if n == 1 { "" } else { "s" }
            );
            Failure::Scenario(format!("{}{summary}", report.render(crate::failure::colour())))
        }
        other => other.into(),
    }
}

/// Runs `file` once, with the keys of `sets` (`key=value`) set, and writes its results.
pub fn run(file: &Path, output: Option<&Path>, seed: Option<u64>, sets: &[String]) -> Result<(), Failure> {
    let settings = single_settings(sets, "a run", "sweep several values with chokepoint sweep --set")?;
    let scenario = load_with(file, &settings, true)?;
    // The model's problems before any folder is touched.
    plan(&scenario.model)?;
    let directory = output.map(Path::to_path_buf).unwrap_or_else(|| default_directory(file));
    let staged = Staged::begin(&directory, Slot::Result)?;
    crate::signals::check()?;
    let run = chokepoint::run(&scenario, seed)?;
    crate::signals::check()?;
    let files = chokepoint::run_files(&scenario, file, &run)?;
    crate::signals::check()?;
    let context =
        chokepoint::files::Context { scenario: &scenario, file, seed: run.seed, result: &run.result };
    staged.write(&files)?;
    staged.commit()?;
    out!("{}", chokepoint::text::kpi_table(&context));
    outln!(
        "\nWrote {} in {}",
        files.iter().map(|f| f.name.as_str()).collect::<Vec<_>>().join(", "),
        directory.display()
    );
    Ok(())
}

/// `--set key=value` settings of a command that takes one value per key (`what` names the
/// command in the message; `hint` says what to do with several).
pub fn single_settings(sets: &[String], what: &str, hint: &str) -> Result<Vec<(String, String)>, Failure> {
    chokepoint::settings::single(sets, what, hint).map_err(Failure::from)
}

/// The plan of a loaded model, or the model's problems as a failure.
pub fn plan(model: &chokepoint_engine::Model) -> Result<Plan<'_>, Failure> {
    chokepoint::plan(model).map_err(Failure::from)
}

/// `out/<file stem>/`: where a scenario's results go by default (a sweep's and a report's in
/// subdirectories of it).
pub fn default_directory(file: &Path) -> PathBuf {
    let stem = file.file_stem().map_or_else(|| "scenario".into(), |s| s.to_string_lossy().into_owned());
    Path::new("out").join(stem)
}
