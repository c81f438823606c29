//! Fulfilment through a real server on a loopback port (what `pao serve --worker` runs): a
//! signed GitHub merge webhook wakes the worker loop; JIRA (a recording loopback server) gets
//! the failover ticket; `/webhooks/jira` completes or fails it; retry, escalate, abort and the
//! log over HTTP with team authorisation; `terraform` actions write their files in the request's
//! pull request or a follow-up branch and complete by GitHub commit status (a loopback GitHub
//! API) or by `/webhooks/terraform`. Error bodies are snapshot-tested.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{ALICE, BOB, config_text};
use hmac::{Hmac, Mac};
use pao_executor::clock::BoxFuture;
use pao_executor::{Executor, ExecutorOptions, SecretError, SecretsProvider};
use pao_testutil::http::{MockServer, Reply};
use pao_testutil::{git, write};
use serde_json::{Value, json};
use sha2::{Sha256, Sha512};

const GITHUB_SECRET: &str = "gh-hook-secret-1";
const JIRA_SECRET: &str = "jira-hook-secret-2";
const TERRAFORM_SECRET: &str = "tf-hook-secret-3";
const JIRA_TOKEN: &str = "jt-JIRA-SECRET-91ab";

#[derive(Debug)]
struct MapSecrets;

impl SecretsProvider for MapSecrets {
    fn describe(&self) -> String {
        "test map".into()
    }

    fn get<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<String, SecretError>> {
        let result = match name {
            "jira-token" => Ok(JIRA_TOKEN.to_owned()),
            _ => Err(SecretError::Missing { name: name.to_owned(), hint: "not in the test map".to_owned() }),
        };
        Box::pin(std::future::ready(result))
    }
}

const HEAD: &str = r#"apiVersion: pao/v1
kind: CatalogItem
metadata:
  id: ID
  name: NAME
  description: A test item
  version: 1.0.0
  category: databases
  owner:
    team: dba
    contact: dba@example.com
  lifecycle:
    status: stable
presentation:
  form:
    groups:
      - id: basic
        name: Basic
        fields:
          - id: instanceName
            name: Instance Name
            type: string
            required: true
"#;

fn ticketed(rest: &str) -> String {
    HEAD.replace("ID", "ticketed").replace("NAME", "Ticketed")
        + &format!(
            r#"fulfillment:
  strategy: failover
  automated:
    actions:
      - id: create
        name: Create
        type: rest-api
        config:
          method: POST
          url: "{rest}/dbs"
          body: {{ name: "{{{{ fields.instanceName }}}}" }}
  manual:
    actions:
      - id: ticket
        name: Ticket
        type: jira-ticket
        config:
          project: DBA
          issueType: Task
          summary: "Create {{{{ fields.instanceName }}}}"
          description: "Please create {{{{ fields.instanceName }}}} ({{{{ failure.action }}}} failed: {{{{ failure.error }}}})"
"#
        )
}

fn terraformed() -> String {
    HEAD.replace("ID", "tfdb").replace("NAME", "Terraformed")
        + r#"fulfillment:
  strategy: automated
  automated:
    actions:
      - id: network
        name: Network
        type: terraform
        config:
          path: "infra/{{ request.resource }}/{{ fields.instanceName }}"
          module: "git::https://example.com/modules/network.git?ref=v1"
          variables: { cidr: "10.0.0.0/24" }
      - id: database
        name: Database
        type: terraform
        config:
          path: "infra/{{ request.resource }}/db"
          variables: { network: "{{ outputs.network.commit }}" }
"#
}

struct World {
    dir: tempfile::TempDir,
    state: std::path::PathBuf,
    app: pao_app::App,
}

fn world(rest: &str, jira: &str, github: &str) -> World {
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("catalog");
    std::fs::create_dir_all(&work).unwrap();
    git(&work, &["init", "-q", "-b", "main"]);
    write(&work, "catalog/databases/ticketed.yaml", &ticketed(rest));
    write(&work, "catalog/databases/tfdb.yaml", &terraformed());
    write(&work, ".github/CODEOWNERS", "/catalog/databases/ @acme/dba\n");
    write(&work, "pao.toml", "[catalog]\ngithub-org = \"acme\"\n");
    git(&work, &["add", "-A"]);
    git(&work, &["commit", "-q", "-m", "catalog"]);
    let state = dir.path().join("state.git");
    git(dir.path(), &["clone", "-q", "--bare", work.to_str().unwrap(), state.to_str().unwrap()]);
    let config = dir.path().join("pao.toml");
    let extra = format!(
        "[jira.instances.default]\nurl = \"{jira}\"\nuser = \"pao-bot@acme.example\"\ntoken-secret = \"jira-token\"\n\n[github]\nrepository = \"acme/state\"\napi-url = \"{github}\"\n"
    );
    std::fs::write(&config, config_text(&extra)).unwrap();
    let options = pao_app::RepositoryOptions {
        state_repo: Some(state.clone()),
        base: "main".into(),
        catalog_repo: Some(work.clone()),
        catalog_rev: "main".into(),
        config: Some(config),
        local: true,
    };
    let app = pao_app::App::open_from(&options, dir.path()).unwrap();
    World { dir, state, app }
}

struct Running {
    base: String,
    client: reqwest::Client,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Running {
    fn url(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.base)
    }

    async fn call(&self, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> (u16, Value) {
        let mut request = self.client.request(method.parse().unwrap(), self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    async fn hook(&self, path: &str, headers: &[(&str, String)], body: &Value) -> (u16, Value) {
        let bytes = body.to_string().into_bytes();
        let mut request = self.client.post(self.url(path)).header("content-type", "application/json");
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let response = request.body(bytes).send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn merged(&self, app: &pao_app::App, id: &str) {
        app.orchestrator.merge(id).unwrap();
        let event = json!({ "action": "closed", "pull_request": { "merged": true, "head": { "ref": format!("pao/requests/{id}") } } });
        let signature = sign::<Hmac<Sha256>>(GITHUB_SECRET, &event, "sha256=");
        let (status, body) = self
            .hook(
                "/webhooks/github",
                &[("x-github-event", "pull_request".into()), ("x-hub-signature-256", signature)],
                &event,
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }

    /// Polls `/status` until `done` holds (the worker loop runs in the server), at most 20 s.
    async fn wait_for(&self, id: &str, what: &str, done: impl Fn(&Value) -> bool) -> Value {
        for _ in 0..200 {
            let (status, body) = self.call("GET", &format!("/requests/{id}/status"), Some(ALICE), None).await;
            assert_eq!(status, 200, "{body}");
            if done(&body) {
                return body;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("request {id} never reached: {what}");
    }

    async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        self.task.await.unwrap().unwrap();
    }
}

fn sign<M: Mac + hmac::digest::KeyInit>(secret: &str, body: &Value, prefix: &str) -> String {
    let mut mac = <M as hmac::digest::KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body.to_string().as_bytes());
    format!("{prefix}{}", hex::encode(mac.finalize().into_bytes()))
}

async fn serve(app: &pao_app::App, poll: Duration) -> Running {
    let executor = Executor::new(
        app,
        ExecutorOptions {
            secrets: Some(Arc::new(MapSecrets)),
            worker: Some("serve-test".into()),
            github_token: Some("gh-token-test".into()),
            ..ExecutorOptions::default()
        },
    )
    .unwrap();
    let secrets = pao_server::WebhookSecrets {
        github: Some(GITHUB_SECRET.as_bytes().to_vec()),
        jira: Some(JIRA_SECRET.as_bytes().to_vec()),
        terraform: Some(TERRAFORM_SECRET.as_bytes().to_vec()),
    };
    let server = pao_server::Server::with_executor(app, secrets, Arc::new(executor)).unwrap().with_worker(poll);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server.run(listener, async move {
        let _ = stopped.await;
    }));
    let _ = rustls::crypto::ring::default_provider().install_default();
    Running { base, client: reqwest::Client::new(), stop: Some(stop), task }
}

async fn submit(running: &Running, item: &str, resource: &str, values: Value) -> String {
    let body = json!({ "item": item, "resource": resource, "team": "streaming", "values": values });
    let (status, answer) = running.call("POST", "/requests", Some(ALICE), Some(body)).await;
    assert_eq!(status, 202, "{answer}");
    answer["request"]["id"].as_str().unwrap().to_owned()
}

/// The error body with its per-call correlation id and request ids blanked, for snapshots.
fn error_body(mut body: Value) -> Value {
    body["error"]["correlationId"] = json!("[correlation-id]");
    let message = body["error"]["message"].as_str().unwrap_or_default().to_owned();
    let mut out = String::new();
    let mut rest = message.as_str();
    while let Some(at) = rest.find("req-") {
        out.push_str(&rest[..at]);
        let id: String = rest[at..].chars().take(25).collect();
        let well_formed = id.len() == 25 && id[4..12].bytes().all(|b| b.is_ascii_digit());
        out.push_str(if well_formed { "[request-id]" } else { &id });
        rest = &rest[at + id.len()..];
    }
    out.push_str(rest);
    body["error"]["message"] = json!(out);
    body
}

fn jira_done(key: &str, resolution: &str) -> Value {
    // Both are resolved: JIRA's "done" status category, with the resolution telling them apart.
    let category = "done";
    json!({ "webhookEvent": "jira:issue_updated", "issue": { "key": key, "fields": {
        "status": { "name": if resolution == "Done" { "Done" } else { "Closed" }, "statusCategory": { "key": category } },
        "resolution": { "name": resolution } } } })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_worker_runs_failover_tickets_and_the_lifecycle_routes() {
    let rest = MockServer::start(|_| Reply::json(500, json!({ "message": "database service down" })));
    let counter = Arc::new(Mutex::new(0));
    let issued = Arc::clone(&counter);
    let jira = MockServer::start(move |r| match (r.method.as_str(), r.route()) {
        ("POST", "/rest/api/2/issue") => {
            let mut n = issued.lock().unwrap();
            *n += 1;
            Reply::json(201, json!({ "id": "1000", "key": format!("DBA-{n}") }))
        }
        ("GET", route) if route.starts_with("/rest/api/2/issue/") => Reply::json(
            200,
            json!({ "fields": { "status": { "name": "Open", "statusCategory": { "key": "new" } }, "resolution": null } }),
        ),
        _ => Reply::empty(404),
    });
    let github = MockServer::start(|_| Reply::empty(404));
    let w = world(&rest.url, &jira.url, &github.url);
    // A long poll: only the webhooks wake the worker loop.
    let running = serve(&w.app, Duration::from_secs(3600)).await;

    let id = submit(&running, "ticketed", "orders", json!({ "instanceName": "orders" })).await;
    let (status, body) = running.call("POST", &format!("/requests/{id}/retry"), Some(ALICE), None).await;
    assert_eq!(status, 409, "a request that is not merged is not retried: {body}");
    insta::assert_json_snapshot!("retry_not_failed", error_body(body));

    running.merged(&w.app, &id).await;
    let waiting = running
        .wait_for(&id, "waiting on DBA-1", |b| {
            b["fulfilment"]["waitingOn"].as_str().is_some_and(|w| w.contains("DBA-1"))
        })
        .await;
    assert_eq!(waiting["status"], "in_progress");
    assert_eq!(waiting["fulfilment"]["failedOver"]["action"], "create");
    assert!(waiting["fulfilment"]["failedOver"]["error"].as_str().unwrap().contains("500"), "{waiting}");
    let ticket = jira.received_on("POST", "/rest/api/2/issue");
    assert_eq!(ticket.len(), 1);
    let description = ticket[0].json()["fields"]["description"].as_str().unwrap().to_owned();
    assert!(description.starts_with("Please create orders (create failed: "), "{description}");
    assert!(description.contains("500"), "failure.error is the automated error: {description}");
    assert!(description.contains("Automated fulfilment failed at action create"), "{description}");

    // Another team sees nothing and changes nothing.
    let (status, body) = running.call("GET", &format!("/requests/{id}"), Some(BOB), None).await;
    assert_eq!(status, 403, "{body}");
    let (status, _) = running.call("POST", &format!("/requests/{id}/abort"), Some(BOB), None).await;
    assert_eq!(status, 403);
    let (status, _) = running.call("GET", &format!("/requests/{id}/logs"), None, None).await;
    assert_eq!(status, 401);

    // An unsigned JIRA delivery is refused and changes nothing.
    let done = jira_done("DBA-1", "Done");
    let (status, body) = running.hook("/webhooks/jira", &[("x-hub-signature", "sha256=00".into())], &done).await;
    assert_eq!(status, 401, "{body}");
    insta::assert_json_snapshot!("jira_unsigned", error_body(body));
    // Signed: Done completes the ticket, and with it the request.
    let signature = sign::<Hmac<Sha256>>(JIRA_SECRET, &done, "sha256=");
    let (status, body) = running.hook("/webhooks/jira", &[("x-hub-signature", signature)], &done).await;
    assert_eq!((status, &body["status"]), (200, &json!("completed")), "{body}");

    let (status, full) = running.call("GET", &format!("/requests/{id}"), Some(ALICE), None).await;
    assert_eq!(status, 200);
    let actions = full["request"]["fulfilment"]["actions"].as_array().unwrap();
    let summary: Vec<(String, String)> = actions
        .iter()
        .map(|a| (a["id"].as_str().unwrap().to_owned(), a["status"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(summary, [("create".into(), "failed".into()), ("ticket".into(), "succeeded".into())]);
    assert_eq!(actions[1]["reference"]["id"], "DBA-1");
    assert_eq!(actions[1]["outputs"]["issueKey"], "DBA-1");

    let (status, logs) = running.call("GET", &format!("/requests/{id}/logs"), Some(ALICE), None).await;
    assert_eq!(status, 200);
    let events: Vec<&str> =
        logs["entries"].as_array().unwrap().iter().map(|e| e["record"]["event"].as_str().unwrap()).collect();
    assert_eq!(events.first(), Some(&"started"));
    assert!(events.contains(&"failed_over") && events.contains(&"external"), "{events:?}");
    assert_eq!(events.last(), Some(&"finished"));
    assert_eq!(logs["follow"], false);
    let cursor = logs["cursor"].as_str().unwrap();
    let (_, after) = running.call("GET", &format!("/requests/{id}/logs?after={cursor}"), Some(ALICE), None).await;
    assert_eq!(after["entries"], json!([]));
    let (status, body) = running.call("GET", &format!("/requests/{id}/logs?after=nope"), Some(ALICE), None).await;
    assert_eq!(status, 400);
    insta::assert_json_snapshot!("logs_bad_cursor", error_body(body));
    let (status, body) = running.call("POST", &format!("/requests/{id}/abort"), Some(ALICE), None).await;
    assert_eq!(status, 409, "a completed request cannot be aborted: {body}");

    // Won't Do fails the request; a person escalates, retries (a new ticket), then aborts.
    let second = submit(&running, "ticketed", "payments", json!({ "instanceName": "payments" })).await;
    running.merged(&w.app, &second).await;
    running
        .wait_for(&second, "waiting on DBA-2", |b| {
            b["fulfilment"]["waitingOn"].as_str().is_some_and(|w| w.contains("DBA-2"))
        })
        .await;
    let wont = jira_done("DBA-2", "Won't Do");
    let signature = sign::<Hmac<Sha256>>(JIRA_SECRET, &wont, "sha256=");
    let (status, body) = running.hook("/webhooks/jira", &[("x-hub-signature", signature)], &wont).await;
    assert_eq!((status, &body["status"]), (200, &json!("failed")), "{body}");
    let (_, failed) = running.call("GET", &format!("/requests/{second}/status"), Some(ALICE), None).await;
    assert_eq!(failed["fulfilment"]["error"], "JIRA ticket DBA-2 was closed as Won't Do");

    let (status, escalated) = running
        .call("POST", &format!("/requests/{second}/escalate"), Some(ALICE), Some(json!({ "reason": "DBA on leave" })))
        .await;
    assert_eq!(status, 200, "{escalated}");
    assert_eq!(escalated["request"]["status"], "escalated");
    assert_eq!(escalated["escalation"]["by"], "alice");
    let (_, escalation) = running.call("GET", &format!("/requests/{second}/escalation"), Some(ALICE), None).await;
    assert_eq!(escalation["escalated"], true);
    assert_eq!(escalation["escalation"]["note"], "DBA on leave");
    assert!(escalation["escalation"]["description"].as_str().unwrap().contains("Won't Do"), "{escalation}");

    let (status, retried) = running.call("POST", &format!("/requests/{second}/retry"), Some(ALICE), None).await;
    assert_eq!(status, 200, "{retried}");
    assert_eq!(retried["fulfilment"]["status"], "in_progress");
    assert!(retried["fulfilment"]["waitingOn"].as_str().unwrap().contains("DBA-3"), "{retried}");
    let (status, aborted) = running
        .call("POST", &format!("/requests/{second}/abort"), Some(ALICE), Some(json!({ "reason": "not needed" })))
        .await;
    assert_eq!((status, &aborted["request"]["status"]), (200, &json!("aborted")), "{aborted}");
    let (status, body) = running.call("POST", &format!("/requests/{second}/retry"), Some(ALICE), None).await;
    assert_eq!(status, 409);
    insta::assert_json_snapshot!("retry_aborted", error_body(body));

    // No secret reached Git or an answer.
    let text = pao_testutil::git(&w.state, &["log", "--all", "-p"]);
    assert!(!text.contains(JIRA_TOKEN));
    assert!(!full.to_string().contains(JIRA_TOKEN) && !logs.to_string().contains(JIRA_TOKEN));
    running.stop().await;
    drop(w.dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terraform_files_go_in_the_pull_request_or_a_follow_up_and_complete_by_status_or_webhook() {
    let applied_commit = Arc::new(Mutex::new(String::new()));
    let known = Arc::clone(&applied_commit);
    let github = MockServer::start(move |r| {
        let Some(rest) = r.route().strip_prefix("/repos/acme/state/commits/") else { return Reply::empty(404) };
        let sha = rest.trim_end_matches("/status");
        let state = if !sha.is_empty() && *known.lock().unwrap() == sha { "success" } else { "pending" };
        Reply::json(
            200,
            json!({ "state": state, "statuses": [
                { "context": "ci/lint", "state": "failure", "description": "unrelated" },
                { "context": "atlantis/apply", "state": state, "description": "apply" }
            ] }),
        )
    });
    let jira = MockServer::start(|_| Reply::empty(404));
    let w = world("http://127.0.0.1:9", &jira.url, &github.url);
    let running = serve(&w.app, Duration::from_millis(200)).await;

    // A path that leaves the repository is refused at submission, with the reason.
    let body = json!({ "item": "tfdb", "resource": "orders", "team": "streaming", "values": { "instanceName": "../../../etc" } });
    let (status, refused) = running.call("POST", "/requests", Some(ALICE), Some(body)).await;
    assert_eq!(status, 422, "{refused}");
    insta::assert_json_snapshot!("terraform_path_traversal", error_body(refused));
    assert!(!git(&w.state, &["ls-tree", "-r", "--name-only", "main"]).contains("etc"));

    let id = submit(&running, "tfdb", "orders", json!({ "instanceName": "net" })).await;
    // The first action needs nothing known only at execution: its files are in the pull request.
    let branch = format!("pao/requests/{id}");
    let listed = git(&w.state, &["ls-tree", "-r", "--name-only", &branch]);
    assert!(listed.contains("infra/orders/net/main.tf.json"), "{listed}");
    assert!(listed.contains("infra/orders/net/terraform.tfvars.json"), "{listed}");
    assert!(!listed.contains("infra/orders/db/"), "the second reads an output: {listed}");
    let main = git(&w.state, &["show", &format!("{branch}:infra/orders/net/main.tf.json")]);
    assert!(main.contains("git::https://example.com/modules/network.git?ref=v1"), "{main}");

    running.merged(&w.app, &id).await;
    let merge = git(&w.state, &["rev-parse", "main"]).trim().to_owned();
    let waiting =
        running.wait_for(&id, "network waiting", |b| b["fulfilment"]["actions"][0]["status"] == "waiting").await;
    assert_eq!(waiting["fulfilment"]["actions"][0]["reference"]["id"], merge.as_str());
    // Atlantis reports the apply on the merge commit: the worker's poll completes the action,
    // and the second one opens a follow-up with the first one's commit in its variables.
    *applied_commit.lock().unwrap() = merge.clone();
    let follow =
        running.wait_for(&id, "database waiting", |b| b["fulfilment"]["actions"][1]["status"] == "waiting").await;
    assert_eq!(follow["fulfilment"]["actions"][0]["status"], "succeeded");
    let database = &follow["fulfilment"]["actions"][1];
    let follow_branch = format!("pao/terraform/{id}/database");
    assert_eq!(database["outputs"]["branch"], follow_branch.as_str());
    let vars = git(&w.state, &["show", &format!("{follow_branch}:infra/orders/db/terraform.tfvars.json")]);
    assert_eq!(serde_json::from_str::<Value>(&vars).unwrap(), json!({ "network": merge }));
    let message = git(&w.state, &["log", "-1", "--format=%B", &follow_branch]);
    let label = format!("pao-{id}.database");
    assert!(message.contains(&label), "{message}");

    // HCP Terraform reports the follow-up's run: an unrelated run changes nothing, a wrong
    // signature is refused, the applied run completes the request.
    let other = json!({ "run_message": "pao-req-20000101-000000000000.database", "notifications": [{ "run_status": "applied" }] });
    let signature = sign::<Hmac<Sha512>>(TERRAFORM_SECRET, &other, "");
    let (status, body) =
        running.hook("/webhooks/terraform", &[("x-tfe-notification-signature", signature)], &other).await;
    assert_eq!((status, &body["processed"]), (202, &json!(false)), "{body}");
    let run = json!({
        "payload_version": 1, "run_url": "https://app.terraform.io/app/acme/db/runs/run-1", "run_id": "run-1",
        "run_message": format!("terraform: database of request {id}\n\n{label}"),
        "notifications": [{ "trigger": "run:completed", "run_status": "applied", "message": "Applied" }]
    });
    let (status, body) =
        running.hook("/webhooks/terraform", &[("x-tfe-notification-signature", "00".into())], &run).await;
    assert_eq!(status, 401, "{body}");
    let signature = sign::<Hmac<Sha512>>(TERRAFORM_SECRET, &run, "");
    let (status, body) =
        running.hook("/webhooks/terraform", &[("x-tfe-notification-signature", signature)], &run).await;
    assert_eq!((status, &body["status"]), (200, &json!("completed")), "{body}");
    running.stop().await;
    drop(w.dir);
}
