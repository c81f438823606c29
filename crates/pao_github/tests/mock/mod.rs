//! A loopback server speaking the subset of GitHub's REST API the backend uses, with response
//! bodies shaped like GitHub's documented ones, over a real bare Git repository (git2).
#![allow(dead_code, unreachable_pub, clippy::too_many_lines)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use git2::{Oid, Repository};
use serde_json::{Value, json};

pub const TOKEN: &str = "test-token";
const PREFIX: &str = "/api/v3/repos/acme/state/";

#[derive(Debug, Clone)]
pub struct MockPull {
    pub number: u64,
    pub title: String,
    pub body: String,
    pub head: String,
    pub base: String,
    pub state: String,
    pub merged_at: Option<String>,
    pub closed_at: Option<String>,
    pub labels: Vec<String>,
    pub created_at: String,
    pub comments: Vec<Value>,
}

pub struct Mock {
    pub repo: PathBuf,
    pub pulls: Vec<MockPull>,
    pub log: Vec<String>,
    /// Calls to answer with 502 once, as (method, text the path contains).
    pub fail: Vec<(String, String)>,
}

pub type Shared = Arc<Mutex<Mock>>;

/// Starts the server on 127.0.0.1; returns its API URL (with the GHE `/api/v3` prefix).
pub fn start(repo: &Path) -> (String, Shared) {
    let shared =
        Arc::new(Mutex::new(Mock { repo: repo.to_path_buf(), pulls: Vec::new(), log: Vec::new(), fail: Vec::new() }));
    let state = Arc::clone(&shared);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            let app = Router::new().fallback(handle).with_state(state);
            axum::serve(listener, app).await.unwrap();
        });
    });
    let addr = rx.recv().unwrap();
    (format!("http://{addr}/api/v3"), shared)
}

async fn handle(State(state): State<Shared>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, 1 << 22).await.unwrap_or_default();
    let authorized =
        parts.headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(&format!("Bearer {TOKEN}"));
    if !authorized {
        return reply(
            401,
            json!({ "message": "Bad credentials", "documentation_url": "https://docs.github.com/rest" }),
        );
    }
    let body: Value =
        if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).unwrap_or(Value::Null) };
    let path = percent_decode(parts.uri.path());
    let query = parts.uri.query().unwrap_or_default().to_owned();
    let mut mock = state.lock().unwrap();
    mock.log.push(format!("{} {}", parts.method, parts.uri));
    let Some(rest) = path.strip_prefix(PREFIX) else {
        return not_found();
    };
    if let Some(at) = mock.fail.iter().position(|(method, part)| method == parts.method.as_str() && rest.contains(part))
    {
        mock.fail.remove(at);
        return reply(502, json!({ "message": "injected failure" }));
    }
    let segments: Vec<&str> = rest.split('/').collect();
    let (status, value) = mock.route(parts.method.as_str(), &segments, &query, &body);
    reply(status, value)
}

fn reply(status: u16, value: Value) -> Response {
    let status = StatusCode::from_u16(status).unwrap();
    if status == StatusCode::NO_CONTENT {
        return status.into_response();
    }
    (status, axum::Json(value)).into_response()
}

fn not_found() -> Response {
    reply(404, json!({ "message": "Not Found", "documentation_url": "https://docs.github.com/rest" }))
}

fn nf() -> (u16, Value) {
    (404, json!({ "message": "Not Found", "documentation_url": "https://docs.github.com/rest" }))
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(byte) = u8::from_str_radix(&text[i + 1..i + 3], 16) {
                out.push(byte);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn query_param(query: &str, key: &str) -> Option<String> {
    query.split('&').filter_map(|kv| kv.split_once('=')).find(|(k, _)| *k == key).map(|(_, v)| percent_decode(v))
}

fn now() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    pao_git::format_rfc3339(i64::try_from(secs).unwrap(), 0)
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

impl Mock {
    /// What a person merging (or only closing) pull request `number` in GitHub's web page
    /// does to it: no PAO comment, no label change.
    pub fn close_on_github(&mut self, number: u64, merged: bool) {
        let pull = &mut self.pulls[usize::try_from(number - 1).unwrap()];
        pull.state = "closed".into();
        pull.closed_at = Some(now());
        if merged {
            pull.merged_at = Some(now());
        }
    }

    fn url(&self, rest: &str) -> String {
        format!("https://ghe.example.com/api/v3/repos/acme/state/{rest}")
    }

    fn commit_json(&self, repo: &Repository, oid: Oid) -> Value {
        let commit = repo.find_commit(oid).unwrap();
        let author = commit.author();
        let sig = |s: &git2::Signature<'_>| json!({ "name": s.name().unwrap_or_default(), "email": s.email().unwrap_or_default(), "date": pao_git::format_rfc3339(s.when().seconds(), 0) });
        json!({
            "sha": oid.to_string(),
            "node_id": format!("C_{oid}"),
            "url": self.url(&format!("git/commits/{oid}")),
            "html_url": format!("https://ghe.example.com/acme/state/commit/{oid}"),
            "author": sig(&author),
            "committer": sig(&commit.committer()),
            "message": commit.message().unwrap_or_default(),
            "tree": { "sha": commit.tree_id().to_string(), "url": self.url(&format!("git/trees/{}", commit.tree_id())) },
            "parents": commit.parent_ids().map(|p| json!({ "sha": p.to_string(), "url": self.url(&format!("git/commits/{p}")), "html_url": "" })).collect::<Vec<_>>(),
            "verification": { "verified": false, "reason": "unsigned", "signature": null, "payload": null, "verified_at": null }
        })
    }

    fn ref_json(&self, name: &str, oid: Oid) -> Value {
        json!({
            "ref": name,
            "node_id": "REF_x",
            "url": self.url(&format!("git/{name}")),
            "object": { "type": "commit", "sha": oid.to_string(), "url": self.url(&format!("git/commits/{oid}")) }
        })
    }

    fn label_json(name: &str) -> Value {
        json!({ "id": 1, "node_id": "LA_x", "url": "", "name": name, "color": "ededed", "default": false, "description": null })
    }

    fn head_sha(&self, repo: &Repository, pull: &MockPull) -> String {
        repo.refname_to_id(&format!("refs/heads/{}", pull.head)).map(|o| o.to_string()).unwrap_or_default()
    }

    fn pull_json(&self, repo: &Repository, pull: &MockPull) -> Value {
        let user = json!({ "login": "pao-bot", "id": 1, "node_id": "U_x", "type": "Bot", "site_admin": false });
        json!({
            "url": self.url(&format!("pulls/{}", pull.number)),
            "id": 1000 + pull.number,
            "node_id": format!("PR_{}", pull.number),
            "html_url": format!("https://ghe.example.com/acme/state/pull/{}", pull.number),
            "number": pull.number,
            "state": pull.state,
            "locked": false,
            "title": pull.title,
            "user": user,
            "body": pull.body,
            "labels": pull.labels.iter().map(|l| Self::label_json(l)).collect::<Vec<_>>(),
            "created_at": pull.created_at,
            "updated_at": now(),
            "closed_at": pull.closed_at,
            "merged_at": pull.merged_at,
            "merge_commit_sha": null,
            "draft": false,
            "merged": pull.merged_at.is_some(),
            "head": { "label": format!("acme:{}", pull.head), "ref": pull.head, "sha": self.head_sha(repo, pull), "user": user, "repo": null },
            "base": { "label": format!("acme:{}", pull.base), "ref": pull.base, "sha": repo.refname_to_id(&format!("refs/heads/{}", pull.base)).map(|o| o.to_string()).unwrap_or_default(), "user": user, "repo": null },
        })
    }

    fn resolve(repo: &Repository, rev: &str) -> Option<Oid> {
        repo.refname_to_id(&format!("refs/heads/{rev}"))
            .ok()
            .or_else(|| Oid::from_str(rev).ok().filter(|o| repo.find_commit(*o).is_ok()))
    }

    fn route(&mut self, method: &str, seg: &[&str], query: &str, body: &Value) -> (u16, Value) {
        let repo = Repository::open_bare(&self.repo).unwrap();
        match (method, seg) {
            ("GET", ["git", "ref", rest @ ..]) => {
                let name = format!("refs/{}", rest.join("/"));
                match repo.refname_to_id(&name) {
                    Ok(oid) => (200, self.ref_json(&name, oid)),
                    Err(_) => nf(),
                }
            }
            ("POST", ["git", "refs"]) => {
                let name = body["ref"].as_str().unwrap_or_default();
                let Ok(oid) = Oid::from_str(body["sha"].as_str().unwrap_or_default()) else {
                    return (422, json!({ "message": "Object does not exist" }));
                };
                match repo.reference(name, oid, false, "api") {
                    Ok(_) => (201, self.ref_json(name, oid)),
                    Err(_) => (
                        422,
                        json!({ "message": "Reference already exists", "documentation_url": "https://docs.github.com/rest/git/refs#create-a-reference" }),
                    ),
                }
            }
            ("DELETE", ["git", "refs", rest @ ..]) => match repo.find_reference(&format!("refs/{}", rest.join("/"))) {
                Ok(mut reference) => {
                    reference.delete().unwrap();
                    (204, Value::Null)
                }
                Err(_) => (422, json!({ "message": "Reference does not exist" })),
            },
            ("POST", ["git", "blobs"]) => {
                let content = body["content"].as_str().unwrap_or_default();
                let oid = repo.blob(content.as_bytes()).unwrap();
                (201, json!({ "url": self.url(&format!("git/blobs/{oid}")), "sha": oid.to_string() }))
            }
            ("GET", ["git", "blobs", sha]) => match Oid::from_str(sha).ok().and_then(|o| repo.find_blob(o).ok()) {
                Some(blob) => (
                    200,
                    json!({ "content": b64(blob.content()), "encoding": "base64", "url": self.url(&format!("git/blobs/{sha}")), "sha": sha, "size": blob.size(), "node_id": "B_x" }),
                ),
                None => nf(),
            },
            ("POST", ["git", "trees"]) => {
                let base = Oid::from_str(body["base_tree"].as_str().unwrap_or_default())
                    .ok()
                    .and_then(|o| repo.find_tree(o).ok());
                let Some(base) = base else {
                    return (422, json!({ "message": "base_tree is not a valid tree" }));
                };
                let mut update = git2::build::TreeUpdateBuilder::new();
                for entry in body["tree"].as_array().cloned().unwrap_or_default() {
                    let path = entry["path"].as_str().unwrap_or_default().to_owned();
                    match entry["sha"].as_str() {
                        Some(sha) => {
                            update.upsert(&path, Oid::from_str(sha).unwrap(), git2::FileMode::Blob);
                        }
                        None => {
                            update.remove(&path);
                        }
                    }
                }
                let oid = update.create_updated(&repo, &base).unwrap();
                (
                    201,
                    json!({ "sha": oid.to_string(), "url": self.url(&format!("git/trees/{oid}")), "tree": [], "truncated": false }),
                )
            }
            ("GET", ["git", "trees", sha]) => {
                let Some(tree) = Self::resolve(&repo, sha)
                    .and_then(|o| repo.find_commit(o).ok())
                    .map(|c| c.tree().unwrap())
                    .or_else(|| Oid::from_str(sha).ok().and_then(|o| repo.find_tree(o).ok()))
                else {
                    return nf();
                };
                let mut entries = Vec::new();
                tree.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
                    let kind = if entry.kind() == Some(git2::ObjectType::Tree) { "tree" } else { "blob" };
                    entries.push(json!({ "path": format!("{dir}{}", entry.name().unwrap_or_default()), "mode": format!("{:06o}", entry.filemode()), "type": kind, "sha": entry.id().to_string(), "url": "" }));
                    git2::TreeWalkResult::Ok
                })
                .unwrap();
                (200, json!({ "sha": tree.id().to_string(), "url": "", "tree": entries, "truncated": false }))
            }
            ("POST", ["git", "commits"]) => {
                let tree = repo.find_tree(Oid::from_str(body["tree"].as_str().unwrap_or_default()).unwrap()).unwrap();
                let parents: Vec<git2::Commit<'_>> = body["parents"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                    .iter()
                    .map(|p| repo.find_commit(Oid::from_str(p.as_str().unwrap()).unwrap()).unwrap())
                    .collect();
                let parent_refs: Vec<&git2::Commit<'_>> = parents.iter().collect();
                let author = git2::Signature::now(
                    body["author"]["name"].as_str().unwrap_or("x"),
                    body["author"]["email"].as_str().unwrap_or("x@x"),
                )
                .unwrap();
                let committer = git2::Signature::now("GitHub", "noreply@github.com").unwrap();
                let oid = repo
                    .commit(
                        None,
                        &author,
                        &committer,
                        body["message"].as_str().unwrap_or_default(),
                        &tree,
                        &parent_refs,
                    )
                    .unwrap();
                (201, self.commit_json(&repo, oid))
            }
            ("GET", ["git", "commits", sha]) => {
                match Oid::from_str(sha).ok().filter(|o| repo.find_commit(*o).is_ok()) {
                    Some(oid) => (200, self.commit_json(&repo, oid)),
                    None => nf(),
                }
            }
            ("GET", ["contents", path @ ..]) => {
                let path = path.join("/");
                let rev = query_param(query, "ref").unwrap_or_else(|| "main".into());
                let Some(commit) = Self::resolve(&repo, &rev).and_then(|o| repo.find_commit(o).ok()) else {
                    return nf();
                };
                let Ok(entry) = commit.tree().unwrap().get_path(Path::new(&path)) else {
                    return nf();
                };
                let blob = repo.find_blob(entry.id()).unwrap();
                let name = path.rsplit('/').next().unwrap_or_default().to_owned();
                (
                    200,
                    json!({ "type": "file", "encoding": "base64", "size": blob.size(), "name": name, "path": path, "content": b64(blob.content()), "sha": entry.id().to_string(), "url": "", "git_url": "", "html_url": "", "download_url": "", "_links": { "self": "", "git": "", "html": "" } }),
                )
            }
            ("GET", ["pulls"]) => {
                let state = query_param(query, "state").unwrap_or_else(|| "open".into());
                let head = query_param(query, "head");
                let page: usize = query_param(query, "page").and_then(|p| p.parse().ok()).unwrap_or(1);
                let per_page: usize = query_param(query, "per_page").and_then(|p| p.parse().ok()).unwrap_or(30);
                let mut pulls: Vec<&MockPull> = self
                    .pulls
                    .iter()
                    .filter(|p| state == "all" || p.state == state)
                    .filter(|p| head.as_ref().is_none_or(|h| *h == format!("acme:{}", p.head)))
                    .collect();
                pulls.reverse(); // newest first
                let list: Vec<Value> =
                    pulls.iter().skip((page - 1) * per_page).take(per_page).map(|p| self.pull_json(&repo, p)).collect();
                (200, Value::Array(list))
            }
            ("POST", ["pulls"]) => {
                let head = body["head"].as_str().unwrap_or_default().to_owned();
                if repo.refname_to_id(&format!("refs/heads/{head}")).is_err() {
                    return (
                        422,
                        json!({ "message": "Validation Failed", "errors": [{ "resource": "PullRequest", "field": "head", "code": "invalid" }] }),
                    );
                }
                let pull = MockPull {
                    number: self.pulls.len() as u64 + 1,
                    title: body["title"].as_str().unwrap_or_default().to_owned(),
                    body: body["body"].as_str().unwrap_or_default().to_owned(),
                    head,
                    base: body["base"].as_str().unwrap_or("main").to_owned(),
                    state: "open".into(),
                    merged_at: None,
                    closed_at: None,
                    labels: Vec::new(),
                    created_at: now(),
                    comments: Vec::new(),
                };
                let value = self.pull_json(&repo, &pull);
                self.pulls.push(pull);
                (201, value)
            }
            ("GET" | "PATCH", ["pulls", n]) => {
                let Some(index) =
                    n.parse::<usize>().ok().and_then(|n| n.checked_sub(1)).filter(|i| *i < self.pulls.len())
                else {
                    return nf();
                };
                if method == "PATCH"
                    && let Some(state) = body["state"].as_str()
                {
                    self.pulls[index].state = state.to_owned();
                    self.pulls[index].closed_at = (state == "closed").then(now);
                }
                (200, self.pull_json(&repo, &self.pulls[index].clone()))
            }
            ("PUT", ["pulls", n, "merge"]) => {
                let Some(index) =
                    n.parse::<usize>().ok().and_then(|n| n.checked_sub(1)).filter(|i| *i < self.pulls.len())
                else {
                    return nf();
                };
                let pull = self.pulls[index].clone();
                if pull.state != "open" {
                    return (405, json!({ "message": "Pull Request is not mergeable" }));
                }
                let head = repo.refname_to_id(&format!("refs/heads/{}", pull.head)).unwrap();
                if body["sha"].as_str().is_some_and(|sha| sha != head.to_string()) {
                    return (409, json!({ "message": "Head branch was modified. Review and try the merge again." }));
                }
                let base_ref = format!("refs/heads/{}", pull.base);
                let base = repo.refname_to_id(&base_ref).unwrap();
                let (ours, theirs) = (repo.find_commit(base).unwrap(), repo.find_commit(head).unwrap());
                let mut index_ = repo.merge_commits(&ours, &theirs, None).unwrap();
                if index_.has_conflicts() {
                    return (405, json!({ "message": "Pull Request is not mergeable" }));
                }
                let tree = repo.find_tree(index_.write_tree_to(&repo).unwrap()).unwrap();
                let sig = git2::Signature::now("GitHub", "noreply@github.com").unwrap();
                let title = body["commit_title"].as_str().unwrap_or("Merge pull request");
                let merge = repo.commit(None, &sig, &sig, title, &tree, &[&ours, &theirs]).unwrap();
                repo.reference_matching(&base_ref, merge, true, base, "merge").unwrap();
                self.pulls[index].state = "closed".into();
                self.pulls[index].merged_at = Some(now());
                self.pulls[index].closed_at = Some(now());
                (
                    200,
                    json!({ "sha": merge.to_string(), "merged": true, "message": "Pull Request successfully merged" }),
                )
            }
            ("GET", ["pulls", n, "files"]) => {
                let Some(pull) = n.parse::<usize>().ok().and_then(|n| n.checked_sub(1)).and_then(|i| self.pulls.get(i))
                else {
                    return nf();
                };
                let head = repo.find_commit(repo.refname_to_id(&format!("refs/heads/{}", pull.head)).unwrap()).unwrap();
                let old = head.parent(0).unwrap().tree().unwrap();
                let diff = repo.diff_tree_to_tree(Some(&old), Some(&head.tree().unwrap()), None).unwrap();
                let mut files = Vec::new();
                for i in 0..diff.deltas().len() {
                    let delta = diff.get_delta(i).unwrap();
                    let filename =
                        delta.new_file().path().or(delta.old_file().path()).unwrap().to_string_lossy().into_owned();
                    let mut patch = git2::Patch::from_diff(&diff, i).unwrap().unwrap();
                    let text = String::from_utf8_lossy(&patch.to_buf().unwrap()).into_owned();
                    let hunks = text.find("@@").map(|at| text[at..].to_owned()).unwrap_or_default();
                    let status = match delta.status() {
                        git2::Delta::Added => "added",
                        git2::Delta::Deleted => "removed",
                        _ => "modified",
                    };
                    files.push(json!({ "sha": delta.new_file().id().to_string(), "filename": filename, "status": status, "additions": 0, "deletions": 0, "changes": 0, "blob_url": "", "raw_url": "", "contents_url": "", "patch": hunks }));
                }
                (200, Value::Array(files))
            }
            ("POST", ["issues", n, "labels"]) => {
                let Some(pull) =
                    n.parse::<usize>().ok().and_then(|n| n.checked_sub(1)).and_then(|i| self.pulls.get_mut(i))
                else {
                    return nf();
                };
                for label in body["labels"].as_array().cloned().unwrap_or_default() {
                    let label = label.as_str().unwrap_or_default().to_owned();
                    if !pull.labels.contains(&label) {
                        pull.labels.push(label);
                    }
                }
                (200, Value::Array(pull.labels.iter().map(|l| Self::label_json(l)).collect()))
            }
            ("DELETE", ["issues", n, "labels", name]) => {
                let Some(pull) =
                    n.parse::<usize>().ok().and_then(|n| n.checked_sub(1)).and_then(|i| self.pulls.get_mut(i))
                else {
                    return nf();
                };
                let before = pull.labels.len();
                pull.labels.retain(|l| l != name);
                if pull.labels.len() == before {
                    return (404, json!({ "message": "Label does not exist" }));
                }
                (200, Value::Array(pull.labels.iter().map(|l| Self::label_json(l)).collect()))
            }
            ("GET" | "POST", ["issues", n, "comments"]) => {
                let Some(pull) =
                    n.parse::<usize>().ok().and_then(|n| n.checked_sub(1)).and_then(|i| self.pulls.get_mut(i))
                else {
                    return nf();
                };
                if method == "POST" {
                    let comment = json!({ "id": pull.comments.len() + 1, "node_id": "IC_x", "url": "", "html_url": "", "body": body["body"], "user": { "login": "pao-bot" }, "created_at": now(), "updated_at": now(), "issue_url": "", "author_association": "NONE" });
                    pull.comments.push(comment.clone());
                    return (201, comment);
                }
                (200, Value::Array(pull.comments.clone()))
            }
            _ => nf(),
        }
    }
}
