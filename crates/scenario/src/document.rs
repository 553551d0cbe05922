//! The document layer: files to one spanned TOML tree, with world files merged in.
//!
//! Loading runs in two passes so that the trees can borrow from texts that no longer move:
//! 1. read the chain of files (`scenario.extends`, then the world's own `extends`, …),
//!    adding each to [`Sources`] and checking its syntax;
//! 2. parse each file again, shift its spans into the shared offset space, and merge the
//!    chain from the deepest world up, so the extending file wins.
//!
//! # What overriding means
//!
//! A file that extends a world adds to it and overrides it, entity by entity and key by
//! key, never deeper:
//! - `[scenario]`, `[adaptation]`, `[allocation]`, `[report]`, `[sweep]`, `[blocs]`: each
//!   key the file gives replaces the world's value of that key;
//! - `[products.<id>]`, `[facilities.<id>]`, `[demand.<id>]`, `[licensing.<id>]`: a new id
//!   adds an entity; a known id merges its keys into the world's entity, each given key
//!   replacing the world's value whole (`capacity = { uniform = [1, 2] }` replaces any earlier capacity,
//!   `inputs = { … }` replaces the whole recipe);
//! - `[[supply]]` entries are matched by (`buyer`, `product`) and `[[event]]` entries by
//!   `id`: a match merges keys as above, anything else is added.
//!
//! Nothing can be removed; to drop a world's entity, write a world without it.

use std::path::{Component, Path, PathBuf};

use toml::Spanned;
use toml::de::{DeArray, DeTable, DeValue};

use crate::diagnostic::{Diagnostic, Sources};

/// A node of the merged tree.
pub(crate) type Node<'s> = Spanned<DeValue<'s>>;

/// How the loader reads a file: its text, or a message saying why it cannot.
pub type ReadFile<'a> = dyn FnMut(&Path) -> Result<String, String> + 'a;

/// Largest scenario or world file read, in bytes.
pub const MAX_FILE_BYTES: usize = 16 << 20;

/// Most world files a scenario may stack with `extends`.
pub const MAX_EXTENDS_DEPTH: usize = 16;

/// Pass 1: reads `root` and every world file it extends into `sources`, root first.
/// Returns false when a file cannot be read or parsed; the problems are in `diagnostics`.
pub(crate) fn read_chain(
    root: &Path,
    read: &mut ReadFile<'_>,
    sources: &mut Sources,
    diagnostics: &mut Vec<Diagnostic>,
) -> bool {
    let mut path = root.to_path_buf();
    let mut visited: Vec<PathBuf> = Vec::new();
    let mut from: Option<std::ops::Range<usize>> = None;
    loop {
        let text = match read(&path) {
            Ok(text) => text,
            Err(why) => {
                diagnostics.push(match from {
                    Some(span) => {
                        Diagnostic::error(format!("cannot read world file '{}': {why}", path.display()), span)
                            .with_hint("`extends` is a path relative to the file that extends")
                    }
                    None => Diagnostic::unlocated(format!(
                        "cannot read scenario file '{}': {why}",
                        path.display()
                    ))
                    .with_hint("check the path; bundled scenarios are under scenarios/"),
                });
                return false;
            }
        };
        if text.len() > MAX_FILE_BYTES {
            let message = format!(
                "{} is {} bytes; scenario and world files are limited to {MAX_FILE_BYTES} bytes",
                path.display(),
                text.len()
            );
            diagnostics.push(match from {
                Some(span) => Diagnostic::error(message, span),
                None => Diagnostic::unlocated(message),
            });
            return false;
        }
        visited.push(normalise(&path));
        if let Some(span) = from.clone() {
            // A world file that is not TOML may not be a scenario at all (`extends =
            // "/etc/passwd"`): say where it broke and why, at the `extends` line, without
            // quoting the file's content.
            let (_, errors) = DeTable::parse_recoverable(&text);
            if let Some(error) = errors.first() {
                let (line, column) = line_column(&text, error.span().map_or(0, |s| s.start));
                diagnostics.push(
                    Diagnostic::error(
                        format!(
                            "world file '{}' is not valid TOML (line {line}, column {column}): {}",
                            path.display(),
                            error.message().trim_end()
                        ),
                        span,
                    )
                    .with_hint(
                        "`extends` must name a chokepoint world file; fix the path, or check that \
                         file alone with `chokepoint check FILE`",
                    ),
                );
                return false;
            }
        }
        let base = sources.add(path.display().to_string(), text);
        sources.documents = sources.files().len();
        let text = &sources.files()[sources.files().len() - 1].text;
        let (tree, errors) = DeTable::parse_recoverable(text);
        if !errors.is_empty() {
            // Errors after the first are mostly the parser's recovery tripping over the
            // first one: report the first, which is where the file went wrong.
            for error in errors.into_iter().take(1) {
                let span = error.span().map_or(base..base, |s| s.start + base..s.end + base);
                let message = error.message().trim_end().to_owned();
                let hint = if message.contains("between array elements") || message.contains("in array") {
                    "a list `[` opened above is not closed with `]` (or a comma is missing between its items)"
                } else if message.contains("expected month") {
                    "months run from 01 to 12: write dates as 2025-04-04"
                } else if message.contains("invalid date") || message.contains("expected day") {
                    "check the day of the month: February has 28 days (29 in leap years); April, June, \
                     September and November have 30"
                } else {
                    "this is not valid TOML here; see https://toml.io and docs/scenario-format.md"
                };
                diagnostics.push(Diagnostic::error(message, span).with_hint(hint));
            }
            return false;
        }
        let Some(extends) = extends_of(tree.get_ref(), base, diagnostics) else {
            return diagnostics.is_empty();
        };
        let (target, span) = extends;
        // The path is read as written, relative to the extending file's directory, so the
        // operating system resolves `..` and symbolic links; `normalise` only names files
        // for the loop check.
        let next = path.parent().unwrap_or(Path::new("")).join(&target);
        if visited.contains(&normalise(&next)) {
            let chain: Vec<String> = visited.iter().map(|p| p.display().to_string()).collect();
            diagnostics.push(
                Diagnostic::error(
                    format!("world files extend each other in a loop: {} -> {}", chain.join(" -> "), target),
                    span,
                )
                .with_hint("a world file must not extend the file that extends it"),
            );
            return false;
        }
        if visited.len() >= MAX_EXTENDS_DEPTH {
            diagnostics.push(
                Diagnostic::error(format!("more than {MAX_EXTENDS_DEPTH} files extend each other"), span)
                    .with_hint("flatten the chain of world files"),
            );
            return false;
        }
        path = next;
        from = Some(span);
    }
}

/// The `scenario.extends` of a parsed file, with its global span.
fn extends_of(
    tree: &DeTable<'_>,
    base: usize,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<(String, std::ops::Range<usize>)> {
    let value = tree.get("scenario")?.get_ref().as_table()?.get("extends")?;
    let span = value.span().start + base..value.span().end + base;
    match value.get_ref().as_str() {
        Some(target) if !target.trim().is_empty() => Some((target.to_owned(), span)),
        _ => {
            diagnostics.push(
                Diagnostic::error("scenario.extends must be the path of a world file", span)
                    .with_hint("write extends = \"worlds/ai-chain-2025.toml\""),
            );
            None
        }
    }
}

/// Pass 2: the merged tree of the files in `sources` (root first, worlds after).
pub(crate) fn merged_tree(sources: &Sources) -> DeTable<'_> {
    let mut merged = DeTable::new();
    for file in sources.files()[..sources.documents].iter().rev() {
        // Pass 1 parsed every file without error.
        let tree = DeTable::parse(&file.text).map(Spanned::into_inner).unwrap_or_default();
        merge_file(&mut merged, shift_table(tree, file.base));
    }
    merged
}

/// Parses one more file of overrides (e.g. `--set` values) into the shared offset space.
pub(crate) fn parse_value(text: &str, base: usize) -> Option<Node<'_>> {
    let value = DeValue::parse(text).ok()?;
    Some(shift(value, base))
}

fn shift_table(table: DeTable<'_>, base: usize) -> DeTable<'_> {
    table.into_iter().map(|(key, value)| (move_span(key, base), shift(value, base))).collect()
}

fn shift(value: Node<'_>, base: usize) -> Node<'_> {
    let span = value.span();
    let inner = match value.into_inner() {
        DeValue::Table(table) => DeValue::Table(shift_table(table, base)),
        DeValue::Array(array) => {
            DeValue::Array(array.into_iter().map(|item| shift(item, base)).collect::<DeArray<'_>>())
        }
        other => other,
    };
    Spanned::new(span.start + base..span.end + base, inner)
}

fn move_span<T>(value: Spanned<T>, base: usize) -> Spanned<T> {
    let span = value.span();
    Spanned::new(span.start + base..span.end + base, value.into_inner())
}

/// Merges a file over the tree merged so far, by the rule in the module documentation.
fn merge_file<'s>(merged: &mut DeTable<'s>, file: DeTable<'s>) {
    for (key, value) in file {
        let Some(existing) = merged.get_mut(key.get_ref().as_ref()) else {
            merged.insert(key, value);
            continue;
        };
        match key.get_ref().as_ref() {
            "products" | "facilities" | "demand" | "licensing" => merge_entities(existing, value),
            "supply" => merge_list(existing, value, &["buyer", "product"]),
            "event" => merge_list(existing, value, &["id"]),
            _ => merge_keys(existing, value),
        }
    }
}

/// Key by key: each key of `over` replaces that key of `base`.
fn merge_keys<'s>(base: &mut Node<'s>, over: Node<'s>) {
    if let (DeValue::Table(table), true) = (base.get_mut(), over.get_ref().is_table()) {
        if let DeValue::Table(over) = over.into_inner() {
            for (key, value) in over {
                table.insert(key, value);
            }
        }
        return;
    }
    *base = over;
}

/// Entity by entity: known ids merge key by key, new ids are added.
fn merge_entities<'s>(base: &mut Node<'s>, over: Node<'s>) {
    if let (DeValue::Table(table), true) = (base.get_mut(), over.get_ref().is_table()) {
        if let DeValue::Table(over) = over.into_inner() {
            for (id, entity) in over {
                match table.get_mut(id.get_ref().as_ref()) {
                    Some(existing) => merge_keys(existing, entity),
                    None => {
                        table.insert(id, entity);
                    }
                }
            }
        }
        return;
    }
    *base = over;
}

/// Array entries matched by the values of `keys`: a match merges, anything else is added.
fn merge_list<'s>(base: &mut Node<'s>, over: Node<'s>, keys: &[&str]) {
    let identity = |node: &Node<'_>| -> Option<Vec<String>> {
        let table = node.get_ref().as_table()?;
        keys.iter().map(|k| table.get(*k).and_then(|v| v.get_ref().as_str()).map(str::to_owned)).collect()
    };
    let (DeValue::Array(_), DeValue::Array(_)) = (base.get_ref(), over.get_ref()) else {
        *base = over;
        return;
    };
    let DeValue::Array(over) = over.into_inner() else { return };
    let DeValue::Array(list) = base.get_mut() else { return };
    let mut added = Vec::new();
    for entry in over {
        let id = identity(&entry);
        match id.and_then(|id| list.iter_mut().find(|e| identity(e).as_ref() == Some(&id))) {
            Some(existing) => merge_keys(existing, entry),
            None => added.push(entry),
        }
    }
    for entry in added {
        list.push(entry);
    }
}

/// `a/./b/../c` as `a/c`, without touching the file system: a name for the loop check,
/// never a path to read (a `..` after a symbolic link is the link target's parent). A
/// leading `..` stays, however many there are.
fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => match out.components().next_back() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                // `/..` is `/`.
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(".."),
            },
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// The 1-based line and column (in characters) of byte `offset` of `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_normalise_lexically() {
        assert_eq!(normalise(Path::new("a/./b/../c.toml")), PathBuf::from("a/c.toml"));
        assert_eq!(normalise(Path::new("../w.toml")), PathBuf::from("../w.toml"));
        // Leading `..` never cancel each other: `../../w` is two levels up, not here.
        assert_eq!(normalise(Path::new("../../w.toml")), PathBuf::from("../../w.toml"));
        assert_eq!(normalise(Path::new("a/../../../w.toml")), PathBuf::from("../../w.toml"));
        assert_eq!(normalise(Path::new("/../w.toml")), PathBuf::from("/w.toml"));
    }

    #[test]
    fn line_and_column_count_from_one() {
        assert_eq!(line_column("ab\ncd", 0), (1, 1));
        assert_eq!(line_column("ab\ncd", 4), (2, 2));
        assert_eq!(line_column("é\nx", 3), (2, 1));
    }

    #[test]
    fn spans_are_shifted_into_the_shared_space() {
        let mut sources = Sources::default();
        sources.add("a.toml", "x = 1\n");
        sources.add("b.toml", "y = 2\n");
        sources.documents = 2;
        let tree = merged_tree(&sources);
        // b.toml starts at 7 (6 bytes + 1 gap); `2` is its byte 4.
        assert_eq!(tree.get("y").map(|v| v.span()), Some(11..12));
        assert_eq!(tree.get("x").map(|v| v.span()), Some(4..5));
    }
}
