//! The batch loop: replicates on a rayon pool in batches of a fixed memory budget, each
//! replicate checked, then added to the point's summaries in parallel over cells.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};

use chokepoint_engine::{Kpis, Plan, RunConfig, RunResult, SeriesFilter, Workspace};
use rayon::prelude::*;

use crate::{
    Aggregate, Band, Bands, Entity, Histogram, KpiSummary, Layout, Point, PointAggregate, ReplicateFailure,
    RunKpis, Stop, SweepConfig, replicate_seed,
};

/// What the caller lends a batch: a flag to stop it and a callback told of every replicate
/// finished (called from worker threads).
pub struct Hooks<'a> {
    /// Raised (for example by Ctrl-C) to stop at the next replicate.
    pub cancel: &'a AtomicBool,
    /// Called with 1 as each replicate finishes.
    pub progress: &'a (dyn Fn(u64) + Sync),
}

/// Most memory the per-step summaries of all points may take.
pub const MEMORY_LIMIT: u64 = 8 << 30;
/// Most memory the raw results of one batch may take.
const BATCH_BYTES: usize = 256 << 20;
/// Replicates per worker thread in a batch (enough that uneven run times even out).
const TASKS_PER_THREAD: usize = 32;
/// Cells per parallel task when adding a batch to the summaries: 32 histograms (18 KB) stay
/// in the first-level cache while every replicate of the batch goes in.
const CHUNK: usize = 32;
/// Values below this are rounding, not a negative stock.
const NEGATIVE_TOLERANCE: f64 = -1e-9;

/// What one replicate hands back.
struct Outcome {
    /// Its layout, when the point's was not known yet (else it was checked against it).
    layout: Option<Layout>,
    values: Vec<f64>,
    kpis: Vec<Kpis>,
    /// First day with unmet demand, per entity.
    first_short: Vec<Option<u32>>,
    /// Fewest days of cover, per entity (`RunResult::headroom`).
    headroom: Vec<Option<f64>>,
}

/// Runs replicates `config.shard.range(config.runs)` of every point and reduces them (see
/// the crate documentation). `rows` is called once per replicate and point, in index order
/// (run, then point), after the replicate has been added.
pub fn sweep(
    points: &[Point<'_>],
    config: &SweepConfig,
    hooks: &Hooks<'_>,
    rows: &mut (dyn FnMut(&RunKpis<'_>) -> Result<(), String> + Send),
) -> Result<Aggregate, Stop> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(config.threads)
        .build()
        .map_err(|e| Stop::Other(format!("cannot start the worker threads: {e}")))?;
    let threads = pool.current_num_threads();
    let range = config.shard.range(config.runs);
    let n_points = points.len().max(1);
    let mut aggregate = Aggregate {
        tag: config.tag,
        seed: config.seed,
        runs: config.runs,
        shard: config.shard,
        step_days: config.step_days,
        points: points
            .iter()
            .map(|_| PointAggregate { runs: 0, layout: None, cells: Vec::new(), kpis: Vec::new() })
            .collect(),
    };
    let mut completed = 0u64;
    // Tasks are (run, point) pairs in index order, run-major; a batch is a slice of them
    // (not whole runs, so a grid of many points never runs all its points at once).
    let n_tasks = (range.end - range.start) * points.len() as u64;
    let task = |t: u64| (range.start + t / points.len() as u64, (t % points.len() as u64) as usize);
    let mut batch_tasks = threads.max(1) as u64;
    // Each point's replicates record only the series its bands keep (and the KPIs need).
    let filters: Vec<Option<SeriesFilter>> = points
        .iter()
        .map(|p| match &config.bands {
            Bands::All => None,
            bands => Some(p.plan.series_filter(|id, metric| bands.keeps(id, metric))),
        })
        .collect();
    let mut next = 0u64;
    pool.install(|| {
        while next < n_tasks {
            if hooks.cancel.load(Ordering::Relaxed) {
                return Err(Stop::Cancelled { completed });
            }
            let end = (next + batch_tasks).min(n_tasks);
            let tasks: Vec<(u64, usize)> = (next..end).map(task).collect();
            let known: Vec<Option<Layout>> = aggregate.points.iter().map(|p| p.layout.clone()).collect();
            let outcomes: Vec<Option<Result<Outcome, ReplicateFailure>>> = tasks
                .par_iter()
                .map_init(Workspace::new, |workspace, &(run, point)| {
                    if hooks.cancel.load(Ordering::Relaxed) {
                        return None;
                    }
                    let seed = replicate_seed(config.seed, run);
                    let expected = known[point].as_ref();
                    let filter = filters[point].as_ref();
                    let outcome = replicate(&points[point].plan, seed, config, expected, workspace, filter)
                        .map_err(|problem| ReplicateFailure { point, run, seed, problem });
                    (hooks.progress)(1);
                    Some(outcome)
                })
                .collect();
            if outcomes.iter().any(Option::is_none) {
                let finished = outcomes.iter().filter(|o| o.is_some()).count() as u64;
                return Err(Stop::Cancelled { completed: completed + finished });
            }
            let mut failures = Vec::new();
            let mut done = Vec::with_capacity(outcomes.len());
            for outcome in outcomes.into_iter().flatten() {
                match outcome {
                    Ok(o) => done.push(o),
                    Err(f) => failures.push(f),
                }
            }
            if !failures.is_empty() {
                return Err(Stop::Failed(failures));
            }
            // Each point's layout comes from its first replicate; every other must match.
            for (o, &(run, point)) in done.iter().zip(&tasks) {
                let aggregate = &mut aggregate.points[point];
                match (&aggregate.layout, &o.layout) {
                    (None, Some(layout)) => start_point(aggregate, layout, n_points)?,
                    (Some(layout), Some(own)) if layout != own => {
                        return Err(Stop::Failed(vec![ReplicateFailure {
                            point,
                            run,
                            seed: replicate_seed(config.seed, run),
                            problem: "it reports other entities or series than the point's first replicate"
                                .to_owned(),
                        }]));
                    }
                    _ => {}
                }
            }
            for (point, aggregate) in aggregate.points.iter_mut().enumerate() {
                let mine: Vec<&Outcome> =
                    done.iter().zip(&tasks).filter(|(_, t)| t.1 == point).map(|(o, _)| o).collect();
                aggregate.cells.par_chunks_mut(CHUNK).enumerate().for_each(|(chunk_index, chunk)| {
                    let base = chunk_index * CHUNK;
                    for outcome in &mine {
                        let values = &outcome.values[base..base + chunk.len()];
                        for (cell, &value) in chunk.iter_mut().zip(values) {
                            cell.insert(value);
                        }
                    }
                });
                aggregate.runs += mine.len() as u64;
            }
            for (o, &(run, point)) in done.iter().zip(&tasks) {
                let aggregate = &mut aggregate.points[point];
                add_kpis(&mut aggregate.kpis, o);
                let Some(layout) = aggregate.layout.as_ref() else {
                    return Err(Stop::Other("a replicate without the point's layout".to_owned()));
                };
                let seed = replicate_seed(config.seed, run);
                rows(&RunKpis { point, run, seed, layout, kpis: &o.kpis, headroom: &o.headroom })
                    .map_err(Stop::Other)?;
            }
            completed += tasks.len() as u64;
            let values = done.iter().map(|o| o.values.len()).max().unwrap_or(1).max(1);
            let by_memory = BATCH_BYTES / (8 * values);
            let by_threads = TASKS_PER_THREAD * threads;
            batch_tasks = by_memory.min(by_threads).max(1) as u64;
            next = end;
        }
        Ok(())
    })?;
    Ok(aggregate)
}

/// Memory, in bytes, that the per-step summaries of a sweep may take: one band per series,
/// report step and point, each with its histogram (at most: a band that sees only zeros
/// has none). Callers check it against [`MEMORY_LIMIT`] before loading
/// a grid's points, from one replicate's `series` and `n_steps`.
pub fn bands_bytes(n_series: usize, n_steps: usize, n_points: usize) -> u64 {
    (n_series as u64)
        .saturating_mul(n_steps as u64)
        .saturating_mul(n_points as u64)
        .saturating_mul((std::mem::size_of::<Band>() + std::mem::size_of::<Histogram>()) as u64)
}

/// Sets up a point's summaries from its first replicate's layout.
fn start_point(aggregate: &mut PointAggregate, layout: &Layout, n_points: usize) -> Result<(), Stop> {
    let cells = layout.series.len() * layout.n_steps;
    let bytes = bands_bytes(layout.series.len(), layout.n_steps, n_points);
    if bytes > MEMORY_LIMIT {
        return Err(Stop::TooLarge { bytes, limit: MEMORY_LIMIT });
    }
    aggregate.cells = vec![Band::default(); cells];
    aggregate.kpis = layout.entities.iter().map(|_| KpiSummary::new(layout.horizon_days)).collect();
    aggregate.layout = Some(layout.clone());
    Ok(())
}

fn add_kpis(summaries: &mut [KpiSummary], outcome: &Outcome) {
    for (((summary, kpis), first_short), headroom) in
        summaries.iter_mut().zip(&outcome.kpis).zip(&outcome.first_short).zip(&outcome.headroom)
    {
        if let Some(days) = headroom {
            summary.min_cover_days.insert(*days);
        }
        if let Some(day) = first_short {
            summary.short_runs += 1;
            summary.first_short_day.insert(*day);
        }
        if let Some(days) = kpis.time_to_survive_days {
            summary.time_to_survive_days.insert(days);
        }
        if let Some(days) = kpis.time_to_recover_days {
            summary.time_to_recover_days.insert(days);
        }
        summary.peak_shortage.insert(kpis.peak_shortage);
        summary.unmet_units.insert(kpis.unmet_units);
        summary.lost_value.insert(kpis.lost_value);
        summary.fill_rate.insert(kpis.fill_rate);
    }
}

/// Runs one replicate and reduces it to what a sweep keeps (see [`checked_run_in`]): the
/// series `config.bands` keeps, at report steps, and every entity's KPIs and first short
/// day. With the point's layout `expected`, the replicate is checked against it in place
/// (no layout is built); without, its own layout comes back.
fn replicate(
    plan: &Plan<'_>,
    seed: u64,
    config: &SweepConfig,
    expected: Option<&Layout>,
    workspace: &mut Workspace,
    filter: Option<&SeriesFilter>,
) -> Result<Outcome, String> {
    let step_days = config.step_days;
    let mut result = checked_run_in(plan, seed, workspace, filter)?;
    let horizon = result.horizon_days as usize;

    let kept: Vec<usize> = (0..result.series.len())
        .filter(|&i| {
            let series = &result.series[i];
            config.bands.keeps(&result.entities[series.entity].id, &series.metric)
        })
        .collect();
    let n_steps = result.n_steps(step_days);
    let layout = match expected {
        Some(layout) => {
            let same = layout.horizon_days == result.horizon_days
                && layout.n_steps == n_steps
                && layout.entities.len() == result.entities.len()
                && (layout.entities.iter().zip(&result.entities)).all(|(a, b)| {
                    a.id == b.id
                        && a.kind == b.kind.as_str()
                        && a.region == b.region.as_str()
                        && a.product == b.product.0
                })
                && layout.series.len() == kept.len()
                && (layout.series.iter().zip(&kept)).all(|((entity, metric), &i)| {
                    *entity == result.series[i].entity && *metric == result.series[i].metric
                });
            if !same {
                return Err("it reports other entities or series than the point's first replicate".to_owned());
            }
            None
        }
        None => Some(Layout {
            horizon_days: result.horizon_days,
            n_steps,
            entities: result
                .entities
                .iter()
                .map(|e| Entity {
                    id: e.id.clone(),
                    kind: e.kind.as_str().to_owned(),
                    region: e.region.to_string(),
                    product: e.product.0,
                })
                .collect(),
            series: kept
                .iter()
                .map(|&i| (result.series[i].entity, result.series[i].metric.clone()))
                .collect(),
        }),
    };
    let mut values = Vec::with_capacity(kept.len() * n_steps);
    result.step_values_of(step_days, kept.iter().copied(), &mut values);
    let mut first_short = vec![None; result.entities.len()];
    let mut seen = vec![false; result.entities.len()];
    for series in result.series.iter().filter(|s| s.metric == "unmet") {
        if !std::mem::replace(&mut seen[series.entity], true) {
            first_short[series.entity] =
                series.values[..horizon].iter().position(|&v| v > 0.0).map(|d| d as u32);
        }
    }
    let kpis = std::mem::take(&mut result.kpis);
    let headroom = result.headroom.iter().map(|h| h.map(|h| h.min_cover_days)).collect();
    workspace.recycle(result);
    Ok(Outcome { layout, values, kpis, first_short, headroom })
}

/// Runs one replicate in a workspace's buffers and checks it: every product's ledger
/// balances, and every value is finite and not negative. A panic in the engine is caught
/// and reported like a failed check (and the workspace replaced). With a `filter`, only its
/// series are recorded: the checks cover the series recorded, and the ledgers, which cover
/// every stock and flow.
pub(crate) fn checked_run_in(
    plan: &Plan<'_>,
    seed: u64,
    workspace: &mut Workspace,
    filter: Option<&SeriesFilter>,
) -> Result<RunResult, String> {
    let config = RunConfig { seed, replicate: 0 };
    let run = catch_unwind(AssertUnwindSafe(|| match filter {
        Some(filter) => plan.run_with(config, workspace, filter),
        None => plan.run_in(config, workspace),
    }));
    if run.is_err() {
        *workspace = Workspace::new();
    }
    let result = run.map_err(|panic| {
        let message = panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        format!("the engine panicked: {message}")
    })?;
    let model = plan.model();
    for (product, ledger) in model.products.iter().zip(&result.ledgers) {
        let off = ledger.imbalance();
        if off != 0 {
            return Err(format!("the ledger of {} does not balance: off by {off} micro-units", product.id));
        }
    }
    let horizon = result.horizon_days as usize;
    for series in &result.series {
        let values = &series.values[..horizon];
        // A branch-free pass over the whole series (it vectorises); the day only on failure.
        let fine = values.iter().fold(true, |ok, &v| ok & (NEGATIVE_TOLERANCE..=f64::MAX).contains(&v));
        if fine {
            continue;
        }
        let bad = values.iter().position(|v| !v.is_finite() || *v < NEGATIVE_TOLERANCE);
        if let Some(day) = bad {
            return Err(format!(
                "{} {} is {} on day {day}",
                result.entities[series.entity].id, series.metric, series.values[day]
            ));
        }
    }
    Ok(result)
}
