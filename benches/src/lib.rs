//! Benchmarks of chokepoint live in `benches/benches/*.rs`; run them with `cargo bench -p
//! chokepoint-benches`. This library holds what they share: the bundled scenarios they
//! load, and the two-echelon chain of the speed peers (`shared/peers/`) written against the
//! engine's API, the same model as `examples/two-echelon.toml` (a test checks they are
//! equal), so the benchmarks can compare the scenario format with the library API.
//! `benches/peers.sh` measures the peers themselves; `docs/performance.md` has the ratios.

use chokepoint_engine::{
    Action, Adaptation, Allocation, Buyer, Dist, End, Event, ExportControl, Facility, FacilityId, Model,
    Noise, Policy, Product, ProductId, Region, Sink, SinkId, Source, Start, Stock, Supply, Targets, Unmet,
};

/// A bundled file, by its path from the repository root.
pub fn bundled(path: &str) -> String {
    format!("{}/../{path}", env!("CARGO_MANIFEST_DIR"))
}

/// The peers' two-echelon chain as a scenario file.
pub const TWO_ECHELON: &str = "examples/two-echelon.toml";
/// The reference AI-chain world (DESIGN.md §7: about 80 facilities and 50 buyers, a year).
pub const AI_WORLD: &str = "scenarios/worlds/ai-chain-2025.toml";
/// The April 2025 rare-earth scenario.
pub const RARE_EARTH: &str = "scenarios/rare-earth-controls-april-2025.toml";
/// The October 2025 rare-earth package.
pub const OCTOBER: &str = "scenarios/rare-earth-controls-october-2025.toml";

/// The scenario of a bundled file (a path from the repository root).
///
/// # Panics
///
/// If the bundled file does not load: the benchmarks cannot run without it.
pub fn load(path: &str) -> chokepoint_scenario::Scenario {
    let path = bundled(path);
    chokepoint_scenario::load_path(std::path::Path::new(&path), &mut |p| {
        std::fs::read_to_string(p).map_err(|e| e.to_string())
    })
    .unwrap_or_else(|e| panic!("{path} does not load: {e:?}"))
    .scenario
}

/// The seed of `examples/two-echelon.toml`.
pub const TWO_ECHELON_SEED: u64 = 42;

/// The peers' two-echelon chain built with the engine's API: upstream (ample, China) →
/// supplier depot, (s, S) = (300, 1000), lognormal lead time mean 10 d, CV 0.6 → warehouse,
/// (s, S) = (150, 400), lognormal transit mean 4 d, CV 0.5 → Poisson(20) a day, lost sales;
/// an export ban on the upstream link on days 700–790; 5 years.
pub fn two_echelon() -> Model {
    let region = |code: &str| Region::new(code).unwrap_or_else(|| panic!("{code} is a region code"));
    let product = |id: &str, name: &str| Product {
        id: id.into(),
        name: name.into(),
        unit: "units".into(),
        value: 1.0,
        price: None,
    };
    let (goods, at_depot) = (ProductId(0), ProductId(1));
    let (depot, upstream) = (FacilityId(0), FacilityId(1));
    let facility = |id: &str, code: &str, product: ProductId| Facility {
        id: id.into(),
        region: region(code),
        product,
        capacity: Dist::Const(1e6),
        recipe: Vec::new(),
        output_stock: Stock::Units(0.0),
        input_stock: Stock::Days(30.0),
        policy: Policy::DaysOfUse { target_days: 30.0, review_days: 1 },
        online_day: 0,
        ramp: Dist::Const(0.0),
        allocation: None,
        sector: "civil".into(),
    };
    Model {
        products: vec![
            product("goods", "Goods upstream"),
            product("goods_at_depot", "Goods at the supplier depot"),
        ],
        blocs: Vec::new(),
        facilities: vec![
            Facility {
                recipe: vec![(goods, 1.0)],
                input_stock: Stock::Units(1000.0),
                policy: Policy::Units { reorder_point: Some(300.0), order_up_to: 1000.0, review_days: 1 },
                ..facility("supplier_depot", "US", at_depot)
            },
            Facility { output_stock: Stock::Units(1e6), ..facility("upstream", "CN", goods) },
        ],
        sinks: vec![Sink {
            id: "warehouse".into(),
            region: region("US"),
            product: at_depot,
            rate: 20.0,
            growth: 0.0,
            noise: Noise::Poisson,
            sector: "civil".into(),
            unmet: Unmet::Lost,
            stock: Stock::Units(400.0),
            policy: Policy::Units { reorder_point: Some(150.0), order_up_to: 400.0, review_days: 1 },
        }],
        supplies: vec![
            Supply {
                buyer: Buyer::Facility(depot),
                product: goods,
                sources: vec![Source { from: upstream, share: 1.0 }],
                transit: Dist::LogNormal { mean: 10.0, sd: 6.0 },
                alternates: Vec::new(),
            },
            Supply {
                buyer: Buyer::Sink(SinkId(0)),
                product: at_depot,
                sources: vec![Source { from: depot, share: 1.0 }],
                transit: Dist::LogNormal { mean: 4.0, sd: 2.0 },
                alternates: Vec::new(),
            },
        ],
        events: vec![Event {
            id: "upstream-ban".into(),
            start: Start::Day(700),
            end: Some(End::Day(790)),
            action: Action::ExportControl(ExportControl {
                issuer: region("CN"),
                products: vec![goods],
                targets: Targets::All,
                licence: None,
                leakage: None,
                content: None,
                announcement: None,
            }),
        }],
        allocation: Allocation::Proportional,
        horizon_days: 1825,
        adaptation: Adaptation::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_chain_is_the_scenario_file() {
        let scenario = load(TWO_ECHELON);
        assert_eq!(two_echelon(), scenario.model);
        assert_eq!(scenario.seed, TWO_ECHELON_SEED);
    }

    #[test]
    fn the_chain_behaves_like_the_peers() {
        // The peers' mean fill rate is about 0.935 (shared/peers/README.md); the engine's
        // whole-day transit and depot with an output stock differ in detail, so the fill
        // rate over 20 replicates must be near it, not equal. Without the ban it is higher.
        let model = two_echelon();
        let plan = chokepoint_engine::Plan::new(&model).expect("valid");
        let fill = |plan: &chokepoint_engine::Plan<'_>| {
            (0..20)
                .map(|replicate| {
                    let result = plan.run(chokepoint_engine::RunConfig { seed: TWO_ECHELON_SEED, replicate });
                    let warehouse = result.entities.iter().position(|e| e.id == "warehouse").expect("sink");
                    result.kpis[warehouse].fill_rate
                })
                .sum::<f64>()
                / 20.0
        };
        let with_ban = fill(&plan);
        assert!((0.90..0.99).contains(&with_ban), "fill rate {with_ban}");
        let mut calm = model.clone();
        calm.events.clear();
        let without = fill(&chokepoint_engine::Plan::new(&calm).expect("valid"));
        assert!(without > with_ban + 0.02, "without the ban {without}, with {with_ban}");
    }
}
