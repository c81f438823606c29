//! The issue JIRA is sent, and how a ticket's fields map to an outcome.

use pao_schema::JiraTicketConfig;
use serde_json::{Map, Value, json};

use crate::record::FailureContext;

/// Resolutions (or status names) that mean the work will not be done.
const WONT_DO: [&str; 6] = ["won't do", "won't fix", "wont do", "declined", "cancelled", "rejected"];

/// `pao-<request-id>.<action-id>`: finds the issue again after a crash.
pub(crate) fn label(idempotency_key: &str) -> String {
    format!("pao-{idempotency_key}")
}

/// The `POST /rest/api/2/issue` body. After a failover the description ends with the failure.
pub(crate) fn issue_body(config: &JiraTicketConfig, label: &str, failure: Option<&FailureContext>) -> Value {
    let mut description = config.description.clone();
    if let Some(failure) = failure {
        description.push_str(&format!(
            "\n\n----\nAutomated fulfilment failed at action {} ({}): {}",
            failure.action, failure.timestamp, failure.error
        ));
    }
    let mut labels: Vec<Value> = config.labels.clone().unwrap_or_default().into_iter().map(Value::from).collect();
    labels.push(label.into());
    let mut fields = Map::new();
    fields.insert("project".into(), json!({ "key": config.project }));
    fields.insert("issuetype".into(), json!({ "name": config.issue_type }));
    fields.insert("summary".into(), config.summary.clone().into());
    fields.insert("description".into(), description.into());
    fields.insert("labels".into(), labels.into());
    if let Some(priority) = &config.priority {
        fields.insert("priority".into(), json!({ "name": priority }));
    }
    for (id, value) in config.custom_fields.clone().unwrap_or_default() {
        fields.insert(id, value);
    }
    json!({ "fields": fields })
}

/// Where a ticket stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TicketState {
    /// Not resolved yet.
    Open,
    /// Done.
    Done,
    /// Closed without doing it (the resolution's name).
    WontDo(String),
}

/// Reads an issue's `fields` (`status`, `resolution`), as the REST API and webhooks send them.
pub fn ticket_state(fields: &Value) -> TicketState {
    let name = |pointer: &str| fields.pointer(pointer).and_then(Value::as_str).map(str::to_owned);
    let resolution = name("/resolution/name");
    let status = name("/status/name");
    for candidate in [&resolution, &status].into_iter().flatten() {
        if WONT_DO.contains(&candidate.to_lowercase().replace('\u{2019}', "'").as_str()) {
            return TicketState::WontDo(candidate.clone());
        }
    }
    let category = name("/status/statusCategory/key");
    if category.as_deref() == Some("done") || status.as_deref().is_some_and(|s| s.eq_ignore_ascii_case("done")) {
        TicketState::Done
    } else {
        TicketState::Open
    }
}
