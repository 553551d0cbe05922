//! # chokepoint-scenario
//!
//! Scenario files: TOML text in, a validated [`Scenario`] (an engine
//! [`chokepoint_engine::Model`] plus the scenario's name, start date, seed and report
//! settings) out, or a [`Report`] of every problem found, each with `file:line:col`, the
//! offending snippet and a hint.
//!
//! Loading has two layers, so that broken input gives diagnostics rather than a bail-out:
//! - [`raw`]: the file's shape, derived with serde and kept permissive; every value keeps
//!   its byte span.
//! - `build`: validation of the raw layer into engine types, collecting every problem.
//!
//! The crate reads no files itself: the caller passes the text ([`load_str`]). The format
//! is documented key by key in `docs/scenario-format.md`.

mod build;
mod diagnostic;
pub mod raw;
mod values;

pub use build::{DEFAULT_OUTPUT_DAYS, DEFAULT_TARGET_DAYS, MAX_FILE_BYTES, ReportSpec, Scenario, load_str};
pub use diagnostic::{Diagnostic, Report, Severity, did_you_mean};
pub use values::parse_duration;
