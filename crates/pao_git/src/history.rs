//! An item's versions from Git history: each commit where its `metadata.version` changed.

use git2::{Oid, Sort};
use pao_schema::{CatalogItem, LifecycleStatus};
use serde::Serialize;

use crate::catalog::{CatalogReader, resolve_commit};
use crate::error::GitError;
use crate::time::format_rfc3339;

/// One version of an item, as first committed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemVersion {
    /// `metadata.version`.
    pub version: String,
    /// The commit that introduced it (hex).
    pub commit: String,
    /// The commit's date, RFC 3339.
    pub date: String,
    /// `metadata.lifecycle.status` at that commit.
    pub lifecycle: LifecycleStatus,
}

/// Every version of an item, oldest first, and the default one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemVersions {
    /// The item id.
    pub id: String,
    /// Versions in the order they appeared in first-parent history.
    pub versions: Vec<ItemVersion>,
    /// The version requests get when they name none: the highest SemVer release (no
    /// pre-release part) whose lifecycle was `stable`; failing that the highest release; failing
    /// that the newest version.
    pub default: Option<String>,
}

impl CatalogReader {
    /// Lists the versions of item `id` in the first-parent history of `rev`.
    ///
    /// Walks commits oldest first and loads the catalog of each through the tree-id cache, so
    /// commits that did not touch `catalog/` cost a lookup. A version that reappears after a
    /// revert is listed once, at its first commit.
    ///
    /// # Errors
    /// When the revision names no commit, or the item never existed in its history.
    pub fn versions(&self, rev: &str, id: &str) -> Result<ItemVersions, GitError> {
        let repo = self.repo()?;
        let tip = resolve_commit(&repo, rev)?;
        let mut walk = repo.revwalk()?;
        walk.push(tip.id())?;
        walk.simplify_first_parent()?;
        walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)?;
        let mut versions: Vec<ItemVersion> = Vec::new();
        let mut last: Option<String> = None;
        for oid in walk {
            let oid: Oid = oid?;
            let commit = repo.find_commit(oid)?;
            let catalog = self.load_commit(&repo, &commit)?;
            let Some(item) = catalog.item(id) else { continue };
            let version = item.metadata.version.clone();
            if last.as_deref() != Some(version.as_str()) {
                last = Some(version.clone());
                if versions.iter().all(|known| known.version != version) {
                    let time = commit.time();
                    versions.push(ItemVersion {
                        version,
                        commit: oid.to_string(),
                        date: format_rfc3339(time.seconds(), time.offset_minutes()),
                        lifecycle: item.metadata.lifecycle.status,
                    });
                }
            }
        }
        if versions.is_empty() {
            return Err(GitError::ItemNotFound { id: id.to_owned(), rev: rev.to_owned() });
        }
        let default = default_version(&versions);
        Ok(ItemVersions { id: id.to_owned(), versions, default })
    }

    /// The item as it was at `version` (the commit that introduced it), with that commit's id.
    /// Without a version: the item at `rev` itself.
    ///
    /// # Errors
    /// When the item or version does not exist in the history of `rev`.
    pub fn item_at(&self, rev: &str, id: &str, version: Option<&str>) -> Result<(CatalogItem, String), GitError> {
        let commit = match version {
            None => self.resolve(rev)?,
            Some(version) => self
                .versions(rev, id)?
                .versions
                .into_iter()
                .find(|v| v.version == version)
                .map(|v| v.commit)
                .ok_or_else(|| GitError::VersionNotFound {
                    id: id.to_owned(),
                    version: version.to_owned(),
                    rev: rev.to_owned(),
                })?,
        };
        let snapshot = self.load(&commit)?;
        let item = snapshot
            .catalog
            .item(id)
            .cloned()
            .ok_or_else(|| GitError::ItemNotFound { id: id.to_owned(), rev: rev.to_owned() })?;
        Ok((item, commit))
    }
}

fn default_version(versions: &[ItemVersion]) -> Option<String> {
    let parsed: Vec<(semver::Version, &ItemVersion)> =
        versions.iter().filter_map(|v| semver::Version::parse(&v.version).ok().map(|s| (s, v))).collect();
    let best = |filter: &dyn Fn(&(semver::Version, &ItemVersion)) -> bool| {
        parsed.iter().filter(|entry| filter(entry)).max_by(|a, b| a.0.cmp(&b.0)).map(|(_, v)| v.version.clone())
    };
    best(&|(s, v)| s.pre.is_empty() && v.lifecycle == LifecycleStatus::Stable)
        .or_else(|| best(&|(s, _)| s.pre.is_empty()))
        .or_else(|| versions.last().map(|v| v.version.clone()))
}
