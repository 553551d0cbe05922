//! Which charts a result supports, built from its files (`results`), drawn by
//! `chokepoint-plot`. `chokepoint plot` writes them; `chokepoint report` also puts them in
//! the briefing.

use std::collections::BTreeMap;

use chokepoint_plot::{
    Calendar, Chart, Comparison, Fan, FanStep, Frame, HeatRow, Heatmap, Interval, Marker, Panel, Panels,
    Period, RankBar, Ranking, Tornado, TornadoBar, ValueFormat,
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

/// Most rows a heat map shows.
const MAX_ROWS: usize = 28;

fn footnote(meta: &Meta, runs: Option<u64>) -> String {
    let runs =
        runs.map_or_else(String::new, |r| format!(" · {} runs", crate::format::format_units(r as f64)));
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

/// Most panels a small-multiples chart shows.
const MAX_PANELS: usize = 8;

/// `A`, `A and B`, `A, B and C`, or `A, B and 3 others` past `most` names.
pub fn list_names(names: &[String], most: usize) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        _ if names.len() > most => {
            format!("{} and {} others", names[..most - 1].join(", "), names.len() - (most - 1))
        }
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// `early June 2025`, `mid-June 2025`, `late June 2025`: when in its month a date falls.
pub fn part_of_month(date: jiff::civil::Date) -> String {
    let month = date.strftime("%B %Y").to_string();
    match date.day() {
        1..=10 => format!("early {month}"),
        11..=20 => format!("mid-{month}"),
        _ => format!("late {month}"),
    }
}

/// The finding of a who-runs-short chart as its title: `US car plants and EU car plants:
/// short from mid-June 2025; Japanese car plants: never short`. `short` holds display names
/// in order of first shortage, `first` the earliest first day. Colons, not verbs: a display
/// name may be singular or plural.
pub fn who_runs_short(short: &[String], first: Option<jiff::civil::Date>, never: &[String]) -> String {
    if short.is_empty() {
        return "No watched buyer runs short".to_owned();
    }
    let mut title = format!("{}: short", list_names(short, 3));
    if let Some(first) = first {
        title.push_str(&format!(" from {}", part_of_month(first)));
    }
    match never {
        [] => {}
        _ if never.len() <= 2 => title.push_str(&format!("; {}: never short", list_names(never, 2))),
        _ => title.push_str(&format!("; {} others never short", never.len())),
    }
    title
}

/// The charts of one run: who runs short and when (small multiples, one panel per watched
/// buyer that ran short, earliest first), the cascade down the chain, and the headroom.
pub fn run_charts(run: &RunData) -> Vec<Named> {
    let meta = &run.meta;
    let (periods, markers) = timeline_events(run);
    let watched = meta.watched();
    let step = run.step_days;
    // The first step with unmet demand, per watched buyer that ran short.
    let first_step = |id: &String| run.shortage.get(id)?.iter().position(|v| *v > 0.0);
    let mut short: Vec<(&String, usize)> =
        watched.iter().filter_map(|id| Some((id, first_step(id)?))).collect();
    short.sort_by_key(|&(id, first)| (first, meta.display(id).to_owned()));
    let never: Vec<String> = watched
        .iter()
        .filter(|id| !short.iter().any(|(s, _)| s == id))
        .map(|id| meta.display(id).to_owned())
        .collect();
    let first_date = short.first().map(|(id, first)| calendar(meta).date(first_short_day(run, id, *first)));
    let shown: Vec<&(&String, usize)> = short.iter().take(MAX_PANELS).collect();
    let panels: Vec<Panel> = if short.is_empty() {
        // Nobody short: the watched buyers, flat, so the chart still shows the period.
        watched.iter().take(MAX_PANELS).map(|id| panel(run, id, step, None)).collect()
    } else {
        shown.iter().map(|(id, first)| panel(run, id, step, Some(*first))).collect()
    };
    // The title speaks of final buyers when some are watched (plants are in the panels).
    let is_sink = |id: &str| meta.chain.get(id).is_some_and(|e| e.kind == "sink");
    let sinks_watched = watched.iter().any(|id| is_sink(id));
    let in_title = |id: &str| !sinks_watched || is_sink(id);
    let names: Vec<String> =
        short.iter().filter(|(id, _)| in_title(id)).map(|(id, _)| meta.display(id).to_owned()).collect();
    let never_named: Vec<String> = watched
        .iter()
        .filter(|id| in_title(id) && !short.iter().any(|(s, _)| *s == *id))
        .map(|id| meta.display(id).to_owned())
        .collect();
    let title_first = short
        .iter()
        .find(|(id, _)| in_title(id))
        .map(|(id, first)| calendar(meta).date(first_short_day(run, id, *first)));
    let mut subtitle =
        format!("Share of demand not met, per {}, one run (seed {})", per_step(step), meta.seed);
    if short.len() > MAX_PANELS {
        subtitle.push_str(&format!(
            "; the {MAX_PANELS} that ran short first are shown, {} more ran short later",
            short.len() - MAX_PANELS
        ));
    }
    let mut caption = format!(
        "One panel per watched buyer that ran short, the earliest at the top, all on the same scales: the \
         share of each {}'s demand that went unmet, in one run of the scenario as written. Shaded spans are \
         controls (or shocks) in force; dashed lines are events, labelled at the top.",
        per_step(step)
    );
    if !never.is_empty() && !short.is_empty() {
        caption.push_str(&format!(" Never short in this run, so not drawn: {}.", never.join(", ")));
    }
    let mut charts = vec![Named {
        stem: "shortage".into(),
        caption,
        section: Section::Run,
        chart: Chart::Panels(Panels {
            frame: Frame {
                title: if names.is_empty() && !short.is_empty() {
                    // Only plants ran short: say so, with the earliest.
                    let plants: Vec<String> =
                        short.iter().map(|(id, _)| meta.display(id).to_owned()).collect();
                    format!("{}; no final buyer short", who_runs_short(&plants, first_date, &[]))
                } else {
                    who_runs_short(&names, title_first, &never_named)
                },
                subtitle,
                footnote: footnote(meta, None),
            },
            calendar: calendar(meta),
            days: (0.0, f64::from(run.horizon_days.saturating_sub(1))),
            format: ValueFormat::Percent,
            y_max: 1.0,
            panels,
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
        .map(|id| HeatRow {
            label: meta.display(id).to_owned(),
            stage: stage(meta, id),
            values: run.shortage[id].clone(),
        })
        .collect();
    if !rows.is_empty() {
        charts.push(Named {
            stem: "cascade".into(),
            caption: format!(
                "The cascade: each row is a plant or a buyer, ordered down the chain from mines (top) to final \
                 demand (bottom), grouped by what it makes or buys; colour is the share of its demand not met in \
                 that column's {}. Read down the rows to see the control travel down the chain.",
                per_step(step)
            ),
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
    if let Some(headroom) = run_headroom(run) {
        charts.push(headroom);
    }
    charts
}

/// How close each watched buyer came to running out in one run: its fewest days of cover,
/// lowest first, with the input and the supplier behind it.
fn run_headroom(run: &RunData) -> Option<Named> {
    let meta = &run.meta;
    let cal = calendar(meta);
    let mut rows: Vec<(&String, &crate::results::RunHeadroom)> = meta
        .watched()
        .iter()
        .filter_map(|id| {
            let (key, kpi) = run.kpis.get_key_value(id.as_str())?;
            Some((key, kpi.headroom.as_ref()?))
        })
        .collect();
    if rows.is_empty() {
        return None;
    }
    rows.sort_by(|a, b| a.1.min_cover_days.total_cmp(&b.1.min_cover_days).then_with(|| a.0.cmp(b.0)));
    let short = |id: &str| run.kpis.get(id).is_some_and(|k| k.peak_shortage > 0.0);
    let bars = rows
        .iter()
        .map(|(id, h)| {
            let supplier = h
                .supplier
                .as_deref()
                .map_or_else(String::new, |s| format!(", most on order from {}", meta.display(s)));
            let date = h.date.parse::<jiff::civil::Date>().map(|d| cal.long(cal.day(d))).unwrap_or_default();
            RankBar {
                label: label_with_region(meta, id),
                mean: h.min_cover_days,
                low: h.min_cover_days,
                high: h.min_cover_days,
                note: format!("{} of {} on {date}{supplier}", days_text(h.min_cover_days), h.input),
            }
        })
        .collect();
    let closest = rows.iter().find(|(id, _)| !short(id));
    let title = match closest {
        Some((id, h)) => format!(
            "Closest call without a shortage: {}, down to {} of cover",
            meta.display(id),
            days_text(h.min_cover_days)
        ),
        None => "Every watched buyer ran out: how low its cover fell".to_owned(),
    };
    Some(Named {
        stem: "headroom".into(),
        caption: "Headroom: the fewest days of use each watched buyer held over the run (stock on hand plus \
                  goods in transit of the input that ran lowest, divided by its planned daily use), lowest \
                  first, with the day it was reached and the supplier holding most of its open orders then. \
                  It says how close a buyer that never ran short came to it."
            .into(),
        section: Section::Run,
        chart: Chart::Ranking(Ranking {
            frame: Frame {
                title,
                subtitle: format!(
                    "Fewest days of cover over the run, days of planned use, one run (seed {})",
                    meta.seed
                ),
                footnote: footnote(meta, None),
            },
            format: ValueFormat::Units("d".into()),
            bar: "Fewest days of cover".into(),
            whisker: String::new(),
            bars,
        }),
    })
}

/// Headroom at one sweep point: each watched buyer's fewest days of cover, median over runs
/// and the 5–95 % range, lowest median first.
fn sweep_headroom(sweep: &SweepData, p: usize) -> Option<Named> {
    let meta = &sweep.meta;
    let point = sweep.points.get(p)?;
    let mut rows: Vec<(&String, crate::results::CoverSpread, f64)> = meta
        .watched()
        .iter()
        .filter_map(|id| {
            let (key, e) = point.entities.get_key_value(id.as_str())?;
            Some((key, e.min_cover?, e.probability_short))
        })
        .collect();
    if rows.is_empty() {
        return None;
    }
    rows.sort_by(|a, b| a.1.p50.total_cmp(&b.1.p50).then_with(|| a.0.cmp(b.0)));
    let bars = rows
        .iter()
        .map(|(id, c, _)| RankBar {
            label: label_with_region(meta, id),
            mean: c.p50,
            low: c.p05,
            high: c.p95,
            note: format!("median {}; 5 % of runs below {}", days_text(c.p50), days_text(c.p05)),
        })
        .collect();
    let at = if sweep.points.len() == 1 { String::new() } else { format!(" — {}", sweep.short_label(p)) };
    let title = match rows.iter().find(|(_, _, p_short)| *p_short == 0.0) {
        Some((id, c, _)) => format!(
            "Closest call without a shortage: {}, down to {} of cover in the median run{at}",
            meta.display(id),
            days_text(c.p50)
        ),
        None => format!("Every watched buyer runs out in some run: how low cover falls{at}"),
    };
    Some(Named {
        stem: format!("headroom{}", suffix(sweep, p)),
        caption: format!(
            "Headroom over {} runs: each watched buyer's fewest days of cover in a run (stock on hand plus goods \
             in transit of the input that ran lowest, over its planned daily use); the bar is the median run, the \
             whisker the 5th to 95th percentile. Lowest first.",
            point.runs
        ),
        section: Section::Sweep,
        chart: Chart::Ranking(Ranking {
            frame: Frame {
                title,
                subtitle: "Fewest days of cover over a run, days of planned use".into(),
                footnote: footnote(meta, Some(point.runs)),
            },
            format: ValueFormat::Units("d".into()),
            bar: "Median over runs".into(),
            whisker: "5-95 % of runs".into(),
            bars,
        }),
    })
}

/// One buyer's panel: its weekly shortage, and a note of when it first ran short and its
/// worst step.
fn panel(run: &RunData, id: &String, step: f64, first: Option<usize>) -> Panel {
    let values = run.shortage.get(id).cloned().unwrap_or_default();
    let worst = values.iter().copied().fold(0.0, f64::max);
    let note = match first {
        Some(first) => format!(
            "short from {} · worst {} {}",
            calendar(&run.meta).long(first_short_day(run, id, first)),
            per_step(step),
            ValueFormat::Percent.format(worst)
        ),
        None => match run.kpis.get(id).and_then(|k| k.headroom.as_ref()) {
            Some(h) => format!("never short · fewest {} of cover", days_text(h.min_cover_days)),
            None => "never short".to_owned(),
        },
    };
    Panel {
        label: label_with_region(&run.meta, id),
        note,
        points: values.iter().enumerate().map(|(i, v)| (i as f64 * step, *v)).collect(),
    }
}

/// The first day a buyer ran short: from its KPIs (days after the first disruption) where
/// known, else the start of its first step short.
fn first_short_day(run: &RunData, id: &str, first_step: usize) -> f64 {
    match (run.kpis.get(id).and_then(|k| k.time_to_survive_days), run.first_disruption) {
        (Some(after), Some(from)) => f64::from(from + after),
        _ => first_step as f64 * run.step_days,
    }
}

/// Days of cover in words: `0.3 days`, `12 days`.
pub fn days_text(days: f64) -> String {
    if days >= 10.0 { format!("{days:.0} days") } else { format!("{days:.1} days") }
}

fn per_step(step: f64) -> String {
    match step {
        s if s <= 1.0 => "day".into(),
        7.0 => "week".into(),
        s => format!("{s} days"),
    }
}

/// An entity's display name as the scenario writes it; without one, its id with its region
/// when the id does not say it (`eu_auto (DE)`).
fn label_with_region(meta: &Meta, id: &str) -> String {
    let shown = meta.display(id);
    match meta.chain.get(id) {
        Some(e) if shown == id && !id.to_ascii_uppercase().contains(&e.region) => {
            format!("{id} ({})", e.region)
        }
        _ => shown.to_owned(),
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
    /// Events on the same day in every run (see [`shared_markers`]), drawn on the fans, the
    /// survival panels and the mean cascades.
    pub markers: &'a [Marker],
}

/// The events of `model` that happen on the same day in every run of a sweep: the start and
/// end of each export control, quota and shock whose start (and end) is a date, not drawn,
/// and whose start and end the sweep does not vary (`varied`: the swept keys). A control started by
/// escalation, or ended after a drawn length, differs from run to run and is left out.
pub fn shared_markers(model: &chokepoint_engine::Model, varied: &[String]) -> Vec<Marker> {
    use chokepoint_engine::disruption::{End, Start};
    let mut markers = Vec::new();
    for event in &model.events {
        // Sweeping its start or end moves the day; sweeping its licence review does not.
        let prefix = format!("event.{}", event.id);
        let swept = varied.iter().any(|k| {
            k == &prefix || [".start", ".end"].iter().any(|part| k.starts_with(&format!("{prefix}{part}")))
        });
        if swept || !event.action.is_disruptive() {
            continue;
        }
        let Start::Day(start) = event.start else { continue };
        markers.push(Marker { day: f64::from(start), label: format!("{} starts", event.id) });
        if let Some(End::Day(end)) = event.end {
            markers.push(Marker { day: f64::from(end), label: format!("{} ends", event.id) });
        }
    }
    markers
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
        // The first day on which half the runs or more have run short.
        let half_by = |id: &String| point.entities[id].survival.iter().position(|s| *s <= 0.5);
        let mut curves = curves;
        curves.sort_by_key(|id| {
            (
                half_by(id).unwrap_or(usize::MAX),
                std::cmp::Reverse((point.entities[*id].probability_short * 1e6) as u64),
            )
        });
        let cal = calendar(meta);
        let panels: Vec<Panel> = curves
            .iter()
            .take(MAX_PANELS)
            .map(|id| {
                let survival = &point.entities[*id].survival;
                let p_short = point.entities[*id].probability_short;
                // Weekly: the curve at the end of every 7th day, and on the last day.
                let points = survival
                    .iter()
                    .enumerate()
                    .filter(|(d, _)| *d == 0 || d % 7 == 6 || *d + 1 == survival.len())
                    .map(|(d, s)| (d as f64, *s))
                    .collect();
                let note = match half_by(id) {
                    Some(day) => format!(
                        "short in {} of runs · half by {}",
                        ValueFormat::Percent.format(p_short),
                        cal.long(day as f64)
                    ),
                    None => format!("short in {} of runs", ValueFormat::Percent.format(p_short)),
                };
                Panel { label: label_with_region(meta, id), note, points }
            })
            .collect();
        let title = match curves.first().filter(|_| !at_risk.is_empty()) {
            Some(id) => match half_by(id) {
                Some(day) => {
                    format!("{}: short in half the runs by {}{at}", meta.display(id), cal.long(day as f64))
                }
                None => format!(
                    "{}: short in {} of runs{at}",
                    meta.display(id),
                    ValueFormat::Percent.format(point.entities[*id].probability_short)
                ),
            },
            None => format!("No watched buyer runs short in any run{at}"),
        };
        let mut subtitle = "Share of runs with no shortage yet, by week".to_owned();
        if curves.len() > MAX_PANELS {
            subtitle.push_str(&format!("; {} more buyers at risk not shown", curves.len() - MAX_PANELS));
        }
        let safe: Vec<&str> = ranked.iter().filter(|(_, p)| *p == 0.0).map(|(id, _)| id.as_str()).collect();
        let mut caption = format!(
            "One panel per buyer that runs short in some run, the one that runs short soonest at the top: the share \
             of {} runs{} in which it has had no shortage yet, week by week. A panel that drops steeply means a \
             shortage is near certain by that date; where it levels off is the share of runs that never ran short.",
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
            chart: Chart::Panels(Panels {
                frame: Frame { title, subtitle, footnote: footnote(meta, runs) },
                calendar: calendar(meta),
                days: (0.0, f64::from(point.horizon_days.saturating_sub(1))),
                format: ValueFormat::Percent,
                y_max: 1.0,
                panels,
                periods: Vec::new(),
                markers: options.markers.to_vec(),
            }),
        });

        if let Some(headroom) = sweep_headroom(sweep, p) {
            charts.push(headroom);
        }

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
                label: meta.display(id).to_owned(),
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
                    markers: options.markers.to_vec(),
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
            // The finding: the worst step of the median run, or of the 95th percentile when
            // the median run is never short.
            let worst =
                |k: usize| rows.iter().max_by(|a, b| a.1[k].total_cmp(&b.1[k]).then(b.0.total_cmp(&a.0)));
            let finding = match (worst(4), worst(7)) {
                (Some((day, q)), _) if q[4] > 0.0 => format!(
                    "{}: in the median run {} of demand unmet in the week of {}{at}",
                    meta.display(id),
                    ValueFormat::Percent.format(q[4]),
                    calendar(meta).long(*day)
                ),
                (_, Some((day, q))) if q[7] > 0.0 => format!(
                    "{}: the median run is never short; 1 run in 20 loses {} in the week of {}{at}",
                    meta.display(id),
                    ValueFormat::Percent.format(q[7]),
                    calendar(meta).long(*day)
                ),
                _ => format!("{}: never short{at}", meta.display(id)),
            };
            let steps = rows
                .iter()
                .map(|(day, q)| FanStep { day: *day, q: [q[1], q[2], q[3], q[4], q[5], q[6], q[7]] })
                .collect();
            let e = point.entities.get(id);
            charts.push(Named {
                stem: format!("fan-{id}{sfx}"),
                caption: format!(
                    "{}: the median share of demand not met (line) and the bands holding 50, 80 and 90 % of {} runs. \
                     P(short at some point) = {}.",
                    meta.display(id),
                    point.runs,
                    e.map_or_else(|| "-".into(), |e| ValueFormat::Percent.format(e.probability_short))
                ),
                section: Section::Sweep,
                chart: Chart::Fan(Fan {
                    frame: Frame {
                        title: finding,
                        subtitle: format!("Share of demand not met, per {}; bands over runs", per_step(sweep.step_days)),
                        footnote: footnote(meta, runs),
                    },
                    calendar: calendar(meta),
                    format: ValueFormat::Percent,
                    y_max: None,
                    steps,
                    markers: options.markers.to_vec(),
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
    let mut bar_ids = Vec::new();
    for id in watched {
        let values: Vec<(usize, f64)> =
            (0..sweep.points.len()).filter_map(|p| Some((p, mean(p, id)?))).collect();
        let Some(&(lo_p, lo)) = values.iter().min_by(|a, b| a.1.total_cmp(&b.1)) else { continue };
        let Some(&(hi_p, hi)) = values.iter().max_by(|a, b| a.1.total_cmp(&b.1)) else { continue };
        if hi - lo <= 0.0 {
            continue;
        }
        bar_ids.push(id);
        bars.push(TornadoBar {
            label: sweep.meta.display(id).to_owned(),
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
            [_] => mean(0, bar_ids[0]).map(|v| (v, format!("point 0 ({})", sweep.short_label(0)))),
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
        // A setting with one value was not varied: no bar.
        for (key, values) in sweep.grid.iter().filter(|(_, values)| values.len() > 1) {
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
                label: crate::results::pretty_setting(key, ""),
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
            label: b.meta.display(id).to_owned(),
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
                title: match rows.first() {
                    // Rows are sorted by median change, the worst first.
                    Some(worst) if worst.q[2] < 0.0 => format!(
                        "With {name_b} instead of {name_a}, {} loses most: {} of its fill rate in the median run",
                        worst.label,
                        ValueFormat::PercentPoints.format(-worst.q[2]).trim_start_matches('+')
                    ),
                    _ => format!("What changes with {name_b} instead of {name_a}"),
                },
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

#[cfg(test)]
mod marker_and_title_tests {
    use super::*;
    use chokepoint_engine::disruption::{Action, CapacityShock, End, Event, Start};
    use chokepoint_engine::{Dist, FacilityId, Model};

    fn shock(id: &str, start: Start, end: Option<End>) -> Event {
        Event {
            id: id.into(),
            start,
            end,
            action: Action::Capacity(CapacityShock {
                facilities: vec![FacilityId(0)],
                remaining: Dist::Const(0.0),
                recovery: Dist::Const(0.0),
            }),
        }
    }

    #[test]
    fn only_events_on_the_same_day_in_every_run_mark_a_sweep() {
        let mut model = Model::default();
        model.events.push(shock("fixed", Start::Day(10), Some(End::Day(40))));
        model.events.push(shock("drawn-end", Start::Day(5), Some(End::After(Dist::Const(9.0)))));
        model.events.push(shock(
            "escalated",
            Start::After { event: chokepoint_engine::EventId(0), delay: Dist::Const(3.0) },
            None,
        ));
        model.events.push(shock("swept", Start::Day(20), None));
        let varied = ["event.swept.start".to_owned(), "event.fixed.licence.review".to_owned()];
        let labels: Vec<(f64, String)> =
            shared_markers(&model, &varied).into_iter().map(|m| (m.day, m.label)).collect();
        assert_eq!(
            labels,
            [
                (10.0, "fixed starts".to_owned()),
                (40.0, "fixed ends".to_owned()),
                (5.0, "drawn-end starts".to_owned()),
            ]
        );
    }

    #[test]
    fn titles_name_who_is_short_from_when_with_colons() {
        let names = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let june = jiff::civil::date(2025, 6, 14);
        assert_eq!(
            who_runs_short(
                &names(&["US car plants", "EU car plants"]),
                Some(june),
                &names(&["Japanese car plants"])
            ),
            "US car plants and EU car plants: short from mid-June 2025; Japanese car plants: never short"
        );
        assert_eq!(
            who_runs_short(
                &names(&["A", "B", "C", "D", "E"]),
                Some(jiff::civil::date(2025, 6, 30)),
                &names(&["F", "G", "H"])
            ),
            "A, B and 3 others: short from late June 2025; 3 others never short"
        );
        assert_eq!(who_runs_short(&[], None, &names(&["A"])), "No watched buyer runs short");
        assert_eq!(part_of_month(jiff::civil::date(2025, 4, 1)), "early April 2025");
    }
}
