//! `/webhooks/*`: events from GitHub, JIRA and Terraform, each verified with its shared secret
//! in constant time before anything is read from the body. A bad or missing signature is a
//! 401 and changes nothing.
//!
//! GitHub: `ping`; `push` reloads the catalog; `pull_request` `closed` marks the request whose
//! branch it is `pr_merged` (merged) or `pr_closed` (not merged); both wake the worker loop
//! (`pao serve --worker`), so a merged request starts at once. JIRA (`X-Hub-Signature:
//! sha256=<hex>`) and Terraform (`X-TFE-Notification-Signature: <hex HMAC-SHA512>`) deliveries
//! are handed to the executor, which records the ticket's or run's outcome on the waiting
//! action and continues the request.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use hmac::{Hmac, Mac};
use pao_orchestrator::{ChangeState, RequestStatus};
use serde_json::{Value, json};
use sha2::{Sha256, Sha512};

use crate::context::ApiContext;
use crate::error::ApiError;
use crate::extract::{body_bytes, parse_json};

/// Whether `signature` (hex, after `prefix`) is the HMAC of `body` under `secret`.
fn verify<M: Mac + hmac::digest::KeyInit>(secret: &[u8], body: &[u8], signature: Option<&str>, prefix: &str) -> bool {
    let Some(hex_text) = signature.and_then(|s| s.trim().strip_prefix(prefix)) else { return false };
    let Ok(expected) = hex::decode(hex_text) else { return false };
    let Ok(mut mac) = <M as hmac::digest::KeyInit>::new_from_slice(secret) else { return false };
    mac.update(body);
    // `verify_slice` compares in constant time.
    mac.verify_slice(&expected).is_ok()
}

fn unsigned(source: &str, header: &str, variable: &str) -> ApiError {
    ApiError::unauthenticated(format!(
        "the {source} webhook signature is missing or wrong: {header} must be the HMAC of the body with the secret in {variable}"
    ))
}

fn not_configured(source: &str, variable: &str) -> ApiError {
    ApiError::unauthenticated(format!(
        "{source} webhooks are not accepted: the server has no secret (set {variable} to the webhook's secret)"
    ))
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// `POST /webhooks/github`.
pub async fn github(State(ctx): State<ApiContext>, request: Request) -> Result<(StatusCode, Json<Value>), ApiError> {
    let headers = request.headers().clone();
    let body = body_bytes(request, &ctx).await?;
    let secret = ctx.secrets().github.clone().ok_or_else(|| not_configured("GitHub", "GITHUB_WEBHOOK_SECRET"))?;
    if !verify::<Hmac<Sha256>>(&secret, &body, header(&headers, "x-hub-signature-256"), "sha256=") {
        return Err(unsigned("GitHub", "X-Hub-Signature-256", "GITHUB_WEBHOOK_SECRET"));
    }
    let event = header(&headers, "x-github-event").unwrap_or_default().to_owned();
    let delivery = header(&headers, "x-github-delivery").unwrap_or_default().to_owned();
    tracing::info!(event = %event, delivery = %delivery, "GitHub webhook received");
    match event.as_str() {
        "ping" => Ok((StatusCode::OK, Json(json!({ "event": "ping", "processed": true })))),
        "push" => {
            let done = ctx
                .refresh_catalog("GitHub push")
                .await
                .map_err(|err| ApiError::unavailable("catalog_unavailable", err, 5))?;
            ctx.fulfilment().wake();
            Ok((StatusCode::OK, Json(json!({ "event": "push", "processed": true, "catalogCommit": done.commit }))))
        }
        "pull_request" => pull_request(&ctx, &parse_json::<Value>(&body)?).await,
        _ => Ok((StatusCode::ACCEPTED, Json(json!({ "event": event, "processed": false })))),
    }
}

/// A `pull_request` event: `closed` moves the request whose branch it is.
async fn pull_request(ctx: &ApiContext, payload: &Value) -> Result<(StatusCode, Json<Value>), ApiError> {
    let action = payload.pointer("/action").and_then(Value::as_str).unwrap_or_default();
    let branch = payload.pointer("/pull_request/head/ref").and_then(Value::as_str).unwrap_or_default();
    let merged = payload.pointer("/pull_request/merged").and_then(Value::as_bool).unwrap_or(false);
    let Some(id) = branch.strip_prefix(pao_git::REQUEST_BRANCH_PREFIX) else {
        return Ok((
            StatusCode::ACCEPTED,
            Json(json!({ "event": "pull_request", "processed": false, "reason": "not a request branch" })),
        ));
    };
    if action != "closed" {
        return Ok((
            StatusCode::ACCEPTED,
            Json(json!({ "event": "pull_request", "processed": false, "action": action })),
        ));
    }
    let to = if merged { RequestStatus::PrMerged } else { RequestStatus::PrClosed };
    let orchestrator = ctx.orchestrator().clone();
    let id = id.to_owned();
    let result = tokio::task::spawn_blocking(move || {
        let current = orchestrator.view(&id)?;
        // Redelivered, or already moved on (merged through PAO, then executed): nothing to do.
        let settled = match to {
            RequestStatus::PrMerged => current.state == ChangeState::Merged,
            _ => current.state == ChangeState::Closed,
        };
        if current.status == to || settled {
            return Ok(current);
        }
        orchestrator.transition(&id, to, "pull request closed on GitHub")
    })
    .await?;
    match result {
        Ok(view) => {
            ctx.metrics().observe_request(view.status.as_str(), &view.item);
            if view.status == RequestStatus::PrMerged {
                ctx.fulfilment().wake();
            }
            Ok((
                StatusCode::OK,
                Json(json!({ "event": "pull_request", "processed": true, "request": view.id, "status": view.status })),
            ))
        }
        Err(err) => Err(err.into()),
    }
}

/// Verifies a delivery with the source's secret and parses its JSON body.
async fn verified(
    ctx: &ApiContext,
    request: Request,
    source: &str,
    variable: &str,
    signature: (&str, &str),
    verify_with: fn(&[u8], &[u8], Option<&str>, &str) -> bool,
) -> Result<Value, ApiError> {
    let headers = request.headers().clone();
    let body = body_bytes(request, ctx).await?;
    let secret = match source {
        "JIRA" => ctx.secrets().jira.clone(),
        _ => ctx.secrets().terraform.clone(),
    }
    .ok_or_else(|| not_configured(source, variable))?;
    let (name, prefix) = signature;
    if !verify_with(&secret, &body, header(&headers, name), prefix) {
        return Err(unsigned(source, name, variable));
    }
    ctx.metrics().webhook(source);
    parse_json(&body)
}

/// What a webhook asks the executor to do with its payload.
type Deliver = fn(
    std::sync::Arc<pao_executor::Executor>,
    Value,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = DeliverResult> + Send>>;

/// The executor's answer to a delivery.
type DeliverResult = Result<Option<pao_executor::ExecutionReport>, pao_executor::ExecError>;

/// Hands a verified delivery to the executor and answers when it has acted, or after
/// [`super::fulfilment::SETTLE_WAIT`] (the execution it started goes on): 200 with the request
/// it moved, 202 `processed: false` when the event is about nothing PAO waits for.
async fn deliver(
    ctx: &ApiContext,
    source: &'static str,
    payload: Value,
    act: Deliver,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let executor = std::sync::Arc::clone(ctx.fulfilment().executor());
    let mut task = tokio::spawn(act(executor, payload));
    let outcome = match tokio::time::timeout(super::fulfilment::SETTLE_WAIT, &mut task).await {
        Ok(joined) => joined?,
        Err(_) => {
            tracing::info!(source, "webhook: the execution it started is still running; answering now");
            return Ok((StatusCode::ACCEPTED, Json(json!({ "source": source, "processed": true, "settled": false }))));
        }
    };
    // Whatever happened, a worker loop should look again (a busy request is finished by its
    // holder, which polls the ticket or run itself).
    ctx.fulfilment().wake();
    match outcome {
        Ok(Some(report)) => {
            tracing::info!(source, request_id = %report.id, status = %report.status, "webhook moved a request");
            Ok((
                StatusCode::OK,
                Json(json!({ "source": source, "processed": true, "request": report.id, "status": report.status })),
            ))
        }
        Ok(None) => Ok((
            StatusCode::ACCEPTED,
            Json(
                json!({ "source": source, "processed": false, "reason": "no waiting action of a request is about this event, or it is not finished yet" }),
            ),
        )),
        Err(pao_executor::ExecError::Busy { id, .. }) => Ok((
            StatusCode::ACCEPTED,
            Json(
                json!({ "source": source, "processed": false, "request": id, "reason": "a worker is executing the request; it reads the outcome itself" }),
            ),
        )),
        Err(err) => Err(err.into()),
    }
}

/// `POST /webhooks/jira`: an issue event (`X-Hub-Signature: sha256=<hex HMAC-SHA256>` with
/// `JIRA_WEBHOOK_SECRET`). A waiting `jira-ticket` action's issue resolved Done completes the
/// action (and the request continues); Won't Do, Won't Fix, Declined, Cancelled or Rejected
/// fails it.
pub async fn jira(State(ctx): State<ApiContext>, request: Request) -> Result<(StatusCode, Json<Value>), ApiError> {
    let payload =
        verified(&ctx, request, "JIRA", "JIRA_WEBHOOK_SECRET", ("x-hub-signature", "sha256="), verify::<Hmac<Sha256>>)
            .await?;
    deliver(&ctx, "jira", payload, |executor, payload| Box::pin(async move { executor.jira_webhook(&payload).await }))
        .await
}

/// `POST /webhooks/terraform`: an HCP Terraform (Terraform Cloud) run notification
/// (`X-TFE-Notification-Signature: <hex HMAC-SHA512>` with `TERRAFORM_WEBHOOK_SECRET`), or the
/// same shape from another pipeline. A run whose message names a waiting `terraform` action
/// (`pao-<request-id>.<action-id>`, in every commit PAO writes) completes it when applied (or
/// planned with no changes) and fails it when errored, discarded or cancelled.
pub async fn terraform(State(ctx): State<ApiContext>, request: Request) -> Result<(StatusCode, Json<Value>), ApiError> {
    let payload = verified(
        &ctx,
        request,
        "Terraform",
        "TERRAFORM_WEBHOOK_SECRET",
        ("x-tfe-notification-signature", ""),
        verify::<Hmac<Sha512>>,
    )
    .await?;
    deliver(&ctx, "terraform", payload, |executor, payload| {
        Box::pin(async move { executor.terraform_webhook(&payload).await })
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_checked() {
        let mut mac = <Hmac<Sha256> as hmac::digest::KeyInit>::new_from_slice(b"s3cret").unwrap();
        mac.update(b"{}");
        let good = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
        assert!(verify::<Hmac<Sha256>>(b"s3cret", b"{}", Some(&good), "sha256="));
        assert!(!verify::<Hmac<Sha256>>(b"other", b"{}", Some(&good), "sha256="));
        assert!(!verify::<Hmac<Sha256>>(b"s3cret", b"{ }", Some(&good), "sha256="));
        assert!(!verify::<Hmac<Sha256>>(b"s3cret", b"{}", None, "sha256="));
        assert!(!verify::<Hmac<Sha256>>(b"s3cret", b"{}", Some("sha256=zz"), "sha256="));
    }
}
