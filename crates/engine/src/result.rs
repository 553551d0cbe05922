//! What a run produces: daily series per entity and metric, bilateral trade flows, the
//! timeline of events played, KPIs per entity, and a conservation ledger per product.

use crate::model::{Buyer, FacilityId, ProductId, Region};

/// Kind of an entity in results.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntityKind {
    /// A facility (plant).
    Facility,
    /// A demand sink.
    Sink,
    /// A strategic stockpile (a `stockpile` event).
    Stockpile,
}

impl EntityKind {
    /// Lower-case name used in outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::Facility => "facility",
            EntityKind::Sink => "sink",
            EntityKind::Stockpile => "stockpile",
        }
    }
}

/// An entity that results are reported for.
#[derive(Clone, Debug, PartialEq)]
pub struct EntityInfo {
    /// Its id.
    pub id: String,
    /// Facility or sink.
    pub kind: EntityKind,
    /// Where it is.
    pub region: Region,
    /// What it makes (facility) or consumes (sink).
    pub product: ProductId,
}

/// One metric of one entity, one value per day.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// Index into [`RunResult::entities`].
    pub entity: usize,
    /// Metric name (`stock`, `unmet`, `input_stock.dy_oxide`, … see `docs/model.md`).
    pub metric: String,
    /// Whether the metric is a flow per day (summed over a report step) rather than a level.
    pub is_flow: bool,
    /// Values, one per day from day 0.
    pub values: Vec<f64>,
}

/// One licence applicant (`docs/model.md`, "Licensing authorities"): a buyer's part of one
/// supply link under one licensing control.
#[derive(Clone, Debug, PartialEq)]
pub struct Applicant {
    /// Index of the control in `Model::events`.
    pub control: usize,
    /// The supplier of the supply link it applies for.
    pub supplier: FacilityId,
    /// The buyer of that link.
    pub buyer: Buyer,
    /// The buyer's region.
    pub importer: Region,
    /// Day of its first application.
    pub applied: u32,
    /// Day of its first approval (a general licence counts), if any.
    pub approved: Option<u32>,
}

impl RunResult {
    /// The share of applicants under `control` (to `importer`, or to any) that had applied
    /// by the end of `day` and been approved by then; `None` when none had applied.
    pub fn approved_share(&self, control: usize, importer: Option<Region>, day: u32) -> Option<f64> {
        let (mut applied, mut approved) = (0usize, 0usize);
        for a in &self.applicants {
            if a.control == control && importer.is_none_or(|r| r == a.importer) && a.applied <= day {
                applied += 1;
                approved += usize::from(a.approved.is_some_and(|d| d <= day));
            }
        }
        (applied > 0).then(|| approved as f64 / applied as f64)
    }
}

/// One route's exports of one product: the goods that left `exporter` for `importer`,
/// counted on the day they left, as customs statistics count exports.
#[derive(Clone, Debug, PartialEq)]
pub struct TradeFlow {
    /// Where the goods left from.
    pub exporter: Region,
    /// Where they were going (for a leaked shipment's first leg: the third country).
    pub importer: Region,
    /// What they were.
    pub product: ProductId,
    /// Units (not micro-units) that left each day, one value per day of the horizon.
    pub daily: Vec<f64>,
}

/// What kind of thing happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// An export control was announced: buyers it will bind stock up until it starts.
    ControlAnnounced,
    /// An export control began to apply.
    ControlStarted,
    /// An export control stopped applying.
    ControlEnded,
    /// A suspension lifted a control.
    ControlSuspended,
    /// A suspension ended: the control applies again.
    ControlResumed,
    /// An export quota began to apply.
    QuotaStarted,
    /// An export quota stopped applying.
    QuotaEnded,
    /// A licence application was approved (wholly or in part).
    LicenceGranted,
    /// A licence application was refused.
    LicenceRefused,
    /// A supplier began holding a buyer's orders at the border (first day of an episode).
    Refused,
    /// Refused flow began reaching a buyer through third countries (first day of an episode).
    Leaked,
    /// A supplier began sending stock refused to covered buyers to others (first day of an episode).
    Diverted,
    /// A buyer started moving orders from a cut-off source to an alternate, or returned to its
    /// original sources.
    Resourced,
    /// A stockpile became available for release.
    StockpileOpened,
    /// A stockpile began releasing (first day of an episode).
    StockpileReleased,
    /// A stockpile's release rule ended.
    StockpileClosed,
    /// A facility switched to a substitute input.
    SubstitutionStarted,
    /// A facility went back to its original input.
    SubstitutionEnded,
    /// A facility came online.
    FacilityOnline,
    /// A capacity, demand or logistics shock began.
    ShockStarted,
    /// A capacity, demand or logistics shock ended.
    ShockEnded,
}

impl EventKind {
    /// Snake-case name used in `events.csv`.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::ControlAnnounced => "control_announced",
            EventKind::ControlStarted => "control_started",
            EventKind::ControlEnded => "control_ended",
            EventKind::ControlSuspended => "control_suspended",
            EventKind::ControlResumed => "control_resumed",
            EventKind::QuotaStarted => "quota_started",
            EventKind::QuotaEnded => "quota_ended",
            EventKind::LicenceGranted => "licence_granted",
            EventKind::LicenceRefused => "licence_refused",
            EventKind::Refused => "refused",
            EventKind::Leaked => "leaked",
            EventKind::Diverted => "diverted",
            EventKind::Resourced => "resourced",
            EventKind::StockpileOpened => "stockpile_opened",
            EventKind::StockpileReleased => "stockpile_released",
            EventKind::StockpileClosed => "stockpile_closed",
            EventKind::SubstitutionStarted => "substitution_started",
            EventKind::SubstitutionEnded => "substitution_ended",
            EventKind::FacilityOnline => "facility_online",
            EventKind::ShockStarted => "shock_started",
            EventKind::ShockEnded => "shock_ended",
        }
    }
}

/// One entry of the timeline actually played.
#[derive(Clone, Debug, PartialEq)]
pub struct EventRecord {
    /// Day it happened (0-based from the start date).
    pub day: u32,
    /// What happened.
    pub kind: EventKind,
    /// The id of what it happened to: the event, or the facility or buyer for flows.
    pub subject: String,
    /// Plain-language detail.
    pub detail: String,
}

/// Why a supplier's door held a buyer's orders (see [`HoldRecord`]). Each names the rule
/// by its index in `Model::events`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HoldCause {
    /// An export control without licences banned them.
    Banned(usize),
    /// They waited for licence decisions under this export control.
    LicencePending(usize),
    /// A licence application under this export control was refused (the refused
    /// applicants' part; the rest may still be pending).
    LicenceRefused(usize),
    /// This quota's allowance for the period was used up.
    Quota(usize),
    /// This logistics shock closed the lane.
    LaneClosed(usize),
}

/// One episode of a supplier holding one buyer's orders at its door for one cause: the
/// days, one after another, on which the same rule held some of the orders of one supply
/// link (or alternate). The timeline (`events`) logs only the first day of refusals; this
/// record also says which link, which rule, and how much waited, for pending licences and
/// closed lanes too. It changes nothing the run does.
#[derive(Clone, Debug, PartialEq)]
pub struct HoldRecord {
    /// The supplier whose orders were held.
    pub supplier: FacilityId,
    /// The buyer they were for.
    pub buyer: Buyer,
    /// Why.
    pub cause: HoldCause,
    /// First day of the episode.
    pub first_day: u32,
    /// Last day of the episode (the rule may hold again later: a new episode).
    pub last_day: u32,
    /// Units (of the supplier's product) held on the first day.
    pub held_first: f64,
    /// Most units held on any day of the episode.
    pub held_peak: f64,
}

/// Key performance indicators of one entity over one run (see `docs/model.md`).
#[derive(Clone, Debug, PartialEq)]
pub struct Kpis {
    /// Days from the first disruptive event to the first day with unmet demand (or
    /// production lost for want of inputs); `None` if that never happens.
    pub time_to_survive_days: Option<u32>,
    /// Days from the first disruptive event until the shortage fraction stays below 1 %
    /// for 14 consecutive days after having reached it; `None` if it never reached 1 %
    /// or had not recovered by the horizon.
    pub time_to_recover_days: Option<u32>,
    /// Largest daily shortage fraction (0 to 1).
    pub peak_shortage: f64,
    /// Demand (or planned production) not met, in the product's units.
    pub unmet_units: f64,
    /// `unmet_units` times the product's value.
    pub lost_value: f64,
    /// Share of demand (or planned production) met on the day it arose (1 when none arose).
    pub fill_rate: f64,
}

/// How close an entity came to running out (`docs/model.md`, "Headroom"): its lowest
/// cover over the run, stock on hand plus in transit of one input at the end of a day,
/// divided by that input's planned use per day.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Headroom {
    /// Fewest days of cover (0 when it ran out of stock and had nothing on the way).
    pub min_cover_days: f64,
    /// First day (0-based) it was that low.
    pub day: u32,
    /// The input that set it (a sink's own product).
    pub input: crate::model::ProductId,
    /// The supplier of that input with the most orders not yet shipped on that day (held
    /// at a border included); `None` when no order was open.
    pub supplier: Option<crate::model::FacilityId>,
}

/// Conservation ledger of one product over a run, in micro-units (10⁻⁶ of the product's
/// unit), so that it balances exactly.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ledger {
    /// Stock on hand and in transit at the start.
    pub initial: i128,
    /// Made by facilities.
    pub produced: i128,
    /// Used up as inputs by facilities.
    pub consumed: i128,
    /// Delivered to demand sinks' users.
    pub delivered_to_sinks: i128,
    /// On hand at the end (facility output and input stocks, sink stocks).
    pub final_stock: i128,
    /// Shipped but not yet arrived at the end.
    pub in_transit: i128,
    /// Held in strategic stockpiles at the end.
    pub held: i128,
}

impl Ledger {
    /// initial + produced − (consumed + delivered + final + in transit + held): zero when
    /// nothing was created or lost.
    pub fn imbalance(&self) -> i128 {
        self.initial + self.produced
            - (self.consumed + self.delivered_to_sinks + self.final_stock + self.in_transit + self.held)
    }
}

/// Everything one replicate produced.
#[derive(Clone, Debug, PartialEq)]
pub struct RunResult {
    /// Days simulated.
    pub horizon_days: u32,
    /// Entities, facilities first (model order), then sinks (model order).
    pub entities: Vec<EntityInfo>,
    /// Daily series, grouped by entity in entity order.
    pub series: Vec<Series>,
    /// Bilateral trade: one flow per route any link, alternate or leak leg of the model can
    /// ever carry (so every replicate of a plan lists the same routes; a route that carried
    /// nothing has zeros), sorted by (exporter code, importer code, product index).
    /// Domestic shipments are not trade and have no route; a leaked shipment counts as two
    /// legs through its `via` regions (`docs/model.md`, "Trade flows").
    pub trade: Vec<TradeFlow>,
    /// The timeline played, in time order.
    pub events: Vec<EventRecord>,
    /// Episodes of orders held at suppliers' doors (by a control, a pending or refused
    /// licence, a quota or a closed lane), in the order they began (supplier's allocation
    /// order within a day).
    pub holds: Vec<HoldRecord>,
    /// Every licence applicant of the run: under which control, for which buyer, when it
    /// first applied and when it was first approved, sorted by (control, link, applicant).
    pub applicants: Vec<Applicant>,
    /// KPIs, one per entity, in entity order.
    pub kpis: Vec<Kpis>,
    /// Headroom, one per entity, in entity order: `None` for an entity without inputs (a
    /// mine, a stockpile) or not online within the horizon.
    pub headroom: Vec<Option<Headroom>>,
    /// Conservation ledger per product, in model order.
    pub ledgers: Vec<Ledger>,
    /// Day of the first disruptive event, if one happened within the horizon.
    pub first_disruption_day: Option<u32>,
    /// Events the loop processed (for performance figures).
    pub n_events: u64,
}

impl RunResult {
    /// The series of an entity's metric.
    pub fn series(&self, entity_id: &str, metric: &str) -> Option<&[f64]> {
        let entity = self.entities.iter().position(|e| e.id == entity_id)?;
        self.series.iter().find(|s| s.entity == entity && s.metric == metric).map(|s| s.values.as_slice())
    }

    /// The KPIs of an entity.
    pub fn kpis(&self, entity_id: &str) -> Option<&Kpis> {
        let entity = self.entities.iter().position(|e| e.id == entity_id)?;
        self.kpis.get(entity)
    }

    /// Number of report steps of `step_days` days in the horizon (the last may be short).
    pub fn n_steps(&self, step_days: u32) -> usize {
        (self.horizon_days as usize).div_ceil(step_days.max(1) as usize)
    }

    /// Every series sampled at report steps of `step_days` days, appended to `out`
    /// series by series (in [`RunResult::series`] order), [`RunResult::n_steps`] values each.
    ///
    /// A flow is summed over the step, a level is taken on the step's last day, and the
    /// shortage fraction is recomputed from the step's unmet and demand totals, so a weekly
    /// row says what share of the week's demand went unmet.
    pub fn step_values(&self, step_days: u32, out: &mut Vec<f64>) {
        self.step_values_of(step_days, 0..self.series.len(), out);
    }

    /// The series at indices `series` (into [`RunResult::series`]), sampled as
    /// [`RunResult::step_values`] does, appended to `out` in the order given.
    pub fn step_values_of(
        &self,
        step_days: u32,
        series: impl IntoIterator<Item = usize>,
        out: &mut Vec<f64>,
    ) {
        let step = step_days.max(1) as usize;
        let n_days = self.horizon_days as usize;
        // Each entity's demand and unmet series, found in one pass.
        let mut flows: Vec<(Option<usize>, Option<usize>)> = vec![(None, None); self.entities.len()];
        for (index, s) in self.series.iter().enumerate() {
            match s.metric.as_str() {
                "demand" => _ = flows[s.entity].0.get_or_insert(index),
                "unmet" => _ = flows[s.entity].1.get_or_insert(index),
                _ => {}
            }
        }
        for index in series {
            let series = &self.series[index];
            if step == 1 {
                // A one-day step: a flow's sum and a level's last day are the day's value
                // (a sum of one value starts from -0.0 and is that value, bit for bit).
                if series.metric == "shortage_fraction" {
                    let (demand, unmet) = flows[series.entity];
                    match (demand, unmet) {
                        (Some(demand), Some(unmet)) => {
                            let (demand, unmet) = (&self.series[demand].values, &self.series[unmet].values);
                            out.extend(
                                (0..n_days).map(|d| if demand[d] > 0.0 { unmet[d] / demand[d] } else { 0.0 }),
                            );
                        }
                        _ => out.extend(std::iter::repeat_n(0.0, n_days)),
                    }
                } else {
                    out.extend_from_slice(&series.values[..n_days]);
                }
                continue;
            }
            if series.metric == "shortage_fraction" {
                let (demand, unmet) = flows[series.entity];
                let values = |i: Option<usize>| i.map(|i| &self.series[i].values);
                let (demand, unmet) = (values(demand), values(unmet));
                for start in (0..n_days).step_by(step) {
                    let end = (start + step).min(n_days);
                    let total = |s: Option<&Vec<f64>>| s.map_or(0.0, |v| v[start..end].iter().sum::<f64>());
                    let demand = total(demand);
                    out.push(if demand > 0.0 { total(unmet) / demand } else { 0.0 });
                }
            } else if series.is_flow {
                out.extend(series.values[..n_days].chunks(step).map(|c| c.iter().sum::<f64>()));
            } else {
                out.extend(series.values[..n_days].chunks(step).map(|c| c[c.len() - 1]));
            }
        }
    }
}

/// Shortage fraction at which an entity counts as short for recovery (1 %).
pub const RECOVERY_THRESHOLD: f64 = 0.01;
/// Consecutive days below the threshold that count as recovered.
pub const RECOVERY_DAYS: usize = 14;

/// When a daily shortage fraction recovers, looking from day `from` to day `n_days`: `None`
/// if it never reaches [`RECOVERY_THRESHOLD`]; `Some(None)` if it does and has not stayed
/// below it for [`RECOVERY_DAYS`] consecutive days by the end; `Some(Some(day))` with the
/// first day of that stretch.
pub fn recovery_day(fraction: impl Fn(usize) -> f64, from: usize, n_days: usize) -> Option<Option<usize>> {
    let short = (from..n_days).find(|&d| fraction(d) >= RECOVERY_THRESHOLD)?;
    Some(
        (short + 1..=n_days.saturating_sub(RECOVERY_DAYS))
            .find(|&start| (start..start + RECOVERY_DAYS).all(|d| fraction(d) < RECOVERY_THRESHOLD)),
    )
}

/// Computes KPIs from daily demand and unmet series.
pub fn compute_kpis(demand: &[f64], unmet: &[f64], value: f64, first_event: Option<u32>) -> Kpis {
    let fraction = |day: usize| if demand[day] > 0.0 { unmet[day] / demand[day] } else { 0.0 };
    let n_days = demand.len().min(unmet.len());
    // The two totals (each summed in day order from -0.0, as `Iterator::sum` does) and the
    // peak in one pass: the chains of additions run side by side. A day without unmet
    // demand adds a zero to the maximum: no division needed.
    let (mut total_demand, mut total_unmet, mut peak_shortage) = (-0.0_f64, -0.0_f64, 0.0_f64);
    for d in 0..n_days {
        total_demand += demand[d];
        total_unmet += unmet[d];
        peak_shortage = peak_shortage.max(if unmet[d] > 0.0 { fraction(d) } else { 0.0 });
    }
    let total_demand = demand[n_days..].iter().fold(total_demand, |total, &v| total + v);
    let total_unmet = unmet[n_days..].iter().fold(total_unmet, |total, &v| total + v);
    let (time_to_survive_days, time_to_recover_days) = match first_event {
        Some(event) => {
            let event = event as usize;
            let survive = (event..n_days).find(|&d| unmet[d] > 0.0).map(|d| (d - event) as u32);
            let recover = recovery_day(fraction, event, n_days).flatten().map(|day| (day - event) as u32);
            (survive, recover)
        }
        None => (None, None),
    };
    Kpis {
        time_to_survive_days,
        time_to_recover_days,
        peak_shortage,
        unmet_units: total_unmet,
        lost_value: total_unmet * value,
        fill_rate: if total_demand > 0.0 { 1.0 - total_unmet / total_demand } else { 1.0 },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kpis_of_a_hand_made_shortage() {
        // Demand 10 a day for 40 days; event on day 5; short 5 units a day on days 12..=19.
        let demand = vec![10.0; 40];
        let mut unmet = vec![0.0; 40];
        unmet[12..=19].fill(5.0);
        let kpis = compute_kpis(&demand, &unmet, 3.0, Some(5));
        assert_eq!(kpis.time_to_survive_days, Some(7));
        // Short until day 19, below 1 % from day 20 for 14 days: recovered 15 days after.
        assert_eq!(kpis.time_to_recover_days, Some(15));
        assert_eq!(kpis.peak_shortage, 0.5);
        assert_eq!(kpis.unmet_units, 40.0);
        assert_eq!(kpis.lost_value, 120.0);
        assert_eq!(kpis.fill_rate, 1.0 - 40.0 / 400.0);
    }

    #[test]
    fn recovery_has_three_outcomes() {
        // 2 % short on days 3..=5 of 30: back below 1 % from day 6, for 14 days by day 19.
        let series = |d: usize| if (3..=5).contains(&d) { 0.02 } else { 0.0 };
        assert_eq!(recovery_day(series, 0, 30), Some(Some(6)));
        // Seen from day 6, it never reaches 1 %.
        assert_eq!(recovery_day(series, 6, 30), None);
        // Only 13 days remain after the shortage: not recovered.
        assert_eq!(recovery_day(series, 0, 19), Some(None));
    }

    #[test]
    fn no_recovery_when_the_horizon_ends_too_soon() {
        let demand = vec![10.0; 30];
        let mut unmet = vec![0.0; 30];
        unmet[20] = 10.0;
        // Below 1 % from day 21, but only 9 days remain.
        let kpis = compute_kpis(&demand, &unmet, 1.0, Some(0));
        assert_eq!(kpis.time_to_survive_days, Some(20));
        assert_eq!(kpis.time_to_recover_days, None);
    }
}
