//! Observation files: CSV rows of what really happened, checked against a model.
//!
//! The format is `docs/backtest.md`'s: a header naming the columns
//! ([`COLUMNS`], every one, in any order), `#` comment lines, one observation a row.
//! [`parse`] checks every row against the model (regions, products, entities, months
//! inside the horizon) and reports every problem at once, each located at its cell.

use std::collections::BTreeMap;
use std::ops::Range;

use chokepoint_engine::{Model, ProductId, Region};
use chokepoint_scenario::{Diagnostic, Report, Sources, did_you_mean};
use jiff::civil::Date;

/// The kinds of observation.
const KINDS: [&str; 4] = ["trade", "first_shortage", "licence_share", "price_ratio"];

/// The columns of an observation file.
pub const COLUMNS: [&str; 14] = [
    "id",
    "kind",
    "exporter",
    "importer",
    "product",
    "entity",
    "period",
    "value",
    "base",
    "tolerance",
    "source",
    "confidence",
    "scored",
    "note",
];

/// How sure the source is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Confidence {
    /// Official or customs data, or several reputable outlets agree.
    High,
    /// One reputable outlet.
    Medium,
    /// Weak.
    Low,
}

impl Confidence {
    /// `H`, `M` or `L`.
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::High => "H",
            Confidence::Medium => "M",
            Confidence::Low => "L",
        }
    }
}

/// A calendar month.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    /// Year.
    pub year: i16,
    /// Month, 1 to 12.
    pub month: i8,
}

impl Month {
    /// Reads `2025-05`.
    pub fn parse(text: &str) -> Option<Month> {
        let (year, month) = text.trim().split_once('-')?;
        if year.len() != 4 || month.len() != 2 {
            return None;
        }
        let month = Month { year: year.parse().ok()?, month: month.parse().ok()? };
        (1..=12).contains(&month.month).then_some(month)
    }

    /// Its first day, if the calendar has it.
    pub fn first(self) -> Option<Date> {
        Date::new(self.year, self.month, 1).ok()
    }

    /// The month after.
    pub fn next(self) -> Month {
        if self.month == 12 {
            Month { year: self.year + 1, month: 1 }
        } else {
            Month { month: self.month + 1, ..self }
        }
    }

    /// The month of `date`.
    pub fn of(date: Date) -> Month {
        Month { year: date.year(), month: date.month() }
    }

    /// The first day of the month after (`None` past the calendar's end).
    fn end(self) -> Option<Date> {
        if self.month == 12 {
            Date::new(self.year.checked_add(1)?, 1, 1).ok()
        } else {
            Date::new(self.year, self.month + 1, 1).ok()
        }
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// A scenario's days as dates: day 0 is `start`, the last day `horizon_days - 1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Calendar {
    /// Day 0's date.
    pub start: Date,
    /// Days simulated.
    pub horizon_days: u32,
}

impl Calendar {
    /// The day index of `date` (negative before the start).
    pub fn day(self, date: Date) -> i64 {
        i64::from((date - self.start).get_days())
    }

    /// The date of day `day`.
    pub fn date(self, day: u32) -> Date {
        self.start.checked_add(jiff::Span::new().days(i64::from(day))).unwrap_or(Date::MAX)
    }

    /// The days of `month`, when the whole month lies inside the horizon.
    pub fn month_days(self, month: Month) -> Option<Range<u32>> {
        let first = self.day(month.first()?);
        let end = self.day(month.end()?);
        (first >= 0 && end > first && end <= i64::from(self.horizon_days)).then_some(first as u32..end as u32)
    }
}

/// What an observation observed, with everything needed to measure it in a run.
#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    /// Units that left `exporter` for `importer` (every other region when `None`) in a month;
    /// with `base`, as a ratio to the mean monthly flow of the base months.
    Trade {
        /// The exporting region.
        exporter: Region,
        /// The importing region, or every other region.
        importer: Option<Region>,
        /// The product.
        product: ProductId,
        /// The month's days.
        days: Range<u32>,
        /// The base months' days, one range a month.
        base: Vec<Range<u32>>,
    },
    /// The first day an entity had unmet demand.
    FirstShortage {
        /// Its id (a demand sink or facility).
        entity: String,
        /// The observed window, as day indices (inclusive), widened by the tolerance.
        window: (i64, i64),
        /// Whether it never ran short in the window.
        never: bool,
    },
    /// The share of a licensing control's applicants (to `importer`, or to any) that had
    /// applied by `day` and had been approved by then.
    LicenceShare {
        /// Index of the control in `Model::events`.
        control: usize,
        /// The importing region, or every region.
        importer: Option<Region>,
        /// The day (inclusive).
        day: u32,
    },
    /// The price index in `outside` over the price index in `inside`, averaged over a month.
    PriceRatio {
        /// The issuer's market (denominator).
        inside: Region,
        /// The market outside (numerator).
        outside: Region,
        /// The product.
        product: ProductId,
        /// The month's days.
        days: Range<u32>,
    },
}

impl Kind {
    /// `trade`, `first_shortage`, `licence_share` or `price_ratio`.
    pub fn name(&self) -> &'static str {
        match self {
            Kind::Trade { .. } => "trade",
            Kind::FirstShortage { .. } => "first_shortage",
            Kind::LicenceShare { .. } => "licence_share",
            Kind::PriceRatio { .. } => "price_ratio",
        }
    }
}

/// One observed figure.
#[derive(Clone, Debug, PartialEq)]
pub struct Observation {
    /// Its id, unique in its file.
    pub id: String,
    /// The kind as written (`trade`, …).
    pub kind_name: String,
    /// What to measure in a run; `None` when the row is not scored.
    pub kind: Option<Kind>,
    /// What the row describes: `CN -> * ndfeb_magnet`, `us_auto`, …
    pub subject: String,
    /// The period as written.
    pub period: String,
    /// The observed value (quantity or ratio); `None` for dates.
    pub value: Option<f64>,
    /// The value or window as written.
    pub observed: String,
    /// The relative tolerance (flows, ratios) or days (dates), if given.
    pub tolerance: Option<f64>,
    /// Where the figure comes from.
    pub source: String,
    /// How sure the source is.
    pub confidence: Confidence,
    /// Why a row is not scored, or other notes.
    pub note: String,
    /// The file it came from, as named to [`parse`].
    pub file: String,
    /// Its line in that file.
    pub line: usize,
}

impl Observation {
    /// Whether the row is scored.
    pub fn scored(&self) -> bool {
        self.kind.is_some()
    }
}

/// The cells of one row, with their spans in the shared offset space.
struct Row<'a> {
    cells: BTreeMap<&'static str, (String, Range<usize>)>,
    line: usize,
    whole: Range<usize>,
    _text: std::marker::PhantomData<&'a ()>,
}

impl Row<'_> {
    fn get(&self, column: &str) -> (&str, Range<usize>) {
        self.cells.get(column).map_or(("", self.whole.clone()), |(text, span)| (text.trim(), span.clone()))
    }
}

/// Reads the observation file `name` (its `text`) against `model` and `calendar`. Returns
/// every observation, or every problem found (with the file in the report's sources).
pub fn parse(name: &str, text: &str, model: &Model, calendar: Calendar) -> Result<Vec<Observation>, Report> {
    let mut sources = Sources::default();
    let base = sources.add(name, text);
    let mut diagnostics = Vec::new();
    let rows = rows(text, base, &mut diagnostics);
    let mut out = Vec::new();
    let mut ids: BTreeMap<String, usize> = BTreeMap::new();
    if let Some(rows) = rows {
        for row in &rows {
            if let Some(observation) = check_row(row, name, model, calendar, &mut diagnostics) {
                if let Some(first) = ids.insert(observation.id.clone(), observation.line) {
                    let (_, span) = row.get("id");
                    diagnostics.push(
                        Diagnostic::error(format!("observation '{}' is defined twice", observation.id), span)
                            .with_hint(format!(
                                "its first definition is on line {first}; ids must be unique"
                            )),
                    );
                }
                out.push(observation);
            }
        }
        if rows.is_empty() {
            diagnostics.push(
                Diagnostic::error("the file has no observations", base..base)
                    .with_hint("add one row per observed figure under the header (docs/backtest.md)"),
            );
        }
    }
    if diagnostics.iter().any(|d| d.severity == chokepoint_scenario::Severity::Error) {
        return Err(Report { sources, diagnostics });
    }
    Ok(out)
}

/// Splits the file into rows, checking the header.
fn rows<'a>(text: &'a str, base: usize, diagnostics: &mut Vec<Diagnostic>) -> Option<Vec<Row<'a>>> {
    // Comment lines are blanked (kept as empty lines, so line numbers and offsets stay).
    let cleaned: String = text
        .split_inclusive('\n')
        .map(|line| {
            if line.trim_start().starts_with('#') {
                // One space per byte, so offsets after it stay right.
                line.bytes().map(|b| if b == b'\n' { '\n' } else { ' ' }).collect::<String>()
            } else {
                line.to_owned()
            }
        })
        .collect();
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(cleaned.as_bytes());
    let mut header: Option<Vec<(&'static str, usize)>> = None;
    let mut out = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        let position = reader.position().clone();
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(error) => {
                let at = error.position().map_or(position.byte() as usize, |p| p.byte() as usize);
                diagnostics.push(
                    Diagnostic::error(format!("this is not valid CSV: {error}"), base + at..base + at + 1)
                        .with_hint("quote cells that hold commas or quotes: \"like, this\""),
                );
                return None;
            }
        }
        let start = record.position().map_or(position.byte() as usize, |p| p.byte() as usize);
        let end = reader.position().byte() as usize;
        let line = record.position().map_or(position.line() as usize, |p| p.line() as usize);
        if record.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        let raw = &cleaned[start.min(cleaned.len())..end.min(cleaned.len())];
        let whole = base + start..base + start + raw.trim_end().len().max(1);
        let starts = cell_starts(raw);
        let span_of = |i: usize, cell: &str| -> Range<usize> {
            // The cell's place in the line (after its opening quote, if quoted).
            match starts.get(i) {
                Some(&at) => {
                    let at = start + at;
                    base + at..base + at + cell.len().max(1)
                }
                None => whole.clone(),
            }
        };
        let Some(columns) = &header else {
            let mut columns = Vec::new();
            for (i, cell) in record.iter().enumerate() {
                let name = cell.trim();
                match COLUMNS.iter().find(|c| **c == name) {
                    Some(column) if columns.iter().any(|(c, _)| c == column) => diagnostics.push(
                        Diagnostic::error(format!("column '{name}' is named twice"), span_of(i, cell))
                            .with_hint("name each column once"),
                    ),
                    Some(column) => columns.push((*column, i)),
                    None => {
                        let hint = match did_you_mean(name, COLUMNS.iter().copied()) {
                            Some(close) => format!("did you mean '{close}'?"),
                            None => format!("the columns are {}", COLUMNS.join(", ")),
                        };
                        diagnostics.push(
                            Diagnostic::error(format!("unknown column '{name}'"), span_of(i, cell))
                                .with_hint(hint),
                        );
                    }
                }
            }
            let missing: Vec<&str> =
                COLUMNS.iter().copied().filter(|c| !columns.iter().any(|(k, _)| k == c)).collect();
            if !missing.is_empty() {
                diagnostics.push(
                    Diagnostic::error(
                        format!(
                            "the header lacks the column{} {}",
                            if missing.len() == 1 { "" } else { "s" },
                            missing.join(", ")
                        ),
                        whole.clone(),
                    )
                    .with_hint(format!("the header is {}", COLUMNS.join(","))),
                );
            }
            if !diagnostics.is_empty() {
                return None;
            }
            header = Some(columns);
            continue;
        };
        if record.len() != columns.len() {
            diagnostics.push(
                Diagnostic::error(
                    format!("this row has {} cells; the header has {}", record.len(), columns.len()),
                    whole.clone(),
                )
                .with_hint("leave a cell empty rather than out, and quote cells that hold commas"),
            );
            continue;
        }
        let cells = columns
            .iter()
            .map(|&(column, i)| {
                let cell = record.get(i).unwrap_or_default();
                (column, (cell.to_owned(), span_of(i, cell.trim())))
            })
            .collect();
        out.push(Row { cells, line, whole, _text: std::marker::PhantomData });
    }
    if header.is_none() {
        diagnostics.push(
            Diagnostic::error("the file has no header", base..base)
                .with_hint(format!("its first line that is not a comment must be {}", COLUMNS.join(","))),
        );
        return None;
    }
    Some(out)
}

/// The byte offset in `line` where each CSV cell's text starts (after leading spaces and
/// an opening quote): commas inside quotes do not separate cells.
fn cell_starts(line: &str) -> Vec<usize> {
    let bytes = line.as_bytes();
    let mut starts = Vec::new();
    let mut at = 0usize;
    loop {
        let mut begin = at;
        while begin < bytes.len() && bytes[begin] == b' ' {
            begin += 1;
        }
        let quoted = bytes.get(begin) == Some(&b'"');
        starts.push(if quoted { begin + 1 } else { begin });
        let mut k = if quoted { begin + 1 } else { begin };
        let mut in_quotes = quoted;
        while k < bytes.len() {
            match bytes[k] {
                b'"' if in_quotes && bytes.get(k + 1) == Some(&b'"') => k += 1,
                b'"' => in_quotes = !in_quotes,
                b',' if !in_quotes => break,
                b'\n' if !in_quotes => break,
                _ => {}
            }
            k += 1;
        }
        if k >= bytes.len() || bytes[k] != b',' {
            return starts;
        }
        at = k + 1;
    }
}

/// Checks one row: its own fields, then (for scored rows) every id against the model.
fn check_row(
    row: &Row<'_>,
    file: &str,
    model: &Model,
    calendar: Calendar,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Observation> {
    let before = diagnostics.len();
    let mut error = |message: String, span: Range<usize>, hint: String| {
        diagnostics.push(Diagnostic::error(message, span).with_hint(hint));
    };
    let (id, id_span) = row.get("id");
    if id.is_empty()
        || !id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
    {
        error(
            format!("'{id}' is not an observation id"),
            id_span,
            "ids are lower-case letters, digits, '-' and '_', such as magnets-cn-2025-05".into(),
        );
    }
    let (kind, kind_span) = row.get("kind");
    if !KINDS.contains(&kind) {
        let hint = match did_you_mean(kind, KINDS.into_iter()) {
            Some(close) => format!("did you mean '{close}'?"),
            None => "the kinds are trade, first_shortage, licence_share and price_ratio".into(),
        };
        error(format!("unknown kind '{kind}'"), kind_span, hint);
    }
    let (source, source_span) = row.get("source");
    if source.is_empty() {
        error(
            "every observation needs its source".into(),
            source_span,
            "give a [S-…] tag of docs/sources.md, or the outlet and primary source".into(),
        );
    }
    let (confidence, confidence_span) = row.get("confidence");
    let confidence = match confidence {
        "H" => Some(Confidence::High),
        "M" => Some(Confidence::Medium),
        "L" => Some(Confidence::Low),
        other => {
            error(
                format!("confidence '{other}' is not H, M or L"),
                confidence_span,
                "H: official or customs data or several outlets agree; M: one reputable outlet; L: weak"
                    .into(),
            );
            None
        }
    };
    let (scored, scored_span) = row.get("scored");
    let scored = match scored {
        "" | "yes" => true,
        "no" => false,
        other => {
            error(format!("scored is '{other}'"), scored_span, "write yes (or leave it empty) or no".into());
            true
        }
    };
    let (note, note_span) = row.get("note");
    if !scored && note.is_empty() {
        error(
            "a row that is not scored must say why in its note".into(),
            note_span,
            "for example: the world has no price index for dy_oxide".into(),
        );
    }
    let (tolerance, tolerance_span) = row.get("tolerance");
    let tolerance = if tolerance.is_empty() {
        None
    } else {
        match tolerance.parse::<f64>() {
            Ok(t) if t.is_finite() && t >= 0.0 => Some(t),
            _ => {
                error(
                    format!("tolerance '{tolerance}' is not a number of at least 0"),
                    tolerance_span,
                    "relative for flows and ratios (0.1 is ±10 %), days for dates".into(),
                );
                None
            }
        }
    };
    let (period, _) = row.get("period");
    let (value_text, _) = row.get("value");
    let mut observation = Observation {
        id: id.to_owned(),
        kind_name: kind.to_owned(),
        kind: None,
        subject: String::new(),
        period: period.to_owned(),
        value: None,
        observed: value_text.to_owned(),
        tolerance,
        source: source.to_owned(),
        confidence: confidence.unwrap_or(Confidence::Low),
        note: note.to_owned(),
        file: file.to_owned(),
        line: row.line,
    };
    observation.subject = subject(row, kind);
    if kind == "first_shortage" {
        observation.observed =
            if value_text == "never" { format!("never in {period}") } else { period.to_owned() };
    }
    if diagnostics.len() > before {
        return None;
    }
    if scored {
        observation.kind =
            check_measure(row, kind, model, calendar, tolerance, &mut observation.value, diagnostics);
        if diagnostics.len() > before {
            return None;
        }
    } else if let Ok(value) = value_text.parse::<f64>() {
        observation.value = Some(value);
    }
    Some(observation)
}

/// What a row is about, for the scorecard.
fn subject(row: &Row<'_>, kind: &str) -> String {
    let (exporter, _) = row.get("exporter");
    let (importer, _) = row.get("importer");
    let (product, _) = row.get("product");
    let (entity, _) = row.get("entity");
    match kind {
        "trade" => format!("{exporter} -> {importer} {product}"),
        "price_ratio" => format!("{product} {importer} / {exporter}"),
        "licence_share" => format!("{entity} approved -> {importer}"),
        _ => entity.to_owned(),
    }
}

/// The measure of a scored row, every id checked against the model.
fn check_measure(
    row: &Row<'_>,
    kind: &str,
    model: &Model,
    calendar: Calendar,
    tolerance: Option<f64>,
    value: &mut Option<f64>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Kind> {
    let mut error = |message: String, span: Range<usize>, hint: String| {
        diagnostics.push(Diagnostic::error(message, span).with_hint(hint));
    };
    let region = |column: &str, error: &mut dyn FnMut(String, Range<usize>, String)| -> Option<Region> {
        let (text, span) = row.get(column);
        let region = Region::new(text);
        if region.is_none() {
            error(
                format!("{column} '{text}' is not a region code"),
                span,
                "write a two-letter ISO 3166 code such as CN".into(),
            );
        }
        region
    };
    let product = |error: &mut dyn FnMut(String, Range<usize>, String)| -> Option<ProductId> {
        let (text, span) = row.get("product");
        let found = model.products.iter().position(|p| p.id == text).map(|i| ProductId(i as u32));
        if found.is_none() {
            let hint = match did_you_mean(text, model.products.iter().map(|p| p.id.as_str())) {
                Some(close) => format!("did you mean '{close}'?"),
                None => "give a product id of the scenario's world, or set scored = no and say in the note what the world lacks".into(),
            };
            error(format!("unknown product '{text}'"), span, hint);
        }
        found
    };
    let month = |column: &str,
                 text: &str,
                 span: Range<usize>,
                 error: &mut dyn FnMut(String, Range<usize>, String)|
     -> Option<Range<u32>> {
        let Some(month) = Month::parse(text) else {
            error(format!("{column} '{text}' is not a month"), span, "write a month as 2025-05".into());
            return None;
        };
        let days = calendar.month_days(month);
        if days.is_none() {
            let last = calendar.date(calendar.horizon_days.saturating_sub(1));
            error(
                format!("{month} is not wholly inside the scenario's run ({} to {last})", calendar.start),
                span,
                "score months the scenario covers, or set scored = no and say so in the note".into(),
            );
        }
        days
    };
    let number = |text: &str,
                  span: Range<usize>,
                  error: &mut dyn FnMut(String, Range<usize>, String)|
     -> Option<f64> {
        match text.parse::<f64>() {
            Ok(v) if v.is_finite() && v >= 0.0 => Some(v),
            _ => {
                error(
                    format!("value '{text}' is not a number of at least 0"),
                    span,
                    "write the quantity in the product's unit, or the ratio (0.26 for -74 %)".into(),
                );
                None
            }
        }
    };
    let (period, period_span) = row.get("period");
    let (value_text, value_span) = row.get("value");
    match kind {
        "trade" => {
            let exporter = region("exporter", &mut error);
            let (importer_text, _) = row.get("importer");
            let importer =
                if importer_text == "*" { Some(None) } else { region("importer", &mut error).map(Some) };
            let product = product(&mut error);
            let days = month("period", period, period_span, &mut error);
            *value = number(value_text, value_span, &mut error);
            let (base_text, base_span) = row.get("base");
            let base = if base_text.is_empty() {
                Some(Vec::new())
            } else {
                let (from, to) = base_text.split_once("..").unwrap_or((base_text, base_text));
                match (Month::parse(from), Month::parse(to)) {
                    (Some(from), Some(to)) if from <= to => {
                        let mut months = Vec::new();
                        let mut m = from;
                        while m <= to && months.len() < 1200 {
                            months.push(m);
                            m = m.next();
                        }
                        let days: Option<Vec<Range<u32>>> =
                            months.iter().map(|m| calendar.month_days(*m)).collect();
                        if days.is_none() {
                            error(
                                format!(
                                    "the base months {base_text} are not wholly inside the scenario's run (from {})",
                                    calendar.start
                                ),
                                base_span.clone(),
                                "choose base months the scenario covers".into(),
                            );
                        }
                        days
                    }
                    _ => {
                        error(
                            format!("base '{base_text}' is not a month or a range of months"),
                            base_span,
                            "write 2025-01 or 2025-01..2025-03".into(),
                        );
                        None
                    }
                }
            };
            Some(Kind::Trade {
                exporter: exporter?,
                importer: importer?,
                product: product?,
                days: days?,
                base: base?,
            })
        }
        "licence_share" => {
            let (entity, entity_span) = row.get("entity");
            let control = model.events.iter().position(|e| {
                e.id == entity
                    && matches!(&e.action, chokepoint_engine::Action::ExportControl(c) if c.licence.is_some())
            });
            if control.is_none() {
                let licensing = model.events.iter().filter(|e| {
                    matches!(&e.action, chokepoint_engine::Action::ExportControl(c) if c.licence.is_some())
                });
                let hint = match did_you_mean(entity, licensing.map(|e| e.id.as_str())) {
                    Some(close) => format!("did you mean '{close}'?"),
                    None => "give the id of an export control with a licence in the scenario".into(),
                };
                error(format!("'{entity}' is not an export control with licences"), entity_span, hint);
            }
            let (importer_text, _) = row.get("importer");
            let importer =
                if importer_text == "*" { Some(None) } else { region("importer", &mut error).map(Some) };
            let day = match period.parse::<Date>() {
                Ok(date) => {
                    let day = calendar.day(date);
                    if day < 0 || day >= i64::from(calendar.horizon_days) {
                        error(
                            format!("{date} is not inside the scenario's run (from {})", calendar.start),
                            period_span.clone(),
                            "score dates the scenario covers, or set scored = no and say so in the note"
                                .into(),
                        );
                        None
                    } else {
                        Some(day as u32)
                    }
                }
                Err(_) => {
                    error(
                        format!("period '{period}' is not a date"),
                        period_span,
                        "write the day the share was reported, such as 2025-06-04".into(),
                    );
                    None
                }
            };
            *value = number(value_text, value_span.clone(), &mut error);
            if value.is_some_and(|v| v > 1.0) {
                error(
                    format!("value '{value_text}' is not a share from 0 to 1"),
                    value_span,
                    "write 0.25 for 25 % approved".into(),
                );
            }
            Some(Kind::LicenceShare { control: control?, importer: importer?, day: day? })
        }
        "price_ratio" => {
            let inside = region("exporter", &mut error);
            let outside = region("importer", &mut error);
            let product = product(&mut error);
            if let Some(p) = product
                && model.products[p.0 as usize].price.is_none()
            {
                let (_, span) = row.get("product");
                error(
                    format!("the scenario gives {} no price index", model.products[p.0 as usize].id),
                    span,
                    "add a price index to the product, or set scored = no and say so in the note".into(),
                );
            }
            let days = month("period", period, period_span, &mut error);
            *value = number(value_text, value_span, &mut error);
            Some(Kind::PriceRatio { inside: inside?, outside: outside?, product: product?, days: days? })
        }
        _ => {
            let (entity, entity_span) = row.get("entity");
            let known = model
                .sinks
                .iter()
                .map(|s| s.id.as_str())
                .chain(model.facilities.iter().map(|f| f.id.as_str()));
            if !model.sinks.iter().any(|s| s.id == entity) && !model.facilities.iter().any(|f| f.id == entity)
            {
                let hint = match did_you_mean(entity, known) {
                    Some(close) => format!("did you mean '{close}'?"),
                    None => "give a demand sink or facility id of the scenario's world".into(),
                };
                error(format!("unknown entity '{entity}'"), entity_span, hint);
                return None;
            }
            let (from, to) = period.split_once("..").unwrap_or((period, period));
            let (Ok(from), Ok(to)) = (from.trim().parse::<Date>(), to.trim().parse::<Date>()) else {
                error(
                    format!("period '{period}' is not a window of dates"),
                    period_span,
                    "write 2025-05-20..2025-06-10 (or one date)".into(),
                );
                return None;
            };
            if from > to {
                error(
                    format!("the window {period} ends before it starts"),
                    period_span,
                    "write the earlier date first".into(),
                );
                return None;
            }
            let never = match value_text {
                "" => false,
                "never" => true,
                other => {
                    error(
                        format!("value '{other}' of a first_shortage"),
                        value_span,
                        "leave it empty (the buyer first ran short in the window), or write never".into(),
                    );
                    return None;
                }
            };
            let widen = tolerance.unwrap_or(0.0).min(f64::from(calendar.horizon_days)).round() as i64;
            let (from_day, to_day) = (calendar.day(from), calendar.day(to));
            // A tolerance loosens the test: a wider window for a shortage; for "never short
            // through `to`", runs short a little before `to` count too.
            let window = if never { (from_day, to_day - widen) } else { (from_day - widen, to_day + widen) };
            if from_day < 0 || to_day >= i64::from(calendar.horizon_days) {
                let last = calendar.date(calendar.horizon_days.saturating_sub(1));
                error(
                    format!(
                        "the window {period} is not wholly inside the scenario's run ({} to {last})",
                        calendar.start
                    ),
                    period_span,
                    "score windows the scenario covers, or set scored = no and say so in the note".into(),
                );
                return None;
            }
            Some(Kind::FirstShortage { entity: entity.to_owned(), window, never })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_parse_and_step() {
        assert_eq!(Month::parse("2025-05"), Some(Month { year: 2025, month: 5 }));
        assert_eq!(Month::parse("2025-13"), None);
        assert_eq!(Month::parse("25-05"), None);
        assert_eq!(Month { year: 2025, month: 12 }.next(), Month { year: 2026, month: 1 });
    }

    #[test]
    fn a_month_is_its_days_inside_the_horizon() {
        let calendar = Calendar { start: Date::constant(2025, 1, 1), horizon_days: 365 };
        // February 2025: days 31 to 58 (28 days).
        assert_eq!(calendar.month_days(Month { year: 2025, month: 2 }), Some(31..59));
        assert_eq!(calendar.month_days(Month { year: 2025, month: 12 }), Some(334..365));
        assert_eq!(calendar.month_days(Month { year: 2026, month: 1 }), None);
        assert_eq!(calendar.month_days(Month { year: 2024, month: 12 }), None);
        // The calendar's last month has no month after it: no days, no panic.
        let late = Calendar { start: Date::constant(9999, 1, 1), horizon_days: 365 };
        assert_eq!(late.month_days(Month { year: 9999, month: 12 }), None);
        assert_eq!(late.month_days(Month { year: 9999, month: 11 }), Some(304..334));
    }
}
