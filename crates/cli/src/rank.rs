//! `chokepoint rank`: the command around `chokepoint::rank`: its flags, the shard from the
//! scheduler's variables, the progress bar, and the files (the ranking, or a shard's part
//! file that `chokepoint merge` joins), staged and moved into place.

use std::path::Path;

use chokepoint::Shard;
use chokepoint::montecarlo::{By, Hooks, Ranking};
use chokepoint::parts::{self, Header};
use chokepoint::rank::{Options, RankHeader, RankInfo};

use crate::failure::Failure;
use crate::staged::{Slot, Staged};

pub use chokepoint::rank::{DEFAULT_RUNS, DEFAULT_TOP};

/// What `chokepoint rank` was asked to do.
pub struct Request<'a> {
    /// The scenario file.
    pub file: &'a Path,
    /// `--by`.
    pub by: By,
    /// `--disruption KIND:DURATION`.
    pub disruption: &'a str,
    /// `--start DATE|DAY`.
    pub start: Option<&'a str>,
    /// `--runs`.
    pub runs: Option<u32>,
    /// `--seed`.
    pub seed: Option<u64>,
    /// `--threads`.
    pub threads: Option<usize>,
    /// `--set key=value`.
    pub sets: &'a [String],
    /// `--watch ID`.
    pub watch: &'a [String],
    /// `--top N`.
    pub top: usize,
    /// `-o`.
    pub output: Option<&'a Path>,
    /// `--shard I/N`.
    pub shard: Option<&'a str>,
    /// `--shard-count N` (with `JOB_COMPLETION_INDEX`).
    pub shard_count: Option<u32>,
}

/// Runs `chokepoint rank`.
pub fn rank(request: &Request<'_>) -> Result<(), Failure> {
    let shard = crate::batch::resolve_shard(request.shard, request.shard_count)?;
    let options = Options {
        by: request.by,
        disruption: request.disruption.to_owned(),
        start: request.start.map(str::to_owned),
        runs: request.runs,
        seed: request.seed,
        threads: crate::batch::worker_threads(request.threads),
        settings: crate::run::single_settings(
            request.sets,
            "a ranking",
            "rank each setting in its own command",
        )?,
        watch: request.watch.to_vec(),
        shard,
    };
    // The file's warnings first, whatever the options' problems.
    crate::run::load_with(request.file, &options.settings, true)?;
    let prepared = chokepoint::rank::prepare(request.file, &options)
        .map_err(|e| crate::run::rejected(request.file, e))?;
    let directory = request
        .output
        .map(Path::to_path_buf)
        .unwrap_or_else(|| crate::run::default_directory(request.file).join("rank"));
    let staged = if shard == Shard::WHOLE {
        Staged::begin(&directory, Slot::Rank)?
    } else {
        Staged::begin(&directory, Slot::RankShard(shard.index, shard.count))?
    };
    let (tasks, runs, n) = (prepared.tasks(), prepared.config.runs, prepared.info.candidates.len());
    let count = chokepoint::text::format_units(tasks as f64);
    if shard == Shard::WHOLE {
        eprintln!("rank: {n} candidates and the baseline, {runs} runs each: {count} runs");
    } else {
        eprintln!(
            "rank: shard {}/{}: {n} candidates and the baseline, runs {:?} of {runs} each: {count} runs",
            shard.index,
            shard.count,
            shard.range(runs),
        );
    }
    let bar = crate::progress::Progress::new("rank", tasks);
    let progress = |n: u64| bar.inc(n);
    let hooks = Hooks { cancel: &crate::signals::CANCEL, progress: &progress };
    let started = std::time::Instant::now();
    let result = prepared.run(&hooks);
    bar.finish();
    let part = result?;
    let seconds = started.elapsed().as_secs_f64();
    let pace = format!("{tasks} runs in {seconds:.1} s ({:.0} runs/s)", tasks as f64 / seconds.max(1e-9));
    if shard != Shard::WHOLE {
        eprintln!("{pace}");
        let name = parts::rank_part_name(shard);
        let header = Header::Rank(Box::new(prepared.header(part, request.top)));
        parts::write_part(&staged.path().join(&name), &header, None)?;
        staged.commit()?;
        outln!(
            "Shard {}/{}: runs {:?} of {runs} per candidate, {n} candidates and the baseline. Wrote {name} in {}",
            shard.index,
            shard.count,
            shard.range(runs),
            directory.display()
        );
        outln!("Merge the shards with: chokepoint merge {}/rank-shard-*.part -o DIR", directory.display());
        return Ok(());
    }
    eprintln!("{n} candidates ranked: {pace}");
    let ranking = chokepoint::rank::whole(part)?;
    let info = prepared.info;
    let written = write_ranking(staged, &info, &ranking, request.top)?;
    out!("{}", chokepoint::rank::table(&info, &ranking, request.top));
    outln!("\nWrote {} in {}", written.join(", "), directory.display());
    Ok(())
}

/// Writes the ranking's files into `staged` and commits them; returns their names. `rank`
/// and `merge` both write through here, so a merge of shards writes the bytes one
/// unsharded ranking does.
fn write_ranking(
    staged: Staged,
    info: &RankInfo,
    ranking: &Ranking,
    top: usize,
) -> Result<Vec<String>, Failure> {
    crate::signals::check()?;
    let files = chokepoint::rank::files(info, ranking, top, &crate::signals::CANCEL)?;
    staged.write(&files)?;
    staged.commit()?;
    Ok(files.into_iter().map(|f| f.name).collect())
}

/// Runs `chokepoint merge` on the parts of a ranking, checked whole by `parts::read_part`:
/// writes what one unsharded `chokepoint rank` of the same command writes.
pub fn merge(headers: Vec<RankHeader>, output: &Path) -> Result<(), Failure> {
    let n_parts = headers.len();
    let (info, top, ranking) = chokepoint::rank::merge(headers)?;
    crate::signals::check()?;
    let staged = Staged::begin(output, Slot::Rank)?;
    let written = write_ranking(staged, &info, &ranking, top)?;
    out!("{}", chokepoint::rank::table(&info, &ranking, top));
    outln!("\nMerged {n_parts} shards. Wrote {} in {}", written.join(", "), output.display());
    Ok(())
}
