//! The chain's responses that act on buyers: re-sourcing to alternates, and stockpile
//! releases (`docs/model.md`, "Re-sourcing" and "Stockpiles").

use crate::disruption::Action;
use crate::plan::to_units;
use crate::result::EventKind;

use super::split::split_proportionally;
use super::{Event, Simulation};

impl Simulation<'_, '_> {
    /// Whether `link` is cut off now: its lane is closed, an export control in force bans
    /// its orders, or its licence was refused and the buyer may not apply again yet.
    pub(super) fn cut_off(&self, day: u32, link: usize) -> bool {
        let plan = self.plan;
        let source = plan.sources[link];
        let origin = plan.model.facilities[source.from].region;
        let destination = plan.slots[source.slot].region;
        if origin == destination {
            return false;
        }
        if self.lane_closed(origin, destination) {
            return true;
        }
        let banned = plan.facility_rules[source.from].iter().any(|&event| {
            self.in_force(event)
                && matches!(&plan.model.events[event].action, Action::ExportControl(control)
                    if control.licence.is_none() && self.covers(event, control, source.from, destination))
        });
        banned
            || self.licensing_control(source.from, destination).is_some_and(|(event, _)| {
                (self.licences.get(&(event as u32, link as u32)))
                    .is_some_and(|cases| cases.iter().all(|c| c.refused && day < c.next_apply))
            })
    }

    /// Re-sourcing at a buyer's review: the shares of sources that are cut off go, in equal
    /// parts, to the alternates qualified by now (their qualification clock starts at the
    /// first cut-off) that are online and not cut off themselves; the orders held on the cut sources
    /// are cancelled. When no source is cut off, the original shares return.
    pub(super) fn resource(&mut self, day: u32, slot: usize) {
        let plan = self.plan;
        let range = plan.slots[slot].sources.clone();
        let mut cut_share = 0.0;
        for link in range.clone() {
            let source = plan.sources[link];
            if source.alternate.is_none() && self.cut_off(day, link) {
                cut_share += source.share;
            }
        }
        if cut_share == 0.0 {
            if self.slots[slot].resourced {
                self.slots[slot].resourced = false;
                for link in range {
                    self.links[link].share = plan.sources[link].share;
                }
                let model = plan.model;
                let buyer = model.buyer_name(plan.slots[slot].buyer).to_owned();
                let product = &model.products[plan.slots[slot].product.0 as usize].id;
                let detail = format!("{buyer} returns to its original sources of {product}");
                self.log(day, EventKind::Resourced, buyer, detail);
            }
            return;
        }
        let cut_day = *self.slots[slot].cut_day.get_or_insert(day);
        let qualified: Vec<usize> = (range.clone())
            .filter(|&link| {
                plan.sources[link].alternate.is_some()
                    && day >= cut_day.saturating_add(self.links[link].qualify_days)
                    && day >= plan.model.facilities[plan.sources[link].from].online_day
                    && !self.cut_off(day, link)
            })
            .collect();
        if qualified.is_empty() {
            return;
        }
        let new_episode = !std::mem::replace(&mut self.slots[slot].resourced, true);
        let each = cut_share / qualified.len() as f64;
        for link in range {
            let source = plan.sources[link];
            let share = if qualified.contains(&link) {
                each
            } else if source.alternate.is_some() || self.cut_off(day, link) {
                0.0
            } else {
                source.share
            };
            let before = std::mem::replace(&mut self.links[link].share, share);
            if share == 0.0 && source.alternate.is_none() {
                // Cancel what is held on a source the buyer has left.
                let open = std::mem::take(&mut self.links[link].open);
                self.facilities[source.from].open_total -= open;
                self.links[link].refused_counted = 0;
                self.links[link].leak_allowance = 0;
            }
            if share > 0.0 && source.alternate.is_some() && (new_episode || before == 0.0) {
                let model = plan.model;
                let buyer = model.buyer_name(plan.slots[slot].buyer).to_owned();
                let detail = format!(
                    "{buyer} moves {:.0} % of its orders of {} to {} ({} days after the cut-off)",
                    each * 100.0,
                    model.products[plan.slots[slot].product.0 as usize].id,
                    model.facilities[source.from].id,
                    day - cut_day
                );
                self.log(day, EventKind::Resourced, buyer, detail);
            }
        }
    }

    /// Stockpile releases: each open stockpile gives buyers whose shortage fraction
    /// yesterday exceeded its threshold what they lack up to their order level, at most its
    /// rate per day in all, in proportion to need; releases land the next morning.
    pub(super) fn release_stockpiles(&mut self, day: u32) {
        let plan = self.plan;
        for (pile, (event, recipients)) in plan.stockpiles.iter().enumerate() {
            let event = *event;
            let Action::Stockpile(stockpile) = &plan.model.events[event].action else { continue };
            let left = self.states[event].left;
            if !self.states[event].active || left <= 0 || day + 1 >= plan.model.horizon_days {
                self.states[event].engaged = false;
                continue;
            }
            let mut needs = std::mem::take(&mut self.needs);
            needs.clear();
            for &slot in recipients {
                let state = &self.slots[slot];
                if state.shortage > stockpile.threshold {
                    let position = state.on_hand + state.in_transit - state.backlog;
                    let need = (plan.slots[slot].order_up_to - position).max(0);
                    if need > 0 {
                        needs.push((slot, need));
                    }
                }
            }
            let total: i64 = needs.iter().map(|&(_, need)| need).sum();
            let release = total.min(left).min(crate::plan::to_qty(stockpile.rate));
            if release <= 0 {
                self.states[event].engaged = false;
                self.needs = needs;
                continue;
            }
            if release < total {
                split_proportionally(release, needs.iter().map(|&(_, need)| need), &mut self.scratch);
            } else {
                self.scratch.clear();
                self.scratch.extend(needs.iter().map(|&(_, need)| need));
            }
            for (&(slot, _), &qty) in needs.iter().zip(&self.scratch) {
                if qty == 0 {
                    continue;
                }
                self.slots[slot].in_transit += qty;
                let release = Event::Release { pile: pile as u32, slot: slot as u32, qty };
                if day + 1 < self.plan.model.horizon_days {
                    self.morning.schedule(day + 1, release);
                }
            }
            self.needs = needs;
            self.states[event].left -= release;
            self.released[pile] += release;
            if !self.states[event].engaged {
                self.states[event].engaged = true;
                let detail = format!(
                    "releases {} of {} to buyers short of it",
                    to_units(release.into()),
                    plan.model.products[stockpile.product.0 as usize].id
                );
                self.log(day, EventKind::StockpileReleased, plan.model.events[event].id.clone(), detail);
            }
        }
    }

    /// A stockpile release lands in a buyer's stock, with the stockpile's controlled content.
    pub(super) fn release_arrives(&mut self, pile: usize, slot: usize, qty: i64) {
        let n_rules = self.plan.content_rules.len();
        let value = self.plan.model.products[self.plan.slots[slot].product.0 as usize].value;
        for rule in 0..n_rules {
            self.slot_content[slot * n_rules + rule] +=
                self.stockpile_content[pile * n_rules + rule] * value * qty as f64;
        }
        let state = &mut self.slots[slot];
        state.in_transit -= qty;
        state.on_hand += qty;
    }
}
