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
//! Every ref write is a compare-and-swap: creations fail when the ref exists, updates name the
//! value they replace (`reference_matching`), deletions lock the ref and check it first. Objects
//! are written before any ref points at them, so a crash leaves at most unreachable objects,
//! never a ref to a half-written request.

use std::path::{Path, PathBuf};

use git2::build::TreeUpdateBuilder;
use git2::{Commit, ErrorCode, FileMode, ObjectType, Oid, Repository, Signature, Tree, TreeWalkMode, TreeWalkResult};

use crate::backend::{
    BackendError, ChangeInfo, ChangeSpec, ChangeState, Opened, Operation, RequestStatus, StateBackend, StatusEvent,
};
use crate::catalog::open_repo;
use crate::names::{RequestId, ResourceKey};
use crate::time::format_rfc3339;
use crate::trailers::{parse_trailers, with_trailers};

/// Attempts at a compare-and-swap before giving up with [`BackendError::Contention`].
const CAS_ATTEMPTS: usize = 64;

/// Attempts at taking a ref's lock file (with growing pauses, about 20 s in all).
const LOCK_ATTEMPTS: u64 = 1000;

/// Request branches live here (`refs/heads/pao/requests/<id>`).
pub const REQUEST_BRANCH_PREFIX: &str = "pao/requests/";

/// The state backend on a local repository. Cheap to share across threads: it holds the path
/// and opens the repository per call.
#[derive(Debug, Clone)]
pub struct LocalBackend {
    git_dir: PathBuf,
    base: String,
    committer_name: String,
    committer_email: String,
}

impl LocalBackend {
    /// The backend on the repository at `path` (bare or not), merging into `base`
    /// (`main` when `None`). The base branch may not exist yet: the first merge creates it.
    ///
    /// # Errors
    /// When no repository is there or `base` is not a valid branch name.
    pub fn open(path: impl AsRef<Path>, base: Option<&str>) -> Result<Self, BackendError> {
        let repo = open_repo(path.as_ref())?;
        let base = base.unwrap_or("main").to_owned();
        if !git2::Branch::name_is_valid(&base)? {
            return Err(BackendError::Corrupt(format!("`{base}` is not a valid branch name")));
        }
        Ok(Self {
            git_dir: repo.path().to_path_buf(),
            base,
            committer_name: "PAO".to_owned(),
            committer_email: "pao@localhost".to_owned(),
        })
    }

    /// The repository's Git directory.
    pub fn git_dir(&self) -> &Path {
        &self.git_dir
    }

    fn repo(&self) -> Result<Repository, BackendError> {
        Ok(open_repo(&self.git_dir)?)
    }

    fn base_ref(&self) -> String {
        format!("refs/heads/{}", self.base)
    }

    fn committer(&self) -> Result<Signature<'static>, BackendError> {
        Ok(Signature::now(&self.committer_name, &self.committer_email)?)
    }

    /// Writes the request commit (objects only; no ref points at it yet).
    fn write_request_commit(
        &self,
        repo: &Repository,
        spec: &ChangeSpec,
        base: Option<Oid>,
    ) -> Result<Oid, BackendError> {
        let base_commit = base.map(|oid| repo.find_commit(oid)).transpose()?;
        let base_tree = match &base_commit {
            Some(commit) => commit.tree()?,
            None => repo.find_tree(repo.treebuilder(None)?.write()?)?,
        };
        let path = spec.key.path();
        let exists = base_tree.get_path(Path::new(&path)).is_ok();
        let mut update = TreeUpdateBuilder::new();
        match &spec.content {
            Some(content) => {
                let blob = repo.blob(content.as_bytes())?;
                update.upsert(&path, blob, FileMode::Blob);
            }
            None if exists => {
                update.remove(&path);
            }
            None => return Err(BackendError::NoSuchFile { path }),
        }
        let tree = repo.find_tree(update.create_updated(repo, &base_tree)?)?;
        let mut trailers = spec.identity_trailers();
        if !spec.labels.is_empty() {
            trailers.push(("Pao-Labels".to_owned(), spec.labels.join(",")));
        }
        trailers.extend(spec.trailers.iter().filter(|(k, _)| !k.starts_with("Pao-Request-Id")).cloned());
        let message = with_trailers(&format!("{}\n\n{}", spec.title, spec.body), &trailers);
        let author = Signature::now(&spec.author_name, &spec.author_email).or_else(|_| self.committer())?;
        let parents: Vec<&Commit<'_>> = base_commit.iter().collect();
        Ok(repo.commit(None, &author, &self.committer()?, &message, &tree, &parents)?)
    }

    /// The request id a ref's request commit carries.
    fn request_of(repo: &Repository, commit: Oid) -> Result<Option<RequestId>, BackendError> {
        let commit = repo.find_commit(commit)?;
        let trailers = parse_trailers(commit.message().unwrap_or_default());
        Ok(trailers.get("Pao-Request-Id").and_then(|id| RequestId::parse(id).ok()))
    }

    fn info(&self, repo: &Repository, id: &RequestId) -> Result<ChangeInfo, BackendError> {
        let branch = format!("{REQUEST_BRANCH_PREFIX}{id}");
        let head = match repo.refname_to_id(&format!("refs/heads/{branch}")) {
            Ok(oid) => oid,
            Err(err) if err.code() == ErrorCode::NotFound => return Err(BackendError::NotFound(id.to_string())),
            Err(err) => return Err(err.into()),
        };
        let commit = repo.find_commit(head)?;
        let metadata = parse_trailers(commit.message().unwrap_or_default());
        let field = |key: &str| {
            metadata
                .get(key)
                .cloned()
                .ok_or_else(|| BackendError::Corrupt(format!("request commit {head} has no {key}")))
        };
        let key = ResourceKey::parse(&field("Pao-Team")?, &field("Pao-Item")?, &field("Pao-Resource")?)?;
        let operation = Operation::parse(&field("Pao-Operation")?)
            .ok_or_else(|| BackendError::Corrupt(format!("request commit {head} has an unknown operation")))?;
        let created = commit.time();
        let created_at = format_rfc3339(created.seconds(), created.offset_minutes());
        let log = self.status_log(repo, id)?;
        let merged = match repo.refname_to_id(&self.base_ref()) {
            Ok(base) => base == head || repo.graph_descendant_of(base, head)?,
            Err(err) if err.code() == ErrorCode::NotFound => false,
            Err(err) => return Err(err.into()),
        };
        let logged = log.last().map(|event| event.status);
        let closed = log.iter().any(|event| matches!(event.status, RequestStatus::Aborted | RequestStatus::PrClosed));
        let state = if merged {
            ChangeState::Merged
        } else if closed {
            ChangeState::Closed
        } else {
            ChangeState::Open
        };
        let status = match (logged, state) {
            // A merge whose status record was lost (crash between the two writes) still counts.
            (
                None | Some(RequestStatus::Submitted | RequestStatus::Validating | RequestStatus::PrOpen),
                ChangeState::Merged,
            ) => RequestStatus::PrMerged,
            (Some(status), _) => status,
            (None, _) => RequestStatus::PrOpen,
        };
        let updated_at = log.last().map_or_else(|| created_at.clone(), |event| event.at.clone());
        Ok(ChangeInfo {
            id: id.clone(),
            key,
            operation,
            branch,
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

    fn status_log(&self, repo: &Repository, id: &RequestId) -> Result<Vec<StatusEvent>, BackendError> {
        let tip = match repo.refname_to_id(&status_ref(id)) {
            Ok(oid) => oid,
            Err(err) if err.code() == ErrorCode::NotFound => return Ok(Vec::new()),
            Err(err) => return Err(err.into()),
        };
        let mut events = Vec::new();
        let mut next = Some(repo.find_commit(tip)?);
        while let Some(commit) = next {
            let message = commit.message().unwrap_or_default();
            let trailers = parse_trailers(message);
            let status = trailers
                .get("Pao-Status")
                .and_then(|s| RequestStatus::parse(s))
                .ok_or_else(|| BackendError::Corrupt(format!("status commit {} has no Pao-Status", commit.id())))?;
            let time = commit.time();
            events.push(StatusEvent {
                status,
                at: format_rfc3339(time.seconds(), time.offset_minutes()),
                note: trailers.get("Pao-Note").cloned().unwrap_or_default(),
            });
            next = commit.parents().next();
        }
        events.reverse();
        Ok(events)
    }

    fn append_status(
        &self,
        repo: &Repository,
        id: &RequestId,
        status: RequestStatus,
        note: &str,
    ) -> Result<(), BackendError> {
        let name = status_ref(id);
        let empty_tree = repo.find_tree(repo.treebuilder(None)?.write()?)?;
        let signature = self.committer()?;
        let message = with_trailers(
            &format!("pao: {id} is {status}"),
            &[
                ("Pao-Request-Id".to_owned(), id.to_string()),
                ("Pao-Status".to_owned(), status.as_str().to_owned()),
                ("Pao-Note".to_owned(), note.to_owned()),
            ],
        );
        for _ in 0..CAS_ATTEMPTS {
            let current = match repo.refname_to_id(&name) {
                Ok(oid) => Some(oid),
                Err(err) if err.code() == ErrorCode::NotFound => None,
                Err(err) => return Err(err.into()),
            };
            let parent = current.map(|oid| repo.find_commit(oid)).transpose()?;
            let parents: Vec<&Commit<'_>> = parent.iter().collect();
            let commit = repo.commit(None, &signature, &signature, &message, &empty_tree, &parents)?;
            let result = match current {
                Some(old) => repo.reference_matching(&name, commit, true, old, "pao: status"),
                None => repo.reference(&name, commit, false, "pao: status"),
            };
            match result {
                Ok(_) => return Ok(()),
                Err(err) if is_race(&err) => {}
                Err(err) => return Err(err.into()),
            }
        }
        Err(BackendError::Contention { what: name })
    }

    /// Claims `name` for `target`: creates it, or replaces a stale value `stale` (checked by
    /// compare-and-swap). Returns whether the claim succeeded.
    fn claim(repo: &Repository, name: &str, target: Oid, stale: Option<Oid>) -> Result<bool, BackendError> {
        let result = match stale {
            Some(old) => repo.reference_matching(name, target, true, old, "pao: claim"),
            None => repo.reference(name, target, false, "pao: claim"),
        };
        match result {
            Ok(_) => Ok(true),
            Err(err) if is_race(&err) => Ok(false),
            Err(err) => Err(err.into()),
        }
    }

    /// Deletes `name` if it still points at `expected` (under the ref's lock).
    fn release(repo: &Repository, name: &str, expected: Oid) -> Result<(), BackendError> {
        let mut tx = repo.transaction()?;
        if let Err(err) = tx.lock_ref(name) {
            return if is_race(&err) { Ok(()) } else { Err(err.into()) };
        }
        match repo.refname_to_id(name) {
            Ok(current) if current == expected => {
                tx.remove(name)?;
                tx.commit()?;
            }
            Ok(_) => {}
            Err(err) if err.code() == ErrorCode::NotFound => {}
            Err(err) => return Err(err.into()),
        }
        Ok(())
    }

    /// The open request holding a resource lock, or the lock's stale value to replace.
    fn lock_holder(&self, repo: &Repository, name: &str) -> Result<LockHolder, BackendError> {
        let target = match repo.refname_to_id(name) {
            Ok(oid) => oid,
            Err(err) if err.code() == ErrorCode::NotFound => return Ok(LockHolder::Free),
            Err(err) => return Err(err.into()),
        };
        let Some(holder) = Self::request_of(repo, target)? else { return Ok(LockHolder::Stale) };
        match self.info(repo, &holder) {
            Ok(info) if info.state == ChangeState::Open && info.head == target.to_string() => {
                Ok(LockHolder::Open(holder))
            }
            Ok(_) | Err(BackendError::NotFound(_)) => Ok(LockHolder::Stale),
            Err(err) => Err(err),
        }
    }

    fn open_locked(&self, repo: &Repository, spec: &ChangeSpec) -> Result<Opened, BackendError> {
        let idem_ref = spec.idempotency_key.as_deref().map(idempotency_ref);
        let lock_ref = resource_ref(&spec.key);
        let branch_ref = format!("refs/heads/{REQUEST_BRANCH_PREFIX}{}", spec.id);
        for attempt in 0..LOCK_ATTEMPTS {
            // Hold the resource ref's (and the idempotency ref's) lock file for the whole
            // check-then-write: a live submitter always creates its branch before it lets go, so
            // a resource ref whose branch is missing can only be left by a crash.
            let mut tx = repo.transaction()?;
            let locked = std::iter::once(&lock_ref).chain(idem_ref.as_ref()).try_for_each(|name| tx.lock_ref(name));
            match locked {
                Ok(()) => {}
                Err(err) if is_race(&err) => {
                    drop(tx);
                    backoff(attempt);
                    continue;
                }
                Err(err) => return Err(err.into()),
            }
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
            if read_ref(repo, &branch_ref)?.is_some() {
                return Err(BackendError::AlreadyExists(spec.id.to_string()));
            }
            // 3. Objects first, then the branch (create-only), then the locked refs.
            let base = read_ref(repo, &self.base_ref())?;
            let commit = self.write_request_commit(repo, spec, base)?;
            if !Self::claim(repo, &branch_ref, commit, None)? {
                return Err(BackendError::AlreadyExists(spec.id.to_string()));
            }
            tx.set_target(&lock_ref, commit, None, "pao: open request")?;
            if let Some(name) = &idem_ref {
                tx.set_target(name, commit, None, "pao: idempotency key")?;
            }
            tx.commit()?;
            return Ok(Opened { change: self.info(repo, &spec.id)?, replayed: false });
        }
        Err(BackendError::Contention { what: lock_ref })
    }

    fn merge_locked(&self, repo: &Repository, id: &RequestId) -> Result<ChangeInfo, BackendError> {
        let base_ref = self.base_ref();
        for _ in 0..CAS_ATTEMPTS {
            let info = self.info(repo, id)?;
            if info.state != ChangeState::Open {
                return Err(BackendError::NotOpen { id: id.to_string(), state: info.state });
            }
            let head = Oid::from_str(&info.head)?;
            let checked_out = self.base_checked_out(repo)?;
            let result = match repo.refname_to_id(&base_ref) {
                Err(err) if err.code() == ErrorCode::NotFound => repo.reference(&base_ref, head, false, "pao: merge"),
                Err(err) => return Err(err.into()),
                Ok(base) if repo.graph_descendant_of(head, base)? => {
                    repo.reference_matching(&base_ref, head, true, base, "pao: merge (fast-forward)")
                }
                Ok(base) => {
                    let ours = repo.find_commit(base)?;
                    let theirs = repo.find_commit(head)?;
                    let mut index = repo.merge_commits(&ours, &theirs, None)?;
                    if index.has_conflicts() {
                        let paths = index
                            .conflicts()?
                            .filter_map(Result::ok)
                            .filter_map(|c| c.our.or(c.their).or(c.ancestor))
                            .map(|entry| String::from_utf8_lossy(&entry.path).into_owned())
                            .collect();
                        return Err(BackendError::MergeConflict { id: id.to_string(), paths });
                    }
                    let tree = repo.find_tree(index.write_tree_to(repo)?)?;
                    let signature = self.committer()?;
                    let message = with_trailers(
                        &format!("Merge request {id}: {}", info.title),
                        &[("Pao-Request-Id".to_owned(), id.to_string())],
                    );
                    let merge = repo.commit(None, &signature, &signature, &message, &tree, &[&ours, &theirs])?;
                    repo.reference_matching(&base_ref, merge, true, base, "pao: merge")
                }
            };
            match result {
                Ok(_) => {
                    if checked_out {
                        // The work tree was clean against the old tip: bring it and the index to
                        // the new one, as `git merge` would have.
                        repo.checkout_head(Some(git2::build::CheckoutBuilder::new().force()))?;
                    }
                    Self::release(repo, &resource_ref(&info.key), head)?;
                    self.append_status(repo, id, RequestStatus::PrMerged, "merged into the base branch")?;
                    return self.info(repo, id);
                }
                Err(err) if is_race(&err) => {}
                Err(err) => return Err(err.into()),
            }
        }
        Err(BackendError::Contention { what: base_ref })
    }

    /// Whether the base branch is checked out in this repository's work tree. A checked-out base
    /// with uncommitted changes is refused: moving the branch under them would make `git status`
    /// show the merge reverted.
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
        let mut options = git2::StatusOptions::new();
        options.include_untracked(false).include_ignored(false);
        if !repo.statuses(Some(&mut options))?.is_empty() {
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
        })?;
        blobs
            .into_iter()
            .map(|(path, oid)| Ok((path, String::from_utf8_lossy(repo.find_blob(oid)?.content()).into_owned())))
            .collect()
    }

    fn base_tree<'r>(&self, repo: &'r Repository) -> Result<Option<Tree<'r>>, BackendError> {
        match repo.refname_to_id(&self.base_ref()) {
            Ok(oid) => Ok(Some(repo.find_commit(oid)?.tree()?)),
            Err(err) if err.code() == ErrorCode::NotFound => Ok(None),
            Err(err) => Err(err.into()),
        }
    }
}

enum LockHolder {
    Free,
    Open(RequestId),
    Stale,
}

fn backoff(attempt: u64) {
    // Growing pause with a little per-thread jitter, so racing submitters spread out.
    let jitter = u64::from(std::process::id() % 3) + (attempt % 3);
    std::thread::sleep(std::time::Duration::from_millis(attempt.min(20) + jitter));
}

fn read_ref(repo: &Repository, name: &str) -> Result<Option<Oid>, BackendError> {
    match repo.refname_to_id(name) {
        Ok(oid) => Ok(Some(oid)),
        Err(err) if err.code() == ErrorCode::NotFound => Ok(None),
        Err(err) => Err(err.into()),
    }
}

fn is_race(err: &git2::Error) -> bool {
    matches!(err.code(), ErrorCode::Exists | ErrorCode::Modified | ErrorCode::Locked)
}

fn status_ref(id: &RequestId) -> String {
    format!("refs/pao/status/{id}")
}

fn resource_ref(key: &ResourceKey) -> String {
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
                Ok(Some(String::from_utf8_lossy(repo.find_blob(entry.id())?.content()).into_owned()))
            }
            Ok(_) => Ok(None),
            Err(err) if err.code() == ErrorCode::NotFound => Ok(None),
            Err(err) => Err(err.into()),
        }
    }

    fn base_request_files(&self) -> Result<Vec<(String, String)>, BackendError> {
        let repo = self.repo()?;
        let Some(tree) = self.base_tree(&repo)? else { return Ok(Vec::new()) };
        let Some(entry) = tree.get_name("requests") else { return Ok(Vec::new()) };
        if entry.kind() != Some(ObjectType::Tree) {
            return Ok(Vec::new());
        }
        let requests = repo.find_tree(entry.id())?;
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

    fn changes(&self) -> Result<Vec<ChangeInfo>, BackendError> {
        let repo = self.repo()?;
        let mut ids = Vec::new();
        for reference in repo.references_glob(&format!("refs/heads/{REQUEST_BRANCH_PREFIX}*"))? {
            let reference = reference?;
            if let Some(id) = reference.name().ok().and_then(|name| name.rsplit('/').next())
                && let Ok(id) = RequestId::parse(id)
            {
                ids.push(id);
            }
        }
        let mut changes = ids.iter().map(|id| self.info(&repo, id)).collect::<Result<Vec<_>, _>>()?;
        changes.sort_by(|a, b| b.created_at.cmp(&a.created_at).then_with(|| b.id.cmp(&a.id)));
        Ok(changes)
    }

    fn change_file(&self, id: &RequestId) -> Result<Option<String>, BackendError> {
        let repo = self.repo()?;
        let info = self.info(&repo, id)?;
        let tree = repo.find_commit(Oid::from_str(&info.head)?)?.tree()?;
        match tree.get_path(Path::new(&info.key.path())) {
            Ok(entry) => Ok(Some(String::from_utf8_lossy(repo.find_blob(entry.id())?.content()).into_owned())),
            Err(err) if err.code() == ErrorCode::NotFound => Ok(None),
            Err(err) => Err(err.into()),
        }
    }

    fn diff(&self, id: &RequestId) -> Result<String, BackendError> {
        let repo = self.repo()?;
        let info = self.info(&repo, id)?;
        let commit = repo.find_commit(Oid::from_str(&info.head)?)?;
        let old = commit.parents().next().map(|p| p.tree()).transpose()?;
        let diff = repo.diff_tree_to_tree(old.as_ref(), Some(&commit.tree()?), None)?;
        let mut out = String::new();
        diff.print(git2::DiffFormat::Patch, |_, _, line| {
            if matches!(line.origin(), '+' | '-' | ' ') {
                out.push(line.origin());
            }
            out.push_str(&String::from_utf8_lossy(line.content()));
            true
        })?;
        Ok(out)
    }

    fn merge(&self, id: &RequestId) -> Result<ChangeInfo, BackendError> {
        let repo = self.repo()?;
        self.merge_locked(&repo, id)
    }

    fn close(&self, id: &RequestId, status: RequestStatus, note: &str) -> Result<ChangeInfo, BackendError> {
        let repo = self.repo()?;
        let info = self.info(&repo, id)?;
        if info.state != ChangeState::Open {
            return Err(BackendError::NotOpen { id: id.to_string(), state: info.state });
        }
        self.append_status(&repo, id, status, note)?;
        Self::release(&repo, &resource_ref(&info.key), Oid::from_str(&info.head)?)?;
        self.info(&repo, id)
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
            events.push(StatusEvent {
                status: RequestStatus::PrMerged,
                at: info.updated_at.clone(),
                note: String::new(),
            });
        }
        Ok(events)
    }
}
