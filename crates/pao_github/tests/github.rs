//! The GitHub backend against a loopback server speaking GitHub's REST API (see `mock/`).

mod mock;

use std::path::Path;
use std::sync::Arc;

use pao_git::{BackendError, CatalogReader, StateBackend};
use pao_github::{GithubBackend, GithubConfig};
use pao_orchestrator::{
    ChangeState, Hint, Operation, Orchestrator, OrchestratorError, RequestFilter, RequestStatus, Requester,
    SubmitRequest,
};
use pao_testutil::git;
use serde_json::json;

const ITEM: &str = include_str!("fixtures/pgsql.yaml");

fn submit(resource: &str, values: serde_json::Value) -> SubmitRequest {
    SubmitRequest {
        item: "pgsql".into(),
        version: None,
        team: "payments".into(),
        resource: resource.into(),
        values: values.as_object().unwrap().clone(),
        requester: Requester { id: "alice".into(), email: Some("alice@example.com".into()) },
        hint: Hint::Auto,
        idempotency_key: None,
        correlation_id: None,
    }
}

/// A catalog repository (work tree) and the "GitHub" repository behind the mock (bare).
fn setup(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let work = dir.join("work");
    std::fs::create_dir_all(work.join("catalog/databases")).unwrap();
    git(&work, &["init", "-q", "-b", "main"]);
    std::fs::write(work.join("catalog/databases/pgsql.yaml"), ITEM).unwrap();
    git(&work, &["add", "-A"]);
    git(&work, &["commit", "-q", "-m", "catalog"]);
    let remote = dir.join("remote.git");
    git(dir, &["clone", "-q", "--bare", work.to_str().unwrap(), remote.to_str().unwrap()]);
    (work, remote)
}

#[test]
fn requests_become_pull_requests() {
    let tmp = tempfile::tempdir().unwrap();
    let (work, remote) = setup(tmp.path());
    let (api, server) = mock::start(&remote);
    let config = GithubConfig::new("acme/state", Some(&api), None, Some(mock::TOKEN.into())).unwrap();
    let backend = Arc::new(GithubBackend::new(config).unwrap());
    let orch = Orchestrator::new(backend.clone(), Arc::new(CatalogReader::open(&work).unwrap()), "main");

    let mut first = submit("orders-db", json!({ "instanceName": "orders", "masterPassword": "hunter2-hunter2" }));
    first.idempotency_key = Some("retry-me".into());
    let opened = orch.submit(&first).unwrap();
    let request = &opened.request;
    assert_eq!((request.status, request.number), (RequestStatus::PrOpen, Some(1)));
    assert_eq!(request.url.as_deref(), Some("https://ghe.example.com/acme/state/pull/1"));
    {
        let mock = server.lock().unwrap();
        let pull = &mock.pulls[0];
        assert_eq!(pull.title, "Create pgsql orders-db for team payments");
        assert!(pull.body.contains("| Requester | alice <alice@example.com> |"), "{}", pull.body);
        assert!(pull.body.contains("`***`") && !pull.body.contains("hunter2"), "{}", pull.body);
        assert!(pull.body.contains("### Action plan") && pull.body.contains("create_db"), "{}", pull.body);
        assert!(pull.labels.contains(&"pao".to_owned()) && pull.labels.contains(&"pao:status:pr_open".to_owned()));
        assert!(mock.log.iter().any(|l| l.starts_with("POST /api/v3/repos/acme/state/git/trees")));
    }
    let file = git(&remote, &["show", &format!("{}:requests/payments/pgsql/orders-db.yaml", request.branch)]);
    assert!(file.contains("instanceName: orders") && !file.contains("hunter2"), "{file}");

    // Retry replays; the same resource while open is refused, naming the open request.
    let replay = orch.submit(&first).unwrap();
    assert!(replay.replayed);
    assert_eq!(replay.request.id, request.id);
    let busy = orch.submit(&submit("orders-db", json!({ "instanceName": "orders" }))).unwrap_err();
    assert!(
        matches!(&busy, OrchestratorError::Backend(BackendError::ResourceBusy { open, .. }) if *open == request.id),
        "{busy}"
    );

    // Merge through the API; the base branch on "GitHub" now has the file.
    let merged = orch.merge(&request.id).unwrap();
    assert_eq!((merged.status, merged.state), (RequestStatus::PrMerged, ChangeState::Merged));
    assert!(git(&remote, &["ls-tree", "-r", "--name-only", "main"]).contains("requests/payments/pgsql/orders-db.yaml"));
    assert!(backend.read_base_file("requests/payments/pgsql/orders-db.yaml").unwrap().unwrap().contains("orders"));
    assert_eq!(backend.base_request_files().unwrap().len(), 1);

    // An update is a second pull request with a diff.
    let update = orch.submit(&submit("orders-db", json!({ "instanceName": "orders", "size": "large" }))).unwrap();
    assert_eq!(update.request.operation, Operation::Update);
    let detail = orch.get(&update.request.id).unwrap();
    assert!(detail.diff.contains("-  size: small") && detail.diff.contains("+  size: large"), "{}", detail.diff);
    assert_eq!(detail.document.unwrap()["values"]["size"], json!("large"));

    // Status transitions are labels plus comments, read back from the pull request.
    orch.transition(&request.id, RequestStatus::InProgress, "running create_db").unwrap();
    orch.transition(&request.id, RequestStatus::Completed, "").unwrap();
    let report = orch.status(&request.id).unwrap();
    assert_eq!(report.status, RequestStatus::Completed);
    let statuses: Vec<&str> = report.history.iter().map(|e| e.status.as_str()).collect();
    assert_eq!(statuses, ["submitted", "validating", "pr_open", "pr_merged", "in_progress", "completed"]);
    assert_eq!(report.history[4].note, "running create_db");
    assert_eq!(server.lock().unwrap().pulls[0].labels.iter().filter(|l| l.starts_with("pao:status:")).count(), 1);

    // Abort closes the pull request.
    let aborted = orch.abort(&update.request.id, "not now").unwrap();
    assert_eq!((aborted.status, aborted.state), (RequestStatus::Aborted, ChangeState::Closed));
    assert_eq!(server.lock().unwrap().pulls[1].state, "closed");

    let all = orch.list(&RequestFilter::default()).unwrap();
    assert_eq!(all.len(), 2);
    let open = orch.list(&RequestFilter { status: Some(RequestStatus::PrOpen), ..RequestFilter::default() }).unwrap();
    assert!(open.is_empty());
}

/// A pull request merged or closed in GitHub's own page leaves no PAO comment; the history
/// still has the change (at the pull request's own time), so it can be announced.
#[test]
fn a_merge_or_close_on_github_is_in_the_history() {
    let tmp = tempfile::tempdir().unwrap();
    let (work, remote) = setup(tmp.path());
    let (api, server) = mock::start(&remote);
    let config = GithubConfig::new("acme/state", Some(&api), None, Some(mock::TOKEN.into())).unwrap();
    let backend = Arc::new(GithubBackend::new(config).unwrap());
    let orch = Orchestrator::new(backend, Arc::new(CatalogReader::open(&work).unwrap()), "main");
    let merged = orch.submit(&submit("orders-db", json!({ "instanceName": "orders" }))).unwrap().request;
    let closed = orch.submit(&submit("events-db", json!({ "instanceName": "events" }))).unwrap().request;
    server.lock().unwrap().close_on_github(merged.number.unwrap(), true);
    server.lock().unwrap().close_on_github(closed.number.unwrap(), false);
    for (request, status, how) in
        [(&merged, RequestStatus::PrMerged, "merged"), (&closed, RequestStatus::PrClosed, "closed")]
    {
        let report = orch.status(&request.id).unwrap();
        assert_eq!(report.status, status);
        let last = report.history.last().unwrap();
        assert_eq!(last.status, status, "{:?}", report.history);
        assert_eq!(last.note, format!("pull request #{} {how} on GitHub", request.number.unwrap()));
        assert!(pao_git::parse_rfc3339(&last.at).is_some(), "{}", last.at);
        assert_eq!(orch.status(&request.id).unwrap().history, report.history, "the same on every read");
    }
    // Once PAO records what follows, the derived change keeps its place before it.
    orch.transition(&merged.id, RequestStatus::InProgress, "running").unwrap();
    let statuses: Vec<&str> = orch.status(&merged.id).unwrap().history.iter().map(|e| e.status.as_str()).collect();
    assert_eq!(statuses, ["submitted", "validating", "pr_open", "pr_merged", "in_progress"]);
}

#[test]
fn bad_token_and_async_callers() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, remote) = setup(tmp.path());
    let (api, _server) = mock::start(&remote);
    let wrong =
        GithubBackend::new(GithubConfig::new("acme/state", Some(&api), None, Some("nope".into())).unwrap()).unwrap();
    let err = wrong.changes().unwrap_err();
    assert!(matches!(&err, BackendError::Remote { status: 401, message, .. } if message == "Bad credentials"), "{err}");

    // Called from async code (as an HTTP server would, by mistake, without spawn_blocking):
    // no "runtime within a runtime" panic.
    let backend =
        GithubBackend::new(GithubConfig::new("acme/state", Some(&api), None, Some(mock::TOKEN.into())).unwrap())
            .unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let changes = runtime.block_on(async { backend.changes() }).unwrap();
    assert!(changes.changes.is_empty() && changes.unreadable.is_empty());
}

#[test]
fn a_submit_that_fails_after_its_branch_exists_is_taken_back() {
    let tmp = tempfile::tempdir().unwrap();
    let (work, remote) = setup(tmp.path());
    let (api, server) = mock::start(&remote);
    let config = GithubConfig::new("acme/state", Some(&api), None, Some(mock::TOKEN.into())).unwrap();
    let backend = Arc::new(GithubBackend::new(config).unwrap());
    let orch = Orchestrator::new(backend.clone(), Arc::new(CatalogReader::open(&work).unwrap()), "main");

    // Labelling fails after the branch and the pull request exist.
    server.lock().unwrap().fail.push(("POST".into(), "/labels".into()));
    let err = orch.submit(&submit("orders-db", json!({ "instanceName": "orders" }))).unwrap_err();
    assert!(matches!(&err, OrchestratorError::Backend(BackendError::Remote { status: 502, .. })), "{err}");
    let branches = git(&remote, &["for-each-ref", "--format=%(refname)", "refs/heads/pao/"]);
    assert_eq!(branches, "", "the branch is deleted again");
    let listed = backend.changes().unwrap();
    assert!(listed.changes.iter().all(|c| c.state == ChangeState::Closed), "{listed:?}");
    // So the resource is not blocked: the next submit opens normally.
    let opened = orch.submit(&submit("orders-db", json!({ "instanceName": "orders" }))).unwrap();
    assert_eq!(opened.request.status, RequestStatus::PrOpen);
}

#[test]
fn a_pull_request_without_the_pao_block_is_reported_not_fatal() {
    let tmp = tempfile::tempdir().unwrap();
    let (work, remote) = setup(tmp.path());
    let (api, server) = mock::start(&remote);
    let config = GithubConfig::new("acme/state", Some(&api), None, Some(mock::TOKEN.into())).unwrap();
    let backend = Arc::new(GithubBackend::new(config).unwrap());
    let orch = Orchestrator::new(backend.clone(), Arc::new(CatalogReader::open(&work).unwrap()), "main");
    orch.submit(&submit("orders-db", json!({ "instanceName": "orders" }))).unwrap();
    // A person edits the body of another PAO pull request and removes the block.
    orch.submit(&submit("billing-db", json!({ "instanceName": "billing" }))).unwrap();
    server.lock().unwrap().pulls[1].body = "edited by hand".into();
    let listed = orch.list_report(&RequestFilter::default()).unwrap();
    assert_eq!(listed.requests.len(), 1);
    assert_eq!(listed.skipped.len(), 1);
    assert_eq!(listed.skipped[0].location, "pull request #2");
    assert!(listed.skipped[0].error.contains("no PAO block"), "{}", listed.skipped[0].error);
}

/// A `terraform` action's follow-up change is a branch and a pull request on GitHub; every step
/// is find-or-create, so a call that failed half-way is completed by the next one, and a change
/// merged into the base is found there.
#[test]
fn follow_up_changes_are_pull_requests() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, remote) = setup(tmp.path());
    let (api, server) = mock::start(&remote);
    let config = GithubConfig::new("acme/state", Some(&api), None, Some(mock::TOKEN.into())).unwrap();
    let backend = GithubBackend::new(config).unwrap();
    let id = pao_git::RequestId::parse("20261202-120000-ab12cd34").unwrap();
    let files = vec![
        ("infra/orders/main.tf.json".to_owned(), "{\"module\":{}}\n".to_owned()),
        ("infra/orders/terraform.tfvars.json".to_owned(), "{\"size\":\"small\"}\n".to_owned()),
    ];
    let message = "terraform: create_db of request 20261202-120000-ab12cd34\n\nWrites both files.\n\npao-x.create_db";

    // Opening the pull request fails once, after the branch exists: the next call opens it.
    server.lock().unwrap().fail.push(("POST".into(), "pulls".into()));
    let err = backend.place_follow_up(&id, "create_db", &files, message).unwrap_err();
    assert!(matches!(&err, BackendError::Remote { status: 502, .. }), "{err}");
    let branch = "pao/terraform/20261202-120000-ab12cd34/create_db";
    let tip = git(&remote, &["rev-parse", branch]);
    assert!(server.lock().unwrap().pulls.is_empty());

    let placed = backend.place_follow_up(&id, "create_db", &files, message).unwrap();
    let pao_git::FilesAt::FollowUp { branch: got, commit, created, url } = placed else { panic!("{placed:?}") };
    assert_eq!((got.as_str(), commit.as_str(), created), (branch, tip.trim(), false), "the branch of the first call");
    assert_eq!(url.as_deref(), Some("https://ghe.example.com/acme/state/pull/1"));
    {
        let mock = server.lock().unwrap();
        assert_eq!(mock.pulls.len(), 1);
        let pull = &mock.pulls[0];
        assert_eq!(pull.title, "terraform: create_db of request 20261202-120000-ab12cd34");
        assert_eq!((pull.head.as_str(), pull.base.as_str()), (branch, "main"));
        assert!(pull.body.contains("pao-x.create_db"), "{}", pull.body);
        assert_eq!(pull.labels, ["pao", "pao:terraform"]);
    }
    let content = git(&remote, &["show", &format!("{branch}:infra/orders/terraform.tfvars.json")]);
    assert_eq!(content.trim_end(), "{\"size\":\"small\"}");
    let log = git(&remote, &["log", "-1", "--format=%B", branch]);
    assert!(log.contains("pao-x.create_db") && log.contains("Pao-Request-Id: 20261202-120000-ab12cd34"), "{log}");
    assert_eq!(git(&remote, &["rev-parse", &format!("{branch}^")]), git(&remote, &["rev-parse", "main"]));

    // Called again: the same change, nothing new written.
    let again = backend.place_follow_up(&id, "create_db", &files, message).unwrap();
    assert!(
        matches!(&again, pao_git::FilesAt::FollowUp { commit: c, created: false, .. } if *c == commit),
        "{again:?}"
    );
    assert_eq!(server.lock().unwrap().pulls.len(), 1);

    // Once the team merges it, the base holds the files: nothing to write.
    git(tmp.path(), &["--git-dir", remote.to_str().unwrap(), "update-ref", "refs/heads/main", &commit]);
    let merged = backend.place_follow_up(&id, "create_db", &files, message).unwrap();
    assert_eq!(merged, pao_git::FilesAt::Base(commit));
}
