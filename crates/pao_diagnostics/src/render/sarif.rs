//! `--format sarif`: SARIF 2.1.0, as GitHub code scanning accepts it.
//!
//! GitHub's limits shape the output: at most [`MAX_RESULTS`] results per run (errors are kept
//! before warnings; a tool execution notification says how many were dropped), a short
//! description distinct from the full one for each rule, and `partialFingerprints` computed from
//! the rule, the file and the text of the finding's line, not its line number, so that an alert
//! stays the same alert when lines are added or removed elsewhere in the file.

use serde_json::{Value, json};

use crate::fingerprint::fingerprints;
use crate::{Located, Report, RuleMeta, Severity};

/// GitHub code scanning rejects a run with more results than this.
pub const MAX_RESULTS: usize = 25_000;

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
    render_sarif_capped(report, tool, MAX_RESULTS)
}

/// The first paragraph of a rule's explanation, as one line: the full description, which GitHub
/// shows under the short one (the summary), so it must say more than the summary.
fn full_description(rule: &RuleMeta) -> String {
    // The first paragraph of prose: headings (`## What it does`) and code blocks are skipped.
    let text = rule
        .explanation
        .split("\n\n")
        .map(|p| p.lines().filter(|l| !l.trim_start().starts_with('#')).collect::<Vec<_>>().join(" "))
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .find(|p| !p.is_empty() && !p.starts_with("```"))
        .unwrap_or_default();
    if text.is_empty() || text.trim_end_matches('.') == rule.summary.trim_end_matches('.') {
        format!("{}: {}.", rule.name, rule.summary.trim_end_matches('.'))
    } else {
        text
    }
}

/// Like [`render_sarif`], keeping at most `max_results` results.
pub fn render_sarif_capped(report: &Report, tool: &SarifTool<'_>, max_results: usize) -> String {
    let rules: Vec<Value> = tool
        .rules
        .iter()
        .map(|rule| {
            json!({
                "id": rule.code,
                "name": rule.name,
                "shortDescription": { "text": rule.summary },
                "fullDescription": { "text": full_description(rule) },
                "help": { "text": rule.explanation, "markdown": rule.explanation },
                "helpUri": format!("{}/{}.md", tool.information_uri.trim_end_matches('/'), rule.code),
                "defaultConfiguration": { "level": level(rule.default_severity) },
                "properties": { "tags": ["pao", "catalog"] }
            })
        })
        .collect();
    let all: Vec<Located<'_>> = report.located().collect();
    // Errors before warnings when some must go; the report's order within each.
    let mut kept: Vec<usize> = (0..all.len()).collect();
    if all.len() > max_results {
        // Errors first, suppressed findings last.
        kept.sort_by_key(|&i| {
            let d = all[i].diagnostic;
            (d.suppression.is_some(), d.severity != Severity::Error, i)
        });
        kept.truncate(max_results);
        kept.sort_unstable();
    }
    let dropped = all.len() - kept.len();
    let hashes = fingerprints(report);
    let results: Vec<Value> = kept
        .iter()
        .map(|&i| {
            let located = &all[i];
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
                }],
                "partialFingerprints": { "primaryLocationLineHash": hashes[i] }
            });
            if let Some(index) = tool.rules.iter().position(|rule| rule.code == d.code) {
                result["ruleIndex"] = json!(index);
            }
            if let Some(suppression) = &d.suppression {
                // SARIF 2.1.0 §3.34: an in-source suppression, with the comment's reason.
                result["suppressions"] = json!([{ "kind": "inSource", "justification": suppression.justification }]);
            }
            result
        })
        .collect();
    let mut notifications = Vec::new();
    if dropped > 0 {
        notifications.push(json!({
            "level": "warning",
            "descriptor": { "id": "results-dropped" },
            "message": { "text": format!(
                "{dropped} of {} results were left out: GitHub code scanning accepts at most {max_results} \
                 results per run (errors were kept first); run pao-lint --format json for all of them",
                all.len()
            ) }
        }));
    }
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
            "invocations": [{
                "executionSuccessful": true,
                "toolExecutionNotifications": notifications
            }],
            "originalUriBaseIds": { "%SRCROOT%": { "description": { "text": "The catalog repository root" } } },
            "columnKind": "unicodeCodePoints",
            "results": results
        }]
    });
    let mut text = serde_json::to_string_pretty(&log).expect("a JSON value always serialises");
    text.push('\n');
    super::escape_json_c1(text)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::Value;

    use super::*;
    use crate::{Diagnostic, SourceFile};

    const RULES: [RuleMeta; 2] = [
        RuleMeta {
            code: "PAO203",
            name: "wrong-type",
            summary: "A value has the wrong type",
            explanation: " ## What it does\n A key's value is of a type\n the schema does not allow here.\n\n ## Why\n More text.",
            default_severity: Severity::Error,
        },
        RuleMeta {
            code: "PAO301",
            name: "id-mismatch",
            summary: "The id differs from the file name",
            explanation: "The id differs from the file name",
            default_severity: Severity::Warning,
        },
    ];

    fn tool() -> SarifTool<'static> {
        SarifTool { name: "pao-lint", version: "0.1.0", information_uri: "https://example.test/rules", rules: &RULES }
    }

    /// A report on one file: a finding on `needle` (the first occurrence of each), with `text`.
    fn report(text: &str, needles: &[(&'static str, Severity, &str)]) -> Report {
        let file = "catalog/a.yaml";
        let mut report = Report { files: 1, ..Report::default() };
        for (code, severity, needle) in needles {
            let start = text.find(needle).unwrap();
            report.diagnostics.push(Diagnostic::new(code, *severity, file, start..start + needle.len(), "m"));
        }
        report.sources.insert(file.to_owned(), Arc::new(SourceFile::new(file, text)));
        report.sort();
        report
    }

    fn parse(text: &str) -> Value {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn rules_have_a_short_description_distinct_from_the_full_one_and_a_help_page() {
        let log = parse(&render_sarif(&Report::default(), &tool()));
        let rules = log["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
        for rule in rules {
            assert_ne!(rule["shortDescription"]["text"], rule["fullDescription"]["text"], "{rule}");
        }
        assert_eq!(rules[0]["fullDescription"]["text"], "A key's value is of a type the schema does not allow here.");
        assert_eq!(rules[1]["fullDescription"]["text"], "id-mismatch: The id differs from the file name.");
        assert_eq!(rules[0]["helpUri"], "https://example.test/rules/PAO203.md");
    }

    #[test]
    fn fingerprints_survive_edits_elsewhere_in_the_file() {
        let before = "a: 1\nversion: 1.4\nb: x\n";
        let after = "# a comment\nz: 0\na: 1\n\nversion:   1.4\nb: x\n";
        let fp = |text: &str| {
            let log = parse(&render_sarif(&report(text, &[("PAO203", Severity::Error, "1.4")]), &tool()));
            let result = &log["runs"][0]["results"][0];
            (result["partialFingerprints"]["primaryLocationLineHash"].clone(), result["locations"][0].clone())
        };
        let (a, loc_a) = fp(before);
        let (b, loc_b) = fp(after);
        assert_eq!(a, b);
        assert_ne!(loc_a, loc_b, "the finding moved, so the check above means something");
        // An edit of the line itself is a different finding.
        let (c, _) = fp("a: 1\nversion: 1.5\nb: x\n".replace("1.5", "1.4").replace("version", "versions").as_str());
        assert_ne!(a, c);
    }

    #[test]
    fn identical_findings_get_distinct_occurrences() {
        let text = "x: 1.4\nx: 1.4\n";
        let mut r = report(text, &[("PAO203", Severity::Error, "1.4")]);
        let second = text.rfind("1.4").unwrap();
        r.diagnostics.push(Diagnostic::new("PAO203", Severity::Error, "catalog/a.yaml", second..second + 3, "m"));
        let log = parse(&render_sarif(&r, &tool()));
        let results = log["runs"][0]["results"].as_array().unwrap();
        let hashes: Vec<&str> =
            results.iter().map(|r| r["partialFingerprints"]["primaryLocationLineHash"].as_str().unwrap()).collect();
        assert_eq!(hashes.len(), 2);
        assert!(hashes[0].ends_with(":1") && hashes[1].ends_with(":2"), "{hashes:?}");
        assert_eq!(hashes[0].split(':').next(), hashes[1].split(':').next());
    }

    #[test]
    fn results_are_capped_errors_first_with_a_notification() {
        let text = "a: 1\nb: 2\nc: 3\nd: 4\n";
        let r = report(
            text,
            &[
                ("PAO301", Severity::Warning, "a: 1"),
                ("PAO203", Severity::Error, "b: 2"),
                ("PAO301", Severity::Warning, "c: 3"),
                ("PAO203", Severity::Error, "d: 4"),
            ],
        );
        let log = parse(&render_sarif_capped(&r, &tool(), 3));
        let run = &log["runs"][0];
        let levels: Vec<&str> =
            run["results"].as_array().unwrap().iter().map(|r| r["level"].as_str().unwrap()).collect();
        assert_eq!(levels, ["warning", "error", "error"]);
        let notes = run["invocations"][0]["toolExecutionNotifications"].as_array().unwrap();
        assert_eq!(notes.len(), 1);
        let message = notes[0]["message"]["text"].as_str().unwrap();
        assert!(message.starts_with("1 of 4 results were left out"), "{message}");

        let log = parse(&render_sarif(&r, &tool()));
        assert_eq!(log["runs"][0]["results"].as_array().unwrap().len(), 4);
        assert!(log["runs"][0]["invocations"][0]["toolExecutionNotifications"].as_array().unwrap().is_empty());
    }
}
