//! Validation: the raw layer into an engine [`Model`] plus the scenario's own settings,
//! reporting every problem at once with its location and a hint.

use std::collections::BTreeMap;
use std::ops::Range;

use chokepoint_engine::{
    Bloc, Buyer, ControlEnd, ExportControl, Facility, FacilityId, Model, Noise, Policy, Product, ProductId,
    Region, Sink, SinkId, Source, Stock, Supply, Targets, Unmet, model::MAX_HORIZON_DAYS,
};
use toml::Value;

use crate::diagnostic::{Diagnostic, Report, did_you_mean};
use crate::raw::{Loc, RawEvent, RawPolicy, RawScenario};
use crate::values;

/// Largest scenario file read, in bytes.
pub const MAX_FILE_BYTES: usize = 16 << 20;

/// A validated scenario: the engine model and what the scenario says about running and
/// reporting it.
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    /// What the scenario shows.
    pub name: String,
    /// Longer description, if given.
    pub description: Option<String>,
    /// Calendar date of day 0.
    pub start: jiff::civil::Date,
    /// Base seed of the random streams.
    pub seed: u64,
    /// The chain and its events.
    pub model: Model,
    /// Report settings.
    pub report: ReportSpec,
}

/// `[report]`: how results are sampled and which entities are shown.
#[derive(Clone, Debug, PartialEq)]
pub struct ReportSpec {
    /// Days per row of `series.csv`.
    pub step_days: u32,
    /// Entities shown in the printed KPI table (all sinks when empty).
    pub watch: Vec<String>,
}

impl Scenario {
    /// The calendar date of a day index.
    pub fn date_of(&self, day: u32) -> jiff::civil::Date {
        self.start.checked_add(jiff::Span::new().days(i64::from(day))).unwrap_or(self.start)
    }
}

/// Parses and validates a scenario from its text. `file` names it in diagnostics.
///
/// On success, returns the scenario with any warnings; on failure, a report of every
/// problem found.
pub fn load_str(file: &str, text: &str) -> Result<(Scenario, Vec<Diagnostic>), Report> {
    let report = |diagnostics| Report { file: file.to_owned(), source: text.to_owned(), diagnostics };
    if text.len() > MAX_FILE_BYTES {
        return Err(report(vec![Diagnostic {
            severity: crate::Severity::Error,
            message: format!(
                "the file is {} bytes; scenario files are limited to {MAX_FILE_BYTES}",
                text.len()
            ),
            span: None,
            hint: Some("split the world into a smaller file".to_owned()),
        }]));
    }
    let raw: RawScenario = match toml::from_str(text) {
        Ok(raw) => raw,
        Err(error) => {
            let span = error.span().unwrap_or(0..0);
            let message = error.message().trim_end().to_owned();
            let hint = parse_hint(&message);
            let mut diagnostic = Diagnostic::error(message, span);
            diagnostic.hint = hint;
            return Err(report(vec![diagnostic]));
        }
    };
    let mut builder = Builder::default();
    let scenario = builder.scenario(&raw);
    builder.diagnostics.sort_by_key(|d| d.span.as_ref().map_or(usize::MAX, |s| s.start));
    match scenario {
        Some(scenario) if !builder.diagnostics.iter().any(|d| d.severity == crate::Severity::Error) => {
            Ok((scenario, builder.diagnostics))
        }
        _ => Err(report(builder.diagnostics)),
    }
}

fn parse_hint(message: &str) -> Option<String> {
    if message.contains("unknown field") {
        Some("check the spelling; docs/scenario-format.md lists every key".to_owned())
    } else if message.contains("missing field") {
        Some("add the key; docs/scenario-format.md says what it means".to_owned())
    } else if message.contains("invalid type") {
        Some("docs/scenario-format.md gives the type of every key".to_owned())
    } else {
        None
    }
}

#[derive(Default)]
struct Builder {
    diagnostics: Vec<Diagnostic>,
    products: BTreeMap<String, (ProductId, Range<usize>)>,
    facilities: BTreeMap<String, (FacilityId, Range<usize>)>,
    sinks: BTreeMap<String, (SinkId, Range<usize>)>,
    blocs: BTreeMap<String, Vec<Region>>,
}

impl Builder {
    fn error(&mut self, message: impl Into<String>, span: Range<usize>) -> &mut Diagnostic {
        self.diagnostics.push(Diagnostic::error(message, span));
        self.diagnostics.last_mut().expect("just pushed")
    }

    fn ok<T>(&mut self, checked: Result<T, Diagnostic>) -> Option<T> {
        checked.map_err(|d| self.diagnostics.push(d)).ok()
    }

    /// Reports an unknown id, suggesting the closest known one or saying where to declare it.
    fn unknown<'k>(
        &mut self,
        message: String,
        id: &Loc<String>,
        known: impl Iterator<Item = &'k str>,
        declare: &str,
    ) {
        let hint = match did_you_mean(id.get_ref(), known) {
            Some(s) => format!("did you mean '{s}'?"),
            None => declare.to_owned(),
        };
        self.error(message, id.span()).hint = Some(hint);
    }

    fn product(&mut self, id: &Loc<String>, what: &str) -> Option<ProductId> {
        if let Some((product, _)) = self.products.get(id.get_ref()) {
            return Some(*product);
        }
        let known: Vec<String> = self.products.keys().cloned().collect();
        let message = format!("{what}: unknown product '{}'", id.get_ref());
        self.unknown(message, id, known.iter().map(String::as_str), "declare it under [products.<id>]");
        None
    }

    fn facility(&mut self, id: &Loc<String>, what: &str) -> Option<FacilityId> {
        if let Some((facility, _)) = self.facilities.get(id.get_ref()) {
            return Some(*facility);
        }
        let known: Vec<String> = self.facilities.keys().cloned().collect();
        let message = format!("{what}: unknown facility '{}'", id.get_ref());
        self.unknown(message, id, known.iter().map(String::as_str), "declare it under [facilities.<id>]");
        None
    }

    fn buyer(&mut self, id: &Loc<String>) -> Option<Buyer> {
        if let Some((facility, _)) = self.facilities.get(id.get_ref()) {
            return Some(Buyer::Facility(*facility));
        }
        if let Some((sink, _)) = self.sinks.get(id.get_ref()) {
            return Some(Buyer::Sink(*sink));
        }
        let known: Vec<String> = self.facilities.keys().chain(self.sinks.keys()).cloned().collect();
        let declare = "a buyer is a facility ([facilities.<id>]) or a demand sink ([demand.<id>])";
        self.unknown(
            format!("unknown buyer '{}'", id.get_ref()),
            id,
            known.iter().map(String::as_str),
            declare,
        );
        None
    }

    fn scenario(&mut self, raw: &RawScenario) -> Option<Scenario> {
        let header = raw.scenario.get_ref();
        let start = self.ok(values::date(&header.start, "scenario.start"));
        let horizon = self.ok(values::whole_days(&header.horizon, "scenario.horizon", 1, u32::MAX));
        let horizon = horizon.and_then(|days| {
            if days > MAX_HORIZON_DAYS {
                self.error(
                    format!("the horizon of {days} days is longer than the limit of {MAX_HORIZON_DAYS} days (100 years)"),
                    header.horizon.span(),
                )
                .hint = Some("shorten it: results are kept for every day of the run".to_owned());
                None
            } else {
                Some(days)
            }
        });
        let seed = match &header.seed {
            None => Some(0),
            Some(seed) if *seed.get_ref() >= 0 => Some(*seed.get_ref() as u64),
            Some(seed) => {
                self.error(format!("scenario.seed must be 0 or more, found {}", seed.get_ref()), seed.span());
                None
            }
        };

        for (name, members) in &raw.blocs {
            let regions: Vec<Region> =
                members.get_ref().iter().filter_map(|m| self.ok(values::region(m, "bloc member"))).collect();
            if Region::new(name.get_ref()).is_some() || name.get_ref() == "all" {
                self.error(
                    format!("bloc name '{}' is taken by a region code or 'all'", name.get_ref()),
                    name.span(),
                );
            }
            self.blocs.insert(name.get_ref().clone(), regions);
        }

        let mut model = Model::default();
        for (id, raw_product) in &raw.products {
            let index = ProductId(model.products.len() as u32);
            self.products.insert(id.get_ref().clone(), (index, id.span()));
            let raw_product = raw_product.get_ref();
            let value = raw_product.value.as_ref().map_or(0.0, |v| *v.get_ref());
            if let Some(v) = &raw_product.value {
                if !value.is_finite() || value < 0.0 {
                    self.error(
                        format!("products.{}.value must be 0 or more, found {value}", id.get_ref()),
                        v.span(),
                    );
                }
            }
            model.products.push(Product {
                id: id.get_ref().clone(),
                name: raw_product.name.as_ref().map_or_else(|| id.get_ref().clone(), |n| n.get_ref().clone()),
                unit: raw_product.unit.as_ref().map_or_else(|| "units".to_owned(), |u| u.get_ref().clone()),
                value,
            });
        }
        for (index, (id, _)) in raw.facilities.iter().enumerate() {
            self.facilities.insert(id.get_ref().clone(), (FacilityId(index as u32), id.span()));
        }
        for (index, (id, _)) in raw.demand.iter().enumerate() {
            if self.facilities.contains_key(id.get_ref()) {
                self.error(format!("'{}' is both a facility and a demand sink", id.get_ref()), id.span())
                    .hint = Some("give every facility and sink its own id".to_owned());
            }
            self.sinks.insert(id.get_ref().clone(), (SinkId(index as u32), id.span()));
        }

        for (id, facility) in &raw.facilities {
            if let Some(facility) = self.build_facility(id, facility.get_ref()) {
                model.facilities.push(facility);
            }
        }
        for (id, demand) in &raw.demand {
            if let Some(sink) = self.build_sink(id, demand.get_ref()) {
                model.sinks.push(sink);
            }
        }
        let mut supply_spans = BTreeMap::new();
        for supply in &raw.supply {
            if let Some(link) = self.build_supply(supply, &model) {
                if supply_spans.insert((link.buyer, link.product), supply.span()).is_some() {
                    self.error(
                        format!(
                            "a second supply link for {} buying {}",
                            supply.get_ref().buyer.get_ref(),
                            supply.get_ref().product.get_ref()
                        ),
                        supply.get_ref().buyer.span(),
                    )
                    .hint = Some("merge them into one [[supply]] with several sources".to_owned());
                }
                model.supplies.push(link);
            }
        }
        self.check_needs(raw, &model, &supply_spans);

        let (Some(start), Some(horizon)) = (start, horizon) else {
            return None;
        };
        let mut control_ids = BTreeMap::new();
        for event in &raw.event {
            if let Some(control) = self.build_event(event.get_ref(), start, horizon) {
                if control_ids.insert(control.id.clone(), ()).is_some() {
                    let span = event.get_ref().id.as_ref().map_or(event.span(), |id| id.span());
                    self.error(format!("two events have the id '{}'", control.id), span);
                }
                model.controls.push(control);
            }
        }
        let report = self.build_report(raw.report.as_ref());
        model.horizon_days = horizon;
        model.blocs = self
            .blocs
            .iter()
            .map(|(name, members)| Bloc { name: name.clone(), members: members.clone() })
            .collect();

        if self.diagnostics.iter().any(|d| d.severity == crate::Severity::Error) {
            return None;
        }
        // What the file-level checks cannot see (a supply cycle) the engine still reports.
        if let Err(errors) = chokepoint_engine::model_errors(&model) {
            for error in errors {
                let span = match &error {
                    chokepoint_engine::ModelError::SupplyCycle { cycle } => {
                        cycle.first().and_then(|id| self.facilities.get(id)).map(|(_, span)| span.clone())
                    }
                    _ => None,
                };
                self.diagnostics.push(Diagnostic {
                    severity: crate::Severity::Error,
                    message: error.to_string(),
                    span,
                    hint: None,
                });
            }
            return None;
        }
        Some(Scenario {
            name: header.name.get_ref().clone(),
            description: header.description.as_ref().map(|d| d.get_ref().clone()),
            start,
            seed: seed?,
            model,
            report: report?,
        })
    }

    fn build_policy(&mut self, raw: Option<&Loc<RawPolicy>>, owner: &str) -> Option<Policy> {
        let Some(raw) = raw else {
            return Some(Policy::DaysOfUse { target_days: DEFAULT_TARGET_DAYS, review_days: 1 });
        };
        let policy = raw.get_ref();
        let review = match &policy.review {
            Some(review) => {
                self.ok(values::whole_days(review, &format!("{owner}.policy.review"), 1, 1000))?
            }
            None => 1,
        };
        match (&policy.target, &policy.order_up_to) {
            (Some(target), None) if policy.reorder_point.is_none() => {
                let target_days = self.ok(values::days(target, &format!("{owner}.policy.target")))?;
                if target_days > chokepoint_engine::model::MAX_DAYS {
                    self.error(
                        format!("{owner}.policy.target of {target_days} days is over the limit of 1000"),
                        target.span(),
                    );
                    return None;
                }
                Some(Policy::DaysOfUse { target_days, review_days: review })
            }
            (None, Some(order_up_to)) => {
                let s_big = *order_up_to.get_ref();
                if !s_big.is_finite() || s_big < 0.0 {
                    self.error(
                        format!("{owner}.policy.order_up_to must be 0 or more, found {s_big}"),
                        order_up_to.span(),
                    );
                    return None;
                }
                let reorder_point = policy.reorder_point.as_ref().map(|s| *s.get_ref());
                if let (Some(s), Some(span)) =
                    (reorder_point, policy.reorder_point.as_ref().map(|s| s.span()))
                {
                    if !s.is_finite() || s > s_big {
                        self.error(
                            format!(
                                "{owner}.policy.reorder_point ({s}) must not exceed order_up_to ({s_big})"
                            ),
                            span,
                        );
                        return None;
                    }
                }
                Some(Policy::Units { reorder_point, order_up_to: s_big, review_days: review })
            }
            _ => {
                self.error(format!("{owner}.policy needs either `target` or `order_up_to`"), raw.span()).hint = Some(
                    "write { target = \"45d\", review = \"1d\" } or { reorder_point = 150, order_up_to = 400 }".to_owned(),
                );
                None
            }
        }
    }

    fn build_facility(&mut self, id: &Loc<String>, raw: &crate::raw::RawFacility) -> Option<Facility> {
        let owner = format!("facilities.{}", id.get_ref());
        let region = self.ok(values::region(&raw.region, &format!("{owner}.region")));
        let product = self.product(&raw.product, &format!("{owner}.product"));
        let capacity = self.ok(values::dist(&raw.capacity, &format!("{owner}.capacity"), false));
        if let Some(capacity) = &capacity {
            let mean = capacity.mean();
            if !(0.0..=chokepoint_engine::model::MAX_RATE).contains(&mean) {
                self.error(
                    format!("{owner}.capacity must be from 0 to 1e9 units a day, found {mean}"),
                    raw.capacity.span(),
                )
                .hint = Some("capacity is units of the product per day".to_owned());
            }
        }
        let mut recipe = Vec::new();
        for (input, amount) in &raw.inputs {
            let input_id = self.product(input, &format!("{owner}.inputs"));
            let per_unit = *amount.get_ref();
            if !per_unit.is_finite() || per_unit <= 0.0 || per_unit > 1e6 {
                self.error(
                    format!(
                        "{owner}.inputs.{}: units per unit of output must be above 0, found {per_unit}",
                        input.get_ref()
                    ),
                    amount.span(),
                );
            }
            if let (Some(input_id), Some(product)) = (input_id, product) {
                if input_id == product {
                    self.error(format!("{owner} uses its own product as an input"), input.span());
                }
            }
            recipe.extend(input_id.map(|p| (p, per_unit)));
        }
        let policy = self.build_policy(raw.policy.as_ref(), &owner);
        let stock = raw.stock.as_ref().map(|s| s.get_ref());
        let output_stock = match stock.and_then(|s| s.output.as_ref()) {
            Some(v) => {
                self.ok(values::stock(v, &format!("{owner}.stock.output")).and_then(|s| bounded(s, v)))
            }
            None => Some(Stock::Days(DEFAULT_OUTPUT_DAYS)),
        };
        let input_stock = match stock.and_then(|s| s.inputs.as_ref()) {
            Some(v) => {
                self.ok(values::stock(v, &format!("{owner}.stock.inputs")).and_then(|s| bounded(s, v)))
            }
            None => policy.map(default_stock),
        };
        if let (Some(Policy::Units { .. }), true) = (policy, recipe.len() > 1) {
            let span = raw.policy.as_ref().map_or(id.span(), |p| p.span());
            self.error(format!("{owner} has several inputs, so its policy must be in days of use"), span)
                .hint =
                Some("write policy = { target = \"30d\" }: units of which input would it be?".to_owned());
        }
        Some(Facility {
            id: id.get_ref().clone(),
            region: region?,
            product: product?,
            capacity: capacity?,
            recipe,
            output_stock: output_stock?,
            input_stock: input_stock?,
            policy: policy?,
        })
    }

    fn build_sink(&mut self, id: &Loc<String>, raw: &crate::raw::RawDemand) -> Option<Sink> {
        let owner = format!("demand.{}", id.get_ref());
        let region = self.ok(values::region(&raw.region, &format!("{owner}.region")));
        let product = self.product(&raw.product, &format!("{owner}.product"));
        let rate = *raw.rate.get_ref();
        if !(0.0..=chokepoint_engine::model::MAX_RATE).contains(&rate) {
            self.error(
                format!("{owner}.rate must be from 0 to 1e9 units a day, found {rate}"),
                raw.rate.span(),
            );
        }
        let growth = raw.growth.as_ref().map_or(0.0, |g| *g.get_ref());
        if let Some(g) = &raw.growth {
            if !(-1.0..=1.0).contains(&growth) {
                self.error(
                    format!("{owner}.growth is a yearly rate from -1 to 1, found {growth}"),
                    g.span(),
                )
                .hint = Some("5 % a year is 0.05".to_owned());
            }
        }
        let noise = match &raw.noise {
            None => Some(Noise::None),
            Some(value) => match value.get_ref() {
                Value::String(s) if s == "poisson" => Some(Noise::Poisson),
                Value::String(s) if s == "none" => Some(Noise::None),
                Value::String(s) => {
                    self.error(format!("{owner}.noise: unknown noise \"{s}\""), value.span()).hint =
                        Some("use \"poisson\", \"none\", or a relative distribution like { normal = { sd = 0.1 } }".to_owned());
                    None
                }
                _ => self.ok(values::dist(value, &format!("{owner}.noise"), false)).map(Noise::Relative),
            },
        };
        let unmet = match &raw.unmet {
            None => Some(Unmet::Lost),
            Some(u) if u.get_ref() == "lost" => Some(Unmet::Lost),
            Some(u) if u.get_ref() == "backlog" => Some(Unmet::Backlog),
            Some(u) => {
                self.error(
                    format!("{owner}.unmet: \"{}\" is neither \"lost\" nor \"backlog\"", u.get_ref()),
                    u.span(),
                );
                None
            }
        };
        let policy = self.build_policy(raw.policy.as_ref(), &owner);
        let stock = match &raw.stock {
            Some(v) => self.ok(values::stock(v, &format!("{owner}.stock")).and_then(|s| bounded(s, v))),
            None => policy.map(default_stock),
        };
        Some(Sink {
            id: id.get_ref().clone(),
            region: region?,
            product: product?,
            rate,
            growth,
            noise: noise?,
            sector: raw.sector.as_ref().map_or_else(|| "civil".to_owned(), |s| s.get_ref().clone()),
            unmet: unmet?,
            stock: stock?,
            policy: policy?,
        })
    }

    fn build_supply(&mut self, raw: &Loc<crate::raw::RawSupply>, model: &Model) -> Option<Supply> {
        let supply = raw.get_ref();
        let buyer = self.buyer(&supply.buyer);
        let product = self.product(&supply.product, "supply.product");
        let transit = self.ok(values::dist(&supply.transit, "supply.transit", true));
        if let Some(t) = &transit {
            if t.mean() > chokepoint_engine::model::MAX_DAYS || t.mean() < 0.0 {
                self.error(
                    format!("supply.transit: a mean of {} days is outside 0 to 1000", t.mean()),
                    supply.transit.span(),
                );
            }
        }
        let n_sources = supply.sources.get_ref().len();
        if n_sources == 0 {
            self.error("supply.sources is empty", supply.sources.span()).hint =
                Some("list at least one source: sources = [ { from = \"…\", share = 1.0 } ]".to_owned());
        }
        let mut sources = Vec::new();
        let mut sum = 0.0;
        for source in supply.sources.get_ref() {
            let source = source.get_ref();
            let from = self.facility(&source.from, "supply.sources.from");
            let share = match &source.share {
                Some(share) => *share.get_ref(),
                None if n_sources == 1 => 1.0,
                None => {
                    self.error("each of several sources needs a share", source.from.span());
                    0.0
                }
            };
            if let Some(s) = &source.share {
                if !(0.0..=1.0).contains(&share) {
                    self.error(format!("a share must be between 0 and 1, found {share}"), s.span()).hint =
                        Some("shares are fractions of the buyer's orders: 0.7 for 70 %".to_owned());
                }
            }
            sum += share;
            if let (Some(from), Some(product)) = (from, product) {
                // Facilities that failed to build are not in the model; skip the check then.
                if let Some(facility) = model.facilities.iter().find(|f| f.id == *source.from.get_ref()) {
                    if facility.product != product {
                        let made = &model.products[facility.product.0 as usize].id;
                        self.error(
                            format!(
                                "{} makes {made}, not {}",
                                source.from.get_ref(),
                                supply.product.get_ref()
                            ),
                            source.from.span(),
                        );
                    }
                }
                sources.push(Source { from, share });
            }
        }
        let shares_in_range =
            supply.sources.get_ref().iter().all(|s| {
                s.get_ref().share.as_ref().is_none_or(|share| (0.0..=1.0).contains(share.get_ref()))
            });
        if n_sources > 0 && shares_in_range && (sum - 1.0).abs() > 1e-6 {
            self.error(
                format!("the shares of supply.sources sum to {}, not 1", (sum * 1e6).round() / 1e6),
                supply.sources.span(),
            )
            .hint = Some("make the shares of a buyer's sources add up to 1".to_owned());
        }
        if let (Some(buyer), Some(product)) = (buyer, product) {
            let uses = match buyer {
                Buyer::Facility(_) => model
                    .facilities
                    .iter()
                    .find(|x| x.id == *supply.buyer.get_ref())
                    .map(|x| x.recipe.iter().any(|&(p, _)| p == product)),
                Buyer::Sink(_) => {
                    model.sinks.iter().find(|x| x.id == *supply.buyer.get_ref()).map(|x| x.product == product)
                }
            };
            if uses == Some(false) {
                self.error(
                    format!("{} does not use {}", supply.buyer.get_ref(), supply.product.get_ref()),
                    supply.product.span(),
                )
                .hint = Some(
                    "a facility buys the products in its `inputs`; a sink buys its `product`".to_owned(),
                );
            }
        }
        Some(Supply { buyer: buyer?, product: product?, sources, transit: transit? })
    }

    /// Every input and every sink needs a supply link.
    fn check_needs(
        &mut self,
        raw: &RawScenario,
        model: &Model,
        links: &BTreeMap<(Buyer, ProductId), Range<usize>>,
    ) {
        // A link whose buyer is misspelt was already reported; do not report its buyer as
        // unsupplied too.
        let misspelt: Vec<&str> = raw
            .supply
            .iter()
            .map(|s| s.get_ref().buyer.get_ref().as_str())
            .filter(|b| !self.facilities.contains_key(*b) && !self.sinks.contains_key(*b))
            .collect();
        let meant = |id: &str| misspelt.iter().any(|m| did_you_mean(m, std::iter::once(id)).is_some());
        for (id, facility) in &raw.facilities {
            let Some(&(facility_id, _)) = self.facilities.get(id.get_ref()) else { continue };
            for (input, _) in &facility.get_ref().inputs {
                let Some(&(product, _)) = self.products.get(input.get_ref()) else { continue };
                if !links.contains_key(&(Buyer::Facility(facility_id), product)) && !meant(id.get_ref()) {
                    self.error(
                        format!("{} needs {} but nobody supplies it", id.get_ref(), input.get_ref()),
                        input.span(),
                    )
                    .hint = Some(format!(
                        "add [[supply]] with buyer = \"{}\", product = \"{}\" and its sources",
                        id.get_ref(),
                        input.get_ref()
                    ));
                }
            }
        }
        for (id, demand) in &raw.demand {
            let Some(&(sink_id, _)) = self.sinks.get(id.get_ref()) else { continue };
            let Some(&(product, _)) = self.products.get(demand.get_ref().product.get_ref()) else { continue };
            if !links.contains_key(&(Buyer::Sink(sink_id), product)) && !meant(id.get_ref()) {
                self.error(
                    format!(
                        "demand {} has no supply of {}",
                        id.get_ref(),
                        demand.get_ref().product.get_ref()
                    ),
                    id.span(),
                )
                .hint = Some(format!("add [[supply]] with buyer = \"{}\" and its sources", id.get_ref()));
            }
        }
        // From the raw facilities, so one that failed to build does not look missing.
        let made: Vec<ProductId> = raw
            .facilities
            .iter()
            .filter_map(|(_, f)| self.products.get(f.get_ref().product.get_ref()).map(|(p, _)| *p))
            .collect();
        for (id, (product, span)) in self.products.clone() {
            let used = model.sinks.iter().any(|s| s.product == product)
                || model.facilities.iter().any(|f| f.recipe.iter().any(|&(p, _)| p == product));
            if used && !made.contains(&product) {
                self.error(format!("product '{id}' is used but no facility makes it"), span).hint =
                    Some("add a facility with this product, or remove its users".to_owned());
            } else if !used && !made.contains(&product) {
                self.diagnostics.push(
                    Diagnostic::warning(format!("product '{id}' is neither made nor used"), span)
                        .with_hint("remove it, or add the facilities that make and use it"),
                );
            }
        }
    }

    fn build_event(
        &mut self,
        raw: &RawEvent,
        start: jiff::civil::Date,
        horizon: u32,
    ) -> Option<ExportControl> {
        match raw.kind.get_ref().as_str() {
            "export_control" => {}
            planned @ ("quota" | "suspend" | "capacity" | "demand" | "stockpile" | "substitute"
            | "facility_online") => {
                self.error(
                    format!("event type '{planned}' is not supported by this version yet"),
                    raw.kind.span(),
                )
                .hint =
                    Some("this version replays `export_control` events; the others are planned".to_owned());
                return None;
            }
            other => {
                let suggestion = did_you_mean(other, ["export_control"].into_iter());
                self.error(format!("unknown event type '{other}'"), raw.kind.span()).hint =
                    Some(suggestion.map_or("event types: export_control".to_owned(), |s| {
                        format!("did you mean '{s}'?")
                    }));
                return None;
            }
        }
        let Some(id) = &raw.id else {
            self.error("an export_control needs an `id`", raw.kind.span()).hint =
                Some("name it after the measure, e.g. id = \"mofcom-18-2025\"".to_owned());
            return None;
        };
        let owner = format!("event {}", id.get_ref());
        let issuer = match &raw.issuer {
            Some(issuer) => self.ok(values::region(issuer, &format!("{owner}: issuer"))),
            None => {
                self.error(format!("{owner} needs an `issuer` region"), id.span());
                None
            }
        };
        let products = match &raw.products {
            Some(list) if list.get_ref().is_empty() => {
                self.error(format!("{owner}: `products` is empty"), list.span());
                None
            }
            Some(list) => {
                let ids: Vec<Option<ProductId>> =
                    list.get_ref().iter().map(|p| self.product(p, &format!("{owner}: products"))).collect();
                ids.into_iter().collect::<Option<Vec<_>>>()
            }
            None => {
                self.error(format!("{owner} needs `products`"), id.span());
                None
            }
        };
        let targets = match &raw.targets {
            Some(targets) => self.targets(targets, &owner),
            None => {
                self.error(format!("{owner} needs `targets`"), id.span()).hint = Some(
                    "targets = \"all\", a region, a bloc, a list of them, or { all_except = [...] }"
                        .to_owned(),
                );
                None
            }
        };
        let start_day = match &raw.start {
            Some(date) => self
                .ok(values::date(date, &format!("{owner}: start")))
                .and_then(|d| self.day(start, d, date, horizon, &owner)),
            None => {
                self.error(format!("{owner} needs a `start` date"), id.span());
                None
            }
        };
        let end = match &raw.end {
            None => Some(None),
            Some(value) => {
                match value.get_ref() {
                    Value::Datetime(_) => {
                        let date = self.ok(values::date(value, &format!("{owner}: end")))?;
                        let day = date_to_day(start, date);
                        if let Some(start_day) = start_day {
                            if day <= i64::from(start_day) {
                                self.error(
                                    format!("{owner} ends on {date}, not after it starts"),
                                    value.span(),
                                );
                                return None;
                            }
                        }
                        Some(Some(ControlEnd::Day(day.clamp(0, i64::from(u32::MAX)) as u32)))
                    }
                    Value::Table(table) if table.len() == 1 && table.contains_key("after") => {
                        let after = table.get("after").expect("checked above").clone();
                        let after = Loc::new(value.span(), after);
                        self.ok(values::dist(&after, &format!("{owner}: end.after"), true))
                            .map(|d| Some(ControlEnd::After(d)))
                    }
                    _ => {
                        self.error(format!("{owner}: `end` must be a date or {{ after = <days> }}"), value.span()).hint =
                        Some("write end = 2025-12-31, or end = { after = \"180d\" }, or a distribution of days".to_owned());
                        None
                    }
                }
            }
        };
        Some(ExportControl {
            id: id.get_ref().clone(),
            issuer: issuer?,
            products: products?,
            targets: targets?,
            start_day: start_day?,
            end: end?,
        })
    }

    fn day(
        &mut self,
        start: jiff::civil::Date,
        date: jiff::civil::Date,
        value: &Loc<Value>,
        horizon: u32,
        owner: &str,
    ) -> Option<u32> {
        let day = date_to_day(start, date);
        if day < 0 {
            self.error(
                format!("{owner} starts on {date}, before the scenario starts ({start})"),
                value.span(),
            )
            .hint = Some("move scenario.start earlier, or the event later".to_owned());
            return None;
        }
        if day >= i64::from(horizon) {
            self.diagnostics.push(
                Diagnostic::warning(
                    format!("{owner} starts on {date}, after the horizon ends; it never applies"),
                    value.span(),
                )
                .with_hint("lengthen scenario.horizon to see it"),
            );
        }
        Some(day.min(i64::from(u32::MAX)) as u32)
    }

    fn targets(&mut self, value: &Loc<Value>, owner: &str) -> Option<Targets> {
        let hint = "targets = \"all\", a region code, a bloc name, a list of them, or { all_except = [...] }";
        let names: Vec<(String, Range<usize>)> = match value.get_ref() {
            Value::String(s) if s == "all" => return Some(Targets::All),
            Value::String(s) => vec![(s.clone(), value.span())],
            Value::Array(items) => {
                items.iter().filter_map(|item| item.as_str().map(|s| (s.to_owned(), value.span()))).collect()
            }
            Value::Table(table) if table.len() == 1 && table.contains_key("all_except") => {
                let list = table.get("all_except").and_then(Value::as_array);
                let names: Vec<(String, Range<usize>)> = list
                    .map(|l| {
                        l.iter().filter_map(|i| i.as_str().map(|s| (s.to_owned(), value.span()))).collect()
                    })
                    .unwrap_or_default();
                return self.resolve_regions(&names, owner).map(Targets::AllExcept);
            }
            _ => {
                self.error(format!("{owner}: `targets` is not understood"), value.span()).hint =
                    Some(hint.to_owned());
                return None;
            }
        };
        if let Value::Array(items) = value.get_ref() {
            if items.len() != names.len() || items.is_empty() {
                self.error(
                    format!("{owner}: `targets` must list region codes or bloc names"),
                    value.span(),
                )
                .hint = Some(hint.to_owned());
                return None;
            }
        }
        self.resolve_regions(&names, owner).map(Targets::Only)
    }

    fn resolve_regions(&mut self, names: &[(String, Range<usize>)], owner: &str) -> Option<Vec<Region>> {
        let mut regions = Vec::new();
        let mut ok = true;
        for (name, span) in names {
            if let Some(members) = self.blocs.get(name) {
                regions.extend(members.iter().copied());
            } else if let Some(region) = Region::new(name) {
                regions.push(region);
            } else {
                let known: Vec<String> = self.blocs.keys().cloned().collect();
                let suggestion = did_you_mean(name, known.iter().map(String::as_str)).map(str::to_owned);
                self.error(format!("{owner}: '{name}' is neither a region code nor a bloc"), span.clone())
                    .hint =
                    Some(suggestion.map_or(
                        "declare blocs under [blocs]; regions are codes like \"US\"".to_owned(),
                        |s| format!("did you mean '{s}'?"),
                    ));
                ok = false;
            }
        }
        regions.sort();
        regions.dedup();
        ok.then_some(regions)
    }

    fn build_report(&mut self, raw: Option<&Loc<crate::raw::RawReport>>) -> Option<ReportSpec> {
        let Some(raw) = raw else {
            return Some(ReportSpec { step_days: 1, watch: Vec::new() });
        };
        let report = raw.get_ref();
        let step_days = match &report.step {
            Some(step) => self.ok(values::whole_days(step, "report.step", 1, 366))?,
            None => 1,
        };
        let mut watch = Vec::new();
        for id in report.watch.iter().flatten() {
            if self.facilities.contains_key(id.get_ref()) || self.sinks.contains_key(id.get_ref()) {
                watch.push(id.get_ref().clone());
            } else {
                let known: Vec<String> = self.facilities.keys().chain(self.sinks.keys()).cloned().collect();
                let suggestion =
                    did_you_mean(id.get_ref(), known.iter().map(String::as_str)).map(str::to_owned);
                self.error(format!("report.watch: unknown entity '{}'", id.get_ref()), id.span()).hint =
                    Some(suggestion.map_or("watch facility or demand ids".to_owned(), |s| {
                        format!("did you mean '{s}'?")
                    }));
            }
        }
        Some(ReportSpec { step_days, watch })
    }
}

/// Default ordering target, in days of use, when a facility or sink gives no policy.
pub const DEFAULT_TARGET_DAYS: f64 = 30.0;
/// Default output stock of a facility, in days of its baseline output.
pub const DEFAULT_OUTPUT_DAYS: f64 = 1.0;

fn default_stock(policy: Policy) -> Stock {
    match policy {
        Policy::DaysOfUse { target_days, .. } => Stock::Days(target_days),
        Policy::Units { order_up_to, .. } => Stock::Units(order_up_to),
    }
}

fn bounded(stock: Stock, value: &Loc<Value>) -> Result<Stock, Diagnostic> {
    let (amount, max, unit) = match stock {
        Stock::Days(days) => (days, chokepoint_engine::model::MAX_DAYS, "days"),
        Stock::Units(units) => (units, chokepoint_engine::model::MAX_UNITS, "units"),
    };
    if amount > max {
        return Err(Diagnostic::error(
            format!("a stock of {amount} {unit} is over the limit of {max:e} {unit}"),
            value.span(),
        ));
    }
    Ok(stock)
}

fn date_to_day(start: jiff::civil::Date, date: jiff::civil::Date) -> i64 {
    start.until(date).map_or(0, |span| i64::from(span.get_days()))
}
