//! `chokepoint calibrate`: scenario keys fitted to the scenario's observations by
//! approximate Bayesian computation with rejection (`chokepoint_backtest::calibrate`).
//!
//! Each draw sets the keys to values from their uniform priors, runs the scenario's
//! replicates (the same seeds for every draw: common random numbers, so draws differ by
//! their parameters only), scores every observation and takes the distance to history. The
//! closest `--keep` share of draws is the posterior.

use std::path::Path;

use chokepoint_backtest::calibrate::{self, Draw, Posterior, Prior};
use chokepoint_montecarlo::Hooks;
use serde::Serialize;

use crate::Failure;
use crate::output::OutputFile;
use crate::staged::{Slot, Staged};
use crate::table::format_units;

/// Draws when `--samples` is not given.
pub const DEFAULT_SAMPLES: u32 = 200;
/// Replicates per draw when `--runs` is not given.
pub const DEFAULT_RUNS: u32 = 20;
/// Most draws × replicates.
const MAX_WORK: u64 = 100_000_000;

/// What `chokepoint calibrate` was asked to do.
pub struct Request<'a> {
    pub file: &'a Path,
    pub priors: &'a [String],
    pub samples: Option<u32>,
    pub runs: Option<u32>,
    pub keep: f64,
    pub seed: Option<u64>,
    pub threads: Option<usize>,
    pub output: Option<&'a Path>,
}

#[derive(Serialize)]
struct Summary<'a> {
    scenario: &'a str,
    file: String,
    version: &'static str,
    method: &'static str,
    seed: u64,
    samples: u32,
    runs: u32,
    keep: f64,
    observations: usize,
    priors: &'a [Prior],
    posterior: &'a Posterior,
}

/// Runs `chokepoint calibrate`.
pub fn calibrate(request: &Request<'_>) -> Result<(), Failure> {
    let priors: Vec<Prior> = request
        .priors
        .iter()
        .map(|text| {
            Prior::parse(text).map_err(|why| {
                Failure::new(
                    format!("--prior {why}"),
                    "write --prior 'event.mofcom-18-2025.end.after=30..120:int' (a uniform prior; :int for whole numbers)",
                )
            })
        })
        .collect::<Result<_, _>>()?;
    if priors.is_empty() {
        return Err(Failure::new(
            "nothing to calibrate: no --prior given",
            "name each key to fit with its range: --prior 'KEY=LOW..HIGH'",
        ));
    }
    if let Some(p) =
        priors.iter().enumerate().find_map(|(i, p)| priors[..i].iter().any(|q| q.key == p.key).then_some(p))
    {
        return Err(Failure::new(format!("--prior {} is given twice", p.key), "give each key one prior"));
    }
    if !(request.keep > 0.0 && request.keep <= 1.0) {
        return Err(Failure::new(
            format!("--keep {} is not a share", request.keep),
            "keep a share from 0.01 to 1, such as 0.1",
        ));
    }
    let base = crate::run::load(request.file)?;
    if base.backtest.observed.is_empty() {
        return Err(Failure::new(
            format!("{} names no observation files to calibrate against", request.file.display()),
            "add a [backtest] table with observed = [\"../observed/<episode>.csv\"] (docs/backtest.md)",
        ));
    }
    let observations = crate::backtest::observations(request.file, &base)?;
    let samples = request.samples.unwrap_or(DEFAULT_SAMPLES);
    let runs = request.runs.unwrap_or(DEFAULT_RUNS);
    if samples == 0 || runs == 0 || u64::from(samples) * u64::from(runs) > MAX_WORK {
        return Err(Failure::new(
            format!("{samples} draws of {runs} runs is out of range"),
            format!("ask for at least 1 of each and at most {} runs in all", format_units(MAX_WORK as f64)),
        ));
    }
    let seed = request.seed.unwrap_or(base.seed);
    // Every draw's values are checked by loading the scenario with them before anything runs.
    let first = calibrate::draw(&priors, seed, 0);
    load_draw(request.file, &priors, &first)?;

    let directory = request
        .output
        .map_or_else(|| crate::run::default_directory(request.file).join("calibrate"), Path::to_path_buf);
    let staged = Staged::begin(&directory, Slot::Calibrate)?;
    let total = u64::from(samples) * u64::from(runs);
    eprintln!(
        "calibrate: {} parameter{}, {samples} draws of {runs} runs: {} runs",
        priors.len(),
        if priors.len() == 1 { "" } else { "s" },
        format_units(total as f64)
    );
    let progress = crate::progress::Progress::new("calibrate", total);
    let tick = |n: u64| progress.inc(n);
    let hooks = Hooks { cancel: &crate::signals::CANCEL, progress: &tick };
    let threads = crate::sweep::worker_threads(request.threads);
    let started = std::time::Instant::now();
    let settings = calibrate::Settings {
        seed,
        samples: u64::from(samples),
        runs: u64::from(runs),
        keep: request.keep,
        threads,
    };
    let mut load = |values: &[(String, String)]| {
        crate::signals::check()?;
        crate::run::load_with(request.file, values, false).map(|s| s.model)
    };
    let outcome = calibrate::run(&priors, &observations, settings, &hooks, &mut load);
    progress.finish();
    let seconds = started.elapsed().as_secs_f64();
    let (draws, posterior) = outcome.map_err(|failure| match failure {
        calibrate::Failure::Load { error, .. } => error,
        calibrate::Failure::Model { sample, errors } => Failure::new(
            format!("draw {sample}'s model cannot run:\n  - {}", errors.join("\n  - ")),
            "narrow the prior to values the scenario can run with",
        ),
        calibrate::Failure::Stop { sample, stop: chokepoint_montecarlo::Stop::Cancelled { .. } } => {
            crate::sweep::interrupted(sample * u64::from(runs), total)
        }
        calibrate::Failure::Stop { sample, stop } => Failure::new(
            format!("draw {sample} failed: {stop:?}"),
            "this is a bug in chokepoint; please report it with the scenario and the draw",
        ),
    })?;
    let scored = observations.iter().filter(|o| o.scored()).count();
    let summary = Summary {
        scenario: &base.name,
        file: request.file.display().to_string(),
        version: env!("CARGO_PKG_VERSION"),
        method: "ABC rejection: uniform priors, distance = mean symmetric relative error of the medians (flows, ratios) or days from the window / 30 (dates), each at most 2; the closest --keep share accepted",
        seed,
        samples,
        runs,
        keep: request.keep,
        observations: scored,
        priors: &priors,
        posterior: &posterior,
    };
    let mut json = serde_json::to_vec_pretty(&summary).map_err(|e| {
        Failure::new(format!("cannot write calibration.json: {e}"), "this is a bug; please report it")
    })?;
    json.push(b'\n');
    staged.write(&[
        OutputFile { name: "posterior.csv".into(), contents: posterior_csv(&priors, &draws, &posterior)? },
        OutputFile { name: "calibration.json".into(), contents: json },
    ])?;
    staged.commit()?;
    eprintln!("{} runs in {seconds:.1} s", format_units(total as f64));
    out!("{}", table(&base.name, request.file, &summary, &posterior, &draws));
    outln!("\nWrote posterior.csv and calibration.json in {}", directory.display());
    Ok(())
}

/// The scenario with a draw's values set.
fn load_draw(
    file: &Path,
    priors: &[Prior],
    values: &[f64],
) -> Result<chokepoint_scenario::Scenario, Failure> {
    crate::run::load_with(file, &calibrate::settings(priors, values), false)
}

/// `posterior.csv`: every draw, its values, distance, observations outside their band, and
/// whether it was accepted.
fn posterior_csv(priors: &[Prior], draws: &[Draw], posterior: &Posterior) -> Result<Vec<u8>, Failure> {
    let fail = |e: csv::Error| {
        Failure::new(format!("cannot write posterior.csv: {e}"), "this is a bug; please report it")
    };
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["draw".to_owned()];
    header.extend(priors.iter().map(|p| p.key.clone()));
    header.extend(["distance".into(), "outside".into(), "accepted".into()]);
    writer.write_record(&header).map_err(fail)?;
    for (i, draw) in draws.iter().enumerate() {
        let mut record = vec![i.to_string()];
        record.extend(priors.iter().zip(&draw.values).map(|(p, v)| p.text(*v)));
        record.push(draw.distance.to_string());
        record.push(draw.outside.to_string());
        record.push(if posterior.accepted.contains(&i) { "yes".into() } else { "no".into() });
        writer.write_record(&record).map_err(fail)?;
    }
    writer.into_inner().map_err(|e| {
        Failure::new(format!("cannot write posterior.csv: {e}"), "this is a bug; please report it")
    })
}

/// The printed summary.
fn table(name: &str, file: &Path, summary: &Summary<'_>, posterior: &Posterior, draws: &[Draw]) -> String {
    let mut out = format!(
        "{name}\n{} · {} draws × {} runs, seed {}, {} scored observations; kept the closest {} ({:.0} %)\n\n",
        file.display(),
        summary.samples,
        summary.runs,
        summary.seed,
        summary.observations,
        posterior.accepted.len(),
        100.0 * summary.keep
    );
    let header = ["parameter", "prior", "posterior p05", "p50", "p95", "90 % width / prior", "pinned down"];
    let rows: Vec<[String; 7]> = posterior
        .parameters
        .iter()
        .map(|p| {
            [
                p.key.clone(),
                format!("{} – {}", format_units(p.low), format_units(p.high)),
                format_units(p.p05),
                format_units(p.p50),
                format_units(p.p95),
                format!("{:.2}", p.width_ratio),
                if p.pinned { "yes".into() } else { "no: the data say little".into() },
            ]
        })
        .collect();
    out.push_str(&crate::table::render(&header, &rows));
    let best = posterior.accepted.first().map(|&i| &draws[i]);
    if let Some(best) = best {
        out.push_str(&format!(
            "\nClosest draw: distance {:.3}, {} of {} observations outside the model's band; accepted up to distance {:.3}.\n",
            best.distance, best.outside, summary.observations, posterior.threshold
        ));
    }
    out
}
