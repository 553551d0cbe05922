//! Single points of failure: disrupt each candidate in turn and rank the candidates by what
//! the watched buyers lose (`docs/ranking.md`).
//!
//! A *candidate* is a facility, a region, a product or a region's output of one product
//! ([`By`]). [`Candidate::disrupt`] adds one [`Disruption`] to a copy of the model: a full
//! stop (the covered facilities make nothing while it lasts; stock on hand still ships) or
//! an export ban (the covered region refuses every export of the covered products, no
//! licences). [`rank`] runs the undisturbed model (the baseline) and every disrupted model
//! for replicates `0..runs`, replicate *i* with the seed [`replicate_seed`]`(seed, i)` for
//! all of them (common random numbers), and measures each disruption by the difference it
//! makes to each watched buyer in the same replicate:
//!
//! - lost value: the extra unmet units times the product's value, summed over the buyers;
//! - time to survive: days from the disruption's start to the first day a buyer's unmet
//!   demand exceeds the baseline's;
//! - time to recover: days from the start until every buyer's extra shortage (as a share of
//!   its demand) has stayed below 1 % for 14 days after reaching it.
//!
//! Candidates are ordered by mean lost value, with quantiles over replicates, the probability
//! of any shortage, and the spread of each candidate's rank among the candidates replicate by
//! replicate. Runs go in parallel over (candidate, replicate) pairs on a rayon pool; every
//! reduction is in index order, so the result does not depend on the thread count.

use std::sync::atomic::Ordering;

use chokepoint_engine::result::recovery_day;
use chokepoint_engine::{
    Action, CapacityShock, Dist, End, EntityKind, Event, ExportControl, FacilityId, Model, Plan, ProductId,
    Region, RunResult, SeriesFilter, Start, Targets, Workspace,
};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::sweep::checked_run_in;
use crate::{Hooks, ReplicateFailure, Shard, Stop, replicate_seed};

mod part;

pub use part::RankPart;

/// Unmet units below this are rounding (quantities are whole micro-units in the engine).
const UNMET_TOLERANCE: f64 = 0.5e-6;
/// Most memory the baselines of one batch may take.
const BATCH_BYTES: usize = 256 << 20;
/// Tasks per worker thread in a batch.
const TASKS_PER_THREAD: usize = 16;
/// Id of the event a disruption adds (with a number when it adds several).
pub const EVENT_ID: &str = "chokepoint-rank";

/// What the candidates are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum By {
    /// Each facility (plant or depot).
    Facility,
    /// Each region's output of everything it makes.
    Region,
    /// Each product, wherever it is made.
    Product,
    /// Each region's output of one product.
    RegionProduct,
}

impl By {
    /// The name used on the command line and in outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            By::Facility => "facility",
            By::Region => "region",
            By::Product => "product",
            By::RegionProduct => "region-product",
        }
    }
}

/// What happens to a candidate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DisruptionKind {
    /// Its facilities make nothing while it lasts (a fire, a strike, a flood); what they
    /// hold still ships, and capacity is back in full the day it ends.
    FullStop,
    /// Its region refuses every export of its products to every other region, with no
    /// licences (domestic sales go on); refused stock goes to other buyers.
    Ban,
}

impl DisruptionKind {
    /// The name used on the command line and in outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            DisruptionKind::FullStop => "full-stop",
            DisruptionKind::Ban => "ban",
        }
    }
}

/// The disruption every candidate suffers in turn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Disruption {
    /// Full stop or export ban.
    pub kind: DisruptionKind,
    /// First day (0-based from the scenario's start).
    pub start_day: u32,
    /// How many days it lasts (at least 1).
    pub days: u32,
}

/// One thing to disrupt.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    /// What kind of candidate it is.
    pub by: By,
    /// How it is named in outputs: a facility id, a region code, a product id, or
    /// `REGION product` for a region's output of one product.
    pub label: String,
    /// Its region (none for a product everywhere).
    pub region: Option<Region>,
    /// Its product (none for a whole region).
    pub product: Option<ProductId>,
    /// The facilities it covers, in model order.
    pub facilities: Vec<FacilityId>,
}

/// Every candidate of a kind in a model: facilities in model order, regions by code,
/// products in model order, and regions' products by region then product. Only what some
/// facility makes is a candidate.
pub fn candidates(model: &Model, by: By) -> Vec<Candidate> {
    let facilities = || model.facilities.iter().enumerate().map(|(i, f)| (FacilityId(i as u32), f));
    let product_id = |p: ProductId| model.products[p.0 as usize].id.as_str();
    match by {
        By::Facility => facilities()
            .map(|(id, f)| Candidate {
                by,
                label: f.id.clone(),
                region: Some(f.region),
                product: Some(f.product),
                facilities: vec![id],
            })
            .collect(),
        By::Region => {
            let mut regions: Vec<Region> = model.facilities.iter().map(|f| f.region).collect();
            regions.sort_by(|a, b| a.as_str().cmp(b.as_str()));
            regions.dedup();
            regions
                .into_iter()
                .map(|region| Candidate {
                    by,
                    label: region.as_str().to_owned(),
                    region: Some(region),
                    product: None,
                    facilities: facilities().filter(|(_, f)| f.region == region).map(|(id, _)| id).collect(),
                })
                .collect()
        }
        By::Product => (0..model.products.len() as u32)
            .map(ProductId)
            .filter_map(|product| {
                let covered: Vec<FacilityId> =
                    facilities().filter(|(_, f)| f.product == product).map(|(id, _)| id).collect();
                (!covered.is_empty()).then(|| Candidate {
                    by,
                    label: product_id(product).to_owned(),
                    region: None,
                    product: Some(product),
                    facilities: covered,
                })
            })
            .collect(),
        By::RegionProduct => {
            let mut pairs: Vec<(Region, ProductId)> =
                model.facilities.iter().map(|f| (f.region, f.product)).collect();
            pairs.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()).then(a.1.cmp(&b.1)));
            pairs.dedup();
            pairs
                .into_iter()
                .map(|(region, product)| Candidate {
                    by,
                    label: format!("{} {}", region.as_str(), product_id(product)),
                    region: Some(region),
                    product: Some(product),
                    facilities: facilities()
                        .filter(|(_, f)| f.region == region && f.product == product)
                        .map(|(id, _)| id)
                        .collect(),
                })
                .collect()
        }
    }
}

impl Candidate {
    /// A copy of `model` with this candidate suffering `disruption`: one capacity shock on
    /// its facilities for a full stop; for a ban, one export control per region that makes
    /// its products, on those products, to all destinations, without licences. A ban needs
    /// a region: a single facility cannot issue one.
    pub fn disrupt(&self, model: &Model, disruption: &Disruption) -> Result<Model, String> {
        let start = Start::Day(disruption.start_day);
        let end = Some(End::Day(disruption.start_day.saturating_add(disruption.days.max(1))));
        let mut actions = Vec::new();
        match disruption.kind {
            DisruptionKind::FullStop => actions.push(Action::Capacity(CapacityShock {
                facilities: self.facilities.clone(),
                remaining: Dist::Const(0.0),
                recovery: Dist::Const(0.0),
            })),
            DisruptionKind::Ban => {
                if self.by == By::Facility {
                    return Err(format!("'{}' is a facility, and only a region can ban exports", self.label));
                }
                // (issuer, products) for each region whose facilities are covered.
                let mut issuers: Vec<(Region, Vec<ProductId>)> = Vec::new();
                for id in &self.facilities {
                    let f = &model.facilities[id.0 as usize];
                    match issuers.iter_mut().find(|(r, _)| *r == f.region) {
                        Some((_, products)) if !products.contains(&f.product) => products.push(f.product),
                        Some(_) => {}
                        None => issuers.push((f.region, vec![f.product])),
                    }
                }
                for (issuer, mut products) in issuers {
                    products.sort();
                    actions.push(Action::ExportControl(ExportControl {
                        issuer,
                        products,
                        targets: Targets::All,
                        licence: None,
                        leakage: None,
                        content: None,
                        announcement: None,
                    }));
                }
            }
        }
        let mut model = model.clone();
        let several = actions.len() > 1;
        for (i, action) in actions.into_iter().enumerate() {
            let id = if several { format!("{EVENT_ID}-{}", i + 1) } else { EVENT_ID.to_owned() };
            if model.events.iter().any(|e| e.id == id) {
                return Err(format!("the scenario already has an event named '{id}'"));
            }
            model.events.push(Event { id, start: start.clone(), end: end.clone(), action });
        }
        Ok(model)
    }
}

/// How to run a ranking.
#[derive(Clone, Copy, Debug)]
pub struct RankConfig {
    /// Base seed.
    pub seed: u64,
    /// Replicates of the baseline and of every candidate in the whole batch.
    pub runs: u64,
    /// Which slice of them to run: any for [`rank_part`], [`Shard::WHOLE`] for [`rank`].
    pub shard: Shard,
    /// Worker threads (0: one per core).
    pub threads: usize,
    /// First day of the disruption: times are measured from it.
    pub start_day: u32,
    /// A number the caller uses to tell rankings apart (a hash of the scenario, the
    /// candidates, the disruption and the watched buyers); merged parts must carry the same.
    pub tag: u64,
}

/// Mean and quantiles over replicates.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    /// Mean.
    pub mean: f64,
    /// 5th percentile.
    pub p05: f64,
    /// Median.
    pub p50: f64,
    /// 95th percentile.
    pub p95: f64,
}

impl Spread {
    /// Mean and quantiles (linear between order statistics) of `values`; all zero when
    /// there are none. The mean is summed in the given order.
    pub fn of(values: &[f64]) -> Spread {
        if values.is_empty() {
            return Spread { mean: 0.0, p05: 0.0, p50: 0.0, p95: 0.0 };
        }
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        Spread {
            mean,
            p05: quantile(&sorted, 0.05),
            p50: quantile(&sorted, 0.5),
            p95: quantile(&sorted, 0.95),
        }
    }
}

/// The `q` quantile of sorted values, interpolating linearly between order statistics.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let at = q * (sorted.len() - 1) as f64;
    let (lo, hi) = (at.floor() as usize, at.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo as f64)
}

/// What a disruption does to one watched buyer, over the replicates.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BuyerImpact {
    /// The buyer's id.
    pub id: String,
    /// Share of replicates in which its unmet demand exceeds the baseline's on some day.
    pub p_short: f64,
    /// Extra unmet units, mean over replicates.
    pub unmet: f64,
    /// Extra unmet units times the product's value, mean over replicates.
    pub lost_value: f64,
    /// Median time to survive over the replicates in which it ran short, in days.
    pub survive_days: Option<f64>,
}

/// One candidate's line of the ranking.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RankRow {
    /// Index of the candidate in the list given to [`rank`] (`index` in JSON).
    #[serde(rename = "index")]
    pub candidate: usize,
    /// Lost value summed over the watched buyers.
    pub lost_value: Spread,
    /// Mean lost value as a share of the largest candidate's (1 for the first; 0 for all
    /// when no candidate costs anything): the risk exposure index.
    pub exposure: f64,
    /// Share of replicates in which some watched buyer runs short because of it.
    pub p_short: f64,
    /// Watched buyers that run short because of it, mean over replicates.
    pub buyers_short: f64,
    /// Days from the start of the disruption to the first watched buyer's shortage, median
    /// over the replicates with one.
    pub survive_days: Option<f64>,
    /// Days from the start until every watched buyer has recovered, median over the
    /// replicates in which all recovered before the horizon.
    pub recover_days: Option<f64>,
    /// Share of replicates in which some watched buyer's extra shortage reaches 1 % of its
    /// demand on some day (the runs in which recovery is measured).
    pub p_severe: f64,
    /// Share of those replicates in which every buyer recovered before the horizon.
    pub p_recovered: f64,
    /// Its rank among the candidates, replicate by replicate: 5th percentile, median, 95th.
    pub rank: [f64; 3],
    /// Share of replicates in which it ranks first (shared firsts count).
    pub p_first: f64,
    /// Per watched buyer, in watch order.
    pub buyers: Vec<BuyerImpact>,
}

/// The candidates in rank order, first the worst.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ranking {
    /// Base seed.
    pub seed: u64,
    /// Replicates per candidate.
    pub runs: u64,
    /// The watched buyers.
    pub watch: Vec<String>,
    /// Days simulated.
    pub horizon_days: u32,
    /// One per candidate, in rank order.
    pub rows: Vec<RankRow>,
}

/// Whether and when a buyer recovered.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum Recovery {
    /// Its extra shortage never reached the threshold.
    NotShort,
    /// Days from the start to recovery.
    After(u32),
    /// Still short at the horizon.
    Not,
}

/// One buyer in one replicate of one candidate. Written to part files as a short array,
/// `[unmet, lost_value, survive, recovery]`, since a part holds one per (candidate,
/// replicate, buyer).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(into = "BuyerRunWire", from = "BuyerRunWire")]
struct BuyerRun {
    unmet: f64,
    lost_value: f64,
    survive: Option<u32>,
    recovery: Recovery,
}

/// [`BuyerRun`] as it is written.
type BuyerRunWire = (f64, f64, Option<u32>, Recovery);

impl From<BuyerRun> for BuyerRunWire {
    fn from(run: BuyerRun) -> Self {
        (run.unmet, run.lost_value, run.survive, run.recovery)
    }
}

impl From<BuyerRunWire> for BuyerRun {
    fn from((unmet, lost_value, survive, recovery): BuyerRunWire) -> Self {
        BuyerRun { unmet, lost_value, survive, recovery }
    }
}

/// The watched buyers' indices in a run's entities, with their product values.
fn watched(result: &RunResult, model: &Model, watch: &[String]) -> Result<Vec<(usize, f64)>, String> {
    watch
        .iter()
        .map(|id| {
            let index = result
                .entities
                .iter()
                .position(|e| &e.id == id && e.kind != EntityKind::Stockpile)
                .ok_or_else(|| format!("'{id}' is neither a facility nor a demand sink"))?;
            let value = model.products[result.entities[index].product.0 as usize].value;
            Ok((index, value))
        })
        .collect()
}

fn series<'r>(result: &'r RunResult, entity: usize, metric: &str) -> &'r [f64] {
    let horizon = result.horizon_days as usize;
    result
        .series
        .iter()
        .find(|s| s.entity == entity && s.metric == metric)
        .map_or(&[][..], |s| &s.values[..horizon.min(s.values.len())])
}

/// Compares one buyer's run with its baseline, from day `start`.
fn compare(demand: &[f64], unmet: &[f64], base: &[f64], value: f64, start: usize) -> BuyerRun {
    let n = unmet.len().min(base.len()).min(demand.len());
    let extra = |d: usize| unmet[d] - base[d];
    let fraction = |d: usize| if demand[d] > 0.0 { extra(d) / demand[d] } else { 0.0 };
    let total: f64 = (0..n).map(extra).sum();
    let survive = (start..n).find(|&d| extra(d) > UNMET_TOLERANCE).map(|d| (d - start) as u32);
    let recovery = match recovery_day(fraction, start, n) {
        None => Recovery::NotShort,
        Some(None) => Recovery::Not,
        Some(Some(day)) => Recovery::After((day - start) as u32),
    };
    BuyerRun { unmet: total, lost_value: total * value, survive, recovery }
}

/// Runs the baseline and every candidate plan for replicates `0..config.runs` and ranks the
/// candidates by what `watch` loses (see the module documentation). `plans[i]` is candidate
/// `i` disrupted ([`Candidate::disrupt`]); failures name the candidate as the `point` of a
/// [`ReplicateFailure`], 0 being the baseline and `i + 1` candidate `i`.
///
/// `config.shard` must be [`Shard::WHOLE`]: a shard alone is not a ranking (run it with
/// [`rank_part`] and merge the parts with [`RankPart::merge`]).
pub fn rank(
    baseline: &Plan<'_>,
    plans: &[Plan<'_>],
    watch: &[String],
    config: &RankConfig,
    hooks: &Hooks<'_>,
) -> Result<Ranking, Stop> {
    let part = rank_part(baseline, plans, watch, config, hooks)?;
    RankPart::merge(vec![part]).map_err(Stop::Other)
}

/// Runs the baseline and every candidate plan for the replicates of `config.shard` (out of
/// `config.runs`), replicate *i* with the seed [`replicate_seed`]`(seed, i)` as in an
/// unsharded ranking, and keeps each watched buyer's impact in every one of them, for
/// [`RankPart::merge`]. Failures are reported as by [`rank`].
pub fn rank_part(
    baseline: &Plan<'_>,
    plans: &[Plan<'_>],
    watch: &[String],
    config: &RankConfig,
    hooks: &Hooks<'_>,
) -> Result<RankPart, Stop> {
    let shard = config.shard;
    if shard.count == 0 || shard.index >= shard.count {
        return Err(Stop::Other(format!("shard {}/{} does not exist", shard.index, shard.count)));
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(config.threads)
        .build()
        .map_err(|e| Stop::Other(format!("cannot start the worker threads: {e}")))?;
    let threads = pool.current_num_threads();
    let model = baseline.model();
    let horizon = model.horizon_days as usize;
    let start = config.start_day as usize;
    let n_watch = watch.len();
    let n_cand = plans.len();
    let range = shard.range(config.runs);
    let (first_run, end_run) = (range.start as usize, range.end as usize);
    // impacts[candidate][run - first_run][buyer]
    let mut impacts: Vec<Vec<Vec<BuyerRun>>> = vec![Vec::with_capacity(end_run - first_run); n_cand];
    let per_run_bytes = (n_watch * horizon * 8).max(1);
    let batch_runs = (BATCH_BYTES / per_run_bytes).clamp(1, (TASKS_PER_THREAD * threads).max(1));
    let failure = |point: usize, run: usize, problem: String| ReplicateFailure {
        point,
        run: run as u64,
        seed: replicate_seed(config.seed, run as u64),
        problem,
    };
    let mut completed = 0u64;
    let mut indices: Option<Vec<(usize, f64)>> = None;
    // A ranking compares the watched buyers' demand and unmet series only, which every run
    // records anyway: nothing else is recorded.
    let base_filter = baseline.series_filter(|_, _| false);
    let filters: Vec<SeriesFilter> = plans.iter().map(|plan| plan.series_filter(|_, _| false)).collect();
    pool.install(|| -> Result<(), Stop> {
        let mut next = first_run;
        while next < end_run {
            let end = (next + batch_runs).min(end_run);
            let cancelled = || hooks.cancel.load(Ordering::Relaxed);
            if cancelled() {
                return Err(Stop::Cancelled { completed });
            }
            // What a baseline keeps: the watched buyers (indices and values) and each one's
            // daily unmet demand; the rest of the run goes back to the worker's workspace.
            type Base = Result<(Vec<(usize, f64)>, Vec<Vec<f64>>), String>;
            let bases: Vec<Option<Result<Base, ReplicateFailure>>> = (next..end)
                .into_par_iter()
                .map_init(Workspace::new, |workspace, run| {
                    if cancelled() {
                        return None;
                    }
                    let seed = replicate_seed(config.seed, run as u64);
                    let result = checked_run_in(baseline, seed, workspace, Some(&base_filter))
                        .map_err(|problem| failure(0, run, problem))
                        .map(|result| {
                            let kept = watched(&result, model, watch).map(|idx| {
                                let unmet =
                                    idx.iter().map(|&(e, _)| series(&result, e, "unmet").to_vec()).collect();
                                (idx, unmet)
                            });
                            workspace.recycle(result);
                            kept
                        });
                    (hooks.progress)(1);
                    Some(result)
                })
                .collect();
            let mut baselines = Vec::with_capacity(bases.len());
            let mut failures = Vec::new();
            for (i, base) in bases.into_iter().enumerate() {
                match base {
                    None => return Err(Stop::Cancelled { completed: completed + i as u64 }),
                    Some(Err(f)) => failures.push(f),
                    Some(Ok(kept)) => {
                        let (idx, unmet) = kept.map_err(Stop::Other)?;
                        if indices.is_none() {
                            indices = Some(idx);
                        }
                        baselines.push(unmet);
                    }
                }
            }
            if !failures.is_empty() {
                return Err(Stop::Failed(failures));
            }
            completed += (end - next) as u64;
            let idx = indices.as_deref().unwrap_or_default();
            let tasks: Vec<(usize, usize)> =
                (next..end).flat_map(|run| (0..n_cand).map(move |c| (run, c))).collect();
            let outcomes: Vec<Option<Result<Vec<BuyerRun>, ReplicateFailure>>> = tasks
                .par_iter()
                .map_init(Workspace::new, |workspace, &(run, c)| {
                    if cancelled() {
                        return None;
                    }
                    let outcome = checked_run_in(
                        &plans[c],
                        replicate_seed(config.seed, run as u64),
                        workspace,
                        Some(&filters[c]),
                    )
                    .map_err(|problem| failure(c + 1, run, problem))
                    .and_then(|result| {
                        let base = &baselines[run - next];
                        let buyers = idx
                            .iter()
                            .enumerate()
                            .map(|(b, &(entity, value))| {
                                if result.entities.get(entity).map(|e| &e.id) != Some(&watch[b]) {
                                    return Err(failure(
                                        c + 1,
                                        run,
                                        "it reports other entities than the baseline".to_owned(),
                                    ));
                                }
                                Ok(compare(
                                    series(&result, entity, "demand"),
                                    series(&result, entity, "unmet"),
                                    &base[b],
                                    value,
                                    start,
                                ))
                            })
                            .collect::<Result<Vec<BuyerRun>, ReplicateFailure>>();
                        workspace.recycle(result);
                        buyers
                    });
                    (hooks.progress)(1);
                    Some(outcome)
                })
                .collect();
            let mut failures = Vec::new();
            for (o, &(_, c)) in outcomes.into_iter().zip(&tasks) {
                match o {
                    None => return Err(Stop::Cancelled { completed }),
                    Some(Err(f)) => failures.push(f),
                    Some(Ok(buyers)) => {
                        impacts[c].push(buyers);
                        completed += 1;
                    }
                }
            }
            if !failures.is_empty() {
                return Err(Stop::Failed(failures));
            }
            next = end;
        }
        Ok(())
    })?;
    Ok(RankPart {
        tag: config.tag,
        seed: config.seed,
        runs: config.runs,
        shard,
        horizon_days: model.horizon_days,
        watch: watch.to_vec(),
        impacts,
    })
}

/// Reduces the impacts of replicates `0..runs` (`impacts[candidate][run][buyer]`) to the
/// ranking, in index order.
fn summarise(
    impacts: &[Vec<Vec<BuyerRun>>],
    watch: &[String],
    seed: u64,
    runs: u64,
    horizon: u32,
) -> Ranking {
    let runs = runs as usize;
    let n_cand = impacts.len();
    // Lost value per candidate and run.
    let lost: Vec<Vec<f64>> = impacts
        .iter()
        .map(|per_run| per_run.iter().map(|buyers| buyers.iter().map(|b| b.lost_value).sum()).collect())
        .collect();
    // Competition rank per candidate and run: 1 + candidates that lost strictly more, found
    // in each run's losses sorted from the largest.
    let mut ranks: Vec<Vec<f64>> = vec![Vec::with_capacity(runs); n_cand];
    let mut sorted = vec![0.0; n_cand];
    for r in 0..runs {
        for (slot, per_run) in sorted.iter_mut().zip(&lost) {
            *slot = per_run[r];
        }
        sorted.sort_by(|a: &f64, b| b.total_cmp(a));
        for (c, per_run) in lost.iter().enumerate() {
            let above = sorted.partition_point(|&v| v > per_run[r]);
            ranks[c].push(1.0 + above as f64);
        }
    }
    let median = |mut values: Vec<f64>| -> Option<f64> {
        if values.is_empty() {
            return None;
        }
        values.sort_by(f64::total_cmp);
        Some(quantile(&values, 0.5))
    };
    let share = |count: usize, of: usize| if of == 0 { 0.0 } else { count as f64 / of as f64 };
    let mut rows: Vec<RankRow> = (0..n_cand)
        .map(|c| {
            let per_run = &impacts[c];
            let survive: Vec<f64> = per_run
                .iter()
                .filter_map(|buyers| buyers.iter().filter_map(|b| b.survive).min().map(f64::from))
                .collect();
            let mut hit = 0;
            let mut recovered = Vec::new();
            for buyers in per_run {
                if buyers.iter().all(|b| b.recovery == Recovery::NotShort) {
                    continue;
                }
                hit += 1;
                if buyers.iter().all(|b| b.recovery != Recovery::Not) {
                    let last = buyers.iter().filter_map(|b| match b.recovery {
                        Recovery::After(d) => Some(d),
                        _ => None,
                    });
                    recovered.push(f64::from(last.max().unwrap_or(0)));
                }
            }
            let buyers_short =
                per_run.iter().map(|b| b.iter().filter(|b| b.survive.is_some()).count() as f64).sum::<f64>();
            let rank = Spread::of(&ranks[c]);
            let buyers = watch
                .iter()
                .enumerate()
                .map(|(b, id)| {
                    let of =
                        |f: fn(&BuyerRun) -> f64| per_run.iter().map(|r| f(&r[b])).sum::<f64>() / runs as f64;
                    let days: Vec<f64> = per_run.iter().filter_map(|r| r[b].survive.map(f64::from)).collect();
                    BuyerImpact {
                        id: id.clone(),
                        p_short: share(days.len(), runs),
                        unmet: of(|r| r.unmet),
                        lost_value: of(|r| r.lost_value),
                        survive_days: median(days),
                    }
                })
                .collect();
            RankRow {
                candidate: c,
                lost_value: Spread::of(&lost[c]),
                exposure: 0.0,
                p_short: share(survive.len(), runs),
                buyers_short: buyers_short / runs.max(1) as f64,
                survive_days: median(survive),
                p_severe: share(hit, runs),
                p_recovered: share(recovered.len(), hit),
                recover_days: median(recovered),
                rank: [rank.p05, rank.p50, rank.p95],
                p_first: share(ranks[c].iter().filter(|&&r| r == 1.0).count(), runs),
                buyers,
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        b.lost_value
            .mean
            .total_cmp(&a.lost_value.mean)
            .then(b.p_short.total_cmp(&a.p_short))
            .then(a.survive_days.unwrap_or(f64::INFINITY).total_cmp(&b.survive_days.unwrap_or(f64::INFINITY)))
            .then(a.candidate.cmp(&b.candidate))
    });
    let top = rows.first().map_or(0.0, |r| r.lost_value.mean);
    for row in &mut rows {
        row.exposure = if top > 0.0 { (row.lost_value.mean / top).max(0.0) } else { 0.0 };
    }
    Ranking { seed, runs: runs as u64, watch: watch.to_vec(), horizon_days: horizon, rows }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate_between_order_statistics() {
        let s = Spread::of(&[4.0, 1.0, 3.0, 2.0, 5.0]);
        assert_eq!(s.mean, 3.0);
        assert_eq!(s.p50, 3.0);
        // 0.05 × 4 = 0.2 of the way from 1 to 2.
        assert!((s.p05 - 1.2).abs() < 1e-12);
        assert!((s.p95 - 4.8).abs() < 1e-12);
        assert_eq!(Spread::of(&[]).mean, 0.0);
    }

    #[test]
    fn a_buyer_compared_with_its_baseline() {
        // Demand 10 a day for 60 days; the baseline is short 1 a day on days 5..=9 (noise),
        // the disrupted run also 4 a day on days 20..=29. Disruption from day 10.
        let demand = vec![10.0; 60];
        let mut base = vec![0.0; 60];
        base[5..=9].fill(1.0);
        let mut unmet = base.clone();
        unmet[20..=29].fill(4.0);
        let run = compare(&demand, &unmet, &base, 2.5, 10);
        assert_eq!(run.unmet, 40.0);
        assert_eq!(run.lost_value, 100.0);
        assert_eq!(run.survive, Some(10));
        // Below 1 % again from day 30, for 14 days: 20 days after the start.
        assert_eq!(run.recovery, Recovery::After(20));
        // Short to the end: not recovered.
        let mut late = base.clone();
        late[50..].fill(10.0);
        assert_eq!(compare(&demand, &late, &base, 1.0, 10).recovery, Recovery::Not);
        // Identical to the baseline: never short.
        let same = compare(&demand, &base, &base, 1.0, 0);
        assert_eq!((same.unmet, same.survive, same.recovery), (0.0, None, Recovery::NotShort));
    }
}
