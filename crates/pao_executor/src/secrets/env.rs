//! `provider = "env"`: secret `name` is the environment variable `PAO_SECRET_<NAME>`,
//! upper-cased, with `-` and `.` as `_` (`jira-token` → `PAO_SECRET_JIRA_TOKEN`).

use super::{SecretError, SecretsProvider};
use crate::clock::BoxFuture;

/// Secrets from `PAO_SECRET_*` environment variables.
#[derive(Debug, Clone, Copy, Default)]
pub struct EnvSecrets;

/// The environment variable holding secret `name`.
pub fn env_name(name: &str) -> String {
    let upper: String = name.chars().map(|c| if c == '-' || c == '.' { '_' } else { c.to_ascii_uppercase() }).collect();
    format!("PAO_SECRET_{upper}")
}

impl SecretsProvider for EnvSecrets {
    fn describe(&self) -> String {
        "env".to_owned()
    }

    fn get<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<String, SecretError>> {
        let variable = env_name(name);
        let result = match std::env::var(&variable) {
            Ok(value) if !value.is_empty() => Ok(value),
            _ => Err(SecretError::Missing {
                name: name.to_owned(),
                hint: format!("set the environment variable {variable} for the executor"),
            }),
        };
        Box::pin(std::future::ready(result))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_to_variables() {
        assert_eq!(env_name("jira-token"), "PAO_SECRET_JIRA_TOKEN");
        assert_eq!(env_name("db.admin_pw"), "PAO_SECRET_DB_ADMIN_PW");
    }
}
