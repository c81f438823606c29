//! The action types, one directory each with the same files: `mod.rs` (what the action does:
//! `run`, and `poll` for actions that wait on something outside), `request.rs` (the HTTP calls
//! it makes, built from the rendered config without I/O) and `tests.rs` (unit tests of those
//! builders). [`run`] dispatches by an exhaustive `match` on the typed config, so a new action
//! type does not compile until it is handled here.

pub(crate) mod github_workflow;
pub(crate) mod jira_ticket;
pub(crate) mod rest_api;
pub(crate) mod terraform;
pub(crate) mod webhook;

use std::time::Duration;

use pao_schema::{Action, ActionConfig};
use serde_json::{Map, Value};

use crate::http::{ActionError, Http};
use crate::record::{FailureContext, Reference};
use crate::secrets::SecretCache;

/// What an action may use while it runs.
pub(crate) struct Env<'a> {
    pub(crate) http: &'a Http,
    pub(crate) secrets: &'a SecretCache,
    pub(crate) config: &'a pao_config::Config,
    /// `<request-id>.<action-id>`.
    pub(crate) idempotency_key: String,
    /// Bound of one attempt.
    pub(crate) timeout: Duration,
    /// When the previous attempt of this action began (RFC 3339), if it was interrupted (the
    /// executor died mid-call): what it may have created is looked for before creating again.
    pub(crate) resumed: Option<String>,
    /// After failover: what failed in the automated list.
    pub(crate) failure: Option<&'a FailureContext>,
    /// GitHub API root and token (`GITHUB_TOKEN`).
    pub(crate) github: &'a GithubApi,
    /// Facts about the request for default payloads.
    pub(crate) request: &'a Value,
    /// Now, RFC 3339 (from the executor's clock).
    pub(crate) now: String,
    /// Where `terraform` actions write their files (the base branch or a follow-up change).
    pub(crate) backend: &'a dyn pao_git::StateBackend,
}

/// Where `github-workflow` actions call GitHub.
#[derive(Debug, Clone)]
pub struct GithubApi {
    /// API root, `https://api.github.com` or a GitHub Enterprise `.../api/v3`.
    pub url: String,
    /// The token (`GITHUB_TOKEN`).
    pub token: Option<String>,
}

/// How an attempt ended when it did not fail.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Done {
    /// Finished; later actions may read `outputs`.
    Completed { outputs: Map<String, Value>, reference: Option<Reference> },
    /// Created something that finishes later (a ticket, a workflow run).
    Waiting { outputs: Map<String, Value>, reference: Reference },
}

/// Runs one attempt of `action` (its config rendered with real values).
pub(crate) async fn run(action: &Action, env: &Env<'_>) -> Result<Done, ActionError> {
    match &action.config {
        ActionConfig::RestApi(config) => rest_api::run(config, env).await,
        ActionConfig::Webhook(config) => webhook::run(config, env).await,
        ActionConfig::JiraTicket(config) => jira_ticket::run(config, env).await,
        ActionConfig::GithubWorkflow(config) => github_workflow::run(config, env).await,
        ActionConfig::Terraform(config) => terraform::run(config, env).await,
    }
}

/// Asks the outside system about a waiting action: `Ok(None)` while it is still going.
pub(crate) async fn poll(action: &Action, reference: &Reference, env: &Env<'_>) -> Result<Option<Done>, ActionError> {
    match &action.config {
        ActionConfig::JiraTicket(config) => jira_ticket::poll(config, reference, env).await,
        ActionConfig::GithubWorkflow(config) => github_workflow::poll(config, reference, env).await,
        ActionConfig::Terraform(_) => terraform::poll(reference, env).await,
        ActionConfig::RestApi(_) | ActionConfig::Webhook(_) => {
            Ok(Some(Done::Completed { outputs: Map::new(), reference: Some(reference.clone()) }))
        }
    }
}

/// A secret, or a non-retryable failure naming it.
pub(crate) async fn secret(env: &Env<'_>, name: &str) -> Result<String, ActionError> {
    env.secrets.get(name).await.map_err(|err| ActionError::fatal(err.to_string()))
}

/// `Basic <base64(user:token)>`.
pub(crate) fn rest_api_basic(user: &str, token: &str) -> String {
    use base64::Engine as _;
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{token}")))
}
