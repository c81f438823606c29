use std::collections::BTreeMap;

use pao_schema::GithubWorkflowConfig;
use serde_json::json;

use super::request::{dispatch_body, pick_run};

#[test]
fn inputs_are_sent_as_strings() {
    let config = GithubWorkflowConfig {
        repository: "acme/infra".into(),
        workflow: "provision.yml".into(),
        git_ref: "main".into(),
        inputs: Some(BTreeMap::from([("size".into(), json!(50)), ("name".into(), json!("orders"))])),
    };
    assert_eq!(dispatch_body(&config), json!({ "ref": "main", "inputs": { "name": "orders", "size": "50" } }));
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
