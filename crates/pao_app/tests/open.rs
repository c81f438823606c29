//! The composition root on real repositories: which configuration applies, from anywhere.

use std::path::Path;

use pao_app::{App, AppError, ConfigSource, RepositoryOptions};
use pao_git::ErrorKind;
use pao_testutil::{commit, git, write};

const CONFIG: &str = "[templates]\nenvironment = [\"AWS_REGION\"]\n";

fn state_repo(dir: &Path) {
    git(dir, &["init", "-q", "-b", "main"]);
    write(dir, "pao.toml", CONFIG);
    write(dir, "catalog/.keep", "");
    git(dir, &["add", "-A"]);
    commit(dir, "state", 1_700_000_000);
}

fn options(state: &Path) -> RepositoryOptions {
    RepositoryOptions { state_repo: Some(state.to_path_buf()), ..RepositoryOptions::default() }
}

#[test]
fn the_state_repositorys_work_tree_config_applies_from_anywhere() {
    let state = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    state_repo(state.path());
    let app = App::open_from(&options(state.path()), elsewhere.path()).unwrap();
    assert_eq!(app.config.templates.environment, ["AWS_REGION"]);
    assert_eq!(app.config_source, ConfigSource::WorkTree(state.path().join("pao.toml")));
    assert!(app.backend.describe().contains(&state.path().display().to_string()), "{}", app.backend.describe());
}

#[test]
fn a_bare_state_repository_uses_the_config_committed_on_its_base_branch() {
    let work = tempfile::tempdir().unwrap();
    state_repo(work.path());
    let bare = tempfile::tempdir().unwrap();
    let bare_path = bare.path().join("state.git");
    git(work.path(), &["clone", "-q", "--bare", ".", bare_path.to_str().unwrap()]);
    let app = App::open_from(&options(&bare_path), work.path()).unwrap();
    assert_eq!(app.config.templates.environment, ["AWS_REGION"]);
    assert_eq!(app.config_source, ConfigSource::Committed { branch: "main".into() });
}

#[test]
fn an_explicit_config_file_wins() {
    let state = tempfile::tempdir().unwrap();
    state_repo(state.path());
    write(state.path(), "other.toml", "[templates]\nenvironment = [\"OTHER\"]\n");
    let opts = RepositoryOptions { config: Some("other.toml".into()), ..options(state.path()) };
    let app = App::open_from(&opts, state.path()).unwrap();
    assert_eq!(app.config.templates.environment, ["OTHER"]);
    assert_eq!(app.config_source, ConfigSource::File(state.path().join("other.toml")));
}

#[test]
fn an_invalid_committed_config_is_an_error_naming_the_branch_and_line() {
    let work = tempfile::tempdir().unwrap();
    state_repo(work.path());
    write(work.path(), "pao.toml", "[templates]\nenvironmnet = []\n");
    git(work.path(), &["commit", "-qam", "typo"]);
    let bare = tempfile::tempdir().unwrap();
    let bare_path = bare.path().join("state.git");
    git(work.path(), &["clone", "-q", "--bare", ".", bare_path.to_str().unwrap()]);
    let err = App::open_from(&options(&bare_path), work.path()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    let message = err.to_string();
    assert!(message.starts_with("pao.toml on branch main:2:"), "{message}");
    assert!(message.contains("environmnet"), "{message}");
}

#[test]
fn outside_any_repository_the_error_says_to_pass_state_repo() {
    let dir = tempfile::tempdir().unwrap();
    let err = App::open_from(&RepositoryOptions::default(), dir.path()).unwrap_err();
    assert!(matches!(err, AppError::NoStateRepository { .. }), "{err}");
    assert!(err.to_string().contains("pass --state-repo"), "{err}");
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

#[test]
fn a_missing_state_repository_is_reported_with_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let err = App::open_from(&options(&dir.path().join("nope")), dir.path()).unwrap_err();
    assert!(err.to_string().contains("nope"), "{err}");
}

#[test]
fn github_without_a_token_is_a_configuration_error() {
    if std::env::var_os("GITHUB_TOKEN").is_some() {
        return; // The machine has a token; the refusal cannot be observed here.
    }
    let state = tempfile::tempdir().unwrap();
    state_repo(state.path());
    write(state.path(), "pao.toml", "[github]\nrepository = \"acme/state\"\n");
    let err = App::open_from(&options(state.path()), state.path()).unwrap_err();
    assert!(matches!(err, AppError::Github { .. }), "{err}");
    assert!(err.to_string().contains("GITHUB_TOKEN"), "{err}");
    // --local writes to the local repository all the same.
    let local = RepositoryOptions { local: true, ..options(state.path()) };
    App::open_from(&local, state.path()).unwrap();
}
