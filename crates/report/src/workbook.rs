//! `report.xlsx`: the report's numbers as a workbook an analyst charts for themselves.
//!
//! Sheets, in order: `About` (where the numbers came from and what each sheet holds), one
//! `KPIs pN` per sweep point (a row per watched entity), then one series sheet per watched
//! entity (wide: a row per report step, columns per sweep point). Numbers are written as
//! numbers with number formats (fractions as percentages, dates as Excel dates), never as
//! text, so formulas and charts work on them as they stand.
//!
//! Each sheet is built by its own `sheet_*` function into a [`Sheet`] (the worksheet and one
//! line saying what it holds, for `About`), so a new sheet is one function and one push in
//! [`workbook`]. The bytes depend only on the results: the document's creation date, which
//! the writer would otherwise take from the clock, is the scenario's start date.

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::Date;
use rust_xlsxwriter::{
    DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError,
};

use crate::Error;
use crate::results::{RunData, SweepData};

/// Sweep points given a KPI sheet and columns in the series sheets: a grid larger than this
/// would pass Excel's 16,384 columns. The rest are in `data/sweep/summary.json`.
pub const MAX_POINTS: usize = 1000;

/// Excel's longest sheet name, in UTF-16 code units.
const MAX_SHEET_NAME: usize = 31;

/// Band metrics a series sheet shows when the sweep kept them: (metric, column label, in
/// percent rather than in the entity's unit).
const SERIES_METRICS: [(&str, &str, bool); 3] =
    [("shortage_fraction", "shortage", true), ("stock", "stock", false), ("unmet", "unmet", false)];

/// Band quantiles a series sheet shows: (index in a `BandRow`'s array, column label).
const SERIES_QUANTILES: [(usize, &str); 4] = [(0, "mean"), (1, "p05"), (4, "p50"), (7, "p95")];

/// The workbook of a report: the run and the sweep it briefs on, as `report.xlsx` bytes.
pub fn workbook(run: &RunData, sweep: &SweepData) -> Result<Vec<u8>, Error> {
    write(run, sweep)
        .map_err(|e| Error::new(format!("cannot write report.xlsx: {e}"), "this is a bug; please report it"))
}

/// One worksheet and a line for `About` saying what it holds.
struct Sheet {
    worksheet: Worksheet,
    holds: String,
}

/// What every sheet shares: the results, their formats and the names already taken.
struct Book<'a> {
    run: &'a RunData,
    sweep: &'a SweepData,
    n_points: usize,
    header: Format,
    title: Format,
    prose: Format,
    percent: Format,
    date: Format,
    units: Format,
    names: SheetNames,
}

fn write(run: &RunData, sweep: &SweepData) -> Result<Vec<u8>, XlsxError> {
    let mut book = Book {
        run,
        sweep,
        n_points: sweep.points.len().min(MAX_POINTS),
        header: Format::new().set_bold().set_border_bottom(FormatBorder::Thin),
        title: Format::new().set_bold().set_align(FormatAlign::Top),
        prose: Format::new().set_text_wrap().set_align(FormatAlign::Top),
        percent: Format::new().set_num_format("0.0%"),
        date: Format::new().set_num_format("yyyy-mm-dd"),
        units: Format::new().set_num_format("#,##0.0"),
        names: SheetNames::default(),
    };
    book.names.take("About");
    let mut sheets = Vec::new();
    for point in 0..book.n_points {
        sheets.push(sheet_kpis(&mut book, point)?);
    }
    sheets.push(sheet_headroom(&mut book)?);
    for id in sweep.meta.watched() {
        sheets.push(sheet_series(&mut book, &id)?);
    }
    let about = sheet_about(&book, &sheets)?;

    let meta = &sweep.meta;
    // A fixed creation date, not the clock's: the same results give the same bytes.
    let created = excel_date(meta.start).map_or_else(|| ExcelDateTime::from_ymd(2000, 1, 1), Ok)?;
    let properties = DocProperties::new()
        .set_title(meta.scenario.as_str())
        .set_author("chokepoint")
        .set_comment(format!("chokepoint {} report of {}, seed {}", meta.version, meta.file, meta.seed))
        .set_creation_datetime(&created);
    let mut workbook = Workbook::new();
    workbook.set_properties(&properties);
    workbook.push_worksheet(about);
    for sheet in sheets {
        workbook.push_worksheet(sheet.worksheet);
    }
    workbook.save_to_buffer()
}

/// `About`: provenance, the points, the conventions and a line per sheet.
fn sheet_about(book: &Book<'_>, sheets: &[Sheet]) -> Result<Worksheet, XlsxError> {
    let sweep = book.sweep;
    let meta = &sweep.meta;
    let mut sheet = Worksheet::new();
    sheet.set_name("About")?;
    sheet.set_column_width(0, 22)?;
    sheet.set_column_width(1, 100)?;
    let mut row = 0;
    let mut line = |sheet: &mut Worksheet, key: &str, value: &str| -> Result<(), XlsxError> {
        sheet.write_string_with_format(row, 0, key, &book.title)?;
        sheet.write_string_with_format(row, 1, value, &book.prose)?;
        row += 1;
        Ok(())
    };
    line(&mut sheet, "Scenario", &meta.scenario)?;
    line(&mut sheet, "Description", &meta.description.split_whitespace().collect::<Vec<_>>().join(" "))?;
    line(&mut sheet, "File", &meta.file)?;
    line(&mut sheet, "Seed", &meta.seed.to_string())?;
    line(&mut sheet, "Runs per point", &sweep.runs.to_string())?;
    line(&mut sheet, "Version", &format!("chokepoint {}", meta.version))?;
    line(&mut sheet, "Day 0", &meta.start.to_string())?;
    line(
        &mut sheet,
        "Rows and dates",
        &format!(
            "A row of a series sheet is one report step (a {}) and carries the date of its first day, as \
             bands.csv does (day = step number x step, date = day 0 + day). Shortage is the step's unmet \
             demand over its demand, unmet is summed over the step, stock is the level on its last day. \
             Dates are Excel dates; shares (P(short), fill rate, shortage) are fractions shown as percentages.",
            step_name(sweep.step_days)
        ),
    )?;
    line(
        &mut sheet,
        "One run",
        &format!(
            "The \"one run\" column is the run with seed {}, by {}: the share of that step's demand not met, \
             on the row of the step's first day (empty on the rows between).",
            meta.seed,
            step_name(book.run.step_days)
        ),
    )?;
    for point in 0..book.n_points {
        line(&mut sheet, &format!("Point p{point}"), &sweep.label(point))?;
    }
    if sweep.points.len() > book.n_points {
        line(
            &mut sheet,
            "Points left out",
            &format!(
                "points p{} to p{} (a workbook holds the first {MAX_POINTS}); every point is in data/sweep/summary.json",
                book.n_points,
                sweep.points.len() - 1
            ),
        )?;
    }
    for listed in sheets {
        line(&mut sheet, &listed.worksheet.name(), &listed.holds)?;
    }
    Ok(sheet)
}

/// `KPIs pN`: the point's settings, then a row per watched entity.
fn sheet_kpis(book: &mut Book<'_>, point: usize) -> Result<Sheet, XlsxError> {
    let sweep = book.sweep;
    let meta = &sweep.meta;
    let name = book.names.take(&format!("KPIs p{point}"));
    let mut sheet = Worksheet::new();
    sheet.set_name(name.as_str())?;
    let summary = &sweep.points[point];
    let settings = format!(
        "Point p{point}: {}. {} runs, {} days from {}.",
        sweep.label(point),
        summary.runs,
        summary.horizon_days,
        meta.start
    );
    sheet.write_string_with_format(0, 0, settings, &book.title)?;
    let header = [
        ("id", 18),
        ("name", 28),
        ("region", 8),
        ("unit", 12),
        ("P(short)", 10),
        ("first shortage p10", 18),
        ("first shortage p50", 18),
        ("first shortage p90", 18),
        ("unmet demand, mean (unit)", 24),
        ("fill rate, mean", 15),
        ("P(recovered)", 13),
    ];
    for (col, (text, width)) in (0u16..).zip(header) {
        sheet.write_string_with_format(1, col, text, &book.header)?;
        sheet.set_column_width(col, width)?;
    }
    let mut row = 2;
    for id in meta.watched() {
        let Some(entity) = summary.entities.get(&id) else { continue };
        sheet.write_string(row, 0, &id)?;
        sheet.write_string(row, 1, meta.display(&id))?;
        sheet.write_string(row, 2, meta.chain.get(&id).map_or("", |e| e.region.as_str()))?;
        sheet.write_string(row, 3, meta.unit(&id))?;
        number(&mut sheet, row, 4, entity.probability_short, &book.percent)?;
        for (col, quantile) in [(5, "p10"), (6, "p50"), (7, "p90")] {
            // Absent when no run ran short: the cell stays empty.
            if let Some(iso) = entity.first_short_date.get(quantile) {
                date_cell(&mut sheet, row, col, iso, &book.date)?;
            }
        }
        number(&mut sheet, row, 8, entity.unmet_mean, &book.units)?;
        number(&mut sheet, row, 9, entity.fill_rate_mean, &book.percent)?;
        // Recovery means nothing for an entity no run left short.
        if entity.probability_short > 0.0 {
            number(&mut sheet, row, 10, entity.probability_recovered, &book.percent)?;
        }
        row += 1;
    }
    sheet.set_freeze_panes(2, 1)?;
    Ok(Sheet {
        worksheet: sheet,
        holds: format!(
            "point p{point} ({}): per watched entity, P(short), first shortage dates (p10, p50, p90 over the runs \
             short), mean unmet demand in the entity's unit, mean fill rate and P(recovered)",
            sweep.short_label(point)
        ),
    })
}

/// `Headroom`: per watched entity, its fewest days of cover in the single run (with the day,
/// the input and the supplier behind it) and, per point, the distribution over runs.
fn sheet_headroom(book: &mut Book<'_>) -> Result<Sheet, XlsxError> {
    let (run, sweep) = (book.run, book.sweep);
    let meta = &sweep.meta;
    let name = book.names.take("Headroom");
    let mut sheet = Worksheet::new();
    sheet.set_name(name.as_str())?;
    sheet.write_string_with_format(
        0,
        0,
        "Fewest days of cover over a run: stock on hand plus in transit of the input that ran lowest, over its \
         planned daily use. Blank: the entity has no inputs in use.",
        &book.title,
    )?;
    let days = Format::new().set_num_format("0.0");
    let mut header: Vec<(String, u16)> = vec![
        ("id".into(), 18),
        ("name".into(), 28),
        ("run: min cover (days)".into(), 20),
        ("run: on".into(), 12),
        ("run: input".into(), 16),
        ("run: most on order from".into(), 24),
    ];
    for point in 0..book.n_points {
        for q in ["mean", "p05", "p50", "p95"] {
            header.push((format!("p{point}: {q} (days)"), 14));
        }
    }
    for (col, (text, width)) in (0u16..).zip(&header) {
        sheet.write_string_with_format(1, col, text.as_str(), &book.header)?;
        sheet.set_column_width(col, *width)?;
    }
    let mut row = 2;
    for id in meta.watched() {
        sheet.write_string(row, 0, &id)?;
        sheet.write_string(row, 1, meta.display(&id))?;
        if let Some(h) = run.kpis.get(&id).and_then(|k| k.headroom.as_ref()) {
            number(&mut sheet, row, 2, h.min_cover_days, &days)?;
            date_cell(&mut sheet, row, 3, &h.date, &book.date)?;
            sheet.write_string(row, 4, &h.input)?;
            if let Some(supplier) = &h.supplier {
                sheet.write_string(row, 5, supplier)?;
            }
        }
        for point in 0..book.n_points {
            let Some(cover) = sweep.points[point].entities.get(&id).and_then(|e| e.min_cover) else {
                continue;
            };
            let col = 6 + 4 * point as u16;
            for (k, value) in [cover.mean, cover.p05, cover.p50, cover.p95].into_iter().enumerate() {
                number(&mut sheet, row, col + k as u16, value, &days)?;
            }
        }
        row += 1;
    }
    sheet.set_freeze_panes(2, 1)?;
    Ok(Sheet {
        worksheet: sheet,
        holds: "per watched entity, the fewest days of cover in the single run (day, input, supplier with the most \
                orders open) and per point its mean, p05, p50 and p95 over runs"
            .to_owned(),
    })
}

/// One column of a series sheet: its header, format and values by day.
struct Column<'f> {
    header: String,
    format: &'f Format,
    values: BTreeMap<u32, f64>,
}

/// A watched entity's series: a row per report step, the bands of every point side by side,
/// then the single run's shortage.
fn sheet_series(book: &mut Book<'_>, id: &str) -> Result<Sheet, XlsxError> {
    let sweep = book.sweep;
    let meta = &sweep.meta;
    let name = book.names.take(id);
    let unit = meta.unit(id);
    let mut columns = Vec::new();
    let mut shown = BTreeSet::new();
    for point in 0..book.n_points {
        for (metric, label, in_percent) in SERIES_METRICS {
            let Some(rows) = sweep.bands.get(&(point, id.to_owned(), metric.to_owned())) else { continue };
            shown.insert(label);
            for (index, quantile) in SERIES_QUANTILES {
                let unit = if in_percent || unit.is_empty() { String::new() } else { format!(" ({unit})") };
                columns.push(Column {
                    header: format!("p{point} {label} {quantile}{unit}"),
                    format: if in_percent { &book.percent } else { &book.units },
                    values: rows.iter().map(|(day, q)| (day.round() as u32, q[index])).collect(),
                });
            }
        }
    }
    if let Some(weekly) = book.run.shortage.get(id) {
        let step = book.run.step_days.max(1.0);
        columns.push(Column {
            header: "one run shortage".to_owned(),
            format: &book.percent,
            values: (0u32..).zip(weekly).map(|(i, v)| ((f64::from(i) * step).round() as u32, *v)).collect(),
        });
    }
    let days: BTreeSet<u32> = columns.iter().flat_map(|c| c.values.keys().copied()).collect();

    let mut sheet = Worksheet::new();
    sheet.set_name(name.as_str())?;
    sheet.write_string_with_format(0, 0, "date", &book.header)?;
    sheet.write_string_with_format(0, 1, "day", &book.header)?;
    sheet.set_column_width(0, 11)?;
    sheet.set_column_width(1, 6)?;
    for (col, column) in (2u16..).zip(&columns) {
        sheet.write_string_with_format(0, col, &column.header, &book.header)?;
        sheet.set_column_width(col, (column.header.len() + 2).clamp(10, 40) as f64)?;
    }
    for (row, day) in (1u32..).zip(&days) {
        let date = meta.start.checked_add(jiff::Span::new().days(i64::from(*day))).unwrap_or(meta.start);
        date_cell(&mut sheet, row, 0, &date.to_string(), &book.date)?;
        sheet.write_number(row, 1, f64::from(*day))?;
        for (col, column) in (2u16..).zip(&columns) {
            if let Some(value) = column.values.get(day) {
                number(&mut sheet, row, col, *value, column.format)?;
            }
        }
    }
    sheet.set_freeze_panes(1, 2)?;
    Ok(Sheet {
        worksheet: sheet,
        holds: format!(
            "{} ({id}): by report step, per point the mean, p05, p50 and p95 over runs of its {}; then the \
             one run's shortage",
            meta.display(id),
            SERIES_METRICS
                .iter()
                .filter(|(_, label, _)| shown.contains(label))
                .map(|(_, label, _)| *label)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    })
}

/// A finite number with its format; anything else leaves the cell empty.
fn number(sheet: &mut Worksheet, row: u32, col: u16, value: f64, format: &Format) -> Result<(), XlsxError> {
    if value.is_finite() {
        sheet.write_number_with_format(row, col, value, format)?;
    }
    Ok(())
}

/// An ISO date as an Excel date; as text only outside Excel's years (1900 to 9999).
fn date_cell(sheet: &mut Worksheet, row: u32, col: u16, iso: &str, format: &Format) -> Result<(), XlsxError> {
    match iso.parse::<Date>().ok().and_then(excel_date) {
        Some(date) => sheet.write_datetime_with_format(row, col, &date, format)?,
        None => sheet.write_string(row, col, iso)?,
    };
    Ok(())
}

fn excel_date(date: Date) -> Option<ExcelDateTime> {
    let year = u16::try_from(date.year()).ok()?;
    ExcelDateTime::from_ymd(year, date.month() as u8, date.day() as u8).ok()
}

/// A step in words: `day`, `week`, `14-day step`.
fn step_name(step_days: f64) -> String {
    match step_days {
        1.0 => "day".to_owned(),
        7.0 => "week".to_owned(),
        _ => format!("{step_days}-day step"),
    }
}

/// Sheet names handed out so far, to keep new ones valid and unique (Excel compares them
/// without case).
#[derive(Default)]
struct SheetNames {
    taken: BTreeSet<String>,
}

impl SheetNames {
    /// `wanted` made a valid sheet name not yet taken, and taken: the characters Excel
    /// refuses replaced by `_`, cut to 31, and a `~2`, `~3`, … suffix on a clash.
    fn take(&mut self, wanted: &str) -> String {
        let clean: String =
            wanted.chars().map(|c| if "[]:*?/\\".contains(c) || c.is_control() { '_' } else { c }).collect();
        let clean = clean.trim_matches('\'');
        let clean = if clean.is_empty() || clean.eq_ignore_ascii_case("history") {
            format!("{clean}_")
        } else {
            clean.to_owned()
        };
        let mut name = cut(&clean, MAX_SHEET_NAME);
        let mut n = 1;
        while self.taken.contains(&name.to_lowercase()) {
            n += 1;
            let suffix = format!("~{n}");
            name = format!("{}{suffix}", cut(&clean, MAX_SHEET_NAME - suffix.len()));
        }
        self.taken.insert(name.to_lowercase());
        name
    }
}

/// The longest prefix of `text` of at most `limit` UTF-16 code units, with no apostrophe at
/// its end.
fn cut(text: &str, limit: usize) -> String {
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        used += c.len_utf16();
        if used > limit {
            break;
        }
        out.push(c);
    }
    out.trim_end_matches('\'').to_owned()
}

#[cfg(test)]
mod tests {
    use super::SheetNames;

    #[test]
    fn sheet_names_are_valid_and_unique() {
        let mut names = SheetNames::default();
        let mut check = |wanted: &str, expect: &str| assert_eq!(names.take(wanted), expect, "{wanted}");
        check("a/b:c[d]*e?f\\g", "a_b_c_d__e_f_g");
        check("'quoted'", "quoted");
        check("History", "History_");
        check("QUOTED", "QUOTED~2");
        check("quoted", "quoted~3");
        // 31 UTF-16 units: each 'é' is one, each '𝔸' two.
        check(&"é".repeat(40), &"é".repeat(31));
        check(&"𝔸".repeat(20), &"𝔸".repeat(15));
        check(&"é".repeat(40), &format!("{}~2", "é".repeat(29)));
        check("'''", "_");
    }
}
