//! `terraform`: the rendered module and variables files for `path` in the state repository.
//!
//! This version builds the files ([`request::files`]) but does not yet commit them or follow
//! the team's Terraform pipeline: an attempt fails with a message saying so, without retry,
//! so a `failover` item falls over to its manual list and a person can act. See
//! docs/fulfilment.md, "Not yet".

mod request;
#[cfg(test)]
mod tests;

use pao_schema::TerraformConfig;

use super::{Done, Env};
use crate::http::ActionError;

/// One attempt.
pub(crate) async fn run(config: &TerraformConfig, _env: &Env<'_>) -> Result<Done, ActionError> {
    let files = request::files(config)?;
    let names: Vec<&str> = files.iter().map(|(path, _)| path.as_str()).collect();
    Err(ActionError::fatal(format!(
        "terraform action for {}: this PAO version renders {} but does not commit them for your Terraform pipeline yet; apply them by hand or use the manual list",
        config.path,
        names.join(" and ")
    )))
}
