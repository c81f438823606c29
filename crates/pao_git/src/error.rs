//! Errors of the catalog reader.

/// Why the catalog could not be read from Git.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// The repository could not be opened.
    #[error("cannot open Git repository {path}: {source}")]
    Open {
        /// The path given.
        path: String,
        /// What libgit2 said.
        source: git2::Error,
    },
    /// A revision does not name a commit.
    #[error("revision `{rev}` does not name a commit: {source}")]
    Revision {
        /// The revision given.
        rev: String,
        /// What libgit2 said.
        source: git2::Error,
    },
    /// The catalog has no item with this id at the revision.
    #[error("catalog item `{id}` not found at {rev}")]
    ItemNotFound {
        /// The item id.
        id: String,
        /// The revision searched.
        rev: String,
    },
    /// The item never had this version in the history of the revision.
    #[error("catalog item `{id}` has no version {version} in the history of {rev}")]
    VersionNotFound {
        /// The item id.
        id: String,
        /// The version asked for.
        version: String,
        /// The revision searched.
        rev: String,
    },
    /// Any other libgit2 failure while reading objects.
    #[error("Git error: {0}")]
    Git(#[from] git2::Error),
}

impl GitError {
    /// What kind of failure this is.
    pub fn kind(&self) -> crate::ErrorKind {
        match self {
            Self::ItemNotFound { .. } | Self::VersionNotFound { .. } | Self::Revision { .. } => {
                crate::ErrorKind::NotFound
            }
            Self::Open { .. } | Self::Git(_) => crate::ErrorKind::Internal,
        }
    }
}
