//! `scenarios/gallium-germanium-2023-2025.toml`: China's gallium and germanium licences of
//! 1 August 2023, its ban on exports to the US of 3 December 2024, and the ban's suspension from
//! 9 November 2025 to 27 November 2026.
//!
//! Day numbers count from the scenario's start, 1 July 2023 (day 0). 1 July 2024 is day 366
//! (2024 is a leap year), 1 July 2025 day 731 and 1 July 2026 day 1096.

use super::{days_of, first_unmet_day, grants, run, shortage};
use chokepoint_engine::EventKind;

const FILE: &str = "scenarios/gallium-germanium-2023-2025.toml";

/// 1 August 2023, when licences became compulsory: day 31.
const LICENCES_START: u32 = 31;
/// 3 December 2024, the US ban: 366 + 31 + 31 + 30 + 31 + 30 + 2 = day 521.
const US_BAN: u32 = 521;
/// 9 November 2025, its suspension: 731 + 31 + 31 + 30 + 31 + 8 = day 862.
const SUSPENSION: u32 = 862;
/// 27 November 2026, the end of the suspension: 1096 + 31 + 31 + 30 + 31 + 26 = day 1245.
const SUSPENSION_ENDS: u32 = 1245;
/// Reviews take 51 days (1 August -> 21 September 2023, the first licences) to 63 days
/// (45 working days, 9 weeks).
const REVIEW: std::ops::RangeInclusive<u32> = 51..=63;

/// Gallium users outside China and the mean transit of their lane from China, in days.
const FOREIGN_GALLIUM: [(&str, u32); 6] = [
    ("jp_gallium_users", 10),
    ("kr_gallium_users", 10),
    ("tw_gallium_users", 10),
    ("us_gallium_users", 25),
    ("us_defence_gallium", 25),
    ("eu_gallium_users", 35),
];
const FOREIGN_GERMANIUM: [&str; 5] = [
    "us_germanium_users",
    "us_defence_germanium",
    "eu_germanium_users",
    "jp_germanium_users",
    "kr_germanium_users",
];

#[test]
fn the_licences_start_on_1_august_2023_and_the_us_ban_runs_from_december_2024_to_its_suspension() {
    let result = run(FILE);
    assert!(result.ledgers.iter().all(|l| l.imbalance() == 0));
    assert_eq!(result.first_disruption_day, Some(LICENCES_START));
    assert_eq!(days_of(&result, EventKind::ControlStarted, "mofcom-gage-2023"), [LICENCES_START]);
    assert_eq!(days_of(&result, EventKind::ControlStarted, "mofcom-us-ban-2024"), [US_BAN]);
    let suspension = "mofcom-us-ban-suspension-2025";
    assert_eq!(days_of(&result, EventKind::ControlSuspended, suspension), [SUSPENSION]);
    assert_eq!(days_of(&result, EventKind::ControlResumed, suspension), [SUSPENSION_ENDS]);
    // Neither control ends within the run: the licences are still in force, and the ban is
    // assumed to return when the suspension ends.
    assert!(result.events.iter().all(|e| e.kind != EventKind::ControlEnded));
}

#[test]
fn first_licences_come_51_to_63_days_after_1_august_2023_and_only_foreign_buyers_need_them() {
    let result = run(FILE);
    // Every foreign buyer applies at the first allocation under the regime (day 31); its
    // review takes 51 to 63 days and is approved, so its first licence is decided between day
    // 31 + 51 = 82 (21 September 2023) and day 31 + 63 = 94 (3 October 2023).
    let earliest = LICENCES_START + REVIEW.start();
    let latest = LICENCES_START + REVIEW.end();
    let buyers = FOREIGN_GALLIUM.iter().map(|&(sink, _)| sink).chain(FOREIGN_GERMANIUM);
    for buyer in buyers {
        let first = *grants(&result, "mofcom-gage-2023", buyer)
            .first()
            .unwrap_or_else(|| panic!("{buyer} never licensed"));
        assert!((earliest..=latest).contains(&first), "{buyer}: first licence on day {first}");
    }
    // Sales inside China are never covered: China's users need no licence.
    assert!(grants(&result, "mofcom-gage-2023", "cn_gallium_users").is_empty());
    assert!(grants(&result, "mofcom-gage-2023", "cn_germanium_users").is_empty());
    assert!(result.events.iter().all(|e| e.kind != EventKind::LicenceRefused), "approval is certain");
}

#[test]
fn gallium_users_outside_china_run_short_once_their_month_of_stock_and_the_pipeline_are_used() {
    let result = run(FILE);
    // A foreign gallium user buys 98.8 % from China and holds 30 days on hand plus its lane's
    // transit L in the pipeline (order-up-to S = 30 + L days of use). From day 31 nothing new
    // leaves China until a licence, and the 1.2 % from Japan cannot make up for it, so it runs
    // short at about day 31 + 30 + L: day 71 (10 September 2023) in Japan, Korea and Taiwan,
    // day 86 (25 September) in the US, day 96 (5 October) in Germany. The first licensed lot
    // is decided on day 82 at the earliest and travels L days, so it lands after the stock
    // runs out. Five days either side for the transit of the last lots before the control.
    for (sink, transit) in FOREIGN_GALLIUM {
        let expected = LICENCES_START + 30 + transit;
        let first = first_unmet_day(&result, sink).unwrap_or_else(|| panic!("{sink} never runs short"));
        assert!(
            first + 5 >= expected && first <= expected + 5,
            "{sink}: short on day {first}, not ~{expected}"
        );
    }
    // China's own users are never covered, and China's refiner (1.64 t/day) has room for them.
    assert_eq!(result.kpis("cn_gallium_users").expect("kpis").unmet_units, 0.0);
    assert_eq!(result.kpis("cn_germanium_users").expect("kpis").unmet_units, 0.0);
}

#[test]
fn the_us_ban_cuts_us_gallium_users_to_a_fraction_and_leaves_other_countries_as_they_were() {
    let result = run(FILE);
    // Under the ban (days 521 to 862, 341 days) a US gallium user gets at most: what it had on
    // hand and in the pipeline, its order-up-to level of 55 days of use; the 1.2 % from Japan,
    // at most 0.012 × 55 ÷ 25 of use a day, 9 days in all; and leaks. A leak is a share
    // (at most 0.25) of each order newly refused, and a user whose orders are held orders
    // again only what leaks fill, so leaks add up to at most 0.25 ÷ 0.75 × 55 = 18 days.
    // So at least 1 − (55 + 9 + 18) ÷ 341 = 76 % of its demand goes unmet during the ban.
    for sink in ["us_gallium_users", "us_defence_gallium"] {
        let short = shortage(&result, sink, US_BAN, SUSPENSION);
        assert!(short >= 0.7, "{sink}: {short} unmet under the ban");
    }
    // The ban binds US buyers only: every refusal is of a US buyer.
    for refusal in result.events.iter().filter(|e| e.kind == EventKind::Refused) {
        assert!(refusal.detail.contains(" for us_"), "{}", refusal.detail);
    }
    // China's refiner has room for everyone else (1.64 against 1.49 t/day), so other users'
    // shortage under the ban is that of the licence regime before it, give or take noise.
    for (sink, _) in FOREIGN_GALLIUM.iter().filter(|(sink, _)| !sink.starts_with("us_")) {
        let before = shortage(&result, sink, LICENCES_START, US_BAN);
        let during = shortage(&result, sink, US_BAN, SUSPENSION);
        assert!((during - before).abs() < 0.08, "{sink}: {before} before the ban, {during} during it");
    }
    // Germanium: US users lose China's half; Belgium, Canada and US recycling have about
    // 0.03 t/day to spare against the 0.05 t/day of China's half of US use, so at least a fifth
    // of US demand goes short once the stocks are used. Other countries' users keep the
    // licensed half and stay under a tenth short.
    for sink in ["us_germanium_users", "us_defence_germanium"] {
        let short = shortage(&result, sink, US_BAN, SUSPENSION);
        assert!(short > 0.1, "{sink}: {short} unmet under the ban");
    }
    for sink in ["eu_germanium_users", "jp_germanium_users", "kr_germanium_users"] {
        let short = shortage(&result, sink, US_BAN, SUSPENSION);
        assert!(short < 0.1, "{sink}: {short} unmet during the ban");
    }
}

#[test]
fn refused_us_flow_leaks_only_while_the_ban_binds_and_at_most_its_share() {
    let result = run(FILE);
    for refiner in ["cn_gallium", "cn_germanium"] {
        let leaked = result.series(refiner, "leaked").expect("leaked");
        let refused = result.series(refiner, "refused").expect("refused");
        let (total_leaked, total_refused): (f64, f64) = (leaked.iter().sum(), refused.iter().sum());
        assert!(total_leaked > 0.0, "{refiner}: nothing leaks");
        // Each refused quantity adds at most 0.25 of itself to the leak allowance.
        assert!(total_leaked <= 0.25 * total_refused + 1e-6, "{refiner}: {total_leaked} of {total_refused}");
        for (day, &l) in leaked.iter().enumerate() {
            let day = day as u32;
            let binding = (US_BAN..SUSPENSION).contains(&day) || day >= SUSPENSION_ENDS;
            assert!(l == 0.0 || binding, "{refiner} leaks on day {day}, when the ban does not bind");
        }
    }
}

#[test]
fn the_suspension_returns_us_gallium_users_to_the_licence_regime_not_to_full_supply() {
    let result = run(FILE);
    // Once the ban is lifted the 2023 licences apply to US buyers again: an application
    // pending when the ban began is decided at the first allocation after it (its review is
    // long over), a new one within 63 days, so each US gallium user is licensed again by day
    // 862 + 63 = 925.
    for sink in ["us_gallium_users", "us_defence_gallium"] {
        let after: Vec<u32> =
            grants(&result, "mofcom-gage-2023", sink).into_iter().filter(|&d| d >= SUSPENSION).collect();
        assert!(after.first().is_some_and(|&d| d <= SUSPENSION + REVIEW.end()), "{sink}: {after:?}");
    }
    // Under the licence regime a US user's lots come one cycle T ≈ 58 days apart (a mean
    // review of 57 days, applied for the day after the previous decision), each for what it
    // ordered since, and land L = 25 days after the decision. With h days of use on hand at a
    // decision, the user is short L − h days, then holds S − h (S = 55); at the next decision
    // it has S − h − (T − L) = h, so h = (S − T + L) ÷ 2 = 11 days and it is short
    // (L + T − S) ÷ 2 = 14 days of every 58: about 24 % of demand, as before the ban. From the
    // first post-suspension lot (day 925 + 25 = 950) to the ban's return, it is short again,
    // between 10 % and 40 %: the suspension does not end US shortages.
    for sink in ["us_gallium_users", "us_defence_gallium"] {
        let before_ban = shortage(&result, sink, LICENCES_START + 90, US_BAN);
        let suspended = shortage(&result, sink, 950, SUSPENSION_ENDS);
        let banned = shortage(&result, sink, US_BAN, SUSPENSION);
        for short in [before_ban, suspended] {
            assert!((0.1..=0.4).contains(&short), "{sink}: {short} unmet under licences");
        }
        assert!(suspended < banned / 2.0, "{sink}: {suspended} suspended, {banned} banned");
    }
}
