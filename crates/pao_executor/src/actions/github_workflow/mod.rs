//! `github-workflow`: `workflow_dispatch` with inputs through the GitHub API, then the run is
//! followed to its conclusion and its URL recorded. `success` completes the action, any other
//! conclusion fails it.
//!
//! Which run is ours: the dispatch asks for `return_run_details`, and GitHub (since February
//! 2026) answers 200 with the run's `workflow_run_id` and `html_url`, so the run is known
//! exactly. A server without it (an older GitHub Enterprise Server) answers 204, or refuses the
//! parameter with 422 and is asked again without it; the run is then told by time (`GET
//! .../runs?event=workflow_dispatch&branch=<ref>`, the oldest created since the dispatch), and
//! a run of the same workflow and ref dispatched by someone else in that window would be taken
//! for it. When the executor died during an attempt (after the dispatch, before its answer was
//! recorded), the next attempt first looks for a run created since that attempt began, and
//! follows it instead of dispatching again.

mod request;
#[cfg(test)]
mod tests;

use pao_schema::GithubWorkflowConfig;
use serde_json::{Map, Value};

use super::{Done, Env};
use crate::http::{ActionError, Call};
use crate::record::Reference;

pub(crate) use request::{dispatch_body, dispatched_run, pick_run};

pub(crate) fn call(env: &Env<'_>, method: &str, path: &str) -> Result<Call, ActionError> {
    let token = env.github.token.as_deref().ok_or_else(|| {
        ActionError::fatal("github-workflow actions need a GitHub token: set GITHUB_TOKEN for the executor")
    })?;
    env.secrets.masker().add(token);
    let mut call = Call::new(method, format!("{}{path}", env.github.url.trim_end_matches('/')), env.timeout);
    call.headers.push(("Authorization".to_owned(), format!("Bearer {token}")));
    call.headers.push(("Accept".to_owned(), "application/vnd.github+json".to_owned()));
    call.headers.push(("X-GitHub-Api-Version".to_owned(), "2022-11-28".to_owned()));
    // Every call an action makes carries its key, reads too (SPEC section 9).
    call.idempotency_key = Some(env.idempotency_key.clone());
    Ok(call)
}

/// One attempt: dispatch, then look for the run once. After an interrupted attempt, a run
/// created since that attempt began is followed instead of dispatching a second one.
pub(crate) async fn run(config: &GithubWorkflowConfig, env: &Env<'_>) -> Result<Done, ActionError> {
    if let Some(since) = &env.resumed {
        let earlier = Reference { system: "github-run".to_owned(), id: format!("dispatched@{since}"), url: None };
        if let Some(done) = poll(config, &earlier, env).await? {
            return Ok(done);
        }
    }
    let path = format!("/repos/{}/actions/workflows/{}/dispatches", config.repository, config.workflow);
    let mut dispatch = call(env, "POST", &path)?;
    dispatch.body = Some(crate::http::Body::Json(dispatch_body(config, true)));
    dispatch.expect = vec![200, 204, 422];
    let mut answer = env.http.send(&dispatch).await?;
    if answer.status == 422 {
        // A server that does not know `return_run_details` may refuse it; any other 422 is
        // the dispatch's own error, and asking again without the parameter reports it.
        dispatch.body = Some(crate::http::Body::Json(dispatch_body(config, false)));
        dispatch.expect = vec![200, 204];
        answer = env.http.send(&dispatch).await?;
    }
    let pending = match dispatched_run(&answer.json().unwrap_or_default()) {
        Some((id, url)) => Reference { system: "github-run".to_owned(), id, url },
        None => Reference { system: "github-run".to_owned(), id: format!("dispatched@{}", env.now), url: None },
    };
    match poll(config, &pending, env).await? {
        Some(done) => Ok(done),
        None => Ok(Done::Waiting { outputs: Map::new(), reference: pending }),
    }
}

/// Finds the run (when only dispatched) and reads its state.
pub(crate) async fn poll(
    config: &GithubWorkflowConfig,
    reference: &Reference,
    env: &Env<'_>,
) -> Result<Option<Done>, ActionError> {
    let run: Value = if let Some(since) = reference.id.strip_prefix("dispatched@") {
        let path = format!(
            "/repos/{}/actions/workflows/{}/runs?event=workflow_dispatch&branch={}&per_page=20",
            config.repository, config.workflow, config.git_ref
        );
        let response = env.http.send(&call(env, "GET", &path)?).await?;
        match pick_run(&response.json().unwrap_or_default(), since) {
            Some(run) => run,
            None => return Ok(None),
        }
    } else {
        let path = format!("/repos/{}/actions/runs/{}", config.repository, reference.id);
        env.http.send(&call(env, "GET", &path)?).await?.json().unwrap_or_default()
    };
    let id = run.get("id").map(ToString::to_string).unwrap_or_default();
    let url = run.get("html_url").and_then(Value::as_str).map(str::to_owned);
    let reference = Reference { system: "github-run".to_owned(), id: id.clone(), url: url.clone() };
    let mut outputs = Map::new();
    outputs.insert("runId".into(), id.into());
    outputs.insert("runUrl".into(), url.clone().unwrap_or_default().into());
    if run.get("status").and_then(Value::as_str) != Some("completed") {
        return Ok(Some(Done::Waiting { outputs, reference }));
    }
    let conclusion = run.get("conclusion").and_then(Value::as_str).unwrap_or("unknown").to_owned();
    if conclusion != "success" {
        return Err(ActionError::fatal(format!(
            "workflow run {} concluded `{conclusion}`",
            url.unwrap_or_else(|| reference.id.clone())
        )));
    }
    outputs.insert("conclusion".into(), conclusion.into());
    Ok(Some(Done::Completed { outputs, reference: Some(reference) }))
}
