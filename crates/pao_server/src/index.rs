//! The request index behind `GET /requests`: listing must not read every request branch of
//! the state repository per call.
//!
//! For a local state repository the index keeps every request's summary keyed by the ids of
//! its two refs (`refs/heads/pao/requests/<id>` and `refs/pao/status/<id>`). Each listing
//! enumerates the refs (one read of `packed-refs` plus the loose refs, no objects) and
//! re-reads only the requests whose refs moved, appeared or vanished; when the base branch
//! moved, open requests are re-read too (a merge done outside PAO makes them merged) and the
//! request files of the base branch are read again. Everything still comes from Git, so
//! several server processes on one repository see each other's writes at their next listing.
//!
//! Enumerating the refs costs a file read per loose ref (tens of milliseconds with 10,000
//! requests), so a listing first compares a [`Stamp`] of the ref storage — the modification
//! times of the two ref directories and of `packed-refs` — with the one taken at the last
//! enumeration. Every ref update renames a lock file into its directory, which changes the
//! directory's time; when nothing changed the cached summaries are used as they are. A stamp is
//! trusted only once its newest time is [`SETTLE`] older than the enumeration that recorded it,
//! so a write landing in the same timestamp tick as a listing (coarse file-system clocks) is
//! never missed: right after writes, listings enumerate as before.
//!
//! With the GitHub backend there are no local refs to watch; the index lists through the
//! orchestrator (GitHub is the shared store).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use git2::{Oid, Repository};
use pao_orchestrator::{ChangeState, Orchestrator, OrchestratorError, RequestFilter, RequestView};

/// The refs of one request.
type RefIds = (Oid, Option<Oid>);

/// How much older than the enumeration that recorded it a stamp's newest time must be to be
/// trusted (more than the coarsest file-system timestamp granularity in use, 1 s).
const SETTLE: Duration = Duration::from_secs(2);

/// When the ref storage of the state repository last changed, as far as file times tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    branches: Option<SystemTime>,
    status: Option<SystemTime>,
    packed: Option<(SystemTime, u64)>,
}

impl Stamp {
    fn of(git_dir: &Path) -> Self {
        let modified = |path: PathBuf| std::fs::metadata(path).and_then(|m| m.modified()).ok();
        Self {
            branches: modified(git_dir.join(BRANCHES.trim_end_matches('/'))),
            status: modified(git_dir.join(STATUS.trim_end_matches('/'))),
            packed: std::fs::metadata(git_dir.join("packed-refs"))
                .ok()
                .and_then(|m| Some((m.modified().ok()?, m.len()))),
        }
    }

    fn newest(&self) -> Option<SystemTime> {
        [self.branches, self.status, self.packed.map(|(time, _)| time)].into_iter().flatten().max()
    }
}

#[derive(Default)]
struct Cached {
    /// The stamp taken just before the last enumeration, and when that enumeration started.
    stamp: Option<(Stamp, SystemTime)>,
    refs: HashMap<String, RefIds>,
    views: HashMap<String, RequestView>,
    base: Option<Oid>,
    base_views: Vec<RequestView>,
    loaded: bool,
}

/// The index.
pub struct RequestIndex {
    orchestrator: Arc<Orchestrator>,
    state_repo: PathBuf,
    local: bool,
    cached: Mutex<Cached>,
}

impl std::fmt::Debug for RequestIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestIndex").field("state_repo", &self.state_repo).field("local", &self.local).finish()
    }
}

/// Refs of request branches.
const BRANCHES: &str = "refs/heads/pao/requests/";
/// Refs of status logs.
const STATUS: &str = "refs/pao/status/";

impl RequestIndex {
    /// An empty index over `state_repo`; `local` when the local backend is in use.
    pub fn new(orchestrator: Arc<Orchestrator>, state_repo: PathBuf, local: bool) -> Self {
        Self { orchestrator, state_repo, local, cached: Mutex::new(Cached::default()) }
    }

    /// Every request passing `filter`, newest first (`createdAt`, then id, descending).
    /// Blocking: call it from `spawn_blocking`.
    ///
    /// # Errors
    /// When the state repository cannot be read.
    pub fn list(&self, filter: &RequestFilter) -> Result<Vec<RequestView>, OrchestratorError> {
        if !self.local {
            return self.orchestrator.list(filter);
        }
        let repo = Repository::open(&self.state_repo).map_err(|e| git_failure("open the state repository", &e))?;
        let base_ref = format!("refs/heads/{}", self.orchestrator.backend().base_branch());
        let base = repo.refname_to_id(&base_ref).ok();
        let started = SystemTime::now();
        let stamp = Stamp::of(repo.path());
        {
            let cached = self.cached.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let unchanged = cached.loaded
                && cached.base == base
                && cached.stamp.is_some_and(|(seen, listed)| {
                    seen == stamp && stamp.newest().is_some_and(|newest| newest + SETTLE < listed)
                });
            if unchanged {
                return Ok(Self::matching(&cached, filter));
            }
        }
        let refs = request_refs(&repo).map_err(|e| git_failure("list request refs", &e))?;
        let mut cached = self.cached.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let base_moved = !cached.loaded || cached.base != base;
        let mut stale: Vec<String> = Vec::new();
        for (id, ids) in &refs {
            let changed = cached.refs.get(id) != Some(ids);
            let maybe_merged = base_moved && cached.views.get(id).is_some_and(|v| v.state == ChangeState::Open);
            if changed || maybe_merged {
                stale.push(id.clone());
            }
        }
        cached.views.retain(|id, _| refs.contains_key(id));
        for id in stale {
            match self.orchestrator.view(&id) {
                Ok(view) => {
                    cached.views.insert(id, view);
                }
                // Deleted between the enumeration and the read: gone from this listing.
                Err(OrchestratorError::Backend(pao_git::BackendError::NotFound(_))) => {
                    cached.views.remove(&id);
                }
                Err(err) => return Err(err),
            }
        }
        if base_moved {
            cached.base_views = self.orchestrator.base_requests()?;
            cached.base = base;
        }
        cached.refs = refs;
        cached.loaded = true;
        cached.stamp = Some((stamp, started));
        Ok(Self::matching(&cached, filter))
    }

    /// The cached summaries passing `filter`, newest first.
    fn matching(cached: &Cached, filter: &RequestFilter) -> Vec<RequestView> {
        let mut views: Vec<RequestView> = cached.views.values().filter(|v| filter.matches(v)).cloned().collect();
        views.extend(
            cached.base_views.iter().filter(|v| !cached.views.contains_key(&v.id) && filter.matches(v)).cloned(),
        );
        views.sort_by(|a, b| b.created_at.cmp(&a.created_at).then_with(|| b.id.cmp(&a.id)));
        views
    }
}

/// Request id → (branch tip, status log tip), from the ref names and their targets only.
fn request_refs(repo: &Repository) -> Result<HashMap<String, RefIds>, git2::Error> {
    let mut refs: HashMap<String, RefIds> = HashMap::new();
    let mut status: HashMap<String, Oid> = HashMap::new();
    for prefix in [BRANCHES, STATUS] {
        for reference in repo.references_glob(&format!("{prefix}*"))? {
            let reference = reference?;
            let (Ok(name), Some(target)) = (reference.name(), reference.target()) else { continue };
            let Some(id) = name.strip_prefix(prefix) else { continue };
            if prefix == BRANCHES {
                refs.insert(id.to_owned(), (target, None));
            } else {
                status.insert(id.to_owned(), target);
            }
        }
    }
    for (id, target) in status {
        if let Some(entry) = refs.get_mut(&id) {
            entry.1 = Some(target);
        }
    }
    Ok(refs)
}

/// A libgit2 failure of the index, as the backend reports its own (no git2 type leaves pao_git).
fn git_failure(operation: &str, err: &git2::Error) -> pao_git::BackendError {
    pao_git::BackendError::Git { operation: operation.to_owned(), message: err.message().to_owned() }
}
