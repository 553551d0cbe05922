//! Reading back the result files of `chokepoint run` and `chokepoint sweep` (DESIGN.md §4),
//! for `chokepoint plot` and `chokepoint report`. Only what the charts need is kept.
//! [`chain`] writes the part of `summary.json` they label and order entities by.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use jiff::civil::Date;
use serde_json::Value;

use chokepoint_engine::Model;
use serde::{Deserialize, Serialize};

use crate::Error;

/// Days per step of the charts of a run.
const WEEK: f64 = 7.0;

/// Where an entity sits in the chain: what charts need to label and order it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainEntity {
    /// `facility` or `sink`.
    pub kind: String,
    /// ISO 3166 code.
    pub region: String,
    /// What it makes or buys.
    pub product: String,
    /// The product's unit.
    pub unit: String,
    /// Stage down the chain: 0 for a mine, one more than its deepest supplier otherwise.
    pub tier: u32,
    /// Display name (the scenario's `name`; absent in files without one: the id is shown).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
}

/// Every facility and sink of `model` with its product, unit, tier and display name (from
/// `names`, by id; none when absent).
pub fn chain(model: &Model, names: &BTreeMap<String, String>) -> BTreeMap<String, ChainEntity> {
    let (facility_tiers, sink_tiers) = model.tiers();
    let entity = |kind: &str,
                  id: &str,
                  region: chokepoint_engine::Region,
                  product: chokepoint_engine::ProductId,
                  tier| {
        let (product, unit) = model
            .products
            .get(product.0 as usize)
            .map_or((String::new(), String::new()), |p| (p.id.clone(), p.unit.clone()));
        let name = names.get(id).cloned().unwrap_or_default();
        (
            id.to_owned(),
            ChainEntity { kind: kind.into(), region: region.as_str().into(), product, unit, tier, name },
        )
    };
    let facilities = (model.facilities.iter().zip(facility_tiers))
        .map(|(f, tier)| entity("facility", &f.id, f.region, f.product, tier));
    let sinks = (model.sinks.iter().zip(sink_tiers))
        .map(|(s, tier)| entity("sink", &s.id, s.region, s.product, tier));
    facilities.chain(sinks).collect()
}

/// What every result says about where it came from.
#[derive(Clone, Debug)]
pub struct Meta {
    /// The scenario's name.
    pub scenario: String,
    /// Its description.
    pub description: String,
    /// The scenario file as given.
    pub file: String,
    /// Base seed.
    pub seed: u64,
    /// Version of chokepoint that wrote it.
    pub version: String,
    /// Calendar date of day 0.
    pub start: Date,
    /// The `[report] watch` list (empty: every sink).
    pub watch: Vec<String>,
    /// Every entity's place in the chain, by id.
    pub chain: BTreeMap<String, ChainEntity>,
}

impl Meta {
    /// The entities to report on: the watch list, or every sink when it is empty.
    pub fn watched(&self) -> Vec<String> {
        if self.watch.is_empty() {
            self.chain.iter().filter(|(_, e)| e.kind == "sink").map(|(id, _)| id.clone()).collect()
        } else {
            self.watch.clone()
        }
    }

    /// How an entity is shown on charts and in tables: its display name, else its id.
    pub fn display<'a>(&'a self, id: &'a str) -> &'a str {
        self.chain.get(id).map(|e| e.name.as_str()).filter(|n| !n.is_empty()).unwrap_or(id)
    }

    /// The unit of an entity's product (empty when unknown).
    pub fn unit(&self, entity: &str) -> &str {
        self.chain.get(entity).map_or("", |e| e.unit.as_str())
    }
}

/// One row of `events.csv`.
#[derive(Clone, Debug)]
pub struct EventRow {
    /// Day it happened (0-based).
    pub day: u32,
    /// What happened (`control_started`, …).
    pub kind: String,
    /// The id it happened to.
    pub subject: String,
}

/// KPIs of one entity in one run.
#[derive(Clone, Debug, Default)]
pub struct RunKpi {
    /// Days from the first disruption to the first shortage (`None`: never short).
    pub time_to_survive_days: Option<u32>,
    /// Days from the first disruption to recovery (`None`: never recovered).
    pub time_to_recover_days: Option<u32>,
    /// Highest daily shortage fraction.
    pub peak_shortage: f64,
    /// Demand not met over the run, in units.
    pub unmet_units: f64,
    /// Share of demand met over the run.
    pub fill_rate: f64,
    /// How close it came (absent for an entity without inputs).
    pub headroom: Option<RunHeadroom>,
}

/// An entity's lowest cover in one run (`summary.json`'s `headroom`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunHeadroom {
    /// Fewest days of use held (stock on hand plus in transit).
    pub min_cover_days: f64,
    /// ISO date it was first that low.
    pub date: String,
    /// The input that set it.
    pub input: String,
    /// The supplier with the most orders open that day, if any.
    pub supplier: Option<String>,
}

/// Fewest days of cover over runs: mean and 5th, 50th and 95th percentiles.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CoverSpread {
    /// Mean over runs.
    pub mean: f64,
    /// 5th percentile.
    pub p05: f64,
    /// Median.
    pub p50: f64,
    /// 95th percentile.
    pub p95: f64,
}

/// The files of one run.
#[derive(Clone, Debug)]
pub struct RunData {
    /// Where it came from.
    pub meta: Meta,
    /// Days simulated.
    pub horizon_days: u32,
    /// Day of the first disruptive event, if one happened.
    pub first_disruption: Option<u32>,
    /// Days per chart step (a week, or the report step when longer).
    pub step_days: f64,
    /// Shortage fraction per entity and chart step: unmet over demand of the step.
    pub shortage: BTreeMap<String, Vec<f64>>,
    /// The timeline played.
    pub events: Vec<EventRow>,
    /// KPIs by entity id.
    pub kpis: BTreeMap<String, RunKpi>,
}

/// Summary of one entity at one sweep point (from summary.json).
#[derive(Clone, Debug, Default)]
pub struct PointEntity {
    /// Share of runs with unmet demand on some day.
    pub probability_short: f64,
    /// Quantiles (`p10`, `p50`, `p90`) of the first day short, as ISO dates.
    pub first_short_date: BTreeMap<String, String>,
    /// Share of runs that ran short and recovered.
    pub probability_recovered: f64,
    /// Mean fill rate over runs.
    pub fill_rate_mean: f64,
    /// Mean unmet units over runs.
    pub unmet_mean: f64,
    /// Fewest days of cover over runs (absent for an entity without inputs).
    pub min_cover: Option<CoverSpread>,
    /// Share of runs not yet short, one value per report step.
    pub survival: Vec<f64>,
}

/// One point of a sweep.
#[derive(Clone, Debug)]
pub struct SweepPoint {
    /// The swept keys and their values at this point.
    pub settings: Vec<(String, String)>,
    /// Replicates at this point.
    pub runs: u64,
    /// Days simulated.
    pub horizon_days: u32,
    /// Summaries by entity id.
    pub entities: BTreeMap<String, PointEntity>,
}

/// Quantiles of one band row: mean, p05, p10, p25, p50, p75, p90, p95.
pub type BandRow = (f64, [f64; 8]);

/// The files of one sweep.
#[derive(Clone, Debug)]
pub struct SweepData {
    /// Where it came from.
    pub meta: Meta,
    /// Replicates per point.
    pub runs: u64,
    /// Days per report step.
    pub step_days: f64,
    /// The swept keys and their values.
    pub grid: Vec<(String, Vec<String>)>,
    /// The sweep's points, in order.
    pub points: Vec<SweepPoint>,
    /// `(point, entity, metric)` → one `(day, [mean, p05 … p95])` per report step.
    pub bands: BTreeMap<(usize, String, String), Vec<BandRow>>,
    /// `(point, entity)` → fill rate of each run, by run number.
    pub fill_rates: BTreeMap<(usize, String), BTreeMap<u64, f64>>,
}

impl SweepData {
    /// `key = value; …` of a point, or `as written`.
    pub fn label(&self, point: usize) -> String {
        let settings = &self.points[point].settings;
        if settings.is_empty() {
            "the scenario as written".to_owned()
        } else {
            settings.iter().map(|(k, v)| format!("{k} = {v}")).collect::<Vec<_>>().join("; ")
        }
    }

    /// The point's settings in words for titles: `end after 120d`, `capacity 30`.
    pub fn short_label(&self, point: usize) -> String {
        let settings = &self.points[point].settings;
        if settings.is_empty() {
            "as written".to_owned()
        } else {
            settings.iter().map(|(k, v)| pretty_setting(k, v)).collect::<Vec<_>>().join(", ")
        }
    }
}

/// A swept setting in words for titles and labels: the thing it belongs to and the key,
/// then the value without TOML punctuation. `event.mofcom-18-2025.end = { after = "120d" }`
/// is `mofcom-18-2025 end after 120d`; `event.x.licence.review = "63d"` is `x licence review
/// 63d`; `facilities.jp_magnets.capacity = 30` is `jp_magnets capacity 30`.
pub fn pretty_setting(key: &str, value: &str) -> String {
    let mut parts: Vec<&str> = key.split('.').collect();
    // The table (`event`, `facilities`, `demand`, …) goes; the entity's id stays.
    if parts.len() > 2 {
        parts.remove(0);
    }
    let name = parts.join(" ");
    let value: String = value.chars().filter(|c| !matches!(c, '{' | '}' | '"' | '[' | ']')).collect();
    let value = value.replace(" = ", " ").split_whitespace().collect::<Vec<_>>().join(" ");
    if value.is_empty() { name } else { format!("{name} {value}") }
}

/// A result directory, of either kind.
#[derive(Clone, Debug)]
pub enum Results {
    /// The files of `chokepoint run`.
    Run(RunData),
    /// The files of `chokepoint sweep`.
    Sweep(SweepData),
}

fn unreadable(path: &Path, error: impl std::fmt::Display) -> Error {
    Error::new(
        format!("cannot read '{}': {error}", path.display()),
        "give the directory that chokepoint run or chokepoint sweep wrote (it holds summary.json)",
    )
}

fn malformed(path: &Path, what: impl std::fmt::Display) -> Error {
    Error::new(
        format!("'{}' is not a chokepoint result file: {what}", path.display()),
        "regenerate it with chokepoint run or chokepoint sweep (of this version)",
    )
}

fn read(path: &Path) -> Result<Vec<u8>, Error> {
    crate::files::read_bounded(path, crate::files::MAX_RESULT_BYTES).map_err(|e| unreadable(path, e))
}

/// Reads the result directory `dir`: a sweep when it holds bands.csv, a run when it holds
/// series.csv.
pub fn load(dir: &Path) -> Result<Results, Error> {
    if !dir.is_dir() {
        return Err(Error::new(
            format!("'{}' is not a directory", dir.display()),
            "give the directory that chokepoint run or chokepoint sweep wrote, e.g. out/<scenario>/",
        ));
    }
    if dir.join("bands.csv").is_file() {
        load_sweep(dir).map(Results::Sweep)
    } else if dir.join("series.csv").is_file() {
        load_run(dir).map(Results::Run)
    } else {
        Err(Error::new(
            format!("'{}' holds neither a run (series.csv) nor a sweep (bands.csv)", dir.display()),
            "run chokepoint run FILE or chokepoint sweep FILE first; their output directory is out/<scenario>/ by default",
        ))
    }
}

fn json(path: &Path) -> Result<Value, Error> {
    serde_json::from_slice(&read(path)?).map_err(|e| malformed(path, e))
}

fn meta(path: &Path, summary: &Value) -> Result<Meta, Error> {
    let text = |key: &str| summary.get(key).and_then(Value::as_str).map(str::to_owned);
    let start =
        text("start").and_then(|s| s.parse::<Date>().ok()).ok_or_else(|| malformed(path, "no start date"))?;
    let chain: BTreeMap<String, ChainEntity> = match summary.get("chain") {
        Some(value) => serde_json::from_value(value.clone()).map_err(|e| malformed(path, e))?,
        None => BTreeMap::new(),
    };
    let watch = summary
        .get("watch")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default();
    Ok(Meta {
        scenario: text("scenario").ok_or_else(|| malformed(path, "no scenario name"))?,
        description: text("description").unwrap_or_default(),
        file: text("file").unwrap_or_default(),
        seed: summary.get("seed").and_then(Value::as_u64).ok_or_else(|| malformed(path, "no seed"))?,
        version: text("version").unwrap_or_default(),
        start,
        watch,
        chain,
    })
}

/// Column positions by header name.
fn columns(path: &Path, headers: &csv::StringRecord, names: &[&str]) -> Result<Vec<usize>, Error> {
    names
        .iter()
        .map(|name| {
            headers
                .iter()
                .position(|h| h == *name)
                .ok_or_else(|| malformed(path, format!("no column {name}")))
        })
        .collect()
}

fn number(path: &Path, row: &csv::StringRecord, index: usize) -> Result<f64, Error> {
    row.get(index).and_then(|v| v.parse::<f64>().ok()).ok_or_else(|| {
        malformed(path, format!("line {}: not a number", row.position().map_or(0, |p| p.line())))
    })
}

fn load_run(dir: &Path) -> Result<RunData, Error> {
    let summary_path = dir.join("summary.json");
    let summary = json(&summary_path)?;
    let meta = meta(&summary_path, &summary)?;
    let horizon_days = summary
        .get("horizon_days")
        .and_then(Value::as_u64)
        .ok_or_else(|| malformed(&summary_path, "no horizon"))? as u32;
    let mut kpis = BTreeMap::new();
    if let Some(map) = summary.get("kpis").and_then(Value::as_object) {
        for (id, k) in map {
            let f = |key: &str| k.get(key).and_then(Value::as_f64).unwrap_or(0.0);
            let d = |key: &str| k.get(key).and_then(Value::as_u64).map(|v| v as u32);
            kpis.insert(
                id.clone(),
                RunKpi {
                    time_to_survive_days: d("time_to_survive_days"),
                    time_to_recover_days: d("time_to_recover_days"),
                    peak_shortage: f("peak_shortage"),
                    unmet_units: f("unmet_units"),
                    fill_rate: f("fill_rate"),
                    headroom: k.get("headroom").map(|h| RunHeadroom {
                        min_cover_days: h.get("min_cover_days").and_then(Value::as_f64).unwrap_or(0.0),
                        date: h.get("date").and_then(Value::as_str).unwrap_or_default().to_owned(),
                        input: h.get("input").and_then(Value::as_str).unwrap_or_default().to_owned(),
                        supplier: h.get("supplier").and_then(Value::as_str).map(str::to_owned),
                    }),
                },
            );
        }
    }

    let series_path = dir.join("series.csv");
    let mut reader = csv::Reader::from_reader(std::io::Cursor::new(read(&series_path)?));
    let headers = reader.headers().map_err(|e| malformed(&series_path, e))?.clone();
    let [day, entity, metric, value] =
        columns(&series_path, &headers, &["day", "entity", "metric", "value"])?[..]
    else {
        return Err(malformed(&series_path, "missing columns"));
    };
    // Per entity: shortage fraction, demand and unmet of each report step.
    let mut series: BTreeMap<String, [Vec<f64>; 3]> = BTreeMap::new();
    let mut days: Vec<f64> = Vec::new();
    for row in reader.records() {
        let row = row.map_err(|e| malformed(&series_path, e))?;
        let slot = match row.get(metric) {
            Some("shortage_fraction") => 0,
            Some("demand") => 1,
            Some("unmet") => 2,
            _ => continue,
        };
        let d = number(&series_path, &row, day)?;
        if days.last() != Some(&d) && !days.contains(&d) {
            days.push(d);
        }
        let entry = series.entry(row.get(entity).unwrap_or_default().to_owned()).or_default();
        entry[slot].push(number(&series_path, &row, value)?);
    }
    let report_step = if days.len() > 1 { days[1] - days[0] } else { 1.0 };
    // Daily shortage flickers as shipments arrive; charts show it by week: unmet over demand
    // of the week (the mean daily fraction where demand was not recorded).
    let group = if report_step < WEEK { (WEEK / report_step).round().max(1.0) as usize } else { 1 };
    let step_days = report_step * group as f64;
    let shortage = series
        .into_iter()
        .map(|(id, [fraction, demand, unmet])| {
            let weekly = if demand.len() == fraction.len() && unmet.len() == fraction.len() {
                demand
                    .chunks(group)
                    .zip(unmet.chunks(group))
                    .map(|(d, u)| {
                        let d: f64 = d.iter().sum();
                        if d > 0.0 { (u.iter().sum::<f64>() / d).clamp(0.0, 1.0) } else { 0.0 }
                    })
                    .collect()
            } else {
                fraction.chunks(group).map(|c| c.iter().sum::<f64>() / c.len() as f64).collect()
            };
            (id, weekly)
        })
        .collect();

    let events_path = dir.join("events.csv");
    let mut events = Vec::new();
    if events_path.is_file() {
        let mut reader = csv::Reader::from_reader(std::io::Cursor::new(read(&events_path)?));
        let headers = reader.headers().map_err(|e| malformed(&events_path, e))?.clone();
        let [day, event, subject] = columns(&events_path, &headers, &["day", "event", "subject"])?[..] else {
            return Err(malformed(&events_path, "missing columns"));
        };
        for row in reader.records() {
            let row = row.map_err(|e| malformed(&events_path, e))?;
            events.push(EventRow {
                day: number(&events_path, &row, day)? as u32,
                kind: row.get(event).unwrap_or_default().to_owned(),
                subject: row.get(subject).unwrap_or_default().to_owned(),
            });
        }
    }
    let first_disruption = summary
        .get("first_disruption")
        .and_then(Value::as_str)
        .and_then(|d| d.parse::<Date>().ok())
        .and_then(|d| u32::try_from((d - meta.start).get_days()).ok());
    Ok(RunData { meta, horizon_days, first_disruption, step_days, shortage, events, kpis })
}

fn load_sweep(dir: &Path) -> Result<SweepData, Error> {
    let summary_path = dir.join("summary.json");
    let summary = json(&summary_path)?;
    let meta = meta(&summary_path, &summary)?;
    let runs =
        summary.get("runs").and_then(Value::as_u64).ok_or_else(|| malformed(&summary_path, "no runs"))?;
    let step_days = summary.get("step_days").and_then(Value::as_f64).unwrap_or(1.0).max(1.0);
    let mut grid = Vec::new();
    if let Some(map) = summary.get("grid").and_then(Value::as_object) {
        for (key, values) in map {
            let values =
                values.as_array().map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect());
            grid.push((key.clone(), values.unwrap_or_default()));
        }
    }
    let mut points = Vec::new();
    for p in summary
        .get("points")
        .and_then(Value::as_array)
        .ok_or_else(|| malformed(&summary_path, "no points"))?
    {
        let settings = p
            .get("settings")
            .and_then(Value::as_object)
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned())).collect())
            .unwrap_or_default();
        let mut entities = BTreeMap::new();
        if let Some(map) = p.get("entities").and_then(Value::as_object) {
            for (id, e) in map {
                let f = |path: &[&str]| {
                    let mut v = e;
                    for key in path {
                        v = v.get(key).unwrap_or(&Value::Null);
                    }
                    v.as_f64().unwrap_or(0.0)
                };
                let first_short_date = e
                    .get("first_short_date")
                    .and_then(Value::as_object)
                    .map(|m| {
                        m.iter()
                            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                            .collect()
                    })
                    .unwrap_or_default();
                let survival = e
                    .get("survival")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(Value::as_f64).collect())
                    .unwrap_or_default();
                entities.insert(
                    id.clone(),
                    PointEntity {
                        probability_short: f(&["probability_short"]),
                        first_short_date,
                        probability_recovered: f(&["probability_recovered"]),
                        fill_rate_mean: f(&["fill_rate", "mean"]),
                        unmet_mean: f(&["unmet_units", "mean"]),
                        min_cover: e.get("min_cover_days").map(|_| CoverSpread {
                            mean: f(&["min_cover_days", "mean"]),
                            p05: f(&["min_cover_days", "p05"]),
                            p50: f(&["min_cover_days", "p50"]),
                            p95: f(&["min_cover_days", "p95"]),
                        }),
                        survival,
                    },
                );
            }
        }
        points.push(SweepPoint {
            settings,
            runs: p.get("runs").and_then(Value::as_u64).unwrap_or(runs),
            horizon_days: p.get("horizon_days").and_then(Value::as_u64).unwrap_or(0) as u32,
            entities,
        });
    }

    // Bands: the shortage fraction of every entity (fans and the mean cascade), and the
    // watched entities' stock and unmet (the workbook's series).
    let watched = meta.watched();
    let bands_path = dir.join("bands.csv");
    let mut reader = csv::Reader::from_reader(std::io::Cursor::new(read(&bands_path)?));
    let headers = reader.headers().map_err(|e| malformed(&bands_path, e))?.clone();
    let names = ["point", "day", "entity", "metric", "mean", "p05", "p10", "p25", "p50", "p75", "p90", "p95"];
    let index = columns(&bands_path, &headers, &names)?;
    let mut bands: BTreeMap<(usize, String, String), Vec<BandRow>> = BTreeMap::new();
    for row in reader.records() {
        let row = row.map_err(|e| malformed(&bands_path, e))?;
        let metric = row.get(index[3]).unwrap_or_default();
        let entity = row.get(index[2]).unwrap_or_default();
        let watched_metric = matches!(metric, "stock" | "unmet") && watched.iter().any(|w| w == entity);
        if metric != "shortage_fraction" && !watched_metric {
            continue;
        }
        let point = number(&bands_path, &row, index[0])? as usize;
        let mut q = [0.0; 8];
        for (k, slot) in q.iter_mut().enumerate() {
            *slot = number(&bands_path, &row, index[4 + k])?;
        }
        let key = (point, entity.to_owned(), metric.to_owned());
        bands.entry(key).or_default().push((number(&bands_path, &row, index[1])?, q));
    }

    let kpis_path = dir.join("kpis.csv");
    let mut fill_rates: BTreeMap<(usize, String), BTreeMap<u64, f64>> = BTreeMap::new();
    if kpis_path.is_file() {
        let mut reader = csv::Reader::from_reader(std::io::Cursor::new(read(&kpis_path)?));
        let headers = reader.headers().map_err(|e| malformed(&kpis_path, e))?.clone();
        let index = columns(&kpis_path, &headers, &["point", "run", "entity", "fill_rate"])?;
        for row in reader.records() {
            let row = row.map_err(|e| malformed(&kpis_path, e))?;
            let point = number(&kpis_path, &row, index[0])? as usize;
            let run = number(&kpis_path, &row, index[1])? as u64;
            let entity = row.get(index[2]).unwrap_or_default().to_owned();
            fill_rates.entry((point, entity)).or_default().insert(run, number(&kpis_path, &row, index[3])?);
        }
    }
    Ok(SweepData { meta, runs, step_days, grid, points, bands, fill_rates })
}

/// The default chart directory of a result directory.
pub fn charts_directory(dir: &Path) -> PathBuf {
    dir.join("charts")
}
