//! `rare-earths-china-japan-2010.toml`: China's H2 2010 quota cut and its customs holds on
//! Japan and on the US and the EU, on the chain of 2024-25 standing in for 2010's.
//!
//! Day numbers from 1 July 2010 (day 0): July 31, August 31, September 30, October 31,
//! November 30, December 31 days. 21 Sep = 31 + 31 + 20 = day 82; 18 Oct = 31 + 31 + 30 + 17
//! = day 109; 29 Oct = day 120; 20 Nov = 31 + 31 + 30 + 31 + 19 = day 142; 1 Jan 2011 =
//! 184 (the quota's second half-year).

use std::sync::OnceLock;

use super::{run, run_with};
use chokepoint_engine::{EventKind, RunResult};

const FILE: &str = "scenarios/rare-earths-china-japan-2010.toml";
const HOLD_ON_JAPAN: (u32, u32) = (82, 142);
const HOLD_ON_US_EU: (u32, u32) = (109, 120);
const QUOTA_RESETS: usize = 184;
/// The H2 2010 allowance: 28 % of the world's 9.7772 t/day of Chinese oxide and metal
/// exports, times 184 days (the scenario's comment gives the derivation).
const ALLOWANCE: f64 = 503.7;
const CHINESE_EXPORTERS: [&str; 3] = ["cn_separation_light", "cn_separation_heavy", "cn_metal"];

fn result() -> &'static RunResult {
    static RESULT: OnceLock<RunResult> = OnceLock::new();
    RESULT.get_or_init(|| run(FILE))
}

fn survive(result: &RunResult, id: &str) -> Option<u32> {
    result.kpis(id).unwrap_or_else(|| panic!("{id} is in the world")).time_to_survive_days
}

/// Chinese exports of oxides and metal, all destinations, over days `from..to`.
fn chinese_exports(result: &RunResult, from: usize, to: usize) -> f64 {
    let sum = |id: &str| -> f64 { result.series(id, "exported").expect("a facility")[from..to].iter().sum() };
    CHINESE_EXPORTERS.iter().map(|id| sum(id)).sum()
}

#[test]
fn the_quota_and_the_two_holds_start_and_end_on_their_source_dates() {
    let result = result();
    assert!(result.ledgers.iter().all(|l| l.imbalance() == 0));
    assert_eq!(result.first_disruption_day, Some(0), "the H2 quota applies from 1 Jul 2010");
    let days = |kind: EventKind, id: &str| -> Vec<u32> {
        (result.events.iter()).filter(|e| e.kind == kind && e.subject == id).map(|e| e.day).collect()
    };
    assert_eq!(days(EventKind::QuotaStarted, "cn-quota-2010"), [0]);
    assert_eq!(days(EventKind::ControlStarted, "cn-hold-japan-2010"), [HOLD_ON_JAPAN.0]);
    assert_eq!(days(EventKind::ControlEnded, "cn-hold-japan-2010"), [HOLD_ON_JAPAN.1]);
    assert_eq!(days(EventKind::ControlStarted, "cn-hold-us-eu-2010"), [HOLD_ON_US_EU.0]);
    assert_eq!(days(EventKind::ControlEnded, "cn-hold-us-eu-2010"), [HOLD_ON_US_EU.1]);
}

#[test]
fn the_h2_allowance_is_used_up_by_late_august_so_the_holds_stop_nothing_the_quota_had_not() {
    let result = result();
    // 503.7 t at the baseline 9.7772 t/day lasts 51.5 days: the quota first holds an order
    // in late August 2010 (day 45 to 60 allows for the noise of Japan's 10-day transit on
    // its orders), before the hold on Japan (day 82), so the first order held is the quota's.
    let first_quota_hold = (result.events.iter())
        .find(|e| e.kind == EventKind::Refused)
        .map(|e| e.day)
        .expect("the quota binds");
    assert!((45..=60).contains(&first_quota_hold), "day {first_quota_hold}");
    // A quota is a cap: China exports the whole allowance in H2 2010, and not a tonne more.
    let h2 = chinese_exports(result, 0, QUOTA_RESETS);
    assert!((h2 - ALLOWANCE).abs() < 1e-3, "H2 2010 exports {h2} t");
    // So from September to the reset on 1 Jan 2011 nothing leaves China for anybody: the holds
    // on Japan (days 82-142) and on the US and the EU (days 109-120) hold orders the quota
    // already held.
    assert_eq!(chinese_exports(result, 60, QUOTA_RESETS), 0.0);
    // The H1 2011 allowance (the H2 2010 rate carried on) is capped the same way.
    let h1 = chinese_exports(result, QUOTA_RESETS, result.horizon_days as usize);
    assert!(h1 <= ALLOWANCE + 1e-3 && h1 > 0.0, "H1 2011 exports {h1} t");
}

#[test]
fn japans_oxide_stock_carries_its_metal_maker_through_the_hold_and_it_runs_short_only_in_2011() {
    let result = result();
    // jp_metal holds 165 days of oxide [S-ALLIED-STOCK]; Chinese heavy oxide (its only source,
    // the binding input) stops when the quota runs out, about day 52-55, with 10 days more in
    // transit: with no more Chinese oxide its stock lasts to about day 55 + 10 + 165 = 230,
    // after the hold on Japan ends (day 142) and after the quota resets (day 184).
    // Had the H1 2011 allowance (28 % of the pre-quota exports, 503.7 t) refilled Japan's held
    // orders at once on day 184, they would land about day 194 with its stock back near 165
    // days, lasting to about day 194 + 165 = 359. But the world's `[adaptation] release_pace`
    // (2.35) lets each link ship, from its backlog of held orders, at most 2.35 days of its own
    // baseline flow a day on top of its fresh orders: every held buyer draws on the capped
    // allowance in parallel at its own pace, so Japan gets only part of it, spread out. So
    // jp_metal runs short between the two bounds: after its stock alone would have lasted
    // (day 230, a week's slack for the last lots' transit), before the at-once refill would
    // have run out (day 359).
    let short = survive(result, "jp_metal").expect("jp_metal runs short before the end of June 2011");
    assert!((223..=359).contains(&short), "jp_metal short from day {short}");
    // It is the pace that brings it forward: with the pace off (a pace no backlog reaches),
    // the backlog ships at once at the reset and jp_metal lasts to the last weeks of the run.
    let at_once = run_with(FILE, &[("adaptation.release_pace", "1e9")]);
    let unpaced = survive(&at_once, "jp_metal").expect("jp_metal runs short before the end of June 2011");
    assert!((340..365).contains(&unpaced), "unpaced: jp_metal short from day {unpaced}");
    assert!(short < unpaced, "the pace spreads Japan's refill: {short} paced, {unpaced} at once");
    // Japan's magnet line has 30 days of metal and jp_metal 15 days in its output store: it
    // runs short 30 to 45 days (five days' slack) after jp_metal first does, within the run
    // now that jp_metal's shortage comes before day 365 − 50.
    let magnets = survive(result, "jp_magnets").expect("jp_magnets runs short within the run");
    assert!(
        (short + 30..=short + 50).contains(&magnets),
        "jp_magnets short from day {magnets}, jp_metal {short}"
    );
    // Magnets were not held, so the motor makers (half Chinese magnets, half Japanese) and the
    // car plants never run short.
    for id in ["jp_other_magnet_users", "jp_motors", "jp_auto"] {
        assert_eq!(survive(result, id), None, "{id} runs short");
    }
}

#[test]
fn the_west_is_carried_by_its_own_165_day_stocks_and_by_chinese_magnets_that_were_never_held() {
    let result = result();
    // us_metal (Dy/Tb oxide, 25 days from China) and eu_magnets (metal, 35 days from China)
    // hold 165 days of their Chinese input [S-ALLIED-STOCK]. Their last shipments before the
    // quota ran out (about day 55) land by days 80 and 90 and their stocks last to about days
    // 245 and 255. Neither runs short before then. The 2011 allowance (from day 184) refills
    // them only in part: under the world's `[adaptation] release_pace` (2.35) every held link
    // draws its backlog from the capped allowance at its own pace, in parallel, so the US and
    // European lines may run short in H1 2011 once their own stocks are gone, not before.
    for (id, stock_lasts) in [("us_metal", 245), ("eu_magnets", 255)] {
        assert!(
            survive(result, id).is_none_or(|day| day > stock_lasts - 7),
            "{id} short from {:?}",
            survive(result, id)
        );
    }
    // With the pace off (held orders ship at once at the reset, as before adaptation) the US
    // line's backlog is refilled at once on day 184 + 25 and it never runs short.
    let at_once = run_with(FILE, &[("adaptation.release_pace", "1e9")]);
    assert_eq!(survive(&at_once, "us_metal"), None);
    // The US magnet line holds 30 days of metal on top of us_metal's 15-day output store: it
    // runs short only 30 to 50 days after us_metal, if at all within the run.
    if let Some(metal) = survive(result, "us_metal") {
        assert!(survive(result, "us_magnets").is_none_or(|day| (metal + 30..=metal + 50).contains(&day)));
    } else {
        assert_eq!(survive(result, "us_magnets"), None);
    }
    // Motor makers buy 90 % of their magnets in China, which no measure covered.
    for id in ["us_motors", "us_auto", "eu_motors", "eu_auto", "us_defence_magnets"] {
        assert_eq!(survive(result, id), None, "{id} runs short");
    }
}

#[test]
fn a_six_month_hold_would_have_run_japans_metal_maker_short_in_february_2011() {
    // The sweep's third value: the hold on Japan lasts 180 days (to day 262), so Japan gets none
    // of the 2011 allowance before its stock is gone at about day 55 + 10 + 165 = 230.
    let longer = run_with(FILE, &[("event.cn-hold-japan-2010.end", r#"{ after = "180d" }"#)]);
    assert!(longer.ledgers.iter().all(|l| l.imbalance() == 0));
    let short = survive(&longer, "jp_metal").expect("a six-month hold outlasts the stock");
    assert!((215..=245).contains(&short), "jp_metal short from day {short}");
    assert!(short < survive(result(), "jp_metal").expect("short"), "the longer hold bites sooner");
}
