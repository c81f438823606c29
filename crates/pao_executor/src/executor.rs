//! The executor: runs a merged request's actions in order, with failover, retries, circuit
//! breaking and leases, recording every step in the request's fulfilment log in Git.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use pao_config::Config;
use pao_git::{
    Acquired, CatalogReader, FulfilmentLog, Lease, LeaseStore, LogEntry, RequestId, RequestStatus, StateBackend,
};
use pao_orchestrator::{Orchestrator, RequestFilter};
use pao_schema::Action;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::actions::{self, Done, Env, GithubApi};
use crate::breaker::Breakers;
use crate::clock::{Clock, SystemClock, rfc3339, unix_seconds};
use crate::error::ExecError;
use crate::http::{ActionError, Http};
use crate::mask::Masker;
use crate::record::{
    ActionState, ActionStatus, EscalationRecord, FailureContext, List, Outcome, Record, Reference, RunState,
};
use crate::request::{LoadedRequest, facts, load, plan, secret_names};
use crate::retry::{RetryPolicy, jitter_unit};
use crate::secrets::{SecretCache, SecretsProvider, provider_from_config};

mod announce;

/// Settings that are not in `pao.toml` (mostly for tests and embedding).
#[derive(Clone, Default)]
pub struct ExecutorOptions {
    /// The clock (default: the system clock).
    pub clock: Option<Arc<dyn Clock>>,
    /// This worker's name in leases and logs (default: `<host>:<pid>`).
    pub worker: Option<String>,
    /// The secrets provider (default: `[secrets]`).
    pub secrets: Option<Arc<dyn SecretsProvider>>,
    /// The GitHub API root for `github-workflow` actions (default: `[github] api-url`, else
    /// `https://api.github.com`).
    pub github_api_url: Option<String>,
    /// The GitHub token for `github-workflow` actions (default: `GITHUB_TOKEN`).
    pub github_token: Option<String>,
}

/// A request's fulfilment as the API and `pao request status` show it (read back by the CLI's
/// remote mode, so both modes print it the same way).
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionReport {
    /// Request id.
    pub id: String,
    /// The request's status.
    pub status: RequestStatus,
    /// What it waits for, when it waits on something outside.
    pub waiting_on: Option<String>,
    /// The automated failure that sent it to the manual list.
    pub failed_over: Option<FailureContext>,
    /// Every action that ran, with its outcome.
    pub actions: Vec<ActionState>,
    /// Escalations, oldest first.
    pub escalations: Vec<EscalationRecord>,
    /// The error that failed it.
    pub error: Option<String>,
}

/// Runs fulfilment. `Send + Sync`; share it in an `Arc`.
pub struct Executor {
    orchestrator: Arc<Orchestrator>,
    backend: Arc<dyn StateBackend>,
    catalog: Arc<CatalogReader>,
    config: Arc<Config>,
    log: FulfilmentLog,
    leases: LeaseStore,
    engine: pao_vars::Engine,
    environment: BTreeMap<String, String>,
    http: Http,
    secrets: Arc<dyn SecretsProvider>,
    clock: Arc<dyn Clock>,
    worker: String,
    github: GithubApi,
    claims: Claims,
    looked: announce::Looked,
}

impl std::fmt::Debug for Executor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Executor").field("worker", &self.worker).field("secrets", &self.secrets.describe()).finish()
    }
}

/// A held lease; renewed before each step with room for that step.
struct Held {
    lease: Lease,
    /// This process's claim on the request, given up when the lease is dropped.
    _claim: Claim,
}

/// Requests this process is executing now. The lease ref keeps workers apart, but a worker
/// may take its own live lease again (after a restart under the same name), so two tasks of
/// one process (the worker loop and a webhook it serves) are kept apart here.
#[derive(Debug, Default, Clone)]
struct Claims(Arc<std::sync::Mutex<std::collections::HashSet<String>>>);

/// One claimed request; released on drop.
struct Claim {
    claims: Claims,
    id: String,
}

impl Claims {
    fn claim(&self, id: &RequestId) -> Option<Claim> {
        let mut held = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        held.insert(id.to_string()).then(|| Claim { claims: self.clone(), id: id.to_string() })
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        self.claims.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(&self.id);
    }
}

/// How one action's step ended.
enum Step {
    Next,
    Wait,
    Fail(String),
}

impl Executor {
    /// An executor over the composition root's repositories and configuration.
    ///
    /// # Errors
    /// When the state repository cannot be opened for logs and leases, or `[secrets]` is
    /// unusable.
    pub fn new(app: &pao_app::App, options: ExecutorOptions) -> Result<Self, ExecError> {
        let clock = options.clock.unwrap_or_else(|| Arc::new(SystemClock));
        let settings = &app.config.executor;
        let breakers =
            Breakers::new(settings.breaker_failures, Duration::from_secs(settings.breaker_open_seconds), clock.clone());
        let http = Http::new(breakers).map_err(|err| ExecError::Setup(err.to_string()))?;
        let secrets = match options.secrets {
            Some(secrets) => secrets,
            None => {
                provider_from_config(&app.config.secrets, &http).map_err(|err| ExecError::Setup(err.to_string()))?
            }
        };
        let worker = options.worker.unwrap_or_else(|| {
            let host = pao_vars::SystemValues::now().hostname;
            format!("{host}:{}", std::process::id())
        });
        let github_url = options
            .github_api_url
            .or_else(|| app.config.github.as_ref().map(|g| g.api_url.clone()))
            .unwrap_or_else(|| "https://api.github.com".to_owned());
        let names = app.config.templates.environment.clone();
        Ok(Self {
            orchestrator: Arc::clone(&app.orchestrator),
            backend: Arc::clone(&app.backend),
            catalog: Arc::clone(&app.catalog),
            config: Arc::clone(&app.config),
            log: FulfilmentLog::open(&app.state_repo)?,
            leases: LeaseStore::open(&app.state_repo)?,
            environment: names.iter().filter_map(|n| std::env::var(n).ok().map(|v| (n.clone(), v))).collect(),
            engine: pao_vars::Engine::new(names),
            http,
            secrets,
            clock,
            worker,
            github: GithubApi {
                url: github_url,
                token: options.github_token.or_else(|| std::env::var("GITHUB_TOKEN").ok()).filter(|t| !t.is_empty()),
            },
            claims: Claims::default(),
            looked: announce::Looked::default(),
        })
    }

    /// The circuit breakers (shared by every execution of this executor).
    pub fn breakers(&self) -> &Breakers {
        self.http.breakers()
    }

    fn now(&self) -> String {
        rfc3339(self.clock.now())
    }

    fn acquire(&self, id: &RequestId, extra: Duration) -> Result<Held, ExecError> {
        let ttl = self.lease_ttl(extra);
        let Some(claim) = self.claims.claim(id) else {
            let until = self.leases.holder(id)?.map_or(0, |info| info.expires);
            return Err(ExecError::Busy {
                id: id.to_string(),
                holder: self.worker.clone(),
                until: pao_git::format_rfc3339(until, 0),
            });
        };
        match self.leases.acquire(id, &self.worker, unix_seconds(self.clock.now()), ttl)? {
            Acquired::Held(lease) => Ok(Held { lease, _claim: claim }),
            Acquired::Busy(info) => Err(ExecError::Busy {
                id: id.to_string(),
                holder: info.holder,
                until: pao_git::format_rfc3339(info.expires, 0),
            }),
        }
    }

    fn lease_ttl(&self, extra: Duration) -> i64 {
        i64::try_from(self.config.executor.lease_seconds.saturating_add(extra.as_secs())).unwrap_or(i64::MAX)
    }

    /// The heartbeat: extends the lease to cover the next step (`extra`: its timeout).
    fn renew(&self, held: &mut Held, extra: Duration) -> Result<(), ExecError> {
        let ttl = self.lease_ttl(extra);
        if self.leases.renew(&mut held.lease, unix_seconds(self.clock.now()), ttl)? {
            Ok(())
        } else {
            Err(ExecError::LeaseLost { id: held.lease.id.to_string() })
        }
    }

    fn release(&self, held: &Held) {
        let _ = self.leases.release(&held.lease);
    }

    fn records(&self, id: &RequestId) -> Result<Vec<Record>, ExecError> {
        Ok(self.log.read(id)?.into_iter().filter_map(|entry| serde_json::from_value(entry.record).ok()).collect())
    }

    fn append(&self, id: &RequestId, masker: &Masker, state: &mut RunState, record: &Record) -> Result<(), ExecError> {
        let value = masker.mask_json(&serde_json::to_value(record).unwrap_or_default());
        self.log.append(id, &masker.mask(&record.summary()), &value)?;
        state.apply(record);
        Ok(())
    }

    fn transition(&self, id: &RequestId, to: RequestStatus, note: &str) -> Result<(), ExecError> {
        self.orchestrator.transition(id.as_str(), to, note)?;
        Ok(())
    }

    /// The fulfilment of a request: status and every action's outcome, from Git.
    ///
    /// # Errors
    /// An invalid or unknown id, or an unreadable state repository.
    pub fn report(&self, id: &str) -> Result<ExecutionReport, ExecError> {
        let id = RequestId::parse(id)?;
        let change = self.backend.change(&id)?;
        let state = RunState::fold(&self.records(&id)?);
        let waiting_on = state
            .actions
            .iter()
            .find(|a| a.status == ActionStatus::Waiting)
            .map(|a| match &a.reference {
                Some(r) => format!("{} {} ({}/{})", r.system, r.url.as_deref().unwrap_or(&r.id), a.list.as_str(), a.id),
                None => format!("{}/{}", a.list.as_str(), a.id),
            })
            .filter(|_| change.status == RequestStatus::InProgress);
        let error = if change.status == RequestStatus::Failed {
            state.error.clone().or_else(|| {
                state
                    .last_failure
                    .as_ref()
                    .and_then(|(list, action)| state.action(*list, action))
                    .and_then(|a| a.error.clone())
            })
        } else {
            None
        };
        Ok(ExecutionReport {
            id: id.to_string(),
            status: change.status,
            waiting_on,
            failed_over: state.failed_over.clone(),
            actions: state.actions.clone(),
            escalations: state.escalations.clone(),
            error,
        })
    }

    /// The fulfilment log, oldest first; with `after` (the `commit` of an entry already seen)
    /// only what came later — call again with the last entry's commit to follow the log.
    ///
    /// # Errors
    /// An invalid or unknown id, or an unreadable state repository.
    pub fn logs(&self, id: &str, after: Option<&str>) -> Result<Vec<LogEntry>, ExecError> {
        let id = RequestId::parse(id)?;
        self.backend.change(&id)?;
        Ok(self.log.read_after(&id, after)?)
    }

    /// The last escalation of a request, if it was escalated.
    ///
    /// # Errors
    /// As [`Self::report`].
    pub fn escalation(&self, id: &str) -> Result<Option<EscalationRecord>, ExecError> {
        Ok(self.report(id)?.escalations.pop())
    }

    /// Whether a lease holder is executing the request now.
    ///
    /// # Errors
    /// An invalid id or an unreadable repository.
    pub fn running(&self, id: &str) -> Result<bool, ExecError> {
        let id = RequestId::parse(id)?;
        Ok(self.leases.holder(&id)?.is_some_and(|h| h.expires > unix_seconds(self.clock.now())))
    }

    /// Merged requests not yet done, and in-progress ones (which may wait on something
    /// outside): what a worker pass executes.
    ///
    /// # Errors
    /// When the state repository cannot be read.
    pub fn pending(&self) -> Result<Vec<String>, ExecError> {
        Ok(pending_of(&self.orchestrator.list(&RequestFilter::default())?))
    }

    /// One worker pass: announces the status changes made since the last pass, then executes
    /// the pending requests, oldest first.
    pub(crate) async fn pass(&self) -> Result<crate::worker::PassReport, ExecError> {
        let requests = self.orchestrator.list(&RequestFilter::default())?;
        let mut report = crate::worker::PassReport::default();
        self.announce_changed(&requests, &mut report).await;
        for id in pending_of(&requests) {
            match self.execute(&id).await {
                Ok(_) => report.executed.push(id),
                Err(ExecError::Busy { .. }) => report.busy.push(id),
                Err(err) => report.errors.push((id, err.to_string())),
            }
        }
        Ok(report)
    }

    /// Executes a merged request now: every action not yet done, in order, until all are done,
    /// one fails for good, or the request waits on something outside. Safe to call again at
    /// any time (after a crash too): completed actions never run twice.
    ///
    /// # Errors
    /// [`ExecError::NotMerged`], [`ExecError::Busy`] (another worker holds the lease),
    /// unreadable request or catalog, state repository failures. Action failures are not
    /// errors: they are in the report.
    pub async fn execute(&self, id: &str) -> Result<ExecutionReport, ExecError> {
        let id = RequestId::parse(id)?;
        let mut held = self.acquire(&id, Duration::ZERO)?;
        let result = self.run(&id, &mut held).await;
        self.release(&held);
        result?;
        self.report(id.as_str())
    }

    async fn run(&self, id: &RequestId, held: &mut Held) -> Result<(), ExecError> {
        let change = self.backend.change(id)?;
        if !matches!(change.status, RequestStatus::PrMerged | RequestStatus::InProgress) {
            // Nothing runs; the changes made elsewhere (opened, closed) are still announced.
            self.announce_change(held, &change).await?;
            if matches!(change.status, RequestStatus::Submitted | RequestStatus::Validating | RequestStatus::PrOpen) {
                return Err(ExecError::NotMerged { id: id.to_string(), status: change.status.to_string() });
            }
            // Done, or waiting for a person.
            return Ok(());
        }
        let masker = Masker::new();
        let secrets = SecretCache::new(Arc::clone(&self.secrets), masker.clone());
        let Some(request) = load(self.backend.as_ref(), &self.catalog, id, &change)? else {
            // A decommission has no actions of its own: the file's removal is the change.
            if change.status == RequestStatus::PrMerged {
                self.transition(id, RequestStatus::InProgress, "fulfilment started")?;
            }
            self.transition(id, RequestStatus::Completed, "decommission merged; no actions to run")?;
            let mut state = RunState::fold(&self.records(id)?);
            return self.announce(held, &facts(&change, None), &secrets, &mut state).await;
        };
        let mut state = RunState::fold(&self.records(id)?);
        if change.status == RequestStatus::PrMerged {
            self.transition(id, RequestStatus::InProgress, "fulfilment started")?;
        }
        // The merge (made on GitHub, or by `pao request merge`) and the start, or what changed
        // while the request waited.
        self.announce(held, &request.facts, &secrets, &mut state).await?;
        self.append(id, &masker, &mut state, &Record::Started { worker: self.worker.clone(), at: self.now() })?;
        let (first, fallback) = plan(&request.item, &request.hint);
        let mut list = if state.failed_over.is_some() { List::Manual } else { first };
        loop {
            let actions = action_list(&request.item, list);
            let mut failed = None;
            for (index, action) in actions.iter().enumerate() {
                match self.step(id, held, &request, &secrets, &mut state, list, index, action).await? {
                    Step::Next => {}
                    Step::Wait => return Ok(()),
                    Step::Fail(error) => {
                        failed = Some((action.id.clone(), error));
                        break;
                    }
                }
            }
            let Some((action, error)) = failed else {
                self.append(
                    id,
                    &masker,
                    &mut state,
                    &Record::Finished { status: "completed".into(), error: None, at: self.now() },
                )?;
                self.transition(id, RequestStatus::Completed, "every action succeeded")?;
                self.announce(held, &request.facts, &secrets, &mut state).await?;
                return Ok(());
            };
            if list == List::Automated && fallback == Some(List::Manual) && state.failed_over.is_none() {
                let failure = FailureContext { action, error, timestamp: self.now() };
                self.append(id, &masker, &mut state, &Record::FailedOver { failure })?;
                list = List::Manual;
                continue;
            }
            self.append(
                id,
                &masker,
                &mut state,
                &Record::Finished { status: "failed".into(), error: Some(error.clone()), at: self.now() },
            )?;
            self.transition(id, RequestStatus::Failed, &masker.mask(&error))?;
            self.announce(held, &request.facts, &secrets, &mut state).await?;
            return Ok(());
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn step(
        &self,
        id: &RequestId,
        held: &mut Held,
        request: &LoadedRequest,
        secrets: &SecretCache,
        state: &mut RunState,
        list: List,
        index: usize,
        action: &Action,
    ) -> Result<Step, ExecError> {
        let masker = secrets.masker().clone();
        let current = state.action(list, &action.id).cloned();
        let status = current.as_ref().map_or(ActionStatus::Pending, |a| a.status);
        let timeout = Duration::from_secs(
            action.timeout_seconds.map_or(self.config.executor.default_timeout_seconds, u64::from).max(1),
        );
        let key = format!("{id}.{}", action.id);
        match status {
            ActionStatus::Succeeded => return Ok(Step::Next),
            ActionStatus::Failed => {
                let error = current.and_then(|a| a.error).unwrap_or_else(|| "failed".to_owned());
                return Ok(Step::Fail(error));
            }
            ActionStatus::Waiting => {
                let reference = current.as_ref().and_then(|a| a.reference.clone());
                let Some(reference) = reference else { return Ok(Step::Wait) };
                self.renew(held, timeout)?;
                let typed = match self.render(request, secrets, state, list, index, action).await {
                    Ok(typed) => typed,
                    Err(err) => return Ok(Step::Fail(masker.mask(&err.message))),
                };
                let env = self.env(secrets, key, timeout, None, state.failed_over.as_ref(), &request.facts);
                let polled = actions::poll(&typed, &reference, &env).await;
                return self.external(id, &masker, state, list, action, polled, "poll", &reference);
            }
            ActionStatus::Pending | ActionStatus::Running => {}
        }
        let policy = RetryPolicy::from_action(action.retry.as_ref());
        let (mut attempt, mut resumed) = match &current {
            Some(a) if !a.last_attempt_finished && a.attempts > 0 => {
                (a.attempts, Some(a.last_attempt_at.clone().unwrap_or_default()))
            }
            Some(a) => (a.attempts + 1, None),
            None => (1, None),
        };
        loop {
            // The record of how this attempt ended.
            let finished = |outcome, error, retryable, backoff_seconds, reference, outputs| Record::AttemptFinished {
                list,
                action: action.id.clone(),
                attempt,
                outcome,
                error,
                retryable,
                backoff_seconds,
                reference,
                outputs,
                at: self.now(),
            };
            let typed = match self.render(request, secrets, state, list, index, action).await {
                Ok(typed) => typed,
                Err(err) => {
                    let error = masker.mask(&err.message);
                    let record = finished(Outcome::Failed, Some(error.clone()), false, None, None, Map::new());
                    self.append(id, &masker, state, &record)?;
                    return Ok(Step::Fail(error));
                }
            };
            self.renew(held, timeout)?;
            self.append(
                id,
                &masker,
                state,
                &Record::AttemptStarted {
                    list,
                    action: action.id.clone(),
                    action_type: action.action_type().as_str().to_owned(),
                    attempt,
                    idempotency_key: key.clone(),
                    at: self.now(),
                },
            )?;
            let env =
                self.env(secrets, key.clone(), timeout, resumed.take(), state.failed_over.as_ref(), &request.facts);
            let result = actions::run(&typed, &env).await;
            match result {
                Ok(Done::Completed { outputs, reference }) => {
                    let record = finished(Outcome::Succeeded, None, false, None, reference, outputs);
                    self.append(id, &masker, state, &record)?;
                    return Ok(Step::Next);
                }
                Ok(Done::Waiting { outputs, reference }) => {
                    let record = finished(Outcome::Waiting, None, false, None, Some(reference), outputs);
                    self.append(id, &masker, state, &record)?;
                    return Ok(Step::Wait);
                }
                Err(err) => {
                    let error = masker.mask(&err.message);
                    let again = err.retryable && attempt < policy.max_attempts;
                    let pause = again.then(|| policy.backoff(attempt, err.retry_after, jitter_unit()));
                    let record = finished(
                        Outcome::Failed,
                        Some(error.clone()),
                        err.retryable,
                        pause.map(|p| p.as_secs_f64()),
                        None,
                        Map::new(),
                    );
                    self.append(id, &masker, state, &record)?;
                    let Some(pause) = pause else {
                        let error = if err.retryable { format!("{error} (after {attempt} attempts)") } else { error };
                        return Ok(Step::Fail(error));
                    };
                    self.renew(held, pause + timeout)?;
                    self.clock.sleep(pause).await;
                    attempt += 1;
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn external(
        &self,
        id: &RequestId,
        masker: &Masker,
        state: &mut RunState,
        list: List,
        action: &Action,
        polled: Result<Option<Done>, ActionError>,
        source: &str,
        reference: &Reference,
    ) -> Result<Step, ExecError> {
        let record = |outcome, error: Option<String>, outputs: Map<String, Value>, reference: Option<Reference>| {
            Record::External {
                list,
                action: action.id.clone(),
                outcome,
                source: source.to_owned(),
                error,
                outputs,
                reference,
                at: self.now(),
            }
        };
        match polled {
            Ok(None) => Ok(Step::Wait),
            Ok(Some(Done::Waiting { outputs, reference: now })) => {
                if &now != reference {
                    self.append(id, masker, state, &record(Outcome::Waiting, None, outputs, Some(now)))?;
                }
                Ok(Step::Wait)
            }
            Ok(Some(Done::Completed { outputs, reference })) => {
                self.append(id, masker, state, &record(Outcome::Succeeded, None, outputs, reference))?;
                Ok(Step::Next)
            }
            // A transient failure to ask is not the action failing: ask again next time.
            Err(err) if err.retryable => Ok(Step::Wait),
            Err(err) => {
                let error = masker.mask(&err.message);
                self.append(id, masker, state, &record(Outcome::Failed, Some(error.clone()), Map::new(), None))?;
                Ok(Step::Fail(error))
            }
        }
    }

    fn env<'a>(
        &'a self,
        secrets: &'a SecretCache,
        key: String,
        timeout: Duration,
        resumed: Option<String>,
        failure: Option<&'a FailureContext>,
        facts: &'a Value,
    ) -> Env<'a> {
        Env {
            http: &self.http,
            secrets,
            config: &self.config,
            idempotency_key: key,
            timeout,
            resumed,
            failure,
            github: &self.github,
            request: facts,
            now: self.now(),
            backend: self.backend.as_ref(),
        }
    }

    /// Renders one action with real secrets and the outputs so far, typed.
    async fn render(
        &self,
        request: &LoadedRequest,
        secrets: &SecretCache,
        state: &RunState,
        list: List,
        index: usize,
        action: &Action,
    ) -> Result<Action, ActionError> {
        let values = secrets.get_all(&secret_names(action)).await.map_err(|err| ActionError::fatal(err.to_string()))?;
        // The manual list reads the automated failure (empty when it ran without failover);
        // its error was masked when recorded, and is masked again with this run's secrets.
        let failure: BTreeMap<String, String> = match (list, &state.failed_over) {
            (List::Manual, Some(f)) => [
                ("action".to_owned(), f.action.clone()),
                ("error".to_owned(), secrets.masker().mask(&f.error)),
                ("timestamp".to_owned(), f.timestamp.clone()),
            ]
            .into(),
            _ => ["action", "error", "timestamp"].map(|k| (k.to_owned(), String::new())).into(),
        };
        let input = pao_vars::RenderInput {
            values: request.values.clone(),
            request: request.scope.clone(),
            outputs: state.outputs(list),
            environment: self.environment.clone(),
            deterministic: false,
            failure,
        };
        let rendered =
            pao_vars::render_action_for_execution(&self.engine, &request.item, list.kind(), index, &input, &values)
                .map_err(|failure| ActionError::fatal(format!("action `{}` does not render: {failure}", action.id)))?;
        serde_json::from_value(rendered.action)
            .map_err(|err| ActionError::fatal(format!("action `{}` rendered to an invalid config: {err}", action.id)))
    }

    /// Posts one status change (to `status` at `changed_at`) of the request `held` is the
    /// lease of to every `[[notifications]]` target whose `on` matches; a failed post is
    /// recorded, never an error. The lease is renewed first for every such target's worst
    /// case, so it cannot run out while this worker still writes the request's log. Whether
    /// any target wanted the change.
    #[allow(clippy::too_many_arguments)]
    async fn notify(
        &self,
        held: &mut Held,
        facts: &Value,
        secrets: &SecretCache,
        state: &mut RunState,
        status: &str,
        changed_at: &str,
        error: Option<&str>,
    ) -> Result<bool, ExecError> {
        let links: Vec<String> =
            state.actions.iter().filter_map(|a| a.reference.as_ref().and_then(|r| r.url.clone())).collect();
        let message = crate::notify::Message { facts, status, changed_at, error, links };
        let targets: Vec<(usize, &pao_config::NotificationConfig)> =
            self.config.notifications.iter().enumerate().filter(|(_, t)| crate::notify::wants(t, status)).collect();
        if targets.is_empty() {
            return Ok(false);
        }
        let count = u32::try_from(targets.len()).unwrap_or(u32::MAX);
        self.renew(held, crate::notify::WORST_CASE.saturating_mul(count))?;
        let id = &held.lease.id;
        for (index, target) in targets {
            if let Err(error) = crate::notify::post(&self.http, secrets, self.clock.as_ref(), target, &message).await {
                let record =
                    Record::NotificationFailed { target: index, status: status.to_owned(), error, at: self.now() };
                self.append(id, secrets.masker(), state, &record)?;
            }
        }
        Ok(true)
    }

    /// The request's change and its facts for messages (an unreadable request file is an error).
    fn loaded(&self, id: &RequestId) -> Result<(pao_git::ChangeInfo, Value), ExecError> {
        let change = self.backend.change(id)?;
        let request = load(self.backend.as_ref(), &self.catalog, id, &change)?;
        let facts = facts(&change, request);
        Ok((change, facts))
    }

    /// A person retries a failed (or escalated) request: the failed action runs again (with
    /// its attempts afresh), then the rest.
    ///
    /// # Errors
    /// [`ExecError::WrongStatus`] unless the request is `failed` or `escalated`; as
    /// [`Self::execute`].
    pub async fn retry(&self, id: &str, by: &str) -> Result<ExecutionReport, ExecError> {
        let id = RequestId::parse(id)?;
        let mut held = self.acquire(&id, Duration::ZERO)?;
        let result = async {
            let (change, facts) = self.loaded(&id)?;
            if !matches!(change.status, RequestStatus::Failed | RequestStatus::Escalated) {
                return Err(ExecError::WrongStatus {
                    id: id.to_string(),
                    status: change.status.to_string(),
                    what: "only a failed or escalated request is retried".to_owned(),
                });
            }
            let masker = Masker::new();
            let mut state = RunState::fold(&self.records(&id)?);
            self.append(&id, &masker, &mut state, &Record::Retried { by: by.to_owned(), at: self.now() })?;
            self.transition(&id, RequestStatus::InProgress, &format!("retry by {by}"))?;
            // The change back to `in_progress` is a status change like any other.
            let secrets = SecretCache::new(Arc::clone(&self.secrets), masker);
            self.announce(&mut held, &facts, &secrets, &mut state).await
        }
        .await;
        self.release(&held);
        drop(held); // its in-process claim too: `execute` takes the request again
        result?;
        self.execute(id.as_str()).await
    }

    /// A person stops a request (`aborted`). An open pull request is closed.
    ///
    /// # Errors
    /// A terminal status ([`pao_orchestrator::OrchestratorError::InvalidTransition`]),
    /// [`ExecError::Busy`], or a state repository failure.
    pub async fn abort(&self, id: &str, by: &str, note: &str) -> Result<ExecutionReport, ExecError> {
        let id = RequestId::parse(id)?;
        let mut held = self.acquire(&id, Duration::ZERO)?;
        let result = async {
            let (_, facts) = self.loaded(&id)?;
            self.transition(&id, RequestStatus::Aborted, &format!("aborted by {by}: {note}"))?;
            let masker = Masker::new();
            let mut state = RunState::fold(&self.records(&id)?);
            self.append(
                &id,
                &masker,
                &mut state,
                &Record::Aborted { by: by.to_owned(), note: note.to_owned(), at: self.now() },
            )?;
            let secrets = SecretCache::new(Arc::clone(&self.secrets), masker);
            self.announce(&mut held, &facts, &secrets, &mut state).await
        }
        .await;
        self.release(&held);
        result?;
        self.report(id.as_str())
    }

    /// A person hands the request to people: a ticket from `[escalation]` with the request,
    /// what succeeded and what it created, the error and cleanup guidance per succeeded action;
    /// its key is recorded and the status becomes `escalated`. Without `[escalation]` the
    /// status changes and the guidance is recorded, with no ticket.
    ///
    /// # Errors
    /// A status that cannot become `escalated`, [`ExecError::Escalation`] when the ticket
    /// cannot be opened (nothing is recorded then), [`ExecError::Busy`].
    pub async fn escalate(&self, id: &str, by: &str, note: &str) -> Result<EscalationRecord, ExecError> {
        let id = RequestId::parse(id)?;
        let mut held = self.acquire(&id, Duration::from_secs(30))?;
        let result = self.escalate_held(&id, &mut held, by, note).await;
        self.release(&held);
        result
    }

    async fn escalate_held(
        &self,
        id: &RequestId,
        held: &mut Held,
        by: &str,
        note: &str,
    ) -> Result<EscalationRecord, ExecError> {
        let (change, facts) = self.loaded(id)?;
        if !change.status.can_become(RequestStatus::Escalated) {
            return Err(ExecError::WrongStatus {
                id: id.to_string(),
                status: change.status.to_string(),
                what: "it cannot be escalated now".to_owned(),
            });
        }
        let masker = Masker::new();
        let secrets = SecretCache::new(Arc::clone(&self.secrets), masker.clone());
        let mut state = RunState::fold(&self.records(id)?);
        let description = crate::escalation::description(&facts, &state, change.status.as_str(), note);
        let ticket = match &self.config.escalation {
            None => None,
            Some(settings) => {
                let env = self.env(&secrets, format!("{id}.escalation"), Duration::from_secs(30), None, None, &facts);
                let opened = async {
                    let jira = actions::jira_ticket::instance(&env, &settings.instance).await?;
                    let body = crate::escalation::issue(settings, &facts, &description);
                    let key = actions::jira_ticket::create_issue(&jira, body, &env).await?;
                    Ok::<_, ActionError>(jira.reference(&key))
                }
                .await;
                Some(
                    opened.map_err(|err| ExecError::Escalation {
                        id: id.to_string(),
                        message: masker.mask(&err.message),
                    })?,
                )
            }
        };
        let record = EscalationRecord { by: by.to_owned(), note: note.to_owned(), ticket, description, at: self.now() };
        let masked: EscalationRecord =
            serde_json::from_value(masker.mask_json(&serde_json::to_value(&record).unwrap_or_default()))
                .unwrap_or(record);
        self.append(id, &masker, &mut state, &Record::Escalated(masked.clone()))?;
        let what = masked.ticket.as_ref().map_or_else(String::new, |t| format!(" to {}", t.id));
        self.transition(id, RequestStatus::Escalated, &format!("escalated by {by}{what}: {note}"))?;
        self.announce(held, &facts, &secrets, &mut state).await?;
        Ok(masked)
    }

    /// `/webhooks/jira`: a JIRA issue event (`{"issue": {"key", "fields": {"status",
    /// "resolution"}}}`). When the issue is a waiting `jira-ticket` action's and is resolved,
    /// the outcome is recorded and the request continues. `Ok(None)`: not PAO's issue, or
    /// still open.
    ///
    /// # Errors
    /// [`ExecError::Busy`] when a worker holds the request (it will poll the ticket itself),
    /// and as [`Self::execute`].
    pub async fn jira_webhook(&self, payload: &Value) -> Result<Option<ExecutionReport>, ExecError> {
        let Some(key) = payload.pointer("/issue/key").and_then(Value::as_str) else { return Ok(None) };
        let fields = payload.pointer("/issue/fields").cloned().unwrap_or_default();
        let outcome = match actions::jira_ticket::ticket_state(&fields) {
            actions::jira_ticket::TicketState::Open => return Ok(None),
            actions::jira_ticket::TicketState::Done => (Outcome::Succeeded, None),
            actions::jira_ticket::TicketState::WontDo(resolution) => {
                (Outcome::Failed, Some(format!("JIRA ticket {key} was closed as {resolution}")))
            }
        };
        self.resolve_waiting(
            |a| a.reference.as_ref().is_some_and(|r| r.system == "jira" && r.id == key),
            outcome,
            "jira-webhook",
        )
        .await
    }

    /// `/webhooks/terraform`: an HCP Terraform run notification (`run_message`,
    /// `notifications[].message` and `run_url` are searched for a waiting `terraform` action's
    /// label `pao-<request-id>.<action-id>`). An applied run (or one with nothing to change)
    /// completes the action and the request continues; an errored, discarded or cancelled run
    /// fails it. `Ok(None)`: not PAO's run, or not finished.
    ///
    /// # Errors
    /// As [`Self::jira_webhook`].
    pub async fn terraform_webhook(&self, payload: &Value) -> Result<Option<ExecutionReport>, ExecError> {
        let outcome = match actions::terraform::run_state(payload) {
            actions::terraform::RunState::Running => return Ok(None),
            actions::terraform::RunState::Applied(_) => (Outcome::Succeeded, None),
            actions::terraform::RunState::Failed(what) => (Outcome::Failed, Some(format!("Terraform {what}"))),
        };
        let mut text = String::new();
        for pointer in ["/run_message", "/run_url", "/notifications/0/message", "/notifications/0/run_message"] {
            if let Some(part) = payload.pointer(pointer).and_then(Value::as_str) {
                text.push_str(part);
                text.push('\n');
            }
        }
        if text.is_empty() {
            return Ok(None);
        }
        self.resolve_waiting(
            |a| {
                a.action_type == "terraform"
                    && a.idempotency_key.as_ref().is_some_and(|key| {
                        let label = actions::terraform::label(key);
                        text.match_indices(&label).any(|(at, _)| {
                            // The whole label: not a prefix of another action's.
                            !text[at + label.len()..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
                        })
                    })
            },
            outcome,
            "terraform-webhook",
        )
        .await
    }

    /// Records an outside system's verdict on the first waiting action `matches` finds, then
    /// continues its request.
    async fn resolve_waiting(
        &self,
        matches: impl Fn(&ActionState) -> bool,
        outcome: (Outcome, Option<String>),
        source: &str,
    ) -> Result<Option<ExecutionReport>, ExecError> {
        for id in self.log.requests()? {
            let state = RunState::fold(&self.records(&id)?);
            let Some(action) = state.actions.iter().find(|a| a.status == ActionStatus::Waiting && matches(a)) else {
                continue;
            };
            let (list, action_id) = (action.list, action.id.clone());
            {
                // A worker may be on the request right now (polling this very ticket or run):
                // wait a little for its lease rather than drop the verdict.
                let held = while_busy(|| async { self.acquire(&id, Duration::ZERO) }).await?;
                let state = RunState::fold(&self.records(&id)?);
                if !state.actions.iter().any(|a| a.status == ActionStatus::Waiting && matches(a)) {
                    // The holder settled it meanwhile.
                    self.release(&held);
                    return self.report(id.as_str()).map(Some);
                }
                let mut state = state.clone();
                let record = Record::External {
                    list,
                    action: action_id,
                    outcome: outcome.0,
                    source: source.into(),
                    error: outcome.1.clone(),
                    outputs: Map::new(),
                    reference: None,
                    at: self.now(),
                };
                let result = self.append(&id, &Masker::new(), &mut state, &record);
                self.release(&held);
                result?;
            }
            // Continue the request; a worker woken by the same delivery may be on it already,
            // and then its run is this verdict's continuation: wait a little for it, then
            // report where the request stands (the verdict is recorded either way).
            return match while_busy(|| self.execute(id.as_str())).await {
                Err(ExecError::Busy { .. }) => self.report(id.as_str()).map(Some),
                other => other.map(Some),
            };
        }
        Ok(None)
    }
}

/// Calls `attempt` until it is not [`ExecError::Busy`], for at most about 5 s (20 pauses of
/// 250 ms): another task or worker holds the request for a moment; the last answer otherwise.
async fn while_busy<T, F: std::future::Future<Output = Result<T, ExecError>>>(
    mut attempt: impl FnMut() -> F,
) -> Result<T, ExecError> {
    let mut tries = 0;
    loop {
        match attempt().await {
            Err(ExecError::Busy { .. }) if tries < 20 => {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            other => return other,
        }
    }
}

/// Merged requests not yet done, and in-progress ones, oldest first.
fn pending_of(requests: &[pao_orchestrator::RequestView]) -> Vec<String> {
    requests
        .iter()
        .rev()
        .filter(|r| matches!(r.status, RequestStatus::PrMerged | RequestStatus::InProgress) && !r.branch.is_empty())
        .map(|r| r.id.clone())
        .collect()
}

fn action_list(item: &pao_schema::CatalogItem, list: List) -> Vec<Action> {
    let fulfillment = &item.fulfillment;
    match list {
        List::Automated => fulfillment.automated.as_ref(),
        List::Manual => fulfillment.manual.as_ref(),
    }
    .map(|l| l.actions.clone())
    .unwrap_or_default()
}
