//! The local backend on real repositories: branches, compare-and-swap refs, merges, status log,
//! idempotency, concurrency and crash safety.

mod common;

use std::path::Path;
use std::sync::Arc;

use common::{commit, git, work_repo, write};
use pao_git::{
    BackendError, ChangeSpec, ChangeState, Identity, LocalBackend, Operation, RequestId, RequestStatus, ResourceKey,
    StateBackend,
};

fn bare_state(dir: &Path) -> std::path::PathBuf {
    let work = work_repo(dir);
    write(&work, "README.md", "state\n");
    commit(&work, "init", 1_700_000_000);
    let bare = dir.join("state.git");
    git(dir, &["clone", "-q", "--bare", work.to_str().unwrap(), bare.to_str().unwrap()]);
    bare
}

fn spec(id: &str, resource: &str, content: Option<&str>) -> ChangeSpec {
    ChangeSpec {
        id: RequestId::parse(id).unwrap(),
        key: ResourceKey::parse("payments", "pgsql", resource).unwrap(),
        operation: if content.is_some() { Operation::Create } else { Operation::Decommission },
        content: content.map(str::to_owned),
        extra_files: Vec::new(),
        title: format!("Request {id}"),
        body: "body".to_owned(),
        labels: vec!["pao".to_owned()],
        trailers: vec![("Pao-Requester".to_owned(), "alice".to_owned())],
        author: Identity::parse("alice", Some("alice@example.com")).unwrap(),
        idempotency_key: None,
    }
}

fn id(text: &str) -> RequestId {
    RequestId::parse(text).unwrap()
}

#[test]
fn open_merge_close_and_status_log() {
    let tmp = tempfile::tempdir().unwrap();
    let bare = bare_state(tmp.path());
    let backend = LocalBackend::open(&bare, None).unwrap();

    let opened = backend.open_change(&spec("req-0001", "orders-db", Some("a: 1\n"))).unwrap();
    assert!(!opened.replayed);
    assert_eq!(opened.change.state, ChangeState::Open);
    assert_eq!(opened.change.status, RequestStatus::PrOpen);
    assert_eq!(opened.change.metadata["Pao-Requester"], "alice");
    assert_eq!(git(&bare, &["rev-parse", "pao/requests/req-0001"]), opened.change.head);

    // Same resource again while open: refused, naming the open request.
    let err = backend.open_change(&spec("req-0002", "orders-db", Some("a: 2\n"))).unwrap_err();
    assert!(matches!(&err, BackendError::ResourceBusy { open, .. } if open == "req-0001"), "{err}");
    assert!(err.to_string().contains("req-0001"));
    // The id is taken too.
    assert!(matches!(backend.open_change(&spec("req-0001", "other", Some("x"))), Err(BackendError::AlreadyExists(_))));

    // Another resource based on the same commit: after the first merge (fast-forward) the
    // second needs a real merge commit.
    backend.open_change(&spec("req-0003", "billing-db", Some("b: 1\n"))).unwrap();
    let merged = backend.merge(&id("req-0001")).unwrap();
    assert_eq!((merged.state, merged.status), (ChangeState::Merged, RequestStatus::PrMerged));
    assert_eq!(git(&bare, &["rev-parse", "main"]), merged.head, "fast-forward");
    backend.merge(&id("req-0003")).unwrap();
    let parents = git(&bare, &["log", "-1", "--format=%P", "main"]);
    assert_eq!(parents.split(' ').count(), 2, "merge commit: {parents}");
    assert_eq!(backend.read_base_file("requests/payments/pgsql/orders-db.yaml").unwrap().as_deref(), Some("a: 1\n"));
    assert_eq!(backend.base_request_files().unwrap().len(), 2);
    assert!(matches!(backend.merge(&id("req-0001")), Err(BackendError::NotOpen { .. })));

    // After the merge the resource is free: an update shows a diff against the merged file.
    let mut update = spec("req-0004", "orders-db", Some("a: 2\n"));
    update.operation = Operation::Update;
    backend.open_change(&update).unwrap();
    let diff = backend.diff(&id("req-0004")).unwrap();
    assert!(diff.contains("-a: 1") && diff.contains("+a: 2"), "{diff}");
    let closed = backend.close(&id("req-0004"), RequestStatus::Aborted, "changed my mind").unwrap();
    assert_eq!((closed.state, closed.status), (ChangeState::Closed, RequestStatus::Aborted));
    let history = backend.status_history(&id("req-0004")).unwrap();
    let statuses: Vec<_> = history.iter().map(|e| e.status).collect();
    assert_eq!(
        statuses,
        [RequestStatus::Submitted, RequestStatus::Validating, RequestStatus::PrOpen, RequestStatus::Aborted]
    );
    assert_eq!(history[3].note, "changed my mind");

    // Decommission removes the file.
    backend.open_change(&spec("req-0005", "orders-db", None)).unwrap();
    backend.merge(&id("req-0005")).unwrap();
    assert_eq!(backend.read_base_file("requests/payments/pgsql/orders-db.yaml").unwrap(), None);
    assert!(matches!(backend.open_change(&spec("req-0006", "orders-db", None)), Err(BackendError::NoSuchFile { .. })));

    // Status transitions after the merge are recorded in Git.
    backend.record_status(&id("req-0003"), RequestStatus::InProgress, "running").unwrap();
    assert_eq!(backend.change(&id("req-0003")).unwrap().status, RequestStatus::InProgress);
    assert_eq!(backend.changes().unwrap().changes.len(), 4);
    assert!(matches!(backend.change(&id("req-9999")), Err(BackendError::NotFound(_))));
    git(&bare, &["fsck", "--strict"]);
}

#[test]
fn idempotency_key_returns_the_first_result() {
    let tmp = tempfile::tempdir().unwrap();
    let bare = bare_state(tmp.path());
    let backend = LocalBackend::open(&bare, None).unwrap();
    let mut first = spec("req-0001", "orders-db", Some("a: 1\n"));
    first.idempotency_key = Some("alice\0key-1".to_owned());
    let mut retry = spec("req-0002", "orders-db", Some("a: 1\n"));
    retry.idempotency_key = first.idempotency_key.clone();
    let a = backend.open_change(&first).unwrap();
    let b = backend.open_change(&retry).unwrap();
    assert!(b.replayed);
    assert_eq!(a.change.id, b.change.id);
    assert_eq!(backend.changes().unwrap().changes.len(), 1);
}

#[test]
fn empty_repository_gets_its_base_branch_on_first_merge() {
    let tmp = tempfile::tempdir().unwrap();
    let bare = tmp.path().join("empty.git");
    git(tmp.path(), &["init", "-q", "--bare", "-b", "main", bare.to_str().unwrap()]);
    let backend = LocalBackend::open(&bare, None).unwrap();
    backend.open_change(&spec("req-0001", "orders-db", Some("a: 1\n"))).unwrap();
    backend.merge(&id("req-0001")).unwrap();
    assert_eq!(git(&bare, &["show", "main:requests/payments/pgsql/orders-db.yaml"]), "a: 1");
}

#[test]
fn two_hundred_concurrent_submissions_all_land() {
    let tmp = tempfile::tempdir().unwrap();
    let bare = bare_state(tmp.path());
    let backend = Arc::new(LocalBackend::open(&bare, None).unwrap());
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let backend = Arc::clone(&backend);
            std::thread::spawn(move || {
                for n in 0..25 {
                    let i = t * 25 + n;
                    let content = format!("n: {i}\n");
                    backend.open_change(&spec(&format!("req-{i:04}"), &format!("db-{i}"), Some(&content))).unwrap();
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    // Plus eight threads racing for one resource: exactly one wins, the others are told who.
    let racers: Vec<_> = (0..8)
        .map(|t| {
            let backend = Arc::clone(&backend);
            std::thread::spawn(move || backend.open_change(&spec(&format!("race-{t:02}"), "contested", Some("x: 1\n"))))
        })
        .collect();
    let results: Vec<_> = racers.into_iter().map(|r| r.join().unwrap()).collect();
    let winners: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(winners.len(), 1);
    for loser in results.iter().filter_map(|r| r.as_ref().err()) {
        assert!(matches!(loser, BackendError::ResourceBusy { open, .. } if *open == winners[0].change.id.to_string()));
    }

    let changes = backend.changes().unwrap().changes;
    assert_eq!(changes.len(), 201);
    for i in 0..200 {
        let branch = format!("pao/requests/req-{i:04}");
        let content = git(&bare, &["show", &format!("{branch}:requests/payments/pgsql/db-{i}.yaml")]);
        assert_eq!(content, format!("n: {i}"));
    }
    git(&bare, &["fsck", "--strict", "--no-dangling"]);
}

#[test]
fn crash_before_the_ref_update_leaves_nothing_visible() {
    let tmp = tempfile::tempdir().unwrap();
    let bare = bare_state(tmp.path());
    let backend = LocalBackend::open(&bare, None).unwrap();
    {
        // A submitter that wrote its objects (and even claimed the resource lock) and then died
        // before creating the branch.
        let repo = git2::Repository::open(&bare).unwrap();
        let blob = repo.blob(b"half: written\n").unwrap();
        let mut builder = git2::build::TreeUpdateBuilder::new();
        builder.upsert("requests/payments/pgsql/orders-db.yaml", blob, git2::FileMode::Blob);
        let base = repo.find_commit(repo.refname_to_id("refs/heads/main").unwrap()).unwrap();
        let tree = repo.find_tree(builder.create_updated(&repo, &base.tree().unwrap()).unwrap()).unwrap();
        let sig = git2::Signature::now("x", "x@example.com").unwrap();
        let message = "crashed\n\nPao-Request-Id: req-dead\nPao-Operation: create\nPao-Team: payments\nPao-Item: pgsql\nPao-Resource: orders-db\n";
        let orphan = repo.commit(None, &sig, &sig, message, &tree, &[&base]).unwrap();
        repo.reference("refs/pao/resources/payments/pgsql/orders-db", orphan, false, "crash").unwrap();
    }
    assert!(backend.changes().unwrap().changes.is_empty(), "no half-written request is visible");
    assert!(matches!(backend.change(&id("req-dead")), Err(BackendError::NotFound(_))));
    let opened = backend.open_change(&spec("req-0001", "orders-db", Some("a: 1\n"))).unwrap();
    assert_eq!(opened.change.status, RequestStatus::PrOpen);
    assert_eq!(backend.changes().unwrap().changes.len(), 1);
    git(&bare, &["fsck", "--strict"]);
}

/// Run by [`several_processes_submit_concurrently`] in child processes.
#[test]
#[ignore = "child process of several_processes_submit_concurrently"]
fn child_submitter() {
    let (Ok(repo), Ok(child)) = (std::env::var("PAO_TEST_STATE"), std::env::var("PAO_TEST_CHILD")) else { return };
    let backend = LocalBackend::open(&repo, None).unwrap();
    for n in 0..25 {
        backend.open_change(&spec(&format!("p{child}-{n:04}"), &format!("p{child}-db-{n}"), Some("x: 1\n"))).unwrap();
    }
}

#[test]
fn several_processes_submit_concurrently() {
    let tmp = tempfile::tempdir().unwrap();
    let bare = bare_state(tmp.path());
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..4)
        .map(|child| {
            std::process::Command::new(&exe)
                .args(["--exact", "child_submitter", "--ignored", "--quiet"])
                .env("PAO_TEST_STATE", &bare)
                .env("PAO_TEST_CHILD", child.to_string())
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    let backend = LocalBackend::open(&bare, None).unwrap();
    assert_eq!(backend.changes().unwrap().changes.len(), 100);
    git(&bare, &["fsck", "--strict", "--no-dangling"]);
}

/// `changes_of` reads each change as `change` does, in the order asked, across its reader
/// threads (more than one share of ids), with a missing one an error in its place.
#[test]
fn changes_of_reads_what_change_reads_in_order() {
    let tmp = tempfile::tempdir().unwrap();
    let bare = bare_state(tmp.path());
    let backend = LocalBackend::open(&bare, None).unwrap();
    let mut ids = Vec::new();
    for n in 0..600 {
        let text = format!("req-{n:04}");
        backend.open_change(&spec(&text, &format!("db-{n}"), Some("a: 1\n"))).unwrap();
        ids.push(id(&text));
    }
    backend.merge(&ids[7]).unwrap();
    ids.reverse();
    ids.insert(300, id("req-9999"));
    let read = backend.changes_of(&ids).unwrap();
    assert_eq!(read.len(), ids.len());
    for (asked, got) in ids.iter().zip(&read) {
        match backend.change(asked) {
            Ok(one) => assert_eq!(got.as_ref().unwrap(), &one, "{asked}"),
            Err(BackendError::NotFound(_)) => assert!(matches!(got, Err(BackendError::NotFound(_))), "{asked}"),
            Err(err) => panic!("{asked}: {err}"),
        }
    }
    assert_eq!(read[ids.len() - 1 - 7].as_ref().unwrap().state, ChangeState::Merged);
}

/// A request merged outside PAO (its pull request merged on GitHub, and the state repository
/// fetched) has no `pr_merged` record; the history has the change at the merge commit's time,
/// the same on every read and before what the executor records next.
#[test]
fn a_merge_made_outside_pao_is_in_the_history_at_the_merge_commits_time() {
    let tmp = tempfile::tempdir().unwrap();
    let bare = bare_state(tmp.path());
    let backend = LocalBackend::open(&bare, None).unwrap();
    backend.open_change(&spec("req-0001", "orders-db", Some("a: 1\n"))).unwrap();
    let clone = tmp.path().join("clone");
    git(tmp.path(), &["clone", "-q", bare.to_str().unwrap(), clone.to_str().unwrap()]);
    git(&clone, &["fetch", "-q", "origin", "pao/requests/req-0001"]);
    let merge_env = [("GIT_COMMITTER_DATE", "2026-11-30T10:00:00Z"), ("GIT_AUTHOR_DATE", "2026-11-30T10:00:00Z")];
    let status = std::process::Command::new("git")
        .args([
            "-c",
            "user.name=GitHub",
            "-c",
            "user.email=noreply@github.com",
            "merge",
            "-q",
            "--no-ff",
            "-m",
            "Merge pull request #1",
            "FETCH_HEAD",
        ])
        .current_dir(&clone)
        .envs(merge_env)
        .status()
        .unwrap();
    assert!(status.success());
    git(&clone, &["commit", "-q", "--allow-empty", "-m", "a later commit on main"]);
    git(&clone, &["push", "-q", "origin", "main"]);

    let request = id("req-0001");
    assert_eq!(backend.change(&request).unwrap().status, RequestStatus::PrMerged);
    let history = backend.status_history(&request).unwrap();
    let merged = history.last().unwrap();
    assert_eq!(merged.status, RequestStatus::PrMerged);
    assert_eq!(merged.at, "2026-11-30T10:00:00Z", "the merge commit's time, not the later commit's");
    assert_eq!(merged.note, "merged into main outside PAO");
    backend.record_status(&request, RequestStatus::InProgress, "fulfilment started").unwrap();
    let statuses: Vec<(String, String)> = backend
        .status_history(&request)
        .unwrap()
        .into_iter()
        .skip(3)
        .map(|e| (e.status.to_string(), if e.status == RequestStatus::PrMerged { e.at } else { String::new() }))
        .collect();
    assert_eq!(
        statuses,
        [("pr_merged".to_owned(), "2026-11-30T10:00:00Z".to_owned()), ("in_progress".to_owned(), String::new())]
    );
}
