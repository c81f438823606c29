//! The portal in process against a stand-in API router that answers with the API's shapes and
//! records what it received (the real server's journeys run in a browser in pao_server's tests).

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use pao_portal::{PortalOptions, router};
use serde_json::{Value, json};
use tower::ServiceExt;

const TOKEN: &str = "good-token";

#[derive(Clone, Default)]
struct Fake {
    received: Arc<Mutex<Vec<(String, Value)>>>,
}

fn authorised(headers: &HeaderMap) -> bool {
    headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(&format!("Bearer {TOKEN}"))
}

fn unauthorised() -> Response {
    (StatusCode::UNAUTHORIZED, axum::Json(json!({ "error": { "code": "unauthenticated", "message": "no identity", "details": null, "correlationId": "c1" } }))).into_response()
}

fn form_description() -> Value {
    let root = pao_testutil::workspace_root();
    let bytes = std::fs::read(root.join("catalog/databases/postgresql-standard.yaml")).unwrap();
    let document = pao_form::parse_document(&bytes).unwrap();
    serde_json::to_value(pao_form::FormDescription::from_document(&document)).unwrap()
}

fn api(fake: Fake) -> Router {
    Router::new()
        .route("/api/v1/me", get(|headers: HeaderMap| async move {
            if !authorised(&headers) { return unauthorised(); }
            axum::Json(json!({ "user": "alice", "teams": ["dba", "payments"], "admin": false })).into_response()
        }))
        .route("/api/v1/catalog", get(|headers: HeaderMap| async move {
            if !authorised(&headers) { return unauthorised(); }
            axum::Json(json!({ "data": [
                { "id": "postgresql-standard", "kind": "CatalogItem", "name": "PostgreSQL <Standard>", "description": "Managed PostgreSQL",
                  "version": "1.4.0", "category": "databases", "tags": [], "lifecycle": "stable", "owner": "dba", "path": "catalog/databases/postgresql-standard.yaml",
                  "sla": { "responseHours": 4, "fulfillmentHours": 24 } },
                { "id": "redis-old", "kind": "CatalogItem", "name": "Redis (old)", "description": "Legacy", "version": "0.9.0", "category": "caches",
                  "tags": [], "lifecycle": "deprecated", "owner": "cache", "path": "x", "deprecation": { "sunset": "2027-01-01", "replacement": "redis-v2" } }
            ], "pagination": { "has_more": false, "next_cursor": null } })).into_response()
        }))
        .route("/api/v1/catalog/items/{id}", get(|headers: HeaderMap, Path(id): Path<String>| async move {
            if !authorised(&headers) { return unauthorised(); }
            if id != "postgresql-standard" {
                return (StatusCode::NOT_FOUND, axum::Json(json!({ "error": { "code": "item_not_found", "message": format!("catalog item `{id}` not found"), "details": null, "correlationId": "c" } }))).into_response();
            }
            axum::Json(json!({ "kind": "CatalogItem", "path": "p", "commit": "abc", "item": { "metadata": {
                "id": "postgresql-standard", "name": "PostgreSQL Standard", "description": "Managed PostgreSQL", "version": "1.4.0",
                "category": "databases", "owner": { "team": "dba", "contact": "dba@example.com" }, "lifecycle": { "status": "stable" } } } })).into_response()
        }))
        .route("/api/v1/catalog/items/{id}/versions", get(|| async { axum::Json(json!({ "versions": [{ "version": "1.3.0" }, { "version": "1.4.0" }], "default": "1.4.0" })) }))
        .route("/api/v1/catalog/items/{id}/schema", get(|| async { axum::Json(form_description()) }))
        .route("/api/v1/requests", get(|headers: HeaderMap| async move {
            if !authorised(&headers) { return unauthorised(); }
            axum::Json(json!({ "data": [{ "id": "r-1", "status": "pr_open", "team": "dba", "item": "postgresql-standard", "resource": "orders", "requester": "alice", "updatedAt": "2026-12-02T08:00:00Z" }],
                "pagination": { "has_more": true, "next_cursor": "abc=" } })).into_response()
        }).post(|State(fake): State<Fake>, headers: HeaderMap, body: String| async move {
            if !authorised(&headers) { return unauthorised(); }
            let body: Value = serde_json::from_str(&body).unwrap();
            fake.received.lock().unwrap().push(("POST /requests".into(), body.clone()));
            if body["values"]["instanceName"] == "BAD" {
                return (StatusCode::UNPROCESSABLE_ENTITY, axum::Json(json!({ "error": { "code": "validation_failed", "message": "invalid values",
                    "details": { "fields": [{ "field": "instanceName", "message": "Must be 3-30 chars, lowercase, alphanumeric with hyphens" }] }, "correlationId": "c" } }))).into_response();
            }
            (StatusCode::ACCEPTED, axum::Json(json!({ "request": { "id": "r-9", "status": "pr_open" } }))).into_response()
        }))
        .route("/api/v1/requests/{id}", get(|headers: HeaderMap, Path(id): Path<String>| async move {
            if !authorised(&headers) { return unauthorised(); }
            if id == "other" {
                return (StatusCode::FORBIDDEN, axum::Json(json!({ "error": { "code": "forbidden", "message": "request other belongs to team web; you are in dba, payments", "details": { "team": "web" }, "correlationId": "c" } }))).into_response();
            }
            axum::Json(json!({ "request": { "id": id, "status": "failed", "team": "dba", "item": "postgresql-standard", "resource": "orders", "operation": "create",
                "requester": "alice", "version": "1.4.0", "branch": "pao/requests/r-1",
                "history": [{ "status": "submitted", "at": "t1", "note": "" }, { "status": "pr_open", "at": "t1", "note": "" }, { "status": "failed", "at": "t2", "note": "boom" }] } })).into_response()
        }))
        .route("/api/v1/requests/{id}/logs", get(|| async { axum::Json(json!({ "data": [{ "at": "t2", "status": "failed", "message": "create_db: HTTP 500" }] })) }))
        .with_state(fake)
}

fn app(fake: &Fake) -> Router {
    let api = api(fake.clone());
    router(api.clone(), PortalOptions::default()).merge(api)
}

async fn send(app: &Router, request: Request<Body>) -> (StatusCode, HeaderMap, String) {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = String::from_utf8(to_bytes(response.into_body(), 1 << 22).await.unwrap().to_vec()).unwrap();
    (status, headers, body)
}

fn get_with(path: &str, cookie: &str) -> Request<Body> {
    Request::get(path).header("cookie", cookie).body(Body::empty()).unwrap()
}

fn post_form(path: &str, cookie: &str, form: &str) -> Request<Body> {
    Request::post(path)
        .header("cookie", cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(form.to_owned()))
        .unwrap()
}

fn set_cookies(headers: &HeaderMap) -> Vec<String> {
    headers.get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect()
}

const CSRF: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn session() -> String {
    format!("pao_csrf={CSRF}; pao_session={TOKEN}")
}

#[tokio::test]
async fn without_a_session_every_page_leads_to_sign_in() {
    let app = app(&Fake::default());
    for path in ["/", "/items/postgresql-standard", "/requests", "/requests/r-1"] {
        let (status, headers, _) = send(&app, get_with(path, "")).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{path}");
        assert_eq!(headers["location"], "/sign-in", "{path}");
    }
}

#[tokio::test]
async fn the_sign_in_page_sets_a_strict_csrf_cookie_and_a_policy() {
    let app = app(&Fake::default());
    let (status, headers, body) = send(&app, get_with("/sign-in", "")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("<label for=\"token\">Token</label>") && body.contains(">Sign in</button>"), "{body}");
    let cookies = set_cookies(&headers);
    let csrf = cookies.iter().find(|c| c.starts_with("pao_csrf=")).expect("csrf cookie");
    assert!(csrf.contains("HttpOnly") && csrf.contains("SameSite=Strict") && csrf.contains("Secure"), "{csrf}");
    let value = csrf.trim_start_matches("pao_csrf=").split(';').next().unwrap();
    assert!(body.contains(&format!("name=\"csrf\" value=\"{value}\"")), "the form carries the cookie's value");
    let policy = headers["content-security-policy"].to_str().unwrap();
    assert!(policy.contains("script-src 'self'") && !policy.contains("unsafe-inline"), "{policy}");
    assert_eq!(headers["x-content-type-options"], "nosniff");
}

#[tokio::test]
async fn sign_in_refuses_forged_posts_and_wrong_tokens_and_stores_a_good_one() {
    let app = app(&Fake::default());
    let cookie = format!("pao_csrf={CSRF}");
    let (status, _, body) = send(&app, post_form("/sign-in", &cookie, "token=good-token")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no CSRF value: {body}");
    let (status, _, _) = send(&app, post_form("/sign-in", "", &format!("csrf={CSRF}&token=good-token"))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no CSRF cookie");

    let (status, headers, body) = send(&app, post_form("/sign-in", &cookie, &format!("csrf={CSRF}&token=wrong"))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body.contains("That token was not accepted"), "{body}");
    assert!(!set_cookies(&headers).iter().any(|c| c.starts_with("pao_session=")));
    assert!(!body.contains("wrong"), "the token is not echoed");

    let (status, headers, _) =
        send(&app, post_form("/sign-in", &cookie, &format!("csrf={CSRF}&token=good-token"))).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers["location"], "/");
    let session = set_cookies(&headers).into_iter().find(|c| c.starts_with("pao_session=")).expect("session cookie");
    assert!(
        session.contains("HttpOnly") && session.contains("SameSite=Strict") && session.contains("Secure"),
        "{session}"
    );
}

#[tokio::test]
async fn the_catalog_shows_cards_by_category_with_badges_and_escapes_text() {
    let app = app(&Fake::default());
    let (status, _, body) = send(&app, get_with("/?q=postgres", &session())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        body.contains("<h2 id=\"cat-databases\">databases</h2>") && body.contains("<h2 id=\"cat-caches\">caches</h2>")
    );
    assert!(body.contains("PostgreSQL &lt;Standard&gt;") && !body.contains("PostgreSQL <Standard>"));
    assert!(body.contains("<label for=\"q\">Search</label>") && body.contains("value=\"postgres\""));
    assert!(body.contains("class=\"badge life-deprecated\">deprecated"), "{body}");
    assert!(body.contains("sunset 2027-01-01") && body.contains("href=\"/items/redis-v2\""), "{body}");
    assert!(body.contains("<dt>SLA</dt><dd>response 4 h, fulfilment 24 h</dd>"), "{body}");
    assert!(body.contains(">alice</span>") && body.contains("Sign out"));
}

#[tokio::test]
async fn the_item_page_renders_the_form_with_the_callers_teams() {
    let app = app(&Fake::default());
    let (status, _, body) = send(&app, get_with("/items/postgresql-standard", &session())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("<label for=\"in-instanceName\">Instance Name"), "fields labelled with their names");
    assert!(
        body.contains("<option value=\"dba\">dba</option>")
            && body.contains("<option value=\"payments\">payments</option>")
    );
    assert!(body.contains(">Submit request</button>") && body.contains("data-post"));
    assert!(body.contains("id=\"pao-form-data\"") && body.contains("src=\"/assets/form.js\""));
    assert!(body.contains("<dt>Versions</dt><dd>1.3.0, 1.4.0</dd>"));
    let (status, _, body) = send(&app, get_with("/items/nope", &session())).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("catalog item `nope` not found"), "{body}");
}

#[tokio::test]
async fn submitting_posts_the_typed_values_and_shows_refusals_by_field() {
    let fake = Fake::default();
    let app = app(&fake);
    let values = json!({ "instanceName": "orders-db", "masterPassword": "pw-123456789" }).to_string();
    let form = format!(
        "csrf={CSRF}&resource=orders-db&team=dba&version=1.4.0&values={}",
        percent_encoding::utf8_percent_encode(&values, percent_encoding::NON_ALPHANUMERIC)
    );
    let (status, headers, _) = send(&app, post_form("/items/postgresql-standard", &session(), &form)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers["location"], "/requests/r-9");
    let sent = fake.received.lock().unwrap().last().unwrap().1.clone();
    assert_eq!(sent["item"], "postgresql-standard");
    assert_eq!(sent["team"], "dba");
    assert_eq!(sent["resource"], "orders-db");
    assert_eq!(sent["version"], "1.4.0");
    assert_eq!(sent["values"]["instanceName"], "orders-db");

    let bad = json!({ "instanceName": "BAD", "masterPassword": "pw-123456789" }).to_string();
    let form = format!(
        "csrf={CSRF}&resource=orders-db&team=dba&values={}",
        percent_encoding::utf8_percent_encode(&bad, percent_encoding::NON_ALPHANUMERIC)
    );
    let (status, _, body) = send(&app, post_form("/items/postgresql-standard", &session(), &form)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("Must be 3-30 chars, lowercase, alphanumeric with hyphens"), "{body}");
    assert!(body.contains("value=\"BAD\""), "values are kept");
    assert!(!body.contains("pw-123456789"), "passwords are never written back into the page");

    let (status, _, _) = send(&app, post_form("/items/postgresql-standard", &session(), "resource=x&team=dba")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no CSRF value, no submission");
}

#[tokio::test]
async fn without_script_the_fields_are_typed_from_the_form_description() {
    let fake = Fake::default();
    let app = app(&fake);
    let form = format!("csrf={CSRF}&resource=orders-db&team=dba&instanceName=orders-db&enableEncryption=on");
    let (status, _, _) = send(&app, post_form("/items/postgresql-standard", &session(), &form)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let sent = fake.received.lock().unwrap().last().unwrap().1.clone();
    assert_eq!(sent["values"]["instanceName"], "orders-db");
    assert_eq!(sent["values"]["enableEncryption"], true);
}

#[tokio::test]
async fn request_pages_show_the_timeline_and_refuse_other_teams() {
    let app = app(&Fake::default());
    let (status, _, body) = send(&app, get_with("/requests/r-1", &session())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("<strong class=\"status s-failed\" id=\"status\">failed</strong>"), "{body}");
    assert!(body.contains("action=\"/requests/r-1/retry\"") && body.contains("action=\"/requests/r-1/escalate\""));
    assert!(body.contains("create_db: HTTP 500"));
    let (status, _, live) = send(&app, get_with("/requests/r-1/live", &session())).await;
    assert_eq!(status, StatusCode::OK);
    assert!(live.starts_with("<div id=\"live\"") && !live.contains("<html"), "a fragment: {live}");

    let (status, _, body) = send(&app, get_with("/requests/other", &session())).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body.contains("Not your team&#39;s request") && body.contains("belongs to team web"), "{body}");
}

#[tokio::test]
async fn lists_page_with_cursors_and_assets_are_served() {
    let app = app(&Fake::default());
    let (status, _, body) = send(&app, get_with("/requests?status=pr_open", &session())).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("<h1>My requests</h1>") && body.contains("href=\"/requests/r-1\""));
    assert!(body.contains("cursor=abc%3D"), "{body}");
    for (asset, kind) in [("portal.css", "text/css"), ("portal.js", "text/javascript"), ("form.js", "text/javascript")]
    {
        let (status, headers, body) = send(&app, get_with(&format!("/assets/{asset}"), "")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(headers["content-type"].to_str().unwrap().starts_with(kind));
        assert!(!body.is_empty());
    }
    let (status, _, _) = send(&app, get_with("/assets/..%2Fsecret", "")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
