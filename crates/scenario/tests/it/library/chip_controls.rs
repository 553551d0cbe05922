//! `scenarios/us-chip-controls-2022-2025.toml`: US controls on AI chips and HBM for China,
//! 7 October 2022 to 8 December 2025, on the 2025 AI chain started on 1 October 2022.
//!
//! Day numbers from 1 October 2022 (day 0): 1 Oct 2023 is day 365 and 1 Oct 2024 day 731
//! (2024 is a leap year); 1 Jan 2024 is day 457, 1 Jan 2025 day 823, 1 Jan 2026 day 1188.

use super::{run, run_with};
use chokepoint_engine::{EventKind, RunResult};

const FILE: &str = "scenarios/us-chip-controls-2022-2025.toml";

/// 7 Oct 2022: day 6.
const RULE_2022: u32 = 6;
/// 17 Nov 2023: 365 + 31 (October) + 16 = day 412.
const RULE_2023: u32 = 412;
/// 1 Apr 2024, the day the redesigned China line ships (ASSUMPTION of the file):
/// 457 + 31 + 29 + 31 = day 548.
const H20_SHIPS: u32 = 548;
/// 2 Dec 2024: 731 + 31 (October) + 30 (November) + 1 = day 793.
const HBM_RULE: u32 = 793;
/// 9 Apr 2025: 823 + 31 + 28 + 31 + 8 = day 921.
const H20_RULE: u32 = 921;
/// 8 Dec 2025: 1188 − 24 (the last 24 days of December) = day 1164.
const H200_DECISION: u32 = 1164;

/// Chinese AI data centres: 672 servers a day, 63 % from the servers built on the US China
/// line (423.4 a day, 3,387 accelerators) and 37 % from Huawei-class servers (248.6 a day).
const CN_DC_RATE: f64 = 672.0;
/// The Huawei-class server line's capacity, 280 servers a day (world).
const ASCEND_SERVERS_CAPACITY: f64 = 280.0;

fn days_with(result: &RunResult, entity: &str, metric: &str, test: impl Fn(f64) -> bool) -> Vec<u32> {
    let values = result.series(entity, metric).unwrap_or_else(|| panic!("{entity} {metric}"));
    (0..values.len()).filter(|&d| test(values[d])).map(|d| d as u32).collect()
}

fn first_after(days: &[u32], after: u32) -> Option<u32> {
    days.iter().copied().find(|&d| d >= after)
}

#[test]
fn each_us_measure_binds_on_its_source_date_and_the_ledgers_balance() {
    let result = run(FILE);
    assert!(result.ledgers.iter().all(|l| l.imbalance() == 0));
    let rows = |kind: EventKind| -> Vec<(u32, &str)> {
        (result.events.iter()).filter(|e| e.kind == kind).map(|e| (e.day, e.subject.as_str())).collect()
    };
    assert_eq!(
        rows(EventKind::ControlStarted),
        [
            (RULE_2022, "bis-2022-10-07"),
            (RULE_2023, "bis-2023-10-17"),
            (HBM_RULE, "bis-2024-12-02-hbm"),
            (H20_RULE, "us-h20-2025-04-09"),
            (H200_DECISION, "us-h200-2025-12-08"),
        ]
    );
    assert_eq!(
        rows(EventKind::ControlEnded),
        [(H20_SHIPS, "bis-2023-10-17"), (H200_DECISION, "us-h20-2025-04-09")]
    );
    assert_eq!(result.first_disruption_day, Some(RULE_2022));
    assert_eq!(rows(EventKind::StockpileOpened), [(HBM_RULE, "cn-hbm-stockpile")]);
}

#[test]
fn the_controls_touch_no_buyer_outside_china() {
    let result = run(FILE);
    // Every data centre outside China is served in full: none buys the China line or Chinese
    // accelerators, and the Korean HBM held back from China is diverted to Taiwan's packaging.
    for sink in
        ["us_ai_dc", "eu_ai_dc", "eu_tier2_ai_dc", "jp_ai_dc", "kr_ai_dc", "sg_ai_dc", "ae_ai_dc", "in_ai_dc"]
    {
        let kpis = result.kpis(sink).expect("a sink");
        assert_eq!(kpis.unmet_units, 0.0, "{sink} runs short");
        assert_eq!(kpis.time_to_survive_days, None, "{sink}");
    }
    for facility in ["tw_cowos", "us_accelerators", "tw_servers", "us_servers"] {
        assert_eq!(result.kpis(facility).expect("a facility").unmet_units, 0.0, "{facility} runs short");
    }
    // Every order held at a border is a Chinese buyer's. The 2022 rule on frontier accelerators
    // and servers holds nothing: in this chain China buys only the cut-down line.
    let refused: Vec<_> = result.events.iter().filter(|e| e.kind == EventKind::Refused).collect();
    assert!(!refused.is_empty());
    for row in refused {
        assert!(row.detail.contains(" for cn_"), "a non-Chinese buyer held: {}", row.detail);
    }
    for facility in ["us_accelerators", "us_servers", "tw_servers", "tw_hbm"] {
        assert!(days_with(&result, facility, "refused", |v| v > 0.0).is_empty(), "{facility} refused");
    }
    assert!(days_with(&result, "kr_hbm", "diverted", |v| v > 0.0).iter().all(|&d| d >= HBM_RULE));
}

#[test]
fn chinese_data_centres_run_short_about_three_months_after_the_a800_h800_ban_and_recover_with_the_h20() {
    let result = run(FILE);
    let short = days_with(&result, "cn_ai_dc", "unmet", |v| v > 0.0);
    // Nothing runs short before the 2023 update: the 2022 rule holds no order here.
    assert!(short.iter().all(|&d| d > RULE_2023), "short before the 2023 update");
    // The stocks the chain holds when the China line stops on day 412 (the world's stocks in
    // steady state, 30-day order targets everywhere): 3 days of accelerators in transit and
    // 30 days at the server makers (33 days), their 3-day output stock and 3 days in transit
    // to the data centres (6 more), then the data centres' own 30 days, 20,160 servers. They
    // drain at 672 a day less what Huawei-class servers send: between the 37 % share, 248.6,
    // and the line's full capacity, 280, so 423.4 to 392 a day, 47.6 to 51.4 days.
    // 412 + 39 + 47.6 = 498.6 and 412 + 39 + 51.4 = 502.4: the first short day falls in
    // 495..=506, a few days' slack for reviews and rounding.
    let first = short[0];
    assert!((495..=506).contains(&first), "first short day {first}");
    // The redesigned line ships from day 548: held orders are free, and the accelerators in
    // stock at the US designer (3 days' worth) reach China's server makers in 3 days, their
    // servers the data centres 3 days later. The shortage ends within about 10 days and the
    // data centres are served in full until the H20 rule on day 921.
    let end_of_gap =
        first_after(&days_with(&result, "cn_ai_dc", "unmet", |v| v == 0.0), first).expect("recovers");
    assert!((H20_SHIPS..=H20_SHIPS + 10).contains(&end_of_gap), "shortage ends on day {end_of_gap}");
    assert!(
        short.iter().all(|&d| d < end_of_gap || d > H20_RULE),
        "short between the H20's launch and its rule"
    );
}

#[test]
fn huawei_class_servers_fill_in_only_their_headroom_while_the_us_china_line_is_cut() {
    let result = run(FILE);
    let demand = result.series("cn_ai_dc", "demand").expect("sink");
    let unmet = result.series("cn_ai_dc", "unmet").expect("sink");
    // While the data centres are short in early 2024, all they get is Huawei-class servers,
    // whose line can make at most 280 a day: at least its 37 % share (248.6) and at most its
    // capacity. The cut-down US line lost 423.4 servers a day; Chinese accelerators make up at
    // most 280 − 248.6 = 31.4 of them, 7 %.
    for day in 510..540 {
        let met = demand[day] - unmet[day];
        assert!(
            (0.37 * CN_DC_RATE - 1e-6..=ASCEND_SERVERS_CAPACITY + 1e-6).contains(&met),
            "day {day}: {met} servers"
        );
    }
}

#[test]
fn the_hbm_rule_stops_chinese_packaging_within_a_month_and_the_stockpile_carries_it_about_half_a_year() {
    let result = run(FILE);
    // Chinese packaging holds 30 days of Korean HBM (world) and 3 days in transit. After
    // 2 Dec 2024 (day 793) it uses up to 17,600 stacks a day (2,200 modules at capacity)
    // against a 30-day stock of its baseline use (15,913 a day): 30 × 15,913 / 17,600 = 27
    // days, plus 3 in transit, 27 to 33 days. First short day in 793 + 25 ..= 793 + 35.
    let packaging_short = days_with(&result, "cn_packaging", "unmet", |v| v > 0.0);
    let first = packaging_short[0];
    assert!((HBM_RULE + 25..=HBM_RULE + 35).contains(&first), "packaging first short on day {first}");
    // The stockpile is released from the day after the first short day (it reacts to the
    // previous day's shortage), not before.
    let released = days_with(&result, "cn-hbm-stockpile", "released", |v| v > 0.0);
    assert_eq!(released[0], first + 1);
    // 2,900,000 stacks at 15,913 to 17,600 a day: 165 to 182 days of packaging after the first
    // release. The packaging's last day of output falls in first + 160 ..= first + 195 (slack
    // for the days lost between releases), and the stockpile is empty at the end.
    let produced = days_with(&result, "cn_packaging", "production", |v| v > 0.0);
    let last = *produced.last().expect("produces");
    assert!((first + 160..=first + 195).contains(&last), "packaging last produces on day {last}");
    let held = result.series("cn-hbm-stockpile", "stock").expect("stockpile");
    assert_eq!(held[held.len() - 1], 0.0);
}

#[test]
fn after_the_h20_rule_chinese_data_centres_run_short_by_summer_2025_and_get_nothing_until_h200_licences() {
    let result = run(FILE);
    let short = days_with(&result, "cn_ai_dc", "unmet", |v| v > 0.0);
    // On 9 Apr 2025 (day 921) the data centres hold their full 30 days (20,160 servers: they
    // refilled first after April 2024), but the server makers had not refilled their 30 days
    // of accelerators: the US line's spare, 3,700 − 3,387 = 313 a day, and the Huawei line's,
    // 31.4 servers, refill at most (313 + 251) × 373 days = 210,000 accelerators of the
    // 263,000 the first gap drained. So the first short day is no earlier than the data
    // centres' own stock allows, 921 + 20,160 / 392 = 972. Without adaptation it would come
    // no later than a full chain would, 921 + 39 + 51.4 = 1012. But the world's `[adaptation]
    // thrift` (after 60 days, 20 % less over 120 days) has changed the US-line server maker:
    // cn_servers first lacked accelerators in the first gap (from day 445 at the latest, as the
    // 2023 rule's shortage reached it), so from day 505 its accelerators per server fell, to
    // 80 % of the recipe (6.4 instead of 8) by day 625, for the rest of the run. Its 30 days of
    // accelerators (counted at the recipe) then last 30 ÷ 0.8 = 37.5 days, 7.5 days more, so the
    // latest first short day is 921 + 39 + 7.5 + 51.4 = 1018.9, day 1019.
    let first = first_after(&short, H20_RULE).expect("short after the H20 rule");
    assert!((972..=1019).contains(&first), "first short after the H20 rule on day {first}");
    // Thrifting is what moves it: with it off (a delay past the end of the run) the first
    // short day is within the unadapted window and earlier.
    let unthrifted =
        run_with(FILE, &[("adaptation.thrift", r#"{ after = "3000d", max = 0.2, ramp = "120d" }"#)]);
    let short_unthrifted = days_with(&unthrifted, "cn_ai_dc", "unmet", |v| v > 0.0);
    let before = first_after(&short_unthrifted, H20_RULE).expect("short after the H20 rule");
    assert!(
        (972..=1012).contains(&before) && before < first,
        "without thrifting first short on day {before}"
    );
    let limited = days_with(&result, "cn_servers", "unmet", |v| v > 0.0);
    assert!(
        limited.first().is_some_and(|&d| d + 60 + 120 <= H20_RULE),
        "cn_servers limited from {:?}",
        limited.first()
    );
    // Then the Huawei line stops too, when the HBM stockpile is gone: packaging's last output
    // (above: by day 822 + 195 = 1017) plus at most the accelerator and server makers' stocks
    // and transit, 30 + 3 + 3 + 30 + 3 + 3 = 72 days: by day 1089 the data centres get nothing.
    // Nothing comes back before the first H200 licence decision, 30 days after 8 Dec 2025
    // (day 1194), plus 3 days' flight.
    let demand = result.series("cn_ai_dc", "demand").expect("sink");
    let unmet = result.series("cn_ai_dc", "unmet").expect("sink");
    for day in 1089..(H200_DECISION + 33) as usize {
        assert!((unmet[day] - demand[day]).abs() < 1e-6, "day {day}: served {}", demand[day] - unmet[day]);
    }
    // No licensed shipment of the China line before the first review can end.
    let licensed = days_with(&result, "us_accelerators_china", "licensed", |v| v > 0.0);
    assert!(licensed.iter().all(|&d| d >= H200_DECISION + 30), "licensed on day {:?}", licensed.first());
    // The Chinese data centres are short on a good part of the run: at least the two gaps'
    // days of shortage, 46 (day 502 to 548) and 1164 + 30 − 1012 = 182.
    assert!(short.len() >= 46 + 182, "{} short days", short.len());
}
