//! `check_document`: every problem kind, found statically, at the right line and column.

use pao_schema::{CatalogDocument, CatalogItem};
use pao_source::{LineIndex, parse_yaml};
use pao_vars::{Engine, ItemLookup, NoItems, TemplateProblem, TemplateProblemKind as Kind, check_document};

const ITEM: &str = r#"apiVersion: pao/v1
kind: CatalogItem
metadata:
  id: demo-item
  name: Demo
  description: Demo item
  version: 1.0.0
  category: demo
  owner: { team: platform, contact: p@acme.example }
  lifecycle: { status: stable }
presentation:
  form:
    groups:
      - id: main
        name: Main
        fields:
          - { id: instanceName, name: Name, type: string }
          - { id: size, name: Size, type: integer }
fulfillment:
  automated:
    actions:
      - id: create
        name: Create
        type: rest-api
        config:
          method: POST
          url: "https://api/{{ fields.instanceName }}/{{ TEMPLATE_A }}"
          outputs: { arn: /arn }
      - id: configure
        name: Configure
        type: terraform
        config:
          path: "x/{{ outputs.create.arn }}"
          variables:
            value: "{{ TEMPLATE_B }}"
  manual:
    actions:
      - id: ticket
        name: Ticket
        type: jira-ticket
        config:
          project: OPS
          issueType: Task
          summary: "{{ TEMPLATE_C }}"
          description: |
            Line one {{ fields.instanceName }}
            Line two {{ TEMPLATE_D }}
"#;

fn check(yaml: &str, catalog: &dyn ItemLookup) -> (Vec<TemplateProblem>, String) {
    let parsed = parse_yaml(yaml);
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    let root = parsed.root.expect("a document");
    let doc = CatalogDocument::from_value(root.to_json()).expect("a valid document");
    (check_document(&Engine::new(["AWS_REGION"]), yaml, &root, &doc, catalog), yaml.to_owned())
}

/// The item with placeholders replaced (an expression each; `ok` where unused).
fn item(a: &str, b: &str, c: &str, d: &str) -> String {
    ITEM.replace("TEMPLATE_A", a).replace("TEMPLATE_B", b).replace("TEMPLATE_C", c).replace("TEMPLATE_D", d)
}

/// `(kind, "line:col", text at the range)` for each problem.
fn summary(problems: &[TemplateProblem], yaml: &str) -> Vec<(Kind, String, String)> {
    let index = LineIndex::new(yaml);
    problems
        .iter()
        .map(|p| {
            let at = index.line_col(yaml, p.range.start);
            (p.kind, format!("{}:{}", at.line, at.column), yaml[p.range.clone()].to_owned())
        })
        .collect()
}

const OK: &str = "fields.size";

#[test]
fn a_clean_item_has_no_problems() {
    let (problems, _) = check(&item(OK, OK, OK, OK), &NoItems);
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn unknown_field_with_suggestion_and_exact_position() {
    let (problems, yaml) = check(&item("fields.instanceNme", OK, OK, OK), &NoItems);
    assert_eq!(summary(&problems, &yaml), [(Kind::UnknownField, "27:58".into(), "fields.instanceNme".into())]);
    assert_eq!(problems[0].help.as_deref(), Some("did you mean `fields.instanceName`?"));
    assert_eq!(problems[0].pointer, "/fulfillment/automated/actions/0/config/url");
}

#[test]
fn unknown_scope_suggests_the_scope() {
    let (problems, yaml) = check(&item("feilds.size", OK, OK, OK), &NoItems);
    assert_eq!(summary(&problems, &yaml), [(Kind::UnknownScope, "27:58".into(), "feilds".into())]);
    assert_eq!(problems[0].help.as_deref(), Some("did you mean `fields`?"));
}

#[test]
fn unknown_keys_of_metadata_request_and_system() {
    let (problems, yaml) = check(&item("metadata.owner.tem", "request.user.mail", "system.hostnme", OK), &NoItems);
    let summary = summary(&problems, &yaml);
    assert_eq!(summary.len(), 3, "{summary:?}");
    assert!(summary.iter().all(|(kind, _, _)| *kind == Kind::UnknownKey));
    assert_eq!(summary[0].2, "metadata.owner.tem");
    assert_eq!(summary[1].2, "request.user.mail");
    assert_eq!(summary[2].2, "system.hostnme");
    assert_eq!(problems[0].help.as_deref(), Some("did you mean `metadata.owner.team`?"));
}

#[test]
fn known_keys_of_every_scope_pass() {
    let (problems, _) = check(
        &item(
            "metadata.owner.jiraProject ~ metadata.tags[0] ~ metadata.lifecycle.deprecation.sunset",
            "request.user.teams | json ~ request.correlationId ~ system.uuid ~ environment.AWS_REGION",
            "secrets.anything ~ outputs.create.arn ~ fields['size']",
            "fields.instanceName | default('x') | upper",
        ),
        &NoItems,
    );
    // outputs.create is in the automated list; the manual ticket may not read it.
    assert_eq!(problems.iter().map(|p| p.kind).collect::<Vec<_>>(), [Kind::UnknownOutput]);
    assert!(problems[0].message.contains("automated list"), "{}", problems[0].message);
}

#[test]
fn environment_outside_the_allow_list() {
    let (problems, yaml) = check(&item("environment.HOME", OK, OK, OK), &NoItems);
    assert_eq!(summary(&problems, &yaml), [(Kind::EnvironmentNotAllowed, "27:58".into(), "environment.HOME".into())]);
}

#[test]
fn outputs_of_earlier_actions_only_with_declared_names() {
    let (problems, yaml) = check(&item("outputs.configure.path", "outputs.create.ar", OK, OK), &NoItems);
    let summary = summary(&problems, &yaml);
    assert_eq!(summary[0].0, Kind::LaterOutput);
    assert_eq!(summary[0].2, "outputs.configure");
    assert_eq!(summary[1], (Kind::UnknownOutput, "35:24".into(), "outputs.create.ar".into()));
    assert_eq!(problems[1].help.as_deref(), Some("did you mean `outputs.create.arn`?"));
}

#[test]
fn own_outputs_are_later_outputs() {
    let (problems, _) = check(&item(OK, "outputs.configure.path", OK, OK), &NoItems);
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].kind, Kind::LaterOutput);
    assert!(problems[0].message.contains("its own outputs"), "{}", problems[0].message);
}

#[test]
fn unknown_action_and_fixed_outputs_of_non_rest_actions() {
    let (problems, _) = check(&item(OK, "outputs.nothing.x", "outputs.create.arn", OK), &NoItems);
    let kinds: Vec<Kind> = problems.iter().map(|p| p.kind).collect();
    assert_eq!(kinds, [Kind::UnknownOutput, Kind::UnknownOutput]);
}

#[test]
fn unknown_functions_filters_and_tests() {
    let (problems, yaml) = check(&item("uper(fields.size)", "fields.size | lowr", "fields.size is odd", OK), &NoItems);
    let summary = summary(&problems, &yaml);
    assert!(summary.iter().all(|(kind, _, _)| *kind == Kind::UnknownFunction), "{summary:?}");
    assert_eq!(summary.len(), 3);
    assert_eq!(problems[0].help.as_deref(), Some("did you mean `upper(...)`?"));
    assert_eq!(problems[1].help.as_deref(), Some("did you mean `| lower`?"));
}

#[test]
fn loop_variables_and_set_locals_are_not_flagged() {
    let (problems, _) = check(
        &item(
            "fields.size }}{% for x in [1, 2] %}{{ x }}{{ loop.index }}{% endfor %}{% set y = 1 %}{{ y",
            "fields.size }}{% for k, v in [[1, 2]] %}{{ k ~ v }}{% endfor %}{% with z = 2 %}{{ z }}{% endwith %}{{ fields.size",
            OK,
            OK,
        ),
        &NoItems,
    );
    assert!(problems.is_empty(), "{problems:#?}");
    // But a loop variable does not leak out of its loop.
    let (problems, _) = check(&item("fields.size }}{% for x in [1] %}{% endfor %}{{ x", OK, OK, OK), &NoItems);
    assert_eq!(problems.iter().map(|p| p.kind).collect::<Vec<_>>(), [Kind::UnknownScope]);
}

#[test]
fn syntax_errors_point_into_the_template() {
    let (problems, yaml) = check(&item("fields.size }}{% if %}{{ 1", OK, OK, OK), &NoItems);
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].kind, Kind::Syntax);
    assert_eq!(LineIndex::new(&yaml).line_col(&yaml, problems[0].range.start).line, 27);
}

#[test]
fn references_in_block_scalars_map_to_their_line() {
    let (problems, yaml) = check(&item(OK, OK, OK, "fields.nope"), &NoItems);
    assert_eq!(summary(&problems, &yaml), [(Kind::UnknownField, "47:25".into(), "fields.nope".into())]);
}

#[test]
fn escaped_double_quoted_scalars_map_exactly() {
    let yaml = item(OK, OK, OK, OK)
        .replace(r#"summary: "{{ fields.size }}""#, r#"summary: "[\"{{ fields.sise }}\"] \u00e9 {{ fields.siez }}""#);
    let (problems, yaml) = check(&yaml, &NoItems);
    let summary = summary(&problems, &yaml);
    assert_eq!(summary[0].2, "fields.sise");
    assert_eq!(summary[1].2, "fields.siez");
}

const BUNDLE: &str = r#"apiVersion: pao/v1
kind: CatalogBundle
metadata:
  id: demo-bundle
  name: Demo bundle
  description: Demo
  version: 1.0.0
  category: bundles
  owner: { team: platform, contact: p@acme.example }
  lifecycle: { status: stable }
presentation:
  form:
    groups:
      - id: main
        name: Main
        fields:
          - { id: appName, name: App, type: string }
components:
  - id: db
    item: demo-item
    version: "^1"
    fields:
      instanceName: "{{ fields.appName }}-db {{ DB }}"
  - id: app
    item: demo-item
    version: "^1"
    fields:
      instanceName: "{{ outputs.db.arn }} {{ APP }}"
  - id: dns
    item: demo-item
    version: "^1"
    fields:
      instanceName: "{{ DNS }}"
"#;

fn catalog() -> Vec<CatalogItem> {
    let root = parse_yaml(&item(OK, OK, OK, OK)).root.expect("item parses");
    match CatalogDocument::from_value(root.to_json()) {
        Ok(CatalogDocument::Item(item)) => vec![*item],
        other => panic!("{other:?}"),
    }
}

fn bundle(db: &str, app: &str, dns: &str) -> String {
    BUNDLE.replace("DB", db).replace("APP", app).replace("DNS", dns)
}

#[test]
fn bundle_components_read_bundle_fields_and_earlier_outputs() {
    let (problems, _) =
        check(&bundle("fields.appName", "fields.appName", "outputs.app.arn ~ outputs.db.arn"), &catalog());
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn bundle_unknown_output_and_field() {
    let (problems, yaml) = check(&bundle("fields.appNme", "outputs.db.endpoint", "fields.appName"), &catalog());
    let summary = summary(&problems, &yaml);
    assert_eq!(summary[0], (Kind::UnknownField, "23:49".into(), "fields.appNme".into()));
    assert_eq!(summary[1].0, Kind::UnknownOutput);
    assert_eq!(summary[1].2, "outputs.db.endpoint");
}

#[test]
fn bundle_reading_a_later_component_is_an_ordering_problem() {
    let (problems, _) = check(&bundle("outputs.dns.arn", "fields.appName", "fields.appName"), &catalog());
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].kind, Kind::BundleCycle);
    assert!(problems[0].message.contains("(db → dns); move `dns` before `db`"), "{}", problems[0].message);
}

#[test]
fn bundle_cycle_is_reported_with_the_chain() {
    let (problems, _) = check(&bundle("outputs.dns.arn", "fields.appName", "outputs.app.arn"), &catalog());
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].kind, Kind::BundleCycle);
    assert!(problems[0].message.ends_with("db → dns → app → db"), "{}", problems[0].message);
}

#[test]
fn bundle_self_reference() {
    let (problems, _) = check(&bundle("outputs.db.arn", "fields.appName", "fields.appName"), &catalog());
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].kind, Kind::BundleCycle);
    assert!(problems[0].message.contains("db → db"), "{}", problems[0].message);
}

#[test]
fn failure_is_in_scope_in_the_manual_list_only() {
    let (problems, _) =
        check(&item(OK, OK, "failure.action ~ failure.timestamp", "failure.error | default('none')"), &NoItems);
    assert!(problems.is_empty(), "{problems:#?}");
    let (problems, yaml) = check(&item("failure.error", OK, "failure.eror", OK), &NoItems);
    let found = summary(&problems, &yaml);
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!((found[0].0, found[0].2.as_str()), (Kind::UnknownScope, "failure"));
    assert!(problems[0].message.contains("only set in the manual list"), "{}", problems[0].message);
    assert_eq!((found[1].0, found[1].2.as_str()), (Kind::UnknownKey, "failure.eror"));
    assert_eq!(problems[1].help.as_deref(), Some("did you mean `failure.error`?"));
}
