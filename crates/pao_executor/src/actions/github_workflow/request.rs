//! The dispatch body and how the dispatched run is recognised.

use pao_schema::GithubWorkflowConfig;
use serde_json::{Map, Value, json};

/// `{"ref", "inputs"}` (GitHub takes input values as strings), and `return_run_details` when
/// `details`.
pub(crate) fn dispatch_body(config: &GithubWorkflowConfig, details: bool) -> Value {
    let inputs: Map<String, Value> = config
        .inputs
        .clone()
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| {
            let text = match v {
                Value::String(s) => s,
                other => other.to_string(),
            };
            (k, Value::String(text))
        })
        .collect();
    let mut body = json!({ "ref": config.git_ref, "inputs": inputs });
    if details {
        body["return_run_details"] = Value::Bool(true);
    }
    body
}

/// The run a dispatch answered with (`{"workflow_run_id", "run_url", "html_url"}`): its id and
/// web address; `None` for an empty answer (204).
pub(crate) fn dispatched_run(answer: &Value) -> Option<(String, Option<String>)> {
    let id = answer.get("workflow_run_id").and_then(Value::as_u64)?;
    Some((id.to_string(), answer.get("html_url").and_then(Value::as_str).map(str::to_owned)))
}

/// The oldest run created at or after `since` (RFC 3339; GitHub's `created_at` has the same
/// form, so text order is time order) among `{"workflow_runs": [...]}`.
pub(crate) fn pick_run(list: &Value, since: &str) -> Option<Value> {
    let runs = list.get("workflow_runs")?.as_array()?;
    runs.iter()
        .filter(|run| run.get("created_at").and_then(Value::as_str).is_some_and(|at| at >= since))
        .min_by(|a, b| {
            let at = |r: &Value| r.get("created_at").and_then(Value::as_str).unwrap_or_default().to_owned();
            at(a).cmp(&at(b))
        })
        .cloned()
}
