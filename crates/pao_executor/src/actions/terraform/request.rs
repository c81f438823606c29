//! The files a `terraform` action writes under `path`: `main.tf.json` (a module block with
//! `source` and the variables) and `terraform.tfvars.json`; and how a pipeline's report of a
//! run reads ([`run_state`], [`status_state`]).

use pao_schema::TerraformConfig;
use serde_json::Value;

use crate::http::ActionError;

/// `(path, content)` of each file, in the state repository ([`TerraformConfig::files`]).
pub(crate) fn files(config: &TerraformConfig) -> Result<Vec<(String, String)>, ActionError> {
    config.files().map_err(ActionError::fatal)
}

/// Where a Terraform run stands, as a pipeline reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunState {
    /// Not finished (planning, waiting for confirmation, applying).
    Running,
    /// Applied, or planned with nothing to change; what said so.
    Applied(String),
    /// Errored, discarded or cancelled; why.
    Failed(String),
}

/// An HCP Terraform (Terraform Cloud) notification's run status: `applied` and
/// `planned_and_finished` (nothing to change) succeed; `errored`, `discarded`, `canceled`,
/// `force_canceled` and `policy_soft_failed` fail; anything else is still running. The
/// notification's `run_status` wins over the payload's.
pub fn run_state(payload: &Value) -> RunState {
    let status = payload
        .pointer("/notifications/0/run_status")
        .or_else(|| payload.get("run_status"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    let run = payload.get("run_url").and_then(Value::as_str).or_else(|| payload.get("run_id").and_then(Value::as_str));
    let what = run.map_or_else(|| format!("run {status}"), |run| format!("run {run} {status}"));
    match status {
        "applied" | "planned_and_finished" => RunState::Applied(what),
        "errored" | "discarded" | "canceled" | "force_canceled" | "policy_soft_failed" => RunState::Failed(what),
        _ => RunState::Running,
    }
}

/// The state of a commit's GitHub statuses (`GET /repos/{repo}/commits/{sha}/status`,
/// `statuses`) for a Terraform pipeline: a `failure` or `error` of any Terraform or Atlantis
/// context (a failed plan never applies) or of an `applied` context fails; every status whose
/// context is one of `applied` (equal, or starting with it: `atlantis/apply: infra/orders`)
/// succeeding applies; anything else, a successful plan included, is still running.
pub fn status_state(statuses: &Value, applied: &[String]) -> RunState {
    let field = |s: &Value, key: &str| s.get(key).and_then(Value::as_str).unwrap_or_default().to_owned();
    let is_applied = |s: &Value| {
        let context = field(s, "context");
        applied.iter().any(|entry| !entry.is_empty() && context.starts_with(entry.as_str()))
    };
    let is_terraform = |s: &Value| {
        let context = field(s, "context").to_lowercase();
        context.contains("terraform") || context.contains("atlantis") || is_applied(s)
    };
    let list = statuses.as_array().map(Vec::as_slice).unwrap_or_default();
    if let Some(bad) =
        list.iter().find(|s| is_terraform(s) && matches!(field(s, "state").as_str(), "failure" | "error"))
    {
        return RunState::Failed(format!(
            "{} reported {}: {}",
            field(bad, "context"),
            field(bad, "state"),
            field(bad, "description")
        ));
    }
    let applies: Vec<&Value> = list.iter().filter(|s| is_applied(s)).collect();
    if !applies.is_empty() && applies.iter().all(|s| field(s, "state") == "success") {
        let contexts: Vec<String> = applies.iter().map(|s| field(s, "context")).collect();
        return RunState::Applied(contexts.join(", "));
    }
    RunState::Running
}
