//! # chokepoint-engine
//!
//! The discrete-event simulation at the heart of chokepoint: who runs short, when, and for
//! how long, when a country stops exporting a material or a part.
//!
//! - [`Model`] is the chain as plain data: [`Product`]s, [`Facility`]s that make one product
//!   from a recipe of inputs, demand [`Sink`]s, [`Supply`] links with source shares and
//!   transit times and alternates, and [`Event`]s ([`disruption`]): export controls with
//!   licences, leakage and content rules, quotas, suspensions, shocks and responses.
//! - [`Plan`] validates a model and precomputes what does not change between replicates
//!   (baseline flows, initial stocks, order levels); [`Plan::run`] plays one replicate for a
//!   [`RunConfig`] (seed and replicate index) and returns a [`RunResult`]: daily series per
//!   entity and metric, bilateral [`TradeFlow`]s per route, the timeline of events, [`Kpis`]
//!   per entity and a conservation [`Ledger`] per product.
//! - Time is whole days, each run in fixed [`Phase`]s: the morning's events, use, reviews,
//!   allocation, record. The daily work of every entity is a fixed loop; what happens on
//!   some days only (shipments landing, scenario events, periodic reviews) waits in a
//!   [`Calendar`] per phase, a timing wheel taken in (day, insertion) order. Every random
//!   draw comes from a ChaCha8 stream derived from (seed, replicate, entity, purpose) — see
//!   [`rng`].
//! - [`Plan::run_in`] runs a replicate in a [`Workspace`] whose buffers the previous
//!   replicate's result handed back: the same result as [`Plan::run`], without allocating
//!   and zeroing them again.
//!
//! The engine does no I/O, reads no clock, starts no thread and has no global random state:
//! a run is a pure function of (model, seed, replicate). `docs/model.md` states the model's
//! semantics and assumptions; every number here follows it.

mod calendar;
pub mod disruption;
pub mod dist;
pub mod model;
mod plan;
mod queue;
pub mod result;
pub mod rng;
mod sim;
mod time;
mod validate;

pub use calendar::{Calendar, WHEEL_DAYS};
pub use disruption::{
    Action, Allocation, Announcement, ApprovalRule, Authority, CapacityShock, ContentRule, DemandShock, End,
    Event, EventId, ExportControl, GeneralLicence, LaneEffect, Leakage, Licence, LicenceKind, LicenceTerms,
    LogisticsShock, PriceIndex, PriorityClass, Quota, Recipient, Start, Stockpile, Substitution,
};
pub use dist::Dist;
pub use model::{
    Adaptation, Alternate, Bloc, Buyer, Emergency, Facility, FacilityId, Model, Noise, Policy, Product,
    ProductId, Region, Sink, SinkId, Source, Stock, Supply, Targets, Thrift, Unmet,
};
pub use plan::Plan;
pub use queue::EventQueue;
pub use result::{
    Applicant, EntityInfo, EntityKind, EventKind, EventRecord, Headroom, HoldCause, HoldRecord, Kpis, Ledger,
    RunResult, Series, TradeFlow,
};
pub use sim::{RunConfig, SeriesFilter, Workspace};
pub use time::{Phase, SimTime, TICKS_PER_DAY};
pub use validate::ModelError;

/// Checks a model without running it: every problem that would stop it.
pub fn model_errors(model: &Model) -> Result<(), Vec<ModelError>> {
    validate::validate(model)
}

/// Validates `model` and runs one replicate: the shortest path from a model to results.
pub fn run(model: &Model, config: RunConfig) -> Result<RunResult, Vec<ModelError>> {
    Ok(Plan::new(model)?.run(config))
}
