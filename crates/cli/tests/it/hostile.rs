//! Issue 17: inputs a hostile but realistic user gives, each answered with a clear message
//! and a non-zero exit, or with the correct result; never a wrong result with exit 0.

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::{scratch, text, workspace_root};

/// Runs the binary in `dir`.
fn chokepoint_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chokepoint"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the binary runs")
}

fn small_chain() -> String {
    std::fs::read_to_string(workspace_root().join("examples/small-chain.toml")).expect("example")
}

// Item 1: `extends` paths are resolved from the extending file's directory as the OS does.

#[test]
fn extends_two_levels_up_reads_the_file_two_levels_up() {
    let root = scratch("extends-two-up");
    let deep = root.join("x/y");
    std::fs::create_dir_all(&deep).expect("dirs");
    std::fs::write(root.join("w.toml"), small_chain()).expect("world");
    // A decoy beside the scenario: the old lexical normalisation cancelled the two `..`
    // against each other and read this one.
    std::fs::write(deep.join("w.toml"), "this is = not a world\n").expect("decoy");
    std::fs::write(deep.join("s.toml"), "[scenario]\nextends = \"../../w.toml\"\nname = \"Two levels up\"\n")
        .expect("scenario");
    let out = chokepoint_in(&deep, &["check", "s.toml"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = chokepoint_in(&deep, &["run", "s.toml", "-o", "out"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("Two levels up"), "{}", text(&out.stdout));
}

#[test]
fn a_missing_world_file_is_named_by_its_absolute_path() {
    let root = scratch("extends-missing");
    let deep = root.join("a");
    std::fs::create_dir_all(&deep).expect("dirs");
    std::fs::write(deep.join("s.toml"), "[scenario]\nextends = \"../nowhere.toml\"\nname = \"x\"\n")
        .expect("write");
    let out = chokepoint_in(&deep, &["check", "s.toml"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    let tried = root.canonicalize().expect("root").join("a/../nowhere.toml");
    assert!(stderr.contains(&format!("tried {}", tried.display())), "{stderr}");
    assert!(stderr.contains("s.toml:2:11"), "located at the extends value: {stderr}");
}

// Item 4: bounded reading of regular files only.

#[test]
fn devices_and_fifos_are_refused_at_once() {
    let dir = scratch("devices");
    let started = Instant::now();
    let out = chokepoint_in(&dir, &["check", "/dev/zero"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("not a regular file"), "{}", text(&out.stderr));

    std::fs::write(dir.join("s.toml"), "[scenario]\nextends = \"/dev/zero\"\nname = \"x\"\n").expect("write");
    let out = chokepoint_in(&dir, &["run", "s.toml", "-o", "out"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("cannot read world file '/dev/zero'"), "{stderr}");
    assert!(stderr.contains("not a regular file"), "{stderr}");
    assert!(!dir.join("out").exists(), "nothing is written for a refused scenario");

    let fifo = dir.join("pipe.toml");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo runs");
    assert!(made.success());
    let out = chokepoint_in(&dir, &["check", "pipe.toml"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("not a regular file"), "{}", text(&out.stderr));
    // Reading /dev/zero to the end, or opening the FIFO, would never return.
    assert!(started.elapsed() < Duration::from_secs(60));
}

#[test]
fn a_file_over_the_size_limit_is_refused_before_it_is_read_whole() {
    let dir = scratch("oversized");
    let mut big = small_chain().into_bytes();
    big.resize(chokepoint_scenario::MAX_FILE_BYTES + 1, b'\n');
    std::fs::write(dir.join("big.toml"), &big).expect("write");
    let out = chokepoint_in(&dir, &["check", "big.toml"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("larger than the limit of 16,777,216 bytes"), "{}", text(&out.stderr));
    // Exactly at the limit is a valid file (TOML ignores blank lines).
    big.truncate(chokepoint_scenario::MAX_FILE_BYTES);
    std::fs::write(dir.join("big.toml"), &big).expect("write");
    let out = chokepoint_in(&dir, &["check", "big.toml"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

// Item 8: a world file that is not TOML is reported by location and message, not content.

#[test]
fn a_world_file_that_is_not_toml_is_not_quoted() {
    let dir = scratch("extends-not-toml");
    std::fs::write(dir.join("secret.txt"), "root:x:0:0:SECRET-CONTENT:/root:/bin/bash\n").expect("write");
    std::fs::write(dir.join("s.toml"), "[scenario]\nextends = \"secret.txt\"\nname = \"x\"\n")
        .expect("write");
    let out = chokepoint_in(&dir, &["check", "s.toml"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(!stderr.contains("SECRET"), "the file's content is printed: {stderr}");
    assert!(stderr.contains("world file 'secret.txt' is not valid TOML (line 1, column"), "{stderr}");
    assert!(stderr.contains("s.toml:2:11"), "{stderr}");
}

// Item 5: limits are checked before memory is taken, and their hints work.

#[test]
fn a_grid_too_large_is_refused_before_its_points_are_built() {
    let dir = scratch("grid-too-large");
    let values: Vec<String> = (1..=101).map(|v| v.to_string()).collect();
    let a = format!("facilities.cn_magnets.capacity={}", values.join(","));
    let b = format!("facilities.jp_magnets.capacity={}", values.join(","));
    let out = crate::chokepoint(&[
        "sweep",
        crate::SCENARIO,
        "--set",
        &a,
        "--set",
        &b,
        "-o",
        dir.to_str().expect("utf-8"),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    // The file's own grid has 3 values of the control's end: 3 × 101 × 101 points.
    assert!(stderr.contains("the grid has 30,603 points"), "{stderr}");
    assert!(stderr.contains("a sweep has at most 10,000"), "{stderr}");
    assert!(!dir.join("bands.csv").exists());
}

#[test]
fn bands_too_large_for_memory_are_refused_up_front_with_a_hint_that_works() {
    let dir = scratch("bands-too-large");
    let out_dir = dir.join("out");
    let values: Vec<String> = (1..=150).map(|v| v.to_string()).collect();
    let set = format!("facilities.jp_magnets.capacity={}", values.join(","));
    let started = Instant::now();
    let out = crate::chokepoint(&[
        "sweep",
        crate::SCENARIO,
        "--runs",
        "1",
        "--bands",
        "all",
        "--set",
        &set,
        "-o",
        out_dir.to_str().expect("utf-8"),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("per-step summaries would need"), "{stderr}");
    assert!(stderr.contains("--set 'report.step=\"7d\"'"), "{stderr}");
    assert!(!out_dir.exists());
    // Refused before 450 scenarios were loaded (each takes a while in a debug build).
    assert!(started.elapsed() < Duration::from_secs(60));
    // The hint, followed: a weekly step fits.
    let out = crate::chokepoint(&[
        "sweep",
        crate::SCENARIO,
        "--runs",
        "1",
        "--set",
        "report.step=\"30d\"",
        "--set",
        "facilities.jp_magnets.capacity=1,2",
        "-o",
        out_dir.to_str().expect("utf-8"),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let bands = std::fs::read_to_string(out_dir.join("bands.csv")).expect("bands");
    // Monthly steps: day 0, 30, 60, … only.
    assert!(bands.contains(",30,2025-01-31,") && !bands.contains(",1,2025-01-02,"));
    let out =
        crate::chokepoint(&["sweep", crate::SCENARIO, "--runs", "1", "--set", "report.step=\"7d\",\"30d\""]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("give report.step one value"), "{}", text(&out.stderr));
}

#[test]
fn threads_are_capped_at_a_few_per_core_with_a_message() {
    let dir = scratch("threads-capped");
    let out = crate::chokepoint(&[
        "sweep",
        crate::SCENARIO,
        "--runs",
        "2",
        "--threads",
        "10000",
        "-o",
        dir.to_str().expect("utf-8"),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let stderr = text(&out.stderr);
    assert!(stderr.contains("warning: --threads 10000 is more than 4 per core"), "{stderr}");
    assert!(stderr.contains(&format!("using {}", 4 * cores)), "{stderr}");
}

// Item 9: progress lines when stderr is not a terminal.

#[test]
fn a_batch_off_a_terminal_prints_plain_progress_lines() {
    let dir = scratch("progress-plain");
    let out = Command::new(env!("CARGO_BIN_EXE_chokepoint"))
        .args(["sweep", crate::SCENARIO, "--runs", "4", "-o", dir.to_str().expect("utf-8")])
        .env("CHOKEPOINT_PROGRESS_SECONDS", "0")
        .current_dir(workspace_root())
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    // 4 runs at 3 points: 12 runs.
    assert!(
        stderr.lines().any(|l| l.starts_with("sweep: ") && l.contains(" of 12 runs (") && l.contains("ETA")),
        "{stderr}"
    );
    // Without the variable, a batch this short prints no progress line.
    let out =
        crate::chokepoint(&["sweep", crate::SCENARIO, "--runs", "4", "-o", dir.to_str().expect("utf-8")]);
    assert!(!text(&out.stderr).contains("sweep: "), "{}", text(&out.stderr));
}

// Item 8: scenario text in report.md is escaped, and the regenerate command is quoted.

#[test]
fn report_markdown_escapes_scenario_text_and_quotes_the_command() {
    let dir = scratch("report-escaping");
    let file = dir.join("it's a chain.toml");
    let chain = small_chain().replace(
        "name = \"Small chain with known single points of failure\"",
        "name = \"Chain <!-- hides the rest\"",
    );
    std::fs::write(&file, chain).expect("write");
    let brief = dir.join("brief");
    let out = crate::chokepoint(&[
        "report",
        file.to_str().expect("utf-8"),
        "--runs",
        "2",
        "-o",
        brief.to_str().expect("utf-8"),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let md = std::fs::read_to_string(brief.join("report.md")).expect("report.md");
    assert!(md.starts_with("# Chain &lt;!-- hides the rest\n"), "{}", &md[..200.min(md.len())]);
    assert!(!md.contains("<!--"), "raw comment opener in report.md");
    let quoted = format!("'{}'", file.to_str().expect("utf-8").replace('\'', "'\\''"));
    assert!(md.contains(&format!("Regenerate with: chokepoint report {quoted} --runs 2 --seed 42")), "{md}");
    // The quoted command is one a shell reads back as the same path.
    let echoed = Command::new("sh").arg("-c").arg(format!("printf %s {quoted}")).output().expect("sh");
    assert_eq!(text(&echoed.stdout), file.to_str().expect("utf-8"));
}
