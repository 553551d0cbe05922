//! Simulated time: integer ticks of one hour, and the fixed phases of a simulated day.

use std::fmt;

/// Ticks (hours) in one simulated day.
pub const TICKS_PER_DAY: u64 = 24;

/// A point in simulated time, in ticks of one hour since the scenario start (tick 0 is
/// 00:00 on the start date).
///
/// Integer time keeps a run a pure function of (model, seed): no rounding drift, and equal
/// times compare equal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SimTime(pub u64);

impl SimTime {
    /// The tick at which `phase` happens on day `day`.
    pub fn at(day: u32, phase: Phase) -> SimTime {
        SimTime(u64::from(day) * TICKS_PER_DAY + phase as u64)
    }

    /// The day (0-based, since the start date) this tick falls in.
    pub fn day(self) -> u32 {
        // Horizons are capped far below u32::MAX days by `Model::validate`.
        u32::try_from(self.0 / TICKS_PER_DAY).unwrap_or(u32::MAX)
    }
}

impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "day {} {:02}:00", self.0 / TICKS_PER_DAY, self.0 % TICKS_PER_DAY)
    }
}

/// The fixed order of work inside one simulated day (the hour at which it happens).
///
/// Every day runs: controls change and shipments land, then stock is used (sinks meet
/// demand, facilities produce), then buyers review stock and order, then suppliers allocate
/// and ship, then the day is recorded. Writing the order down makes hand calculations of a
/// run possible (see `docs/model.md`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u64)]
pub enum Phase {
    /// Export controls start or end; shipments arrive.
    Morning = 0,
    /// Demand sinks consume; facilities produce.
    Use = 4,
    /// Buyers review stock and place orders.
    Review = 8,
    /// Suppliers allocate stock to open orders and ship.
    Allocate = 12,
    /// The day's metrics are recorded.
    Record = 23,
}
