//! Markdown descriptions of what templates name — scopes, functions, fields, actions, catalog
//! documents, rules — shared by completion's documentation and hover.

use pao_schema::ActionType;

use crate::analysis::Entry;
use crate::outline::{ActionInfo, FieldInfo};

/// What a scope holds (SPEC section 4).
pub fn scope(name: &str) -> &'static str {
    match name {
        "fields" => "The request's form values: `fields.<field id>`.",
        "metadata" => "The item's metadata: `metadata.id`, `metadata.owner.team`, ...",
        "request" => {
            "The request: `id`, `correlationId`, `timestamp`, `resource`, `user.id`, `user.email`, `user.teams`."
        }
        "system" => "`date`, `timestamp`, `uuid`, `hostname` at rendering time.",
        "environment" => {
            "Orchestrator environment variables, only those `[templates] environment` in pao.toml allow-lists."
        }
        "outputs" => {
            "`outputs.<action id>.<name>`: outputs of actions earlier in the same action list (of earlier components, in a bundle)."
        }
        "secrets" => {
            "`secrets.<name>`: resolved only when an action executes; never written to Git, a preview or a log (shown as `***`)."
        }
        _ => "",
    }
}

/// What a function does (each is also a filter).
pub fn function(name: &str) -> &'static str {
    match name {
        "upper" => "`upper(text)` / `text | upper`: the text in upper case.",
        "lower" => "`lower(text)` / `text | lower`: the text in lower case.",
        "concat" => "`concat(a, b, ...)` / `a | concat(b)`: the values joined as text.",
        "replace" => "`replace(text, from, to)` / `text | replace(from, to)`: every `from` replaced by `to`.",
        "json" => "`json(value)` / `value | json`: the value as JSON text.",
        "base64" => "`base64(text)` / `text | base64`: the text, Base64-encoded.",
        "uuid" => "`uuid()`: a new random UUID.",
        "timestamp" => "`timestamp()`: the current time, RFC 3339.",
        "default" => {
            "`value | default(other)`: `other` when the value is undefined, null or the empty string (an optional field left empty)."
        }
        _ => "",
    }
}

/// `rest-api` etc.
pub fn action_type(action_type: ActionType) -> String {
    serde_json::to_value(action_type).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

/// A form field: name, type, whether required, help.
pub fn field(field: &FieldInfo) -> String {
    let mut text = format!("**{}**", field.name.as_deref().unwrap_or(&field.id));
    text.push_str(&format!(" — field `{}`", field.id));
    if let Some(type_) = &field.type_ {
        text.push_str(&format!(", type `{type_}`"));
    }
    text.push_str(if field.required { ", required" } else { ", optional" });
    if let Some(group) = &field.group {
        text.push_str(&format!(", group `{group}`"));
    }
    if let Some(help) = &field.help {
        text.push_str(&format!("\n\n{help}"));
    }
    text
}

/// An action: name, type, list, outputs.
pub fn action(action: &ActionInfo) -> String {
    let mut text = format!("**{}** — action `{}`", action.name.as_deref().unwrap_or(&action.id), action.id);
    if let Some(t) = action.type_ {
        text.push_str(&format!(", type `{}`", action_type(t)));
    }
    text.push_str(&format!(", number {} of the {} list", action.index + 1, action.list.as_str()));
    if !action.outputs.is_empty() {
        let names: Vec<String> = action.outputs.iter().map(|o| format!("`{}`", o.name)).collect();
        text.push_str(&format!("\n\nOutputs: {}", names.join(", ")));
    }
    text
}

/// A catalog document: name, version, lifecycle, file.
pub fn entry(entry: &Entry<'_>) -> String {
    let outline = entry.outline;
    let id = outline.id.as_ref().map_or("?", |(id, _)| id.as_str());
    let mut text = format!("**{}** — `{id}`", outline.name.as_deref().unwrap_or(id));
    if let Some(version) = &outline.version {
        text.push_str(&format!(" {version}"));
    }
    if let Some(status) = &outline.status {
        text.push_str(&format!(", {status}"));
    }
    text.push_str(&format!("\n\n`{}`", entry.path));
    if !outline.fields.is_empty() {
        let ids: Vec<String> = outline.fields.iter().map(|f| format!("`{}`", f.id)).collect();
        text.push_str(&format!("\n\nFields: {}", ids.join(", ")));
    }
    text
}

/// A rule's explanation for hover on its diagnostic.
pub fn rule(code: &str) -> Option<String> {
    let rule = pao_lint::codes::rule(code)?;
    Some(format!(
        "**{}** `{}` ({} by default): {}\n\n{}",
        rule.code,
        rule.name,
        rule.default_severity.as_str(),
        rule.summary,
        rule.docs().trim_end()
    ))
}
