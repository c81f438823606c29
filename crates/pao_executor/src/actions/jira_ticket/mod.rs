//! `jira-ticket`: opens an issue with JIRA's REST API (`POST /rest/api/2/issue`) on the
//! configured instance, records its key and URL, and waits: the ticket's later state — by
//! `/webhooks/jira` or by polling `GET /rest/api/2/issue/<key>` — maps Done to completed and
//! Won't Do (Won't Fix, Declined, Cancelled, Rejected) to failed.
//!
//! JIRA ignores `Idempotency-Key`, so every issue also carries the label
//! `pao-<request-id>.<action-id>`; an attempt that follows an interrupted one first searches for
//! that label and adopts the issue it finds instead of opening a second one.

mod request;
#[cfg(test)]
mod tests;

use pao_schema::JiraTicketConfig;
use serde_json::Map;

use super::{Done, Env, secret};
use crate::http::{ActionError, Call};
use crate::record::Reference;

pub(crate) use request::issue_body;
pub use request::{TicketState, ticket_state};

/// The JIRA instance an action or escalation uses, with its token read.
pub(crate) struct Instance {
    pub(crate) url: String,
    pub(crate) user: String,
    pub(crate) token: String,
}

/// Looks `name` up in `[jira.instances]` and reads its token.
pub(crate) async fn instance(env: &Env<'_>, name: &str) -> Result<Instance, ActionError> {
    let Some(settings) = env.config.jira.instances.get(name) else {
        return Err(ActionError::fatal(format!(
            "no JIRA instance `{name}`: add [jira.instances.{name}] with url, user and token-secret to pao.toml"
        )));
    };
    let token = secret(env, &settings.token_secret).await?;
    Ok(Instance { url: settings.url.trim_end_matches('/').to_owned(), user: settings.user.clone(), token })
}

impl Instance {
    pub(crate) fn call(&self, method: &str, path: &str, env: &Env<'_>) -> Call {
        let mut call = Call::new(method, format!("{}{path}", self.url), env.timeout);
        call.headers.push(("Authorization".to_owned(), crate::actions::rest_api_basic(&self.user, &self.token)));
        call.headers.push(("Accept".to_owned(), "application/json".to_owned()));
        // Every call an action makes carries its key, reads too (SPEC section 9).
        call.idempotency_key = Some(env.idempotency_key.clone());
        call
    }

    pub(crate) fn reference(&self, key: &str) -> Reference {
        Reference { system: "jira".to_owned(), id: key.to_owned(), url: Some(format!("{}/browse/{key}", self.url)) }
    }
}

/// Opens an issue; returns its key.
pub(crate) async fn create_issue(
    jira: &Instance,
    body: serde_json::Value,
    env: &Env<'_>,
) -> Result<String, ActionError> {
    let mut call = jira.call("POST", "/rest/api/2/issue", env);
    call.body = Some(crate::http::Body::Json(body));
    call.expect = vec![200, 201];
    let response = env.http.send(&call).await?;
    response
        .json()
        .and_then(|json| json.get("key").and_then(serde_json::Value::as_str).map(str::to_owned))
        .ok_or_else(|| ActionError::fatal(format!("{}: the answer has no issue `key`", call.target())))
}

/// One attempt.
pub(crate) async fn run(config: &JiraTicketConfig, env: &Env<'_>) -> Result<Done, ActionError> {
    let jira = instance(env, config.instance.as_deref().unwrap_or("default")).await?;
    let label = request::label(&env.idempotency_key);
    let existing = if env.resumed.is_some() { find_by_label(&jira, &label, env).await? } else { None };
    let key = match existing {
        Some(key) => key,
        None => create_issue(&jira, issue_body(config, &label, env.failure), env).await?,
    };
    let reference = jira.reference(&key);
    let mut outputs = Map::new();
    outputs.insert("issueKey".into(), key.into());
    outputs.insert("issueUrl".into(), reference.url.clone().unwrap_or_default().into());
    Ok(Done::Waiting { outputs, reference })
}

async fn find_by_label(jira: &Instance, label: &str, env: &Env<'_>) -> Result<Option<String>, ActionError> {
    let jql = format!("labels = \"{label}\"");
    let url = reqwest::Url::parse_with_params(
        &format!("{}/rest/api/2/search", jira.url),
        [("jql", jql.as_str()), ("fields", "key")],
    )
    .map_err(|err| ActionError::fatal(format!("JIRA search URL: {err}")))?;
    let mut call = jira.call("GET", "", env);
    call.url = url.to_string();
    let response = env.http.send(&call).await?;
    Ok(response
        .json()
        .and_then(|json| json.pointer("/issues/0/key").and_then(serde_json::Value::as_str).map(str::to_owned)))
}

/// Asks JIRA where the ticket stands.
pub(crate) async fn poll(
    config: &JiraTicketConfig,
    reference: &crate::record::Reference,
    env: &Env<'_>,
) -> Result<Option<Done>, ActionError> {
    let jira = instance(env, config.instance.as_deref().unwrap_or("default")).await?;
    let call = jira.call("GET", &format!("/rest/api/2/issue/{}?fields=status,resolution", reference.id), env);
    let response = env.http.send(&call).await?;
    let fields = response.json().and_then(|json| json.get("fields").cloned()).unwrap_or_default();
    match ticket_state(&fields) {
        TicketState::Open => Ok(None),
        TicketState::Done => Ok(Some(Done::Completed { outputs: Map::new(), reference: Some(reference.clone()) })),
        TicketState::WontDo(resolution) => {
            Err(ActionError::fatal(format!("JIRA ticket {} was closed as {resolution}", reference.id)))
        }
    }
}
