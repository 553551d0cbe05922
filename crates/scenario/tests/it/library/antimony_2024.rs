//! `antimony-controls-2024.toml`: China's antimony licences from 15 September 2024 and its ban
//! on antimony to the US from 3 December 2024, suspended 9 Nov 2025 - 27 Nov 2026.
//!
//! Day numbers from 1 August 2024 (day 0): 15 Aug 2024 = 14; 15 Sep 2024 = 31 + 14 = 45;
//! 3 Dec 2024 = 31 + 30 + 31 + 30 + 2 = 124; 1 Aug 2025 = 365; 9 Nov 2025 = 365 + 31 + 30 +
//! 31 + 8 = 465; 1 Aug 2026 = 730; 27 Nov 2026 = 730 + 31 + 30 + 31 + 26 = 848. Licences take
//! 2-3 months [S-SB-LIC]: reviews of 60 to 90 days.

use std::sync::OnceLock;

use super::{first_short_day, run, run_with, total};
use chokepoint_engine::{EventKind, RunResult};

const FILE: &str = "scenarios/antimony-controls-2024.toml";
const LICENCES: u32 = 45;
const SHORTEST_REVIEW: u32 = 60;
const US_BAN: u32 = 124;
const BAN_SUSPENDED: u32 = 465;
const BAN_RETURNS: u32 = 848;
/// Users outside China and the mean transit of their link (world: Asia to the US 25 days, to
/// Europe 35, East Asia 10, China to India 15). Each holds 30 days of stock and buys 70 % from
/// China, 30 % from Tajikistan (world ASSUMPTIONs).
const FOREIGN_USERS: [(&str, u32); 5] = [
    ("us_defence_antimony", 25),
    ("us_antimony_users", 25),
    ("eu_antimony_users", 35),
    ("jp_antimony_users", 10),
    ("in_antimony_users", 15),
];
const TAJIK_AT_ONCE: (&str, &str) = (
    "supply.us_defence_antimony.antimony.alternates",
    r#"[{ from = "tj_antimony_refining", qualify = "0d" }]"#,
);

fn result() -> &'static RunResult {
    static RESULT: OnceLock<RunResult> = OnceLock::new();
    RESULT.get_or_init(|| run(FILE))
}

#[test]
fn the_licences_the_us_ban_and_its_suspension_fall_on_their_source_dates() {
    let result = result();
    assert!(result.ledgers.iter().all(|l| l.imbalance() == 0));
    assert_eq!(result.first_disruption_day, Some(LICENCES));
    let days = |kind: EventKind, id: &str| -> Vec<u32> {
        (result.events.iter()).filter(|e| e.kind == kind && e.subject == id).map(|e| e.day).collect()
    };
    assert_eq!(days(EventKind::ControlStarted, "mofcom-antimony-2024"), [LICENCES]);
    assert_eq!(days(EventKind::ControlStarted, "mofcom-ban-us-2024"), [US_BAN]);
    assert_eq!(days(EventKind::ControlSuspended, "suspension-us-2025-11"), [BAN_SUSPENDED]);
    assert_eq!(days(EventKind::ControlResumed, "suspension-us-2025-11"), [BAN_RETURNS]);
    // No licence is decided before the shortest review is over.
    let first_decision = (result.events.iter())
        .filter(|e| matches!(e.kind, EventKind::LicenceGranted | EventKind::LicenceRefused))
        .map(|e| e.day)
        .min()
        .expect("licences are decided");
    assert!(first_decision >= LICENCES + SHORTEST_REVIEW, "day {first_decision}");
}

#[test]
fn every_user_outside_china_runs_short_before_the_first_licences_could_land() {
    let result = result();
    // From day 45 China's 70 % waits at least 60 days for a licence. Tajikistan's refinery (34
    // t/day, 31.2 of them already sold: 30 % of the 104 t/day used outside China) can add
    // little, so each user's 30 days of stock run down by most of its use once what is in
    // transit has landed: it runs short after day 45 + transit + 30 and before the first
    // licensed shipment could land, day 45 + 60 + transit. China's own users are not covered.
    for (id, transit) in FOREIGN_USERS {
        let day = first_short_day(result, id).unwrap_or_else(|| panic!("{id} never runs short"));
        let window = LICENCES + transit + 30..=LICENCES + SHORTEST_REVIEW + transit;
        assert!(window.contains(&day), "{id} short from day {day}, expected {window:?}");
    }
    assert_eq!(first_short_day(result, "cn_antimony_users"), None);
}

#[test]
fn under_the_ban_us_munitions_makers_live_on_tajikistans_share_and_go_at_least_a_third_short() {
    let result = result();
    // During the ban (days 124 to 465) nothing Chinese reaches the US. The munitions makers'
    // Tajik link asks for at most its 30 % of the order-up-to level, 30 days of stock + 25 in
    // transit = 55 days of use: with the stock gone that keeps 0.3 x 55 = 16.5 days of use in a
    // 25-day pipeline, 0.66 of their use a day. So after their stock is gone (day 45 + 25 + 30
    // = 100, and the ban's first 25 days in transit) they go at least 34 % short.
    let from = US_BAN + 25 + 30;
    let short = total(result, "us_defence_antimony", "unmet", from, BAN_SUSPENDED)
        / total(result, "us_defence_antimony", "demand", from, BAN_SUSPENDED);
    assert!(short >= 0.34, "{short}");
    // Tajikistan's refinery is the bottleneck: it runs at its 34 t/day capacity.
    let tajik = total(result, "tj_antimony_refining", "production", from, BAN_SUSPENDED);
    assert!((tajik / f64::from(BAN_SUSPENDED - from) - 34.0).abs() < 0.5, "{tajik}");
}

#[test]
fn moving_chinas_share_to_tajikistan_helps_the_munitions_makers_at_the_other_buyers_expense() {
    // The sweep's second value: Tajikistan as an alternate, qualified at once. The munitions
    // makers move China's 70 % to it at their first cut-off (a refusal, or the ban on day 124
    // at the latest) and ask it for their whole order-up-to level. Tajikistan's refinery already
    // runs at capacity, so what they gain the other users outside China lose.
    let resourced = run_with(FILE, &[TAJIK_AT_ONCE]);
    let base = result();
    assert!(resourced.ledgers.iter().all(|l| l.imbalance() == 0));
    let moved = (resourced.events.iter())
        .find(|e| e.kind == EventKind::Resourced && e.subject == "us_defence_antimony")
        .map(|e| e.day)
        .expect("the munitions makers re-source");
    assert!((LICENCES..=US_BAN).contains(&moved), "day {moved}");
    let horizon = base.horizon_days;
    let unmet = |r: &RunResult, id: &str| total(r, id, "unmet", 0, horizon);
    assert!(unmet(&resourced, "us_defence_antimony") < unmet(base, "us_defence_antimony"));
    let others = |r: &RunResult| -> f64 { FOREIGN_USERS.iter().skip(1).map(|(id, _)| unmet(r, id)).sum() };
    assert!(others(&resourced) > others(base), "the other buyers lose what the munitions makers gain");
}
