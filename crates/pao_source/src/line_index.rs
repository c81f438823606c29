//! Byte offsets to 1-based lines and character columns.

/// A 1-based line and 1-based column counted in characters (what editors and GitHub show).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LineCol {
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub column: u32,
}

/// The start offset of every line of a text, built once per file.
#[derive(Debug, Clone)]
pub struct LineIndex {
    line_starts: Vec<usize>,
}

impl LineIndex {
    /// Indexes `text`. Lines end at `\n` (so `\r\n` works too).
    pub fn new(text: &str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.bytes().enumerate().filter(|&(_, b)| b == b'\n').map(|(i, _)| i + 1));
        Self { line_starts }
    }

    /// Line and column of byte `offset` in `text` (the text this index was built from). An
    /// offset past the end maps to the end; one inside a character maps to that character. A
    /// byte-order mark at the start of the file is not counted as a column.
    pub fn line_col(&self, text: &str, offset: usize) -> LineCol {
        let offset = offset.min(text.len());
        let line = self.line_starts.partition_point(|&start| start <= offset) - 1;
        let mut start = self.line_starts[line];
        if line == 0 && text.starts_with('\u{feff}') {
            start = start.max('\u{feff}'.len_utf8()).min(offset);
        }
        let column = text.get(start..offset).map_or_else(
            || text[start..].char_indices().take_while(|&(i, _)| start + i < offset).count(),
            |prefix| prefix.chars().count(),
        );
        LineCol { line: to_u32(line + 1), column: to_u32(column + 1) }
    }

    /// Number of lines.
    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_character_columns() {
        let text = "a: 1\nnäme: x\r\nc: y";
        let index = LineIndex::new(text);
        assert_eq!(index.line_col(text, 0), LineCol { line: 1, column: 1 });
        assert_eq!(index.line_col(text, 5), LineCol { line: 2, column: 1 });
        // `x` comes after the two-byte `ä`: byte 12, character column 7.
        assert_eq!(index.line_col(text, text.find('x').unwrap()), LineCol { line: 2, column: 7 });
        assert_eq!(index.line_col(text, text.len()), LineCol { line: 3, column: 5 });
        assert_eq!(index.line_count(), 3);
    }

    #[test]
    fn byte_order_mark_is_not_a_column() {
        let text = "\u{feff}a: 1";
        let index = LineIndex::new(text);
        assert_eq!(index.line_col(text, 3), LineCol { line: 1, column: 1 });
    }
}
