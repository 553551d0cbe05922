//! Events that disturb a chain and the chain's responses, as plain data.
//!
//! Every `[[event]]` of a scenario file becomes one [`Event`]: when it starts, when it ends,
//! and its [`Action`]. The types cover the whole scenario language (DESIGN.md §2) and the
//! engine plays every one of them (`docs/model.md` states how).
//!
//! Sampling: a [`Dist`] on a *parameter* (approval rate, ban length, shock depth, stockpile
//! size, qualification delay) is drawn once per replicate; a [`Dist`] on a *duration of one
//! occurrence* (licence review, leakage delay, extra transit) is drawn at each use. Each
//! field says which.

use crate::dist::Dist;
use crate::model::{Buyer, FacilityId, ProductId, Region, SinkId, Targets};

/// Index of an event in [`crate::Model::events`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventId(pub u32);

/// When an event starts.
#[derive(Clone, Debug, PartialEq)]
pub enum Start {
    /// On this day (0-based from the scenario's start date).
    Day(u32),
    /// A delay after another event starts (escalation); the delay is drawn once per
    /// replicate, in days.
    After {
        /// The event whose start triggers this one.
        event: EventId,
        /// Days after that event starts.
        delay: Dist,
    },
}

/// When an event ends.
#[derive(Clone, Debug, PartialEq)]
pub enum End {
    /// On this day (0-based from the start date); the event no longer applies that day.
    Day(u32),
    /// This many days after it starts, drawn once per replicate.
    After(Dist),
}

/// One event of a scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// Identifier (e.g. `mofcom-18-2025`); unique among events.
    pub id: String,
    /// When it starts.
    pub start: Start,
    /// When it ends; `None` for never.
    pub end: Option<End>,
    /// What it does.
    pub action: Action,
}

/// What an event does.
// A model holds a few events, built once and read: boxing the large variant would only
// make every match and constructor noisier.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// An export control: the issuer's exporters may not ship listed products to targets.
    ExportControl(ExportControl),
    /// A cap per period on exports of listed products to targets.
    Quota(Quota),
    /// Lifts another control (an export control or a quota) while this event lasts.
    Suspend {
        /// The suspended control.
        control: EventId,
    },
    /// Cuts the capacity of facilities (fire, storm, outage), with a recovery afterwards.
    Capacity(CapacityShock),
    /// Scales the demand of sinks while it lasts.
    Demand(DemandShock),
    /// Lengthens or closes shipping lanes between regions.
    Logistics(LogisticsShock),
    /// A strategic stockpile and the rule for releasing it.
    Stockpile(Stockpile),
    /// A facility replaces one input by another at an efficiency penalty.
    Substitute(Substitution),
}

impl Action {
    /// The event type as written in scenario files.
    pub fn type_name(&self) -> &'static str {
        match self {
            Action::ExportControl(_) => "export_control",
            Action::Quota(_) => "quota",
            Action::Suspend { .. } => "suspend",
            Action::Capacity(_) => "capacity",
            Action::Demand(_) => "demand",
            Action::Logistics(_) => "logistics",
            Action::Stockpile(_) => "stockpile",
            Action::Substitute(_) => "substitute",
        }
    }

    /// Whether the event disturbs supply or demand (a control, a quota, a shock): what the
    /// first disruption of a run counts from (`docs/model.md`, "KPIs"). Suspensions and
    /// responses (stockpiles, substitutes) are not.
    pub fn is_disruptive(&self) -> bool {
        matches!(
            self,
            Action::ExportControl(_)
                | Action::Quota(_)
                | Action::Capacity(_)
                | Action::Demand(_)
                | Action::Logistics(_)
        )
    }
}

/// An export control as written: who issues it, on what, to whom, and how exporters may
/// still ship (licences), how controlled goods slip through (leakage), and whether it
/// reaches foreign products by their controlled content.
#[derive(Clone, Debug, PartialEq)]
pub struct ExportControl {
    /// The region whose exporters are bound.
    pub issuer: Region,
    /// Products covered.
    pub products: Vec<ProductId>,
    /// Destinations covered (exports only: sales inside the issuer are never covered).
    pub targets: Targets,
    /// Licence review; `None` means every covered order is refused outright.
    pub licence: Option<Licence>,
    /// Refused flow that reaches targets through third countries.
    pub leakage: Option<Leakage>,
    /// Extraterritorial reach by controlled content.
    pub content: Option<ContentRule>,
    /// An announcement before the start, during which affected buyers stock up; `None`: the
    /// control comes unannounced.
    pub announcement: Option<Announcement>,
}

/// A control announced ahead of its start: from the announcement until the control starts,
/// every buyer in a targeted region whose base sources include a covered facility (one in
/// the issuer making a listed product) orders up to at least `target_days` of use
/// (`docs/model.md`, "Announcements"). Draws nothing.
#[derive(Clone, Debug, PartialEq)]
pub struct Announcement {
    /// Day of the announcement (0-based from the start date); before the control's start.
    pub day: u32,
    /// The order-up-to target, in days of baseline use, that affected buyers with a
    /// days-of-use policy move to (if above their own) until the control starts.
    pub target_days: f64,
}

/// Licence review of covered orders, per buyer.
#[derive(Clone, Debug, PartialEq)]
pub struct Licence {
    /// Probability that an application is approved, in [0, 1]; drawn once per replicate.
    pub approval: Dist,
    /// Days from application to decision; drawn for each application.
    pub review: Dist,
    /// Share of the requested quantity an approval grants, in [0, 1]; drawn for each
    /// approval.
    pub partial: Dist,
    /// Days a refused buyer waits before applying again; drawn for each refusal. `None`:
    /// a refused buyer does not apply again while the control lasts.
    pub reapply: Option<Dist>,
    /// How the issuing authority works: its capacity, who applies, what it grants. The
    /// default is the simple form (every application reviewed on its own, unlimited
    /// capacity, one applicant per supply link, single-shipment licences).
    pub terms: LicenceTerms,
}

/// How a licensing authority works (`docs/model.md`, "Licensing authorities"). The
/// [`Default`] is the simple form: a licence review per supply link with no queue.
#[derive(Clone, Debug, PartialEq)]
pub struct LicenceTerms {
    /// The reviewing body and its capacity; `None`: unlimited (each application is decided
    /// when its own review time is over). Controls naming the same authority share its
    /// queue.
    pub authority: Option<Authority>,
    /// Applicants each supply link stands for (at least 1): each applies, is decided and
    /// holds its licence for an equal part of the link's orders.
    pub applicants: u32,
    /// What an approval grants.
    pub kind: LicenceKind,
    /// Approval probabilities for some applicants, first match first: by the buyer's
    /// sector or region. Each drawn once per replicate.
    pub approval_by: Vec<ApprovalRule>,
    /// Approval probability of an applicant that has held a licence under this control
    /// before (a renewal or a repeat applicant); drawn once per replicate. `None`: the base
    /// approval.
    pub repeat: Option<Dist>,
    /// General licences granted from a day to applicants with an earlier approval.
    pub general: Option<GeneralLicence>,
}

impl Default for LicenceTerms {
    fn default() -> Self {
        LicenceTerms {
            authority: None,
            applicants: 1,
            kind: LicenceKind::Single,
            approval_by: Vec::new(),
            repeat: None,
            general: None,
        }
    }
}

/// A reviewing body: applications wait in one queue, first ready first decided, and it
/// decides at most `capacity` a day.
#[derive(Clone, Debug, PartialEq)]
pub struct Authority {
    /// Name (controls with the same name share the queue).
    pub name: String,
    /// Decisions per day from each day on: `(first day, decisions per day)`, sorted by
    /// day; before the first entry's day, the first entry's rate.
    pub capacity: Vec<(u32, f64)>,
}

impl Authority {
    /// Decisions per day on `day`.
    pub fn capacity_on(&self, day: u32) -> f64 {
        let mut rate = self.capacity.first().map_or(0.0, |&(_, r)| r);
        for &(from, r) in &self.capacity {
            if from <= day {
                rate = r;
            }
        }
        rate
    }
}

/// What an approved application grants.
#[derive(Clone, Debug, PartialEq)]
pub enum LicenceKind {
    /// A licence for the quantity on the book when it is decided (its approved share);
    /// used up by the shipments it covers.
    Single,
    /// A licence for every shipment of the applicant's part of the link (its approved
    /// share) for a validity period, drawn at each approval in days; renewal is applied for
    /// ahead of expiry by the mean review time.
    Multi {
        /// Days the licence is valid.
        validity: Dist,
    },
}

/// An approval probability for the applicants a class describes.
#[derive(Clone, Debug, PartialEq)]
pub struct ApprovalRule {
    /// Who: a sector or regions (as in priority allocation; `domestic` never applies).
    pub who: PriorityClass,
    /// Probability an application is approved, in [0, 1]; drawn once per replicate.
    pub approval: Dist,
}

/// General licences: from `day`, each applicant that has held a licence under the control
/// is granted, with probability `share`, a multi-shipment licence valid for `validity`.
#[derive(Clone, Debug, PartialEq)]
pub struct GeneralLicence {
    /// First day general licences are issued (0-based from the start date).
    pub day: u32,
    /// Probability that an eligible applicant gets one, in [0, 1]; drawn once per replicate.
    pub share: Dist,
    /// Days a general licence is valid; drawn for each.
    pub validity: Dist,
}

/// Leakage: a share of refused flow reaches targets through third countries.
#[derive(Clone, Debug, PartialEq)]
pub struct Leakage {
    /// Share of refused quantity that leaks, in [0, 1]; drawn once per replicate.
    pub share: Dist,
    /// Third countries it passes through.
    pub via: Vec<Region>,
    /// Extra days in transit; drawn for each leaked shipment.
    pub delay: Dist,
}

/// A content rule: the control also covers any exporter's product whose value share of
/// controlled origin-products (the control's products made in the issuer) is at or above
/// the threshold, tracked through recipes.
#[derive(Clone, Debug, PartialEq)]
pub struct ContentRule {
    /// Share of value, in [0, 1] (0.001 for the 0.1 % rule).
    pub threshold: f64,
    /// Products the rule reaches; empty for every product.
    pub applies_to: Vec<ProductId>,
}

/// A cap per period on exports.
#[derive(Clone, Debug, PartialEq)]
pub struct Quota {
    /// The region whose exporters are bound.
    pub issuer: Region,
    /// Products covered; the cap applies to their combined quantity.
    pub products: Vec<ProductId>,
    /// Destinations covered.
    pub targets: Targets,
    /// Units that may be exported per period; drawn once per replicate.
    pub amount: Dist,
    /// Length of a period in days; the allowance resets at the start of each.
    pub period_days: u32,
}

/// A capacity shock on facilities.
#[derive(Clone, Debug, PartialEq)]
pub struct CapacityShock {
    /// Facilities hit.
    pub facilities: Vec<FacilityId>,
    /// Share of capacity left while the shock lasts, in [0, 1]; drawn once per replicate.
    pub remaining: Dist,
    /// Days over which capacity climbs back linearly after the end; drawn once per
    /// replicate (0: back at once).
    pub recovery: Dist,
}

/// A demand shock on sinks.
#[derive(Clone, Debug, PartialEq)]
pub struct DemandShock {
    /// Sinks whose demand changes.
    pub sinks: Vec<SinkId>,
    /// Factor on their demand while it lasts (1.3 = 30 % more); drawn once per replicate.
    pub factor: Dist,
}

/// A shock to shipping lanes.
#[derive(Clone, Debug, PartialEq)]
pub struct LogisticsShock {
    /// Origins of the lanes hit.
    pub from: Targets,
    /// Destinations of the lanes hit.
    pub to: Targets,
    /// What happens on them.
    pub effect: LaneEffect,
}

/// What a logistics shock does to a lane.
#[derive(Clone, Debug, PartialEq)]
pub enum LaneEffect {
    /// Each shipment takes this many extra days; drawn for each shipment.
    Delay(Dist),
    /// Nothing ships on the lane.
    Closed,
}

/// A strategic stockpile and its release rule.
#[derive(Clone, Debug, PartialEq)]
pub struct Stockpile {
    /// Product held.
    pub product: ProductId,
    /// Where it is held.
    pub region: Region,
    /// Units held at the start; drawn once per replicate.
    pub amount: Dist,
    /// Release when a recipient's shortage fraction exceeds this, in [0, 1].
    pub threshold: f64,
    /// Most units released per day.
    pub rate: f64,
    /// Who may receive it; empty for every buyer of the product.
    pub to: Vec<Recipient>,
}

/// Who a stockpile may release to.
#[derive(Clone, Debug, PartialEq)]
pub enum Recipient {
    /// One buyer.
    Buyer(Buyer),
    /// Every buyer in these regions.
    Regions(Vec<Region>),
}

/// Substitution of one input by another.
#[derive(Clone, Debug, PartialEq)]
pub struct Substitution {
    /// The facility that substitutes.
    pub facility: FacilityId,
    /// The input it replaces.
    pub input: ProductId,
    /// The product it uses instead.
    pub by: ProductId,
    /// Units of `by` per unit of `input` replaced.
    pub ratio: f64,
    /// Share of output lost while substituting, in [0, 1).
    pub penalty: f64,
    /// Days from the event's start until the switch is made; drawn once per replicate.
    pub delay: Dist,
}

/// How a supplier shares out scarce stock among open orders.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Allocation {
    /// In proportion to open order size.
    #[default]
    Proportional,
    /// Class by class in this order, proportionally within a class; buyers in no class
    /// come last.
    Priority(Vec<PriorityClass>),
}

/// A class of buyers in a priority allocation.
#[derive(Clone, Debug, PartialEq)]
pub enum PriorityClass {
    /// Buyers in the supplier's own region.
    Domestic,
    /// Buyers of this sector (`defence`, …).
    Sector(String),
    /// Buyers in these regions (a bloc or a region code).
    Regions(Vec<Region>),
    /// Every buyer.
    All,
}

/// A price index of a product: shortage lifts it, surplus lowers it.
#[derive(Clone, Debug, PartialEq)]
pub struct PriceIndex {
    /// Relative change of the price per unit of shortage (or surplus) fraction.
    pub elasticity: f64,
    /// Days for the index to close most of the gap to its target (time constant).
    pub adjust_days: f64,
}
