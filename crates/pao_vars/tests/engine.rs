//! The engine's functions, filters, tests and scopes, one behaviour per test.

use pao_vars::{Engine, RenderContext, RenderErrorKind, Secrets};
use serde_json::{Value, json};

fn engine() -> Engine {
    Engine::new(["AWS_REGION"])
}

fn context() -> RenderContext {
    let object = |value: Value| value.as_object().cloned().unwrap_or_default();
    RenderContext {
        fields: object(json!({
            "name": "Orders DB",
            "empty": "",
            "nothing": null,
            "count": 3,
            "ports": [80, 443],
            "tags": ["a", "b"],
            "flag": true,
            "nested": { "inner": "x" }
        })),
        metadata: json!({ "id": "pg", "owner": { "team": "dba" } }),
        request: json!({ "id": "req-1", "user": { "email": "alice@acme.example", "teams": ["dba"] } }),
        environment: [("AWS_REGION".to_owned(), "eu-west-1".to_owned()), ("HOME".to_owned(), "/root".to_owned())]
            .into_iter()
            .collect(),
        outputs: [("create".to_owned(), object(json!({ "arn": "arn:x" })))].into_iter().collect(),
        ..RenderContext::default()
    }
}

fn render(template: &str) -> Value {
    match engine().render_str(template, &context()) {
        Ok(value) => value,
        Err(err) => panic!("{template}: {err}"),
    }
}

fn render_err(template: &str) -> pao_vars::RenderError {
    match engine().render_str(template, &context()) {
        Ok(value) => panic!("{template}: expected an error, got {value}"),
        Err(err) => err,
    }
}

#[test]
fn engine_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Engine>();
}

#[test]
fn literal_strings_pass_through() {
    assert_eq!(render("plain text } {"), json!("plain text } {"));
}

#[test]
fn one_expression_keeps_its_json_type() {
    assert_eq!(render("{{ fields.count }}"), json!(3));
    assert_eq!(render("{{ fields.ports }}"), json!([80, 443]));
    assert_eq!(render("{{ fields.flag }}"), json!(true));
    assert_eq!(render("{{ fields.nested }}"), json!({ "inner": "x" }));
    assert_eq!(render("{{- fields.count -}}"), json!(3));
}

#[test]
fn mixed_templates_render_to_strings() {
    assert_eq!(render("n={{ fields.count }}"), json!("n=3"));
    assert_eq!(render("{{ fields.count }}{{ fields.count }}"), json!("33"));
    assert_eq!(render("{{ fields.flag }}!"), json!("true!"), "booleans print as JSON spells them");
    assert_eq!(render("[{{ fields.nothing }}]"), json!("[]"), "null prints as nothing");
    assert_eq!(render("a\n{{ fields.count }}\n"), json!("a\n3\n"), "the trailing newline is kept");
}

#[test]
fn upper_and_lower_as_call_and_filter() {
    assert_eq!(render("{{ upper(fields.name) }}"), json!("ORDERS DB"));
    assert_eq!(render("{{ fields.name | upper }}"), json!("ORDERS DB"));
    assert_eq!(render("{{ lower(fields.name) }}"), json!("orders db"));
    assert_eq!(render("{{ fields.name | lower }}"), json!("orders db"));
}

#[test]
fn concat_joins_text_or_lists() {
    assert_eq!(render("{{ concat(fields.name, '-', fields.count) }}"), json!("Orders DB-3"));
    assert_eq!(render("{{ fields.name | concat('!') }}"), json!("Orders DB!"));
    assert_eq!(render("{{ concat(fields.tags, ['c']) }}"), json!(["a", "b", "c"]));
    assert_eq!(render("{{ fields.tags | concat(['c'], 'd') }}"), json!(["a", "b", "c", "d"]));
}

#[test]
fn replace_as_call_and_filter() {
    assert_eq!(render("{{ replace(fields.name, ' ', '-') }}"), json!("Orders-DB"));
    assert_eq!(render("{{ fields.name | replace(' ', '_') | lower }}"), json!("orders_db"));
}

#[test]
fn json_as_call_and_filter() {
    assert_eq!(render("{{ json(fields.tags) }}"), json!("[\"a\",\"b\"]"));
    assert_eq!(render("{{ fields.nested | json }}"), json!("{\"inner\":\"x\"}"));
    assert_eq!(render("{{ fields.name | json }}"), json!("\"Orders DB\""));
}

#[test]
fn base64_as_call_and_filter() {
    assert_eq!(render("{{ base64('hello') }}"), json!("aGVsbG8="));
    assert_eq!(render("{{ fields.name | base64 }}"), json!("T3JkZXJzIERC"));
}

#[test]
fn uuid_call_is_fixed_when_deterministic_and_filter_is_stable() {
    assert_eq!(render("{{ uuid() }}"), json!("00000000-0000-4000-8000-000000000000"));
    let first = render("{{ fields.name | uuid }}");
    assert_eq!(first, render("{{ uuid(fields.name) }}"));
    assert_ne!(first, render("{{ 'other' | uuid }}"));
    let mut live = context();
    live.deterministic = false;
    let a = engine().render_str("{{ uuid() }}", &live).unwrap_or_default();
    let b = engine().render_str("{{ uuid() }}", &live).unwrap_or_default();
    assert_ne!(a, b, "a live uuid() is new each time");
}

#[test]
fn timestamp_call_and_filter() {
    assert_eq!(render("{{ timestamp() }}"), json!("2000-01-01T00:00:00Z"));
    assert_eq!(render("{{ 1700000000 | timestamp }}"), json!("2023-11-14T22:13:20Z"));
    assert_eq!(render("{{ timestamp(0) }}"), json!("1970-01-01T00:00:00Z"));
    assert_eq!(render_err("{{ 'soon' | timestamp }}").kind, RenderErrorKind::Other);
}

#[test]
fn default_replaces_undefined_null_and_empty() {
    assert_eq!(render("{{ fields.missing | default('d') }}"), json!("d"));
    assert_eq!(render("{{ fields.nothing | default('d') }}"), json!("d"));
    assert_eq!(render("{{ fields.empty | default('d') }}"), json!("d"));
    assert_eq!(render("{{ fields.name | default('d') }}"), json!("Orders DB"));
    assert_eq!(render("{{ fields.count | default(1) }}"), json!(3));
    assert_eq!(render("{{ default(fields.missing, 7) }}"), json!(7));
    assert_eq!(render("[{{ fields.missing | default }}]"), json!("[]"));
}

#[test]
fn tests_defined_undefined_none() {
    assert_eq!(render("{% if fields.missing is defined %}y{% else %}n{% endif %}"), json!("n"));
    assert_eq!(render("{% if fields.name is defined %}y{% else %}n{% endif %}"), json!("y"));
    assert_eq!(render("{% if fields.missing is undefined %}y{% endif %}"), json!("y"));
    assert_eq!(render("{% if fields.nothing is none %}y{% endif %}"), json!("y"));
}

#[test]
fn loops_and_set_work() {
    assert_eq!(render("{% for t in fields.tags %}{{ loop.index }}{{ t }}{% endfor %}"), json!("1a2b"));
    assert_eq!(render("{% set x = fields.count %}{{ x }}"), json!("3"));
}

#[test]
fn every_scope_reads() {
    assert_eq!(render("{{ metadata.owner.team }}"), json!("dba"));
    assert_eq!(render("{{ request.user.email }}"), json!("alice@acme.example"));
    assert_eq!(render("{{ system.date }}"), json!("2000-01-01"));
    assert_eq!(render("{{ system.hostname }}"), json!("pao-deterministic"));
    assert_eq!(render("{{ environment.AWS_REGION }}"), json!("eu-west-1"));
    assert_eq!(render("{{ outputs.create.arn }}"), json!("arn:x"));
    assert_eq!(render("{{ secrets.anything }}"), json!("***"));
}

#[test]
fn strict_undefined_fails_on_print_and_attribute_access() {
    assert_eq!(render_err("{{ fields.missing }}").kind, RenderErrorKind::Undefined);
    assert_eq!(render_err("x {{ fields.missing }}").kind, RenderErrorKind::Undefined);
    assert_eq!(render_err("{{ fields.missing.deeper }}").kind, RenderErrorKind::Undefined);
    assert_eq!(render_err("{{ fields.missing | upper }}").kind, RenderErrorKind::Undefined);
    let message = render_err("x {{ fields.missing }}").message;
    assert!(message.contains("fields.missing"), "{message}");
}

#[test]
fn environment_outside_the_allow_list_is_not_in_the_context() {
    // HOME is in the caller's environment map but not allow-listed: the engine drops it.
    assert_eq!(render_err("{{ environment.HOME }}").kind, RenderErrorKind::Undefined);
    assert_eq!(render("{{ environment | json }}"), json!("{\"AWS_REGION\":\"eu-west-1\"}"));
}

#[test]
fn real_secrets_only_when_asked() {
    let mut context = context();
    context.secrets = Secrets::Real([("token".to_owned(), "s3cr3t".to_owned())].into_iter().collect());
    assert_eq!(engine().render_str("Bearer {{ secrets.token }}", &context).ok(), Some(json!("Bearer s3cr3t")));
}

#[test]
fn syntax_errors_are_reported() {
    let err = render_err("{{ fields.name ");
    assert_eq!(err.kind, RenderErrorKind::Syntax);
}
