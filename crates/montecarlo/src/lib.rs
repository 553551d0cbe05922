//! # chokepoint-montecarlo
//!
//! Batches of replicates of a scenario, over a grid of sweep points, reduced to summaries
//! whose size does not grow with the number of runs (DESIGN.md §5).
//!
//! - [`sweep`] runs replicates `range` of every [`Point`] on a rayon pool. Replicate *i*
//!   runs with the seed [`replicate_seed`]`(seed, i)` at every point, so the points share
//!   their random numbers (common random numbers: a difference between points is the
//!   setting's, not noise), and `chokepoint run --seed` replays any one replicate alone.
//! - Each replicate is checked (ledgers balance, every value finite and not negative); a
//!   replicate that fails is reported with its point, index and seed ([`Stop::Failed`]).
//! - Results go into an [`Aggregate`]: per point, a [`hist::Band`] (a histogram, allocated at
//!   its first value other than zero) per (kept series, report step) for the bands ([`Bands`]:
//!   by default every entity's shortage fraction and the watched entities' headline series),
//!   and per entity the KPI distributions, the probability of running
//!   short and the days of first shortage ([`KpiSummary`]). Every part is an integer count,
//!   an exact minimum or maximum, or a fixed-point sum, so the order in which replicates are
//!   added never changes a bit: one thread, many threads, and shards merged with
//!   [`Aggregate::merge`] give identical results.
//! - Per-run KPIs are handed to the caller replicate by replicate, in index order (run,
//!   then point), for `kpis.csv`.
//!
//! - [`collect`] runs replicates and keeps only what the caller's function measures of
//!   each, in replicate order (for backtests, which need exact per-run values).
//! - [`rank`] ranks single points of failure; [`rank_part`] runs one shard of a ranking
//!   and [`RankPart::merge`] joins the shards' parts into the same [`Ranking`].
//!
//! No files, no terminal: the caller brings the cancel flag and the progress callback.

mod collect;
pub mod hist;
pub mod rank;
mod sweep;

use std::ops::Range;

use chokepoint_engine::Plan;
use serde::{Deserialize, Serialize};

pub use collect::collect;
pub use hist::{Band, DayCounts, Histogram};
pub use rank::{
    By, Candidate, Disruption, DisruptionKind, RankConfig, RankPart, RankRow, Ranking, candidates, rank,
    rank_part,
};
pub use sweep::{Hooks, MEMORY_LIMIT, bands_bytes, sweep};

/// One point of a sweep grid: the settings that make it and the plan they give.
pub struct Point<'m> {
    /// `(dotted key, TOML value)` pairs, as on the command line; empty without a grid.
    pub settings: Vec<(String, String)>,
    /// The validated model at this point.
    pub plan: Plan<'m>,
}

/// The seed of replicate `run` of a batch with base seed `seed`: `seed` itself for run 0
/// (so a sweep's first replicate is what `chokepoint run` gives), then `seed` plus a
/// SplitMix64 hash of `run`, so neighbouring base seeds do not share replicates.
pub fn replicate_seed(seed: u64, run: u64) -> u64 {
    let mut z = run;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    seed.wrapping_add(z ^ (z >> 31))
}

/// A slice of a batch: shard `index` of `count` (0-based) runs a contiguous range of the
/// replicates of every point.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// Which shard, from 0.
    pub index: u32,
    /// How many shards in all.
    pub count: u32,
}

impl Shard {
    /// The whole batch.
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };

    /// Checks that `shards` are every shard of one cut exactly once: each cut the same
    /// number of ways, each numbered below that number, none missing, none twice. The
    /// message names the first problem (what `merge` of sweeps and of rankings says).
    pub fn check_set(shards: impl IntoIterator<Item = Shard>) -> Result<(), String> {
        let shards: Vec<Shard> = shards.into_iter().collect();
        let Some(count) = shards.first().map(|s| s.count) else { return Err("no parts to merge".to_owned()) };
        for Shard { index, count: its } in &shards {
            if *its != count {
                return Err(format!("shard {index}/{its} was cut {its} ways, another part {count} ways"));
            }
            if *index >= count {
                return Err(format!(
                    "shard {index}/{count} does not exist: shards are numbered 0 to {}",
                    count.saturating_sub(1)
                ));
            }
        }
        let mut indexes: Vec<u32> = shards.iter().map(|s| s.index).collect();
        indexes.sort_unstable();
        let missing: Vec<String> = (0..count)
            .filter(|i| indexes.binary_search(i).is_err())
            .map(|i| format!("{i}/{count}"))
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "missing shard{} {}",
                if missing.len() == 1 { "" } else { "s" },
                missing.join(", ")
            ));
        }
        if let Some(w) = indexes.windows(2).find(|w| w[0] == w[1]) {
            return Err(format!("shard {}/{count} is given twice", w[0]));
        }
        Ok(())
    }

    /// Replicates of this shard out of `runs`: `[⌊index·runs/count⌋, ⌊(index+1)·runs/count⌋)`.
    pub fn range(self, runs: u64) -> Range<u64> {
        let at = |i: u64| (u128::from(i) * u128::from(runs) / u128::from(self.count.max(1))) as u64;
        at(u64::from(self.index))..at(u64::from(self.index) + 1)
    }
}

/// How to run a batch.
#[derive(Clone, Debug)]
pub struct SweepConfig {
    /// Base seed.
    pub seed: u64,
    /// Replicates per point in the whole batch.
    pub runs: u64,
    /// Which slice of them to run.
    pub shard: Shard,
    /// Worker threads (0: one per core).
    pub threads: usize,
    /// Days per report step of the bands.
    pub step_days: u32,
    /// A number the caller uses to tell batches apart (a hash of the scenario and the
    /// grid); merged shards must carry the same.
    pub tag: u64,
    /// Which series get per-step bands.
    pub bands: Bands,
}

/// Which series a sweep keeps per-step bands of. The KPI summaries cover every entity
/// either way.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Bands {
    /// Every entity's `shortage_fraction` (the cascade and fan charts read it) and the
    /// headline series of the watched entities (by id), [`Bands::WATCHED_METRICS`]: what
    /// the charts, the report and the briefing use. The command line's default (the
    /// library's `Default` is [`Bands::All`], which drops nothing).
    Watched(Vec<String>),
    /// Every series of every entity (`--bands all`): about five to ten times the cells.
    #[default]
    All,
}

impl Bands {
    /// The metric whose bands are kept for every entity.
    pub const EVERY_ENTITY: &'static str = "shortage_fraction";

    /// The metrics whose bands are kept for the watched entities: stock on hand (a
    /// facility's output stock), production, demand and unmet demand (for a facility:
    /// what it wanted to make and what it could not), and the shortage fraction.
    pub const WATCHED_METRICS: [&'static str; 5] =
        ["stock", "production", "demand", "unmet", "shortage_fraction"];

    /// Whether the series `metric` of entity `id` gets bands.
    pub fn keeps(&self, id: &str, metric: &str) -> bool {
        match self {
            Bands::All => true,
            Bands::Watched(watched) => {
                metric == Self::EVERY_ENTITY
                    || (Self::WATCHED_METRICS.contains(&metric) && watched.iter().any(|w| w == id))
            }
        }
    }
}

/// An entity results are reported for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entity {
    /// Its id.
    pub id: String,
    /// `facility`, `sink` or `stockpile`.
    pub kind: String,
    /// Its region.
    pub region: String,
    /// Index of the product it makes or consumes.
    pub product: u32,
}

/// What a point's replicates report: entities, series and report steps.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Layout {
    /// Days simulated.
    pub horizon_days: u32,
    /// Report steps per series.
    pub n_steps: usize,
    /// Entities, in result order.
    pub entities: Vec<Entity>,
    /// `(entity index, metric)` of each series, in result order.
    pub series: Vec<(usize, String)>,
}

/// KPI distributions of one entity at one point.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KpiSummary {
    /// Runs in which the entity had unmet demand (or lost production) on some day.
    pub short_runs: u64,
    /// Day (from the scenario's start) of the first shortage, over runs that had one.
    pub first_short_day: DayCounts,
    /// Days from the first disruption to the first shortage, over runs that had both.
    pub time_to_survive_days: DayCounts,
    /// Days from the first disruption to recovery, over runs that recovered.
    pub time_to_recover_days: DayCounts,
    /// Largest daily shortage fraction.
    pub peak_shortage: Histogram,
    /// Demand (or planned production) not met.
    pub unmet_units: Histogram,
    /// Unmet units times the product's value.
    pub lost_value: Histogram,
    /// Share of demand met on the day it arose.
    pub fill_rate: Histogram,
    /// Fewest days of cover over the run (`RunResult::headroom`), over runs where the
    /// entity has inputs in use.
    #[serde(default)]
    pub min_cover_days: Histogram,
}

impl KpiSummary {
    fn new(horizon_days: u32) -> Self {
        let days = horizon_days as usize + 1;
        KpiSummary {
            short_runs: 0,
            first_short_day: DayCounts::new(days),
            time_to_survive_days: DayCounts::new(days),
            time_to_recover_days: DayCounts::new(days),
            peak_shortage: Histogram::default(),
            unmet_units: Histogram::default(),
            lost_value: Histogram::default(),
            fill_rate: Histogram::default(),
            min_cover_days: Histogram::default(),
        }
    }

    fn merge(&mut self, other: &KpiSummary) -> bool {
        self.short_runs += other.short_runs;
        self.peak_shortage.merge(&other.peak_shortage);
        self.unmet_units.merge(&other.unmet_units);
        self.lost_value.merge(&other.lost_value);
        self.fill_rate.merge(&other.fill_rate);
        self.min_cover_days.merge(&other.min_cover_days);
        self.first_short_day.merge(&other.first_short_day)
            && self.time_to_survive_days.merge(&other.time_to_survive_days)
            && self.time_to_recover_days.merge(&other.time_to_recover_days)
    }
}

/// The reduced replicates of one point.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PointAggregate {
    /// Replicates added.
    pub runs: u64,
    /// Entities and series, once a replicate has run.
    pub layout: Option<Layout>,
    /// One band per (series, report step), series-major.
    pub cells: Vec<Band>,
    /// KPI distributions, one per entity in layout order.
    pub kpis: Vec<KpiSummary>,
}

impl PointAggregate {
    /// The histogram of series `series` at report step `step`.
    pub fn cell(&self, series: usize, step: usize) -> Option<Histogram> {
        let n_steps = self.layout.as_ref()?.n_steps;
        self.cells.get(series * n_steps + step).map(Band::histogram)
    }

    fn merge(&mut self, other: &PointAggregate) -> Result<(), String> {
        let Some(layout) = &other.layout else { return Ok(()) };
        match &self.layout {
            None => {
                *self = other.clone();
                return Ok(());
            }
            Some(mine) if mine != layout => {
                return Err("the parts report different entities or series".to_owned());
            }
            Some(_) => {}
        }
        self.runs += other.runs;
        for (a, b) in self.cells.iter_mut().zip(&other.cells) {
            a.merge(b);
        }
        for (a, b) in self.kpis.iter_mut().zip(&other.kpis) {
            if !a.merge(b) {
                return Err("the parts have different horizons".to_owned());
            }
        }
        Ok(())
    }
}

/// Everything a batch (or a shard of one) produced, ready to merge or to write out.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Aggregate {
    /// The caller's tag of the scenario and grid ([`SweepConfig::tag`]).
    pub tag: u64,
    /// Base seed.
    pub seed: u64,
    /// Replicates per point in the whole batch.
    pub runs: u64,
    /// Which slice this is ([`Shard::WHOLE`] once merged).
    pub shard: Shard,
    /// Days per report step.
    pub step_days: u32,
    /// One per sweep point, in grid order.
    pub points: Vec<PointAggregate>,
}

impl Aggregate {
    /// Merges the shards of one batch into what one unsharded run would have produced.
    /// Every shard from 0 to count − 1 must be there once, from the same batch.
    pub fn merge(mut parts: Vec<Aggregate>) -> Result<Aggregate, String> {
        let Some(first) = parts.first() else { return Err("no parts to merge".to_owned()) };
        let (tag, seed, runs, step, n_points) =
            (first.tag, first.seed, first.runs, first.step_days, first.points.len());
        for part in &parts {
            if part.tag != tag
                || part.seed != seed
                || part.runs != runs
                || part.step_days != step
                || part.points.len() != n_points
            {
                return Err(format!(
                    "shard {}/{} comes from another batch (different scenario, grid, seed, runs or step)",
                    part.shard.index, part.shard.count
                ));
            }
        }
        Shard::check_set(parts.iter().map(|p| p.shard))?;
        parts.sort_by_key(|p| p.shard.index);
        let mut merged = Aggregate { shard: Shard::WHOLE, ..parts[0].clone() };
        for part in &parts[1..] {
            for (a, b) in merged.points.iter_mut().zip(&part.points) {
                a.merge(b)?;
            }
        }
        Ok(merged)
    }
}

/// A replicate that broke an invariant: enough to replay it alone.
#[derive(Clone, Debug, PartialEq)]
pub struct ReplicateFailure {
    /// Index of the sweep point.
    pub point: usize,
    /// Replicate index.
    pub run: u64,
    /// Its seed ([`replicate_seed`]): `chokepoint run --seed` with the point's settings
    /// replays it.
    pub seed: u64,
    /// What went wrong.
    pub problem: String,
}

/// Why a batch stopped before the end.
#[derive(Debug)]
pub enum Stop {
    /// The cancel flag was raised; `completed` replicates (over all points) had finished.
    Cancelled {
        /// Replicates finished.
        completed: u64,
    },
    /// Replicates broke invariants.
    Failed(Vec<ReplicateFailure>),
    /// The summaries would need more memory than allowed.
    TooLarge {
        /// Bytes needed.
        bytes: u64,
        /// Bytes allowed.
        limit: u64,
    },
    /// The thread pool could not start, or the caller's row sink failed.
    Other(String),
}

/// One replicate's KPIs at one point, in the order of [`Layout::entities`] (stockpiles
/// included; they have no demand).
pub struct RunKpis<'a> {
    /// Index of the sweep point.
    pub point: usize,
    /// Replicate index.
    pub run: u64,
    /// Its seed.
    pub seed: u64,
    /// The point's layout.
    pub layout: &'a Layout,
    /// KPIs per entity.
    pub kpis: &'a [chokepoint_engine::Kpis],
    /// Fewest days of cover per entity (`None`: no inputs in use).
    pub headroom: &'a [Option<f64>],
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_cover_every_run_once() {
        for runs in [0, 1, 7, 1000] {
            for count in [1, 3, 8] {
                let ranges: Vec<Range<u64>> =
                    (0..count).map(|index| Shard { index, count }.range(runs)).collect();
                assert_eq!(ranges[0].start, 0);
                assert_eq!(ranges[count as usize - 1].end, runs);
                assert!(ranges.windows(2).all(|w| w[0].end == w[1].start));
            }
        }
        assert_eq!(Shard { index: 1, count: 4 }.range(10), 2..5);
    }

    #[test]
    fn run_zero_keeps_the_base_seed_and_others_spread() {
        assert_eq!(replicate_seed(42, 0), 42);
        assert_ne!(replicate_seed(42, 1), 43);
        assert_ne!(replicate_seed(42, 1), replicate_seed(43, 0));
        assert_ne!(replicate_seed(42, 1), replicate_seed(42, 2));
    }
}
