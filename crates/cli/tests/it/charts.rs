//! `chokepoint plot` and `chokepoint report`, run as a user runs them.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{SCENARIO, chokepoint, scratch, text};

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn read(p: &Path) -> String {
    String::from_utf8(std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))).expect("utf-8")
}

/// The text of every `<text>` element of an SVG, trimmed.
fn svg_texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .filter_map(|t| t.split_once('>').and_then(|(_, rest)| rest.split_once("</text>")))
        .map(|(s, _)| s.trim().replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">"))
        .collect()
}

fn png_size(p: &Path) -> (u32, u32) {
    let decoder = png::Decoder::new(std::io::Cursor::new(std::fs::read(p).expect("png")));
    let reader = decoder.read_info().expect("png header");
    (reader.info().width, reader.info().height)
}

#[test]
fn plot_draws_a_runs_shortage_and_cascade_with_its_events() {
    let dir = scratch("plot-run");
    let out = chokepoint(&["run", SCENARIO, "-o", path(&dir)]);
    assert!(out.status.success(), "{}", text(&out.stderr));

    // The chain's tiers, by hand from worlds/rare-earths-2025.toml: mines 0, separation 1,
    // metal 2, magnets 3, motors 4, car makers (final demand) 5.
    let summary: serde_json::Value = serde_json::from_str(&read(&dir.join("summary.json"))).expect("json");
    for (id, tier) in [
        ("cn_mines", 0),
        ("cn_separation_heavy", 1),
        ("jp_metal", 2),
        ("eu_magnets", 3),
        ("us_motors", 4),
        ("us_auto", 5),
    ] {
        assert_eq!(summary["chain"][id]["tier"], tier, "tier of {id}");
    }
    assert_eq!(summary["chain"]["us_auto"]["kind"], "sink");
    assert_eq!(summary["chain"]["us_auto"]["unit"], "motors");
    assert_eq!(summary["watch"][0], "us_auto");

    let charts = dir.join("charts");
    let out = chokepoint(&["plot", path(&dir)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // Who runs short, the cascade and the headroom, each as SVG and PNG.
    assert!(text(&out.stdout).contains("Wrote 6 files"), "{}", text(&out.stdout));
    let shortage = svg_texts(&read(&charts.join("shortage.svg")));
    // The ban starts on 4 April 2025 and ends 63 days later, on 6 June (the scenario's
    // `end = { after = "63d" }`; April has 30 days, May 31: 26 + 31 + 6 = 63).
    for needle in [
        "4 Apr: mofcom-18-2025 starts",
        "6 Jun: mofcom-18-2025 ends",
        // Display names (`name` in the world file), with the region when the name lacks it.
        "US car plants",
        "EU car plants",
        "Jan 2025",
        "100 %",
    ] {
        assert!(shortage.iter().any(|t| t == needle), "no {needle:?} in {shortage:?}");
    }
    // The title states the finding: the final buyers short, from when, and who is not.
    // (A long title wraps: its lines are read together.)
    let words = shortage.join(" ");
    for finding in ["US car plants", "short from mid-June 2025", "Japanese car plants: never short"] {
        assert!(words.contains(finding), "no {finding:?} in {shortage:?}");
    }
    assert!(
        shortage.iter().any(|t| t.contains("seed 20250404") && t.contains("chokepoint 0.")),
        "no footnote"
    );
    // Japan holds 165 days of oxide and is never short in this scenario: not a line.
    assert!(!shortage.iter().any(|t| t.starts_with("Japanese car plants")), "{shortage:?}");

    let cascade = svg_texts(&read(&charts.join("cascade.svg")));
    let at =
        |s: &str| cascade.iter().position(|t| t == s).unwrap_or_else(|| panic!("no row {s} in {cascade:?}"));
    // plotters writes row labels bottom-up: final demand (tier 5) before motors (tier 4).
    assert!(at("US car plants") < at("US motor makers"));
    for stage in ["ev_motor", "buyers of ev_motor"] {
        assert!(cascade.iter().any(|t| t == stage), "no stage {stage}");
    }
    assert_eq!(png_size(&charts.join("shortage.png")), (1920, 1080));

    // Print size, PNG only, into another directory.
    let print = dir.join("print");
    let out = chokepoint(&["plot", path(&dir), "--format", "png", "--size", "print", "-o", path(&print)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(png_size(&print.join("cascade.png")), (2250, 1500));
    assert!(!print.join("cascade.svg").exists());
}

#[test]
fn plot_draws_a_sweeps_fans_survival_tornado_and_comparisons() {
    let dir = scratch("plot-sweep");
    let out = chokepoint(&["sweep", SCENARIO, "--runs", "24", "-o", path(&dir)]);
    assert!(out.status.success(), "{}", text(&out.stderr));

    // Bands are ordered quantiles: p05 <= p10 <= ... <= p95 on every row.
    let bands = read(&dir.join("bands.csv"));
    let mut lines = bands.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    // p05 … p95 are the last seven columns (point and grid keys may hold commas in quotes,
    // so rows are split from the right).
    let p05 = header.iter().position(|h| *h == "p05").expect("p05");
    assert_eq!(header[p05..], ["p05", "p10", "p25", "p50", "p75", "p90", "p95"]);
    for line in lines {
        let cells: Vec<&str> = line.rsplitn(8, ',').collect();
        let q: Vec<f64> = cells[..7].iter().rev().map(|c| c.parse().expect("number")).collect();
        assert!(q.windows(2).all(|w| w[0] <= w[1]), "unordered quantiles in {line}");
    }

    let out = chokepoint(&["plot", path(&dir), "--format", "svg"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let charts = dir.join("charts");
    // Three points (ban end after 63, 120, 180 days): per point survival, cascade, fans.
    for p in 0..3 {
        let survival = svg_texts(&read(&charts.join(format!("survival-p{p}.svg"))));
        assert!(survival.join(" ").contains("short in half the runs by"), "{survival:?}");
        assert!(survival.iter().any(|t| t == "US car plants"), "{survival:?}");
        assert!(charts.join(format!("cascade-p{p}.svg")).is_file());
    }
    let fan = read(&charts.join("fan-us_auto-p0.svg"));
    assert_eq!(fan.matches("<polygon").count(), 3, "one polygon per band (90, 80, 50 %)");
    let fan_texts = svg_texts(&fan);
    for needle in ["Median", "90 % of runs", "80 % of runs", "50 % of runs"] {
        assert!(fan_texts.iter().any(|t| t == needle), "no {needle:?}");
    }
    let tornado = svg_texts(&read(&charts.join("tornado.svg")));
    // A setting names its event: which event's end is swept.
    assert!(tornado.iter().any(|t| t.ends_with("(mofcom-18-2025 end after 180d)")), "{tornado:?}");
    let compare = svg_texts(&read(&charts.join("compare-p2-vs-p0.svg")));
    let words = compare.join(" ");
    // The title states the finding: who loses most with the longer ban.
    assert!(
        words.contains("With mofcom-18-2025 end after 180d instead of mofcom-18-2025 end after 63d,")
            && words.contains("loses most"),
        "{compare:?}"
    );
    assert!(words.contains("worse with mofcom-18-2025 end after 180d"), "{compare:?}");

    // --entity draws the fans asked for, even for a buyer that is never short.
    let out = chokepoint(&[
        "plot",
        path(&dir),
        "--format",
        "svg",
        "--entity",
        "jp_auto",
        "-o",
        path(&dir.join("jp")),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(dir.join("jp/fan-jp_auto-p1.svg").is_file());
    assert!(!dir.join("jp/fan-us_auto-p1.svg").exists());
}

#[test]
fn plot_versus_pairs_two_sweeps_and_refuses_unpaired_ones() {
    let dir = scratch("plot-versus");
    let (a, b, c) = (dir.join("a"), dir.join("b"), dir.join("c"));
    for (out_dir, extra) in [(&a, "63d"), (&b, "180d")] {
        let set = format!("event.mofcom-18-2025.end={{ after = \"{extra}\" }}");
        let out = chokepoint(&["sweep", SCENARIO, "--runs", "12", "--set", &set, "-o", path(out_dir)]);
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let out = chokepoint(&[
        "plot",
        path(&a),
        "--versus",
        path(&b),
        "--format",
        "svg",
        "-o",
        path(&dir.join("charts")),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let versus = svg_texts(&read(&dir.join("charts/versus.svg")));
    assert!(versus.iter().any(|t| t == "US car plants"), "{versus:?}");

    let out = chokepoint(&["sweep", SCENARIO, "--runs", "12", "--seed", "1", "-o", path(&c)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = chokepoint(&["plot", path(&a), "--versus", path(&c), "-o", path(&dir.join("bad"))]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("do not share their random numbers"), "{}", text(&out.stderr));
    assert!(!dir.join("bad").exists(), "files written for a refused comparison");
}

#[test]
fn plot_refuses_what_is_not_a_result() {
    let dir = scratch("plot-bad");
    let out = chokepoint(&["plot", path(&dir)]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("holds neither a run") && stderr.contains("hint"), "{stderr}");
    let out = chokepoint(&["plot", path(&dir.join("missing"))]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("is not a directory"));
    std::fs::write(dir.join("series.csv"), "day,date\n").expect("write");
    std::fs::write(dir.join("summary.json"), "{ not json").expect("write");
    let out = chokepoint(&["plot", path(&dir)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("is not a chokepoint result file"), "{}", text(&out.stderr));
    assert!(!dir.join("charts").exists());
}

/// Writes a briefing of the April scenario with `runs` runs into a fresh directory.
fn brief(name: &str, runs: &str) -> PathBuf {
    let dir = scratch(name);
    let out = chokepoint(&["report", SCENARIO, "--runs", runs, "-o", path(&dir)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains(": short in 100 % of runs"), "{}", text(&out.stdout));
    dir
}

#[test]
fn report_writes_a_self_contained_briefing_and_the_same_bytes_twice() {
    let dir = brief("report-a", "20");
    let html = read(&dir.join("report.html"));
    for needle in [
        "<h1>China's controls on seven medium and heavy rare earths (April 2025)</h1>",
        "Key findings",
        "MOFCOM/GAC Announcement No. 18",
        "Who runs short",
        "Why they ran short",
        // The first screen: who, when and why in one paragraph, above the chart.
        "<p class=\"lead\">In one run of the scenario as written:",
        "traces back to mofcom-18-2025",
        "<th>P(short)</th>",
        "<th>Min cover, median</th>",
        "Assumptions",
        "order of magnitude",
        "S-ANN18",
        "hklaw.com",
        "seed 20250404",
        "chokepoint report crates/cli/tests/data/april-stop.toml --runs 20 --seed 20250404",
        "@font-face",
    ] {
        assert!(html.contains(needle), "report.html lacks {needle:?}");
    }
    // Self-contained: every chart inline, nothing fetched.
    let figures = html.matches("<figure").count();
    assert_eq!(html.matches("<svg").count(), figures);
    assert!(figures >= 10, "{figures} charts");
    for external in ["<script", "<link", "src=\"http", "url(http"] {
        assert!(!html.contains(external), "report.html loads something: {external}");
    }
    let md = read(&dir.join("report.md"));
    for image in md.split("](charts/").skip(1) {
        let name = image.split(')').next().expect("link");
        assert!(dir.join("charts").join(name).is_file(), "report.md links a missing {name}");
    }
    assert!(dir.join("data/run/series.csv").is_file() && dir.join("data/sweep/bands.csv").is_file());
    crate::workbook::check_report_workbook(&dir);

    let again = brief("report-b", "20");
    for file in
        ["report.html", "report.md", "report.xlsx", "charts/shortage.png", "charts/fan-us_auto-p0.svg"]
    {
        assert!(
            std::fs::read(dir.join(file)).ok() == std::fs::read(again.join(file)).ok(),
            "{file} differs between two reports"
        );
    }

    // Again into the same folder: the sweep of the same inputs is reused, not run, and the
    // briefing is the same; another seed sweeps again.
    let html_before = std::fs::read(dir.join("report.html")).expect("report.html");
    let out = chokepoint(&["report", SCENARIO, "--runs", "20", "-o", path(&dir)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("reused"), "{}", text(&out.stderr));
    assert!(
        std::fs::read(dir.join("report.html")).ok() == Some(html_before),
        "a reused sweep changed the report"
    );
    let out = chokepoint(&["report", SCENARIO, "--runs", "20", "--seed", "7", "-o", path(&dir)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!text(&out.stderr).contains("reused"), "{}", text(&out.stderr));
    assert!(read(&dir.join("report.html")).contains("seed 7"));
}

#[test]
fn report_of_a_broken_scenario_writes_nothing() {
    let dir = scratch("report-bad");
    let out = chokepoint(&["report", "scenarios/no-such-file.toml", "-o", path(&dir.join("brief"))]);
    assert_eq!(out.status.code(), Some(1));
    assert!(!dir.join("brief").exists());
    let out = chokepoint(&["report", SCENARIO, "--runs", "0", "-o", path(&dir.join("brief"))]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("out of range"), "{}", text(&out.stderr));
    assert!(!dir.join("brief").exists());
}

#[test]
fn report_of_a_world_with_no_events_keeps_the_run_and_the_sweep_heat_maps_apart() {
    // A one-point sweep names its mean heat map `cascade`, as the run does: the report once
    // failed writing two files of one name.
    let dir = scratch("report-world");
    let world = "scenarios/worlds/rare-earths-2025.toml";
    let out = chokepoint(&["report", world, "--runs", "3", "-o", path(&dir)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    for file in ["cascade.svg", "mean-cascade.svg", "shortage.png", "survival.png"] {
        assert!(dir.join("charts").join(file).is_file(), "no charts/{file}");
    }
}

#[test]
fn help_explains_plot_and_report() {
    let out = chokepoint(&["plot", "--help"]);
    let help = text(&out.stdout);
    for needle in ["RESULT_DIR", "--format", "--size", "--versus", "colour-blind-safe"] {
        assert!(help.contains(needle), "plot --help lacks {needle}");
    }
    let out = chokepoint(&["report", "--help"]);
    let help = text(&out.stdout);
    for needle in ["report.html", "report.md", "--runs", "brief/"] {
        assert!(help.contains(needle), "report --help lacks {needle}");
    }
}

/// Debian's Chromium, where `.ci/run` installs it.
fn chromium() -> Option<PathBuf> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"].iter().map(PathBuf::from).find(|p| p.is_file())
}

#[test]
fn report_html_renders_in_headless_chromium() {
    let Some(browser) = chromium() else {
        // CI installs Chromium and sets CHOKEPOINT_REQUIRE_BROWSER, so there this fails.
        assert!(
            std::env::var_os("CHOKEPOINT_REQUIRE_BROWSER").is_none(),
            "Chromium is required (CHOKEPOINT_REQUIRE_BROWSER) but /usr/bin/chromium is missing"
        );
        eprintln!("skipped: no /usr/bin/chromium (apt-get install chromium, or run bash .ci/run)");
        return;
    };
    let dir = brief("report-chromium", "8");
    let shot = dir.join("screenshot.png");
    let profile = dir.join("profile");
    let url = format!("file://{}", dir.join("report.html").canonicalize().expect("report").display());
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            &format!("--user-data-dir={}", profile.display()),
            &format!("--screenshot={}", shot.display()),
            "--window-size=1280,2400",
            &url,
        ])
        .output()
        .expect("chromium starts");
    assert!(shot.is_file(), "no screenshot: {}", text(&out.stderr));
    let decoder = png::Decoder::new(std::io::Cursor::new(std::fs::read(&shot).expect("screenshot")));
    let mut reader = decoder.read_info().expect("png header");
    let mut pixels = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut pixels).expect("png data");
    let channels = info.color_type.samples();
    let mut colours = std::collections::BTreeSet::new();
    let mut ink = 0usize;
    let mut blue = 0usize;
    let n = (info.width * info.height) as usize;
    for px in pixels[..n * channels].chunks(channels) {
        let rgb = (px[0], px[1], px[2]);
        colours.insert(rgb);
        if rgb != (255, 255, 255) {
            ink += 1;
        }
        // The report's accent rule and the charts' first series: Okabe-Ito blue #0072B2.
        if rgb == (0, 114, 178) {
            blue += 1;
        }
    }
    assert!(ink * 100 > n * 3, "only {ink} of {n} pixels are not white: the page looks blank");
    assert!(colours.len() > 50, "only {} colours: text and charts did not render", colours.len());
    assert!(blue > 500, "no Okabe-Ito blue: the header rule and charts are missing");
}

#[test]
fn an_announced_control_is_labelled_on_the_timeline() {
    let dir = crate::scratch("charts-announced");
    let example =
        std::fs::read_to_string(crate::workspace_root().join("examples/small-chain.toml")).expect("example");
    let file = dir.join("announced.toml");
    std::fs::write(
        &file,
        example
            + "\n[[event]]\ntype = \"export_control\"\nid = \"parts-ban\"\nissuer = \"CN\"\nproducts = [\"part_a\"]\n\
               targets = [\"US\"]\nstart = 2026-03-01\nannounced = { date = 2026-02-01, target = \"30d\" }\n",
    )
    .expect("write");
    let run = dir.join("run");
    let out = crate::chokepoint(&["run", file.to_str().expect("utf-8"), "-o", run.to_str().expect("utf-8")]);
    assert!(out.status.success(), "{}", crate::text(&out.stderr));
    let events = std::fs::read_to_string(run.join("events.csv")).expect("events.csv");
    assert!(events.contains(",2026-02-01,control_announced,parts-ban,"), "{events}");
    let out = crate::chokepoint(&["plot", run.to_str().expect("utf-8"), "--format", "svg"]);
    assert!(out.status.success(), "{}", crate::text(&out.stderr));
    let svg = std::fs::read_to_string(run.join("charts/shortage.svg")).expect("shortage.svg");
    assert!(svg.contains("parts-ban announced"), "no announcement label");
    assert!(svg.contains("parts-ban starts"));
}
