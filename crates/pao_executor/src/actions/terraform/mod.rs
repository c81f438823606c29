//! `terraform`: writes the rendered module and variables files under `path` in the state
//! repository for the team's own Terraform pipeline (Atlantis, HCP Terraform VCS runs, CI) to
//! plan and apply, then waits for that pipeline's result.
//!
//! Where the files go ([`pao_git::StateBackend::place_follow_up`]): when the base branch already holds them
//! as rendered (they came with the request's pull request, or an earlier follow-up was merged)
//! nothing is written; otherwise (they read outputs of earlier actions, or the base moved) a
//! follow-up change `pao/terraform/<request-id>/<action-id>` writes them (locally that branch;
//! with the GitHub backend the branch and a pull request for it). Either way the
//! commit message and the outputs carry the label `pao-<request-id>.<action-id>`.
//!
//! Completion: `/webhooks/terraform` (an HCP Terraform run notification whose run message
//! holds the label; [`run_state`]), or polling the commit's statuses on GitHub
//! (`GET /repos/<[github] repository>/commits/<sha>/status`: the contexts of `[executor]
//! terraform-applied-contexts`, default `atlantis/apply`, succeed; a Terraform or Atlantis
//! context fails; [`status_state`]).

mod request;
#[cfg(test)]
mod tests;

use pao_schema::TerraformConfig;
use serde_json::{Map, Value};

use super::{Done, Env};
use crate::http::ActionError;
use crate::record::Reference;

pub use request::{RunState, run_state, status_state};

/// The label of an action's commits and runs: `pao-<request-id>.<action-id>`.
pub(crate) fn label(idempotency_key: &str) -> String {
    format!("pao-{idempotency_key}")
}

/// One attempt: place the files, then wait for the pipeline.
pub(crate) async fn run(config: &TerraformConfig, env: &Env<'_>) -> Result<Done, ActionError> {
    let files = request::files(config)?;
    let masker = env.secrets.masker();
    if files.iter().any(|(_, content)| masker.mask(content) != *content) {
        return Err(ActionError::fatal(format!(
            "terraform action for {}: the variables hold a secret, and PAO never writes secrets to Git; give the secret to the pipeline itself (an HCP Terraform sensitive variable, an Atlantis environment variable) and leave it out of `variables`",
            config.path
        )));
    }
    let (id, action) = env
        .idempotency_key
        .split_once('.')
        .ok_or_else(|| ActionError::fatal(format!("malformed idempotency key `{}`", env.idempotency_key)))?;
    let id = pao_git::RequestId::parse(id).map_err(|err| ActionError::fatal(err.to_string()))?;
    let label = label(&env.idempotency_key);
    let names: Vec<&str> = files.iter().map(|(path, _)| path.as_str()).collect();
    let message = format!(
        "terraform: {action} of request {id}\n\nWrites {} for the Terraform pipeline.\n\n{label}",
        names.join(", ")
    );
    let placed = env.backend.place_follow_up(&id, action, &files, &message).map_err(|err| {
        ActionError::fatal(format!("terraform action `{action}`: cannot write {}: {err}", config.path))
    })?;
    let mut outputs = Map::new();
    outputs.insert("path".into(), config.path.trim_matches('/').into());
    outputs.insert("files".into(), Value::from(names.clone()));
    outputs.insert("label".into(), label.clone().into());
    let commit = match placed {
        pao_git::FilesAt::Base(commit) => commit,
        pao_git::FilesAt::FollowUp { branch, commit, url, .. } => {
            outputs.insert("branch".into(), branch.into());
            if let Some(url) = url {
                outputs.insert("pullRequest".into(), url.into());
            }
            commit
        }
    };
    outputs.insert("commit".into(), commit.clone().into());
    let url = env.config.github.as_ref().map(|g| format!("https://github.com/{}/commit/{commit}", g.repository));
    Ok(Done::Waiting { outputs, reference: Reference { system: "terraform".into(), id: commit, url } })
}

/// Asks GitHub for the commit's Terraform statuses; without `[github]`, only
/// `/webhooks/terraform` reports (`Ok(None)`).
pub(crate) async fn poll(reference: &Reference, env: &Env<'_>) -> Result<Option<Done>, ActionError> {
    let Some(github) = &env.config.github else { return Ok(None) };
    if env.github.token.is_none() {
        return Ok(None);
    }
    let path = format!("/repos/{}/commits/{}/status", github.repository, reference.id);
    let call = super::github_workflow::call(env, "GET", &path)?;
    let answer = env.http.send(&call).await?;
    let statuses = answer.json().and_then(|json| json.get("statuses").cloned()).unwrap_or_default();
    match status_state(&statuses, &env.config.executor.terraform_applied_contexts) {
        RunState::Running => Ok(None),
        RunState::Applied(context) => {
            let mut outputs = Map::new();
            outputs.insert("status".into(), context.into());
            Ok(Some(Done::Completed { outputs, reference: Some(reference.clone()) }))
        }
        RunState::Failed(why) => {
            Err(ActionError::fatal(format!("Terraform run for commit {} failed: {why}", reference.id)))
        }
    }
}
