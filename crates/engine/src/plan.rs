//! Everything about a model that does not change between replicates, computed once: the
//! buyer-side stock points, baseline flows, initial stocks and order levels, and which
//! controls can touch which supplier.

use crate::disruption::{Action, Start};
use crate::model::{Buyer, FacilityId, Model, Noise, Policy, Region, Stock};
use crate::rng::entity_key;
use crate::validate::{ModelError, validate};

/// Quantities inside the engine are integers of micro-units (10⁻⁶ of the product's unit),
/// so that every transfer is exact and conservation holds to the unit.
pub(crate) const SCALE: f64 = 1e6;

/// Converts units to micro-units (saturating; validated inputs never come near the limits).
pub(crate) fn to_qty(units: f64) -> i64 {
    (units * SCALE).round() as i64
}

/// Converts micro-units to units.
pub(crate) fn to_units(qty: i128) -> f64 {
    qty as f64 / SCALE
}

/// One buyer's holding of one product: a facility's input, or a sink's stock.
#[derive(Clone, Debug)]
pub(crate) struct SlotPlan {
    pub buyer: Buyer,
    /// Units of this product used per unit of the facility's output (1 for sinks).
    pub per_unit: f64,
    /// Index into `Model::supplies`.
    pub supply: usize,
    /// Where the buyer is (for export controls).
    pub region: Region,
    /// Mean transit, whole days ≥ 1.
    pub lead_days: u32,
    /// Baseline use, micro-units per day.
    pub flow: i64,
    /// Initial stock on hand, micro-units.
    pub initial: i64,
    /// Order up to this inventory position, micro-units.
    pub order_up_to: i64,
    /// Order only when the position is at or below this (micro-units); `None`: below S.
    pub reorder_point: Option<i64>,
    /// Days between reviews.
    pub review_days: u32,
    /// Stream key of the supply link's transit draws.
    pub transit_key: u64,
    /// This slot's entries in [`Plan::sources`], one per source of its supply link.
    pub sources: std::ops::Range<usize>,
}

/// One source of one slot: who supplies it and with what share of its orders.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SourcePlan {
    /// Index of the slot it feeds.
    pub slot: usize,
    /// The supplying facility.
    pub from: usize,
    /// Share of the slot's order-up-to level this source is asked to keep up.
    pub share: f64,
}

/// The replicate-independent part of a run.
#[derive(Debug)]
pub struct Plan<'m> {
    pub(crate) model: &'m Model,
    pub(crate) slots: Vec<SlotPlan>,
    /// Every (slot, source) pair, grouped by slot.
    pub(crate) sources: Vec<SourcePlan>,
    /// Slots of each facility's inputs, in recipe order.
    pub(crate) facility_slots: Vec<std::ops::Range<usize>>,
    /// The slot of each sink.
    pub(crate) sink_slot: Vec<usize>,
    /// Initial output stock (and output target) of each facility, micro-units.
    pub(crate) output_target: Vec<i64>,
    /// Controls that can bind each facility (issuer is its region, product is its product):
    /// indices into `model.events` of the export controls that bind each facility.
    pub(crate) facility_controls: Vec<Vec<usize>>,
    /// The first day a disruptive event happens, if any does within the horizon.
    pub(crate) first_disruption_day: Option<u32>,
}

impl<'m> Plan<'m> {
    /// Validates the model and prepares it for runs.
    pub fn new(model: &'m Model) -> Result<Plan<'m>, Vec<ModelError>> {
        validate(model)?;
        let unsupported = crate::validate::unsupported(model);
        if !unsupported.is_empty() {
            return Err(unsupported);
        }
        let order = supplier_order(model).map_err(|cycle| vec![ModelError::SupplyCycle { cycle }])?;
        let supply_of = |buyer: Buyer, product| {
            model
                .supplies
                .iter()
                .position(|s| s.buyer == buyer && s.product == product)
                .expect("validate checked that every need has a supply link")
        };
        let region_of = |buyer: Buyer| match buyer {
            Buyer::Facility(f) => model.facilities[f.0 as usize].region,
            Buyer::Sink(s) => model.sinks[s.0 as usize].region,
        };

        // Slots: facility inputs first, then sinks.
        let mut slots = Vec::new();
        let mut facility_slots = Vec::with_capacity(model.facilities.len());
        let mut sources = Vec::new();
        let mut new_slot = |buyer: Buyer, product, per_unit| {
            let supply = supply_of(buyer, product);
            let link = &model.supplies[supply];
            let first_source = sources.len();
            for source in &link.sources {
                sources.push(SourcePlan {
                    slot: slots.len(),
                    from: source.from.0 as usize,
                    share: source.share,
                });
            }
            slots.push(SlotPlan {
                sources: first_source..sources.len(),
                buyer,
                per_unit,
                supply,
                region: region_of(buyer),
                lead_days: lead_days(link.transit.mean()),
                flow: 0,
                initial: 0,
                order_up_to: 0,
                reorder_point: None,
                review_days: 1,
                transit_key: entity_key(&format!(
                    "{}<-{}",
                    model.buyer_name(buyer),
                    model.products[product.0 as usize].id
                )),
            });
            slots.len() - 1
        };
        for (index, facility) in model.facilities.iter().enumerate() {
            let start = facility_slots.last().map_or(0, |slots: &std::ops::Range<usize>| slots.end);
            for &(input, per_unit) in &facility.recipe {
                new_slot(Buyer::Facility(FacilityId(index as u32)), input, per_unit);
            }
            facility_slots.push(start..start + facility.recipe.len());
        }
        let mut sink_slot = Vec::with_capacity(model.sinks.len());
        for (index, sink) in model.sinks.iter().enumerate() {
            sink_slot.push(new_slot(Buyer::Sink(crate::model::SinkId(index as u32)), sink.product, 1.0));
        }

        // Baseline flows: sink demand at the start, pushed up the chain by shares and
        // recipes, each facility capped at its mean capacity.
        let mut facility_inflow = vec![0.0_f64; model.facilities.len()];
        let mut slot_flow = vec![0.0_f64; slots.len()];
        let push_up = |slot: usize, flow: f64, inflow: &mut Vec<f64>| {
            for source in &model.supplies[slots[slot].supply].sources {
                inflow[source.from.0 as usize] += flow * source.share;
            }
        };
        for (index, sink) in model.sinks.iter().enumerate() {
            let relative_mean = match &sink.noise {
                Noise::Relative(dist) => (1.0 + dist.mean()).max(0.0),
                Noise::None | Noise::Poisson => 1.0,
            };
            let flow = sink.rate * relative_mean;
            slot_flow[sink_slot[index]] = flow;
            push_up(sink_slot[index], flow, &mut facility_inflow);
        }
        let mut baseline = vec![0.0_f64; model.facilities.len()];
        for &facility_id in &order {
            let index = facility_id.0 as usize;
            let facility = &model.facilities[index];
            baseline[index] = facility_inflow[index].min(facility.capacity.mean().max(0.0));
            for slot in facility_slots[index].clone() {
                let flow = baseline[index] * slots[slot].per_unit;
                slot_flow[slot] = flow;
                push_up(slot, flow, &mut facility_inflow);
            }
        }

        // Initial stocks and order levels.
        for (slot, plan) in slots.iter_mut().enumerate() {
            let (stock, policy) = match plan.buyer {
                Buyer::Facility(f) => {
                    let facility = &model.facilities[f.0 as usize];
                    (facility.input_stock, facility.policy)
                }
                Buyer::Sink(s) => {
                    let sink = &model.sinks[s.0 as usize];
                    (sink.stock, sink.policy)
                }
            };
            let flow = slot_flow[slot];
            plan.flow = to_qty(flow);
            plan.initial = stock_qty(stock, flow);
            plan.review_days = policy.review_days();
            match policy {
                Policy::DaysOfUse { target_days, review_days } => {
                    let cover = target_days + f64::from(plan.lead_days) + f64::from(review_days - 1);
                    plan.order_up_to = to_qty(flow * cover);
                }
                Policy::Units { reorder_point, order_up_to, .. } => {
                    plan.order_up_to = to_qty(order_up_to);
                    plan.reorder_point = reorder_point.map(to_qty);
                }
            }
        }
        let output_target = model
            .facilities
            .iter()
            .zip(&baseline)
            .map(|(facility, &flow)| stock_qty(facility.output_stock, flow))
            .collect();

        let facility_controls = model
            .facilities
            .iter()
            .map(|facility| {
                (model.events.iter().enumerate())
                    .filter(|(_, e)| match &e.action {
                        Action::ExportControl(c) => {
                            c.issuer == facility.region && c.products.contains(&facility.product)
                        }
                        _ => false,
                    })
                    .map(|(index, _)| index)
                    .collect()
            })
            .collect();
        let first_disruption_day = (model.events.iter())
            .filter_map(|e| match e.start {
                Start::Day(day) => Some(day),
                Start::After { .. } => None,
            })
            .filter(|&day| day < model.horizon_days)
            .min();

        Ok(Plan {
            model,
            slots,
            sources,
            facility_slots,
            sink_slot,
            output_target,
            facility_controls,
            first_disruption_day,
        })
    }

    /// The model this plan runs.
    pub fn model(&self) -> &'m Model {
        self.model
    }
}

/// Mean transit in whole days, at least one: a shipment lands on a later morning.
pub(crate) fn lead_days(mean_days: f64) -> u32 {
    mean_days.round().clamp(1.0, crate::model::MAX_DAYS) as u32
}

fn stock_qty(stock: Stock, flow_per_day: f64) -> i64 {
    match stock {
        Stock::Units(units) => to_qty(units),
        Stock::Days(days) => to_qty(days * flow_per_day),
    }
}

/// Facilities ordered so that every facility comes after all facilities it supplies
/// (customers first). Fails with the ids on a cycle when facilities supply each other.
pub(crate) fn supplier_order(model: &Model) -> Result<Vec<FacilityId>, Vec<String>> {
    let n = model.facilities.len();
    // suppliers[c] = facilities that supply facility c.
    let mut suppliers: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut customers: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut n_customers = vec![0usize; n];
    for supply in &model.supplies {
        if let Buyer::Facility(customer) = supply.buyer {
            for source in &supply.sources {
                suppliers[customer.0 as usize].push(source.from.0 as usize);
                customers[source.from.0 as usize].push(customer.0 as usize);
                n_customers[source.from.0 as usize] += 1;
            }
        }
    }
    let mut ready: Vec<usize> = (0..n).filter(|&f| n_customers[f] == 0).rev().collect();
    let mut order = Vec::with_capacity(n);
    while let Some(f) = ready.pop() {
        order.push(FacilityId(f as u32));
        for &s in &suppliers[f] {
            n_customers[s] -= 1;
            if n_customers[s] == 0 {
                ready.push(s);
            }
        }
    }
    if order.len() == n {
        return Ok(order);
    }
    // Every facility left over still has a customer left over: walk customer edges among
    // them until one repeats, then name the loop in supply direction.
    let left: Vec<bool> = (0..n).map(|f| n_customers[f] > 0).collect();
    let mut path = Vec::new();
    let mut at = (0..n).find(|&f| left[f]).expect("some facility is left when the order is short");
    while !path.contains(&at) {
        path.push(at);
        at =
            *customers[at].iter().find(|&&c| left[c]).expect("a facility left over has a customer left over");
    }
    let start = path.iter().position(|&f| f == at).unwrap_or(0);
    let mut cycle: Vec<String> = path[start..].iter().map(|&f| model.facilities[f].id.clone()).collect();
    cycle.push(model.facilities[at].id.clone());
    Err(cycle)
}
