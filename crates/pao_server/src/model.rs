//! The JSON shapes of the API. Handlers answer with these types and the OpenAPI document is
//! generated from them (schemars), so the document describes exactly what is sent. The request
//! shapes convert from the orchestrator's by exhaustive destructuring: a field added there
//! fails the build here until it is added to the API too.

use pao_orchestrator::{ChangeState, Operation, RequestDetail, RequestStatus, RequestView, StatusEvent, StatusReport};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A request status (SPEC section 7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum Status {
    Submitted,
    Validating,
    PrOpen,
    PrMerged,
    InProgress,
    Completed,
    Failed,
    Aborted,
    Escalated,
    PrClosed,
}

impl From<RequestStatus> for Status {
    fn from(status: RequestStatus) -> Self {
        match status {
            RequestStatus::Submitted => Self::Submitted,
            RequestStatus::Validating => Self::Validating,
            RequestStatus::PrOpen => Self::PrOpen,
            RequestStatus::PrMerged => Self::PrMerged,
            RequestStatus::InProgress => Self::InProgress,
            RequestStatus::Completed => Self::Completed,
            RequestStatus::Failed => Self::Failed,
            RequestStatus::Aborted => Self::Aborted,
            RequestStatus::Escalated => Self::Escalated,
            RequestStatus::PrClosed => Self::PrClosed,
        }
    }
}

/// What a request does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum OperationDto {
    Create,
    Update,
    Decommission,
}

impl From<Operation> for OperationDto {
    fn from(op: Operation) -> Self {
        match op {
            Operation::Create => Self::Create,
            Operation::Update => Self::Update,
            Operation::Decommission => Self::Decommission,
        }
    }
}

/// The pull request's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum PrState {
    Open,
    Merged,
    Closed,
}

impl From<ChangeState> for PrState {
    fn from(state: ChangeState) -> Self {
        match state {
            ChangeState::Open => Self::Open,
            ChangeState::Merged => Self::Merged,
            ChangeState::Closed => Self::Closed,
        }
    }
}

/// A request as listed.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(missing_docs)]
pub struct Request {
    pub id: String,
    pub team: String,
    pub item: String,
    pub resource: String,
    pub operation: OperationDto,
    pub status: Status,
    pub state: PrState,
    pub requester: String,
    pub version: String,
    pub catalog_commit: String,
    pub correlation_id: String,
    pub branch: String,
    pub head: String,
    pub title: String,
    pub url: Option<String>,
    pub number: Option<u64>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<RequestView> for Request {
    fn from(view: RequestView) -> Self {
        let RequestView {
            id,
            team,
            item,
            resource,
            operation,
            status,
            state,
            requester,
            version,
            catalog_commit,
            correlation_id,
            branch,
            head,
            title,
            url,
            number,
            created_at,
            updated_at,
        } = view;
        Self {
            id,
            team,
            item,
            resource,
            operation: operation.into(),
            status: status.into(),
            state: state.into(),
            requester,
            version,
            catalog_commit,
            correlation_id,
            branch,
            head,
            title,
            url,
            number,
            created_at,
            updated_at,
        }
    }
}

/// One status transition.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct Event {
    pub status: Status,
    pub at: String,
    pub note: String,
}

impl From<StatusEvent> for Event {
    fn from(event: StatusEvent) -> Self {
        let StatusEvent { status, at, note } = event;
        Self { status: status.into(), at, note }
    }
}

/// One request in full.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RequestFull {
    /// The summary.
    #[serde(flatten)]
    pub request: Request,
    /// The desired-state file, parsed (`null` for a decommission).
    pub document: Option<Value>,
    /// The change's diff, unified format.
    pub diff: String,
    /// Status transitions, oldest first.
    pub history: Vec<Event>,
}

impl From<RequestDetail> for RequestFull {
    fn from(detail: RequestDetail) -> Self {
        let RequestDetail { request, document, diff, history } = detail;
        Self { request: request.into(), document, diff, history: history.into_iter().map(Into::into).collect() }
    }
}

/// `{ "request": ... }`, the answer of submit, decommission and get.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct RequestEnvelope<T> {
    /// The request.
    pub request: T,
    /// Whether an earlier call with the same `Idempotency-Key` created it (submissions only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replayed: Option<bool>,
}

/// A request's status and transitions.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct StatusDto {
    pub id: String,
    pub status: Status,
    pub state: PrState,
    pub history: Vec<Event>,
}

impl From<StatusReport> for StatusDto {
    fn from(report: StatusReport) -> Self {
        let StatusReport { id, status, state, history } = report;
        Self { id, status: status.into(), state: state.into(), history: history.into_iter().map(Into::into).collect() }
    }
}

/// `POST /requests`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SubmitBody {
    /// Catalog item id.
    pub item: String,
    /// Item version (default: the item's default version).
    #[serde(default)]
    pub version: Option<String>,
    /// Resource name.
    pub resource: String,
    /// Requesting team (one of the caller's teams).
    pub team: String,
    /// Form values.
    #[serde(default)]
    pub values: Map<String, Value>,
    /// `manual` or `automated`; default: the item's strategy decides.
    #[serde(default)]
    pub fulfillment_hint: Option<HintDto>,
}

/// A fulfilment hint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[allow(missing_docs)]
pub enum HintDto {
    Manual,
    Automated,
}

/// A note for a lifecycle action (`retry`, `abort`, `escalate`); the body may be empty.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteBody {
    /// Why, recorded in the status history.
    #[serde(default)]
    pub reason: Option<String>,
}

/// A catalog entry as listed.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(missing_docs)]
pub struct CatalogSummary {
    pub id: String,
    /// `item` or `bundle`.
    pub kind: String,
    pub name: String,
    pub description: String,
    pub version: String,
    pub category: String,
    pub tags: Vec<String>,
    pub lifecycle: pao_schema::LifecycleStatus,
    pub owner: String,
    /// Response and fulfilment times the owning team commits to, when the item states them.
    pub sla: Option<pao_schema::Sla>,
    /// Since when, until when and what to use instead, for a deprecated entry.
    pub deprecation: Option<pao_schema::Deprecation>,
    /// The file it was read from.
    pub path: String,
}

/// One catalog entry in full.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CatalogEntryDto {
    /// `item` or `bundle`.
    pub kind: String,
    /// The document.
    pub item: Value,
    /// The file it was read from (at the current commit; empty for an older version).
    pub path: String,
    /// The catalog commit it was read at.
    pub commit: String,
}

/// One catalog validation error, as `pao-lint --format json` reports a diagnostic.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(missing_docs)]
pub struct ValidationErrorDto {
    /// The rule code (`PAO201`), or `config` for a broken `pao.toml`.
    pub code: String,
    /// `error` (warnings never leave a file out, so they are not listed).
    pub severity: String,
    /// Path relative to the repository root.
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub end_line: u32,
    pub end_column: u32,
    pub message: String,
    /// How to fix it, when the rule has advice.
    pub help: Option<String>,
}

impl From<&pao_git::ValidationError> for ValidationErrorDto {
    fn from(err: &pao_git::ValidationError) -> Self {
        Self {
            code: err.code.clone(),
            severity: err.severity.as_str().to_owned(),
            file: err.file.clone(),
            line: err.line,
            column: err.column,
            end_line: err.end_line,
            end_column: err.end_column,
            message: err.message.clone(),
            help: err.help.clone(),
        }
    }
}

/// The caller, as `GET /me` describes them.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MeDto {
    /// User id.
    pub user: String,
    /// E-mail address, when the token or gateway gives one.
    pub email: Option<String>,
    /// The caller's teams: the teams they may submit for and whose requests they see.
    pub teams: Vec<String>,
    /// Whether one of the teams is an admin team (`[auth] admin-teams`): every team's requests.
    pub admin: bool,
}

/// The result of a catalog refresh.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(missing_docs)]
pub struct RefreshDto {
    pub commit: String,
    pub changed: bool,
    pub items: usize,
    pub validation_errors: usize,
    pub cache_hit: bool,
}
