//! The Monte Carlo fan chart, Bank of England style: one colour, darker towards the median.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::layout::{self, Key, draw_err};
use crate::style::{self, Scale};
use crate::timeline::{date_chart, date_mesh, draw_markers, fit_top, period_and_marker_keys};
use crate::{Fan, PlotError};

/// Band colours: the fan's hue mixed with white, lighter for wider bands.
const BANDS: [(usize, usize, f64, &str); 3] =
    [(0, 6, 0.22, "90 % of runs"), (1, 5, 0.42, "80 % of runs"), (2, 4, 0.70, "50 % of runs")];

pub(crate) fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    fan: &Fan,
    scale: Scale,
) -> Result<(), PlotError> {
    let hue = style::PALETTE[0];
    let area = layout::frame(root, &fan.frame, scale)?;
    let mut keys: Vec<(String, Key)> =
        vec![("Median".to_owned(), Key::Line { colour: style::tint(hue, 1.0), dashed: false, width: 5.0 })];
    for &(_, _, amount, label) in BANDS.iter().rev() {
        keys.push((label.to_owned(), Key::Swatch(style::tint(hue, amount))));
    }
    if !fan.observed.is_empty() {
        keys.push((fan.observed_label.clone(), Key::Point(style::INK)));
    }
    keys.extend(period_and_marker_keys(&[], &fan.markers));
    let labels: Vec<&str> = keys.iter().map(|k| k.0.as_str()).collect();
    let (plot, legend) = layout::split_legend(&area, &labels, scale)?;

    let first = fan.steps.first().map_or(0.0, |s| s.day);
    let last = fan.steps.last().map_or(1.0, |s| s.day).max(first + 1.0);
    let max = fan.steps.iter().map(|s| s.q[6]).chain(fan.observed.iter().map(|o| o.high)).fold(0.0, f64::max);
    let top = fan.y_max.unwrap_or_else(|| fit_top(max, &fan.format));
    let y = crate::axis::Axis::new(0.0, top, crate::bars::nice_ticks(0.0, top, 6));
    let (mut chart, ticks) =
        date_chart(&plot, &fan.calendar, (first, last), y, 150.0, !fan.markers.is_empty(), scale)?;
    let format = |v: &f64| fan.format.tick(*v);
    date_mesh(&mut chart, &ticks, 6, false, &format, scale)?;
    for &(lo, hi, amount, _) in &BANDS {
        // Clipped to the plot: no band or line is drawn past its top.
        let mut outline: Vec<(f64, f64)> =
            fan.steps.iter().map(|s| (s.day, s.q[hi].clamp(0.0, top))).collect();
        outline.extend(fan.steps.iter().rev().map(|s| (s.day, s.q[lo].clamp(0.0, top))));
        chart
            .draw_series(std::iter::once(Polygon::new(outline, style::tint(hue, amount).filled())))
            .map_err(draw_err)?;
    }
    chart
        .draw_series(LineSeries::new(
            fan.steps.iter().map(|s| (s.day, s.q[3].clamp(0.0, top))),
            hue.stroke_width(scale.line(5.0)),
        ))
        .map_err(draw_err)?;
    // Observed values on top: a whisker for their own range, then a dot.
    for point in &fan.observed {
        if point.high > point.low {
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(point.day, point.low), (point.day, point.high.min(top))],
                    style::INK.stroke_width(scale.line(3.0)),
                )))
                .map_err(draw_err)?;
        }
        let radius = scale.line(9.0) as i32;
        chart
            .draw_series(std::iter::once(Circle::new(
                (point.day, point.value.min(top)),
                radius,
                style::INK.filled(),
            )))
            .map_err(draw_err)?;
    }
    draw_markers(root, &mut chart, &fan.calendar, &fan.markers, (0.0, top), scale)?;
    let (_, plot_top) = chart.backend_coord(&(first, top));
    layout::legend(&legend, &keys, plot_top - legend.get_base_pixel().1, scale)?;
    Ok(())
}
