//! The rule registry: every rule's code, name, default severity and documentation.
//!
//! A rule is a `static` declared with [`declare_rule!`], whose doc comment is its documentation
//! (`## What it does`, `## Why is this bad?`, `## Example`). [`RULES`](crate::codes::RULES) lists
//! them all; codes are never reused.

use pao_diagnostics::{RuleMeta, Severity};

/// A lint rule's identity and documentation.
#[derive(Debug)]
pub struct Rule {
    /// `PAO` and three digits; the hundreds are the family.
    pub code: &'static str,
    /// Kebab-case name, after the problem it flags.
    pub name: &'static str,
    /// Severity unless `pao.toml` says otherwise.
    pub default_severity: Severity,
    /// One line.
    pub summary: &'static str,
    /// The doc comment, one leading space per line still in place.
    pub raw_docs: &'static str,
}

impl Rule {
    /// The documentation as Markdown.
    pub fn docs(&self) -> String {
        self.raw_docs.lines().map(|line| line.strip_prefix(' ').unwrap_or(line)).collect::<Vec<_>>().join("\n")
    }

    /// The family name of the rule's code.
    pub fn family(&self) -> &'static str {
        match self.code.as_bytes().get(3) {
            Some(b'1') => "yaml",
            Some(b'2') => "schema",
            Some(b'3') => "naming",
            Some(b'4') => "templates",
            Some(b'5') => "form",
            Some(b'6') => "lifecycle-and-ownership",
            Some(b'7') => "bundles",
            Some(b'8') => "changes",
            Some(b'9') => "suppressions",
            _ => "other",
        }
    }

    /// What renderers need.
    pub fn meta(&'static self) -> RuleMeta {
        RuleMeta {
            code: self.code,
            name: self.name,
            summary: self.summary,
            explanation: self.raw_docs,
            default_severity: self.default_severity,
        }
    }
}

/// Declares a rule; its doc comment becomes its documentation.
///
/// ```ignore
/// declare_rule! {
///     /// ## What it does
///     /// ...
///     pub(crate) static UNKNOWN_KEY = ("PAO201", "unknown-key", Error, "Key not allowed here");
/// }
/// ```
#[macro_export]
macro_rules! declare_rule {
    ($(#[doc = $doc:literal])* $vis:vis static $ident:ident = ($code:literal, $name:literal, $severity:ident, $summary:literal);) => {
        $(#[doc = $doc])*
        $vis static $ident: $crate::registry::Rule = $crate::registry::Rule {
            code: $code,
            name: $name,
            default_severity: ::pao_diagnostics::Severity::$severity,
            summary: $summary,
            raw_docs: concat!($($doc, "\n"),*),
        };
    };
}
