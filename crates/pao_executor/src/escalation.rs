//! The escalation ticket: the request, which actions succeeded and what they created, the
//! error, and cleanup guidance for each succeeded action.

use std::fmt::Write as _;

use pao_config::EscalationConfig;
use serde_json::{Value, json};

use crate::record::{ActionStatus, RunState};

/// What a person should undo for one succeeded action of a type.
fn cleanup(action_type: &str) -> &'static str {
    match action_type {
        "rest-api" => "undo what the call created on the target system (usually the matching DELETE)",
        "jira-ticket" => "close or re-assign the ticket",
        "github-workflow" => "revert what the workflow run changed (run its teardown, or revert its commits)",
        "webhook" => "tell the receiver to discard the event",
        "terraform" => "remove the module's files and let the pipeline destroy what was applied",
        _ => "check what it changed",
    }
}

/// The ticket's description (plain text, JIRA wiki-safe).
pub(crate) fn description(facts: &Value, state: &RunState, status: &str, note: &str) -> String {
    let fact = |key: &str| facts.get(key).and_then(Value::as_str).unwrap_or_default().to_owned();
    let mut out = String::new();
    let _ = writeln!(out, "PAO request {} ({}) needs a person.", fact("id"), status);
    let _ = writeln!(
        out,
        "Item: {} {} — resource {} for team {}",
        fact("item"),
        fact("version"),
        fact("resource"),
        fact("team")
    );
    let _ = writeln!(out, "Requester: {}", fact("requester"));
    let _ = writeln!(out, "Pull request: {}", fact("pullRequest"));
    if !note.is_empty() {
        let _ = writeln!(out, "Reason: {note}");
    }
    let failed: Vec<_> = state.actions.iter().filter(|a| a.status == ActionStatus::Failed).collect();
    for action in &failed {
        let _ = writeln!(
            out,
            "\nFailed: {}/{} ({}) after {} attempt(s): {}",
            action.list.as_str(),
            action.id,
            action.action_type,
            action.attempts,
            action.error.as_deref().unwrap_or("unknown error")
        );
    }
    let succeeded: Vec<_> = state.actions.iter().filter(|a| a.status == ActionStatus::Succeeded).collect();
    if succeeded.is_empty() {
        let _ = writeln!(out, "\nNo action succeeded; nothing to clean up.");
    } else {
        let _ = writeln!(out, "\nSucceeded (clean up before retrying by hand):");
        for action in succeeded {
            let created = action
                .reference
                .as_ref()
                .map(|r| format!(" created {} {}", r.system, r.url.as_deref().unwrap_or(&r.id)))
                .unwrap_or_default();
            let outputs = if action.outputs.is_empty() {
                String::new()
            } else {
                format!(" outputs {}", Value::Object(action.outputs.clone()))
            };
            let _ = writeln!(
                out,
                "- {}/{} ({}){created}{outputs}: {}",
                action.list.as_str(),
                action.id,
                action.action_type,
                cleanup(&action.action_type)
            );
        }
    }
    out
}

/// The `POST /rest/api/2/issue` body of the escalation.
pub(crate) fn issue(settings: &EscalationConfig, facts: &Value, description: &str) -> Value {
    let fact = |key: &str| facts.get(key).and_then(Value::as_str).unwrap_or_default().to_owned();
    let mut labels: Vec<Value> = settings.labels.iter().cloned().map(Value::from).collect();
    labels.push(format!("pao-{}", fact("id")).into());
    let mut fields = json!({
        "project": { "key": settings.project },
        "issuetype": { "name": settings.issue_type },
        "summary": format!("PAO escalation: {} {} for team {} ({})", fact("item"), fact("resource"), fact("team"), fact("id")),
        "description": description,
        "labels": labels,
    });
    if let Some(priority) = &settings.priority {
        fields["priority"] = json!({ "name": priority });
    }
    json!({ "fields": fields })
}
