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
    /// The file is a directory, too large, or unreadable (the bounded reader's error).
    #[error(transparent)]
    File(#[from] pao_source::ReadError),
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
    /// `[server]`: limits and timers of `pao serve`.
    #[serde(default)]
    pub server: ServerConfig,
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

/// `[server]`: limits and timers of `pao serve`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ServerConfig {
    /// Largest request body accepted, in bytes (`"1MiB"`, `"512KiB"`, `"2MB"` or a number of
    /// bytes); larger bodies are refused with 413.
    #[serde(default = "default_body_limit", deserialize_with = "de_byte_size")]
    pub body_limit: u64,
    /// Seconds between background reloads of the catalog; 0 turns the poll off.
    #[serde(default = "default_poll_seconds")]
    pub catalog_poll_seconds: u64,
    /// Seconds one HTTP request may take before it is answered 503.
    #[serde(default = "default_request_timeout")]
    pub request_timeout_seconds: u64,
    /// HTTP requests handled at once; more are shed with 503 and `Retry-After`.
    #[serde(default = "default_concurrency_limit")]
    pub concurrency_limit: usize,
    /// Seconds in-flight requests get to finish after a shutdown signal.
    #[serde(default = "default_shutdown_grace")]
    pub shutdown_grace_seconds: u64,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            body_limit: default_body_limit(),
            catalog_poll_seconds: default_poll_seconds(),
            request_timeout_seconds: default_request_timeout(),
            concurrency_limit: default_concurrency_limit(),
            shutdown_grace_seconds: default_shutdown_grace(),
        }
    }
}

fn default_body_limit() -> u64 {
    1 << 20
}

fn default_poll_seconds() -> u64 {
    60
}

fn default_request_timeout() -> u64 {
    30
}

fn default_concurrency_limit() -> usize {
    512
}

fn default_shutdown_grace() -> u64 {
    30
}

/// Parses a byte size: a number of bytes, or a number with `B`, `KB`, `MB`, `GB` (powers of
/// 1000) or `KiB`, `MiB`, `GiB` (powers of 1024); case-insensitive, optional space.
///
/// # Errors
/// A message naming the accepted forms.
pub fn parse_byte_size(text: &str) -> Result<u64, String> {
    let trimmed = text.trim();
    let split = trimmed.find(|c: char| !c.is_ascii_digit()).unwrap_or(trimmed.len());
    let (digits, unit) = trimmed.split_at(split);
    let number: u64 = digits.parse().map_err(|_| {
        format!(
            "invalid size `{text}`: expected a number of bytes or a number with a unit, such as \"1MiB\" or \"512KB\""
        )
    })?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kb" => 1000,
        "mb" => 1000 * 1000,
        "gb" => 1000 * 1000 * 1000,
        "kib" => 1 << 10,
        "mib" => 1 << 20,
        "gib" => 1 << 30,
        other => {
            return Err(format!("invalid size `{text}`: unknown unit `{other}`; use B, KB, MB, GB, KiB, MiB or GiB"));
        }
    };
    number.checked_mul(factor).ok_or_else(|| format!("invalid size `{text}`: too large"))
}

fn de_byte_size<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Size {
        Bytes(u64),
        Text(String),
    }
    match Size::deserialize(deserializer)? {
        Size::Bytes(bytes) => Ok(bytes),
        Size::Text(text) => parse_byte_size(&text).map_err(serde::de::Error::custom),
    }
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

/// Names the `env` secrets provider reads secrets from.
const SECRET_PREFIX: &str = "PAO_SECRET_";

/// Parts of a name that suggest its value is a secret.
const SECRET_WORDS: [&str; 5] = ["TOKEN", "PASSWORD", "SECRET", "CREDENTIAL", "PRIVATE_KEY"];

/// A POSIX environment variable name: `[A-Za-z_][A-Za-z0-9_]*`.
fn is_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
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
        let config: Self = toml::from_str(text).map_err(|err| {
            let offset = err.span().map_or(0, |span| span.start);
            let at = pao_source::LineIndex::new(text).line_col(text, offset);
            ConfigError::Invalid {
                path: path.to_owned(),
                line: at.line as usize,
                column: at.column as usize,
                message: err.message().to_owned(),
            }
        })?;
        config.check_environment(text, path)?;
        Ok(config)
    }

    /// `[templates] environment`: every name a valid environment variable name, and none of the
    /// secrets provider's `PAO_SECRET_*` (its value would be printed by `vars render` and
    /// written to Git).
    fn check_environment(&self, text: &str, path: &Path) -> Result<(), ConfigError> {
        for name in &self.templates.environment {
            let message = if !is_env_name(name) {
                format!(
                    "`[templates] environment` entry {name:?} is not an environment variable name; \
                     use letters, digits and `_`, not starting with a digit"
                )
            } else if name.to_ascii_uppercase().starts_with(SECRET_PREFIX) {
                format!(
                    "`[templates] environment` allow-lists `{name}`, a secret of the `env` secrets provider; \
                     templates would print it and requests would store it in Git: read it as \
                     `secrets.<name>` instead and remove it from this list"
                )
            } else {
                continue;
            };
            let offset = [format!("\"{name}\""), format!("'{name}'")]
                .iter()
                .find_map(|quoted| text.find(quoted.as_str()))
                .or_else(|| text.find("environment"))
                .unwrap_or(0);
            let at = pao_source::LineIndex::new(text).line_col(text, offset);
            return Err(ConfigError::Invalid {
                path: path.to_owned(),
                line: at.line as usize,
                column: at.column as usize,
                message,
            });
        }
        Ok(())
    }

    /// Settings that are allowed but probably a mistake, as messages naming the key; callers
    /// print them as warnings. Today: `[templates] environment` names that look like secrets.
    pub fn warnings(&self) -> Vec<String> {
        self.templates
            .environment
            .iter()
            .filter(|name| {
                let upper = name.to_ascii_uppercase();
                SECRET_WORDS.iter().any(|word| upper.contains(word))
            })
            .map(|name| {
                format!(
                    "pao.toml: `[templates] environment` allow-lists `{name}`, which looks like a secret; \
                     its value would appear in rendered templates and in requests stored in Git. \
                     Use `secrets.<name>` for secrets"
                )
            })
            .collect()
    }

    /// Reads a configuration file.
    ///
    /// # Errors
    /// When the file cannot be read or is invalid.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = pao_source::read_to_string_bounded(path, pao_source::MAX_INPUT_BYTES)?;
        Self::parse(&text, path)
    }

    /// Reads `pao.toml` at `root` if there is one; the defaults otherwise.
    ///
    /// # Errors
    /// When something is at `root/pao.toml` but it cannot be read (a directory, a dangling
    /// link, no permission, too large) or is invalid: a configuration is never silently ignored.
    pub fn discover(root: &Path) -> Result<Self, ConfigError> {
        let path = root.join(FILE_NAME);
        match std::fs::symlink_metadata(&path) {
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(source) => Err(ConfigError::Read { path, source }),
            Ok(_) => Self::load(&path),
        }
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

[server]
body-limit = "1MiB"
catalog-poll-seconds = 60

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
        assert_eq!(config.server.body_limit, 1 << 20);
        assert_eq!(config.server.catalog_poll_seconds, 60);
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
    fn server_defaults_apply_without_the_table() {
        let config = Config::parse("", Path::new("pao.toml")).unwrap();
        assert_eq!(config.server, ServerConfig::default());
        let config = Config::parse("[server]\ncatalog-poll-seconds = 0\n", Path::new("pao.toml")).unwrap();
        assert_eq!(config.server.catalog_poll_seconds, 0);
        assert_eq!(config.server.body_limit, 1 << 20);
    }

    #[test]
    fn byte_sizes_take_units_and_plain_numbers() {
        assert_eq!(parse_byte_size("512KiB"), Ok(512 * 1024));
        assert_eq!(parse_byte_size("2 MB"), Ok(2_000_000));
        assert_eq!(parse_byte_size("100"), Ok(100));
        let config = Config::parse("[server]\nbody-limit = 4096\n", Path::new("pao.toml")).unwrap();
        assert_eq!(config.server.body_limit, 4096);
        assert!(parse_byte_size("1 parsec").unwrap_err().contains("unknown unit `parsec`"));
        assert!(parse_byte_size("lots").unwrap_err().contains("such as \"1MiB\""));
        assert!(parse_byte_size("99999999999GiB").unwrap_err().contains("too large"));
    }

    #[test]
    fn server_table_rejects_unknown_keys_and_bad_sizes() {
        let err = Config::parse("[server]\nbody-limt = \"1MiB\"\n", Path::new("pao.toml")).unwrap_err();
        let ConfigError::Invalid { line, message, .. } = err else { panic!("{err}") };
        assert_eq!(line, 2);
        assert!(message.contains("body-limt"), "{message}");
        let err = Config::parse("[server]\nbody-limit = \"huge\"\n", Path::new("pao.toml")).unwrap_err();
        assert!(err.to_string().contains("pao.toml:2"), "{err}");
    }

    #[test]
    fn unknown_keys_are_errors_with_their_line() {
        let err = Config::parse("[lint]\nexclud = []\n", Path::new("pao.toml")).unwrap_err();
        let ConfigError::Invalid { line, message, .. } = err else { panic!("{err}") };
        assert_eq!(line, 2);
        assert!(message.contains("exclud"), "{message}");
    }

    #[test]
    fn secret_provider_names_cannot_be_allow_listed() {
        let text = "[templates]\nenvironment = [\"AWS_REGION\",\n  \"PAO_SECRET_DB\"]\n";
        let err = Config::parse(text, Path::new("pao.toml")).unwrap_err();
        insta::assert_snapshot!(err.to_string());
        let err = Config::parse("[templates]\nenvironment = ['pao_secret_x']\n", Path::new("pao.toml")).unwrap_err();
        assert!(err.to_string().contains("secrets provider"), "{err}");
    }

    #[test]
    fn invalid_environment_names_are_errors() {
        for name in ["", "1ABC", "A-B", "A=B", "A B", "\\u0007BELL"] {
            let text = format!("[templates]\nenvironment = [\"{name}\"]\n");
            let err = Config::parse(&text, Path::new("pao.toml")).unwrap_err();
            assert!(err.to_string().contains("is not an environment variable name"), "{name}: {err}");
        }
        insta::assert_snapshot!(
            Config::parse("[templates]\nenvironment = [\"A-B\"]\n", Path::new("pao.toml")).unwrap_err().to_string()
        );
    }

    #[test]
    fn secret_looking_names_are_warnings() {
        let config = Config::parse(
            "[templates]\nenvironment = [\"AWS_REGION\", \"GITHUB_TOKEN\", \"db_password\"]\n",
            Path::new("pao.toml"),
        )
        .unwrap();
        let warnings = config.warnings();
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        insta::assert_snapshot!(warnings[0]);
        assert!(Config::default().warnings().is_empty());
    }

    #[test]
    fn a_pao_toml_that_is_a_directory_or_unreadable_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Config::discover(dir.path()).unwrap(), Config::default());
        std::fs::create_dir(dir.path().join(FILE_NAME)).unwrap();
        let err = Config::discover(dir.path()).unwrap_err();
        assert!(err.to_string().ends_with("pao.toml: it is a directory, not a file"), "{err}");
        std::fs::remove_dir(dir.path().join(FILE_NAME)).unwrap();
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink("missing.toml", dir.path().join(FILE_NAME)).unwrap();
            let err = Config::discover(dir.path()).unwrap_err();
            assert!(err.to_string().contains("cannot read"), "{err}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn an_endless_config_file_stops_at_the_limit() {
        let err = Config::load(Path::new("/dev/zero")).unwrap_err();
        assert!(err.to_string().contains("larger than the 2 MiB limit"), "{err}");
    }

    #[test]
    fn bad_levels_are_errors() {
        let err = Config::parse("[lint.rules]\nPAO201 = \"loud\"\n", Path::new("pao.toml")).unwrap_err();
        assert!(err.to_string().contains("pao.toml:2"), "{err}");
    }
}
