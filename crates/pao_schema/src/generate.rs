//! Generates `schema/catalog-item.json`, `schema/catalog-bundle.json` and
//! `schema/common-types.json` from the types.
//!
//! Every named type goes to `common-types.json` under `$defs`; the two document schemas hold only
//! their root object and point into it with `common-types.json#/$defs/<Type>`. The files carry no
//! absolute `$id`, so relative references resolve next to wherever the files are read from (a
//! checkout, an editor's `$schema` comment, or the linter's in-memory registry).

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

    vec![
        SchemaFile { name: "catalog-item.json", schema: document_schema(item) },
        SchemaFile { name: "catalog-bundle.json", schema: document_schema(bundle) },
        SchemaFile { name: COMMON_TYPES, schema: Value::Object(common) },
    ]
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
