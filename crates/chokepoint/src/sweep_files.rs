//! The result files of a sweep and of a merge of its shards (DESIGN.md §4): `bands.csv`,
//! `kpis.csv` and `summary.json`, built from a [`SweepInfo`] and an [`Aggregate`] alone, so a
//! merge of shards writes exactly what one machine would have.

use std::collections::BTreeMap;

use chokepoint_montecarlo::hist::{OCTAVES, RELATIVE_ERROR, SUB_BINS};
use chokepoint_montecarlo::{Aggregate, DayCounts, Histogram, Layout, PointAggregate, RunKpis};
use serde::{Deserialize, Serialize};

use crate::Error;

/// Quantiles of the bands and KPI distributions, with their column names.
pub const QUANTILES: [(&str, f64); 7] =
    [("p05", 0.05), ("p10", 0.10), ("p25", 0.25), ("p50", 0.50), ("p75", 0.75), ("p90", 0.90), ("p95", 0.95)];

/// What the writers need besides the aggregate: carried in shard files so that `merge`
/// needs neither the scenario file nor the machine that ran it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepInfo {
    /// Scenario name.
    pub scenario: String,
    /// The scenario file as given.
    pub file: String,
    /// Calendar date of day 0 (ISO 8601).
    pub start: String,
    /// Watched entities (all sinks when empty).
    pub watch: Vec<String>,
    /// Unit of each product, in model order.
    pub units: Vec<String>,
    /// Swept keys and their values (TOML), in grid order.
    pub grid: Vec<(String, Vec<String>)>,
    /// Settings of each point, in grid order.
    pub points: Vec<Vec<(String, String)>>,
    /// Tool version.
    pub version: String,
    /// The scenario's description.
    #[serde(default)]
    pub description: String,
    /// Where each facility and sink sits in the chain.
    #[serde(default)]
    pub chain: BTreeMap<String, crate::files::ChainEntity>,
}

impl SweepInfo {
    /// The ISO date of `day`, or `day N` when the start date does not parse.
    pub fn date(&self, day: u32) -> String {
        match self.start.parse::<jiff::civil::Date>() {
            Ok(start) => {
                start.checked_add(jiff::Span::new().days(i64::from(day))).unwrap_or(start).to_string()
            }
            Err(_) => format!("day {day}"),
        }
    }

    /// The point's settings as CSV cells, one per swept key.
    fn setting_cells(&self, point: usize) -> Vec<String> {
        self.points[point].iter().map(|(_, v)| v.clone()).collect()
    }

    /// `key = value; …`, or `(no grid)`.
    pub fn label(&self, point: usize) -> String {
        let settings = &self.points[point];
        if settings.is_empty() {
            return "the scenario as written".to_owned();
        }
        settings.iter().map(|(k, v)| format!("{k} = {v}")).collect::<Vec<_>>().join("; ")
    }
}

fn failure(error: impl std::fmt::Display) -> Error {
    Error::new(
        format!("could not format results: {error}"),
        "this is a bug; please report it with the scenario",
    )
}

/// The header of `kpis.csv`.
pub fn kpis_header(info: &SweepInfo) -> Vec<u8> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["point".to_owned()];
    header.extend(info.grid.iter().map(|(k, _)| k.clone()));
    header.extend(
        [
            "run",
            "seed",
            "entity",
            "time_to_survive_days",
            "time_to_recover_days",
            "peak_shortage",
            "unmet_units",
            "lost_value",
            "fill_rate",
            "min_cover_days",
        ]
        .map(str::to_owned),
    );
    let _ = writer.write_record(&header);
    writer.into_inner().unwrap_or_default()
}

/// The rows of `kpis.csv` for one replicate at one point (stockpiles have no KPIs).
pub fn kpis_rows(info: &SweepInfo, run: &RunKpis<'_>) -> Vec<u8> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let settings = info.setting_cells(run.point);
    // Every number in one form whatever its value, so a column keeps one type when read
    // (pandas: float64): `0.0`, not `0`; days as `76.0`; empty for none.
    let number = |x: f64| format!("{x:?}");
    let optional = |d: Option<u32>| d.map(|d| number(f64::from(d))).unwrap_or_default();
    for ((entity, k), headroom) in run.layout.entities.iter().zip(run.kpis).zip(run.headroom) {
        if entity.kind == "stockpile" {
            continue;
        }
        let mut record = vec![run.point.to_string()];
        record.extend(settings.iter().cloned());
        record.extend([
            run.run.to_string(),
            run.seed.to_string(),
            entity.id.clone(),
            optional(k.time_to_survive_days),
            optional(k.time_to_recover_days),
            number(k.peak_shortage),
            number(k.unmet_units),
            number(k.lost_value),
            number(k.fill_rate),
            headroom.map(number).unwrap_or_default(),
        ]);
        let _ = writer.write_record(&record);
    }
    writer.into_inner().unwrap_or_default()
}

/// `bands.csv`: per point, report step, entity and metric, the mean and quantiles over runs.
pub fn bands_csv(info: &SweepInfo, aggregate: &Aggregate) -> Result<Vec<u8>, Error> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["point".to_owned()];
    header.extend(info.grid.iter().map(|(k, _)| k.clone()));
    header.extend(["day", "date", "entity", "metric", "mean"].map(str::to_owned));
    header.extend(QUANTILES.iter().map(|(name, _)| (*name).to_owned()));
    writer.write_record(&header).map_err(failure)?;
    let step = aggregate.step_days.max(1);
    for (index, point) in aggregate.points.iter().enumerate() {
        let Some(layout) = &point.layout else { continue };
        let settings = info.setting_cells(index);
        for step_index in 0..layout.n_steps {
            let day = step_index as u32 * step;
            let date = info.date(day);
            for (series_index, (entity, metric)) in layout.series.iter().enumerate() {
                let Some(cell) = point.cell(series_index, step_index) else { continue };
                let mut record = vec![index.to_string()];
                record.extend(settings.iter().cloned());
                record.extend([
                    day.to_string(),
                    date.clone(),
                    layout.entities[*entity].id.clone(),
                    metric.clone(),
                ]);
                record.push(cell.mean().to_string());
                record.extend(QUANTILES.iter().map(|(_, q)| cell.quantile(*q).to_string()));
                writer.write_record(&record).map_err(failure)?;
            }
        }
    }
    writer.into_inner().map_err(failure)
}

#[derive(Serialize)]
struct Summary<'a> {
    scenario: &'a str,
    description: &'a str,
    file: &'a str,
    seed: u64,
    version: &'a str,
    start: String,
    step_days: u32,
    runs: u64,
    grid: BTreeMap<&'a str, &'a [String]>,
    watch: &'a [String],
    chain: &'a BTreeMap<String, crate::files::ChainEntity>,
    method: Method,
    points: Vec<PointJson<'a>>,
}

#[derive(Serialize)]
struct Method {
    replicate_seed: &'static str,
    quantiles: &'static str,
    bands: String,
}

#[derive(Serialize)]
struct PointJson<'a> {
    point: usize,
    settings: BTreeMap<&'a str, &'a str>,
    runs: u64,
    horizon_days: u32,
    entities: BTreeMap<&'a str, EntityJson>,
}

#[derive(Serialize)]
struct EntityJson {
    probability_short: f64,
    first_short_date: Option<BTreeMap<&'static str, String>>,
    first_short_day: DaysJson,
    time_to_survive_days: DaysJson,
    time_to_recover_days: DaysJson,
    probability_recovered: f64,
    peak_shortage: ValuesJson,
    unmet_units: ValuesJson,
    lost_value: ValuesJson,
    fill_rate: ValuesJson,
    /// Fewest days of cover over each run (absent: no inputs in use).
    #[serde(skip_serializing_if = "Option::is_none")]
    min_cover_days: Option<ValuesJson>,
    survival: Vec<f64>,
}

#[derive(Serialize)]
struct DaysJson {
    runs: u64,
    mean: Option<f64>,
    #[serde(flatten)]
    quantiles: BTreeMap<&'static str, Option<u32>>,
}

#[derive(Serialize)]
struct ValuesJson {
    mean: f64,
    min: f64,
    max: f64,
    #[serde(flatten)]
    quantiles: BTreeMap<&'static str, f64>,
}

fn days(d: &DayCounts) -> DaysJson {
    DaysJson {
        runs: d.count(),
        mean: d.mean(),
        quantiles: QUANTILES.iter().map(|(n, q)| (*n, d.quantile(*q))).collect(),
    }
}

fn values(h: &Histogram) -> ValuesJson {
    ValuesJson {
        mean: h.mean(),
        min: h.min(),
        max: h.max(),
        quantiles: QUANTILES.iter().map(|(n, q)| (*n, h.quantile(*q))).collect(),
    }
}

/// Probability of no shortage by the end of each day: 1 − (runs short by then) / runs.
fn survival(first_short: &DayCounts, runs: u64, horizon_days: u32) -> Vec<f64> {
    let mut short = 0u64;
    first_short.counts()[..horizon_days as usize]
        .iter()
        .map(|&c| {
            short += u64::from(c);
            if runs == 0 { 1.0 } else { 1.0 - short as f64 / runs as f64 }
        })
        .collect()
}

/// `part / whole`, 0 when `whole` is 0.
pub fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 { 0.0 } else { part as f64 / whole as f64 }
}

fn entities<'a>(
    info: &SweepInfo,
    point: &'a PointAggregate,
    layout: &'a Layout,
) -> BTreeMap<&'a str, EntityJson> {
    layout
        .entities
        .iter()
        .zip(&point.kpis)
        .filter(|(e, _)| e.kind != "stockpile")
        .map(|(entity, k)| {
            let first_short_date = (k.first_short_day.count() > 0).then(|| {
                QUANTILES
                    .iter()
                    .filter_map(|(n, q)| Some((*n, info.date(k.first_short_day.quantile(*q)?))))
                    .collect()
            });
            let json = EntityJson {
                probability_short: ratio(k.short_runs, point.runs),
                first_short_date,
                first_short_day: days(&k.first_short_day),
                time_to_survive_days: days(&k.time_to_survive_days),
                time_to_recover_days: days(&k.time_to_recover_days),
                probability_recovered: ratio(k.time_to_recover_days.count(), point.runs),
                peak_shortage: values(&k.peak_shortage),
                unmet_units: values(&k.unmet_units),
                lost_value: values(&k.lost_value),
                fill_rate: values(&k.fill_rate),
                min_cover_days: (k.min_cover_days.count() > 0).then(|| values(&k.min_cover_days)),
                survival: survival(&k.first_short_day, point.runs, layout.horizon_days),
            };
            (entity.id.as_str(), json)
        })
        .collect()
}

/// `summary.json`: the batch, the method, and per point and entity the probability of a
/// shortage, the distributions of its timing and of every KPI, and the survival curve.
pub fn summary_json(info: &SweepInfo, aggregate: &Aggregate) -> Result<Vec<u8>, Error> {
    let points = aggregate
        .points
        .iter()
        .enumerate()
        .filter_map(|(index, point)| {
            let layout = point.layout.as_ref()?;
            Some(PointJson {
                point: index,
                settings: info.points[index].iter().map(|(k, v)| (k.as_str(), v.as_str())).collect(),
                runs: point.runs,
                horizon_days: layout.horizon_days,
                entities: entities(info, point, layout),
            })
        })
        .collect();
    let summary = Summary {
        scenario: &info.scenario,
        description: &info.description,
        file: &info.file,
        seed: aggregate.seed,
        version: &info.version,
        start: info.start.clone(),
        step_days: aggregate.step_days,
        runs: aggregate.runs,
        grid: info.grid.iter().map(|(k, v)| (k.as_str(), v.as_slice())).collect(),
        watch: &info.watch,
        chain: &info.chain,
        method: Method {
            replicate_seed: "run 0 uses the seed; run i the seed plus SplitMix64(i), at every point (common random numbers)",
            quantiles: "nearest rank: the value at rank ceil(q × runs)",
            bands: format!(
                "log-linear histogram per cell ({SUB_BINS} sub-bins × {OCTAVES} octaves below the largest value): \
                 a quantile is within {:.1} % of its value, or 1/256 of the cell's largest value when smaller; \
                 means, minima and maxima are exact (docs/monte-carlo.md)",
                RELATIVE_ERROR * 100.0
            ),
        },
        points,
    };
    let mut bytes = serde_json::to_vec_pretty(&summary).map_err(failure)?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// The printed table: per point, the watched entities' probability and timing of a shortage.
pub fn table(info: &SweepInfo, aggregate: &Aggregate) -> String {
    let mut out = format!(
        "{}\n{} runs per point, seed {}, {} point{}\n",
        info.scenario,
        crate::text::format_units(aggregate.runs as f64),
        aggregate.seed,
        aggregate.points.len(),
        if aggregate.points.len() == 1 { "" } else { "s" }
    );
    for (index, point) in aggregate.points.iter().enumerate() {
        let Some(layout) = &point.layout else { continue };
        out.push_str(&format!("\nPoint {index}: {}\n", info.label(index)));
        let watched: Vec<usize> = if info.watch.is_empty() {
            (0..layout.entities.len()).filter(|&i| layout.entities[i].kind == "sink").collect()
        } else {
            info.watch.iter().filter_map(|id| layout.entities.iter().position(|e| &e.id == id)).collect()
        };
        let header = [
            "entity",
            "P(short)",
            "first short: median (p10-p90)",
            "after disruption",
            "P(recovered)",
            "unmet (mean)",
            "min cover: median (p05)",
        ];
        let mut rows: Vec<[String; 7]> = Vec::new();
        for i in watched {
            let (entity, k) = (&layout.entities[i], &point.kpis[i]);
            let unit = info.units.get(entity.product as usize).map_or("", String::as_str);
            let first = match (
                k.first_short_day.quantile(0.5),
                k.first_short_day.quantile(0.1),
                k.first_short_day.quantile(0.9),
            ) {
                (Some(m), Some(lo), Some(hi)) => {
                    format!("{} ({} to {})", info.date(m), info.date(lo), info.date(hi))
                }
                _ => "never".to_owned(),
            };
            let after =
                k.time_to_survive_days.quantile(0.5).map_or_else(|| "-".to_owned(), |d| format!("{d} d"));
            rows.push([
                entity.id.clone(),
                format!("{:.1} %", ratio(k.short_runs, point.runs) * 100.0),
                first,
                after,
                if k.short_runs == 0 {
                    "-".to_owned()
                } else {
                    format!("{:.1} %", ratio(k.time_to_recover_days.count(), point.runs) * 100.0)
                },
                format!("{} {unit}", crate::text::format_units(k.unmet_units.mean())),
                if k.min_cover_days.count() == 0 {
                    "-".to_owned()
                } else {
                    format!(
                        "{} ({})",
                        crate::text::cover_days(k.min_cover_days.quantile(0.5)),
                        crate::text::cover_days(k.min_cover_days.quantile(0.05))
                    )
                },
            ]);
        }
        out.push_str(&crate::text::render(&header, &rows));
    }
    out.push_str(
        "\n\"P(short)\": share of runs with unmet demand on some day; \"after disruption\": median days from the \
         first disruption to the first shortage, over runs that ran short; \"min cover\": fewest days of use held \
         (stock on hand plus in transit) of the input that ran lowest, median and 5th percentile over runs.\n",
    );
    out
}
