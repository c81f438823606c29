//! Secret values never leave `pao serve --worker`: the real binary executes a request through
//! every action type (rest-api with bearer, OAuth2 client credentials, apiKey and basic auth;
//! webhook; github-workflow; jira-ticket; terraform) with distinctive secret values, and the
//! targets (recording loopback servers speaking the APIs' shapes) echo them back in answers,
//! URLs and errors. The request fails over to JIRA, completes the ticket by signed webhook,
//! fails at a terraform action that would write a secret to Git, is retried, escalated and
//! aborted over the API. Then the server's whole log (at debug level), every API answer and
//! portal page about the request, and every object in the state repository are searched for
//! each secret.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Running, free_port, http_client, sha256_hex, wait_for};
use hmac::{Hmac, Mac};
use pao_testutil::http::{MockServer, Reply};
use pao_testutil::{all_git_text, excerpt, git, write};
use serde_json::{Value, json};

const TOKEN: &str = "alice-served-token-1";
const JIRA_HOOK_SECRET: &str = "ZQX-jira-hook-secret-6b1e0";
/// Every secret, as the provider gives it, and the forms that must never appear either.
const SECRETS: &[(&str, &str)] = &[
    ("PAO_SECRET_API_TOKEN", "ZQX-api-token-8d1f7"),
    ("PAO_SECRET_DB_PASSWORD", "ZQX-db-password-2c9e4"),
    ("PAO_SECRET_HOOK_KEY", "ZQX-hook-key-5a3b1"),
    ("PAO_SECRET_JIRA_TOKEN", "ZQX-jira-token-7e6d2"),
    ("PAO_SECRET_BASIC_CRED", "svc:ZQX-basic-pass-4f0a9"),
    ("GITHUB_TOKEN", "ZQX-github-token-9a8b7"),
];
const OAUTH_SECRET: &str = "ZQX-oauth-client-secret-0d4e2";
const ACCESS_TOKEN: &str = "ZQX-access-token-3c1d0";
const SLACK_PATH: &str = "ZQX-slack-path-1b2c3";

fn item(rest: &str, hook: &str) -> String {
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
      - id: oauth
        name: OAuth
        type: rest-api
        config:
          method: PUT
          url: "{rest}/grants"
          auth: {{ type: oauth2, secret: oauth-client }}
          outputs: {{ echoed: /echo }}
      - id: keyed
        name: Keyed
        type: rest-api
        config:
          method: PUT
          url: "{rest}/keys"
          auth: {{ type: apiKey, secret: api-token }}
          outputs: {{ echoed: /echo }}
      - id: basic
        name: Basic
        type: rest-api
        config:
          method: PUT
          url: "{rest}/users"
          auth: {{ type: basic, secret: basic-cred }}
          outputs: {{ echoed: /echo }}
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
          repository: acme/infra
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
          description: "Failed: {{{{ failure.action }}}}: {{{{ failure.error }}}}"
      - id: network
        name: Network
        type: terraform
        config:
          path: "infra/{{{{ request.resource }}}}"
          variables: {{ password: "{{{{ secrets.db_password }}}}" }}
"#,
        head = pao_testutil::item_head("pgsql", "PostgreSQL")
    )
}

fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

fn base64(text: &str) -> String {
    let out =
        Command::new("base64").arg("-w0").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().and_then(|mut c| {
            use std::io::Write as _;
            c.stdin.take().unwrap().write_all(text.as_bytes())?;
            c.wait_with_output()
        });
    String::from_utf8(out.unwrap().stdout).unwrap().trim().to_owned()
}

#[test]
fn no_secret_reaches_the_servers_log_its_answers_or_git() {
    let rest = MockServer::start(|r| match r.route() {
        "/oauth/token" => {
            Reply::json(200, json!({ "access_token": ACCESS_TOKEN, "token_type": "Bearer", "expires_in": 300 }))
        }
        _ => {
            let echo = format!(
                "{} {} {} {} {}",
                r.path,
                r.header("authorization").unwrap_or_default(),
                r.header("x-api-key").unwrap_or_default(),
                r.header("x-db-password").unwrap_or_default(),
                r.text()
            );
            Reply::json(if r.method == "POST" { 201 } else { 200 }, json!({ "echo": echo }))
        }
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
            let project = r.json()["fields"]["project"]["key"].as_str().unwrap_or_default().to_owned();
            Reply::json(201, json!({ "id": "1", "key": format!("{project}-1"), "self": r.header("authorization") }))
        }
        ("GET", "/rest/api/2/search") => Reply::json(200, json!({ "issues": [], "total": 0 })),
        _ => Reply::json(500, json!({ "errorMessages": [r.header("authorization")] })),
    });
    let slack = MockServer::start(|_| Reply::text(200, "ok"));

    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("platform");
    std::fs::create_dir_all(&repo).unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    write(&repo, "catalog/databases/pgsql.yaml", &item(&rest.url, &hook.url));
    let toml = format!(
        "[executor]\npoll-seconds = 1\n\n[github]\nrepository = \"acme/platform-state\"\napi-url = \"{github}\"\n\n\
         [jira.instances.default]\nurl = \"{jira}\"\nuser = \"pao-bot@acme.example\"\ntoken-secret = \"jira-token\"\n\n\
         [escalation]\nproject = \"ORCH\"\n\n[[notifications]]\nurl-secret = \"slack-webhook\"\nformat = \"slack\"\n\n\
         [auth]\n[[auth.tokens]]\nsha256 = \"{hash}\"\nuser = \"alice\"\nteams = [\"payments\"]\n",
        github = github.url,
        jira = jira.url,
        hash = sha256_hex(TOKEN),
    );
    write(&repo, "pao.toml", &toml);
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "catalog"]);

    let oauth_client = json!({ "tokenUrl": format!("{}/oauth/token", rest.url), "clientId": "pao-client",
        "clientSecret": OAUTH_SECRET })
    .to_string();
    let slack_url = format!("{}/hook/{SLACK_PATH}", slack.url);
    let port = free_port();
    let log_path = tmp.path().join("serve.log");
    let mut serve = Command::new(env!("CARGO_BIN_EXE_pao"));
    serve
        .args(["serve", "--worker", "--local", "--addr", &format!("127.0.0.1:{port}"), "--state-repo"])
        .arg(&repo)
        .env("RUST_LOG", "debug")
        .env("JIRA_WEBHOOK_SECRET", JIRA_HOOK_SECRET)
        .env("PAO_SECRET_OAUTH_CLIENT", &oauth_client)
        .env("PAO_SECRET_SLACK_WEBHOOK", &slack_url)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log_path).unwrap());
    for (name, value) in SECRETS {
        serve.env(name, value);
    }
    let server = Running(serve.spawn().unwrap());
    let base = format!("http://127.0.0.1:{port}");
    wait_for(&format!("{base}/api/v1/health/ready"), "pao serve");
    let client = http_client(Duration::from_secs(30));
    let answers = std::cell::RefCell::new(String::new());
    let send = |method: &str, path: &str, body: Option<Value>| -> (u16, String) {
        let url = format!("{base}{path}");
        let mut request = client.request(method.parse().unwrap(), &url).bearer_auth(TOKEN);
        if path.starts_with("/requests") || path == "/" {
            // A portal page: the session cookie is the token.
            request = client.request(method.parse().unwrap(), &url).header("cookie", format!("pao_session={TOKEN}"));
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().unwrap();
        let status = response.status().as_u16();
        let headers = format!("{:?}", response.headers());
        let text = response.text().unwrap();
        answers.borrow_mut().push_str(&format!("{method} {path} -> {status}\n{headers}\n{text}\n"));
        (status, text)
    };
    let call = |method: &str, path: &str, body: Option<Value>| -> Value {
        // A request the worker still holds (it announces a change after making it) answers
        // 503 `request_busy`: as the error says, a client tries again later.
        let deadline = Instant::now() + Duration::from_secs(30);
        let (status, text) = loop {
            let (status, text) = send(method, path, body.clone());
            if status != 503 || !text.contains("request_busy") || Instant::now() > deadline {
                break (status, text);
            }
            std::thread::sleep(Duration::from_millis(100));
        };
        assert!(status < 500, "{method} {path}: {status} {text}");
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };

    let submitted = call(
        "POST",
        "/api/v1/requests",
        Some(
            json!({ "item": "pgsql", "resource": "orders-db", "team": "payments", "values": { "instanceName": "orders" } }),
        ),
    );
    let id = submitted["request"]["id"].as_str().unwrap_or_else(|| panic!("{submitted}")).to_owned();
    let merge = Command::new(env!("CARGO_BIN_EXE_pao"))
        .args(["request", "merge", &id, "--local", "--state-repo"])
        .arg(&repo)
        .output()
        .unwrap();
    assert!(merge.status.success(), "{}", String::from_utf8_lossy(&merge.stderr));

    // The worker runs the automated list; the workflow run fails, so the manual list opens the
    // DBA ticket, whose polls fail with the JIRA token echoed.
    let status_of = || call("GET", &format!("/api/v1/requests/{id}/status"), None);
    let deadline = Instant::now() + Duration::from_secs(60);
    while jira.received_on("GET", "/rest/api/2/issue/DBA-1").is_empty() {
        assert!(Instant::now() < deadline, "the ticket was never polled: {}", status_of());
        std::thread::sleep(Duration::from_millis(200));
    }
    // JIRA reports the ticket done: the terraform action then refuses to write the password.
    let done = json!({ "webhookEvent": "jira:issue_updated", "issue": { "key": "DBA-1", "fields": {
        "status": { "name": "Done", "statusCategory": { "key": "done" } }, "resolution": { "name": "Done" } } } });
    let bytes = done.to_string().into_bytes();
    let delivered = client
        .post(format!("{base}/api/v1/webhooks/jira"))
        .header("content-type", "application/json")
        .header("x-hub-signature", sign(JIRA_HOOK_SECRET, &bytes))
        .body(bytes)
        .send()
        .unwrap();
    let (code, text) = (delivered.status().as_u16(), delivered.text().unwrap());
    answers.borrow_mut().push_str(&text);
    assert_eq!(code, 200, "{text}");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let status = status_of();
        if status["status"] == "failed" {
            break;
        }
        assert!(Instant::now() < deadline, "the request never failed at terraform: {status}");
        std::thread::sleep(Duration::from_millis(200));
    }
    call("POST", &format!("/api/v1/requests/{id}/retry"), None);
    call("POST", &format!("/api/v1/requests/{id}/escalate"), Some(json!({ "reason": "the DBA is on leave" })));
    call("GET", &format!("/api/v1/requests/{id}/escalation"), None);
    call("POST", &format!("/api/v1/requests/{id}/abort"), Some(json!({ "reason": "not needed" })));
    for path in [
        format!("/api/v1/requests/{id}"),
        format!("/api/v1/requests/{id}/status"),
        format!("/api/v1/requests/{id}/logs"),
        format!("/api/v1/requests/{id}/escalation"),
        "/api/v1/requests".to_owned(),
        "/api/v1/requests?status=aborted".to_owned(),
        "/api/v1/metrics".to_owned(),
        format!("/requests/{id}"),
        format!("/requests/{id}/live"),
        "/requests".to_owned(),
    ] {
        call("GET", &path, None);
    }
    let statuses: Vec<String> = slack.received().iter().map(|r| r.text()).collect();
    drop(server); // killed: every log line written so far is in the file
    let log = std::fs::read_to_string(&log_path).unwrap();
    let answers = answers.into_inner();

    // Each target really got its secret, so the search below can fail.
    let basic = base64("svc:ZQX-basic-pass-4f0a9");
    assert!(rest.received_on("POST", "/dbs")[0].text().contains("ZQX-db-password-2c9e4"));
    assert!(rest.received_on("PUT", "/grants")[0].header("authorization").unwrap().contains(ACCESS_TOKEN));
    assert!(rest.received_on("POST", "/oauth/token")[0].text().contains(OAUTH_SECRET));
    assert_eq!(rest.received_on("PUT", "/keys")[0].header("x-api-key"), Some("ZQX-api-token-8d1f7"));
    assert!(rest.received_on("PUT", "/users")[0].header("authorization").unwrap().contains(&basic));
    assert!(hook.received()[0].text().contains("ZQX-db-password-2c9e4"));
    assert!(github.received()[0].header("authorization").unwrap().contains("ZQX-github-token-9a8b7"));
    assert!(jira.received()[0].header("authorization").is_some());
    assert!(statuses.iter().any(|s| s.contains("failed")) && statuses.iter().any(|s| s.contains("aborted")));
    assert!(log.contains(&id), "the log is the server's, with the request in it");
    assert!(answers.contains("***"), "echoed secrets show masked in the answers");
    let logs = answers.find("/logs -> 200").map(|at| &answers[at..]).unwrap_or_default();
    assert!(logs.contains("refuse") || logs.contains("secret"), "the terraform refusal is logged");

    let mut everything = [("the server's log", log), ("the API answers and portal pages", answers)].to_vec();
    everything.push(("the state repository", all_git_text(&repo)));
    everything.push(("the notifications", statuses.join("\n")));
    let mut secrets: Vec<&str> = SECRETS.iter().map(|(_, v)| *v).collect();
    secrets.extend(["ZQX-basic-pass-4f0a9", basic.as_str(), OAUTH_SECRET, ACCESS_TOKEN, SLACK_PATH, JIRA_HOOK_SECRET]);
    let jira_basic = base64("pao-bot@acme.example:ZQX-jira-token-7e6d2");
    secrets.push(&jira_basic);
    for (place, text) in &everything {
        for secret in &secrets {
            assert!(!text.contains(secret), "{secret} leaked into {place}:\n{}", excerpt(text, secret));
        }
    }
}
