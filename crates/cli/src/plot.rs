//! `chokepoint plot`: every chart a run or sweep result supports, as SVG and/or PNG.

use std::path::Path;

use chokepoint_plot::{Format, Size};

use crate::Failure;
use crate::charts::{self, Named, SweepOptions};
use crate::output::OutputFile;
use crate::results::{self, Results};
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

/// The charts of a result directory (and of a comparison with another).
pub fn charts_of(
    results: &Results,
    versus: Option<&Results>,
    entities: &[String],
    max_fans: usize,
) -> Result<Vec<Named>, Failure> {
    let mut list = match results {
        Results::Run(run) => charts::run_charts(run),
        Results::Sweep(sweep) => {
            charts::sweep_charts(sweep, &SweepOptions { entities, points: None, max_fans, markers: &[] })
        }
    };
    if let Some(other) = versus {
        let (Results::Sweep(a), Results::Sweep(b)) = (results, other) else {
            return Err(Failure::new(
                "--versus compares two sweeps",
                "give two directories written by chokepoint sweep (with the same --runs and --seed)",
            ));
        };
        if a.meta.seed != b.meta.seed || a.runs != b.runs {
            return Err(Failure::new(
                format!(
                    "the sweeps do not share their random numbers: seed {} with {} runs against seed {} with {} runs",
                    a.meta.seed, a.runs, b.meta.seed, b.runs
                ),
                "run both with the same --seed and --runs, so that run i of one pairs with run i of the other",
            ));
        }
        let watched = a.meta.watched();
        match charts::comparison(a, 0, b, 0, &watched, false) {
            Some(chart) => list.push(chart),
            None => {
                return Err(Failure::new(
                    "the two sweeps have no watched buyer in common with per-run KPIs",
                    "compare sweeps of scenarios on the same world, with kpis.csv beside summary.json",
                ));
            }
        }
    }
    Ok(list)
}

/// Draws every chart at `size` in each format: `(file name, bytes)`.
pub fn render_all(charts: &[Named], formats: Formats, size: Size) -> Result<Vec<OutputFile>, Failure> {
    let mut files = Vec::new();
    for named in charts {
        crate::signals::check()?;
        for &format in formats.list() {
            let contents = chokepoint_plot::render(&named.chart, size, format).map_err(|e| {
                Failure::new(
                    format!("{}: {e}", named.stem),
                    "this is a bug; please report it with the result files",
                )
            })?;
            let extension = match format {
                Format::Svg => "svg",
                Format::Png => "png",
            };
            files.push(OutputFile { name: format!("{}.{extension}", named.stem), contents });
        }
    }
    Ok(files)
}

pub fn plot(request: &Request<'_>) -> Result<(), Failure> {
    let results = results::load(request.dir)?;
    let versus = request.versus.map(results::load).transpose()?;
    let charts = charts_of(&results, versus.as_ref(), request.entities, usize::MAX)?;
    let files = render_all(&charts, request.formats, request.size.into())?;
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
