//! # chokepoint-montecarlo
//!
//! Batches of replicates of one scenario: replicate *i* runs on the random streams derived
//! from (seed, *i*), sweeps are grids over scenario keys with common random numbers across
//! their points, and results are reduced in index order into fixed-memory summaries, so one
//! thread, many threads and many shards give the same bytes (DESIGN.md §5).
//!
//! Nothing is here yet: batch sweeps are their own issue. Until then a single replicate runs
//! through [`chokepoint_engine::Plan::run`], which already takes the replicate index that a
//! batch will pass.
