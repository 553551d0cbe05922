//! `chokepoint sweep`: the command around `chokepoint::sweep`: its flags, the shard from
//! the scheduler's variables, the progress bar, and the files, staged and moved into place.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use chokepoint::Shard;
use chokepoint::montecarlo::{Aggregate, Hooks};
use chokepoint::parts;
use chokepoint::sweep::{Options, Prepared};
use chokepoint::sweep_files::{self as files, SweepInfo};

use crate::batch::{resolve_shard, worker_threads};
use crate::failure::Failure;
use crate::staged::{Slot, Staged};

/// What `chokepoint sweep` was asked to do.
pub struct Request<'a> {
    /// The scenario file.
    pub file: &'a Path,
    /// `--runs`.
    pub runs: Option<u32>,
    /// `--seed`.
    pub seed: Option<u64>,
    /// `--threads`.
    pub threads: Option<usize>,
    /// `--set key=v1,v2,…`, as given.
    pub sets: &'a [String],
    /// `-o`.
    pub output: Option<&'a Path>,
    /// `--shard I/N`.
    pub shard: Option<&'a str>,
    /// `--shard-count N` (with `JOB_COMPLETION_INDEX`).
    pub shard_count: Option<u32>,
    /// `--bands` (`None`: the file's `[report] bands`).
    pub bands: Option<BandsArg>,
}

/// `--bands`: which series get per-step bands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum BandsArg {
    /// Every entity's shortage fraction and the watched entities' stock, production,
    /// demand, unmet and shortage.
    Watched,
    /// Every series of every entity.
    All,
}

/// Runs `chokepoint sweep`.
pub fn sweep(request: &Request<'_>) -> Result<(), Failure> {
    let settings =
        request.sets.iter().map(|s| chokepoint::settings::split(s)).collect::<Result<Vec<_>, _>>()?;
    let shard = resolve_shard(request.shard, request.shard_count)?;
    let options = Options {
        settings,
        runs: request.runs,
        seed: request.seed,
        threads: worker_threads(request.threads),
        shard: Some(shard),
        all_bands: request.bands.map(|b| b == BandsArg::All),
    };
    // The file's warnings first, whatever the options' problems.
    crate::run::load(request.file)?;
    let prepared = chokepoint::sweep::prepare(request.file, &options, &crate::signals::CANCEL)
        .map_err(|e| crate::run::rejected(request.file, e))?;
    let directory = request
        .output
        .map(Path::to_path_buf)
        .unwrap_or_else(|| crate::run::default_directory(request.file).join("sweep"));
    let staged = if shard == Shard::WHOLE {
        Staged::begin(&directory, Slot::Result)?
    } else {
        Staged::begin(&directory, Slot::Shard(shard.index, shard.count))?
    };
    let rows_path = staged.scratch("kpis-rows")?;
    let outcome = run_batch(&prepared, &rows_path).and_then(|aggregate| {
        let info = &prepared.info;
        if shard == Shard::WHOLE {
            write_results(staged.path(), info, &aggregate, &rows_path)?;
            let _ = std::fs::remove_file(&rows_path);
            staged.commit()?;
            out!("{}", files::table(info, &aggregate));
            outln!("\nWrote bands.csv, kpis.csv, summary.json in {}", directory.display());
        } else {
            let name = parts::part_name(shard);
            let header = parts::Header::Sweep(Box::new(parts::SweepHeader { info: info.clone(), aggregate }));
            parts::write_part(&staged.path().join(&name), &header, Some(&rows_path))?;
            let _ = std::fs::remove_file(&rows_path);
            staged.commit()?;
            let n = info.points.len();
            outln!(
                "Shard {}/{}: runs {:?} of {} per point, {n} point{}. Wrote {name} in {}",
                shard.index,
                shard.count,
                shard.range(prepared.config.runs),
                prepared.config.runs,
                if n == 1 { "" } else { "s" },
                directory.display()
            );
            outln!("Merge the shards with: chokepoint merge {}/shard-*.part -o DIR", directory.display());
        }
        Ok(())
    });
    let _ = std::fs::remove_file(&rows_path);
    outcome
}

/// Runs the batch with a progress bar (on a terminal only), streaming KPI rows to `rows_path`.
fn run_batch(prepared: &Prepared, rows_path: &Path) -> Result<Aggregate, Failure> {
    let cannot_write = |error: std::io::Error| {
        Failure::new(
            format!(
                "cannot write kpis.csv in '{}': {error}",
                rows_path.parent().unwrap_or(Path::new(".")).display()
            ),
            "check the disk space and permissions of the output directory",
        )
    };
    let mut rows = BufWriter::new(File::create(rows_path).map_err(cannot_write)?);
    let total = prepared.total();
    let bar = crate::progress::Progress::new("sweep", total);
    let progress = |n: u64| bar.inc(n);
    let hooks = Hooks { cancel: &crate::signals::CANCEL, progress: &progress };
    let started = std::time::Instant::now();
    let result = prepared.run(&hooks, &mut |bytes| rows.write_all(bytes).map_err(|e| e.to_string()));
    bar.finish();
    let aggregate = result?;
    rows.flush().map_err(cannot_write)?;
    let seconds = started.elapsed().as_secs_f64();
    eprintln!("{total} runs in {seconds:.1} s ({:.0} runs/s)", total as f64 / seconds.max(1e-9));
    Ok(aggregate)
}

/// Writes bands.csv, summary.json and kpis.csv (header + the streamed rows) into
/// `directory`, a staging folder (see `staged`).
fn write_results(
    directory: &Path,
    info: &SweepInfo,
    aggregate: &Aggregate,
    rows_path: &Path,
) -> Result<(), Failure> {
    let bands = files::bands_csv(info, aggregate)?;
    let summary = files::summary_json(info, aggregate)?;
    let written = (|| -> std::io::Result<()> {
        std::fs::write(directory.join("bands.csv"), bands)?;
        std::fs::write(directory.join("summary.json"), summary)?;
        let mut out = BufWriter::new(File::create(directory.join("kpis.csv"))?);
        out.write_all(&files::kpis_header(info))?;
        std::io::copy(&mut File::open(rows_path)?, &mut out)?;
        out.into_inner().map_err(|e| e.into_error())?.sync_all()
    })();
    written.map_err(|error| {
        Failure::new(
            format!("cannot write the sweep's results in '{}': {error}", directory.display()),
            "check the disk space and permissions of the output directory",
        )
    })
}

/// Merges the parts of one sweep (read and checked by `merge::merge`) into `output`: the
/// aggregates by `chokepoint::sweep::merge`, the rows copied in shard order.
pub fn merge_parts(sweeps: Vec<(parts::SweepHeader, parts::Part)>, output: &Path) -> Result<(), Failure> {
    let mut opened: Vec<(u32, parts::Part)> = Vec::with_capacity(sweeps.len());
    let mut summaries = Vec::with_capacity(sweeps.len());
    for (header, part) in sweeps {
        opened.push((header.aggregate.shard.index, part));
        summaries.push((header.info, header.aggregate));
    }
    let (info, merged) = chokepoint::sweep::merge(summaries)?;
    opened.sort_by_key(|(index, _)| *index);
    let staged = Staged::begin(output, Slot::Result)?;
    let rows_path = staged.scratch("kpis-rows")?;
    let copied = (|| -> std::io::Result<()> {
        let mut out = BufWriter::new(File::create(&rows_path)?);
        for (_, part) in &opened {
            if crate::signals::cancelled() {
                return Err(std::io::Error::other("interrupted"));
            }
            part.copy_rows(&mut out)?;
        }
        out.flush()
    })();
    crate::signals::check()?;
    copied.map_err(|error| {
        Failure::new(
            format!("cannot write kpis.csv in '{}': {error}", output.display()),
            "check the disk space and permissions of the output directory",
        )
    })?;
    write_results(staged.path(), &info, &merged, &rows_path)?;
    let _ = std::fs::remove_file(&rows_path);
    staged.commit()?;
    out!("{}", files::table(&info, &merged));
    outln!(
        "\nMerged {} shards. Wrote bands.csv, kpis.csv, summary.json in {}",
        opened.len(),
        output.display()
    );
    Ok(())
}
