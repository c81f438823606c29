//! The request routes that read or drive fulfilment: `GET /requests/{id}` and `/status` with
//! every action's outcome, `/logs` (the fulfilment log, `?after=` to follow it), `retry`,
//! `abort`, `escalate` and `/escalation`, over the shared [`pao_executor::Executor`].
//!
//! Who may act: like every request route, members of the request's team and administrators
//! (`[auth] admin-teams`); anyone else gets 403 and nothing changes. The caller's user id is
//! recorded as who retried, aborted or escalated.
//!
//! `retry` executes the request again; it answers when the execution settles or after
//! [`SETTLE_WAIT`], whichever comes first (the execution goes on either way and the answer
//! says `in_progress`), so a slow target never holds a connection past the server's timeout.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use pao_git::RequestStatus;
use pao_orchestrator::RequestView;
use serde::Deserialize;

use crate::auth::Identity;
use crate::context::ApiContext;
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery, OptionalJson};
use crate::fulfilment::{
    EscalationAnswer, EscalationDto, LifecycleAnswer, LogEntryDto, LogsAnswer, RequestWithFulfilment,
    StatusWithFulfilment, convert, fulfilment_dto,
};
use crate::model::{NoteBody, RequestEnvelope};

/// The longest a lifecycle call waits for an execution it started before answering.
pub const SETTLE_WAIT: Duration = Duration::from_secs(10);

/// `GET /requests/{id}/logs` query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogsQuery {
    /// The `commit` of the last entry already read.
    after: Option<String>,
}

async fn blocking<T: Send + 'static, E: Into<ApiError> + Send + 'static>(
    work: impl FnOnce() -> Result<T, E> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work).await?.map_err(Into::into)
}

/// The request, when the caller may see it: 404 when there is none, 403 outside their teams.
async fn visible(ctx: &ApiContext, who: &Identity, id: String) -> Result<RequestView, ApiError> {
    let orchestrator = ctx.orchestrator().clone();
    let view = blocking(move || orchestrator.view(&id)).await?;
    who.require_team(&view.team)?;
    Ok(view)
}

async fn fulfilment_of(ctx: &ApiContext, id: &str) -> Result<crate::fulfilment::FulfilmentDto, ApiError> {
    let executor = Arc::clone(ctx.fulfilment().executor());
    let id = id.to_owned();
    let (report, running) = blocking(move || {
        let report = executor.report(&id)?;
        let running = executor.running(&id)?;
        Ok::<_, pao_executor::ExecError>((report, running))
    })
    .await?;
    fulfilment_dto(&report, running)
}

async fn lifecycle_answer(
    ctx: &ApiContext,
    id: &str,
    escalation: Option<EscalationDto>,
) -> Result<Json<LifecycleAnswer>, ApiError> {
    let orchestrator = ctx.orchestrator().clone();
    let owned = id.to_owned();
    let view = blocking(move || orchestrator.view(&owned)).await?;
    ctx.metrics().observe_request(view.status.as_str(), &view.item);
    tracing::info!(request_id = %view.id, status = view.status.as_str(), "request status changed");
    let fulfilment = fulfilment_of(ctx, id).await?;
    Ok(Json(LifecycleAnswer { request: view.into(), fulfilment, escalation }))
}

fn note(body: Option<NoteBody>, default: &str) -> String {
    body.and_then(|b| b.reason).filter(|r| !r.trim().is_empty()).unwrap_or_else(|| default.to_owned())
}

/// `GET /requests/{id}`: the request in full, with every action's outcome once executed.
pub async fn get(
    State(ctx): State<ApiContext>,
    who: Identity,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<RequestEnvelope<RequestWithFulfilment>>, ApiError> {
    let view = visible(&ctx, &who, id).await?;
    let orchestrator = ctx.orchestrator().clone();
    let owned = view.id.clone();
    let detail = blocking(move || orchestrator.get(&owned)).await?;
    let fulfilment = fulfilment_of(&ctx, &view.id).await?;
    Ok(Json(RequestEnvelope { request: RequestWithFulfilment { request: detail.into(), fulfilment }, replayed: None }))
}

/// `GET /requests/{id}/status`: status, transitions and every action's outcome. With the
/// local backend the answer is kept by the ids of the refs it is read from and served again
/// while they have not moved ([`crate::cache::StatusAnswers`]); `running` is read per call.
pub async fn status(
    State(ctx): State<ApiContext>,
    who: Identity,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, ApiError> {
    let parsed = pao_git::RequestId::parse(&id).ok().filter(|_| ctx.status_answers().enabled());
    let Some(parsed) = parsed else { return Ok(Json(status_uncached(&ctx, &who, id).await?.1).into_response()) };
    let id = parsed.to_string();
    // Read on the async thread: a few small ref files, already in the page cache, cost less
    // than handing the call to a blocking thread and back (which dominated a profile at c=100).
    let answers = ctx.status_answers();
    let Some((key, leased)) = answers.read_refs(&id).ok().and_then(|refs| Some((refs.key?, refs.leased))) else {
        return Ok(Json(status_uncached(&ctx, &who, id).await?.1).into_response());
    };
    if !leased && let Some((team, idle)) = answers.get_idle(&id, &key) {
        who.require_team(&team)?;
        return Ok(super::json_bytes(idle));
    }
    if leased && let Some(kept) = answers.get(&id, &key) {
        who.require_team(&kept.team)?;
        let executor = Arc::clone(ctx.fulfilment().executor());
        let owned = id.clone();
        let mut answer = kept.answer;
        answer.fulfilment.running = blocking(move || executor.running(&owned)).await?;
        return Ok(Json(answer).into_response());
    }
    let (team, answer) = status_uncached(&ctx, &who, id.clone()).await?;
    // Kept only when the refs did not move while it was read, so it is the answer of `key`.
    if answers.read_refs(&id).ok().and_then(|refs| refs.key) == Some(key) {
        answers.put(id, key, team, answer.clone());
    }
    Ok(Json(answer).into_response())
}

/// The status answer read from Git, with the request's team.
async fn status_uncached(
    ctx: &ApiContext,
    who: &Identity,
    id: String,
) -> Result<(String, StatusWithFulfilment), ApiError> {
    let view = visible(ctx, who, id).await?;
    let orchestrator = ctx.orchestrator().clone();
    let owned = view.id.clone();
    let report = blocking(move || orchestrator.status(&owned)).await?;
    let fulfilment = fulfilment_of(ctx, &view.id).await?;
    Ok((view.team, StatusWithFulfilment { status: report.into(), fulfilment }))
}

/// `GET /requests/{id}/logs[?after=<commit>]`: the fulfilment log, oldest first; with `after`,
/// only what came after that entry. `follow` says whether more may come.
pub async fn logs(
    State(ctx): State<ApiContext>,
    who: Identity,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<LogsQuery>,
) -> Result<Json<LogsAnswer>, ApiError> {
    if let Some(after) = &query.after
        && !(after.len() == 40 && after.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return Err(ApiError::bad_request(
            "invalid_query",
            "after must be the 40-hex `commit` of a log entry this route returned (omit it to read the whole log)",
        ));
    }
    let view = visible(&ctx, &who, id).await?;
    let executor = Arc::clone(ctx.fulfilment().executor());
    let owned = view.id.clone();
    let (entries, running) = blocking(move || {
        let entries = executor.logs(&owned, query.after.as_deref())?;
        let running = executor.running(&owned)?;
        Ok::<_, pao_executor::ExecError>((entries, running))
    })
    .await?;
    let entries: Vec<LogEntryDto> = entries.iter().map(convert).collect::<Result<_, _>>()?;
    let settled = !matches!(view.status, RequestStatus::PrMerged | RequestStatus::InProgress);
    Ok(Json(LogsAnswer {
        id: view.id,
        status: view.status.as_str().to_owned(),
        cursor: entries.last().map(|e| e.commit.clone()),
        entries,
        follow: running || !settled,
    }))
}

/// `POST /requests/{id}/retry`: a `failed` or `escalated` request runs its failed action
/// again, then the rest. 409 `wrong_status` otherwise; 503 `request_busy` while a worker holds
/// it.
pub async fn retry(
    State(ctx): State<ApiContext>,
    who: Identity,
    ApiPath(id): ApiPath<String>,
    OptionalJson(_body): OptionalJson<NoteBody>,
) -> Result<Json<LifecycleAnswer>, ApiError> {
    let view = visible(&ctx, &who, id).await?;
    let executor = Arc::clone(ctx.fulfilment().executor());
    let (owned, by) = (view.id.clone(), who.user.clone());
    let mut running = tokio::spawn(async move { executor.retry(&owned, &by).await });
    match tokio::time::timeout(SETTLE_WAIT, &mut running).await {
        Ok(joined) => {
            joined??;
        }
        Err(_) => tracing::info!(request_id = %view.id, "retry still executing; answering now"),
    }
    lifecycle_answer(&ctx, &view.id, None).await
}

/// `POST /requests/{id}/abort`: status `aborted`; an open pull request is closed. 409 when the
/// request is already settled.
pub async fn abort(
    State(ctx): State<ApiContext>,
    who: Identity,
    ApiPath(id): ApiPath<String>,
    OptionalJson(body): OptionalJson<NoteBody>,
) -> Result<Json<LifecycleAnswer>, ApiError> {
    let view = visible(&ctx, &who, id).await?;
    let executor = Arc::clone(ctx.fulfilment().executor());
    executor.abort(&view.id, &who.user, &note(body, "aborted through the API")).await?;
    lifecycle_answer(&ctx, &view.id, None).await
}

/// `POST /requests/{id}/escalate`: a ticket from `[escalation]` with the request, what
/// succeeded, the error and cleanup guidance; status `escalated`. 502 `escalation_failed`
/// when JIRA refuses the ticket (nothing changes then).
pub async fn escalate(
    State(ctx): State<ApiContext>,
    who: Identity,
    ApiPath(id): ApiPath<String>,
    OptionalJson(body): OptionalJson<NoteBody>,
) -> Result<Json<LifecycleAnswer>, ApiError> {
    let view = visible(&ctx, &who, id).await?;
    let executor = Arc::clone(ctx.fulfilment().executor());
    let record = executor.escalate(&view.id, &who.user, &note(body, "escalated through the API")).await?;
    lifecycle_answer(&ctx, &view.id, Some(convert(&record)?)).await
}

/// `GET /requests/{id}/escalation`: the last escalation (ticket, description, who, when).
pub async fn escalation(
    State(ctx): State<ApiContext>,
    who: Identity,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<EscalationAnswer>, ApiError> {
    let view = visible(&ctx, &who, id).await?;
    let executor = Arc::clone(ctx.fulfilment().executor());
    let owned = view.id.clone();
    let record = blocking(move || executor.escalation(&owned)).await?;
    let escalation: Option<EscalationDto> = record.as_ref().map(convert).transpose()?;
    Ok(Json(EscalationAnswer { id: view.id, escalated: escalation.is_some(), escalation }))
}
