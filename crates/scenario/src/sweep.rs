//! Setting scenario keys by dotted path: the `[sweep.grid]` table and `--set`.
//!
//! A path names a key the way the reference does: `scenario.horizon`,
//! `facilities.<id>.capacity`, `demand.<id>.rate`, `products.<id>.value`,
//! `event.<id>.end`, `supply.<buyer>.<product>.transit`, `licensing.<id>.approval`,
//! `adaptation.release_pace`, `report.step`, `allocation.rule`, `blocs.<name>`; deeper
//! segments reach into inline tables (`facilities.<id>.policy.target`,
//! `event.<id>.licence.approval`, `adaptation.emergency.target`). The value replaces the
//! key's value whole, as an override in an extending file does, and carries its own
//! location, so a bad value is reported where it was written.

use std::borrow::Cow;
use std::ops::Range;
use std::path::Path;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::build::{Loaded, build, finish};
use crate::diagnostic::{Diagnostic, Severity, Sources, did_you_mean};
use crate::document::{self, Node, ReadFile};

/// One key set by path.
pub(crate) struct Override<'s> {
    pub(crate) path: String,
    pub(crate) path_span: Range<usize>,
    pub(crate) value: Node<'s>,
}

const PATH_HINT: &str =
    "a path is section.id.key, e.g. facilities.my_lynas.capacity or event.mofcom-18-2025.end";

/// Sets one key of the merged tree.
pub(crate) fn apply<'s>(tree: &mut DeTable<'s>, o: &Override<'s>) -> Result<(), Box<Diagnostic>> {
    let fail = |message: String, hint: String| {
        Box::new(Diagnostic::error(message, o.path_span.clone()).with_hint(hint))
    };
    let segments: Vec<&str> = o.path.split('.').collect();
    let key = |name: &str| Spanned::new(o.path_span.clone(), Cow::Owned(name.to_owned()));
    let section = segments[0];
    let (target, rest): (&mut Node<'s>, &[&str]) = match section {
        "scenario" | "adaptation" | "allocation" | "report" => {
            if segments.len() < 2 {
                return Err(fail(format!("`{}` names a section, not a key", o.path), PATH_HINT.to_owned()));
            }
            if section == "scenario" && segments[1] == "extends" {
                return Err(fail(
                    "scenario.extends cannot be set".to_owned(),
                    "extend another file instead".to_owned(),
                ));
            }
            let node = tree
                .entry(key(section))
                .or_insert_with(|| Spanned::new(o.path_span.clone(), DeValue::Table(DeTable::new())));
            (node, &segments[1..])
        }
        "products" | "facilities" | "demand" | "licensing" | "blocs" => {
            let Some(id) = segments.get(1) else {
                return Err(fail(format!("`{}` needs an id", o.path), PATH_HINT.to_owned()));
            };
            let table = tree.get_mut(section).and_then(|n| match n.get_mut() {
                DeValue::Table(t) => Some(t),
                _ => None,
            });
            let known: Vec<String> = table
                .as_ref()
                .map(|t| t.keys().map(|k| k.get_ref().to_string()).collect())
                .unwrap_or_default();
            let Some(node) = table.and_then(|t| t.get_mut(*id)) else {
                let hint = did_you_mean(id, known.iter().map(String::as_str)).map_or_else(
                    || format!("no [{section}.{id}] is declared"),
                    |s| format!("did you mean '{s}'?"),
                );
                return Err(fail(format!("`{}`: unknown id '{id}' in [{section}]", o.path), hint));
            };
            if section == "blocs" && segments.len() > 2 {
                return Err(fail(
                    format!("`{}`: a bloc is a list; set blocs.{id} whole", o.path),
                    PATH_HINT.to_owned(),
                ));
            }
            if section == "blocs" {
                *node = o.value.clone();
                return Ok(());
            }
            (node, &segments[2..])
        }
        "event" | "supply" => {
            let width = if section == "event" { 1 } else { 2 };
            if segments.len() < 1 + width {
                return Err(fail(
                    format!("`{}` does not name an entry of [[{section}]]", o.path),
                    PATH_HINT.to_owned(),
                ));
            }
            let wanted = &segments[1..=width];
            let fields: &[&str] = if section == "event" { &["id"] } else { &["buyer", "product"] };
            let identity = |n: &Node<'_>| -> Option<Vec<String>> {
                let t = n.get_ref().as_table()?;
                fields
                    .iter()
                    .map(|f| t.get(*f).and_then(|v| v.get_ref().as_str()).map(str::to_owned))
                    .collect()
            };
            let list = tree.get_mut(section).and_then(|n| match n.get_mut() {
                DeValue::Array(a) => Some(a),
                _ => None,
            });
            let known: Vec<String> = list
                .as_ref()
                .map(|l| l.iter().filter_map(|n| identity(n).map(|v| v.join("."))).collect())
                .unwrap_or_default();
            let Some(node) =
                list.and_then(|l| l.iter_mut().find(|n| identity(n).is_some_and(|v| v == wanted)))
            else {
                let joined = wanted.join(".");
                let hint = did_you_mean(&joined, known.iter().map(String::as_str)).map_or_else(
                    || format!("no [[{section}]] entry is {joined}"),
                    |s| format!("did you mean '{s}'?"),
                );
                return Err(fail(format!("`{}`: no [[{section}]] entry '{joined}'", o.path), hint));
            };
            (node, &segments[1 + width..])
        }
        other => {
            let hint = match did_you_mean(other, crate::parse::SECTIONS.into_iter()) {
                Some(s) if s != "sweep" => format!("did you mean '{s}'?"),
                _ => PATH_HINT.to_owned(),
            };
            return Err(fail(format!("`{}`: '{other}' is not a section that can be set", o.path), hint));
        }
    };
    let Some((last, walk)) = rest.split_last() else {
        return Err(fail(format!("`{}` names an entity, not one of its keys", o.path), PATH_HINT.to_owned()));
    };
    let mut node = target;
    for segment in walk {
        let DeValue::Table(table) = node.get_mut() else {
            return Err(fail(
                format!("`{}`: '{segment}' is inside a value that is not a table", o.path),
                PATH_HINT.to_owned(),
            ));
        };
        node = table
            .entry(key(segment))
            .or_insert_with(|| Spanned::new(o.path_span.clone(), DeValue::Table(DeTable::new())));
    }
    let DeValue::Table(table) = node.get_mut() else {
        return Err(fail(
            format!("`{}`: the key is inside a value that is not a table", o.path),
            PATH_HINT.to_owned(),
        ));
    };
    table.insert(key(last), o.value.clone());
    Ok(())
}

/// Checks every value of `[sweep.grid]` by building the scenario with it; returns the grid,
/// each value as the TOML text written in the file.
pub(crate) fn check_grid(
    sources: &Sources,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Vec<(String, Vec<String>)>> {
    let tree = document::merged_tree(sources);
    let grid = tree
        .get("sweep")
        .and_then(|s| s.get_ref().as_table())
        .and_then(|s| s.get("grid"))
        .and_then(|g| g.get_ref().as_table());
    let Some(grid) = grid else { return Some(Vec::new()) };
    let mut out = Vec::new();
    let mut ok = true;
    for (path, values) in grid {
        let Some(items) = values.get_ref().as_array() else {
            diagnostics.push(
                Diagnostic::error(
                    format!("sweep.grid.\"{}\" must be a list of values", path.get_ref()),
                    values.span(),
                )
                .with_hint("write \"facilities.x.capacity\" = [5.0, 10.0]"),
            );
            ok = false;
            continue;
        };
        let mut checked = Vec::new();
        for item in items.iter() {
            let o =
                Override { path: path.get_ref().to_string(), path_span: path.span(), value: item.clone() };
            let mut found = Vec::new();
            build(sources, std::slice::from_ref(&o), &mut found);
            let errors: Vec<Diagnostic> =
                found.into_iter().filter(|d| d.severity == Severity::Error).collect();
            if errors.is_empty() {
                let span = item.span();
                let text = sources.locate(span.start).map(|(file, offset)| {
                    let text = &sources.files()[file].text;
                    text[offset..(offset + span.len()).min(text.len())].to_owned()
                });
                checked.extend(text);
            } else {
                ok = false;
                diagnostics.extend(errors);
            }
        }
        out.push((path.get_ref().to_string(), checked));
    }
    ok.then_some(out)
}

/// Loads the scenario at `path` with keys set by dotted path (`(path, TOML value)` pairs,
/// as given to `--set`); a bad path or value is reported in a pseudo-file named
/// `<command line>`.
pub fn load_path_with(
    path: &Path,
    read: &mut ReadFile<'_>,
    sets: &[(String, String)],
) -> Result<Loaded, crate::Report> {
    let mut sources = Sources::default();
    let mut diagnostics = Vec::new();
    if !document::read_chain(path, read, &mut sources, &mut diagnostics) {
        return Err(crate::Report { sources, diagnostics });
    }
    // Each setting is one line `path = value` of the pseudo-file.
    let text: String = sets.iter().map(|(p, v)| format!("{p} = {v}\n")).collect();
    let base = sources.add("<command line>", text);
    let mut offset = base;
    let mut spans = Vec::new();
    for (p, v) in sets {
        let path_span = offset..offset + p.len();
        let value_start = offset + p.len() + 3;
        spans.push((p.clone(), path_span, value_start, v.len()));
        offset += p.len() + 3 + v.len() + 1;
    }
    let file = &sources.files()[sources.files().len() - 1].text;
    let mut overrides = Vec::new();
    for (p, path_span, value_start, len) in spans {
        let local = value_start - base;
        match document::parse_value(&file[local..local + len], value_start) {
            Some(value) => overrides.push(Override { path: p, path_span, value }),
            None => diagnostics.push(
                Diagnostic::error(
                    format!("the value of {p} is not a TOML value"),
                    value_start..value_start + len,
                )
                .with_hint("write numbers as 5.0, strings in quotes (\"90d\"), dates as 2025-12-31"),
            ),
        }
    }
    let scenario = if diagnostics.is_empty() { build(&sources, &overrides, &mut diagnostics) } else { None };
    finish(sources.clone(), diagnostics, scenario)
}
