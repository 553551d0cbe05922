//! The model's value of each observation in a run, and the scores over many runs.

use chokepoint_engine::{Model, RunResult};
use serde::Serialize;

use crate::observation::{Confidence, Kind, Observation};

/// The model's value of each observation in one run, in order: a monthly flow or ratio, a
/// price ratio, or the first day short (`f64::INFINITY` when never). Rows that are not
/// scored give `NaN`.
pub fn measure(model: &Model, result: &RunResult, observations: &[Observation]) -> Vec<f64> {
    observations
        .iter()
        .map(|o| match &o.kind {
            None => f64::NAN,
            Some(Kind::Trade { exporter, importer, product, days, base }) => {
                let flow = |days: &std::ops::Range<u32>| -> f64 {
                    result
                        .trade
                        .iter()
                        .filter(|t| {
                            t.exporter == *exporter
                                && t.product == *product
                                && importer.is_none_or(|i| t.importer == i)
                        })
                        .map(|t| t.daily[days.start as usize..days.end as usize].iter().sum::<f64>())
                        .sum()
                };
                let month = flow(days);
                if base.is_empty() {
                    month
                } else {
                    let mean = base.iter().map(flow).sum::<f64>() / base.len() as f64;
                    if mean > 0.0 { month / mean } else { f64::NAN }
                }
            }
            Some(Kind::FirstShortage { entity, .. }) => {
                let unmet = result.series(entity, "unmet").unwrap_or(&[]);
                let horizon = result.horizon_days as usize;
                unmet[..horizon.min(unmet.len())]
                    .iter()
                    .position(|&u| u > 0.0)
                    .map_or(f64::INFINITY, |d| d as f64)
            }
            Some(Kind::LicenceShare { control, importer, day }) => {
                result.approved_share(*control, *importer, *day).unwrap_or(f64::NAN)
            }
            Some(Kind::PriceRatio { inside, outside, product, days }) => {
                let price = |region| -> Option<f64> {
                    let wanted = format!("price.{}", model.products[product.0 as usize].id);
                    let series = result.series.iter().find(|s| {
                        let entity = &result.entities[s.entity];
                        entity.region == region
                            && ((s.metric == "price" && entity.product == *product) || s.metric == wanted)
                    })?;
                    let values = &series.values[days.start as usize..days.end as usize];
                    Some(values.iter().sum::<f64>() / values.len().max(1) as f64)
                };
                match (price(*outside), price(*inside)) {
                    (Some(out), Some(inn)) if inn > 0.0 => out / inn,
                    _ => f64::NAN,
                }
            }
        })
        .collect()
}

/// The `q` quantile (0 to 1) of sorted values, interpolating linearly between neighbours
/// (an infinite neighbour gives infinity).
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let at = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let (low, high) = (at.floor() as usize, at.ceil() as usize);
    let (a, b) = (sorted[low], sorted[high]);
    if low == high || a == b {
        return a;
    }
    if b.is_infinite() {
        return if at - low as f64 > 0.0 { b } else { a };
    }
    a + (b - a) * (at - low as f64)
}

/// One observation scored against the model's runs.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Score {
    /// Runs that gave a value.
    pub runs: usize,
    /// 5th percentile over runs (days for dates; infinity is "never").
    pub p05: f64,
    /// Median.
    pub p50: f64,
    /// 95th percentile.
    pub p95: f64,
    /// Whether the observation (widened by its tolerance) meets [p05, p95].
    pub inside: bool,
    /// Error of the median: `ln(p50 / observed)` for flows and ratios, days from the window
    /// for dates (negative: the model is early); `None` where it has no value (a zero, or
    /// a median of never).
    pub error: Option<f64>,
    /// Flows and ratios: `p50 - observed`, in the observation's unit.
    pub difference: Option<f64>,
    /// Dates: the share of runs that never ran short.
    pub never_share: Option<f64>,
    /// Runs that gave no value (a base of zero months, say): not in the percentiles.
    pub dropped: usize,
}

/// Scores each observation over `runs` (each run's [`measure`]); `None` for rows that are
/// not scored. A scored row no run could measure is a miss with no percentiles.
pub fn score(observations: &[Observation], runs: &[Vec<f64>]) -> Vec<Option<Score>> {
    observations
        .iter()
        .enumerate()
        .map(|(index, observation)| {
            let kind = observation.kind.as_ref()?;
            let mut values: Vec<f64> =
                runs.iter().filter_map(|r| r.get(index).copied()).filter(|v| !v.is_nan()).collect();
            let dropped = runs.len() - values.len();
            if values.is_empty() {
                // Scored but not measurable in any run: a miss, never left out of the count.
                return Some(Score {
                    runs: 0,
                    p05: f64::NAN,
                    p50: f64::NAN,
                    p95: f64::NAN,
                    inside: false,
                    error: None,
                    difference: None,
                    never_share: None,
                    dropped,
                });
            }
            values.sort_by(f64::total_cmp);
            let (p05, p50, p95) = (quantile(&values, 0.05), quantile(&values, 0.5), quantile(&values, 0.95));
            let runs = values.len();
            Some(match kind {
                Kind::FirstShortage { window: (a, b), never, .. } => {
                    let (a, b) = (*a as f64, *b as f64);
                    let never_share = values.iter().filter(|v| v.is_infinite()).count() as f64 / runs as f64;
                    let (inside, error) = if *never {
                        // Never short in the window: some runs must run short after it, or never.
                        (p95 > b, None)
                    } else {
                        let error = if p50.is_infinite() {
                            None
                        } else if p50 < a {
                            Some(p50 - a)
                        } else if p50 > b {
                            Some(p50 - b)
                        } else {
                            Some(0.0)
                        };
                        (p05 <= b && p95 >= a, error)
                    };
                    Score {
                        runs,
                        p05,
                        p50,
                        p95,
                        inside,
                        error,
                        difference: None,
                        never_share: Some(never_share),
                        dropped,
                    }
                }
                Kind::Trade { .. } | Kind::PriceRatio { .. } | Kind::LicenceShare { .. } => {
                    let observed = observation.value.unwrap_or(f64::NAN);
                    let t = observation.tolerance.unwrap_or(0.0);
                    let (low, high) = (observed * (1.0 - t).max(0.0), observed * (1.0 + t));
                    let inside = low <= p95 && high >= p05;
                    let error = if observed > 0.0 && p50 > 0.0 {
                        Some((p50 / observed).ln())
                    } else if observed == 0.0 && p50 == 0.0 {
                        Some(0.0)
                    } else {
                        None
                    };
                    Score {
                        runs,
                        p05,
                        p50,
                        p95,
                        inside,
                        error,
                        difference: Some(p50 - observed),
                        never_share: None,
                        dropped,
                    }
                }
            })
        })
        .collect()
}

/// Scored observations inside their band, for one group.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CoverageRow {
    /// `all`, a kind, or `confidence H` / `M` / `L`.
    pub group: String,
    /// Observations scored.
    pub scored: usize,
    /// Of which inside the model's 90 % band.
    pub inside: usize,
}

impl CoverageRow {
    /// `inside / scored` (NaN when nothing was scored).
    pub fn share(&self) -> f64 {
        if self.scored == 0 { f64::NAN } else { self.inside as f64 / self.scored as f64 }
    }
}

/// Coverage of the 90 % band: overall, by kind, by confidence, and the rows not scored.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Coverage {
    /// `all`, then each kind, then each confidence, with at least one scored row each.
    pub rows: Vec<CoverageRow>,
    /// Observations not scored.
    pub not_scored: usize,
    /// The width of each scored flow, ratio or share band relative to its median,
    /// `(p95 − p05) / p50` (rows with a median of 0 left out), in observation order.
    pub widths: Vec<f64>,
}

impl Coverage {
    /// The coverage of `scores` (in the order of `observations`).
    pub fn of(observations: &[Observation], scores: &[Option<Score>]) -> Coverage {
        let pairs: Vec<(&Observation, &Score)> =
            observations.iter().zip(scores).filter_map(|(o, s)| s.as_ref().map(|s| (o, s))).collect();
        let row = |group: String, keep: &dyn Fn(&Observation) -> bool| {
            let chosen: Vec<&(&Observation, &Score)> = pairs.iter().filter(|(o, _)| keep(o)).collect();
            CoverageRow {
                group,
                scored: chosen.len(),
                inside: chosen.iter().filter(|(_, s)| s.inside).count(),
            }
        };
        let mut rows = vec![row("all".into(), &|_| true)];
        for kind in ["trade", "first_shortage", "licence_share", "price_ratio"] {
            rows.push(row(kind.into(), &|o| o.kind_name == kind));
        }
        for confidence in [Confidence::High, Confidence::Medium, Confidence::Low] {
            rows.push(row(format!("confidence {}", confidence.as_str()), &|o| o.confidence == confidence));
        }
        rows.retain(|r| r.group == "all" || r.scored > 0);
        let widths = pairs
            .iter()
            .filter(|(o, s)| o.kind_name != "first_shortage" && s.p50 > 0.0 && s.p95.is_finite())
            .map(|(_, s)| (s.p95 - s.p05) / s.p50)
            .collect();
        Coverage { rows, not_scored: observations.len() - pairs.len(), widths }
    }

    /// The median relative width of the bands (`widths`), NaN when there is none: how much
    /// uncertainty the model reports, so that coverage bought by wide bands shows.
    pub fn median_width(&self) -> f64 {
        let mut sorted = self.widths.clone();
        sorted.sort_by(f64::total_cmp);
        quantile(&sorted, 0.5)
    }

    /// Adds up the coverage of several scenarios.
    pub fn sum(parts: &[Coverage]) -> Coverage {
        let mut rows: Vec<CoverageRow> = Vec::new();
        for part in parts {
            for r in &part.rows {
                match rows.iter_mut().find(|x| x.group == r.group) {
                    Some(x) => {
                        x.scored += r.scored;
                        x.inside += r.inside;
                    }
                    None => rows.push(r.clone()),
                }
            }
        }
        Coverage {
            rows,
            not_scored: parts.iter().map(|p| p.not_scored).sum(),
            widths: parts.iter().flat_map(|p| p.widths.iter().copied()).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate_between_neighbours() {
        let v = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(quantile(&v, 0.5), 3.0);
        // 0.05 × 4 = 0.2 of the way from 1 to 2.
        assert!((quantile(&v, 0.05) - 1.2).abs() < 1e-12);
        assert!((quantile(&v, 0.95) - 4.8).abs() < 1e-12);
        assert_eq!(quantile(&[1.0, f64::INFINITY], 0.5), f64::INFINITY);
        assert_eq!(quantile(&[1.0, f64::INFINITY], 0.0), 1.0);
    }
}
