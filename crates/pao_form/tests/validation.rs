//! The validation semantics of `docs/forms.md`, rule by rule, and hostile input.

use std::fmt::Write as _;
use std::time::Instant;

use pao_form::{
    FieldValidator, FormDescription, FormError, Rule, Validator, parse_document, parse_values, render_html, validate,
    validate_request,
};
use pao_schema::{CatalogDocument, Form};
use serde_json::{Map, Value, json};

/// A catalog item whose single group holds `fields` (YAML flow or block sequence items).
fn item(fields: &str) -> CatalogDocument {
    let yaml = format!(
        "apiVersion: pao/v1\nkind: CatalogItem\nmetadata:\n  id: test-item\n  name: Test\n  description: Test item\n  \
         version: 1.0.0\n  category: testing\n  owner: {{ team: platform, contact: p@acme.example }}\n  \
         lifecycle: {{ status: stable }}\npresentation:\n  form:\n    groups:\n      - id: main\n        name: Main\n        \
         fields:\n{fields}\nfulfillment: {{ strategy: manual, manual: {{ actions: [] }} }}\n"
    );
    parse_document(yaml.as_bytes()).unwrap_or_else(|err| panic!("{err}\n{yaml}"))
}

fn form(fields: &str) -> Form {
    match item(fields) {
        CatalogDocument::Item(item) => item.presentation.form,
        CatalogDocument::Bundle(_) => unreachable!("items only"),
    }
}

fn values(value: &Value) -> Map<String, Value> {
    value.as_object().expect("object").clone()
}

/// `field: message` lines, as `pao form validate` prints them.
fn lines(form: &Form, given: &Value) -> Vec<String> {
    validate(form, &values(given)).iter().map(ToString::to_string).collect()
}

#[test]
fn required_only_while_visible() {
    let form = form(
        "          - { id: enabled, name: Enabled, type: boolean, default: false }\n          \
         - { id: key, name: Key, type: string, required: true, conditional: { dependsOn: enabled, condition: equals, value: true } }",
    );
    assert!(lines(&form, &json!({})).is_empty());
    assert_eq!(lines(&form, &json!({ "enabled": true })), ["key: Key is required"]);
    assert_eq!(lines(&form, &json!({ "enabled": true, "key": "" })), ["key: Key is required"]);
    assert!(lines(&form, &json!({ "enabled": true, "key": "k" })).is_empty());
}

#[test]
fn values_of_hidden_fields_are_errors_but_empty_ones_are_not() {
    let form = form(
        "          - { id: enabled, name: Enabled, type: boolean, default: false }\n          \
         - { id: key, name: Key, type: string, conditional: { dependsOn: enabled, condition: equals, value: true } }\n          \
         - { id: tags, name: Tags, type: multiselect, options: [a, b], conditional: { dependsOn: enabled, condition: truthy } }",
    );
    assert_eq!(
        lines(&form, &json!({ "key": "k", "tags": ["a"] })),
        [
            "key: Key is hidden because Enabled is not true; remove this value",
            "tags: Tags is hidden because Enabled is not set; remove this value"
        ]
    );
    let outcome = validate_request(&form, &values(&json!({ "key": null, "tags": [] })));
    assert!(outcome.valid, "{:?}", outcome.errors);
    assert_eq!(outcome.hidden, ["key", "tags"]);
    assert_eq!(Value::Object(outcome.values), json!({ "enabled": false }), "hidden fields are never output");
}

#[test]
fn conditional_chains_and_every_condition() {
    let form = form(
        "          - { id: a, name: A, type: boolean }\n          \
         - { id: b, name: B, type: select, options: [x, y, z], conditional: { dependsOn: a, condition: truthy } }\n          \
         - { id: c, name: C, type: integer, conditional: { dependsOn: b, condition: in, value: [x, y] } }\n          \
         - { id: d, name: D, type: string, conditional: { dependsOn: c, condition: falsy } }\n          \
         - { id: e, name: E, type: string, conditional: { dependsOn: b, condition: notIn, value: [x] } }\n          \
         - { id: f, name: F, type: string, conditional: { dependsOn: b, condition: notEquals, value: z } }",
    );
    let hidden = |given: Value| validate_request(&form, &values(&given)).hidden;
    assert_eq!(hidden(json!({})), ["b", "c", "d", "e", "f"], "a hidden field hides what depends on it");
    assert_eq!(hidden(json!({ "a": true })), ["c", "d"], "notIn and notEquals hold for no value");
    assert_eq!(hidden(json!({ "a": true, "b": "x" })), ["e"]);
    assert_eq!(hidden(json!({ "a": true, "b": "x", "c": 0 })), ["e"], "0 is falsy");
    assert_eq!(hidden(json!({ "a": true, "b": "y", "c": 3 })), ["d"]);
    assert_eq!(hidden(json!({ "a": true, "b": "z" })), ["c", "d", "f"]);
    assert_eq!(
        lines(&form, &json!({ "a": true, "b": "z", "c": 1, "d": "x" })),
        [
            "c: C is hidden because B is not one of x, y; remove this value",
            "d: D is hidden because C is hidden; remove this value"
        ]
    );
}

#[test]
fn in_and_not_in_with_one_value_mean_a_list_of_one() {
    // docs/forms.md, "in and notIn with a single value": `value: x` is `value: [x]`.
    let form = form(
        "          - { id: b, name: B, type: select, options: [x, y] }\n          \
         - { id: one, name: One, type: string, conditional: { dependsOn: b, condition: in, value: x } }\n          \
         - { id: list, name: List, type: string, conditional: { dependsOn: b, condition: in, value: [x] } }\n          \
         - { id: not, name: Not, type: string, conditional: { dependsOn: b, condition: notIn, value: x } }",
    );
    let hidden = |given: Value| validate_request(&form, &values(&given)).hidden;
    assert_eq!(hidden(json!({ "b": "x" })), ["not"]);
    assert_eq!(hidden(json!({ "b": "y" })), ["one", "list"]);
    assert_eq!(
        lines(&form, &json!({ "b": "y", "one": "v" })),
        ["one: One is hidden because B is not one of x; remove this value"]
    );
}

#[test]
fn one_field_checked_alone_as_in_a_request() {
    let form = form(
        "          - { id: n, name: N, type: integer, validation: { min: 1, step: 4, message: \"Pick 1, 5, 9\" } }\n          \
         - { id: s, name: S, type: select, options: [\"15\", \"16\"] }\n          \
         - { id: m, name: M, type: multiselect, options: [a, b], validation: { minItems: 2 } }",
    );
    let fields: Vec<_> = form.fields().map(FieldValidator::new).collect();
    let [n, s, m] = fields.as_slice() else { unreachable!("three fields") };
    let error = n.check(&json!(6)).unwrap_err();
    assert_eq!((error.rule, error.message.as_str()), (Rule::Step, "Pick 1, 5, 9"));
    assert_eq!(n.check(&json!(5.0)).unwrap(), Some(json!(5)), "normalised as in Outcome::values");
    assert_eq!(s.check(&json!(16)).unwrap(), Some(json!("16")));
    assert_eq!(s.check(&json!(17)).unwrap_err().rule, Rule::Option);
    assert_eq!(m.check(&json!([])).unwrap(), None, "nothing chosen is no value: minItems does not apply");
    assert_eq!(m.check(&json!(["a"])).unwrap_err().rule, Rule::MinItems);
    assert_eq!(n.check(&Value::Null).unwrap(), None);
    // The verdict is the whole form's verdict on the same value.
    for (id, field) in [("n", n), ("s", s), ("m", m)] {
        for value in [json!(6), json!(9), json!("16"), json!(["a", "b"]), json!(["a", "a"]), json!(true)] {
            let whole = validate(&form, &values(&json!({ id: value.clone() })));
            assert_eq!(field.check(&value).err(), whole.into_iter().next(), "{id}: {value}");
        }
    }
}

#[test]
fn truthiness_follows_spec() {
    for (value, expected) in [
        (json!(null), false),
        (json!(false), false),
        (json!(0), false),
        (json!(0.0), false),
        (json!(""), false),
        (json!([]), false),
        (json!({}), false),
        (json!(true), true),
        (json!(-1), true),
        (json!("0"), true),
        (json!("false"), true),
        (json!([0]), true),
    ] {
        assert_eq!(pao_form::truthy(&value), expected, "{value}");
    }
}

#[test]
fn defaults_and_normalised_values() {
    let form = form(
        "          - { id: version, name: Version, type: select, options: [\"15\", \"16\"], default: \"16\" }\n          \
         - { id: size, name: Size, type: integer, default: 50 }\n          \
         - { id: ratio, name: Ratio, type: number }\n          \
         - { id: note, name: Note, type: string }\n          \
         - { id: ports, name: Ports, type: multiselect, options: [80, 443], default: [443] }",
    );
    let outcome = validate_request(&form, &values(&json!({ "version": 15, "size": 100.0, "ratio": 0.5, "note": "" })));
    assert!(outcome.valid, "{:?}", outcome.errors);
    assert_eq!(
        Value::Object(outcome.values),
        json!({ "version": "15", "size": 100, "ratio": 0.5, "ports": [443] }),
        "select values take the option's type, whole numbers become integers, empty text takes the default"
    );
    let outcome = validate_request(&form, &values(&json!({ "ports": [], "version": null })));
    assert_eq!(Value::Object(outcome.values), json!({ "version": "16", "size": 50, "ports": [] }), "[] is a choice");
    let outcome = validate_request(&form, &values(&json!({ "ports": ["443", 80] })));
    assert_eq!(outcome.values["ports"], json!([443, 80]));
}

/// Fuzz finding (`form` target): a default that is not one of the options was stored unchecked,
/// so the stored values were refused when validated again (as the orchestrator does on read).
#[test]
fn an_invalid_default_is_never_stored() {
    let form = form(
        "          - { id: mode, name: Mode, type: select, options: [ENABLED, DISABLED], default: DISnd_ABLED }\n          \
         - { id: size, name: Size, type: integer, default: 7, validation: { min: 10 } }",
    );
    let outcome = validate_request(&form, &values(&json!({})));
    assert!(!outcome.valid);
    assert!(outcome.values.is_empty(), "{:?}", outcome.values);
    assert_eq!(
        lines(&form, &json!({})),
        [
            "mode: Mode needs a value: its default \"DISnd_ABLED\" is not valid (Must be one of: ENABLED, DISABLED); \
             choose a value, and tell the item's owners to fix the default",
            "size: Size needs a value: its default 7 is not valid (Must be at least 10); choose a value, and tell the \
             item's owners to fix the default",
        ]
    );
    let given = values(&json!({ "mode": "ENABLED", "size": 12 }));
    let outcome = validate_request(&form, &given);
    assert!(outcome.valid, "{:?}", outcome.errors);
    assert_eq!(validate_request(&form, &outcome.values), outcome, "stored values validate again unchanged");
}

#[test]
fn item_messages_replace_constraint_messages_only() {
    let form = form(
        "          - { id: name, name: Name, type: string, required: true, validation: { pattern: \"^[a-z]+$\", maxLength: 5, message: Lowercase please } }\n          \
         - { id: plain, name: Plain, type: string, validation: { pattern: \"^[a-z]+$\", minLength: 2, maxLength: 3 } }",
    );
    assert_eq!(lines(&form, &json!({})), ["name: Name is required"]);
    assert_eq!(lines(&form, &json!({ "name": 5 })), ["name: Must be text, not a number"]);
    assert_eq!(lines(&form, &json!({ "name": "ABC" })), ["name: Lowercase please"]);
    assert_eq!(lines(&form, &json!({ "name": "abcdef" })), ["name: Lowercase please"]);
    assert_eq!(lines(&form, &json!({ "name": "a", "plain": "a" })), ["plain: Must be at least 2 characters"]);
    assert_eq!(lines(&form, &json!({ "name": "a", "plain": "abcd" })), ["plain: Must be at most 3 characters"]);
    assert_eq!(lines(&form, &json!({ "name": "a", "plain": "AB" })), ["plain: Must match the pattern ^[a-z]+$"]);
}

#[test]
fn numbers_steps_and_integers() {
    let form = form(
        "          - { id: gb, name: GB, type: integer, validation: { min: 20, max: 100, step: 10 } }\n          \
         - { id: ratio, name: Ratio, type: number, validation: { min: 0, max: 1, step: 0.1 } }\n          \
         - { id: odd, name: Odd, type: number, validation: { min: 1, step: 2 } }\n          \
         - { id: off, name: Off, type: number, validation: { min: 0.5, step: 1 } }",
    );
    assert!(lines(&form, &json!({ "gb": 30, "ratio": 0.30000000000000004, "odd": 7, "off": 2.5 })).is_empty());
    assert!(lines(&form, &json!({ "ratio": 0.7 })).is_empty(), "0.7 / 0.1 is 6.999999999999999");
    assert_eq!(
        lines(&form, &json!({ "gb": 35, "ratio": 0.25, "odd": 4, "off": 2 })),
        [
            "gb: Must be a multiple of 10",
            "ratio: Must be a multiple of 0.1",
            "odd: Must be 1 plus a multiple of 2",
            "off: Must be 0.5 plus a multiple of 1"
        ]
    );
    assert_eq!(
        lines(&form, &json!({ "gb": 10, "ratio": 1.5, "odd": "7", "off": true })),
        [
            "gb: Must be at least 20",
            "ratio: Must be at most 1",
            "odd: Must be a number, not text",
            "off: Must be a number, not a boolean"
        ]
    );
    assert_eq!(lines(&form, &json!({ "gb": 20.5 })), ["gb: Must be a whole number"]);
}

#[test]
fn options_items_and_duplicates() {
    let form = form(
        "          - { id: tier, name: Tier, type: select, options: [bronze, silver, { value: gold, label: Gold tier }] }\n          \
         - { id: zones, name: Zones, type: multiselect, options: [a, b, c], validation: { minItems: 1, maxItems: 2, message: Pick one or two zones } }",
    );
    assert_eq!(lines(&form, &json!({ "tier": "Gold tier" })), ["tier: Must be one of: bronze, silver, gold"]);
    assert_eq!(lines(&form, &json!({ "tier": ["gold"] })), ["tier: Must be one of: bronze, silver, gold"]);
    assert_eq!(lines(&form, &json!({ "zones": "a" })), ["zones: Must be a list of choices, not text"]);
    assert_eq!(lines(&form, &json!({ "zones": ["a", "d"] })), ["zones: `d` is not one of: a, b, c"]);
    assert_eq!(lines(&form, &json!({ "zones": ["a", "a"] })), ["zones: Lists `a` more than once"]);
    assert!(lines(&form, &json!({ "zones": [] })).is_empty(), "an optional field left empty is valid");
    assert_eq!(lines(&form, &json!({ "zones": ["a", "b", "c", "a"] })), ["zones: Lists `a` more than once"]);
    assert_eq!(lines(&form, &json!({ "zones": ["a", "b", "c"] })), ["zones: Pick one or two zones"]);
    let many: Vec<String> = (0..30).map(|i| format!("o{i}")).collect();
    let form = self::form(&format!("          - {{ id: big, name: Big, type: select, options: {many:?} }}"));
    assert_eq!(
        lines(&form, &json!({ "big": "nope" })),
        ["big: Must be one of: o0, o1, o2, o3, o4, o5, o6, o7, o8, o9, … (20 more)"]
    );
}

#[test]
fn an_empty_required_multiselect_is_missing() {
    let form = form(
        "          - { id: zones, name: Zones, type: multiselect, required: true, options: [a, b], default: [a], validation: { minItems: 2 } }",
    );
    assert_eq!(lines(&form, &json!({ "zones": [] })), ["zones: Zones is required"]);
    assert_eq!(lines(&form, &json!({ "zones": ["b"] })), ["zones: Choose at least 2"]);
    // The default is held to the field's rules too: one zone is fewer than minItems.
    assert_eq!(
        lines(&form, &json!({})),
        ["zones: Zones needs a value: its default [\"a\"] is not valid (Choose at least 2); choose a value, and tell \
          the item's owners to fix the default"]
    );
    let form = self::form(
        "          - { id: zones, name: Zones, type: multiselect, required: true, options: [a, b], default: [a, b], validation: { minItems: 2 } }",
    );
    assert_eq!(validate_request(&form, &values(&json!({}))).values["zones"], json!(["a", "b"]));
}

#[test]
fn dates() {
    let form = form(
        "          - { id: start, name: Start, type: date, validation: { min: \"2024-01-01\", max: \"2024-12-31\" } }",
    );
    assert!(lines(&form, &json!({ "start": "2024-02-29" })).is_empty(), "2024 is a leap year");
    for bad in ["2023-02-29", "2024-13-01", "2024-04-31", "2024-1-01", "24-01-01", "2024/01/01", "2024-01-01T00:00"] {
        let form = self::form("          - { id: start, name: Start, type: date }");
        assert_eq!(lines(&form, &json!({ "start": bad })), ["start: Must be a date in the form YYYY-MM-DD"], "{bad}");
    }
    assert_eq!(lines(&form, &json!({ "start": "2023-12-31" })), ["start: Must be on or after 2024-01-01"]);
    assert_eq!(lines(&form, &json!({ "start": "2025-01-01" })), ["start: Must be on or before 2024-12-31"]);
    assert!(pao_form::is_date("2000-02-29") && !pao_form::is_date("1900-02-29"));
}

#[test]
fn unknown_fields_are_rejected() {
    let form = form("          - { id: name, name: Name, type: string }");
    assert_eq!(
        lines(&form, &json!({ "nmae": "typo", "name": "x", "__proto__": 1 })),
        [
            "nmae: Unknown field: the form has no field `nmae`",
            "__proto__: Unknown field: the form has no field `__proto__`"
        ]
    );
}

#[test]
fn unsupported_patterns_fail_closed() {
    let form =
        form("          - { id: p, name: P, type: string, validation: { pattern: \"^(?=a)a$\", message: Nope } }");
    let validator = Validator::new(&form);
    assert_eq!(validator.pattern_errors().count(), 1);
    let outcome = validator.validate(&values(&json!({ "p": "a" })));
    assert_eq!(outcome.errors[0].rule, Rule::InvalidPattern);
    assert!(outcome.errors[0].message.starts_with("Cannot be checked: the catalog item's pattern is not supported"));
    assert!(validator.validate(&values(&json!({}))).valid, "an empty optional field is not checked");
}

#[test]
fn unicode_lengths_count_characters() {
    let form = form(
        "          - { id: n, name: 名前, type: string, required: true, validation: { minLength: 2, maxLength: 3 } }",
    );
    assert!(lines(&form, &json!({ "n": "日本語" })).is_empty());
    assert!(lines(&form, &json!({ "n": "🚀🚀🚀" })).is_empty(), "astral characters count once");
    assert!(lines(&form, &json!({ "n": "e\u{301}e" })).is_empty());
    assert_eq!(
        lines(&form, &json!({ "n": "e\u{301}e\u{301}" })),
        ["n: Must be at most 3 characters"],
        "characters are code points, as JavaScript's [...text].length counts them, not graphemes"
    );
    assert_eq!(lines(&form, &json!({ "n": "日本語です" })), ["n: Must be at most 3 characters"]);
    assert_eq!(lines(&form, &json!({})), ["n: 名前 is required"]);
}

#[test]
fn hundreds_of_fields() {
    let mut fields = String::new();
    for i in 0..600 {
        let _ = writeln!(
            fields,
            "          - {{ id: f{i}, name: \"Field {i} <b>\", type: integer, required: true, validation: {{ min: 0, max: {i} }}{} }}",
            if i > 0 {
                format!(", conditional: {{ dependsOn: f{}, condition: notEquals, value: -1 }}", i - 1)
            } else {
                String::new()
            }
        );
    }
    let document = item(fields.trim_end());
    let description = FormDescription::from_document(&document);
    assert_eq!(description.fields().count(), 600);
    let validator = Validator::from_description(&description);
    let given: Map<String, Value> = (0..600).map(|i| (format!("f{i}"), json!(i))).collect();
    let started = Instant::now();
    let outcome = validator.validate(&given);
    assert!(outcome.valid, "{:?}", &outcome.errors[..3.min(outcome.errors.len())]);
    let mut wrong = given.clone();
    wrong.insert("f599".to_owned(), json!(600));
    wrong.insert("f0".to_owned(), json!(-1));
    let outcome = validator.validate(&wrong);
    assert_eq!(outcome.errors.len(), 600, "f0 is invalid and its value hides f1, which hides the whole chain");
    assert!(started.elapsed().as_secs() < 5, "validation is fast: {:?}", started.elapsed());
    let html = render_html(&description, None);
    assert_eq!(html.matches("<script").count(), 2, "only the page's own scripts");
    assert_eq!(html.matches("class=\"field conditional\"").count(), 599);
    assert!(!html.contains("<b>"));
}

#[test]
fn validator_is_shareable() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Validator>();
    assert_send_sync::<FormDescription>();
}

#[test]
fn values_files() {
    assert_eq!(parse_values(b"").expect("empty"), Map::new());
    assert_eq!(parse_values(b"# nothing\n").expect("comment only"), Map::new());
    assert_eq!(Value::Object(parse_values(b"{\"a\": 1}").expect("json")), json!({ "a": 1 }));
    assert_eq!(
        Value::Object(parse_values("a: ünï\nb: [1, 2]\n".as_bytes()).expect("yaml")),
        json!({ "a": "ünï", "b": [1, 2] })
    );
    assert!(matches!(parse_values(b"- a\n"), Err(FormError::ValuesNotMapping("a list"))));
    assert!(matches!(parse_values(b"42"), Err(FormError::ValuesNotMapping(_))));
    let err = parse_values(b"a: 1\nb: [unclosed\n").expect_err("bad yaml");
    assert!(matches!(err, FormError::Yaml { .. }), "{err}");
    assert!(err.to_string().starts_with("line "), "{err}");
    assert!(matches!(parse_values(b"a: \0"), Err(FormError::Decode(_))));
    let err = parse_values(b"a: 1\nb: 2\na: 3\n").expect_err("duplicate key");
    assert!(err.to_string().starts_with("line 3, column 1:"), "{err}");
    assert!(matches!(parse_document(b"kind: Nope\n"), Err(FormError::Schema(_))));
}

/// A field id used twice (PAO307) names the first such field. A fuzz run found a form whose
/// second `replicas` was hidden (its controlling field does not exist) while the first stored a
/// value: the outcome said both "hidden" and "stored" of one id.
#[test]
fn a_field_id_used_twice_names_the_first_field() {
    let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/duplicate-ids.yaml")).unwrap();
    let document = parse_document(&bytes).expect("catalog document");
    let description = FormDescription::from_document(&document);
    let CatalogDocument::Item(item) = &document else { unreachable!("an item") };
    let form = &item.presentation.form;

    let outcome = validate_request(form, &values(&json!({})));
    assert!(outcome.valid, "{:?}", outcome.errors);
    assert!(outcome.hidden.is_empty(), "the later `replicas` is ignored, not hidden: {:?}", outcome.hidden);
    assert_eq!(outcome.values.get("replicas"), Some(&json!(2)), "the first field's default");
    // The first field's range (max 50), not the second's (max 200).
    assert_eq!(lines(form, &json!({ "replicas": 60 })), ["replicas: Must be at most 50"]);
    assert_eq!(Validator::from_description(&description).validate(&values(&json!({ "replicas": 60 }))).errors.len(), 1);

    let page = render_html(&description, None);
    assert_eq!(page.matches("id=\"field-replicas\"").count(), 1, "one element per id: the first field");
    assert!(
        page.contains("Minimum Replicas</label>") && !page.contains("Maximum Replicas</label>"),
        "only the first is rendered"
    );
    // A password under an id used twice is masked although the first field is plain text.
    let masked = description.mask_passwords(&values(&json!({ "token": "s3cret" })));
    assert_eq!(masked["token"], "***");
}
