//! `chokepoint explain`: load, run one replicate, and print why one buyer ran short (the
//! chain itself is `chokepoint_report::explain`'s).

use std::path::Path;

use chokepoint_engine::RunConfig;
use chokepoint_report::explain::{ExplainError, explain as trace};

use crate::failure::Failure;

/// What `chokepoint explain` was asked.
pub struct Request<'a> {
    /// The scenario file.
    pub file: &'a Path,
    /// The facility or demand sink to explain.
    pub entity: &'a str,
    /// Base seed [default: the scenario's].
    pub seed: Option<u64>,
    /// `key=value` settings, one value per key.
    pub sets: &'a [String],
    /// Print the structured explanation as JSON instead of sentences.
    pub json: bool,
}

/// Runs the scenario once (replicate 0, as `chokepoint run` does) and prints the chain.
pub fn explain(request: &Request<'_>) -> Result<(), Failure> {
    let settings = crate::run::single_settings(
        request.sets,
        "an explanation",
        "explain one point of a sweep at a time",
    )?;
    let scenario = crate::run::load_with(request.file, &settings, true)?;
    let seed = request.seed.unwrap_or(scenario.seed);
    let plan = crate::run::plan(&scenario.model)?;
    crate::signals::check()?;
    let result = plan.run(RunConfig { seed, replicate: 0 });
    crate::signals::check()?;
    let explanation = trace(&scenario.model, &result, request.entity).map_err(|error| failure(&error))?;
    if request.json {
        let text = serde_json::to_string_pretty(&explanation).map_err(|error| {
            Failure::new(format!("cannot write the explanation as JSON: {error}"), "report this as a bug")
        })?;
        outln!("{text}");
        return Ok(());
    }
    outln!("{} ({}, seed {seed}, replicate 0)", scenario.name, request.file.display());
    outln!();
    for line in explanation.lines(&|day| scenario.date_of(day).to_string()) {
        outln!("{line}");
    }
    Ok(())
}

fn failure(error: &ExplainError) -> Failure {
    Failure::new(error.to_string(), error.hint())
}
