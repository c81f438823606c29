//! Where the cursor is in a YAML document, read from indentation alone.
//!
//! While a catalog item is being typed it is often not valid YAML (`instanceNa` without its
//! colon, a half-written list item), so completion and hover cannot wait for a parse. This
//! module reads the block structure the way a person does: the cursor's line says whether a
//! key or a value is being written, and the lines above with less indentation (and the `- `
//! markers of sequence items) give the path from the document root. Flow collections
//! (`{ a: 1 }`, `[x, y]`) are read as plain values.

use std::ops::Range;

/// One step of a path from the document root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// The value of a mapping key.
    Key(String),
    /// An item of a sequence (0-based).
    Index(usize),
}

impl Segment {
    /// The key, if this step is one.
    pub fn key(&self) -> Option<&str> {
        match self {
            Self::Key(key) => Some(key),
            Self::Index(_) => None,
        }
    }
}

/// What is being written at the cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Slot {
    /// A new entry of the collection at `path`: a key of a mapping, or (after `- `) an item
    /// of a sequence. `text` is the word written so far up to the cursor, `range` the whole
    /// word around the cursor (what a completion replaces).
    Entry {
        /// The text before the cursor.
        text: String,
        /// The word at the cursor, in bytes of the document.
        range: Range<usize>,
    },
    /// The value of the key that ends `path`. `text` is the value before the cursor, `range`
    /// the whole value on its line (without a trailing comment).
    Value {
        /// The text before the cursor.
        text: String,
        /// The value, in bytes of the document.
        range: Range<usize>,
        /// The value is a block scalar (`|`, `>`) whose lines the cursor is in.
        block: bool,
    },
}

/// The cursor's place in the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CursorPath {
    /// From the root to the collection holding the entry (for [`Slot::Entry`]) or to the value
    /// (for [`Slot::Value`], ending in the key).
    pub path: Vec<Segment>,
    /// What is being written.
    pub slot: Slot,
}

/// A line's block structure.
#[derive(Debug, Clone, Default)]
struct Line<'t> {
    /// Columns (bytes from the line start) of `- ` sequence markers.
    dashes: Vec<usize>,
    /// Column of the content after the indentation and markers, if any.
    content: Option<usize>,
    /// The key, if the content is `key:` or `key: value`, with its columns.
    key: Option<(String, Range<usize>)>,
    /// The value after `key:` (trimmed, without a comment), with its start column.
    value: Option<(&'t str, usize)>,
}

impl Line<'_> {
    /// Columns where an entry starts on this line: each marker, then the content.
    fn starts(&self) -> impl Iterator<Item = usize> + '_ {
        self.dashes.iter().copied().chain(self.content)
    }

    fn first(&self) -> Option<usize> {
        self.starts().next()
    }
}

/// Reads one line (without its line ending). `None` for blank and comment-only lines, and for
/// document markers.
fn read_line(text: &str) -> Option<Line<'_>> {
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut line = Line::default();
    loop {
        while i < bytes.len() && bytes[i] == b' ' {
            i += 1;
        }
        if i < bytes.len() && bytes[i] == b'-' && (i + 1 == bytes.len() || bytes[i + 1] == b' ') {
            line.dashes.push(i);
            i += 1;
            continue;
        }
        break;
    }
    if i >= bytes.len() || bytes[i] == b'#' {
        return (!line.dashes.is_empty()).then_some(line);
    }
    if line.dashes.is_empty() && (text.starts_with("---") || text.starts_with("...")) {
        return None;
    }
    line.content = Some(i);
    if let Some((key, colon)) = split_key(&text[i..]) {
        line.key = Some((key, i..i + colon));
        let after = i + colon + 1;
        let rest = &text[after..];
        let value = strip_comment(rest);
        let lead = value.len() - value.trim_start().len();
        line.value = Some((value.trim(), after + lead));
    }
    Some(line)
}

/// `key: value` → the key (unquoted) and the byte column of its colon, when `content` starts
/// with a mapping key.
fn split_key(content: &str) -> Option<(String, usize)> {
    let bytes = content.as_bytes();
    match bytes.first()? {
        b'"' | b'\'' => {
            let quote = bytes[0];
            let close = content[1..].find(quote as char)? + 1;
            let colon = close + 1;
            if bytes.get(colon) == Some(&b':') && bytes.get(colon + 1).is_none_or(|b| *b == b' ') {
                Some((content[1..close].to_owned(), colon))
            } else {
                None
            }
        }
        b'{' | b'[' | b'|' | b'>' | b'#' => None,
        _ => {
            let mut i = 0;
            while i < bytes.len() {
                if bytes[i] == b':' && (i + 1 == bytes.len() || bytes[i + 1] == b' ') {
                    return Some((content[..i].trim_end().to_owned(), i));
                }
                if bytes[i] == b' ' && bytes.get(i + 1) == Some(&b'#') {
                    return None;
                }
                i += 1;
            }
            None
        }
    }
}

/// The part of a value before a ` #` comment (outside quotes).
fn strip_comment(value: &str) -> &str {
    let mut quote: Option<u8> = None;
    let bytes = value.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if b == b'"' || b == b'\'' => quote = Some(b),
            None if b == b'#' && (i == 0 || bytes[i - 1] == b' ') => return &value[..i],
            None => {}
        }
    }
    value
}

/// Whether a value opens a block scalar (`|`, `>-`, `|2+`, ...).
pub(crate) fn is_block_indicator(value: &str) -> bool {
    let mut chars = value.chars();
    matches!(chars.next(), Some('|' | '>')) && chars.all(|c| matches!(c, '-' | '+' | '1'..='9'))
}

/// What the walk up the document is looking for the parent of.
#[derive(Debug, Clone, Copy)]
enum Node {
    /// A mapping whose keys start at this column.
    Map(usize),
    /// A sequence whose `- ` markers are at this column; the last path step is its index.
    Seq(usize),
}

/// The word characters of keys and plain values around a cursor.
fn is_word(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '/' | '^' | '~' | '=' | '<' | '>' | '*' | '@')
}

/// Reads the cursor's place at byte `offset` of `text`.
pub fn cursor_path(text: &str, offset: usize) -> CursorPath {
    let offset = crate::position::floor_char_boundary(text, offset.min(text.len()));
    let lines: Vec<(usize, &str)> = line_spans(text);
    let cursor_line = lines.partition_point(|&(start, _)| start <= offset).saturating_sub(1);
    let column = (offset - lines[cursor_line].0).min(lines[cursor_line].1.len());
    if let Some((owner, value_col)) = block_owner(&lines, cursor_line, column) {
        let mut path = structural(&lines, owner, value_col);
        let line_end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
        let start = (lines[owner].0 + lines[owner].1.len() + 1).min(offset);
        path.slot = Slot::Value { text: text[start..offset].to_owned(), range: start..line_end, block: true };
        return path;
    }
    structural(&lines, cursor_line, column)
}

/// The line and value column of the block scalar (`key: |`) whose content holds the cursor, if
/// any: the nearest line above with less indentation than every line from it to the cursor
/// that opens a block scalar. A block's content is indented deeper than its key's line, and
/// may look like anything, keys and list items included.
fn block_owner(lines: &[(usize, &str)], cursor_line: usize, column: usize) -> Option<(usize, usize)> {
    let indent = |text: &str| text.len() - text.trim_start_matches(' ').len();
    let own = lines[cursor_line].1;
    let mut min = if own.trim().is_empty() { column } else { indent(own).min(column) };
    for (n, &(_, text)) in lines[..cursor_line].iter().enumerate().rev() {
        if text.trim().is_empty() {
            continue;
        }
        let ind = indent(text);
        if ind >= min {
            continue;
        }
        if let Some(line) = read_line(text)
            && let Some((value, value_col)) = line.value
            && is_block_indicator(value)
        {
            return Some((n, value_col + value.len()));
        }
        min = ind;
        if min == 0 {
            break;
        }
    }
    None
}

/// The path at `column` of line `cursor_line`, from the block structure of the lines above.
fn structural(lines: &[(usize, &str)], cursor_line: usize, column: usize) -> CursorPath {
    let (line_start, line_text) = lines[cursor_line];
    let before = &line_text[..column];
    let parsed = read_line(line_text).unwrap_or_default();
    let before_parsed = read_line(before);

    let mut rev: Vec<Segment> = Vec::new();
    // The entry the cursor is in, and its column.
    let (slot, entry_col, dashes) = match before_parsed.as_ref().and_then(|b| b.key.clone().zip(b.value)) {
        // `key: val|`: a value.
        Some(((key, key_range), _)) => {
            let (value, value_col) = parsed.value.unwrap_or(("", column));
            let value_end = value_col + value.len();
            let text_before = line_text.get(value_col..column.max(value_col)).unwrap_or("");
            rev.push(Segment::Key(key));
            let slot = Slot::Value {
                text: text_before.to_owned(),
                range: line_start + value_col..line_start + value_end.max(column),
                block: false,
            };
            let dashes: Vec<usize> = parsed.dashes.iter().copied().filter(|&d| d < key_range.start).collect();
            (slot, key_range.start, dashes)
        }
        // A key (or list item) being written, or an empty line.
        None => {
            let b = before_parsed.unwrap_or_default();
            let col = b.content.unwrap_or(column).min(column);
            let word_start = line_text[..column].rfind(|c: char| !is_word(c)).map_or(0, |i| i + 1).max(col);
            let word_end = line_text[column..].find(|c: char| !is_word(c)).map_or(line_text.len(), |i| column + i);
            let slot = Slot::Entry {
                text: line_text[col..column].to_owned(),
                range: line_start + word_start..line_start + word_end,
            };
            (slot, col, b.dashes)
        }
    };

    let mut node = enter_markers(&mut rev, &dashes).unwrap_or(Node::Map(entry_col));
    for &(_, text_line) in lines[..cursor_line].iter().rev() {
        let Some(line) = read_line(text_line) else { continue };
        let Some(first) = line.first() else { continue };
        let limit = match node {
            Node::Map(col) => {
                if first >= col {
                    continue;
                }
                col
            }
            Node::Seq(col) => {
                if let Some(at) = line.dashes.iter().position(|&d| d == col) {
                    // A sibling item; markers left of it hold the sequence.
                    if let Some(Segment::Index(i)) = rev.last_mut() {
                        *i += 1;
                    }
                    if let Some(outer) = enter_markers(&mut rev, &line.dashes[..at]) {
                        node = outer;
                    }
                    continue;
                }
                if first > col || (first == col && line.key.is_none()) {
                    continue;
                }
                // A key at the sequence's own column may hold it.
                col + 1
            }
        };
        // This line holds the parent: its rightmost start left of the node.
        let mut starts: Vec<usize> = line.starts().filter(|&s| s < limit).collect();
        let Some(&parent) = starts.last() else { break };
        if Some(parent) == line.content {
            // Text without a key left of the node: a multi-line scalar's line; the parent is
            // further up.
            let Some((key, _)) = &line.key else { continue };
            rev.push(Segment::Key(key.clone()));
            starts.pop();
            node = Node::Map(parent);
        }
        if let Some(outer) = enter_markers(&mut rev, &starts) {
            node = outer;
        }
    }
    rev.reverse();
    CursorPath { path: rev, slot }
}

/// Steps into the items that sequence markers at `columns` (left to right, on one line) open:
/// each is item 0 of its sequence as far as this line knows; the walk up counts the leftmost
/// one's earlier siblings. Returns the outermost sequence.
fn enter_markers(rev: &mut Vec<Segment>, columns: &[usize]) -> Option<Node> {
    for _ in columns {
        rev.push(Segment::Index(0));
    }
    columns.first().map(|&col| Node::Seq(col))
}

/// Each line's start offset and text (without `\n` or `\r\n`).
fn line_spans(text: &str) -> Vec<(usize, &str)> {
    let mut spans = Vec::new();
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        let body = line.strip_suffix('\n').unwrap_or(line);
        spans.push((start, body.strip_suffix('\r').unwrap_or(body)));
        start += line.len();
    }
    if text.is_empty() || text.ends_with('\n') {
        spans.push((start, ""));
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `text` with `|` marking the cursor.
    fn at(marked: &str) -> CursorPath {
        at_marker(marked, "|")
    }

    /// `text` with `marker` marking the cursor (for texts that hold `|` themselves).
    fn at_marker(marked: &str, marker: &str) -> CursorPath {
        let offset = marked.find(marker).unwrap();
        let text = marked.replacen(marker, "", 1);
        cursor_path(&text, offset)
    }

    fn keys(path: &CursorPath) -> Vec<String> {
        path.path
            .iter()
            .map(|s| match s {
                Segment::Key(k) => k.clone(),
                Segment::Index(i) => format!("[{i}]"),
            })
            .collect()
    }

    const ITEM: &str = "\
apiVersion: pao/v1
metadata:
  id: pg
  owner:
    team: dba
presentation:
  form:
    groups:
      - id: basic
        fields:
          - id: a
            type: string
          - id: b
            type: |
";

    #[test]
    fn key_being_typed_under_a_mapping() {
        let p = at("metadata:\n  id: pg\n  own|\n");
        assert_eq!(keys(&p), ["metadata"]);
        assert!(matches!(p.slot, Slot::Entry { ref text, .. } if text == "own"));
    }

    #[test]
    fn value_of_a_nested_key() {
        let text = ITEM;
        let offset = text.find("team: dba").unwrap() + "team: d".len();
        let p = cursor_path(text, offset);
        assert_eq!(keys(&p), ["metadata", "owner", "team"]);
        match p.slot {
            Slot::Value { text: before, range, block } => {
                assert_eq!(before, "d");
                assert_eq!(&text[range], "dba");
                assert!(!block);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn sequence_items_are_counted() {
        let p = at(
            "groups:\n  - id: basic\n    fields:\n      - id: a\n        type: string\n      - id: b\n        ty|\n",
        );
        assert_eq!(keys(&p), ["groups", "[0]", "fields", "[1]"]);
        let p = at("groups:\n  - id: basic\n  - id: two\n    na|\n");
        assert_eq!(keys(&p), ["groups", "[1]"]);
        // The item's first key, on the marker's line.
        let p = at("groups:\n  - id: basic\n  - i|\n");
        assert_eq!(keys(&p), ["groups", "[1]"]);
        let p = at("groups:\n  - id: basic\n  - id: x|\n");
        assert_eq!(keys(&p), ["groups", "[1]", "id"]);
    }

    #[test]
    fn sequences_at_the_key_indentation() {
        let p = at("actions:\n- id: a\n  type: x\n- id: b\n  con|\n");
        assert_eq!(keys(&p), ["actions", "[1]"]);
    }

    #[test]
    fn empty_line_uses_the_cursor_column() {
        let p = at("metadata:\n  id: pg\n  |\nother: 1\n");
        assert_eq!(keys(&p), ["metadata"]);
        let p = at("metadata:\n  id: pg\n|\n");
        assert!(p.path.is_empty());
    }

    #[test]
    fn blank_and_comment_lines_are_skipped() {
        let p = at("metadata:\n\n  # a comment\n  owner:\n\n    te|\n");
        assert_eq!(keys(&p), ["metadata", "owner"]);
    }

    #[test]
    fn block_scalars_are_values() {
        // `‸` marks the cursor: the text's `|` is the block indicator.
        let p = at_marker("config:\n  description: |\n    line: one\n    - x\n    line two\n      {{ fie‸\n", "‸");
        assert_eq!(keys(&p), ["config", "description"]);
        match p.slot {
            Slot::Value { text, block, .. } => {
                assert!(block);
                assert!(text.ends_with("{{ fie"), "{text:?}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn quoted_keys_and_comments() {
        let p = at("\"metadata\":\n  id: pg # the id\n  name: \"a # b\"|\n");
        assert_eq!(keys(&p), ["metadata", "name"]);
        assert_eq!(strip_comment(" pg # the id"), " pg ");
        assert_eq!(strip_comment(" \"a # b\""), " \"a # b\"");
    }

    #[test]
    fn item_path_in_the_fixture() {
        let text = ITEM;
        let offset = text.rfind("type: |").unwrap() + 2;
        let p = cursor_path(text, offset);
        assert_eq!(keys(&p), ["presentation", "form", "groups", "[0]", "fields", "[1]"]);
        assert!(
            matches!(p.slot, Slot::Entry { ref text, ref range } if text == "ty" && &ITEM[range.clone()] == "type")
        );
    }

    #[test]
    fn nested_markers_on_one_line() {
        let p = at("a:\n  - - x: 1\n    - y|\n");
        assert_eq!(keys(&p), ["a", "[0]", "[1]"]);
    }
}
