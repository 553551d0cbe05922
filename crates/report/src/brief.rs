//! The briefing's words and layout: provenance (assumptions and sources of a scenario and
//! the world files it extends), findings in sentences, tables, and `report.html` (inline
//! SVG, the embedded font) and `report.md` composed from results already loaded and charts
//! already drawn. No files are written here and nothing is run: `chokepoint report` runs the
//! scenario, draws the charts and writes what this returns.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use chokepoint_plot::ValueFormat;

use crate::charts::{Named, Section};
use crate::files::{MAX_SOURCES_BYTES, read_bounded, read_scenario};
use crate::format::format_units;
use crate::results::{RunData, SweepData};

/// Candidates listed in the report's ranking table.
pub const REPORT_RANKED: usize = 10;

/// Columns of the sources table.
const SOURCE_HEADER: [&str; 4] = ["Tag", "Fact", "Outlets", "Confidence"];

/// A section of rows built elsewhere (the ranking, the model against history): a sentence
/// for the key findings, a table, and a note below it.
#[derive(Clone, Debug, Default)]
pub struct TableSection {
    /// A sentence for the key findings (empty: none).
    pub headline: String,
    /// Column names.
    pub header: Vec<String>,
    /// Rows of cells.
    pub rows: Vec<Vec<String>>,
    /// A note below the table (empty: none).
    pub note: String,
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
    /// The sources files used (each found above a file that cites tags), the scenario's
    /// first.
    pub sources_files: Vec<PathBuf>,
    /// The index in `files` of the first file citing each tag.
    cited_in: BTreeMap<String, usize>,
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
            let Ok(text) = read_scenario(&path) else { break };
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
                    self.cited_in.insert(tag.clone(), self.files.len());
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
                // A banner (`# ---- magnets ----`) divides sections: a paragraph stops at one.
                let joins =
                    |line: &str| line.trim_start().starts_with('#') && line.trim() != "#" && !is_banner(line);
                let mut start = i;
                while start > 0 && joins(lines[start - 1]) {
                    start -= 1;
                }
                let mut end = i + 1;
                while end < lines.len() && joins(lines[end]) {
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

    /// Resolves each cited tag in the `docs/sources.md` found above the file that cites it
    /// (in its directory or up to four above), then in those of the other files read: a
    /// scenario that extends a world in another folder finds the world's tags beside the
    /// world. Within one sources file, the section about this scenario file is preferred.
    fn resolve(&mut self, file: &Path) {
        let scenario_name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        // Per file read, the index of its sources file in `tables`.
        let mut tables: Vec<SourceTable> = Vec::new();
        let mut of_file: Vec<Option<usize>> = Vec::new();
        for f in &self.files {
            let Some(path) = find_sources(f) else {
                of_file.push(None);
                continue;
            };
            if let Some(index) = self.sources_files.iter().position(|p| *p == path) {
                of_file.push(Some(index));
                continue;
            }
            let Ok(bytes) = read_bounded(&path, MAX_SOURCES_BYTES) else {
                of_file.push(None);
                continue;
            };
            let Ok(text) = String::from_utf8(bytes) else {
                of_file.push(None);
                continue;
            };
            tables.push(SourceTable::parse(&text, &scenario_name));
            self.sources_files.push(path);
            of_file.push(Some(tables.len() - 1));
        }
        for tag in &self.tags {
            let first = self.cited_in.get(tag).and_then(|&f| of_file.get(f).copied().flatten());
            let order = first.into_iter().chain((0..tables.len()).filter(|&t| Some(t) != first));
            let order: Vec<usize> = order.collect();
            let row =
                order.iter().find_map(|&t| tables[t].preferred.get(tag).or_else(|| tables[t].any.get(tag)));
            if let Some(row) = row {
                self.sources.insert(tag.clone(), row.clone());
            }
        }
    }
}

/// The rows of one `docs/sources.md`: each tag's fact, outlets and confidence, from the
/// section about the scenario file (`preferred`) and from anywhere (`any`, first wins).
struct SourceTable {
    preferred: BTreeMap<String, [String; 3]>,
    any: BTreeMap<String, [String; 3]>,
}

impl SourceTable {
    fn parse(text: &str, scenario_name: &str) -> SourceTable {
        let mut heading = String::new();
        let mut table = SourceTable { preferred: BTreeMap::new(), any: BTreeMap::new() };
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
                    if !scenario_name.is_empty() && heading.contains(scenario_name) {
                        table.preferred.entry(tag.to_owned()).or_insert_with(|| row.clone());
                    }
                    table.any.entry(tag.to_owned()).or_insert_with(|| row.clone());
                }
            }
        }
        table
    }
}

/// `docs/sources.md` in the directory of `file` or up to four above it.
fn find_sources(file: &Path) -> Option<PathBuf> {
    let mut dir = file.parent().map(Path::to_path_buf);
    for _ in 0..5 {
        let d = dir?;
        let candidate = d.join("docs").join("sources.md");
        if candidate.is_file() {
            return Some(candidate);
        }
        dir = d.parent().map(Path::to_path_buf);
    }
    None
}

/// Whether a comment line is a section banner: `# -----` or `# ---- magnets ----`.
fn is_banner(line: &str) -> bool {
    let text = line.trim().trim_start_matches('#').trim();
    text.starts_with("---") || text.starts_with("===")
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
pub fn shell_quote(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "_-./:=@%+,".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        return word.to_owned();
    }
    format!("'{}'", word.replace('\'', "'\\''"))
}

/// One buyer's line in the findings.
#[derive(Clone, Debug)]
struct Finding {
    id: String,
    /// Display name (else the id).
    name: String,
    region: String,
    p_short: f64,
    first: Option<(String, String, String)>,
    unmet: f64,
    unit: String,
    fill: f64,
    recovered: f64,
}

impl Finding {
    /// Its display name; an id without one gets its region (`eu_auto (DE)`).
    fn shown(&self) -> String {
        if self.name == self.id && !self.region.is_empty() {
            format!("{} ({})", self.id, self.region)
        } else {
            self.name.clone()
        }
    }
}

/// Everything a briefing is composed from.
pub struct Brief<'a> {
    /// The single run.
    pub run: &'a RunData,
    /// The sweep.
    pub sweep: &'a SweepData,
    /// Every chart, in the order drawn.
    pub charts: &'a [Named],
    /// Assumptions and sources.
    pub provenance: &'a Provenance,
    /// The command that regenerates the report.
    pub command: &'a str,
    /// Single points of failure, when a ranking was asked for.
    pub ranked: Option<&'a TableSection>,
    /// The scenario scored against its observations, when it has a `[backtest]` table.
    pub history: Option<&'a TableSection>,
    /// Why each watched buyer that ran short in the single run did (`explain`).
    pub why: &'a [Why],
}

/// Why one buyer ran short, in sentences (from `explain`).
#[derive(Clone, Debug, Default)]
pub struct Why {
    /// The buyer as shown (its display name).
    pub name: String,
    /// The causal chain of its first shortage, one sentence each.
    pub lines: Vec<String>,
}

/// The stem of the chart a briefing opens with (the run's who-runs-short panels).
pub const MAIN_CHART: &str = "shortage";

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
                    name: meta.display(id).to_owned(),
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
        // Most likely short first; among equals, the earliest median first shortage.
        let median = |f: &Finding| f.first.as_ref().map(|(_, p50, _)| p50.clone());
        out.sort_by(|a, b| {
            b.p_short
                .total_cmp(&a.p_short)
                .then_with(|| median(a).cmp(&median(b)))
                .then_with(|| a.id.cmp(&b.id))
        });
        out
    }

    /// The key findings in groups, each a heading (empty for a one-point sweep's) and plain
    /// sentences: at the first sweep point who runs short, when, how much, who does not and
    /// how close they came; then what each other point changes; then the ranking's headline.
    pub fn finding_groups(&self) -> Vec<(String, Vec<String>)> {
        let findings = self.findings(0);
        let mut groups = Vec::new();
        let mut lines = Vec::new();
        let first_title = if self.sweep.points.len() > 1 {
            format!("With {}", self.sweep.short_label(0))
        } else {
            String::new()
        };
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
                "{}: short in {} of runs{when}; {} {} of demand unmet on average.",
                f.shown(),
                ValueFormat::Percent.format(f.p_short),
                format_units(f.unmet),
                f.unit
            ));
        }
        let safe: Vec<&Finding> = findings.iter().filter(|f| f.p_short == 0.0).collect();
        if !safe.is_empty() {
            let names: Vec<&str> = safe.iter().map(|f| f.name.as_str()).collect();
            lines.push(format!("Never short in any run: {}.", names.join(", ")));
            // How close the safe ones came: the lowest median headroom among them.
            let closest = safe
                .iter()
                .filter_map(|f| Some((f, self.sweep.points[0].entities.get(&f.id)?.min_cover?)))
                .min_by(|a, b| a.1.p50.total_cmp(&b.1.p50));
            if let Some((f, cover)) = closest {
                lines.push(format!(
                    "Closest call: {}, down to {} of cover at its lowest in the median run (5 % of runs below {}).",
                    f.name,
                    crate::charts::days_text(cover.p50),
                    crate::charts::days_text(cover.p05)
                ));
            }
        }
        groups.push((first_title, std::mem::take(&mut lines)));
        let short_at_0: Vec<&str> =
            findings.iter().filter(|f| f.p_short > 0.0).map(|f| f.id.as_str()).collect();
        for k in 1..self.sweep.points.len() {
            let at_k = self.findings(k);
            let short: Vec<&Finding> = at_k.iter().filter(|f| f.p_short > 0.0).collect();
            let newly: Vec<&str> = short
                .iter()
                .filter(|f| !short_at_0.contains(&f.id.as_str()))
                .map(|f| f.name.as_str())
                .collect();
            let mut sentence = format!("{} of {} watched buyers run short", short.len(), at_k.len());
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
                    worst.name,
                    worst.fill * 100.0,
                    before.fill * 100.0
                ));
            }
            sentence.push('.');
            groups.push((format!("With {}", self.sweep.short_label(k)), vec![sentence]));
        }
        if let Some(ranked) = self.ranked
            && !ranked.headline.is_empty()
        {
            groups.push(("Single points of failure".to_owned(), vec![ranked.headline.clone()]));
        }
        groups
    }

    /// One paragraph for the top of the briefing: the main chart's finding (who runs short,
    /// from when, who does not) and, when the run traced a shortage, its root.
    fn lead(&self) -> Option<String> {
        let chart = self.charts.iter().find(|c| c.stem == MAIN_CHART)?;
        let mut lead = format!("In one run of the scenario as written: {}.", chart.chart.frame().title);
        let root = self.why.iter().find_map(|w| w.lines.iter().find(|l| l.starts_with("Root: ")));
        if let (Some(first), Some(root)) = (self.why.first(), root) {
            lead.push_str(&format!(
                " Why: the first shortage ({}) traces back to {}.",
                first.name,
                root.trim_start_matches("Root: ").trim_end_matches('.')
            ));
        }
        Some(lead)
    }

    /// The key findings as plain text for the terminal: the scenario, then each group's
    /// heading and its sentences.
    pub fn headline_text(&self) -> String {
        let mut out = format!("{}\n", self.sweep.meta.scenario);
        for (title, lines) in self.finding_groups() {
            out.push('\n');
            if !title.is_empty() {
                let _ = writeln!(out, "{title}:");
            }
            for line in lines {
                let _ = writeln!(out, "- {line}");
            }
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
            "Min cover, median",
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
                    f.name,
                    f.region,
                    ValueFormat::Percent.format(f.p_short),
                    median,
                    range,
                    format!("{} {}", format_units(f.unmet), f.unit),
                    format!("{:.1} %", f.fill * 100.0),
                    if f.p_short > 0.0 { ValueFormat::Percent.format(f.recovered) } else { "-".to_owned() },
                    self.sweep.points[point]
                        .entities
                        .get(&f.id)
                        .and_then(|e| e.min_cover)
                        .map_or_else(|| "-".to_owned(), |c| crate::charts::days_text(c.p50)),
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
            "Min cover",
        ];
        let meta = &self.run.meta;
        let rows = meta
            .watched()
            .iter()
            .filter_map(|id| {
                let k = self.run.kpis.get(id)?;
                let days = |d: Option<u32>| d.map_or_else(|| "-".to_owned(), |d| format!("{d} d"));
                Some(vec![
                    meta.display(id).to_owned(),
                    meta.chain.get(id).map_or_else(String::new, |c| c.region.clone()),
                    k.time_to_survive_days.map_or_else(|| "never".to_owned(), |d| format!("{d} d")),
                    days(k.time_to_recover_days),
                    ValueFormat::Percent.format(k.peak_shortage),
                    format!("{} {}", format_units(k.unmet_units), meta.unit(id)),
                    format!("{:.1} %", k.fill_rate * 100.0),
                    k.headroom
                        .as_ref()
                        .map_or_else(|| "-".to_owned(), |h| crate::charts::days_text(h.min_cover_days)),
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

    /// `report.html`, with each chart's SVG (in chart order) inline.
    pub fn html(&self, inline: &[String]) -> String {
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
        // First screen: who runs short, when and why in one paragraph, the chart of it, then
        // the findings in detail and the causal chains.
        let _ = writeln!(h, "<section id=\"findings\"><h2>Key findings</h2>");
        let main = self.charts.iter().position(|c| c.stem == MAIN_CHART);
        if let Some(lead) = self.lead() {
            let _ = writeln!(h, "<p class=\"lead\">{}</p>", esc(&lead));
        }
        if let Some(i) = main {
            figure_html(&mut h, &self.charts[i], &inline[i]);
        }
        for (title, lines) in self.finding_groups() {
            if !title.is_empty() {
                let _ = writeln!(h, "<h3>{}</h3>", esc(&title));
            }
            let _ = writeln!(h, "<ul>");
            for line in lines {
                let _ = writeln!(h, "<li>{}</li>", esc(&line));
            }
            let _ = writeln!(h, "</ul>");
        }
        let _ = writeln!(h, "</section>");
        if !self.why.is_empty() {
            let _ = writeln!(
                h,
                "<section id=\"why\"><h2>Why they ran short</h2><p>Each buyer's first shortage in the run above, \
                 walked upstream through the run's own records: the input that ran out, the supplier that did not \
                 deliver it, and why, down to the event at the root (docs/explain.md).</p>"
            );
            for why in self.why {
                let _ = writeln!(h, "<h3>{}</h3><ul>", esc(&why.name));
                for line in &why.lines {
                    let _ = writeln!(h, "<li>{}</li>", esc(line));
                }
                let _ = writeln!(h, "</ul>");
            }
            let _ = writeln!(h, "</section>");
        }
        if !meta.description.is_empty() {
            let _ = writeln!(h, "<section id=\"scenario\"><h2>The scenario</h2>");
            for paragraph in meta.description.split("\n\n") {
                let _ = writeln!(h, "<p>{}</p>", esc(&paragraph.replace('\n', " ")));
            }
            let _ = writeln!(h, "</section>");
        }
        for (section, title, intro) in self.sections() {
            let in_section: Vec<(usize, &Named)> = self
                .charts
                .iter()
                .enumerate()
                .filter(|(i, c)| c.section == section && Some(*i) != main)
                .collect();
            if in_section.is_empty() {
                continue;
            }
            let _ = writeln!(h, "<section><h2>{}</h2><p>{}</p>", esc(title), esc(intro));
            let table = match section {
                Section::History => self.history,
                Section::Rank => self.ranked,
                _ => None,
            };
            if let Some(table) = table {
                html_table(&mut h, &strs(&table.header), &table.rows);
                if !table.note.is_empty() {
                    let _ = writeln!(h, "<p class=\"note\">{}</p>", esc(&table.note));
                }
            }
            for (i, named) in in_section {
                figure_html(&mut h, named, &inline[i]);
            }
            let _ = writeln!(h, "</section>");
        }
        // The long tables after the charts.
        let _ = writeln!(h, "<section id=\"kpis\"><h2>Who runs short: the numbers</h2>");
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
             in which a buyer that ran short was back to full supply before the end. Min cover: the fewest days \
             of use held (stock on hand plus in transit, of the input that ran lowest), median over runs.</p></section>"
        );
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
        if p.sources_files.is_empty() {
            let _ = writeln!(
                h,
                "<p>Tags cited in the scenario files (no docs/sources.md was found above them to resolve them):</p>"
            );
        } else {
            let files: Vec<String> = p.sources_files.iter().map(|f| f.display().to_string()).collect();
            let _ = writeln!(
                h,
                "<p>Tags cited in the scenario files, each resolved beside the file that cites it, from {}:</p>",
                esc(&files.join(", "))
            );
        }
        html_table(h, &SOURCE_HEADER, &p.source_rows());
    }

    /// `report.md`, pointing at the charts' PNG files.
    pub fn markdown(&self) -> String {
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
        if let Some(lead) = self.lead() {
            let _ = writeln!(m, "**{}**\n", md(&lead));
        }
        let main = self.charts.iter().position(|c| c.stem == MAIN_CHART);
        if let Some(i) = main {
            figure_md(&mut m, &self.charts[i]);
        }
        for (title, lines) in self.finding_groups() {
            if !title.is_empty() {
                let _ = writeln!(m, "### {}\n", md(&title));
            }
            for line in lines {
                let _ = writeln!(m, "- {}", md(&line));
            }
            let _ = writeln!(m);
        }
        if !self.why.is_empty() {
            let _ = writeln!(
                m,
                "## Why they ran short\n\nEach buyer's first shortage in the run above, walked upstream through the run's \
                 own records (docs/explain.md).\n"
            );
            for why in self.why {
                let _ = writeln!(m, "### {}\n", md(&why.name));
                for line in &why.lines {
                    let _ = writeln!(m, "- {}", md(line));
                }
                let _ = writeln!(m);
            }
        }
        if !meta.description.is_empty() {
            let _ = writeln!(m, "## The scenario\n");
            for paragraph in meta.description.split("\n\n") {
                let _ = writeln!(m, "{}\n", md(&paragraph.replace('\n', " ")));
            }
        }
        for (section, title, intro) in self.sections() {
            let in_section: Vec<&Named> = self
                .charts
                .iter()
                .enumerate()
                .filter(|(i, c)| c.section == section && Some(*i) != main)
                .map(|(_, c)| c)
                .collect();
            if in_section.is_empty() {
                continue;
            }
            let _ = writeln!(m, "## {title}\n\n{intro}\n");
            let table = match section {
                Section::History => self.history,
                Section::Rank => self.ranked,
                _ => None,
            };
            if let Some(table) = table {
                md_table(&mut m, &strs(&table.header), &table.rows);
                if !table.note.is_empty() {
                    let _ = writeln!(m, "{}\n", md(&table.note));
                }
            }
            for named in in_section {
                figure_md(&mut m, named);
            }
        }
        let _ = writeln!(m, "## Who runs short: the numbers\n");
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

/// A chart in Markdown: its PNG, titled, and its caption.
fn figure_md(m: &mut String, named: &Named) {
    let _ = writeln!(
        m,
        "![{}](charts/{}.png)\n\n{}\n",
        md(&named.chart.frame().title),
        named.stem,
        md(&named.caption)
    );
}

/// A chart inline, with its caption and links to its files.
fn figure_html(h: &mut String, named: &Named, svg: &str) {
    let svg = svg.find("<svg").map_or(svg, |at| &svg[at..]);
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

fn strs(cells: &[String]) -> Vec<&str> {
    cells.iter().map(String::as_str).collect()
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
.lead { font-size: 1.15rem; font-weight: bold; }
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
    fn a_banner_is_not_part_of_an_assumption() {
        let mut p = Provenance::default();
        let text = "# ---------------------------------------- magnets\n# Europe makes 1,000 t/yr\n\
                    # (ASSUMPTION).\nx = 1\n";
        p.scan(Path::new("w.toml"), text);
        assert_eq!(
            p.assumptions,
            vec![("w.toml".to_owned(), 2, "Europe makes 1,000 t/yr (ASSUMPTION).".to_owned())]
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
    fn each_tag_is_resolved_beside_the_file_that_cites_it() {
        let root = std::env::temp_dir().join(format!("chokepoint-sources-{}", std::process::id()));
        let write = |path: &str, text: &str| {
            let path = root.join(path);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("dir");
            std::fs::write(path, text).expect("write");
        };
        let row = |tag: &str, fact: &str| format!("| {tag} | 1 | {fact} | outlet | high |\n");
        // The world, in another folder, with its own sources; the scenario beside its own.
        write("a/docs/sources.md", &row("S-WORLD", "the world's fact"));
        write("a/worlds/w.toml", "[scenario]\nname = \"w\"  # [S-WORLD]\n");
        write("b/docs/sources.md", &(row("S-OWN", "the scenario's fact") + &row("S-WORLD", "a stale copy")));
        write("b/s.toml", "[scenario]\nextends = \"../a/worlds/w.toml\"\nname = \"s\"  # [S-OWN] [S-NONE]\n");
        let p = Provenance::gather(&root.join("b/s.toml"));
        let fact = |tag: &str| p.sources.get(tag).map(|row| row[0].as_str());
        assert_eq!(p.tags, vec!["S-OWN", "S-NONE", "S-WORLD"]);
        assert_eq!(fact("S-OWN"), Some("the scenario's fact"));
        assert_eq!(fact("S-WORLD"), Some("the world's fact"), "looked up beside the world file");
        assert_eq!(fact("S-NONE"), None, "not in any sources file");
        assert_eq!(p.sources_files.len(), 2);
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(esc("a < b & \"c\""), "a &lt; b &amp; &quot;c&quot;");
    }
}
