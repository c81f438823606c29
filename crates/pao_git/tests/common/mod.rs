//! Test helpers: real repositories made with the git CLI.
#![allow(dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};

pub use pao_testutil::{commit, git, write};

pub const PG: &str = include_str!("../fixtures/pgsql.yaml");

/// A work tree repository on branch `main`.
pub fn work_repo(dir: &Path) -> PathBuf {
    let path = dir.join("work");
    std::fs::create_dir_all(&path).unwrap();
    git(&path, &["init", "-q", "-b", "main"]);
    path
}

/// A bare clone of `repo`.
pub fn bare_clone(repo: &Path, dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    git(dir, &["clone", "-q", "--bare", repo.to_str().unwrap(), path.to_str().unwrap()]);
    path
}

/// The fixture item with another id, version and lifecycle.
pub fn item(id: &str, version: &str, lifecycle: &str) -> String {
    PG.replace("id: pgsql\n", &format!("id: {id}\n"))
        .replace("version: 1.0.0", &format!("version: {version}"))
        .replace("status: stable", &format!("status: {lifecycle}"))
}
