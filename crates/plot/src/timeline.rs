//! Values over calendar time, and the date axis, event markers and shaded periods that the
//! fan chart and the heat map share.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::axis::Axis;
use crate::layout::{self, Key, draw_err};
use crate::style::{self, Scale};
use crate::{Calendar, Marker, Period, PlotError, Timeline, ValueFormat};

/// A chart with days across (ticks on month starts) and values up.
pub(crate) type DateChart<'a, DB> = ChartContext<'a, DB, Cartesian2d<Axis, Axis>>;

/// Tick positions (days) and their labels.
pub(crate) type Ticks = Vec<(f64, String)>;

/// An event label placed in its lane: text, x of its line, anchor, baseline, span.
type Placed = (String, i32, HPos, i32, (i32, i32));

/// Lanes of event labels above the plot.
pub(crate) const LABEL_LANES: usize = 3;

/// Builds the axes of a date chart on `area`: `days` across with month ticks, `y` up, room
/// above for [`LABEL_LANES`] lanes of event labels when `labels` is set.
pub(crate) fn date_chart<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    calendar: &Calendar,
    days: (f64, f64),
    y: Axis,
    y_label_width: f64,
    labels: bool,
    scale: Scale,
) -> Result<(DateChart<'a, DB>, Ticks), PlotError> {
    let ticks = calendar.ticks(days.0, days.1, 13);
    let positions: Vec<f64> = ticks.iter().map(|t| t.0).collect();
    let lane = scale.small().font.get_size() * 1.35;
    let top = if labels { lane * LABEL_LANES as f64 + scale.size(12.0) } else { scale.size(16.0) };
    let chart = ChartBuilder::on(area)
        .margin_top(top as i32)
        .margin_right(scale.size(36.0) as i32)
        .x_label_area_size(scale.size(64.0) as i32)
        .y_label_area_size(scale.size(y_label_width) as i32)
        .build_cartesian_2d(Axis::new(days.0, days.1, positions), y)
        .map_err(draw_err)?;
    Ok((chart, ticks))
}

/// Draws the mesh of a date chart: month lines and labels across, value lines up (with
/// `rows`: labels at the y axis' key points and no horizontal lines).
pub(crate) fn date_mesh<DB: DrawingBackend>(
    chart: &mut DateChart<'_, DB>,
    ticks: &[(f64, String)],
    y_labels: usize,
    rows: bool,
    y_format: &dyn Fn(&f64) -> String,
    scale: Scale,
) -> Result<(), PlotError> {
    let x_format = |day: &f64| {
        ticks.iter().find(|(t, _)| (t - day).abs() < 0.5).map(|(_, l)| l.clone()).unwrap_or_default()
    };
    let mut mesh = chart.configure_mesh();
    if rows {
        // Rows (the heat map): labels at row centres, no lines through them.
        mesh.disable_y_mesh();
    }
    mesh.bold_line_style(style::GRID.stroke_width(scale.line(1.5)))
        .light_line_style(TRANSPARENT)
        .axis_style(style::INK.stroke_width(scale.line(2.0)))
        .set_all_tick_mark_size(scale.size(8.0) as i32)
        .label_style(scale.label())
        .x_labels(ticks.len().max(2))
        .y_labels(y_labels)
        .x_label_formatter(&x_format)
        .y_label_formatter(y_format)
        .draw()
        .map_err(draw_err)
}

/// Shades each period over the full height `y` of the chart.
pub(crate) fn draw_periods<DB: DrawingBackend>(
    chart: &mut DateChart<'_, DB>,
    periods: &[Period],
    y: (f64, f64),
) -> Result<(), PlotError> {
    let range = chart.x_range();
    let (lo, hi) = (range.start, range.end);
    let shown: Vec<&Period> = periods.iter().filter(|p| p.to > lo && p.from < hi).collect();
    chart
        .draw_series(
            shown.iter().map(|p| {
                Rectangle::new([(p.from.max(lo), y.0), (p.to.min(hi), y.1)], style::PERIOD.filled())
            }),
        )
        .map_err(draw_err)?;
    // Each span's edges, so that one inside another still shows where it starts and ends.
    for p in shown {
        for edge in [p.from, p.to] {
            if edge > lo && edge < hi {
                chart
                    .draw_series(LineSeries::new(
                        [(edge, y.0), (edge, y.1)],
                        style::PERIOD_EDGE.stroke_width(1),
                    ))
                    .map_err(draw_err)?;
            }
        }
    }
    Ok(())
}

/// Draws a dashed line at each marker and its label (`4 Apr: ban starts`) in the lanes above
/// the plot, so that no two labels overlap and none covers data.
pub(crate) fn draw_markers<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &mut DateChart<'_, DB>,
    calendar: &Calendar,
    markers: &[Marker],
    y: (f64, f64),
    scale: Scale,
) -> Result<(), PlotError> {
    let range = chart.x_range();
    let (lo, hi) = (range.start, range.end);
    // In the caller's order: markers listed first get label lanes first.
    let shown: Vec<&Marker> = markers.iter().filter(|m| m.day >= lo && m.day <= hi).collect();
    let dash = scale.size(10.0) as i32;
    for m in &shown {
        chart
            .draw_series(DashedLineSeries::new(
                [(m.day, y.0), (m.day, y.1)],
                dash,
                dash,
                style::MARKER.stroke_width(scale.line(2.5)),
            ))
            .map_err(draw_err)?;
    }
    let style = scale.small();
    let (right_edge, top) = {
        let (x, y_top) = chart.backend_coord(&(hi, y.1));
        (x, y_top)
    };
    let pad = scale.size(6.0) as i32;
    let mut spans = Vec::with_capacity(shown.len());
    let mut texts = Vec::with_capacity(shown.len());
    for m in &shown {
        let text = format!("{}: {}", short_date(calendar, m.day), m.label);
        let (w, _) = layout::text_size(root, &text, &style)?;
        let (x, _) = chart.backend_coord(&(m.day, y.1));
        // Labels run right of their line, or left of it near the right edge.
        let (start, anchor) = if x + pad + w as i32 > right_edge {
            (x - pad - w as i32, HPos::Right)
        } else {
            (x + pad, HPos::Left)
        };
        spans.push((start - pad, start + w as i32 + pad));
        texts.push((text, x, anchor));
    }
    let lanes = layout::lanes(&spans, LABEL_LANES);
    let lane_height = (style.font.get_size() * 1.35) as i32;
    // (text, line x, anchor, baseline, span)
    let placed: Vec<Placed> = texts
        .into_iter()
        .zip(lanes)
        .zip(spans)
        .filter_map(|(((text, x, anchor), lane), span)| {
            let baseline = top - scale.size(6.0) as i32 - lane_height * (LABEL_LANES - 1 - lane?) as i32;
            Some((text, x, anchor, baseline, span))
        })
        .collect();
    // Ticks join each label to its line; labels go on top, on a white ground, so that a
    // tick passing behind a label never strikes through it.
    for (_, x, _, baseline, _) in &placed {
        root.draw(&PathElement::new(
            vec![(*x, baseline - lane_height / 2), (*x, top)],
            style::MARKER.stroke_width(scale.line(1.5)),
        ))
        .map_err(draw_err)?;
    }
    for (text, x, anchor, baseline, (start, end)) in &placed {
        let px = if matches!(anchor, HPos::Left) { x + pad } else { x - pad };
        root.draw(&Rectangle::new(
            [(start + pad / 2, baseline - lane_height + pad / 2), (end - pad / 2, *baseline + pad / 2)],
            WHITE.filled(),
        ))
        .map_err(draw_err)?;
        root.draw_text(text, &style.pos(Pos::new(*anchor, VPos::Bottom)), (px, *baseline))
            .map_err(draw_err)?;
    }
    Ok(())
}

/// `4 Apr` (with the year when the chart spans more than one, `4 Apr 2025`).
fn short_date(calendar: &Calendar, day: f64) -> String {
    let long = calendar.long(day);
    match long.rsplit_once(' ') {
        Some((day_month, _)) if calendar.date(0.0).year() == calendar.date(day).year() => {
            day_month.to_owned()
        }
        _ => long,
    }
}

/// Legend entries for shaded periods (one per distinct label) and for the markers.
pub(crate) fn period_and_marker_keys(periods: &[Period], markers: &[Marker]) -> Vec<(String, Key)> {
    let mut keys: Vec<(String, Key)> = Vec::new();
    let mut labels: Vec<&str> = Vec::new();
    for p in periods {
        if !labels.contains(&p.label.as_str()) {
            labels.push(&p.label);
        }
    }
    // One swatch for all shaded spans (they share one grey): their names after it.
    match labels.as_slice() {
        [] => {}
        [one] => keys.push((format!("Shaded: {one}"), Key::Swatch(style::PERIOD))),
        few if few.len() <= 3 => {
            keys.push((format!("Shaded: {}", few.join("; ")), Key::Swatch(style::PERIOD)));
        }
        _ => keys.push(("Shaded: controls or shocks in force".to_owned(), Key::Swatch(style::PERIOD))),
    }
    if !markers.is_empty() {
        keys.push(("Event (labelled above)".to_owned(), Key::Marker));
    }
    keys
}

/// Top of a value axis fitted to `max`: a round number a little above it.
pub(crate) fn fit_top(max: f64, format: &ValueFormat) -> f64 {
    if max.is_nan() || max <= 0.0 {
        return match format {
            ValueFormat::Percent | ValueFormat::PercentPoints => 1.0,
            ValueFormat::Units(_) | ValueFormat::Compact => 1.0,
        };
    }
    if matches!(format, ValueFormat::Percent) && max > 0.5 {
        return 1.0;
    }
    let target = max * 1.08;
    let magnitude = 10f64.powf(target.log10().floor());
    for step in [1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0] {
        if step * magnitude >= target {
            return step * magnitude;
        }
    }
    10.0 * magnitude
}

pub(crate) fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    t: &Timeline,
    scale: Scale,
) -> Result<(), PlotError> {
    let area = layout::frame(root, &t.frame, scale)?;
    let mut keys: Vec<(String, Key)> = t
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            (
                l.label.clone(),
                Key::Line { colour: style::series_colour(i), dashed: style::dashed(i), width: 4.0 },
            )
        })
        .collect();
    keys.extend(period_and_marker_keys(&t.periods, &t.markers));
    let labels: Vec<&str> = keys.iter().map(|k| k.0.as_str()).collect();
    let (plot, legend) = layout::split_legend(&area, &labels, scale)?;

    let max = t.lines.iter().flat_map(|l| l.points.iter().map(|p| p.1)).fold(0.0, f64::max);
    let top = t.y_max.unwrap_or_else(|| fit_top(max, &t.format));
    let labelled = !t.markers.is_empty();
    let y = Axis::new(0.0, top, crate::bars::nice_ticks(0.0, top, 6));
    let (mut chart, ticks) = date_chart(&plot, &t.calendar, t.days, y, 150.0, labelled, scale)?;
    let format = |v: &f64| t.format.tick(*v);
    draw_periods(&mut chart, &t.periods, (0.0, top))?;
    date_mesh(&mut chart, &ticks, 6, false, &format, scale)?;
    draw_markers(root, &mut chart, &t.calendar, &t.markers, (0.0, top), scale)?;
    for (i, line) in t.lines.iter().enumerate() {
        let colour = style::series_colour(i);
        let stroke = colour.stroke_width(scale.line(4.0));
        if style::dashed(i) {
            let dash = scale.size(14.0) as i32;
            chart
                .draw_series(DashedLineSeries::new(line.points.iter().copied(), dash, dash, stroke))
                .map_err(draw_err)?;
        } else {
            chart.draw_series(LineSeries::new(line.points.iter().copied(), stroke)).map_err(draw_err)?;
        }
    }
    let (_, plot_top) = chart.backend_coord(&(t.days.0, top));
    layout::legend(&legend, &keys, plot_top - legend.get_base_pixel().1, scale)?;
    Ok(())
}
