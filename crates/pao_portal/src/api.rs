//! The portal's only way to know or change anything: calls to the REST API router, in process.
//!
//! Each call is a real HTTP request through the API's whole stack (authentication, limits,
//! metrics, logs) with the caller's credentials: the session token as `Authorization: Bearer`,
//! or, behind a gateway, the gateway's identity headers and the peer address, copied from the
//! browser's request. So the portal can do nothing the API would not let the same user do.

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::ConnectInfo;
use http::header::{AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, COOKIE, HOST};
use http::{HeaderMap, HeaderValue, Method, Request, StatusCode};
use serde_json::Value;
use tower::ServiceExt;

use crate::session::{SESSION_COOKIE, cookie};

/// The largest API answer the portal reads (a page of 200 requests is far below this).
const ANSWER_LIMIT: usize = 16 << 20;

/// An API answer: status and JSON body (`null` when empty or not JSON).
#[derive(Debug, Clone)]
pub struct Answer {
    /// HTTP status.
    pub status: StatusCode,
    /// The body.
    pub body: Value,
}

impl Answer {
    /// Whether the status is 2xx.
    pub fn ok(&self) -> bool {
        self.status.is_success()
    }

    /// The envelope's `error.message`, or the status.
    pub fn message(&self) -> String {
        self.body
            .pointer("/error/message")
            .and_then(Value::as_str)
            .map_or_else(|| format!("the server answered {}", self.status), str::to_owned)
    }

    /// The envelope's `error.code`.
    pub fn code(&self) -> &str {
        self.body.pointer("/error/code").and_then(Value::as_str).unwrap_or("")
    }
}

/// Who is calling, as the browser's request says: headers to pass on and the peer address.
#[derive(Debug, Clone, Default)]
pub struct Caller {
    headers: HeaderMap,
    connect_info: Option<ConnectInfo<std::net::SocketAddr>>,
}

impl Caller {
    /// The caller of a browser request. Headers are passed on except those that describe the
    /// browser's own body or cookies; the session cookie becomes `Authorization: Bearer`.
    pub fn from_request(headers: &HeaderMap, connect_info: Option<ConnectInfo<std::net::SocketAddr>>) -> Self {
        let mut passed = HeaderMap::new();
        for (name, value) in headers {
            if name == COOKIE || name == CONTENT_TYPE || name == CONTENT_LENGTH || name == HOST || name == AUTHORIZATION
            {
                continue;
            }
            passed.append(name.clone(), value.clone());
        }
        if let Some(token) = cookie(headers, SESSION_COOKIE)
            && let Ok(value) = HeaderValue::from_str(&format!("Bearer {token}"))
        {
            passed.insert(AUTHORIZATION, value);
        }
        Self { headers: passed, connect_info }
    }

    /// The same caller with an explicit token (sign-in checks a token before it is stored).
    pub fn with_token(mut self, token: &str) -> Self {
        if let Ok(value) = HeaderValue::from_str(&format!("Bearer {token}")) {
            self.headers.insert(AUTHORIZATION, value);
        }
        self
    }

    /// Whether the caller presents a session token.
    pub fn has_token(&self) -> bool {
        self.headers.contains_key(AUTHORIZATION)
    }
}

/// Calls `/api/v1{path}` on the API router as `caller`.
pub async fn call(api: &Router, caller: &Caller, method: Method, path: &str, body: Option<&Value>) -> Answer {
    let uri = format!("/api/v1{path}");
    let mut builder = Request::builder().method(method).uri(&uri);
    for (name, value) in &caller.headers {
        builder = builder.header(name, value);
    }
    builder = builder.header("accept", "application/json");
    let request_body = match body {
        Some(value) => {
            builder = builder.header(CONTENT_TYPE, "application/json");
            Body::from(value.to_string())
        }
        None => Body::empty(),
    };
    let Ok(mut request) = builder.body(request_body) else {
        return Answer { status: StatusCode::BAD_REQUEST, body: Value::Null };
    };
    if let Some(info) = caller.connect_info {
        request.extensions_mut().insert(info);
    }
    let response = match api.clone().oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    };
    let status = response.status();
    let bytes = to_bytes(response.into_body(), ANSWER_LIMIT).await.unwrap_or_default();
    Answer { status, body: serde_json::from_slice(&bytes).unwrap_or(Value::Null) }
}

/// What stays as it is in a path segment or query value: RFC 3986's unreserved characters.
const UNRESERVED: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// Percent-encodes one path segment or query value.
pub fn enc(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, UNRESERVED).to_string()
}
