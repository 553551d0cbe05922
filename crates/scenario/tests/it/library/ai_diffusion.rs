//! `scenarios/ai-diffusion-rule-counterfactual-2025.toml`: the January 2025 "AI Diffusion" rule
//! taking effect on 15 May 2025 instead of being rescinded on 13 May; tier-2 countries capped at
//! 6,250 servers each for 2025-2027 (ASSUMPTION of the file), tier 1 unaffected.

use super::{first_unmet_day, run};
use chokepoint_engine::EventKind;

const FILE: &str = "scenarios/ai-diffusion-rule-counterfactual-2025.toml";

/// 15 May 2025 from 1 Jan 2025: 31 + 28 + 31 + 30 = 120 (1 May), + 14 = day 134.
const TAKES_EFFECT: u32 = 134;
/// 31 Dec 2027 is day 1094: three years of 365 days.
const LAST_DAY: u32 = 1094;
/// The assumed cap per tier-2 country: 50,000 H100-equivalents / 8 per server.
const CAP: f64 = 6_250.0;
/// Data-centre stock: 30 days of use (the world's default order target).
const DC_STOCK_DAYS: f64 = 30.0;

/// The first day a buyer runs short, computed from the inputs: exports at its daily demand use
/// up the cap in `CAP / rate` days from the day the rule takes effect; the last servers shipped
/// land `transit` days later, and the data centre's 30 days of stock last from then.
fn expected_first_short(rate: f64, transit: f64) -> f64 {
    TAKES_EFFECT as f64 + CAP / rate + transit + DC_STOCK_DAYS
}

#[test]
fn the_rule_and_the_four_caps_take_effect_on_15_may_2025_and_the_ledgers_balance() {
    let result = run(FILE);
    assert!(result.ledgers.iter().all(|l| l.imbalance() == 0));
    let rows = |kind: EventKind| -> Vec<(u32, &str)> {
        (result.events.iter()).filter(|e| e.kind == kind).map(|e| (e.day, e.subject.as_str())).collect()
    };
    assert_eq!(rows(EventKind::ControlStarted), [(TAKES_EFFECT, "bis-ai-diffusion-2025")]);
    assert_eq!(
        rows(EventKind::QuotaStarted),
        [
            (TAKES_EFFECT, "diffusion-cap-pl"),
            (TAKES_EFFECT, "diffusion-cap-ae"),
            (TAKES_EFFECT, "diffusion-cap-in"),
            (TAKES_EFFECT, "diffusion-cap-sg"),
        ]
    );
    // The counterfactual: never rescinded, and one cap for the whole of 2025-2027.
    assert!(rows(EventKind::ControlEnded).is_empty());
    assert!(rows(EventKind::QuotaEnded).is_empty());
    assert_eq!(result.first_disruption_day, Some(TAKES_EFFECT));
}

#[test]
fn taiwanese_servers_are_reached_through_their_us_accelerators() {
    let result = run(FILE);
    // A server is 8 US accelerators at 30,000 in a server of 300,000: 80 % US content, well
    // above the 25 % threshold, every day.
    let content = result.series("tw_servers", "content.bis-ai-diffusion-2025").expect("content is tracked");
    assert!(content.iter().all(|&share| (share - 0.8).abs() < 1e-9), "content {:?}", content.first());
    // So Taiwan's exports to tier 2 go under licence from 15 May 2025, and not before.
    let licensed = result.series("tw_servers", "licensed").expect("a licence control");
    assert!(licensed[..TAKES_EFFECT as usize].iter().all(|&l| l == 0.0));
    assert!(licensed[TAKES_EFFECT as usize..].iter().sum::<f64>() > 0.0);
}

#[test]
fn polish_data_centres_hit_the_cap_in_late_august_2025_and_run_dry_from_october_to_the_end_of_2027() {
    let result = run(FILE);
    // Poland buys 60 servers a day from Taiwan, 5 days' flight: the cap lasts 6,250 / 60 = 104.2
    // days, to day 238 (27 Aug 2025); the last servers land 5 days later and the data centres'
    // 30 days of stock run out on day 238 + 35 = 273 (30 Sep 2025 is day 272).
    let expected = expected_first_short(60.0, 5.0);
    let first = first_unmet_day(&result, "eu_tier2_ai_dc").expect("runs short");
    assert!((first as f64 - expected).abs() <= 4.0, "first short day {first}, expected {expected:.1}");
    // The cap's period runs to the end of 2027: nothing more arrives, every later day is short
    // in full (the first day may be partly met).
    let demand = result.series("eu_tier2_ai_dc", "demand").expect("sink");
    let unmet = result.series("eu_tier2_ai_dc", "unmet").expect("sink");
    for day in (first + 1)..=LAST_DAY {
        let d = day as usize;
        assert!((unmet[d] - demand[d]).abs() < 1e-6, "day {day}: served {}", demand[d] - unmet[d]);
    }
    // How short: served only until the first short day, so the fill rate over the three years
    // is about 273 / 1,095 = 25 %, and some 60 × 822 = 49,000 servers go unmet.
    let kpis = result.kpis("eu_tier2_ai_dc").expect("kpis");
    assert!((kpis.fill_rate - expected / 1095.0).abs() < 0.01, "fill rate {}", kpis.fill_rate);
    assert!((kpis.unmet_units - 60.0 * (1095.0 - expected)).abs() < 300.0, "unmet {}", kpis.unmet_units);
    assert_eq!(kpis.time_to_recover_days, None);
}

#[test]
fn the_other_tier_2_countries_hit_their_caps_in_order_of_their_demand() {
    let result = run(FILE);
    // Same cap, different rates (world): the UAE 120 servers a day, Singapore 100, India 60,
    // each 3 days' flight from Taiwan. UAE: 134 + 52.1 + 3 + 30 = 219.1; Singapore: 134 + 62.5
    // + 3 + 30 = 229.5; India: 134 + 104.2 + 3 + 30 = 271.2, two days before Poland (5 days).
    for (sink, rate, transit) in [("ae_ai_dc", 120.0, 3.0), ("sg_ai_dc", 100.0, 3.0), ("in_ai_dc", 60.0, 3.0)]
    {
        let expected = expected_first_short(rate, transit);
        let first = first_unmet_day(&result, sink).expect("runs short");
        assert!(
            (first as f64 - expected).abs() <= 4.0,
            "{sink}: first short day {first}, expected {expected:.1}"
        );
    }
    let order: Vec<u32> = ["ae_ai_dc", "sg_ai_dc", "in_ai_dc", "eu_tier2_ai_dc"]
        .iter()
        .map(|s| first_unmet_day(&result, s).expect("runs short"))
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
}

#[test]
fn tier_1_germany_and_every_other_tier_1_buyer_are_untouched() {
    let result = run(FILE);
    for sink in ["eu_ai_dc", "us_ai_dc", "jp_ai_dc", "kr_ai_dc", "cn_ai_dc"] {
        let kpis = result.kpis(sink).expect("a sink");
        assert_eq!(kpis.unmet_units, 0.0, "{sink} runs short");
    }
    for facility in ["tw_servers", "us_servers", "us_accelerators"] {
        assert_eq!(result.kpis(facility).expect("a facility").unmet_units, 0.0, "{facility}");
    }
    // Every order held by a cap is a tier-2 data centre's.
    let tier2 = ["eu_tier2_ai_dc", "ae_ai_dc", "in_ai_dc", "sg_ai_dc"];
    let refused: Vec<_> = result.events.iter().filter(|e| e.kind == EventKind::Refused).collect();
    assert_eq!(refused.len(), 4, "one hold per tier-2 country");
    for row in refused {
        assert!(tier2.iter().any(|s| row.detail.contains(&format!(" for {s} "))), "{}", row.detail);
    }
}
