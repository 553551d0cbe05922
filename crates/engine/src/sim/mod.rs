//! The event loop of one replicate: state, event handlers, and recording.
//!
//! - `mod.rs` (this file): the state of a run, its events, and the handlers of the events
//!   that start and end scenario events, arrivals, demand, production and review.
//! - [`trade`]: what happens at a supplier's door: the rules that gate each order (export
//!   controls, licences, content rules, quotas, closed lanes), priority allocation,
//!   shipping, leakage, diversion, re-sourcing to alternates and stockpile releases.
//! - [`record`]: the daily series, their names, and the run's result.

mod record;
mod trade;

use std::collections::HashMap;

use crate::disruption::{Action, End, Start};
use crate::dist::{Dist, poisson};
use crate::model::{Noise, Unmet};
use crate::plan::{Plan, to_qty};
use crate::queue::EventQueue;
use crate::result::{EventKind, EventRecord, Ledger, RunResult};
use crate::rng::{Purpose, StreamRng, entity_key, stream};
use crate::time::{Phase, SimTime};

/// Which replicate of which batch to run: together with the model, all a run depends on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct RunConfig {
    /// Base seed.
    pub seed: u64,
    /// Replicate index within a batch (0 for a single run).
    pub replicate: u64,
}

/// The closed set of things that happen in a run.
#[derive(Clone, Copy, Debug)]
enum Event {
    /// A scenario event starts (index into `model.events`).
    Start(u32),
    /// A scenario event ends.
    End(u32),
    /// A substitution's switching delay is over: the facility uses the substitute.
    Switch(u32),
    /// A quota's allowance resets at the start of a new period.
    QuotaReset(u32),
    /// A facility comes online.
    Online(u32),
    /// A shipment from one source lands in its slot's stock.
    Arrive { link: u32, qty: i64 },
    /// A stockpile release lands in a slot's stock.
    Release { slot: u32, qty: i64 },
    /// A sink meets the day's demand.
    Demand(u32),
    /// A facility produces.
    Produce(u32),
    /// A facility reviews its inputs and orders.
    ReviewFacility(u32),
    /// A sink reviews its stock and orders.
    ReviewSink(u32),
    /// A facility allocates its output stock to open orders and ships.
    Allocate(u32),
    /// Stockpiles release to buyers short of their product.
    Stockpiles,
    /// The day's metrics are recorded.
    Record,
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
    /// Whether the buyer has ordered on this alternate (for the timeline).
    used: bool,
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
    /// A substitution that has switched, or a stockpile that is releasing.
    engaged: bool,
    /// A quota's allowance left in this period, or a stockpile's holding, micro-units.
    left: i64,
    /// Stream of per-use draws (leakage delays, logistics delays).
    rng: Option<StreamRng>,
}

/// One application for a licence on one supply link under one control.
struct LicenceCase {
    rng: StreamRng,
    /// Licensed quantity not yet shipped, micro-units.
    granted: i64,
    /// Decision day of the application under review.
    pending: Option<u32>,
    /// First day a new application may be made.
    next_apply: u32,
    /// Whether the last decision was a refusal (the buyer counts as cut off).
    refused: bool,
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
    queue: EventQueue<Event>,
    slots: Vec<SlotState>,
    links: Vec<LinkState>,
    facilities: Vec<FacilityState>,
    sinks: Vec<SinkState>,
    transit_rngs: Vec<StreamRng>,
    draws: Vec<Draws>,
    states: Vec<EventState>,
    licences: HashMap<(u32, u32), LicenceCase>,
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
    first_disruption: Option<u32>,
    events: Vec<EventRecord>,
    ledgers: Vec<Ledger>,
    series: Vec<Vec<f64>>,
    specs: Vec<record::Spec>,
    /// Scratch buffers for allocation.
    entries: Vec<trade::Entry>,
    scratch: Vec<i64>,
    n_events: u64,
}

impl Plan<'_> {
    /// Runs one replicate.
    pub fn run(&self, config: RunConfig) -> RunResult {
        let mut sim = Simulation::new(self, config);
        sim.run();
        sim.finish()
    }
}

impl<'p, 'm> Simulation<'p, 'm> {
    fn new(plan: &'p Plan<'m>, config: RunConfig) -> Self {
        let model = plan.model;
        let horizon = model.horizon_days;
        let RunConfig { seed, replicate } = config;
        let mut ledgers = vec![Ledger::default(); model.products.len()];
        let mut queue = EventQueue::with_capacity(64 + 4 * (model.facilities.len() + model.sinks.len()));

        // Scenario events: what each draws once per replicate, and the dated starts.
        let mut draws = Vec::with_capacity(model.events.len());
        for (index, event) in model.events.iter().enumerate() {
            let mut rng = stream(seed, replicate, entity_key(&event.id), Purpose::Parameters);
            let days = |dist: &Dist, rng: &mut StreamRng| {
                dist.sample(rng).round().clamp(0.0, f64::from(horizon)) as u32
            };
            let mut draw = Draws::default();
            // The length is drawn first so that adding other parameters to an event type
            // never changes the ban lengths of existing scenarios.
            if let Some(End::After(dist)) = &event.end {
                draw.length = Some(days(dist, &mut rng));
            }
            if let Start::After { delay, .. } = &event.start {
                draw.delay = days(delay, &mut rng);
            }
            match &event.action {
                Action::ExportControl(control) => {
                    if let Some(licence) = &control.licence {
                        draw.approval = licence.approval.sample(&mut rng).clamp(0.0, 1.0);
                    }
                    if let Some(leakage) = &control.leakage {
                        draw.leak_share = leakage.share.sample(&mut rng).clamp(0.0, 1.0);
                    }
                }
                Action::Quota(quota) => {
                    draw.amount = to_qty(quota.amount.sample(&mut rng).clamp(0.0, crate::model::MAX_UNITS));
                }
                Action::Capacity(shock) => {
                    draw.factor = shock.remaining.sample(&mut rng).clamp(0.0, 1.0);
                    draw.days = days(&shock.recovery, &mut rng);
                }
                Action::Demand(shock) => draw.factor = shock.factor.sample(&mut rng).max(0.0),
                Action::Stockpile(stockpile) => {
                    draw.amount =
                        to_qty(stockpile.amount.sample(&mut rng).clamp(0.0, crate::model::MAX_UNITS));
                }
                Action::Substitute(substitution) => draw.days = days(&substitution.delay, &mut rng),
                Action::Suspend { .. } | Action::Logistics(_) => {}
            }
            if let Start::Day(day) = event.start
                && day < horizon
            {
                queue.schedule(SimTime::at(day, Phase::Morning), Event::Start(index as u32));
            }
            draws.push(draw);
        }
        let mut states = vec![EventState::default(); model.events.len()];
        // Stockpiles are held from the start; their events open them for release.
        for &(index, _) in &plan.stockpiles {
            if let Action::Stockpile(stockpile) = &model.events[index].action {
                states[index].left = draws[index].amount;
                ledgers[stockpile.product.0 as usize].initial += i128::from(draws[index].amount);
            }
        }
        for (index, event) in model.events.iter().enumerate() {
            if matches!(event.action, Action::Logistics(_))
                || matches!(&event.action, Action::ExportControl(c) if c.leakage.is_some())
            {
                let purpose = if matches!(event.action, Action::Logistics(_)) {
                    Purpose::Logistics
                } else {
                    Purpose::Leakage
                };
                states[index].rng = Some(stream(seed, replicate, entity_key(&event.id), purpose));
            }
        }

        // Stock on hand and a pipeline in steady state: one day of baseline flow lands on
        // each of the first `lead_days` mornings.
        let mut slots = Vec::with_capacity(plan.slots.len());
        let mut links: Vec<LinkState> =
            plan.sources.iter().map(|s| LinkState { share: s.share, ..LinkState::default() }).collect();
        let mut split = Vec::new();
        for slot in &plan.slots {
            let product = slot.product.0 as usize;
            let mut state = SlotState { on_hand: slot.initial, ..SlotState::default() };
            ledgers[product].initial += i128::from(slot.initial);
            let shares = plan.sources[slot.sources.clone()].iter().map(|s| s.share);
            trade::split_by_shares(slot.flow, shares, &mut split);
            for (link, &daily) in slot.sources.clone().zip(&split) {
                if daily == 0 {
                    continue;
                }
                for day in 0..slot.lead_days.min(horizon) {
                    let arrival = Event::Arrive { link: link as u32, qty: daily };
                    queue.schedule(SimTime::at(day, Phase::Morning), arrival);
                }
                // Days past the horizon stay in transit: the ledger counts them at the end.
                links[link].in_transit = i64::from(slot.lead_days) * daily;
                state.in_transit += links[link].in_transit;
            }
            ledgers[product].initial += i128::from(state.in_transit);
            slots.push(state);
        }
        // Qualification delays of alternates, drawn once per replicate per (buyer, alternate).
        for (link, source) in plan.sources.iter().enumerate() {
            let Some(alternate) = source.alternate else { continue };
            let slot = &plan.slots[source.slot];
            let spec = &model.supplies[slot.supply].alternates[alternate];
            let key = slot.transit_key ^ entity_key(&model.facilities[source.from].id);
            let mut rng = stream(seed, replicate, key, Purpose::Parameters);
            links[link].qualify_days =
                spec.qualify.sample(&mut rng).round().clamp(0.0, f64::from(horizon)) as u32;
        }
        let facilities = (model.facilities.iter().enumerate())
            .map(|(index, facility)| {
                let mut rng = stream(seed, replicate, entity_key(&facility.id), Purpose::Parameters);
                let capacity = match &facility.capacity {
                    Dist::Const(value) => *value,
                    dist => dist.sample(&mut rng),
                };
                let ramp_days = facility.ramp.sample(&mut rng).max(0.0);
                let output = if facility.online_day > 0 { 0 } else { plan.output_target[index] };
                ledgers[facility.product.0 as usize].initial += i128::from(output);
                FacilityState {
                    capacity: to_qty(capacity.clamp(0.0, crate::model::MAX_RATE)),
                    ramp_days,
                    dynamic: facility.online_day > 0
                        || ramp_days > 0.0
                        || !plan.facility_shocks[index].is_empty()
                        || !plan.substitutes[index].is_empty(),
                    output,
                    open_total: 0,
                    diverting: false,
                    day: FacilityDay::default(),
                }
            })
            .collect();
        let sinks = (model.sinks.iter())
            .map(|sink| SinkState {
                rng: stream(seed, replicate, entity_key(&sink.id), Purpose::Demand),
                day: SinkDay::default(),
            })
            .collect();
        let transit_rngs = plan
            .slots
            .iter()
            .map(|slot| stream(seed, replicate, slot.transit_key, Purpose::Transit))
            .collect();

        // Content: the steady-state shares of the plan, as controlled value.
        let n_rules = plan.content_rules.len();
        let mut rule_of = vec![None; model.events.len()];
        for (rule, &event) in plan.content_rules.iter().enumerate() {
            rule_of[event] = Some(rule);
        }
        let mut slot_content = vec![0.0; plan.slots.len() * n_rules];
        let mut link_content = vec![0.0; plan.sources.len() * n_rules];
        let mut output_content = vec![0.0; model.facilities.len() * n_rules];
        let mut stockpile_content = vec![0.0; plan.stockpiles.len() * n_rules];
        if n_rules > 0 {
            let value_of = |product: crate::model::ProductId| model.products[product.0 as usize].value;
            for (f, facility) in model.facilities.iter().enumerate() {
                let value = value_of(facility.product);
                for rule in 0..n_rules {
                    output_content[f * n_rules + rule] =
                        plan.initial_content[f * n_rules + rule] * value * plan.output_target[f] as f64;
                }
            }
            for (index, slot) in plan.slots.iter().enumerate() {
                let value = value_of(slot.product);
                for rule in 0..n_rules {
                    let mut share = 0.0;
                    for link in slot.sources.clone() {
                        let source = plan.sources[link];
                        let source_share = plan.initial_content[source.from * n_rules + rule];
                        share += source.share * source_share;
                        link_content[link * n_rules + rule] =
                            source_share * value * links[link].in_transit as f64;
                    }
                    slot_content[index * n_rules + rule] = share * value * slots[index].on_hand as f64;
                }
            }
            for (s, &(event, _)) in plan.stockpiles.iter().enumerate() {
                let Action::Stockpile(stockpile) = &model.events[event].action else { continue };
                for (rule, &control) in plan.content_rules.iter().enumerate() {
                    // A strategic stock of a listed product counts as controlled origin.
                    if let Action::ExportControl(control) = &model.events[control].action
                        && control.products.contains(&stockpile.product)
                    {
                        stockpile_content[s * n_rules + rule] = 1.0;
                    }
                }
            }
        }

        // Day 0's periodic work; each event schedules its next occurrence.
        for sink in 0..model.sinks.len() as u32 {
            queue.schedule(SimTime::at(0, Phase::Use), Event::Demand(sink));
            queue.schedule(SimTime::at(0, Phase::Review), Event::ReviewSink(sink));
        }
        for (index, facility) in model.facilities.iter().enumerate() {
            let facility_index = index as u32;
            if facility.online_day > 0 && facility.online_day < horizon {
                queue.schedule(
                    SimTime::at(facility.online_day, Phase::Morning),
                    Event::Online(facility_index),
                );
            }
            queue.schedule(SimTime::at(0, Phase::Use), Event::Produce(facility_index));
            if !plan.facility_slots[index].is_empty() {
                queue.schedule(SimTime::at(0, Phase::Review), Event::ReviewFacility(facility_index));
            }
            queue.schedule(SimTime::at(0, Phase::Allocate), Event::Allocate(facility_index));
        }
        if !plan.stockpiles.is_empty() {
            queue.schedule(SimTime::at(0, Phase::Allocate), Event::Stockpiles);
        }
        queue.schedule(SimTime::at(0, Phase::Record), Event::Record);

        let specs = record::specs(plan);
        let series = vec![Vec::with_capacity(horizon as usize); specs.len()];
        Simulation {
            plan,
            config,
            queue,
            slots,
            links,
            facilities,
            sinks,
            transit_rngs,
            draws,
            states,
            licences: HashMap::new(),
            rule_of,
            slot_content,
            link_content,
            output_content,
            stockpile_content,
            taken: vec![0.0; n_rules],
            prices: vec![1.0; plan.markets.len()],
            market_day: vec![MarketDay::default(); plan.markets.len()],
            released: vec![0; plan.stockpiles.len()],
            first_disruption: None,
            events: Vec::with_capacity(2 * model.events.len()),
            ledgers,
            series,
            specs,
            entries: Vec::new(),
            scratch: Vec::new(),
            n_events: 0,
        }
    }

    fn run(&mut self) {
        let end = SimTime::at(self.plan.model.horizon_days, Phase::Morning);
        while let Some((time, event)) = self.queue.pop() {
            if time >= end {
                break;
            }
            self.n_events += 1;
            let day = time.day();
            match event {
                Event::Start(index) => self.start(day, index as usize),
                Event::End(index) => self.end(day, index as usize),
                Event::Switch(index) => self.switch(day, index as usize),
                Event::QuotaReset(index) => {
                    let index = index as usize;
                    if self.states[index].active {
                        self.states[index].left = self.draws[index].amount;
                        if let Action::Quota(quota) = &self.plan.model.events[index].action {
                            self.schedule(day.saturating_add(quota.period_days), Phase::Morning, event);
                        }
                    }
                }
                Event::Online(facility) => {
                    let id = self.plan.model.facilities[facility as usize].id.clone();
                    let detail = format!("{id} comes online");
                    self.log(day, EventKind::FacilityOnline, id, detail);
                }
                Event::Arrive { link, qty } => self.arrive(link as usize, qty),
                Event::Release { slot, qty } => {
                    let state = &mut self.slots[slot as usize];
                    state.in_transit -= qty;
                    state.on_hand += qty;
                }
                Event::Demand(sink) => {
                    self.demand(day, sink as usize);
                    self.queue.schedule(SimTime::at(day + 1, Phase::Use), event);
                }
                Event::Produce(facility) => {
                    self.produce(day, facility as usize);
                    self.queue.schedule(SimTime::at(day + 1, Phase::Use), event);
                }
                Event::ReviewFacility(facility) => {
                    let index = facility as usize;
                    let facility = &self.plan.model.facilities[index];
                    for slot in self.plan.facility_slots[index].clone() {
                        // A plant not yet online orders so that its inputs land when it starts.
                        if day + self.plan.slots[slot].lead_days >= facility.online_day {
                            self.review(day, slot);
                        }
                    }
                    let review_days = facility.policy.review_days();
                    self.queue.schedule(SimTime::at(day + review_days, Phase::Review), event);
                }
                Event::ReviewSink(sink) => {
                    let slot = self.plan.sink_slot[sink as usize];
                    self.review(day, slot);
                    let review_days = self.plan.slots[slot].review_days;
                    self.queue.schedule(SimTime::at(day + review_days, Phase::Review), event);
                }
                Event::Allocate(facility) => {
                    self.allocate(day, facility as usize);
                    self.queue.schedule(SimTime::at(day + 1, Phase::Allocate), event);
                }
                Event::Stockpiles => {
                    self.release_stockpiles(day);
                    self.queue.schedule(SimTime::at(day + 1, Phase::Allocate), event);
                }
                Event::Record => {
                    self.record(day);
                    self.queue.schedule(SimTime::at(day + 1, Phase::Record), event);
                }
            }
        }
    }

    /// Schedules `event` on `day` if that is inside the horizon.
    fn schedule(&mut self, day: u32, phase: Phase, event: Event) {
        if day < self.plan.model.horizon_days {
            self.queue.schedule(SimTime::at(day, phase), event);
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

    fn start(&mut self, day: u32, index: usize) {
        let model = self.plan.model;
        let event = &model.events[index];
        if self.states[index].started.is_some() {
            return;
        }
        let end = match &event.end {
            None => None,
            Some(End::Day(end)) => Some(*end),
            Some(End::After(_)) => self.draws[index].length.map(|days| day.saturating_add(days)),
        };
        if end.is_some_and(|end| end <= day) {
            return;
        }
        self.states[index].started = Some(day);
        self.states[index].active = true;
        if let Some(end) = end {
            self.schedule(end, Phase::Morning, Event::End(index as u32));
        }
        for dependent in self.plan.dependents[index].clone() {
            let delay = self.draws[dependent].delay;
            self.schedule(day.saturating_add(delay), Phase::Morning, Event::Start(dependent as u32));
        }
        let id = event.id.clone();
        let disruptive = matches!(
            event.action,
            Action::ExportControl(_)
                | Action::Quota(_)
                | Action::Capacity(_)
                | Action::Demand(_)
                | Action::Logistics(_)
        );
        if disruptive && self.first_disruption.is_none() {
            self.first_disruption = Some(day);
        }
        match &event.action {
            Action::ExportControl(control) => {
                let how = match (&control.licence, &control.content) {
                    (None, _) => "bans",
                    (Some(_), _) => "requires licences for",
                };
                let reach = match &control.content {
                    Some(rule) => {
                        format!(" and any product with {} % or more of their value", rule.threshold * 100.0)
                    }
                    None => String::new(),
                };
                let detail = format!(
                    "{} {how} exports of {}{reach} to {}",
                    control.issuer,
                    self.product_list(&control.products),
                    record::targets_text(&control.targets)
                );
                self.log(day, EventKind::ControlStarted, id, detail);
            }
            Action::Quota(quota) => {
                self.states[index].left = self.draws[index].amount;
                self.schedule(
                    day.saturating_add(quota.period_days),
                    Phase::Morning,
                    Event::QuotaReset(index as u32),
                );
                let detail = format!(
                    "{} caps exports of {} to {} at {} per {} days",
                    quota.issuer,
                    self.product_list(&quota.products),
                    record::targets_text(&quota.targets),
                    crate::plan::to_units(self.draws[index].amount.into()),
                    quota.period_days
                );
                self.log(day, EventKind::QuotaStarted, id, detail);
            }
            Action::Suspend { control } => {
                let control = control.0 as usize;
                self.states[control].suspended += 1;
                let detail = format!("{} is suspended", model.events[control].id);
                self.log(day, EventKind::ControlSuspended, id, detail);
            }
            Action::Capacity(shock) => {
                let detail = format!(
                    "capacity of {} cut to {:.0} %",
                    self.facility_list(&shock.facilities),
                    self.draws[index].factor * 100.0
                );
                self.log(day, EventKind::ShockStarted, id, detail);
            }
            Action::Demand(shock) => {
                let names: Vec<&str> =
                    shock.sinks.iter().map(|s| model.sinks[s.0 as usize].id.as_str()).collect();
                let detail = format!("demand of {} × {}", names.join(", "), self.draws[index].factor);
                self.log(day, EventKind::ShockStarted, id, detail);
            }
            Action::Logistics(shock) => {
                let effect = match &shock.effect {
                    crate::disruption::LaneEffect::Closed => "closed".to_owned(),
                    crate::disruption::LaneEffect::Delay(dist) => format!("{:.0} days longer", dist.mean()),
                };
                let detail = format!(
                    "lanes from {} to {} {effect}",
                    record::targets_text(&shock.from),
                    record::targets_text(&shock.to)
                );
                self.log(day, EventKind::ShockStarted, id, detail);
            }
            Action::Stockpile(stockpile) => {
                let detail = format!(
                    "{} t of {} held in {} may be released",
                    crate::plan::to_units(self.states[index].left.into()),
                    model.products[stockpile.product.0 as usize].id,
                    stockpile.region
                );
                self.log(day, EventKind::StockpileOpened, id, detail);
            }
            Action::Substitute(_) => {
                let delay = self.draws[index].days;
                self.schedule(day.saturating_add(delay), Phase::Morning, Event::Switch(index as u32));
            }
        }
    }

    fn end(&mut self, day: u32, index: usize) {
        let model = self.plan.model;
        let event = &model.events[index];
        let state = &mut self.states[index];
        if !state.active {
            return;
        }
        state.active = false;
        state.ended = Some(day);
        let was_engaged = std::mem::take(&mut state.engaged);
        let id = event.id.clone();
        match &event.action {
            Action::ExportControl(control) => {
                let detail = format!(
                    "{} lifts its control of {}",
                    control.issuer,
                    self.product_list(&control.products)
                );
                self.log(day, EventKind::ControlEnded, id, detail);
            }
            Action::Quota(quota) => {
                let detail =
                    format!("{} lifts its quota on {}", quota.issuer, self.product_list(&quota.products));
                self.log(day, EventKind::QuotaEnded, id, detail);
            }
            Action::Suspend { control } => {
                let control = control.0 as usize;
                self.states[control].suspended -= 1;
                let detail = format!("{} applies again", model.events[control].id);
                self.log(day, EventKind::ControlResumed, id, detail);
            }
            Action::Capacity(_) | Action::Demand(_) | Action::Logistics(_) => {
                self.log(day, EventKind::ShockEnded, id, "ends".to_owned());
            }
            Action::Stockpile(_) => {
                self.log(day, EventKind::StockpileClosed, id, "no further releases".to_owned());
            }
            Action::Substitute(sub) => {
                if was_engaged {
                    let detail = format!(
                        "{} goes back to {}",
                        model.facilities[sub.facility.0 as usize].id, model.products[sub.input.0 as usize].id
                    );
                    self.log(day, EventKind::SubstitutionEnded, id, detail);
                }
            }
        }
    }

    fn switch(&mut self, day: u32, index: usize) {
        if !self.states[index].active {
            return;
        }
        self.states[index].engaged = true;
        let model = self.plan.model;
        if let Action::Substitute(sub) = &model.events[index].action {
            let detail = format!(
                "{} uses {} for {} (ratio {}, output −{:.0} %)",
                model.facilities[sub.facility.0 as usize].id,
                model.products[sub.by.0 as usize].id,
                model.products[sub.input.0 as usize].id,
                sub.ratio,
                sub.penalty * 100.0
            );
            self.log(day, EventKind::SubstitutionStarted, model.events[index].id.clone(), detail);
        }
    }

    fn product_list(&self, products: &[crate::model::ProductId]) -> String {
        let model = self.plan.model;
        products.iter().map(|p| model.products[p.0 as usize].id.as_str()).collect::<Vec<_>>().join(", ")
    }

    fn facility_list(&self, facilities: &[crate::model::FacilityId]) -> String {
        let model = self.plan.model;
        facilities.iter().map(|f| model.facilities[f.0 as usize].id.as_str()).collect::<Vec<_>>().join(", ")
    }

    fn arrive(&mut self, link: usize, qty: i64) {
        let slot = self.plan.sources[link].slot;
        let n_rules = self.plan.content_rules.len();
        if n_rules > 0 {
            let in_transit = self.links[link].in_transit;
            for rule in 0..n_rules {
                let mass = &mut self.link_content[link * n_rules + rule];
                let moved = if in_transit > 0 { *mass * qty as f64 / in_transit as f64 } else { 0.0 };
                *mass -= moved;
                self.slot_content[slot * n_rules + rule] += moved;
            }
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
        if n_rules > 0 && qty > 0 {
            let on_hand = self.slots[slot].on_hand;
            for rule in 0..n_rules {
                let mass = &mut self.slot_content[slot * n_rules + rule];
                let moved = if on_hand > 0 { *mass * qty as f64 / on_hand as f64 } else { 0.0 };
                *mass -= moved;
                self.taken[rule] += moved;
            }
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
        let rate = spec.rate * (1.0 + spec.growth).powf(f64::from(day) / 365.0) * factor;
        let units = match &spec.noise {
            Noise::None => rate,
            Noise::Poisson => poisson(rate, &mut sink.rng),
            Noise::Relative(dist) => rate * (1.0 + dist.sample(&mut sink.rng)).max(0.0),
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
        (state.capacity as f64 * factor).round() as i64
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
            let per_unit = plan.slots[slot].per_unit;
            let mut possible = self.slots[slot].on_hand as f64 / per_unit;
            if let Some(sub) = self.substitute_for(index, slot) {
                possible += self.slots[sub.by_slot].on_hand as f64 / sub.per_unit;
            }
            quantity = quantity.min((possible.floor() as i64).max(0));
        }
        for slot in plan.recipe_slots(index) {
            let per_unit = plan.slots[slot].per_unit;
            let need = (quantity as f64 * per_unit).round() as i64;
            let used = need.min(self.slots[slot].on_hand);
            self.take_from_slot(slot, used);
            self.ledgers[plan.slots[slot].product.0 as usize].consumed += i128::from(used);
            if used < need
                && let Some(sub) = self.substitute_for(index, slot)
            {
                let ratio = sub.per_unit / per_unit;
                let by_need = ((need - used) as f64 * ratio).round() as i64;
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
        let state = &self.slots[slot];
        let links = &self.links[plan.sources.clone()];
        let net_stock = state.on_hand - state.backlog;
        let position = net_stock + links.iter().map(|l| l.in_transit + l.open).sum::<i64>();
        let triggered = match plan.reorder_point {
            Some(reorder_point) => position <= reorder_point,
            None => position < plan.order_up_to,
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
            let own_position =
                (net_stock as f64 * state.share).round() as i64 + state.in_transit + state.open;
            let qty = ((plan.order_up_to as f64 * state.share).round() as i64 - own_position).max(0);
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
