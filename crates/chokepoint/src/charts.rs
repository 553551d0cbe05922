//! Charts of results (`chokepoint plot`): every chart a run's or a sweep's result files
//! support, and the drawing of charts into SVG or PNG files.

use std::sync::atomic::AtomicBool;

use chokepoint_plot::{Format, Size};
use chokepoint_report::charts::{self, Named, SweepOptions};
use chokepoint_report::results::Results;

use crate::{Error, OutputFile};

/// The charts of a result directory's `results` (see `chokepoint_report::results::load`),
/// and the comparison with another sweep's `versus`; `entities` limits the fans to those
/// ids (all watched when empty), at most `max_fans` of them.
pub fn charts_of(
    results: &Results,
    versus: Option<&Results>,
    entities: &[String],
    max_fans: usize,
) -> Result<Vec<Named>, Error> {
    let mut list = match results {
        Results::Run(run) => charts::run_charts(run),
        Results::Sweep(sweep) => {
            charts::sweep_charts(sweep, &SweepOptions { entities, points: None, max_fans, markers: &[] })
        }
    };
    if let Some(other) = versus {
        let (Results::Sweep(a), Results::Sweep(b)) = (results, other) else {
            return Err(Error::new(
                "--versus compares two sweeps",
                "give two directories written by chokepoint sweep (with the same --runs and --seed)",
            ));
        };
        if a.meta.seed != b.meta.seed || a.runs != b.runs {
            return Err(Error::new(
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
                return Err(Error::new(
                    "the two sweeps have no watched buyer in common with per-run KPIs",
                    "compare sweeps of scenarios on the same world, with kpis.csv beside summary.json",
                ));
            }
        }
    }
    Ok(list)
}

/// Draws every chart at `size` in each of `formats`: files named `<stem>.svg` and
/// `<stem>.png`. Stops with [`Error::Interrupted`] between charts when `cancel` is raised.
pub fn render(
    charts: &[Named],
    formats: &[Format],
    size: Size,
    cancel: &AtomicBool,
) -> Result<Vec<OutputFile>, Error> {
    let mut files = Vec::new();
    for named in charts {
        crate::batch::check(cancel)?;
        for &format in formats {
            let contents = chokepoint_plot::render(&named.chart, size, format).map_err(|e| {
                Error::new(
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
