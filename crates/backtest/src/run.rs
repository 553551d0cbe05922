//! The backtest workflow: a plan's replicates measured against observations, scored, and
//! the observed trade series summarised month by month. Front doors (the command line, a
//! Python binding, a service) call [`run`] and only format what it returns.

use std::ops::Range;

use chokepoint_engine::{Plan, RunResult};
use chokepoint_montecarlo::{Hooks, Stop};

use crate::observation::{Calendar, Kind, Month, Observation};
use crate::score::{Coverage, Score, measure, quantile, score};

/// The quantiles of a series' monthly bands: 5th, 10th, 25th, 50th, 75th, 90th, 95th.
pub const BAND_QUANTILES: [f64; 7] = [0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95];

/// One observed series: the trade observations of one route, product and base, with the
/// model's bands for every whole month of the run.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// Index of the series' first observation (its route, product and base).
    pub first: usize,
    /// Indices of its observations.
    pub members: Vec<usize>,
    /// Each whole month of the run with its days, and the model's [`BAND_QUANTILES`] over
    /// runs (0 where no run gave a value).
    pub bands: Vec<(Month, Range<u32>, [f64; 7])>,
}

/// A scenario's observations scored against its replicates.
#[derive(Clone, Debug, PartialEq)]
pub struct Backtest {
    /// Per observation, in order (`None`: not scored).
    pub scores: Vec<Option<Score>>,
    /// Coverage of the 90 % band.
    pub coverage: Coverage,
    /// The observed trade series, in file order.
    pub series: Vec<Series>,
}

/// Runs replicates `0..runs` of `plan` (seeds as in `chokepoint_montecarlo::sweep`, on a
/// pool of `threads`), measures every observation and every month of every observed trade
/// series in each, and scores them.
pub fn run(
    plan: &Plan<'_>,
    calendar: Calendar,
    observations: &[Observation],
    seed: u64,
    runs: u64,
    threads: usize,
    hooks: &Hooks<'_>,
) -> Result<Backtest, Stop> {
    let model = plan.model();
    let keys = series_keys(observations);
    let months = months_of(calendar);
    // Each series' first observation moved to every month: what the fans measure.
    let probes: Vec<Vec<Observation>> = keys
        .iter()
        .map(|(first, _)| {
            months.iter().map(|(_, days)| at_month(&observations[*first], days.clone())).collect()
        })
        .collect();
    let one = |result: &RunResult| {
        let values = measure(model, result, observations);
        let monthly: Vec<Vec<f64>> = probes.iter().map(|p| measure(model, result, p)).collect();
        (values, monthly)
    };
    let measured = chokepoint_montecarlo::collect(plan, seed, runs, threads, hooks, &one)?;
    let values: Vec<Vec<f64>> = measured.iter().map(|(v, _)| v.clone()).collect();
    let scores = score(observations, &values);
    let coverage = Coverage::of(observations, &scores);
    let series = keys
        .into_iter()
        .enumerate()
        .map(|(k, (first, members))| {
            let bands = months
                .iter()
                .enumerate()
                .map(|(m, (month, days))| {
                    let mut values: Vec<f64> =
                        measured.iter().map(|(_, f)| f[k][m]).filter(|v| v.is_finite()).collect();
                    values.sort_by(f64::total_cmp);
                    let q = BAND_QUANTILES.map(|p| {
                        let v = quantile(&values, p);
                        if v.is_finite() { v } else { 0.0 }
                    });
                    (*month, days.clone(), q)
                })
                .collect();
            Series { first, members, bands }
        })
        .collect();
    Ok(Backtest { scores, coverage, series })
}

/// The trade observations grouped by route, product and base, in file order: (first,
/// members).
fn series_keys(observations: &[Observation]) -> Vec<(usize, Vec<usize>)> {
    let mut keys: Vec<(usize, Vec<usize>)> = Vec::new();
    for (i, o) in observations.iter().enumerate() {
        let Some(Kind::Trade { exporter, importer, product, base, .. }) = &o.kind else { continue };
        let same = |first: usize| match &observations[first].kind {
            Some(Kind::Trade { exporter: e, importer: m, product: p, base: b, .. }) => {
                e == exporter && m == importer && p == product && b == base
            }
            _ => false,
        };
        match keys.iter_mut().find(|(first, _)| same(*first)) {
            Some((_, members)) => members.push(i),
            None => keys.push((i, vec![i])),
        }
    }
    keys
}

/// Every whole month of the run, with its days.
fn months_of(calendar: Calendar) -> Vec<(Month, Range<u32>)> {
    let mut out = Vec::new();
    let mut month = Month::of(calendar.start);
    while let Some(first) = month.first() {
        if calendar.day(first) >= i64::from(calendar.horizon_days) {
            break;
        }
        if let Some(days) = calendar.month_days(month) {
            out.push((month, days));
        }
        month = month.next();
    }
    out
}

/// A copy of a trade observation measured over another month.
fn at_month(observation: &Observation, days: Range<u32>) -> Observation {
    let mut probe = observation.clone();
    if let Some(Kind::Trade { days: d, .. }) = &mut probe.kind {
        *d = days;
    }
    probe
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_year_from_mid_january_has_eleven_whole_months() {
        // 15 Jan 2026 + 365 days ends on 14 Jan 2027: February to December are whole.
        let calendar = Calendar { start: jiff::civil::Date::constant(2026, 1, 15), horizon_days: 365 };
        let months = months_of(calendar);
        assert_eq!(months.len(), 11);
        assert_eq!(months[0].0, Month { year: 2026, month: 2 });
        assert_eq!(months[0].1, 17..45);
    }
}
