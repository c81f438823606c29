//! The composition root of the orchestrator.
//!
//! `pao request`, `pao serve` and `pao worker` all need the same things: the configuration,
//! the state backend (the local repository, or GitHub when `[github]` is configured), the
//! catalog reader and an [`Orchestrator`] over them with the allow-listed template
//! environment. [`App::open`] assembles them from [`RepositoryOptions`] in one place, so the
//! front ends cannot drift apart in how they find the repository or which configuration
//! applies.
//!
//! **Which configuration applies** (first match wins):
//! 1. `--config FILE`, when given (a missing or unreadable file is an error);
//! 2. `pao.toml` in the state repository's work tree, when it has one;
//! 3. `pao.toml` committed on the base branch of a bare state repository;
//! 4. the defaults.
//!
//! The state repository is `--state-repo`, else the Git repository holding the current
//! directory; either way its configuration applies wherever the command runs from.

#![deny(missing_docs)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use pao_config::{Config, ConfigError};
use pao_git::{BackendError, CatalogReader, ErrorKind, GitError, LocalBackend, StateBackend};
use pao_github::{GithubBackend, GithubConfig, GithubConfigError};
use pao_orchestrator::Orchestrator;

/// Where the orchestrator's repositories are, as the command line gives them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepositoryOptions {
    /// The state repository (bare or not); `None`: the repository holding the current directory.
    pub state_repo: Option<PathBuf>,
    /// The branch requests merge into.
    pub base: String,
    /// The catalog repository; `None`: the state repository.
    pub catalog_repo: Option<PathBuf>,
    /// The catalog revision requests are checked against.
    pub catalog_rev: String,
    /// An explicit configuration file.
    pub config: Option<PathBuf>,
    /// Use the local state repository even when `[github]` is configured.
    pub local: bool,
}

impl Default for RepositoryOptions {
    fn default() -> Self {
        Self {
            state_repo: None,
            base: "main".to_owned(),
            catalog_repo: None,
            catalog_rev: "HEAD".to_owned(),
            config: None,
            local: false,
        }
    }
}

/// Where the configuration in force came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigSource {
    /// `--config FILE`.
    File(PathBuf),
    /// `pao.toml` in the state repository's work tree.
    WorkTree(PathBuf),
    /// `pao.toml` committed on the base branch of a bare state repository.
    Committed {
        /// The branch it was read from.
        branch: String,
    },
    /// No configuration file: the defaults.
    Defaults,
}

impl std::fmt::Display for ConfigSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::File(path) | Self::WorkTree(path) => write!(f, "{}", path.display()),
            Self::Committed { branch } => write!(f, "pao.toml on branch {branch}"),
            Self::Defaults => f.write_str("defaults (no pao.toml)"),
        }
    }
}

/// Why the orchestrator could not be assembled.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// No `--state-repo` and the current directory is not inside a Git repository.
    #[error("{cwd} is not inside a Git repository; pass --state-repo <PATH>")]
    NoStateRepository {
        /// The directory searched from.
        cwd: String,
    },
    /// The state repository could not be opened.
    #[error("cannot open state repository {path}: {source}")]
    StateRepository {
        /// The path.
        path: String,
        /// Why.
        source: BackendError,
    },
    /// The catalog repository could not be opened.
    #[error("cannot open catalog repository {path}: {source}")]
    CatalogRepository {
        /// The path.
        path: String,
        /// Why.
        source: GitError,
    },
    /// The configuration could not be read or is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// `[github]` is configured but its settings are unusable (no `GITHUB_TOKEN`, a bad name).
    #[error("[github] in {source_of}: {error}")]
    Github {
        /// Where the configuration came from.
        source_of: String,
        /// What is wrong.
        error: GithubConfigError,
    },
    /// The GitHub backend could not be set up.
    #[error("cannot use GitHub as the state store: {0}")]
    GithubBackend(BackendError),
}

impl AppError {
    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::NoStateRepository { .. } | Self::Config(_) | Self::Github { .. } => ErrorKind::InvalidInput,
            Self::StateRepository { source, .. } | Self::GithubBackend(source) => source.kind(),
            Self::CatalogRepository { source, .. } => source.kind(),
        }
    }
}

/// The orchestrator and everything it was built from.
pub struct App {
    /// The configuration in force.
    pub config: Arc<Config>,
    /// Where it came from.
    pub config_source: ConfigSource,
    /// The state repository's Git directory (also the GitHub backend's local catalog).
    pub state_repo: PathBuf,
    /// Where requests are written.
    pub backend: Arc<dyn StateBackend>,
    /// The catalog read from Git.
    pub catalog: Arc<CatalogReader>,
    /// The catalog revision requests are checked against.
    pub catalog_rev: String,
    /// The request lifecycle over the backend and the catalog.
    pub orchestrator: Arc<Orchestrator>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("config_source", &self.config_source)
            .field("state_repo", &self.state_repo)
            .field("backend", &self.backend.describe())
            .field("catalog_rev", &self.catalog_rev)
            .finish_non_exhaustive()
    }
}

impl App {
    /// Assembles the orchestrator from the command line's repository options, searching from
    /// the current directory when no state repository is given.
    ///
    /// # Errors
    /// When a repository cannot be opened, the configuration is unreadable or invalid, or
    /// `[github]` is configured without a usable token.
    pub fn open(options: &RepositoryOptions) -> Result<Self, AppError> {
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        Self::open_from(options, &cwd)
    }

    /// As [`App::open`], with relative paths and the default state repository taken from `cwd`.
    ///
    /// # Errors
    /// As [`App::open`].
    pub fn open_from(options: &RepositoryOptions, cwd: &Path) -> Result<Self, AppError> {
        let state_repo = match &options.state_repo {
            Some(path) => cwd.join(path),
            None => pao_git::discover_repository(cwd)
                .map_err(|_| AppError::NoStateRepository { cwd: cwd.display().to_string() })?,
        };
        let (config, config_source) = load_config(options, cwd, &state_repo)?;
        let backend: Arc<dyn StateBackend> = match config.github.as_ref().filter(|_| !options.local) {
            Some(github) => {
                let settings = GithubConfig::from_env(&github.repository, Some(&github.api_url), Some(&options.base))
                    .map_err(|error| AppError::Github { source_of: config_source.to_string(), error })?;
                Arc::new(GithubBackend::new(settings).map_err(AppError::GithubBackend)?)
            }
            None => Arc::new(
                LocalBackend::open(&state_repo, Some(&options.base))
                    .map_err(|source| AppError::StateRepository { path: state_repo.display().to_string(), source })?,
            ),
        };
        let catalog_path = options.catalog_repo.as_ref().map_or_else(|| state_repo.clone(), |path| cwd.join(path));
        let catalog = Arc::new(
            CatalogReader::open(&catalog_path)
                .map_err(|source| AppError::CatalogRepository { path: catalog_path.display().to_string(), source })?,
        );
        let orchestrator = Orchestrator::new(Arc::clone(&backend), Arc::clone(&catalog), options.catalog_rev.clone())
            .with_template_environment(config.templates.environment.iter().cloned());
        Ok(Self {
            config: Arc::new(config),
            config_source,
            state_repo,
            backend,
            catalog,
            catalog_rev: options.catalog_rev.clone(),
            orchestrator: Arc::new(orchestrator),
        })
    }
}

/// The configuration in force, by the order in the crate documentation.
fn load_config(options: &RepositoryOptions, cwd: &Path, state_repo: &Path) -> Result<(Config, ConfigSource), AppError> {
    if let Some(path) = &options.config {
        let path = cwd.join(path);
        return Ok((Config::load(&path)?, ConfigSource::File(path)));
    }
    let repo = git2::Repository::open(state_repo).ok();
    let workdir = repo.as_ref().and_then(|r| r.workdir().map(Path::to_path_buf)).or_else(|| {
        // Not openable by libgit2 (for example, of dubious ownership): the file system decides.
        pao_config::find_repository_root(state_repo).filter(|root| root.join(".git").is_dir())
    });
    if let Some(root) = workdir {
        let path = root.join(pao_config::FILE_NAME);
        return if path.symlink_metadata().is_ok() {
            Ok((Config::load(&path)?, ConfigSource::WorkTree(path)))
        } else {
            Ok((Config::default(), ConfigSource::Defaults))
        };
    }
    let committed = repo.as_ref().and_then(|repo| committed_config(repo, &options.base));
    match committed.transpose()? {
        Some(text) => {
            let label = format!("pao.toml on branch {}", options.base);
            Ok((Config::parse(&text, Path::new(&label))?, ConfigSource::Committed { branch: options.base.clone() }))
        }
        None => Ok((Config::default(), ConfigSource::Defaults)),
    }
}

/// The text of `pao.toml` at the tip of `branch`, when the branch exists and has the file.
fn committed_config(repo: &git2::Repository, branch: &str) -> Option<Result<String, ConfigError>> {
    let reference = repo.find_branch(branch, git2::BranchType::Local).ok()?;
    let tree = reference.get().peel_to_tree().ok()?;
    let entry = tree.get_name(pao_config::FILE_NAME)?;
    let blob = repo.find_blob(entry.id()).ok()?;
    if blob.size() > CONFIG_LIMIT {
        return Some(Err(ConfigError::Invalid {
            path: PathBuf::from(format!("pao.toml on branch {branch}")),
            line: 1,
            column: 1,
            message: format!(
                "the file is {} bytes; configuration files are limited to {CONFIG_LIMIT} bytes",
                blob.size()
            ),
        }));
    }
    Some(Ok(String::from_utf8_lossy(blob.content()).into_owned()))
}

/// The largest committed `pao.toml` read (1 MiB; real ones are a few hundred bytes).
const CONFIG_LIMIT: usize = 1 << 20;
