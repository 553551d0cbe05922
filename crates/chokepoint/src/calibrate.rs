//! Calibration (`chokepoint calibrate`): scenario keys fitted to the scenarios'
//! observations by approximate Bayesian computation with rejection
//! (`chokepoint_backtest::calibrate`).
//!
//! Each draw sets the keys to values from their uniform priors, runs every scenario's
//! replicates (the same seeds for every draw: common random numbers, so draws differ by
//! their parameters only), scores every observation and takes the distance to history. The
//! closest `keep` share of draws is the posterior. [`prepare`] checks the request and reads
//! the observations; [`Prepared::run`] runs the draws (or a shard's share of them);
//! [`Prepared::merge`] joins the output folders of shards; [`Calibration::files`] builds
//! `posterior.csv` and `calibration.json`.

use std::path::PathBuf;

use chokepoint_backtest::Observation;
use chokepoint_backtest::calibrate::{self, Draw, Posterior, Prior};
use chokepoint_montecarlo::{Hooks, Shard};
use chokepoint_scenario::Scenario;
use serde::Serialize;

use crate::text::format_units;
use crate::{Error, OutputFile};

/// Draws when the request does not say.
pub const DEFAULT_SAMPLES: u32 = 200;
/// Replicates per draw when the request does not say.
pub const DEFAULT_RUNS: u32 = 20;
/// Most draws × replicates.
const MAX_WORK: u64 = 100_000_000;

/// What a calibration is asked to do: `chokepoint calibrate`'s options.
#[derive(Clone, Debug)]
pub struct Options {
    /// `KEY=LOW..HIGH` (`:int`, `:days`) priors, one per key.
    pub priors: Vec<String>,
    /// Draws ([`DEFAULT_SAMPLES`] when `None`).
    pub samples: Option<u32>,
    /// Replicates per draw and file ([`DEFAULT_RUNS`] when `None`).
    pub runs: Option<u32>,
    /// Share of draws kept as the posterior.
    pub keep: f64,
    /// Seed of the draws and of every file's replicates (the first file's, and each
    /// file's own, when `None`).
    pub seed: Option<u64>,
    /// Worker threads (0: one per core).
    pub threads: usize,
    /// Which shard of the draws (every N-th from I).
    pub shard: Shard,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            priors: Vec::new(),
            samples: None,
            runs: None,
            keep: 0.1,
            seed: None,
            threads: 0,
            shard: Shard::WHOLE,
        }
    }
}

/// A calibration ready to run: the priors, the scenarios and their observations.
pub struct Prepared {
    /// The parsed priors.
    pub priors: Vec<Prior>,
    /// The scenario files, as given.
    pub files: Vec<PathBuf>,
    /// Each file's scenario as written (no draw applied).
    pub bases: Vec<Scenario>,
    /// The warnings of loading each file.
    pub warnings: Vec<chokepoint_scenario::Report>,
    /// Each file's observations.
    pub observations: Vec<Vec<Observation>>,
    /// Draws, replicates per draw and file, and the seed of the draws.
    pub samples: u32,
    /// Replicates per draw and file.
    pub runs: u32,
    /// Seed of the draws.
    pub seed: u64,
    options: Options,
}

/// Parses the priors, loads every file and its observations, checks the sizes, and loads
/// every file with the first draw's values (so a prior the scenario cannot take is refused
/// before anything runs).
pub fn prepare(files: &[PathBuf], options: &Options) -> Result<Prepared, Error> {
    let priors: Vec<Prior> = (options.priors.iter())
        .map(|text| {
            Prior::parse(text).map_err(|why| {
                Error::new(
                    format!("--prior {why}"),
                    "write --prior 'event.mofcom-18-2025.end.after=30..120:int' (a uniform prior; :int for whole numbers)",
                )
            })
        })
        .collect::<Result<_, _>>()?;
    if priors.is_empty() {
        return Err(Error::new(
            "nothing to calibrate: no --prior given",
            "name each key to fit with its range: --prior 'KEY=LOW..HIGH'",
        ));
    }
    if let Some(p) =
        priors.iter().enumerate().find_map(|(i, p)| priors[..i].iter().any(|q| q.key == p.key).then_some(p))
    {
        return Err(Error::new(format!("--prior {} is given twice", p.key), "give each key one prior"));
    }
    if !(options.keep > 0.0 && options.keep <= 1.0) {
        return Err(Error::new(
            format!("--keep {} is not a share", options.keep),
            "keep a share from 0.01 to 1, such as 0.1",
        ));
    }
    if files.is_empty() {
        return Err(Error::new("no scenario file to calibrate", "give one or more scenario files"));
    }
    let mut bases = Vec::with_capacity(files.len());
    let mut warnings = Vec::with_capacity(files.len());
    let mut observations = Vec::with_capacity(files.len());
    for file in files {
        let loaded = crate::load(file, &[])?;
        if loaded.scenario.backtest.observed.is_empty() {
            return Err(Error::new(
                format!("{} names no observation files to calibrate against", file.display()),
                "add a [backtest] table with observed = [\"../observed/<episode>.csv\"] (docs/backtest.md)",
            ));
        }
        observations.push(crate::backtest::observations(file, &loaded.scenario)?);
        bases.push(loaded.scenario);
        warnings.push(loaded.warnings);
    }
    let samples = options.samples.unwrap_or(DEFAULT_SAMPLES);
    let runs = options.runs.unwrap_or(DEFAULT_RUNS);
    let work = u64::from(samples) * u64::from(runs) * files.len() as u64;
    if samples == 0 || runs == 0 || work > MAX_WORK {
        return Err(Error::new(
            format!("{samples} draws of {runs} runs of {} file(s) is out of range", files.len()),
            format!("ask for at least 1 of each and at most {} runs in all", format_units(MAX_WORK as f64)),
        ));
    }
    let seed = options.seed.unwrap_or(bases[0].seed);
    // Every draw's values are checked by loading the scenarios with them before anything runs.
    let first = calibrate::draw(&priors, seed, 0);
    for file in files {
        crate::load(file, &calibrate::settings(&priors, &first))?;
    }
    Ok(Prepared {
        priors,
        files: files.to_vec(),
        bases,
        warnings,
        observations,
        samples,
        runs,
        seed,
        options: options.clone(),
    })
}

/// A calibration's result: every draw (of this shard, or all of them) and the posterior.
pub struct Calibration {
    /// The draws, in sample order.
    pub draws: Vec<Draw>,
    /// The accepted draws and each parameter's posterior.
    pub posterior: Posterior,
    summary: Summary,
}

#[derive(Serialize)]
struct Summary {
    scenarios: Vec<String>,
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
    priors: Vec<Prior>,
    posterior: Posterior,
}

impl Prepared {
    /// The replicates this shard runs (all draws' when whole).
    pub fn total(&self) -> u64 {
        let work = u64::from(self.samples) * u64::from(self.runs) * self.files.len() as u64;
        work / u64::from(self.options.shard.count.max(1))
    }

    /// Runs the draws (this shard's, every N-th from I); `hooks` reports progress (in
    /// replicates) and stops the runs when its flag is raised.
    pub fn run(&self, hooks: &Hooks<'_>) -> Result<Calibration, Error> {
        let shard = self.options.shard;
        let settings = calibrate::Settings {
            seed: self.seed,
            samples: u64::from(self.samples),
            runs: u64::from(self.runs),
            keep: self.options.keep,
            threads: self.options.threads,
            shard: (u64::from(shard.index), u64::from(shard.count.max(1))),
        };
        let cancel = hooks.cancel;
        let mut episodes: Vec<calibrate::Episode<'_, Error>> = (self.files.iter())
            .zip(&self.bases)
            .zip(&self.observations)
            .map(|((file, base), observations)| calibrate::Episode {
                observations: observations.clone(),
                seed: self.options.seed.unwrap_or(base.seed),
                load: Box::new(move |values: &[(String, String)]| {
                    crate::batch::check(cancel)?;
                    Ok(crate::load(file, values)?.scenario.model)
                }) as Box<calibrate::LoadModel<'_, Error>>,
            })
            .collect();
        let per_draw = u64::from(self.runs) * self.files.len() as u64;
        let total = self.total();
        let (draws, posterior) = calibrate::run(&self.priors, &mut episodes, settings, hooks).map_err(
            |failure| match failure {
                calibrate::Failure::Load { error, .. } => error,
                calibrate::Failure::Model { sample, errors } => Error::new(
                    format!("draw {sample}'s model cannot run:\n  - {}", errors.join("\n  - ")),
                    "narrow the prior to values the scenario can run with",
                ),
                calibrate::Failure::Stop { sample, stop: chokepoint_montecarlo::Stop::Cancelled { .. } } => {
                    crate::batch::interrupted(sample * per_draw, total)
                }
                calibrate::Failure::Stop { sample, stop } => Error::new(
                    format!("draw {sample} failed: {stop:?}"),
                    "this is a bug in chokepoint; please report it with the scenario and the draw",
                ),
            },
        )?;
        Ok(self.calibration(draws, posterior, shard))
    }

    /// Joins the output folders of every shard of this very calibration (the same files,
    /// priors, draws, runs and seed; each draw exactly once): the result of the unsharded
    /// calibration, byte for byte.
    pub fn merge(&self, folders: &[PathBuf]) -> Result<Calibration, Error> {
        if self.options.shard.count > 1 {
            return Err(Error::new(
                "--merge and --shard go to different commands",
                "merge the shards once they have all run",
            ));
        }
        let draws = merge_parts(self, folders)?;
        let pairs: Vec<(Vec<f64>, f64)> = draws.iter().map(|d| (d.values.clone(), d.distance)).collect();
        let posterior = calibrate::posterior(&self.priors, &pairs, self.options.keep);
        Ok(self.calibration(draws, posterior, Shard::WHOLE))
    }

    fn calibration(&self, draws: Vec<Draw>, posterior: Posterior, shard: Shard) -> Calibration {
        let scored = self.observations.iter().flatten().filter(|o| o.scored()).count();
        let summary = Summary {
            scenarios: self.bases.iter().map(|b| b.name.clone()).collect(),
            files: self.files.iter().map(|f| f.display().to_string()).collect(),
            seeds: self.bases.iter().map(|b| self.options.seed.unwrap_or(b.seed)).collect(),
            version: env!("CARGO_PKG_VERSION"),
            method: "ABC rejection: uniform priors, distance = mean symmetric relative error of the medians (flows, ratios) or days from the window / 30 (dates), each at most 2; the closest --keep share accepted",
            seed: self.seed,
            samples: self.samples,
            runs: self.runs,
            keep: self.options.keep,
            shard: (shard.count > 1).then(|| format!("{}/{}", shard.index, shard.count)),
            observations: scored,
            priors: self.priors.clone(),
            posterior: posterior.clone(),
        };
        Calibration { draws, posterior, summary }
    }
}

impl Calibration {
    /// `posterior.csv` and `calibration.json`.
    pub fn files(&self) -> Result<Vec<OutputFile>, Error> {
        let mut json = serde_json::to_vec_pretty(&self.summary).map_err(|e| {
            Error::new(format!("cannot write calibration.json: {e}"), "this is a bug; please report it")
        })?;
        json.push(b'\n');
        let files: Vec<PathBuf> = self.summary.files.iter().map(PathBuf::from).collect();
        Ok(vec![
            OutputFile {
                name: "posterior.csv".into(),
                contents: posterior_csv(&self.summary.priors, &self.draws, &self.posterior, &files)?,
            },
            OutputFile { name: "calibration.json".into(), contents: json },
        ])
    }

    /// The printed summary: each parameter's prior and posterior, the closest draw.
    pub fn table(&self) -> String {
        table(&self.summary, &self.posterior, &self.draws)
    }
}

/// The draws of every shard in `folders`, checked to be the shards of this very
/// command (files, priors, seed, draws, runs) and to hold every draw exactly once.
fn merge_parts(prepared: &Prepared, folders: &[PathBuf]) -> Result<Vec<Draw>, Error> {
    let (priors, seed, samples, runs) = (&prepared.priors, prepared.seed, prepared.samples, prepared.runs);
    let expected_header = posterior_header(priors, &prepared.files);
    let mut draws: Vec<Draw> = Vec::new();
    let files: Vec<String> = prepared.files.iter().map(|f| f.display().to_string()).collect();
    for dir in folders {
        let bad = |why: String| {
            Error::new(
                format!("cannot merge {}: {why}", dir.display()),
                "give the output folders of `calibrate … --shard I/N`, run with the same files, priors, --samples, --runs and --seed",
            )
        };
        let read = |name: &str| {
            chokepoint_report::files::read_bounded(&dir.join(name), 1 << 30)
                .map_err(|why| bad(format!("{name}: {why}")))
                .and_then(|b| String::from_utf8(b).map_err(|_| bad(format!("{name} is not UTF-8"))))
        };
        let json: serde_json::Value = serde_json::from_str(&read("calibration.json")?)
            .map_err(|e| bad(format!("calibration.json: {e}")))?;
        let same = json["seed"] == seed
            && json["samples"] == samples
            && json["runs"] == runs
            && json["files"] == serde_json::json!(files)
            && json["priors"] == serde_json::to_value(&prepared.priors).unwrap_or_default()
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
            let number = |i: usize| -> Result<f64, Error> {
                let cell = record.get(i).unwrap_or("").trim_matches('"').trim_end_matches('d');
                cell.parse::<f64>()
                    .map_err(|_| bad(format!("posterior.csv line {}: '{cell}' is not a number", line + 2)))
            };
            let sample = number(0)? as u64;
            let values = (0..priors.len()).map(|j| number(1 + j)).collect::<Result<Vec<_>, _>>()?;
            let distance = number(1 + priors.len())?;
            let outside = number(2 + priors.len())? as usize;
            let by_episode = if prepared.files.len() > 1 {
                (0..prepared.files.len())
                    .map(|k| number(4 + priors.len() + k))
                    .collect::<Result<Vec<_>, _>>()?
            } else {
                vec![distance]
            };
            draws.push(Draw { sample, values, distance, outside, by_episode });
        }
    }
    calibrate::merge_draws(draws, samples).map_err(|why| {
        Error::new(
            format!("cannot merge: {why}"),
            "merge every shard 0..N-1 of N of the same command, once each",
        )
    })
}

/// The columns of `posterior.csv`: the draw, each key, distance, outside, accepted, and with
/// several files each one's own distance (by file stem).
pub fn posterior_header(priors: &[Prior], files: &[PathBuf]) -> Vec<String> {
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
) -> Result<Vec<u8>, Error> {
    let fail = |e: csv::Error| {
        Error::new(format!("cannot write posterior.csv: {e}"), "this is a bug; please report it")
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
        Error::new(format!("cannot write posterior.csv: {e}"), "this is a bug; please report it")
    })
}

/// The printed summary.
fn table(summary: &Summary, posterior: &Posterior, draws: &[Draw]) -> String {
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
    out.push_str(&crate::text::render(&header, &rows));
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
