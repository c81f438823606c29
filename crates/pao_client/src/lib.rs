//! A client of PAO's REST API (SPEC section 7), for the CLI's remote mode.
//!
//! [`ApiClient`] sends JSON to `<base>/api/v1/...` with the bearer token from `PAO_TOKEN`
//! and, for a server behind an API gateway with IAM authorisation, signs every request with
//! AWS Signature Version 4 ([`SigV4`], credentials from the usual AWS environment variables).
//! Answers outside 2xx are read as SPEC's error envelope into [`ApiError`]; a server that
//! cannot be reached is [`ClientError::Unreachable`], so the CLI can exit 1 for a refusal and
//! 2 when it could not ask at all. [`ApiClient::get_all`] follows cursor pagination.

#![deny(missing_docs)]

mod sigv4;

use std::time::Duration;

use pao_git::ErrorKind;
use serde_json::Value;

pub use sigv4::{SigV4, SigV4Error};

/// Percent-encodes one path segment (ids are validated by the server; this keeps any text safe).
pub fn segment(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// Percent-encodes a query value.
pub fn query_value(text: &str) -> String {
    segment(text)
}

/// Every item of a paginated list (`{ data, pagination: { has_more, next_cursor } }`) at
/// `path` (which may carry a query already), asking `get` for one page after another at the
/// largest page size. `shown_base` prefixes paths in errors. Shared by [`ApiClient::get_all`]
/// and in-process callers of the API, so both follow cursors the same way.
///
/// # Errors
/// What `get` returns, or [`ClientError::InvalidResponse`] for an answer without `data` or a
/// server that keeps answering `has_more` without a new cursor.
pub fn collect_pages(
    path: &str,
    shown_base: &str,
    mut get: impl FnMut(&str) -> Result<Value, ClientError>,
) -> Result<Vec<Value>, ClientError> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    // A server that keeps answering `has_more` with the same cursor must not loop forever.
    for _ in 0..10_000 {
        let separator = if path.contains('?') { '&' } else { '?' };
        let page_path = match &cursor {
            Some(c) => format!("{path}{separator}limit=200&cursor={}", query_value(c)),
            None => format!("{path}{separator}limit=200"),
        };
        let page = get(&page_path)?;
        let invalid = |message: &str| ClientError::InvalidResponse {
            url: format!("{shown_base}{page_path}"),
            status: 200,
            message: message.to_owned(),
        };
        let Some(data) = page.get("data").and_then(Value::as_array) else {
            return Err(invalid("no `data` list in a paginated answer"));
        };
        items.extend(data.iter().cloned());
        let pagination = page.get("pagination");
        let more = pagination.and_then(|p| p.get("has_more")).and_then(Value::as_bool).unwrap_or(false);
        let next = pagination.and_then(|p| p.get("next_cursor")).and_then(Value::as_str).map(str::to_owned);
        match (more, next) {
            (true, Some(next)) if cursor.as_deref() != Some(next.as_str()) => cursor = Some(next),
            (true, _) => return Err(invalid("`has_more` without a new `next_cursor`")),
            (false, _) => return Ok(items),
        }
    }
    Err(ClientError::InvalidResponse {
        url: format!("{shown_base}{path}"),
        status: 200,
        message: "more than 10,000 pages".to_owned(),
    })
}

/// An error answer of the API: SPEC's envelope `{ "error": { code, message, details, correlationId } }`.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// The stable error code (`validation_failed`, `forbidden`, ...).
    pub code: String,
    /// The server's message.
    pub message: String,
    /// Structured details (field errors, the team needed, ...).
    pub details: Value,
    /// The correlation id of the call, for the server's logs.
    pub correlation_id: Option<String>,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (HTTP {}, {})", self.message, self.status, self.code)?;
        if let Some(id) = &self.correlation_id {
            write!(f, "; correlation id {id}")?;
        }
        Ok(())
    }
}

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The base URL is not an `http://` or `https://` URL.
    #[error("`{url}` is not an http:// or https:// URL (from --api or PAO_API_URL)")]
    BadUrl {
        /// What was given.
        url: String,
    },
    /// No answer: connection refused, DNS, TLS, timeout.
    #[error("cannot reach the PAO server at {url}: {message}")]
    Unreachable {
        /// The URL called.
        url: String,
        /// What failed.
        message: String,
    },
    /// The server answered with an error.
    #[error("the server refused: {0}")]
    Api(Box<ApiError>),
    /// The server answered something that is not the API's JSON.
    #[error("unexpected answer from {url} (HTTP {status}): {message}")]
    InvalidResponse {
        /// The URL called.
        url: String,
        /// HTTP status.
        status: u16,
        /// What was wrong with it.
        message: String,
    },
    /// SigV4 signing was asked for but is not possible.
    #[error(transparent)]
    SigV4(#[from] SigV4Error),
}

impl ClientError {
    /// What kind of failure this is (an API error by its HTTP status).
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::BadUrl { .. } | Self::SigV4(_) => ErrorKind::InvalidInput,
            Self::Unreachable { .. } | Self::InvalidResponse { .. } => ErrorKind::Upstream,
            Self::Api(err) => match err.status {
                400 | 413 | 415 => ErrorKind::InvalidInput,
                401 => ErrorKind::Unauthenticated,
                403 => ErrorKind::Forbidden,
                404 => ErrorKind::NotFound,
                409 => ErrorKind::Conflict,
                422 => ErrorKind::Unprocessable,
                429 | 503 => ErrorKind::Busy,
                502 | 504 => ErrorKind::Upstream,
                _ => ErrorKind::Internal,
            },
        }
    }

    /// Whether the server answered and refused (as opposed to not being asked at all).
    pub fn is_refusal(&self) -> bool {
        matches!(self, Self::Api(_))
    }
}

/// A client of one PAO server.
#[derive(Debug)]
pub struct ApiClient {
    base: String,
    token: Option<String>,
    sigv4: Option<SigV4>,
    http: reqwest::blocking::Client,
}

/// HTTP methods the API uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// GET.
    Get,
    /// POST.
    Post,
    /// DELETE.
    Delete,
}

impl Method {
    fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
            Self::Delete => "DELETE",
        }
    }
}

impl ApiClient {
    /// A client of the server at `base` (`https://pao.acme.example`; a trailing `/api/v1` is
    /// accepted too).
    ///
    /// # Errors
    /// When `base` is not an http(s) URL.
    pub fn new(base: &str, token: Option<String>, sigv4: Option<SigV4>) -> Result<Self, ClientError> {
        let trimmed = base.trim().trim_end_matches('/');
        let trimmed = trimmed.strip_suffix("/api/v1").unwrap_or(trimmed);
        if !(trimmed.starts_with("http://") || trimmed.starts_with("https://")) || trimmed.len() < "http://x".len() {
            return Err(ClientError::BadUrl { url: base.to_owned() });
        }
        // One process-wide TLS provider (ring); installing twice is harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::blocking::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            .user_agent(concat!("pao/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|err| ClientError::Unreachable { url: trimmed.to_owned(), message: err.to_string() })?;
        Ok(Self { base: trimmed.to_owned(), token: token.filter(|t| !t.is_empty()), sigv4, http })
    }

    /// The server's base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// `GET /api/v1{path}`.
    ///
    /// # Errors
    /// See [`ClientError`].
    pub fn get(&self, path: &str) -> Result<Value, ClientError> {
        self.call(Method::Get, path, None, &[])
    }

    /// `POST /api/v1{path}` with a JSON body.
    ///
    /// # Errors
    /// See [`ClientError`].
    pub fn post(&self, path: &str, body: &Value) -> Result<Value, ClientError> {
        self.call(Method::Post, path, Some(body), &[])
    }

    /// Every item of a paginated list (`{ data, pagination: { has_more, next_cursor } }`),
    /// following cursors; `path` may carry a query already.
    ///
    /// # Errors
    /// See [`ClientError`]; also when a page is not of that shape.
    pub fn get_all(&self, path: &str) -> Result<Vec<Value>, ClientError> {
        collect_pages(path, &format!("{}/api/v1", self.base), |page_path| self.get(page_path))
    }

    /// One call to `/api/v1{path}`, with extra headers; the answer's JSON (`null` for an empty
    /// body).
    ///
    /// # Errors
    /// See [`ClientError`].
    pub fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Result<Value, ClientError> {
        let url = format!("{}/api/v1{path}", self.base);
        let body_bytes = body.map(|b| serde_json::to_vec(b).unwrap_or_default()).unwrap_or_default();
        let mut request = match method {
            Method::Get => self.http.get(&url),
            Method::Post => self.http.post(&url),
            Method::Delete => self.http.delete(&url),
        };
        let mut signed_headers: Vec<(String, String)> = vec![("accept".into(), "application/json".into())];
        if body.is_some() {
            signed_headers.push(("content-type".into(), "application/json".into()));
        }
        for (name, value) in headers {
            signed_headers.push(((*name).to_owned(), (*value).to_owned()));
        }
        match (&self.sigv4, &self.token) {
            // Behind an API gateway with IAM authorisation, the signature is the credential and
            // the gateway passes the caller's identity on in its headers (`[auth.gateway]`).
            (Some(signer), _) => {
                let extra = signer.sign(method.as_str(), &url, &signed_headers, &body_bytes)?;
                signed_headers.extend(extra);
            }
            (None, Some(token)) => signed_headers.push(("authorization".into(), format!("Bearer {token}"))),
            (None, None) => {}
        }
        for (name, value) in &signed_headers {
            request = request.header(name.as_str(), value.as_str());
        }
        if body.is_some() {
            request = request.body(body_bytes);
        }
        let response =
            request.send().map_err(|err| ClientError::Unreachable { url: url.clone(), message: error_chain(&err) })?;
        let status = response.status().as_u16();
        let text =
            response.text().map_err(|err| ClientError::Unreachable { url: url.clone(), message: error_chain(&err) })?;
        if (200..300).contains(&status) {
            if text.trim().is_empty() {
                return Ok(Value::Null);
            }
            return serde_json::from_str(&text).map_err(|err| ClientError::InvalidResponse {
                url,
                status,
                message: format!("not JSON: {err}"),
            });
        }
        Err(envelope(&url, status, &text))
    }
}

/// Reads an error answer: SPEC's envelope, or a readable stand-in when the body is not one
/// (a proxy's HTML page, say).
pub fn envelope(url: &str, status: u16, text: &str) -> ClientError {
    let parsed: Option<Value> = serde_json::from_str(text).ok();
    let error = parsed.as_ref().and_then(|v| v.get("error"));
    match error {
        Some(error) => ClientError::Api(Box::new(ApiError {
            status,
            code: error.get("code").and_then(Value::as_str).unwrap_or("unknown").to_owned(),
            message: error.get("message").and_then(Value::as_str).unwrap_or("no message").to_owned(),
            details: error.get("details").cloned().unwrap_or(Value::Null),
            correlation_id: error.get("correlationId").and_then(Value::as_str).map(str::to_owned),
        })),
        None => {
            let snippet: String = text.chars().take(200).filter(|c| !c.is_control()).collect();
            ClientError::InvalidResponse {
                url: url.to_owned(),
                status,
                message: format!("not an API error: {snippet}"),
            }
        }
    }
}

/// The error and its sources on one line (reqwest's own message is terse).
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
