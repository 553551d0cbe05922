//! The cascade heat map: entities down the chain, days across, shortage as colour.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::axis::Axis;
use crate::layout::{self, draw_err};
use crate::style::{self, Scale};
use crate::timeline::{LABEL_LANES, date_mesh, draw_markers};
use crate::{Heatmap, PlotError};

/// Cells of a row whose values round to the same level are drawn as one rectangle, which
/// keeps the SVG small; 40 levels are finer than the eye can tell apart on the scale.
const LEVELS: f64 = 40.0;

fn level(value: f64) -> f64 {
    if value.is_nan() || value <= 0.0 {
        0.0
    } else {
        ((value.min(1.0) * LEVELS).ceil() / LEVELS).max(1.0 / LEVELS)
    }
}

pub(crate) fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    map: &Heatmap,
    scale: Scale,
) -> Result<(), PlotError> {
    let area = layout::frame(root, &map.frame, scale)?;
    let (width, _) = area.dim_in_pixel();
    let (plot, legend) = area.split_horizontally(width - scale.size(260.0) as u32);
    let n = map.rows.len().max(1);
    let columns = map.rows.iter().map(|r| r.values.len()).max().unwrap_or(0).max(1);
    let days = (0.0, columns as f64 * map.step_days);

    let label_style = scale.small();
    let stage_style = scale.small().color(&style::MUTED);
    let mut entity_width = 0;
    let mut stage_width = 0;
    for row in &map.rows {
        entity_width = entity_width.max(layout::text_size(root, &row.label, &label_style)?.0);
        stage_width = stage_width.max(layout::text_size(root, &row.stage, &stage_style)?.0);
    }
    let gap = scale.size(28.0) as u32;
    let y_area = entity_width + stage_width + 2 * gap;

    let ticks = map.calendar.ticks(days.0, days.1, 13);
    let positions: Vec<f64> = ticks.iter().map(|t| t.0).collect();
    let centres: Vec<f64> = (0..n).map(|i| i as f64 + 0.5).collect();
    let lane = scale.small().font.get_size() * 1.35;
    let labelled = !map.markers.is_empty();
    let top = if labelled { lane * LABEL_LANES as f64 + scale.size(12.0) } else { scale.size(16.0) };
    let mut chart = ChartBuilder::on(&plot)
        .margin_top(top as i32)
        .margin_right(scale.size(24.0) as i32)
        .x_label_area_size(scale.size(64.0) as i32)
        .y_label_area_size(y_area as i32)
        .build_cartesian_2d(Axis::new(days.0, days.1, positions), Axis::new(0.0, n as f64, centres))
        .map_err(draw_err)?;

    // Row i (0 = upstream) sits at the top: y from n - i - 1 to n - i.
    let row_at = |y: f64| n.checked_sub(1 + y.floor().max(0.0) as usize);
    let y_format =
        |y: &f64| row_at(*y).and_then(|i| map.rows.get(i)).map(|r| r.label.clone()).unwrap_or_default();
    let mut cells = Vec::new();
    for (i, row) in map.rows.iter().enumerate() {
        let (y0, y1) = ((n - i - 1) as f64, (n - i) as f64);
        let mut j = 0;
        while j < row.values.len() {
            let l = level(row.values[j]);
            let mut k = j + 1;
            while k < row.values.len() && level(row.values[k]) == l {
                k += 1;
            }
            let (x0, x1) = (j as f64 * map.step_days, k as f64 * map.step_days);
            cells.push(Rectangle::new([(x0, y0), (x1, y1)], style::heat_colour(l).filled()));
            j = k;
        }
    }
    date_mesh(&mut chart, &ticks, n, true, &y_format, scale)?;
    chart.draw_series(cells).map_err(draw_err)?;

    // Stage names at the far left of their first row, and a rule between stages.
    let (left, _) = chart.backend_coord(&(days.0, 0.0));
    let (right, _) = chart.backend_coord(&(days.1, 0.0));
    let mut previous: Option<&str> = None;
    for (i, row) in map.rows.iter().enumerate() {
        if previous == Some(row.stage.as_str()) {
            continue;
        }
        let (_, y_top) = chart.backend_coord(&(days.0, (n - i) as f64));
        let (_, y_bottom) = chart.backend_coord(&(days.0, (n - i - 1) as f64));
        let x = left - y_area as i32 + scale.size(6.0) as i32;
        root.draw_text(
            &row.stage,
            &stage_style.pos(Pos::new(HPos::Left, VPos::Center)),
            (x, (y_top + y_bottom) / 2),
        )
        .map_err(draw_err)?;
        if previous.is_some() {
            root.draw(&PathElement::new(
                vec![(x, y_top), (right, y_top)],
                style::INK.stroke_width(scale.line(2.0)),
            ))
            .map_err(draw_err)?;
        }
        previous = Some(&row.stage);
    }
    draw_markers(root, &mut chart, &map.calendar, &map.markers, (0.0, n as f64), scale)?;

    // The colour scale, top-aligned with the plot.
    let (_, plot_top) = chart.backend_coord(&(days.0, n as f64));
    let (_, plot_bottom) = chart.backend_coord(&(days.0, 0.0));
    let base = legend.get_base_pixel();
    let bar_top = plot_top - base.1;
    let bar_height = ((plot_bottom - plot_top) as f64 * 0.6).max(scale.size(200.0)) as i32;
    let bar_x = scale.size(30.0) as i32;
    let bar_w = scale.size(40.0) as i32;
    let title_lines =
        layout::wrap(&legend, &map.colour_label, &label_style, legend.dim_in_pixel().0 - bar_x as u32)?;
    let line_h = (label_style.font.get_size() * 1.3) as i32;
    let mut y = bar_top;
    for line in &title_lines {
        legend
            .draw_text(line, &label_style.pos(Pos::new(HPos::Left, VPos::Top)), (bar_x, y))
            .map_err(draw_err)?;
        y += line_h;
    }
    let bar_top = y + scale.size(10.0) as i32;
    let steps = 100;
    for s in 0..steps {
        let v = 1.0 - f64::from(s) / f64::from(steps);
        let y0 = bar_top + bar_height * s / steps;
        let y1 = bar_top + bar_height * (s + 1) / steps;
        legend
            .draw(&Rectangle::new([(bar_x, y0), (bar_x + bar_w, y1)], style::heat_colour(v).filled()))
            .map_err(draw_err)?;
    }
    legend
        .draw(&Rectangle::new(
            [(bar_x, bar_top), (bar_x + bar_w, bar_top + bar_height)],
            style::INK.stroke_width(scale.line(1.5)),
        ))
        .map_err(draw_err)?;
    // No shortage at all is grey, below the scale.
    let none_top = bar_top + bar_height + scale.size(16.0) as i32;
    let none_bottom = none_top + scale.size(40.0) as i32;
    legend
        .draw(&Rectangle::new(
            [(bar_x, none_top), (bar_x + bar_w, none_bottom)],
            style::heat_colour(0.0).filled(),
        ))
        .map_err(draw_err)?;
    legend
        .draw(&Rectangle::new(
            [(bar_x, none_top), (bar_x + bar_w, none_bottom)],
            style::INK.stroke_width(scale.line(1.5)),
        ))
        .map_err(draw_err)?;
    legend
        .draw_text(
            "none",
            &label_style.pos(Pos::new(HPos::Left, VPos::Center)),
            (bar_x + bar_w + scale.size(10.0) as i32, (none_top + none_bottom) / 2),
        )
        .map_err(draw_err)?;
    for (v, text) in [(1.0, "100 %"), (0.75, "75 %"), (0.5, "50 %"), (0.25, "25 %"), (0.0, "> 0 %")] {
        let y = bar_top + ((1.0 - v) * bar_height as f64) as i32;
        legend
            .draw_text(
                text,
                &label_style.pos(Pos::new(HPos::Left, VPos::Center)),
                (bar_x + bar_w + scale.size(10.0) as i32, y),
            )
            .map_err(draw_err)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::level;

    #[test]
    fn levels_keep_zero_apart_and_round_up() {
        assert_eq!(level(0.0), 0.0);
        // Any shortage at all is at least the first level, so it never looks like none.
        assert_eq!(level(1e-9), 1.0 / 40.0);
        assert_eq!(level(0.5), 0.5);
        assert_eq!(level(0.51), 21.0 / 40.0);
        assert_eq!(level(3.0), 1.0);
    }
}
