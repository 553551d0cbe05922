//! `chokepoint calibrate`: the command around `chokepoint::calibrate`: its flags, the shard
//! from the scheduler's variables, the progress bar, and `posterior.csv` and
//! `calibration.json`, staged and moved into place.

use std::path::{Path, PathBuf};

use chokepoint::calibrate::Options;
use chokepoint::montecarlo::Hooks;
use chokepoint::text::format_units;

use crate::failure::Failure;
use crate::staged::{Slot, Staged};

/// What `chokepoint calibrate` was asked to do.
pub struct Request<'a> {
    /// The scenario files.
    pub files: &'a [PathBuf],
    /// `--prior KEY=LOW..HIGH`.
    pub priors: &'a [String],
    /// `--samples`.
    pub samples: Option<u32>,
    /// `--runs`.
    pub runs: Option<u32>,
    /// `--keep`.
    pub keep: f64,
    /// `--seed`.
    pub seed: Option<u64>,
    /// `--threads`.
    pub threads: Option<usize>,
    /// `-o`.
    pub output: Option<&'a Path>,
    /// `--shard I/N`: run only every N-th draw from I.
    pub shard: Option<&'a str>,
    /// `--merge DIR`: the shards' output folders, merged instead of running.
    pub merge: &'a [PathBuf],
}

/// Runs `chokepoint calibrate`.
pub fn calibrate(request: &Request<'_>) -> Result<(), Failure> {
    let shard = crate::batch::resolve_shard(request.shard, None)?;
    let options = Options {
        priors: request.priors.to_vec(),
        samples: request.samples,
        runs: request.runs,
        keep: request.keep,
        seed: request.seed,
        threads: crate::batch::worker_threads(request.threads),
        shard,
    };
    let prepared =
        chokepoint::calibrate::prepare(request.files, &options).map_err(|e| match request.files {
            [one] => crate::run::rejected(one, e),
            _ => e.into(),
        })?;
    for warnings in &prepared.warnings {
        crate::run::warn(warnings);
    }
    if !request.merge.is_empty() && shard.count > 1 {
        return Err(Failure::new(
            "--merge and --shard go to different commands",
            "merge the shards once they have all run",
        ));
    }
    let directory = request.output.map_or_else(
        || match request.files {
            [one] => crate::run::default_directory(one).join("calibrate"),
            _ => PathBuf::from("out").join("calibration"),
        },
        Path::to_path_buf,
    );
    let staged = Staged::begin(&directory, Slot::Calibrate)?;
    let total = prepared.total();
    let (n_priors, n_files) = (prepared.priors.len(), request.files.len());
    eprintln!(
        "calibrate: {n_priors} parameter{}, {} draws of {} runs of {n_files} file{}: {} runs",
        if n_priors == 1 { "" } else { "s" },
        prepared.samples,
        prepared.runs,
        if n_files == 1 { "" } else { "s" },
        format_units(total as f64)
    );
    let progress = crate::progress::Progress::new("calibrate", total);
    let tick = |n: u64| progress.inc(n);
    let hooks = Hooks { cancel: &crate::signals::CANCEL, progress: &tick };
    let started = std::time::Instant::now();
    let outcome = if request.merge.is_empty() { prepared.run(&hooks) } else { prepared.merge(request.merge) };
    progress.finish();
    let calibration = outcome?;
    let seconds = started.elapsed().as_secs_f64();
    crate::signals::check()?;
    staged.write(&calibration.files()?)?;
    staged.commit()?;
    eprintln!("{} runs in {seconds:.1} s", format_units(total as f64));
    out!("{}", calibration.table());
    outln!("\nWrote posterior.csv and calibration.json in {}", directory.display());
    Ok(())
}
