//! Charts with one horizontal bar per row: the tornado, the A-versus-B comparison and the
//! ranking of candidates.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::axis::Axis;
use crate::layout::{self, Key, draw_err};
use crate::style::{self, Scale};
use crate::{Comparison, PlotError, Ranking, Tornado, ValueFormat};

/// The axes of a bar chart: `x` across (values), one row per label, the first on top.
fn bar_chart<'a, DB: DrawingBackend>(
    plot: &'a DrawingArea<DB, Shift>,
    root: &DrawingArea<DB, Shift>,
    labels: &[&str],
    x: (f64, f64),
    format: &ValueFormat,
    top_margin: f64,
    scale: Scale,
) -> Result<ChartContext<'a, DB, Cartesian2d<Axis, Axis>>, PlotError> {
    let n = labels.len().max(1);
    let mut label_width = 0;
    for label in labels {
        label_width = label_width.max(layout::text_size(root, label, &scale.label())?.0);
    }
    let mut ticks = nice_ticks(x.0, x.1, 7);
    let step = ticks.windows(2).map(|w| w[1] - w[0]).next().unwrap_or(0.0);
    // A share never runs past 100 % or below 0: the axis may, for room, but its ticks do not.
    if matches!(format, ValueFormat::Percent) {
        ticks.retain(|t| (-1e-9..=1.0 + 1e-9).contains(t));
    }
    let centres: Vec<f64> = (0..n).map(|i| i as f64 + 0.5).collect();
    let mut chart = ChartBuilder::on(plot)
        .margin_top(top_margin as i32)
        .margin_right(scale.size(36.0) as i32)
        .x_label_area_size(scale.size(64.0) as i32)
        .y_label_area_size((label_width + scale.size(30.0) as u32) as i32)
        .build_cartesian_2d(Axis::new(x.0, x.1, ticks), Axis::new(0.0, n as f64, centres))
        .map_err(draw_err)?;
    let x_format = |v: &f64| format.tick_at_step(*v, step);
    let y_format = |y: &f64| {
        let i = n.checked_sub(1 + y.floor().max(0.0) as usize);
        i.and_then(|i| labels.get(i)).map(|l| (*l).to_owned()).unwrap_or_default()
    };
    chart
        .configure_mesh()
        .disable_y_mesh()
        .bold_line_style(style::GRID.stroke_width(scale.line(1.5)))
        .light_line_style(TRANSPARENT)
        .axis_style(style::INK.stroke_width(scale.line(2.0)))
        .set_all_tick_mark_size(scale.size(8.0) as i32)
        .label_style(scale.label())
        .x_labels(10)
        .y_labels(n)
        .x_label_formatter(&x_format)
        .y_label_formatter(&y_format)
        .draw()
        .map_err(draw_err)?;
    Ok(chart)
}

/// Round tick positions covering `[lo, hi]`, at most about `max` of them.
pub(crate) fn nice_ticks(lo: f64, hi: f64, max: usize) -> Vec<f64> {
    let span = hi - lo;
    if (span.is_nan() || span <= 0.0) || !span.is_finite() {
        return vec![lo];
    }
    let raw = span / max.max(2) as f64;
    let exponent = raw.log10().floor() as i32 - 1;
    // Steps of 10, 20, 25, 50 or 100 units of 10^exponent; positions are integers over a
    // power of ten, so 0.6 is written 0.6 and not 0.6000000000000001.
    let power = 10f64.powi(exponent.abs());
    let value = |units: i64| if exponent < 0 { units as f64 / power } else { units as f64 * power };
    let units = [10, 20, 25, 50, 100].into_iter().find(|u| span / value(*u) <= max as f64).unwrap_or(100);
    let first = (lo / value(units)).ceil() as i64;
    let last = (hi / value(units)).floor() as i64;
    (first..=last).map(|k| value(k * units)).collect()
}

/// `[lo, hi]` widened by `pad` of its span each side (and to include `also`).
fn padded(values: impl Iterator<Item = f64>, also: Option<f64>, pad: (f64, f64)) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.chain(also) {
        if v.is_finite() {
            lo = lo.min(v);
            hi = hi.max(v);
        }
    }
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let span = (hi - lo).max(hi.abs().max(lo.abs()) * 0.1).max(1e-9);
    (lo - span * pad.0, hi + span * pad.1)
}

pub(crate) fn draw_tornado<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    t: &Tornado,
    scale: Scale,
) -> Result<(), PlotError> {
    let area = layout::frame(root, &t.frame, scale)?;
    let below = style::PALETTE[0];
    let above = style::PALETTE[1];
    let mut keys = Vec::new();
    if let Some((_, name)) = &t.base {
        keys.push((format!("Below {name}"), Key::Swatch(below)));
        keys.push((format!("Above {name}"), Key::Swatch(above)));
        keys.push((name.clone(), Key::Line { colour: style::INK, dashed: false, width: 3.0 }));
    } else {
        keys.push(("Range across the sweep".to_owned(), Key::Swatch(below)));
    }
    let key_labels: Vec<&str> = keys.iter().map(|k| k.0.as_str()).collect();
    let (plot, legend) = layout::split_legend(&area, &key_labels, scale)?;

    let mut bars: Vec<_> = t.bars.iter().collect();
    bars.sort_by(|a, b| (b.high - b.low).total_cmp(&(a.high - a.low)).then_with(|| a.label.cmp(&b.label)));
    let labels: Vec<&str> = bars.iter().map(|b| b.label.as_str()).collect();
    let base = t.base.as_ref().map(|b| b.0);
    let x = padded(bars.iter().flat_map(|b| [b.low, b.high]), base, (0.45, 0.45));
    let chart_top = scale.size(16.0);
    let mut chart = bar_chart(&plot, root, &labels, x, &t.format, chart_top, scale)?;
    let n = bars.len();
    let half = 0.32;
    let note_style = scale.small();
    let pad = scale.size(10.0) as i32;
    for (i, bar) in bars.iter().enumerate() {
        let y = (n - i) as f64 - 0.5;
        let mut pieces = Vec::new();
        match base {
            Some(b) => {
                if bar.low < b {
                    pieces.push((bar.low, bar.high.min(b), below));
                }
                if bar.high > b {
                    pieces.push((bar.low.max(b), bar.high, above));
                }
                if bar.low >= b && bar.high <= b {
                    pieces.push((bar.low, bar.high, below));
                }
            }
            None => pieces.push((bar.low, bar.high, below)),
        }
        for (x0, x1, colour) in pieces {
            // A bar with no swing still shows as a hairline.
            let x1 = if x1 - x0 < (x.1 - x.0) * 0.002 { x0 + (x.1 - x.0) * 0.002 } else { x1 };
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(x0, y - half), (x1, y + half)],
                    colour.filled(),
                )))
                .map_err(draw_err)?;
        }
        let (lx, ly) = chart.backend_coord(&(bar.low, y));
        let (hx, _) = chart.backend_coord(&(bar.high, y));
        let low = format!("{} {}", t.format.format(bar.low), bar.low_note).trim().to_owned();
        let high = format!("{} {}", t.format.format(bar.high), bar.high_note).trim().to_owned();
        root.draw_text(&low, &note_style.pos(Pos::new(HPos::Right, VPos::Center)), (lx - pad, ly))
            .map_err(draw_err)?;
        if (bar.high - bar.low).abs() > 0.0 {
            root.draw_text(&high, &note_style.pos(Pos::new(HPos::Left, VPos::Center)), (hx + pad, ly))
                .map_err(draw_err)?;
        }
    }
    if let Some(b) = base {
        chart
            .draw_series(LineSeries::new(
                [(b, 0.0), (b, n.max(1) as f64)],
                style::INK.stroke_width(scale.line(3.0)),
            ))
            .map_err(draw_err)?;
    }
    let (_, plot_top) = chart.backend_coord(&(x.0, n.max(1) as f64));
    layout::legend(&legend, &keys, plot_top - legend.get_base_pixel().1, scale)?;
    Ok(())
}

pub(crate) fn draw_comparison<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    c: &Comparison,
    scale: Scale,
) -> Result<(), PlotError> {
    let area = layout::frame(root, &c.frame, scale)?;
    let hue = style::PALETTE[0];
    let keys = vec![
        ("Median difference".to_owned(), Key::Swatch(style::INK)),
        ("50 % of runs".to_owned(), Key::Swatch(style::tint(hue, 0.55))),
        ("90 % of runs".to_owned(), Key::Line { colour: hue, dashed: false, width: 4.0 }),
        ("No difference".to_owned(), Key::Line { colour: style::INK, dashed: false, width: 3.0 }),
    ];
    let key_labels: Vec<&str> = keys.iter().map(|k| k.0.as_str()).collect();
    let (plot, legend) = layout::split_legend(&area, &key_labels, scale)?;
    let labels: Vec<&str> = c.rows.iter().map(|r| r.label.as_str()).collect();
    let x = padded(c.rows.iter().flat_map(|r| r.q), Some(0.0), (0.12, 0.12));
    let side_style = scale.label().color(&style::MUTED);
    let side_height = side_style.font.get_size() * 1.6;
    let left_text = format!("\u{2190} {}", c.sides.0);
    let right_text = format!("{} \u{2192}", c.sides.1);
    let (left_width, _) = layout::text_size(root, &left_text, &side_style)?;
    let (right_width, _) = layout::text_size(root, &right_text, &side_style)?;
    // Side by side when both fit over the plot with a gap, else one above the other.
    let (plot_width, _) = plot.dim_in_pixel();
    let stacked = left_width + right_width + scale.size(60.0) as u32 > plot_width * 2 / 3;
    let lanes = if stacked { 2.0 } else { 1.0 };
    let mut chart =
        bar_chart(&plot, root, &labels, x, &c.format, side_height * lanes + scale.size(8.0), scale)?;
    let n = c.rows.len();
    for (i, row) in c.rows.iter().enumerate() {
        let y = (n - i) as f64 - 0.5;
        let [p05, p25, p50, p75, p95] = row.q;
        chart
            .draw_series(LineSeries::new([(p05, y), (p95, y)], hue.stroke_width(scale.line(4.0))))
            .map_err(draw_err)?;
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(p25, y - 0.22), (p75, y + 0.22)],
                style::tint(hue, 0.55).filled(),
            )))
            .map_err(draw_err)?;
        let (mx, my) = chart.backend_coord(&(p50, y));
        let r = scale.size(11.0) as i32;
        root.draw(&Rectangle::new([(mx - r / 3, my - r * 2), (mx + r / 3, my + r * 2)], style::INK.filled()))
            .map_err(draw_err)?;
    }
    chart
        .draw_series(LineSeries::new(
            [(0.0, 0.0), (0.0, n.max(1) as f64)],
            style::INK.stroke_width(scale.line(3.0)),
        ))
        .map_err(draw_err)?;
    // What each side of zero means, above the plot at its two ends.
    let (left, top) = chart.backend_coord(&(x.0, n.max(1) as f64));
    let (right, _) = chart.backend_coord(&(x.1, n.max(1) as f64));
    let y = top - scale.size(8.0) as i32;
    let upper = if stacked { y - side_height as i32 } else { y };
    root.draw_text(&left_text, &side_style.pos(Pos::new(HPos::Left, VPos::Bottom)), (left, upper))
        .map_err(draw_err)?;
    root.draw_text(&right_text, &side_style.pos(Pos::new(HPos::Right, VPos::Bottom)), (right, y))
        .map_err(draw_err)?;
    layout::legend(&legend, &keys, top - legend.get_base_pixel().1, scale)?;
    Ok(())
}

pub(crate) fn draw_ranking<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    r: &Ranking,
    scale: Scale,
) -> Result<(), PlotError> {
    let area = layout::frame(root, &r.frame, scale)?;
    let hue = style::PALETTE[5];
    let mut keys = vec![(r.bar.clone(), Key::Swatch(style::tint(hue, 0.6)))];
    if !r.whisker.is_empty() {
        keys.push((r.whisker.clone(), Key::Line { colour: style::INK, dashed: false, width: 3.0 }));
    }
    let key_labels: Vec<&str> = keys.iter().map(|k| k.0.as_str()).collect();
    let (plot, legend) = layout::split_legend(&area, &key_labels, scale)?;
    let labels: Vec<&str> = r.bars.iter().map(|b| b.label.as_str()).collect();
    // Room on the right for the notes.
    let x = padded(r.bars.iter().flat_map(|b| [b.mean, b.low, b.high]), Some(0.0), (0.02, 0.45));
    let chart_top = scale.size(16.0);
    let mut chart = bar_chart(&plot, root, &labels, x, &r.format, chart_top, scale)?;
    let n = r.bars.len();
    let note_style = scale.small();
    let pad = scale.size(10.0) as i32;
    let cap = 0.18;
    for (i, bar) in r.bars.iter().enumerate() {
        let y = (n - i) as f64 - 0.5;
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(0.0, y - 0.32), (bar.mean, y + 0.32)],
                style::tint(hue, 0.6).filled(),
            )))
            .map_err(draw_err)?;
        let ink = style::INK.stroke_width(scale.line(3.0));
        if !r.whisker.is_empty() {
            chart.draw_series(LineSeries::new([(bar.low, y), (bar.high, y)], ink)).map_err(draw_err)?;
            for end in [bar.low, bar.high] {
                chart
                    .draw_series(LineSeries::new([(end, y - cap), (end, y + cap)], ink))
                    .map_err(draw_err)?;
            }
        }
        let (hx, hy) = chart.backend_coord(&(bar.high.max(bar.mean), y));
        root.draw_text(&bar.note, &note_style.pos(Pos::new(HPos::Left, VPos::Center)), (hx + pad, hy))
            .map_err(draw_err)?;
    }
    chart
        .draw_series(LineSeries::new(
            [(0.0, 0.0), (0.0, n.max(1) as f64)],
            style::INK.stroke_width(scale.line(2.0)),
        ))
        .map_err(draw_err)?;
    let (_, plot_top) = chart.backend_coord(&(x.0, n.max(1) as f64));
    layout::legend(&legend, &keys, plot_top - legend.get_base_pixel().1, scale)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::nice_ticks;

    #[test]
    fn ticks_are_round_and_inside() {
        assert_eq!(nice_ticks(0.0, 1.0, 5), vec![0.0, 0.2, 0.4, 0.6, 0.8, 1.0]);
        let ticks = nice_ticks(-0.13, 0.02, 6);
        let expected = [-0.125, -0.1, -0.075, -0.05, -0.025, 0.0];
        assert_eq!(ticks.len(), expected.len(), "{ticks:?}");
        for (t, e) in ticks.iter().zip(expected) {
            assert!((t - e).abs() < 1e-12, "{ticks:?}");
        }
        assert_eq!(nice_ticks(5.0, 5.0, 5), vec![5.0]);
    }
}
