//! Snapshot suite of invalid scenario files: every file in `tests/data/invalid` has one
//! deliberate problem (a few have several), said in its first line. Each must be refused,
//! and the rendered report (message, `file:line:col`, snippet, hint) is snapshotted, so
//! a change to any diagnostic shows up in review.
//!
//! Paths are relative to the crate directory (the working directory of integration
//! tests), so the snapshots hold no machine paths. World files that fixtures extend live in
//! `tests/data/worlds` and are not fixtures themselves.

use std::path::{Path, PathBuf};

use chokepoint_scenario::load_path;

const INVALID: &str = "tests/data/invalid";

/// Fixtures whose diagnostics may have no location: a file without a `[scenario]`
/// section has nothing to point at.
const UNLOCATED: &[&str] = &["41-missing-scenario-section", "64-empty-file"];

fn fixtures() -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(INVALID)
        .unwrap_or_else(|e| panic!("cannot list {INVALID}: {e}"))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .map(|path| Path::new(INVALID).join(path.file_name().expect("a file name")))
        .collect();
    paths.sort();
    paths
}

#[test]
fn every_invalid_fixture_is_refused_with_located_diagnostics() {
    let paths = fixtures();
    assert!(paths.len() >= 40, "only {} fixtures in {INVALID}", paths.len());
    for name in UNLOCATED {
        assert!(
            paths.iter().any(|p| p.file_stem().is_some_and(|s| s == *name)),
            "UNLOCATED names {name}, which is not a fixture"
        );
    }
    let mut read = |p: &Path| std::fs::read_to_string(p).map_err(|e| e.to_string());
    for path in &paths {
        let name = path.file_stem().and_then(|s| s.to_str()).expect("a UTF-8 file name");
        let report = match load_path(path, &mut read) {
            Ok(_) => panic!("{} loaded, but it is meant to be invalid", path.display()),
            Err(report) => report,
        };
        assert!(report.has_errors(), "{}: refused without an error", path.display());
        let rendered = report.render(false);
        if !UNLOCATED.contains(&name) {
            for diagnostic in &report.diagnostics {
                assert!(
                    diagnostic.span.is_some(),
                    "{}: diagnostic without a location: {}\n{rendered}",
                    path.display(),
                    diagnostic.message
                );
            }
        }
        insta::assert_snapshot!(name, rendered);
    }
}
