//! The one rule for "which repository is this path in", shared by every command.
//!
//! A path's repository root is the nearest enclosing directory (of the path itself when it is
//! a directory, of its parent when it is a file) that holds a `.git` entry — a directory, or a
//! file as in linked work trees and submodules. When no enclosing directory holds one, it is
//! the nearest enclosing directory that holds a `pao.toml`, so a catalog that is not yet under
//! Git still finds its configuration. The rule looks at the file system only: it does not ask
//! Git, so a repository Git refuses to open (dubious ownership, a damaged index) still has a
//! root and its `pao.toml` still applies.

use std::path::{Path, PathBuf};

use crate::FILE_NAME;

/// The repository root holding `path`, by the rule of this module; `None` when neither a
/// `.git` entry nor a `pao.toml` encloses it (or the path does not exist).
pub fn find_repository_root(path: &Path) -> Option<PathBuf> {
    let path = if path.as_os_str().is_empty() { Path::new(".") } else { path };
    let path = std::path::absolute(path).ok()?;
    let path = path.canonicalize().unwrap_or(path);
    let start = if path.is_dir() { path.as_path() } else { path.parent()? };
    if let Some(root) = start.ancestors().find(|dir| dir.join(".git").symlink_metadata().is_ok()) {
        return Some(root.to_path_buf());
    }
    start.ancestors().find(|dir| dir.join(FILE_NAME).symlink_metadata().is_ok()).map(Path::to_path_buf)
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;

    #[test]
    fn nearest_git_entry_wins_over_an_inner_pao_toml() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        fs::create_dir_all(root.join(".git")).unwrap();
        fs::create_dir_all(root.join("catalog/databases")).unwrap();
        fs::write(root.join("catalog/pao.toml"), "").unwrap();
        let file = root.join("catalog/databases/pg.yaml");
        fs::write(&file, "").unwrap();
        assert_eq!(find_repository_root(&file), Some(root.clone()));
        assert_eq!(find_repository_root(&root.join("catalog")), Some(root));
    }

    #[test]
    fn a_git_file_marks_a_root_too() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        fs::write(root.join(".git"), "gitdir: /elsewhere\n").unwrap();
        assert_eq!(find_repository_root(&root), Some(root));
    }

    #[test]
    fn without_git_the_nearest_pao_toml_marks_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        fs::write(root.join("pao.toml"), "").unwrap();
        fs::create_dir_all(root.join("catalog/x")).unwrap();
        assert_eq!(find_repository_root(&root.join("catalog/x")), Some(root));
    }

    #[test]
    fn relative_paths_and_missing_paths() {
        assert!(find_repository_root(Path::new("/definitely/not/here/at/all")).is_none());
        // The crate directory sits inside this workspace's Git repository.
        let here = find_repository_root(Path::new("")).unwrap();
        assert!(here.join(".git").exists(), "{}", here.display());
    }
}
