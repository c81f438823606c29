//! The state repository is never corrupted or half-changed: a failure injected after every
//! step of submit, merge, abort and decommission leaves it before or after the operation
//! (same refs as before, or the operation's result; `git fsck --strict` clean either way);
//! identities that would break a commit are refused before anything is written; one damaged
//! request does not take the listing down; held locks are reported at once; `doctor` finds
//! and repairs leftovers.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use common::{commit, git, work_repo, write};
use pao_git::{
    BackendError, ChangeSpec, ChangeState, ErrorKind, Identity, LocalBackend, Operation, ProblemKind, RequestId,
    RequestStatus, ResourceKey, StateBackend,
};

fn bare_state(dir: &Path) -> PathBuf {
    let work = work_repo(dir);
    write(&work, "README.md", "state\n");
    commit(&work, "init", 1_700_000_000);
    let bare = dir.join("state.git");
    git(dir, &["clone", "-q", "--bare", work.to_str().unwrap(), bare.to_str().unwrap()]);
    bare
}

/// A non-bare state repository with `main` checked out (the `pao request` default).
fn checked_out_state(dir: &Path) -> PathBuf {
    let work = work_repo(dir);
    write(&work, "README.md", "state\n");
    commit(&work, "init", 1_700_000_000);
    work
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
        idempotency_key: Some(format!("key-{id}")),
    }
}

fn id(text: &str) -> RequestId {
    RequestId::parse(text).unwrap()
}

/// Every ref and what it points at.
fn refs(repo: &Path) -> BTreeMap<String, String> {
    git(repo, &["for-each-ref", "--format=%(refname) %(objectname)"])
        .lines()
        .filter_map(|line| line.split_once(' ').map(|(name, oid)| (name.to_owned(), oid.to_owned())))
        .collect()
}

fn assert_sound(repo: &Path) {
    git(repo, &["fsck", "--strict", "--no-progress"]);
    if repo.join(".git").exists() {
        assert_eq!(git(repo, &["status", "--porcelain", "--untracked-files=no"]), "", "work tree and index match HEAD");
    }
}

fn injected(result: &Result<impl std::fmt::Debug, BackendError>) -> bool {
    matches!(result, Err(err) if err.to_string().contains("injected fault"))
}

/// Runs `operation` with a failure injected after step 1, 2, ... until it succeeds; after each
/// injected failure the refs must be exactly as before, after success `after` checks the result.
/// Returns how many failure points there were.
fn each_failure_point<T: std::fmt::Debug>(
    make: impl Fn(&Path) -> PathBuf,
    prepare: impl Fn(&LocalBackend),
    operation: impl Fn(&LocalBackend) -> Result<T, BackendError>,
    after: impl Fn(&Path, &LocalBackend, T),
) -> usize {
    for n in 1..20 {
        let tmp = tempfile::tempdir().unwrap();
        let repo = make(tmp.path());
        let backend = LocalBackend::open(&repo, None).unwrap();
        prepare(&backend);
        let before = refs(&repo);
        backend.fail_at_step(n);
        let result = operation(&backend);
        if injected(&result) {
            assert_eq!(refs(&repo), before, "a failure after step {n} changed refs: {result:?}");
            assert_sound(&repo);
            continue;
        }
        let value = result.unwrap_or_else(|err| panic!("step {n}: {err}"));
        assert_sound(&repo);
        after(&repo, &backend, value);
        return n - 1;
    }
    panic!("the operation never succeeded");
}

#[test]
fn a_failure_after_any_step_of_submit_leaves_no_ref() {
    let points = each_failure_point(
        bare_state,
        |_| {},
        |backend| backend.open_change(&spec("req-0001", "orders-db", Some("a: 1\n"))),
        |repo, backend, opened| {
            let all = refs(repo);
            assert_eq!(all["refs/heads/pao/requests/req-0001"], opened.change.head);
            assert_eq!(all["refs/pao/resources/payments/pgsql/orders-db"], opened.change.head);
            assert_eq!(all.keys().filter(|name| name.starts_with("refs/pao/idempotency/")).count(), 1);
            assert_eq!(backend.change(&id("req-0001")).unwrap().status, RequestStatus::PrOpen);
        },
    );
    assert!(points >= 2, "objects written, refs written: {points}");
}

#[test]
fn a_failure_after_any_step_of_decommission_leaves_no_ref() {
    let points = each_failure_point(
        bare_state,
        |backend| {
            backend.open_change(&spec("req-0001", "orders-db", Some("a: 1\n"))).unwrap();
            backend.merge(&id("req-0001")).unwrap();
        },
        |backend| backend.open_change(&spec("req-0002", "orders-db", None)),
        |repo, backend, opened| {
            assert_eq!(opened.change.operation, Operation::Decommission);
            assert_eq!(refs(repo)["refs/pao/resources/payments/pgsql/orders-db"], opened.change.head);
            assert!(backend.diff(&id("req-0002")).unwrap().contains("-a: 1"));
        },
    );
    assert!(points >= 2);
}

fn merge_after(repo: &Path, backend: &LocalBackend, merged: pao_git::ChangeInfo) {
    assert_eq!((merged.state, merged.status), (ChangeState::Merged, RequestStatus::PrMerged));
    let all = refs(repo);
    assert!(!all.contains_key("refs/pao/resources/payments/pgsql/orders-db"), "the resource is free");
    assert_eq!(backend.change(&merged.id).unwrap().status, RequestStatus::PrMerged);
    let history = backend.status_history(&merged.id).unwrap();
    assert_eq!(history.iter().filter(|e| e.status == RequestStatus::PrMerged).count(), 1, "{history:?}");
    assert_eq!(backend.read_base_file("requests/payments/pgsql/orders-db.yaml").unwrap().as_deref(), Some("a: 1\n"));
}

#[test]
fn a_failure_after_any_step_of_a_merge_commit_leaves_the_base_branch_alone() {
    let points = each_failure_point(
        bare_state,
        |backend| {
            // Two requests on the same base: merging the second needs a real merge commit.
            backend.open_change(&spec("req-0001", "orders-db", Some("a: 1\n"))).unwrap();
            backend.open_change(&spec("req-0002", "billing-db", Some("b: 1\n"))).unwrap();
            backend.merge(&id("req-0002")).unwrap();
        },
        |backend| backend.merge(&id("req-0001")),
        |repo, backend, merged| {
            assert_eq!(git(repo, &["log", "-1", "--format=%P", "main"]).split(' ').count(), 2);
            merge_after(repo, backend, merged);
        },
    );
    assert!(points >= 2, "{points}");
}

#[test]
fn a_failure_after_any_step_of_a_merge_into_a_checked_out_base_restores_the_work_tree() {
    let points = each_failure_point(
        checked_out_state,
        |backend| {
            backend.open_change(&spec("req-0001", "orders-db", Some("a: 1\n"))).unwrap();
        },
        |backend| backend.merge(&id("req-0001")),
        |repo, backend, merged| {
            assert_eq!(std::fs::read_to_string(repo.join("requests/payments/pgsql/orders-db.yaml")).unwrap(), "a: 1\n");
            merge_after(repo, backend, merged);
        },
    );
    assert!(points >= 3, "objects, refs, work tree: {points}");
}

#[test]
fn a_failure_after_any_step_of_abort_leaves_the_request_open() {
    let points = each_failure_point(
        bare_state,
        |backend| {
            backend.open_change(&spec("req-0001", "orders-db", Some("a: 1\n"))).unwrap();
        },
        |backend| backend.close(&id("req-0001"), RequestStatus::Aborted, "not needed"),
        |repo, backend, closed| {
            assert_eq!((closed.state, closed.status), (ChangeState::Closed, RequestStatus::Aborted));
            assert!(!refs(repo).contains_key("refs/pao/resources/payments/pgsql/orders-db"));
            assert_eq!(backend.change(&id("req-0001")).unwrap().status, RequestStatus::Aborted);
        },
    );
    assert!(points >= 2);
}

#[test]
fn a_held_index_lock_refuses_the_merge_before_the_base_branch_moves() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = checked_out_state(tmp.path());
    let backend = LocalBackend::open(&repo, None).unwrap();
    backend.open_change(&spec("req-0001", "orders-db", Some("a: 1\n"))).unwrap();
    let before = refs(&repo);
    std::fs::write(repo.join(".git/index.lock"), "").unwrap();
    let err = backend.merge(&id("req-0001")).unwrap_err();
    assert!(matches!(&err, BackendError::Locked { lock_file, .. } if lock_file.ends_with("index.lock")), "{err}");
    assert_eq!(err.kind(), ErrorKind::Busy);
    assert_eq!(refs(&repo), before, "main did not move, no status was recorded");
    std::fs::remove_file(repo.join(".git/index.lock")).unwrap();
    assert_sound(&repo);
    assert_eq!(backend.change(&id("req-0001")).unwrap().status, RequestStatus::PrOpen);
    backend.merge(&id("req-0001")).unwrap();
    assert_sound(&repo);
}

/// Makes `path` look `age` old.
fn age_file(path: &Path, age: Duration) {
    let file = std::fs::OpenOptions::new().write(true).open(path).unwrap();
    file.set_modified(SystemTime::now() - age).unwrap();
}

#[test]
fn a_stale_ref_lock_is_reported_at_once_with_its_file_age_and_fix() {
    let tmp = tempfile::tempdir().unwrap();
    let bare = bare_state(tmp.path());
    let backend = LocalBackend::open(&bare, None).unwrap();
    let lock = bare.join("refs/pao/resources/payments/pgsql/orders-db.lock");
    std::fs::create_dir_all(lock.parent().unwrap()).unwrap();
    std::fs::write(&lock, "").unwrap();
    age_file(&lock, Duration::from_secs(3 * 60 + 5));

    let started = Instant::now();
    let err = backend.open_change(&spec("req-0001", "orders-db", Some("a: 1\n"))).unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2), "reported at once, not after retries: {:?}", started.elapsed());
    assert_eq!(err.kind(), ErrorKind::Busy);
    let message = err.to_string();
    assert!(message.contains(&lock.display().to_string()), "{message}");
    assert!(message.contains("held for 3m 5s") || message.contains("held for 3m 6s"), "{message}");
    assert!(message.contains("pao doctor --fix"), "{message}");
    assert!(refs(&bare).keys().all(|name| !name.contains("pao/")), "nothing written");

    // Other resources are not affected; doctor lists the lock and removes it.
    backend.open_change(&spec("req-0002", "billing-db", Some("b: 1\n"))).unwrap();
    let report = backend.doctor(false).unwrap();
    assert_eq!(report.problems.len(), 1, "{report:?}");
    assert_eq!(report.problems[0].kind, ProblemKind::StaleLock);
    assert!(!report.healthy());
    let fixed = backend.doctor(true).unwrap();
    assert!(fixed.healthy() && fixed.problems[0].fixed, "{fixed:?}");
    assert!(!lock.exists());
    backend.open_change(&spec("req-0001", "orders-db", Some("a: 1\n"))).unwrap();
    assert!(backend.doctor(false).unwrap().problems.is_empty());
}

#[test]
fn a_base_that_names_no_branch_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let bare = bare_state(tmp.path());
    let err = LocalBackend::open(&bare, Some("mian")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.to_string().contains("branch `mian` does not exist") && err.to_string().contains("main"), "{err}");
    assert!(matches!(LocalBackend::open(&bare, Some("a..b")), Err(BackendError::InvalidBranch { .. })));

    // The base branch deleted under a running backend: a submit is refused, not parentless.
    let backend = LocalBackend::open(&bare, None).unwrap();
    git(&bare, &["branch", "-q", "keep", "main"]);
    git(&bare, &["update-ref", "-d", "refs/heads/main"]);
    let before = refs(&bare);
    let err = backend.open_change(&spec("req-0001", "orders-db", Some("a: 1\n"))).unwrap_err();
    assert!(matches!(&err, BackendError::NoBaseBranch { branches, .. } if branches == &["keep"]), "{err}");
    assert_eq!(refs(&bare), before);
}

/// Writes a request branch whose commit has a newline in its author name, as PAO did before
/// identities were validated.
fn damaged_request(repo: &Path, id: &str) {
    let tree = git(repo, &["rev-parse", "main^{tree}"]);
    let parent = git(repo, &["rev-parse", "main"]);
    let body = format!(
        "tree {tree}\nparent {parent}\nauthor ali\nce <alice@example.com> 1700000000 +0000\ncommitter PAO <pao@localhost> 1700000000 +0000\n\nbad\n\nPao-Request-Id: {id}\nPao-Operation: create\nPao-Team: payments\nPao-Item: pgsql\nPao-Resource: bad-db\n"
    );
    let path = repo.join("damaged-commit");
    std::fs::write(&path, body).unwrap();
    let oid = git(repo, &["hash-object", "-t", "commit", "--literally", "-w", path.to_str().unwrap()]);
    std::fs::remove_file(&path).unwrap();
    git(repo, &["update-ref", &format!("refs/heads/pao/requests/{id}"), &oid]);
}

#[test]
fn one_unreadable_request_is_reported_and_skipped_by_the_listing() {
    let tmp = tempfile::tempdir().unwrap();
    let bare = bare_state(tmp.path());
    let backend = LocalBackend::open(&bare, None).unwrap();
    backend.open_change(&spec("req-0001", "orders-db", Some("a: 1\n"))).unwrap();
    damaged_request(&bare, "req-0bad");
    let listed = backend.changes().unwrap();
    assert_eq!(listed.changes.len(), 1);
    assert_eq!(listed.unreadable.len(), 1, "{listed:?}");
    assert_eq!(listed.unreadable[0].location, "pao/requests/req-0bad");
    assert!(listed.unreadable[0].error.contains("req-0bad") || listed.unreadable[0].error.contains("signature"));
    let report = backend.doctor(true).unwrap();
    assert!(report.problems.iter().any(|p| p.kind == ProblemKind::UnreadableRequest && !p.fixed), "{report:?}");
    assert!(!report.healthy(), "an unreadable request needs a person");
}

#[test]
fn doctor_finds_and_repairs_dangling_refs() {
    let tmp = tempfile::tempdir().unwrap();
    let bare = bare_state(tmp.path());
    let backend = LocalBackend::open(&bare, None).unwrap();
    let open = backend.open_change(&spec("req-0001", "orders-db", Some("a: 1\n"))).unwrap().change;
    let gone = backend.open_change(&spec("req-0002", "billing-db", Some("b: 1\n"))).unwrap().change;
    // A crash left: the resource ref and idempotency ref of a request whose branch is gone, an
    // open request without its resource ref, and a status log without a branch.
    git(&bare, &["update-ref", "-d", "refs/heads/pao/requests/req-0002"]);
    git(&bare, &["update-ref", "-d", "refs/pao/resources/payments/pgsql/orders-db"]);
    git(&bare, &["update-ref", "refs/pao/status/req-0003", &git(&bare, &["rev-parse", "main"])]);

    let report = backend.doctor(false).unwrap();
    let kinds: Vec<_> = report.problems.iter().map(|p| (p.kind, p.subject.as_str())).collect();
    assert_eq!(
        kinds,
        [
            (ProblemKind::UnheldResource, "refs/pao/resources/payments/pgsql/orders-db"),
            (ProblemKind::OrphanResourceRef, "refs/pao/resources/payments/pgsql/billing-db"),
            (
                ProblemKind::DanglingIdempotencyRef,
                format!("refs/pao/idempotency/{}", pao_git::idempotency_digest("key-req-0002")).as_str()
            ),
            (ProblemKind::OrphanStatusLog, "refs/pao/status/req-0003"),
        ]
    );
    assert!(report.problems.iter().all(|p| !p.fixed));
    assert!(report.problems[1].message.contains(&gone.head), "{}", report.problems[1].message);

    let fixed = backend.doctor(true).unwrap();
    assert_eq!(fixed.problems.iter().filter(|p| p.fixed).count(), 3, "{fixed:?}");
    let all = refs(&bare);
    assert_eq!(all["refs/pao/resources/payments/pgsql/orders-db"], open.head);
    assert!(!all.contains_key("refs/pao/resources/payments/pgsql/billing-db"));
    let left = backend.doctor(false).unwrap();
    assert_eq!(left.problems.len(), 1);
    assert_eq!(left.problems[0].kind, ProblemKind::OrphanStatusLog);
    // The repaired resource ref works: the resource is busy again.
    let err = backend.open_change(&spec("req-0004", "orders-db", Some("a: 2\n"))).unwrap_err();
    assert!(matches!(err, BackendError::ResourceBusy { .. }), "{err}");
    git(&bare, &["fsck", "--strict"]);
}

#[test]
fn a_stale_lock_on_the_base_branch_refuses_the_merge_at_once_and_a_live_one_is_waited_for() {
    let tmp = tempfile::tempdir().unwrap();
    let bare = bare_state(tmp.path());
    let backend = LocalBackend::open(&bare, None).unwrap();
    backend.open_change(&spec("req-0001", "orders-db", Some("a: 1\n"))).unwrap();
    let before = refs(&bare);
    let lock = bare.join("refs/heads/main.lock");
    std::fs::write(&lock, "").unwrap();
    age_file(&lock, Duration::from_secs(600));
    let started = Instant::now();
    let err = backend.merge(&id("req-0001")).unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    assert!(matches!(&err, BackendError::Locked { age_seconds, .. } if *age_seconds >= 600), "{err}");
    assert_eq!(refs(&bare), before);

    // A live writer's lock (fresh, released soon) is waited for, not reported.
    std::fs::write(&lock, "").unwrap();
    let release = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(400));
        std::fs::remove_file(lock).unwrap();
    });
    let merged = backend.merge(&id("req-0001")).unwrap();
    release.join().unwrap();
    assert_eq!(merged.status, RequestStatus::PrMerged);
    git(&bare, &["fsck", "--strict"]);
}
