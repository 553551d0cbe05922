//! Small chains whose outcome is worked out by hand in the comments (timing rules:
//! `docs/model.md`, "A day in the engine").

use chokepoint_engine::Buyer;

use crate::support::*;

/// A US line uses 10 t a day of ore from one Chinese mine, 5 days away. It keeps 25 days
/// on hand, so at the cut it holds 25 days on hand and 5 in transit: 30 days of cover.
fn single_source(ban_end: Option<u32>) -> chokepoint_engine::Model {
    let mut model = model(&["ore"], 120);
    let mine = facility(&mut model, "cn_mine", "CN", "ore", 100.0, &[], (5.0, 0.0));
    let line = sink(&mut model, "us_line", "US", "ore", 10.0, 25.0);
    supply(&mut model, Buyer::Sink(line), "ore", &[(mine, 1.0)], 5.0);
    ban(&mut model, "ore-ban", "CN", &["ore"], 10, ban_end);
    model
}

#[test]
fn a_single_sourced_input_cut_on_day_10_with_30_days_of_cover_runs_short_on_day_40() {
    let result = simulate(&single_source(None), 1);
    let unmet = series(&result, "us_line", "unmet");
    // Orders from day 10 on are refused; shipments of days 5..=9 land on days 10..=14.
    // The stock after day 14 is 250 t: days 15..=39 use it up exactly.
    assert!(unmet[..40].iter().all(|&u| u == 0.0), "short before day 40: {:?}", &unmet[..40]);
    assert_eq!(unmet[40], 10.0);
    assert_eq!(series(&result, "us_line", "stock")[39], 0.0);
    assert_eq!(series(&result, "us_line", "stock")[14], 250.0);
    let kpis = result.kpis("us_line").expect("sink has KPIs");
    assert_eq!(kpis.time_to_survive_days, Some(30));
    assert_eq!(kpis.peak_shortage, 1.0);
    // Short 10 t a day from day 40 to day 119: 80 days.
    assert_eq!(kpis.unmet_units, 800.0);
    assert_eq!(kpis.time_to_recover_days, None);
    // The mine refuses the line's orders from day 10 and ships nothing more.
    let shipped = series(&result, "cn_mine", "shipped");
    assert_eq!(shipped[9], 10.0);
    assert!(shipped[10..].iter().all(|&s| s == 0.0));
    // It holds 10 t of new orders a day while the line still uses stock (days 10..=39);
    // then the line's whole order-up-to level of 300 t sits in held orders and it stops.
    let refused = series(&result, "cn_mine", "refused");
    assert!(refused[10..40].iter().all(|&r| r == 10.0), "{:?}", &refused[10..40]);
    assert_eq!(refused.iter().sum::<f64>(), 300.0);
}

#[test]
fn a_ban_that_ends_restores_supply_after_the_transit_time() {
    // Ban from day 10 to day 30. The line keeps ordering its 10 t a day; the mine holds
    // those orders (200 t by day 29) and, its output target met, makes nothing. On day 30
    // the orders are free again: the mine makes its capacity of 100 t on top of its 50 t
    // and ships all 150 t, which land on day 35 after 5 days in transit. The line's stock
    // fell from 250 t after day 14 to 50 t after day 34.
    let result = simulate(&single_source(Some(30)), 1);
    let shipped = series(&result, "cn_mine", "shipped");
    assert_eq!(shipped[29], 0.0);
    assert_eq!(shipped[30], 150.0);
    assert_eq!(series(&result, "cn_mine", "refused")[10], 10.0);
    assert_eq!(series(&result, "cn_mine", "production")[30], 100.0);
    let stock = series(&result, "us_line", "stock");
    assert_eq!(stock[34], 50.0);
    assert_eq!(stock[35], 50.0 + 150.0 - 10.0);
    assert!(series(&result, "us_line", "unmet").iter().all(|&u| u == 0.0));
    let events: Vec<_> = result.events.iter().map(|e| (e.day, e.kind.as_str())).collect();
    // The mine holds the line's orders from the first day of the ban: one refusal episode.
    assert_eq!(events, [(10, "control_started"), (10, "refused"), (30, "control_ended")]);
}

/// A buyer takes 70 % from China and 30 % from Australia, whose mine can make only 3 t a
/// day: its baseline share of the buyer's 10 t.
fn two_sources(au_capacity: f64) -> chokepoint_engine::Model {
    let mut model = model(&["ore"], 100);
    let cn = facility(&mut model, "cn_mine", "CN", "ore", 100.0, &[], (1.0, 0.0));
    let au = facility(&mut model, "au_mine", "AU", "ore", au_capacity, &[], (1.0, 0.0));
    let line = sink(&mut model, "jp_line", "JP", "ore", 10.0, 20.0);
    supply(&mut model, Buyer::Sink(line), "ore", &[(cn, 0.7), (au, 0.3)], 4.0);
    ban(&mut model, "ore-ban", "CN", &["ore"], 10, None);
    model
}

#[test]
fn a_70_30_two_source_input_loses_70_percent_of_supply_when_the_first_source_is_banned() {
    let result = simulate(&two_sources(3.0), 1);
    let cn = series(&result, "cn_mine", "shipped");
    let au = series(&result, "au_mine", "shipped");
    for day in 0..10 {
        assert_eq!((cn[day], au[day]), (7.0, 3.0), "day {day}");
    }
    for day in 10..100 {
        assert_eq!((cn[day], au[day]), (0.0, 3.0), "day {day}");
    }
    // Deliveries from day 10's shipments land from day 14: the stock (200 t after use)
    // then falls by the missing 7 t a day.
    let stock = series(&result, "jp_line", "stock");
    assert_eq!(stock[13], 200.0);
    for day in 14..30 {
        assert_eq!(stock[day] - stock[day - 1], -7.0, "day {day}");
    }
}

#[test]
fn a_remaining_source_with_spare_capacity_is_asked_for_its_share_of_the_refill() {
    // Each source keeps up its share of the order-up-to level. From day 14 the stock falls,
    // so Australia's 30 % share of it falls too and it is asked for more than its usual
    // 3 t a day; from day 15 it makes and ships its capacity of 5 t a day.
    let result = simulate(&two_sources(5.0), 1);
    let au = series(&result, "au_mine", "shipped");
    assert!(au[..15].iter().all(|&s| s == 3.0), "{:?}", &au[..15]);
    assert!(au[15..].iter().all(|&s| s == 5.0), "{:?}", &au[15..]);
}

/// A Chinese mine holds 100 t and makes no more; a Chinese and a US buyer each order up to
/// 100 t on day 0, so together they ask for 200 t.
fn two_buyers(ban: Option<chokepoint_engine::Targets>) -> chokepoint_engine::Model {
    use chokepoint_engine::{Policy, Stock};
    let mut model = model(&["ore"], 5);
    let mine = facility(&mut model, "cn_mine", "CN", "ore", 0.0, &[], (0.0, 0.0));
    model.facilities[0].output_stock = Stock::Units(100.0);
    for (id, code) in [("cn_line", "CN"), ("us_line", "US")] {
        let line = sink(&mut model, id, code, "ore", 10.0, 0.0);
        let spec = &mut model.sinks[line.0 as usize];
        spec.stock = Stock::Units(0.0);
        spec.policy = Policy::Units { reorder_point: None, order_up_to: 100.0, review_days: 1 };
        supply(&mut model, Buyer::Sink(line), "ore", &[(mine, 1.0)], 1.0);
    }
    if let Some(targets) = ban {
        ban_all(&mut model, targets);
    }
    model
}

fn ban_all(model: &mut chokepoint_engine::Model, targets: chokepoint_engine::Targets) {
    ban(model, "ore-ban", "CN", &["ore"], 0, None);
    if let chokepoint_engine::Action::ExportControl(control) = &mut model.events[0].action {
        control.targets = targets;
    }
}

#[test]
fn refused_supply_is_diverted_to_the_other_buyers_and_home_sales_are_never_covered() {
    use chokepoint_engine::Targets;
    // No ban: the 100 t are split in proportion to the two 100 t orders, 50 t each, which
    // land on day 1: 40 t left after the day's 10 t of use.
    let open = simulate(&two_buyers(None), 1);
    assert_eq!(series(&open, "cn_line", "stock")[1], 40.0);
    assert_eq!(series(&open, "us_line", "stock")[1], 40.0);
    // A ban on all destinations covers only the export: the Chinese line gets all 100 t.
    for targets in [Targets::All, Targets::Only(vec![region("US")]), Targets::AllExcept(vec![region("JP")])] {
        let banned = simulate(&two_buyers(Some(targets.clone())), 1);
        assert_eq!(series(&banned, "cn_line", "stock")[1], 90.0, "{targets:?}");
        assert_eq!(series(&banned, "us_line", "unmet")[1], 10.0, "{targets:?}");
        assert_eq!(series(&banned, "cn_mine", "refused")[0], 100.0, "{targets:?}");
        assert_eq!(series(&banned, "cn_mine", "exported")[0], 0.0, "{targets:?}");
    }
    // A ban that spares the US changes nothing.
    let spared = simulate(&two_buyers(Some(Targets::AllExcept(vec![region("US")]))), 1);
    assert_eq!(series(&spared, "us_line", "stock")[1], 40.0);
    assert_eq!(series(&spared, "cn_mine", "exported")[0], 50.0);
}

/// Headroom: the line's cover is stock on hand plus in transit over its 10 t a day. In
/// steady state that is its order-up-to level, 25 days on hand + 5 in transit = 300 t: 30
/// days. A ban on days 10..=19 stops shipments; arrivals only move stock from transit to
/// hand, and the line uses 10 t a day, so the position falls 10 t a day to 200 t at the end
/// of day 19 (20 days). On day 20 the mine (50 t in stock, 100 t a day) ships all 110 t of
/// open orders and the position is 300 t again.
#[test]
fn headroom_is_the_lowest_cover_and_names_the_supplier_holding_the_orders() {
    let result = simulate(&single_source(Some(20)), 1);
    let entity = result.entities.iter().position(|e| e.id == "us_line").expect("line");
    let headroom = result.headroom[entity].expect("a sink has headroom");
    assert_eq!(headroom.min_cover_days, 20.0);
    assert_eq!(headroom.day, 19);
    assert_eq!(headroom.input, product(&single_source(None), "ore"));
    let mine = result.entities.iter().position(|e| e.id == "cn_mine").expect("mine");
    assert_eq!(headroom.supplier.map(|f| f.0 as usize), Some(mine), "the mine holds 100 t of orders");
    assert_eq!(result.headroom[mine], None, "a mine has no inputs");
    let on_hand = series(&result, "us_line", "stock");
    let in_transit = series(&result, "us_line", "in_transit");
    assert_eq!(on_hand[19] + in_transit[19], 200.0, "the recorded series agree");

    // Never lifted: the position reaches 0 at the end of day 39 (the stock runs out then,
    // nothing on its way) and stays there.
    let result = simulate(&single_source(None), 1);
    let headroom = result.headroom[entity].expect("a sink has headroom");
    assert_eq!((headroom.min_cover_days, headroom.day), (0.0, 39));

    // Undisturbed, the lowest cover is the steady 30 days, first reached on day 0, with no
    // order open at the end of any day.
    let mut calm = single_source(None);
    calm.events.clear();
    let headroom = simulate(&calm, 1).headroom[entity].expect("a sink has headroom");
    assert_eq!((headroom.min_cover_days, headroom.day, headroom.supplier), (30.0, 0, None));
}
