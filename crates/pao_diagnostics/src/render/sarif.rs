//! `--format sarif`: SARIF 2.1.0, as GitHub code scanning accepts it.

use serde_json::{Value, json};

use crate::{Report, RuleMeta, Severity};

/// The tool that produced the report.
#[derive(Debug, Clone, Copy)]
pub struct SarifTool<'a> {
    /// Tool name, `pao-lint`.
    pub name: &'a str,
    /// Tool version.
    pub version: &'a str,
    /// Where the rules are documented.
    pub information_uri: &'a str,
    /// Every rule the tool has.
    pub rules: &'a [RuleMeta],
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// The report as a SARIF 2.1.0 log with one run.
pub fn render_sarif(report: &Report, tool: &SarifTool<'_>) -> String {
    let rules: Vec<Value> = tool
        .rules
        .iter()
        .map(|rule| {
            json!({
                "id": rule.code,
                "name": rule.name,
                "shortDescription": { "text": rule.summary },
                "fullDescription": { "text": rule.summary },
                "help": { "text": rule.explanation, "markdown": rule.explanation },
                "helpUri": format!("{}/{}.md", tool.information_uri.trim_end_matches('/'), rule.code),
                "defaultConfiguration": { "level": level(rule.default_severity) },
                "properties": { "tags": ["pao", "catalog"] }
            })
        })
        .collect();
    let results: Vec<Value> = report
        .located()
        .map(|located| {
            let d = located.diagnostic;
            let mut text = d.message.clone();
            if let Some(help) = &d.help {
                text.push_str("\nhelp: ");
                text.push_str(help);
            }
            let mut result = json!({
                "ruleId": d.code,
                "level": level(d.severity),
                "message": { "text": text },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": d.file, "uriBaseId": "%SRCROOT%" },
                        "region": {
                            "startLine": located.start.line,
                            "startColumn": located.start.column,
                            "endLine": located.end.line,
                            "endColumn": located.end.column
                        }
                    }
                }]
            });
            if let Some(index) = tool.rules.iter().position(|rule| rule.code == d.code) {
                result["ruleIndex"] = json!(index);
            }
            result
        })
        .collect();
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": tool.name,
                "version": tool.version,
                "semanticVersion": tool.version,
                "informationUri": tool.information_uri,
                "rules": rules
            }},
            "originalUriBaseIds": { "%SRCROOT%": { "description": { "text": "The catalog repository root" } } },
            "columnKind": "unicodeCodePoints",
            "results": results
        }]
    });
    let mut text = serde_json::to_string_pretty(&log).expect("a JSON value always serialises");
    text.push('\n');
    super::escape_json_c1(text)
}
