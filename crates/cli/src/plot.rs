//! `chokepoint plot`: every chart a run or sweep result supports (`chokepoint::charts`), as
//! SVG and/or PNG.

use std::path::Path;

use chokepoint_plot::{Format, Size};

use chokepoint::report::results;

use crate::failure::Failure;
use crate::staged::{Slot, Staged};

/// Which files to write for each chart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Formats {
    /// PNG only (for slides and documents).
    Png,
    /// SVG only (scalable, text stays text).
    Svg,
    /// Both.
    Both,
}

impl Formats {
    pub fn list(self) -> &'static [Format] {
        match self {
            Formats::Png => &[Format::Png],
            Formats::Svg => &[Format::Svg],
            Formats::Both => &[Format::Svg, Format::Png],
        }
    }
}

/// Picture size, for the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Sizes {
    /// 1920 × 1080 (16:9), for slides and projectors.
    Slide,
    /// 2250 × 1500 (7.5 × 5 in at 300 dpi), for print.
    Print,
}

impl From<Sizes> for Size {
    fn from(s: Sizes) -> Size {
        match s {
            Sizes::Slide => Size::Slide,
            Sizes::Print => Size::Print,
        }
    }
}

/// What `chokepoint plot` was asked for.
pub struct Request<'a> {
    pub dir: &'a Path,
    pub output: Option<&'a Path>,
    pub formats: Formats,
    pub size: Sizes,
    pub entities: &'a [String],
    pub versus: Option<&'a Path>,
}

/// Runs `chokepoint plot`.
pub fn plot(request: &Request<'_>) -> Result<(), Failure> {
    let results = results::load(request.dir)?;
    let versus = request.versus.map(results::load).transpose()?;
    let charts = chokepoint::charts::charts_of(&results, versus.as_ref(), request.entities, usize::MAX)?;
    let files = chokepoint::charts::render(
        &charts,
        request.formats.list(),
        request.size.into(),
        &crate::signals::CANCEL,
    )?;
    let directory = request.output.map_or_else(|| results::charts_directory(request.dir), Path::to_path_buf);
    let staged = Staged::begin(&directory, Slot::Plot)?;
    staged.write(&files)?;
    staged.commit()?;
    for named in &charts {
        outln!("{:<28} {}", named.stem, named.chart.frame().title);
    }
    outln!("\nWrote {} files in {}", files.len(), directory.display());
    Ok(())
}
