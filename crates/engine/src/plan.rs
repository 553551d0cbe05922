//! Everything about a model that does not change between replicates, computed once: the
//! buyer-side stock points, baseline flows, initial stocks and order levels, which rules can
//! touch which supplier, priority ranks, the steady-state controlled content of every
//! stock, and the trade routes (`plan/routes.rs`).

use crate::disruption::{Action, Allocation, PriorityClass, Recipient};
use crate::model::{Buyer, FacilityId, Model, Noise, Policy, ProductId, Region, Stock};
use crate::rng::entity_key;
use crate::validate::{ModelError, validate};

mod routes;

pub(crate) use routes::Routes;

/// Quantities inside the engine are integers of micro-units (10⁻⁶ of the product's unit),
/// so that every transfer is exact and conservation holds to the unit.
pub(crate) const SCALE: f64 = 1e6;

/// Converts units to micro-units (saturating; validated inputs never come near the limits).
#[inline]
pub(crate) fn to_qty(units: f64) -> i64 {
    round_i64(units * SCALE)
}

/// `x.round() as i64` (half away from zero, saturating, NaN to 0), bit for bit, without
/// the library call to `round` that a baseline x86-64 build makes: below 2^52 in magnitude
/// the truncation and the fraction are exact, and above it every `f64` is whole.
#[inline]
pub(crate) fn round_i64(x: f64) -> i64 {
    const EXACT: f64 = (1u64 << 52) as f64;
    if x.abs() < EXACT {
        let whole = x as i64;
        let fraction = x - whole as f64;
        if fraction >= 0.5 {
            whole + 1
        } else if fraction <= -0.5 {
            whole - 1
        } else {
            whole
        }
    } else {
        x as i64
    }
}

/// Converts micro-units to units, through a 64-bit conversion when the quantity fits
/// (always, in practice: the 128-bit one is a library call), bit for bit the same.
#[inline]
pub(crate) fn to_units(qty: i128) -> f64 {
    match i64::try_from(qty) {
        Ok(qty) => qty as f64 / SCALE,
        Err(_) => qty as f64 / SCALE,
    }
}

#[cfg(test)]
mod rounding_tests {
    use super::*;

    #[test]
    fn round_i64_is_round_as_i64() {
        let cases = [
            0.0,
            -0.0,
            0.5,
            -0.5,
            1.5,
            -1.5,
            2.5,
            -2.5,
            0.499_999_999_999_999_94,
            -0.499_999_999_999_999_94,
            4_503_599_627_370_495.5,
            -4_503_599_627_370_495.5,
            4_503_599_627_370_497.0,
            1e19,
            -1e19,
            1e300,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ];
        for x in cases {
            assert_eq!(round_i64(x), x.round() as i64, "{x}");
        }
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        for _ in 0..200_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let x = f64::from_bits(state);
            if x.is_finite() {
                assert_eq!(round_i64(x), x.round() as i64, "{x}");
                let y = x % 1e7;
                assert_eq!(round_i64(y), y.round() as i64, "{y}");
            }
        }
    }

    #[test]
    fn to_units_matches_the_wide_conversion() {
        for q in [0_i128, 1, -1, 123_456_789, i128::from(i64::MAX), i128::from(i64::MAX) + 1, i128::MAX / 3] {
            assert_eq!(to_units(q).to_bits(), (q as f64 / SCALE).to_bits(), "{q}");
        }
    }
}

/// One buyer's holding of one product: a facility's input, or a sink's stock.
#[derive(Clone, Debug)]
pub(crate) struct SlotPlan {
    pub buyer: Buyer,
    /// The product held.
    pub product: ProductId,
    /// Units of this product used per unit of the facility's output (1 for sinks; for a
    /// substitute, set by the substitution).
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
    /// This slot's entries in [`Plan::sources`]: its supply link's sources, then its
    /// alternates (share 0 until the buyer re-sources).
    pub sources: std::ops::Range<usize>,
    /// Whether the slot holds a substitute, ordered only while a substitution is in effect.
    pub substitute: bool,
}

/// One source of one slot: who supplies it and with what share of its orders.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SourcePlan {
    /// Index of the slot it feeds.
    pub slot: usize,
    /// The supplying facility.
    pub from: usize,
    /// Share of the slot's order-up-to level this source is asked to keep up (0 for an
    /// alternate).
    pub share: f64,
    /// For an alternate, its index in the supply link's `alternates`.
    pub alternate: Option<usize>,
    /// Priority class of the buyer at this supplier (0 first; all 0 when proportional).
    pub rank: u32,
}

/// A substitution a facility may make: while it is in effect, `by_slot` stands in for
/// `input_slot`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SubstitutePlan {
    /// Index into `Model::events`.
    pub event: usize,
    pub input_slot: usize,
    pub by_slot: usize,
    /// Units of the substitute per unit of output.
    pub per_unit: f64,
}

/// The replicate-independent part of a run.
#[derive(Debug)]
pub struct Plan<'m> {
    pub(crate) model: &'m Model,
    pub(crate) slots: Vec<SlotPlan>,
    /// Every (slot, source) pair, grouped by slot.
    pub(crate) sources: Vec<SourcePlan>,
    /// Slots of each facility: its inputs in recipe order, then substitutes.
    pub(crate) facility_slots: Vec<std::ops::Range<usize>>,
    /// The slot of each sink.
    pub(crate) sink_slot: Vec<usize>,
    /// Each supply link's transit time, set up for drawing.
    pub(crate) transit: Vec<crate::dist::Sampler>,
    /// The daily series a run records, and where each value comes from.
    pub(crate) specs: Vec<crate::sim::record::Spec>,
    /// The order a day records every one of them in (`record::record_order`).
    pub(crate) record_order: Vec<(usize, usize)>,
    /// Each facility's customer links (indices into `sources`), by priority rank then index.
    pub(crate) customers: Vec<Vec<u32>>,
    /// Output stock each facility keeps (what production tops up to), micro-units.
    pub(crate) output_target: Vec<i64>,
    /// Output stock at the start: the target, or nothing for a plant not yet online.
    pub(crate) initial_output: Vec<i64>,
    /// Whether a facility's capacity can change during a run (online date, ramp, shocks,
    /// substitution penalties); such facilities record a `capacity` series.
    pub(crate) dynamic_capacity: Vec<bool>,
    /// Export controls and quotas that may bind each facility (indices into `model.events`):
    /// those its region issues on its product, and every content rule that reaches its
    /// product.
    pub(crate) facility_rules: Vec<Vec<usize>>,
    /// Events whose start is a delay after each event's start (escalation).
    pub(crate) dependents: Vec<Vec<usize>>,
    /// Capacity shocks on each facility.
    pub(crate) facility_shocks: Vec<Vec<usize>>,
    /// Demand shocks on each sink.
    pub(crate) sink_shocks: Vec<Vec<usize>>,
    /// Logistics shocks.
    pub(crate) logistics: Vec<usize>,
    /// Stockpiles and the slots each may release to.
    pub(crate) stockpiles: Vec<(usize, Vec<usize>)>,
    /// Substitutions of each facility.
    pub(crate) substitutes: Vec<Vec<SubstitutePlan>>,
    /// Export controls with a content rule (indices into `model.events`).
    pub(crate) content_rules: Vec<usize>,
    /// For each facility and content rule (`facility * rules + rule`): whether its output is
    /// a controlled origin-product (a listed product made in the issuer).
    pub(crate) origin: Vec<bool>,
    /// Steady-state controlled value share of each facility's output, per content rule.
    pub(crate) initial_content: Vec<f64>,
    /// Price markets: (product, region) pairs of products with a price index.
    pub(crate) markets: Vec<(ProductId, Region)>,
    /// Market of each facility's output in its own region.
    pub(crate) facility_market: Vec<Option<usize>>,
    /// Market of each slot's product in the buyer's region.
    pub(crate) slot_market: Vec<Option<usize>>,
    /// Trade routes and the route of each link's shipments, direct or leaked.
    pub(crate) routes: Routes,
    /// For each slot, the announced controls that raise its order-up-to level while their
    /// announcement stands: (index into `model.events`, raised level in micro-units).
    pub(crate) raised: Vec<Vec<(usize, i64)>>,
    /// For each event, how many slots its announcement raises (0 for other events).
    pub(crate) n_raised: Vec<u32>,
    /// For each event: the licensing authority whose queue its licence applications join
    /// (index into `authorities`), if its licence names one.
    pub(crate) licence_authority: Vec<Option<usize>>,
    /// Each licensing authority: the first control naming it (its capacity is that
    /// control's).
    pub(crate) authorities: Vec<usize>,
    /// For each slot, the use its stocks are planned for (its baseline flow, or for a plant
    /// not online at the start or a spare one, its capacity's), micro-units per day: the
    /// release pace's unit.
    pub(crate) planned_flow: Vec<i64>,
    /// The slots whose cover a run tracks for the headroom, with the first day it counts:
    /// not a substitute's, not one planned for no use, from its plant's online day.
    pub(crate) cover_slots: Vec<(usize, u32)>,
    /// For each slot, the order-up-to level of an emergency stock target after a cut
    /// (`Adaptation::emergency`), micro-units; 0 when none applies.
    pub(crate) emergency_level: Vec<i64>,
    /// Which optional series the model needs.
    pub(crate) features: Features,
}

/// Mechanics a model uses, so that a run records only the series they produce.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Features {
    pub licences: bool,
    pub leakage: bool,
    pub controls: bool,
    pub alternates: bool,
}

impl<'m> Plan<'m> {
    /// Validates the model and prepares it for runs.
    pub fn new(model: &'m Model) -> Result<Plan<'m>, Vec<ModelError>> {
        validate(model)?;
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
        let sector_of = |buyer: Buyer| match buyer {
            Buyer::Facility(f) => model.facilities[f.0 as usize].sector.as_str(),
            Buyer::Sink(s) => model.sinks[s.0 as usize].sector.as_str(),
        };

        // Slots: each facility's inputs then its substitutes, then sinks.
        let mut slots = Vec::new();
        let mut facility_slots = Vec::with_capacity(model.facilities.len());
        let mut sources = Vec::new();
        let mut new_slot = |buyer: Buyer, product: ProductId, per_unit, substitute| {
            let supply = supply_of(buyer, product);
            let link = &model.supplies[supply];
            let first_source = sources.len();
            let region = region_of(buyer);
            let rank = |from: FacilityId| {
                let supplier = &model.facilities[from.0 as usize];
                match supplier.allocation.as_ref().unwrap_or(&model.allocation) {
                    Allocation::Proportional => 0,
                    Allocation::Priority(classes) => (classes.iter())
                        .position(|class| match class {
                            PriorityClass::Domestic => region == supplier.region,
                            PriorityClass::Sector(sector) => sector_of(buyer) == sector,
                            PriorityClass::Regions(regions) => regions.contains(&region),
                            PriorityClass::All => true,
                        })
                        .unwrap_or(classes.len()) as u32,
                }
            };
            for source in &link.sources {
                let (from, share) = (source.from.0 as usize, source.share);
                sources.push(SourcePlan {
                    slot: slots.len(),
                    from,
                    share,
                    alternate: None,
                    rank: rank(source.from),
                });
            }
            for (index, alternate) in link.alternates.iter().enumerate() {
                sources.push(SourcePlan {
                    slot: slots.len(),
                    from: alternate.from.0 as usize,
                    share: 0.0,
                    alternate: Some(index),
                    rank: rank(alternate.from),
                });
            }
            slots.push(SlotPlan {
                sources: first_source..sources.len(),
                buyer,
                product,
                per_unit,
                supply,
                region,
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
                substitute,
            });
            slots.len() - 1
        };
        let mut substitutes = vec![Vec::new(); model.facilities.len()];
        for (index, facility) in model.facilities.iter().enumerate() {
            let buyer = Buyer::Facility(FacilityId(index as u32));
            let start = facility_slots.last().map_or(0, |slots: &std::ops::Range<usize>| slots.end);
            for &(input, per_unit) in &facility.recipe {
                new_slot(buyer, input, per_unit, false);
            }
            let mut by_slots: Vec<(ProductId, usize)> = Vec::new();
            for (event_index, event) in model.events.iter().enumerate() {
                let Action::Substitute(sub) = &event.action else { continue };
                if sub.facility.0 as usize != index {
                    continue;
                }
                let Some(position) = facility.recipe.iter().position(|&(p, _)| p == sub.input) else {
                    continue;
                };
                let per_unit = facility.recipe[position].1 * sub.ratio;
                let by_slot = match by_slots.iter().find(|(p, _)| *p == sub.by) {
                    Some(&(_, slot)) => slot,
                    None => {
                        let slot = new_slot(buyer, sub.by, per_unit, true);
                        by_slots.push((sub.by, slot));
                        slot
                    }
                };
                substitutes[index].push(SubstitutePlan {
                    event: event_index,
                    input_slot: start + position,
                    by_slot,
                    per_unit,
                });
            }
            facility_slots.push(start..start + facility.recipe.len() + by_slots.len());
        }
        let mut sink_slot = Vec::with_capacity(model.sinks.len());
        for (index, sink) in model.sinks.iter().enumerate() {
            let buyer = Buyer::Sink(crate::model::SinkId(index as u32));
            sink_slot.push(new_slot(buyer, sink.product, 1.0, false));
        }

        // Baseline flows: sink demand at the start, pushed up the chain by shares and
        // recipes, each facility capped at its mean capacity (zero until it is online).
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
            let capacity = if facility.online_day > 0 { 0.0 } else { facility.capacity.mean().max(0.0) };
            baseline[index] = facility_inflow[index].min(capacity);
            for slot in facility_slots[index].clone().take(facility.recipe.len()) {
                let flow = baseline[index] * slots[slot].per_unit;
                slot_flow[slot] = flow;
                push_up(slot, flow, &mut facility_inflow);
            }
        }
        // What each facility plans its stocks for: its baseline flow, or, for one that makes
        // nothing at the start (a plant not yet online, a spare alternate), its capacity.
        let planned: Vec<f64> = (model.facilities.iter().zip(&baseline))
            .map(|(facility, &flow)| if flow > 0.0 { flow } else { facility.capacity.mean().max(0.0) })
            .collect();

        // Initial stocks and order levels; what each slot's days of use are days of.
        let mut cover: Vec<(f64, Policy)> = Vec::with_capacity(slots.len());
        for (slot, plan) in slots.iter_mut().enumerate() {
            let (stock, policy, planned_flow, starts_empty) = match plan.buyer {
                Buyer::Facility(f) => {
                    let facility = &model.facilities[f.0 as usize];
                    let starts_empty = plan.substitute || facility.online_day > 0;
                    (
                        facility.input_stock,
                        facility.policy,
                        planned[f.0 as usize] * plan.per_unit,
                        starts_empty,
                    )
                }
                Buyer::Sink(s) => {
                    let sink = &model.sinks[s.0 as usize];
                    (sink.stock, sink.policy, slot_flow[slot], false)
                }
            };
            cover.push((planned_flow, policy));
            plan.flow = to_qty(slot_flow[slot]);
            plan.initial = if starts_empty { 0 } else { stock_qty(stock, planned_flow) };
            plan.review_days = policy.review_days();
            match policy {
                Policy::DaysOfUse { target_days, review_days } => {
                    let cover = target_days + f64::from(plan.lead_days) + f64::from(review_days - 1);
                    plan.order_up_to = to_qty(planned_flow * cover);
                }
                Policy::Units { reorder_point, order_up_to, .. } => {
                    plan.order_up_to = to_qty(order_up_to);
                    plan.reorder_point = reorder_point.map(to_qty);
                }
            }
        }
        let output_target: Vec<i64> = (model.facilities.iter().zip(&planned))
            .map(|(facility, &flow)| stock_qty(facility.output_stock, flow))
            .collect();
        let initial_output = (model.facilities.iter().zip(&output_target))
            .map(|(facility, &target)| if facility.online_day > 0 { 0 } else { target })
            .collect();

        let mut customers: Vec<Vec<u32>> = vec![Vec::new(); model.facilities.len()];
        for (link, source) in sources.iter().enumerate() {
            customers[source.from].push(link as u32);
        }
        for links in &mut customers {
            links.sort_by_key(|&link| (sources[link as usize].rank, link));
        }

        let n_events = model.events.len();
        let mut facility_rules = vec![Vec::new(); model.facilities.len()];
        let mut dependents = vec![Vec::new(); n_events];
        let mut facility_shocks = vec![Vec::new(); model.facilities.len()];
        let mut sink_shocks = vec![Vec::new(); model.sinks.len()];
        let mut logistics = Vec::new();
        let mut stockpiles = Vec::new();
        let mut content_rules = Vec::new();
        let mut features = Features::default();
        for (index, event) in model.events.iter().enumerate() {
            if let crate::disruption::Start::After { event: trigger, .. } = event.start {
                dependents[trigger.0 as usize].push(index);
            }
            match &event.action {
                Action::ExportControl(control) => {
                    features.controls = true;
                    features.licences |= control.licence.is_some();
                    features.leakage |= control.leakage.is_some();
                    if control.content.is_some() {
                        content_rules.push(index);
                    }
                    for (f, facility) in model.facilities.iter().enumerate() {
                        let direct =
                            control.issuer == facility.region && control.products.contains(&facility.product);
                        let by_content = control.content.as_ref().is_some_and(|rule| {
                            rule.applies_to.is_empty() || rule.applies_to.contains(&facility.product)
                        });
                        if direct || by_content {
                            facility_rules[f].push(index);
                        }
                    }
                }
                Action::Quota(quota) => {
                    features.controls = true;
                    for (f, facility) in model.facilities.iter().enumerate() {
                        if quota.issuer == facility.region && quota.products.contains(&facility.product) {
                            facility_rules[f].push(index);
                        }
                    }
                }
                Action::Capacity(shock) => {
                    for facility in &shock.facilities {
                        facility_shocks[facility.0 as usize].push(index);
                    }
                }
                Action::Demand(shock) => {
                    for sink in &shock.sinks {
                        sink_shocks[sink.0 as usize].push(index);
                    }
                }
                Action::Logistics(_) => logistics.push(index),
                Action::Stockpile(stockpile) => {
                    let recipients = (0..slots.len())
                        .filter(|&slot| {
                            let plan = &slots[slot];
                            plan.product == stockpile.product
                                && (stockpile.to.is_empty()
                                    || stockpile.to.iter().any(|to| match to {
                                        Recipient::Buyer(buyer) => *buyer == plan.buyer,
                                        Recipient::Regions(regions) => regions.contains(&plan.region),
                                    }))
                        })
                        .collect();
                    stockpiles.push((index, recipients));
                }
                Action::Suspend { .. } | Action::Substitute(_) => {}
            }
        }
        let (raised, n_raised) = announced_levels(model, &slots, &sources, &cover);
        let emergency_level = emergency_levels(model, &slots, &cover);
        let planned_flow: Vec<i64> = cover.iter().map(|&(flow, _)| to_qty(flow)).collect();
        let mut licence_authority = vec![None; model.events.len()];
        let mut authorities: Vec<usize> = Vec::new();
        for (index, event) in model.events.iter().enumerate() {
            let Action::ExportControl(control) = &event.action else { continue };
            let Some(authority) = control.licence.as_ref().and_then(|l| l.terms.authority.as_ref()) else {
                continue;
            };
            let same = |&first: &usize| match &model.events[first].action {
                Action::ExportControl(c) => {
                    c.licence.as_ref().and_then(|l| l.terms.authority.as_ref()).map(|a| &a.name)
                        == Some(&authority.name)
                }
                _ => false,
            };
            licence_authority[index] = Some(match authorities.iter().position(same) {
                Some(a) => a,
                None => {
                    authorities.push(index);
                    authorities.len() - 1
                }
            });
        }
        features.alternates = model.supplies.iter().any(|s| !s.alternates.is_empty());
        let dynamic_capacity = (0..model.facilities.len())
            .map(|f| {
                let facility = &model.facilities[f];
                facility.online_day > 0
                    || facility.ramp != crate::Dist::Const(0.0)
                    || !facility_shocks[f].is_empty()
                    || !substitutes[f].is_empty()
            })
            .collect();

        // Content: origin flags, then steady-state shares from suppliers down to customers.
        let n_rules = content_rules.len();
        let mut origin = vec![false; model.facilities.len() * n_rules];
        let mut initial_content = vec![0.0; model.facilities.len() * n_rules];
        for (r, &rule) in content_rules.iter().enumerate() {
            let Action::ExportControl(control) = &model.events[rule].action else { continue };
            for (f, facility) in model.facilities.iter().enumerate() {
                origin[f * n_rules + r] =
                    control.issuer == facility.region && control.products.contains(&facility.product);
            }
            for &facility_id in order.iter().rev() {
                let f = facility_id.0 as usize;
                let facility = &model.facilities[f];
                initial_content[f * n_rules + r] = if origin[f * n_rules + r] {
                    1.0
                } else {
                    let value = model.products[facility.product.0 as usize].value;
                    let controlled: f64 = (facility_slots[f].clone().take(facility.recipe.len()))
                        .map(|slot| {
                            let plan = &slots[slot];
                            let share: f64 = (sources[plan.sources.clone()].iter())
                                .map(|s| s.share * initial_content[s.from * n_rules + r])
                                .sum();
                            plan.per_unit * model.products[plan.product.0 as usize].value * share
                        })
                        .sum();
                    if value > 0.0 { (controlled / value).min(1.0) } else { 0.0 }
                };
            }
        }

        // Price markets: every region that buys or makes a product with a price index.
        let mut markets: Vec<(ProductId, Region)> = Vec::new();
        let mut market = |product: ProductId, region: Region| {
            model.products[product.0 as usize].price.as_ref()?;
            Some(match markets.iter().position(|&m| m == (product, region)) {
                Some(index) => index,
                None => {
                    markets.push((product, region));
                    markets.len() - 1
                }
            })
        };
        let facility_market = model.facilities.iter().map(|f| market(f.product, f.region)).collect();
        let slot_market = slots.iter().map(|s| market(s.product, s.region)).collect();

        let routes = Routes::new(model, &slots, &sources, &facility_rules);

        let cover_slots = (0..slots.len())
            .filter(|&slot| !slots[slot].substitute && planned_flow[slot] > 0)
            .map(|slot| {
                let from = match slots[slot].buyer {
                    Buyer::Facility(f) => model.facilities[f.0 as usize].online_day,
                    Buyer::Sink(_) => 0,
                };
                (slot, from)
            })
            .collect();
        let mut plan = Plan {
            model,
            slots,
            sources,
            facility_slots,
            sink_slot,
            transit: model.supplies.iter().map(|supply| supply.transit.sampler()).collect(),
            customers,
            output_target,
            initial_output,
            dynamic_capacity,
            facility_rules,
            dependents,
            facility_shocks,
            sink_shocks,
            logistics,
            stockpiles,
            substitutes,
            content_rules,
            origin,
            initial_content,
            markets,
            facility_market,
            slot_market,
            routes,
            raised,
            n_raised,
            licence_authority,
            authorities,
            cover_slots,
            planned_flow,
            emergency_level,
            features,
            specs: Vec::new(),
            record_order: Vec::new(),
        };
        plan.specs = crate::sim::record::specs(&plan);
        plan.record_order = crate::sim::record::record_order(&plan.specs, None);
        Ok(plan)
    }

    /// The model this plan runs.
    pub fn model(&self) -> &'m Model {
        self.model
    }

    /// The slots of facility `index`'s recipe inputs (without substitutes).
    pub(crate) fn recipe_slots(&self, index: usize) -> std::ops::Range<usize> {
        let slots = &self.facility_slots[index];
        slots.start..slots.start + self.model.facilities[index].recipe.len()
    }
}

/// The buyers that stock up while an announced control has not started yet: every slot in
/// a region the control targets (other than the issuer) whose base sources include a
/// facility the control covers (in the issuer, making a listed product). A slot with a
/// days-of-use policy orders up to `max(own target, announced target)` days
/// (`cover = planned flow × (target + L + review − 1)`, as in `Plan::new`); a slot with an
/// (s, S) policy in units has no target in days and is left as it is. Returns, per slot, the
/// raising events and levels, and per event the number of slots it raises.
fn announced_levels(
    model: &Model,
    slots: &[SlotPlan],
    sources: &[SourcePlan],
    cover: &[(f64, Policy)],
) -> (Vec<Vec<(usize, i64)>>, Vec<u32>) {
    let mut raised = vec![Vec::new(); slots.len()];
    let mut n_raised = vec![0; model.events.len()];
    for (index, event) in model.events.iter().enumerate() {
        let Action::ExportControl(control) = &event.action else { continue };
        let Some(announcement) = &control.announcement else { continue };
        for (slot, plan) in slots.iter().enumerate() {
            if plan.region == control.issuer || !control.targets.covers(plan.region) {
                continue;
            }
            let covered = sources[plan.sources.clone()].iter().any(|source| {
                let supplier = &model.facilities[source.from];
                source.alternate.is_none()
                    && supplier.region == control.issuer
                    && control.products.contains(&supplier.product)
            });
            let (planned_flow, policy) = cover[slot];
            let Policy::DaysOfUse { target_days, review_days } = policy else { continue };
            if !covered || announcement.target_days <= target_days {
                continue;
            }
            let days = announcement.target_days + f64::from(plan.lead_days) + f64::from(review_days - 1);
            let level = to_qty(planned_flow * days);
            if level > plan.order_up_to {
                raised[slot].push((index, level));
                n_raised[index] += 1;
            }
        }
    }
    (raised, n_raised)
}

/// The emergency order-up-to level of each slot with a days-of-use policy
/// (`Adaptation::emergency`): `planned flow × (target + L + review − 1)`, as the plan's own
/// levels; 0 where it would not raise the slot's level or no emergency target is set.
fn emergency_levels(model: &Model, slots: &[SlotPlan], cover: &[(f64, Policy)]) -> Vec<i64> {
    let Some(emergency) = &model.adaptation.emergency else { return vec![0; slots.len()] };
    (slots.iter().zip(cover))
        .map(|(plan, &(planned_flow, policy))| {
            let Policy::DaysOfUse { target_days, review_days } = policy else { return 0 };
            if emergency.target_days <= target_days {
                return 0;
            }
            let days = emergency.target_days + f64::from(plan.lead_days) + f64::from(review_days - 1);
            let level = to_qty(planned_flow * days);
            if level > plan.order_up_to { level } else { 0 }
        })
        .collect()
}

/// Mean transit in whole days, at least one: a shipment lands on a later morning.
pub(crate) fn lead_days(mean_days: f64) -> u32 {
    // `round` without the library call below 2^52 (a lead time is far below); the same
    // value, since a zero's sign does not survive the clamp.
    let rounded = if mean_days.abs() < 4.0e15 { round_i64(mean_days) as f64 } else { mean_days.round() };
    rounded.clamp(1.0, crate::model::MAX_DAYS) as u32
}

fn stock_qty(stock: Stock, flow_per_day: f64) -> i64 {
    match stock {
        Stock::Units(units) => to_qty(units),
        Stock::Days(days) => to_qty(days * flow_per_day),
    }
}

/// Facilities ordered so that every facility comes after all facilities it supplies
/// (customers first), over base sources only. Fails with the ids on a cycle when facilities
/// supply each other.
pub(crate) fn supplier_order(model: &Model) -> Result<Vec<FacilityId>, Vec<String>> {
    let ids = |path: Vec<usize>| path.into_iter().map(|f| model.facilities[f].id.clone()).collect();
    order_over(model, false).map_err(ids)
}

/// The first supply cycle of the model, if any: over base sources, else over base sources
/// and alternates together (a buyer that re-sources to an alternate would then depend on its
/// own output, and [`Model::tiers`] would not settle). Indices must have been checked.
pub(crate) fn supply_cycle(model: &Model) -> Option<ModelError> {
    let id = |f: usize| model.facilities[f].id.clone();
    if let Err(path) = order_over(model, false) {
        return Some(ModelError::SupplyCycle { cycle: path.into_iter().map(id).collect() });
    }
    let path = order_over(model, true).err()?;
    // Base sources alone have no cycle, so at least one step of this one is an alternate.
    let is_source = |supplier: usize, customer: usize| {
        model.supplies.iter().any(|supply| {
            supply.buyer == Buyer::Facility(FacilityId(customer as u32))
                && supply.sources.iter().any(|s| s.from.0 as usize == supplier)
        })
    };
    let alternates = (path.windows(2))
        .filter(|step| !is_source(step[0], step[1]))
        .map(|step| (id(step[0]), id(step[1])))
        .collect();
    Some(ModelError::AlternateCycle { cycle: path.into_iter().map(id).collect(), alternates })
}

/// Facilities customers first over base sources (and alternates, with `alternates`), or
/// the indices of a cycle in supply direction, its first facility repeated at the end.
fn order_over(model: &Model, alternates: bool) -> Result<Vec<FacilityId>, Vec<usize>> {
    let n = model.facilities.len();
    // suppliers[c] = facilities that supply facility c.
    let mut suppliers: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut customers: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut n_customers = vec![0usize; n];
    for supply in &model.supplies {
        if let Buyer::Facility(customer) = supply.buyer {
            let alternates = supply.alternates.iter().filter(|_| alternates).map(|a| a.from);
            for from in supply.sources.iter().map(|s| s.from).chain(alternates) {
                suppliers[customer.0 as usize].push(from.0 as usize);
                customers[from.0 as usize].push(customer.0 as usize);
                n_customers[from.0 as usize] += 1;
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
    let mut cycle = path.split_off(start);
    cycle.push(at);
    Err(cycle)
}
