//! `graphite-controls-2023.toml`: China's graphite licences from 1 December 2023, the stricter
//! US review of 3 December 2024 (suspended 9 Nov 2025 - 27 Nov 2026) and No. 58 on anodes and
//! batteries (suspended until 10 Nov 2026).
//!
//! Day numbers from 1 October 2023 (day 0), 2024 a leap year: 20 Oct 2023 = 19; 1 Dec 2023 =
//! 31 + 30 = 61; 1 Oct 2024 = 366; 3 Dec 2024 = 366 + 31 + 30 + 2 = 429; 1 Oct 2025 = 731;
//! 7, 8 and 9 Nov 2025 = 731 + 31 + 6, 7, 8 = 768, 769, 770; 1 Oct 2026 = 1,096; 10 Nov 2026 =
//! 1,096 + 31 + 9 = 1,136; 27 Nov 2026 = 1,153. The licence review is 45 working days = 63
//! calendar days [S-LIC45].

use std::sync::OnceLock;

use super::{first_short_day, run, run_with};
use chokepoint_engine::{EventKind, RunResult};

const FILE: &str = "scenarios/graphite-controls-2023.toml";
const REGIME_2023: u32 = 61;
const REVIEW: u32 = 63;
const NO58_RETURNS: u32 = 1_136;
const CELL_MAKERS: [&str; 4] = ["kr_cells", "jp_cells", "us_cells", "pl_cells"];

fn result() -> &'static RunResult {
    static RESULT: OnceLock<RunResult> = OnceLock::new();
    RESULT.get_or_init(|| run(FILE))
}

/// Transit from Chinese anode to each cell maker (world means: East Asia 10, the US 25,
/// Europe 35 days).
fn transit(cell_maker: &str) -> u32 {
    match cell_maker {
        "kr_cells" | "jp_cells" => 10,
        "us_cells" => 25,
        "pl_cells" => 35,
        other => panic!("{other}"),
    }
}

#[test]
fn the_measures_start_are_suspended_and_return_on_their_source_dates() {
    let result = result();
    assert!(result.ledgers.iter().all(|l| l.imbalance() == 0));
    assert_eq!(result.first_disruption_day, Some(REGIME_2023));
    let days = |kind: EventKind, id: &str| -> Vec<u32> {
        (result.events.iter()).filter(|e| e.kind == kind && e.subject == id).map(|e| e.day).collect()
    };
    assert_eq!(days(EventKind::ControlStarted, "mofcom-graphite-2023"), [REGIME_2023]);
    assert_eq!(days(EventKind::ControlStarted, "mofcom-graphite-us-2024"), [429]);
    assert_eq!(days(EventKind::ControlSuspended, "suspension-us-2025-11"), [770]);
    assert_eq!(days(EventKind::ControlResumed, "suspension-us-2025-11"), [1_153]);
    // No. 58 is suspended on 7 Nov 2025, the day before it would apply, until 10 Nov 2026.
    assert_eq!(days(EventKind::ControlSuspended, "mofcom-70-2025-no58"), [768]);
    assert_eq!(days(EventKind::ControlStarted, "mofcom-58-2025"), [769]);
    assert_eq!(days(EventKind::ControlResumed, "mofcom-70-2025-no58"), [NO58_RETURNS]);
    assert!(days(EventKind::ControlEnded, "mofcom-graphite-2023").is_empty(), "the base regime stays");
}

#[test]
fn no_chinese_flake_leaves_during_the_shortest_51_day_review_and_the_first_decisions_come_from_day_112() {
    let result = result();
    // Every flake buyer outside China applies on 1 Dec 2023 (day 61), 10 applicants a link (the
    // `cn-mofcom` profile); nothing covered ships while its applications are under review.
    // Reviews take 51 to 63 days, so no review is over before day 61 + 51 = 112, and nothing
    // leaves before then; from day 112 MOFCOM decides 0.94 applications a day, so the first
    // decision is taken up within two days of the first review's end, and no later than
    // 61 + 63 + 1 = 125 (every review is over on day 124).
    const SHORTEST: u32 = 51;
    let exported = result.series("cn_graphite_mines", "exported").expect("a facility");
    let during_review: f64 = exported[REGIME_2023 as usize..(REGIME_2023 + SHORTEST) as usize].iter().sum();
    assert_eq!(during_review, 0.0);
    assert!(exported[..REGIME_2023 as usize].iter().sum::<f64>() > 0.0, "China exported flake before");
    let first_decision = (result.events.iter())
        .filter(|e| matches!(e.kind, EventKind::LicenceGranted | EventKind::LicenceRefused))
        .map(|e| e.day)
        .min()
        .expect("decisions");
    assert!(
        (REGIME_2023 + SHORTEST..=REGIME_2023 + REVIEW + 1).contains(&first_decision),
        "{first_decision}"
    );
    // The world has no US buyer of Chinese flake (US cell makers buy anode), so the stricter US
    // review decides no licence at all.
    assert!(
        !(result.events.iter())
            .any(|e| matches!(e.kind, EventKind::LicenceGranted | EventKind::LicenceRefused)
                && e.subject == "mofcom-graphite-us-2024")
    );
}

#[test]
fn japans_anode_maker_runs_its_flake_down_in_the_first_review_while_koreas_mozambican_share_carries_it() {
    let result = result();
    // jp_anode buys 90 % of its flake in China, with 30 days of stock and 10 in transit (its
    // `[adaptation] emergency` target of 38 days from the first hold on day 61 adds only
    // Brazil's 10 % share of 8 days more). From day 61 its stock falls by most of its use, so
    // it cannot run short before its 30 days of stock are used (day 91), and by the time the
    // first decisions come (day 61 + 51 = 112 at the earliest) its stock is nearly gone: at
    // some day of the first review its flake stock is below 5 days of its day-0 use. Whether it
    // runs out before the first licensed lot lands (day 112 + 10 at the earliest, one
    // applicant's tenth of the link at a time) turns on a few days (its use follows the cell
    // makers' orders, which vary), so the test does not say.
    let flake = result.series("jp_anode", "input_stock.natural_graphite").expect("an input stock");
    let daily_use = flake[0] / 30.0;
    let lowest = flake[REGIME_2023 as usize..=(REGIME_2023 + REVIEW + 10) as usize]
        .iter()
        .copied()
        .fold(f64::MAX, f64::min);
    assert!(lowest < 5.0 * daily_use, "jp_anode's flake stock stays at {lowest} t, {daily_use} t a day");
    assert!(first_short_day(result, "jp_anode").is_none_or(|day| day >= REGIME_2023 + 30));
    // kr_anode buys 30 % from Mozambique. Each source is asked for its share of the order-up-to
    // level S = 30 + 10 days of use: Mozambique keeps 0.3 x (40 days - stock) in its 10-day
    // pipeline, which covers the whole use once the stock is down to 40 - 10 / 0.3 = 6.7 days.
    // So kr_anode does not run short while the first applications are under review.
    assert!(first_short_day(result, "kr_anode").is_none_or(|day| day > 134));
}

#[test]
fn cell_makers_run_short_only_after_no_58_returns_on_10_november_2026() {
    let result = result();
    // Until No. 58 binds, the cell makers' main source, Chinese anode (70-95 %), is not covered.
    // From 10 Nov 2026 all Chinese anode is held while the first applications are reviewed
    // (51 to 63 days): each maker runs short after at least its 30 days of anode stock (day
    // 1,166). No. 58 brings 7 links under MOFCOM's licences at once (Chinese anode to the four
    // cell makers, Chinese cells to the car makers' three intakes), 70 applications of the
    // `cn-mofcom` profile's 10 per link, all over review by day 1,136 + 63 = 1,199 and then
    // decided at 0.94 a day: the first round takes ceil(70 / 0.94) = 75 days. Until a maker's
    // 10 applicants are decided only the approved tenths of its Chinese orders ship (approval
    // at most 0.83), so its stock, stretched by its non-Chinese share, runs out by the end of
    // the first round plus transit: day 1,199 + 75 + transit at the latest.
    for id in CELL_MAKERS {
        let day = first_short_day(result, id).unwrap_or_else(|| panic!("{id} never runs short"));
        let latest = NO58_RETURNS + REVIEW + (70.0_f64 / 0.94).ceil() as u32 + transit(id);
        assert!((NO58_RETURNS + 30..=latest).contains(&day), "{id} short from day {day}");
    }
    // The car makers' cell intake holds 30 days more: nothing before No. 58 returns + 30 days.
    for id in ["us_ev_cells", "eu_ev_cells", "jp_ev_cells"] {
        assert!(first_short_day(result, id).is_none_or(|day| day >= NO58_RETURNS + 30), "{id}");
    }
}

#[test]
fn had_the_2023_regime_covered_anode_the_cell_makers_would_have_run_short_in_its_first_review() {
    // The sweep's second value: the Dec 2023 regime on anode material too. Each cell maker then
    // runs short between day 61 + 30 (its anode stock) and day 124 + transit (the first licences).
    let what_if = run_with(
        FILE,
        &[("event.mofcom-graphite-2023.products", r#"["natural_graphite", "anode_material"]"#)],
    );
    assert!(what_if.ledgers.iter().all(|l| l.imbalance() == 0));
    for id in CELL_MAKERS {
        let day = first_short_day(&what_if, id).unwrap_or_else(|| panic!("{id} never runs short"));
        let latest = REGIME_2023 + REVIEW + transit(id);
        assert!((REGIME_2023 + 30..=latest).contains(&day), "{id} short from day {day}");
    }
}
