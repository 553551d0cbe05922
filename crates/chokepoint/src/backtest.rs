//! Backtests (`chokepoint backtest`): a scenario's replicates scored against its observation
//! files (`chokepoint-backtest`). [`score`] loads, runs and scores one scenario; [`files`]
//! builds `backtest.csv`, `backtest.json`, `trade_bands.csv` and one fan chart per observed
//! series; [`scorecard`] says it in text.

use std::path::{Path, PathBuf};

use chokepoint_backtest::{Calendar, Kind, Month, Series};
pub use chokepoint_backtest::{Coverage, Observation, Score};
use chokepoint_montecarlo::Hooks;
use chokepoint_plot::{Chart, Fan, FanStep, Frame, ObservedPoint, ValueFormat};
use serde::Serialize;

use chokepoint_report::charts::{Named, Section};

use crate::text::format_units;
use crate::{Error, OutputFile};

/// Replicates per scenario when neither `--runs` nor `[backtest] runs` says.
pub const DEFAULT_RUNS: u32 = 200;

/// Largest observation file read.
const MAX_OBSERVATION_BYTES: u64 = 16 << 20;

/// How a backtest runs: `chokepoint backtest`'s options.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Replicates (`[backtest] runs`, else [`DEFAULT_RUNS`], when `None`).
    pub runs: Option<u32>,
    /// The base seed (the scenario's when `None`).
    pub seed: Option<u64>,
    /// Worker threads (0: one per core). Results do not depend on it.
    pub threads: usize,
}

/// A scenario scored.
pub struct Scored {
    /// The scenario's name.
    pub scenario: String,
    /// The file as given.
    pub file: String,
    /// Its file stem.
    pub stem: String,
    /// Replicates.
    pub runs: u64,
    /// Base seed.
    pub seed: u64,
    /// Day 0.
    pub start: jiff::civil::Date,
    /// Observations, scored or not.
    pub observations: Vec<Observation>,
    /// Their scores (`None`: not scored).
    pub scores: Vec<Option<Score>>,
    /// Coverage of the 90 % band.
    pub coverage: Coverage,
    /// The fan charts of the observed series.
    pub charts: Vec<Named>,
    /// Product ids, units and names, in model order.
    pub units: Vec<(String, String, String)>,
}

/// Refuses scenarios whose file stems are the same: their charts and rows would share names.
pub fn check_stems(files: &[PathBuf]) -> Result<(), Error> {
    let stem = |f: &PathBuf| f.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    if let Some((i, f)) =
        files.iter().enumerate().find(|(i, f)| files[..*i].iter().any(|g| stem(g) == stem(f)))
    {
        return Err(Error::new(
            format!(
                "two scenarios are named {} ({} and {})",
                stem(f),
                files.iter().find(|g| stem(g) == stem(f)).map_or(String::new(), |g| g.display().to_string()),
                files[i].display()
            ),
            "their charts and rows would share names: backtest them one at a time, with -o DIR each",
        ));
    }
    Ok(())
}

/// The files of a backtest of `scored` scenarios: `backtest.csv`, `backtest.json`,
/// `trade_bands.csv` and every fan chart (SVG and PNG, slide size). Stops with
/// [`Error::Interrupted`] between charts when `cancel` is raised.
pub fn files(scored: &[Scored], cancel: &std::sync::atomic::AtomicBool) -> Result<Vec<OutputFile>, Error> {
    let mut files = vec![
        OutputFile { name: "backtest.csv".into(), contents: csv(scored)? },
        OutputFile { name: "backtest.json".into(), contents: json(scored)? },
        OutputFile { name: "trade_bands.csv".into(), contents: bands_csv(scored)? },
    ];
    let charts: Vec<Named> = scored.iter().flat_map(|s| s.charts.iter().cloned()).collect();
    files.extend(crate::charts::render(
        &charts,
        &[chokepoint_plot::Format::Svg, chokepoint_plot::Format::Png],
        chokepoint_plot::Size::Slide,
        cancel,
    )?);
    Ok(files)
}

/// The replicates a backtest of `file` runs (to size a progress bar before [`score`]).
pub fn runs_of(scenario: &chokepoint_scenario::Scenario, options: &Options) -> u32 {
    options.runs.or(scenario.backtest.runs).unwrap_or(DEFAULT_RUNS)
}

/// Loads `file`, runs its replicates and scores them against its observation files;
/// `hooks` reports progress (in replicates) and stops the runs when its flag is raised.
pub fn score(file: &Path, options: &Options, hooks: &Hooks<'_>) -> Result<Scored, Error> {
    score_scenario(file, &crate::load(file, &[])?.scenario, options, hooks)
}

/// [`score`] of a scenario already loaded from `file` (whose folder the observation paths
/// are relative to).
pub fn score_scenario(
    file: &Path,
    scenario: &chokepoint_scenario::Scenario,
    options: &Options,
    hooks: &Hooks<'_>,
) -> Result<Scored, Error> {
    if scenario.backtest.observed.is_empty() {
        return Err(Error::new(
            format!("{} names no observation files", file.display()),
            "add a [backtest] table with observed = [\"../observed/<episode>.csv\"] (docs/backtest.md)",
        ));
    }
    let calendar = Calendar { start: scenario.start, horizon_days: scenario.model.horizon_days };
    let observations = observations(file, scenario)?;
    let runs = runs_of(scenario, options);
    if runs == 0 || runs > chokepoint_scenario::MAX_RUNS {
        return Err(Error::new(
            format!("--runs {runs} is out of range"),
            format!("ask for 1 to {} runs", chokepoint_scenario::MAX_RUNS),
        ));
    }
    let seed = options.seed.unwrap_or(scenario.seed);
    let model = &scenario.model;
    let plan = crate::plan(model)?;
    let backtest = chokepoint_backtest::run(
        &plan,
        calendar,
        &observations,
        seed,
        u64::from(runs),
        options.threads,
        hooks,
    );
    let backtest = backtest.map_err(|stop| match stop {
        chokepoint_montecarlo::Stop::Cancelled { completed } => {
            crate::batch::interrupted(completed, u64::from(runs))
        }
        chokepoint_montecarlo::Stop::Failed(failures) => {
            let mut message = crate::batch::broken(failures.len());
            for f in failures.iter().take(10) {
                message.push_str(&format!("\n  - run {}, seed {}: {}", f.run, f.seed, f.problem));
            }
            Error::new(
                message,
                "this is a bug in chokepoint; please report it with the scenario and the seed",
            )
        }
        other => Error::new(format!("{other:?}"), "check the memory of this machine"),
    })?;
    let stem = file.file_stem().map_or_else(|| "scenario".into(), |s| s.to_string_lossy().into_owned());
    let units: Vec<(String, String, String)> =
        model.products.iter().map(|p| (p.id.clone(), p.unit.clone(), p.name.clone())).collect();
    let mut scored = Scored {
        scenario: scenario.name.clone(),
        file: file.display().to_string(),
        stem,
        runs: u64::from(runs),
        seed,
        start: scenario.start,
        observations,
        scores: backtest.scores,
        coverage: backtest.coverage,
        charts: Vec::new(),
        units,
    };
    scored.charts =
        backtest.series.iter().enumerate().filter_map(|(k, series)| fan_chart(&scored, k, series)).collect();
    Ok(scored)
}

/// Reads and checks the observation files a scenario names (paths relative to `file`).
pub fn observations(
    file: &Path,
    scenario: &chokepoint_scenario::Scenario,
) -> Result<Vec<Observation>, Error> {
    let calendar = Calendar { start: scenario.start, horizon_days: scenario.model.horizon_days };
    let mut observations = Vec::new();
    for written in &scenario.backtest.observed {
        let path = file.parent().unwrap_or(Path::new("")).join(written);
        let bytes = chokepoint_report::files::read_bounded(&path, MAX_OBSERVATION_BYTES).map_err(|why| {
            Error::new(
                format!(
                    "cannot read the observation file '{}' ({}): {why}",
                    path.display(),
                    chokepoint_report::files::absolute(&path).display()
                ),
                "[backtest] observed paths are relative to the scenario file",
            )
        })?;
        let text = String::from_utf8(bytes).map_err(|_| {
            Error::new(
                format!("'{}' is not a text file (not valid UTF-8)", path.display()),
                "save it as UTF-8 CSV",
            )
        })?;
        let parsed =
            chokepoint_backtest::parse(&path.display().to_string(), &text, &scenario.model, calendar)
                .map_err(Error::Scenario)?;
        observations.extend(parsed);
    }
    if let Some((a, b)) = observations
        .iter()
        .enumerate()
        .find_map(|(i, o)| observations[..i].iter().find(|p| p.id == o.id).map(|p| (p, o)))
    {
        return Err(Error::new(
            format!(
                "observation '{}' is in {} (line {}) and {} (line {})",
                a.id, a.file, a.line, b.file, b.line
            ),
            "give every observation of a scenario its own id",
        ));
    }
    Ok(observations)
}

/// The fan of one observed series, with its observations as points.
fn fan_chart(scored: &Scored, index: usize, series: &Series) -> Option<Named> {
    let first = &scored.observations[series.first];
    // Series are made of trade observations only (`series_keys`).
    let Some(Kind::Trade { base, product, .. }) = &first.kind else { return None };
    let (product_id, unit, product_name) = scored.units.get(product.0 as usize).cloned().unwrap_or_default();
    let steps: Vec<FanStep> = series
        .bands
        .iter()
        .map(|(_, days, q)| FanStep { day: f64::from(days.start + days.end) / 2.0, q: *q })
        .collect();
    let observed: Vec<ObservedPoint> = series
        .members
        .iter()
        .filter_map(|&i| {
            let o = &scored.observations[i];
            let Some(Kind::Trade { days, .. }) = &o.kind else { return None };
            let value = o.value?;
            let t = o.tolerance.unwrap_or(0.0);
            Some(ObservedPoint {
                day: f64::from(days.start + days.end) / 2.0,
                value,
                low: value * (1.0 - t).max(0.0),
                high: value * (1.0 + t),
            })
        })
        .collect();
    let route = match &first.kind {
        Some(Kind::Trade { exporter, importer: None, .. }) => {
            format!("from {} to all destinations", exporter.as_str())
        }
        Some(Kind::Trade { exporter, importer: Some(importer), .. }) => {
            format!("from {} to {}", exporter.as_str(), importer.as_str())
        }
        _ => String::new(),
    };
    let (subtitle, format) = if base.is_empty() {
        (
            format!("Exports per month, {unit}; the model's bands over runs, the observed months as dots"),
            ValueFormat::Units(unit),
        )
    } else {
        (
            "Exports per month as a ratio to the base months; the model's bands over runs, the observed months as dots".to_owned(),
            ValueFormat::Units("× base".into()),
        )
    };
    let source = first.source.split(';').next().unwrap_or("").trim().to_owned();
    Some(Named {
        stem: format!(
            "backtest-{}-{}-{}",
            scored.stem,
            index + 1,
            slug(&format!("{product_id}-{}", first.subject))
        ),
        caption: format!(
            "The model's monthly exports ({} runs: median line, 50/80/90 % bands) with what was observed ({source}). A dot outside the bands is a month the model misses.",
            format_units(scored.runs as f64)
        ),
        section: Section::History,
        chart: Chart::Fan(Fan {
            frame: Frame {
                title: format!("{product_name} {route}: model against history"),
                subtitle,
                footnote: format!(
                    "Scenario: {} ({}) · seed {} · {} runs · chokepoint {}",
                    scored.scenario,
                    scored.file,
                    scored.seed,
                    format_units(scored.runs as f64),
                    env!("CARGO_PKG_VERSION")
                ),
            },
            calendar: chokepoint_plot::Calendar::new(scored.start),
            format,
            y_max: None,
            steps,
            markers: Vec::new(),
            observed,
            observed_label: "Observed".to_owned(),
        }),
    })
}

/// `CN -> * ndfeb_magnet` as `cn-all-ndfeb_magnet`.
fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.replace('*', "all").chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_owned()
}

/// A date of a run's day, or `never`.
fn day_text(start: jiff::civil::Date, day: f64) -> String {
    if day.is_nan() {
        return "-".to_owned();
    }
    if !day.is_finite() {
        return "never".to_owned();
    }
    Calendar { start, horizon_days: u32::MAX }.date(day.max(0.0) as u32).to_string()
}

/// The model's p05, p50 and p95 of an observation, as written in tables.
fn model_values(s: &Scored, o: &Observation, score: &Score) -> [String; 3] {
    match o.kind {
        Some(Kind::FirstShortage { .. }) => [score.p05, score.p50, score.p95].map(|d| day_text(s.start, d)),
        _ => [score.p05, score.p50, score.p95].map(number),
    }
}

/// A number for tables: thousands grouped, three significant decimals below 100.
fn number(v: f64) -> String {
    if v.is_finite() { format_units(v) } else { "-".to_owned() }
}

/// The error of the median, as written: `ln +0.74 (×2.1)` or `+12 d`.
fn error_text(o: &Observation, score: &Score) -> String {
    if score.runs == 0 {
        return format!("no run measured it ({} runs)", score.dropped);
    }
    let text = error_value(o, score);
    if score.dropped > 0 {
        return format!("{text}; {} of {} runs gave no value", score.dropped, score.dropped + score.runs);
    }
    text
}

/// The error of the median alone.
fn error_value(o: &Observation, score: &Score) -> String {
    match (&o.kind, score.error) {
        (Some(Kind::FirstShortage { .. }), Some(days)) => format!("{:+} d", days.round() as i64),
        (Some(Kind::FirstShortage { .. }), None) => "n/a".to_owned(),
        (_, Some(e)) => format!("ln {e:+.2} (×{:.2})", e.exp()),
        (_, None) => {
            score.difference.map_or("n/a".to_owned(), |d| format!("n/a (p50 - observed = {})", number(d)))
        }
    }
}

/// The coverage line: `all 7 of 12 (58 %); trade 5 of 9; …`.
pub fn coverage_line(coverage: &Coverage) -> String {
    let parts: Vec<String> = coverage
        .rows
        .iter()
        .map(|r| {
            let share = r.share();
            let share = if share.is_finite() { format!(" ({:.0} %)", 100.0 * share) } else { String::new() };
            format!("{} {} of {}{share}", r.group, r.inside, r.scored)
        })
        .collect();
    let width = coverage.median_width();
    let width = if width.is_finite() {
        format!("; median band width {:.0} % of the median", 100.0 * width)
    } else {
        String::new()
    };
    format!("inside the model's 90 % band: {}; {} not scored{width}", parts.join("; "), coverage.not_scored)
}

/// Why a row is not scored, short enough for a terminal: the note from its "Not scored:"
/// on (or the whole note), cut at 160 characters (the files keep it whole).
fn why_not_scored(note: &str) -> String {
    let reason = note.find("Not scored").map_or(note, |at| &note[at..]);
    if reason.chars().count() <= 160 {
        return reason.to_owned();
    }
    let cut: String = reason.chars().take(159).collect();
    format!("{}…", cut.trim_end())
}

/// The printed scorecard of a scenario.
pub fn scorecard(s: &Scored) -> String {
    let mut out =
        format!("{}\n{} · {} runs, seed {}\n\n", s.scenario, s.file, format_units(s.runs as f64), s.seed);
    let header = [
        "observation",
        "kind",
        "subject",
        "period",
        "observed",
        "model p05",
        "p50",
        "p95",
        "inside",
        "error of median",
        "conf.",
    ];
    let rows: Vec<[String; 11]> = s
        .observations
        .iter()
        .zip(&s.scores)
        .filter_map(|(o, score)| {
            let score = score.as_ref()?;
            let [p05, p50, p95] = model_values(s, o, score);
            Some([
                o.id.clone(),
                o.kind_name.clone(),
                o.subject.clone(),
                o.period.clone(),
                o.observed.clone(),
                p05,
                p50,
                p95,
                if score.inside { "yes".into() } else { "NO".into() },
                error_text(o, score),
                o.confidence.as_str().into(),
            ])
        })
        .collect();
    out.push_str(&crate::text::render(&header, &rows));
    let unscored: Vec<&Observation> =
        s.observations.iter().zip(&s.scores).filter(|(_, sc)| sc.is_none()).map(|(o, _)| o).collect();
    if !unscored.is_empty() {
        out.push_str("\nNot scored:\n");
        for o in unscored {
            out.push_str(&format!(
                "  {} ({} {}): {}\n",
                o.id,
                o.kind_name,
                o.subject,
                why_not_scored(&o.note)
            ));
        }
    }
    out.push_str(&format!("\nCoverage: {}\n\n", coverage_line(&s.coverage)));
    out
}

/// The scorecard as a table for `report`: one row per scored observation.
pub fn report_table(s: &Scored) -> (Vec<&'static str>, Vec<Vec<String>>) {
    let header = vec![
        "Observation",
        "Subject",
        "Period",
        "Observed",
        "Model p05 – p50 – p95",
        "Inside",
        "Error of median",
        "Source",
        "Conf.",
    ];
    let rows = s
        .observations
        .iter()
        .zip(&s.scores)
        .filter_map(|(o, score)| {
            let score = score.as_ref()?;
            let [p05, p50, p95] = model_values(s, o, score);
            Some(vec![
                o.id.clone(),
                o.subject.clone(),
                o.period.clone(),
                o.observed.clone(),
                format!("{p05} – {p50} – {p95}"),
                if score.inside { "yes".into() } else { "no".into() },
                error_text(o, score),
                o.source.clone(),
                o.confidence.as_str().into(),
            ])
        })
        .collect();
    (header, rows)
}

/// The coverage and the rows not scored, as one paragraph for `report`.
pub fn report_note(s: &Scored) -> String {
    let mut note = format!("Coverage: {}.", coverage_line(&s.coverage));
    let unscored: Vec<String> = s
        .observations
        .iter()
        .zip(&s.scores)
        .filter(|(_, sc)| sc.is_none())
        .map(|(o, _)| format!("{} ({})", o.id, o.note))
        .collect();
    if !unscored.is_empty() {
        note.push_str(&format!(" Not scored: {}.", unscored.join("; ")));
    }
    note
}

fn csv_failure(error: impl std::fmt::Display) -> Error {
    Error::new(
        format!("could not format the backtest: {error}"),
        "this is a bug; please report it with the scenario",
    )
}

/// `backtest.csv`: one row per observation of every scenario.
fn csv(scored: &[Scored]) -> Result<Vec<u8>, Error> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer
        .write_record([
            "scenario",
            "observation",
            "kind",
            "subject",
            "period",
            "source",
            "confidence",
            "observed",
            "tolerance",
            "p05",
            "p50",
            "p95",
            "inside",
            "error",
            "scored",
            "note",
        ])
        .map_err(csv_failure)?;
    for s in scored {
        for (o, score) in s.observations.iter().zip(&s.scores) {
            let (model, inside, error) = match score {
                Some(score) => (
                    match o.kind {
                        Some(Kind::FirstShortage { .. }) => {
                            [score.p05, score.p50, score.p95].map(|d| day_text(s.start, d))
                        }
                        _ => [score.p05, score.p50, score.p95].map(|v| v.to_string()),
                    },
                    if score.inside { "yes" } else { "no" },
                    score.error.map_or_else(String::new, |e| e.to_string()),
                ),
                None => ([String::new(), String::new(), String::new()], "", String::new()),
            };
            writer
                .write_record([
                    s.stem.as_str(),
                    &o.id,
                    &o.kind_name,
                    &o.subject,
                    &o.period,
                    &o.source,
                    o.confidence.as_str(),
                    &o.observed,
                    &o.tolerance.map_or_else(String::new, |t| t.to_string()),
                    &model[0],
                    &model[1],
                    &model[2],
                    inside,
                    &error,
                    if score.is_some() { "yes" } else { "no" },
                    &o.note,
                ])
                .map_err(csv_failure)?;
        }
    }
    writer.into_inner().map_err(csv_failure)
}

/// `trade_bands.csv`: every observed series' monthly bands over runs
/// (`scenario,series,month,p05,…,p95,observed`), with the observed value where
/// there is one.
fn bands_csv(scored: &[Scored]) -> Result<Vec<u8>, Error> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer
        .write_record([
            "scenario", "series", "month", "p05", "p10", "p25", "p50", "p75", "p90", "p95", "observed",
        ])
        .map_err(csv_failure)?;
    for s in scored {
        for named in &s.charts {
            let Chart::Fan(fan) = &named.chart else { continue };
            let series = named.stem.trim_start_matches("backtest-").to_owned();
            for step in &fan.steps {
                let date = Calendar { start: s.start, horizon_days: u32::MAX }.date(step.day.max(0.0) as u32);
                let observed = fan
                    .observed
                    .iter()
                    .find(|o| o.day == step.day)
                    .map_or_else(String::new, |o| o.value.to_string());
                let mut record = vec![s.stem.clone(), series.clone(), Month::of(date).to_string()];
                record.extend(step.q.iter().map(|q| q.to_string()));
                record.push(observed);
                writer.write_record(&record).map_err(csv_failure)?;
            }
        }
    }
    writer.into_inner().map_err(csv_failure)
}

#[derive(Serialize)]
struct JsonObservation<'a> {
    id: &'a str,
    kind: &'a str,
    subject: &'a str,
    period: &'a str,
    observed: &'a str,
    value: Option<f64>,
    tolerance: Option<f64>,
    source: &'a str,
    confidence: &'a str,
    file: &'a str,
    line: usize,
    note: &'a str,
    scored: bool,
    score: Option<JsonScore>,
}

#[derive(Serialize)]
struct JsonScore {
    runs: usize,
    p05: Option<f64>,
    p50: Option<f64>,
    p95: Option<f64>,
    inside: bool,
    error: Option<f64>,
    difference: Option<f64>,
    never_share: Option<f64>,
    dropped: usize,
}

#[derive(Serialize)]
struct JsonScenario<'a> {
    scenario: &'a str,
    file: &'a str,
    seed: u64,
    runs: u64,
    observations: Vec<JsonObservation<'a>>,
    coverage: &'a Coverage,
}

#[derive(Serialize)]
struct JsonAll<'a> {
    version: &'static str,
    scenarios: Vec<JsonScenario<'a>>,
    coverage: Coverage,
}

/// `backtest.json`: every observation with its score, and the coverage (infinite days,
/// "never", are null).
fn json(scored: &[Scored]) -> Result<Vec<u8>, Error> {
    let finite = |v: f64| v.is_finite().then_some(v);
    let all = JsonAll {
        version: env!("CARGO_PKG_VERSION"),
        scenarios: scored
            .iter()
            .map(|s| JsonScenario {
                scenario: &s.scenario,
                file: &s.file,
                seed: s.seed,
                runs: s.runs,
                coverage: &s.coverage,
                observations: s
                    .observations
                    .iter()
                    .zip(&s.scores)
                    .map(|(o, score)| JsonObservation {
                        id: &o.id,
                        kind: &o.kind_name,
                        subject: &o.subject,
                        period: &o.period,
                        observed: &o.observed,
                        value: o.value,
                        tolerance: o.tolerance,
                        source: &o.source,
                        confidence: o.confidence.as_str(),
                        file: &o.file,
                        line: o.line,
                        note: &o.note,
                        scored: score.is_some(),
                        score: score.as_ref().map(|sc| JsonScore {
                            runs: sc.runs,
                            p05: finite(sc.p05),
                            p50: finite(sc.p50),
                            p95: finite(sc.p95),
                            inside: sc.inside,
                            error: sc.error,
                            difference: sc.difference,
                            never_share: sc.never_share,
                            dropped: sc.dropped,
                        }),
                    })
                    .collect(),
            })
            .collect(),
        coverage: Coverage::sum(&scored.iter().map(|s| s.coverage.clone()).collect::<Vec<_>>()),
    };
    let mut bytes = serde_json::to_vec_pretty(&all).map_err(csv_failure)?;
    bytes.push(b'\n');
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_file_names() {
        assert_eq!(slug("ndfeb_magnet-CN -> * ndfeb_magnet"), "ndfeb_magnet-cn-all-ndfeb_magnet");
        assert_eq!(slug("CN -> US gallium"), "cn-us-gallium");
    }
}
