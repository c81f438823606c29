//! The GitHub state backend: the same request model as [`pao_git::LocalBackend`], on GitHub.
//!
//! A request is the branch `pao/requests/<id>` created through the Git Data API (blob, tree,
//! commit, ref) with one commit writing `requests/<team>/<item>/<resource>.yaml`, plus a real
//! pull request whose body shows the item, version, requester, values (passwords masked) and
//! action plan. Status transitions are `pao:status:<status>` labels plus one comment each (the
//! history); open/merged/closed is read back from the pull request itself.
//!
//! Works with github.com and GitHub Enterprise Server (`api-url` like
//! `https://ghe.example.com/api/v3`); the token comes from `GITHUB_TOKEN`.

#![deny(missing_docs)]

mod backend;
mod config;

pub use backend::GithubBackend;
pub use config::{GithubConfig, GithubConfigError};
