//! A single-sourced input cut by an export control: how long does the stock last?
//!
//! A US plant uses 10 t a day of an ore from one Chinese mine, 5 days away by sea, and keeps
//! 25 days of it on hand. China bans exports of the ore on day 10. With 25 days on hand and
//! 5 in transit, the plant has 30 days of cover: it runs short on day 40, 30 days after the
//! ban. The example builds the chain with the engine API, runs it, and checks that answer.
//!
//! Run it with `cargo run -p chokepoint-examples --example single_source_cut`; it also runs
//! as a test under `cargo test --workspace`.

use chokepoint_engine::{
    Action, Buyer, Dist, End, Event, ExportControl, Facility, FacilityId, Model, Noise, Policy, Product,
    ProductId, Region, RunConfig, Sink, SinkId, Source, Start, Stock, Supply, Targets, Unmet,
};

fn region(code: &str) -> Region {
    Region::new(code).expect("a two-letter upper-case code")
}

/// Builds the chain: one mine, one plant, one export control ending on `ban_end`.
fn chain(ban_end: Option<u32>) -> Model {
    let ore = ProductId(0);
    Model {
        products: vec![Product {
            id: "ore".into(),
            name: "Ore".into(),
            unit: "t".into(),
            value: 500.0,
            price: None,
        }],
        facilities: vec![Facility {
            id: "cn_mine".into(),
            region: region("CN"),
            product: ore,
            capacity: Dist::Const(100.0),
            recipe: vec![],
            output_stock: Stock::Days(5.0),
            input_stock: Stock::Days(0.0),
            policy: Policy::DaysOfUse { target_days: 0.0, review_days: 1 },
            online_day: 0,
            ramp: Dist::Const(0.0),
            allocation: None,
            sector: "civil".into(),
        }],
        sinks: vec![Sink {
            id: "us_plant".into(),
            region: region("US"),
            product: ore,
            rate: 10.0,
            growth: 0.0,
            noise: Noise::None,
            sector: "civil".into(),
            unmet: Unmet::Lost,
            stock: Stock::Days(25.0),
            policy: Policy::DaysOfUse { target_days: 25.0, review_days: 1 },
        }],
        supplies: vec![Supply {
            buyer: Buyer::Sink(SinkId(0)),
            product: ore,
            sources: vec![Source { from: FacilityId(0), share: 1.0 }],
            transit: Dist::Const(5.0),
            alternates: vec![],
        }],
        events: vec![Event {
            id: "ore-ban".into(),
            start: Start::Day(10),
            end: ban_end.map(End::Day),
            action: Action::ExportControl(ExportControl {
                issuer: region("CN"),
                products: vec![ore],
                targets: Targets::All,
                licence: None,
                leakage: None,
                content: None,
                announcement: None,
            }),
        }],
        horizon_days: 120,
        ..Model::default()
    }
}

fn main() {
    let result =
        chokepoint_engine::run(&chain(None), RunConfig { seed: 1, replicate: 0 }).expect("valid model");
    let kpis = result.kpis("us_plant").expect("the plant has KPIs");
    println!("ban on day 10: the plant runs short {:?} days later", kpis.time_to_survive_days);
    assert_eq!(kpis.time_to_survive_days, Some(30), "30 days of cover: short on day 40");
    assert_eq!(result.series("us_plant", "unmet").expect("series")[40], 10.0);

    // Lifting the ban on day 30 refills the plant before it runs dry.
    let lifted =
        chokepoint_engine::run(&chain(Some(30)), RunConfig { seed: 1, replicate: 0 }).expect("valid");
    let kpis = lifted.kpis("us_plant").expect("KPIs");
    println!(
        "ban lifted on day 30: runs short {:?}, fill rate {:.3}",
        kpis.time_to_survive_days, kpis.fill_rate
    );
    assert_eq!(kpis.time_to_survive_days, None);
    assert_eq!(kpis.fill_rate, 1.0);
}

#[test]
fn example_holds() {
    main();
}
