//! Where the GitHub backend writes: API URL, repository, base branch and token.

/// GitHub backend settings (`[github]` in `pao.toml`, token from `GITHUB_TOKEN`).
#[derive(Clone)]
pub struct GithubConfig {
    /// REST API root: `https://api.github.com`, or `https://<host>/api/v3` for GitHub Enterprise.
    pub api_url: String,
    /// Repository owner (organisation or user).
    pub owner: String,
    /// Repository name.
    pub repo: String,
    /// Branch pull requests merge into.
    pub base: String,
    /// API token; `None` sends unauthenticated requests (only useful against test servers).
    pub token: Option<String>,
}

impl std::fmt::Debug for GithubConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GithubConfig")
            .field("api_url", &self.api_url)
            .field("owner", &self.owner)
            .field("repo", &self.repo)
            .field("base", &self.base)
            .field("token", &self.token.as_ref().map(|_| "***"))
            .finish()
    }
}

/// Why the GitHub settings are unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GithubConfigError {
    /// `repository` is not `owner/name`.
    #[error("GitHub repository must be `owner/name`, not `{0}`")]
    Repository(String),
    /// `GITHUB_TOKEN` is not set.
    #[error("GITHUB_TOKEN is not set; the GitHub backend needs a token")]
    MissingToken,
    /// The API URL is not an http(s) URL.
    #[error("GitHub api-url must start with https:// (or http:// for a local test server), not `{0}`")]
    ApiUrl(String),
}

impl GithubConfig {
    /// Settings for `repository` (`owner/name`) at `api_url` (default `https://api.github.com`),
    /// merging into `base` (default `main`), with the token from the `GITHUB_TOKEN` environment
    /// variable.
    ///
    /// # Errors
    /// A malformed repository or URL, or no `GITHUB_TOKEN`.
    pub fn from_env(repository: &str, api_url: Option<&str>, base: Option<&str>) -> Result<Self, GithubConfigError> {
        let token =
            std::env::var("GITHUB_TOKEN").ok().filter(|t| !t.is_empty()).ok_or(GithubConfigError::MissingToken)?;
        Self::new(repository, api_url, base, Some(token))
    }

    /// Settings with an explicit token.
    ///
    /// # Errors
    /// A malformed repository or URL.
    pub fn new(
        repository: &str,
        api_url: Option<&str>,
        base: Option<&str>,
        token: Option<String>,
    ) -> Result<Self, GithubConfigError> {
        let valid =
            |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        let (owner, repo) = repository
            .split_once('/')
            .filter(|(o, r)| valid(o) && valid(r) && *r != "." && *r != "..")
            .ok_or_else(|| GithubConfigError::Repository(repository.to_owned()))?;
        let api_url = api_url.unwrap_or("https://api.github.com").trim_end_matches('/').to_owned();
        if !(api_url.starts_with("https://") || api_url.starts_with("http://")) {
            return Err(GithubConfigError::ApiUrl(api_url));
        }
        Ok(Self {
            api_url,
            owner: owner.to_owned(),
            repo: repo.to_owned(),
            base: base.unwrap_or("main").to_owned(),
            token,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_and_url_are_checked() {
        assert!(GithubConfig::new("acme/state", None, None, None).is_ok());
        assert!(GithubConfig::new("acme", None, None, None).is_err());
        assert!(GithubConfig::new("acme/../x", None, None, None).is_err());
        assert!(GithubConfig::new("acme/state", Some("ftp://x"), None, None).is_err());
        let config =
            GithubConfig::new("acme/state", Some("https://ghe.example.com/api/v3/"), None, Some("t".into())).unwrap();
        assert_eq!(config.api_url, "https://ghe.example.com/api/v3");
        assert!(!format!("{config:?}").contains("\"t\""));
    }
}
