//! `pao doctor` and the state repository's safety from the command line: the real binary on
//! repositories made with the git CLI.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, SystemTime};

use pao_testutil::git;

const ITEM: &str = include_str!("../../pao_orchestrator/tests/fixtures/pgsql.yaml");

fn pao(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pao")).args(args).current_dir(dir).env("PAO_USER", "alice").output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A catalog-and-state work tree on `main`, and a values file.
fn setup(dir: &Path) -> (PathBuf, PathBuf) {
    let repo = dir.join("platform");
    std::fs::create_dir_all(repo.join("catalog/databases")).unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    std::fs::write(repo.join("catalog/databases/pgsql.yaml"), ITEM).unwrap();
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "catalog"]);
    let values = dir.join("values.yaml");
    std::fs::write(&values, "instanceName: orders\n").unwrap();
    (repo, values)
}

fn submit_args<'a>(values: &'a Path, resource: &'a str) -> Vec<&'a str> {
    let values = values.to_str().unwrap();
    vec!["request", "submit", "--item", "pgsql", "--resource", resource, "--team", "payments", "--values", values]
}

/// Replaces the temporary directory in `text`.
fn redact(text: &str, dir: &Path) -> String {
    text.replace(&dir.canonicalize().unwrap().display().to_string(), "[TMP]")
        .replace(&dir.display().to_string(), "[TMP]")
}

#[test]
fn doctor_reports_a_stale_lock_that_submit_names_and_fix_removes_it() {
    let tmp = tempfile::tempdir().unwrap();
    let (repo, values) = setup(tmp.path());
    let healthy = pao(&repo, &["doctor"]);
    assert_eq!(healthy.status.code(), Some(0), "{}", stderr(&healthy));
    assert!(stdout(&healthy).ends_with("no problems found\n"), "{}", stdout(&healthy));

    // A submitter killed while holding the resource's lock.
    let lock = repo.join(".git/refs/pao/resources/payments/pgsql/orders-db.lock");
    std::fs::create_dir_all(lock.parent().unwrap()).unwrap();
    std::fs::write(&lock, "").unwrap();
    let file = std::fs::OpenOptions::new().write(true).open(&lock).unwrap();
    file.set_modified(SystemTime::now() - Duration::from_secs(3600)).unwrap();

    let refused = pao(&repo, &submit_args(&values, "orders-db"));
    assert_eq!(refused.status.code(), Some(1));
    insta::assert_snapshot!("submit_with_a_stale_lock", redact(&stderr(&refused), tmp.path()));

    let report = pao(&repo, &["doctor"]);
    assert_eq!(report.status.code(), Some(1));
    insta::assert_snapshot!("doctor_stale_lock", redact(&stdout(&report), tmp.path()));
    let fixed = pao(&repo, &["doctor", "--fix"]);
    assert_eq!(fixed.status.code(), Some(0), "{}", stdout(&fixed));
    assert!(stdout(&fixed).contains("  fixed: remove the lock file"), "{}", stdout(&fixed));
    assert!(!lock.exists());
    let json: serde_json::Value = serde_json::from_str(&stdout(&pao(&repo, &["doctor", "--json"]))).unwrap();
    assert_eq!((json["healthy"].clone(), json["problems"].clone()), (serde_json::json!(true), serde_json::json!([])));

    let opened = pao(&repo, &submit_args(&values, "orders-db"));
    assert!(opened.status.success(), "{}", stderr(&opened));
}

#[test]
fn a_newline_in_the_user_is_refused_and_a_damaged_request_does_not_break_the_listing() {
    let tmp = tempfile::tempdir().unwrap();
    let (repo, values) = setup(tmp.path());
    let refused = Command::new(env!("CARGO_BIN_EXE_pao"))
        .args(submit_args(&values, "orders-db"))
        .current_dir(&repo)
        .env_remove("PAO_USER")
        .env("USER", "ali\nce")
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(1));
    insta::assert_snapshot!("submit_with_a_newline_in_user", stderr(&refused));
    let bad_email =
        pao(&repo, &[&submit_args(&values, "orders-db")[..], &["--email", "a>b@example.com", "--json"]].concat());
    assert_eq!(bad_email.status.code(), Some(1));
    let body: serde_json::Value = serde_json::from_str(&stdout(&bad_email)).unwrap();
    assert_eq!(body["error"]["code"], "invalid_identity");
    assert_eq!(body["error"]["details"]["field"], "email");
    assert_eq!(git(&repo, &["for-each-ref", "refs/pao", "refs/heads/pao"]), "", "nothing written");

    // A request commit written before identities were validated: listed as skipped, not fatal.
    let ok = pao(&repo, &submit_args(&values, "orders-db"));
    assert!(ok.status.success(), "{}", stderr(&ok));
    let tree = git(&repo, &["rev-parse", "main^{tree}"]);
    let commit = format!(
        "tree {tree}\nauthor ali\nce <a@example.com> 1700000000 +0000\ncommitter PAO <pao@localhost> 1700000000 +0000\n\nold\n\nPao-Request-Id: req-0bad\n"
    );
    let path = tmp.path().join("commit");
    std::fs::write(&path, commit).unwrap();
    let oid = git(&repo, &["hash-object", "-t", "commit", "--literally", "-w", path.to_str().unwrap()]);
    git(&repo, &["update-ref", "refs/heads/pao/requests/req-0bad", &oid]);
    let list = pao(&repo, &["request", "list"]);
    assert_eq!(list.status.code(), Some(0), "{}", stderr(&list));
    assert_eq!(stdout(&list).lines().count(), 2, "header and the readable request: {}", stdout(&list));
    assert!(stderr(&list).contains("warning: skipped pao/requests/req-0bad: "), "{}", stderr(&list));
    assert!(stderr(&list).contains("run `pao doctor`"), "{}", stderr(&list));
    let json: serde_json::Value = serde_json::from_str(&stdout(&pao(&repo, &["request", "list", "--json"]))).unwrap();
    assert_eq!(json["data"].as_array().unwrap().len(), 1);
    assert_eq!(json["skipped"][0]["location"], "pao/requests/req-0bad");
    let doctor = pao(&repo, &["doctor", "--fix"]);
    assert_eq!(doctor.status.code(), Some(1), "a damaged request needs a person");
    assert!(stdout(&doctor).contains("unreadable_request: request req-0bad cannot be read"), "{}", stdout(&doctor));
}

#[test]
fn a_base_that_names_no_branch_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let (repo, values) = setup(tmp.path());
    let out = pao(&repo, &[&submit_args(&values, "orders-db")[..], &["--base", "mian"]].concat());
    assert_eq!(out.status.code(), Some(2));
    insta::assert_snapshot!("submit_with_an_unknown_base", redact(&stderr(&out), tmp.path()));
    assert_eq!(git(&repo, &["for-each-ref", "refs/pao", "refs/heads/pao"]), "");
}
