//! Rankings (`chokepoint rank`): single points of failure. Disrupts each candidate (facility, region,
//! product or a region's product) in turn, measures what the watched buyers lose against
//! the undisturbed scenario in the same replicates, and ranks the candidates
//! (`docs/ranking.md`). [`prepare`] checks and builds a ranking, [`Prepared::run`] runs it
//! or one shard of it, [`merge`] joins shards' parts, [`files`] builds `rank.csv`,
//! `rank.json` and the chart, [`table`] and [`headline`] say it in text; [`rank`] does it
//! all on one machine.

use std::path::Path;

use chokepoint_engine::{Model, Plan};
use chokepoint_montecarlo::{
    By, Disruption, DisruptionKind, Hooks, RankConfig, RankPart, Ranking, Shard, Stop,
};
use chokepoint_plot::{Chart, Frame, RankBar, ValueFormat};
use chokepoint_scenario::Scenario;
use serde::{Deserialize, Serialize};

use crate::text::{format_units, render};
use chokepoint_report::charts::{Named, Section};

use crate::{Error, OutputFile};

/// Replicates per candidate when `--runs` does not say.
pub const DEFAULT_RUNS: u32 = 20;
/// Candidates drawn on the chart and printed by default.
pub const DEFAULT_TOP: usize = 15;
/// Most candidates × replicates one ranking may run.
const MAX_TASKS: u64 = 10_000_000;
/// Most entities, links and events over all the candidates' copies of the model (each
/// candidate runs its own model, held for the whole ranking: about 2 GB at this size).
const MAX_COPIES: usize = 5_000_000;

/// What a ranking was of: everything its files and its report section say besides the
/// numbers. Carried in shard files, so that `merge` needs no scenario file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RankInfo {
    /// Scenario name.
    pub scenario: String,
    /// The scenario file as given.
    pub file: String,
    /// Calendar date of day 0.
    #[serde(with = "iso_date")]
    pub start: jiff::civil::Date,
    /// Tool version.
    pub version: String,
    /// What each candidate is.
    pub by: By,
    /// What each candidate suffers.
    pub disruption: Disruption,
    /// Each candidate's label, in candidate order.
    pub candidates: Vec<String>,
    /// Region and product id of each candidate, for the files.
    pub places: Vec<(String, String)>,
    /// Facility ids each candidate covers.
    pub facility_ids: Vec<Vec<String>>,
    /// How many of the watched ids are demand sinks (the others are plants).
    pub watch_sinks: usize,
    /// The currency of products' values (`[report] currency`; empty when the file gives none).
    #[serde(default)]
    pub currency: String,
}

impl RankInfo {
    /// What values are in: the scenario's currency, or `value units` when it names none.
    pub fn money(&self) -> &str {
        if self.currency.is_empty() { "value units" } else { &self.currency }
    }

    /// `a full stop of 90 days from 2025-01-01`.
    pub fn disruption_text(&self) -> String {
        let what = match self.disruption.kind {
            DisruptionKind::FullStop => "a full stop",
            DisruptionKind::Ban => "an export ban",
        };
        format!(
            "{what} of {} days from {}",
            self.disruption.days,
            date_of(self.start, self.disruption.start_day)
        )
    }
}

/// A date as ISO 8601 text in shard files.
mod iso_date {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(date: &jiff::civil::Date, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(date)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<jiff::civil::Date, D::Error> {
        String::deserialize(deserializer)?.parse().map_err(serde::de::Error::custom)
    }
}

fn date_of(start: jiff::civil::Date, day: u32) -> jiff::civil::Date {
    start.checked_add(jiff::Span::new().days(i64::from(day))).unwrap_or(start)
}

/// `full-stop:90d` or `ban:26w` into a disruption from `start_day`.
pub fn parse_disruption(text: &str, start_day: u32) -> Result<Disruption, Error> {
    let hint = "write --disruption full-stop:90d (its facilities make nothing for 90 days) or \
                --disruption ban:180d (its region exports none of its products for 180 days)";
    let Some((kind, duration)) = text.split_once(':') else {
        return Err(Error::new(format!("--disruption {text}: expected KIND:DURATION"), hint));
    };
    let kind = match kind.trim() {
        "full-stop" => DisruptionKind::FullStop,
        "ban" => DisruptionKind::Ban,
        other => {
            return Err(Error::new(
                format!("--disruption {text}: unknown kind '{other}' (full-stop or ban)"),
                hint,
            ));
        }
    };
    let days = chokepoint_scenario::parse_duration(duration).ok_or_else(|| {
        Error::new(
            format!("--disruption {text}: '{duration}' is not a duration"),
            "durations are a number and a unit: 90d (days) or 12w (weeks)",
        )
    })?;
    if !(1.0..=f64::from(chokepoint_engine::model::MAX_HORIZON_DAYS)).contains(&days) || days.fract() != 0.0 {
        return Err(Error::new(
            format!("--disruption {text}: the duration must be a whole number of days, at least 1"),
            "write for example full-stop:90d",
        ));
    }
    Ok(Disruption { kind, start_day, days: days as u32 })
}

/// `--start`: a date on or after the scenario's start, or a day number.
fn parse_start(text: Option<&str>, scenario: &Scenario) -> Result<u32, Error> {
    let Some(text) = text else { return Ok(0) };
    let text = text.trim();
    if let Ok(day) = text.parse::<u32>() {
        return Ok(day);
    }
    let date: jiff::civil::Date = text.parse().map_err(|_| {
        Error::new(
            format!("--start {text}: not a date or a day number"),
            format!("write a date such as --start {} or a day number such as --start 30", scenario.start),
        )
    })?;
    let days = scenario.start.until(date).map(|span| span.get_days()).unwrap_or(-1);
    let days = u32::try_from(days).map_err(|_| {
        Error::new(
            format!("--start {text} is before the scenario starts ({})", scenario.start),
            "disrupt on or after the scenario's start date",
        )
    })?;
    Ok(days)
}

/// What a ranking is asked to do: `chokepoint rank`'s options.
#[derive(Clone, Debug)]
pub struct Options {
    /// What each candidate is (`--by`).
    pub by: By,
    /// `KIND:DURATION` (`--disruption`): `full-stop:90d` or `ban:180d`.
    pub disruption: String,
    /// When the disruption starts (`--start`): a date or a day number; the start when `None`.
    pub start: Option<String>,
    /// Replicates per candidate ([`DEFAULT_RUNS`] when `None`).
    pub runs: Option<u32>,
    /// The base seed (the scenario's when `None`).
    pub seed: Option<u64>,
    /// Worker threads (0: one per core). Results do not depend on it.
    pub threads: usize,
    /// Keys set as `--set` sets them, one value each.
    pub settings: Vec<(String, String)>,
    /// Watched buyers (`--watch`); the scenario's `[report] watch`, else every sink, when empty.
    pub watch: Vec<String>,
    /// Which shard of the runs to run ([`Shard::WHOLE`] for all).
    pub shard: Shard,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            by: By::Facility,
            disruption: "full-stop:90d".to_owned(),
            start: None,
            runs: None,
            seed: None,
            threads: 0,
            settings: Vec::new(),
            watch: Vec::new(),
            shard: Shard::WHOLE,
        }
    }
}

/// The watched buyers: `watch`, else the scenario's `[report] watch`, else every sink.
fn watched(watch: &[String], scenario: &Scenario) -> Result<Vec<String>, Error> {
    let model = &scenario.model;
    let known =
        || model.facilities.iter().map(|f| f.id.as_str()).chain(model.sinks.iter().map(|s| s.id.as_str()));
    let ids: Vec<String> = if !watch.is_empty() {
        watch.iter().flat_map(|w| w.split(',')).map(|w| w.trim().to_owned()).collect()
    } else if !scenario.report.watch.is_empty() {
        scenario.report.watch.clone()
    } else {
        model.sinks.iter().map(|s| s.id.clone()).collect()
    };
    for id in &ids {
        if !known().any(|k| k == id) {
            let hint = match chokepoint_scenario::did_you_mean(id, known()) {
                Some(near) => format!("did you mean '{near}'?"),
                None => "watch demand sinks or facilities of the scenario (see [demand] and [facilities])"
                    .to_owned(),
            };
            return Err(Error::new(format!("--watch {id}: no facility or demand sink has this id"), hint));
        }
    }
    if ids.is_empty() {
        return Err(Error::new(
            "there is no buyer to watch: the scenario has no demand sink",
            "add a [demand.<id>] sink, or name facilities with --watch ID",
        ));
    }
    Ok(ids)
}

/// A ranking ready to run: the scenario, each candidate's disrupted model and what the
/// files will say. [`Prepared::run`] runs it (or its shard).
pub struct Prepared {
    /// The scenario, with the settings applied.
    pub scenario: Scenario,
    /// The warnings of loading it.
    pub warnings: chokepoint_scenario::Report,
    /// What is ranked (the files' description).
    pub info: RankInfo,
    /// The watched ids.
    pub watch: Vec<String>,
    /// Seed, runs, shard, threads and the fingerprint of the ranking.
    pub config: RankConfig,
    models: Vec<Model>,
}

/// Loads `file` with `options.settings`, checks the options and builds every candidate's
/// disrupted model.
pub fn prepare(file: &Path, options: &Options) -> Result<Prepared, Error> {
    let loaded = crate::load(file, &options.settings)?;
    let scenario = loaded.scenario;
    let start_day = parse_start(options.start.as_deref(), &scenario)?;
    let disruption = parse_disruption(&options.disruption, start_day)?;
    let horizon = scenario.model.horizon_days;
    let end = u64::from(start_day) + u64::from(disruption.days);
    if end >= u64::from(horizon) {
        return Err(Error::new(
            format!(
                "the disruption runs from day {start_day} to day {end}, past the horizon ({horizon} days, to {})",
                scenario.date_of(horizon.saturating_sub(1))
            ),
            "start it earlier (--start), shorten it, or lengthen [scenario] horizon (--set 'scenario.horizon=\"730d\"')",
        ));
    }
    if disruption.kind == DisruptionKind::Ban && options.by == By::Facility {
        return Err(Error::new(
            "a ban is issued by a region, not by a facility",
            "rank facilities with --disruption full-stop:90d, or bans with --by region or --by region-product",
        ));
    }
    let watch = watched(&options.watch, &scenario)?;
    let model = &scenario.model;
    let candidates = chokepoint_montecarlo::candidates(model, options.by);
    let runs = options.runs.unwrap_or(DEFAULT_RUNS);
    if runs == 0 || runs > chokepoint_scenario::MAX_RUNS {
        return Err(Error::new(
            format!("--runs {runs} is out of range"),
            format!("ask for 1 to {} runs per candidate", chokepoint_scenario::MAX_RUNS),
        ));
    }
    let all_tasks = u64::from(runs) * (candidates.len() as u64 + 1);
    if all_tasks > MAX_TASKS {
        return Err(Error::new(
            format!(
                "{} candidates and the baseline, {runs} runs each, make {all_tasks} runs",
                candidates.len()
            ),
            format!("rank with at most {MAX_TASKS} runs in all: fewer --runs, or coarser candidates (--by)"),
        ));
    }
    let size = model.facilities.len() + model.sinks.len() + model.supplies.len() + model.events.len();
    if candidates.len().saturating_mul(size) > MAX_COPIES {
        return Err(Error::new(
            format!(
                "{} candidates would each need their own copy of a model of {size} entities, links and events",
                candidates.len()
            ),
            "rank coarser candidates (--by region or --by region-product) or a smaller world",
        ));
    }
    let models = candidates
        .iter()
        .map(|c| {
            c.disrupt(model, &disruption).map_err(|problem| {
                Error::new(format!("cannot disrupt {}: {problem}", c.label), "rename that event")
            })
        })
        .collect::<Result<Vec<Model>, Error>>()?;
    // The models' problems now, before any run.
    crate::plan(model)?;
    for candidate in &models {
        crate::plan(candidate)?;
    }
    let info = RankInfo {
        currency: scenario.report.currency.clone().unwrap_or_default(),
        scenario: scenario.name.clone(),
        file: file.display().to_string(),
        start: scenario.start,
        version: env!("CARGO_PKG_VERSION").to_owned(),
        by: options.by,
        disruption,
        places: candidates
            .iter()
            .map(|c| {
                (
                    c.region.map_or_else(String::new, |r| r.as_str().to_owned()),
                    c.product.map_or_else(String::new, |p| model.products[p.0 as usize].id.clone()),
                )
            })
            .collect(),
        facility_ids: candidates
            .iter()
            .map(|c| c.facilities.iter().map(|f| model.facilities[f.0 as usize].id.clone()).collect())
            .collect(),
        candidates: candidates.iter().map(|c| c.label.clone()).collect(),
        watch_sinks: watch.iter().filter(|id| model.sinks.iter().any(|s| &s.id == *id)).count(),
    };
    // Everything that makes the ranking, so that shards of different rankings do not merge
    // (the seed and the runs are checked on their own).
    let identity = [
        format!("{:?}", (&scenario.name, &scenario.start, model)),
        format!("{:?}", (&info.by, &info.disruption, &info.candidates, &watch)),
    ];
    let config = RankConfig {
        seed: options.seed.unwrap_or(scenario.seed),
        runs: u64::from(runs),
        shard: options.shard,
        threads: options.threads,
        start_day: disruption.start_day,
        tag: crate::batch::fingerprint(&identity),
    };
    Ok(Prepared { scenario, warnings: loaded.warnings, info, watch, config, models })
}

impl Prepared {
    /// The replicates this shard runs: its runs of the baseline and of every candidate.
    pub fn tasks(&self) -> u64 {
        let range = self.config.shard.range(self.config.runs);
        (range.end - range.start) * (self.info.candidates.len() as u64 + 1)
    }

    /// Runs this shard's replicates of the baseline and of every candidate; `hooks` reports
    /// progress (in replicates) and stops the runs when its flag is raised.
    pub fn run(&self, hooks: &Hooks<'_>) -> Result<RankPart, Error> {
        let baseline = crate::plan(&self.scenario.model)?;
        let plans = self.models.iter().map(crate::plan).collect::<Result<Vec<Plan<'_>>, Error>>()?;
        chokepoint_montecarlo::rank_part(&baseline, &plans, &self.watch, &self.config, hooks)
            .map_err(|stop| stopped(stop, self.tasks(), &self.info))
    }

    /// The part file of this shard's runs: what `merge` joins.
    pub fn header(&self, part: RankPart, top: usize) -> RankHeader {
        RankHeader { info: self.info.clone(), top, part }
    }
}

/// Ranks the candidates of `file` (every run, on this machine): what the ranking is of, and
/// the ranking, worst first.
pub fn rank(file: &Path, options: &Options, hooks: &Hooks<'_>) -> Result<(RankInfo, Ranking), Error> {
    let prepared = prepare(file, &Options { shard: Shard::WHOLE, ..options.clone() })?;
    let part = prepared.run(hooks)?;
    Ok((prepared.info, whole(part)?))
}

/// The ranking of a whole (unsharded) run's part.
pub fn whole(part: RankPart) -> Result<Ranking, Error> {
    RankPart::merge(vec![part]).map_err(|why| {
        Error::new(
            format!("cannot rank: {why}"),
            "this is a bug in chokepoint; please report it with the scenario",
        )
    })
}

/// `rank.csv`, `rank.json` and the chart of the `top` first candidates (SVG and PNG, slide
/// size): what `chokepoint rank` writes, and what a merge of its shards writes. Stops with
/// [`Error::Interrupted`] before drawing when `cancel` is raised.
pub fn files(
    info: &RankInfo,
    ranking: &Ranking,
    top: usize,
    cancel: &std::sync::atomic::AtomicBool,
) -> Result<Vec<OutputFile>, Error> {
    let chart = chart(info, ranking, top);
    let mut files = vec![
        OutputFile { name: "rank.csv".into(), contents: rank_csv(info, ranking)? },
        OutputFile { name: "rank.json".into(), contents: rank_json(info, ranking)? },
    ];
    files.extend(crate::charts::render(
        std::slice::from_ref(&chart),
        &[chokepoint_plot::Format::Svg, chokepoint_plot::Format::Png],
        chokepoint_plot::Size::Slide,
        cancel,
    )?);
    Ok(files)
}

/// The JSON line that opens a ranking's shard file: everything a merge needs.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RankHeader {
    /// What was ranked.
    pub info: RankInfo,
    /// `--top`: candidates printed and drawn.
    pub top: usize,
    /// The shard's impacts.
    pub part: RankPart,
}

impl RankHeader {
    /// Whether the description fits the impacts (a header from a file: the checksum proves
    /// it unchanged, not that it was written by chokepoint).
    pub fn check(&self) -> Result<(), String> {
        let n = self.part.candidates();
        let info = &self.info;
        if info.candidates.len() != n || info.places.len() != n || info.facility_ids.len() != n {
            return Err(format!(
                "it describes {} candidates but holds the runs of {n}",
                info.candidates.len()
            ));
        }
        if info.watch_sinks > self.part.watch.len() {
            return Err("it counts more watched sinks than watched buyers".to_owned());
        }
        Ok(())
    }
}

/// Joins the parts of one ranking's shards (read and checked by [`crate::parts::read_part`])
/// into the ranking one unsharded run gives, with its description and `--top`.
pub fn merge(headers: Vec<RankHeader>) -> Result<(RankInfo, usize, Ranking), Error> {
    let Some(first) = headers.first() else {
        return Err(Error::new("no shards to merge", "give the rank-shard-*.part files of one ranking"));
    };
    let (info, top) = (first.info.clone(), first.top);
    if let Some(other) = headers.iter().find(|h| h.info != info || h.top != top) {
        let of = |h: &RankHeader| format!("{}/{}", h.part.shard.index, h.part.shard.count);
        return Err(Error::new(
            format!(
                "shard {} comes from another ranking than shard {} (another scenario, file, candidates, \
                 disruption or --top)",
                of(other),
                of(first)
            ),
            "merge only the rank-shard-*.part files of one ranking: the same chokepoint rank command, with \
             --shard 0/N to N-1/N",
        ));
    }
    let ranking = RankPart::merge(headers.into_iter().map(|h| h.part).collect()).map_err(|why| {
        Error::new(
            format!("cannot merge: {why}"),
            "give every rank-shard-*.part of one ranking once (rerun a missing shard with the same command)",
        )
    })?;
    Ok((info, top, ranking))
}

/// Says why a ranking stopped.
fn stopped(stop: Stop, total: u64, info: &RankInfo) -> Error {
    match stop {
        Stop::Cancelled { completed } => crate::batch::interrupted(completed, total),
        Stop::Failed(failures) => {
            let mut message = crate::batch::broken(failures.len());
            for f in failures.iter().take(10) {
                let what = match f.point {
                    0 => "the baseline".to_owned(),
                    c => format!("{} disrupted", info.candidates[c - 1]),
                };
                message.push_str(&format!("\n  - {what}, run {}, seed {}: {}", f.run, f.seed, f.problem));
            }
            Error::new(
                message,
                "this is a bug in chokepoint; please report it with the scenario and the seed",
            )
        }
        Stop::TooLarge { .. } | Stop::Other(_) => {
            let message = match stop {
                Stop::Other(message) => message,
                _ => "the ranking would need too much memory".to_owned(),
            };
            Error::new(message, "check the watched ids and the memory of this machine")
        }
    }
}

/// Days as `34 d`, or `-`.
fn days(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_owned(), |d| format!("{} d", format_units(d.round())))
}

/// The watched buyers a candidate hurts most (by mean lost value), at most `n`.
fn most_hit(row: &chokepoint_montecarlo::RankRow, n: usize) -> Vec<String> {
    let mut hit: Vec<&chokepoint_montecarlo::rank::BuyerImpact> =
        row.buyers.iter().filter(|b| b.p_short > 0.0 && b.lost_value > 0.0).collect();
    hit.sort_by(|a, b| b.lost_value.total_cmp(&a.lost_value).then_with(|| a.id.cmp(&b.id)));
    hit.into_iter().take(n).map(|b| b.id.clone()).collect()
}

/// Columns of the ranking table.
const HEADER: [&str; 10] = [
    "rank",
    "candidate",
    "lost value",
    "90 % of runs",
    "exposure",
    "P(short)",
    "short after",
    "recovered after",
    "rank range",
    "hits hardest",
];

/// One candidate's cells of the ranking table, `i` its place (from 0).
fn cells(info: &RankInfo, row: &chokepoint_montecarlo::RankRow, i: usize) -> [String; 10] {
    let hit = most_hit(row, 2);
    let more = row.buyers.iter().filter(|b| b.p_short > 0.0 && b.lost_value > 0.0).count().saturating_sub(2);
    let mut hits = hit.join(", ");
    if more > 0 {
        hits.push_str(&format!(" +{more}"));
    }
    let [lo, _, hi] = row.rank;
    let compact = |v: f64| ValueFormat::Compact.format(v);
    [
        (i + 1).to_string(),
        info.candidates[row.candidate].clone(),
        compact(row.lost_value.mean),
        format!("{} – {}", compact(row.lost_value.p05), compact(row.lost_value.p95)),
        format!("{:.2}", row.exposure),
        ValueFormat::Percent.format(row.p_short),
        days(row.survive_days),
        match row.recover_days {
            Some(_) if row.p_recovered < 1.0 => {
                format!(
                    "{} ({} of runs)",
                    days(row.recover_days),
                    ValueFormat::Percent.format(row.p_recovered)
                )
            }
            Some(_) => days(row.recover_days),
            None if row.p_severe > 0.0 => "not by the end".to_owned(),
            None => "-".to_owned(),
        },
        if lo.round() == hi.round() {
            format!("{}", lo.round())
        } else {
            format!("{}–{}", lo.round(), hi.round())
        },
        hits,
    ]
}

/// The report's ranking table: header and the `top` first rows.
pub fn report_table(info: &RankInfo, ranking: &Ranking, top: usize) -> (Vec<&'static str>, Vec<Vec<String>>) {
    let rows =
        ranking.rows.iter().take(top).enumerate().map(|(i, row)| cells(info, row, i).to_vec()).collect();
    (HEADER.to_vec(), rows)
}

/// One sentence for the report's key findings: the worst candidate and what it costs.
pub fn headline(info: &RankInfo, ranking: &Ranking) -> String {
    let Some(first) = ranking.rows.first().filter(|r| r.lost_value.mean > 0.0) else {
        return format!(
            "No single {} under {} leaves a watched buyer short ({} candidates, {} runs each).",
            by_noun(info.by),
            info.disruption_text(),
            info.candidates.len(),
            ranking.runs
        );
    };
    let mut line = format!(
        "The worst single point of failure of {} candidates ({}) under {} is {}: the watched buyers lose {} {} of \
         value on average (90 % of runs between {} and {})",
        info.candidates.len(),
        by_noun(info.by),
        info.disruption_text(),
        info.candidates[first.candidate],
        ValueFormat::Compact.format(first.lost_value.mean),
        info.money(),
        ValueFormat::Compact.format(first.lost_value.p05),
        ValueFormat::Compact.format(first.lost_value.p95),
    );
    if let Some(d) = first.survive_days {
        line.push_str(&format!(", the first running short after {} days", d.round()));
    }
    if let Some(second) = ranking.rows.get(1).filter(|r| r.lost_value.mean > 0.0) {
        line.push_str(&format!(
            "; next is {}, at {} of that loss",
            info.candidates[second.candidate],
            ValueFormat::Percent.format((second.exposure * 100.0).round() / 100.0)
        ));
    }
    line.push('.');
    line
}

/// The ranking as a plain-text table: the `top` first candidates.
pub fn table(info: &RankInfo, ranking: &Ranking, top: usize) -> String {
    let mut out = format!(
        "{}\nSingle points of failure by {}: each candidate suffers {}; {} runs each, seed {}.\n\
         Watched: {}.\n\n",
        info.scenario,
        info.by.as_str(),
        info.disruption_text(),
        ranking.runs,
        ranking.seed,
        ranking.watch.join(", ")
    );
    let rows: Vec<[String; 10]> =
        ranking.rows.iter().take(top).enumerate().map(|(i, row)| cells(info, row, i)).collect();
    out.push_str(&render(&HEADER, &rows));
    if ranking.rows.len() > top {
        out.push_str(&format!(
            "… {} more candidates in rank.csv (--top N prints more).\n",
            ranking.rows.len() - top
        ));
    }
    out.push_str(
        "\nlost value: value of the watched buyers' demand not met because of the disruption (against the same \
         run undisturbed), mean over runs. exposure: lost value over the first candidate's. short after / \
         recovered after: days from the disruption's start to the first watched buyer's shortage, and until \
         all are back, medians over runs. rank range: 5th to 95th percentile of its rank, run by run. \
         docs/ranking.md explains the method.\n",
    );
    out
}

/// `rank.csv`: one row per candidate, in rank order.
fn rank_csv(info: &RankInfo, ranking: &Ranking) -> Result<Vec<u8>, Error> {
    let fail = |e: csv::Error| {
        Error::new(
            format!("could not format rank.csv: {e}"),
            "this is a bug; please report it with the scenario",
        )
    };
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "rank",
        "candidate",
        "by",
        "region",
        "product",
        "facilities",
        "disruption",
        "start_date",
        "days",
        "lost_value_mean",
        "lost_value_p05",
        "lost_value_p50",
        "lost_value_p95",
        "exposure",
        "p_short",
        "buyers_short_mean",
        "survive_days_median",
        "recover_days_median",
        "p_severe",
        "p_recovered",
        "rank_p05",
        "rank_p50",
        "rank_p95",
        "p_first",
        "hits_hardest",
    ])
    .map_err(fail)?;
    let opt = |v: Option<f64>| v.map_or_else(String::new, |v| v.to_string());
    for (i, row) in ranking.rows.iter().enumerate() {
        let c = row.candidate;
        w.write_record([
            (i + 1).to_string(),
            info.candidates[c].clone(),
            info.by.as_str().to_owned(),
            info.places[c].0.clone(),
            info.places[c].1.clone(),
            info.facility_ids[c].join(";"),
            info.disruption.kind.as_str().to_owned(),
            date_of(info.start, info.disruption.start_day).to_string(),
            info.disruption.days.to_string(),
            row.lost_value.mean.to_string(),
            row.lost_value.p05.to_string(),
            row.lost_value.p50.to_string(),
            row.lost_value.p95.to_string(),
            row.exposure.to_string(),
            row.p_short.to_string(),
            row.buyers_short.to_string(),
            opt(row.survive_days),
            opt(row.recover_days),
            row.p_severe.to_string(),
            row.p_recovered.to_string(),
            row.rank[0].to_string(),
            row.rank[1].to_string(),
            row.rank[2].to_string(),
            row.p_first.to_string(),
            most_hit(row, 3).join(";"),
        ])
        .map_err(fail)?;
    }
    w.into_inner().map_err(|e| fail(e.into_error().into()))
}

#[derive(Serialize)]
struct JsonRanking<'a> {
    scenario: &'a str,
    file: &'a str,
    version: &'a str,
    seed: u64,
    runs: u64,
    by: By,
    disruption: JsonDisruption,
    horizon_days: u32,
    watch: &'a [String],
    candidates: Vec<JsonRow<'a>>,
}

#[derive(Serialize)]
struct JsonDisruption {
    kind: DisruptionKind,
    start_day: u32,
    start_date: String,
    days: u32,
}

#[derive(Serialize)]
struct JsonRow<'a> {
    rank: usize,
    candidate: &'a str,
    region: &'a str,
    product: &'a str,
    facilities: &'a [String],
    #[serde(flatten)]
    row: &'a chokepoint_montecarlo::RankRow,
}

/// `rank.json`: the ranking with every buyer's share, for tools.
fn rank_json(info: &RankInfo, ranking: &Ranking) -> Result<Vec<u8>, Error> {
    let doc = JsonRanking {
        scenario: &info.scenario,
        file: &info.file,
        version: &info.version,
        seed: ranking.seed,
        runs: ranking.runs,
        by: info.by,
        disruption: JsonDisruption {
            kind: info.disruption.kind,
            start_day: info.disruption.start_day,
            start_date: date_of(info.start, info.disruption.start_day).to_string(),
            days: info.disruption.days,
        },
        horizon_days: ranking.horizon_days,
        watch: &ranking.watch,
        candidates: ranking
            .rows
            .iter()
            .enumerate()
            .map(|(i, row)| JsonRow {
                rank: i + 1,
                candidate: &info.candidates[row.candidate],
                region: &info.places[row.candidate].0,
                product: &info.places[row.candidate].1,
                facilities: &info.facility_ids[row.candidate],
                row,
            })
            .collect(),
    };
    let mut text = serde_json::to_string_pretty(&doc).map_err(|e| {
        Error::new(
            format!("could not format rank.json: {e}"),
            "this is a bug; please report it with the scenario",
        )
    })?;
    text.push('\n');
    Ok(text.into_bytes())
}

/// The ranking chart: the `top` first candidates, worst on top.
pub fn chart(info: &RankInfo, ranking: &Ranking, top: usize) -> Named {
    let shown: Vec<&chokepoint_montecarlo::RankRow> = ranking.rows.iter().take(top.max(1)).collect();
    let bars = shown
        .iter()
        .enumerate()
        .map(|(i, row)| RankBar {
            label: format!("{}. {}", i + 1, info.candidates[row.candidate]),
            mean: row.lost_value.mean,
            low: row.lost_value.p05,
            high: row.lost_value.p95,
            note: match row.survive_days {
                Some(d) if row.p_short > 0.0 => format!(
                    "first short after {} d · {} of runs",
                    d.round(),
                    ValueFormat::Percent.format(row.p_short)
                ),
                _ => "no buyer runs short".to_owned(),
            },
        })
        .collect();
    let sinks = info.watch_sinks;
    let n = ranking.watch.len();
    let watched = match (n, sinks == n) {
        (1, true) => format!("the watched buyer ({})", ranking.watch[0]),
        (1, false) => format!("the watched plant ({})", ranking.watch[0]),
        (_, true) => format!("the {n} watched buyers"),
        (_, false) => format!("the {n} watched buyers and plants"),
    };
    let more = ranking.rows.len().saturating_sub(shown.len());
    Named {
        stem: "rank".into(),
        caption: format!(
            "Each candidate suffers {} in turn; the bar is the value of the demand of the {watched} that goes \
             unmet because of it (against the same run undisturbed), mean of {} runs; the whisker spans 90 % of \
             runs. The note says when the first buyer runs short.{}",
            info.disruption_text(),
            ranking.runs,
            if more > 0 {
                format!(" {more} lower-ranked candidates are in rank.csv.")
            } else {
                String::new()
            }
        ),
        section: Section::Rank,
        chart: Chart::Ranking(chokepoint_plot::Ranking {
            frame: Frame {
                title: format!("Single points of failure: which {} hurts most", by_noun(info.by)),
                subtitle: format!(
                    "Value of unmet demand of {watched} after {}, {}",
                    info.disruption_text(),
                    info.money()
                ),
                footnote: format!(
                    "Scenario: {} ({}) · seed {} · {} runs per candidate · chokepoint {}",
                    info.scenario, info.file, ranking.seed, ranking.runs, info.version
                ),
            },
            format: ValueFormat::Compact,
            bar: "Mean over runs".into(),
            whisker: "5-95 % of runs".into(),
            bars,
        }),
    }
}

fn by_noun(by: By) -> &'static str {
    match by {
        By::Facility => "facility",
        By::Region => "region",
        By::Product => "product",
        By::RegionProduct => "region's product",
    }
}
