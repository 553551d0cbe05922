//! The merged TOML tree into the raw layer, section by section and entity by entity, so
//! that a type error in one entity does not hide the problems of the others.

use serde::Deserialize;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::document::Node;
use crate::raw::{
    Broken, BrokenEntity, Entries, Loc, RawCapacity, RawDemandShock, RawEvent, RawExportControl,
    RawLogistics, RawQuota, RawScenario, RawStockpile, RawSubstitute, RawSuspend,
};

/// Top-level sections of a scenario file.
pub const SECTIONS: [&str; 13] = [
    "scenario",
    "blocs",
    "products",
    "facilities",
    "supply",
    "demand",
    "event",
    "licensing",
    "adaptation",
    "allocation",
    "report",
    "sweep",
    "backtest",
];

/// Reads the raw layer out of the merged tree, reporting every shape problem.
pub(crate) fn raw_scenario(tree: DeTable<'_>, diagnostics: &mut Vec<Diagnostic>) -> RawScenario {
    let mut raw = RawScenario::default();
    for (key, node) in tree {
        match key.get_ref().as_ref() {
            "scenario" => raw.scenario = one(node, "[scenario]", diagnostics),
            "blocs" => raw.blocs = entries(node, "[blocs]", diagnostics, &mut raw.broken),
            "products" => raw.products = entries(node, "[products.<id>]", diagnostics, &mut raw.broken),
            "facilities" => raw.facilities = entries(node, "[facilities.<id>]", diagnostics, &mut raw.broken),
            "demand" => raw.demand = entries(node, "[demand.<id>]", diagnostics, &mut raw.broken),
            "supply" => {
                let broken = &mut raw.broken;
                raw.supply = list(node, "supply", diagnostics, broken, |n, d, b| {
                    let names = (text_of(&n, "buyer"), text_of(&n, "product"));
                    let item = one(n, "[[supply]]", d);
                    if item.is_none() {
                        b.supply.push(names);
                    }
                    item
                })
            }
            "event" => {
                let broken = &mut raw.broken;
                raw.event = list(node, "event", diagnostics, broken, |n, d, b| {
                    let id = text_of(&n, "id");
                    let item = event(n, d);
                    if item.is_none() {
                        b.ids.extend(id);
                    }
                    item
                })
            }
            "licensing" => raw.licensing = entries(node, "[licensing.<id>]", diagnostics, &mut raw.broken),
            "adaptation" => raw.adaptation = one(node, "[adaptation]", diagnostics),
            "allocation" => raw.allocation = one(node, "[allocation]", diagnostics),
            "report" => raw.report = one(node, "[report]", diagnostics),
            "sweep" => raw.sweep = one(node, "[sweep]", diagnostics),
            "backtest" => raw.backtest = one(node, "[backtest]", diagnostics),
            other => {
                let hint = match did_you_mean(other, SECTIONS.into_iter()) {
                    Some(s) => format!("did you mean [{s}]?"),
                    None => format!("the sections are {}", SECTIONS.join(", ")),
                };
                diagnostics.push(
                    Diagnostic::error(format!("unknown section `{other}`"), key.span()).with_hint(hint),
                );
            }
        }
    }
    raw
}

/// Deserialises one node, turning a serde error into a located diagnostic.
fn one<T: for<'de> Deserialize<'de>>(
    node: Node<'_>,
    what: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Loc<T>> {
    let span = node.span();
    Loc::<T>::deserialize(ValueDeserializer::from(node))
        .map_err(|error| diagnostics.push(serde_error(&error, span, what)))
        .ok()
}

/// Each entry of a table keyed by id, deserialised on its own.
fn entries<T: for<'de> Deserialize<'de>>(
    node: Node<'_>,
    what: &str,
    diagnostics: &mut Vec<Diagnostic>,
    broken: &mut Broken,
) -> Entries<T> {
    let span = node.span();
    let DeValue::Table(table) = node.into_inner() else {
        diagnostics.push(
            Diagnostic::error(format!("{what} must be a table of entries keyed by id"), span)
                .with_hint(format!("write {what} headers, one per entry")),
        );
        broken.sections.push(what.to_owned());
        return Vec::new();
    };
    let mut out = Vec::new();
    for (id, value) in table {
        let id = Loc::new(id.span(), id.get_ref().to_string());
        let (product, region) = (text_of(&value, "product"), text_of(&value, "region"));
        match one(value, what, diagnostics) {
            Some(value) => out.push((id, value)),
            None => {
                broken.ids.push(id.get_ref().clone());
                broken.entities.push(BrokenEntity { id: id.get_ref().clone(), product, region });
            }
        }
    }
    out
}

/// The string value of `key` in a table node, if it has one.
fn text_of(node: &Node<'_>, key: &str) -> Option<String> {
    node.get_ref().as_table()?.get(key)?.get_ref().as_str().map(str::to_owned)
}

/// Each item of an array of tables.
fn list<T>(
    node: Node<'_>,
    name: &str,
    diagnostics: &mut Vec<Diagnostic>,
    broken: &mut Broken,
    mut item: impl FnMut(Node<'_>, &mut Vec<Diagnostic>, &mut Broken) -> Option<T>,
) -> Vec<T> {
    let span = node.span();
    match node.into_inner() {
        DeValue::Array(items) => items.into_iter().filter_map(|n| item(n, diagnostics, broken)).collect(),
        _ => {
            broken.sections.push(name.to_owned());
            diagnostics.push(
                Diagnostic::error(format!("`{name}` must be a list of tables"), span)
                    .with_hint(format!("write each entry under its own [[{name}]] header (two brackets)")),
            );
            Vec::new()
        }
    }
}

/// An `[[event]]`: its `type` first, then the body of that type.
fn event(node: Node<'_>, diagnostics: &mut Vec<Diagnostic>) -> Option<Loc<RawEvent>> {
    let span = node.span();
    let DeValue::Table(mut table) = node.into_inner() else {
        diagnostics.push(Diagnostic::error("an event must be a table", span));
        return None;
    };
    let types = RawEvent::TYPES.join(", ");
    let Some(kind) = table.remove("type") else {
        diagnostics.push(
            Diagnostic::error("this event has no `type`", span.clone())
                .with_hint(format!("add type = \"…\", one of {types}")),
        );
        return None;
    };
    let Some(name) = kind.get_ref().as_str().map(str::to_owned) else {
        diagnostics
            .push(Diagnostic::error("an event's `type` must be a string", kind.span()).with_hint(types));
        return None;
    };
    let body = toml::Spanned::new(span.clone(), DeValue::Table(table));
    let what = format!("a {name} event");
    let event = match name.as_str() {
        "export_control" => one::<RawExportControl>(body, &what, diagnostics)
            .map(|b| b.0.into_inner())
            .map(RawEvent::ExportControl),
        "quota" => one::<RawQuota>(body, &what, diagnostics).map(|b| RawEvent::Quota(b.0.into_inner())),
        "suspend" => one::<RawSuspend>(body, &what, diagnostics).map(|b| RawEvent::Suspend(b.0.into_inner())),
        "capacity" => {
            one::<RawCapacity>(body, &what, diagnostics).map(|b| RawEvent::Capacity(b.0.into_inner()))
        }
        "demand" => {
            one::<RawDemandShock>(body, &what, diagnostics).map(|b| RawEvent::Demand(b.0.into_inner()))
        }
        "logistics" => {
            one::<RawLogistics>(body, &what, diagnostics).map(|b| RawEvent::Logistics(b.0.into_inner()))
        }
        "stockpile" => {
            one::<RawStockpile>(body, &what, diagnostics).map(|b| RawEvent::Stockpile(b.0.into_inner()))
        }
        "substitute" => {
            one::<RawSubstitute>(body, &what, diagnostics).map(|b| RawEvent::Substitute(b.0.into_inner()))
        }
        other => {
            let hint = match did_you_mean(other, RawEvent::TYPES.into_iter()) {
                Some(s) => format!("did you mean '{s}'?"),
                None => format!("event types: {types}"),
            };
            diagnostics.push(
                Diagnostic::error(format!("unknown event type '{other}'"), kind.span()).with_hint(hint),
            );
            None
        }
    };
    event.map(|e| Loc::new(span, e))
}

/// A serde error as a diagnostic, with a hint suited to its kind.
pub(crate) fn serde_error(
    error: &toml::de::Error,
    fallback: std::ops::Range<usize>,
    what: &str,
) -> Diagnostic {
    let mut message = error.message().trim_end().to_owned();
    // serde speaks Rust; say it in TOML.
    for (rust, toml) in [
        ("expected f64", "expected a number"),
        ("expected i64", "expected an integer"),
        ("expected u32", "expected a whole number"),
        ("expected a boolean", "expected true or false"),
        ("expected a sequence", "expected a list [ … ]"),
        ("invalid type: sequence", "invalid type: a list"),
        ("invalid type: map", "invalid type: a table"),
        ("expected a map", "expected a table { … }"),
        ("expected struct ", "expected a table: "),
        ("invalid type: floating point", "invalid type: a number"),
        ("invalid type: integer", "invalid type: a number"),
        ("invalid type: string", "invalid type: a string"),
    ] {
        message = message.replace(rust, toml);
    }
    let span = error.span().unwrap_or(fallback);
    let hint = if let Some(rest) = message.strip_prefix("unknown field `") {
        let field = rest.split('`').next().unwrap_or("");
        let expected: Vec<&str> = rest.split('`').skip(2).step_by(2).collect();
        match did_you_mean(field, expected.iter().copied()) {
            Some(s) => format!("did you mean `{s}`?"),
            None if expected.is_empty() => format!("{what} takes no keys here; see docs/scenario-format.md"),
            None => format!("{what} takes {}", expected.join(", ")),
        }
    } else if message.starts_with("missing field") {
        match required_keys(what) {
            Some(keys) => {
                format!("{what} needs {}; docs/scenario-format.md says what each means", keys.join(", "))
            }
            None => format!("add it to {what}; docs/scenario-format.md says what it means"),
        }
    } else if message.starts_with("invalid type") {
        "docs/scenario-format.md gives the type of every key".to_owned()
    } else {
        "see docs/scenario-format.md".to_owned()
    };
    let message = if message.starts_with("missing field") { format!("{what}: {message}") } else { message };
    Diagnostic::error(message, span).with_hint(hint)
}

/// The keys an event type requires (from the JSON Schema), for `what` = "a <type> event".
fn required_keys(what: &str) -> Option<Vec<String>> {
    static SCHEMA: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    let name = what.strip_prefix("a ")?.strip_suffix(" event")?;
    let schema = SCHEMA.get_or_init(crate::json_schema);
    let variants = schema.pointer("/definitions/RawEvent/oneOf")?.as_array()?;
    let variant = variants
        .iter()
        .find(|v| v.pointer("/properties/type/const").and_then(|c| c.as_str()) == Some(name))?;
    let required = variant.get("required")?.as_array()?;
    Some(required.iter().filter_map(|k| k.as_str()).filter(|k| *k != "type").map(str::to_owned).collect())
}
