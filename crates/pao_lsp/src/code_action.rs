//! Code actions: "suppress with a reason" for each pao-lint diagnostic — the comment of SPEC
//! section 5 (`# pao-lint: disable PAO201 -- <reason>`) at the end of the line at fault, or
//! alone on the line above it, or (`disable-file`) for the whole file — with a placeholder
//! reason for the author to write.
//!
//! A comment must never change a value: inside a block scalar (`|`, `>`) or a multi-line
//! quoted string a `#` is text, so for a finding inside such a value only the file-wide
//! suppression is offered, and a line whose value continues on the next lines gets its comment
//! on the line above.

use std::collections::HashMap;

use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, Diagnostic, Position, Range, TextEdit, Url, WorkspaceEdit,
};
use pao_source::{Node, Value};

use crate::convert::code_of;
use crate::position::LineIndex16;
use crate::yaml_path::is_block_indicator;

/// The placeholder the author replaces.
pub const REASON_PLACEHOLDER: &str = "<reason>";

/// The suppression actions for the diagnostics of a code-action request.
pub fn suppressions(
    uri: &Url,
    text: &str,
    index: &LineIndex16,
    root: Option<&Node>,
    diagnostics: &[Diagnostic],
) -> Vec<CodeActionOrCommand> {
    let mut actions = Vec::new();
    for diagnostic in diagnostics {
        let Some(code) = code_of(diagnostic) else { continue };
        let line = diagnostic.range.start.line as usize;
        if line >= index.line_count() {
            continue;
        }
        let start = index.offset(text, diagnostic.range.start);
        let scalar = root.and_then(|root| scalar_at(root, start));
        let scalar_lines = scalar.map(|span| {
            let last = index.line_of(span.end.saturating_sub(1).max(span.start));
            (first_line(text, index, span.start), last)
        });
        let inside_multiline = scalar_lines.is_some_and(|(first, _)| first < line);
        if !inside_multiline {
            let continues = scalar_lines.is_some_and(|(_, last)| last > line);
            if let Some(edit) = line_edit(text, index, line, code, continues) {
                actions.push(action(format!("Suppress {code} on this line (with a reason)"), uri, edit, diagnostic));
            }
        }
        actions.push(action(
            format!("Suppress {code} in this file (with a reason)"),
            uri,
            file_edit(text, code),
            diagnostic,
        ));
    }
    actions
}

fn action(title: String, uri: &Url, edit: TextEdit, diagnostic: &Diagnostic) -> CodeActionOrCommand {
    CodeActionOrCommand::CodeAction(CodeAction {
        title,
        kind: Some(CodeActionKind::QUICKFIX),
        diagnostics: Some(vec![diagnostic.clone()]),
        edit: Some(WorkspaceEdit {
            changes: Some(HashMap::from([(uri.clone(), vec![edit])])),
            ..WorkspaceEdit::default()
        }),
        ..CodeAction::default()
    })
}

/// The edit suppressing `code` on 0-based `line`: joined to a suppression comment already at
/// the line's end, else a new one at its end, else (the line has another comment, or its value
/// continues below) a comment line above it.
fn line_edit(text: &str, index: &LineIndex16, line: usize, code: &str, continues: bool) -> Option<TextEdit> {
    let line_text = index.line_text(text, line);
    let line_start = index.line_start(line)?;
    let comment = comment_start(line_text);
    if let Some(at) = comment {
        let comment_text = &line_text[at..];
        if let Some(codes_end) = suppression_codes_end(comment_text) {
            if comment_text[..codes_end].split([' ', ',']).any(|c| c == code) {
                return None;
            }
            let offset = line_start + at + codes_end;
            let position = index.position(text, offset);
            return Some(TextEdit { range: Range { start: position, end: position }, new_text: format!(", {code}") });
        }
    }
    let comment_text = format!("# pao-lint: disable {code} -- {REASON_PLACEHOLDER}");
    if comment.is_none() && !continues && !line_text.trim().is_empty() {
        let end = index.position(text, line_start + line_text.len());
        return Some(TextEdit { range: Range { start: end, end }, new_text: format!(" {comment_text}") });
    }
    let indent: String = line_text.chars().take_while(|c| *c == ' ').collect();
    let at = Position { line: u32::try_from(line).ok()?, character: 0 };
    Some(TextEdit { range: Range { start: at, end: at }, new_text: format!("{indent}{comment_text}\n") })
}

/// The edit adding a file-wide suppression at the top of the file.
fn file_edit(text: &str, code: &str) -> TextEdit {
    // After a byte-order mark, which must stay first.
    let character = u32::from(text.starts_with('\u{feff}'));
    let at = Position { line: 0, character };
    TextEdit {
        range: Range { start: at, end: at },
        new_text: format!("# pao-lint: disable-file {code} -- {REASON_PLACEHOLDER}\n"),
    }
}

/// Where a line's comment starts (a `#` at the line start or after a space, outside quotes).
fn comment_start(line: &str) -> Option<usize> {
    let bytes = line.as_bytes();
    let mut quote: Option<u8> = None;
    for (i, &b) in bytes.iter().enumerate() {
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if (b == b'"' || b == b'\'')
                && (i == 0 || matches!(bytes[i - 1], b' ' | b'[' | b'{' | b',' | b':')) =>
            {
                quote = Some(b);
            }
            None if b == b'#' && (i == 0 || bytes[i - 1] == b' ') => return Some(i),
            None => {}
        }
    }
    None
}

/// In a comment `# pao-lint: disable A, B -- reason` (or `... until DATE -- ...`), the byte
/// offset just after the last code.
fn suppression_codes_end(comment: &str) -> Option<usize> {
    let rest_at = comment.find("pao-lint: disable ")? + "pao-lint: disable ".len();
    let rest = &comment[rest_at..];
    let mut end = 0;
    for (i, c) in rest.char_indices() {
        if c.is_ascii_alphanumeric() {
            end = i + 1;
        } else if (c != ',' && c != ' ') || rest[i..].starts_with(" --") || rest[i..].starts_with(" until") {
            break;
        }
    }
    (end > 0).then_some(rest_at + end)
}

/// The line a scalar starting at byte `start` begins on: for a block scalar (`key: |`), whose
/// span starts at its first content line, the line of its indicator.
fn first_line(text: &str, index: &LineIndex16, start: usize) -> usize {
    let line = index.line_of(start);
    // The nearest line above with content other than a comment: the indicator's, if any.
    for above in (0..line).rev() {
        let line_text = index.line_text(text, above);
        let content = match comment_start(line_text) {
            Some(at) => &line_text[..at],
            None => line_text,
        }
        .trim_end();
        if content.trim().is_empty() {
            continue;
        }
        let indicator = content.rsplit([' ', ':']).next().unwrap_or("");
        return if is_block_indicator(indicator) { above } else { line };
    }
    line
}

/// The span of the scalar holding byte `offset`, if any.
fn scalar_at(root: &Node, offset: usize) -> Option<std::ops::Range<usize>> {
    let mut node = root;
    loop {
        let next = match &node.value {
            Value::Map(entries) => entries
                .iter()
                .map(|e| &e.value)
                .find(|v| v.span.start <= offset && offset < v.span.end.max(v.span.start + 1)),
            Value::Seq(items) => {
                items.iter().find(|v| v.span.start <= offset && offset < v.span.end.max(v.span.start + 1))
            }
            _ => return (node.span.start <= offset && offset <= node.span.end).then(|| node.span.clone()),
        };
        node = next?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diagnostic(line: u32, character: u32, code: &str) -> Diagnostic {
        Diagnostic {
            range: Range { start: Position { line, character }, end: Position { line, character: character + 1 } },
            code: Some(lsp_types::NumberOrString::String(code.into())),
            source: Some(crate::convert::SOURCE.into()),
            ..Diagnostic::default()
        }
    }

    fn edits(text: &str, d: Diagnostic) -> Vec<(String, String)> {
        let index = LineIndex16::new(text);
        let root = pao_source::parse_yaml(text).root;
        let uri = Url::parse("file:///r/catalog/a/b.yaml").unwrap();
        suppressions(&uri, text, &index, root.as_ref(), &[d])
            .into_iter()
            .map(|a| match a {
                CodeActionOrCommand::CodeAction(a) => {
                    let edit = a.edit.unwrap().changes.unwrap().remove(&uri).unwrap().remove(0);
                    let start = index.offset(text, edit.range.start);
                    let end = index.offset(text, edit.range.end);
                    let mut applied = text.to_owned();
                    applied.replace_range(start..end, &edit.new_text);
                    (a.title, applied)
                }
                CodeActionOrCommand::Command(_) => unreachable!(),
            })
            .collect()
    }

    #[test]
    fn end_of_line_and_file() {
        let text = "metadata:\n  owner:\n    teem: dba\n";
        let actions = edits(text, diagnostic(2, 4, "PAO201"));
        assert_eq!(actions[0].0, "Suppress PAO201 on this line (with a reason)");
        assert_eq!(actions[0].1, "metadata:\n  owner:\n    teem: dba # pao-lint: disable PAO201 -- <reason>\n");
        assert_eq!(actions[1].1, "# pao-lint: disable-file PAO201 -- <reason>\nmetadata:\n  owner:\n    teem: dba\n");
    }

    #[test]
    fn a_line_with_a_comment_gets_one_above() {
        let text = "metadata:\n  - id: Bad # the id\n";
        let actions = edits(text, diagnostic(1, 8, "PAO301"));
        assert_eq!(actions[0].1, "metadata:\n  # pao-lint: disable PAO301 -- <reason>\n  - id: Bad # the id\n");
    }

    #[test]
    fn an_existing_suppression_takes_the_code() {
        let text = "a: b # pao-lint: disable PAO201 -- typo kept on purpose\n";
        let actions = edits(text, diagnostic(0, 0, "PAO202"));
        assert_eq!(actions[0].1, "a: b # pao-lint: disable PAO201, PAO202 -- typo kept on purpose\n");
        // Already suppressed: only the file-wide action.
        let actions = edits(text, diagnostic(0, 0, "PAO201"));
        assert_eq!(actions.len(), 1);
    }

    #[test]
    fn values_spanning_lines_are_never_changed() {
        let text = "config:\n  description: |\n    {{ fields.nope }}\n  url: \"{{ a\n    b }}\"\n";
        // Inside the block scalar: file-wide only.
        let actions = edits(text, diagnostic(2, 7, "PAO403"));
        assert_eq!(actions.len(), 1, "{actions:?}");
        assert!(actions[0].0.contains("in this file"));
        // A quoted string that continues below: the comment goes above.
        let actions = edits(text, diagnostic(3, 10, "PAO403"));
        assert_eq!(
            actions[0].1,
            "config:\n  description: |\n    {{ fields.nope }}\n  # pao-lint: disable PAO403 -- <reason>\n  url: \"{{ a\n    b }}\"\n"
        );
    }

    #[test]
    fn block_scalars_in_sequences_and_with_comments() {
        // `- >- # note`: the indicator's line has a comment; the content is still text.
        let text = "steps:\n  - >- # note\n\n    {{ fields.nope }}\n  - plain\n";
        let actions = edits(text, diagnostic(3, 7, "PAO403"));
        assert_eq!(actions.len(), 1, "{actions:?}");
        // A plain item after the block: its own line.
        let actions = edits(text, diagnostic(4, 4, "PAO403"));
        assert_eq!(
            actions[0].1,
            "steps:\n  - >- # note\n\n    {{ fields.nope }}\n  - plain # pao-lint: disable PAO403 -- <reason>\n"
        );
        // On the indicator's line (the key): a comment after `|` is a comment.
        let text = "description: |\n  text\n";
        let actions = edits(text, diagnostic(0, 0, "PAO201"));
        assert_eq!(actions[0].1, "description: | # pao-lint: disable PAO201 -- <reason>\n  text\n");
    }

    #[test]
    fn comments_outside_quotes_only() {
        assert_eq!(comment_start("a: \"x # y\" # z"), Some(11));
        assert_eq!(comment_start("a: x#y"), None);
        assert_eq!(comment_start("# whole"), Some(0));
        assert_eq!(suppression_codes_end("# pao-lint: disable PAO1, PAO2 until 2026-01-01 -- r"), Some(30));
    }
}
