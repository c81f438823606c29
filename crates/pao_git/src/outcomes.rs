//! The fulfilment log of a request, in Git: `refs/pao/fulfilment/<id>`.
//!
//! The ref points at a chain of commits, one per record, newest first, beside the status chain
//! `refs/pao/status/<id>`. Each commit's tree holds one file, `record.json` (the record, already
//! masked by the caller), and its message is a one-line summary for `git log`, followed by a
//! `Pao-Request-Id` trailer. One chain per request rather than one per action: the log is one
//! ordered history (what `pao request logs` prints), every write is one compare-and-swap of one
//! ref, and the whole state of a request is read with one walk. Only the holder of the request's
//! lease ([`crate::LeaseStore`]) appends, so the compare-and-swap almost never loses; when it
//! does, it retries on the new tip.
//!
//! Records are opaque JSON to this module; `pao_executor` defines their shape.

use std::path::{Path, PathBuf};

use git2::{Commit, ErrorCode, Oid, Repository, Signature};
use serde::Serialize;

use crate::backend::{BackendError, GitContext};
use crate::names::RequestId;
use crate::refs::create_exclusively;
use crate::time::format_rfc3339;
use crate::trailers::with_trailers;

/// Where the fulfilment logs live.
pub const FULFILMENT_REF_PREFIX: &str = "refs/pao/fulfilment/";

/// The file of each log commit that holds the record.
const RECORD_FILE: &str = "record.json";

/// Appends beyond this many lost compare-and-swaps in a row give up.
const CAS_ATTEMPTS: usize = 64;

/// Records larger than this are refused (a record is a few hundred bytes; outputs are bounded
/// by the executor).
const RECORD_LIMIT: usize = 1 << 20;

/// One record of a fulfilment log.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct LogEntry {
    /// The commit holding it (hex): a cursor for [`FulfilmentLog::read_after`].
    pub commit: String,
    /// When it was written, RFC 3339.
    pub at: String,
    /// The one-line summary.
    pub summary: String,
    /// The record.
    pub record: serde_json::Value,
}

/// The fulfilment logs of a state repository (local Git directory).
#[derive(Debug, Clone)]
pub struct FulfilmentLog {
    git_dir: PathBuf,
}

impl FulfilmentLog {
    /// The logs of the repository at `path` (bare or not).
    ///
    /// # Errors
    /// When no repository is there.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, BackendError> {
        let repo = Repository::open(path.as_ref()).during("opening the state repository")?;
        Ok(Self { git_dir: repo.path().to_path_buf() })
    }

    fn repo(&self) -> Result<Repository, BackendError> {
        Repository::open(&self.git_dir).during("opening the state repository")
    }

    /// Appends a record and returns it as stored.
    ///
    /// # Errors
    /// [`BackendError::Contention`] after repeated lost races, [`BackendError::Corrupt`] for a
    /// record over 1 MiB, or a Git failure.
    pub fn append(&self, id: &RequestId, summary: &str, record: &serde_json::Value) -> Result<LogEntry, BackendError> {
        let repo = self.repo()?;
        let name = log_ref(id);
        let text = serde_json::to_string_pretty(record).map_err(|err| BackendError::Corrupt(err.to_string()))?;
        if text.len() > RECORD_LIMIT {
            return Err(BackendError::Corrupt(format!(
                "a fulfilment record of {id} is {} bytes; the limit is {RECORD_LIMIT}",
                text.len()
            )));
        }
        let blob = repo.blob(text.as_bytes()).during("appending to a request's fulfilment log")?;
        let mut builder = repo.treebuilder(None).during("appending to a request's fulfilment log")?;
        builder.insert(RECORD_FILE, blob, 0o100_644).during("appending to a request's fulfilment log")?;
        let tree = repo
            .find_tree(builder.write().during("appending to a request's fulfilment log")?)
            .during("appending to a request's fulfilment log")?;
        let signature = Signature::now("PAO", "pao@localhost").during("appending to a request's fulfilment log")?;
        let summary = one_line(summary);
        let message = with_trailers(&summary, &[("Pao-Request-Id".to_owned(), id.to_string())]);
        for attempt in 0..CAS_ATTEMPTS {
            if attempt > 0 {
                // Another writer won: a growing pause with a little per-process jitter.
                let pause = (attempt as u64).min(20) + u64::from(std::process::id() % 3);
                std::thread::sleep(std::time::Duration::from_millis(pause));
            }
            let current = read_ref(&repo, &name)?;
            let parent = current
                .map(|oid| repo.find_commit(oid))
                .transpose()
                .during("appending to a request's fulfilment log")?;
            let parents: Vec<&Commit<'_>> = parent.iter().collect();
            let commit = repo
                .commit(None, &signature, &signature, &message, &tree, &parents)
                .during("appending to a request's fulfilment log")?;
            let result = match current {
                Some(old) => repo.reference_matching(&name, commit, true, old, "pao: fulfilment").map(|_| true),
                None => create_exclusively(&repo, &name, commit, "pao: fulfilment"),
            };
            match result {
                Ok(false) => {}
                Ok(true) => {
                    let time = signature.when();
                    return Ok(LogEntry {
                        commit: commit.to_string(),
                        at: format_rfc3339(time.seconds(), time.offset_minutes()),
                        summary,
                        record: record.clone(),
                    });
                }
                Err(err) if matches!(err.code(), ErrorCode::Exists | ErrorCode::Modified | ErrorCode::Locked) => {}
                Err(err) => return Err(BackendError::git("appending to a request's fulfilment log", &err)),
            }
        }
        Err(BackendError::Contention { what: name })
    }

    /// Every record of a request, oldest first (empty when nothing ran yet).
    ///
    /// # Errors
    /// When a log commit is not a record, or Git fails.
    pub fn read(&self, id: &RequestId) -> Result<Vec<LogEntry>, BackendError> {
        self.read_after(id, None)
    }

    /// The records written after the commit `after` (all of them when `None` or when `after`
    /// is not in the chain), oldest first: what `logs --follow` prints next.
    ///
    /// # Errors
    /// As [`Self::read`].
    pub fn read_after(&self, id: &RequestId, after: Option<&str>) -> Result<Vec<LogEntry>, BackendError> {
        let repo = self.repo()?;
        let Some(tip) = read_ref(&repo, &log_ref(id))? else { return Ok(Vec::new()) };
        let stop = after.and_then(|hex| Oid::from_str(hex).ok());
        let mut entries = Vec::new();
        let mut next = Some(repo.find_commit(tip).during("reading a request's fulfilment log")?);
        while let Some(commit) = next {
            if Some(commit.id()) == stop {
                break;
            }
            entries.push(entry(&repo, &commit)?);
            next = commit.parents().next();
        }
        entries.reverse();
        Ok(entries)
    }

    /// The ids of every request that has a fulfilment log.
    ///
    /// # Errors
    /// When Git fails.
    pub fn requests(&self) -> Result<Vec<RequestId>, BackendError> {
        let repo = self.repo()?;
        let mut ids = Vec::new();
        for reference in repo.references_glob(&format!("{FULFILMENT_REF_PREFIX}*")).during("listing fulfilment logs")? {
            let reference = reference.during("listing fulfilment logs")?;
            if let Some(id) = reference.name().ok().and_then(|n| n.strip_prefix(FULFILMENT_REF_PREFIX))
                && let Ok(id) = RequestId::parse(id)
            {
                ids.push(id);
            }
        }
        Ok(ids)
    }
}

fn entry(repo: &Repository, commit: &Commit<'_>) -> Result<LogEntry, BackendError> {
    let corrupt = || BackendError::Corrupt(format!("fulfilment log commit {} has no {RECORD_FILE}", commit.id()));
    let tree = commit.tree().during("reading a fulfilment log entry")?;
    let file = tree.get_name(RECORD_FILE).ok_or_else(corrupt)?;
    let blob = repo.find_blob(file.id()).during("reading a fulfilment log entry")?;
    let record = serde_json::from_slice(blob.content()).map_err(|err| {
        BackendError::Corrupt(format!("fulfilment log commit {}: {RECORD_FILE} is not JSON: {err}", commit.id()))
    })?;
    let time = commit.time();
    Ok(LogEntry {
        commit: commit.id().to_string(),
        at: format_rfc3339(time.seconds(), time.offset_minutes()),
        summary: commit.summary().ok().flatten().unwrap_or_default().to_owned(),
        record,
    })
}

fn log_ref(id: &RequestId) -> String {
    format!("{FULFILMENT_REF_PREFIX}{id}")
}

fn one_line(text: &str) -> String {
    text.lines().next().unwrap_or_default().trim().to_owned()
}

pub(crate) fn read_ref(repo: &Repository, name: &str) -> Result<Option<Oid>, BackendError> {
    match repo.refname_to_id(name) {
        Ok(oid) => Ok(Some(oid)),
        Err(err) if err.code() == ErrorCode::NotFound => Ok(None),
        Err(err) => Err(BackendError::git("reading a fulfilment log ref", &err)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_and_reads_in_order_with_a_cursor() {
        let dir = tempfile::tempdir().unwrap();
        Repository::init_bare(dir.path()).unwrap();
        let log = FulfilmentLog::open(dir.path()).unwrap();
        let id = RequestId::parse("req-20260101-abcdef012345").unwrap();
        assert!(log.read(&id).unwrap().is_empty());
        let first = log.append(&id, "one\nignored", &serde_json::json!({ "n": 1 })).unwrap();
        log.append(&id, "two", &serde_json::json!({ "n": 2 })).unwrap();
        let all = log.read(&id).unwrap();
        assert_eq!(all.iter().map(|e| e.record["n"].as_i64().unwrap()).collect::<Vec<_>>(), [1, 2]);
        assert_eq!(all[0].summary, "one");
        let after = log.read_after(&id, Some(&first.commit)).unwrap();
        assert_eq!(after.len(), 1);
        assert_eq!(after[0].summary, "two");
        assert_eq!(log.requests().unwrap(), [id]);
    }

    #[test]
    fn concurrent_appenders_lose_nothing() {
        let dir = tempfile::tempdir().unwrap();
        Repository::init_bare(dir.path()).unwrap();
        let id = RequestId::parse("req-20260101-abcdef012345").unwrap();
        std::thread::scope(|scope| {
            for t in 0..4 {
                let (path, id) = (dir.path(), id.clone());
                scope.spawn(move || {
                    let log = FulfilmentLog::open(path).unwrap();
                    for n in 0..10 {
                        log.append(&id, "x", &serde_json::json!({ "t": t, "n": n })).unwrap();
                    }
                });
            }
        });
        assert_eq!(FulfilmentLog::open(dir.path()).unwrap().read(&id).unwrap().len(), 40);
    }
}
