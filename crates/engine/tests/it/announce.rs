//! Announced controls: buyers the control will bind stock up between the announcement and
//! the start (`docs/model.md`, "Announcements"). Answers worked out by hand.

use chokepoint_engine::{Action, Announcement, Buyer, Dist, Model, Noise, RunResult, Targets};

use crate::support::*;

/// A Chinese mine that can make 20 t a day keeps one day (10 t) of output and ships to a US
/// plant (a sink here: its use of ore) using 10 t a day, 5 days away, with a 30-day target:
/// S = 10 × (30 + 5 + 1 − 1) = 350 t. China bans ore to the US from day 40; with
/// `announced`, the ban is announced on day 20 with a target of 60 days: S' = 650 t.
fn pre_buy(announced: Option<Announcement>) -> Model {
    let mut model = model(&["ore"], 120);
    let mine = facility(&mut model, "cn_mine", "CN", "ore", 20.0, &[], (1.0, 0.0));
    let plant = sink(&mut model, "us_plant", "US", "ore", 10.0, 30.0);
    supply(&mut model, Buyer::Sink(plant), "ore", &[(mine, 1.0)], 5.0);
    let mut rule = control(&model, "CN", &["ore"], Targets::Only(vec![region("US")]));
    rule.announcement = announced;
    event(&mut model, "cn-ore-2023", 40, None, Action::ExportControl(rule));
    model
}

fn sixty_days_on_day_20() -> Option<Announcement> {
    Some(Announcement { day: 20, target_days: 60.0 })
}

#[test]
fn an_announced_ban_makes_the_targeted_buyer_stock_up_as_far_as_the_mine_can_ship() {
    let plain = simulate(&pre_buy(None), 1);
    let announced = simulate(&pre_buy(sixty_days_on_day_20()), 1);
    // Day 20: the plant's position is 340 t (300 on hand, 40 in transit), so it orders
    // 650 − 340 = 310 t. The mine made its usual 10 t that morning (before the order) and
    // ships them. From day 21 it makes its capacity of 20 t a day and ships them: 10 t a
    // day more than without the announcement on days 21..=39, 190 t in all (the plant
    // wanted 300 t more: the mine would have needed 30 days). On day 40 the ban holds the
    // 110 t still open.
    let shipped = series(&announced, "cn_mine", "shipped");
    assert!(shipped[..=20].iter().all(|&s| s == 10.0), "{:?}", &shipped[..=20]);
    assert!(shipped[21..40].iter().all(|&s| s == 20.0), "{:?}", &shipped[21..40]);
    assert!(shipped[40..].iter().all(|&s| s == 0.0));
    assert_eq!(series(&announced, "cn_mine", "refused")[40], 110.0);
    assert_eq!(series(&plain, "cn_mine", "refused")[40], 10.0);
    // On day 40 the plant holds 190 t more, in stock and on its way: shipments of days
    // 21..=35 (150 t extra) have landed, those of days 36..=39 (40 t extra) have not.
    let cover = |result: &RunResult| {
        (series(result, "us_plant", "stock")[40], series(result, "us_plant", "in_transit")[40])
    };
    assert_eq!(cover(&plain), (300.0, 40.0));
    assert_eq!(cover(&announced), (450.0, 80.0));
    // Without it, the last 40 t land on days 41..=44 and 300 t last days 45..=74: short from
    // day 75, 35 days after the ban. With it, 490 t after day 44 last days 45..=93: short
    // from day 94, 19 days later (190 t at 10 t a day).
    let survive = |result: &RunResult| result.kpis("us_plant").expect("sink").time_to_survive_days;
    assert_eq!(survive(&plain), Some(35));
    assert_eq!(survive(&announced), Some(54));
    assert_eq!(timeline(&plain), [(40, "control_started"), (40, "refused")]);
    assert_eq!(timeline(&announced), [(20, "control_announced"), (40, "control_started"), (40, "refused")]);
    let row = &announced.events[0];
    assert_eq!(row.subject, "cn-ore-2023");
    assert_eq!(
        row.detail,
        "CN announces a control of ore to US; 1 buyer raises its stock target to 60 days of use until it starts"
    );
    // The announcement is not a disruption: the KPIs still count from the ban.
    assert_eq!(announced.first_disruption_day, Some(40));
    assert_conserved(&plain);
    assert_conserved(&announced);
}

#[test]
fn exports_double_in_the_window_between_announcement_and_start() {
    // The shape of China's germanium exports before the licences of 1 August 2023: they
    // doubled in July. Here the mine's exports to the US run at 10 t a day, then 20 t a day
    // (its capacity) from the day after the announcement until the ban, then stop.
    let plain = simulate(&pre_buy(None), 1);
    let announced = simulate(&pre_buy(sixty_days_on_day_20()), 1);
    let to_us = |result: &RunResult| -> Vec<f64> {
        let flow = (result.trade.iter())
            .find(|f| f.exporter == region("CN") && f.importer == region("US"))
            .expect("the CN→US ore route");
        flow.daily.clone()
    };
    let (plain, announced) = (to_us(&plain), to_us(&announced));
    let window = |daily: &[f64]| daily[20..40].iter().sum::<f64>();
    assert_eq!(window(&plain), 200.0);
    assert_eq!(window(&announced), 10.0 + 19.0 * 20.0);
    assert!(announced[21..40].iter().zip(&plain[21..40]).all(|(a, p)| *a == 2.0 * p));
    assert_eq!(announced[..20], plain[..20]);
    // The exported series says the same as the trade record.
    assert_eq!(announced, series(&simulate(&pre_buy(sixty_days_on_day_20()), 1), "cn_mine", "exported"));
    assert!(announced[40..].iter().all(|&t| t == 0.0));
}

/// A Chinese mine with 40 days of output in stock (800 t) and room to spare (100 t a day)
/// sells ore to a US plant that makes magnets for US car lines, and to a Japanese line with
/// Poisson demand and uncertain transit (so that any extra random draw would show). China
/// bans ore to the US only from day 40, announced on day 20.
fn two_markets(announced: Option<Announcement>) -> Model {
    let mut model = model(&["ore", "magnet"], 80);
    let mine = facility(&mut model, "cn_mine", "CN", "ore", 100.0, &[], (40.0, 0.0));
    let plant = facility(&mut model, "us_plant", "US", "magnet", 100.0, &[("ore", 1.0)], (1.0, 30.0));
    let cars = sink(&mut model, "us_cars", "US", "magnet", 10.0, 10.0);
    supply(&mut model, Buyer::Sink(cars), "magnet", &[(plant, 1.0)], 1.0);
    supply(&mut model, Buyer::Facility(plant), "ore", &[(mine, 1.0)], 5.0);
    let line = sink(&mut model, "jp_line", "JP", "ore", 10.0, 20.0);
    model.sinks[line.0 as usize].noise = Noise::Poisson;
    supply(&mut model, Buyer::Sink(line), "ore", &[(mine, 1.0)], 5.0);
    model.supplies.last_mut().expect("just added").transit = Dist::Uniform { low: 3.0, high: 7.0 };
    let mut rule = control(&model, "CN", &["ore"], Targets::Only(vec![region("US")]));
    rule.announcement = announced;
    event(&mut model, "cn-ore-us", 40, None, Action::ExportControl(rule));
    model
}

#[test]
fn a_buyer_outside_the_targets_does_not_change_its_orders() {
    let plain = simulate(&two_markets(None), 7);
    let announced = simulate(&two_markets(sixty_days_on_day_20()), 7);
    // The US plant's ore slot (S = 10 × (30 + 5) = 350 t) moves to 650 t on day 20 and the
    // mine, with 800 t in stock, ships the 300 t difference that day.
    let in_transit = |result: &RunResult| series(result, "us_plant", "in_transit.ore")[20];
    assert_eq!(in_transit(&announced) - in_transit(&plain), 300.0);
    assert!(announced.events[0].detail.contains("1 buyer raises its stock target"));
    // The Japanese line is not targeted: its demand draws, transit draws, stock and what the
    // mine ships it are the same, day by day.
    for metric in ["demand", "met", "unmet", "stock", "in_transit"] {
        assert_eq!(series(&announced, "jp_line", metric), series(&plain, "jp_line", metric), "{metric}");
    }
    let to_jp = |result: &RunResult| {
        (result.trade.iter()).find(|f| f.importer == region("JP")).expect("the CN→JP ore route").daily.clone()
    };
    assert_eq!(to_jp(&announced), to_jp(&plain));
    assert!(series(&plain, "jp_line", "demand").iter().any(|&d| d != 10.0), "demand is drawn");
    assert_conserved(&announced);
}

#[test]
fn an_announcement_that_raises_no_target_changes_nothing_but_its_timeline_row() {
    // Equivalence for "files without `announced` behave as before": an announcement whose
    // target (20 days) is below every affected buyer's own (30 days) raises nobody, so the
    // run must equal the unannounced run in every series, trade flow, KPI and ledger. This
    // checks that the mechanism draws no random number and moves no other event: its only
    // effect goes through raised order levels. (Without `announced` nothing is scheduled and
    // each slot's list of raised levels is empty, so `review` orders up to the plan's level
    // as before.)
    let plain = simulate(&two_markets(None), 7);
    let mut announced = simulate(&two_markets(Some(Announcement { day: 20, target_days: 20.0 })), 7);
    let row = announced.events.remove(0);
    assert_eq!((row.day, row.kind.as_str()), (20, "control_announced"));
    assert!(row.detail.contains("0 buyers raise their stock target to 20 days"), "{}", row.detail);
    assert_eq!(announced.n_events, plain.n_events + 1, "one more event: the announcement");
    announced.n_events = plain.n_events;
    assert_eq!(announced, plain);
}

#[test]
fn an_announcement_on_or_after_the_start_is_refused() {
    for day in [40, 41] {
        let model = pre_buy(Some(Announcement { day, target_days: 60.0 }));
        let errors = chokepoint_engine::Plan::new(&model).expect_err("announced too late");
        assert!(format!("{}", errors[0]).contains("announcement day"), "{errors:?}");
    }
    let model = pre_buy(Some(Announcement { day: 20, target_days: 0.0 }));
    let errors = chokepoint_engine::Plan::new(&model).expect_err("zero target");
    assert!(format!("{}", errors[0]).contains("announcement target"), "{errors:?}");
}
