//! Whether any ref of the local state repository may have moved since an earlier moment, for
//! the caches of the read routes ([`crate::cache::StatusAnswers`], [`crate::index::RequestIndex`]),
//! so a repeated call need not read ref files to learn that nothing changed.
//!
//! [`RefWatch::epoch`] gives an [`Epoch`]; two equal epochs mean no ref file under `refs/` and
//! no `packed-refs` changed between them. On Linux an inotify watch of every directory under
//! `refs/` and of the Git directory itself (for `packed-refs`) stands behind it: each call
//! drains the watch without blocking (one `read` system call when nothing happened) and any
//! event makes a new epoch. The kernel queues an event inside the writer's `rename`, before
//! that write returns, so a write that finished before a call began, by this process or any
//! other, is always seen by that call: nothing is served stale, not even for a millisecond.
//!
//! Where no watch can be had (not Linux, the inotify limits reached, an event queue overflow
//! that cannot be recovered, a directory that cannot be watched), the epoch is a stamp of the
//! modification times of the ref directories and `packed-refs` (every ref update renames a lock
//! file into its directory, which changes the directory's time). A stamp is given only once its
//! newest time is [`SETTLE`] old, so a write landing in the same timestamp tick as a call
//! (coarse file-system clocks) is never missed; right after writes there is no epoch at all
//! (`None`) and callers read the refs, as they would without a cache.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

/// How old a stamp's newest time must be to be trusted (more than the coarsest file-system
/// timestamp granularity in use, 1 s).
pub const SETTLE: Duration = Duration::from_secs(2);

/// The ref directories a stamp covers (every one a request's answers are read from).
const STAMPED: [&str; 6] =
    ["refs/heads", "refs/heads/pao/requests", "refs/pao/status", "refs/pao/fulfilment", "refs/pao/leases", "refs"];

/// A moment of the ref storage; equal epochs mean nothing changed between them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Epoch(EpochKind);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EpochKind {
    /// The watch's count of changes seen.
    Watched(u64),
    /// File times (the fallback without a watch).
    Stamp([Option<SystemTime>; 6], Option<(SystemTime, u64)>),
}

/// The watch of one Git directory's refs.
pub struct RefWatch {
    git_dir: PathBuf,
    watch: Mutex<Option<watch::Watch>>,
}

impl std::fmt::Debug for RefWatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let watching = self.watch.lock().map(|w| w.is_some()).unwrap_or(false);
        f.debug_struct("RefWatch").field("git_dir", &self.git_dir).field("watching", &watching).finish()
    }
}

impl RefWatch {
    /// Watches the refs of the Git directory `git_dir` (falling back to file times, with a
    /// debug line saying why, when it cannot).
    pub fn new(git_dir: &Path) -> Self {
        let watch = match watch::Watch::new(git_dir) {
            Ok(watch) => Some(watch),
            Err(err) => {
                tracing::debug!(git_dir = %git_dir.display(), error = %err, "no ref watch; ref caches check file times");
                None
            }
        };
        Self { git_dir: git_dir.to_owned(), watch: Mutex::new(watch) }
    }

    /// A ref watch that never watches: file times only (the fallback's tests; and backends
    /// whose refs are not local, where nothing asks it).
    pub fn by_file_times(git_dir: &Path) -> Self {
        Self { git_dir: git_dir.to_owned(), watch: Mutex::new(None) }
    }

    /// Whether an inotify watch stands behind the epochs.
    pub fn is_watching(&self) -> bool {
        self.watch.lock().map(|w| w.is_some()).unwrap_or(false)
    }

    /// The ref storage's epoch now; `None` when it cannot be told (refs changed too recently
    /// for file times to be trusted): then read the refs.
    pub fn epoch(&self) -> Option<Epoch> {
        {
            let mut guard = self.watch.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some(watch) = guard.as_mut() {
                match watch.drain() {
                    Ok(changes) => return Some(Epoch(EpochKind::Watched(changes))),
                    Err(err) => {
                        tracing::warn!(git_dir = %self.git_dir.display(), error = %err, "the ref watch failed; ref caches now check file times");
                        *guard = None;
                    }
                }
            }
        }
        self.stamp()
    }

    fn stamp(&self) -> Option<Epoch> {
        let modified = |path: PathBuf| std::fs::metadata(path).and_then(|m| m.modified()).ok();
        let dirs = STAMPED.map(|dir| modified(self.git_dir.join(dir)));
        let packed =
            std::fs::metadata(self.git_dir.join("packed-refs")).ok().and_then(|m| Some((m.modified().ok()?, m.len())));
        // No `refs/` (not a Git directory, or not one any more): nothing can be told.
        dirs[STAMPED.len() - 1]?;
        let newest = dirs.iter().flatten().chain(packed.as_ref().map(|(time, _)| time)).max().copied();
        let settled = newest.is_none_or(|newest| newest + SETTLE < SystemTime::now());
        settled.then_some(Epoch(EpochKind::Stamp(dirs, packed)))
    }
}

#[cfg(target_os = "linux")]
mod watch {
    use std::collections::HashMap;
    use std::ffi::OsStr;
    use std::mem::MaybeUninit;
    use std::os::fd::OwnedFd;
    use std::os::unix::ffi::OsStrExt;
    use std::path::{Path, PathBuf};

    use rustix::fs::inotify::{self, CreateFlags, ReadFlags, WatchFlags};
    use rustix::io::Errno;

    /// What a directory watch reports: entries appearing, vanishing or changing in place.
    const EVENTS: WatchFlags = WatchFlags::CREATE
        .union(WatchFlags::DELETE)
        .union(WatchFlags::MOVED_FROM)
        .union(WatchFlags::MOVED_TO)
        .union(WatchFlags::MODIFY)
        .union(WatchFlags::CLOSE_WRITE)
        .union(WatchFlags::DELETE_SELF)
        .union(WatchFlags::MOVE_SELF)
        .union(WatchFlags::ONLYDIR);

    /// An inotify instance watching `refs/` (every directory below it) and the Git directory.
    pub(super) struct Watch {
        fd: OwnedFd,
        /// Watch descriptor → the directory it watches.
        dirs: HashMap<i32, PathBuf>,
        /// The watch descriptor of the Git directory itself (only `packed-refs` matters there).
        top: i32,
        changes: u64,
        buffer: Vec<MaybeUninit<u8>>,
    }

    impl Watch {
        pub(super) fn new(git_dir: &Path) -> std::io::Result<Self> {
            let fd = inotify::init(CreateFlags::NONBLOCK | CreateFlags::CLOEXEC)?;
            let top = inotify::add_watch(&fd, git_dir, EVENTS)?;
            let mut watch = Self {
                fd,
                dirs: HashMap::from([(top, git_dir.to_owned())]),
                top,
                changes: 0,
                buffer: vec![MaybeUninit::uninit(); 16 * 1024],
            };
            watch.add_tree(&git_dir.join("refs"))?;
            Ok(watch)
        }

        /// Watches `dir` and every directory below it (a watch is added before its
        /// directory is listed, so a directory created meanwhile is seen one way or the other).
        fn add_tree(&mut self, dir: &Path) -> std::io::Result<()> {
            let mut pending = vec![dir.to_owned()];
            while let Some(dir) = pending.pop() {
                let wd = match inotify::add_watch(&self.fd, &dir, EVENTS) {
                    Ok(wd) => wd,
                    // Gone again before it was watched: its removal was an event already.
                    Err(Errno::NOENT | Errno::NOTDIR) => continue,
                    Err(err) => return Err(err.into()),
                };
                self.dirs.insert(wd, dir.clone());
                let entries = match std::fs::read_dir(&dir) {
                    Ok(entries) => entries,
                    Err(err) if err.kind() == std::io::ErrorKind::NotFound => continue,
                    Err(err) => return Err(err),
                };
                for entry in entries.flatten() {
                    if entry.file_type().is_ok_and(|t| t.is_dir()) {
                        pending.push(entry.path());
                    }
                }
            }
            Ok(())
        }

        /// Reads every queued event and returns the count of changes seen so far.
        pub(super) fn drain(&mut self) -> std::io::Result<u64> {
            let mut changed = false;
            let mut new_dirs: Vec<PathBuf> = Vec::new();
            {
                let mut reader = inotify::Reader::new(&self.fd, &mut self.buffer);
                loop {
                    let event = match reader.next() {
                        Ok(event) => event,
                        Err(Errno::WOULDBLOCK) => break,
                        Err(Errno::INTR) => continue,
                        Err(err) => return Err(err.into()),
                    };
                    let flags = event.events();
                    if flags.contains(ReadFlags::QUEUE_OVERFLOW) {
                        // Events were lost, directories created meanwhile among them.
                        return Err(std::io::Error::other("the inotify event queue overflowed"));
                    }
                    let name = event.file_name().map(|name| OsStr::from_bytes(name.to_bytes()));
                    if flags.contains(ReadFlags::IGNORED) {
                        self.dirs.remove(&event.wd());
                        changed = true;
                        continue;
                    }
                    if event.wd() == self.top {
                        // The Git directory: only `packed-refs` (written as `packed-refs.lock`,
                        // then renamed) holds refs; `HEAD`, `FETCH_HEAD`, `index` do not.
                        changed |= name.is_some_and(|n| n == "packed-refs");
                        continue;
                    }
                    // `<ref>.lock` is written and renamed onto `<ref>`: the rename is the change.
                    if name.is_some_and(|n| n.as_bytes().ends_with(b".lock")) {
                        continue;
                    }
                    changed = true;
                    if flags.contains(ReadFlags::ISDIR)
                        && flags.intersects(ReadFlags::CREATE | ReadFlags::MOVED_TO)
                        && let (Some(parent), Some(name)) = (self.dirs.get(&event.wd()), name)
                    {
                        new_dirs.push(parent.join(name));
                    }
                }
            }
            for dir in new_dirs {
                self.add_tree(&dir)?;
            }
            if changed {
                self.changes += 1;
            }
            Ok(self.changes)
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod watch {
    use std::path::Path;

    /// No watch on this platform: [`super::RefWatch`] checks file times.
    pub(super) struct Watch;

    impl Watch {
        pub(super) fn new(_git_dir: &Path) -> std::io::Result<Self> {
            Err(std::io::Error::new(std::io::ErrorKind::Unsupported, "ref watches need Linux's inotify"))
        }

        pub(super) fn drain(&mut self) -> std::io::Result<u64> {
            Ok(0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo() -> (tempfile::TempDir, git2::Repository) {
        let dir = tempfile::tempdir().unwrap();
        let repo = git2::Repository::init_bare(dir.path()).unwrap();
        (dir, repo)
    }

    fn commit(repo: &git2::Repository) -> git2::Oid {
        let tree = repo.treebuilder(None).unwrap().write().unwrap();
        let tree = repo.find_tree(tree).unwrap();
        let sig = git2::Signature::now("t", "t@example.com").unwrap();
        repo.commit(None, &sig, &sig, "c", &tree, &[]).unwrap()
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn every_ref_write_is_a_new_epoch_at_once() {
        let (_dir, repo) = repo();
        let watch = RefWatch::new(repo.path());
        assert!(watch.is_watching());
        let oid = commit(&repo);
        let mut last = watch.epoch().unwrap();
        assert_eq!(watch.epoch(), Some(last), "nothing changed");
        // A new nested directory and a ref in it, a second ref beside it, a move, a delete.
        let steps: [&dyn Fn(); 5] = [
            &|| drop(repo.reference("refs/heads/pao/requests/a", oid, true, "t").unwrap()),
            &|| drop(repo.reference("refs/pao/status/deep/er/x", oid, true, "t").unwrap()),
            &|| drop(repo.reference("refs/pao/status/deep/er/y", oid, true, "t").unwrap()),
            &|| repo.find_reference("refs/pao/status/deep/er/x").unwrap().delete().unwrap(),
            &|| {
                // `git pack-refs`: the refs move into packed-refs.
                let out = std::process::Command::new("git")
                    .args(["--git-dir", repo.path().to_str().unwrap(), "pack-refs", "--all"])
                    .output()
                    .unwrap();
                assert!(out.status.success());
            },
        ];
        for (i, step) in steps.iter().enumerate() {
            step();
            let now = watch.epoch().unwrap();
            assert_ne!(now, last, "step {i} was not seen");
            assert_eq!(watch.epoch(), Some(now), "step {i}: a second look saw a change");
            last = now;
        }
        // A write in the directory created above, after it was first seen.
        repo.reference("refs/pao/status/deep/er/z", oid, true, "t").unwrap();
        assert_ne!(watch.epoch().unwrap(), last);
    }

    #[test]
    fn file_times_are_trusted_only_once_settled() {
        let (_dir, repo) = repo();
        let watch = RefWatch::by_file_times(repo.path());
        assert!(!watch.is_watching());
        let oid = commit(&repo);
        repo.reference("refs/heads/pao/requests/a", oid, true, "t").unwrap();
        assert_eq!(watch.epoch(), None, "a ref written just now leaves no epoch");
        let old = SystemTime::now() - SETTLE * 2;
        for dir in STAMPED {
            let path = repo.path().join(dir);
            if path.exists() {
                std::fs::File::open(&path).unwrap().set_modified(old).unwrap();
            }
        }
        let settled = watch.epoch().expect("settled file times give an epoch");
        assert_eq!(watch.epoch(), Some(settled));
        repo.reference("refs/heads/pao/requests/b", oid, true, "t").unwrap();
        assert_ne!(watch.epoch(), Some(settled));
    }
}
