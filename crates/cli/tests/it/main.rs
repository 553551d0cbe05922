//! Integration tests of the `chokepoint` command: it is run as a user runs it.

mod backtest;
mod charts;
mod explain;
mod folders;
mod hostile;
mod library;
mod rank;
mod workbook;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub(crate) fn chokepoint(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chokepoint"))
        .args(args)
        .current_dir(workspace_root())
        .output()
        .expect("the binary runs")
}

pub(crate) fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("workspace root exists")
}

/// A fresh, empty directory for one test.
pub(crate) fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// China's April 2025 controls as a plain 63-day stop: a fixture whose timeline is fixed by
/// hand (the bundled April scenario has licences and is scored in `backtest.rs`).
pub(crate) const SCENARIO: &str = "crates/cli/tests/data/april-stop.toml";

fn run_into(dir: &Path, seed: &str) -> [Vec<u8>; 3] {
    let out = chokepoint(&["run", SCENARIO, "-o", dir.to_str().expect("utf-8 path"), "--seed", seed]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    ["series.csv", "summary.json", "events.csv"].map(|f| std::fs::read(dir.join(f)).expect("file written"))
}

#[test]
fn the_same_seed_gives_the_same_bytes_and_another_seed_differs() {
    let first = run_into(&scratch("same-seed-a"), "7");
    let second = run_into(&scratch("same-seed-b"), "7");
    assert!(first == second, "two runs with seed 7 differ");
    let other = run_into(&scratch("same-seed-c"), "8");
    assert_ne!(first[0], other[0], "series.csv did not change with the seed");
}

#[test]
fn run_writes_the_contracted_files_and_a_kpi_table() {
    let dir = scratch("contract");
    let out = chokepoint(&["run", SCENARIO, "-o", dir.to_str().expect("utf-8 path")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("First disruption: 2025-04-04 (day 93)"), "{stdout}");
    assert!(stdout.lines().any(|l| l.starts_with("us_auto") && l.contains("after")), "{stdout}");
    // Display names beside the ids, and the headroom column explained below the table.
    assert!(stdout.lines().any(|l| l.starts_with("us_auto") && l.contains("US car plants")), "{stdout}");
    assert!(stdout.contains("min cover") && stdout.contains("\"min cover\": fewest days of use"), "{stdout}");

    let series = text(&std::fs::read(dir.join("series.csv")).expect("series.csv"));
    let mut lines = series.lines();
    assert_eq!(lines.next(), Some("day,date,entity,kind,metric,value"));
    assert!(series.contains("\n93,2025-04-04,cn_magnets,facility,refused,"));
    assert!(series.contains("\n364,2025-12-31,us_auto,sink,unmet,"));

    let events = text(&std::fs::read(dir.join("events.csv")).expect("events.csv"));
    assert!(
        events.starts_with("day,date,event,subject,detail\n93,2025-04-04,control_started,mofcom-18-2025,")
    );
    assert!(
        events.contains("\n156,2025-06-06,control_ended,mofcom-18-2025,"),
        "63 days after day 93: {events}"
    );

    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("summary.json")).expect("summary.json"))
            .expect("JSON");
    assert_eq!(summary["seed"], 20250404);
    assert_eq!(summary["horizon_days"], 365);
    let kpis = &summary["kpis"]["us_auto"];
    for key in [
        "time_to_survive_days",
        "time_to_recover_days",
        "peak_shortage",
        "unmet_units",
        "lost_value",
        "fill_rate",
    ] {
        assert!(kpis.get(key).is_some(), "summary.json lacks kpis.us_auto.{key}");
    }
    // Headroom: the car plants' motors, on the day it was lowest, with the motor makers
    // holding the orders; a mine has no inputs and none.
    let headroom = &kpis["headroom"];
    assert_eq!(headroom["input"], "ev_motor", "{headroom}");
    assert_eq!(headroom["supplier"], "us_motors", "{headroom}");
    assert!(headroom["min_cover_days"].as_f64().is_some_and(|d| (0.0..30.0).contains(&d)), "{headroom}");
    assert!(summary["kpis"]["cn_mines"].get("headroom").is_none());
    // Lost value is unmet units times the motor's value (1,500 a motor).
    let unmet = kpis["unmet_units"].as_f64().expect("number");
    assert!((kpis["lost_value"].as_f64().expect("number") - 1500.0 * unmet).abs() < 1e-6 * unmet.max(1.0));
}

#[test]
fn a_weekly_report_step_sums_flows_over_each_week() {
    let dir = scratch("weekly");
    let daily = run_into(&dir, "3");
    let source = std::fs::read_to_string(workspace_root().join(SCENARIO)).expect("scenario");
    let weekly_file = dir.join("weekly.toml");
    let world = workspace_root().join("scenarios/worlds/rare-earths-2025.toml");
    let weekly = source.replace("step = \"1d\"", "step = \"7d\"").replace(
        "\"../../../../scenarios/worlds/rare-earths-2025.toml\"",
        &format!("{:?}", world.display().to_string()),
    );
    std::fs::write(&weekly_file, weekly).expect("write");
    let weekly_dir = dir.join("weekly");
    let out = chokepoint(&[
        "run",
        weekly_file.to_str().expect("utf-8"),
        "-o",
        weekly_dir.to_str().expect("utf-8"),
        "--seed",
        "3",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let value = |csv: &str, day: &str, metric: &str| -> f64 {
        csv.lines()
            .find(|l| l.starts_with(&format!("{day},")) && l.contains(&format!(",us_auto,sink,{metric},")))
            .and_then(|l| l.rsplit(',').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no row for day {day} {metric}"))
    };
    let daily = text(&daily[0]);
    let weekly = std::fs::read_to_string(weekly_dir.join("series.csv")).expect("weekly series");
    let week_demand: f64 = (7..14).map(|d| value(&daily, &d.to_string(), "demand")).sum();
    assert!((value(&weekly, "7", "demand") - week_demand).abs() < 1e-6);
    assert_eq!(value(&weekly, "7", "stock"), value(&daily, "13", "stock"));
    assert!(!weekly.lines().any(|l| l.starts_with("8,")), "weekly rows only on days 0, 7, 14, ...");
}

#[test]
fn a_broken_scenario_gets_located_errors_a_hint_exit_1_and_no_files() {
    let dir = scratch("broken");
    let file = dir.join("broken.toml");
    let source = std::fs::read_to_string(workspace_root().join("scenarios/worlds/rare-earths-2025.toml"))
        .expect("world");
    let broken = source
        .replacen(
            "product = \"ndfeb_magnet\"\ncapacity = 391.0",
            "product = \"ndfeb_magnt\"\ncapacity = 391.0",
            1,
        )
        .replacen("share = 0.78", "share = 1.7", 1)
        .replacen("capacity = 38.0", "capacity = -38.0", 1);
    std::fs::write(&file, broken).expect("write");
    // The world extends the shared calibrated file, next to it.
    std::fs::copy(workspace_root().join("scenarios/worlds/calibrated.toml"), dir.join("calibrated.toml"))
        .expect("copy");
    let out_dir = dir.join("out");
    let out = chokepoint(&["run", file.to_str().expect("utf-8"), "-o", out_dir.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("unknown product 'ndfeb_magnt'") && stderr.contains("did you mean 'ndfeb_magnet'?"),
        "{stderr}"
    );
    assert!(stderr.contains("a share must be between 0 and 1, found 1.7"), "{stderr}");
    assert!(stderr.contains("capacity must be from 0 to 1e9 units a day, found -38"), "{stderr}");
    assert!(stderr.contains("broken.toml:"), "errors carry file:line:col: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!out_dir.exists(), "no output directory for a rejected scenario");
}

#[test]
fn bad_paths_and_arguments_fail_cleanly() {
    let out = chokepoint(&["run", "scenarios/no-such-file.toml"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("cannot read scenario file 'scenarios/no-such-file.toml'"));

    let blocked = scratch("blocked");
    let not_a_dir = blocked.join("file");
    std::fs::write(&not_a_dir, "x").expect("write");
    let target = not_a_dir.join("out");
    let out = chokepoint(&["run", SCENARIO, "-o", target.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("cannot create the output directory"), "{}", text(&out.stderr));

    let out = chokepoint(&["run", SCENARIO, "--seed", "-4"]);
    assert_eq!(out.status.code(), Some(2), "clap rejects a negative seed");
}

#[test]
fn every_bundled_scenario_loads_and_runs() {
    let dir = workspace_root().join("scenarios");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).expect("scenarios/") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "toml") {
            let out_dir = scratch(&format!("bundled-{n}"));
            let out =
                chokepoint(&["run", path.to_str().expect("utf-8"), "-o", out_dir.to_str().expect("utf-8")]);
            assert!(out.status.success(), "{}: {}", path.display(), text(&out.stderr));
            n += 1;
        }
    }
    assert!(n >= 1);
}

#[test]
fn help_explains_run() {
    let out = chokepoint(&["run", "--help"]);
    assert!(out.status.success());
    let help = text(&out.stdout);
    for needle in
        ["series.csv", "--seed", "--output", "Examples:", "licences granted", "october-2025", "docs/model.md"]
    {
        assert!(help.contains(needle), "run --help lacks {needle}: {help}");
    }
}

/// Every bundled scenario and world file, recursively.
fn bundled_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("readable") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "toml") {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(&workspace_root().join("scenarios"), &mut out);
    out.sort();
    out
}

#[test]
fn every_bundled_file_names_the_schema_and_passes_check() {
    let files = bundled_files();
    assert!(files.len() >= 2, "{files:?}");
    for file in &files {
        let first = std::fs::read_to_string(file).expect("readable");
        let first = first.lines().next().unwrap_or("");
        let schema =
            first.strip_prefix("#:schema ").unwrap_or_else(|| panic!("{}: no #:schema line", file.display()));
        let target =
            file.parent().expect("in a folder").join(schema).canonicalize().expect("the schema path exists");
        assert_eq!(target, workspace_root().join("docs/scenario.schema.json"), "{}", file.display());
    }
    let args: Vec<&str> =
        std::iter::once("check").chain(files.iter().map(|f| f.to_str().expect("utf-8"))).collect();
    let out = chokepoint(&args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    for file in &files {
        assert!(text(&out.stdout).contains(&format!("{}: ok", file.display())), "{}", text(&out.stdout));
    }
}

#[test]
fn check_reports_every_problem_with_its_place_and_exits_1() {
    let dir = scratch("check");
    let good = dir.join("good.toml");
    std::fs::copy(workspace_root().join("crates/scenario/tests/data/valid/world.toml"), &good).expect("copy");
    let bad = dir.join("bad.toml");
    let text_of_bad = std::fs::read_to_string(&good)
        .expect("read")
        .replace("product = \"ore\"\ncapacity = 100.0", "product = \"oar\"\ncapacity = -100.0")
        .replace("transit = \"5d\"", "transit = \"5x\"");
    std::fs::write(&bad, &text_of_bad).expect("write");
    let line = |needle: &str| text_of_bad.lines().position(|l| l.contains(needle)).expect("line") + 1;

    let out = chokepoint(&["check", good.to_str().expect("utf-8"), bad.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    let bad_name = bad.display().to_string();
    for (needle, message) in [
        ("\"oar\"", "unknown product 'oar'"),
        ("-100.0", "capacity must be from 0"),
        ("\"5x\"", "\"5x\" is not a duration"),
    ] {
        assert!(stderr.contains(message), "{message}: {stderr}");
        assert!(stderr.contains(&format!("{bad_name}:{}:", line(needle))), "{needle} not located: {stderr}");
    }
    assert!(stderr.contains("did you mean 'ore'?"), "{stderr}");
    assert!(!stderr.contains("\u{1b}["), "no colour when not on a terminal");
    assert!(text(&out.stdout).contains(&format!("{}: ok", good.display())));

    // 30 February is refused by the TOML parser itself, with the calendar rule as a hint.
    let date = dir.join("date.toml");
    let text_of_date =
        std::fs::read_to_string(&good).expect("read").replace("start = 2025-02-01", "start = 2025-02-30");
    std::fs::write(&date, &text_of_date).expect("write");
    let out = chokepoint(&["check", date.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    let date_line = text_of_date.lines().position(|l| l.contains("2025-02-30")).expect("line") + 1;
    assert!(stderr.contains(&format!("{}:{date_line}:9", date.display())), "{stderr}");
    assert!(stderr.contains("February has 28 days"), "{stderr}");

    let out = chokepoint(&["check", "--format", "json", bad.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(json["valid"], false);
    let diagnostics = json["files"][0]["diagnostics"].as_array().expect("diagnostics");
    assert_eq!(json["files"][0]["errors"], 3, "{json:#}");
    let typo = diagnostics
        .iter()
        .find(|d| d["message"].as_str().is_some_and(|m| m.contains("'oar'")))
        .expect("typo");
    assert_eq!(typo["line"], line("\"oar\""));
    assert_eq!(typo["severity"], "error");
    assert_eq!(typo["hint"], "did you mean 'ore'?");
}

#[test]
fn schema_prints_the_committed_schema() {
    let out = chokepoint(&["schema"]);
    assert!(out.status.success());
    let committed = std::fs::read(workspace_root().join("docs/scenario.schema.json")).expect("committed");
    assert_eq!(out.stdout, committed, "regenerate: chokepoint schema > docs/scenario.schema.json");
}

#[test]
fn the_world_alone_is_the_undisturbed_baseline() {
    let dir = scratch("world");
    let out =
        chokepoint(&["run", "scenarios/worlds/rare-earths-2025.toml", "-o", dir.to_str().expect("utf-8")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("summary.json")).expect("summary")).expect("json");
    for (entity, kpis) in summary["kpis"].as_object().expect("kpis") {
        assert_eq!(kpis["unmet_units"], 0.0, "{entity} runs short without any control");
    }
}

pub(crate) fn chokepoint_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_chokepoint"));
    command.args(args).current_dir(workspace_root());
    for var in
        ["SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT", "SLURM_ARRAY_TASK_MIN", "JOB_COMPLETION_INDEX"]
    {
        command.env_remove(var);
    }
    command.envs(env.iter().copied()).output().expect("the binary runs")
}

const BAN_END: &str = "event.mofcom-18-2025.end=2025-06-06,2025-12-31";

fn sweep_files(dir: &Path) -> [Vec<u8>; 3] {
    ["bands.csv", "kpis.csv", "summary.json"].map(|f| std::fs::read(dir.join(f)).expect("file written"))
}

fn sweep_into(dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> Output {
    let mut args =
        vec!["sweep", SCENARIO, "--runs", "6", "--set", BAN_END, "-o", dir.to_str().expect("utf-8")];
    args.extend_from_slice(extra);
    let out = chokepoint_env(&args, env);
    assert!(out.status.success(), "{}", text(&out.stderr));
    out
}

#[test]
fn sweep_gives_the_same_bytes_on_one_or_two_threads_and_in_merged_shards() {
    let one = scratch("sweep-threads-1");
    let out = sweep_into(&one, &["--threads", "1"], &[]);
    let two = scratch("sweep-threads-2");
    sweep_into(&two, &["--threads", "2"], &[]);
    assert!(sweep_files(&one) == sweep_files(&two), "1 and 2 threads differ");

    // The printed summary: per point, P(short) and the median date of the first shortage.
    let stdout = text(&out.stdout);
    assert!(stdout.contains("Point 1: event.mofcom-18-2025.end = 2025-12-31"), "{stdout}");
    assert!(stdout.lines().any(|l| l.starts_with("us_auto") && l.contains("100.0 %")), "{stdout}");
    // Off a terminal there is no progress bar.
    assert!(!text(&out.stderr).contains("ETA"), "{}", text(&out.stderr));

    // Three shards: one by flag, one by SLURM's variables, one as an Indexed Job.
    let parts = scratch("sweep-parts");
    sweep_into(&parts, &["--shard", "1/3"], &[]);
    sweep_into(
        &parts,
        &[],
        &[("SLURM_ARRAY_TASK_ID", "1"), ("SLURM_ARRAY_TASK_MIN", "1"), ("SLURM_ARRAY_TASK_COUNT", "3")],
    );
    sweep_into(&parts, &["--shard-count", "3"], &[("JOB_COMPLETION_INDEX", "2")]);
    let names: Vec<String> = ["0000", "0001", "0002"]
        .iter()
        .map(|i| parts.join(format!("shard-{i}-of-0003.part")).to_str().expect("utf-8").to_owned())
        .collect();
    assert!(!parts.join("bands.csv").exists(), "a shard writes only its part");
    let merged = scratch("sweep-merged");
    let mut args = vec!["merge", names[2].as_str(), names[0].as_str(), names[1].as_str(), "-o"];
    args.push(merged.to_str().expect("utf-8"));
    let out = chokepoint(&args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let (whole, parts_merged) = (sweep_files(&one), sweep_files(&merged));
    for (name, (a, b)) in
        ["bands.csv", "kpis.csv", "summary.json"].iter().zip(whole.iter().zip(&parts_merged))
    {
        assert!(a == b, "merged {name} differs from the unsharded one");
    }

    // A shard missing, or a file that is not a shard, is refused.
    let out =
        chokepoint(&["merge", names[0].as_str(), names[2].as_str(), "-o", merged.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("missing shard 1/3"), "{}", text(&out.stderr));
    let out = chokepoint(&["merge", SCENARIO, "-o", merged.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("not a shard file"), "{}", text(&out.stderr));
}

#[test]
fn sweep_files_follow_the_contract() {
    let dir = scratch("sweep-contract");
    sweep_into(&dir, &[], &[]);
    let bands = text(&std::fs::read(dir.join("bands.csv")).expect("bands.csv"));
    assert!(bands.starts_with(
        "point,event.mofcom-18-2025.end,day,date,entity,metric,mean,p05,p10,p25,p50,p75,p90,p95\n"
    ));
    // With --bands all: 2 points × 365 days × every series of the run.
    let all_dir = scratch("sweep-contract-all");
    sweep_into(&all_dir, &["--bands", "all"], &[]);
    let all = text(&std::fs::read(all_dir.join("bands.csv")).expect("bands.csv"));
    let run = scratch("sweep-contract-run");
    run_into(&run, "20250404");
    let series = text(&std::fs::read(run.join("series.csv")).expect("series.csv"));
    assert_eq!(all.lines().count() - 1, 2 * (series.lines().count() - 1));
    // By default: every entity's shortage fraction, and the watched entities' stock,
    // production, demand, unmet and shortage (the file watches these 13), and nothing else.
    let watched = ["us_auto", "eu_auto", "jp_auto", "in_auto", "us_motors", "eu_motors", "jp_motors"];
    let watched_too = ["in_motors", "jp_magnets", "eu_magnets", "us_magnets", "jp_metal", "us_metal"];
    let headline = ["stock", "production", "demand", "unmet", "shortage_fraction"];
    let kept = |entity: &str, metric: &str| {
        metric == "shortage_fraction"
            || (headline.contains(&metric) && (watched.contains(&entity) || watched_too.contains(&entity)))
    };
    let key = |line: &str| {
        // day,date,entity,metric,… after the point and its setting.
        let cells: Vec<&str> = line.split(',').collect();
        (cells[4].to_owned(), cells[5].to_owned())
    };
    let expected: Vec<&str> = all
        .lines()
        .skip(1)
        .filter(|l| {
            let (entity, metric) = key(l);
            kept(&entity, &metric)
        })
        .collect();
    let default: Vec<&str> = bands.lines().skip(1).collect();
    assert!(default.len() < all.lines().count() / 2, "the default keeps far fewer bands");
    // Row for row the same bytes as the all-bands file: what is kept does not change a value.
    assert_eq!(default, expected);
    let entities: std::collections::BTreeSet<String> =
        series.lines().skip(1).map(|l| l.split(',').nth(2).expect("entity").to_owned()).collect();
    let with_shortage: std::collections::BTreeSet<String> =
        default.iter().map(|l| key(l)).filter(|(_, m)| m == "shortage_fraction").map(|(e, _)| e).collect();
    assert_eq!(with_shortage, entities, "every entity has its shortage fraction");
    // `[report] bands = "all"` in the file is `--bands all`; `--bands watched` overrides it.
    let from_file = scratch("sweep-contract-file");
    sweep_into(&from_file, &["--set", "report.bands=\"all\""], &[]);
    assert!(sweep_files(&from_file)[0] == all.as_bytes(), "report.bands = \"all\" keeps every band");
    let overridden = scratch("sweep-contract-override");
    sweep_into(&overridden, &["--set", "report.bands=\"all\"", "--bands", "watched"], &[]);
    assert!(sweep_files(&overridden)[0] == bands.as_bytes(), "--bands watched overrides the file");
    // Quantiles are ordered in every row.
    for line in bands.lines().skip(1) {
        let cells: Vec<f64> = line.split(',').skip(6).map(|c| c.parse().expect("number")).collect();
        assert!(cells[1..].windows(2).all(|w| w[0] <= w[1]), "{line}");
    }

    let kpis = text(&std::fs::read(dir.join("kpis.csv")).expect("kpis.csv"));
    assert!(kpis.starts_with("point,event.mofcom-18-2025.end,run,seed,entity,time_to_survive_days,"));
    // Run 0 uses the scenario's seed: its KPIs are those of `chokepoint run`.
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(run.join("summary.json")).expect("summary")).expect("JSON");
    let days = summary["kpis"]["us_auto"]["time_to_survive_days"].as_u64().expect("us_auto runs short");
    assert!(
        kpis.contains(&format!("\n0,2025-06-06,0,20250404,us_auto,{days}.0,")),
        "run 0 of point 0 should survive {days} days"
    );

    let sweep: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("summary.json")).expect("summary")).expect("JSON");
    let point = &sweep["points"][1];
    assert_eq!(point["settings"]["event.mofcom-18-2025.end"], "2025-12-31");
    assert_eq!(point["runs"], 6);
    let us = &point["entities"]["us_auto"];
    assert_eq!(us["probability_short"], 1.0);
    // The survival curve is 1 until the first shortage of any run and 0 once all are short.
    let survival: Vec<f64> =
        us["survival"].as_array().expect("curve").iter().map(|v| v.as_f64().expect("f64")).collect();
    assert_eq!(survival.len(), 365);
    assert_eq!(survival[0], 1.0);
    assert_eq!(survival[364], 0.0);
    assert!(survival.windows(2).all(|w| w[0] >= w[1]));
    let p50 = us["first_short_day"]["p50"].as_u64().expect("median day");
    assert!(survival[p50 as usize] <= 0.5 && survival[p50 as usize - 1] > 0.5 - 1.0 / 6.0);
}

#[test]
fn sweep_rejects_bad_settings_and_shards_with_exit_1_and_no_files() {
    let dir = scratch("sweep-bad");
    let out_dir = dir.join("out");
    let o = out_dir.to_str().expect("utf-8");
    let cases: [(&[&str], &str); 5] = [
        (&["--set", "facilities.my_lynas_ligth.capacity=5.0"], "did you mean 'my_lynas_light'?"),
        (&["--set", "facilities.my_lynas_light.capacity=-5.0,5.0"], "found -5\n  ┌─ <command line>:"),
        (&["--set", "nonsense"], "expected key=value"),
        (&["--shard", "3/3"], "shard 3/3 does not exist"),
        (&["--runs", "0"], "out of range"),
    ];
    for (extra, expected) in cases {
        let mut args = vec!["sweep", SCENARIO, "-o", o];
        args.extend_from_slice(extra);
        let out = chokepoint_env(&args, &[]);
        assert_eq!(out.status.code(), Some(1), "{extra:?}: {}", text(&out.stderr));
        assert!(text(&out.stderr).contains(expected), "{extra:?}: {}", text(&out.stderr));
        assert!(!out_dir.join("bands.csv").exists() && !out_dir.join("kpis.csv").exists(), "{extra:?}");
    }
    let out = chokepoint_env(&["sweep", SCENARIO, "-o", o], &[("JOB_COMPLETION_INDEX", "1")]);
    assert!(text(&out.stderr).contains("--shard-count"), "{}", text(&out.stderr));
}

#[test]
fn help_explains_sweep_and_merge() {
    let out = chokepoint(&["sweep", "--help"]);
    let help = text(&out.stdout);
    for needle in [
        "--runs",
        "--set",
        "--shard",
        "SLURM_ARRAY_TASK_ID",
        "bands.csv",
        "kpis.csv",
        "survival",
        "chokepoint merge",
    ] {
        assert!(help.contains(needle), "sweep --help lacks {needle}");
    }
    let out = chokepoint(&["merge", "--help"]);
    assert!(text(&out.stdout).contains("byte for byte"));
}

#[test]
fn run_set_changes_a_key_and_replays_a_sweep_replicate() {
    // The ban ends on 1 September instead of 63 days after 4 April: day 243 of 2025
    // (31 + 28 + 31 + 30 + 31 + 30 + 31 + 31).
    let dir = scratch("run-set");
    let o = dir.to_str().expect("utf-8");
    let out = chokepoint(&["run", SCENARIO, "-o", o, "--set", "event.mofcom-18-2025.end=2025-09-01"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let events = text(&std::fs::read(dir.join("events.csv")).expect("events.csv"));
    assert!(events.contains("\n243,2025-09-01,control_ended,mofcom-18-2025,"), "{events}");

    // Replicate 3 of point 1 of a sweep, replayed alone from its seed and the point's setting.
    let sweep_dir = scratch("run-set-sweep");
    sweep_into(&sweep_dir, &[], &[]);
    let kpis = text(&std::fs::read(sweep_dir.join("kpis.csv")).expect("kpis.csv"));
    let row: Vec<&str> = kpis
        .lines()
        .map(|l| l.split(',').collect::<Vec<_>>())
        .find(|c| c[0] == "1" && c[2] == "3" && c[4] == "eu_auto")
        .expect("row of point 1, run 3");
    let (seed, unmet) = (row[3], row[8]);
    let replay = scratch("run-set-replay");
    let out = chokepoint(&[
        "run",
        SCENARIO,
        "-o",
        replay.to_str().expect("utf-8"),
        "--seed",
        seed,
        "--set",
        "event.mofcom-18-2025.end=2025-12-31",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(replay.join("summary.json")).expect("summary")).expect("JSON");
    let replayed = summary["kpis"]["eu_auto"]["unmet_units"].as_f64().expect("unmet");
    assert_eq!(replayed, unmet.parse::<f64>().expect("number"));

    // Several values are a sweep's business.
    let out = chokepoint(&["run", SCENARIO, "-o", o, "--set", BAN_END]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("one value per key"), "{}", text(&out.stderr));
}

#[test]
fn sweep_without_set_sweeps_the_files_own_grid() {
    // The April file's [sweep.grid] gives the ban three ends: three points.
    let dir = scratch("sweep-file-grid");
    let out = chokepoint_env(&["sweep", SCENARIO, "--runs", "2", "-o", dir.to_str().expect("utf-8")], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("3 points"), "{stdout}");
    assert!(stdout.contains("Point 2: event.mofcom-18-2025.end = { after = \"180d\" }"), "{stdout}");
}

#[test]
fn a_reader_that_goes_away_does_not_make_the_command_panic() {
    // `chokepoint run … | head -2`: the reader closes the pipe before the table is printed.
    // The command still writes its files and exits 0, with no panic on stderr.
    let dir = scratch("broken-pipe");
    let mut child = Command::new(env!("CARGO_BIN_EXE_chokepoint"))
        .args(["run", SCENARIO, "-o", dir.to_str().expect("utf-8")])
        .current_dir(workspace_root())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the binary starts");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("the binary ends");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!text(&out.stderr).contains("panicked"), "{}", text(&out.stderr));
    assert!(dir.join("series.csv").is_file());
}
