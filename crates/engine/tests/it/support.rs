//! A terse way to write small chains in tests.

use chokepoint_engine::*;

pub fn region(code: &str) -> Region {
    Region::new(code).expect("test region codes are valid")
}

/// A model with one product per name in `products` (unit `t`, value 1).
pub fn model(products: &[&str], horizon_days: u32) -> Model {
    Model {
        products: products
            .iter()
            .map(|id| Product {
                id: (*id).into(),
                name: (*id).into(),
                unit: "t".into(),
                value: 1.0,
                price: None,
            })
            .collect(),
        horizon_days,
        ..Model::default()
    }
}

/// Adds a facility making `product` from `recipe`, with (output, input) stocks in days;
/// returns its id.
pub fn facility(
    model: &mut Model,
    id: &str,
    code: &str,
    product: &str,
    capacity: f64,
    recipe: &[(&str, f64)],
    (output_days, input_days): (f64, f64),
) -> FacilityId {
    let product = model.product_id(product).expect("product exists");
    let recipe = recipe.iter().map(|(p, a)| (model.product_id(p).expect("input exists"), *a)).collect();
    model.facilities.push(Facility {
        id: id.into(),
        region: region(code),
        product,
        capacity: Dist::Const(capacity),
        recipe,
        output_stock: Stock::Days(output_days),
        input_stock: Stock::Days(input_days),
        policy: Policy::DaysOfUse { target_days: input_days, review_days: 1 },
        online_day: 0,
        ramp: Dist::Const(0.0),
        allocation: None,
        sector: "civil".into(),
    });
    FacilityId(model.facilities.len() as u32 - 1)
}

/// Adds a sink of `rate` per day with no noise, lost sales, `stock_days` on hand and an
/// order-up-to policy of the same cover; returns its id.
pub fn sink(model: &mut Model, id: &str, code: &str, product: &str, rate: f64, stock_days: f64) -> SinkId {
    let product = model.product_id(product).expect("product exists");
    model.sinks.push(Sink {
        id: id.into(),
        region: region(code),
        product,
        rate,
        growth: 0.0,
        noise: Noise::None,
        sector: "civil".into(),
        unmet: Unmet::Lost,
        stock: Stock::Days(stock_days),
        policy: Policy::DaysOfUse { target_days: stock_days, review_days: 1 },
    });
    SinkId(model.sinks.len() as u32 - 1)
}

/// Adds a supply link with fixed transit days.
pub fn supply(
    model: &mut Model,
    buyer: Buyer,
    product: &str,
    sources: &[(FacilityId, f64)],
    transit_days: f64,
) {
    let product = model.product_id(product).expect("product exists");
    model.supplies.push(Supply {
        buyer,
        product,
        sources: sources.iter().map(|&(from, share)| Source { from, share }).collect(),
        transit: Dist::Const(transit_days),
        alternates: Vec::new(),
    });
}

/// Adds a control by `issuer` on `products` to all destinations from `start_day`.
pub fn ban(
    model: &mut Model,
    id: &str,
    issuer: &str,
    products: &[&str],
    start_day: u32,
    end_day: Option<u32>,
) {
    let products = products.iter().map(|p| model.product_id(p).expect("product exists")).collect();
    model.events.push(Event {
        id: id.into(),
        start: Start::Day(start_day),
        end: end_day.map(End::Day),
        action: Action::ExportControl(ExportControl {
            issuer: region(issuer),
            products,
            targets: Targets::All,
            licence: None,
            leakage: None,
            content: None,
            announcement: None,
        }),
    });
}

pub fn simulate(model: &Model, seed: u64) -> RunResult {
    chokepoint_engine::run(model, RunConfig { seed, replicate: 0 }).expect("test models are valid")
}

pub fn series<'r>(result: &'r RunResult, entity: &str, metric: &str) -> &'r [f64] {
    result.series(entity, metric).unwrap_or_else(|| panic!("no series {entity}/{metric}"))
}

/// Adds an event starting on `start_day` (ending on `end_day`, if any).
pub fn event(model: &mut Model, id: &str, start_day: u32, end_day: Option<u32>, action: Action) {
    model.events.push(Event {
        id: id.into(),
        start: Start::Day(start_day),
        end: end_day.map(End::Day),
        action,
    });
}

/// An export control by `issuer` on `products` to `targets`, without licences, leakage
/// or content rule.
pub fn control(model: &Model, issuer: &str, products: &[&str], targets: Targets) -> ExportControl {
    ExportControl {
        issuer: region(issuer),
        products: products.iter().map(|p| model.product_id(p).expect("product exists")).collect(),
        targets,
        licence: None,
        leakage: None,
        content: None,
        announcement: None,
    }
}

/// The id of a product.
pub fn product(model: &Model, id: &str) -> ProductId {
    model.product_id(id).expect("product exists")
}

/// Asserts that every product's ledger balances to the micro-unit.
pub fn assert_conserved(result: &RunResult) {
    for (index, ledger) in result.ledgers.iter().enumerate() {
        assert_eq!(ledger.imbalance(), 0, "product {index}: {ledger:?}");
    }
}

/// (day, kind) of every timeline row.
pub fn timeline(result: &RunResult) -> Vec<(u32, &'static str)> {
    result.events.iter().map(|e| (e.day, e.kind.as_str())).collect()
}

/// The chain most mechanics tests start from: a Chinese mine (100 t/day, 5 days of output
/// stock) supplies a US line that uses 10 t a day and keeps 25 days on hand; shipments take
/// 5 days.
pub fn ore_chain(horizon: u32) -> Model {
    let mut model = model(&["ore"], horizon);
    let mine = facility(&mut model, "cn_mine", "CN", "ore", 100.0, &[], (5.0, 0.0));
    let line = sink(&mut model, "us_line", "US", "ore", 10.0, 25.0);
    supply(&mut model, Buyer::Sink(line), "ore", &[(mine, 1.0)], 5.0);
    model
}
