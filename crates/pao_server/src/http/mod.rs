//! The HTTP surface: one table of routes ([`routes`]) from which both the router and the
//! OpenAPI document are built, and the layers around it.
//!
//! Layers, outermost first: correlation id → load shedding → concurrency limit → the router
//! (body limit, then metrics and the access log per matched route, then the timeout).
//!
//! The timeout never cuts off a write under way: a handler that starts one (a submission)
//! marks it with [`Commit::begin`], and from then on the timeout waits for its outcome, so a
//! written request is always answered to a client that is still there. A client that goes
//! away mid-call still gets its write finished (handlers run writes in tasks of their own) and
//! leaves an access log line saying the answer was never sent.

pub mod catalog;
pub mod fulfilment;
pub mod health;
pub mod me;
pub mod requests;
pub mod tools;
pub mod webhooks;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::error_handling::HandleErrorLayer;
use axum::extract::{DefaultBodyLimit, FromRequestParts, MatchedPath, Request, State};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, delete, get, post};
use schemars::{JsonSchema, Schema, SchemaGenerator};
use tower::{BoxError, ServiceBuilder};

use crate::context::ApiContext;
use crate::error::{ApiError, InternalCause};
use crate::model;
use crate::pagination::Page;

/// Every route is under this prefix.
pub const PREFIX: &str = "/api/v1";

/// A schema of a body or response, for the OpenAPI document.
pub type SchemaFn = fn(&mut SchemaGenerator) -> Schema;

fn schema<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    generator.subschema_for::<T>()
}

fn any(_: &mut SchemaGenerator) -> Schema {
    Schema::from(true)
}

fn text(_: &mut SchemaGenerator) -> Schema {
    schemars::json_schema!({ "type": "string" })
}

/// One route as documented.
#[derive(Clone)]
pub struct RouteDoc {
    /// HTTP method.
    pub method: Method,
    /// Path below [`PREFIX`], with `{param}`s.
    pub path: &'static str,
    /// One line for people.
    pub summary: &'static str,
    /// Whether it needs no identity.
    pub public: bool,
    /// The JSON body it takes.
    pub body: Option<SchemaFn>,
    /// The success status.
    pub status: StatusCode,
    /// The success body.
    pub response: SchemaFn,
    /// `text/plain` instead of JSON (metrics).
    pub text: bool,
}

/// The route table.
pub fn routes() -> Vec<(RouteDoc, MethodRouter<ApiContext>)> {
    fn route(
        method: Method,
        path: &'static str,
        summary: &'static str,
        body: Option<SchemaFn>,
        status: StatusCode,
        response: SchemaFn,
        handler: MethodRouter<ApiContext>,
    ) -> (RouteDoc, MethodRouter<ApiContext>) {
        (RouteDoc { method, path, summary, public: false, body, status, response, text: false }, handler)
    }
    let ok = StatusCode::OK;
    let accepted = StatusCode::ACCEPTED;
    let mut table = vec![
        route(
            Method::GET,
            "/me",
            "Who the caller is: user, e-mail, teams, admin",
            None,
            ok,
            schema::<model::MeDto>,
            get(me::me),
        ),
        route(
            Method::GET,
            "/catalog",
            "List the catalog (?category= ?q= ?lifecycle=, paginated)",
            None,
            ok,
            schema::<Page<model::CatalogSummary>>,
            get(catalog::list),
        ),
        route(
            Method::GET,
            "/catalog/items/{id}",
            "One catalog entry at its default version, or ?version=",
            None,
            ok,
            schema::<model::CatalogEntryDto>,
            get(catalog::get),
        ),
        route(
            Method::GET,
            "/catalog/items/{id}/schema",
            "The item's form description",
            None,
            ok,
            any,
            get(catalog::schema),
        ),
        route(
            Method::GET,
            "/catalog/items/{id}/versions",
            "The item's versions in Git history and the default one",
            None,
            ok,
            any,
            get(catalog::versions),
        ),
        route(
            Method::POST,
            "/catalog/refresh",
            "Reload the catalog from the revision's current commit",
            None,
            ok,
            schema::<model::RefreshDto>,
            post(catalog::refresh),
        ),
        route(
            Method::GET,
            "/catalog/validation-errors",
            "Catalog files left out as invalid",
            None,
            ok,
            schema::<Page<model::ValidationErrorDto>>,
            get(catalog::validation_errors),
        ),
        route(
            Method::POST,
            "/validate/request",
            "Check form values against an item's form",
            Some(schema::<tools::ToolBody>),
            ok,
            any,
            post(tools::validate_request),
        ),
        route(
            Method::POST,
            "/validate/catalog-item",
            "Lint one catalog document",
            Some(schema::<tools::LintBody>),
            ok,
            any,
            post(tools::validate_catalog_item),
        ),
        route(
            Method::POST,
            "/preview/form",
            "Form description and HTML preview",
            Some(schema::<tools::ToolBody>),
            ok,
            any,
            post(tools::preview_form),
        ),
        route(
            Method::POST,
            "/test/variables",
            "Render an item's actions with values (secrets masked)",
            Some(schema::<tools::ToolBody>),
            ok,
            any,
            post(tools::test_variables),
        ),
        route(
            Method::POST,
            "/requests",
            "Submit a request (Idempotency-Key honoured)",
            Some(schema::<model::SubmitBody>),
            accepted,
            schema::<model::RequestEnvelope<model::Request>>,
            post(requests::submit),
        ),
        route(
            Method::GET,
            "/requests",
            "List requests (?status= ?team= ?requestor=, paginated)",
            None,
            ok,
            schema::<Page<model::Request>>,
            get(requests::list),
        ),
        route(
            Method::GET,
            "/requests/{id}",
            "One request in full, with every action's outcome once executed",
            None,
            ok,
            schema::<model::RequestEnvelope<crate::fulfilment::RequestWithFulfilment>>,
            get(fulfilment::get),
        ),
        route(
            Method::GET,
            "/requests/{id}/status",
            "A request's status, transitions and fulfilment",
            None,
            ok,
            schema::<crate::fulfilment::StatusWithFulfilment>,
            get(fulfilment::status),
        ),
        route(
            Method::GET,
            "/requests/{id}/logs",
            "A request's fulfilment log (?after=<commit> for what came later)",
            None,
            ok,
            schema::<crate::fulfilment::LogsAnswer>,
            get(fulfilment::logs),
        ),
        route(
            Method::POST,
            "/requests/{id}/retry",
            "Run a failed or escalated request's failed action again, then the rest",
            Some(schema::<model::NoteBody>),
            ok,
            schema::<crate::fulfilment::LifecycleAnswer>,
            post(fulfilment::retry),
        ),
        route(
            Method::POST,
            "/requests/{id}/abort",
            "Abort a request",
            Some(schema::<model::NoteBody>),
            ok,
            schema::<crate::fulfilment::LifecycleAnswer>,
            post(fulfilment::abort),
        ),
        route(
            Method::POST,
            "/requests/{id}/escalate",
            "Hand a request to people: an escalation ticket, status escalated",
            Some(schema::<model::NoteBody>),
            ok,
            schema::<crate::fulfilment::LifecycleAnswer>,
            post(fulfilment::escalate),
        ),
        route(
            Method::GET,
            "/requests/{id}/escalation",
            "A request's last escalation (ticket, description)",
            None,
            ok,
            schema::<crate::fulfilment::EscalationAnswer>,
            get(fulfilment::escalation),
        ),
        route(
            Method::DELETE,
            "/requests/{id}",
            "Decommission the request's resource",
            None,
            accepted,
            schema::<model::RequestEnvelope<model::Request>>,
            delete(requests::decommission),
        ),
    ];
    let public = vec![
        route(
            Method::POST,
            "/webhooks/github",
            "GitHub events (X-Hub-Signature-256)",
            Some(any),
            ok,
            any,
            post(webhooks::github),
        ),
        route(
            Method::POST,
            "/webhooks/jira",
            "JIRA events (X-Hub-Signature)",
            Some(any),
            accepted,
            any,
            post(webhooks::jira),
        ),
        route(
            Method::POST,
            "/webhooks/terraform",
            "Terraform Cloud notifications (X-TFE-Notification-Signature)",
            Some(any),
            accepted,
            any,
            post(webhooks::terraform),
        ),
        route(Method::GET, "/health", "Liveness", None, ok, any, get(health::health)),
        route(
            Method::GET,
            "/health/ready",
            "Readiness: 503 until the catalog is loaded",
            None,
            ok,
            any,
            get(health::ready),
        ),
        route(Method::GET, "/metrics", "Prometheus metrics", None, ok, text, get(health::metrics)),
        route(Method::GET, "/version", "Build and catalog revision served", None, ok, any, get(health::version)),
        route(Method::GET, "/openapi.json", "This document (OpenAPI 3.1)", None, ok, any, get(crate::openapi::serve)),
    ];
    table.extend(public.into_iter().map(|(mut doc, handler)| {
        doc.public = true;
        doc.text = doc.path == "/metrics";
        (doc, handler)
    }));
    table
}

/// Limits of the protective layers.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest body, bytes.
    pub body_limit: usize,
    /// Longest time to answer.
    pub timeout: Duration,
    /// Requests handled at once.
    pub concurrency: usize,
}

impl Limits {
    /// From `[server]`.
    pub fn from_config(config: &pao_config::ServerConfig) -> Self {
        Self {
            body_limit: usize::try_from(config.body_limit).unwrap_or(usize::MAX),
            timeout: Duration::from_secs(config.request_timeout_seconds.max(1)),
            concurrency: config.concurrency_limit.max(1),
        }
    }
}

/// The whole application: routes, fallbacks and layers.
pub fn app(ctx: ApiContext, limits: Limits) -> Router {
    let mut api: Router<ApiContext> = Router::new();
    for (doc, handler) in routes() {
        api = api.route(doc.path, handler);
    }
    let router = Router::new()
        .nest(PREFIX, api)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(limits.timeout, timeout))
        .layer(middleware::from_fn_with_state(ctx.clone(), observe))
        .layer(DefaultBodyLimit::max(limits.body_limit))
        .with_state(ctx.clone());
    let protected = ServiceBuilder::new()
        .layer(HandleErrorLayer::new(move |err: BoxError| overloaded(ctx.clone(), err)))
        .load_shed()
        .concurrency_limit(limits.concurrency)
        .service(router);
    Router::new().fallback_service(protected).layer(middleware::from_fn(crate::correlation::layer))
}

async fn overloaded(ctx: ApiContext, err: BoxError) -> Response {
    if err.is::<tower::load_shed::error::Overloaded>() {
        ctx.metrics().shed();
        return ApiError::unavailable(
            "overloaded",
            "the server is handling as many requests as it can; retry shortly",
            1,
        )
        .into_response();
    }
    ApiError::internal(err).into_response()
}

async fn not_found(request: Request) -> ApiError {
    let path: String = request.uri().path().chars().take(200).collect();
    ApiError::not_found(
        "route_not_found",
        format!("no route `{}`; the API is under {PREFIX} (see {PREFIX}/openapi.json)", path.escape_debug()),
    )
}

async fn method_not_allowed(request: Request) -> ApiError {
    ApiError::bad_request(
        "method_not_allowed",
        format!("{} is not allowed here; see {PREFIX}/openapi.json for the methods of each route", request.method()),
    )
    .with_status(StatusCode::METHOD_NOT_ALLOWED)
}

/// A JSON answer from bytes already serialised (what [`axum::Json`] would have sent).
pub(crate) fn json_bytes(body: axum::body::Bytes) -> Response {
    ([(axum::http::header::CONTENT_TYPE, axum::http::HeaderValue::from_static("application/json"))], body)
        .into_response()
}

/// Marks the write of a handler as under way, so the timeout waits for its outcome instead of
/// answering 503 over it. Taken as an extractor; outside [`app`]'s layers it does nothing.
#[derive(Debug, Clone, Default)]
pub struct Commit(Option<Arc<AtomicBool>>);

impl Commit {
    /// From here on the call is answered with its outcome, however long it takes.
    pub fn begin(&self) {
        if let Some(flag) = &self.0 {
            flag.store(true, Ordering::Release);
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Commit {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts.extensions.get::<Commit>().cloned().unwrap_or_default())
    }
}

/// `[server] request-timeout-seconds`: a call not answered in time is answered 503 `timeout`,
/// unless it began a write ([`Commit::begin`]): that one is answered with its outcome.
pub async fn timeout(State(limit): State<Duration>, mut request: Request, next: Next) -> Response {
    let flag = Arc::new(AtomicBool::new(false));
    request.extensions_mut().insert(Commit(Some(Arc::clone(&flag))));
    let call = next.run(request);
    tokio::pin!(call);
    match tokio::time::timeout(limit, &mut call).await {
        Ok(response) => response,
        Err(_) if flag.load(Ordering::Acquire) => call.await,
        Err(_) => ApiError::unavailable("timeout", "the request took too long to handle; retry later", 1)
            .with_status(StatusCode::SERVICE_UNAVAILABLE)
            .into_response(),
    }
}

/// Logs a call that was dropped before its answer (the connection closed): without it, such a
/// call would leave no line at all.
struct Abandoned<'a> {
    method: &'a Method,
    route: &'a str,
    started: Instant,
    answered: bool,
}

impl Drop for Abandoned<'_> {
    fn drop(&mut self) {
        if !self.answered {
            let correlation_id = crate::correlation::current().unwrap_or_default();
            tracing::warn!(
                correlation_id = %correlation_id, method = %self.method, route = %self.route,
                duration_ms = self.started.elapsed().as_secs_f64() * 1000.0,
                "request abandoned: the connection closed before the answer"
            );
        }
    }
}

/// Metrics and one access log line per request. The line has the matched route, never the
/// query string or headers (which could hold tokens).
async fn observe(State(ctx): State<ApiContext>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route =
        request.extensions().get::<MatchedPath>().map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let mut abandoned = Abandoned { method: &method, route: &route, started, answered: false };
    let response = next.run(request).await;
    abandoned.answered = true;
    drop(abandoned);
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    ctx.metrics().observe_http(&route, method.as_str(), status, elapsed);
    let correlation_id = crate::correlation::current().unwrap_or_default();
    let millis = elapsed.as_secs_f64() * 1000.0;
    match response.extensions().get::<InternalCause>() {
        Some(InternalCause(cause)) => tracing::error!(
            correlation_id = %correlation_id, method = %method, route = %route, status, duration_ms = millis, cause = %cause,
            "request failed"
        ),
        None => tracing::info!(
            correlation_id = %correlation_id, method = %method, route = %route, status, duration_ms = millis,
            "request"
        ),
    }
    response
}
