//! # chokepoint-plot
//!
//! Charts an analyst can drop on a slide (`DESIGN.md` §6), drawn from plain data the caller
//! prepares: the CLI reads result files and builds a [`Chart`]; this crate only draws it.
//!
//! - [`Timeline`]: values over calendar time for one run, such as the shortage of each buyer,
//!   with control periods shaded and events (bans, suspensions, licences, plants online)
//!   marked and labelled. Survival curves (probability of no shortage yet, by date, several
//!   buyers on one chart) are timelines too.
//! - [`Fan`]: a Monte Carlo fan chart in the Bank of England style: the median line inside
//!   50, 80 and 90 % bands of one colour.
//! - [`Heatmap`]: the cascade: entities ordered down the chain (mines at the top, final
//!   demand at the bottom), days across, shortage as colour, so a ban is seen travelling down.
//! - [`Tornado`]: the swing of a KPI across sweep points or parameters, largest first.
//! - [`Comparison`]: A versus B: the paired difference of a KPI per buyer, with its bands.
//! - [`Ranking`]: candidates (single points of failure) ranked by a KPI, worst on top, with
//!   the spread over runs.
//!
//! [`render`] draws any of them as SVG or PNG at a 16:9 slide size or a print size. Text is
//! set in DejaVu Sans, compiled into the crate, measured and rasterised with `ab_glyph` (see
//! `text.rs`), so no system font is looked up and a bare machine draws the same PNG bytes.
//! Colours are the Okabe–Ito palette for lines and reversed viridis for the heat map, both
//! readable with colour-blindness. Every chart carries a title (what is shown), a subtitle
//! (the unit), a legend in its own column beside the data, and a footnote (scenario, seed,
//! runs, version).
//!
//! Nothing here reads or writes files, and nothing here simulates.

mod axis;
mod bars;
mod calendar;
mod fan;
mod heatmap;
mod layout;
mod panels;
pub mod style;
mod text;
mod timeline;

use plotters::prelude::*;

pub use calendar::Calendar;
pub use style::ValueFormat;

/// Title block and footnote of a chart.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Frame {
    /// What the chart shows, in words (`Shortage at each buyer, one run`).
    pub title: String,
    /// The unit and how to read it (`Share of demand not met each day, %`).
    pub subtitle: String,
    /// Where it came from: scenario, seed, runs, tool version.
    pub footnote: String,
}

/// A named series of `(day, value)` points.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    /// Legend label.
    pub label: String,
    /// Points in day order.
    pub points: Vec<(f64, f64)>,
}

/// A shaded span of days (an export control in force, a shock).
#[derive(Clone, Debug, PartialEq)]
pub struct Period {
    /// First day.
    pub from: f64,
    /// Day after the last (the end of the shading).
    pub to: f64,
    /// What it is (`CN export ban mofcom-18-2025`); listed in the legend.
    pub label: String,
}

/// A labelled event on the time axis.
#[derive(Clone, Debug, PartialEq)]
pub struct Marker {
    /// Day it happened.
    pub day: f64,
    /// Short label (`ban starts`); the chart prefixes the date. Labels that find no room
    /// above the plot are left out, markers listed first getting room first.
    pub label: String,
}

/// Values over calendar time with shaded periods and labelled events.
#[derive(Clone, Debug, PartialEq)]
pub struct Timeline {
    /// Title block.
    pub frame: Frame,
    /// Day 0's date.
    pub calendar: Calendar,
    /// First and last day shown.
    pub days: (f64, f64),
    /// How values are written.
    pub format: ValueFormat,
    /// Top of the value axis (`None`: fitted to the data).
    pub y_max: Option<f64>,
    /// The series.
    pub lines: Vec<Line>,
    /// Shaded spans.
    pub periods: Vec<Period>,
    /// Labelled events.
    pub markers: Vec<Marker>,
}

/// Quantiles of one report step of a fan chart.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FanStep {
    /// Day of the step.
    pub day: f64,
    /// 5th, 10th, 25th, 50th, 75th, 90th and 95th percentiles over runs.
    pub q: [f64; 7],
}

/// A Monte Carlo fan chart.
#[derive(Clone, Debug, PartialEq)]
pub struct Fan {
    /// Title block.
    pub frame: Frame,
    /// Day 0's date.
    pub calendar: Calendar,
    /// How values are written.
    pub format: ValueFormat,
    /// Top of the value axis (`None`: fitted to the 95th percentile).
    pub y_max: Option<f64>,
    /// The steps, in day order.
    pub steps: Vec<FanStep>,
    /// Labelled events common to every run (such as a control's start).
    pub markers: Vec<Marker>,
    /// What really happened, drawn as points on the fan (empty for none).
    pub observed: Vec<ObservedPoint>,
    /// The legend's name for the observed points (such as "China customs").
    pub observed_label: String,
}

/// An observed value on a fan chart, with the range of its own uncertainty.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ObservedPoint {
    /// Day (from the calendar's day 0) it is drawn at.
    pub day: f64,
    /// The observed value.
    pub value: f64,
    /// Its range (equal to `value` when the source gives none).
    pub low: f64,
    /// Its range's top.
    pub high: f64,
}

/// One panel of a small-multiples chart.
#[derive(Clone, Debug, PartialEq)]
pub struct Panel {
    /// Its name, written beside it (a buyer's display name).
    pub label: String,
    /// A short line under the name (`first short 19 Jun · worst week 94 %`; empty for none).
    pub note: String,
    /// Points in day order.
    pub points: Vec<(f64, f64)>,
}

/// Small multiples: one panel per series, stacked top to bottom in the order given, sharing
/// the date axis and the value axis, each shaded for the periods and crossed by the markers.
#[derive(Clone, Debug, PartialEq)]
pub struct Panels {
    /// Title block.
    pub frame: Frame,
    /// Day 0's date.
    pub calendar: Calendar,
    /// First and last day shown.
    pub days: (f64, f64),
    /// How values are written.
    pub format: ValueFormat,
    /// Top of every panel's value axis (values above it are drawn at it).
    pub y_max: f64,
    /// The panels, top to bottom.
    pub panels: Vec<Panel>,
    /// Shaded spans, in every panel.
    pub periods: Vec<Period>,
    /// Labelled events: a line through every panel, the label above the first.
    pub markers: Vec<Marker>,
}

/// One row of the cascade heat map.
#[derive(Clone, Debug, PartialEq)]
pub struct HeatRow {
    /// Row label (the entity).
    pub label: String,
    /// Its stage of the chain (the product it makes or buys); rows of one stage are kept
    /// together and the stage is written beside them.
    pub stage: String,
    /// One value in [0, 1] per column.
    pub values: Vec<f64>,
}

/// The cascade heat map: rows down the chain, report steps across.
#[derive(Clone, Debug, PartialEq)]
pub struct Heatmap {
    /// Title block.
    pub frame: Frame,
    /// Day 0's date.
    pub calendar: Calendar,
    /// Days per column.
    pub step_days: f64,
    /// What the colour means (`share of demand not met`).
    pub colour_label: String,
    /// Rows, top (upstream) to bottom (final demand).
    pub rows: Vec<HeatRow>,
    /// Labelled events.
    pub markers: Vec<Marker>,
}

/// One bar of a tornado chart.
#[derive(Clone, Debug, PartialEq)]
pub struct TornadoBar {
    /// What varies (a parameter, or a buyer).
    pub label: String,
    /// Lowest value of the KPI.
    pub low: f64,
    /// Highest value of the KPI.
    pub high: f64,
    /// What gives the low value (written at the bar's low end).
    pub low_note: String,
    /// What gives the high value.
    pub high_note: String,
}

/// Swing of a KPI across sweep points or parameters, largest swing on top.
#[derive(Clone, Debug, PartialEq)]
pub struct Tornado {
    /// Title block.
    pub frame: Frame,
    /// How values are written.
    pub format: ValueFormat,
    /// The reference value the bars swing around, and its name.
    pub base: Option<(f64, String)>,
    /// The bars, in any order (drawn sorted by swing).
    pub bars: Vec<TornadoBar>,
}

/// A distribution summarised for the comparison chart.
#[derive(Clone, Debug, PartialEq)]
pub struct Interval {
    /// Row label.
    pub label: String,
    /// 5th, 25th, 50th, 75th and 95th percentiles.
    pub q: [f64; 5],
}

/// A versus B: paired differences per row, with the zero line.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    /// Title block.
    pub frame: Frame,
    /// How values are written.
    pub format: ValueFormat,
    /// What a negative and a positive difference mean (`worse with B`, `better with B`).
    pub sides: (String, String),
    /// Rows, top to bottom.
    pub rows: Vec<Interval>,
}

/// One row of a ranking chart.
#[derive(Clone, Debug, PartialEq)]
pub struct RankBar {
    /// Row label (`1. CN dy_oxide`).
    pub label: String,
    /// The bar's length: the mean over runs.
    pub mean: f64,
    /// Low end of the whisker (5th percentile over runs).
    pub low: f64,
    /// High end of the whisker (95th percentile over runs).
    pub high: f64,
    /// Written right of the row (`first short after 34 d`).
    pub note: String,
}

/// Candidates ranked by a KPI, worst on top: a bar for the mean and a whisker for the
/// spread over runs.
#[derive(Clone, Debug, PartialEq)]
pub struct Ranking {
    /// Title block.
    pub frame: Frame,
    /// How values are written.
    pub format: ValueFormat,
    /// What the bar is (`Mean over runs`, `Median over runs`, `One run`).
    pub bar: String,
    /// What the whisker spans (`5-95 % of runs`; empty: no whiskers, as for one run).
    pub whisker: String,
    /// The rows, top to bottom.
    pub bars: Vec<RankBar>,
}

/// Any chart.
#[derive(Clone, Debug, PartialEq)]
pub enum Chart {
    /// See [`Timeline`].
    Timeline(Timeline),
    /// See [`Panels`].
    Panels(Panels),
    /// See [`Fan`].
    Fan(Fan),
    /// See [`Heatmap`].
    Heatmap(Heatmap),
    /// See [`Tornado`].
    Tornado(Tornado),
    /// See [`Comparison`].
    Comparison(Comparison),
    /// See [`Ranking`].
    Ranking(Ranking),
}

impl Chart {
    /// The chart's title block.
    pub fn frame(&self) -> &Frame {
        match self {
            Chart::Timeline(c) => &c.frame,
            Chart::Panels(c) => &c.frame,
            Chart::Fan(c) => &c.frame,
            Chart::Heatmap(c) => &c.frame,
            Chart::Tornado(c) => &c.frame,
            Chart::Comparison(c) => &c.frame,
            Chart::Ranking(c) => &c.frame,
        }
    }
}

/// Picture size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Size {
    /// 1920 × 1080 pixels (16:9), for slides and projectors.
    Slide,
    /// 2250 × 1500 pixels (3:2): 7.5 × 5 inches at 300 dots per inch, for print.
    Print,
}

impl Size {
    /// Width and height in pixels.
    pub fn pixels(self) -> (u32, u32) {
        match self {
            Size::Slide => (1920, 1080),
            Size::Print => (2250, 1500),
        }
    }
}

/// File format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Scalable vector graphics (text stays text).
    Svg,
    /// Portable network graphics, 8-bit RGB.
    Png,
}

/// A chart could not be drawn.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlotError(pub String);

impl std::fmt::Display for PlotError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "could not draw the chart: {}", self.0)
    }
}

impl std::error::Error for PlotError {}

/// Draws `chart` at `size` in `format` and returns the file's bytes. The same chart gives the
/// same bytes on any machine.
pub fn render(chart: &Chart, size: Size, format: Format) -> Result<Vec<u8>, PlotError> {
    style::register_fonts();
    let (width, height) = size.pixels();
    match format {
        Format::Svg => {
            let mut text = String::new();
            {
                let root = text::Typeset::new(SVGBackend::with_string(&mut text, (width, height)), false)
                    .into_drawing_area();
                draw(&root, chart)?;
                root.present().map_err(layout::draw_err)?;
            }
            Ok(text.into_bytes())
        }
        Format::Png => {
            let mut pixels = vec![0u8; width as usize * height as usize * 3];
            {
                let root = text::Typeset::new(BitMapBackend::with_buffer(&mut pixels, (width, height)), true)
                    .into_drawing_area();
                draw(&root, chart)?;
                root.present().map_err(layout::draw_err)?;
            }
            encode_png(&pixels, width, height)
        }
    }
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    chart: &Chart,
) -> Result<(), PlotError> {
    let scale = style::Scale::new(root.dim_in_pixel().0);
    match chart {
        Chart::Timeline(c) => timeline::draw(root, c, scale),
        Chart::Panels(c) => panels::draw(root, c, scale),
        Chart::Fan(c) => fan::draw(root, c, scale),
        Chart::Heatmap(c) => heatmap::draw(root, c, scale),
        Chart::Tornado(c) => bars::draw_tornado(root, c, scale),
        Chart::Comparison(c) => bars::draw_comparison(root, c, scale),
        Chart::Ranking(c) => bars::draw_ranking(root, c, scale),
    }
}

fn encode_png(pixels: &[u8], width: u32, height: u32) -> Result<Vec<u8>, PlotError> {
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().map_err(layout::draw_err)?;
        writer.write_image_data(pixels).map_err(layout::draw_err)?;
        writer.finish().map_err(layout::draw_err)?;
    }
    Ok(out)
}
