//! What kind of failure an error is, independent of how it is shown.
//!
//! Every domain error of PAO (catalog reading, state backends, the request lifecycle, the
//! composition root) answers [`ErrorKind`] through a `kind()` method. Front ends map kinds to
//! their own vocabulary in one place: the REST server to HTTP statuses, the CLI to exit codes.
//! Nothing matches an error's text or code string back into a status.

use std::fmt;

use serde::Serialize;

/// The kind of a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The thing asked for does not exist (a request, a catalog item or version, a file).
    NotFound,
    /// The caller's input is malformed: a bad name, an unsupported option, unreadable JSON.
    InvalidInput,
    /// The input is well-formed but refused on its merits: form values that fail validation,
    /// templates that cannot render with them, an item that cannot be ordered.
    Unprocessable,
    /// The input is well-formed but conflicts with the current state (an open request for the
    /// resource, a disallowed status change, a merge conflict).
    Conflict,
    /// The store is busy (held locks, contention); the same call may succeed later.
    Busy,
    /// The caller has not said who they are (or the credentials are wrong).
    Unauthenticated,
    /// The caller is known but may not do this (another team's request).
    Forbidden,
    /// A system PAO depends on (GitHub, JIRA, Vault, a REST target) failed or refused.
    Upstream,
    /// PAO itself failed: an unreadable repository, corrupt state, a bug.
    Internal,
}

impl ErrorKind {
    /// Every kind, in declaration order.
    pub const ALL: [Self; 9] = [
        Self::NotFound,
        Self::InvalidInput,
        Self::Unprocessable,
        Self::Conflict,
        Self::Busy,
        Self::Unauthenticated,
        Self::Forbidden,
        Self::Upstream,
        Self::Internal,
    ];

    /// The kind's `snake_case` name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotFound => "not_found",
            Self::InvalidInput => "invalid_input",
            Self::Unprocessable => "unprocessable",
            Self::Conflict => "conflict",
            Self::Busy => "busy",
            Self::Unauthenticated => "unauthenticated",
            Self::Forbidden => "forbidden",
            Self::Upstream => "upstream",
            Self::Internal => "internal",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
