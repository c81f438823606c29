//! `--format json`: one object, `{ "diagnostics": [...], "summary": {...} }`, as SPEC section 5 fixes it.

use serde_json::{Value, json};

use crate::Report;

/// The report as the SPEC's JSON value.
pub fn to_json(report: &Report) -> Value {
    let diagnostics: Vec<Value> = report
        .located()
        .map(|located| {
            let d = located.diagnostic;
            json!({
                "code": d.code,
                "severity": d.severity.as_str(),
                "message": d.message,
                "file": d.file,
                "line": located.start.line,
                "column": located.start.column,
                "endLine": located.end.line,
                "endColumn": located.end.column,
                "help": d.help,
            })
        })
        .collect();
    json!({
        "diagnostics": diagnostics,
        "summary": { "files": report.files, "errors": report.errors(), "warnings": report.warnings() }
    })
}

/// The report as pretty JSON with a final newline.
pub fn render_json(report: &Report) -> String {
    let mut text = serde_json::to_string_pretty(&to_json(report)).expect("a JSON value always serialises");
    text.push('\n');
    super::escape_json_c1(text)
}
