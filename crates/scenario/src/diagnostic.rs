//! Problems found in a scenario file, with their location, and their rendering.

use std::ops::Range;

use codespan_reporting::diagnostic::{Diagnostic as Rendered, Label};
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term;

/// How bad a problem is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    /// The scenario cannot run.
    Error,
    /// Likely a mistake; the scenario still runs.
    Warning,
}

/// One problem, located in the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// What is wrong, in one sentence.
    pub message: String,
    /// Byte range of the offending value, when it has one.
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

    /// Adds a hint.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

/// The diagnostics of one file, with the file's text so they can be shown in context.
#[derive(Clone, Debug)]
pub struct Report {
    /// File name as the user gave it.
    pub file: String,
    /// The file's text.
    pub source: String,
    /// Every problem found, in file order.
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

    /// `file:line:col` of a byte offset (1-based line and column, in characters).
    pub fn location(&self, offset: usize) -> String {
        let offset = offset.min(self.source.len());
        let before = self.source.get(..offset).unwrap_or("");
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        format!("{}:{line}:{column}", self.file)
    }

    /// Renders every diagnostic as plain text: message, `file:line:col`, the source
    /// snippet with the value underlined, and the hint.
    pub fn render(&self) -> String {
        let file = SimpleFile::new(self.file.as_str(), self.source.as_str());
        let config = term::Config::default();
        let mut out = String::new();
        for diagnostic in &self.diagnostics {
            let rendered = match diagnostic.severity {
                Severity::Error => Rendered::error(),
                Severity::Warning => Rendered::warning(),
            };
            let mut rendered = rendered.with_message(&diagnostic.message);
            match &diagnostic.span {
                Some(span) => {
                    let span = span.start.min(self.source.len())..span.end.min(self.source.len());
                    rendered = rendered.with_labels(vec![Label::primary((), span)]);
                }
                None => rendered = rendered.with_notes(vec![format!("in {}", self.file)]),
            }
            if let Some(hint) = &diagnostic.hint {
                rendered = rendered.with_notes(vec![format!("hint: {hint}")]);
            }
            if term::emit_to_string(&mut out, &config, &file, &rendered).is_err() {
                // Rendering failed (a span off a char boundary): fall back to one line.
                let at = diagnostic.span.as_ref().map_or(self.file.clone(), |s| self.location(s.start));
                out.push_str(&format!("{at}: {}\n", diagnostic.message));
            }
        }
        out
    }
}

/// The id among `known` closest to `wanted`, if it is close enough to be a likely typo.
pub fn did_you_mean<'a>(wanted: &str, known: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    known
        .map(|candidate| (strsim::damerau_levenshtein(wanted, candidate), candidate))
        .filter(|&(distance, candidate)| distance <= (candidate.len().max(wanted.len()) / 3).max(1))
        .min_by_key(|&(distance, candidate)| (distance, candidate))
        .map(|(_, candidate)| candidate)
}
