//! Bilateral trade flows (`docs/model.md`, "Trade flows"): what leaves each region for each
//! other region, per product and day, counted on the day it leaves; leaks as two legs
//! through their `via` regions; the same routes in every replicate.

use chokepoint_engine::*;

use crate::support::*;

/// The daily flow of one route; panics if the result has no such route.
fn flow<'r>(result: &'r RunResult, exporter: &str, importer: &str, product: ProductId) -> &'r [f64] {
    let (exporter, importer) = (region(exporter), region(importer));
    (result.trade.iter())
        .find(|f| f.exporter == exporter && f.importer == importer && f.product == product)
        .map(|f| f.daily.as_slice())
        .unwrap_or_else(|| panic!("no route {exporter}->{importer} of product {}", product.0))
}

/// (exporter, importer, product index) of every route, in result order.
fn routes(result: &RunResult) -> Vec<(String, String, u32)> {
    (result.trade.iter()).map(|f| (f.exporter.to_string(), f.importer.to_string(), f.product.0)).collect()
}

fn route(exporter: &str, importer: &str, product: u32) -> (String, String, u32) {
    (exporter.to_owned(), importer.to_owned(), product)
}

/// Micro-units of a value in units (the engine's exact quantities).
fn micro(units: f64) -> i64 {
    (units * 1e6).round() as i64
}

/// A Chinese mine making 10 t of ore a day (20 t of output stock) is the single source of a
/// US plant that turns it into metal for a US line: 10 t a day, 5 days in transit. The
/// plant starts with 50 t of ore on hand and orders up to 150 t (10 days on hand + 5 in
/// transit).
fn mine_to_plant() -> Model {
    let mut model = model(&["ore", "metal"], 40);
    let mine = facility(&mut model, "cn_mine", "CN", "ore", 10.0, &[], (2.0, 0.0));
    let plant = facility(&mut model, "us_plant", "US", "metal", 10.0, &[("ore", 1.0)], (1.0, 10.0));
    model.facilities[plant.0 as usize].input_stock = Stock::Units(50.0);
    let line = sink(&mut model, "us_line", "US", "metal", 10.0, 5.0);
    supply(&mut model, Buyer::Facility(plant), "ore", &[(mine, 1.0)], 5.0);
    supply(&mut model, Buyer::Sink(line), "metal", &[(plant, 1.0)], 1.0);
    model
}

#[test]
fn a_route_carries_what_the_exporter_ships_abroad_on_the_day_it_leaves() {
    // Day 0: the plant makes nothing yet (its line has not ordered), holds 60 t after the
    // morning's 10 t land and 40 t in transit, so it orders 150 − 100 = 50 t; the mine
    // ships its whole 20 t of stock. From day 1 the mine makes its capacity of 10 t and
    // ships it, with 30 t of the order still open; the plant uses 10 t and orders 10 t a
    // day. So CN→US carries 20 t on day 0 and 10 t on every later day.
    let model = mine_to_plant();
    let result = simulate(&model, 1);
    let ore = product(&model, "ore");
    // The US plant's metal to the US line is domestic: not trade, no route.
    assert!(series(&result, "us_plant", "shipped")[1..].iter().all(|&s| s == 10.0));
    assert_eq!(routes(&result), [route("CN", "US", ore.0)]);
    let cn_us = flow(&result, "CN", "US", ore);
    let mut expected = vec![10.0; 40];
    expected[0] = 20.0;
    assert_eq!(cn_us, expected);
    assert_eq!(cn_us, series(&result, "cn_mine", "exported"));
    // Counted when they leave, not when they land: from day 4, when the initial pipeline
    // has landed, the plant's ore in transit is exactly the last 5 days of the route.
    let in_transit = series(&result, "us_plant", "in_transit.ore");
    for day in 4..40 {
        assert_eq!(in_transit[day], cn_us[day - 4..=day].iter().sum::<f64>(), "day {day}");
    }
    assert_conserved(&result);
}

/// The mechanics chain (a Chinese mine with 100 t/day and 50 t of stock, a US line using
/// `rate` a day with 25 days on hand, 5 days in transit), 60 days, with a ban on ore from
/// day `start` that leaks all refused flow through `via`, `delay` days late.
fn leaking(rate: f64, via: &[&str], start: u32, delay: f64) -> Model {
    let mut model = model(&["ore"], 60);
    let mine = facility(&mut model, "cn_mine", "CN", "ore", 100.0, &[], (5.0, 0.0));
    let line = sink(&mut model, "us_line", "US", "ore", rate, 25.0);
    supply(&mut model, Buyer::Sink(line), "ore", &[(mine, 1.0)], 5.0);
    let mut ban = control(&model, "CN", &["ore"], Targets::Only(vec![region("US")]));
    ban.leakage = Some(Leakage {
        share: Dist::Const(1.0),
        via: via.iter().map(|code| region(code)).collect(),
        delay: Dist::Const(delay),
    });
    event(&mut model, "ban", start, None, Action::ExportControl(ban));
    model
}

#[test]
fn a_leak_counts_as_two_legs_through_its_third_country() {
    // Up to day 9 the mine ships the line's 10 t a day straight to the US. From day 10 the
    // ban refuses each day's 10 t and all of it leaks the same day (leak share 1): it
    // leaves China for Vietnam that day and leaves Vietnam for the US 10 days later.
    let model = leaking(10.0, &["VN"], 10, 10.0);
    let result = simulate(&model, 1);
    let ore = product(&model, "ore");
    assert_eq!(routes(&result), [route("CN", "US", 0), route("CN", "VN", 0), route("VN", "US", 0)]);
    let day_values = |first: usize, last: usize| -> Vec<f64> {
        (0..60).map(|day| if (first..=last).contains(&day) { 10.0 } else { 0.0 }).collect()
    };
    assert_eq!(flow(&result, "CN", "US", ore), day_values(0, 9));
    assert_eq!(flow(&result, "CN", "VN", ore), day_values(10, 59));
    assert_eq!(flow(&result, "VN", "US", ore), day_values(20, 59));
    assert_eq!(flow(&result, "CN", "VN", ore), series(&result, "cn_mine", "leaked"));
    // The leaks of days 50..=59 leave Vietnam after the horizon: not recorded.
    assert_eq!(flow(&result, "VN", "US", ore).iter().sum::<f64>(), 400.0);
    // The physical shipment is unchanged: the first leak lands on day 10 + 5 + 10 = 25, so
    // the line's 250 t after day 14 fall 10 t a day to 150 t after day 24.
    let stock = series(&result, "us_line", "stock");
    assert_eq!((stock[24], stock[25]), (150.0, 150.0));
    assert_conserved(&result);
}

#[test]
fn a_leak_through_two_countries_splits_exactly_in_half() {
    // The line uses 10.000001 t a day: 10,000,001 micro-units leak each day from day 10,
    // split 5,000,001 (Vietnam, listed first, takes the odd micro-unit) and 5,000,000
    // (Malaysia); each part leaves its third country 7 days later.
    let model = leaking(10.000_001, &["VN", "MY"], 10, 7.0);
    let result = simulate(&model, 1);
    let ore = product(&model, "ore");
    assert_eq!(
        routes(&result),
        [
            route("CN", "MY", 0),
            route("CN", "US", 0),
            route("CN", "VN", 0),
            route("MY", "US", 0),
            route("VN", "US", 0),
        ]
    );
    let leaked = series(&result, "cn_mine", "leaked");
    let (cn_vn, cn_my) = (flow(&result, "CN", "VN", ore), flow(&result, "CN", "MY", ore));
    let (vn_us, my_us) = (flow(&result, "VN", "US", ore), flow(&result, "MY", "US", ore));
    for day in 10..60 {
        assert_eq!(micro(leaked[day]), 10_000_001, "day {day}");
        assert_eq!((micro(cn_vn[day]), micro(cn_my[day])), (5_000_001, 5_000_000), "day {day}");
    }
    for day in 0..60 {
        assert_eq!(micro(cn_vn[day]) + micro(cn_my[day]), micro(leaked[day]), "day {day}");
        let shipped = day.checked_sub(7).map_or((0.0, 0.0), |left| (cn_vn[left], cn_my[left]));
        assert_eq!((vn_us[day], my_us[day]), shipped, "day {day}");
    }
    assert!(cn_vn[..10].iter().chain(&cn_my[..10]).all(|&v| v == 0.0));
    assert_conserved(&result);
}

#[test]
fn the_routes_are_the_plans_whether_or_not_the_control_binds() {
    // The same ban starting after the horizon: it never binds, nothing leaks, and the
    // result lists the same routes, the leak legs with zeros.
    let binding = simulate(&leaking(10.0, &["VN", "MY"], 10, 7.0), 1);
    let idle = simulate(&leaking(10.0, &["VN", "MY"], 100, 7.0), 1);
    assert_eq!(routes(&binding), routes(&idle));
    let ore = ProductId(0);
    assert_eq!(flow(&idle, "CN", "US", ore), [10.0; 60]);
    for (exporter, importer) in [("CN", "VN"), ("CN", "MY"), ("VN", "US"), ("MY", "US")] {
        assert!(flow(&idle, exporter, importer, ore).iter().all(|&v| v == 0.0));
        assert!(flow(&binding, exporter, importer, ore).iter().any(|&v| v > 0.0));
    }
}

/// Metal and ore from China and Australia to the US and Japan, with noisy demand, random
/// transit, an Australian alternate the US line never qualifies within the horizon, and a
/// Chinese ban on ore to the US that leaks a random share through Vietnam and Malaysia.
fn noisy_world() -> Model {
    let mut model = model(&["metal", "ore"], 90);
    let cn_mine = facility(&mut model, "cn_mine", "CN", "ore", 100.0, &[], (5.0, 0.0));
    let au_mine = facility(&mut model, "au_mine", "AU", "ore", 100.0, &[], (5.0, 0.0));
    let smelter = facility(&mut model, "cn_smelter", "CN", "metal", 50.0, &[("ore", 1.0)], (5.0, 10.0));
    supply(&mut model, Buyer::Facility(smelter), "ore", &[(cn_mine, 1.0)], 2.0);
    let us_line = sink(&mut model, "us_line", "US", "ore", 10.0, 25.0);
    supply(&mut model, Buyer::Sink(us_line), "ore", &[(cn_mine, 1.0)], 5.0);
    model.supplies[1].transit = Dist::Uniform { low: 3.0, high: 7.0 };
    model.supplies[1].alternates = vec![Alternate { from: au_mine, qualify: Dist::Const(1000.0) }];
    let jp_line = sink(&mut model, "jp_line", "JP", "ore", 10.0, 20.0);
    supply(&mut model, Buyer::Sink(jp_line), "ore", &[(cn_mine, 0.5), (au_mine, 0.5)], 4.0);
    let us_metal = sink(&mut model, "us_metal", "US", "metal", 5.0, 10.0);
    supply(&mut model, Buyer::Sink(us_metal), "metal", &[(smelter, 1.0)], 6.0);
    for sink in &mut model.sinks {
        sink.noise = Noise::Poisson;
    }
    let mut ban = control(&model, "CN", &["ore"], Targets::Only(vec![region("US")]));
    ban.leakage = Some(Leakage {
        share: Dist::Uniform { low: 0.0, high: 1.0 },
        via: vec![region("VN"), region("MY")],
        delay: Dist::Uniform { low: 5.0, high: 15.0 },
    });
    event(&mut model, "ban", 20, None, Action::ExportControl(ban));
    model
}

#[test]
fn every_replicate_reports_the_same_routes_in_sorted_order() {
    let model = noisy_world();
    let plan = Plan::new(&model).expect("the model is valid");
    let (metal, ore) = (0, 1);
    // Sorted by exporter, then importer, then product index (metal before ore).
    let expected = [
        route("AU", "JP", ore),
        route("AU", "US", ore),
        route("CN", "JP", ore),
        route("CN", "MY", ore),
        route("CN", "US", metal),
        route("CN", "US", ore),
        route("CN", "VN", ore),
        route("MY", "US", ore),
        route("VN", "US", ore),
    ];
    let mut leaked_totals = Vec::new();
    for seed in [1, 2] {
        for replicate in 0..4 {
            let result = plan.run(RunConfig { seed, replicate });
            assert_eq!(routes(&result), expected, "seed {seed}, replicate {replicate}");
            assert!(result.trade.iter().all(|f| f.daily.len() == 90));
            // The alternate is never qualified: its route is listed with zeros.
            assert!(flow(&result, "AU", "US", ProductId(ore)).iter().all(|&v| v == 0.0));
            leaked_totals.push(flow(&result, "CN", "VN", ProductId(ore)).iter().sum::<f64>());
        }
    }
    // The runs differ (the leak share is drawn per replicate) while the layout does not.
    assert!(leaked_totals.iter().any(|&total| total != leaked_totals[0]), "{leaked_totals:?}");
}

#[test]
fn exports_out_of_a_region_are_its_facilities_exported_series_leaks_included() {
    // Two Chinese mines serve a Chinese line (domestic: not trade), a Japanese line and a
    // US line; half of what the US ban refuses leaks through Vietnam and Malaysia. Every
    // day, what leaves China on all routes is what its mines export: direct shipments plus
    // the leaks' first legs, which are in `exported` (and `leaked`) on the day they leave.
    let mut model = noisy_world();
    let second = facility(&mut model, "cn_mine_2", "CN", "ore", 30.0, &[], (3.0, 0.0));
    let cn_line = sink(&mut model, "cn_line", "CN", "ore", 8.0, 10.0);
    supply(&mut model, Buyer::Sink(cn_line), "ore", &[(FacilityId(0), 0.5), (second, 0.5)], 1.0);
    model.supplies[2].sources =
        vec![Source { from: FacilityId(0), share: 0.3 }, Source { from: second, share: 0.7 }];
    if let Action::ExportControl(ban) = &mut model.events[0].action {
        ban.leakage.as_mut().expect("the ban leaks").share = Dist::Const(0.5);
    }
    let ore = ProductId(1);
    let result = simulate(&model, 7);
    let micro_day = |values: &[f64], day: usize| micro(values[day]);
    let (mine, mine_2) = (series(&result, "cn_mine", "exported"), series(&result, "cn_mine_2", "exported"));
    let out_of_china: Vec<&TradeFlow> =
        result.trade.iter().filter(|f| f.exporter == region("CN") && f.product == ore).collect();
    assert_eq!(out_of_china.len(), 4, "CN to JP, MY, US and VN");
    for day in 0..90 {
        let trade: i64 = out_of_china.iter().map(|f| micro_day(&f.daily, day)).sum();
        assert_eq!(trade, micro_day(mine, day) + micro_day(mine_2, day), "day {day}");
    }
    // The leaks' first legs are exactly the leaked series; what went straight to the US is
    // the rest of the exports to it.
    let leaked = series(&result, "cn_mine", "leaked");
    let total = |values: &[f64]| values.iter().map(|&v| micro(v)).sum::<i64>();
    assert!(total(leaked) > 0);
    assert_eq!(total(flow(&result, "CN", "VN", ore)) + total(flow(&result, "CN", "MY", ore)), total(leaked));
    // The second legs leave Vietnam and Malaysia, where no facility exports anything.
    assert!(total(flow(&result, "VN", "US", ore)) + total(flow(&result, "MY", "US", ore)) > 0);
    assert_conserved(&result);
}

#[test]
fn a_leg_inside_one_region_is_not_trade() {
    // Through the buyer's own region, only the first leg crosses a border: CN→US on the day
    // the goods leave. Through the supplier's own region (possible through the API, which
    // scenario files refuse), only the second: CN→US when they leave China, 10 days later.
    let ore = ProductId(0);
    let via_buyer = simulate(&leaking(10.0, &["US"], 10, 10.0), 1);
    assert_eq!(routes(&via_buyer), [route("CN", "US", 0)]);
    assert_eq!(flow(&via_buyer, "CN", "US", ore), [10.0; 60]);
    let via_supplier = simulate(&leaking(10.0, &["CN"], 10, 10.0), 1);
    assert_eq!(routes(&via_supplier), [route("CN", "US", 0)]);
    let cn_us = flow(&via_supplier, "CN", "US", ore);
    assert!(cn_us[..10].iter().all(|&v| v == 10.0) && cn_us[10..20].iter().all(|&v| v == 0.0));
    assert!(cn_us[20..].iter().all(|&v| v == 10.0), "{cn_us:?}");
    // The mine's `exported` still counts the leak on the day it leaves.
    assert!(series(&via_supplier, "cn_mine", "exported").iter().all(|&v| v == 10.0));
}
