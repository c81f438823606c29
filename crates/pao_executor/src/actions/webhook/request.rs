//! The signed webhook call.

use std::time::Duration;

use hmac::{Hmac, Mac};
use pao_schema::WebhookConfig;
use sha2::Sha256;

use crate::http::{Body, Call};

/// `sha256=<hex HMAC-SHA256 of body with key>`.
pub(crate) fn signature(key: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// The POST: the body is serialised once, and that exact text is signed and sent.
pub(crate) fn build_call(
    config: &WebhookConfig,
    request: &serde_json::Value,
    key: &str,
    timeout: Duration,
    idempotency_key: &str,
) -> Call {
    let payload = config.payload.clone().unwrap_or_else(|| serde_json::json!({ "request": request }));
    let body = payload.to_string();
    let mut call = Call::new("POST", config.url.clone(), timeout);
    call.headers.push(("Content-Type".to_owned(), "application/json".to_owned()));
    call.headers.push(("X-Pao-Signature-256".to_owned(), signature(key, body.as_bytes())));
    call.body = Some(Body::Text(body));
    call.idempotency_key = Some(idempotency_key.to_owned());
    call
}
