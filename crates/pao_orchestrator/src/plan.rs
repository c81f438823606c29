//! The action plan written into a request: which actions fulfilment will run.
//!
//! [`render_action_plan`] is the single place the plan is produced. Until `pao_vars` (the
//! template engine) is wired in, it records every planned action with its configuration
//! unrendered (`rendered: false`); switching to rendered actions changes this function only.
//! Either way the plan never holds a password or a secret: templates are stored as written
//! (`{{ secrets.x }}` stays a reference), and a rendered plan must mask them as `***`.

use pao_schema::{ActionList, CatalogItem, Strategy};
use serde_json::{Value, json};

use crate::orchestrator::Hint;

/// The plan for `item` under `hint`: `{ strategy, rendered, automated: [...], manual: [...] }`,
/// each action as `{ id, name, type, config, retry?, timeoutSeconds? }`.
///
/// `values` are the request's stored values (passwords already removed); they are unused until
/// rendering is wired in.
pub fn render_action_plan(item: &CatalogItem, hint: Hint, _values: &serde_json::Map<String, Value>) -> Value {
    let fulfillment = &item.fulfillment;
    let list = |list: Option<&ActionList>| -> Value {
        list.map_or_else(|| Value::Array(Vec::new()), |list| serde_json::to_value(&list.actions).unwrap_or(Value::Null))
    };
    let strategy = match fulfillment.strategy {
        Strategy::Failover => "failover",
        Strategy::Manual => "manual",
        Strategy::Automated => "automated",
    };
    let automated = if hint == Hint::Manual { Value::Array(Vec::new()) } else { list(fulfillment.automated.as_ref()) };
    let manual = if hint == Hint::Automated && fulfillment.strategy == Strategy::Automated {
        Value::Array(Vec::new())
    } else {
        list(fulfillment.manual.as_ref())
    };
    json!({
        "strategy": strategy,
        "hint": hint.as_str(),
        "rendered": false,
        "automated": automated,
        "manual": manual,
    })
}
