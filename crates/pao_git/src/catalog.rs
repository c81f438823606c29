//! The catalog read straight from Git objects at a revision, cached by the `catalog/` tree id.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use git2::{ObjectType, Oid, Repository, Tree, TreeWalkMode, TreeWalkResult};
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
            let mut files = read_catalog_files(repo, tree)?;
            for (path, id) in &extras {
                files.push(SourceFile { path: path.clone(), bytes: repo.find_blob(*id)?.content().to_vec() });
            }
            Ok(Catalog::from_files(&files))
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

/// Reads every `*.yaml` / `*.yml` blob under the `catalog/` tree (symlinks and submodules are
/// skipped: only regular files are catalog documents).
fn read_catalog_files(repo: &Repository, tree: &Tree<'_>) -> Result<Vec<SourceFile>, GitError> {
    let mut blobs = Vec::new();
    tree.walk(TreeWalkMode::PreOrder, |dir, entry| {
        let regular = entry.kind() == Some(ObjectType::Blob) && matches!(entry.filemode(), 0o100_644 | 0o100_755);
        if let Ok(name) = entry.name()
            && regular
            && (name.ends_with(".yaml") || name.ends_with(".yml"))
        {
            blobs.push((format!("catalog/{dir}{name}"), entry.id()));
        }
        TreeWalkResult::Ok
    })?;
    blobs.into_iter().map(|(path, id)| Ok(SourceFile { path, bytes: repo.find_blob(id)?.content().to_vec() })).collect()
}
