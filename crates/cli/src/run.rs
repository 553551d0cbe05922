//! `chokepoint run`: load, run one replicate, print, write.

use std::path::{Path, PathBuf};

use chokepoint_engine::{Plan, RunConfig};

use crate::Failure;
use crate::output::{self, OutputFile};
use crate::staged::{Slot, Staged};

/// Reads and validates a scenario file (and the world files it extends), its `[sweep]`
/// grid included, printing warnings.
pub fn load(file: &Path) -> Result<chokepoint_scenario::Scenario, Failure> {
    accept(file, chokepoint_scenario::load_path(file, &mut crate::read_file), true)
}

/// Reads and validates a scenario file with keys set by dotted path (`--set`), printing
/// warnings only when `warn`. The file's `[sweep]` grid is not read: this is one point of it.
pub fn load_with(
    file: &Path,
    settings: &[(String, String)],
    warn: bool,
) -> Result<chokepoint_scenario::Scenario, Failure> {
    accept(file, chokepoint_scenario::load_path_with(file, &mut crate::read_file, settings), warn)
}

/// The loaded scenario, or its rendered diagnostics as a failure.
fn accept(
    file: &Path,
    loaded: Result<chokepoint_scenario::Loaded, chokepoint_scenario::Report>,
    warn: bool,
) -> Result<chokepoint_scenario::Scenario, Failure> {
    match loaded {
        Ok(loaded) => {
            if warn && !loaded.warnings.diagnostics.is_empty() {
                eprint!("{}", loaded.warnings.render(crate::colour()));
            }
            Ok(loaded.scenario)
        }
        Err(report) => {
            let n = report.n_errors();
            let summary = format!(
                "{}: {n} error{} found; nothing was run",
                file.display(),
                if n == 1 { "" } else { "s" }
            );
            Err(Failure::Scenario(format!("{}{summary}", report.render(crate::colour()))))
        }
    }
}

/// Runs `file` once, with the keys of `sets` (`key=value`) set, and writes its results.
/// `nested`: `output` is inside the staging folder of a command that commits it (`report`),
/// so write there plainly and print nothing.
pub fn run(
    file: &Path,
    output: Option<&Path>,
    seed: Option<u64>,
    sets: &[String],
    nested: bool,
) -> Result<(), Failure> {
    let settings = single_settings(sets, "a run", "sweep several values with chokepoint sweep --set")?;
    let scenario = load_with(file, &settings, true)?;
    let seed = seed.unwrap_or(scenario.seed);
    let plan = plan(&scenario.model)?;
    let directory = output.map(Path::to_path_buf).unwrap_or_else(|| default_directory(file));
    let staged = if nested { Staged::nested(&directory)? } else { Staged::begin(&directory, Slot::Result)? };
    crate::signals::check()?;
    let result = plan.run(RunConfig { seed, replicate: 0 });
    crate::signals::check()?;

    let context = output::Context { scenario: &scenario, file, seed, result: &result };
    let series = output::series_csv(&context)?;
    crate::signals::check()?;
    let files = vec![
        OutputFile { name: "series.csv".into(), contents: series },
        OutputFile { name: "summary.json".into(), contents: output::summary_json(&context)? },
        OutputFile { name: "events.csv".into(), contents: output::events_csv(&context)? },
        OutputFile { name: "trade.csv".into(), contents: output::trade_csv(&context)? },
    ];
    staged.write(&files)?;
    staged.commit()?;
    if nested {
        return Ok(());
    }
    out!("{}", crate::table::kpi_table(&context));
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
    let mut settings = Vec::with_capacity(sets.len());
    for text in sets {
        let (key, mut values) = crate::sweep::split_setting(text)?;
        if values.len() > 1 {
            return Err(Failure::new(format!("--set {text}: {what} takes one value per key"), hint));
        }
        settings.push((key, values.remove(0)));
    }
    Ok(settings)
}

/// The plan of a loaded model, or the model's problems as a failure.
pub fn plan(model: &chokepoint_engine::Model) -> Result<Plan<'_>, Failure> {
    Plan::new(model).map_err(|errors| {
        let list: Vec<String> = errors.iter().map(|e| format!("  - {e}")).collect();
        Failure::new(format!("the model cannot run:\n{}", list.join("\n")), "fix the scenario file")
    })
}

/// `out/<file stem>/`: where a scenario's results go by default (a sweep's and a report's in
/// subdirectories of it).
pub fn default_directory(file: &Path) -> PathBuf {
    let stem = file.file_stem().map_or_else(|| "scenario".into(), |s| s.to_string_lossy().into_owned());
    Path::new("out").join(stem)
}
