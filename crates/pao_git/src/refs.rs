//! Creating a ref only when it does not exist, atomically.
//!
//! libgit2's create-only update (`Repository::reference` with `force = false`) checks that the
//! ref is absent *before* it takes the ref's lock, so two writers racing to create the same ref
//! can both succeed, the second silently replacing the first. Leases, status chains and
//! fulfilment logs are created by racing writers, so they are created here instead: the ref's
//! lock (an exclusive `.lock` file) is taken first and the ref is read under it. Updates of an
//! existing ref (`reference_matching`) compare the old value under the lock already.

use git2::{ErrorCode, Oid, Repository};

/// Creates `name` pointing at `target` unless it exists. `Ok(false)`: it exists, or another
/// writer holds its lock right now (the caller re-reads and retries).
///
/// # Errors
/// Any other Git failure.
pub(crate) fn create_exclusively(
    repo: &Repository,
    name: &str,
    target: Oid,
    message: &str,
) -> Result<bool, git2::Error> {
    let mut tx = repo.transaction()?;
    match tx.lock_ref(name) {
        Ok(()) => {}
        Err(err) if err.code() == ErrorCode::Locked => return Ok(false),
        Err(err) => return Err(err),
    }
    match repo.refname_to_id(name) {
        Ok(_) => return Ok(false), // dropping the transaction releases the lock
        Err(err) if err.code() == ErrorCode::NotFound => {}
        Err(err) => return Err(err),
    }
    tx.set_target(name, target, None, message)?;
    tx.commit()?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn racing_creators_create_once() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init_bare(dir.path()).unwrap();
        let blobs: Vec<Oid> = (0..8).map(|n| repo.blob(format!("{n}").as_bytes()).unwrap()).collect();
        for round in 0..20 {
            let name = format!("refs/pao/test/{round}");
            let created: usize = std::thread::scope(|scope| {
                let handles: Vec<_> = blobs
                    .iter()
                    .map(|&blob| {
                        let (path, name) = (dir.path(), name.clone());
                        scope.spawn(move || {
                            let repo = Repository::open(path).unwrap();
                            usize::from(create_exclusively(&repo, &name, blob, "test").unwrap())
                        })
                    })
                    .collect();
                handles.into_iter().map(|h| h.join().unwrap()).sum()
            });
            assert!(created <= 1, "round {round}: {created} writers created {name}");
            assert!(repo.refname_to_id(&name).is_ok() || created == 0);
        }
    }

    #[test]
    fn an_existing_ref_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init_bare(dir.path()).unwrap();
        let (a, b) = (repo.blob(b"a").unwrap(), repo.blob(b"b").unwrap());
        assert!(create_exclusively(&repo, "refs/pao/x", a, "first").unwrap());
        assert!(!create_exclusively(&repo, "refs/pao/x", b, "second").unwrap());
        assert_eq!(repo.refname_to_id("refs/pao/x").unwrap(), a);
    }
}
