//! Shared test setup: a real catalog repository and a bare state repository made with the git
//! CLI, a `pao.toml` with tokens for three teams, and the server's router in-process.

#![allow(dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use pao_testutil::{git, write};
use serde_json::Value;
use sha2::{Digest, Sha256};
use tower::ServiceExt;

pub const PG: &str = include_str!("../../../pao_orchestrator/tests/fixtures/pgsql.yaml");

pub const ALICE: &str = "alice-token-streaming";
pub const BOB: &str = "bob-token-web";
pub const ROOT: &str = "root-token-platform";

fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub fn config_text(extra: &str) -> String {
    format!(
        r#"[catalog]
github-org = "acme"

[auth]
admin-teams = ["platform"]
[[auth.tokens]]
sha256 = "{}"
user = "alice"
email = "alice@example.com"
teams = ["streaming"]
[[auth.tokens]]
sha256 = "{}"
user = "bob"
teams = ["web"]
[[auth.tokens]]
sha256 = "{}"
user = "root"
teams = ["platform"]
[auth.gateway]
user-header = "X-Pao-User"
teams-header = "X-Pao-Teams"
trusted-proxies = ["127.0.0.1/32"]

[server]
body-limit = "64KiB"
catalog-poll-seconds = 0
{extra}
"#,
        digest(ALICE),
        digest(BOB),
        digest(ROOT)
    )
}

/// A catalog work tree (with one invalid file) and a bare state repository cloned from it.
pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub work: PathBuf,
    pub state: PathBuf,
    pub config: PathBuf,
}

pub fn fixture(extra_config: &str) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("catalog");
    std::fs::create_dir_all(&work).unwrap();
    git(&work, &["init", "-q", "-b", "main"]);
    write(&work, "catalog/databases/pgsql.yaml", PG);
    write(&work, ".github/CODEOWNERS", "/catalog/databases/ @acme/dba\n");
    write(&work, "pao.toml", "[catalog]\ngithub-org = \"acme\"\n");
    write(&work, "catalog/databases/broken.yaml", "apiVersion: pao/v1\nkind: CatalogItem\nmetadata: {id: broken}\n");
    git(&work, &["add", "-A"]);
    git(&work, &["commit", "-q", "-m", "catalog"]);
    let state = dir.path().join("state.git");
    git(dir.path(), &["clone", "-q", "--bare", work.to_str().unwrap(), state.to_str().unwrap()]);
    let config = dir.path().join("pao.toml");
    std::fs::write(&config, config_text(extra_config)).unwrap();
    Fixture { dir, work, state, config }
}

impl Fixture {
    pub fn app(&self) -> pao_app::App {
        let options = pao_app::RepositoryOptions {
            state_repo: Some(self.state.clone()),
            base: "main".into(),
            catalog_repo: Some(self.work.clone()),
            catalog_rev: "main".into(),
            config: Some(self.config.clone()),
            local: true,
        };
        pao_app::App::open_from(&options, self.dir.path()).unwrap()
    }

    pub async fn server(&self, secrets: pao_server::WebhookSecrets) -> pao_server::Server {
        let server = pao_server::Server::new(&self.app(), secrets).unwrap();
        assert!(server.load_catalog().await);
        server
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// A response, its body parsed as JSON when it is JSON.
pub struct Answer {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Value,
    pub text: String,
}

pub async fn call(router: &axum::Router, request: Request<Body>) -> Answer {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Answer { status, headers, body, text }
}

pub fn request(method: &str, path: &str, token: Option<&str>, body: Option<&Value>) -> Request<Body> {
    let mut builder = Request::builder().method(method).uri(path);
    if let Some(token) = token {
        builder = builder.header("authorization", format!("Bearer {token}"));
    }
    match body {
        Some(body) => builder.header("content-type", "application/json").body(Body::from(body.to_string())).unwrap(),
        None => builder.body(Body::empty()).unwrap(),
    }
}

pub fn pg_values() -> Value {
    serde_json::json!({ "instanceName": "orders", "size": "small", "masterPassword": "hunter2-very-secret" })
}

/// Submits a pgsql request as `token` for `team`; returns the request id.
pub async fn submit(router: &axum::Router, token: &str, team: &str, resource: &str) -> String {
    let body = serde_json::json!({ "item": "pgsql", "resource": resource, "team": team, "values": pg_values() });
    let answer = call(router, request("POST", "/api/v1/requests", Some(token), Some(&body))).await;
    assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.text);
    answer.body["request"]["id"].as_str().unwrap().to_owned()
}
