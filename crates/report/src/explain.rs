//! Why a buyer ran short: the causal chain of an entity's first shortage, walked upstream
//! through one run's own records (`docs/explain.md`).
//!
//! [`explain`] starts from the entity's first day of unmet demand (a sink) or of production
//! lost for want of inputs (a facility), the day the KPIs' time to survive counts to. Each
//! [`Step`] names the input that ran out (a facility's input with the least cover on hand
//! that day; a sink's one product) and, for every supplier of that input, what the run
//! recorded against it on or before that day ([`Finding`]): its orders for this buyer held
//! at its door (a ban, a pending or refused licence, a used-up quota, a closed lane:
//! [`chokepoint_engine::RunResult::holds`]), its capacity cut by a shock, its lane delayed,
//! its own shortage, its output stock empty. The chain follows one supplier (the
//! *culprit*: the largest share with a finding, held before cut before short) and recurses
//! into it when it ran short itself, until a scenario event: the [`Root`].
//!
//! Everything comes from the model and the [`RunResult`]; nothing is re-simulated, so the
//! same run always gives the same explanation. [`Explanation::lines`] renders it in plain
//! sentences with dates the caller formats.

mod records;
mod render;

use std::collections::BTreeSet;

use chokepoint_engine::{Action, Buyer, EntityKind, FacilityId, HoldCause, LaneEffect, Model, RunResult};
use serde::Serialize;

use records::Records;

/// Why an entity could not be explained.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExplainError {
    /// No facility or demand sink has this id.
    #[error("no facility or demand sink is called `{id}`")]
    UnknownEntity {
        /// The id asked for.
        id: String,
        /// The closest id of the run, if one is close enough to be a likely typo.
        suggestion: Option<String>,
    },
    /// The id is a stockpile's: it holds stock for others and never runs short itself.
    #[error("`{id}` is a stockpile, not a buyer: it never runs short itself")]
    NotABuyer {
        /// The id asked for.
        id: String,
    },
    /// The run did not record a series the explanation needs (a run with a series filter).
    #[error("the run did not record `{metric}` of `{id}`")]
    NotRecorded {
        /// The entity.
        id: String,
        /// The metric.
        metric: String,
    },
}

impl ExplainError {
    /// What to do about it, for a front door's message.
    pub fn hint(&self) -> String {
        match self {
            ExplainError::UnknownEntity { suggestion: Some(s), .. } => format!("did you mean `{s}`?"),
            ExplainError::UnknownEntity { .. } => {
                "name a facility or demand sink of the scenario (chokepoint run lists the watched ones)"
                    .into()
            }
            ExplainError::NotABuyer { .. } => "name a facility or demand sink it releases to".into(),
            ExplainError::NotRecorded { .. } => "explain a run that records every series (Plan::run)".into(),
        }
    }
}

/// The causal chain of one entity's first shortage in one run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Explanation {
    /// The entity asked about.
    pub entity: String,
    /// Days simulated.
    pub horizon_days: u32,
    /// Its first shortage day (0-based from the start date); `None`: it never ran short.
    pub first_shortage: Option<u32>,
    /// The chain, from the entity upstream: each step an entity on its first shortage day.
    pub steps: Vec<Step>,
    /// The scenario event the chain ends at, if it ends at one.
    pub root: Option<Root>,
}

/// Whether an entity is a facility or a demand sink.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BuyerKind {
    /// A plant: its shortage is production lost for want of an input.
    Facility,
    /// A final user: its shortage is demand unmet.
    Sink,
}

/// One entity of the chain on its first shortage day.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Step {
    /// The day (0-based from the start date).
    pub day: u32,
    /// The entity.
    pub entity: String,
    /// Facility or sink.
    pub kind: BuyerKind,
    /// What went unmet: the facility's product (production lost) or the sink's.
    pub product: String,
    /// Its unit.
    pub unit: String,
    /// Units of `product` unmet that day.
    pub unmet: f64,
    /// The input that ran out (a sink's: its product).
    pub input: String,
    /// Its unit.
    pub input_unit: String,
    /// Units of `input` on hand at the end of the day.
    pub input_on_hand: f64,
    /// A demand shock on this sink in force that day: (event id, start day).
    pub demand_shock: Option<(String, u32)>,
    /// The suppliers of `input`: every base source, and alternates with a finding.
    pub suppliers: Vec<Supplier>,
    /// Index in `suppliers` of the one the chain follows, if any has a finding.
    pub culprit: Option<usize>,
}

/// One supplier of the input that ran out, and what the run recorded against it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Supplier {
    /// The supplying facility.
    pub id: String,
    /// Its share of the buyer's orders (0 for an alternate).
    pub share: f64,
    /// Whether it is an alternate source rather than a base one.
    pub alternate: bool,
    /// What went wrong on or before the step's day, most direct first.
    pub findings: Vec<Finding>,
}

/// What the run recorded against a supplier of the input that ran out.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "cause", rename_all = "snake_case")]
pub enum Finding {
    /// The supplier held this buyer's orders at its door.
    Held {
        /// Why.
        how: Held,
        /// The rule: an export control, a quota or a logistics shock.
        rule: String,
        /// First day it held them.
        first_day: u32,
        /// Last day of the latest episode that began on or before the step's day.
        last_day: u32,
        /// Most units held at once in those episodes.
        held_peak: f64,
        /// For a pending licence: the link's licence applicants under the rule, when the
        /// first applied and when the first was approved (if by the step's day).
        licences: Option<Licences>,
    },
    /// A capacity shock cut the supplier's capacity.
    CapacityCut {
        /// The shock.
        event: String,
        /// The day it started.
        day: u32,
        /// Capacity the day before (units a day), when the run records capacity.
        before: Option<f64>,
        /// Capacity on the step's day (units a day), when the run records capacity.
        then: Option<f64>,
    },
    /// A logistics shock lengthened the lane from the supplier to this buyer.
    LaneDelayed {
        /// The shock.
        event: String,
        /// The day it started.
        day: u32,
    },
    /// The supplier ran short itself (the chain recurses into it).
    RanShort {
        /// Its first shortage day.
        day: u32,
    },
    /// The supplier's output stock was empty: orders exceeded what it made.
    StockOut {
        /// The first day of the look-back window its stock was empty.
        day: u32,
    },
}

/// The licence applicants of one supply link under one control, as far as the step's day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Licences {
    /// Applicants that had applied by the step's day.
    pub applicants: u32,
    /// The day the first applied.
    pub first_applied: u32,
    /// The day the first was approved, if one was by the step's day.
    pub first_approved: Option<u32>,
}

/// How a supplier's door held a buyer's orders.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Held {
    /// An export control without licences banned them.
    Banned,
    /// They waited for licence decisions.
    LicencePending,
    /// Licences were refused for (part of) them.
    LicenceRefused,
    /// The quota's allowance was used up.
    QuotaUsedUp,
    /// The lane was closed.
    LaneClosed,
}

/// The scenario event a chain ends at.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Root {
    /// Its id.
    pub event: String,
    /// Its type as written in scenario files (`export_control`, `capacity`, …).
    pub event_type: String,
    /// The day it started in this run.
    pub day: u32,
}

impl Explanation {
    /// Whether the entity ran short.
    pub fn is_short(&self) -> bool {
        self.first_shortage.is_some()
    }
}

/// Explains `entity`'s first shortage in `result`, a run of `model` (recorded with every
/// series, as [`chokepoint_engine::Plan::run`] records them).
pub fn explain(model: &Model, result: &RunResult, entity: &str) -> Result<Explanation, ExplainError> {
    let records = Records::new(model, result);
    let Some(index) = records.entity(entity) else {
        let known = result.entities.iter().filter(|e| e.kind != EntityKind::Stockpile).map(|e| e.id.as_str());
        let suggestion = chokepoint_scenario::did_you_mean(entity, known).map(str::to_owned);
        return Err(ExplainError::UnknownEntity { id: entity.to_owned(), suggestion });
    };
    let buyer = buyer_of(model, result, index)?;
    let mut explanation = Explanation {
        entity: entity.to_owned(),
        horizon_days: result.horizon_days,
        first_shortage: None,
        steps: Vec::new(),
        root: None,
    };
    if records.series(index, "unmet").is_none() {
        return Err(ExplainError::NotRecorded { id: entity.to_owned(), metric: "unmet".into() });
    }
    let from = result.first_disruption_day.unwrap_or(0);
    let Some(day) = records.first_short(index, from) else { return Ok(explanation) };
    explanation.first_shortage = Some(day);

    let mut visited = BTreeSet::new();
    let mut current = (buyer, index, day);
    // Each step visits a new entity, so the walk ends after at most one step per entity.
    while visited.insert(current.1) {
        let step = step(&records, current.0, current.1, current.2);
        let follow = step.culprit.map(|c| (&step.suppliers[c].id, &step.suppliers[c].findings[0]));
        let next = match follow {
            Some((supplier, Finding::RanShort { day })) => {
                let facility = model.facility_id(supplier);
                facility.zip(records.entity(supplier)).map(|(f, e)| (Buyer::Facility(f), e, *day))
            }
            Some((_, finding)) => {
                explanation.root = root(&records, finding);
                None
            }
            None => {
                explanation.root =
                    step.demand_shock.as_ref().and_then(|(event, _)| event_root(&records, event));
                None
            }
        };
        explanation.steps.push(step);
        match next {
            Some(next) => current = next,
            None => break,
        }
    }
    Ok(explanation)
}

/// The model's buyer behind result entity `index`.
fn buyer_of(model: &Model, result: &RunResult, index: usize) -> Result<Buyer, ExplainError> {
    let info = &result.entities[index];
    let buyer = match info.kind {
        EntityKind::Facility => model.facility_id(&info.id).map(Buyer::Facility),
        EntityKind::Sink => model.sink_id(&info.id).map(Buyer::Sink),
        EntityKind::Stockpile => return Err(ExplainError::NotABuyer { id: info.id.clone() }),
    };
    buyer.ok_or_else(|| ExplainError::UnknownEntity { id: info.id.clone(), suggestion: None })
}

/// The step of `buyer` (result entity `index`) short on `day`.
fn step(records: &Records<'_>, buyer: Buyer, index: usize, day: u32) -> Step {
    let model = records.model;
    let product_of = |p: chokepoint_engine::ProductId| &model.products[p.0 as usize];
    let (kind, product, input, input_on_hand) = match buyer {
        Buyer::Sink(s) => {
            let sink = &model.sinks[s.0 as usize];
            (BuyerKind::Sink, sink.product, sink.product, records.value(index, "stock", day))
        }
        Buyer::Facility(f) => {
            let facility = &model.facilities[f.0 as usize];
            // The input with the least output it could still make from what is on hand.
            let cover = |&(p, per_unit): &(chokepoint_engine::ProductId, f64)| {
                let on_hand = records.value(index, &format!("input_stock.{}", product_of(p).id), day);
                (if per_unit > 0.0 { on_hand / per_unit } else { f64::INFINITY }, on_hand, p)
            };
            let binding = (facility.recipe.iter().map(cover))
                .min_by(|a, b| a.0.total_cmp(&b.0))
                .map_or((facility.product, 0.0), |(_, on_hand, p)| (p, on_hand));
            (BuyerKind::Facility, facility.product, binding.0, binding.1)
        }
    };
    let mut suppliers = Vec::new();
    if let Some(supply) = model.supplies.iter().find(|s| s.buyer == buyer && s.product == input) {
        let lead = supply.transit.mean().ceil().max(1.0) as u32;
        for source in &supply.sources {
            let findings = findings(records, source.from, buyer, day, lead);
            suppliers.push(Supplier {
                id: facility_name(model, source.from),
                share: source.share,
                alternate: false,
                findings,
            });
        }
        for alternate in &supply.alternates {
            let findings = findings(records, alternate.from, buyer, day, lead);
            if !findings.is_empty() {
                suppliers.push(Supplier {
                    id: facility_name(model, alternate.from),
                    share: 0.0,
                    alternate: true,
                    findings,
                });
            }
        }
    }
    // The culprit: base sources before alternates, a finding that leads to a scenario event
    // (or recurses) before an empty stock, then the largest share, then model order.
    let culprit = (0..suppliers.len()).filter(|&i| !suppliers[i].findings.is_empty()).min_by(|&a, &b| {
        let key = |i: usize| {
            let s = &suppliers[i];
            (s.alternate, matches!(s.findings[0], Finding::StockOut { .. }))
        };
        key(a).cmp(&key(b)).then(suppliers[b].share.total_cmp(&suppliers[a].share)).then(a.cmp(&b))
    });
    let demand_shock = match buyer {
        Buyer::Sink(s) => demand_shock(records, s.0 as usize, day),
        Buyer::Facility(_) => None,
    };
    let product = product_of(product);
    let input = product_of(input);
    Step {
        day,
        entity: records.result.entities[index].id.clone(),
        kind,
        product: product.id.clone(),
        unit: product.unit.clone(),
        unmet: records.value(index, "unmet", day),
        input: input.id.clone(),
        input_unit: input.unit.clone(),
        input_on_hand,
        demand_shock,
        suppliers,
        culprit,
    }
}

fn facility_name(model: &Model, facility: FacilityId) -> String {
    model.facilities.get(facility.0 as usize).map_or_else(|| "?".into(), |f| f.id.clone())
}

/// What the run recorded against `supplier` for `buyer` on or before `day`, most direct
/// first: holds at its door, capacity cuts, lane delays, its own shortage, an empty stock in
/// the `lead` days before (orders shipped then would have arrived by `day`).
fn findings(records: &Records<'_>, supplier: FacilityId, buyer: Buyer, day: u32, lead: u32) -> Vec<Finding> {
    let model = records.model;
    let s = supplier.0 as usize;
    let Some(facility) = model.facilities.get(s) else { return Vec::new() };
    let mut findings = Vec::new();

    // Holds, one finding per (how, rule): its first day, and the latest episode's end.
    for hold in records.holds(s, buyer, day) {
        let (how, rule_index) = match hold.cause {
            HoldCause::Banned(e) => (Held::Banned, e),
            HoldCause::LicencePending(e) => (Held::LicencePending, e),
            HoldCause::LicenceRefused(e) => (Held::LicenceRefused, e),
            HoldCause::Quota(e) => (Held::QuotaUsedUp, e),
            HoldCause::LaneClosed(e) => (Held::LaneClosed, e),
        };
        let rule = model.events.get(rule_index).map_or_else(|| "?".to_owned(), |e| e.id.clone());
        let same = findings.iter_mut().find_map(|f| match f {
            Finding::Held { how: h, rule: r, last_day, held_peak, .. } if *h == how && *r == rule => {
                Some((last_day, held_peak))
            }
            _ => None,
        });
        match same {
            Some((last_day, held_peak)) => {
                *last_day = hold.last_day;
                *held_peak = held_peak.max(hold.held_peak);
            }
            None => {
                let licences =
                    (how == Held::LicencePending).then(|| licences(records, rule_index, s, buyer, day));
                findings.push(Finding::Held {
                    how,
                    rule,
                    first_day: hold.first_day,
                    last_day: hold.last_day,
                    held_peak: hold.held_peak,
                    licences: licences.flatten(),
                })
            }
        }
    }

    let entity = records.entity(&facility.id);
    let buyer_region = match buyer {
        Buyer::Facility(f) => model.facilities.get(f.0 as usize).map(|f| f.region),
        Buyer::Sink(k) => model.sinks.get(k.0 as usize).map(|k| k.region),
    };
    for (index, event) in model.events.iter().enumerate() {
        let Some(start) = records.started(index).filter(|&start| start <= day) else { continue };
        match &event.action {
            Action::Capacity(shock) if shock.facilities.contains(&supplier) => {
                let capacity = |d: u32| {
                    entity
                        .and_then(|e| records.series(e, "capacity"))
                        .and_then(|v| v.get(d as usize))
                        .copied()
                };
                findings.push(Finding::CapacityCut {
                    event: event.id.clone(),
                    day: start,
                    before: start.checked_sub(1).and_then(capacity),
                    then: capacity(day),
                });
            }
            Action::Logistics(shock)
                if matches!(shock.effect, LaneEffect::Delay(_))
                    && buyer_region.is_some_and(|to| {
                        to != facility.region && shock.from.covers(facility.region) && shock.to.covers(to)
                    })
                    && records.ended(index).is_none_or(|end| end + lead >= day) =>
            {
                findings.push(Finding::LaneDelayed { event: event.id.clone(), day: start });
            }
            _ => {}
        }
    }

    if let Some(e) = entity {
        let from = records.result.first_disruption_day.unwrap_or(0);
        if let Some(short) = records.first_short(e, from).filter(|&short| short <= day) {
            findings.push(Finding::RanShort { day: short });
        }
        // Only a supplier that keeps output stock (as at the start) can run out of it.
        if let Some(stock) = records.series(e, "stock").filter(|s| s.first().is_some_and(|&v| v > 0.0)) {
            let window =
                day.saturating_sub(lead) as usize..=(day as usize).min(stock.len().saturating_sub(1));
            let empty = window.into_iter().find(|&d| stock.get(d).is_some_and(|&v| v <= 0.0));
            // An empty stock says something only when nothing else does.
            if let Some(empty) = empty.filter(|_| findings.is_empty()) {
                findings.push(Finding::StockOut { day: empty as u32 });
            }
        }
    }
    findings
}

/// The licence applicants of the link (`supplier`, `buyer`) under control `rule` that
/// applied by `day`; `None` when none had.
fn licences(records: &Records<'_>, rule: usize, supplier: usize, buyer: Buyer, day: u32) -> Option<Licences> {
    let mut found: Option<Licences> = None;
    for a in &records.result.applicants {
        if a.control != rule || a.supplier.0 as usize != supplier || a.buyer != buyer || a.applied > day {
            continue;
        }
        let approved = a.approved.filter(|&d| d <= day);
        let l =
            found.get_or_insert(Licences { applicants: 0, first_applied: a.applied, first_approved: None });
        l.applicants += 1;
        l.first_applied = l.first_applied.min(a.applied);
        l.first_approved = match (l.first_approved, approved) {
            (Some(x), Some(y)) => Some(x.min(y)),
            (x, y) => x.or(y),
        };
    }
    found
}

/// A demand shock on sink `sink` in force on `day`: (event id, start day).
fn demand_shock(records: &Records<'_>, sink: usize, day: u32) -> Option<(String, u32)> {
    records.model.events.iter().enumerate().find_map(|(index, event)| {
        let Action::Demand(shock) = &event.action else { return None };
        let start = records.started(index)?;
        let in_force = start <= day && records.ended(index).is_none_or(|end| end > day);
        (in_force && shock.sinks.iter().any(|s| s.0 as usize == sink)).then(|| (event.id.clone(), start))
    })
}

/// The root a finding points at: its rule's or shock's event, from the day it started.
fn root(records: &Records<'_>, finding: &Finding) -> Option<Root> {
    match finding {
        Finding::Held { rule, first_day, .. } => event_root(records, rule)
            .or_else(|| Some(Root { event: rule.clone(), event_type: String::new(), day: *first_day })),
        Finding::CapacityCut { event, .. } | Finding::LaneDelayed { event, .. } => event_root(records, event),
        Finding::RanShort { .. } | Finding::StockOut { .. } => None,
    }
}

/// The root for the event called `id`: its type and the day it started in this run.
fn event_root(records: &Records<'_>, id: &str) -> Option<Root> {
    let index = records.model.events.iter().position(|e| e.id == id)?;
    let event = &records.model.events[index];
    Some(Root {
        event: id.to_owned(),
        event_type: event.action.type_name().to_owned(),
        day: records.started(index)?,
    })
}
