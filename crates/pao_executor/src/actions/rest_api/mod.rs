//! `rest-api`: one HTTP call (method, headers, JSON or text body, auth from the secrets
//! provider), checked against `expectStatus` (default: any 2xx); `outputs` are read from the
//! JSON answer by JSON Pointer.

mod request;
#[cfg(test)]
mod tests;

use pao_schema::{AuthType, RestApiConfig};
use serde_json::Map;

use super::{Done, Env, secret};
use crate::http::{ActionError, Body, Call};

pub(crate) use request::{build_call, extract_outputs};

/// One attempt.
pub(crate) async fn run(config: &RestApiConfig, env: &Env<'_>) -> Result<Done, ActionError> {
    let mut call = build_call(config, env.timeout, &env.idempotency_key)?;
    if let Some(auth) = &config.auth {
        let needs_secret = auth.auth_type != AuthType::None;
        let value = match (&auth.secret, needs_secret) {
            (Some(name), true) => Some(secret(env, name).await?),
            (None, true) => {
                return Err(ActionError::fatal(format!(
                    "{}: auth type {:?} needs `secret: <name>`",
                    call.target(),
                    auth.auth_type
                )));
            }
            _ => None,
        };
        if let Some(value) = value {
            let header = match auth.auth_type {
                AuthType::Oauth2 => ("Authorization", format!("Bearer {}", oauth2_token(&value, env).await?)),
                AuthType::ApiKey => ("X-API-Key", value),
                other => ("Authorization", request::auth_header(other, &value)?),
            };
            call.headers.push((header.0.to_owned(), header.1));
        }
    }
    let response = env.http.send(&call).await?;
    let outputs = match &config.outputs {
        Some(pointers) if !pointers.is_empty() => extract_outputs(&call.target(), &response, pointers)?,
        _ => Map::new(),
    };
    let mut outputs = outputs;
    outputs.entry("status").or_insert_with(|| response.status.into());
    Ok(Done::Completed { outputs, reference: None })
}

/// OAuth2 client credentials: the secret is JSON `{"tokenUrl", "clientId", "clientSecret",
/// "scope"?}`; the access token is fetched now and masked like every secret.
async fn oauth2_token(secret_json: &str, env: &Env<'_>) -> Result<String, ActionError> {
    let settings: serde_json::Value = serde_json::from_str(secret_json).map_err(|_| {
        ActionError::fatal(
            "oauth2 auth: the secret must be JSON {\"tokenUrl\", \"clientId\", \"clientSecret\", \"scope\"?}",
        )
    })?;
    let field = |name: &str| settings.get(name).and_then(serde_json::Value::as_str).map(str::to_owned);
    let (Some(url), Some(id), Some(client_secret)) = (field("tokenUrl"), field("clientId"), field("clientSecret"))
    else {
        return Err(ActionError::fatal("oauth2 auth: the secret needs tokenUrl, clientId and clientSecret"));
    };
    env.secrets.masker().add(&client_secret);
    let mut pairs = vec![
        ("grant_type".to_owned(), "client_credentials".to_owned()),
        ("client_id".to_owned(), id),
        ("client_secret".to_owned(), client_secret),
    ];
    if let Some(scope) = field("scope") {
        pairs.push(("scope".to_owned(), scope));
    }
    let mut call = Call::new("POST", url, env.timeout);
    call.body = Some(Body::Form(pairs));
    call.idempotency_key = Some(env.idempotency_key.clone());
    let response = env
        .http
        .send(&call)
        .await
        .map_err(|err| ActionError { message: format!("oauth2 token request failed: {}", err.message), ..err })?;
    let token = response
        .json()
        .and_then(|json| json.get("access_token").and_then(serde_json::Value::as_str).map(str::to_owned))
        .ok_or_else(|| ActionError::fatal(format!("{}: the answer has no access_token", call.target())))?;
    env.secrets.masker().add(&token);
    Ok(token)
}
