//! `--format github`: workflow commands that GitHub Actions shows as annotations on the changed lines.

use std::fmt::Write;

use crate::{Report, Severity};

/// One `::error file=…,line=…,col=…,endLine=…,endColumn=…,title=CODE::message` line per diagnostic
/// (suppressed ones are left out: an annotation cannot be marked suppressed).
pub fn render_github(report: &Report) -> String {
    let mut out = String::new();
    for located in report.located().filter(|l| l.diagnostic.suppression.is_none()) {
        let d = located.diagnostic;
        let command = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut message = super::escape_text(&d.message, true).into_owned();
        if let Some(help) = &d.help {
            message.push_str("\nhelp: ");
            message.push_str(&super::escape_text(help, true));
        }
        let _ = writeln!(
            out,
            "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}",
            escape_property(&super::escape_text(&d.file, false)),
            located.start.line,
            located.start.column,
            located.end.line,
            located.end.column,
            escape_property(&format!("{} {}", d.code, d.severity.as_str())),
            escape_data(&message),
        );
    }
    out
}

/// Escapes a command's message, as the runner's `toolkit/core` `escapeData` does.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escapes a command property, as `escapeProperty` does.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_the_actions_toolkit() {
        assert_eq!(escape_data("50% done\nnext"), "50%25 done%0Anext");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }
}
