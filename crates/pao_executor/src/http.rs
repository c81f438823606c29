//! Every HTTP call an action makes goes through [`Http::send`]: it checks the target host's
//! circuit breaker, adds `Idempotency-Key: <request-id>.<action-id>`, bounds the attempt with
//! the action's timeout, records the result in the breaker and classifies it with the retry
//! policy. Errors name the method and URL (masked by the caller before anything is stored) and
//! never carry request headers.

use std::time::Duration;

use crate::breaker::Breakers;
use crate::retry::{Verdict, classify_status, parse_retry_after};

/// The body of a call.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// JSON (`Content-Type: application/json` unless a header says otherwise).
    Json(serde_json::Value),
    /// Text (`text/plain; charset=utf-8` unless a header says otherwise).
    Text(String),
    /// `application/x-www-form-urlencoded` pairs.
    Form(Vec<(String, String)>),
}

/// One call.
#[derive(Debug, Clone)]
pub struct Call {
    /// `GET`, `POST`, ...
    pub method: String,
    /// Absolute URL.
    pub url: String,
    /// Headers (the caller's; secrets may be in them — they are never logged).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Option<Body>,
    /// Bound of this attempt.
    pub timeout: Duration,
    /// `Idempotency-Key`: every call an action makes has it, reads too (SPEC section 9); the
    /// secrets provider's and the notifications' calls, which belong to no action, have none.
    pub idempotency_key: Option<String>,
    /// Answers that count as success (empty: any 2xx).
    pub expect: Vec<u16>,
}

impl Call {
    /// A call with no headers, body or key, expecting 2xx.
    pub fn new(method: &str, url: impl Into<String>, timeout: Duration) -> Self {
        Self {
            method: method.to_owned(),
            url: url.into(),
            headers: Vec::new(),
            body: None,
            timeout,
            idempotency_key: None,
            expect: Vec::new(),
        }
    }

    /// `METHOD URL` for messages (masked by the caller).
    pub fn target(&self) -> String {
        format!("{} {}", self.method, self.url)
    }
}

/// An answer that passed the `expect` check.
#[derive(Debug, Clone)]
pub struct Response {
    /// HTTP status.
    pub status: u16,
    /// Headers, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// Body bytes (at most [`BODY_LIMIT`]).
    pub body: Vec<u8>,
}

impl Response {
    /// The body as JSON.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// A header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// Largest body read from an answer.
pub const BODY_LIMIT: usize = 4 << 20;

/// Why an attempt failed, and whether another attempt may help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionError {
    /// What happened, for people (names the target; masked before storing).
    pub message: String,
    /// Whether another attempt may succeed.
    pub retryable: bool,
    /// The server's `Retry-After`.
    pub retry_after: Option<Duration>,
}

impl ActionError {
    /// A failure no retry can fix.
    pub fn fatal(message: impl Into<String>) -> Self {
        Self { message: message.into(), retryable: false, retry_after: None }
    }

    /// A failure another attempt may not see.
    pub fn transient(message: impl Into<String>) -> Self {
        Self { message: message.into(), retryable: true, retry_after: None }
    }
}

impl std::fmt::Display for ActionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// The HTTP client of the executor. Clones share connections and breakers.
#[derive(Debug, Clone)]
pub struct Http {
    client: reqwest::Client,
    breakers: Breakers,
}

/// Why the HTTP client could not be built.
#[derive(Debug, thiserror::Error)]
#[error("cannot set up the HTTP client: {0}")]
pub struct ClientError(String);

impl Http {
    /// A client using `breakers`.
    ///
    /// # Errors
    /// When TLS cannot be initialised.
    pub fn new(breakers: Breakers) -> Result<Self, ClientError> {
        // Several rustls providers are compiled in (through other crates); pick ring.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .user_agent(concat!("pao/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::limited(5))
            .build()
            .map_err(|err| ClientError(err.to_string()))?;
        Ok(Self { client, breakers })
    }

    /// The breakers.
    pub fn breakers(&self) -> &Breakers {
        &self.breakers
    }

    /// Sends one attempt of `call`.
    ///
    /// # Errors
    /// An [`ActionError`]: retryable for connection errors, timeouts, 408, 429 and 5xx; not
    /// for other answers outside `expect`, a bad URL or an open circuit breaker.
    pub async fn send(&self, call: &Call) -> Result<Response, ActionError> {
        let url = reqwest::Url::parse(&call.url)
            .map_err(|err| ActionError::fatal(format!("{}: invalid URL: {err}", call.target())))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(ActionError::fatal(format!("{}: only http and https URLs are supported", call.target())));
        }
        let host = host_key(&url);
        self.breakers.check(&host).map_err(|open| ActionError::fatal(format!("{}: {open}", call.target())))?;
        let method = reqwest::Method::from_bytes(call.method.as_bytes())
            .map_err(|_| ActionError::fatal(format!("{}: invalid HTTP method", call.target())))?;
        let mut builder = self.client.request(method, url).timeout(call.timeout);
        let has = |name: &str| call.headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(name));
        match &call.body {
            Some(Body::Json(value)) => {
                if !has("content-type") {
                    builder = builder.header("content-type", "application/json");
                }
                builder = builder.body(value.to_string());
            }
            Some(Body::Text(text)) => {
                if !has("content-type") {
                    builder = builder.header("content-type", "text/plain; charset=utf-8");
                }
                builder = builder.body(text.clone());
            }
            Some(Body::Form(pairs)) => builder = builder.form(pairs),
            None => {}
        }
        for (name, value) in &call.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        if let Some(key) = &call.idempotency_key {
            builder = builder.header("Idempotency-Key", key.as_str());
        }
        let response = match builder.send().await {
            Ok(response) => response,
            Err(err) => {
                self.breakers.record(&host, false);
                let what = if err.is_timeout() {
                    format!("timed out after {} s", call.timeout.as_secs_f64())
                } else if err.is_connect() {
                    "could not connect".to_owned()
                } else {
                    "the request failed".to_owned()
                };
                return Err(ActionError::transient(format!("{}: {what}", call.target())));
            }
        };
        let status = response.status().as_u16();
        let headers: Vec<(String, String)> = response
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_ascii_lowercase(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect();
        let body = match read_body(response).await {
            Ok(body) => body,
            Err(message) => {
                self.breakers.record(&host, false);
                return Err(ActionError::transient(format!("{}: {message}", call.target())));
            }
        };
        self.breakers.record(&host, status < 500);
        let retry_after = headers.iter().find(|(k, _)| k == "retry-after").and_then(|(_, v)| parse_retry_after(v));
        match classify_status(status, &call.expect, retry_after) {
            Verdict::Success => Ok(Response { status, headers, body }),
            verdict => {
                let excerpt = excerpt(&body);
                let expected = if call.expect.is_empty() {
                    "2xx".to_owned()
                } else {
                    call.expect.iter().map(u16::to_string).collect::<Vec<_>>().join(", ")
                };
                let message = format!("{}: HTTP {status} (expected {expected}){excerpt}", call.target());
                Err(ActionError {
                    message,
                    retryable: matches!(verdict, Verdict::Retry { .. }),
                    retry_after: match verdict {
                        Verdict::Retry { after } => after,
                        _ => None,
                    },
                })
            }
        }
    }
}

/// The breaker key of a URL: scheme, host and port.
pub fn host_key(url: &reqwest::Url) -> String {
    format!("{}://{}:{}", url.scheme(), url.host_str().unwrap_or_default(), url.port_or_known_default().unwrap_or(0))
}

async fn read_body(mut response: reqwest::Response) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                body.extend_from_slice(&chunk);
                if body.len() > BODY_LIMIT {
                    body.truncate(BODY_LIMIT);
                    return Ok(body);
                }
            }
            Ok(None) => return Ok(body),
            Err(err) if err.is_timeout() => return Err("timed out reading the answer".to_owned()),
            Err(_) => return Err("the answer was cut off".to_owned()),
        }
    }
}

/// `: <first 300 characters of the body>` for error messages.
fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return String::new();
    }
    let short: String = text.chars().take(300).collect();
    let more = if text.chars().count() > 300 { "…" } else { "" };
    format!(": {}{more}", short.replace(['\n', '\r'], " "))
}
