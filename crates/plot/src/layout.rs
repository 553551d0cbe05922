//! What every chart shares: the title block, the footnote, the legend column and text wrap.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::style::{self, Scale};
use crate::{Frame, PlotError};

/// Turns any plotters error into a [`PlotError`].
pub(crate) fn draw_err<E: std::fmt::Display>(error: E) -> PlotError {
    PlotError(error.to_string())
}

/// Width and height of `text` in `style`, in pixels.
pub(crate) fn text_size<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    style: &TextStyle<'_>,
) -> Result<(u32, u32), PlotError> {
    area.estimate_text_size(text, style).map_err(draw_err)
}

/// `text` broken at spaces into lines no wider than `width` pixels (a word longer than the
/// width gets a line of its own).
pub(crate) fn wrap<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    style: &TextStyle<'_>,
    width: u32,
) -> Result<Vec<String>, PlotError> {
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        let candidate = if current.is_empty() { word.to_owned() } else { format!("{current} {word}") };
        if !current.is_empty() && text_size(area, &candidate, style)?.0 > width {
            lines.push(std::mem::replace(&mut current, word.to_owned()));
        } else {
            current = candidate;
        }
    }
    if !current.is_empty() {
        lines.push(current);
    }
    Ok(lines)
}

/// Fills the background, writes the title, subtitle and footnote, and returns the area left
/// for the chart itself.
pub(crate) fn frame<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    frame: &Frame,
    scale: Scale,
) -> Result<DrawingArea<DB, Shift>, PlotError> {
    root.fill(&WHITE).map_err(draw_err)?;
    let (width, height) = root.dim_in_pixel();
    let margin = scale.size(40.0) as i32;
    let usable = width.saturating_sub(2 * margin as u32);
    let mut y = margin;
    let top = |s: TextStyle<'static>| s.pos(Pos::new(HPos::Left, VPos::Top));
    for (style, text) in [(scale.title(), &frame.title), (scale.subtitle(), &frame.subtitle)] {
        if text.is_empty() {
            continue;
        }
        for line in wrap(root, text, &style, usable)? {
            root.draw_text(&line, &top(style.clone()), (margin, y)).map_err(draw_err)?;
            y += (style.font.get_size() * 1.25) as i32;
        }
        y += scale.size(6.0) as i32;
    }
    let foot_style = scale.footnote();
    let foot_lines = wrap(root, &frame.footnote, &foot_style, usable)?;
    let foot_height = (foot_style.font.get_size() * 1.3) as i32;
    let mut foot_y = height as i32 - margin / 2 - foot_height * foot_lines.len() as i32;
    let bottom = height as i32 - foot_y + scale.size(10.0) as i32;
    for line in &foot_lines {
        root.draw_text(line, &top(foot_style.clone()), (margin, foot_y)).map_err(draw_err)?;
        foot_y += foot_height;
    }
    Ok(root.margin(y + scale.size(10.0) as i32, bottom, margin, margin))
}

/// How a legend entry is drawn.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Key {
    /// A line of the colour, dashed or solid.
    Line { colour: RGBColor, dashed: bool, width: f64 },
    /// A filled box.
    Swatch(RGBColor),
    /// A dashed grey line (event markers).
    Marker,
    /// A point of the colour (observed values).
    Point(RGBColor),
}

/// The chart's area and its legend column.
pub(crate) type Split<DB> = (DrawingArea<DB, Shift>, DrawingArea<DB, Shift>);

/// Splits a legend column off the right of `area` wide enough for the longest label (at most
/// a quarter of the width), so that the legend never covers data.
pub(crate) fn split_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    labels: &[&str],
    scale: Scale,
) -> Result<Split<DB>, PlotError> {
    let style = scale.small();
    let mut widest = 0;
    for label in labels {
        widest = widest.max(text_size(area, label, &style)?.0);
    }
    let (width, _) = area.dim_in_pixel();
    let column = (widest + scale.size(110.0) as u32).clamp(scale.size(200.0) as u32, width / 4);
    Ok(area.split_horizontally(width - column))
}

/// Draws the legend entries top-down in `area` (the column from [`split_legend`]), starting
/// at `top` pixels, and returns the y below the last entry.
pub(crate) fn legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[(String, Key)],
    top: i32,
    scale: Scale,
) -> Result<i32, PlotError> {
    let style = scale.small();
    let left = scale.size(24.0) as i32;
    let key_width = scale.size(48.0) as i32;
    let text_x = left + key_width + scale.size(12.0) as i32;
    let (width, _) = area.dim_in_pixel();
    let line_height = (style.font.get_size() * 1.3) as i32;
    let mut y = top;
    for (label, key) in entries {
        let lines = wrap(area, label, &style, width.saturating_sub(text_x as u32 + 4))?;
        let mid = y + line_height / 2;
        match *key {
            Key::Line { colour, dashed, width } => {
                let w = scale.line(width);
                if dashed {
                    let dash = key_width / 4;
                    for k in [0, 2] {
                        let x0 = left + k * dash;
                        area.draw(&PathElement::new(
                            vec![(x0, mid), (x0 + dash + dash / 2, mid)],
                            colour.stroke_width(w),
                        ))
                        .map_err(draw_err)?;
                    }
                } else {
                    area.draw(&PathElement::new(
                        vec![(left, mid), (left + key_width, mid)],
                        colour.stroke_width(w),
                    ))
                    .map_err(draw_err)?;
                }
            }
            Key::Swatch(colour) => {
                let h = line_height * 2 / 3;
                area.draw(&Rectangle::new(
                    [(left, mid - h / 2), (left + key_width, mid + h / 2)],
                    colour.filled(),
                ))
                .map_err(draw_err)?;
            }
            Key::Point(colour) => {
                let r = (line_height / 4).max(2);
                area.draw(&Circle::new((left + key_width / 2, mid), r, colour.filled())).map_err(draw_err)?;
            }
            Key::Marker => {
                let x = left + key_width / 2;
                let h = line_height / 2;
                area.draw(&PathElement::new(
                    vec![(x, mid - h), (x, mid + h)],
                    style::MARKER.stroke_width(scale.line(2.0)),
                ))
                .map_err(draw_err)?;
            }
        }
        for line in lines {
            area.draw_text(
                &line,
                &style.pos(Pos::new(HPos::Left, VPos::Center)),
                (text_x, y + line_height / 2),
            )
            .map_err(draw_err)?;
            y += line_height;
        }
        y += line_height / 3;
    }
    Ok(y)
}

/// Places labels along a horizontal axis in lanes so that none overlaps another. Labels are
/// placed in the order given, so the caller lists the most important first: each goes into the
/// first lane where it overlaps no label placed before it. Returns the lane of each label, or
/// `None` for a label that fits in no lane.
pub(crate) fn lanes(spans: &[(i32, i32)], n_lanes: usize) -> Vec<Option<usize>> {
    let mut placed: Vec<Vec<(i32, i32)>> = vec![Vec::new(); n_lanes.max(1)];
    spans
        .iter()
        .map(|&(start, end)| {
            let lane = placed.iter().position(|lane| lane.iter().all(|&(s, e)| end < s || start > e))?;
            placed[lane].push((start, end));
            Some(lane)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::lanes;

    #[test]
    fn labels_that_would_overlap_take_other_lanes() {
        // Three labels 100 px wide at x = 0, 50, 200: the second overlaps the first and
        // drops to lane 1; the third fits in lane 0 again.
        assert_eq!(lanes(&[(0, 100), (50, 150), (200, 300)], 3), vec![Some(0), Some(1), Some(0)]);
        // With one lane, a label that would overlap is left out; the next that fits is kept.
        assert_eq!(lanes(&[(0, 100), (50, 150), (120, 200)], 1), vec![Some(0), None, Some(0)]);
        // Order is priority: a label listed first keeps its lane even if it lies to the right.
        assert_eq!(lanes(&[(200, 300), (0, 100), (250, 350)], 1), vec![Some(0), Some(0), None]);
    }
}
