//! `pao doctor`: finds what can make a local state repository misbehave and repairs what is
//! safe to repair.
//!
//! Checks, in this order (locks first: the ref repairs need them free):
//!
//! | kind | what | `--fix` |
//! | --- | --- | --- |
//! | `stale_lock` | a `*.lock` file under `refs/`, or `packed-refs.lock`, `HEAD.lock`, `index.lock`, older than [`STALE_LOCK_SECONDS`] | removes it |
//! | `orphan_resource_ref` | `refs/pao/resources/...` whose request is gone or no longer open | deletes the ref |
//! | `dangling_idempotency_ref` | `refs/pao/idempotency/...` pointing at no request branch's commit | deletes the ref |
//! | `unheld_resource` | an open request that does not hold its resource ref | points the ref at it |
//! | `unreadable_request` | a request branch that cannot be read | none: inspect with `git show` |
//! | `orphan_status_log` | `refs/pao/status/<id>` without a request branch | none: inspect, then `git update-ref -d` |
//!
//! Every repair is a compare-and-swap on what was diagnosed, so a writer that got there first
//! wins and the repair is skipped.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::backend::{BackendError, ChangeState, GitContext, file_age, format_age};
use crate::local::{
    LocalBackend, LockHolder, REQUEST_BRANCH_PREFIX, STALE_LOCK_SECONDS, branch_ref, read_ref, resource_ref,
};
use crate::names::RequestId;

/// What kind of problem `pao doctor` found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// A lock file left by a killed process.
    StaleLock,
    /// A resource ref whose request is gone or not open.
    OrphanResourceRef,
    /// An idempotency ref that points at no request.
    DanglingIdempotencyRef,
    /// An open request that does not hold its resource ref.
    UnheldResource,
    /// A request branch that cannot be read.
    UnreadableRequest,
    /// A status log without its request branch.
    OrphanStatusLog,
}

/// One problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// What kind.
    pub kind: ProblemKind,
    /// The file or ref concerned.
    pub subject: String,
    /// What is wrong, for people.
    pub message: String,
    /// What `--fix` does about it; `None`: a person has to decide, see `message`.
    pub fix: Option<String>,
    /// Whether `--fix` repaired it in this run.
    pub fixed: bool,
}

/// The result of [`LocalBackend::doctor`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DoctorReport {
    /// The state repository's Git directory.
    pub repository: String,
    /// The base branch.
    pub base: String,
    /// Every problem found, in the order checked.
    pub problems: Vec<Problem>,
}

impl Problem {
    /// The kind's `snake_case` name.
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            ProblemKind::StaleLock => "stale_lock",
            ProblemKind::OrphanResourceRef => "orphan_resource_ref",
            ProblemKind::DanglingIdempotencyRef => "dangling_idempotency_ref",
            ProblemKind::UnheldResource => "unheld_resource",
            ProblemKind::UnreadableRequest => "unreadable_request",
            ProblemKind::OrphanStatusLog => "orphan_status_log",
        }
    }
}

impl DoctorReport {
    /// Whether nothing is left to fix: no problem, or every one repaired.
    pub fn healthy(&self) -> bool {
        self.problems.iter().all(|p| p.fixed)
    }
}

impl LocalBackend {
    /// Checks the state repository (see the module documentation); with `fix`, repairs what is
    /// safe to repair.
    ///
    /// # Errors
    /// When the repository cannot be read, or a repair fails.
    pub fn doctor(&self, fix: bool) -> Result<DoctorReport, BackendError> {
        let repo = self.repo()?;
        let mut problems = Vec::new();
        for (path, age) in stale_locks(repo.path()) {
            let fixed = fix && remove_stale(&path)?;
            problems.push(Problem {
                kind: ProblemKind::StaleLock,
                subject: path.display().to_string(),
                message: format!(
                    "lock file {} has been held for {}; {}",
                    path.display(),
                    format_age(age),
                    blocks(&path)
                ),
                fix: Some("remove the lock file (only if no pao or git process is using the repository)".to_owned()),
                fixed,
            });
        }
        self.check_requests(&repo, fix, &mut problems)?;
        self.check_resources(&repo, fix, &mut problems)?;
        self.check_idempotency(&repo, fix, &mut problems)?;
        self.check_status_logs(&repo, &mut problems)?;
        Ok(DoctorReport { repository: repo.path().display().to_string(), base: self.base_name().to_owned(), problems })
    }

    /// Unreadable request branches, and open requests that do not hold their resource.
    fn check_requests(
        &self,
        repo: &git2::Repository,
        fix: bool,
        problems: &mut Vec<Problem>,
    ) -> Result<(), BackendError> {
        let (ids, invalid) = Self::request_ids(repo)?;
        for branch in invalid {
            problems.push(Problem {
                kind: ProblemKind::UnreadableRequest,
                subject: format!("refs/heads/{branch}"),
                message: format!("branch {branch} is not named after a valid request id"),
                fix: None,
                fixed: false,
            });
        }
        for id in ids {
            let info = match self.info(repo, &id) {
                Ok(info) => info,
                Err(err) => {
                    problems.push(Problem {
                        kind: ProblemKind::UnreadableRequest,
                        subject: branch_ref(&id),
                        message: format!(
                            "request {id} cannot be read ({err}); `pao request list` skips it. Inspect it with `git show {REQUEST_BRANCH_PREFIX}{id}`; if it is damaged, delete the branch"
                        ),
                        fix: None,
                        fixed: false,
                    });
                    continue;
                }
            };
            if info.state != ChangeState::Open {
                continue;
            }
            let name = resource_ref(&info.key);
            let head = git2::Oid::from_str(&info.head).during("reading a request head")?;
            let holder = read_ref(repo, &name)?;
            if holder == Some(head) {
                continue;
            }
            let holder_open = match self.lock_holder(repo, &name)? {
                LockHolder::Open(other) => Some(other),
                LockHolder::Free | LockHolder::Stale(_) => None,
            };
            let (message, fixable) = match &holder_open {
                Some(other) => (
                    format!(
                        "requests {id} and {other} are both open for resource {}; abort one of them (`pao request abort`)",
                        info.key
                    ),
                    false,
                ),
                None => (
                    format!(
                        "open request {id} does not hold {name}, so another request for {} could be opened beside it",
                        info.key
                    ),
                    true,
                ),
            };
            let fixed = fixable
                && fix
                && match holder {
                    None => {
                        crate::refs::create_exclusively(repo, &name, head, "pao doctor: hold resource").unwrap_or(false)
                    }
                    Some(stale) => {
                        repo.reference_matching(&name, head, true, stale, "pao doctor: hold resource").is_ok()
                    }
                };
            problems.push(Problem {
                kind: ProblemKind::UnheldResource,
                subject: name,
                message,
                fix: fixable.then(|| format!("point the ref at request {id}")),
                fixed,
            });
        }
        Ok(())
    }

    /// Resource refs whose request is gone or not open.
    fn check_resources(
        &self,
        repo: &git2::Repository,
        fix: bool,
        problems: &mut Vec<Problem>,
    ) -> Result<(), BackendError> {
        for (name, target) in refs_under(repo, "refs/pao/resources/")? {
            let LockHolder::Stale(stale) = self.lock_holder(repo, &name)? else { continue };
            if stale != target {
                continue; // changed while we looked
            }
            let fixed = fix && {
                Self::release(repo, &name, stale)?;
                read_ref(repo, &name)?.is_none()
            };
            problems.push(Problem {
                kind: ProblemKind::OrphanResourceRef,
                subject: name.clone(),
                message: format!("{name} points at {stale}, which is not an open request"),
                fix: Some("delete the ref (the next submit would replace it anyway)".to_owned()),
                fixed,
            });
        }
        Ok(())
    }

    /// Idempotency refs whose request branch does not point at their commit.
    fn check_idempotency(
        &self,
        repo: &git2::Repository,
        fix: bool,
        problems: &mut Vec<Problem>,
    ) -> Result<(), BackendError> {
        for (name, target) in refs_under(repo, "refs/pao/idempotency/")? {
            let request = match repo.find_commit(target) {
                Ok(_) => Self::request_of(repo, target)?,
                Err(_) => None,
            };
            let live = match &request {
                Some(id) => read_ref(repo, &branch_ref(id))? == Some(target),
                None => false,
            };
            if live {
                continue;
            }
            let fixed = fix && {
                Self::release(repo, &name, target)?;
                read_ref(repo, &name)?.is_none()
            };
            let what = request.map_or_else(
                || "no request commit".to_owned(),
                |id| format!("request {id}, whose branch is gone or has moved"),
            );
            problems.push(Problem {
                kind: ProblemKind::DanglingIdempotencyRef,
                subject: name.clone(),
                message: format!("{name} points at {target}: {what}"),
                fix: Some("delete the ref (a retry with the key then opens a new request)".to_owned()),
                fixed,
            });
        }
        Ok(())
    }

    /// Status logs without their request branch (reported only: they are history).
    fn check_status_logs(&self, repo: &git2::Repository, problems: &mut Vec<Problem>) -> Result<(), BackendError> {
        for (name, _) in refs_under(repo, "refs/pao/status/")? {
            let id = &name["refs/pao/status/".len()..];
            let branch_exists = match RequestId::parse(id) {
                Ok(id) => read_ref(repo, &branch_ref(&id))?.is_some(),
                Err(_) => false,
            };
            if !branch_exists {
                problems.push(Problem {
                    kind: ProblemKind::OrphanStatusLog,
                    subject: name.clone(),
                    message: format!(
                        "{name} has no request branch {REQUEST_BRANCH_PREFIX}{id}; it also keeps the id from being reused. Inspect it with `git log {name}`, then delete it with `git update-ref -d {name}`"
                    ),
                    fix: None,
                    fixed: false,
                });
            }
        }
        Ok(())
    }
}

/// Every ref under `prefix`, with its target.
fn refs_under(repo: &git2::Repository, prefix: &str) -> Result<Vec<(String, git2::Oid)>, BackendError> {
    let listing = format!("listing {prefix}");
    let mut refs = Vec::new();
    for reference in repo.references_glob(&format!("{prefix}*")).during(&listing)? {
        let reference = reference.during(&listing)?;
        if let (Ok(name), Some(target)) = (reference.name(), reference.target()) {
            refs.push((name.to_owned(), target));
        }
    }
    refs.sort();
    Ok(refs)
}

/// Lock files older than [`STALE_LOCK_SECONDS`], with their ages, in path order.
fn stale_locks(git_dir: &Path) -> Vec<(PathBuf, u64)> {
    let mut found = Vec::new();
    for name in ["packed-refs.lock", "HEAD.lock", "index.lock", "config.lock"] {
        found.push(git_dir.join(name));
    }
    let mut dirs = vec![git_dir.join("refs")];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            match entry.file_type() {
                Ok(kind) if kind.is_dir() => dirs.push(path),
                Ok(kind) if kind.is_file() && path.extension().is_some_and(|e| e == "lock") => found.push(path),
                _ => {}
            }
        }
    }
    let mut stale: Vec<(PathBuf, u64)> = found
        .into_iter()
        .filter_map(|path| file_age(&path).filter(|age| *age >= STALE_LOCK_SECONDS).map(|age| (path, age)))
        .collect();
    stale.sort();
    stale
}

/// What a lock file blocks while it exists.
fn blocks(lock: &Path) -> &'static str {
    match lock.file_name().and_then(|name| name.to_str()) {
        Some("index.lock") => "it blocks merges into the checked-out base branch and git commands that write the index",
        Some("packed-refs.lock") => "it blocks deleting refs and `git pack-refs`",
        Some("HEAD.lock") => "it blocks changing the checked-out branch",
        Some("config.lock") => "it blocks changing the repository's configuration",
        _ => "it blocks every write of that ref",
    }
}

/// Removes a lock file if it is still there and still stale; whether it is gone.
fn remove_stale(path: &Path) -> Result<bool, BackendError> {
    match file_age(path) {
        None => Ok(true),
        Some(age) if age < STALE_LOCK_SECONDS => Ok(false), // replaced by a live one meanwhile
        Some(_) => match std::fs::remove_file(path) {
            Ok(()) => Ok(true),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(true),
            Err(err) => Err(BackendError::Git {
                operation: format!("removing the stale lock file {}", path.display()),
                message: err.to_string(),
            }),
        },
    }
}
