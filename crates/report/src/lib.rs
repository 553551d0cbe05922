//! # chokepoint-report
//!
//! Briefings from chokepoint's results, for any front door (the command line today): no
//! terminal, no progress bars, no exit codes. The binary runs the scenario, sweeps and
//! rankings, draws the charts and writes the files; everything between the result files and
//! the words and pictures of a briefing is here.
//!
//! - [`results`] reads back the result files of a run or a sweep (DESIGN.md §4), keeping
//!   what the charts and the report need; [`results::chain`] is the part of `summary.json`
//!   that labels and orders entities.
//! - [`charts`] chooses the charts a result supports and builds them for `chokepoint-plot`.
//! - [`brief`] composes the briefing: provenance (assumptions and sources), key findings in
//!   sentences, tables, `report.html` and `report.md`.
//! - [`explain`] walks a buyer's first shortage upstream through one run's own records:
//!   which input ran out, which supplier failed to deliver it and why, down to the root
//!   event (`docs/explain.md`).
//! - [`workbook`] writes the report's numbers as `report.xlsx`: KPIs per sweep point and
//!   wide series per watched entity, for an analyst's own charts.
//! - [`files`] reads files with bounds (regular files only, never past a cap); [`format`]
//!   prints numbers as the briefing does.
//!
//! Errors are [`Error`]: what went wrong and what to do about it.

pub mod brief;
pub mod charts;
pub mod explain;
pub mod files;
pub mod format;
pub mod results;
pub mod workbook;

/// What went wrong reading results or composing a briefing, and what to do about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    /// What went wrong.
    pub message: String,
    /// What to do about it.
    pub hint: String,
}

impl Error {
    /// An error with a hint.
    pub fn new(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Error { message: message.into(), hint: hint.into() }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.message, self.hint)
    }
}

impl std::error::Error for Error {}
