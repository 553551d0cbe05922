//! `chokepoint backtest`: scores computed by hand on a chain whose flows are known, located
//! errors in observation files, and the regression gate on the calibration episodes.

use std::path::{Path, PathBuf};

use crate::{chokepoint, scratch, text, workspace_root};

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

const HEADER: &str =
    "id,kind,exporter,importer,product,entity,period,value,base,tolerance,source,confidence,scored,note\n";

/// The small chain without demand noise or random transit times: the buyer takes 10 widgets a day, half from each
/// plant, and each plant orders the 5 parts A a day it uses from China. `extra` is appended
/// (events), and the `[backtest]` table names `obs.csv` beside the file.
fn known_chain(dir: &Path, extra: &str, observations: &str) -> PathBuf {
    let example =
        std::fs::read_to_string(workspace_root().join("examples/small-chain.toml")).expect("example");
    let file = dir.join("chain.toml");
    let text = example
        .replace("noise = \"poisson\"\n", "")
        .replace("transit = { lognormal = { mean = 5, sd = 1 } }", "transit = 5")
        + extra
        + "\n[backtest]\nobserved = [\"obs.csv\"]\nruns = 20\n";
    std::fs::write(&file, text).expect("write");
    std::fs::write(dir.join("obs.csv"), format!("{HEADER}{observations}")).expect("write");
    file
}

#[test]
fn a_chain_with_known_flows_scores_as_computed_by_hand() {
    let dir = scratch("backtest-known");
    let file = known_chain(
        &dir,
        "",
        // May 2026 has 31 days: 5 a day to the US plant is 155, to both plants 310.
        // February to April have 28, 31 and 30 days: a mean of 148.33 a month, so May is
        // 155 / 148.33 = 1.045 of it.
        "us-may,trade,CN,US,part_a,,2026-05,155,,,[S-TEST],H,,\n\
         all-may,trade,CN,*,part_a,,2026-05,310,,,[S-TEST],H,,\n\
         us-june-wrong,trade,CN,US,part_a,,2026-06,300,,,[S-TEST],M,,twice the truth\n\
         us-may-ratio,trade,CN,US,part_a,,2026-05,1.0,2026-02..2026-04,0.05,[S-TEST],M,,\n\
         calm,first_shortage,,,,us_buyer,2026-01-01..2026-12-31,never,,,[S-TEST],H,,\n\
         gap,price_ratio,CN,US,part_a,,2026-05,2.0,,,[S-TEST],L,no,the chain has no price index\n",
    );
    let out_dir = dir.join("out");
    let out = chokepoint(&["backtest", path(&file), "-o", path(&out_dir)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let row =
        |id: &str| stdout.lines().find(|l| l.starts_with(&format!("{id} "))).unwrap_or_default().to_owned();
    assert!(row("us-may").contains("155  ") && row("us-may").contains(" yes "), "{stdout}");
    assert!(row("all-may").contains(" 310 "), "{stdout}");
    // June: 30 days × 5 = 150 against 300 observed: ln(150/300) = -0.69.
    assert!(row("us-june-wrong").contains(" 150 ") && row("us-june-wrong").contains(" NO "), "{stdout}");
    assert!(row("us-june-wrong").contains("ln -0.69 (×0.50)"), "{stdout}");
    assert!(row("us-may-ratio").contains("1.045") && row("us-may-ratio").contains(" yes "), "{stdout}");
    assert!(row("calm").contains("never") && row("calm").contains(" yes "), "{stdout}");
    assert!(
        stdout.contains("Not scored:\n  gap (price_ratio part_a US / CN): the chain has no price index"),
        "{stdout}"
    );
    assert!(
        stdout.contains("all 4 of 5 (80 %); trade 3 of 4 (75 %); first_shortage 1 of 1 (100 %)"),
        "{stdout}"
    );
    assert!(stdout.contains("; 1 not scored"), "{stdout}");

    let csv = std::fs::read_to_string(out_dir.join("backtest.csv")).expect("backtest.csv");
    assert!(csv.starts_with("scenario,observation,kind,subject,period,source,confidence,observed,tolerance,p05,p50,p95,inside,error,scored,note\n"));
    assert!(
        csv.contains("\nchain,us-may,trade,CN -> US part_a,2026-05,[S-TEST],H,155,,155,155,155,yes,0,yes,\n"),
        "{csv}"
    );
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out_dir.join("backtest.json")).expect("json")).expect("JSON");
    assert_eq!(json["coverage"]["rows"][0]["inside"], 4);
    assert_eq!(json["scenarios"][0]["observations"][4]["score"]["never_share"], 1.0);
    // One fan per observed trade series: CN->US, CN->all, and CN->US as a ratio.
    for n in 1..=3 {
        let found = std::fs::read_dir(&out_dir)
            .expect("dir")
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with(&format!("backtest-chain-{n}-")));
        assert!(found, "no chart {n}");
    }
    let bands = std::fs::read_to_string(out_dir.join("trade_bands.csv")).expect("bands");
    assert!(bands.contains(",2026-05,155,155,155,155,155,155,155,155\n"), "{bands}");
}

#[test]
fn a_stop_in_china_makes_the_buyer_short_when_inventory_arithmetic_says() {
    let dir = scratch("backtest-stop");
    // China's plant stops from 1 March (day 59). The buyer holds 20 days, the plants 10 days
    // of parts and 4 of widgets, with 5 days in transit each way: 44 days of cover
    // (examples/small-chain.toml), so the buyer runs short about day 103, 14 April.
    let file = known_chain(
        &dir,
        "\n[[event]]\ntype = \"capacity\"\nid = \"stop\"\nfacilities = [\"cn_part_a\"]\nremaining = 0.0\nstart = 2026-03-01\n",
        "april,first_shortage,,,,us_buyer,2026-04-10..2026-04-18,,,,[S-TEST],H,,\n\
         may,first_shortage,,,,us_buyer,2026-05-01..2026-05-31,,,,[S-TEST],H,,\n\
         march-trade,trade,CN,US,part_a,,2026-04,0,,,[S-TEST],H,,\n",
    );
    let out = chokepoint(&["backtest", path(&file), "-o", path(&dir.join("out"))]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let row =
        |id: &str| stdout.lines().find(|l| l.starts_with(&format!("{id} "))).unwrap_or_default().to_owned();
    assert!(row("april").contains(" yes "), "{stdout}");
    assert!(row("may").contains(" NO "), "{stdout}");
    // The median is about 14 April, some 17 days before 1 May.
    let error: i64 = row("may")
        .split_whitespace()
        .find_map(|w| w.strip_prefix('-').and_then(|d| d.parse::<i64>().ok()))
        .map(|d| -d)
        .unwrap_or(0);
    assert!((-19..=-15).contains(&error), "error {error} in {}", row("may"));
    // Nothing leaves China in April: a zero observed and modelled is no error.
    assert!(row("march-trade").contains(" yes ") && row("march-trade").contains("ln +0.00"), "{stdout}");
}

#[test]
fn a_bad_observation_file_is_located_and_nothing_runs() {
    let dir = scratch("backtest-bad");
    let file = known_chain(&dir, "", "a,trade,CN,US,part_aa,,2026-05,155,,,[S-TEST],H,,\n");
    let out_dir = dir.join("out");
    let out = chokepoint(&["backtest", path(&file), "-o", path(&out_dir)]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("unknown product 'part_aa'") && stderr.contains("did you mean 'part_a'?"),
        "{stderr}"
    );
    assert!(stderr.contains("obs.csv:2:15"), "{stderr}");
    // The count names the file the errors are in, not the scenario that names it.
    let obs = dir.join("obs.csv");
    assert!(stderr.contains(&format!("{}: 1 error found; nothing was run", obs.display())), "{stderr}");
    assert!(!out_dir.exists());
    // `check` checks the observation files a scenario names.
    let out = chokepoint(&["check", path(&file)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("unknown product 'part_aa'"), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("its observation files are invalid"), "{}", text(&out.stderr));
    // A scenario with no [backtest] table says how to add one.
    let out = chokepoint(&["backtest", "examples/small-chain.toml", "-o", path(&out_dir)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("names no observation files"), "{}", text(&out.stderr));
}

/// The calibration scenarios' observations that were inside the model's band when the
/// scorecard in docs/validation.md was recorded (`observed/inside.txt`, same runs and seed).
/// A model change that pushes one outside fails here: record the new scorecard on purpose.
#[test]
fn calibration_observations_inside_their_band_stay_inside() {
    let dir = scratch("backtest-gate");
    let listed =
        std::fs::read_to_string(workspace_root().join("observed/inside.txt")).expect("observed/inside.txt");
    let mut settings =
        listed.lines().filter(|l| l.starts_with("# runs ")).flat_map(|l| l.split_whitespace().skip(2));
    let runs = settings.next().expect("# runs N seed S").to_owned();
    let out = chokepoint(&[
        "backtest",
        "scenarios/rare-earth-controls-april-2025.toml",
        "scenarios/gallium-germanium-2023-2025.toml",
        "--runs",
        &runs,
        "-o",
        path(&dir),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("backtest.json")).expect("json")).expect("JSON");
    let mut inside: Vec<String> = Vec::new();
    for scenario in json["scenarios"].as_array().expect("scenarios") {
        let stem = Path::new(scenario["file"].as_str().expect("file"))
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        for o in scenario["observations"].as_array().expect("observations") {
            if o["score"]["inside"] == true {
                inside.push(format!("{stem} {}", o["id"].as_str().unwrap_or("")));
            }
        }
    }
    let expected: Vec<&str> =
        listed.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()).collect();
    let lost: Vec<&&str> = expected.iter().filter(|e| !inside.iter().any(|i| i == *e)).collect();
    assert!(
        lost.is_empty(),
        "observations that fell outside their band: {lost:?}\nscorecard:\n{}",
        text(&out.stdout)
    );
}

#[test]
fn run_writes_monthly_trade_and_report_adds_the_history_section() {
    let dir = scratch("backtest-report");
    let file = known_chain(&dir, "", "us-may,trade,CN,US,part_a,,2026-05,155,,,[S-TEST],H,,\n");
    let run_dir = dir.join("run");
    let out = chokepoint(&["run", path(&file), "-o", path(&run_dir)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let trade = std::fs::read_to_string(run_dir.join("trade.csv")).expect("trade.csv");
    assert!(trade.starts_with("month,exporter,importer,product,unit,quantity\n"), "{trade}");
    // 5 parts a day to each plant: 155 in May, 150 in June; Korea and Taiwan sell 2.5 a day
    // each to each plant (half of 5): 77.5 in May. Domestic flows (US plant to US buyer) are
    // not trade; the Mexican plant's widgets to the US buyer are.
    for row in [
        "2026-05,CN,MX,part_a,parts,155\n",
        "2026-05,CN,US,part_a,parts,155\n",
        "2026-06,CN,US,part_a,parts,150\n",
        "2026-05,KR,US,part_c,parts,77.5\n",
        "2026-05,MX,US,widget,widgets,155\n",
    ] {
        assert!(trade.contains(row), "no {row:?} in\n{trade}");
    }
    assert!(!trade.contains(",US,US,"), "domestic flows are not trade");

    let brief = dir.join("brief");
    let out = chokepoint(&["report", path(&file), "--runs", "4", "-o", path(&brief)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let md = std::fs::read_to_string(brief.join("report.md")).expect("report.md");
    assert!(md.contains("## Model against history"), "{md}");
    assert!(md.contains("| us-may | CN -> US part_a | 2026-05 | 155 | 155 – 155 – 155 | yes |"), "{md}");
    assert!(md.contains("Coverage: inside the model's 90 % band: all 1 of 1 (100 %)"), "{md}");
    assert!(brief.join("data/backtest/backtest.csv").exists());
    let html = std::fs::read_to_string(brief.join("report.html")).expect("report.html");
    assert!(html.contains("<h2>Model against history</h2>"));
    // Without observations, no such section.
    let plain = dir.join("plain");
    let out = chokepoint(&["report", "examples/small-chain.toml", "--runs", "2", "-o", path(&plain)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!std::fs::read_to_string(plain.join("report.md")).expect("md").contains("Model against history"));
}

#[test]
fn calibrate_recovers_a_known_parameter_and_says_which_the_data_do_not_pin() {
    let dir = scratch("calibrate-known");
    // China's plant keeps 40 % of its 15 a day from 1 March: 6 a day, 3 to each plant, so
    // 90 parts to the US plant in April and June and 93 in May. The widget's value changes
    // no flow: the data cannot pin it down.
    let file = known_chain(
        &dir,
        "\n[[event]]\ntype = \"capacity\"\nid = \"stop\"\nfacilities = [\"cn_part_a\"]\nremaining = 0.4\nstart = 2026-03-01\n",
        "apr,trade,CN,US,part_a,,2026-04,90,,,[S-TEST],H,,\n\
         may,trade,CN,US,part_a,,2026-05,93,,,[S-TEST],H,,\n\
         jun,trade,CN,US,part_a,,2026-06,90,,,[S-TEST],H,,\n",
    );
    let out_dir = dir.join("out");
    let out = chokepoint(&[
        "calibrate",
        path(&file),
        "--prior",
        "event.stop.remaining=0..1",
        "--prior",
        "products.widget.value=100..2000",
        "--samples",
        "200",
        "--runs",
        "1",
        "--keep",
        "0.05",
        "-o",
        path(&out_dir),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out_dir.join("calibration.json")).expect("json"))
            .expect("JSON");
    let parameters = &json["posterior"]["parameters"];
    let remaining = &parameters[0];
    assert_eq!(remaining["key"], "event.stop.remaining");
    let median = remaining["p50"].as_f64().expect("number");
    // Every accepted draw is within the accepted distance; with 10 of 200 kept, the
    // posterior median lands near the truth, 0.4.
    assert!((0.33..=0.47).contains(&median), "posterior median {median}");
    assert_eq!(remaining["pinned"], true, "{remaining}");
    assert_eq!(parameters[1]["pinned"], false, "{}", parameters[1]);
    let csv = std::fs::read_to_string(out_dir.join("posterior.csv")).expect("posterior.csv");
    assert!(csv.starts_with("draw,event.stop.remaining,products.widget.value,distance,outside,accepted\n"));
    assert_eq!(csv.lines().filter(|l| l.ends_with(",yes")).count(), 10);
    let stdout = text(&out.stdout);
    assert!(stdout.contains("no: the data say little"), "{stdout}");
    // A prior on a key the scenario does not have is refused before anything runs.
    let out = chokepoint(&[
        "calibrate",
        path(&file),
        "--prior",
        "event.nope.remaining=0..1",
        "-o",
        path(&dir.join("bad")),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(!dir.join("bad").exists());
    let out = chokepoint(&["calibrate", path(&file), "--prior", "event.stop.remaining=1..0"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("LOW below HIGH"), "{}", text(&out.stderr));
}

#[test]
fn calibration_shards_merge_into_the_bytes_of_one_calibration() {
    let dir = scratch("calibrate-shards");
    let file = known_chain(
        &dir,
        "\n[[event]]\ntype = \"capacity\"\nid = \"stop\"\nfacilities = [\"cn_part_a\"]\nremaining = 0.4\nstart = 2026-03-01\n",
        "apr,trade,CN,US,part_a,,2026-04,90,,,[S-TEST],H,,\n",
    );
    let calibrate = |extra: &[&str], out: &Path| {
        let mut args = vec![
            "calibrate",
            path(&file),
            "--prior",
            "event.stop.remaining=0..1",
            "--samples",
            "9",
            "--runs",
            "2",
            "--keep",
            "0.3",
            "-o",
            path(out),
        ];
        args.extend_from_slice(extra);
        let out = chokepoint(&args);
        assert!(out.status.success(), "{}", text(&out.stderr));
    };
    let (whole, a, b, c, merged) =
        (dir.join("whole"), dir.join("a"), dir.join("b"), dir.join("c"), dir.join("merged"));
    calibrate(&[], &whole);
    calibrate(&["--shard", "0/3"], &a);
    calibrate(&["--shard", "1/3"], &b);
    calibrate(&["--shard", "2/3"], &c);
    // A shard holds every third draw, from its index: 0, 3, 6 for the first.
    let part = std::fs::read_to_string(a.join("posterior.csv")).expect("csv");
    let draws: Vec<&str> = part.lines().skip(1).map(|l| l.split(',').next().unwrap_or("")).collect();
    assert_eq!(draws, ["0", "3", "6"]);
    // Two shards are not all of them.
    let out = chokepoint(&[
        "calibrate",
        path(&file),
        "--prior",
        "event.stop.remaining=0..1",
        "--samples",
        "9",
        "--runs",
        "2",
        "--keep",
        "0.3",
        "--merge",
        path(&a),
        "--merge",
        path(&b),
        "-o",
        path(&merged),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("3 missing"), "{}", text(&out.stderr));
    calibrate(&["--merge", path(&a), "--merge", path(&c), "--merge", path(&b)], &merged);
    for name in ["posterior.csv", "calibration.json"] {
        assert_eq!(
            std::fs::read(whole.join(name)).expect("whole"),
            std::fs::read(merged.join(name)).expect("merged"),
            "{name}"
        );
    }
    // A shard of another calibration (other runs) is refused.
    let out = chokepoint(&[
        "calibrate",
        path(&file),
        "--prior",
        "event.stop.remaining=0..1",
        "--samples",
        "9",
        "--runs",
        "3",
        "--keep",
        "0.3",
        "--merge",
        path(&a),
        "--merge",
        path(&b),
        "--merge",
        path(&c),
        "-o",
        path(&dir.join("x")),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("not a shard of this calibration"), "{}", text(&out.stderr));
}
