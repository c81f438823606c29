//! A fast path for the YAML that catalog documents are written in.
//!
//! saphyr-parser reads all of YAML, at about 70 MB/s; so do the other maintained Rust parsers
//! (docs/performance.md has the measurements). Parsing was more than half of pao-lint's time.
//! Catalog documents use a small part of YAML: block mappings and sequences, one-line plain and
//! quoted scalars, one-line flow collections, `|` and `>` block scalars, comments. This module
//! reads exactly that part, several times faster, and feeds the same events to the same
//! [`Builder`], so the tree, the spans and the duplicate-key findings are the same.
//!
//! Anything outside that part makes it give up (`None`), and the file is parsed again by
//! saphyr-parser, which also words every syntax error: anchors, aliases, tags, explicit keys,
//! directives, a second document, multi-line plain or quoted scalars, flow collections across
//! lines, block scalars with indentation indicators or `+` chomping, tabs, CR line ends, a byte
//! order mark, characters YAML does not print, and every construct that is an error. The
//! differential tests below hold the two paths to identical results on every document of the
//! repository and on thousands of mutations of them.

use std::borrow::Cow;

use saphyr_parser::ScalarStyle;

use crate::parse::{Builder, Collection, ParsedYaml, YamlError};

/// Parses `text` if it is in the subset; `None` sends it to the full parser.
pub(crate) fn parse(text: &str) -> Option<ParsedYaml> {
    if !in_subset_alphabet(text) {
        return None;
    }
    let mut fast = Fast { text, bytes: text.as_bytes(), builder: Builder::new(text) };
    fast.document()?;
    Some(fast.builder.finish(None))
}

/// No tab, CR, control character, byte order mark, line separator or other character outside
/// YAML's printable set. (Document markers need no check here: `---` and `...` at the start of
/// a line are no plain key, so the parser gives up on them where it meets them.)
fn in_subset_alphabet(text: &str) -> bool {
    // A fold without an early exit, so the compiler vectorises it.
    let control = text.as_bytes().iter().fold(false, |found, &b| found | ((b < 0x20 && b != b'\n') | (b == 0x7f)));
    !control
        && (text.is_ascii()
            || !text.chars().any(|c| {
                matches!(c, '\u{80}'..='\u{9f}' | '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}')
            }))
}

/// Characters that cannot start a plain scalar.
fn is_indicator(b: u8) -> bool {
    matches!(
        b,
        b'-' | b'?'
            | b':'
            | b','
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b'#'
            | b'&'
            | b'*'
            | b'!'
            | b'|'
            | b'>'
            | b'\''
            | b'"'
            | b'%'
            | b'@'
            | b'`'
    )
}

/// A builder's fatal error as a reason to give up.
fn ok(fatal: Option<YamlError>) -> Option<()> {
    fatal.is_none().then_some(())
}

struct Fast<'t> {
    text: &'t str,
    bytes: &'t [u8],
    builder: Builder<'t>,
}

impl<'t> Fast<'t> {
    /// The root: an optional `---` line, then a block mapping at column 0, then nothing.
    fn document(&mut self) -> Option<()> {
        let (mut c, mut indent) = self.next_content(0)?;
        if self.bytes[c..].starts_with(b"---") {
            if c != 0 {
                return None;
            }
            let next = self.line_rest(3)?;
            (c, indent) = self.next_content(next)?;
        }
        if indent != 0 {
            return None;
        }
        let end = self.block_mapping(c, self.plain_key(c)?, 0)?;
        self.next_content(end).is_none().then_some(())
    }

    /// A block mapping whose first key starts at `key` and ends at `colon`, in column `indent`.
    /// Returns where the line after its last value starts.
    fn block_mapping(&mut self, mut key: usize, mut colon: usize, indent: usize) -> Option<usize> {
        ok(self.builder.start(Collection::Map, Some(key), false, 0, key..key))?;
        loop {
            self.scalar(Cow::Borrowed(&self.text[key..colon]), ScalarStyle::Plain, key..colon)?;
            let next = self.block_value(colon + 1, colon, indent, false)?;
            match self.next_content(next) {
                Some((c, i)) if i == indent && !self.is_seq_entry(c) => {
                    key = c;
                    colon = self.plain_key(key)?;
                }
                Some((_, i)) if i >= indent => return None,
                _ => {
                    ok(self.builder.end(next..next))?;
                    return Some(next);
                }
            }
        }
    }

    /// A block sequence whose first `-` is at `dash`, in column `indent`. An indentless sequence
    /// (dashes in the column of the key above) starts, as saphyr's does, where its first item
    /// does, or at the end of the first dash's line when that item starts on a later line.
    fn block_sequence(&mut self, mut dash: usize, indent: usize, indentless: bool) -> Option<usize> {
        let start = if indentless {
            let q = dash + 1 + self.spaces(dash + 1);
            matches!(self.bytes.get(q), None | Some(b'\n' | b'#')).then(|| self.line_end(q))
        } else {
            Some(dash)
        };
        ok(self.builder.start(Collection::Seq, start, false, 0, dash..dash))?;
        loop {
            let next = self.block_value(dash + 1, dash + 1, indent, true)?;
            match self.next_content(next) {
                Some((c, i)) if i == indent && self.is_seq_entry(c) => dash = c,
                Some((_, i)) if i > indent || (i == indent && !indentless) => return None,
                _ => {
                    ok(self.builder.end(next..next))?;
                    return Some(next);
                }
            }
        }
    }

    /// The value after a key's `:` or a sequence entry's `-` (`after` is just past it), in a
    /// collection at column `indent`. Returns where the line after the value starts.
    fn block_value(&mut self, after: usize, indicator: usize, indent: usize, in_seq: bool) -> Option<usize> {
        let q = after + self.spaces(after);
        match self.bytes.get(q).copied() {
            None | Some(b'\n' | b'#') => {
                let line_end = self.line_end(q);
                let next = (line_end + 1).min(self.bytes.len());
                match self.next_content(next) {
                    Some((c, i)) if i > indent => {
                        if self.is_seq_entry(c) {
                            self.block_sequence(c, i, false)
                        } else {
                            self.block_mapping(c, self.plain_key(c)?, i)
                        }
                    }
                    Some((c, i)) if i == indent && !in_seq && self.is_seq_entry(c) => self.block_sequence(c, i, true),
                    _ => {
                        // saphyr places an empty value at the key's colon, an empty item at the line end.
                        let at = if in_seq { line_end } else { indicator };
                        self.scalar(Cow::Borrowed(""), ScalarStyle::Plain, at..at)?;
                        Some(next)
                    }
                }
            }
            Some(b'[') => {
                let end = self.flow_sequence(q)?;
                self.line_rest(end)
            }
            Some(b'{') => {
                let end = self.flow_mapping(q)?;
                self.line_rest(end)
            }
            Some(b'"' | b'\'') => {
                let end = self.quoted(q)?;
                self.line_rest(end)
            }
            Some(b'|' | b'>') => self.block_scalar(q, indent),
            Some(b'-') if self.is_seq_entry(q) => {
                if !in_seq {
                    return None;
                }
                let column = q - self.line_start(q);
                self.block_sequence(q, column, false)
            }
            Some(_) if !self.plain_start(q) => None,
            Some(_) => {
                let compact_key = if in_seq { self.plain_key(q) } else { None };
                if let Some(colon) = compact_key {
                    let column = q - self.line_start(q);
                    return self.block_mapping(q, colon, column);
                }
                let line_end = self.line_end(q);
                let end = self.plain_end(q, line_end)?;
                self.scalar(Cow::Borrowed(&self.text[q..end]), ScalarStyle::Plain, q..end)?;
                Some((line_end + 1).min(self.bytes.len()))
            }
        }
    }

    /// `[a, "b", {c: d}]` on one line; `open` is at `[`. Returns the position after `]`.
    fn flow_sequence(&mut self, open: usize) -> Option<usize> {
        ok(self.builder.start(Collection::Seq, Some(open), true, 0, open..open + 1))?;
        let mut i = open + 1;
        loop {
            i += self.spaces(i);
            if self.bytes.get(i) == Some(&b']') {
                break;
            }
            i = self.flow_node(i)?;
            i += self.spaces(i);
            match self.bytes.get(i) {
                Some(b',') => i += 1,
                Some(b']') => break,
                _ => return None,
            }
        }
        ok(self.builder.end(i..i + 1))?;
        Some(i + 1)
    }

    /// `{a: b, c: [d]}` on one line, with plain keys; `open` is at `{`. Returns the position
    /// after `}`.
    fn flow_mapping(&mut self, open: usize) -> Option<usize> {
        ok(self.builder.start(Collection::Map, Some(open), true, 0, open..open + 1))?;
        let mut i = open + 1;
        loop {
            i += self.spaces(i);
            if self.bytes.get(i) == Some(&b'}') {
                break;
            }
            if !self.plain_start(i) {
                return None;
            }
            let mut colon = i;
            while let Some(&b) = self.bytes.get(colon) {
                match b {
                    b':' if self.bytes.get(colon + 1) == Some(&b' ') => break,
                    b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'\n' => return None,
                    _ => colon += 1,
                }
            }
            if colon >= self.bytes.len() || self.bytes[colon - 1] == b' ' {
                return None;
            }
            self.scalar(Cow::Borrowed(&self.text[i..colon]), ScalarStyle::Plain, i..colon)?;
            i = colon + 1;
            i += self.spaces(i);
            if matches!(self.bytes.get(i), None | Some(b',' | b'}' | b'\n')) {
                return None;
            }
            i = self.flow_node(i)?;
            i += self.spaces(i);
            match self.bytes.get(i) {
                Some(b',') => i += 1,
                Some(b'}') => break,
                _ => return None,
            }
        }
        ok(self.builder.end(i..i + 1))?;
        Some(i + 1)
    }

    /// One value inside a flow collection. Returns the position after it.
    fn flow_node(&mut self, i: usize) -> Option<usize> {
        match self.bytes.get(i)? {
            b'[' => self.flow_sequence(i),
            b'{' => self.flow_mapping(i),
            b'"' | b'\'' => {
                let end = self.quoted(i)?;
                // `"a": b` in a sequence is a one-pair mapping; not in the subset.
                (self.bytes.get(end + self.spaces(end)) != Some(&b':')).then_some(end)
            }
            _ if !self.plain_start(i) => None,
            _ => {
                let mut j = i;
                loop {
                    match *self.bytes.get(j)? {
                        b',' | b'[' | b']' | b'{' | b'}' => break,
                        b':' if matches!(
                            self.bytes.get(j + 1),
                            None | Some(b' ' | b'\n' | b',' | b'[' | b']' | b'{' | b'}')
                        ) =>
                        {
                            return None;
                        }
                        b'#' if self.bytes[j - 1] == b' ' => return None,
                        // saphyr rejects `stable -}`: a dash or question mark after a space, before
                        // a flow indicator.
                        b'-' | b'?'
                            if self.bytes[j - 1] == b' '
                                && matches!(self.bytes.get(j + 1), None | Some(b',' | b'[' | b']' | b'{' | b'}')) =>
                        {
                            return None;
                        }
                        b'\n' => return None,
                        _ => j += 1,
                    }
                }
                let end = i + self.text[i..j].trim_end_matches(' ').len();
                self.scalar(Cow::Borrowed(&self.text[i..end]), ScalarStyle::Plain, i..end)?;
                Some(j)
            }
        }
    }

    /// A one-line quoted scalar starting at `open`. Returns the position after its closing quote.
    fn quoted(&mut self, open: usize) -> Option<usize> {
        let quote = self.bytes[open];
        let mut owned: Option<String> = None;
        let mut segment = open + 1;
        let mut i = open + 1;
        loop {
            match *self.bytes.get(i)? {
                b'\n' => return None,
                b'\'' if quote == b'\'' => {
                    if self.bytes.get(i + 1) != Some(&b'\'') {
                        break;
                    }
                    let s = owned.get_or_insert_with(String::new);
                    s.push_str(&self.text[segment..=i]);
                    i += 2;
                    segment = i;
                }
                b'"' if quote == b'"' => break,
                b'\\' if quote == b'"' => {
                    let unescaped = match *self.bytes.get(i + 1)? {
                        b'\\' => '\\',
                        b'"' => '"',
                        b'/' => '/',
                        b'n' => '\n',
                        b't' => '\t',
                        b'r' => '\r',
                        b'0' => '\0',
                        b' ' => ' ',
                        _ => return None,
                    };
                    let s = owned.get_or_insert_with(String::new);
                    s.push_str(&self.text[segment..i]);
                    s.push(unescaped);
                    i += 2;
                    segment = i;
                }
                _ => i += 1,
            }
        }
        let value = match owned {
            None => Cow::Borrowed(&self.text[open + 1..i]),
            Some(mut s) => {
                s.push_str(&self.text[segment..i]);
                Cow::Owned(s)
            }
        };
        let style = if quote == b'"' { ScalarStyle::DoubleQuoted } else { ScalarStyle::SingleQuoted };
        self.scalar(value, style, open..i + 1)?;
        Some(i + 1)
    }

    /// A `|` or `>` block scalar whose header is at `header`, under a collection at column
    /// `indent`. Returns where the first line after its content starts.
    fn block_scalar(&mut self, header: usize, indent: usize) -> Option<usize> {
        let folded = self.bytes[header] == b'>';
        let mut i = header + 1;
        let strip = self.bytes.get(i) == Some(&b'-');
        if strip {
            i += 1;
        }
        if matches!(self.bytes.get(i), Some(b'+' | b'0'..=b'9')) {
            return None;
        }
        let len = self.bytes.len();
        let mut pos = self.line_rest(i)?;
        let content = self.spaces(pos);
        let first = pos + content;
        if content <= indent || matches!(self.bytes.get(first), None | Some(b'\n')) {
            return None;
        }
        let mut value = String::new();
        let mut blank_lines = 0;
        let mut last_end = first;
        let mut started = false;
        while pos < len {
            let spaces = self.spaces(pos);
            let line_end = self.line_end(pos);
            if pos + spaces == line_end {
                if spaces > content || line_end == len {
                    return None;
                }
                blank_lines += 1;
                pos = line_end + 1;
                continue;
            }
            if spaces < content {
                break;
            }
            let line = &self.text[pos + content..line_end];
            if line_end == len || (folded && (spaces > content || line.ends_with(' '))) {
                return None;
            }
            if started {
                let breaks = if folded { blank_lines } else { blank_lines + 1 };
                if breaks == 0 {
                    value.push(' ');
                }
                value.extend(std::iter::repeat_n('\n', breaks));
            }
            value.push_str(line);
            started = true;
            blank_lines = 0;
            last_end = pos + content + line.trim_end_matches(' ').len();
            pos = line_end + 1;
        }
        if !strip {
            value.push('\n');
        }
        let style = if folded { ScalarStyle::Folded } else { ScalarStyle::Literal };
        self.scalar(Cow::Owned(value), style, first..last_end)?;
        Some(pos)
    }

    fn scalar(&mut self, text: Cow<'_, str>, style: ScalarStyle, span: std::ops::Range<usize>) -> Option<()> {
        ok(self.builder.scalar_event(text, style, 0, None, span))
    }

    /// The colon of a plain key `key: ...` or `key:` starting at `c`, if the line is one.
    fn plain_key(&self, c: usize) -> Option<usize> {
        if !self.plain_start(c) || self.bytes[c..].starts_with(b"...") {
            return None;
        }
        let mut i = c;
        loop {
            match *self.bytes.get(i)? {
                b':' if matches!(self.bytes.get(i + 1), None | Some(b' ' | b'\n')) => break,
                b'#' if self.bytes[i - 1] == b' ' => return None,
                b'\n' => return None,
                _ => i += 1,
            }
        }
        (self.bytes[i - 1] != b' ' && i - c <= 1024).then_some(i)
    }

    /// The end of a one-line plain value starting at `q`: before a comment, without trailing
    /// spaces. `None` when the line holds `: ` or ends in `:` (an error, or a mapping).
    fn plain_end(&self, q: usize, line_end: usize) -> Option<usize> {
        let mut i = q;
        while i < line_end {
            match self.bytes[i] {
                b':' if i + 1 == line_end || self.bytes[i + 1] == b' ' => return None,
                b'#' if self.bytes[i - 1] == b' ' => break,
                _ => i += 1,
            }
        }
        Some(q + self.text[q..i].trim_end_matches(' ').len())
    }

    /// Whether a plain scalar may start at `q`.
    fn plain_start(&self, q: usize) -> bool {
        match self.bytes.get(q) {
            None | Some(b' ' | b'\n') => false,
            Some(&b) if !is_indicator(b) => true,
            Some(b'-') => matches!(self.bytes.get(q + 1), Some(&c) if c != b' ' && c != b'\n' && !is_indicator(c)),
            Some(_) => false,
        }
    }

    /// Whether a sequence entry (`-` then a space or line end) starts at `c`.
    fn is_seq_entry(&self, c: usize) -> bool {
        self.bytes.get(c) == Some(&b'-') && matches!(self.bytes.get(c + 1), None | Some(b' ' | b'\n'))
    }

    /// Where the next line starts, when the rest of this line from `p` is blank or a comment.
    fn line_rest(&self, p: usize) -> Option<usize> {
        let q = p + self.spaces(p);
        match self.bytes.get(q) {
            None => Some(q),
            Some(b'\n') => Some(q + 1),
            Some(b'#') if q > p => Some((self.line_end(q) + 1).min(self.bytes.len())),
            _ => None,
        }
    }

    /// The first line from line start `p` that holds content (not blank, not a comment): where
    /// its content starts and its indentation. `None` at the end of the text.
    fn next_content(&self, mut p: usize) -> Option<(usize, usize)> {
        while p < self.bytes.len() {
            let indent = self.spaces(p);
            let c = p + indent;
            match self.bytes.get(c) {
                None => return None,
                Some(b'\n') => p = c + 1,
                Some(b'#') => p = self.line_end(c) + 1,
                Some(_) => return Some((c, indent)),
            }
        }
        None
    }

    fn spaces(&self, p: usize) -> usize {
        self.bytes.get(p..).map_or(0, |rest| rest.iter().take_while(|&&b| b == b' ').count())
    }

    fn line_end(&self, p: usize) -> usize {
        memchr::memchr(b'\n', &self.bytes[p..]).map_or(self.bytes.len(), |i| p + i)
    }

    fn line_start(&self, p: usize) -> usize {
        memchr::memrchr(b'\n', &self.bytes[..p]).map_or(0, |i| i + 1)
    }
}

#[cfg(test)]
mod tests;
