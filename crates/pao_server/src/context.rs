//! The state every handler shares: the orchestrator, the configuration, the authenticator, the
//! catalog in service, the request index, the answer caches, the metrics and the fulfilment
//! executor. Cheap to clone (one `Arc`).

use std::sync::Arc;

use pao_config::Config;
use pao_orchestrator::Orchestrator;

use crate::auth::{AuthConfigError, Authenticator};
use crate::cache::{CatalogPages, StatusAnswers};
use crate::catalog_state::CatalogState;
use crate::index::RequestIndex;
use crate::metrics::Metrics;
use crate::refwatch::RefWatch;

/// Shared secrets of the webhooks, read from the environment at start; never logged.
#[derive(Clone, Default)]
pub struct WebhookSecrets {
    /// `GITHUB_WEBHOOK_SECRET`.
    pub github: Option<Vec<u8>>,
    /// `JIRA_WEBHOOK_SECRET`.
    pub jira: Option<Vec<u8>>,
    /// `TERRAFORM_WEBHOOK_SECRET`.
    pub terraform: Option<Vec<u8>>,
}

impl std::fmt::Debug for WebhookSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookSecrets")
            .field("github", &self.github.is_some())
            .field("jira", &self.jira.is_some())
            .field("terraform", &self.terraform.is_some())
            .finish()
    }
}

impl WebhookSecrets {
    /// The secrets from `GITHUB_WEBHOOK_SECRET`, `JIRA_WEBHOOK_SECRET` and
    /// `TERRAFORM_WEBHOOK_SECRET` (empty values count as unset).
    pub fn from_env() -> Self {
        let read = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty()).map(String::into_bytes);
        Self {
            github: read("GITHUB_WEBHOOK_SECRET"),
            jira: read("JIRA_WEBHOOK_SECRET"),
            terraform: read("TERRAFORM_WEBHOOK_SECRET"),
        }
    }
}

/// What `/version` and `pao_build_info` report.
#[derive(Debug, Clone)]
pub struct BuildInfo {
    /// The crate version.
    pub version: &'static str,
    /// The commit the binary was built from (`unknown` outside a Git checkout).
    pub commit: &'static str,
}

impl Default for BuildInfo {
    fn default() -> Self {
        Self { version: env!("CARGO_PKG_VERSION"), commit: env!("PAO_BUILD_COMMIT") }
    }
}

struct Inner {
    orchestrator: Arc<Orchestrator>,
    config: Arc<Config>,
    auth: Authenticator,
    catalog: CatalogState,
    index: RequestIndex,
    catalog_pages: CatalogPages,
    status_answers: StatusAnswers,
    metrics: Metrics,
    secrets: WebhookSecrets,
    build: BuildInfo,
    fulfilment: crate::fulfilment::Fulfilment,
}

/// The handlers' shared state.
#[derive(Clone)]
pub struct ApiContext(Arc<Inner>);

impl std::fmt::Debug for ApiContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiContext").field("orchestrator", &self.0.orchestrator).finish_non_exhaustive()
    }
}

impl ApiContext {
    /// The context of a server over `app` (the composition root's parts), executing requests
    /// with `fulfilment`.
    ///
    /// # Errors
    /// When `[auth]` is malformed.
    pub fn new(
        app: &pao_app::App,
        secrets: WebhookSecrets,
        fulfilment: crate::fulfilment::Fulfilment,
    ) -> Result<Self, AuthConfigError> {
        let auth = Authenticator::new(&app.config.auth)?;
        let catalog = CatalogState::new(Arc::clone(&app.catalog), app.catalog_rev.clone());
        let local = app.config.github.is_none();
        // One watch of the state repository's refs for both read caches.
        let git_dir = git2::Repository::open(&app.state_repo)
            .map_or_else(|_| app.state_repo.clone(), |repo| repo.path().to_owned());
        let watch = Arc::new(if local { RefWatch::new(&git_dir) } else { RefWatch::by_file_times(&git_dir) });
        let index = RequestIndex::new(Arc::clone(&app.orchestrator), app.state_repo.clone(), local, Arc::clone(&watch));
        let status_answers =
            StatusAnswers::new(app.state_repo.clone(), app.orchestrator.backend().base_branch(), local, watch);
        Ok(Self(Arc::new(Inner {
            orchestrator: Arc::clone(&app.orchestrator),
            config: Arc::clone(&app.config),
            auth,
            catalog,
            index,
            catalog_pages: CatalogPages::default(),
            status_answers,
            metrics: Metrics::default(),
            secrets,
            build: BuildInfo::default(),
            fulfilment,
        })))
    }

    /// The orchestrator.
    pub fn orchestrator(&self) -> &Arc<Orchestrator> {
        &self.0.orchestrator
    }

    /// The configuration in force.
    pub fn config(&self) -> &Config {
        &self.0.config
    }

    /// The authenticator.
    pub fn auth(&self) -> &Authenticator {
        &self.0.auth
    }

    /// The catalog in service.
    pub fn catalog(&self) -> &CatalogState {
        &self.0.catalog
    }

    /// The request index.
    pub fn index(&self) -> &RequestIndex {
        &self.0.index
    }

    /// The serialised `GET /catalog` pages of the catalog in service.
    pub fn catalog_pages(&self) -> &CatalogPages {
        &self.0.catalog_pages
    }

    /// The `GET /requests/{id}/status` answers by the ids of their refs.
    pub fn status_answers(&self) -> &StatusAnswers {
        &self.0.status_answers
    }

    /// The metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.0.metrics
    }

    /// The webhook secrets.
    pub fn secrets(&self) -> &WebhookSecrets {
        &self.0.secrets
    }

    /// The executor and the worker loop's wake-up handle.
    pub fn fulfilment(&self) -> &crate::fulfilment::Fulfilment {
        &self.0.fulfilment
    }

    /// The build.
    pub fn build(&self) -> &BuildInfo {
        &self.0.build
    }

    /// Reloads the catalog and logs the outcome.
    ///
    /// # Errors
    /// As [`CatalogState::refresh`].
    pub async fn refresh_catalog(&self, why: &str) -> Result<crate::catalog_state::Refreshed, String> {
        let result = self.catalog().refresh(self.metrics()).await;
        match &result {
            Ok(done) => tracing::info!(
                reason = why,
                commit = %done.commit,
                changed = done.changed,
                items = done.items,
                validation_errors = done.validation_errors,
                cache_hit = done.cache_hit,
                "catalog loaded"
            ),
            Err(err) => {
                tracing::warn!(reason = why, error = %err, "catalog load failed; the previous catalog stays in service")
            }
        }
        result
    }
}
