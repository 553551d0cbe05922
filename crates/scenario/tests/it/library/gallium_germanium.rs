//! `scenarios/gallium-germanium-2023-2025.toml`: China's gallium and germanium licences of
//! 1 August 2023, its ban on exports to the US of 3 December 2024, and the ban's suspension from
//! 9 November 2025 to 27 November 2026.
//!
//! Day numbers count from the scenario's start, 1 July 2023 (day 0). 1 July 2024 is day 366
//! (2024 is a leap year), 1 July 2025 day 731 and 1 July 2026 day 1096.

use super::{days_of, first_unmet_day, grants, run, run_with, shortage};
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
    // Every foreign buyer's link stands for 10 applicants (the `cn-mofcom` profile), and all of
    // them apply at the first allocation under the regime (day 31): 11 foreign buyers (6 of
    // gallium, 5 of germanium), 110 applications. Each review takes 51 to 63 days, so none is
    // decided before day 31 + 51 = 82 (21 September 2023), and all are over by day 94. MOFCOM
    // then decides 0.94 a day, the earliest review end first: the 110 of the first round take
    // ceil(110 / 0.94) = 118 days of decisions, days 82 to 199 at the latest (renewals and
    // re-applications come after them in the queue: their reviews end later). Approval is
    // drawn, at most 0.83, so a buyer's first licence is not its first decision; but each has
    // 10 applicants in the first round, approved each with probability at least 0.50, so
    // every buyer has a licence by day 199 (all 10 refused: at most 0.5^10 = 0.1 %).
    let earliest = LICENCES_START + REVIEW.start();
    let latest = earliest + (110.0_f64 / 0.94).ceil() as u32 - 1;
    let buyers = FOREIGN_GALLIUM.iter().map(|&(sink, _)| sink).chain(FOREIGN_GERMANIUM);
    for buyer in buyers {
        let first = *grants(&result, "mofcom-gage-2023", buyer)
            .first()
            .unwrap_or_else(|| panic!("{buyer} never licensed"));
        assert!((earliest..=latest).contains(&first), "{buyer}: first licence on day {first}");
    }
    // The queue: 0.94 decisions a day, plus less than one carried as a fraction from before,
    // so at most floor(0.94 × 13 + 1) = 13 decisions on days 82 to 94, when every first
    // review is over: most of the 110 wait in the queue.
    let decided_by = |day: u32| {
        (result.events.iter())
            .filter(|e| matches!(e.kind, EventKind::LicenceGranted | EventKind::LicenceRefused))
            .filter(|e| e.subject == "mofcom-gage-2023" && e.day <= day)
            .count()
    };
    assert_eq!(decided_by(earliest - 1), 0, "nothing is decided before day {earliest}");
    assert!(decided_by(LICENCES_START + REVIEW.end()) <= 13, "{}", decided_by(LICENCES_START + REVIEW.end()));
    // Sales inside China are never covered: China's users need no licence.
    assert!(grants(&result, "mofcom-gage-2023", "cn_gallium_users").is_empty());
    assert!(grants(&result, "mofcom-gage-2023", "cn_germanium_users").is_empty());
    // Approval is at most 0.83 a decision: among the 110 first decisions some are refusals
    // (none refused: at most 0.83^110, about 1e-9).
    assert!(
        result.events.iter().any(|e| e.kind == EventKind::LicenceRefused),
        "approval is no longer certain"
    );
}

#[test]
fn gallium_users_outside_china_run_short_once_their_month_of_stock_and_the_pipeline_are_used() {
    let result = run(FILE);
    // A foreign gallium user buys 98.8 % from China and holds 30 days on hand plus its lane's
    // transit L in the pipeline (order-up-to S = 30 + L days of use). The control is announced
    // on day 2 (3 July 2023): until day 31 the user orders up to the shared pre-buying target,
    // 118 + L days of use, as far as China's refiner (1.64 t/day against 1.49 of use) can make
    // it. From day 31 nothing new leaves China until a licence, and the 1.2 % from Japan cannot
    // make up for it. So it runs short no earlier than without pre-buying, about day
    // 31 + 30 + L (five days' slack for the transit of the last lots), and no later than its
    // pre-bought position lasts, day 31 + 118 + L: licences come one applicant (a tenth of the
    // link) at a time from day 82, at 0.94 decisions a day shared by 110 applicants, and are
    // approved with probability 0.50 to 0.83, so the link is still mostly held when the
    // stock runs out.
    for (sink, transit) in FOREIGN_GALLIUM {
        let earliest = LICENCES_START + 30 + transit - 5;
        let latest = LICENCES_START + 118 + transit;
        let first = first_unmet_day(&result, sink).unwrap_or_else(|| panic!("{sink} never runs short"));
        assert!(
            (earliest..=latest).contains(&first),
            "{sink}: short on day {first}, not in {earliest}..={latest}"
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
    // The ban binds US buyers only: every refusal under it is of a US buyer (refusals of
    // licence applicants under the 2023 regime may be anyone's).
    for refusal in result
        .events
        .iter()
        .filter(|e| e.kind == EventKind::Refused && e.detail.ends_with("(mofcom-us-ban-2024)"))
    {
        assert!(refusal.detail.contains(" for us_"), "{}", refusal.detail);
    }
    // China's refiner has room for everyone else (1.64 against 1.49 t/day), so other users'
    // shortage under the ban is what the licence regime alone gives them over the same days:
    // the same scenario with the ban aimed at a region with no buyer (Viet Nam), give or take
    // noise (the shared MOFCOM queue orders decisions a little differently). Not the regime's
    // shortage before the ban: with multi-shipment licences valid 234 days, the first licences
    // (from day 82) expire from about day 316 on, and renewals are approved at the `repeat`
    // probability drawn for the run, so the regime's shortage changes over time by itself.
    let without_ban = run_with(FILE, &[("event.mofcom-us-ban-2024.targets", r#""VN""#)]);
    for (sink, _) in FOREIGN_GALLIUM.iter().filter(|(sink, _)| !sink.starts_with("us_")) {
        let alone = shortage(&without_ban, sink, US_BAN, SUSPENSION);
        let during = shortage(&result, sink, US_BAN, SUSPENSION);
        assert!((during - alone).abs() < 0.08, "{sink}: {alone} without the ban, {during} with it");
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
    // pending when the ban began has the earliest review end in MOFCOM's queue, so it is taken
    // up first and decided at the first allocation after the suspension; a new one is over
    // within 63 days. Each US gallium user has 10 applicants, approved with probability at
    // least 0.34 (the lower end of both `approval` and `repeat`), so each is licensed again
    // by day 862 + 63 = 925 (all of the first decisions refused: at most 0.66^10, 1.6 %).
    for sink in ["us_gallium_users", "us_defence_gallium"] {
        let after: Vec<u32> =
            grants(&result, "mofcom-gage-2023", sink).into_iter().filter(|&d| d >= SUSPENSION).collect();
        assert!(after.first().is_some_and(|&d| d <= SUSPENSION + REVIEW.end()), "{sink}: {after:?}");
    }
    // Under the licence regime (multi-shipment licences, `cn-mofcom`) each of a user's 10
    // applicants ships its part of the orders while its licence is valid and nothing while it
    // is refused (30 days' wait, then a 51-63-day review and the queue): approval is at most
    // 0.83 (0.98 for a renewal), so some applicants are unlicensed some of the time and the
    // user may run short, but far less than under the ban, which holds
    // every order (at least 70 %, above): under half the ban's shortage, before the ban
    // (from day 121, once the first decisions are in) and from the first post-suspension lots
    // (day 925 + 25 = 950) to the ban's return. The suspension does not end US shortages.
    // (The old single-licence cycle bound of 10-40 % no longer applies: a multi-shipment
    // licence ships the whole book while it is valid.)
    for sink in ["us_gallium_users", "us_defence_gallium"] {
        let before_ban = shortage(&result, sink, LICENCES_START + 90, US_BAN);
        let suspended = shortage(&result, sink, 950, SUSPENSION_ENDS);
        let banned = shortage(&result, sink, US_BAN, SUSPENSION);
        for short in [before_ban, suspended] {
            assert!(short < banned / 2.0, "{sink}: {short} unmet under licences, {banned} banned");
        }
    }
}
