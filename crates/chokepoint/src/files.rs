//! The result files of a run (DESIGN.md §4: `series.csv`, `summary.json`, `events.csv`,
//! `trade.csv`), built in memory: the caller writes them (the command line into a private
//! folder moved into place whole, so a failure never leaves a half-written file).

use std::path::Path;

use std::collections::BTreeMap;

use chokepoint_engine::RunResult;
use chokepoint_scenario::Scenario;
use serde::Serialize;

use crate::Error;

/// What the writers need to know about a run.
pub struct Context<'a> {
    /// The validated scenario.
    pub scenario: &'a Scenario,
    /// The scenario file as given.
    pub file: &'a Path,
    /// The seed used.
    pub seed: u64,
    /// The run's results.
    pub result: &'a RunResult,
}

/// A file to write: its name in the output directory and its bytes.
pub struct OutputFile {
    /// File name (may name a subdirectory, such as `charts/shortage.svg`).
    pub name: String,
    /// Contents.
    pub contents: Vec<u8>,
}

fn csv_failure(error: impl std::fmt::Display) -> Error {
    Error::new(
        format!("could not format results: {error}"),
        "this is a bug; please report it with the scenario",
    )
}

/// `series.csv`: `day,date,entity,kind,metric,value`, one row per report step, entity and
/// metric. Flows are summed over a step, levels taken at its last day, and the shortage
/// fraction recomputed from the step's totals.
pub fn series_csv(context: &Context<'_>) -> Result<Vec<u8>, Error> {
    let result = context.result;
    let step = context.scenario.report.step_days.max(1);
    let n_steps = result.n_steps(step);
    let mut values = Vec::with_capacity(result.series.len() * n_steps);
    result.step_values(step, &mut values);
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(["day", "date", "entity", "kind", "metric", "value"]).map_err(csv_failure)?;
    for step_index in 0..n_steps {
        let start = step_index as u32 * step;
        let date = context.scenario.date_of(start).to_string();
        let day = start.to_string();
        for (series_index, series) in result.series.iter().enumerate() {
            let entity = &result.entities[series.entity];
            writer
                .write_record([
                    day.as_str(),
                    date.as_str(),
                    entity.id.as_str(),
                    entity.kind.as_str(),
                    series.metric.as_str(),
                    &values[series_index * n_steps + step_index].to_string(),
                ])
                .map_err(csv_failure)?;
        }
    }
    writer.into_inner().map_err(csv_failure)
}

/// `events.csv`: `day,date,event,subject,detail`, the timeline actually played.
pub fn events_csv(context: &Context<'_>) -> Result<Vec<u8>, Error> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(["day", "date", "event", "subject", "detail"]).map_err(csv_failure)?;
    for event in &context.result.events {
        writer
            .write_record([
                event.day.to_string().as_str(),
                context.scenario.date_of(event.day).to_string().as_str(),
                event.kind.as_str(),
                event.subject.as_str(),
                event.detail.as_str(),
            ])
            .map_err(csv_failure)?;
    }
    writer.into_inner().map_err(csv_failure)
}

#[derive(Serialize)]
struct Summary<'a> {
    scenario: &'a str,
    description: &'a str,
    file: String,
    seed: u64,
    version: &'static str,
    start: String,
    horizon_days: u32,
    end: String,
    first_disruption: Option<String>,
    watch: &'a [String],
    chain: BTreeMap<String, ChainEntity>,
    kpis: BTreeMap<&'a str, KpiJson>,
}

pub use chokepoint_report::results::{ChainEntity, chain};

#[derive(Serialize)]
struct KpiJson {
    time_to_survive_days: Option<u32>,
    time_to_recover_days: Option<u32>,
    peak_shortage: f64,
    unmet_units: f64,
    lost_value: f64,
    fill_rate: f64,
    /// How close it came: absent for an entity without inputs.
    #[serde(skip_serializing_if = "Option::is_none")]
    headroom: Option<HeadroomJson>,
}

/// `RunResult::headroom` with dates and ids.
#[derive(Serialize)]
struct HeadroomJson {
    min_cover_days: f64,
    date: String,
    input: String,
    supplier: Option<String>,
}

/// `summary.json`: scenario, file, seed, version, horizon, and the KPIs of every entity.
pub fn summary_json(context: &Context<'_>) -> Result<Vec<u8>, Error> {
    let result = context.result;
    // Stockpiles have series but no demand, so no KPIs.
    let model = &context.scenario.model;
    let kpis = (result.entities.iter().zip(&result.kpis).zip(&result.headroom))
        .filter(|((entity, _), _)| entity.kind != chokepoint_engine::EntityKind::Stockpile)
        .map(|((entity, k), headroom)| {
            let kpi = KpiJson {
                time_to_survive_days: k.time_to_survive_days,
                time_to_recover_days: k.time_to_recover_days,
                peak_shortage: k.peak_shortage,
                unmet_units: k.unmet_units,
                lost_value: k.lost_value,
                fill_rate: k.fill_rate,
                headroom: headroom.map(|h| HeadroomJson {
                    min_cover_days: h.min_cover_days,
                    date: context.scenario.date_of(h.day).to_string(),
                    input: model.products[h.input.0 as usize].id.clone(),
                    supplier: h.supplier.map(|f| model.facilities[f.0 as usize].id.clone()),
                }),
            };
            (entity.id.as_str(), kpi)
        })
        .collect();
    let summary = Summary {
        scenario: &context.scenario.name,
        description: context.scenario.description.as_deref().unwrap_or(""),
        file: context.file.display().to_string(),
        seed: context.seed,
        version: env!("CARGO_PKG_VERSION"),
        start: context.scenario.start.to_string(),
        horizon_days: result.horizon_days,
        end: context.scenario.date_of(result.horizon_days.saturating_sub(1)).to_string(),
        first_disruption: result.first_disruption_day.map(|d| context.scenario.date_of(d).to_string()),
        watch: &context.scenario.report.watch,
        chain: chain(&context.scenario.model, &context.scenario.names),
        kpis,
    };
    let mut bytes = serde_json::to_vec_pretty(&summary).map_err(csv_failure)?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// The four result files of a run, in the order `chokepoint run` lists them.
pub fn run_files(context: &Context<'_>) -> Result<Vec<OutputFile>, Error> {
    Ok(vec![
        OutputFile { name: "series.csv".into(), contents: series_csv(context)? },
        OutputFile { name: "summary.json".into(), contents: summary_json(context)? },
        OutputFile { name: "events.csv".into(), contents: events_csv(context)? },
        OutputFile { name: "trade.csv".into(), contents: trade_csv(context)? },
    ])
}

/// `trade.csv`: `month,exporter,importer,product,unit,quantity`, the run's bilateral
/// exports summed by calendar month, one row per month and route (every route the chain can
/// carry, zeros included, so a month with nothing shipped reads 0). The first and last
/// months count only their days inside the run.
pub fn trade_csv(context: &Context<'_>) -> Result<Vec<u8>, Error> {
    let result = context.result;
    let model = &context.scenario.model;
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer
        .write_record(["month", "exporter", "importer", "product", "unit", "quantity"])
        .map_err(csv_failure)?;
    let horizon = result.horizon_days;
    let mut first = 0u32;
    while first < horizon {
        let date = context.scenario.date_of(first);
        let month = format!("{:04}-{:02}", date.year(), date.month());
        let next_month =
            date.first_of_month().checked_add(jiff::Span::new().months(1)).unwrap_or(jiff::civil::Date::MAX);
        let end = u32::try_from((next_month - context.scenario.start).get_days().max(0))
            .unwrap_or(u32::MAX)
            .min(horizon);
        let end = end.max(first + 1);
        for flow in &result.trade {
            let product = &model.products[flow.product.0 as usize];
            let quantity: f64 = flow.daily[first as usize..end as usize].iter().sum();
            writer
                .write_record([
                    month.as_str(),
                    flow.exporter.as_str(),
                    flow.importer.as_str(),
                    product.id.as_str(),
                    product.unit.as_str(),
                    &quantity.to_string(),
                ])
                .map_err(csv_failure)?;
        }
        first = end;
    }
    writer.into_inner().map_err(csv_failure)
}
