//! The raw layer: the TOML shape of a scenario file, deserialised as it is written, with
//! the location of every value kept for diagnostics. Nothing here is checked beyond TOML
//! types; `build` turns it into a validated model.
//!
//! These types are also the source of the JSON Schema ([`crate::json_schema`]): every key
//! a file may hold is a field here, and its doc comment is the schema's description.
//!
//! Values that can take several shapes (distributions, durations, stocks, targets, dates,
//! starts and ends) are kept as [`toml::Value`] inside a newtype that names the shape
//! ([`Uncertain`], [`Duration`], …); the validator interprets them, and each newtype's
//! schema lists the shapes it accepts.

use std::borrow::Cow;
use std::collections::BTreeMap;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Deserialize;
use toml::Spanned;

/// A value with its range in the scenario's offset space (see [`crate::Sources`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Loc<T>(pub Spanned<T>);

impl<T> Loc<T> {
    /// A value at `span`.
    pub fn new(span: std::ops::Range<usize>, value: T) -> Self {
        Loc(Spanned::new(span, value))
    }
    /// The value.
    pub fn get_ref(&self) -> &T {
        self.0.get_ref()
    }
    /// Where the value is.
    pub fn span(&self) -> std::ops::Range<usize> {
        self.0.span()
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Loc<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Spanned::<T>::deserialize(deserializer).map(Loc)
    }
}

impl<T: JsonSchema> JsonSchema for Loc<T> {
    fn inline_schema() -> bool {
        T::inline_schema()
    }
    fn schema_name() -> Cow<'static, str> {
        T::schema_name()
    }
    fn schema_id() -> Cow<'static, str> {
        T::schema_id()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        T::json_schema(generator)
    }
}

/// Entries of a table whose keys are ids, in key order.
pub type Entries<T> = Vec<(Loc<String>, Loc<T>)>;

/// A whole scenario file (or world file).
#[derive(Debug, Default, JsonSchema)]
#[schemars(
    title = "chokepoint scenario",
    description = "A supply chain, the export controls and shocks that hit it, and how to report the \
                   run. Reference: docs/scenario-format.md.",
    deny_unknown_fields
)]
pub struct RawScenario {
    /// Name, dates, seed, and the world file this scenario extends.
    pub scenario: Option<Loc<RawHeader>>,
    /// Named sets of region codes, usable wherever regions are listed.
    #[schemars(with = "Option<BTreeMap<String, Vec<String>>>")]
    pub blocs: Entries<Vec<Loc<String>>>,
    /// Traded products, keyed by id.
    #[schemars(with = "Option<BTreeMap<String, RawProduct>>")]
    pub products: Entries<RawProduct>,
    /// Plants and depots, keyed by id.
    #[schemars(with = "Option<BTreeMap<String, RawFacility>>")]
    pub facilities: Entries<RawFacility>,
    /// Where each buyer buys each product it needs.
    #[schemars(with = "Option<Vec<RawSupply>>")]
    pub supply: Vec<Loc<RawSupply>>,
    /// Final users (demand sinks), keyed by id.
    #[schemars(with = "Option<BTreeMap<String, RawSink>>")]
    pub demand: Entries<RawSink>,
    /// Export controls, suspensions, shocks and responses.
    #[schemars(with = "Option<Vec<RawEvent>>")]
    pub event: Vec<Loc<RawEvent>>,
    /// Named licensing profiles: how an issuing authority works, shared by the export
    /// controls whose `licence` names them.
    #[schemars(with = "Option<BTreeMap<String, RawLicensing>>")]
    pub licensing: Entries<RawLicensing>,
    /// How the chain adapts when it is cut off.
    pub adaptation: Option<Loc<RawAdaptation>>,
    /// How suppliers share out scarce stock.
    pub allocation: Option<Loc<RawAllocation>>,
    /// What `chokepoint run` reports.
    pub report: Option<Loc<RawReport>>,
    /// Monte Carlo settings: number of runs and a grid of values to sweep.
    pub sweep: Option<Loc<RawSweep>>,
    /// Observations of what really happened, to score the scenario against
    /// (`chokepoint backtest`).
    pub backtest: Option<Loc<RawBacktest>>,
    /// What could not be read (already reported), so later checks do not report it again
    /// as missing.
    #[schemars(skip)]
    pub broken: Broken,
}

/// Entries that failed to read: their errors are reported; checks that depend on them
/// stay quiet rather than cascading.
#[derive(Debug, Default)]
pub struct Broken {
    /// Ids of entities and events that failed to read.
    pub ids: Vec<String>,
    /// Entities that failed to read, with their product and region when those were readable.
    pub entities: Vec<BrokenEntity>,
    /// (buyer, product) of `[[supply]]` entries that failed to read.
    pub supply: Vec<(Option<String>, Option<String>)>,
    /// Sections that failed to read as a whole.
    pub sections: Vec<String>,
}

/// An entity that failed to read.
#[derive(Debug)]
pub struct BrokenEntity {
    /// Its id.
    pub id: String,
    /// Its `product`, if readable.
    pub product: Option<String>,
    /// Its `region`, if readable.
    pub region: Option<String>,
}

/// `[scenario]`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawHeader {
    /// What the scenario shows, in a sentence.
    pub name: Option<Loc<String>>,
    /// Longer description: what happened, what it models, what it leaves out.
    pub description: Option<Loc<String>>,
    /// A world file to start from, relative to this file; this file adds to it and
    /// overrides it.
    pub extends: Option<Loc<String>>,
    /// Calendar date of day 0.
    pub start: Option<Loc<Date>>,
    /// Length of the run (a duration, e.g. "730d").
    pub horizon: Option<Loc<Duration>>,
    /// Base seed of the random streams (0 or more).
    pub seed: Option<Loc<i64>>,
}

/// `[products.<id>]`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawProduct {
    /// Human-readable name.
    pub name: Option<Loc<String>>,
    /// Unit of quantities (t, kg, units, wafers …).
    pub unit: Option<Loc<String>>,
    /// Value of one unit, in currency units.
    pub value: Option<Loc<f64>>,
    /// A price index per market that shortage lifts and surplus lowers.
    pub price: Option<Loc<RawPrice>>,
}

/// `price = { … }` of a product.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPrice {
    /// Relative price change per unit of shortage (or surplus) fraction.
    pub elasticity: Loc<f64>,
    /// Time constant of the index's adjustment (a duration).
    pub adjust: Option<Loc<Duration>>,
}

/// `[facilities.<id>]`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawFacility {
    /// Display name on charts and tables (default: the id), e.g. "Magnet makers, Japan".
    pub name: Option<Loc<String>>,
    /// `"plant"` (default: makes its product from its inputs) or `"depot"` (holds and passes
    /// on its product: a warehouse, port or strategic store).
    pub kind: Option<Loc<String>>,
    /// Region code (ISO 3166-1 alpha-2).
    pub region: Loc<String>,
    /// Product made (or held, for a depot).
    pub product: Loc<String>,
    /// Units per day it can make (or pass on); drawn once per replicate.
    pub capacity: Option<Loc<Uncertain>>,
    /// Units of each input per unit of output.
    #[schemars(with = "Option<BTreeMap<String, f64>>")]
    #[serde(default, deserialize_with = "entries")]
    pub inputs: Entries<f64>,
    /// Initial stocks: `{ output = …, inputs = … }`.
    pub stock: Option<Loc<RawFacilityStock>>,
    /// How it orders its inputs.
    pub policy: Option<Loc<RawPolicy>>,
    /// First day it produces (a date); before it, it makes nothing.
    pub online: Option<Loc<Date>>,
    /// Time to reach full capacity after coming online, linearly; drawn once per replicate.
    pub ramp: Option<Loc<UncertainDays>>,
    /// How it shares out scarce stock among its buyers (overrides `[allocation]`).
    pub allocation: Option<Loc<RawAllocation>>,
    /// Sector of the facility as a buyer (`civil`, `defence` …), for priority allocation.
    pub sector: Option<Loc<String>>,
}

/// `stock = { output = …, inputs = … }` of a facility.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawFacilityStock {
    /// Initial output stock: units, or a duration of baseline output.
    pub output: Option<Loc<StockAmount>>,
    /// Initial stock of each input: units, or a duration of baseline use.
    pub inputs: Option<Loc<StockAmount>>,
}

/// `policy = { … }`: order up to days of use, or (s, S) in units.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPolicy {
    /// Days of baseline use to keep on hand (order-up-to policy).
    pub target: Option<Loc<Duration>>,
    /// Days between reviews (a whole number of days).
    pub review: Option<Loc<Duration>>,
    /// s of an (s, S) policy, in units.
    pub reorder_point: Option<Loc<f64>>,
    /// S of an (s, S) policy, in units.
    pub order_up_to: Option<Loc<f64>>,
}

/// `[[supply]]`: where a buyer buys one product.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawSupply {
    /// Facility or demand id that buys.
    pub buyer: Loc<String>,
    /// Product bought.
    pub product: Loc<String>,
    /// Sources with their shares of every order.
    pub sources: Loc<Vec<Loc<RawSource>>>,
    /// Transit time of each shipment; drawn for each shipment.
    pub transit: Loc<UncertainDays>,
    /// Sources the buyer can switch to when a source is cut off.
    pub alternates: Option<Loc<Vec<Loc<RawAlternate>>>>,
}

/// One entry of `sources`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawSource {
    /// Supplying facility.
    pub from: Loc<String>,
    /// Share of orders, in [0, 1]; may be left out on a single source.
    pub share: Option<Loc<f64>>,
}

/// One entry of `alternates`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawAlternate {
    /// The alternate supplier.
    pub from: Loc<String>,
    /// Time to qualify it after the cut-off; drawn once per replicate (0: already qualified).
    pub qualify: Option<Loc<UncertainDays>>,
}

/// `[demand.<id>]`: a final user of a product.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawSink {
    /// Display name on charts and tables (default: the id), e.g. "US car plants".
    pub name: Option<Loc<String>>,
    /// Region code.
    pub region: Loc<String>,
    /// Product consumed.
    pub product: Loc<String>,
    /// Units per day at the start.
    pub rate: Loc<f64>,
    /// Growth of the rate per year (0.05 = 5 %).
    pub growth: Option<Loc<f64>>,
    /// Daily variation: "poisson", "none", or a relative distribution drawn each day.
    pub noise: Option<Loc<Noise>>,
    /// Sector (`civil`, `defence` …), for priority allocation.
    pub sector: Option<Loc<String>>,
    /// Demand not met on the day: "lost" or "backlog".
    pub unmet: Option<Loc<String>>,
    /// Initial stock: units, or a duration of use.
    pub stock: Option<Loc<StockAmount>>,
    /// How it orders.
    pub policy: Option<Loc<RawPolicy>>,
}

/// `[[event]]`: its `type` says which keys apply.
// Built once per load and read: boxing the large variant would only add noise.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RawEvent {
    /// An export control: the issuer's exporters may not ship listed products to targets
    /// without a licence.
    ExportControl(RawExportControl),
    /// A cap per period on exports of listed products to targets.
    Quota(RawQuota),
    /// Lifts a named control between two dates; it comes back after.
    Suspend(RawSuspend),
    /// A capacity shock on facilities (fire, storm, outage), with recovery.
    Capacity(RawCapacity),
    /// A demand shock on sinks.
    Demand(RawDemandShock),
    /// Longer or closed shipping lanes between regions.
    Logistics(RawLogistics),
    /// A strategic stockpile with its release rule.
    Stockpile(RawStockpile),
    /// Substitution of one input by another at an efficiency penalty.
    Substitute(RawSubstitute),
}

/// Runs `$body` on the body of whatever type the event is.
macro_rules! each_event {
    ($event:expr, $e:ident => $body:expr) => {
        match $event {
            RawEvent::ExportControl($e) => $body,
            RawEvent::Quota($e) => $body,
            RawEvent::Suspend($e) => $body,
            RawEvent::Capacity($e) => $body,
            RawEvent::Demand($e) => $body,
            RawEvent::Logistics($e) => $body,
            RawEvent::Stockpile($e) => $body,
            RawEvent::Substitute($e) => $body,
        }
    };
}

impl RawEvent {
    /// The event's id.
    pub fn id(&self) -> &Loc<String> {
        each_event!(self, e => &e.id)
    }

    /// The event's `end`, if given.
    pub fn end(&self) -> Option<&Loc<End>> {
        each_event!(self, e => e.end.as_ref())
    }

    /// The event's `start` (only a stockpile may leave it out).
    pub fn start(&self) -> Option<&Loc<Start>> {
        match self {
            RawEvent::ExportControl(e) => Some(&e.start),
            RawEvent::Quota(e) => Some(&e.start),
            RawEvent::Suspend(e) => Some(&e.start),
            RawEvent::Capacity(e) => Some(&e.start),
            RawEvent::Demand(e) => Some(&e.start),
            RawEvent::Logistics(e) => Some(&e.start),
            RawEvent::Stockpile(e) => e.start.as_ref(),
            RawEvent::Substitute(e) => Some(&e.start),
        }
    }

    /// The type as written in files.
    pub fn type_name(&self) -> &'static str {
        match self {
            RawEvent::ExportControl(_) => "export_control",
            RawEvent::Quota(_) => "quota",
            RawEvent::Suspend(_) => "suspend",
            RawEvent::Capacity(_) => "capacity",
            RawEvent::Demand(_) => "demand",
            RawEvent::Logistics(_) => "logistics",
            RawEvent::Stockpile(_) => "stockpile",
            RawEvent::Substitute(_) => "substitute",
        }
    }

    /// The event types, as written in files.
    pub const TYPES: [&'static str; 8] =
        ["export_control", "quota", "suspend", "capacity", "demand", "logistics", "stockpile", "substitute"];
}

/// `type = "export_control"`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawExportControl {
    /// Identifier, unique among events (e.g. "mofcom-18-2025").
    pub id: Loc<String>,
    /// Issuing region.
    pub issuer: Loc<String>,
    /// Products covered.
    pub products: Loc<Vec<Loc<String>>>,
    /// Destinations covered: "all", a region, a bloc, a list, or { all_except = [...] }.
    pub targets: Loc<Targets>,
    /// First day it applies: a date, or { event = "<id>", after = <days> }.
    pub start: Loc<Start>,
    /// When it ends: a date or { after = <days> }; never if left out.
    pub end: Option<Loc<End>>,
    /// Licence review of covered orders; without it every covered order is refused.
    pub licence: Option<Loc<RawLicence>>,
    /// A share of refused flow that reaches targets through third countries.
    pub leakage: Option<Loc<RawLeakage>>,
    /// Extraterritorial reach: products anywhere whose controlled content is at or above a
    /// threshold.
    pub content: Option<Loc<RawContent>>,
    /// An announcement before the start: buyers it will bind stock up until it starts.
    pub announced: Option<Loc<RawAnnouncement>>,
}

/// `announced = { … }` of an export control.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawAnnouncement {
    /// Day the control is announced: a date before its `start`.
    pub date: Loc<Date>,
    /// Stock target, in days of use, that affected buyers order up to from the announcement
    /// until the start (a duration above 0; default: `[adaptation] prebuy`).
    pub target: Option<Loc<Duration>>,
}

/// Declares the keys that a licensing profile (`[licensing.<id>]`) and an export control's
/// `licence` share, once: [`RawLicensing`] holds them, [`RawLicence`] holds them and
/// `profile`, and [`LicenceKeys`] is a view of either, so that a licence can be read over
/// its profile key by key.
macro_rules! licence_keys {
    ($($(#[doc = $doc:expr])* $(#[schemars $schema:tt])* $key:ident: $ty:ty,)*) => {
        /// `licence = { … }` of an export control: its keys, over those of the profile it
        /// names.
        #[derive(Debug, Deserialize, JsonSchema)]
        #[serde(deny_unknown_fields)]
        pub struct RawLicence {
            /// A licensing profile (`[licensing.<id>]`) whose keys this licence takes; each
            /// key the licence gives replaces the profile's.
            pub profile: Option<Loc<String>>,
            $($(#[doc = $doc])* $(#[schemars $schema])* pub $key: Option<Loc<$ty>>,)*
        }

        /// `[licensing.<id>]`: a named profile of how an issuing authority works. Export
        /// controls use it with `licence = { profile = "<id>" }`.
        #[derive(Debug, Deserialize, JsonSchema)]
        #[serde(deny_unknown_fields)]
        pub struct RawLicensing {
            $($(#[doc = $doc])* $(#[schemars $schema])* pub $key: Option<Loc<$ty>>,)*
        }

        /// The licence keys of a [`RawLicence`] or a [`RawLicensing`], borrowed.
        #[derive(Clone, Copy, Debug, Default)]
        pub struct LicenceKeys<'a> {
            $($(#[doc = $doc])* pub $key: Option<&'a Loc<$ty>>,)*
        }

        impl RawLicence {
            /// Its licence keys (all but `profile`).
            pub fn keys(&self) -> LicenceKeys<'_> {
                LicenceKeys { $($key: self.$key.as_ref(),)* }
            }
        }

        impl RawLicensing {
            /// Its licence keys.
            pub fn keys(&self) -> LicenceKeys<'_> {
                LicenceKeys { $($key: self.$key.as_ref(),)* }
            }
        }
    };
}

licence_keys! {
    /// Probability an application is approved, in [0, 1]; drawn once per replicate.
    /// Required, here or in the profile.
    approval: Uncertain,
    /// Time from application to decision; drawn for each application. Required, here or in
    /// the profile.
    review: UncertainDays,
    /// Share of the requested quantity an approval grants, in [0, 1]; drawn for each
    /// approval (default 1).
    partial: Uncertain,
    /// Time a refused buyer waits before applying again; drawn for each refusal. Left out:
    /// no re-application.
    reapply: UncertainDays,
    /// Decisions the authority makes per day (a number above 0), or a schedule
    /// `[{ from = <date>, per_day = <number> }, …]`. Left out: no queue, each application is
    /// decided when its review time is over.
    capacity: AuthorityCapacity,
    /// Applicants each supply link stands for, 1 to 10000 (default 1).
    #[schemars(range(min = 1, max = 10000))]
    applicants: i64,
    /// What an approval grants: "single" (default: the quantity on the book) or "multi"
    /// (every shipment for `validity`).
    #[schemars(extend("enum" = ["single", "multi"]))]
    kind: String,
    /// How long a multi-shipment licence is valid; drawn at each approval. Required with
    /// kind = "multi", refused with "single".
    validity: UncertainDays,
    /// Approval probability of an applicant that has held a licence under the control
    /// before, in [0, 1]; drawn once per replicate (default: `approval`).
    repeat: Uncertain,
    /// Approval probabilities for some applicants, first match first.
    approval_by: Vec<Loc<RawApprovalRule>>,
    /// General licences from a date to applicants with an earlier approval.
    general: RawGeneralLicence,
}

/// One entry of `approval_by`: exactly one of `sector` and `regions`, and `approval`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawApprovalRule {
    /// Buyers of this sector (as in `sector` of facilities and demand).
    pub sector: Option<Loc<String>>,
    /// Buyers in these regions (region codes or blocs).
    pub regions: Option<Loc<Vec<Loc<String>>>>,
    /// Probability their applications are approved, in [0, 1]; drawn once per replicate.
    pub approval: Loc<Uncertain>,
}

/// `general = { … }` of a licence.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawGeneralLicence {
    /// First day general licences are issued (a date; before the scenario's start: day 0).
    pub date: Loc<Date>,
    /// Probability an applicant with an earlier approval gets one, in [0, 1]; drawn once per
    /// replicate.
    pub share: Loc<Uncertain>,
    /// How long a general licence is valid; drawn for each.
    pub validity: Loc<UncertainDays>,
}

/// `leakage = { … }` of an export control.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawLeakage {
    /// Share of refused quantity that leaks, in [0, 1]; drawn once per replicate.
    pub share: Loc<Uncertain>,
    /// Third countries (region codes or blocs) it passes through.
    pub via: Loc<Vec<Loc<String>>>,
    /// Extra transit time; drawn for each leaked shipment (default 0).
    pub delay: Option<Loc<UncertainDays>>,
}

/// `content = { … }` of an export control.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawContent {
    /// Share of value from controlled origin-products at or above which the control
    /// applies, in [0, 1] (0.001 for a 0.1 % rule).
    pub threshold: Loc<f64>,
    /// Products the rule reaches (default: every product).
    pub applies_to: Option<Loc<Vec<Loc<String>>>>,
}

/// `type = "quota"`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawQuota {
    /// Identifier, unique among events.
    pub id: Loc<String>,
    /// Issuing region.
    pub issuer: Loc<String>,
    /// Products covered; the cap applies to their combined quantity.
    pub products: Loc<Vec<Loc<String>>>,
    /// Destinations covered.
    pub targets: Loc<Targets>,
    /// Units that may be exported per period; drawn once per replicate.
    pub amount: Loc<Uncertain>,
    /// Length of a period (default "365d").
    pub period: Option<Loc<Duration>>,
    /// First day it applies.
    pub start: Loc<Start>,
    /// When it ends; never if left out.
    pub end: Option<Loc<End>>,
}

/// `type = "suspend"`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawSuspend {
    /// Identifier, unique among events.
    pub id: Loc<String>,
    /// Id of the export control or quota lifted.
    pub control: Loc<String>,
    /// First day the control is lifted.
    pub start: Loc<Start>,
    /// Day the control comes back; lifted for good if left out.
    pub end: Option<Loc<End>>,
}

/// `type = "capacity"`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawCapacity {
    /// Identifier, unique among events.
    pub id: Loc<String>,
    /// Facilities hit.
    pub facilities: Loc<Vec<Loc<String>>>,
    /// Share of capacity left while the shock lasts, in [0, 1]; drawn once per replicate.
    pub remaining: Loc<Uncertain>,
    /// Time for capacity to climb back linearly after the end; drawn once per replicate
    /// (default 0).
    pub recovery: Option<Loc<UncertainDays>>,
    /// First day of the shock.
    pub start: Loc<Start>,
    /// When it ends; never if left out.
    pub end: Option<Loc<End>>,
}

/// `type = "demand"`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawDemandShock {
    /// Identifier, unique among events.
    pub id: Loc<String>,
    /// Demand sinks hit.
    pub sinks: Loc<Vec<Loc<String>>>,
    /// Factor on their demand while it lasts (1.3 = 30 % more); drawn once per replicate.
    pub factor: Loc<Uncertain>,
    /// First day of the shock.
    pub start: Loc<Start>,
    /// When it ends; never if left out.
    pub end: Option<Loc<End>>,
}

/// `type = "logistics"`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawLogistics {
    /// Identifier, unique among events.
    pub id: Loc<String>,
    /// Origins of the lanes hit: "all", a region, a bloc, a list, or { all_except = [...] }.
    pub from: Loc<Targets>,
    /// Destinations of the lanes hit, in the same forms.
    pub to: Loc<Targets>,
    /// Extra transit time per shipment; drawn for each shipment.
    pub extra: Option<Loc<UncertainDays>>,
    /// Whether the lanes are closed (nothing ships).
    pub closed: Option<Loc<bool>>,
    /// First day of the shock.
    pub start: Loc<Start>,
    /// When it ends; never if left out.
    pub end: Option<Loc<End>>,
}

/// `type = "stockpile"`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawStockpile {
    /// Identifier, unique among events.
    pub id: Loc<String>,
    /// Product held.
    pub product: Loc<String>,
    /// Region where it is held.
    pub region: Loc<String>,
    /// Units held; drawn once per replicate.
    pub amount: Loc<Uncertain>,
    /// When and to whom it is released.
    pub release: Loc<RawRelease>,
    /// First day it may be released (default: the scenario's start).
    pub start: Option<Loc<Start>>,
    /// Day releases stop; never if left out.
    pub end: Option<Loc<End>>,
}

/// `release = { … }` of a stockpile.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRelease {
    /// Release to a recipient whose shortage fraction exceeds this, in [0, 1].
    pub threshold: Loc<f64>,
    /// Most units released per day.
    pub rate: Loc<f64>,
    /// Who may receive it: buyer ids, region codes or blocs (default: every buyer).
    pub to: Option<Loc<Vec<Loc<String>>>>,
}

/// `type = "substitute"`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawSubstitute {
    /// Identifier, unique among events.
    pub id: Loc<String>,
    /// The facility that substitutes.
    pub facility: Loc<String>,
    /// The input it replaces.
    pub input: Loc<String>,
    /// The product it uses instead (it needs a supply link for it).
    pub by: Loc<String>,
    /// Units of `by` per unit of `input` replaced (default 1).
    pub ratio: Option<Loc<f64>>,
    /// Share of output lost while substituting, in [0, 1) (default 0).
    pub penalty: Option<Loc<f64>>,
    /// Time from the start until the switch is made; drawn once per replicate (default 0).
    pub delay: Option<Loc<UncertainDays>>,
    /// When the facility starts switching.
    pub start: Loc<Start>,
    /// When it switches back; never if left out.
    pub end: Option<Loc<End>>,
}

/// `[adaptation]`: how the chain adapts when it is cut off. Every part is off unless given.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawAdaptation {
    /// Orders released after a hold at the border ship at most this multiple of the link's
    /// baseline daily flow a day (a number, 1 or more); left out: at once.
    pub release_pace: Option<Loc<f64>>,
    /// Emergency stock targets after a cut.
    pub emergency: Option<Loc<RawEmergency>>,
    /// Thrifting: facilities an input has cut use less of it.
    pub thrift: Option<Loc<RawThrift>>,
    /// Factor on alternates' qualification times (emergency qualification), in (0, 1]
    /// (default 1).
    pub qualify_factor: Option<Loc<f64>>,
    /// Default `target` of an export control's `announced` (a duration above 0).
    pub prebuy: Option<Loc<Duration>>,
}

/// `emergency = { … }` of `[adaptation]`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawEmergency {
    /// Order-up-to target, in days of use, of a buyer one of whose orders was held (a
    /// duration above 0).
    pub target: Loc<Duration>,
    /// How long the raised target lasts after the first hold (whole days).
    pub lasts: Loc<Duration>,
}

/// `thrift = { … }` of `[adaptation]`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawThrift {
    /// Time from the first day an input limits production until thrifting starts (whole
    /// days, default 0).
    pub after: Option<Loc<Duration>>,
    /// Largest share of the input's use cut, in [0, 1).
    pub max: Loc<f64>,
    /// Time over which the cut reaches `max` (whole days, default 0: at once).
    pub ramp: Option<Loc<Duration>>,
}

/// `[allocation]`, or `allocation = { … }` on a facility.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawAllocation {
    /// "proportional" (default) or "priority".
    pub rule: Loc<String>,
    /// Priority classes, first served first: "domestic", "all", a sector, a bloc or a
    /// region code.
    pub order: Option<Loc<Vec<Loc<String>>>>,
}

/// `[report]`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawReport {
    /// Sampling step of `series.csv` (a whole number of days, e.g. "7d").
    pub step: Option<Loc<Duration>>,
    /// Entities shown in the printed table (default: every demand sink).
    pub watch: Option<Loc<Vec<Loc<String>>>>,
    /// Which series a sweep keeps per-step bands of: "watched" (default: every entity's
    /// shortage fraction and the watched entities' stock, production, demand, unmet and
    /// shortage) or "all" (every series).
    pub bands: Option<Loc<String>>,
    /// The currency of products' `value` (an ISO 4217 code such as "USD", or a short name),
    /// written beside every lost-value figure.
    pub currency: Option<Loc<String>>,
}

/// `[sweep]`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawSweep {
    /// Replicates per sweep point.
    pub runs: Option<Loc<i64>>,
    /// Values to sweep, keyed by the dotted path of a scenario key
    /// (e.g. "event.mofcom-18-2025.end"); the sweep runs every combination.
    #[schemars(with = "Option<BTreeMap<String, Vec<serde_json::Value>>>")]
    #[serde(default, deserialize_with = "entries")]
    pub grid: Entries<Vec<Loc<toml::Value>>>,
}

/// `[backtest]`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawBacktest {
    /// Observation files (docs/backtest.md), relative to the scenario file.
    pub observed: Option<Loc<Vec<Loc<String>>>>,
    /// Replicates a backtest runs [default: 200].
    pub runs: Option<Loc<i64>>,
}

/// Deserialises a table into its entries, keeping the key spans.
pub(crate) fn entries<'de, D, T>(deserializer: D) -> Result<Entries<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct Visitor<T>(std::marker::PhantomData<T>);
    impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for Visitor<T> {
        type Value = Entries<T>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a table of entries keyed by id")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut entries = Vec::new();
            while let Some(key) = map.next_key::<Loc<String>>()? {
                entries.push((key, map.next_value::<Loc<T>>()?));
            }
            Ok(entries)
        }
    }
    deserializer.deserialize_map(Visitor(std::marker::PhantomData))
}

/// Declares a newtype over [`toml::Value`] whose schema is given by `$schema`.
macro_rules! shape {
    ($(#[$doc:meta])* $name:ident, $schema:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub toml::Value);

        impl JsonSchema for $name {
            fn schema_name() -> Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema(generator: &mut SchemaGenerator) -> Schema {
                $schema(generator)
            }
        }
    };
}

fn date_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "description": "A TOML date without time, e.g. 2025-04-04.",
        "type": "string",
        "format": "date"
    })
}

fn duration_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "description": "A duration: a string with a unit (\"45d\" days, \"6w\" weeks) or a number of days.",
        "oneOf": [
            { "type": "string", "pattern": "^\\s*[0-9]+(\\.[0-9]+)?\\s*[dw]\\s*$" },
            { "type": "number", "minimum": 0 }
        ]
    })
}

fn distribution_variants() -> Vec<serde_json::Value> {
    let pair = |a: &str, b: &str| {
        serde_json::json!({
            "type": "object",
            "properties": { a: { "type": "number" }, b: { "type": "number" } },
            "additionalProperties": false
        })
    };
    let list = |n: usize| serde_json::json!({ "type": "array", "items": { "type": "number" }, "minItems": n, "maxItems": n });
    let one = |key: &str, body: serde_json::Value| {
        serde_json::json!({
            "type": "object",
            "properties": { key: body },
            "required": [key],
            "additionalProperties": false
        })
    };
    vec![
        one("uniform", list(2)),
        one("triangular", list(3)),
        one("normal", pair("mean", "sd")),
        one("lognormal", pair("mean", "sd")),
        one("beta", pair("a", "b")),
    ]
}

fn uncertain_schema(_: &mut SchemaGenerator) -> Schema {
    let mut variants = vec![serde_json::json!({ "type": "number" })];
    variants.extend(distribution_variants());
    json_schema!({
        "description": "A number, or a distribution: { uniform = [low, high] }, { triangular = [min, mode, max] }, \
                        { normal = { mean, sd } }, { lognormal = { mean, sd } }, { beta = { a, b } }.",
        "oneOf": variants
    })
}

fn uncertain_days_schema(generator: &mut SchemaGenerator) -> Schema {
    let mut variants = vec![duration_schema(generator).to_value()];
    variants.extend(distribution_variants());
    json_schema!({
        "description": "A duration (\"45d\", \"6w\", or a number of days), or a distribution of days.",
        "oneOf": variants
    })
}

fn stock_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "description": "A stock: a number of units, or a duration (\"30d\") of baseline flow.",
        "oneOf": [
            { "type": "number", "minimum": 0 },
            { "type": "string", "pattern": "^\\s*[0-9]+(\\.[0-9]+)?\\s*[dw]\\s*$" }
        ]
    })
}

fn regions_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "description": "Regions: \"all\", a region code, a bloc name, a list of them, or { all_except = [...] }.",
        "oneOf": [
            { "type": "string" },
            { "type": "array", "items": { "type": "string" }, "minItems": 1 },
            {
                "type": "object",
                "properties": { "all_except": { "type": "array", "items": { "type": "string" } } },
                "required": ["all_except"],
                "additionalProperties": false
            }
        ]
    })
}

fn start_schema(generator: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "description": "A date, or { event = \"<id>\", after = <days> }: a delay after another event starts.",
        "oneOf": [
            date_schema(generator),
            {
                "type": "object",
                "properties": {
                    "event": { "type": "string" },
                    "after": uncertain_days_schema(generator)
                },
                "required": ["event"],
                "additionalProperties": false
            }
        ]
    })
}

fn end_schema(generator: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "description": "A date, or { after = <days> }: a time after the start, drawn once per replicate.",
        "oneOf": [
            date_schema(generator),
            {
                "type": "object",
                "properties": { "after": uncertain_days_schema(generator) },
                "required": ["after"],
                "additionalProperties": false
            }
        ]
    })
}

fn authority_capacity_schema(generator: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "description": "Decisions per day (a number above 0), or a schedule: a list of \
                        { from = <date>, per_day = <number> } in date order, each rate holding from its date.",
        "oneOf": [
            { "type": "number", "exclusiveMinimum": 0 },
            {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "properties": {
                        "from": date_schema(generator),
                        "per_day": { "type": "number", "exclusiveMinimum": 0 }
                    },
                    "required": ["from", "per_day"],
                    "additionalProperties": false
                }
            }
        ]
    })
}

fn noise_schema(generator: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "description": "\"poisson\", \"none\", or a distribution of the relative deviation drawn each day \
                        (demand = rate × max(0, 1 + x)).",
        "oneOf": [
            { "enum": ["poisson", "none"] },
            uncertain_schema(generator)
        ]
    })
}

shape!(
    /// A TOML date.
    Date,
    date_schema
);
shape!(
    /// A duration: `"45d"`, `"6w"` or a number of days.
    Duration,
    duration_schema
);
shape!(
    /// A number or a distribution.
    Uncertain,
    uncertain_schema
);
shape!(
    /// A duration or a distribution of days.
    UncertainDays,
    uncertain_days_schema
);
shape!(
    /// Units, or a duration of baseline flow.
    StockAmount,
    stock_schema
);
shape!(
    /// Regions: "all", a code, a bloc, a list, or `{ all_except = [...] }`.
    Targets,
    regions_schema
);
shape!(
    /// A date, or a delay after another event.
    Start,
    start_schema
);
shape!(
    /// A date, or a time after the start.
    End,
    end_schema
);
shape!(
    /// Demand noise.
    Noise,
    noise_schema
);
shape!(
    /// An authority's capacity: decisions per day, or a schedule of them.
    AuthorityCapacity,
    authority_capacity_schema
);
