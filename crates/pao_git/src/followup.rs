//! Files the executor writes into the state repository for a team's own pipeline (the
//! `terraform` action): whether the base branch already holds them (they came with the
//! request's pull request, or an earlier follow-up was merged), and otherwise a follow-up
//! change: the branch `pao/terraform/<request-id>/<action-id>` with one commit on the base tip
//! that writes them, for Atlantis, HCP Terraform VCS runs or CI to plan and apply.
//!
//! Branch creation is create-only under the ref's lock ([`crate::refs`]): a second attempt
//! (after a crash, or a racing worker) finds the branch and returns its commit instead of
//! writing another.

use std::path::{Path, PathBuf};

use git2::{FileMode, Oid, Repository, Signature, build::TreeUpdateBuilder};

use crate::backend::{BackendError, GitContext};
use crate::names::RequestId;
use crate::refs::create_exclusively;
use crate::trailers::{self, with_trailers};

/// Follow-up branches are under this prefix (outside `pao/requests/`, so they are never taken
/// for requests).
pub const FOLLOW_UP_BRANCH_PREFIX: &str = "pao/terraform/";

/// Where a file set stands in the state repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilesAt {
    /// The base branch holds every file with this content; the commit is the base tip.
    Base(String),
    /// A follow-up branch holds them; its commit.
    FollowUp {
        /// `pao/terraform/<request-id>/<action-id>`.
        branch: String,
        /// The commit that writes the files (hex).
        commit: String,
        /// Whether this call created it.
        created: bool,
        /// The pull request for it, where the backend has pull requests (GitHub).
        url: Option<String>,
    },
}

/// Writes follow-up changes into a local state repository.
#[derive(Debug, Clone)]
pub struct FollowUps {
    git_dir: PathBuf,
    base: String,
}

impl FollowUps {
    /// Follow-ups of the repository at `path`, on top of branch `base`.
    ///
    /// # Errors
    /// When no repository is there.
    pub fn open(path: impl AsRef<Path>, base: &str) -> Result<Self, BackendError> {
        let repo = Repository::open(path.as_ref()).during("opening the state repository")?;
        Ok(Self::at(repo.path().to_path_buf(), base))
    }

    /// Follow-ups of the repository whose Git directory is `git_dir`.
    pub(crate) fn at(git_dir: PathBuf, base: &str) -> Self {
        Self { git_dir, base: base.to_owned() }
    }

    /// The branch of a request's action.
    pub fn branch(id: &RequestId, action: &str) -> String {
        format!("{FOLLOW_UP_BRANCH_PREFIX}{id}/{action}")
    }

    /// Where `files` (`(path, content)`, paths already checked by the caller) are: on the base
    /// branch as they are, or on the action's follow-up branch, which is created when neither
    /// holds them. `message` is the follow-up commit's message (it should carry the action's
    /// label, which pipelines echo back as the run message).
    ///
    /// # Errors
    /// [`BackendError::NoBaseBranch`] without a base branch, or a Git failure.
    pub fn place(
        &self,
        id: &RequestId,
        action: &str,
        files: &[(String, String)],
        message: &str,
    ) -> Result<FilesAt, BackendError> {
        let repo = Repository::open(&self.git_dir).during("opening the state repository")?;
        let base_ref = format!("refs/heads/{}", self.base);
        let tip = repo.refname_to_id(&base_ref).map_err(|_| BackendError::NoBaseBranch {
            branch: self.base.clone(),
            repository: self.git_dir.display().to_string(),
            branches: Vec::new(),
        })?;
        let base_commit = repo.find_commit(tip).during("reading the base commit")?;
        let base_tree = base_commit.tree().during("reading the base tree")?;
        let same = files.iter().all(|(path, content)| {
            base_tree
                .get_path(Path::new(path))
                .ok()
                .and_then(|entry| repo.find_blob(entry.id()).ok())
                .is_some_and(|blob| blob.content() == content.as_bytes())
        });
        if same {
            return Ok(FilesAt::Base(tip.to_string()));
        }
        let branch = Self::branch(id, action);
        let name = format!("refs/heads/{branch}");
        if let Ok(existing) = repo.refname_to_id(&name) {
            return Ok(FilesAt::FollowUp { branch, commit: existing.to_string(), created: false, url: None });
        }
        let writing = "writing a follow-up commit";
        let mut update = TreeUpdateBuilder::new();
        for (path, content) in files {
            let blob = repo.blob(content.as_bytes()).during(writing)?;
            update.upsert(path, blob, FileMode::Blob);
        }
        let tree = repo.find_tree(update.create_updated(&repo, &base_tree).during(writing)?).during(writing)?;
        let text = with_trailers(message, &[(trailers::REQUEST_ID.to_owned(), id.to_string())]);
        let signature = Signature::now("PAO", "pao@localhost").during(writing)?;
        let commit: Oid = repo.commit(None, &signature, &signature, &text, &tree, &[&base_commit]).during(writing)?;
        if create_exclusively(&repo, &name, commit, "pao: follow-up").during(writing)? {
            return Ok(FilesAt::FollowUp { branch, commit: commit.to_string(), created: true, url: None });
        }
        // Another writer created it first: theirs stands.
        let existing = repo.refname_to_id(&name).during("reading a follow-up branch")?;
        Ok(FilesAt::FollowUp { branch, commit: existing.to_string(), created: false, url: None })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo_with_base(dir: &Path) -> Repository {
        let repo = Repository::init_bare(dir).unwrap();
        {
            let blob = repo.blob(b"{}\n").unwrap();
            let mut builder = repo.treebuilder(None).unwrap();
            builder.insert("README", blob, 0o100_644).unwrap();
            let tree = repo.find_tree(builder.write().unwrap()).unwrap();
            let sig = Signature::now("t", "t@t").unwrap();
            repo.commit(Some("refs/heads/main"), &sig, &sig, "base", &tree, &[]).unwrap();
        }
        repo
    }

    #[test]
    fn opens_a_follow_up_once_then_sees_the_files_on_base() {
        let dir = tempfile::tempdir().unwrap();
        let repo = repo_with_base(dir.path());
        let followups = FollowUps::open(dir.path(), "main").unwrap();
        let id = RequestId::parse("req-20260101-abcdef012345").unwrap();
        let files = vec![("infra/db/terraform.tfvars.json".to_owned(), "{\"size\": 1}\n".to_owned())];
        let first = followups.place(&id, "create_db", &files, "terraform: create_db\n\npao-x").unwrap();
        let FilesAt::FollowUp { branch, commit, created: true, .. } = first else { panic!("{first:?}") };
        assert_eq!(branch, "pao/terraform/req-20260101-abcdef012345/create_db");
        let again = followups.place(&id, "create_db", &files, "ignored").unwrap();
        assert_eq!(
            again,
            FilesAt::FollowUp { branch: branch.clone(), commit: commit.clone(), created: false, url: None }
        );
        // Merged: the base holds the files now.
        repo.reference("refs/heads/main", Oid::from_str(&commit).unwrap(), true, "merge").unwrap();
        assert_eq!(followups.place(&id, "create_db", &files, "ignored").unwrap(), FilesAt::Base(commit));
    }
}
