//! Shared set-up of the executor tests: a catalog work tree with `pao.toml` and one item,
//! a bare state repository cloned from it, a submitted and merged request, and secrets from
//! a map.

#![allow(dead_code, unreachable_pub)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use pao_app::{App, RepositoryOptions};
use pao_executor::clock::BoxFuture;
use pao_executor::{Clock, Executor, ExecutorOptions, ManualClock, SecretError, SecretsProvider};
use pao_orchestrator::{Hint, Requester, SubmitRequest};
use pao_testutil::{git, write};

/// Secrets from a map.
#[derive(Debug, Clone, Default)]
pub struct MapSecrets(pub BTreeMap<String, String>);

impl MapSecrets {
    pub fn of(pairs: &[(&str, &str)]) -> Arc<Self> {
        Arc::new(Self(pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()))
    }
}

impl SecretsProvider for MapSecrets {
    fn describe(&self) -> String {
        "map".into()
    }

    fn get<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<String, SecretError>> {
        let result = self
            .0
            .get(name)
            .cloned()
            .ok_or_else(|| SecretError::Missing { name: name.to_owned(), hint: "not in the test map".to_owned() });
        Box::pin(std::future::ready(result))
    }
}

/// Repositories and the composition root over them.
pub struct World {
    pub dir: tempfile::TempDir,
    pub work: PathBuf,
    pub state: PathBuf,
    pub app: App,
}

/// A catalog with `item` (YAML) and `pao_toml`, and a bare state repository cloned from it.
pub fn world(item: &str, pao_toml: &str) -> World {
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("catalog");
    std::fs::create_dir_all(&work).unwrap();
    git(&work, &["init", "-q", "-b", "main"]);
    write(&work, "catalog/databases/pgsql.yaml", item);
    write(&work, "pao.toml", pao_toml);
    git(&work, &["add", "-A"]);
    git(&work, &["commit", "-q", "-m", "catalog"]);
    let state = dir.path().join("state.git");
    git(dir.path(), &["clone", "-q", "--bare", work.to_str().unwrap(), state.to_str().unwrap()]);
    let app = open(&state);
    World { dir, work, state, app }
}

pub fn open(state: &Path) -> App {
    let options =
        RepositoryOptions { state_repo: Some(state.to_path_buf()), local: true, ..RepositoryOptions::default() };
    App::open_from(&options, state).unwrap()
}

/// Submits a request for `pgsql` with `values` (its pull request stays open); returns its id.
pub fn submitted_request(app: &App, values: serde_json::Value) -> String {
    app.orchestrator
        .submit(&SubmitRequest {
            item: "pgsql".into(),
            version: None,
            team: "payments".into(),
            resource: "orders-db".into(),
            values: values.as_object().unwrap().clone(),
            requester: Requester { id: "alice".into(), email: Some("alice@example.com".into()) },
            hint: Hint::Auto,
            idempotency_key: None,
            correlation_id: None,
        })
        .unwrap()
        .request
        .id
}

/// Submits a request for `pgsql` with `values` and merges it; returns its id.
pub fn merged_request(app: &App, values: serde_json::Value) -> String {
    let id = submitted_request(app, values);
    app.orchestrator.merge(&id).unwrap();
    id
}

/// An executor with map secrets and a manual clock.
pub fn executor(app: &App, secrets: Arc<MapSecrets>, clock: Arc<ManualClock>) -> Executor {
    executor_named(app, secrets, clock, "test-worker")
}

pub fn executor_named(app: &App, secrets: Arc<MapSecrets>, clock: Arc<ManualClock>, name: &str) -> Executor {
    let clock: Arc<dyn Clock> = clock;
    Executor::new(
        app,
        ExecutorOptions {
            clock: Some(clock),
            worker: Some(name.into()),
            secrets: Some(secrets),
            github_api_url: None,
            github_token: None,
        },
    )
    .unwrap()
}

pub fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::at(1_800_000_000))
}

/// `pao.toml` pointing JIRA at `jira_url`.
pub fn jira_toml(jira_url: &str, extra: &str) -> String {
    format!(
        "[jira.instances.default]\nurl = \"{jira_url}\"\nuser = \"pao-bot@acme.example\"\ntoken-secret = \"jira-token\"\n{extra}"
    )
}

/// The item used by most tests: automated `create` (rest-api) then `announce` (webhook);
/// manual `ticket` (jira-ticket).
pub fn item(rest: &str, hook: &str, strategy: &str, retry: &str) -> String {
    format!(
        r#"{head}fulfillment:
  strategy: {strategy}
  automated:
    actions:
      - id: create
        name: Create database
        type: rest-api
        {retry}
        config:
          method: POST
          url: "{rest}/dbs"
          auth: {{ type: bearer, secret: api-token }}
          body:
            name: "{{{{ fields.instanceName }}}}"
            password: "{{{{ secrets.db_password }}}}"
          expectStatus: [201]
          outputs:
            endpoint: /db/endpoint
      - id: announce
        name: Announce
        type: webhook
        config:
          url: "{hook}/events"
          secret: hook-key
          payload:
            endpoint: "{{{{ outputs.create.endpoint }}}}"
            resource: "{{{{ request.resource }}}}"
  manual:
    actions:
      - id: ticket
        name: Ticket
        type: jira-ticket
        config:
          project: DBA
          issueType: Task
          summary: "Create {{{{ fields.instanceName }}}}"
          description: "Please create {{{{ fields.instanceName }}}} (automated step {{{{ failure.action }}}} failed at {{{{ failure.timestamp }}}}: {{{{ failure.error }}}})"
          labels: [pao]
"#,
        head = pao_testutil::item_head("pgsql", "PostgreSQL")
    )
}

pub const SECRETS: &[(&str, &str)] = &[
    ("api-token", "tok-API-4f1d9a"),
    ("db_password", "pw-DB-77ac31"),
    ("hook-key", "hk-HOOK-0b52e8"),
    ("jira-token", "jt-JIRA-e39d10"),
    ("slack-webhook", "http://127.0.0.1:9/unused"),
];

/// `base` with `extra` set: each of its names replaced, or added.
pub fn secrets_with<'a>(base: &[(&'a str, &'a str)], extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut secrets: Vec<(&str, &str)> =
        base.iter().copied().filter(|(name, _)| extra.iter().all(|(other, _)| other != name)).collect();
    secrets.extend_from_slice(extra);
    secrets
}
