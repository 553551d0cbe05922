//! `docs/scenarios.md` is made by the tool: one section per bundled scenario, with the chart
//! and the KPI table `chokepoint run` makes from the file as written
//! (`bash scripts/scenario-docs.sh` regenerates them).

use crate::{chokepoint, scratch, text, workspace_root};

#[test]
fn docs_scenarios_has_a_current_section_for_every_bundled_scenario() {
    let root = workspace_root();
    let doc = std::fs::read_to_string(root.join("docs/scenarios.md")).expect("docs/scenarios.md");
    let mut files: Vec<_> = std::fs::read_dir(root.join("scenarios"))
        .expect("scenarios/")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 12, "the library has a scenario per episode: {}", files.len());
    for file in files {
        let stem = file.file_stem().and_then(|s| s.to_str()).expect("utf-8 name");
        let regenerate = format!("regenerate: bash scripts/scenario-docs.sh scenarios/{stem}.toml");
        assert!(doc.contains(&format!("**File:** [`scenarios/{stem}.toml`]")), "no section for {stem}");
        let image = root.join(format!("docs/images/scenarios/{stem}.png"));
        let png =
            std::fs::read(&image).unwrap_or_else(|_| panic!("{} missing; {regenerate}", image.display()));
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "{stem}.png is not a PNG");
        assert!(doc.contains(&format!("![Shortage over time, {stem}](images/scenarios/{stem}.png)")));

        let open = format!("<!-- kpis:{stem} -->\n```text\n");
        let start = doc.find(&open).unwrap_or_else(|| panic!("no KPI table for {stem}; {regenerate}"));
        let body = &doc[start + open.len()..];
        let table = &body[..body.find(&format!("```\n<!-- /kpis:{stem} -->")).expect("closed block")];

        let out_dir = scratch(&format!("library-{stem}"));
        let path = format!("scenarios/{stem}.toml");
        let out = chokepoint(&["run", &path, "-o", out_dir.to_str().expect("utf-8")]);
        assert!(out.status.success(), "{stem}: {}", text(&out.stderr));
        let printed: String = text(&out.stdout)
            .lines()
            .filter(|l| !l.starts_with("Wrote "))
            .map(|l| format!("{l}\n"))
            .collect();
        assert_eq!(table, printed, "the KPI table of {stem} in docs/scenarios.md is stale; {regenerate}");
    }
}

#[test]
fn a_crowded_timeline_labels_its_controls_before_its_new_plants() {
    // Six plants come online before the stop of 1 Jan 2030 in this file: more labels than the
    // three lanes above the plot hold. The control's start and end keep theirs.
    let dir = scratch("library-crowded");
    let run_dir = dir.join("run");
    let out =
        chokepoint(&["run", "scenarios/pax-silica-2026-2030.toml", "-o", run_dir.to_str().expect("utf-8")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let charts = dir.join("charts");
    let out = chokepoint(&[
        "plot",
        run_dir.to_str().expect("utf-8"),
        "--format",
        "svg",
        "-o",
        charts.to_str().expect("utf-8"),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let svg = std::fs::read_to_string(charts.join("shortage.svg")).expect("shortage.svg");
    for label in ["1 Jan 2030: cn-stop-pax-silica starts", "30 Jun 2030: cn-stop-pax-silica ends"] {
        assert!(svg.contains(label), "no label {label:?}");
    }
}
