//! `chokepoint backtest`: the command around `chokepoint::backtest`: each scenario scored
//! with a progress bar, the scorecards printed, the files staged and moved into place.

use std::path::{Path, PathBuf};

use chokepoint::backtest::{Coverage, Options};
use chokepoint::montecarlo::Hooks;

use crate::failure::Failure;
use crate::staged::{Slot, Staged};

/// What `chokepoint backtest` was asked to do.
pub struct Request<'a> {
    /// The scenario files.
    pub files: &'a [PathBuf],
    /// `--runs`.
    pub runs: Option<u32>,
    /// `--seed`.
    pub seed: Option<u64>,
    /// `--threads`.
    pub threads: Option<usize>,
    /// `-o`.
    pub output: Option<&'a Path>,
}

/// Runs `chokepoint backtest`.
pub fn backtest(request: &Request<'_>) -> Result<(), Failure> {
    chokepoint::backtest::check_stems(request.files)?;
    let options = Options {
        runs: request.runs,
        seed: request.seed,
        threads: crate::batch::worker_threads(request.threads),
    };
    let mut scored = Vec::new();
    for file in request.files {
        crate::signals::check()?;
        let scenario = crate::run::load(file)?;
        let runs = chokepoint::backtest::runs_of(&scenario, &options);
        let progress = crate::progress::Progress::new("backtest", u64::from(runs));
        let tick = |n: u64| progress.inc(n);
        let hooks = Hooks { cancel: &crate::signals::CANCEL, progress: &tick };
        let started = std::time::Instant::now();
        let one = chokepoint::backtest::score_scenario(file, &scenario, &options, &hooks)
            .map_err(|e| crate::run::rejected(file, e));
        progress.finish();
        scored.push(one?);
        let seconds = started.elapsed().as_secs_f64();
        eprintln!("{}: {runs} runs in {seconds:.1} s", file.display());
    }
    let directory = request.output.map(Path::to_path_buf).unwrap_or_else(|| match request.files {
        [one] => crate::run::default_directory(one).join("backtest"),
        _ => Path::new("out").join("backtest"),
    });
    let staged = Staged::begin(&directory, Slot::Backtest)?;
    crate::signals::check()?;
    let files = chokepoint::backtest::files(&scored, &crate::signals::CANCEL)?;
    staged.write(&files)?;
    staged.commit()?;
    for s in &scored {
        out!("{}", chokepoint::backtest::scorecard(s));
    }
    if scored.len() > 1 {
        let all = Coverage::sum(&scored.iter().map(|s| s.coverage.clone()).collect::<Vec<_>>());
        outln!("All scenarios: {}", chokepoint::backtest::coverage_line(&all));
    }
    let charts: usize = scored.iter().map(|s| s.charts.len()).sum();
    outln!(
        "\nWrote backtest.csv, backtest.json, trade_bands.csv and {charts} charts in {}",
        directory.display()
    );
    Ok(())
}
