//! Helpers for PAO's tests (a dev-dependency only): run the git CLI in a temporary repository
//! with a fixed identity and no user or system configuration, write files, find the workspace.

#![deny(missing_docs)]

#[cfg(feature = "http")]
pub mod http;

use std::path::{Path, PathBuf};
use std::process::Command;

/// A `git` command in `dir` with a fixed identity, isolated from the user's and the system's
/// configuration (so no signing, hooks or aliases of the machine apply).
pub fn git_command(dir: &Path) -> Command {
    let mut command = Command::new("git");
    command
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "Ada")
        .env("GIT_AUTHOR_EMAIL", "ada@example.com")
        .env("GIT_COMMITTER_NAME", "Ada")
        .env("GIT_COMMITTER_EMAIL", "ada@example.com")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir);
    command
}

/// Runs `git ARGS` in `dir`; panics with git's message when it fails. Returns stdout, trimmed.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let output = git_command(dir).args(args).output().expect("git runs");
    assert!(output.status.success(), "git {args:?} failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// Stages everything in `repo` and commits it at a fixed date (seconds since the epoch, UTC);
/// returns the commit id.
pub fn commit(repo: &Path, message: &str, epoch: i64) -> String {
    git(repo, &["add", "-A"]);
    let date = format!("@{epoch} +0000");
    let output = git_command(repo)
        .args(["commit", "-q", "--allow-empty", "-m", message])
        .env("GIT_AUTHOR_DATE", &date)
        .env("GIT_COMMITTER_DATE", &date)
        .output()
        .expect("git runs");
    assert!(output.status.success(), "git commit failed: {}", String::from_utf8_lossy(&output.stderr));
    git(repo, &["rev-parse", "HEAD"])
}

/// Writes `text` to `root/path`, creating the directories on the way.
pub fn write(root: &Path, path: &str, text: &str) {
    let full = root.join(path);
    std::fs::create_dir_all(full.parent().expect("a file path has a parent")).expect("directories are created");
    std::fs::write(full, text).expect("the file is written");
}

/// The workspace root (where `catalog/` and `schema/` are).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("workspace root")
}

/// The head of a catalog item, `apiVersion` through `presentation`: item `id` named `name`
/// (version 1.0.0, category `databases`, owned by team `dba`) whose form has one required text
/// field, `instanceName`. Tests append their own `fulfillment:` block.
pub fn item_head(id: &str, name: &str) -> String {
    format!(
        "apiVersion: pao/v1\nkind: CatalogItem\nmetadata:\n  id: {id}\n  name: {name}\n  description: {name}, a test item\n  \
         version: 1.0.0\n  category: databases\n  owner:\n    team: dba\n    contact: dba@example.com\n  lifecycle:\n    \
         status: stable\npresentation:\n  form:\n    groups:\n      - id: basic\n        name: Basic\n        fields:\n          \
         - id: instanceName\n            name: Instance Name\n            type: string\n            required: true\n"
    )
}

/// Everything Git holds in `repo`, as text: the patches of every ref's history, and every blob
/// and commit object in full (what a search for a leaked secret must cover).
pub fn all_git_text(repo: &Path) -> String {
    let mut out = git(repo, &["log", "--all", "-p", "--format=%H%n%B"]);
    let objects = git(repo, &["cat-file", "--batch-all-objects", "--batch-check=%(objectname) %(objecttype)"]);
    for line in objects.lines() {
        if let Some((oid, "blob" | "commit")) = line.split_once(' ') {
            out.push_str(&git(repo, &["cat-file", "-p", oid]));
            out.push('\n');
        }
    }
    out
}

/// About 300 characters of `text` before the first `needle` and 400 from it, for a failure
/// message (the start of `text` when there is no `needle`).
pub fn excerpt(text: &str, needle: &str) -> String {
    let at = text.find(needle).unwrap_or(0);
    let start = text[..at].char_indices().rev().nth(300).map_or(0, |(i, _)| i);
    text[start..].chars().take(700).collect()
}
