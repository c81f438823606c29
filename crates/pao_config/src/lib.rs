//! `pao.toml`, the optional configuration at a catalog repository's root (SPEC section 8).
//!
//! Every table rejects unknown keys, so a typo never silently disables a check: the error names
//! the key and its line. The crate only reads and checks the file; what each setting does lives
//! with the crate that uses it.

#![deny(missing_docs)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

mod fulfilment;
mod root;

pub use fulfilment::{
    EscalationConfig, ExecutorConfig, JiraConfig, JiraInstance, NotificationConfig, NotificationFormat, SecretsConfig,
    SecretsProviderKind, StatusName,
};

pub use root::find_repository_root;

/// The file name looked for at the repository root.
pub const FILE_NAME: &str = "pao.toml";

/// Why the configuration could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid TOML, or has an unknown key or a wrong value.
    #[error("{path}:{line}:{column}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// 1-based line of the fault.
        line: usize,
        /// 1-based column of the fault.
        column: usize,
        /// What is wrong.
        message: String,
    },
}

/// The whole `pao.toml`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `[catalog]`.
    #[serde(default)]
    pub catalog: CatalogConfig,
    /// `[lint]`.
    #[serde(default)]
    pub lint: LintConfig,
    /// `[templates]`.
    #[serde(default)]
    pub templates: TemplatesConfig,
    /// `[auth]`.
    #[serde(default)]
    pub auth: AuthConfig,
    /// `[github]`: when present, requests become GitHub pull requests.
    #[serde(default)]
    pub github: Option<GithubConfig>,
    /// `[jira]`: instances for `jira-ticket` actions and escalations.
    #[serde(default)]
    pub jira: JiraConfig,
    /// `[escalation]`: the ticket `escalate` opens.
    #[serde(default)]
    pub escalation: Option<EscalationConfig>,
    /// `[[notifications]]`: targets told about status changes.
    #[serde(default)]
    pub notifications: Vec<NotificationConfig>,
    /// `[secrets]`: the secrets provider.
    #[serde(default)]
    pub secrets: SecretsConfig,
    /// `[executor]`: circuit breaker, lease and polling settings of fulfilment.
    #[serde(default)]
    pub executor: ExecutorConfig,
}

/// `[catalog]`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct CatalogConfig {
    /// GitHub organisation: CODEOWNERS owners are `@<org>/<owner.team>`.
    pub github_org: Option<String>,
}

/// `[lint]`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct LintConfig {
    /// Glob patterns (relative to the repository root) of files not to lint.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Rule code to level.
    #[serde(default)]
    pub rules: BTreeMap<String, RuleLevel>,
}

/// A rule's configured level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleLevel {
    /// Report as an error.
    Error,
    /// Report as a warning.
    Warning,
    /// Do not run the rule.
    Off,
}

/// `[templates]`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct TemplatesConfig {
    /// The only environment variable names `environment.*` may read.
    #[serde(default)]
    pub environment: Vec<String>,
}

/// `[auth]`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct AuthConfig {
    /// Teams that may see and act on every team's requests.
    #[serde(default)]
    pub admin_teams: Vec<String>,
    /// Bearer tokens, stored only as SHA-256 hex.
    #[serde(default)]
    pub tokens: Vec<TokenConfig>,
    /// Identity headers set by an authenticating gateway.
    #[serde(default)]
    pub gateway: Option<GatewayConfig>,
}

/// One `[[auth.tokens]]` entry.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct TokenConfig {
    /// SHA-256 of the token, lowercase hex.
    pub sha256: String,
    /// User id.
    pub user: String,
    /// E-mail address.
    #[serde(default)]
    pub email: Option<String>,
    /// Teams the user belongs to.
    #[serde(default)]
    pub teams: Vec<String>,
}

/// `[auth.gateway]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct GatewayConfig {
    /// Header holding the user id.
    pub user_header: String,
    /// Header holding comma-separated teams.
    pub teams_header: String,
    /// CIDR ranges whose requests may set those headers.
    #[serde(default)]
    pub trusted_proxies: Vec<String>,
}

/// `[github]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct GithubConfig {
    /// `owner/name` of the state repository.
    pub repository: String,
    /// API base URL; GitHub Enterprise servers have their own.
    #[serde(default = "default_api_url")]
    pub api_url: String,
}

fn default_api_url() -> String {
    "https://api.github.com".into()
}

impl Config {
    /// Parses configuration text; `path` is only used in error messages.
    ///
    /// # Errors
    /// When the text is not TOML, has an unknown key, or a value of the wrong type.
    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        toml::from_str(text).map_err(|err| {
            let offset = err.span().map_or(0, |span| span.start);
            let at = pao_source::LineIndex::new(text).line_col(text, offset);
            ConfigError::Invalid {
                path: path.to_owned(),
                line: at.line as usize,
                column: at.column as usize,
                message: err.message().to_owned(),
            }
        })
    }

    /// Reads a configuration file.
    ///
    /// # Errors
    /// When the file cannot be read or is invalid.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text =
            std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_owned(), source })?;
        Self::parse(&text, path)
    }

    /// Reads `pao.toml` at `root` if there is one; the defaults otherwise.
    ///
    /// # Errors
    /// When the file exists but cannot be read or is invalid.
    pub fn discover(root: &Path) -> Result<Self, ConfigError> {
        let path = root.join(FILE_NAME);
        if path.is_file() { Self::load(&path) } else { Ok(Self::default()) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC_EXAMPLE: &str = r#"
[catalog]
github-org = "acme"

[lint]
exclude = ["catalog/experimental/**"]
[lint.rules]
PAO123 = "warning"

[templates]
environment = ["AWS_REGION"]

[auth]
admin-teams = ["platform"]
[[auth.tokens]]
sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
user = "alice"
email = "alice@acme.example"
teams = ["streaming"]
[auth.gateway]
user-header = "X-Pao-User"
teams-header = "X-Pao-Teams"
trusted-proxies = ["127.0.0.1/32"]

[github]
repository = "acme/platform-state"
api-url = "https://api.github.com"

[jira.instances.default]
url = "https://acme.atlassian.net"
user = "pao-bot@acme.example"
token-secret = "jira-token"

[escalation]
instance = "default"
project = "ORCH"
issue-type = "Incident"

[[notifications]]
url-secret = "slack-webhook"
format = "slack"
on = ["failed", "escalated", "completed"]

[secrets]
provider = "env"
"#;

    #[test]
    fn reads_the_spec_example() {
        let config = Config::parse(SPEC_EXAMPLE, Path::new("pao.toml")).unwrap();
        assert_eq!(config.catalog.github_org.as_deref(), Some("acme"));
        assert_eq!(config.lint.rules["PAO123"], RuleLevel::Warning);
        assert_eq!(config.templates.environment, ["AWS_REGION"]);
        assert_eq!(config.auth.tokens[0].teams, ["streaming"]);
        assert_eq!(config.github.unwrap().repository, "acme/platform-state");
        assert_eq!(config.jira.instances["default"].token_secret, "jira-token");
        let escalation = config.escalation.unwrap();
        assert_eq!((escalation.project.as_str(), escalation.issue_type.as_str()), ("ORCH", "Incident"));
        assert_eq!(config.notifications[0].format, NotificationFormat::Slack);
        assert_eq!(config.notifications[0].on, [StatusName::Failed, StatusName::Escalated, StatusName::Completed]);
        assert_eq!(config.secrets.provider, SecretsProviderKind::Env);
        assert_eq!(config.executor, ExecutorConfig::default());
    }

    #[test]
    fn vault_settings_and_defaults() {
        let text = "[secrets]\nprovider = \"vault\"\nvault-url = \"http://127.0.0.1:8200\"\n";
        let config = Config::parse(text, Path::new("pao.toml")).unwrap();
        assert_eq!(config.secrets.provider, SecretsProviderKind::Vault);
        assert_eq!(config.secrets.vault_url.as_deref(), Some("http://127.0.0.1:8200"));
        assert_eq!(
            (config.secrets.vault_mount.as_str(), config.secrets.vault_path_prefix.as_str()),
            ("secret", "pao/")
        );
    }

    #[test]
    fn unknown_keys_of_the_fulfilment_tables_are_errors_with_their_line() {
        for (text, line, key) in [
            ("[jira.instances.default]\nurl = \"u\"\nuser = \"x\"\ntoken = \"t\"\n", 4, "token"),
            ("[escalation]\nproject = \"ORCH\"\nissuetype = \"Bug\"\n", 3, "issuetype"),
            ("[[notifications]]\nurl-secret = \"s\"\nurl = \"https://hooks\"\n", 3, "url"),
            ("[secrets]\nprovider = \"env\"\nvault-token = \"t\"\n", 3, "vault-token"),
            ("[executor]\nbreaker = 3\n", 2, "breaker"),
        ] {
            let err = Config::parse(text, Path::new("pao.toml")).unwrap_err();
            let ConfigError::Invalid { line: at, message, .. } = &err else { panic!("{err}") };
            assert_eq!(*at, line, "{text}: {err}");
            assert!(message.contains(key), "{text}: {message}");
        }
    }

    #[test]
    fn bad_values_of_the_fulfilment_tables_are_errors() {
        for text in [
            "[[notifications]]\nurl-secret = \"s\"\non = [\"done\"]\n",
            "[[notifications]]\nurl-secret = \"s\"\nformat = \"discord\"\n",
            "[secrets]\nprovider = \"aws\"\n",
        ] {
            let err = Config::parse(text, Path::new("pao.toml")).unwrap_err();
            assert!(err.to_string().starts_with("pao.toml:"), "{err}");
        }
    }

    #[test]
    fn unknown_keys_are_errors_with_their_line() {
        let err = Config::parse("[lint]\nexclud = []\n", Path::new("pao.toml")).unwrap_err();
        let ConfigError::Invalid { line, message, .. } = err else { panic!("{err}") };
        assert_eq!(line, 2);
        assert!(message.contains("exclud"), "{message}");
    }

    #[test]
    fn bad_levels_are_errors() {
        let err = Config::parse("[lint.rules]\nPAO201 = \"loud\"\n", Path::new("pao.toml")).unwrap_err();
        assert!(err.to_string().contains("pao.toml:2"), "{err}");
    }
}
