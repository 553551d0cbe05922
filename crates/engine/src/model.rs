//! The model: what a scenario describes, as plain data indexed by typed ids.
//!
//! A [`Model`] is built by the scenario loader (or by hand in tests and examples) and checked
//! by [`Model::validate`] before it runs. Quantities are in the product's own unit; rates are
//! per day; durations are whole days.

use std::fmt;

use crate::disruption::{Allocation, Event, PriceIndex};
use crate::dist::Dist;

/// Index of a product in [`Model::products`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProductId(pub u32);
/// Index of a facility in [`Model::facilities`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FacilityId(pub u32);
/// Index of a demand sink in [`Model::sinks`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SinkId(pub u32);

/// Longest horizon a model may have: 100 years of days. Longer runs would only exhaust
/// memory for the daily series.
pub const MAX_HORIZON_DAYS: u32 = 36_525;

/// Largest rate (units per day) a capacity or demand may have. With [`MAX_DAYS`] and
/// [`MAX_UNITS`] it keeps every quantity inside the engine's integer arithmetic.
pub const MAX_RATE: f64 = 1e9;

/// Largest number of days a stock, target, review period or transit time may span.
pub const MAX_DAYS: f64 = 1000.0;

/// Largest amount (units) a stock or order level may have.
pub const MAX_UNITS: f64 = 1e12;

/// Largest value (currency per unit) a product may have: with [`MAX_RATE`] and the horizon
/// it keeps every lost value finite, so KPIs, their summaries and shard files hold numbers.
pub const MAX_VALUE: f64 = 1e12;

/// Most facilities plus sinks a model may have. With the horizon it bounds the memory of
/// the daily series.
pub const MAX_ENTITIES: usize = 20_000;

/// Most events a model may have.
pub const MAX_EVENTS: usize = 10_000;

/// Most applicants a supply link may stand for under one licence
/// ([`crate::LicenceTerms::applicants`]): each is a queue entry and a licence to track.
pub const MAX_APPLICANTS: u32 = 10_000;

/// Most entity-days a run may record (entities × horizon): about 2 GB of daily series.
pub const MAX_ENTITY_DAYS: u64 = 25_000_000;

/// A region: an ISO 3166-1 alpha-2 code such as `CN` or `US`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Region([u8; 2]);

impl Region {
    /// Parses a two-letter upper-case code; `None` for anything else.
    pub fn new(code: &str) -> Option<Region> {
        match code.as_bytes() {
            [a, b] if a.is_ascii_uppercase() && b.is_ascii_uppercase() => Some(Region([*a, *b])),
            _ => None,
        }
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        // Constructed only from two ASCII upper-case letters.
        std::str::from_utf8(&self.0).unwrap_or("??")
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
impl fmt::Debug for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Region({})", self.as_str())
    }
}

/// A named set of regions (`eu`, `pax_silica`, …).
#[derive(Clone, Debug, PartialEq)]
pub struct Bloc {
    /// Bloc name, as used in scenario files.
    pub name: String,
    /// Member regions.
    pub members: Vec<Region>,
}

/// A traded product.
#[derive(Clone, Debug, PartialEq)]
pub struct Product {
    /// Identifier used in scenario files and outputs.
    pub id: String,
    /// Human-readable name.
    pub name: String,
    /// Unit that every quantity of this product is measured in (`t`, `units`, …).
    pub unit: String,
    /// Value of one unit, in currency units; used for lost-value figures and content rules.
    pub value: f64,
    /// Optional price index per market.
    pub price: Option<PriceIndex>,
}

/// An amount of stock: a number of units, or a number of days of the holder's baseline use.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Stock {
    /// Units of the product.
    Units(f64),
    /// Days of the holder's baseline flow (see `docs/model.md`, "Baseline flows").
    Days(f64),
}

/// How a buyer decides when and how much to order.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Policy {
    /// Order up to a cover of `target_days` of baseline use on hand, plus the mean transit
    /// time of what is on its way, every `review_days` days.
    DaysOfUse {
        /// Days of baseline use to keep on hand.
        target_days: f64,
        /// Days between reviews (≥ 1).
        review_days: u32,
    },
    /// Classic (s, S) on the inventory position, in units: when the position is at or below
    /// `reorder_point`, order up to `order_up_to`. Without a reorder point, order whenever the
    /// position is below `order_up_to` (a base-stock policy).
    Units {
        /// s: order when the position is at or below this (units).
        reorder_point: Option<f64>,
        /// S: the position to order up to (units).
        order_up_to: f64,
        /// Days between reviews (≥ 1).
        review_days: u32,
    },
}

impl Policy {
    /// Days between reviews.
    pub fn review_days(&self) -> u32 {
        match *self {
            Policy::DaysOfUse { review_days, .. } | Policy::Units { review_days, .. } => review_days,
        }
    }
}

/// A plant in a region that makes one product.
#[derive(Clone, Debug, PartialEq)]
pub struct Facility {
    /// Identifier used in scenario files and outputs.
    pub id: String,
    /// Where it is (controls apply at its border).
    pub region: Region,
    /// What it makes.
    pub product: ProductId,
    /// Most it can make per day (units of its product per day); drawn once per replicate.
    pub capacity: Dist,
    /// Units of each input per unit of output.
    pub recipe: Vec<(ProductId, f64)>,
    /// Initial output stock; also the level production tops the output stock up to.
    pub output_stock: Stock,
    /// Initial stock of each input.
    pub input_stock: Stock,
    /// How it orders its inputs.
    pub policy: Policy,
    /// First day it produces (0: from the start).
    pub online_day: u32,
    /// Days over which capacity climbs linearly from 0 to full after `online_day`; drawn
    /// once per replicate (0: full at once).
    pub ramp: Dist,
    /// How it shares out scarce stock; `None` follows [`Model::allocation`].
    pub allocation: Option<Allocation>,
    /// Sector (`civil`, `defence`, …), for priority allocation by its suppliers.
    pub sector: String,
}

/// Random variation of a sink's daily demand.
#[derive(Clone, Debug, PartialEq)]
pub enum Noise {
    /// Demand is exactly the rate.
    None,
    /// Demand is a Poisson count with the rate as its mean.
    Poisson,
    /// Demand is rate × max(0, 1 + x), with x drawn from this distribution each day.
    Relative(Dist),
}

/// What happens to demand that cannot be met on the day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unmet {
    /// It is lost.
    Lost,
    /// It waits and is served first when stock arrives.
    Backlog,
}

/// A final user of a product in a region: a carmaker's lines, AI data centres, defence.
#[derive(Clone, Debug, PartialEq)]
pub struct Sink {
    /// Identifier used in scenario files and outputs.
    pub id: String,
    /// Where it is.
    pub region: Region,
    /// What it consumes.
    pub product: ProductId,
    /// Mean demand per day at the start (units per day).
    pub rate: f64,
    /// Growth of the rate per year, compounded daily (0.05 = 5 % a year).
    pub growth: f64,
    /// Daily variation of demand.
    pub noise: Noise,
    /// Sector (`civil`, `defence`, …), for priority allocation.
    pub sector: String,
    /// Lost or backlogged unmet demand.
    pub unmet: Unmet,
    /// Initial stock on hand.
    pub stock: Stock,
    /// How it orders.
    pub policy: Policy,
}

/// Who buys on a supply link.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Buyer {
    /// A facility buying one of its inputs.
    Facility(FacilityId),
    /// A sink buying what it consumes.
    Sink(SinkId),
}

/// One source on a supply link, with the share of each order it receives.
#[derive(Clone, Debug, PartialEq)]
pub struct Source {
    /// The supplying facility.
    pub from: FacilityId,
    /// Share of every order placed with it, in [0, 1]; a link's shares sum to 1.
    pub share: f64,
}

/// Where a buyer buys one product.
#[derive(Clone, Debug, PartialEq)]
pub struct Supply {
    /// Who buys.
    pub buyer: Buyer,
    /// What it buys.
    pub product: ProductId,
    /// Where it buys, with shares.
    pub sources: Vec<Source>,
    /// Transit time of each shipment in days, drawn for each shipment and rounded to whole
    /// days (at least one).
    pub transit: Dist,
    /// Sources the buyer may switch to when a source is cut off.
    pub alternates: Vec<Alternate>,
}

/// A source a buyer can switch to once it is qualified.
#[derive(Clone, Debug, PartialEq)]
pub struct Alternate {
    /// The alternate supplier.
    pub from: FacilityId,
    /// Days from the cut-off until it is qualified; drawn once per replicate (0: already
    /// qualified).
    pub qualify: Dist,
}

/// Which destinations an export control applies to.
#[derive(Clone, Debug, PartialEq)]
pub enum Targets {
    /// Every destination outside the issuer.
    All,
    /// Every destination outside the issuer except these.
    AllExcept(Vec<Region>),
    /// Only these destinations.
    Only(Vec<Region>),
}

impl Targets {
    /// Whether an export to `destination` is covered.
    pub fn covers(&self, destination: Region) -> bool {
        match self {
            Targets::All => true,
            Targets::AllExcept(regions) => !regions.contains(&destination),
            Targets::Only(regions) => regions.contains(&destination),
        }
    }
}

/// A whole chain and the events that disturb it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Model {
    /// Products.
    pub products: Vec<Product>,
    /// Named sets of regions.
    pub blocs: Vec<Bloc>,
    /// Facilities.
    pub facilities: Vec<Facility>,
    /// Demand sinks.
    pub sinks: Vec<Sink>,
    /// Supply links: at most one per (buyer, product).
    pub supplies: Vec<Supply>,
    /// Events: controls, shocks and responses.
    pub events: Vec<Event>,
    /// How suppliers share out scarce stock, unless a facility says otherwise.
    pub allocation: Allocation,
    /// Days simulated.
    pub horizon_days: u32,
    /// How buyers and suppliers adapt to a cut (shared behaviour parameters; all off by
    /// default).
    pub adaptation: Adaptation,
}

/// How a chain adapts when it is cut off (`docs/model.md`, "Adaptation"). Every part is
/// off unless given; the values live in one shared place (the calibrated world file), not
/// in each scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct Adaptation {
    /// Orders released after a hold at the border ship at most this multiple of the link's
    /// baseline daily flow a day until the backlog is gone (the supplier's and the lane's
    /// pace); `None`: at once.
    pub release_pace: Option<f64>,
    /// Emergency stock targets after a cut.
    pub emergency: Option<Emergency>,
    /// Demand-side adjustment (thrifting) after a shortage.
    pub thrift: Option<Thrift>,
    /// Factor on alternates' qualification delays (emergency qualification), in (0, 1];
    /// 1: as written.
    pub qualify_factor: f64,
}

impl Default for Adaptation {
    fn default() -> Self {
        Adaptation { release_pace: None, emergency: None, thrift: None, qualify_factor: 1.0 }
    }
}

/// Emergency stock targets: a buyer (with a days-of-use policy) one of whose orders a
/// border rule or a closed lane held orders up to at least `target_days` of use for
/// `lasts_days` days from that first hold.
#[derive(Clone, Debug, PartialEq)]
pub struct Emergency {
    /// The raised order-up-to target, in days of baseline use.
    pub target_days: f64,
    /// Days the raised target lasts after the first hold.
    pub lasts_days: u32,
}

/// Thrifting: a facility whose production an input has cut uses less of it, starting
/// `after_days` after the first such day and falling linearly over `ramp_days` to
/// `1 − max_cut` of its recipe; it stays there.
#[derive(Clone, Debug, PartialEq)]
pub struct Thrift {
    /// Days from the first day an input limits production until thrifting starts.
    pub after_days: u32,
    /// Largest share of the input's use cut, in [0, 1).
    pub max_cut: f64,
    /// Days over which the cut reaches its largest share (0: at once).
    pub ramp_days: u32,
}

impl Model {
    /// The product with this id string.
    pub fn product_id(&self, id: &str) -> Option<ProductId> {
        self.products.iter().position(|p| p.id == id).map(|i| ProductId(i as u32))
    }

    /// The facility with this id string.
    pub fn facility_id(&self, id: &str) -> Option<FacilityId> {
        self.facilities.iter().position(|f| f.id == id).map(|i| FacilityId(i as u32))
    }

    /// The sink with this id string.
    pub fn sink_id(&self, id: &str) -> Option<SinkId> {
        self.sinks.iter().position(|s| s.id == id).map(|i| SinkId(i as u32))
    }

    /// The id string of a buyer.
    pub fn buyer_name(&self, buyer: Buyer) -> &str {
        match buyer {
            Buyer::Facility(f) => self.facilities.get(f.0 as usize).map_or("?", |f| &f.id),
            Buyer::Sink(s) => self.sinks.get(s.0 as usize).map_or("?", |s| &s.id),
        }
    }
    /// Stage of each facility and sink down the chain: 0 for a facility with no supply link
    /// (a mine), otherwise one more than its deepest supplier, alternates included. Returns
    /// `(facility tiers, sink tiers)`. Charts order entities by it; in a model with a supply
    /// cycle, through sources or alternates (which [`crate::Plan::new`] refuses), the tiers
    /// stop growing after one pass per facility.
    pub fn tiers(&self) -> (Vec<u32>, Vec<u32>) {
        let mut facility = vec![0u32; self.facilities.len()];
        let mut sink = vec![0u32; self.sinks.len()];
        let suppliers = |supply: &Supply| {
            supply
                .sources
                .iter()
                .map(|s| s.from)
                .chain(supply.alternates.iter().map(|a| a.from))
                .collect::<Vec<_>>()
        };
        for _ in 0..=self.facilities.len() {
            let mut changed = false;
            for supply in &self.supplies {
                let Buyer::Facility(buyer) = supply.buyer else { continue };
                for from in suppliers(supply) {
                    let deeper = facility.get(from.0 as usize).map_or(0, |t| t + 1);
                    if let Some(t) = facility.get_mut(buyer.0 as usize)
                        && *t < deeper
                    {
                        *t = deeper;
                        changed = true;
                    }
                }
            }
            if !changed {
                break;
            }
        }
        for supply in &self.supplies {
            let Buyer::Sink(buyer) = supply.buyer else { continue };
            for from in suppliers(supply) {
                let deeper = facility.get(from.0 as usize).map_or(0, |t| t + 1);
                if let Some(t) = sink.get_mut(buyer.0 as usize) {
                    *t = (*t).max(deeper);
                }
            }
        }
        (facility, sink)
    }
}
