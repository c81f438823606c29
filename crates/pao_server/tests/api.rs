//! The API through the router in-process (tower `oneshot`), on real Git repositories.

mod common;

use axum::http::StatusCode;
use common::*;
use serde_json::{Value, json};

#[tokio::test]
async fn catalog_routes_filter_paginate_and_report_invalid_files() {
    let fx = fixture("");
    let server = fx.server(pao_server::WebhookSecrets::default()).await;
    let router = server.router();
    let list = call(&router, request("GET", "/api/v1/catalog", Some(ALICE), None)).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    assert_eq!(list.body["data"][0]["id"], "pgsql");
    assert_eq!(list.body["pagination"]["has_more"], false);
    for (query, count) in [
        ("?q=postgres", 1),
        ("?q=nothing-like-it", 0),
        ("?category=databases", 1),
        ("?category=web", 0),
        ("?lifecycle=stable", 1),
        ("?lifecycle=beta", 0),
    ] {
        let answer = call(&router, request("GET", &format!("/api/v1/catalog{query}"), Some(ALICE), None)).await;
        assert_eq!(answer.body["data"].as_array().map(Vec::len), Some(count), "{query}: {}", answer.text);
    }
    let bad = call(&router, request("GET", "/api/v1/catalog?lifecycle=shiny", Some(ALICE), None)).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let cursor = call(&router, request("GET", "/api/v1/catalog?cursor=not-a-cursor", Some(ALICE), None)).await;
    assert_eq!(
        (cursor.status, cursor.body["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_cursor"))
    );
    let item = call(&router, request("GET", "/api/v1/catalog/items/pgsql", Some(ALICE), None)).await;
    assert_eq!(item.body["item"]["metadata"]["version"], "1.0.0", "{}", item.text);
    let missing = call(&router, request("GET", "/api/v1/catalog/items/nosuch", Some(ALICE), None)).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND, "{}", missing.text);
    let schema = call(&router, request("GET", "/api/v1/catalog/items/pgsql/schema", Some(ALICE), None)).await;
    assert_eq!(schema.body["validationEndpoint"], "/api/v1/validate/request", "{}", schema.text);
    let versions = call(&router, request("GET", "/api/v1/catalog/items/pgsql/versions", Some(ALICE), None)).await;
    assert_eq!(versions.body["default"], "1.0.0", "{}", versions.text);
    let errors = call(&router, request("GET", "/api/v1/catalog/validation-errors", Some(ALICE), None)).await;
    assert_eq!(errors.body["data"][0]["file"], "catalog/databases/broken.yaml", "{}", errors.text);
    assert!(errors.body["data"][0]["line"].as_u64().unwrap() >= 1);
}

#[tokio::test]
async fn refresh_serves_the_new_commit_and_readiness_waits_for_the_first_load() {
    let fx = fixture("");
    let server = pao_server::Server::new(&fx.app(), pao_server::WebhookSecrets::default()).unwrap();
    let router = server.router();
    let ready = call(&router, request("GET", "/api/v1/health/ready", None, None)).await;
    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE, "{}", ready.text);
    assert!(ready.headers.contains_key("retry-after"));
    assert!(server.load_catalog().await);
    assert_eq!(call(&router, request("GET", "/api/v1/health/ready", None, None)).await.status, StatusCode::OK);
    pao_testutil::write(
        &fx.work,
        "catalog/databases/pgsql.yaml",
        &PG.replace("Managed PostgreSQL", "Managed PostgreSQL, now faster"),
    );
    pao_testutil::git(&fx.work, &["commit", "-q", "-am", "faster"]);
    let before = call(&router, request("GET", "/api/v1/catalog?q=faster", Some(ALICE), None)).await;
    assert_eq!(before.body["data"].as_array().unwrap().len(), 0);
    let refreshed = call(&router, request("POST", "/api/v1/catalog/refresh", Some(ALICE), None)).await;
    assert_eq!((refreshed.status, &refreshed.body["changed"]), (StatusCode::OK, &json!(true)), "{}", refreshed.text);
    let after = call(&router, request("GET", "/api/v1/catalog?q=faster", Some(ALICE), None)).await;
    assert_eq!(after.body["data"].as_array().unwrap().len(), 1);
    let version = call(&router, request("GET", "/api/v1/version", None, None)).await;
    assert_eq!(version.body["catalog"]["commit"], refreshed.body["commit"]);
}

#[tokio::test]
async fn request_lifecycle_with_team_isolation() {
    let fx = fixture("");
    let server = fx.server(pao_server::WebhookSecrets::default()).await;
    let router = server.router();
    let mut submit_request = request(
        "POST",
        "/api/v1/requests",
        Some(ALICE),
        Some(&json!({ "item": "pgsql", "resource": "orders", "team": "streaming", "values": pg_values() })),
    );
    submit_request.headers_mut().insert("x-correlation-id", "corr-123".parse().unwrap());
    submit_request.headers_mut().insert("idempotency-key", "key-1".parse().unwrap());
    let submitted = call(&router, submit_request).await;
    assert_eq!(submitted.status, StatusCode::ACCEPTED, "{}", submitted.text);
    assert_eq!(submitted.headers["x-correlation-id"], "corr-123");
    assert_eq!(submitted.body["request"]["correlationId"], "corr-123");
    assert_eq!(submitted.body["request"]["status"], "pr_open");
    assert!(!submitted.text.contains("hunter2"), "a password in a response: {}", submitted.text);
    let id = submitted.body["request"]["id"].as_str().unwrap().to_owned();

    let mut again = request(
        "POST",
        "/api/v1/requests",
        Some(ALICE),
        Some(&json!({ "item": "pgsql", "resource": "orders", "team": "streaming", "values": pg_values() })),
    );
    again.headers_mut().insert("idempotency-key", "key-1".parse().unwrap());
    let replay = call(&router, again).await;
    assert_eq!((replay.body["request"]["id"].as_str(), &replay.body["replayed"]), (Some(id.as_str()), &json!(true)));

    let other_team = call(&router, request("GET", &format!("/api/v1/requests/{id}"), Some(BOB), None)).await;
    assert_eq!(other_team.status, StatusCode::FORBIDDEN, "{}", other_team.text);
    assert!(other_team.body["error"]["correlationId"].as_str().is_some_and(|c| !c.is_empty()));
    let own = call(&router, request("GET", &format!("/api/v1/requests/{id}"), Some(ALICE), None)).await;
    assert_eq!(own.body["request"]["id"], id.as_str(), "{}", own.text);
    assert!(!own.text.contains("hunter2"));
    let admin = call(&router, request("GET", &format!("/api/v1/requests/{id}/status"), Some(ROOT), None)).await;
    assert_eq!(admin.body["status"], "pr_open", "{}", admin.text);

    let bob_list = call(&router, request("GET", "/api/v1/requests", Some(BOB), None)).await;
    assert_eq!(bob_list.body["data"].as_array().unwrap().len(), 0, "{}", bob_list.text);
    let mine = call(&router, request("GET", "/api/v1/requests?requestor=me&status=pr_open", Some(ALICE), None)).await;
    assert_eq!(mine.body["data"].as_array().unwrap().len(), 1, "{}", mine.text);
    let foreign = call(&router, request("GET", "/api/v1/requests?team=streaming", Some(BOB), None)).await;
    assert_eq!(foreign.status, StatusCode::FORBIDDEN);
    let submit_foreign = call(
        &router,
        request(
            "POST",
            "/api/v1/requests",
            Some(BOB),
            Some(&json!({ "item": "pgsql", "resource": "x", "team": "streaming", "values": pg_values() })),
        ),
    )
    .await;
    assert_eq!(submit_foreign.status, StatusCode::FORBIDDEN);

    let busy = call(
        &router,
        request(
            "POST",
            "/api/v1/requests",
            Some(ROOT),
            Some(&json!({ "item": "pgsql", "resource": "orders", "team": "streaming", "values": pg_values() })),
        ),
    )
    .await;
    assert_eq!(
        (busy.status, busy.body["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("resource_busy")),
        "{}",
        busy.text
    );

    let logs = call(&router, request("GET", &format!("/api/v1/requests/{id}/logs"), Some(ALICE), None)).await;
    // Not merged, so not executed: an empty fulfilment log that will grow only after a merge.
    assert_eq!(logs.body["entries"], json!([]), "{}", logs.text);
    assert_eq!(logs.body["status"], "pr_open", "{}", logs.text);
    let escalate = call(
        &router,
        request(
            "POST",
            &format!("/api/v1/requests/{id}/escalate"),
            Some(ALICE),
            Some(&json!({ "reason": "needs a DBA" })),
        ),
    )
    .await;
    assert_eq!(escalate.body["request"]["status"], "escalated", "{}", escalate.text);
    let escalation =
        call(&router, request("GET", &format!("/api/v1/requests/{id}/escalation"), Some(ALICE), None)).await;
    assert_eq!(escalation.body["escalated"], true);
    assert_eq!(escalation.body["escalation"]["note"], "needs a DBA", "{}", escalation.text);
    assert_eq!(escalation.body["escalation"]["by"], "alice", "{}", escalation.text);
    let abort = call(&router, request("POST", &format!("/api/v1/requests/{id}/abort"), Some(ALICE), None)).await;
    assert_eq!(abort.body["request"]["status"], "aborted", "{}", abort.text);
    let retry = call(&router, request("POST", &format!("/api/v1/requests/{id}/retry"), Some(ALICE), None)).await;
    assert_eq!(retry.status, StatusCode::CONFLICT, "{}", retry.text);
}

#[tokio::test]
async fn invalid_values_are_422_with_the_form_messages() {
    let fx = fixture("");
    let server = fx.server(pao_server::WebhookSecrets::default()).await;
    let router = server.router();
    let body = json!({ "item": "pgsql", "resource": "orders", "team": "streaming", "values": { "size": "huge" } });
    let answer = call(&router, request("POST", "/api/v1/requests", Some(ALICE), Some(&body))).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", answer.text);
    let fields: Vec<&str> = answer.body["error"]["details"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert!(fields.contains(&"instanceName") && fields.contains(&"size"), "{fields:?}");
    let check = call(
        &router,
        request(
            "POST",
            "/api/v1/validate/request",
            Some(ALICE),
            Some(&json!({ "item": "pgsql", "values": { "size": "huge" } })),
        ),
    )
    .await;
    assert_eq!(check.body["valid"], false, "{}", check.text);
    assert_eq!(check.body["errors"], answer.body["error"]["details"]["fields"]);
}

#[tokio::test]
async fn tools_lint_preview_and_render() {
    let fx = fixture("");
    let server = fx.server(pao_server::WebhookSecrets::default()).await;
    let router = server.router();
    let lint = call(
        &router,
        request(
            "POST",
            "/api/v1/validate/catalog-item",
            Some(ALICE),
            Some(&json!({ "path": "catalog/databases/pgsql.yaml", "content": PG })),
        ),
    )
    .await;
    assert_eq!(lint.body["valid"], true, "{}", lint.text);
    let bad = call(
        &router,
        request(
            "POST",
            "/api/v1/validate/catalog-item",
            Some(ALICE),
            Some(&json!({ "path": "catalog/databases/pgsql.yaml", "content": "kind: [" })),
        ),
    )
    .await;
    assert_eq!(bad.body["valid"], false, "{}", bad.text);
    let traversal = call(
        &router,
        request(
            "POST",
            "/api/v1/validate/catalog-item",
            Some(ALICE),
            Some(&json!({ "path": "../../etc/passwd", "content": "" })),
        ),
    )
    .await;
    assert_eq!(traversal.status, StatusCode::BAD_REQUEST);
    let preview =
        call(&router, request("POST", "/api/v1/preview/form", Some(ALICE), Some(&json!({ "item": "pgsql" })))).await;
    assert!(preview.body["html"].as_str().unwrap().contains("<form"), "{}", preview.text);
    let render = call(
        &router,
        request(
            "POST",
            "/api/v1/test/variables",
            Some(ALICE),
            Some(&json!({ "item": "pgsql", "values": pg_values() })),
        ),
    )
    .await;
    assert_eq!(render.status, StatusCode::OK, "{}", render.text);
    assert!(render.text.contains("db/orders"), "{}", render.text);
    assert!(!render.text.contains("hunter2"), "{}", render.text);
}

#[tokio::test]
async fn bad_input_is_a_clear_4xx() {
    let fx = fixture("");
    let server = fx.server(pao_server::WebhookSecrets::default()).await;
    let router = server.router();
    let mut wrong_type = request("POST", "/api/v1/requests", Some(ALICE), None);
    *wrong_type.body_mut() = axum::body::Body::from("item=pgsql");
    wrong_type.headers_mut().insert("content-type", "application/x-www-form-urlencoded".parse().unwrap());
    assert_eq!(call(&router, wrong_type).await.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let mut malformed = request("POST", "/api/v1/requests", Some(ALICE), Some(&json!({})));
    *malformed.body_mut() = axum::body::Body::from("{\"item\": ");
    let answer = call(&router, malformed).await;
    assert_eq!(
        (answer.status, answer.body["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("malformed_json"))
    );
    let unknown = call(
        &router,
        request(
            "POST",
            "/api/v1/requests",
            Some(ALICE),
            Some(&json!({ "item": "pgsql", "resource": "a", "team": "streaming", "colour": "red" })),
        ),
    )
    .await;
    assert_eq!(
        (unknown.status, unknown.body["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_body")),
        "{}",
        unknown.text
    );
    let big = json!({ "item": "pgsql", "resource": "a", "team": "streaming", "values": { "instanceName": "x".repeat(70 * 1024) } });
    let too_large = call(&router, request("POST", "/api/v1/requests", Some(ALICE), Some(&big))).await;
    assert_eq!(too_large.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", too_large.text);
    for path in [
        "/api/v1/requests/..%2F..%2Fetc",
        "/api/v1/requests/req%00x",
        "/api/v1/catalog/items/%2e%2e",
        "/api/v1/catalog/items/A%20B",
        "/api/v1/requests/%ff%fe/status",
    ] {
        let answer = call(&router, request("GET", path, Some(ALICE), None)).await;
        assert!(answer.status.is_client_error(), "{path}: {} {}", answer.status, answer.text);
        assert!(answer.body["error"]["code"].is_string(), "{path}: {}", answer.text);
    }
    let unknown_item = call(
        &router,
        request(
            "POST",
            "/api/v1/requests",
            Some(ALICE),
            Some(&json!({ "item": "nosuch", "resource": "a", "team": "streaming" })),
        ),
    )
    .await;
    assert_eq!(unknown_item.status, StatusCode::NOT_FOUND, "{}", unknown_item.text);
    let no_route = call(&router, request("GET", "/api/v1/nothing", Some(ALICE), None)).await;
    assert_eq!(no_route.status, StatusCode::NOT_FOUND);
    let wrong_method = call(&router, request("PUT", "/api/v1/catalog", Some(ALICE), None)).await;
    assert_eq!(wrong_method.status, StatusCode::METHOD_NOT_ALLOWED, "{}", wrong_method.text);
}

/// Every route with none / wrong / other-team / own-team / admin identities.
#[tokio::test]
async fn auth_matrix_covers_every_route() {
    let fx = fixture("");
    let server = fx.server(pao_server::WebhookSecrets::default()).await;
    let router = server.router();
    let id = submit(&router, ALICE, "streaming", "orders").await;
    let public = ["/health", "/health/ready", "/metrics", "/version", "/openapi.json"];
    for (doc, _) in pao_server::http::routes() {
        let path = doc.path.replace("{id}", if doc.path.starts_with("/requests") { &id } else { "pgsql" });
        let url = format!("/api/v1{path}");
        let method = doc.method.as_str();
        let body: Option<Value> = doc.body.map(|_| json!({}));
        if doc.path.starts_with("/webhooks") {
            let answer = call(&router, request(method, &url, None, body.as_ref())).await;
            assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{method} {url} unsigned: {}", answer.text);
            continue;
        }
        if public.contains(&doc.path) {
            let answer = call(&router, request(method, &url, None, None)).await;
            assert!(answer.status.is_success(), "{method} {url} public: {}", answer.text);
            continue;
        }
        for token in [None, Some("wrong-token")] {
            let answer = call(&router, request(method, &url, token, body.as_ref())).await;
            assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{method} {url} {token:?}: {}", answer.text);
            assert_eq!(answer.body["error"]["code"], "unauthenticated");
        }
        let own = call(&router, request(method, &url, Some(ALICE), body.as_ref())).await;
        assert!(
            own.status != StatusCode::UNAUTHORIZED
                && own.status != StatusCode::FORBIDDEN
                && !own.status.is_server_error(),
            "{method} {url} own team: {} {}",
            own.status,
            own.text
        );
        let per_request = doc.path.starts_with("/requests/");
        let other = call(&router, request(method, &url, Some(BOB), body.as_ref())).await;
        if per_request {
            assert_eq!(other.status, StatusCode::FORBIDDEN, "{method} {url} other team: {}", other.text);
        } else {
            assert!(
                other.status != StatusCode::UNAUTHORIZED && !other.status.is_server_error(),
                "{method} {url} other: {}",
                other.text
            );
        }
        let admin = call(&router, request(method, &url, Some(ROOT), body.as_ref())).await;
        assert!(
            admin.status != StatusCode::UNAUTHORIZED
                && admin.status != StatusCode::FORBIDDEN
                && !admin.status.is_server_error(),
            "{method} {url} admin: {} {}",
            admin.status,
            admin.text
        );
    }
}

#[tokio::test]
async fn gateway_headers_only_from_trusted_proxies() {
    let fx = fixture("");
    let server = fx.server(pao_server::WebhookSecrets::default()).await;
    let router = server.router();
    let with_peer = |ip: &str| {
        let mut req = request("GET", "/api/v1/requests", None, None);
        req.headers_mut().insert("x-pao-user", "carol".parse().unwrap());
        req.headers_mut().insert("x-pao-teams", "streaming".parse().unwrap());
        let addr: std::net::SocketAddr = format!("{ip}:4000").parse().unwrap();
        req.extensions_mut().insert(axum::extract::ConnectInfo(addr));
        req
    };
    assert_eq!(call(&router, with_peer("127.0.0.1")).await.status, StatusCode::OK);
    assert_eq!(call(&router, with_peer("10.9.9.9")).await.status, StatusCode::UNAUTHORIZED);
}

/// The OpenAPI document lists every route of the router, and real responses of every route
/// validate against the document's schemas.
#[tokio::test]
async fn openapi_describes_every_route_and_real_responses_match() {
    let fx = fixture("");
    let server = fx.server(pao_server::WebhookSecrets::default()).await;
    let router = server.router();
    let doc = call(&router, request("GET", "/api/v1/openapi.json", None, None)).await.body;
    assert_eq!(doc["openapi"], "3.1.0");
    let id = submit(&router, ALICE, "streaming", "orders").await;
    let components = doc["components"].clone();
    let mut checked = 0;
    for (route, _) in pao_server::http::routes() {
        let path = format!("/api/v1{}", route.path);
        let method = route.method.as_str().to_lowercase();
        let operation = &doc["paths"][&path][&method];
        assert!(operation.is_object(), "{method} {path} is missing from openapi.json");
        if route.path.starts_with("/webhooks") || route.text {
            continue;
        }
        let status = route.status.as_u16().to_string();
        let schema = &operation["responses"][&status]["content"]["application/json"]["schema"];
        assert!(!schema.is_null(), "{method} {path}: no schema for {status}");
        let url = path.replace("{id}", if route.path.starts_with("/requests/") { &id } else { "pgsql" });
        let body = match route.path {
            "/requests" if route.method == axum::http::Method::POST => {
                Some(json!({ "item": "pgsql", "resource": "other", "team": "streaming", "values": pg_values() }))
            }
            "/validate/catalog-item" => Some(json!({ "path": "catalog/databases/pgsql.yaml", "content": PG })),
            "/validate/request" | "/preview/form" | "/test/variables" => {
                Some(json!({ "item": "pgsql", "values": pg_values() }))
            }
            _ => None,
        };
        let answer = call(&router, request(route.method.as_str(), &url, Some(ROOT), body.as_ref())).await;
        if answer.status.as_u16().to_string() != status {
            // Lifecycle actions may be refused in the request's current status: the envelope then.
            let error = json!({ "$ref": "#/components/schemas/Error", "components": components });
            let validator = jsonschema::validator_for(&error).unwrap();
            assert!(validator.is_valid(&answer.body), "{method} {url}: {} is not the envelope", answer.text);
            assert!(answer.status.is_client_error(), "{method} {url}: {} {}", answer.status, answer.text);
            continue;
        }
        let mut root = schema.clone();
        if let Value::Object(map) = &mut root {
            map.insert("components".into(), components.clone());
        } else {
            root = json!({ "allOf": [schema], "components": components });
        }
        let validator = jsonschema::validator_for(&root).unwrap_or_else(|e| panic!("{method} {path}: bad schema: {e}"));
        let errors: Vec<String> =
            validator.iter_errors(&answer.body).map(|e| format!("{} at {}", e, e.instance_path())).collect();
        assert!(
            errors.is_empty(),
            "{method} {url}: the response does not match the document: {errors:?}\n{}",
            answer.text
        );
        checked += 1;
    }
    assert!(checked >= 20, "only {checked} routes checked");
}

/// Generated garbage to every route: never a 5xx, always the envelope.
#[tokio::test]
async fn garbage_to_every_route_is_never_a_5xx() {
    let fx = fixture("");
    let server = fx.server(pao_server::WebhookSecrets { github: Some(b"x".to_vec()), ..Default::default() }).await;
    let router = server.router();
    let bodies: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"null".to_vec(),
        b"[]".to_vec(),
        b"{\"item\": 5, \"values\": []}".to_vec(),
        b"{\"item\": \"../../etc\", \"resource\": \"\\u0000\", \"team\": \"A B\"}".to_vec(),
        vec![0xff, 0xfe, 0x00, 0x7b],
        b"{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{".to_vec(),
        format!("{}1{}", "[".repeat(5000), "]".repeat(5000)).into_bytes(),
        b"{\"path\": \"/abs\", \"content\": 7}".to_vec(),
    ];
    let long = "x".repeat(300);
    let ids = ["..", "%2e%2e%2f", "req-%00", long.as_str(), "%ff", "a%2Fb", "UPPER", "-"];
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut calls = 0;
    for (route, _) in pao_server::http::routes() {
        for id in ids {
            for body in &bodies {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let path = format!("/api/v1{}", route.path.replace("{id}", id));
                let content_type =
                    ["application/json", "text/plain", "application/json; charset=utf-8", ""][(seed % 4) as usize];
                let mut builder = axum::http::Request::builder().method(route.method.as_str()).uri(&path);
                if !content_type.is_empty() {
                    builder = builder.header("content-type", content_type);
                }
                if seed % 3 != 0 {
                    builder = builder.header("authorization", format!("Bearer {ROOT}"));
                }
                let answer = call(&router, builder.body(axum::body::Body::from(body.clone())).unwrap()).await;
                calls += 1;
                assert!(
                    !answer.status.is_server_error(),
                    "{} {path} {content_type}: {} {}",
                    route.method,
                    answer.status,
                    answer.text
                );
                if !answer.status.is_success() {
                    assert!(
                        answer.body["error"]["code"].is_string(),
                        "{} {path}: no envelope: {}",
                        route.method,
                        answer.text
                    );
                }
            }
            if !route.path.contains("{id}") {
                break;
            }
        }
    }
    assert!(calls > 200, "{calls}");
}

/// Beyond `[server] concurrency-limit`, requests are shed at once: 503 with `Retry-After`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overload_is_shed_with_retry_after() {
    let fx = fixture("concurrency-limit = 1\n");
    let server = fx.server(pao_server::WebhookSecrets::default()).await;
    let router = server.router();
    let mut calls = Vec::new();
    for _ in 0..30 {
        let router = router.clone();
        calls.push(tokio::spawn(async move {
            let body = json!({ "path": "catalog/databases/pgsql.yaml", "content": PG });
            call(&router, request("POST", "/api/v1/validate/catalog-item", Some(ALICE), Some(&body))).await
        }));
    }
    let mut shed = 0;
    for call in calls {
        let answer = call.await.unwrap();
        if answer.status == StatusCode::SERVICE_UNAVAILABLE {
            assert_eq!(answer.body["error"]["code"], "overloaded", "{}", answer.text);
            assert_eq!(answer.headers["retry-after"], "1");
            shed += 1;
        } else {
            assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
        }
    }
    assert!(shed > 0, "30 concurrent requests with a limit of 1: none was shed");
}

#[tokio::test]
async fn me_says_who_the_token_is_and_the_portal_is_served_beside_the_api() {
    let fx = fixture("");
    let server = fx.server(pao_server::WebhookSecrets::default()).await;
    let router = server.router();
    let me = call(&router, request("GET", "/api/v1/me", Some(ALICE), None)).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.text);
    assert_eq!((me.body["user"].as_str(), me.body["admin"].as_bool()), (Some("alice"), Some(false)), "{}", me.text);
    assert_eq!(me.body["teams"], json!(["streaming"]));
    assert!(!me.text.contains(ALICE), "the token is never echoed");
    let stranger = call(&router, request("GET", "/api/v1/me", None, None)).await;
    assert_eq!(stranger.status, StatusCode::UNAUTHORIZED, "{}", stranger.text);
    // `/` is the portal: a stranger is sent to its sign-in page; the API keeps its 404 envelope.
    let portal = call(&router, request("GET", "/", None, None)).await;
    assert_eq!(portal.status, StatusCode::SEE_OTHER, "{}", portal.text);
    assert_eq!(portal.headers["location"], "/sign-in");
    let sign_in = call(&router, request("GET", "/sign-in", None, None)).await;
    assert!(sign_in.text.contains("Token"), "{}", sign_in.text);
    let unknown = call(&router, request("GET", "/api/v1/nothing-here", Some(ALICE), None)).await;
    assert_eq!(unknown.body["error"]["code"], "route_not_found", "{}", unknown.text);
}

/// One request whose commit cannot be read (a branch pointing at a commit without PAO's
/// trailers) never takes `GET /requests` down: the others are listed, before and after the
/// damage, and mending the branch brings the request back.
#[tokio::test]
async fn an_unreadable_request_is_left_out_of_the_listing_not_fatal() {
    let fx = fixture("");
    let router = fx.server(pao_server::WebhookSecrets::default()).await.router();
    let good = submit(&router, ALICE, "streaming", "orders").await;
    let bad = submit(&router, ALICE, "streaming", "payments").await;
    let listed = |router: axum::Router| async move {
        let answer = call(&router, request("GET", "/api/v1/requests", Some(ALICE), None)).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
        let mut ids: Vec<String> =
            answer.body["data"].as_array().unwrap().iter().map(|v| v["id"].as_str().unwrap().to_owned()).collect();
        ids.sort();
        ids
    };
    let mut both = vec![good.clone(), bad.clone()];
    both.sort();
    assert_eq!(listed(router.clone()).await, both);

    let repo = git2::Repository::open(&fx.state).unwrap();
    let branch = format!("refs/heads/pao/requests/{bad}");
    let tip = repo.refname_to_id(&branch).unwrap();
    let tree = repo.find_commit(tip).unwrap().tree().unwrap();
    let someone = git2::Signature::now("someone", "someone@example.com").unwrap();
    let damaged = repo.commit(None, &someone, &someone, "no trailers here", &tree, &[]).unwrap();
    repo.reference(&branch, damaged, true, "damage").unwrap();
    assert_eq!(
        listed(router.clone()).await,
        std::slice::from_ref(&good),
        "the damaged request is left out, the rest listed"
    );
    assert_eq!(listed(router.clone()).await, std::slice::from_ref(&good), "and again, from the kept listing");

    repo.reference(&branch, tip, true, "mend").unwrap();
    assert_eq!(listed(router).await, both, "mended, it is listed again");
}

/// `run` reads the request index in the background at start: by the time the first listing
/// is asked for, it answers from memory.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_request_index_is_read_at_start_before_any_listing() {
    let fx = fixture("");
    let first = fx.server(pao_server::WebhookSecrets::default()).await.router();
    submit(&first, ALICE, "streaming", "orders").await;
    submit(&first, ALICE, "streaming", "payments").await;

    let server = pao_server::Server::new(&fx.app(), pao_server::WebhookSecrets::default()).unwrap();
    let ctx = server.context().clone();
    assert!(!ctx.index().is_loaded(), "a new server has read nothing yet");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(server.run(listener, async move {
        let _ = stopped.await;
    }));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !ctx.index().is_loaded() {
        assert!(std::time::Instant::now() < deadline, "the index was never read");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let listing = tokio::task::spawn_blocking({
        let ctx = ctx.clone();
        move || ctx.index().list(&pao_orchestrator::RequestFilter::default()).unwrap().len()
    });
    assert_eq!(listing.await.unwrap(), 2);
    let _ = stop.send(());
    running.await.unwrap().unwrap();
}
