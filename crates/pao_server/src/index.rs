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
//! requests), so the enumeration is kept with the [`Epoch`] of the ref storage it was made at
//! ([`RefWatch`]: an inotify watch of the ref directories, or their file times where there is
//! none) and a listing while the epoch has not changed uses the cached summaries as they are,
//! reading no file at all.
//!
//! With the GitHub backend there are no local refs to watch; the index lists through the
//! orchestrator (GitHub is the shared store).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use git2::{Oid, Repository};
use pao_orchestrator::{ChangeState, Orchestrator, OrchestratorError, RequestFilter, RequestView};

use crate::refwatch::{Epoch, RefWatch};

/// The refs of one request.
type RefIds = (Oid, Option<Oid>);

#[derive(Default)]
struct Cached {
    /// The epoch of the ref storage just before the last enumeration.
    epoch: Option<Epoch>,
    refs: HashMap<String, RefIds>,
    views: HashMap<String, RequestView>,
    base: Option<Oid>,
    base_views: Vec<RequestView>,
    /// `views` and `base_views` together, newest first: what a listing answers.
    listing: Arc<Vec<RequestView>>,
    loaded: bool,
}

/// The index.
pub struct RequestIndex {
    orchestrator: Arc<Orchestrator>,
    state_repo: PathBuf,
    local: bool,
    watch: Arc<RefWatch>,
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
    /// An empty index over `state_repo`, its refs watched by `watch`; `local` when the local
    /// backend is in use.
    pub fn new(orchestrator: Arc<Orchestrator>, state_repo: PathBuf, local: bool, watch: Arc<RefWatch>) -> Self {
        Self { orchestrator, state_repo, local, watch, cached: Mutex::new(Cached::default()) }
    }

    /// The requests, newest first (`createdAt`, then id, descending): every one passing
    /// `filter`, and with the local backend every other one too (one listing, shared by all
    /// callers until a ref moves, so a call copies nothing): the caller applies
    /// `filter.matches`. Blocking: call it from `spawn_blocking`.
    ///
    /// # Errors
    /// When the state repository cannot be read.
    pub fn list(&self, filter: &RequestFilter) -> Result<Arc<Vec<RequestView>>, OrchestratorError> {
        if !self.local {
            return self.orchestrator.list(filter).map(Arc::new);
        }
        // Taken before anything is read: a change meanwhile makes the next listing look again.
        let epoch = self.watch.epoch();
        {
            let cached = self.cached.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if cached.loaded && epoch.is_some() && cached.epoch == epoch {
                return Ok(Arc::clone(&cached.listing));
            }
        }
        let repo = Repository::open(&self.state_repo).map_err(|e| git_failure("open the state repository", &e))?;
        let base_ref = format!("refs/heads/{}", self.orchestrator.backend().base_branch());
        let base = repo.refname_to_id(&base_ref).ok();
        let mut refs = request_refs(&repo).map_err(|e| git_failure("list request refs", &e))?;
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
        // Read together, one repository per reader thread (27,797 requests, each opening it,
        // took over 30 s; together about 6 s, docs/server.md).
        let read = self.orchestrator.views(&stale)?;
        for (id, view) in stale.into_iter().zip(read) {
            match view {
                Ok(view) => {
                    cached.views.insert(id, view);
                }
                // Deleted between the enumeration and the read: gone from this listing.
                Err(OrchestratorError::Backend(pao_git::BackendError::NotFound(_))) => {
                    cached.views.remove(&id);
                }
                // One request that cannot be read never takes the listing down (as
                // `pao request list` skips it): left out, and read again at the next change.
                Err(err) => {
                    tracing::warn!(request = %id, error = %err, "request left out of the listing: it cannot be read");
                    cached.views.remove(&id);
                    refs.remove(&id);
                }
            }
        }
        if base_moved {
            cached.base_views = self.orchestrator.base_requests()?;
            cached.base = base;
        }
        cached.refs = refs;
        cached.loaded = true;
        cached.epoch = epoch;
        cached.listing = Arc::new(Self::sorted(&cached));
        Ok(Arc::clone(&cached.listing))
    }

    /// Reads the whole index now, as the first listing would, so that listing answers from
    /// memory: `pao serve` calls it once at start, beside serving (27,797 requests take about
    /// 6 s; a listing asked for meanwhile waits for this read instead of making its own). The
    /// number of requests, or `None` without the local backend (nothing is kept then).
    /// Blocking.
    ///
    /// # Errors
    /// When the state repository cannot be read.
    pub fn warm(&self) -> Result<Option<usize>, OrchestratorError> {
        if !self.local {
            return Ok(None);
        }
        self.list(&RequestFilter::default()).map(|listing| Some(listing.len()))
    }

    /// Whether the index has been read (false while a read is under way).
    pub fn is_loaded(&self) -> bool {
        self.cached.try_lock().is_ok_and(|cached| cached.loaded)
    }

    /// Every cached summary, newest first.
    fn sorted(cached: &Cached) -> Vec<RequestView> {
        let mut views: Vec<RequestView> = cached.views.values().cloned().collect();
        views.extend(cached.base_views.iter().filter(|v| !cached.views.contains_key(&v.id)).cloned());
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
