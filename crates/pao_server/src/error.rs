//! The error envelope: `{ "error": { "code", "message", "details", "correlationId" } }`.
//!
//! Every failure a handler, an extractor or a protective layer produces becomes an
//! [`ApiError`]; its [`ErrorKind`] decides the HTTP status in one place, [`status_code`].
//! Internal causes (Git or I/O errors) are logged once with the correlation id and never sent
//! to the client: the client sees a generic message and the id to quote.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use pao_git::ErrorKind;
use pao_orchestrator::OrchestratorError;
use serde_json::{Value, json};

use crate::correlation;

/// The HTTP status of an error kind: the only place kinds become statuses.
pub fn status_code(kind: ErrorKind) -> StatusCode {
    match kind {
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::InvalidInput => StatusCode::BAD_REQUEST,
        ErrorKind::Unprocessable => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorKind::Conflict => StatusCode::CONFLICT,
        ErrorKind::Busy => StatusCode::SERVICE_UNAVAILABLE,
        ErrorKind::Unauthenticated => StatusCode::UNAUTHORIZED,
        ErrorKind::Forbidden => StatusCode::FORBIDDEN,
        ErrorKind::Upstream => StatusCode::BAD_GATEWAY,
        ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// A failure as the client sees it (boxed: handlers return it in every `Result`).
#[derive(Debug)]
pub struct ApiError(Box<ApiErrorParts>);

/// The parts of an [`ApiError`].
#[derive(Debug)]
pub struct ApiErrorParts {
    /// The kind (decides the status unless `status` overrides it).
    pub kind: ErrorKind,
    /// An explicit status for failures no domain kind covers (413, 415, 405, 503 shedding).
    pub status: Option<StatusCode>,
    /// Stable machine-readable code.
    pub code: &'static str,
    /// What is wrong and how to fix it, for people.
    pub message: String,
    /// Structured extra data (field errors, the open request, ...).
    pub details: Value,
    /// `Retry-After` seconds, for 503s.
    pub retry_after: Option<u64>,
    /// The internal cause: logged, never sent.
    pub internal: Option<String>,
}

impl ApiError {
    /// An error of `kind` with `code` and `message`.
    pub fn new(kind: ErrorKind, code: &'static str, message: impl Into<String>) -> Self {
        Self(Box::new(ApiErrorParts {
            kind,
            status: None,
            code,
            message: message.into(),
            details: Value::Null,
            retry_after: None,
            internal: None,
        }))
    }

    /// A 400 for malformed input.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidInput, code, message)
    }

    /// A 404.
    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, code, message)
    }

    /// A 401: no identity, or credentials that match none.
    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unauthenticated, "unauthenticated", message)
    }

    /// A 403: the caller may not see or act on this.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Forbidden, "forbidden", message)
    }

    /// A 500 whose cause is logged but not shown.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        let mut err = Self::new(
            ErrorKind::Internal,
            "internal_error",
            "the server failed to handle this request; quote the correlation id to the operators",
        );
        err.internal = Some(cause.to_string());
        err
    }

    /// A 503 with `Retry-After`.
    pub fn unavailable(code: &'static str, message: impl Into<String>, retry_after: u64) -> Self {
        let mut err = Self::new(ErrorKind::Busy, code, message);
        err.retry_after = Some(retry_after);
        err
    }

    /// Overrides the status.
    #[must_use]
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = Some(status);
        self
    }

    /// Attaches details.
    #[must_use]
    pub fn with_details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }

    /// The status this error is answered with.
    pub fn status(&self) -> StatusCode {
        self.status.unwrap_or_else(|| status_code(self.kind))
    }
}

impl std::ops::Deref for ApiError {
    type Target = ApiErrorParts;

    fn deref(&self) -> &ApiErrorParts {
        &self.0
    }
}

impl std::ops::DerefMut for ApiError {
    fn deref_mut(&mut self) -> &mut ApiErrorParts {
        &mut self.0
    }
}

impl From<OrchestratorError> for ApiError {
    fn from(err: OrchestratorError) -> Self {
        let kind = err.kind();
        if kind == ErrorKind::Internal {
            let mut api = Self::internal(&err);
            api.code = err.code();
            return api;
        }
        let mut api = Self::new(kind, err.code(), err.to_string()).with_details(err.details());
        if kind == ErrorKind::Busy {
            api.retry_after = Some(1);
        }
        api
    }
}

impl From<pao_git::GitError> for ApiError {
    fn from(err: pao_git::GitError) -> Self {
        OrchestratorError::from(err).into()
    }
}

impl From<tokio::task::JoinError> for ApiError {
    fn from(err: tokio::task::JoinError) -> Self {
        Self::internal(format!("a blocking task failed: {err}"))
    }
}

/// The cause of a 5xx, carried to the logging middleware as a response extension.
#[derive(Debug, Clone)]
pub struct InternalCause(pub String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let ApiErrorParts { code, message, details, retry_after, internal, .. } = *self.0;
        let correlation_id = correlation::current().unwrap_or_default();
        let body = json!({
            "error": {
                "code": code,
                "message": message,
                "details": details,
                "correlationId": correlation_id,
            }
        });
        let mut response = (status, axum::Json(body)).into_response();
        if let Some(seconds) = retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if let Some(cause) = internal {
            response.extensions_mut().insert(InternalCause(cause));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_distinct_status() {
        let statuses: std::collections::BTreeSet<u16> =
            ErrorKind::ALL.iter().map(|kind| status_code(*kind).as_u16()).collect();
        assert_eq!(statuses.len(), ErrorKind::ALL.len());
        assert_eq!(status_code(ErrorKind::Unprocessable), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(status_code(ErrorKind::Busy), StatusCode::SERVICE_UNAVAILABLE);
    }
}
