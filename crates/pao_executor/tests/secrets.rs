//! Secret values never leave the executor: every action type runs with distinctive secret
//! values, targets echo them back in answers and errors, and neither Git, the fulfilment log,
//! reports, escalations nor notifications contain any of them. Also: the Vault and env
//! providers against a loopback Vault.

mod support;

use std::sync::Arc;
use std::time::Duration;

use pao_executor::{EnvSecrets, Masker, SecretsProvider, VaultSecrets};
use pao_testutil::http::{MockServer, Reply};
use serde_json::json;
use support::{MapSecrets, clock, jira_toml, merged_request, world};

const SECRET_VALUES: &[(&str, &str)] = &[
    ("api-token", "ZQX-api-token-8d1f7"),
    ("db_password", "ZQX-db-password-2c9e4"),
    ("hook-key", "ZQX-hook-key-5a3b1"),
    ("jira-token", "ZQX-jira-token-7e6d2"),
    ("slack-webhook", "SLACK_URL_PLACEHOLDER"),
    ("basic-cred", "svc:ZQX-basic-pass-4f0a9"),
];

fn item(rest: &str, hook: &str, gh_repo: &str) -> String {
    format!(
        r#"{head}fulfillment:
  strategy: failover
  automated:
    actions:
      - id: create
        name: Create
        type: rest-api
        config:
          method: POST
          url: "{rest}/dbs?token={{{{ secrets.db_password }}}}"
          auth: {{ type: bearer, secret: api-token }}
          headers: {{ X-Db-Password: "{{{{ secrets.db_password }}}}" }}
          body: {{ password: "{{{{ secrets.db_password }}}}" }}
          outputs: {{ echoed: /echo }}
      - id: second
        name: Second
        type: rest-api
        config:
          method: PUT
          url: "{rest}/grants"
          auth: {{ type: basic, secret: basic-cred }}
      - id: hook
        name: Hook
        type: webhook
        config:
          url: "{hook}/events"
          secret: hook-key
          payload: {{ note: "pw {{{{ secrets.db_password }}}}" }}
      - id: dispatch
        name: Dispatch
        type: github-workflow
        config:
          repository: {gh_repo}
          workflow: provision.yml
          ref: main
          inputs: {{ password: "{{{{ secrets.db_password }}}}" }}
  manual:
    actions:
      - id: ticket
        name: Ticket
        type: jira-ticket
        config:
          project: DBA
          issueType: Task
          summary: "Create {{{{ fields.instanceName }}}}"
          description: "Password {{{{ secrets.db_password }}}}; failed: {{{{ failure.action }}}}: {{{{ failure.error }}}}"
"#,
        head = pao_testutil::item_head("pgsql", "PostgreSQL")
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_value_reaches_git_logs_reports_escalations_or_notifications() {
    // Every target echoes what it got, secrets included, and the GitHub run fails, so the
    // request fails over to JIRA and ends escalated: every path that stores text is taken.
    let rest = MockServer::start(|r| {
        let echo = format!("{} {} {}", r.path, r.header("authorization").unwrap_or_default(), r.text());
        if r.route() == "/grants" { Reply::empty(204) } else { Reply::json(201, json!({ "echo": echo })) }
    });
    let hook =
        MockServer::start(|r| Reply::json(200, json!({ "got": r.text(), "sig": r.header("x-pao-signature-256") })));
    let github = MockServer::start(|r| match (r.method.as_str(), r.route()) {
        ("POST", _) => Reply::empty(204),
        ("GET", route) if route.ends_with("/runs") => Reply::json(
            200,
            json!({ "total_count": 1, "workflow_runs": [
            { "id": 99, "status": "completed", "conclusion": "failure", "created_at": "2999-01-01T00:00:00Z",
              "html_url": format!("https://github.example/runs/99?auth={}", r.header("authorization").unwrap_or_default()) } ] }),
        ),
        _ => Reply::empty(404),
    });
    let jira = MockServer::start(|r| match (r.method.as_str(), r.route()) {
        ("POST", "/rest/api/2/issue") => {
            Reply::json(201, json!({ "id": "1", "key": "DBA-1", "self": r.header("authorization") }))
        }
        _ => Reply::json(500, json!({ "errorMessages": [r.header("authorization")] })),
    });
    let slack = MockServer::start(|_| Reply::text(200, "ok"));
    let toml = jira_toml(
        &jira.url,
        "[escalation]\nproject = \"ORCH\"\n[[notifications]]\nurl-secret = \"slack-webhook\"\nformat = \"slack\"\n",
    );
    let w = world(&item(&rest.url, &hook.url, "acme/infra"), &toml);
    let id = merged_request(&w.app, json!({ "instanceName": "orders" }));
    let slack_url = format!("{}/hook/ZQX-slack-path-1b2c3", slack.url);
    let secrets = support::secrets_with(SECRET_VALUES, &[("slack-webhook", &slack_url)]);
    let exec = pao_executor::Executor::new(
        &w.app,
        pao_executor::ExecutorOptions {
            clock: Some(clock()),
            worker: Some("w".into()),
            secrets: Some(MapSecrets::of(&secrets)),
            github_api_url: Some(github.url.clone()),
            github_token: Some("ZQX-github-token-9a8b7".into()),
        },
    )
    .unwrap();
    let report = exec.execute(&id).await.unwrap();
    // The ticket poll fails with the JIRA token echoed: still waiting, nothing stored.
    let polled = exec.execute(&id).await.unwrap();
    let escalation = exec.escalate(&id, "dave", "please").await.unwrap();

    // Each target really received its secret (so the test can fail).
    assert!(rest.received()[0].text().contains("ZQX-db-password-2c9e4"));
    assert!(hook.received()[0].text().contains("ZQX-db-password-2c9e4"));
    assert!(github.received()[0].header("authorization").unwrap().contains("ZQX-github-token-9a8b7"));
    assert!(!jira.received().is_empty() && !slack.received().is_empty());

    let mut stored = pao_testutil::all_git_text(&w.state);
    for entry in exec.logs(&id, None).unwrap() {
        stored.push_str(&serde_json::to_string(&entry).unwrap());
    }
    stored.push_str(&serde_json::to_string(&report).unwrap());
    stored.push_str(&serde_json::to_string(&polled).unwrap());
    stored.push_str(&serde_json::to_string(&exec.report(&id).unwrap()).unwrap());
    stored.push_str(&serde_json::to_string(&escalation).unwrap());
    // The escalation ticket is PAO's own text (the manual ticket's description is the item's
    // template, which sends the password to JIRA on purpose).
    let escalations: Vec<_> = jira
        .received_on("POST", "/rest/api/2/issue")
        .into_iter()
        .filter(|r| r.json()["fields"]["project"]["key"] == "ORCH")
        .collect();
    assert_eq!(escalations.len(), 1);
    stored.push_str(&escalations[0].text());
    // The manual ticket reads the failure context: the failed run's error, whose URL carried
    // the GitHub token, reaches it masked.
    let manual: Vec<_> = jira
        .received_on("POST", "/rest/api/2/issue")
        .into_iter()
        .filter(|r| r.json()["fields"]["project"]["key"] == "DBA")
        .collect();
    let description = manual[0].json()["fields"]["description"].as_str().unwrap().to_owned();
    let failure = description.split("; failed: ").nth(1).unwrap_or_default().to_owned();
    assert!(failure.contains("***"), "the failure context holds the masked error: {description}");
    stored.push_str(&failure);
    for r in slack.received() {
        stored.push_str(&r.text());
    }
    assert!(stored.contains("***"), "masked values show as ***");
    assert!(stored.contains("/dbs"), "the echo was stored, masked");
    let basic = base64_of("svc:ZQX-basic-pass-4f0a9");
    for secret in [
        "ZQX-api-token-8d1f7",
        "ZQX-db-password-2c9e4",
        "ZQX-hook-key-5a3b1",
        "ZQX-jira-token-7e6d2",
        "ZQX-basic-pass-4f0a9",
        "ZQX-github-token-9a8b7",
        "ZQX-slack-path-1b2c3",
        basic.as_str(),
    ] {
        assert!(!stored.contains(secret), "{secret} leaked:\n{}", pao_testutil::excerpt(&stored, secret));
    }
}

fn base64_of(text: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vault_kv2_values_are_read_with_the_token_and_missing_ones_are_named() {
    let vault = MockServer::start(|r| {
        if r.header("x-vault-token") != Some("vt-1") {
            return Reply::json(403, json!({ "errors": ["permission denied"] }));
        }
        match r.route() {
            "/v1/secret/data/pao/jira-token" => {
                Reply::json(200, json!({ "data": { "data": { "value": "from-vault" }, "metadata": { "version": 3 } } }))
            }
            "/v1/secret/data/pao/single" => {
                Reply::json(200, json!({ "data": { "data": { "password": "only-key" }, "metadata": {} } }))
            }
            _ => Reply::json(404, json!({ "errors": [] })),
        }
    });
    let http = pao_executor::http::Http::new(pao_executor::breaker::Breakers::new(
        5,
        Duration::from_secs(30),
        support::clock(),
    ))
    .unwrap();
    let provider = VaultSecrets::new(http.clone(), vault.url.clone(), "vt-1".into(), "secret", "pao/");
    assert_eq!(provider.get("jira-token").await.unwrap(), "from-vault");
    assert_eq!(provider.get("single").await.unwrap(), "only-key");
    let err = provider.get("nope").await.unwrap_err();
    assert!(
        err.to_string().contains("secret `nope` is not set") && err.to_string().contains("secret/pao/nope"),
        "{err}"
    );
    let bad = VaultSecrets::new(http, vault.url.clone(), "wrong".into(), "secret", "pao/");
    let err = bad.get("jira-token").await.unwrap_err();
    assert!(err.to_string().contains("HTTP 403") && err.to_string().contains("permission denied"), "{err}");
    assert!(!err.to_string().contains("wrong"), "the token is not in the message: {err}");
    assert_eq!(vault.received()[0].header("x-vault-token"), Some("vt-1"));
}

#[tokio::test]
async fn env_secrets_name_the_variable_to_set() {
    let err = EnvSecrets.get("definitely-unset-name").await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "secret `definitely-unset-name` is not set: set the environment variable PAO_SECRET_DEFINITELY_UNSET_NAME for the executor"
    );
    let masker = Masker::new();
    masker.add("x-secret");
    assert_eq!(masker.mask("a x-secret b"), "a *** b");
    let _ = Arc::new(());
}
