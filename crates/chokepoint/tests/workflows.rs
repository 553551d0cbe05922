//! The facade's batch workflows: shards merged give what one machine gives, a raised cancel
//! flag stops a batch with `Error::Interrupted`, and progress counts every replicate.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use chokepoint::{Error, Hooks, Shard};

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(path)
}

fn quiet() -> Hooks<'static> {
    Hooks { cancel: &chokepoint::batch::NEVER, progress: &|_| {} }
}

#[test]
fn a_sweep_cut_into_three_shards_merges_into_the_bytes_of_the_whole() {
    let file = repo("examples/two-echelon.toml");
    let options = chokepoint::sweep::Options { runs: Some(10), ..Default::default() };
    let whole = chokepoint::sweep::sweep(&file, &options, &quiet()).expect("the whole sweep");
    let mut parts = Vec::new();
    let mut rows = Vec::new();
    for index in 0..3 {
        let shard = Shard { index, count: 3 };
        let prepared = chokepoint::sweep::prepare(
            &file,
            &chokepoint::sweep::Options { shard: Some(shard), ..options.clone() },
            &chokepoint::batch::NEVER,
        )
        .expect("a shard");
        let aggregate = prepared
            .run(&quiet(), &mut |bytes| {
                rows.extend_from_slice(bytes);
                Ok(())
            })
            .expect("the shard runs");
        parts.push((prepared.info.clone(), aggregate));
    }
    // Merged in another order than they ran.
    parts.reverse();
    let (info, merged) = chokepoint::sweep::merge(parts).expect("the shards merge");
    assert_eq!(info, whole.info);
    let bands = |i, a| chokepoint::sweep_files::bands_csv(i, a).expect("bands");
    assert_eq!(bands(&info, &merged), bands(&whole.info, &whole.aggregate));
    let summary = |i, a| chokepoint::sweep_files::summary_json(i, a).expect("summary");
    assert_eq!(summary(&info, &merged), summary(&whole.info, &whole.aggregate));
    // The rows of the shards, in shard order, are the whole sweep's rows after its header.
    let header = chokepoint::sweep_files::kpis_header(&whole.info);
    assert_eq!([header, rows].concat(), whole.kpis_csv);
}

#[test]
fn shards_of_another_sweep_are_not_merged() {
    let file = repo("examples/two-echelon.toml");
    let one = |runs| {
        let options = chokepoint::sweep::Options { runs: Some(runs), ..Default::default() };
        let sweep = chokepoint::sweep::sweep(&file, &options, &quiet()).expect("a sweep");
        (sweep.info, sweep.aggregate)
    };
    let (mut a, b) = (one(2), one(3));
    a.0.scenario.push_str(" (edited)");
    let error = chokepoint::sweep::merge(vec![a, b]).expect_err("two sweeps");
    assert!(error.to_string().contains("another scenario or grid"), "{error}");
}

#[test]
fn a_raised_cancel_flag_stops_a_sweep_and_progress_counts_every_replicate() {
    let file = repo("examples/two-echelon.toml");
    let options = chokepoint::sweep::Options { runs: Some(6), ..Default::default() };
    let cancel = AtomicBool::new(true);
    let stopped = chokepoint::sweep::sweep(&file, &options, &Hooks { cancel: &cancel, progress: &|_| {} });
    assert!(matches!(stopped, Err(Error::Interrupted(_))), "{:?}", stopped.err());

    let done = AtomicU64::new(0);
    let count = |n: u64| {
        done.fetch_add(n, Ordering::Relaxed);
    };
    chokepoint::sweep::sweep(&file, &options, &Hooks { cancel: &chokepoint::batch::NEVER, progress: &count })
        .expect("a sweep");
    assert_eq!(done.load(Ordering::Relaxed), 6, "one point, six runs");
}

#[test]
fn a_ranking_cut_into_shards_merges_into_the_files_of_the_whole() {
    let file = repo("examples/two-echelon.toml");
    let options = chokepoint::rank::Options { runs: Some(4), threads: 1, ..Default::default() };
    let (info, ranking) = chokepoint::rank::rank(&file, &options, &quiet()).expect("the ranking");
    let whole = chokepoint::rank::files(&info, &ranking, 15, &chokepoint::batch::NEVER).expect("files");
    let headers = (0..2)
        .map(|index| {
            let shard = Shard { index, count: 2 };
            let prepared =
                chokepoint::rank::prepare(&file, &chokepoint::rank::Options { shard, ..options.clone() })
                    .expect("a shard");
            let part = prepared.run(&quiet()).expect("the shard runs");
            prepared.header(part, 15)
        })
        .collect();
    let (merged_info, top, merged) = chokepoint::rank::merge(headers).expect("the shards merge");
    assert_eq!((&merged_info, top), (&info, 15));
    let files =
        chokepoint::rank::files(&merged_info, &merged, top, &chokepoint::batch::NEVER).expect("files");
    assert_eq!(files.len(), 4, "rank.csv, rank.json, rank.svg, rank.png");
    for (a, b) in files.iter().zip(&whole) {
        assert_eq!((&a.name, &a.contents), (&b.name, &b.contents));
    }
}
