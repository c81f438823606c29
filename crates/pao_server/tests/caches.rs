//! The answer caches (`GET /catalog` pages, `GET /requests/{id}/status` answers) answer exactly
//! what an uncached server answers, and never hide a write: a refresh, or a write by another
//! server on the same state repository, is seen by the very next call. Also: the timeout never
//! cuts off a write under way (a submission whose caller went away is in `abandoned.rs`).

mod common;

use std::time::Duration;

use axum::http::StatusCode;
use common::*;
use serde_json::json;

#[tokio::test]
async fn catalog_pages_follow_the_catalog_in_service() {
    let fx = fixture("");
    let server = fx.server(pao_server::WebhookSecrets::default()).await;
    let router = server.router();
    let first = call(&router, request("GET", "/api/v1/catalog", Some(ALICE), None)).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    assert_eq!(first.headers["content-type"], "application/json");
    let again = call(&router, request("GET", "/api/v1/catalog", Some(ALICE), None)).await;
    assert_eq!((again.status, &again.text), (StatusCode::OK, &first.text), "a kept page is the same page");
    assert_eq!(again.headers["content-type"], "application/json");
    // Queries are kept apart.
    let none = call(&router, request("GET", "/api/v1/catalog?q=nothing-like-it", Some(ALICE), None)).await;
    assert_eq!(none.body["data"], json!([]), "{}", none.text);
    let some = call(&router, request("GET", "/api/v1/catalog?q=postgres", Some(ALICE), None)).await;
    assert_eq!(some.body["data"][0]["id"], "pgsql", "{}", some.text);
    assert_eq!(
        call(&router, request("GET", "/api/v1/catalog?q=nothing-like-it", Some(ALICE), None)).await.text,
        none.text
    );
    // Bad queries are still refused, after a good one and again.
    for _ in 0..2 {
        let bad = call(&router, request("GET", "/api/v1/catalog?limit=0", Some(ALICE), None)).await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.text);
    }
    // A second item, then a refresh: the next call has it.
    let second = PG.replace("id: pgsql", "id: pgsql-two");
    assert_ne!(second, PG, "the fixture names its id `pgsql`");
    pao_testutil::write(&fx.work, "catalog/databases/pgsql-two.yaml", &second);
    pao_testutil::git(&fx.work, &["add", "-A"]);
    pao_testutil::git(&fx.work, &["commit", "-q", "-m", "second item"]);
    let refreshed = call(&router, request("POST", "/api/v1/catalog/refresh", Some(ALICE), None)).await;
    assert_eq!(refreshed.body["changed"], true, "{}", refreshed.text);
    let after = call(&router, request("GET", "/api/v1/catalog", Some(ALICE), None)).await;
    let ids: Vec<&str> = after.body["data"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["pgsql", "pgsql-two"], "{}", after.text);
    // And an uncached server answers the same bytes.
    let fresh = fx.server(pao_server::WebhookSecrets::default()).await.router();
    assert_eq!(call(&fresh, request("GET", "/api/v1/catalog", Some(ALICE), None)).await.text, after.text);
}

/// `GET /requests/{id}/status` on `router`, as text.
async fn status_text(router: &axum::Router, id: &str, token: &str) -> (StatusCode, String) {
    let answer = call(router, request("GET", &format!("/api/v1/requests/{id}/status"), Some(token), None)).await;
    (answer.status, answer.text)
}

#[tokio::test]
async fn status_answers_see_every_write_of_another_server_at_the_next_call() {
    let fx = fixture("");
    let one = fx.server(pao_server::WebhookSecrets::default()).await.router();
    let two = fx.server(pao_server::WebhookSecrets::default()).await.router();
    let id = submit(&one, ALICE, "streaming", "orders").await;
    let other = submit(&one, ALICE, "streaming", "payments").await;
    // Each step: a write through something else than server one, then server one's next
    // answer is the one a server with nothing cached gives.
    let check = |what: &'static str| {
        let (fx, one, id) = (&fx, one.clone(), id.clone());
        async move {
            let cached = status_text(&one, &id, ALICE).await;
            let again = status_text(&one, &id, ALICE).await;
            let fresh = fx.server(pao_server::WebhookSecrets::default()).await.router();
            let uncached = status_text(&fresh, &id, ALICE).await;
            assert_eq!(cached.0, StatusCode::OK, "{what}: {}", cached.1);
            assert_eq!(cached, uncached, "{what}: server one answers what an uncached server does");
            assert_eq!(again, cached, "{what}: a kept answer is the same answer");
            serde_json::from_str::<serde_json::Value>(&cached.1).unwrap()
        }
    };
    let opened = check("opened").await;
    assert_eq!(opened["status"], "pr_open");
    // Another team is refused, cached or not; an unknown id is a 404.
    let (forbidden, _) = status_text(&one, &id, BOB).await;
    assert_eq!(forbidden, StatusCode::FORBIDDEN);
    let (missing, text) = status_text(&one, "20260101-000000-abcdef", ALICE).await;
    assert!(matches!(missing, StatusCode::NOT_FOUND | StatusCode::BAD_REQUEST), "{missing}: {text}");

    // The status chain (refs/pao/status/<id>): server two escalates it.
    let escalated = call(
        &two,
        request("POST", &format!("/api/v1/requests/{id}/escalate"), Some(ALICE), Some(&json!({ "reason": "help" }))),
    )
    .await;
    assert_eq!(escalated.status, StatusCode::OK, "{}", escalated.text);
    let after = check("escalated by server two").await;
    assert_eq!(after["status"], "escalated", "{after}");

    // The fulfilment log (refs/pao/fulfilment/<id>), written by another process.
    let request_id = pao_git::RequestId::parse(&id).unwrap();
    let log = pao_git::FulfilmentLog::open(&fx.state).unwrap();
    let before = after["fulfilment"]["actions"].as_array().map_or(0, Vec::len);
    let record = json!({ "event": "attempt_started", "list": "automated", "action": "create", "type": "http",
        "attempt": 1, "idempotencyKey": "key-1", "at": "2026-01-01T00:00:00Z" });
    log.append(&request_id, "create: attempt 1", &record).unwrap();
    let logged = check("a fulfilment record").await;
    assert_eq!(logged["fulfilment"]["actions"].as_array().map_or(0, Vec::len), before + 1, "{logged}");

    // The lease (refs/pao/leases/<id>): `running` follows it both ways.
    let leases = pao_git::LeaseStore::open(&fx.state).unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let pao_git::Acquired::Held(lease) = leases.acquire(&request_id, "someone-else", now, 300).unwrap() else {
        panic!("the lease is free")
    };
    assert_eq!(check("leased").await["fulfilment"]["running"], true);
    leases.release(&lease).unwrap();
    assert_eq!(check("released").await["fulfilment"]["running"], false);

    // The base branch: the other request merged by another process.
    let merged = fx.app().orchestrator.merge(&other).unwrap();
    assert_eq!(merged.status.as_str(), "pr_merged");
    let (status, text) = status_text(&one, &other, ALICE).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let body: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!((body["status"].as_str(), body["state"].as_str()), (Some("pr_merged"), Some("merged")), "{body}");
    check("after another request's merge").await;
}

/// A handler that begins a write, then takes longer than the timeout.
async fn slow_write(commit: pao_server::http::Commit) -> &'static str {
    commit.begin();
    tokio::time::sleep(Duration::from_millis(300)).await;
    "written"
}

async fn slow_read() -> &'static str {
    tokio::time::sleep(Duration::from_millis(300)).await;
    "read"
}

#[tokio::test]
async fn the_timeout_never_cuts_off_a_write_under_way() {
    let router = axum::Router::new()
        .route("/write", axum::routing::post(slow_write))
        .route("/read", axum::routing::get(slow_read))
        .layer(axum::middleware::from_fn_with_state(Duration::from_millis(50), pao_server::http::timeout));
    let written = call(&router, request("POST", "/write", None, None)).await;
    assert_eq!((written.status, written.text.as_str()), (StatusCode::OK, "written"));
    let read = call(&router, request("GET", "/read", None, None)).await;
    assert_eq!(read.status, StatusCode::SERVICE_UNAVAILABLE, "{}", read.text);
    assert_eq!(read.body["error"]["code"], "timeout", "{}", read.text);
}
