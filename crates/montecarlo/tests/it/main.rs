//! Batches as a user of the library runs them: the same bits whatever the threads and
//! shards, and distributions that match theory.

use std::sync::atomic::AtomicBool;

use chokepoint_engine::*;
use chokepoint_montecarlo::{
    Aggregate, Bands, Hooks, Point, Shard, Stop, SweepConfig, replicate_seed, sweep,
};

mod rank;

/// A buyer of `rate` a day (Poisson) holding `stock` units, whose only supplier comes
/// online after the horizon: nothing ever arrives, so the stock only runs down.
pub(crate) fn run_down(rate: f64, stock: f64, horizon_days: u32) -> Model {
    let region = |c: &str| Region::new(c).expect("valid region");
    let product =
        |id: &str| Product { id: id.into(), name: id.into(), unit: "t".into(), value: 2.0, price: None };
    let mut model = Model { products: vec![product("part")], horizon_days, ..Model::default() };
    model.facilities.push(Facility {
        id: "supplier".into(),
        region: region("CN"),
        product: ProductId(0),
        capacity: Dist::Const(1000.0),
        recipe: vec![],
        output_stock: Stock::Days(0.0),
        input_stock: Stock::Days(0.0),
        policy: Policy::DaysOfUse { target_days: 0.0, review_days: 1 },
        online_day: horizon_days + 1000,
        ramp: Dist::Const(0.0),
        allocation: None,
        sector: "civil".into(),
    });
    model.sinks.push(Sink {
        id: "buyer".into(),
        region: region("US"),
        product: ProductId(0),
        rate,
        growth: 0.0,
        noise: Noise::Poisson,
        sector: "civil".into(),
        unmet: Unmet::Lost,
        stock: Stock::Units(stock),
        policy: Policy::DaysOfUse { target_days: 10.0, review_days: 1 },
    });
    model.supplies.push(Supply {
        buyer: Buyer::Sink(SinkId(0)),
        product: ProductId(0),
        sources: vec![Source { from: FacilityId(0), share: 1.0 }],
        transit: Dist::Const(5.0),
        alternates: vec![],
    });
    model
}

fn config(runs: u64, threads: usize, shard: Shard) -> SweepConfig {
    SweepConfig { seed: 99, runs, shard, threads, step_days: 1, tag: 7, bands: Bands::All }
}

/// Runs a batch, returning the aggregate and the (point, run, seed, unmet) of every row.
fn batch(points: &[Point<'_>], config: SweepConfig) -> (Aggregate, Vec<(usize, u64, u64, f64)>) {
    let cancel = AtomicBool::new(false);
    let hooks = Hooks { cancel: &cancel, progress: &|_| {} };
    let mut rows = Vec::new();
    let mut sink = |r: &chokepoint_montecarlo::RunKpis<'_>| {
        rows.push((r.point, r.run, r.seed, r.kpis.iter().map(|k| k.unmet_units).sum()));
        Ok(())
    };
    let aggregate =
        sweep(points, &config, &hooks, &mut sink).map_err(|s| format!("{s:?}")).expect("batch runs");
    (aggregate, rows)
}

fn points<'m>(models: &'m [Model]) -> Vec<Point<'m>> {
    models
        .iter()
        .enumerate()
        .map(|(i, m)| Point {
            settings: vec![("x".into(), i.to_string())],
            plan: Plan::new(m).expect("valid model"),
        })
        .collect()
}

/// P(X ≤ k) for X ~ Poisson(mean).
fn poisson_cdf(mean: f64, k: u64) -> f64 {
    let mut term = (-mean).exp();
    let mut total = term;
    for i in 1..=k {
        term *= mean / i as f64;
        total += term;
    }
    total
}

#[test]
fn the_survival_curve_of_a_running_down_stock_is_the_poisson_tail() {
    // Stock 100, Poisson(10) a day, lost sales, no resupply: demand first goes unmet on the
    // first day d whose cumulative demand D_0 + … + D_d exceeds 100, so the probability of no
    // shortage by the end of day d is P(Poisson(10 (d + 1)) ≤ 100).
    let models = [run_down(10.0, 100.0, 20)];
    let points = points(&models);
    let runs = 4000;
    let (aggregate, _) = batch(&points, config(runs, 0, Shard::WHOLE));
    let buyer =
        aggregate.points[0].layout.as_ref().expect("ran").entities.iter().position(|e| e.id == "buyer");
    let summary = &aggregate.points[0].kpis[buyer.expect("buyer reported")];
    let mut short_by = 0u64;
    for (day, &count) in summary.first_short_day.counts().iter().enumerate().take(20) {
        short_by += u64::from(count);
        let simulated = 1.0 - short_by as f64 / runs as f64;
        let theory = poisson_cdf(10.0 * (day + 1) as f64, 100);
        // Binomial standard error at most 0.5/sqrt(4000) = 0.0079: allow four.
        assert!(
            (simulated - theory).abs() < 0.032,
            "day {day}: simulated {simulated:.4}, theory {theory:.4}"
        );
    }
    // The median first day of shortage: P(no shortage by day 9) = P(Poisson(100) ≤ 100) ≈ 0.53,
    // by day 10 P(Poisson(110) ≤ 100) ≈ 0.17, so half the runs are short on day 10.
    assert_eq!(summary.first_short_day.quantile(0.5), Some(10));
    assert_eq!(summary.short_runs, runs, "every run is short within 20 days (P ≈ 1 − 1e-14)");
}

#[test]
fn one_or_two_threads_and_any_shards_give_the_same_bits() {
    let models = [run_down(10.0, 100.0, 40), run_down(10.0, 150.0, 40)];
    let points = points(&models);
    let (one, rows_one) = batch(&points, config(60, 1, Shard::WHOLE));
    let (two, rows_two) = batch(&points, config(60, 2, Shard::WHOLE));
    assert!(one == two, "1 and 2 threads differ");
    assert_eq!(rows_one, rows_two);
    // Rows come in index order: run, then point, each with its own seed.
    assert_eq!(rows_one[0..3].iter().map(|r| (r.0, r.1)).collect::<Vec<_>>(), [(0, 0), (1, 0), (0, 1)]);
    assert_eq!(rows_one[2].2, replicate_seed(99, 1));

    let mut parts = Vec::new();
    let mut rows = Vec::new();
    // Shards given out of order, run with different thread counts.
    for index in [2, 0, 1] {
        let (part, part_rows) = batch(&points, config(60, 1 + index as usize % 2, Shard { index, count: 3 }));
        parts.push(part);
        rows.push((index, part_rows));
    }
    // Shards travel as JSON; the trip must not change a bit.
    let parts: Vec<Aggregate> = parts
        .iter()
        .map(|p| serde_json::from_str(&serde_json::to_string(p).expect("to JSON")).expect("from JSON"))
        .collect();
    let merged = Aggregate::merge(parts.clone()).expect("shards merge");
    assert!(merged == one, "merged shards differ from the whole");
    rows.sort_by_key(|r| r.0);
    assert_eq!(rows.into_iter().flat_map(|r| r.1).collect::<Vec<_>>(), rows_one);

    // A missing or doubled shard is refused.
    let missing = Aggregate::merge(parts[..2].to_vec()).expect_err("a shard is missing");
    assert!(missing.contains("missing shard 1/3"), "{missing}");
    let doubled =
        Aggregate::merge(vec![parts[0].clone(), parts[0].clone(), parts[1].clone(), parts[2].clone()]);
    assert!(doubled.expect_err("doubled").contains("twice"));
    // A part numbered past the count (every shard present besides) would add runs of its
    // own: refused, not merged.
    let mut stray = parts[0].clone();
    stray.shard.index = 3;
    let mut with_stray = parts.clone();
    with_stray.push(stray);
    let refused = Aggregate::merge(with_stray).expect_err("shard 3/3 does not exist");
    assert!(refused.contains("shard 3/3 does not exist"), "{refused}");
}

#[test]
fn points_share_random_numbers_and_run_zero_is_the_single_run() {
    // Two identical points draw the same demand in every replicate, so their summaries agree.
    let models = [run_down(10.0, 100.0, 30), run_down(10.0, 100.0, 30)];
    let points = points(&models);
    let (aggregate, rows) = batch(&points, config(50, 2, Shard::WHOLE));
    assert!(aggregate.points[0] == aggregate.points[1]);
    // Replicate 0 runs with the base seed: what `chokepoint run --seed 99` plays.
    let single = points[0].plan.run(RunConfig { seed: 99, replicate: 0 });
    assert_eq!(rows[0].3, single.kpis.iter().map(|k| k.unmet_units).sum::<f64>());
    // Replicate 7 is replayed by its seed alone.
    let seventh = points[0].plan.run(RunConfig { seed: replicate_seed(99, 7), replicate: 0 });
    let row = rows.iter().find(|r| r.0 == 0 && r.1 == 7).expect("row of run 7");
    assert_eq!(row.3, seventh.kpis.iter().map(|k| k.unmet_units).sum::<f64>());
}

#[test]
fn a_raised_cancel_flag_stops_before_any_run() {
    let models = [run_down(10.0, 100.0, 30)];
    let points = points(&models);
    let cancel = AtomicBool::new(true);
    let hooks = Hooks { cancel: &cancel, progress: &|_| {} };
    let stop = sweep(&points, &config(10, 1, Shard::WHOLE), &hooks, &mut |_| Ok(()));
    assert!(matches!(stop, Err(Stop::Cancelled { completed: 0 })));
}
