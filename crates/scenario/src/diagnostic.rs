//! Problems found in scenario files, with their location, and their rendering.
//!
//! A scenario may span several files (a scenario and the world files it extends). Every
//! file read gets its own range of a single offset space ([`Sources`]), so one `usize`
//! span says both which file and where in it; [`Report`] turns it back into
//! `file:line:col` and renders the snippet with codespan-reporting.

use std::ops::Range;

use codespan_reporting::diagnostic::{Diagnostic as Rendered, Label};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term;

/// How bad a problem is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// The scenario cannot run.
    Error,
    /// Likely a mistake; the scenario still runs.
    Warning,
}

impl Severity {
    /// `"error"` or `"warning"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// One problem, located in the files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// What is wrong, in one sentence.
    pub message: String,
    /// Range of the offending value in the [`Sources`] offset space, when it has one.
    pub span: Option<Range<usize>>,
    /// What to do about it.
    pub hint: Option<String>,
}

impl Diagnostic {
    /// An error at `span`.
    pub fn error(message: impl Into<String>, span: Range<usize>) -> Self {
        Diagnostic { severity: Severity::Error, message: message.into(), span: Some(span), hint: None }
    }

    /// A warning at `span`.
    pub fn warning(message: impl Into<String>, span: Range<usize>) -> Self {
        Diagnostic { severity: Severity::Warning, message: message.into(), span: Some(span), hint: None }
    }

    /// An error about a whole file rather than a place in it.
    pub fn unlocated(message: impl Into<String>) -> Self {
        Diagnostic { severity: Severity::Error, message: message.into(), span: None, hint: None }
    }

    /// Adds a hint.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

/// One file read for a scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceFile {
    /// Its name as shown in diagnostics (the path as the user or the extending file gave it).
    pub name: String,
    /// Its text.
    pub text: String,
    /// Where its byte 0 sits in the shared offset space.
    pub base: usize,
}

/// Every file read for a scenario, each at its own range of one offset space.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sources {
    files: Vec<SourceFile>,
    /// How many of the files are scenario or world files (the rest, such as the
    /// `<command line>` of `--set`, are not merged into the scenario).
    pub(crate) documents: usize,
}

impl Sources {
    /// Adds a file; returns its base offset.
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> usize {
        // One byte of gap keeps the end of one file apart from the start of the next.
        let base = self.files.last().map_or(0, |f| f.base + f.text.len() + 1);
        self.files.push(SourceFile { name: name.into(), text: text.into(), base });
        base
    }

    /// The files, in the order they were read (the scenario first).
    pub fn files(&self) -> &[SourceFile] {
        &self.files
    }

    /// The index of the file holding `offset`, and the offset inside it.
    pub fn locate(&self, offset: usize) -> Option<(usize, usize)> {
        let index = self.files.partition_point(|f| f.base <= offset).checked_sub(1)?;
        let file = &self.files[index];
        (offset <= file.base + file.text.len()).then(|| (index, offset - file.base))
    }
}

/// A place in a file: 1-based line and column (in characters).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// File name.
    pub file: String,
    /// Line, from 1.
    pub line: usize,
    /// Column in characters, from 1.
    pub column: usize,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// The diagnostics of one load, with the files they point into.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Every file read.
    pub sources: Sources,
    /// Every problem found, errors before warnings, each group in file order.
    pub diagnostics: Vec<Diagnostic>,
}

impl Report {
    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(|d| d.severity == Severity::Error)
    }

    /// Number of errors.
    pub fn n_errors(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.severity == Severity::Error).count()
    }

    /// Number of warnings.
    pub fn n_warnings(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.severity == Severity::Warning).count()
    }

    /// The name of the file loaded (the first one read).
    pub fn file(&self) -> &str {
        self.sources.files().first().map_or("<input>", |f| f.name.as_str())
    }

    /// `file:line:col` of an offset.
    pub fn location(&self, offset: usize) -> Option<Location> {
        let (index, local) = self.sources.locate(offset)?;
        let file = &self.sources.files()[index];
        let local = floor_char_boundary(&file.text, local);
        let before = &file.text[..local];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        Some(Location { file: file.name.clone(), line, column })
    }

    /// Renders every diagnostic: message, `file:line:col`, the source snippet with the value
    /// underlined, and the hint; with ANSI colours when `colour` is set.
    pub fn render(&self, colour: bool) -> String {
        let mut files = SimpleFiles::new();
        for file in self.sources.files() {
            files.add(file.name.as_str(), file.text.as_str());
        }
        let config = term::Config::default();
        let mut plain = String::new();
        let mut coloured = term::termcolor::Buffer::ansi();
        for diagnostic in &self.diagnostics {
            let rendered = match diagnostic.severity {
                Severity::Error => Rendered::error(),
                Severity::Warning => Rendered::warning(),
            };
            let mut rendered = rendered.with_message(&diagnostic.message);
            let mut notes = Vec::new();
            match diagnostic.span.as_ref().and_then(|span| self.local(span)) {
                Some((index, span)) => rendered = rendered.with_labels(vec![Label::primary(index, span)]),
                None if self.sources.files().is_empty() => {}
                None => notes.push(format!("in {}", self.file())),
            }
            if let Some(hint) = &diagnostic.hint {
                notes.push(format!("hint: {hint}"));
            }
            rendered = rendered.with_notes(notes);
            let ok = if colour {
                term::emit_to_write_style(&mut coloured, &config, &files, &rendered).is_ok()
            } else {
                term::emit_to_string(&mut plain, &config, &files, &rendered).is_ok()
            };
            if !ok {
                // Rendering failed: fall back to one line.
                let at = diagnostic.span.as_ref().and_then(|s| self.location(s.start));
                let line = format!(
                    "{}: {}: {}\n",
                    at.map_or_else(|| self.file().to_owned(), |l| l.to_string()),
                    diagnostic.severity.as_str(),
                    diagnostic.message
                );
                if colour {
                    // Writing to a memory buffer cannot fail.
                    let _ = std::io::Write::write_all(&mut coloured, line.as_bytes());
                } else {
                    plain.push_str(&line);
                }
            }
        }
        if colour { String::from_utf8_lossy(coloured.as_slice()).into_owned() } else { plain }
    }

    /// The diagnostics as JSON: one object per diagnostic with `severity`, `message`,
    /// `file`, `line`, `column`, `end_line`, `end_column` and `hint`.
    pub fn to_json(&self) -> serde_json::Value {
        let items = self.diagnostics.iter().map(|d| {
            let start = d.span.as_ref().and_then(|s| self.location(s.start));
            let end = d.span.as_ref().and_then(|s| self.location(s.end));
            serde_json::json!({
                "severity": d.severity.as_str(),
                "message": d.message,
                "file": start.as_ref().map_or(self.file(), |l| l.file.as_str()),
                "line": start.as_ref().map(|l| l.line),
                "column": start.as_ref().map(|l| l.column),
                "end_line": end.as_ref().map(|l| l.line),
                "end_column": end.as_ref().map(|l| l.column),
                "hint": d.hint,
            })
        });
        serde_json::Value::Array(items.collect())
    }

    /// The file index and local range of a span, clipped to the file and to characters.
    fn local(&self, span: &Range<usize>) -> Option<(usize, Range<usize>)> {
        let (index, start) = self.sources.locate(span.start)?;
        let text = &self.sources.files()[index].text;
        let end = span.end.saturating_sub(span.start).saturating_add(start).min(text.len());
        Some((index, floor_char_boundary(text, start)..floor_char_boundary(text, end.max(start))))
    }
}

fn floor_char_boundary(text: &str, mut index: usize) -> usize {
    index = index.min(text.len());
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

/// The id among `known` closest to `wanted`, if it is close enough to be a likely typo.
pub fn did_you_mean<'a>(wanted: &str, known: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    known
        .map(|candidate| (strsim::damerau_levenshtein(wanted, candidate), candidate))
        .filter(|&(distance, candidate)| {
            let length = candidate.len().max(wanted.len());
            // One edit in short ids, two from three letters ("oar" for "ore"), a third of
            // the length in long ones.
            distance <= if length < 3 { 1 } else { (length / 3).max(2) }
        })
        .min_by_key(|&(distance, candidate)| (distance, candidate))
        .map(|(_, candidate)| candidate)
}
