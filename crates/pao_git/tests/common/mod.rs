//! Test helpers: real repositories made with the git CLI.
#![allow(dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};
use std::process::Command;

pub const PG: &str = include_str!("../fixtures/pgsql.yaml");

pub fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "Ada")
        .env("GIT_AUTHOR_EMAIL", "ada@example.com")
        .env("GIT_COMMITTER_NAME", "Ada")
        .env("GIT_COMMITTER_EMAIL", "ada@example.com")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .expect("git runs");
    assert!(output.status.success(), "git {args:?} failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// A work tree repository on branch `main`.
pub fn work_repo(dir: &Path) -> PathBuf {
    let path = dir.join("work");
    std::fs::create_dir_all(&path).unwrap();
    git(&path, &["init", "-q", "-b", "main"]);
    path
}

pub fn write(repo: &Path, path: &str, text: &str) {
    let full = repo.join(path);
    std::fs::create_dir_all(full.parent().unwrap()).unwrap();
    std::fs::write(full, text).unwrap();
}

/// Commits everything with a fixed date (seconds since the epoch).
pub fn commit(repo: &Path, message: &str, epoch: i64) -> String {
    git(repo, &["add", "-A"]);
    let date = format!("@{epoch} +0000");
    let output = Command::new("git")
        .args(["commit", "-q", "--allow-empty", "-m", message])
        .current_dir(repo)
        .env("GIT_AUTHOR_NAME", "Ada")
        .env("GIT_AUTHOR_EMAIL", "ada@example.com")
        .env("GIT_COMMITTER_NAME", "Ada")
        .env("GIT_COMMITTER_EMAIL", "ada@example.com")
        .env("GIT_AUTHOR_DATE", &date)
        .env("GIT_COMMITTER_DATE", &date)
        .env("HOME", repo)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    git(repo, &["rev-parse", "HEAD"])
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
