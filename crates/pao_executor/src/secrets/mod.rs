//! The secrets provider: where `secrets.*` in templates, `auth.secret`, webhook `secret`,
//! JIRA `token-secret` and notification `url-secret` names are resolved, only when an action
//! executes. Two providers: [`EnvSecrets`] (the default) and [`VaultSecrets`] (HashiCorp
//! Vault KV v2). Errors name the secret and where it was looked for, never a value.

mod env;
mod vault;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

pub use env::{EnvSecrets, env_name};
pub use vault::VaultSecrets;

use crate::clock::BoxFuture;
use crate::mask::Masker;

/// Why a secret could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    /// The provider has no such secret.
    #[error("secret `{name}` is not set: {hint}")]
    Missing {
        /// The secret's name.
        name: String,
        /// Where it was looked for and how to set it.
        hint: String,
    },
    /// The provider refused or failed.
    #[error("secret `{name}` could not be read from {provider}: {message}")]
    Provider {
        /// The secret's name.
        name: String,
        /// The provider.
        provider: String,
        /// What went wrong (the provider's message, never a value).
        message: String,
    },
    /// The provider is not configured correctly.
    #[error("[secrets] in pao.toml: {0}")]
    Config(String),
}

/// A source of secret values.
pub trait SecretsProvider: Send + Sync {
    /// `env`, `vault https://...`.
    fn describe(&self) -> String;
    /// The value of secret `name`.
    fn get<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<String, SecretError>>;
}

/// The provider `[secrets]` configures.
///
/// # Errors
/// [`SecretError::Config`] for `vault` without `vault-url` or without `VAULT_TOKEN`.
pub fn provider_from_config(
    config: &pao_config::SecretsConfig,
    http: &crate::http::Http,
) -> Result<Arc<dyn SecretsProvider>, SecretError> {
    match config.provider {
        pao_config::SecretsProviderKind::Env => Ok(Arc::new(EnvSecrets)),
        pao_config::SecretsProviderKind::Vault => {
            let url = config.vault_url.clone().ok_or_else(|| {
                SecretError::Config("provider = \"vault\" needs vault-url = \"https://vault.example\"".to_owned())
            })?;
            let token = std::env::var("VAULT_TOKEN").ok().filter(|t| !t.is_empty()).ok_or_else(|| {
                SecretError::Config(
                    "provider = \"vault\" reads its token from VAULT_TOKEN, which is not set".to_owned(),
                )
            })?;
            Ok(Arc::new(VaultSecrets::new(http.clone(), url, token, &config.vault_mount, &config.vault_path_prefix)))
        }
    }
}

/// The secrets of one execution: each read once, and registered with the masker the moment it
/// is read.
#[derive(Clone)]
pub struct SecretCache {
    provider: Arc<dyn SecretsProvider>,
    masker: Masker,
    values: Arc<Mutex<BTreeMap<String, String>>>,
}

impl std::fmt::Debug for SecretCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretCache").field("provider", &self.provider.describe()).finish_non_exhaustive()
    }
}

impl SecretCache {
    /// A cache over `provider`, masking with `masker`.
    pub fn new(provider: Arc<dyn SecretsProvider>, masker: Masker) -> Self {
        Self { provider, masker, values: Arc::default() }
    }

    /// The masker.
    pub fn masker(&self) -> &Masker {
        &self.masker
    }

    /// The value of `name`.
    ///
    /// # Errors
    /// As the provider.
    pub async fn get(&self, name: &str) -> Result<String, SecretError> {
        if let Some(value) = self.values.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(name) {
            return Ok(value.clone());
        }
        let value = self.provider.get(name).await?;
        self.masker.add(&value);
        self.values.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(name.to_owned(), value.clone());
        Ok(value)
    }

    /// The values of `names`.
    ///
    /// # Errors
    /// The first secret that cannot be read.
    pub async fn get_all(&self, names: &[String]) -> Result<BTreeMap<String, String>, SecretError> {
        let mut out = BTreeMap::new();
        for name in names {
            out.insert(name.clone(), self.get(name).await?);
        }
        Ok(out)
    }
}
