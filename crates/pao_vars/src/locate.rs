//! Where each byte of a YAML string scalar's *value* came from in the file.
//!
//! A template is the decoded value of a scalar (`"a\"b"` is the template `a"b`), but diagnostics
//! must point into the file. [`ScalarMap`] maps every byte of the decoded value back to the
//! source bytes that produced it, for plain, single-quoted, double-quoted (escapes, `\`-newline
//! continuations) and block scalars (`|`, `>`, with indentation and chomping indicators).
//!
//! The mapping is checked: it is only used when re-decoding the source reproduces the value
//! the YAML parser produced. Otherwise (an unusual construct the decoder does not model, such as
//! a tagged or anchored scalar) every offset maps to the scalar's start, which is still the
//! right line.

use std::ops::Range;

/// Maps byte offsets in a scalar's decoded value to byte ranges in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScalarMap {
    /// The scalar's range in the file (with quotes or block header).
    span: Range<usize>,
    /// For each byte of the value, the source range that produced it; `None` when the exact
    /// mapping could not be established.
    bytes: Option<Vec<Range<usize>>>,
}

impl ScalarMap {
    /// Builds the map for the scalar at `span` in `source` whose decoded value is `value`.
    pub fn new(source: &str, span: Range<usize>, value: &str) -> Self {
        let bytes = decode_scalar(source, span.clone()).and_then(|chars| {
            let decoded: String = chars.iter().map(|(c, _)| *c).collect();
            let kept = if decoded == value {
                chars.len()
            } else if decoded.starts_with(value) && decoded[value.len()..].chars().all(|c| c == '\n') {
                // Chomping (`|-`, clip) removed trailing newlines the decoder kept.
                value.chars().count()
            } else {
                return None;
            };
            let mut bytes = Vec::with_capacity(value.len());
            for (c, range) in chars.into_iter().take(kept) {
                for _ in 0..c.len_utf8() {
                    bytes.push(range.clone());
                }
            }
            Some(bytes)
        });
        Self { span, bytes }
    }

    /// A map that points everything at the start of `span` (for values not read from a file).
    pub fn unmapped(span: Range<usize>) -> Self {
        Self { span, bytes: None }
    }

    /// The scalar's whole range in the file.
    pub fn span(&self) -> Range<usize> {
        self.span.clone()
    }

    /// Whether offsets map exactly (rather than to the scalar's start).
    pub fn is_exact(&self) -> bool {
        self.bytes.is_some()
    }

    /// The file range of the value's bytes `range`.
    pub fn map(&self, range: Range<usize>) -> Range<usize> {
        let Some(bytes) = &self.bytes else {
            return self.span.start..self.span.start;
        };
        if bytes.is_empty() {
            return self.span.start..self.span.start;
        }
        let last = bytes.len() - 1;
        let start = bytes[range.start.min(last)].start;
        let end = if range.end > range.start { bytes[(range.end - 1).min(last)].end } else { start };
        start..end.max(start)
    }
}

/// Decodes the scalar at `span` into its characters with their source ranges.
fn decode_scalar(source: &str, span: Range<usize>) -> Option<Vec<(char, Range<usize>)>> {
    // Skip a leading anchor (`&a`) or tag (`!!str`), which the span includes.
    let mut start = span.start;
    while let Some(rest) = source.get(start..span.end).filter(|r| r.starts_with(['&', '!'])) {
        let token = rest.find([' ', '\t', '\n']).unwrap_or(rest.len());
        let gap = rest[token..].len() - rest[token..].trim_start().len();
        start += token + gap;
    }
    let raw = source.get(start..span.end)?;
    match raw.chars().next() {
        Some('"') => {
            let inner = raw.strip_prefix('"')?.strip_suffix('"')?;
            Some(flow(inner, start + 1, Quote::Double))
        }
        Some('\'') => {
            let inner = raw.strip_prefix('\'')?.strip_suffix('\'')?;
            Some(flow(inner, start + 1, Quote::Single))
        }
        Some(_) => match block_header(source, start) {
            Some((line_start, folded)) => Some(block(source, line_start, span.end, folded)),
            None => Some(flow(raw, start, Quote::Plain)),
        },
        None => Some(Vec::new()),
    }
}

/// If the scalar starting at `start` is the body of a block scalar (the parser's span starts at
/// the first content character, after the `|`/`>` header line), the start of its first line and
/// whether it is folded.
fn block_header(source: &str, start: usize) -> Option<(usize, bool)> {
    let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
    if !source[line_start..start].chars().all(|c| c == ' ') || line_start == 0 {
        return None;
    }
    // The header is on the last non-blank line before the body.
    let before = &source[..line_start - 1];
    let header_line = before.lines().rev().find(|line| !line.trim().is_empty())?;
    let without_comment = header_line.split(" #").next().unwrap_or(header_line).trim_end();
    let token = without_comment.rsplit([' ', '\t']).next()?;
    let mut chars = token.chars();
    let indicator = chars.next()?;
    if !matches!(indicator, '|' | '>') || !chars.all(|c| matches!(c, '-' | '+' | '1'..='9')) {
        return None;
    }
    // Blank lines between header and body belong to the body (leading newlines).
    let header_end = before.rfind(header_line).map_or(line_start, |i| i + header_line.len() + 1);
    Some((header_end.min(line_start), indicator == '>'))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Quote {
    Plain,
    Single,
    Double,
}

/// Flow scalars: line folding, `''` in single quotes, escapes in double quotes.
fn flow(src: &str, base: usize, quote: Quote) -> Vec<(char, Range<usize>)> {
    let mut out = Vec::new();
    let mut pending: Vec<(char, Range<usize>)> = Vec::new();
    let chars: Vec<(usize, char)> = src.char_indices().collect();
    let mut i = 0;
    let at = |i: usize| chars.get(i).map(|&(_, c)| c);
    let off = |i: usize| chars.get(i).map_or(src.len(), |&(o, _)| o) + base;
    while i < chars.len() {
        let (pos, c) = chars[i];
        if c == '\n' || c == '\r' {
            pending.clear();
            let break_at = pos + base;
            let mut breaks = 0;
            loop {
                if at(i) == Some('\r') {
                    i += 1;
                }
                if at(i) == Some('\n') {
                    i += 1;
                }
                breaks += 1;
                while matches!(at(i), Some(' ' | '\t')) {
                    i += 1;
                }
                if !matches!(at(i), Some('\n' | '\r')) {
                    break;
                }
            }
            if breaks == 1 {
                out.push((' ', break_at..break_at + 1));
            } else {
                out.extend(std::iter::repeat_n(('\n', break_at..break_at + 1), breaks - 1));
            }
            continue;
        }
        if c == ' ' || c == '\t' {
            pending.push((c, off(i)..off(i + 1)));
            i += 1;
            continue;
        }
        out.append(&mut pending);
        if quote == Quote::Single && c == '\'' && at(i + 1) == Some('\'') {
            out.push(('\'', off(i)..off(i + 2)));
            i += 2;
            continue;
        }
        if quote == Quote::Double && c == '\\' {
            let start = off(i);
            match at(i + 1) {
                Some('\n' | '\r') => {
                    i += 1;
                    if at(i) == Some('\r') {
                        i += 1;
                    }
                    if at(i) == Some('\n') {
                        i += 1;
                    }
                    while matches!(at(i), Some(' ' | '\t')) {
                        i += 1;
                    }
                }
                Some(e @ ('x' | 'u' | 'U')) => {
                    let len = match e {
                        'x' => 2,
                        'u' => 4,
                        _ => 8,
                    };
                    let hex: String = (i + 2..i + 2 + len).filter_map(at).collect();
                    let decoded = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32).unwrap_or('\u{fffd}');
                    out.push((decoded, start..off(i + 2 + len)));
                    i += 2 + len;
                }
                Some(e) => {
                    let decoded = match e {
                        '0' => '\0',
                        'a' => '\u{7}',
                        'b' => '\u{8}',
                        't' | '\t' => '\t',
                        'n' => '\n',
                        'v' => '\u{b}',
                        'f' => '\u{c}',
                        'r' => '\r',
                        'e' => '\u{1b}',
                        'N' => '\u{85}',
                        '_' => '\u{a0}',
                        'L' => '\u{2028}',
                        'P' => '\u{2029}',
                        other => other,
                    };
                    out.push((decoded, start..off(i + 2)));
                    i += 2;
                }
                None => {
                    out.push(('\\', start..start + 1));
                    i += 1;
                }
            }
            continue;
        }
        out.push((c, off(i)..off(i + 1)));
        i += 1;
    }
    if quote != Quote::Plain {
        out.append(&mut pending);
    }
    out
}

/// Block scalars: `|` keeps line breaks, `>` folds them; indentation is stripped. Trailing
/// newlines are all kept here and trimmed by the caller's comparison (chomping).
fn block(source: &str, body_start: usize, end: usize, folded: bool) -> Vec<(char, Range<usize>)> {
    let mut lines: Vec<(usize, &str)> = Vec::new();
    let mut pos = body_start;
    for line in source[body_start..end].split_inclusive('\n') {
        let text = line.trim_end_matches('\n').trim_end_matches('\r');
        lines.push((pos, text));
        pos += line.len();
    }
    // The indentation of the first content line (an explicit indentation indicator only matters
    // when that line is more indented, which the caller's check catches).
    let Some(first) = lines.iter().find(|(_, l)| !l.trim().is_empty()) else {
        return Vec::new();
    };
    let indent = first.1.len() - first.1.trim_start_matches(' ').len();
    let mut out: Vec<(char, Range<usize>)> = Vec::new();
    // For folding: was the previous line a normal (non-empty, not more-indented) line?
    let mut prev_normal = false;
    let mut pending_breaks: Vec<Range<usize>> = Vec::new();
    let mut seen_content = false;
    for (start, line) in lines {
        let content = line.get(indent..).unwrap_or("");
        let newline_at = start + line.len();
        if line.trim().is_empty() {
            pending_breaks.push(newline_at..newline_at + 1);
            continue;
        }
        let more_indented = content.starts_with([' ', '\t']);
        if seen_content {
            // The break ending the previous content line is pending_breaks[0].
            if folded && prev_normal && !more_indented {
                if pending_breaks.len() == 1 {
                    out.push((' ', pending_breaks[0].clone()));
                } else {
                    for b in pending_breaks.iter().skip(1) {
                        out.push(('\n', b.clone()));
                    }
                }
            } else {
                for b in &pending_breaks {
                    out.push(('\n', b.clone()));
                }
            }
        } else {
            // Leading empty lines are kept as newlines.
            for b in &pending_breaks {
                out.push(('\n', b.clone()));
            }
        }
        pending_breaks.clear();
        let content_start = start + indent;
        for (i, c) in content.char_indices() {
            out.push((c, content_start + i..content_start + i + c.len_utf8()));
        }
        pending_breaks.push(newline_at..newline_at + 1);
        prev_normal = !more_indented;
        seen_content = true;
    }
    for b in pending_breaks {
        out.push(('\n', b));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses `yaml` (a one-key mapping `k: ...`) and returns the map of its value.
    fn map_of(yaml: &str) -> (ScalarMap, String) {
        let parsed = pao_source::parse_yaml(yaml);
        let node = parsed.root.expect("parses").get("k").expect("has k").clone();
        let value = node.as_str().expect("string").to_owned();
        (ScalarMap::new(yaml, node.span.clone(), &value), value)
    }

    fn source_of<'a>(yaml: &'a str, map: &ScalarMap, value: &str, needle: &str) -> &'a str {
        let at = value.find(needle).expect("needle in value");
        &yaml[map.map(at..at + needle.len())]
    }

    #[test]
    fn plain_scalar() {
        let yaml = "k: https://{{ fields.host }}/x\n";
        let (map, value) = map_of(yaml);
        assert!(map.is_exact());
        assert_eq!(source_of(yaml, &map, &value, "fields.host"), "fields.host");
    }

    #[test]
    fn double_quoted_with_escapes() {
        let yaml = "k: \"[\\\"{{ outputs.a.b }}\\\"] \\u00e9 {{ fields.x }}\"\n";
        let (map, value) = map_of(yaml);
        assert!(map.is_exact(), "{value:?}");
        assert_eq!(value, "[\"{{ outputs.a.b }}\"] é {{ fields.x }}");
        assert_eq!(source_of(yaml, &map, &value, "outputs.a.b"), "outputs.a.b");
        assert_eq!(source_of(yaml, &map, &value, "fields.x"), "fields.x");
        assert_eq!(source_of(yaml, &map, &value, "é"), "\\u00e9");
    }

    #[test]
    fn single_quoted_and_folded_lines() {
        let yaml = "k: 'it''s {{ a }}\n   and {{ b }}'\n";
        let (map, value) = map_of(yaml);
        assert!(map.is_exact(), "{value:?}");
        assert_eq!(value, "it's {{ a }} and {{ b }}");
        assert_eq!(source_of(yaml, &map, &value, "b }}"), "b }}");
    }

    #[test]
    fn literal_block() {
        let yaml = "k: |\n  line {{ one }}\n\n  two {{ fields.two }}\n";
        let (map, value) = map_of(yaml);
        assert!(map.is_exact(), "{value:?}");
        assert_eq!(source_of(yaml, &map, &value, "fields.two"), "fields.two");
        let at = value.find("fields.two").unwrap();
        let offset = map.map(at..at + 1).start;
        let index = pao_source::LineIndex::new(yaml);
        let lc = index.line_col(yaml, offset);
        assert_eq!((lc.line, lc.column), (4, 10));
    }

    #[test]
    fn folded_block_with_strip() {
        let yaml = "k: >-\n  first {{ a }}\n  second {{ fields.b }}\n\n  third\nz: 1\n";
        let (map, value) = map_of(yaml);
        assert!(map.is_exact(), "{value:?}");
        assert_eq!(source_of(yaml, &map, &value, "fields.b"), "fields.b");
    }

    #[test]
    fn anchored_and_tagged_scalars() {
        let yaml = "k: &a !!str \"x {{ fields.y }}\"\n";
        let (map, value) = map_of(yaml);
        assert!(map.is_exact(), "{value:?}");
        assert_eq!(source_of(yaml, &map, &value, "fields.y"), "fields.y");
    }

    #[test]
    fn double_quoted_continuation() {
        let yaml = "k: \"a {{ x }}\\\n    {{ fields.y }}\"\n";
        let (map, value) = map_of(yaml);
        assert!(map.is_exact(), "{value:?}");
        assert_eq!(source_of(yaml, &map, &value, "fields.y"), "fields.y");
    }
}
