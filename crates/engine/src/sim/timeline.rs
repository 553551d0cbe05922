//! Scenario events starting and ending: what each does to the state, and its line in the
//! timeline (`events.csv`).

use crate::disruption::{Action, End};
use crate::result::EventKind;

use super::{Event, Simulation, record};

impl Simulation<'_, '_> {
    pub(super) fn start(&mut self, day: u32, index: usize) {
        let model = self.plan.model;
        let event = &model.events[index];
        // Its start day ends an announcement's window, even for a control that never
        // happens (its end is at or before its start).
        self.states[index].announced = false;
        if self.states[index].started.is_some() {
            return;
        }
        let end = match &event.end {
            None => None,
            Some(End::Day(end)) => Some(*end),
            Some(End::After(_)) => self.draws[index].length.map(|days| day.saturating_add(days)),
        };
        if end.is_some_and(|end| end <= day) {
            return;
        }
        self.states[index].started = Some(day);
        self.states[index].active = true;
        if let Some(end) = end {
            self.schedule(end, Event::End(index as u32));
        }
        for dependent in self.plan.dependents[index].clone() {
            let delay = self.draws[dependent].delay;
            self.schedule(day.saturating_add(delay), Event::Start(dependent as u32));
        }
        let id = event.id.clone();
        if event.action.is_disruptive() && self.first_disruption.is_none() {
            self.first_disruption = Some(day);
        }
        match &event.action {
            Action::ExportControl(control) => {
                let how = match (&control.licence, &control.content) {
                    (None, _) => "bans",
                    (Some(_), _) => "requires licences for",
                };
                let reach = match &control.content {
                    Some(rule) => {
                        format!(" and any product with {} % or more of their value", rule.threshold * 100.0)
                    }
                    None => String::new(),
                };
                let suspended = if self.states[index].suspended > 0 { " (suspended for now)" } else { "" };
                let detail = format!(
                    "{} {how} exports of {}{reach} to {}{suspended}",
                    control.issuer,
                    self.product_list(&control.products),
                    record::targets_text(&control.targets)
                );
                self.log(day, EventKind::ControlStarted, id, detail);
            }
            Action::Quota(quota) => {
                self.states[index].left = self.draws[index].amount;
                self.schedule(day.saturating_add(quota.period_days), Event::QuotaReset(index as u32));
                let detail = format!(
                    "{} caps exports of {} to {} at {} per {} days",
                    quota.issuer,
                    self.product_list(&quota.products),
                    record::targets_text(&quota.targets),
                    crate::plan::to_units(self.draws[index].amount.into()),
                    quota.period_days
                );
                self.log(day, EventKind::QuotaStarted, id, detail);
            }
            Action::Suspend { control } => {
                let control = control.0 as usize;
                self.states[control].suspended += 1;
                let detail = format!("{} is suspended", model.events[control].id);
                self.log(day, EventKind::ControlSuspended, id, detail);
            }
            Action::Capacity(shock) => {
                let detail = format!(
                    "capacity of {} cut to {:.0} %",
                    self.facility_list(&shock.facilities),
                    self.draws[index].factor * 100.0
                );
                self.log(day, EventKind::ShockStarted, id, detail);
            }
            Action::Demand(shock) => {
                let names: Vec<&str> =
                    shock.sinks.iter().map(|s| model.sinks[s.0 as usize].id.as_str()).collect();
                let detail = format!("demand of {} × {}", names.join(", "), self.draws[index].factor);
                self.log(day, EventKind::ShockStarted, id, detail);
            }
            Action::Logistics(shock) => {
                let effect = match &shock.effect {
                    crate::disruption::LaneEffect::Closed => "closed".to_owned(),
                    crate::disruption::LaneEffect::Delay(dist) => format!("{:.0} days longer", dist.mean()),
                };
                let detail = format!(
                    "lanes from {} to {} {effect}",
                    record::targets_text(&shock.from),
                    record::targets_text(&shock.to)
                );
                self.log(day, EventKind::ShockStarted, id, detail);
            }
            Action::Stockpile(stockpile) => {
                let product = &model.products[stockpile.product.0 as usize];
                let detail = format!(
                    "{} {} of {} held in {} may be released",
                    crate::plan::to_units(self.states[index].left.into()),
                    product.unit,
                    product.id,
                    stockpile.region
                );
                self.log(day, EventKind::StockpileOpened, id, detail);
            }
            Action::Substitute(_) => {
                let delay = self.draws[index].days;
                self.schedule(day.saturating_add(delay), Event::Switch(index as u32));
            }
        }
    }

    /// An export control is announced: until it starts, the buyers it will bind order up to
    /// the announced target (`Plan::raised`). An announcement after the control started (an
    /// escalated start drawn earlier) does nothing.
    pub(super) fn announce(&mut self, day: u32, index: usize) {
        let model = self.plan.model;
        let event = &model.events[index];
        let Action::ExportControl(control) = &event.action else { return };
        let Some(announcement) = &control.announcement else { return };
        if self.states[index].started.is_some() {
            return;
        }
        self.states[index].announced = true;
        let n_buyers = self.plan.n_raised[index];
        let buyers = if n_buyers == 1 { "buyer raises its" } else { "buyers raise their" };
        let detail = format!(
            "{} announces a control of {} to {}; {n_buyers} {buyers} stock target to {} days of use until it starts",
            control.issuer,
            self.product_list(&control.products),
            record::targets_text(&control.targets),
            announcement.target_days
        );
        self.log(day, EventKind::ControlAnnounced, event.id.clone(), detail);
    }

    pub(super) fn end(&mut self, day: u32, index: usize) {
        let model = self.plan.model;
        let event = &model.events[index];
        let state = &mut self.states[index];
        if !state.active {
            return;
        }
        state.active = false;
        state.ended = Some(day);
        let was_engaged = std::mem::take(&mut state.engaged);
        let id = event.id.clone();
        match &event.action {
            Action::ExportControl(control) => {
                let detail = format!(
                    "{} lifts its control of {}",
                    control.issuer,
                    self.product_list(&control.products)
                );
                self.log(day, EventKind::ControlEnded, id, detail);
            }
            Action::Quota(quota) => {
                let detail =
                    format!("{} lifts its quota on {}", quota.issuer, self.product_list(&quota.products));
                self.log(day, EventKind::QuotaEnded, id, detail);
            }
            Action::Suspend { control } => {
                let control = control.0 as usize;
                self.states[control].suspended -= 1;
                if self.states[control].active {
                    let detail = format!("{} applies again", model.events[control].id);
                    self.log(day, EventKind::ControlResumed, id, detail);
                }
            }
            Action::Capacity(_) | Action::Demand(_) | Action::Logistics(_) => {
                self.log(day, EventKind::ShockEnded, id, "ends".to_owned());
            }
            Action::Stockpile(_) => {
                self.log(day, EventKind::StockpileClosed, id, "no further releases".to_owned());
            }
            Action::Substitute(sub) => {
                if was_engaged {
                    let detail = format!(
                        "{} goes back to {}",
                        model.facilities[sub.facility.0 as usize].id, model.products[sub.input.0 as usize].id
                    );
                    self.log(day, EventKind::SubstitutionEnded, id, detail);
                }
            }
        }
    }

    pub(super) fn switch(&mut self, day: u32, index: usize) {
        if !self.states[index].active {
            return;
        }
        self.states[index].engaged = true;
        let model = self.plan.model;
        if let Action::Substitute(sub) = &model.events[index].action {
            let detail = format!(
                "{} uses {} for {} (ratio {}, output −{:.0} %)",
                model.facilities[sub.facility.0 as usize].id,
                model.products[sub.by.0 as usize].id,
                model.products[sub.input.0 as usize].id,
                sub.ratio,
                sub.penalty * 100.0
            );
            self.log(day, EventKind::SubstitutionStarted, model.events[index].id.clone(), detail);
        }
    }

    pub(super) fn product_list(&self, products: &[crate::model::ProductId]) -> String {
        let model = self.plan.model;
        products.iter().map(|p| model.products[p.0 as usize].id.as_str()).collect::<Vec<_>>().join(", ")
    }

    pub(super) fn facility_list(&self, facilities: &[crate::model::FacilityId]) -> String {
        let model = self.plan.model;
        facilities.iter().map(|f| model.facilities[f.0 as usize].id.as_str()).collect::<Vec<_>>().join(", ")
    }
}
