//! What a catalog document defines, read from its YAML tree: its id, fields, actions and their
//! outputs, bundle components — each with the byte range where it is defined.
//!
//! Read from the tree rather than the typed document on purpose: a document being edited
//! often has a schema error somewhere (a half-written key), and completion, hover and go to
//! definition must keep working on the rest of it.

use std::ops::Range;

use pao_schema::ActionType;
use pao_source::Node;
use pao_vars::ListKind;

use crate::schema_nav::DocKind;

/// A form field.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldInfo {
    /// `id`.
    pub id: String,
    /// Where the id's value is.
    pub span: Range<usize>,
    /// `name`.
    pub name: Option<String>,
    /// `type`.
    pub type_: Option<String>,
    /// `help`.
    pub help: Option<String>,
    /// `required`.
    pub required: bool,
    /// The id of the field's group.
    pub group: Option<String>,
}

/// An output an action exposes.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputInfo {
    /// The name read as `outputs.<action>.<name>`.
    pub name: String,
    /// Where it is declared (a `rest-api` action's `config.outputs` key); `None` for the fixed
    /// outputs of other action types.
    pub span: Option<Range<usize>>,
}

/// A fulfilment action.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionInfo {
    /// `id`.
    pub id: String,
    /// Where the id's value is.
    pub span: Range<usize>,
    /// `name`.
    pub name: Option<String>,
    /// `type`, when it is a known action type.
    pub type_: Option<ActionType>,
    /// The list it is in.
    pub list: ListKind,
    /// Its position in the list.
    pub index: usize,
    /// What later actions may read from it.
    pub outputs: Vec<OutputInfo>,
}

/// A bundle component.
#[derive(Debug, Clone, PartialEq)]
pub struct ComponentInfo {
    /// `id`.
    pub id: String,
    /// Where the id's value is.
    pub span: Range<usize>,
    /// `item`, with where it is written.
    pub item: Option<(String, Range<usize>)>,
}

/// What one document defines.
#[derive(Debug, Clone, PartialEq)]
pub struct Outline {
    /// Item or bundle.
    pub kind: DocKind,
    /// `metadata.id` and where it is.
    pub id: Option<(String, Range<usize>)>,
    /// `metadata.name`.
    pub name: Option<String>,
    /// `metadata.version`.
    pub version: Option<String>,
    /// `metadata.lifecycle.status`.
    pub status: Option<String>,
    /// `metadata.lifecycle.deprecation.replacement`, with where it is written.
    pub replacement: Option<(String, Range<usize>)>,
    /// Every form field, in form order.
    pub fields: Vec<FieldInfo>,
    /// Every action, automated list first.
    pub actions: Vec<ActionInfo>,
    /// Every component of a bundle.
    pub components: Vec<ComponentInfo>,
}

impl Outline {
    /// Reads the outline of a document tree.
    pub fn of(root: &Node) -> Self {
        let text = |node: Option<&Node>| node.and_then(Node::as_str).map(str::to_owned);
        let spanned = |node: Option<&Node>| node.and_then(|n| n.as_str().map(|s| (s.to_owned(), n.span.clone())));
        let kind = match root.get("kind").and_then(Node::as_str) {
            Some("CatalogBundle") => DocKind::Bundle,
            _ => DocKind::Item,
        };
        let metadata = root.get("metadata");
        let mut fields = Vec::new();
        for group in root.pointer("/presentation/form/groups").map(Node::items).unwrap_or_default() {
            let group_id = text(group.get("id"));
            for field in group.get("fields").map(Node::items).unwrap_or_default() {
                let Some((id, span)) = spanned(field.get("id")) else { continue };
                fields.push(FieldInfo {
                    id,
                    span,
                    name: text(field.get("name")),
                    type_: text(field.get("type")),
                    help: text(field.get("help")),
                    required: matches!(field.get("required").map(|n| &n.value), Some(pao_source::Value::Bool(true))),
                    group: group_id.clone(),
                });
            }
        }
        let mut actions = Vec::new();
        for list in ListKind::ALL {
            let pointer = format!("/fulfillment/{}/actions", list.as_str());
            for (index, action) in root.pointer(&pointer).map(Node::items).unwrap_or_default().iter().enumerate() {
                let Some((id, span)) = spanned(action.get("id")) else { continue };
                let type_ = action
                    .get("type")
                    .and_then(Node::as_str)
                    .and_then(|t| serde_json::from_value::<ActionType>(serde_json::Value::String(t.to_owned())).ok());
                let outputs = match type_ {
                    Some(ActionType::RestApi) => action
                        .pointer("/config/outputs")
                        .map(Node::entries)
                        .unwrap_or_default()
                        .iter()
                        .map(|e| OutputInfo { name: e.key.clone(), span: Some(e.key_span.clone()) })
                        .collect(),
                    Some(other) => pao_vars::fixed_outputs(other)
                        .iter()
                        .map(|name| OutputInfo { name: (*name).to_owned(), span: None })
                        .collect(),
                    None => Vec::new(),
                };
                actions.push(ActionInfo { id, span, name: text(action.get("name")), type_, list, index, outputs });
            }
        }
        let components = root
            .get("components")
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .filter_map(|c| {
                let (id, span) = spanned(c.get("id"))?;
                Some(ComponentInfo { id, span, item: spanned(c.get("item")) })
            })
            .collect();
        Self {
            kind,
            id: spanned(metadata.and_then(|m| m.get("id"))),
            name: text(metadata.and_then(|m| m.get("name"))),
            version: text(metadata.and_then(|m| m.get("version"))),
            status: text(metadata.and_then(|m| m.pointer("/lifecycle/status"))),
            replacement: spanned(metadata.and_then(|m| m.pointer("/lifecycle/deprecation/replacement"))),
            fields,
            actions,
            components,
        }
    }

    /// The field with this id.
    pub fn field(&self, id: &str) -> Option<&FieldInfo> {
        self.fields.iter().find(|f| f.id == id)
    }

    /// The actions of one list, in order.
    pub fn actions_of(&self, list: ListKind) -> impl Iterator<Item = &ActionInfo> {
        self.actions.iter().filter(move |a| a.list == list)
    }

    /// The ids of other documents this one refers to: bundle components' items and the
    /// deprecation's replacement.
    pub fn references(&self) -> impl Iterator<Item = &str> {
        self.components
            .iter()
            .filter_map(|c| c.item.as_ref().map(|(id, _)| id.as_str()))
            .chain(self.replacement.as_ref().map(|(id, _)| id.as_str()))
    }

    /// Every output name of every action (what a bundle component of this item exposes).
    pub fn all_outputs(&self) -> Vec<&str> {
        let mut names: Vec<&str> =
            self.actions.iter().flat_map(|a| a.outputs.iter().map(|o| o.name.as_str())).collect();
        names.sort_unstable();
        names.dedup();
        names
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_example_item() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../catalog/databases/postgresql-standard.yaml"
        ))
        .unwrap();
        let root = pao_source::parse_yaml(&text).root.unwrap();
        let outline = Outline::of(&root);
        assert_eq!(outline.kind, DocKind::Item);
        let (id, span) = outline.id.clone().unwrap();
        assert_eq!(id, "postgresql-standard");
        assert_eq!(&text[span], "postgresql-standard");
        let field = outline.field("instanceName").unwrap();
        assert_eq!(field.type_.as_deref(), Some("string"));
        assert_eq!(&text[field.span.clone()], "instanceName");
        assert!(!outline.actions.is_empty());
        for action in &outline.actions {
            assert_eq!(&text[action.span.clone()], action.id);
        }
    }

    #[test]
    fn partial_documents_still_have_an_outline() {
        let text = "kind: CatalogBundle\nmetadata:\n  id: b\ncomponents:\n  - id: db\n    item: pg\n  - item: no-id\n";
        let outline = Outline::of(&pao_source::parse_yaml(text).root.unwrap());
        assert_eq!(outline.kind, DocKind::Bundle);
        assert_eq!(outline.components.len(), 1);
        assert_eq!(outline.components[0].item.as_ref().unwrap().0, "pg");
    }
}
