//! Generates `schema/catalog-item.json`, `schema/catalog-bundle.json` and
//! `schema/common-types.json` from the types.
//!
//! Every named type goes to `common-types.json` under `$defs`; the two document schemas hold only
//! their root object and point into it with `common-types.json#/$defs/<Type>`. The files carry no
//! absolute `$id`, so relative references resolve next to wherever the files are read from (a
//! checkout, an editor's `$schema` comment, or the linter's in-memory registry).
//!
//! Two rewrites make the files work well in editors (yaml-language-server, VS Code):
//! descriptions lose the hard line breaks of the doc comments they come from (a single `\n`
//! becomes a space; a blank line stays a paragraph break), and an enum whose values are
//! documented (schemars: `oneOf` of `{ type, const, description }`) becomes `enum` with
//! `markdownEnumDescriptions`/`enumDescriptions`. With `oneOf`, the editor's hover on a key showed
//! the description of the value's branch instead of the key's own; with `enum` it shows the key's
//! description followed by the value's.

use schemars::Schema;
use schemars::generate::SchemaSettings;
use serde_json::{Map, Value};

use crate::{CatalogBundle, CatalogItem};

/// The file every shared definition lives in.
pub const COMMON_TYPES: &str = "common-types.json";

/// One generated schema file.
#[derive(Debug, Clone, PartialEq)]
pub struct SchemaFile {
    /// File name under `schema/`, e.g. `catalog-item.json`.
    pub name: &'static str,
    /// The schema.
    pub schema: Value,
}

impl SchemaFile {
    /// The file's contents: pretty JSON with a final newline.
    pub fn contents(&self) -> String {
        let mut text = serde_json::to_string_pretty(&self.schema).expect("a JSON value always serialises");
        text.push('\n');
        text
    }
}

/// Generates the three schema files, in a fixed order: item, bundle, common types.
pub fn generate_schemas() -> Vec<SchemaFile> {
    let mut generator = SchemaSettings::draft2020_12().into_generator();
    let item = generator.root_schema_for::<CatalogItem>();
    let bundle = generator.root_schema_for::<CatalogBundle>();
    let mut definitions: Vec<(String, Value)> = generator.take_definitions(true).into_iter().collect();
    definitions.sort_by(|a, b| a.0.cmp(&b.0));

    let mut common = Map::new();
    common.insert("$schema".into(), "https://json-schema.org/draft/2020-12/schema".into());
    common.insert("title".into(), "PAO common types".into());
    common.insert("description".into(), "Definitions shared by catalog-item.json and catalog-bundle.json.".into());
    common.insert("$defs".into(), Value::Object(definitions.into_iter().collect()));

    let mut files = vec![
        SchemaFile { name: "catalog-item.json", schema: document_schema(item) },
        SchemaFile { name: "catalog-bundle.json", schema: document_schema(bundle) },
        SchemaFile { name: COMMON_TYPES, schema: Value::Object(common) },
    ];
    for file in &mut files {
        for_editors(&mut file.schema);
    }
    files
}

/// A description as one paragraph per blank-line-separated block: the line breaks of a wrapped
/// doc comment removed.
fn unwrap_lines(text: &str) -> String {
    text.split("\n\n")
        .map(|paragraph| paragraph.split('\n').map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" "))
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// `oneOf: [{ type: string, const, description }, ...]` as `enum` with the values' descriptions.
fn documented_enum(map: &Map<String, Value>) -> Option<(Vec<Value>, Vec<Value>)> {
    let branches = map.get("oneOf")?.as_array()?;
    let mut values = Vec::new();
    let mut descriptions = Vec::new();
    for branch in branches {
        let branch = branch.as_object()?;
        if branch.get("type").and_then(Value::as_str) != Some("string")
            || branch.keys().any(|k| !matches!(k.as_str(), "type" | "const" | "description"))
        {
            return None;
        }
        values.push(branch.get("const")?.clone());
        descriptions.push(Value::String(unwrap_lines(branch.get("description").and_then(Value::as_str).unwrap_or(""))));
    }
    (!values.is_empty()).then_some((values, descriptions))
}

/// The editor rewrites described in the module documentation, applied everywhere in a schema.
fn for_editors(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if let Some((values, descriptions)) = documented_enum(map) {
                map.remove("oneOf");
                map.insert("type".into(), "string".into());
                map.insert("enum".into(), Value::Array(values));
                map.insert("markdownEnumDescriptions".into(), Value::Array(descriptions.clone()));
                map.insert("enumDescriptions".into(), Value::Array(descriptions));
            }
            for (key, child) in map.iter_mut() {
                match child {
                    Value::String(text) if key == "description" => *text = unwrap_lines(text),
                    _ => for_editors(child),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(for_editors),
        _ => {}
    }
}

/// A document schema without its `$defs`, its local references pointed at `common-types.json`.
fn document_schema(schema: Schema) -> Value {
    let mut map = match schema.to_value() {
        Value::Object(map) => map,
        other => return other,
    };
    map.remove("$defs");
    // `$schema` and `title` first, so the file reads well.
    let mut ordered = Map::new();
    for key in ["$schema", "title", "description"] {
        if let Some(value) = map.remove(key) {
            ordered.insert(key.to_owned(), value);
        }
    }
    ordered.extend(map);
    let mut value = Value::Object(ordered);
    point_refs_at_common(&mut value);
    value
}

fn point_refs_at_common(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                match child {
                    Value::String(target) if key == "$ref" && target.starts_with("#/$defs/") => {
                        *target = format!("{COMMON_TYPES}{target}");
                    }
                    _ => point_refs_at_common(child),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(point_refs_at_common),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_have_no_hard_line_breaks_and_enums_are_plain() {
        fn walk(value: &Value, path: &str, problems: &mut Vec<String>) {
            match value {
                Value::Object(map) => {
                    if let Some(Value::String(text)) = map.get("description") {
                        if text.replace("\n\n", "").contains('\n') {
                            problems.push(format!("{path}: a line break in {text:?}"));
                        }
                    }
                    if map
                        .get("oneOf")
                        .and_then(Value::as_array)
                        .is_some_and(|b| b.iter().all(|b| b.get("const").is_some()))
                    {
                        problems.push(format!("{path}: an enum as oneOf of consts"));
                    }
                    if let (Some(Value::Array(values)), Some(Value::Array(docs))) =
                        (map.get("enum"), map.get("markdownEnumDescriptions"))
                    {
                        if values.len() != docs.len() {
                            problems.push(format!("{path}: {} values, {} descriptions", values.len(), docs.len()));
                        }
                    }
                    for (key, child) in map {
                        walk(child, &format!("{path}/{key}"), problems);
                    }
                }
                Value::Array(items) => {
                    for (i, child) in items.iter().enumerate() {
                        walk(child, &format!("{path}/{i}"), problems);
                    }
                }
                _ => {}
            }
        }
        let mut problems = Vec::new();
        for file in generate_schemas() {
            walk(&file.schema, file.name, &mut problems);
        }
        assert!(problems.is_empty(), "{problems:#?}");
        let common = &generate_schemas()[2].schema;
        let strategy = &common["$defs"]["Strategy"];
        assert_eq!(strategy["enum"], serde_json::json!(["failover", "manual", "automated"]));
        assert_eq!(
            strategy["markdownEnumDescriptions"][0],
            "Run the automated actions; on failure, fall back to the manual ones."
        );
    }

    #[test]
    fn unwrap_lines_keeps_paragraphs() {
        assert_eq!(unwrap_lines("one\ntwo\n\nthree\n four"), "one two\n\nthree four");
        assert_eq!(unwrap_lines("single"), "single");
    }

    #[test]
    fn document_schemas_reference_common_types_only() {
        let files = generate_schemas();
        let item = files[0].contents();
        assert!(!item.contains("\"#/$defs/"), "item schema keeps a local reference");
        assert!(item.contains("common-types.json#/$defs/Metadata"));
        let common = &files[2].schema["$defs"];
        for name in ["Metadata", "Field", "Action", "RestApiConfig", "BundleComponent"] {
            assert!(common.get(name).is_some(), "{name} missing from common types");
        }
    }

    #[test]
    fn every_property_has_a_description() {
        fn walk(value: &Value, path: &str, missing: &mut Vec<String>) {
            if let Some(props) = value.get("properties").and_then(Value::as_object) {
                for (name, prop) in props {
                    let has_doc = prop.get("description").is_some()
                        || prop.get("$ref").is_some() && prop.as_object().is_some_and(|o| o.len() > 1);
                    if !has_doc {
                        missing.push(format!("{path}/{name}"));
                    }
                }
            }
            match value {
                // `if` subschemas only select a branch; editors never show them.
                Value::Object(map) => {
                    map.iter().filter(|(k, _)| *k != "if").for_each(|(k, v)| walk(v, &format!("{path}/{k}"), missing));
                }
                Value::Array(items) => items.iter().for_each(|v| walk(v, path, missing)),
                _ => {}
            }
        }
        let mut missing = Vec::new();
        for file in generate_schemas() {
            walk(&file.schema, file.name, &mut missing);
        }
        assert!(missing.is_empty(), "properties without description: {missing:#?}");
    }
}
