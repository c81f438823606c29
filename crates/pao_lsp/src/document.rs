//! The open documents: their unsaved text as the editor holds it, kept in step with
//! `didOpen`, `didChange` (incremental or full) and `didClose`.

use std::collections::HashMap;
use std::sync::Arc;

use lsp_types::{TextDocumentContentChangeEvent, Url};
use pao_source::Node;

use crate::outline::Outline;
use crate::position::LineIndex16;

/// A parse of a document's text: its tree and outline.
#[derive(Debug, Clone)]
pub struct Parsed {
    /// The YAML tree.
    pub root: Arc<Node>,
    /// What the document defines.
    pub outline: Arc<Outline>,
    /// Whether this is the current text's parse; `false`: the last text that parsed (the
    /// current one does not), whose byte positions may be off.
    pub current: bool,
}

/// One open document.
#[derive(Debug, Clone)]
pub struct Document {
    /// The editor's version of the text (increases with every change).
    pub version: i32,
    /// The language id the client gave (`yaml`, `plaintext`, ...).
    pub language_id: String,
    /// The current, unsaved text.
    pub text: Arc<str>,
    /// Line starts of `text`.
    pub index: Arc<LineIndex16>,
    /// The last parse that succeeded, and the version it was of.
    parsed: Option<(i32, Parsed)>,
    /// The version whose parse failed, if the current one did.
    failed: Option<i32>,
}

impl Document {
    /// A document as opened.
    pub fn new(version: i32, language_id: String, text: String) -> Self {
        let index = Arc::new(LineIndex16::new(&text));
        Self { version, language_id, text: text.into(), index, parsed: None, failed: None }
    }

    /// The document's tree and outline: of the current text when it parses, else of the last
    /// text that did (marked not current), else `None`. Parsed once per version.
    pub fn parse(&mut self) -> Option<Parsed> {
        let fresh = self.parsed.as_ref().is_some_and(|(v, _)| *v == self.version);
        if !fresh && self.failed != Some(self.version) {
            match pao_source::parse_yaml(&self.text).root {
                Some(root) => {
                    let outline = Arc::new(Outline::of(&root));
                    self.parsed = Some((self.version, Parsed { root: Arc::new(root), outline, current: true }));
                }
                None => self.failed = Some(self.version),
            }
        }
        self.parsed.as_ref().map(|(v, parsed)| Parsed { current: *v == self.version, ..parsed.clone() })
    }

    /// Applies the changes of one `didChange`, in order. A change with a range replaces that
    /// range (positions in UTF-16 units, clamped to the text); one without replaces the text.
    pub fn apply(&mut self, version: i32, changes: Vec<TextDocumentContentChangeEvent>) {
        let mut text = self.text.to_string();
        let mut index = LineIndex16::new(&text);
        for change in changes {
            match change.range {
                Some(range) => {
                    let start = index.offset(&text, range.start);
                    let end = index.offset(&text, range.end).max(start);
                    text.replace_range(start..end, &change.text);
                }
                None => text = change.text,
            }
            index = LineIndex16::new(&text);
        }
        self.version = version;
        self.text = text.into();
        self.index = Arc::new(index);
    }
}

/// Every open document, by URI.
#[derive(Debug, Default)]
pub struct DocumentStore {
    documents: HashMap<Url, Document>,
}

impl DocumentStore {
    /// Records an opened document (replacing one of the same URI).
    pub fn open(&mut self, uri: Url, document: Document) {
        self.documents.insert(uri, document);
    }

    /// Applies a change; returns `false` when the document is not open (the change is ignored).
    pub fn change(&mut self, uri: &Url, version: i32, changes: Vec<TextDocumentContentChangeEvent>) -> bool {
        match self.documents.get_mut(uri) {
            Some(document) => {
                document.apply(version, changes);
                true
            }
            None => false,
        }
    }

    /// Forgets a closed document.
    pub fn close(&mut self, uri: &Url) -> Option<Document> {
        self.documents.remove(uri)
    }

    /// The open document at `uri`.
    pub fn get(&self, uri: &Url) -> Option<&Document> {
        self.documents.get(uri)
    }

    /// The open document at `uri`, to parse it.
    pub fn get_mut(&mut self, uri: &Url) -> Option<&mut Document> {
        self.documents.get_mut(uri)
    }

    /// Every open document.
    pub fn iter(&self) -> impl Iterator<Item = (&Url, &Document)> {
        self.documents.iter()
    }
}

#[cfg(test)]
mod tests {
    use lsp_types::{Position, Range};

    use super::*;

    fn change(start: (u32, u32), end: (u32, u32), text: &str) -> TextDocumentContentChangeEvent {
        TextDocumentContentChangeEvent {
            range: Some(Range {
                start: Position { line: start.0, character: start.1 },
                end: Position { line: end.0, character: end.1 },
            }),
            range_length: None,
            text: text.to_owned(),
        }
    }

    #[test]
    fn incremental_changes_apply_in_order() {
        let mut doc = Document::new(1, "yaml".into(), "name: 😀a\nid: x\n".into());
        // `name: ` is 6 UTF-16 units and `😀` 2: column 8 is between `😀` and `a`, 9 after `a`.
        doc.apply(
            2,
            vec![
                change((0, 9), (0, 9), "b"),
                change((0, 8), (0, 8), "_"),
                change((1, 4), (1, 5), "yz"),
                change((2, 0), (2, 0), "k: v"),
            ],
        );
        assert_eq!(&*doc.text, "name: 😀_ab\nid: yz\nk: v");
        assert_eq!(doc.version, 2);
        assert_eq!(doc.index.line_count(), 3);
        doc.apply(3, vec![TextDocumentContentChangeEvent { range: None, range_length: None, text: "all".into() }]);
        assert_eq!(&*doc.text, "all");
    }

    #[test]
    fn the_last_good_parse_is_kept() {
        let mut doc = Document::new(1, "yaml".into(), "metadata:\n  id: pg\n".into());
        assert!(doc.parse().unwrap().current);
        doc.apply(2, vec![change((1, 8), (1, 8), "\n  [unclosed")]);
        let parsed = doc.parse().unwrap();
        assert!(!parsed.current);
        assert_eq!(parsed.outline.id.as_ref().unwrap().0, "pg");
    }

    #[test]
    fn ranges_past_the_end_are_clamped() {
        let mut doc = Document::new(1, "yaml".into(), "ab".into());
        doc.apply(2, vec![change((0, 1), (9, 9), "Z")]);
        assert_eq!(&*doc.text, "aZ");
    }
}
