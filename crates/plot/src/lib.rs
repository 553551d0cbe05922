//! # chokepoint-plot
//!
//! Charts an analyst can drop on a slide, drawn from result types only: shortage over time
//! with shaded control periods, Monte Carlo fan charts, cascade heat maps, survival curves,
//! tornado charts and A-versus-B comparisons (`DESIGN.md` §6). Text uses an embedded font so
//! a bare machine renders the same picture.
//!
//! Nothing is here yet: charts are their own issue. This crate holds their place in the
//! dependency graph (`engine` <- `plot` <- `cli`).
