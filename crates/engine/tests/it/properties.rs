//! Properties over random small chains: conservation of every product, no negative stock,
//! exports by route that match the facilities' exports, and determinism.

use chokepoint_engine::*;
use proptest::prelude::*;

use crate::support::*;

/// A random chain: `n_tiers` tiers of facilities, each tier making its own product from
/// the tier above; sinks at the bottom; random shares, transit times, noise and controls.
#[derive(Clone, Debug)]
struct ChainSpec {
    tiers: Vec<Vec<(u8, f64, f64, f64)>>, // per facility: (region, capacity, output days, input days)
    sinks: Vec<(u8, f64, f64, bool)>,     // (region, rate, stock days, backlog)
    shares_seed: Vec<f64>,
    transit: (f64, f64),
    controls: Vec<(u8, usize, u32, Option<u32>)>, // (issuer region, tier, start, length)
    horizon: u32,
}

const REGIONS: [&str; 4] = ["CN", "US", "JP", "AU"];

fn chain() -> impl Strategy<Value = ChainSpec> {
    let facility = (0u8..4, 1.0..50.0f64, 0.0..10.0f64, 0.0..20.0f64);
    let tiers = prop::collection::vec(prop::collection::vec(facility, 1..4), 1..4);
    let sinks = prop::collection::vec((0u8..4, 0.0..30.0f64, 0.0..20.0f64, any::<bool>()), 1..4);
    let controls = prop::collection::vec((0u8..4, 0usize..3, 0u32..60, prop::option::of(1u32..60)), 0..3);
    (tiers, sinks, prop::collection::vec(0.01..1.0f64, 16), (1.0..10.0f64, 0.0..3.0f64), controls, 20u32..120)
        .prop_map(|(tiers, sinks, shares_seed, transit, controls, horizon)| ChainSpec {
            tiers,
            sinks,
            shares_seed,
            transit,
            controls,
            horizon,
        })
}

fn build(spec: &ChainSpec) -> Model {
    let names: Vec<String> = (0..spec.tiers.len()).map(|t| format!("p{t}")).collect();
    let name_refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut model = model(&name_refs, spec.horizon);
    let mut share_values = spec.shares_seed.iter().cycle();
    let mut tier_ids: Vec<Vec<FacilityId>> = Vec::new();
    for (t, tier) in spec.tiers.iter().enumerate() {
        let recipe: Vec<(&str, f64)> = if t == 0 { vec![] } else { vec![(name_refs[t - 1], 1.5)] };
        let ids = tier
            .iter()
            .enumerate()
            .map(|(i, &(r, capacity, out_days, in_days))| {
                facility(
                    &mut model,
                    &format!("f{t}_{i}"),
                    REGIONS[r as usize],
                    name_refs[t],
                    capacity,
                    &recipe,
                    (out_days, in_days),
                )
            })
            .collect();
        tier_ids.push(ids);
    }
    let mut shares = |n: usize| {
        let raw: Vec<f64> = (0..n).map(|_| *share_values.next().expect("cycle")).collect();
        let sum: f64 = raw.iter().sum();
        raw.into_iter().map(|v| v / sum).collect::<Vec<f64>>()
    };
    let transit = Dist::Normal { mean: spec.transit.0, sd: spec.transit.1 };
    for t in 1..spec.tiers.len() {
        for i in 0..spec.tiers[t].len() {
            let s = shares(tier_ids[t - 1].len());
            let sources: Vec<(FacilityId, f64)> = tier_ids[t - 1].iter().copied().zip(s).collect();
            supply(&mut model, Buyer::Facility(tier_ids[t][i]), name_refs[t - 1], &sources, 1.0);
            model.supplies.last_mut().expect("just pushed").transit = transit.clone();
        }
    }
    let last = spec.tiers.len() - 1;
    for (i, &(r, rate, stock_days, backlog)) in spec.sinks.iter().enumerate() {
        let id = sink(&mut model, &format!("s{i}"), REGIONS[r as usize], name_refs[last], rate, stock_days);
        let sink = &mut model.sinks[id.0 as usize];
        sink.noise = Noise::Poisson;
        if backlog {
            sink.unmet = Unmet::Backlog;
        }
        let s = shares(tier_ids[last].len());
        let sources: Vec<(FacilityId, f64)> = tier_ids[last].iter().copied().zip(s).collect();
        supply(&mut model, Buyer::Sink(id), name_refs[last], &sources, 1.0);
        model.supplies.last_mut().expect("just pushed").transit = transit.clone();
    }
    for (c, &(r, tier, start, length)) in spec.controls.iter().enumerate() {
        let tier = tier.min(last);
        ban(
            &mut model,
            &format!("c{c}"),
            REGIONS[r as usize],
            &[name_refs[tier]],
            start,
            length.map(|l| start + l),
        );
    }
    model
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn every_product_is_conserved_and_no_stock_goes_negative(spec in chain(), seed in any::<u64>()) {
        let model = build(&spec);
        let result = simulate(&model, seed);
        for (product, ledger) in model.products.iter().zip(&result.ledgers) {
            prop_assert_eq!(ledger.imbalance(), 0, "{}: {:?}", product.id, ledger);
        }
        for series in &result.series {
            if series.metric.contains("stock") || series.metric.contains("transit") {
                prop_assert!(series.values.iter().all(|&v| v >= 0.0), "{} {} negative", series.entity, series.metric);
            }
        }
        for kpis in &result.kpis {
            prop_assert!((0.0..=1.0).contains(&kpis.fill_rate));
            prop_assert!((0.0..=1.0).contains(&kpis.peak_shortage));
        }
    }

    #[test]
    fn exports_by_route_are_what_facilities_export_and_routes_do_not_depend_on_the_seed(
        spec in chain(),
        seed in any::<u64>(),
    ) {
        // Without leakage every export is one direct shipment: what leaves a region for all
        // others on a day, per product, is exactly what its facilities' `exported` says.
        let model = build(&spec);
        let result = simulate(&model, seed);
        let micro = |units: f64| (units * 1e6).round() as i64;
        for flow in &result.trade {
            prop_assert!(flow.exporter != flow.importer);
            prop_assert_eq!(flow.daily.len(), spec.horizon as usize);
        }
        for code in REGIONS {
            for product in 0..model.products.len() as u32 {
                let exported: Vec<&[f64]> = (model.facilities.iter())
                    .filter(|f| f.region == region(code) && f.product.0 == product)
                    .map(|f| series(&result, &f.id, "exported"))
                    .collect();
                let routes: Vec<&[f64]> = (result.trade.iter())
                    .filter(|f| f.exporter == region(code) && f.product.0 == product)
                    .map(|f| f.daily.as_slice())
                    .collect();
                for day in 0..spec.horizon as usize {
                    let by_facility: i64 = exported.iter().map(|values| micro(values[day])).sum();
                    let by_route: i64 = routes.iter().map(|values| micro(values[day])).sum();
                    prop_assert_eq!(by_route, by_facility, "{} product {} day {}", code, product, day);
                }
            }
        }
        let layout = |r: &RunResult| r.trade.iter().map(|f| (f.exporter, f.importer, f.product)).collect::<Vec<_>>();
        prop_assert_eq!(layout(&result), layout(&simulate(&model, seed.wrapping_add(1))));
    }

    #[test]
    fn the_same_seed_gives_the_same_run(spec in chain(), seed in any::<u64>()) {
        let model = build(&spec);
        prop_assert_eq!(simulate(&model, seed), simulate(&model, seed));
    }

    #[test]
    fn a_run_recording_some_series_is_the_whole_run_with_only_those(spec in chain(), seed in any::<u64>()) {
        let model = build(&spec);
        let plan = Plan::new(&model).expect("valid");
        let config = RunConfig { seed, replicate: 0 };
        let whole = plan.run(config);
        // Keep each sink's stock and the first facility's production; demand and unmet of
        // every entity come anyway (the KPIs read them).
        let first = model.facilities[0].id.clone();
        let keep = |id: &str, metric: &str| {
            (metric == "stock" && model.sinks.iter().any(|s| s.id == id)) || (id == first && metric == "production")
        };
        let filter = plan.series_filter(keep);
        let mut workspace = Workspace::new();
        for _ in 0..2 {
            let lean = plan.run_with(config, &mut workspace, &filter);
            let expected: Vec<&Series> = whole
                .series
                .iter()
                .filter(|s| {
                    matches!(s.metric.as_str(), "demand" | "unmet") || keep(&whole.entities[s.entity].id, &s.metric)
                })
                .collect();
            prop_assert_eq!(lean.series.iter().collect::<Vec<_>>(), expected);
            prop_assert_eq!(filter.len(), lean.series.len());
            prop_assert_eq!(&lean.kpis, &whole.kpis);
            prop_assert_eq!(&lean.ledgers, &whole.ledgers);
            prop_assert_eq!(&lean.trade, &whole.trade);
            prop_assert_eq!(&lean.events, &whole.events);
            workspace.recycle(lean);
        }
        // And the whole run again in the same workspace.
        prop_assert_eq!(plan.run_in(config, &mut workspace), whole);
    }

    #[test]
    fn a_reused_workspace_gives_the_runs_of_fresh_ones(
        first in chain(),
        second in chain(),
        seed in any::<u64>(),
    ) {
        // One workspace goes from one chain to another and back, each result recycled: the
        // buffers of another plan (other series, routes, horizon) must not leak into a run.
        let (a, b) = (build(&first), build(&second));
        let (plan_a, plan_b) = (Plan::new(&a).expect("valid"), Plan::new(&b).expect("valid"));
        let mut workspace = Workspace::new();
        for (plan, replicate) in [(&plan_a, 0), (&plan_b, 1), (&plan_a, 2), (&plan_a, 3), (&plan_b, 4)] {
            let config = RunConfig { seed, replicate };
            let reused = plan.run_in(config, &mut workspace);
            prop_assert_eq!(&reused, &plan.run(config));
            workspace.recycle(reused);
        }
    }
}

#[test]
fn different_seeds_give_different_runs_and_a_replicate_is_its_own_stream() {
    let spec = ChainSpec {
        tiers: vec![vec![(0, 40.0, 2.0, 0.0), (2, 40.0, 2.0, 0.0)], vec![(1, 60.0, 2.0, 5.0)]],
        sinks: vec![(1, 20.0, 3.0, false)],
        shares_seed: vec![0.5, 0.5],
        transit: (4.0, 2.0),
        controls: vec![(0, 0, 10, None)],
        horizon: 60,
    };
    let model = build(&spec);
    let demand = |r: &RunResult| r.series("s0", "demand").expect("sink demand").to_vec();
    let a = simulate(&model, 1);
    assert_ne!(demand(&a), demand(&simulate(&model, 2)));
    let replicate_1 = chokepoint_engine::run(&model, RunConfig { seed: 1, replicate: 1 }).expect("valid");
    assert_ne!(demand(&a), demand(&replicate_1));
    // Transit draws are their own stream: changing demand noise leaves them alone.
    assert_eq!(a.series("f1_0", "in_transit.p0"), simulate(&model, 1).series("f1_0", "in_transit.p0"));
}
