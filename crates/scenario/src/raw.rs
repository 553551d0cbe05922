//! The permissive raw layer: the TOML shape of a scenario file, deserialised as it is
//! written, with the location of every value kept for diagnostics. Nothing here is checked
//! beyond TOML types; [`crate::build`] turns it into a validated model.
//!
//! Values that can take several shapes (distributions, durations, stocks, targets, ends)
//! are kept as [`toml::Value`] and interpreted by the validator, which knows their context.

use serde::Deserialize;
use toml::Spanned;

/// A value with its byte range in the file.
pub type Loc<T> = Spanned<T>;

/// Entries of a table whose keys are ids, in file order.
pub type Entries<T> = Vec<(Loc<String>, Loc<T>)>;

/// A whole scenario file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    /// `[scenario]`: name, dates, seed.
    pub scenario: Loc<RawHeader>,
    /// `[blocs]`: named sets of regions.
    #[serde(default, deserialize_with = "entries")]
    pub blocs: Entries<Vec<Loc<String>>>,
    /// `[products.<id>]`.
    #[serde(default, deserialize_with = "entries")]
    pub products: Entries<RawProduct>,
    /// `[facilities.<id>]`.
    #[serde(default, deserialize_with = "entries")]
    pub facilities: Entries<RawFacility>,
    /// `[[supply]]`.
    #[serde(default)]
    pub supply: Vec<Loc<RawSupply>>,
    /// `[demand.<id>]`.
    #[serde(default, deserialize_with = "entries")]
    pub demand: Entries<RawDemand>,
    /// `[[event]]`.
    #[serde(default)]
    pub event: Vec<Loc<RawEvent>>,
    /// `[report]`.
    pub report: Option<Loc<RawReport>>,
}

/// `[scenario]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHeader {
    /// What the scenario shows, in a sentence.
    pub name: Loc<String>,
    /// Longer description.
    pub description: Option<Loc<String>>,
    /// Date of day 0.
    pub start: Loc<toml::Value>,
    /// Length of the run: a duration or a number of days.
    pub horizon: Loc<toml::Value>,
    /// Base seed of the random streams.
    pub seed: Option<Loc<i64>>,
}

/// `[products.<id>]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawProduct {
    /// Human-readable name.
    pub name: Option<Loc<String>>,
    /// Unit of quantities.
    pub unit: Option<Loc<String>>,
    /// Value per unit.
    pub value: Option<Loc<f64>>,
}

/// `[facilities.<id>]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFacility {
    /// Region code.
    pub region: Loc<String>,
    /// Product made.
    pub product: Loc<String>,
    /// Units per day: a number or a distribution.
    pub capacity: Loc<toml::Value>,
    /// Units of each input per unit of output.
    #[serde(default, deserialize_with = "entries")]
    pub inputs: Entries<f64>,
    /// `{ output = …, inputs = … }`.
    pub stock: Option<Loc<RawFacilityStock>>,
    /// Ordering policy.
    pub policy: Option<Loc<RawPolicy>>,
}

/// `stock = { output = …, inputs = … }` of a facility.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFacilityStock {
    /// Initial output stock: units or a duration.
    pub output: Option<Loc<toml::Value>>,
    /// Initial stock of each input: units or a duration.
    pub inputs: Option<Loc<toml::Value>>,
}

/// `policy = { … }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPolicy {
    /// Days of use to keep on hand.
    pub target: Option<Loc<toml::Value>>,
    /// Days between reviews.
    pub review: Option<Loc<toml::Value>>,
    /// s of an (s, S) policy, units.
    pub reorder_point: Option<Loc<f64>>,
    /// S of an (s, S) policy, units.
    pub order_up_to: Option<Loc<f64>>,
}

/// `[[supply]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSupply {
    /// Facility or demand id.
    pub buyer: Loc<String>,
    /// Product bought.
    pub product: Loc<String>,
    /// Sources with shares.
    pub sources: Loc<Vec<Loc<RawSource>>>,
    /// Transit time in days: a number, a duration or a distribution.
    pub transit: Loc<toml::Value>,
}

/// One entry of `sources`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSource {
    /// Supplying facility.
    pub from: Loc<String>,
    /// Share of orders.
    pub share: Option<Loc<f64>>,
}

/// `[demand.<id>]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDemand {
    /// Region code.
    pub region: Loc<String>,
    /// Product consumed.
    pub product: Loc<String>,
    /// Units per day at the start.
    pub rate: Loc<f64>,
    /// Growth per year.
    pub growth: Option<Loc<f64>>,
    /// `"poisson"`, `"none"` or a relative distribution.
    pub noise: Option<Loc<toml::Value>>,
    /// Sector for priority allocation.
    pub sector: Option<Loc<String>>,
    /// `"lost"` or `"backlog"`.
    pub unmet: Option<Loc<String>>,
    /// Initial stock: units or a duration.
    pub stock: Option<Loc<toml::Value>>,
    /// Ordering policy.
    pub policy: Option<Loc<RawPolicy>>,
}

/// `[[event]]`: every key any event type may have; the validator checks which apply.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEvent {
    /// Event type.
    #[serde(rename = "type")]
    pub kind: Loc<String>,
    /// Identifier.
    pub id: Option<Loc<String>>,
    /// Issuing region.
    pub issuer: Option<Loc<String>>,
    /// Products covered.
    pub products: Option<Loc<Vec<Loc<String>>>>,
    /// Destinations covered.
    pub targets: Option<Loc<toml::Value>>,
    /// Start date.
    pub start: Option<Loc<toml::Value>>,
    /// End: a date or `{ after = <days> }`.
    pub end: Option<Loc<toml::Value>>,
}

/// `[report]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawReport {
    /// Sampling step of `series.csv`.
    pub step: Option<Loc<toml::Value>>,
    /// Entities shown in the printed table.
    pub watch: Option<Vec<Loc<String>>>,
}

/// Deserialises a table into its entries in file order, keeping the key spans.
fn entries<'de, D, T>(deserializer: D) -> Result<Entries<T>, D::Error>
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
