use std::collections::BTreeMap;

use pao_schema::JiraTicketConfig;
use serde_json::json;

use super::request::{TicketState, issue_body, label, ticket_state};
use crate::record::FailureContext;

#[test]
fn the_issue_has_project_type_priority_labels_and_custom_fields() {
    let config = JiraTicketConfig {
        project: "DBA".into(),
        issue_type: "Task".into(),
        summary: "Create orders".into(),
        description: "Please".into(),
        priority: Some("High".into()),
        labels: Some(vec!["pao".into()]),
        custom_fields: Some(BTreeMap::from([("customfield_10010".into(), json!("payments"))])),
        instance: None,
    };
    let failure = FailureContext { action: "create_db".into(), error: "HTTP 500".into(), timestamp: "T".into() };
    let body = issue_body(&config, &label("req-1.ticket"), Some(&failure));
    assert_eq!(body["fields"]["project"], json!({ "key": "DBA" }));
    assert_eq!(body["fields"]["issuetype"], json!({ "name": "Task" }));
    assert_eq!(body["fields"]["priority"], json!({ "name": "High" }));
    assert_eq!(body["fields"]["labels"], json!(["pao", "pao-req-1.ticket"]));
    assert_eq!(body["fields"]["customfield_10010"], json!("payments"));
    let description = body["fields"]["description"].as_str().unwrap();
    assert!(description.starts_with("Please") && description.contains("create_db (T): HTTP 500"), "{description}");
}

#[test]
fn ticket_states() {
    let open = json!({ "status": { "name": "In Progress", "statusCategory": { "key": "indeterminate" } } });
    assert_eq!(ticket_state(&open), TicketState::Open);
    let done = json!({ "status": { "name": "Closed", "statusCategory": { "key": "done" } }, "resolution": { "name": "Done" } });
    assert_eq!(ticket_state(&done), TicketState::Done);
    let wont = json!({ "status": { "name": "Closed", "statusCategory": { "key": "done" } }, "resolution": { "name": "Won't Do" } });
    assert_eq!(ticket_state(&wont), TicketState::WontDo("Won't Do".into()));
    assert_eq!(ticket_state(&json!({})), TicketState::Open);
}
