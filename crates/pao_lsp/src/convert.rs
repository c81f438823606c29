//! `pao_diagnostics::Diagnostic` (byte ranges) to LSP diagnostics (UTF-16 positions), with the
//! rule's code linked to its documentation and the help text kept for hover and code actions.

use lsp_types::{
    CodeDescription, Diagnostic as LspDiagnostic, DiagnosticRelatedInformation, DiagnosticSeverity, Location,
    NumberOrString, Url,
};
use pao_diagnostics::{Diagnostic, Severity};
use serde::{Deserialize, Serialize};

use crate::position::LineIndex16;

/// The `source` of every diagnostic the server publishes.
pub const SOURCE: &str = "pao-lint";

/// Where the rule documentation is published: `docs/rules/<CODE>.md`, one page per rule (the
/// pages SARIF `helpUri`s point at, generated from the rules' doc comments).
const RULES_DIR: &str = "https://github.com/pao-dev/pao/blob/main/docs/rules";

/// The documentation page of a rule, `docs/rules/<CODE>.md`, when `code` is one of pao-lint's.
pub fn rule_url(code: &str) -> Option<Url> {
    pao_lint::codes::RULES.iter().any(|rule| rule.code == code).then_some(())?;
    Url::parse(&format!("{RULES_DIR}/{code}.md")).ok()
}

/// What the server keeps in a published diagnostic's `data`, to answer hover and code actions
/// about it without linting again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiagnosticData {
    /// How to fix it, when the rule says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

/// Converts one diagnostic of the file at `uri`, whose text is `text`.
pub fn to_lsp(diagnostic: &Diagnostic, uri: &Url, text: &str, index: &LineIndex16) -> LspDiagnostic {
    let related: Vec<DiagnosticRelatedInformation> = diagnostic
        .labels
        .iter()
        .map(|label| DiagnosticRelatedInformation {
            location: Location { uri: uri.clone(), range: index.range(text, &label.range) },
            message: label.message.clone(),
        })
        .collect();
    let message = match &diagnostic.help {
        Some(help) => format!("{}\nhelp: {help}", diagnostic.message),
        None => diagnostic.message.clone(),
    };
    LspDiagnostic {
        range: index.range(text, &diagnostic.range),
        severity: Some(match diagnostic.severity {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
        }),
        code: Some(NumberOrString::String(diagnostic.code.to_owned())),
        code_description: rule_url(diagnostic.code).map(|href| CodeDescription { href }),
        source: Some(SOURCE.to_owned()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        tags: None,
        data: serde_json::to_value(DiagnosticData { help: diagnostic.help.clone() }).ok(),
    }
}

/// The rule code of a published diagnostic, if it is one of ours.
pub fn code_of(diagnostic: &LspDiagnostic) -> Option<&str> {
    if diagnostic.source.as_deref() != Some(SOURCE) {
        return None;
    }
    match &diagnostic.code {
        Some(NumberOrString::String(code)) => Some(code),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_ranges_severity_code_and_labels() {
        let text = "kéy: 1\nkéy: 2\n";
        let index = LineIndex16::new(text);
        let uri = Url::parse("file:///repo/catalog/a/b.yaml").unwrap();
        let second = text.rfind("kéy").unwrap();
        let d = Diagnostic::new("PAO102", Severity::Error, "catalog/a/b.yaml", second..second + 4, "duplicate key")
            .with_help("remove one")
            .with_label(0..4, "first here");
        let lsp = to_lsp(&d, &uri, text, &index);
        assert_eq!(lsp.range.start, lsp_types::Position { line: 1, character: 0 });
        // `kéy` is 4 bytes, 3 UTF-16 units.
        assert_eq!(lsp.range.end, lsp_types::Position { line: 1, character: 3 });
        assert_eq!(lsp.severity, Some(DiagnosticSeverity::ERROR));
        assert_eq!(code_of(&lsp), Some("PAO102"));
        assert_eq!(lsp.message, "duplicate key\nhelp: remove one");
        assert_eq!(
            lsp.code_description.unwrap().href.as_str(),
            "https://github.com/pao-dev/pao/blob/main/docs/rules/PAO102.md"
        );
        let related = lsp.related_information.unwrap();
        assert_eq!(related[0].location.range.end, lsp_types::Position { line: 0, character: 3 });
        let data: DiagnosticData = serde_json::from_value(lsp.data.unwrap()).unwrap();
        assert_eq!(data.help.as_deref(), Some("remove one"));
    }

    #[test]
    fn every_rule_links_to_its_page_and_the_page_exists() {
        let docs = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/rules");
        for rule in pao_lint::codes::RULES {
            let url = rule_url(rule.code).unwrap_or_else(|| panic!("{} has no page", rule.code));
            let file = url.path_segments().unwrap().next_back().unwrap().to_owned();
            assert_eq!(file, format!("{}.md", rule.code));
            assert!(std::path::Path::new(docs).join(&file).is_file(), "{}: docs/rules/{file} is missing", rule.code);
        }
        assert_eq!(rule_url("PAO999"), None);
        assert_eq!(rule_url("E0001"), None);
    }
}
