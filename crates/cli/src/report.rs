//! `chokepoint report`: runs the scenario once and as a sweep, then writes a briefing folder:
//! the result files (`data/`), every chart as SVG and PNG (`charts/`), a self-contained
//! `report.html` (inline SVG, the embedded font, no external links needed to read it) and a
//! `report.md` that points at the PNGs.
//!
//! The report states where every number came from: the scenario's description, its
//! assumptions (comments marked `ASSUMPTION` in the scenario file and the world files it
//! extends), its sources (the `[S-…]` tags cited there, resolved against a `docs/sources.md`
//! found above the scenario file), the seed, the runs, the tool version and the command that
//! regenerates it. Nothing depends on the clock, so the same command gives the same bytes.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use chokepoint_plot::ValueFormat;

use crate::Failure;
use crate::charts::{self, Named, Section, SweepOptions};
use crate::output::OutputFile;
use crate::plot::{Formats, Sizes};
use crate::results::{self, Results, RunData, SweepData};
use crate::staged::{Slot, Staged};
use crate::table::format_units;

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

/// Candidates listed in the report's ranking table.
const REPORT_RANKED: usize = 10;

/// Columns of the sources table.
const SOURCE_HEADER: [&str; 4] = ["Tag", "Fact", "Outlets", "Confidence"];

/// Fan charts per sweep point in a report (the buyers most likely to run short).
const REPORT_FANS: usize = 3;

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
    crate::sweep::sweep(&crate::sweep::Request { output: Some(&sweep_dir), nested: true, ..request.batch })?;
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

    let mut charts = charts::run_charts(&run);
    let run_stems: Vec<String> = charts.iter().map(|named| named.stem.clone()).collect();
    for mut named in
        charts::sweep_charts(&sweep, &SweepOptions { entities: &[], points: None, max_fans: REPORT_FANS })
    {
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
    let brief = Brief {
        run: &run,
        sweep: &sweep,
        charts: &charts,
        provenance: &provenance,
        command: &command,
        ranked: ranked.as_ref(),
        history: history.as_ref(),
    };
    let html = brief.html(&inline).into_bytes();
    let markdown = brief.markdown().into_bytes();
    let chart_files: Vec<OutputFile> = chart_files
        .into_iter()
        .map(|f| OutputFile { name: format!("charts/{}", f.name), contents: f.contents })
        .collect();
    staged.write(&chart_files)?;
    staged.write(&[
        OutputFile { name: "report.html".into(), contents: html },
        OutputFile { name: "report.md".into(), contents: markdown },
    ])?;
    staged.commit()?;
    out!("{}", brief.headline_text());
    outln!(
        "\nWrote report.html and report.md in {}, {} charts (SVG and PNG) in {} and the result files in {}",
        directory.display(),
        charts.len(),
        directory.join("charts").display(),
        directory.join("data").display()
    );
    Ok(())
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

/// Assumptions and sources of a scenario file and the world files it extends.
#[derive(Debug, Default)]
pub struct Provenance {
    /// The files read, the scenario first.
    pub files: Vec<PathBuf>,
    /// `(file, line, text)` of each comment marked `ASSUMPTION`.
    pub assumptions: Vec<(String, usize, String)>,
    /// Source tags cited, in order of first citation.
    pub tags: Vec<String>,
    /// Each resolved tag's row of `docs/sources.md`: fact, sources, confidence.
    pub sources: BTreeMap<String, [String; 3]>,
    /// The sources file used, if one was found.
    pub sources_file: Option<PathBuf>,
}

impl Provenance {
    /// Reads `file` and the files it extends (at most 16 levels, no file twice).
    pub fn gather(file: &Path) -> Provenance {
        let mut p = Provenance::default();
        let mut next = Some(file.to_path_buf());
        while let Some(path) = next.take() {
            if p.files.contains(&path) || p.files.len() > 16 {
                break;
            }
            let Ok(text) = crate::read_file(&path) else { break };
            p.scan(&path, &text);
            next = extends(&text).map(|e| path.parent().unwrap_or(Path::new(".")).join(e));
            p.files.push(path);
        }
        p.resolve(file);
        p
    }

    fn scan(&mut self, path: &Path, text: &str) {
        let name = path.display().to_string();
        let lines: Vec<&str> = text.lines().collect();
        let mut i = 0;
        while i < lines.len() {
            for tag in tags(lines[i]) {
                if !self.tags.contains(&tag) {
                    self.tags.push(tag);
                }
            }
            let line = lines[i].trim();
            if !line.contains("ASSUMPTION") {
                i += 1;
                continue;
            }
            if let Some(comment) = line.strip_prefix('#') {
                // A comment paragraph: the run of comment lines around this one.
                let mut start = i;
                while start > 0
                    && lines[start - 1].trim_start().starts_with('#')
                    && lines[start - 1].trim() != "#"
                {
                    start -= 1;
                }
                let mut end = i + 1;
                while end < lines.len()
                    && lines[end].trim_start().starts_with('#')
                    && lines[end].trim() != "#"
                {
                    end += 1;
                }
                let paragraph: Vec<&str> =
                    lines[start..end].iter().map(|l| l.trim().trim_start_matches('#').trim()).collect();
                let paragraph = paragraph.join(" ");
                // The header line "…is either sourced or marked ASSUMPTION" is a convention,
                // not an assumption.
                if !paragraph.contains("marked ASSUMPTION") && !comment.trim().is_empty() {
                    self.assumptions.push((name.clone(), start + 1, paragraph));
                }
                i = end;
                continue;
            }
            // `key = value  # ASSUMPTION: why`
            if let Some((code, comment)) = line.split_once('#') {
                let why =
                    comment.trim().trim_start_matches("ASSUMPTION").trim_start_matches([':', ';', '.', ' ']);
                let text = if why.is_empty() {
                    format!("`{}`", code.trim())
                } else {
                    format!("`{}`: {why}", code.trim())
                };
                self.assumptions.push((name.clone(), i + 1, text));
            }
            i += 1;
        }
    }

    /// One table row per cited tag: tag, fact, outlets, confidence.
    fn source_rows(&self) -> Vec<Vec<String>> {
        self.tags
            .iter()
            .map(|tag| match self.sources.get(tag) {
                Some([fact, sources, confidence]) => {
                    vec![tag.clone(), fact.clone(), sources.clone(), confidence.clone()]
                }
                None => vec![tag.clone(), "(not found)".into(), String::new(), String::new()],
            })
            .collect()
    }

    /// Looks for `docs/sources.md` in the scenario's directory and up to four above it, and
    /// takes each cited tag's row, preferring the section about this scenario file.
    fn resolve(&mut self, file: &Path) {
        let mut dir = file.parent().map(Path::to_path_buf);
        let mut found = None;
        for _ in 0..5 {
            let Some(d) = dir else { break };
            let candidate = d.join("docs").join("sources.md");
            if candidate.is_file() {
                found = Some(candidate);
                break;
            }
            dir = d.parent().map(Path::to_path_buf);
        }
        let Some(path) = found else { return };
        let Ok(bytes) = crate::input::read_bounded(&path, crate::input::MAX_SOURCES_BYTES) else { return };
        let Ok(text) = String::from_utf8(bytes) else { return };
        let scenario_name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let mut heading = String::new();
        let mut preferred: BTreeMap<String, [String; 3]> = BTreeMap::new();
        let mut any: BTreeMap<String, [String; 3]> = BTreeMap::new();
        for line in text.lines() {
            if let Some(h) = line.strip_prefix("## ") {
                heading = h.to_owned();
            }
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            // | Tag | Figure | Fact | Sources | Confidence |
            // A row may define several tags: `| S-ANN18, S-LIC45 | … |`.
            let row_tags: Vec<&str> =
                cells.get(1).map_or(Vec::new(), |c| c.split(',').map(str::trim).collect());
            if cells.len() >= 7 && row_tags.iter().all(|t| is_tag(t)) {
                let row =
                    [cells[3].replace("**", ""), cells[4].replace("**", ""), cells[5].replace("**", "")];
                for tag in row_tags {
                    if heading.contains(&scenario_name) {
                        preferred.entry(tag.to_owned()).or_insert_with(|| row.clone());
                    }
                    any.entry(tag.to_owned()).or_insert_with(|| row.clone());
                }
            }
        }
        for tag in &self.tags {
            if let Some(row) = preferred.get(tag).or_else(|| any.get(tag)) {
                self.sources.insert(tag.clone(), row.clone());
            }
        }
        self.sources_file = Some(path);
    }
}

/// The `extends = "…"` of a scenario file's text, if any.
fn extends(text: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let rest = line.trim().strip_prefix("extends")?.trim_start().strip_prefix('=')?.trim();
        let rest = rest.strip_prefix('"')?;
        Some(rest[..rest.find('"')?].to_owned())
    })
}

/// Source tags `[S-…]` in a line.
fn tags(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find("[S-") {
        let after = &rest[at + 1..];
        let Some(end) = after.find(']') else { break };
        // `[S-A]`, `[S-A, S-B]`, `[S-A; a remark]`: every item that is a tag.
        out.extend(after[..end].split([',', ';']).map(str::trim).filter(|t| is_tag(t)).map(str::to_owned));
        rest = &after[end..];
    }
    out
}

/// Whether `text` is a source tag: `S-` and upper-case letters, digits and dashes.
fn is_tag(text: &str) -> bool {
    text.len() > 2
        && text.starts_with("S-")
        && text[2..].chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-')
}

/// Escapes text for HTML.
fn esc(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Escapes scenario text for Markdown: `<` and `&` become entities, so a name holding
/// `<!--` or a tag cannot hide or restyle the rest of the page. Code spans (between
/// backticks) are literal in Markdown and kept as they are.
fn md(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_code = false;
    for c in text.chars() {
        match c {
            '`' => {
                in_code = !in_code;
                out.push(c);
            }
            '<' if !in_code => out.push_str("&lt;"),
            '&' if !in_code => out.push_str("&amp;"),
            _ => out.push(c),
        }
    }
    out
}

/// One word of a POSIX shell command: as is when it holds only characters no shell
/// treats specially, else in single quotes (each `'` written as `'\''`).
fn shell_quote(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "_-./:=@%+,".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        return word.to_owned();
    }
    format!("'{}'", word.replace('\'', "'\\''"))
}

/// One buyer's line in the findings.
struct Finding {
    id: String,
    region: String,
    p_short: f64,
    first: Option<(String, String, String)>,
    unmet: f64,
    unit: String,
    fill: f64,
    recovered: f64,
}

struct Brief<'a> {
    run: &'a RunData,
    sweep: &'a SweepData,
    charts: &'a [Named],
    provenance: &'a Provenance,
    command: &'a str,
    ranked: Option<&'a (crate::rank::RankInfo, chokepoint_montecarlo::Ranking)>,
    /// The scenario scored against its observations, when it has a `[backtest]` table.
    history: Option<&'a crate::backtest::Scored>,
}

impl Brief<'_> {
    fn findings(&self, point: usize) -> Vec<Finding> {
        let meta = &self.sweep.meta;
        let Some(p) = self.sweep.points.get(point) else { return Vec::new() };
        let mut out: Vec<Finding> = meta
            .watched()
            .iter()
            .filter_map(|id| {
                let e = p.entities.get(id)?;
                let date = |q: &str| e.first_short_date.get(q).cloned();
                let first = match (date("p10"), date("p50"), date("p90")) {
                    (Some(a), Some(b), Some(c)) => Some((a, b, c)),
                    _ => None,
                };
                Some(Finding {
                    id: id.clone(),
                    region: meta.chain.get(id).map_or_else(String::new, |c| c.region.clone()),
                    p_short: e.probability_short,
                    first,
                    unmet: e.unmet_mean,
                    unit: meta.unit(id).to_owned(),
                    fill: e.fill_rate_mean,
                    recovered: e.probability_recovered,
                })
            })
            .collect();
        out.sort_by(|a, b| b.p_short.total_cmp(&a.p_short).then_with(|| a.id.cmp(&b.id)));
        out
    }

    /// Plain sentences: who runs short, when, how much, and who does not; then what each
    /// other sweep point changes.
    fn headline(&self) -> Vec<String> {
        let findings = self.findings(0);
        let mut lines = Vec::new();
        if self.sweep.points.len() > 1 {
            lines.push(format!("With {} (sweep point 0):", self.sweep.short_label(0)));
        }
        for f in findings.iter().filter(|f| f.p_short > 0.0) {
            let when = f.first.as_ref().map_or_else(String::new, |(p10, p50, p90)| {
                if p10 == p90 {
                    format!(", from {}", long_date(p50))
                } else {
                    format!(
                        ", most likely from {} (80 % of those runs between {} and {})",
                        long_date(p50),
                        long_date(p10),
                        long_date(p90)
                    )
                }
            });
            lines.push(format!(
                "{} ({}) runs short in {} of runs{when}; on average {} {} of demand go unmet.",
                f.id,
                f.region,
                ValueFormat::Percent.format(f.p_short),
                format_units(f.unmet),
                f.unit
            ));
        }
        let safe: Vec<&str> = findings.iter().filter(|f| f.p_short == 0.0).map(|f| f.id.as_str()).collect();
        if !safe.is_empty() {
            lines.push(format!("Never short in any run: {}.", safe.join(", ")));
        }
        let short_at_0: Vec<&str> =
            findings.iter().filter(|f| f.p_short > 0.0).map(|f| f.id.as_str()).collect();
        for k in 1..self.sweep.points.len() {
            let at_k = self.findings(k);
            let short: Vec<&Finding> = at_k.iter().filter(|f| f.p_short > 0.0).collect();
            let newly: Vec<&str> = short
                .iter()
                .filter(|f| !short_at_0.contains(&f.id.as_str()))
                .map(|f| f.id.as_str())
                .collect();
            let mut sentence = format!(
                "With {}: {} of {} watched buyers run short",
                self.sweep.short_label(k),
                short.len(),
                at_k.len()
            );
            if !newly.is_empty() {
                sentence.push_str(&format!(" ({} too)", newly.join(", ")));
            }
            // Fill rates compare across buyers whatever their units.
            if let Some(worst) = at_k.iter().min_by(|a, b| a.fill.total_cmp(&b.fill))
                && let Some(before) = findings.iter().find(|f| f.id == worst.id)
                && worst.fill < 1.0
            {
                sentence.push_str(&format!(
                    "; the worst hit, {}, meets {:.1} % of its demand (against {:.1} %)",
                    worst.id,
                    worst.fill * 100.0,
                    before.fill * 100.0
                ));
            }
            sentence.push('.');
            lines.push(sentence);
        }
        if let Some((info, ranking)) = self.ranked {
            lines.push(crate::rank::headline(info, ranking));
        }
        lines
    }

    fn headline_text(&self) -> String {
        let mut out = format!("{}\n\n", self.sweep.meta.scenario);
        for line in self.headline() {
            let _ = writeln!(out, "- {line}");
        }
        out
    }

    /// The KPI table of a sweep point: header and rows of cells.
    fn kpi_table(&self, point: usize) -> (Vec<&'static str>, Vec<Vec<String>>) {
        let header = vec![
            "Buyer",
            "Region",
            "P(short)",
            "First shortage, median",
            "80 % of runs between",
            "Unmet demand, mean",
            "Fill rate, mean",
            "P(recovered)",
        ];
        let rows = self
            .findings(point)
            .into_iter()
            .map(|f| {
                let (median, range) = match &f.first {
                    Some((p10, p50, p90)) => {
                        (long_date(p50), format!("{} – {}", long_date(p10), long_date(p90)))
                    }
                    None => ("never".to_owned(), "-".to_owned()),
                };
                vec![
                    f.id,
                    f.region,
                    ValueFormat::Percent.format(f.p_short),
                    median,
                    range,
                    format!("{} {}", format_units(f.unmet), f.unit),
                    format!("{:.1} %", f.fill * 100.0),
                    if f.p_short > 0.0 { ValueFormat::Percent.format(f.recovered) } else { "-".to_owned() },
                ]
            })
            .collect();
        (header, rows)
    }

    /// The single run's KPI table.
    fn run_table(&self) -> (Vec<&'static str>, Vec<Vec<String>>) {
        let header = vec![
            "Buyer",
            "Region",
            "Runs short after",
            "Recovers after",
            "Peak shortage",
            "Unmet demand",
            "Fill rate",
        ];
        let meta = &self.run.meta;
        let rows = meta
            .watched()
            .iter()
            .filter_map(|id| {
                let k = self.run.kpis.get(id)?;
                let days = |d: Option<u32>| d.map_or_else(|| "-".to_owned(), |d| format!("{d} d"));
                Some(vec![
                    id.clone(),
                    meta.chain.get(id).map_or_else(String::new, |c| c.region.clone()),
                    k.time_to_survive_days.map_or_else(|| "never".to_owned(), |d| format!("{d} d")),
                    days(k.time_to_recover_days),
                    ValueFormat::Percent.format(k.peak_shortage),
                    format!("{} {}", format_units(k.unmet_units), meta.unit(id)),
                    format!("{:.1} %", k.fill_rate * 100.0),
                ])
            })
            .collect();
        (header, rows)
    }

    fn reproduce(&self) -> Vec<String> {
        let meta = &self.sweep.meta;
        vec![
            format!("Scenario file: {}", meta.file),
            format!("Seed: {}; {} runs per sweep point; common random numbers across points.", meta.seed, self.sweep.runs),
            format!("Tool: chokepoint {}.", meta.version),
            format!("Regenerate with: {}", self.command),
            "Method: docs/monte-carlo.md (quantiles within 3.1 % of their value; means exact). Model rules: docs/model.md."
                .to_owned(),
        ]
    }

    fn sections(&self) -> Vec<(Section, &'static str, &'static str)> {
        vec![
            (
                Section::Run,
                "One run of the scenario as written",
                "A single replicate (the sweep's run 0), to show the mechanics: when controls bite, who runs short, how it travels down the chain.",
            ),
            (
                Section::Sweep,
                "The range of outcomes",
                "Monte Carlo replicates at each sweep point: the probability and timing of shortages, and their spread.",
            ),
            (
                Section::Compare,
                "What changes across the sweep",
                "The same random numbers at every point, so the differences below are the settings' alone.",
            ),
            (
                Section::History,
                "Model against history",
                "Every observation of what really happened in this episode (customs exports, the dates buyers ran short, price gaps), beside the model's 90 % band over runs. An observation outside its band is a miss, reported as plainly as a hit. docs/backtest.md explains the scoring.",
            ),
            (
                Section::Rank,
                "Single points of failure",
                "Each candidate suffers the same disruption in turn, on the scenario as written; its cost is what the watched buyers lose against the same runs undisturbed (common random numbers). docs/ranking.md explains the method.",
            ),
        ]
    }

    fn html(&self, inline: &[String]) -> String {
        let meta = &self.sweep.meta;
        let mut h = String::with_capacity(4 << 20);
        let regular = base64::engine::general_purpose::STANDARD.encode(chokepoint_plot::style::DEJAVU_SANS);
        let bold = base64::engine::general_purpose::STANDARD.encode(chokepoint_plot::style::DEJAVU_SANS_BOLD);
        let _ = write!(
            h,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <meta name=\"generator\" content=\"chokepoint {version}\">\n<title>{title}</title>\n<style>\n\
             @font-face {{ font-family: 'DejaVu Sans'; font-weight: normal; src: url(data:font/ttf;base64,{regular}) format('truetype'); }}\n\
             @font-face {{ font-family: 'DejaVu Sans'; font-weight: bold; src: url(data:font/ttf;base64,{bold}) format('truetype'); }}\n\
             {CSS}</style>\n</head>\n<body>\n<main>\n",
            version = esc(&meta.version),
            title = esc(&meta.scenario),
        );
        let _ = writeln!(
            h,
            "<header><p class=\"kicker\">chokepoint briefing</p><h1>{}</h1>",
            esc(&meta.scenario)
        );
        let _ = writeln!(
            h,
            "<p class=\"meta\">{} · seed {} · {} runs per point · chokepoint {}</p></header>",
            esc(&meta.file),
            meta.seed,
            format_units(self.sweep.runs as f64),
            esc(&meta.version)
        );
        let _ = writeln!(h, "<section id=\"findings\"><h2>Key findings</h2><ul>");
        for line in self.headline() {
            let _ = writeln!(h, "<li>{}</li>", esc(&line));
        }
        let _ = writeln!(h, "</ul></section>");
        if !meta.description.is_empty() {
            let _ = writeln!(h, "<section id=\"scenario\"><h2>The scenario</h2>");
            for paragraph in meta.description.split("\n\n") {
                let _ = writeln!(h, "<p>{}</p>", esc(&paragraph.replace('\n', " ")));
            }
            let _ = writeln!(h, "</section>");
        }
        let _ = writeln!(h, "<section id=\"kpis\"><h2>Who runs short</h2>");
        for point in 0..self.sweep.points.len() {
            let (header, rows) = self.kpi_table(point);
            let _ = writeln!(
                h,
                "<h3>{} runs, {}</h3>",
                format_units(self.sweep.points[point].runs as f64),
                esc(&self.sweep.short_label(point))
            );
            html_table(&mut h, &header, &rows);
        }
        let _ = writeln!(h, "<h3>One run (seed {})</h3>", meta.seed);
        let (header, rows) = self.run_table();
        html_table(&mut h, &header, &rows);
        let _ = writeln!(
            h,
            "<p class=\"note\">P(short): share of runs with any day of unmet demand. Dates are when the first \
             shortage starts. Fill rate: share of demand met over the whole horizon. P(recovered): share of runs \
             in which a buyer that ran short was back to full supply before the end.</p></section>"
        );
        for (section, title, intro) in self.sections() {
            let in_section: Vec<(usize, &Named)> =
                self.charts.iter().enumerate().filter(|(_, c)| c.section == section).collect();
            if in_section.is_empty() {
                continue;
            }
            let _ = writeln!(h, "<section><h2>{}</h2><p>{}</p>", esc(title), esc(intro));
            if section == Section::History
                && let Some(history) = self.history
            {
                let (header, rows) = crate::backtest::report_table(history);
                html_table(&mut h, &header, &rows);
                let _ = writeln!(h, "<p class=\"note\">{}</p>", esc(&crate::backtest::report_note(history)));
            }
            if section == Section::Rank
                && let Some((info, ranking)) = self.ranked
            {
                let (header, rows) = crate::rank::report_table(info, ranking, REPORT_RANKED);
                html_table(&mut h, &header, &rows);
            }
            for (i, named) in in_section {
                let svg = inline[i].find("<svg").map_or(inline[i].as_str(), |at| &inline[i][at..]);
                let _ = writeln!(
                    h,
                    "<figure id=\"{}\">{}<figcaption>{} <a href=\"charts/{}.png\">PNG</a> · <a href=\"charts/{}.svg\">SVG</a></figcaption></figure>",
                    esc(&named.stem),
                    svg,
                    esc(&named.caption),
                    esc(&named.stem),
                    esc(&named.stem)
                );
            }
            let _ = writeln!(h, "</section>");
        }
        let _ = writeln!(h, "<section id=\"assumptions\"><h2>Assumptions</h2>");
        if self.provenance.assumptions.is_empty() {
            let _ = writeln!(h, "<p>No comment in the scenario files is marked ASSUMPTION.</p>");
        } else {
            let _ = writeln!(
                h,
                "<p>Figures and choices that no source backs, as marked in the scenario files:</p><ul>"
            );
            for (file, line, text) in &self.provenance.assumptions {
                let _ = writeln!(
                    h,
                    "<li>{} <span class=\"where\">({}:{})</span></li>",
                    esc(text),
                    esc(file),
                    line
                );
            }
            let _ = writeln!(h, "</ul>");
        }
        let _ = writeln!(h, "</section><section id=\"sources\"><h2>Sources</h2>");
        self.sources_html(&mut h);
        let _ = writeln!(h, "</section><section id=\"reproduce\"><h2>Reproduce</h2><ul>");
        for line in self.reproduce() {
            let _ = writeln!(h, "<li>{}</li>", esc(&line));
        }
        let _ = writeln!(h, "</ul></section>\n</main>\n</body>\n</html>");
        h
    }

    fn sources_html(&self, h: &mut String) {
        let p = self.provenance;
        if p.tags.is_empty() {
            let _ = writeln!(h, "<p>The scenario files cite no source tags ([S-…]).</p>");
            return;
        }
        match &p.sources_file {
            Some(file) => {
                let _ = writeln!(
                    h,
                    "<p>Tags cited in the scenario files, resolved from {}:</p>",
                    esc(&file.display().to_string())
                );
            }
            None => {
                let _ = writeln!(
                    h,
                    "<p>Tags cited in the scenario files (no docs/sources.md was found above the scenario file to resolve them):</p>"
                );
            }
        }
        html_table(h, &SOURCE_HEADER, &p.source_rows());
    }

    fn markdown(&self) -> String {
        let meta = &self.sweep.meta;
        let mut m = String::new();
        let _ = writeln!(m, "# {}\n", md(&meta.scenario));
        let _ = writeln!(
            m,
            "*chokepoint briefing · {} · seed {} · {} runs per point · chokepoint {}*\n",
            md(&meta.file),
            meta.seed,
            format_units(self.sweep.runs as f64),
            meta.version
        );
        let _ = writeln!(m, "## Key findings\n");
        for line in self.headline() {
            let _ = writeln!(m, "- {}", md(&line));
        }
        if !meta.description.is_empty() {
            let _ = writeln!(m, "\n## The scenario\n");
            for paragraph in meta.description.split("\n\n") {
                let _ = writeln!(m, "{}\n", md(&paragraph.replace('\n', " ")));
            }
        }
        let _ = writeln!(m, "\n## Who runs short\n");
        for point in 0..self.sweep.points.len() {
            let (header, rows) = self.kpi_table(point);
            let _ = writeln!(
                m,
                "### {} runs, {}\n",
                format_units(self.sweep.points[point].runs as f64),
                md_cell(&self.sweep.short_label(point))
            );
            md_table(&mut m, &header, &rows);
        }
        let _ = writeln!(m, "### One run (seed {})\n", meta.seed);
        let (header, rows) = self.run_table();
        md_table(&mut m, &header, &rows);
        for (section, title, intro) in self.sections() {
            let in_section: Vec<&Named> = self.charts.iter().filter(|c| c.section == section).collect();
            if in_section.is_empty() {
                continue;
            }
            let _ = writeln!(m, "## {title}\n\n{intro}\n");
            if section == Section::History
                && let Some(history) = self.history
            {
                let (header, rows) = crate::backtest::report_table(history);
                md_table(&mut m, &header, &rows);
                let _ = writeln!(m, "{}\n", md(&crate::backtest::report_note(history)));
            }
            if section == Section::Rank
                && let Some((info, ranking)) = self.ranked
            {
                let (header, rows) = crate::rank::report_table(info, ranking, REPORT_RANKED);
                md_table(&mut m, &header, &rows);
            }
            for named in in_section {
                let _ = writeln!(
                    m,
                    "![{}](charts/{}.png)\n\n{}\n",
                    md(&named.chart.frame().title),
                    named.stem,
                    md(&named.caption)
                );
            }
        }
        let _ = writeln!(m, "## Assumptions\n");
        for (file, line, text) in &self.provenance.assumptions {
            let _ = writeln!(m, "- {} ({}:{line})", md(text), md(file));
        }
        let _ = writeln!(m, "\n## Sources\n");
        let rows = self.provenance.source_rows();
        if !rows.is_empty() {
            md_table(&mut m, &SOURCE_HEADER, &rows);
        }
        let _ = writeln!(m, "## Reproduce\n");
        for line in self.reproduce() {
            let _ = writeln!(m, "- {}", md(&line));
        }
        m
    }
}

/// `2025-06-16` as `16 Jun 2025`.
fn long_date(iso: &str) -> String {
    match iso.parse::<jiff::civil::Date>() {
        Ok(date) => chokepoint_plot::Calendar::new(date).long(0.0),
        Err(_) => iso.to_owned(),
    }
}

fn html_table(h: &mut String, header: &[&str], rows: &[Vec<String>]) {
    let _ = write!(h, "<table><thead><tr>");
    for cell in header {
        let _ = write!(h, "<th>{}</th>", esc(cell));
    }
    let _ = writeln!(h, "</tr></thead><tbody>");
    for row in rows {
        let _ = write!(h, "<tr>");
        for cell in row {
            let _ = write!(h, "<td>{}</td>", esc(cell));
        }
        let _ = writeln!(h, "</tr>");
    }
    let _ = writeln!(h, "</tbody></table>");
}

fn md_cell(text: &str) -> String {
    md(&text.replace('|', "\\|").replace('\n', " "))
}

fn md_table(m: &mut String, header: &[&str], rows: &[Vec<String>]) {
    let _ = writeln!(m, "| {} |", header.iter().map(|c| md_cell(c)).collect::<Vec<_>>().join(" | "));
    let _ = writeln!(m, "|{}", "---|".repeat(header.len()));
    for row in rows {
        let _ = writeln!(m, "| {} |", row.iter().map(|c| md_cell(c)).collect::<Vec<_>>().join(" | "));
    }
    let _ = writeln!(m);
}

const CSS: &str = "\
:root { --ink: #212121; --muted: #5a5a5a; --rule: #d9d9d9; --accent: #0072b2; }
body { margin: 0; background: #fff; color: var(--ink); font: 16px/1.5 'DejaVu Sans', Verdana, sans-serif; }
main { max-width: 1100px; margin: 0 auto; padding: 2rem 1.5rem 4rem; }
header { border-bottom: 3px solid var(--accent); margin-bottom: 1.5rem; }
.kicker { text-transform: uppercase; letter-spacing: .08em; color: var(--accent); font-weight: bold; margin: 0; }
h1 { font-size: 1.9rem; margin: .3rem 0 .5rem; line-height: 1.25; }
h2 { font-size: 1.35rem; margin-top: 2.5rem; border-bottom: 1px solid var(--rule); padding-bottom: .3rem; }
h3 { font-size: 1.05rem; margin-top: 1.5rem; }
.meta, .note, .where, figcaption { color: var(--muted); font-size: .9rem; }
#findings li { margin: .4rem 0; }
table { border-collapse: collapse; width: 100%; font-size: .85rem; margin: .5rem 0 1rem; }
th, td { border-bottom: 1px solid var(--rule); padding: .35rem .5rem; text-align: left; vertical-align: top; }
th { background: #f3f6f9; }
figure { margin: 1.5rem 0 2.5rem; break-inside: avoid; }
figure svg { width: 100%; height: auto; display: block; border: 1px solid var(--rule); }
figcaption { margin-top: .5rem; }
a { color: var(--accent); }
@media print { main { max-width: none; padding: 0; } h2 { break-after: avoid; } a { color: inherit; } }
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_and_extends_are_read_from_text() {
        assert_eq!(tags("x = 1 # [S-USGS-MINE] and [S-LIC45]; [not a tag]"), vec!["S-USGS-MINE", "S-LIC45"]);
        assert_eq!(
            tags("# [S-RESIST, S-HF] [S-GE; figures conflict, 59-91 %]"),
            vec!["S-RESIST", "S-HF", "S-GE"]
        );
        assert_eq!(extends("[scenario]\nextends = \"worlds/a.toml\"   # c\n"), Some("worlds/a.toml".into()));
        assert_eq!(extends("[scenario]\nname = \"x\"\n"), None);
    }

    #[test]
    fn assumptions_are_comments_marked_so() {
        let mut p = Provenance::default();
        let text = "# Every figure is sourced or\n# marked ASSUMPTION. Nothing tuned.\n\nvalue = 5.0  # ASSUMPTION: order of magnitude\n\
                    stock = 3 # ASSUMPTION\n# 120 days is a what-if\n# (ASSUMPTION), for a longer stop.\nend = 1\n";
        p.scan(Path::new("a.toml"), text);
        assert_eq!(
            p.assumptions,
            vec![
                ("a.toml".to_owned(), 4, "`value = 5.0`: order of magnitude".to_owned()),
                ("a.toml".to_owned(), 5, "`stock = 3`".to_owned()),
                ("a.toml".to_owned(), 6, "120 days is a what-if (ASSUMPTION), for a longer stop.".to_owned()),
            ]
        );
    }

    #[test]
    fn markdown_text_cannot_open_html() {
        assert_eq!(md("Chain <!-- hidden & more"), "Chain &lt;!-- hidden &amp; more");
        // Code spans are literal in Markdown: left as written.
        assert_eq!(md("`a < b` and a < b"), "`a < b` and a &lt; b");
        assert_eq!(md_cell("x | <b>"), "x \\| &lt;b>");
    }

    #[test]
    fn shell_words_are_quoted_only_when_needed() {
        assert_eq!(shell_quote("scenarios/a-b_2025.toml"), "scenarios/a-b_2025.toml");
        assert_eq!(shell_quote("my brief.toml"), "'my brief.toml'");
        assert_eq!(shell_quote("it's.toml"), "'it'\\''s.toml'");
        assert_eq!(shell_quote("event.x.end={ after = \"63d\" }"), "'event.x.end={ after = \"63d\" }'");
        assert_eq!(shell_quote("$(rm -rf ~)"), "'$(rm -rf ~)'");
        assert_eq!(shell_quote(""), "''");
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(esc("a < b & \"c\""), "a &lt; b &amp; &quot;c&quot;");
    }
}
