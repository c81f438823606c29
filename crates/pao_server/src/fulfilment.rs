//! The server's side of fulfilment: the shared [`pao_executor::Executor`] with the handle that
//! wakes the in-process worker loop (`pao serve --worker`), the answers the fulfilment routes
//! give (typed for the OpenAPI document) and how executor errors become the error envelope.

use std::sync::Arc;

use pao_executor::{ExecError, Executor, WakeHandle};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::ApiError;

/// The executor every handler shares, and the worker loop's wake-up handle.
#[derive(Debug, Clone)]
pub struct Fulfilment {
    executor: Arc<Executor>,
    wake: WakeHandle,
}

impl Fulfilment {
    /// Over `executor`; `wake` is the handle of the worker loop, if one runs.
    pub fn new(executor: Arc<Executor>, wake: WakeHandle) -> Self {
        Self { executor, wake }
    }

    /// The executor.
    pub fn executor(&self) -> &Arc<Executor> {
        &self.executor
    }

    /// The worker loop's handle (waking it when no loop runs does nothing).
    pub fn wake_handle(&self) -> &WakeHandle {
        &self.wake
    }

    /// Starts the worker loop's next pass now.
    pub fn wake(&self) {
        self.wake.wake();
    }
}

impl From<ExecError> for ApiError {
    fn from(err: ExecError) -> Self {
        let err = match err {
            ExecError::Orchestrator(inner) => return inner.into(),
            other => other,
        };
        let kind = err.kind();
        let code = match &err {
            ExecError::Orchestrator(_) => "orchestrator",
            ExecError::InvalidId(_) => "invalid_request_id",
            ExecError::NotMerged { .. } => "not_merged",
            ExecError::Busy { .. } => "request_busy",
            ExecError::LeaseLost { .. } => "lease_lost",
            ExecError::WrongStatus { .. } => "wrong_status",
            ExecError::Request { .. } => "request_unreadable",
            ExecError::Escalation { .. } => "escalation_failed",
            ExecError::Setup(_) => "fulfilment_unavailable",
            ExecError::Backend(inner) if kind == pao_git::ErrorKind::NotFound => {
                return ApiError::not_found("request_not_found", inner.to_string());
            }
            ExecError::Backend(_) => "state_repository",
        };
        if kind == pao_git::ErrorKind::Internal {
            let mut api = ApiError::internal(&err);
            api.code = code;
            return api;
        }
        let mut api = ApiError::new(kind, code, err.to_string());
        if kind == pao_git::ErrorKind::Busy {
            api.retry_after = Some(5);
        }
        api
    }
}

/// Where a request's fulfilment stands: `fulfilment` of `GET /requests/{id}` and `/status`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FulfilmentDto {
    /// The request's status.
    pub status: String,
    /// What it waits for, when it waits on something outside (a ticket, a run).
    pub waiting_on: Option<String>,
    /// The automated failure that sent it to the manual list.
    pub failed_over: Option<FailureDto>,
    /// Every action that ran, in order, with its outcome.
    pub actions: Vec<ActionDto>,
    /// Escalations, oldest first.
    pub escalations: Vec<EscalationDto>,
    /// The error that failed it.
    pub error: Option<String>,
    /// Whether a worker holds the request's lease now.
    #[serde(default)]
    pub running: bool,
}

/// The failure context (`failure.*` in manual templates).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FailureDto {
    /// The failed action's id.
    pub action: String,
    /// Its error (secrets masked).
    pub error: String,
    /// When, RFC 3339.
    pub timestamp: String,
}

/// Something an action created outside PAO.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReferenceDto {
    /// `jira`, `github-run`, `http`, `terraform`, ...
    pub system: String,
    /// The issue key, run id, commit, ...
    pub id: String,
    /// Where a person can look at it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// One action's outcome.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ActionDto {
    /// `automated` or `manual`.
    pub list: String,
    /// The action id.
    pub id: String,
    /// Its type.
    #[serde(rename = "type")]
    pub action_type: String,
    /// `pending`, `running`, `waiting`, `succeeded` or `failed`.
    pub status: String,
    /// Attempts made in this round.
    pub attempts: u32,
    /// The first attempt's start, RFC 3339.
    pub started_at: Option<String>,
    /// When it succeeded or failed, RFC 3339.
    pub finished_at: Option<String>,
    /// What it created.
    pub reference: Option<ReferenceDto>,
    /// Its outputs.
    pub outputs: Map<String, Value>,
    /// The last error (secrets masked).
    pub error: Option<String>,
    /// The `Idempotency-Key` its calls carry.
    pub idempotency_key: Option<String>,
}

/// An escalation.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EscalationDto {
    /// Who escalated.
    pub by: String,
    /// Why.
    pub note: String,
    /// The ticket, when `[escalation]` is configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<ReferenceDto>,
    /// The ticket's description as sent (secrets masked).
    pub description: String,
    /// When, RFC 3339.
    pub at: String,
}

/// `GET /requests/{id}/escalation`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EscalationAnswer {
    /// Request id.
    pub id: String,
    /// Whether it was ever escalated.
    pub escalated: bool,
    /// The last escalation.
    pub escalation: Option<EscalationDto>,
}

/// One fulfilment log entry.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LogEntryDto {
    /// The commit holding it: pass it as `?after=` to read only what came later.
    pub commit: String,
    /// When it was written, RFC 3339.
    pub at: String,
    /// The one-line summary.
    pub summary: String,
    /// The record (`event` names its kind), secrets masked.
    pub record: Value,
}

/// `GET /requests/{id}/logs`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LogsAnswer {
    /// Request id.
    pub id: String,
    /// The request's status.
    pub status: String,
    /// Status transitions and fulfilment records, oldest first.
    pub entries: Vec<LogEntryDto>,
    /// The last entry's commit (`?after=` cursor), when there is one.
    pub cursor: Option<String>,
    /// Whether more may come: the request is not settled or a worker holds it.
    pub follow: bool,
}

/// The answer of `retry`, `abort` and `escalate`: the request and its fulfilment.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LifecycleAnswer {
    /// The request.
    pub request: crate::model::Request,
    /// Its fulfilment after the operation.
    pub fulfilment: FulfilmentDto,
    /// The escalation just recorded (`escalate` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalation: Option<EscalationDto>,
}

/// `GET /requests/{id}`: the request in full and its fulfilment.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RequestWithFulfilment {
    /// The request.
    #[serde(flatten)]
    pub request: crate::model::RequestFull,
    /// Its fulfilment: every action's outcome once executed.
    pub fulfilment: FulfilmentDto,
}

/// `GET /requests/{id}/status`: status, transitions and fulfilment.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatusWithFulfilment {
    /// Status and transitions.
    #[serde(flatten)]
    pub status: crate::model::StatusDto,
    /// Every action's outcome.
    pub fulfilment: FulfilmentDto,
}

/// A value of the executor's types in the server's documented shape.
///
/// # Errors
/// A 500 when the shapes disagree (a bug: the OpenAPI test checks them).
pub fn convert<T: Serialize, U: serde::de::DeserializeOwned>(value: &T) -> Result<U, ApiError> {
    serde_json::to_value(value)
        .and_then(serde_json::from_value)
        .map_err(|err| ApiError::internal(format!("fulfilment answer shape: {err}")))
}

/// The report as documented, with whether a worker holds the request.
///
/// # Errors
/// As [`convert`].
pub fn fulfilment_dto(report: &pao_executor::ExecutionReport, running: bool) -> Result<FulfilmentDto, ApiError> {
    let mut dto: FulfilmentDto = convert(report_without_id(report)?.as_object().unwrap_or(&Map::new()))?;
    dto.running = running;
    Ok(dto)
}

fn report_without_id(report: &pao_executor::ExecutionReport) -> Result<Value, ApiError> {
    let mut value =
        serde_json::to_value(report).map_err(|err| ApiError::internal(format!("fulfilment report: {err}")))?;
    if let Some(object) = value.as_object_mut() {
        object.remove("id");
    }
    Ok(value)
}
