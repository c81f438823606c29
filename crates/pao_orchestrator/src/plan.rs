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
        request: input.request.clone(),
        outputs: BTreeMap::new(),
        environment: input.environment.clone(),
        deterministic: false,
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
