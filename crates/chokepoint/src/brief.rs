//! Briefings (`chokepoint report`): a scenario run once and as a sweep (ranked and scored
//! against history when asked or possible), then written up as a briefing folder: the
//! result files (`data/`), every chart as SVG and PNG (`charts/`), a self-contained
//! `report.html`, a `report.md` that points at the PNGs, and `report.xlsx`.
//!
//! [`write`] builds the whole folder inside a directory the caller gives (empty, or a
//! staging folder the caller moves into place); nothing depends on the clock, so the same
//! options give the same bytes.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use chokepoint_montecarlo::{By, Hooks, Shard};
use chokepoint_plot::{Format, Size};
use chokepoint_report::brief::{Brief, Provenance, REPORT_RANKED, TableSection, Why, shell_quote};
use chokepoint_report::charts::{self, SweepOptions};
use chokepoint_report::results::{self, Results, RunData, SweepData};

use crate::{Error, OutputFile};

/// Fan charts per sweep point in a report (the buyers most likely to run short).
const REPORT_FANS: usize = 3;
/// The shortest step of a report's sweep, in days.
const WEEK_DAYS: u32 = 7;
/// The file a report's sweep writes beside its results to say what it is (see
/// [`Options::reuse`]).
pub const KEY_FILE: &str = "sweep.key";
/// The result files of a sweep, which a reused one copies.
const SWEEP_FILES: [&str; 3] = ["bands.csv", "kpis.csv", "summary.json"];

/// What to rank for the report's section on single points of failure.
#[derive(Clone, Debug)]
pub struct Ranked {
    /// What each candidate is.
    pub by: By,
    /// `KIND:DURATION`, as `chokepoint rank --disruption`.
    pub disruption: String,
    /// When it starts (a date or a day number; the scenario's start when `None`).
    pub start: Option<String>,
    /// Replicates per candidate.
    pub runs: u32,
}

/// What a report is asked for: `chokepoint report`'s options.
#[derive(Clone, Debug)]
pub struct Options {
    /// `--set key=v1,v2,…` texts of the sweep, as given (the report's command line repeats them).
    pub sets: Vec<String>,
    /// Replicates per sweep point (and of the backtest).
    pub runs: Option<u32>,
    /// The base seed (the scenario's when `None`).
    pub seed: Option<u64>,
    /// Worker threads (0: one per core).
    pub threads: usize,
    /// Bands of every series, of the watched ones, or as the file says (`None`).
    pub all_bands: Option<bool>,
    /// Picture size of the charts.
    pub size: Size,
    /// A section on single points of failure.
    pub rank: Option<Ranked>,
    /// A sweep folder of an earlier report (`<report>/data/sweep`): when its `sweep.key`
    /// names this very sweep, its files are copied instead of sweeping again.
    pub reuse: Option<PathBuf>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            sets: Vec::new(),
            runs: None,
            seed: None,
            threads: 0,
            all_bands: None,
            size: Size::Slide,
            rank: None,
            reuse: None,
        }
    }
}

/// What a report says first, and what it wrote.
#[derive(Clone, Debug)]
pub struct Written {
    /// The key findings, as text.
    pub headline: String,
    /// Charts drawn (each as SVG and PNG).
    pub charts: usize,
    /// Whether the sweep of an earlier report was reused.
    pub reused: bool,
}

/// Tells the caller what a report is doing: a stage begins (`what`, and the replicates it
/// runs, 0 when it runs none), and its runs complete (through `hooks`).
pub struct Observer<'a> {
    /// Progress of the current stage's runs and the cancel flag.
    pub hooks: Hooks<'a>,
    /// A stage begins.
    pub stage: &'a dyn Fn(&str, u64),
}

/// Runs and writes the report of `file` into `into` (created when missing): `data/sweep`,
/// `data/run`, `data/rank` (with `options.rank`), `data/backtest` (when the scenario names
/// observations), `charts/`, `report.html`, `report.md` and `report.xlsx`.
pub fn write(file: &Path, options: &Options, into: &Path, observer: &Observer<'_>) -> Result<Written, Error> {
    let hooks = &observer.hooks;
    let data = into.join("data");
    let sweep_dir = data.join("sweep");
    let run_dir = data.join("run");
    let base = crate::load(file, &[])?.scenario;
    // Fans read by the week: a scenario reporting daily is swept at weekly steps here (daily
    // quantiles of a shortage fill the chart with noise), unless a setting says otherwise.
    let mut settings =
        options.sets.iter().map(|s| crate::settings::split(s)).collect::<Result<Vec<_>, Error>>()?;
    if !settings.iter().any(|(k, _)| k.starts_with("report.step")) && base.report.step_days < WEEK_DAYS {
        settings.push(("report.step".to_owned(), vec![format!("\"{WEEK_DAYS}d\"")]));
    }
    let sweep_options = crate::sweep::Options {
        settings,
        runs: options.runs,
        seed: options.seed,
        threads: options.threads,
        shard: Some(Shard::WHOLE),
        all_bands: options.all_bands,
    };
    let prepared = crate::sweep::prepare(file, &sweep_options, hooks.cancel)?;
    create(&sweep_dir)?;
    let key = prepared.key();
    let reused = match &options.reuse {
        Some(previous) => reuse(previous, &sweep_dir, &key)?,
        None => false,
    };
    if !reused {
        (observer.stage)("sweeping", prepared.total());
        sweep_into(&prepared, &sweep_dir, hooks)?;
    }
    write_file(&sweep_dir.join(KEY_FILE), key.as_bytes())?;
    (observer.stage)("running once", 0);
    let run = crate::run(&base, options.seed)?;
    write_files(&run_dir, &crate::run_files(&base, file, &run)?)?;
    let Results::Sweep(sweep) = results::load(&sweep_dir)? else {
        return Err(Error::new("the sweep wrote no bands.csv", "this is a bug; please report it"));
    };
    let Results::Run(run_data) = results::load(&run_dir)? else {
        return Err(Error::new("the run wrote no series.csv", "this is a bug; please report it"));
    };
    let ranked = match &options.rank {
        Some(rank) => {
            let rank_options = crate::rank::Options {
                by: rank.by,
                disruption: rank.disruption.clone(),
                start: rank.start.clone(),
                runs: Some(rank.runs),
                seed: options.seed,
                threads: options.threads,
                ..crate::rank::Options::default()
            };
            let prepared = crate::rank::prepare(file, &rank_options)?;
            (observer.stage)("ranking single points of failure", prepared.tasks());
            let ranking = crate::rank::whole(prepared.run(hooks)?)?;
            let top = crate::rank::DEFAULT_TOP;
            write_files(
                &data.join("rank"),
                &crate::rank::files(&prepared.info, &ranking, top, hooks.cancel)?,
            )?;
            Some((prepared.info, ranking))
        }
        None => None,
    };
    // Events on the same day in every run mark the sweep's charts too.
    let varied: Vec<String> = sweep.grid.iter().map(|(key, _)| key.clone()).collect();
    let markers = charts::shared_markers(&base.model, &varied);
    let mut charts = charts::run_charts(&run_data);
    let run_stems: Vec<String> = charts.iter().map(|named| named.stem.clone()).collect();
    for mut named in charts::sweep_charts(
        &sweep,
        &SweepOptions { entities: &[], points: None, max_fans: REPORT_FANS, markers: &markers },
    ) {
        // A one-point sweep names its mean heat map `cascade`, like the run's.
        if run_stems.contains(&named.stem) {
            named.stem = format!("mean-{}", named.stem);
        }
        charts.push(named);
    }
    if let Some((info, ranking)) = &ranked {
        charts.push(crate::rank::chart(info, ranking, crate::rank::DEFAULT_TOP));
    }
    // A scenario with observations is scored against them, as `chokepoint backtest` does.
    let history = if base.backtest.observed.is_empty() {
        None
    } else {
        let backtest_options =
            crate::backtest::Options { runs: options.runs, seed: options.seed, threads: options.threads };
        let runs = crate::backtest::runs_of(&base, &backtest_options);
        (observer.stage)("scoring the model against its observations", u64::from(runs));
        let scored = crate::backtest::score_scenario(file, &base, &backtest_options, hooks)?;
        let scored = vec![scored];
        write_files(&data.join("backtest"), &crate::backtest::files(&scored, hooks.cancel)?)?;
        scored.into_iter().next()
    };
    if let Some(history) = &history {
        charts.extend(history.charts.iter().cloned());
    }
    (observer.stage)("drawing charts", 0);
    // SVG then PNG of each chart, in chart order: the SVGs also go inline into report.html.
    let chart_files =
        crate::charts::render(&charts, &[Format::Svg, Format::Png], options.size, hooks.cancel)?;
    let inline: Vec<String> =
        chart_files.iter().step_by(2).map(|f| String::from_utf8_lossy(&f.contents).into_owned()).collect();
    let provenance = Provenance::gather(file);
    let command = command_line(file, options, &sweep);
    let ranked = ranked.map(|(info, ranking)| {
        let (header, rows) = crate::rank::report_table(&info, &ranking, REPORT_RANKED);
        TableSection {
            headline: crate::rank::headline(&info, &ranking),
            header: header.into_iter().map(str::to_owned).collect(),
            rows,
            note: String::new(),
        }
    });
    let history = history.map(|history| {
        let (header, rows) = crate::backtest::report_table(&history);
        TableSection {
            headline: String::new(),
            header: header.into_iter().map(str::to_owned).collect(),
            rows,
            note: crate::backtest::report_note(&history),
        }
    });
    let why = why_short(&base, &run.result, &run_data);
    let brief = Brief {
        run: &run_data,
        sweep: &sweep,
        charts: &charts,
        provenance: &provenance,
        command: &command,
        ranked: ranked.as_ref(),
        history: history.as_ref(),
        why: &why,
    };
    let html = brief.html(&inline).into_bytes();
    let markdown = brief.markdown().into_bytes();
    let workbook = chokepoint_report::workbook::workbook(&run_data, &sweep)?;
    write_files(&into.join("charts"), &chart_files)?;
    write_files(
        into,
        &[
            OutputFile { name: "report.html".into(), contents: html },
            OutputFile { name: "report.md".into(), contents: markdown },
            OutputFile { name: "report.xlsx".into(), contents: workbook },
        ],
    )?;
    Ok(Written { headline: brief.headline_text(), charts: charts.len(), reused })
}

/// Runs a report's sweep, writing `bands.csv`, `kpis.csv` (rows streamed as they come) and
/// `summary.json` into `directory`.
fn sweep_into(prepared: &crate::sweep::Prepared, directory: &Path, hooks: &Hooks<'_>) -> Result<(), Error> {
    let cannot = |error: std::io::Error| {
        Error::new(
            format!("cannot write the sweep's results in '{}': {error}", directory.display()),
            "check the disk space and permissions of the output directory",
        )
    };
    let info = &prepared.info;
    let mut kpis = BufWriter::new(File::create(directory.join("kpis.csv")).map_err(cannot)?);
    kpis.write_all(&crate::sweep_files::kpis_header(info)).map_err(cannot)?;
    let aggregate = prepared.run(hooks, &mut |rows| kpis.write_all(rows).map_err(|e| e.to_string()));
    let aggregate = aggregate?;
    kpis.into_inner().map_err(|e| cannot(e.into_error()))?.sync_all().map_err(cannot)?;
    write_file(&directory.join("bands.csv"), &crate::sweep_files::bands_csv(info, &aggregate)?)?;
    write_file(&directory.join("summary.json"), &crate::sweep_files::summary_json(info, &aggregate)?)
}

/// Copies the sweep in `previous` into `into` when its key file is `key` and it has every
/// result file; `false` (nothing copied) otherwise.
fn reuse(previous: &Path, into: &Path, key: &str) -> Result<bool, Error> {
    let same = std::fs::read_to_string(previous.join(KEY_FILE)).is_ok_and(|k| k == key);
    if !same || !SWEEP_FILES.iter().all(|name| previous.join(name).is_file()) {
        return Ok(false);
    }
    for name in SWEEP_FILES {
        std::fs::copy(previous.join(name), into.join(name)).map_err(|error| {
            Error::new(
                format!("cannot copy {name} from '{}': {error}", previous.display()),
                "delete that folder to sweep again, or check its permissions",
            )
        })?;
    }
    Ok(true)
}

fn create(directory: &Path) -> Result<(), Error> {
    std::fs::create_dir_all(directory).map_err(|error| {
        Error::new(
            format!("cannot create the folder '{}': {error}", directory.display()),
            "choose an output directory you can write to",
        )
    })
}

fn write_file(path: &Path, contents: &[u8]) -> Result<(), Error> {
    std::fs::write(path, contents).map_err(|error| {
        Error::new(
            format!("cannot write '{}': {error}", path.display()),
            "check the disk space and permissions of the output directory",
        )
    })
}

/// Writes `files` into `directory` (created when missing). A name may hold subfolders
/// (`charts/a.svg`) but must stay inside `directory`.
pub fn write_files(directory: &Path, files: &[OutputFile]) -> Result<(), Error> {
    create(directory)?;
    for file in files {
        let inside = Path::new(&file.name).components().all(|c| matches!(c, std::path::Component::Normal(_)));
        if !inside || file.name.is_empty() {
            return Err(Error::new(
                format!(
                    "will not write '{}': the name leaves the folder '{}'",
                    file.name,
                    directory.display()
                ),
                "this is a bug in chokepoint; please report it",
            ));
        }
        let path = directory.join(&file.name);
        if let Some(parent) = path.parent() {
            create(parent)?;
        }
        write_file(&path, &file.contents)?;
    }
    Ok(())
}

/// Why each watched buyer that ran short in the report's single run did: each first
/// shortage walked upstream (`chokepoint_report::explain`), in the order the buyers first
/// ran short.
fn why_short(
    scenario: &chokepoint_scenario::Scenario,
    result: &chokepoint_engine::RunResult,
    run: &RunData,
) -> Vec<Why> {
    let mut short: Vec<(u32, String)> = run
        .meta
        .watched()
        .into_iter()
        .filter_map(|id| {
            let k = run.kpis.get(&id)?;
            Some((run.first_disruption? + k.time_to_survive_days?, id))
        })
        .collect();
    short.sort();
    let mut why = Vec::new();
    for (_, id) in short {
        let Ok(explanation) = chokepoint_report::explain::explain(&scenario.model, result, &id) else {
            continue;
        };
        if explanation.is_short() {
            why.push(Why {
                name: run.meta.display(&id).to_owned(),
                lines: explanation
                    .with_names(&|id: &str| run.meta.display(id).to_owned())
                    .lines(&|day| scenario.date_of(day).to_string()),
            });
        }
    }
    why
}

/// The command that regenerates the report (with the seed and runs made explicit).
fn command_line(file: &Path, options: &Options, sweep: &SweepData) -> String {
    let mut words = vec![
        "chokepoint".to_owned(),
        "report".to_owned(),
        file.display().to_string(),
        "--runs".to_owned(),
        sweep.runs.to_string(),
        "--seed".to_owned(),
        sweep.meta.seed.to_string(),
    ];
    for set in &options.sets {
        words.extend(["--set".to_owned(), set.clone()]);
    }
    if options.size == Size::Print {
        words.extend(["--size".to_owned(), "print".to_owned()]);
    }
    if let Some(rank) = &options.rank {
        words.extend([
            "--rank".to_owned(),
            rank.by.as_str().to_owned(),
            "--rank-disruption".to_owned(),
            rank.disruption.clone(),
        ]);
        if let Some(start) = &rank.start {
            words.extend(["--rank-start".to_owned(), start.clone()]);
        }
        words.extend(["--rank-runs".to_owned(), rank.runs.to_string()]);
    }
    words.iter().map(|w| shell_quote(w)).collect::<Vec<_>>().join(" ")
}
