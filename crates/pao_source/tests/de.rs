//! `&Node` as a serde deserializer: every case is read both from the tree and, as before, through
//! `serde_json::from_value(node.to_json())`, and the two must agree, errors word for word.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Debug;

use pao_source::{Node, parse_yaml};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::json;

fn root(yaml: &str) -> Node {
    let parsed = parse_yaml(yaml);
    assert!(parsed.errors.is_empty(), "{yaml}: {:?}", parsed.errors);
    parsed.root.expect("a document")
}

/// Reads `T` from `yaml` both ways; returns the result once they agree.
fn read<T: DeserializeOwned + PartialEq + Debug>(yaml: &str) -> Result<T, String> {
    let node = root(yaml);
    let direct = T::deserialize(&node).map_err(|e| e.to_string());
    let via_json = serde_json::from_value::<T>(node.to_json()).map_err(|e| e.to_string());
    assert_eq!(direct, via_json, "{yaml}");
    direct
}

fn ok<T: DeserializeOwned + PartialEq + Debug>(yaml: &str) -> T {
    read(yaml).unwrap_or_else(|e| panic!("{yaml}: {e}"))
}

fn err<T: DeserializeOwned + PartialEq + Debug>(yaml: &str) -> String {
    read::<T>(yaml).expect_err(yaml)
}

#[test]
fn every_value_kind_reads_as_its_json() {
    let value: serde_json::Value =
        ok("n: ~\nb: true\ni: 12\nneg: -3\nf: 1.5\nwhole: 2.0\ns: text\nq: '12'\nseq: [1, a]\nmap: {k: v}\n");
    assert_eq!(
        value,
        json!({"n": null, "b": true, "i": 12, "neg": -3, "f": 1.5, "whole": 2.0, "s": "text", "q": "12",
               "seq": [1, "a"], "map": {"k": "v"}})
    );
    assert_eq!(ok::<Option<bool>>("~"), None);
    assert_eq!(ok::<Option<bool>>("false"), Some(false));
    assert_eq!(ok::<()>("null"), ());
    assert!(ok::<bool>("true"));
    assert_eq!(ok::<i64>("-9223372036854775808"), i64::MIN);
    assert_eq!(ok::<u64>("9223372036854775807"), 9_223_372_036_854_775_807);
    assert_eq!(ok::<u64>("18446744073709551615"), u64::MAX);
    assert_eq!(ok::<u64>("0xFFFFFFFFFFFFFFFF"), u64::MAX);
    assert_eq!(ok::<i128>("-5"), -5);
    assert_eq!(ok::<u8>("255"), 255);
    assert_eq!(ok::<f64>("7"), 7.0);
    assert_eq!(ok::<f32>("0.5"), 0.5);
    assert_eq!(ok::<f64>("1e3"), 1000.0);
    assert_eq!(ok::<String>("'yes'"), "yes");
    assert_eq!(ok::<char>("x"), 'x');
}

/// Fuzz finding (`request` target): an integer above `i64::MAX` read back as a float, so a request
/// value JSON holds exactly (`u64`) changed when its file was read from Git.
#[test]
fn integers_up_to_u64_max_stay_integers() {
    let value: serde_json::Value =
        ok("big: 18446744073709551615\nabove: 18446744073709551616\nmin: -9223372036854775808\n");
    assert_eq!(value["big"], json!(u64::MAX));
    assert!(value["big"].is_u64());
    // Past u64, JSON readers keep a float too (serde_json without arbitrary precision).
    assert!(value["above"].is_f64());
    assert_eq!(value["min"], json!(i64::MIN));
    let root = pao_source::parse_yaml("n: !!int 18446744073709551615\nf: !!float 18446744073709551615\n");
    assert!(root.errors.is_empty(), "{:?}", root.errors);
    let json = root.root.expect("a tree").to_json();
    assert_eq!(json["n"], json!(u64::MAX));
    assert!(json["f"].is_f64());
}

#[test]
fn type_errors_read_as_serde_json_words_them() {
    assert_eq!(err::<u8>("300"), "invalid value: integer `300`, expected u8");
    assert_eq!(err::<u32>("-1"), "invalid value: integer `-1`, expected u32");
    assert_eq!(err::<u32>("1.5"), "invalid type: floating point `1.5`, expected u32");
    assert_eq!(err::<String>("12"), "invalid type: integer `12`, expected a string");
    assert_eq!(err::<String>("2.0"), "invalid type: floating point `2.0`, expected a string");
    assert_eq!(err::<bool>("yes"), "invalid type: string \"yes\", expected a boolean");
    assert_eq!(err::<i64>("~"), "invalid type: null, expected i64");
    assert_eq!(err::<()>("[]"), "invalid type: sequence, expected unit");
    assert_eq!(err::<Vec<u8>>("{a: 1}"), "invalid type: map, expected a sequence");
    assert_eq!(err::<BTreeMap<String, u8>>("[1]"), "invalid type: sequence, expected a map");
    assert_eq!(err::<char>("ab"), "invalid value: string \"ab\", expected a character");
}

#[test]
fn non_finite_floats_are_text() {
    let value: serde_json::Value = ok("[.inf, -.inf, .nan, .NaN]");
    assert_eq!(value, json!(["inf", "-inf", "NaN", "NaN"]));
    assert_eq!(ok::<String>(".inf"), "inf");
    assert_eq!(err::<f64>(".inf"), "invalid type: string \"inf\", expected f64");
    assert_eq!(err::<Option<u32>>("-.inf"), "invalid type: string \"-inf\", expected u32");
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Outer {
    name: String,
    #[serde(default)]
    max_count: Option<u32>,
    inner: Vec<Inner>,
    #[serde(default)]
    by_name: BTreeMap<String, Vec<i64>>,
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Inner {
    id: String,
    #[serde(default)]
    tags: Vec<String>,
}

#[test]
fn nested_mappings_and_sequences() {
    let outer: Outer =
        ok("name: a\nmaxCount: 3\ninner:\n  - id: x\n    tags: [p, q]\n  - id: y\nbyName: {k: [1, -2]}\n");
    assert_eq!(outer.max_count, Some(3));
    assert_eq!(outer.inner[0].tags, ["p", "q"]);
    assert_eq!(outer.inner[1], Inner { id: "y".into(), tags: vec![] });
    assert_eq!(outer.by_name["k"], [1, -2]);
    // A struct may be written as the sequence of its fields, as serde_json allows.
    assert_eq!(ok::<Inner>("[x, [t]]"), Inner { id: "x".into(), tags: vec!["t".into()] });
    assert_eq!(ok::<(u8, String)>("[1, a]"), (1, "a".into()));
}

#[test]
fn unknown_and_missing_fields() {
    assert_eq!(
        err::<Outer>("name: a\ninner: []\nmaxcount: 3\n"),
        "unknown field `maxcount`, expected one of `name`, `maxCount`, `inner`, `byName`"
    );
    assert_eq!(err::<Outer>("name: a\n"), "missing field `inner`");
    assert_eq!(err::<Outer>("name: a\ninner: [{id: x, tag: [1]}]\n"), "unknown field `tag`, expected `id` or `tags`");
    assert_eq!(err::<Outer>("name: a\ninner: [{id: 5}]\n"), "invalid type: integer `5`, expected a string");
    assert_eq!(err::<Inner>("[x, [], extra]"), "invalid length 3, expected fewer elements in array");
    assert_eq!(err::<(u8, u8)>("[1, 2, 3]"), "invalid length 3, expected fewer elements in array");
    assert_eq!(err::<(u8, u8)>("[1]"), "invalid length 1, expected a tuple of size 2");
}

#[test]
fn keys_read_as_numbers_or_booleans_when_asked() {
    let numbers: HashMap<u32, String> = ok("1: a\n20: b\n");
    assert_eq!(numbers[&20], "b");
    assert_eq!(ok::<BTreeMap<i64, u8>>("-4: 1"), BTreeMap::from([(-4, 1)]));
    assert_eq!(ok::<BTreeMap<u128, u8>>("18446744073709551616: 1"), BTreeMap::from([(1 << 64, 1)]));
    assert_eq!(ok::<BTreeMap<bool, u8>>("true: 1\nfalse: 0\n"), BTreeMap::from([(true, 1), (false, 0)]));
    for bad in ["x: a", "'1x': a", "'1 ': a", "' 1': a", "'': a", "'1 2': a"] {
        assert_eq!(err::<HashMap<u32, String>>(bad), "invalid value: expected key to be a number in quotes", "{bad}");
    }
    assert!(err::<HashMap<u8, String>>("300: a").starts_with("invalid value: integer `300`, expected u8"));
    assert_eq!(err::<BTreeMap<bool, u8>>("yes: 1"), "invalid type: string \"yes\", expected a boolean");
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum Shape {
    Unit,
    JiraTicket,
    Newtype(u8),
    Tuple(u8, String),
    Struct { a: u8 },
}

#[test]
fn enums() {
    assert_eq!(ok::<Shape>("jira-ticket"), Shape::JiraTicket);
    assert_eq!(ok::<Shape>("{unit: null}"), Shape::Unit);
    assert_eq!(ok::<Shape>("{newtype: 5}"), Shape::Newtype(5));
    assert_eq!(ok::<Shape>("{tuple: [1, a]}"), Shape::Tuple(1, "a".into()));
    assert_eq!(ok::<Shape>("{struct: {a: 2}}"), Shape::Struct { a: 2 });
    assert_eq!(
        err::<Shape>("jira"),
        "unknown variant `jira`, expected one of `unit`, `jira-ticket`, `newtype`, `tuple`, `struct`"
    );
    assert_eq!(err::<Shape>("3"), "invalid type: integer `3`, expected string or map");
    assert_eq!(err::<Shape>("{unit: ~, newtype: 1}"), "invalid value: map, expected map with a single key");
    assert_eq!(err::<Shape>("{}"), "invalid value: map, expected map with a single key");
    assert_eq!(err::<Shape>("{unit: 1}"), "invalid type: integer `1`, expected unit");
    assert_eq!(err::<Shape>("newtype"), "invalid type: unit variant, expected newtype variant");
    assert_eq!(err::<Shape>("tuple"), "invalid type: unit variant, expected tuple variant");
    assert_eq!(err::<Shape>("{tuple: 1}"), "invalid type: integer `1`, expected tuple variant");
    assert_eq!(err::<Shape>("{struct: [1, 2]}"), "invalid type: sequence, expected struct variant");
    assert_eq!(err::<Shape>("{struct: {b: 2}}"), "missing field `a`");
    // Enums as mapping keys.
    assert_eq!(ok::<BTreeMap<Condition, u8>>("in: 1").len(), 1);
    assert!(err::<BTreeMap<Condition, u8>>("out: 1").starts_with("unknown variant `out`"));
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "camelCase")]
enum Condition {
    In,
    NotIn,
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
enum Tagged {
    Text { value: String },
    Count { value: u32 },
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(untagged)]
enum Loose {
    Number(i64),
    Text(String),
    Pair { value: String, label: String },
}

#[derive(Debug, PartialEq, Deserialize)]
struct Flattened {
    id: String,
    #[serde(flatten)]
    rest: BTreeMap<String, serde_json::Value>,
}

#[test]
fn buffered_shapes() {
    assert_eq!(ok::<Tagged>("{type: count, value: 3}"), Tagged::Count { value: 3 });
    assert_eq!(err::<Tagged>("{type: count, value: x}"), "invalid type: string \"x\", expected u32");
    assert_eq!(err::<Tagged>("{value: 3}"), "missing field `type`");
    assert_eq!(ok::<Vec<Loose>>("[1, a, {value: v, label: l}]").len(), 3);
    assert_eq!(err::<Loose>("[1]"), "data did not match any variant of untagged enum Loose");
    let flat: Flattened = ok("id: a\nx: 1\ny: [.inf]\n");
    assert_eq!(flat.rest["y"], json!(["inf"]));
}

#[test]
fn from_node_reads_a_document() {
    let node = root("id: pg\ntags: [db]\n");
    let inner: Inner = pao_source::de::from_node(&node).unwrap();
    assert_eq!(inner.tags, ["db"]);
}
