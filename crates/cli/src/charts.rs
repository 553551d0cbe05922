//! Which charts a result supports, built from its files (`results`), drawn by
//! `chokepoint-plot`. `chokepoint plot` writes them; `chokepoint report` also puts them in
//! the briefing.

use std::collections::BTreeMap;

use chokepoint_plot::{
    Calendar, Chart, Comparison, Fan, FanStep, Frame, HeatRow, Heatmap, Interval, Line, Marker, Period,
    Timeline, Tornado, TornadoBar, ValueFormat,
};

use crate::results::{Meta, RunData, SweepData};

/// A chart with its file stem and a caption for the report.
#[derive(Clone)]
pub struct Named {
    /// File name without extension (`shortage`, `fan-us_auto-p1`).
    pub stem: String,
    /// One or two sentences saying how to read it.
    pub caption: String,
    /// Which part of the report it belongs to.
    pub section: Section,
    /// The chart.
    pub chart: Chart,
}

/// Report sections, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Section {
    /// One run, as the scenario is written.
    Run,
    /// Monte Carlo distributions at each point.
    Sweep,
    /// Differences between points, or between two scenarios.
    Compare,
    /// Single points of failure (`chokepoint rank`).
    Rank,
    /// The model against what really happened (`chokepoint backtest`).
    History,
}

/// Most rows a heat map shows, and most lines on one line chart.
const MAX_ROWS: usize = 28;
const MAX_LINES: usize = 10;

fn footnote(meta: &Meta, runs: Option<u64>) -> String {
    let runs = runs.map_or_else(String::new, |r| format!(" · {} runs", crate::table::format_units(r as f64)));
    let file = if meta.file.is_empty() { String::new() } else { format!(" ({})", meta.file) };
    format!("Scenario: {}{file} · seed {}{runs} · chokepoint {}", meta.scenario, meta.seed, meta.version)
}

fn calendar(meta: &Meta) -> Calendar {
    Calendar::new(meta.start)
}

/// Entities ordered down the chain: by tier, then product, then id. Unknown entities last.
fn down_the_chain<'a>(meta: &Meta, ids: impl Iterator<Item = &'a String>) -> Vec<&'a String> {
    let mut ids: Vec<&String> = ids.collect();
    ids.sort_by_key(|id| {
        let e = meta.chain.get(*id);
        (e.map_or(u32::MAX, |e| e.tier), stage(meta, id), (*id).clone())
    });
    ids
}

/// The group a heat-map row belongs to: what a plant makes, or `buyers of` what final demand
/// buys.
fn stage(meta: &Meta, id: &str) -> String {
    match meta.chain.get(id) {
        Some(e) if e.kind == "sink" => format!("buyers of {}", e.product),
        Some(e) => e.product.clone(),
        None => String::new(),
    }
}

/// Shaded periods and labelled markers from a run's timeline.
fn timeline_events(run: &RunData) -> (Vec<Period>, Vec<Marker>) {
    let mut periods = Vec::new();
    let mut open: BTreeMap<(String, &str), u32> = BTreeMap::new();
    let mut markers = Vec::new();
    let mut licensed: Vec<&str> = Vec::new();
    let mut released: Vec<&str> = Vec::new();
    let end = run.horizon_days as f64;
    for e in &run.events {
        let subject = e.subject.as_str();
        let (open_kind, close_kind, what) = match e.kind.as_str() {
            "control_started" | "control_resumed" => (Some("control"), None, "export control"),
            "control_ended" | "control_suspended" => (None, Some("control"), "export control"),
            "quota_started" => (Some("quota"), None, "quota"),
            "quota_ended" => (None, Some("quota"), "quota"),
            "shock_started" => (Some("shock"), None, "shock"),
            "shock_ended" => (None, Some("shock"), "shock"),
            _ => (None, None, ""),
        };
        if let Some(kind) = open_kind {
            open.entry((subject.to_owned(), kind)).or_insert(e.day);
        }
        if let Some(kind) = close_kind
            && let Some(from) = open.remove(&(subject.to_owned(), kind))
        {
            periods.push(Period {
                from: f64::from(from),
                to: f64::from(e.day),
                label: format!("{what} {subject} in force"),
            });
        }
        let label = match e.kind.as_str() {
            "control_announced" => Some(format!("{subject} announced")),
            "control_started" => Some(format!("{subject} starts")),
            "control_ended" => Some(format!("{subject} ends")),
            "control_suspended" => Some(format!("{subject} suspended")),
            "control_resumed" => Some(format!("{subject} resumes")),
            "quota_started" => Some(format!("quota {subject}")),
            "quota_ended" => Some(format!("quota {subject} ends")),
            "licence_granted" if !licensed.contains(&subject) => {
                licensed.push(subject);
                Some(format!("first licence ({subject})"))
            }
            "facility_online" => Some(format!("{subject} online")),
            "stockpile_released" if !released.contains(&subject) => {
                released.push(subject);
                Some(format!("{subject} released"))
            }
            "shock_started" => Some(format!("shock: {subject}")),
            _ => None,
        };
        if let Some(label) = label {
            let secondary = !e.kind.as_str().starts_with("control") && !e.kind.as_str().starts_with("quota");
            markers.push((secondary, Marker { day: f64::from(e.day), label }));
        }
    }
    // Controls and quotas get label room first (a stable sort keeps time order within each).
    markers.sort_by_key(|(secondary, _)| *secondary);
    let markers: Vec<Marker> = markers.into_iter().map(|(_, marker)| marker).collect();
    for ((subject, kind), from) in open {
        let what = match kind {
            "control" => "export control",
            other => other,
        };
        periods.push(Period { from: f64::from(from), to: end, label: format!("{what} {subject} in force") });
    }
    periods.sort_by(|a, b| a.from.total_cmp(&b.from));
    (periods, markers)
}

/// The charts of one run: shortage over time of the watched buyers, and the cascade.
pub fn run_charts(run: &RunData) -> Vec<Named> {
    let meta = &run.meta;
    let (periods, markers) = timeline_events(run);
    let watched = meta.watched();
    let short: Vec<&String> =
        watched.iter().filter(|id| run.kpis.get(*id).is_some_and(|k| k.peak_shortage > 0.0)).collect();
    let shown: Vec<&String> = if short.is_empty() { watched.iter().collect() } else { short.clone() };
    let step = run.step_days;
    let lines: Vec<Line> = shown
        .iter()
        .take(MAX_LINES)
        .filter_map(|id| {
            let values = run.shortage.get(*id)?;
            let points = values.iter().enumerate().map(|(i, v)| (i as f64 * step, *v)).collect();
            Some(Line { label: label_with_region(meta, id), points })
        })
        .collect();
    let never: Vec<&str> = watched.iter().filter(|id| !short.contains(id)).map(String::as_str).collect();
    let mut caption = format!(
        "Share of each week's demand that went unmet, in one run of the scenario as written (seed {}). \
         Shaded spans are controls (or shocks) in force; dashed lines are events, labelled at the top.",
        meta.seed
    );
    if !never.is_empty() && !short.is_empty() {
        caption.push_str(&format!(" Never short in this run, so not drawn: {}.", never.join(", ")));
    }
    let mut charts = vec![Named {
        stem: "shortage".into(),
        caption,
        section: Section::Run,
        chart: Chart::Timeline(Timeline {
            frame: Frame {
                title: if short.is_empty() {
                    "No watched buyer runs short in this run".into()
                } else {
                    format!("Who runs short, and when: {} of {} watched buyers", short.len(), watched.len())
                },
                subtitle: format!("Share of demand not met, per {}, one run", per_step(step)),
                footnote: footnote(meta, None),
            },
            calendar: calendar(meta),
            days: (0.0, f64::from(run.horizon_days.saturating_sub(1))),
            format: ValueFormat::Percent,
            y_max: Some(1.0),
            lines,
            periods: periods.clone(),
            markers: markers.clone(),
        }),
    }];

    // The cascade: every entity that ran short, plus the watched ones, down the chain.
    let ever_short = run.shortage.iter().filter(|(_, v)| v.iter().any(|x| *x > 0.0)).map(|(id, _)| id);
    let mut ids: Vec<&String> =
        ever_short.chain(watched.iter().filter(|id| run.shortage.contains_key(*id))).collect();
    ids.sort();
    ids.dedup();
    if ids.len() > MAX_ROWS {
        ids.retain(|id| run.shortage[*id].iter().any(|x| *x > 0.0));
        ids.truncate(MAX_ROWS);
    }
    let rows: Vec<HeatRow> = down_the_chain(meta, ids.into_iter())
        .into_iter()
        .map(|id| HeatRow { label: id.clone(), stage: stage(meta, id), values: run.shortage[id].clone() })
        .collect();
    if !rows.is_empty() {
        charts.push(Named {
            stem: "cascade".into(),
            caption:
                "The cascade: each row is a plant or a buyer, ordered down the chain from mines (top) to \
                      final demand (bottom), grouped by what it makes or buys; colour is the share of its \
                      demand not met that day. Read down the rows to see the control travel down the chain."
                    .into(),
            section: Section::Run,
            chart: Chart::Heatmap(Heatmap {
                frame: Frame {
                    title: "How the disruption travels down the chain".into(),
                    subtitle: format!("Share of demand not met, per {}, one run", per_step(step)),
                    footnote: footnote(meta, None),
                },
                calendar: calendar(meta),
                step_days: step,
                colour_label: "Share of demand not met".into(),
                rows,
                markers,
            }),
        });
    }
    charts
}

fn per_step(step: f64) -> String {
    match step {
        s if s <= 1.0 => "day".into(),
        7.0 => "week".into(),
        s => format!("{s} days"),
    }
}

fn label_with_region(meta: &Meta, id: &str) -> String {
    match meta.chain.get(id) {
        Some(e) if !id.to_ascii_uppercase().contains(&e.region) => format!("{id} ({})", e.region),
        _ => id.to_owned(),
    }
}

/// Suffix of a point's chart files: none when the sweep has one point.
fn suffix(sweep: &SweepData, point: usize) -> String {
    if sweep.points.len() == 1 { String::new() } else { format!("-p{point}") }
}

/// Options for sweep charts.
pub struct SweepOptions<'a> {
    /// Fan charts for these entities (empty: every watched entity that may run short).
    pub entities: &'a [String],
    /// Points to draw (`None`: all).
    pub points: Option<&'a [usize]>,
    /// Most fan charts per point.
    pub max_fans: usize,
}

/// The charts of a sweep: per point survival curves, a mean cascade and fan charts; across
/// points a tornado and paired comparisons with point 0.
pub fn sweep_charts(sweep: &SweepData, options: &SweepOptions<'_>) -> Vec<Named> {
    let meta = &sweep.meta;
    let watched = meta.watched();
    let mut charts = Vec::new();
    let all: Vec<usize> = (0..sweep.points.len()).collect();
    let points = options.points.unwrap_or(&all);
    for &p in points {
        let Some(point) = sweep.points.get(p) else { continue };
        let sfx = suffix(sweep, p);
        let at =
            if sweep.points.len() == 1 { String::new() } else { format!(" — {}", sweep.short_label(p)) };
        let runs = Some(point.runs);

        // Survival curves.
        let mut ranked: Vec<(&String, f64)> = watched
            .iter()
            .filter_map(|id| point.entities.get(id).map(|e| (id, e.probability_short)))
            .collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        let at_risk: Vec<&String> = ranked.iter().filter(|(_, p)| *p > 0.0).map(|(id, _)| *id).collect();
        let curves: Vec<&String> =
            if at_risk.is_empty() { ranked.iter().map(|(id, _)| *id).collect() } else { at_risk.clone() };
        let lines: Vec<Line> = curves
            .iter()
            .take(MAX_LINES)
            .map(|id| {
                let survival = &point.entities[*id].survival;
                Line {
                    label: label_with_region(meta, id),
                    points: survival.iter().enumerate().map(|(d, s)| (d as f64, *s)).collect(),
                }
            })
            .collect();
        let safe: Vec<&str> = ranked.iter().filter(|(_, p)| *p == 0.0).map(|(id, _)| id.as_str()).collect();
        let mut caption = format!(
            "Probability that each buyer has had no shortage yet, by date, over {} runs{}. A curve that drops \
             steeply means a shortage is near certain by that date; where it levels off is the share of runs \
             that never ran short.",
            point.runs,
            if at.is_empty() { String::new() } else { format!(" at {}", sweep.label(p)) }
        );
        if !safe.is_empty() && !at_risk.is_empty() {
            caption.push_str(&format!(" Never short in any run, so not drawn: {}.", safe.join(", ")));
        }
        charts.push(Named {
            stem: format!("survival{sfx}"),
            caption,
            section: Section::Sweep,
            chart: Chart::Timeline(Timeline {
                frame: Frame {
                    title: format!("How long each buyer holds out{at}"),
                    subtitle: "Probability of no shortage yet, by date, %".into(),
                    footnote: footnote(meta, runs),
                },
                calendar: calendar(meta),
                days: (0.0, f64::from(point.horizon_days.saturating_sub(1))),
                format: ValueFormat::Percent,
                y_max: Some(1.0),
                lines,
                periods: Vec::new(),
                markers: Vec::new(),
            }),
        });

        // Mean cascade.
        let ids: Vec<&String> = meta
            .chain
            .keys()
            .filter(|id| {
                sweep
                    .bands
                    .get(&(p, (*id).clone(), "shortage_fraction".into()))
                    .is_some_and(|rows| rows.iter().any(|r| r.1[0] > 0.0) || watched.contains(*id))
            })
            .collect();
        let rows: Vec<HeatRow> = down_the_chain(meta, ids.into_iter())
            .into_iter()
            .take(MAX_ROWS)
            .map(|id| HeatRow {
                label: id.clone(),
                stage: stage(meta, id),
                values: sweep.bands[&(p, id.clone(), "shortage_fraction".into())]
                    .iter()
                    .map(|r| r.1[0])
                    .collect(),
            })
            .collect();
        if !rows.is_empty() {
            charts.push(Named {
                stem: format!("cascade{sfx}"),
                caption: format!(
                    "The cascade on average over {} runs: rows down the chain from mines to final demand, colour the \
                     mean share of demand not met.",
                    point.runs
                ),
                section: Section::Sweep,
                chart: Chart::Heatmap(Heatmap {
                    frame: Frame {
                        title: format!("How the disruption travels down the chain, on average{at}"),
                        subtitle: format!("Mean share of demand not met over runs, per {}", per_step(sweep.step_days)),
                        footnote: footnote(meta, runs),
                    },
                    calendar: calendar(meta),
                    step_days: sweep.step_days,
                    colour_label: "Mean share of demand not met".into(),
                    rows,
                    markers: Vec::new(),
                }),
            });
        }

        // Fans.
        let fan_ids: Vec<&String> = if options.entities.is_empty() {
            ranked.iter().filter(|(_, p)| *p > 0.0).map(|(id, _)| *id).take(options.max_fans).collect()
        } else {
            options.entities.iter().collect()
        };
        for id in fan_ids {
            let Some(rows) = sweep.bands.get(&(p, id.clone(), "shortage_fraction".into())) else { continue };
            let steps = rows
                .iter()
                .map(|(day, q)| FanStep { day: *day, q: [q[1], q[2], q[3], q[4], q[5], q[6], q[7]] })
                .collect();
            let e = point.entities.get(id);
            charts.push(Named {
                stem: format!("fan-{id}{sfx}"),
                caption: format!(
                    "{id}: the median share of demand not met (line) and the bands holding 50, 80 and 90 % of {} runs. \
                     P(short at some point) = {}.",
                    point.runs,
                    e.map_or_else(|| "-".into(), |e| ValueFormat::Percent.format(e.probability_short))
                ),
                section: Section::Sweep,
                chart: Chart::Fan(Fan {
                    frame: Frame {
                        title: format!("Shortage at {}{at}: the range of outcomes", label_with_region(meta, id)),
                        subtitle: format!("Share of demand not met, per {}; bands over runs", per_step(sweep.step_days)),
                        footnote: footnote(meta, runs),
                    },
                    calendar: calendar(meta),
                    format: ValueFormat::Percent,
                    y_max: None,
                    steps,
                    markers: Vec::new(),
                    observed: Vec::new(),
                    observed_label: String::new(),
                }),
            });
        }
    }
    if sweep.points.len() > 1 {
        charts.extend(tornado(sweep, &watched));
        for k in 1..sweep.points.len() {
            if let Some(c) = comparison(sweep, 0, sweep, k, &watched, true) {
                charts.push(c);
            }
        }
    }
    charts
}

/// Swing of each watched buyer's mean fill rate across the sweep points; with two or more
/// swept keys also the swing of the average fill rate across each key's values.
fn tornado(sweep: &SweepData, watched: &[String]) -> Vec<Named> {
    let meta = &sweep.meta;
    let mut out = Vec::new();
    let mean = |p: usize, id: &str| sweep.points[p].entities.get(id).map(|e| e.fill_rate_mean);
    let mut bars = Vec::new();
    for id in watched {
        let values: Vec<(usize, f64)> =
            (0..sweep.points.len()).filter_map(|p| Some((p, mean(p, id)?))).collect();
        let Some(&(lo_p, lo)) = values.iter().min_by(|a, b| a.1.total_cmp(&b.1)) else { continue };
        let Some(&(hi_p, hi)) = values.iter().max_by(|a, b| a.1.total_cmp(&b.1)) else { continue };
        if hi - lo <= 0.0 {
            continue;
        }
        bars.push(TornadoBar {
            label: id.clone(),
            low: lo,
            high: hi,
            low_note: format!("({})", sweep.short_label(lo_p)),
            high_note: format!("({})", sweep.short_label(hi_p)),
        });
    }
    if !bars.is_empty() {
        // A reference line (point 0) only with a single bar: with several buyers it would
        // stand for a different value on each bar.
        let base = match bars.as_slice() {
            [only] => mean(0, &only.label).map(|v| (v, format!("point 0 ({})", sweep.short_label(0)))),
            _ => None,
        };
        out.push(Named {
            stem: "tornado".into(),
            caption: format!(
                "How much each buyer's fill rate (share of its demand met over the horizon, mean of {} runs) swings \
                 across the sweep, largest swing on top; the ends of each bar say which setting gives them. \
                 Buyers whose fill rate does not move are left out.",
                sweep.runs
            ),
            section: Section::Compare,
            chart: Chart::Tornado(Tornado {
                frame: Frame {
                    title: "Whose supply depends most on the swept settings".into(),
                    subtitle: "Fill rate over the horizon (mean over runs), lowest and highest across the sweep, %".into(),
                    footnote: footnote(meta, Some(sweep.runs)),
                },
                format: ValueFormat::Percent,
                base,
                bars,
            }),
        });
    }
    if sweep.grid.len() >= 2 {
        let average = |p: usize| {
            let v: Vec<f64> = watched.iter().filter_map(|id| mean(p, id)).collect();
            if v.is_empty() { None } else { Some(v.iter().sum::<f64>() / v.len() as f64) }
        };
        let mut bars = Vec::new();
        for (key, values) in &sweep.grid {
            let mut by_value: Vec<(String, f64)> = Vec::new();
            for value in values {
                let at: Vec<f64> = (0..sweep.points.len())
                    .filter(|p| sweep.points[*p].settings.iter().any(|(k, v)| k == key && v == value))
                    .filter_map(average)
                    .collect();
                if !at.is_empty() {
                    by_value.push((value.clone(), at.iter().sum::<f64>() / at.len() as f64));
                }
            }
            let Some(lo) = by_value.iter().min_by(|a, b| a.1.total_cmp(&b.1)) else { continue };
            let Some(hi) = by_value.iter().max_by(|a, b| a.1.total_cmp(&b.1)) else { continue };
            bars.push(TornadoBar {
                label: key.clone(),
                low: lo.1,
                high: hi.1,
                low_note: format!("({})", lo.0),
                high_note: format!("({})", hi.0),
            });
        }
        if !bars.is_empty() {
            out.push(Named {
                stem: "tornado-parameters".into(),
                caption: "Which swept setting matters most: the watched buyers' average fill rate at each value of a \
                          setting (averaged over the other settings), lowest to highest."
                    .into(),
                section: Section::Compare,
                chart: Chart::Tornado(Tornado {
                    frame: Frame {
                        title: "Which setting moves supply most".into(),
                        subtitle: "Average fill rate of the watched buyers, by value of each swept setting, %".into(),
                        footnote: footnote(meta, Some(sweep.runs)),
                    },
                    format: ValueFormat::Percent,
                    base: average(0).map(|v| (v, format!("point 0 ({})", sweep.short_label(0)))),
                    bars,
                }),
            });
        }
    }
    out
}

/// Nearest-rank quantile of sorted values (rank ceil(q × n), as in summary.json).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// Paired difference B − A of each watched buyer's fill rate, run by run (the same seeds,
/// so the difference is the setting's and not noise). `same_sweep`: A and B are points of
/// one sweep, named by their settings; otherwise two sweeps, named by their scenarios.
/// `None` without paired runs.
pub fn comparison(
    a: &SweepData,
    pa: usize,
    b: &SweepData,
    pb: usize,
    watched: &[String],
    same_sweep: bool,
) -> Option<Named> {
    let mut rows = Vec::new();
    let mut pairs = 0;
    for id in watched {
        let (Some(ra), Some(rb)) = (a.fill_rates.get(&(pa, id.clone())), b.fill_rates.get(&(pb, id.clone())))
        else {
            continue;
        };
        let mut d: Vec<f64> = ra.iter().filter_map(|(run, x)| Some(rb.get(run)? - x)).collect();
        if d.is_empty() {
            continue;
        }
        pairs = pairs.max(d.len());
        d.sort_by(f64::total_cmp);
        rows.push(Interval {
            label: id.clone(),
            q: [
                quantile(&d, 0.05),
                quantile(&d, 0.25),
                quantile(&d, 0.5),
                quantile(&d, 0.75),
                quantile(&d, 0.95),
            ],
        });
    }
    if rows.is_empty() {
        return None;
    }
    rows.sort_by(|x, y| x.q[2].total_cmp(&y.q[2]).then_with(|| x.label.cmp(&y.label)));
    let (name_a, name_b, stem) = if same_sweep {
        (a.short_label(pa), b.short_label(pb), format!("compare-p{pb}-vs-p{pa}"))
    } else {
        (a.meta.scenario.clone(), b.meta.scenario.clone(), "versus".to_owned())
    };
    Some(Named {
        stem,
        caption: format!(
            "B = {} against A = {}: for each buyer, the change in fill rate run by run ({pairs} pairs of runs with \
             the same random numbers), as the median (black), the middle 50 % (box) and 90 % (line) of runs. \
             Left of zero B is worse for that buyer.",
            if same_sweep { b.label(pb) } else { name_b.clone() },
            if same_sweep { a.label(pa) } else { name_a.clone() },
        ),
        section: Section::Compare,
        chart: Chart::Comparison(Comparison {
            frame: Frame {
                title: format!("What changes with {name_b} instead of {name_a}"),
                subtitle: "Change in fill rate (share of demand met) per buyer, B minus A, same runs, percentage points"
                    .into(),
                footnote: footnote(&a.meta, Some(pairs as u64)),
            },
            format: ValueFormat::PercentPoints,
            sides: (format!("worse with {name_b}"), format!("better with {name_b}")),
            rows,
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::quantile;

    #[test]
    fn nearest_rank_quantiles() {
        let v: Vec<f64> = (1..=20).map(f64::from).collect();
        // rank ceil(0.05 × 20) = 1, ceil(0.5 × 20) = 10, ceil(0.95 × 20) = 19.
        assert_eq!(quantile(&v, 0.05), 1.0);
        assert_eq!(quantile(&v, 0.5), 10.0);
        assert_eq!(quantile(&v, 0.95), 19.0);
        assert_eq!(quantile(&[], 0.5), 0.0);
    }
}
