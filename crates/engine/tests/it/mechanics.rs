//! Each export-control rule and each response of the chain on a small chain whose answer
//! is worked out by hand in the comments (rules: `docs/model.md`).
//!
//! Most tests start from one chain: a Chinese mine (100 t/day capacity, 5 days = 50 t of
//! output stock) supplies a US line that uses 10 t a day, keeps 25 days on hand and orders
//! up to 30 days (25 on hand + 5 in transit) every day; shipments take 5 days. In steady
//! state the line orders 10 t at each review, the mine ships it the same day, and the line
//! holds 250 t at the end of each day. A supply cut on day 10 leaves it 250 t after the
//! last pre-cut shipment lands on day 14, enough for days 15..=39.

use chokepoint_engine::*;

use crate::support::*;

fn licensed_control(model: &Model, approval: f64, reapply: Option<f64>) -> Action {
    let mut control = control(model, "CN", &["ore"], Targets::All);
    control.licence = Some(Licence {
        approval: Dist::Const(approval),
        review: Dist::Const(20.0),
        partial: Dist::Const(1.0),
        reapply: reapply.map(Dist::Const),
        terms: LicenceTerms::default(),
    });
    Action::ExportControl(control)
}

#[test]
fn an_approved_licence_covers_what_is_on_the_book_at_the_decision() {
    // Licences from day 10, reviewed in 20 days, always approved in full. The mine applies
    // on day 10 (decision day 30) and holds the line's orders meanwhile: 21 days of 10 t
    // are on the book on day 30 and all 210 t are licensed. Its stock of 50 t ships that
    // day; on day 31 it makes 100 t and ships them (and applies again for the new order);
    // on day 32 it ships the last 60 t. The next decision, on day 51, finds 210 t again.
    let mut model = ore_chain(120);
    let action = licensed_control(&model, 1.0, None);
    event(&mut model, "licences", 10, None, action);
    let result = simulate(&model, 1);
    let licensed = series(&result, "cn_mine", "licensed");
    assert!(licensed[..30].iter().all(|&l| l == 0.0));
    assert_eq!((licensed[30], licensed[31], licensed[32], licensed[33]), (50.0, 100.0, 60.0, 0.0));
    assert_eq!((licensed[51], licensed[52], licensed[53]), (50.0, 100.0, 60.0));
    assert_eq!(series(&result, "cn_mine", "refused").iter().sum::<f64>(), 0.0, "pending is not refused");
    // The line's stock, 250 t after day 14, falls to 50 t by day 34; the licensed 210 t
    // land on days 35..=37: 50 + 50 − 10, + 100 − 10, + 60 − 10.
    let stock = series(&result, "us_line", "stock");
    assert_eq!((stock[34], stock[35], stock[36], stock[37]), (50.0, 90.0, 180.0, 230.0));
    assert!(series(&result, "us_line", "unmet").iter().all(|&u| u == 0.0));
    let granted: Vec<u32> =
        result.events.iter().filter(|e| e.kind == EventKind::LicenceGranted).map(|e| e.day).collect();
    assert_eq!(granted[..3], [30, 51, 72]);
    assert!(
        result.events[1].detail.starts_with("licence for 210 of 210 requested"),
        "{:?}",
        result.events[1]
    );
    assert_conserved(&result);
}

#[test]
fn a_refused_licence_counts_the_book_as_refused_and_the_buyer_applies_again_later() {
    // Never approved; a refused buyer applies again 10 days later. Decision on day 30:
    // refused, 210 t held are counted as refused, then 10 t a day until the line's order
    // level of 300 t sits on the book (day 39). It applies again on day 40 (decision on
    // day 60), and on day 70 (decision on day 90). The line runs dry on day 40, as under
    // a plain ban.
    let mut model = ore_chain(100);
    let action = licensed_control(&model, 0.0, Some(10.0));
    event(&mut model, "licences", 10, None, action);
    let result = simulate(&model, 1);
    let refused = series(&result, "cn_mine", "refused");
    assert_eq!(refused[30], 210.0);
    assert!(refused[31..40].iter().all(|&r| r == 10.0));
    assert_eq!(refused.iter().sum::<f64>(), 300.0);
    let decisions: Vec<(u32, &str)> =
        timeline(&result).into_iter().filter(|(_, kind)| kind.starts_with("licence")).collect();
    assert_eq!(decisions, [(30, "licence_refused"), (60, "licence_refused"), (90, "licence_refused")]);
    let unmet = series(&result, "us_line", "unmet");
    assert!(unmet[..40].iter().all(|&u| u == 0.0) && unmet[40] == 10.0);
    assert_conserved(&result);
}

#[test]
fn a_quota_caps_exports_per_period_and_resets() {
    // 50 t per 10-day period from day 10. Days 10..=14 ship the line's 10 t a day and use
    // up the allowance; days 15..=19 ship nothing (held orders count as refused, 10 t a
    // day). On day 20 the allowance is back: 60 t are on the book, 50 t may pass; the mine
    // makes 50 t on top of its 50 t stock and ships 50 t. Same on day 30.
    let mut model = ore_chain(40);
    let quota = Quota {
        issuer: region("CN"),
        products: vec![product(&model, "ore")],
        targets: Targets::All,
        amount: Dist::Const(50.0),
        period_days: 10,
    };
    event(&mut model, "quota", 10, None, Action::Quota(quota));
    let result = simulate(&model, 1);
    let exported = series(&result, "cn_mine", "exported");
    assert_eq!(exported[10..20], [10.0, 10.0, 10.0, 10.0, 10.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
    assert_eq!((exported[20], exported[30]), (50.0, 50.0));
    assert!(exported[21..30].iter().all(|&e| e == 0.0));
    assert_eq!(series(&result, "cn_mine", "refused")[15..20], [10.0; 5]);
    assert_eq!(series(&result, "cn_mine", "production")[20], 50.0);
    assert_conserved(&result);
}

#[test]
fn an_escalation_starts_after_its_trigger_and_a_suspension_lifts_it_for_a_while() {
    // Ban A from day 10 to day 20. Ban B starts 30 days after A starts (day 40); a
    // suspension lifts B from day 45 to day 60. When A ends, the 110 t held (days 10..=20)
    // ship at once: the mine makes its 100 t capacity on top of its 50 t stock. When B is
    // suspended, the 60 t held (days 40..=45) ship: it makes 60 t. From day 60 B holds
    // again.
    let mut model = ore_chain(80);
    let ban = Action::ExportControl(control(&model, "CN", &["ore"], Targets::All));
    event(&mut model, "ban-a", 10, Some(20), ban.clone());
    model.events.push(Event {
        id: "ban-b".into(),
        start: Start::After { event: EventId(0), delay: Dist::Const(30.0) },
        end: None,
        action: ban,
    });
    event(&mut model, "truce", 45, Some(60), Action::Suspend { control: EventId(1) });
    let result = simulate(&model, 1);
    assert_eq!(
        timeline(&result),
        [
            (10, "control_started"),
            (10, "refused"),
            (20, "control_ended"),
            (40, "control_started"),
            (40, "refused"),
            (45, "control_suspended"),
            (60, "control_resumed"),
            (60, "refused"),
        ]
    );
    let shipped = series(&result, "cn_mine", "shipped");
    assert_eq!((shipped[19], shipped[20], shipped[21]), (0.0, 110.0, 10.0));
    assert_eq!((shipped[39], shipped[40], shipped[44], shipped[45]), (10.0, 0.0, 0.0, 60.0));
    assert_eq!((shipped[59], shipped[60]), (10.0, 0.0));
    assert_eq!(result.first_disruption_day, Some(10));
    assert_conserved(&result);
}

/// Oxide from a Chinese refinery (and, with `au_share`, an Australian one) goes into
/// Japanese magnets, 2 t of oxide per magnet-tonne, sold to a US line. Oxide is worth 10,
/// magnets 100: Chinese oxide is 2 × 10 × cn_share / 100 of a magnet's value.
fn content_chain(threshold: f64, au_share: f64) -> Model {
    let mut model = model(&["oxide", "magnet"], 60);
    model.products[0].value = 10.0;
    model.products[1].value = 100.0;
    let cn = facility(&mut model, "cn_refinery", "CN", "oxide", 100.0, &[], (5.0, 0.0));
    let au = facility(&mut model, "au_refinery", "AU", "oxide", 100.0, &[], (5.0, 0.0));
    let jp = facility(&mut model, "jp_magnets", "JP", "magnet", 100.0, &[("oxide", 2.0)], (5.0, 10.0));
    let line = sink(&mut model, "us_line", "US", "magnet", 10.0, 25.0);
    let sources: Vec<(FacilityId, f64)> =
        if au_share > 0.0 { vec![(cn, 1.0 - au_share), (au, au_share)] } else { vec![(cn, 1.0)] };
    supply(&mut model, Buyer::Facility(jp), "oxide", &sources, 5.0);
    supply(&mut model, Buyer::Sink(line), "magnet", &[(jp, 1.0)], 5.0);
    let mut rule = control(&model, "CN", &["oxide"], Targets::Only(vec![region("US")]));
    rule.content = Some(ContentRule { threshold, applies_to: vec![product(&model, "magnet")] });
    event(&mut model, "fdpr", 10, None, Action::ExportControl(rule));
    model
}

#[test]
fn a_content_rule_reaches_a_foreign_product_at_or_above_its_threshold() {
    // All-Chinese oxide: 2 × 10 / 100 = 20 % of a magnet's value. A 10 % rule covers the
    // Japanese magnets to the US from day 10; Chinese oxide to Japan is not covered (Japan
    // is not a target).
    let result = simulate(&content_chain(0.1, 0.0), 1);
    let share = series(&result, "jp_magnets", "content.fdpr");
    assert!(share.iter().all(|&s| (s - 0.2).abs() < 1e-9), "{:?}", &share[..12]);
    let exported = series(&result, "jp_magnets", "exported");
    assert_eq!((exported[9], exported[10]), (10.0, 0.0));
    assert!(exported[10..].iter().all(|&e| e == 0.0));
    assert_eq!(series(&result, "jp_magnets", "refused")[10], 10.0);
    // (Japan then makes fewer magnets and buys less oxide, but none of it is refused.)
    assert_eq!(series(&result, "cn_refinery", "refused").iter().sum::<f64>(), 0.0);
    assert_eq!(series(&result, "cn_refinery", "exported")[9], 20.0);
    assert_conserved(&result);

    // Half the oxide Australian: 10 % exactly, still covered (at or above); with a 15 %
    // threshold, not covered.
    let result = simulate(&content_chain(0.1, 0.5), 1);
    assert!(series(&result, "jp_magnets", "content.fdpr").iter().all(|&s| (s - 0.1).abs() < 1e-9));
    assert_eq!(series(&result, "jp_magnets", "exported")[10], 0.0);
    let result = simulate(&content_chain(0.15, 0.5), 1);
    assert!(series(&result, "jp_magnets", "exported")[10..].iter().all(|&e| e == 10.0));
    assert_eq!(series(&result, "jp_magnets", "refused").iter().sum::<f64>(), 0.0);
}

#[test]
fn leakage_sends_a_share_of_refused_flow_through_third_countries_later() {
    // Half of what is refused leaks via Vietnam with 10 extra days. Day 10: 10 t refused,
    // 5 t leak (arriving on day 10 + 5 + 10 = 25). Day 11: 5 t still held plus 10 t new;
    // the new 10 t are refused and 5 t of them leak. And so on, while the line orders.
    let mut model = ore_chain(60);
    let mut ban = control(&model, "CN", &["ore"], Targets::All);
    ban.leakage =
        Some(Leakage { share: Dist::Const(0.5), via: vec![region("VN")], delay: Dist::Const(10.0) });
    event(&mut model, "ban", 10, None, Action::ExportControl(ban));
    let result = simulate(&model, 1);
    let (refused, leaked) = (series(&result, "cn_mine", "refused"), series(&result, "cn_mine", "leaked"));
    assert_eq!((refused[10], leaked[10], refused[11], leaked[11]), (10.0, 5.0, 10.0, 5.0));
    assert_eq!(leaked[..10].iter().sum::<f64>(), 0.0);
    // The line's stock falls 10 t a day from day 15 (250 t after day 14) until the first
    // leaked 5 t land on day 25: 250 − 10 × 10 + 5 − 10.
    let stock = series(&result, "us_line", "stock");
    assert_eq!((stock[24], stock[25]), (150.0, 145.0));
    assert!(timeline(&result).contains(&(10, "leaked")));
    assert_conserved(&result);
}

#[test]
fn refused_stock_is_diverted_to_other_buyers_when_stock_is_short() {
    // A mine with 20 t/day and 1 day of output stock supplies a US and a Chinese line, 10 t
    // a day each. From day 10 exports are banned and a storm halves its capacity. On day
    // 10 it has made 10 t; the Chinese line's 10 t order takes it all, where proportional
    // sharing of 10 t between the two 10 t orders would have given it 5 t: 5 t diverted.
    let mut model = model(&["ore"], 30);
    let mine = facility(&mut model, "cn_mine", "CN", "ore", 20.0, &[], (1.0, 0.0));
    let us = sink(&mut model, "us_line", "US", "ore", 10.0, 25.0);
    let cn = sink(&mut model, "cn_line", "CN", "ore", 10.0, 25.0);
    supply(&mut model, Buyer::Sink(us), "ore", &[(mine, 1.0)], 5.0);
    supply(&mut model, Buyer::Sink(cn), "ore", &[(mine, 1.0)], 5.0);
    let ban = control(&model, "CN", &["ore"], Targets::All);
    event(&mut model, "ban", 10, None, Action::ExportControl(ban));
    let storm =
        CapacityShock { facilities: vec![mine], remaining: Dist::Const(0.5), recovery: Dist::Const(0.0) };
    event(&mut model, "storm", 10, None, Action::Capacity(storm));
    let result = simulate(&model, 1);
    let diverted = series(&result, "cn_mine", "diverted");
    assert_eq!(diverted[..10].iter().sum::<f64>(), 0.0);
    assert_eq!(diverted[10], 5.0);
    assert_eq!(series(&result, "cn_mine", "shipped")[10], 10.0);
    assert!(timeline(&result).contains(&(10, "diverted")));
    assert_conserved(&result);
}

#[test]
fn a_cut_off_buyer_moves_to_its_alternate_once_it_is_qualified() {
    // The line may switch to an Australian mine (no customers at the start, so it plans
    // its 500 t of output stock on its capacity) qualified 20 days after the cut-off. Cut
    // on day 10; on day 30 it re-sources: the 200 t held in China are cancelled, the line
    // holds 90 t (250 t less days 15..=30), so it orders 300 − 90 = 210 t from Australia,
    // shipped that day and landing on day 35, when it had 50 t left: never short.
    let mut model = ore_chain(60);
    let au = facility(&mut model, "au_mine", "AU", "ore", 100.0, &[], (5.0, 0.0));
    model.supplies[0].alternates = vec![Alternate { from: au, qualify: Dist::Const(20.0) }];
    let ban = control(&model, "CN", &["ore"], Targets::All);
    event(&mut model, "ban", 10, None, Action::ExportControl(ban));
    let result = simulate(&model, 1);
    let resourced = series(&result, "au_mine", "resourced");
    assert_eq!(resourced[..30].iter().sum::<f64>(), 0.0);
    assert_eq!(resourced[30], 210.0);
    assert_eq!(resourced[31], 10.0);
    let stock = series(&result, "us_line", "stock");
    assert_eq!((stock[34], stock[35]), (50.0, 250.0));
    assert!(series(&result, "us_line", "unmet").iter().all(|&u| u == 0.0));
    assert!(timeline(&result).contains(&(30, "resourced")));
    assert_conserved(&result);
}

#[test]
fn a_stockpile_releases_to_a_short_buyer_at_its_daily_rate() {
    // The line runs dry on day 40 under a ban from day 10. A 100 t US stockpile releases up
    // to 20 t a day to it when its shortage yesterday exceeded 5 %; releases land the next
    // morning. Day 40 short → 20 t released on day 41 (lands 42); day 41 short → 20 t on
    // day 42 (lands 43). The 40 t last days 42..=45; short again on days 46 and 47 →
    // releases on days 47 and 48; then 52, 53 → a last 20 t on day 53.
    let mut model = ore_chain(70);
    let ban = control(&model, "CN", &["ore"], Targets::All);
    event(&mut model, "ban", 10, None, Action::ExportControl(ban));
    let line = model.sink_id("us_line").expect("line");
    let pile = Stockpile {
        product: product(&model, "ore"),
        region: region("US"),
        amount: Dist::Const(100.0),
        threshold: 0.05,
        rate: 20.0,
        to: vec![Recipient::Buyer(Buyer::Sink(line))],
    };
    event(&mut model, "reserve", 0, None, Action::Stockpile(pile));
    let result = simulate(&model, 1);
    let released = series(&result, "reserve", "released");
    let days: Vec<usize> = (0..70).filter(|&d| released[d] > 0.0).collect();
    assert_eq!(days, [41, 42, 47, 48, 53]);
    assert!(days.iter().all(|&d| released[d] == 20.0));
    let stock = series(&result, "reserve", "stock");
    assert_eq!((stock[40], stock[41], stock[53]), (100.0, 80.0, 0.0));
    let unmet = series(&result, "us_line", "unmet");
    let short: Vec<usize> = (38..60).filter(|&d| unmet[d] > 0.0).collect();
    assert_eq!(short, [40, 41, 46, 47, 52, 53, 56, 57, 58, 59]);
    let rows: Vec<u32> =
        result.events.iter().filter(|e| e.kind == EventKind::StockpileReleased).map(|e| e.day).collect();
    assert_eq!(rows, [41, 47, 53]);
    assert_conserved(&result);
}

#[test]
fn a_facility_substitutes_an_input_after_its_switching_delay() {
    // A Japanese smelter makes 1 t of metal from 1 t of Chinese ore (10 t a day for a
    // Japanese line). Ore is banned from day 10; the smelter switches to Australian
    // alternative ore, 2 t per tonne of ore replaced, at a 25 % capacity penalty, 5 days
    // after it starts switching on day 10. From day 15 its capacity is 75 t and it orders
    // alternative ore: its order level is 10 t × 2 × (10 days + 2 days transit) = 240 t,
    // shipped on day 15, landing on day 17. Every tonne of metal uses 1 t of ore or 2 t
    // of the substitute.
    let mut model = model(&["ore", "alt_ore", "metal"], 80);
    let cn = facility(&mut model, "cn_mine", "CN", "ore", 100.0, &[], (5.0, 0.0));
    let au = facility(&mut model, "au_mine", "AU", "alt_ore", 100.0, &[], (5.0, 0.0));
    let smelter = facility(&mut model, "jp_smelter", "JP", "metal", 100.0, &[("ore", 1.0)], (5.0, 10.0));
    let line = sink(&mut model, "jp_line", "JP", "metal", 10.0, 10.0);
    supply(&mut model, Buyer::Facility(smelter), "ore", &[(cn, 1.0)], 5.0);
    supply(&mut model, Buyer::Facility(smelter), "alt_ore", &[(au, 1.0)], 2.0);
    supply(&mut model, Buyer::Sink(line), "metal", &[(smelter, 1.0)], 1.0);
    let ban = control(&model, "CN", &["ore"], Targets::All);
    event(&mut model, "ban", 10, None, Action::ExportControl(ban));
    let switch = Substitution {
        facility: smelter,
        input: product(&model, "ore"),
        by: product(&model, "alt_ore"),
        ratio: 2.0,
        penalty: 0.25,
        delay: Dist::Const(5.0),
    };
    event(&mut model, "switch", 10, None, Action::Substitute(switch));
    let result = simulate(&model, 1);
    let capacity = series(&result, "jp_smelter", "capacity");
    assert_eq!((capacity[14], capacity[15]), (100.0, 75.0));
    assert_eq!(series(&result, "au_mine", "shipped")[..15].iter().sum::<f64>(), 0.0);
    assert_eq!(series(&result, "au_mine", "shipped")[15], 240.0);
    assert_eq!(series(&result, "jp_smelter", "input_stock.alt_ore")[17], 240.0);
    assert!(timeline(&result).contains(&(15, "substitution_started")));
    assert!(series(&result, "jp_line", "unmet").iter().all(|&u| u == 0.0));
    // Ore and twice-as-much substitute together account for every tonne of metal.
    let produced: f64 = series(&result, "jp_smelter", "production").iter().sum();
    let consumed = |p: &str| result.ledgers[product(&model, p).0 as usize].consumed as f64 / 1e6;
    assert!((consumed("ore") + consumed("alt_ore") / 2.0 - produced).abs() < 1e-5);
    assert!(consumed("alt_ore") > 0.0);
    assert_conserved(&result);
}

#[test]
fn capacity_follows_ramps_shocks_and_recovery() {
    // A plant online on day 20 with a 10-day ramp: 10 % of 100 t on day 20, 50 % on day 24,
    // full from day 29. A mine cut to 20 % from day 10 to day 20 recovers linearly over 10
    // days: 20 + 80 × 5/10 = 60 t on day 25, full on day 30.
    let mut model = ore_chain(40);
    let plant = facility(&mut model, "us_plant", "US", "ore", 100.0, &[], (5.0, 0.0));
    model.facilities[plant.0 as usize].online_day = 20;
    model.facilities[plant.0 as usize].ramp = Dist::Const(10.0);
    let mine = model.facility_id("cn_mine").expect("mine");
    let storm =
        CapacityShock { facilities: vec![mine], remaining: Dist::Const(0.2), recovery: Dist::Const(10.0) };
    event(&mut model, "storm", 10, Some(20), Action::Capacity(storm));
    let result = simulate(&model, 1);
    let plant = series(&result, "us_plant", "capacity");
    assert_eq!(
        (plant[19], plant[20], plant[24], plant[28], plant[29], plant[35]),
        (0.0, 10.0, 50.0, 90.0, 100.0, 100.0)
    );
    let mine = series(&result, "cn_mine", "capacity");
    assert_eq!(
        (mine[9], mine[10], mine[19], mine[20], mine[25], mine[29], mine[30]),
        (100.0, 20.0, 20.0, 20.0, 60.0, 92.0, 100.0)
    );
    assert!(timeline(&result).contains(&(20, "facility_online")));
    assert_conserved(&result);
}

#[test]
fn demand_shocks_scale_demand_while_they_last() {
    let mut model = ore_chain(30);
    let line = model.sink_id("us_line").expect("line");
    event(
        &mut model,
        "boom",
        10,
        Some(20),
        Action::Demand(DemandShock { sinks: vec![line], factor: Dist::Const(1.5) }),
    );
    let result = simulate(&model, 1);
    let demand = series(&result, "us_line", "demand");
    assert_eq!((demand[9], demand[10], demand[19], demand[20]), (10.0, 15.0, 15.0, 10.0));
}

#[test]
fn logistics_shocks_lengthen_or_close_lanes() {
    // Seven extra days on China–US lanes from day 10 to day 20: the shipment of day 10
    // lands on day 22 instead of 15, so the line's stock (250 t) falls 10 t a day on days
    // 15..=21 and is flat on day 22.
    let mut model = ore_chain(40);
    let delay = LogisticsShock {
        from: Targets::Only(vec![region("CN")]),
        to: Targets::Only(vec![region("US")]),
        effect: LaneEffect::Delay(Dist::Const(7.0)),
    };
    event(&mut model, "red-sea", 10, Some(20), Action::Logistics(delay));
    let result = simulate(&model, 1);
    let stock = series(&result, "us_line", "stock");
    assert_eq!((stock[14], stock[15], stock[21], stock[22]), (250.0, 240.0, 180.0, 180.0));
    assert_conserved(&result);

    // A closed lane holds orders (not refused) until it opens: on day 20 the 110 t held
    // ship at once.
    let mut model = ore_chain(40);
    let closed = LogisticsShock { from: Targets::All, to: Targets::All, effect: LaneEffect::Closed };
    event(&mut model, "closed", 10, Some(20), Action::Logistics(closed));
    let result = simulate(&model, 1);
    let shipped = series(&result, "cn_mine", "shipped");
    assert!(shipped[10..20].iter().all(|&s| s == 0.0));
    assert_eq!(shipped[20], 110.0);
    assert_eq!(series(&result, "cn_mine", "refused").iter().sum::<f64>(), 0.0);
    assert_conserved(&result);
}

#[test]
fn priority_allocation_serves_a_class_before_the_rest() {
    // A mine of 10 t/day with no output stock supplies a defence and a civil line, 10 t a
    // day each, 5 days away, 10 days of stock each. Defence first: from day 1 the mine's
    // 10 t go to defence every day; civil gets nothing and lives on its 100 t on hand and
    // 50 t in transit: 15 days, short from day 15.
    let mut model = model(&["ore"], 40);
    let mine = facility(&mut model, "cn_mine", "CN", "ore", 10.0, &[], (0.0, 0.0));
    let defence = sink(&mut model, "defence", "CN", "ore", 10.0, 10.0);
    let civil = sink(&mut model, "civil", "CN", "ore", 10.0, 10.0);
    model.sinks[defence.0 as usize].sector = "defence".into();
    supply(&mut model, Buyer::Sink(defence), "ore", &[(mine, 1.0)], 5.0);
    supply(&mut model, Buyer::Sink(civil), "ore", &[(mine, 1.0)], 5.0);
    model.allocation = Allocation::Priority(vec![PriorityClass::Sector("defence".into())]);
    let result = simulate(&model, 1);
    assert!(series(&result, "defence", "unmet").iter().all(|&u| u == 0.0));
    let unmet = series(&result, "civil", "unmet");
    assert_eq!((unmet[14], unmet[15]), (0.0, 10.0));
    assert_eq!(series(&result, "civil", "met").iter().sum::<f64>(), 150.0);

    // Proportional (the default) shares the 10 t between the two: both run short.
    model.allocation = Allocation::Proportional;
    let result = simulate(&model, 1);
    assert!(series(&result, "defence", "unmet").iter().any(|&u| u > 0.0));
}

#[test]
fn a_price_index_rises_outside_the_issuer_and_falls_inside() {
    // Elasticity 1, adjust 1 day (each day closes 1 − e⁻¹ of the gap). Before the ban
    // every order ships: both indices stay at 1. From day 10 the US buyer gets nothing of
    // what it has open (shortage 1): its index moves toward e¹; the Chinese seller has all
    // its open orders held (held 1): its index moves toward e⁻¹.
    let mut model = ore_chain(20);
    model.products[0].price = Some(PriceIndex { elasticity: 1.0, adjust_days: 1.0 });
    let ban = control(&model, "CN", &["ore"], Targets::All);
    event(&mut model, "ban", 10, None, Action::ExportControl(ban));
    let result = simulate(&model, 1);
    let step = 1.0 - (-1.0_f64).exp();
    let us = series(&result, "us_line", "price");
    let cn = series(&result, "cn_mine", "price");
    assert!(us[..10].iter().chain(&cn[..10]).all(|&p| p == 1.0));
    assert!((us[10] - (1.0 + (1.0_f64.exp() - 1.0) * step)).abs() < 1e-12, "{}", us[10]);
    assert!((cn[10] - (1.0 + ((-1.0_f64).exp() - 1.0) * step)).abs() < 1e-12, "{}", cn[10]);
    let second = us[10] + (1.0_f64.exp() - us[10]) * step;
    assert!((us[11] - second).abs() < 1e-12);
}
