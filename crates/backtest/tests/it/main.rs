//! Tests of observation files and scoring: located diagnostics for every kind of mistake,
//! and scores computed by hand.

use chokepoint_backtest::{Calendar, Coverage, Kind, Observation, parse, score};
use chokepoint_engine::Model;

/// The small chain of `examples/small-chain.toml`: products part_a, part_b, part_c, widget;
/// facilities cn_part_a (CN), jp_part_b (JP), kr_part_c, tw_part_c, us_widgets, mx_widgets;
/// sink us_buyer. It starts 2026-01-01 and runs 365 days.
fn model() -> (Model, Calendar) {
    // part_a gets a price index, so price ratios of it can be scored.
    let text = include_str!("../../../../examples/small-chain.toml").replace(
        "name = \"Part A (single-sourced, little stock)\"",
        "name = \"Part A (single-sourced, little stock)\"\nprice = { elasticity = 3.0 }",
    );
    let loaded = chokepoint_scenario::load_str("small-chain.toml", &text).expect("the example loads");
    let scenario = loaded.scenario;
    let calendar = Calendar { start: scenario.start, horizon_days: scenario.model.horizon_days };
    (scenario.model, calendar)
}

const HEADER: &str =
    "id,kind,exporter,importer,product,entity,period,value,base,tolerance,source,confidence,scored,note\n";

fn check(rows: &str) -> Result<Vec<Observation>, String> {
    let (model, calendar) = model();
    parse("obs.csv", &format!("# a comment line\n{HEADER}{rows}"), &model, calendar)
        .map_err(|r| r.render(false))
}

#[test]
fn a_good_file_reads_every_kind() {
    let observations = check(
        "a-may,trade,CN,US,part_a,,2026-05,120,,,[S-X],H,,\n\
         a-ratio,trade,CN,*,part_a,,2026-05,0.5,2026-01..2026-03,0.1,[S-X],M,,derived\n\
         buyer,first_shortage,,,,us_buyer,2026-04-01..2026-04-30,,,3,[S-Y],H,,\n\
         calm,first_shortage,,,,us_buyer,2026-01-01..2026-02-28,never,,,[S-Y],L,,\n\
         gap,price_ratio,CN,US,part_a,,2026-06,3.0,,0.2,[S-Z],M,,\n\
         lanthanum,trade,CN,*,la_oxide,,2026-05,10,,,[S-X],H,no,the world has no lanthanum\n",
    )
    .expect("valid");
    assert_eq!(observations.len(), 6);
    // May 2026 is days 120 to 150 (Jan 31 + Feb 28 + Mar 31 + Apr 30 = 120).
    match &observations[0].kind {
        Some(Kind::Trade { days, base, importer, .. }) => {
            assert_eq!(*days, 120..151);
            assert!(base.is_empty());
            assert!(importer.is_some());
        }
        other => panic!("{other:?}"),
    }
    match &observations[1].kind {
        Some(Kind::Trade { base, importer: None, .. }) => assert_eq!(*base, vec![0..31, 31..59, 59..90]),
        other => panic!("{other:?}"),
    }
    // 1 April is day 90; the tolerance of 3 days widens the window on both sides.
    assert_eq!(
        observations[2].kind,
        Some(Kind::FirstShortage { entity: "us_buyer".into(), window: (87, 122), never: false })
    );
    assert!(matches!(observations[3].kind, Some(Kind::FirstShortage { never: true, window: (0, 58), .. })));
    assert!(matches!(observations[4].kind, Some(Kind::PriceRatio { .. })));
    assert!(!observations[5].scored(), "a row marked scored = no is kept but not scored");
    assert_eq!(observations[5].line, 8, "the comment and header come first");
}

#[test]
fn every_mistake_is_located_with_a_hint() {
    let rendered = check(
        "a,trade,CN,US,part_aa,,2026-05,120,,,[S-X],H,,\n\
         b,trade,CN,US,part_a,,2026-13,120,,,[S-X],H,,\n\
         c,trade,CN,US,part_a,,2027-02,120,,,[S-X],H,,\n\
         d,trade,China,US,part_a,,2026-05,120,,,[S-X],H,,\n\
         e,first_shortage,,,,us_buyr,2026-04-01..2026-04-30,,,,[S-Y],H,,\n\
         f,trade,CN,US,part_a,,2026-05,-3,,,[S-X],H,,\n\
         g,trade,CN,US,part_a,,2026-05,1,,,,X,,\n\
         p,price_ratio,CN,US,part_b,,2026-05,2,,,[S-X],H,,\n\
         h,trade,CN,US,nothing,,2026-05,1,,,[S-X],H,no,\n\
         z,trade,CN,US,part_a,,2026-05,120,,,[S-X],H,,\n\
         z,trade,CN,US,part_a,,2026-06,120,,,[S-X],H,,\n\
         i,trade,CN,US,part_a\n",
    )
    .expect_err("invalid");
    for expected in [
        "unknown product 'part_aa'",
        "did you mean 'part_a'?",
        "obs.csv:3:15",
        "period '2026-13' is not a month",
        "2027-02 is not wholly inside the scenario's run (2026-01-01 to 2026-12-31)",
        "exporter 'China' is not a region code",
        "unknown entity 'us_buyr'",
        "did you mean 'us_buyer'?",
        "value '-3' is not a number of at least 0",
        "every observation needs its source",
        "confidence 'X' is not H, M or L",
        "a row that is not scored must say why in its note",
        "observation 'z' is defined twice",
        "this row has 5 cells; the header has 14",
        "the scenario gives part_b no price index",
    ] {
        assert!(rendered.contains(expected), "'{expected}' missing from:\n{rendered}");
    }
}

#[test]
fn a_header_with_an_unknown_or_missing_column_is_refused() {
    let (model, calendar) = model();
    let text =
        "id,kind,exporter,importer,product,entity,period,valeu,base,tolerance,source,confidence,scored\n";
    let rendered = parse("obs.csv", text, &model, calendar).expect_err("bad header").render(false);
    assert!(rendered.contains("unknown column 'valeu'"), "{rendered}");
    assert!(rendered.contains("did you mean 'value'?"), "{rendered}");
}

fn observation(rows: &str) -> Observation {
    check(rows).expect("valid").remove(0)
}

#[test]
fn a_flow_is_inside_when_it_meets_the_band() {
    let o = observation("a,trade,CN,US,part_a,,2026-05,100,,,[S-X],H,,\n");
    // 21 runs of 50, 55, …, 150: p05 = 55, p50 = 100, p95 = 145 (linear interpolation).
    let runs: Vec<Vec<f64>> = (0..21).map(|i| vec![50.0 + 5.0 * f64::from(i)]).collect();
    let s = score(std::slice::from_ref(&o), &runs).remove(0).expect("scored");
    assert_eq!((s.p05, s.p50, s.p95), (55.0, 100.0, 145.0));
    assert!(s.inside);
    assert_eq!(s.error, Some(0.0));
    // Observed 200: outside; the median is half of it, an error of ln 0.5.
    let o = observation("a,trade,CN,US,part_a,,2026-05,200,,,[S-X],H,,\n");
    let s = score(std::slice::from_ref(&o), &runs).remove(0).expect("scored");
    assert!(!s.inside);
    assert!((s.error.expect("finite") - 0.5f64.ln()).abs() < 1e-12);
    assert_eq!(s.difference, Some(-100.0));
    // With a tolerance of 30 %, 200 reaches down to 140, inside the band.
    let o = observation("a,trade,CN,US,part_a,,2026-05,200,,0.3,[S-X],H,,\n");
    assert!(score(std::slice::from_ref(&o), &runs)[0].as_ref().expect("scored").inside);
}

#[test]
fn dates_score_by_window_and_never_counts_as_latest() {
    // Window 1-30 April: days 90 to 119.
    let o = observation("b,first_shortage,,,,us_buyer,2026-04-01..2026-04-30,,,,[S-Y],H,,\n");
    let early: Vec<Vec<f64>> = (0..21).map(|i| vec![20.0 + f64::from(i)]).collect();
    let s = score(std::slice::from_ref(&o), &early).remove(0).expect("scored");
    // p95 = 39: every run short before April.
    assert!(!s.inside);
    assert_eq!(s.error, Some(30.0 - 90.0), "the median, day 30, is 60 days before the window");
    // Half the runs never short: the median is never, and the error has no value.
    let mixed: Vec<Vec<f64>> = (0..20).map(|i| vec![if i < 10 { 100.0 } else { f64::INFINITY }]).collect();
    let s = score(std::slice::from_ref(&o), &mixed).remove(0).expect("scored");
    assert!(s.inside, "day 100 is in the window");
    assert_eq!(s.error, None);
    assert_eq!(s.never_share, Some(0.5));
    // Never short through February: inside only when some runs are short after day 58.
    let never = observation("c,first_shortage,,,,us_buyer,2026-01-01..2026-02-28,never,,,[S-Y],H,,\n");
    assert!(score(std::slice::from_ref(&never), &mixed)[0].as_ref().expect("scored").inside);
    assert!(!score(std::slice::from_ref(&never), &early)[0].as_ref().expect("scored").inside);
}

#[test]
fn coverage_counts_by_kind_and_confidence() {
    let observations = check(
        "a,trade,CN,US,part_a,,2026-05,100,,,[S-X],H,,\n\
         b,trade,CN,US,part_a,,2026-06,1000,,,[S-X],M,,\n\
         c,first_shortage,,,,us_buyer,2026-04-01..2026-04-30,,,,[S-Y],H,,\n\
         d,trade,CN,*,la_oxide,,2026-05,10,,,[S-X],H,no,the world has no lanthanum\n",
    )
    .expect("valid");
    let runs: Vec<Vec<f64>> =
        (0..21).map(|i| vec![50.0 + 5.0 * f64::from(i), 150.0, 95.0, f64::NAN]).collect();
    let scores = score(&observations, &runs);
    assert!(scores[0].as_ref().is_some_and(|s| s.inside));
    assert!(scores[1].as_ref().is_some_and(|s| !s.inside));
    assert!(scores[2].as_ref().is_some_and(|s| s.inside));
    assert!(scores[3].is_none());
    let coverage = Coverage::of(&observations, &scores);
    let row = |g: &str| coverage.rows.iter().find(|r| r.group == g).map(|r| (r.inside, r.scored));
    assert_eq!(row("all"), Some((2, 3)));
    assert_eq!(row("trade"), Some((1, 2)));
    assert_eq!(row("first_shortage"), Some((1, 1)));
    assert_eq!(row("price_ratio"), None);
    assert_eq!(row("confidence H"), Some((2, 2)));
    assert_eq!(row("confidence M"), Some((0, 1)));
    assert_eq!(coverage.not_scored, 1);
}

#[test]
fn cells_are_located_past_quoted_commas_and_comments_with_accents() {
    let rendered = check(
        "# a comment with é and — in it\n\
         q,trade,CN,US,part_a,,2026-05,120,,,\"Reuters, China customs\",X,,\n",
    )
    .expect_err("bad confidence");
    // Line 4 (comment, header, comment, row). The quoted source takes bytes 36 to 59 of the
    // row and its comma is not a separator, so the confidence cell is byte 61: column 62
    // (split at every comma, it would be column 52, inside the source).
    assert!(rendered.contains("obs.csv:4:62"), "{rendered}");
}

#[test]
fn a_never_row_is_loosened_by_its_tolerance() {
    // Never short through 28 February (day 58), with 7 days of tolerance: runs short from
    // day 52 on still agree.
    let o = observation("c,first_shortage,,,,us_buyer,2026-01-01..2026-02-28,never,,7,[S-Y],H,,\n");
    assert!(matches!(o.kind, Some(Kind::FirstShortage { window: (0, 51), never: true, .. })), "{:?}", o.kind);
    let runs: Vec<Vec<f64>> = (0..21).map(|i| vec![40.0 + f64::from(i)]).collect();
    // p95 = 59 > 51: inside; without the tolerance (window end 58) too; at p95 = 50, not.
    assert!(score(std::slice::from_ref(&o), &runs)[0].as_ref().expect("scored").inside);
    let early: Vec<Vec<f64>> = (0..21).map(|i| vec![30.0 + f64::from(i)]).collect();
    assert!(!score(std::slice::from_ref(&o), &early)[0].as_ref().expect("scored").inside);
}

#[test]
fn a_scored_row_no_run_can_measure_is_a_miss() {
    let o = observation("a,trade,CN,US,part_a,,2026-05,0.5,2026-02..2026-04,,[S-X],H,,\n");
    let runs: Vec<Vec<f64>> = (0..5).map(|_| vec![f64::NAN]).collect();
    let s = score(std::slice::from_ref(&o), &runs).remove(0).expect("still scored");
    assert!(!s.inside);
    assert_eq!((s.runs, s.dropped), (0, 5));
    let coverage = Coverage::of(std::slice::from_ref(&o), &[Some(s)]);
    assert_eq!(coverage.rows[0].scored, 1, "it stays in the count");
    assert_eq!(coverage.not_scored, 0);
}
