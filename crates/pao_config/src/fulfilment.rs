//! The tables the executor reads (SPEC section 8): `[jira]`, `[escalation]`,
//! `[[notifications]]`, `[secrets]` and `[executor]`.
//!
//! Credentials are never in this file: each table names a secret (`token-secret`,
//! `url-secret`) that the secrets provider resolves when an action runs.

use std::collections::BTreeMap;

use serde::Deserialize;

/// `[jira]`: the JIRA instances `jira-ticket` actions and escalations open tickets on.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct JiraConfig {
    /// `[jira.instances.<name>]`; actions use `default` unless `config.instance` names another.
    #[serde(default)]
    pub instances: BTreeMap<String, JiraInstance>,
}

/// One `[jira.instances.<name>]` table.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct JiraInstance {
    /// Base URL, e.g. `https://acme.atlassian.net`.
    pub url: String,
    /// The account PAO authenticates as (basic auth with the API token).
    pub user: String,
    /// Name of the secret holding the API token.
    pub token_secret: String,
}

/// `[escalation]`: the ticket `escalate` opens.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct EscalationConfig {
    /// The `[jira.instances]` entry to open it on.
    #[serde(default = "default_instance")]
    pub instance: String,
    /// JIRA project key.
    pub project: String,
    /// Issue type.
    #[serde(default = "default_issue_type")]
    pub issue_type: String,
    /// Priority name, if the project uses one.
    #[serde(default)]
    pub priority: Option<String>,
    /// Labels added to the ticket.
    #[serde(default)]
    pub labels: Vec<String>,
}

fn default_instance() -> String {
    "default".to_owned()
}

fn default_issue_type() -> String {
    "Task".to_owned()
}

/// One `[[notifications]]` target.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct NotificationConfig {
    /// Name of the secret holding the target URL (incoming webhooks embed their credential).
    pub url_secret: String,
    /// Payload shape.
    #[serde(default)]
    pub format: NotificationFormat,
    /// The statuses that trigger a message; empty: every status change.
    #[serde(default)]
    pub on: Vec<StatusName>,
}

/// `format` of a notification target.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NotificationFormat {
    /// A Slack incoming-webhook message (`text` plus blocks).
    #[default]
    Slack,
    /// A Microsoft Teams incoming-webhook message card.
    Teams,
    /// Plain JSON with one key per fact.
    Json,
}

/// A request status as `on` lists it (SPEC section 7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum StatusName {
    Submitted,
    Validating,
    PrOpen,
    PrMerged,
    InProgress,
    Completed,
    Failed,
    Aborted,
    Escalated,
    PrClosed,
}

impl StatusName {
    /// The status as SPEC spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Submitted => "submitted",
            Self::Validating => "validating",
            Self::PrOpen => "pr_open",
            Self::PrMerged => "pr_merged",
            Self::InProgress => "in_progress",
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Aborted => "aborted",
            Self::Escalated => "escalated",
            Self::PrClosed => "pr_closed",
        }
    }
}

/// `[secrets]`: where `secrets.*`, `token-secret`, `url-secret` and action `secret` names are
/// resolved.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SecretsConfig {
    /// Which provider.
    #[serde(default)]
    pub provider: SecretsProviderKind,
    /// Vault address (`provider = "vault"`); the token is read from `VAULT_TOKEN`.
    #[serde(default)]
    pub vault_url: Option<String>,
    /// The KV v2 mount.
    #[serde(default = "default_vault_mount")]
    pub vault_mount: String,
    /// Prefix of every secret's path under the mount (`pao/` reads `pao/<name>`).
    #[serde(default = "default_vault_prefix")]
    pub vault_path_prefix: String,
}

impl Default for SecretsConfig {
    fn default() -> Self {
        Self {
            provider: SecretsProviderKind::Env,
            vault_url: None,
            vault_mount: default_vault_mount(),
            vault_path_prefix: default_vault_prefix(),
        }
    }
}

fn default_vault_mount() -> String {
    "secret".to_owned()
}

fn default_vault_prefix() -> String {
    "pao/".to_owned()
}

/// `[secrets] provider`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SecretsProviderKind {
    /// `PAO_SECRET_<NAME>` environment variables (upper-cased, `-` and `.` as `_`).
    #[default]
    Env,
    /// HashiCorp Vault KV v2 over its HTTP API.
    Vault,
}

/// `[executor]`: how fulfilment runs (PAO's own table; SPEC leaves these open).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ExecutorConfig {
    /// Consecutive failures against one host that open its circuit breaker.
    #[serde(default = "default_breaker_failures")]
    pub breaker_failures: u32,
    /// How long an open breaker fails fast before letting one trial call through.
    #[serde(default = "default_breaker_open_seconds")]
    pub breaker_open_seconds: u64,
    /// How long a worker's lease on a request lasts without a heartbeat.
    #[serde(default = "default_lease_seconds")]
    pub lease_seconds: u64,
    /// How often `pao worker` looks for merged requests (and polls waiting actions).
    #[serde(default = "default_poll_seconds")]
    pub poll_seconds: u64,
    /// Attempt timeout of actions that set no `timeoutSeconds`.
    #[serde(default = "default_timeout_seconds")]
    pub default_timeout_seconds: u64,
    /// Commit status contexts that mean "applied" for `terraform` actions polled on GitHub (a
    /// context counts when it equals an entry or starts with it, so `atlantis/apply` also
    /// covers Atlantis's per-project `atlantis/apply: <project>`). A plan's success is not an
    /// apply, so `atlantis/plan` or an HCP Terraform speculative plan never completes an action.
    #[serde(default = "default_terraform_applied_contexts")]
    pub terraform_applied_contexts: Vec<String>,
}

impl Default for ExecutorConfig {
    fn default() -> Self {
        Self {
            breaker_failures: default_breaker_failures(),
            breaker_open_seconds: default_breaker_open_seconds(),
            lease_seconds: default_lease_seconds(),
            poll_seconds: default_poll_seconds(),
            default_timeout_seconds: default_timeout_seconds(),
            terraform_applied_contexts: default_terraform_applied_contexts(),
        }
    }
}

fn default_breaker_failures() -> u32 {
    5
}
fn default_breaker_open_seconds() -> u64 {
    30
}
fn default_lease_seconds() -> u64 {
    60
}
fn default_poll_seconds() -> u64 {
    30
}
fn default_timeout_seconds() -> u64 {
    60
}
fn default_terraform_applied_contexts() -> Vec<String> {
    vec!["atlantis/apply".to_owned()]
}
