//! The request lifecycle end to end on real repositories made with the git CLI.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use pao_git::{BackendError, CatalogReader, ErrorKind, LocalBackend};
use pao_orchestrator::{
    ChangeState, DecommissionRequest, Hint, Operation, Orchestrator, OrchestratorError, RequestFilter, RequestStatus,
    Requester, SubmitRequest,
};
use pao_testutil::{git, write};
use serde_json::{Map, Value, json};

const PG: &str = include_str!("fixtures/pgsql.yaml");

/// A catalog work tree (branch main) and a bare state repository cloned from it.
fn setup(dir: &Path) -> (PathBuf, PathBuf) {
    let work = dir.join("catalog");
    std::fs::create_dir_all(&work).unwrap();
    git(&work, &["init", "-q", "-b", "main"]);
    write(&work, "catalog/databases/pgsql.yaml", PG);
    git(&work, &["add", "-A"]);
    git(&work, &["commit", "-q", "-m", "catalog"]);
    let state = dir.join("state.git");
    git(dir, &["clone", "-q", "--bare", work.to_str().unwrap(), state.to_str().unwrap()]);
    (work, state)
}

fn orchestrator(catalog: &Path, state: &Path) -> Orchestrator {
    Orchestrator::new(
        Arc::new(LocalBackend::open(state, None).unwrap()),
        Arc::new(CatalogReader::open(catalog).unwrap()),
        "main",
    )
}

fn values(v: Value) -> Map<String, Value> {
    v.as_object().unwrap().clone()
}

fn submit(team: &str, resource: &str, v: Value) -> SubmitRequest {
    SubmitRequest {
        item: "pgsql".into(),
        version: None,
        team: team.into(),
        resource: resource.into(),
        values: values(v),
        requester: Requester { id: "alice".into(), email: Some("alice@example.com".into()) },
        hint: Hint::Auto,
        idempotency_key: None,
        correlation_id: None,
    }
}

#[test]
fn submit_update_decommission_and_list() {
    let tmp = tempfile::tempdir().unwrap();
    let (catalog, state) = setup(tmp.path());
    let orch = orchestrator(&catalog, &state);

    let first = orch
        .submit(&submit(
            "payments",
            "orders-db",
            json!({ "instanceName": "orders", "masterPassword": "hunter2-secret" }),
        ))
        .unwrap();
    let request = &first.request;
    assert_eq!((request.status, request.operation), (RequestStatus::PrOpen, Operation::Create));
    assert_eq!(request.version, "1.0.0");
    assert_eq!(request.catalog_commit, git(&catalog, &["rev-parse", "main"]));
    let file = git(&state, &["show", &format!("{}:requests/payments/pgsql/orders-db.yaml", request.branch)]);
    assert!(!file.contains("hunter2"), "{file}");
    assert!(file.contains("instanceName: orders") && file.contains("size: small"), "{file}");
    assert!(file.contains("- masterPassword"), "redacted field listed: {file}");
    // The plan is rendered: values substituted, the password masked.
    assert!(file.contains("rendered: true") && file.contains("path: db/orders"), "{file}");
    assert!(file.contains("password: \"***\""), "{file}");
    assert!(file.contains("summary: Create orders"), "{file}");
    assert!(file.contains("create_db") && file.contains("dba_ticket") || file.contains("ticket"), "{file}");
    let body = git(&state, &["log", "-1", "--format=%B", &request.branch]);
    assert!(body.contains("`***`") && !body.contains("hunter2"), "{body}");
    assert!(body.contains("Pao-Requester: alice"), "{body}");

    // The same resource again while the first is open: refused, naming it.
    let err = orch.submit(&submit("payments", "orders-db", json!({ "instanceName": "orders" }))).unwrap_err();
    assert!(matches!(&err, OrchestratorError::Backend(BackendError::ResourceBusy { open, .. }) if *open == request.id));
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert_eq!(err.details()["openRequest"], json!(request.id));

    // Merge, then an update shows a diff; then a decommission removes the file.
    assert_eq!(orch.merge(&request.id).unwrap().status, RequestStatus::PrMerged);
    let update =
        orch.submit(&submit("payments", "orders-db", json!({ "instanceName": "orders", "size": "large" }))).unwrap();
    assert_eq!(update.request.operation, Operation::Update);
    let detail = orch.get(&update.request.id).unwrap();
    assert!(detail.diff.contains("-  size: small") && detail.diff.contains("+  size: large"), "{}", detail.diff);
    assert_eq!(detail.document.as_ref().unwrap()["values"]["size"], json!("large"));
    orch.merge(&update.request.id).unwrap();

    let decommission = orch
        .decommission(&DecommissionRequest {
            item: "pgsql".into(),
            team: "payments".into(),
            resource: "orders-db".into(),
            requester: Requester { id: "bob".into(), email: None },
            idempotency_key: None,
            correlation_id: Some("corr-1".into()),
        })
        .unwrap();
    assert_eq!(decommission.request.operation, Operation::Decommission);
    assert_eq!(decommission.request.version, "1.0.0");
    assert!(orch.get(&decommission.request.id).unwrap().diff.contains("-  size: large"));
    orch.merge(&decommission.request.id).unwrap();
    assert!(git(&state, &["ls-tree", "-r", "--name-only", "main"]).lines().all(|l| !l.starts_with("requests/")));

    let index = orch.submit(&submit("search", "index-db", json!({ "instanceName": "index" }))).unwrap().request.id;
    // Decommission by request id needs the file on the base branch first.
    let bob = Requester { id: "bob".into(), email: None };
    assert!(matches!(
        orch.decommission_by_id(&index, &bob, None, None),
        Err(OrchestratorError::NothingToDecommission { .. })
    ));
    let all = orch.list(&RequestFilter::default()).unwrap();
    assert_eq!(all.len(), 4);
    let payments = orch.list(&RequestFilter { team: Some("payments".into()), ..RequestFilter::default() }).unwrap();
    assert_eq!(payments.len(), 3);
    let open = orch.list(&RequestFilter { status: Some(RequestStatus::PrOpen), ..RequestFilter::default() }).unwrap();
    assert_eq!(open.len(), 1);
    let bobs = orch.list(&RequestFilter { requestor: Some("bob".into()), ..RequestFilter::default() }).unwrap();
    assert_eq!(bobs.len(), 1);
    assert_eq!(bobs[0].correlation_id, "corr-1");
}

#[test]
fn status_model_is_enforced_and_kept_in_git() {
    let tmp = tempfile::tempdir().unwrap();
    let (catalog, state) = setup(tmp.path());
    let orch = orchestrator(&catalog, &state);
    let id = orch.submit(&submit("payments", "orders-db", json!({ "instanceName": "orders" }))).unwrap().request.id;
    let err = orch.transition(&id, RequestStatus::Completed, "").unwrap_err();
    assert!(matches!(err, OrchestratorError::InvalidTransition { .. }), "{err}");
    orch.transition(&id, RequestStatus::PrMerged, "").unwrap();
    orch.transition(&id, RequestStatus::InProgress, "running create_db").unwrap();
    orch.transition(&id, RequestStatus::Failed, "create_db: HTTP 500").unwrap();
    orch.transition(&id, RequestStatus::Escalated, "handed to DBA").unwrap();
    orch.transition(&id, RequestStatus::Completed, "done by hand").unwrap();
    assert!(orch.abort(&id, "too late").is_err());
    let report = orch.status(&id).unwrap();
    let statuses: Vec<&str> = report.history.iter().map(|e| e.status.as_str()).collect();
    assert_eq!(
        statuses,
        ["submitted", "validating", "pr_open", "pr_merged", "in_progress", "failed", "escalated", "completed"]
    );
    assert_eq!(report.history[5].note, "create_db: HTTP 500");
    // The log is plain Git: a fresh orchestrator (another process) reads the same status.
    let again = orchestrator(&catalog, &state);
    assert_eq!(again.status(&id).unwrap().status, RequestStatus::Completed);
    assert!(git(&state, &["log", "--format=%s", &format!("refs/pao/status/{id}")]).contains("completed"));
    // DELETE /requests/{id}: decommission the resource a request created.
    let removal = orch.decommission_by_id(&id, &Requester { id: "bob".into(), email: None }, None, None).unwrap();
    assert_eq!((removal.request.operation, removal.request.resource.as_str()), (Operation::Decommission, "orders-db"));

    // Aborting an open request closes it and frees the resource.
    let second = orch.submit(&submit("payments", "other-db", json!({ "instanceName": "other" }))).unwrap().request.id;
    let aborted = orch.abort(&second, "not needed").unwrap();
    assert_eq!((aborted.status, aborted.state), (RequestStatus::Aborted, ChangeState::Closed));
    orch.submit(&submit("payments", "other-db", json!({ "instanceName": "other" }))).unwrap();
}

#[test]
fn invalid_input_is_refused_before_anything_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let (catalog, state) = setup(tmp.path());
    let orch = orchestrator(&catalog, &state);
    let err = orch.submit(&submit("payments", "orders-db", json!({ "size": "huge", "colour": "red" }))).unwrap_err();
    let OrchestratorError::InvalidValues { errors } = &err else { panic!("{err}") };
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert!(fields.contains(&"instanceName") && fields.contains(&"colour") && fields.contains(&"size"), "{fields:?}");
    assert_eq!(err.kind(), ErrorKind::Unprocessable);

    for (team, resource) in [
        ("../etc", "x"),
        ("payments", "../../main"),
        ("payments", "a/b"),
        ("refs/heads/main", "x"),
        ("payments", ".."),
        ("payments", "db\nPao-Status: completed"),
        ("payments", "bäse"),
        ("payments", "x.lock"),
        ("", "x"),
    ] {
        let err = orch.submit(&submit(team, resource, json!({ "instanceName": "orders" }))).unwrap_err();
        assert!(matches!(err, OrchestratorError::InvalidName(_)), "{team:?}/{resource:?}: {err}");
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
    }
    for id in ["../x", "refs/heads/main", "main", "req\n1", "ré-1"] {
        assert!(
            matches!(
                orch.get(id),
                Err(OrchestratorError::InvalidName(_)) | Err(OrchestratorError::Backend(BackendError::NotFound(_)))
            ),
            "{id:?}"
        );
    }
    let mut unknown = submit("payments", "x1", json!({}));
    unknown.item = "nope-item".into();
    assert!(matches!(orch.submit(&unknown), Err(OrchestratorError::ItemNotFound { .. })));
    assert!(orch.list(&RequestFilter::default()).unwrap().is_empty());
    assert_eq!(git(&state, &["for-each-ref", "refs/pao", "refs/heads/pao"]), "");
}

#[test]
fn identities_that_would_corrupt_a_commit_are_refused_before_anything_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let (catalog, state) = setup(tmp.path());
    let orch = orchestrator(&catalog, &state);
    for (id, email, field) in [
        ("ali\nce", None, "user id"),
        ("alice\n", None, "user id"),
        ("eve <root@x>", None, "user id"),
        ("", None, "user id"),
        ("alice", Some("alice@example.com\nPao-Status: completed"), "e-mail address"),
        ("alice", Some("alice>@example.com"), "e-mail address"),
    ] {
        let mut request = submit("payments", "orders-db", json!({ "instanceName": "orders" }));
        request.requester = Requester { id: id.into(), email: email.map(str::to_owned) };
        let err = orch.submit(&request).unwrap_err();
        assert!(matches!(err, OrchestratorError::InvalidIdentity(_)), "{id:?} {email:?}: {err}");
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert_eq!(err.code(), "invalid_identity");
        assert!(err.to_string().contains(field), "{err}");
        let decommission = orch.decommission(&DecommissionRequest {
            item: "pgsql".into(),
            team: "payments".into(),
            resource: "orders-db".into(),
            requester: request.requester.clone(),
            idempotency_key: None,
            correlation_id: None,
        });
        assert!(matches!(decommission, Err(OrchestratorError::InvalidIdentity(_))));
    }
    assert_eq!(git(&state, &["for-each-ref", "refs/pao", "refs/heads/pao"]), "");
    // A valid but unusual identity makes a commit `git fsck --strict` accepts.
    let mut request = submit("payments", "orders-db", json!({ "instanceName": "orders" }));
    request.requester = Requester { id: "Zoë O'Brien (platform)".into(), email: None };
    let opened = orch.submit(&request).unwrap();
    assert_eq!(opened.request.requester, "Zoë O'Brien (platform)");
    let author = git(&state, &["log", "-1", "--format=%an <%ae>", &opened.request.branch]);
    assert_eq!(author, "Zoë O'Brien (platform) <Zo--O-Brien--platform-@pao.invalid>");
    git(&state, &["fsck", "--strict"]);
    assert_eq!(orch.list_report(&RequestFilter::default()).unwrap().skipped, []);
}

#[test]
fn idempotency_key_replays_the_first_submit() {
    let tmp = tempfile::tempdir().unwrap();
    let (catalog, state) = setup(tmp.path());
    let orch = orchestrator(&catalog, &state);
    let mut request = submit("payments", "orders-db", json!({ "instanceName": "orders" }));
    request.idempotency_key = Some("key-123".into());
    let first = orch.submit(&request).unwrap();
    let retry = orch.submit(&request).unwrap();
    assert!(!first.replayed && retry.replayed);
    assert_eq!(first.request.id, retry.request.id);
    // The same key from another requester is another request.
    request.requester.id = "bob".into();
    request.resource = "bobs-db".into();
    let other = orch.submit(&request).unwrap();
    assert!(!other.replayed);
    assert_ne!(other.request.id, first.request.id);
    assert_eq!(orch.list(&RequestFilter::default()).unwrap().len(), 2);
}

#[test]
fn versions_default_to_latest_stable() {
    let tmp = tempfile::tempdir().unwrap();
    let (catalog, state) = setup(tmp.path());
    let beta = PG.replace("version: 1.0.0", "version: 2.0.0-beta.1").replace("status: stable", "status: beta");
    write(&catalog, "catalog/databases/pgsql.yaml", &beta);
    git(&catalog, &["commit", "-q", "-am", "beta"]);
    let orch = orchestrator(&catalog, &state);
    let default = orch.submit(&submit("payments", "a-db", json!({ "instanceName": "a" }))).unwrap();
    assert_eq!(default.request.version, "1.0.0");
    let mut pinned = submit("payments", "b-db", json!({ "instanceName": "b" }));
    pinned.version = Some("2.0.0-beta.1".into());
    assert_eq!(orch.submit(&pinned).unwrap().request.version, "2.0.0-beta.1");
    pinned.version = Some("3.0.0".into());
    pinned.resource = "c-db".into();
    assert!(matches!(orch.submit(&pinned), Err(OrchestratorError::ItemNotFound { version: Some(_), .. })));
}

#[test]
fn two_hundred_concurrent_submissions() {
    let tmp = tempfile::tempdir().unwrap();
    let (catalog, state) = setup(tmp.path());
    let orch = Arc::new(orchestrator(&catalog, &state));
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let orch = Arc::clone(&orch);
            std::thread::spawn(move || {
                (0..25)
                    .map(|n| {
                        let mut request =
                            submit("payments", &format!("db-{t}-{n}"), json!({ "instanceName": format!("db{t}x{n}") }));
                        request.idempotency_key = Some(format!("k-{t}-{n}"));
                        orch.submit(&request).unwrap().request.id
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut ids: Vec<String> = threads.into_iter().flat_map(|t| t.join().unwrap()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 200);
    let listed = orch.list(&RequestFilter::default()).unwrap();
    assert_eq!(listed.len(), 200);
    assert!(listed.iter().all(|r| r.status == RequestStatus::PrOpen));
    // One catalog tree: parsed at most once per racing thread, never per request.
    assert!(orch.catalog().parse_count() <= 8, "{}", orch.catalog().parse_count());
    git(&state, &["fsck", "--strict", "--no-dangling"]);
}

#[test]
fn catalog_and_state_in_one_work_tree_repository() {
    let tmp = tempfile::tempdir().unwrap();
    let (catalog, _) = setup(tmp.path());
    let orch = orchestrator(&catalog, &catalog);
    let id = orch.submit(&submit("payments", "orders-db", json!({ "instanceName": "orders" }))).unwrap().request.id;
    orch.merge(&id).unwrap();
    assert!(
        git(&catalog, &["ls-tree", "-r", "--name-only", "main"]).contains("requests/payments/pgsql/orders-db.yaml")
    );
    // The checked-out work tree follows the merge, as after `git merge`.
    assert_eq!(git(&catalog, &["status", "--porcelain"]), "");
    assert!(catalog.join("requests/payments/pgsql/orders-db.yaml").is_file());

    // With uncommitted changes there, a merge is refused rather than moving the branch under them.
    let second = orch.submit(&submit("payments", "other-db", json!({ "instanceName": "other" }))).unwrap().request.id;
    write(&catalog, "catalog/databases/pgsql.yaml", &PG.replace("Managed PostgreSQL", "Edited"));
    let err = orch.merge(&second).unwrap_err();
    assert!(matches!(err, OrchestratorError::Backend(BackendError::DirtyWorkTree { .. })), "{err}");
    assert_eq!(err.kind(), ErrorKind::Conflict);
    git(&catalog, &["checkout", "--", "."]);
    orch.merge(&second).unwrap();
    assert_eq!(git(&catalog, &["status", "--porcelain"]), "");
}

#[test]
fn concurrent_retries_with_one_idempotency_key_make_one_request() {
    let tmp = tempfile::tempdir().unwrap();
    let (catalog, state) = setup(tmp.path());
    let orch = Arc::new(orchestrator(&catalog, &state));
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let orch = Arc::clone(&orch);
            std::thread::spawn(move || {
                let mut request = submit("payments", "orders-db", json!({ "instanceName": "orders" }));
                request.idempotency_key = Some("same-key".into());
                orch.submit(&request).unwrap()
            })
        })
        .collect();
    let results: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let first: Vec<_> = results.iter().filter(|r| !r.replayed).collect();
    assert_eq!(first.len(), 1);
    assert!(results.iter().all(|r| r.request.id == first[0].request.id));
    assert_eq!(orch.list(&RequestFilter::default()).unwrap().len(), 1);
}

#[test]
fn an_item_whose_templates_fail_is_refused_without_writing() {
    let tmp = tempfile::tempdir().unwrap();
    let (catalog, state) = setup(tmp.path());
    // An optional field used without `| default(...)`: undefined when left empty.
    let broken =
        PG.replace("pgsql", "pgbroken").replace("fields.masterPassword | default('')", "fields.masterPassword");
    write(&catalog, "catalog/databases/pgbroken.yaml", &broken);
    git(&catalog, &["add", "-A"]);
    git(&catalog, &["commit", "-q", "-m", "broken item"]);
    let orch = orchestrator(&catalog, &state);
    let mut request = submit("payments", "orders-db", json!({ "instanceName": "orders" }));
    request.item = "pgbroken".into();
    match orch.submit(&request) {
        Err(err @ OrchestratorError::Render { .. }) => {
            assert!(err.to_string().contains("masterPassword"), "{err}");
            assert_eq!(err.kind(), ErrorKind::Unprocessable);
        }
        // Once pao_lint checks templates, the item never enters the catalog at all.
        Err(OrchestratorError::ItemNotFound { .. }) => {}
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(git(&state, &["for-each-ref", "refs/pao", "refs/heads/pao"]), "");
}
