//! Licensing profiles (`[licensing.<id>]`) and an export control's `licence` over the
//! profile it names, into engine [`Licence`]s.
//!
//! Each key is checked once, where it is written: a profile's keys when the profiles are
//! built (so a bad value in a world file's profile is reported once, at the profile,
//! whether or not an event uses it), a licence's own keys with its event. A licence then
//! takes its profile's keys and replaces each one it gives itself; only the merged licence
//! is checked for the keys that depend on each other (`approval` and `review` given,
//! `validity` exactly with `kind = "multi"`).

use std::collections::BTreeMap;
use std::ops::Range;

use chokepoint_engine::{
    ApprovalRule, Authority, Dist, GeneralLicence, Licence, LicenceKind, LicenceTerms, PriorityClass,
    model::{MAX_APPLICANTS, MAX_RATE},
};
use toml::Value;

use crate::build::{Builder, date_to_day};
use crate::raw::{self, LicenceKeys, Loc, RawLicence, RawScenario};
use crate::values;

/// A key of a licence, checked: where it is written, whether it comes from the profile,
/// and its value (`None` when the value is wrong, which has been reported).
#[derive(Clone, Debug)]
struct Key<T> {
    span: Range<usize>,
    inherited: bool,
    value: Option<T>,
}

/// `kind = "single"` or `"multi"`.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Single,
    Multi,
}

/// The keys of a profile or of a licence, each checked on its own; `None` for a key not
/// given.
#[derive(Clone, Debug, Default)]
pub(crate) struct Keys {
    approval: Option<Key<Dist>>,
    review: Option<Key<Dist>>,
    partial: Option<Key<Dist>>,
    reapply: Option<Key<Dist>>,
    capacity: Option<Key<Vec<(u32, f64)>>>,
    applicants: Option<Key<u32>>,
    kind: Option<Key<Kind>>,
    validity: Option<Key<Dist>>,
    repeat: Option<Key<Dist>>,
    approval_by: Option<Key<Vec<ApprovalRule>>>,
    general: Option<Key<GeneralLicence>>,
}

impl Keys {
    /// These keys over `base`: each key given here replaces the base's.
    fn over(self, base: &Keys) -> Keys {
        fn inherit<T: Clone>(key: &Option<Key<T>>) -> Option<Key<T>> {
            key.clone().map(|key| Key { inherited: true, ..key })
        }
        Keys {
            approval: self.approval.or_else(|| inherit(&base.approval)),
            review: self.review.or_else(|| inherit(&base.review)),
            partial: self.partial.or_else(|| inherit(&base.partial)),
            reapply: self.reapply.or_else(|| inherit(&base.reapply)),
            capacity: self.capacity.or_else(|| inherit(&base.capacity)),
            applicants: self.applicants.or_else(|| inherit(&base.applicants)),
            kind: self.kind.or_else(|| inherit(&base.kind)),
            validity: self.validity.or_else(|| inherit(&base.validity)),
            repeat: self.repeat.or_else(|| inherit(&base.repeat)),
            approval_by: self.approval_by.or_else(|| inherit(&base.approval_by)),
            general: self.general.or_else(|| inherit(&base.general)),
        }
    }
}

/// The licensing profiles of a scenario, checked, by name.
pub(crate) struct Profiles {
    by_name: BTreeMap<String, Keys>,
    /// Each authority's capacity as first given, with the event that gave it: controls
    /// naming one authority share its queue, so they must agree on its capacity.
    capacities: BTreeMap<String, (String, Vec<(u32, f64)>)>,
}

impl Profiles {
    /// Checks every `[licensing.<id>]`, used or not.
    pub(crate) fn build(builder: &mut Builder, raw: &RawScenario, start: jiff::civil::Date) -> Profiles {
        let mut by_name = BTreeMap::new();
        for (name, profile) in &raw.licensing {
            builder.id(name, "licensing profile");
            let prefix = format!("licensing.{}", name.get_ref());
            let keys = keys(builder, profile.get_ref().keys(), &prefix, start);
            by_name.insert(name.get_ref().clone(), keys);
        }
        Profiles { by_name, capacities: BTreeMap::new() }
    }

    /// The licence of the export control `event` (`owner` names it in messages): its own
    /// keys over its profile's.
    pub(crate) fn licence(
        &mut self,
        builder: &mut Builder,
        licence: &Loc<RawLicence>,
        event: &str,
        owner: &str,
        start: jiff::civil::Date,
    ) -> Option<Licence> {
        let raw = licence.get_ref();
        let own = keys(builder, raw.keys(), &format!("{owner}: licence"), start);
        let merged = match &raw.profile {
            None => own,
            Some(name) => match self.by_name.get(name.get_ref()) {
                Some(profile) => own.over(profile),
                None => {
                    if !builder.broken.contains(name.get_ref()) {
                        let declare = if self.by_name.is_empty() {
                            "no profile is declared: declare it under [licensing.<id>]".to_owned()
                        } else {
                            let names: Vec<&str> = self.by_name.keys().map(String::as_str).collect();
                            format!(
                                "the profiles are {}; declare others under [licensing.<id>]",
                                names.join(", ")
                            )
                        };
                        builder.unknown(
                            format!(
                                "{owner}: licence.profile: unknown licensing profile '{}'",
                                name.get_ref()
                            ),
                            name,
                            self.by_name.keys().map(String::as_str),
                            &declare,
                        );
                    }
                    return None;
                }
            },
        };
        let profile = raw.profile.as_ref().map(|p| p.get_ref().as_str());
        self.finish(builder, merged, licence.span(), owner, event, profile)
    }

    /// The merged keys into a licence: required keys present, `validity` exactly with
    /// `kind = "multi"`, one capacity per authority. The authority is named by the profile,
    /// or by the event when it uses none.
    fn finish(
        &mut self,
        builder: &mut Builder,
        keys: Keys,
        table: Range<usize>,
        owner: &str,
        event: &str,
        profile: Option<&str>,
    ) -> Option<Licence> {
        let mut required = |key: Option<Key<Dist>>, name: &str| match key {
            Some(key) => key.value,
            None => {
                let hint = if let Some(profile) = profile {
                    format!("give licence.{name} here, or `{name}` in its profile [licensing.{profile}]")
                } else {
                    format!(
                        "give licence.{name}, or name a profile that gives it: licence = {{ profile = \"<id>\" }} \
                         with [licensing.<id>]"
                    )
                };
                builder.error(format!("{owner}: licence needs `{name}`"), table.clone()).hint = Some(hint);
                None
            }
        };
        let approval = required(keys.approval, "approval");
        let review = required(keys.review, "review");
        let partial = keys.partial.map_or(Some(Dist::Const(1.0)), |k| k.value);
        let reapply = keys.reapply.map_or(Some(None), |k| k.value.map(Some));
        let applicants = keys.applicants.map_or(Some(1), |k| k.value);
        let repeat = keys.repeat.map_or(Some(None), |k| k.value.map(Some));
        let approval_by = keys.approval_by.map_or(Some(Vec::new()), |k| k.value);
        let general = keys.general.map_or(Some(None), |k| k.value.map(Some));
        let kind = match (keys.kind, keys.validity) {
            (Some(Key { value: None, .. }), _) => None,
            (Some(Key { value: Some(Kind::Multi), .. }), Some(validity)) => {
                validity.value.map(|validity| LicenceKind::Multi { validity })
            }
            (Some(Key { value: Some(Kind::Multi), span, .. }), None) => {
                builder.error(format!("{owner}: a multi-shipment licence needs a `validity`"), span).hint =
                    Some("validity = \"180d\": how long an approval covers every shipment".to_owned());
                None
            }
            // A profile's validity is for multi-shipment licences; a licence that makes
            // itself single-shipment leaves it unused (a key cannot be removed).
            (
                Some(Key { value: Some(Kind::Single), inherited: false, .. }),
                Some(Key { inherited: true, .. }),
            ) => Some(LicenceKind::Single),
            (None | Some(Key { value: Some(Kind::Single), .. }), Some(validity)) => {
                builder
                    .error(
                        format!("{owner}: `validity` applies to multi-shipment licences only"),
                        validity.span,
                    )
                    .hint = Some(
                    "a single-shipment licence (the default) covers the quantity on the book; write \
                     kind = \"multi\" or leave `validity` out"
                        .to_owned(),
                );
                None
            }
            (None | Some(Key { value: Some(Kind::Single), .. }), None) => Some(LicenceKind::Single),
        };
        let authority = profile.unwrap_or(event).to_owned();
        let authority = match keys.capacity {
            None => Some(None),
            Some(Key { value: None, .. }) => None,
            Some(Key { value: Some(capacity), span, .. }) => {
                match self.capacities.get(&authority) {
                    Some((first, known)) if *known != capacity => {
                        builder
                            .error(
                                format!(
                                    "{owner}: the licensing authority '{authority}' has another capacity in \
                                     event {first}"
                                ),
                                span,
                            )
                            .hint = Some(match profile {
                            Some(profile) => format!(
                                "controls using one profile share its queue: give the capacity once, in \
                                 [licensing.{profile}]"
                            ),
                            None => format!(
                                "a control without a profile names its queue by its id, and a profile \
                                 '{authority}' names the same queue: rename the event or the profile"
                            ),
                        });
                        return None;
                    }
                    Some(_) => {}
                    None => {
                        self.capacities.insert(authority.clone(), (event.to_owned(), capacity.clone()));
                    }
                }
                Some(Some(Authority { name: authority, capacity }))
            }
        };
        Some(Licence {
            approval: approval?,
            review: review?,
            partial: partial?,
            reapply: reapply?,
            terms: LicenceTerms {
                authority: authority?,
                applicants: applicants?,
                kind: kind?,
                approval_by: approval_by?,
                repeat: repeat?,
                general: general?,
            },
        })
    }
}

/// Checks each key given, naming it `<prefix>.<key>` in messages.
fn keys(builder: &mut Builder, raw: LicenceKeys<'_>, prefix: &str, start: jiff::civil::Date) -> Keys {
    let what = |key: &str| format!("{prefix}.{key}");
    Keys {
        approval: check(raw.approval, |v| builder.share(v, &what("approval"))),
        review: check(raw.review, |v| builder.days_dist(Some(v), &what("review"))),
        partial: check(raw.partial, |v| builder.share(v, &what("partial"))),
        reapply: check(raw.reapply, |v| builder.days_dist(Some(v), &what("reapply"))),
        capacity: check(raw.capacity, |v| capacity(builder, v, &what("capacity"), start)),
        applicants: check(raw.applicants, |v| applicants(builder, v, &what("applicants"))),
        kind: check(raw.kind, |v| kind(builder, v, &what("kind"))),
        validity: check(raw.validity, |v| builder.days_dist(Some(v), &what("validity"))),
        repeat: check(raw.repeat, |v| builder.share(v, &what("repeat"))),
        approval_by: check(raw.approval_by, |v| approval_by(builder, v, &what("approval_by"))),
        general: check(raw.general, |v| general(builder, v, &what("general"), start)),
    }
}

/// A key given, checked by `checker`.
fn check<R, T>(value: Option<&Loc<R>>, checker: impl FnOnce(&Loc<R>) -> Option<T>) -> Option<Key<T>> {
    value.map(|value| Key { span: value.span(), inherited: false, value: checker(value) })
}

/// `capacity`: decisions per day, or a schedule `[{ from = <date>, per_day = <number> }, …]`
/// in date order; a date before the scenario's start counts from day 0.
fn capacity(
    builder: &mut Builder,
    value: &Loc<raw::AuthorityCapacity>,
    what: &str,
    start: jiff::civil::Date,
) -> Option<Vec<(u32, f64)>> {
    let span = value.span();
    let hint = "capacity = 40 (decisions a day), or capacity = [{ from = 2025-04-04, per_day = 10 }, \
                { from = 2025-07-01, per_day = 40 }]";
    let rate = |builder: &mut Builder, rate: &Value| -> Option<f64> {
        let number = match rate {
            Value::Integer(n) => *n as f64,
            Value::Float(x) => *x,
            other => {
                builder.error(
                    format!("{what}: a rate must be a number, found {}", other.type_str()),
                    span.clone(),
                );
                return None;
            }
        };
        if !(number.is_finite() && number > 0.0 && number <= MAX_RATE) {
            builder
                .error(
                    format!("{what} must be above 0 and at most 1e9 decisions a day, found {number}"),
                    span.clone(),
                )
                .hint =
                Some("an authority that decides nothing would hold every application for good".to_owned());
            return None;
        }
        Some(number)
    };
    match value.get_ref().0 {
        Value::Integer(_) | Value::Float(_) => rate(builder, &value.get_ref().0).map(|r| vec![(0, r)]),
        Value::Array(ref items) if !items.is_empty() => {
            let mut schedule = Vec::new();
            let mut dates: Vec<jiff::civil::Date> = Vec::new();
            let mut ok = true;
            for item in items {
                let table = item
                    .as_table()
                    .filter(|t| t.len() == 2 && t.contains_key("from") && t.contains_key("per_day"));
                let Some(table) = table else {
                    builder
                        .error(
                            format!("{what}: each entry of a schedule is {{ from, per_day }}"),
                            span.clone(),
                        )
                        .hint = Some(hint.to_owned());
                    ok = false;
                    continue;
                };
                let from = table.get("from").cloned().unwrap_or(Value::Boolean(false));
                let date = builder.ok(values::date(&Loc::new(span.clone(), from), &format!("{what}.from")));
                let per_day = table.get("per_day").and_then(|r| rate(builder, r));
                let (Some(date), Some(per_day)) = (date, per_day) else {
                    ok = false;
                    continue;
                };
                if let Some(last) = dates.last()
                    && date <= *last
                {
                    builder.error(format!("{what}: {date} is not after {last}"), span.clone()).hint =
                        Some("list the schedule in date order, one rate per date".to_owned());
                    ok = false;
                }
                dates.push(date);
                schedule.push((date_to_day(start, date).clamp(0, i64::from(u32::MAX)) as u32, per_day));
            }
            ok.then_some(schedule)
        }
        _ => {
            builder.error(format!("{what} must be a number of decisions a day or a schedule"), span).hint =
                Some(hint.to_owned());
            None
        }
    }
}

fn applicants(builder: &mut Builder, value: &Loc<i64>, what: &str) -> Option<u32> {
    let n = *value.get_ref();
    if !(1..=i64::from(MAX_APPLICANTS)).contains(&n) {
        builder.error(format!("{what} must be from 1 to {MAX_APPLICANTS}, found {n}"), value.span()).hint =
            Some(
                "the firms each supply link stands for, each applying for its part of the orders".to_owned(),
            );
        return None;
    }
    Some(n as u32)
}

fn kind(builder: &mut Builder, value: &Loc<String>, what: &str) -> Option<Kind> {
    match value.get_ref().as_str() {
        "single" => Some(Kind::Single),
        "multi" => Some(Kind::Multi),
        other => {
            builder.error(format!("{what}: unknown kind '{other}'"), value.span()).hint = Some(
                "kind = \"single\" (the quantity on the book) or \"multi\" (every shipment for `validity`)"
                    .to_owned(),
            );
            None
        }
    }
}

/// `approval_by`: each entry names a sector or regions, and an approval.
fn approval_by(
    builder: &mut Builder,
    rules: &Loc<Vec<Loc<raw::RawApprovalRule>>>,
    what: &str,
) -> Option<Vec<ApprovalRule>> {
    let mut out = Vec::new();
    let mut ok = true;
    for rule in rules.get_ref() {
        let raw = rule.get_ref();
        let approval = builder.share(&raw.approval, &format!("{what}.approval"));
        let who = match (&raw.sector, &raw.regions) {
            (Some(sector), None) => {
                let name = sector.get_ref();
                if builder.sectors.contains(name) {
                    Some(PriorityClass::Sector(name.clone()))
                } else {
                    let sectors = builder.sectors.clone();
                    let declare = format!("the sectors of this scenario's buyers are {}", sectors.join(", "));
                    builder.unknown(
                        format!("{what}: no buyer has the sector '{name}'"),
                        sector,
                        sectors.iter().map(String::as_str),
                        &declare,
                    );
                    None
                }
            }
            (None, Some(regions)) if regions.get_ref().is_empty() => {
                builder.error(format!("{what}: `regions` is empty"), regions.span());
                None
            }
            (None, Some(regions)) => {
                let names: Vec<(String, Range<usize>)> =
                    regions.get_ref().iter().map(|r| (r.get_ref().clone(), r.span())).collect();
                builder.resolve_regions(&names, &format!("{what}.regions")).map(PriorityClass::Regions)
            }
            _ => {
                builder.error(format!("{what}: give each entry one of `sector` and `regions`"), rule.span()).hint =
                    Some("approval_by = [{ sector = \"defence\", approval = 0.0 }, { regions = [\"US\"], approval = 0.1 }]".to_owned());
                None
            }
        };
        match (who, approval) {
            (Some(who), Some(approval)) => out.push(ApprovalRule { who, approval }),
            _ => ok = false,
        }
    }
    ok.then_some(out)
}

/// `general = { date, share, validity }`; a date before the scenario's start is day 0.
fn general(
    builder: &mut Builder,
    value: &Loc<raw::RawGeneralLicence>,
    what: &str,
    start: jiff::civil::Date,
) -> Option<GeneralLicence> {
    let raw = value.get_ref();
    let date = builder.ok(values::date(&raw.date, &format!("{what}.date")));
    let share = builder.share(&raw.share, &format!("{what}.share"));
    let validity = builder.days_dist(Some(&raw.validity), &format!("{what}.validity"));
    let day = date_to_day(start, date?).clamp(0, i64::from(u32::MAX)) as u32;
    Some(GeneralLicence { day, share: share?, validity: validity? })
}
