//! The action plan written into a request: which actions fulfilment will run, rendered.
//!
//! [`render_action_plan`] is the single place the plan is produced. It renders every action of
//! the item with `pao_vars` as a dry run: password fields and `secrets.*` come out as `***`
//! (their real values are never in the context), outputs of earlier actions as visible
//! placeholders (`<outputs.create_db.endpoint>`), since they exist only once fulfilment runs.

use std::collections::BTreeMap;

use pao_schema::{CatalogItem, Strategy};
use serde_json::{Map, Value, json};

use crate::error::OrchestratorError;
use crate::orchestrator::Hint;

/// What a plan is rendered with besides the item.
#[derive(Debug, Clone, Default)]
pub struct PlanInput {
    /// The validated form values (passwords included: the renderer masks them).
    pub values: Map<String, Value>,
    /// The `request` scope: `id`, `correlationId`, `timestamp`, `resource`, `user`.
    pub request: Map<String, Value>,
    /// Values of the allow-listed environment variables.
    pub environment: BTreeMap<String, String>,
}

/// The request scope as a real request has it. A requester without an e-mail address has
/// `request.user.email` empty: left out, the renderer would fill in its dry-run placeholder
/// (`<request.user.email>`) and the stored plan would carry that text as if it were an address.
fn complete_request(request: &Map<String, Value>) -> Map<String, Value> {
    let mut request = request.clone();
    if let Some(Value::Object(user)) = request.get_mut("user") {
        user.entry("email").or_insert_with(|| Value::String(String::new()));
    }
    request
}

/// The plan for `item` under `hint`: `{ strategy, hint, rendered: true, automated: [...],
/// manual: [...] }`, each action as `{ id, name, type, config, retry?, timeoutSeconds? }` with
/// its config rendered. The lists the hint rules out are empty.
///
/// # Errors
/// [`OrchestratorError::Render`] when a template fails with these values (strict undefined,
/// fuel, ...): the item is broken for this request, and nothing is written.
pub fn render_action_plan(
    engine: &pao_vars::Engine,
    item: &CatalogItem,
    hint: Hint,
    input: &PlanInput,
) -> Result<Value, OrchestratorError> {
    let render_input = pao_vars::RenderInput {
        values: input.values.clone(),
        request: complete_request(&input.request),
        outputs: BTreeMap::new(),
        environment: input.environment.clone(),
        deterministic: false,
        failure: Default::default(),
    };
    let rendered = pao_vars::render_item(engine, item, &render_input).map_err(|failure| OrchestratorError::Render {
        item: item.metadata.id.clone(),
        message: failure.to_string(),
    })?;
    let fulfillment = &item.fulfillment;
    let strategy = match fulfillment.strategy {
        Strategy::Failover => "failover",
        Strategy::Manual => "manual",
        Strategy::Automated => "automated",
    };
    let list = |name: &str| rendered.get(name).cloned().unwrap_or_else(|| Value::Array(Vec::new()));
    let automated = if hint == Hint::Manual { Value::Array(Vec::new()) } else { list("automated") };
    let manual = if hint == Hint::Automated && fulfillment.strategy == Strategy::Automated {
        Value::Array(Vec::new())
    } else {
        list("manual")
    };
    Ok(json!({
        "strategy": strategy,
        "hint": hint.as_str(),
        "rendered": true,
        "automated": automated,
        "manual": manual,
    }))
}

/// The files of the plan's `terraform` actions that can be written with the request: those
/// whose rendered config holds no placeholder of an output of an earlier action
/// (`<outputs.…>`) and no masked secret (`***`). The executor writes the others as a follow-up
/// change when it runs them.
///
/// # Errors
/// [`OrchestratorError::Render`] for a `path` that leaves its directory (`..`, absolute):
/// nothing is written.
pub(crate) fn terraform_files(item: &str, plan: &Value) -> Result<Vec<(String, String)>, OrchestratorError> {
    let mut files = Vec::new();
    for list in ["automated", "manual"] {
        for action in plan.get(list).and_then(Value::as_array).into_iter().flatten() {
            if action.get("type").and_then(Value::as_str) != Some("terraform") {
                continue;
            }
            let Some(config) = action.get("config") else { continue };
            let text = config.to_string();
            if text.contains("<outputs.") || text.contains("***") {
                continue;
            }
            let Ok(config) = serde_json::from_value::<pao_schema::TerraformConfig>(config.clone()) else { continue };
            let action_id = action.get("id").and_then(Value::as_str).unwrap_or_default();
            let written = config.files().map_err(|message| OrchestratorError::Render {
                item: item.to_owned(),
                message: format!("action `{action_id}`: {message}"),
            })?;
            for (path, content) in written {
                if !files.iter().any(|(p, _): &(String, String)| p == &path) {
                    files.push((path, content));
                }
            }
        }
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item() -> CatalogItem {
        let text = include_str!("../tests/fixtures/pgsql.yaml")
            .replace("summary: \"Create {{ fields.instanceName }}\"", "summary: \"By [{{ request.user.email }}]\"");
        assert!(text.contains("request.user.email"), "the fixture's summary changed");
        match pao_form::parse_document(text.as_bytes()).unwrap() {
            pao_schema::CatalogDocument::Item(item) => *item,
            pao_schema::CatalogDocument::Bundle(_) => unreachable!("the fixture is an item"),
        }
    }

    fn plan_for(user: Value) -> String {
        let mut request = Map::new();
        for key in ["id", "correlationId", "timestamp", "resource"] {
            request.insert(key.into(), "x".into());
        }
        request.insert("user".into(), user);
        let values = json!({ "instanceName": "orders", "size": "small", "masterPassword": "p" });
        let input = PlanInput { values: values.as_object().unwrap().clone(), request, ..PlanInput::default() };
        let plan =
            render_action_plan(&pao_vars::Engine::new(Vec::<String>::new()), &item(), Hint::Auto, &input).unwrap();
        plan.to_string()
    }

    #[test]
    fn a_requester_without_an_email_has_an_empty_one_not_a_placeholder() {
        let plan = plan_for(json!({ "id": "bob", "teams": ["data"] }));
        assert!(!plan.contains("<request.user.email>"), "{plan}");
        assert!(plan.contains("By []"), "{plan}");
        let plan = plan_for(json!({ "id": "alice", "email": "alice@example.com", "teams": ["data"] }));
        assert!(plan.contains("By [alice@example.com]"), "{plan}");
    }
}
