//! The PAO REST API behind `pao serve` (SPEC section 7): the catalog, the platform-team tools
//! and the request lifecycle over HTTP, on top of the orchestrator.
//!
//! One stateless process: everything it knows it reads from Git, so several can run side by
//! side (with the GitHub backend GitHub is the shared store; with the local backend, processes
//! on one host share the repository through its ref locks). Design: `docs/server.md`.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let app = pao_app::App::open(&pao_app::RepositoryOptions::default())?;
//! let server = pao_server::Server::new(&app, pao_server::WebhookSecrets::from_env())?
//!     .with_worker(std::time::Duration::from_secs(30)); // `pao serve --worker`
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! server.run(listener, pao_server::shutdown_signal()).await?;
//! # Ok(()) }
//! ```

#![deny(missing_docs)]

pub mod auth;
pub mod cache;
pub mod catalog_state;
pub mod context;
pub mod correlation;
pub mod error;
pub mod extract;
pub mod fulfilment;
pub mod http;
pub mod index;
pub mod logwriter;
pub mod metrics;
pub mod model;
pub mod openapi;
pub mod pagination;
pub mod refwatch;

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

pub use auth::{AuthConfigError, Identity};
pub use context::{ApiContext, WebhookSecrets};
pub use error::{ApiError, status_code};
pub use fulfilment::Fulfilment;
pub use http::{Limits, app};

/// Why a server could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// `[auth]` is malformed.
    #[error(transparent)]
    Auth(#[from] AuthConfigError),
    /// The fulfilment executor cannot start (`[secrets]`, the state repository).
    #[error("the fulfilment executor cannot start: {0}")]
    Executor(#[from] pao_executor::ExecError),
}

/// A configured server: the shared context and its limits.
#[derive(Debug, Clone)]
pub struct Server {
    ctx: ApiContext,
    limits: Limits,
    poll: Option<Duration>,
    grace: Duration,
    worker: Option<Duration>,
}

impl Server {
    /// A server over the composition root's parts, with `[server]` of its configuration and
    /// an executor with the default options (`[secrets]`, the system clock).
    ///
    /// # Errors
    /// When `[auth]` is malformed or the executor cannot start.
    pub fn new(app: &pao_app::App, secrets: WebhookSecrets) -> Result<Self, SetupError> {
        let executor = pao_executor::Executor::new(app, pao_executor::ExecutorOptions::default())?;
        Self::with_executor(app, secrets, std::sync::Arc::new(executor))
    }

    /// A server that executes requests with `executor` (tests and embedders choose its secrets
    /// provider and clock).
    ///
    /// # Errors
    /// When `[auth]` is malformed.
    pub fn with_executor(
        app: &pao_app::App,
        secrets: WebhookSecrets,
        executor: std::sync::Arc<pao_executor::Executor>,
    ) -> Result<Self, SetupError> {
        let config = &app.config.server;
        let fulfilment = Fulfilment::new(executor, pao_executor::WakeHandle::new());
        Ok(Self {
            ctx: ApiContext::new(app, secrets, fulfilment)?,
            limits: Limits::from_config(config),
            poll: (config.catalog_poll_seconds > 0).then(|| Duration::from_secs(config.catalog_poll_seconds)),
            grace: Duration::from_secs(config.shutdown_grace_seconds),
            worker: None,
        })
    }

    /// Also runs the worker loop (`pao serve --worker`) in [`Self::run`]: a pass every `poll`,
    /// and at once when a webhook reports a merge, a JIRA ticket or a Terraform run.
    #[must_use]
    pub fn with_worker(mut self, poll: Duration) -> Self {
        self.worker = Some(poll.max(Duration::from_millis(10)));
        self
    }

    /// Spawns the worker loop when [`Self::with_worker`] asked for one.
    fn spawn_worker(&self) -> Option<tokio::task::JoinHandle<()>> {
        let poll = self.worker?;
        let fulfilment = self.ctx.fulfilment().clone();
        Some(tokio::spawn(async move {
            tracing::info!(poll_seconds = poll.as_secs_f64(), "worker loop started");
            pao_executor::run_worker(
                std::sync::Arc::clone(fulfilment.executor()),
                pao_executor::WorkerOptions { once: false, poll },
                fulfilment.wake_handle().clone(),
                |pass| match pass {
                    Ok(report) => {
                        for id in &report.executed {
                            tracing::info!(request_id = %id, "worker executed request");
                        }
                        for id in &report.busy {
                            tracing::info!(request_id = %id, "request held by another worker");
                        }
                        for (id, error) in &report.errors {
                            tracing::warn!(request_id = %id, error = %error, "request could not be executed");
                        }
                    }
                    Err(err) => tracing::warn!(error = %err, "worker pass could not read the state repository"),
                },
            )
            .await;
        }))
    }

    /// The shared context.
    pub fn context(&self) -> &ApiContext {
        &self.ctx
    }

    /// The REST API under `/api/v1` with every layer, for in-process use (tests:
    /// `tower::ServiceExt::oneshot`).
    pub fn api_router(&self) -> axum::Router {
        app(self.ctx.clone(), self.limits)
    }

    /// What `pao serve` serves: the web portal at `/` (`pao_portal`, a client of the API through
    /// in-process calls, so it can do nothing the API would refuse) and everything else, the API
    /// included, answered by [`Server::api_router`].
    pub fn router(&self) -> axum::Router {
        let api = self.api_router();
        pao_portal::router(api.clone(), pao_portal::PortalOptions::default()).fallback_service(api)
    }

    /// Calls the API in process as `who`, through the same router, handlers and error envelope
    /// as over HTTP: `pao catalog` without `--api` answers exactly what a server would.
    /// `path` is below `/api/v1` (`/catalog?q=pg`). Returns the status and the JSON body
    /// (`null` when the body is empty or not JSON).
    pub async fn call_as(
        &self,
        who: Identity,
        method: axum::http::Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> (axum::http::StatusCode, serde_json::Value) {
        use tower::ServiceExt as _;
        let mut request = axum::http::Request::builder().method(method).uri(format!("{}{path}", http::PREFIX));
        if body.is_some() {
            request = request.header(axum::http::header::CONTENT_TYPE, "application/json");
        }
        let body = body.map_or_else(axum::body::Body::empty, |b| axum::body::Body::from(b.to_string()));
        let response = match request.body(body) {
            Ok(mut request) => {
                request.extensions_mut().insert(auth::InProcessIdentity(who));
                match self.api_router().oneshot(request).await {
                    Ok(response) => response,
                    Err(never) => match never {},
                }
            }
            Err(err) => axum::response::IntoResponse::into_response(ApiError::bad_request(
                "invalid_path",
                format!("`{}` is not a valid API path: {err}", path.escape_debug()),
            )),
        };
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap_or_default();
        (status, serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null))
    }

    /// Loads the catalog once (readiness turns green when it succeeds).
    pub async fn load_catalog(&self) -> bool {
        self.ctx.refresh_catalog("start").await.is_ok()
    }

    /// Reads the request index in the background, so the first `GET /requests` does not wait
    /// for it (a failure is logged; the first listing then reads it itself).
    fn warm_index(&self) {
        let ctx = self.ctx.clone();
        tokio::task::spawn_blocking(move || {
            let started = std::time::Instant::now();
            match ctx.index().warm() {
                Ok(Some(requests)) => {
                    let ms = started.elapsed().as_millis();
                    tracing::info!(requests, ms, "request index read");
                }
                Ok(None) => {}
                Err(err) => tracing::warn!(error = %err, "the request index could not be read at start"),
            }
        });
    }

    /// Serves on `listener` until `shutdown` completes, then lets in-flight requests finish
    /// (up to `[server] shutdown-grace-seconds`). Loads the catalog first (a failure is logged
    /// and retried by the poll; `/health/ready` stays 503 meanwhile) and polls it every
    /// `[server] catalog-poll-seconds`.
    ///
    /// # Errors
    /// When the listener fails.
    pub async fn run(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        self.load_catalog().await;
        self.warm_index();
        let worker = self.spawn_worker();
        let poller = self.poll.map(|every| {
            let ctx = self.ctx.clone();
            tokio::spawn(async move {
                let mut ticks = tokio::time::interval(every);
                ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                ticks.tick().await;
                loop {
                    ticks.tick().await;
                    let _ = ctx.refresh_catalog("poll").await;
                }
            })
        });
        let address = listener.local_addr()?;
        tracing::info!(address = %address, "serving the PAO API");
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let grace = self.grace;
        let service = self.router().into_make_service_with_connect_info::<SocketAddr>();
        let mut stopped = stop_rx.clone();
        let server = axum::serve(listener, service).with_graceful_shutdown(async move {
            let _ = stopped.wait_for(|s| *s).await;
        });
        tokio::spawn(async move {
            shutdown.await;
            tracing::info!("shutting down: finishing in-flight requests");
            let _ = stop_tx.send(true);
        });
        let mut forced = stop_rx;
        let result = tokio::select! {
            result = server => result,
            () = async move {
                let _ = forced.wait_for(|s| *s).await;
                tokio::time::sleep(grace).await;
            } => {
                tracing::warn!(grace_seconds = grace.as_secs(), "in-flight requests did not finish in time");
                Ok(())
            }
        };
        if let Some(poller) = poller {
            poller.abort();
        }
        if let Some(worker) = worker {
            // A pass stopped mid-action resumes safely: its lease runs out and the next worker
            // makes the interrupted attempt again with the same Idempotency-Key.
            worker.abort();
        }
        result
    }
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

/// Structured JSON logs on standard error (`RUST_LOG` filters; default `info`), written by a
/// thread of their own ([`logwriter`]). Keep the guard until the program ends: dropping it
/// flushes the lines still queued.
pub fn init_logging() -> logwriter::LogGuard {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let (writer, guard) = logwriter::channel(std::io::stderr());
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(false)
        .with_writer(move || writer.clone())
        .try_init();
    guard
}
