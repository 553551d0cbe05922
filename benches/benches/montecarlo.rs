//! Benchmarks of Monte Carlo batches (DESIGN.md §7): replicates per second of the April 2025
//! rare-earth scenario, the AI-chain world and the peers' two-echelon chain, with everything
//! a sweep does per replicate (the run, its checks, and adding it to the per-step histograms
//! and KPI summaries).
//!
//! Parallel efficiency = (runs/s on 2 threads) / (2 × runs/s on 1 thread). Run with
//! `cargo bench -p chokepoint-benches --bench montecarlo`; figures go in docs/performance.md.
//! Peak memory at 1,000 and 100,000 runs is measured on the command (see performance.md).
//! `rank_rare_earth_world` measures `chokepoint rank` the same way.

use std::sync::atomic::AtomicBool;

use chokepoint_benches::{AI_WORLD, RARE_EARTH, TWO_ECHELON};
use chokepoint_montecarlo::{Bands, Hooks, Point, Shard, SweepConfig, sweep};
use divan::Bencher;
use divan::counter::ItemsCount;

fn main() {
    divan::main();
}

/// Replicates per sample: enough batches that the pool's start and the last batch's tail
/// are a small part of the time.
const RUNS: u64 = 256;

/// A sweep of `runs` replicates of a bundled scenario on `threads` worker threads, keeping
/// the bands a command keeps by default (every entity's shortage fraction and the watched
/// entities' series) or every series.
fn bench_sweep(bencher: Bencher<'_, '_>, path: &str, runs: u64, threads: usize, all: bool) {
    let scenario = chokepoint_benches::load(path);
    let plan = chokepoint_engine::Plan::new(&scenario.model).expect("the bundled model is valid");
    let points = [Point { settings: Vec::new(), plan }];
    let watched = if scenario.report.watch.is_empty() {
        scenario.model.sinks.iter().map(|s| s.id.clone()).collect()
    } else {
        scenario.report.watch.clone()
    };
    let config = SweepConfig {
        seed: scenario.seed,
        runs,
        shard: Shard::WHOLE,
        threads,
        step_days: scenario.report.step_days,
        tag: 0,
        bands: if all { Bands::All } else { Bands::Watched(watched) },
    };
    let cancel = AtomicBool::new(false);
    bencher.counter(ItemsCount::new(runs)).bench_local(|| {
        let hooks = Hooks { cancel: &cancel, progress: &|_| {} };
        sweep(&points, &config, &hooks, &mut |_| Ok(()))
            .map_err(|e| format!("{e:?}"))
            .expect("the sweep runs")
    });
}

/// `RUNS` replicates of the April scenario on 1 and 2 threads (parallel efficiency), with
/// the default bands.
#[divan::bench(args = [1, 2], sample_count = 10, sample_size = 1)]
fn sweep_rare_earth(bencher: Bencher<'_, '_>, threads: usize) {
    bench_sweep(bencher, RARE_EARTH, RUNS, threads, false);
}

/// The same with every series' bands (`--bands all`).
#[divan::bench(sample_count = 10, sample_size = 1)]
fn sweep_rare_earth_all_bands(bencher: Bencher<'_, '_>) {
    bench_sweep(bencher, RARE_EARTH, RUNS, 1, true);
}

/// The peers' two-echelon chain swept on one thread: the time per replicate beside
/// SimPy's and the hand-written loop's (`benches/peers.sh`).
#[divan::bench(sample_count = 10, sample_size = 1)]
fn sweep_two_echelon(bencher: Bencher<'_, '_>) {
    bench_sweep(bencher, TWO_ECHELON, 1000, 1, false);
}

/// The reference AI-chain world swept on 1 and 2 threads.
#[divan::bench(args = [1, 2], sample_count = 5, sample_size = 1)]
fn sweep_ai_world(bencher: Bencher<'_, '_>, threads: usize) {
    bench_sweep(bencher, AI_WORLD, 64, threads, false);
}

const RARE_EARTH_WORLD: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios/worlds/rare-earths-2025.toml");

/// Replicates per candidate in the ranking benchmark.
const RANK_RUNS: u64 = 8;

/// `chokepoint rank` of the rare-earth world by facility (19 candidates and the baseline, a
/// 90-day full stop each, `RANK_RUNS` runs each, every sink watched) on `threads` worker threads: runs, checks
/// and the comparison of each watched buyer with its baseline.
#[divan::bench(args = [1, 2], sample_count = 10, sample_size = 1)]
fn rank_rare_earth_world(bencher: Bencher<'_, '_>, threads: usize) {
    use chokepoint_montecarlo::{By, Disruption, DisruptionKind, RankConfig, candidates, rank};
    let scenario = chokepoint_scenario::load_path(std::path::Path::new(RARE_EARTH_WORLD), &mut |p| {
        std::fs::read_to_string(p).map_err(|e| e.to_string())
    })
    .expect("the bundled world loads")
    .scenario;
    let model = &scenario.model;
    let disruption = Disruption { kind: DisruptionKind::FullStop, start_day: 0, days: 90 };
    let candidates = candidates(model, By::Facility);
    let models: Vec<_> =
        candidates.iter().map(|c| c.disrupt(model, &disruption).expect("disruptable")).collect();
    let plans: Vec<_> =
        models.iter().map(|m| chokepoint_engine::Plan::new(m).expect("valid model")).collect();
    let baseline = chokepoint_engine::Plan::new(model).expect("valid model");
    // The world watches nobody in particular: every demand sink, as the command does.
    let watch: Vec<String> = model.sinks.iter().map(|s| s.id.clone()).collect();
    let config = RankConfig {
        seed: scenario.seed,
        runs: RANK_RUNS,
        shard: Shard::WHOLE,
        threads,
        start_day: 0,
        tag: 0,
    };
    let cancel = AtomicBool::new(false);
    let total = RANK_RUNS * (plans.len() as u64 + 1);
    bencher.counter(ItemsCount::new(total)).bench_local(|| {
        let hooks = Hooks { cancel: &cancel, progress: &|_| {} };
        rank(&baseline, &plans, &watch, &config, &hooks)
            .map_err(|e| format!("{e:?}"))
            .expect("the ranking runs")
    });
}
