//! Lint and request validation agree on values: a differential test over generated forms.
//!
//! Each generated item has a field `a` of a random type with random options, random validation
//! keys (every key, applicable or not, valid or not) and a random default, and a field `b` whose
//! conditional depends on `a` with a random condition and value. The verdicts compared:
//!
//! - pao-lint flags `a`'s default (PAO503/PAO504/PAO510) exactly when `pao_form`'s `Validator`
//!   rejects the same value submitted for `a`, with the code matching the validator's rule;
//! - pao-lint flags `b`'s conditional value (PAO509) exactly when a value it compares with is one
//!   `a` can never hold: refused by the validator, or stored as something else.
//!
//! `PAO_FORM_VALUES_CASES` sets how many items are generated (default 3000).

use pao_config::Config;
use pao_form::{Rule, Validator, same_value};
use pao_lint::{Linter, SourceInput};
use pao_schema::CatalogDocument;
use serde_json::{Map, Value, json};

/// SplitMix64: small, deterministic, good enough to pick from lists.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).unwrap()
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())].clone()
    }
}

const TYPES: &[&str] =
    &["string", "textarea", "password", "number", "integer", "boolean", "select", "multiselect", "date"];

fn values() -> Vec<Value> {
    vec![
        Value::Null,
        json!(""),
        json!("a"),
        json!("abc"),
        json!("hello world"),
        json!("x"),
        json!("y"),
        json!("15"),
        json!("16"),
        json!("2026-01-31"),
        json!("2024-02-29"),
        json!("2023-02-29"),
        json!("2026-13-01"),
        json!("2025-06-15"),
        json!(0),
        json!(1),
        json!(5),
        json!(6),
        json!(9),
        json!(16),
        json!(2.5),
        json!(0.7),
        json!(6.0),
        json!(-3),
        json!(1000),
        json!(true),
        json!(false),
        json!([]),
        json!(["x"]),
        json!(["x", "y"]),
        json!(["x", "x"]),
        json!(["y", "z", "x"]),
        json!([1]),
        json!([16]),
        json!(["16"]),
        json!([["x"]]),
        json!([["x"], ["x", "y"]]),
        json!({ "k": 1 }),
    ]
}

fn options(rng: &mut Rng) -> Value {
    rng.pick(&[
        json!(["x", "y", "z"]),
        json!(["15", "16"]),
        json!([1, 2, 16]),
        json!([true, false]),
        json!(["1", 1]),
        json!([{ "value": "x", "label": "Ex" }, { "value": 16, "label": "Sixteen" }]),
        json!([]),
    ])
}

fn validation(rng: &mut Rng) -> Value {
    let mut v = Map::new();
    let mut maybe = |rng: &mut Rng, key: &str, pool: &[Value]| {
        if rng.chance(30) {
            v.insert(key.to_owned(), rng.pick(pool));
        }
    };
    let counts = [json!(0), json!(1), json!(2), json!(3), json!(5)];
    maybe(rng, "minLength", &counts);
    maybe(rng, "maxLength", &counts);
    maybe(
        rng,
        "pattern",
        &[json!("^[a-z]+$"), json!("[0-9]{2}"), json!("a|b|x"), json!("\\w+ \\w+"), json!("("), json!("(?=x)x")],
    );
    let bounds = [
        json!(0),
        json!(1),
        json!(2),
        json!(5),
        json!(-1),
        json!(0.5),
        json!("2025-01-01"),
        json!("2026-12-31"),
        json!("5"),
    ];
    maybe(rng, "min", &bounds);
    maybe(rng, "max", &bounds);
    maybe(rng, "step", &[json!(1), json!(2), json!(4), json!(0.1), json!(0.5), json!(2.5)]);
    maybe(rng, "minItems", &counts);
    maybe(rng, "maxItems", &counts);
    maybe(rng, "message", &[json!("Pick something sensible")]);
    Value::Object(v)
}

/// One generated item: `a` with its definition, `b` depending on it.
fn case(rng: &mut Rng, id: &str) -> Value {
    let pool = values();
    let field_type = rng.pick(TYPES);
    let mut a = json!({ "id": "a", "name": "A", "type": field_type });
    if (matches!(field_type, "select" | "multiselect") || rng.chance(5)) && rng.chance(95) {
        a["options"] = options(rng);
    }
    if rng.chance(70) {
        a["validation"] = validation(rng);
    }
    if rng.chance(90) {
        a["default"] = rng.pick(&pool);
    }
    let condition = rng.pick(&["equals", "notEquals", "in", "notIn", "truthy", "falsy"]);
    let mut conditional = json!({ "dependsOn": "a", "condition": condition });
    if rng.chance(92) {
        let value = if matches!(condition, "in" | "notIn") && rng.chance(70) {
            Value::Array((0..rng.below(3) + 1).map(|_| rng.pick(&pool)).collect())
        } else {
            rng.pick(&pool)
        };
        conditional["value"] = value;
    }
    let b = json!({ "id": "b", "name": "B", "type": "string", "conditional": conditional });
    json!({
        "apiVersion": "pao/v1",
        "kind": "CatalogItem",
        "metadata": {
            "id": id, "name": "Generated", "description": "A generated form.", "version": "1.0.0",
            "category": "generated", "owner": { "team": "platform", "contact": "p@example.com" },
            "lifecycle": { "status": "stable" }
        },
        "presentation": { "form": { "groups": [{ "id": "basic", "name": "Basic", "fields": [a, b] }] } },
        "fulfillment": {
            "strategy": "manual",
            "manual": { "actions": [{ "id": "ticket", "name": "Ticket", "type": "jira-ticket",
                "config": { "project": "OPS", "issueType": "Task", "summary": "x", "description": "y" } }] }
        }
    })
}

/// The validator's verdict on `value` submitted for field `a` alone, empty values aside.
fn validator_error(validator: &Validator, value: &Value) -> Option<pao_form::FieldError> {
    let values: Map<String, Value> = [("a".to_owned(), value.clone())].into_iter().collect();
    validator.validate(&values).errors.into_iter().find(|e| e.field == "a")
}

/// The lint code a default rejected for `rule` must carry.
fn code_for(rule: Rule, field_type: pao_schema::FieldType, default: &Value) -> &'static str {
    match rule {
        Rule::Type => "PAO503",
        Rule::Option if field_type == pao_schema::FieldType::Select && (default.is_array() || default.is_object()) => {
            "PAO503"
        }
        Rule::Option => "PAO504",
        _ => "PAO510",
    }
}

#[test]
fn lint_and_request_validation_agree_on_defaults_and_conditional_values() {
    let cases: usize = std::env::var("PAO_FORM_VALUES_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(3000);
    let mut rng = Rng(0x5EED_F0A5);
    let files: Vec<(String, String)> = (0..cases)
        .map(|i| {
            let id = format!("case-{i:05}");
            let text = serde_json::to_string_pretty(&case(&mut rng, &id)).unwrap();
            (format!("catalog/generated/{id}.yaml"), text)
        })
        .collect();
    let linter = Linter::new(&Config::default()).unwrap();
    let inputs = files.iter().map(|(path, text)| SourceInput { path: path.clone(), bytes: text.as_bytes().to_vec() });
    let linted = linter.lint_sources(inputs.collect(), None);

    let mut failures = Vec::new();
    let (mut defaults_compared, mut defaults_rejected, mut conditionals_compared, mut conditionals_flagged) =
        (0, 0, 0, 0);
    for document in &linted.documents {
        let CatalogDocument::Item(item) = &document.document else { continue };
        let diagnostics: Vec<&pao_lint::Diagnostic> =
            linted.report.diagnostics.iter().filter(|d| d.file == document.path).collect();
        // Documents that do not fit the schema are not form-checked; they have no typed value.
        if diagnostics.iter().any(|d| d.code.starts_with("PAO1") || d.code.starts_with("PAO2")) {
            continue;
        }
        let text = &files.iter().find(|(path, _)| *path == document.path).unwrap().1;
        let root = pao_source::parse_yaml(text).root.unwrap();
        let form = &item.presentation.form;
        let a = &form.groups[0].fields[0];
        let b = &form.groups[0].fields[1];
        let validator = Validator::new(form);
        let shown = || format!("{}:\n{text}\ndiagnostics: {diagnostics:#?}", document.path);

        // The default of `a`.
        if let Some(default) = &a.default {
            defaults_compared += 1;
            let span = root.pointer("/presentation/form/groups/0/fields/0/default").unwrap().span.clone();
            let flagged: Vec<&str> = diagnostics
                .iter()
                .filter(|d| d.range == span && ["PAO503", "PAO504", "PAO510"].contains(&d.code))
                .map(|d| d.code)
                .collect();
            match validator_error(&validator, default) {
                Some(error) if error.rule == Rule::InvalidPattern => {
                    let only_the_pattern = flagged.is_empty() && diagnostics.iter().any(|d| d.code == "PAO506");
                    failures.extend(
                        (!only_the_pattern)
                            .then(|| format!("the pattern cannot be compiled: expected PAO506 only\n{}", shown())),
                    );
                }
                Some(error) => {
                    defaults_rejected += 1;
                    let code = code_for(error.rule, a.field_type, default);
                    if flagged != [code] {
                        failures.push(format!("the validator says {error:?}, so expected {code}\n{}", shown()));
                    }
                }
                None if !flagged.is_empty() => {
                    failures.push(format!("the validator accepts the default, lint says {flagged:?}\n{}", shown()));
                }
                None => {}
            }
        }

        // The value `b`'s conditional compares `a` with, against a form where `a` has no default.
        let conditional = b.conditional.as_ref().unwrap();
        let mut bare = form.clone();
        bare.groups[0].fields[0].default = None;
        let bare = Validator::new(&bare);
        let holdable = |value: &Value| {
            let values: Map<String, Value> = [("a".to_owned(), value.clone())].into_iter().collect();
            let outcome = bare.validate(&values);
            let refused = outcome.errors.iter().any(|e| e.field == "a" && e.rule != Rule::InvalidPattern);
            let stored_otherwise = outcome.values.get("a").is_some_and(|stored| !same_value(stored, value));
            !refused && !stored_otherwise
        };
        use pao_schema::Condition;
        let expected = match (conditional.condition, conditional.value.as_ref()) {
            (Condition::Truthy | Condition::Falsy, _) => false,
            (_, None | Some(Value::Null)) => true,
            (Condition::In | Condition::NotIn, Some(Value::Array(items))) => !items.iter().all(holdable),
            (_, Some(value)) => !holdable(value),
        };
        conditionals_compared += 1;
        let flagged = diagnostics.iter().any(|d| d.code == "PAO509");
        conditionals_flagged += usize::from(flagged);
        if flagged != expected {
            failures.push(format!("conditional of `b`: expected PAO509 {expected}, lint {flagged}\n{}", shown()));
        }
    }
    assert!(
        failures.is_empty(),
        "{} disagreements; the first:\n{}",
        failures.len(),
        failures.iter().take(3).cloned().collect::<Vec<_>>().join("\n\n")
    );
    // The generator must reach both verdicts often, or the comparison proves little.
    assert!(defaults_compared * 2 > cases, "only {defaults_compared} of {cases} defaults compared");
    let share = |part: usize, all: usize| part * 10 > all && part * 10 < all * 9;
    assert!(
        share(defaults_rejected, defaults_compared),
        "{defaults_rejected} of {defaults_compared} defaults rejected"
    );
    assert!(
        share(conditionals_flagged, conditionals_compared),
        "{conditionals_flagged} of {conditionals_compared} conditionals flagged"
    );
}

#[test]
fn a_default_off_the_step_grid_is_flagged() {
    // The example of issue #11: lint passed it, request validation refused it.
    let text = serde_json::to_string(&{
        let mut doc = case(&mut Rng(1), "stepped");
        doc["presentation"]["form"]["groups"][0]["fields"][0] =
            json!({ "id": "a", "name": "A", "type": "integer", "default": 6, "validation": { "min": 1, "step": 4 } });
        doc
    })
    .unwrap();
    let linter = Linter::new(&Config::default()).unwrap();
    let linted = linter.lint_sources(
        vec![SourceInput { path: "catalog/generated/stepped.yaml".into(), bytes: text.into_bytes() }],
        None,
    );
    let d = linted.report.diagnostics.iter().find(|d| d.code == "PAO510").expect("PAO510");
    assert_eq!(d.message, "the default of `a` fails its validation: must be 1 plus a multiple of 4");
}
