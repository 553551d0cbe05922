//! Why a command failed, as printed on stderr, and whether to colour it.

use std::io::IsTerminal;

/// Why a command failed, ready to print.
#[derive(Debug)]
pub enum Failure {
    /// The scenario file was rejected: its rendered diagnostics.
    Scenario(String),
    /// SIGINT or SIGTERM stopped the command: what was done, and that nothing was written.
    Interrupted(String),
    /// Anything else: what went wrong, and what to do.
    Other {
        /// What went wrong.
        message: String,
        /// What to do about it.
        hint: Option<String>,
    },
}

impl From<chokepoint::Error> for Failure {
    fn from(error: chokepoint::Error) -> Self {
        match error {
            chokepoint::Error::Scenario(report) => Failure::Scenario(report.render(colour())),
            chokepoint::Error::Interrupted(message) => Failure::Interrupted(message),
            chokepoint::Error::Model(errors) => {
                let list: Vec<String> = errors.iter().map(|e| format!("  - {e}")).collect();
                Failure::new(format!("the model cannot run:\n{}", list.join("\n")), "fix the scenario file")
            }
            chokepoint::Error::Other { message, hint } => Failure::new(message, hint),
        }
    }
}

impl From<chokepoint_report::Error> for Failure {
    fn from(error: chokepoint_report::Error) -> Self {
        Failure::new(error.message, error.hint)
    }
}

impl Failure {
    /// A failure with a hint.
    pub fn new(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Failure::Other { message: message.into(), hint: Some(hint.into()) }
    }

    /// The failure as printed on stderr: the message, and the hint below it.
    pub fn render(&self) -> String {
        match self {
            Failure::Scenario(text) => text.trim_end().to_owned(),
            Failure::Interrupted(message) => format!("error: {message}"),
            Failure::Other { message, hint: Some(hint) } => format!("error: {message}\n  = hint: {hint}"),
            Failure::Other { message, hint: None } => format!("error: {message}"),
        }
    }
}

/// Whether to colour diagnostics: only on a terminal, and never when `NO_COLOR` is set.
pub fn colour() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}
