//! `scenarios/japan-korea-chemicals-2019.toml`: Japan's individual licences of 4 July 2019 on
//! photoresist and high-purity hydrogen fluoride for South Korea, on the chain of 2025.
//!
//! Day numbers count from the scenario's start, 1 July 2019 (day 0). July has 31 days, so
//! 1 August is day 31, 1 September day 62, 1 October day 92, 1 November day 123 and
//! 1 December day 153.

use super::{days_of, first_grant, first_unmet_day, run};
use chokepoint_engine::EventKind;

const FILE: &str = "scenarios/japan-korea-chemicals-2019.toml";

/// 4 July 2019, when individual licences took effect: day 3.
const CONTROLS_START: u32 = 3;
/// 20 December 2019, when bulk licences for resist returned: 153 + 19 = day 172.
const RESIST_CONTROL_ENDS: u32 = 172;
/// 7 August 2019, the first permit (EUV resist): 31 + 6 = day 37, 34 days after day 3.
const FIRST_RESIST_PERMIT: u32 = 37;
/// The longest review the sources state, "up to ~90 days": 3 + 90 = day 93 (2 October 2019).
const LONGEST_RESIST_REVIEW_ENDS: u32 = CONTROLS_START + 90;
/// 29 August 2019, the first HF permit (solid HF): 31 + 28 = day 59, 56 days after day 3.
const FIRST_HF_PERMIT: u32 = 59;
/// About 16 November 2019, the liquid-HF permit: 123 + 15 = day 138, 135 days after day 3.
const LAST_HF_PERMIT: u32 = 138;

const KOREAN_FABS: [&str; 2] = ["kr_logic", "kr_hbm"];

#[test]
fn the_licences_apply_from_4_july_2019_and_resist_returns_to_bulk_licences_on_20_december() {
    let result = run(FILE);
    assert!(result.ledgers.iter().all(|l| l.imbalance() == 0));
    assert_eq!(result.first_disruption_day, Some(CONTROLS_START));
    for control in ["meti-2019-resist", "meti-2019-hf"] {
        assert_eq!(days_of(&result, EventKind::ControlStarted, control), [CONTROLS_START], "{control}");
    }
    assert_eq!(days_of(&result, EventKind::ControlEnded, "meti-2019-resist"), [RESIST_CONTROL_ENDS]);
    // HF stayed under individual licences until 16 March 2023, long after the horizon.
    assert!(days_of(&result, EventKind::ControlEnded, "meti-2019-hf").is_empty());
    // The sources report permits and no refusal: approval is certain, nothing is refused.
    assert!(result.events.iter().all(|e| e.kind != EventKind::LicenceRefused));
    assert!(result.events.iter().all(|e| e.kind != EventKind::Refused));
}

#[test]
fn first_permits_come_between_the_first_reported_permit_and_the_longest_reported_wait() {
    let result = run(FILE);
    // Each Korean fab applies at the first allocation under the control (day 3); its review is
    // drawn in [34, 90] days for resist and [56, 135] days for HF, so its first permit is decided
    // between 7 August and 2 October 2019 (resist) and between 29 August and 16 November 2019 (HF).
    for fab in KOREAN_FABS {
        let resist = first_grant(&result, "meti-2019-resist", fab);
        assert!(
            (FIRST_RESIST_PERMIT..=LONGEST_RESIST_REVIEW_ENDS).contains(&resist),
            "{fab} resist: day {resist}"
        );
        let hf = first_grant(&result, "meti-2019-hf", fab);
        assert!((FIRST_HF_PERMIT..=LAST_HF_PERMIT).contains(&hf), "{fab} HF: day {hf}");
    }
    // Only Korean buyers need licences: the control targets KR alone.
    for grant in result.events.iter().filter(|e| e.kind == EventKind::LicenceGranted) {
        assert!(
            KOREAN_FABS.iter().any(|fab| grant.detail.ends_with(&format!(" to {fab}"))),
            "{}",
            grant.detail
        );
    }
    // No resist licence is needed once bulk licences return.
    let resist_grants = days_of(&result, EventKind::LicenceGranted, "meti-2019-resist");
    assert!(resist_grants.iter().all(|&day| day < RESIST_CONTROL_ENDS), "{resist_grants:?}");
}

#[test]
fn korean_fabs_run_short_of_resist_once_a_month_of_stock_and_the_pipeline_are_used_up() {
    let result = run(FILE);
    // Inventory arithmetic for each Korean fab's resist, in days of its use:
    // - on day 3 it holds about 30 days on hand (the Yomiuri month) and about 10 days in transit
    //   (the lanes' mean transit), its order-up-to level S = use × (30 + 10 + 1 − 1) = 40 days;
    //   Japan's 91 % of the pipeline still arrives, nothing more from Japan until a permit;
    // - the other makers (9 %) are asked for their share of the refill as the stock falls, at
    //   most 9 % of S in their pipeline, 0.09 × 40 ÷ 10 = 0.36 of use a day.
    // So nothing runs short before day 3 + 30 = 33, and stock plus pipeline (40 days) last at
    // most 40 ÷ (1 − 0.36) = 62 days: the first shortage comes by day 3 + 62 = 65 unless a
    // licensed lot lands before then. A lot decided on day g lands at g + 1 at the earliest.
    for fab in KOREAN_FABS {
        let first_short = first_unmet_day(&result, fab).unwrap_or_else(|| panic!("{fab} never runs short"));
        assert!(first_short >= 33, "{fab} short on day {first_short}, before its month of stock is used");
        let grant = first_grant(&result, "meti-2019-resist", fab);
        if grant + 1 > 65 {
            assert!(first_short <= 65, "{fab} short only on day {first_short} with no lot before day 65");
        }
        // What it lacks is resist: on every day it loses production, its resist stock is empty.
        let unmet = result.series(fab, "unmet").expect("unmet");
        let resist = result.series(fab, "input_stock.photoresist").expect("resist stock");
        for (day, (&u, &stock)) in unmet.iter().zip(resist).enumerate() {
            assert!(u == 0.0 || stock == 0.0, "{fab} day {day}: short with {stock} t of resist");
        }
        let kpis = result.kpis(fab).expect("kpis");
        assert!(kpis.unmet_units > 0.0 && kpis.fill_rate < 1.0, "{fab}: {kpis:?}");
    }
}

#[test]
fn korean_fabs_never_lack_hf_because_the_other_makers_can_carry_japans_share() {
    let result = run(FILE);
    // Japan supplies 44.6 % of the fabs' HF; the other 55.4 % may be asked for up to 0.554 × 40
    // = 22 days of use in their pipeline, more than the 10 days of transit the whole flow
    // needs, so they carry it all once the stock has fallen to about 40 − 10 ÷ 0.554 = 22 days;
    // Korea's and China's HF makers (15 t/day each) have about 1.5 t/day each to spare against
    // the fabs' 0.6 t/day. The stock never falls near zero: never below a quarter of the
    // 30-day target.
    for (fab, hf_per_day) in [("kr_logic", 780.0 * 0.0001), ("kr_hbm", 207_138.0 * 0.000_002_5)] {
        let hf = result.series(fab, "input_stock.hydrogen_fluoride").expect("HF stock");
        let least = hf.iter().copied().fold(f64::INFINITY, f64::min);
        assert!(least > 7.5 * hf_per_day, "{fab}: HF stock fell to {least} t");
    }
}

#[test]
fn korean_fabs_are_whole_again_within_a_month_of_20_december_and_other_fabs_never_run_short() {
    let result = run(FILE);
    // On 20 December (day 172) the held resist orders ship at once and land about 10 days later;
    // allowing for the transit's tail, no Korean fab is short from day 172 + 30 = 202 (19 January
    // 2020) to the end of June 2020.
    for fab in KOREAN_FABS {
        let unmet = result.series(fab, "unmet").expect("unmet");
        let late: f64 = unmet[202..].iter().sum();
        assert_eq!(late, 0.0, "{fab} still short after 19 January 2020");
    }
    // Fabs and users outside Korea are not targeted and their suppliers are not short of
    // capacity: they never run short.
    for buyer in [
        "tw_logic",
        "tw_hbm",
        "us_logic",
        "cn_logic",
        "other_logic_users",
        "other_resist_users",
        "other_hf_users",
    ] {
        let kpis = result.kpis(buyer).expect("kpis");
        assert_eq!(kpis.unmet_units, 0.0, "{buyer} runs short");
    }
    // Korea makes 79 % of the HBM TSMC packages, which holds 30 days of HBM: even losing all
    // Korean HBM from the fab's first shortage (day 33 at the earliest), its stock lasts
    // 30 ÷ 0.79 = 38 days, so packaging cannot run short before day 33 + 38 = 71.
    if let Some(day) = first_unmet_day(&result, "tw_cowos") {
        assert!(day >= 71, "packaging short on day {day}");
    }
}
