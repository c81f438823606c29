//! Notifications for status changes the executor did not make: the opening of a request, its
//! merge or closing by someone else. The worker pass announces them, once, whichever worker
//! sees them first; the record of what was announced is in Git. Real Git repositories, and a
//! loopback server standing in for the Slack and JSON webhooks.

mod support;

use pao_executor::worker::pass;
use pao_git::{Acquired, LeaseStore, RequestId, RequestStatus};
use pao_testutil::http::{MockServer, Reply};
use serde_json::{Value, json};
use support::{MapSecrets, SECRETS, clock, executor, executor_named, item, submitted_request, world};

/// A world with one submitted (unmerged) request, notifying Slack (every status) at `/slack`
/// and plain JSON (only `pr_closed`) at `/json` of `hooks`; its id and the secrets.
fn opened(hooks: &MockServer) -> (support::World, String, Vec<(&'static str, String)>) {
    let toml = "[[notifications]]\nurl-secret = \"slack-webhook\"\nformat = \"slack\"\n\n\
                [[notifications]]\nurl-secret = \"json-webhook\"\nformat = \"json\"\non = [\"pr_closed\"]\n";
    // The item's actions never run: nothing here is merged.
    let w = world(&item("http://127.0.0.1:9", "http://127.0.0.1:9", "automated", ""), toml);
    let id = submitted_request(&w.app, json!({ "instanceName": "orders" }));
    let mut secrets: Vec<(&'static str, String)> = SECRETS.iter().map(|(k, v)| (*k, (*v).to_owned())).collect();
    secrets.push(("slack-webhook", format!("{}/slack", hooks.url)));
    secrets.push(("json-webhook", format!("{}/json", hooks.url)));
    (w, id, secrets)
}

/// The secrets as the map provider takes them.
fn provider(secrets: &[(&'static str, String)]) -> std::sync::Arc<MapSecrets> {
    MapSecrets::of(&secrets.iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>())
}

/// The status of each Slack message, in order.
fn slack_statuses(hooks: &MockServer) -> Vec<String> {
    hooks
        .received_on("POST", "/slack")
        .iter()
        .map(|m| m.json()["text"].as_str().unwrap().split(" is ").nth(1).unwrap().split(':').next().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_made_outside_the_executor_are_announced_once_by_the_worker_pass() {
    let hooks = MockServer::start(|_| Reply::text(200, "ok"));
    let (w, id, secrets) = opened(&hooks);

    let first = executor(&w.app, provider(&secrets), clock());
    let report = pass(&first).await.unwrap();
    assert!(report.errors.is_empty() && report.executed.is_empty(), "{report:?}");
    assert_eq!(slack_statuses(&hooks), ["submitted", "validating", "pr_open"]);
    assert!(hooks.received_on("POST", "/json").is_empty(), "the JSON target wants only pr_closed");

    // Nothing new: neither this worker nor another one (which has never looked) posts again.
    pass(&first).await.unwrap();
    let other = executor_named(&w.app, provider(&secrets), clock(), "other-worker");
    pass(&other).await.unwrap();
    assert_eq!(slack_statuses(&hooks).len(), 3, "{:?}", slack_statuses(&hooks));

    // A person closes the pull request; the next pass announces it to both targets.
    w.app.orchestrator.transition(&id, RequestStatus::PrClosed, "not needed after all").unwrap();
    pass(&other).await.unwrap();
    assert_eq!(slack_statuses(&hooks), ["submitted", "validating", "pr_open", "pr_closed"]);
    let plain = hooks.received_on("POST", "/json");
    assert_eq!(plain.len(), 1);
    let message: Value = plain[0].json();
    assert_eq!(message["status"], "pr_closed");
    assert_eq!(message["request"]["id"], id.as_str());
    assert_eq!(message["request"]["requester"], "alice");
    assert_eq!(message["request"]["itemName"], "PostgreSQL", "the facts come from the request file and the item");
    assert!(pao_git::parse_rfc3339(message["changedAt"].as_str().unwrap()).is_some(), "{message}");
    pass(&first).await.unwrap();
    assert_eq!(slack_statuses(&hooks).len(), 4, "announced once, by whichever worker saw it first");
    let log: Vec<String> = first.logs(&id, None).unwrap().into_iter().map(|e| e.summary).collect();
    let announced: Vec<_> = log.iter().filter(|s| s.starts_with("announced the change to")).collect();
    assert_eq!(announced.len(), 4, "{log:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_another_worker_holds_is_announced_on_a_later_pass() {
    let hooks = MockServer::start(|_| Reply::text(200, "ok"));
    let (w, id, secrets) = opened(&hooks);
    let leases = LeaseStore::open(&w.state).unwrap();
    let Acquired::Held(lease) =
        leases.acquire(&RequestId::parse(&id).unwrap(), "elsewhere", 1_800_000_000, 300).unwrap()
    else {
        panic!("the lease is free")
    };
    let exec = executor(&w.app, provider(&secrets), clock());
    let report = pass(&exec).await.unwrap();
    assert!(report.errors.is_empty(), "a held request is not an error: {report:?}");
    assert!(slack_statuses(&hooks).is_empty(), "the holder's request is left alone");
    leases.release(&lease).unwrap();
    pass(&exec).await.unwrap();
    assert_eq!(slack_statuses(&hooks), ["submitted", "validating", "pr_open"], "looked at again once free");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_notifications_a_pass_writes_nothing_to_the_log() {
    let w = world(&item("http://127.0.0.1:9", "http://127.0.0.1:9", "automated", ""), "");
    let id = submitted_request(&w.app, json!({ "instanceName": "orders" }));
    let exec = executor(&w.app, MapSecrets::of(SECRETS), clock());
    pass(&exec).await.unwrap();
    assert!(exec.logs(&id, None).unwrap().is_empty());
}
