//! Leases: which worker may execute a request right now, `refs/pao/leases/<id>`.
//!
//! A lease is a ref pointing at an empty-tree commit whose trailers name the holder
//! (`Pao-Lease-Holder`) and when the lease runs out (`Pao-Lease-Expires`, Unix seconds). It is
//! taken by compare-and-swap: created when absent (under the ref's lock, `refs`), or replaced when expired
//! (`reference_matching` on the value read), so two workers never both hold it. The holder
//! renews it (heartbeat) by swapping its own commit for a new one with a later expiry; a
//! renewal that finds another commit has lost the lease and must stop. A worker that dies
//! simply stops renewing, and the next worker takes the lease over once it has expired.
//! Releasing deletes the ref if it is still the holder's.
//!
//! Times are passed in (Unix seconds) so tests control the clock.

use std::path::{Path, PathBuf};

use git2::{ErrorCode, Oid, Repository, Signature};

use crate::backend::{BackendError, GitContext};
use crate::names::RequestId;
use crate::outcomes::read_ref;
use crate::refs::create_exclusively;
use crate::trailers::{parse_trailers, with_trailers};

/// Tries before [`LeaseStore::acquire`] gives up with [`BackendError::Contention`] (a lock is
/// held for microseconds, so this is only reached when something is stuck).
const ATTEMPTS: usize = 64;

/// Where leases live.
pub const LEASE_REF_PREFIX: &str = "refs/pao/leases/";

/// A lease held by this process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// The request.
    pub id: RequestId,
    /// Who holds it.
    pub holder: String,
    /// When it runs out, Unix seconds.
    pub expires: i64,
    commit: Oid,
}

/// Who holds a lease (read by anyone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseInfo {
    /// The holder's name.
    pub holder: String,
    /// When it runs out, Unix seconds.
    pub expires: i64,
}

/// The result of [`LeaseStore::acquire`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Acquired {
    /// The lease is ours.
    Held(Lease),
    /// Another holder's lease has not expired.
    Busy(LeaseInfo),
}

/// The leases of a state repository.
#[derive(Debug, Clone)]
pub struct LeaseStore {
    git_dir: PathBuf,
}

impl LeaseStore {
    /// The leases of the repository at `path`.
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

    /// Takes the lease on `id` for `holder` until `now + ttl_seconds`, when it is free, expired,
    /// or already `holder`'s.
    ///
    /// # Errors
    /// When Git fails or the lease commit is unreadable.
    pub fn acquire(&self, id: &RequestId, holder: &str, now: i64, ttl_seconds: i64) -> Result<Acquired, BackendError> {
        let repo = self.repo()?;
        let name = lease_ref(id);
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                // Another writer holds the ref's lock or won the swap: a short, growing pause
                // with a little per-thread jitter, then read again.
                let jitter = u64::from(std::process::id() % 3) + (attempt as u64 % 2);
                std::thread::sleep(std::time::Duration::from_millis((attempt as u64).min(10) + jitter));
            }
            let current = read_ref(&repo, &name)?;
            if let Some(old) = current {
                let info = info(&repo, old)?;
                if info.holder != holder && info.expires > now {
                    return Ok(Acquired::Busy(info));
                }
            }
            let expires = now + ttl_seconds;
            let commit = lease_commit(&repo, id, holder, expires)?;
            let result = match current {
                Some(old) => repo.reference_matching(&name, commit, true, old, "pao: lease taken over").map(|_| true),
                None => create_exclusively(&repo, &name, commit, "pao: lease"),
            };
            match result {
                Ok(false) => {}
                Ok(true) => {
                    return Ok(Acquired::Held(Lease { id: id.clone(), holder: holder.to_owned(), expires, commit }));
                }
                Err(err) if is_race(&err) => {}
                Err(err) => return Err(BackendError::git("taking a request's lease", &err)),
            }
        }
        match read_ref(&repo, &name)? {
            Some(oid) => Ok(Acquired::Busy(info(&repo, oid)?)),
            None => Err(BackendError::Contention { what: name }),
        }
    }

    /// Extends a held lease to `now + ttl_seconds`. `false`: the lease was taken over (it had
    /// expired) and this holder must stop.
    ///
    /// # Errors
    /// When Git fails.
    pub fn renew(&self, lease: &mut Lease, now: i64, ttl_seconds: i64) -> Result<bool, BackendError> {
        let repo = self.repo()?;
        let name = lease_ref(&lease.id);
        let expires = now + ttl_seconds;
        let commit = lease_commit(&repo, &lease.id, &lease.holder, expires)?;
        match repo.reference_matching(&name, commit, true, lease.commit, "pao: lease renewed") {
            Ok(_) => {
                lease.commit = commit;
                lease.expires = expires;
                Ok(true)
            }
            Err(err) if is_race(&err) || err.code() == ErrorCode::NotFound => Ok(false),
            Err(err) => Err(BackendError::git("renewing a request's lease", &err)),
        }
    }

    /// Gives a lease up (deletes the ref if it is still this lease).
    ///
    /// # Errors
    /// When Git fails.
    pub fn release(&self, lease: &Lease) -> Result<(), BackendError> {
        let repo = self.repo()?;
        let name = lease_ref(&lease.id);
        let mut tx = repo.transaction().during("releasing a request's lease")?;
        if let Err(err) = tx.lock_ref(&name) {
            return if is_race(&err) { Ok(()) } else { Err(BackendError::git("releasing a request's lease", &err)) };
        }
        if read_ref(&repo, &name)? == Some(lease.commit) {
            tx.remove(&name).during("releasing a request's lease")?;
            tx.commit().during("releasing a request's lease")?;
        }
        Ok(())
    }

    /// Who holds the lease on `id`, if anyone has (expired or not).
    ///
    /// # Errors
    /// When Git fails.
    pub fn holder(&self, id: &RequestId) -> Result<Option<LeaseInfo>, BackendError> {
        let repo = self.repo()?;
        read_ref(&repo, &lease_ref(id))?.map(|oid| info(&repo, oid)).transpose()
    }
}

fn lease_commit(repo: &Repository, id: &RequestId, holder: &str, expires: i64) -> Result<Oid, BackendError> {
    let tree = repo
        .find_tree(repo.treebuilder(None).during("writing a lease commit")?.write().during("writing a lease commit")?)
        .during("writing a lease commit")?;
    let signature = Signature::now("PAO", "pao@localhost").during("writing a lease commit")?;
    let holder: String = holder.chars().filter(|c| !c.is_control()).collect();
    let message = with_trailers(
        &format!("pao: lease on {id}"),
        &[
            ("Pao-Request-Id".to_owned(), id.to_string()),
            ("Pao-Lease-Holder".to_owned(), holder),
            ("Pao-Lease-Expires".to_owned(), expires.to_string()),
        ],
    );
    repo.commit(None, &signature, &signature, &message, &tree, &[]).during("writing a lease commit")
}

fn info(repo: &Repository, oid: Oid) -> Result<LeaseInfo, BackendError> {
    let commit = repo.find_commit(oid).during("reading a lease commit")?;
    let trailers = parse_trailers(commit.message().unwrap_or_default());
    let expires = trailers
        .get("Pao-Lease-Expires")
        .and_then(|e| e.parse().ok())
        .ok_or_else(|| BackendError::Corrupt(format!("lease commit {oid} has no Pao-Lease-Expires")))?;
    Ok(LeaseInfo { holder: trailers.get("Pao-Lease-Holder").cloned().unwrap_or_default(), expires })
}

fn lease_ref(id: &RequestId) -> String {
    format!("{LEASE_REF_PREFIX}{id}")
}

fn is_race(err: &git2::Error) -> bool {
    matches!(err.code(), ErrorCode::Exists | ErrorCode::Modified | ErrorCode::Locked)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, LeaseStore, RequestId) {
        let dir = tempfile::tempdir().unwrap();
        Repository::init_bare(dir.path()).unwrap();
        let store = LeaseStore::open(dir.path()).unwrap();
        (dir, store, RequestId::parse("req-20260101-abcdef012345").unwrap())
    }

    #[test]
    fn one_holder_at_a_time_until_expiry_then_takeover() {
        let (_dir, store, id) = store();
        let Acquired::Held(mut a) = store.acquire(&id, "worker-a", 1000, 60).unwrap() else { panic!() };
        let Acquired::Busy(info) = store.acquire(&id, "worker-b", 1010, 60).unwrap() else { panic!() };
        assert_eq!((info.holder.as_str(), info.expires), ("worker-a", 1060));
        // A heartbeat keeps it.
        assert!(store.renew(&mut a, 1050, 60).unwrap());
        assert!(matches!(store.acquire(&id, "worker-b", 1100, 60).unwrap(), Acquired::Busy(_)));
        // worker-a dies; after expiry worker-b takes over and worker-a's renewal fails.
        let Acquired::Held(b) = store.acquire(&id, "worker-b", 1111, 60).unwrap() else { panic!() };
        assert!(!store.renew(&mut a, 1112, 60).unwrap());
        // A stale release does not free b's lease.
        store.release(&a).unwrap();
        assert_eq!(store.holder(&id).unwrap().unwrap().holder, "worker-b");
        store.release(&b).unwrap();
        assert_eq!(store.holder(&id).unwrap(), None);
    }

    #[test]
    fn racing_acquirers_get_exactly_one_lease() {
        let (dir, _store, id) = store();
        let winners: usize = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..8)
                .map(|n| {
                    let (path, id) = (dir.path(), id.clone());
                    scope.spawn(move || {
                        let store = LeaseStore::open(path).unwrap();
                        usize::from(matches!(
                            store.acquire(&id, &format!("w{n}"), 1000, 60).unwrap(),
                            Acquired::Held(_)
                        ))
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).sum()
        });
        assert_eq!(winners, 1);
    }
}
