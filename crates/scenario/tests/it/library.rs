//! The scenario library: every bundled scenario of `worlds/ai-chain-2025.toml` loads, runs with
//! balanced ledgers, and its headline outcome (who runs short, roughly when) has the shape its
//! sources say. Expectations are written from the sources and from inventory arithmetic on the
//! scenario's inputs (stock days, transit, licence times), never copied from the program.

pub(crate) use super::bundled::run;

use chokepoint_engine::{Plan, RunConfig, RunResult};

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
