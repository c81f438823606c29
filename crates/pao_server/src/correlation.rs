//! Correlation ids: taken from `X-Correlation-ID` when the caller sends a sane one, generated
//! otherwise; in scope (a task-local) for the whole handling of a request, so error envelopes,
//! log lines and the request's commit trailers all carry it; echoed in the response.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;

/// The header carrying the id both ways.
pub const HEADER: &str = "x-correlation-id";

tokio::task_local! {
    static CURRENT: String;
}

/// The correlation id of the request being handled, if inside one.
pub fn current() -> Option<String> {
    CURRENT.try_with(Clone::clone).ok()
}

/// The caller's id when it is 1-128 characters of `[A-Za-z0-9._:-]`; anything else (which could
/// smuggle text into logs or commit trailers) is replaced by a fresh UUID.
pub fn accept(value: Option<&HeaderValue>) -> String {
    value
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 128
                && v.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
        })
        .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned)
}

/// Middleware: puts the id in scope and on the response.
pub async fn layer(request: Request, next: Next) -> Response {
    let id = accept(request.headers().get(HEADER));
    let mut response = CURRENT.scope(id.clone(), next.run(request)).await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(HEADER, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sane_ids_are_kept_and_odd_ones_replaced() {
        assert_eq!(accept(Some(&HeaderValue::from_static("abc-123.x:y_z"))), "abc-123.x:y_z");
        let fresh = accept(Some(&HeaderValue::from_static("has space")));
        assert_eq!(fresh.len(), 36, "{fresh}");
        assert_ne!(accept(None), accept(None));
        let long = "a".repeat(129);
        assert_ne!(accept(Some(&HeaderValue::from_str(&long).unwrap())), long);
    }
}
