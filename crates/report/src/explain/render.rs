//! An [`Explanation`] in plain sentences, one per fact, dates formatted by the caller.

use super::{BuyerKind, Explanation, Finding, Held, Step, Supplier};

impl Explanation {
    /// The same explanation with every facility and buyer shown as `name` says (a display
    /// name for a briefing); event ids stay. The structured fields change too: use it for
    /// rendering, not for matching ids.
    pub fn with_names(mut self, name: &dyn Fn(&str) -> String) -> Explanation {
        self.entity = name(&self.entity);
        for step in &mut self.steps {
            step.entity = name(&step.entity);
            for supplier in &mut step.suppliers {
                supplier.id = name(&supplier.id);
            }
        }
        self
    }

    /// The explanation as plain sentences, upstream from the entity to the root, one fact
    /// each: a command prints them as lines, a report as list items. `date` formats a day
    /// (0-based from the start date), e.g. as the scenario's calendar date; each date is
    /// followed by its day number.
    pub fn lines(&self, date: &dyn Fn(u32) -> String) -> Vec<String> {
        let when = |day: u32| format!("{} (day {day})", date(day));
        let Some(_) = self.first_shortage else {
            let last = self.horizon_days.saturating_sub(1);
            return vec![format!(
                "{} never ran short in this run ({} days, to {}).",
                self.entity,
                self.horizon_days,
                date(last)
            )];
        };
        let mut lines = Vec::new();
        for (n, step) in self.steps.iter().enumerate() {
            lines.push(step_line(step, n == 0, &when));
            if let Some((event, start)) = &step.demand_shock {
                lines.push(format!("Its demand was raised by {event} from {}.", when(*start)));
            }
            if step.suppliers.is_empty() {
                lines.push(format!("{} has no supplier of {} in the model.", step.entity, step.input));
                continue;
            }
            lines.push(sources_line(step));
            // The culprit first (its shortage last: the next step follows from it), then
            // the other suppliers with findings, then those with none.
            let mut order: Vec<usize> = step.culprit.into_iter().collect();
            order.extend((0..step.suppliers.len()).filter(|&i| Some(i) != step.culprit));
            for i in order.iter().copied().filter(|&i| !step.suppliers[i].findings.is_empty()) {
                let supplier = &step.suppliers[i];
                let mut findings: Vec<&Finding> = supplier.findings.iter().collect();
                findings.sort_by_key(|f| matches!(f, Finding::RanShort { .. }));
                for finding in findings {
                    lines.push(finding_line(step, supplier, finding, &when, date));
                }
            }
            let clean: Vec<String> = (step.suppliers.iter())
                .filter(|s| s.findings.is_empty())
                .map(|s| format!("{} ({})", s.id, percent(s.share)))
                .collect();
            if !clean.is_empty() {
                lines.push(format!(
                    "Nothing is recorded against {} by then: no hold, cut or shortage of {}.",
                    list(&clean, "or"),
                    if clean.len() == 1 { "its own" } else { "their own" }
                ));
            }
        }
        lines.push(match &self.root {
            Some(root) => {
                format!("Root: {} ({}), in force from {}.", root.event, root.event_type, when(root.day))
            }
            None => "The chain ends here: no scenario event is recorded behind it.".to_owned(),
        });
        lines
    }
}

/// What went short on the step's day.
fn step_line(step: &Step, first: bool, when: &dyn Fn(u32) -> String) -> String {
    let unmet = quantity(step.unmet, &step.unit);
    let on_hand = quantity(step.input_on_hand, &step.input_unit);
    match (step.kind, first) {
        (BuyerKind::Sink, _) => format!(
            "{} first ran short on {}: {unmet} of its demand for {} went unmet, with {on_hand} on hand.",
            step.entity,
            when(step.day),
            step.product
        ),
        (BuyerKind::Facility, true) => format!(
            "{} first lost production on {} for want of {}: {unmet} of {} not made, {on_hand} of {} on hand.",
            step.entity,
            when(step.day),
            step.input,
            step.product,
            step.input
        ),
        (BuyerKind::Facility, false) => format!(
            "On {}, {} lost production for want of {}: {unmet} of {} not made, {on_hand} of {} on hand.",
            when(step.day),
            step.entity,
            step.input,
            step.product,
            step.input
        ),
    }
}

/// Where the input comes from.
fn sources_line(step: &Step) -> String {
    let base: Vec<String> = (step.suppliers.iter())
        .filter(|s| !s.alternate)
        .map(|s| format!("{} ({})", s.id, percent(s.share)))
        .collect();
    let alternates: Vec<&str> =
        step.suppliers.iter().filter(|s| s.alternate).map(|s| s.id.as_str()).collect();
    let mut line = format!("Its {} comes from {}", step.input, list(&base, "and"));
    if !alternates.is_empty() {
        line.push_str(&format!(", with {} as alternate", list(&alternates, "and")));
    }
    line.push('.');
    line
}

/// One finding against one supplier.
fn finding_line(
    step: &Step,
    supplier: &Supplier,
    finding: &Finding,
    when: &dyn Fn(u32) -> String,
    date: &dyn Fn(u32) -> String,
) -> String {
    let (s, b) = (&supplier.id, &step.entity);
    match finding {
        Finding::Held { how, rule, first_day, last_day, held_peak, licences } => {
            let why = match how {
                Held::Banned => format!("banned by {rule}"),
                Held::LicencePending => format!("waiting for licences under {rule}"),
                Held::LicenceRefused => format!("refused licences under {rule}"),
                Held::QuotaUsedUp => format!("once quota {rule} was used up"),
                Held::LaneClosed => format!("the lane closed by {rule}"),
            };
            let span = if last_day > first_day {
                format!("from {} to {}", when(*first_day), date(*last_day))
            } else {
                format!("on {}", when(*first_day))
            };
            let mut line = format!(
                "{s} held {} orders at its door, {why}, {span}: up to {} at once.",
                possessive(b),
                quantity(*held_peak, &step.input_unit)
            );
            if let Some(l) = licences {
                let who = if l.applicants == 1 {
                    "Its applicant".to_owned()
                } else {
                    format!("Its {} applicants", l.applicants)
                };
                line.push_str(&format!(" {who} first applied on {}", date(l.first_applied)));
                match l.first_approved {
                    Some(d) => line.push_str(&format!("; the first approval came on {}.", when(d))),
                    None => line.push_str(&format!("; none was approved by {}.", date(step.day))),
                }
            }
            line
        }
        Finding::CapacityCut { event, day, before, then } => {
            let figures = match (before, then) {
                (Some(before), Some(then)) => format!(
                    " ({} a day before, {} on {})",
                    quantity(*before, &step.input_unit),
                    quantity(*then, &step.input_unit),
                    date(step.day)
                ),
                _ => String::new(),
            };
            format!("{} capacity was cut by {event} from {}{figures}.", possessive(s), when(*day))
        }
        Finding::LaneDelayed { event, day } => {
            format!("{} shipments to {b} were delayed by {event} from {}.", possessive(s), when(*day))
        }
        Finding::RanShort { day } => format!("{s} had run short itself from {}.", when(*day)),
        Finding::StockOut { day } => {
            format!(
                "{} output stock was empty on {}: orders exceeded what it made.",
                possessive(s),
                when(*day)
            )
        }
    }
}

/// `us_auto's`, `us_motors'`.
fn possessive(id: &str) -> String {
    if id.ends_with('s') { format!("{id}'") } else { format!("{id}'s") }
}

/// A share as a whole percentage (one decimal below 1 %).
fn percent(share: f64) -> String {
    let p = share * 100.0;
    if p > 0.0 && p < 1.0 { format!("{p:.1} %") } else { format!("{p:.0} %") }
}

/// `a`, `a and b`, `a, b and c`.
fn list<S: AsRef<str>>(items: &[S], and: &str) -> String {
    match items {
        [] => String::new(),
        [one] => one.as_ref().to_owned(),
        [rest @ .., last] => {
            let rest: Vec<&str> = rest.iter().map(AsRef::as_ref).collect();
            format!("{} {and} {}", rest.join(", "), last.as_ref())
        }
    }
}

/// A quantity with its unit: whole numbers with thousands separators from 100 up, one
/// decimal from 1, two significant figures below.
pub(super) fn quantity(value: f64, unit: &str) -> String {
    let magnitude = value.abs();
    let number = if !value.is_finite() {
        format!("{value}")
    } else if magnitude >= 100.0 {
        let whole = format!("{:.0}", magnitude);
        let mut grouped = String::new();
        for (i, c) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(c);
        }
        if value < 0.0 { format!("-{grouped}") } else { grouped }
    } else if magnitude >= 1.0 || magnitude == 0.0 {
        let text = format!("{value:.1}");
        text.strip_suffix(".0").map_or(text.clone(), str::to_owned)
    } else {
        let decimals = (-magnitude.log10().floor()) as usize + 1;
        format!("{value:.decimals$}")
    };
    format!("{number} {unit}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_read_as_people_write_them() {
        assert_eq!(quantity(0.0, "t"), "0 t");
        assert_eq!(quantity(12.0, "t"), "12 t");
        assert_eq!(quantity(12.34, "t"), "12.3 t");
        assert_eq!(quantity(0.0123, "t"), "0.012 t");
        assert_eq!(quantity(1234567.4, "motors"), "1,234,567 motors");
        assert_eq!(quantity(100.0, "t"), "100 t");
    }

    #[test]
    fn names_replace_entity_ids_and_leave_events() {
        use super::super::{Root, Step, Supplier};
        let supplier =
            Supplier { id: "cn_magnets".into(), share: 1.0, alternate: false, findings: Vec::new() };
        let step = Step {
            day: 3,
            entity: "us_motors".into(),
            kind: BuyerKind::Facility,
            product: "ev_motor".into(),
            unit: "motors".into(),
            unmet: 5.0,
            input: "ndfeb_magnet".into(),
            input_unit: "t".into(),
            input_on_hand: 0.0,
            demand_shock: None,
            suppliers: vec![supplier],
            culprit: Some(0),
        };
        let explanation = Explanation {
            entity: "us_motors".into(),
            horizon_days: 10,
            first_shortage: Some(3),
            steps: vec![step],
            root: Some(Root { event: "ban".into(), event_type: "export_control".into(), day: 1 }),
        };
        let named = explanation.with_names(&|id: &str| match id {
            "us_motors" => "US motor makers".to_owned(),
            "cn_magnets" => "Chinese magnet makers".to_owned(),
            other => other.to_owned(),
        });
        let lines = named.lines(&|day| format!("day{day}")).join(" ");
        assert!(lines.contains("US motor makers first lost production"), "{lines}");
        assert!(lines.contains("Chinese magnet makers (100 %)"), "{lines}");
        assert!(lines.contains("Root: ban (export_control)"), "{lines}");
        assert!(!lines.contains("us_motors") && !lines.contains("cn_magnets"), "{lines}");
    }

    #[test]
    fn lists_and_shares() {
        assert_eq!(list(&["a"], "and"), "a");
        assert_eq!(list(&["a", "b", "c"], "or"), "a, b or c");
        assert_eq!(percent(0.9), "90 %");
        assert_eq!(percent(0.004), "0.4 %");
    }
}
