use std::time::Duration;

use pao_schema::WebhookConfig;
use serde_json::json;

use super::request::{build_call, signature};
use crate::http::Body;

#[test]
fn signature_matches_a_known_vector() {
    // RFC 4231 test case 2.
    assert_eq!(
        signature("Jefe", b"what do ya want for nothing?"),
        "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
}

#[test]
fn the_signed_text_is_the_sent_body() {
    let config =
        WebhookConfig { url: "https://hooks.example/x".into(), secret: "k".into(), payload: Some(json!({ "a": 1 })) };
    let call = build_call(&config, &json!({}), "key", Duration::from_secs(3), "req.hook");
    let Some(Body::Text(body)) = &call.body else { panic!("text body") };
    assert_eq!(body, r#"{"a":1}"#);
    let sig = call.headers.iter().find(|(k, _)| k == "X-Pao-Signature-256").unwrap();
    assert_eq!(sig.1, signature("key", body.as_bytes()));
    assert_eq!(call.idempotency_key.as_deref(), Some("req.hook"));
}

#[test]
fn the_default_payload_is_the_request() {
    let config = WebhookConfig { url: "https://hooks.example/x".into(), secret: "k".into(), payload: None };
    let call = build_call(&config, &json!({ "id": "req-1" }), "key", Duration::from_secs(3), "k");
    let Some(Body::Text(body)) = &call.body else { panic!("text body") };
    assert_eq!(serde_json::from_str::<serde_json::Value>(body).unwrap(), json!({ "request": { "id": "req-1" } }));
}
