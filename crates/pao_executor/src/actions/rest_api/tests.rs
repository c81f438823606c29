use std::collections::BTreeMap;
use std::time::Duration;

use pao_schema::{AuthType, HttpMethod, RestApiConfig};
use serde_json::json;

use super::request::{auth_header, build_call, extract_outputs};
use crate::http::{Body, Response};

fn config(body: Option<serde_json::Value>) -> RestApiConfig {
    RestApiConfig {
        method: HttpMethod::Post,
        url: "https://api.example/v1/dbs".into(),
        headers: Some(BTreeMap::from([("X-Team".into(), "payments".into())])),
        body,
        auth: None,
        expect_status: Some(vec![201]),
        outputs: None,
    }
}

#[test]
fn builds_json_and_text_bodies_with_the_idempotency_key() {
    let call = build_call(&config(Some(json!({ "name": "orders" }))), Duration::from_secs(5), "req-1.create").unwrap();
    assert_eq!(call.target(), "POST https://api.example/v1/dbs");
    assert_eq!(call.body, Some(Body::Json(json!({ "name": "orders" }))));
    assert_eq!(call.idempotency_key.as_deref(), Some("req-1.create"));
    assert_eq!(call.expect, [201]);
    assert_eq!(call.headers, [("X-Team".to_owned(), "payments".to_owned())]);
    let call = build_call(&config(Some(json!("plain"))), Duration::from_secs(5), "k").unwrap();
    assert_eq!(call.body, Some(Body::Text("plain".into())));
}

#[test]
fn refuses_a_caller_set_idempotency_key() {
    let mut config = config(None);
    config.headers = Some(BTreeMap::from([("idempotency-key".into(), "mine".into())]));
    let err = build_call(&config, Duration::from_secs(5), "k").unwrap_err();
    assert!(err.message.contains("may not set Idempotency-Key"), "{err}");
}

#[test]
fn auth_headers() {
    assert_eq!(auth_header(AuthType::Bearer, "tok").unwrap(), "Bearer tok");
    assert_eq!(auth_header(AuthType::Basic, "u:p").unwrap(), "Basic dTpw");
    assert!(auth_header(AuthType::Basic, "nocolon").is_err());
}

#[test]
fn outputs_by_json_pointer() {
    let response =
        Response { status: 201, headers: Vec::new(), body: br#"{"db":{"endpoint":"h:5432","id":7}}"#.to_vec() };
    let pointers = BTreeMap::from([("endpoint".into(), "/db/endpoint".into()), ("id".into(), "db/id".into())]);
    let outputs = extract_outputs("POST u", &response, &pointers).unwrap();
    assert_eq!(serde_json::Value::Object(outputs), json!({ "endpoint": "h:5432", "id": 7 }));
    let missing = BTreeMap::from([("x".into(), "/nope".into())]);
    let err = extract_outputs("POST u", &response, &missing).unwrap_err();
    assert!(err.message.contains("no value at JSON Pointer `/nope`") && !err.retryable, "{err}");
}
