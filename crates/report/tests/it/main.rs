//! Integration tests of chokepoint-report: explanations of small chains whose causal chain
//! is known by construction, and the workbook of results built by hand.

mod explain;
// The engine's terse chain builders, shared rather than copied; not every one is used here.
#[allow(dead_code)]
#[path = "../../../engine/tests/it/support.rs"]
mod support;
mod workbook;
