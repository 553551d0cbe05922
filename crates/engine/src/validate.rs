//! Structural checks of a [`Model`], so that nothing a model holds can make a run panic.
//!
//! The scenario loader reports the same problems earlier, with file locations; these checks
//! guard models built through the API.

use crate::disruption::{
    Action, Allocation, Authority, End, LicenceKind, LicenceTerms, PriorityClass, Recipient, Start,
};
use crate::dist::Dist;
use crate::model::{
    Adaptation, Buyer, MAX_APPLICANTS, MAX_DAYS, MAX_ENTITIES, MAX_ENTITY_DAYS, MAX_EVENTS, MAX_HORIZON_DAYS,
    MAX_RATE, MAX_UNITS, MAX_VALUE, Model, Policy, Stock,
};

/// A problem that stops a model from running.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// The horizon is zero or longer than [`MAX_HORIZON_DAYS`].
    #[error("the horizon of {days} days is outside 1..={MAX_HORIZON_DAYS}")]
    HorizonOutOfRange {
        /// Requested horizon.
        days: u64,
    },
    /// An index points past the end of its list.
    #[error("{owner} refers to {what} #{index}, which does not exist")]
    UnknownIndex {
        /// Who holds the index.
        owner: String,
        /// What kind of entity it points to.
        what: &'static str,
        /// The bad index.
        index: u32,
    },
    /// A number is out of its range.
    #[error("{owner}: {field} {reason}")]
    InvalidNumber {
        /// Who holds it.
        owner: String,
        /// Which field.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The shares on a supply link do not sum to 1.
    #[error("supply of {product} to {buyer}: shares sum to {sum}, not 1")]
    SharesDoNotSumToOne {
        /// Buyer id.
        buyer: String,
        /// Product id.
        product: String,
        /// Their sum.
        sum: f64,
    },
    /// Two supply links for the same buyer and product.
    #[error("{buyer} has two supply links for {product}")]
    DuplicateSupply {
        /// Buyer id.
        buyer: String,
        /// Product id.
        product: String,
    },
    /// A buyer needs a product but no supply link says where to buy it.
    #[error("{buyer} needs {product} but no supply link says where it buys it")]
    MissingSupply {
        /// Buyer id.
        buyer: String,
        /// Product id.
        product: String,
    },
    /// A supply link for a product the buyer does not use.
    #[error("a supply link gives {product} to {buyer}, which does not use it")]
    NotUsed {
        /// Buyer id.
        buyer: String,
        /// Product id.
        product: String,
    },
    /// A source on a link does not make the link's product.
    #[error("{supplier} is a source of {product} for {buyer} but makes {made}")]
    WrongProduct {
        /// Supplier id.
        supplier: String,
        /// Product on the link.
        product: String,
        /// Buyer id.
        buyer: String,
        /// What the supplier makes.
        made: String,
    },
    /// Facilities that supply each other in a loop.
    #[error("facilities supply each other in a cycle: {}", cycle.join(" -> "))]
    SupplyCycle {
        /// Facility ids on the cycle.
        cycle: Vec<String>,
    },
    /// Facilities that would supply each other in a loop once a buyer re-sources to an
    /// alternate (base sources alone have no loop).
    #[error(
        "facilities would supply each other in a cycle through an alternate: {} ({})",
        cycle.join(" -> "),
        alternates.iter().map(|(from, buyer)| format!("{from} is an alternate of {buyer}")).collect::<Vec<_>>().join("; ")
    )]
    AlternateCycle {
        /// Facility ids on the cycle, in supply direction (each supplies the next); the first
        /// is repeated at the end.
        cycle: Vec<String>,
        /// (alternate supplier, buyer) of each step of the cycle that is an alternate.
        alternates: Vec<(String, String)>,
    },
    /// A policy in units on a facility with several inputs (whose units would it be?).
    #[error("{facility} has several inputs, so its policy must be in days of use, not units")]
    UnitsPolicyWithSeveralInputs {
        /// Facility id.
        facility: String,
    },
    /// The model is larger than the engine accepts.
    #[error("{count} {what} is over the limit of {limit}")]
    TooLarge {
        /// What is counted.
        what: &'static str,
        /// How many there are.
        count: u64,
        /// The limit.
        limit: u64,
    },
    /// Events that start after each other in a loop, so none can start.
    #[error("events start after each other in a loop: {}", cycle.join(" -> "))]
    StartCycle {
        /// Event ids on the loop.
        cycle: Vec<String>,
    },
    /// A `suspend` names an event that is not a control.
    #[error("{event} suspends {target}, which is a {kind} event, not an export control or quota")]
    SuspendsNonControl {
        /// The suspending event.
        event: String,
        /// The event it names.
        target: String,
        /// That event's type.
        kind: &'static str,
    },
    /// Two entities of one kind share an id.
    #[error("two {what} have the id {id}")]
    DuplicateId {
        /// Kind of entity.
        what: &'static str,
        /// The shared id.
        id: String,
    },
}

/// Checks the model; returns every problem found.
pub fn validate(model: &Model) -> Result<(), Vec<ModelError>> {
    let mut errors = Vec::new();
    let horizon = model.horizon_days;
    if horizon == 0 || horizon > MAX_HORIZON_DAYS {
        errors.push(ModelError::HorizonOutOfRange { days: horizon.into() });
    }
    let n_products = model.products.len() as u32;
    let n_facilities = model.facilities.len() as u32;
    let n_sinks = model.sinks.len() as u32;
    for product in &model.products {
        number(&mut errors, &product.id, "value", product.value, 0.0, MAX_VALUE);
    }
    let check_stock =
        |errors: &mut Vec<ModelError>, owner: &str, field: &'static str, stock: Stock| match stock {
            Stock::Units(v) => number(errors, owner, field, v, 0.0, MAX_UNITS),
            Stock::Days(v) => number(errors, owner, field, v, 0.0, MAX_DAYS),
        };
    for facility in &model.facilities {
        check_stock(&mut errors, &facility.id, "output stock", facility.output_stock);
        check_stock(&mut errors, &facility.id, "input stock", facility.input_stock);
    }
    for sink in &model.sinks {
        check_stock(&mut errors, &sink.id, "stock", sink.stock);
    }
    for facility in &model.facilities {
        // Draws are clamped to [0, MAX_RATE]; the mean must lie inside.
        number(&mut errors, &facility.id, "capacity", facility.capacity.mean(), 0.0, MAX_RATE);
        for &(_, per_unit) in &facility.recipe {
            number(&mut errors, &facility.id, "recipe amount", per_unit, f64::MIN_POSITIVE, 1e6);
        }
        number_policy(&mut errors, &facility.id, &facility.policy);
        check_dist(&mut errors, &facility.id, "capacity", &facility.capacity);
        if facility.recipe.len() > 1 && matches!(facility.policy, Policy::Units { .. }) {
            errors.push(ModelError::UnitsPolicyWithSeveralInputs { facility: facility.id.clone() });
        }
        let mut index_ok = |what, index: u32, len: u32| {
            if index >= len {
                errors.push(ModelError::UnknownIndex { owner: facility.id.clone(), what, index });
            }
        };
        index_ok("product", facility.product.0, n_products);
        for &(input, _) in &facility.recipe {
            index_ok("product", input.0, n_products);
        }
    }
    for sink in &model.sinks {
        number(&mut errors, &sink.id, "rate", sink.rate, 0.0, MAX_RATE);
        number(&mut errors, &sink.id, "growth", sink.growth, -1.0, 1.0);
        if let crate::model::Noise::Relative(dist) = &sink.noise {
            check_dist(&mut errors, &sink.id, "noise", dist);
        }
        number_policy(&mut errors, &sink.id, &sink.policy);
        if sink.product.0 >= n_products {
            errors.push(ModelError::UnknownIndex {
                owner: sink.id.clone(),
                what: "product",
                index: sink.product.0,
            });
        }
    }
    check_ids(&mut errors, "products", model.products.iter().map(|p| p.id.as_str()));
    check_ids(&mut errors, "facilities", model.facilities.iter().map(|f| f.id.as_str()));
    check_ids(&mut errors, "sinks", model.sinks.iter().map(|s| s.id.as_str()));
    check_ids(&mut errors, "events", model.events.iter().map(|e| e.id.as_str()));
    // Results name facilities, sinks and stockpiles by id in one namespace.
    let mut named: std::collections::BTreeSet<&str> =
        model.facilities.iter().map(|f| f.id.as_str()).collect();
    let stockpiles =
        (model.events.iter()).filter(|e| matches!(e.action, Action::Stockpile(_))).map(|e| e.id.as_str());
    for id in model.sinks.iter().map(|s| s.id.as_str()).chain(stockpiles) {
        if !named.insert(id) {
            errors.push(ModelError::DuplicateId {
                what: "entities in results (facility, sink, stockpile)",
                id: id.to_owned(),
            });
        }
    }
    check_events(model, &mut errors);
    for facility in &model.facilities {
        check_dist(&mut errors, &facility.id, "ramp", &facility.ramp);
        if let Some(allocation) = &facility.allocation {
            check_allocation(&mut errors, &facility.id, allocation);
        }
    }
    check_allocation(&mut errors, "the model", &model.allocation);
    check_adaptation(&mut errors, &model.adaptation);
    for product in &model.products {
        if let Some(price) = &product.price {
            number(&mut errors, &product.id, "price elasticity", price.elasticity, 0.0, 1e3);
            number(&mut errors, &product.id, "price adjust", price.adjust_days, 0.0, MAX_DAYS);
        }
    }
    let entities = model.facilities.len() + model.sinks.len();
    if entities > MAX_ENTITIES {
        errors.push(ModelError::TooLarge {
            what: "facilities and sinks",
            count: entities as u64,
            limit: MAX_ENTITIES as u64,
        });
    }
    if model.events.len() > MAX_EVENTS {
        errors.push(ModelError::TooLarge {
            what: "events",
            count: model.events.len() as u64,
            limit: MAX_EVENTS as u64,
        });
    }
    let entity_days = entities as u64 * u64::from(horizon);
    if entity_days > MAX_ENTITY_DAYS {
        errors.push(ModelError::TooLarge {
            what: "entity-days (facilities and sinks times horizon days)",
            count: entity_days,
            limit: MAX_ENTITY_DAYS,
        });
    }
    // Links point at existing entities and products before anything looks them up.
    if !errors.is_empty() {
        return Err(errors);
    }
    check_links(model, &mut errors, n_facilities, n_sinks);
    if errors.is_empty() {
        errors.extend(crate::plan::supply_cycle(model));
    }
    if errors.is_empty() { Ok(()) } else { Err(errors) }
}

fn check_links(model: &Model, errors: &mut Vec<ModelError>, n_facilities: u32, n_sinks: u32) {
    let product_name = |p: crate::model::ProductId| {
        model.products.get(p.0 as usize).map_or("?".to_owned(), |p| p.id.clone())
    };
    let mut seen = std::collections::BTreeSet::new();
    for supply in &model.supplies {
        let (buyer_ok, owner) = match supply.buyer {
            Buyer::Facility(f) => (f.0 < n_facilities, "facility"),
            Buyer::Sink(s) => (s.0 < n_sinks, "sink"),
        };
        if !buyer_ok || supply.product.0 as usize >= model.products.len() {
            errors.push(ModelError::UnknownIndex {
                owner: "a supply link".to_owned(),
                what: owner,
                index: match supply.buyer {
                    Buyer::Facility(f) => f.0,
                    Buyer::Sink(s) => s.0,
                },
            });
            continue;
        }
        let buyer = model.buyer_name(supply.buyer).to_owned();
        let product = product_name(supply.product);
        if !seen.insert((supply.buyer, supply.product)) {
            errors.push(ModelError::DuplicateSupply { buyer: buyer.clone(), product: product.clone() });
        }
        let used = match supply.buyer {
            Buyer::Facility(f) => {
                model.facilities[f.0 as usize].recipe.iter().any(|&(p, _)| p == supply.product)
                    || model.events.iter().any(|e| {
                        matches!(&e.action, Action::Substitute(s) if s.facility == f && s.by == supply.product)
                    })
            }
            Buyer::Sink(s) => model.sinks[s.0 as usize].product == supply.product,
        };
        if !used {
            errors.push(ModelError::NotUsed { buyer: buyer.clone(), product: product.clone() });
        }
        let mut sum = 0.0;
        for source in &supply.sources {
            let Some(supplier) = model.facilities.get(source.from.0 as usize) else {
                errors.push(ModelError::UnknownIndex {
                    owner: format!("supply of {product} to {buyer}"),
                    what: "facility",
                    index: source.from.0,
                });
                continue;
            };
            if supplier.product != supply.product {
                errors.push(ModelError::WrongProduct {
                    supplier: supplier.id.clone(),
                    product: product.clone(),
                    buyer: buyer.clone(),
                    made: product_name(supplier.product),
                });
            }
            if !(0.0..=1.0).contains(&source.share) {
                errors.push(ModelError::InvalidNumber {
                    owner: format!("supply of {product} to {buyer}"),
                    field: "share",
                    reason: format!("is {}; it must be in [0, 1]", source.share),
                });
            }
            sum += source.share;
        }
        for alternate in &supply.alternates {
            let Some(supplier) = model.facilities.get(alternate.from.0 as usize) else {
                errors.push(ModelError::UnknownIndex {
                    owner: format!("alternates of {product} for {buyer}"),
                    what: "facility",
                    index: alternate.from.0,
                });
                continue;
            };
            if supplier.product != supply.product {
                errors.push(ModelError::WrongProduct {
                    supplier: supplier.id.clone(),
                    product: product.clone(),
                    buyer: buyer.clone(),
                    made: product_name(supplier.product),
                });
            }
            check_dist(
                errors,
                &format!("alternate {} for {buyer}", supplier.id),
                "qualify",
                &alternate.qualify,
            );
        }
        if (sum - 1.0).abs() > 1e-6 {
            errors.push(ModelError::SharesDoNotSumToOne {
                buyer: buyer.clone(),
                product: product.clone(),
                sum,
            });
        }
        check_dist(errors, &format!("supply of {product} to {buyer}"), "transit", &supply.transit);
    }
    let mut need = |buyer: Buyer, product: crate::model::ProductId| {
        if !seen.contains(&(buyer, product)) {
            errors.push(ModelError::MissingSupply {
                buyer: model.buyer_name(buyer).to_owned(),
                product: product_name(product),
            });
        }
    };
    for (index, facility) in model.facilities.iter().enumerate() {
        for &(input, _) in &facility.recipe {
            need(Buyer::Facility(crate::model::FacilityId(index as u32)), input);
        }
    }
    for (index, sink) in model.sinks.iter().enumerate() {
        need(Buyer::Sink(crate::model::SinkId(index as u32)), sink.product);
    }
    // A substitution the plan plays (its input is in the recipe) buys its substitute.
    for event in &model.events {
        let Action::Substitute(substitution) = &event.action else { continue };
        let facility = model.facilities.get(substitution.facility.0 as usize);
        if facility.is_some_and(|f| f.recipe.iter().any(|&(p, _)| p == substitution.input)) {
            need(Buyer::Facility(substitution.facility), substitution.by);
        }
    }
}

fn number(errors: &mut Vec<ModelError>, owner: &str, field: &'static str, value: f64, min: f64, max: f64) {
    if !value.is_finite() || value < min || value > max {
        errors.push(ModelError::InvalidNumber {
            owner: owner.to_owned(),
            field,
            reason: format!("is {value}; it must be a finite number in [{min}, {max:e}]"),
        });
    }
}

fn number_policy(errors: &mut Vec<ModelError>, owner: &str, policy: &Policy) {
    let mut bad = |field: &'static str, reason: String| {
        errors.push(ModelError::InvalidNumber { owner: owner.to_owned(), field, reason });
    };
    if policy.review_days() == 0 || f64::from(policy.review_days()) > MAX_DAYS {
        bad("review", format!("is {} days; it must be 1 to {MAX_DAYS} days", policy.review_days()));
    }
    match *policy {
        Policy::DaysOfUse { target_days, .. } => {
            if !target_days.is_finite() || !(0.0..=MAX_DAYS).contains(&target_days) {
                bad("target", format!("is {target_days}; it must be a number of days in [0, {MAX_DAYS}]"));
            }
        }
        Policy::Units { reorder_point, order_up_to, .. } => {
            if !order_up_to.is_finite() || !(0.0..=MAX_UNITS).contains(&order_up_to) {
                bad("order_up_to", format!("is {order_up_to}; it must be a number in [0, {MAX_UNITS:e}]"));
            }
            if let Some(s) = reorder_point
                && (!s.is_finite() || s > order_up_to)
            {
                bad("reorder_point", format!("is {s}; it must be finite and <= order_up_to"));
            }
        }
    }
}

fn check_dist(errors: &mut Vec<ModelError>, owner: &str, field: &'static str, dist: &Dist) {
    if let Err(problem) = dist.check() {
        errors.push(ModelError::InvalidNumber { owner: owner.to_owned(), field, reason: problem.0 });
    }
}

fn check_ids<'a>(errors: &mut Vec<ModelError>, what: &'static str, ids: impl Iterator<Item = &'a str>) {
    let mut seen = std::collections::BTreeSet::new();
    for id in ids {
        if !seen.insert(id) {
            errors.push(ModelError::DuplicateId { what, id: id.to_owned() });
        }
    }
}

fn check_events(model: &Model, errors: &mut Vec<ModelError>) {
    let n_products = model.products.len() as u32;
    let n_facilities = model.facilities.len() as u32;
    let n_sinks = model.sinks.len() as u32;
    let n_events = model.events.len() as u32;
    for event in &model.events {
        let owner = event.id.as_str();
        let index_ok = |errors: &mut Vec<ModelError>, what, index: u32, len: u32| {
            if index >= len {
                errors.push(ModelError::UnknownIndex { owner: owner.to_owned(), what, index });
            }
        };
        match &event.start {
            Start::Day(_) => {}
            Start::After { event: other, delay } => {
                index_ok(errors, "event", other.0, n_events);
                check_dist(errors, owner, "start delay", delay);
            }
        }
        if let Some(End::After(dist)) = &event.end {
            check_dist(errors, owner, "end", dist);
        }
        let unit = |errors: &mut Vec<ModelError>, field: &'static str, dist: &crate::Dist| {
            check_dist(errors, owner, field, dist);
            let (low, high) = dist.support();
            if low < 0.0 || high > 1.0 {
                errors.push(ModelError::InvalidNumber {
                    owner: owner.to_owned(),
                    field,
                    reason: format!("ranges over [{low}, {high}]; it must stay in [0, 1]"),
                });
            }
        };
        match &event.action {
            Action::ExportControl(control) => {
                for product in &control.products {
                    index_ok(errors, "product", product.0, n_products);
                }
                if let Some(licence) = &control.licence {
                    unit(errors, "licence approval", &licence.approval);
                    unit(errors, "licence partial", &licence.partial);
                    check_dist(errors, owner, "licence review", &licence.review);
                    if let Some(reapply) = &licence.reapply {
                        check_dist(errors, owner, "licence reapply", reapply);
                    }
                    check_terms(errors, owner, &licence.terms, &unit);
                }
                if let Some(leakage) = &control.leakage {
                    unit(errors, "leakage share", &leakage.share);
                    check_dist(errors, owner, "leakage delay", &leakage.delay);
                }
                if let Some(announcement) = &control.announcement {
                    let target = announcement.target_days;
                    if !target.is_finite() || target <= 0.0 || target > MAX_DAYS {
                        errors.push(ModelError::InvalidNumber {
                            owner: owner.to_owned(),
                            field: "announcement target",
                            reason: format!("is {target} days; it must be above 0 and at most {MAX_DAYS}"),
                        });
                    }
                    if let Start::Day(start) = event.start
                        && announcement.day >= start
                    {
                        errors.push(ModelError::InvalidNumber {
                            owner: owner.to_owned(),
                            field: "announcement day",
                            reason: format!("is {}, not before the start on day {start}", announcement.day),
                        });
                    }
                }
                if let Some(content) = &control.content {
                    number(errors, owner, "content threshold", content.threshold, 0.0, 1.0);
                    for product in &content.applies_to {
                        index_ok(errors, "product", product.0, n_products);
                    }
                }
            }
            Action::Quota(quota) => {
                for product in &quota.products {
                    index_ok(errors, "product", product.0, n_products);
                }
                check_dist(errors, owner, "amount", &quota.amount);
                if quota.period_days == 0 || f64::from(quota.period_days) > MAX_DAYS {
                    errors.push(ModelError::InvalidNumber {
                        owner: owner.to_owned(),
                        field: "period",
                        reason: format!("is {} days; it must be 1 to {MAX_DAYS} days", quota.period_days),
                    });
                }
            }
            Action::Suspend { control } => {
                index_ok(errors, "event", control.0, n_events);
                if let Some(target) = model.events.get(control.0 as usize)
                    && !matches!(target.action, Action::ExportControl(_) | Action::Quota(_))
                {
                    errors.push(ModelError::SuspendsNonControl {
                        event: event.id.clone(),
                        target: target.id.clone(),
                        kind: target.action.type_name(),
                    });
                }
            }
            Action::Capacity(shock) => {
                for facility in &shock.facilities {
                    index_ok(errors, "facility", facility.0, n_facilities);
                }
                unit(errors, "remaining", &shock.remaining);
                check_dist(errors, owner, "recovery", &shock.recovery);
            }
            Action::Demand(shock) => {
                for sink in &shock.sinks {
                    index_ok(errors, "sink", sink.0, n_sinks);
                }
                check_dist(errors, owner, "factor", &shock.factor);
            }
            Action::Logistics(shock) => {
                if let crate::disruption::LaneEffect::Delay(delay) = &shock.effect {
                    check_dist(errors, owner, "extra", delay);
                }
            }
            Action::Stockpile(stockpile) => {
                index_ok(errors, "product", stockpile.product.0, n_products);
                check_dist(errors, owner, "amount", &stockpile.amount);
                number(errors, owner, "release threshold", stockpile.threshold, 0.0, 1.0);
                number(errors, owner, "release rate", stockpile.rate, 0.0, MAX_RATE);
                for recipient in &stockpile.to {
                    match recipient {
                        Recipient::Buyer(Buyer::Facility(f)) => {
                            index_ok(errors, "facility", f.0, n_facilities)
                        }
                        Recipient::Buyer(Buyer::Sink(s)) => index_ok(errors, "sink", s.0, n_sinks),
                        Recipient::Regions(_) => {}
                    }
                }
            }
            Action::Substitute(substitution) => {
                index_ok(errors, "facility", substitution.facility.0, n_facilities);
                index_ok(errors, "product", substitution.input.0, n_products);
                index_ok(errors, "product", substitution.by.0, n_products);
                number(errors, owner, "ratio", substitution.ratio, f64::MIN_POSITIVE, 1e6);
                number(errors, owner, "penalty", substitution.penalty, 0.0, 0.999_999);
                check_dist(errors, owner, "delay", &substitution.delay);
            }
        }
    }
    check_authorities(model, errors);
    if errors.is_empty()
        && let Some(cycle) = start_cycle(model)
    {
        errors.push(ModelError::StartCycle { cycle });
    }
}

/// The terms of a licence: capacities finite, above 0 and in day order; applicants in
/// 1..=[`MAX_APPLICANTS`]; every distribution valid and every share inside [0, 1].
fn check_terms(
    errors: &mut Vec<ModelError>,
    owner: &str,
    terms: &LicenceTerms,
    unit: &dyn Fn(&mut Vec<ModelError>, &'static str, &Dist),
) {
    let bad = |errors: &mut Vec<ModelError>, field: &'static str, reason: String| {
        errors.push(ModelError::InvalidNumber { owner: owner.to_owned(), field, reason });
    };
    if let Some(authority) = &terms.authority {
        if authority.capacity.is_empty() {
            bad(errors, "licence capacity", "is empty; give at least one rate".to_owned());
        }
        for &(_, rate) in &authority.capacity {
            if !rate.is_finite() || rate <= 0.0 || rate > MAX_RATE {
                bad(
                    errors,
                    "licence capacity",
                    format!(
                        "has a rate of {rate} decisions a day; it must be above 0 and at most {MAX_RATE:e}"
                    ),
                );
            }
        }
        if authority.capacity.windows(2).any(|pair| pair[0].0 > pair[1].0) {
            bad(errors, "licence capacity", "is not sorted by day".to_owned());
        }
    }
    if !(1..=MAX_APPLICANTS).contains(&terms.applicants) {
        bad(
            errors,
            "licence applicants",
            format!("is {}; it must be 1 to {MAX_APPLICANTS}", terms.applicants),
        );
    }
    if let LicenceKind::Multi { validity } = &terms.kind {
        check_dist(errors, owner, "licence validity", validity);
    }
    for rule in &terms.approval_by {
        unit(errors, "licence approval_by", &rule.approval);
        if let PriorityClass::Regions(regions) = &rule.who
            && regions.is_empty()
        {
            bad(errors, "licence approval_by", "names a class with no regions".to_owned());
        }
    }
    if let Some(repeat) = &terms.repeat {
        unit(errors, "licence repeat", repeat);
    }
    if let Some(general) = &terms.general {
        unit(errors, "general licence share", &general.share);
        check_dist(errors, owner, "general licence validity", &general.validity);
    }
}

/// Controls that name one authority share its queue, so they must give it one capacity.
fn check_authorities(model: &Model, errors: &mut Vec<ModelError>) {
    // Authority name → the first event naming it and the authority as that event gives it.
    let mut seen: std::collections::BTreeMap<&str, (&str, &Authority)> = Default::default();
    for event in &model.events {
        let Action::ExportControl(control) = &event.action else { continue };
        let Some(authority) = control.licence.as_ref().and_then(|l| l.terms.authority.as_ref()) else {
            continue;
        };
        match seen.get(authority.name.as_str()) {
            Some((first, known)) if known.capacity != authority.capacity => {
                errors.push(ModelError::InvalidNumber {
                    owner: event.id.clone(),
                    field: "licence capacity",
                    reason: format!(
                        "of authority {} differs from the one {first} gives it; controls sharing an \
                         authority share its capacity",
                        authority.name
                    ),
                });
            }
            Some(_) => {}
            None => {
                seen.insert(&authority.name, (&event.id, authority));
            }
        }
    }
}

fn check_adaptation(errors: &mut Vec<ModelError>, adaptation: &Adaptation) {
    let owner = "the model's adaptation";
    if let Some(pace) = adaptation.release_pace
        && !(pace.is_finite() && pace >= 1.0)
    {
        errors.push(ModelError::InvalidNumber {
            owner: owner.to_owned(),
            field: "release pace",
            reason: format!("is {pace}; it must be a finite number, 1 or more"),
        });
    }
    if let Some(emergency) = &adaptation.emergency {
        let target = emergency.target_days;
        if !target.is_finite() || target <= 0.0 || target > MAX_DAYS {
            errors.push(ModelError::InvalidNumber {
                owner: owner.to_owned(),
                field: "emergency target",
                reason: format!("is {target} days; it must be above 0 and at most {MAX_DAYS}"),
            });
        }
    }
    if let Some(thrift) = &adaptation.thrift
        && !(thrift.max_cut.is_finite() && (0.0..1.0).contains(&thrift.max_cut))
    {
        errors.push(ModelError::InvalidNumber {
            owner: owner.to_owned(),
            field: "thrift max cut",
            reason: format!("is {}; it must be a share in [0, 1)", thrift.max_cut),
        });
    }
    let factor = adaptation.qualify_factor;
    if !(factor.is_finite() && factor > 0.0 && factor <= 1.0) {
        errors.push(ModelError::InvalidNumber {
            owner: owner.to_owned(),
            field: "qualify factor",
            reason: format!("is {factor}; it must be in (0, 1]"),
        });
    }
}

/// The first loop of events that start after each other, if any.
fn start_cycle(model: &Model) -> Option<Vec<String>> {
    let after = |index: usize| match &model.events[index].start {
        Start::After { event, .. } => Some(event.0 as usize),
        Start::Day(_) => None,
    };
    // Each event has at most one predecessor: follow the chain from every event, at most
    // `n` steps; a chain longer than that has looped.
    let n = model.events.len();
    for first in 0..n {
        let mut chain = vec![first];
        let mut current = first;
        while let Some(next) = after(current) {
            if let Some(position) = chain.iter().position(|&c| c == next) {
                let mut cycle: Vec<String> =
                    chain[position..].iter().map(|&i| model.events[i].id.clone()).collect();
                cycle.push(model.events[next].id.clone());
                return Some(cycle);
            }
            if chain.len() > n {
                break;
            }
            chain.push(next);
            current = next;
        }
    }
    None
}

fn check_allocation(errors: &mut Vec<ModelError>, owner: &str, allocation: &Allocation) {
    if let Allocation::Priority(classes) = allocation {
        if classes.is_empty() {
            errors.push(ModelError::InvalidNumber {
                owner: owner.to_owned(),
                field: "allocation order",
                reason: "is empty; list at least one class".to_owned(),
            });
        }
        for class in classes {
            if let PriorityClass::Regions(regions) = class
                && regions.is_empty()
            {
                errors.push(ModelError::InvalidNumber {
                    owner: owner.to_owned(),
                    field: "allocation order",
                    reason: "names a class with no regions".to_owned(),
                });
            }
        }
    }
}
