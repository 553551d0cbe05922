//! `chokepoint calibrate`: scenario keys fitted to the scenario's observations by
//! approximate Bayesian computation with rejection (`chokepoint_backtest::calibrate`).
//!
//! Each draw sets the keys to values from their uniform priors, runs the scenario's
//! replicates (the same seeds for every draw: common random numbers, so draws differ by
//! their parameters only), scores every observation and takes the distance to history. The
//! closest `--keep` share of draws is the posterior.

use std::path::{Path, PathBuf};

use chokepoint_backtest::calibrate::{self, Draw, Posterior, Prior};
use chokepoint_montecarlo::Hooks;
use serde::Serialize;

use crate::failure::Failure;
use crate::staged::{Slot, Staged};
use chokepoint::OutputFile;
use chokepoint::text::format_units;

/// Draws when `--samples` is not given.
pub const DEFAULT_SAMPLES: u32 = 200;
/// Replicates per draw when `--runs` is not given.
pub const DEFAULT_RUNS: u32 = 20;
/// Most draws × replicates.
const MAX_WORK: u64 = 100_000_000;

/// What `chokepoint calibrate` was asked to do.
pub struct Request<'a> {
    pub files: &'a [PathBuf],
    pub priors: &'a [String],
    pub samples: Option<u32>,
    pub runs: Option<u32>,
    pub keep: f64,
    pub seed: Option<u64>,
    pub threads: Option<usize>,
    pub output: Option<&'a Path>,
    /// `--shard I/N`: run only every N-th draw from I.
    pub shard: Option<&'a str>,
    /// `--merge DIR`: the shards' output folders, merged instead of running.
    pub merge: &'a [PathBuf],
}

#[derive(Serialize)]
struct Summary<'a> {
    scenarios: Vec<&'a str>,
    files: Vec<String>,
    /// Seed of each file's replicates.
    seeds: Vec<u64>,
    version: &'static str,
    method: &'static str,
    seed: u64,
    samples: u32,
    runs: u32,
    keep: f64,
    /// `I/N` for one shard's partial result; absent for a whole (or merged) calibration.
    #[serde(skip_serializing_if = "Option::is_none")]
    shard: Option<String>,
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
    let mut bases = Vec::with_capacity(request.files.len());
    let mut all_observations = Vec::with_capacity(request.files.len());
    for file in request.files {
        let base = crate::run::load(file)?;
        if base.backtest.observed.is_empty() {
            return Err(Failure::new(
                format!("{} names no observation files to calibrate against", file.display()),
                "add a [backtest] table with observed = [\"../observed/<episode>.csv\"] (docs/backtest.md)",
            ));
        }
        all_observations.push(
            chokepoint::backtest::observations(file, &base).map_err(|e| crate::run::rejected(file, e))?,
        );
        bases.push(base);
    }
    let samples = request.samples.unwrap_or(DEFAULT_SAMPLES);
    let runs = request.runs.unwrap_or(DEFAULT_RUNS);
    let work = u64::from(samples) * u64::from(runs) * request.files.len() as u64;
    if samples == 0 || runs == 0 || work > MAX_WORK {
        return Err(Failure::new(
            format!("{samples} draws of {runs} runs of {} file(s) is out of range", request.files.len()),
            format!("ask for at least 1 of each and at most {} runs in all", format_units(MAX_WORK as f64)),
        ));
    }
    let seed = request.seed.unwrap_or(bases[0].seed);
    // Every draw's values are checked by loading the scenarios with them before anything runs.
    let first = calibrate::draw(&priors, seed, 0);
    for file in request.files {
        load_draw(file, &priors, &first)?;
    }

    let directory = request.output.map_or_else(
        || match request.files {
            [one] => crate::run::default_directory(one).join("calibrate"),
            _ => PathBuf::from("out").join("calibration"),
        },
        Path::to_path_buf,
    );
    let shard = crate::batch::resolve_shard(request.shard, None)?;
    if !request.merge.is_empty() && shard.count > 1 {
        return Err(Failure::new(
            "--merge and --shard go to different commands",
            "merge the shards once they have all run",
        ));
    }
    let staged = Staged::begin(&directory, Slot::Calibrate)?;
    let total = work / u64::from(shard.count.max(1));
    eprintln!(
        "calibrate: {} parameter{}, {samples} draws of {runs} runs of {} file{}: {} runs",
        priors.len(),
        if priors.len() == 1 { "" } else { "s" },
        request.files.len(),
        if request.files.len() == 1 { "" } else { "s" },
        format_units(total as f64)
    );
    let progress = crate::progress::Progress::new("calibrate", total);
    let tick = |n: u64| progress.inc(n);
    let hooks = Hooks { cancel: &crate::signals::CANCEL, progress: &tick };
    let threads = crate::batch::worker_threads(request.threads);
    let started = std::time::Instant::now();
    let settings = calibrate::Settings {
        seed,
        samples: u64::from(samples),
        runs: u64::from(runs),
        keep: request.keep,
        threads,
        shard: (u64::from(shard.index), u64::from(shard.count.max(1))),
    };
    let mut episodes: Vec<calibrate::Episode<'_, Failure>> = (request.files.iter())
        .zip(&bases)
        .zip(all_observations.iter())
        .map(|((file, base), observations)| calibrate::Episode {
            observations: observations.clone(),
            seed: request.seed.unwrap_or(base.seed),
            load: Box::new(move |values: &[(String, String)]| {
                crate::signals::check()?;
                crate::run::load_with(file, values, false).map(|s| s.model)
            }) as Box<calibrate::LoadModel<'_, Failure>>,
        })
        .collect();
    let outcome = if request.merge.is_empty() {
        calibrate::run(&priors, &mut episodes, settings, &hooks)
    } else {
        let draws = merge_parts(request, &priors, seed, samples, runs)?;
        let pairs: Vec<(Vec<f64>, f64)> = draws.iter().map(|d| (d.values.clone(), d.distance)).collect();
        let posterior = calibrate::posterior(&priors, &pairs, request.keep);
        Ok((draws, posterior))
    };
    progress.finish();
    let seconds = started.elapsed().as_secs_f64();
    let per_draw = u64::from(runs) * request.files.len() as u64;
    let (draws, posterior) = outcome.map_err(|failure| match failure {
        calibrate::Failure::Load { error, .. } => error,
        calibrate::Failure::Model { sample, errors } => Failure::new(
            format!("draw {sample}'s model cannot run:\n  - {}", errors.join("\n  - ")),
            "narrow the prior to values the scenario can run with",
        ),
        calibrate::Failure::Stop { sample, stop: chokepoint_montecarlo::Stop::Cancelled { .. } } => {
            chokepoint::batch::interrupted(sample * per_draw, total).into()
        }
        calibrate::Failure::Stop { sample, stop } => Failure::new(
            format!("draw {sample} failed: {stop:?}"),
            "this is a bug in chokepoint; please report it with the scenario and the draw",
        ),
    })?;
    let observations: Vec<_> = all_observations.iter().flatten().collect();
    let scored = observations.iter().filter(|o| o.scored()).count();
    let summary = Summary {
        scenarios: bases.iter().map(|b| b.name.as_str()).collect(),
        files: request.files.iter().map(|f| f.display().to_string()).collect(),
        seeds: bases.iter().map(|b| request.seed.unwrap_or(b.seed)).collect(),
        version: env!("CARGO_PKG_VERSION"),
        method: "ABC rejection: uniform priors, distance = mean symmetric relative error of the medians (flows, ratios) or days from the window / 30 (dates), each at most 2; the closest --keep share accepted",
        seed,
        samples,
        runs,
        keep: request.keep,
        shard: (shard.count > 1).then(|| format!("{}/{}", shard.index, shard.count)),
        observations: scored,
        priors: &priors,
        posterior: &posterior,
    };
    let mut json = serde_json::to_vec_pretty(&summary).map_err(|e| {
        Failure::new(format!("cannot write calibration.json: {e}"), "this is a bug; please report it")
    })?;
    json.push(b'\n');
    staged.write(&[
        OutputFile {
            name: "posterior.csv".into(),
            contents: posterior_csv(&priors, &draws, &posterior, request.files)?,
        },
        OutputFile { name: "calibration.json".into(), contents: json },
    ])?;
    staged.commit()?;
    eprintln!("{} runs in {seconds:.1} s", format_units(total as f64));
    out!("{}", table(&summary, &posterior, &draws));
    outln!("\nWrote posterior.csv and calibration.json in {}", directory.display());
    Ok(())
}

/// The draws of every shard in `request.merge`, checked to be the shards of this very
/// command (files, priors, seed, draws, runs) and to hold every draw exactly once.
fn merge_parts(
    request: &Request<'_>,
    priors: &[Prior],
    seed: u64,
    samples: u32,
    runs: u32,
) -> Result<Vec<Draw>, Failure> {
    let expected_header = posterior_header(priors, request.files);
    let mut draws: Vec<Draw> = Vec::new();
    let files: Vec<String> = request.files.iter().map(|f| f.display().to_string()).collect();
    for dir in request.merge {
        let bad = |why: String| {
            Failure::new(
                format!("cannot merge {}: {why}", dir.display()),
                "give the output folders of `calibrate … --shard I/N`, run with the same files, priors, --samples, --runs and --seed",
            )
        };
        let read = |name: &str| {
            chokepoint::report::files::read_bounded(&dir.join(name), 1 << 30)
                .map_err(|why| bad(format!("{name}: {why}")))
                .and_then(|b| String::from_utf8(b).map_err(|_| bad(format!("{name} is not UTF-8"))))
        };
        let json: serde_json::Value = serde_json::from_str(&read("calibration.json")?)
            .map_err(|e| bad(format!("calibration.json: {e}")))?;
        let same = json["seed"] == seed
            && json["samples"] == samples
            && json["runs"] == runs
            && json["files"] == serde_json::json!(files)
            && json["priors"] == serde_json::to_value(priors).unwrap_or_default()
            && json["shard"].is_string();
        if !same {
            return Err(bad(
                "it is not a shard of this calibration (files, priors, seed, draws or runs differ)".into(),
            ));
        }
        let text = read("posterior.csv")?;
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let header: Vec<String> = (reader.headers().map_err(|e| bad(format!("posterior.csv: {e}")))?)
            .iter()
            .map(str::to_owned)
            .collect();
        if header != expected_header {
            return Err(bad("posterior.csv has other columns".into()));
        }
        for (line, record) in reader.records().enumerate() {
            let record = record.map_err(|e| bad(format!("posterior.csv line {}: {e}", line + 2)))?;
            let number = |i: usize| -> Result<f64, Failure> {
                let cell = record.get(i).unwrap_or("").trim_matches('"').trim_end_matches('d');
                cell.parse::<f64>()
                    .map_err(|_| bad(format!("posterior.csv line {}: '{cell}' is not a number", line + 2)))
            };
            let sample = number(0)? as u64;
            let values = (0..priors.len()).map(|j| number(1 + j)).collect::<Result<Vec<_>, _>>()?;
            let distance = number(1 + priors.len())?;
            let outside = number(2 + priors.len())? as usize;
            let by_episode = if request.files.len() > 1 {
                (0..request.files.len())
                    .map(|k| number(4 + priors.len() + k))
                    .collect::<Result<Vec<_>, _>>()?
            } else {
                vec![distance]
            };
            draws.push(Draw { sample, values, distance, outside, by_episode });
        }
    }
    calibrate::merge_draws(draws, samples).map_err(|why| {
        Failure::new(
            format!("cannot merge: {why}"),
            "merge every shard 0..N-1 of N of the same command, once each",
        )
    })
}

/// The scenario with a draw's values set.
fn load_draw(
    file: &Path,
    priors: &[Prior],
    values: &[f64],
) -> Result<chokepoint_scenario::Scenario, Failure> {
    crate::run::load_with(file, &calibrate::settings(priors, values), false)
}

/// The columns of `posterior.csv`: the draw, each key, distance, outside, accepted, and with
/// several files each one's own distance (by file stem).
fn posterior_header(priors: &[Prior], files: &[PathBuf]) -> Vec<String> {
    let mut header = vec!["draw".to_owned()];
    header.extend(priors.iter().map(|p| p.key.clone()));
    header.extend(["distance".into(), "outside".into(), "accepted".into()]);
    if files.len() > 1 {
        header.extend(files.iter().map(|f| {
            format!(
                "distance {}",
                f.file_stem().map_or_else(|| f.display().to_string(), |s| s.to_string_lossy().into())
            )
        }));
    }
    header
}

/// `posterior.csv`: every draw, its values, distance, observations outside their band, and
/// whether it was accepted; with several files, each file's own distance.
fn posterior_csv(
    priors: &[Prior],
    draws: &[Draw],
    posterior: &Posterior,
    files: &[PathBuf],
) -> Result<Vec<u8>, Failure> {
    let fail = |e: csv::Error| {
        Failure::new(format!("cannot write posterior.csv: {e}"), "this is a bug; please report it")
    };
    let mut writer = csv::Writer::from_writer(Vec::new());
    let several = files.len() > 1;
    writer.write_record(posterior_header(priors, files)).map_err(fail)?;
    for (i, draw) in draws.iter().enumerate() {
        let mut record = vec![draw.sample.to_string()];
        record.extend(priors.iter().zip(&draw.values).map(|(p, v)| p.text(*v)));
        record.push(draw.distance.to_string());
        record.push(draw.outside.to_string());
        record.push(if posterior.accepted.contains(&i) { "yes".into() } else { "no".into() });
        if several {
            record.extend(draw.by_episode.iter().map(ToString::to_string));
        }
        writer.write_record(&record).map_err(fail)?;
    }
    writer.into_inner().map_err(|e| {
        Failure::new(format!("cannot write posterior.csv: {e}"), "this is a bug; please report it")
    })
}

/// The printed summary.
fn table(summary: &Summary<'_>, posterior: &Posterior, draws: &[Draw]) -> String {
    let mut out = String::new();
    for (name, file) in summary.scenarios.iter().zip(&summary.files) {
        out.push_str(&format!("{name}\n  {file}\n"));
    }
    out.push_str(&format!(
        "{} draws × {} runs of each file, draws seeded {}, {} scored observations; kept the closest {} ({:.0} %)\n\n",
        summary.samples,
        summary.runs,
        summary.seed,
        summary.observations,
        posterior.accepted.len(),
        100.0 * summary.keep
    ));
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
    out.push_str(&chokepoint::text::render(&header, &rows));
    let best = posterior.accepted.first().map(|&i| &draws[i]);
    if let Some(best) = best {
        out.push_str(&format!(
            "\nClosest draw: distance {:.3}, {} of {} observations outside the model's band; accepted up to distance {:.3}.\n",
            best.distance, best.outside, summary.observations, posterior.threshold
        ));
        if best.by_episode.len() > 1 {
            for (file, d) in summary.files.iter().zip(&best.by_episode) {
                out.push_str(&format!("  distance on {file}: {d:.3}\n"));
            }
        }
    }
    out
}
