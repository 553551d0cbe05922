//! How a chain adapts to a cut (`docs/model.md`, "Adaptation"), on the chain of
//! `mechanics.rs`: a Chinese mine (100 t/day, 50 t of output stock) supplies a US line
//! that uses 10 t a day, keeps 25 days on hand, orders up to 300 t (25 days + 5 in transit)
//! every day; shipments take 5 days.

use chokepoint_engine::*;

use crate::support::*;

fn ban(model: &mut Model, from: u32, to: Option<u32>) {
    let ban = control(model, "CN", &["ore"], Targets::All);
    event(model, "ban", from, to, Action::ExportControl(ban));
}

#[test]
fn orders_released_after_a_hold_ship_at_the_release_pace() {
    // A ban on days 10..=29 holds 200 t (20 daily orders). On day 30 the book holds those
    // 200 t and the day's fresh 10 t. At a pace of 2 (20 t a day of held orders, twice the
    // link's 10 t baseline) the mine ships the fresh 10 t and 20 t of the backlog: 30 t a
    // day for 10 days (days 30..=39), then the daily 10 t. Without a pace, the mine ships
    // what it has: its 50 t of stock and the 100 t it makes on day 30 (150 t), then the
    // other 60 t with day 31's fresh 10 t.
    let mut model = ore_chain(60);
    ban(&mut model, 10, Some(30));
    let unpaced = simulate(&model, 1);
    let exported = series(&unpaced, "cn_mine", "exported");
    assert_eq!(exported[30..33], [150.0, 70.0, 10.0]);

    model.adaptation.release_pace = Some(2.0);
    let result = simulate(&model, 1);
    let exported = series(&result, "cn_mine", "exported");
    assert!(exported[10..30].iter().all(|&e| e == 0.0));
    assert_eq!(exported[30..40], [30.0; 10]);
    assert!(exported[40..60].iter().all(|&e| e == 10.0), "{:?}", &exported[38..60]);
    // Paced orders are not refused ones.
    assert_eq!(series(&result, "cn_mine", "refused").iter().sum::<f64>(), 200.0);
    assert_conserved(&result);
}

#[test]
fn a_held_buyer_orders_up_to_an_emergency_target_for_a_while() {
    // Emergency target 60 days for 100 days after the first hold (day 10). The line's
    // level becomes 10 × (60 + 5 in transit) = 650 t from its review on day 11: it orders
    // 650 − 290 = 360 t that day, then 10 t a day. Everything ordered by day 60 (10 + 360 +
    // 49 × 10 = 860 t) has shipped by then once the ban ends on day 30. From day 110 the
    // level is 300 t again and the line orders nothing until its position (650 t) has
    // fallen to 300 t, 35 days of use later.
    let mut model = ore_chain(200);
    ban(&mut model, 10, Some(30));
    model.adaptation.emergency = Some(Emergency { target_days: 60.0, lasts_days: 100 });
    let result = simulate(&model, 1);
    let exported = series(&result, "cn_mine", "exported");
    assert_eq!(exported[10..=60].iter().sum::<f64>(), 860.0);
    assert!(exported[60..110].iter().all(|&e| e == 10.0));
    assert!(exported[111..144].iter().all(|&e| e == 0.0), "{:?}", &exported[105..150]);
    assert!(exported[150..200].iter().all(|&e| e == 10.0));
    assert!(series(&result, "us_line", "unmet").iter().all(|&u| u == 0.0));
    assert_conserved(&result);
}

#[test]
fn a_facility_short_of_an_input_thrifts_after_a_delay() {
    // A US mine of 10 t/day feeds a US plant (1 t of ore a unit) that serves a line of 10
    // units a day. From day 10 a shock halves the mine's capacity: 5 t a day. Once the
    // plant's ore runs short (its production falls below what it wants), thrifting starts
    // 10 days later and cuts the ore per unit by half at once: 5 t then makes 10 units.
    // At the end, production is 10 units a day with thrifting and 5 without.
    let build = |thrift: bool| {
        let mut model = model(&["ore", "part"], 300);
        let mine = facility(&mut model, "us_mine", "US", "ore", 10.0, &[], (5.0, 0.0));
        let plant = facility(&mut model, "us_plant", "US", "part", 100.0, &[("ore", 1.0)], (5.0, 10.0));
        let line = sink(&mut model, "us_line", "US", "part", 10.0, 10.0);
        supply(&mut model, Buyer::Facility(plant), "ore", &[(mine, 1.0)], 2.0);
        supply(&mut model, Buyer::Sink(line), "part", &[(plant, 1.0)], 2.0);
        let shock =
            CapacityShock { facilities: vec![mine], remaining: Dist::Const(0.5), recovery: Dist::Const(0.0) };
        event(&mut model, "fire", 10, None, Action::Capacity(shock));
        if thrift {
            model.adaptation.thrift = Some(Thrift { after_days: 10, max_cut: 0.5, ramp_days: 0 });
        }
        simulate(&model, 1)
    };
    let plain = build(false);
    let production = series(&plain, "us_plant", "production");
    assert!(production[250..300].iter().all(|&p| p == 5.0), "{:?}", &production[250..300]);
    let thrifty = build(true);
    let production = series(&thrifty, "us_plant", "production");
    assert!(production[250..300].iter().all(|&p| p == 10.0), "{:?}", &production[250..300]);
    // Thrifting starts 10 days after the first short day, and not before.
    let first_short =
        1 + series(&plain, "us_plant", "production")[1..].iter().position(|&p| p < 10.0).expect("short");
    let thrifty_production = series(&thrifty, "us_plant", "production");
    // The 100 t of ore the plant holds and the mine's 50 t of output stock cover the 5 t a
    // day the halved mine lacks for 30 days: the plant runs short on day 40.
    assert_eq!(first_short, 40);
    assert_eq!(thrifty_production[40..50], [5.0; 10]);
    assert_eq!(thrifty_production[50], 10.0);
    assert_conserved(&thrifty);
}

#[test]
fn emergency_qualification_shortens_an_alternate_s_delay() {
    // As in mechanics.rs, the line may switch to an Australian mine qualified 20 days
    // after the cut-off (day 10); with a qualification factor of 0.5 it switches on day 20.
    let mut model = ore_chain(60);
    let au = facility(&mut model, "au_mine", "AU", "ore", 100.0, &[], (5.0, 0.0));
    model.supplies[0].alternates = vec![Alternate { from: au, qualify: Dist::Const(20.0) }];
    ban(&mut model, 10, None);
    model.adaptation.qualify_factor = 0.5;
    let result = simulate(&model, 1);
    let resourced = series(&result, "au_mine", "resourced");
    assert_eq!(resourced[..20].iter().sum::<f64>(), 0.0);
    assert!(resourced[20] > 0.0);
    assert!(timeline(&result).contains(&(20, "resourced")));
    assert_conserved(&result);
}
