//! `provider = "vault"`: HashiCorp Vault KV v2 over its HTTP API. Secret `name` is read from
//! `GET <vault-url>/v1/<mount>/data/<prefix><name>` with the token of `VAULT_TOKEN`; the value
//! is the entry's `value` key, or its only key when it has exactly one.

use std::time::Duration;

use super::{SecretError, SecretsProvider};
use crate::clock::BoxFuture;
use crate::http::{Call, Http};

/// Secrets from Vault KV v2.
#[derive(Clone)]
pub struct VaultSecrets {
    http: Http,
    url: String,
    token: String,
    mount: String,
    prefix: String,
}

impl std::fmt::Debug for VaultSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VaultSecrets").field("url", &self.url).field("mount", &self.mount).finish_non_exhaustive()
    }
}

impl VaultSecrets {
    /// A provider reading `<url>/v1/<mount>/data/<prefix><name>` with `token`.
    pub fn new(http: Http, url: String, token: String, mount: &str, prefix: &str) -> Self {
        Self {
            http,
            url: url.trim_end_matches('/').to_owned(),
            token,
            mount: mount.trim_matches('/').to_owned(),
            prefix: prefix.trim_start_matches('/').to_owned(),
        }
    }

    async fn read(&self, name: &str) -> Result<String, SecretError> {
        let provider = format!("vault {}", self.url);
        if name.is_empty() || name.contains("..") || name.starts_with('/') {
            return Err(SecretError::Provider { name: name.to_owned(), provider, message: "invalid name".to_owned() });
        }
        let url = format!("{}/v1/{}/data/{}{name}", self.url, self.mount, self.prefix);
        let mut call = Call::new("GET", url, Duration::from_secs(10));
        call.headers.push(("X-Vault-Token".to_owned(), self.token.clone()));
        call.expect = vec![200];
        let response = match self.http.send(&call).await {
            Ok(response) => response,
            Err(err) if err.message.contains("HTTP 404") => {
                return Err(SecretError::Missing {
                    name: name.to_owned(),
                    hint: format!("no entry {}/{}{name} in {provider} (KV v2)", self.mount, self.prefix),
                });
            }
            Err(err) => {
                return Err(SecretError::Provider { name: name.to_owned(), provider, message: err.message });
            }
        };
        let json = response.json().unwrap_or_default();
        let data = json.pointer("/data/data").and_then(serde_json::Value::as_object);
        let value = data
            .and_then(|data| data.get("value").or_else(|| if data.len() == 1 { data.values().next() } else { None }));
        match value {
            Some(serde_json::Value::String(text)) if !text.is_empty() => Ok(text.clone()),
            Some(other) if !other.is_null() && !other.is_string() => Ok(other.to_string()),
            _ => Err(SecretError::Missing {
                name: name.to_owned(),
                hint: format!(
                    "the entry {}/{}{name} in {provider} has no `value` key (and not exactly one key)",
                    self.mount, self.prefix
                ),
            }),
        }
    }
}

impl SecretsProvider for VaultSecrets {
    fn describe(&self) -> String {
        format!("vault {}", self.url)
    }

    fn get<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<String, SecretError>> {
        Box::pin(self.read(name))
    }
}
