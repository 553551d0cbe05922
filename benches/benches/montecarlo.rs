//! Benchmarks of Monte Carlo batches (DESIGN.md §7): replicates per second of the April 2025
//! rare-earth scenario on 1 and 2 threads, with everything a sweep does per replicate (the
//! run, its checks, and adding it to the per-day histograms and KPI summaries).
//!
//! Parallel efficiency = (runs/s on 2 threads) / (2 × runs/s on 1 thread). Run with
//! `cargo bench -p chokepoint-benches --bench montecarlo`; figures go in docs/performance.md.
//! Peak memory at 1,000 and 100,000 runs is measured on the command (see performance.md).

use std::sync::atomic::AtomicBool;

use chokepoint_montecarlo::{Hooks, Point, Shard, SweepConfig, sweep};
use divan::Bencher;
use divan::counter::ItemsCount;

fn main() {
    divan::main();
}

const RARE_EARTH: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios/rare-earth-controls-april-2025.toml");

/// Replicates per sample: enough batches that the pool's start and the last batch's tail
/// are a small part of the time.
const RUNS: u64 = 256;

/// A sweep of `RUNS` replicates of the April scenario on `threads` worker threads.
#[divan::bench(args = [1, 2], sample_count = 10, sample_size = 1)]
fn sweep_rare_earth(bencher: Bencher<'_, '_>, threads: usize) {
    let scenario = chokepoint_scenario::load_path(std::path::Path::new(RARE_EARTH), &mut |p| {
        std::fs::read_to_string(p).map_err(|e| e.to_string())
    })
    .expect("the bundled scenario loads")
    .scenario;
    let plan = chokepoint_engine::Plan::new(&scenario.model).expect("the bundled model is valid");
    let points = [Point { settings: Vec::new(), plan }];
    let config = SweepConfig {
        seed: scenario.seed,
        runs: RUNS,
        shard: Shard::WHOLE,
        threads,
        step_days: scenario.report.step_days,
        tag: 0,
    };
    let cancel = AtomicBool::new(false);
    bencher.counter(ItemsCount::new(RUNS)).bench_local(|| {
        let hooks = Hooks { cancel: &cancel, progress: &|_| {} };
        sweep(&points, &config, &hooks, &mut |_| Ok(()))
            .map_err(|e| format!("{e:?}"))
            .expect("the sweep runs")
    });
}
