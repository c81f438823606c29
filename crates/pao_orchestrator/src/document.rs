//! The request file written to Git and the pull request's title and body.

use std::fmt::Write as _;

use pao_schema::{CatalogItem, FieldType};
use serde_json::{Map, Value, json};

use crate::yaml::to_yaml;

/// Everything the request file and the pull request say.
pub(crate) struct RequestDocument<'a> {
    pub(crate) id: &'a str,
    pub(crate) operation: &'a str,
    pub(crate) team: &'a str,
    pub(crate) resource: &'a str,
    pub(crate) item: &'a CatalogItem,
    pub(crate) catalog_commit: &'a str,
    pub(crate) requester_id: &'a str,
    pub(crate) requester_email: Option<&'a str>,
    pub(crate) correlation_id: &'a str,
    pub(crate) created_at: &'a str,
    pub(crate) hint: &'a str,
    /// Values without passwords.
    pub(crate) values: &'a Map<String, Value>,
    /// Ids of fields left out because they are secret.
    pub(crate) redacted: &'a [String],
    pub(crate) plan: &'a Value,
}

impl RequestDocument<'_> {
    /// The desired-state file, `requests/<team>/<item>/<resource>.yaml`.
    pub(crate) fn file(&self) -> String {
        let mut requester = Map::new();
        requester.insert("id".into(), self.requester_id.into());
        if let Some(email) = self.requester_email {
            requester.insert("email".into(), email.into());
        }
        let document = json!({
            "apiVersion": "pao/v1",
            "kind": "Request",
            "metadata": {
                "id": self.id,
                "team": self.team,
                "resource": self.resource,
                "requester": requester,
                "correlationId": self.correlation_id,
                "createdAt": self.created_at,
            },
            "catalog": {
                "item": self.item.metadata.id,
                "version": self.item.metadata.version,
                "commit": self.catalog_commit,
            },
            "fulfillment": { "hint": self.hint },
            "values": self.values,
            "redactedFields": self.redacted,
            "actions": self.plan,
        });
        let header = "# Desired state written by PAO. Passwords and secrets are never stored here.\n";
        format!("{header}{}", to_yaml(&document))
    }

    /// Pull request title.
    pub(crate) fn title(&self) -> String {
        let verb = match self.operation {
            "update" => "Update",
            "decommission" => "Decommission",
            _ => "Create",
        };
        format!("{verb} {} {} for team {}", self.item.metadata.id, self.resource, self.team)
    }

    /// Pull request body (Markdown): item, version, requester, values with passwords masked,
    /// and the action plan.
    pub(crate) fn body(&self) -> String {
        let meta = &self.item.metadata;
        let mut body = String::new();
        let _ = writeln!(
            body,
            "**{}** request `{}` for `{}/{}/{}`\n",
            self.operation, self.id, self.team, meta.id, self.resource
        );
        let _ = writeln!(body, "| | |\n| --- | --- |");
        let _ = writeln!(body, "| Catalog item | {} (`{}`) |", escape_cell(&meta.name), meta.id);
        let _ = writeln!(body, "| Version | {} (catalog commit `{}`) |", meta.version, short(self.catalog_commit));
        let email = self.requester_email.map(|e| format!(" <{e}>")).unwrap_or_default();
        let _ = writeln!(body, "| Requester | {}{} |", escape_cell(self.requester_id), escape_cell(&email));
        let _ = writeln!(body, "| Team | {} |", self.team);
        let _ = writeln!(body, "| Fulfilment | {} |", self.hint);
        let _ = writeln!(body, "| Correlation id | `{}` |", self.correlation_id);
        if self.operation != "decommission" {
            let _ = writeln!(body, "\n### Values\n\n| Field | Value |\n| --- | --- |");
            for field in self.item.presentation.form.fields() {
                let shown = if field.field_type == FieldType::Password {
                    if self.redacted.contains(&field.id) { "`***`".to_owned() } else { continue }
                } else {
                    match self.values.get(&field.id) {
                        Some(value) => format!("`{}`", escape_cell(&value_text(value))),
                        None => continue,
                    }
                };
                let _ = writeln!(body, "| {} (`{}`) | {shown} |", escape_cell(&field.name), field.id);
            }
            let _ = writeln!(body, "\n### Action plan\n\n```yaml\n{}```", to_yaml(self.plan));
        }
        let _ = writeln!(body, "\n<!-- pao-request: {} -->", self.id);
        body
    }
}

fn value_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn escape_cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ").replace('`', "'")
}

fn short(commit: &str) -> &str {
    commit.get(..12).unwrap_or(commit)
}
