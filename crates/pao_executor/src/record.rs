//! The records of a request's fulfilment log (`refs/pao/fulfilment/<id>`, see
//! `pao_git::FulfilmentLog`) and the state they fold into.
//!
//! The log is append-only. Before a call goes out, `attempt_started` is written; after it,
//! `attempt_finished`. A crash in between leaves a started attempt without an end: on restart
//! the attempt is made again with the same `Idempotency-Key`, and an action whose last record
//! says `succeeded` is never run again. Every record passes through the secret masker before
//! it is written.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Which list an action is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum List {
    /// `fulfillment.automated`.
    Automated,
    /// `fulfillment.manual`.
    Manual,
}

impl List {
    /// The list's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Automated => "automated",
            Self::Manual => "manual",
        }
    }

    pub(crate) fn kind(self) -> pao_vars::ListKind {
        match self {
            Self::Automated => pao_vars::ListKind::Automated,
            Self::Manual => pao_vars::ListKind::Manual,
        }
    }
}

/// Something an action created outside PAO.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reference {
    /// `jira`, `github-run`, `http`, `git`.
    pub system: String,
    /// The issue key, run id, commit, ...
    pub id: String,
    /// Where a person can look at it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// How an attempt or an outside system ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Done.
    Succeeded,
    /// Failed.
    Failed,
    /// Waiting on something outside (an open ticket, a running workflow).
    Waiting,
}

/// The failure the manual list is told about after failover.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FailureContext {
    /// The failed action's id.
    pub action: String,
    /// Its error (masked).
    pub error: String,
    /// When, RFC 3339.
    pub timestamp: String,
}

/// An escalation ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EscalationRecord {
    /// Who escalated.
    pub by: String,
    /// Why.
    pub note: String,
    /// The ticket, when `[escalation]` is configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<Reference>,
    /// The ticket's description as sent (masked).
    pub description: String,
    /// When, RFC 3339.
    pub at: String,
}

/// One record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Record {
    /// An executor started (or resumed) the request.
    Started {
        /// Who.
        worker: String,
        /// When.
        at: String,
    },
    /// A call is about to go out.
    AttemptStarted {
        /// The list.
        list: List,
        /// The action id.
        action: String,
        /// Its type.
        #[serde(rename = "type")]
        action_type: String,
        /// 1-based.
        attempt: u32,
        /// The key every call of this action carries.
        #[serde(rename = "idempotencyKey")]
        idempotency_key: String,
        /// When.
        at: String,
    },
    /// The attempt ended.
    AttemptFinished {
        /// The list.
        list: List,
        /// The action id.
        action: String,
        /// 1-based.
        attempt: u32,
        /// How.
        outcome: Outcome,
        /// The error, when it failed (masked).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
        /// Whether a later attempt may succeed.
        #[serde(default)]
        retryable: bool,
        /// The pause before the next attempt, seconds.
        #[serde(default, skip_serializing_if = "Option::is_none", rename = "backoffSeconds")]
        backoff_seconds: Option<f64>,
        /// What it created.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reference: Option<Reference>,
        /// Its outputs (masked).
        #[serde(default, skip_serializing_if = "Map::is_empty")]
        outputs: Map<String, Value>,
        /// When.
        at: String,
    },
    /// An outside system reported on a waiting action (poll or webhook).
    External {
        /// The list.
        list: List,
        /// The action id.
        action: String,
        /// How it ended.
        outcome: Outcome,
        /// `poll`, `jira-webhook`, `terraform-webhook`.
        source: String,
        /// Why it failed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
        /// Outputs learnt now (a run's conclusion).
        #[serde(default, skip_serializing_if = "Map::is_empty")]
        outputs: Map<String, Value>,
        /// The reference, when it changed (a run found after dispatch).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reference: Option<Reference>,
        /// When.
        at: String,
    },
    /// The automated list failed; the manual list runs with this context.
    FailedOver {
        /// The failure.
        failure: FailureContext,
    },
    /// The request reached a final state of this run.
    Finished {
        /// `completed` or `failed`.
        status: String,
        /// The error that failed it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
        /// When.
        at: String,
    },
    /// A person retried the failed action.
    Retried {
        /// Who.
        by: String,
        /// When.
        at: String,
    },
    /// A person aborted the request.
    Aborted {
        /// Who.
        by: String,
        /// Why.
        note: String,
        /// When.
        at: String,
    },
    /// A person escalated the request.
    Escalated(EscalationRecord),
    /// A status change was announced to the `[[notifications]]` targets that want it (each
    /// post that failed has its own [`Record::NotificationFailed`] before this).
    Announced {
        /// The status the request changed to.
        status: String,
        /// When it changed, RFC 3339, as the status history has it: with `status`, which
        /// change this was.
        since: String,
        /// When it was announced.
        at: String,
    },
    /// A notification could not be delivered (the request goes on).
    NotificationFailed {
        /// Which `[[notifications]]` entry (0-based).
        target: usize,
        /// The status it was about.
        status: String,
        /// Why (masked).
        error: String,
        /// When.
        at: String,
    },
}

impl Record {
    /// The one-line summary written as the log commit's message.
    pub fn summary(&self) -> String {
        match self {
            Self::Started { worker, .. } => format!("started by {worker}"),
            Self::AttemptStarted { list, action, attempt, .. } => {
                format!("{}/{action}: attempt {attempt} started", list.as_str())
            }
            Self::AttemptFinished { list, action, attempt, outcome, error, reference, .. } => {
                let what = match outcome {
                    Outcome::Succeeded => "succeeded".to_owned(),
                    Outcome::Waiting => "waiting".to_owned(),
                    Outcome::Failed => format!("failed: {}", error.as_deref().unwrap_or_default()),
                };
                let reference = reference.as_ref().map(|r| format!(" [{} {}]", r.system, r.id)).unwrap_or_default();
                format!("{}/{action}: attempt {attempt} {what}{reference}", list.as_str())
            }
            Self::External { list, action, outcome, source, error, .. } => {
                let what = match outcome {
                    Outcome::Succeeded => "succeeded".to_owned(),
                    Outcome::Waiting => "still waiting".to_owned(),
                    Outcome::Failed => format!("failed: {}", error.as_deref().unwrap_or_default()),
                };
                format!("{}/{action}: {what} (reported by {source})", list.as_str())
            }
            Self::FailedOver { failure } => {
                format!("failover to the manual list after {} failed: {}", failure.action, failure.error)
            }
            Self::Finished { status, error, .. } => match error {
                Some(error) => format!("{status}: {error}"),
                None => status.clone(),
            },
            Self::Retried { by, .. } => format!("retry by {by}"),
            Self::Aborted { by, note, .. } => format!("aborted by {by}: {note}"),
            Self::Escalated(e) => match &e.ticket {
                Some(ticket) => format!("escalated by {} to {}", e.by, ticket.id),
                None => format!("escalated by {}", e.by),
            },
            Self::Announced { status, since, .. } => format!("announced the change to {status} at {since}"),
            Self::NotificationFailed { target, status, error, .. } => {
                format!("notification {target} about {status} not delivered: {error}")
            }
        }
    }
}

/// Where one action stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionStatus {
    /// Not started.
    Pending,
    /// An attempt started and has not ended (or the executor died during it).
    Running,
    /// Waiting on something outside.
    Waiting,
    /// Done.
    Succeeded,
    /// Failed after its attempts.
    Failed,
}

/// The state of one action, folded from the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionState {
    /// The list.
    pub list: List,
    /// The action id.
    pub id: String,
    /// Its type.
    #[serde(rename = "type")]
    pub action_type: String,
    /// Where it stands.
    pub status: ActionStatus,
    /// Attempts made (in this round; a retry by a person starts a new round).
    pub attempts: u32,
    /// Whether the last attempt ended (false after a crash mid-call).
    #[serde(skip)]
    pub last_attempt_finished: bool,
    /// When the last attempt began, RFC 3339.
    #[serde(skip)]
    pub last_attempt_at: Option<String>,
    /// The first attempt's start, RFC 3339.
    pub started_at: Option<String>,
    /// When it succeeded or failed, RFC 3339.
    pub finished_at: Option<String>,
    /// What it created.
    pub reference: Option<Reference>,
    /// Its outputs.
    pub outputs: Map<String, Value>,
    /// The last error.
    pub error: Option<String>,
    /// `<request-id>.<action-id>`.
    pub idempotency_key: Option<String>,
}

/// A request's fulfilment state, folded from its log.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunState {
    /// Every action that has a record, in the order first seen.
    pub actions: Vec<ActionState>,
    /// The failover, when the automated list failed.
    pub failed_over: Option<FailureContext>,
    /// The last `finished` status (`completed`/`failed`), cleared by a retry.
    pub finished: Option<String>,
    /// The error of the last `finished: failed`.
    pub error: Option<String>,
    /// The last failure (list, action), which a retry runs again.
    #[serde(skip)]
    pub last_failure: Option<(List, String)>,
    /// Escalations, oldest first.
    pub escalations: Vec<EscalationRecord>,
    /// The status changes announced, as (status, since), oldest first.
    #[serde(skip)]
    pub announced: Vec<(String, String)>,
}

impl RunState {
    /// Folds the records, oldest first.
    pub fn fold<'a>(records: impl IntoIterator<Item = &'a Record>) -> Self {
        let mut state = Self::default();
        for record in records {
            state.apply(record);
        }
        state
    }

    /// The state of one action.
    pub fn action(&self, list: List, id: &str) -> Option<&ActionState> {
        self.actions.iter().find(|a| a.list == list && a.id == id)
    }

    fn entry(&mut self, list: List, id: &str, action_type: Option<&str>) -> &mut ActionState {
        let index = match self.actions.iter().position(|a| a.list == list && a.id == id) {
            Some(index) => index,
            None => {
                self.actions.push(ActionState {
                    list,
                    id: id.to_owned(),
                    action_type: String::new(),
                    status: ActionStatus::Pending,
                    attempts: 0,
                    last_attempt_finished: true,
                    last_attempt_at: None,
                    started_at: None,
                    finished_at: None,
                    reference: None,
                    outputs: Map::new(),
                    error: None,
                    idempotency_key: None,
                });
                self.actions.len() - 1
            }
        };
        let entry = &mut self.actions[index];
        if let Some(t) = action_type {
            entry.action_type = t.to_owned();
        }
        entry
    }

    pub(crate) fn apply(&mut self, record: &Record) {
        match record {
            Record::AttemptStarted { list, action, action_type, attempt, idempotency_key, at } => {
                let entry = self.entry(*list, action, Some(action_type));
                entry.status = ActionStatus::Running;
                entry.attempts = *attempt;
                entry.last_attempt_finished = false;
                entry.last_attempt_at = Some(at.clone());
                entry.started_at.get_or_insert_with(|| at.clone());
                entry.idempotency_key = Some(idempotency_key.clone());
            }
            Record::AttemptFinished { list, action, outcome, error, reference, outputs, at, .. } => {
                let entry = self.entry(*list, action, None);
                entry.last_attempt_finished = true;
                if reference.is_some() {
                    entry.reference.clone_from(reference);
                }
                entry.outputs.extend(outputs.clone());
                entry.error.clone_from(error);
                entry.status = match outcome {
                    Outcome::Succeeded => {
                        entry.finished_at = Some(at.clone());
                        ActionStatus::Succeeded
                    }
                    Outcome::Waiting => ActionStatus::Waiting,
                    // A failed attempt leaves the action running until the executor decides
                    // (retry or give up); `finished` or a failover records the decision.
                    Outcome::Failed => ActionStatus::Running,
                };
            }
            Record::External { list, action, outcome, error, outputs, reference, at, .. } => {
                let entry = self.entry(*list, action, None);
                if reference.is_some() {
                    entry.reference.clone_from(reference);
                }
                entry.outputs.extend(outputs.clone());
                entry.error.clone_from(error);
                match outcome {
                    Outcome::Succeeded => {
                        entry.status = ActionStatus::Succeeded;
                        entry.finished_at = Some(at.clone());
                    }
                    Outcome::Failed => {
                        entry.status = ActionStatus::Failed;
                        entry.finished_at = Some(at.clone());
                        self.last_failure = Some((*list, action.clone()));
                    }
                    Outcome::Waiting => entry.status = ActionStatus::Waiting,
                }
            }
            Record::FailedOver { failure } => {
                let at = failure.timestamp.clone();
                let entry = self.entry(List::Automated, &failure.action, None);
                entry.status = ActionStatus::Failed;
                entry.finished_at = Some(at);
                entry.error = Some(failure.error.clone());
                self.failed_over = Some(failure.clone());
            }
            Record::Finished { status, error, at } => {
                self.finished = Some(status.clone());
                self.error.clone_from(error);
                if status == "failed" {
                    // The action that was running (or waiting) when it failed.
                    if let Some(entry) = self.actions.iter_mut().rev().find(|a| {
                        matches!(a.status, ActionStatus::Running | ActionStatus::Waiting | ActionStatus::Failed)
                    }) {
                        entry.status = ActionStatus::Failed;
                        entry.finished_at.get_or_insert_with(|| at.clone());
                        if entry.error.is_none() {
                            entry.error.clone_from(error);
                        }
                        self.last_failure = Some((entry.list, entry.id.clone()));
                    }
                }
            }
            Record::Retried { .. } => {
                self.finished = None;
                self.error = None;
                if let Some((list, id)) = self.last_failure.take()
                    && let Some(entry) = self.actions.iter_mut().find(|a| a.list == list && a.id == id)
                {
                    entry.status = ActionStatus::Pending;
                    entry.attempts = 0;
                    entry.last_attempt_finished = true;
                    entry.finished_at = None;
                    entry.error = None;
                }
            }
            Record::Escalated(escalation) => self.escalations.push(escalation.clone()),
            Record::Announced { status, since, .. } => self.announced.push((status.clone(), since.clone())),
            Record::Started { .. } | Record::Aborted { .. } | Record::NotificationFailed { .. } => {}
        }
    }

    /// Outputs of the succeeded actions of `list`, by action id (the `outputs` scope).
    pub fn outputs(&self, list: List) -> BTreeMap<String, Map<String, Value>> {
        self.actions
            .iter()
            .filter(|a| a.list == list && a.status == ActionStatus::Succeeded)
            .map(|a| (a.id.clone(), a.outputs.clone()))
            .collect()
    }
}
