//! The request lifecycle: submit, update, decommission, list, get, status, merge, abort.

use std::collections::BTreeMap;
use std::sync::Arc;

use pao_git::{
    BackendError, CatalogReader, ChangeInfo, ChangeSpec, ChangeState, Identity, ItemId, Operation, RequestId,
    RequestStatus, ResourceKey, StateBackend, StatusEvent, UnreadableChange, format_rfc3339, trailers,
};
use pao_schema::{CatalogItem, LifecycleStatus, Strategy};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::document::RequestDocument;
use crate::error::OrchestratorError;
use crate::plan::{PlanInput, render_action_plan};
use crate::values::{redact_values, validate_values};

/// How a request should be fulfilled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Hint {
    /// The item's strategy decides (failover: automated, then manual).
    Auto,
    /// Straight to the manual actions.
    Manual,
    /// Automated actions only.
    Automated,
}

impl Hint {
    /// The hint as written in the request file.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Manual => "manual",
            Self::Automated => "automated",
        }
    }
}

/// Who asks, as the caller says it (command line, token, gateway header). Checked with
/// [`Requester::identity`] before anything is written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Requester {
    /// User id, e.g. `alice`.
    pub id: String,
    /// E-mail address, if known.
    pub email: Option<String>,
}

impl Requester {
    /// The validated identity ([`pao_git::validate_identity_value`]).
    ///
    /// # Errors
    /// [`OrchestratorError::InvalidIdentity`] naming the field and the character at fault.
    pub fn identity(&self) -> Result<Identity, OrchestratorError> {
        Ok(Identity::parse(&self.id, self.email.as_deref())?)
    }
}

/// What [`Orchestrator::open`]'s builder makes of a fresh request id: the content of the
/// change, before the requester's trailers are added.
struct Draft {
    /// The request file (`None`: a decommission removes it).
    content: Option<String>,
    /// Files of `terraform` actions that need nothing known only at execution.
    files: Vec<(String, String)>,
    /// Pull request title.
    title: String,
    /// Pull request body.
    body: String,
    /// Trailers beyond the identity and requester ones.
    trailers: Vec<(String, String)>,
}

/// What a draft is built from.
struct DraftContext<'a> {
    /// The fresh request id.
    id: &'a str,
    /// When, RFC 3339.
    created_at: &'a str,
    /// The correlation id.
    correlation_id: &'a str,
}

/// A new or updated resource.
#[derive(Debug, Clone)]
pub struct SubmitRequest {
    /// Catalog item id.
    pub item: String,
    /// Item version; `None` takes the current version (or, when that is not a stable
    /// release, the item's default version from history).
    pub version: Option<String>,
    /// Requesting team.
    pub team: String,
    /// Resource name.
    pub resource: String,
    /// Form values.
    pub values: Map<String, Value>,
    /// Who asks.
    pub requester: Requester,
    /// Fulfilment hint.
    pub hint: Hint,
    /// A retry with the same key (from the same requester) returns the first result.
    pub idempotency_key: Option<String>,
    /// Correlation id to carry through; one is made up when `None`.
    pub correlation_id: Option<String>,
}

/// Removal of a resource.
#[derive(Debug, Clone)]
pub struct DecommissionRequest {
    /// Catalog item id.
    pub item: String,
    /// Owning team.
    pub team: String,
    /// Resource name.
    pub resource: String,
    /// Who asks.
    pub requester: Requester,
    /// A retry with the same key returns the first result.
    pub idempotency_key: Option<String>,
    /// Correlation id to carry through; one is made up when `None`.
    pub correlation_id: Option<String>,
}

/// A request as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestView {
    /// Request id.
    pub id: String,
    /// Team.
    pub team: String,
    /// Catalog item id.
    pub item: String,
    /// Resource name.
    pub resource: String,
    /// create, update or decommission.
    pub operation: Operation,
    /// SPEC status.
    pub status: RequestStatus,
    /// Pull request state.
    pub state: ChangeState,
    /// Requester id.
    pub requester: String,
    /// Catalog item version.
    pub version: String,
    /// Catalog commit the item was read at.
    pub catalog_commit: String,
    /// Correlation id.
    pub correlation_id: String,
    /// Branch of the pull request (empty for files merged outside PAO).
    pub branch: String,
    /// Request commit.
    pub head: String,
    /// Pull request title.
    pub title: String,
    /// Pull request URL (GitHub).
    pub url: Option<String>,
    /// Pull request number (GitHub).
    pub number: Option<u64>,
    /// Created, RFC 3339.
    pub created_at: String,
    /// Last status change, RFC 3339.
    pub updated_at: String,
}

/// One request in full.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestDetail {
    /// The summary.
    #[serde(flatten)]
    pub request: RequestView,
    /// The request file the change writes, parsed (`None` for a decommission).
    pub document: Option<Value>,
    /// The change's diff, unified format.
    pub diff: String,
    /// Status transitions, oldest first.
    pub history: Vec<StatusEvent>,
}

/// A request's status and its transitions.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusReport {
    /// Request id.
    pub id: String,
    /// Current status.
    pub status: RequestStatus,
    /// Pull request state.
    pub state: ChangeState,
    /// Transitions, oldest first.
    pub history: Vec<StatusEvent>,
}

/// The result of a submit or decommission.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Submitted {
    /// The request.
    pub request: RequestView,
    /// Whether an earlier call with the same idempotency key created it.
    #[serde(default)]
    pub replayed: bool,
}

/// The result of [`Orchestrator::list_report`].
#[derive(Debug, Clone, Serialize)]
pub struct RequestList {
    /// The requests, newest first, filtered.
    pub requests: Vec<RequestView>,
    /// Requests that could not be read and were skipped (not filtered: a damaged request's
    /// team or status is unknown).
    pub skipped: Vec<UnreadableChange>,
}

/// Filters of [`Orchestrator::list`]; `None` matches everything.
#[derive(Debug, Clone, Default)]
pub struct RequestFilter {
    /// Only this team's requests.
    pub team: Option<String>,
    /// Only requests in this status.
    pub status: Option<RequestStatus>,
    /// Only this requester's requests.
    pub requestor: Option<String>,
}

impl RequestFilter {
    /// Whether `view` passes every filter that is set.
    pub fn matches(&self, view: &RequestView) -> bool {
        self.team.as_ref().is_none_or(|t| *t == view.team)
            && self.status.is_none_or(|s| s == view.status)
            && self.requestor.as_ref().is_none_or(|r| *r == view.requester)
    }
}

/// The request lifecycle over a state backend and a catalog. `Send + Sync`; share it.
pub struct Orchestrator {
    backend: Arc<dyn StateBackend>,
    catalog: Arc<CatalogReader>,
    catalog_rev: String,
    engine: pao_vars::Engine,
    environment: BTreeMap<String, String>,
}

impl std::fmt::Debug for Orchestrator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Orchestrator")
            .field("backend", &self.backend.describe())
            .field("catalog", &self.catalog)
            .field("catalog_rev", &self.catalog_rev)
            .finish()
    }
}

/// Attempts at a fresh request id when one is taken.
const ID_ATTEMPTS: usize = 5;

impl Orchestrator {
    /// An orchestrator writing through `backend`, reading the catalog at `catalog_rev` (a branch
    /// name follows the branch: each call resolves it again, and the tree-id cache makes that
    /// cheap).
    pub fn new(backend: Arc<dyn StateBackend>, catalog: Arc<CatalogReader>, catalog_rev: impl Into<String>) -> Self {
        Self {
            backend,
            catalog,
            catalog_rev: catalog_rev.into(),
            engine: pao_vars::Engine::new(Vec::<String>::new()),
            environment: BTreeMap::new(),
        }
    }

    /// Lets templates read these environment variables (`pao.toml` `[templates] environment`);
    /// their current values are captured now and rendered into action plans.
    #[must_use]
    pub fn with_template_environment<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let names: Vec<String> = names.into_iter().map(Into::into).collect();
        self.environment = names.iter().filter_map(|n| std::env::var(n).ok().map(|v| (n.clone(), v))).collect();
        self.engine = pao_vars::Engine::new(names);
        self
    }

    /// The state backend.
    pub fn backend(&self) -> &dyn StateBackend {
        self.backend.as_ref()
    }

    /// The catalog reader.
    pub fn catalog(&self) -> &CatalogReader {
        &self.catalog
    }

    /// The catalog revision requests are checked against.
    pub fn catalog_rev(&self) -> &str {
        &self.catalog_rev
    }

    /// Submits a new request, or an update when the resource's file already exists on the base
    /// branch.
    ///
    /// # Errors
    /// Invalid names, unknown or retired item, invalid values, an unsupported hint, another open
    /// request for the resource ([`pao_git::BackendError::ResourceBusy`]), backend failures.
    pub fn submit(&self, request: &SubmitRequest) -> Result<Submitted, OrchestratorError> {
        request.requester.identity()?;
        let key = ResourceKey::parse(&request.team, &request.item, &request.resource)?;
        let (item, catalog_commit) = self.item(&key.item, request.version.as_deref())?;
        if item.metadata.lifecycle.status == LifecycleStatus::Retired {
            let replacement = item.metadata.lifecycle.deprecation.as_ref().and_then(|d| d.replacement.clone());
            return Err(OrchestratorError::NotOrderable {
                item: key.item.to_string(),
                reason: format!(
                    "it is retired{}",
                    replacement.map(|r| format!("; request `{r}` instead")).unwrap_or_default()
                ),
            });
        }
        check_hint(&item, request.hint)?;
        let values = validate_values(&item.presentation.form, &request.values)
            .map_err(|errors| OrchestratorError::InvalidValues { errors })?;
        let (stored, redacted) = redact_values(&item.presentation.form, &values);
        let operation =
            if self.backend.read_base_file(&key.path())?.is_some() { Operation::Update } else { Operation::Create };
        self.open(
            &key,
            operation,
            &request.requester,
            request.idempotency_key.as_deref(),
            request.correlation_id.as_deref(),
            |&DraftContext { id, created_at, correlation_id }| {
                let mut user = Map::new();
                user.insert("id".into(), request.requester.id.clone().into());
                if let Some(email) = &request.requester.email {
                    user.insert("email".into(), email.clone().into());
                }
                user.insert("teams".into(), Value::Array(vec![key.team.to_string().into()]));
                let mut context = Map::new();
                context.insert("id".into(), id.into());
                context.insert("correlationId".into(), correlation_id.into());
                context.insert("timestamp".into(), created_at.into());
                context.insert("resource".into(), key.resource.to_string().into());
                context.insert("user".into(), Value::Object(user));
                let input =
                    PlanInput { values: values.clone(), request: context, environment: self.environment.clone() };
                let plan = render_action_plan(&self.engine, &item, request.hint, &input)?;
                let document = RequestDocument {
                    id,
                    operation: operation.as_str(),
                    team: key.team.as_str(),
                    resource: key.resource.as_str(),
                    item: &item,
                    catalog_commit: &catalog_commit,
                    requester_id: &request.requester.id,
                    requester_email: request.requester.email.as_deref(),
                    correlation_id,
                    created_at,
                    hint: request.hint.as_str(),
                    values: &stored,
                    redacted: &redacted,
                    plan: &plan,
                };
                let trailers = vec![
                    (trailers::ITEM_VERSION.to_owned(), item.metadata.version.clone()),
                    (trailers::CATALOG_COMMIT.to_owned(), catalog_commit.clone()),
                    (trailers::HINT.to_owned(), request.hint.as_str().to_owned()),
                ];
                let files = crate::plan::terraform_files(&item.metadata.id, &plan)?;
                Ok(Draft {
                    content: Some(document.file()),
                    files,
                    title: document.title(),
                    body: document.body(),
                    trailers,
                })
            },
        )
    }

    /// Opens a pull request removing the resource's desired-state file.
    ///
    /// # Errors
    /// Invalid names, no such file on the base branch, another open request for the resource,
    /// backend failures.
    pub fn decommission(&self, request: &DecommissionRequest) -> Result<Submitted, OrchestratorError> {
        request.requester.identity()?;
        let key = ResourceKey::parse(&request.team, &request.item, &request.resource)?;
        let Some(current) = self.backend.read_base_file(&key.path())? else {
            return Err(OrchestratorError::NothingToDecommission { path: key.path() });
        };
        let current = parse_document(&current);
        let field = |pointer: &str| {
            current.as_ref().and_then(|doc| doc.pointer(pointer)).and_then(Value::as_str).unwrap_or_default().to_owned()
        };
        let (version, commit) = (field("/catalog/version"), field("/catalog/commit"));
        let item = self.catalog.load(&self.catalog_rev)?.catalog.item(key.item.as_str()).cloned();
        self.open(&key, Operation::Decommission, &request.requester, request.idempotency_key.as_deref(), request.correlation_id.as_deref(), |&DraftContext { id, correlation_id, .. }| {
            let name = item.as_ref().map_or_else(|| key.item.to_string(), |item| item.metadata.name.clone());
            let title = format!("Decommission {} {} for team {}", key.item, key.resource, key.team);
            let body = format!(
                "**decommission** request `{id}` for `{key}`\n\nRemoves `{}` ({name}, version {version}).\n\n| | |\n| --- | --- |\n| Requester | {} |\n| Correlation id | `{correlation_id}` |\n\n<!-- pao-request: {id} -->\n",
                key.path(),
                request.requester.id.replace('|', "\\|"),
            );
            let trailers = vec![
                (trailers::ITEM_VERSION.to_owned(), version.clone()),
                (trailers::CATALOG_COMMIT.to_owned(), commit.clone()),
            ];
            Ok(Draft { content: None, files: Vec::new(), title, body, trailers })
        })
    }

    /// Decommissions the resource request `id` is about (`DELETE /requests/{id}`): a pull request
    /// removing `requests/<team>/<item>/<resource>.yaml`.
    ///
    /// # Errors
    /// As [`Self::decommission`], and an unknown request id.
    pub fn decommission_by_id(
        &self,
        id: &str,
        requester: &Requester,
        idempotency_key: Option<&str>,
        correlation_id: Option<&str>,
    ) -> Result<Submitted, OrchestratorError> {
        let change = self.backend.change(&RequestId::parse(id)?)?;
        self.decommission(&DecommissionRequest {
            item: change.key.item.to_string(),
            team: change.key.team.to_string(),
            resource: change.key.resource.to_string(),
            requester: requester.clone(),
            idempotency_key: idempotency_key.map(str::to_owned),
            correlation_id: correlation_id.map(str::to_owned),
        })
    }

    fn open(
        &self,
        key: &ResourceKey,
        operation: Operation,
        requester: &Requester,
        idempotency_key: Option<&str>,
        correlation_id: Option<&str>,
        build: impl Fn(&DraftContext<'_>) -> Result<Draft, OrchestratorError>,
    ) -> Result<Submitted, OrchestratorError> {
        let author = requester.identity()?;
        let correlation_id = correlation_id.map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned);
        // Keys are scoped to the requester, so one user's key never replays another's request.
        let idempotency_key = idempotency_key.map(|k| format!("{}\n{k}", requester.id));
        let mut last = None;
        for _ in 0..ID_ATTEMPTS {
            let now = now_rfc3339();
            let id = new_request_id(&now);
            let Draft { content, files, title, body, mut trailers } =
                build(&DraftContext { id: id.as_str(), created_at: &now, correlation_id: &correlation_id })?;
            trailers.push((trailers::REQUESTER.to_owned(), author.user().to_owned()));
            if let Some(email) = author.email() {
                trailers.push((trailers::REQUESTER_EMAIL.to_owned(), email.to_owned()));
            }
            trailers.push((trailers::CORRELATION_ID.to_owned(), correlation_id.clone()));
            let spec = ChangeSpec {
                id,
                key: key.clone(),
                operation,
                content,
                extra_files: files,
                title,
                body,
                labels: vec!["pao".to_owned(), format!("pao:{}", operation.as_str()), format!("team:{}", key.team)],
                trailers,
                author: author.clone(),
                idempotency_key: idempotency_key.clone(),
            };
            match self.backend.open_change(&spec) {
                Ok(opened) => return Ok(Submitted { request: view(&opened.change), replayed: opened.replayed }),
                Err(BackendError::AlreadyExists(id)) => last = Some(BackendError::AlreadyExists(id)),
                Err(BackendError::NoSuchFile { path }) => {
                    return Err(OrchestratorError::NothingToDecommission { path });
                }
                Err(err) => return Err(err.into()),
            }
        }
        Err(last.map_or_else(
            || OrchestratorError::Backend(BackendError::Contention { what: "request id".into() }),
            Into::into,
        ))
    }

    fn item(&self, id: &ItemId, version: Option<&str>) -> Result<(CatalogItem, String), OrchestratorError> {
        if version.is_some() {
            return Ok(self.catalog.item_at(&self.catalog_rev, id.as_str(), version)?);
        }
        let snapshot = self.catalog.load(&self.catalog_rev)?;
        let Some(current) = snapshot.catalog.item(id.as_str()) else {
            let reason = snapshot.catalog.entry(id.as_str()).map(|_| "it is a bundle, not an item".to_owned());
            return Err(match reason {
                Some(reason) => OrchestratorError::NotOrderable { item: id.to_string(), reason },
                None => OrchestratorError::ItemNotFound { item: id.to_string(), version: None },
            });
        };
        let stable = current.metadata.lifecycle.status != LifecycleStatus::Experimental
            && current.metadata.lifecycle.status != LifecycleStatus::Beta
            && !current.metadata.version.contains('-');
        if stable {
            return Ok((current.clone(), snapshot.commit));
        }
        // The current version is a pre-release: requests without a version get the default.
        let versions = self.catalog.versions(&snapshot.commit, id.as_str())?;
        match versions.default {
            Some(default) if default != current.metadata.version => {
                Ok(self.catalog.item_at(&snapshot.commit, id.as_str(), Some(&default))?)
            }
            _ => Ok((current.clone(), snapshot.commit)),
        }
    }

    /// Requests from Git: every request branch (pull request), plus request files on the base
    /// branch that no branch accounts for; newest first, filtered. Requests that cannot be read
    /// are left out; [`Self::list_report`] says which.
    ///
    /// # Errors
    /// When the backend cannot be read at all.
    pub fn list(&self, filter: &RequestFilter) -> Result<Vec<RequestView>, OrchestratorError> {
        Ok(self.list_report(filter)?.requests)
    }

    /// As [`Self::list`], with the requests that could not be read (skipped, so that one
    /// damaged request never takes the listing down).
    ///
    /// # Errors
    /// When the backend cannot be read at all.
    pub fn list_report(&self, filter: &RequestFilter) -> Result<RequestList, OrchestratorError> {
        let listed = self.backend.changes()?;
        let mut views: Vec<RequestView> = listed.changes.iter().map(view).collect();
        let known: std::collections::BTreeSet<String> = views.iter().map(|v| v.id.clone()).collect();
        views.extend(self.base_requests()?.into_iter().filter(|v| !known.contains(&v.id)));
        views.retain(|v| filter.matches(v));
        Ok(RequestList { requests: views, skipped: listed.unreadable })
    }

    /// One request's summary (what [`Self::list`] shows for it), without its diff or history.
    ///
    /// # Errors
    /// An invalid id, no such request, or a backend failure.
    pub fn view(&self, id: &str) -> Result<RequestView, OrchestratorError> {
        Ok(view(&self.backend.change(&RequestId::parse(id)?)?))
    }

    /// [`Self::view`] of each id, in order, read together (the local backend opens the state
    /// repository once for all of them).
    ///
    /// # Errors
    /// When the backend cannot be read at all; an invalid id or a request that cannot be read
    /// is an `Err` in its place.
    pub fn views(&self, ids: &[String]) -> Result<Vec<Result<RequestView, OrchestratorError>>, OrchestratorError> {
        let parsed: Vec<Result<RequestId, OrchestratorError>> =
            ids.iter().map(|id| RequestId::parse(id).map_err(OrchestratorError::from)).collect();
        let valid: Vec<RequestId> = parsed.iter().filter_map(|id| id.as_ref().ok().cloned()).collect();
        let mut read = self.backend.changes_of(&valid)?.into_iter();
        Ok(parsed
            .into_iter()
            .map(|id| {
                id?;
                match read.next() {
                    Some(change) => Ok(view(&change?)),
                    None => Err(OrchestratorError::Backend(BackendError::Corrupt(
                        "the backend read fewer requests than asked for".to_owned(),
                    ))),
                }
            })
            .collect())
    }

    /// The request files on the base branch, as requests in status `pr_merged` (including those
    /// a request branch accounts for: [`Self::list`] drops those).
    ///
    /// # Errors
    /// When the backend cannot be read.
    pub fn base_requests(&self) -> Result<Vec<RequestView>, OrchestratorError> {
        let mut views = Vec::new();
        for (path, content) in self.backend.base_request_files()? {
            let Some(key) = ResourceKey::from_path(&path) else { continue };
            let document = parse_document(&content);
            let field = |pointer: &str| {
                document
                    .as_ref()
                    .and_then(|doc| doc.pointer(pointer))
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned()
            };
            let id = field("/metadata/id");
            views.push(RequestView {
                id,
                team: key.team.to_string(),
                item: key.item.to_string(),
                resource: key.resource.to_string(),
                operation: Operation::Create,
                status: RequestStatus::PrMerged,
                state: ChangeState::Merged,
                requester: field("/metadata/requester/id"),
                version: field("/catalog/version"),
                catalog_commit: field("/catalog/commit"),
                correlation_id: field("/metadata/correlationId"),
                branch: String::new(),
                head: String::new(),
                title: format!("{path} (on {})", self.backend.base_branch()),
                url: None,
                number: None,
                created_at: field("/metadata/createdAt"),
                updated_at: field("/metadata/createdAt"),
            });
        }
        Ok(views)
    }

    /// One request in full: summary, the file it writes, its diff and its status history.
    ///
    /// # Errors
    /// An invalid id, no such request, or a backend failure.
    pub fn get(&self, id: &str) -> Result<RequestDetail, OrchestratorError> {
        let id = RequestId::parse(id)?;
        let change = self.backend.change(&id)?;
        let document = self.backend.change_file(&id)?.and_then(|text| parse_document(&text));
        Ok(RequestDetail {
            request: view(&change),
            document,
            diff: self.backend.diff(&id)?,
            history: self.backend.status_history(&id)?,
        })
    }

    /// A request's status and transitions.
    ///
    /// # Errors
    /// An invalid id, no such request, or a backend failure.
    pub fn status(&self, id: &str) -> Result<StatusReport, OrchestratorError> {
        let id = RequestId::parse(id)?;
        let change = self.backend.change(&id)?;
        Ok(StatusReport {
            id: id.to_string(),
            status: change.status,
            state: change.state,
            history: self.backend.status_history(&id)?,
        })
    }

    /// Merges the request's pull request (`pr_open` or `escalated` → `pr_merged`).
    ///
    /// # Errors
    /// Not open, conflicts, or a backend failure.
    pub fn merge(&self, id: &str) -> Result<RequestView, OrchestratorError> {
        let id = RequestId::parse(id)?;
        Ok(view(&self.backend.merge(&id)?))
    }

    /// Aborts a request: an open pull request is closed; a merged one stops (`aborted`).
    ///
    /// # Errors
    /// A terminal status, or a backend failure.
    pub fn abort(&self, id: &str, note: &str) -> Result<RequestView, OrchestratorError> {
        self.transition(id, RequestStatus::Aborted, note)
    }

    /// Moves a request to `to`, if SPEC's status model allows it from its current status.
    /// `pr_merged` merges; `aborted` or `pr_closed` on an open pull request closes it; every
    /// other status is recorded in the request's status log in Git.
    ///
    /// # Errors
    /// [`OrchestratorError::InvalidTransition`], or a backend failure.
    pub fn transition(&self, id: &str, to: RequestStatus, note: &str) -> Result<RequestView, OrchestratorError> {
        let id = RequestId::parse(id)?;
        let change = self.backend.change(&id)?;
        if !change.status.can_become(to) {
            return Err(OrchestratorError::InvalidTransition { id: id.to_string(), from: change.status, to });
        }
        let updated = match to {
            RequestStatus::PrMerged => self.backend.merge(&id)?,
            RequestStatus::Aborted | RequestStatus::PrClosed if change.state == ChangeState::Open => {
                self.backend.close(&id, to, note)?
            }
            _ => self.backend.record_status(&id, to, note)?,
        };
        Ok(view(&updated))
    }
}

fn check_hint(item: &CatalogItem, hint: Hint) -> Result<(), OrchestratorError> {
    let fulfillment = &item.fulfillment;
    let missing = match hint {
        Hint::Auto => false,
        Hint::Manual => fulfillment.manual.is_none(),
        Hint::Automated => fulfillment.automated.is_none() || fulfillment.strategy == Strategy::Manual,
    };
    if missing {
        return Err(OrchestratorError::UnsupportedHint {
            item: item.metadata.id.clone(),
            hint: hint.as_str().to_owned(),
        });
    }
    Ok(())
}

fn view(change: &ChangeInfo) -> RequestView {
    let meta = |key: &str| change.metadata.get(key).cloned().unwrap_or_default();
    RequestView {
        id: change.id.to_string(),
        team: change.key.team.to_string(),
        item: change.key.item.to_string(),
        resource: change.key.resource.to_string(),
        operation: change.operation,
        status: change.status,
        state: change.state,
        requester: meta(trailers::REQUESTER),
        version: meta(trailers::ITEM_VERSION),
        catalog_commit: meta(trailers::CATALOG_COMMIT),
        correlation_id: meta(trailers::CORRELATION_ID),
        branch: change.branch.clone(),
        head: change.head.clone(),
        title: change.title.clone(),
        url: change.url.clone(),
        number: change.number,
        created_at: change.created_at.clone(),
        updated_at: change.updated_at.clone(),
    }
}

fn parse_document(text: &str) -> Option<Value> {
    pao_source::parse_yaml(text).root.map(|root| root.to_json())
}

fn now_rfc3339() -> String {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    format_rfc3339(seconds, 0)
}

/// `req-YYYYMMDD-<12 hex>`: sortable by day, random within it.
fn new_request_id(now: &str) -> RequestId {
    let day: String = now.chars().take(10).filter(char::is_ascii_digit).collect();
    let random = uuid::Uuid::new_v4().simple().to_string();
    let text = format!("req-{day}-{}", &random[..12]);
    RequestId::parse(&text).expect("generated ids match the request id pattern")
}
