//! The event loop of one replicate: state, event handlers, and recording.

use crate::disruption::{Action, End, ExportControl, Start};
use crate::dist::{Dist, poisson};
use crate::model::{Noise, Unmet};
use crate::plan::{Plan, to_qty, to_units};
use crate::queue::EventQueue;
use crate::result::{
    EntityInfo, EntityKind, EventKind, EventRecord, Ledger, RunResult, Series, compute_kpis,
};
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
    ControlStart(u32),
    ControlEnd(u32),
    /// A shipment from one source lands in its slot's stock.
    Arrive {
        link: u32,
        qty: i64,
    },
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
    /// The day's metrics are recorded.
    Record,
}

#[derive(Clone, Debug, Default)]
struct SlotState {
    on_hand: i64,
    /// Shipped to this slot and not yet arrived, from all its sources.
    in_transit: i64,
    backlog: i64,
}

/// The pipeline between one slot and one of its sources.
#[derive(Clone, Debug, Default)]
struct LinkState {
    in_transit: i64,
    /// Ordered and not yet shipped (including orders a control holds).
    open: i64,
}

#[derive(Clone, Copy, Debug)]
struct Order {
    /// Index into `Plan::sources`: which slot ordered, through which source.
    link: u32,
    qty: i64,
    /// Whether a control has held it already (so it is counted as refused once).
    held: bool,
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
}

#[derive(Clone, Debug)]
struct FacilityState {
    capacity: i64,
    output: i64,
    open_total: i64,
    orders: Vec<Order>,
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

struct Simulation<'p, 'm> {
    plan: &'p Plan<'m>,
    queue: EventQueue<Event>,
    slots: Vec<SlotState>,
    links: Vec<LinkState>,
    facilities: Vec<FacilityState>,
    sinks: Vec<SinkState>,
    transit_rngs: Vec<StreamRng>,
    control_active: Vec<bool>,
    events: Vec<EventRecord>,
    ledgers: Vec<Ledger>,
    series: Vec<Vec<f64>>,
    /// Scratch buffer for allocation.
    scratch: Vec<i64>,
    shippable: Vec<usize>,
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
        let mut events = Vec::new();

        // Controls: start and (drawn once per replicate) end.
        let control_active = vec![false; model.events.len()];
        for (index, event) in model.events.iter().enumerate() {
            // Plan::new refuses every other event type and start (see `unsupported`).
            let (Action::ExportControl(_), Start::Day(start_day)) = (&event.action, &event.start) else {
                continue;
            };
            let start_day = *start_day;
            let end_day = match &event.end {
                None => None,
                Some(End::Day(day)) => Some(*day),
                Some(End::After(dist)) => {
                    let mut rng = stream(seed, replicate, entity_key(&event.id), Purpose::Parameters);
                    let days = dist.sample(&mut rng).round().clamp(0.0, f64::from(horizon));
                    Some(start_day.saturating_add(days as u32))
                }
            };
            let end_day = end_day.filter(|&end| end < horizon && end > start_day);
            if start_day < horizon && end_day.is_none_or(|end| end > start_day) {
                queue.schedule(SimTime::at(start_day, Phase::Morning), Event::ControlStart(index as u32));
                if let Some(end) = end_day {
                    queue.schedule(SimTime::at(end, Phase::Morning), Event::ControlEnd(index as u32));
                }
            }
        }

        // Stock on hand and a pipeline in steady state: one day of baseline flow lands on
        // each of the first `lead_days` mornings.
        let mut slots = Vec::with_capacity(plan.slots.len());
        let mut links = vec![LinkState::default(); plan.sources.len()];
        let mut split = Vec::new();
        for slot in &plan.slots {
            let product = model.supplies[slot.supply].product.0 as usize;
            let mut state = SlotState { on_hand: slot.initial, ..SlotState::default() };
            ledgers[product].initial += i128::from(slot.initial);
            let shares = plan.sources[slot.sources.clone()].iter().map(|s| s.share);
            split_by_shares(slot.flow, shares, &mut split);
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
        let facilities = (model.facilities.iter().enumerate())
            .map(|(index, facility)| {
                let capacity = match &facility.capacity {
                    Dist::Const(value) => *value,
                    dist => dist.sample(&mut stream(
                        seed,
                        replicate,
                        entity_key(&facility.id),
                        Purpose::Parameters,
                    )),
                };
                let output = plan.output_target[index];
                ledgers[facility.product.0 as usize].initial += i128::from(output);
                FacilityState {
                    capacity: to_qty(capacity.clamp(0.0, crate::model::MAX_RATE)),
                    output,
                    open_total: 0,
                    orders: Vec::new(),
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

        // Day 0's periodic work; each event schedules its next occurrence.
        for sink in 0..model.sinks.len() as u32 {
            queue.schedule(SimTime::at(0, Phase::Use), Event::Demand(sink));
            queue.schedule(SimTime::at(0, Phase::Review), Event::ReviewSink(sink));
        }
        for facility in 0..model.facilities.len() as u32 {
            queue.schedule(SimTime::at(0, Phase::Use), Event::Produce(facility));
            if !plan.facility_slots[facility as usize].is_empty() {
                queue.schedule(SimTime::at(0, Phase::Review), Event::ReviewFacility(facility));
            }
            queue.schedule(SimTime::at(0, Phase::Allocate), Event::Allocate(facility));
        }
        queue.schedule(SimTime::at(0, Phase::Record), Event::Record);
        events.reserve(2 * model.events.len());

        let n_series = series_names(plan).len();
        let series = vec![Vec::with_capacity(horizon as usize); n_series];
        Simulation {
            plan,
            queue,
            slots,
            links,
            facilities,
            sinks,
            transit_rngs,
            control_active,
            events,
            ledgers,
            series,
            scratch: Vec::new(),
            shippable: Vec::new(),
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
                Event::ControlStart(control) => self.set_control(day, control as usize, true),
                Event::ControlEnd(control) => self.set_control(day, control as usize, false),
                Event::Arrive { link, qty } => {
                    self.links[link as usize].in_transit -= qty;
                    let state = &mut self.slots[self.plan.sources[link as usize].slot];
                    state.in_transit -= qty;
                    state.on_hand += qty;
                }
                Event::Demand(sink) => {
                    self.demand(day, sink as usize);
                    self.queue.schedule(SimTime::at(day + 1, Phase::Use), event);
                }
                Event::Produce(facility) => {
                    self.produce(facility as usize);
                    self.queue.schedule(SimTime::at(day + 1, Phase::Use), event);
                }
                Event::ReviewFacility(facility) => {
                    let slots = self.plan.facility_slots[facility as usize].clone();
                    let review_days = self.plan.model.facilities[facility as usize].policy.review_days();
                    for slot in slots {
                        self.review(slot);
                    }
                    self.queue.schedule(SimTime::at(day + review_days, Phase::Review), event);
                }
                Event::ReviewSink(sink) => {
                    let slot = self.plan.sink_slot[sink as usize];
                    self.review(slot);
                    let review_days = self.plan.slots[slot].review_days;
                    self.queue.schedule(SimTime::at(day + review_days, Phase::Review), event);
                }
                Event::Allocate(facility) => {
                    self.allocate(day, facility as usize);
                    self.queue.schedule(SimTime::at(day + 1, Phase::Allocate), event);
                }
                Event::Record => {
                    self.record();
                    self.queue.schedule(SimTime::at(day + 1, Phase::Record), event);
                }
            }
        }
    }

    fn set_control(&mut self, day: u32, control: usize, active: bool) {
        let model = self.plan.model;
        let event = &model.events[control];
        let Action::ExportControl(spec) = &event.action else { return };
        self.control_active[control] = active;
        let products: Vec<&str> =
            spec.products.iter().map(|p| model.products[p.0 as usize].id.as_str()).collect();
        let targets = match &spec.targets {
            crate::model::Targets::All => "all destinations".to_owned(),
            crate::model::Targets::AllExcept(regions) => {
                format!("all destinations except {}", join_regions(regions))
            }
            crate::model::Targets::Only(regions) => join_regions(regions),
        };
        let (kind, detail) = if active {
            (
                EventKind::ControlStarted,
                format!("{} bans exports of {} to {targets}", spec.issuer, products.join(", ")),
            )
        } else {
            (
                EventKind::ControlEnded,
                format!("{} lifts its ban on exports of {}", spec.issuer, products.join(", ")),
            )
        };
        self.events.push(EventRecord { day, kind, subject: event.id.clone(), detail });
    }

    fn demand(&mut self, day: u32, sink_index: usize) {
        let spec = &self.plan.model.sinks[sink_index];
        let sink = &mut self.sinks[sink_index];
        let rate = spec.rate * (1.0 + spec.growth).powf(f64::from(day) / 365.0);
        let units = match &spec.noise {
            Noise::None => rate,
            Noise::Poisson => poisson(rate, &mut sink.rng),
            Noise::Relative(dist) => rate * (1.0 + dist.sample(&mut sink.rng)).max(0.0),
        };
        let demand = to_qty(units.clamp(0.0, crate::model::MAX_RATE));
        let slot = &mut self.slots[self.plan.sink_slot[sink_index]];
        // Backlog is served first, then the day's demand.
        let backlog_served = slot.backlog.min(slot.on_hand);
        slot.backlog -= backlog_served;
        slot.on_hand -= backlog_served;
        let met = demand.min(slot.on_hand);
        slot.on_hand -= met;
        let unmet = demand - met;
        if spec.unmet == Unmet::Backlog {
            slot.backlog += unmet;
        }
        sink.day.demand += demand;
        sink.day.met += met;
        sink.day.unmet += unmet;
        self.ledgers[spec.product.0 as usize].delivered_to_sinks += i128::from(backlog_served + met);
    }

    fn produce(&mut self, index: usize) {
        let spec = &self.plan.model.facilities[index];
        let shippable = self.shippable_open(index);
        let state = &mut self.facilities[index];
        let target = self.plan.output_target[index];
        let want = (target + shippable - state.output).max(0);
        let feasible = want.min(state.capacity);
        let mut quantity = feasible;
        let slots = self.plan.facility_slots[index].clone();
        for slot in slots.clone() {
            let per_unit = self.plan.slots[slot].per_unit;
            let possible = (self.slots[slot].on_hand as f64 / per_unit).floor() as i64;
            quantity = quantity.min(possible.max(0));
        }
        for slot in slots {
            let per_unit = self.plan.slots[slot].per_unit;
            let used = ((quantity as f64 * per_unit).round() as i64).min(self.slots[slot].on_hand);
            self.slots[slot].on_hand -= used;
            let input = self.plan.model.supplies[self.plan.slots[slot].supply].product.0 as usize;
            self.ledgers[input].consumed += i128::from(used);
        }
        state.output += quantity;
        state.day.production += quantity;
        state.day.want += feasible;
        state.day.lost += feasible - quantity;
        self.ledgers[spec.product.0 as usize].produced += i128::from(quantity);
    }

    /// Orders up to the policy's level. Each source is asked to keep up its share of it:
    /// its share of the stock on hand plus what is on its way from it and on order with
    /// it. A source that refuses is not replaced by the others beyond their own shares.
    fn review(&mut self, slot: usize) {
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
            let own_position =
                (net_stock as f64 * source.share).round() as i64 + state.in_transit + state.open;
            let qty = ((plan.order_up_to as f64 * source.share).round() as i64 - own_position).max(0);
            if qty > 0 {
                let supplier = &mut self.facilities[source.from];
                supplier.orders.push(Order { link: link as u32, qty, held: false });
                supplier.open_total += qty;
                self.links[link].open += qty;
            }
        }
    }

    /// Whether an active control holds exports from facility `index` to `destination`.
    fn is_held(&self, index: usize, destination: crate::model::Region) -> bool {
        let plan = self.plan;
        destination != plan.model.facilities[index].region
            && plan.facility_controls[index].iter().any(|&c| {
                self.control_active[c]
                    && control(plan.model, c).is_some_and(|c| c.targets.covers(destination))
            })
    }

    /// Open orders of facility `index` that no active control holds.
    fn shippable_open(&self, index: usize) -> i64 {
        let state = &self.facilities[index];
        if !self.plan.facility_controls[index].iter().any(|&c| self.control_active[c]) {
            return state.open_total;
        }
        (state.orders.iter())
            .filter(|order| {
                !self.is_held(index, self.plan.slots[self.plan.sources[order.link as usize].slot].region)
            })
            .map(|order| order.qty)
            .sum()
    }

    /// Ships output stock to open orders in proportion to their size. Orders bound for a
    /// destination an active control covers are held (counted as refused the day they are
    /// first held) and wait on the book; the stock they would have taken goes to the
    /// other buyers.
    fn allocate(&mut self, day: u32, index: usize) {
        let plan = self.plan;
        let region = plan.model.facilities[index].region;
        let horizon = plan.model.horizon_days;
        if self.facilities[index].orders.is_empty() {
            return;
        }
        let mut shippable = std::mem::take(&mut self.shippable);
        shippable.clear();
        let any_control = plan.facility_controls[index].iter().any(|&c| self.control_active[c]);
        for position in 0..self.facilities[index].orders.len() {
            let order = self.facilities[index].orders[position];
            let destination = plan.slots[plan.sources[order.link as usize].slot].region;
            if any_control && self.is_held(index, destination) {
                if !order.held {
                    self.facilities[index].orders[position].held = true;
                    self.facilities[index].day.refused += i128::from(order.qty);
                }
            } else {
                shippable.push(position);
            }
        }
        let state = &mut self.facilities[index];
        let total: i64 = shippable.iter().map(|&p| state.orders[p].qty).sum();
        if total > 0 && state.output > 0 {
            if state.output < total {
                let quantities = shippable.iter().map(|&p| state.orders[p].qty);
                split_proportionally(state.output, quantities, &mut self.scratch);
            } else {
                self.scratch.clear();
                self.scratch.extend(shippable.iter().map(|&p| state.orders[p].qty));
            }
            for (&position, &qty) in shippable.iter().zip(&self.scratch) {
                if qty == 0 {
                    continue;
                }
                let order = &mut state.orders[position];
                order.qty -= qty;
                order.held = false;
                let link = order.link as usize;
                let slot = plan.sources[link].slot;
                state.output -= qty;
                state.open_total -= qty;
                state.day.shipped += i128::from(qty);
                let slot_plan = &plan.slots[slot];
                if slot_plan.region != region {
                    state.day.exported += i128::from(qty);
                }
                self.links[link].open -= qty;
                self.links[link].in_transit += qty;
                self.slots[slot].in_transit += qty;
                let transit = match &plan.model.supplies[slot_plan.supply].transit {
                    Dist::Const(days) => *days,
                    dist => dist.sample(&mut self.transit_rngs[slot]),
                };
                let arrival = day.saturating_add(crate::plan::lead_days(transit));
                // Past the horizon it stays in transit, as the ledger counts it at the end.
                if arrival < horizon {
                    let event = Event::Arrive { link: link as u32, qty };
                    self.queue.schedule(SimTime::at(arrival, Phase::Morning), event);
                }
            }
            state.orders.retain(|order| order.qty > 0);
        }
        self.shippable = shippable;
    }

    fn record(&mut self) {
        let plan = self.plan;
        let mut column = 0;
        let mut push = |value: f64| {
            self.series[column].push(value);
            column += 1;
        };
        for (index, facility) in self.facilities.iter_mut().enumerate() {
            let day = std::mem::take(&mut facility.day);
            push(to_units(facility.output.into()));
            push(to_units(day.production.into()));
            push(to_units(day.want.into()));
            push(to_units(day.lost.into()));
            push(fraction(day.lost, day.want));
            push(to_units(day.shipped));
            push(to_units(day.exported));
            push(to_units(day.refused));
            for slot in plan.facility_slots[index].clone() {
                push(to_units(self.slots[slot].on_hand.into()));
                push(to_units(self.slots[slot].in_transit.into()));
            }
        }
        for (index, sink) in self.sinks.iter_mut().enumerate() {
            let day = std::mem::take(&mut sink.day);
            let slot = &self.slots[plan.sink_slot[index]];
            push(to_units(slot.on_hand.into()));
            push(to_units(slot.in_transit.into()));
            push(to_units(day.demand.into()));
            push(to_units(day.met.into()));
            push(to_units(day.unmet.into()));
            push(fraction(day.unmet, day.demand));
            if plan.model.sinks[index].unmet == Unmet::Backlog {
                push(to_units(slot.backlog.into()));
            }
        }
    }

    fn finish(mut self) -> RunResult {
        let plan = self.plan;
        let model = plan.model;
        // Close the ledgers with what is left where.
        for (facility, state) in model.facilities.iter().zip(&self.facilities) {
            self.ledgers[facility.product.0 as usize].final_stock += i128::from(state.output);
        }
        for (slot, state) in plan.slots.iter().zip(&self.slots) {
            let product = model.supplies[slot.supply].product.0 as usize;
            self.ledgers[product].final_stock += i128::from(state.on_hand);
            self.ledgers[product].in_transit += i128::from(state.in_transit);
        }
        let entities = entities(plan);
        let series: Vec<Series> = series_names(plan)
            .into_iter()
            .zip(self.series)
            .map(|((entity, metric, is_flow), values)| Series { entity, metric, is_flow, values })
            .collect();
        let kpis = (0..entities.len())
            .map(|entity| {
                let find = |name: &str| {
                    series
                        .iter()
                        .find(|s| s.entity == entity && s.metric == name)
                        .map(|s| s.values.as_slice())
                };
                let demand = find("demand").unwrap_or(&[]);
                let unmet = find("unmet").unwrap_or(&[]);
                let value = model.products[entities[entity].product.0 as usize].value;
                compute_kpis(demand, unmet, value, plan.first_disruption_day)
            })
            .collect();
        RunResult {
            horizon_days: model.horizon_days,
            entities,
            series,
            events: self.events,
            kpis,
            ledgers: self.ledgers,
            first_disruption_day: plan.first_disruption_day,
            n_events: self.n_events,
        }
    }
}

fn fraction(part: i64, whole: i64) -> f64 {
    if whole > 0 { part as f64 / whole as f64 } else { 0.0 }
}

fn join_regions(regions: &[crate::model::Region]) -> String {
    regions.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ")
}

fn entities(plan: &Plan<'_>) -> Vec<EntityInfo> {
    let model = plan.model;
    let facilities = model.facilities.iter().map(|f| EntityInfo {
        id: f.id.clone(),
        kind: EntityKind::Facility,
        region: f.region,
        product: f.product,
    });
    let sinks = model.sinks.iter().map(|s| EntityInfo {
        id: s.id.clone(),
        kind: EntityKind::Sink,
        region: s.region,
        product: s.product,
    });
    facilities.chain(sinks).collect()
}

/// (entity index, metric name, is a flow) of every series, in the order `record` pushes them.
fn series_names(plan: &Plan<'_>) -> Vec<(usize, String, bool)> {
    let model = plan.model;
    let mut names = Vec::new();
    for (index, facility) in model.facilities.iter().enumerate() {
        for (metric, is_flow) in [
            ("stock", false),
            ("production", true),
            ("demand", true),
            ("unmet", true),
            ("shortage_fraction", false),
            ("shipped", true),
            ("exported", true),
            ("refused", true),
        ] {
            names.push((index, metric.to_owned(), is_flow));
        }
        for &(input, _) in &facility.recipe {
            let product = &model.products[input.0 as usize].id;
            names.push((index, format!("input_stock.{product}"), false));
            names.push((index, format!("in_transit.{product}"), false));
        }
    }
    let offset = model.facilities.len();
    for (index, sink) in model.sinks.iter().enumerate() {
        for (metric, is_flow) in [
            ("stock", false),
            ("in_transit", false),
            ("demand", true),
            ("met", true),
            ("unmet", true),
            ("shortage_fraction", false),
        ] {
            names.push((offset + index, metric.to_owned(), is_flow));
        }
        if sink.unmet == Unmet::Backlog {
            names.push((offset + index, "backlog".to_owned(), false));
        }
    }
    names
}

/// Splits `total` into integer parts proportional to `shares` that sum exactly to `total`:
/// floors first, then one micro-unit each to the largest remainders (ties: first listed).
fn split_by_shares(total: i64, shares: impl Iterator<Item = f64>, out: &mut Vec<i64>) {
    out.clear();
    let mut remainders = Vec::new();
    let mut assigned = 0;
    for (index, share) in shares.enumerate() {
        let ideal = total as f64 * share;
        let part = ideal.floor() as i64;
        out.push(part);
        assigned += part;
        remainders.push((ideal - part as f64, index));
    }
    distribute_remainder(total - assigned, &mut remainders, out);
}

/// Splits `available` among orders in proportion to their quantities (exact integer
/// arithmetic), the parts summing to `available`, which must be below the orders' total.
fn split_proportionally(available: i64, quantities: impl Iterator<Item = i64> + Clone, out: &mut Vec<i64>) {
    out.clear();
    let total: i128 = quantities.clone().map(i128::from).sum();
    let mut remainders = Vec::new();
    let mut assigned = 0;
    for (index, qty) in quantities.enumerate() {
        let scaled = i128::from(available) * i128::from(qty);
        let part = (scaled / total) as i64;
        out.push(part);
        assigned += part;
        remainders.push(((scaled % total) as f64 / total as f64, index));
    }
    distribute_remainder(available - assigned, &mut remainders, out);
}

fn distribute_remainder(mut left: i64, remainders: &mut [(f64, usize)], out: &mut [i64]) {
    if left <= 0 {
        return;
    }
    remainders.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    for &(_, index) in remainders.iter().cycle() {
        if left == 0 {
            break;
        }
        out[index] += 1;
        left -= 1;
    }
}

/// The export control of event `index` (`facility_controls` holds only such indices).
fn control(model: &crate::Model, index: usize) -> Option<&ExportControl> {
    match &model.events[index].action {
        Action::ExportControl(control) => Some(control),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_sum_exactly_and_follow_shares() {
        let mut out = Vec::new();
        split_by_shares(10, [0.7, 0.3].into_iter(), &mut out);
        assert_eq!(out, [7, 3]);
        split_by_shares(1, [1.0 / 3.0; 3].into_iter(), &mut out);
        assert_eq!(out, [1, 0, 0]);
        split_proportionally(10, [5, 5, 10].into_iter(), &mut out);
        assert_eq!(out, [3, 2, 5]);
        split_proportionally(7, [1, 1, 1].into_iter(), &mut out);
        assert_eq!(out.iter().sum::<i64>(), 7);
    }
}
