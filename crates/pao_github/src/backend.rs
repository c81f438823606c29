//! [`StateBackend`] on the GitHub REST API, through octocrab.
//!
//! Every call goes through octocrab's generic `get`/`post`/`patch`/`put`/`delete` with small
//! local response types, which read only the fields PAO needs from GitHub's documented bodies
//! (so a GitHub Enterprise Server that omits newer fields still works).

use std::future::Future;

use base64::Engine as _;
use octocrab::Octocrab;
use pao_git::{
    BackendError, ChangeInfo, ChangeList, ChangeSpec, ChangeState, Opened, Operation, REQUEST_BRANCH_PREFIX, RequestId,
    RequestStatus, ResourceKey, StateBackend, StatusEvent, UnreadableChange, idempotency_digest, parse_trailers,
    trailers, with_trailers,
};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::config::GithubConfig;

mod followup;

/// Label prefix of status labels (`pao:status:in_progress`).
const STATUS_LABEL: &str = "pao:status:";
/// Marker of the machine-readable block at the end of a pull request body.
const META_MARKER: &str = "<!-- pao-meta: ";
/// Marker of status comments.
const STATUS_MARKER: &str = "<!-- pao-status: ";

/// The GitHub state backend. Synchronous like every [`StateBackend`]: it owns a small Tokio
/// runtime and blocks on it (from inside another runtime it runs the call on a fresh thread).
pub struct GithubBackend {
    client: Octocrab,
    runtime: tokio::runtime::Runtime,
    config: GithubConfig,
}

impl std::fmt::Debug for GithubBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GithubBackend").field("config", &self.config).finish_non_exhaustive()
    }
}

#[derive(Debug, Deserialize)]
struct GitRef {
    object: GitObject,
}

#[derive(Debug, Deserialize)]
struct GitObject {
    sha: String,
}

#[derive(Debug, Deserialize)]
struct GitCommit {
    sha: String,
    tree: GitObject,
}

#[derive(Debug, Deserialize)]
struct Pull {
    number: u64,
    state: String,
    title: String,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    html_url: Option<String>,
    #[serde(default)]
    merged_at: Option<String>,
    #[serde(default)]
    closed_at: Option<String>,
    created_at: String,
    updated_at: String,
    #[serde(default)]
    labels: Vec<Label>,
    head: PullRef,
}

#[derive(Debug, Deserialize)]
struct PullRef {
    #[serde(rename = "ref")]
    name: String,
    sha: String,
}

#[derive(Debug, Deserialize)]
struct Label {
    name: String,
}

#[derive(Debug, Deserialize)]
struct Comment {
    #[serde(default)]
    body: Option<String>,
    created_at: String,
}

#[derive(Debug, Deserialize)]
struct PullFile {
    filename: String,
    #[serde(default)]
    patch: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Content {
    #[serde(default)]
    content: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Tree {
    tree: Vec<TreeEntry>,
}

#[derive(Debug, Deserialize)]
struct TreeEntry {
    path: String,
    #[serde(rename = "type")]
    kind: String,
    sha: String,
}

/// What the pull request body carries for PAO to read back without extra calls.
#[derive(Debug, serde::Serialize, Deserialize)]
struct Meta {
    id: String,
    team: String,
    item: String,
    resource: String,
    operation: String,
    #[serde(default)]
    idempotency: Option<String>,
    #[serde(default)]
    trailers: std::collections::BTreeMap<String, String>,
}

fn remote(operation: &str, err: &octocrab::Error) -> BackendError {
    match err {
        octocrab::Error::GitHub { source, .. } => BackendError::Remote {
            operation: operation.to_owned(),
            status: source.status_code.as_u16(),
            message: source.message.clone(),
        },
        other => BackendError::Remote { operation: operation.to_owned(), status: 0, message: other.to_string() },
    }
}

fn status_of(err: &octocrab::Error) -> Option<u16> {
    match err {
        octocrab::Error::GitHub { source, .. } => Some(source.status_code.as_u16()),
        _ => None,
    }
}

fn decode_base64(text: &str) -> Result<String, BackendError> {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(compact)
        .map_err(|err| BackendError::Corrupt(format!("GitHub sent invalid base64: {err}")))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Percent-encodes one path segment (ref names, label names, file paths keep their `/`).
fn encode_path(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

impl GithubBackend {
    /// Connects to the API (nothing is sent until the first call).
    ///
    /// # Errors
    /// When the runtime or HTTP client cannot be built or the URL is invalid.
    pub fn new(config: GithubConfig) -> Result<Self, BackendError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("pao-github")
            .enable_all()
            .build()
            .map_err(|err| BackendError::Remote {
                operation: "start runtime".into(),
                status: 0,
                message: err.to_string(),
            })?;
        let client = {
            let _guard = runtime.enter();
            let builder =
                Octocrab::builder().base_uri(config.api_url.as_str()).map_err(|e| remote("configure client", &e))?;
            let built = match &config.token {
                Some(token) => builder.personal_token(token.clone()).build(),
                None => builder.build(),
            };
            built.map_err(|e| remote("build client", &e))?
        };
        Ok(Self { client, runtime, config })
    }

    fn block<T: Send>(&self, future: impl Future<Output = T> + Send) -> T {
        if tokio::runtime::Handle::try_current().is_ok() {
            // Called from async code: blocking this thread on our runtime would panic, so the
            // call runs on a scoped helper thread instead.
            std::thread::scope(|scope| {
                scope
                    .spawn(|| self.runtime.block_on(future))
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
        } else {
            self.runtime.block_on(future)
        }
    }

    fn repo_route(&self, rest: &str) -> String {
        format!("/repos/{}/{}/{rest}", self.config.owner, self.config.repo)
    }

    async fn get<T: serde::de::DeserializeOwned>(&self, route: &str) -> Result<T, octocrab::Error> {
        self.client.get(route, None::<&()>).await
    }

    async fn post<T: serde::de::DeserializeOwned>(&self, route: &str, body: &Value) -> Result<T, octocrab::Error> {
        self.client.post(route, Some(body)).await
    }

    /// Creates a blob per `(path, content)`; the tree entries that add them.
    async fn blob_entries(&self, files: &[(String, String)]) -> Result<Vec<Value>, BackendError> {
        let mut entries = Vec::with_capacity(files.len());
        for (path, content) in files {
            let blob: GitObject = self
                .post(&self.repo_route("git/blobs"), &json!({ "content": content, "encoding": "utf-8" }))
                .await
                .map_err(|e| remote("create blob", &e))?;
            entries.push(json!({ "path": path, "mode": "100644", "type": "blob", "sha": blob.sha }));
        }
        Ok(entries)
    }

    /// The tip of the base branch, which must exist.
    async fn base_sha(&self) -> Result<String, BackendError> {
        self.branch_sha(&self.config.base).await?.ok_or_else(|| BackendError::NoBaseBranch {
            branch: self.config.base.clone(),
            repository: format!("github:{}/{}", self.config.owner, self.config.repo),
            branches: Vec::new(),
        })
    }

    async fn branch_sha(&self, branch: &str) -> Result<Option<String>, BackendError> {
        let route = self.repo_route(&format!("git/ref/heads/{}", encode_path(branch)));
        match self.get::<GitRef>(&route).await {
            Ok(reference) => Ok(Some(reference.object.sha)),
            Err(err) if status_of(&err) == Some(404) => Ok(None),
            Err(err) => Err(remote("read branch", &err)),
        }
    }

    async fn file_at(&self, path: &str, git_ref: &str) -> Result<Option<String>, BackendError> {
        let route = self.repo_route(&format!("contents/{}?ref={}", encode_path(path), encode_path(git_ref)));
        match self.get::<Content>(&route).await {
            Ok(content) => content.content.as_deref().map(decode_base64).transpose(),
            Err(err) if status_of(&err) == Some(404) => Ok(None),
            Err(err) => Err(remote("read file", &err)),
        }
    }

    /// Every PAO pull request (all states), newest first.
    async fn pulls(&self) -> Result<Vec<Pull>, BackendError> {
        let mut all = Vec::new();
        for page in 1..=100 {
            let route =
                self.repo_route(&format!("pulls?state=all&per_page=100&page={page}&sort=created&direction=desc"));
            let pulls: Vec<Pull> = self.get(&route).await.map_err(|e| remote("list pull requests", &e))?;
            let done = pulls.len() < 100;
            all.extend(pulls.into_iter().filter(|p| p.head.name.starts_with(REQUEST_BRANCH_PREFIX)));
            if done {
                break;
            }
        }
        Ok(all)
    }

    async fn pull_for(&self, id: &RequestId) -> Result<Pull, BackendError> {
        let head = format!("{}:{REQUEST_BRANCH_PREFIX}{id}", self.config.owner);
        let route = self.repo_route(&format!("pulls?state=all&head={}", encode_path(&head)));
        let pulls: Vec<Pull> = self.get(&route).await.map_err(|e| remote("find pull request", &e))?;
        pulls.into_iter().next().ok_or_else(|| BackendError::NotFound(id.to_string()))
    }

    fn info(&self, pull: &Pull) -> Result<ChangeInfo, BackendError> {
        let meta = meta_of(pull)
            .ok_or_else(|| BackendError::Corrupt(format!("pull request #{} has no PAO block", pull.number)))?;
        let id = RequestId::parse(&meta.id)?;
        let key = ResourceKey::parse(&meta.team, &meta.item, &meta.resource)?;
        let operation = Operation::parse(&meta.operation)
            .ok_or_else(|| BackendError::Corrupt(format!("pull request #{} has an unknown operation", pull.number)))?;
        let state = if pull.merged_at.is_some() {
            ChangeState::Merged
        } else if pull.state == "closed" {
            ChangeState::Closed
        } else {
            ChangeState::Open
        };
        let labelled =
            pull.labels.iter().filter_map(|l| l.name.strip_prefix(STATUS_LABEL)).filter_map(RequestStatus::parse).max();
        let status = RequestStatus::derive(labelled, state);
        let mut metadata = meta.trailers.clone();
        metadata.insert(trailers::REQUEST_ID.into(), id.to_string());
        metadata.insert(trailers::OPERATION.into(), operation.as_str().into());
        Ok(ChangeInfo {
            id,
            key,
            operation,
            branch: pull.head.name.clone(),
            base: self.config.base.clone(),
            head: pull.head.sha.clone(),
            state,
            status,
            title: pull.title.clone(),
            url: pull.html_url.clone(),
            number: Some(pull.number),
            metadata,
            created_at: pull.created_at.clone(),
            updated_at: pull.updated_at.clone(),
        })
    }

    async fn set_status(
        &self,
        number: u64,
        current: &[Label],
        status: RequestStatus,
        note: &str,
    ) -> Result<(), BackendError> {
        let label = format!("{STATUS_LABEL}{}", status.as_str());
        let route = self.repo_route(&format!("issues/{number}/labels"));
        let _: Value =
            self.post(&route, &json!({ "labels": [label] })).await.map_err(|e| remote("add status label", &e))?;
        for old in current.iter().filter(|l| l.name.starts_with(STATUS_LABEL) && l.name != label) {
            let route = self.repo_route(&format!("issues/{number}/labels/{}", encode_path(&old.name)));
            match self.client.delete::<Value, _, ()>(route, None).await {
                Ok(_) => {}
                Err(err) if status_of(&err) == Some(404) => {}
                Err(err) => return Err(remote("remove status label", &err)),
            }
        }
        let record = json!({ "status": status.as_str(), "note": note }).to_string().replace('>', "\\u003e");
        let text = if note.is_empty() { String::new() } else { format!("\n\n{note}") };
        let body = format!("{STATUS_MARKER}{record} -->\nPAO: status is now **{}**{text}", status.as_str());
        let route = self.repo_route(&format!("issues/{number}/comments"));
        let _: Value = self.post(&route, &json!({ "body": body })).await.map_err(|e| remote("comment status", &e))?;
        Ok(())
    }

    async fn open_async(&self, spec: &ChangeSpec) -> Result<Opened, BackendError> {
        let digest = spec.idempotency_key.as_deref().map(idempotency_digest);
        let pulls = self.pulls().await?;
        if let Some(digest) = &digest
            && let Some(first) = pulls.iter().find(|p| meta_of(p).and_then(|m| m.idempotency).as_ref() == Some(digest))
        {
            return Ok(Opened { change: self.info(first)?, replayed: true });
        }
        if let Some(open) = open_for(&pulls, &spec.key).first() {
            return Err(BackendError::ResourceBusy { key: spec.key.to_string(), open: open.1.clone() });
        }
        let branch = format!("{REQUEST_BRANCH_PREFIX}{}", spec.id);
        if self.branch_sha(&branch).await?.is_some() {
            return Err(BackendError::AlreadyExists(spec.id.to_string()));
        }
        let base_sha = self.base_sha().await?;
        let base: GitCommit = self
            .get(&self.repo_route(&format!("git/commits/{base_sha}")))
            .await
            .map_err(|e| remote("read base commit", &e))?;
        let path = spec.key.path();
        let entry = match &spec.content {
            Some(content) => {
                let blob: GitObject = self
                    .post(&self.repo_route("git/blobs"), &json!({ "content": content, "encoding": "utf-8" }))
                    .await
                    .map_err(|e| remote("create blob", &e))?;
                json!({ "path": path, "mode": "100644", "type": "blob", "sha": blob.sha })
            }
            None => {
                if self.file_at(&path, &base_sha).await?.is_none() {
                    return Err(BackendError::NoSuchFile { path });
                }
                json!({ "path": path, "mode": "100644", "type": "blob", "sha": null })
            }
        };
        let mut entries = vec![entry];
        entries.extend(self.blob_entries(&spec.extra_files).await?);
        let tree: GitObject = self
            .post(&self.repo_route("git/trees"), &json!({ "base_tree": base.tree.sha, "tree": entries }))
            .await
            .map_err(|e| remote("create tree", &e))?;
        let mut commit_trailers = spec.identity_trailers();
        commit_trailers.extend(spec.extra_trailers().cloned());
        let message = with_trailers(&format!("{}\n\n{}", spec.title, spec.body), &commit_trailers);
        let commit: GitCommit = self
            .post(
                &self.repo_route("git/commits"),
                &json!({
                    "message": message,
                    "tree": tree.sha,
                    "parents": [base_sha],
                    "author": { "name": spec.author.user(), "email": spec.author.author_email() },
                }),
            )
            .await
            .map_err(|e| remote("create commit", &e))?;
        let created: Result<Value, _> = self
            .post(&self.repo_route("git/refs"), &json!({ "ref": format!("refs/heads/{branch}"), "sha": commit.sha }))
            .await;
        match created {
            Ok(_) => {}
            Err(err) if status_of(&err) == Some(422) => {
                return Err(BackendError::AlreadyExists(spec.id.to_string()));
            }
            Err(err) => return Err(remote("create branch", &err)),
        }
        // From here on the branch exists: if anything fails, the pull request (when opened) is
        // closed and the branch deleted again, so a failed submit leaves no request behind.
        let mut number = None;
        match self.publish(spec, &branch, digest, &mut number).await {
            Ok(opened) => Ok(opened),
            Err(err @ BackendError::ResourceBusy { .. }) => Err(err), // it cleaned up itself
            Err(err) => Err(self.withdraw(&branch, number, err).await),
        }
    }

    /// Opens the pull request for the freshly created `branch`, labels it and settles a race
    /// with another pull request for the same resource; `number` is set once it exists.
    async fn publish(
        &self,
        spec: &ChangeSpec,
        branch: &str,
        digest: Option<String>,
        number: &mut Option<u64>,
    ) -> Result<Opened, BackendError> {
        let meta = Meta {
            id: spec.id.to_string(),
            team: spec.key.team.to_string(),
            item: spec.key.item.to_string(),
            resource: spec.key.resource.to_string(),
            operation: spec.operation.as_str().to_owned(),
            idempotency: digest,
            trailers: parse_trailers(&with_trailers("", &spec.trailers)),
        };
        let meta_json =
            serde_json::to_string(&meta).map_err(|e| BackendError::Corrupt(e.to_string()))?.replace('>', "\\u003e");
        let body = format!("{}\n\n{META_MARKER}{meta_json} -->\n", spec.body.trim_end());
        let pull: Pull = self
            .post(
                &self.repo_route("pulls"),
                &json!({ "title": spec.title, "head": branch, "base": self.config.base, "body": body, "maintainer_can_modify": false }),
            )
            .await
            .map_err(|e| remote("create pull request", &e))?;
        *number = Some(pull.number);
        let mut labels: Vec<String> = spec.labels.clone();
        labels.push(format!("{STATUS_LABEL}{}", RequestStatus::PrOpen.as_str()));
        let route = self.repo_route(&format!("issues/{}/labels", pull.number));
        let _: Value = self.post(&route, &json!({ "labels": labels })).await.map_err(|e| remote("add labels", &e))?;

        // GitHub has no multi-ref compare-and-swap, so exclusivity is settled after the fact:
        // of two racing pull requests for one resource, the lower number wins and the other
        // closes itself and deletes its branch.
        let pulls = self.pulls().await?;
        let open = open_for(&pulls, &spec.key);
        if let Some((winner_number, winner)) = open.first()
            && *winner_number < pull.number
        {
            let busy = BackendError::ResourceBusy { key: spec.key.to_string(), open: winner.clone() };
            return Err(self.withdraw(branch, Some(pull.number), busy).await);
        }
        let pull = self.pull_for(&spec.id).await?;
        Ok(Opened { change: self.info(&pull)?, replayed: false })
    }

    /// Takes back a submit that failed after its branch was created: closes its pull request
    /// (when there is one) and deletes the branch. Returns `cause`, or says what could not be
    /// taken back.
    async fn withdraw(&self, branch: &str, number: Option<u64>, cause: BackendError) -> BackendError {
        let mut left = Vec::new();
        if let Some(number) = number {
            let closed: Result<Value, _> = self
                .client
                .patch(self.repo_route(&format!("pulls/{number}")), Some(&json!({ "state": "closed" })))
                .await;
            if let Err(err) = closed {
                left.push(format!("pull request #{number} is still open ({})", remote("close", &err)));
            }
        }
        let route = self.repo_route(&format!("git/refs/heads/{}", encode_path(branch)));
        if let Err(err) = self.client._delete(route.as_str(), None::<&()>).await
            && status_of(&err) != Some(404)
            && status_of(&err) != Some(422)
        {
            left.push(format!("branch {branch} is still there ({})", remote("delete", &err)));
        }
        if left.is_empty() {
            return cause;
        }
        BackendError::Remote {
            operation: format!("{cause}; taking the request back"),
            status: 0,
            message: format!("{}; close or delete them on GitHub", left.join("; ")),
        }
    }

    async fn merge_async(&self, id: &RequestId) -> Result<ChangeInfo, BackendError> {
        let pull = self.pull_for(id).await?;
        let info = self.info(&pull)?;
        if info.state != ChangeState::Open {
            return Err(BackendError::NotOpen { id: id.to_string(), state: info.state });
        }
        let body = json!({
            "merge_method": "merge",
            "sha": pull.head.sha,
            "commit_title": format!("Merge request {id}: {}", pull.title),
        });
        let merged: Result<Value, _> =
            self.client.put(self.repo_route(&format!("pulls/{}/merge", pull.number)), Some(&body)).await;
        match merged {
            Ok(_) => {}
            Err(err) if status_of(&err) == Some(405) => {
                return Err(BackendError::MergeConflict { id: id.to_string(), paths: vec![info.key.path()] });
            }
            Err(err) if status_of(&err) == Some(409) => {
                return Err(BackendError::Contention { what: format!("pull request #{}", pull.number) });
            }
            Err(err) => return Err(remote("merge pull request", &err)),
        }
        self.set_status(pull.number, &pull.labels, RequestStatus::PrMerged, "merged into the base branch").await?;
        self.info(&self.pull_for(id).await?)
    }
}

fn meta_of(pull: &Pull) -> Option<Meta> {
    let body = pull.body.as_deref()?;
    let start = body.rfind(META_MARKER)? + META_MARKER.len();
    let end = start + body[start..].find(" -->")?;
    serde_json::from_str(&body[start..end]).ok()
}

/// Open PAO pull requests for a resource, lowest number first, as (number, request id).
fn open_for(pulls: &[Pull], key: &ResourceKey) -> Vec<(u64, String)> {
    let mut open: Vec<(u64, String)> = pulls
        .iter()
        .filter(|p| p.state == "open")
        .filter_map(|p| meta_of(p).map(|m| (p.number, m)))
        .filter(|(_, m)| {
            m.team == key.team.as_str() && m.item == key.item.as_str() && m.resource == key.resource.as_str()
        })
        .map(|(n, m)| (n, m.id))
        .collect();
    open.sort();
    open
}

impl StateBackend for GithubBackend {
    fn place_follow_up(
        &self,
        id: &RequestId,
        action: &str,
        files: &[(String, String)],
        message: &str,
    ) -> Result<pao_git::FilesAt, BackendError> {
        self.block(self.place_follow_up_async(id, action, files, message))
    }

    fn describe(&self) -> String {
        format!("github:{}/{} at {}", self.config.owner, self.config.repo, self.config.api_url)
    }

    fn base_branch(&self) -> &str {
        &self.config.base
    }

    fn read_base_file(&self, path: &str) -> Result<Option<String>, BackendError> {
        self.block(self.file_at(path, &self.config.base))
    }

    fn base_request_files(&self) -> Result<Vec<(String, String)>, BackendError> {
        self.block(async {
            let Some(base) = self.branch_sha(&self.config.base).await? else {
                return Ok(Vec::new());
            };
            let tree: Tree = self
                .get(&self.repo_route(&format!("git/trees/{base}?recursive=1")))
                .await
                .map_err(|e| remote("read tree", &e))?;
            let mut files = Vec::new();
            for entry in tree
                .tree
                .iter()
                .filter(|e| e.kind == "blob" && e.path.starts_with("requests/") && e.path.ends_with(".yaml"))
            {
                let blob: Content = self
                    .get(&self.repo_route(&format!("git/blobs/{}", entry.sha)))
                    .await
                    .map_err(|e| remote("read blob", &e))?;
                files.push((entry.path.clone(), decode_base64(blob.content.as_deref().unwrap_or_default())?));
            }
            files.sort();
            Ok(files)
        })
    }

    fn open_change(&self, spec: &ChangeSpec) -> Result<Opened, BackendError> {
        self.block(self.open_async(spec))
    }

    fn change(&self, id: &RequestId) -> Result<ChangeInfo, BackendError> {
        self.block(async { self.info(&self.pull_for(id).await?) })
    }

    fn changes(&self) -> Result<ChangeList, BackendError> {
        self.block(async {
            let pulls = self.pulls().await?;
            let mut list = ChangeList::default();
            for pull in &pulls {
                match self.info(pull) {
                    Ok(change) => list.changes.push(change),
                    Err(err) => list.unreadable.push(UnreadableChange {
                        location: format!("pull request #{}", pull.number),
                        error: err.to_string(),
                    }),
                }
            }
            Ok(list)
        })
    }

    fn change_file(&self, id: &RequestId) -> Result<Option<String>, BackendError> {
        self.block(async {
            let pull = self.pull_for(id).await?;
            let info = self.info(&pull)?;
            self.file_at(&info.key.path(), &pull.head.sha).await
        })
    }

    fn diff(&self, id: &RequestId) -> Result<String, BackendError> {
        self.block(async {
            let pull = self.pull_for(id).await?;
            let files: Vec<PullFile> = self
                .get(&self.repo_route(&format!("pulls/{}/files", pull.number)))
                .await
                .map_err(|e| remote("list changed files", &e))?;
            let mut out = String::new();
            for file in files {
                out.push_str(&format!("--- a/{0}\n+++ b/{0}\n", file.filename));
                if let Some(patch) = file.patch {
                    out.push_str(&patch);
                    if !patch.ends_with('\n') {
                        out.push('\n');
                    }
                }
            }
            Ok(out)
        })
    }

    fn merge(&self, id: &RequestId) -> Result<ChangeInfo, BackendError> {
        self.block(self.merge_async(id))
    }

    fn close(&self, id: &RequestId, status: RequestStatus, note: &str) -> Result<ChangeInfo, BackendError> {
        self.block(async {
            let pull = self.pull_for(id).await?;
            let info = self.info(&pull)?;
            if info.state != ChangeState::Open {
                return Err(BackendError::NotOpen { id: id.to_string(), state: info.state });
            }
            let _: Value = self
                .client
                .patch(self.repo_route(&format!("pulls/{}", pull.number)), Some(&json!({ "state": "closed" })))
                .await
                .map_err(|e| remote("close pull request", &e))?;
            self.set_status(pull.number, &pull.labels, status, note).await?;
            self.info(&self.pull_for(id).await?)
        })
    }

    fn record_status(&self, id: &RequestId, status: RequestStatus, note: &str) -> Result<ChangeInfo, BackendError> {
        self.block(async {
            let pull = self.pull_for(id).await?;
            self.set_status(pull.number, &pull.labels, status, note).await?;
            self.info(&self.pull_for(id).await?)
        })
    }

    fn status_history(&self, id: &RequestId) -> Result<Vec<StatusEvent>, BackendError> {
        self.block(async {
            let pull = self.pull_for(id).await?;
            let info = self.info(&pull)?;
            let mut events = StatusEvent::opening(&info.created_at, format!("pull request #{}", pull.number));
            let route = self.repo_route(&format!("issues/{}/comments?per_page=100", pull.number));
            let comments: Vec<Comment> = self.get(&route).await.map_err(|e| remote("list comments", &e))?;
            for comment in comments {
                let Some(body) = comment.body.as_deref() else {
                    continue;
                };
                let Some(start) = body.find(STATUS_MARKER).map(|i| i + STATUS_MARKER.len()) else {
                    continue;
                };
                let Some(end) = body[start..].find(" -->").map(|i| start + i) else {
                    continue;
                };
                let Ok(record) = serde_json::from_str::<Value>(&body[start..end]) else {
                    continue;
                };
                let Some(status) = record["status"].as_str().and_then(RequestStatus::parse) else {
                    continue;
                };
                let note = record["note"].as_str().unwrap_or_default().to_owned();
                events.push(StatusEvent { status, at: comment.created_at, note });
            }
            // A merge or close on GitHub itself leaves no PAO comment: the pull request's own
            // time stands for it, in its place among the comments.
            let derived = match (&pull.merged_at, &pull.closed_at, info.state) {
                (Some(at), _, ChangeState::Merged) => Some((RequestStatus::PrMerged, at)),
                (_, Some(at), ChangeState::Closed) => Some((RequestStatus::PrClosed, at)),
                _ => None,
            };
            if let Some((status, at)) = derived
                && !events.iter().any(|e| {
                    e.status == status || (status == RequestStatus::PrClosed && e.status == RequestStatus::Aborted)
                })
            {
                let how = if status == RequestStatus::PrMerged { "merged" } else { "closed" };
                let note = format!("pull request #{} {how} on GitHub", pull.number);
                StatusEvent::insert_derived(&mut events, StatusEvent { status, at: at.clone(), note });
            }
            Ok(events)
        })
    }
}
