//! Calibration by approximate Bayesian computation (ABC) with rejection: parameters drawn
//! from their priors, each draw scored by its distance to the observations, and the draws
//! closest to history kept as the posterior.
//!
//! The simulator is stochastic and its likelihood has no formula, which is the case ABC is
//! made for (Beaumont, Zhang and Balding 2002; Csilléry et al. 2010). For draw *i* the
//! caller runs the scenario's replicates with the parameters set, scores each observation
//! ([`crate::score`]) and hands the scores to [`distance`]; [`posterior`] keeps the
//! `keep` share of draws with the smallest distance and summarises each parameter: its
//! posterior percentiles and whether the observations pin it down (its posterior 90 %
//! interval at most half its prior one).

use chokepoint_engine::{Model, Plan};
use chokepoint_montecarlo::{Hooks, Stop};
use serde::Serialize;

use crate::observation::{Kind, Observation};
use crate::score::{Score, measure, quantile, score};

/// A parameter to fit: a scenario key (dotted path, as `--set` takes) and its prior,
/// uniform between `low` and `high`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Prior {
    /// The key, such as `event.mofcom-18-2025.end.after`.
    pub key: String,
    /// Lower bound.
    pub low: f64,
    /// Upper bound.
    pub high: f64,
    /// Whether values are whole numbers (days, counts).
    pub integer: bool,
    /// Whether values are durations, written `"90d"` (whole days).
    pub days: bool,
}

impl Prior {
    /// Reads `KEY=LOW..HIGH`, `KEY=LOW..HIGH:int` (whole numbers) or `KEY=LOW..HIGH:days`
    /// (whole days, written as a duration such as `"90d"`).
    pub fn parse(text: &str) -> Result<Prior, String> {
        let (key, range) = text.split_once('=').ok_or_else(|| format!("'{text}' is not KEY=LOW..HIGH"))?;
        let (range, integer, days) = if let Some(r) = range.strip_suffix(":int") {
            (r, true, false)
        } else if let Some(r) = range.strip_suffix(":days") {
            (r, true, true)
        } else {
            (range, false, false)
        };
        let (low, high) = range.split_once("..").ok_or_else(|| format!("'{range}' is not LOW..HIGH"))?;
        let number = |t: &str| t.trim().parse::<f64>().ok().filter(|v| v.is_finite());
        match (number(low), number(high)) {
            (Some(low), Some(high)) if low < high && !key.trim().is_empty() => {
                Ok(Prior { key: key.trim().to_owned(), low, high, integer, days })
            }
            _ => Err(format!("'{text}': give a key and LOW..HIGH with LOW below HIGH")),
        }
    }

    /// The value at `u` in [0, 1) of the prior.
    pub fn at(&self, u: f64) -> f64 {
        let v = self.low + u * (self.high - self.low);
        if self.integer { v.floor().min(self.high) } else { v }
    }

    /// The value as TOML text for `--set`.
    pub fn text(&self, value: f64) -> String {
        if self.days {
            format!("\"{}d\"", value as i64)
        } else if self.integer {
            format!("{}", value as i64)
        } else {
            format!("{value}")
        }
    }
}

/// SplitMix64: the `i`-th number of the stream `seed`, uniform in [0, 1).
fn uniform(seed: u64, i: u64) -> f64 {
    let mut z = seed.wrapping_add(i.wrapping_add(1).wrapping_mul(0x9e37_79b9_7f4a_7c15));
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

/// Draw `sample`'s parameter values: the same seed and sample give the same values, and a
/// parameter's draws do not depend on the other parameters.
pub fn draw(priors: &[Prior], seed: u64, sample: u64) -> Vec<f64> {
    priors
        .iter()
        .enumerate()
        .map(|(j, prior)| prior.at(uniform(seed ^ (j as u64).wrapping_mul(0xd1b5_4a32_d192_ed03), sample)))
        .collect()
}

/// How far the model's medians are from the observations: the mean over scored
/// observations of a discrepancy between 0 (the median is the observation) and 2:
/// - flows and ratios: `|p50 − observed| / ((|p50| + |observed|) / 2)`, the symmetric
///   relative difference (0 when both are 0), so a month of zero exports weighs like any;
/// - first shortages: the days from the window to the median over 30, at most 2; a median
///   of never against an observed shortage is 2, and a median short inside a window
///   observed as never short counts its days before the window's end.
pub fn distance(observations: &[Observation], scores: &[Option<Score>]) -> f64 {
    let mut total = 0.0;
    let mut n = 0usize;
    for (o, s) in observations.iter().zip(scores) {
        let (Some(kind), Some(s)) = (&o.kind, s) else { continue };
        let d = match kind {
            Kind::FirstShortage { window: (a, b), never, .. } => {
                let (a, b) = (*a as f64, *b as f64);
                if *never {
                    if s.p50 > b { 0.0 } else { ((b - s.p50) / 30.0).min(2.0) }
                } else if s.p50.is_infinite() {
                    2.0
                } else if s.p50 < a {
                    ((a - s.p50) / 30.0).min(2.0)
                } else if s.p50 > b {
                    ((s.p50 - b) / 30.0).min(2.0)
                } else {
                    0.0
                }
            }
            Kind::Trade { .. } | Kind::PriceRatio { .. } | Kind::LicenceShare { .. } => {
                let observed = o.value.unwrap_or(0.0);
                let mean = (s.p50.abs() + observed.abs()) / 2.0;
                if mean > 0.0 { ((s.p50 - observed).abs() / mean).min(2.0) } else { 0.0 }
            }
        };
        total += d;
        n += 1;
    }
    if n == 0 { f64::NAN } else { total / n as f64 }
}

/// The days a run must cover for every scored observation to be measured exactly as over
/// a longer run, and for [`distance`] to be the same: the last day any observation reads,
/// plus 60 days for first shortages (a median more than 60 days late is already the
/// largest distance, 2). The simulation is causal, so a shorter horizon leaves every day
/// before it unchanged.
pub fn needed_days(observations: &[Observation]) -> u32 {
    observations
        .iter()
        .filter_map(|o| o.kind.as_ref())
        .map(|kind| match kind {
            Kind::Trade { days, base, .. } => base.iter().map(|b| b.end).chain([days.end]).max().unwrap_or(0),
            Kind::PriceRatio { days, .. } => days.end,
            Kind::LicenceShare { day, .. } => day + 1,
            Kind::FirstShortage { window, .. } => {
                u32::try_from(window.1.max(0)).unwrap_or(u32::MAX).saturating_add(61)
            }
        })
        .max()
        .unwrap_or(u32::MAX)
}

/// One parameter's prior and posterior.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ParameterSummary {
    /// The key.
    pub key: String,
    /// The prior's lower bound.
    pub low: f64,
    /// The prior's upper bound.
    pub high: f64,
    /// Posterior 5th percentile over the accepted draws.
    pub p05: f64,
    /// Posterior median.
    pub p50: f64,
    /// Posterior 95th percentile.
    pub p95: f64,
    /// The posterior 90 % interval over the prior's.
    pub width_ratio: f64,
    /// Whether the observations pin the parameter down (`width_ratio` at most 0.5).
    pub pinned: bool,
}

/// The accepted draws and what they say.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Posterior {
    /// Indices of the accepted draws, closest first.
    pub accepted: Vec<usize>,
    /// The largest distance accepted.
    pub threshold: f64,
    /// Per parameter.
    pub parameters: Vec<ParameterSummary>,
}

/// Keeps the `keep` share (at least one) of `draws` (values, distance) with the smallest
/// distance, ties by draw order, and summarises each parameter.
pub fn posterior(priors: &[Prior], draws: &[(Vec<f64>, f64)], keep: f64) -> Posterior {
    let mut order: Vec<usize> = (0..draws.len()).filter(|&i| draws[i].1.is_finite()).collect();
    order.sort_by(|&a, &b| draws[a].1.total_cmp(&draws[b].1).then(a.cmp(&b)));
    let n = ((draws.len() as f64 * keep).round() as usize).clamp(1, order.len().max(1)).min(order.len());
    let accepted: Vec<usize> = order[..n].to_vec();
    let threshold = accepted.last().map_or(f64::NAN, |&i| draws[i].1);
    let parameters = priors
        .iter()
        .enumerate()
        .map(|(j, prior)| {
            let mut values: Vec<f64> = accepted.iter().map(|&i| draws[i].0[j]).collect();
            values.sort_by(f64::total_cmp);
            let (p05, p50, p95) = (quantile(&values, 0.05), quantile(&values, 0.5), quantile(&values, 0.95));
            let width_ratio = (p95 - p05) / (0.9 * (prior.high - prior.low));
            ParameterSummary {
                key: prior.key.clone(),
                low: prior.low,
                high: prior.high,
                p05,
                p50,
                p95,
                width_ratio,
                pinned: width_ratio <= 0.5,
            }
        })
        .collect();
    Posterior { accepted, threshold, parameters }
}

/// One draw: its parameter values and how far it is from history.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Draw {
    /// Its index among the draws (`sample`), which fixes its values.
    pub sample: u64,
    /// One value per prior.
    pub values: Vec<f64>,
    /// [`distance`] of its scores, over the observations of every episode together.
    pub distance: f64,
    /// Scored observations outside the model's band.
    pub outside: usize,
    /// [`distance`] over each episode's observations alone, in episode order.
    pub by_episode: Vec<f64>,
}

/// The draws of every shard of one calibration (`--shard I/N` cuts the draws across
/// machines), in sample order: each draw `0..samples` must be there exactly once. The
/// merged draws give the posterior an unsharded calibration gives ([`posterior`]).
pub fn merge_draws(shards: impl IntoIterator<Item = Draw>, samples: u32) -> Result<Vec<Draw>, String> {
    let mut draws: std::collections::BTreeMap<u64, Draw> = std::collections::BTreeMap::new();
    for draw in shards {
        let sample = draw.sample;
        if sample >= u64::from(samples) {
            return Err(format!("draw {sample} is not one of the {samples} draws"));
        }
        if draws.insert(sample, draw).is_some() {
            return Err(format!("draw {sample} is in two shards"));
        }
    }
    if draws.len() != samples as usize {
        let missing = samples as usize - draws.len();
        return Err(format!("the shards hold {} of the {samples} draws ({missing} missing)", draws.len()));
    }
    Ok(draws.into_values().collect())
}

/// One scenario fitted with the others: its observations, the seed of its replicates, and
/// how to build its model with a draw's settings.
pub struct Episode<'a, E> {
    /// The scenario's observations.
    pub observations: Vec<Observation>,
    /// Seed of its replicates (the same for every draw: common random numbers).
    pub seed: u64,
    /// Builds its model with a draw's `--set` settings.
    pub load: Box<LoadModel<'a, E>>,
}

/// How many draws, runs and threads, and the share kept.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Settings {
    /// Seed of the draws from the priors (each episode has its own seed for replicates).
    pub seed: u64,
    /// Draws from the priors.
    pub samples: u64,
    /// Replicates per draw (the same seeds for every draw: common random numbers).
    pub runs: u64,
    /// Share of draws kept as the posterior.
    pub keep: f64,
    /// Worker threads (0: one per core).
    pub threads: usize,
    /// Run only the draws whose index is `shard.0` modulo `shard.1` ((0, 1): all).
    pub shard: (u64, u64),
}

/// Why a calibration stopped.
#[derive(Debug)]
pub enum Failure<E> {
    /// `load` refused a draw's values.
    Load {
        /// The draw.
        sample: u64,
        /// What `load` said.
        error: E,
    },
    /// A draw's model cannot run.
    Model {
        /// The draw.
        sample: u64,
        /// The model's problems.
        errors: Vec<String>,
    },
    /// A draw's replicates stopped (interrupted, or a replicate broke an invariant).
    Stop {
        /// The draw.
        sample: u64,
        /// Why.
        stop: Stop,
    },
}

/// Builds the model with a draw's `--set` settings (the caller reads the scenario files).
pub type LoadModel<'a, E> = dyn FnMut(&[(String, String)]) -> Result<Model, E> + 'a;

/// The `--set` settings of a draw.
pub fn settings(priors: &[Prior], values: &[f64]) -> Vec<(String, String)> {
    priors.iter().zip(values).map(|(p, v)| (p.key.clone(), p.text(*v))).collect()
}

/// The whole calibration, for any front door: for each draw, every episode's model is
/// built with the draw's [`settings`], its replicates are measured and scored against its
/// observations, and the distance is taken over all observations together (each episode
/// weighs by its number of scored observations); the closest draws make the [`posterior`].
/// Fitting several episodes at once is how shared parameters are fitted once.
pub fn run<E>(
    priors: &[Prior],
    episodes: &mut [Episode<'_, E>],
    settings_of: Settings,
    hooks: &Hooks<'_>,
) -> Result<(Vec<Draw>, Posterior), Failure<E>> {
    let mut draws = Vec::with_capacity(usize::try_from(settings_of.samples).unwrap_or(0));
    let (index, count) = (settings_of.shard.0, settings_of.shard.1.max(1));
    for sample in (0..settings_of.samples).filter(|s| s % count == index) {
        let values = draw(priors, settings_of.seed, sample);
        let mut all_observations: Vec<&Observation> = Vec::new();
        let mut all_scores: Vec<Option<Score>> = Vec::new();
        let mut by_episode = Vec::with_capacity(episodes.len());
        for episode in episodes.iter_mut() {
            let mut model = (episode.load)(&settings(priors, &values))
                .map_err(|error| Failure::Load { sample, error })?;
            // Days after the last one any distance depends on need not be run.
            model.horizon_days = model.horizon_days.min(needed_days(&episode.observations));
            let plan = Plan::new(&model).map_err(|errors| Failure::Model {
                sample,
                errors: errors.iter().map(ToString::to_string).collect(),
            })?;
            let observations = &episode.observations;
            let one = |result: &chokepoint_engine::RunResult| measure(&model, result, observations);
            let measured = chokepoint_montecarlo::collect(
                &plan,
                episode.seed,
                settings_of.runs,
                settings_of.threads,
                hooks,
                &one,
            )
            .map_err(|stop| Failure::Stop { sample, stop })?;
            let scores = score(observations, &measured);
            by_episode.push(distance(observations, &scores));
            all_observations.extend(observations.iter());
            all_scores.extend(scores);
        }
        let observations: Vec<Observation> = all_observations.into_iter().cloned().collect();
        let outside = all_scores.iter().flatten().filter(|s| !s.inside).count();
        draws.push(Draw {
            sample,
            values,
            distance: distance(&observations, &all_scores),
            outside,
            by_episode,
        });
    }
    let pairs: Vec<(Vec<f64>, f64)> = draws.iter().map(|d| (d.values.clone(), d.distance)).collect();
    let posterior = posterior(priors, &pairs, settings_of.keep);
    Ok((draws, posterior))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merged_draws_are_every_draw_once_in_sample_order() {
        let draw = |sample: u64| Draw {
            sample,
            values: vec![sample as f64],
            distance: 1.0,
            outside: 0,
            by_episode: vec![1.0],
        };
        // Two shards given out of order: the draws come back 0, 1, 2, 3.
        let merged = merge_draws([draw(2), draw(3), draw(0), draw(1)], 4).expect("every draw once");
        assert_eq!(merged.iter().map(|d| d.sample).collect::<Vec<_>>(), [0, 1, 2, 3]);
        assert_eq!(merged[2], draw(2));
        assert_eq!(
            merge_draws([draw(0), draw(1), draw(3)], 4),
            Err("the shards hold 3 of the 4 draws (1 missing)".into())
        );
        assert_eq!(
            merge_draws([draw(0), draw(1), draw(1), draw(2), draw(3)], 4),
            Err("draw 1 is in two shards".into())
        );
        assert_eq!(merge_draws([draw(0), draw(9)], 2), Err("draw 9 is not one of the 2 draws".into()));
    }

    #[test]
    fn priors_read_ranges() {
        let p = Prior::parse("event.x.end.after=30..120:int").expect("valid");
        assert_eq!((p.key.as_str(), p.low, p.high, p.integer), ("event.x.end.after", 30.0, 120.0, true));
        assert_eq!(p.at(0.5), 75.0);
        assert_eq!(p.text(75.0), "75");
        let d = Prior::parse("adaptation.prebuy=30..120:days").expect("valid");
        assert_eq!((d.integer, d.days, d.text(75.0)), (true, true, "\"75d\"".to_owned()));
        assert!(Prior::parse("x=2..1").is_err());
        assert!(Prior::parse("x=a..b").is_err());
        assert!(Prior::parse("=0..1").is_err());
    }

    #[test]
    fn draws_are_uniform_and_reproducible() {
        let priors = [Prior::parse("a=0..1").expect("valid"), Prior::parse("b=10..20").expect("valid")];
        let draws: Vec<Vec<f64>> = (0..4000).map(|i| draw(&priors, 7, i)).collect();
        assert_eq!(draws[5], draw(&priors, 7, 5));
        let mean_a = draws.iter().map(|d| d[0]).sum::<f64>() / 4000.0;
        let mean_b = draws.iter().map(|d| d[1]).sum::<f64>() / 4000.0;
        // Uniform means 0.5 and 15, within 4 standard errors (0.289/√4000 = 0.0046).
        assert!((mean_a - 0.5).abs() < 0.02, "{mean_a}");
        assert!((mean_b - 15.0).abs() < 0.2, "{mean_b}");
        assert!(draws.iter().all(|d| (0.0..1.0).contains(&d[0]) && (10.0..20.0).contains(&d[1])));
    }

    #[test]
    fn the_closest_draws_are_kept() {
        let priors = [Prior::parse("a=0..10").expect("valid")];
        // Distance |a − 4|: the closest tenth of 0, 0.1, …, 9.9 is 3.5 to 4.5.
        let draws: Vec<(Vec<f64>, f64)> =
            (0..100).map(|i| (vec![f64::from(i) / 10.0], (f64::from(i) / 10.0 - 4.0).abs())).collect();
        let post = posterior(&priors, &draws, 0.1);
        assert_eq!(post.accepted.len(), 10);
        assert_eq!(post.accepted[0], 40);
        let p = &post.parameters[0];
        assert!((p.p50 - 4.0).abs() < 0.11 && p.p05 >= 3.5 && p.p95 <= 4.5, "{p:?}");
        assert!(p.pinned);
    }
}
