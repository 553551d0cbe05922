//! Validation: the raw layer into an engine [`Model`] plus the scenario's own settings,
//! reporting every problem at once with its location and a hint.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;

use chokepoint_engine::{
    Allocation, Bloc, Buyer, Facility, FacilityId, Model, Noise, Policy, PriceIndex, PriorityClass, Product,
    ProductId, Region, Sink, SinkId, Source, Stock, Supply, Targets, Unmet,
    model::{MAX_ENTITIES, MAX_ENTITY_DAYS, MAX_EVENTS, MAX_HORIZON_DAYS, MAX_RATE},
};
use toml::Value;

use crate::diagnostic::{Diagnostic, Report, Severity, Sources, did_you_mean};
use crate::document::{self, ReadFile};
use crate::raw::{Loc, RawAllocation, RawPolicy, RawScenario};
use crate::values;

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
    /// Monte Carlo settings.
    pub sweep: SweepSpec,
    /// Observations to score the scenario against.
    pub backtest: BacktestSpec,
    /// Display names of facilities and buyers that have a `name`, by id (charts and tables
    /// fall back to the id).
    pub names: BTreeMap<String, String>,
}

/// Longest display name of a facility or buyer, in characters (a chart label, not a
/// description).
pub const MAX_NAME_CHARS: usize = 60;

/// `[backtest]`: the observation files a scenario is scored against, and how many runs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BacktestSpec {
    /// Observation files as written (relative to the scenario file).
    pub observed: Vec<String>,
    /// Replicates, if the file says.
    pub runs: Option<u32>,
}

/// `[report]`: how results are sampled and which entities are shown.
#[derive(Clone, Debug, PartialEq)]
pub struct ReportSpec {
    /// Days per row of `series.csv`.
    pub step_days: u32,
    /// Entities shown in the printed KPI table (all sinks when empty).
    pub watch: Vec<String>,
    /// Whether a sweep keeps bands of every series (`bands = "all"`), not only every
    /// entity's shortage fraction and the watched entities' series.
    pub all_bands: bool,
    /// The currency products' values are in (`currency`), if the file says.
    pub currency: Option<String>,
}

/// `[sweep]`: replicates per point and the grid of values to sweep.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SweepSpec {
    /// Replicates per sweep point, if the file says.
    pub runs: Option<u32>,
    /// Dotted key paths and the values each takes (TOML text as written), in key order;
    /// every value has been checked by loading the scenario with it.
    pub grid: Vec<(String, Vec<String>)>,
}

/// Most replicates a sweep may ask for per point.
pub const MAX_RUNS: u32 = 10_000_000;

impl Scenario {
    /// The calendar date of a day index. Loading refuses a scenario whose last day would be
    /// past 9999-12-31, so every day of the horizon has its date; a day past that date
    /// (only days after the horizon can be) gives 9999-12-31.
    pub fn date_of(&self, day: u32) -> jiff::civil::Date {
        let days = jiff::Span::new().try_days(i64::from(day));
        days.and_then(|days| self.start.checked_add(days)).unwrap_or(jiff::civil::Date::MAX)
    }
}

/// A scenario that loaded, with the warnings found on the way.
#[derive(Clone, Debug)]
pub struct Loaded {
    /// The scenario.
    pub scenario: Scenario,
    /// Warnings (no errors), with the files they point into.
    pub warnings: Report,
}

/// Loads the scenario at `path`, reading it and the world files it extends with `read`.
///
/// On failure, returns a report of every problem found.
pub fn load_path(path: &Path, read: &mut ReadFile<'_>) -> Result<Loaded, Report> {
    let mut sources = Sources::default();
    let mut diagnostics = Vec::new();
    if !document::read_chain(path, read, &mut sources, &mut diagnostics) {
        return Err(Report { sources, diagnostics });
    }
    let scenario = build(&sources, &[], &mut diagnostics);
    let scenario = scenario.and_then(|scenario| {
        let sweep = crate::sweep::check_grid(&sources, &mut diagnostics);
        sweep.map(|grid| Scenario { sweep: SweepSpec { grid, ..scenario.sweep.clone() }, ..scenario })
    });
    finish(sources, diagnostics, scenario)
}

/// Loads a scenario from its text; `file` names it in diagnostics. A file loaded this way
/// cannot extend a world file (use [`load_path`]).
pub fn load_str(file: &str, text: &str) -> Result<Loaded, Report> {
    let mut read = |path: &Path| {
        if path == Path::new(file) {
            Ok(text.to_owned())
        } else {
            Err("a scenario loaded from text cannot extend other files".to_owned())
        }
    };
    load_path(Path::new(file), &mut read)
}

/// Sorts the diagnostics (errors first, then by place) and decides.
pub(crate) fn finish(
    sources: Sources,
    mut diagnostics: Vec<Diagnostic>,
    scenario: Option<Scenario>,
) -> Result<Loaded, Report> {
    diagnostics.sort_by_key(|d| (d.severity, d.span.as_ref().map_or(usize::MAX, |s| s.start)));
    diagnostics.dedup();
    let report = Report { sources, diagnostics };
    match scenario {
        Some(scenario) if !report.has_errors() => Ok(Loaded { scenario, warnings: report }),
        _ => Err(report),
    }
}

/// Builds the scenario of the files in `sources` with `overrides` applied (dotted path,
/// value); `None` when anything is wrong (the problems are in `diagnostics`).
pub(crate) fn build(
    sources: &Sources,
    overrides: &[crate::sweep::Override<'_>],
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Scenario> {
    let mut tree = document::merged_tree(sources);
    for o in overrides {
        if let Err(d) = crate::sweep::apply(&mut tree, o) {
            diagnostics.push(*d);
        }
    }
    let raw = crate::parse::raw_scenario(tree, diagnostics);
    let mut builder = Builder {
        incomplete: diagnostics.iter().any(|d| d.severity == Severity::Error),
        ..Builder::default()
    };
    let scenario = builder.scenario(&raw);
    diagnostics.extend(builder.diagnostics);
    scenario
}

/// Ids of one kind of entity: their index and where each is declared.
type Ids<T> = BTreeMap<String, (T, Range<usize>)>;

#[derive(Default)]
pub(crate) struct Builder {
    pub(crate) diagnostics: Vec<Diagnostic>,
    pub(crate) products: Ids<ProductId>,
    pub(crate) facilities: Ids<FacilityId>,
    pub(crate) sinks: Ids<SinkId>,
    pub(crate) blocs: BTreeMap<String, Vec<Region>>,
    pub(crate) sectors: Vec<String>,
    /// Whether something failed to read, so the model is incomplete and must not reach the
    /// engine's own checks.
    pub(crate) incomplete: bool,
    /// Ids of entities and events that failed to read (already reported).
    pub(crate) broken: std::collections::BTreeSet<String>,
    /// Resolved input ids of each facility, as written.
    pub(crate) inputs_of: BTreeMap<String, Vec<String>>,
    /// (region, resolved product id) of every facility as written, broken ones included.
    pub(crate) made_in: Vec<(String, String)>,
    /// The scenario's start date, once known.
    pub(crate) start: Option<jiff::civil::Date>,
    /// Where each event is declared, by id.
    pub(crate) events: BTreeMap<String, Range<usize>>,
    /// Facilities that no `[[supply]]` lists as a source or alternate (already warned about),
    /// so that events aimed at them can say they affect nobody.
    pub(crate) unsold: std::collections::BTreeSet<String>,
}

impl Builder {
    pub(crate) fn error(&mut self, message: impl Into<String>, span: Range<usize>) -> &mut Diagnostic {
        self.diagnostics.push(Diagnostic::error(message, span));
        self.diagnostics.last_mut().expect("just pushed")
    }

    pub(crate) fn warning(&mut self, message: impl Into<String>, span: Range<usize>) -> &mut Diagnostic {
        self.diagnostics.push(Diagnostic::warning(message, span));
        self.diagnostics.last_mut().expect("just pushed")
    }

    pub(crate) fn ok<T>(&mut self, checked: Result<T, Diagnostic>) -> Option<T> {
        checked.map_err(|d| self.diagnostics.push(d)).ok()
    }

    /// Reports an unknown id, suggesting the closest known one or saying where to declare it.
    pub(crate) fn unknown<'k>(
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

    /// The index of `id` in `table`; reports an unknown id (with did-you-mean) unless it
    /// names an entry that failed to read, which was reported already.
    fn lookup<T: Copy>(
        &mut self,
        table: fn(&Builder) -> &Ids<T>,
        id: &Loc<String>,
        message: String,
        declare: &str,
    ) -> Option<T> {
        if let Some((found, _)) = table(self).get(id.get_ref()) {
            return Some(*found);
        }
        if !self.broken.contains(id.get_ref()) {
            let known: Vec<String> = table(self).keys().cloned().collect();
            self.unknown(message, id, known.iter().map(String::as_str), declare);
        }
        None
    }

    pub(crate) fn product(&mut self, id: &Loc<String>, what: &str) -> Option<ProductId> {
        let message = format!("{what}: unknown product '{}'", id.get_ref());
        self.lookup(|b| &b.products, id, message, "declare it under [products.<id>]")
    }

    pub(crate) fn facility(&mut self, id: &Loc<String>, what: &str) -> Option<FacilityId> {
        let message = format!("{what}: unknown facility '{}'", id.get_ref());
        self.lookup(|b| &b.facilities, id, message, "declare it under [facilities.<id>]")
    }

    pub(crate) fn sink(&mut self, id: &Loc<String>, what: &str) -> Option<SinkId> {
        let message = format!("{what}: unknown demand sink '{}'", id.get_ref());
        self.lookup(|b| &b.sinks, id, message, "declare it under [demand.<id>]")
    }

    pub(crate) fn buyer(&mut self, id: &Loc<String>, what: &str) -> Option<Buyer> {
        if let Some((facility, _)) = self.facilities.get(id.get_ref()) {
            return Some(Buyer::Facility(*facility));
        }
        if let Some((sink, _)) = self.sinks.get(id.get_ref()) {
            return Some(Buyer::Sink(*sink));
        }
        if self.broken.contains(id.get_ref()) {
            return None;
        }
        let known: Vec<String> = self.facilities.keys().chain(self.sinks.keys()).cloned().collect();
        let declare = "a buyer is a facility ([facilities.<id>]) or a demand sink ([demand.<id>])";
        self.unknown(
            format!("{what}: unknown buyer '{}'", id.get_ref()),
            id,
            known.iter().map(String::as_str),
            declare,
        );
        None
    }

    /// `name` if it is known, else the known name it is a likely typo of (so that one typo
    /// is reported once, not again by every check that depends on it), else `name`.
    fn resolve_name(&self, name: &str, known: impl Fn(&Builder) -> Vec<String>) -> String {
        let known = known(self);
        if known.iter().any(|k| k == name) {
            return name.to_owned();
        }
        did_you_mean(name, known.iter().map(String::as_str)).unwrap_or(name).to_owned()
    }

    /// Checks that an id can be used in dotted key paths and outputs.
    pub(crate) fn id(&mut self, id: &Loc<String>, what: &str) {
        let text = id.get_ref();
        let ok = !text.is_empty()
            && text.len() <= 64
            && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !ok {
            self.error(format!("{what} id '{text}' is not a valid id"), id.span()).hint = Some(
                "ids are 1 to 64 ASCII letters, digits, '_' and '-' (they appear in key paths and CSV files)"
                    .to_owned(),
            );
        }
    }

    fn scenario(&mut self, raw: &RawScenario) -> Option<Scenario> {
        let Some(header) = &raw.scenario else {
            self.diagnostics.push(
                Diagnostic::unlocated("the file has no [scenario] section")
                    .with_hint("start the file with [scenario] and its name, start and horizon"),
            );
            return None;
        };
        let header_span = header.span();
        let header = header.get_ref();
        let name = match &header.name {
            Some(name) => Some(name.get_ref().clone()),
            None => {
                self.error("[scenario] needs a `name`", header_span.clone()).hint =
                    Some("name = \"what the scenario shows, in a sentence\"".to_owned());
                None
            }
        };
        let start = match &header.start {
            Some(start) => self.ok(values::date(start, "scenario.start")).inspect(|s| self.start = Some(*s)),
            None => {
                self.error("[scenario] needs a `start` date", header_span.clone()).hint =
                    Some("start = 2025-01-01 (the calendar date of day 0)".to_owned());
                None
            }
        };
        let horizon = match &header.horizon {
            Some(horizon) => self.horizon(horizon),
            None => {
                self.error("[scenario] needs a `horizon`", header_span.clone()).hint =
                    Some("horizon = \"365d\" (how long to simulate)".to_owned());
                None
            }
        };
        let seed = match &header.seed {
            None => Some(0),
            Some(seed) if *seed.get_ref() >= 0 => Some(*seed.get_ref() as u64),
            Some(seed) => {
                self.error(format!("scenario.seed must be 0 or more, found {}", seed.get_ref()), seed.span());
                None
            }
        };

        for (name, members) in &raw.blocs {
            self.id(name, "bloc");
            let mut regions: Vec<Region> =
                members.get_ref().iter().filter_map(|m| self.ok(values::region(m, "bloc member"))).collect();
            regions.sort();
            regions.dedup();
            if Region::new(name.get_ref()).is_some() || ["all", "domestic"].contains(&name.get_ref().as_str())
            {
                self.error(
                    format!("bloc name '{}' is taken by a region code or a keyword", name.get_ref()),
                    name.span(),
                )
                .hint = Some("name blocs in lower case, like pax_silica".to_owned());
            }
            if members.get_ref().is_empty() {
                self.warning(format!("bloc '{}' has no members", name.get_ref()), members.span());
            }
            self.blocs.insert(name.get_ref().clone(), regions);
        }

        self.broken = raw.broken.ids.iter().cloned().collect();
        let mut model = Model::default();
        for (id, raw_product) in &raw.products {
            self.id(id, "product");
            let index = ProductId(model.products.len() as u32);
            self.products.insert(id.get_ref().clone(), (index, id.span()));
            let raw_product = raw_product.get_ref();
            let value = raw_product.value.as_ref().map_or(0.0, |v| *v.get_ref());
            if let Some(v) = &raw_product.value
                && (!value.is_finite() || !(0.0..=chokepoint_engine::model::MAX_VALUE).contains(&value))
            {
                let found = if value.abs() < 1e9 { format!("{value}") } else { format!("{value:e}") };
                self.error(
                    format!(
                        "products.{}.value must be 0 to {:e}, found {found}",
                        id.get_ref(),
                        chokepoint_engine::model::MAX_VALUE
                    ),
                    v.span(),
                )
                .hint = Some("the value of one unit, in currency units".to_owned());
            }
            let price = raw_product.price.as_ref().and_then(|p| self.price(p, id.get_ref()));
            model.products.push(Product {
                id: id.get_ref().clone(),
                name: raw_product.name.as_ref().map_or_else(|| id.get_ref().clone(), |n| n.get_ref().clone()),
                unit: raw_product.unit.as_ref().map_or_else(|| "units".to_owned(), |u| u.get_ref().clone()),
                value,
                price,
            });
        }
        for (index, (id, _)) in raw.facilities.iter().enumerate() {
            self.id(id, "facility");
            self.facilities.insert(id.get_ref().clone(), (FacilityId(index as u32), id.span()));
        }
        for (index, (id, _)) in raw.demand.iter().enumerate() {
            self.id(id, "demand");
            if self.facilities.contains_key(id.get_ref()) {
                self.error(format!("'{}' is both a facility and a demand sink", id.get_ref()), id.span())
                    .hint = Some("give every facility and sink its own id".to_owned());
            }
            self.sinks.insert(id.get_ref().clone(), (SinkId(index as u32), id.span()));
        }
        let product_names = |b: &Builder| b.products.keys().cloned().collect();
        for (id, facility) in &raw.facilities {
            let facility = facility.get_ref();
            let inputs = facility
                .inputs
                .iter()
                .map(|(input, _)| self.resolve_name(input.get_ref(), product_names))
                .collect();
            self.inputs_of.insert(id.get_ref().clone(), inputs);
            let product = self.resolve_name(facility.product.get_ref(), product_names);
            self.made_in.push((facility.region.get_ref().clone(), product));
        }
        for broken in &raw.broken.entities {
            if let (Some(region), Some(product)) = (&broken.region, &broken.product) {
                let product = self.resolve_name(product, product_names);
                self.made_in.push((region.clone(), product));
            }
        }
        let entities = raw.facilities.len() + raw.demand.len();
        if entities > MAX_ENTITIES {
            self.diagnostics.push(
                Diagnostic::unlocated(format!(
                    "the scenario has {entities} facilities and sinks; the limit is {MAX_ENTITIES}"
                ))
                .with_hint("model at a coarser grain (one facility per country and product)"),
            );
            return None;
        }
        self.sectors = raw
            .demand
            .iter()
            .filter_map(|(_, d)| d.get_ref().sector.as_ref())
            .chain(raw.facilities.iter().filter_map(|(_, f)| f.get_ref().sector.as_ref()))
            .map(|s| s.get_ref().clone())
            .chain(["civil".to_owned()])
            .collect();
        self.sectors.sort();
        self.sectors.dedup();
        for id in raw.event.iter().map(|e| e.get_ref().id()) {
            if self.events.contains_key(id.get_ref()) {
                self.error(format!("two events have the id '{}'", id.get_ref()), id.span()).hint =
                    Some("another event already has it; give each event its own id".to_owned());
            } else {
                self.events.insert(id.get_ref().clone(), id.span());
            }
        }

        let mut names = BTreeMap::new();
        for (id, facility) in &raw.facilities {
            self.display_name(id, facility.get_ref().name.as_ref(), &mut names);
            if let Some(facility) = self.build_facility(id, facility.get_ref()) {
                model.facilities.push(facility);
            }
        }
        for (id, demand) in &raw.demand {
            self.display_name(id, demand.get_ref().name.as_ref(), &mut names);
            if let Some(sink) = self.build_sink(id, demand.get_ref()) {
                model.sinks.push(sink);
            }
        }
        model.allocation = match &raw.allocation {
            Some(allocation) => self.allocation(allocation, "allocation").unwrap_or_default(),
            None => Allocation::Proportional,
        };

        let (Some(start), Some(horizon)) = (start, horizon) else {
            return None;
        };
        if let Some(span) = header.horizon.as_ref().map(|h| h.span()) {
            self.calendar(start, horizon, span);
        }
        if raw.event.len() > MAX_EVENTS {
            self.diagnostics.push(Diagnostic::unlocated(format!(
                "the scenario has {} events; the limit is {MAX_EVENTS}",
                raw.event.len()
            )));
            return None;
        }
        let entity_days = entities as u64 * u64::from(horizon);
        if entity_days > MAX_ENTITY_DAYS {
            let span = header.horizon.as_ref().map_or(header_span.clone(), |h| h.span());
            self.error(
                format!(
                    "{entities} facilities and sinks over {horizon} days is {entity_days} entity-days; \
                     the limit is {MAX_ENTITY_DAYS}"
                ),
                span,
            )
            .hint = Some(
                "shorten the horizon or model fewer entities: every entity keeps a daily series".to_owned(),
            );
            return None;
        }
        let substitutes = crate::events::substitutes(raw);
        let mut supply_spans = BTreeMap::new();
        for supply in &raw.supply {
            if let Some(link) = self.build_supply(supply, &model, &substitutes) {
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
        self.check_needs(raw, &model);
        self.check_customers(raw);

        model.horizon_days = horizon;
        let (adaptation, prebuy) = crate::adaptation::build(self, raw.adaptation.as_ref());
        model.adaptation = adaptation.unwrap_or_default();
        model.events = crate::events::build(self, raw, start, horizon, &model, prebuy);
        let report = self.build_report(raw.report.as_ref());
        let sweep = self.build_sweep(raw);
        let backtest = self.build_backtest(raw);
        model.blocs = self
            .blocs
            .iter()
            .map(|(name, members)| Bloc { name: name.clone(), members: members.clone() })
            .collect();

        if self.incomplete || self.diagnostics.iter().any(|d| d.severity == Severity::Error) {
            return None;
        }
        // What the file-level checks cannot see (a supply or escalation loop) the engine
        // still reports.
        if let Err(errors) = chokepoint_engine::model_errors(&model) {
            for error in errors {
                let span = match &error {
                    chokepoint_engine::ModelError::SupplyCycle { cycle } => {
                        cycle.first().and_then(|id| self.facilities.get(id)).map(|(_, span)| span.clone())
                    }
                    chokepoint_engine::ModelError::AlternateCycle { cycle, alternates } => {
                        alternate_span(raw, alternates).or_else(|| {
                            cycle.first().and_then(|id| self.facilities.get(id)).map(|(_, span)| span.clone())
                        })
                    }
                    chokepoint_engine::ModelError::StartCycle { cycle } => {
                        cycle.first().and_then(|id| self.events.get(id)).cloned()
                    }
                    _ => None,
                };
                self.diagnostics.push(Diagnostic {
                    severity: Severity::Error,
                    message: error.to_string(),
                    span,
                    hint: Some(match error {
                        chokepoint_engine::ModelError::SupplyCycle { .. } => {
                            "a facility cannot depend on its own output; break the loop".to_owned()
                        }
                        chokepoint_engine::ModelError::AlternateCycle { .. } => {
                            "a facility cannot depend on its own output, not even after re-sourcing; \
                             remove the alternate or break the loop"
                                .to_owned()
                        }
                        chokepoint_engine::ModelError::StartCycle { .. } => {
                            "give one of the events a date as its start".to_owned()
                        }
                        _ => "see docs/model.md".to_owned(),
                    }),
                });
            }
            return None;
        }
        Some(Scenario {
            name: name?,
            description: header.description.as_ref().map(|d| d.get_ref().clone()),
            start,
            seed: seed?,
            model,
            report: report?,
            sweep: sweep?,
            backtest: backtest?,
            names,
        })
    }

    /// Checks an entity's display `name` (one line, 1 to [`MAX_NAME_CHARS`] characters) and
    /// keeps it.
    fn display_name(
        &mut self,
        id: &Loc<String>,
        name: Option<&Loc<String>>,
        names: &mut BTreeMap<String, String>,
    ) {
        let Some(name) = name else { return };
        let text = name.get_ref().trim();
        let chars = text.chars().count();
        if text.is_empty() || chars > MAX_NAME_CHARS || text.contains(['\n', '\r']) {
            self.error(
                format!(
                    "the name of '{}' must be one line of 1 to {MAX_NAME_CHARS} characters",
                    id.get_ref()
                ),
                name.span(),
            )
            .hint = Some(
                "a short display name such as \"US car plants\"; charts label the entity with it".to_owned(),
            );
            return;
        }
        names.insert(id.get_ref().clone(), text.to_owned());
    }

    /// Checks that every day of the run has a calendar date: the last, day `horizon - 1`,
    /// must not be past 9999-12-31 (the last date jiff and TOML know).
    fn calendar(&mut self, start: jiff::civil::Date, horizon: u32, span: Range<usize>) {
        let last = jiff::civil::Date::MAX;
        // Days from `start` to the last date, both counted; a date span always fits.
        let longest = start.until(last).map_or(0, |days| i64::from(days.get_days()) + 1);
        if i64::from(horizon) > longest {
            self.error(
                format!(
                    "a horizon of {horizon} days from {start} runs past {last}, the last date of the calendar"
                ),
                span,
            )
            .hint = Some(format!(
                "the longest horizon from {start} is \"{longest}d\" (its last day is {last}); or start earlier"
            ));
        }
    }

    fn horizon(&mut self, value: &Loc<crate::raw::Duration>) -> Option<u32> {
        let days = self.ok(values::days(value, "scenario.horizon"))?;
        if days <= f64::from(MAX_HORIZON_DAYS) {
            return self.ok(values::whole_days(value, "scenario.horizon", 1, MAX_HORIZON_DAYS));
        }
        self.error(
            format!(
                "the horizon of {days} days is longer than the limit of {MAX_HORIZON_DAYS} days (100 years)"
            ),
            value.span(),
        )
        .hint = Some("shorten it: results are kept for every day of the run".to_owned());
        None
    }

    fn price(&mut self, raw: &Loc<crate::raw::RawPrice>, product: &str) -> Option<PriceIndex> {
        let price = raw.get_ref();
        let elasticity = *price.elasticity.get_ref();
        if !elasticity.is_finite() || !(0.0..=1000.0).contains(&elasticity) {
            self.error(
                format!("products.{product}.price.elasticity must be from 0 to 1000, found {elasticity}"),
                price.elasticity.span(),
            );
            return None;
        }
        let adjust_days = match &price.adjust {
            Some(adjust) => self.ok(values::days(adjust, &format!("products.{product}.price.adjust")))?,
            None => 30.0,
        };
        Some(PriceIndex { elasticity, adjust_days })
    }

    /// `[allocation]` or a facility's `allocation`.
    pub(crate) fn allocation(&mut self, raw: &Loc<RawAllocation>, owner: &str) -> Option<Allocation> {
        let allocation = raw.get_ref();
        match allocation.rule.get_ref().as_str() {
            "proportional" => {
                if let Some(order) = &allocation.order {
                    self.warning(
                        format!("{owner}.order is ignored by the proportional rule"),
                        order.span(),
                    )
                    .hint = Some("write rule = \"priority\" to serve classes in order".to_owned());
                }
                Some(Allocation::Proportional)
            }
            "priority" => {
                let Some(order) = &allocation.order else {
                    self.error(
                        format!("{owner}: the priority rule needs an `order`"),
                        allocation.rule.span(),
                    )
                    .hint = Some("order = [\"defence\", \"domestic\", \"pax_silica\", \"all\"]".to_owned());
                    return None;
                };
                if order.get_ref().is_empty() {
                    self.error(format!("{owner}.order is empty"), order.span());
                    return None;
                }
                let mut classes = Vec::new();
                for class in order.get_ref() {
                    let name = class.get_ref().as_str();
                    let parsed = match name {
                        "domestic" => Some(PriorityClass::Domestic),
                        "all" => Some(PriorityClass::All),
                        _ => {
                            if let Some(members) = self.blocs.get(name) {
                                Some(PriorityClass::Regions(members.clone()))
                            } else if let Some(region) = Region::new(name) {
                                Some(PriorityClass::Regions(vec![region]))
                            } else if self.sectors.iter().any(|s| s == name) {
                                Some(PriorityClass::Sector(name.to_owned()))
                            } else {
                                let known: Vec<String> = ["domestic", "all"]
                                    .into_iter()
                                    .map(str::to_owned)
                                    .chain(self.blocs.keys().cloned())
                                    .chain(self.sectors.iter().cloned())
                                    .collect();
                                let hint = match did_you_mean(name, known.iter().map(String::as_str)) {
                                    Some(s) => format!("did you mean '{s}'?"),
                                    None => "a class is \"domestic\", \"all\", a sector used by a buyer, a bloc or a region code".to_owned(),
                                };
                                self.error(format!("{owner}.order: unknown class '{name}'"), class.span())
                                    .hint = Some(hint);
                                None
                            }
                        }
                    };
                    classes.extend(parsed);
                }
                (classes.len() == order.get_ref().len()).then_some(Allocation::Priority(classes))
            }
            other => {
                self.error(format!("{owner}.rule: unknown rule '{other}'"), allocation.rule.span()).hint =
                    Some("rule = \"proportional\" or \"priority\"".to_owned());
                None
            }
        }
    }

    fn build_sweep(&mut self, raw: &RawScenario) -> Option<SweepSpec> {
        let Some(sweep) = &raw.sweep else { return Some(SweepSpec::default()) };
        let sweep = sweep.get_ref();
        let runs = match &sweep.runs {
            None => None,
            Some(runs) if (1..=i64::from(MAX_RUNS)).contains(runs.get_ref()) => Some(*runs.get_ref() as u32),
            Some(runs) => {
                self.error(
                    format!("sweep.runs must be from 1 to {MAX_RUNS}, found {}", runs.get_ref()),
                    runs.span(),
                )
                .hint = Some("1,000 runs give percentiles to about ±1 %".to_owned());
                return None;
            }
        };
        for (key, values) in &sweep.grid {
            if values.get_ref().is_empty() {
                self.error(format!("sweep.grid.\"{}\" lists no values", key.get_ref()), values.span());
            }
        }
        // The values themselves are checked by loading the scenario with each (crate::sweep).
        Some(SweepSpec { runs, grid: Vec::new() })
    }

    fn build_backtest(&mut self, raw: &RawScenario) -> Option<BacktestSpec> {
        let Some(backtest) = &raw.backtest else { return Some(BacktestSpec::default()) };
        let backtest = backtest.get_ref();
        let runs = match &backtest.runs {
            None => None,
            Some(runs) if (1..=i64::from(MAX_RUNS)).contains(runs.get_ref()) => Some(*runs.get_ref() as u32),
            Some(runs) => {
                self.error(
                    format!("backtest.runs must be from 1 to {MAX_RUNS}, found {}", runs.get_ref()),
                    runs.span(),
                )
                .hint = Some(
                    "200 runs place the 5th and 95th percentiles to about ±2 percentage points".to_owned(),
                );
                return None;
            }
        };
        let mut observed = Vec::new();
        for path in backtest.observed.iter().flat_map(|list| list.get_ref()) {
            if path.get_ref().trim().is_empty() {
                self.error("backtest.observed lists an empty path", path.span()).hint =
                    Some("write observed = [\"../observed/my-episode.csv\"]".to_owned());
            } else {
                observed.push(path.get_ref().clone());
            }
        }
        Some(BacktestSpec { observed, runs })
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
                    && (!s.is_finite() || s > s_big)
                {
                    self.error(
                        format!("{owner}.policy.reorder_point ({s}) must not exceed order_up_to ({s_big})"),
                        span,
                    );
                    return None;
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
        let depot = match &raw.kind {
            None => false,
            Some(kind) if kind.get_ref() == "plant" => false,
            Some(kind) if kind.get_ref() == "depot" => true,
            Some(kind) => {
                self.error(format!("{owner}.kind: unknown kind '{}'", kind.get_ref()), kind.span()).hint =
                    Some(
                        "kind = \"plant\" (makes its product) or \"depot\" (holds and passes it on)"
                            .to_owned(),
                    );
                false
            }
        };
        let capacity = match &raw.capacity {
            Some(capacity) => {
                let dist = self.ok(values::dist(capacity, &format!("{owner}.capacity"), false));
                if let Some(dist) = &dist {
                    let (low, _) = dist.support();
                    let mean = dist.mean();
                    if !(0.0..=MAX_RATE).contains(&mean)
                        || low < 0.0 && matches!(dist, chokepoint_engine::Dist::Const(_))
                    {
                        self.error(
                            format!("{owner}.capacity must be from 0 to 1e9 units a day, found {mean}"),
                            capacity.span(),
                        )
                        .hint = Some(
                            "capacity is units of the product per day; 0 for a plant that is shut".to_owned(),
                        );
                    } else if low < 0.0 {
                        self.warning(
                            format!("{owner}.capacity can draw below 0; such draws count as 0"),
                            capacity.span(),
                        )
                        .hint = Some(
                            "use a lognormal, triangular or uniform distribution for capacities".to_owned(),
                        );
                    }
                }
                dist
            }
            None if depot => Some(chokepoint_engine::Dist::Const(MAX_RATE)),
            None => {
                self.error(format!("{owner} needs a `capacity`"), id.span()).hint =
                    Some("capacity = units of its product per day, e.g. capacity = 120.0".to_owned());
                None
            }
        };
        let mut recipe = Vec::new();
        if depot {
            if let Some((input, _)) = raw.inputs.first() {
                self.error(format!("{owner} is a depot, so it has no `inputs`"), input.span()).hint = Some(
                    "a depot buys and passes on its own product; remove `inputs` or make it a plant"
                        .to_owned(),
                );
            }
            recipe.extend(product.map(|p| (p, 1.0)));
        }
        for (input, amount) in raw.inputs.iter().filter(|_| !depot) {
            let input_id = self.product(input, &format!("{owner}.inputs"));
            let per_unit = *amount.get_ref();
            if !per_unit.is_finite() || per_unit <= 0.0 || per_unit > 1e6 {
                self.error(
                    format!(
                        "{owner}.inputs.{}: units per unit of output must be above 0, found {per_unit}",
                        input.get_ref()
                    ),
                    amount.span(),
                )
                .hint = Some(
                    "a recipe gives units of each input per unit of output; leave out inputs it does not use"
                        .to_owned(),
                );
            }
            if let (Some(input_id), Some(product)) = (input_id, product)
                && input_id == product
            {
                self.error(format!("{owner} uses its own product as an input"), input.span()).hint =
                    Some("a facility that passes on its own product is a depot: kind = \"depot\"".to_owned());
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
        let online_day = match &raw.online {
            None => Some(0),
            Some(online) => self.start.and_then(|start| {
                let date = self.ok(values::date(online, &format!("{owner}.online")))?;
                let day = date_to_day(start, date);
                if day < 0 {
                    self.warning(
                        format!("{owner}.online is before the scenario starts; it is online from day 0"),
                        online.span(),
                    );
                }
                Some(day.clamp(0, i64::from(u32::MAX)) as u32)
            }),
        };
        let ramp = match &raw.ramp {
            None => Some(chokepoint_engine::Dist::Const(0.0)),
            Some(ramp) => self.ok(values::dist(ramp, &format!("{owner}.ramp"), true)),
        };
        let allocation = match &raw.allocation {
            None => Some(None),
            Some(allocation) => self.allocation(allocation, &format!("{owner}.allocation")).map(Some),
        };
        Some(Facility {
            id: id.get_ref().clone(),
            region: region?,
            product: product?,
            capacity: capacity?,
            recipe,
            output_stock: output_stock?,
            input_stock: input_stock?,
            policy: policy?,
            online_day: online_day?,
            ramp: ramp?,
            allocation: allocation?,
            sector: raw.sector.as_ref().map_or_else(|| "civil".to_owned(), |s| s.get_ref().clone()),
        })
    }

    fn build_sink(&mut self, id: &Loc<String>, raw: &crate::raw::RawSink) -> Option<Sink> {
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
        if let Some(g) = &raw.growth
            && !(-1.0..=1.0).contains(&growth)
        {
            self.error(format!("{owner}.growth is a yearly rate from -1 to 1, found {growth}"), g.span())
                .hint = Some("5 % a year is 0.05".to_owned());
        }
        let noise = match &raw.noise {
            None => Some(Noise::None),
            Some(value) => match value.get_ref().0 {
                Value::String(ref s) if s == "poisson" => Some(Noise::Poisson),
                Value::String(ref s) if s == "none" => Some(Noise::None),
                Value::String(ref s) => {
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

    fn build_supply(
        &mut self,
        raw: &Loc<crate::raw::RawSupply>,
        model: &Model,
        substitutes: &[(String, String)],
    ) -> Option<Supply> {
        let supply = raw.get_ref();
        let buyer = self.buyer(&supply.buyer, "supply.buyer");
        let product = self.product(&supply.product, "supply.product");
        let transit = self.ok(values::dist(&supply.transit, "supply.transit", true));
        if let Some(t) = &transit
            && (t.mean() > chokepoint_engine::model::MAX_DAYS || t.mean() < 0.0)
        {
            self.error(
                format!("supply.transit: a mean of {} days is outside 0 to 1000", t.mean()),
                supply.transit.span(),
            );
        }
        let n_sources = supply.sources.get_ref().len();
        if n_sources == 0 {
            self.error("supply.sources is empty", supply.sources.span()).hint =
                Some("list at least one source: sources = [ { from = \"…\", share = 1.0 } ]".to_owned());
        }
        let mut sources = Vec::new();
        let mut sum = 0.0;
        // Each supplier once per list: its share as first written, by id.
        let mut listed: BTreeMap<&str, Option<f64>> = BTreeMap::new();
        let link = format!("{}'s {}", supply.buyer.get_ref(), supply.product.get_ref());
        for source in supply.sources.get_ref() {
            let source = source.get_ref();
            let from = self.facility(&source.from, "supply.sources.from");
            let name = source.from.get_ref().as_str();
            let written = source.share.as_ref().map(|s| *s.get_ref());
            match listed.get(name) {
                Some(first) if from.is_some() => {
                    let merged = match (first, written) {
                        (Some(a), Some(b)) => {
                            let added = ((a + b) * 1e6).round() / 1e6;
                            format!("{{ from = \"{name}\", share = {added:?} }}")
                        }
                        _ => format!("{{ from = \"{name}\", share = <their shares added> }}"),
                    };
                    self.error(
                        format!("{name} is listed twice in the sources of {link}"),
                        source.from.span(),
                    )
                    .hint = Some(format!("merge the two entries into one: {merged}"));
                }
                _ => {
                    listed.insert(name, written);
                }
            }
            let share = match &source.share {
                Some(share) => *share.get_ref(),
                None if n_sources == 1 => 1.0,
                None => {
                    self.error("each of several sources needs a share", source.from.span());
                    0.0
                }
            };
            if let Some(s) = &source.share
                && !(0.0..=1.0).contains(&share)
            {
                self.error(format!("a share must be between 0 and 1, found {share}"), s.span()).hint =
                    Some("shares are fractions of the buyer's orders: 0.7 for 70 %".to_owned());
            }
            sum += share;
            if let (Some(from), Some(product)) = (from, product) {
                // Facilities that failed to build are not in the model; skip the check then.
                if let Some(facility) = model.facilities.iter().find(|f| f.id == *source.from.get_ref())
                    && facility.product != product
                {
                    let made = &model.products[facility.product.0 as usize].id;
                    self.error(
                        format!("{} makes {made}, not {}", source.from.get_ref(), supply.product.get_ref()),
                        source.from.span(),
                    );
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
                Buyer::Facility(_) => {
                    model.facilities.iter().find(|x| x.id == *supply.buyer.get_ref()).map(|x| {
                        // The inputs as written: a misspelt input counts for the product it means.
                        self.inputs_of.get(&x.id).is_some_and(|i| i.contains(supply.product.get_ref()))
                            || x.recipe.iter().any(|&(p, _)| p == product)
                            || substitutes.iter().any(|(f, by)| f == &x.id && by == supply.product.get_ref())
                    })
                }
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
                    "a facility buys the products in its `inputs` (or a substitute); a sink buys its `product`".to_owned(),
                );
            }
        }
        let mut alternates = Vec::new();
        let mut listed_alternates = std::collections::BTreeSet::new();
        for alternate in supply.alternates.iter().flat_map(|a| a.get_ref()) {
            let alternate = alternate.get_ref();
            let from = self.facility(&alternate.from, "supply.alternates.from");
            let name = alternate.from.get_ref().as_str();
            if listed.contains_key(name) {
                // Legal: re-sourcing moves a cut-off source's share to it, on top of its own
                // (docs/model.md, "Re-sourcing to alternates"); the antimony scenario's sweep
                // asks exactly that (docs/sources.md).
                self.warning(format!("{name} is both a source and an alternate"), alternate.from.span())
                    .hint = Some("an alternate is a supplier the buyer does not use yet".to_owned());
            } else if from.is_some() && !listed_alternates.insert(name) {
                self.error(
                    format!("{name} is listed twice in the alternates of {link}"),
                    alternate.from.span(),
                )
                .hint = Some("keep one entry, with the qualify time you mean".to_owned());
            }
            if let (Some(_), Some(product)) = (from, product)
                && let Some(facility) = model.facilities.iter().find(|f| f.id == *alternate.from.get_ref())
                && facility.product != product
            {
                let made = &model.products[facility.product.0 as usize].id;
                self.error(
                    format!(
                        "alternate {} makes {made}, not {}",
                        alternate.from.get_ref(),
                        supply.product.get_ref()
                    ),
                    alternate.from.span(),
                );
            }
            let qualify = match &alternate.qualify {
                None => Some(chokepoint_engine::Dist::Const(0.0)),
                Some(q) => self.ok(values::dist(q, "supply.alternates.qualify", true)),
            };
            if let (Some(from), Some(qualify)) = (from, qualify) {
                alternates.push(chokepoint_engine::Alternate { from, qualify });
            }
        }
        Some(Supply { buyer: buyer?, product: product?, sources, transit: transit?, alternates })
    }

    /// Every input and every sink needs a supply link; every product used needs a maker.
    fn check_needs(&mut self, raw: &RawScenario, model: &Model) {
        // A link counts as declared when its buyer and product resolve, even if another of
        // its keys is wrong (that error is reported on its own); a misspelt buyer or
        // product is reported once, not again as a missing link.
        let mut declared: Vec<(String, String)> = Vec::new();
        for supply in &raw.supply {
            let supply = supply.get_ref();
            let buyer = self.resolve_name(supply.buyer.get_ref(), |b| {
                b.facilities.keys().chain(b.sinks.keys()).cloned().collect()
            });
            let product =
                self.resolve_name(supply.product.get_ref(), |b| b.products.keys().cloned().collect());
            declared.push((buyer, product));
        }
        for (buyer, product) in &raw.broken.supply {
            let buyer = buyer.as_deref().map(|b| {
                self.resolve_name(b, |b| b.facilities.keys().chain(b.sinks.keys()).cloned().collect())
            });
            let product =
                product.as_deref().map(|p| self.resolve_name(p, |b| b.products.keys().cloned().collect()));
            match (buyer, product) {
                (Some(buyer), Some(product)) => declared.push((buyer, product)),
                // A broken link whose buyer or product cannot be read could be any link.
                _ => return,
            }
        }
        if raw.broken.sections.iter().any(|s| s == "supply") {
            return;
        }
        let links: std::collections::BTreeSet<(Buyer, ProductId)> = declared
            .iter()
            .filter_map(|(buyer, product)| {
                let buyer = match (self.facilities.get(buyer), self.sinks.get(buyer)) {
                    (Some((f, _)), _) => Buyer::Facility(*f),
                    (None, Some((s, _))) => Buyer::Sink(*s),
                    _ => return None,
                };
                Some((buyer, self.products.get(product)?.0))
            })
            .collect();
        for (id, facility) in &raw.facilities {
            let Some(&(facility_id, _)) = self.facilities.get(id.get_ref()) else { continue };
            for (input, _) in &facility.get_ref().inputs {
                let Some(&(product, _)) = self.products.get(input.get_ref()) else { continue };
                if !links.contains(&(Buyer::Facility(facility_id), product)) {
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
            if !links.contains(&(Buyer::Sink(sink_id), product)) {
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
        for event in &raw.event {
            let crate::raw::RawEvent::Substitute(e) = event.get_ref() else { continue };
            let Some(&(facility_id, _)) = self.facilities.get(e.facility.get_ref()) else { continue };
            let Some(&(by, _)) = self.products.get(e.by.get_ref()) else { continue };
            // A substitution of something the facility does not use is refused on its own.
            let uses =
                self.inputs_of.get(e.facility.get_ref()).is_some_and(|i| i.contains(e.input.get_ref()));
            if uses && !links.contains(&(Buyer::Facility(facility_id), by)) {
                self.error(
                    format!(
                        "event {}: {} would use {} but nobody supplies it",
                        e.id.get_ref(),
                        e.facility.get_ref(),
                        e.by.get_ref()
                    ),
                    e.by.span(),
                )
                .hint = Some(format!(
                    "add [[supply]] with buyer = \"{}\", product = \"{}\" and its sources",
                    e.facility.get_ref(),
                    e.by.get_ref()
                ));
            }
        }
        // From the raw facilities, so one that failed to build does not look missing, and
        // a misspelt product counts for the product it was meant to be.
        let made: Vec<ProductId> =
            self.made_in.iter().filter_map(|(_, name)| self.products.get(name).map(|(p, _)| *p)).collect();
        let broken_use: Vec<ProductId> = (raw.broken.entities.iter())
            .filter_map(|e| e.product.as_ref().and_then(|p| self.products.get(p)).map(|(p, _)| *p))
            .collect();
        for (id, (product, span)) in self.products.clone() {
            let used = broken_use.contains(&product)
                || model.sinks.iter().any(|s| s.product == product)
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

    /// Warns about facilities nobody buys from (no `[[supply]]` lists them as a source or
    /// an alternate): what they make goes nowhere, so neither they nor a shock to them
    /// changes the result. Events aimed at them are warned about where they are built.
    fn check_customers(&mut self, raw: &RawScenario) {
        // A supply entry that failed to read may have listed any facility.
        if !raw.broken.supply.is_empty() || raw.broken.sections.iter().any(|s| s == "supply") {
            return;
        }
        let facility_names = |b: &Builder| b.facilities.keys().cloned().collect();
        let buyer_names = |b: &Builder| b.facilities.keys().chain(b.sinks.keys()).cloned().collect();
        let product_names = |b: &Builder| b.products.keys().cloned().collect();
        let made: BTreeMap<&str, String> = (raw.facilities.iter())
            .map(|(id, f)| {
                (id.get_ref().as_str(), self.resolve_name(f.get_ref().product.get_ref(), product_names))
            })
            .collect();
        let mut bought_from = std::collections::BTreeSet::new();
        // Products of links with a supplier that is unknown or makes something else (an error
        // already): any maker of the product may be the supplier meant.
        let mut unsure = std::collections::BTreeSet::new();
        let mut buyers = std::collections::BTreeSet::new();
        for supply in &raw.supply {
            let supply = supply.get_ref();
            let product = self.resolve_name(supply.product.get_ref(), product_names);
            if supply.sources.get_ref().is_empty() {
                unsure.insert(product.clone());
            }
            let sources = supply.sources.get_ref().iter().map(|s| &s.get_ref().from);
            let alternates = supply.alternates.iter().flat_map(|a| a.get_ref()).map(|a| &a.get_ref().from);
            for from in sources.chain(alternates) {
                // A misspelt supplier counts for the facility it was meant to be.
                let from = self.resolve_name(from.get_ref(), facility_names);
                if made.get(from.as_str()) != Some(&product) {
                    unsure.insert(product.clone());
                }
                bought_from.insert(from);
            }
            buyers.insert((self.resolve_name(supply.buyer.get_ref(), buyer_names), product));
        }
        // A needed link that is missing (an error already) could buy from any maker.
        let needs = raw.facilities.iter().flat_map(|(id, f)| {
            f.get_ref().inputs.iter().map(move |(input, _)| (id.get_ref(), input.get_ref()))
        });
        let needs =
            needs.chain(raw.demand.iter().map(|(id, d)| (id.get_ref(), d.get_ref().product.get_ref())));
        for (buyer, product) in needs {
            let product = self.resolve_name(product, product_names);
            if !buyers.contains(&(buyer.clone(), product.clone())) {
                unsure.insert(product);
            }
        }
        for (id, facility) in &raw.facilities {
            let unsure = made.get(id.get_ref().as_str()).is_some_and(|p| unsure.contains(p));
            if bought_from.contains(id.get_ref()) || unsure {
                continue;
            }
            let facility = facility.get_ref();
            let product = facility.product.get_ref();
            if facility.inputs.is_empty() && !buyers.iter().any(|(buyer, _)| buyer == id.get_ref()) {
                self.warning(
                    format!(
                        "facility '{}' is connected to nothing: nobody buys from it and it buys nothing",
                        id.get_ref()
                    ),
                    id.span(),
                )
                .hint = Some(format!(
                    "add a [[supply]] that buys from it (sources = [ {{ from = \"{}\" }} ]), or remove it",
                    id.get_ref()
                ));
            } else {
                self.warning(
                    format!(
                        "facility '{}': nobody buys its {product}, so it makes it for no one",
                        id.get_ref()
                    ),
                    id.span(),
                )
                .hint = Some(format!(
                    "list it in the sources or alternates of a [[supply]] of {product}, or remove it"
                ));
            }
            self.unsold.insert(id.get_ref().clone());
        }
    }

    pub(crate) fn targets(
        &mut self,
        value: &Loc<impl values::Shape>,
        owner: &str,
        key: &str,
    ) -> Option<Targets> {
        let hint = format!(
            "{key} = \"all\", a region code, a bloc name, a list of them, or {{ all_except = [...] }}"
        );
        let names: Vec<(String, Range<usize>)> = match value.get_ref().value() {
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
                self.error(format!("{owner}: `{key}` is not understood"), value.span()).hint =
                    Some(hint.clone());
                return None;
            }
        };
        if let Value::Array(items) = value.get_ref().value()
            && (items.len() != names.len() || items.is_empty())
        {
            self.error(format!("{owner}: `{key}` must list region codes or bloc names"), value.span()).hint =
                Some(hint.clone());
            return None;
        }
        self.resolve_regions(&names, owner).map(Targets::Only)
    }

    pub(crate) fn resolve_regions(
        &mut self,
        names: &[(String, Range<usize>)],
        owner: &str,
    ) -> Option<Vec<Region>> {
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
            return Some(ReportSpec { step_days: 1, watch: Vec::new(), all_bands: false, currency: None });
        };
        let report = raw.get_ref();
        let step_days = match &report.step {
            Some(step) => self.ok(values::whole_days(step, "report.step", 1, 366))?,
            None => 1,
        };
        let mut watch = Vec::new();
        for id in report.watch.iter().flat_map(|w| w.get_ref()) {
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
        let all_bands = match &report.bands {
            None => false,
            Some(bands) => match bands.get_ref().as_str() {
                "watched" => false,
                "all" => true,
                other => {
                    self.error(format!("report.bands: '{other}' is not a choice"), bands.span()).hint =
                        Some("write \"watched\" (the default) or \"all\"".to_owned());
                    return None;
                }
            },
        };
        let currency = match &report.currency {
            None => None,
            Some(currency) => {
                let text = currency.get_ref().trim();
                if text.is_empty() || text.chars().count() > 12 || text.contains(['\n', '\r']) {
                    self.error(
                        "report.currency must be a code or a short name of 1 to 12 characters",
                        currency.span(),
                    )
                    .hint = Some("write an ISO 4217 code such as \"USD\" or \"EUR\"".to_owned());
                    return None;
                }
                Some(text.to_owned())
            }
        };
        Some(ReportSpec { step_days, watch, all_bands, currency })
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

fn bounded(stock: Stock, value: &Loc<crate::raw::StockAmount>) -> Result<Stock, Diagnostic> {
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

/// Where the first alternate of an alternate cycle is written: the `from` of that alternate
/// in its buyer's `[[supply]]`.
fn alternate_span(raw: &RawScenario, alternates: &[(String, String)]) -> Option<Range<usize>> {
    let (supplier, buyer) = alternates.first()?;
    raw.supply.iter().map(|s| s.get_ref()).filter(|s| s.buyer.get_ref() == buyer).find_map(|supply| {
        let alternates = supply.alternates.as_ref()?.get_ref();
        alternates.iter().map(|a| &a.get_ref().from).find(|from| from.get_ref() == supplier).map(|f| f.span())
    })
}

pub(crate) fn date_to_day(start: jiff::civil::Date, date: jiff::civil::Date) -> i64 {
    start.until(date).map_or(0, |span| i64::from(span.get_days()))
}
