//! `report.xlsx` read back with calamine: the sheets, their names, numbers as numbers, dates as
//! dates, and the same bytes twice.

use std::collections::BTreeMap;
use std::io::Cursor;

use calamine::{Data, Range, Reader, Xlsx};
use jiff::civil::{Date, date};

use chokepoint_report::results::{
    ChainEntity, CoverSpread, Meta, PointEntity, RunData, SweepData, SweepPoint,
};
use chokepoint_report::workbook::workbook;

const LONG_A: &str = "a_very_long_identifier_of_a_buyer_number_one";
const LONG_B: &str = "a_very_long_identifier_of_a_buyer_number_two";

fn entity(name: &str, region: &str, unit: &str) -> ChainEntity {
    ChainEntity {
        kind: "sink".into(),
        region: region.into(),
        product: "motor".into(),
        unit: unit.into(),
        tier: 1,
        name: name.into(),
    }
}

/// Two points, four watched buyers (one named like the About sheet, two whose ids agree in
/// their first 31 characters), weekly steps over four weeks; `us_auto` has stock bands at p0.
fn results() -> (RunData, SweepData) {
    let meta = Meta {
        scenario: "A test chain".into(),
        description: "Built by hand.".into(),
        file: "test.toml".into(),
        seed: 7,
        version: "0.1.0".into(),
        start: date(2025, 1, 1),
        watch: vec!["us_auto".into(), "about".into(), LONG_A.into(), LONG_B.into()],
        chain: BTreeMap::from([
            ("us_auto".to_owned(), entity("US car plants", "US", "motors")),
            ("about".to_owned(), entity("", "DE", "t")),
            (LONG_A.to_owned(), entity("", "JP", "t")),
            (LONG_B.to_owned(), entity("", "IN", "t")),
        ]),
    };
    let short = PointEntity {
        probability_short: 0.25,
        first_short_date: BTreeMap::from([
            ("p10".to_owned(), "2025-03-01".to_owned()),
            ("p50".to_owned(), "2025-03-10".to_owned()),
            ("p90".to_owned(), "2025-04-02".to_owned()),
        ]),
        probability_recovered: 0.5,
        fill_rate_mean: 0.9,
        unmet_mean: 1234.5,
        min_cover: Some(CoverSpread { mean: 4.5, p05: 0.5, p50: 3.25, p95: 12.0 }),
        survival: Vec::new(),
    };
    let never = PointEntity { fill_rate_mean: 1.0, ..PointEntity::default() };
    let point = |value: &str, us_auto: PointEntity| SweepPoint {
        settings: vec![("event.stop.end".to_owned(), value.to_owned())],
        runs: 10,
        horizon_days: 28,
        entities: BTreeMap::from([
            ("us_auto".to_owned(), us_auto),
            ("about".to_owned(), never.clone()),
            (LONG_A.to_owned(), never.clone()),
            (LONG_B.to_owned(), never.clone()),
        ]),
    };
    let band = |scale: f64| -> Vec<(f64, [f64; 8])> {
        (0..4).map(|week| (f64::from(week) * 7.0, [f64::from(week) * scale; 8])).collect()
    };
    let mut bands = BTreeMap::new();
    for id in ["us_auto", "about", LONG_A, LONG_B] {
        for p in 0..2 {
            bands.insert((p, id.to_owned(), "shortage_fraction".to_owned()), band(0.1 * (p + 1) as f64));
        }
    }
    bands.insert((0, "us_auto".to_owned(), "stock".to_owned()), band(100.0));
    let sweep = SweepData {
        meta: meta.clone(),
        runs: 10,
        step_days: 7.0,
        grid: vec![("event.stop.end".to_owned(), vec!["\"30d\"".to_owned(), "\"60d\"".to_owned()])],
        points: vec![point("\"30d\"", short), point("\"60d\"", never.clone())],
        bands,
        fill_rates: BTreeMap::new(),
    };
    let run = RunData {
        meta,
        horizon_days: 28,
        first_disruption: None,
        step_days: 7.0,
        shortage: BTreeMap::from([("us_auto".to_owned(), vec![0.0, 0.125, 0.5, 0.25])]),
        events: Vec::new(),
        kpis: BTreeMap::new(),
    };
    (run, sweep)
}

/// Every sheet's cells, by name, in the workbook's order.
fn read(bytes: &[u8]) -> Vec<(String, Range<Data>)> {
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes)).expect("an xlsx file");
    book.sheet_names()
        .into_iter()
        .map(|name| {
            let range = book.worksheet_range(&name).expect("a worksheet");
            (name, range)
        })
        .collect()
}

fn sheet<'a>(sheets: &'a [(String, Range<Data>)], name: &str) -> &'a Range<Data> {
    &sheets.iter().find(|(n, _)| n == name).unwrap_or_else(|| panic!("no sheet {name}")).1
}

fn cell(range: &Range<Data>, row: u32, col: u32) -> Data {
    range.get_value((row, col)).cloned().unwrap_or(Data::Empty)
}

/// The calendar date of a date cell; panics on anything else (a date written as text).
fn as_date(data: &Data) -> Date {
    let Data::DateTime(serial) = data else { panic!("{data:?} is not a date cell") };
    // Excel's day 0 is 1899-12-30 for every date after February 1900.
    date(1899, 12, 30).checked_add(jiff::Span::new().days(serial.as_f64() as i64)).expect("a date")
}

fn as_number(data: &Data) -> f64 {
    let Data::Float(value) = data else { panic!("{data:?} is not a number") };
    *value
}

fn text(data: &Data) -> String {
    let Data::String(value) = data else { panic!("{data:?} is not text") };
    value.clone()
}

#[test]
fn a_workbook_has_about_a_kpi_sheet_per_point_and_a_series_sheet_per_buyer() {
    let (run, sweep) = results();
    let bytes = workbook(&run, &sweep).expect("a workbook");
    let sheets = read(&bytes);
    let names: Vec<&str> = sheets.iter().map(|(n, _)| n.as_str()).collect();
    // `about` clashes with About (Excel compares names without case); the long ids agree in
    // the 31 characters a name may have.
    assert_eq!(
        names,
        [
            "About",
            "KPIs p0",
            "KPIs p1",
            "Headroom",
            "us_auto",
            "about~2",
            "a_very_long_identifier_of_a_buy",
            "a_very_long_identifier_of_a_b~2",
        ]
    );
    let about = sheet(&sheets, "About");
    let about: BTreeMap<String, String> =
        (0..about.height() as u32).map(|r| (text(&cell(about, r, 0)), text(&cell(about, r, 1)))).collect();
    assert_eq!(about["Scenario"], "A test chain");
    assert_eq!(about["Seed"], "7");
    assert_eq!(about["Point p1"], "event.stop.end = \"60d\"");
    assert!(about["Rows and dates"].contains("carries the date of its first day"), "{about:?}");
    assert!(about["us_auto"].contains("shortage, stock"), "{about:?}");
    assert!(about["about~2"].contains("of its shortage;"), "{about:?}");
}

#[test]
fn the_headroom_sheet_holds_each_points_cover_distribution_as_numbers() {
    let (run, sweep) = results();
    let sheets = read(&workbook(&run, &sweep).expect("a workbook"));
    let headroom = sheet(&sheets, "Headroom");
    assert_eq!(text(&cell(headroom, 1, 6)), "p0: mean (days)");
    assert_eq!(text(&cell(headroom, 1, 13)), "p1: p95 (days)");
    let row =
        (2..headroom.height() as u32).find(|&r| text(&cell(headroom, r, 0)) == "us_auto").expect("us_auto");
    // us_auto's cover at point 0 is the hand-made spread (mean 4.5, p05 0.5, p50 3.25, p95 12);
    // at point 1 it has none: empty cells, not zeros.
    let values =
        |point: u32| -> Vec<Data> { (0..4).map(|k| cell(headroom, row, 6 + 4 * point + k)).collect() };
    assert_eq!(values(0), [4.5, 0.5, 3.25, 12.0].map(Data::Float));
    assert_eq!(values(1), [Data::Empty, Data::Empty, Data::Empty, Data::Empty]);
    // The single run recorded no headroom: those cells stay empty, not zero.
    assert_eq!(cell(headroom, row, 2), Data::Empty);
}

#[test]
fn a_kpi_row_holds_numbers_percentages_and_dates() {
    let (run, sweep) = results();
    let sheets = read(&workbook(&run, &sweep).expect("a workbook"));
    let kpis = sheet(&sheets, "KPIs p0");
    assert!(text(&cell(kpis, 0, 0)).contains("event.stop.end = \"30d\". 10 runs"));
    let header: Vec<String> = (0..11).map(|c| text(&cell(kpis, 1, c))).collect();
    assert_eq!(header[4], "P(short)");
    assert_eq!(header[8], "unmet demand, mean (unit)");
    // Row 2: us_auto, the first watched.
    assert_eq!(text(&cell(kpis, 2, 0)), "us_auto");
    assert_eq!(text(&cell(kpis, 2, 1)), "US car plants");
    assert_eq!(text(&cell(kpis, 2, 2)), "US");
    assert_eq!(text(&cell(kpis, 2, 3)), "motors");
    assert_eq!(as_number(&cell(kpis, 2, 4)), 0.25);
    assert_eq!(
        [5, 6, 7].map(|c| as_date(&cell(kpis, 2, c))),
        [date(2025, 3, 1), date(2025, 3, 10), date(2025, 4, 2)]
    );
    assert_eq!(as_number(&cell(kpis, 2, 8)), 1234.5);
    assert_eq!(as_number(&cell(kpis, 2, 9)), 0.9);
    assert_eq!(as_number(&cell(kpis, 2, 10)), 0.5);
    // A buyer never short: no dates, no P(recovered); its display name falls back to the id.
    assert_eq!(text(&cell(kpis, 3, 1)), "about");
    assert_eq!(as_number(&cell(kpis, 3, 4)), 0.0);
    for col in [5, 6, 7, 10] {
        assert_eq!(cell(kpis, 3, col), Data::Empty, "column {col}");
    }
    assert_eq!(as_number(&cell(kpis, 3, 9)), 1.0);
}

#[test]
fn a_series_sheet_has_a_dated_row_per_step_and_the_points_side_by_side() {
    let (run, sweep) = results();
    let sheets = read(&workbook(&run, &sweep).expect("a workbook"));
    let series = sheet(&sheets, "us_auto");
    let header: Vec<String> = (0..series.width() as u32).map(|c| text(&cell(series, 0, c))).collect();
    assert_eq!(
        header,
        [
            "date",
            "day",
            "p0 shortage mean",
            "p0 shortage p05",
            "p0 shortage p50",
            "p0 shortage p95",
            "p0 stock mean (motors)",
            "p0 stock p05 (motors)",
            "p0 stock p50 (motors)",
            "p0 stock p95 (motors)",
            "p1 shortage mean",
            "p1 shortage p05",
            "p1 shortage p50",
            "p1 shortage p95",
            "one run shortage",
        ]
    );
    assert_eq!(series.height(), 5, "a header and four weeks");
    for week in 0..4u32 {
        let row = week + 1;
        // A step's row carries the date of its first day.
        let first_day =
            date(2025, 1, 1).checked_add(jiff::Span::new().days(i64::from(week) * 7)).expect("a date");
        assert_eq!(as_date(&cell(series, row, 0)), first_day);
        assert_eq!(as_number(&cell(series, row, 1)), f64::from(week * 7));
        assert_eq!(as_number(&cell(series, row, 2)), f64::from(week) * 0.1);
        assert_eq!(as_number(&cell(series, row, 6)), f64::from(week) * 100.0);
        assert_eq!(as_number(&cell(series, row, 14)), [0.0, 0.125, 0.5, 0.25][week as usize]);
        for col in (2..6).chain(10..15) {
            let share = as_number(&cell(series, row, col));
            assert!((0.0..=1.0).contains(&share), "row {row}, column {col}: {share}");
        }
    }
    // No run column where the run recorded nothing.
    let other = sheet(&sheets, "about~2");
    assert_eq!(other.width(), 10, "date, day and four shortage columns per point");
}

#[test]
fn the_same_results_give_the_same_bytes() {
    let (run, sweep) = results();
    let first = workbook(&run, &sweep).expect("a workbook");
    let second = workbook(&run, &sweep).expect("a workbook");
    assert!(first == second, "two workbooks of the same results differ");
}
