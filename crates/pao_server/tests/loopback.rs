//! A real server on a loopback port with a real HTTP client (reqwest): submissions, listing,
//! signed GitHub webhooks, metrics, graceful shutdown; and the JSON logs of the whole run hold
//! no token, secret or password.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::*;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

const WEBHOOK_SECRET: &str = "webhook-secret-value-42";

fn sign(body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as hmac::digest::KeyInit>::new_from_slice(WEBHOOK_SECRET.as_bytes()).unwrap();
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_run_on_loopback() {
    let logs = Logs::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt().json().with_writer(move || writer.clone()).finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let fx = fixture("");
    let secrets = pao_server::WebhookSecrets { github: Some(WEBHOOK_SECRET.as_bytes().to_vec()), ..Default::default() };
    let server = pao_server::Server::new(&fx.app(), secrets).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(server.run(listener, async move {
        let _ = stopped.await;
    }));
    let client = client();
    let url = |path: &str| format!("{base}/api/v1{path}");
    // The server loads the catalog before it accepts connections.
    let ready = client.get(url("/health/ready")).send().await.unwrap();
    assert_eq!(ready.status(), 200);

    let submitted = client
        .post(url("/requests"))
        .bearer_auth(ALICE)
        .json(&json!({ "item": "pgsql", "resource": "orders", "team": "streaming", "values": pg_values() }))
        .send()
        .await
        .unwrap();
    assert_eq!(submitted.status(), 202);
    let correlation = submitted.headers()["x-correlation-id"].to_str().unwrap().to_owned();
    let body: Value = submitted.json().await.unwrap();
    let id = body["request"]["id"].as_str().unwrap().to_owned();
    assert_eq!(body["request"]["correlationId"], correlation.as_str());
    let trailers = pao_testutil::git(&fx.state, &["log", "-1", "--format=%B", &format!("pao/requests/{id}")]);
    assert!(trailers.contains(&format!("Pao-Correlation-Id: {correlation}")), "{trailers}");

    let listed: Value =
        client.get(url("/requests?team=streaming")).bearer_auth(ALICE).send().await.unwrap().json().await.unwrap();
    assert_eq!(listed["data"][0]["id"], id.as_str());

    // A merged pull request on GitHub.
    let event = json!({ "action": "closed", "pull_request": { "merged": true, "head": { "ref": format!("pao/requests/{id}") } } });
    let payload = serde_json::to_vec(&event).unwrap();
    let unsigned = client
        .post(url("/webhooks/github"))
        .header("x-github-event", "pull_request")
        .body(payload.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), 401);
    let status: Value = client
        .get(url(&format!("/requests/{id}/status")))
        .bearer_auth(ALICE)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(status["status"], "pr_open", "an unsigned webhook changes nothing");
    let forged = client
        .post(url("/webhooks/github"))
        .header("x-github-event", "pull_request")
        .header("x-hub-signature-256", sign(b"something else"))
        .body(payload.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 401);
    let signed = client
        .post(url("/webhooks/github"))
        .header("x-github-event", "pull_request")
        .header("x-hub-signature-256", sign(&payload))
        .body(payload)
        .send()
        .await
        .unwrap();
    assert_eq!(signed.status(), 200, "{}", signed.text().await.unwrap());
    let status: Value = client
        .get(url(&format!("/requests/{id}/status")))
        .bearer_auth(ALICE)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(status["status"], "pr_merged");
    let ping = client
        .post(url("/webhooks/github"))
        .header("x-github-event", "ping")
        .header("x-hub-signature-256", sign(b"{}"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(ping.status(), 200);
    let push = client
        .post(url("/webhooks/github"))
        .header("x-github-event", "push")
        .header("x-hub-signature-256", sign(b"{}"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(push.status(), 200);

    let metrics = client.get(url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(
        metrics.contains("pao_http_requests_total{route=\"/api/v1/requests\",method=\"POST\",status=\"202\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("pao_requests_total{status=\"pr_open\",catalog_item=\"pgsql\"} 1"), "{metrics}");
    assert!(metrics.contains("pao_requests_total{status=\"pr_merged\",catalog_item=\"pgsql\"} 1"), "{metrics}");
    assert!(metrics.contains("pao_catalog_items 1"), "{metrics}");
    let errors = metrics.lines().find_map(|l| l.strip_prefix("pao_catalog_validation_errors ")).unwrap();
    assert_ne!(errors, "0", "broken.yaml is reported");
    assert!(metrics.contains("pao_build_info{"), "{metrics}");
    let wrong = client.get(url("/requests")).bearer_auth("not-a-real-token-xyz").send().await.unwrap();
    assert_eq!(wrong.status(), 401);

    stop.send(()).unwrap();
    running.await.unwrap().unwrap();
    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(text.contains(&correlation), "the access log carries the correlation id:\n{text}");
    for secret in [ALICE, BOB, ROOT, "not-a-real-token-xyz", WEBHOOK_SECRET, "hunter2-very-secret"] {
        assert!(!text.contains(secret), "`{secret}` in the logs:\n{text}");
    }
    for line in text.lines() {
        let _: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON log line ({e}): {line}"));
    }
}

/// Two server processes' worth of state (two `App`s, two servers) on one state repository,
/// taking submissions at once: every accepted request is a branch and the repository is sound.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_on_one_state_repository_lose_nothing() {
    let fx = fixture("");
    let mut bases = Vec::new();
    let mut stops = Vec::new();
    let mut running = Vec::new();
    for _ in 0..2 {
        let server = pao_server::Server::new(&fx.app(), pao_server::WebhookSecrets::default()).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        bases.push(format!("http://{}/api/v1", listener.local_addr().unwrap()));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        stops.push(stop);
        running.push(tokio::spawn(server.run(listener, async move {
            let _ = stopped.await;
        })));
    }
    let client = client();
    let mut calls = Vec::new();
    for n in 0..40 {
        let (client, base) = (client.clone(), bases[n % 2].clone());
        calls.push(tokio::spawn(async move {
            let body =
                json!({ "item": "pgsql", "resource": format!("db-{n}"), "team": "streaming", "values": pg_values() });
            let answer = client.post(format!("{base}/requests")).bearer_auth(ALICE).json(&body).send().await.unwrap();
            let status = answer.status().as_u16();
            let body: Value = answer.json().await.unwrap();
            (status, body)
        }));
    }
    let mut accepted = Vec::new();
    for call in calls {
        let (status, body) = call.await.unwrap();
        match status {
            202 => accepted.push(body["request"]["id"].as_str().unwrap().to_owned()),
            // Contention is allowed to refuse (and says when to retry); it must never lose one.
            503 => assert_eq!(body["error"]["code"], "contention", "{body}"),
            other => panic!("{other}: {body}"),
        }
    }
    assert!(accepted.len() >= 30, "only {} of 40 accepted", accepted.len());
    let branches =
        pao_testutil::git(&fx.state, &["for-each-ref", "--format=%(refname:lstrip=4)", "refs/heads/pao/requests/"]);
    for id in &accepted {
        assert!(branches.lines().any(|b| b == id), "accepted request {id} has no branch");
    }
    assert_eq!(branches.lines().count(), accepted.len());
    pao_testutil::git(&fx.state, &["fsck", "--strict", "--no-progress"]);
    // Each server's index sees the other's writes (it is rebuilt from the refs, not kept).
    for base in &bases {
        let listed: Value = client
            .get(format!("{base}/requests?limit=200"))
            .bearer_auth(ALICE)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let ids: Vec<&str> = listed["data"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
        assert_eq!(ids.len(), accepted.len(), "{base}");
        assert!(accepted.iter().all(|id| ids.contains(&id.as_str())), "{base}");
    }
    // Once the refs have settled, a listing answers from the index without reading them all;
    // a write by the other server is still seen at the next listing.
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    let count = |base: String| {
        let client = client.clone();
        async move {
            let listed: Value = client
                .get(format!("{base}/requests?limit=200"))
                .bearer_auth(ALICE)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            listed["data"].as_array().unwrap().len()
        }
    };
    assert_eq!(count(bases[0].clone()).await, accepted.len());
    assert_eq!(count(bases[0].clone()).await, accepted.len(), "the fast path answers the same");
    let body = json!({ "item": "pgsql", "resource": "db-late", "team": "streaming", "values": pg_values() });
    let late = client.post(format!("{}/requests", bases[1])).bearer_auth(ALICE).json(&body).send().await.unwrap();
    assert_eq!(late.status().as_u16(), 202);
    assert_eq!(count(bases[0].clone()).await, accepted.len() + 1, "the other server's write is seen");
    for stop in stops {
        stop.send(()).unwrap();
    }
    for run in running {
        run.await.unwrap().unwrap();
    }
}

/// A client for the loopback server. The workspace builds reqwest without a default TLS
/// provider (ring is installed explicitly where TLS is used), so install it here too.
fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}
