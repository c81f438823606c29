//! The executor end to end: real Git repositories, and real HTTP servers on loopback standing
//! in for the REST target, the webhook receiver and JIRA (answering with the real APIs'
//! shapes and recording what they received). Time is a manual clock: backoff is checked,
//! never slept.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use pao_executor::{ActionStatus, ExecError, List};
use pao_git::RequestStatus;
use pao_testutil::http::{MockServer, Received, Reply};
use serde_json::json;
use support::{MapSecrets, SECRETS, clock, executor, item, jira_toml, merged_request, secrets_with, world};

fn created(_: &Received) -> Reply {
    Reply::json(201, json!({ "db": { "endpoint": "orders.db.internal:5432", "id": 17 } }))
}

fn jira_server() -> MockServer {
    MockServer::start(|r| match (r.method.as_str(), r.route()) {
        ("POST", "/rest/api/2/issue") => Reply::json(201, json!({ "id": "10001", "key": "DBA-7", "self": "x" })),
        ("GET", "/rest/api/2/issue/DBA-7") => Reply::json(
            200,
            json!({ "key": "DBA-7", "fields": { "status": { "name": "Open", "statusCategory": { "key": "new" } }, "resolution": null } }),
        ),
        _ => Reply::empty(404),
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actions_run_in_order_with_outputs_auth_signature_and_idempotency_keys() {
    let rest = MockServer::start(created);
    let hook = MockServer::start(|_| Reply::empty(204));
    let jira = jira_server();
    let w = world(&item(&rest.url, &hook.url, "failover", ""), &jira_toml(&jira.url, ""));
    let id = merged_request(&w.app, json!({ "instanceName": "orders" }));
    let exec = executor(&w.app, MapSecrets::of(SECRETS), clock());

    let report = exec.execute(&id).await.unwrap();
    assert_eq!(report.status, RequestStatus::Completed, "{report:#?}");
    let calls = rest.received_on("POST", "/dbs");
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].header("idempotency-key"), Some(format!("{id}.create").as_str()));
    assert_eq!(calls[0].header("authorization"), Some("Bearer tok-API-4f1d9a"));
    assert_eq!(calls[0].json(), json!({ "name": "orders", "password": "pw-DB-77ac31" }));
    let events = hook.received_on("POST", "/events");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].json(), json!({ "endpoint": "orders.db.internal:5432", "resource": "orders-db" }));
    assert_eq!(events[0].header("idempotency-key"), Some(format!("{id}.announce").as_str()));
    let signature = events[0].header("x-pao-signature-256").unwrap();
    assert_eq!(signature, hmac_hex("hk-HOOK-0b52e8", &events[0].body));
    assert!(jira.received().is_empty(), "no failover, no ticket");

    let create = &report.actions[0];
    assert_eq!(
        (create.list, create.id.as_str(), create.status, create.attempts),
        (List::Automated, "create", ActionStatus::Succeeded, 1)
    );
    assert_eq!(create.outputs["endpoint"], "orders.db.internal:5432");
    assert!(create.started_at.is_some() && create.finished_at.is_some());
    // Executing again runs nothing.
    let again = exec.execute(&id).await.unwrap();
    assert_eq!(again.status, RequestStatus::Completed);
    assert_eq!(rest.received().len(), 1);
    assert_eq!(hook.received().len(), 1);
    // The log is in Git.
    let log = pao_testutil::git(&w.state, &["log", "--format=%s", &format!("refs/pao/fulfilment/{id}")]);
    assert!(log.contains("automated/create: attempt 1 succeeded") && log.contains("completed"), "{log}");
    let status = pao_testutil::git(&w.state, &["log", "--format=%B", &format!("refs/pao/status/{id}")]);
    assert!(status.contains("Pao-Status: in_progress") && status.contains("Pao-Status: completed"), "{status}");
}

fn hmac_hex(key: &str, body: &[u8]) -> String {
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_automated_action_fails_over_to_a_jira_ticket_that_completes_by_webhook() {
    let rest = MockServer::start(|_| Reply::json(400, json!({ "error": "quota exceeded" })));
    let hook = MockServer::start(|_| Reply::empty(204));
    let jira = jira_server();
    let w = world(&item(&rest.url, &hook.url, "failover", ""), &jira_toml(&jira.url, ""));
    let id = merged_request(&w.app, json!({ "instanceName": "orders" }));
    let exec = executor(&w.app, MapSecrets::of(SECRETS), clock());

    let report = exec.execute(&id).await.unwrap();
    assert_eq!(report.status, RequestStatus::InProgress, "{report:#?}");
    assert_eq!(rest.received().len(), 1, "a 400 is not retried");
    assert!(hook.received().is_empty());
    let failure = report.failed_over.clone().unwrap();
    assert_eq!(failure.action, "create");
    assert!(failure.error.contains("HTTP 400") && failure.error.contains("quota exceeded"), "{}", failure.error);
    let waiting = report.waiting_on.clone().unwrap();
    assert!(waiting.contains("DBA-7") && waiting.contains("/browse/DBA-7"), "{waiting}");
    let issues = jira.received_on("POST", "/rest/api/2/issue");
    assert_eq!(issues.len(), 1);
    let fields = &issues[0].json()["fields"];
    assert_eq!(fields["project"]["key"], "DBA");
    assert_eq!(fields["summary"], "Create orders");
    assert!(fields["description"].as_str().unwrap().contains("Automated fulfilment failed at action create"));
    assert_eq!(fields["labels"], json!(["pao", format!("pao-{id}.ticket")]));
    assert!(issues[0].header("authorization").unwrap().starts_with("Basic "));

    // Still open: execute polls and keeps waiting.
    let report = exec.execute(&id).await.unwrap();
    assert_eq!(report.status, RequestStatus::InProgress);
    assert_eq!(jira.received_on("GET", "/rest/api/2/issue/DBA-7").len(), 1);
    // Not PAO's issue: ignored.
    let other = json!({ "issue": { "key": "OPS-1", "fields": { "status": { "statusCategory": { "key": "done" } } } } });
    assert!(exec.jira_webhook(&other).await.unwrap().is_none());
    // Done by webhook: completed.
    let done = json!({ "webhookEvent": "jira:issue_updated", "issue": { "key": "DBA-7", "fields": { "status": { "name": "Done", "statusCategory": { "key": "done" } }, "resolution": { "name": "Done" } } } });
    let report = exec.jira_webhook(&done).await.unwrap().unwrap();
    assert_eq!(report.status, RequestStatus::Completed, "{report:#?}");
    let ticket = report.actions.iter().find(|a| a.id == "ticket").unwrap();
    assert_eq!(ticket.status, ActionStatus::Succeeded);
    assert_eq!(ticket.outputs["issueKey"], "DBA-7");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ticket_closed_as_wont_do_fails_the_request_by_polling() {
    let rest = MockServer::start(|_| Reply::json(400, json!({})));
    let hook = MockServer::start(|_| Reply::empty(204));
    let jira = MockServer::start(|r| match (r.method.as_str(), r.route()) {
        ("POST", "/rest/api/2/issue") => Reply::json(201, json!({ "id": "1", "key": "DBA-9", "self": "x" })),
        ("GET", "/rest/api/2/issue/DBA-9") => Reply::json(
            200,
            json!({ "fields": { "status": { "name": "Closed", "statusCategory": { "key": "done" } }, "resolution": { "name": "Won't Do" } } }),
        ),
        _ => Reply::empty(404),
    });
    let w = world(&item(&rest.url, &hook.url, "failover", ""), &jira_toml(&jira.url, ""));
    let id = merged_request(&w.app, json!({ "instanceName": "orders" }));
    let exec = executor(&w.app, MapSecrets::of(SECRETS), clock());
    assert_eq!(exec.execute(&id).await.unwrap().status, RequestStatus::InProgress);
    let report = exec.execute(&id).await.unwrap();
    assert_eq!(report.status, RequestStatus::Failed, "{report:#?}");
    assert!(report.error.as_deref().unwrap().contains("closed as Won't Do"), "{:?}", report.error);
    let polls = jira.received_on("GET", "/rest/api/2/issue/DBA-9");
    assert!(!polls.is_empty(), "the ticket was polled");
    for poll in polls {
        let key = poll.header("idempotency-key").unwrap_or_default();
        assert!(key.starts_with(&format!("{id}.")), "a read carries the action's key too: {key:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_failures_are_retried_with_exponential_backoff_and_retry_after() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&calls);
    let rest = MockServer::start(move |r| match counter.fetch_add(1, Ordering::SeqCst) {
        0 => Reply::text(503, "busy"),
        1 => Reply::text(429, "slow down").header("Retry-After", "7"),
        2 => Reply::text(500, "oops"),
        _ => created(r),
    });
    let hook = MockServer::start(|_| Reply::empty(204));
    let jira = jira_server();
    let retry = "retry: { maxAttempts: 4, backoffSeconds: 2 }";
    let w = world(&item(&rest.url, &hook.url, "automated", retry), &jira_toml(&jira.url, ""));
    let id = merged_request(&w.app, json!({ "instanceName": "orders" }));
    let clock = clock();
    let exec = executor(&w.app, MapSecrets::of(SECRETS), Arc::clone(&clock));
    let report = exec.execute(&id).await.unwrap();
    assert_eq!(report.status, RequestStatus::Completed, "{report:#?}");
    assert_eq!(report.actions[0].attempts, 4);
    let sleeps = clock.sleeps();
    assert_eq!(sleeps.len(), 3, "{sleeps:?}");
    // Attempt 1: 2 s * 2^0 with equal jitter -> [1, 2]; attempt 2: Retry-After 7 beats [2, 4];
    // attempt 3: [4, 8].
    assert!((Duration::from_secs(1)..=Duration::from_secs(2)).contains(&sleeps[0]), "{sleeps:?}");
    assert_eq!(sleeps[1], Duration::from_secs(7));
    assert!((Duration::from_secs(4)..=Duration::from_secs(8)).contains(&sleeps[2]), "{sleeps:?}");
    let keys: Vec<_> = rest.received().iter().map(|r| r.header("idempotency-key").unwrap().to_owned()).collect();
    assert_eq!(keys, vec![format!("{id}.create"); 4], "every attempt carries the same key");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_stop_at_max_attempts_and_4xx_is_never_retried() {
    let rest = MockServer::start(|_| Reply::text(502, "bad gateway"));
    let hook = MockServer::start(|_| Reply::empty(204));
    let jira = jira_server();
    let retry = "retry: { maxAttempts: 3, backoffSeconds: 1 }";
    let w = world(&item(&rest.url, &hook.url, "automated", retry), &jira_toml(&jira.url, ""));
    let id = merged_request(&w.app, json!({ "instanceName": "orders" }));
    let clock = clock();
    let exec = executor(&w.app, MapSecrets::of(SECRETS), Arc::clone(&clock));
    let report = exec.execute(&id).await.unwrap();
    assert_eq!(report.status, RequestStatus::Failed);
    assert_eq!(rest.received().len(), 3);
    assert_eq!(clock.sleeps().len(), 2);
    let error = report.error.unwrap();
    assert!(error.contains("HTTP 502") && error.contains("after 3 attempts"), "{error}");
    assert!(jira.received().is_empty(), "strategy automated has no fallback");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_circuit_breaker_opens_and_fails_fast() {
    let rest = MockServer::start(|_| Reply::text(503, "down"));
    let hook = MockServer::start(|_| Reply::empty(204));
    let jira = jira_server();
    let retry = "retry: { maxAttempts: 5, backoffSeconds: 1 }";
    let toml = jira_toml(&jira.url, "[executor]\nbreaker-failures = 2\nbreaker-open-seconds = 600\n");
    let w = world(&item(&rest.url, &hook.url, "automated", retry), &toml);
    let id = merged_request(&w.app, json!({ "instanceName": "orders" }));
    let exec = executor(&w.app, MapSecrets::of(SECRETS), clock());
    let report = exec.execute(&id).await.unwrap();
    assert_eq!(report.status, RequestStatus::Failed);
    assert_eq!(rest.received().len(), 2, "the third attempt never reached the host");
    let error = report.error.unwrap();
    assert!(error.contains("circuit breaker") && error.contains("open after 2 consecutive failures"), "{error}");
    assert_eq!(report.actions[0].attempts, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_runs_the_failed_action_again_then_the_rest() {
    let healthy = Arc::new(AtomicUsize::new(0));
    let flag = Arc::clone(&healthy);
    let rest = MockServer::start(created);
    let hook =
        MockServer::start(
            move |_| if flag.load(Ordering::SeqCst) == 0 { Reply::text(400, "no") } else { Reply::empty(204) },
        );
    let jira = jira_server();
    // A target for every status change, the retry's change back to `in_progress` included.
    let slack = MockServer::start(|_| Reply::text(200, "ok"));
    let slack_url = format!("{}/hook", slack.url);
    let secrets = secrets_with(SECRETS, &[("slack-webhook", &slack_url)]);
    let toml = jira_toml(&jira.url, "") + "\n[[notifications]]\nurl-secret = \"slack-webhook\"\nformat = \"slack\"\n";
    let w = world(&item(&rest.url, &hook.url, "automated", ""), &toml);
    let id = merged_request(&w.app, json!({ "instanceName": "orders" }));
    let exec = executor(&w.app, MapSecrets::of(&secrets), clock());
    assert_eq!(exec.execute(&id).await.unwrap().status, RequestStatus::Failed);
    // Execute again: a failed request waits for a person.
    assert_eq!(exec.execute(&id).await.unwrap().status, RequestStatus::Failed);
    assert_eq!(hook.received().len(), 1);
    healthy.store(1, Ordering::SeqCst);
    let report = exec.retry(&id, "bob").await.unwrap();
    assert_eq!(report.status, RequestStatus::Completed, "{report:#?}");
    assert_eq!(rest.received().len(), 1, "the succeeded action did not run again");
    assert_eq!(hook.received().len(), 2);
    let err = exec.retry(&id, "bob").await.unwrap_err();
    assert!(matches!(err, ExecError::WrongStatus { .. }), "{err}");
    let log: Vec<String> = exec.logs(&id, None).unwrap().into_iter().map(|e| e.summary).collect();
    assert!(log.iter().any(|s| s == "retry by bob"), "{log:?}");
    let statuses: Vec<String> = slack
        .received_on("POST", "/hook")
        .iter()
        .map(|m| m.json()["text"].as_str().unwrap().split(" is ").nth(1).unwrap().split(':').next().unwrap().to_owned())
        .collect();
    // The opening and the merge were made by the orchestrator, not the executor: they are
    // announced when the executor first takes the request up.
    let expected =
        ["submitted", "validating", "pr_open", "pr_merged", "in_progress", "failed", "in_progress", "completed"];
    assert_eq!(statuses, expected, "one message per status change");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abort_stops_a_failed_request() {
    let rest = MockServer::start(|_| Reply::text(400, "no"));
    let hook = MockServer::start(|_| Reply::empty(204));
    let jira = jira_server();
    let w = world(&item(&rest.url, &hook.url, "automated", ""), &jira_toml(&jira.url, ""));
    let id = merged_request(&w.app, json!({ "instanceName": "orders" }));
    let exec = executor(&w.app, MapSecrets::of(SECRETS), clock());
    exec.execute(&id).await.unwrap();
    let report = exec.abort(&id, "carol", "not needed any more").await.unwrap();
    assert_eq!(report.status, RequestStatus::Aborted);
    assert!(exec.retry(&id, "carol").await.is_err());
    assert_eq!(exec.execute(&id).await.unwrap().status, RequestStatus::Aborted);
    assert_eq!(rest.received().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn escalate_opens_a_ticket_with_what_succeeded_and_cleanup_guidance() {
    let rest = MockServer::start(created);
    let hook = MockServer::start(|_| Reply::text(400, "rejected"));
    let jira = MockServer::start(|r| match (r.method.as_str(), r.route()) {
        ("POST", "/rest/api/2/issue") => Reply::json(201, json!({ "id": "2", "key": "ORCH-3", "self": "x" })),
        _ => Reply::empty(404),
    });
    let toml = jira_toml(&jira.url, "[escalation]\nproject = \"ORCH\"\nissue-type = \"Incident\"\n");
    let w = world(&item(&rest.url, &hook.url, "automated", ""), &toml);
    let id = merged_request(&w.app, json!({ "instanceName": "orders" }));
    let exec = executor(&w.app, MapSecrets::of(SECRETS), clock());
    assert_eq!(exec.execute(&id).await.unwrap().status, RequestStatus::Failed);
    let escalation = exec.escalate(&id, "dave", "needs the DBA on call").await.unwrap();
    let ticket = escalation.ticket.clone().unwrap();
    assert_eq!(ticket.id, "ORCH-3");
    assert_eq!(ticket.url.as_deref(), Some(format!("{}/browse/ORCH-3", jira.url).as_str()));
    let sent = jira.received_on("POST", "/rest/api/2/issue");
    assert_eq!(sent.len(), 1);
    let fields = &sent[0].json()["fields"];
    assert_eq!(
        (fields["project"]["key"].as_str(), fields["issuetype"]["name"].as_str()),
        (Some("ORCH"), Some("Incident"))
    );
    let description = fields["description"].as_str().unwrap();
    assert!(
        description.contains("Failed: automated/announce (webhook)") && description.contains("HTTP 400"),
        "{description}"
    );
    assert!(
        description.contains("Succeeded")
            && description.contains("automated/create (rest-api)")
            && description.contains("matching DELETE"),
        "{description}"
    );
    assert!(description.contains("orders.db.internal:5432"), "outputs are listed: {description}");
    assert_eq!(exec.report(&id).unwrap().status, RequestStatus::Escalated);
    assert_eq!(exec.escalation(&id).unwrap().unwrap().ticket.unwrap().id, "ORCH-3");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_racing_for_one_request_run_each_action_once() {
    let rest = MockServer::start(|r| created(r).after(Duration::from_millis(300)));
    let hook = MockServer::start(|_| Reply::empty(204));
    let jira = jira_server();
    let w = world(&item(&rest.url, &hook.url, "failover", ""), &jira_toml(&jira.url, ""));
    let id = merged_request(&w.app, json!({ "instanceName": "orders" }));
    let clock = clock();
    let a = support::executor_named(&w.app, MapSecrets::of(SECRETS), Arc::clone(&clock), "worker-a");
    let b = support::executor_named(&w.app, MapSecrets::of(SECRETS), Arc::clone(&clock), "worker-b");
    let (ra, rb) = tokio::join!(a.execute(&id), b.execute(&id));
    let busy = [&ra, &rb].iter().filter(|r| matches!(r, Err(ExecError::Busy { .. }))).count();
    let done =
        [&ra, &rb].iter().filter(|r| matches!(r, Ok(report) if report.status == RequestStatus::Completed)).count();
    assert_eq!((busy, done), (1, 1), "{ra:?} {rb:?}");
    assert_eq!(rest.received().len(), 1);
    assert_eq!(hook.received().len(), 1);
}

/// One process, two tasks (the worker loop and a webhook it serves) on one request: the lease
/// ref alone lets a worker take its own live lease again, so the executor also keeps them apart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_tasks_of_one_worker_on_one_request_run_each_action_once() {
    let rest = MockServer::start(|r| created(r).after(Duration::from_millis(300)));
    let hook = MockServer::start(|_| Reply::empty(204));
    let jira = jira_server();
    let w = world(&item(&rest.url, &hook.url, "failover", ""), &jira_toml(&jira.url, ""));
    let id = merged_request(&w.app, json!({ "instanceName": "orders" }));
    let exec = executor(&w.app, MapSecrets::of(SECRETS), clock());
    let (ra, rb) = tokio::join!(exec.execute(&id), exec.execute(&id));
    let busy = [&ra, &rb].iter().filter(|r| matches!(r, Err(ExecError::Busy { .. }))).count();
    let done =
        [&ra, &rb].iter().filter(|r| matches!(r, Ok(report) if report.status == RequestStatus::Completed)).count();
    assert_eq!((busy, done), (1, 1), "{ra:?} {rb:?}");
    assert_eq!(rest.received().len(), 1);
    assert_eq!(hook.received().len(), 1);
    // The claim is given up with the lease: the next call runs (and finds nothing to do).
    assert_eq!(exec.execute(&id).await.unwrap().status, RequestStatus::Completed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unmerged_request_is_not_executed() {
    let rest = MockServer::start(created);
    let w = world(&item(&rest.url, &rest.url, "failover", ""), "");
    let submitted = w
        .app
        .orchestrator
        .submit(&pao_orchestrator::SubmitRequest {
            item: "pgsql".into(),
            version: None,
            team: "payments".into(),
            resource: "orders-db".into(),
            values: json!({ "instanceName": "orders" }).as_object().unwrap().clone(),
            requester: pao_orchestrator::Requester { id: "alice".into(), email: None },
            hint: pao_orchestrator::Hint::Auto,
            idempotency_key: None,
            correlation_id: None,
        })
        .unwrap();
    let exec = executor(&w.app, MapSecrets::of(SECRETS), clock());
    let err = exec.execute(&submitted.request.id).await.unwrap_err();
    assert!(err.to_string().contains("is pr_open; only a merged request is executed"), "{err}");
    assert_eq!(err.kind(), pao_git::ErrorKind::Conflict);
    assert!(rest.received().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notifications_are_posted_on_matching_status_changes_and_a_failing_target_never_fails_the_request() {
    let rest = MockServer::start(created);
    let hook = MockServer::start(|_| Reply::empty(204));
    let slack = MockServer::start(|_| Reply::text(200, "ok"));
    let broken = MockServer::start(|_| Reply::text(500, "teams is down"));
    let toml = "[[notifications]]\nurl-secret = \"slack-webhook\"\nformat = \"slack\"\non = [\"completed\", \"failed\"]\n\
                [[notifications]]\nurl-secret = \"teams-webhook\"\nformat = \"teams\"\n";
    let w = world(&item(&rest.url, &hook.url, "failover", ""), toml);
    let id = merged_request(&w.app, json!({ "instanceName": "orders" }));
    let slack_url = format!("{}/services/T0/B0/x", slack.url);
    let teams_url = format!("{}/webhook", broken.url);
    let secrets = secrets_with(SECRETS, &[("slack-webhook", &slack_url), ("teams-webhook", &teams_url)]);
    let clock = clock();
    let exec = executor(&w.app, MapSecrets::of(&secrets), Arc::clone(&clock));
    let report = exec.execute(&id).await.unwrap();
    assert_eq!(report.status, RequestStatus::Completed);
    let messages = slack.received_on("POST", "/services/T0/B0/x");
    assert_eq!(messages.len(), 1, "only `completed` matches slack's `on`");
    let text = messages[0].json()["text"].as_str().unwrap().to_owned();
    assert_eq!(text, format!("PAO request {id} is completed: pgsql orders-db for team payments"));
    let body = messages[0].json()["blocks"][1]["text"]["text"].as_str().unwrap().to_owned();
    assert!(body.contains("Requester: alice") && body.contains(&format!("pao/requests/{id}")), "{body}");
    // Teams (every status): six changes (submitted, validating, pr_open, pr_merged,
    // in_progress, completed), each tried up to 3 times, then logged; the sixth try never goes
    // out: five failures in a row opened the host's circuit breaker.
    assert_eq!(broken.received().len(), 5);
    assert_eq!(broken.received()[0].json()["@type"], "MessageCard");
    let log: Vec<String> = exec.logs(&id, None).unwrap().into_iter().map(|e| e.summary).collect();
    let failed: Vec<_> = log.iter().filter(|s| s.starts_with("notification 1 about")).collect();
    assert_eq!(failed.len(), 6, "{log:?}");
    let announced = log.iter().filter(|s| s.starts_with("announced the change to")).count();
    assert_eq!(announced, 6, "each change is recorded as announced, delivered or not: {log:?}");
    assert!(failed[0].contains("HTTP 500") && !failed[0].contains("/webhook"), "the URL is a secret: {failed:?}");
    assert!(failed[1].contains("circuit breaker"), "{failed:?}");
}

/// A catalog item whose only automated action is acme/infra's `provision.yml` workflow, with
/// `inputs` (a config line, or nothing).
fn workflow_item(inputs: &str) -> String {
    let action = "      - id: provision\n        name: Provision\n        type: github-workflow\n        config:\n          \
                  repository: acme/infra\n          workflow: provision.yml\n          ref: main\n";
    let yaml = item("http://127.0.0.1:9", "http://127.0.0.1:9", "automated", "")
        .replace("  automated:\n    actions:\n", &format!("  automated:\n    actions:\n{action}{inputs}"));
    // Only the workflow: cut the rest-api and webhook actions.
    yaml[..yaml.find("      - id: create").unwrap()].to_owned() + &yaml[yaml.find("  manual:").unwrap()..]
}

/// An executor calling the GitHub API at `github`, with a token.
fn github_executor(app: &pao_app::App, github: &MockServer) -> pao_executor::Executor {
    pao_executor::Executor::new(
        app,
        pao_executor::ExecutorOptions {
            clock: Some(clock()),
            worker: Some("w".into()),
            secrets: Some(MapSecrets::of(SECRETS)),
            github_api_url: Some(github.url.clone()),
            github_token: Some("gh-token".into()),
        },
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_github_workflow_is_dispatched_and_followed_to_its_conclusion() {
    let polls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&polls);
    let github = MockServer::start(move |r| match (r.method.as_str(), r.route()) {
        ("POST", "/repos/acme/infra/actions/workflows/provision.yml/dispatches") => Reply::empty(204),
        ("GET", "/repos/acme/infra/actions/workflows/provision.yml/runs") => Reply::json(
            200,
            json!({ "total_count": 1, "workflow_runs": [
            { "id": 4242, "status": "queued", "conclusion": null, "created_at": "2999-01-01T00:00:00Z", "html_url": "https://github.com/acme/infra/actions/runs/4242" } ] }),
        ),
        ("GET", "/repos/acme/infra/actions/runs/4242") => {
            let done = counter.fetch_add(1, Ordering::SeqCst) > 0;
            Reply::json(
                200,
                json!({ "id": 4242, "status": if done { "completed" } else { "in_progress" }, "conclusion": if done { json!("success") } else { json!(null) }, "html_url": "https://github.com/acme/infra/actions/runs/4242" }),
            )
        }
        _ => Reply::empty(404),
    });
    let w = world(&workflow_item("          inputs: { name: \"{{ fields.instanceName }}\", size: 3 }\n"), "");
    let id = merged_request(&w.app, json!({ "instanceName": "orders" }));
    let exec = github_executor(&w.app, &github);
    let report = exec.execute(&id).await.unwrap();
    assert_eq!(report.status, RequestStatus::InProgress, "{report:#?}");
    let dispatch = github.received_on("POST", "/repos/acme/infra/actions/workflows/provision.yml/dispatches");
    assert_eq!(
        dispatch[0].json(),
        json!({ "ref": "main", "inputs": { "name": "orders", "size": "3" }, "return_run_details": true })
    );
    assert_eq!(dispatch[0].header("authorization"), Some("Bearer gh-token"));
    assert_eq!(dispatch[0].header("idempotency-key"), Some(format!("{id}.provision").as_str()));
    assert!(report.waiting_on.unwrap().contains("https://github.com/acme/infra/actions/runs/4242"));
    assert_eq!(exec.execute(&id).await.unwrap().status, RequestStatus::InProgress, "still running");
    let report = exec.execute(&id).await.unwrap();
    assert_eq!(report.status, RequestStatus::Completed, "{report:#?}");
    let action = &report.actions[0];
    assert_eq!(action.outputs["conclusion"], "success");
    assert_eq!(
        action.reference.as_ref().unwrap().url.as_deref(),
        Some("https://github.com/acme/infra/actions/runs/4242")
    );
    assert_eq!(github.received_on("POST", "/repos/acme/infra/actions/workflows/provision.yml/dispatches").len(), 1);
    let reads = [
        github.received_on("GET", "/repos/acme/infra/actions/workflows/provision.yml/runs"),
        github.received_on("GET", "/repos/acme/infra/actions/runs/4242"),
    ]
    .concat();
    assert!(reads.len() >= 2);
    for read in reads {
        assert_eq!(read.header("idempotency-key"), Some(format!("{id}.provision").as_str()), "reads carry the key");
    }
}

/// A dispatch answered with the run's id (GitHub since February 2026) is followed by that id:
/// a run of the same workflow someone else dispatched at the same moment is never taken for
/// it. A server that refuses `return_run_details` (422) is asked again without it, and the run
/// is then found by time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dispatched_run_is_followed_by_the_id_the_dispatch_answers() {
    let github = MockServer::start(|r| match (r.method.as_str(), r.route()) {
        ("POST", "/repos/acme/infra/actions/workflows/provision.yml/dispatches") => Reply::json(
            200,
            json!({ "workflow_run_id": 555, "run_url": "https://api.github.com/repos/acme/infra/actions/runs/555",
                "html_url": "https://github.com/acme/infra/actions/runs/555" }),
        ),
        // Someone else's run of the same workflow and ref, created just after ours.
        ("GET", "/repos/acme/infra/actions/workflows/provision.yml/runs") => Reply::json(
            200,
            json!({ "total_count": 1, "workflow_runs": [ { "id": 4242, "status": "completed", "conclusion": "failure",
                "created_at": "2999-01-01T00:00:00Z", "html_url": "https://github.com/acme/infra/actions/runs/4242" } ] }),
        ),
        ("GET", "/repos/acme/infra/actions/runs/555") => Reply::json(
            200,
            json!({ "id": 555, "status": "completed", "conclusion": "success", "html_url": "https://github.com/acme/infra/actions/runs/555" }),
        ),
        _ => Reply::empty(404),
    });
    let w = world(&workflow_item(""), "");
    let id = merged_request(&w.app, json!({ "instanceName": "orders" }));
    let report = github_executor(&w.app, &github).execute(&id).await.unwrap();
    assert_eq!(report.status, RequestStatus::Completed, "{report:#?}");
    let reference = report.actions[0].reference.clone().unwrap();
    assert_eq!(
        (reference.id.as_str(), reference.url.as_deref()),
        ("555", Some("https://github.com/acme/infra/actions/runs/555"))
    );
    assert!(github.received_on("GET", "/repos/acme/infra/actions/workflows/provision.yml/runs").is_empty());

    // An older server refuses the parameter; the second dispatch goes without it.
    let refused = "Invalid request.\n\n\"return_run_details\" is not a permitted key.";
    let old = MockServer::start(move |r| match (r.method.as_str(), r.route()) {
        ("POST", "/repos/acme/infra/actions/workflows/provision.yml/dispatches") => {
            if r.json().get("return_run_details").is_some() {
                Reply::json(422, json!({ "message": refused }))
            } else {
                Reply::empty(204)
            }
        }
        ("GET", "/repos/acme/infra/actions/workflows/provision.yml/runs") => Reply::json(
            200,
            json!({ "total_count": 1, "workflow_runs": [ { "id": 77, "status": "completed", "conclusion": "success",
                "created_at": "2999-01-01T00:00:00Z", "html_url": "https://github.com/acme/infra/actions/runs/77" } ] }),
        ),
        _ => Reply::empty(404),
    });
    let w = world(&workflow_item(""), "");
    let id = merged_request(&w.app, json!({ "instanceName": "orders" }));
    let report = github_executor(&w.app, &old).execute(&id).await.unwrap();
    assert_eq!(report.status, RequestStatus::Completed, "{report:#?}");
    assert_eq!(report.actions[0].reference.as_ref().unwrap().id, "77");
    let dispatches = old.received_on("POST", "/repos/acme/infra/actions/workflows/provision.yml/dispatches");
    assert_eq!(dispatches.len(), 2);
    assert_eq!(dispatches[1].json(), json!({ "ref": "main", "inputs": {} }));
}

/// An executor that died during a `github-workflow` attempt (its `attempt_started` recorded, no
/// end) follows the run its dispatch created instead of dispatching a second one; a run older
/// than that attempt is not taken for it, and then the workflow is dispatched again.
#[tokio::test]
async fn a_resumed_github_workflow_follows_the_run_it_dispatched() {
    async fn resume(run_created_at: &'static str) -> (RequestStatus, usize) {
        let github = MockServer::start(move |r| match (r.method.as_str(), r.route()) {
            ("POST", "/repos/acme/infra/actions/workflows/provision.yml/dispatches") => Reply::empty(204),
            ("GET", "/repos/acme/infra/actions/workflows/provision.yml/runs") => Reply::json(
                200,
                json!({ "total_count": 1, "workflow_runs": [
                { "id": 77, "status": "completed", "conclusion": "success", "created_at": run_created_at,
                  "html_url": "https://github.com/acme/infra/actions/runs/77" } ] }),
            ),
            _ => Reply::empty(404),
        });
        let w = world(&workflow_item(""), "");
        let id = merged_request(&w.app, json!({ "instanceName": "orders" }));
        // The interrupted attempt: begun a minute before the clock's now (2027-01-15T08:00:00Z).
        let log = pao_git::FulfilmentLog::open(&w.state).unwrap();
        let started = json!({ "event": "attempt_started", "list": "automated", "action": "provision",
            "type": "github-workflow", "attempt": 1, "idempotencyKey": format!("{id}.provision"),
            "at": "2027-01-15T07:59:00Z" });
        log.append(&pao_git::RequestId::parse(&id).unwrap(), "provision: attempt 1", &started).unwrap();
        let exec = github_executor(&w.app, &github);
        let report = exec.execute(&id).await.unwrap();
        let dispatched = github.received_on("POST", "/repos/acme/infra/actions/workflows/provision.yml/dispatches");
        (report.status, dispatched.len())
    }
    // The run was created after the interrupted attempt began: it is that attempt's run.
    assert_eq!(resume("2027-01-15T07:59:02Z").await, (RequestStatus::Completed, 0));
    // Only an older run: the interrupted attempt never dispatched; dispatched now, once (and the
    // old run is not taken for the new dispatch either).
    assert_eq!(resume("2027-01-15T07:00:00Z").await, (RequestStatus::InProgress, 1));
}

/// `oauth2` auth fetches a client-credentials token from the secret's `tokenUrl` (a form POST
/// with the client id and secret) and sends it as the bearer token; `apiKey` sends the secret
/// as `X-API-Key`. Neither the client secret nor the access token reaches Git.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth2_client_credentials_and_api_key_auth() {
    let issuer = MockServer::start(|r| match (r.method.as_str(), r.route()) {
        ("POST", "/oauth/token") => {
            Reply::json(200, json!({ "access_token": "at-OAUTH-5e7c11", "token_type": "Bearer", "expires_in": 300 }))
        }
        _ => Reply::empty(404),
    });
    let client = json!({ "tokenUrl": format!("{}/oauth/token", issuer.url), "clientId": "pao-client",
        "clientSecret": "cs-OAUTH-9d2b44", "scope": "dbs:write" })
    .to_string();
    let secrets = secrets_with(SECRETS, &[("oauth-client", &client)]);
    for (auth, expect) in [
        ("{ type: oauth2, secret: oauth-client }", ("authorization", "Bearer at-OAUTH-5e7c11")),
        ("{ type: apiKey, secret: api-token }", ("x-api-key", "tok-API-4f1d9a")),
    ] {
        let rest = MockServer::start(created);
        let hook = MockServer::start(|_| Reply::empty(204));
        let yaml = item(&rest.url, &hook.url, "automated", "")
            .replace("auth: { type: bearer, secret: api-token }", &format!("auth: {auth}"));
        assert!(yaml.contains(auth), "the fixture's auth line was replaced");
        let w = world(&yaml, "");
        let id = merged_request(&w.app, json!({ "instanceName": "orders" }));
        let exec = executor(&w.app, MapSecrets::of(&secrets), clock());
        let report = exec.execute(&id).await.unwrap();
        assert_eq!(report.status, RequestStatus::Completed, "{auth}: {report:#?}");
        let calls = rest.received_on("POST", "/dbs");
        assert_eq!(calls.len(), 1, "{auth}");
        assert_eq!(calls[0].header(expect.0), Some(expect.1), "{auth}");
        if expect.0 == "x-api-key" {
            assert_eq!(calls[0].header("authorization"), None, "apiKey sends no Authorization header");
        }
        let git = pao_testutil::all_git_text(&w.state);
        for secret in ["cs-OAUTH-9d2b44", "at-OAUTH-5e7c11", "tok-API-4f1d9a"] {
            assert!(!git.contains(secret), "{auth}: `{secret}` was written to Git");
        }
    }
    let tokens = issuer.received_on("POST", "/oauth/token");
    assert_eq!(tokens.len(), 1, "one token request, for the oauth2 run");
    let form = tokens[0].text();
    for pair in
        ["grant_type=client_credentials", "client_id=pao-client", "client_secret=cs-OAUTH-9d2b44", "scope=dbs%3Awrite"]
    {
        assert!(form.contains(pair), "{pair} missing from the token request: {form}");
    }
    assert!(tokens[0].header("idempotency-key").is_some_and(|key| key.ends_with(".create")));
}

/// `timeoutSeconds` bounds each attempt: a target that answers after the bound fails that
/// attempt as retryable, and the next attempt (answered at once) completes the action. A
/// refused connection and a 408 are retried too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeouts_refused_connections_and_408_are_retried() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&calls);
    let rest = MockServer::start(move |r| match counter.fetch_add(1, Ordering::SeqCst) {
        0 => created(r).after(Duration::from_secs(4)),
        1 => Reply::text(408, "request timeout"),
        _ => created(r),
    });
    let hook = MockServer::start(|_| Reply::empty(204));
    let retry = "retry: { maxAttempts: 3, backoffSeconds: 1 }\n        timeoutSeconds: 1";
    let w = world(&item(&rest.url, &hook.url, "automated", retry), "");
    let id = merged_request(&w.app, json!({ "instanceName": "orders" }));
    let exec = executor(&w.app, MapSecrets::of(SECRETS), clock());
    let started = std::time::Instant::now();
    let report = exec.execute(&id).await.unwrap();
    assert_eq!(report.status, RequestStatus::Completed, "{report:#?}");
    assert_eq!(report.actions[0].attempts, 3);
    assert!(started.elapsed() < Duration::from_secs(4), "the first attempt was cut off after 1 s, not waited for");
    let log = pao_testutil::git(&w.state, &["log", "--format=%B", &format!("refs/pao/fulfilment/{id}")]);
    assert!(log.to_lowercase().contains("timed out") || log.to_lowercase().contains("timeout"), "{log}");

    // Nothing listens: each attempt is refused, and retried up to maxAttempts.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let hook = MockServer::start(|_| Reply::empty(204));
    let w = world(&item(&url, &hook.url, "automated", "retry: { maxAttempts: 2, backoffSeconds: 1 }"), "");
    let id = merged_request(&w.app, json!({ "instanceName": "orders" }));
    let report = executor(&w.app, MapSecrets::of(SECRETS), clock()).execute(&id).await.unwrap();
    assert_eq!(report.status, RequestStatus::Failed, "{report:#?}");
    assert_eq!(report.actions[0].attempts, 2, "a refused connection is retried");
}

/// Before notifying, the executor renews its lease for every target's worst case (three tries
/// of 10 s and the pauses between them), so a slow notification target cannot let the lease run
/// out while the worker still writes the request's log: the notification target reads the
/// lease while the message is being posted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lease_covers_the_notifications() {
    type Seen = Arc<std::sync::Mutex<Vec<i64>>>;
    let watched: Arc<std::sync::Mutex<Option<(std::path::PathBuf, String)>>> = Arc::default();
    let seen: Seen = Arc::default();
    let (watch, record) = (Arc::clone(&watched), Arc::clone(&seen));
    let slack = MockServer::start(move |_| {
        if let Some((state, id)) = watch.lock().unwrap().clone() {
            let leases = pao_git::LeaseStore::open(&state).unwrap();
            let holder = leases.holder(&pao_git::RequestId::parse(&id).unwrap()).unwrap();
            record.lock().unwrap().push(holder.map_or(0, |h| h.expires));
        }
        Reply::text(200, "ok")
    });
    let rest = MockServer::start(created);
    let hook = MockServer::start(|_| Reply::empty(204));
    let slack_url = format!("{}/hook", slack.url);
    let secrets = secrets_with(SECRETS, &[("slack-webhook", &slack_url)]);
    let toml =
        "[executor]\nlease-seconds = 1\n\n[[notifications]]\nurl-secret = \"slack-webhook\"\nformat = \"slack\"\n";
    // Each action's attempt is bounded at 1 s, so only the notification renewal can push the
    // lease 33 s ahead.
    let w = world(&item(&rest.url, &hook.url, "automated", "timeoutSeconds: 1"), toml);
    let id = merged_request(&w.app, json!({ "instanceName": "orders" }));
    *watched.lock().unwrap() = Some((w.state.clone(), id.clone()));
    let report = executor(&w.app, MapSecrets::of(&secrets), clock()).execute(&id).await.unwrap();
    assert_eq!(report.status, RequestStatus::Completed, "{report:#?}");
    let now = 1_800_000_000; // the manual clock's time
    let expiries = seen.lock().unwrap().clone();
    assert_eq!(expiries.len(), 6, "the opening (3), the merge, in_progress and completed: {expiries:?}");
    for expires in expiries {
        assert!(expires >= now + 1 + 33, "the lease ran to {expires}, {}s after now", expires - now);
    }
}

/// The breaker end to end: open, it fails a person's retry fast without calling the host; once
/// `breaker-open-seconds` have passed it lets one trial call through (half-open), and that call's
/// success closes it and completes the request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_breaker_lets_one_trial_call_through_after_its_open_time() {
    let healthy = Arc::new(AtomicUsize::new(0));
    let flag = Arc::clone(&healthy);
    let rest = MockServer::start(
        move |r| if flag.load(Ordering::SeqCst) == 0 { Reply::text(503, "down") } else { created(r) },
    );
    let hook = MockServer::start(|_| Reply::empty(204));
    let jira = jira_server();
    let toml = jira_toml(&jira.url, "[executor]\nbreaker-failures = 2\nbreaker-open-seconds = 600\n");
    let w = world(&item(&rest.url, &hook.url, "automated", "retry: { maxAttempts: 2, backoffSeconds: 1 }"), &toml);
    let id = merged_request(&w.app, json!({ "instanceName": "orders" }));
    let clock = clock();
    let exec = executor(&w.app, MapSecrets::of(SECRETS), Arc::clone(&clock));
    assert_eq!(exec.execute(&id).await.unwrap().status, RequestStatus::Failed);
    assert_eq!(rest.received().len(), 2, "two failures open the breaker");

    healthy.store(1, Ordering::SeqCst);
    let fast = exec.retry(&id, "bob").await.unwrap();
    assert_eq!(fast.status, RequestStatus::Failed, "{fast:#?}");
    assert!(fast.error.as_deref().unwrap_or_default().contains("circuit breaker"), "{:?}", fast.error);
    assert_eq!(rest.received().len(), 2, "while open, the host is not called");

    clock.advance(Duration::from_secs(601));
    let trial = exec.retry(&id, "bob").await.unwrap();
    assert_eq!(trial.status, RequestStatus::Completed, "{trial:#?}");
    assert_eq!(rest.received().len(), 3, "one trial call, which succeeded");
}
