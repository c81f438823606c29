//! Answer caches of the two hottest read routes, so a repeated call costs a lookup instead of
//! rebuilding (and, for `/status`, re-reading from Git) the same answer.
//!
//! * [`CatalogPages`]: the serialised bytes of `GET /catalog` pages, per catalog snapshot in
//!   service and query. A new snapshot (a refresh) empties it; a hit is a reference-counted
//!   copy of the bytes.
//! * [`StatusAnswers`]: the answers of `GET /requests/{id}/status`, keyed by the ids of every
//!   ref the answer is read from — the request branch, `refs/pao/status/<id>`,
//!   `refs/pao/fulfilment/<id>` and the base branch. The ids read are kept with the
//!   [`Epoch`] of the ref storage they were read at and read again once it changes
//!   ([`RefWatch`]: an inotify watch, or file times), so a write by any process, this one or
//!   another, is seen at the next call, and a call while nothing moved reads no file. Objects
//!   are immutable and these refs only move forward (a status chain or a log grows, a base
//!   branch advances), so equal ids mean an equal answer. `running` (a
//!   worker holds the lease now) depends on the clock too, so it is never cached: whether the
//!   lease ref exists is read with the other refs and, while it does, each call asks the
//!   executor. Only the local backend has refs to read; with GitHub nothing is cached.
//!
//! Both are bounded; when full they are emptied and fill again with what is asked next.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, Weak};

use axum::body::Bytes;
use git2::{ErrorCode, Oid, Repository};
use pao_git::CatalogSnapshot;

use crate::fulfilment::StatusWithFulfilment;
use crate::refwatch::{Epoch, RefWatch};

/// Pages kept per catalog snapshot.
const MAX_PAGES: usize = 256;
/// Queries longer than this (their parameters together, bytes) are answered but not kept, so a
/// full cache stays small.
const MAX_QUERY_BYTES: usize = 512;
/// Status answers kept.
const MAX_STATUS: usize = 16_384;
/// Open repositories kept for ref reads (about one per thread reading at once).
const MAX_REPOS: usize = 8;

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The parameters of a `GET /catalog` call, as a cache key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PageKey {
    /// `category`.
    pub category: Option<String>,
    /// `q`.
    pub q: Option<String>,
    /// `lifecycle`.
    pub lifecycle: Option<String>,
    /// `limit`.
    pub limit: Option<usize>,
    /// `cursor`.
    pub cursor: Option<String>,
}

impl PageKey {
    fn bytes(&self) -> usize {
        [&self.category, &self.q, &self.lifecycle, &self.cursor].iter().map(|p| p.as_ref().map_or(0, String::len)).sum()
    }
}

#[derive(Default)]
struct Pages {
    /// The snapshot the pages were built from (weak: the cache never keeps an old catalog
    /// alive, and while the allocation lives its address is not reused).
    snapshot: Weak<CatalogSnapshot>,
    pages: HashMap<PageKey, Bytes>,
}

/// Serialised `GET /catalog` pages of the snapshot in service.
#[derive(Default)]
pub struct CatalogPages {
    inner: Mutex<Pages>,
}

impl std::fmt::Debug for CatalogPages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CatalogPages").field("pages", &lock(&self.inner).pages.len()).finish()
    }
}

impl CatalogPages {
    /// The page for `key` built from `snapshot`, if kept.
    pub fn get(&self, snapshot: &Arc<CatalogSnapshot>, key: &PageKey) -> Option<Bytes> {
        let inner = lock(&self.inner);
        if !std::ptr::eq(inner.snapshot.as_ptr(), Arc::as_ptr(snapshot)) {
            return None;
        }
        inner.pages.get(key).cloned()
    }

    /// Keeps `body`, the page for `key` built from `snapshot`; pages of another snapshot are
    /// dropped.
    pub fn put(&self, snapshot: &Arc<CatalogSnapshot>, key: PageKey, body: Bytes) {
        if key.bytes() > MAX_QUERY_BYTES {
            return;
        }
        let mut inner = lock(&self.inner);
        if !std::ptr::eq(inner.snapshot.as_ptr(), Arc::as_ptr(snapshot)) {
            inner.snapshot = Arc::downgrade(snapshot);
            inner.pages.clear();
        }
        if inner.pages.len() >= MAX_PAGES {
            inner.pages.clear();
        }
        inner.pages.insert(key, body);
    }
}

/// The refs a status answer is read from, by id (`None`: the ref does not exist).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusKey {
    branch: Oid,
    status: Option<Oid>,
    fulfilment: Option<Oid>,
    base: Option<Oid>,
}

/// What one read of a request's refs found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefsRead {
    /// The answer's key; `None` when the request branch does not exist.
    pub key: Option<StatusKey>,
    /// Whether `refs/pao/leases/<id>` exists (someone holds or held the lease).
    pub leased: bool,
}

struct StatusEntry {
    key: StatusKey,
    team: String,
    answer: StatusWithFulfilment,
    /// The answer serialised with `running` false (no lease): what a hit usually sends.
    idle: Bytes,
}

/// A kept status answer.
#[derive(Debug, Clone)]
pub struct KeptStatus {
    /// The request's team (for the access check).
    pub team: String,
    /// The answer; its `fulfilment.running` is the one of when it was read: the caller sets it.
    pub answer: StatusWithFulfilment,
    /// The answer serialised with `fulfilment.running` false.
    pub idle: Bytes,
}

/// `GET /requests/{id}/status` answers by the ids of their refs.
pub struct StatusAnswers {
    git_dir: PathBuf,
    base_ref: String,
    enabled: bool,
    watch: Arc<RefWatch>,
    repos: Mutex<Vec<Repository>>,
    /// The refs last read per request, with the epoch they were read at.
    refs: Mutex<HashMap<String, (Epoch, RefsRead)>>,
    answers: Mutex<HashMap<String, StatusEntry>>,
}

impl std::fmt::Debug for StatusAnswers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StatusAnswers")
            .field("git_dir", &self.git_dir)
            .field("enabled", &self.enabled)
            .field("answers", &lock(&self.answers).len())
            .finish_non_exhaustive()
    }
}

impl StatusAnswers {
    /// Answers of the state repository at `git_dir` whose base branch is `base`, its refs
    /// watched by `watch`; `enabled` only with the local backend (refs to read).
    pub fn new(git_dir: PathBuf, base: &str, enabled: bool, watch: Arc<RefWatch>) -> Self {
        Self {
            git_dir,
            base_ref: format!("refs/heads/{base}"),
            enabled,
            watch,
            repos: Mutex::new(Vec::new()),
            refs: Mutex::new(HashMap::new()),
            answers: Mutex::new(HashMap::new()),
        }
    }

    /// Whether answers are cached (the local backend).
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// The refs of request `id` (a valid request id): those read before when the ref storage
    /// has not changed since, else read now (blocking: small file reads).
    ///
    /// # Errors
    /// When the repository cannot be opened or a ref cannot be read (the caller then answers
    /// the uncached way, which reports the failure).
    pub fn read_refs(&self, id: &str) -> Result<RefsRead, git2::Error> {
        // Taken before reading: a change while the refs are read makes a new epoch, so what is
        // kept under this one is never served after that change.
        let epoch = self.watch.epoch();
        if let Some(epoch) = epoch
            && let Some((seen, read)) = lock(&self.refs).get(id)
            && *seen == epoch
        {
            return Ok(*read);
        }
        let read = self.read_refs_now(id)?;
        if let Some(epoch) = epoch {
            let mut refs = lock(&self.refs);
            if refs.len() >= MAX_STATUS && !refs.contains_key(id) {
                refs.clear();
            }
            refs.insert(id.to_owned(), (epoch, read));
        }
        Ok(read)
    }

    fn read_refs_now(&self, id: &str) -> Result<RefsRead, git2::Error> {
        let repo = match lock(&self.repos).pop() {
            Some(repo) => repo,
            None => Repository::open_bare(&self.git_dir).or_else(|_| Repository::open(&self.git_dir))?,
        };
        let read = (|| {
            let branch = read_ref(&repo, &format!("refs/heads/{}{id}", pao_git::REQUEST_BRANCH_PREFIX))?;
            let leased = read_ref(&repo, &format!("{}{id}", pao_git::LEASE_REF_PREFIX))?.is_some();
            let Some(branch) = branch else { return Ok(RefsRead { key: None, leased }) };
            let key = StatusKey {
                branch,
                status: read_ref(&repo, &format!("refs/pao/status/{id}"))?,
                fulfilment: read_ref(&repo, &format!("{}{id}", pao_git::FULFILMENT_REF_PREFIX))?,
                base: read_ref(&repo, &self.base_ref)?,
            };
            Ok(RefsRead { key: Some(key), leased })
        })();
        let mut repos = lock(&self.repos);
        if repos.len() < MAX_REPOS {
            repos.push(repo);
        }
        read
    }

    /// The team and the serialised idle answer kept for `id` under `key` (the common hit: no
    /// lease, so nothing to change in it).
    pub fn get_idle(&self, id: &str, key: &StatusKey) -> Option<(String, Bytes)> {
        let answers = lock(&self.answers);
        let entry = answers.get(id).filter(|e| e.key == *key)?;
        Some((entry.team.clone(), entry.idle.clone()))
    }

    /// The answer kept for `id` under `key`.
    pub fn get(&self, id: &str, key: &StatusKey) -> Option<KeptStatus> {
        let answers = lock(&self.answers);
        let entry = answers.get(id).filter(|e| e.key == *key)?;
        Some(KeptStatus { team: entry.team.clone(), answer: entry.answer.clone(), idle: entry.idle.clone() })
    }

    /// Keeps `answer`, read while the refs were at `key`.
    pub fn put(&self, id: String, key: StatusKey, team: String, answer: StatusWithFulfilment) {
        let mut idle_answer = answer.clone();
        idle_answer.fulfilment.running = false;
        let Ok(idle) = serde_json::to_vec(&idle_answer) else { return };
        let mut answers = lock(&self.answers);
        if answers.len() >= MAX_STATUS && !answers.contains_key(&id) {
            answers.clear();
        }
        answers.insert(id, StatusEntry { key, team, answer, idle: Bytes::from(idle) });
    }
}

fn read_ref(repo: &Repository, name: &str) -> Result<Option<Oid>, git2::Error> {
    match repo.refname_to_id(name) {
        Ok(oid) => Ok(Some(oid)),
        Err(err) if err.code() == ErrorCode::NotFound => Ok(None),
        Err(err) => Err(err),
    }
}
