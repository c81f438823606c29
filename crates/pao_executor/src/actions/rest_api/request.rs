//! The `rest-api` call built from its rendered config, and outputs read from the answer.

use std::collections::BTreeMap;
use std::time::Duration;

use base64::Engine as _;
use pao_schema::{AuthType, HttpMethod, RestApiConfig};
use serde_json::{Map, Value};

use crate::http::{ActionError, Body, Call, Response};

/// The call, without auth (added once the secret is read).
pub(crate) fn build_call(config: &RestApiConfig, timeout: Duration, key: &str) -> Result<Call, ActionError> {
    let method = match config.method {
        HttpMethod::Get => "GET",
        HttpMethod::Post => "POST",
        HttpMethod::Put => "PUT",
        HttpMethod::Patch => "PATCH",
        HttpMethod::Delete => "DELETE",
    };
    let mut call = Call::new(method, config.url.clone(), timeout);
    call.idempotency_key = Some(key.to_owned());
    call.headers = config.headers.clone().unwrap_or_default().into_iter().collect();
    if call.headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("idempotency-key")) {
        return Err(ActionError::fatal(format!(
            "{}: headers may not set Idempotency-Key; PAO sets it to <request-id>.<action-id>",
            call.target()
        )));
    }
    call.body = match &config.body {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) => Some(Body::Text(text.clone())),
        Some(other) => Some(Body::Json(other.clone())),
    };
    call.expect = config.expect_status.clone().unwrap_or_default();
    Ok(call)
}

/// The `Authorization` header value for `bearer` and `basic` (`user:password` in the secret).
pub(crate) fn auth_header(auth: AuthType, secret: &str) -> Result<String, ActionError> {
    match auth {
        AuthType::Bearer => Ok(format!("Bearer {secret}")),
        AuthType::Basic => {
            if !secret.contains(':') {
                return Err(ActionError::fatal("basic auth: the secret must be `user:password`"));
            }
            Ok(format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(secret)))
        }
        AuthType::ApiKey | AuthType::None | AuthType::Oauth2 => Ok(secret.to_owned()),
    }
}

/// `outputs`: name → JSON Pointer into the JSON answer.
pub(crate) fn extract_outputs(
    target: &str,
    response: &Response,
    pointers: &BTreeMap<String, String>,
) -> Result<Map<String, Value>, ActionError> {
    let json = response.json().ok_or_else(|| {
        ActionError::fatal(format!("{target}: the answer is not JSON, so outputs {:?} cannot be read", pointers.keys()))
    })?;
    let mut outputs = Map::new();
    for (name, pointer) in pointers {
        let pointer =
            if pointer.is_empty() || pointer.starts_with('/') { pointer.clone() } else { format!("/{pointer}") };
        let value = json.pointer(&pointer).ok_or_else(|| {
            ActionError::fatal(format!(
                "{target}: output `{name}`: the answer has no value at JSON Pointer `{pointer}`"
            ))
        })?;
        outputs.insert(name.clone(), value.clone());
    }
    Ok(outputs)
}
