//! Where rules report: rule levels from `pao.toml` applied at the source, so a rule turned off
//! costs nothing and a downgraded one is reported as a warning.

use std::collections::HashMap;
use std::ops::Range;

use pao_config::RuleLevel;
use pao_diagnostics::{Diagnostic, Severity};

use crate::registry::Rule;

/// Each rule's effective level.
#[derive(Debug, Clone, Default)]
pub(crate) struct RuleLevels {
    overrides: HashMap<String, RuleLevel>,
}

impl RuleLevels {
    /// Levels from `[lint.rules]`; codes must already be checked against the registry.
    pub(crate) fn new(overrides: HashMap<String, RuleLevel>) -> Self {
        Self { overrides }
    }

    /// The severity a rule reports with, or `None` when it is off.
    pub(crate) fn severity(&self, rule: &Rule) -> Option<Severity> {
        match self.overrides.get(rule.code) {
            None => Some(rule.default_severity),
            Some(RuleLevel::Error) => Some(Severity::Error),
            Some(RuleLevel::Warning) => Some(Severity::Warning),
            Some(RuleLevel::Off) => None,
        }
    }
}

/// Most diagnostics one file's checks report; past it they are counted, not built, and one
/// [`TOO_MANY_FINDINGS`](crate::rules::yaml::TOO_MANY_FINDINGS) says how many more there were.
/// A generated file with 160,000 unknown keys is then as cheap to report as one with 200.
pub(crate) const MAX_DIAGNOSTICS_PER_FILE: usize = 200;

/// Collects the diagnostics of one file (or of one cross-file pass).
#[derive(Debug)]
pub(crate) struct Checker<'a> {
    levels: &'a RuleLevels,
    pub(crate) diagnostics: Vec<Diagnostic>,
    /// For one file's checks: the file, and how many findings past the cap were dropped.
    capped: Option<(String, usize)>,
}

impl<'a> Checker<'a> {
    pub(crate) fn new(levels: &'a RuleLevels) -> Self {
        Self { levels, diagnostics: Vec::new(), capped: None }
    }

    /// A checker for one file's checks, keeping at most [`MAX_DIAGNOSTICS_PER_FILE`].
    pub(crate) fn for_file(levels: &'a RuleLevels, file: &str) -> Self {
        Self { levels, diagnostics: Vec::new(), capped: Some((file.to_owned(), 0)) }
    }

    /// Whether further findings are only counted: rules skip the work of describing them.
    pub(crate) fn is_full(&self) -> bool {
        self.capped.is_some() && self.diagnostics.len() >= MAX_DIAGNOSTICS_PER_FILE
    }

    /// The diagnostics, with the "N more" one when findings were dropped.
    pub(crate) fn finish(mut self) -> Vec<Diagnostic> {
        if let Some((file, omitted)) = self.capped.take()
            && omitted > 0
            && let Some(severity) = self.levels.severity(&crate::rules::yaml::TOO_MANY_FINDINGS)
        {
            let mut diagnostic = Diagnostic::new(
                crate::rules::yaml::TOO_MANY_FINDINGS.code,
                severity,
                &file,
                0..0,
                format!(
                    "{omitted} more findings in this file are not shown (at most {MAX_DIAGNOSTICS_PER_FILE} per file)"
                ),
            );
            diagnostic.help = Some("fix the findings shown and run pao-lint again".to_owned());
            self.diagnostics.push(diagnostic);
        }
        self.diagnostics
    }

    /// Whether the rule runs at all; check before expensive work.
    pub(crate) fn enabled(&self, rule: &Rule) -> bool {
        self.levels.severity(rule).is_some()
    }

    /// Reports a finding of `rule` in `file`; returns it for labels, or `None` when the rule is off.
    pub(crate) fn report(
        &mut self,
        rule: &'static Rule,
        file: &str,
        range: Range<usize>,
        message: impl Into<String>,
        help: impl Into<Option<String>>,
    ) -> Option<&mut Diagnostic> {
        let severity = self.levels.severity(rule)?;
        if self.is_full() {
            if let Some((_, omitted)) = &mut self.capped {
                *omitted += 1;
            }
            return None;
        }
        let mut diagnostic = Diagnostic::new(rule.code, severity, file, range, message);
        diagnostic.help = help.into();
        self.diagnostics.push(diagnostic);
        self.diagnostics.last_mut()
    }
}

/// The closest of `candidates` to `name`, if it is close enough to be a likely typo.
pub(crate) fn closest<'c>(name: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<&'c str> {
    candidates
        .into_iter()
        .map(|candidate| (strsim::jaro_winkler(&name.to_lowercase(), &candidate.to_lowercase()), candidate))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
}

/// `did you mean `x`?` when there is a close candidate.
pub(crate) fn did_you_mean<'c>(name: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<String> {
    closest(name, candidates).map(|candidate| format!("did you mean `{candidate}`?"))
}
