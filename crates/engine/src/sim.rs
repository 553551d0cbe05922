//! The event loop of one replicate: state, event handlers, and recording.
//!
//! - `sim.rs` (this file): the state of a run, its events and the loop, arrivals, demand,
//!   capacity, production and review.
//! - [`setup`]: draws once per replicate and the steady state at the start.
//! - [`timeline`]: scenario events starting and ending, and their timeline rows.
//! - [`trade`]: what happens at a supplier's door: the rules that gate each order (export
//!   controls, licences, content rules, quotas, closed lanes), priority allocation,
//!   shipping, leakage and diversion.
//! - [`responses`]: re-sourcing to alternates and stockpile releases.
//! - [`split`]: exact integer splits.
//! - [`record`]: the daily series, price indices, and the run's result.

pub(crate) mod record;
mod responses;
mod setup;
mod split;
mod timeline;
mod trade;

use std::collections::HashMap;

use crate::calendar::Calendar;
use crate::disruption::Action;
use crate::dist::PoissonCache;
use crate::model::{Noise, Unmet};
use crate::plan::{Plan, round_i64, to_qty};
use crate::result::{EventKind, EventRecord, HoldRecord, Ledger, RunResult, Series};
use crate::rng::StreamRng;

/// Which replicate of which batch to run: together with the model, all a run depends on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct RunConfig {
    /// Base seed.
    pub seed: u64,
    /// Replicate index within a batch (0 for a single run).
    pub replicate: u64,
}

/// The closed set of things that happen on some days of a run. The work of every day
/// (demand, production, allocation, stockpile releases, recording) is not an event: the
/// loop does it in its fixed phase order.
#[derive(Clone, Copy, Debug)]
enum Event {
    /// A scenario event starts (index into `model.events`).
    Start(u32),
    /// A scenario event ends.
    End(u32),
    /// An export control is announced: affected buyers raise their order levels until it
    /// starts.
    Announce(u32),
    /// A substitution's switching delay is over: the facility uses the substitute.
    Switch(u32),
    /// A quota's allowance resets at the start of a new period.
    QuotaReset(u32),
    /// A facility comes online.
    Online(u32),
    /// A shipment from one source lands in its slot's stock.
    Arrive { link: u32, qty: i64 },
    /// A stockpile release lands in a slot's stock.
    Release { pile: u32, slot: u32, qty: i64 },
    /// A facility reviews its inputs and orders (in the review phase's calendar).
    ReviewFacility(u32),
    /// A sink reviews its stock and orders (in the review phase's calendar).
    ReviewSink(u32),
}

#[derive(Clone, Debug, Default)]
struct SlotState {
    on_hand: i64,
    /// Shipped to this slot and not yet arrived, from all its sources and stockpiles.
    in_transit: i64,
    backlog: i64,
    /// Day the buyer was first cut off from a source (it then starts qualifying alternates).
    cut_day: Option<u32>,
    /// Whether the buyer's orders currently follow re-sourced shares.
    resourced: bool,
    /// The previous day's shortage fraction of the buyer (for stockpile releases).
    shortage: f64,
    /// First day a border rule or a closed lane held one of its orders (emergency targets).
    held_day: Option<u32>,
    /// First day this input limited its facility's production (thrifting).
    limit_day: Option<u32>,
    /// Lowest stock on hand plus in transit at the end of a day so far (headroom), and the
    /// first day it was reached; `None` before the first day tracked.
    low: Option<(i64, u32)>,
    /// On the day of `low`, the source with the most orders not yet shipped (facility
    /// index), if any were open.
    low_supplier: Option<u32>,
}

/// The pipeline between one slot and one of its sources.
#[derive(Clone, Debug, Default)]
struct LinkState {
    /// Share of the slot's orders placed on this link now (re-sourcing changes it).
    share: f64,
    in_transit: i64,
    /// Ordered and not yet shipped (including orders a rule holds).
    open: i64,
    /// Quantity held at the border and already counted as refused.
    refused_counted: i64,
    /// Refused quantity that may still leak through third countries.
    leak_allowance: i64,
    /// Whether the link is in a refusal episode (for the timeline).
    refusing: bool,
    /// Whether the link is in a leakage episode (for the timeline).
    leaking: bool,
    /// Days from the cut-off until this alternate is qualified (drawn once per replicate).
    qualify_days: u32,
    /// Orders a border rule held and that have not shipped yet: released, they ship at the
    /// release pace (`Adaptation::release_pace`).
    held: i64,
    /// Index in `Simulation::holds` of the link's latest hold episode.
    hold_record: Option<u32>,
}

/// Flows of one day, reset after recording.
#[derive(Clone, Debug, Default)]
struct FacilityDay {
    production: i64,
    want: i64,
    lost: i64,
    shipped: i128,
    exported: i128,
    refused: i128,
    licensed: i128,
    leaked: i128,
    diverted: i128,
    resourced: i128,
}

#[derive(Clone, Debug)]
struct FacilityState {
    /// Capacity drawn for this replicate, micro-units per day.
    capacity: i64,
    /// Days of the ramp after coming online (0: full at once).
    ramp_days: f64,
    /// Whether shocks, a ramp or substitutions can change its capacity.
    dynamic: bool,
    output: i64,
    open_total: i64,
    /// Whether it is in a diversion episode (for the timeline).
    diverting: bool,
    day: FacilityDay,
}

#[derive(Clone, Debug, Default)]
struct SinkDay {
    demand: i64,
    met: i64,
    unmet: i64,
}

struct SinkState {
    rng: StreamRng,
    /// Poisson demand's set-up for the last rate.
    poisson: PoissonCache,
    /// Relative demand noise, set up for drawing.
    noise: crate::dist::Sampler,
    day: SinkDay,
}

/// Values of a scenario event drawn once per replicate.
#[derive(Clone, Debug, Default)]
struct Draws {
    /// Days after the trigger starts (escalation).
    delay: u32,
    /// Days it lasts (`End::After`).
    length: Option<u32>,
    /// Licence approval probability.
    approval: f64,
    /// Approval probability of each `approval_by` rule, in order.
    approval_by: Vec<f64>,
    /// Approval probability of a repeat applicant (`None`: the base approval).
    repeat: Option<f64>,
    /// Probability that an eligible applicant gets a general licence.
    general_share: f64,
    /// Share of refused flow that leaks.
    leak_share: f64,
    /// Quota allowance or stockpile holding, micro-units.
    amount: i64,
    /// Capacity left by a shock, or demand factor.
    factor: f64,
    /// Days of a capacity shock's recovery, or of a substitution's switching delay.
    days: u32,
}

/// What a scenario event is doing in this run.
#[derive(Clone, Debug, Default)]
struct EventState {
    /// Day it started.
    started: Option<u32>,
    /// Day it ended.
    ended: Option<u32>,
    active: bool,
    /// Active suspensions naming it.
    suspended: u32,
    /// An announced control between its announcement and its start: the buyers it affects
    /// order up to their raised levels.
    announced: bool,
    /// A substitution that has switched, or a stockpile that is releasing.
    engaged: bool,
    /// A quota's allowance left in this period, or a stockpile's holding, micro-units.
    left: i64,
    /// Stream of per-use draws (leakage delays, logistics delays).
    rng: Option<StreamRng>,
}

/// One applicant's licences on one supply link under one control.
struct LicenceCase {
    rng: StreamRng,
    /// Licensed quantity not yet shipped, micro-units (single-shipment licences).
    granted: i64,
    /// The applicant's own part of the link's open orders: new orders are shared equally
    /// among applicants, shipments come off the parts they were licensed for.
    book: i64,
    /// Day the books were last synced with the link's orders.
    synced: u32,
    /// Last day before which a multi-shipment (or general) licence is valid (0: none).
    licensed_until: u32,
    /// Share of the applicant's orders a multi-shipment licence covers.
    cover: f64,
    /// Decision day of the application under review (for an authority with a capacity:
    /// set when the authority takes it up).
    pending: Option<u32>,
    /// Waiting in its authority's queue.
    queued: bool,
    /// First day a new application may be made.
    next_apply: u32,
    /// Whether the last decision was a refusal (the buyer counts as cut off).
    refused: bool,
    /// Whether it has held a licence under this control (repeat approval, general
    /// licences).
    approved_before: bool,
    /// Whether its general licence has been decided.
    general_decided: bool,
    /// Days of its first application and first approval.
    first_applied: Option<u32>,
    first_approved: Option<u32>,
}

/// An application in an authority's queue: (day its review is over, filing order, control,
/// link, applicant); ordered by the first two.
type Application = (u32, u64, u32, u32, u32);

/// A licensing authority's queue: applications ordered by the day their review is over,
/// then by filing order.
#[derive(Default)]
struct AuthorityState {
    queue: std::collections::BinaryHeap<std::cmp::Reverse<Application>>,
    /// Filing order.
    seq: u64,
    /// Decisions it may still make today (only a fraction of one carries over).
    credit: f64,
    /// Last day processed.
    day: Option<u32>,
}

/// Price accumulators of one market for one day.
#[derive(Clone, Debug, Default)]
struct MarketDay {
    /// Open orders of buyers in the market when their suppliers allocated, and what shipped.
    wanted: f64,
    got: f64,
    /// Open orders of sellers in the market, and the part rules held at the border.
    sellers_open: f64,
    sellers_held: f64,
}

struct Simulation<'p, 'm> {
    plan: &'p Plan<'m>,
    config: RunConfig,
    /// Events of the morning phase (scenario events, arrivals, releases).
    morning: Calendar<Event>,
    /// Reviews, each on its own period.
    reviews: Calendar<Event>,
    slots: Vec<SlotState>,
    links: Vec<LinkState>,
    facilities: Vec<FacilityState>,
    sinks: Vec<SinkState>,
    transit_rngs: Vec<StreamRng>,
    draws: Vec<Draws>,
    states: Vec<EventState>,
    /// Licence cases of each (control, link), one per applicant.
    licences: HashMap<(u32, u32), Vec<LicenceCase>>,
    authorities: Vec<AuthorityState>,
    /// Content rule of each event (index into `plan.content_rules`).
    rule_of: Vec<Option<usize>>,
    /// Controlled value (currency × micro-units) per content rule of each slot's stock on
    /// hand, each link's pipeline and each facility's output stock (`index * rules + rule`).
    slot_content: Vec<f64>,
    link_content: Vec<f64>,
    output_content: Vec<f64>,
    /// Controlled share of each stockpile's holding per content rule.
    stockpile_content: Vec<f64>,
    /// Controlled value taken from input stocks on its way into a facility's output, per
    /// content rule.
    taken: Vec<f64>,
    /// Price index of each market, and the day's accumulators.
    prices: Vec<f64>,
    market_day: Vec<MarketDay>,
    /// Released by each stockpile today, micro-units.
    released: Vec<i64>,
    /// Goods leaving on each trade route (routes as in `plan.routes`).
    trade: record::TradeRecord,
    first_disruption: Option<u32>,
    events: Vec<EventRecord>,
    /// Episodes of orders held at suppliers' doors, by link and cause (`RunResult::holds`).
    holds: Vec<HoldRecord>,
    ledgers: Vec<Ledger>,
    /// The daily series recorded: one per `plan.specs`, or one per index of `recorded`.
    series: Vec<Series>,
    /// `(position in `series`, index into `plan.specs`)` of each recorded series, in the
    /// order a day records them (`record::record_order`).
    record_order: Vec<(usize, usize)>,
    /// Buyers' needs in a stockpile release (scratch).
    needs: Vec<(usize, i64)>,
    /// Scratch buffers for allocation.
    entries: Vec<trade::Entry>,
    scratch: Vec<i64>,
    n_events: u64,
}

/// The buffers of a replicate, kept for the next: a caller that runs many replicates
/// (a sweep's worker thread, a ranking's) hands each result back with
/// [`Workspace::recycle`] once it has read it, and the next [`Plan::run_in`] records its
/// series and trade flows into the same memory and schedules into the same calendars,
/// instead of allocating and zeroing them again. The results are the same bits either
/// way; a workspace may go from one plan to another (buffers that do not fit are
/// replaced).
#[derive(Default)]
pub struct Workspace {
    morning: Calendar<Event>,
    reviews: Calendar<Event>,
    series: Vec<Series>,
    trade: Vec<Vec<f64>>,
    record_order: Vec<(usize, usize)>,
}

impl Workspace {
    /// An empty workspace: its first replicate allocates as [`Plan::run`] does.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes back a result's series and trade flows for the next replicate.
    pub fn recycle(&mut self, result: RunResult) {
        self.series = result.series;
        self.trade = result.trade.into_iter().map(|flow| flow.daily).collect();
    }
}

/// Which daily series a run records ([`Plan::series_filter`], [`Plan::run_with`]). Every
/// entity's `demand` and `unmet` are always recorded: the KPIs are computed from them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeriesFilter {
    /// Indices into the plan's series, in order.
    recorded: Vec<usize>,
    /// The order a day records them in (`record::record_order`), computed once.
    order: Vec<(usize, usize)>,
}

impl SeriesFilter {
    /// How many series it records.
    pub fn len(&self) -> usize {
        self.recorded.len()
    }

    /// Whether it records none (never: demand and unmet are always recorded, if any
    /// entity exists).
    pub fn is_empty(&self) -> bool {
        self.recorded.is_empty()
    }
}

impl Plan<'_> {
    /// Runs one replicate.
    pub fn run(&self, config: RunConfig) -> RunResult {
        self.run_in(config, &mut Workspace::new())
    }

    /// Runs one replicate in `workspace`'s buffers (see [`Workspace`]): the same result as
    /// [`Plan::run`].
    pub fn run_in(&self, config: RunConfig, workspace: &mut Workspace) -> RunResult {
        self.run_recording(config, workspace, None, &self.record_order)
    }

    /// The series a run records when `keep(entity id, metric)` says which it needs, with
    /// every entity's `demand` and `unmet` besides (for the KPIs).
    pub fn series_filter(&self, keep: impl Fn(&str, &str) -> bool) -> SeriesFilter {
        let entities = record::entity_ids(self);
        let recorded = (self.specs.iter().enumerate())
            .filter(|(_, spec)| {
                matches!(spec.metric.as_str(), "demand" | "unmet")
                    || keep(entities[spec.entity], &spec.metric)
            })
            .map(|(index, _)| index)
            .collect::<Vec<usize>>();
        let order = record::record_order(&self.specs, Some(&recorded));
        SeriesFilter { recorded, order }
    }

    /// Runs one replicate in `workspace`'s buffers recording only the series of `filter`
    /// (made by this plan's [`Plan::series_filter`]): every value, KPI, ledger, trade flow
    /// and event is [`Plan::run`]'s; `RunResult::series` holds only the recorded series, in
    /// the same order. A caller that reduces a few series of a large world (a sweep's
    /// bands, a ranking's watched buyers) saves the time and memory of the others.
    pub fn run_with(&self, config: RunConfig, workspace: &mut Workspace, filter: &SeriesFilter) -> RunResult {
        self.run_recording(config, workspace, Some(&filter.recorded), &filter.order)
    }

    /// A run recording the series `recorded` (all: `None`) in the day order `order`.
    fn run_recording(
        &self,
        config: RunConfig,
        workspace: &mut Workspace,
        recorded: Option<&[usize]>,
        order: &[(usize, usize)],
    ) -> RunResult {
        let mut sim = Simulation::new(self, config, workspace, recorded, order);
        sim.run();
        let result = sim.finish();
        workspace.morning = std::mem::take(&mut sim.morning);
        workspace.reviews = std::mem::take(&mut sim.reviews);
        workspace.record_order = std::mem::take(&mut sim.record_order);
        result
    }
}

impl<'p, 'm> Simulation<'p, 'm> {
    /// The days of the run. Each day: the morning's events in the order they were scheduled,
    /// then every sink's demand and every facility's production (sinks first, each in index
    /// order), then the reviews due today (in the order they were scheduled: a review
    /// schedules its next one when it runs), then every facility's allocation in index
    /// order and the stockpiles' releases, then the day's record. This is exactly the order
    /// of a priority queue on (time, insertion sequence) into which setup put day 0's
    /// work and each piece of work put its next occurrence, without the queue.
    fn run(&mut self) {
        let horizon = self.plan.model.horizon_days;
        let n_sinks = self.plan.model.sinks.len();
        let n_facilities = self.plan.model.facilities.len();
        let stockpiles = !self.plan.stockpiles.is_empty();
        let daily = (2 * n_facilities + n_sinks + usize::from(stockpiles) + 1) as u64;
        for day in 0..horizon {
            let mut index = 0;
            while let Some(event) = self.morning.get(index) {
                index += 1;
                self.morning_event(day, event);
            }
            self.n_events += index as u64;
            self.morning.advance();
            for sink in 0..n_sinks {
                self.demand(day, sink);
            }
            for facility in 0..n_facilities {
                self.produce(day, facility);
            }
            let mut index = 0;
            while let Some(event) = self.reviews.get(index) {
                index += 1;
                self.review_event(day, event);
            }
            self.n_events += index as u64;
            self.reviews.advance();
            for facility in 0..n_facilities {
                self.allocate(day, facility);
            }
            if stockpiles {
                self.release_stockpiles(day);
            }
            self.track_cover(day);
            self.record(day);
            self.n_events += daily;
        }
    }

    fn morning_event(&mut self, day: u32, event: Event) {
        match event {
            Event::Start(index) => self.start(day, index as usize),
            Event::End(index) => self.end(day, index as usize),
            Event::Announce(index) => self.announce(day, index as usize),
            Event::Switch(index) => self.switch(day, index as usize),
            Event::QuotaReset(index) => {
                let index = index as usize;
                if self.states[index].active {
                    self.states[index].left = self.draws[index].amount;
                    if let Action::Quota(quota) = &self.plan.model.events[index].action {
                        self.schedule(day.saturating_add(quota.period_days), event);
                    }
                }
            }
            Event::Online(facility) => {
                let id = self.plan.model.facilities[facility as usize].id.clone();
                let detail = format!("{id} comes online");
                self.log(day, EventKind::FacilityOnline, id, detail);
            }
            Event::Arrive { link, qty } => self.arrive(link as usize, qty),
            Event::Release { pile, slot, qty } => self.release_arrives(pile as usize, slot as usize, qty),
            Event::ReviewFacility(_) | Event::ReviewSink(_) => {
                unreachable!("reviews are in their own calendar")
            }
        }
    }

    fn review_event(&mut self, day: u32, event: Event) {
        let next = match event {
            Event::ReviewFacility(facility) => {
                let index = facility as usize;
                let facility = &self.plan.model.facilities[index];
                let online_day = facility.online_day;
                let review_days = facility.policy.review_days();
                for slot in self.plan.facility_slots[index].clone() {
                    // A plant not yet online orders so that its inputs land when it starts.
                    if day + self.plan.slots[slot].lead_days >= online_day {
                        self.review(day, slot);
                    }
                }
                day.saturating_add(review_days)
            }
            Event::ReviewSink(sink) => {
                let slot = self.plan.sink_slot[sink as usize];
                self.review(day, slot);
                day.saturating_add(self.plan.slots[slot].review_days)
            }
            _ => unreachable!("only reviews are in the review calendar"),
        };
        if next < self.plan.model.horizon_days {
            self.reviews.schedule(next, event);
        }
    }

    /// Schedules `event` on the morning of `day` if that is inside the horizon.
    fn schedule(&mut self, day: u32, event: Event) {
        if day < self.plan.model.horizon_days {
            self.morning.schedule(day, event);
        }
    }

    fn log(&mut self, day: u32, kind: EventKind, subject: String, detail: String) {
        self.events.push(EventRecord { day, kind, subject, detail });
    }

    /// Whether a control (export control or quota) binds exporters now.
    fn in_force(&self, event: usize) -> bool {
        let state = &self.states[event];
        state.active && state.suspended == 0
    }

    /// Keeps each slot's lowest cover of the run (`RunResult::headroom`): stock on hand plus
    /// in transit at the end of the day, for slots in use (not a substitute's, not a plant's
    /// before it comes online, not one planned for no use). The use per day is the slot's
    /// constant planned flow, so the lowest position is the lowest cover.
    fn track_cover(&mut self, day: u32) {
        let plan = self.plan;
        for &(slot, from) in &plan.cover_slots {
            if day < from {
                continue;
            }
            let state = &self.slots[slot];
            let position = state.on_hand + state.in_transit;
            if state.low.is_some_and(|(low, _)| position >= low) {
                continue;
            }
            // The supplier furthest behind: most ordered and not shipped (held at a border
            // included); the first source on a tie.
            let mut behind: Option<(i64, u32)> = None;
            for link in plan.slots[slot].sources.clone() {
                let open = self.links[link].open;
                if open > 0 && behind.is_none_or(|(most, _)| open > most) {
                    behind = Some((open, plan.sources[link].from as u32));
                }
            }
            let state = &mut self.slots[slot];
            state.low = Some((position, day));
            state.low_supplier = behind.map(|(_, from)| from);
        }
    }

    fn arrive(&mut self, link: usize, qty: i64) {
        let slot = self.plan.sources[link].slot;
        let n_rules = self.plan.content_rules.len();
        if n_rules > 0 {
            let from = &mut self.link_content[link * n_rules..(link + 1) * n_rules];
            let to = &mut self.slot_content[slot * n_rules..(slot + 1) * n_rules];
            move_content(from, to, qty, self.links[link].in_transit);
        }
        self.links[link].in_transit -= qty;
        let state = &mut self.slots[slot];
        state.in_transit -= qty;
        state.on_hand += qty;
    }

    /// Takes `qty` from a slot's stock on hand; its share of controlled content goes to
    /// `taken` (stock is well mixed: every unit carries the stock's average share).
    fn take_from_slot(&mut self, slot: usize, qty: i64) {
        let n_rules = self.plan.content_rules.len();
        if n_rules > 0 {
            let from = &mut self.slot_content[slot * n_rules..(slot + 1) * n_rules];
            move_content(from, &mut self.taken, qty, self.slots[slot].on_hand);
        }
        self.slots[slot].on_hand -= qty;
    }

    fn demand(&mut self, day: u32, sink_index: usize) {
        let spec = &self.plan.model.sinks[sink_index];
        let mut factor = 1.0;
        for &shock in &self.plan.sink_shocks[sink_index] {
            if self.states[shock].active {
                factor *= self.draws[shock].factor;
            }
        }
        let sink = &mut self.sinks[sink_index];
        // (1 + 0)^x is exactly 1: no power to take without growth.
        let growth = if spec.growth == 0.0 { 1.0 } else { (1.0 + spec.growth).powf(f64::from(day) / 365.0) };
        let rate = spec.rate * growth * factor;
        let units = match &spec.noise {
            Noise::None => rate,
            Noise::Poisson => sink.poisson.sample(rate, &mut sink.rng),
            Noise::Relative(_) => rate * (1.0 + sink.noise.sample(&mut sink.rng)).max(0.0),
        };
        let demand = to_qty(units.clamp(0.0, crate::model::MAX_RATE));
        let slot_index = self.plan.sink_slot[sink_index];
        let slot = &self.slots[slot_index];
        // Backlog is served first, then the day's demand.
        let backlog_served = slot.backlog.min(slot.on_hand);
        let met = demand.min(slot.on_hand - backlog_served);
        self.take_from_slot(slot_index, backlog_served + met);
        self.discard_content();
        let slot = &mut self.slots[slot_index];
        slot.backlog -= backlog_served;
        let unmet = demand - met;
        if spec.unmet == Unmet::Backlog {
            slot.backlog += unmet;
        }
        let sink = &mut self.sinks[sink_index];
        sink.day.demand += demand;
        sink.day.met += met;
        sink.day.unmet += unmet;
        self.ledgers[spec.product.0 as usize].delivered_to_sinks += i128::from(backlog_served + met);
    }

    /// Capacity of facility `index` on `day`, micro-units: its drawn capacity times its ramp
    /// after coming online, the shocks on it (and their recovery), and substitution
    /// penalties.
    fn capacity(&self, day: u32, index: usize) -> i64 {
        let state = &self.facilities[index];
        if !state.dynamic {
            return state.capacity;
        }
        let plan = self.plan;
        let facility = &plan.model.facilities[index];
        if day < facility.online_day {
            return 0;
        }
        let mut factor = if state.ramp_days > 0.0 {
            (f64::from(day - facility.online_day + 1) / state.ramp_days).min(1.0)
        } else {
            1.0
        };
        for &shock in &plan.facility_shocks[index] {
            let event = &self.states[shock];
            let remaining = self.draws[shock].factor;
            if event.active {
                factor *= remaining;
            } else if let Some(ended) = event.ended {
                let recovery = self.draws[shock].days;
                if recovery > 0 && day < ended + recovery {
                    factor *= remaining + (1.0 - remaining) * f64::from(day - ended) / f64::from(recovery);
                }
            }
        }
        for sub in &plan.substitutes[index] {
            if self.states[sub.event].engaged
                && let Action::Substitute(spec) = &plan.model.events[sub.event].action
            {
                factor *= 1.0 - spec.penalty;
            }
        }
        round_i64(state.capacity as f64 * factor)
    }

    fn produce(&mut self, day: u32, index: usize) {
        let plan = self.plan;
        let spec = &plan.model.facilities[index];
        let capacity = self.capacity(day, index);
        let shippable = self.shippable_open(day, index);
        let state = &self.facilities[index];
        let target = plan.output_target[index];
        let want = (target + shippable - state.output).max(0);
        let feasible = want.min(capacity);
        let mut quantity = feasible;
        for slot in plan.recipe_slots(index) {
            let per_unit = plan.slots[slot].per_unit * self.thrift(day, slot);
            let mut possible = self.slots[slot].on_hand as f64 / per_unit;
            if let Some(sub) = self.substitute_for(index, slot) {
                possible += self.slots[sub.by_slot].on_hand as f64 / sub.per_unit;
            }
            // Truncation is the floor for what is not negative, and both clamp to 0 below.
            let possible = (possible as i64).max(0);
            if possible < feasible && plan.model.adaptation.thrift.is_some() {
                self.slots[slot].limit_day.get_or_insert(day);
            }
            quantity = quantity.min(possible);
        }
        for slot in plan.recipe_slots(index) {
            let per_unit = plan.slots[slot].per_unit * self.thrift(day, slot);
            let need = round_i64(quantity as f64 * per_unit);
            let used = need.min(self.slots[slot].on_hand);
            self.take_from_slot(slot, used);
            self.ledgers[plan.slots[slot].product.0 as usize].consumed += i128::from(used);
            if used < need
                && let Some(sub) = self.substitute_for(index, slot)
            {
                let ratio = sub.per_unit / per_unit;
                let by_need = round_i64((need - used) as f64 * ratio);
                let by_used = by_need.min(self.slots[sub.by_slot].on_hand);
                self.take_from_slot(sub.by_slot, by_used);
                self.ledgers[plan.slots[sub.by_slot].product.0 as usize].consumed += i128::from(by_used);
            }
        }
        let n_rules = plan.content_rules.len();
        if n_rules > 0 {
            // An origin-product is controlled whole; any other output carries the
            // controlled value of the inputs it used.
            let value = plan.model.products[spec.product.0 as usize].value;
            for rule in 0..n_rules {
                let taken = std::mem::take(&mut self.taken[rule]);
                let added = if plan.origin[index * n_rules + rule] { value * quantity as f64 } else { taken };
                self.output_content[index * n_rules + rule] += added;
            }
        }
        let state = &mut self.facilities[index];
        state.output += quantity;
        state.day.production += quantity;
        state.day.want += feasible;
        state.day.lost += feasible - quantity;
        self.ledgers[spec.product.0 as usize].produced += i128::from(quantity);
    }

    /// The factor on a facility input's recipe from thrifting (`Adaptation::thrift`): 1
    /// until `after` days past the first day the input limited production, then falling
    /// linearly over `ramp` days to `1 − max_cut`.
    fn thrift(&self, day: u32, slot: usize) -> f64 {
        let (Some(thrift), Some(limit)) = (&self.plan.model.adaptation.thrift, self.slots[slot].limit_day)
        else {
            return 1.0;
        };
        let start = limit.saturating_add(thrift.after_days);
        if day < start {
            return 1.0;
        }
        let progress = if thrift.ramp_days == 0 {
            1.0
        } else {
            (f64::from(day - start + 1) / f64::from(thrift.ramp_days)).min(1.0)
        };
        1.0 - thrift.max_cut * progress
    }

    /// Drops content taken from stock that leaves the chain (consumed by final users).
    fn discard_content(&mut self) {
        self.taken.iter_mut().for_each(|mass| *mass = 0.0);
    }

    /// The substitution in effect for one of a facility's input slots, if any.
    fn substitute_for(&self, index: usize, slot: usize) -> Option<crate::plan::SubstitutePlan> {
        (self.plan.substitutes[index].iter())
            .find(|sub| sub.input_slot == slot && self.states[sub.event].engaged)
            .copied()
    }

    /// Orders up to the policy's level. Each source is asked to keep up its share of it:
    /// its share of the stock on hand plus what is on its way from it and on order with
    /// it. A source that refuses is not replaced by the others beyond their own shares;
    /// a buyer with alternates re-sources first (see `trade`).
    fn review(&mut self, day: u32, slot: usize) {
        let plan = &self.plan.slots[slot];
        if plan.substitute && !self.substitute_engaged(slot) {
            return;
        }
        if self.plan.features.alternates && plan.sources.len() > 1 {
            self.resource(day, slot);
        }
        let plan = &self.plan.slots[slot];
        // An announced control that has not started yet raises the level of the buyers it
        // will bind (pre-buying); the highest standing announcement counts.
        let mut order_up_to = plan.order_up_to;
        for &(event, level) in &self.plan.raised[slot] {
            if self.states[event].announced {
                order_up_to = order_up_to.max(level);
            }
        }
        // After a cut, an emergency target for a while.
        if let (Some(emergency), Some(held)) =
            (&self.plan.model.adaptation.emergency, self.slots[slot].held_day)
            && day < held.saturating_add(emergency.lasts_days)
        {
            order_up_to = order_up_to.max(self.plan.emergency_level[slot]);
        }
        let state = &self.slots[slot];
        let links = &self.links[plan.sources.clone()];
        let net_stock = state.on_hand - state.backlog;
        let position = net_stock + links.iter().map(|l| l.in_transit + l.open).sum::<i64>();
        // (s, S) orders when the whole position is at or below s; a base-stock policy asks
        // each source to keep up its own share, so orders stuck at one source (held at a
        // border) do not stop the others.
        let triggered = match plan.reorder_point {
            Some(reorder_point) => position <= reorder_point,
            None => true,
        };
        if !triggered {
            return;
        }
        for link in plan.sources.clone() {
            let source = self.plan.sources[link];
            let state = &self.links[link];
            if state.share <= 0.0 {
                continue;
            }
            let own_position = round_i64(net_stock as f64 * state.share) + state.in_transit + state.open;
            let qty = (round_i64(order_up_to as f64 * state.share) - own_position).max(0);
            if qty > 0 {
                self.facilities[source.from].open_total += qty;
                self.links[link].open += qty;
            }
        }
    }

    /// Whether a substitution that uses the substitute held in `slot` is in effect.
    fn substitute_engaged(&self, slot: usize) -> bool {
        let crate::model::Buyer::Facility(f) = self.plan.slots[slot].buyer else { return false };
        (self.plan.substitutes[f.0 as usize].iter())
            .any(|sub| sub.by_slot == slot && self.states[sub.event].engaged)
    }
}

/// Moves the controlled value of `qty` taken from a well-mixed stock of `stock` micro-units:
/// each rule's value in `from` in proportion, into `to`.
fn move_content(from: &mut [f64], to: &mut [f64], qty: i64, stock: i64) {
    if qty <= 0 || stock <= 0 {
        return;
    }
    let part = qty as f64 / stock as f64;
    for (mass, into) in from.iter_mut().zip(to) {
        let moved = *mass * part;
        *mass -= moved;
        *into += moved;
    }
}
