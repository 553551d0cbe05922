//! Small multiples: one panel per series, stacked, on one date axis and one value axis, so
//! that no two lines cross and each panel is named where it is drawn.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::axis::Axis;
use crate::layout::{self, Key, draw_err};
use crate::style::{self, Scale};
use crate::timeline::{LABEL_LANES, draw_markers, draw_periods, period_and_marker_keys};
use crate::{Panels, PlotError};

/// Height of the gap between two panels, at slide size.
const GAP: f64 = 14.0;

pub(crate) fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    c: &Panels,
    scale: Scale,
) -> Result<(), PlotError> {
    let area = layout::frame(root, &c.frame, scale)?;
    let keys: Vec<(String, Key)> = period_and_marker_keys(&c.periods, &c.markers);
    let (plot, legend) = if keys.is_empty() {
        (area.clone(), None)
    } else {
        let labels: Vec<&str> = keys.iter().map(|k| k.0.as_str()).collect();
        let (plot, legend) = layout::split_legend(&area, &labels, scale)?;
        (plot, Some(legend))
    };
    if c.panels.is_empty() {
        return Ok(());
    }

    // A column of names on the left, as wide as the longest name or note (at most 30 % of
    // the plot's width).
    let name_style = scale.label();
    let note_style = scale.small().color(&style::MUTED);
    let mut widest = 0;
    for panel in &c.panels {
        widest = widest.max(layout::text_size(root, &panel.label, &name_style)?.0);
        widest = widest.max(layout::text_size(root, &panel.note, &note_style)?.0);
    }
    let (width, height) = plot.dim_in_pixel();
    let names_width = (widest + scale.size(24.0) as u32).min(width * 3 / 10);
    let (names, charts) = plot.split_horizontally(names_width);

    // Heights: label lanes above the first panel, date labels below the last.
    let lane = scale.small().font.get_size() * 1.35;
    let top =
        if c.markers.is_empty() { scale.size(16.0) } else { lane * LABEL_LANES as f64 + scale.size(12.0) };
    let bottom = scale.size(64.0);
    let gap = scale.size(GAP);
    let n = c.panels.len() as f64;
    let panel = ((f64::from(height) - top - bottom - gap * (n - 1.0)) / n).max(scale.size(30.0));

    let ticks = c.calendar.ticks(c.days.0, c.days.1, 13);
    let positions: Vec<f64> = ticks.iter().map(|t| t.0).collect();
    let y_max = if c.y_max > 0.0 && c.y_max.is_finite() { c.y_max } else { 1.0 };
    let x_format = |day: &f64| {
        ticks.iter().find(|(t, _)| (t - day).abs() < 0.5).map(|(_, l)| l.clone()).unwrap_or_default()
    };
    let blank = |_: &f64| String::new();
    let y_format = |v: &f64| c.format.tick(*v);
    let colour = style::series_colour(5);
    let mut y0 = 0.0;
    for (i, p) in c.panels.iter().enumerate() {
        let first = i == 0;
        let last = i + 1 == c.panels.len();
        let above = if first { top } else { gap };
        let below = if last { bottom } else { 0.0 };
        let span = (y0 as i32, (y0 + above + panel + below).round() as i32);
        y0 += above + panel + below;
        let cell = charts.margin(span.0, (height as i32 - span.1).max(0), 0, 0);
        let mut chart = ChartBuilder::on(&cell)
            .margin_top(above as i32)
            .margin_right(scale.size(36.0) as i32)
            .x_label_area_size(below as i32)
            .y_label_area_size(scale.size(110.0) as i32)
            .build_cartesian_2d(
                Axis::new(c.days.0, c.days.1, positions.clone()),
                Axis::new(0.0, y_max, vec![y_max]),
            )
            .map_err(draw_err)?;
        draw_periods(&mut chart, &c.periods, (0.0, y_max))?;
        chart
            .configure_mesh()
            .bold_line_style(style::GRID.stroke_width(scale.line(1.5)))
            .light_line_style(TRANSPARENT)
            .axis_style(style::INK.stroke_width(scale.line(2.0)))
            .set_all_tick_mark_size(scale.size(8.0) as i32)
            .label_style(scale.small())
            .x_labels(ticks.len().max(2))
            .y_labels(1)
            .x_label_formatter(if last { &x_format } else { &blank })
            .y_label_formatter(&y_format)
            .draw()
            .map_err(draw_err)?;
        if first {
            draw_markers(root, &mut chart, &c.calendar, &c.markers, (0.0, y_max), scale)?;
        } else {
            let dash = scale.size(10.0) as i32;
            for m in c.markers.iter().filter(|m| m.day >= c.days.0 && m.day <= c.days.1) {
                chart
                    .draw_series(DashedLineSeries::new(
                        [(m.day, 0.0), (m.day, y_max)],
                        dash,
                        dash,
                        style::MARKER.stroke_width(scale.line(2.5)),
                    ))
                    .map_err(draw_err)?;
            }
        }
        // Values clipped to the plot: none drawn past its top or below its floor.
        let points: Vec<(f64, f64)> = p
            .points
            .iter()
            .filter(|(d, v)| *d >= c.days.0 && *d <= c.days.1 && v.is_finite())
            .map(|&(d, v)| (d, v.clamp(0.0, y_max)))
            .collect();
        chart
            .draw_series(AreaSeries::new(points.iter().copied(), 0.0, style::tint(colour, 0.65).filled()))
            .map_err(draw_err)?;
        chart
            .draw_series(LineSeries::new(points.iter().copied(), colour.stroke_width(scale.line(3.5))))
            .map_err(draw_err)?;

        // The panel's name, right-aligned beside its plot, with its note below.
        let (_, plot_top) = chart.backend_coord(&(c.days.0, y_max));
        let (_, plot_bottom) = chart.backend_coord(&(c.days.0, 0.0));
        let middle = (plot_top + plot_bottom) / 2 - names.get_base_pixel().1;
        let x = names_width as i32 - scale.size(12.0) as i32;
        let note_gap = (name_style.font.get_size() * 0.15) as i32;
        if p.note.is_empty() {
            names
                .draw_text(&p.label, &name_style.pos(Pos::new(HPos::Right, VPos::Center)), (x, middle))
                .map_err(draw_err)?;
        } else {
            names
                .draw_text(
                    &p.label,
                    &name_style.pos(Pos::new(HPos::Right, VPos::Bottom)),
                    (x, middle - note_gap),
                )
                .map_err(draw_err)?;
            names
                .draw_text(&p.note, &note_style.pos(Pos::new(HPos::Right, VPos::Top)), (x, middle + note_gap))
                .map_err(draw_err)?;
        }
    }
    if let Some(legend) = legend {
        let first_top = (top as i32) + plot.get_base_pixel().1 - legend.get_base_pixel().1;
        layout::legend(&legend, &keys, first_top, scale)?;
    }
    Ok(())
}
