//! Announcing status changes. Every change of a request's status, whoever made it (a
//! submission, a merge on GitHub or by `pao request merge`, a person through the API, the
//! executor itself), is posted once to each `[[notifications]]` target whose `on` matches.
//!
//! The changes are the request's status history in Git; which of them were announced is
//! recorded in its fulfilment log ([`Record::Announced`]). So announcing is catching up: the
//! executor announces after each change it makes and whenever it takes a request up, and the
//! worker pass announces the changes made elsewhere. A crash between a change and its post is
//! caught up by the next execution or pass, and the record keeps a change from being announced
//! twice. Announcing holds the request's lease, so two workers never post the same change.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use pao_git::{ChangeInfo, RequestId, RequestStatus};
use pao_orchestrator::RequestView;
use serde_json::Value;

use super::{Executor, Held};
use crate::clock::unix_seconds;
use crate::error::ExecError;
use crate::mask::Masker;
use crate::record::{Record, RunState};
use crate::request::{facts, load};
use crate::secrets::SecretCache;
use crate::worker::PassReport;

/// A change older than this when PAO first sees it is not announced: turning notifications on
/// over years of requests must not post them all, and a worker that was down for a week does
/// not post a week of stale news. Compared with the wall clock, which stamps the changes.
pub(crate) const ANNOUNCE_WITHIN: Duration = Duration::from_secs(24 * 60 * 60);

/// Whether a change at `changed_at` (RFC 3339) is recent enough at `now` (Unix seconds) to be
/// announced. A time that cannot be read is not announced.
pub(crate) fn due(changed_at: &str, now: i64) -> bool {
    let window = i64::try_from(ANNOUNCE_WITHIN.as_secs()).unwrap_or(i64::MAX);
    pao_git::parse_rfc3339(changed_at).is_some_and(|at| now.saturating_sub(at) <= window)
}

/// What the worker pass saw last of each request: its status and `updated_at`, so a pass
/// reads the history of only the requests that changed since. (The status too: `updated_at`
/// has whole seconds, and a request may open and close within one.)
#[derive(Debug, Default)]
pub(super) struct Looked(Mutex<HashMap<String, (RequestStatus, String)>>);

impl Looked {
    fn unchanged(&self, view: &RequestView) -> bool {
        let looked = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        looked.get(&view.id).is_some_and(|(status, at)| *status == view.status && *at == view.updated_at)
    }

    fn saw(&self, view: &RequestView) {
        let mut looked = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        looked.insert(view.id.clone(), (view.status, view.updated_at.clone()));
    }
}

impl Executor {
    /// Announces every change in the request's status history that is due and not announced
    /// yet, oldest first. `facts` describe the request in the messages.
    pub(super) async fn announce(
        &self,
        held: &mut Held,
        facts: &Value,
        secrets: &SecretCache,
        state: &mut RunState,
    ) -> Result<(), ExecError> {
        if self.config.notifications.is_empty() {
            return Ok(());
        }
        let id = held.lease.id.clone();
        let now = unix_seconds(SystemTime::now());
        // Each recorded announcement accounts for one change with its status and time.
        let mut announced = state.announced.clone();
        for change in self.backend.status_history(&id)? {
            let status = change.status.as_str();
            if let Some(at) = announced.iter().position(|(s, since)| s == status && *since == change.at) {
                announced.remove(at);
                continue;
            }
            if !due(&change.at, now) {
                continue;
            }
            let error = (change.status == RequestStatus::Failed).then_some(change.note.as_str());
            // A change no target wants is not recorded: a target added later still gets it.
            if self.notify(held, facts, secrets, state, status, &change.at, error).await? {
                let record = Record::Announced { status: status.to_owned(), since: change.at.clone(), at: self.now() };
                self.append(&id, secrets.masker(), state, &record)?;
            }
        }
        Ok(())
    }

    /// [`Self::announce`] for a request the executor takes up without running it (not merged,
    /// done, or waiting for a person), or announces for the worker pass: the facts from the
    /// request file when it can be read, else from its change.
    pub(super) async fn announce_change(&self, held: &mut Held, change: &ChangeInfo) -> Result<(), ExecError> {
        if self.config.notifications.is_empty() {
            return Ok(());
        }
        let request = load(self.backend.as_ref(), &self.catalog, &held.lease.id, change).ok().flatten();
        let facts = facts(change, request);
        let secrets = SecretCache::new(std::sync::Arc::clone(&self.secrets), Masker::new());
        let mut state = RunState::fold(&self.records(&held.lease.id)?);
        self.announce(held, &facts, &secrets, &mut state).await
    }

    /// The worker pass's part: announces the changes of every request whose `updated_at`
    /// moved since the last pass and is due. A request another worker holds is looked at
    /// again next pass (its holder announces its own changes, and this pass those made
    /// meanwhile by others).
    pub(crate) async fn announce_changed(&self, requests: &[RequestView], report: &mut PassReport) {
        if self.config.notifications.is_empty() {
            return;
        }
        let now = unix_seconds(SystemTime::now());
        for view in requests {
            if self.looked.unchanged(view) {
                continue;
            }
            if !due(&view.updated_at, now) {
                self.looked.saw(view);
                continue;
            }
            let Ok(id) = RequestId::parse(&view.id) else { continue };
            let mut held = match self.acquire(&id, Duration::ZERO) {
                Ok(held) => held,
                Err(ExecError::Busy { .. }) => continue,
                Err(err) => {
                    report.errors.push((view.id.clone(), err.to_string()));
                    continue;
                }
            };
            let result = async {
                let change = self.backend.change(&id)?;
                self.announce_change(&mut held, &change).await
            }
            .await;
            self.release(&held);
            match result {
                Ok(()) => self.looked.saw(view),
                Err(err) => report.errors.push((view.id.clone(), err.to_string())),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_is_due_for_a_day_and_never_when_its_time_is_unreadable() {
        let now = 1_800_000_000;
        let at = |seconds: i64| pao_git::format_rfc3339(seconds, 0);
        assert!(due(&at(now), now));
        assert!(due(&at(now + 30), now), "a clock a little behind the stamp's");
        assert!(due(&at(now - 24 * 3600), now));
        assert!(!due(&at(now - 24 * 3600 - 1), now));
        assert!(!due("", now));
        assert!(!due("not a time", now));
    }
}
