//! What completion, hover and go to definition know about one document and its catalog: the
//! text at the cursor, the document's tree and outline, and the other documents by id (the
//! open ones as the editor holds them, the rest as on disk).

use std::path::PathBuf;
use std::sync::Arc;

use pao_source::{Node, Value};

use crate::outline::Outline;
use crate::position::LineIndex16;
use crate::schema_nav::{DocKind, Schemas};
use crate::template::Site;
use crate::workspace::Workspace;
use crate::yaml_path::{CursorPath, Segment, Slot};

/// The documents of a catalog by id.
#[derive(Debug)]
pub struct CatalogView<'a> {
    /// The repository.
    pub workspace: &'a Workspace,
    /// Open documents (path, outline), which take precedence over their disk version.
    pub open: Vec<(String, Arc<Outline>)>,
}

/// A document of the catalog.
#[derive(Debug, Clone, Copy)]
pub struct Entry<'a> {
    /// Repository-relative path.
    pub path: &'a str,
    /// What it defines.
    pub outline: &'a Outline,
}

impl<'a> CatalogView<'a> {
    /// Every document, open ones in their editor version, sorted by id.
    pub fn all(&self) -> Vec<Entry<'_>> {
        let mut entries: Vec<Entry<'_>> =
            self.open.iter().map(|(path, outline)| Entry { path: path.as_str(), outline: outline.as_ref() }).collect();
        for (path, file) in self.workspace.files() {
            if self.open.iter().any(|(p, _)| p == path) {
                continue;
            }
            if let Some(outline) = &file.outline {
                entries.push(Entry { path: path.as_str(), outline: outline.as_ref() });
            }
        }
        entries.sort_by(|a, b| a.outline.id.as_ref().map(|i| &i.0).cmp(&b.outline.id.as_ref().map(|i| &i.0)));
        entries
    }

    /// The document with this `metadata.id`.
    pub fn by_id(&self, id: &str) -> Option<Entry<'_>> {
        let open = self.open.iter().find(|(_, o)| o.id.as_ref().is_some_and(|(i, _)| i == id));
        if let Some((path, outline)) = open {
            return Some(Entry { path, outline });
        }
        self.workspace.paths_of(id).iter().find(|p| !self.open.iter().any(|(o, _)| o == *p)).and_then(|path| {
            let (path, file) = self.workspace.files().get_key_value(path)?;
            Some(Entry { path, outline: file.outline.as_deref()? })
        })
    }

    /// The absolute path of a repository-relative one.
    pub fn absolute(&self, path: &str) -> PathBuf {
        self.workspace.root.join(path)
    }
}

/// One document at one cursor position.
#[derive(Debug)]
pub struct Analysis<'a> {
    /// The document's text.
    pub text: &'a str,
    /// Its line index.
    pub index: &'a LineIndex16,
    /// The cursor's byte offset.
    pub offset: usize,
    /// The cursor's place in the YAML structure.
    pub cursor: CursorPath,
    /// Item or bundle.
    pub kind: DocKind,
    /// The document's tree (the last that parsed).
    pub root: Option<Arc<Node>>,
    /// What the document defines.
    pub outline: Option<Arc<Outline>>,
    /// The document's path relative to its repository.
    pub path: Option<String>,
    /// The schemas.
    pub schemas: &'a Schemas,
    /// The rest of the catalog.
    pub catalog: CatalogView<'a>,
    /// Environment names `pao.toml` allow-lists.
    pub environment: Vec<String>,
}

impl Analysis<'_> {
    /// The value text before the cursor, for a value slot.
    pub fn value_before(&self) -> Option<&str> {
        match &self.cursor.slot {
            Slot::Value { text, .. } => Some(text),
            Slot::Entry { .. } => None,
        }
    }

    /// The template site owning the string at the cursor.
    pub fn site(&self) -> Option<Site> {
        Site::of(&self.cursor.path)
    }

    /// The tree node at a path, when the document parsed.
    pub fn node_at(&self, path: &[Segment]) -> Option<&Node> {
        let mut node = self.root.as_deref()?;
        for segment in path {
            node = match segment {
                Segment::Key(key) => node.get(key)?,
                Segment::Index(i) => node.items().get(*i)?,
            };
        }
        Some(node)
    }

    /// The fields `fields.*` may name here: the item's, or the bundle's own.
    pub fn fields(&self) -> &[crate::outline::FieldInfo] {
        self.outline.as_ref().map_or(&[], |o| o.fields.as_slice())
    }

    /// The field a `presentation.form.groups[g].fields[f]...` path is inside, as an index into
    /// [`Self::fields`] order (fields of earlier groups first).
    pub fn field_index(&self) -> Option<usize> {
        let path = &self.cursor.path;
        let keys: Vec<Option<&str>> = path.iter().map(Segment::key).collect();
        if keys.get(..3) != Some(&[Some("presentation"), Some("form"), Some("groups")])
            || keys.get(4) != Some(&Some("fields"))
        {
            return None;
        }
        let (Some(Segment::Index(group)), Some(Segment::Index(field))) = (path.get(3), path.get(5)) else {
            return None;
        };
        let groups = self.root.as_deref()?.pointer("/presentation/form/groups")?.items();
        let before: usize = groups.iter().take(*group).map(|g| g.get("fields").map_or(0, |f| f.items().len())).sum();
        Some(before + field)
    }
}

/// The cursor's place refined inside a flow collection (`{ dependsOn: a, condition: equals }`,
/// `[x, y]`), which [`crate::yaml_path`] reads as one plain value: when the document's current
/// text parsed (`root`), the path goes on through the collection's keys and items to the scalar
/// holding the cursor, and the slot becomes that scalar. Otherwise the cursor is unchanged.
pub fn refine_in_flow(cursor: CursorPath, text: &str, root: Option<&Node>, offset: usize) -> CursorPath {
    let Slot::Value { range, block: false, .. } = &cursor.slot else { return cursor };
    if !text.get(range.clone()).is_some_and(|v| v.starts_with('{') || v.starts_with('[')) {
        return cursor;
    }
    let Some(mut node) = root else { return cursor };
    for segment in &cursor.path {
        let next = match segment {
            Segment::Key(key) => node.get(key),
            Segment::Index(i) => node.items().get(*i),
        };
        let Some(next) = next else { return cursor };
        node = next;
    }
    let inside = |n: &Node| n.span.start <= offset && offset <= n.span.end;
    if !inside(node) {
        return cursor;
    }
    let mut path = cursor.path.clone();
    loop {
        let step = match &node.value {
            Value::Map(entries) => {
                entries.iter().find(|e| inside(&e.value)).map(|e| (Segment::Key(e.key.clone()), &e.value))
            }
            Value::Seq(items) => items.iter().enumerate().find(|(_, n)| inside(n)).map(|(i, n)| (Segment::Index(i), n)),
            _ => break,
        };
        let Some((segment, next)) = step else { return cursor };
        path.push(segment);
        node = next;
    }
    let span = node.span.clone();
    match text.get(span.start..offset) {
        Some(before) => CursorPath { path, slot: Slot::Value { text: before.to_owned(), range: span, block: false } },
        None => cursor,
    }
}

/// The kind of a document from its text, when it has not parsed: `kind: CatalogBundle` at
/// the start of a line, or a path under `catalog/bundles/`.
pub fn kind_of(text: &str, path: Option<&str>) -> DocKind {
    if text.lines().any(|l| l.trim_end() == "kind: CatalogBundle") {
        return DocKind::Bundle;
    }
    if text.lines().any(|l| l.trim_end() == "kind: CatalogItem") {
        return DocKind::Item;
    }
    match path {
        Some(p) if p.starts_with("catalog/bundles/") => DocKind::Bundle,
        _ => DocKind::Item,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml_path::cursor_path;

    fn refined(text: &str, needle: &str, shift: usize) -> CursorPath {
        let offset = text.find(needle).unwrap() + shift;
        let root = pao_source::parse_yaml(text).root;
        refine_in_flow(cursor_path(text, offset), text, root.as_ref(), offset)
    }

    fn keys(cursor: &CursorPath) -> Vec<String> {
        cursor.path.iter().map(|s| s.key().map_or_else(|| format!("{s:?}"), str::to_owned)).collect()
    }

    #[test]
    fn flow_mappings_and_sequences_are_entered() {
        let text = "f:\n  conditional: { dependsOn: enableEncryption, condition: equals }\n  tags: [a, \"b\"]\n";
        let cursor = refined(text, "enableEncryption", 3);
        assert_eq!(keys(&cursor), ["f", "conditional", "dependsOn"]);
        let Slot::Value { text: before, range, block } = &cursor.slot else { panic!("{cursor:?}") };
        assert_eq!((before.as_str(), &text[range.clone()], *block), ("ena", "enableEncryption", false));
        let cursor = refined(text, "\"b\"", 1);
        assert_eq!(cursor.path.last(), Some(&Segment::Index(1)));
        // On a flow key, or in text that does not parse: unchanged.
        let cursor = refined(text, "condition:", 2);
        assert_eq!(keys(&cursor), ["f", "conditional"]);
        let broken = "f:\n  conditional: { dependsOn: enableEncryption,\n";
        assert_eq!(keys(&refined(broken, "enableEncryption", 3)), ["f", "conditional"]);
    }
}
