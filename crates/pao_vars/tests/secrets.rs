//! Secrets never appear in output meant for Git, previews, test reports or logs; only the
//! executor API sees them.

use std::collections::BTreeMap;
use std::path::Path;

use pao_schema::CatalogDocument;
use pao_vars::{Engine, ListKind, RenderInput, load_document, render_action_for_execution, render_document};
use serde_json::json;

const SECRET: &str = "pd-api-key-DO-NOT-LEAK-8d1f";
const PASSWORD: &str = "hunter2-but-longer-0123456789";

fn item(path: &str) -> CatalogDocument {
    load_document(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(path)).expect("catalog item loads").doc
}

fn input() -> RenderInput {
    RenderInput {
        values: json!({ "serviceName": "Checkout API", "escalationPolicyId": "P1", "instanceName": "orders-db",
                        "masterPassword": PASSWORD })
        .as_object()
        .cloned()
        .unwrap_or_default(),
        // Even if a caller smuggles secret values into the environment or request, previews
        // do not read secrets from them.
        request: json!({ "id": SECRET }).as_object().cloned().unwrap_or_default(),
        deterministic: true,
        failure: Default::default(),
        ..RenderInput::default()
    }
}

fn secrets() -> BTreeMap<String, String> {
    [("pagerdutyApiKey".to_owned(), SECRET.to_owned())].into_iter().collect()
}

#[test]
fn previews_show_secrets_as_stars() {
    let engine = Engine::new(["AWS_REGION"]);
    let doc = item("catalog/observability/pagerduty-service.yaml");
    let mut input = input();
    input.request.clear();
    let rendered = render_document(&engine, &doc, &pao_vars::NoItems, &input).expect("renders");
    let text = rendered.to_string();
    assert!(!text.contains(SECRET));
    assert_eq!(rendered.pointer("/automated/0/config/headers/Authorization"), Some(&json!("Token token=***")));
}

#[test]
fn the_executor_gets_the_real_secret_and_logs_get_stars() {
    let engine = Engine::new(["AWS_REGION"]);
    let CatalogDocument::Item(item) = item("catalog/observability/pagerduty-service.yaml") else {
        panic!("an item");
    };
    let mut input = input();
    input.request.clear();
    let executed =
        render_action_for_execution(&engine, &item, ListKind::Automated, 0, &input, &secrets()).expect("renders");
    assert_eq!(
        executed.action.pointer("/config/headers/Authorization"),
        Some(&json!(format!("Token token={SECRET}"))),
        "the executor must receive the real value"
    );
    let redacted = executed.redacted();
    assert!(!redacted.to_string().contains(SECRET), "{redacted}");
    assert_eq!(redacted.pointer("/config/headers/Authorization"), Some(&json!("Token token=***")));
}

#[test]
fn password_fields_are_masked_in_previews_and_redacted_from_logs() {
    let engine = Engine::new(["AWS_REGION"]);
    let doc = item("catalog/databases/postgresql-standard.yaml");
    let mut input = input();
    input.request.clear();
    let preview = render_document(&engine, &doc, &pao_vars::NoItems, &input).expect("renders");
    assert!(!preview.to_string().contains(PASSWORD));
    let CatalogDocument::Item(item) = doc else { panic!("an item") };
    let executed =
        render_action_for_execution(&engine, &item, ListKind::Automated, 0, &input, &BTreeMap::new()).expect("renders");
    assert!(executed.action.to_string().contains(PASSWORD), "the executor needs the password");
    assert!(!executed.redacted().to_string().contains(PASSWORD));
}

#[test]
fn harness_reports_never_contain_secrets() {
    // A failing case prints the rendered value in its diff: it holds `***`, not a secret.
    let dir = tempfile::tempdir().expect("temp dir");
    let item = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../catalog/observability/pagerduty-service.yaml");
    let case = format!(
        "item: {}\ncases:\n  - name: wrong on purpose\n    values: {{ serviceName: X, escalationPolicyId: P1 }}\n    expect:\n      /automated/0/config/headers/Authorization: \"Token token={SECRET}\"\n",
        item.display()
    );
    let file = dir.path().join("case.yaml");
    std::fs::write(&file, case).expect("write case");
    let report = pao_vars::run_tests(&Engine::new(["AWS_REGION"]), &[file], dir.path(), &pao_vars::NoItems);
    assert!(!report.passed());
    let text = report.to_human(dir.path());
    assert!(text.contains("+\"Token token=***\""), "{text}");
    assert_eq!(text.matches(SECRET).count(), 1, "only the expectation itself, never the rendered value: {text}");
}
