//! # chokepoint-scenario
//!
//! Scenario files: TOML text in, a validated [`Scenario`] (an engine
//! [`chokepoint_engine::Model`] plus the scenario's name, start date, seed, report and
//! sweep settings) out, or a [`Report`] of every problem found, each with
//! `file:line:col`, the offending snippet and a hint.
//!
//! Loading runs in layers, so that broken input gives diagnostics rather than a bail-out:
//! - `document`: reads the file and the world files it `extends`, checks their syntax,
//!   and merges them into one spanned tree (the override rule is in that module);
//! - `parse` into [`raw`]: the file's shape, one section and one entity at a time, every
//!   value keeping its location;
//! - `build`, `events`, `licensing` and `adaptation`: validation of the raw layer into
//!   engine types, collecting every problem (`licensing` merges an export control's
//!   `licence` over the `[licensing.<id>]` profile it names, key by key);
//! - `sweep`: keys set by dotted path (`[sweep.grid]`, `--set`), each value checked by
//!   loading the scenario with it.
//!
//! The crate reads no files itself: the caller passes a function that reads them
//! ([`load_path`]) or the text ([`load_str`]). [`json_schema`] gives the JSON Schema of the
//! format, generated from the [`raw`] types. The format is documented key by key in
//! `docs/scenario-format.md`.

mod adaptation;
mod build;
mod diagnostic;
mod document;
mod events;
mod licensing;
mod parse;
pub mod raw;
mod sweep;
mod values;

pub use build::{
    BacktestSpec, DEFAULT_OUTPUT_DAYS, DEFAULT_TARGET_DAYS, Loaded, MAX_NAME_CHARS, MAX_RUNS, ReportSpec,
    Scenario, SweepSpec, load_path, load_str,
};
pub use diagnostic::{Diagnostic, Location, Report, Severity, SourceFile, Sources, did_you_mean};
pub use document::{MAX_EXTENDS_DEPTH, MAX_FILE_BYTES, ReadFile};
pub use parse::SECTIONS;
pub use sweep::load_path_with;
pub use values::parse_duration;

/// The JSON Schema (draft-07, which editors such as taplo read) of scenario files,
/// generated from the [`raw`] types.
pub fn json_schema() -> serde_json::Value {
    let generator = schemars::generate::SchemaSettings::draft07().into_generator();
    let mut schema = generator.into_root_schema_for::<raw::RawScenario>().to_value();
    drop_null(&mut schema);
    schema
}

/// TOML has no null (an optional key is one that may be left out): replaces each
/// `anyOf: [X, {"type": "null"}]` that schemars writes for an `Option` by X, and drops
/// `"null"` from type lists.
fn drop_null(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            let null = serde_json::json!({ "type": "null" });
            if let Some(Value::Array(options)) = map.get("anyOf")
                && options.len() == 2
                && options.contains(&null)
            {
                let kept = options.iter().find(|o| **o != null).cloned().unwrap_or_default();
                map.remove("anyOf");
                if let Value::Object(kept) = kept {
                    for (k, v) in kept {
                        map.entry(k).or_insert(v);
                    }
                }
            }
            if let Some(Value::Array(types)) = map.get_mut("type") {
                types.retain(|t| t != "null");
                if types.len() == 1 {
                    let only = types[0].clone();
                    map.insert("type".to_owned(), only);
                }
            }
            map.values_mut().for_each(drop_null);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_null),
        _ => {}
    }
}
