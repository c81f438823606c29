//! `pao request` end to end: the real binary on repositories made with the git CLI.

use std::path::Path;
use std::process::{Command, Output};

use pao_testutil::git;

const ITEM: &str = include_str!("../../pao_orchestrator/tests/fixtures/pgsql.yaml");

fn pao(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pao")).args(args).current_dir(dir).env("PAO_USER", "alice").output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn submit_merge_update_and_list_in_the_current_repository() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("platform");
    std::fs::create_dir_all(repo.join("catalog/databases")).unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    std::fs::write(repo.join("catalog/databases/pgsql.yaml"), ITEM).unwrap();
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "catalog"]);
    std::fs::write(tmp.path().join("values.yaml"), "instanceName: orders\nmasterPassword: s3cret-s3cret\n").unwrap();
    let values = tmp.path().join("values.yaml");
    let values = values.to_str().unwrap();

    let submit = ["request", "submit", "--item", "pgsql", "--resource", "orders-db", "--team", "payments"];
    let out = pao(&repo, &[&submit[..], &["--values", values, "--json", "--idempotency-key", "k1"]].concat());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let id = json["request"]["id"].as_str().unwrap().to_owned();
    assert_eq!(json["request"]["status"], "pr_open");
    assert_eq!(json["request"]["requester"], "alice");
    // The retry replays; a new submit for the open resource is refused (exit 1) naming it.
    let again = pao(&repo, &[&submit[..], &["--values", values, "--json", "--idempotency-key", "k1"]].concat());
    assert_eq!(serde_json::from_str::<serde_json::Value>(&stdout(&again)).unwrap()["replayed"], true);
    let busy = pao(&repo, &[&submit[..], &["--values", values]].concat());
    assert_eq!(busy.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&busy.stderr).contains(&id));

    let show = git(&repo, &["show", &format!("pao/requests/{id}:requests/payments/pgsql/orders-db.yaml")]);
    assert!(!show.contains("s3cret"), "{show}");

    let merged = pao(&repo, &["request", "merge", &id]);
    assert!(merged.status.success(), "{}", String::from_utf8_lossy(&merged.stderr));
    let status = pao(&repo, &["request", "status", &id]);
    assert!(stdout(&status).starts_with(&format!("{id}: pr_merged")), "{}", stdout(&status));

    std::fs::write(tmp.path().join("values.yaml"), "instanceName: orders\nsize: large\n").unwrap();
    let update = pao(&repo, &[&submit[..], &["--values", values]].concat());
    assert!(stdout(&update).starts_with("update request"), "{}", stdout(&update));

    let list = pao(&repo, &["request", "list", "--team", "payments"]);
    let text = stdout(&list);
    assert_eq!(text.lines().count(), 3, "{text}");
    assert!(text.contains("pr_merged") && text.contains("pr_open"), "{text}");
    let none = pao(&repo, &["request", "list", "--requestor", "bob", "--json"]);
    assert_eq!(serde_json::from_str::<serde_json::Value>(&stdout(&none)).unwrap()["data"], serde_json::json!([]));

    let invalid = pao(
        &repo,
        &["request", "submit", "--item", "pgsql", "--resource", "../x", "--team", "payments", "--values", values],
    );
    assert_eq!(invalid.status.code(), Some(1));
    let missing = pao(&repo, &["request", "get", "req-nope", "--json"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(stdout(&missing).contains("request_not_found"));
    // A merged request can be escalated; retry needs a failed one.
    let escalated = pao(&repo, &["request", "escalate", &id, "--reason", "needs a DBA"]);
    assert!(stdout(&escalated).contains("escalated"), "{}", String::from_utf8_lossy(&escalated.stderr));
    let history = stdout(&pao(&repo, &["request", "status", &id]));
    assert!(history.contains("escalated") && history.contains("needs a DBA"), "{history}");
    // Retry runs fulfilment again: the fixture's terraform action writes its files (a follow-up
    // branch: the base does not hold them) and waits for the team's pipeline to apply them.
    let retry = pao(&repo, &["request", "retry", &id, "--json"]);
    assert_eq!(retry.status.code(), Some(0), "{}", String::from_utf8_lossy(&retry.stderr));
    let report: serde_json::Value = serde_json::from_str(&stdout(&retry)).unwrap();
    assert_eq!(report["status"], "in_progress", "{report:#}");
    assert!(report["waitingOn"].as_str().unwrap().starts_with("terraform "), "{report:#}");
    let branch = report["actions"][0]["outputs"]["branch"].as_str().unwrap().to_owned();
    assert_eq!(branch, format!("pao/terraform/{id}/create_db"));
    let logs = stdout(&pao(&repo, &["request", "logs", &id]));
    assert!(logs.contains("create_db: attempt 1 waiting"), "{logs}");
    let aborted = pao(&repo, &["request", "abort", &id]);
    assert!(stdout(&aborted).contains("aborted"), "{}", String::from_utf8_lossy(&aborted.stderr));
    let retry_again = pao(&repo, &["request", "retry", &id, "--json"]);
    assert_eq!(retry_again.status.code(), Some(1));
    assert!(stdout(&retry_again).contains("\"conflict\""), "{}", stdout(&retry_again));
    let bad_status = pao(&repo, &["request", "list", "--status", "done"]);
    assert_eq!(bad_status.status.code(), Some(2));
}

#[test]
fn github_configuration_needs_a_token_and_local_overrides_it() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("platform");
    std::fs::create_dir_all(repo.join("catalog/databases")).unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    std::fs::write(repo.join("catalog/databases/pgsql.yaml"), ITEM).unwrap();
    std::fs::write(repo.join("pao.toml"), "[github]\nrepository = \"acme/platform-state\"\n").unwrap();
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "catalog"]);
    let run = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_pao"))
            .args([&["request", "list"], extra].concat())
            .current_dir(&repo)
            .env_remove("GITHUB_TOKEN")
            .output()
            .unwrap()
    };
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("GITHUB_TOKEN"), "{}", String::from_utf8_lossy(&out.stderr));
    let local = run(&["--local"]);
    assert!(local.status.success(), "{}", String::from_utf8_lossy(&local.stderr));
    assert_eq!(stdout(&local), "no requests\n");
}
