//! The local backend: requests as branches and refs of a (possibly bare) Git repository.
//!
//! Layout (see `docs/orchestrator.md`):
//!
//! | ref | points at | meaning |
//! | --- | --- | --- |
//! | `refs/heads/pao/requests/<id>` | the request commit | the "pull request" |
//! | `refs/pao/resources/<team>/<item>/<resource>` | the request commit | the one open request of a resource |
//! | `refs/pao/idempotency/<sha1(key)>` | the request commit | first result of an Idempotency-Key |
//! | `refs/pao/status/<id>` | a chain of empty-tree commits | status transitions, one commit each |
//!
//! Every ref write is a compare-and-swap: the refs an operation changes are locked together
//! (one libgit2 transaction), checked under the lock, and written in one commit of the
//! transaction. Objects are written, and read back, before any ref points at them, so a crash
//! leaves at most unreachable objects, never a ref to a half-written request. When writing the
//! refs (or, for a merge into a checked-out base, updating the work tree) fails, the refs the
//! operation changed are put back: the repository is before or after an operation, never in
//! between. A lock file older than [`STALE_LOCK_SECONDS`] is reported at once
//! ([`BackendError::Locked`]), not waited on.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use git2::build::TreeUpdateBuilder;
use git2::{Commit, ErrorCode, FileMode, ObjectType, Oid, Repository, Signature, Tree, TreeWalkMode, TreeWalkResult};

use crate::backend::{
    BackendError, ChangeInfo, ChangeList, ChangeSpec, ChangeState, GitContext, Opened, Operation, RequestStatus,
    StateBackend, StatusEvent, UnreadableChange, file_age,
};
use crate::catalog::open_repo;
use crate::error::GitError;
use crate::names::{RequestId, ResourceKey};
use crate::time::format_rfc3339;
use crate::trailers::{self, parse_trailers, with_trailers};

/// Attempts at a compare-and-swap before giving up with [`BackendError::Contention`].
const CAS_ATTEMPTS: usize = 64;

/// A lock file at least this old (seconds) is reported as held ([`BackendError::Locked`])
/// instead of waited on: PAO and Git hold ref locks for milliseconds, so one this old was
/// almost certainly left by a killed process. `pao doctor` lists such files.
pub const STALE_LOCK_SECONDS: u64 = 5;

/// The longest a writer waits for live locks (held by others, younger than
/// [`STALE_LOCK_SECONDS`]) before reporting them.
const LOCK_WAIT: Duration = Duration::from_secs(15);

/// Request branches live here (`refs/heads/pao/requests/<id>`).
pub const REQUEST_BRANCH_PREFIX: &str = "pao/requests/";

/// How far back the base branch's first-parent line is searched for where a request merged
/// outside PAO; further back, the request's creation time stands in.
const MERGE_SEARCH_DEPTH: usize = 1000;

/// The state backend on a local repository. Cheap to share across threads: it holds the path
/// and opens the repository per call.
#[derive(Debug, Clone)]
pub struct LocalBackend {
    git_dir: PathBuf,
    base: String,
    committer_name: String,
    committer_email: String,
    #[cfg(feature = "fault-injection")]
    faults: std::sync::Arc<faults::Faults>,
}

/// A ref an operation changed, and how to put it back.
struct Undo {
    name: String,
    /// Its value before the operation (`None`: it did not exist).
    before: Option<Oid>,
    /// Its value the operation wrote (`None`: the operation deleted it).
    after: Option<Oid>,
}

impl LocalBackend {
    /// The backend on the repository at `path` (bare or not), merging into `base`
    /// (`main` when `None`). The base branch must exist, unless the repository has no branch
    /// at all besides request branches (a fresh repository: the first merge creates it).
    ///
    /// # Errors
    /// When no repository is there, `base` is not a valid branch name
    /// ([`BackendError::InvalidBranch`]) or names no branch ([`BackendError::NoBaseBranch`]).
    pub fn open(path: impl AsRef<Path>, base: Option<&str>) -> Result<Self, BackendError> {
        let repo = open_repo(path.as_ref()).map_err(open_error)?;
        let base = base.unwrap_or("main").to_owned();
        if !git2::Branch::name_is_valid(&base).during("checking the base branch name")? {
            return Err(BackendError::InvalidBranch { branch: base });
        }
        let backend = Self {
            git_dir: repo.path().to_path_buf(),
            base,
            committer_name: "PAO".to_owned(),
            committer_email: "pao@localhost".to_owned(),
            #[cfg(feature = "fault-injection")]
            faults: std::sync::Arc::default(),
        };
        if read_ref(&repo, &backend.base_ref())?.is_none() {
            backend.check_unborn_base(&repo)?;
        }
        Ok(backend)
    }

    /// The repository's Git directory.
    pub fn git_dir(&self) -> &Path {
        &self.git_dir
    }

    /// Makes the `n`-th step (1-based) of the next multi-step operations fail as if the write
    /// had failed there; `0` turns injection off. For tests of crash and failure safety only.
    #[cfg(feature = "fault-injection")]
    #[doc(hidden)]
    pub fn fail_at_step(&self, n: usize) {
        self.faults.arm(n);
    }

    /// A step of a multi-step operation is done; with fault injection armed for this step,
    /// fails here.
    #[allow(clippy::unused_self, clippy::unnecessary_wraps)]
    fn step(&self, what: &str) -> Result<(), BackendError> {
        #[cfg(feature = "fault-injection")]
        if let Some(n) = self.faults.hit() {
            return Err(BackendError::Git {
                operation: format!("{what} (step {n})"),
                message: faults::MESSAGE.to_owned(),
            });
        }
        let _ = what;
        Ok(())
    }

    pub(crate) fn repo(&self) -> Result<Repository, BackendError> {
        open_repo(&self.git_dir).map_err(open_error)
    }

    pub(crate) fn base_ref(&self) -> String {
        format!("refs/heads/{}", self.base)
    }

    /// The base branch's name.
    pub(crate) fn base_name(&self) -> &str {
        &self.base
    }

    fn committer(&self) -> Result<Signature<'static>, BackendError> {
        Signature::now(&self.committer_name, &self.committer_email).during("making the committer signature")
    }

    /// A missing base branch is only fine in a fresh repository: no branch but request branches.
    fn check_unborn_base(&self, repo: &Repository) -> Result<(), BackendError> {
        let mut branches = Vec::new();
        for reference in repo.references_glob("refs/heads/*").during("listing branches")? {
            let reference = reference.during("listing branches")?;
            if let Some(name) = reference.name().ok().and_then(|n| n.strip_prefix("refs/heads/"))
                && !name.starts_with(REQUEST_BRANCH_PREFIX)
            {
                branches.push(name.to_owned());
            }
        }
        if branches.is_empty() {
            return Ok(());
        }
        branches.sort();
        branches.truncate(10);
        Err(BackendError::NoBaseBranch {
            branch: self.base.clone(),
            repository: self.git_dir.display().to_string(),
            branches,
        })
    }

    /// Writes the request commit (objects only; no ref points at it yet).
    fn write_request_commit(
        &self,
        repo: &Repository,
        spec: &ChangeSpec,
        base: Option<Oid>,
    ) -> Result<Oid, BackendError> {
        let writing = "writing the request commit";
        let base_commit = base.map(|oid| repo.find_commit(oid)).transpose().during("reading the base commit")?;
        let base_tree = match &base_commit {
            Some(commit) => commit.tree().during("reading the base tree")?,
            None => repo.find_tree(repo.treebuilder(None).and_then(|b| b.write()).during(writing)?).during(writing)?,
        };
        let path = spec.key.path();
        let exists = base_tree.get_path(Path::new(&path)).is_ok();
        let mut update = TreeUpdateBuilder::new();
        match &spec.content {
            Some(content) => {
                let blob = repo.blob(content.as_bytes()).during(writing)?;
                update.upsert(&path, blob, FileMode::Blob);
            }
            None if exists => {
                update.remove(&path);
            }
            None => return Err(BackendError::NoSuchFile { path }),
        }
        for (extra, content) in &spec.extra_files {
            let blob = repo.blob(content.as_bytes()).during(writing)?;
            update.upsert(extra, blob, FileMode::Blob);
        }
        let tree = repo.find_tree(update.create_updated(repo, &base_tree).during(writing)?).during(writing)?;
        let mut trailers = spec.identity_trailers();
        if !spec.labels.is_empty() {
            trailers.push((trailers::LABELS.to_owned(), spec.labels.join(",")));
        }
        trailers.extend(spec.extra_trailers().cloned());
        let message = with_trailers(&format!("{}\n\n{}", spec.title, spec.body), &trailers);
        let author =
            Signature::now(spec.author.user(), &spec.author.author_email()).during("making the author signature")?;
        let parents: Vec<&Commit<'_>> = base_commit.iter().collect();
        repo.commit(None, &author, &self.committer()?, &message, &tree, &parents).during(writing)
    }

    /// The request id a ref's request commit carries.
    pub(crate) fn request_of(repo: &Repository, commit: Oid) -> Result<Option<RequestId>, BackendError> {
        let commit = repo.find_commit(commit).during("reading a request commit")?;
        let trailers = parse_trailers(commit.message().unwrap_or_default());
        Ok(trailers.get(trailers::REQUEST_ID).and_then(|id| RequestId::parse(id).ok()))
    }

    pub(crate) fn info(&self, repo: &Repository, id: &RequestId) -> Result<ChangeInfo, BackendError> {
        match read_ref(repo, &branch_ref(id))? {
            Some(head) => self.info_at(repo, id, head),
            None => Err(BackendError::NotFound(id.to_string())),
        }
    }

    /// The change whose request commit is `head`, whether or not its branch exists yet.
    fn info_at(&self, repo: &Repository, id: &RequestId, head: Oid) -> Result<ChangeInfo, BackendError> {
        let commit = repo.find_commit(head).during(&format!("reading request commit {head}"))?;
        let metadata = parse_trailers(commit.message().unwrap_or_default());
        let field = |key: &str| {
            metadata
                .get(key)
                .cloned()
                .ok_or_else(|| BackendError::Corrupt(format!("request commit {head} has no {key} trailer")))
        };
        let key = ResourceKey::parse(&field(trailers::TEAM)?, &field(trailers::ITEM)?, &field(trailers::RESOURCE)?)?;
        let operation = Operation::parse(&field(trailers::OPERATION)?)
            .ok_or_else(|| BackendError::Corrupt(format!("request commit {head} has an unknown operation")))?;
        let created = commit.time();
        let created_at = format_rfc3339(created.seconds(), created.offset_minutes());
        let log = self.status_log(repo, id)?;
        let merged = match read_ref(repo, &self.base_ref())? {
            Some(base) => {
                base == head || repo.graph_descendant_of(base, head).during("comparing with the base branch")?
            }
            None => false,
        };
        let closed = log.iter().any(|event| matches!(event.status, RequestStatus::Aborted | RequestStatus::PrClosed));
        let state = if merged {
            ChangeState::Merged
        } else if closed {
            ChangeState::Closed
        } else {
            ChangeState::Open
        };
        let status = RequestStatus::derive(log.last().map(|event| event.status), state);
        let updated_at = log.last().map_or_else(|| created_at.clone(), |event| event.at.clone());
        Ok(ChangeInfo {
            id: id.clone(),
            key,
            operation,
            branch: format!("{REQUEST_BRANCH_PREFIX}{id}"),
            base: self.base.clone(),
            head: head.to_string(),
            state,
            status,
            title: commit.summary().ok().flatten().unwrap_or_default().to_owned(),
            url: None,
            number: None,
            metadata,
            created_at,
            updated_at,
        })
    }

    /// When a merged change reached the base branch: the committer time of the oldest commit
    /// on the base's first-parent line that contains the request commit (the merge commit, or
    /// the request commit itself after a fast-forward). `None` when that line is longer than
    /// [`MERGE_SEARCH_DEPTH`] commits back.
    fn merged_at(&self, repo: &Repository, info: &ChangeInfo) -> Result<Option<String>, BackendError> {
        let Some(mut oid) = read_ref(repo, &self.base_ref())? else { return Ok(None) };
        let head = Oid::from_str(&info.head).map_err(|_| BackendError::Corrupt(format!("bad head {}", info.head)))?;
        let mut found = None;
        for _ in 0..MERGE_SEARCH_DEPTH {
            if oid != head && !repo.graph_descendant_of(oid, head).during("finding where a request merged")? {
                return Ok(found);
            }
            let commit = repo.find_commit(oid).during("finding where a request merged")?;
            let time = commit.committer().when();
            found = Some(format_rfc3339(time.seconds(), time.offset_minutes()));
            match commit.parent_id(0) {
                Ok(parent) if oid != head => oid = parent,
                _ => return Ok(found),
            }
        }
        Ok(None)
    }

    fn status_log(&self, repo: &Repository, id: &RequestId) -> Result<Vec<StatusEvent>, BackendError> {
        let Some(tip) = read_ref(repo, &status_ref(id))? else { return Ok(Vec::new()) };
        let mut events = Vec::new();
        let mut next = Some(repo.find_commit(tip).during("reading the status log")?);
        while let Some(commit) = next {
            let message = commit.message().unwrap_or_default();
            let trailers = parse_trailers(message);
            let status = trailers.get(trailers::STATUS).and_then(|s| RequestStatus::parse(s)).ok_or_else(|| {
                BackendError::Corrupt(format!("status commit {} has no {} trailer", commit.id(), trailers::STATUS))
            })?;
            let time = commit.time();
            events.push(StatusEvent {
                status,
                at: format_rfc3339(time.seconds(), time.offset_minutes()),
                note: trailers.get(trailers::NOTE).cloned().unwrap_or_default(),
            });
            next = commit.parents().next();
        }
        events.reverse();
        Ok(events)
    }

    /// Writes a status commit on top of `parent` (objects only); returns it and its time.
    fn status_commit(
        &self,
        repo: &Repository,
        id: &RequestId,
        status: RequestStatus,
        note: &str,
        parent: Option<Oid>,
    ) -> Result<(Oid, String), BackendError> {
        let writing = "writing a status commit";
        let empty_tree =
            repo.find_tree(repo.treebuilder(None).and_then(|b| b.write()).during(writing)?).during(writing)?;
        let signature = self.committer()?;
        let message = with_trailers(
            &format!("pao: {id} is {status}"),
            &[
                (trailers::REQUEST_ID.to_owned(), id.to_string()),
                (trailers::STATUS.to_owned(), status.as_str().to_owned()),
                (trailers::NOTE.to_owned(), note.to_owned()),
            ],
        );
        let parent = parent.map(|oid| repo.find_commit(oid)).transpose().during("reading the status log")?;
        let parents: Vec<&Commit<'_>> = parent.iter().collect();
        let commit = repo.commit(None, &signature, &signature, &message, &empty_tree, &parents).during(writing)?;
        let time = signature.when();
        Ok((commit, format_rfc3339(time.seconds(), time.offset_minutes())))
    }

    fn append_status(
        &self,
        repo: &Repository,
        id: &RequestId,
        status: RequestStatus,
        note: &str,
    ) -> Result<(), BackendError> {
        let name = status_ref(id);
        let started = Instant::now();
        for attempt in 0..CAS_ATTEMPTS {
            let current = read_ref(repo, &name)?;
            let (commit, _) = self.status_commit(repo, id, status, note, current)?;
            let result = match current {
                Some(old) => repo.reference_matching(&name, commit, true, old, "pao: status").map(|_| true),
                None => crate::refs::create_exclusively(repo, &name, commit, "pao: status"),
            };
            match result {
                Ok(true) => return Ok(()),
                Ok(false) => {}
                Err(err) if is_race(&err) => wait_for_lock(&err, started, attempt)?,
                Err(err) => return Err(BackendError::git(&format!("updating {name}"), &err)),
            }
        }
        Err(BackendError::Contention { what: name })
    }

    /// Locks `names` in one transaction; `None` when another writer holds one of them (after
    /// waiting as [`wait_for_lock`] does, so the caller retries).
    fn lock_all<'r>(
        repo: &'r Repository,
        names: &[&str],
        started: Instant,
        attempt: usize,
    ) -> Result<Option<git2::Transaction<'r>>, BackendError> {
        let mut tx = repo.transaction().during("starting a ref transaction")?;
        for name in names {
            match tx.lock_ref(name) {
                Ok(()) => {}
                Err(err) if is_race(&err) => {
                    drop(tx);
                    wait_for_lock(&err, started, attempt)?;
                    return Ok(None);
                }
                Err(err) => return Err(BackendError::git(&format!("locking {name}"), &err)),
            }
        }
        Ok(Some(tx))
    }

    /// Puts back the refs an operation changed (each only if it still holds the operation's
    /// value). On failure the error says the repository needs `pao doctor`.
    fn undo(repo: &Repository, changes: &[Undo], cause: BackendError) -> BackendError {
        let mut failed = Vec::new();
        for change in changes.iter().rev() {
            let current = match read_ref(repo, &change.name) {
                Ok(current) => current,
                Err(err) => {
                    failed.push(format!("{}: {err}", change.name));
                    continue;
                }
            };
            if current != change.after {
                continue; // never written, or changed since by someone else: not ours to undo
            }
            let result = match (change.before, change.after) {
                (Some(before), Some(after)) => {
                    repo.reference_matching(&change.name, before, true, after, "pao: undo").map(drop)
                }
                (Some(before), None) => repo.reference(&change.name, before, false, "pao: undo").map(drop),
                (None, Some(after)) => delete_if(repo, &change.name, after),
                (None, None) => Ok(()),
            };
            if let Err(err) = result {
                failed.push(format!("{}: {}", change.name, err.message()));
            }
        }
        if failed.is_empty() {
            return cause;
        }
        BackendError::Git {
            operation: format!("{cause}; putting back the refs it changed"),
            message: format!("{}; run `pao doctor --fix` on the state repository", failed.join("; ")),
        }
    }

    /// Deletes `name` if it still points at `expected` (under the ref's lock).
    pub(crate) fn release(repo: &Repository, name: &str, expected: Oid) -> Result<(), BackendError> {
        delete_if(repo, name, expected).or_else(|err| {
            if is_race(&err) { Ok(()) } else { Err(BackendError::git(&format!("deleting {name}"), &err)) }
        })
    }

    /// The open request holding a resource lock, or the lock's stale value to replace.
    pub(crate) fn lock_holder(&self, repo: &Repository, name: &str) -> Result<LockHolder, BackendError> {
        let Some(target) = read_ref(repo, name)? else { return Ok(LockHolder::Free) };
        let Some(holder) = Self::request_of(repo, target)? else { return Ok(LockHolder::Stale(target)) };
        match self.info(repo, &holder) {
            Ok(info) if info.state == ChangeState::Open && info.head == target.to_string() => {
                Ok(LockHolder::Open(holder))
            }
            Ok(_) | Err(BackendError::NotFound(_)) => Ok(LockHolder::Stale(target)),
            Err(err) => Err(err),
        }
    }

    fn open_locked(&self, repo: &Repository, spec: &ChangeSpec) -> Result<Opened, BackendError> {
        let idem_ref = spec.idempotency_key.as_deref().map(idempotency_ref);
        let lock_ref = resource_ref(&spec.key);
        let branch = branch_ref(&spec.id);
        let mut names = vec![lock_ref.as_str(), branch.as_str()];
        names.extend(idem_ref.as_deref());
        let started = Instant::now();
        let mut attempt = 0;
        loop {
            // Hold the lock files of every ref the submit writes for the whole check-then-write.
            let Some(mut tx) = Self::lock_all(repo, &names, started, attempt)? else {
                attempt += 1;
                continue;
            };
            // 1. An idempotency key seen before returns the first result.
            if let Some(name) = &idem_ref
                && let Some(target) = read_ref(repo, name)?
                && let Some(first) = Self::request_of(repo, target)?
            {
                match self.info(repo, &first) {
                    Ok(change) if change.head == target.to_string() => return Ok(Opened { change, replayed: true }),
                    Ok(_) | Err(BackendError::NotFound(_)) => {} // left by a crash: claim it anew
                    Err(err) => return Err(err),
                }
            }
            // 2. One open request per resource.
            if let LockHolder::Open(open) = self.lock_holder(repo, &lock_ref)? {
                return Err(BackendError::ResourceBusy { key: spec.key.to_string(), open: open.to_string() });
            }
            // 3. A free id (a status log without its branch also takes it).
            if read_ref(repo, &branch)?.is_some() || read_ref(repo, &status_ref(&spec.id))?.is_some() {
                return Err(BackendError::AlreadyExists(spec.id.to_string()));
            }
            // 4. Objects first, read back as the listing will read them; nothing points at them yet.
            let base = read_ref(repo, &self.base_ref())?;
            if base.is_none() {
                self.check_unborn_base(repo)?;
            }
            let commit = self.write_request_commit(repo, spec, base)?;
            let change = self.info_at(repo, &spec.id, commit)?;
            self.step("submit: request commit written")?;
            // 5. Every ref in one transaction commit; undone if that (or anything after) fails.
            let mut undo = vec![Undo { name: branch.clone(), before: None, after: Some(commit) }];
            undo.push(Undo { name: lock_ref.clone(), before: read_ref(repo, &lock_ref)?, after: Some(commit) });
            if let Some(name) = &idem_ref {
                undo.push(Undo { name: name.clone(), before: read_ref(repo, name)?, after: Some(commit) });
            }
            let published = (|| {
                for change in &undo {
                    tx.set_target(&change.name, commit, None, "pao: open request")
                        .during(&format!("staging {}", change.name))?;
                }
                tx.commit().during("writing the request's refs")?;
                self.step("submit: refs written")
            })();
            return match published {
                Ok(()) => Ok(Opened { change, replayed: false }),
                Err(err) => Err(Self::undo(repo, &undo, err)),
            };
        }
    }

    fn merge_locked(&self, repo: &Repository, id: &RequestId) -> Result<ChangeInfo, BackendError> {
        let base_ref = self.base_ref();
        let started = Instant::now();
        for attempt in 0..CAS_ATTEMPTS {
            let info = self.info(repo, id)?;
            if info.state != ChangeState::Open {
                return Err(BackendError::NotOpen { id: id.to_string(), state: info.state });
            }
            let head = parse_oid(&info.head)?;
            // Everything that can refuse the merge is checked before any ref moves.
            let checked_out = self.base_checked_out(repo)?;
            let base = read_ref(repo, &base_ref)?;
            let target = match base {
                None => {
                    self.check_unborn_base(repo)?;
                    head
                }
                Some(base) if repo.graph_descendant_of(head, base).during("comparing with the base branch")? => head,
                Some(base) => self.merge_commit(repo, id, &info, base, head)?,
            };
            let resource = resource_ref(&info.key);
            let status = status_ref(id);
            let status_tip = read_ref(repo, &status)?;
            let (status_commit, merged_at) =
                self.status_commit(repo, id, RequestStatus::PrMerged, "merged into the base branch", status_tip)?;
            self.step("merge: objects written")?;
            let Some(mut tx) = Self::lock_all(repo, &[&base_ref, &resource, &status], started, attempt)? else {
                continue;
            };
            if read_ref(repo, &base_ref)? != base || read_ref(repo, &status)? != status_tip {
                continue; // moved since we looked: start again from the new tips
            }
            let resource_before = read_ref(repo, &resource)?;
            let mut undo = vec![
                Undo { name: base_ref.clone(), before: base, after: Some(target) },
                Undo { name: status.clone(), before: status_tip, after: Some(status_commit) },
            ];
            if resource_before == Some(head) {
                undo.push(Undo { name: resource.clone(), before: Some(head), after: None });
            }
            let published = (|| {
                tx.set_target(&base_ref, target, None, "pao: merge").during("staging the base branch")?;
                tx.set_target(&status, status_commit, None, "pao: status").during("staging the status log")?;
                if resource_before == Some(head) {
                    tx.remove(&resource).during("staging the resource ref's removal")?;
                }
                tx.commit().during("writing the merge's refs")?;
                self.step("merge: refs written")?;
                if checked_out {
                    // The work tree was clean against the old tip: bring it and the index to
                    // the new one, as `git merge` would have.
                    repo.checkout_head(Some(git2::build::CheckoutBuilder::new().force()))
                        .during("updating the work tree of the checked-out base branch")?;
                    self.step("merge: work tree updated")?;
                }
                Ok(())
            })();
            return match published {
                Ok(()) => Ok(ChangeInfo {
                    state: ChangeState::Merged,
                    status: RequestStatus::derive(Some(RequestStatus::PrMerged), ChangeState::Merged),
                    updated_at: merged_at,
                    ..info
                }),
                Err(err) => {
                    let err = Self::undo(repo, &undo, err);
                    if checked_out {
                        // Back to the old tip's files (clean before the merge, so nothing is lost).
                        let _ = repo.checkout_head(Some(git2::build::CheckoutBuilder::new().force()));
                    }
                    Err(err)
                }
            };
        }
        Err(BackendError::Contention { what: base_ref })
    }

    /// Writes the merge commit of `head` into `base` (objects only), refusing conflicts.
    fn merge_commit(
        &self,
        repo: &Repository,
        id: &RequestId,
        info: &ChangeInfo,
        base: Oid,
        head: Oid,
    ) -> Result<Oid, BackendError> {
        let merging = "merging into the base branch";
        let ours = repo.find_commit(base).during(merging)?;
        let theirs = repo.find_commit(head).during(merging)?;
        let mut index = repo.merge_commits(&ours, &theirs, None).during(merging)?;
        if index.has_conflicts() {
            let paths = index
                .conflicts()
                .during(merging)?
                .filter_map(Result::ok)
                .filter_map(|c| c.our.or(c.their).or(c.ancestor))
                .map(|entry| String::from_utf8_lossy(&entry.path).into_owned())
                .collect();
            return Err(BackendError::MergeConflict { id: id.to_string(), paths });
        }
        let tree = repo.find_tree(index.write_tree_to(repo).during(merging)?).during(merging)?;
        let signature = self.committer()?;
        let message = with_trailers(
            &format!("Merge request {id}: {}", info.title),
            &[(trailers::REQUEST_ID.to_owned(), id.to_string())],
        );
        repo.commit(None, &signature, &signature, &message, &tree, &[&ours, &theirs]).during(merging)
    }

    fn close_locked(
        &self,
        repo: &Repository,
        id: &RequestId,
        status: RequestStatus,
        note: &str,
    ) -> Result<ChangeInfo, BackendError> {
        let started = Instant::now();
        let log = status_ref(id);
        for attempt in 0..CAS_ATTEMPTS {
            let info = self.info(repo, id)?;
            if info.state != ChangeState::Open {
                return Err(BackendError::NotOpen { id: id.to_string(), state: info.state });
            }
            let head = parse_oid(&info.head)?;
            let resource = resource_ref(&info.key);
            let tip = read_ref(repo, &log)?;
            let (commit, closed_at) = self.status_commit(repo, id, status, note, tip)?;
            self.step("close: status commit written")?;
            let Some(mut tx) = Self::lock_all(repo, &[&log, &resource], started, attempt)? else { continue };
            if read_ref(repo, &log)? != tip {
                continue;
            }
            let resource_before = read_ref(repo, &resource)?;
            let mut undo = vec![Undo { name: log.clone(), before: tip, after: Some(commit) }];
            if resource_before == Some(head) {
                undo.push(Undo { name: resource.clone(), before: Some(head), after: None });
            }
            let published = (|| {
                tx.set_target(&log, commit, None, "pao: status").during("staging the status log")?;
                if resource_before == Some(head) {
                    tx.remove(&resource).during("staging the resource ref's removal")?;
                }
                tx.commit().during("writing the close's refs")?;
                self.step("close: refs written")
            })();
            return match published {
                Ok(()) => Ok(ChangeInfo {
                    state: ChangeState::Closed,
                    status: RequestStatus::derive(Some(status), ChangeState::Closed),
                    updated_at: closed_at,
                    ..info
                }),
                Err(err) => Err(Self::undo(repo, &undo, err)),
            };
        }
        Err(BackendError::Contention { what: log })
    }

    /// Whether the base branch is checked out in this repository's work tree. A checked-out base
    /// with uncommitted changes is refused (moving the branch under them would make `git status`
    /// show the merge reverted), and so is a held `index.lock` (the work tree could not follow
    /// the branch).
    fn base_checked_out(&self, repo: &Repository) -> Result<bool, BackendError> {
        if repo.is_bare() {
            return Ok(false);
        }
        let on_base = match repo.find_reference("HEAD") {
            Ok(head) => head.symbolic_target().ok().flatten() == Some(self.base_ref().as_str()),
            Err(_) => false,
        };
        if !on_base {
            return Ok(false);
        }
        let index_lock = repo.path().join("index.lock");
        if let Some(age_seconds) = file_age(&index_lock) {
            return Err(BackendError::Locked { lock_file: index_lock.display().to_string(), age_seconds });
        }
        let mut options = git2::StatusOptions::new();
        options.include_untracked(false).include_ignored(false);
        if !repo.statuses(Some(&mut options)).during("reading the work tree's status")?.is_empty() {
            return Err(BackendError::DirtyWorkTree { branch: self.base.clone() });
        }
        Ok(true)
    }

    fn files_under(repo: &Repository, tree: &Tree<'_>, prefix: &str) -> Result<Vec<(String, String)>, BackendError> {
        let mut blobs = Vec::new();
        tree.walk(TreeWalkMode::PreOrder, |dir, entry| {
            if entry.kind() == Some(ObjectType::Blob)
                && let Ok(name) = entry.name()
                && name.ends_with(".yaml")
            {
                blobs.push((format!("{prefix}{dir}{name}"), entry.id()));
            }
            TreeWalkResult::Ok
        })
        .during("listing request files")?;
        blobs
            .into_iter()
            .map(|(path, oid)| {
                let blob = repo.find_blob(oid).during(&format!("reading {path}"))?;
                Ok((path, String::from_utf8_lossy(blob.content()).into_owned()))
            })
            .collect()
    }

    fn base_tree<'r>(&self, repo: &'r Repository) -> Result<Option<Tree<'r>>, BackendError> {
        let Some(oid) = read_ref(repo, &self.base_ref())? else { return Ok(None) };
        let reading = "reading the base branch";
        Ok(Some(repo.find_commit(oid).during(reading)?.tree().during(reading)?))
    }

    /// Every request branch's id, and the branches under the prefix that name no valid id.
    pub(crate) fn request_ids(repo: &Repository) -> Result<(Vec<RequestId>, Vec<String>), BackendError> {
        let listing = "listing request branches";
        let (mut ids, mut invalid) = (Vec::new(), Vec::new());
        for reference in repo.references_glob(&format!("refs/heads/{REQUEST_BRANCH_PREFIX}*")).during(listing)? {
            let reference = reference.during(listing)?;
            let Some(name) = reference.name().ok().and_then(|n| n.strip_prefix("refs/heads/")) else { continue };
            match RequestId::parse(&name[REQUEST_BRANCH_PREFIX.len()..]) {
                Ok(id) => ids.push(id),
                Err(_) => invalid.push(name.to_owned()),
            }
        }
        Ok((ids, invalid))
    }
}

/// Who holds a resource ref.
pub(crate) enum LockHolder {
    /// Nobody: the ref does not exist.
    Free,
    /// An open request.
    Open(RequestId),
    /// A request that is not open any more, or no request (left by a crash); its value.
    Stale(Oid),
}

/// Fault injection for the failure-safety tests (`--features fault-injection`).
#[cfg(feature = "fault-injection")]
mod faults {
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// The message of an injected failure.
    pub(super) const MESSAGE: &str = "injected fault";

    /// Which step fails, and how many have passed.
    #[derive(Debug, Default)]
    pub(super) struct Faults {
        fail_at: AtomicUsize,
        seen: AtomicUsize,
    }

    impl Faults {
        pub(super) fn arm(&self, n: usize) {
            self.seen.store(0, Ordering::SeqCst);
            self.fail_at.store(n, Ordering::SeqCst);
        }

        /// Counts a step; `Some(n)` when it is the armed one (which disarms injection).
        pub(super) fn hit(&self) -> Option<usize> {
            let fail_at = self.fail_at.load(Ordering::SeqCst);
            if fail_at == 0 {
                return None;
            }
            let n = self.seen.fetch_add(1, Ordering::SeqCst) + 1;
            if n == fail_at {
                self.fail_at.store(0, Ordering::SeqCst);
                Some(n)
            } else {
                None
            }
        }
    }
}

fn open_error(err: GitError) -> BackendError {
    match err {
        GitError::Open { path, source } => BackendError::Open { path, message: source.message().to_owned() },
        other => BackendError::Git { operation: "opening the repository".to_owned(), message: other.to_string() },
    }
}

/// After a lost race on a ref: waits a little and returns, so the caller retries; or reports a
/// lock file that is older than [`STALE_LOCK_SECONDS`] (or has kept us waiting [`LOCK_WAIT`]).
fn wait_for_lock(err: &git2::Error, started: Instant, attempt: usize) -> Result<(), BackendError> {
    if err.code() == ErrorCode::Locked
        && let Some(lock_file) = crate::backend::lock_file_in(err.message())
        && let Some(age_seconds) = file_age(Path::new(&lock_file))
        && (age_seconds >= STALE_LOCK_SECONDS || started.elapsed() >= LOCK_WAIT)
    {
        return Err(BackendError::Locked { lock_file, age_seconds });
    }
    if started.elapsed() >= LOCK_WAIT {
        return Err(BackendError::Contention { what: err.message().to_owned() });
    }
    // Growing pause with a little per-process jitter, so racing writers spread out.
    let attempt = u64::try_from(attempt).unwrap_or(u64::MAX);
    let jitter = u64::from(std::process::id() % 3) + (attempt % 3);
    std::thread::sleep(Duration::from_millis(attempt.min(20) + jitter));
    Ok(())
}

/// Deletes `name` if it still points at `expected`, under its lock.
fn delete_if(repo: &Repository, name: &str, expected: Oid) -> Result<(), git2::Error> {
    let mut tx = repo.transaction()?;
    tx.lock_ref(name)?;
    match repo.refname_to_id(name) {
        Ok(current) if current == expected => {
            tx.remove(name)?;
            tx.commit()
        }
        Ok(_) => Ok(()),
        Err(err) if err.code() == ErrorCode::NotFound => Ok(()),
        Err(err) => Err(err),
    }
}

pub(crate) fn read_ref(repo: &Repository, name: &str) -> Result<Option<Oid>, BackendError> {
    match repo.refname_to_id(name) {
        Ok(oid) => Ok(Some(oid)),
        Err(err) if err.code() == ErrorCode::NotFound => Ok(None),
        Err(err) => Err(BackendError::git(&format!("reading {name}"), &err)),
    }
}

fn parse_oid(hex: &str) -> Result<Oid, BackendError> {
    Oid::from_str(hex).map_err(|_| BackendError::Corrupt(format!("`{hex}` is not a commit id")))
}

fn is_race(err: &git2::Error) -> bool {
    matches!(err.code(), ErrorCode::Exists | ErrorCode::Modified | ErrorCode::Locked)
}

pub(crate) fn branch_ref(id: &RequestId) -> String {
    format!("refs/heads/{REQUEST_BRANCH_PREFIX}{id}")
}

pub(crate) fn status_ref(id: &RequestId) -> String {
    format!("refs/pao/status/{id}")
}

pub(crate) fn resource_ref(key: &ResourceKey) -> String {
    format!("refs/pao/resources/{}/{}/{}", key.team, key.item, key.resource)
}

fn idempotency_ref(key: &str) -> String {
    format!("refs/pao/idempotency/{}", idempotency_digest(key))
}

/// The fixed-length, ref-safe digest an Idempotency-Key is stored under: its SHA-1 as Git
/// hashes a blob (40 hex digits).
pub fn idempotency_digest(key: &str) -> String {
    Oid::hash_object(ObjectType::Blob, key.as_bytes()).unwrap_or(Oid::ZERO_SHA1).to_string()
}

impl StateBackend for LocalBackend {
    fn place_follow_up(
        &self,
        id: &RequestId,
        action: &str,
        files: &[(String, String)],
        message: &str,
    ) -> Result<crate::FilesAt, BackendError> {
        crate::FollowUps::at(self.git_dir.clone(), &self.base).place(id, action, files, message)
    }

    fn describe(&self) -> String {
        format!("local:{}", self.git_dir.display())
    }

    fn base_branch(&self) -> &str {
        &self.base
    }

    fn read_base_file(&self, path: &str) -> Result<Option<String>, BackendError> {
        let repo = self.repo()?;
        let Some(tree) = self.base_tree(&repo)? else { return Ok(None) };
        match tree.get_path(Path::new(path)) {
            Ok(entry) if entry.kind() == Some(ObjectType::Blob) => {
                let blob = repo.find_blob(entry.id()).during(&format!("reading {path}"))?;
                Ok(Some(String::from_utf8_lossy(blob.content()).into_owned()))
            }
            Ok(_) => Ok(None),
            Err(err) if err.code() == ErrorCode::NotFound => Ok(None),
            Err(err) => Err(BackendError::git(&format!("reading {path}"), &err)),
        }
    }

    fn base_request_files(&self) -> Result<Vec<(String, String)>, BackendError> {
        let repo = self.repo()?;
        let Some(tree) = self.base_tree(&repo)? else { return Ok(Vec::new()) };
        let Some(entry) = tree.get_name("requests") else { return Ok(Vec::new()) };
        if entry.kind() != Some(ObjectType::Tree) {
            return Ok(Vec::new());
        }
        let requests = repo.find_tree(entry.id()).during("reading requests/")?;
        let mut files = Self::files_under(&repo, &requests, "requests/")?;
        files.sort();
        Ok(files)
    }

    fn open_change(&self, spec: &ChangeSpec) -> Result<Opened, BackendError> {
        let repo = self.repo()?;
        self.open_locked(&repo, spec)
    }

    fn change(&self, id: &RequestId) -> Result<ChangeInfo, BackendError> {
        let repo = self.repo()?;
        self.info(&repo, id)
    }

    fn changes_of(&self, ids: &[RequestId]) -> Result<Vec<Result<ChangeInfo, BackendError>>, BackendError> {
        // One repository per thread (a `Repository` is not `Sync`), a share of the ids each.
        const PER_THREAD: usize = 256;
        let threads = std::thread::available_parallelism().map_or(1, usize::from).min(ids.len().div_ceil(PER_THREAD));
        if threads <= 1 {
            let repo = self.repo()?;
            return Ok(ids.iter().map(|id| self.info(&repo, id)).collect());
        }
        let chunk = ids.len().div_ceil(threads);
        std::thread::scope(|scope| {
            let parts: Vec<_> = ids
                .chunks(chunk)
                .map(|part| {
                    scope.spawn(move || {
                        let repo = self.repo()?;
                        Ok::<_, BackendError>(part.iter().map(|id| self.info(&repo, id)).collect::<Vec<_>>())
                    })
                })
                .collect();
            let mut all = Vec::with_capacity(ids.len());
            for part in parts {
                all.extend(part.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))?);
            }
            Ok(all)
        })
    }

    fn changes(&self) -> Result<ChangeList, BackendError> {
        let repo = self.repo()?;
        let (ids, invalid) = Self::request_ids(&repo)?;
        let mut list = ChangeList::default();
        for branch in invalid {
            let error = format!(
                "`{}` is not a valid request id; rename or delete the branch",
                &branch[REQUEST_BRANCH_PREFIX.len()..]
            );
            list.unreadable.push(UnreadableChange { location: branch, error });
        }
        drop(repo);
        for (id, read) in ids.iter().zip(self.changes_of(&ids)?) {
            match read {
                Ok(change) => list.changes.push(change),
                Err(err) => list.unreadable.push(UnreadableChange {
                    location: format!("{REQUEST_BRANCH_PREFIX}{id}"),
                    error: err.to_string(),
                }),
            }
        }
        list.changes.sort_by(|a, b| b.created_at.cmp(&a.created_at).then_with(|| b.id.cmp(&a.id)));
        Ok(list)
    }

    fn change_file(&self, id: &RequestId) -> Result<Option<String>, BackendError> {
        let repo = self.repo()?;
        let info = self.info(&repo, id)?;
        let reading = format!("reading request {id}'s file");
        let tree = repo.find_commit(parse_oid(&info.head)?).and_then(|c| c.tree()).during(&reading)?;
        match tree.get_path(Path::new(&info.key.path())) {
            Ok(entry) => {
                let blob = repo.find_blob(entry.id()).during(&reading)?;
                Ok(Some(String::from_utf8_lossy(blob.content()).into_owned()))
            }
            Err(err) if err.code() == ErrorCode::NotFound => Ok(None),
            Err(err) => Err(BackendError::git(&reading, &err)),
        }
    }

    fn diff(&self, id: &RequestId) -> Result<String, BackendError> {
        let repo = self.repo()?;
        let info = self.info(&repo, id)?;
        let diffing = format!("diffing request {id}");
        let commit = repo.find_commit(parse_oid(&info.head)?).during(&diffing)?;
        let old = commit.parents().next().map(|p| p.tree()).transpose().during(&diffing)?;
        let new = commit.tree().during(&diffing)?;
        let diff = repo.diff_tree_to_tree(old.as_ref(), Some(&new), None).during(&diffing)?;
        let mut out = String::new();
        diff.print(git2::DiffFormat::Patch, |_, _, line| {
            if matches!(line.origin(), '+' | '-' | ' ') {
                out.push(line.origin());
            }
            out.push_str(&String::from_utf8_lossy(line.content()));
            true
        })
        .during(&diffing)?;
        Ok(out)
    }

    fn merge(&self, id: &RequestId) -> Result<ChangeInfo, BackendError> {
        let repo = self.repo()?;
        self.merge_locked(&repo, id)
    }

    fn close(&self, id: &RequestId, status: RequestStatus, note: &str) -> Result<ChangeInfo, BackendError> {
        let repo = self.repo()?;
        self.close_locked(&repo, id, status, note)
    }

    fn record_status(&self, id: &RequestId, status: RequestStatus, note: &str) -> Result<ChangeInfo, BackendError> {
        let repo = self.repo()?;
        self.info(&repo, id)?;
        self.append_status(&repo, id, status, note)?;
        self.info(&repo, id)
    }

    fn status_history(&self, id: &RequestId) -> Result<Vec<StatusEvent>, BackendError> {
        let repo = self.repo()?;
        let info = self.info(&repo, id)?;
        let mut events = StatusEvent::opening(&info.created_at, format!("branch {}", info.branch));
        events.extend(self.status_log(&repo, id)?);
        if info.state == ChangeState::Merged && !events.iter().any(|e| e.status == RequestStatus::PrMerged) {
            // Merged outside PAO (a pull request merged on GitHub, a `git merge`): the time the
            // request reached the base branch, the same on every read.
            let at = self.merged_at(&repo, &info)?.unwrap_or_else(|| info.created_at.clone());
            let note = format!("merged into {} outside PAO", info.base);
            StatusEvent::insert_derived(&mut events, StatusEvent { status: RequestStatus::PrMerged, at, note });
        }
        Ok(events)
    }
}
