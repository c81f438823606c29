//! `webhook`: a POST of `payload` (default: the request's facts) signed with
//! `X-Pao-Signature-256: sha256=<hex HMAC-SHA256 of the body with the named secret>`, the
//! scheme GitHub uses for its own webhooks, so receivers verify it the same way.

mod request;
#[cfg(test)]
mod tests;

use pao_schema::WebhookConfig;
use serde_json::Map;

use super::{Done, Env, secret};
use crate::http::ActionError;

pub(crate) use request::build_call;

/// One attempt.
pub(crate) async fn run(config: &WebhookConfig, env: &Env<'_>) -> Result<Done, ActionError> {
    let key = secret(env, &config.secret).await?;
    let call = build_call(config, env.request, &key, env.timeout, &env.idempotency_key);
    let response = env.http.send(&call).await?;
    let mut outputs = Map::new();
    outputs.insert("status".into(), response.status.into());
    Ok(Done::Completed { outputs, reference: None })
}
