//! The CLI's remote mode against a real `pao serve` on loopback: the same commands with
//! `--api` print what they print on the state repository (text and `--json`), refusals carry
//! the server's message and exit 1, and an unreachable server exits 2. `pao catalog` without
//! `--api` runs the same API in-process, so both modes are compared there too.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{ALICE, BOB, serve, state_repo};

/// `pao` with `args` in `dir`, the token given (remote) and no `PAO_API_URL` from outside.
fn pao(dir: &Path, token: Option<&str>, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pao"));
    command.args(args).current_dir(dir).env_remove("PAO_API_URL").env("PAO_USER", "alice");
    match token {
        Some(token) => command.env("PAO_TOKEN", token),
        None => command.env_remove("PAO_TOKEN"),
    };
    command.output().expect("run pao")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs `args` locally and with `--api`, and asserts both succeed with the same output.
fn same_both_ways<S: AsRef<str>>(state: &Path, base: &str, args: &[S]) -> String {
    let args: Vec<&str> = args.iter().map(AsRef::as_ref).collect();
    let args = args.as_slice();
    let local = pao(state, None, args);
    let mut remote_args = args.to_vec();
    remote_args.extend(["--api", base]);
    let remote = pao(state, Some(ALICE), &remote_args);
    assert!(local.status.success(), "{args:?} locally: {}", stderr(&local));
    assert!(remote.status.success(), "{args:?} with --api: {}", stderr(&remote));
    assert_eq!(stdout(&local), stdout(&remote), "{args:?}: local and remote output differ");
    stdout(&local)
}

#[test]
fn request_and_catalog_commands_print_the_same_through_the_api() {
    let state = tempfile::tempdir().expect("tempdir");
    state_repo(state.path());
    let (_server, base) = serve(state.path());
    pao_testutil::write(
        state.path(),
        "../values.yaml",
        "instanceName: orders-db\nenvironment: staging\nmasterPassword: correct-horse-battery\n",
    );
    let values = state.path().join("../values.yaml");
    let values = values.to_str().expect("utf-8 path");

    // Submit through the API: the requester is the token's user.
    let submit = pao(
        state.path(),
        Some(ALICE),
        &[
            "request",
            "submit",
            "--api",
            &base,
            "--item",
            "postgresql-standard",
            "--resource",
            "orders-db",
            "--team",
            "dba",
            "--values",
            values,
            "--json",
        ],
    );
    assert!(submit.status.success(), "{}", stderr(&submit));
    let submitted: serde_json::Value = serde_json::from_slice(&submit.stdout).expect("json");
    let id = submitted["request"]["id"].as_str().expect("id").to_owned();
    assert_eq!(submitted["request"]["requester"], "alice");
    assert_eq!(submitted["request"]["status"], "pr_open");
    assert!(!stdout(&submit).contains("correct-horse"), "no password in the answer");

    // What the state repository says and what the server says are the same, to the byte.
    for json in [false, true] {
        let with = |args: &[&str]| -> Vec<String> {
            let mut args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
            if json {
                args.push("--json".to_owned());
            }
            args
        };
        let listed = same_both_ways(state.path(), &base, &with(&["request", "list"]));
        assert!(listed.contains(&id), "{listed}");
        same_both_ways(state.path(), &base, &with(&["request", "list", "--team", "dba", "--status", "pr_open"]));
        let got = same_both_ways(state.path(), &base, &with(&["request", "get", &id]));
        assert!(got.contains("orders-db"), "{got}");
        same_both_ways(state.path(), &base, &with(&["catalog", "list", "--search", "postgres"]));
        same_both_ways(state.path(), &base, &with(&["catalog", "get", "postgresql-standard"]));
        same_both_ways(state.path(), &base, &with(&["catalog", "versions", "postgresql-standard"]));
        same_both_ways(state.path(), &base, &with(&["catalog", "validation-errors"]));
    }
    let status = same_both_ways(state.path(), &base, &["request", "status", &id]);
    assert!(status.starts_with(&format!("{id}: pr_open\n")), "{status}");
    same_both_ways(state.path(), &base, &["request", "status", &id, "--json"]);
    same_both_ways(state.path(), &base, &["request", "logs", &id]);

    // Merged (on the repository: the API does not merge): the same status and log both ways.
    let merged = pao(state.path(), None, &["request", "merge", &id]);
    assert!(merged.status.success(), "{}", stderr(&merged));
    for args in [vec!["request", "status", &id], vec!["request", "status", &id, "--json"], vec!["request", "logs", &id]]
    {
        same_both_ways(state.path(), &base, &args);
    }

    // Abort through the API prints what local mode prints for an abort: the fulfilment report.
    let aborted = pao(state.path(), Some(ALICE), &["request", "abort", &id, "--api", &base, "--reason", "not needed"]);
    assert!(aborted.status.success(), "{}", stderr(&aborted));
    assert!(stdout(&aborted).starts_with(&format!("{id}: aborted\n")), "{}", stdout(&aborted));
    let again = pao(state.path(), Some(ALICE), &["request", "retry", &id, "--api", &base]);
    assert_eq!(again.status.code(), Some(1), "an aborted request is not retried: {}", stderr(&again));
}

#[test]
fn refusals_exit_1_with_the_servers_message_and_an_unreachable_server_exits_2() {
    let state = tempfile::tempdir().expect("tempdir");
    state_repo(state.path());
    let (_server, base) = serve(state.path());
    pao_testutil::write(state.path(), "../values.yaml", "instanceName: web-db\nenvironment: staging\n");
    let values = state.path().join("../values.yaml");
    let values = values.to_str().expect("utf-8 path");

    // Bob is in team web, not dba: the 403 says which team is needed.
    let submit = [
        "request",
        "submit",
        "--api",
        &base,
        "--item",
        "postgresql-standard",
        "--resource",
        "web-db",
        "--team",
        "dba",
        "--values",
        values,
    ];
    let forbidden = pao(state.path(), Some(BOB), &submit);
    assert_eq!(forbidden.status.code(), Some(1), "{}", stderr(&forbidden));
    let message = stderr(&forbidden);
    assert!(message.contains("team `dba`") && message.contains("member of: web"), "{message}");
    assert!(message.contains("HTTP 403"), "{message}");

    // A wrong token: 401, exit 1, and the token is never repeated.
    let unauthenticated = pao(state.path(), Some("wrong-token-value"), &["request", "list", "--api", &base]);
    assert_eq!(unauthenticated.status.code(), Some(1), "{}", stderr(&unauthenticated));
    assert!(!stderr(&unauthenticated).contains("wrong-token-value"));
    assert!(stderr(&unauthenticated).contains("HTTP 401"), "{}", stderr(&unauthenticated));

    // A value the form refuses: the field and the item's message, exit 1; --json gives the envelope.
    // (alice is in team dba; the instance name is too short).
    pao_testutil::write(state.path(), "../bad.yaml", "instanceName: X\nenvironment: staging\n");
    let bad = state.path().join("../bad.yaml");
    let mut invalid = submit.to_vec();
    invalid[11] = bad.to_str().expect("utf-8 path");
    invalid.push("--json");
    let refused = pao(state.path(), Some(ALICE), &invalid);
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    let envelope: serde_json::Value = serde_json::from_slice(&refused.stdout).expect("json envelope");
    assert_eq!(envelope["error"]["code"], "validation_failed", "{envelope}");
    assert_eq!(envelope["error"]["details"]["fields"][0]["field"], "instanceName", "{envelope}");
    let text = pao(state.path(), Some(ALICE), &invalid[..invalid.len() - 1]);
    assert!(stderr(&text).contains("instanceName: Must be 4-30 chars"), "{}", stderr(&text));

    // An unknown item through `pao catalog`: exit 1 with the API's message.
    let missing = pao(state.path(), Some(ALICE), &["catalog", "get", "no-such-item", "--api", &base]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(stderr(&missing).contains("no-such-item"), "{}", stderr(&missing));

    // Nobody listening: exit 2, naming the URL.
    let port = common::free_port();
    let nowhere = format!("http://127.0.0.1:{port}");
    let down = pao(state.path(), Some(ALICE), &["request", "list", "--api", &nowhere]);
    assert_eq!(down.status.code(), Some(2), "{}", stderr(&down));
    assert!(stderr(&down).contains("cannot reach the PAO server"), "{}", stderr(&down));

    // Contradictory options are refused before anything is asked.
    let both = pao(state.path(), Some(ALICE), &["request", "list", "--api", &base, "--state-repo", "."]);
    assert_eq!(both.status.code(), Some(2));
    assert!(stderr(&both).contains("give one of them"), "{}", stderr(&both));
    let merge = pao(state.path(), Some(ALICE), &["request", "merge", "req-x", "--api", &base]);
    assert_eq!(merge.status.code(), Some(2));
    assert!(stderr(&merge).contains("the API does not merge"), "{}", stderr(&merge));
    // The server takes the requester from the token: --user and --email are refused.
    for verb in
        [&submit[..], &["request", "decommission", "--api", &base, "--item", "x", "--resource", "y", "--team", "dba"]]
    {
        let mut args = verb.to_vec();
        args.extend(["--user", "mallory"]);
        let out = pao(state.path(), Some(ALICE), &args);
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(stderr(&out).contains("--user and --email do not apply with --api"), "{}", stderr(&out));
    }
}

/// `--sigv4` signs every call for API Gateway (a recording server stands in for it): the AWS
/// signature headers instead of the bearer token, which is then never sent.
#[test]
fn sigv4_signs_calls_instead_of_sending_the_token() {
    use pao_testutil::http::{MockServer, Reply};
    let gateway = MockServer::start(|_| {
        Reply::json(200, serde_json::json!({ "data": [], "pagination": { "has_more": false, "next_cursor": null } }))
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let out = Command::new(env!("CARGO_BIN_EXE_pao"))
        .args(["catalog", "list", "--sigv4", "--api", &gateway.url])
        .current_dir(dir.path())
        .env_remove("PAO_API_URL")
        .env("PAO_TOKEN", "never-sent-token")
        .env("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
        .env("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
        .env("AWS_SESSION_TOKEN", "session-token-example")
        .env("AWS_REGION", "eu-west-1")
        .output()
        .expect("run pao");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "no catalog entries\n");
    let calls = gateway.received();
    assert_eq!(calls.len(), 1);
    let authorization = calls[0].header("authorization").expect("signed");
    assert!(
        authorization.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
            && authorization.contains("/eu-west-1/execute-api/aws4_request"),
        "{authorization}"
    );
    assert!(calls[0].header("x-amz-date").is_some());
    assert_eq!(calls[0].header("x-amz-security-token"), Some("session-token-example"));
    assert!(!format!("{:?}", calls[0].headers).contains("never-sent-token"));

    // Without credentials, --sigv4 says what is missing (exit 2).
    let missing = Command::new(env!("CARGO_BIN_EXE_pao"))
        .args(["catalog", "list", "--sigv4", "--api", &gateway.url])
        .current_dir(dir.path())
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .output()
        .expect("run pao");
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("AWS_ACCESS_KEY_ID"), "{}", stderr(&missing));
}

/// `status --watch` prints the status again as it changes and returns once it settles.
#[test]
fn status_watch_follows_the_request_until_it_settles() {
    let state = tempfile::tempdir().expect("tempdir");
    state_repo(state.path());
    let (_server, base) = serve(state.path());
    pao_testutil::write(
        state.path(),
        "../values.yaml",
        "instanceName: watch-db\nenvironment: staging\nmasterPassword: correct-horse-battery\n",
    );
    let values = state.path().join("../values.yaml");
    let args = ["--item", "postgresql-standard", "--resource", "watch-db", "--team", "dba", "--values"];
    let submit = pao(
        state.path(),
        Some(ALICE),
        &[&["request", "submit", "--api", &base, "--json"], &args[..], &[values.to_str().expect("utf-8")]].concat(),
    );
    assert!(submit.status.success(), "{}", stderr(&submit));
    let id = serde_json::from_slice::<serde_json::Value>(&submit.stdout).expect("json")["request"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    for remote in [true, false] {
        let mut watch = Command::new(env!("CARGO_BIN_EXE_pao"));
        watch.args(["request", "status", "--watch", &id]).current_dir(state.path()).env_remove("PAO_API_URL");
        if remote {
            watch.args(["--api", &base]).env("PAO_TOKEN", ALICE);
        }
        let watcher = watch.stdout(std::process::Stdio::piped()).spawn().expect("watch");
        std::thread::sleep(std::time::Duration::from_millis(1500));
        if remote {
            let aborted = pao(state.path(), Some(ALICE), &["request", "abort", &id, "--api", &base]);
            assert!(aborted.status.success(), "{}", stderr(&aborted));
        }
        // Locally the request is settled already (aborted above): one print, then it returns.
        let out = watcher.wait_with_output().expect("watch ends");
        let text = stdout(&out);
        assert!(out.status.success(), "{text}");
        if remote {
            let first = text.find(&format!("{id}: pr_open")).expect("printed while open");
            let last = text.find(&format!("{id}: aborted")).expect("printed once aborted");
            assert!(first < last, "{text}");
        } else {
            assert_eq!(text.matches(&format!("{id}: aborted")).count(), 1, "{text}");
        }
    }
}

/// `pao catalog` on the local repositories reads no secret, so a `[secrets]` Vault whose token
/// this shell lacks does not stop it (`pao serve`, which executes, still refuses to start).
#[test]
fn local_catalog_commands_need_no_secrets_provider() {
    let state = tempfile::tempdir().expect("tempdir");
    state_repo(state.path());
    let config = std::fs::read_to_string(state.path().join("pao.toml")).expect("pao.toml");
    pao_testutil::write(
        state.path(),
        "pao.toml",
        &format!("{config}\n[secrets]\nprovider = \"vault\"\nvault-url = \"http://127.0.0.1:9\"\n"),
    );
    let mut list = Command::new(env!("CARGO_BIN_EXE_pao"));
    list.current_dir(state.path()).env_remove("VAULT_TOKEN").args(["catalog", "list"]);
    let out = list.output().expect("pao runs");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("postgresql-standard"), "{}", stdout(&out));
    let mut serve = Command::new(env!("CARGO_BIN_EXE_pao"));
    serve.current_dir(state.path()).env_remove("VAULT_TOKEN").args(["serve", "--addr", "127.0.0.1:0"]);
    let out = serve.output().expect("pao runs");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("VAULT_TOKEN"), "{}", stderr(&out));
}
