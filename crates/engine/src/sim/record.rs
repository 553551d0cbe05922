//! The daily series of a run: which exist for a model, how each day's value is read from
//! the state, the trade record, the price indices (updated when the day is recorded), and
//! the result.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::model::{FacilityId, Targets, Unmet};
use crate::plan::{Plan, to_units};
use crate::result::{EntityInfo, EntityKind, Headroom, RunResult, TradeFlow, compute_kpis};

use super::{FacilityDay, MarketDay, Simulation, SinkDay};

/// Where a series' daily value comes from.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Source {
    Output(usize),
    Production(usize),
    Want(usize),
    Lost(usize),
    Shortage(usize),
    Shipped(usize),
    Exported(usize),
    Refused(usize),
    Licensed(usize),
    Leaked(usize),
    Diverted(usize),
    Resourced(usize),
    Capacity(usize),
    /// Controlled value share of a facility's output under a content rule.
    Content(usize, usize),
    Price(usize),
    SlotStock(usize),
    SlotTransit(usize),
    SinkDemand(usize),
    SinkMet(usize),
    SinkUnmet(usize),
    SinkShortage(usize),
    Backlog(usize),
    PileStock(usize),
    PileReleased(usize),
}

impl Source {
    /// The variant's position, to order the daily recording by kind of value.
    fn kind(self) -> u8 {
        match self {
            Source::Output(_) => 0,
            Source::Production(_) => 1,
            Source::Want(_) => 2,
            Source::Lost(_) => 3,
            Source::Shortage(_) => 4,
            Source::Shipped(_) => 5,
            Source::Exported(_) => 6,
            Source::Refused(_) => 7,
            Source::Licensed(_) => 8,
            Source::Leaked(_) => 9,
            Source::Diverted(_) => 10,
            Source::Resourced(_) => 11,
            Source::Capacity(_) => 12,
            Source::Content(..) => 13,
            Source::Price(_) => 14,
            Source::SlotStock(_) => 15,
            Source::SlotTransit(_) => 16,
            Source::SinkDemand(_) => 17,
            Source::SinkMet(_) => 18,
            Source::SinkUnmet(_) => 19,
            Source::SinkShortage(_) => 20,
            Source::Backlog(_) => 21,
            Source::PileStock(_) => 22,
            Source::PileReleased(_) => 23,
        }
    }
}

/// `(position in the recorded series, spec index)` of the series a run records, in the
/// order a day reads their values: grouped by kind of value (each series gets its own
/// value whatever the order), so that reading them takes the same branch many times in a
/// row instead of a different one for each series.
pub(crate) fn record_order(specs: &[Spec], recorded: Option<&[usize]>) -> Vec<(usize, usize)> {
    let mut order: Vec<(usize, usize)> = match recorded {
        Some(indices) => indices.iter().copied().enumerate().collect(),
        None => (0..specs.len()).map(|i| (i, i)).collect(),
    };
    order.sort_by_key(|&(position, index)| (specs[index].source.kind(), position));
    order
}

/// One series: its entity, metric name, whether it is a flow, and where its value comes from.
#[derive(Clone, Debug)]
pub(crate) struct Spec {
    pub(super) entity: usize,
    pub(super) metric: String,
    pub(super) is_flow: bool,
    pub(super) source: Source,
}

/// The series a run of `plan` records, grouped by entity in entity order (facilities,
/// sinks, stockpiles).
pub(crate) fn specs(plan: &Plan<'_>) -> Vec<Spec> {
    let model = plan.model;
    let features = plan.features;
    let mut specs = Vec::new();
    let mut add = |entity: usize, metric: &str, is_flow: bool, source: Source| {
        specs.push(Spec { entity, metric: metric.to_owned(), is_flow, source });
    };
    for f in 0..model.facilities.len() {
        add(f, "stock", false, Source::Output(f));
        add(f, "production", true, Source::Production(f));
        add(f, "demand", true, Source::Want(f));
        add(f, "unmet", true, Source::Lost(f));
        add(f, "shortage_fraction", false, Source::Shortage(f));
        add(f, "shipped", true, Source::Shipped(f));
        add(f, "exported", true, Source::Exported(f));
        add(f, "refused", true, Source::Refused(f));
        if features.licences {
            add(f, "licensed", true, Source::Licensed(f));
        }
        if features.leakage {
            add(f, "leaked", true, Source::Leaked(f));
        }
        if features.controls {
            add(f, "diverted", true, Source::Diverted(f));
        }
        if features.alternates {
            add(f, "resourced", true, Source::Resourced(f));
        }
        if plan.dynamic_capacity[f] {
            add(f, "capacity", false, Source::Capacity(f));
        }
        for (rule, &event) in plan.content_rules.iter().enumerate() {
            add(f, &format!("content.{}", model.events[event].id), false, Source::Content(f, rule));
        }
        if let Some(market) = plan.facility_market[f] {
            add(f, "price", false, Source::Price(market));
        }
        for slot in plan.facility_slots[f].clone() {
            let product = &model.products[plan.slots[slot].product.0 as usize].id;
            add(f, &format!("input_stock.{product}"), false, Source::SlotStock(slot));
            add(f, &format!("in_transit.{product}"), false, Source::SlotTransit(slot));
            if let Some(market) = plan.slot_market[slot] {
                add(f, &format!("price.{product}"), false, Source::Price(market));
            }
        }
    }
    let offset = model.facilities.len();
    for (s, sink) in model.sinks.iter().enumerate() {
        let entity = offset + s;
        let slot = plan.sink_slot[s];
        add(entity, "stock", false, Source::SlotStock(slot));
        add(entity, "in_transit", false, Source::SlotTransit(slot));
        add(entity, "demand", true, Source::SinkDemand(s));
        add(entity, "met", true, Source::SinkMet(s));
        add(entity, "unmet", true, Source::SinkUnmet(s));
        add(entity, "shortage_fraction", false, Source::SinkShortage(s));
        if sink.unmet == Unmet::Backlog {
            add(entity, "backlog", false, Source::Backlog(slot));
        }
        if let Some(market) = plan.slot_market[slot] {
            add(entity, "price", false, Source::Price(market));
        }
    }
    let offset = offset + model.sinks.len();
    for pile in 0..plan.stockpiles.len() {
        add(offset + pile, "stock", false, Source::PileStock(pile));
        add(offset + pile, "released", true, Source::PileReleased(pile));
    }
    specs
}

/// The trade record of a run: what leaves on each route today (micro-units, exact), the
/// second legs of leaks that leave their third country on a later day, and the days
/// recorded so far, in units.
pub(super) struct TradeRecord {
    today: Vec<i128>,
    /// (day, route, micro-units), earliest day first.
    later: BinaryHeap<Reverse<(u32, u32, i64)>>,
    daily: Vec<Vec<f64>>,
    horizon: u32,
}

impl TradeRecord {
    /// A record of `n_routes` routes over `horizon` days, in `buffers` (the daily vectors of
    /// an earlier replicate's trade flows, emptied and reused) where there are enough.
    pub(super) fn new(n_routes: usize, horizon: u32, mut buffers: Vec<Vec<f64>>) -> TradeRecord {
        buffers.truncate(n_routes);
        for daily in &mut buffers {
            daily.clear();
            daily.reserve(horizon as usize);
        }
        // Not `vec![…; n]`: a clone of an empty vector drops its capacity.
        buffers.extend((buffers.len()..n_routes).map(|_| Vec::with_capacity(horizon as usize)));
        TradeRecord { today: vec![0; n_routes], later: BinaryHeap::new(), daily: buffers, horizon }
    }

    /// Adds `qty` leaving on `route` on `day`, which is `today` or later; nothing if `day`
    /// is past the horizon.
    #[inline]
    pub(super) fn add(&mut self, route: u32, today: u32, day: u32, qty: i64) {
        if day == today {
            self.today[route as usize] += i128::from(qty);
        } else if day < self.horizon {
            self.later.push(Reverse((day, route, qty)));
        }
    }

    /// Closes `day`: adds what leaves that day from earlier days' leaks and records the day.
    fn record(&mut self, day: u32) {
        while let Some(&Reverse((due, route, qty))) = self.later.peek()
            && due <= day
        {
            self.later.pop();
            self.today[route as usize] += i128::from(qty);
        }
        for (today, daily) in self.today.iter_mut().zip(&mut self.daily) {
            daily.push(day_units(std::mem::take(today)));
        }
    }
}

/// [`to_units`] of a day's quantity on a route, bit for bit, through a 64-bit conversion
/// when it fits (always, in practice): the 128-bit one is a library call that the compiler
/// would otherwise make on every route and day.
fn day_units(qty: i128) -> f64 {
    #[cold]
    #[inline(never)]
    fn wide(qty: i128) -> f64 {
        to_units(qty)
    }
    match i64::try_from(qty) {
        Ok(qty) => qty as f64 / crate::plan::SCALE,
        Err(_) => wide(qty),
    }
}

impl Simulation<'_, '_> {
    pub(super) fn record(&mut self, day: u32) {
        let plan = self.plan;
        self.update_prices();
        let value = |sim: &Self, source: Source| -> f64 {
            let facility = |f: usize| &sim.facilities[f];
            let fday = |f: usize| -> &FacilityDay { &sim.facilities[f].day };
            let sday = |s: usize| -> &SinkDay { &sim.sinks[s].day };
            match source {
                Source::Output(f) => to_units(facility(f).output.into()),
                Source::Production(f) => to_units(fday(f).production.into()),
                Source::Want(f) => to_units(fday(f).want.into()),
                Source::Lost(f) => to_units(fday(f).lost.into()),
                Source::Shortage(f) => fraction(fday(f).lost, fday(f).want),
                Source::Shipped(f) => to_units(fday(f).shipped),
                Source::Exported(f) => to_units(fday(f).exported),
                Source::Refused(f) => to_units(fday(f).refused),
                Source::Licensed(f) => to_units(fday(f).licensed),
                Source::Leaked(f) => to_units(fday(f).leaked),
                Source::Diverted(f) => to_units(fday(f).diverted),
                Source::Resourced(f) => to_units(fday(f).resourced),
                Source::Capacity(f) => to_units(sim.capacity(day, f).into()),
                Source::Content(f, rule) => sim.content_share(f, rule),
                Source::Price(market) => sim.prices[market],
                Source::SlotStock(slot) => to_units(sim.slots[slot].on_hand.into()),
                Source::SlotTransit(slot) => to_units(sim.slots[slot].in_transit.into()),
                Source::SinkDemand(s) => to_units(sday(s).demand.into()),
                Source::SinkMet(s) => to_units(sday(s).met.into()),
                Source::SinkUnmet(s) => to_units(sday(s).unmet.into()),
                Source::SinkShortage(s) => fraction(sday(s).unmet, sday(s).demand),
                Source::Backlog(slot) => to_units(sim.slots[slot].backlog.into()),
                Source::PileStock(pile) => to_units(sim.states[plan.stockpiles[pile].0].left.into()),
                Source::PileReleased(pile) => to_units(sim.released[pile].into()),
            }
        };
        for &(position, index) in &self.record_order {
            let v = value(self, plan.specs[index].source);
            self.series[position].values.push(v);
        }
        self.trade.record(day);
        // The day's shortage of each buyer, for tomorrow's stockpile releases.
        if !plan.stockpiles.is_empty() {
            for (f, state) in self.facilities.iter().enumerate() {
                let shortage = fraction(state.day.lost, state.day.want);
                for slot in plan.facility_slots[f].clone() {
                    self.slots[slot].shortage = shortage;
                }
            }
            for (s, sink) in self.sinks.iter().enumerate() {
                self.slots[plan.sink_slot[s]].shortage = fraction(sink.day.unmet, sink.day.demand);
            }
        }
        for state in &mut self.facilities {
            state.day = FacilityDay::default();
        }
        for sink in &mut self.sinks {
            sink.day = SinkDay::default();
        }
        self.released.iter_mut().for_each(|r| *r = 0);
    }

    /// Moves each price index toward its target `exp(elasticity × (shortage − held))` with
    /// time constant `adjust_days` (`docs/model.md`, "Price index").
    fn update_prices(&mut self) {
        for (market, &(product, _)) in self.plan.markets.iter().enumerate() {
            let Some(price) = &self.plan.model.products[product.0 as usize].price else { continue };
            let day = std::mem::take(&mut self.market_day[market]);
            let MarketDay { wanted, got, sellers_open, sellers_held } = day;
            let shortage = if wanted > 0.0 { (1.0 - got / wanted).clamp(0.0, 1.0) } else { 0.0 };
            let held = if sellers_open > 0.0 { (sellers_held / sellers_open).clamp(0.0, 1.0) } else { 0.0 };
            let target = (price.elasticity * (shortage - held)).exp();
            let step = if price.adjust_days > 0.0 { 1.0 - (-1.0 / price.adjust_days).exp() } else { 1.0 };
            self.prices[market] += (target - self.prices[market]) * step;
        }
    }

    pub(super) fn finish(&mut self) -> RunResult {
        let plan = self.plan;
        let model = plan.model;
        // Close the ledgers with what is left where.
        for (facility, state) in model.facilities.iter().zip(&self.facilities) {
            self.ledgers[facility.product.0 as usize].final_stock += i128::from(state.output);
        }
        for (slot, state) in plan.slots.iter().zip(&self.slots) {
            let product = slot.product.0 as usize;
            self.ledgers[product].final_stock += i128::from(state.on_hand);
            self.ledgers[product].in_transit += i128::from(state.in_transit);
        }
        for &(event, _) in &plan.stockpiles {
            if let crate::disruption::Action::Stockpile(stockpile) = &model.events[event].action {
                self.ledgers[stockpile.product.0 as usize].held += i128::from(self.states[event].left);
            }
        }
        let entities = entities(plan);
        let series = std::mem::take(&mut self.series);
        // Each entity's demand and unmet series (the first of each name), in one pass.
        let mut flows: Vec<(Option<usize>, Option<usize>)> = vec![(None, None); entities.len()];
        for (index, s) in series.iter().enumerate() {
            match s.metric.as_str() {
                "demand" => _ = flows[s.entity].0.get_or_insert(index),
                "unmet" => _ = flows[s.entity].1.get_or_insert(index),
                _ => {}
            }
        }
        let kpis = (0..entities.len())
            .map(|entity| {
                let values = |i: Option<usize>| i.map_or(&[][..], |i| series[i].values.as_slice());
                let (demand, unmet) = (values(flows[entity].0), values(flows[entity].1));
                let value = model.products[entities[entity].product.0 as usize].value;
                compute_kpis(demand, unmet, value, self.first_disruption)
            })
            .collect();
        let headroom = self.headroom(entities.len());
        let trade = (plan.routes.list.iter().zip(std::mem::take(&mut self.trade.daily)))
            .map(|(route, daily)| TradeFlow {
                exporter: route.exporter,
                importer: route.importer,
                product: route.product,
                daily,
            })
            .collect();
        let mut keys: Vec<&(u32, u32)> = self.licences.keys().collect();
        keys.sort_unstable();
        let mut applicants = Vec::new();
        for key in keys {
            let source = plan.sources[key.1 as usize];
            let importer = plan.slots[source.slot].region;
            for case in &self.licences[key] {
                if let Some(applied) = case.first_applied {
                    applicants.push(crate::result::Applicant {
                        control: key.0 as usize,
                        supplier: FacilityId(source.from as u32),
                        buyer: plan.slots[source.slot].buyer,
                        importer,
                        applied,
                        approved: case.first_approved,
                    });
                }
            }
        }
        RunResult {
            horizon_days: model.horizon_days,
            entities,
            series,
            trade,
            events: std::mem::take(&mut self.events),
            holds: std::mem::take(&mut self.holds),
            applicants,
            kpis,
            headroom,
            ledgers: std::mem::take(&mut self.ledgers),
            first_disruption_day: self.first_disruption,
            n_events: self.n_events,
        }
    }
}

impl Simulation<'_, '_> {
    /// Each entity's lowest cover over its tracked slots (`RunResult::headroom`), in
    /// entity order; the first slot in plan order on a tie.
    fn headroom(&self, n_entities: usize) -> Vec<Option<Headroom>> {
        let plan = self.plan;
        let of_slot = |slot: usize| {
            let (position, day) = self.slots[slot].low?;
            Some(Headroom {
                min_cover_days: position as f64 / plan.planned_flow[slot] as f64,
                day,
                input: plan.slots[slot].product,
                supplier: self.slots[slot].low_supplier.map(crate::model::FacilityId),
            })
        };
        let lowest = |slots: &mut dyn Iterator<Item = usize>| {
            slots.filter_map(of_slot).reduce(|a, b| if b.min_cover_days < a.min_cover_days { b } else { a })
        };
        let mut out = vec![None; n_entities];
        for (f, slots) in plan.facility_slots.iter().enumerate() {
            out[f] = lowest(&mut slots.clone());
        }
        let offset = plan.model.facilities.len();
        for (s, &slot) in plan.sink_slot.iter().enumerate() {
            out[offset + s] = lowest(&mut std::iter::once(slot));
        }
        out
    }
}

fn fraction(part: i64, whole: i64) -> f64 {
    if whole > 0 { part as f64 / whole as f64 } else { 0.0 }
}

/// Destinations in words, for the timeline.
pub(super) fn targets_text(targets: &Targets) -> String {
    let join =
        |regions: &[crate::model::Region]| regions.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ");
    match targets {
        Targets::All => "all destinations".to_owned(),
        Targets::AllExcept(regions) => format!("all destinations except {}", join(regions)),
        Targets::Only(regions) => join(regions),
    }
}

/// The id of each entity, in result order (facilities, sinks, stockpiles).
pub(crate) fn entity_ids<'p>(plan: &'p Plan<'_>) -> Vec<&'p str> {
    let model = plan.model;
    let piles = plan.stockpiles.iter().map(|&(event, _)| model.events[event].id.as_str());
    (model.facilities.iter().map(|f| f.id.as_str()))
        .chain(model.sinks.iter().map(|s| s.id.as_str()))
        .chain(piles)
        .collect()
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
    let stockpiles = plan.stockpiles.iter().filter_map(|&(event, _)| match &model.events[event].action {
        crate::disruption::Action::Stockpile(stockpile) => Some(EntityInfo {
            id: model.events[event].id.clone(),
            kind: EntityKind::Stockpile,
            region: stockpile.region,
            product: stockpile.product,
        }),
        _ => None,
    });
    facilities.chain(sinks).chain(stockpiles).collect()
}
