//! `chokepoint rank` on the small chain of examples/small-chain.toml, whose answer is known
//! by construction (the arithmetic is in the file's header).

use std::collections::HashMap;

use crate::{chokepoint, scratch, text};

const CHAIN: &str = "examples/small-chain.toml";

/// rank.csv as (candidate, column → value) rows in rank order.
fn rows(dir: &std::path::Path) -> Vec<(String, HashMap<String, String>)> {
    let csv = text(&std::fs::read(dir.join("rank.csv")).expect("rank.csv written"));
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    lines
        .map(|line| {
            let cells: Vec<&str> = line.split(',').collect();
            let row: HashMap<String, String> =
                header.iter().zip(&cells).map(|(h, c)| ((*h).to_owned(), (*c).to_owned())).collect();
            (row["candidate"].clone(), row)
        })
        .collect()
}

fn number(row: &HashMap<String, String>, column: &str) -> f64 {
    row[column].parse().unwrap_or_else(|_| panic!("{column} = '{}' is not a number", row[column]))
}

#[test]
fn the_least_covered_single_source_ranks_first_and_the_well_stocked_dual_source_last() {
    let dir = scratch("rank-small-chain");
    let out = chokepoint(&["rank", CHAIN, "--runs", "12", "-o", dir.to_str().expect("utf-8")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let rows = rows(&dir);
    let order: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(order[..2], ["cn_part_a", "jp_part_b"], "{order:?}");
    // Either plant third and fourth, the two part C makers last, at exactly zero.
    let mut plants = order[2..4].to_vec();
    plants.sort_unstable();
    assert_eq!(plants, ["mx_widgets", "us_widgets"]);
    let mut last = order[4..].to_vec();
    last.sort_unstable();
    assert_eq!(last, ["kr_part_c", "tw_part_c"]);
    for (_, row) in &rows[4..] {
        assert_eq!((number(row, "lost_value_mean"), number(row, "p_short")), (0.0, 0.0));
    }

    // Cover by inventory arithmetic: A has 10 days at the plants + 5 in transit, the plants
    // 4 days of widgets, 5 more in transit and the buyer 20: 44 days. B adds its maker's 20.
    let a = &rows[0].1;
    let b = &rows[1].1;
    assert!((43.0..=45.0).contains(&number(a, "survive_days_median")), "{a:?}");
    assert!((63.0..=65.0).contains(&number(b, "survive_days_median")), "{b:?}");
    // Widgets flow again about day 100 (parts made from day 90, 5 days to the plants and 5
    // to the buyer): A's stop costs about 56 days of 10 widgets worth 1,000 each, B's 36.
    let within = |value: f64, expected: f64| (value - expected).abs() <= 0.1 * expected;
    assert!(within(number(a, "lost_value_mean"), 560_000.0), "{a:?}");
    assert!(within(number(b, "lost_value_mean"), 360_000.0), "{b:?}");
    assert_eq!(number(a, "exposure"), 1.0);
    assert_eq!((number(a, "rank_p05"), number(a, "rank_p95"), number(a, "p_first")), (1.0, 1.0, 1.0));
    assert_eq!(a["hits_hardest"], "us_buyer");
    assert_eq!(a["facilities"], "cn_part_a");

    let stdout = text(&out.stdout);
    assert!(stdout.contains("full stop of 90 days from 2026-01-01; 12 runs each"), "{stdout}");
    assert!(stdout.lines().any(|l| l.starts_with("1 ") && l.contains("cn_part_a")), "{stdout}");
    for file in ["rank.csv", "rank.json", "rank.svg", "rank.png"] {
        assert!(stdout.contains(file), "{file} not listed: {stdout}");
    }
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("rank.json")).expect("rank.json")).expect("JSON");
    assert_eq!(json["candidates"][0]["candidate"], "cn_part_a");
    assert_eq!(json["candidates"][0]["buyers"][0]["id"], "us_buyer");
    assert_eq!(json["disruption"]["kind"], "full-stop");
    assert_eq!(json["disruption"]["days"], 90);
}

#[test]
fn bans_by_region_find_the_single_sources_and_spare_the_dual_source() {
    let dir = scratch("rank-small-chain-bans");
    let out = chokepoint(&[
        "rank",
        CHAIN,
        "--by",
        "region",
        "--disruption",
        "ban:90d",
        "--runs",
        "6",
        "-o",
        dir.to_str().expect("utf-8"),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let rows = rows(&dir);
    let order: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(order[..2], ["CN", "JP"], "{order:?}");
    let by_name: HashMap<&str, &HashMap<String, String>> =
        rows.iter().map(|(c, r)| (c.as_str(), r)).collect();
    // The US sells widgets only at home: its ban changes nothing.
    assert_eq!(number(by_name["US"], "lost_value_mean"), 0.0);
    // Korea's or Taiwan's part C: the plants order what they miss again, half of it from the
    // other maker, whose 15 a day and 600 in stock cover the 10 a day needed.
    for region in ["KR", "TW"] {
        assert_eq!(number(by_name[region], "lost_value_mean"), 0.0, "{region}");
    }
}

#[test]
fn the_same_ranking_on_one_thread_or_two() {
    let one = scratch("rank-threads-1");
    let two = scratch("rank-threads-2");
    for (dir, threads) in [(&one, "1"), (&two, "2")] {
        let out = chokepoint(&[
            "rank",
            CHAIN,
            "--by",
            "region-product",
            "--runs",
            "8",
            "--threads",
            threads,
            "-o",
            dir.to_str().expect("utf-8"),
        ]);
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    for file in ["rank.csv", "rank.json", "rank.svg", "rank.png"] {
        let a = std::fs::read(one.join(file)).expect("written");
        assert!(
            a == std::fs::read(two.join(file)).expect("written"),
            "{file} differs between 1 and 2 threads"
        );
    }
}

#[test]
fn bad_requests_are_refused_with_a_hint_and_no_file() {
    let dir = scratch("rank-bad");
    let out_dir = dir.to_str().expect("utf-8");
    let cases: [(&[&str], &str); 7] = [
        (&["--disruption", "halt:90d"], "unknown kind 'halt'"),
        (&["--disruption", "full-stop:90"], "'90' is not a duration"),
        (&["--disruption", "ban:90d"], "a ban is issued by a region"),
        (&["--start", "2026-12-01"], "past the horizon"),
        (&["--start", "2025-06-01"], "before the scenario starts"),
        (&["--watch", "us_buyr"], "did you mean 'us_buyer'?"),
        (&["--runs", "0"], "out of range"),
    ];
    for (args, message) in cases {
        let mut all = vec!["rank", CHAIN, "-o", out_dir];
        all.extend_from_slice(args);
        let out = chokepoint(&all);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
        assert!(stderr.contains("hint:"), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    assert!(!dir.join("rank.csv").exists(), "a refused ranking wrote rank.csv");
    let out = chokepoint(&["rank", CHAIN, "--by", "country"]);
    assert_eq!(out.status.code(), Some(2), "a malformed command line exits 2");
    let out = chokepoint(&["rank", "examples/no-such-file.toml"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("no-such-file.toml"));
}

#[test]
fn a_report_asked_to_rank_has_a_section_on_single_points_of_failure() {
    let dir = scratch("rank-report");
    let out = chokepoint(&[
        "report",
        CHAIN,
        "--runs",
        "4",
        "--rank",
        "facility",
        "--rank-runs",
        "4",
        "-o",
        dir.to_str().expect("utf-8"),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let md = text(&std::fs::read(dir.join("report.md")).expect("report.md"));
    assert!(md.contains("## Single points of failure"), "{md}");
    assert!(md.contains("| 1 | cn_part_a |"), "{md}");
    assert!(md.contains("![Single points of failure: which facility hurts most](charts/rank.png)"), "{md}");
    assert!(md.contains("The worst single point of failure of 6 candidates (facility)"), "{md}");
    assert!(md.contains("--rank facility --rank-disruption full-stop:90d --rank-runs 4"), "{md}");
    let html = text(&std::fs::read(dir.join("report.html")).expect("report.html"));
    assert!(html.contains("<h2>Single points of failure</h2>"));
    for file in ["charts/rank.svg", "charts/rank.png", "data/rank/rank.csv"] {
        assert!(dir.join(file).exists(), "{file} missing");
    }
    // Without --rank, no section.
    let plain = scratch("rank-report-plain");
    let out = chokepoint(&["report", CHAIN, "--runs", "2", "-o", plain.to_str().expect("utf-8")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let md = text(&std::fs::read(plain.join("report.md")).expect("report.md"));
    assert!(!md.contains("Single points of failure"));
    // --rank-runs without --rank is a malformed command line.
    assert_eq!(chokepoint(&["report", CHAIN, "--rank-runs", "3"]).status.code(), Some(2));
}

#[test]
fn the_small_chain_table_in_docs_ranking_md_is_what_the_command_prints() {
    let dir = scratch("rank-docs");
    let out = chokepoint(&["rank", CHAIN, "-o", dir.to_str().expect("utf-8")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let table: Vec<&str> = stdout
        .lines()
        .skip_while(|l| !l.starts_with("rank  candidate"))
        .take_while(|l| !l.trim().is_empty())
        .collect();
    assert_eq!(table.len(), 8, "{stdout}");
    let docs =
        text(&std::fs::read(crate::workspace_root().join("docs/ranking.md")).expect("docs/ranking.md"));
    let block = table.join("\n");
    assert!(
        docs.contains(&block),
        "docs/ranking.md no longer shows what `chokepoint rank {CHAIN}` prints; paste:\n{block}"
    );
}

// Issue 20, item 3: a ranking cut into shards, as on a cluster.

fn path(p: &std::path::Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// The ranking of region-products over 5 runs (shards of 1, 2 and 2 runs when cut in 3).
fn rank_into(dir: &std::path::Path, extra: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut args = vec!["rank", CHAIN, "--by", "region-product", "--runs", "5", "-o", path(dir)];
    args.extend_from_slice(extra);
    let out = crate::chokepoint_env(&args, env);
    assert!(out.status.success(), "{}", text(&out.stderr));
    out
}

/// The three shards of the ranking `rank_into` runs, each started another way: by flag,
/// as a SLURM array task (numbered from 1), as a Kubernetes Indexed Job pod.
fn rank_shards(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    rank_into(dir, &["--shard", "0/3"], &[]);
    let slurm =
        [("SLURM_ARRAY_TASK_ID", "2"), ("SLURM_ARRAY_TASK_MIN", "1"), ("SLURM_ARRAY_TASK_COUNT", "3")];
    rank_into(dir, &[], &slurm);
    rank_into(dir, &["--shard-count", "3"], &[("JOB_COMPLETION_INDEX", "2")]);
    (0..3).map(|i| dir.join(format!("rank-shard-000{i}-of-0003.part"))).collect()
}

/// `merge PARTS -o OUTPUT`, expected to fail with `expected` and write nothing.
fn merge_refused(parts: &[&std::path::Path], output: &std::path::Path, expected: &str) {
    let mut args = vec!["merge"];
    args.extend(parts.iter().map(|p| path(p)));
    args.extend(["-o", path(output)]);
    let out = chokepoint(&args);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(expected), "expected '{expected}' in: {stderr}");
    assert!(stderr.contains("hint:"), "{stderr}");
    assert!(!output.exists(), "a refused merge writes nothing");
}

/// The table a ranking or a merge prints, without the line saying what was written.
fn printed_table(stdout: &[u8]) -> String {
    let stdout = text(stdout);
    let end = stdout.find("\nWrote ").or_else(|| stdout.find("\nMerged ")).expect("a last line");
    stdout[..end].to_owned()
}

#[test]
fn rank_shards_merge_into_the_bytes_of_one_ranking() {
    let dir = scratch("rank-shards");
    let (whole, parts, merged) = (dir.join("whole"), dir.join("parts"), dir.join("merged"));
    let whole_out = rank_into(&whole, &[], &[]);
    let names = rank_shards(&parts);
    // A shard writes its part and nothing else.
    let written: Vec<String> = std::fs::read_dir(&parts)
        .expect("parts")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect();
    assert_eq!(written.len(), 3, "{written:?}");
    assert!(names.iter().all(|n| n.exists()), "{written:?}");

    // Given in any order, the parts merge into the files of the unsharded ranking.
    let out = chokepoint(&["merge", path(&names[2]), path(&names[0]), path(&names[1]), "-o", path(&merged)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    for file in ["rank.csv", "rank.json", "rank.svg", "rank.png"] {
        let a = std::fs::read(whole.join(file)).expect("written whole");
        assert!(
            a == std::fs::read(merged.join(file)).expect("merged"),
            "merged {file} differs from the whole"
        );
    }
    assert_eq!(printed_table(&out.stdout), printed_table(&whole_out.stdout));
    assert!(
        text(&out.stdout).contains("Merged 3 shards. Wrote rank.csv, rank.json"),
        "{}",
        text(&out.stdout)
    );

    // A shard missing, given twice, or of another ranking is refused, and so is a mix of
    // a sweep's shards and a ranking's.
    let refused = dir.join("refused");
    merge_refused(&[&names[0], &names[2]], &refused, "missing shard 1/3");
    merge_refused(&[&names[0], &names[1], &names[1], &names[2]], &refused, "shard 1/3 is given twice");
    let other = dir.join("other");
    rank_into(&other, &["--shard", "1/3", "--disruption", "full-stop:60d"], &[]);
    let foreign = other.join("rank-shard-0001-of-0003.part");
    merge_refused(&[&names[0], &foreign, &names[2]], &refused, "comes from another ranking");
    let sweep = dir.join("sweep");
    let out = chokepoint(&["sweep", CHAIN, "--runs", "2", "--shard", "1/2", "-o", path(&sweep)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let sweep_part = sweep.join("shard-0001-of-0002.part");
    merge_refused(&[&names[0], &sweep_part], &refused, "cannot be merged together");
}

#[test]
fn merge_refuses_a_rank_shard_cut_short_padded_or_changed() {
    let dir = scratch("rank-shards-damaged");
    let names = rank_shards(&dir.join("parts"));
    let parts: Vec<&std::path::Path> = names.iter().map(|p| p.as_path()).collect();
    let good = std::fs::read(&names[1]).expect("part");
    let out = dir.join("merged");
    let damage = |bytes: &[u8], expected: &str| {
        std::fs::write(&names[1], bytes).expect("write");
        merge_refused(&parts, &out, expected);
    };
    // The header (every impact) is the second line, then the end line with no rows.
    let lines: Vec<&[u8]> = good.split_inclusive(|&b| b == b'\n').collect();
    assert_eq!(lines.len(), 3, "magic, header, end");
    assert!(lines[2].starts_with(b"chokepoint-shard-end rows=0 bytes=0 fnv1a64="), "{}", text(lines[2]));

    damage(&good[..good.len() / 2], "rank-shard-0001-of-0003.part:2: its header is cut short");
    damage(&good[..good.len() - 1], "its end line is damaged");
    damage(&good[..lines[0].len() + lines[1].len()], "cut short: it ends without its end line");
    let mut padded = good.clone();
    padded.extend_from_slice(b"junk\n");
    damage(&padded, "bytes after the end line");
    // One digit of one impact changed: still a valid header, caught by the checksum.
    let mut changed = good.clone();
    let impacts = lines[1].windows(10).position(|w| w == b"\"impacts\":").expect("impacts");
    let digit = lines[1][impacts..].iter().position(u8::is_ascii_digit).expect("a number");
    let at = lines[0].len() + impacts + digit;
    changed[at] = if changed[at] == b'1' { b'2' } else { b'1' };
    damage(&changed, "do not match its checksum");
    // Another magic line: neither a sweep's nor a ranking's shard of this version.
    let mut older = good.clone();
    older[..lines[0].len()].copy_from_slice(&b"chokepoint-rank-shard 0\n"[..]);
    damage(&older, "written by another version of chokepoint");

    // A header edited with its checksum made good again, describing one candidate fewer
    // than it holds the runs of: refused, not a crash on a missing label.
    let mut header: serde_json::Value = serde_json::from_slice(lines[1]).expect("JSON header");
    header["info"]["candidates"].as_array_mut().expect("labels").pop();
    let mut edited = lines[0].to_vec();
    edited.extend_from_slice(&serde_json::to_vec(&header).expect("JSON"));
    edited.push(b'\n');
    let fnv = edited
        .iter()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
    edited.extend_from_slice(format!("chokepoint-shard-end rows=0 bytes=0 fnv1a64={fnv:016x}\n").as_bytes());
    damage(&edited, "rank-shard-0001-of-0003.part:2: its header does not hold together");

    // Whole again, it merges.
    std::fs::write(&names[1], &good).expect("write");
    let merged = chokepoint(&["merge", path(&names[0]), path(&names[1]), path(&names[2]), "-o", path(&out)]);
    assert!(merged.status.success(), "{}", text(&merged.stderr));
    assert!(out.join("rank.csv").exists());
}
