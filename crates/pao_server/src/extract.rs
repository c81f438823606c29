//! Extractors whose rejections are [`ApiError`]s, so a malformed body, query or path gets the
//! error envelope like every other failure.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// A JSON body: `Content-Type: application/json`, at most `[server] body-limit` bytes, every
/// field known.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        require_json(request.headers())?;
        let bytes = body_bytes(request, state).await?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// 415 unless the content type is JSON.
///
/// # Errors
/// [`ApiError`] 415.
pub fn require_json(headers: &axum::http::HeaderMap) -> Result<(), ApiError> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let essence = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    if essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json")) {
        return Ok(());
    }
    let shown = if content_type.is_empty() { "none".to_owned() } else { format!("`{}`", content_type.escape_debug()) };
    Err(ApiError::bad_request(
        "unsupported_media_type",
        format!("the body must be JSON: send `Content-Type: application/json` (got {shown})"),
    )
    .with_status(StatusCode::UNSUPPORTED_MEDIA_TYPE))
}

/// The whole body, within the body limit.
///
/// # Errors
/// 413 over the limit, 400 when the body cannot be read.
pub async fn body_bytes<S: Send + Sync>(request: Request, state: &S) -> Result<Bytes, ApiError> {
    Bytes::from_request(request, state).await.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::bad_request(
                "body_too_large",
                "the body is larger than the server accepts ([server] body-limit in pao.toml); send less",
            )
            .with_status(StatusCode::PAYLOAD_TOO_LARGE)
        } else {
            ApiError::bad_request("unreadable_body", format!("the body could not be read: {rejection}"))
        }
    })
}

/// Parses JSON, telling syntax errors from shape errors.
///
/// # Errors
/// 400 `malformed_json` or `invalid_body`, with line and column.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|err| {
        let (code, what) = match err.classify() {
            serde_json::error::Category::Data => ("invalid_body", "the body does not have the expected fields"),
            _ => ("malformed_json", "the body is not valid JSON"),
        };
        ApiError::bad_request(code, format!("{what}: {err}"))
            .with_details(serde_json::json!({ "line": err.line(), "column": err.column() }))
    })
}

/// Query parameters; unknown or malformed ones are a 400.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(value)| ApiQuery(value))
            .map_err(|rejection| ApiError::bad_request("invalid_query", rejection.body_text()))
    }
}

/// Path parameters; undecodable ones are a 400.
#[derive(Debug)]
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(value)| ApiPath(value))
            .map_err(|rejection| ApiError::bad_request("invalid_path", rejection.body_text()))
    }
}

/// An optional JSON body: an empty body is `None`; anything else must be JSON as for
/// [`ApiJson`].
#[derive(Debug)]
pub struct OptionalJson<T>(pub Option<T>);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for OptionalJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let headers = request.headers().clone();
        let bytes = body_bytes(request, state).await?;
        if bytes.is_empty() {
            return Ok(Self(None));
        }
        require_json(&headers)?;
        parse_json(&bytes).map(|value| Self(Some(value)))
    }
}
