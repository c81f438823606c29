//! The generated JSON Schemas, walked by path: which keys a mapping may have, what each key
//! means (its `description`), which values an enum allows.
//!
//! The schemas are the ones `pao_schema::generate_schemas()` writes to `schema/*.json`, so
//! completion and hover can never disagree with the schema rules. `$ref`s (local and into
//! `common-types.json`), `anyOf`/`oneOf` (the branches together, `null` left out) and `allOf`
//! are followed; an `if`/`then` applies when the document at that place matches the `if`
//! (an action's `type` decides the keys of its `config`), or when the document does not say.

use pao_source::{Node, Value as YamlValue};
use serde_json::Value;

use crate::yaml_path::Segment;

/// The two document kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocKind {
    /// `kind: CatalogItem`.
    Item,
    /// `kind: CatalogBundle`.
    Bundle,
}

/// A key a mapping may have.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyInfo {
    /// The key.
    pub name: String,
    /// Its description, Markdown.
    pub description: Option<String>,
    /// Whether the schema requires it.
    pub required: bool,
    /// A short type summary (`string`, `object`, `list`, one of the enum values).
    pub kind: String,
    /// Whether the value is written as a nested block (mapping or list).
    pub block: bool,
}

/// A value an enum allows.
#[derive(Debug, Clone, PartialEq)]
pub struct EnumValue {
    /// The value as YAML text.
    pub value: String,
    /// What it means.
    pub description: Option<String>,
}

/// The schemas, held as JSON values.
#[derive(Debug, Clone)]
pub struct Schemas {
    item: Value,
    bundle: Value,
    common: Value,
}

/// Deepest chain of `$ref`s and combinators followed (the schemas nest a few levels).
const MAX_EXPAND: usize = 16;

impl Default for Schemas {
    fn default() -> Self {
        Self::new()
    }
}

impl Schemas {
    /// The schemas of this build of PAO.
    pub fn new() -> Self {
        let mut item = Value::Null;
        let mut bundle = Value::Null;
        let mut common = Value::Null;
        for file in pao_schema::generate_schemas() {
            match file.name {
                "catalog-item.json" => item = file.schema,
                "catalog-bundle.json" => bundle = file.schema,
                _ => common = file.schema,
            }
        }
        Self { item, bundle, common }
    }

    fn root(&self, kind: DocKind) -> &Value {
        match kind {
            DocKind::Item => &self.item,
            DocKind::Bundle => &self.bundle,
        }
    }

    /// The schema nodes that apply to the value at `path`; `doc` is the document's tree, when
    /// it parsed, for `if`/`then`.
    pub fn at<'s>(&'s self, kind: DocKind, path: &[Segment], doc: Option<&Node>) -> Vec<&'s Value> {
        let mut nodes = self.expand(self.root(kind), doc);
        let mut instance = doc;
        for segment in path {
            instance = instance.and_then(|node| step(node, segment));
            let mut next = Vec::new();
            for node in &nodes {
                if let Some(child) = self.child(node, segment) {
                    next.extend(self.expand(child, instance));
                }
            }
            nodes = next;
            if nodes.is_empty() {
                break;
            }
        }
        nodes
    }

    /// The raw schema of `key` in the mapping at `path` (before `$ref`s are followed), whose
    /// `description` is the key's own.
    pub fn key_schema<'s>(&'s self, kind: DocKind, path: &[Segment], key: &str, doc: Option<&Node>) -> Vec<&'s Value> {
        self.at(kind, path, doc)
            .into_iter()
            .filter_map(|node| node.get("properties").and_then(|p| p.get(key)))
            .collect()
    }

    /// The description of `key` in the mapping at `path`.
    pub fn key_description(&self, kind: DocKind, path: &[Segment], key: &str, doc: Option<&Node>) -> Option<String> {
        let raw = self.key_schema(kind, path, key, doc);
        let own = raw.iter().find_map(|s| s.get("description").and_then(Value::as_str));
        let referenced =
            || raw.iter().flat_map(|s| self.expand(s, None)).find_map(|s| s.get("description").and_then(Value::as_str));
        own.or_else(referenced).map(str::to_owned)
    }

    /// The keys the mapping at `path` may have, in schema order.
    pub fn keys(&self, kind: DocKind, path: &[Segment], doc: Option<&Node>) -> Vec<KeyInfo> {
        let nodes = self.at(kind, path, doc);
        let mut keys: Vec<KeyInfo> = Vec::new();
        for node in &nodes {
            let required: Vec<&str> = node
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            let Some(properties) = node.get("properties").and_then(Value::as_object) else { continue };
            for (name, schema) in properties {
                if keys.iter().any(|k| &k.name == name) {
                    continue;
                }
                let expanded = self.expand(schema, None);
                let description = schema
                    .get("description")
                    .or_else(|| expanded.iter().find_map(|s| s.get("description")))
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                let (kind, block) = summary(&expanded);
                keys.push(KeyInfo {
                    name: name.clone(),
                    description,
                    required: required.contains(&name.as_str()),
                    kind,
                    block,
                });
            }
        }
        keys
    }

    /// The values the value at `path` may take, when the schema lists them (enums, `const`s,
    /// booleans).
    pub fn values(&self, kind: DocKind, path: &[Segment], doc: Option<&Node>) -> Vec<EnumValue> {
        let mut values: Vec<EnumValue> = Vec::new();
        let mut push = |value: String, description: Option<String>| {
            if !values.iter().any(|v| v.value == value) {
                values.push(EnumValue { value, description });
            }
        };
        for node in self.at(kind, path, doc) {
            if let Some(c) = node.get("const") {
                push(yaml_text(c), node.get("description").and_then(Value::as_str).map(str::to_owned));
            }
            // An enum's values carry their descriptions alongside, in the same order
            // (`markdownEnumDescriptions`, else `enumDescriptions`; see docs/editors.md).
            let descriptions = ["markdownEnumDescriptions", "enumDescriptions"]
                .iter()
                .find_map(|key| node.get(*key).and_then(Value::as_array));
            for (i, v) in node.get("enum").and_then(Value::as_array).into_iter().flatten().enumerate() {
                let description = descriptions.and_then(|d| d.get(i)).and_then(Value::as_str).map(str::to_owned);
                push(yaml_text(v), description);
            }
            if types(node).contains(&"boolean") {
                push("true".into(), None);
                push("false".into(), None);
            }
        }
        values
    }

    /// The schema a path step leads to from `node` (not yet expanded).
    fn child<'s>(&'s self, node: &'s Value, segment: &Segment) -> Option<&'s Value> {
        match segment {
            Segment::Key(key) => node
                .get("properties")
                .and_then(|p| p.get(key))
                .or_else(|| node.get("additionalProperties").filter(|v| v.is_object())),
            Segment::Index(_) => node.get("items").filter(|v| v.is_object()),
        }
    }

    /// `node` with its `$ref`s and combinators followed: the list of schemas that all apply.
    fn expand<'s>(&'s self, node: &'s Value, instance: Option<&Node>) -> Vec<&'s Value> {
        let mut out = Vec::new();
        let mut stack = vec![(node, 0usize)];
        while let Some((node, depth)) = stack.pop() {
            if depth > MAX_EXPAND {
                continue;
            }
            if is_null_only(node) {
                continue;
            }
            if let Some(target) = node.get("$ref").and_then(Value::as_str).and_then(|r| self.resolve(r)) {
                stack.push((target, depth + 1));
            }
            for key in ["anyOf", "oneOf", "allOf"] {
                for branch in node.get(key).and_then(Value::as_array).into_iter().flatten().rev() {
                    if let Some(then) = branch.get("then") {
                        if branch.get("if").is_none_or(|condition| matches(condition, instance)) {
                            stack.push((then, depth + 1));
                        }
                    } else {
                        stack.push((branch, depth + 1));
                    }
                }
            }
            out.push(node);
        }
        out
    }

    /// The schema a `$ref` names: `#/$defs/X` or `common-types.json#/$defs/X`.
    fn resolve(&self, reference: &str) -> Option<&Value> {
        let pointer = reference.split_once('#').map_or(reference, |(_, p)| p);
        self.common.pointer(pointer)
    }
}

/// Whether an `if` holds for the instance: each `properties.<k>.const` equals the instance's
/// value of `k`. Unknown (no instance, or the key absent) counts as holding, so completion
/// offers every branch's keys until the document says which applies.
fn matches(condition: &Value, instance: Option<&Node>) -> bool {
    let Some(instance) = instance else { return true };
    let Some(properties) = condition.get("properties").and_then(Value::as_object) else { return true };
    properties.iter().all(|(key, schema)| {
        let Some(expected) = schema.get("const") else { return true };
        match instance.get(key) {
            None => true,
            Some(node) => node.to_json() == *expected,
        }
    })
}

/// The child of a YAML node along one path step.
fn step<'n>(node: &'n Node, segment: &Segment) -> Option<&'n Node> {
    match (segment, &node.value) {
        (Segment::Key(key), YamlValue::Map(_)) => node.get(key),
        (Segment::Index(i), YamlValue::Seq(items)) => items.get(*i),
        _ => None,
    }
}

fn is_null_only(node: &Value) -> bool {
    node.get("type").and_then(Value::as_str) == Some("null") && node.as_object().is_some_and(|o| o.len() == 1)
}

fn types(node: &Value) -> Vec<&str> {
    match node.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// A short type summary of expanded schemas, and whether the value is a nested block.
fn summary(expanded: &[&Value]) -> (String, bool) {
    let consts: Vec<String> = expanded.iter().filter_map(|s| s.get("const")).map(yaml_text).collect();
    if !consts.is_empty() {
        return (consts.join(" | "), false);
    }
    let mut all: Vec<&str> = expanded.iter().flat_map(|s| types(s)).filter(|t| *t != "null").collect();
    all.dedup();
    let block = all.iter().any(|t| *t == "object" || *t == "array") && !all.contains(&"string");
    let names: Vec<&str> = all.iter().map(|t| if *t == "array" { "list" } else { t }).collect();
    (if names.is_empty() { "any".to_owned() } else { names.join(" | ") }, block)
}

/// A JSON scalar as YAML text (strings unquoted unless YAML would read them otherwise).
fn yaml_text(value: &Value) -> String {
    match value {
        Value::String(s) => {
            let plain = !s.is_empty()
                && !matches!(s.as_str(), "true" | "false" | "null" | "~" | "yes" | "no")
                && s.parse::<f64>().is_err()
                && !s.starts_with(|c: char| "-?:,[]{}#&*!|>'\"%@`".contains(c))
                && !s.contains(": ")
                && !s.contains(" #");
            if plain { s.clone() } else { format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\"")) }
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(keys: &[&str]) -> Vec<Segment> {
        keys.iter().map(|k| k.parse::<usize>().map_or_else(|_| Segment::Key((*k).to_owned()), Segment::Index)).collect()
    }

    fn names(keys: &[KeyInfo]) -> Vec<&str> {
        keys.iter().map(|k| k.name.as_str()).collect()
    }

    #[test]
    fn top_level_and_nested_keys() {
        let schemas = Schemas::new();
        let top = schemas.keys(DocKind::Item, &[], None);
        assert_eq!(names(&top), ["apiVersion", "kind", "metadata", "presentation", "fulfillment", "monitoring"]);
        assert!(top.iter().find(|k| k.name == "metadata").is_some_and(|k| k.required && k.block));
        let owner = schemas.keys(DocKind::Item, &path(&["metadata", "owner"]), None);
        assert_eq!(names(&owner), ["team", "contact", "jiraProject"]);
        let field = schemas.keys(DocKind::Item, &path(&["presentation", "form", "groups", "0", "fields", "3"]), None);
        assert!(names(&field).contains(&"conditional"), "{:?}", names(&field));
        let bundle = schemas.keys(DocKind::Bundle, &path(&["components", "0"]), None);
        assert_eq!(names(&bundle), ["id", "item", "version", "fields"]);
    }

    #[test]
    fn enum_values_with_descriptions() {
        let schemas = Schemas::new();
        let types =
            schemas.values(DocKind::Item, &path(&["presentation", "form", "groups", "0", "fields", "0", "type"]), None);
        assert_eq!(types.len(), 9);
        assert_eq!(types[0], EnumValue { value: "string".into(), description: Some("Single-line text.".into()) });
        let status = schemas.values(DocKind::Item, &path(&["metadata", "lifecycle", "status"]), None);
        assert!(status.iter().any(|v| v.value == "deprecated"));
        let required = schemas.values(
            DocKind::Item,
            &path(&["presentation", "form", "groups", "0", "fields", "0", "required"]),
            None,
        );
        assert_eq!(required.iter().map(|v| v.value.as_str()).collect::<Vec<_>>(), ["true", "false"]);
        let api = schemas.values(DocKind::Item, &path(&["apiVersion"]), None);
        assert_eq!(api[0].value, "pao/v1");
    }

    #[test]
    fn the_action_type_decides_config_keys() {
        let schemas = Schemas::new();
        let text =
            "fulfillment:\n  manual:\n    actions:\n      - id: t\n        type: jira-ticket\n        config: {}\n";
        let root = pao_source::parse_yaml(text).root.unwrap();
        let at = path(&["fulfillment", "manual", "actions", "0", "config"]);
        let keys = schemas.keys(DocKind::Item, &at, Some(&root));
        assert!(names(&keys).contains(&"issueType"), "{:?}", names(&keys));
        assert!(!names(&keys).contains(&"method"));
        // Without the document, every type's keys.
        let all = schemas.keys(DocKind::Item, &at, None);
        assert!(names(&all).contains(&"issueType") && names(&all).contains(&"method"));
    }

    #[test]
    fn key_descriptions_prefer_the_property_text() {
        let schemas = Schemas::new();
        let description = schemas.key_description(DocKind::Item, &path(&["metadata"]), "id", None).unwrap();
        assert!(description.contains("file name"), "{description}");
        let description = schemas.key_description(DocKind::Item, &[], "metadata", None).unwrap();
        assert_eq!(description, "Identity, ownership and lifecycle of the item.");
    }
}
