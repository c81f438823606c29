//! In-source suppressions (SPEC section 5): `# pao-lint: disable CODE[,CODE] [until YYYY-MM-DD]
//! -- reason` at the end of the line at fault or alone on the line above it, and
//! `# pao-lint: disable-file CODE[,CODE] [until YYYY-MM-DD] -- reason` anywhere in a file.
//!
//! [`apply`] is a function of one file's text, that file's findings and the date: a suppressed
//! finding keeps its place in the report with a [`Suppression`] (renderers show it as suppressed;
//! it counts as neither error nor warning), and the comments themselves are checked (PAO90x).
//! Nothing else is read, so a cached file's findings suppress the same way.
//!
//! A comment is a `#` at the start of a line or after whitespace, outside a quoted scalar on that
//! line. (Text inside a block scalar, `description: |`, that looks like such a comment is read as
//! one; write it differently.)

use std::ops::Range;

use pao_diagnostics::{Diagnostic, Suppression};

use crate::checker::Checker;
use crate::codes;
use crate::rules::suppression::{
    EXPIRED_SUPPRESSION, INVALID_SUPPRESSION, SUPPRESSION_WITHOUT_REASON, UNUSED_SUPPRESSION,
};

/// What a directive covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// Findings that start on this 0-based line.
    Line(usize),
    /// The whole file.
    File,
}

/// One `# pao-lint:` comment, read.
#[derive(Debug)]
struct Directive {
    /// Byte range of the comment, from `#` to the end of the line.
    span: Range<usize>,
    scope: Scope,
    /// The rule codes named, canonical (`PAO201`), with the span of each as written.
    codes: Vec<(&'static str, Range<usize>)>,
    until: Option<String>,
    /// The text after `--`, trimmed; `None` when there is none.
    reason: Option<String>,
    /// What cannot be read, each with where.
    problems: Vec<(Range<usize>, String, String)>,
}

/// Marks the findings of one file that its comments suppress, and reports the comments'
/// own problems into `checker`. `today` is `YYYY-MM-DD` (injected, so tests fix it).
pub(crate) fn apply(
    text: &str,
    file: &str,
    diagnostics: &mut [&mut Diagnostic],
    today: &str,
    checker: &mut Checker<'_>,
) {
    if !text.contains("pao-lint:") {
        return;
    }
    let directives = parse(text);
    if directives.is_empty() {
        return;
    }
    let starts = line_starts(text);
    let line_of = |offset: usize| starts.partition_point(|&start| start <= offset).saturating_sub(1);
    let expired = |d: &Directive| d.until.as_deref().is_some_and(|until| until < today);
    let mut used: Vec<Vec<bool>> = directives.iter().map(|d| vec![false; d.codes.len()]).collect();
    for diagnostic in diagnostics.iter_mut() {
        if diagnostic.suppression.is_some() || diagnostic.code.starts_with("PAO9") {
            continue;
        }
        let line = line_of(diagnostic.range.start);
        let found = directives.iter().enumerate().find_map(|(i, d)| {
            if expired(d) || !(d.scope == Scope::File || d.scope == Scope::Line(line)) {
                return None;
            }
            d.codes.iter().position(|(code, _)| *code == diagnostic.code).map(|j| (i, j))
        });
        if let Some((i, j)) = found {
            used[i][j] = true;
            let d = &directives[i];
            diagnostic.suppression = Some(Suppression {
                justification: d.reason.clone().unwrap_or_default(),
                range: d.span.clone(),
                until: d.until.clone(),
            });
        }
    }
    for (directive, used) in directives.iter().zip(&used) {
        for (at, message, help) in &directive.problems {
            checker.report(&INVALID_SUPPRESSION, file, at.clone(), message.clone(), help.clone());
        }
        if !directive.problems.is_empty() {
            continue;
        }
        if directive.reason.is_none() {
            checker.report(
                &SUPPRESSION_WITHOUT_REASON,
                file,
                directive.span.clone(),
                "this suppression gives no reason",
                "add ` -- <why this finding is accepted>` at the end of the comment".to_owned(),
            );
        }
        if let Some(until) = directive.until.as_deref().filter(|_| expired(directive)) {
            let codes: Vec<&str> = directive.codes.iter().map(|(code, _)| *code).collect();
            checker.report(
                &EXPIRED_SUPPRESSION,
                file,
                directive.span.clone(),
                format!("this suppression of {} expired on {until}; its findings are reported again", codes.join(", ")),
                "fix the findings and remove the comment, or set a new `until` date with the reason".to_owned(),
            );
            continue;
        }
        for ((code, at), used) in directive.codes.iter().zip(used) {
            let enabled = codes::rule(code).is_some_and(|rule| checker.enabled(rule));
            if !used && enabled {
                let place = match directive.scope {
                    Scope::File => "in this file",
                    Scope::Line(_) => "on its line",
                };
                checker.report(
                    &UNUSED_SUPPRESSION,
                    file,
                    at.clone(),
                    format!("{code} reports nothing {place}, so this suppression suppresses nothing"),
                    format!("remove {code} from the comment (or the comment, if it names nothing else)"),
                );
            }
        }
    }
}

/// Byte offset of the start of each line.
fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect()
}

/// Every `# pao-lint:` comment of the text.
fn parse(text: &str) -> Vec<Directive> {
    let lines: Vec<(usize, &str)> = {
        let mut offset = 0;
        text.split_inclusive('\n')
            .map(|line| {
                let start = offset;
                offset += line.len();
                (start, line.trim_end_matches(['\n', '\r']))
            })
            .collect()
    };
    let mut directives = Vec::new();
    for (index, (start, line)) in lines.iter().enumerate() {
        let Some(hash) = comment_start(line) else { continue };
        let comment = &line[hash + 1..];
        let Some(rest) = comment.trim_start().strip_prefix("pao-lint:") else { continue };
        let rest_offset = start + hash + 1 + (comment.len() - comment.trim_start().len()) + "pao-lint:".len();
        let alone = line[..hash].trim().is_empty();
        // Alone on its line: the next line that is not blank or only a comment.
        let target = if alone {
            lines[index + 1..]
                .iter()
                .position(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
                .map_or(index + 1, |n| index + 1 + n)
        } else {
            index
        };
        let span = start + hash..start + line.len();
        directives.push(read_directive(rest, rest_offset, span, target));
    }
    directives
}

/// Where a line's comment starts: a `#` at the start or after whitespace, outside quotes.
fn comment_start(line: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    let mut previous = ' ';
    for (i, c) in line.char_indices() {
        match quote {
            Some('\'') if c == '\'' => quote = None,
            Some('"') if c == '"' && previous != '\\' => quote = None,
            Some(_) => {}
            None if c == '#' && previous.is_whitespace() => return Some(i),
            None if (c == '"' || c == '\'') && (previous.is_whitespace() || "[{,:".contains(previous)) => {
                quote = Some(c);
            }
            None => {}
        }
        previous = c;
    }
    None
}

/// Reads the text after `pao-lint:`, which starts at byte `offset` of the file.
fn read_directive(rest: &str, offset: usize, span: Range<usize>, target: usize) -> Directive {
    let (head, reason) = match rest.find("--") {
        Some(at) => (&rest[..at], Some(rest[at + 2..].trim()).filter(|r| !r.is_empty()).map(str::to_owned)),
        None => (rest, None),
    };
    let mut directive = Directive {
        span: span.clone(),
        scope: Scope::Line(target),
        codes: Vec::new(),
        until: None,
        reason,
        problems: Vec::new(),
    };
    // Words of the head with their offsets; commas separate codes like spaces do.
    let mut words: Vec<(Range<usize>, &str)> = Vec::new();
    let mut word_start = None;
    for (i, c) in head.char_indices().chain(std::iter::once((head.len(), ' '))) {
        if c.is_whitespace() || c == ',' {
            if let Some(s) = word_start.take() {
                words.push((offset + s..offset + i, &head[s..i]));
            }
        } else if word_start.is_none() {
            word_start = Some(i);
        }
    }
    let usage = "write `# pao-lint: disable CODE[,CODE] [until YYYY-MM-DD] -- <reason>` (or `disable-file`)";
    let mut words = words.into_iter();
    match words.next() {
        Some((_, "disable")) => {}
        Some((_, "disable-file")) => directive.scope = Scope::File,
        Some((at, other)) => {
            let hint = if other.starts_with("disable") || strsim::jaro_winkler(other, "disable") > 0.8 {
                "did you mean `disable` or `disable-file`?".to_owned()
            } else {
                usage.to_owned()
            };
            directive.problems.push((at, format!("unknown pao-lint directive `{other}`"), hint));
            return directive;
        }
        None => {
            directive.problems.push((span, "this pao-lint comment has no directive".to_owned(), usage.to_owned()));
            return directive;
        }
    }
    while let Some((at, word)) = words.next() {
        if word == "until" {
            match words.next() {
                Some((_, date)) if is_date(date) => directive.until = Some(date.to_owned()),
                Some((date_at, date)) => directive.problems.push((
                    date_at,
                    format!("`{date}` is not a date"),
                    "write the date as YYYY-MM-DD, e.g. `until 2026-06-30`".to_owned(),
                )),
                None => directive.problems.push((
                    at,
                    "`until` needs a date".to_owned(),
                    "write the date as YYYY-MM-DD, e.g. `until 2026-06-30`".to_owned(),
                )),
            }
            if let Some((extra, word)) = words.next() {
                directive.problems.push((
                    extra,
                    format!("unexpected `{word}` after the date"),
                    "codes come before `until`; the reason after ` -- `".to_owned(),
                ));
            }
            break;
        }
        match codes::rule(word) {
            Some(rule) if rule.code.starts_with("PAO9") => directive.problems.push((
                at,
                format!("{} cannot be suppressed", rule.code),
                "fix the suppression comment it points at instead".to_owned(),
            )),
            Some(rule) => directive.codes.push((rule.code, at)),
            None => {
                let help = crate::checker::did_you_mean(word, codes::RULES.iter().map(|r| r.code))
                    .unwrap_or_else(|| "`pao-lint rules` lists the rule codes".to_owned());
                directive.problems.push((at, format!("`{word}` is not a pao-lint rule"), help));
            }
        }
    }
    if directive.codes.is_empty() && directive.problems.is_empty() {
        directive.problems.push((span, "this suppression names no rule".to_owned(), usage.to_owned()));
    }
    directive
}

/// Whether `text` is a calendar date `YYYY-MM-DD`.
fn is_date(text: &str) -> bool {
    text.len() == 10 && text.parse::<jiff::civil::Date>().is_ok()
}

#[cfg(test)]
mod tests {
    use pao_diagnostics::Severity;

    use super::*;
    use crate::checker::RuleLevels;

    /// Applies the comments of `text` to findings `(code, needle)` (at the first occurrence of
    /// the needle) on 2026-06-15; returns which findings are suppressed and the PAO90x messages.
    fn run(text: &str, findings: &[(&'static str, &str)]) -> (Vec<bool>, Vec<String>) {
        let levels = RuleLevels::default();
        let mut checker = Checker::new(&levels);
        let mut diagnostics: Vec<Diagnostic> = findings
            .iter()
            .map(|(code, needle)| {
                let at = text.find(needle).expect("needle in text");
                Diagnostic::new(code, Severity::Error, "f.yaml", at..at + needle.len(), "m")
            })
            .collect();
        let mut refs: Vec<&mut Diagnostic> = diagnostics.iter_mut().collect();
        apply(text, "f.yaml", &mut refs, "2026-06-15", &mut checker);
        let own = checker.diagnostics.iter().map(|d| format!("{} {}", d.code, d.message)).collect();
        (diagnostics.iter().map(|d| d.suppression.is_some()).collect(), own)
    }

    #[test]
    fn end_of_line_and_line_above() {
        let text = "a: 1 # pao-lint: disable PAO201 -- why\n# pao-lint: disable PAO203,PAO204 -- why\n\nb: 2\nc: 3\n";
        let (suppressed, own) =
            run(text, &[("PAO201", "a: 1"), ("PAO203", "b: 2"), ("PAO204", "b: 2"), ("PAO203", "c: 3")]);
        assert_eq!(suppressed, [true, true, true, false]);
        assert!(own.is_empty(), "{own:?}");
    }

    #[test]
    fn file_wide_and_by_name() {
        let text = "a: 1\nb: 2\n# pao-lint: disable-file unknown-key -- generated file\n";
        let (suppressed, own) = run(text, &[("PAO201", "a: 1"), ("PAO201", "b: 2"), ("PAO203", "b: 2")]);
        assert_eq!(suppressed, [true, true, false]);
        assert!(own.is_empty(), "{own:?}");
    }

    #[test]
    fn missing_reason_still_suppresses() {
        let (suppressed, own) = run("a: 1 # pao-lint: disable PAO201\n", &[("PAO201", "a")]);
        assert_eq!(suppressed, [true]);
        assert_eq!(own, ["PAO901 this suppression gives no reason"]);
    }

    #[test]
    fn expired_suppresses_nothing_the_day_after() {
        let text = "a: 1 # pao-lint: disable PAO201 until 2026-06-14 -- why\nb: 1 # pao-lint: disable PAO201 until 2026-06-15 -- why\n";
        let (suppressed, own) = run(text, &[("PAO201", "a: 1"), ("PAO201", "b: 1")]);
        assert_eq!(suppressed, [false, true]);
        assert_eq!(own, ["PAO902 this suppression of PAO201 expired on 2026-06-14; its findings are reported again"]);
    }

    #[test]
    fn unused_codes_are_reported_one_by_one() {
        let (suppressed, own) = run("a: 1 # pao-lint: disable PAO201, PAO203 -- why\n", &[("PAO201", "a")]);
        assert_eq!(suppressed, [true]);
        assert_eq!(own, ["PAO903 PAO203 reports nothing on its line, so this suppression suppresses nothing"]);
    }

    #[test]
    fn unreadable_comments() {
        let text = "a: 1 # pao-lint: disabel PAO201 -- x\nb: 1 # pao-lint: disable PAO2011 -- x\nc: 1 # pao-lint: disable PAO201 until soon -- x\nd: 1 # pao-lint: disable -- x\ne: 1 # pao-lint: disable PAO903 -- x\n";
        let (suppressed, own) = run(text, &[("PAO201", "a: 1"), ("PAO201", "b: 1")]);
        assert_eq!(suppressed, [false, false]);
        assert_eq!(
            own,
            [
                "PAO904 unknown pao-lint directive `disabel`",
                "PAO904 `PAO2011` is not a pao-lint rule",
                "PAO904 `soon` is not a date",
                "PAO904 this suppression names no rule",
                "PAO904 PAO903 cannot be suppressed",
            ]
        );
    }

    #[test]
    fn hashes_in_quotes_and_words_are_not_comments() {
        let text = "a: \"x # pao-lint: disable PAO201 -- no\"\nb: x#pao-lint: disable PAO201 -- no\n";
        let (suppressed, own) = run(text, &[("PAO201", "a: "), ("PAO201", "b: ")]);
        assert_eq!(suppressed, [false, false]);
        assert!(own.is_empty(), "{own:?}");
    }

    #[test]
    fn suppression_findings_cannot_be_suppressed() {
        let (suppressed, _) = run("a: 1 # pao-lint: disable PAO201 -- x\n", &[("PAO901", "a")]);
        assert_eq!(suppressed, [false]);
    }
}
