//! What each scope holds: the names a template may read, statically known.
//!
//! The resolver checks references against these tables, and the renderer builds its context
//! from the same tables, so the two cannot disagree.

use std::collections::BTreeSet;

use pao_schema::{Action, ActionConfig, ActionType, CatalogItem};

/// The scopes a template may read, in documentation order.
pub const SCOPES: [&str; 8] =
    ["fields", "metadata", "request", "system", "environment", "outputs", "secrets", "failure"];

/// `failure.*`: in the manual list's actions, the automated failure that sent the request there
/// (SPEC section 9).
pub const FAILURE_KEYS: &[KeyTree] = &[leaf("action"), leaf("error"), leaf("timestamp")];

/// The functions; each is also a filter (`upper(x)` and `x | upper`).
pub const FUNCTIONS: [&str; 9] =
    ["upper", "lower", "concat", "replace", "json", "base64", "uuid", "timestamp", "default"];

/// The tests kept for `{% if x is defined %}`-style logic.
pub const TESTS: [&str; 3] = ["defined", "undefined", "none"];

/// A tree of known keys: a name, and the keys below it (empty: a leaf whose value is opaque,
/// such as a string or a list).
#[derive(Debug, Clone, Copy)]
pub struct KeyTree {
    /// The key.
    pub name: &'static str,
    /// Its children, for nested objects.
    pub children: &'static [KeyTree],
}

const fn leaf(name: &'static str) -> KeyTree {
    KeyTree { name, children: &[] }
}

/// `metadata.*`.
pub const METADATA_KEYS: &[KeyTree] = &[
    leaf("id"),
    leaf("name"),
    leaf("description"),
    leaf("version"),
    leaf("category"),
    KeyTree { name: "owner", children: &[leaf("team"), leaf("contact"), leaf("jiraProject")] },
    leaf("tags"),
    KeyTree { name: "sla", children: &[leaf("responseHours"), leaf("fulfillmentHours")] },
    KeyTree {
        name: "lifecycle",
        children: &[
            leaf("status"),
            KeyTree {
                name: "deprecation",
                children: &[leaf("since"), leaf("sunset"), leaf("replacement"), leaf("message")],
            },
        ],
    },
];

/// `request.*`.
pub const REQUEST_KEYS: &[KeyTree] = &[
    leaf("id"),
    leaf("correlationId"),
    leaf("timestamp"),
    leaf("resource"),
    KeyTree { name: "user", children: &[leaf("id"), leaf("email"), leaf("teams")] },
];

/// `system.*`.
pub const SYSTEM_KEYS: &[KeyTree] = &[leaf("date"), leaf("timestamp"), leaf("uuid"), leaf("hostname")];

/// The outputs an action exposes to later actions as `outputs.<action id>.<name>`.
///
/// * `rest-api`: exactly the names of its `outputs` map (each a JSON Pointer into the response).
/// * `jira-ticket`: `issueKey` (e.g. `DBA-123`) and `issueUrl`.
/// * `github-workflow`: `runId`, `runUrl` and `conclusion`.
/// * `terraform`: `path` (the directory written in the state repository) and `commit` (the
///   commit that wrote it).
/// * `webhook`: `status` (the HTTP status code of the delivery).
pub fn action_outputs(action: &Action) -> BTreeSet<String> {
    match &action.config {
        ActionConfig::RestApi(config) => config.outputs.iter().flat_map(|outputs| outputs.keys().cloned()).collect(),
        other => fixed_outputs(other.action_type()).iter().map(|name| (*name).to_owned()).collect(),
    }
}

/// The fixed outputs of action types other than `rest-api` (see [`action_outputs`]).
pub fn fixed_outputs(action_type: ActionType) -> &'static [&'static str] {
    match action_type {
        ActionType::RestApi => &[],
        ActionType::JiraTicket => &["issueKey", "issueUrl"],
        ActionType::GithubWorkflow => &["runId", "runUrl", "conclusion"],
        ActionType::Terraform => &["path", "commit"],
        ActionType::Webhook => &["status"],
    }
}

/// The outputs a bundle component exposes: the union of the outputs of every action of the
/// item (automated and manual), since either list may be the one that fulfils it.
pub fn item_outputs(item: &CatalogItem) -> BTreeSet<String> {
    item.fulfillment.action_lists().flat_map(|(_, list)| list.actions.iter().flat_map(action_outputs)).collect()
}

/// The closest of `candidates` to `name`, if it is close enough to be a likely typo.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|candidate| (strsim::damerau_levenshtein(&name.to_lowercase(), &candidate.to_lowercase()), candidate))
        .filter(|&(distance, candidate)| distance <= (candidate.chars().count().max(name.chars().count()) / 3).max(2))
        .min_by_key(|&(distance, _)| distance)
        .map(|(_, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_finds_typos_only() {
        assert_eq!(closest("instanceNme", ["instanceName", "environment"]), Some("instanceName"));
        assert_eq!(closest("feilds", SCOPES), Some("fields"));
        assert_eq!(closest("completelyDifferent", ["instanceName"]), None);
    }

    #[test]
    fn fixed_outputs_are_documented_for_every_type() {
        for action_type in ActionType::ALL {
            assert_eq!(fixed_outputs(action_type).is_empty(), action_type == ActionType::RestApi);
        }
    }
}
