//! The Git side of `--changed-since` and of file arguments: the repository root, the files
//! changed since a revision, and catalog documents as they were at it — read from Git objects,
//! without a checkout.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use git2::{DiffOptions, ObjectType, Repository};
use pao_schema::CatalogDocument;

use crate::LintError;

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

/// Compares the work tree (with the index and untracked files) against `rev`.
pub(crate) fn changes_since(root: &Path, rev: &str) -> Result<Changes, LintError> {
    let error = |message: String| LintError::Git { message };
    let repo = Repository::open(root)
        .map_err(|e| error(format!("{} is not a Git repository: {}", root.display(), e.message())))?;
    let object = repo.revparse_single(rev).map_err(|e| error(format!("unknown revision `{rev}`: {}", e.message())))?;
    let tree = object.peel_to_tree().map_err(|e| error(format!("`{rev}` does not name a commit: {}", e.message())))?;
    let mut options = DiffOptions::new();
    options.include_untracked(true).recurse_untracked_dirs(true).pathspec("catalog");
    let diff = repo
        .diff_tree_to_workdir_with_index(Some(&tree), Some(&mut options))
        .map_err(|e| error(format!("cannot diff against `{rev}`: {}", e.message())))?;
    let mut changes = Changes::default();
    for delta in diff.deltas() {
        let old_path = delta.old_file().path().map(|p| p.to_string_lossy().replace('\\', "/"));
        let new_path = delta.new_file().path().map(|p| p.to_string_lossy().replace('\\', "/"));
        let is_doc = |p: &Option<String>| p.as_deref().is_some_and(|p| p.ends_with(".yaml") || p.ends_with(".yml"));
        match delta.status() {
            git2::Delta::Deleted => {
                if let (true, Some(path)) = (is_doc(&old_path), &old_path) {
                    if let Some(doc) = document_at(&repo, &tree, path) {
                        changes.removed_ids.push(doc.metadata().id.clone());
                    }
                }
            }
            _ => {
                if let (true, Some(path)) = (is_doc(&new_path), new_path) {
                    let before = old_path.as_deref().unwrap_or(&path);
                    if let Some(doc) = document_at(&repo, &tree, before) {
                        changes.previous.insert(path.clone(), doc);
                    }
                    changes.changed.insert(path);
                }
            }
        }
    }
    Ok(changes)
}

/// The catalog document at `path` in `tree`, if it exists there and parses.
fn document_at(repo: &Repository, tree: &git2::Tree<'_>, path: &str) -> Option<CatalogDocument> {
    let entry = tree.get_path(Path::new(path)).ok()?;
    let blob = entry.to_object(repo).ok()?.peel(ObjectType::Blob).ok()?;
    let text = pao_source::decode(blob.as_blob()?.content()).ok()?;
    let root = pao_source::parse_yaml(text).root?;
    crate::document::read_document(&root).ok()
}
