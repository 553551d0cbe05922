//! `chokepoint report`: the command around `chokepoint::brief`: the briefing folder built
//! in a private staging folder with a progress bar per stage, then moved into place whole,
//! replacing the previous report in that directory (see `staged`).

use std::path::Path;
use std::sync::Mutex;

use chokepoint::brief::{Observer, Options, Ranked};
use chokepoint::montecarlo::Hooks;

use crate::failure::Failure;
use crate::plot::Sizes;
use crate::progress::Progress;
use crate::staged::{Slot, Staged};

/// What `chokepoint report` was asked for.
pub struct Request<'a> {
    /// The scenario file.
    pub file: &'a Path,
    /// `--runs`, `--seed`, `--threads`, `--set`, `--bands` of the sweep.
    pub runs: Option<u32>,
    /// `--seed`.
    pub seed: Option<u64>,
    /// `--threads`.
    pub threads: Option<usize>,
    /// `--set key=v1,v2,…`, as given.
    pub sets: &'a [String],
    /// `--bands`.
    pub bands: Option<crate::sweep::BandsArg>,
    /// `-o`.
    pub output: Option<&'a Path>,
    /// `--size`.
    pub size: Sizes,
    /// `--rank BY` and its settings: add a section on single points of failure.
    pub rank: Option<Ranked>,
}

/// Runs `chokepoint report`.
pub fn report(request: &Request<'_>) -> Result<(), Failure> {
    let file = request.file;
    let directory =
        request.output.map_or_else(|| crate::run::default_directory(file).join("report"), Path::to_path_buf);
    crate::run::load(file)?;
    let staged = Staged::begin(&directory, Slot::Report)?;
    let options = Options {
        sets: request.sets.to_vec(),
        runs: request.runs,
        seed: request.seed,
        threads: crate::batch::worker_threads(request.threads),
        all_bands: request.bands.map(|b| b == crate::sweep::BandsArg::All),
        size: request.size.into(),
        rank: request.rank.clone(),
        // A sweep of the same inputs in this folder's previous report is reused, not run again.
        reuse: Some(directory.join("data").join("sweep")),
    };
    let bar: Mutex<Option<Progress>> = Mutex::new(None);
    let stage = |what: &str, runs: u64| {
        let mut bar = bar.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(done) = bar.take() {
            done.finish();
        }
        eprintln!("chokepoint report: {what} …");
        if runs > 0 {
            *bar = Some(Progress::new("report", runs));
        }
    };
    let progress = |n: u64| {
        if let Some(bar) = bar.lock().unwrap_or_else(std::sync::PoisonError::into_inner).as_ref() {
            bar.inc(n);
        }
    };
    let observer =
        Observer { hooks: Hooks { cancel: &crate::signals::CANCEL, progress: &progress }, stage: &stage };
    let written = chokepoint::brief::write(file, &options, staged.path(), &observer);
    if let Some(done) = bar.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take() {
        done.finish();
    }
    let written = written.map_err(|e| crate::run::rejected(file, e))?;
    if written.reused {
        eprintln!(
            "chokepoint report: the sweep in {} had the same scenario, settings, seed and runs: reused",
            directory.join("data").join("sweep").display()
        );
    }
    crate::signals::check()?;
    staged.commit()?;
    out!("{}", written.headline);
    outln!(
        "\nWrote report.html, report.md and report.xlsx in {}, {} charts (SVG and PNG) in {} and the result files in {}",
        directory.display(),
        written.charts,
        directory.join("charts").display(),
        directory.join("data").display()
    );
    Ok(())
}
