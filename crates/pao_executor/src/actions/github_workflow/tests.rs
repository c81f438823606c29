use std::collections::BTreeMap;

use pao_schema::GithubWorkflowConfig;
use serde_json::json;

use super::request::{dispatch_body, dispatched_run, pick_run};

#[test]
fn inputs_are_sent_as_strings() {
    let config = GithubWorkflowConfig {
        repository: "acme/infra".into(),
        workflow: "provision.yml".into(),
        git_ref: "main".into(),
        inputs: Some(BTreeMap::from([("size".into(), json!(50)), ("name".into(), json!("orders"))])),
    };
    assert_eq!(dispatch_body(&config, false), json!({ "ref": "main", "inputs": { "name": "orders", "size": "50" } }));
    assert_eq!(dispatch_body(&config, true)["return_run_details"], json!(true));
}

#[test]
fn the_dispatch_answer_names_the_run_when_it_can() {
    let answer = json!({ "workflow_run_id": 4242, "run_url": "https://api.github.com/repos/acme/infra/actions/runs/4242",
        "html_url": "https://github.com/acme/infra/actions/runs/4242" });
    assert_eq!(
        dispatched_run(&answer),
        Some(("4242".to_owned(), Some("https://github.com/acme/infra/actions/runs/4242".to_owned())))
    );
    assert_eq!(dispatched_run(&json!(null)), None, "204: no body");
    assert_eq!(dispatched_run(&json!({ "workflow_run_id": "x" })), None);
}

#[test]
fn the_run_is_the_oldest_since_the_dispatch() {
    let list = json!({ "workflow_runs": [
        { "id": 3, "created_at": "2026-01-01T00:00:09Z" },
        { "id": 2, "created_at": "2026-01-01T00:00:05Z" },
        { "id": 1, "created_at": "2025-12-31T23:59:00Z" },
    ] });
    assert_eq!(pick_run(&list, "2026-01-01T00:00:00Z").unwrap()["id"], 2);
    assert!(pick_run(&list, "2026-01-02T00:00:00Z").is_none());
}
