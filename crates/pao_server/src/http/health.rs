//! `/health`, `/health/ready`, `/metrics` and `/version`: no identity needed.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde_json::{Value, json};

use crate::context::ApiContext;
use crate::error::ApiError;

/// `GET /health`: the process answers.
pub async fn health() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// `GET /health/ready`: 200 once a catalog load succeeded, 503 before.
pub async fn ready(State(ctx): State<ApiContext>) -> Result<Json<Value>, ApiError> {
    let snapshot = crate::http::catalog::snapshot(&ctx)?;
    Ok(Json(json!({ "status": "ready", "catalogCommit": snapshot.commit, "catalogItems": snapshot.catalog.len() })))
}

/// `GET /metrics`: Prometheus text format.
pub async fn metrics(State(ctx): State<ApiContext>) -> impl IntoResponse {
    let build = ctx.build();
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        ctx.metrics().render(build.version, build.commit),
    )
}

/// `GET /version`: the build and the catalog revision served.
pub async fn version(State(ctx): State<ApiContext>) -> Json<Value> {
    let build = ctx.build();
    let snapshot = ctx.catalog().snapshot();
    Json(json!({
        "version": build.version,
        "commit": build.commit,
        "catalog": {
            "rev": ctx.catalog().rev(),
            "commit": snapshot.as_ref().map(|s| s.commit.clone()),
            "tree": snapshot.as_ref().map(|s| s.tree.clone()),
        }
    }))
}
