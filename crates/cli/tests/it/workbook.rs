//! `report.xlsx` of `chokepoint report`, read back with calamine and checked against the
//! result files the same report wrote (`data/sweep/summary.json`, `data/sweep/bands.csv`).

use std::io::Cursor;
use std::path::Path;

use calamine::{Data, Range, Reader, Xlsx};
use jiff::civil::Date;
use serde_json::Value;

fn cell(range: &Range<Data>, row: u32, col: u32) -> Data {
    range.get_value((row, col)).cloned().unwrap_or(Data::Empty)
}

/// The calendar date of a date cell; panics on anything else (a date written as text).
fn as_date(data: &Data) -> Date {
    let Data::DateTime(serial) = data else { panic!("{data:?} is not a date cell") };
    // Excel's day 0 is 1899-12-30 for every date after February 1900.
    jiff::civil::date(1899, 12, 30)
        .checked_add(jiff::Span::new().days(serial.as_f64() as i64))
        .expect("a date")
}

fn as_number(data: &Data) -> f64 {
    let Data::Float(value) = data else { panic!("{data:?} is not a number") };
    *value
}

fn text(data: &Data) -> String {
    let Data::String(value) = data else { panic!("{data:?} is not text") };
    value.clone()
}

/// Column index of each header of row 0 (series sheets) or row 1 (KPI sheets).
fn column(range: &Range<Data>, row: u32, header: &str) -> u32 {
    (0..range.width() as u32)
        .find(|c| cell(range, row, *c) == Data::String(header.to_owned()))
        .unwrap_or_else(|| panic!("no column {header}"))
}

/// The workbook of the report in `dir`: its sheets are the points and the watched buyers of
/// the sweep it ran, its KPI cells the numbers of summary.json, its series rows those of
/// bands.csv with the same dates.
pub(crate) fn check_report_workbook(dir: &Path) {
    let bytes = std::fs::read(dir.join("report.xlsx")).expect("report.xlsx written");
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes)).expect("an xlsx file");
    let summary: Value =
        serde_json::from_slice(&std::fs::read(dir.join("data/sweep/summary.json")).expect("summary.json"))
            .expect("json");
    let points = summary["points"].as_array().expect("points");
    let watch: Vec<&str> =
        summary["watch"].as_array().expect("watch").iter().filter_map(Value::as_str).collect();
    assert!(points.len() > 1 && watch.contains(&"us_auto"), "{summary}");

    let mut expected = vec!["About".to_owned()];
    expected.extend((0..points.len()).map(|p| format!("KPIs p{p}")));
    expected.push("Headroom".to_owned());
    expected.extend(watch.iter().map(|id| (*id).to_owned()));
    assert_eq!(book.sheet_names(), expected);

    for (p, point) in points.iter().enumerate() {
        let kpis = book.worksheet_range(&format!("KPIs p{p}")).expect("KPI sheet");
        let col = |header: &str| column(&kpis, 1, header);
        for (row, id) in (2u32..).zip(&watch) {
            assert_eq!(text(&cell(&kpis, row, 0)), *id);
            let entity = &point["entities"][id];
            let number = |header: &str| as_number(&cell(&kpis, row, col(header)));
            assert_eq!(
                number("P(short)"),
                entity["probability_short"].as_f64().expect("P(short)"),
                "{id} p{p}"
            );
            assert_eq!(
                number("fill rate, mean"),
                entity["fill_rate"]["mean"].as_f64().expect("fill"),
                "{id} p{p}"
            );
            assert_eq!(
                number("unmet demand, mean (unit)"),
                entity["unmet_units"]["mean"].as_f64().expect("unmet"),
                "{id} p{p}"
            );
            for share in ["P(short)", "fill rate, mean"] {
                assert!((0.0..=1.0).contains(&number(share)), "{id} p{p} {share}");
            }
            let first = cell(&kpis, row, col("first shortage p50"));
            match entity["first_short_date"]["p50"].as_str() {
                Some(iso) => assert_eq!(as_date(&first), iso.parse::<Date>().expect("ISO date"), "{id} p{p}"),
                None => assert_eq!(first, Data::Empty, "{id} p{p}"),
            }
        }
    }
    // The headroom sheet: each point's median fewest days of cover, as summary.json has it.
    let headroom = book.worksheet_range("Headroom").expect("headroom sheet");
    for (p, point) in points.iter().enumerate() {
        let col = column(&headroom, 1, &format!("p{p}: p50 (days)"));
        for (row, id) in (2u32..).zip(&watch) {
            assert_eq!(text(&cell(&headroom, row, 0)), *id);
            match point["entities"][id]["min_cover_days"]["p50"].as_f64() {
                Some(days) => assert_eq!(as_number(&cell(&headroom, row, col)), days, "{id} p{p}"),
                None => assert_eq!(cell(&headroom, row, col), Data::Empty, "{id} p{p}"),
            }
        }
    }

    // us_auto runs short in every run of the fixture: its first shortage is a real date.
    let kpis = book.worksheet_range("KPIs p0").expect("KPI sheet");
    assert!(matches!(cell(&kpis, 2, column(&kpis, 1, "first shortage p10")), Data::DateTime(_)));

    // us_auto's series: every bands.csv row of point 0, on the row of its date.
    let series = book.worksheet_range("us_auto").expect("series sheet");
    let mean = column(&series, 0, "p0 shortage mean");
    let mut reader = csv::Reader::from_path(dir.join("data/sweep/bands.csv")).expect("bands.csv");
    let headers = reader.headers().expect("header").clone();
    let at = |name: &str| headers.iter().position(|h| h == name).expect("bands.csv column");
    let mut rows = 0;
    for record in reader.records() {
        let record = record.expect("a row");
        if &record[at("point")] != "0"
            || &record[at("entity")] != "us_auto"
            || &record[at("metric")] != "shortage_fraction"
        {
            continue;
        }
        rows += 1;
        let row = rows;
        assert_eq!(as_date(&cell(&series, row, 0)), record[at("date")].parse::<Date>().expect("date"));
        assert_eq!(as_number(&cell(&series, row, 1)), record[at("day")].parse::<f64>().expect("day"));
        assert_eq!(as_number(&cell(&series, row, mean)), record[at("mean")].parse::<f64>().expect("mean"));
    }
    assert_eq!(rows, series.height() as u32 - 1, "a row per report step");
    // Every shortage column is a share of demand.
    for col in 2..series.width() as u32 {
        if !text(&cell(&series, 0, col)).contains("shortage") {
            continue;
        }
        for row in 1..series.height() as u32 {
            let value = cell(&series, row, col);
            if value != Data::Empty {
                let share = as_number(&value);
                assert!((0.0..=1.0).contains(&share), "row {row}, column {col}: {share}");
            }
        }
    }
    // The one run's weekly shortage: on the rows of each week's first day, short some week.
    let run = column(&series, 0, "one run shortage");
    let weekly: Vec<(f64, f64)> = (1..series.height() as u32)
        .filter(|row| cell(&series, *row, run) != Data::Empty)
        .map(|row| (as_number(&cell(&series, row, 1)), as_number(&cell(&series, row, run))))
        .collect();
    assert!(weekly.iter().all(|(day, _)| day % 7.0 == 0.0), "{weekly:?}");
    assert!(weekly.iter().any(|(_, share)| *share > 0.0), "{weekly:?}");
}
