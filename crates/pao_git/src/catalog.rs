//! The catalog read straight from Git objects at a revision, cached by the `catalog/` tree id.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use git2::{ObjectType, Oid, Repository, Tree};
use pao_schema::{CatalogDocument, CatalogItem};

use crate::error::GitError;
use crate::validate::{CODEOWNERS_PATHS, SourceFile, ValidationError, validate_documents};

/// How many parsed catalogs (distinct `catalog/` trees) are kept.
const CACHE_CAPACITY: usize = 64;

/// One valid catalog document and where it came from.
#[derive(Debug, Clone)]
pub struct CatalogEntry {
    /// Path relative to the repository root (`catalog/databases/pg.yaml`).
    pub path: String,
    /// The typed document.
    pub document: CatalogDocument,
}

/// A validated catalog: the valid documents by id, and the files left out with their errors.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    entries: BTreeMap<String, CatalogEntry>,
    errors: Vec<ValidationError>,
}

impl Catalog {
    /// Builds a catalog from files (validated with [`validate_documents`]).
    pub fn from_files(files: &[SourceFile]) -> Self {
        let (valid, errors) = validate_documents(files);
        let entries = valid
            .into_iter()
            .map(|doc| (doc.document.metadata().id.clone(), CatalogEntry { path: doc.path, document: doc.document }))
            .collect();
        Self { entries, errors }
    }

    /// Every valid document, by id.
    pub fn entries(&self) -> impl Iterator<Item = &CatalogEntry> {
        self.entries.values()
    }

    /// The valid document with this id (item or bundle).
    pub fn entry(&self, id: &str) -> Option<&CatalogEntry> {
        self.entries.get(id)
    }

    /// The valid item with this id (bundles are not items).
    pub fn item(&self, id: &str) -> Option<&CatalogItem> {
        match &self.entries.get(id)?.document {
            CatalogDocument::Item(item) => Some(item),
            CatalogDocument::Bundle(_) => None,
        }
    }

    /// Number of valid documents.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no document is valid.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The files left out of the catalog and why, in path order.
    pub fn validation_errors(&self) -> &[ValidationError] {
        &self.errors
    }
}

/// The catalog at one revision.
#[derive(Debug, Clone)]
pub struct CatalogSnapshot {
    /// The commit the revision resolved to (hex).
    pub commit: String,
    /// The cache key (hex): the id of its `catalog/` tree (all zeros when there is none), mixed
    /// with the blob ids of `pao.toml` and CODEOWNERS when present.
    pub tree: String,
    /// The validated catalog, shared with every other revision that has the same tree.
    pub catalog: Arc<Catalog>,
}

impl CatalogSnapshot {
    /// The files left out of the catalog and why.
    pub fn validation_errors(&self) -> &[ValidationError] {
        self.catalog.validation_errors()
    }
}

#[derive(Default)]
struct Cache {
    map: HashMap<Oid, Arc<Catalog>>,
    order: VecDeque<Oid>,
}

/// Reads the catalog of a Git repository (bare or not) at any revision, without a checkout.
///
/// `git2::Repository` is not `Sync`, so the reader keeps only the path and opens the repository
/// per call (cheap next to parsing); the cache of parsed catalogs is shared across threads.
pub struct CatalogReader {
    path: PathBuf,
    cache: Mutex<Cache>,
    parses: AtomicU64,
}

impl std::fmt::Debug for CatalogReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CatalogReader").field("path", &self.path).finish_non_exhaustive()
    }
}

impl CatalogReader {
    /// A reader of the repository at `path` (a work tree, its `.git`, or a bare repository).
    ///
    /// # Errors
    /// When no repository is there.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, GitError> {
        let path = path.as_ref().to_path_buf();
        let repo = open_repo(&path)?;
        let path = repo.path().to_path_buf();
        Ok(Self { path, cache: Mutex::new(Cache::default()), parses: AtomicU64::new(0) })
    }

    /// The repository's Git directory.
    pub fn git_dir(&self) -> &Path {
        &self.path
    }

    pub(crate) fn repo(&self) -> Result<Repository, GitError> {
        open_repo(&self.path)
    }

    /// How many times a catalog tree was parsed (cache misses) since the reader was made.
    pub fn parse_count(&self) -> u64 {
        self.parses.load(Ordering::Relaxed)
    }

    /// Resolves a revision (`HEAD`, `main`, a commit id, `v1.2^`) to a commit id.
    ///
    /// # Errors
    /// When it names no commit.
    pub fn resolve(&self, rev: &str) -> Result<String, GitError> {
        let repo = self.repo()?;
        Ok(resolve_commit(&repo, rev)?.id().to_string())
    }

    /// The validated catalog at `rev`. A `catalog/` tree seen before is served from the cache
    /// without reading or parsing anything.
    ///
    /// # Errors
    /// When the revision names no commit or objects cannot be read.
    pub fn load(&self, rev: &str) -> Result<CatalogSnapshot, GitError> {
        let repo = self.repo()?;
        let commit = resolve_commit(&repo, rev)?;
        let (key, catalog) = self.load_tree(&repo, &commit.tree()?)?;
        Ok(CatalogSnapshot { commit: commit.id().to_string(), tree: key.to_string(), catalog })
    }

    pub(crate) fn load_commit(&self, repo: &Repository, commit: &git2::Commit<'_>) -> Result<Arc<Catalog>, GitError> {
        Ok(self.load_tree(repo, &commit.tree()?)?.1)
    }

    /// The catalog of a root tree. The cache key is the `catalog/` tree id, combined with the
    /// blob ids of `pao.toml` and CODEOWNERS when the revision has them (they change what the
    /// linter accepts).
    fn load_tree(&self, repo: &Repository, root: &Tree<'_>) -> Result<(Oid, Arc<Catalog>), GitError> {
        let catalog_tree = catalog_tree(repo, root)?;
        let extras: Vec<(String, Oid)> = std::iter::once("pao.toml")
            .chain(CODEOWNERS_PATHS)
            .filter_map(|path| {
                let entry = root.get_path(Path::new(path)).ok()?;
                (entry.kind() == Some(ObjectType::Blob)).then(|| (path.to_owned(), entry.id()))
            })
            .collect();
        let tree_id = catalog_tree.as_ref().map_or(Oid::ZERO_SHA1, Tree::id);
        let key = if extras.is_empty() {
            tree_id
        } else {
            let mut text = tree_id.to_string();
            for (path, id) in &extras {
                text.push_str(&format!("\n{path} {id}"));
            }
            Oid::hash_object(ObjectType::Blob, text.as_bytes())?
        };
        let catalog = self.cached(key, || {
            let Some(tree) = &catalog_tree else { return Ok(Catalog::default()) };
            let (mut files, mut problems) = read_catalog_files(repo, root, tree)?;
            for (path, id) in &extras {
                match read_blob(repo, *id, pao_source::MAX_INPUT_BYTES)? {
                    Ok(bytes) => files.push(SourceFile { path: path.clone(), bytes }),
                    Err(message) => problems.push(problem(path, message)),
                }
            }
            let mut catalog = Catalog::from_files(&files);
            catalog.errors.extend(problems);
            catalog
                .errors
                .sort_by(|a, b| (a.file.as_str(), a.line, a.column).cmp(&(b.file.as_str(), b.line, b.column)));
            Ok(catalog)
        })?;
        Ok((key, catalog))
    }

    fn cached(&self, key: Oid, parse: impl FnOnce() -> Result<Catalog, GitError>) -> Result<Arc<Catalog>, GitError> {
        if let Some(hit) = self.lock().map.get(&key) {
            return Ok(Arc::clone(hit));
        }
        // Parse outside the lock; two threads racing on one new tree may both parse it once.
        self.parses.fetch_add(1, Ordering::Relaxed);
        let catalog = Arc::new(parse()?);
        let mut cache = self.lock();
        if !cache.map.contains_key(&key) {
            if cache.order.len() >= CACHE_CAPACITY
                && let Some(old) = cache.order.pop_front()
            {
                cache.map.remove(&old);
            }
            cache.order.push_back(key);
            cache.map.insert(key, Arc::clone(&catalog));
        }
        Ok(catalog)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Cache> {
        // A panic while holding the lock cannot leave the map inconsistent: recover it.
        self.cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The Git directory of the repository holding `path` (searching parent directories, as `git`
/// does), for tools whose default repository is "the current one".
///
/// # Errors
/// When `path` is not inside a Git repository.
pub fn discover_repository(path: impl AsRef<Path>) -> Result<PathBuf, GitError> {
    let path = path.as_ref();
    Repository::discover(path)
        .map(|repo| repo.path().to_path_buf())
        .map_err(|source| GitError::Open { path: path.display().to_string(), source })
}

pub(crate) fn open_repo(path: &Path) -> Result<Repository, GitError> {
    Repository::open(path).map_err(|source| GitError::Open { path: path.display().to_string(), source })
}

pub(crate) fn resolve_commit<'r>(repo: &'r Repository, rev: &str) -> Result<git2::Commit<'r>, GitError> {
    repo.revparse_single(rev)
        .and_then(|object| object.peel_to_commit())
        .map_err(|source| GitError::Revision { rev: rev.to_owned(), source })
}

fn catalog_tree<'r>(repo: &'r Repository, root: &Tree<'_>) -> Result<Option<Tree<'r>>, GitError> {
    match root.get_name("catalog") {
        Some(entry) if entry.kind() == Some(ObjectType::Tree) => Ok(Some(repo.find_tree(entry.id())?)),
        _ => Ok(None),
    }
}

/// Most symbolic links followed while resolving one path (as Linux's limit for `ELOOP`).
const MAX_LINK_HOPS: usize = 40;

/// Mode of a symbolic link in a Git tree.
const LINK_MODE: i32 = 0o120_000;

fn is_yaml_name(name: &str) -> bool {
    name.ends_with(".yaml") || name.ends_with(".yml")
}

/// A file the reader refuses before parsing it (PAO100, as pao-lint reports it on disk).
fn problem(path: &str, message: String) -> ValidationError {
    ValidationError::unreadable(path, message)
}

/// A blob's bytes when it is no larger than `limit`; the size comes from the object header, so
/// a huge blob is refused without being loaded.
fn read_blob(repo: &Repository, id: Oid, limit: u64) -> Result<Result<Vec<u8>, String>, GitError> {
    let (size, _) = repo.odb()?.read_header(id)?;
    if size as u64 > limit {
        return Ok(Err(format!(
            "file is larger than the {} limit for this file; split it or remove it",
            pao_source::format_size(limit)
        )));
    }
    Ok(Ok(repo.find_blob(id)?.content().to_vec()))
}

/// Where a link in the tree leads, by pao-lint's link rule (`pao_lint::walk`): within the
/// repository only, each hop resolved in the same tree.
enum Resolved {
    /// A blob at this path.
    Blob(Oid),
    /// A tree at this path (relative to the root, no trailing `/`).
    Tree(Oid, String),
}

/// Resolves the link at `link_path` (relative to the root) whose blob holds `target`.
fn resolve_link(
    repo: &Repository,
    root: &Tree<'_>,
    link_path: &str,
    target: &str,
) -> Result<Result<Resolved, String>, GitError> {
    let outside = |target: &str| {
        Ok(Err(format!(
            "symbolic link to {target}, outside the repository: links are followed only within the repository, \
             and this one is not read"
        )))
    };
    let mut resolved: Vec<String> = link_path.split('/').map(str::to_owned).collect();
    resolved.pop();
    let mut pending: std::collections::VecDeque<String> = std::collections::VecDeque::new();
    if target.starts_with('/') {
        return outside(target);
    }
    pending.extend(target.split('/').map(str::to_owned));
    let mut hops = 0;
    let mut last = None;
    while let Some(part) = pending.pop_front() {
        match part.as_str() {
            "" | "." => continue,
            ".." => {
                if resolved.pop().is_none() {
                    return outside(target);
                }
                last = None;
                continue;
            }
            _ => {}
        }
        let path = if resolved.is_empty() { part.clone() } else { format!("{}/{part}", resolved.join("/")) };
        let Ok(entry) = root.get_path(Path::new(&path)) else {
            return Ok(Err("dangling symbolic link: its target does not exist".to_owned()));
        };
        if entry.filemode() == LINK_MODE {
            hops += 1;
            if hops > MAX_LINK_HOPS {
                return Ok(Err("symbolic link loop: the chain of links does not end".to_owned()));
            }
            let Ok(bytes) = read_blob(repo, entry.id(), 4096)? else {
                return Ok(Err("a symbolic link whose target is not a path".to_owned()));
            };
            let next = String::from_utf8_lossy(&bytes).into_owned();
            if next.starts_with('/') {
                return outside(&next);
            }
            for (i, piece) in next.split('/').enumerate() {
                pending.insert(i, piece.to_owned());
            }
            continue;
        }
        resolved.push(part);
        last = Some((entry.kind(), entry.id()));
    }
    Ok(Ok(match last {
        Some((Some(ObjectType::Tree), id)) => Resolved::Tree(id, resolved.join("/")),
        Some((_, id)) if !resolved.is_empty() => Resolved::Blob(id),
        // The link resolved to the root itself.
        _ => Resolved::Tree(root.id(), String::new()),
    }))
}

/// Reads every `*.yaml` / `*.yml` blob under the `catalog/` tree, by pao-lint's link rule: a
/// link is read as its target when the target, resolved in the same tree, is inside the
/// repository; a link that leaves it, dangles or loops is a `PAO100` error on the link, never
/// read. A linked directory inside `catalog/` is read under its own name only; one elsewhere in
/// the repository is read once. Submodules are skipped; blobs over the size limit are errors
/// found from their header, without loading them.
fn read_catalog_files(
    repo: &Repository,
    root: &Tree<'_>,
    tree: &Tree<'_>,
) -> Result<(Vec<SourceFile>, Vec<ValidationError>), GitError> {
    let mut files = Vec::new();
    let mut problems = Vec::new();
    let mut visited = std::collections::HashSet::new();
    // (tree, the path the walk names it by, its real path), both with a trailing `/`.
    let mut queue = vec![(tree.id(), "catalog/".to_owned(), "catalog/".to_owned())];
    while let Some((id, shown, real)) = queue.pop() {
        let tree = repo.find_tree(id)?;
        for entry in tree.iter() {
            let Ok(name) = entry.name() else { continue };
            let (shown_path, real_path) = (format!("{shown}{name}"), format!("{real}{name}"));
            let mode = entry.filemode();
            if entry.kind() == Some(ObjectType::Tree) {
                queue.push((entry.id(), format!("{shown_path}/"), format!("{real_path}/")));
            } else if matches!(mode, 0o100_644 | 0o100_755) && is_yaml_name(name) {
                match read_blob(repo, entry.id(), pao_source::MAX_FILE_BYTES as u64)? {
                    Ok(bytes) => files.push(SourceFile { path: shown_path, bytes }),
                    Err(message) => problems.push(problem(&shown_path, message)),
                }
            } else if mode == LINK_MODE {
                let target = match read_blob(repo, entry.id(), 4096)? {
                    Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
                    Err(_) => String::new(),
                };
                match resolve_link(repo, root, &real_path, &target)? {
                    Ok(Resolved::Blob(blob)) if is_yaml_name(name) => {
                        match read_blob(repo, blob, pao_source::MAX_FILE_BYTES as u64)? {
                            Ok(bytes) => files.push(SourceFile { path: shown_path, bytes }),
                            Err(message) => problems.push(problem(&shown_path, message)),
                        }
                    }
                    Ok(Resolved::Blob(_)) => {}
                    Ok(Resolved::Tree(tree, path)) => {
                        let path = if path.is_empty() { path } else { format!("{path}/") };
                        if real.starts_with(&path) {
                            problems.push(problem(
                                &shown_path,
                                "symbolic link loop: this link points at one of its own parent directories".to_owned(),
                            ));
                        } else if !path.starts_with("catalog/") && visited.insert(path.clone()) {
                            queue.push((tree, format!("{shown_path}/"), path));
                        }
                    }
                    Err(message) if is_yaml_name(name) || message.contains("outside") || message.contains("loop") => {
                        problems.push(problem(&shown_path, message));
                    }
                    Err(_) => {}
                }
            }
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok((files, problems))
}
