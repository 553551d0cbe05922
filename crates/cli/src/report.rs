//! `chokepoint report`: runs the scenario once and as a sweep, then writes a briefing folder:
//! the result files (`data/`), every chart as SVG and PNG (`charts/`), a self-contained
//! `report.html` (inline SVG, the embedded font, no external links needed to read it) and a
//! `report.md` that points at the PNGs, and `report.xlsx`, the numbers for an analyst's own
//! charts.
//!
//! The report states where every number came from: the scenario's description, its
//! assumptions (comments marked `ASSUMPTION` in the scenario file and the world files it
//! extends), its sources (the `[S-…]` tags cited there, resolved against a `docs/sources.md`
//! found above the scenario file), the seed, the runs, the tool version and the command that
//! regenerates it. Nothing depends on the clock, so the same command gives the same bytes.

use std::path::Path;

use chokepoint_report::brief::{Brief, Provenance, REPORT_RANKED, TableSection, Why, shell_quote};

use crate::Failure;
use crate::charts::{self, SweepOptions};
use crate::output::OutputFile;
use crate::plot::{Formats, Sizes};
use crate::results::{self, Results, RunData, SweepData};
use crate::staged::{Slot, Staged};

/// What `chokepoint report` was asked for: the sweep it runs (its `output` is replaced by
/// `DIR/data/sweep`), where to write the briefing, and the chart size.
pub struct Request<'a> {
    pub batch: crate::sweep::Request<'a>,
    pub output: Option<&'a Path>,
    pub size: Sizes,
    /// `--rank BY` and its settings: add a section on single points of failure.
    pub rank: Option<RankRequest>,
}

/// What to rank for the report's section on single points of failure.
pub struct RankRequest {
    pub by: chokepoint_montecarlo::By,
    pub disruption: String,
    pub start: Option<String>,
    pub runs: u32,
}

/// Fan charts per sweep point in a report (the buyers most likely to run short).
const REPORT_FANS: usize = 3;

/// The shortest step of a report's sweep, in days.
const WEEK_DAYS: u32 = 7;

pub fn report(request: &Request<'_>) -> Result<(), Failure> {
    let file = request.batch.file;
    let directory =
        request.output.map_or_else(|| crate::run::default_directory(file).join("report"), Path::to_path_buf);
    // Everything is built in a private staging folder and moved into place at the end,
    // replacing the previous report in this directory whole (see `staged`).
    let staged = Staged::begin(&directory, Slot::Report)?;
    let data = staged.path().join("data");
    let sweep_dir = data.join("sweep");
    let run_dir = data.join("run");
    eprintln!("chokepoint report: sweeping {} …", file.display());
    // A sweep of the same inputs in this folder's previous report is reused, not run again.
    let previous = directory.join("data").join("sweep");
    // Fans read by the week: a scenario reporting daily is swept at weekly steps here (daily
    // quantiles of a shortage fill the chart with noise), unless --set says otherwise.
    let mut sets = request.batch.sets.to_vec();
    let step_set = sets.iter().any(|s| s.trim_start().starts_with("report.step"));
    if !step_set && crate::run::load_with(file, &[], false)?.report.step_days < WEEK_DAYS {
        sets.push(format!("report.step=\"{WEEK_DAYS}d\""));
    }
    crate::sweep::sweep(&crate::sweep::Request {
        output: Some(&sweep_dir),
        nested: true,
        reuse: Some(&previous),
        sets: &sets,
        ..request.batch
    })?;
    crate::run::run(file, Some(&run_dir), request.batch.seed, &[], true)?;
    let Results::Sweep(sweep) = results::load(&sweep_dir)? else {
        return Err(Failure::new("the sweep wrote no bands.csv", "this is a bug; please report it"));
    };
    let Results::Run(run) = results::load(&run_dir)? else {
        return Err(Failure::new("the run wrote no series.csv", "this is a bug; please report it"));
    };

    let ranked = match &request.rank {
        Some(rank) => {
            eprintln!("chokepoint report: ranking single points of failure by {} …", rank.by.as_str());
            let ranked = crate::rank::rank(&crate::rank::Request {
                file,
                by: rank.by,
                disruption: &rank.disruption,
                start: rank.start.as_deref(),
                runs: Some(rank.runs),
                seed: request.batch.seed,
                threads: request.batch.threads,
                sets: &[],
                watch: &[],
                top: crate::rank::DEFAULT_TOP,
                output: Some(&data.join("rank")),
                // The whole ranking, whatever SLURM or Kubernetes variables say.
                shard: Some("0/1"),
                shard_count: None,
                nested: true,
            })?;
            let Some(ranked) = ranked else {
                return Err(Failure::new("the ranking ran as a shard", "this is a bug; please report it"));
            };
            Some(ranked)
        }
        None => None,
    };

    // Events on the same day in every run mark the sweep's charts too.
    let varied: Vec<String> = sweep.grid.iter().map(|(key, _)| key.clone()).collect();
    let markers = charts::shared_markers(&crate::run::load_with(file, &[], false)?.model, &varied);
    let mut charts = charts::run_charts(&run);
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
    let history = if crate::run::load_with(file, &[], false)?.backtest.observed.is_empty() {
        None
    } else {
        eprintln!("chokepoint report: scoring the model against its observations …");
        let files = [file.to_path_buf()];
        let mut scored = crate::backtest::backtest(&crate::backtest::Request {
            files: &files,
            runs: request.batch.runs,
            seed: request.batch.seed,
            threads: request.batch.threads,
            output: Some(&data.join("backtest")),
            nested: true,
        })?;
        scored.pop()
    };
    if let Some(history) = &history {
        charts.extend(history.charts.iter().cloned());
    }
    eprintln!("chokepoint report: drawing {} charts …", charts.len());
    // SVG then PNG of each chart, in chart order: the SVGs also go inline into report.html.
    let chart_files = crate::plot::render_all(&charts, Formats::Both, request.size.into())?;
    let inline: Vec<String> =
        chart_files.iter().step_by(2).map(|f| String::from_utf8_lossy(&f.contents).into_owned()).collect();
    let provenance = Provenance::gather(file);
    let command = command_line(request, &sweep);
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
    let why = why_short(file, request.batch.seed, &run)?;
    let brief = Brief {
        run: &run,
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
    let workbook = chokepoint_report::workbook::workbook(&run, &sweep)?;
    let chart_files: Vec<OutputFile> = chart_files
        .into_iter()
        .map(|f| OutputFile { name: format!("charts/{}", f.name), contents: f.contents })
        .collect();
    staged.write(&chart_files)?;
    staged.write(&[
        OutputFile { name: "report.html".into(), contents: html },
        OutputFile { name: "report.md".into(), contents: markdown },
        OutputFile { name: "report.xlsx".into(), contents: workbook },
    ])?;
    staged.commit()?;
    out!("{}", brief.headline_text());
    outln!(
        "\nWrote report.html, report.md and report.xlsx in {}, {} charts (SVG and PNG) in {} and the result files in {}",
        directory.display(),
        charts.len(),
        directory.join("charts").display(),
        directory.join("data").display()
    );
    Ok(())
}

/// Why each watched buyer that ran short in the report's single run did: the run replayed
/// in memory (the same seed and replicate as `data/run`) and each first shortage walked
/// upstream (`chokepoint_report::explain`), in the order the buyers first ran short.
fn why_short(file: &Path, seed: Option<u64>, run: &RunData) -> Result<Vec<Why>, Failure> {
    let scenario = crate::run::load_with(file, &[], false)?;
    let plan = crate::run::plan(&scenario.model)?;
    let result = plan.run(chokepoint_engine::RunConfig { seed: seed.unwrap_or(scenario.seed), replicate: 0 });
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
        let Ok(explanation) = chokepoint_report::explain::explain(&scenario.model, &result, &id) else {
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
    Ok(why)
}

/// The command that regenerates the report (with the seed and runs made explicit).
fn command_line(request: &Request<'_>, sweep: &SweepData) -> String {
    let mut words = vec![
        "chokepoint".to_owned(),
        "report".to_owned(),
        request.batch.file.display().to_string(),
        "--runs".to_owned(),
        sweep.runs.to_string(),
        "--seed".to_owned(),
        sweep.meta.seed.to_string(),
    ];
    for set in request.batch.sets {
        words.extend(["--set".to_owned(), set.clone()]);
    }
    if request.size == Sizes::Print {
        words.extend(["--size".to_owned(), "print".to_owned()]);
    }
    if let Some(rank) = &request.rank {
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
