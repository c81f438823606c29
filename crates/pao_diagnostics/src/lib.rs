//! Diagnostics: what a check found, where, and how to fix it; and the four ways to print them.
//!
//! A [`Diagnostic`] carries byte ranges. Lines and columns are computed once per file, from the
//! [`SourceFile`] the report keeps for every file with findings, when a renderer runs. The
//! renderers are siblings in [`render`]: `human` (miette snippets), `json` (the SPEC shape),
//! `sarif` (SARIF 2.1.0 for code scanning) and `github` (workflow commands).

#![deny(missing_docs)]

pub mod fingerprint;
mod model;
pub mod render;

pub use model::{
    Diagnostic, Edit, Fix, Label, Located, Report, RuleMeta, Severity, SourceFile, Suppression, intern_code,
};
