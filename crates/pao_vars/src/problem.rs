//! Template problems as data: what `check_document` returns and `pao_lint` maps to rule codes.

use std::ops::Range;

/// What is wrong with a template.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TemplateProblemKind {
    /// The template does not parse (also `{% include %}`, `{% import %}`, `{% macro %}`, which
    /// this engine does not support).
    Syntax,
    /// A name that is neither a scope (`fields`, `metadata`, ...), a loop variable nor a
    /// `{% set %}` local.
    UnknownScope,
    /// `fields.X` where the item (or bundle) defines no field `X`.
    UnknownField,
    /// `outputs.A.N` where no action (or bundle component) `A` exists, or `A` does not expose `N`.
    UnknownOutput,
    /// `outputs.A.N` where `A` is the current action or runs after it.
    LaterOutput,
    /// A function, filter, test or method that is not allow-listed.
    UnknownFunction,
    /// `environment.X` where `X` is not allow-listed in `pao.toml` `[templates] environment`.
    EnvironmentNotAllowed,
    /// `metadata.X`, `request.X` or `system.X` with a key the scope does not hold.
    UnknownKey,
    /// A bundle component's field reads the outputs of itself or of a later component.
    BundleCycle,
}

impl TemplateProblemKind {
    /// Every kind, in declaration order.
    pub const ALL: [Self; 9] = [
        Self::Syntax,
        Self::UnknownScope,
        Self::UnknownField,
        Self::UnknownOutput,
        Self::LaterOutput,
        Self::UnknownFunction,
        Self::EnvironmentNotAllowed,
        Self::UnknownKey,
        Self::BundleCycle,
    ];

    /// A stable kebab-case name, e.g. `unknown-field`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Syntax => "syntax",
            Self::UnknownScope => "unknown-scope",
            Self::UnknownField => "unknown-field",
            Self::UnknownOutput => "unknown-output",
            Self::LaterOutput => "later-output",
            Self::UnknownFunction => "unknown-function",
            Self::EnvironmentNotAllowed => "environment-not-allowed",
            Self::UnknownKey => "unknown-key",
            Self::BundleCycle => "bundle-cycle",
        }
    }
}

/// One problem found in a template, located in the YAML file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TemplateProblem {
    /// What kind of problem.
    pub kind: TemplateProblemKind,
    /// What is wrong, for people.
    pub message: String,
    /// A suggestion, e.g. "did you mean `fields.instanceName`?".
    pub help: Option<String>,
    /// Byte range in the YAML file: the reference itself when it can be located exactly inside
    /// the scalar, otherwise the start of the scalar.
    pub range: Range<usize>,
    /// JSON Pointer of the string the template is in, e.g.
    /// `/fulfillment/automated/actions/0/config/url`.
    pub pointer: String,
}
