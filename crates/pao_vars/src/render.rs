//! Phases 3 and 4, substitute and post-process: every action of an item rendered with values,
//! secrets masked.
//!
//! [`render_document`] is `pao vars render`: a dry run. Values that only exist at run time
//! render as visible placeholders: an output of an earlier action that the caller did not stub
//! as `<outputs.ACTION.NAME>`, an unset allow-listed environment variable as
//! `<environment.NAME>`, an unset request key as `<request.KEY>`. Secrets render as `***` and
//! the values of `password` fields as `***`: real values are never in a dry run's context, so
//! they cannot leak into its output whatever the template does with them.
//!
//! Only [`render_action_for_execution`] sees real secrets; what it returns for logging
//! ([`ExecutionRender::redacted`]) has them masked again.

use std::collections::{BTreeMap, BTreeSet};

use pao_schema::{Action, CatalogBundle, CatalogDocument, CatalogItem, FieldType, Presentation};

use crate::check::ItemLookup;
use crate::context::{MASK, RenderContext, Secrets, SystemValues};
use crate::engine::{Engine, PointedRenderError};
use crate::scopes::{REQUEST_KEYS, action_outputs, item_outputs};
use crate::sites::ListKind;

/// What a render reads besides the document: `pao vars render`'s files, a test case's values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RenderInput {
    /// Form values (`--values`); fields left out take their form `default`.
    pub values: serde_json::Map<String, serde_json::Value>,
    /// Request context (`--request`): `id`, `correlationId`, `timestamp`, `resource`, `user`.
    pub request: serde_json::Map<String, serde_json::Value>,
    /// Stubbed outputs of actions (`--outputs`): `action id → name → value`.
    pub outputs: BTreeMap<String, serde_json::Map<String, serde_json::Value>>,
    /// Environment values; only the engine's allow-listed names are used.
    pub environment: BTreeMap<String, String>,
    /// Fix `system.*`, `uuid()` and `timestamp()` for reproducible output.
    pub deterministic: bool,
    /// `failure.*` (`action`, `error`, `timestamp`) for the manual list; names left out render
    /// as the visible placeholder `<failure.NAME>`.
    pub failure: BTreeMap<String, String>,
}

/// Rendering failed for one or more strings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
pub struct RenderFailure {
    /// Every failing string, with its pointer into the rendered output (e.g.
    /// `/automated/0/config/url`).
    pub errors: Vec<PointedRenderError>,
}

/// Renders every action of an item (automated and manual) or every component's fields of a
/// bundle, as `pao vars render` prints it.
///
/// An item renders to `{ "item", "version", "automated": [action...], "manual": [action...] }`
/// where each action is `{ "id", "name", "type", ["retry", "timeoutSeconds",] "config" }` with
/// its config rendered. A bundle renders to `{ "bundle", "version", "components": [{ "id",
/// "item", "version", "fields" }] }`.
///
/// # Errors
/// Every string that failed to render (strict undefined, fuel, syntax, ...), all at once.
pub fn render_document(
    engine: &Engine,
    doc: &CatalogDocument,
    catalog: &dyn ItemLookup,
    input: &RenderInput,
) -> Result<serde_json::Value, RenderFailure> {
    match doc {
        CatalogDocument::Item(item) => render_item(engine, item, input),
        CatalogDocument::Bundle(bundle) => render_bundle(engine, bundle, catalog, input),
    }
}

/// Renders every action of an item, with secrets and passwords masked. See [`render_document`].
///
/// # Errors
/// Every string that failed to render.
pub fn render_item(
    engine: &Engine,
    item: &CatalogItem,
    input: &RenderInput,
) -> Result<serde_json::Value, RenderFailure> {
    let mut errors = Vec::new();
    let mut out = serde_json::Map::new();
    out.insert("item".into(), item.metadata.id.clone().into());
    out.insert("version".into(), item.metadata.version.clone().into());
    let base = base_context(engine, Some(&item.presentation), &item.metadata, input, true);
    for list in ListKind::ALL {
        let actions = action_list(item, list).unwrap_or_default();
        let mut rendered = Vec::new();
        for (index, action) in actions.iter().enumerate() {
            let mut context = base.clone();
            context.outputs = earlier_outputs(&actions[..index], input);
            let pointer = format!("/{}/{index}", list.as_str());
            rendered.push(render_action(engine, action, &context, &pointer, &mut errors));
        }
        out.insert(list.as_str().into(), rendered.into());
    }
    if errors.is_empty() { Ok(out.into()) } else { Err(RenderFailure { errors }) }
}

fn render_bundle(
    engine: &Engine,
    bundle: &CatalogBundle,
    catalog: &dyn ItemLookup,
    input: &RenderInput,
) -> Result<serde_json::Value, RenderFailure> {
    let mut errors = Vec::new();
    let base = base_context(engine, bundle.presentation.as_ref(), &bundle.metadata, input, true);
    let mut components = Vec::new();
    for (index, component) in bundle.components.iter().enumerate() {
        let mut context = base.clone();
        context.outputs = bundle.components[..index]
            .iter()
            .map(|earlier| {
                let names = catalog.item(&earlier.item).map(item_outputs).unwrap_or_default();
                (earlier.id.clone(), with_placeholders(&earlier.id, &names, input.outputs.get(&earlier.id)))
            })
            .collect();
        let fields = serde_json::to_value(component.fields.clone().unwrap_or_default()).unwrap_or_default();
        let ctx = context.to_value(engine.environment_allowlist());
        let mut pointer = format!("/components/{index}/fields");
        let fields = engine.render_tree(&fields, &ctx, &mut pointer, &mut errors);
        components.push(serde_json::json!({
            "id": component.id,
            "item": component.item,
            "version": component.version,
            "fields": fields,
        }));
    }
    if errors.is_empty() {
        Ok(serde_json::json!({
            "bundle": bundle.metadata.id,
            "version": bundle.metadata.version,
            "components": components,
        }))
    } else {
        Err(RenderFailure { errors })
    }
}

/// One action rendered with real secrets for the executor.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecutionRender {
    /// The rendered action with real values: send it, never log or store it.
    pub action: serde_json::Value,
    /// The values to mask when showing it.
    sensitive: Vec<String>,
}

impl ExecutionRender {
    /// The same action with every secret and password value replaced by `***`: what may be
    /// logged, shown or written to Git.
    pub fn redacted(&self) -> serde_json::Value {
        redact(&self.action, self.sensitive.iter().map(String::as_str))
    }
}

/// Renders action `index` of `list` with real secret values, for the executor only.
///
/// Passwords are real here too. Use [`ExecutionRender::redacted`] for anything that is logged.
///
/// # Errors
/// Every failing string, or `/{list}/{index}` when there is no such action.
pub fn render_action_for_execution(
    engine: &Engine,
    item: &CatalogItem,
    list: ListKind,
    index: usize,
    input: &RenderInput,
    secrets: &BTreeMap<String, String>,
) -> Result<ExecutionRender, RenderFailure> {
    let pointer = format!("/{}/{index}", list.as_str());
    let actions = action_list(item, list).unwrap_or_default();
    let Some(action) = actions.get(index) else {
        return Err(RenderFailure {
            errors: vec![PointedRenderError {
                pointer,
                error: crate::RenderError {
                    kind: crate::RenderErrorKind::Other,
                    message: format!("the {} list has no action number {index}", list.as_str()),
                    range: None,
                },
            }],
        });
    };
    let mut context = base_context(engine, Some(&item.presentation), &item.metadata, input, false);
    context.outputs = earlier_outputs(&actions[..index], input);
    context.secrets = Secrets::Real(secrets.clone());
    let mut errors = Vec::new();
    let action = render_action(engine, action, &context, &pointer, &mut errors);
    if !errors.is_empty() {
        return Err(RenderFailure { errors });
    }
    let mut sensitive: Vec<String> = secrets.values().filter(|v| !v.is_empty()).cloned().collect();
    sensitive.extend(password_values(&item.presentation, &input.values));
    // Longest first, so a secret that contains another is masked whole.
    sensitive.sort_by_key(|s| std::cmp::Reverse(s.len()));
    Ok(ExecutionRender { action, sensitive })
}

/// Post-processing: a copy of `value` with every occurrence of each of `sensitive` in any string
/// (keys included) replaced by `***`.
pub fn redact<'a>(value: &serde_json::Value, sensitive: impl IntoIterator<Item = &'a str>) -> serde_json::Value {
    let sensitive: Vec<&str> = sensitive.into_iter().filter(|s| !s.is_empty()).collect();
    redact_with(value, &sensitive)
}

fn redact_with(value: &serde_json::Value, sensitive: &[&str]) -> serde_json::Value {
    use serde_json::Value as J;
    let mask = |text: &str| sensitive.iter().fold(text.to_owned(), |text, secret| text.replace(secret, MASK));
    match value {
        J::String(s) => J::String(mask(s)),
        J::Array(items) => J::Array(items.iter().map(|item| redact_with(item, sensitive)).collect()),
        J::Object(map) => J::Object(map.iter().map(|(k, v)| (mask(k), redact_with(v, sensitive))).collect()),
        J::Number(n) if sensitive.contains(&n.to_string().as_str()) => J::String(MASK.into()),
        other => other.clone(),
    }
}

fn action_list(item: &CatalogItem, list: ListKind) -> Option<&[Action]> {
    match list {
        ListKind::Automated => item.fulfillment.automated.as_ref(),
        ListKind::Manual => item.fulfillment.manual.as_ref(),
    }
    .map(|list| list.actions.as_slice())
}

fn render_action(
    engine: &Engine,
    action: &Action,
    context: &RenderContext,
    pointer: &str,
    errors: &mut Vec<PointedRenderError>,
) -> serde_json::Value {
    let mut value = match serde_json::to_value(action) {
        Ok(value) => value,
        Err(err) => {
            errors.push(PointedRenderError {
                pointer: pointer.to_owned(),
                error: crate::RenderError {
                    kind: crate::RenderErrorKind::Other,
                    message: err.to_string(),
                    range: None,
                },
            });
            return serde_json::Value::Null;
        }
    };
    if let Some(config) = value.get("config").cloned() {
        let ctx = context.to_value(engine.environment_allowlist());
        let mut at = format!("{pointer}/config");
        value["config"] = engine.render_tree(&config, &ctx, &mut at, errors);
    }
    value
}

/// The context shared by every action: fields (defaults, then values), metadata, request with
/// placeholders, system, environment with placeholders.
fn base_context(
    engine: &Engine,
    presentation: Option<&Presentation>,
    metadata: &pao_schema::Metadata,
    input: &RenderInput,
    mask_passwords: bool,
) -> RenderContext {
    let mut fields = serde_json::Map::new();
    if let Some(presentation) = presentation {
        for field in presentation.form.fields() {
            if let Some(default) = field.default.as_ref().filter(|d| !d.is_null()) {
                fields.insert(field.id.clone(), default.clone());
            }
        }
    }
    for (key, value) in &input.values {
        fields.insert(key.clone(), value.clone());
    }
    if mask_passwords && let Some(presentation) = presentation {
        for field in presentation.form.fields().filter(|f| f.field_type == FieldType::Password) {
            if let Some(value) = fields.get_mut(&field.id).filter(|v| !v.is_null() && v.as_str() != Some("")) {
                *value = MASK.into();
            }
        }
    }
    let mut request = serde_json::Map::new();
    for key in REQUEST_KEYS {
        let value = if key.children.is_empty() {
            format!("<request.{}>", key.name).into()
        } else {
            key.children
                .iter()
                .map(|child| {
                    let placeholder = if child.name == "teams" {
                        serde_json::Value::Array(Vec::new())
                    } else {
                        format!("<request.{}.{}>", key.name, child.name).into()
                    };
                    (child.name.to_owned(), placeholder)
                })
                .collect::<serde_json::Map<_, _>>()
                .into()
        };
        request.insert(key.name.to_owned(), value);
    }
    merge(&mut request, &input.request);
    let mut environment: BTreeMap<String, String> =
        engine.environment_allowlist().iter().map(|name| (name.clone(), format!("<environment.{name}>"))).collect();
    for (name, value) in &input.environment {
        if engine.environment_allowlist().contains(name) {
            environment.insert(name.clone(), value.clone());
        }
    }
    RenderContext {
        fields,
        metadata: serde_json::to_value(metadata).unwrap_or_default(),
        request: request.into(),
        system: if input.deterministic { SystemValues::deterministic() } else { SystemValues::now() },
        environment,
        outputs: BTreeMap::new(),
        failure: crate::scopes::FAILURE_KEYS
            .iter()
            .map(|key| {
                let value = input.failure.get(key.name).cloned().unwrap_or_else(|| format!("<failure.{}>", key.name));
                (key.name.to_owned(), value)
            })
            .collect(),
        secrets: Secrets::Masked,
        deterministic: input.deterministic,
    }
}

fn merge(into: &mut serde_json::Map<String, serde_json::Value>, from: &serde_json::Map<String, serde_json::Value>) {
    for (key, value) in from {
        match (into.get_mut(key), value) {
            (Some(serde_json::Value::Object(existing)), serde_json::Value::Object(new)) => merge(existing, new),
            _ => {
                into.insert(key.clone(), value.clone());
            }
        }
    }
}

/// The outputs of the actions before this one: declared names as placeholders, then stubs.
fn earlier_outputs(
    earlier: &[Action],
    input: &RenderInput,
) -> BTreeMap<String, serde_json::Map<String, serde_json::Value>> {
    earlier
        .iter()
        .map(|action| {
            (action.id.clone(), with_placeholders(&action.id, &action_outputs(action), input.outputs.get(&action.id)))
        })
        .collect()
}

fn with_placeholders(
    id: &str,
    names: &BTreeSet<String>,
    supplied: Option<&serde_json::Map<String, serde_json::Value>>,
) -> serde_json::Map<String, serde_json::Value> {
    let mut values: serde_json::Map<String, serde_json::Value> =
        names.iter().map(|name| (name.clone(), format!("<outputs.{id}.{name}>").into())).collect();
    if let Some(supplied) = supplied {
        values.extend(supplied.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    values
}

fn password_values(presentation: &Presentation, values: &serde_json::Map<String, serde_json::Value>) -> Vec<String> {
    presentation
        .form
        .fields()
        .filter(|field| field.field_type == FieldType::Password)
        .filter_map(|field| values.get(&field.id).and_then(serde_json::Value::as_str))
        .filter(|value| !value.is_empty())
        .map(str::to_owned)
        .collect()
}
