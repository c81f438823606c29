//! `pao request execute`, `pao worker` and `pao request logs` end to end: the real binary,
//! repositories made with the git CLI, and recording HTTP servers on loopback as targets.
//! The crash test kills the executor with SIGKILL in the middle of a multi-action request.

use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use pao_testutil::git;
use pao_testutil::http::{MockServer, Reply};

fn item(one: &str, two: &str, three: &str) -> String {
    format!(
        r#"{head}fulfillment:
  strategy: automated
  automated:
    actions:
      - id: one
        name: One
        type: rest-api
        config:
          method: POST
          url: "{one}/one"
          body: {{ name: "{{{{ fields.instanceName }}}}" }}
      - id: two
        name: Two
        type: webhook
        timeoutSeconds: 3
        config:
          url: "{two}/two"
          secret: hook-key
      - id: three
        name: Three
        type: rest-api
        config:
          method: PUT
          url: "{three}/three"
"#,
        head = pao_testutil::item_head("pgsql", "PostgreSQL")
    )
}

fn pao(dir: &Path, args: &[&str]) -> Output {
    command(dir, args).output().unwrap()
}

fn command(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pao"));
    command.args(args).current_dir(dir).env("PAO_USER", "alice").env("PAO_SECRET_HOOK_KEY", "hk-crash-test");
    command
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A repository with the item and `pao.toml`, and a merged request; returns its id.
fn merged(repo: &Path, item: &str) -> String {
    std::fs::create_dir_all(repo.join("catalog/databases")).unwrap();
    git(repo, &["init", "-q", "-b", "main"]);
    std::fs::write(repo.join("catalog/databases/pgsql.yaml"), item).unwrap();
    std::fs::write(repo.join("pao.toml"), "[executor]\nlease-seconds = 1\n").unwrap();
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "-q", "-m", "catalog"]);
    let values = repo.join("../values.yaml");
    std::fs::write(&values, "instanceName: orders\n").unwrap();
    let submit = pao(
        repo,
        &[
            "request",
            "submit",
            "--item",
            "pgsql",
            "--resource",
            "orders-db",
            "--team",
            "payments",
            "--values",
            values.to_str().unwrap(),
            "--json",
        ],
    );
    assert!(submit.status.success(), "{}", String::from_utf8_lossy(&submit.stderr));
    let id = serde_json::from_str::<serde_json::Value>(&stdout(&submit)).unwrap()["request"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let merge = pao(repo, &["request", "merge", &id]);
    assert!(merge.status.success(), "{}", String::from_utf8_lossy(&merge.stderr));
    id
}

fn wait_for(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn keys(server: &MockServer) -> Vec<String> {
    server.received().iter().map(|r| r.header("idempotency-key").unwrap_or_default().to_owned()).collect()
}

#[test]
fn a_killed_executor_resumes_without_running_a_completed_action_twice() {
    let one = MockServer::start(|_| Reply::empty(201));
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&calls);
    // The first call to `two` hangs: the executor is killed while it waits for the answer.
    let two = MockServer::start(move |_| {
        if counter.fetch_add(1, Ordering::SeqCst) == 0 {
            Reply::empty(204).after(Duration::from_secs(20))
        } else {
            Reply::empty(204)
        }
    });
    let three = MockServer::start(|_| Reply::empty(200));
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("platform");
    let id = merged(&repo, &item(&one.url, &two.url, &three.url));

    let mut child = command(&repo, &["request", "execute", &id]).spawn().unwrap();
    wait_for("the call to `two`", Duration::from_secs(30), || !two.received().is_empty());
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert_eq!(one.received().len(), 1);
    assert!(three.received().is_empty());
    let logs = stdout(&pao(&repo, &["request", "logs", &id]));
    assert!(
        logs.contains("automated/one: attempt 1 succeeded") && logs.contains("automated/two: attempt 1 started"),
        "{logs}"
    );
    assert!(!logs.contains("automated/two: attempt 1 succeeded"), "{logs}");

    // The dead executor's lease runs out (lease-seconds 1 + the attempt's 3 s), then the next
    // execute takes it over and resumes.
    let mut last = None;
    wait_for("the lease to expire", Duration::from_secs(20), || {
        let out = pao(&repo, &["request", "execute", &id, "--json"]);
        let done = out.status.success();
        last = Some(out);
        done
    });
    let report: serde_json::Value = serde_json::from_str(&stdout(last.as_ref().unwrap())).unwrap();
    assert_eq!(report["status"], "completed", "{report:#}");
    assert_eq!(keys(&one), [format!("{id}.one")], "a completed action never runs again");
    assert_eq!(
        keys(&two),
        [format!("{id}.two"), format!("{id}.two")],
        "the interrupted call is made again with its key"
    );
    assert_eq!(keys(&three), [format!("{id}.three")]);
    assert_eq!(two.received()[1].header("x-pao-signature-256"), two.received()[0].header("x-pao-signature-256"));

    let follow = pao(&repo, &["request", "logs", &id, "--follow"]);
    assert!(follow.status.success());
    assert!(stdout(&follow).contains("completed"), "{}", stdout(&follow));
    let status = stdout(&pao(&repo, &["request", "status", &id]));
    assert!(status.contains("completed") && status.contains("automated/two"), "{status}");
}

#[test]
fn the_worker_executes_merged_requests_once() {
    let one = MockServer::start(|_| Reply::empty(201));
    let two = MockServer::start(|_| Reply::empty(204));
    let three = MockServer::start(|_| Reply::empty(200));
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("platform");
    let id = merged(&repo, &item(&one.url, &two.url, &three.url));
    let worker = pao(&repo, &["worker", "--once"]);
    assert!(worker.status.success(), "{}", String::from_utf8_lossy(&worker.stderr));
    assert!(String::from_utf8_lossy(&worker.stderr).contains(&format!("executed {id}")));
    let again = pao(&repo, &["worker", "--once"]);
    assert!(again.status.success());
    assert_eq!((one.received().len(), two.received().len(), three.received().len()), (1, 1, 1));
    let status = stdout(&pao(&repo, &["request", "status", &id, "--json"]));
    let status: serde_json::Value = serde_json::from_str(&status).unwrap();
    assert_eq!(status["status"], "completed");
    assert_eq!(status["fulfilment"]["actions"].as_array().unwrap().len(), 3);
}

/// `pao request logs <id> --follow`, started before the execution, prints each record as it is
/// written (the first action's success arrives while the second is still waiting for its
/// answer) and exits by itself once the request has settled.
#[test]
fn logs_follow_streams_the_log_as_it_grows() {
    use std::io::BufRead;
    let one = MockServer::start(|_| Reply::empty(201));
    let two = MockServer::start(|_| Reply::empty(204).after(Duration::from_secs(2)));
    let three = MockServer::start(|_| Reply::empty(200));
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("platform");
    let id = merged(&repo, &item(&one.url, &two.url, &three.url));

    let mut follow =
        command(&repo, &["request", "logs", &id, "--follow"]).stdout(std::process::Stdio::piped()).spawn().unwrap();
    let (lines, received) = std::sync::mpsc::channel();
    let reader = follow.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(reader).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let mut execute = command(&repo, &["request", "execute", &id]).spawn().unwrap();
    let mut seen = Vec::new();
    while !seen.iter().any(|l: &String| l.contains("automated/one: attempt 1 succeeded")) {
        seen.push(received.recv_timeout(Duration::from_secs(30)).expect("a log line while the execution runs"));
    }
    assert!(execute.try_wait().unwrap().is_none(), "the line came while the execution was still running: {seen:?}");
    assert!(three.received().is_empty(), "and before the third action ran");
    assert!(execute.wait().unwrap().success());
    let start = Instant::now();
    while follow.try_wait().unwrap().is_none() {
        assert!(start.elapsed() < Duration::from_secs(20), "--follow did not end after the request completed");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(follow.wait().unwrap().success());
    seen.extend(received.try_iter());
    let text = seen.join("\n");
    assert!(text.contains("automated/three: attempt 1 succeeded") && text.contains("completed"), "{text}");
}
