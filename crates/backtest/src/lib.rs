//! # chokepoint-backtest
//!
//! What really happened, beside what the model says (DESIGN.md §9, `docs/backtest.md`).
//!
//! - [`observation`] reads observation files (CSV, one row per observed figure: a month of
//!   bilateral exports, the day a buyer first ran short, a price gap between markets) into
//!   [`Observation`]s checked against a model: every id, region, product and date is
//!   checked, and every problem is reported at once with its file, line and column, like a
//!   scenario file.
//! - [`measure`] takes one replicate's [`chokepoint_engine::RunResult`] and gives the
//!   model's value of each observation (monthly flows summed from the run's trade record,
//!   ratios to base months, first days short, price ratios).
//! - [`score`] turns the values of many replicates into a [`Score`] per observation (the
//!   model's 5th, 50th and 95th percentiles, whether the observation falls inside that
//!   band, and the error of the median) and a [`Coverage`] by kind and confidence.
//!
//! - [`calibrate`] fits scenario keys to the observations by approximate Bayesian
//!   computation with rejection: [`calibrate::draw`] from uniform priors,
//!   [`calibrate::distance`] of each draw's scores to history, [`calibrate::posterior`] of
//!   the closest draws.
//!
//! - [`run`] is the whole workflow for any front door: a plan's replicates
//!   (`chokepoint_montecarlo::collect`) measured, scored, and the observed trade series
//!   summarised by month.
//!
//! No files and no terminal: the caller reads the files and passes their text.

pub mod calibrate;
pub mod observation;
pub mod run;
pub mod score;

pub use observation::{Calendar, Confidence, Kind, Month, Observation, parse};
pub use run::{BAND_QUANTILES, Backtest, Series, run};
pub use score::{Coverage, CoverageRow, Score, measure, quantile, score};
