//! Validation of `[[event]]` entries into engine [`Event`]s.

use std::collections::BTreeMap;
use std::ops::Range;

use chokepoint_engine::{
    Action, Announcement, CapacityShock, ContentRule, DemandShock, Dist, End, Event, EventId, ExportControl,
    LaneEffect, Leakage, LogisticsShock, Model, Quota, Recipient, Start, Stockpile, Substitution,
};
use toml::Value;

use crate::adaptation::Prebuy;
use crate::build::{Builder, date_to_day};
use crate::diagnostic::did_you_mean;
use crate::licensing::Profiles;
use crate::raw::{self, Loc, RawEvent, RawScenario};
use crate::values::{self, Shape};

/// (facility, substitute product) of every `substitute` event: the facility may buy it.
pub(crate) fn substitutes(raw: &RawScenario) -> Vec<(String, String)> {
    raw.event
        .iter()
        .filter_map(|e| match e.get_ref() {
            RawEvent::Substitute(s) => Some((s.facility.get_ref().clone(), s.by.get_ref().clone())),
            _ => None,
        })
        .collect()
}

/// Builds every event; problems go to the builder's diagnostics.
pub(crate) fn build(
    builder: &mut Builder,
    raw: &RawScenario,
    start: jiff::civil::Date,
    horizon: u32,
    model: &Model,
    prebuy: Prebuy,
) -> Vec<Event> {
    let index: BTreeMap<String, (EventId, &'static str)> = raw
        .event
        .iter()
        .enumerate()
        .map(|(i, e)| (e.get_ref().id().get_ref().clone(), (EventId(i as u32), e.get_ref().type_name())))
        .collect();
    let profiles = Profiles::build(builder, raw, start);
    let mut context = Context { builder, start, horizon, index, model, profiles, prebuy };
    raw.event.iter().filter_map(|event| context.event(event.get_ref())).collect()
}

struct Context<'b, 'm> {
    builder: &'b mut Builder,
    start: jiff::civil::Date,
    horizon: u32,
    index: BTreeMap<String, (EventId, &'static str)>,
    model: &'m Model,
    profiles: Profiles,
    prebuy: Prebuy,
}

impl Context<'_, '_> {
    fn event(&mut self, raw: &RawEvent) -> Option<Event> {
        let id = raw.id();
        let owner = format!("event {}", id.get_ref());
        // A stockpile without a start is available from day 0; every other type needs one.
        let start = match raw.start() {
            Some(start) => self.start_of(start, &owner, id),
            None => Some(Start::Day(0)),
        };
        let end = self.end_of(raw.end(), &start, &owner);
        let action = match raw {
            RawEvent::ExportControl(e) => self.export_control(e, &owner, &start).map(Action::ExportControl),
            RawEvent::Quota(e) => self.quota(e, &owner).map(Action::Quota),
            RawEvent::Suspend(e) => self.suspend(e, &owner),
            RawEvent::Capacity(e) => {
                let facilities: Option<Vec<_>> =
                    self.list(&e.facilities, &owner, "facilities", |b, f, what| b.facility(f, what));
                for facility in e.facilities.get_ref() {
                    self.unsold(facility, &owner, "shocking it affects nobody");
                }
                let remaining = self.builder.share(&e.remaining, &format!("{owner}: remaining"));
                let recovery = self.builder.days_dist(e.recovery.as_ref(), &format!("{owner}: recovery"));
                match (facilities, remaining, recovery) {
                    (Some(facilities), Some(remaining), Some(recovery)) => {
                        Some(Action::Capacity(CapacityShock { facilities, remaining, recovery }))
                    }
                    _ => None,
                }
            }
            RawEvent::Demand(e) => {
                let sinks: Option<Vec<_>> =
                    self.list(&e.sinks, &owner, "sinks", |b, s, what| b.sink(s, what));
                let factor = self.builder.ok(values::dist(&e.factor, &format!("{owner}: factor"), false));
                if let Some(f) = &factor {
                    let (low, high) = f.support();
                    if low < 0.0 || high > 1000.0 {
                        self.builder
                            .error(format!("{owner}: factor must stay from 0 to 1000"), e.factor.span())
                            .hint = Some("a factor of 1.3 is 30 % more demand, 0.5 half as much".to_owned());
                    }
                }
                match (sinks, factor) {
                    (Some(sinks), Some(factor)) => Some(Action::Demand(DemandShock { sinks, factor })),
                    _ => None,
                }
            }
            RawEvent::Logistics(e) => {
                let from = self.builder.targets(&e.from, &owner, "from");
                let to = self.builder.targets(&e.to, &owner, "to");
                let effect = match (&e.extra, &e.closed) {
                    (Some(extra), None) => self
                        .builder
                        .ok(values::dist(extra, &format!("{owner}: extra"), true))
                        .map(LaneEffect::Delay),
                    (None, Some(closed)) if *closed.get_ref() => Some(LaneEffect::Closed),
                    (None, Some(closed)) => {
                        self.builder
                            .error(format!("{owner}: closed = false does nothing"), closed.span())
                            .hint = Some(
                            "write closed = true to close the lanes, or extra = \"14d\" to slow them"
                                .to_owned(),
                        );
                        None
                    }
                    _ => {
                        self.builder
                            .error(format!("{owner} needs either `extra` or `closed`"), id.span())
                            .hint = Some(
                            "extra = \"14d\" lengthens each shipment; closed = true stops them".to_owned(),
                        );
                        None
                    }
                };
                match (from, to, effect) {
                    (Some(from), Some(to), Some(effect)) => {
                        Some(Action::Logistics(LogisticsShock { from, to, effect }))
                    }
                    _ => None,
                }
            }
            RawEvent::Stockpile(e) => self.stockpile(e, &owner).map(Action::Stockpile),
            RawEvent::Substitute(e) => self.substitute(e, &owner).map(Action::Substitute),
        };
        Some(Event { id: id.get_ref().clone(), start: start?, end: end?, action: action? })
    }

    fn start_of(&mut self, value: &Loc<raw::Start>, owner: &str, id: &Loc<String>) -> Option<Start> {
        match value.get_ref().value() {
            Value::Datetime(_) => {
                let date = self.builder.ok(values::date(value, &format!("{owner}: start")))?;
                self.day(date, value.span(), owner).map(Start::Day)
            }
            Value::Table(table) if table.contains_key("event") => {
                if let Some(extra) = table.keys().find(|k| *k != "event" && *k != "after") {
                    self.builder.error(format!("{owner}: start has no key `{extra}`"), value.span()).hint =
                        Some("start = { event = \"<id>\", after = \"30d\" }".to_owned());
                    return None;
                }
                let Some(other) = table.get("event").and_then(Value::as_str) else {
                    self.builder.error(format!("{owner}: start.event must be an event id"), value.span());
                    return None;
                };
                let event = match self.index.get(other) {
                    Some(_) if other == id.get_ref() => {
                        self.builder.error(format!("{owner} cannot start after itself"), value.span());
                        return None;
                    }
                    Some((event, _)) => *event,
                    None if self.builder.broken.contains(other) => return None,
                    None => {
                        let hint = match did_you_mean(other, self.index.keys().map(String::as_str)) {
                            Some(s) => format!("did you mean '{s}'?"),
                            None => "start.event names another event's id".to_owned(),
                        };
                        self.builder
                            .error(format!("{owner}: start after unknown event '{other}'"), value.span())
                            .hint = Some(hint);
                        return None;
                    }
                };
                let delay = match table.get("after") {
                    None => Dist::Const(0.0),
                    Some(after) => self.builder.ok(values::dist(
                        &Loc::new(value.span(), after.clone()),
                        &format!("{owner}: start.after"),
                        true,
                    ))?,
                };
                self.builder.nonnegative(&delay, value.span(), &format!("{owner}: start.after"))?;
                Some(Start::After { event, delay })
            }
            _ => {
                self.builder
                    .error(
                        format!("{owner}: `start` must be a date or {{ event = \"<id>\", after = <days> }}"),
                        value.span(),
                    )
                    .hint = Some(
                    "write start = 2025-04-04, or start = { event = \"mofcom-18-2025\", after = \"30d\" }"
                        .to_owned(),
                );
                None
            }
        }
    }

    fn end_of(
        &mut self,
        value: Option<&Loc<raw::End>>,
        start: &Option<Start>,
        owner: &str,
    ) -> Option<Option<End>> {
        let Some(value) = value else { return Some(None) };
        match value.get_ref().value() {
            Value::Datetime(_) => {
                let date = self.builder.ok(values::date(value, &format!("{owner}: end")))?;
                let day = date_to_day(self.start, date);
                if let Some(Start::Day(start_day)) = start
                    && day <= i64::from(*start_day)
                {
                    self.builder
                        .error(format!("{owner} ends on {date}, not after it starts"), value.span())
                        .hint = Some(
                        "the end is the first day it no longer applies: a date after the start".to_owned(),
                    );
                    return None;
                }
                if day >= i64::from(self.horizon) {
                    self.builder.warning(
                        format!("{owner} ends on {date}, after the horizon; within the run it never ends"),
                        value.span(),
                    );
                }
                Some(Some(End::Day(day.clamp(0, i64::from(u32::MAX)) as u32)))
            }
            Value::Table(table) if table.len() == 1 && table.contains_key("after") => {
                let after = table.get("after").cloned().unwrap_or(Value::Integer(0));
                let dist = self.builder.ok(values::dist(
                    &Loc::new(value.span(), after),
                    &format!("{owner}: end.after"),
                    true,
                ))?;
                self.builder.nonnegative(&dist, value.span(), &format!("{owner}: end.after"))?;
                Some(Some(End::After(dist)))
            }
            _ => {
                self.builder
                    .error(format!("{owner}: `end` must be a date or {{ after = <days> }}"), value.span())
                    .hint = Some(
                    "write end = 2025-12-31, or end = { after = \"180d\" }, or a distribution of days"
                        .to_owned(),
                );
                None
            }
        }
    }

    /// The day of a date, checked against the scenario's start and horizon.
    fn day(&mut self, date: jiff::civil::Date, span: Range<usize>, owner: &str) -> Option<u32> {
        let day = date_to_day(self.start, date);
        if day < 0 {
            self.builder
                .error(format!("{owner} starts on {date}, before the scenario starts ({})", self.start), span)
                .hint = Some("move scenario.start earlier, or the event later".to_owned());
            return None;
        }
        if day >= i64::from(self.horizon) {
            self.builder
                .warning(format!("{owner} starts on {date}, after the horizon ends; it never applies"), span)
                .hint = Some("lengthen scenario.horizon to see it".to_owned());
        }
        Some(day.min(i64::from(u32::MAX)) as u32)
    }

    /// Warns when an event aims at a facility nobody buys from (warned about at the
    /// facility): what happens to it changes nothing downstream.
    fn unsold(&mut self, facility: &Loc<String>, owner: &str, effect: &str) {
        let name = facility.get_ref();
        if self.builder.unsold.contains(name) {
            self.builder
                .warning(format!("{owner}: nobody buys from {name}, so {effect}"), facility.span())
                .hint = Some(format!(
                "aim it at a facility that supplies someone, or add a [[supply]] that buys from {name}"
            ));
        }
    }

    fn list<T>(
        &mut self,
        items: &Loc<Vec<Loc<String>>>,
        owner: &str,
        key: &str,
        mut resolve: impl FnMut(&mut Builder, &Loc<String>, &str) -> Option<T>,
    ) -> Option<Vec<T>> {
        if items.get_ref().is_empty() {
            self.builder.error(format!("{owner}: `{key}` is empty"), items.span());
            return None;
        }
        let what = format!("{owner}: {key}");
        let resolved: Vec<Option<T>> =
            items.get_ref().iter().map(|item| resolve(self.builder, item, &what)).collect();
        resolved.into_iter().collect()
    }

    fn export_control(
        &mut self,
        e: &raw::RawExportControl,
        owner: &str,
        start: &Option<Start>,
    ) -> Option<ExportControl> {
        let issuer = self.builder.ok(values::region(&e.issuer, &format!("{owner}: issuer")));
        let products = self.list(&e.products, owner, "products", |b, p, what| b.product(p, what));
        let targets = self.builder.targets(&e.targets, owner, "targets");
        let licence = match &e.licence {
            None => Some(None),
            Some(licence) => {
                let event = e.id.get_ref();
                self.profiles.licence(self.builder, licence, event, owner, self.start).map(Some)
            }
        };
        let leakage = match &e.leakage {
            None => Some(None),
            Some(leakage) => {
                let l = leakage.get_ref();
                let share = self.builder.share(&l.share, &format!("{owner}: leakage.share"));
                let via = if l.via.get_ref().is_empty() {
                    self.builder.error(format!("{owner}: leakage.via is empty"), l.via.span()).hint = Some(
                        "name the third countries the goods pass through, e.g. via = [\"VN\", \"MY\"]"
                            .to_owned(),
                    );
                    None
                } else {
                    let names: Vec<(String, Range<usize>)> =
                        l.via.get_ref().iter().map(|v| (v.get_ref().clone(), v.span())).collect();
                    self.builder.resolve_regions(&names, &format!("{owner}: leakage.via"))
                };
                if let (Some(via), Some(issuer)) = (&via, &issuer)
                    && via.contains(issuer)
                {
                    self.builder
                        .error(format!("{owner}: leakage.via includes the issuer {issuer}"), l.via.span());
                }
                let delay = self.builder.days_dist(l.delay.as_ref(), &format!("{owner}: leakage.delay"));
                match (share, via, delay) {
                    (Some(share), Some(via), Some(delay)) => Some(Some(Leakage { share, via, delay })),
                    _ => None,
                }
            }
        };
        let content = match &e.content {
            None => Some(None),
            Some(content) => {
                let c = content.get_ref();
                let threshold = *c.threshold.get_ref();
                let threshold_ok = threshold.is_finite() && (0.0..=1.0).contains(&threshold);
                if !threshold_ok {
                    self.builder
                        .error(
                            format!("{owner}: content.threshold is a share from 0 to 1, found {threshold}"),
                            c.threshold.span(),
                        )
                        .hint = Some("0.1 % of value is 0.001".to_owned());
                }
                let applies_to = match &c.applies_to {
                    None => Some(Vec::new()),
                    Some(list) => {
                        self.list(list, owner, "content.applies_to", |b, p, what| b.product(p, what))
                    }
                };
                if self.model.products.iter().all(|p| p.value == 0.0) {
                    self.builder
                        .warning(
                            format!("{owner}: a content rule needs product values, and every value is 0"),
                            content.span(),
                        )
                        .hint = Some("give products a `value`: content is a share of value".to_owned());
                }
                match (threshold_ok, applies_to) {
                    (true, Some(applies_to)) => Some(Some(ContentRule { threshold, applies_to })),
                    _ => None,
                }
            }
        };
        let announcement = match &e.announced {
            None => Some(None),
            Some(announced) => self.announcement(announced, e, owner, start).map(Some),
        };
        if let (Some(issuer), Some(products)) = (&issuer, &products) {
            let ids: Vec<&str> =
                products.iter().map(|p| self.model.products[p.0 as usize].id.as_str()).collect();
            let made_there = (self.builder.made_in.iter())
                .any(|(region, product)| region == issuer.as_str() && ids.contains(&product.as_str()));
            if !made_there && e.content.is_none() {
                self.builder
                    .warning(
                        format!(
                            "{owner}: no facility in {issuer} makes any of its products; it binds nothing"
                        ),
                        e.products.span(),
                    )
                    .hint = Some("check the issuer and the product ids".to_owned());
            }
        }
        Some(ExportControl {
            issuer: issuer?,
            products: products?,
            targets: targets?,
            licence: licence?,
            leakage: leakage?,
            content: content?,
            announcement: announcement?,
        })
    }

    /// `announced = { date, target }`: a date before the (dated) start, a target above 0
    /// (`[adaptation] prebuy` when it gives none).
    fn announcement(
        &mut self,
        announced: &Loc<raw::RawAnnouncement>,
        e: &raw::RawExportControl,
        owner: &str,
        start: &Option<Start>,
    ) -> Option<Announcement> {
        let (span, announced) = (announced.span(), announced.get_ref());
        let target_days = match (&announced.target, self.prebuy) {
            (Some(target), _) => {
                let what = format!("{owner}: announced.target");
                let days = self.builder.ok(values::days(target, &what));
                if let Some(days) = days
                    && !prebuy_in_range(days)
                {
                    self.builder
                        .error(
                            format!("{what} must be above 0 and at most 1000 days, found {days}"),
                            target.span(),
                        )
                        .hint = Some(
                        "the target is the days of use buyers stock up to before the start, e.g. \"60d\""
                            .to_owned(),
                    );
                }
                days.filter(|&d| prebuy_in_range(d))
            }
            (None, Prebuy::Days(days)) => Some(days),
            // Reported at `prebuy`.
            (None, Prebuy::Wrong) => None,
            (None, Prebuy::None) => {
                self.builder.error(format!("{owner}: announced needs a `target`"), span).hint = Some(
                    "give announced.target or [adaptation] prebuy: the days of use buyers stock up to, \
                     e.g. \"60d\""
                        .to_owned(),
                );
                None
            }
        };
        let date = self.builder.ok(values::date(&announced.date, &format!("{owner}: announced.date")))?;
        let span = announced.date.span();
        let day = date_to_day(self.start, date);
        if day < 0 {
            self.builder
                .error(
                    format!("{owner} is announced on {date}, before the scenario starts ({})", self.start),
                    span,
                )
                .hint = Some("move scenario.start earlier, or the announcement later".to_owned());
            return None;
        }
        match start {
            Some(Start::Day(start_day)) if day >= i64::from(*start_day) => {
                let start_date = self.start.checked_add(jiff::Span::new().days(i64::from(*start_day)));
                let start_text = start_date.map_or_else(|_| format!("day {start_day}"), |d| d.to_string());
                self.builder
                    .error(
                        format!("{owner} is announced on {date}, not before it starts ({start_text})"),
                        span,
                    )
                    .hint = Some(
                    "an announcement comes before the control: give `announced.date` a date before `start`"
                        .to_owned(),
                );
                return None;
            }
            Some(Start::After { .. }) => {
                self.builder
                    .error(format!("{owner}: an announced control needs a dated start"), e.start.span())
                    .hint =
                    Some("write start = <date> after the announcement, or leave `announced` out".to_owned());
                return None;
            }
            Some(Start::Day(_)) | None => {}
        }
        Some(Announcement { day: day.min(i64::from(u32::MAX)) as u32, target_days: target_days? })
    }

    fn quota(&mut self, e: &raw::RawQuota, owner: &str) -> Option<Quota> {
        let issuer = self.builder.ok(values::region(&e.issuer, &format!("{owner}: issuer")));
        let products = self.list(&e.products, owner, "products", |b, p, what| b.product(p, what));
        let targets = self.builder.targets(&e.targets, owner, "targets");
        let amount = self.builder.ok(values::dist(&e.amount, &format!("{owner}: amount"), false));
        if let Some(amount) = &amount
            && amount.support().0 < 0.0
        {
            self.builder.error(format!("{owner}: amount can be below 0"), e.amount.span()).hint =
                Some("a quota is units per period: 0 or more".to_owned());
        }
        let period_days = match &e.period {
            None => Some(365),
            Some(period) => self.builder.ok(values::whole_days(period, &format!("{owner}: period"), 1, 1000)),
        };
        if let Some(products) = &products {
            let units: Vec<&str> =
                products.iter().map(|p| self.model.products[p.0 as usize].unit.as_str()).collect();
            if units.windows(2).any(|w| w[0] != w[1]) {
                self.builder
                    .warning(
                        format!("{owner}: its products have different units ({})", units.join(", ")),
                        e.products.span(),
                    )
                    .hint =
                    Some("the cap applies to their combined quantity; list products of one unit".to_owned());
            }
        }
        Some(Quota {
            issuer: issuer?,
            products: products?,
            targets: targets?,
            amount: amount?,
            period_days: period_days?,
        })
    }

    fn suspend(&mut self, e: &raw::RawSuspend, owner: &str) -> Option<Action> {
        let name = e.control.get_ref();
        match self.index.get(name) {
            Some((control, "export_control" | "quota")) => Some(Action::Suspend { control: *control }),
            Some((_, kind)) => {
                self.builder.error(format!("{owner} suspends '{name}', a {kind} event; only export controls and quotas can be suspended"), e.control.span());
                None
            }
            None if self.builder.broken.contains(name) => None,
            None => {
                let controls = self
                    .index
                    .iter()
                    .filter(|(_, (_, k))| matches!(*k, "export_control" | "quota"))
                    .map(|(id, _)| id.as_str());
                let hint = match did_you_mean(name, controls) {
                    Some(s) => format!("did you mean '{s}'?"),
                    None => "`control` names the id of an export_control or quota event".to_owned(),
                };
                self.builder
                    .error(format!("{owner} suspends unknown control '{name}'"), e.control.span())
                    .hint = Some(hint);
                None
            }
        }
    }

    fn stockpile(&mut self, e: &raw::RawStockpile, owner: &str) -> Option<Stockpile> {
        let product = self.builder.product(&e.product, &format!("{owner}: product"));
        let region = self.builder.ok(values::region(&e.region, &format!("{owner}: region")));
        let amount = self.builder.ok(values::dist(&e.amount, &format!("{owner}: amount"), false));
        if let Some(amount) = &amount {
            let (low, high) = amount.support();
            if low < 0.0 || high > chokepoint_engine::model::MAX_UNITS {
                self.builder
                    .error(format!("{owner}: amount must stay from 0 to 1e12 units"), e.amount.span());
            }
        }
        let release = e.release.get_ref();
        let threshold = *release.threshold.get_ref();
        if !(0.0..=1.0).contains(&threshold) {
            self.builder
                .error(
                    format!(
                        "{owner}: release.threshold is a shortage fraction from 0 to 1, found {threshold}"
                    ),
                    release.threshold.span(),
                )
                .hint = Some("0.05 releases once a recipient is 5 % short".to_owned());
        }
        let rate = *release.rate.get_ref();
        if !(0.0..=chokepoint_engine::model::MAX_RATE).contains(&rate) || rate == 0.0 {
            self.builder.error(
                format!("{owner}: release.rate must be above 0 and at most 1e9 units a day, found {rate}"),
                release.rate.span(),
            );
        }
        let mut to = Vec::new();
        for name in release.to.iter().flat_map(|t| t.get_ref()) {
            let text = name.get_ref();
            if let Some((facility, _)) = self.builder.facilities.get(text) {
                to.push(Recipient::Buyer(chokepoint_engine::Buyer::Facility(*facility)));
                // It never runs short for want of inputs, so nothing is released to it.
                self.unsold(name, owner, "releases to it reach nobody");
            } else if let Some((sink, _)) = self.builder.sinks.get(text) {
                to.push(Recipient::Buyer(chokepoint_engine::Buyer::Sink(*sink)));
            } else if let Some(members) = self.builder.blocs.get(text) {
                to.push(Recipient::Regions(members.clone()));
            } else if let Some(region) = chokepoint_engine::Region::new(text) {
                to.push(Recipient::Regions(vec![region]));
            } else {
                let known: Vec<String> = (self.builder.facilities.keys())
                    .chain(self.builder.sinks.keys())
                    .chain(self.builder.blocs.keys())
                    .cloned()
                    .collect();
                let message = format!("{owner}: release.to: '{text}' is no buyer, bloc or region code");
                self.builder.unknown(
                    message,
                    name,
                    known.iter().map(String::as_str),
                    "list buyer ids, bloc names or region codes",
                );
            }
        }
        if !(0.0..=1.0).contains(&threshold) || rate <= 0.0 || rate > chokepoint_engine::model::MAX_RATE {
            return None;
        }
        Some(Stockpile { product: product?, region: region?, amount: amount?, threshold, rate, to })
    }

    fn substitute(&mut self, e: &raw::RawSubstitute, owner: &str) -> Option<Substitution> {
        let facility = self.builder.facility(&e.facility, &format!("{owner}: facility"));
        self.unsold(&e.facility, owner, "the substitution affects nobody");
        let input = self.builder.product(&e.input, &format!("{owner}: input"));
        let by = self.builder.product(&e.by, &format!("{owner}: by"));
        if let (Some(_), Some(input)) = (facility, input)
            && let Some(f) = self.model.facilities.iter().find(|f| f.id == *e.facility.get_ref())
            && !f.recipe.iter().any(|&(p, _)| p == input)
        {
            self.builder
                .error(
                    format!("{owner}: {} does not use {}", e.facility.get_ref(), e.input.get_ref()),
                    e.input.span(),
                )
                .hint = Some("`input` is one of the facility's `inputs`".to_owned());
        }
        if let (Some(input), Some(by)) = (input, by)
            && input == by
        {
            self.builder.error(format!("{owner}: a product cannot substitute for itself"), e.by.span());
        }
        let ratio = e.ratio.as_ref().map_or(1.0, |r| *r.get_ref());
        if let Some(r) = &e.ratio
            && !(ratio.is_finite() && ratio > 0.0 && ratio <= 1e6)
        {
            self.builder.error(format!("{owner}: ratio must be above 0, found {ratio}"), r.span()).hint =
                Some("units of the substitute per unit of the input it replaces".to_owned());
        }
        let penalty = e.penalty.as_ref().map_or(0.0, |p| *p.get_ref());
        if let Some(p) = &e.penalty
            && !(0.0..1.0).contains(&penalty)
        {
            self.builder.error(
                format!("{owner}: penalty is the share of output lost, from 0 to below 1, found {penalty}"),
                p.span(),
            );
        }
        let delay = self.builder.days_dist(e.delay.as_ref(), &format!("{owner}: delay"));
        if !(ratio.is_finite() && ratio > 0.0 && ratio <= 1e6 && (0.0..1.0).contains(&penalty)) {
            return None;
        }
        Some(Substitution { facility: facility?, input: input?, by: by?, ratio, penalty, delay: delay? })
    }
}

/// Whether a stock target of `days` days of use is allowed: above 0, at most 1000.
pub(crate) fn prebuy_in_range(days: f64) -> bool {
    days > 0.0 && days <= chokepoint_engine::model::MAX_DAYS
}

/// Checks of uncertain values shared by events and licensing profiles.
impl Builder {
    pub(crate) fn nonnegative(&mut self, dist: &Dist, span: Range<usize>, what: &str) -> Option<()> {
        let (low, high) = dist.support();
        if low < 0.0 || high > f64::from(chokepoint_engine::model::MAX_HORIZON_DAYS) {
            self.error(
                format!("{what} can draw {} days, outside 0 to 36525", if low < 0.0 { low } else { high }),
                span,
            )
            .hint = Some(
                "durations cannot be negative: use a lognormal, triangular or uniform distribution"
                    .to_owned(),
            );
            return None;
        }
        Some(())
    }

    /// A distribution of a share: every draw in [0, 1].
    pub(crate) fn share(&mut self, value: &Loc<raw::Uncertain>, what: &str) -> Option<Dist> {
        let dist = self.ok(values::dist(value, what, false))?;
        let (low, high) = dist.support();
        if low < 0.0 || high > 1.0 {
            let found = if matches!(dist, Dist::Const(_)) {
                format!("found {low}")
            } else {
                format!("it ranges over [{low}, {high}]")
            };
            self.error(format!("{what} is a share from 0 to 1; {found}"), value.span()).hint =
                Some("write 0.25 for 25 %; for an uncertain share use { beta = { a, b } } or { uniform = [low, high] } inside [0, 1]".to_owned());
            return None;
        }
        Some(dist)
    }

    pub(crate) fn days_dist(&mut self, value: Option<&Loc<raw::UncertainDays>>, what: &str) -> Option<Dist> {
        let Some(value) = value else { return Some(Dist::Const(0.0)) };
        let dist = self.ok(values::dist(value, what, true))?;
        self.nonnegative(&dist, value.span(), what)?;
        Some(dist)
    }
}
