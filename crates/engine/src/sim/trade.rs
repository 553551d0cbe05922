//! What happens at a supplier's door each day (`docs/model.md`, "Export controls" and
//! "Responses").
//!
//! 1. Every open order (one per supply link) passes the *gate*: a closed lane holds it; an
//!    export control in force that covers its destination (directly, or by the controlled
//!    content of the supplier's output) bans it or sends it to licence review; quotas cap
//!    the covered orders together.
//! 2. The supplier's output stock is *allocated* to what passed, priority class by class,
//!    proportionally within a class.
//! 3. Shipments leave; what a rule held is counted as refused once, a share of it may
//!    *leak* through third countries, and the stock it would have taken is *diverted* to
//!    other buyers.
//! 4. Every shipment across a border is added to the trade record on its route, a leaked one
//!    as two legs through its `via` regions (`docs/model.md`, "Trade flows").

use crate::disruption::{Action, ExportControl, LaneEffect, Licence, LicenceKind, PriorityClass};
use crate::dist::{Dist, Sampler};
use crate::model::{FacilityId, Region};
use crate::plan::{lead_days, round_i64, to_units};
use crate::result::{EventKind, HoldCause, HoldRecord};
use crate::rng::{Purpose, entity_key, stream};

use super::split::{equal_part, split_proportionally};
use super::{Event, LicenceCase, Simulation};

/// Why an order is (partly) held at the border today.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Hold {
    /// Nothing holds it.
    None,
    /// An export control without licences bans it.
    Banned(u32),
    /// Its licence application was refused.
    Denied(u32),
    /// It waits for a licence decision (under the export control of this index).
    Pending(u32),
    /// A quota's allowance for the period is used up (the quota's index in `Model::events`).
    Quota(u32),
    /// The lane is closed (by the logistics shock of this index in `Model::events`).
    Closed(u32),
}

/// How a consignment leaves its supplier, for the trade record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Way {
    /// Straight to the buyer.
    Direct,
    /// Leaked through the `via` regions of export control `event`, `extra` days late.
    Leaked { event: usize, extra: u32 },
}

/// One open order at the door: what is open, what may pass, what is given.
#[derive(Clone, Copy, Debug)]
pub(super) struct Entry {
    link: u32,
    open: i64,
    cap: i64,
    /// What the rules let pass, before the release pace.
    ruled: i64,
    /// Of what is held, the part refused (a ban's, a quota's, or the books of licence
    /// applicants whose last decision was a refusal); the rest is pending.
    denied: i64,
    hold: Hold,
    give: i64,
}

impl<'p> Simulation<'p, '_> {
    /// Open orders of facility `index` that its rules let pass now (without making licence
    /// applications): what production works to.
    pub(super) fn shippable_open(&mut self, day: u32, index: usize) -> i64 {
        if !self.gated(index) {
            return self.facilities[index].open_total;
        }
        self.fill_entries(day, index, false);
        self.entries.iter().map(|e| e.cap).sum()
    }

    /// Whether any rule or lane closure could hold an order of facility `index` now.
    fn gated(&self, index: usize) -> bool {
        self.plan.facility_rules[index].iter().any(|&e| self.in_force(e))
            || self.plan.logistics.iter().any(|&e| self.states[e].active)
    }

    /// Fills `self.entries` with the open orders of facility `index` and what may pass.
    /// With `apply`, licence applications are made and decided.
    fn fill_entries(&mut self, day: u32, index: usize, apply: bool) {
        let mut entries = std::mem::take(&mut self.entries);
        entries.clear();
        let gated = self.gated(index);
        for &link in &self.plan.customers[index] {
            let open = self.links[link as usize].open;
            if open <= 0 {
                continue;
            }
            let mut entry =
                Entry { link, open, cap: open, ruled: open, denied: 0, hold: Hold::None, give: 0 };
            if gated {
                self.gate(day, index, &mut entry, apply);
            }
            entries.push(entry);
        }
        if gated {
            self.apply_quotas(index, &mut entries);
        }
        for entry in &mut entries {
            entry.ruled = entry.cap;
        }
        if let Some(pace) = self.plan.model.adaptation.release_pace {
            for entry in &mut entries {
                let link = entry.link as usize;
                let held = self.links[link].held.min(entry.open);
                if held > 0 {
                    let flow = self.plan.planned_flow[self.plan.sources[link].slot];
                    let pace_qty = (flow as f64 * self.links[link].share * pace).round().max(1.0) as i64;
                    entry.cap = entry.cap.min(entry.open - held + pace_qty);
                }
            }
        }
        self.entries = entries;
    }

    /// Applies the rules of facility `index` to one order.
    fn gate(&mut self, day: u32, index: usize, entry: &mut Entry, apply: bool) {
        let plan = self.plan;
        let model = plan.model;
        let origin = model.facilities[index].region;
        let link = entry.link as usize;
        let destination = plan.slots[plan.sources[link].slot].region;
        if destination == origin {
            return;
        }
        if let Some(event) = self.closing_lane(origin, destination) {
            entry.cap = 0;
            entry.hold = Hold::Closed(event as u32);
            return;
        }
        for &event in &plan.facility_rules[index] {
            if !self.in_force(event) {
                continue;
            }
            let Action::ExportControl(control) = &model.events[event].action else { continue };
            if control.licence.is_none() && self.covers(event, control, index, destination) {
                entry.cap = 0;
                entry.hold = Hold::Banned(event as u32);
                return;
            }
        }
        if let Some((event, licence)) = self.licensing_control(index, destination) {
            if apply {
                self.licence(day, event, index, link, entry.open, licence);
            }
            let (licensed, refused) = self.licensed(day, event, link, entry.open);
            if licensed < entry.cap {
                entry.cap = licensed.max(0);
                entry.denied = refused.min(entry.open - entry.cap);
                entry.hold =
                    if entry.denied > 0 { Hold::Denied(event as u32) } else { Hold::Pending(event as u32) };
            }
        }
    }

    /// What the licences of (`event`, `link`) let pass of `open` today, and the part of the
    /// book refused: single-shipment licences their quantity not yet shipped (at most the
    /// applicant's part of the book), multi-shipment ones the applicant's part while valid;
    /// the parts of applicants whose last decision was a refusal are refused, the rest of
    /// what is held waits for decisions (pending).
    fn licensed(&self, day: u32, event: usize, link: usize, open: i64) -> (i64, i64) {
        let Some(cases) = self.licences.get(&(event as u32, link as u32)) else { return (0, 0) };
        let n = cases.len();
        let mut licensed = 0;
        let mut refused = 0;
        let mut parts = Vec::with_capacity(n);
        synced_parts(open, cases, self.applicant_cap(day, link, cases), &mut parts);
        for (case, &part) in cases.iter().zip(&parts) {
            licensed += case.granted.clamp(0, part);
            if day < case.licensed_until {
                let covered = if case.cover >= 1.0 { part } else { round_i64(part as f64 * case.cover) };
                licensed += covered.min(part - case.granted.clamp(0, part));
            }
            if case.refused {
                refused += part;
            }
        }
        (licensed, refused)
    }

    /// The control whose licence an export of facility `index` to `destination` needs: the
    /// first in force, in file order, that covers it and asks for licences. One licence
    /// lets a shipment pass every control that asks for one (a single export licence per
    /// shipment), on that control's review terms.
    pub(super) fn licensing_control(
        &self,
        index: usize,
        destination: Region,
    ) -> Option<(usize, &'p Licence)> {
        let plan = self.plan;
        plan.facility_rules[index].iter().find_map(|&event| match &plan.model.events[event].action {
            Action::ExportControl(control)
                if self.in_force(event) && self.covers(event, control, index, destination) =>
            {
                control.licence.as_ref().map(|licence| (event, licence))
            }
            _ => None,
        })
    }

    /// Whether export control `event` covers facility `index`'s exports to `destination`:
    /// a listed product made in the issuer, or (with a content rule) any product whose
    /// controlled value share is at or above the threshold.
    pub(super) fn covers(
        &self,
        event: usize,
        control: &ExportControl,
        index: usize,
        destination: Region,
    ) -> bool {
        if !control.targets.covers(destination) {
            return false;
        }
        let facility = &self.plan.model.facilities[index];
        if control.issuer == facility.region && control.products.contains(&facility.product) {
            return true;
        }
        match (&control.content, self.rule_of[event]) {
            (Some(rule), Some(r)) => self.content_share(index, r) >= rule.threshold,
            _ => false,
        }
    }

    /// The controlled value share of facility `index`'s output stock under content rule `r`.
    pub(super) fn content_share(&self, index: usize, r: usize) -> f64 {
        let n_rules = self.plan.content_rules.len();
        let output = self.facilities[index].output;
        let value = self.plan.model.products[self.plan.model.facilities[index].product.0 as usize].value;
        if output > 0 && value > 0.0 {
            (self.output_content[index * n_rules + r] / (output as f64 * value)).clamp(0.0, 1.0)
        } else {
            self.plan.initial_content[index * n_rules + r]
        }
    }

    pub(super) fn lane_closed(&self, origin: Region, destination: Region) -> bool {
        self.closing_lane(origin, destination).is_some()
    }

    /// The first active logistics shock (index in `Model::events`) that closes the lane from
    /// `origin` to `destination`, if any.
    fn closing_lane(&self, origin: Region, destination: Region) -> Option<usize> {
        self.plan.logistics.iter().copied().find(|&event| {
            self.states[event].active
                && matches!(&self.plan.model.events[event].action,
                    Action::Logistics(shock) if shock.effect == LaneEffect::Closed
                        && shock.from.covers(origin) && shock.to.covers(destination))
        })
    }

    /// Extra days on the lane from `origin` to `destination` from logistics shocks now.
    fn lane_delay(&mut self, origin: Region, destination: Region) -> u32 {
        let mut extra = 0;
        for &event in &self.plan.logistics {
            if !self.states[event].active {
                continue;
            }
            if let Action::Logistics(shock) = &self.plan.model.events[event].action
                && let LaneEffect::Delay(dist) = &shock.effect
                && shock.from.covers(origin)
                && shock.to.covers(destination)
                && let Some(rng) = self.states[event].rng.as_mut()
            {
                extra += days(dist.sample(rng));
            }
        }
        extra
    }

    /// The licence cases of (`event`, `link`), one per applicant, each for an equal part of
    /// the book: an applicant applies when its part waits unlicensed (or its multi-shipment
    /// licence is due for renewal) and no application is open; an application is decided
    /// when its review is over (and, under an authority with a capacity, when the
    /// authority takes it up). Approved: a drawn share of what it asked for (single) or of
    /// its part for a validity period (multi); refused: nothing, and it may apply again
    /// after a drawn wait. The simple form (one applicant, no authority, single) is the
    /// engine's original licence review, draw for draw.
    fn licence(&mut self, day: u32, event: usize, index: usize, link: usize, open: i64, licence: &Licence) {
        let plan = self.plan;
        let model = plan.model;
        let terms = &licence.terms;
        let key = (event as u32, link as u32);
        let authority = plan.licence_authority[event];
        if let Some(a) = authority {
            self.authority_day(day, a);
        }
        let seed = (self.config.seed, self.config.replicate);
        let cases = self.licences.entry(key).or_insert_with(|| {
            let slot = &plan.slots[plan.sources[link].slot];
            let stream_key = entity_key(&model.events[event].id)
                ^ slot.transit_key
                ^ entity_key(&model.facilities[index].id);
            (0..terms.applicants.max(1))
                .map(|applicant| LicenceCase {
                    rng: stream(
                        seed.0,
                        seed.1,
                        stream_key ^ u64::from(applicant).wrapping_mul(0x9e37_79b9_7f4a_7c15),
                        Purpose::Licence,
                    ),
                    granted: 0,
                    book: 0,
                    synced: day,
                    licensed_until: 0,
                    cover: 0.0,
                    pending: None,
                    queued: false,
                    next_apply: 0,
                    refused: false,
                    approved_before: false,
                    general_decided: false,
                    first_applied: None,
                    first_approved: None,
                })
                .collect()
        });
        let n = cases.len();
        let slot = &plan.slots[plan.sources[link].slot];
        let approval = self.approval_of(event, slot.buyer, slot.region, terms);
        let draws = &self.draws[event];
        let renew_lead = days(licence.review.mean());
        let mut filed: Vec<(u32, u32)> = Vec::new();
        let mut decisions: Vec<(usize, bool, i64, i64, bool)> = Vec::new();
        let cap = self.applicant_cap(day, link, &self.licences[&key]);
        let cases = self.licences.get_mut(&key).expect("inserted above");
        let mut parts = Vec::with_capacity(n);
        synced_parts(open, cases, cap, &mut parts);
        for (case, &part) in cases.iter_mut().zip(&parts) {
            case.book = part;
            case.synced = day;
        }
        for (applicant, case) in cases.iter_mut().enumerate() {
            let part = case.book;
            if let Some(general) = &terms.general
                && day >= general.day
                && case.approved_before
                && !case.general_decided
            {
                case.general_decided = true;
                let draw = Dist::Uniform { low: 0.0, high: 1.0 }.sample(&mut case.rng);
                if draw < draws.general_share {
                    let until = day.saturating_add(days(general.validity.sample(&mut case.rng)).max(1));
                    case.first_approved.get_or_insert(day);
                    if until > case.licensed_until {
                        case.licensed_until = until;
                        case.cover = 1.0;
                        case.next_apply = case.next_apply.max(until.saturating_sub(renew_lead));
                        decisions.push((applicant, true, part, part, true));
                    }
                }
            }
            // Nobody applies while a multi-shipment or general licence still runs longer than
            // a review.
            let wants = match terms.kind {
                LicenceKind::Single => {
                    part > case.granted && day.saturating_add(renew_lead) >= case.licensed_until
                }
                LicenceKind::Multi { .. } => {
                    part > 0 && day.saturating_add(renew_lead) >= case.licensed_until
                }
            };
            if case.pending.is_none() && !case.queued && wants && day >= case.next_apply {
                let review = days(licence.review.sample(&mut case.rng));
                let ready = day.saturating_add(review);
                case.first_applied.get_or_insert(day);
                if authority.is_some() {
                    case.queued = true;
                    filed.push((ready, applicant as u32));
                } else {
                    case.pending = Some(ready);
                }
                case.refused = false;
            }
            if let Some(decide) = case.pending
                && day >= decide
            {
                case.pending = None;
                let requested = match terms.kind {
                    LicenceKind::Single => (part - case.granted).max(0),
                    LicenceKind::Multi { .. } => part,
                };
                let p = match (case.approved_before, draws.repeat, approval) {
                    (_, _, Some(p)) => p,
                    (true, Some(repeat), None) => repeat,
                    _ => draws.approval,
                };
                let draw = Dist::Uniform { low: 0.0, high: 1.0 }.sample(&mut case.rng);
                if p >= 1.0 || draw < p {
                    let share = licence.partial.sample(&mut case.rng).clamp(0.0, 1.0);
                    case.approved_before = true;
                    case.first_approved.get_or_insert(day);
                    match &terms.kind {
                        LicenceKind::Single => {
                            let granted = round_i64(requested as f64 * share);
                            case.granted += granted;
                            case.next_apply = case.next_apply.max(day.saturating_add(1));
                            decisions.push((applicant, true, requested, granted, false));
                        }
                        LicenceKind::Multi { validity } => {
                            // A multi-shipment licence covers the applicant's whole part: the
                            // drawn share only sizes what the timeline reports.
                            let until = day.saturating_add(days(validity.sample(&mut case.rng)).max(1));
                            case.licensed_until = case.licensed_until.max(until);
                            case.cover = 1.0;
                            case.next_apply = until.saturating_sub(renew_lead).max(day.saturating_add(1));
                            let covered = round_i64(requested as f64 * share);
                            decisions.push((applicant, true, requested, covered, false));
                        }
                    }
                } else {
                    case.refused = true;
                    case.next_apply = match &licence.reapply {
                        Some(wait) => day.saturating_add(days(wait.sample(&mut case.rng)).max(1)),
                        None => u32::MAX,
                    };
                    decisions.push((applicant, false, requested, 0, false));
                }
            }
        }
        if let Some(a) = authority {
            let state = &mut self.authorities[a];
            for (ready, applicant) in filed {
                state.seq += 1;
                state.queue.push(std::cmp::Reverse((ready, state.seq, event as u32, link as u32, applicant)));
            }
        }
        for (applicant, approved, requested, granted, general) in decisions {
            let supplier = &model.facilities[index].id;
            let buyer = model.buyer_name(slot.buyer);
            let product = &model.products[model.facilities[index].product.0 as usize].id;
            let subject = model.events[event].id.clone();
            let who = if n > 1 { format!(" (applicant {} of {n})", applicant + 1) } else { String::new() };
            if general {
                let detail = format!("general licence for {product} from {supplier} to {buyer}{who}");
                self.log(day, EventKind::LicenceGranted, subject, detail);
            } else if approved {
                let detail = format!(
                    "licence for {} of {} requested: {product} from {supplier} to {buyer}{who}",
                    to_units(granted.into()),
                    to_units(requested.into())
                );
                self.log(day, EventKind::LicenceGranted, subject, detail);
            } else {
                let detail = format!(
                    "licence for {} of {product} from {supplier} to {buyer}{who}",
                    to_units(requested.into())
                );
                self.log(day, EventKind::LicenceRefused, subject, detail);
            }
        }
    }

    /// How much of the link's new orders one applicant takes at most when the books are
    /// synced on `day`: its equal share of the link's planned daily use for each day since
    /// the last sync (at least one).
    fn applicant_cap(&self, day: u32, link: usize, cases: &[LicenceCase]) -> i64 {
        let n = cases.len().max(1) as f64;
        let days = day.saturating_sub(cases.first().map_or(0, |c| c.synced)).max(1);
        let flow =
            self.plan.planned_flow[self.plan.sources[link].slot] as f64 * self.links[link].share.max(0.0);
        (flow * f64::from(days) / n).ceil() as i64
    }

    /// The approval probability a rule of `approval_by` gives the buyer, if one matches.
    fn approval_of(
        &self,
        event: usize,
        buyer: crate::model::Buyer,
        region: Region,
        terms: &crate::disruption::LicenceTerms,
    ) -> Option<f64> {
        let model = self.plan.model;
        let sector = match buyer {
            crate::model::Buyer::Facility(f) => &model.facilities[f.0 as usize].sector,
            crate::model::Buyer::Sink(s) => &model.sinks[s.0 as usize].sector,
        };
        terms.approval_by.iter().zip(&self.draws[event].approval_by).find_map(|(rule, &p)| {
            let matches = match &rule.who {
                PriorityClass::Sector(name) => name == sector,
                PriorityClass::Regions(regions) => regions.contains(&region),
                PriorityClass::All => true,
                PriorityClass::Domestic => false,
            };
            matches.then_some(p)
        })
    }

    /// Licensing authority `a` decides, on each day up to `day` not yet processed, as many
    /// applications as its capacity allows, those whose review is over first (then in
    /// filing order); unused capacity carries over only as a fraction of a decision (an
    /// authority deciding half an application a day decides one every second day).
    fn authority_day(&mut self, day: u32, a: usize) {
        let plan = self.plan;
        let Action::ExportControl(control) = &plan.model.events[plan.authorities[a]].action else { return };
        let Some(authority) = control.licence.as_ref().and_then(|l| l.terms.authority.as_ref()) else {
            return;
        };
        let first = self.authorities[a].day.map_or(day, |d| d.saturating_add(1));
        for today in first..=day {
            let mut credit = self.authorities[a].credit.fract() + authority.capacity_on(today);
            while credit >= 1.0
                && let Some(&std::cmp::Reverse((ready, _, event, link, applicant))) =
                    self.authorities[a].queue.peek()
                && ready <= today
            {
                self.authorities[a].queue.pop();
                // An application under a control no longer in force is dropped unread.
                let live = self.in_force(event as usize);
                if live {
                    credit -= 1.0;
                }
                if let Some(case) =
                    self.licences.get_mut(&(event, link)).and_then(|cases| cases.get_mut(applicant as usize))
                {
                    case.queued = false;
                    case.pending = live.then_some(today);
                }
            }
            self.authorities[a].credit = credit;
            self.authorities[a].day = Some(today);
        }
    }

    /// Makes a share of `refused` on `link` free to leak, if control `event` leaks.
    fn add_leak(&mut self, event: usize, link: usize, refused: i64) {
        let share = self.draws[event].leak_share;
        if share > 0.0 {
            self.links[link].leak_allowance += round_i64(refused as f64 * share);
        }
    }

    /// Caps the orders that quotas in force cover by the allowance left in their period,
    /// in proportion to what may pass otherwise.
    fn apply_quotas(&mut self, index: usize, entries: &mut [Entry]) {
        let plan = self.plan;
        let origin = plan.model.facilities[index].region;
        for &event in &plan.facility_rules[index] {
            if !self.in_force(event) {
                continue;
            }
            let Action::Quota(quota) = &plan.model.events[event].action else { continue };
            let covered = |entry: &Entry| {
                let destination = plan.slots[plan.sources[entry.link as usize].slot].region;
                destination != origin && quota.targets.covers(destination) && entry.cap > 0
            };
            let total: i64 = entries.iter().filter(|e| covered(e)).map(|e| e.cap).sum();
            let left = self.states[event].left.max(0);
            if total <= left {
                continue;
            }
            let caps = entries.iter().filter(|e| covered(e)).map(|e| e.cap);
            split_proportionally(left, caps, &mut self.scratch);
            let mut parts = self.scratch.iter();
            for entry in entries.iter_mut() {
                if covered(entry) {
                    let cap = *parts.next().unwrap_or(&0);
                    // A quota holds what another rule let pass; what waits for a licence
                    // stays pending.
                    if cap < entry.cap && entry.hold == Hold::None {
                        entry.hold = Hold::Quota(event as u32);
                    }
                    entry.cap = cap;
                }
            }
        }
    }

    /// Ships output stock to open orders, class by class (proportionally within a class);
    /// counts what rules hold, leaks and diverts.
    pub(super) fn allocate(&mut self, day: u32, index: usize) {
        let plan = self.plan;
        if self.facilities[index].open_total == 0 {
            self.facilities[index].diverting = false;
            return;
        }
        self.fill_entries(day, index, true);
        let mut entries = std::mem::take(&mut self.entries);
        let stock = self.facilities[index].output;
        let mut left = stock;
        let mut start = 0;
        while start < entries.len() {
            let rank = plan.sources[entries[start].link as usize].rank;
            let end = (start..entries.len())
                .find(|&i| plan.sources[entries[i].link as usize].rank != rank)
                .unwrap_or(entries.len());
            let group = &mut entries[start..end];
            let want: i64 = group.iter().map(|e| e.cap).sum();
            if want <= left {
                group.iter_mut().for_each(|e| e.give = e.cap);
                left -= want;
            } else if left > 0 {
                split_proportionally(left, group.iter().map(|e| e.cap), &mut self.scratch);
                group.iter_mut().zip(&self.scratch).for_each(|(e, &give)| e.give = give);
                left = 0;
            }
            start = end;
        }

        let mut shipped = 0;
        let mut held_total = 0;
        let mut wanted_total = 0;
        for entry in &entries {
            let link = entry.link as usize;
            wanted_total += entry.open;
            if entry.give > 0 {
                self.ship(day, index, link, entry.give, Way::Direct);
                shipped += entry.give;
                self.count_licensed_and_quota(day, index, link, entry.give);
            }
            self.account_markets(index, entry);
            if plan.model.adaptation.release_pace.is_some() {
                // Fresh orders ship first; what a rule held before ships at the pace.
                let state = &mut self.links[link];
                let before = state.held.min(entry.open);
                let from_backlog = (entry.give - (entry.open - before)).max(0);
                let ruled_held = if entry.hold == Hold::None { 0 } else { entry.open - entry.ruled };
                state.held = (before - from_backlog).max(ruled_held).min(entry.open - entry.give);
            }
            let held = entry.open - entry.ruled;
            self.record_hold(day, link, entry.hold, held);
            if held > 0 && entry.hold != Hold::None && plan.model.adaptation.emergency.is_some() {
                let slot = plan.sources[link].slot;
                self.slots[slot].held_day.get_or_insert(day);
            }
            match entry.hold {
                Hold::Banned(_) | Hold::Denied(_) | Hold::Quota(_) => {
                    held_total += held;
                    // Under licences only the refused applicants' part is refused.
                    let held =
                        if matches!(entry.hold, Hold::Denied(_)) { entry.denied.min(held) } else { held };
                    let newly = held - self.links[link].refused_counted;
                    if newly > 0 {
                        self.facilities[index].day.refused += i128::from(newly);
                        if let Hold::Banned(event) | Hold::Denied(event) = entry.hold {
                            self.add_leak(event as usize, link, newly);
                        }
                        if !self.links[link].refusing {
                            self.links[link].refusing = true;
                            self.log_flow(day, EventKind::Refused, index, link, entry.hold, newly);
                        }
                    }
                    self.links[link].refused_counted = held;
                }
                Hold::Pending(_) => held_total += held,
                Hold::None | Hold::Closed(_) => {
                    let state = &mut self.links[link];
                    state.refused_counted = 0;
                    state.refusing = false;
                    state.leaking = false;
                }
            }
        }

        // Refused stock goes to other buyers: what they got beyond their proportional share
        // of the stock had nothing been held.
        if held_total > 0 && wanted_total > 0 {
            let baseline =
                stock.min(wanted_total) as f64 * (wanted_total - held_total) as f64 / wanted_total as f64;
            let diverted = round_i64(shipped as f64 - baseline);
            if diverted > 0 {
                self.facilities[index].day.diverted += i128::from(diverted);
                if !self.facilities[index].diverting {
                    self.facilities[index].diverting = true;
                    let id = plan.model.facilities[index].id.clone();
                    let detail = format!(
                        "{id} sends {} held at the border to other buyers",
                        to_units(diverted.into())
                    );
                    self.log(day, EventKind::Diverted, id, detail);
                }
            }
        } else {
            self.facilities[index].diverting = false;
        }

        // Leakage: refused flow that reaches its buyer through third countries, from what
        // stock is left, after an extra delay.
        if plan.features.leakage {
            let mut left = self.facilities[index].output;
            for entry in &entries {
                let (Hold::Banned(event) | Hold::Denied(event)) = entry.hold else { continue };
                let link = entry.link as usize;
                let qty = self.links[link].leak_allowance.min(entry.open - entry.give).min(left);
                if qty <= 0 {
                    continue;
                }
                let event = event as usize;
                let Action::ExportControl(control) = &plan.model.events[event].action else { continue };
                let Some(leakage) = &control.leakage else { continue };
                let extra = match self.states[event].rng.as_mut() {
                    Some(rng) => days(leakage.delay.sample(rng)),
                    None => 0,
                };
                // What leaks is no longer held at the border.
                self.links[link].leak_allowance -= qty;
                self.links[link].refused_counted -= qty;
                left -= qty;
                self.ship(day, index, link, qty, Way::Leaked { event, extra });
                self.facilities[index].day.leaked += i128::from(qty);
                if !self.links[link].leaking {
                    self.links[link].leaking = true;
                    self.log_flow(day, EventKind::Leaked, index, link, entry.hold, qty);
                }
            }
        }
        self.entries = entries;
    }

    /// Counts a shipment against the licences and quotas that cover it.
    fn count_licensed_and_quota(&mut self, day: u32, index: usize, link: usize, qty: i64) {
        let plan = self.plan;
        let origin = plan.model.facilities[index].region;
        let destination = plan.slots[plan.sources[link].slot].region;
        if destination == origin {
            return;
        }
        if let Some((event, _)) = self.licensing_control(index, destination)
            && let Some(cases) = self.licences.get_mut(&(event as u32, link as u32))
        {
            // The shipment comes off the parts of the applicants licensed for it, in
            // proportion to what each may ship; single-shipment licences are used up.
            let may = |c: &LicenceCase| {
                let single = c.granted.clamp(0, c.book.max(0));
                if day < c.licensed_until { c.book.max(0) } else { single }
            };
            let total: i64 = cases.iter().map(may).sum();
            let used = qty.min(total);
            if used > 0 {
                split_proportionally(used, cases.iter().map(may), &mut self.scratch);
                for (case, &part) in cases.iter_mut().zip(&self.scratch) {
                    if day >= case.licensed_until {
                        case.granted -= part;
                    }
                    case.book -= part;
                }
            }
            self.facilities[index].day.licensed += i128::from(qty);
        }
        for &event in &plan.facility_rules[index] {
            if let Action::Quota(quota) = &plan.model.events[event].action
                && self.in_force(event)
                && quota.targets.covers(destination)
            {
                self.states[event].left -= qty;
            }
        }
    }

    /// Adds an order to the day's price accumulators of its buyer's and seller's markets.
    fn account_markets(&mut self, index: usize, entry: &Entry) {
        if self.plan.markets.is_empty() {
            return;
        }
        let slot = self.plan.sources[entry.link as usize].slot;
        if let Some(market) = self.plan.slot_market[slot] {
            self.market_day[market].wanted += entry.open as f64;
            self.market_day[market].got += entry.give as f64;
        }
        if let Some(market) = self.plan.facility_market[index] {
            self.market_day[market].sellers_open += entry.open as f64;
            if !matches!(entry.hold, Hold::None | Hold::Closed(_)) {
                self.market_day[market].sellers_held += (entry.open - entry.cap) as f64;
            }
        }
    }

    /// Adds a day of `held` micro-units held at the door by `hold` on `link` to the link's
    /// hold episodes (`RunResult::holds`): the same cause on consecutive days extends the
    /// episode, anything else starts a new one.
    fn record_hold(&mut self, day: u32, link: usize, hold: Hold, held: i64) {
        let cause = match hold {
            Hold::None => return,
            Hold::Banned(event) => HoldCause::Banned(event as usize),
            Hold::Denied(event) => HoldCause::LicenceRefused(event as usize),
            Hold::Pending(event) => HoldCause::LicencePending(event as usize),
            Hold::Quota(event) => HoldCause::Quota(event as usize),
            Hold::Closed(event) => HoldCause::LaneClosed(event as usize),
        };
        if held <= 0 {
            return;
        }
        let units = to_units(held.into());
        if let Some(index) = self.links[link].hold_record
            && let Some(record) = self.holds.get_mut(index as usize)
            && record.cause == cause
            && record.last_day.saturating_add(1) >= day
        {
            record.last_day = day;
            record.held_peak = record.held_peak.max(units);
            return;
        }
        let source = self.plan.sources[link];
        self.links[link].hold_record = Some(self.holds.len() as u32);
        self.holds.push(HoldRecord {
            supplier: FacilityId(source.from as u32),
            buyer: self.plan.slots[source.slot].buyer,
            cause,
            first_day: day,
            last_day: day,
            held_first: units,
            held_peak: units,
        });
    }

    /// Logs the first day of a refusal or leakage episode on a link.
    fn log_flow(&mut self, day: u32, kind: EventKind, index: usize, link: usize, hold: Hold, qty: i64) {
        let model = self.plan.model;
        let supplier = model.facilities[index].id.clone();
        let buyer = model.buyer_name(self.plan.slots[self.plan.sources[link].slot].buyer);
        let control = match hold {
            Hold::Banned(event) | Hold::Denied(event) => model.events[event as usize].id.as_str(),
            _ => "a quota",
        };
        let verb = if kind == EventKind::Leaked { "leaks" } else { "holds" };
        let detail = format!("{supplier} {verb} {} for {buyer} ({control})", to_units(qty.into()));
        self.log(day, kind, supplier, detail);
    }

    /// Sends `qty` from facility `index`'s output on `link`, arriving after the link's
    /// transit time plus lane delays (plus a leak's extra days), and adds it to the trade
    /// record.
    fn ship(&mut self, day: u32, index: usize, link: usize, qty: i64, way: Way) {
        let plan = self.plan;
        let extra = match way {
            Way::Direct => {
                if let Some(route) = plan.routes.direct[link] {
                    self.trade.add(route, day, day, qty);
                }
                0
            }
            Way::Leaked { event, extra } => {
                self.count_leak(day, link, qty, event, extra);
                extra
            }
        };
        let source = plan.sources[link];
        let slot = source.slot;
        let slot_plan = &plan.slots[slot];
        let origin = plan.model.facilities[index].region;
        let n_rules = plan.content_rules.len();
        if n_rules > 0 {
            let from = &mut self.output_content[index * n_rules..(index + 1) * n_rules];
            let to = &mut self.link_content[link * n_rules..(link + 1) * n_rules];
            super::move_content(from, to, qty, self.facilities[index].output);
        }
        let state = &mut self.facilities[index];
        state.output -= qty;
        state.open_total -= qty;
        state.day.shipped += i128::from(qty);
        if slot_plan.region != origin {
            state.day.exported += i128::from(qty);
        }
        if source.alternate.is_some() {
            state.day.resourced += i128::from(qty);
        }
        let link_state = &mut self.links[link];
        link_state.open -= qty;
        link_state.in_transit += qty;
        self.slots[slot].in_transit += qty;
        let transit = match &plan.transit[slot_plan.supply] {
            Sampler::Const(days) => *days,
            sampler => sampler.sample(&mut self.transit_rngs[slot]),
        };
        let lane = if slot_plan.region != origin && !plan.logistics.is_empty() {
            self.lane_delay(origin, slot_plan.region)
        } else {
            0
        };
        let arrival = day.saturating_add(lead_days(transit)).saturating_add(lane).saturating_add(extra);
        // Past the horizon it stays in transit, as the ledger counts it at the end.
        self.schedule(arrival, Event::Arrive { link: link as u32, qty });
    }

    /// Adds a consignment leaked under control `event` to the trade record (a direct one
    /// goes to its link's route in `ship`): in equal parts to the `via` regions' legs, the
    /// first leg on the day it leaves, the second `extra` days later (if still inside the
    /// horizon). Legs inside one region have no route and are not trade.
    fn count_leak(&mut self, day: u32, link: usize, qty: i64, event: usize, extra: u32) {
        let routes = &self.plan.routes;
        let trade = &mut self.trade;
        let today = day;
        let mut add = |route: Option<u32>, day: u32, qty: i64| {
            if let Some(route) = route {
                trade.add(route, today, day, qty);
            }
        };
        let path = routes.leaks[routes.link_leaks[link].clone()].iter().find(|path| path.event == event);
        debug_assert!(path.is_some(), "the plan routes every control that can leak on a link");
        match path.map(|path| &routes.legs[path.legs.clone()]) {
            Some(legs) if !legs.is_empty() => {
                for (index, leg) in legs.iter().enumerate() {
                    let part = equal_part(qty, legs.len(), index);
                    add(leg.first, day, part);
                    add(leg.second, day.saturating_add(extra), part);
                }
            }
            // No third country named (a model built through the API): straight across.
            _ => add(routes.direct[link], day, qty),
        }
    }
}

/// Each applicant's part of a link's `open` orders: its book, with what the books lack
/// (orders placed since) given to the smallest books first, each at most `cap` (its share of
/// the link's planned use over the days since the books were last synced) and the rest in
/// equal parts; or what they have too much (orders cancelled, leaked) taken in proportion.
/// An applicant whose orders are held keeps a large book and orders little more, as a buyer
/// counts what is on order; one that ships orders for its own use. One applicant's part is
/// the whole book.
fn synced_parts(open: i64, cases: &[LicenceCase], cap: i64, out: &mut Vec<i64>) {
    out.clear();
    let n = cases.len();
    if n == 1 {
        out.push(open);
        return;
    }
    let books: i64 = cases.iter().map(|c| c.book.max(0)).sum();
    let delta = open - books;
    if delta >= 0 {
        out.extend(cases.iter().map(|c| c.book.max(0)));
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by_key(|&j| (out[j], j));
        let mut left = delta;
        for _ in 0..n {
            // Water-filling, one applicant capped at a time.
            if left <= 0 {
                break;
            }
            let mut given = false;
            let mut k = 0;
            while k < n && left > 0 {
                let j = order[k];
                let room = cap - (out[j] - cases[j].book.max(0));
                if room > 0 {
                    let level = out[j];
                    let next =
                        order[k + 1..].iter().map(|&i| out[i]).find(|&b| b > level).unwrap_or(i64::MAX);
                    let take = room.min(next.saturating_sub(level)).min(left);
                    if take > 0 {
                        out[j] += take;
                        left -= take;
                        given = true;
                    }
                }
                k += 1;
            }
            if !given {
                break;
            }
            order.sort_by_key(|&j| (out[j], j));
        }
        for (i, part) in out.iter_mut().enumerate() {
            *part += equal_part(left.max(0), n, i);
        }
    } else if books > 0 {
        split_proportionally(open.max(0), cases.iter().map(|c| c.book.max(0)), out);
    } else {
        out.extend(cases.iter().map(|_| 0));
    }
}

/// A drawn number of days as whole days ≥ 0.
fn days(value: f64) -> u32 {
    value.round().clamp(0.0, crate::model::MAX_DAYS) as u32
}
