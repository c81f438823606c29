//! The Git side of `--changed-since`: the catalog files changed since a revision, and catalog
//! documents as they were at it — read from Git objects, without a checkout.
//!
//! What changed is what `git diff <rev>` with untracked files says, found the way Git finds it:
//! a work-tree file is unchanged since the index recorded it when its `stat` is the one the
//! index holds (size, mtime, ctime, inode, device) and the index was written after the file was
//! last modified (else the entry is "racy": a write in the same clock tick may have kept the
//! `stat`); its content is then the blob the index names. Any other file is hashed as a Git
//! blob. The file's blob id is compared with the revision's. The `stat`s are the ones the lint
//! run's walk takes anyway, so the comparison costs no second pass over the work tree (libgit2's
//! work-tree diff did one: about 30 ms of CPU on 10,000 files).

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use git2::{ObjectType, Oid, Repository, TreeWalkMode, TreeWalkResult};
use pao_schema::CatalogDocument;
use rustc_hash::{FxHashMap, FxHashSet};

use crate::LintError;
use crate::cache::Stat;
use crate::walk::is_yaml_name;

/// What changed since a revision.
#[derive(Debug, Default)]
pub(crate) struct Changes {
    /// Catalog files added or modified (relative paths), including untracked ones.
    pub(crate) changed: BTreeSet<String>,
    /// Each changed file's document at the revision, when it existed and parsed.
    pub(crate) previous: HashMap<String, CatalogDocument>,
    /// Ids of documents deleted since the revision.
    pub(crate) removed_ids: Vec<String>,
}

/// A work-tree file to compare: its path relative to the root, the file to read, and the `stat`
/// the walk took of it (`None` for a link's target, or when the `stat` failed).
pub(crate) struct WorkFile<'a> {
    pub(crate) path: &'a str,
    pub(crate) real: &'a Path,
    pub(crate) stat: Option<&'a Stat>,
}

/// The index's record of one file.
struct Recorded {
    id: Oid,
    /// Marked `--assume-unchanged` or `--skip-worktree` (a sparse checkout's files outside its
    /// cone): Git takes the file as the index records it, whatever is (or is not) on disk.
    as_recorded: bool,
    size: u32,
    mtime: (u32, u32),
    ctime: (u32, u32),
    ino: u32,
    dev: u32,
}

/// Index entry flags (`git_index_entry.flags` and `flags_extended`, as libgit2 defines them).
const ASSUME_UNCHANGED: u16 = 1 << 15;
const SKIP_WORKTREE: u16 = 1 << 14;

/// The revision compared with, and the index, read once (while the walk runs).
pub(crate) struct Revision {
    repo: Repository,
    /// Every `.yaml`/`.yml` blob under `catalog/` at the revision.
    blobs: FxHashMap<String, Oid>,
    /// The index's entries under `catalog/` (merged ones: a conflicted file is hashed).
    index: FxHashMap<String, Recorded>,
    /// When the index file was last written (seconds, nanoseconds); entries modified at or
    /// after it are racy.
    index_written: Option<(u32, u32)>,
}

impl Revision {
    /// Opens the repository at `root` and reads `rev`'s catalog and the index.
    pub(crate) fn read(root: &Path, rev: &str) -> Result<Self, LintError> {
        let error = |message: String| LintError::Git { message };
        let repo = Repository::open(root)
            .map_err(|e| error(format!("{} is not a Git repository: {}", root.display(), e.message())))?;
        let blobs = {
            let object =
                repo.revparse_single(rev).map_err(|e| error(format!("unknown revision `{rev}`: {}", e.message())))?;
            let tree =
                object.peel_to_tree().map_err(|e| error(format!("`{rev}` does not name a commit: {}", e.message())))?;
            catalog_blobs(&repo, &tree).map_err(|e| error(format!("cannot read `{rev}`: {}", e.message())))?
        };
        let mut index = FxHashMap::default();
        let mut index_written = None;
        // Without an index (a bare repository, or one never staged to) every file is hashed.
        if let Ok(git_index) = repo.index() {
            for entry in git_index.iter() {
                // Stage bits: a conflicted file has stages 1-3 and no merged entry.
                let stage = (entry.flags >> 12) & 0x3;
                if stage != 0 || !entry.path.starts_with(b"catalog/") {
                    continue;
                }
                let Ok(path) = String::from_utf8(entry.path) else { continue };
                let time = |t: git2::IndexTime| (t.seconds() as u32, t.nanoseconds());
                let as_recorded = entry.flags & ASSUME_UNCHANGED != 0 || entry.flags_extended & SKIP_WORKTREE != 0;
                index.insert(
                    path,
                    Recorded {
                        id: entry.id,
                        as_recorded,
                        size: entry.file_size,
                        mtime: time(entry.mtime),
                        ctime: time(entry.ctime),
                        ino: entry.ino,
                        dev: entry.dev,
                    },
                );
            }
            index_written = std::fs::metadata(repo.path().join("index")).ok().and_then(|m| {
                let stat = Stat::from_metadata(&m);
                split_ns(stat.mtime_ns)
            });
        }
        Ok(Self { repo, blobs, index, index_written })
    }

    /// Compares the work tree's catalog files (`files`: every one the run found) with the
    /// revision. `root` is the work tree.
    pub(crate) fn changes(&self, root: &Path, files: &[WorkFile<'_>]) -> Changes {
        let mut changes = Changes::default();
        // How many of the revision's files the run found: when all, none was deleted.
        let mut found = 0;
        for file in files {
            let before = self.blobs.get(file.path);
            found += usize::from(before.is_some());
            let now = self.unchanged_in_index(file).or_else(|| blob_id(root, file.path, file.real));
            if now.is_some() && now == before.copied() {
                continue;
            }
            if before.is_none() && !self.index.contains_key(file.path) && self.is_ignored(file.path) {
                // An untracked file Git ignores is not a change (as in `git status`).
                continue;
            }
            if let Some(doc) = before.and_then(|id| self.document(*id)) {
                changes.previous.insert(file.path.to_owned(), doc);
            }
            changes.changed.insert(file.path.to_owned());
        }
        if found < self.blobs.len() {
            let present: FxHashSet<&str> = files.iter().map(|f| f.path).collect();
            for (path, id) in self.blobs.iter().filter(|(path, _)| !present.contains(path.as_str())) {
                // Not found by the run: hidden, excluded, outside a sparse checkout, or deleted.
                // Only a deleted one is a change.
                if std::fs::symlink_metadata(root.join(path)).is_ok()
                    || self.index.get(path.as_str()).is_some_and(|r| r.as_recorded)
                {
                    continue;
                }
                if let Some(doc) = self.document(*id) {
                    changes.removed_ids.push(doc.metadata().id.clone());
                }
            }
        }
        changes.removed_ids.sort();
        changes
    }

    /// The blob the index records for `file`, when its `stat` proves it unchanged since.
    fn unchanged_in_index(&self, file: &WorkFile<'_>) -> Option<Oid> {
        let recorded = self.index.get(file.path)?;
        if recorded.as_recorded {
            return Some(recorded.id);
        }
        let stat = file.stat?;
        let mtime = split_ns(stat.mtime_ns)?;
        let same = recorded.size == stat.size as u32
            && recorded.mtime == mtime
            && recorded.ctime == split_ns(stat.ctime_ns)?
            && recorded.ino == stat.ino as u32
            && (recorded.dev == 0 || recorded.dev == stat.dev as u32);
        // Racy: modified in the same tick the index was written, or after.
        let racy = self.index_written.is_none_or(|written| mtime >= written);
        (same && !racy).then_some(recorded.id)
    }

    /// The catalog document in the blob `id`, if it parses.
    fn document(&self, id: Oid) -> Option<CatalogDocument> {
        let blob = self.repo.find_blob(id).ok()?;
        let text = pao_source::decode(blob.content()).ok()?;
        let root = pao_source::parse_yaml(text).root?;
        crate::document::read_document(&root).ok()
    }

    fn is_ignored(&self, path: &str) -> bool {
        self.repo.status_should_ignore(Path::new(path)).unwrap_or(false)
    }
}

/// Every `.yaml`/`.yml` blob under `catalog/` in `tree`, by path.
fn catalog_blobs(repo: &Repository, tree: &git2::Tree<'_>) -> Result<FxHashMap<String, Oid>, git2::Error> {
    let mut blobs = FxHashMap::default();
    let Ok(catalog) = tree.get_path(Path::new("catalog")) else { return Ok(blobs) };
    let Ok(catalog) = catalog.to_object(repo).and_then(|o| o.peel_to_tree()) else { return Ok(blobs) };
    catalog.walk(TreeWalkMode::PreOrder, |dir, entry| {
        if entry.kind() == Some(ObjectType::Blob)
            && let Ok(name) = entry.name()
            && is_yaml_name(name)
        {
            blobs.insert(format!("catalog/{dir}{name}"), entry.id());
        }
        TreeWalkResult::Ok
    })?;
    Ok(blobs)
}

/// The Git blob id of the work-tree file at `path` (read from `real`): of its bytes, or for a
/// symbolic link of the path it holds (as Git stores links). `None` when it cannot be read.
fn blob_id(root: &Path, path: &str, real: &Path) -> Option<Oid> {
    let link = root.join(path);
    if std::fs::symlink_metadata(&link).ok()?.file_type().is_symlink() {
        let target = std::fs::read_link(&link).ok()?;
        return Oid::hash_object(ObjectType::Blob, target.as_os_str().as_encoded_bytes()).ok();
    }
    Oid::hash_file(ObjectType::Blob, real).ok()
}

/// Nanoseconds since the epoch as Git's index keeps them: 32-bit seconds, nanoseconds.
fn split_ns(ns: i128) -> Option<(u32, u32)> {
    let seconds = ns.div_euclid(1_000_000_000);
    let nanos = u32::try_from(ns.rem_euclid(1_000_000_000)).ok()?;
    Some((seconds as u32, nanos))
}
