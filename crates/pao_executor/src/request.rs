//! A merged request as the executor reads it: the request file from Git, and the catalog item
//! at the commit the request was checked against.

use std::collections::BTreeMap;

use pao_git::{CatalogReader, ChangeInfo, RequestId, StateBackend};
use pao_schema::{CatalogItem, Strategy};
use serde_json::{Map, Value, json};

use crate::error::ExecError;
use crate::record::List;

/// What fulfilment reads about a request.
#[derive(Debug, Clone)]
pub(crate) struct LoadedRequest {
    pub(crate) item: CatalogItem,
    pub(crate) values: Map<String, Value>,
    pub(crate) hint: String,
    /// The `request` template scope.
    pub(crate) scope: Map<String, Value>,
    /// Facts for payloads and messages: id, team, item, resource, requester, links.
    pub(crate) facts: Value,
}

pub(crate) fn load(
    backend: &dyn StateBackend,
    catalog: &CatalogReader,
    id: &RequestId,
    change: &ChangeInfo,
) -> Result<Option<LoadedRequest>, ExecError> {
    let bad = |message: String| ExecError::Request { id: id.to_string(), message };
    let Some(text) = backend.change_file(id)? else { return Ok(None) };
    let document = pao_source::parse_yaml(&text)
        .root
        .map(|root| root.to_json())
        .ok_or_else(|| bad("the request file is not YAML".to_owned()))?;
    let field = |pointer: &str| document.pointer(pointer).and_then(Value::as_str).unwrap_or_default().to_owned();
    let (item_id, commit) = (field("/catalog/item"), field("/catalog/commit"));
    if item_id.is_empty() || commit.is_empty() {
        return Err(bad("the request file names no catalog item and commit (catalog.item, catalog.commit)".to_owned()));
    }
    let (item, _) = catalog.item_at(&commit, &item_id, None).map_err(|err| {
        bad(format!(
            "cannot read catalog item `{item_id}` at commit {commit} (is the catalog repository complete?): {err}"
        ))
    })?;
    let values = document.get("values").and_then(Value::as_object).cloned().unwrap_or_default();
    let hint = document.pointer("/fulfillment/hint").and_then(Value::as_str).unwrap_or("auto").to_owned();
    let team = change.key.team.to_string();
    let mut user = Map::new();
    user.insert("id".into(), field("/metadata/requester/id").into());
    if let Some(email) = document.pointer("/metadata/requester/email").and_then(Value::as_str) {
        user.insert("email".into(), email.into());
    }
    user.insert("teams".into(), json!([team]));
    let mut scope = Map::new();
    scope.insert("id".into(), id.to_string().into());
    scope.insert("correlationId".into(), field("/metadata/correlationId").into());
    scope.insert("timestamp".into(), field("/metadata/createdAt").into());
    scope.insert("resource".into(), change.key.resource.to_string().into());
    scope.insert("user".into(), Value::Object(user));
    let mut facts = change_facts(change);
    facts["item"] = item_id.into();
    facts["itemName"] = item.metadata.name.clone().into();
    facts["version"] = item.metadata.version.clone().into();
    facts["requester"] = field("/metadata/requester/id").into();
    facts["correlationId"] = field("/metadata/correlationId").into();
    Ok(Some(LoadedRequest { item, values, hint, scope, facts }))
}

/// The facts of a request for messages: from its file and item when `request` was loaded,
/// else as its change alone tells them (a decommission, or a file or item that cannot be read).
pub(crate) fn facts(change: &ChangeInfo, request: Option<LoadedRequest>) -> Value {
    request.map_or_else(|| change_facts(change), |r| r.facts)
}

/// The facts of a request as its change alone tells them (the commit's trailers). [`load`]
/// refines them from the request file and the item.
fn change_facts(change: &ChangeInfo) -> Value {
    let meta = |key: &str| change.metadata.get(key).cloned().unwrap_or_default();
    let item = change.key.item.to_string();
    json!({
        "id": change.id.to_string(),
        "team": change.key.team.to_string(),
        "item": item,
        "itemName": item,
        "version": meta(pao_git::trailers::ITEM_VERSION),
        "resource": change.key.resource.to_string(),
        "requester": meta(pao_git::trailers::REQUESTER),
        "correlationId": meta(pao_git::trailers::CORRELATION_ID),
        "pullRequest": change.url.clone().unwrap_or_else(|| change.branch.clone()),
    })
}

/// Which list runs first, and which takes over when it fails.
pub(crate) fn plan(item: &CatalogItem, hint: &str) -> (List, Option<List>) {
    let fulfillment = &item.fulfillment;
    let has_manual = fulfillment.manual.is_some();
    let has_automated = fulfillment.automated.is_some();
    match (fulfillment.strategy, hint) {
        (Strategy::Manual, _) | (_, "manual") => (List::Manual, None),
        (Strategy::Automated, _) | (_, "automated") => (List::Automated, None),
        (Strategy::Failover, _) if !has_automated => (List::Manual, None),
        (Strategy::Failover, _) => (List::Automated, has_manual.then_some(List::Manual)),
    }
}

/// The names of `secrets.*` a catalog action's templates read (plain `secrets.x` and
/// `secrets["x"]`), so they can be resolved before rendering.
pub(crate) fn secret_names(action: &pao_schema::Action) -> Vec<String> {
    static PATTERN: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let pattern = PATTERN.get_or_init(|| {
        regex::Regex::new(r#"secrets\s*(?:\.\s*([A-Za-z_][A-Za-z0-9_]*)|\[\s*\\?["']([^"'\\]+)\\?["']\s*\])"#)
            .expect("a valid pattern")
    });
    let text = serde_json::to_string(action).unwrap_or_default();
    let mut names: BTreeMap<String, ()> = BTreeMap::new();
    for captures in pattern.captures_iter(&text) {
        if let Some(name) = captures.get(1).or_else(|| captures.get(2)) {
            names.insert(name.as_str().to_owned(), ());
        }
    }
    names.into_keys().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(strategy: &str, automated: bool, manual: bool) -> CatalogItem {
        let list = |id: &str| {
            serde_json::json!({ "actions": [
            { "id": id, "name": id, "type": "webhook", "config": { "url": "https://hooks.example/x", "secret": "hook-key" } } ] })
        };
        let mut fulfillment = serde_json::json!({ "strategy": strategy });
        if automated {
            fulfillment["automated"] = list("auto");
        }
        if manual {
            fulfillment["manual"] = list("by-hand");
        }
        serde_json::from_value(serde_json::json!({
            "apiVersion": "pao/v1", "kind": "CatalogItem",
            "metadata": { "id": "x", "name": "X", "description": "X", "version": "1.0.0", "category": "testing",
                "owner": { "team": "t", "contact": "t@example.com" }, "lifecycle": { "status": "stable" } },
            "presentation": { "form": { "groups": [] } },
            "fulfillment": fulfillment,
        }))
        .expect("a catalog item")
    }

    /// SPEC section 9: `failover` runs automated then manual, `manual` and `automated` one
    /// list each, and a hint narrows within what the item allows (submission refuses a hint
    /// naming a list the item does not have, `check_hint`).
    #[test]
    fn strategy_and_hint_decide_the_lists() {
        use List::{Automated, Manual};
        let cases = [
            (("failover", true, true), "auto", (Automated, Some(Manual))),
            (("failover", true, false), "auto", (Automated, None)),
            (("failover", false, true), "auto", (Manual, None)),
            (("failover", true, true), "manual", (Manual, None)),
            (("failover", true, true), "automated", (Automated, None)),
            (("manual", true, true), "auto", (Manual, None)),
            (("manual", false, true), "manual", (Manual, None)),
            (("automated", true, true), "auto", (Automated, None)),
            (("automated", true, false), "automated", (Automated, None)),
            (("automated", true, true), "manual", (Manual, None)),
        ];
        for ((strategy, automated, manual), hint, expected) in cases {
            assert_eq!(plan(&item(strategy, automated, manual), hint), expected, "{strategy} with hint {hint}");
        }
    }
}
