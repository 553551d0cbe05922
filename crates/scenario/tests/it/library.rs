//! The scenario library: every bundled scenario of `worlds/ai-chain-2025.toml` loads, runs with
//! balanced ledgers, and its headline outcome (who runs short, roughly when) has the shape its
//! sources say. Expectations are written from the sources and from inventory arithmetic on the
//! scenario's inputs (stock days, transit, licence times), never copied from the program.

pub(crate) use super::bundled::run;

use chokepoint_engine::{EventKind, Plan, RunConfig, RunResult};

/// Runs a bundled scenario with keys set as `chokepoint run --set KEY=VALUE` would.
pub(crate) fn run_with(path: &str, sets: &[(&str, &str)]) -> RunResult {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let path = std::path::Path::new(root).join(path);
    let sets: Vec<(String, String)> = sets.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let mut read = |p: &std::path::Path| std::fs::read_to_string(p).map_err(|e| e.to_string());
    let loaded = chokepoint_scenario::load_path_with(&path, &mut read, &sets)
        .unwrap_or_else(|report| panic!("{}", report.render(false)));
    let scenario = loaded.scenario;
    let plan = Plan::new(&scenario.model).expect("bundled scenarios run");
    plan.run(RunConfig { seed: scenario.seed, replicate: 0 })
}

/// Days of the events of `kind` about `subject`.
pub(crate) fn days_of(result: &RunResult, kind: EventKind, subject: &str) -> Vec<u32> {
    (result.events.iter()).filter(|e| e.kind == kind && e.subject == subject).map(|e| e.day).collect()
}

/// Days of the licences granted under `control` to `buyer`. The detail names the buyer after
/// "to ", followed, under a licence with several applicants per link, by
/// " (applicant i of n)"; any applicant of the buyer counts.
pub(crate) fn grants(result: &RunResult, control: &str, buyer: &str) -> Vec<u32> {
    (result.events.iter())
        .filter(|e| {
            e.kind == EventKind::LicenceGranted && e.subject == control && buyer_of(&e.detail) == Some(buyer)
        })
        .map(|e| e.day)
        .collect()
}

/// The buyer a licence detail names: the word after the last " to ", without the
/// " (applicant i of n)" that follows it when the link stands for several applicants.
pub(crate) fn buyer_of(detail: &str) -> Option<&str> {
    let detail = match detail.rfind(" (applicant ") {
        Some(at) if detail.ends_with(')') => &detail[..at],
        _ => detail,
    };
    detail.rsplit_once(" to ").map(|(_, buyer)| buyer)
}

/// Day of the first licence granted under `control` to `buyer`.
pub(crate) fn first_grant(result: &RunResult, control: &str, buyer: &str) -> u32 {
    let days = grants(result, control, buyer);
    *days.first().unwrap_or_else(|| panic!("{buyer} never got a licence under {control}"))
}

/// First day, counted from day 0, with unmet demand (or production lost for want of inputs).
pub(crate) fn first_unmet_day(result: &RunResult, entity: &str) -> Option<u32> {
    let unmet = result.series(entity, "unmet").unwrap_or_else(|| panic!("{entity} has no unmet series"));
    unmet.iter().position(|&u| u > 0.0).map(|d| d as u32)
}

/// The first day `id` runs short by its KPI, counted from day 0 (the KPI counts from the
/// first disruption).
pub(crate) fn first_short_day(result: &RunResult, id: &str) -> Option<u32> {
    let kpis = result.kpis(id).unwrap_or_else(|| panic!("{id} is in the world"));
    kpis.time_to_survive_days.map(|d| d + result.first_disruption_day.expect("a disruption"))
}

/// Sum of an entity's daily `metric` over days `from..to`.
pub(crate) fn total(result: &RunResult, id: &str, metric: &str, from: u32, to: u32) -> f64 {
    result.series(id, metric).unwrap_or_else(|| panic!("{id} {metric}"))[from as usize..to as usize]
        .iter()
        .sum()
}

/// Unmet ÷ demand of a sink over days `from..to`.
pub(crate) fn shortage(result: &RunResult, sink: &str, from: u32, to: u32) -> f64 {
    total(result, sink, "unmet", from, to) / total(result, sink, "demand", from, to)
}

mod ai_diffusion;
mod antimony_2024;
mod chemicals_2019;
mod chip_controls;
mod gallium_germanium;
mod graphite_2023;
mod pax_silica_2026_2030;
mod rare_earths_2010;
mod suspended_measures_return;
mod world;
