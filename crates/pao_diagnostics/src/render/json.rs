//! `--format json`: one object, `{ "diagnostics": [...], "summary": {...} }`, as SPEC section 5 fixes it.
//! A suppressed finding is listed with a `suppression` object (`kind`, `justification`, `until`)
//! and counted in `summary.suppressed` (present when there are any), not in `errors`/`warnings`.

use serde_json::{Value, json};

use crate::Report;

/// The report as the SPEC's JSON value.
pub fn to_json(report: &Report) -> Value {
    let diagnostics: Vec<Value> = report
        .located()
        .map(|located| {
            let d = located.diagnostic;
            let mut value = json!({
                "code": d.code,
                "severity": d.severity.as_str(),
                "message": d.message,
                "file": d.file,
                "line": located.start.line,
                "column": located.start.column,
                "endLine": located.end.line,
                "endColumn": located.end.column,
                "help": d.help,
            });
            if let (Some(fix), Some(source)) = (&d.fix, report.sources.get(&d.file)) {
                let edits: Vec<serde_json::Value> = fix
                    .edits
                    .iter()
                    .map(|edit| {
                        let (start, end) = (source.line_col(edit.range.start), source.line_col(edit.range.end));
                        json!({
                            "line": start.line,
                            "column": start.column,
                            "endLine": end.line,
                            "endColumn": end.column,
                            "content": edit.replacement,
                        })
                    })
                    .collect();
                value["fix"] = json!({ "message": fix.title, "edits": edits });
            }
            if let Some(suppression) = &d.suppression {
                value["suppression"] = json!({
                    "kind": "inSource",
                    "justification": suppression.justification,
                    "until": suppression.until,
                });
            }
            value
        })
        .collect();
    let mut summary = json!({ "files": report.files, "errors": report.errors(), "warnings": report.warnings() });
    let suppressed = report.suppressed();
    if suppressed > 0 {
        summary["suppressed"] = json!(suppressed);
    }
    json!({ "diagnostics": diagnostics, "summary": summary })
}

/// The report as pretty JSON with a final newline.
pub fn render_json(report: &Report) -> String {
    let mut text = serde_json::to_string_pretty(&to_json(report)).expect("a JSON value always serialises");
    text.push('\n');
    super::escape_json_c1(text)
}
