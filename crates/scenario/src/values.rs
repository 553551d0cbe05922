//! Interpreting the values that can take several shapes: durations, dates, distributions,
//! stocks and export-control targets.

use chokepoint_engine::{Dist, Region};
use toml::Value;

use crate::diagnostic::Diagnostic;
use crate::raw::Loc;

type Checked<T> = Result<T, Diagnostic>;

/// A raw value of some named shape: the TOML value inside.
pub(crate) trait Shape {
    fn value(&self) -> &Value;
}

impl Shape for Value {
    fn value(&self) -> &Value {
        self
    }
}

macro_rules! shapes {
    ($($name:ident),*) => {
        $(impl Shape for crate::raw::$name {
            fn value(&self) -> &Value {
                &self.0
            }
        })*
    };
}
shapes!(Date, Duration, Uncertain, UncertainDays, StockAmount, Targets, Start, End, Noise, AuthorityCapacity);

const DURATION_HINT: &str =
    "write a duration as a string with a unit, like \"45d\" or \"6w\", or a number of days";

fn span<T>(value: &Loc<T>) -> std::ops::Range<usize> {
    value.span()
}

/// Days in a duration string (`"45d"`, `"6w"`), if it is one.
///
/// ```
/// assert_eq!(chokepoint_scenario::parse_duration("6w"), Some(42.0));
/// assert_eq!(chokepoint_scenario::parse_duration("45 d"), Some(45.0));
/// assert_eq!(chokepoint_scenario::parse_duration("45"), None);
/// ```
pub fn parse_duration(text: &str) -> Option<f64> {
    let text = text.trim();
    let (number, unit) = text.split_at(text.find(|c: char| c.is_ascii_alphabetic())?);
    let number: f64 = number.trim().parse().ok()?;
    let days = match unit.trim() {
        "d" => number,
        "w" => number * 7.0,
        _ => return None,
    };
    days.is_finite().then_some(days)
}

/// A number of days: an integer or float, or a duration string.
pub(crate) fn days(value: &Loc<impl Shape>, what: &str) -> Checked<f64> {
    let days = match value.get_ref().value() {
        Value::Integer(n) => *n as f64,
        Value::Float(x) => *x,
        Value::String(text) => parse_duration(text).ok_or_else(|| {
            Diagnostic::error(format!("{what}: \"{text}\" is not a duration"), span(value))
                .with_hint(DURATION_HINT)
        })?,
        other => {
            return Err(Diagnostic::error(
                format!("{what} must be a duration, found {}", other.type_str()),
                span(value),
            )
            .with_hint(DURATION_HINT));
        }
    };
    if !days.is_finite() || days < 0.0 {
        return Err(Diagnostic::error(
            format!("{what} must be a duration of 0 days or more, found {days}"),
            span(value),
        )
        .with_hint(DURATION_HINT));
    }
    Ok(days)
}

/// A whole number of days of at least `min`.
pub(crate) fn whole_days(value: &Loc<impl Shape>, what: &str, min: u32, max: u32) -> Checked<u32> {
    let days = days(value, what)?;
    if days.fract() != 0.0 || days < f64::from(min) || days > f64::from(max) {
        return Err(Diagnostic::error(
            format!("{what} must be a whole number of days from {min} to {max}, found {days}"),
            span(value),
        )
        .with_hint(DURATION_HINT));
    }
    Ok(days as u32)
}

/// A TOML date (no time, no offset), checked against the calendar.
pub(crate) fn date(value: &Loc<impl Shape>, what: &str) -> Checked<jiff::civil::Date> {
    let hint = "write a date as a bare TOML date, like 2025-04-04 (no quotes, no time)";
    let Value::Datetime(datetime) = value.get_ref().value() else {
        return Err(Diagnostic::error(
            format!("{what} must be a date, found {}", value.get_ref().value().type_str()),
            span(value),
        )
        .with_hint(hint));
    };
    let (Some(day), None, None) = (datetime.date, datetime.time, datetime.offset) else {
        return Err(Diagnostic::error(
            format!("{what} must be a date without a time, found {datetime}"),
            span(value),
        )
        .with_hint(hint));
    };
    jiff::civil::Date::new(day.year as i16, day.month as i8, day.day as i8).map_err(|_| {
        Diagnostic::error(format!("{what}: {datetime} is not a day of the calendar"), span(value))
            .with_hint("check the day of the month (February has 28 days, 29 in leap years)")
    })
}

const DIST_HINT: &str = "write a number, or one of { uniform = [low, high] }, { triangular = [min, mode, max] }, \
{ normal = { mean = …, sd = … } }, { lognormal = { mean = …, sd = … } }, { beta = { a = …, b = … } }";

fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Integer(n) => Some(*n as f64),
        Value::Float(x) => Some(*x),
        _ => None,
    }
}

/// A number or a distribution. With `allow_duration`, strings like `"45d"` are days.
pub(crate) fn dist(value: &Loc<impl Shape>, what: &str, allow_duration: bool) -> Checked<Dist> {
    let bad = |message: String| Diagnostic::error(message, span(value)).with_hint(DIST_HINT);
    let dist = match value.get_ref().value() {
        Value::Integer(_) | Value::Float(_) => Dist::Const(number(value.get_ref().value()).unwrap_or(0.0)),
        Value::String(_) if allow_duration => Dist::Const(days(value, what)?),
        Value::Table(table) => {
            let mut entries = table.iter();
            let (Some((kind, body)), None) = (entries.next(), entries.next()) else {
                return Err(bad(format!("{what}: a distribution table has exactly one key")));
            };
            let list = |n: usize| -> Checked<Vec<f64>> {
                let numbers: Option<Vec<f64>> =
                    body.as_array().map(|a| a.iter().filter_map(number).collect());
                match numbers {
                    Some(numbers) if numbers.len() == n && body.as_array().is_some_and(|a| a.len() == n) => {
                        Ok(numbers)
                    }
                    _ => Err(bad(format!("{what}: {kind} takes a list of {n} numbers"))),
                }
            };
            let field = |name: &str, default: Option<f64>| -> Checked<f64> {
                match body.as_table().map(|t| t.get(name)) {
                    Some(Some(v)) => {
                        number(v).ok_or_else(|| bad(format!("{what}: {kind}.{name} must be a number")))
                    }
                    Some(None) => default.ok_or_else(|| bad(format!("{what}: {kind} needs `{name}`"))),
                    None => Err(bad(format!("{what}: {kind} takes a table of parameters"))),
                }
            };
            let known = |names: &[&str]| -> Checked<()> {
                if let Some(extra) =
                    body.as_table().and_then(|t| t.keys().find(|k| !names.contains(&k.as_str())))
                {
                    return Err(bad(format!(
                        "{what}: {kind} has no parameter `{extra}` (it takes {})",
                        names.join(", ")
                    )));
                }
                Ok(())
            };
            match kind.as_str() {
                "uniform" => {
                    let v = list(2)?;
                    Dist::Uniform { low: v[0], high: v[1] }
                }
                "triangular" => {
                    let v = list(3)?;
                    Dist::Triangular { min: v[0], mode: v[1], max: v[2] }
                }
                "normal" => {
                    known(&["mean", "sd"])?;
                    Dist::Normal { mean: field("mean", Some(0.0))?, sd: field("sd", None)? }
                }
                "lognormal" => {
                    known(&["mean", "sd"])?;
                    Dist::LogNormal { mean: field("mean", None)?, sd: field("sd", None)? }
                }
                "beta" => {
                    known(&["a", "b"])?;
                    Dist::Beta { a: field("a", None)?, b: field("b", None)? }
                }
                other => return Err(bad(format!("{what}: unknown distribution `{other}`"))),
            }
        }
        other => {
            return Err(bad(format!(
                "{what} must be a number or a distribution, found {}",
                other.type_str()
            )));
        }
    };
    dist.check().map_err(|problem| bad(format!("{what}: {problem}")))?;
    Ok(dist)
}

/// A stock: a number of units, or a duration meaning days of baseline flow.
pub(crate) fn stock(value: &Loc<impl Shape>, what: &str) -> Checked<chokepoint_engine::Stock> {
    match value.get_ref().value() {
        Value::String(_) => Ok(chokepoint_engine::Stock::Days(days(value, what)?)),
        other => match number(other) {
            Some(units) if units.is_finite() && units >= 0.0 => Ok(chokepoint_engine::Stock::Units(units)),
            Some(units) => {
                Err(Diagnostic::error(format!("{what} must be 0 or more, found {units}"), span(value)))
            }
            None => Err(Diagnostic::error(
                format!("{what} must be a number of units or a duration, found {}", other.type_str()),
                span(value),
            )
            .with_hint("write units as a number (500.0) or days of use as a duration (\"30d\")")),
        },
    }
}

/// A region code: two upper-case letters (ISO 3166-1 alpha-2).
pub(crate) fn region(value: &Loc<String>, what: &str) -> Checked<Region> {
    Region::new(value.get_ref()).ok_or_else(|| {
        let hint = if value.get_ref().len() == 2 {
            format!("region codes are upper case: \"{}\"", value.get_ref().to_uppercase())
        } else {
            "use an ISO 3166-1 alpha-2 code such as \"CN\", \"US\" or \"DE\"".to_owned()
        };
        Diagnostic::error(format!("{what}: \"{}\" is not a region code", value.get_ref()), span(value))
            .with_hint(hint)
    })
}
