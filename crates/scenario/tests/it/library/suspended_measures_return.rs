//! `suspended-measures-return-2026.toml`: the suspensions of November 2025 end and are not
//! renewed.

use super::{first_short_day, run, shortage};
use chokepoint_engine::EventKind;

const FILE: &str = "scenarios/suspended-measures-return-2026.toml";
/// 10 Nov 2026, days from 1 Jan 2026: Jan-Oct = 31+28+31+30+31+30+31+31+30+31 = 304, + 9.
const OCTOBER_PACKAGE: u32 = 313;
/// 27 Nov 2026: 304 + 26.
const US_BAN: u32 = 330;

#[test]
fn the_measures_return_on_the_days_their_suspensions_end() {
    let result = run(FILE);
    assert!(result.ledgers.iter().all(|l| l.imbalance() == 0));
    let mut started: Vec<(u32, &str)> = (result.events.iter())
        .filter(|e| e.kind == EventKind::ControlStarted)
        .map(|e| (e.day, e.subject.as_str()))
        .collect();
    started.sort();
    assert_eq!(
        started,
        [
            (OCTOBER_PACKAGE, "mofcom-57-2025"),
            (OCTOBER_PACKAGE, "mofcom-58-2025"),
            (OCTOBER_PACKAGE, "mofcom-61-2025"),
            (US_BAN, "mofcom-us-ban-2024"),
            (US_BAN, "mofcom-us-graphite-2024"),
        ]
    );
    assert_eq!(result.first_disruption_day, Some(OCTOBER_PACKAGE));
    // Nothing is refused while the suspensions last.
    let refused_before: f64 = (result.series.iter())
        .filter(|s| s.metric == "refused")
        .map(|s| s.values[..OCTOBER_PACKAGE as usize].iter().sum::<f64>())
        .sum();
    assert_eq!(refused_before, 0.0);
}

#[test]
fn us_gallium_and_antimony_users_run_short_weeks_after_the_us_ban_returns_and_others_do_not() {
    let result = run(FILE);
    let first_short = |sink: &str| -> u32 {
        first_short_day(&result, sink).unwrap_or_else(|| panic!("{sink} never runs short"))
    };
    // Gallium: 98.8 % Chinese [S-GA], banned with no licence. US users hold 30 days and have
    // 25 days in transit (world ASSUMPTIONs): short from about day 330 + 55 = 385. Japan's
    // 0.02 t/day is all that is left, so they stay short to the end of the run.
    for sink in ["us_gallium_users", "us_defence_gallium"] {
        let day = first_short(sink);
        assert!((375..=400).contains(&day), "{sink} short from day {day}");
        assert!(shortage(&result, sink, 550, 730) > 0.9, "{sink}");
    }
    // Antimony: 70 % Chinese, 30 % Tajik (world ASSUMPTION within [S-SB-REFINE]). The stock
    // of 30 days then lasts 30 / 0.7 = 43 days: short from about 330 + 25 + 43 = 398. Once
    // the stock is gone the US gets at least its 30 % Tajik share, so it is at most 70 % short;
    // it can get more, because the Tajik refiner shares its output in proportion to open
    // orders, the US keeps ordering there, and China's refused US-bound output is diverted to
    // the refiner's other buyers. It stays short: Tajikistan's 34 t/day also serves Europe,
    // Japan and India.
    for sink in ["us_antimony_users", "us_defence_antimony"] {
        let day = first_short(sink);
        assert!((380..=430).contains(&day), "{sink} short from day {day}");
        let late = shortage(&result, sink, 550, 730);
        assert!((0.2..=0.72).contains(&late), "{sink}: {late}");
    }
    let diverted: f64 =
        result.series("cn_antimony_refining", "diverted").expect("tracked")[US_BAN as usize..].iter().sum();
    assert!(diverted > 0.0, "China's refused US-bound antimony goes to other buyers");
    // The ban targets the US only, and the licences in force elsewhere are taken as granted.
    for sink in ["jp_gallium_users", "eu_gallium_users", "eu_antimony_users", "jp_antimony_users"] {
        assert_eq!(result.kpis(sink).expect("a sink").unmet_units, 0.0, "{sink}");
    }
}
