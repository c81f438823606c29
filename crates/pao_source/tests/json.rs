//! The node tree as a `jsonschema` instance: the representation keeps the validator's contract,
//! and validating a tree gives the errors validating its `to_json` value gives.
#![cfg(feature = "jsonschema")]

use jsonschema::Validator;
use jsonschema::json::{Json, Node as _, SerdeJson, cmp, conformance};
use jsonschema::types::JsonType;
use pao_source::json::NodeJson;
use pao_source::{Node, parse_yaml};
use serde_json::{Value, json};

fn root(yaml: &str) -> Node {
    let parsed = parse_yaml(yaml);
    assert!(parsed.errors.is_empty(), "{yaml}: {:?}", parsed.errors);
    parsed.root.expect("a document")
}

#[test]
fn keeps_the_validators_contract() {
    // JSON text is YAML too.
    let node = root(&conformance::document().to_string());
    assert_eq!(node.to_json(), conformance::document());
    conformance::assert_conformance::<NodeJson>(&&node);
}

#[test]
fn non_finite_floats_are_text() {
    let node = root("[.inf, -.inf, .nan, 1.5, 2]");
    let items = node.items();
    for (item, text) in items.iter().zip(["inf", "-inf", "NaN"]) {
        assert_eq!(item.json_type(), JsonType::String);
        assert_eq!(item.as_string().as_deref(), Some(text));
        assert_eq!(item.string_length(), Some(text.len() as u64));
        assert!(!item.is_number() && item.as_number().is_none());
        assert!(item.equals_value(&json!(text)));
        assert_eq!(item.to_value().into_owned(), json!(text));
    }
    assert_eq!((&items[3]).as_number().and_then(|n| n.as_f64()), Some(1.5));
    assert!((&items[4]).is_number());
}

#[test]
fn equality_is_json_schema_equality_with_to_json() {
    let node = root("[1, 1.0, -2, 0.5, .inf, text, '', true, ~, [1, a], {a: 1, b: [2]}, {}, []]");
    let expected = [
        json!(1),
        json!(1.0),
        json!(-2),
        json!(-2.0),
        json!(0.5),
        json!("inf"),
        json!("text"),
        json!(""),
        json!(true),
        json!(false),
        json!(null),
        json!([1, "a"]),
        json!([1.0, "a"]),
        json!([1]),
        json!({"b": [2], "a": 1}),
        json!({"a": 1}),
        json!({"a": 1, "b": [2], "c": 3}),
        json!({}),
        json!([]),
        json!("1"),
    ];
    for item in node.items() {
        for value in &expected {
            assert_eq!(item.equals_value(value), cmp::equal(&item.to_json(), value), "{:?} = {value}", item.value);
        }
    }
}

/// Every error of `instance`, as (instance path, schema path, message).
fn errors<'i, F: Json>(validator: &'i Validator<F>, instance: F::Node<'i>) -> Vec<(String, String, String)> {
    validator
        .iter_errors(instance)
        .map(|e| (e.instance_path().as_str().to_owned(), e.schema_path().as_str().to_owned(), e.to_string()))
        .collect()
}

fn validator<F: Json>(schema: &Value) -> Validator<F> {
    jsonschema::options_for::<F>().should_validate_formats(true).build(schema).expect("a schema")
}

#[test]
fn validation_errors_match_to_json() {
    let schema = json!({
        "type": "object",
        "required": ["name", "size", "kind"],
        "additionalProperties": false,
        "propertyNames": {"pattern": "^[a-z]+$"},
        "properties": {
            "name": {"type": "string", "minLength": 2, "maxLength": 4, "pattern": "^[a-z]+$"},
            "size": {"type": "integer", "minimum": 1, "maximum": 10, "multipleOf": 2},
            "ratio": {"type": "number", "exclusiveMaximum": 1},
            "kind": {"enum": ["a", "b", 3]},
            "fixed": {"const": {"x": [1, 2]}},
            "tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": true, "minItems": 1},
            "date": {"type": "string", "format": "date"},
            "flag": {"anyOf": [{"type": "boolean"}, {"type": "null"}]},
            "one": {"oneOf": [{"type": "string"}, {"type": "string", "minLength": 2}]},
            "tree": {"$ref": "#/$defs/tree"},
            "typed": {
                "type": "object",
                "if": {"properties": {"type": {"const": "n"}}, "required": ["type"]},
                "then": {"properties": {"v": {"type": "number"}}},
                "else": {"properties": {"v": {"type": "string"}}}
            }
        },
        "$defs": {
            "tree": {"type": "object", "properties": {"children": {"type": "array", "items": {"$ref": "#/$defs/tree"}}},
                     "additionalProperties": false}
        }
    });
    let documents = [
        "name: ab\nsize: 2\nkind: a\n",
        "name: ab\nsize: 4\nkind: 3\nratio: 0.5\nfixed: {x: [1, 2.0]}\ntags: [a, b]\ndate: 2026-01-31\nflag: ~\n",
        "{}",
        "[]",
        ".inf",
        "name: héllo\nsize: 3\nkind: c\n",
        "name: 12\nsize: 1.5\nkind: [a]\nratio: .inf\n",
        "name: a\nsize: 11\nkind: 3.0\nfixed: {x: [2, 1]}\ntags: [a, a, 3]\ndate: 2026-02-30\nflag: 'yes'\n",
        "name: AB\nsize: 0\nkind: b\nExtra: 1\nother: 2\n",
        "name: ab\nsize: 2\nkind: a\none: abc\ntree: {children: [{}, {children: [{x: 1}]}]}\n",
        "name: ab\nsize: 2\nkind: a\ntyped: {type: n, v: x}\n",
        "name: ab\nsize: 2\nkind: a\ntyped: {type: n, v: .nan}\n",
        "name: ab\nsize: 2\nkind: a\ntags: []\n",
    ];
    let (by_node, by_json) = (validator::<NodeJson>(&schema), validator::<SerdeJson>(&schema));
    let mut invalid = 0;
    for yaml in documents {
        let node = root(yaml);
        let json = node.to_json();
        let via_node = errors(&by_node, &node);
        let via_json = errors(&by_json, &json);
        invalid += usize::from(!via_json.is_empty());
        assert_eq!(via_node, via_json, "{yaml}");
    }
    assert_eq!(invalid, documents.len() - 2, "all but the first two documents are invalid");
}
