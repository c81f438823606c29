//! `fulfillment`: the automated and manual action lists and every action type's `config`.
//!
//! An action's `config` shape depends on its `type`. The schema says so with one
//! `if type == X then config: XConfig` per type, so a validator reports a bad config key at the
//! key itself rather than as a failed `oneOf` over every type.

use std::borrow::Cow;
use std::collections::BTreeMap;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// How requests are fulfilled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Fulfillment {
    /// `failover` (default): automated, then manual on failure; `manual`: straight to manual;
    /// `automated`: no manual fallback.
    #[serde(default)]
    pub strategy: Strategy,
    /// Actions run by the orchestrator, in order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub automated: Option<ActionList>,
    /// Actions for people, usually a JIRA ticket; required unless `strategy` is `automated`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manual: Option<ActionList>,
}

impl Fulfillment {
    /// Every action list the item has, automated first, with its name.
    pub fn action_lists(&self) -> impl Iterator<Item = (&'static str, &ActionList)> {
        [("automated", self.automated.as_ref()), ("manual", self.manual.as_ref())]
            .into_iter()
            .filter_map(|(name, list)| list.map(|list| (name, list)))
    }
}

/// Fulfilment strategies.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Strategy {
    /// Run the automated actions; on failure, fall back to the manual ones.
    #[default]
    Failover,
    /// Only the manual actions.
    Manual,
    /// Only the automated actions, with no fallback.
    Automated,
}

/// An ordered list of actions; later actions may read `outputs` of earlier ones.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ActionList {
    /// The actions, run in order.
    #[schemars(length(min = 1))]
    pub actions: Vec<Action>,
}

/// Action types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ActionType {
    /// Open a JIRA ticket.
    JiraTicket,
    /// Call an HTTP API.
    RestApi,
    /// Write a Terraform configuration into the state repository.
    Terraform,
    /// Dispatch a GitHub Actions workflow.
    GithubWorkflow,
    /// POST a signed payload to a URL.
    Webhook,
}

impl ActionType {
    /// Every action type, in SPEC order.
    pub const ALL: [Self; 5] = [Self::JiraTicket, Self::RestApi, Self::Terraform, Self::GithubWorkflow, Self::Webhook];

    /// The type as written in YAML.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::JiraTicket => "jira-ticket",
            Self::RestApi => "rest-api",
            Self::Terraform => "terraform",
            Self::GithubWorkflow => "github-workflow",
            Self::Webhook => "webhook",
        }
    }
}

/// One step of fulfilment.
#[derive(Debug, Clone, PartialEq)]
pub struct Action {
    /// Unique within the item; snake_case so `outputs.<id>.<name>` parses.
    pub id: String,
    /// What the step does, for people.
    pub name: String,
    /// Retry policy on failure.
    pub retry: Option<Retry>,
    /// Seconds before the step counts as failed.
    pub timeout_seconds: Option<u32>,
    /// The type-specific configuration; its variant is the action's `type`.
    pub config: ActionConfig,
}

impl Action {
    /// The action's `type`.
    pub fn action_type(&self) -> ActionType {
        self.config.action_type()
    }
}

/// An action's `config`, by type. Every string in it is a template.
#[derive(Debug, Clone, PartialEq)]
pub enum ActionConfig {
    /// `type: jira-ticket`.
    JiraTicket(JiraTicketConfig),
    /// `type: rest-api`.
    RestApi(RestApiConfig),
    /// `type: terraform`.
    Terraform(TerraformConfig),
    /// `type: github-workflow`.
    GithubWorkflow(GithubWorkflowConfig),
    /// `type: webhook`.
    Webhook(WebhookConfig),
}

impl ActionConfig {
    /// The action type this config belongs to.
    pub fn action_type(&self) -> ActionType {
        match self {
            Self::JiraTicket(_) => ActionType::JiraTicket,
            Self::RestApi(_) => ActionType::RestApi,
            Self::Terraform(_) => ActionType::Terraform,
            Self::GithubWorkflow(_) => ActionType::GithubWorkflow,
            Self::Webhook(_) => ActionType::Webhook,
        }
    }

    fn from_value(action_type: ActionType, value: serde_json::Value) -> Result<Self, serde_json::Error> {
        Ok(match action_type {
            ActionType::JiraTicket => Self::JiraTicket(serde_json::from_value(value)?),
            ActionType::RestApi => Self::RestApi(serde_json::from_value(value)?),
            ActionType::Terraform => Self::Terraform(serde_json::from_value(value)?),
            ActionType::GithubWorkflow => Self::GithubWorkflow(serde_json::from_value(value)?),
            ActionType::Webhook => Self::Webhook(serde_json::from_value(value)?),
        })
    }

    fn to_value(&self) -> Result<serde_json::Value, serde_json::Error> {
        match self {
            Self::JiraTicket(c) => serde_json::to_value(c),
            Self::RestApi(c) => serde_json::to_value(c),
            Self::Terraform(c) => serde_json::to_value(c),
            Self::GithubWorkflow(c) => serde_json::to_value(c),
            Self::Webhook(c) => serde_json::to_value(c),
        }
    }

    fn schema_for(action_type: ActionType, generator: &mut SchemaGenerator) -> Schema {
        match action_type {
            ActionType::JiraTicket => generator.subschema_for::<JiraTicketConfig>(),
            ActionType::RestApi => generator.subschema_for::<RestApiConfig>(),
            ActionType::Terraform => generator.subschema_for::<TerraformConfig>(),
            ActionType::GithubWorkflow => generator.subschema_for::<GithubWorkflowConfig>(),
            ActionType::Webhook => generator.subschema_for::<WebhookConfig>(),
        }
    }
}

/// The YAML shape of an action, before `config` is read by type.
#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ActionShape<C> {
    /// Action id, unique within the item; snake_case, e.g. `create_db`, so later templates can
    /// read `outputs.create_db.<name>`.
    #[schemars(pattern(crate::patterns::ACTION_ID))]
    id: String,
    /// What the step does, for people.
    #[schemars(length(min = 1))]
    name: String,
    /// `jira-ticket`, `rest-api`, `terraform`, `github-workflow` or `webhook`; decides the shape of
    /// `config`.
    #[serde(rename = "type")]
    action_type: ActionType,
    /// Retry policy on failure: up to 5 attempts with exponential backoff.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    retry: Option<Retry>,
    /// Seconds before the step counts as failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 86400))]
    timeout_seconds: Option<u32>,
    /// Type-specific settings; every string in it is a template.
    config: C,
}

impl<'de> Deserialize<'de> for Action {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let shape = ActionShape::<serde_json::Value>::deserialize(deserializer)?;
        let config = ActionConfig::from_value(shape.action_type, shape.config).map_err(|err| {
            serde::de::Error::custom(format!("config of {} action: {err}", shape.action_type.as_str()))
        })?;
        Ok(Self { id: shape.id, name: shape.name, retry: shape.retry, timeout_seconds: shape.timeout_seconds, config })
    }
}

impl Serialize for Action {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let config = self.config.to_value().map_err(serde::ser::Error::custom)?;
        ActionShape {
            id: self.id.clone(),
            name: self.name.clone(),
            action_type: self.action_type(),
            retry: self.retry.clone(),
            timeout_seconds: self.timeout_seconds,
            config,
        }
        .serialize(serializer)
    }
}

impl JsonSchema for Action {
    fn schema_name() -> Cow<'static, str> {
        "Action".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let mut schema = ActionShape::<serde_json::Map<String, serde_json::Value>>::json_schema(generator);
        let branches: Vec<serde_json::Value> = ActionType::ALL
            .into_iter()
            .map(|action_type| {
                let mut config = ActionConfig::schema_for(action_type, generator);
                config.insert("description".into(), format!("Settings of a `{}` action.", action_type.as_str()).into());
                serde_json::json!({
                    "if": { "properties": { "type": { "const": action_type.as_str() } }, "required": ["type"] },
                    "then": { "properties": { "config": config } }
                })
            })
            .collect();
        schema.insert("description".into(), "One fulfilment step; `type` decides the shape of `config`.".into());
        schema.insert("allOf".into(), branches.into());
        schema
    }
}

/// Retry policy: exponential backoff, `backoffSeconds` doubling after each failed attempt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Retry {
    /// Attempts in all, 1 to 5.
    #[schemars(range(min = 1, max = 5))]
    pub max_attempts: u8,
    /// Seconds before the first retry; doubled for each further one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 3600))]
    pub backoff_seconds: Option<u32>,
}

/// Opens a JIRA ticket, usually for manual fulfilment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct JiraTicketConfig {
    /// Project key, e.g. `DBA`.
    pub project: String,
    /// Issue type, e.g. `Task` or `Service Request`.
    pub issue_type: String,
    /// Ticket title (template).
    pub summary: String,
    /// Ticket body (template).
    pub description: String,
    /// Priority name, e.g. `High`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<String>,
    /// Labels added to the ticket.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<Vec<String>>,
    /// Custom field ids to values, e.g. `customfield_10010: "{{ fields.costCenter }}"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_fields: Option<BTreeMap<String, serde_json::Value>>,
    /// Name of the JIRA instance configured in the orchestrator, when there are several.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
}

/// HTTP methods of a `rest-api` action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum HttpMethod {
    /// GET.
    Get,
    /// POST.
    Post,
    /// PUT.
    Put,
    /// PATCH.
    Patch,
    /// DELETE.
    Delete,
}

/// Calls an HTTP API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RestApiConfig {
    /// `GET`, `POST`, `PUT`, `PATCH` or `DELETE`.
    pub method: HttpMethod,
    /// Request URL (template).
    pub url: String,
    /// Request headers (templates); put credentials in `auth`, not here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<BTreeMap<String, String>>,
    /// Request body: a string template, or a map sent as JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<serde_json::Value>,
    /// How the call authenticates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<ApiAuth>,
    /// Status codes that count as success; default any 2xx.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect_status: Option<Vec<u16>>,
    /// Output name to JSON Pointer into the response body, e.g. `endpoint: /db/endpoint`; later
    /// actions read `outputs.<action-id>.<name>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outputs: Option<BTreeMap<String, String>>,
}

/// Authentication of a `rest-api` action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ApiAuth {
    /// `none`, `bearer`, `basic`, `apiKey` or `oauth2`.
    #[serde(rename = "type")]
    pub auth_type: AuthType,
    /// Name of the secret holding the credential; resolved only when the action runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

/// Authentication schemes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum AuthType {
    /// No authentication.
    None,
    /// `Authorization: Bearer <secret>`.
    Bearer,
    /// HTTP basic authentication; the secret holds `user:password`.
    Basic,
    /// An API key header.
    ApiKey,
    /// OAuth 2 client credentials.
    Oauth2,
}

/// Writes a Terraform configuration into the state repository.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TerraformConfig {
    /// Directory in the state repository to write (template).
    pub path: String,
    /// Module source, e.g. `git::https://github.com/acme/terraform-aws-rds.git?ref=v4.2.0`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub module: Option<String>,
    /// Module input variables (templates).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variables: Option<BTreeMap<String, serde_json::Value>>,
}

impl TerraformConfig {
    /// The files this configuration writes under `path`, as `(path, content)`:
    /// `<path>/main.tf.json` (a `module "pao"` block with `source` and one input per variable,
    /// only with `module`) and `<path>/terraform.tfvars.json` (the variables).
    ///
    /// # Errors
    /// A `path` that is empty, absolute, or has an empty, `.`, `..` or `.git` part, or a
    /// backslash: what is wrong and an example of a good one.
    pub fn files(&self) -> Result<Vec<(String, String)>, String> {
        use serde_json::{Map, Value, json};
        let dir = self.path.trim_end_matches('/');
        let bad_part = |part: &str| part.is_empty() || part == "." || part == ".." || part.eq_ignore_ascii_case(".git");
        if dir.is_empty() || dir.starts_with('/') || dir.contains('\\') || dir.split('/').any(bad_part) {
            return Err(format!(
                "terraform action: path `{}` must be a relative directory inside the state repository (no `..`, `.`, empty or absolute parts), e.g. `infra/databases/orders`",
                self.path.escape_debug()
            ));
        }
        let pretty = |value: &Value| {
            let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
            text.push('\n');
            text
        };
        let variables: Map<String, Value> = self.variables.clone().unwrap_or_default().into_iter().collect();
        let mut out = Vec::new();
        if let Some(source) = &self.module {
            let mut module = Map::new();
            module.insert("source".into(), source.clone().into());
            for name in variables.keys() {
                module.insert(name.clone(), format!("${{var.{name}}}").into());
            }
            let variable_blocks: Map<String, Value> = variables.keys().map(|k| (k.clone(), json!({}))).collect();
            let main = json!({ "variable": variable_blocks, "module": { "pao": module } });
            out.push((format!("{dir}/main.tf.json"), pretty(&main)));
        }
        out.push((format!("{dir}/terraform.tfvars.json"), pretty(&Value::Object(variables))));
        Ok(out)
    }
}

/// Dispatches a GitHub Actions workflow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GithubWorkflowConfig {
    /// `owner/name` of the repository holding the workflow.
    #[schemars(regex(pattern = r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$"))]
    pub repository: String,
    /// Workflow file name, e.g. `provision.yml`.
    pub workflow: String,
    /// Branch or tag to run the workflow on.
    #[serde(rename = "ref")]
    pub git_ref: String,
    /// Workflow inputs (templates).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inputs: Option<BTreeMap<String, serde_json::Value>>,
}

/// POSTs a payload signed with an HMAC key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct WebhookConfig {
    /// Target URL (template).
    pub url: String,
    /// Name of the secret holding the HMAC key that signs the payload.
    pub secret: String,
    /// Body sent as JSON (templates).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<serde_json::Value>,
}
