//! Issue 17, items 2, 3 and 6: each command owns what it writes in its output directory,
//! shards prove themselves whole, and an interrupt leaves nothing behind.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::{SCENARIO, chokepoint, scratch, text, workspace_root};

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// Every file under `dir`, relative, hidden ones included.
fn files(dir: &Path) -> BTreeSet<String> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeSet<String>) {
        for entry in std::fs::read_dir(dir).expect("readable").flatten() {
            let p = entry.path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.insert(p.strip_prefix(root).expect("under root").to_string_lossy().into_owned());
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(dir, dir, &mut out);
    out
}

/// Names of the entries directly in `dir` that start with `prefix`.
fn entries(dir: &Path, prefix: &str) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|list| {
            list.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with(prefix))
                .collect()
        })
        .unwrap_or_default()
}

fn small_chain_copy(dir: &Path, name: &str, edit: impl Fn(String) -> String) -> PathBuf {
    let text = std::fs::read_to_string(workspace_root().join("examples/small-chain.toml")).expect("example");
    let file = dir.join(name);
    std::fs::write(&file, edit(text)).expect("write");
    file
}

// Item 3: output folders.

#[test]
fn a_sweep_into_a_run_folder_replaces_the_run_whole() {
    let dir = scratch("folders-run-then-sweep");
    let out = chokepoint(&["run", SCENARIO, "-o", path(&dir)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    std::fs::write(dir.join("notes.txt"), "mine").expect("write");
    let out = chokepoint(&["sweep", SCENARIO, "--runs", "2", "-o", path(&dir)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let expected: BTreeSet<String> = [
        ".chokepoint-result.manifest",
        ".chokepoint.lock",
        "bands.csv",
        "kpis.csv",
        "notes.txt",
        "summary.json",
    ]
    .map(String::from)
    .into();
    assert_eq!(files(&dir), expected, "series.csv and events.csv of the run must go; notes.txt stays");
}

#[test]
fn plot_replaces_its_own_charts_and_keeps_everything_else() {
    let dir = scratch("folders-plot");
    let (run, sweep, images) = (dir.join("run"), dir.join("sweep"), dir.join("images"));
    assert!(chokepoint(&["run", SCENARIO, "-o", path(&run)]).status.success());
    assert!(chokepoint(&["sweep", SCENARIO, "--runs", "2", "-o", path(&sweep)]).status.success());
    std::fs::create_dir_all(&images).expect("dir");
    std::fs::write(images.join("logo.svg"), "<svg/>").expect("write");
    let out = chokepoint(&["plot", path(&run), "--format", "svg", "-o", path(&images)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(images.join("shortage.svg").exists() && images.join("cascade.svg").exists());
    let out = chokepoint(&["plot", path(&sweep), "--format", "svg", "-o", path(&images)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let now = files(&images);
    // The run's timeline is not a sweep chart: it must be gone. The sweep's survival chart
    // is there, and the file nobody's plot wrote is untouched.
    assert!(!now.contains("shortage.svg"), "{now:?}");
    assert!(now.contains("survival-p0.svg"), "{now:?}");
    assert_eq!(std::fs::read_to_string(images.join("logo.svg")).expect("kept"), "<svg/>");
    let manifest = std::fs::read_to_string(images.join(".chokepoint-plot.manifest")).expect("manifest");
    let listed: BTreeSet<String> =
        manifest.lines().filter(|l| !l.starts_with('#')).map(String::from).collect();
    let charts: BTreeSet<String> =
        now.iter().filter(|f| f.ends_with(".svg") && *f != "logo.svg").cloned().collect();
    assert_eq!(listed, charts, "the manifest lists exactly the charts written");
}

#[test]
fn a_report_replaces_the_previous_report_in_its_folder() {
    let dir = scratch("folders-report");
    let brief = dir.join("brief");
    let file = workspace_root().join("examples/small-chain.toml");
    let out = chokepoint(&[
        "report",
        path(&file),
        "--runs",
        "3",
        "--rank",
        "facility",
        "--rank-runs",
        "2",
        "-o",
        path(&brief),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(brief.join("charts/rank.svg").exists() && brief.join("data/rank/rank.csv").exists());
    let out = chokepoint(&["report", path(&file), "--runs", "3", "-o", path(&brief)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let now = files(&brief);
    assert!(!now.iter().any(|f| f.contains("rank")), "the first report's ranking is left over: {now:?}");
    assert!(!Path::new(&brief.join("data/rank")).exists(), "its emptied folder is removed");
    assert!(!now.iter().any(|f| f.contains(".chokepoint-staging")), "{now:?}");
}

#[test]
fn two_reports_at_once_into_one_folder_end_with_one_whole_report() {
    let dir = scratch("folders-concurrent");
    let brief = dir.join("brief");
    let a = small_chain_copy(&dir, "a.toml", |t| {
        t.replace("Small chain with known single points of failure", "Chain A")
    });
    let b = small_chain_copy(&dir, "b.toml", |t| {
        t.replace("Small chain with known single points of failure", "Chain B")
    });
    let spawn = |file: &Path| -> Child {
        Command::new(env!("CARGO_BIN_EXE_chokepoint"))
            .args(["report", path(file), "--runs", "3", "-o", path(&brief)])
            .current_dir(workspace_root())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawns")
    };
    let (mut first, mut second) = (spawn(&a), spawn(&b));
    assert!(first.wait().expect("waits").success());
    assert!(second.wait().expect("waits").success());
    let html = std::fs::read_to_string(brief.join("report.html")).expect("report.html");
    let md = std::fs::read_to_string(brief.join("report.md")).expect("report.md");
    let summary = std::fs::read_to_string(brief.join("data/run/summary.json")).expect("summary");
    let winner = if html.contains("Chain A") { "Chain A" } else { "Chain B" };
    assert!(
        md.contains(winner) && summary.contains(winner),
        "report.md, report.html and data/ mix two reports"
    );
    let loser = if winner == "Chain A" { "Chain B" } else { "Chain A" };
    assert!(!html.contains(loser) && !md.contains(loser) && !summary.contains(loser));
    assert!(entries(&brief, ".chokepoint-staging").is_empty());
}

// Item 2: shards carry what proves them whole.

fn shards(dir: &Path) -> Vec<PathBuf> {
    for i in 0..2 {
        let shard = format!("{i}/2");
        let out = chokepoint(&["sweep", SCENARIO, "--runs", "4", "--shard", &shard, "-o", path(dir)]);
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    vec![dir.join("shard-0000-of-0002.part"), dir.join("shard-0001-of-0002.part")]
}

fn merge_fails(parts: &[PathBuf], output: &Path, expected: &str) {
    let mut args = vec!["merge"];
    args.extend(parts.iter().map(|p| path(p)));
    args.extend(["-o", path(output)]);
    let out = chokepoint(&args);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    let stderr = text(&out.stderr);
    assert!(stderr.contains(expected), "expected '{expected}' in: {stderr}");
    assert!(!output.exists(), "a refused merge writes nothing");
}

#[test]
fn merge_refuses_a_shard_cut_short_padded_or_changed() {
    let dir = scratch("shards-damaged");
    let parts = shards(&dir.join("parts"));
    let good = std::fs::read(&parts[1]).expect("shard");
    let out = dir.join("merged");

    // Cut short: half the file, then all but the last byte (the end line's newline), then
    // without the end line.
    std::fs::write(&parts[1], &good[..good.len() / 2]).expect("write");
    merge_fails(&parts, &out, "shard-0001-of-0002.part:");
    std::fs::write(&parts[1], &good[..good.len() - 1]).expect("write");
    merge_fails(&parts, &out, "its end line is damaged");
    let end = good[..good.len() - 1].iter().rposition(|&b| b == b'\n').expect("lines") + 1;
    std::fs::write(&parts[1], &good[..end]).expect("write");
    merge_fails(&parts, &out, "cut short: it ends without its end line");
    // A row cut in the middle, the end line gone.
    let cut = good[..end - 1].iter().rposition(|&b| b == b'\n').expect("lines") + 10;
    std::fs::write(&parts[1], &good[..cut]).expect("write");
    merge_fails(&parts, &out, "cut short in the middle of a row");
    // Padded with junk after the end line.
    let mut padded = good.clone();
    padded.extend_from_slice(b"0,0,1,junk\n");
    std::fs::write(&parts[1], &padded).expect("write");
    merge_fails(&parts, &out, "bytes after the end line");
    // One digit of one row changed.
    let mut changed = good.clone();
    let row = changed.iter().rposition(|&b| b == b'\n').expect("end");
    let at = changed[..row - 1].iter().rposition(|&b| b == b'\n').expect("row") - 3;
    changed[at] = if changed[at] == b'1' { b'2' } else { b'1' };
    std::fs::write(&parts[1], &changed).expect("write");
    merge_fails(&parts, &out, "do not match its checksum");

    // Whole again: the merge equals one unsharded sweep.
    std::fs::write(&parts[1], &good).expect("write");
    let merged = chokepoint(&["merge", path(&parts[0]), path(&parts[1]), "-o", path(&out)]);
    assert!(merged.status.success(), "{}", text(&merged.stderr));
    let whole = dir.join("whole");
    assert!(chokepoint(&["sweep", SCENARIO, "--runs", "4", "-o", path(&whole)]).status.success());
    for file in ["kpis.csv", "bands.csv", "summary.json"] {
        assert!(std::fs::read(out.join(file)).ok() == std::fs::read(whole.join(file)).ok(), "{file} differs");
    }
}

// Item 6: interrupts.

/// Starts `args`, waits until it has made its staging folder in `dir`, and sends `signal`.
fn interrupt(args: &[&str], dir: &Path, signal: &str) -> Child {
    let mut child = Command::new(env!("CARGO_BIN_EXE_chokepoint"))
        .args(args)
        .current_dir(workspace_root())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawns");
    let deadline = Instant::now() + Duration::from_secs(120);
    while entries(dir, ".chokepoint-staging").is_empty() {
        assert!(child.try_wait().expect("polls").is_none(), "it ended before it could be interrupted");
        assert!(Instant::now() < deadline, "no staging folder appeared");
        std::thread::yield_now();
    }
    let sent = Command::new("kill").args([signal, &child.id().to_string()]).status().expect("kill runs");
    assert!(sent.success());
    child
}

#[test]
fn sigterm_and_sigint_stop_a_sweep_and_a_run_leaving_nothing() {
    let dir = scratch("signals");
    let sweep_dir = dir.join("sweep");
    let child = interrupt(
        &["sweep", SCENARIO, "--runs", "100000", "--threads", "1", "-o", path(&sweep_dir)],
        &sweep_dir,
        "-TERM",
    );
    let out = child.wait_with_output().expect("waits");
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("interrupted"), "{}", text(&out.stderr));
    assert!(
        !sweep_dir.exists(),
        "an interrupted sweep into a new folder leaves no folder: {:?}",
        files(&dir)
    );

    // A run with a long horizon, interrupted with SIGINT while it runs or writes.
    let run_dir = dir.join("run");
    let long =
        small_chain_copy(&dir, "long.toml", |t| t.replace("horizon = \"365d\"", "horizon = \"36500d\""));
    let child = interrupt(&["run", path(&long), "-o", path(&run_dir)], &run_dir, "-INT");
    let out = child.wait_with_output().expect("waits");
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));
    assert!(!run_dir.exists(), "{:?}", files(&dir));
}

#[test]
fn after_a_sigkill_the_next_command_cleans_what_the_killed_one_left() {
    let dir = scratch("sigkill");
    let sweep_dir = dir.join("sweep");
    let child = interrupt(
        &["sweep", SCENARIO, "--runs", "100000", "--threads", "1", "-o", path(&sweep_dir)],
        &sweep_dir,
        "-KILL",
    );
    let out = child.wait_with_output().expect("waits");
    assert_eq!(out.status.code(), None, "killed by the signal");
    assert_eq!(entries(&sweep_dir, ".chokepoint-staging").len(), 1, "SIGKILL cannot be cleaned up at once");
    let out = chokepoint(&["sweep", SCENARIO, "--runs", "2", "-o", path(&sweep_dir)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(entries(&sweep_dir, ".chokepoint-staging").is_empty(), "{:?}", files(&sweep_dir));
    assert!(!files(&sweep_dir).iter().any(|f| f.ends_with(".tmp")), "{:?}", files(&sweep_dir));
}

#[test]
fn a_commit_never_goes_through_a_symbolic_link_nor_into_a_staging_folder() {
    let dir = scratch("folders-links");
    let brief = dir.join("brief");
    let elsewhere = dir.join("elsewhere");
    std::fs::create_dir_all(&brief).expect("dir");
    std::fs::create_dir_all(&elsewhere).expect("dir");
    std::fs::write(elsewhere.join("keep.svg"), "<svg/>").expect("write");
    std::os::unix::fs::symlink(&elsewhere, brief.join("charts")).expect("symlink");
    let file = workspace_root().join("examples/small-chain.toml");
    let out = chokepoint(&["report", path(&file), "--runs", "2", "-o", path(&brief)]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert!(text(&out.stderr).contains("is a symbolic link"), "{}", text(&out.stderr));
    assert_eq!(
        files(&elsewhere),
        BTreeSet::from(["keep.svg".to_owned()]),
        "nothing written through the link"
    );
    assert!(!brief.join("report.html").exists(), "nothing moved into place");

    let inside = dir.join("out/.chokepoint-staging-1-0-0");
    let out = chokepoint(&["run", SCENARIO, "-o", path(&inside)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("inside another command's staging folder"), "{}", text(&out.stderr));
}
