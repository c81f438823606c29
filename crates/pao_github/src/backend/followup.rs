//! Follow-up changes on GitHub ([`StateBackend::place_follow_up`]): the branch
//! `pao/terraform/<request-id>/<action-id>` created through the Git Data API on the base tip, and
//! a pull request for it, so the team's Terraform pipeline (Atlantis, HCP Terraform VCS runs,
//! a CI workflow) plans it there and applies it on merge.
//!
//! Every step is find-or-create, so a second call (after a crash between steps, or from a
//! racing runner) completes what the first started and never writes a second branch or pull
//! request: the branch is created only when absent (GitHub answers 422 when another writer was
//! first, and theirs stands), the pull request only when none exists for the branch.

use pao_git::{FOLLOW_UP_BRANCH_PREFIX, FilesAt, FollowUps, RequestId, trailers, with_trailers};
use serde_json::{Value, json};

use super::{BackendError, GitCommit, GitObject, GithubBackend, Pull, encode_path, remote, status_of};

/// Labels of follow-up pull requests (request pull requests carry `pao` and `pao:<operation>`).
const FOLLOW_UP_LABELS: [&str; 2] = ["pao", "pao:terraform"];

impl GithubBackend {
    pub(super) async fn place_follow_up_async(
        &self,
        id: &RequestId,
        action: &str,
        files: &[(String, String)],
        message: &str,
    ) -> Result<FilesAt, BackendError> {
        let base_sha = self.base_sha().await?;
        let mut same = true;
        for (path, content) in files {
            if self.file_at(path, &base_sha).await?.as_deref() != Some(content.as_str()) {
                same = false;
                break;
            }
        }
        if same {
            return Ok(FilesAt::Base(base_sha));
        }
        let branch = FollowUps::branch(id, action);
        debug_assert!(branch.starts_with(FOLLOW_UP_BRANCH_PREFIX));
        let (commit, created) = match self.branch_sha(&branch).await? {
            Some(existing) => (existing, false),
            None => self.create_follow_up_branch(id, &branch, &base_sha, files, message).await?,
        };
        let url = self.follow_up_pull(&branch, message).await?;
        Ok(FilesAt::FollowUp { branch, commit, created, url })
    }

    /// One commit on the base tip writing `files`, and the branch pointing at it; when another
    /// writer created the branch first, its commit (and `false`).
    async fn create_follow_up_branch(
        &self,
        id: &RequestId,
        branch: &str,
        base_sha: &str,
        files: &[(String, String)],
        message: &str,
    ) -> Result<(String, bool), BackendError> {
        let base: GitCommit = self
            .get(&self.repo_route(&format!("git/commits/{base_sha}")))
            .await
            .map_err(|e| remote("read base commit", &e))?;
        let entries = self.blob_entries(files).await?;
        let tree: GitObject = self
            .post(&self.repo_route("git/trees"), &json!({ "base_tree": base.tree.sha, "tree": entries }))
            .await
            .map_err(|e| remote("create tree", &e))?;
        let text = with_trailers(message, &[(trailers::REQUEST_ID.to_owned(), id.to_string())]);
        let commit: GitCommit = self
            .post(&self.repo_route("git/commits"), &json!({ "message": text, "tree": tree.sha, "parents": [base_sha] }))
            .await
            .map_err(|e| remote("create commit", &e))?;
        let created: Result<Value, _> = self
            .post(&self.repo_route("git/refs"), &json!({ "ref": format!("refs/heads/{branch}"), "sha": commit.sha }))
            .await;
        match created {
            Ok(_) => Ok((commit.sha, true)),
            Err(err) if status_of(&err) == Some(422) => {
                // Another writer was first: theirs stands (our commit stays unreferenced).
                let theirs = self.branch_sha(branch).await?.ok_or_else(|| BackendError::Remote {
                    operation: "create follow-up branch".into(),
                    status: 422,
                    message: format!("GitHub refused to create {branch} but it does not exist either"),
                })?;
                Ok((theirs, false))
            }
            Err(err) => Err(remote("create follow-up branch", &err)),
        }
    }

    /// The pull request of a follow-up branch (any state), opened and labelled when there is
    /// none; its URL.
    async fn follow_up_pull(&self, branch: &str, message: &str) -> Result<Option<String>, BackendError> {
        let head = format!("{}:{branch}", self.config.owner);
        let route = self.repo_route(&format!("pulls?state=all&head={}", encode_path(&head)));
        let existing: Vec<Pull> = self.get(&route).await.map_err(|e| remote("find follow-up pull request", &e))?;
        if let Some(pull) = existing.into_iter().next() {
            return Ok(pull.html_url);
        }
        let (title, body) = message.split_once('\n').unwrap_or((message, ""));
        let pull: Pull = self
            .post(
                &self.repo_route("pulls"),
                &json!({ "title": title.trim(), "head": branch, "base": self.config.base, "body": body.trim(), "maintainer_can_modify": false }),
            )
            .await
            .map_err(|e| remote("create follow-up pull request", &e))?;
        let route = self.repo_route(&format!("issues/{}/labels", pull.number));
        let _: Value = self
            .post(&route, &json!({ "labels": FOLLOW_UP_LABELS }))
            .await
            .map_err(|e| remote("label follow-up pull request", &e))?;
        Ok(pull.html_url)
    }
}
