//! `/requests`: submit, list and decommission, each limited to the caller's teams
//! (administrators: every team). The routes that read or drive fulfilment (`get`, `status`,
//! `logs`, `retry`, `abort`, `escalate`, `escalation`) are in [`super::fulfilment`].

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use pao_orchestrator::{Hint, RequestFilter, RequestStatus, RequestView, Requester, SubmitRequest};
use serde::Deserialize;

use crate::auth::Identity;
use crate::context::ApiContext;
use crate::correlation;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::model::{Request, RequestEnvelope, SubmitBody};
use crate::pagination::{Page, paginate};

/// `GET /requests` query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    status: Option<String>,
    team: Option<String>,
    requestor: Option<String>,
    limit: Option<usize>,
    cursor: Option<String>,
}

/// Runs blocking orchestrator work off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, pao_orchestrator::OrchestratorError> + Send + 'static,
) -> Result<T, ApiError> {
    Ok(tokio::task::spawn_blocking(work).await??)
}

/// The `Idempotency-Key` header: 1-200 visible ASCII characters.
fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get("idempotency-key") else { return Ok(None) };
    let text =
        value.to_str().ok().filter(|t| !t.is_empty() && t.len() <= 200 && t.bytes().all(|b| b.is_ascii_graphic()));
    text.map(|t| Some(t.to_owned())).ok_or_else(|| {
        ApiError::bad_request(
            "invalid_idempotency_key",
            "Idempotency-Key must be 1 to 200 visible ASCII characters (a UUID is a good choice)",
        )
    })
}

fn requester(who: &Identity) -> Requester {
    Requester { id: who.user.clone(), email: who.email.clone() }
}

/// The request, when the caller may see it: 404 when there is none, 403 outside their teams.
async fn visible(ctx: &ApiContext, who: &Identity, id: String) -> Result<RequestView, ApiError> {
    let orchestrator = ctx.orchestrator().clone();
    let view = blocking(move || orchestrator.view(&id)).await?;
    who.require_team(&view.team)?;
    Ok(view)
}

/// `POST /requests`: 202 with the opened request.
///
/// The write runs in a task of its own: once it has begun, the timeout waits for it
/// ([`super::Commit`]), and a client that goes away mid-call does not stop it halfway. Its
/// outcome is logged either way (`request submitted`, with the request id), so every request
/// written is in the log even when its answer could not be sent.
pub async fn submit(
    State(ctx): State<ApiContext>,
    who: Identity,
    commit: super::Commit,
    headers: HeaderMap,
    ApiJson(body): ApiJson<SubmitBody>,
) -> Result<(StatusCode, Json<RequestEnvelope<Request>>), ApiError> {
    who.require_team(&body.team)?;
    let correlation_id = correlation::current();
    let request = SubmitRequest {
        item: body.item,
        version: body.version,
        team: body.team,
        resource: body.resource,
        values: body.values,
        requester: requester(&who),
        hint: match body.fulfillment_hint {
            None => Hint::Auto,
            Some(crate::model::HintDto::Manual) => Hint::Manual,
            Some(crate::model::HintDto::Automated) => Hint::Automated,
        },
        idempotency_key: idempotency_key(&headers)?,
        correlation_id: correlation_id.clone(),
    };
    commit.begin();
    let task_ctx = ctx.clone();
    let written = tokio::spawn(async move {
        let orchestrator = task_ctx.orchestrator().clone();
        let done = blocking(move || orchestrator.submit(&request)).await?;
        if !done.replayed {
            task_ctx.metrics().observe_request(done.request.status.as_str(), &done.request.item);
        }
        tracing::info!(
            correlation_id = correlation_id.unwrap_or_default(), request_id = %done.request.id,
            team = %done.request.team, item = %done.request.item, replayed = done.replayed, "request submitted"
        );
        Ok::<_, ApiError>(done)
    });
    let done = written.await??;
    Ok((StatusCode::ACCEPTED, Json(RequestEnvelope { request: done.request.into(), replayed: Some(done.replayed) })))
}

/// `GET /requests`: newest first; `team` must be one of the caller's (administrators: any);
/// without `team`, the caller's teams' requests. `requestor=me` is the caller.
pub async fn list(
    State(ctx): State<ApiContext>,
    who: Identity,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<Page<Request>>, ApiError> {
    if let Some(team) = &query.team {
        who.require_team(team)?;
    }
    let status = query
        .status
        .as_deref()
        .map(|s| {
            RequestStatus::parse(s).ok_or_else(|| {
                ApiError::bad_request(
                    "invalid_query",
                    format!(
                        "status `{}` is not one of submitted, validating, pr_open, pr_merged, in_progress, completed, failed, aborted, escalated, pr_closed",
                        s.escape_debug()
                    ),
                )
            })
        })
        .transpose()?;
    let requestor = match query.requestor.as_deref() {
        Some("me") => Some(who.user.clone()),
        other => other.map(str::to_owned),
    };
    let filter = RequestFilter { team: query.team.clone(), status, requestor };
    let index_ctx = ctx.clone();
    let listed = filter.clone();
    let views = blocking(move || index_ctx.index().list(&listed)).await?;
    // Lazily: only the page (and one beyond) is converted.
    let visible =
        views.iter().filter(|v| filter.matches(v) && who.may_act_for(&v.team)).map(|v| Request::from(v.clone()));
    let page = paginate(
        visible,
        "requests",
        query.cursor.as_deref(),
        query.limit,
        |r| format!("{}\u{1f}{}", r.created_at, r.id),
        |a, b| a < b,
    )?;
    Ok(Json(page))
}

/// `DELETE /requests/{id}`: a pull request removing the resource's desired-state file (202).
pub async fn decommission(
    State(ctx): State<ApiContext>,
    who: Identity,
    headers: HeaderMap,
    ApiPath(id): ApiPath<String>,
) -> Result<(StatusCode, Json<RequestEnvelope<Request>>), ApiError> {
    let view = visible(&ctx, &who, id).await?;
    let key = idempotency_key(&headers)?;
    let orchestrator = ctx.orchestrator().clone();
    let requester = requester(&who);
    let correlation_id = correlation::current();
    let done = blocking(move || {
        orchestrator.decommission_by_id(&view.id, &requester, key.as_deref(), correlation_id.as_deref())
    })
    .await?;
    if !done.replayed {
        ctx.metrics().observe_request(done.request.status.as_str(), &done.request.item);
    }
    Ok((StatusCode::ACCEPTED, Json(RequestEnvelope { request: done.request.into(), replayed: Some(done.replayed) })))
}
