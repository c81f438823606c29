//! Byte offsets to LSP positions and back.
//!
//! PAO's diagnostics carry byte ranges; LSP positions are a 0-based line and a column counted
//! in UTF-16 code units (the protocol's default `positionEncoding`, the only one every client
//! supports). `pao_source::LineIndex` counts columns in characters for people, so the server
//! has its own index: an `ä` is one unit, an emoji two, and a byte-order mark at the start of
//! the text is a unit like any other character (it is part of the text the client sent).

use std::ops::Range;

use lsp_types::Position;

/// The start offset of every line of a text, for conversions in both directions.
#[derive(Debug, Clone)]
pub struct LineIndex16 {
    line_starts: Vec<usize>,
}

impl LineIndex16 {
    /// Indexes `text`. Lines end at `\n`; a `\r` before it stays part of the line's text but
    /// is never a position a conversion lands inside.
    pub fn new(text: &str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(line_breaks(text));
        Self { line_starts }
    }

    /// Number of lines (a text ending in `\n` has an empty last line).
    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// Byte offset where 0-based `line` starts, if the text has it.
    pub fn line_start(&self, line: usize) -> Option<usize> {
        self.line_starts.get(line).copied()
    }

    /// The text of 0-based `line`, without its line ending.
    pub fn line_text<'t>(&self, text: &'t str, line: usize) -> &'t str {
        let Some(&start) = self.line_starts.get(line) else { return "" };
        let end = self.line_starts.get(line + 1).map_or(text.len(), |&next| next - 1);
        let line_text = text.get(start..end.max(start)).unwrap_or("");
        line_text.strip_suffix('\r').unwrap_or(line_text)
    }

    /// The 0-based line holding byte `offset` (past the end: the last line).
    pub fn line_of(&self, offset: usize) -> usize {
        self.line_starts.partition_point(|&start| start <= offset) - 1
    }

    /// The LSP position of byte `offset` in `text`. An offset past the end maps to the end, one
    /// inside a character to that character's start.
    pub fn position(&self, text: &str, offset: usize) -> Position {
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let line = self.line_of(offset);
        let start = self.line_starts[line];
        let column: usize = text[start..offset].chars().map(char::len_utf16).sum();
        Position { line: to_u32(line), character: to_u32(column) }
    }

    /// The LSP range of a byte range.
    pub fn range(&self, text: &str, range: &Range<usize>) -> lsp_types::Range {
        let start = self.position(text, range.start);
        let end = self.position(text, range.end.max(range.start));
        lsp_types::Range { start, end }
    }

    /// The byte offset of an LSP position in `text`. A line past the end maps to the end of the
    /// text; a column past the end of its line to the end of the line (before `\r\n`), as the
    /// protocol asks; a column inside a surrogate pair to the character's start.
    pub fn offset(&self, text: &str, position: Position) -> usize {
        let line = position.line as usize;
        let Some(&start) = self.line_starts.get(line) else { return text.len() };
        let line_text = self.line_text(text, line);
        let wanted = position.character as usize;
        let mut units = 0;
        for (i, c) in line_text.char_indices() {
            let width = c.len_utf16();
            if units + width > wanted {
                return start + i;
            }
            units += width;
        }
        start + line_text.len()
    }
}

/// Offsets just after each `\n`.
fn line_breaks(text: &str) -> impl Iterator<Item = usize> + '_ {
    text.bytes().enumerate().filter(|&(_, b)| b == b'\n').map(|(i, _)| i + 1)
}

/// The largest character boundary at or below `offset`.
pub(crate) fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(line: u32, character: u32) -> Position {
        Position { line, character }
    }

    #[test]
    fn columns_are_utf16_units() {
        // `ä` is 2 bytes and 1 unit; `😀` is 4 bytes and 2 units.
        let text = "a: 1\nnäme: 😀x\r\nc: y";
        let index = LineIndex16::new(text);
        let x = text.find('x').unwrap();
        assert_eq!(index.position(text, 0), pos(0, 0));
        assert_eq!(index.position(text, 5), pos(1, 0));
        assert_eq!(index.position(text, x), pos(1, 8));
        assert_eq!(index.offset(text, pos(1, 8)), x);
        assert_eq!(index.position(text, text.len()), pos(2, 4));
        assert_eq!(index.line_count(), 3);
        assert_eq!(index.line_text(text, 1), "näme: 😀x");
    }

    #[test]
    fn round_trips_every_boundary() {
        let text = "\u{feff}k: \"é😀\"\n- ü\n\n";
        let index = LineIndex16::new(text);
        for (offset, _) in text.char_indices().chain([(text.len(), ' ')]) {
            assert_eq!(index.offset(text, index.position(text, offset)), offset, "offset {offset}");
        }
    }

    #[test]
    fn out_of_range_positions_clamp() {
        let text = "ab\r\ncd";
        let index = LineIndex16::new(text);
        // Past the end of line 0: the end of the line, before `\r\n`.
        assert_eq!(index.offset(text, pos(0, 99)), 2);
        // Past the last line: the end of the text.
        assert_eq!(index.offset(text, pos(7, 0)), text.len());
        // Inside a surrogate pair: the character's start.
        let emoji = "😀";
        assert_eq!(LineIndex16::new(emoji).offset(emoji, pos(0, 1)), 0);
        // Inside a multi-byte character: its start.
        let text = "é";
        assert_eq!(LineIndex16::new(text).position(text, 1), pos(0, 0));
    }
}
